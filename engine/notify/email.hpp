// Alert e-mail: a MIME message with a plain-text and an HTML alternative, rendered as
// RFC 5322 text and handed to an SMTP server through libcurl. Rendering and sending are
// separate so that the outbox can store exactly the bytes it will (re)send.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "notify/outcome.hpp"

namespace tiendo::notify {

struct EmailMessage {
  std::string from;             // "tiendo <tiendo@example.org>" or a bare address
  std::vector<std::string> to;  // bare addresses
  std::string subject;          // UTF-8
  std::string text;             // UTF-8 plain-text body
  std::string html;             // UTF-8 HTML body
};

// RFC 2047 "B" encoded words for a header value: ASCII-only printable text without
// "=?" is returned as is; otherwise =?UTF-8?B?...?= words, each at most 75 characters,
// never splitting a UTF-8 sequence, joined by CRLF SPACE (folding).
std::string encode_header_text(std::string_view utf8);

// The whole RFC 5322 message with CRLF line ends: From, To, Subject (encoded), Date
// (RFC 5322 date of `date`, UTC "+0000"), Message-ID (given, with angle brackets),
// MIME-Version, Content-Type multipart/alternative with a boundary that cannot occur in
// the parts, then a text/plain; charset=UTF-8 part and a text/html; charset=UTF-8 part,
// each Content-Transfer-Encoding: base64 with 76-character lines.
//
// Every line is at most 78 characters unless a single address or the Message-ID is
// longer. Line breaks in the bodies are turned into CRLF before encoding, the canonical
// form MIME requires of text. Control characters in addresses are dropped, so no field
// can add a header line.
std::string render_email(const EmailMessage& message, std::string_view message_id,
                         std::chrono::system_clock::time_point date);

// A new globally unique Message-ID value "<random-hex.unix-time@domain>" where domain is
// taken from the From address (or "tiendo.invalid").
std::string make_message_id(const EmailMessage& message,
                            std::chrono::system_clock::time_point date);

struct SmtpSettings {
  std::string url;  // smtp://host:port or smtps://host:port
  // smtp:// only: true means STARTTLS or fail before anything else is sent
  // (CURLUSESSL_ALL); false means plain text (CURLUSESSL_NONE).
  bool require_starttls = true;
  // AUTH with the values of these environment variables, when the first one is set.
  std::string username_env = "TIENDO_SMTP_USER";
  std::string password_env = "TIENDO_SMTP_PASSWORD";
  // Where those variables, and no_proxy, are read from.
  Getenv getenv = std::getenv;
  std::chrono::milliseconds connect_timeout{10000};
  std::chrono::milliseconds total_timeout{60000};
  // A PEM file of the certificate authorities the server's certificate (STARTTLS or
  // smtps://) must chain to, instead of the system's; empty: the system's. Certificates
  // are verified either way.
  std::string ca_file;
};

struct SmtpResult {
  Outcome outcome = Outcome::retry;
  long reply_code = 0;  // last SMTP reply code (CURLINFO_RESPONSE_CODE), 0 if none
  std::string error;    // one line for people, empty when delivered; never the password
};

// Sends an already rendered message (render_email) from the address in message.from to
// every address in message.to through libcurl's SMTP client. Delivered only when every
// recipient was accepted. SMTP 4xx replies and transport failures (refused connection,
// timeouts, TLS) are worth retrying; 5xx replies, a malformed URL or message are not.
// Never throws.
SmtpResult send_email(const SmtpSettings& settings, const EmailMessage& message,
                      std::string_view rendered);

}  // namespace tiendo::notify

#include "notify/email.hpp"

#include <curl/curl.h>
#include <fmt/format.h>
#include <openssl/rand.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <memory>
#include <mutex>
#include <random>

#include "util/text.hpp"

namespace tiendo::notify {

namespace {

// RFC 2047 section 2: an encoded word is at most 75 characters. RFC 5322 section 2.1.1:
// lines should be at most 78 characters without the CRLF.
constexpr std::size_t kMaxEncodedWord = 75;
constexpr std::size_t kMaxLine = 78;
constexpr std::string_view kWordStart = "=?UTF-8?B?";
constexpr std::string_view kWordEnd = "?=";
constexpr std::string_view kFold = "\r\n ";
// RFC 2045 section 6.8.
constexpr std::size_t kBase64Line = 76;
// Enough of a server's reply to say why ("550 5.1.1 <x@y>: Recipient address rejected:
// User unknown in virtual mailbox table"), and no more of whatever else it says.
constexpr std::size_t kShownReply = 200;

std::string base64(std::string_view data) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((data.size() + 2) / 3 * 4);
  std::size_t i = 0;
  const auto byte = [&](std::size_t k) {
    return static_cast<std::uint32_t>(std::uint8_t(data[k]));
  };
  for (; i + 3 <= data.size(); i += 3) {
    const std::uint32_t n = byte(i) << 16 | byte(i + 1) << 8 | byte(i + 2);
    out += kAlphabet[n >> 18 & 63];
    out += kAlphabet[n >> 12 & 63];
    out += kAlphabet[n >> 6 & 63];
    out += kAlphabet[n & 63];
  }
  if (const std::size_t rest = data.size() - i; rest > 0) {
    const std::uint32_t n = byte(i) << 16 | (rest == 2 ? byte(i + 1) << 8 : 0);
    out += kAlphabet[n >> 18 & 63];
    out += kAlphabet[n >> 12 & 63];
    out += rest == 2 ? kAlphabet[n >> 6 & 63] : '=';
    out += '=';
  }
  return out;
}

bool is_printable_ascii(char c) { return c >= 0x20 && c <= 0x7E; }

// Text a decoder would show as it is: printable ASCII, and no "=?" that could be
// mistaken for the start of an encoded word.
bool is_plain_header_text(std::string_view text) {
  return std::all_of(text.begin(), text.end(), is_printable_ascii) &&
         text.find("=?") == std::string_view::npos;
}

// Encoded words for `text`, the first at most `first_limit` characters (it shares its
// line with the field name), the others at most 75 after the folding space.
std::string encode_words(std::string_view text, std::size_t first_limit) {
  const std::size_t overhead = kWordStart.size() + kWordEnd.size();
  // Room for at least one four-byte sequence, whatever the caller asked.
  std::size_t limit = std::clamp(first_limit, overhead + 8, kMaxEncodedWord);
  std::string out;
  std::size_t pos = 0;
  while (pos < text.size()) {
    const std::size_t max_bytes = (limit - overhead) / 4 * 3;
    std::size_t end = pos;
    while (end < text.size()) {
      std::size_t next = end;
      util::decode_utf8(text, next);
      if (next - pos > max_bytes) break;
      end = next;
    }
    if (!out.empty()) out += kFold;
    out += kWordStart;
    out += base64(text.substr(pos, end - pos));
    out += kWordEnd;
    pos = end;
    limit = kMaxEncodedWord;
  }
  return out;
}

// Characters after the last line break of `text`.
std::size_t last_line_length(std::string_view text) {
  const std::size_t newline = text.rfind('\n');
  return newline == std::string_view::npos ? text.size() : text.size() - newline - 1;
}

std::string without_controls(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (static_cast<unsigned char>(c) >= 0x20 && c != 0x7F) out += c;
  }
  return out;
}

// Addresses are trimmed of spaces only.
std::string_view trim(std::string_view text) { return util::trim(text, " "); }

struct Mailbox {
  std::string display_name;
  std::string address;
};

// "Name <address>", "\"Name\" <address>" or a bare address.
Mailbox parse_mailbox(std::string_view text) {
  const std::string clean = without_controls(text);
  const std::string_view view = clean;
  Mailbox mailbox;
  const std::size_t open = view.rfind('<');
  const std::size_t close = open == std::string_view::npos ? open : view.find('>', open);
  if (close == std::string_view::npos) {
    mailbox.address = trim(view);
    return mailbox;
  }
  mailbox.address = trim(view.substr(open + 1, close - open - 1));
  std::string_view name = trim(view.substr(0, open));
  if (name.size() >= 2 && name.front() == '"' && name.back() == '"') {
    name = name.substr(1, name.size() - 2);
    for (std::size_t i = 0; i < name.size(); ++i) {
      if (name[i] == '\\' && i + 1 < name.size()) ++i;
      mailbox.display_name += name[i];
    }
  } else {
    mailbox.display_name = name;
  }
  return mailbox;
}

// RFC 5322 atext plus the spaces between words.
bool is_atext_phrase(std::string_view text) {
  static constexpr std::string_view kSpecials = "!#$%&'*+-/=?^_`{|}~ ";
  return std::all_of(text.begin(), text.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           kSpecials.find(c) != std::string_view::npos;
  });
}

std::string from_field(std::string_view from) {
  const Mailbox mailbox = parse_mailbox(from);
  std::string out = "From: ";
  if (mailbox.display_name.empty()) return out + mailbox.address;
  const std::string_view name = mailbox.display_name;
  if (is_plain_header_text(name) && is_atext_phrase(name)) {
    out += name;
  } else if (is_plain_header_text(name)) {
    out += '"';
    for (char c : name) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  } else {
    out += encode_words(name, kMaxLine - out.size());
  }
  const std::string angle = "<" + mailbox.address + ">";
  out += last_line_length(out) + 1 + angle.size() > kMaxLine ? kFold : " ";
  return out + angle;
}

std::string to_field(const std::vector<std::string>& to) {
  if (to.empty()) return "To: undisclosed-recipients:;";
  std::string out = "To:";
  std::size_t column = out.size();
  for (std::size_t i = 0; i < to.size(); ++i) {
    const std::string piece = without_controls(trim(to[i])) + (i + 1 < to.size() ? "," : "");
    if (i > 0 && column + 1 + piece.size() > kMaxLine) {
      out += "\r\n";
      column = 0;
    }
    out += ' ';
    out += piece;
    column += 1 + piece.size();
  }
  return out;
}

std::string subject_field(std::string_view subject) {
  std::string out = "Subject:";
  if (subject.empty()) return out;
  out += ' ';
  // Plain text only when it survives unchanged: parsers drop the space that starts a
  // field body, transports may drop trailing spaces, and a long line would need folding
  // at spaces that may not be there.
  if (is_plain_header_text(subject) && subject.front() != ' ' && subject.back() != ' ' &&
      out.size() + subject.size() <= kMaxLine) {
    return out += subject;
  }
  return out += encode_words(subject, kMaxLine - out.size());
}

std::string date_field(std::chrono::system_clock::time_point date) {
  using namespace std::chrono;
  static constexpr std::array<const char*, 7> kWeekdays = {"Sun", "Mon", "Tue", "Wed",
                                                           "Thu", "Fri", "Sat"};
  static constexpr std::array<const char*, 12> kMonths = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                          "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  const auto seconds = floor<std::chrono::seconds>(date);
  const auto day = floor<days>(seconds);
  const year_month_day ymd{day};
  const hh_mm_ss time{seconds - day};
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "Date: %s, %02u %s %04d %02d:%02d:%02d +0000",
                kWeekdays[weekday{day}.c_encoding()], static_cast<unsigned>(ymd.day()),
                kMonths[static_cast<unsigned>(ymd.month()) - 1], static_cast<int>(ymd.year()),
                static_cast<int>(time.hours().count()), static_cast<int>(time.minutes().count()),
                static_cast<int>(time.seconds().count()));
  return buffer;
}

std::string message_id_field(std::string_view message_id) {
  std::string id;
  for (char c : message_id) {
    if (c > 0x20 && c < 0x7F) id += c;
  }
  if (id.empty() || id.front() != '<') id = "<" + id + ">";
  return "Message-ID: " + id;
}

std::uint64_t fnv1a(std::string_view text, std::uint64_t hash = 0xcbf29ce484222325ULL) {
  for (char c : text) {
    hash ^= static_cast<std::uint8_t>(c);
    hash *= 0x100000001b3ULL;
  }
  return hash;
}

std::string hex(const unsigned char* bytes, std::size_t size) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (std::size_t i = 0; i < size; ++i) {
    out += kDigits[bytes[i] >> 4];
    out += kDigits[bytes[i] & 15];
  }
  return out;
}

// MIME text is canonical with CRLF line breaks (RFC 2046 section 4.1.1), also inside
// base64.
std::string crlf_lines(std::string_view text) {
  std::string out;
  out.reserve(text.size() + text.size() / 32);
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\r') {
      if (i + 1 < text.size() && text[i + 1] == '\n') ++i;
      out += "\r\n";
    } else if (text[i] == '\n') {
      out += "\r\n";
    } else {
      out += text[i];
    }
  }
  return out;
}

void append_part(std::string& out, std::string_view boundary, std::string_view type,
                 std::string_view body) {
  out += "--";
  out += boundary;
  out += "\r\nContent-Type: ";
  out += type;
  out += "; charset=UTF-8\r\nContent-Transfer-Encoding: base64\r\n\r\n";
  const std::string encoded = base64(crlf_lines(body));
  for (std::size_t i = 0; i < encoded.size(); i += kBase64Line) {
    out += std::string_view(encoded).substr(i, kBase64Line);
    out += "\r\n";
  }
  // An empty body still needs the line break that belongs to the next delimiter.
  if (encoded.empty()) out += "\r\n";
}

// ---------------------------------------------------------------------------------------
// Sending.

struct Upload {
  std::string_view data;
  std::size_t offset = 0;
};

std::size_t read_upload(char* buffer, std::size_t size, std::size_t count, void* user) {
  auto* upload = static_cast<Upload*>(user);
  const std::size_t n = std::min(size * count, upload->data.size() - upload->offset);
  std::memcpy(buffer, upload->data.data() + upload->offset, n);
  upload->offset += n;
  return n;
}

// libcurl reports only the reply code; the server's own words ("5.1.1 no such user")
// are what a person needs. Keep the last 4xx or 5xx reply line: the last reply of all
// is usually the answer to the QUIT that libcurl sends after a failure.
int remember_reply(CURL*, curl_infotype type, char* data, std::size_t size, void* user) {
  if (type != CURLINFO_HEADER_IN) return 0;
  std::string_view text(data, size);
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.remove_suffix(1);
  if (const std::size_t newline = text.rfind('\n'); newline != std::string_view::npos) {
    text.remove_prefix(newline + 1);
  }
  if (!text.empty() && (text.front() == '4' || text.front() == '5')) {
    *static_cast<std::string*>(user) = util::cap_for_display(text, kShownReply);
  }
  return 0;
}

struct CurlDeleter {
  void operator()(CURL* curl) const { curl_easy_cleanup(curl); }
};
struct SlistDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};

CURLcode global_init() {
  static std::once_flag once;
  static CURLcode code = CURLE_OK;
  std::call_once(once, [] { code = curl_global_init(CURL_GLOBAL_DEFAULT); });
  return code;
}

bool starts_with_ignoring_case(std::string_view text, std::string_view prefix) {
  if (text.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    char c = text[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != prefix[i]) return false;
  }
  return true;
}

// The password in "smtp://user:password@host", if the URL has one.
std::string url_password(std::string_view url) {
  const std::size_t scheme = url.find("://");
  if (scheme == std::string_view::npos) return {};
  std::string_view rest = url.substr(scheme + 3);
  rest = rest.substr(0, rest.find('/'));
  const std::size_t at = rest.rfind('@');
  if (at == std::string_view::npos) return {};
  const std::size_t colon = rest.substr(0, at).find(':');
  if (colon == std::string_view::npos) return {};
  return std::string(rest.substr(colon + 1, at - colon - 1));
}

// One line, without any secret, escaped and capped.
std::string for_people(std::string text, const std::vector<std::string>& secrets) {
  for (const std::string& secret : secrets) {
    if (secret.empty()) continue;
    for (std::size_t at = text.find(secret); at != std::string::npos;
         at = text.find(secret, at + 3)) {
      text.replace(at, secret.size(), "***");
    }
  }
  std::replace_if(
      text.begin(), text.end(), [](char c) { return c == '\r' || c == '\n'; }, ' ');
  return util::cap_for_display(text, kMaxErrorBytes);
}

SmtpResult result(Outcome outcome, long reply_code, std::string error) {
  SmtpResult out;
  out.outcome = outcome;
  out.reply_code = reply_code;
  out.error = std::move(error);
  return out;
}

SmtpResult send(const SmtpSettings& settings, const EmailMessage& message,
                std::string_view rendered) {
  if (!starts_with_ignoring_case(settings.url, "smtp://") &&
      !starts_with_ignoring_case(settings.url, "smtps://")) {
    return result(Outcome::reject, 0, "the SMTP URL must start with smtp:// or smtps://");
  }
  const std::string sender = parse_mailbox(message.from).address;
  if (sender.empty()) return result(Outcome::reject, 0, "the e-mail has no sender address");
  if (message.to.empty()) return result(Outcome::reject, 0, "the e-mail has no recipients");

  if (const CURLcode code = global_init(); code != CURLE_OK) {
    return result(Outcome::retry, 0,
                  std::string("cannot initialise libcurl: ") + curl_easy_strerror(code));
  }
  const std::unique_ptr<CURL, CurlDeleter> curl(curl_easy_init());
  if (!curl) return result(Outcome::retry, 0, "cannot initialise libcurl");

  std::unique_ptr<curl_slist, SlistDeleter> recipients;
  for (const std::string& to : message.to) {
    const std::string address = "<" + without_controls(trim(to)) + ">";
    curl_slist* appended = curl_slist_append(recipients.get(), address.c_str());
    if (!appended) return result(Outcome::retry, 0, "out of memory");
    (void)recipients.release();
    recipients.reset(appended);
  }

  const char* username = settings.getenv(settings.username_env.c_str());
  const char* password = username ? settings.getenv(settings.password_env.c_str()) : nullptr;
  const std::vector<std::string> secrets = {password ? password : "", url_password(settings.url)};

  char error_buffer[CURL_ERROR_SIZE] = {};
  std::string last_reply;
  Upload upload{rendered};
  const std::string mail_from = "<" + sender + ">";
  CURL* handle = curl.get();
  CURLcode setup = CURLE_OK;
  const auto set = [&](CURLoption option, auto value) {
    if (setup == CURLE_OK) setup = curl_easy_setopt(handle, option, value);
  };
  set(CURLOPT_ERRORBUFFER, error_buffer);
  set(CURLOPT_URL, settings.url.c_str());
  set(CURLOPT_PROTOCOLS_STR, "smtp,smtps");
  set(CURLOPT_NOSIGNAL, 1L);
  // A proxy from the environment (all_proxy) can never reach a loopback mail server.
  const std::string no_proxy = loopback_no_proxy(settings.getenv);
  set(CURLOPT_NOPROXY, no_proxy.c_str());
  set(CURLOPT_MAIL_FROM, mail_from.c_str());
  set(CURLOPT_MAIL_RCPT, recipients.get());
  set(CURLOPT_READFUNCTION, &read_upload);
  set(CURLOPT_READDATA, static_cast<void*>(&upload));
  set(CURLOPT_UPLOAD, 1L);
  set(CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(rendered.size()));
  set(CURLOPT_USE_SSL,
      static_cast<long>(settings.require_starttls ? CURLUSESSL_ALL : CURLUSESSL_NONE));
  set(CURLOPT_SSL_VERIFYPEER, 1L);
  set(CURLOPT_SSL_VERIFYHOST, 2L);
  if (!settings.ca_file.empty()) {
    // Exactly these authorities: the system's directory of them is not searched as well.
    set(CURLOPT_CAINFO, settings.ca_file.c_str());
    set(CURLOPT_CAPATH, static_cast<const char*>(nullptr));
  }
  set(CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(settings.connect_timeout.count()));
  set(CURLOPT_TIMEOUT_MS, static_cast<long>(settings.total_timeout.count()));
  // Verbose only feeds remember_reply; nothing is printed.
  set(CURLOPT_DEBUGFUNCTION, &remember_reply);
  set(CURLOPT_DEBUGDATA, static_cast<void*>(&last_reply));
  set(CURLOPT_VERBOSE, 1L);
  if (username) {
    set(CURLOPT_USERNAME, username);
    set(CURLOPT_PASSWORD, password ? password : "");
  }
  if (setup != CURLE_OK) {
    return result(setup == CURLE_OUT_OF_MEMORY ? Outcome::retry : Outcome::reject, 0,
                  std::string("cannot set up the SMTP transfer: ") + curl_easy_strerror(setup));
  }

  const CURLcode code = curl_easy_perform(handle);
  long reply_code = 0;
  if (curl_easy_getinfo(handle, CURLINFO_RESPONSE_CODE, &reply_code) != CURLE_OK) reply_code = 0;
  if (code == CURLE_OK) return result(Outcome::delivered, reply_code, "");

  std::string error = error_buffer[0] ? error_buffer : curl_easy_strerror(code);
  if (reply_code >= 400 && last_reply.starts_with(std::to_string(reply_code))) {
    error += " (server said: " + last_reply + ")";
  }
  Outcome outcome = Outcome::retry;
  if (code == CURLE_USE_SSL_FAILED) {
    error = reply_code >= 400 ? "the SMTP server refused STARTTLS (" + error + ")"
                              : "the SMTP server does not offer STARTTLS";
    error += "; nothing was sent in plain text";
  } else if (code == CURLE_LOGIN_DENIED) {
    // Names where the credentials came from, never what they are.
    error = fmt::format("the SMTP server refused the login of {}: {}",
                        username ? fmt::format("the user and password in {} and {}",
                                               settings.username_env, settings.password_env)
                                 : std::string("the user and password in the SMTP URL"),
                        error);
    outcome = reply_code >= 400 && reply_code < 500 ? Outcome::retry : Outcome::reject;
  } else if (code == CURLE_URL_MALFORMAT || code == CURLE_UNSUPPORTED_PROTOCOL) {
    outcome = Outcome::reject;
  } else if (reply_code >= 500 && reply_code <= 599) {
    outcome = Outcome::reject;
  }
  if (reply_code == 530 && !username && url_password(settings.url).empty()) {
    error += fmt::format("; the server requires AUTH: set {} and {}", settings.username_env,
                         settings.password_env);
  }
  return result(outcome, reply_code, for_people(std::move(error), secrets));
}

}  // namespace

std::string encode_header_text(std::string_view utf8) {
  if (is_plain_header_text(utf8)) return std::string(utf8);
  return encode_words(utf8, kMaxEncodedWord);
}

std::string render_email(const EmailMessage& message, std::string_view message_id,
                         std::chrono::system_clock::time_point date) {
  // "=_" cannot occur in base64 text nor in the part headers written here (RFC 2045
  // section 6.7 recommends it for this reason), so no body can contain the boundary.
  std::uint64_t hash = fnv1a(message_id);
  hash = fnv1a(message.text, hash);
  hash = fnv1a(message.html, hash);
  const auto* hash_bytes = reinterpret_cast<const unsigned char*>(&hash);
  const std::string boundary = "=_tiendo_" + hex(hash_bytes, sizeof hash);

  std::string out;
  out.reserve(1024 + (message.text.size() + message.html.size()) * 14 / 10);
  for (const std::string& field :
       {from_field(message.from), to_field(message.to), subject_field(message.subject),
        date_field(date), message_id_field(message_id), std::string("MIME-Version: 1.0"),
        "Content-Type: multipart/alternative;\r\n boundary=\"" + boundary + "\""}) {
    out += field;
    out += "\r\n";
  }
  out += "\r\n";
  append_part(out, boundary, "text/plain", message.text);
  append_part(out, boundary, "text/html", message.html);
  out += "--" + boundary + "--\r\n";
  return out;
}

std::string make_message_id(const EmailMessage& message,
                            std::chrono::system_clock::time_point date) {
  std::array<unsigned char, 16> random{};
  if (RAND_bytes(random.data(), static_cast<int>(random.size())) != 1) {
    std::random_device device;
    for (unsigned char& byte : random) byte = static_cast<unsigned char>(device());
  }
  const std::string address = parse_mailbox(message.from).address;
  std::string domain;
  if (const std::size_t at = address.rfind('@'); at != std::string::npos) {
    for (char c : address.substr(at + 1)) {
      if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
          c == '.') {
        domain += c;
      }
    }
  }
  if (domain.empty()) domain = "tiendo.invalid";
  const auto seconds =
      std::chrono::duration_cast<std::chrono::seconds>(date.time_since_epoch()).count();
  return "<" + hex(random.data(), random.size()) + "." + std::to_string(seconds) + "@" + domain +
         ">";
}

SmtpResult send_email(const SmtpSettings& settings, const EmailMessage& message,
                      std::string_view rendered) {
  try {
    return send(settings, message, rendered);
  } catch (const std::exception& e) {
    return result(Outcome::retry, 0, std::string("cannot send the e-mail: ") + e.what());
  } catch (...) {
    return result(Outcome::retry, 0, "cannot send the e-mail");
  }
}

}  // namespace tiendo::notify

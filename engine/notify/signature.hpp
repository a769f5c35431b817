// Signatures in the Standard Webhooks form (https://www.standardwebhooks.com), so that a
// receiver can check a webhook with any of that project's libraries: the headers
// webhook-id, webhook-timestamp and webhook-signature, where the signature is
// "v1,<base64 of HMAC-SHA256(key, id + "." + timestamp + "." + body)>".
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace tiendo::notify {

// Standard base64 (RFC 4648 section 4) with padding.
std::string base64_encode(std::string_view bytes);
// Nullopt unless `text` is whole base64: a multiple of four characters of the standard
// alphabet, with at most two '=' and only at the end. No whitespace is skipped.
std::optional<std::string> base64_decode(std::string_view text);

struct WebhookSecret {
  std::string key;  // the raw bytes the HMAC is keyed with
};

// Reads "whsec_<base64>", the form Standard Webhooks libraries take and print. On
// failure `*error` (when not null) says what is wrong without repeating the secret,
// since messages end up in logs.
std::optional<WebhookSecret> parse_webhook_secret(std::string_view text, std::string* error);

// The value of the webhook-signature header.
std::string sign_webhook(const WebhookSecret& secret, std::string_view id, std::int64_t timestamp,
                         std::string_view body);

enum class WebhookCheck {
  ok,
  malformed,      // an empty id, a timestamp that is not a decimal number, no signature
  bad_signature,  // no v1 signature in the header matches
  too_old,        // authentic, but signed more than the tolerance before `now`
  too_new,        // authentic, but signed more than the tolerance after `now`
};

std::string_view to_string(WebhookCheck check);

// Checks a received webhook. `signature_header` may hold several space-separated
// "<version>,<signature>" entries (a sender rotating its secret signs with both); one
// matching v1 entry is enough. The signature is checked before the timestamp, so
// too_old and too_new mean the message itself is genuine.
WebhookCheck verify_webhook(const WebhookSecret& secret, std::string_view id,
                            std::string_view timestamp_header, std::string_view signature_header,
                            std::string_view body, std::int64_t now,
                            std::int64_t tolerance_seconds = 300);

}  // namespace tiendo::notify

#include "notify/signature.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstddef>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace tiendo::notify {

namespace {

constexpr std::string_view kSecretPrefix = "whsec_";
constexpr std::size_t kMacSize = 32;  // SHA-256
using Mac = std::array<unsigned char, kMacSize>;

bool is_base64_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
         c == '/';
}

const unsigned char* bytes_of(std::string_view text) {
  return reinterpret_cast<const unsigned char*>(text.data());
}

std::optional<Mac> webhook_mac(std::string_view key, std::string_view id, std::int64_t timestamp,
                               std::string_view body) {
  std::string content;
  content.reserve(id.size() + body.size() + 22);
  content.append(id).append(".").append(std::to_string(timestamp)).append(".").append(body);
  Mac mac{};
  std::size_t size = 0;
  if (EVP_Q_mac(nullptr, "HMAC", nullptr, "SHA256", nullptr, key.data(), key.size(),
                bytes_of(content), content.size(), mac.data(), mac.size(), &size) == nullptr ||
      size != kMacSize) {
    return std::nullopt;
  }
  return mac;
}

// Digits only: a sign, spaces or a fraction are not something a sender produces.
std::optional<std::int64_t> parse_timestamp(std::string_view text) {
  if (text.empty() ||
      !std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return std::nullopt;
  }
  std::int64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

}  // namespace

std::string base64_encode(std::string_view bytes) {
  // EVP_EncodeBlock counts in int; chunks of whole three-byte groups join without padding.
  constexpr std::size_t kChunk = 3 * 16384;
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  for (std::size_t pos = 0; pos < bytes.size(); pos += kChunk) {
    const std::size_t n = std::min(kChunk, bytes.size() - pos);
    const std::size_t start = out.size();
    out.resize(start + (n + 2) / 3 * 4 + 1);  // EVP_EncodeBlock writes a trailing NUL
    const int written = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data() + start),
                                        bytes_of(bytes) + pos, static_cast<int>(n));
    out.resize(start + static_cast<std::size_t>(std::max(written, 0)));
  }
  return out;
}

std::optional<std::string> base64_decode(std::string_view text) {
  // EVP_DecodeBlock skips surrounding whitespace, accepts '=' in the middle and keeps
  // padding as zero bytes, so the text is checked here and the padding taken off after.
  if (text.size() % 4 != 0) return std::nullopt;
  std::size_t padding = 0;
  while (padding < text.size() && text[text.size() - 1 - padding] == '=') ++padding;
  if (padding > 2) return std::nullopt;
  const std::string_view data = text.substr(0, text.size() - padding);
  if (!std::all_of(data.begin(), data.end(), is_base64_char)) return std::nullopt;

  constexpr std::size_t kChunk = 4 * 16384;
  std::string out;
  out.reserve(text.size() / 4 * 3);
  for (std::size_t pos = 0; pos < text.size(); pos += kChunk) {
    const std::size_t n = std::min(kChunk, text.size() - pos);
    const std::size_t start = out.size();
    out.resize(start + n / 4 * 3);
    const int written = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data() + start),
                                        bytes_of(text) + pos, static_cast<int>(n));
    if (written < 0 || static_cast<std::size_t>(written) != n / 4 * 3) return std::nullopt;
  }
  out.resize(out.size() - padding);
  return out;
}

std::optional<WebhookSecret> parse_webhook_secret(std::string_view text, std::string* error) {
  const auto fail = [error](std::string message) -> std::optional<WebhookSecret> {
    if (error != nullptr) *error = std::move(message);
    return std::nullopt;
  };
  if (!text.starts_with(kSecretPrefix)) {
    return fail("a webhook secret starts with \"whsec_\" followed by base64");
  }
  const std::string_view encoded = text.substr(kSecretPrefix.size());
  if (encoded.empty()) return fail("the webhook secret has nothing after \"whsec_\"");
  auto key = base64_decode(encoded);
  if (!key) {
    return fail(
        "the webhook secret is not valid base64 after \"whsec_\" (standard alphabet, "
        "padded with '=', no spaces or line breaks)");
  }
  return WebhookSecret{std::move(*key)};
}

std::string sign_webhook(const WebhookSecret& secret, std::string_view id, std::int64_t timestamp,
                         std::string_view body) {
  const auto mac = webhook_mac(secret.key, id, timestamp, body);
  // Only OpenSSL itself failing (no memory, no SHA-256 provider) gets here; an empty
  // signature would go out and fail at every receiver, so this is louder.
  if (!mac) throw std::runtime_error("OpenSSL could not compute HMAC-SHA256");
  std::string signature = "v1,";
  signature +=
      base64_encode(std::string_view(reinterpret_cast<const char*>(mac->data()), mac->size()));
  return signature;
}

std::string_view to_string(WebhookCheck check) {
  static constexpr std::string_view kNames[] = {"ok", "malformed", "bad_signature", "too_old",
                                                "too_new"};
  return kNames[static_cast<int>(check)];
}

WebhookCheck verify_webhook(const WebhookSecret& secret, std::string_view id,
                            std::string_view timestamp_header, std::string_view signature_header,
                            std::string_view body, std::int64_t now,
                            std::int64_t tolerance_seconds) {
  const auto timestamp = parse_timestamp(timestamp_header);
  if (id.empty() || !timestamp) return WebhookCheck::malformed;

  // Entries that are not "<version>,<value>" are skipped rather than failing the whole
  // header, as the reference libraries do; a header with no entry at all is malformed.
  std::vector<std::string_view> v1_signatures;
  bool any_entry = false;
  std::size_t pos = 0;
  while (pos < signature_header.size()) {
    std::size_t end = signature_header.find(' ', pos);
    if (end == std::string_view::npos) end = signature_header.size();
    const std::string_view entry = signature_header.substr(pos, end - pos);
    pos = end + 1;
    const std::size_t comma = entry.find(',');
    if (comma == std::string_view::npos || comma == 0 || comma + 1 == entry.size()) continue;
    any_entry = true;
    if (entry.substr(0, comma) == "v1") v1_signatures.push_back(entry.substr(comma + 1));
  }
  if (!any_entry) return WebhookCheck::malformed;

  const auto expected = webhook_mac(secret.key, id, *timestamp, body);
  if (!expected) return WebhookCheck::bad_signature;  // fail closed
  const bool matched =
      std::any_of(v1_signatures.begin(), v1_signatures.end(), [&](std::string_view text) {
        const auto given = base64_decode(text);
        return given && given->size() == kMacSize &&
               CRYPTO_memcmp(given->data(), expected->data(), kMacSize) == 0;
      });
  if (!matched) return WebhookCheck::bad_signature;

  // Unsigned differences: `now` comes from the caller and the timestamp may be as large
  // as int64 allows, so a plain subtraction could overflow.
  const auto tolerance = static_cast<std::uint64_t>(std::max<std::int64_t>(tolerance_seconds, 0));
  if (*timestamp<now&& static_cast<std::uint64_t>(now) - static_cast<std::uint64_t>(*timestamp)>
          tolerance) {
    return WebhookCheck::too_old;
  }
  if (*timestamp > now &&
      static_cast<std::uint64_t>(*timestamp) - static_cast<std::uint64_t>(now) > tolerance) {
    return WebhookCheck::too_new;
  }
  return WebhookCheck::ok;
}

}  // namespace tiendo::notify

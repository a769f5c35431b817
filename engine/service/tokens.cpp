#include "service/tokens.hpp"

#include <fmt/format.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <map>

namespace tiendo::service {

namespace {

constexpr std::string_view kTokenPrefix = "tdo_";
constexpr std::string_view kHashPrefix = "sha256:";
constexpr std::size_t kMaxIdLength = 64;
constexpr std::string_view kLineShape = "`<id> <scope> sha256:<64 lowercase hex digits>`";

using Digest = std::array<unsigned char, 32>;

std::optional<Digest> sha256(std::string_view bytes) {
  Digest digest{};
  unsigned int size = 0;
  if (EVP_Digest(bytes.data(), bytes.size(), digest.data(), &size, EVP_sha256(), nullptr) != 1 ||
      size != digest.size()) {
    return std::nullopt;
  }
  return digest;
}

bool is_blank(char c) { return c == ' ' || c == '\t'; }

std::vector<std::string_view> split_fields(std::string_view line) {
  std::vector<std::string_view> fields;
  std::size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && is_blank(line[i])) ++i;
    const std::size_t start = i;
    while (i < line.size() && !is_blank(line[i])) ++i;
    if (i > start) fields.push_back(line.substr(start, i - start));
  }
  return fields;
}

bool is_id_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == '-';
}

// Why `id` cannot name a token, or nullopt when it can. Never called on "tdo_..." ids:
// the caller reports those as pasted tokens.
std::optional<std::string> id_problem(std::string_view id) {
  if (id.size() > kMaxIdLength) {
    return fmt::format("the id is {} characters long; the most is {}", id.size(), kMaxIdLength);
  }
  for (char c : id) {
    if (!is_id_char(c)) {
      return fmt::format("the id '{}' may hold only letters A-Z a-z, digits, '.', '_' and '-'", id);
    }
  }
  return std::nullopt;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

// The digest that `text` spells, or why it does not. The text itself is not repeated:
// the messages say what is expected instead.
std::optional<Digest> parse_hash(std::string_view text, std::string& problem) {
  const std::string expected =
      "expected sha256: then 64 lowercase hex digits, as `tiendo token hash` prints it";
  if (!text.starts_with(kHashPrefix)) {
    problem = "the third field is not a hash: " + expected;
    return std::nullopt;
  }
  const std::string_view hex = text.substr(kHashPrefix.size());
  if (hex.size() != 64) {
    problem = fmt::format("the hash has {} characters after sha256:; {}", hex.size(), expected);
    return std::nullopt;
  }
  Digest digest{};
  for (std::size_t i = 0; i < digest.size(); ++i) {
    const int high = hex_value(hex[2 * i]);
    const int low = hex_value(hex[2 * i + 1]);
    if (high < 0 || low < 0) {
      const bool upper =
          std::any_of(hex.begin(), hex.end(), [](char c) { return c >= 'A' && c <= 'F'; });
      problem = upper ? "the hash has uppercase hex digits; " + expected
                      : "the hash has a character that is not a hex digit; " + expected;
      return std::nullopt;
    }
    digest[i] = static_cast<unsigned char>(high * 16 + low);
  }
  return digest;
}

std::string hex_text(const Digest& digest) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(2 * digest.size());
  for (unsigned char byte : digest) {
    out += kDigits[byte >> 4];
    out += kDigits[byte & 0x0f];
  }
  return out;
}

}  // namespace

std::string_view to_string(Scope scope) {
  switch (scope) {
    case Scope::read:
      return "read";
    case Scope::write:
      return "write";
    case Scope::admin:
      return "admin";
    case Scope::rules:
      return "rules";
  }
  return "read";
}

std::optional<Scope> parse_scope(std::string_view text) {
  for (Scope scope : {Scope::read, Scope::write, Scope::rules, Scope::admin}) {
    if (text == to_string(scope)) return scope;
  }
  return std::nullopt;
}

std::optional<TokenTable> TokenTable::parse(std::string_view text, const std::string& path,
                                            std::vector<ConfigError>& errors) {
  constexpr std::string_view kByteOrderMark = "\xEF\xBB\xBF";
  if (text.starts_with(kByteOrderMark)) text.remove_prefix(kByteOrderMark.size());

  TokenTable table;
  std::map<std::string, std::size_t, std::less<>> id_lines;
  std::map<Digest, std::pair<std::string, std::size_t>> hash_lines;  // id and line
  const std::size_t errors_before = errors.size();
  std::size_t number = 0;
  while (!text.empty()) {
    const std::size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
    ++number;
    if (line.ends_with('\r')) line.remove_suffix(1);

    const auto fields = split_fields(line);
    if (fields.empty() || fields.front().starts_with('#')) continue;
    const auto error = [&](std::string message) {
      errors.push_back({fmt::format("{}:{}", path, number), std::move(message)});
    };
    if (std::any_of(fields.begin(), fields.end(),
                    [](std::string_view f) { return f.starts_with(kTokenPrefix); })) {
      error(
          "this line holds a token (it begins with tdo_): the tokens file holds hashes, not "
          "tokens; use `tiendo token hash`");
      continue;
    }
    if (fields.size() != 3) {
      error(fmt::format("expected {}, found {} field{}", kLineShape, fields.size(),
                        fields.size() == 1 ? "" : "s"));
      continue;
    }
    if (auto problem = id_problem(fields[0])) {
      error(std::move(*problem));
      continue;
    }
    const auto scope = parse_scope(fields[1]);
    if (!scope) {
      error(fmt::format("unknown scope '{}'; the scopes are read, write and admin", fields[1]));
      continue;
    }
    std::string problem;
    const auto digest = parse_hash(fields[2], problem);
    if (!digest) {
      error(std::move(problem));
      continue;
    }
    if (const auto seen = id_lines.find(fields[0]); seen != id_lines.end()) {
      error(fmt::format("the id '{}' is already given on line {}", fields[0], seen->second));
      continue;
    }
    if (const auto seen = hash_lines.find(*digest); seen != hash_lines.end()) {
      error(fmt::format("the same hash as '{}' on line {}: give each client its own token",
                        seen->second.first, seen->second.second));
      continue;
    }
    Token token{std::string(fields[0]), *scope, *digest};
    id_lines.emplace(token.id, number);
    hash_lines.emplace(token.sha256, std::pair{token.id, number});
    table.tokens_.push_back(std::move(token));
  }
  if (errors.size() != errors_before) return std::nullopt;
  return table;
}

std::optional<TokenTable> TokenTable::load(const std::string& path,
                                           std::vector<ConfigError>& errors) {
  std::FILE* file = std::fopen(path.c_str(), "rb");
  if (!file) {
    errors.push_back({path, fmt::format("cannot read the tokens file: {}", std::strerror(errno))});
    return std::nullopt;
  }
  std::string text;
  char buffer[4096];
  std::size_t got = 0;
  while ((got = std::fread(buffer, 1, sizeof buffer, file)) > 0) text.append(buffer, got);
  // A directory opens but does not read (EISDIR).
  const bool failed = std::ferror(file) != 0;
  const int read_errno = errno;
  std::fclose(file);
  if (failed) {
    errors.push_back(
        {path, fmt::format("cannot read the tokens file: {}", std::strerror(read_errno))});
    return std::nullopt;
  }
  return parse(text, path, errors);
}

const Token* TokenTable::authenticate(std::string_view presented) const {
  if (presented.empty()) return nullptr;
  const auto digest = sha256(presented);
  if (!digest) return nullptr;
  // No early exit and no branch on a comparison: `match` is chosen with a mask, so every
  // presented token costs the same whichever entry (if any) it matches. The file's hashes
  // are unique, so at most one entry matches.
  std::size_t match = tokens_.size();
  for (std::size_t i = 0; i < tokens_.size(); ++i) {
    const int differs = CRYPTO_memcmp(tokens_[i].sha256.data(), digest->data(), digest->size());
    const std::size_t mask = static_cast<std::size_t>(0) - static_cast<std::size_t>(differs == 0);
    match = (i & mask) | (match & ~mask);
  }
  return match < tokens_.size() ? &tokens_[match] : nullptr;
}

std::string token_hash_text(std::string_view token) {
  const auto digest = sha256(token);
  if (!digest) return {};
  return std::string(kHashPrefix) + hex_text(*digest);
}

std::string generate_token() {
  std::array<unsigned char, 32> random{};
  if (RAND_bytes(random.data(), static_cast<int>(random.size())) != 1) return {};
  // Base64 of 32 bytes is 44 characters, the last one '=' padding.
  std::array<unsigned char, 45> encoded{};
  const int size = EVP_EncodeBlock(encoded.data(), random.data(), static_cast<int>(random.size()));
  OPENSSL_cleanse(random.data(), random.size());
  std::string token(kTokenPrefix);
  for (int i = 0; i < size; ++i) {
    const char c = static_cast<char>(encoded[static_cast<std::size_t>(i)]);
    if (c == '=') break;
    token += c == '+' ? '-' : c == '/' ? '_' : c;
  }
  OPENSSL_cleanse(encoded.data(), encoded.size());
  return token;
}

}  // namespace tiendo::service

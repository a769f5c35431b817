// Bearer tokens for the HTTP API. The tokens file holds, per token, an id (what the
// request log names), a scope and the SHA-256 of the token — never the token itself, so
// a leaked file or backup grants nothing. Scopes: read (the results, the pages); write
// (read, and data in, evaluations, silences); rules (read, and the rule set's versions:
// the rule editor); admin (everything, reload too).
//
// The tokens file is UTF-8 text, one token a line:
//
//   # who uses it      scope  SHA-256 of the token
//   dashboard-so-tttt  read   sha256:<64 hex digits>
//   ingest.bot         write  sha256:<64 hex digits>
//
// - Blank lines (nothing but spaces and tabs) and lines whose first non-blank character
//   is '#' are ignored. A UTF-8 byte-order mark at the start is ignored; a trailing CR
//   (CRLF line ends) is too.
// - Every other line is exactly three fields separated by spaces or tabs:
//   `<id> <scope> sha256:<64 lowercase hex digits>`.
//   id: 1 to 64 of A-Z a-z 0-9 '.' '_' '-', unique in the file, and not beginning with
//   "tdo_", which is how tokens begin. scope: read, write, rules or admin. The hash is the
//   SHA-256 of the token's bytes, as `tiendo token new` and `tiendo token hash` print it;
//   no two lines may carry the same hash.
// - A line that begins with "tdo_", or a field that does, is a token pasted where its
//   hash belongs, and is an error (whose message never repeats the line).
// - A file with no tokens is valid: it grants nothing.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "service/config.hpp"

namespace tiendo::service {

enum class Scope { read = 1, write = 2, admin = 3, rules = 4 };

// "read", "write", "rules" or "admin".
std::string_view to_string(Scope scope);
// The scope named exactly (lowercase) by `text`, or nullopt.
std::optional<Scope> parse_scope(std::string_view text);
// True when a token of scope `held` may do what needs `needed`.
inline bool grants(Scope held, Scope needed) {
  return held == needed || held == Scope::admin || needed == Scope::read;
}

struct Token {
  std::string id;
  Scope scope = Scope::read;
  std::array<unsigned char, 32> sha256{};
};

// The tokens the API accepts. Immutable once loaded: its const members may be called
// from any number of threads at once.
class TokenTable {
 public:
  // Reads and checks a tokens file. On success returns the table (empty when the file
  // has no tokens). When the file cannot be read, or any line is bad, returns nullopt and
  // appends to `errors` one error per bad line, placed "path:line", or one error placed
  // "path" saying why the file cannot be read.
  static std::optional<TokenTable> load(const std::string& path, std::vector<ConfigError>& errors);
  // The same from text, for tests and callers that read the file themselves; `path`
  // names it in errors.
  static std::optional<TokenTable> parse(std::string_view text, const std::string& path,
                                         std::vector<ConfigError>& errors);

  // The entry whose hash matches the presented token, or null (always for an empty
  // token). The token is hashed once and every entry is compared, in constant time,
  // whatever matches: the time taken says nothing about the tokens. The pointer lives as
  // long as the table.
  const Token* authenticate(std::string_view presented) const;
  std::size_t size() const { return tokens_.size(); }

 private:
  std::vector<Token> tokens_;
};

// "sha256:<64 lowercase hex digits>" of the token's bytes, as a tokens file line carries
// it. Empty only if OpenSSL fails to hash (it does not, short of running out of memory).
std::string token_hash_text(std::string_view token);
// A new random token: "tdo_" then 43 base64url characters without padding (256 bits from
// OpenSSL's RAND_bytes). Empty when the system's random source fails; never a weak token.
std::string generate_token();

}  // namespace tiendo::service

// The Language Server Protocol's plumbing: its base protocol (a Content-Length header,
// then a JSON-RPC message), positions as LSP counts them (lines from 0, characters in
// UTF-16 code units), and file URIs. No editor feature lives here (server.hpp).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "dsl/source.hpp"

namespace tiendo::lsp {

// The largest message accepted: a 16 MiB rules file (dsl::kMaxFileSize) sent whole, with
// room for its JSON escaping.
inline constexpr std::size_t kMaxMessageBytes = 64u << 20;

// Reads one message's body from `fd` (headers, a blank line, Content-Length bytes).
// nullopt at the end of input before a message starts; throws ProtocolError on a
// malformed or truncated message (the stream cannot be followed after one).
struct ProtocolError {
  std::string message;
};
class MessageReader {
 public:
  explicit MessageReader(int fd) : fd_(fd) {}
  std::optional<std::string> next();
  // Whether a byte is waiting already (in the buffer or on the descriptor), so that a
  // change typed right after another is read before the first one is checked.
  bool pending();

 private:
  bool fill();  // false at the end of input
  int fd_;
  std::string buffer_;
  std::size_t start_ = 0;
};

// Writes one message (header and body) to `fd`; false when the other side has gone.
bool write_message(int fd, std::string_view body);

// A position in LSP's terms.
struct Position {
  std::uint32_t line = 0;
  std::uint32_t character = 0;  // UTF-16 code units from the line's start
  bool operator==(const Position&) const = default;
};

// The position of byte `offset` of `file` (clamped to its end); an ill-formed byte counts
// as one code unit, a code point beyond U+FFFF as two.
Position position_of(const dsl::SourceFile& file, std::uint32_t offset);
// The byte offset of `position` in `file`: past the line's end, the line's end (before a
// CR LF); past the last line, the end of the text; inside a surrogate pair, the code
// point's first byte.
std::uint32_t offset_of(const dsl::SourceFile& file, Position position);
// The same on a text that is not in a SourceSet.
std::uint32_t offset_of(std::string_view text, Position position);

// Where a diagnostic at byte `offset` of `file` is drawn: over the name, number, date or
// percentage that starts there, or one character. (The language server's diagnostics and
// the rule editor's, POST /api/v1/rules/check.)
struct Range {
  Position start;
  Position end;
};
Range diagnostic_range(const dsl::SourceFile& file, std::uint32_t offset);

// The name a checker's message suggests ("…; did you mean 'online_report_rate'?"), or
// empty: what a quick fix puts in place.
std::string suggested_name(std::string_view message);

// file:///path with every byte outside RFC 3986's unreserved set and '/' percent-encoded.
std::string uri_of_path(std::string_view absolute_path);
// The path of a file: URI (percent-decoded); nullopt for another scheme or a malformed one.
std::optional<std::string> path_of_uri(std::string_view uri);

}  // namespace tiendo::lsp

// The text of every rules file in a rule set, and the mapping from byte offsets to
// line and column that diagnostics and the AST's positions rely on.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace tiendo::dsl {

struct SourceFile {
  std::string path;  // as given by the user, or relative to the including file
  std::string text;  // the bytes of the file, a leading UTF-8 BOM removed
  std::vector<std::uint32_t> line_starts;  // byte offset of each line's first byte
};

// Line and column are 1-based. The column counts Unicode code points (an invalid byte
// counts as one), so Vietnamese text before a position does not shift it.
struct LineColumn {
  std::uint32_t line = 1;
  std::uint32_t column = 1;
};

// Owns source texts; index 0 is the first file added. Not thread-safe for writes;
// concurrent reads are safe.
class SourceSet {
 public:
  // Adds a file and returns its index. Removes a leading UTF-8 byte-order mark.
  std::uint32_t add(std::string path, std::string text);

  const SourceFile& file(std::uint32_t index) const { return files_.at(index); }
  std::size_t size() const { return files_.size(); }

  LineColumn line_column(std::uint32_t file, std::uint32_t offset) const;

  // The text of a 1-based line, without its line terminator.
  std::string_view line_text(std::uint32_t file, std::uint32_t line) const;

 private:
  std::vector<SourceFile> files_;
};

}  // namespace tiendo::dsl

#include "dsl/source.hpp"

#include <algorithm>

#include "util/text.hpp"

namespace tiendo::dsl {

std::uint32_t SourceSet::add(std::string path, std::string text) {
  if (text.starts_with("\xEF\xBB\xBF")) text.erase(0, 3);
  SourceFile file{std::move(path), std::move(text), {}};
  file.line_starts.push_back(0);
  for (std::size_t i = 0; i < file.text.size(); ++i) {
    if (file.text[i] == '\n') file.line_starts.push_back(static_cast<std::uint32_t>(i + 1));
  }
  files_.push_back(std::move(file));
  return static_cast<std::uint32_t>(files_.size() - 1);
}

LineColumn SourceSet::line_column(std::uint32_t file_index, std::uint32_t offset) const {
  const SourceFile& f = file(file_index);
  offset = std::min<std::uint32_t>(offset, static_cast<std::uint32_t>(f.text.size()));
  const auto it = std::upper_bound(f.line_starts.begin(), f.line_starts.end(), offset);
  const auto line = static_cast<std::uint32_t>(it - f.line_starts.begin());
  const std::uint32_t start = f.line_starts[line - 1];
  const auto before = std::string_view(f.text).substr(start, offset - start);
  return {line, static_cast<std::uint32_t>(util::count_code_points(before) + 1)};
}

std::string_view SourceSet::line_text(std::uint32_t file_index, std::uint32_t line) const {
  const SourceFile& f = file(file_index);
  if (line == 0 || line > f.line_starts.size()) return {};
  const std::uint32_t start = f.line_starts[line - 1];
  std::uint32_t end = line < f.line_starts.size() ? f.line_starts[line] - 1
                                                  : static_cast<std::uint32_t>(f.text.size());
  if (end > start && f.text[end - 1] == '\r') --end;
  return std::string_view(f.text).substr(start, end - start);
}

}  // namespace tiendo::dsl

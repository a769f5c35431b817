#include "lsp/names.hpp"

#include <algorithm>

#include "dsl/keywords.hpp"

namespace tiendo::lsp {

namespace {

bool id_start(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool id_char(char c) { return id_start(c) || (c >= '0' && c <= '9'); }

Span span_of(const dsl::ast::Node& node) { return {node.file, node.begin, node.end}; }

}  // namespace

std::vector<Declared> declarations(const dsl::Program& program) {
  std::vector<Declared> out;
  for (const dsl::ast::File& file : program.files) {
    for (const dsl::ast::Declaration& declaration : file.declarations) {
      if (const auto* block = boost::get<dsl::ast::Block>(&declaration.get())) {
        if (block->name.text.empty()) continue;
        out.push_back({block->name.text, block->kind, span_of(block->name), span_of(*block)});
      } else if (const auto* levels = boost::get<dsl::ast::Levels>(&declaration.get())) {
        for (const dsl::ast::Name& level : levels->names) {
          out.push_back({level.text, "level", span_of(level), span_of(*levels)});
        }
      } else if (const auto* test = boost::get<dsl::ast::TestBlock>(&declaration.get())) {
        out.push_back({test->name.value, "test", span_of(test->name), span_of(*test)});
      }
    }
  }
  return out;
}

std::vector<std::pair<std::uint32_t, std::uint32_t>> identifiers(std::string_view text) {
  std::vector<std::pair<std::uint32_t, std::uint32_t>> out;
  std::size_t i = 0;
  while (i < text.size()) {
    const char c = text[i];
    if (c == '#') {
      while (i < text.size() && text[i] != '\n') ++i;
    } else if (c == '"') {
      ++i;
      while (i < text.size() && text[i] != '"' && text[i] != '\n') i += text[i] == '\\' ? 2 : 1;
      ++i;
    } else if (c >= '0' && c <= '9') {
      // 50%, 2022-12-31, 31/12/2022, 120d, 77.62: one token.
      while (i < text.size() && (id_char(text[i]) || text[i] == '.' || text[i] == '/' ||
                                 text[i] == '-' || text[i] == '%')) {
        ++i;
      }
    } else if (id_start(c)) {
      const std::size_t begin = i;
      while (i < text.size() && id_char(text[i])) ++i;
      out.emplace_back(static_cast<std::uint32_t>(begin), static_cast<std::uint32_t>(i));
    } else {
      ++i;
    }
  }
  return out;
}

std::optional<std::pair<std::uint32_t, std::uint32_t>> identifier_at(std::string_view text,
                                                                     std::uint32_t offset) {
  for (const auto& [begin, end] : identifiers(text)) {
    if (begin <= offset && offset <= end) return std::make_pair(begin, end);
    if (begin > offset) break;
  }
  return std::nullopt;
}

bool valid_name(std::string_view name) {
  if (name.empty() || !id_start(name.front())) return false;
  if (!std::all_of(name.begin(), name.end(), id_char)) return false;
  const auto& reserved = dsl::reserved_words();
  return std::find(reserved.begin(), reserved.end(), name) == reserved.end();
}

}  // namespace tiendo::lsp

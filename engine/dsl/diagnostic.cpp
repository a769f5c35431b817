#include "dsl/diagnostic.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <nlohmann/json.hpp>

#include "util/text.hpp"

namespace tiendo::dsl {

namespace {

struct CodeInfo {
  Code code;
  std::string_view name;
};

constexpr std::array kCodes = {
    CodeInfo{Code::syntax, "syntax"},
    CodeInfo{Code::invalid_utf8, "invalid-utf8"},
    CodeInfo{Code::file_too_large, "file-too-large"},
    CodeInfo{Code::nesting_too_deep, "nesting-too-deep"},
    CodeInfo{Code::name_too_long, "name-too-long"},
    CodeInfo{Code::string_too_long, "string-too-long"},
    CodeInfo{Code::unreadable_file, "unreadable-file"},
    CodeInfo{Code::include_cycle, "include-cycle"},
    CodeInfo{Code::reserved_name, "reserved-name"},
    CodeInfo{Code::duplicate_declaration, "duplicate-declaration"},
    CodeInfo{Code::undefined_name, "undefined-name"},
    CodeInfo{Code::unknown_clause, "unknown-clause"},
    CodeInfo{Code::duplicate_clause, "duplicate-clause"},
    CodeInfo{Code::missing_clause, "missing-clause"},
    CodeInfo{Code::invalid_date, "invalid-date"},
    CodeInfo{Code::invalid_duration, "invalid-duration"},
    CodeInfo{Code::unit_mismatch, "unit-mismatch"},
    CodeInfo{Code::wrong_arguments, "wrong-arguments"},
    CodeInfo{Code::invalid_value, "invalid-value"},
    CodeInfo{Code::graph_cycle, "graph-cycle"},
    CodeInfo{Code::level_order, "level-order"},
    CodeInfo{Code::invalid_number, "invalid-number"},
    CodeInfo{Code::unknown_placeholder, "unknown-placeholder"},
    CodeInfo{Code::unknown_function, "unknown-function"},
    CodeInfo{Code::too_many_errors, "too-many-errors"},
    CodeInfo{Code::after_due_later, "after-due-later"},
    CodeInfo{Code::unused_clause, "unused-clause"},
    CodeInfo{Code::starts_after_due, "starts-after-due"},
    CodeInfo{Code::invalid_row_number, "invalid-row-number"},
    CodeInfo{Code::duplicate_row_number, "duplicate-row-number"},
    CodeInfo{Code::missing_group, "missing-group"},
    CodeInfo{Code::misspelt_label, "misspelt-label"},
};

std::string_view severity_word(Severity severity) {
  switch (severity) {
    case Severity::error:
      return "error";
    case Severity::warning:
      return "warning";
    case Severity::note:
      return "note";
  }
  return "error";
}

std::string_view severity_colour(Severity severity) {
  switch (severity) {
    case Severity::error:
      return "\x1b[1;31m";
    case Severity::warning:
      return "\x1b[1;35m";
    case Severity::note:
      return "\x1b[1;36m";
  }
  return "";
}

// Spaces (and the line's own tabs) up to the caret, so the caret stands under the
// character in a terminal: combining marks take no column, tabs stay tabs.
std::string caret_padding(std::string_view line, std::size_t byte_column) {
  std::string padding;
  std::size_t pos = 0;
  while (pos < std::min(byte_column, line.size())) {
    if (line[pos] == '\t') {
      padding += '\t';
      ++pos;
      continue;
    }
    const char32_t c = util::decode_utf8(line, pos);
    if (!util::is_combining_mark(c)) padding += ' ';
  }
  return padding;
}

void render_into(std::string& out, const Diagnostic& d, const SourceSet& sources,
                 RenderOptions options) {
  const char* bold = options.color ? "\x1b[1m" : "";
  const char* reset = options.color ? "\x1b[0m" : "";
  const std::string_view colour = options.color ? severity_colour(d.severity) : "";
  const std::string suffix = d.severity == Severity::note ? "" : " [" + code_id(d.code) + "]";
  if (!d.location.known) {
    const std::string path =
        d.location.file < sources.size() ? sources.file(d.location.file).path + ": " : "";
    out += fmt::format("{}{}{}{}{}: {}{}{}\n", bold, path, reset, colour, severity_word(d.severity),
                       reset, d.message, suffix);
  } else {
    const SourceFile& file = sources.file(d.location.file);
    const LineColumn lc = sources.line_column(d.location.file, d.location.offset);
    out += fmt::format("{}{}:{}:{}:{} {}{}:{} {}{}\n", bold, file.path, lc.line, lc.column, reset,
                       colour, severity_word(d.severity), reset, d.message, suffix);
    const std::string_view line = sources.line_text(d.location.file, lc.line);
    const std::uint32_t line_start = file.line_starts[lc.line - 1];
    out += line;
    out += '\n';
    out += caret_padding(line, d.location.offset - line_start);
    out += fmt::format("{}^{}\n", options.color ? "\x1b[1;32m" : "", reset);
  }
  for (const Diagnostic& note : d.notes) render_into(out, note, sources, options);
}

nlohmann::json to_json_object(const Diagnostic& d, const SourceSet& sources) {
  nlohmann::json j;
  if (d.location.file < sources.size()) {
    j["file"] = sources.file(d.location.file).path;
  } else {
    j["file"] = nullptr;
  }
  if (d.location.known) {
    const LineColumn lc = sources.line_column(d.location.file, d.location.offset);
    j["line"] = lc.line;
    j["column"] = lc.column;
  } else {
    j["line"] = nullptr;
    j["column"] = nullptr;
  }
  j["severity"] = severity_word(d.severity);
  if (d.severity != Severity::note) {
    j["code"] = code_id(d.code);
    j["name"] = code_name(d.code);
  }
  j["message"] = d.message;
  if (!d.notes.empty()) {
    auto notes = nlohmann::json::array();
    for (const Diagnostic& note : d.notes) notes.push_back(to_json_object(note, sources));
    j["notes"] = std::move(notes);
  }
  return j;
}

}  // namespace

std::string code_id(Code code) {
  const auto n = static_cast<unsigned>(code);
  return fmt::format("{}{:03}", n >= 100 ? 'W' : 'E', n);
}

std::string_view code_name(Code code) {
  for (const CodeInfo& info : kCodes) {
    if (info.code == code) return info.name;
  }
  return "unknown";
}

Diagnostic& Diagnostics::error(Code code, Location at, std::string message) {
  add(Diagnostic{Severity::error, code, at, std::move(message), {}});
  return items_.back();
}

Diagnostic& Diagnostics::warning(Code code, Location at, std::string message) {
  add(Diagnostic{Severity::warning, code, at, std::move(message), {}});
  return items_.back();
}

void Diagnostics::add(Diagnostic diagnostic) {
  if (diagnostic.severity == Severity::error) ++errors_;
  if (diagnostic.severity == Severity::warning) ++warnings_;
  items_.push_back(std::move(diagnostic));
}

void Diagnostics::append(const Diagnostics& other) {
  for (const Diagnostic& d : other.items_) add(d);
}

void Diagnostics::sort() {
  std::stable_sort(items_.begin(), items_.end(), [](const Diagnostic& a, const Diagnostic& b) {
    if (a.location.file != b.location.file) return a.location.file < b.location.file;
    if (a.location.known != b.location.known) return !a.location.known;
    return a.location.offset < b.location.offset;
  });
}

std::string render(const Diagnostic& diagnostic, const SourceSet& sources, RenderOptions options) {
  std::string out;
  render_into(out, diagnostic, sources, options);
  return out;
}

std::string to_json(const Diagnostics& diagnostics, const SourceSet& sources) {
  auto array = nlohmann::json::array();
  for (const Diagnostic& d : diagnostics.all()) array.push_back(to_json_object(d, sources));
  // Messages quote the input, which may hold invalid UTF-8 (itself reported): replace
  // such bytes with U+FFFD rather than fail.
  return array.dump(2, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace tiendo::dsl

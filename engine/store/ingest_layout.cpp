#include "store/ingest_layout.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>

#include "util/text.hpp"

namespace tiendo::store::ingest_layout {

const std::vector<KindSpec>& kind_specs() {
  static const std::vector<KindSpec> specs = {
      {Kind::units, {"unit", "name", "level", "parent"}, {"labels"}},
      {Kind::observations, {"indicator", "unit", "period", "value"}, {"source", "note"}},
      {Kind::statuses, {"task", "status", "date"}, {"progress", "note"}},
  };
  return specs;
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r')) {
    text.remove_suffix(1);
  }
  return text;
}

// Only a note may run over several lines: every other field is a name, a code or a
// number shown on one line.
bool may_hold_line_breaks(std::string_view column) { return column == "note"; }

// A field's first control character, described for its row: tab is text everywhere and a
// note may also hold line breaks; any other byte below 0x20 is refused. A NUL cuts text
// short in C strings and in many tools that read the database, and the others are
// invisible in a terminal, a report or a spreadsheet, so none of them is data.
std::optional<std::string> control_character(std::string_view column, std::string_view text) {
  const bool line_breaks = may_hold_line_breaks(column);
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto byte = static_cast<unsigned char>(text[i]);
    if (byte >= 0x20 || byte == '\t' || (line_breaks && (byte == '\n' || byte == '\r'))) {
      continue;
    }
    const std::size_t character = util::count_code_points(text.substr(0, i)) + 1;
    if (byte == '\n' || byte == '\r') {
      return fmt::format(
          "{}: a line break (0x{:02X}) at character {}; only a note may hold line "
          "breaks",
          column, byte, character);
    }
    const std::string_view name = byte == 0 ? ", NUL" : byte == 0x1B ? ", escape" : "";
    return fmt::format("{}: a control character (0x{:02X}{}) at character {}; {}", column, byte,
                       name, character,
                       line_breaks ? "a note may hold tabs and line breaks but no other control "
                                     "characters"
                                   : "text fields may hold tabs but no other control characters");
  }
  return std::nullopt;
}

// A header name for a message: control characters as \xNN, so that the message stays
// printable whatever the header holds.
std::string printable(std::string_view text) {
  std::string out;
  for (const char c : text) {
    if (static_cast<unsigned char>(c) < 0x20) {
      out += fmt::format("\\x{:02X}", static_cast<unsigned char>(c));
    } else {
      out += c;
    }
  }
  return out;
}

std::variant<Layout, std::string> layout_of(const std::vector<std::string>& header) {
  std::map<std::string, int> positions;
  for (std::size_t i = 0; i < header.size(); ++i) {
    positions.emplace(util::ascii_lower(trim(header[i])), static_cast<int>(i));
  }
  for (const KindSpec& spec : kind_specs()) {
    const bool complete = std::all_of(spec.required.begin(), spec.required.end(),
                                      [&](const std::string& c) { return positions.contains(c); });
    if (!complete) continue;
    Layout layout{spec.kind, {}, {}};
    std::set<std::string> known;
    for (const auto* list : {&spec.required, &spec.optional}) {
      for (const std::string& column : *list) {
        const auto it = positions.find(column);
        layout.columns.push_back(it == positions.end() ? -1 : it->second);
        layout.names.push_back(column);
        known.insert(column);
      }
    }
    for (const auto& [name, position] : positions) {
      if (!known.contains(name)) {
        std::vector<std::string> all(known.begin(), known.end());
        std::string message = fmt::format("unknown column '{}'", printable(name));
        if (auto suggestion = util::closest_match(name, all)) {
          message += fmt::format("; did you mean '{}'?", *suggestion);
        }
        return message;
      }
    }
    return layout;
  }
  std::string names;
  for (const std::string& column : header) {
    names += (names.empty() ? "" : ",") + printable(column);
  }
  return fmt::format(
      "the header '{}' names no known kind of input; expected units (unit,name,level,parent), "
      "observations (indicator,unit,period,value[,source,note]) or task statuses "
      "(task,status,date[,progress,note])",
      names);
}

}  // namespace tiendo::store::ingest_layout

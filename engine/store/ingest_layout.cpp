#include "store/ingest_layout.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "util/text.hpp"

namespace tiendo::store::ingest_layout {

const std::vector<KindSpec>& kind_specs() {
  static const std::vector<KindSpec> specs = {
      {Kind::units, {"unit", "name", "level", "parent"}, {"labels"}},
      {Kind::observations,
       {"indicator", "unit", "period", "value"},
       {"source", "note", "estimate"}},
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
      "observations (indicator,unit,period,value[,source,note,estimate]) or task statuses "
      "(task,status,date[,progress,note])",
      names);
}

std::optional<std::string> stored_labels(std::string_view text, std::string& why) {
  std::vector<std::string> labels;
  if (trim(text).empty()) return std::string();
  std::size_t position = 0;
  while (true) {
    const auto end = text.find(';', position);
    const std::string_view label =
        trim(text.substr(position, end == std::string_view::npos ? end : end - position));
    if (label.empty()) {
      why = fmt::format(
          "labels: an empty label at character {}; labels are separated by ';', as in "
          "\"bien_gioi;thi_diem\"",
          util::count_code_points(text.substr(0, position)) + 1);
      return std::nullopt;
    }
    labels.emplace_back(label);
    if (end == std::string_view::npos) break;
    position = end + 1;
  }
  std::sort(labels.begin(), labels.end());
  labels.erase(std::unique(labels.begin(), labels.end()), labels.end());
  std::string stored;
  for (const std::string& label : labels) stored += (stored.empty() ? "" : ";") + label;
  return stored;
}

std::string outside_range(const model::Indicator& indicator, std::string_view written,
                          const ParsedValue& value) {
  const std::string declared_at =
      fmt::format("{}:{}", indicator.source.file, indicator.source.line);
  if (indicator.declared_range) {
    const model::SourceRef& at = indicator.declared_range->source;
    return fmt::format("{}: '{}' is outside the range {} declared for it at {}:{}", indicator.name,
                       written, indicator.declared_range->text, at.file, at.line);
  }
  if (indicator.unit != model::ValueUnit::percent) {
    return fmt::format("{}: '{}' is below 0, and a count is never negative", indicator.name,
                       written);
  }
  // A suggestion that covers the value, in whole hundreds of percent.
  const double low = std::min(0.0, std::floor(value.value)) * 100;
  const double high = std::max(1.0, std::ceil(value.value)) * 100;
  std::string message = fmt::format(
      "{}: '{}' is outside 0% .. 100%, the range of a percent; if such values are right, "
      "declare the indicator's range in its rule file ({}), such as `range {:.0f}% .. {:.0f}%`",
      indicator.name, written, declared_at, low, high);
  if (value.numerator && value.denominator && *value.numerator > *value.denominator) {
    message += fmt::format("; or is the fraction upside down, for {:.0f}/{:.0f}?",
                           *value.denominator, *value.numerator);
  }
  return message;
}

std::variant<std::optional<bool>, std::string> estimate_flag(std::string_view text) {
  const std::string word = util::ascii_lower(trim(text));
  if (word.empty()) return std::optional<bool>();
  // "có" and "không" in NFC, their accented capitals included, or without accents.
  for (const std::string_view yes : {"true", "1", "c\xC3\xB3", "c\xC3\x93", "co"}) {
    if (word == yes) return std::optional<bool>(true);
  }
  for (const std::string_view no : {"false", "0", "kh\xC3\xB4ng", "kh\xC3\x94ng", "khong"}) {
    if (word == no) return std::optional<bool>(false);
  }
  return fmt::format(
      "estimate: '{}' is neither true nor false; write true, false, 1, 0, có or không, or "
      "leave it empty (a value written khoảng 83,5% is an estimate by itself)",
      printable(text));
}

}  // namespace tiendo::store::ingest_layout

#include "present/markup.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "util/text.hpp"

namespace tiendo::present {

std::string html_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string html_badge(std::string_view name, Tone t) {
  return fmt::format("<span class=\"badge {}\">{}</span>", tone_class(t), html_escape(name));
}

std::string csv_field(std::string_view text) {
  if (text.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(text);
  std::string out = "\"";
  for (char c : text) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string_view ansi_colour(Tone t) {
  switch (t) {
    case Tone::red:
      return "\x1b[31m";
    case Tone::amber:
      return "\x1b[33m";
    case Tone::green:
      return "\x1b[32m";
    case Tone::blue:
      return "\x1b[34m";
    case Tone::grey:
      return "\x1b[2m";
  }
  return "";
}

std::string table(const std::vector<std::vector<std::string>>& rows) {
  return table(rows, {}, 0, false);
}

std::string table(const std::vector<std::vector<std::string>>& rows,
                  const std::vector<std::optional<Tone>>& tones, std::size_t toned_column,
                  bool color) {
  std::vector<std::size_t> widths;
  for (const auto& row : rows) {
    widths.resize(std::max(widths.size(), row.size()), 0);
    for (std::size_t i = 0; i < row.size(); ++i) {
      widths[i] = std::max(widths[i], util::count_code_points(row[i]));
    }
  }
  std::string out;
  for (std::size_t r = 0; r < rows.size(); ++r) {
    std::string line;
    for (std::size_t i = 0; i < rows[r].size(); ++i) {
      const std::string& cell = rows[r][i];
      const bool last = i + 1 == rows[r].size();
      const std::size_t length = util::count_code_points(cell);
      const std::string padding(last ? 0 : widths[i] - length, ' ');
      if (color && i == toned_column && r < tones.size() && tones[r]) {
        line += std::string(ansi_colour(*tones[r])) + cell + padding + "\x1b[0m";
      } else {
        line += cell + padding;
      }
      if (!last) line += "  ";
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line + "\n";
  }
  return out;
}

}  // namespace tiendo::present

// Literals: numbers (and the spellings documents use for them), dates, durations.
#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>

#include "dsl/check/context.hpp"

namespace tiendo::dsl::checking {

namespace {

// How a rules file writes a number that `text` writes as documents do: `99,5` (a decimal
// comma) is 99.5, `3.103.499` (thousands separated) is 3103499, `1.234,5` is 1234.5. The
// second spelling, when there is one, reads the single comma as a thousands separator
// instead (`1,000`: 1.000 or 1000). Nullopt when `text` is not a number of that kind.
struct Respelled {
  std::string spelling;
  std::optional<std::string> thousands;
  bool decimal_comma = false;
};
std::optional<Respelled> respell(std::string_view text) {
  std::vector<std::string_view> groups;
  std::string separators;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= text.size(); ++i) {
    if (i < text.size() && text[i] != '.' && text[i] != ',') continue;
    groups.push_back(text.substr(start, i - start));
    if (i < text.size()) separators += text[i];
    start = i + 1;
  }
  const auto joined = [&](std::size_t from, std::size_t to) {
    std::string out;
    for (std::size_t i = from; i < to; ++i) out += groups[i];
    return out;
  };
  // Groups of three after the first, as thousands are written.
  const auto thousands = [&](std::size_t count) {
    if (groups[0].size() > 3 || groups[0].starts_with('0')) return false;
    for (std::size_t i = 1; i < count; ++i) {
      if (groups[i].size() != 3) return false;
    }
    return true;
  };
  if (separators == ",") {
    Respelled out{std::string(groups[0]) + "." + std::string(groups[1]), std::nullopt, true};
    if (groups[1].size() == 3 && thousands(2)) out.thousands = joined(0, 2);
    return out;
  }
  const char first = separators[0];
  const bool same = separators.find_first_not_of(first) == std::string::npos;
  if (same && thousands(groups.size())) return Respelled{joined(0, groups.size()), {}, false};
  const char last = separators.back();
  const bool all_but_last_same =
      separators.substr(0, separators.size() - 1).find_first_not_of(first) == std::string::npos;
  if (last != first && all_but_last_same && thousands(groups.size() - 1)) {
    return Respelled{
        joined(0, groups.size() - 1) + "." + std::string(groups.back()), {}, last == ','};
  }
  return std::nullopt;
}

// The error for a literal written with separators: the spelling a rules file uses
// instead, when there is one.
void report_respelled(Context& c, const ast::NumberLit& literal) {
  const std::string percent = literal.percent ? "%" : "";
  const std::string written = literal.text + percent;
  const auto respelled = respell(literal.text);
  if (!respelled) {
    c.error(Code::invalid_number, literal,
            fmt::format("'{}' is not a number; write digits with at most one decimal point, "
                        "such as 77.62{}",
                        written, percent));
  } else if (respelled->thousands) {
    c.error(Code::invalid_number, literal,
            fmt::format("'{}' has a comma; write {}{} if it is a decimal comma, or {}{} if it "
                        "separates thousands (rules files use a decimal point and no thousands "
                        "separator)",
                        written, respelled->spelling, percent, *respelled->thousands, percent));
  } else if (respelled->decimal_comma) {
    c.error(Code::invalid_number, literal,
            fmt::format(
                "'{}' has a decimal comma; write {}{} (rules files use a decimal "
                "point{})",
                written, respelled->spelling, percent,
                literal.text.find('.') != std::string::npos ? " and no thousands separator" : ""));
  } else {
    c.error(Code::invalid_number, literal,
            fmt::format("'{}' has thousands separators; write {}{} (rules files use none)", written,
                        respelled->spelling, percent));
  }
}

}  // namespace

std::string_view unit_phrase(ValueUnit unit) {
  switch (unit) {
    case ValueUnit::percent:
      return "a percent";
    case ValueUnit::count:
      return "a count";
    case ValueUnit::number:
      return "a number";
  }
  return "a number";
}

// The digits are read with an exponent (9.23% as 9.23e-2), rounding once, as ingest reads
// data: a target, a range's end and an observation written alike are then the same
// double, where 9.23 / 100 is not.
std::optional<double> literal_value(const ast::NumberLit& literal) {
  const std::string digits = literal.percent ? literal.text + "e-2" : literal.text;
  double value = 0;
  const auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (ec != std::errc() || ptr != digits.data() + digits.size() || !std::isfinite(value)) {
    return std::nullopt;
  }
  return value;
}

std::optional<double> number_value(Context& c, const ast::NumberLit& literal) {
  const bool plain = literal.text.find(',') == std::string::npos &&
                     std::count(literal.text.begin(), literal.text.end(), '.') <= 1;
  if (plain) {
    if (auto value = literal_value(literal)) return value;
    c.error(Code::invalid_number, literal,
            fmt::format("'{}{}' is not a usable number", literal.text, literal.percent ? "%" : ""));
    return std::nullopt;
  }
  report_respelled(c, literal);
  return std::nullopt;
}

std::optional<model::Period> period_of(Context& c, const ast::DateLit& date) {
  std::string message;
  auto period = model::parse_period(date.text, message);
  if (!period) c.error(Code::invalid_date, date, message);
  return period;
}

std::optional<model::Duration> duration_of(Context& c, const ast::DurationLit& literal) {
  std::string message;
  auto duration = model::parse_duration(literal.text, message);
  if (!duration) c.error(Code::invalid_duration, literal, message);
  return duration;
}

}  // namespace tiendo::dsl::checking

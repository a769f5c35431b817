#include "model/calendar.hpp"

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <limits>
#include <utility>
#include <vector>

#include "model/rfc3339.hpp"
#include "util/text.hpp"

namespace tiendo::model {

namespace {

using namespace std::chrono;

constexpr int kMinYear = 1900;
constexpr int kMaxYear = 2200;

constexpr const char* kMonthNames[] = {"January",   "February", "March",    "April",
                                       "May",       "June",     "July",     "August",
                                       "September", "October",  "November", "December"};

// Splits `text` at `separator` into parts that must all be non-empty digit runs (a
// leading `Q` is kept). Returns false if a part is not of that shape.
bool split(std::string_view text, char separator, std::vector<std::string_view>& parts) {
  parts.clear();
  std::size_t start = 0;
  while (true) {
    const std::size_t stop = text.find(separator, start);
    parts.push_back(text.substr(start, stop == std::string_view::npos ? stop : stop - start));
    if (stop == std::string_view::npos) break;
    start = stop + 1;
  }
  for (std::string_view part : parts) {
    if (part.empty()) return false;
  }
  return true;
}

std::optional<int> to_int(std::string_view digits) {
  int value = 0;
  const auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (ec != std::errc() || ptr != digits.data() + digits.size()) return std::nullopt;
  return value;
}

bool check_year(int y, std::string_view text, std::string& error) {
  if (y < kMinYear || y > kMaxYear) {
    error = fmt::format("'{}': the year {} is outside {}..{}", text, y, kMinYear, kMaxYear);
    return false;
  }
  return true;
}

std::optional<Period> day_period(int y, int m, int d, std::string_view text, std::string& error) {
  if (!check_year(y, text, error)) return std::nullopt;
  if (m < 1 || m > 12) {
    error = fmt::format("'{}' is not a date: there is no month {}", text, m);
    return std::nullopt;
  }
  const year_month_day ymd{year{y}, month{static_cast<unsigned>(m)}, day{static_cast<unsigned>(d)}};
  if (!ymd.ok()) {
    const unsigned days = static_cast<unsigned>(
        year_month_day_last{year{y}, month_day_last{month{static_cast<unsigned>(m)}}}.day());
    error = fmt::format("'{}' is not a date: {} {} has {} days", text, kMonthNames[m - 1], y, days);
    return std::nullopt;
  }
  const Date date{ymd};
  return Period{Period::Kind::day, date, date};
}

std::optional<Period> month_period(int y, int m, std::string_view text, std::string& error) {
  if (!check_year(y, text, error)) return std::nullopt;
  if (m < 1 || m > 12) {
    error = fmt::format("'{}' is not a month: there is no month {}", text, m);
    return std::nullopt;
  }
  const month mo{static_cast<unsigned>(m)};
  return Period{Period::Kind::month, Date{year{y} / mo / 1},
                Date{year_month_day_last{year{y}, month_day_last{mo}}}};
}

std::optional<Period> quarter_period(int y, int q, std::string_view text, std::string& error) {
  if (!check_year(y, text, error)) return std::nullopt;
  if (q < 1 || q > 4) {
    error = fmt::format("'{}' is not a quarter: quarters are Q1 to Q4", text);
    return std::nullopt;
  }
  const month first{static_cast<unsigned>(3 * q - 2)};
  const month last{static_cast<unsigned>(3 * q)};
  return Period{Period::Kind::quarter, Date{year{y} / first / 1},
                Date{year_month_day_last{year{y}, month_day_last{last}}}};
}

// ---------------------------------------------------------------------------------------
// Periods in words, as documents write them: `Quý III/2022`, `tháng 9/2022`.

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// The NFC forms of the accented letters the period words use, lower and upper case.
struct Accented {
  char base;
  std::string_view lower;
  std::string_view upper;
};
constexpr Accented kAcute[] = {
    {'a', "\xC3\xA1", "\xC3\x81"},  // á Á
    {'i', "\xC3\xAD", "\xC3\x8D"},  // í Í
    {'y', "\xC3\xBD", "\xC3\x9D"},  // ý Ý
};
constexpr std::string_view kCombiningAcute = "\xCC\x81";  // U+0301

// Consumes the letter `base` at `pos` in either case; with `acute`, also the letter with an
// acute accent, precomposed (NFC) or followed by U+0301 (NFD).
bool take_letter(std::string_view text, std::size_t& pos, char base, bool acute) {
  const std::string_view rest = text.substr(pos);
  if (acute) {
    for (const Accented& a : kAcute) {
      if (a.base != base) continue;
      for (std::string_view form : {a.lower, a.upper}) {
        if (rest.starts_with(form)) {
          pos += form.size();
          return true;
        }
      }
    }
  }
  if (rest.empty()) return false;
  const char upper = static_cast<char>(base - 'a' + 'A');
  if (rest[0] != base && rest[0] != upper) return false;
  ++pos;
  if (acute && text.substr(pos).starts_with(kCombiningAcute)) pos += kCombiningAcute.size();
  return true;
}

bool is_roman(char c) { return std::string_view("IVXivx").find(c) != std::string_view::npos; }

// Consumes `Quý`/`Quí` (or `Quy`/`Qui`).
bool take_quarter_word(std::string_view text, std::size_t& pos) {
  std::size_t at = pos;
  if (!take_letter(text, at, 'q', false) || !take_letter(text, at, 'u', false)) return false;
  if (!take_letter(text, at, 'y', true) && !take_letter(text, at, 'i', true)) return false;
  // "Quyển" and other words that merely start alike are not the quarter.
  if (at < text.size() && !is_digit(text[at]) && !is_roman(text[at]) && text[at] != '/' &&
      util::space_at(text, at) == 0) {
    return false;
  }
  pos = at;
  return true;
}

// Consumes `tháng` (or `thang`).
bool take_month_word(std::string_view text, std::size_t& pos) {
  std::size_t at = pos;
  if (!take_letter(text, at, 't', false) || !take_letter(text, at, 'h', false) ||
      !take_letter(text, at, 'a', true) || !take_letter(text, at, 'n', false) ||
      !take_letter(text, at, 'g', false)) {
    return false;
  }
  pos = at;
  return true;
}

void skip_spaces(std::string_view text, std::size_t& pos) {
  while (const std::size_t n = util::space_at(text, pos)) pos += n;
}

std::string_view take_while(std::string_view text, std::size_t& pos, bool (*accept)(char)) {
  const std::size_t start = pos;
  while (pos < text.size() && accept(text[pos])) ++pos;
  return text.substr(start, pos - start);
}

// After the word: ` III/2022` or `9 / 2022`. Returns the number before `/` as written and
// the year, or nullopt if the rest is not of that shape.
struct NumberAndYear {
  std::string_view number;
  std::string_view year;
};
std::optional<NumberAndYear> take_number_and_year(std::string_view text, std::size_t pos,
                                                  bool roman) {
  NumberAndYear out;
  skip_spaces(text, pos);
  out.number = take_while(text, pos, is_digit);
  if (out.number.empty() && roman) out.number = take_while(text, pos, is_roman);
  if (out.number.empty()) return std::nullopt;
  skip_spaces(text, pos);
  if (pos >= text.size() || text[pos] != '/') return std::nullopt;
  ++pos;
  skip_spaces(text, pos);
  out.year = take_while(text, pos, is_digit);
  if (out.year.empty() || pos != text.size()) return std::nullopt;
  return out;
}

constexpr std::size_t kMaxYearDigits = 6;  // beyond is garbage, not a mistyped year

// `Quý III/2022` from `pos`, just past the word.
std::optional<Period> quarter_in_words(std::string_view text, std::size_t pos, std::string& error) {
  const auto parts = take_number_and_year(text, pos, true);
  const auto year_number =
      parts && parts->year.size() <= kMaxYearDigits ? to_int(parts->year) : std::nullopt;
  if (!year_number) {
    error = fmt::format("'{}' is not a quarter; write Quý III/2022 or Quý 3/2022", text);
    return std::nullopt;
  }
  static constexpr std::string_view kRoman[] = {"I", "II", "III", "IV"};
  int quarter = 0;
  if (is_digit(parts->number[0])) {
    if (parts->number.size() == 1) quarter = parts->number[0] - '0';
  } else {
    std::string upper(parts->number);
    for (char& c : upper) c = static_cast<char>(c >= 'a' ? c - 'a' + 'A' : c);
    for (int q = 1; q <= 4; ++q) {
      if (upper == kRoman[q - 1]) quarter = q;
    }
  }
  if (quarter < 1 || quarter > 4) {
    error = fmt::format(
        "'{}' is not a quarter: quarters are I to IV (or 1 to 4), as in Quý III/2022", text);
    return std::nullopt;
  }
  return quarter_period(*year_number, quarter, text, error);
}

// `tháng 9/2022` from `pos`, just past the word.
std::optional<Period> month_in_words(std::string_view text, std::size_t pos, std::string& error) {
  const auto parts = take_number_and_year(text, pos, false);
  const auto year_number =
      parts && parts->number.size() <= 2 && parts->year.size() <= kMaxYearDigits
          ? to_int(parts->year)
          : std::nullopt;
  if (!year_number) {
    error = fmt::format("'{}' is not a month; write tháng 9/2022 or tháng 09/2022", text);
    return std::nullopt;
  }
  return month_period(*year_number, *to_int(parts->number), text, error);
}

}  // namespace

bool is_period_in_words(std::string_view text) {
  std::size_t pos = 0;
  if (take_quarter_word(text, pos)) return true;
  pos = 0;
  return take_month_word(text, pos);
}

std::optional<Period> parse_period(std::string_view text, std::string& error) {
  std::vector<std::string_view> parts;
  const auto malformed = [&] {
    error = fmt::format(
        "'{}' is not a date; write 2022-12-31, 31/12/2022, 2022-09, 2022-Q3, Q3/2022, Quý "
        "III/2022, tháng 9/2022 or 2022",
        text);
    return std::nullopt;
  };
  std::size_t word_end = 0;
  if (take_quarter_word(text, word_end)) return quarter_in_words(text, word_end, error);
  word_end = 0;
  if (take_month_word(text, word_end)) return month_in_words(text, word_end, error);
  if (text.find('/') != std::string_view::npos) {
    if (!split(text, '/', parts)) return malformed();
    if (parts.size() == 2 && parts[0].starts_with('Q')) {  // Q3/2022
      const auto q = to_int(parts[0].substr(1));
      const auto y = to_int(parts[1]);
      if (!q || !y) return malformed();
      return quarter_period(*y, *q, text, error);
    }
    std::vector<int> numbers;
    for (std::string_view part : parts) {
      const auto n = to_int(part);
      if (!n) return malformed();
      numbers.push_back(*n);
    }
    if (parts.size() == 3 && parts[0].size() <= 2 && parts[1].size() <= 2) {
      return day_period(numbers[2], numbers[1], numbers[0], text, error);  // 31/12/2022
    }
    if (parts.size() == 2 && parts[0].size() <= 2) {
      return month_period(numbers[1], numbers[0], text, error);  // 9/2022
    }
    return malformed();
  }
  if (!split(text, '-', parts)) return malformed();
  if (parts[0].size() != 4) return malformed();
  const auto y = to_int(parts[0]);
  if (!y) return malformed();
  if (parts.size() == 1) {
    if (!check_year(*y, text, error)) return std::nullopt;
    return Period{Period::Kind::year, Date{year{*y} / January / 1}, Date{year{*y} / December / 31}};
  }
  if (parts.size() == 2 && parts[1].starts_with('Q')) {
    const auto q = to_int(parts[1].substr(1));
    if (!q) return malformed();
    return quarter_period(*y, *q, text, error);
  }
  if (parts[1].size() != 2) return malformed();
  const auto m = to_int(parts[1]);
  if (!m) return malformed();
  if (parts.size() == 2) return month_period(*y, *m, text, error);
  if (parts.size() != 3 || parts[2].size() != 2) return malformed();
  const auto d = to_int(parts[2]);
  if (!d) return malformed();
  return day_period(*y, *m, *d, text, error);
}

std::optional<Duration> parse_duration(std::string_view text, std::string& error) {
  std::size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
  const std::string_view suffix = text.substr(digits);
  Duration duration;
  if (suffix == "d") {
    duration.unit = Duration::Unit::day;
  } else if (suffix == "w") {
    duration.unit = Duration::Unit::week;
  } else if (suffix == "m") {
    duration.unit = Duration::Unit::month;
  } else if (suffix == "y") {
    duration.unit = Duration::Unit::year;
  } else {
    error = fmt::format(
        "'{}': unknown duration unit '{}'; use d (days), w (weeks), m (months) "
        "or y (years)",
        text, suffix);
    return std::nullopt;
  }
  if (digits > 6) {
    error = fmt::format("'{}': a duration is at most 100 years", text);
    return std::nullopt;
  }
  const auto count = to_int(text.substr(0, digits));
  if (!count || *count < 1) {
    error = fmt::format("'{}': a duration is at least 1{}", text, suffix);
    return std::nullopt;
  }
  duration.count = *count;
  if (approximate_days(duration) > 100 * 366) {
    error = fmt::format("'{}': a duration is at most 100 years", text);
    return std::nullopt;
  }
  return duration;
}

namespace {
Date shift(Date date, Duration duration, int sign) {
  switch (duration.unit) {
    case Duration::Unit::day:
      return date + days{sign * duration.count};
    case Duration::Unit::week:
      return date + days{sign * 7 * duration.count};
    case Duration::Unit::month:
    case Duration::Unit::year: {
      const int n = duration.unit == Duration::Unit::month ? duration.count : 12 * duration.count;
      const year_month_day ymd{date};
      const year_month ym = year_month{ymd.year(), ymd.month()} + months{sign * n};
      const day last = year_month_day_last{ym.year(), month_day_last{ym.month()}}.day();
      return Date{ym / (ymd.day() > last ? last : ymd.day())};
    }
  }
  return date;
}
}  // namespace

Date add(Date date, Duration duration) { return shift(date, duration, 1); }
Date subtract(Date date, Duration duration) { return shift(date, duration, -1); }

double approximate_days(Duration duration) {
  switch (duration.unit) {
    case Duration::Unit::day:
      return duration.count;
    case Duration::Unit::week:
      return 7.0 * duration.count;
    case Duration::Unit::month:
      return 30.4375 * duration.count;
    case Duration::Unit::year:
      return 365.25 * duration.count;
  }
  return duration.count;
}

std::string to_string(Date date) {
  const year_month_day ymd{date};
  return fmt::format("{:04}-{:02}-{:02}", static_cast<int>(ymd.year()),
                     static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
}

std::string to_string(Duration duration) {
  static constexpr char kSuffix[] = {'d', 'w', 'm', 'y'};
  return fmt::format("{}{}", duration.count, kSuffix[static_cast<int>(duration.unit)]);
}

std::optional<Date> parse_iso_date(std::string_view text) {
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return std::nullopt;
  int parts[3] = {0, 0, 0};
  const std::size_t starts[3] = {0, 5, 8};
  const std::size_t lengths[3] = {4, 2, 2};
  for (int p = 0; p < 3; ++p) {
    for (std::size_t i = 0; i < lengths[p]; ++i) {
      const char c = text[starts[p] + i];
      if (c < '0' || c > '9') return std::nullopt;
      parts[p] = parts[p] * 10 + (c - '0');
    }
  }
  const std::chrono::year_month_day ymd{std::chrono::year{parts[0]},
                                        std::chrono::month{static_cast<unsigned>(parts[1])},
                                        std::chrono::day{static_cast<unsigned>(parts[2])}};
  if (!ymd.ok()) return std::nullopt;
  return Date{ymd};
}

bool supported_date(Date date) {
  const int year = static_cast<int>(std::chrono::year_month_day(date).year());
  return year >= kMinYear && year <= kMaxYear;
}

std::string supported_years() { return fmt::format("{}..{}", kMinYear, kMaxYear); }

std::string format_utc(std::chrono::system_clock::time_point time) {
  // Not fmt's chrono formatting: fmt 9 formats a system_clock time point through
  // localtime, so under TZ=Asia/Ho_Chi_Minh it wrote the local time with a Z.
  const auto seconds = std::chrono::floor<std::chrono::seconds>(time);
  const auto day = std::chrono::floor<std::chrono::days>(seconds);
  const std::chrono::year_month_day ymd{day};
  const std::chrono::hh_mm_ss clock{seconds - day};
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", static_cast<int>(ymd.year()),
                     static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                     clock.hours().count(), clock.minutes().count(), clock.seconds().count());
}

std::optional<std::chrono::system_clock::time_point> parse_utc(std::string_view text) {
  // 2026-11-28T10:00:00Z
  if (text.size() != 20 || text[10] != 'T' || text[13] != ':' || text[16] != ':' ||
      text[19] != 'Z') {
    return std::nullopt;
  }
  const auto day = parse_iso_date(text.substr(0, 10));
  int parts[3] = {0, 0, 0};
  for (int p = 0; p < 3; ++p) {
    for (int i = 0; i < 2; ++i) {
      const char c = text[static_cast<std::size_t>(11 + p * 3 + i)];
      if (c < '0' || c > '9') return std::nullopt;
      parts[p] = parts[p] * 10 + (c - '0');
    }
  }
  if (!day || parts[0] > 23 || parts[1] > 59 || parts[2] > 60) return std::nullopt;
  // system_clock counts nanoseconds in 64 bits (1677 to 2262): keep to the years the
  // rules language knows, which leaves room for a ten-year duration on top. The year is
  // the result's: a leap second at the end of 2200 is in 2201, which format_utc would
  // write and parse_utc refuse.
  const int year = static_cast<int>(std::chrono::year_month_day(*day).year());
  if (year < kMinYear || year > kMaxYear) return std::nullopt;
  const auto time = std::chrono::system_clock::time_point(*day) + std::chrono::hours(parts[0]) +
                    std::chrono::minutes(parts[1]) + std::chrono::seconds(parts[2]);
  if (std::chrono::year_month_day(std::chrono::floor<std::chrono::days>(time)).year() >
      std::chrono::year(kMaxYear)) {
    return std::nullopt;
  }
  return time;
}

Period period_of_days(Date first, Date last) {
  using namespace std::chrono;
  Period period{Period::Kind::day, first, last};
  const year_month_day from{first};
  const year_month_day to{last};
  const bool ends_month = year_month_day{last + days{1}}.day() == day{1};
  if (from.day() != day{1} || !ends_month || from.year() != to.year()) return period;
  const unsigned start = static_cast<unsigned>(from.month());
  const unsigned months = static_cast<unsigned>(to.month()) - start + 1;
  if (months == 1) period.kind = Period::Kind::month;
  if (months == 3 && start % 3 == 1) period.kind = Period::Kind::quarter;
  if (months == 12) period.kind = Period::Kind::year;
  return period;
}

std::optional<std::chrono::system_clock::time_point> parse_rfc3339(std::string_view text) {
  // YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)
  if (text.size() < 20 || (text[10] != 'T' && text[10] != 't' && text[10] != ' ')) {
    return std::nullopt;
  }
  std::string utc(text.substr(0, 19));
  utc[10] = 'T';
  std::size_t at = 19;
  if (text[at] == '.') {
    ++at;
    const std::size_t digits = at;
    while (at < text.size() && text[at] >= '0' && text[at] <= '9') ++at;
    if (at == digits) return std::nullopt;
  }
  const std::string_view zone = text.substr(at);
  std::chrono::seconds offset{0};
  if (zone == "Z" || zone == "z") {
    // UTC
  } else if (zone.size() == 6 && (zone[0] == '+' || zone[0] == '-') && zone[3] == ':') {
    int parts[2] = {0, 0};
    for (int p = 0; p < 2; ++p) {
      for (int i = 0; i < 2; ++i) {
        const char c = zone[static_cast<std::size_t>(1 + p * 3 + i)];
        if (c < '0' || c > '9') return std::nullopt;
        parts[p] = parts[p] * 10 + (c - '0');
      }
    }
    if (parts[0] > 23 || parts[1] > 59) return std::nullopt;
    offset = std::chrono::hours(parts[0]) + std::chrono::minutes(parts[1]);
    if (zone[0] == '-') offset = -offset;
  } else {
    return std::nullopt;
  }
  const auto local = parse_utc(utc + "Z");
  if (!local) return std::nullopt;
  // 08:30+07:00 is 01:30 UTC.
  const auto time = *local - offset;
  const int year = static_cast<int>(
      std::chrono::year_month_day(std::chrono::floor<std::chrono::days>(time)).year());
  if (year < kMinYear || year > kMaxYear) return std::nullopt;
  return time;
}

namespace {

// The count and the unit's length in seconds, or nullopt when `text` is not a count and
// one of s, m, h, d. The caller bounds count × unit by division, so nothing overflows.
std::optional<std::pair<long long, long long>> clock_parts(std::string_view text) {
  if (text.size() < 2) return std::nullopt;
  long long count = 0;
  const char* last = text.data() + text.size() - 1;
  auto [end, ec] = std::from_chars(text.data(), last, count);
  // More digits than a long long holds is a number, only out of any range.
  if (ec == std::errc::result_out_of_range && end == last && text.front() != '-') {
    count = std::numeric_limits<long long>::max();
    ec = std::errc();
  }
  if (ec != std::errc() || end != last || count < 0) return std::nullopt;
  long long unit = 0;
  switch (text.back()) {
    case 's':
      unit = 1;
      break;
    case 'm':
      unit = 60;
      break;
    case 'h':
      unit = 3600;
      break;
    case 'd':
      unit = 86400;
      break;
    default:
      return std::nullopt;
  }
  return std::pair{count, unit};
}

}  // namespace

std::optional<std::chrono::seconds> parse_clock_duration(std::string_view text) {
  const auto parts = clock_parts(text);
  // Compared by division, not multiplication: "106752d" in nanoseconds, or
  // "9223372036854775807d" in seconds, would overflow before any check.
  if (!parts || parts->first > kMaxClockDuration.count() / parts->second) return std::nullopt;
  return std::chrono::seconds(parts->first * parts->second);
}

std::optional<std::chrono::seconds> parse_clock_duration(std::string_view text, std::string& error,
                                                         std::chrono::seconds max) {
  max = std::min(max, kMaxClockDuration);
  const auto parts = clock_parts(text);
  if (!parts) {
    error = fmt::format("'{}' is not a duration; write e.g. 30s, 5m, 2h or 1d", text);
    return std::nullopt;
  }
  if (parts->first == 0 || parts->first > max.count() / parts->second) {
    error = fmt::format("'{}' is out of range: from 1s to {}", text, describe_clock_duration(max));
    return std::nullopt;
  }
  return std::chrono::seconds(parts->first * parts->second);
}

std::string describe_clock_duration(std::chrono::seconds span) {
  const long long s = span.count();
  if (s % 86400 == 0 && s / 86400 % 365 == 0 && s >= 365LL * 86400) {
    const long long years = s / 86400 / 365;
    return fmt::format("{}d ({} year{})", s / 86400, years, years == 1 ? "" : "s");
  }
  if (s % 86400 == 0 && s > 0) return fmt::format("{}d", s / 86400);
  if (s % 3600 == 0 && s > 0) return fmt::format("{}h", s / 3600);
  if (s % 60 == 0 && s > 0) return fmt::format("{}m", s / 60);
  return fmt::format("{}s", s);
}

}  // namespace tiendo::model

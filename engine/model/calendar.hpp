// Calendar dates, periods and durations as the rules language writes them. Dates are
// civil days (no time of day, no time zone): the evaluation date is chosen outside.
#pragma once

#include <chrono>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>

namespace tiendo::model {

using Date = std::chrono::sys_days;

// A span of days, both ends included: a day, a month, a quarter or a year.
struct Period {
  enum class Kind : std::uint8_t { day, month, quarter, year };
  Kind kind = Kind::day;
  Date first;
  Date last;
  bool operator==(const Period&) const = default;
};

// A date in 4 bytes (days since 1970-01-01) for records kept by the million (a Date is
// 8): it converts to and from Date. Dates the language and the store take (1900..2200)
// are far inside its range.
class CompactDate {
 public:
  constexpr CompactDate() = default;
  constexpr CompactDate(Date date)
      : days_(static_cast<std::int32_t>(date.time_since_epoch().count())) {}
  constexpr operator Date() const { return Date{std::chrono::days{days_}}; }
  friend constexpr bool operator==(CompactDate, CompactDate) = default;

 private:
  std::int32_t days_ = 0;
};

// std::optional<Date> in 4 bytes instead of 16, with the same reading interface; a
// day count no date has (INT32_MIN) stands for "none".
class OptionalDate {
 public:
  constexpr OptionalDate() = default;
  constexpr OptionalDate(std::nullopt_t) {}
  constexpr OptionalDate(Date date) : date_(date) {}
  constexpr OptionalDate(const std::optional<Date>& date) {
    if (date) date_ = CompactDate(*date);
  }
  constexpr bool has_value() const { return !(date_ == kNone); }
  constexpr explicit operator bool() const { return has_value(); }
  constexpr Date operator*() const { return date_; }
  constexpr Date value_or(Date fallback) const { return has_value() ? Date(date_) : fallback; }
  constexpr void reset() { date_ = kNone; }
  constexpr operator std::optional<Date>() const {
    return has_value() ? std::optional<Date>(Date(date_)) : std::nullopt;
  }
  friend constexpr bool operator==(OptionalDate, OptionalDate) = default;
  friend constexpr bool operator==(OptionalDate a, std::nullopt_t) { return !a.has_value(); }
  friend constexpr bool operator==(OptionalDate a, Date b) {
    return a.has_value() && Date(a.date_) == b;
  }

 private:
  static constexpr CompactDate kNone =
      CompactDate(Date{std::chrono::days{std::numeric_limits<std::int32_t>::min()}});
  CompactDate date_ = kNone;
};

// A Period in 12 bytes instead of 24, converting to and from it.
struct CompactPeriod {
  Period::Kind kind = Period::Kind::day;
  CompactDate first;
  CompactDate last;
  constexpr CompactPeriod() = default;
  constexpr CompactPeriod(const Period& period)
      : kind(period.kind), first(period.first), last(period.last) {}
  constexpr operator Period() const { return {kind, first, last}; }
  friend constexpr bool operator==(const CompactPeriod&, const CompactPeriod&) = default;
};

// Parses a date literal of the language: `2022-12-31`, `31/12/2022`, `5/8/2022`,
// `2022-09`, `9/2022`, `2022-Q3`, `Q3/2022`, `2022`, and the periods as documents write
// them in words: `Quý III/2022`, `quý 3/2022`, `Quí IV/2022`, `QuýIII/2022` (Roman I to IV
// or 1 to 4) and `tháng 9/2022`, `Tháng 09/2022`, the words in NFC or NFD, in any letter
// case or typed without their accent (`Quy`, `thang`), spaces around the `/` allowed. On
// failure returns nullopt and sets `error` to a sentence saying what is wrong
// ("2022-02-30 is not a date: February 2022 has 28 days", "'Quý V/2022' is not a quarter:
// quarters are I to IV"). Years outside 1900..2200 are refused as typos. The text is
// taken as it is: spaces around it are the caller's to trim.
std::optional<Period> parse_period(std::string_view text, std::string& error);

// Whether `text` starts with the word of a period in words (`Quý`, `Quí`, `tháng`, as
// parse_period reads them): its errors about such a text are then specific.
bool is_period_in_words(std::string_view text);

struct Duration {
  enum class Unit { day, week, month, year };
  int count = 0;
  Unit unit = Unit::day;
  bool operator==(const Duration&) const = default;
};

// Parses `30d`, `2w`, `3m` (calendar months), `1y`. On failure returns nullopt and sets
// `error`. A duration is at least 1 and at most 100 years.
std::optional<Duration> parse_duration(std::string_view text, std::string& error);

// `date` moved by `duration`; months and years clamp to the month's last day
// (31/1 + 1m = 28/2 or 29/2).
Date add(Date date, Duration duration);
Date subtract(Date date, Duration duration);

// Approximate length in days (a month counts 30.4375 days), for comparisons.
double approximate_days(Duration duration);

// "2022-12-31"
std::string to_string(Date date);
// The inverse of to_string(Date): exactly "YYYY-MM-DD" naming a real day, else nullopt.
std::optional<Date> parse_iso_date(std::string_view text);
// Whether `date` is in the years the rules language and the store take (1900..2200),
// and those years as a person reads them ("1900..2200"). A date from a request or an
// option outside them is refused; a stored one outside them is still read.
bool supported_date(Date date);
std::string supported_years();
// "30d"
std::string to_string(Duration duration);

// Time stamps: "2026-11-28T10:00:00Z" (UTC, whole seconds), and back (nullopt for
// anything else).
std::string format_utc(std::chrono::system_clock::time_point time);
std::optional<std::chrono::system_clock::time_point> parse_utc(std::string_view text);

// The longest span of clock time anything accepts: ten years (3650 days). Time stamps
// stop at 2200 (parse_utc), so a time stamp plus this stays well inside system_clock's
// 64-bit nanoseconds (which end in 2262); nobody silences an alert or retries a
// message for longer.
inline constexpr std::chrono::seconds kMaxClockDuration{3650LL * 24 * 3600};

// "90s", "5m" (minutes), "2h", "1d": a span of clock time, as the command line and the
// service configuration write retry delays and timeouts. Nullopt on anything else,
// and on a span longer than kMaxClockDuration; "0s" is 0.
std::optional<std::chrono::seconds> parse_clock_duration(std::string_view text);

// The same for a setting that must be at least one second and at most `max` (at most
// kMaxClockDuration). On failure returns nullopt and sets `error` to "'soon' is not a
// duration; write e.g. 30s, 5m, 2h or 1d" or "'4000d' is out of range: from 1s to
// 3650d (10 years)", for the caller to prefix with the setting's name.
std::optional<std::chrono::seconds> parse_clock_duration(
    std::string_view text, std::string& error, std::chrono::seconds max = kMaxClockDuration);

// "3650d (10 years)", "1h", "90s": a bound of parse_clock_duration as errors show it.
std::string describe_clock_duration(std::chrono::seconds span);

}  // namespace tiendo::model

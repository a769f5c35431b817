// The nightly service's schedule: a five-field cron expression read in a time zone
// ("0 2 * * *" in Asia/Ho_Chi_Minh is every day at 02:00 Vietnamese time).
//
//   minute hour day-of-month month day-of-week
//
// Each field is `*`, a number, a range `a-b`, a step `*/n` or `a-b/n`, or a comma list
// of those. Months and weekdays also take English names (`jan`, `mon`); weekday 0 and 7
// are Sunday. As in Vixie cron, when both the day of the month and the day of the week
// are restricted, a day matching either one fires. `@hourly`, `@daily` (`@midnight`),
// `@weekly`, `@monthly` and `@yearly` (`@annually`) stand for their usual expressions.
#pragma once

#include <bitset>
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace date {
class time_zone;
}

namespace tiendo::service {

class CronSchedule {
 public:
  // Nullopt and `error` set (naming the field and what is wrong) when malformed.
  static std::optional<CronSchedule> parse(std::string_view text, std::string& error);

  // The first time strictly after `after` at which the schedule fires, in `zone`. A
  // local time that a daylight-saving change skips does not fire; one that it repeats
  // fires once, at its first occurrence. Nullopt when nothing fires within eight years
  // (e.g. "0 0 30 2 *").
  std::optional<std::chrono::sys_seconds> next(std::chrono::sys_seconds after,
                                               const date::time_zone* zone) const;

  // The last time at or before `at` at which it fired, within the eight years before;
  // for a service that starts and must tell whether it missed a run.
  std::optional<std::chrono::sys_seconds> previous(std::chrono::sys_seconds at,
                                                   const date::time_zone* zone) const;

  const std::string& text() const { return text_; }

 private:
  bool day_matches(std::chrono::year_month_day day) const;

  std::string text_;
  std::bitset<60> minutes_;
  std::bitset<24> hours_;
  std::bitset<32> days_;     // 1..31
  std::bitset<13> months_;   // 1..12
  std::bitset<7> weekdays_;  // 0 = Sunday
  bool any_day_ = true;      // day-of-month field is `*`
  bool any_weekday_ = true;  // day-of-week field is `*`
};

}  // namespace tiendo::service

// The service's schedule: five-field cron expressions, their errors, and the next and
// previous firing in a time zone, daylight-saving changes included.
#include "service/cron.hpp"

#include <date/tz.h>
#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "notify/outbox.hpp"

namespace tiendo::service {
namespace {

std::chrono::sys_seconds utc(const std::string& text) {
  const auto t = notify::parse_utc(text);
  EXPECT_TRUE(t.has_value()) << text;
  return std::chrono::floor<std::chrono::seconds>(t.value_or(notify::Clock::time_point{}));
}

std::string text(std::optional<std::chrono::sys_seconds> t) {
  return t ? notify::format_utc(*t) : std::string("none");
}

CronSchedule schedule(const std::string& text) {
  std::string error;
  auto s = CronSchedule::parse(text, error);
  EXPECT_TRUE(s.has_value()) << text << ": " << error;
  return s ? *s : *CronSchedule::parse("* * * * *", error);
}

std::string next(const std::string& cron, const std::string& after,
                 const std::string& zone = "Asia/Ho_Chi_Minh") {
  return text(schedule(cron).next(utc(after), date::locate_zone(zone)));
}

TEST(Cron, TheDefaultRunsAtTwoInTheMorningVietnameseTime) {
  // 17:00 in Hà Nội (UTC+7): the next run is 02:00 the next day, 19:00 UTC.
  EXPECT_EQ(next("0 2 * * *", "2026-11-28T10:00:00Z"), "2026-11-28T19:00:00Z");
  // Exactly at a run: the next one, a day later.
  EXPECT_EQ(next("0 2 * * *", "2026-11-28T19:00:00Z"), "2026-11-29T19:00:00Z");
  EXPECT_EQ(next("0 2 * * *", "2026-11-28T18:59:59Z"), "2026-11-28T19:00:00Z");
  EXPECT_EQ(text(schedule("0 2 * * *")
                     .previous(utc("2026-11-28T10:00:00Z"), date::locate_zone("Asia/Ho_Chi_Minh"))),
            "2026-11-27T19:00:00Z");
  EXPECT_EQ(text(schedule("0 2 * * *")
                     .previous(utc("2026-11-27T19:00:00Z"), date::locate_zone("Asia/Ho_Chi_Minh"))),
            "2026-11-27T19:00:00Z");
}

TEST(Cron, StepsRangesListsAndNames) {
  EXPECT_EQ(next("*/15 * * * *", "2026-11-28T10:07:30Z", "UTC"), "2026-11-28T10:15:00Z");
  EXPECT_EQ(next("5,35 * * * *", "2026-11-28T10:07:00Z", "UTC"), "2026-11-28T10:35:00Z");
  EXPECT_EQ(next("10-20/5 3 * * *", "2026-11-28T03:16:00Z", "UTC"), "2026-11-28T03:20:00Z");
  EXPECT_EQ(next("50/5 3 * * *", "2026-11-28T03:51:00Z", "UTC"), "2026-11-28T03:55:00Z");
  // 2026-11-28 is a Saturday: weekdays only means Monday.
  EXPECT_EQ(next("30 8 * * mon-fri", "2026-11-28T00:00:00Z", "UTC"), "2026-11-30T08:30:00Z");
  EXPECT_EQ(next("30 8 * JAN-MAR *", "2026-11-28T00:00:00Z", "UTC"), "2027-01-01T08:30:00Z");
  // 7 and 0 are both Sunday.
  EXPECT_EQ(next("0 0 * * 7", "2026-11-28T00:00:00Z", "UTC"), "2026-11-29T00:00:00Z");
  EXPECT_EQ(next("0 0 * * 0", "2026-11-28T00:00:00Z", "UTC"), "2026-11-29T00:00:00Z");
  EXPECT_EQ(next("@daily", "2026-11-28T00:00:00Z", "UTC"), "2026-11-29T00:00:00Z");
  EXPECT_EQ(next("@monthly", "2026-11-28T00:00:00Z", "UTC"), "2026-12-01T00:00:00Z");
}

TEST(Cron, DayOfMonthAndDayOfWeekBothRestrictedMeanEither) {
  // The 13th, or any Friday: Friday 4 December comes before Sunday 13 December.
  EXPECT_EQ(next("0 0 13 * fri", "2026-11-28T00:00:00Z", "UTC"), "2026-12-04T00:00:00Z");
  EXPECT_EQ(next("0 0 13 * fri", "2026-12-05T00:00:00Z", "UTC"), "2026-12-11T00:00:00Z");
  EXPECT_EQ(next("0 0 13 * fri", "2026-12-12T00:00:00Z", "UTC"), "2026-12-13T00:00:00Z");
  // With the weekday a star, only the day of the month counts.
  EXPECT_EQ(next("0 0 13 * *", "2026-11-28T00:00:00Z", "UTC"), "2026-12-13T00:00:00Z");
}

TEST(Cron, RareAndImpossibleDates) {
  EXPECT_EQ(next("0 0 29 2 *", "2026-03-01T00:00:00Z", "UTC"), "2028-02-29T00:00:00Z");
  EXPECT_EQ(next("0 0 30 2 *", "2026-03-01T00:00:00Z", "UTC"), "none");
  EXPECT_EQ(next("0 0 31 4,6 *", "2026-03-01T00:00:00Z", "UTC"), "none");
}

TEST(Cron, ASkippedLocalTimeDoesNotFireAndARepeatedOneFiresOnce) {
  // New York springs forward at 02:00 on 8 March 2026: 02:30 does not exist that day.
  EXPECT_EQ(next("30 2 * * *", "2026-03-08T05:00:00Z", "America/New_York"), "2026-03-09T06:30:00Z");
  // It falls back at 02:00 on 1 November 2026: 01:30 happens twice, and fires the first
  // time (05:30 UTC, EDT), not again an hour later (06:30 UTC, EST).
  EXPECT_EQ(next("30 1 * * *", "2026-11-01T04:00:00Z", "America/New_York"), "2026-11-01T05:30:00Z");
  EXPECT_EQ(next("30 1 * * *", "2026-11-01T05:30:00Z", "America/New_York"), "2026-11-02T06:30:00Z");
}

TEST(Cron, MalformedSchedulesSayWhatIsWrong) {
  const auto error_of = [](const std::string& text) {
    std::string error;
    EXPECT_FALSE(CronSchedule::parse(text, error).has_value()) << text;
    return error;
  };
  EXPECT_NE(error_of("0 2 * *").find("five fields"), std::string::npos);
  EXPECT_NE(error_of("0 2 * * * *").find("has 6"), std::string::npos);
  EXPECT_NE(error_of("60 2 * * *").find("minute: '60' is outside 0-59"), std::string::npos);
  EXPECT_NE(error_of("0 24 * * *").find("hour"), std::string::npos);
  EXPECT_NE(error_of("0 2 0 * *").find("day of month"), std::string::npos);
  EXPECT_NE(error_of("0 2 * 13 *").find("month"), std::string::npos);
  EXPECT_NE(error_of("0 2 * * 8").find("day of week"), std::string::npos);
  EXPECT_NE(error_of("0 5-2 * * *").find("runs backwards"), std::string::npos);
  EXPECT_NE(error_of("*/0 * * * *").find("not a step"), std::string::npos);
  EXPECT_NE(error_of("0 2 * * funday").find("'funday' is not a value"), std::string::npos);
  EXPECT_NE(error_of("0 2 ,1 * *").find("empty item"), std::string::npos);
  EXPECT_NE(error_of("@nightly").find("unknown schedule"), std::string::npos);
  EXPECT_NE(error_of("").find("five fields"), std::string::npos);
}

}  // namespace
}  // namespace tiendo::service

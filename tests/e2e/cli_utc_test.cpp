// Issue #12, point 1: every time tiendo labels UTC is UTC, whatever the process's time
// zone. CTest runs this suite again under TZ=Asia/Ho_Chi_Minh (how a server in Vietnam
// runs, UTC+7) and TZ=America/Los_Angeles; fmt 9 formats a system_clock time through
// localtime, which once put every stored time seven hours ahead there. Through the
// binary and a real database.
#include <date/tz.h>
#include <gtest/gtest.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "model/calendar.hpp"
#include "run.hpp"
#include "store/database.hpp"
#include "store/sql/statements.hpp"

namespace tiendo::testing {
namespace {

using namespace std::chrono_literals;
using json = nlohmann::json;
const std::string kSource = TIENDO_SOURCE_DIR;

// How far `stamp` (a UTC time stamp) is from the real time now.
std::chrono::seconds off_by(const std::string& stamp) {
  const auto parsed = model::parse_utc(stamp);
  EXPECT_TRUE(parsed.has_value()) << "'" << stamp << "' is not a UTC time stamp";
  if (!parsed) return std::chrono::hours(24 * 365);
  return std::chrono::abs(
      std::chrono::duration_cast<std::chrono::seconds>(*parsed - std::chrono::system_clock::now()));
}

class CliUtc : public ExamplesDatabaseTest {};

TEST_F(CliUtc, ATwoHourSilenceIsActiveAtOnce) {
  const RunResult added = tiendo(
      "silence add --match rule=online_dossier_2022 --duration 2h --author test "
      "--comment \"chờ số liệu\"");
  ASSERT_EQ(added.exit_code, 0) << added.err;
  const RunResult listed = tiendo("silence list --format json");
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  const json silences = json::parse(listed.out, nullptr, false);
  ASSERT_TRUE(silences.is_array() && silences.size() == 1u) << listed.out;
  const json& s = silences[0];
  EXPECT_EQ(s.value("status", ""), "active") << s.dump();
  EXPECT_LE(off_by(s.value("starts_at", "")), 5s) << s.dump();
  EXPECT_LE(off_by(s.value("created_at", "")), 5s) << s.dump();
  const auto starts = model::parse_utc(s.value("starts_at", ""));
  const auto ends = model::parse_utc(s.value("ends_at", ""));
  ASSERT_TRUE(starts && ends);
  EXPECT_EQ(*ends - *starts, std::chrono::hours(2));
}

TEST_F(CliUtc, ARunsTimesAreNowInUtcAndARetryDueInOneSecondIsRetriedWithinTwo) {
  // The examples' channel is e-mail; port 1 refuses, so the first attempt fails and the
  // retry is due a second later.
  const std::string delivery = " --smtp smtp://127.0.0.1:1 --smtp-starttls none --retry-initial 1s";
  const auto started = std::chrono::steady_clock::now();
  const RunResult ran = tiendo("run --rules rules --at 2022-09-30" + delivery);
  ASSERT_EQ(ran.exit_code, 0) << ran.out << ran.err;

  json outbox =
      json::parse(tiendo("outbox list --format json --state pending").out, nullptr, false);
  ASSERT_TRUE(outbox.is_array() && !outbox.empty()) << outbox.dump();
  for (const json& m : outbox) {
    EXPECT_EQ(m.value("attempts", 0), 1) << m.dump();
    EXPECT_LE(off_by(m.value("created_at", "")), 5s) << m.dump();
    EXPECT_LE(off_by(m.value("last_attempt_at", "")), 5s) << m.dump();
    // Due one second after the attempt, not seven hours (or eight) away.
    EXPECT_LE(off_by(m.value("next_attempt_at", "")), 5s) << m.dump();
  }

  // Every time the run stored, read through the store.
  {
    auto opened = store::Database::open(db_, store::Database::Mode::read_only);
    ASSERT_TRUE(std::holds_alternative<store::Database>(opened));
    store::Database& db = std::get<store::Database>(opened);
    store::Statement q =
        tiendo::store::sql::prepare(db, "SELECT started_at, finished_at FROM runs");
    int runs = 0;
    while (q.step()) {
      ++runs;
      EXPECT_LE(off_by(q.column_text(0)), 5s) << q.column_text(0);
      EXPECT_LE(off_by(q.column_text(1)), 5s) << q.column_text(1);
    }
    EXPECT_EQ(runs, 1);
    // The service's evaluations table is written by `serve` only (its times are checked
    // with the API's); the outbox rows' own times are above.
  }

  // Two seconds after the first attempt at most, the retry is due and made.
  std::this_thread::sleep_until(started + 2s);
  const RunResult delivered = tiendo("deliver" + delivery);
  EXPECT_EQ(delivered.exit_code, 0) << delivered.err;
  outbox = json::parse(tiendo("outbox list --format json --state pending").out, nullptr, false);
  ASSERT_TRUE(outbox.is_array() && !outbox.empty()) << outbox.dump();
  for (const json& m : outbox) {
    EXPECT_EQ(m.value("attempts", 0), 2) << m.dump();
    EXPECT_LE(off_by(m.value("last_attempt_at", "")), 5s) << m.dump();
  }
}

TEST_F(CliUtc, TodayIsTheConfiguredTimeZonesDate) {
  const auto now = std::chrono::system_clock::now();
  for (const char* zone : {"Asia/Ho_Chi_Minh", "America/Los_Angeles", "Pacific/Kiritimati"}) {
    const date::zoned_time<std::chrono::system_clock::duration> local(zone, now);
    const std::string expected =
        date::format("%Y-%m-%d", date::floor<date::days>(local.get_local_time()));
    const RunResult evaluated =
        tiendo(std::string("eval --rules rules --format json --time-zone ") + zone);
    ASSERT_EQ(evaluated.exit_code, 0) << evaluated.err;
    const json out = json::parse(evaluated.out, nullptr, false);
    ASSERT_TRUE(out.is_object()) << evaluated.out.substr(0, 300);
    // Unless the date turned over between the two readings.
    const date::zoned_time<std::chrono::system_clock::duration> after(
        zone, std::chrono::system_clock::now());
    const std::string expected_after =
        date::format("%Y-%m-%d", date::floor<date::days>(after.get_local_time()));
    EXPECT_TRUE(out.value("at", "") == expected || out.value("at", "") == expected_after)
        << zone << ": " << out.value("at", "") << " instead of " << expected;
  }
}

}  // namespace
}  // namespace tiendo::testing

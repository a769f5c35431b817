// The alert ledger's run written in steps (begin_run, write_results in batches,
// finish_run), as `tiendo serve` writes it: the same rows as record_run's one
// transaction, a run in progress that says so, the rewind refused before anything is
// written, and a failed run marked failed with its partial results kept.
#include "alert/ledger.hpp"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <tuple>
#include <vector>

#include "../e2e/run.hpp"
#include "store/sqlite/statements.hpp"
#include "support/example_data.hpp"
#include "support/store_rows.hpp"

namespace tiendo::alert {
namespace {

using store::Database;
using store::DbError;
using store::DbResult;

constexpr const char* kNow = "2022-10-01T01:00:00Z";

using tiendo::testing::count;
using tiendo::testing::open_memory;
using tiendo::testing::rows;

class LedgerSteps : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string error;
    example_ = testing::evaluate_example("2022-09-30", error, &db_);
    ASSERT_NE(example_, nullptr) << error;
    total_ = example_->results.rules.size() + example_->results.tasks.size();
    ASSERT_GT(total_, 20u);
  }

  DbResult<RunRecord> in_steps(Database& db, std::size_t batch) {
    auto begun = begin_run(db, example_->results.at, kNow, std::nullopt);
    if (auto* error = std::get_if<DbError>(&begun)) return *error;
    const std::int64_t id = std::get<std::int64_t>(begun);
    for (std::size_t from = 0; from < total_; from += batch) {
      auto written = write_results(db, id, example_->rules, example_->snapshot, example_->results,
                                   from, batch);
      if (auto* error = std::get_if<DbError>(&written)) return *error;
      EXPECT_EQ(std::get<std::size_t>(written), std::min(batch, total_ - from));
    }
    return finish_run(db, id, example_->rules, example_->snapshot, example_->results,
                      {.now = kNow, .commit = true, .limit = std::nullopt});
  }

  Database db_ = open_memory();
  std::unique_ptr<testing::ExampleEvaluation> example_;
  std::size_t total_ = 0;
};

TEST_F(LedgerSteps, WriteTheSameRowsAsOneTransaction) {
  Database whole = open_memory();
  auto one = record_run(whole, example_->rules, example_->snapshot, example_->results,
                        {.now = kNow, .commit = true, .limit = std::nullopt});
  ASSERT_TRUE(std::holds_alternative<RunRecord>(one)) << std::get<DbError>(one).message;
  auto steps = in_steps(db_, 7);
  ASSERT_TRUE(std::holds_alternative<RunRecord>(steps)) << std::get<DbError>(steps).message;
  EXPECT_EQ(std::get<RunRecord>(steps).results, total_);
  EXPECT_EQ(std::get<RunRecord>(steps).messages.size(), std::get<RunRecord>(one).messages.size());

  for (const std::string sql :
       {"SELECT * FROM runs ORDER BY id", "SELECT * FROM results ORDER BY subject, name, unit",
        "SELECT * FROM alerts ORDER BY fingerprint", "SELECT * FROM transitions ORDER BY id",
        "SELECT outbox_id, transition_id FROM outbox_transitions ORDER BY 1, 2",
        // The payloads name each database's own identity; the rest is the same.
        "SELECT id, run_id, channel, state, kind FROM outbox ORDER BY id"}) {
    const auto expected = rows(whole, sql);
    EXPECT_FALSE(expected.empty()) << sql;
    EXPECT_EQ(rows(db_, sql), expected) << sql;
  }
  EXPECT_EQ(count(db_, "SELECT count(*) FROM results"), static_cast<std::int64_t>(total_));
  EXPECT_EQ(rows(db_, "SELECT status, finished_at FROM runs"),
            std::vector<std::string>{std::string("succeeded|") + kNow + "|"});
}

TEST_F(LedgerSteps, ARunInProgressSaysSoAndAFailedOneKeepsWhatItWrote) {
  auto begun = begin_run(db_, example_->results.at, kNow, std::nullopt);
  ASSERT_TRUE(std::holds_alternative<std::int64_t>(begun)) << std::get<DbError>(begun).message;
  const std::int64_t id = std::get<std::int64_t>(begun);
  auto written =
      write_results(db_, id, example_->rules, example_->snapshot, example_->results, 0, 10);
  ASSERT_TRUE(std::holds_alternative<std::size_t>(written));
  EXPECT_EQ(std::get<std::size_t>(written), 10u);
  // Past the end there is nothing to write.
  written =
      write_results(db_, id, example_->rules, example_->snapshot, example_->results, total_, 10);
  ASSERT_TRUE(std::holds_alternative<std::size_t>(written));
  EXPECT_EQ(std::get<std::size_t>(written), 0u);

  EXPECT_EQ(rows(db_, "SELECT status, ifnull(finished_at, '-') FROM runs"),
            std::vector<std::string>{"running|-|"});
  EXPECT_EQ(count(db_, "SELECT count(*) FROM results"), 10);
  EXPECT_EQ(count(db_, "SELECT count(*) FROM alerts"), 0);

  EXPECT_FALSE(fail_runs(db_, std::nullopt, "interrupted: the service stopped", kNow));
  EXPECT_EQ(rows(db_, "SELECT status, finished_at, error FROM runs"),
            std::vector<std::string>{std::string("failed|") + kNow +
                                     "|interrupted: the service stopped|"});
  EXPECT_EQ(count(db_, "SELECT count(*) FROM results"), 10);
  // A failed run cannot be finished after all.
  auto finished = finish_run(db_, id, example_->rules, example_->snapshot, example_->results,
                             {.now = kNow, .commit = true, .limit = std::nullopt});
  ASSERT_TRUE(std::holds_alternative<DbError>(finished));
  EXPECT_NE(std::get<DbError>(finished).message.find("not a run in progress"), std::string::npos);
  EXPECT_EQ(count(db_, "SELECT count(*) FROM alerts"), 0);
  EXPECT_EQ(count(db_, "SELECT count(*) FROM outbox"), 0);
}

TEST_F(LedgerSteps, ARewindIsRefusedBeforeAnythingIsWritten) {
  auto first = in_steps(db_, 1000);
  ASSERT_TRUE(std::holds_alternative<RunRecord>(first)) << std::get<DbError>(first).message;
  const auto runs_before = count(db_, "SELECT count(*) FROM runs");
  auto earlier = begin_run(db_, example_->results.at - std::chrono::days(1), kNow, std::nullopt);
  ASSERT_TRUE(std::holds_alternative<DbError>(earlier));
  EXPECT_NE(std::get<DbError>(earlier).message.find("would rewind them"), std::string::npos)
      << std::get<DbError>(earlier).message;
  EXPECT_EQ(count(db_, "SELECT count(*) FROM runs"), runs_before);
  // The same date again is no rewind, and every open alert was evaluated by it, the
  // unchanged ones (all of them here) included.
  auto again = in_steps(db_, 1000);
  ASSERT_TRUE(std::holds_alternative<RunRecord>(again)) << std::get<DbError>(again).message;
  const std::int64_t id = std::get<RunRecord>(again).run_id;
  EXPECT_GT(count(db_, "SELECT count(*) FROM alerts WHERE lifecycle != 'resolved'"), 0);
  EXPECT_EQ(count(db_,
                  "SELECT count(*) FROM alerts WHERE lifecycle != 'resolved' AND "
                  "updated_run != " +
                      std::to_string(id)),
            0);
  EXPECT_TRUE(std::get<RunRecord>(again).output.transitions.empty());
}

// The listing the API and the dashboard read: most severe first, then oldest, then by
// fingerprint; filtered by lifecycle, severity, rule and unit; paged, with the total.
TEST_F(LedgerSteps, AlertsAreListedMostSevereAndOldestFirstInPages) {
  auto recorded = in_steps(db_, 1000);
  ASSERT_TRUE(std::holds_alternative<RunRecord>(recorded));
  // Spread the dates and severities, so that the order has something to show.
  ASSERT_FALSE(tiendo::store::sqlite::execute(
      db_,
      "UPDATE alerts SET since = date(since, '-' || (rowid % 5) || ' days'), severity = CASE "
      "rowid % 3 WHEN 0 THEN 'critical' WHEN 1 THEN 'warning' ELSE 'info' END"));
  const auto all_open = load_alerts(db_, /*open_only=*/true);
  ASSERT_TRUE(std::holds_alternative<std::vector<AlertRecord>>(all_open));
  std::vector<AlertRecord> expected = std::get<std::vector<AlertRecord>>(all_open);
  ASSERT_GE(expected.size(), 4u);
  const auto rank = [](model::Severity s) {
    return s == model::Severity::critical ? 0 : s == model::Severity::warning ? 1 : 2;
  };
  std::sort(expected.begin(), expected.end(), [&](const AlertRecord& a, const AlertRecord& b) {
    return std::tuple(rank(a.severity), a.since, a.fingerprint) <
           std::tuple(rank(b.severity), b.since, b.fingerprint);
  });

  std::vector<std::string> listed;
  AlertQuery query;
  query.limit = 3;
  for (query.offset = 0; query.offset < expected.size() + 3; query.offset += query.limit) {
    auto page = list_alerts(db_, query);
    ASSERT_TRUE(std::holds_alternative<AlertPage>(page)) << std::get<DbError>(page).message;
    EXPECT_EQ(std::get<AlertPage>(page).total, static_cast<std::int64_t>(expected.size()));
    for (const AlertRecord& a : std::get<AlertPage>(page).alerts) listed.push_back(a.fingerprint);
  }
  std::vector<std::string> wanted;
  for (const AlertRecord& a : expected) wanted.push_back(a.fingerprint);
  EXPECT_EQ(listed, wanted);

  // Filters.
  const AlertRecord& one = expected.front();
  query = {};
  query.severity = one.severity;
  query.unit = one.unit;
  query.limit = 1000;
  auto filtered = list_alerts(db_, query);
  ASSERT_TRUE(std::holds_alternative<AlertPage>(filtered));
  ASSERT_FALSE(std::get<AlertPage>(filtered).alerts.empty());
  for (const AlertRecord& a : std::get<AlertPage>(filtered).alerts) {
    EXPECT_EQ(a.severity, one.severity);
    EXPECT_EQ(a.unit, one.unit);
  }
  query = {};
  query.set = AlertQuery::Set::resolved;
  auto resolved = list_alerts(db_, query);
  ASSERT_TRUE(std::holds_alternative<AlertPage>(resolved));
  EXPECT_EQ(std::get<AlertPage>(resolved).total, 0);
  query.set = AlertQuery::Set::all;
  query.rule = "no_such_rule";
  auto none = list_alerts(db_, query);
  ASSERT_TRUE(std::holds_alternative<AlertPage>(none));
  EXPECT_EQ(std::get<AlertPage>(none).total, 0);
}

// Tells when a connection starts a BEGIN IMMEDIATE (SQLite's statement trace), which is
// when a store::Transaction, its turn in this process taken, goes for SQLite's lock.
class BeginWatch {
 public:
  explicit BeginWatch(sqlite3* db) : db_(db) {
    sqlite3_trace_v2(db_, SQLITE_TRACE_STMT, &BeginWatch::on_statement, this);
  }
  ~BeginWatch() { sqlite3_trace_v2(db_, 0, nullptr, nullptr); }
  BeginWatch(const BeginWatch&) = delete;
  BeginWatch& operator=(const BeginWatch&) = delete;

  bool wait(std::chrono::seconds bound) {
    std::unique_lock lock(mutex_);
    return begun_cv_.wait_for(lock, bound, [this] { return begun_; });
  }

 private:
  static int on_statement(unsigned, void* self, void*, void* sql) {
    auto* watch = static_cast<BeginWatch*>(self);
    if (std::string_view(static_cast<const char*>(sql)).starts_with("BEGIN IMMEDIATE")) {
      const std::lock_guard lock(watch->mutex_);
      watch->begun_ = true;
      watch->begun_cv_.notify_all();
    }
    return 0;
  }
  sqlite3* db_;
  std::mutex mutex_;
  std::condition_variable begun_cv_;
  bool begun_ = false;
};

// finish_run reconciles before it takes the write lock; a silence committed meanwhile
// (here by a writer holding the lock while finish_run waits for it) must still count.
// The writer is another connection that holds SQLite's lock without a store::Transaction
// (as another process would), so finish_run's BEGIN IMMEDIATE is the moment it waits.
TEST(LedgerStepsRace, ASilenceCommittedWhileTheRunWaitsForTheLockCounts) {
  testing::TempDir dir;
  const std::string path = dir.path() + "/t.db";
  // A busy timeout far longer than the test, which commits the other writer at once.
  auto opened = Database::open(path, {.busy_timeout_ms = 120000, .mode = Database::Mode::create});
  ASSERT_TRUE(std::holds_alternative<Database>(opened));
  Database db = std::move(std::get<Database>(opened));
  std::string error;
  const auto example = testing::evaluate_example("2022-09-30", error, &db);
  ASSERT_NE(example, nullptr) << error;
  {
    // Without the silence, this run has messages to send.
    Database reference = open_memory();
    auto loud = record_run(reference, example->rules, example->snapshot, example->results,
                           {.now = kNow, .commit = true, .limit = std::nullopt});
    ASSERT_TRUE(std::holds_alternative<RunRecord>(loud));
    ASSERT_FALSE(std::get<RunRecord>(loud).messages.empty());
  }
  auto begun = begin_run(db, example->results.at, kNow, std::nullopt);
  ASSERT_TRUE(std::holds_alternative<std::int64_t>(begun));
  const std::int64_t id = std::get<std::int64_t>(begun);

  auto other = Database::open(path);
  ASSERT_TRUE(std::holds_alternative<Database>(other));
  Database silencer = std::move(std::get<Database>(other));
  ASSERT_FALSE(tiendo::store::sqlite::execute(silencer, "BEGIN IMMEDIATE"));
  BeginWatch begin(tiendo::store::sqlite::handle(db));
  std::thread finisher([&] {
    auto finished = finish_run(db, id, example->rules, example->snapshot, example->results,
                               {.now = kNow, .commit = true, .limit = std::nullopt});
    ASSERT_TRUE(std::holds_alternative<RunRecord>(finished)) << std::get<DbError>(finished).message;
    const RunRecord& run = std::get<RunRecord>(finished);
    EXPECT_TRUE(run.messages.empty()) << run.messages.size() << " messages despite the silence";
    for (const Transition& t : run.output.transitions) {
      EXPECT_FALSE(t.notify) << t.fingerprint << " was announced despite the silence";
    }
  });
  // finish_run has reconciled once it asks SQLite for the lock.
  EXPECT_TRUE(begin.wait(std::chrono::seconds(60))) << "finish_run never asked for the lock";
  EXPECT_FALSE(tiendo::store::sqlite::execute(
      silencer,
      "INSERT INTO silences (matchers, starts_at, ends_at, author, comment, created_at) VALUES "
      "('[{\"name\":\"severity\",\"op\":\"=~\",\"value\":\".+\"}]', "
      "'2022-10-01T00:00:00Z', '2022-10-02T00:00:00Z', 'test', 'everything', "
      "'2022-10-01T00:00:00Z')"));
  EXPECT_FALSE(tiendo::store::sqlite::execute(silencer, "COMMIT"));
  finisher.join();
  EXPECT_EQ(count(db, "SELECT count(*) FROM outbox"), 0);
  EXPECT_GT(count(db, "SELECT count(*) FROM transitions WHERE silenced_by IS NOT NULL"), 0);
}

// Issue #13: a silence's regular expressions are compiled when it is loaded, once for
// every alert of the run, and the silence durations are bounded in seconds.
TEST(LedgerSilences, AreCompiledOnceWhenLoaded) {
  Database db = open_memory();
  std::string error;
  auto silence =
      make_silence({{"rule=~(.|.|.|.)*X", "unit=dong_nai"}, "", "", "1h", "a", "c"}, kNow, error);
  ASSERT_TRUE(silence.has_value()) << error;
  ASSERT_TRUE(std::holds_alternative<std::optional<std::int64_t>>(add_silence(db, *silence)));
  // One stored before RE2, with ECMAScript's look-ahead: kept, listed, matching nothing.
  ASSERT_FALSE(tiendo::store::sqlite::execute(
      db,
      "INSERT INTO silences (matchers, starts_at, ends_at, author, comment, created_at) VALUES "
      "('[{\"name\":\"rule\",\"op\":\"!~\",\"value\":\"(?=x)\"}]', "
      "'2022-10-01T00:00:00Z', '2022-10-02T00:00:00Z', 'a', 'c', '2022-10-01T00:00:00Z')"));
  auto loaded = load_silences(db, false);
  ASSERT_TRUE(std::holds_alternative<std::vector<Silence>>(loaded));
  const auto& silences = std::get<std::vector<Silence>>(loaded);
  ASSERT_EQ(silences.size(), 2u);
  ASSERT_EQ(silences[0].matchers.size(), 2u);
  EXPECT_NE(silences[0].matchers[0].regex, nullptr);
  EXPECT_EQ(silences[0].matchers[1].regex, nullptr);  // an equality needs none
  EXPECT_TRUE(matches(silences[0].matchers,
                      {{"rule", std::string(5000, 'a') + "X"}, {"unit", "dong_nai"}}));
  EXPECT_FALSE(
      matches(silences[0].matchers, {{"rule", std::string(5000, 'a')}, {"unit", "dong_nai"}}));
  EXPECT_EQ(silences[1].matchers[0].value, "(?=x)");
  EXPECT_EQ(silences[1].matchers[0].regex, nullptr);
  EXPECT_FALSE(matches(silences[1].matchers, {{"rule", "y"}}));
}

TEST(LedgerSilences, ADurationIsAtMostTenYears) {
  std::string error;
  // "2562048d" ended five hours after it started: 2562048 days of nanoseconds overflow.
  EXPECT_FALSE(make_silence({{"rule=x"}, "", "", "2562048d", "a", "c"}, kNow, error));
  EXPECT_EQ(error, "duration: '2562048d' is out of range: from 1s to 3650d (10 years)");
  EXPECT_FALSE(make_silence({{"rule=x"}, "", "", "0s", "a", "c"}, kNow, error));
  const auto longest = make_silence({{"rule=x"}, "", "", "3650d", "a", "c"}, kNow, error);
  ASSERT_TRUE(longest.has_value()) << error;
  EXPECT_EQ(longest->ends_at, "2032-09-28T01:00:00Z");
  // From the latest start there is, too.
  const auto late =
      make_silence({{"rule=x"}, "2200-12-31T00:00:00Z", "", "3650d", "a", "c"}, kNow, error);
  ASSERT_TRUE(late.has_value()) << error;
  EXPECT_EQ(late->ends_at, "2210-12-29T00:00:00Z");
  // A matcher refused names itself after "match: ".
  EXPECT_FALSE(make_silence(
      {{"rule=~" + std::string(20000, '(') + std::string(20000, ')')}, "", "", "1h", "a", "c"},
      kNow, error));
  EXPECT_EQ(error.rfind("match: rule=~'((((", 0), 0u) << error;
}

// Issue #13: anyone with a write token adds silences, and each is matched against every
// alert of every run; what one holds and how many are live is bounded.
TEST(LedgerSilences, WhatASilenceHoldsIsBounded) {
  std::string error;
  std::vector<std::string> many(kMaxSilenceMatchers + 1, "rule=x");
  EXPECT_FALSE(make_silence({many, "", "", "1h", "a", "c"}, kNow, error));
  EXPECT_EQ(error, "match: 33 matchers; a silence has at most 32");
  many.pop_back();
  EXPECT_TRUE(make_silence({many, "", "", "1h", "a", "c"}, kNow, error)) << error;

  EXPECT_FALSE(make_silence({{"rule=x"}, "", "", "1h", std::string(257, 'a'), "c"}, kNow, error));
  EXPECT_EQ(error, "author: 257 bytes; at most 256");
  EXPECT_FALSE(make_silence({{"rule=x"}, "", "", "1h", "a", std::string(4097, 'c')}, kNow, error));
  EXPECT_EQ(error, "comment: 4097 bytes; at most 4096");
  EXPECT_FALSE(make_silence({{"rule=x"}, "", "", "1h", "a\nb", "c"}, kNow, error));
  EXPECT_EQ(error, "author: a control character (0x0A) at byte 2; an author holds none");
  EXPECT_FALSE(make_silence({{"rule=x"}, "", "", "1h", "a", std::string("x\0y", 3)}, kNow, error));
  EXPECT_EQ(error,
            "comment: a control character (0x00) at byte 2; a comment may hold tabs and line "
            "breaks but no other");
  EXPECT_FALSE(make_silence({{"rule=x"}, "", "", "1h", "a", "caf\xC3"}, kNow, error));
  EXPECT_EQ(error, "comment: not UTF-8 (byte 4)");
  EXPECT_TRUE(make_silence(
      {{"rule=x"}, "", "", "1h", "Nguyễn Văn A", "Báo cáo quý 3\n\tđang chờ số liệu"}, kNow, error))
      << error;
}

TEST(LedgerSilences, LiveSilencesAreBounded) {
  Database db = open_memory();
  std::string error;
  const auto silence = make_silence({{"rule=x"}, "", "", "1h", "a", "c"}, kNow, error);
  ASSERT_TRUE(silence.has_value()) << error;
  // Ended and expired ones do not count.
  ASSERT_FALSE(tiendo::store::sqlite::execute(
      db,
      "INSERT INTO silences (matchers, starts_at, ends_at, author, comment, created_at) VALUES "
      "('[]', '2022-01-01T00:00:00Z', '2022-01-02T00:00:00Z', 'a', 'ended', "
      "'2022-01-01T00:00:00Z')"));
  ASSERT_FALSE(tiendo::store::sqlite::execute(
      db,
      "INSERT INTO silences (matchers, starts_at, ends_at, author, comment, created_at, "
      "expired_at) VALUES ('[]', '2022-10-01T00:00:00Z', '2023-01-01T00:00:00Z', 'a', "
      "'expired', '2022-10-01T00:00:00Z', '2022-10-01T00:30:00Z')"));
  for (std::int64_t i = 0; i < kMaxLiveSilences; ++i) {
    auto added = add_silence(db, *silence);
    ASSERT_TRUE(std::holds_alternative<std::optional<std::int64_t>>(added));
    ASSERT_TRUE(std::get<std::optional<std::int64_t>>(added).has_value()) << i;
  }
  auto refused = add_silence(db, *silence);
  ASSERT_TRUE(std::holds_alternative<std::optional<std::int64_t>>(refused));
  EXPECT_FALSE(std::get<std::optional<std::int64_t>>(refused).has_value());
  EXPECT_EQ(count(db, "SELECT count(*) FROM silences"), kMaxLiveSilences + 2);
  // One expired makes room for one.
  ASSERT_TRUE(std::get<bool>(expire_silence(db, 3, kNow)));
  auto again = add_silence(db, *silence);
  ASSERT_TRUE(std::holds_alternative<std::optional<std::int64_t>>(again));
  EXPECT_TRUE(std::get<std::optional<std::int64_t>>(again).has_value());
}

}  // namespace
}  // namespace tiendo::alert

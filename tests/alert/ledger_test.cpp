// The alert ledger's run written in steps (begin_run, result_changes, write_results in
// batches, finish_run), as `tiendo serve` writes it: the same rows as record_run's one
// transaction, a run in progress that says so, the rewind refused before anything is
// written, and a failed run marked failed with its partial results taken back. Results
// are kept as changes: a run writes only what changed, and every run's results can still
// be read whole (results_at).
#include "alert/ledger.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <string_view>
#include <thread>
#include <tuple>
#include <vector>

#include "../e2e/run.hpp"
#include "store/sql/statements.hpp"
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
    auto found = result_changes(db, example_->rules, example_->snapshot, example_->results);
    if (auto* error = std::get_if<DbError>(&found)) return *error;
    const ResultChanges& changes = std::get<ResultChanges>(found);
    const std::size_t to_write = changes.write.size();
    for (std::size_t from = 0; from < to_write; from += batch) {
      auto written = write_results(db, id, example_->rules, example_->snapshot, example_->results,
                                   changes, from, batch);
      if (auto* error = std::get_if<DbError>(&written)) return *error;
      EXPECT_EQ(std::get<std::size_t>(written), std::min(batch, to_write - from));
    }
    return finish_run(db, id, example_->rules, example_->snapshot, example_->results, changes,
                      {.now = kNow, .commit = true, .limit = std::nullopt});
  }

  ResultChanges changes_now(Database& db) {
    auto found = result_changes(db, example_->rules, example_->snapshot, example_->results);
    EXPECT_TRUE(std::holds_alternative<ResultChanges>(found));
    return std::holds_alternative<ResultChanges>(found) ? std::get<ResultChanges>(found)
                                                        : ResultChanges{};
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
       {"SELECT * FROM runs ORDER BY id",
        "SELECT subject, name, unit, from_run, to_run, digest, state, detail FROM result_spans "
        "JOIN result_details ON id = details ORDER BY subject, name, unit, from_run",
        "SELECT * FROM alerts ORDER BY fingerprint", "SELECT * FROM transitions ORDER BY id",
        "SELECT outbox_id, transition_id FROM outbox_transitions ORDER BY 1, 2",
        // The payloads name each database's own identity; the rest is the same.
        "SELECT id, run_id, channel, state, kind FROM outbox ORDER BY id"}) {
    const auto expected = rows(whole, sql);
    EXPECT_FALSE(expected.empty()) << sql;
    EXPECT_EQ(rows(db_, sql), expected) << sql;
  }
  EXPECT_EQ(count(db_, "SELECT count(*) FROM result_spans"), static_cast<std::int64_t>(total_));
  EXPECT_EQ(rows(db_, "SELECT status, finished_at, results_changed FROM runs"),
            std::vector<std::string>{std::string("succeeded|") + kNow + "|" +
                                     std::to_string(total_) + "|"});
}

TEST_F(LedgerSteps, ARunInProgressSaysSoAndAFailedOneTakesBackWhatItWrote) {
  auto begun = begin_run(db_, example_->results.at, kNow, std::nullopt);
  ASSERT_TRUE(std::holds_alternative<std::int64_t>(begun)) << std::get<DbError>(begun).message;
  const std::int64_t id = std::get<std::int64_t>(begun);
  const ResultChanges changes = changes_now(db_);
  ASSERT_EQ(changes.write.size(), total_);  // nothing stored yet: every result is new
  auto written = write_results(db_, id, example_->rules, example_->snapshot, example_->results,
                               changes, 0, 10);
  ASSERT_TRUE(std::holds_alternative<std::size_t>(written));
  EXPECT_EQ(std::get<std::size_t>(written), 10u);
  // Past the end there is nothing to write.
  written = write_results(db_, id, example_->rules, example_->snapshot, example_->results, changes,
                          total_, 10);
  ASSERT_TRUE(std::holds_alternative<std::size_t>(written));
  EXPECT_EQ(std::get<std::size_t>(written), 0u);

  EXPECT_EQ(rows(db_, "SELECT status, coalesce(finished_at, '-') FROM runs"),
            std::vector<std::string>{"running|-|"});
  EXPECT_EQ(count(db_, "SELECT count(*) FROM result_spans"), 10);
  EXPECT_EQ(count(db_, "SELECT count(*) FROM result_details"), 10);
  EXPECT_EQ(count(db_, "SELECT count(*) FROM alerts"), 0);
  // Rows of a run in progress are no one's results yet.
  auto at_run = store::results_at(db_, id, {});
  ASSERT_TRUE(std::holds_alternative<store::StoredResultPage>(at_run));
  EXPECT_EQ(std::get<store::StoredResultPage>(at_run).status,
            store::StoredResultPage::Status::not_succeeded);
  EXPECT_EQ(changes_now(db_).write.size(), total_);

  EXPECT_FALSE(fail_runs(db_, std::nullopt, "interrupted: the service stopped", kNow));
  EXPECT_EQ(rows(db_, "SELECT status, finished_at, error FROM runs"),
            std::vector<std::string>{std::string("failed|") + kNow +
                                     "|interrupted: the service stopped|"});
  EXPECT_EQ(count(db_, "SELECT count(*) FROM result_spans"), 0);
  EXPECT_EQ(count(db_, "SELECT count(*) FROM result_details"), 0);  // they went with the rows
  // A failed run cannot be finished after all.
  auto finished = finish_run(db_, id, example_->rules, example_->snapshot, example_->results,
                             changes, {.now = kNow, .commit = true, .limit = std::nullopt});
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
  // The same date again is no rewind. Every open alert was evaluated by it, the unchanged
  // ones (all of them here) included, and none of them was written.
  const auto alerts_before = rows(db_, "SELECT * FROM alerts ORDER BY fingerprint");
  auto again = in_steps(db_, 1000);
  ASSERT_TRUE(std::holds_alternative<RunRecord>(again)) << std::get<DbError>(again).message;
  const RunRecord& run = std::get<RunRecord>(again);
  EXPECT_GT(count(db_, "SELECT count(*) FROM alerts WHERE lifecycle != 'resolved'"), 0);
  EXPECT_EQ(rows(db_, "SELECT * FROM alerts ORDER BY fingerprint"), alerts_before);
  EXPECT_TRUE(run.output.transitions.empty());
  EXPECT_TRUE(run.output.alerts.empty());
  EXPECT_GT(run.output.firing, 0u);
  EXPECT_EQ(run.output.began_firing, 0u);
  EXPECT_EQ(run.results_changed, 0u);
  EXPECT_EQ(
      count(db_, "SELECT count(*) FROM alert_prior WHERE run_id = " + std::to_string(run.run_id)),
      0);
}

// The listing the API and the dashboard read: most severe first, then oldest, then by
// fingerprint; filtered by lifecycle, severity, rule and unit; paged, with the total.
TEST_F(LedgerSteps, AlertsAreListedMostSevereAndOldestFirstInPages) {
  auto recorded = in_steps(db_, 1000);
  ASSERT_TRUE(std::holds_alternative<RunRecord>(recorded));
  // Spread the dates and severities, so that the order has something to show.
  const std::vector<std::string> fingerprints =
      rows(db_, "SELECT fingerprint FROM alerts ORDER BY fingerprint");
  for (std::size_t i = 0; i < fingerprints.size(); ++i) {
    tiendo::store::Statement spread = tiendo::store::sql::prepare(
        db_, "UPDATE alerts SET since = ?2, severity = ?3 WHERE fingerprint = ?1");
    spread.bind(1, fingerprints[i].substr(0, fingerprints[i].size() - 1))
        .bind(2, fmt::format("2022-09-{:02}", 26 - i % 5))
        .bind(3, std::string_view(i % 3 == 0   ? "critical"
                                  : i % 3 == 1 ? "warning"
                                               : "info"));
    ASSERT_FALSE(tiendo::store::sql::run(spread)) << fingerprints[i];
  }
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

  // Filters (on an alert of a unit: an empty unit filters nothing).
  const auto with_unit = std::find_if(expected.begin(), expected.end(),
                                      [](const AlertRecord& a) { return !a.unit.empty(); });
  ASSERT_NE(with_unit, expected.end());
  const AlertRecord& one = *with_unit;
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
  ASSERT_FALSE(tiendo::store::sql::execute(silencer, "BEGIN IMMEDIATE"));
  BeginWatch begin(tiendo::store::sql::sqlite_handle(db));
  std::thread finisher([&] {
    auto found = result_changes(db, example->rules, example->snapshot, example->results);
    ASSERT_TRUE(std::holds_alternative<ResultChanges>(found));
    auto finished = finish_run(db, id, example->rules, example->snapshot, example->results,
                               std::get<ResultChanges>(found),
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
  EXPECT_FALSE(tiendo::store::sql::execute(
      silencer,
      "INSERT INTO silences (matchers, starts_at, ends_at, author, comment, created_at) VALUES "
      "('[{\"name\":\"severity\",\"op\":\"=~\",\"value\":\".+\"}]', "
      "'2022-10-01T00:00:00Z', '2022-10-02T00:00:00Z', 'test', 'everything', "
      "'2022-10-01T00:00:00Z')"));
  EXPECT_FALSE(tiendo::store::sql::execute(silencer, "COMMIT"));
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
  ASSERT_FALSE(tiendo::store::sql::execute(
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
  ASSERT_FALSE(tiendo::store::sql::execute(
      db,
      "INSERT INTO silences (matchers, starts_at, ends_at, author, comment, created_at) VALUES "
      "('[]', '2022-01-01T00:00:00Z', '2022-01-02T00:00:00Z', 'a', 'ended', "
      "'2022-01-01T00:00:00Z')"));
  ASSERT_FALSE(tiendo::store::sql::execute(
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

// ---------------------------------------------------------------------------------------
// Results kept as changes (issue #15).

// Every result of run `run` as results_at gives it, a line each: "subject|name|unit|state|
// detail|since".
std::vector<std::string> stored_at(Database& db, std::int64_t run,
                                   const store::StoredResultQuery& query = {}) {
  store::StoredResultQuery all = query;
  all.limit = 1000000;
  auto page = store::results_at(db, run, all);
  EXPECT_TRUE(std::holds_alternative<store::StoredResultPage>(page));
  std::vector<std::string> out;
  if (!std::holds_alternative<store::StoredResultPage>(page)) return out;
  const auto& p = std::get<store::StoredResultPage>(page);
  EXPECT_EQ(p.status, store::StoredResultPage::Status::ok) << "run " << run;
  EXPECT_EQ(p.total, static_cast<std::int64_t>(p.results.size()));
  for (const store::StoredResult& r : p.results) {
    out.push_back(fmt::format("{}|{}|{}|{}|{}|{}", store::to_string(r.subject), r.name, r.unit,
                              r.state, r.detail, r.since_run));
  }
  return out;
}

// Drops the trailing "|since" of stored_at's lines: what the result says.
std::vector<std::string> said(std::vector<std::string> lines) {
  for (std::string& line : lines) line.erase(line.rfind('|'));
  return lines;
}

std::int64_t recorded(Database& db, const model::RuleSet& rules, const store::Snapshot& snapshot,
                      const eval::Results& results, RunRecord* out = nullptr) {
  auto run = record_run(db, rules, snapshot, results,
                        {.now = kNow, .commit = true, .limit = std::nullopt});
  EXPECT_TRUE(std::holds_alternative<RunRecord>(run)) << std::get<DbError>(run).message;
  if (!std::holds_alternative<RunRecord>(run)) return 0;
  if (out) *out = std::get<RunRecord>(run);
  return std::get<RunRecord>(run).run_id;
}

TEST_F(LedgerSteps, ARunWritesOnlyTheResultsThatChangedAndEveryRunReadsWhole) {
  RunRecord first_run, same_run, changed_run;
  const std::int64_t first =
      recorded(db_, example_->rules, example_->snapshot, example_->results, &first_run);
  EXPECT_EQ(first_run.results_changed, total_);
  const auto at_first = stored_at(db_, first);
  ASSERT_EQ(at_first.size(), total_);

  // Nothing changed: nothing written, and the run reads the same results, found by the first.
  const std::int64_t same =
      recorded(db_, example_->rules, example_->snapshot, example_->results, &same_run);
  EXPECT_EQ(same_run.results_changed, 0u);
  EXPECT_EQ(count(db_, "SELECT count(*) FROM result_spans"), static_cast<std::int64_t>(total_));
  EXPECT_EQ(stored_at(db_, same), at_first);

  // One result's value changes, and one rule's results are gone (a rule taken out).
  eval::Results next = example_->results;
  std::size_t moved = next.rules.size();
  for (std::size_t i = 0; i < next.rules.size(); ++i) {
    if (next.rules[i].value && next.rules[i].unit >= 0) {
      moved = i;
      break;
    }
  }
  ASSERT_LT(moved, next.rules.size());
  next.rules[moved].value = *next.rules[moved].value + 0.125;
  const std::string moved_rule =
      example_->rules.rules[static_cast<std::size_t>(next.rules[moved].rule)].name;
  const std::string moved_unit =
      example_->snapshot.units()[static_cast<std::size_t>(next.rules[moved].unit)].id;
  const model::Index dropped = next.rules.back().rule;
  const std::string dropped_rule = example_->rules.rules[static_cast<std::size_t>(dropped)].name;
  ASSERT_NE(dropped_rule, moved_rule);
  const auto dropped_count =
      std::erase_if(next.rules, [&](const eval::RuleResult& r) { return r.rule == dropped; });
  ASSERT_GT(dropped_count, 0u);
  const std::int64_t changed =
      recorded(db_, example_->rules, example_->snapshot, next, &changed_run);
  EXPECT_EQ(changed_run.results_changed, 1 + dropped_count);
  EXPECT_EQ(count(db_, "SELECT count(*) FROM result_spans"), static_cast<std::int64_t>(total_) + 1);

  const auto at_changed = stored_at(db_, changed);
  EXPECT_EQ(at_changed.size(), total_ - dropped_count);
  const store::StoredResultQuery one{store::Subject::rule, moved_rule, moved_unit, 0, 10};
  const auto moved_now = stored_at(db_, changed, one);
  const auto moved_then = stored_at(db_, same, one);
  ASSERT_EQ(moved_now.size(), 1u);
  ASSERT_EQ(moved_then.size(), 1u);
  EXPECT_NE(said(moved_now), said(moved_then));
  EXPECT_TRUE(moved_now[0].ends_with("|" + std::to_string(changed))) << moved_now[0];
  EXPECT_TRUE(moved_then[0].ends_with("|" + std::to_string(first))) << moved_then[0];
  EXPECT_TRUE(stored_at(db_, changed, {store::Subject::rule, dropped_rule, "", 0, 10}).empty());
  EXPECT_EQ(stored_at(db_, same, {store::Subject::rule, dropped_rule, "", 0, 10}).size(),
            dropped_count);
  // The earlier runs read as they were.
  EXPECT_EQ(stored_at(db_, first), at_first);
  EXPECT_EQ(stored_at(db_, same), at_first);

  // Back to the first results: the value and the rule come back, as changes.
  RunRecord back_run;
  const std::int64_t back =
      recorded(db_, example_->rules, example_->snapshot, example_->results, &back_run);
  EXPECT_EQ(back_run.results_changed, 1 + dropped_count);
  EXPECT_EQ(said(stored_at(db_, back)), said(at_first));

  // Pages, and runs that have no results to give.
  auto page = store::results_at(db_, back, {std::nullopt, "", "", 3, 5});
  ASSERT_TRUE(std::holds_alternative<store::StoredResultPage>(page));
  const auto& p = std::get<store::StoredResultPage>(page);
  EXPECT_EQ(p.total, static_cast<std::int64_t>(total_));
  ASSERT_EQ(p.results.size(), 5u);
  EXPECT_EQ(p.at, "2022-09-30");
  auto missing = store::results_at(db_, 999, {});
  ASSERT_TRUE(std::holds_alternative<store::StoredResultPage>(missing));
  EXPECT_EQ(std::get<store::StoredResultPage>(missing).status,
            store::StoredResultPage::Status::no_run);
}

// The detail a result keeps: its figures, the version of the rule that applied, and why.
TEST_F(LedgerSteps, AStoredResultKeepsItsFiguresVersionAndReason) {
  const std::int64_t run = recorded(db_, example_->rules, example_->snapshot, example_->results);
  auto page = store::results_at(db_, run, {store::Subject::rule, "", "", 0, 1});
  ASSERT_TRUE(std::holds_alternative<store::StoredResultPage>(page));
  ASSERT_EQ(std::get<store::StoredResultPage>(page).results.size(), 1u);
  const auto detail =
      nlohmann::json::parse(std::get<store::StoredResultPage>(page).results[0].detail);
  for (const char* key : {"severity", "value", "target", "deadline", "version", "why"}) {
    EXPECT_TRUE(detail.contains(key)) << key << " missing in " << detail.dump();
  }
  EXPECT_TRUE(detail["why"].contains("kind")) << detail.dump();
}

// A run that began first and finishes after another run succeeded is worked out again
// against that run's results, under a new id: ids of succeeded runs keep the order in
// which they changed the results.
TEST_F(LedgerSteps, ARunOvertakenByAnotherIsRecordedAfterIt) {
  auto begun = begin_run(db_, example_->results.at, kNow, std::nullopt);
  ASSERT_TRUE(std::holds_alternative<std::int64_t>(begun));
  const std::int64_t slow = std::get<std::int64_t>(begun);
  const ResultChanges changes = changes_now(db_);
  ASSERT_EQ(changes.write.size(), total_);
  auto written = write_results(db_, slow, example_->rules, example_->snapshot, example_->results,
                               changes, 0, total_);
  ASSERT_TRUE(std::holds_alternative<std::size_t>(written));

  eval::Results other = example_->results;
  const auto valued = std::find_if(other.rules.begin(), other.rules.end(),
                                   [](const eval::RuleResult& r) { return r.value.has_value(); });
  valued->value = *valued->value + 1;
  RunRecord fast_run;
  const std::int64_t fast = recorded(db_, example_->rules, example_->snapshot, other, &fast_run);
  EXPECT_GT(fast, slow);
  EXPECT_EQ(fast_run.results_changed, total_);  // the slow run's rows were no one's yet

  auto finished = finish_run(db_, slow, example_->rules, example_->snapshot, example_->results,
                             changes, {.now = kNow, .commit = true, .limit = std::nullopt});
  ASSERT_TRUE(std::holds_alternative<RunRecord>(finished)) << std::get<DbError>(finished).message;
  const RunRecord& run = std::get<RunRecord>(finished);
  EXPECT_GT(run.run_id, fast);
  EXPECT_EQ(run.results_changed, 1u);
  EXPECT_EQ(rows(db_, "SELECT id, status, error FROM runs ORDER BY id"),
            (std::vector<std::string>{
                fmt::format("{}|failed|superseded: run {} succeeded first; this evaluation is "
                            "recorded as run {}|",
                            slow, fast, run.run_id),
                std::to_string(fast) + "|succeeded|NULL|",
                std::to_string(run.run_id) + "|succeeded|NULL|"}));
  Database alone = open_memory();
  const std::int64_t only = recorded(alone, example_->rules, example_->snapshot, example_->results);
  EXPECT_EQ(said(stored_at(db_, run.run_id)), said(stored_at(alone, only)));
  EXPECT_EQ(said(stored_at(db_, fast)).size(), total_);
}

// A rewind takes back the results of the runs it voids.
TEST_F(LedgerSteps, ARewindTakesBackTheResultsOfTheRunsItVoids) {
  const std::int64_t kept = recorded(db_, example_->rules, example_->snapshot, example_->results);
  const auto before = stored_at(db_, kept);
  eval::Results later = example_->results;
  later.at = later.at + std::chrono::days(30);
  for (eval::RuleResult& r : later.rules) {
    if (r.value) r.value = *r.value + 1;
  }
  const std::int64_t voided = recorded(db_, example_->rules, example_->snapshot, later);
  ASSERT_GT(
      count(db_, "SELECT count(*) FROM result_spans WHERE from_run = " + std::to_string(voided)),
      0);
  auto rewound = store::rewind_ledger(db_, example_->results.at, kNow, /*commit=*/true);
  ASSERT_TRUE(std::holds_alternative<store::RewindReport>(rewound))
      << std::get<DbError>(rewound).message;
  EXPECT_EQ(
      count(db_, "SELECT count(*) FROM result_spans WHERE from_run = " + std::to_string(voided)),
      0);
  EXPECT_EQ(count(db_, "SELECT count(*) FROM result_spans WHERE to_run < 9223372036854775807"), 0);
  EXPECT_EQ(stored_at(db_, kept), before);
  // The next run compares with the kept run's results again.
  RunRecord again;
  recorded(db_, example_->rules, example_->snapshot, example_->results, &again);
  EXPECT_EQ(again.results_changed, 0u);
}

// A service keeps the results it recorded last (RecordedResults): while their run is still
// the latest, the next run's changes are found against them instead of the store's current
// rows, and they are the same changes. Rounds of random changes from the example's results
// (values moved, states changed, a rule's results gone and back, tasks' progress), each
// found both ways and recorded in steps as the service does; then a run recorded behind
// the service's back makes the kept results stale, and the store is read.
TEST_F(LedgerSteps, ChangesFoundFromTheRecordedRunAreThoseFoundInTheStore) {
  std::mt19937 random(20261207);
  // Each round's results and digests (RecordedResults views them).
  std::deque<eval::Results> kept;
  std::deque<std::vector<std::uint64_t>> kept_digests;
  std::optional<RecordedResults> last;
  const auto as_lines = [](const ResultChanges& c) {
    std::vector<std::string> lines;
    for (std::size_t i : c.write) lines.push_back(fmt::format("write {}", i));
    for (std::size_t i : c.replaced) lines.push_back(fmt::format("replace {}", i));
    for (const ResultChanges::Gone& g : c.gone) {
      lines.push_back(fmt::format("gone {}|{}|{}", store::to_string(g.subject), g.name, g.unit));
    }
    lines.push_back(fmt::format("baseline {}", c.baseline_run));
    return lines;
  };
  std::size_t from_memory = 0;
  for (int round = 0; round < 10; ++round) {
    eval::Results next = example_->results;
    next.at = example_->results.at + std::chrono::days(round);
    for (eval::RuleResult& r : next.rules) {
      const unsigned roll = random() % 16;
      if (roll == 0 && r.value) r.value = *r.value + 1 + static_cast<double>(random() % 5);
      if (roll == 1) r.state = static_cast<eval::RuleState>(random() % 4);
    }
    for (eval::TaskResult& t : next.tasks) {
      if (random() % 4 == 0) t.progress = static_cast<double>(random() % 100) / 100;
    }
    if (round % 3 == 1) {  // a rule's results gone (back the round after)
      const model::Index dropped = next.rules[random() % next.rules.size()].rule;
      std::erase_if(next.rules, [&](const eval::RuleResult& r) { return r.rule == dropped; });
    }
    if (round % 4 == 2) next.tasks.pop_back();
    auto read = result_changes(db_, example_->rules, example_->snapshot, next);
    ASSERT_TRUE(std::holds_alternative<ResultChanges>(read)) << std::get<DbError>(read).message;
    auto kept_way =
        result_changes(db_, example_->rules, example_->snapshot, next, last ? &*last : nullptr);
    ASSERT_TRUE(std::holds_alternative<ResultChanges>(kept_way))
        << std::get<DbError>(kept_way).message;
    const ResultChanges& from_store = std::get<ResultChanges>(read);
    const ResultChanges& changes = std::get<ResultChanges>(kept_way);
    EXPECT_TRUE(from_store.read_current);
    EXPECT_EQ(changes.read_current, !last.has_value()) << "round " << round;
    if (!changes.read_current) ++from_memory;
    EXPECT_EQ(as_lines(changes), as_lines(from_store)) << "round " << round;
    EXPECT_EQ(changes.digests, from_store.digests);
    if (round > 0) {
      EXPECT_GT(changes.changed(), 0u) << "round " << round;
    }

    // Recorded in steps, as the service records.
    auto begun = begin_run(db_, next.at, kNow, std::nullopt);
    ASSERT_TRUE(std::holds_alternative<std::int64_t>(begun)) << std::get<DbError>(begun).message;
    const std::int64_t id = std::get<std::int64_t>(begun);
    auto written = write_results(db_, id, example_->rules, example_->snapshot, next, changes, 0,
                                 changes.write.size());
    ASSERT_TRUE(std::holds_alternative<std::size_t>(written));
    auto finished = finish_run(db_, id, example_->rules, example_->snapshot, next, changes,
                               {.now = kNow, .commit = true, .limit = std::nullopt});
    ASSERT_TRUE(std::holds_alternative<RunRecord>(finished)) << std::get<DbError>(finished).message;
    ASSERT_EQ(std::get<RunRecord>(finished).run_id, id);
    kept.push_back(std::move(next));
    kept_digests.push_back(std::get<ResultChanges>(kept_way).digests);
    last = RecordedResults{
        id, {&example_->rules, &example_->snapshot, &kept.back()}, kept_digests.back()};
    // What the store holds now is what a store given this round's results alone holds.
    Database alone = open_memory();
    const std::int64_t only = recorded(alone, example_->rules, example_->snapshot, kept.back());
    EXPECT_EQ(said(stored_at(db_, id)), said(stored_at(alone, only))) << "round " << round;
  }
  EXPECT_EQ(from_memory, 9u);

  // Another writer records a run: the kept results are no longer the current ones, and
  // the store is read (the changes against the other run's results, not the kept ones).
  eval::Results other = example_->results;
  other.at = kept.back().at + std::chrono::days(1);
  recorded(db_, example_->rules, example_->snapshot, other);
  auto stale = result_changes(db_, example_->rules, example_->snapshot, kept.back(), &*last);
  ASSERT_TRUE(std::holds_alternative<ResultChanges>(stale));
  EXPECT_TRUE(std::get<ResultChanges>(stale).read_current);
  auto plain = result_changes(db_, example_->rules, example_->snapshot, kept.back());
  ASSERT_TRUE(std::holds_alternative<ResultChanges>(plain));
  EXPECT_EQ(as_lines(std::get<ResultChanges>(stale)), as_lines(std::get<ResultChanges>(plain)));
  // A rewind past the kept run: the store is read again too.
  auto rewound = store::rewind_ledger(db_, example_->results.at, kNow, /*commit=*/true);
  ASSERT_TRUE(std::holds_alternative<store::RewindReport>(rewound))
      << std::get<DbError>(rewound).message;
  auto after_rewind = result_changes(db_, example_->rules, example_->snapshot, kept.back(), &*last);
  ASSERT_TRUE(std::holds_alternative<ResultChanges>(after_rewind));
  EXPECT_TRUE(std::get<ResultChanges>(after_rewind).read_current);
}

// A service keeps the totals of its alerts listings (store::AlertCountCache) until a
// transaction changes the alerts: a run's outcome and a rewind raise the alerts version,
// and a total is then counted again. A change behind the store's back (plain SQL, as no
// tiendo code writes) is what shows that the kept total is used meanwhile.
TEST_F(LedgerSteps, AlertTotalsAreKeptUntilARunOrARewindChangesTheAlerts) {
  const std::int64_t first = recorded(db_, example_->rules, example_->snapshot, example_->results);
  ASSERT_GT(first, 0);
  store::AlertCountCache counts;
  const auto total = [&](store::AlertCountCache* cache, AlertQuery::Set set) {
    AlertQuery query;
    query.set = set;
    query.limit = 1;
    auto page = list_alerts(db_, query, cache);
    EXPECT_TRUE(std::holds_alternative<AlertPage>(page)) << std::get<DbError>(page).message;
    return std::holds_alternative<AlertPage>(page) ? std::get<AlertPage>(page).total : -1;
  };
  using Set = AlertQuery::Set;
  const std::int64_t open = total(nullptr, Set::open);
  ASSERT_GT(open, 1);
  const std::int64_t version = count(db_, "SELECT version FROM alerts_version");
  EXPECT_GE(version, 1);  // the first run wrote the alerts
  EXPECT_EQ(total(&counts, Set::open), open);

  ASSERT_FALSE(store::sql::execute(db_,
                                   "UPDATE alerts SET lifecycle = 'resolved' WHERE fingerprint = "
                                   "(SELECT min(fingerprint) FROM alerts WHERE lifecycle != "
                                   "'resolved')"));
  EXPECT_EQ(total(nullptr, Set::open), open - 1);
  EXPECT_EQ(total(&counts, Set::open), open);  // kept: the version did not move
  // Another filter is counted at once, and kept beside the first.
  EXPECT_EQ(total(&counts, Set::resolved), 1);
  EXPECT_EQ(total(&counts, Set::open), open);

  // A later run finds the resolved alert's rule still failing and opens it again: the
  // version moves and every total is counted again.
  eval::Results later = example_->results;
  later.at = later.at + std::chrono::days(30);
  recorded(db_, example_->rules, example_->snapshot, later);
  EXPECT_GT(count(db_, "SELECT version FROM alerts_version"), version);
  EXPECT_EQ(total(&counts, Set::open), total(nullptr, Set::open));
  EXPECT_EQ(total(&counts, Set::resolved), total(nullptr, Set::resolved));
  const std::int64_t after_run = count(db_, "SELECT version FROM alerts_version");

  // The rewind takes the later run back (the alert is resolved again, as the first run's
  // outcome and the plain SQL left it).
  auto rewound = store::rewind_ledger(db_, example_->results.at, kNow, /*commit=*/true);
  ASSERT_TRUE(std::holds_alternative<store::RewindReport>(rewound))
      << std::get<DbError>(rewound).message;
  EXPECT_GT(count(db_, "SELECT version FROM alerts_version"), after_run);
  EXPECT_EQ(total(nullptr, Set::open), open - 1);
  EXPECT_EQ(total(&counts, Set::open), open - 1);
  EXPECT_EQ(total(&counts, Set::resolved), 1);
}

// The changes of state made in memory from two evaluations (state_changes, which the
// service makes from the evaluation it showed before) are those the store finds between the runs
// that recorded the two (store::changes_between): the example evaluated at the end of each quarter
// of 2022, and once more with a rule's results and a task gone, recorded in that order; every pair
// of runs compared both ways.
TEST(LedgerStateChanges, AreThoseTheStoreFindsBetweenTheRuns) {
  std::vector<std::unique_ptr<testing::ExampleEvaluation>> evaluations;
  for (const char* at : {"2022-03-31", "2022-06-30", "2022-09-30", "2022-12-31"}) {
    std::string error;
    evaluations.push_back(testing::evaluate_example(at, error));
    ASSERT_NE(evaluations.back(), nullptr) << error;
  }
  {
    std::string error;
    evaluations.push_back(testing::evaluate_example("2022-12-31", error));
    ASSERT_NE(evaluations.back(), nullptr) << error;
    eval::Results& results = evaluations.back()->results;
    results.at = results.at + std::chrono::days(1);
    const model::Index dropped = results.rules.front().rule;
    std::erase_if(results.rules, [&](const eval::RuleResult& r) { return r.rule == dropped; });
    results.tasks.pop_back();
  }
  Database db = open_memory();
  std::vector<std::int64_t> runs;
  for (const auto& e : evaluations) {
    auto run = record_run(db, e->rules, e->snapshot, e->results,
                          {.now = "2023-01-02T00:00:00Z", .commit = true, .limit = {}});
    ASSERT_TRUE(std::holds_alternative<RunRecord>(run)) << std::get<store::DbError>(run).message;
    runs.push_back(std::get<RunRecord>(run).run_id);
  }
  const auto lines = [](const std::vector<store::StateChange>& changes) {
    std::vector<std::string> out;
    for (const store::StateChange& c : changes) {
      out.push_back(fmt::format("{}|{}|{}|{}|{}", store::to_string(c.subject), c.name, c.unit,
                                c.before, c.after));
    }
    std::sort(out.begin(), out.end());
    return out;
  };
  std::size_t changed = 0;
  for (std::size_t i = 0; i < runs.size(); ++i) {
    for (std::size_t j = i + 1; j < runs.size(); ++j) {
      auto stored = store::changes_between(db, runs[i], runs[j]);
      ASSERT_TRUE(std::holds_alternative<store::RunChanges>(stored))
          << std::get<store::DbError>(stored).message;
      const auto& a = *evaluations[i];
      const auto& b = *evaluations[j];
      const std::vector<store::StateChange> made =
          state_changes({&a.rules, &a.snapshot, &a.results}, {&b.rules, &b.snapshot, &b.results});
      EXPECT_EQ(lines(made), lines(std::get<store::RunChanges>(stored).changes))
          << "runs " << runs[i] << " to " << runs[j];
      // In key order: rules before tasks, then by name and unit.
      EXPECT_TRUE(std::is_sorted(made.begin(), made.end(), [](const auto& x, const auto& y) {
        return std::tuple(x.subject != store::Subject::rule, x.name, x.unit) <
               std::tuple(y.subject != store::Subject::rule, y.name, y.unit);
      }));
      changed += made.size();
    }
  }
  EXPECT_GT(changed, 0u);
  // The last pair names what is gone, with no state after.
  const auto& a = *evaluations[3];
  const auto& b = *evaluations[4];
  const auto made =
      state_changes({&a.rules, &a.snapshot, &a.results}, {&b.rules, &b.snapshot, &b.results});
  EXPECT_TRUE(std::any_of(made.begin(), made.end(), [](const store::StateChange& c) {
    return c.subject == store::Subject::task && c.after.empty() && !c.before.empty();
  }));
  EXPECT_TRUE(std::any_of(made.begin(), made.end(), [](const store::StateChange& c) {
    return c.subject == store::Subject::rule && c.after.empty() && !c.before.empty();
  }));

  // Two evaluations with one rule set over the same units (the service's usual case: one
  // run after another) line up result for result: the same changes as the store's.
  const auto& e = *evaluations[2];
  eval::Results moved = e.results;
  moved.at = evaluations[4]->results.at + std::chrono::days(1);
  for (std::size_t i = 0; i < moved.rules.size(); i += 3) {
    moved.rules[i].state = moved.rules[i].state == eval::RuleState::met ? eval::RuleState::missed
                                                                        : eval::RuleState::met;
  }
  moved.tasks.front().state = moved.tasks.front().state == eval::TaskState::done
                                  ? eval::TaskState::overdue
                                  : eval::TaskState::done;
  auto run = record_run(db, e.rules, e.snapshot, moved,
                        {.now = "2023-01-03T00:00:00Z", .commit = true, .limit = {}});
  ASSERT_TRUE(std::holds_alternative<RunRecord>(run)) << std::get<store::DbError>(run).message;
  auto stored = store::changes_between(db, runs[2], std::get<RunRecord>(run).run_id);
  ASSERT_TRUE(std::holds_alternative<store::RunChanges>(stored));
  ASSERT_FALSE(std::get<store::RunChanges>(stored).changes.empty());
  const auto aligned =
      state_changes({&e.rules, &e.snapshot, &e.results}, {&e.rules, &e.snapshot, &moved});
  EXPECT_EQ(lines(aligned), lines(std::get<store::RunChanges>(stored).changes));
  EXPECT_EQ(aligned.size(), (moved.rules.size() + 2) / 3 + 1);
  EXPECT_TRUE(std::is_sorted(aligned.begin(), aligned.end(), [](const auto& x, const auto& y) {
    return std::tuple(x.subject != store::Subject::rule, x.name, x.unit) <
           std::tuple(y.subject != store::Subject::rule, y.name, y.unit);
  }));
}

}  // namespace
}  // namespace tiendo::alert

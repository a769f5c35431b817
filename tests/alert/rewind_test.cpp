// Runs at a wrong date: refused past the margin before anything is written, and, when one
// got in (recorded before the margin existed, or with a clock off by years), undone by
// rewind_ledger so that the ledger is as if the bad runs had never happened.
#include "alert/rewind.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "alert/ledger.hpp"
#include "store/sql/statements.hpp"
#include "support/example_data.hpp"
#include "support/store_rows.hpp"

namespace tiendo::alert {
namespace {

using store::Database;
using store::DbError;
using store::DbResult;

constexpr const char* kNow = "2023-01-01T01:00:00Z";

model::Date day(const char* text) { return *model::parse_iso_date(text); }

using tiendo::testing::count;
using tiendo::testing::open_memory;
using tiendo::testing::rows;

// The alerts as a person would compare two ledgers: every column, with the run that last
// touched each named by its date rather than its id (the ids differ between ledgers).
const std::string kAlerts =
    "SELECT a.fingerprint, a.subject, a.name, a.unit, a.state, a.severity, a.lifecycle, "
    "a.since, a.last_notified, a.firing_since, a.evaluated, r.at_date FROM alerts a LEFT JOIN "
    "runs r ON r.id = a.updated_run ORDER BY a.fingerprint";

// Evaluates the example (rules/ and examples/, ingested once into `db`) at `at` and
// records the run, with the given date limit.
class Ledger {
 public:
  Ledger() {
    std::string error;
    example_ = testing::evaluate_example("2022-09-30", error, &db);
    EXPECT_NE(example_, nullptr) << error;
  }

  DbResult<RunRecord> run(const char* at, std::optional<RunDateLimit> limit = std::nullopt) {
    const eval::Results results = eval::evaluate(example_->rules, example_->snapshot, day(at));
    return record_run(db, example_->rules, example_->snapshot, results,
                      {.now = kNow, .commit = true, .limit = limit});
  }

  void must_run(const char* at) {
    auto recorded = run(at);
    ASSERT_TRUE(std::holds_alternative<RunRecord>(recorded))
        << at << ": " << std::get<DbError>(recorded).message;
  }

  Database db = open_memory();

 private:
  std::unique_ptr<testing::ExampleEvaluation> example_;
};

TEST(RunDateLimit, TakesTodayAndTheMarginAndRefusesLater) {
  const RunDateLimit limit{day("2026-12-05"), 1};
  EXPECT_EQ(limit.latest(), day("2026-12-06"));
  EXPECT_FALSE(run_date_error(day("2022-09-30"), limit));
  EXPECT_FALSE(run_date_error(day("2026-12-06"), limit));
  const auto refused = run_date_error(day("2026-12-07"), limit);
  ASSERT_TRUE(refused);
  EXPECT_NE(refused->message.find("2026-12-07"), std::string::npos) << refused->message;
  EXPECT_NE(refused->message.find("more than 1 day past today (2026-12-05)"), std::string::npos)
      << refused->message;
  EXPECT_NE(refused->message.find("max_days_ahead"), std::string::npos);
  EXPECT_TRUE(run_date_error(day("2026-12-06"), {day("2026-12-05"), 0}));
}

TEST(RunDateLimit, AFarFutureRunIsRefusedBeforeAnythingIsWritten) {
  Ledger ledger;
  const RunDateLimit limit{day("2023-01-01"), 1};
  for (const char* at : {"2200-12-31", "2023-01-03"}) {
    auto recorded = ledger.run(at, limit);
    ASSERT_TRUE(std::holds_alternative<DbError>(recorded)) << at;
    EXPECT_NE(std::get<DbError>(recorded).message.find("is refused"), std::string::npos);
  }
  EXPECT_EQ(count(ledger.db, "SELECT count(*) FROM runs"), 0);
  EXPECT_EQ(count(ledger.db, "SELECT count(*) FROM alerts"), 0);
  EXPECT_EQ(count(ledger.db, "SELECT count(*) FROM outbox"), 0);
  // The same through the steps the service writes in.
  auto begun = begin_run(ledger.db, day("2200-12-31"), kNow, limit);
  ASSERT_TRUE(std::holds_alternative<DbError>(begun));
  EXPECT_EQ(count(ledger.db, "SELECT count(*) FROM runs"), 0);
  // Within the margin it goes through.
  auto within = ledger.run("2023-01-02", limit);
  EXPECT_TRUE(std::holds_alternative<RunRecord>(within)) << std::get<DbError>(within).message;
}

TEST(Rewind, PutsTheLedgerBackAsIfTheBadRunsHadNeverHappened) {
  // The ledger a bad date reached: two runs far in the future after a good one.
  Ledger poisoned;
  poisoned.must_run("2022-09-30");
  poisoned.must_run("2199-12-31");
  poisoned.must_run("2200-12-31");
  const std::int64_t alerts_before = count(poisoned.db, "SELECT count(*) FROM alerts");
  auto refused = poisoned.run("2022-12-31");
  ASSERT_TRUE(std::holds_alternative<DbError>(refused));
  EXPECT_NE(std::get<DbError>(refused).message.find("would rewind"), std::string::npos);

  auto rewound = rewind_ledger(poisoned.db, day("2022-12-31"), kNow, true);
  ASSERT_TRUE(std::holds_alternative<RewindReport>(rewound)) << std::get<DbError>(rewound).message;
  const RewindReport& report = std::get<RewindReport>(rewound);
  ASSERT_EQ(report.runs.size(), 2u);
  EXPECT_EQ(report.runs[0].id, 2);
  EXPECT_EQ(report.runs[0].at, "2199-12-31");
  EXPECT_EQ(report.runs[1].at, "2200-12-31");
  ASSERT_TRUE(report.kept_run);
  EXPECT_EQ(*report.kept_run, 1);
  EXPECT_EQ(report.kept_at, "2022-09-30");
  // Each way back was taken: rows put back, rows removed, open alerts dated back.
  EXPECT_GT(report.alerts_restored, 0u);
  EXPECT_GT(report.alerts_removed, 0u);
  EXPECT_GT(report.alerts_redated, 0u);
  EXPECT_GT(report.messages_cancelled, 0u);
  EXPECT_EQ(report.messages_already_sent, 0u);
  EXPECT_LT(count(poisoned.db, "SELECT count(*) FROM alerts"), alerts_before);

  // The ledger that never saw the bad dates.
  Ledger clean;
  clean.must_run("2022-09-30");
  EXPECT_EQ(rows(poisoned.db, kAlerts), rows(clean.db, kAlerts));

  // Alerting works again, and the next run does what it would have done anyway.
  poisoned.must_run("2022-12-31");
  clean.must_run("2022-12-31");
  EXPECT_EQ(rows(poisoned.db, kAlerts), rows(clean.db, kAlerts));
  const std::string transitions =
      "SELECT fingerprint, from_lifecycle, to_lifecycle, state, severity, notify, channels FROM "
      "transitions WHERE run_id = (SELECT max(id) FROM runs) ORDER BY fingerprint, id";
  EXPECT_FALSE(rows(clean.db, transitions).empty());
  EXPECT_EQ(rows(poisoned.db, transitions), rows(clean.db, transitions));
  const std::string messages =
      "SELECT channel, kind, state FROM outbox WHERE run_id = (SELECT max(id) FROM runs) ORDER "
      "BY channel";
  EXPECT_EQ(rows(poisoned.db, messages), rows(clean.db, messages));

  // Nothing of the bad runs is lost: they stay on record, voided, with their results, and
  // their messages are dead letters that say why.
  EXPECT_EQ(rows(poisoned.db, "SELECT id, at_date, status FROM runs ORDER BY id"),
            (std::vector<std::string>{"1|2022-09-30|succeeded|", "2|2199-12-31|failed|",
                                      "3|2200-12-31|failed|", "4|2022-12-31|succeeded|"}));
  EXPECT_EQ(count(poisoned.db,
                  "SELECT count(*) FROM runs WHERE status = 'failed' AND error LIKE 'voided by "
                  "`tiendo ledger rewind --to 2022-12-31` at 2023-01-01T01:00:00Z%'"),
            2);
  // The voided runs' results are taken back; the kept run's are current again.
  EXPECT_EQ(count(poisoned.db, "SELECT count(*) FROM result_spans WHERE from_run IN (2, 3)"), 0);
  EXPECT_EQ(count(poisoned.db, "SELECT count(*) FROM result_spans WHERE to_run IN (2, 3)"), 0);
  EXPECT_EQ(count(poisoned.db, "SELECT count(*) FROM result_details"),
            count(poisoned.db, "SELECT count(*) FROM result_spans"));
  EXPECT_EQ(count(poisoned.db,
                  "SELECT count(*) FROM outbox WHERE run_id IN (2, 3) AND state != "
                  "'dead'"),
            0);
  EXPECT_EQ(count(poisoned.db,
                  "SELECT count(*) FROM outbox WHERE run_id IN (2, 3) AND "
                  "last_error LIKE 'cancelled: its run was voided by%'"),
            static_cast<std::int64_t>(report.messages_cancelled));
  EXPECT_EQ(
      count(poisoned.db, "SELECT count(*) FROM outbox WHERE run_id = 1 AND state = 'pending'"),
      count(clean.db, "SELECT count(*) FROM outbox WHERE run_id = 1 AND state = 'pending'"));
}

TEST(Rewind, ASecondRewindDoesNotUndoTheFirstOneAgain) {
  Ledger ledger;
  ledger.must_run("2022-09-30");
  ledger.must_run("2200-12-31");
  ASSERT_TRUE(std::holds_alternative<RewindReport>(
      rewind_ledger(ledger.db, day("2022-10-31"), kNow, true)));
  ledger.must_run("2022-10-31");
  ledger.must_run("2200-06-30");
  // The same day again: the voided run is dated after it, but it changed nothing now, and
  // the October run since must stay.
  auto again = rewind_ledger(ledger.db, day("2022-10-31"), kNow, true);
  ASSERT_TRUE(std::holds_alternative<RewindReport>(again));
  ASSERT_EQ(std::get<RewindReport>(again).runs.size(), 1u);
  EXPECT_EQ(std::get<RewindReport>(again).runs[0].at, "2200-06-30");
  // Back to before the October run: only that run is undone, the voided ones stay voided.
  auto second = rewind_ledger(ledger.db, day("2022-09-30"), kNow, true);
  ASSERT_TRUE(std::holds_alternative<RewindReport>(second)) << std::get<DbError>(second).message;
  const RewindReport& report = std::get<RewindReport>(second);
  ASSERT_EQ(report.runs.size(), 2u);
  EXPECT_EQ(report.runs[0].at, "2022-10-31");
  EXPECT_EQ(report.runs[0].status, "succeeded");
  EXPECT_EQ(report.runs[1].at, "2200-06-30");
  EXPECT_EQ(report.runs[1].status, "failed");
  Ledger clean;
  clean.must_run("2022-09-30");
  EXPECT_EQ(rows(ledger.db, kAlerts), rows(clean.db, kAlerts));
}

TEST(Rewind, ADryRunShowsWhatItWouldDoAndChangesNothing) {
  Ledger ledger;
  ledger.must_run("2022-09-30");
  ledger.must_run("2200-12-31");
  const auto everything = [&] {
    std::vector<std::string> all;
    for (const char* table : {"runs", "alerts", "outbox", "evaluations", "alert_prior"}) {
      for (const std::string& row : rows(ledger.db, std::string("SELECT * FROM ") + table)) {
        all.push_back(std::string(table) + ": " + row);
      }
    }
    return all;
  };
  const auto before = everything();
  auto dry = rewind_ledger(ledger.db, day("2022-12-31"), kNow, false);
  ASSERT_TRUE(std::holds_alternative<RewindReport>(dry)) << std::get<DbError>(dry).message;
  EXPECT_EQ(std::get<RewindReport>(dry).runs.size(), 1u);
  EXPECT_GT(std::get<RewindReport>(dry).alerts_removed, 0u);
  EXPECT_EQ(everything(), before);
}

TEST(Rewind, NothingDatedAfterTheDayIsNothingToDo) {
  Ledger ledger;
  ledger.must_run("2022-09-30");
  auto report = rewind_ledger(ledger.db, day("2022-09-30"), kNow, true);
  ASSERT_TRUE(std::holds_alternative<RewindReport>(report));
  EXPECT_TRUE(std::get<RewindReport>(report).runs.empty());
  EXPECT_EQ(count(ledger.db, "SELECT count(*) FROM runs WHERE status = 'succeeded'"), 1);
}

TEST(Rewind, IsRefusedWhileARunIsInProgressOrWithoutAnUndoLog) {
  Ledger ledger;
  ledger.must_run("2022-09-30");
  ledger.must_run("2200-12-31");
  ASSERT_FALSE(tiendo::store::sql::execute(ledger.db, "UPDATE runs SET undo_log = 0 WHERE id = 2"));
  auto old = rewind_ledger(ledger.db, day("2022-12-31"), kNow, true);
  ASSERT_TRUE(std::holds_alternative<DbError>(old));
  EXPECT_NE(std::get<DbError>(old).message.find("restore a backup"), std::string::npos);
  ASSERT_FALSE(tiendo::store::sql::execute(ledger.db, "UPDATE runs SET undo_log = 1 WHERE id = 2"));

  auto begun = begin_run(ledger.db, day("2200-12-31"), kNow, std::nullopt);
  ASSERT_TRUE(std::holds_alternative<std::int64_t>(begun));
  auto busy = rewind_ledger(ledger.db, day("2022-12-31"), kNow, true);
  ASSERT_TRUE(std::holds_alternative<DbError>(busy));
  EXPECT_NE(std::get<DbError>(busy).message.find("still in progress"), std::string::npos);
  EXPECT_EQ(count(ledger.db, "SELECT count(*) FROM runs WHERE status = 'succeeded'"), 2);
}

}  // namespace
}  // namespace tiendo::alert

// Retention walks the result spans in key order, a few thousand deletions per transaction
// (issue #15: schema 10 keeps no index of the ended spans). Through the store's run
// interface on a real SQLite file, with more ended spans than one step deletes.
#include "store/runs.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "../e2e/run.hpp"
#include "store/database.hpp"
#include "store/sql/statements.hpp"
#include "support/store_rows.hpp"
#include "support/test_store.hpp"

namespace tiendo::store {
namespace {

constexpr std::string_view kNow = "2026-12-06T00:00:00Z";

using testing::count;

struct Units {
  std::vector<std::string> ids;
  explicit Units(std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) ids.push_back("u" + std::to_string(100000 + i));
  }
};

// A succeeded run of rule "r" at `at` that writes a result of `state` at each unit of
// `write`, ending the current row of each first (none for a unit without one), and ends
// the rows of `end` without writing new ones (a result no longer evaluated); returns its id.
std::int64_t run_writing(Database& db, const Units& units, const std::vector<std::size_t>& write,
                         std::string_view state,
                         model::Date at = model::Date{std::chrono::days{20000}},
                         const std::vector<std::size_t>& end = {}) {
  Transaction tx(db);
  EXPECT_FALSE(tx.error());
  auto id = insert_run(db, at, kNow, RunStatus::running);
  EXPECT_TRUE(std::holds_alternative<std::int64_t>(id));
  const std::int64_t run = std::get<std::int64_t>(id);
  std::vector<ResultKey> keys;
  std::vector<ResultRow> rows;
  for (std::size_t i : write) {
    keys.push_back({Subject::rule, "r", units.ids[i]});
    ResultRow row;
    row.name = "r";
    row.unit = units.ids[i];
    row.state = state;
    row.digest = static_cast<std::uint64_t>(run * 1000000 + static_cast<std::int64_t>(i) + 1);
    rows.push_back(std::move(row));
  }
  for (std::size_t i : end) keys.push_back({Subject::rule, "r", units.ids[i]});
  EXPECT_EQ(close_results(db, run, keys), std::nullopt);
  EXPECT_EQ(insert_results(db, run, rows), std::nullopt);
  EXPECT_EQ(mark_run_succeeded(db, run, kNow), std::nullopt);
  EXPECT_EQ(tx.commit(), std::nullopt);
  return run;
}

TEST(StoreRetention, DeletesEveryEndedSpanAcrossManyStepsAndKeepsTheRest) {
  testing::TempDir dir;
  Database db = testing::open_file(testing::test_store(dir.path(), "runs.db"));
  constexpr std::size_t kUnits = 12000;
  const Units units(kUnits);
  std::vector<std::size_t> all, odd;
  for (std::size_t i = 0; i < kUnits; ++i) {
    all.push_back(i);
    if (i % 2 == 1) odd.push_back(i);
  }
  // Run 1 writes every unit; run 2 replaces them all; run 3 replaces the odd ones, so the
  // spans it ends lie between current ones all through the key range.
  run_writing(db, units, all, "met");
  const std::int64_t second = run_writing(db, units, all, "at_risk");
  const std::int64_t third = run_writing(db, units, odd, "missed");
  ASSERT_GT(third, second);
  ASSERT_EQ(count(db, "SELECT count(*) FROM result_spans"), 2 * 12000 + 6000);

  // Every run started before 2100: the latest succeeded run (the third) is kept whole.
  const auto planned = prune_runs(db, "2100-01-01T00:00:00Z", kNow, /*commit=*/false);
  ASSERT_TRUE(std::holds_alternative<PruneReport>(planned));
  EXPECT_EQ(std::get<PruneReport>(planned).result_rows_removed, 12000u + 6000u);
  const auto pruned = prune_runs(db, "2100-01-01T00:00:00Z", kNow, /*commit=*/true);
  ASSERT_TRUE(std::holds_alternative<PruneReport>(pruned)) << std::get<DbError>(pruned).message;
  const PruneReport& report = std::get<PruneReport>(pruned);
  EXPECT_EQ(report.kept_from_run, third);
  // The first run's rows were all replaced: the pages its details filled are empty now, and
  // go back to the file system (SQLite's incremental auto-vacuum; PostgreSQL's autovacuum
  // makes them reusable and gives nothing back until a VACUUM FULL).
  if (!testing::on_postgres()) {
    EXPECT_TRUE(report.incremental);
    EXPECT_GT(report.pages_freed, 0);
    EXPECT_LT(report.file_bytes_after, report.file_bytes_before);
  }

  // What is left is exactly the third run's results: the even units' spans from the second
  // run, the odd units' from the third, and a detail for each.
  EXPECT_EQ(count(db, "SELECT count(*) FROM result_spans"), 12000);
  EXPECT_EQ(count(db, "SELECT count(*) FROM result_spans WHERE to_run < 9223372036854775807"), 0);
  EXPECT_EQ(count(db, "SELECT count(*) FROM result_details"), 12000);
  auto page = results_at(
      db, third, {.subject = std::nullopt, .name = "", .unit = "", .offset = 0, .limit = 20000});
  ASSERT_TRUE(std::holds_alternative<StoredResultPage>(page)) << std::get<DbError>(page).message;
  const StoredResultPage& read = std::get<StoredResultPage>(page);
  ASSERT_EQ(read.status, StoredResultPage::Status::ok);
  ASSERT_EQ(read.results.size(), kUnits);
  for (std::size_t i = 0; i < kUnits; ++i) {
    EXPECT_EQ(read.results[i].unit, units.ids[i]);
    EXPECT_EQ(read.results[i].state, i % 2 == 1 ? "missed" : "at_risk") << units.ids[i];
  }
  // No alert's history names the earlier runs: they went too.
  EXPECT_EQ(std::get<StoredResultPage>(results_at(db, second, {})).status,
            StoredResultPage::Status::no_run);
  EXPECT_EQ(count(db, "SELECT count(*) FROM runs"), 1);

  // --vacuum rewrites the file and leaves the connection's temporary storage in memory
  // again (Database::open's statement journals).
  const auto vacuumed = prune_runs(db, "2100-01-01T00:00:00Z", kNow, /*commit=*/true,
                                   /*vacuum=*/true);
  ASSERT_TRUE(std::holds_alternative<PruneReport>(vacuumed)) << std::get<DbError>(vacuumed).message;
  EXPECT_EQ(count(db, "SELECT count(*) FROM result_spans"), 12000);
  if (!testing::on_postgres()) {
    EXPECT_EQ(count(db, "PRAGMA temp_store"), 2);  // MEMORY
  } else {
    // VACUUM FULL rewrote the tables: the database is no larger than before.
    EXPECT_LE(std::get<PruneReport>(vacuumed).file_bytes_after,
              std::get<PruneReport>(vacuumed).file_bytes_before);
  }
}

// What changed between two runs (the dashboard's first section, `report --since`): the
// results whose state differs, those no longer evaluated, the alerts that fired and
// resolved in between; a new digest with the same state is no change.
TEST(StoreRunChanges, NamesEachResultWhoseStateChangedAndCountsTheAlerts) {
  testing::TempDir dir;
  Database db = testing::open_file(testing::test_store(dir.path(), "runs.db"));
  const Units units(4);
  const model::Date june = *model::parse_iso_date("2022-06-30");
  const model::Date september = *model::parse_iso_date("2022-09-30");
  const model::Date december = *model::parse_iso_date("2022-12-31");
  const std::int64_t first = run_writing(db, units, {0, 1, 2, 3}, "met", june);
  // u1 slips; u2's figures change, its state does not.
  const std::int64_t second = run_writing(db, units, {1}, "at_risk", september);
  run_writing(db, units, {2}, "met", september);  // a run of its own, same date
  const std::int64_t fourth = run_writing(db, units, {3}, "missed", december, /*end=*/{0});
  // An alert fires at the second run and resolves at the fourth; another stays pending.
  ASSERT_EQ(sql::execute(db, fmt::format(R"sql(
INSERT INTO transitions (run_id, fingerprint, from_lifecycle, to_lifecycle, state, severity,
                         channels)
VALUES ({0}, 'a', NULL, 'firing', 'at_risk', 'warning', '[]'),
       ({0}, 'b', NULL, 'pending', 'at_risk', 'warning', '[]'),
       ({1}, 'a', 'firing', 'resolved', 'met', 'none', '[]'))sql",
                                         second, fourth)),
            std::nullopt);

  const auto all = changes_between(db, first, fourth);
  ASSERT_TRUE(std::holds_alternative<RunChanges>(all)) << std::get<DbError>(all).message;
  const RunChanges& c = std::get<RunChanges>(all);
  EXPECT_EQ(c.from_at, "2022-06-30");
  EXPECT_EQ(c.to_at, "2022-12-31");
  std::vector<std::string> seen;
  for (const StateChange& change : c.changes) {
    seen.push_back(change.unit + ":" + change.before + ">" + change.after);
  }
  EXPECT_EQ(seen, (std::vector<std::string>{"u100001:met>at_risk", "u100003:met>missed",
                                            "u100000:met>"}));
  EXPECT_EQ(c.alerts_fired, 1);
  EXPECT_EQ(c.alerts_resolved, 1);

  // From the second run: u1 was already at risk; only u3 and u0 changed since.
  const auto later = changes_between(db, second, fourth);
  ASSERT_TRUE(std::holds_alternative<RunChanges>(later));
  seen.clear();
  for (const StateChange& change : std::get<RunChanges>(later).changes) {
    seen.push_back(change.unit + ":" + change.before + ">" + change.after);
  }
  EXPECT_EQ(seen, (std::vector<std::string>{"u100003:met>missed", "u100000:met>"}));
  EXPECT_EQ(std::get<RunChanges>(later).alerts_fired, 0);
  EXPECT_EQ(std::get<RunChanges>(later).alerts_resolved, 1);

  // The run to compare with: the one before, or the latest on or before a date.
  EXPECT_EQ(std::get<std::int64_t>(run_before(db, fourth, "")), fourth - 1);
  EXPECT_EQ(std::get<std::int64_t>(run_before(db, fourth, "2022-07-01")), first);
  EXPECT_EQ(std::get<std::int64_t>(run_before(db, fourth, "2022-06-29")), 0);
  EXPECT_EQ(std::get<std::int64_t>(run_before(db, first, "")), 0);

  // Runs that cannot be compared, named.
  const auto backwards = changes_between(db, fourth, first);
  ASSERT_TRUE(std::holds_alternative<DbError>(backwards));
  EXPECT_NE(std::get<DbError>(backwards).message.find("not before"), std::string::npos);
  const auto missing = changes_between(db, first, 99);
  ASSERT_TRUE(std::holds_alternative<DbError>(missing));
  EXPECT_NE(std::get<DbError>(missing).message.find("no run 99"), std::string::npos);
}

// One result's states over the runs, newest first: the still-current span has no end.
TEST(StoreRunChanges, AResultsSpansComeNewestFirst) {
  testing::TempDir dir;
  Database db = testing::open_file(testing::test_store(dir.path(), "runs.db"));
  const Units units(2);
  const std::int64_t first =
      run_writing(db, units, {0, 1}, "met", *model::parse_iso_date("2022-06-30"));
  const std::int64_t second =
      run_writing(db, units, {1}, "at_risk", *model::parse_iso_date("2022-09-30"));
  const auto spans = result_spans_of(db, Subject::rule, "r", units.ids[1], 10);
  ASSERT_TRUE(std::holds_alternative<std::vector<ResultSpan>>(spans));
  const auto& list = std::get<std::vector<ResultSpan>>(spans);
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0].from_run, second);
  EXPECT_EQ(list[0].to_run, 0);
  EXPECT_EQ(list[0].state, "at_risk");
  EXPECT_EQ(list[0].from_at, "2022-09-30");
  EXPECT_EQ(list[1].from_run, first);
  EXPECT_EQ(list[1].to_run, second);
  EXPECT_EQ(list[1].to_at, "2022-09-30");
  EXPECT_EQ(list[1].state, "met");
  // The limit, and a key with no results.
  EXPECT_EQ(
      std::get<std::vector<ResultSpan>>(result_spans_of(db, Subject::rule, "r", units.ids[1], 1))
          .size(),
      1u);
  EXPECT_TRUE(std::get<std::vector<ResultSpan>>(
                  result_spans_of(db, Subject::rule, "other", units.ids[1], 10))
                  .empty());
}

}  // namespace
}  // namespace tiendo::store

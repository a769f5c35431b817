// End-to-end: a run at a wrong date is refused by `tiendo run`; a ledger that one reached
// anyway (recorded here through the engine, as an older tiendo or a clock off by years
// did) is recovered with `tiendo ledger rewind`; the evaluating commands read a database
// they cannot write, refuse one that does not exist, and refuse an empty --at. A run's
// results are read back with `tiendo ledger results`, and `tiendo gc` prunes old runs
// while the alerts and their history stay.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <thread>

#include "alert/ledger.hpp"
#include "run.hpp"
#include "store/sql/statements.hpp"
#include "support/example_data.hpp"
#include "support/test_store.hpp"

namespace tiendo::testing {
namespace {

const std::string kSource = TIENDO_SOURCE_DIR;

std::int64_t count(const std::string& path, const std::string& sql) {
  auto opened = store::Database::open(path, store::Database::Mode::read_only);
  if (auto* error = std::get_if<store::DbError>(&opened)) {
    ADD_FAILURE() << error->message;
    return -1;
  }
  store::Statement q = tiendo::store::sql::prepare(std::get<store::Database>(opened), sql);
  EXPECT_TRUE(q.step()) << sql << ": " << (q.error() ? q.error()->message : "");
  return q.column_int(0);
}

class CliLedger : public ExamplesDatabaseTest {
 protected:
  // Records a run at `at` through the engine, past any date limit (what the CLI and the
  // service refuse now).
  void poison(const char* at) {
    auto opened = store::Database::open(db_);
    ASSERT_TRUE(std::holds_alternative<store::Database>(opened));
    store::Database& db = std::get<store::Database>(opened);
    std::string error;
    auto example = evaluate_example("2022-09-30", error, nullptr);
    ASSERT_NE(example, nullptr) << error;
    auto snapshot = store::load_snapshot(db, example->rules);
    ASSERT_TRUE(std::holds_alternative<store::Snapshot>(snapshot));
    const eval::Results results = eval::evaluate(
        example->rules, std::get<store::Snapshot>(snapshot), *model::parse_iso_date(at));
    auto recorded =
        alert::record_run(db, example->rules, std::get<store::Snapshot>(snapshot), results,
                          {.now = "2026-12-05T00:00:00Z", .commit = true, .limit = std::nullopt});
    ASSERT_TRUE(std::holds_alternative<alert::RunRecord>(recorded))
        << std::get<store::DbError>(recorded).message;
  }
};

TEST_F(CliLedger, ARunDatedPastTomorrowIsRefusedAndWritesNothing) {
  const RunResult far = tiendo("run --rules rules --at 2200-12-31");
  EXPECT_EQ(far.exit_code, 1);
  EXPECT_NE(far.err.find("a run at 2200-12-31 is refused: it is more than 1 day past today"),
            std::string::npos)
      << far.err;
  // Outside the years dates take at all: a usage error.
  const RunResult absurd = tiendo("run --rules rules --at 9999-12-31");
  EXPECT_EQ(absurd.exit_code, 2);
  EXPECT_NE(absurd.err.find("9999"), std::string::npos) << absurd.err;
  EXPECT_EQ(count(db_, "SELECT count(*) FROM runs"), 0);
  EXPECT_EQ(count(db_, "SELECT count(*) FROM outbox"), 0);
  // A dry run records nothing, so it may look ahead.
  const RunResult dry = tiendo("run --rules rules --at 2200-12-31 --dry-run");
  EXPECT_EQ(dry.exit_code, 0) << dry.err;
  EXPECT_EQ(count(db_, "SELECT count(*) FROM runs"), 0);
}

TEST_F(CliLedger, RewindRecoversALedgerThatAWrongDateReached) {
  ASSERT_EQ(tiendo("run --rules rules --at 2022-09-30").exit_code, 0);
  poison("2200-12-31");
  const RunResult refused = tiendo("run --rules rules --at 2022-12-31");
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_NE(refused.err.find("would rewind them"), std::string::npos) << refused.err;

  const RunResult dry = tiendo("ledger rewind --to 2022-12-31 --dry-run");
  ASSERT_EQ(dry.exit_code, 0) << dry.err;
  EXPECT_NE(dry.out.find("would void 1 run: run 2 at 2200-12-31"), std::string::npos) << dry.out;
  EXPECT_NE(dry.out.find("dry run: nothing was changed"), std::string::npos) << dry.out;
  EXPECT_EQ(count(db_, "SELECT count(*) FROM runs WHERE status = 'succeeded'"), 2);

  const RunResult rewound = tiendo("ledger rewind --to 2022-12-31 --format json");
  ASSERT_EQ(rewound.exit_code, 0) << rewound.err;
  const auto report = nlohmann::json::parse(rewound.out);
  ASSERT_EQ(report["voided_runs"].size(), 1u);
  EXPECT_EQ(report["voided_runs"][0]["id"], 2);
  EXPECT_EQ(report["voided_runs"][0]["at"], "2200-12-31");
  EXPECT_EQ(report["kept_run"], 1);
  EXPECT_GT(report["messages"]["cancelled"].get<int>(), 0);

  const RunResult again = tiendo("run --rules rules --at 2022-12-31 --format json");
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(nlohmann::json::parse(again.out)["run_id"], 3);
  // The cancelled digests are listed with the dead letters and say why.
  const RunResult dead = tiendo("outbox list --format json --state dead");
  ASSERT_EQ(dead.exit_code, 0) << dead.err;
  const auto letters = nlohmann::json::parse(dead.out);
  ASSERT_EQ(letters.size(), report["messages"]["cancelled"].get<std::size_t>());
  EXPECT_NE(letters[0].dump().find("voided by `tiendo ledger rewind --to 2022-12-31`"),
            std::string::npos)
      << letters[0].dump();

  const RunResult nothing = tiendo("ledger rewind --to 2022-12-31");
  ASSERT_EQ(nothing.exit_code, 0) << nothing.err;
  EXPECT_NE(nothing.out.find("nothing to rewind"), std::string::npos) << nothing.out;
}

TEST_F(CliLedger, ReadingCommandsReadADatabaseTheyCannotWrite) {
  // A backup on read-only media: the files and their directory cannot be written. As
  // root (CI), permissions do not stop writes, so tiendo runs as nobody.
  TempDir backup;
  const std::string copy = backup.path() + "/backup.db";
  std::filesystem::copy_file(db_, copy);
  ASSERT_EQ(::chmod(copy.c_str(), 0444), 0);
  ASSERT_EQ(::chmod(backup.path().c_str(), 0555), 0);
  const std::string as_reader =
      ::geteuid() == 0 ? "setpriv --reuid=65534 --regid=65534 --clear-groups " : "";
  // nobody may not reach the build tree (a checkout under /root): the binary and the
  // rules it reads go to a directory anyone can read.
  TempDir reachable;
  ASSERT_EQ(::chmod(reachable.path().c_str(), 0755), 0);
  const std::string binary = reachable.path() + "/tiendo";
  std::filesystem::copy_file(TIENDO_BINARY, binary);
  std::filesystem::permissions(binary, std::filesystem::perms(0755));
  std::filesystem::copy(kSource + "/rules", reachable.path() + "/rules",
                        std::filesystem::copy_options::recursive);
  for (const auto& entry : std::filesystem::recursive_directory_iterator(reachable.path())) {
    std::filesystem::permissions(entry.path(), std::filesystem::perms(0755));
  }
  for (const std::string command :
       {"eval --rules rules --at 2022-09-30 --format json", "report --rules rules --at 30/9/2022",
        "explain online_dossier_2022 --rules rules --at 2022-09-30",
        "history online_dossier_rate dong_nai", "outbox list", "silence list"}) {
    const std::string out = dir_.path() + "/out", err = dir_.path() + "/err";
    const std::string line = "cd " + shell_quote(reachable.path()) + " && NO_COLOR=1 " + as_reader +
                             shell_quote(binary) + " " + command + " --db " + shell_quote(copy) +
                             " >" + shell_quote(out) + " 2>" + shell_quote(err) + " </dev/null";
    const int status = std::system(line.c_str());
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << command << ": " << read_text(err);
    EXPECT_EQ(read_text(err).find("readonly"), std::string::npos) << command;
  }
  ::chmod(backup.path().c_str(), 0755);
  // Nothing was made beside it.
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(backup.path()),
                          std::filesystem::directory_iterator()),
            1);
}

TEST_F(CliLedger, AMissingDatabaseIsAnErrorAndIsNotCreated) {
  const std::string missing = dir_.path() + "/typo.db";
  for (const std::string command :
       {"eval --rules rules --at 2022-09-30", "report --rules rules --at 2022-09-30",
        "explain online_dossier_2022 --rules rules --at 2022-09-30",
        "history online_dossier_rate dong_nai", "run --rules rules --at 2022-09-30", "deliver",
        "silence list", "outbox list", "ledger rewind --to 2022-09-30"}) {
    const RunResult r = run_tiendo(command + " --db " + shell_quote(missing), kSource);
    EXPECT_EQ(r.exit_code, 1) << command << ": " << r.err;
    EXPECT_NE(r.err.find("no database at '" + missing + "'"), std::string::npos)
        << command << ": " << r.err;
    EXPECT_FALSE(std::filesystem::exists(missing)) << command;
  }
}

TEST_F(CliLedger, AnEmptyAtIsAnErrorNotToday) {
  for (const std::string command : {"eval", "report", "run", "explain online_dossier_2022"}) {
    const RunResult r = tiendo(command + " --rules rules --at ''");
    EXPECT_EQ(r.exit_code, 2) << command << ": " << r.out;
    EXPECT_NE(r.err.find("--at: an empty date"), std::string::npos) << command << ": " << r.err;
    const RunResult blank = tiendo(command + " --rules rules --at '  '");
    EXPECT_EQ(blank.exit_code, 2) << command;
  }
  EXPECT_EQ(count(db_, "SELECT count(*) FROM runs"), 0);
}

// The run's results as recorded, then pruned by retention: the rows no later run reads
// go, the latest run keeps its results whole, and the alerts, their transitions and
// messages stay as they were.
TEST_F(CliLedger, ResultsAreReadBackAndGcPrunesOldRunsKeepingTheAlertsHistory) {
  const RunResult first = tiendo("run --rules rules --at 2022-09-30 --format json");
  ASSERT_EQ(first.exit_code, 0) << first.err;
  const auto first_json = nlohmann::json::parse(first.out);
  const std::int64_t first_run = first_json["run_id"];
  EXPECT_EQ(first_json["results_changed"], first_json["results"]);
  // The next month: some results change, the rest are not written again.
  const RunResult second = tiendo("run --rules rules --at 2022-10-31 --format json");
  ASSERT_EQ(second.exit_code, 0) << second.err;
  const auto second_json = nlohmann::json::parse(second.out);
  const std::int64_t second_run = second_json["run_id"];
  EXPECT_GT(second_json["results_changed"].get<int>(), 0);
  EXPECT_LT(second_json["results_changed"].get<int>(), second_json["results"].get<int>());

  // Every result of each run, read back whole.
  for (const auto& [run, json] :
       {std::pair{first_run, first_json}, std::pair{second_run, second_json}}) {
    const RunResult read =
        tiendo(fmt::format("ledger results --run {} --format json --limit 100000", run));
    ASSERT_EQ(read.exit_code, 0) << read.err;
    const auto page = nlohmann::json::parse(read.out);
    EXPECT_EQ(page["total"], json["results"]);
    EXPECT_EQ(page["results"].size(), json["results"].get<std::size_t>());
  }
  const RunResult one = tiendo(fmt::format(
      "ledger results --run {} --rule online_dossier_2022 --unit dong_nai", second_run));
  ASSERT_EQ(one.exit_code, 0) << one.err;
  EXPECT_NE(one.out.find("rule online_dossier_2022 @ dong_nai"), std::string::npos) << one.out;
  const RunResult missing = tiendo("ledger results --run 999");
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.err.find("no run 999"), std::string::npos) << missing.err;

  const std::int64_t alerts = count(db_, "SELECT count(*) FROM alerts");
  const std::int64_t transitions = count(db_, "SELECT count(*) FROM transitions");
  const std::int64_t closed =
      count(db_, "SELECT count(*) FROM result_spans WHERE to_run < 9223372036854775807");
  ASSERT_GT(closed, 0);
  // Both runs started a moment ago: older than 1s once two seconds have passed (time
  // stamps count whole seconds).
  std::this_thread::sleep_for(std::chrono::milliseconds(2100));
  const RunResult dry = tiendo("gc --older-than 1s --dry-run --format json");
  ASSERT_EQ(dry.exit_code, 0) << dry.err;
  const auto planned = nlohmann::json::parse(dry.out);
  EXPECT_EQ(planned["kept_from_run"], second_run);
  EXPECT_EQ(planned["removed"]["result_rows"], closed);
  EXPECT_EQ(count(db_, "SELECT count(*) FROM result_spans WHERE to_run < 9223372036854775807"),
            closed);

  const RunResult gc = tiendo("gc --older-than 1s");
  ASSERT_EQ(gc.exit_code, 0) << gc.err;
  EXPECT_NE(gc.out.find(fmt::format("results kept whole from run {}", second_run)),
            std::string::npos)
      << gc.out;
  EXPECT_EQ(count(db_, "SELECT count(*) FROM result_spans WHERE to_run < 9223372036854775807"), 0);
  // What the pruned rows said went with them; every kept row still says what it said.
  EXPECT_EQ(count(db_, "SELECT count(*) FROM result_details"),
            count(db_, "SELECT count(*) FROM result_spans"));
  EXPECT_EQ(count(db_,
                  "SELECT count(*) FROM result_spans WHERE details NOT IN "
                  "(SELECT id FROM result_details)"),
            0);
  EXPECT_EQ(count(db_, "SELECT count(*) FROM alerts"), alerts);
  EXPECT_EQ(count(db_, "SELECT count(*) FROM transitions"), transitions);
  EXPECT_EQ(
      count(db_, "SELECT count(*) FROM alert_prior WHERE run_id < " + std::to_string(second_run)),
      0);
  if (!on_postgres()) {
    EXPECT_EQ(count(db_, "PRAGMA freelist_count"), 0);  // given back to the file system
    EXPECT_NE(gc.out.find("\nfile: "), std::string::npos) << gc.out;
  } else {
    // The database's size, and what gives its room back there (not SQLite's advice).
    EXPECT_NE(gc.out.find("\ndatabase: "), std::string::npos) << gc.out;
    EXPECT_NE(gc.out.find("autovacuum"), std::string::npos) << gc.out;
    EXPECT_EQ(gc.out.find("incremental vacuum"), std::string::npos) << gc.out;
  }

  const RunResult pruned = tiendo(fmt::format("ledger results --run {}", first_run));
  EXPECT_EQ(pruned.exit_code, 1);
  EXPECT_NE(pruned.err.find("pruned by retention"), std::string::npos) << pruned.err;
  const RunResult kept =
      tiendo(fmt::format("ledger results --run {} --format json --limit 100000", second_run));
  ASSERT_EQ(kept.exit_code, 0) << kept.err;
  EXPECT_EQ(nlohmann::json::parse(kept.out)["total"], second_json["results"]);
  // A rewind past the pruned run says why it cannot.
  const RunResult rewind = tiendo("ledger rewind --to 2022-09-01");
  EXPECT_NE(rewind.exit_code, 0);
  EXPECT_NE(rewind.err.find("had its undo log pruned by retention"), std::string::npos)
      << rewind.err;
  // The next run goes on from the kept results.
  const RunResult third = tiendo("run --rules rules --at 2022-10-31 --format json");
  ASSERT_EQ(third.exit_code, 0) << third.err;
  EXPECT_EQ(nlohmann::json::parse(third.out)["results_changed"], 0);

  // --vacuum rewrites the file and keeps every row; the next run goes on from it.
  const std::int64_t spans = count(db_, "SELECT count(*) FROM result_spans");
  const RunResult vacuumed = tiendo("gc --older-than 1s --vacuum");
  ASSERT_EQ(vacuumed.exit_code, 0) << vacuumed.err;
  EXPECT_EQ(count(db_, "SELECT count(*) FROM result_spans"), spans);
  EXPECT_EQ(count(db_, "SELECT count(*) FROM alerts"), alerts);
  if (!on_postgres()) {
    EXPECT_EQ(count(db_, "PRAGMA auto_vacuum"), 2);  // incremental
  }
  const RunResult after_vacuum = tiendo("run --rules rules --at 2022-10-31 --format json");
  ASSERT_EQ(after_vacuum.exit_code, 0) << after_vacuum.err;
  EXPECT_EQ(nlohmann::json::parse(after_vacuum.out)["results_changed"], 0);

  const RunResult bad = tiendo("gc --older-than soon");
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("--older-than"), std::string::npos) << bad.err;
}

}  // namespace
}  // namespace tiendo::testing

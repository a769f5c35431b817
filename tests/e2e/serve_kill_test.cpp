// Crash safety of the service's runs: `tiendo serve` is killed with SIGKILL at moments of
// a run it records in steps (Service::record: the run row, batches of 5000 results each
// in its own transaction, then the alerts and the run's success in one), and the next
// start must leave the store as the last succeeded run left it: the interrupted run
// failed with none of its rows, or, when it had succeeded, whole.
//
// The store: 40 rules over 500 communes (20,000 results), all due 2022-06-30; run 1 is
// `tiendo run` at 2022-04-15, and the service's run at 2022-08-15 turns most of them
// missed, so it writes several batches. One uncrashed service run on a copy of its own
// is measured first: when its run row, its first batch and its success are seen after
// the answer to its POST, and what it recorded. Then each attempt, on a fresh copy:
//
// - the kill: at random times (stratified as in the ingest crash test: the early ones
//   over the evaluation before the first batch, the late ones over the rest of 1.1 times
//   the uncrashed run, attempt k of each kind in the k-th part of its span), or on
//   evidence, which does not depend on the machine's speed: a connection that only reads
//   sees the run still running with its row alone, its first batch, two batches, or
//   every result committed;
// - where it landed, read from the store before anyone writes it again;
// - a restart, which fails the interrupted run and its evaluation (or runs an evaluation
//   that was still queued), stopped with SIGTERM once that is done; then the checks of
//   the store and `tiendo ledger results`;
// - a fresh evaluation at the same date on a restarted service, which must record the
//   same results as the uncrashed run.
//
// The test requires at least two kills that landed between batches.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "e2e/api_client.hpp"
#include "e2e/run.hpp"
#include "support/child_process.hpp"
#include "support/serve_process.hpp"
#include "support/store_rows.hpp"

namespace tiendo::testing {
namespace {

using Clock = std::chrono::steady_clock;
using json = nlohmann::json;
using namespace std::chrono_literals;

constexpr int kDistricts = 25;
constexpr int kCommunesPerDistrict = 20;
constexpr int kRules = 40;
constexpr std::int64_t kResults = kRules * kDistricts * kCommunesPerDistrict;  // 20,000
constexpr std::int64_t kResultsPerBatch = 5000;          // Service::kResultsPerBatch
const std::string kBefore = "2022-04-15";                // run 1, before the rules' deadline
const std::string kAfter = "2022-08-15";                 // the service's runs, after it
constexpr const char* kCurrent = "9223372036854775807";  // to_run of a current row

constexpr int kEarly = 2;      // random kills over the time before the first batch
constexpr int kTriggered = 4;  // kills on evidence
constexpr int kLate = 3;       // random kills over the rest of the run and a bit beyond

std::string commune_id(int d, int c) { return "xa_" + std::to_string(d) + "_" + std::to_string(c); }

// One indicator, and rules that ask each commune for more of it by 2022-06-30: before
// then most are at risk or on track, after it most are missed.
std::string rules_text() {
  std::string text =
      "levels province > district > commune\n\n"
      "indicator online_dossier_rate {\n  title \"Tỷ lệ hồ sơ TTHC xử lý trực tuyến\"\n"
      "  unit percent\n}\n";
  for (int r = 0; r < kRules; ++r) {
    text += "\nrule dossier_" + std::to_string(r) + " {\n  title \"Mục tiêu " + std::to_string(r) +
            "\"\n  require online_dossier_rate >= " + std::to_string(40 + r) +
            "% by 2022-06-30 for each commune\n}\n";
  }
  return text;
}

std::string units_csv() {
  std::string text = "unit,name,level,parent\ntinh,Tỉnh Đồng Nai,province,\n";
  for (int d = 0; d < kDistricts; ++d) {
    text += "huyen_" + std::to_string(d) + ",Huyện " + std::to_string(d) + ",district,tinh\n";
    for (int c = 0; c < kCommunesPerDistrict; ++c) {
      text += commune_id(d, c) + ",Xã " + std::to_string(d) + "." + std::to_string(c) +
              ",commune,huyen_" + std::to_string(d) + "\n";
    }
  }
  return text;
}

// Two quarters of figures per commune, mostly below the targets.
std::string observations_csv() {
  std::mt19937 random(20220815);
  std::string text = "indicator,unit,period,value\n";
  for (int d = 0; d < kDistricts; ++d) {
    for (int c = 0; c < kCommunesPerDistrict; ++c) {
      for (const char* quarter : {"Quý IV/2021", "Quý I/2022"}) {
        text += "online_dossier_rate," + commune_id(d, c) + "," + quarter + "," +
                std::to_string(10 + random() % 50) + "%\n";
      }
    }
  }
  return text;
}

// A database with its -wal and -shm files, as they are.
void copy_database(const std::string& from, const std::string& to) {
  namespace fs = std::filesystem;
  for (const char* suffix : {"", "-wal", "-shm"}) {
    fs::remove(to + suffix);
    if (fs::exists(from + suffix)) fs::copy_file(from + suffix, to + suffix);
  }
}

// A `tiendo serve` of the test's rules on `db`, its configuration, tokens and log in
// `directory`. No schedule fires (ServeSetup's default): the only runs are those asked for.
ServeSetup serve_setup(const std::string& directory, const std::string& db,
                       const std::string& rules) {
  std::filesystem::create_directories(directory);
  ServeSetup s;
  s.binary = TIENDO_BINARY;
  s.directory = directory;
  s.database = db;
  s.rules = {rules};
  s.schedule_lines = "catch_up = false";
  return s;
}

RunResult ledger_results(const std::string& db, std::int64_t run) {
  return run_tiendo("ledger results --db " + shell_quote(db) + " --run " + std::to_string(run) +
                    " --format json --limit 100000");
}

// `ledger results --format json` without what names runs (the run's id and the run that
// found each result), to compare the results of two runs.
json without_run_ids(const std::string& text) {
  json results = json::parse(text, nullptr, false);
  if (!results.is_object()) return json();
  results.erase("run");
  for (json& result : results["results"]) result.erase("since_run");
  return results;
}

// Where two outputs of `ledger results` first differ; empty when they do not.
std::string difference(const json& got, const json& want) {
  if (got == want) return "";
  if (!got.is_object() || !want.is_object()) return "not the JSON of ledger results";
  for (const char* key : {"at", "total", "offset", "limit"}) {
    if (got.value(key, json()) != want.value(key, json())) {
      return std::string(key) + ": " + got.value(key, json()).dump() + ", expected " +
             want.value(key, json()).dump();
    }
  }
  const json& a = got["results"];
  const json& b = want["results"];
  for (std::size_t i = 0; i < std::min(a.size(), b.size()); ++i) {
    if (a[i] != b[i]) {
      return "result " + std::to_string(i) + ": " + a[i].dump() + ", expected " + b[i].dump();
    }
  }
  return std::to_string(a.size()) + " results, expected " + std::to_string(b.size());
}

// What a reader of the store sees of run `run` at one moment: its status ("none" until
// its row is committed) and the result rows its committed batches hold.
struct Seen {
  std::string status;
  std::int64_t rows = 0;
};

Seen look(store::Database& db, std::int64_t run) {
  const std::string id = std::to_string(run);
  const std::vector<std::string> got = rows(
      db, "SELECT coalesce((SELECT status FROM runs WHERE id = " + id +
              "), 'none'), CASE WHEN EXISTS (SELECT 1 FROM runs WHERE id = " + id +
              ") THEN (SELECT count(*) FROM result_spans WHERE from_run = " + id + ") ELSE 0 END");
  if (got.size() != 1) return {"unreadable", 0};
  const std::size_t bar = got[0].find('|');
  return {got[0].substr(0, bar), std::stoll(got[0].substr(bar + 1))};
}

store::Database open_store(const std::string& path) {
  auto opened = store::Database::open(path, store::Database::Mode::read_only);
  if (auto* error = std::get_if<store::DbError>(&opened)) {
    ADD_FAILURE() << "cannot read " << path << ": " << error->message;
    std::abort();
  }
  return std::move(std::get<store::Database>(opened));
}

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// Queues an evaluation at `at`; its id, or 0 (with a failure) when it is not taken.
std::int64_t evaluate(ApiClient& http, const std::string& at) {
  const httplib::Result queued =
      http.post("/api/v1/evaluate", R"({"at": ")" + at + R"("})", "application/json");
  EXPECT_EQ(status_of(queued), 202) << (queued ? queued->body : "no answer");
  const json body = body_of(queued);
  return body.is_object() ? body.value("id", std::int64_t{0}) : 0;
}

TEST(ServeKill, ASigkillDuringARunLeavesTheResultsAsTheLastRunLeftThem) {
  const SigpipeIgnored sigpipe;
  const auto test_started = Clock::now();
  TempDir dir;
  const std::string rules = dir.path() + "/kill.rules";
  write_text(rules, rules_text());
  write_text(dir.path() + "/units.csv", units_csv());
  write_text(dir.path() + "/observations.csv", observations_csv());
  const std::string templ = dir.path() + "/template.db";
  const RunResult ingest = run_tiendo("ingest --db " + shell_quote(templ) + " --rules " +
                                          shell_quote(rules) + " units.csv observations.csv",
                                      dir.path());
  ASSERT_EQ(ingest.exit_code, 0) << ingest.err;
  const RunResult run1 = run_tiendo("run --db " + shell_quote(templ) + " --rules " +
                                    shell_quote(rules) + " --at " + kBefore);
  ASSERT_EQ(run1.exit_code, 0) << run1.err;
  const RunResult reference = ledger_results(templ, 1);
  ASSERT_EQ(reference.exit_code, 0) << reference.err;
  ASSERT_EQ(json::parse(reference.out, nullptr, false).value("total", -1), kResults);

  // One uncrashed service run at the later date, on a copy of its own.
  const std::string measured_db = dir.path() + "/measured.db";
  copy_database(templ, measured_db);
  double row_seen = -1, batch_seen = -1, one_run = -1;
  std::int64_t changed = 0;
  {
    ServeProcess serve(serve_setup(dir.path() + "/measured", measured_db, rules));
    store::Database reader = open_store(measured_db);
    ApiClient http(serve.port());
    const std::int64_t id = evaluate(http, kAfter);
    ASSERT_GT(id, 0);
    const auto posted = Clock::now();
    Seen seen;
    while (seconds_since(posted) < 60) {
      seen = look(reader, 2);
      if (seen.status != "none" && row_seen < 0) row_seen = seconds_since(posted);
      if (seen.rows > 0 && batch_seen < 0) batch_seen = seconds_since(posted);
      if (seen.status != "none" && seen.status != "running") break;
      std::this_thread::sleep_for(1ms);
    }
    one_run = seconds_since(posted);
    ASSERT_EQ(seen.status, "succeeded") << serve.log();
    changed = seen.rows;
    const json run = wait_for_run(http, id);
    EXPECT_EQ(run.value("state", ""), "succeeded") << run.dump();
    EXPECT_EQ(run.value("alert_run_id", json()), 2) << run.dump();
    EXPECT_EQ(serve.process().terminate(15s), 0) << serve.log();
  }
  std::printf(
      "one uncrashed service run of %lld results, %lld of them changed: its run row seen "
      "%.3f s after the answer to its POST, its first batch %.3f s, its success %.3f s\n",
      static_cast<long long>(kResults), static_cast<long long>(changed), row_seen, batch_seen,
      one_run);
  ASSERT_GT(changed, 2 * kResultsPerBatch) << "the run writes too few batches to be cut between";
  ASSERT_GT(batch_seen, 0) << "no batch was seen before the run succeeded";
  const RunResult uncrashed = ledger_results(measured_db, 2);
  ASSERT_EQ(uncrashed.exit_code, 0) << uncrashed.err;
  const json expected_after = without_run_ids(uncrashed.out);
  ASSERT_EQ(expected_after.value("total", -1), kResults);
  std::filesystem::remove(measured_db);

  // On evidence: the run row with no batch yet, its first batch, its second, every row.
  const std::int64_t triggers[kTriggered] = {0, 1, kResultsPerBatch + 1, changed};
  std::mt19937 random(20240815);
  std::uniform_real_distribution<double> within(0, 1);
  int queued = 0, evaluating = 0, begun = 0, between = 0, succeeded = 0;
  for (int attempt = 1; attempt <= kEarly + kTriggered + kLate; ++attempt) {
    SCOPED_TRACE("attempt " + std::to_string(attempt));
    const std::string here = dir.path() + "/attempt-" + std::to_string(attempt);
    const std::string db = here + "/tiendo.db";
    std::filesystem::create_directories(here);
    copy_database(templ, db);

    // The kill.
    std::string when;
    double killed_after = 0;
    Seen at_kill;
    std::string evaluation_at_kill;
    std::int64_t id = 0;
    {
      ServeProcess serve(serve_setup(here + "/killed", db, rules));
      store::Database reader = open_store(db);
      ApiClient http(serve.port());
      id = evaluate(http, kAfter);
      ASSERT_GT(id, 0);
      const auto posted = Clock::now();
      if (attempt > kEarly && attempt <= kEarly + kTriggered) {
        const std::int64_t rows = triggers[attempt - kEarly - 1];
        bool triggered = false;
        while (!triggered && seconds_since(posted) < 3 * one_run + 10) {
          const Seen seen = look(reader, 2);
          if (seen.status != "none" && seen.status != "running") break;
          triggered = seen.status == "running" && seen.rows >= rows;
          if (!triggered) std::this_thread::sleep_for(500us);
        }
        when = (rows == 0 ? std::string("once its run row was seen")
                          : "once " + std::to_string(rows) + " of its rows were seen") +
               (triggered ? "" : " (never)");
      } else {
        const bool early = attempt <= kEarly;
        const int part = early ? attempt - 1 : attempt - kEarly - kTriggered - 1;
        const int parts = early ? kEarly : kLate;
        const double from = early ? 0 : batch_seen;
        const double to = early ? batch_seen : 1.1 * one_run;
        const double at = from + (to - from) * (part + within(random)) / parts;
        std::this_thread::sleep_until(posted + std::chrono::duration<double>(at));
        when = "at " + std::to_string(at).substr(0, 5) + " s";
      }
      ASSERT_TRUE(serve.process().send(SIGKILL)) << "the service had exited\n" << serve.log();
      killed_after = seconds_since(posted);
      ASSERT_EQ(serve.process().wait_exit(10s), -1) << serve.log();
      // Where it landed, before anyone writes the store again.
      at_kill = look(reader, 2);
      evaluation_at_kill =
          rows(reader, "SELECT state FROM evaluations WHERE id = " + std::to_string(id)).at(0);
      evaluation_at_kill.pop_back();  // the '|' that ends a column of rows()
    }
    const char* landed = nullptr;
    if (at_kill.status == "none") {
      landed = evaluation_at_kill == "queued" ? "queued" : "before the run row";
      ++(evaluation_at_kill == "queued" ? queued : evaluating);
    } else if (at_kill.status == "succeeded") {
      landed = "after the run succeeded";
      ++succeeded;
    } else {
      ASSERT_EQ(at_kill.status, "running");
      landed = at_kill.rows == 0 ? "after the run row, before the first batch" : "between batches";
      ++(at_kill.rows == 0 ? begun : between);
    }
    std::printf(
        "attempt %d: killed %s (%.3f s after the POST's answer), %s (%lld of its rows "
        "committed)\n",
        attempt, when.c_str(), killed_after, landed, static_cast<long long>(at_kill.rows));

    // The restart fails the interrupted run and its evaluation as it starts (an
    // evaluation still queued runs now); once that is done, it is stopped.
    {
      ServeProcess serve(serve_setup(here + "/restarted", db, rules));
      ApiClient http(serve.port());
      const json run = wait_for_run(http, id);
      EXPECT_EQ(run.value("state", ""),
                evaluation_at_kill == "queued" || evaluation_at_kill == "succeeded" ? "succeeded"
                                                                                    : "failed")
          << run.dump();
      EXPECT_EQ(serve.process().terminate(15s), 0) << serve.log();
    }
    {
      store::Database store = open_store(db);
      EXPECT_EQ(count(store, "SELECT count(*) FROM runs WHERE status = 'running'"), 0);
      const Seen after = look(store, 2);
      if (at_kill.status != "none") {
        EXPECT_EQ(after.status, at_kill.status == "succeeded" ? "succeeded" : "failed");
      }
      if (after.status == "succeeded") {
        // Recorded whole before the kill, or by the restart: as the uncrashed run did.
        const RunResult results = ledger_results(db, 2);
        ASSERT_EQ(results.exit_code, 0) << results.err;
        const json got = without_run_ids(results.out);
        EXPECT_EQ(got.value("total", -1), kResults);
        EXPECT_EQ(difference(got, expected_after), "");
      } else {
        // Run 1's results, untouched: none of the interrupted run's rows stay, and none of
        // run 1's is closed by it.
        const RunResult results = ledger_results(db, 1);
        ASSERT_EQ(results.exit_code, 0) << results.err;
        if (results.out != reference.out) {
          ADD_FAILURE() << "ledger results --run 1 changed: "
                        << difference(json::parse(results.out, nullptr, false),
                                      json::parse(reference.out, nullptr, false));
        }
        EXPECT_EQ(count(store, "SELECT count(*) FROM result_spans WHERE from_run = 2"), 0);
        EXPECT_EQ(count(store, "SELECT count(*) FROM result_spans WHERE to_run = 2"), 0);
        EXPECT_EQ(count(store, std::string("SELECT count(*) FROM result_spans WHERE from_run <> 1 "
                                           "OR to_run <> ") +
                                   kCurrent),
                  0);
      }
      EXPECT_EQ(count(store, "SELECT count(*) FROM result_details"),
                count(store, "SELECT count(*) FROM result_spans"))
          << "result details without their span, or spans without their details";
      EXPECT_EQ(rows(store, "PRAGMA integrity_check"), std::vector<std::string>{"ok|"});
    }

    // A fresh evaluation records what the uncrashed run did.
    {
      ServeProcess serve(serve_setup(here + "/fresh", db, rules));
      ApiClient http(serve.port());
      const std::int64_t fresh = evaluate(http, kAfter);
      ASSERT_GT(fresh, 0);
      const json run = wait_for_run(http, fresh);
      ASSERT_EQ(run.value("state", ""), "succeeded") << run.dump() << "\n" << serve.log();
      EXPECT_EQ(serve.process().terminate(15s), 0) << serve.log();
      const RunResult results = ledger_results(db, run.value("alert_run_id", std::int64_t{0}));
      ASSERT_EQ(results.exit_code, 0) << results.err;
      EXPECT_EQ(difference(without_run_ids(results.out), expected_after), "");
    }
    std::filesystem::remove_all(here);
  }
  std::printf(
      "%d kills: %d with the evaluation still queued, %d before the run row, %d after it and "
      "before the first batch, %d between batches, %d after the run succeeded; %.1f s in all\n",
      kEarly + kTriggered + kLate, queued, evaluating, begun, between, succeeded,
      seconds_since(test_started));
  EXPECT_GE(between, 2) << "fewer than 2 kills landed between the run's batches (after its "
                           "first batch committed, before it succeeded): the case the test is for";
}

}  // namespace
}  // namespace tiendo::testing

// The /metrics exposition: counters and histograms fed by events, the results gauge of
// the example rule set, the store gauges read from a real database (alerts and outbox
// rows written by alert::record_run, plus rows inserted by hand) going back to 0 when
// the rows change, the store gauges left out when the store fails, exact counts under
// concurrent calls, and promtool's verdict on the text.
#include "service/metrics.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <variant>
#include <vector>

#include "alert/ledger.hpp"
#include "dsl/check.hpp"
#include "dsl/parse.hpp"
#include "model/calendar.hpp"
#include "notify/outbox.hpp"
#include "store/ingest.hpp"
#include "store/snapshot.hpp"
#include "store/sql/statements.hpp"
#include "support/child_process.hpp"
#include "support/example_data.hpp"
#include "support/temp_dir.hpp"
#include "support/test_store.hpp"

namespace tiendo::service {
namespace {

using std::chrono::hours;
using std::chrono::system_clock;

// Every sample line of an exposition, keyed by everything before the value
// (`name{label="value",...}`).
std::map<std::string, double> samples(const std::string& text) {
  std::map<std::string, double> out;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    const std::string line = text.substr(start, end - start);
    start = end + 1;
    if (line.empty() || line[0] == '#') continue;
    const std::size_t space = line.rfind(' ');
    if (space == std::string::npos) {
      ADD_FAILURE() << "not a sample: " << line;
      continue;
    }
    const std::string key = line.substr(0, space);
    EXPECT_EQ(out.count(key), 0u) << "twice: " << key;
    out[key] = std::strtod(line.c_str() + space + 1, nullptr);
  }
  return out;
}

// The value of one sample; a failure (and NaN) when it is missing.
double value(const std::map<std::string, double>& all, const std::string& key) {
  const auto it = all.find(key);
  if (it == all.end()) {
    ADD_FAILURE() << "no sample " << key;
    return std::nan("");
  }
  return it->second;
}

bool contains(const std::string& text, std::string_view part) {
  return text.find(part) != std::string::npos;
}

class MetricsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = store::Database::open(path_);
    if (auto* error = std::get_if<store::DbError>(&opened)) FAIL() << error->message;
    db_.emplace(std::move(std::get<store::Database>(opened)));
  }

  std::string render() {
    std::string error = "not cleared";
    std::string text = metrics_.render(*db_, error);
    EXPECT_EQ(error, "");
    return text;
  }

  void execute(const std::string& sql) {
    const auto error = tiendo::store::sql::execute(*db_, sql);
    ASSERT_FALSE(error.has_value()) << error->message << "\n" << sql;
  }

  void add_outbox(const std::string& key, const std::string& kind, const std::string& state,
                  const std::string& created_at) {
    execute(
        "INSERT INTO outbox (channel, idempotency_key, payload, state, next_attempt_at, "
        "created_at, kind) VALUES ('ops', '" +
        key + "', '{}', '" + state + "', '" + created_at + "', '" + created_at + "', '" + kind +
        "')");
  }

  tiendo::testing::TempDir dir_;
  std::string path_ = testing::test_store(dir_.path(), "metrics.db");
  std::optional<store::Database> db_;
  Metrics metrics_;
};

// The Đồng Nai rule set and the example data, ingested into the test's database and
// evaluated at the end of Q3/2022, as `tiendo run --at 2022-09-30` does.
std::unique_ptr<testing::ExampleEvaluation> evaluate_example(store::Database& db) {
  std::string error;
  auto example = testing::evaluate_example("2022-09-30", error, &db);
  if (!example) ADD_FAILURE() << "the example does not load: " << error;
  return example;
}

TEST_F(MetricsTest, CountsRunsDeliveriesReloadsAndRequests) {
  const auto finished = system_clock::time_point(std::chrono::seconds(1'795'000'000));
  metrics_.run_finished("schedule", "succeeded", 2.0, finished);
  metrics_.run_finished("schedule", "failed", 0.01, finished + hours(24));
  metrics_.run_finished("api", "succeeded", 700, finished - hours(1));
  metrics_.delivery("webhook", "delivered");
  metrics_.delivery("webhook", "delivered");
  metrics_.delivery("email", "retry");
  metrics_.rules_loaded(true, 0);
  metrics_.rules_loaded(false, 3);
  metrics_.http_request("/api/v1/results", "GET", 200, 0.004);
  metrics_.http_request("/api/v1/results", "GET", 200, 0.02);
  metrics_.http_request("/api/v1/results", "BREW", 405, 0.0005);
  metrics_.http_request("", "GET", 404, 0.0001);

  const std::string text = render();
  const auto all = samples(text);
  EXPECT_EQ(value(all, R"(tiendo_runs_total{outcome="succeeded",trigger="schedule"})"), 1);
  EXPECT_EQ(value(all, R"(tiendo_runs_total{outcome="failed",trigger="schedule"})"), 1);
  EXPECT_EQ(value(all, R"(tiendo_runs_total{outcome="succeeded",trigger="api"})"), 1);
  EXPECT_EQ(value(all, R"(tiendo_runs_total{outcome="failed",trigger="catch-up"})"), 0);
  EXPECT_EQ(value(all, R"(tiendo_run_duration_seconds_count{trigger="schedule"})"), 2);
  EXPECT_DOUBLE_EQ(value(all, R"(tiendo_run_duration_seconds_sum{trigger="schedule"})"), 2.01);
  EXPECT_EQ(value(all, R"(tiendo_run_duration_seconds_bucket{trigger="schedule",le="0.05"})"), 1);
  EXPECT_EQ(value(all, R"(tiendo_run_duration_seconds_bucket{trigger="schedule",le="2.5"})"), 2);
  // 700 s is beyond the last bucket (10 min): only +Inf counts it.
  EXPECT_EQ(value(all, R"(tiendo_run_duration_seconds_bucket{trigger="api",le="600"})"), 0);
  EXPECT_EQ(value(all, R"(tiendo_run_duration_seconds_bucket{trigger="api",le="+Inf"})"), 1);
  EXPECT_EQ(value(all, R"(tiendo_run_duration_seconds_count{trigger="catch-up"})"), 0);
  // The failed run a day later does not move the last success; the later-reported
  // success with an earlier time does (the caller reports the run that just ended).
  EXPECT_EQ(value(all, "tiendo_last_successful_run_timestamp_seconds"), 1'795'000'000 - 3600);

  EXPECT_EQ(value(all, R"(tiendo_deliveries_total{kind="webhook",outcome="delivered"})"), 2);
  EXPECT_EQ(value(all, R"(tiendo_deliveries_total{kind="email",outcome="retry"})"), 1);
  EXPECT_EQ(value(all, R"(tiendo_deliveries_total{kind="alertmanager",outcome="dead"})"), 0);

  EXPECT_EQ(value(all, "tiendo_rules_load_errors"), 3);
  EXPECT_EQ(value(all, R"(tiendo_rules_reloads_total{outcome="ok"})"), 1);
  EXPECT_EQ(value(all, R"(tiendo_rules_reloads_total{outcome="failed"})"), 1);

  EXPECT_EQ(
      value(all, R"(tiendo_http_requests_total{code="200",method="GET",route="/api/v1/results"})"),
      2);
  EXPECT_EQ(
      value(all,
            R"(tiendo_http_requests_total{code="405",method="other",route="/api/v1/results"})"),
      1);
  EXPECT_EQ(value(all, R"(tiendo_http_requests_total{code="404",method="GET",route="unmatched"})"),
            1);
  EXPECT_FALSE(contains(text, "BREW"));
  EXPECT_EQ(
      value(all,
            R"(tiendo_http_request_duration_seconds_bucket{route="/api/v1/results",le="0.001"})"),
      1);
  EXPECT_EQ(
      value(all,
            R"(tiendo_http_request_duration_seconds_bucket{route="/api/v1/results",le="0.005"})"),
      2);
  EXPECT_EQ(value(all, R"(tiendo_http_request_duration_seconds_count{route="/api/v1/results"})"),
            3);

  for (const char* family :
       {"tiendo_runs_total counter", "tiendo_run_duration_seconds histogram",
        "tiendo_last_successful_run_timestamp_seconds gauge", "tiendo_results gauge",
        "tiendo_alerts gauge", "tiendo_outbox_messages gauge", "tiendo_outbox_dead_letters gauge",
        "tiendo_outbox_oldest_pending_age_seconds gauge", "tiendo_deliveries_total counter",
        "tiendo_rules_load_errors gauge", "tiendo_rules_reloads_total counter",
        "tiendo_http_requests_total counter", "tiendo_http_request_duration_seconds histogram"}) {
    const std::string_view line(family);
    const std::string name(line.substr(0, line.find(' ')));
    EXPECT_TRUE(contains(text, "# TYPE " + std::string(line) + "\n")) << family;
    EXPECT_TRUE(contains(text, "# HELP " + name + " ")) << family;
  }
}

TEST_F(MetricsTest, CountsTheExampleResultsByState) {
  // Before any run every state is there, at 0.
  auto all = samples(render());
  EXPECT_EQ(value(all, R"(tiendo_results{state="met",subject="rule"})"), 0);
  EXPECT_EQ(value(all, R"(tiendo_results{state="error",subject="rule"})"), 0);
  EXPECT_EQ(value(all, R"(tiendo_results{state="done_late",subject="task"})"), 0);
  EXPECT_EQ(value(all, R"(tiendo_results{state="on_track",subject="task"})"), 0);

  const auto example = evaluate_example(*db_);
  ASSERT_NE(example, nullptr);
  ASSERT_FALSE(example->results.rules.empty());
  ASSERT_FALSE(example->results.tasks.empty());
  metrics_.set_results(example->results);
  all = samples(render());

  std::map<std::string, double> expected;
  for (const eval::RuleResult& r : example->results.rules) {
    expected["tiendo_results{state=\"" + std::string(eval::to_string(r.state)) +
             "\",subject=\"rule\"}"] += 1;
  }
  for (const eval::TaskResult& t : example->results.tasks) {
    expected["tiendo_results{state=\"" + std::string(eval::to_string(t.state)) +
             "\",subject=\"task\"}"] += 1;
  }
  double rules = 0, tasks = 0;
  std::size_t series = 0;
  for (const auto& [key, number] : all) {
    if (!key.starts_with("tiendo_results{")) continue;
    ++series;
    const auto it = expected.find(key);
    EXPECT_EQ(number, it == expected.end() ? 0 : it->second) << key;
    (contains(key, "subject=\"rule\"") ? rules : tasks) += number;
  }
  EXPECT_EQ(series, 11u + 8u);  // every RuleState and every TaskState (no_report too)
  EXPECT_EQ(rules, static_cast<double>(example->results.rules.size()));
  EXPECT_EQ(tasks, static_cast<double>(example->results.tasks.size()));

  // A later run's results replace these: a state nobody is in any more goes to 0.
  eval::Results later;
  later.rules.resize(2);
  later.rules[0].state = eval::RuleState::met;
  later.rules[1].state = eval::RuleState::met;
  later.tasks.resize(1);
  later.tasks[0].state = eval::TaskState::overdue;
  metrics_.set_results(later);
  all = samples(render());
  for (const auto& [key, number] : all) {
    if (!key.starts_with("tiendo_results{")) continue;
    if (key == R"(tiendo_results{state="met",subject="rule"})") {
      EXPECT_EQ(number, 2);
    } else if (key == R"(tiendo_results{state="overdue",subject="task"})") {
      EXPECT_EQ(number, 1);
    } else {
      EXPECT_EQ(number, 0) << key;
    }
  }
}

TEST_F(MetricsTest, StoreGaugesFollowTheAlertsAndOutboxRows) {
  const auto now = system_clock::now();
  const auto example = evaluate_example(*db_);
  ASSERT_NE(example, nullptr);
  // The run's e-mail messages were made two hours ago.
  auto recorded = alert::record_run(
      *db_, example->rules, example->snapshot, example->results,
      {.now = notify::format_utc(now - hours(2)), .commit = true, .limit = std::nullopt});
  if (auto* error = std::get_if<store::DbError>(&recorded)) FAIL() << error->message;
  const alert::RunRecord& run = std::get<alert::RunRecord>(recorded);
  ASSERT_FALSE(run.output.alerts.empty());
  ASSERT_FALSE(run.messages.empty());

  std::map<std::string, double> expected_alerts;
  for (const alert::AlertRecord& a : run.output.alerts) {
    expected_alerts["tiendo_alerts{lifecycle=\"" + std::string(alert::to_string(a.lifecycle)) +
                    "\",severity=\"" + std::string(model::to_string(a.severity)) + "\"}"] += 1;
  }
  add_outbox("hook-1", "webhook", "dead", notify::format_utc(now - hours(30)));
  add_outbox("am-1", "alertmanager", "pending", notify::format_utc(now - hours(1)));
  add_outbox("am-2", "alertmanager", "delivered", notify::format_utc(now - hours(5)));
  // A severity no rule uses yet: its series is made when the store has it.
  execute(
      "INSERT INTO alerts (fingerprint, subject, name, state, severity, lifecycle, since) "
      "VALUES ('fp-odd', 'rule', 'odd', 'violated', 'none', 'firing', '2022-09-30')");

  const std::string text = render();
  auto all = samples(text);
  double alerts = 0;
  for (const auto& [key, number] : all) {
    if (!key.starts_with("tiendo_alerts{") || contains(key, "severity=\"none\"")) continue;
    const auto it = expected_alerts.find(key);
    EXPECT_EQ(number, it == expected_alerts.end() ? 0 : it->second) << key;
    alerts += number;
  }
  EXPECT_EQ(alerts, static_cast<double>(run.output.alerts.size()));
  EXPECT_EQ(value(all, R"(tiendo_alerts{lifecycle="firing",severity="none"})"), 1);
  EXPECT_EQ(value(all, R"(tiendo_outbox_messages{kind="email",state="pending"})"),
            static_cast<double>(run.messages.size()));
  EXPECT_TRUE(contains(text, "\ntiendo_outbox_messages{kind=\"webhook\",state=\"dead\"} 1\n"));
  EXPECT_EQ(value(all, R"(tiendo_outbox_messages{kind="alertmanager",state="pending"})"), 1);
  EXPECT_EQ(value(all, R"(tiendo_outbox_messages{kind="alertmanager",state="delivered"})"), 1);
  EXPECT_EQ(value(all, R"(tiendo_outbox_messages{kind="email",state="dead"})"), 0);
  EXPECT_EQ(value(all, "tiendo_outbox_dead_letters"), 1);
  // The oldest pending row is the run's (two hours); the dead and delivered ones are older
  // but not pending. The bound allows for a slow machine.
  EXPECT_GE(value(all, "tiendo_outbox_oldest_pending_age_seconds"), 2 * 3600);
  EXPECT_LT(value(all, "tiendo_outbox_oldest_pending_age_seconds"), 2 * 3600 + 300);

  // The run's messages delivered, the dead letter retried and delivered, the odd alert
  // gone, every other alert resolved.
  execute("UPDATE outbox SET state = 'delivered' WHERE kind IN ('email', 'webhook')");
  execute("DELETE FROM alerts WHERE fingerprint = 'fp-odd'");
  execute("UPDATE alerts SET lifecycle = 'resolved'");
  all = samples(render());
  EXPECT_EQ(value(all, R"(tiendo_outbox_messages{kind="email",state="pending"})"), 0);
  EXPECT_EQ(value(all, R"(tiendo_outbox_messages{kind="webhook",state="dead"})"), 0);
  EXPECT_EQ(value(all, R"(tiendo_outbox_messages{kind="email",state="delivered"})"),
            static_cast<double>(run.messages.size()));
  EXPECT_EQ(value(all, R"(tiendo_outbox_messages{kind="webhook",state="delivered"})"), 1);
  EXPECT_EQ(value(all, "tiendo_outbox_dead_letters"), 0);
  EXPECT_GE(value(all, "tiendo_outbox_oldest_pending_age_seconds"), 3600);
  EXPECT_LT(value(all, "tiendo_outbox_oldest_pending_age_seconds"), 3600 + 300);
  EXPECT_EQ(value(all, R"(tiendo_alerts{lifecycle="firing",severity="none"})"), 0);
  double resolved = 0;
  for (const auto& [key, number] : all) {
    if (!key.starts_with("tiendo_alerts{")) continue;
    if (contains(key, "lifecycle=\"resolved\"")) {
      resolved += number;
    } else {
      EXPECT_EQ(number, 0) << key;
    }
  }
  EXPECT_EQ(resolved, static_cast<double>(run.output.alerts.size()));

  // Nothing pending: the age is 0, not the age of a row that has gone.
  execute("DELETE FROM outbox_transitions");
  execute("DELETE FROM outbox");
  all = samples(render());
  EXPECT_EQ(value(all, "tiendo_outbox_oldest_pending_age_seconds"), 0);
  EXPECT_EQ(value(all, R"(tiendo_outbox_messages{kind="alertmanager",state="pending"})"), 0);
  EXPECT_EQ(value(all, R"(tiendo_outbox_messages{kind="email",state="delivered"})"), 0);
}

TEST_F(MetricsTest, LeavesTheStoreGaugesOutWhenTheStoreFails) {
  add_outbox("hook-1", "webhook", "dead", "2026-11-28T10:00:00Z");
  metrics_.delivery("webhook", "dead");
  ASSERT_TRUE(contains(render(), "tiendo_outbox_dead_letters 1\n"));

  execute("DROP TABLE outbox_transitions");
  execute("DROP TABLE outbox");
  std::string error;
  const std::string text = metrics_.render(*db_, error);
  EXPECT_TRUE(contains(error, "outbox")) << error;
  EXPECT_TRUE(contains(text, R"(tiendo_deliveries_total{kind="webhook",outcome="dead"} 1)"));
  EXPECT_TRUE(contains(text, "tiendo_results{"));
  for (const char* stored : {"tiendo_alerts", "tiendo_outbox_messages",
                             "tiendo_outbox_dead_letters", "tiendo_outbox_oldest_pending_age"}) {
    EXPECT_FALSE(contains(text, stored)) << stored;
  }
}

TEST_F(MetricsTest, CountsEveryEventFromManyThreads) {
  add_outbox("am-1", "alertmanager", "pending", notify::format_utc(system_clock::now()));
  constexpr int kThreads = 8;
  constexpr int kEvents = 500;
  std::vector<std::thread> threads;
  std::vector<std::string> errors(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      // A connection per thread, as the service's HTTP threads have.
      auto opened = store::Database::open(path_);
      if (auto* error = std::get_if<store::DbError>(&opened)) {
        errors[t] = error->message;
        return;
      }
      auto& db = std::get<store::Database>(opened);
      eval::Results results;
      results.rules.resize(static_cast<std::size_t>(t + 1));
      for (int i = 0; i < kEvents; ++i) {
        metrics_.http_request("/metrics", "GET", 200, 0.002);
        metrics_.delivery("email", "delivered");
        metrics_.run_finished("api", "succeeded", 1, system_clock::now());
        if (i % 50 == 0) {
          metrics_.set_results(results);
          std::string error;
          const auto all = samples(metrics_.render(db, error));
          if (!error.empty()) errors[t] = error;
          const auto pending =
              all.find(R"(tiendo_outbox_messages{kind="alertmanager",state="pending"})");
          if (pending == all.end() || pending->second != 1) {
            errors[t] = "a scrape saw the pending row missing";
          }
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  for (const std::string& error : errors) EXPECT_EQ(error, "");
  const auto all = samples(render());
  constexpr double kTotal = kThreads * kEvents;
  EXPECT_EQ(value(all, R"(tiendo_http_requests_total{code="200",method="GET",route="/metrics"})"),
            kTotal);
  EXPECT_EQ(value(all, R"(tiendo_http_request_duration_seconds_count{route="/metrics"})"), kTotal);
  EXPECT_EQ(value(all, R"(tiendo_deliveries_total{kind="email",outcome="delivered"})"), kTotal);
  EXPECT_EQ(value(all, R"(tiendo_runs_total{outcome="succeeded",trigger="api"})"), kTotal);
  // Whichever thread set the results last, they are one thread's whole set.
  const double no_data = value(all, R"(tiendo_results{state="no_data",subject="rule"})");
  EXPECT_GE(no_data, 1);
  EXPECT_LE(no_data, kThreads);
}

TEST_F(MetricsTest, PromtoolAcceptsTheExposition) {
  const std::string promtool = "/usr/bin/promtool";
  if (access(promtool.c_str(), X_OK) != 0) {
    GTEST_SKIP() << promtool << " is not installed (Debian package prometheus)";
  }
  const auto example = evaluate_example(*db_);
  ASSERT_NE(example, nullptr);
  auto recorded = alert::record_run(
      *db_, example->rules, example->snapshot, example->results,
      {.now = notify::format_utc(system_clock::now()), .commit = true, .limit = std::nullopt});
  if (auto* error = std::get_if<store::DbError>(&recorded)) FAIL() << error->message;
  add_outbox("hook-1", "webhook", "dead", "2026-11-28T10:00:00Z");
  metrics_.run_finished("schedule", "succeeded", 3.5, system_clock::now());
  metrics_.set_results(example->results);
  metrics_.delivery("email", "delivered");
  metrics_.rules_loaded(true, 0);
  metrics_.http_request("/api/v1/runs/{id}", "POST", 202, 0.03);
  const std::string text = render();

  const std::string file = dir_.path() + "/metrics.txt";
  {
    std::FILE* out = std::fopen(file.c_str(), "wb");
    ASSERT_NE(out, nullptr);
    ASSERT_EQ(std::fwrite(text.data(), 1, text.size(), out), text.size());
    ASSERT_EQ(std::fclose(out), 0);
  }
  // promtool reads the exposition on standard input and reports lint problems on
  // standard output or standard error: both come back through the pipe.
  ::tiendo::testing::ChildProcess child(
      {"/bin/sh", "-c", "exec \"$1\" check metrics < \"$2\" 2>&1", "sh", promtool, file});
  const auto said = child.read_all(std::chrono::seconds(30));
  const int status = child.finish(std::chrono::seconds(30));
  ASSERT_TRUE(said.has_value());
  EXPECT_EQ(status, 0) << *said;
  EXPECT_EQ(*said, "") << "promtool on:\n" << text;
}

}  // namespace
}  // namespace tiendo::service

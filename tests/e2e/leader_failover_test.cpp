// Two `tiendo serve` on one PostgreSQL store (CTest label `postgresql`): both answer the
// API, one leads (runs the evaluations and the deliveries), and when the leader is killed
// with SIGKILL the other takes over. Ten kills, in turn during a run, during a delivery
// (the receiver holds each message for a while) and idle; after each, the survivor must
// lead within 30 s and the killed one is started again as a follower. At the end:
// - never two leaders: the store's epoch rose by one per takeover;
// - every run is committed whole or failed with none of its results (no run "running",
//   every succeeded run with its results, a failed one with none), and every requested
//   evaluation succeeded: one cut short is redone by the next leader;
// - no alert lost: every message the runs queued was delivered;
// - a message sent twice only if it was in flight at a kill: duplicates <= kills made
//   while a message was being received or had just been answered, counted and printed;
// - the schedule's slot missed while no service ran is caught up once.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>

#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "api_client.hpp"
#include "run.hpp"
#include "support/serve_process.hpp"
#include "support/store_rows.hpp"
#include "support/temp_dir.hpp"
#include "support/test_store.hpp"

namespace tiendo::testing {
namespace {

using json = nlohmann::json;
using namespace std::chrono_literals;

// A webhook receiver that holds each message `hold` before answering 200, so that a
// delivery is in flight for that long, and counts what it received by webhook-id.
class SlowReceiver {
 public:
  explicit SlowReceiver(std::chrono::milliseconds hold) : hold_(hold) {
    server_.Post(".*", [this](const httplib::Request& request, httplib::Response& response) {
      {
        std::lock_guard lock(mutex_);
        ++in_flight_;
      }
      std::this_thread::sleep_for(hold_);
      {
        std::lock_guard lock(mutex_);
        --in_flight_;
        ++received_[request.get_header_value("webhook-id")];
        last_answer_ = std::chrono::steady_clock::now();
      }
      response.status = 200;
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
  }
  ~SlowReceiver() {
    server_.stop();
    if (thread_.joinable()) thread_.join();
  }
  std::string url(const std::string& path) const {
    return fmt::format("http://127.0.0.1:{}{}", port_, path);
  }
  int in_flight() {
    std::lock_guard lock(mutex_);
    return in_flight_;
  }
  std::map<std::string, int> received() {
    std::lock_guard lock(mutex_);
    return received_;
  }
  // Whether a delivery may be in flight for its sender: a message is being received, or
  // one was answered within `window` (its sender may not have recorded the answer yet).
  bool busy(std::chrono::milliseconds window) {
    std::lock_guard lock(mutex_);
    return in_flight_ > 0 || std::chrono::steady_clock::now() - last_answer_ < window;
  }

 private:
  std::chrono::milliseconds hold_;
  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
  std::mutex mutex_;
  int in_flight_ = 0;
  std::map<std::string, int> received_;
  std::chrono::steady_clock::time_point last_answer_{};
};

// A service of its own directory on store `db`, named `name`.
ServeSetup service_setup(const TempDir& dir, const std::string& db, const std::string& name,
                         const std::string& more_top_level = "") {
  ServeSetup s;
  s.binary = TIENDO_BINARY;
  s.directory = dir.path() + "/" + name;
  std::filesystem::create_directories(s.directory);
  s.database = db;
  s.top_level = fmt::format("instance = \"{}\"\n{}", name, more_top_level);
  return s;
}

json status_of_service(int port) { return body_of(ApiClient(port).get("/api/v1/status")); }

bool leads(int port) { return status_of_service(port)["leadership"].value("leads", false); }

// Waits until the service on `port` leads; the seconds it took, or -1 after `limit`.
double wait_to_lead(int port, std::chrono::seconds limit) {
  const auto start = std::chrono::steady_clock::now();
  while (std::chrono::steady_clock::now() - start < limit) {
    if (leads(port)) {
      return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    }
    std::this_thread::sleep_for(100ms);
  }
  return -1;
}

TEST(LeaderFailover, TheFollowerTakesOverAfterEachOfTenKillsAndNothingIsLostOrDoubled) {
  if (!on_postgres()) GTEST_SKIP() << "runs under the postgresql label";
  const SigpipeIgnored sigpipe;
  SlowReceiver receiver(1500ms);
  TempDir dir;
  const std::string db = test_store(dir.path());
  // 400 districts, a rule on each that a run at a new date finds unmet and notifies
  // again: each run writes 400 results and queues one message.
  std::string units = "unit,name,level,parent\np,P,province,\n";
  std::string data = "indicator,unit,period,value\n";
  for (int d = 0; d < 400; ++d) {
    units += fmt::format("d{0},D{0},district,p\n", d);
    data += fmt::format("x,d{},2024-01,{}\n", d, d % 100);
  }
  write_text(dir.path() + "/units.csv", units);
  write_text(dir.path() + "/x.csv", data);
  write_text(dir.path() + "/rules.rules",
             "levels province > district\n"
             "indicator x { title \"X\" unit number }\n"
             "channel ops { webhook \"" +
                 receiver.url("/ops") +
                 "\" }\n"
                 "rule x_floor { require x >= 1000 for each district repeat every 1d notify ops "
                 "}\n");
  const RunResult ingest = run_tiendo(
      "ingest --db " + shell_quote(db) + " --rules rules.rules units.csv x.csv", dir.path());
  ASSERT_EQ(ingest.exit_code, 0) << ingest.err;

  const auto setup = [&](const std::string& name) {
    // Runs at dates after today's catch-up run (a ledger never goes back).
    ServeSetup s = service_setup(dir, db, name, "max_days_ahead = 60");
    s.rules = {dir.path() + "/rules.rules"};
    // The slot missed before the first start is caught up (once, by whoever leads).
    s.schedule = catch_up_schedule();
    return s;
  };
  std::map<std::string, std::unique_ptr<ServeProcess>> services;
  services["a"] = std::make_unique<ServeProcess>(setup("a"));
  ASSERT_GE(wait_to_lead(services["a"]->port(), 30s), 0) << services["a"]->log();
  services["b"] = std::make_unique<ServeProcess>(setup("b"));
  EXPECT_FALSE(leads(services["b"]->port()));
  const json seen_by_b = status_of_service(services["b"]->port())["leadership"];
  EXPECT_EQ(seen_by_b["leader"].value("instance", ""), "a") << seen_by_b.dump();
  const std::int64_t first_epoch = seen_by_b["leader"].value("epoch", 0);

  std::string leader = "a";
  int day = 0;
  std::vector<std::int64_t> requested;
  const auto request_run = [&](int port) {
    ++day;
    const std::chrono::year_month_day ymd(
        std::chrono::floor<std::chrono::days>(std::chrono::system_clock::now()) +
        std::chrono::days(1 + day));
    const std::string at =
        fmt::format("{}-{:02}-{:02}", static_cast<int>(ymd.year()),
                    static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
    auto queued = ApiClient(port).post("/api/v1/evaluate", fmt::format(R"({{"at": "{}"}})", at),
                                       "application/json");
    ASSERT_EQ(status_of(queued), 202) << (queued ? queued->body : "no answer");
    requested.push_back(body_of(queued).value("id", 0));
  };
  int in_delivery = 0;         // kills made while a delivery was in flight by design
  int in_flight_at_kills = 0;  // kills at which one was, whatever the phase
  for (int kill = 0; kill < 10; ++kill) {
    const std::string follower = leader == "a" ? "b" : "a";
    ServeProcess& doomed = *services[leader];
    const int phase = kill % 3;
    const char* when = phase == 0 ? "during a run" : phase == 1 ? "during a delivery" : "idle";
    // Every request goes to the follower: both take them, the leader runs them.
    request_run(services[follower]->port());
    if (phase == 0) {
      ASSERT_TRUE(
          doomed.wait_for_log(fmt::format("evaluation started id={}", requested.back()), 60s))
          << doomed.log();
    } else if (phase == 1) {
      const auto start = std::chrono::steady_clock::now();
      while (receiver.in_flight() == 0 && std::chrono::steady_clock::now() - start < 60s) {
        std::this_thread::sleep_for(20ms);
      }
      ASSERT_GT(receiver.in_flight(), 0) << "no delivery was in flight";
      ++in_delivery;
    } else {
      // Idle: the run done and its messages delivered.
      const auto start = std::chrono::steady_clock::now();
      while (std::chrono::steady_clock::now() - start < 60s) {
        const json s = status_of_service(services[follower]->port());
        if (s["outbox"].value("pending", 1) == 0 && s.value("queued_runs", 1) == 0 &&
            receiver.in_flight() == 0) {
          break;
        }
        std::this_thread::sleep_for(100ms);
      }
    }
    ASSERT_TRUE(doomed.process().send(SIGKILL));
    doomed.process().wait_exit(10s);
    // The leader delivers one message at a time: a kill can leave at most one in flight,
    // the one being received, or one answered that the leader had no time to record.
    if (receiver.busy(2s)) ++in_flight_at_kills;
    const double took = wait_to_lead(services[follower]->port(), 30s);
    std::printf("kill %d (%s): %s took over in %.2f s\n", kill + 1, when, follower.c_str(), took);
    ASSERT_GE(took, 0) << follower << " did not take over within 30 s\n"
                       << services[follower]->log();
    // The killed one comes back, as a follower.
    services[leader] = std::make_unique<ServeProcess>(setup(leader));
    EXPECT_FALSE(leads(services[leader]->port()));
    leader = follower;
  }

  // Everything asked is done and delivered.
  const auto start = std::chrono::steady_clock::now();
  json final_status;
  const auto unfinished = [&] {
    store::Database reader = open_file(db);
    return count(reader, "SELECT count(*) FROM evaluations WHERE state IN ('queued', 'running')");
  };
  while (std::chrono::steady_clock::now() - start < 120s) {
    // The runs first: a run that ends queues its messages in the same transaction.
    const bool runs_done = unfinished() == 0;
    final_status = status_of_service(services[leader]->port());
    if (runs_done && final_status["outbox"].value("pending", 1) == 0) break;
    std::this_thread::sleep_for(200ms);
  }
  ASSERT_EQ(final_status["outbox"].value("pending", 1), 0) << final_status.dump();
  EXPECT_EQ(final_status["outbox"].value("dead", 1), 0) << final_status.dump();
  // One takeover per kill, and never two leaders: the epoch rose by exactly ten.
  EXPECT_EQ(final_status["leadership"]["leader"].value("epoch", 0), first_epoch + 10)
      << final_status.dump();

  store::Database store = open_file(db);
  EXPECT_EQ(count(store, "SELECT count(*) FROM runs WHERE status = 'running'"), 0);
  EXPECT_EQ(count(store, "SELECT count(*) FROM evaluations WHERE state IN ('queued', 'running')"),
            0);
  // A run is whole or gone: a succeeded run has the rule's 400 results, a failed one
  // none of its own (its spans were taken back).
  for (const std::string& row : rows(store, "SELECT id, status FROM runs ORDER BY id")) {
    const std::string id = row.substr(0, row.find('|'));
    const std::int64_t started =
        count(store, "SELECT count(*) FROM result_spans WHERE from_run = " + id);
    if (row.find("|succeeded|") != std::string::npos) {
      EXPECT_EQ(count(store, fmt::format("SELECT count(*) FROM result_spans WHERE from_run <= {0} "
                                         "AND to_run > {0}",
                                         id)),
                400)
          << "run " << id;
    } else {
      EXPECT_EQ(started, 0) << "failed run " << id << " left results";
    }
  }
  // Every requested evaluation was done: a run cut short by its leader's death is redone
  // by the next leader (once; cut short twice, it fails as interrupted).
  int redone = 0;
  for (const std::int64_t id : requested) {
    const std::vector<std::string> state = rows(
        store, fmt::format("SELECT state, coalesce(error, '') FROM evaluations WHERE id = {}", id));
    ASSERT_EQ(state.size(), 1u) << id;
    EXPECT_TRUE(state[0] == "succeeded||" || state[0].ends_with("(twice)|"))
        << id << ": " << state[0];
  }
  redone = static_cast<int>(count(store, "SELECT count(*) FROM runs WHERE status = 'failed'"));
  std::printf("%d runs cut short and redone\n", redone);

  // The catch-up ran once (its slot is covered by one evaluation that did not fail for a
  // stop).
  EXPECT_EQ(count(store,
                  "SELECT count(*) FROM evaluations WHERE trigger = 'catch-up' AND NOT "
                  "(state = 'failed' AND error LIKE 'interrupted:%')"),
            1);
  // No alert lost: every message queued was delivered; doubles only for those in flight.
  const std::map<std::string, int> received = receiver.received();
  int doubles = 0;
  for (const std::string& key : rows(store, "SELECT idempotency_key FROM outbox")) {
    const auto found = received.find(key.substr(0, key.size() - 1));
    ASSERT_NE(found, received.end()) << "message " << key << " was never received";
    doubles += found->second - 1;
  }
  EXPECT_EQ(received.size(), static_cast<std::size_t>(count(store, "SELECT count(*) FROM outbox")));
  std::printf(
      "%zu messages, %d received twice (%d kills made during a delivery, %d with one in flight)\n",
      received.size(), doubles, in_delivery, in_flight_at_kills);
  EXPECT_LE(doubles, in_flight_at_kills);
  EXPECT_GE(in_flight_at_kills, in_delivery);
}

// The follower's pages and dashboard show the leader's latest evaluation (evaluated again
// by the follower over the data as it stood when that evaluation began): a request
// answered by either service through a load balancer says the same.
TEST(LeaderFailover, AFollowerShowsTheLeadersLatestEvaluation) {
  if (!on_postgres()) GTEST_SKIP() << "runs under the postgresql label";
  TempDir dir;
  const std::string db = test_store(dir.path());
  const RunResult ingest = ingest_examples(db);
  ASSERT_EQ(ingest.exit_code, 0) << ingest.err;
  ServeProcess a(service_setup(dir, db, "a"));
  ASSERT_GE(wait_to_lead(a.port(), 30s), 0) << a.log();
  ServeProcess b(service_setup(dir, db, "b"));
  ASSERT_FALSE(leads(b.port()));
  // Before any evaluation neither has one to show (once b has looked in the store: until
  // then it says it is catching up, 503).
  int before = 503;
  for (int i = 0; i < 50 && before == 503; ++i) {
    before = status_of(ApiClient(b.port()).get("/units/dong_nai"));
    if (before == 503) std::this_thread::sleep_for(100ms);
  }
  EXPECT_EQ(before, 409);

  const auto queued =
      ApiClient(b.port()).post("/api/v1/evaluate", R"({"at": "2022-09-30"})", "application/json");
  ASSERT_EQ(status_of(queued), 202) << (queued ? queued->body : "no answer");
  const std::int64_t id = body_of(queued).value("id", 0);
  ASSERT_TRUE(a.wait_for_log(fmt::format("evaluation finished id={}", id), 60s)) << a.log();
  ASSERT_TRUE(b.wait_for_log(fmt::format("showing the store's latest evaluation id={}", id), 30s))
      << b.log();
  // The same pages from both, once their clocks' text is left aside.
  const std::regex stamp(R"(\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2})?Z?|\d{2}:\d{2}(:\d{2})? UTC)");
  for (const std::string path :
       {"/units/dong_nai?lang=en", "/?lang=en", "/rules/online_dossier_2022?unit=dong_nai"}) {
    const auto from_a = ApiClient(a.port()).get(path);
    const auto from_b = ApiClient(b.port()).get(path);
    ASSERT_EQ(status_of(from_a), 200) << path;
    ASSERT_EQ(status_of(from_b), 200) << path << ": " << (from_b ? from_b->body : "no answer");
    EXPECT_EQ(std::regex_replace(from_b->body, stamp, "T"),
              std::regex_replace(from_a->body, stamp, "T"))
        << path;
  }
  // The run read every observation, and b read them all to show it (nothing before).
  const std::regex read_all(R"(observations_read=(\d+))");
  std::smatch first_read;
  const std::string b_log = b.log();
  ASSERT_TRUE(std::regex_search(b_log, first_read, read_all)) << b_log;
  EXPECT_GT(std::stoi(first_read[1]), 20);

  // A later revision, then a run: both services read only what was ingested since
  // (LoadOptions::base), and b exactly the rows a read (its summary's read_through), not
  // the one ingested after a's run, which neither shows until the next run.
  const auto post = [&](int port, const std::string& value) {
    return ApiClient(port).post(
        "/api/v1/observations",
        "indicator,unit,period,value\nonline_dossier_rate,dong_nai,Quý III/2022," + value + "\n",
        "text/csv", ServeProcess::kWriteToken);
  };
  ASSERT_EQ(status_of(post(b.port(), "\"31,5%\"")), 200);
  const auto again =
      ApiClient(b.port()).post("/api/v1/evaluate", R"({"at": "2022-09-30"})", "application/json");
  ASSERT_EQ(status_of(again), 202);
  const std::int64_t second = body_of(again).value("id", 0);
  ASSERT_TRUE(a.wait_for_log(fmt::format("evaluation finished id={}", second), 60s)) << a.log();
  ASSERT_EQ(status_of(post(a.port(), "\"47,25%\"")), 200);
  ASSERT_TRUE(
      b.wait_for_log(fmt::format("showing the store's latest evaluation id={}", second), 30s))
      << b.log();
  const auto summary = ApiClient(a.port()).get(fmt::format("/api/v1/runs/{}", second));
  ASSERT_EQ(status_of(summary), 200);
  const nlohmann::json run = body_of(summary)["summary"];
  EXPECT_EQ(run["observations_read"], 1) << run.dump();
  EXPECT_EQ(run["observations"], run["observations_read"].get<int>() + std::stoi(first_read[1]) - 1)
      << run.dump();  // the revision replaced one
  const std::string b_after = b.log();
  EXPECT_NE(b_after.find(fmt::format("showing the store's latest evaluation id={}", second)),
            std::string::npos);
  EXPECT_NE(b_after.find("observations_read=1\n"), std::string::npos) << b_after;
  for (const std::string path : {"/rules/online_dossier_2022?unit=dong_nai&lang=en", "/?lang=en"}) {
    const auto from_a = ApiClient(a.port()).get(path);
    const auto from_b = ApiClient(b.port()).get(path);
    ASSERT_EQ(status_of(from_a), 200) << path;
    ASSERT_EQ(status_of(from_b), 200) << path;
    EXPECT_EQ(std::regex_replace(from_b->body, stamp, "T"),
              std::regex_replace(from_a->body, stamp, "T"))
        << path;
    if (path.starts_with("/rules/")) {
      EXPECT_NE(from_b->body.find("31.5"), std::string::npos) << "the run's revision";
      EXPECT_EQ(from_b->body.find("47.25"), std::string::npos) << "ingested after the run";
    }
  }
  // A service started now answers a page at once: the evaluation, or 503 with Retry-After
  // while it loads it (so that a proxy asks another service), never "no evaluation yet".
  ServeProcess c(service_setup(dir, db, "c"));
  const auto at_start = ApiClient(c.port()).get("/units/dong_nai");
  ASSERT_TRUE(at_start);
  if (at_start->status == 503) {
    EXPECT_EQ(at_start->get_header_value("Retry-After"), "5");
    EXPECT_NE(at_start->body.find("loading the store's latest evaluation"), std::string::npos)
        << at_start->body;
  } else {
    EXPECT_EQ(at_start->status, 200) << at_start->body;
  }
  std::printf("a page asked of a service just started: %d\n", at_start->status);
  ASSERT_TRUE(
      c.wait_for_log(fmt::format("showing the store's latest evaluation id={}", second), 30s))
      << c.log();
  EXPECT_EQ(status_of(ApiClient(c.port()).get("/units/dong_nai")), 200);
}

// The rule set's versions on a shared store (issue #18): a version saved through the
// follower runs on the leader (it looks before each evaluation and every few seconds), the
// next evaluation uses it, and a roll back through the leader reaches the follower.
TEST(LeaderFailover, AVersionOfTheRulesSavedThroughOneServiceRunsOnBoth) {
  if (!on_postgres()) GTEST_SKIP() << "runs under the postgresql label";
  TempDir dir;
  const std::string db = test_store(dir.path());
  const RunResult ingest = ingest_examples(db);
  ASSERT_EQ(ingest.exit_code, 0) << ingest.err;
  ServeProcess a(service_setup(dir, db, "a"));
  ASSERT_GE(wait_to_lead(a.port(), 30s), 0) << a.log();
  ServeProcess b(service_setup(dir, db, "b"));
  const auto rules = ServeProcess::kRulesToken;
  const auto version_of = [](int port) {
    return status_of_service(port)["rules"].value("version", std::int64_t{-1});
  };
  // Both run version 1: the files, read by the first service to start.
  EXPECT_EQ(version_of(a.port()), 1);
  EXPECT_EQ(version_of(b.port()), 1);
  const json v1 = body_of(ApiClient(b.port()).get("/api/v1/rules/versions/1", rules));
  ASSERT_EQ(v1["files"].size(), 2u) << v1;
  const std::string name = v1["files"][0]["name"];
  std::string text = v1["files"][0]["text"];
  const std::string from = "online_report_rate >= 50%";
  ASSERT_NE(text.find(from), std::string::npos);
  text.replace(text.find(from), from.size(), "online_report_rate >= 35%");

  const auto saved = ApiClient(b.port()).post(
      "/api/v1/rules/versions",
      json{{"files", {{name, text}}}, {"message", "35% (QĐ 12)"}, {"base", 1}}.dump(),
      "application/json", rules);
  ASSERT_EQ(status_of(saved), 201) << (saved ? saved->body : "no answer");
  EXPECT_EQ(body_of(saved)["author"], "author");
  EXPECT_EQ(version_of(b.port()), 2);
  const auto waited = [&](int port, std::int64_t version) {
    for (int i = 0; i < 150; ++i) {
      if (version_of(port) == version) return true;
      std::this_thread::sleep_for(100ms);
    }
    return false;
  };
  ASSERT_TRUE(waited(a.port(), 2)) << a.log();
  EXPECT_TRUE(a.wait_for_log("applied the store's current version of the rule set version=2", 5s))
      << a.log();

  // The next evaluation (run by the leader) uses version 2.
  const auto queued =
      ApiClient(b.port()).post("/api/v1/evaluate", R"({"at": "2022-09-30"})", "application/json");
  ASSERT_EQ(status_of(queued), 202);
  const std::int64_t id = body_of(queued).value("id", 0);
  ASSERT_TRUE(a.wait_for_log(fmt::format("evaluation finished id={}", id), 60s)) << a.log();
  const json run = body_of(ApiClient(b.port()).get(fmt::format("/api/v1/runs/{}", id)));
  EXPECT_EQ(run["summary"]["rules_version"], 2) << run;
  const json results =
      body_of(ApiClient(a.port()).get("/api/v1/results?rule=online_report_2022&unit=dong_nai"));
  ASSERT_EQ(results["rules"].size(), 1u) << results;
  EXPECT_EQ(results["rules"][0]["state"], "on_track") << results;

  // Roll back through the leader: version 3 (version 1's files) on both.
  const auto restored = ApiClient(a.port()).post(
      "/api/v1/rules/versions/1/restore",
      json{{"message", "Khôi phục phiên bản 1"}, {"base", 2}}.dump(), "application/json", rules);
  ASSERT_EQ(status_of(restored), 201) << (restored ? restored->body : "no answer");
  EXPECT_EQ(body_of(restored)["restored_from"], 1);
  ASSERT_TRUE(waited(b.port(), 3)) << b.log();
  // A save on a base that is no longer current: a conflict, from either service.
  const auto stale = ApiClient(b.port()).post(
      "/api/v1/rules/versions",
      json{{"files", {{name, text + "\n"}}}, {"message", "late"}, {"base", 2}}.dump(),
      "application/json", rules);
  EXPECT_EQ(status_of(stale), 409);
  EXPECT_EQ(body_of(stale)["current"], 3);
}

}  // namespace
}  // namespace tiendo::testing

// The service against a hostile client (issue 13's probe): a holder of a write token
// (what an ingest bot has) and anyone who can open a connection. Through the real binary
// on 127.0.0.1: each of the five breaks, the slow-connection load, and the smaller holes;
// after each refused request the service still answers and the database is unchanged.
// Every wait is bounded; every socket is closed at the end.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "e2e/api_client.hpp"
#include "e2e/run.hpp"
#include "store/database.hpp"
#include "store/sql/statements.hpp"
#include "support/serve_process.hpp"

namespace tiendo::testing {
namespace {

using json = nlohmann::json;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

int count_of(const std::string& text, std::string_view needle) {
  int n = 0;
  for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

class HostileClient : public ServedExamplesTest {
 protected:
  // The service answers its probes, and the database is as it was.
  void still_whole(ServeProcess& serve, const std::map<std::string, std::int64_t>& before,
                   const std::string& after_what) {
    ApiClient http(serve.port());
    EXPECT_EQ(status_of(http.get("/healthz", "")), 200) << after_what;
    EXPECT_TRUE(serve.process().running()) << after_what << "\n" << serve.log();
    EXPECT_EQ(table_counts(db_), before) << after_what;
  }
};

TEST_F(HostileClient, RefusedRequestsChangeNothingAndTheServiceKeepsAnswering) {
  ServeProcess serve(setup());
  ApiClient http(serve.port());
  const auto before = table_counts(db_);

  // 1. A matcher that overflowed std::regex's stack: refused, not a crash.
  const std::string deep = "rule=~" + std::string(20000, '(') + std::string(20000, ')');
  auto r = http.post("/api/v1/silences", json{{"matchers", {deep}}, {"duration", "1h"}}.dump(),
                     "application/json");
  EXPECT_EQ(status_of(r), 400) << (r ? r->body.substr(0, 300) : "no answer");
  still_whole(serve, before, "a 40 KB nested matcher");
  r = http.post(
      "/api/v1/silences",
      json{{"matchers", std::vector<std::string>(33, "rule=x")}, {"duration", "1h"}}.dump(),
      "application/json");
  EXPECT_EQ(status_of(r), 400) << (r ? r->body.substr(0, 300) : "no answer");
  r = http.post(
      "/api/v1/silences",
      json{{"matchers", {"rule=x"}}, {"duration", "1h"}, {"comment", std::string(5000, 'c')}}
          .dump(),
      "application/json");
  EXPECT_EQ(status_of(r), 400) << (r ? r->body.substr(0, 300) : "no answer");
  still_whole(serve, before, "silences too big");

  // 3. A run far in the future, which would have switched alerting off.
  for (const char* at : {"9999-12-31", "2200-12-31", "2026-13-01"}) {
    r = http.post("/api/v1/evaluate", json{{"at", at}}.dump(), "application/json");
    EXPECT_EQ(status_of(r), 400) << at << ": " << (r ? r->body : "no answer");
    still_whole(serve, before, std::string("evaluate at ") + at);
  }

  // 5. Durations that overflowed: refused, not a silence that ends in five hours.
  for (const char* duration : {"2562048d", "106752d", "99999999999999999999s"}) {
    r = http.post("/api/v1/silences",
                  json{{"matchers", {"rule=online_dossier_2022"}}, {"duration", duration}}.dump(),
                  "application/json");
    EXPECT_EQ(status_of(r), 400) << duration << ": " << (r ? r->body : "no answer");
    still_whole(serve, before, std::string("a silence of ") + duration);
  }

  // NUL in text fields: refused with the row named.
  const std::string csv =
      "indicator,unit,period,value,source\n"
      "online_dossier_rate,dong_nai,Q3/2022,50%,bad" +
      std::string(1, '\0') + "source\n";
  r = http.post("/api/v1/observations", csv, "text/csv");
  EXPECT_EQ(status_of(r), 422) << (r ? r->body : "no answer");
  still_whole(serve, before, "a NUL in a CSV source");
  r = http.post("/api/v1/observations",
                R"([{"indicator":"online_dossier_rate","unit":"dong_nai","period":"Q3/2022",)"
                R"("value":"50%","note":"a\u0000b"}])",
                "application/json");
  EXPECT_EQ(status_of(r), 422) << (r ? r->body : "no answer");
  still_whole(serve, before, "a \\u0000 in a JSON note");

  // A NUL in a request path reaches the log escaped, never raw.
  const std::string reply = raw_exchange(
      serve.port(),
      std::string("GET /api/v1/x%00y HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"));
  EXPECT_NE(reply.find("HTTP/1.1 4"), std::string::npos) << reply;
  EXPECT_EQ(serve.log().find('\0'), std::string::npos);
  still_whole(serve, before, "a NUL in the path");
}

TEST_F(HostileClient, LiveSilencesAreBounded) {
  {
    auto opened = store::Database::open(db_, store::Database::Mode::existing);
    ASSERT_TRUE(std::holds_alternative<store::Database>(opened));
    store::Database& db = std::get<store::Database>(opened);
    ASSERT_FALSE(tiendo::store::sql::execute(
        db,
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000) "
        "INSERT INTO silences (matchers, starts_at, ends_at, author, comment, created_at) "
        "SELECT '[{\"name\":\"rule\",\"op\":\"=\",\"value\":\"x\"}]', "
        "'2026-01-01T00:00:00Z', '2200-01-01T00:00:00Z', 'probe', '', '2026-01-01T00:00:00Z' "
        "FROM n"));
  }
  ServeProcess serve(setup());
  ApiClient http(serve.port());
  const auto before = table_counts(db_);
  auto r = http.post("/api/v1/silences", json{{"matchers", {"rule=y"}}, {"duration", "1h"}}.dump(),
                     "application/json");
  EXPECT_EQ(status_of(r), 409) << (r ? r->body : "no answer");
  EXPECT_NE(body_of(r).value("message", "").find("1000 silences"), std::string::npos)
      << (r ? r->body : "");
  still_whole(serve, before, "a silence past the bound");
  // One expired makes room.
  ASSERT_EQ(status_of(http.del("/api/v1/silences/1")), 200);
  r = http.post("/api/v1/silences", json{{"matchers", {"rule=y"}}, {"duration", "1h"}}.dump(),
                "application/json");
  EXPECT_EQ(status_of(r), 201) << (r ? r->body : "no answer");
}

TEST_F(HostileClient, ABacktrackingMatcherDoesNotStallTheRuns) {
  ServeProcess serve(setup());
  ApiClient http(serve.port());
  // 2. Exponential for a backtracking engine on every alert of every run.
  auto silence = http.post(
      "/api/v1/silences",
      json{{"matchers", {"rule=~(.|.|.|.)*X"}}, {"duration", "1h"}, {"comment", "probe"}}.dump(),
      "application/json");
  ASSERT_EQ(status_of(silence), 201) << (silence ? silence->body : "no answer");
  const auto started = Clock::now();
  auto queued = http.post("/api/v1/evaluate", R"({"at":"2022-09-30"})", "application/json");
  ASSERT_EQ(status_of(queued), 202);
  const json run = wait_for_run(http, json::parse(queued->body)["id"].get<std::int64_t>(), 120s);
  EXPECT_EQ(run.value("state", ""), "succeeded") << run.dump();
  // Seconds on this machine; the bound only catches a stall.
  EXPECT_LT(Clock::now() - started, 60s);
  // And the next run is not held behind it.
  queued = http.post("/api/v1/evaluate", R"({"at":"2022-09-30"})", "application/json");
  ASSERT_EQ(status_of(queued), 202);
  EXPECT_EQ(wait_for_run(http, json::parse(queued->body)["id"].get<std::int64_t>(), 120s)
                .value("state", ""),
            "succeeded");
}

TEST_F(HostileClient, RequestedEvaluationsWaitingAreBounded) {
  ServeProcess serve(setup());
  ApiClient http(serve.port());
  // Faster than any run: the queue fills, and what does not fit is refused, not queued.
  int accepted = 0, refused = 0;
  for (int i = 0; i < 40; ++i) {
    const auto r = http.post("/api/v1/evaluate", R"({"at":"2022-09-30"})", "application/json");
    if (status_of(r) == 202) ++accepted;
    if (status_of(r) == 429) {
      ++refused;
      EXPECT_EQ(r->get_header_value("Retry-After"), "60");
    }
  }
  EXPECT_EQ(accepted + refused, 40);
  EXPECT_GT(refused, 0);
  EXPECT_GE(accepted, 16);
  auto opened = store::Database::open(db_, store::Database::Mode::read_only);
  ASSERT_TRUE(std::holds_alternative<store::Database>(opened));
  store::Statement q = tiendo::store::sql::prepare(
      std::get<store::Database>(opened), "SELECT count(*) FROM evaluations WHERE trigger = 'api'");
  ASSERT_TRUE(q.step());
  EXPECT_EQ(q.column_int(0), accepted);
  EXPECT_EQ(status_of(http.get("/healthz", "")), 200);
}

TEST_F(HostileClient, TwoHundredSlowConnectionsDoNotStopTheProbes) {
  ServeProcess serve(setup());
  // 4. Each sends a request head one line at a time, a line every two seconds.
  constexpr int kSlow = 200;
  std::vector<int> slow;
  for (int i = 0; i < kSlow; ++i) {
    const int fd = connect_to(serve.port());
    ASSERT_GE(fd, 0) << "connection " << i;
    const std::string start = "GET /healthz HTTP/1.1\r\nHost: slow\r\n";
    (void)!::send(fd, start.data(), start.size(), MSG_NOSIGNAL);
    slow.push_back(fd);
  }
  std::atomic<bool> done{false};
  std::thread drip([&] {
    while (!done) {
      for (int fd : slow) (void)!::send(fd, "X-Slow: 1\r\n", 11, MSG_NOSIGNAL);
      for (int i = 0; i < 20 && !done; ++i) std::this_thread::sleep_for(100ms);
    }
  });
  ApiClient http(serve.port());
  std::vector<double> seconds;
  const auto until = Clock::now() + 8s;
  while (Clock::now() < until) {
    for (const char* path : {"/healthz", "/api/v1/status"}) {
      const auto start = Clock::now();
      const auto r = http.get(path);
      const double took = std::chrono::duration<double>(Clock::now() - start).count();
      EXPECT_EQ(status_of(r), 200) << path;
      EXPECT_LT(took, 1.0) << path;
      seconds.push_back(took);
    }
    std::this_thread::sleep_for(500ms);
  }
  done = true;
  drip.join();
  for (int fd : slow) ::close(fd);
  EXPECT_GE(seconds.size(), 10u);
  std::sort(seconds.begin(), seconds.end());
  RecordProperty("probe_max_seconds", std::to_string(seconds.back()));
  EXPECT_TRUE(serve.process().running()) << serve.log();
}

TEST_F(HostileClient, HttpFramingTricksAreAnsweredNotHeld) {
  ServeSetup s = setup();
  s.tables = "[limits]\nmax_body_bytes = 4096\n";
  ServeProcess serve(s);
  const auto before = table_counts(db_);
  const std::string auth = "Authorization: " + bearer(ServeProcess::kWriteToken) + "\r\n";

  // A Content-Length over the limit and no body: 413 at once, not after the read timeout.
  auto start = Clock::now();
  std::string reply =
      raw_exchange(serve.port(),
                   "POST /api/v1/observations HTTP/1.1\r\nHost: a\r\n" + auth +
                       "Content-Type: text/csv\r\nContent-Length: 100000000\r\n\r\n",
                   {}, "\r\n\r\n");
  EXPECT_NE(reply.find("HTTP/1.1 413"), std::string::npos) << reply;
  EXPECT_LT(Clock::now() - start, 3s);

  // Two Content-Length headers that disagree: 400, whichever a proxy would have believed.
  reply = raw_exchange(serve.port(),
                       "POST /api/v1/observations HTTP/1.1\r\nHost: a\r\n" + auth +
                           "Content-Type: text/csv\r\nContent-Length: 5\r\nContent-Length: 50\r\n"
                           "Connection: close\r\n\r\nabcde");
  EXPECT_NE(reply.find("HTTP/1.1 400"), std::string::npos) << reply;

  // Two requests in one write: two answers, in order.
  reply = raw_exchange(serve.port(),
                       "GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n"
                       "GET /readyz HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(count_of(reply, "HTTP/1.1 200"), 2) << reply;
  EXPECT_LT(reply.find("\"ok\""), reply.find("\"ready\"")) << reply;
  EXPECT_EQ(table_counts(db_), before);
  EXPECT_TRUE(serve.process().running());
}

TEST_F(HostileClient, ReadinessSaysWhenTheStoreCannotWrite) {
  {
    // Less free space than asked for.
    ServeSetup s = setup();
    s.top_level = "min_free_disk_mb = 1073741824";
    ServeProcess serve(s);
    const auto r = ApiClient(serve.port()).get("/readyz", "");
    EXPECT_EQ(status_of(r), 503);
    EXPECT_NE(r ? r->body.find("min_free_disk_mb") : std::string::npos, std::string::npos);
    EXPECT_EQ(status_of(ApiClient(serve.port()).get("/healthz", "")), 200);
  }
  // A store that fails to write: the service may write its files only up to a size (as a
  // full disk would stop it), and SIGXFSZ is ignored so that the write fails instead.
  const auto size = std::filesystem::file_size(db_);
  const std::string wrapper = dir_.path() + "/limited-tiendo";
  write_text(wrapper,
             "#!/bin/sh\ntrap '' XFSZ\nexec prlimit --fsize=" + std::to_string(size + 65536) +
                 ":unlimited -- " + shell_quote(TIENDO_BINARY) + " \"$@\"\n");
  std::filesystem::permissions(wrapper, std::filesystem::perms::owner_all);
  ServeSetup s = setup();
  s.binary = wrapper;
  ServeProcess serve(s);
  ApiClient http(serve.port());
  ASSERT_EQ(status_of(http.get("/readyz", "")), 200) << serve.log();
  // Enough rows to outgrow the limit in one transaction (and the write-ahead log the
  // service's start left, which the rule set's first version made larger).
  std::string csv = "indicator,unit,period,value,source\n";
  for (const char* indicator :
       {"online_dossier_rate", "smartphone_rate", "fiber_household_rate", "online_service_rate"}) {
    for (int year = 1901; year < 2100; ++year) {
      for (int q = 1; q <= 4; ++q) {
        csv += std::string(indicator) + ",dong_nai,Q" + std::to_string(q) + "/" +
               std::to_string(year) +
               ",50%,a source long enough to fill the pages of the write-ahead log quickly\n";
      }
    }
  }
  const auto before = table_counts(db_);
  auto r = http.post("/api/v1/observations", csv, "text/csv");
  EXPECT_GE(status_of(r), 500) << (r ? r->body : "no answer");
  auto ready = http.get("/readyz", "");
  EXPECT_EQ(status_of(ready), 503);
  EXPECT_NE(ready ? ready->body.find("cannot write") : std::string::npos, std::string::npos)
      << (ready ? ready->body : "");
  EXPECT_EQ(table_counts(db_), before);
  // The disk has room again: the next write that commits makes it ready.
  ASSERT_EQ(std::system(("prlimit --pid " + std::to_string(serve.process().pid()) +
                         " --fsize=unlimited:unlimited")
                            .c_str()),
            0);
  r = http.post("/api/v1/observations",
                "indicator,unit,period,value\nonline_dossier_rate,dong_nai,Q4/2022,51%\n",
                "text/csv");
  EXPECT_EQ(status_of(r), 200) << (r ? r->body : "no answer");
  EXPECT_EQ(status_of(http.get("/readyz", "")), 200);
}

}  // namespace
}  // namespace tiendo::testing

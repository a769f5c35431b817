// The PostgreSQL server goes away under a running service and a command, and comes back
// (CTest label `postgresql`; the test starts a server of its own, which it stops and
// starts again, with tests/support/postgres-server). Meanwhile /readyz says not ready and
// names the database, an ingest fails whole with an error that names it, and a command
// says it cannot connect; when the server is back the service is ready again by itself,
// takes the lead again, and writes.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "api_client.hpp"
#include "run.hpp"
#include "support/serve_process.hpp"
#include "support/store_rows.hpp"
#include "support/temp_dir.hpp"
#include "support/test_store.hpp"

namespace tiendo::testing {
namespace {

using namespace std::chrono_literals;

const std::string kServer = std::string(TIENDO_SOURCE_DIR) + "/tests/support/postgres-server";

// A server of the test's own (the shared one must not stop under the other tests), in a
// directory `nobody` can reach when the tests run as root.
class PrivateServer {
 public:
  PrivateServer() : dir_(fmt::format("/tmp/tiendo-outage-{}", ::getpid())) {
    run("start");
    data_ = dir_ + "/data";
  }
  ~PrivateServer() { run("stop"); }
  PrivateServer(const PrivateServer&) = delete;
  PrivateServer& operator=(const PrivateServer&) = delete;

  // pg_ctl as the server's user: stop ("-m fast": the connections are cut) or start.
  void control(const std::string& action) {
    std::string bin = "/usr/lib/postgresql/15/bin/pg_ctl";
    std::string command = fmt::format(
        "{} -D {} -l {}/server.log -w -t 60 {} {}", bin, data_, dir_,
        action == "stop" ? "-m fast" : "-o '-k " + dir_ + " -c listen_addresses='", action);
    if (::geteuid() == 0) command = "runuser -u nobody -- " + command;
    ASSERT_EQ(std::system((command + " >/dev/null").c_str()), 0) << command;
  }
  std::string url(const std::string& database) const {
    return fmt::format("postgresql:///{}?host={}&user=tiendo", database, dir_);
  }
  void create(const std::string& database) const {
    const std::string command =
        fmt::format("/usr/lib/postgresql/15/bin/createdb -h {} -U tiendo {}", dir_, database);
    ASSERT_EQ(std::system(command.c_str()), 0) << command;
  }

 private:
  void run(const std::string& action) {
    const std::string command = kServer + " " + action + " " + dir_ + " >/dev/null";
    if (std::system(command.c_str()) != 0) throw std::runtime_error(command + " failed");
  }
  std::string dir_;
  std::string data_;
};

int status_of_ready(int port) { return status_of(ApiClient(port).get("/readyz", "")); }

TEST(PostgresOutage, TheServiceSaysNotReadyMeanwhileAndRecoversByItself) {
  if (!on_postgres()) GTEST_SKIP() << "runs under the postgresql label";
  PrivateServer server;
  server.create("outage");
  const std::string url = server.url("outage");
  const RunResult ingest = ingest_examples(url);
  ASSERT_EQ(ingest.exit_code, 0) << ingest.err;

  TempDir dir;
  ServeSetup setup;
  setup.binary = TIENDO_BINARY;
  setup.directory = dir.path();
  setup.database = url;
  ServeProcess serve(setup);
  ApiClient http(serve.port());
  ASSERT_EQ(status_of_ready(serve.port()), 200) << serve.log();
  ASSERT_TRUE(serve.wait_for_log("this service leads", 10s)) << serve.log();
  const std::int64_t observations = [&] {
    store::Database db = open_file(url);
    return count(db, "SELECT count(*) FROM observations");
  }();

  server.control("stop");
  // Not ready, naming the database; an ingest fails whole and says why.
  int ready = 0;
  for (int i = 0; i < 50 && (ready = status_of_ready(serve.port())) == 200; ++i) {
    std::this_thread::sleep_for(100ms);
  }
  EXPECT_EQ(ready, 503) << serve.log();
  const auto not_ready = http.get("/readyz", "");
  EXPECT_NE(body_of(not_ready).value("message", "").find(url), std::string::npos)
      << (not_ready ? not_ready->body : "no answer");
  const std::string csv = "indicator,unit,period,value\nsmartphone_rate,dong_nai,Quý IV/2022,85%\n";
  const auto refused = http.post("/api/v1/observations", csv, "text/csv");
  ASSERT_TRUE(refused);
  EXPECT_GE(refused->status, 500) << refused->body;
  EXPECT_NE(refused->body.find(url), std::string::npos) << refused->body;
  // The service answers what needs no store.
  EXPECT_EQ(status_of(http.get("/healthz", "")), 200);
  // A command says it cannot connect, and to what.
  const RunResult eval = run_tiendo(
      "eval --db " + shell_quote(url) + " --rules rules --at 2022-09-30", TIENDO_SOURCE_DIR);
  EXPECT_EQ(eval.exit_code, 1);
  EXPECT_NE(eval.err.find("cannot connect to the database " + url), std::string::npos) << eval.err;

  server.control("start");
  // Ready again by itself, leading again, and writing.
  const auto start = std::chrono::steady_clock::now();
  while (status_of_ready(serve.port()) != 200 && std::chrono::steady_clock::now() - start < 30s) {
    std::this_thread::sleep_for(200ms);
  }
  ASSERT_EQ(status_of_ready(serve.port()), 200) << serve.log();
  std::printf("ready again %.1f s after the server came back\n",
              std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  const auto accepted = http.post("/api/v1/observations", csv, "text/csv");
  ASSERT_TRUE(accepted);
  EXPECT_EQ(accepted->status, 200) << accepted->body;
  {
    store::Database db = open_file(url);
    // The refused ingest wrote nothing; the accepted one its one row.
    EXPECT_EQ(count(db, "SELECT count(*) FROM observations"), observations + 1);
  }
  const auto evaluated =
      http.post("/api/v1/evaluate", R"({"at": "2022-09-30"})", "application/json");
  ASSERT_EQ(status_of(evaluated), 202) << (evaluated ? evaluated->body : "");
  EXPECT_TRUE(serve.wait_for_log("evaluation finished", 60s)) << serve.log();
  const nlohmann::json status = body_of(http.get("/api/v1/status"));
  EXPECT_TRUE(status["leadership"].value("leads", false)) << status.dump();
  EXPECT_EQ(status["last_run"].value("state", ""), "succeeded") << status.dump();
}

}  // namespace
}  // namespace tiendo::testing

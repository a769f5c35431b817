// The PostgreSQL server goes away under a running service and a command, and comes back
// (CTest label `postgresql`; the test starts a server of its own, which it stops and
// starts again, with tests/support/postgres-server). Meanwhile /readyz says not ready and
// names the database, an ingest fails whole with an error that names it, and a command
// says it cannot connect; when the server is back the service is ready again by itself,
// takes the lead again, and writes. A second test stops the server in the middle of an
// ingest's write and of a run's transaction: each fails naming the database, nothing of
// either is written, and both succeed once the server is back.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <pwd.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <utility>

#include "api_client.hpp"
#include "run.hpp"
#include "support/child_process.hpp"
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
  // psql's unaligned answer to `sql` on `database`, without its last newline.
  std::string query(const std::string& database, const std::string& sql) const {
    const std::string command = fmt::format("psql -X -q -t -A -h {} -U tiendo -d {} -c {} 2>&1",
                                            dir_, database, shell_quote(sql));
    std::string out;
    if (std::FILE* pipe = ::popen(command.c_str(), "r")) {
      char buffer[4096];
      while (std::fgets(buffer, sizeof buffer, pipe)) out += buffer;
      ::pclose(pipe);
    }
    while (!out.empty() && out.back() == '\n') out.pop_back();
    return out;
  }
  const std::string& dir() const { return dir_; }
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

// `tiendo serve` on the database at `url`, its files in `dir`.
ServeSetup serve_setup(const std::string& url, const TempDir& dir) {
  ServeSetup setup;
  setup.binary = TIENDO_BINARY;
  setup.directory = dir.path();
  setup.database = url;
  return setup;
}

TEST(PostgresOutage, TheServiceSaysNotReadyMeanwhileAndRecoversByItself) {
  if (!on_postgres()) GTEST_SKIP() << "runs under the postgresql label";
  PrivateServer server;
  server.create("outage");
  const std::string url = server.url("outage");
  const RunResult ingest = ingest_examples(url);
  ASSERT_EQ(ingest.exit_code, 0) << ingest.err;

  TempDir dir;
  ServeProcess serve(serve_setup(url, dir));
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

// Stops the server as soon as `database` shows a statement of tiendo's that starts with
// one of `statements` running (pg_stat_activity, polled); false when none was seen
// while `child` ran (within 60 s).
bool stop_during(PrivateServer& server, ChildProcess& child, const std::string& database,
                 const std::vector<std::string>& statements, std::string& seen) {
  std::string condition;
  for (const std::string& start : statements) {
    condition += fmt::format("{}query LIKE '{}%'", condition.empty() ? "" : " OR ", start);
  }
  const std::string sql = fmt::format(
      "SELECT left(query, 40) FROM pg_stat_activity WHERE datname = '{}' AND application_name "
      "= 'tiendo' AND state = 'active' AND ({}) LIMIT 1",
      database, condition);
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  while (child.running() && std::chrono::steady_clock::now() < deadline) {
    seen = server.query("postgres", sql);
    if (!seen.empty()) {
      server.control("stop");
      return true;
    }
    std::this_thread::sleep_for(5ms);
  }
  return false;
}

// Enough rows that their write takes a while and some room: 400 communes x 100
// indicators x 4 quarters (160,000 observations, under Long Thành of the examples), as
// the units and observations files of an ingest in `dir`.
std::pair<std::string, std::string> many_rows(const std::string& dir) {
  const std::string units = dir + "/units.csv";
  const std::string observations = dir + "/obs.csv";
  std::ofstream out(units);
  out << "unit,name,level,parent\n";
  for (int c = 0; c < 400; ++c) out << fmt::format("xa_{0},Xã {0},commune,long_thanh\n", c);
  std::ofstream obs(observations);
  obs << "indicator,unit,period,value\n";
  for (int q = 1; q <= 4; ++q) {
    for (int c = 0; c < 400; ++c) {
      for (int i = 0; i < 100; ++i) {
        obs << fmt::format("chi_tieu_{},xa_{},Quý {}/2023,\"{},{}%\"\n", i, c,
                           q == 1   ? "I"
                           : q == 2 ? "II"
                           : q == 3 ? "III"
                                    : "IV",
                           (c + i) % 100, q);
      }
    }
  }
  return {units, observations};
}

TEST(PostgresOutage, AServerStoppedInTheMiddleOfAnIngestOrARunLeavesNothingHalfWritten) {
  if (!on_postgres()) GTEST_SKIP() << "runs under the postgresql label";
  PrivateServer server;
  server.create("midway");
  const std::string url = server.url("midway");
  ASSERT_EQ(ingest_examples(url).exit_code, 0);
  TempDir dir;
  const auto [units, observations] = many_rows(dir.path());
  const auto counts = [&] {
    return server.query("midway",
                        "SELECT (SELECT count(*) FROM observations) || ' ' || (SELECT count(*) "
                        "FROM units) || ' ' || (SELECT count(*) FROM runs)");
  };
  const std::string before = counts();

  // An ingest: the server stops while its rows are being written.
  {
    ChildProcess ingest(
        {TIENDO_BINARY, "ingest", "--unchecked", "--db", url, units, observations},
        {.pipe_stdout = false, .log = dir.path() + "/ingest.log", .environment = {}});
    std::string seen;
    ASSERT_TRUE(stop_during(server, ingest, "midway",
                            {"COPY staged_observations", "\nWITH latest", "INSERT INTO units"},
                            seen))
        << "the ingest ended before its write was seen";
    std::printf("the server stopped during the ingest's %s…\n", seen.c_str());
    EXPECT_EQ(ingest.wait_exit(30s), 1);
    const std::string log = read_text(dir.path() + "/ingest.log");
    EXPECT_NE(log.find(url), std::string::npos) << "stopped during: " << seen << "\n" << log;
  }
  server.control("start");
  EXPECT_EQ(counts(), before) << "the ingest cut short wrote something";
  const RunResult again = run_tiendo(
      fmt::format("ingest --unchecked --db {} {} {}", shell_quote(url), units, observations));
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(server.query("midway", "SELECT count(*) FROM observations WHERE unit LIKE 'xa\\_%'"),
            "160000");

  // A run: the server stops while its transaction waits for the store's write lock, which
  // another session holds (so that the stop finds the run inside its transaction).
  const std::string runs_before = server.query("midway", "SELECT count(*) FROM runs");
  {
    ChildProcess holder(
        {"/usr/bin/psql", "-X", "-q", "-h", server.dir(), "-U", "tiendo", "-d", "midway", "-c",
         "BEGIN; SELECT pg_advisory_xact_lock(x'7469656e646f'::bigint); SELECT "
         "pg_sleep(60); COMMIT;"},
        {.pipe_stdout = false, .log = dir.path() + "/holder.log", .environment = {}});
    ChildProcess run({TIENDO_BINARY, "run", "--db", url, "--rules",
                      std::string(TIENDO_SOURCE_DIR) + "/rules", "--at", "2022-09-30"},
                     {.pipe_stdout = false, .log = dir.path() + "/run.log", .environment = {}});
    std::string seen;
    ASSERT_TRUE(stop_during(server, run, "midway", {"SET LOCAL lock_timeout"}, seen))
        << read_text(dir.path() + "/run.log");
    std::printf("the server stopped during the run's %s…\n", seen.c_str());
    EXPECT_EQ(run.wait_exit(30s), 1);
    const std::string log = read_text(dir.path() + "/run.log");
    EXPECT_NE(log.find(url), std::string::npos) << log;
  }
  server.control("start");
  EXPECT_EQ(server.query("midway", "SELECT count(*) FROM runs"), runs_before);
  EXPECT_EQ(server.query("midway", "SELECT count(*) FROM result_spans"), "0");
  const RunResult run =
      run_tiendo(fmt::format("run --db {} --rules rules --at 2022-09-30", shell_quote(url)),
                 TIENDO_SOURCE_DIR);
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(server.query("midway", "SELECT count(*) FROM runs WHERE status = 'succeeded'"), "1");
}

// A file system of its own, small (tmpfs), at a new directory that the server's user
// owns; unmounted at the end. Mounting needs root: mounted() says whether it is there.
class SmallDisk {
 public:
  explicit SmallDisk(int megabytes) : dir_(fmt::format("/tmp/tiendo-small-disk-{}", ::getpid())) {
    std::filesystem::create_directories(dir_);
    if (::geteuid() != 0) return;
    const struct passwd* nobody = ::getpwnam("nobody");
    if (!nobody) return;
    const std::string command =
        fmt::format("mount -t tmpfs -o size={}m,mode=0700,uid={} tmpfs {} 2>/dev/null", megabytes,
                    nobody->pw_uid, dir_);
    mounted_ = std::system(command.c_str()) == 0;
  }
  ~SmallDisk() {
    if (mounted_) std::system(("umount " + dir_).c_str());
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
  SmallDisk(const SmallDisk&) = delete;
  SmallDisk& operator=(const SmallDisk&) = delete;

  bool mounted() const { return mounted_; }
  const std::string& dir() const { return dir_; }
  // Takes every block left with a file of its own: the disk is full.
  void fill() {
    std::FILE* ballast = std::fopen((dir_ + "/ballast").c_str(), "wb");
    ASSERT_NE(ballast, nullptr);
    const std::string block(1 << 16, 'x');
    while (std::fwrite(block.data(), 1, block.size(), ballast) == block.size()) {
    }
    std::fclose(ballast);
    struct statvfs fs {};
    ASSERT_EQ(::statvfs(dir_.c_str(), &fs), 0);
    EXPECT_LT(fs.f_bavail * fs.f_frsize, block.size());
  }
  // Frees it again (what the operator does).
  void free_space() { std::filesystem::remove(dir_ + "/ballast"); }

 private:
  std::string dir_;
  bool mounted_ = false;
};

// The database's disk fills up (its tablespace on a small file system; the WAL lives
// elsewhere, as with a separate data volume): an ingest from the command line and one
// through the service fail whole, naming the database and the full disk; /readyz says the
// store cannot write; once space is freed, the same ingests succeed without a restart.
TEST(PostgresOutage, AFullDiskFailsTheWriteWholeAndTheServiceWritesAgainOnceSpaceIsFreed) {
  if (!on_postgres()) GTEST_SKIP() << "runs under the postgresql label";
  SmallDisk disk(256);
  if (!disk.mounted()) {
    GTEST_SKIP() << "mounting a small file system needs root (CI runs the tests as root)";
  }
  PrivateServer server;
  ASSERT_EQ(
      server.query("postgres", fmt::format("CREATE TABLESPACE small LOCATION '{}'", disk.dir())),
      "");
  ASSERT_EQ(server.query("postgres", "CREATE DATABASE full_disk TABLESPACE small"), "");
  const std::string url = server.url("full_disk");
  ASSERT_EQ(ingest_examples(url).exit_code, 0);
  TempDir dir;
  const auto [units, observations] = many_rows(dir.path());
  const RunResult communes =
      run_tiendo(fmt::format("ingest --unchecked --db {} {}", shell_quote(url), units));
  ASSERT_EQ(communes.exit_code, 0) << communes.err;
  ServeProcess serve(serve_setup(url, dir));
  ApiClient http(serve.port());
  ASSERT_EQ(status_of_ready(serve.port()), 200) << serve.log();
  const auto counts = [&] {
    return server.query("full_disk",
                        "SELECT (SELECT count(*) FROM observations) || ' ' || (SELECT count(*) "
                        "FROM units)");
  };
  const std::string before = counts();
  // 3,200 rows through the API (of the rule set's indicators): more than the free room
  // of the pages the table has.
  std::string csv = "indicator,unit,period,value\n";
  for (const char* indicator : {"smartphone_rate", "fiber_household_rate"}) {
    for (const char* quarter : {"I", "II", "III", "IV"}) {
      for (int c = 0; c < 400; ++c) {
        csv += fmt::format("{},xa_{},Quý {}/2023,{}%\n", indicator, c, quarter, c % 100);
      }
    }
  }

  disk.fill();
  const RunResult cli = run_tiendo(
      fmt::format("ingest --unchecked --db {} {} {}", shell_quote(url), units, observations));
  EXPECT_EQ(cli.exit_code, 1) << cli.out;
  EXPECT_NE(cli.err.find(url), std::string::npos) << cli.err;
  EXPECT_NE(cli.err.find("No space left on device"), std::string::npos) << cli.err;
  const auto refused = http.post("/api/v1/observations", csv, "text/csv");
  ASSERT_TRUE(refused);
  EXPECT_GE(refused->status, 500) << refused->body;
  EXPECT_NE(refused->body.find(url), std::string::npos) << refused->body;
  EXPECT_NE(refused->body.find("No space left on device"), std::string::npos) << refused->body;
  const auto not_ready = http.get("/readyz", "");
  ASSERT_TRUE(not_ready);
  EXPECT_EQ(not_ready->status, 503) << not_ready->body;
  EXPECT_NE(not_ready->body.find("cannot write"), std::string::npos) << not_ready->body;
  EXPECT_EQ(counts(), before) << "a refused ingest wrote something";

  disk.free_space();
  const auto accepted = http.post("/api/v1/observations", csv, "text/csv");
  ASSERT_TRUE(accepted);
  EXPECT_EQ(accepted->status, 200) << accepted->body;
  EXPECT_EQ(status_of_ready(serve.port()), 200) << serve.log();
  const RunResult again = run_tiendo(
      fmt::format("ingest --unchecked --db {} {} {}", shell_quote(url), units, observations));
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(server.query("full_disk",
                         "SELECT count(*) FROM observations WHERE indicator LIKE 'chi\\_tieu\\_%'"),
            "160000");
  EXPECT_EQ(server.query("full_disk",
                         "SELECT count(*) FROM observations WHERE unit LIKE 'xa\\_%' AND "
                         "indicator IN ('smartphone_rate', 'fiber_household_rate')"),
            "3200");
}

}  // namespace
}  // namespace tiendo::testing

// `tiendo serve` end to end: the real binary on 127.0.0.1, a real SQLite file, real
// HTTP requests (cpp-httplib's client, and a raw socket for what a client library will
// not send), a real SMTP server (aiosmtpd) and promtool.
#include <arpa/inet.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

#include "e2e/api_client.hpp"
#include "e2e/run.hpp"
#include "model/calendar.hpp"
#include "support/child_process.hpp"
#include "support/page_language.hpp"
#include "support/serve_process.hpp"
#include "support/test_certificates.hpp"
#include "util/cores.hpp"

namespace tiendo::testing {
namespace {

using json = nlohmann::json;
using namespace std::chrono_literals;

std::string raw_body(const std::string& reply) {
  const std::size_t split = reply.find("\r\n\r\n");
  return split == std::string::npos ? "" : reply.substr(split + 4);
}

class ServeTest : public ServedExamplesTest {};

// ---------------------------------------------------------------------------------------
// Lifecycle.

// Issue #12: with `catch_up = false` (examples/tiendo.toml), a first start records
// nothing, so docs/api.md's POST /api/v1/evaluate {"at": "2022-09-30"} is still taken,
// as the docs show, on the examples' database.
TEST_F(ServeTest, WithoutCatchUpAFirstStartRecordsNothing) {
  ServeSetup s = setup();
  s.schedule = catch_up_schedule();  // a tick was missed twelve hours ago
  s.schedule_lines = "catch_up = false";
  ServeProcess serve(s);
  ASSERT_TRUE(serve.wait_for_log("no catch-up run at start", 30s)) << serve.log();
  ApiClient http(serve.port());
  EXPECT_TRUE(body_of(http.get("/api/v1/runs"))["runs"].empty());
  auto queued = http.post("/api/v1/evaluate", R"({"at": "2022-09-30"})", "application/json");
  ASSERT_TRUE(queued);
  ASSERT_EQ(queued->status, 202) << queued->body;
  const json run = wait_for_run(http, body_of(queued)["id"]);
  EXPECT_EQ(run["state"], "succeeded") << run.dump();
  EXPECT_EQ(run["at"], "2022-09-30") << run.dump();
  EXPECT_EQ(serve.process().terminate(15s), 0);
}

TEST_F(ServeTest, RunsTheMissedScheduledRunOnceAtStartAndNotAgain) {
  // One schedule for both starts, whatever the hour when the second comes.
  ServeSetup s = setup();
  s.schedule = catch_up_schedule();
  {
    ServeProcess serve(s);
    ASSERT_TRUE(serve.wait_for_log("evaluation finished", 30s)) << serve.log();
    EXPECT_NE(serve.log().find("queued the run missed while the service was down"),
              std::string::npos);
    ApiClient http(serve.port());
    const json runs = body_of(http.get("/api/v1/runs"));
    ASSERT_EQ(runs["runs"].size(), 1u) << runs.dump();
    EXPECT_EQ(runs["runs"][0]["trigger"], "catch-up");
    EXPECT_EQ(runs["runs"][0]["state"], "succeeded");
    EXPECT_GT(runs["runs"][0]["summary"]["results"].get<int>(), 0);
    EXPECT_EQ(serve.process().terminate(15s), 0);
  }
  // The tick is covered now: a restart runs nothing. The scheduler looks for a missed
  // tick as it starts, and a stop waits for it: once the service has stopped, its log and
  // the store say all there is to say.
  ServeProcess again(s);
  ApiClient http(again.port());
  // The last success is the store's, not forgotten with the process.
  const httplib::Result scraped = http.get("/metrics");
  ASSERT_TRUE(scraped);
  const json runs = body_of(http.get("/api/v1/runs"));
  ASSERT_EQ(runs["runs"].size(), 1u) << runs.dump();
  EXPECT_EQ(again.process().terminate(15s), 0);
  EXPECT_NE(again.log().find("stopped"), std::string::npos) << again.log();
  EXPECT_EQ(again.log().find("queued the run missed"), std::string::npos) << again.log();
  EXPECT_EQ(count_rows(db_, "evaluations"), 1);
  const std::string& metrics = scraped->body;
  const std::string name = "\ntiendo_last_successful_run_timestamp_seconds ";
  const auto at = metrics.find(name);
  ASSERT_NE(at, std::string::npos) << metrics;
  const double seconds = std::stod(metrics.substr(at + name.size()));
  const auto finished = model::parse_utc(runs["runs"][0]["finished_at"].get<std::string>());
  ASSERT_TRUE(finished.has_value());
  EXPECT_NEAR(seconds, std::chrono::duration<double>(finished->time_since_epoch()).count(), 1.0);
}

TEST_F(ServeTest, ASecondInstanceOnTheSameDatabaseRefusesToStart) {
  ServeProcess first(setup());
  const RunResult second = run_tiendo("serve --config " + shell_quote(first.config_path()));
  EXPECT_EQ(second.exit_code, 1);
  EXPECT_NE(second.err.find("another tiendo serve is running"), std::string::npos) << second.err;
  EXPECT_NE(second.err.find(std::to_string(first.process().pid())), std::string::npos)
      << second.err;
  // The first one is unharmed.
  EXPECT_EQ(ApiClient(first.port()).get("/healthz")->status, 200);
}

TEST_F(ServeTest, SigtermStopsWithinTenSecondsWhileRequestsAreInFlight) {
  ServeProcess serve(setup());
  // Keep the service busy with requests while it is told to stop: from the first answer on.
  std::atomic<bool> done{false};
  std::mutex mutex;
  std::condition_variable first_answer;
  int answered = 0;
  std::thread client([&] {
    ApiClient http(serve.port());
    while (!done) {
      if (auto r = http.get("/api/v1/results"); r && r->status == 200) {
        const std::lock_guard lock(mutex);
        ++answered;
        first_answer.notify_all();
      }
    }
  });
  {
    std::unique_lock lock(mutex);
    const bool answering = first_answer.wait_for(lock, 60s, [&] { return answered > 0; });
    if (!answering) {
      done = true;
      lock.unlock();
      client.join();
      FAIL() << "no answer to GET /api/v1/results within 60 s\n" << serve.log();
    }
  }
  const auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(serve.process().send(SIGTERM));
  const int status = serve.process().wait_exit(12s);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  done = true;
  client.join();
  EXPECT_EQ(status, 0) << serve.log();
  EXPECT_LT(seconds, 10.0);
  EXPECT_NE(serve.log().find("stopped"), std::string::npos) << serve.log();
}

TEST_F(ServeTest, ReloadRefusesABrokenRuleSetKeepsTheRunningOneAndShowsTheErrors) {
  const std::string rules = dir_.path() + "/rules";
  std::filesystem::copy(std::string(TIENDO_SOURCE_DIR) + "/rules", rules);
  ServeSetup s = setup();
  s.rules = {rules};
  ServeProcess serve(s);
  ApiClient http(serve.port());
  const std::string rule_file = rules + "/dong-nai-2022.rules";
  const std::string original = read_text(rule_file);
  write_text(rule_file, original + "\nrule broken {\n");

  ASSERT_TRUE(serve.process().send(SIGHUP));
  ASSERT_TRUE(serve.wait_for_log("rules reload refused", 10s)) << serve.log();
  json status = body_of(http.get("/api/v1/status"));
  EXPECT_FALSE(status["rules"]["ok"].get<bool>());
  ASSERT_FALSE(status["rules"]["errors"].empty());
  EXPECT_NE(status["rules"]["errors"][0].get<std::string>().find("dong-nai-2022.rules:"),
            std::string::npos);
  EXPECT_EQ(status["rules"]["rules"], 15);
  // The running rule set still answers.
  EXPECT_EQ(http.get("/api/v1/results")->status, 200);

  // Through the API: refused the same way (422), then accepted once fixed.
  auto refused = http.post("/api/v1/reload", "", "application/json", ServeProcess::kAdminToken);
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 422);
  EXPECT_FALSE(body_of(refused)["errors"].empty());
  EXPECT_EQ(http.post("/api/v1/reload", "", "application/json", ServeProcess::kWriteToken)->status,
            403);
  write_text(rule_file, original);
  auto accepted = http.post("/api/v1/reload", "", "application/json", ServeProcess::kAdminToken);
  ASSERT_TRUE(accepted);
  EXPECT_EQ(accepted->status, 200) << accepted->body;
  status = body_of(http.get("/api/v1/status"));
  EXPECT_TRUE(status["rules"]["ok"].get<bool>());
  EXPECT_TRUE(status["rules"]["errors"].empty());
}

TEST_F(ServeTest, DeliveryRetriesKeepRunningBetweenRuns) {
  // Find a free port for the SMTP server, and start the service while nothing listens
  // there: the catch-up run's e-mails fail and wait for a retry.
  int port = 0;
  {
    SmtpSink probe;
    port = probe.port();
    ASSERT_GT(port, 0);
    probe.stop();
  }
  ServeSetup s = setup();
  s.schedule = catch_up_schedule();  // the catch-up run queues the e-mail
  s.tables = "[smtp]\nurl = \"smtp://127.0.0.1:" + std::to_string(port) +
             "\"\nfrom = \"tiendo <tiendo@example.test>\"\nstarttls = \"none\"\n";
  ServeProcess serve(s);
  ASSERT_TRUE(serve.wait_for_log("delivery failed; will retry", 30s)) << serve.log();
  const std::int64_t runs_before = count_rows(db_, "evaluations");
  EXPECT_EQ(runs_before, 1);

  // No new run: the delivery loop's retry finds the server once it is there.
  SmtpSinkOptions options;
  options.extra_args = {"--port", std::to_string(port)};
  SmtpSink sink(options);
  ASSERT_EQ(sink.port(), port);
  // One digest per channel of the example rules: two deliveries, each logged once the
  // server has taken (and saved) the message.
  ASSERT_TRUE(serve.wait_for_log_times("message delivered", 2, 30s)) << serve.log();
  EXPECT_EQ(sink.files().size(), 2u);
  EXPECT_EQ(count_rows(db_, "evaluations"), runs_before);
  const json status = body_of(ApiClient(serve.port()).get("/api/v1/status"));
  EXPECT_EQ(status["outbox"]["pending"], 0) << status.dump();
}

// The service's delivery over TLS: the SMTP server requires STARTTLS, with a certificate
// from an authority made for this test; [delivery] ca_file (relative to the configuration
// file) makes the service trust it, and the catch-up run's e-mail arrives inside TLS.
TEST_F(ServeTest, DeliversOverStarttlsTrustingTheConfiguredCaFile) {
  std::filesystem::create_directories(dir_.path() + "/tls");
  std::string error;
  const auto certificates = make_test_certificates(dir_.path() + "/tls", error);
  ASSERT_TRUE(certificates.has_value()) << error;
  SmtpSinkOptions options;
  options.extra_args = {"--tls-cert", certificates->certificate, "--tls-key", certificates->key};
  SmtpSink sink(options);
  ASSERT_GT(sink.port(), 0);
  ServeSetup s = setup();
  s.schedule = catch_up_schedule();
  s.delivery = "ca_file = \"tls/ca.pem\"\n";
  s.tables = "[smtp]\nurl = \"" + sink.url() + "\"\nfrom = \"tiendo <tiendo@example.test>\"\n";
  ServeProcess serve(s);
  ASSERT_TRUE(serve.wait_for_log_times("message delivered", 2, 60s)) << serve.log();
  EXPECT_EQ(serve.log().find("delivery failed"), std::string::npos) << serve.log();
  EXPECT_EQ(sink.files().size(), 2u);
  const std::string tls_log = read_text(sink.directory() + "/.tls-log");
  EXPECT_EQ(tls_log, "000001.eml TLSv1.3\n000002.eml TLSv1.3\n");
  const json status = body_of(ApiClient(serve.port()).get("/api/v1/status"));
  EXPECT_EQ(status["outbox"]["pending"], 0) << status.dump();
}

// ---------------------------------------------------------------------------------------
// Security.

TEST_F(ServeTest, TokensAreCheckedWithScopesAndNeverLogged) {
  ServeSetup s = setup();
  s.schedule = catch_up_schedule();  // for the run's summary in the log
  s.arguments = {"--log-format", "json"};
  ServeProcess serve(s);
  ApiClient http(serve.port());

  auto none = http.get("/api/v1/status", "");
  ASSERT_TRUE(none);
  EXPECT_EQ(none->status, 401);
  EXPECT_EQ(none->get_header_value("WWW-Authenticate").rfind("Bearer", 0), 0u);
  EXPECT_EQ(body_of(none)["status"], 401);
  auto wrong = http.get("/api/v1/status", "tdo_not-a-token");
  EXPECT_EQ(wrong->status, 401);
  EXPECT_EQ(body_of(wrong)["error"], "unauthorized");
  // One character off.
  std::string almost(ServeProcess::kReadToken);
  almost.back() = '1';
  EXPECT_EQ(http.get("/api/v1/status", almost)->status, 401);

  const std::string csv = "indicator,unit,period,value\nsmartphone_rate,dong_nai,Quý IV/2022,85%\n";
  auto read_only = http.post("/api/v1/observations", csv, "text/csv", ServeProcess::kReadToken);
  EXPECT_EQ(read_only->status, 403);
  EXPECT_NE(body_of(read_only)["message"].get<std::string>().find("write"), std::string::npos);
  EXPECT_EQ(http.post("/api/v1/observations", csv, "text/csv", ServeProcess::kWriteToken)->status,
            200);
  EXPECT_EQ(http.get("/api/v1/status", ServeProcess::kAdminToken)->status, 200);
  // The probes need no token.
  EXPECT_EQ(http.get("/healthz", "")->status, 200);
  EXPECT_EQ(http.get("/readyz", "")->status, 200);
  // The dashboard does, unless the configuration makes it public.
  EXPECT_EQ(http.get("/", "")->status, 401);

  // Every request is a JSON line with method, path, status, duration and token id,
  // written once the answer is sent.
  // The lines of a connection's requests are written by the threads that answered them,
  // not necessarily in order: wait for all of them, not for the last one asked.
  ASSERT_TRUE(serve.wait_for_log("\"path\":\"/\",\"status\":401", 5s)) << serve.log();
  ASSERT_TRUE(serve.wait_for_log_times("\"msg\":\"request\"", 7, 10s)) << serve.log();
  ASSERT_TRUE(serve.wait_for_log("evaluation finished", 30s)) << serve.log();
  std::string log = serve.log();
  log.erase(log.rfind('\n') + 1);  // a line still being written is not read

  EXPECT_EQ(log.find("tdo_test"), std::string::npos) << "a token reached the log";
  EXPECT_EQ(log.find("tdo_not-a-token"), std::string::npos);
  int requests = 0;
  std::istringstream lines(log);
  for (std::string line; std::getline(lines, line);) {
    const json entry = json::parse(line, nullptr, false);
    ASSERT_TRUE(entry.is_object()) << "not a JSON line: " << line;
    if (entry.value("msg", "") == "evaluation finished") {
      // The run's summary is nested JSON, not a string holding JSON.
      ASSERT_TRUE(entry["summary"].is_object()) << line;
      EXPECT_GT(entry["summary"].value("results", 0), 0) << line;
    }
    if (entry.value("msg", "") != "request") continue;
    ++requests;
    for (const char* key : {"method", "path", "status", "duration_ms", "token"}) {
      EXPECT_TRUE(entry.contains(key)) << line;
    }
    if (entry["status"] == 403) {
      EXPECT_EQ(entry["token"], "reader");
    }
    if (entry["status"] == 200 && entry["method"] == "POST") {
      EXPECT_EQ(entry["token"], "writer");
    }
  }
  EXPECT_GE(requests, 7);
}

TEST_F(ServeTest, ThePublicDashboardNeedsNoTokenButTheApiStillDoes) {
  ServeSetup s = setup();
  s.schedule = catch_up_schedule();
  s.top_level = "dashboard_public = true\n";
  ServeProcess serve(s);
  ASSERT_TRUE(serve.wait_for_log("evaluation finished", 30s));
  ApiClient http(serve.port());
  auto page = http.get("/", "");
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 200);
  EXPECT_EQ(page->get_header_value("Content-Type"), "text/html; charset=utf-8");
  EXPECT_NE(page->body.find("lang=\"vi\""), std::string::npos);
  EXPECT_NE(page->get_header_value("Content-Security-Policy").find("default-src 'none'"),
            std::string::npos);
  EXPECT_EQ(http.get("/api/v1/alerts", "")->status, 401);
}

// The link a dashboard page gives to the other language: its href, as written (the
// page escapes & as &amp;); empty when there is none.
std::string language_link(const std::string& page) {
  const std::string start = "<p class=\"lang\"><a href=\"";
  const std::size_t at = page.find(start);
  if (at == std::string::npos) return {};
  const std::size_t end = page.find('"', at + start.size());
  return page.substr(at + start.size(), end - at - start.size());
}

// Issue #16: the dashboard in Vietnamese by default and with ?lang=vi, in English with
// ?lang=en: every word of the page's own (headings, table headers, states, severities,
// counts, notes), figures and dates. Each page links to the other language, and the link,
// followed as a browser resolves it, leads there and back. Any other `lang`, or another
// parameter, is a 400 in JSON as the API answers a bad parameter.
// A page of the dashboard, answered 200 as HTML with the pages' Content-Security-Policy;
// its body.
std::string html_page(ApiClient& http, const std::string& path) {
  auto answer = http.get(path);
  EXPECT_TRUE(answer) << path;
  if (!answer) return std::string();
  EXPECT_EQ(answer->status, 200) << path << ": " << answer->body.substr(0, 300);
  EXPECT_EQ(answer->get_header_value("Content-Type"), "text/html; charset=utf-8") << path;
  EXPECT_EQ(answer->get_header_value("Content-Security-Policy"),
            "default-src 'none'; style-src 'unsafe-inline'; img-src data:")
      << path;
  return answer->body;
}

TEST_F(ServeTest, TheDashboardSpeaksEnglishWithLangEnAndLinksBothWays) {
  ServeProcess serve(setup());
  ApiClient http(serve.port());
  auto queued = http.post("/api/v1/evaluate", R"({"at": "2022-09-30"})", "application/json");
  ASSERT_TRUE(queued);
  ASSERT_EQ(queued->status, 202) << queued->body;
  ASSERT_EQ(wait_for_run(http, body_of(queued)["id"])["state"], "succeeded");

  const auto page = [&](const std::string& path) { return html_page(http, path); };
  const std::string vi = page("/");
  EXPECT_EQ(vi.rfind("<!DOCTYPE html>\n<html lang=\"vi\">", 0), 0u);
  EXPECT_NE(vi.find("<h1>Bảng theo dõi tiến độ</h1>"), std::string::npos);
  EXPECT_NE(vi.find("Ngày đánh giá: <time datetime=\"2022-09-30\">30/9/2022</time>"),
            std::string::npos);
  EXPECT_NE(vi.find(">9,23%<"), std::string::npos);  // online_dossier_2022
  EXPECT_NE(vi.find(">31/12/2022<"), std::string::npos);
  const std::set<std::string>& english = dashboard_english_words();
  for (const std::string& text : own_words(vi)) {
    for (const std::string& word : ascii_words(text)) {
      EXPECT_FALSE(english.contains(word)) << word << " in: " << text;
    }
  }

  // The link, relative to the page's own address ("/"), as a browser follows it.
  const std::string to_english = language_link(vi);
  ASSERT_EQ(to_english, "?lang=en");
  const std::string en = page("/" + to_english);
  EXPECT_EQ(en.rfind("<!DOCTYPE html>\n<html lang=\"en\">", 0), 0u);
  for (std::string_view part :
       {"<h1>Progress dashboard</h1>", "<h2>Targets</h2>", "<h2>Tasks by due date</h2>",
        "<th>Deadline</th>", "Evaluated on: <time datetime=\"2022-09-30\">2022-09-30</time>",
        ">9.23%<", ">2022-12-31<", "<th>Due</th>"}) {
    EXPECT_NE(en.find(part), std::string::npos) << part;
  }
  EXPECT_EQ(en.find("9,23%"), std::string::npos);
  EXPECT_EQ(en.find("31/12/2022"), std::string::npos);
  // The plan graph drawn by dot, when it is installed, in the page's language.
  if (vi.find("<svg") != std::string::npos) {
    EXPECT_NE(vi.find(">hạn 31/12/2022</text>"), std::string::npos);
    EXPECT_NE(en.find(">due 2022&#45;12&#45;31</text>"), std::string::npos);
  }
  const std::vector<std::string> own = own_words(en);
  EXPECT_GT(own.size(), 50u);
  for (const std::string& text : own) EXPECT_FALSE(has_vietnamese_letter(text)) << text;

  const std::string to_vietnamese = language_link(en);
  ASSERT_EQ(to_vietnamese, "?lang=vi");
  const std::string back = page("/" + to_vietnamese);
  EXPECT_EQ(back.rfind("<!DOCTYPE html>\n<html lang=\"vi\">", 0), 0u);
  EXPECT_EQ(language_link(back), "?lang=en");
  EXPECT_NE(back.find(">9,23%<"), std::string::npos);

  for (const auto& [query, message] : std::vector<std::pair<std::string, std::string>>{
           {"?lang=fr", "lang: 'fr' is not 'vi' or 'en'"},
           {"?lang=EN", "lang: 'EN' is not 'vi' or 'en'"},
           {"?lang=en&lang=vi", "query parameter 'lang' is given twice"},
           {"?at=2022-09-30",
            "unknown query parameter 'at' (this path takes: lang, state, severity, owner, plan, "
            "level, unit, sort, page, since)"}}) {
    auto bad = http.get("/" + query);
    ASSERT_TRUE(bad) << query;
    EXPECT_EQ(bad->status, 400) << query;
    EXPECT_EQ(bad->get_header_value("Content-Type").rfind("application/json", 0), 0u) << query;
    EXPECT_EQ(body_of(bad).value("message", ""), message) << query;
  }
}

// A thread's (or process's) nice value: field 19 of /proc/PID[/task/TID]/stat, after the
// command name in parentheses.
int nice_of(const std::filesystem::path& stat) {
  std::ifstream in(stat);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::istringstream rest(text.substr(text.rfind(')') + 2));
  std::string field;
  for (int i = 3; i <= 19 && rest >> field; ++i) {
  }
  return std::stoi(field);
}

// The cores a thread (or process) may run on: Cpus_allowed_list of /proc/…/status, "0-1".
std::string cores_of(const std::filesystem::path& status) {
  std::ifstream in(status);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("Cpus_allowed_list:", 0) == 0) {
      const std::size_t value = line.find_first_not_of(" \t", 18);
      return value == std::string::npos ? std::string() : line.substr(value);
    }
  }
  return std::string();
}

// The highest-numbered core of such a list: the one [schedule] cores = 1 keeps.
std::string last_core_of(const std::string& cores) {
  const std::size_t separator = cores.find_last_of(",-");
  return cores.substr(separator == std::string::npos ? 0 : separator + 1);
}

// Evaluations are the service's batch work: its runner thread (and the threads it starts)
// runs at a nice value 10 above the service's, so that request handlers get the cores
// first when both want them (issue #19: the pages' p95 during an evaluation).
TEST_F(ServeTest, TheRunnerAndThePagesYieldTheCoresToRequests) {
  ServeProcess serve(setup());
  const pid_t pid = serve.process().pid();
  const int base = nice_of(fmt::format("/proc/{}/task/{}/stat", pid, pid));
  // The service logs "listening" before it starts its runner and the dashboard's warmer
  // (which runs Graphviz): wait for both to be background work (5 s at most).
  std::multiset<int> nice;
  for (int attempt = 0; attempt < 100; ++attempt) {
    nice.clear();
    for (const auto& task :
         std::filesystem::directory_iterator(fmt::format("/proc/{}/task", pid))) {
      nice.insert(nice_of(task.path() / "stat"));
    }
    if (nice.count(std::min(19, base + 10)) >= 2) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(nice.count(std::min(19, base + 10)), 2u) << "threads: " << nice.size();
  // The committee's pages are made on threads of their own, one a core, which give way to
  // the API's requests (and take it from the runner).
  const unsigned cores = util::usable_cores();  // the test's, which the service inherits
  EXPECT_EQ(nice.count(std::min(19, base + 5)), cores) << "threads: " << nice.size();
  EXPECT_GE(nice.count(base), nice.size() - 2 - cores);
  // A page is made on them (on PostgreSQL a service just started says 503 until it has
  // looked for the store's latest evaluation).
  int page = 0;
  for (int attempt = 0; attempt < 100 && page != 200; ++attempt) {
    page = status_of(ApiClient(serve.port()).get("/?lang=en"));
    if (page == 503) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(page, 200);
}

// [schedule] cores = 1: the runner and the dashboard's warmer (the two threads at nice +10)
// run on one core, the highest-numbered the service may use, and the threads an evaluation
// starts from the runner with it; the request handlers keep every core. The log says so, and an
// evaluation still runs. On a machine of one core the setting cannot be applied, and the log says
// that.
TEST_F(ServeTest, EvaluationsRunOnTheCoresTheScheduleGivesThemAndRequestsOnAll) {
  ServeSetup s = setup();
  s.schedule_lines = "cores = 1";
  ServeProcess serve(s);
  const pid_t pid = serve.process().pid();
  const std::string all = cores_of(fmt::format("/proc/{}/status", pid));
  ASSERT_FALSE(all.empty());
  const unsigned cores = util::usable_cores();  // the test's, which the service inherits
  // The first background thread logs where it keeps the evaluations once it has (5 s at
  // most).
  if (cores >= 2) {
    ASSERT_TRUE(serve.wait_for_log("evaluations run on some cores", std::chrono::seconds(5)));
    EXPECT_NE(serve.log().find("cores=1 usable=" + std::to_string(cores)), std::string::npos)
        << serve.log();
  } else {
    ASSERT_TRUE(serve.wait_for_log("evaluations run on every core: schedule.cores is not below",
                                   std::chrono::seconds(5)));
  }
  // The runner and the warmer: the threads whose nice value is raised above the pages'.
  std::vector<std::string> background;
  for (int attempt = 0; attempt < 100 && background.size() < 2; ++attempt) {
    background.clear();
    for (const auto& task :
         std::filesystem::directory_iterator(fmt::format("/proc/{}/task", pid))) {
      if (nice_of(task.path() / "stat") > 5) background.push_back(cores_of(task.path() / "status"));
    }
    if (background.size() < 2) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_EQ(background.size(), 2u);
  // Said once, though both threads were kept there.
  const std::string said = serve.log();
  const std::string_view line =
      cores >= 2 ? "evaluations run on some cores" : "evaluations run on every core";
  EXPECT_EQ(said.find(line), said.rfind(line)) << said;
  for (const std::string& kept : background) {
    EXPECT_EQ(kept, cores >= 2 ? last_core_of(all) : all) << "the service's cores: " << all;
  }
  ApiClient http(serve.port());
  auto queued = http.post("/api/v1/evaluate", R"({"at": "2022-09-30"})", "application/json");
  ASSERT_TRUE(queued);
  ASSERT_EQ(queued->status, 202) << queued->body;
  EXPECT_EQ(wait_for_run(http, body_of(queued)["id"])["state"], "succeeded");
  // The handlers, and so the requests, still run on every core.
  EXPECT_EQ(cores_of(fmt::format("/proc/{}/status", pid)), all);
}

// The dashboard's plan graph is drawn by Graphviz in the background, as the evaluations
// run: a `dot` of the test's (first on PATH) records its nice value and cores, reads its
// input and then never answers, as dot does on a plan graph of thousands of tasks. It runs
// at the runner's nice value, on the evaluations' core ([schedule] cores = 1), once an
// evaluation: the drawing in English is not tried after the one in Vietnamese took longer
// than the limit (5 s), and both pages show the graph as a list. A second evaluation whose
// states differ is drawn (and given up) once more. Its own suite: 10 s of waiting, in no
// time zone's or engine's variant.
class ServeGraphTest : public ServeTest {};

TEST_F(ServeGraphTest, ADrawingThatTakesTooLongRunsInTheBackgroundOnceAnEvaluation) {
  ServeSetup s = setup();
  s.schedule_lines = "cores = 1";
  const std::filesystem::path bin = std::filesystem::path(s.directory) / "bin";
  const std::filesystem::path calls = std::filesystem::path(s.directory) / "dot-calls.txt";
  std::filesystem::create_directories(bin);
  {
    std::ofstream dot(bin / "dot");
    dot << "#!/bin/sh\n"
           "set -f\n"
           "set -- $(cat /proc/$$/stat)\n"  // the name is (dot): no blank splits it
           "cores=$(sed -n 's/^Cpus_allowed_list:[[:space:]]*//p' /proc/$$/status)\n"
           "echo \"${19} $cores\" >> '"
        << calls.string()
        << "'\n"
           "cat > /dev/null\n"
           "exec sleep 60\n";
  }
  std::filesystem::permissions(bin / "dot", std::filesystem::perms::owner_all);
  const char* path = std::getenv("PATH");
  s.environment = {"PATH=" + bin.string() + ":" + (path ? path : "/usr/bin:/bin")};
  ServeProcess serve(s);
  const pid_t pid = serve.process().pid();
  ApiClient http(serve.port());
  const auto lines_of = [](const std::filesystem::path& file) {
    std::vector<std::string> lines;
    std::ifstream in(file);
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
  };
  for (const char* at : {"2022-06-30", "2022-09-30"}) {
    ASSERT_EQ(evaluate_at(http, at), "succeeded");
    const int evaluation = at[6] == '6' ? 1 : 2;
    ASSERT_TRUE(serve.wait_for_log_times("the dashboard's parts are made", evaluation, 30s))
        << serve.log();
    EXPECT_EQ(lines_of(calls).size(), static_cast<std::size_t>(evaluation)) << serve.log();
    // The list, in each language, with its kinds of node named.
    for (const char* lang : {"vi", "en"}) {
      const std::string page = html_page(http, fmt::format("/?lang={}", lang));
      EXPECT_EQ(page.find("<div class=\"graph\""), std::string::npos) << lang;
      EXPECT_NE(page.find("<section id=\"so-do\">"), std::string::npos) << lang;
      EXPECT_NE(page.find("<span class=\"kind\">"), std::string::npos) << lang;
    }
  }
  const std::string log = serve.log();
  std::size_t warnings = 0;
  for (std::size_t at = log.find("plan graph shown as a list"); at != std::string::npos;
       at = log.find("plan graph shown as a list", at + 1)) {
    ++warnings;
    const std::string line = log.substr(at, log.find('\n', at) - at);
    EXPECT_NE(line.find("dot took longer than 5000 ms"), std::string::npos) << line;
    EXPECT_NE(line.find("language=vi"), std::string::npos) << line;
  }
  EXPECT_EQ(warnings, 2u) << log;

  // Each dot at the runner's nice value (relative to the service's) and on its core.
  const int base = nice_of(fmt::format("/proc/{}/stat", pid));
  const std::string all = cores_of(fmt::format("/proc/{}/status", pid));
  ASSERT_FALSE(all.empty());
  for (const std::string& call : lines_of(calls)) {
    EXPECT_EQ(call, fmt::format("{} {}", std::min(19, base + 10),
                                util::usable_cores() >= 2 ? last_core_of(all) : all));
  }
  EXPECT_EQ(serve.process().terminate(15s), 0);
}

// The committee's view through the real service (issue #19): two runs, then the dashboard
// opens with what changed between them; a filter; the links from the dashboard to a
// target's page (its chart and its states over the runs) and from there up to its unit,
// each followed as a browser resolves it against the page's own address.
TEST_F(ServeTest, TheCommitteesPagesLinkUpAndDownAndSayWhatChanged) {
  ServeProcess serve(setup());
  ApiClient http(serve.port());
  for (const char* at : {"2022-06-30", "2022-09-30"}) {
    ASSERT_EQ(evaluate_at(http, at), "succeeded");
  }
  const auto page = [&](const std::string& path) { return html_page(http, path); };
  const std::string home = page("/");
  EXPECT_NE(home.find("Từ lần đánh giá số 1 (ngày 30/6/2022) đến lần số 2 (ngày 30/9/2022)."),
            std::string::npos);
  // The example's states between the two dates: targets met since, tasks now at risk.
  EXPECT_NE(home.find("chỉ tiêu chuyển sang đạt"), std::string::npos);
  EXPECT_NE(home.find("nhiệm vụ mới có nguy cơ trễ hạn"), std::string::npos);
  // Filtered to at risk: only that state's badges among the targets.
  const std::string at_risk = page("/?state=at_risk");
  const std::size_t targets = at_risk.find("<section id=\"chi-tieu\">");
  ASSERT_NE(targets, std::string::npos);
  const std::string table = at_risk.substr(targets, at_risk.find("</section>", targets) - targets);
  EXPECT_NE(table.find(">Có nguy cơ không đạt</span>"), std::string::npos);
  EXPECT_EQ(table.find(">Đạt</span>"), std::string::npos);
  // The dashboard's link to the target at its unit, resolved against "/".
  const std::string link = "rules/online_dossier_2022?unit=dong_nai";
  ASSERT_NE(at_risk.find("href=\"" + link + "\""), std::string::npos);
  const std::string target = page("/" + link);
  EXPECT_NE(target.find("<svg"), std::string::npos);
  EXPECT_NE(target.find("role=\"img\""), std::string::npos);
  EXPECT_NE(target.find("<ol class=\"timeline\">"), std::string::npos);
  EXPECT_NE(target.find("Từ lần 1 (ngày 30/6/2022) đến nay"), std::string::npos)
      << target.substr(target.find("timeline"), 600);
  // Its crumb to the unit, resolved against "/rules/…".
  ASSERT_NE(target.find("href=\"../units/dong_nai\""), std::string::npos);
  const std::string unit = page("/units/dong_nai");
  EXPECT_NE(unit.find("<h1>Tỉnh Đồng Nai</h1>"), std::string::npos);
  EXPECT_NE(unit.find("href=\"../units/bien_hoa\""), std::string::npos);
  EXPECT_NE(unit.find("href=\"../rules/online_dossier_2022?unit=dong_nai\""), std::string::npos);
  // In English, and the language kept in the links.
  const std::string english = page("/units/dong_nai?lang=en");
  EXPECT_NE(english.find("href=\"../rules/online_dossier_2022?unit=dong_nai&amp;lang=en\""),
            std::string::npos);
  // What nobody has: named.
  for (const auto& [path, status, message] : std::vector<std::tuple<std::string, int, std::string>>{
           {"/rules/nope", 404, "rule: the rule set has no rule 'nope'"},
           {"/units/nowhere", 404, "unit: the store has no unit 'nowhere'"},
           {"/rules/online_dossier_2022?unit=nowhere", 404,
            "unit: the store has no unit 'nowhere'"},
           {"/?since=june", 400, "since: 'june' is not a date YYYY-MM-DD from 1900..2200"}}) {
    auto bad = http.get(path);
    ASSERT_TRUE(bad) << path;
    EXPECT_EQ(bad->status, status) << path;
    EXPECT_EQ(body_of(bad).value("message", ""), message) << path;
  }
}

// ---------------------------------------------------------------------------------------
// Data in, results out.

TEST_F(ServeTest, IngestsCsvAndJsonAsOneTransactionEach) {
  ServeProcess serve(setup());
  ApiClient http(serve.port());
  const std::int64_t before = count_rows(db_, "observations");

  auto csv =
      http.post("/api/v1/observations",
                "indicator,unit,period,value\nsmartphone_rate,dong_nai,Quý IV/2022,\"86,5%\"\n",
                "text/csv; charset=utf-8");
  ASSERT_TRUE(csv);
  EXPECT_EQ(csv->status, 200) << csv->body;
  EXPECT_EQ(body_of(csv)["added"], 1);
  auto again = http.post(
      "/api/v1/observations",
      "indicator,unit,period,value\nsmartphone_rate,dong_nai,Quý IV/2022,\"86,5%\"\n", "text/csv");
  EXPECT_EQ(body_of(again)["unchanged"], 1);
  EXPECT_EQ(count_rows(db_, "observations"), before + 1);

  // One bad row: 422 with its line, and the good row beside it is not written either.
  auto bad =
      http.post("/api/v1/observations",
                "indicator,unit,period,value\nfiber_household_rate,dong_nai,Quý IV/2022,99%\n"
                "no_such_indicator,dong_nai,Quý IV/2022,5\n",
                "text/csv");
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 422);
  const json errors = body_of(bad)["errors"];
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0]["line"], 3);
  EXPECT_NE(errors[0]["message"].get<std::string>().find("no_such_indicator"), std::string::npos);
  EXPECT_EQ(count_rows(db_, "observations"), before + 1);

  // #13: the API reads with the same checks as `tiendo ingest`: no control characters
  // (nlohmann decodes \u0000 into a real NUL), values inside their indicator's range.
  auto refused = http.post("/api/v1/observations",
                           R"([{"indicator": "smartphone_rate", "unit": "dong_nai",
  "period": "Quý IV/2022", "value": "86%", "note": "a\u0000b"},
 {"indicator": "fiber_household_rate", "unit": "dong_nai", "period": "Quý IV/2022",
  "value": "-84,1%"}])",
                           "application/json");
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 422) << refused->body;
  const json refused_errors = body_of(refused)["errors"];
  ASSERT_EQ(refused_errors.size(), 2u) << refused->body;
  EXPECT_EQ(refused_errors[0]["line"], 1);
  EXPECT_NE(refused_errors[0]["message"].get<std::string>().find("note: a control character (0x00"),
            std::string::npos)
      << refused->body;
  EXPECT_EQ(refused_errors[1]["line"], 3);
  EXPECT_NE(refused_errors[1]["message"].get<std::string>().find("'-84,1%' is outside 0% .. 100%"),
            std::string::npos)
      << refused->body;
  EXPECT_EQ(count_rows(db_, "observations"), before + 1);

  // Task statuses as JSON; and each endpoint takes only its own kind.
  const std::int64_t statuses = count_rows(db_, "task_status");
  auto json_status = http.post(
      "/api/v1/task-status",
      R"([{"task": "kho_du_lieu", "status": "in_progress", "date": "2022-10-15", "progress": "40%"}])",
      "application/json");
  ASSERT_TRUE(json_status);
  EXPECT_EQ(json_status->status, 200) << json_status->body;
  EXPECT_EQ(count_rows(db_, "task_status"), statuses + 1);
  auto wrong_kind = http.post(
      "/api/v1/observations",
      R"([{"task": "kho_du_lieu", "status": "done", "date": "2022-11-15"}])", "application/json");
  EXPECT_EQ(wrong_kind->status, 422);
  EXPECT_NE(wrong_kind->body.find("only observations"), std::string::npos) << wrong_kind->body;
  EXPECT_EQ(count_rows(db_, "task_status"), statuses + 1);
}

// A service keeps its latest evaluation's observations and the next run reads only the
// rows ingested since (store::LoadOptions::base): its summary says how many, and what it
// finds is what a whole read finds (known_at sets the base aside), the target's page
// included, whose chart is drawn from the run's observations.
TEST_F(ServeTest, ARunReadsOnlyTheRowsIngestedSinceTheLastAndFindsWhatAWholeReadFinds) {
  ServeProcess serve(setup());
  ApiClient http(serve.port());
  const auto run_at = [&](const char* at) {
    auto queued =
        http.post("/api/v1/evaluate", fmt::format(R"({{"at": "{}"}})", at), "application/json");
    EXPECT_EQ(status_of(queued), 202);
    const json run = wait_for_run(http, body_of(queued).value("id", 0));
    EXPECT_EQ(run.value("state", ""), "succeeded") << run.dump();
    return run.value("summary", json::object());
  };
  const json first = run_at("2022-09-30");
  const int held = first.value("observations", 0);
  ASSERT_GT(held, 20) << first.dump();
  EXPECT_EQ(first["observations_read"], held);
  const std::int64_t through = first["read_through"].value("observations", 0);
  EXPECT_GE(through, held);

  // A later revision of one observation and a new period of another.
  const auto ingested = http.post("/api/v1/observations",
                                  "indicator,unit,period,value\n"
                                  "online_dossier_rate,dong_nai,Quý III/2022,\"31,5%\"\n"
                                  "smartphone_rate,dong_nai,Quý IV/2022,\"86,2%\"\n",
                                  "text/csv", ServeProcess::kWriteToken);
  ASSERT_EQ(status_of(ingested), 200) << (ingested ? ingested->body : "no answer");
  const json second = run_at("2022-09-30");
  EXPECT_EQ(second["observations_read"], 2) << second.dump();
  EXPECT_EQ(second["observations"], held + 1) << second.dump();  // the revision replaced one
  EXPECT_EQ(second["read_through"].value("observations", 0), through + 2);
  // The same results as a whole read of the store.
  json latest = body_of(http.get("/api/v1/results?limit=1000"));
  json whole =
      body_of(http.get("/api/v1/results?at=2022-09-30&known_at=2199-01-01T00:00:00Z&limit=1000"));
  ASSERT_FALSE(latest["rules"].empty());
  EXPECT_EQ(latest["rules"], whole["rules"]);
  EXPECT_EQ(latest["tasks"], whole["tasks"]);
  bool found = false;
  for (const json& r : latest["rules"]) {
    if (r.value("rule", "") == "online_dossier_2022" && r.value("unit", "") == "dong_nai") {
      EXPECT_NEAR(r["value"].get<double>(), 0.315, 1e-9) << r.dump();
      found = true;
    }
  }
  EXPECT_TRUE(found) << latest.dump();
  const auto page = http.get("/rules/online_dossier_2022?unit=dong_nai&lang=en");
  ASSERT_EQ(status_of(page), 200);
  EXPECT_NE(page->body.find("31.5%"), std::string::npos);

  // Nor did it read the stored results: it found what changed against the results it
  // recorded last (alert::RecordedResults), and the dashboard's changes were made in memory
  // from the evaluation shown before (alert::state_changes); the first run read the store.
  ASSERT_TRUE(serve.wait_for_log("parts are made id=2 run_id=2 ", 30s)) << serve.log();
  // The log line that holds `needle`.
  const auto line_of = [&](std::string_view needle) {
    std::istringstream lines(serve.log());
    for (std::string line; std::getline(lines, line);) {
      if (line.find(needle) != std::string::npos) return line;
    }
    return std::string();
  };
  EXPECT_NE(line_of("run recorded run_id=1 ").find(" current_read=true "), std::string::npos);
  const std::string second_run = line_of("run recorded run_id=2 ");
  EXPECT_NE(second_run.find(" results_changed=1 current_read=false "), std::string::npos)
      << second_run;
  const std::string parts = line_of("parts are made id=2 run_id=2 ");
  EXPECT_NE(parts.find(" changes_from=memory"), std::string::npos) << parts;
  const std::string home = html_page(http, "/?lang=en");
  EXPECT_NE(home.find("From run 1 (on 2022-09-30) to run 2 (on 2022-09-30)."), std::string::npos)
      << home;
}

TEST_F(ServeTest, EvaluatesOnRequestAndServesResultsAlertsSilencesAndTheGraph) {
  ServeSetup s = setup();
  s.schedule = catch_up_schedule();  // a run today, before the one at 2022-01-01 below
  ServeProcess serve(s);
  ASSERT_TRUE(serve.wait_for_log("evaluation finished", 30s));
  ApiClient http(serve.port());

  // Results on demand at a date in the example data's year, filtered.
  auto results = http.get("/api/v1/results?at=2022-09-30&state=missed&limit=3");
  ASSERT_TRUE(results);
  ASSERT_EQ(results->status, 200) << results->body;
  json body = body_of(results);
  EXPECT_EQ(body["at"], "2022-09-30");
  EXPECT_TRUE(body["evaluation"].is_null());  // not a recorded run
  EXPECT_LE(body["rules"].size(), 3u);
  for (const json& r : body["rules"]) EXPECT_EQ(r["state"], "missed");
  EXPECT_EQ(http.get("/api/v1/results?state=nonsense")->status, 400);
  EXPECT_EQ(http.get("/api/v1/results?rule=no_such_rule")->status, 400);
  EXPECT_EQ(http.get("/api/v1/results?at=30/09/2022")->status, 400);
  // The reasons in the reader's language (issue #16): English unless `lang=vi`; the keys,
  // states and the reason as data (`why`) are the same in both.
  const json en =
      body_of(http.get("/api/v1/results?at=2022-09-30&rule=online_dossier_2022&lang=en"));
  const json vi =
      body_of(http.get("/api/v1/results?at=2022-09-30&rule=online_dossier_2022&lang=vi"));
  EXPECT_EQ(vi["language"], "vi");
  EXPECT_EQ(en["language"], "en");
  EXPECT_EQ(body["language"], "en");
  ASSERT_EQ(vi["rules"].size(), 1u) << vi.dump();
  ASSERT_EQ(en["rules"].size(), 1u) << en.dump();
  EXPECT_EQ(vi["rules"][0]["why"], en["rules"][0]["why"]);
  EXPECT_EQ(vi["rules"][0]["state"], en["rules"][0]["state"]);
  EXPECT_NE(vi["rules"][0]["reason"].get<std::string>().find("yêu cầu ≥ 50% hạn 31/12/2022"),
            std::string::npos)
      << vi["rules"][0]["reason"];
  EXPECT_NE(en["rules"][0]["reason"].get<std::string>().find(">= 50% by 2022-12-31"),
            std::string::npos)
      << en["rules"][0]["reason"];
  auto bad_lang = http.get("/api/v1/results?lang=fr");
  ASSERT_TRUE(bad_lang);
  EXPECT_EQ(bad_lang->status, 400);
  EXPECT_NE(bad_lang->body.find("lang: 'fr' is not 'vi' or 'en'"), std::string::npos)
      << bad_lang->body;

  // What was known then (issue #16): before anything was ingested, nothing is known; a
  // time after every ingest is everything stored.
  auto before_ingest =
      http.get("/api/v1/results?at=2022-09-30&known_at=2000-01-01T07:00:00%2B07:00");
  ASSERT_TRUE(before_ingest);
  ASSERT_EQ(before_ingest->status, 200) << before_ingest->body;
  body = body_of(before_ingest);
  EXPECT_EQ(body["known_at"], "2000-01-01T00:00:00Z");
  EXPECT_TRUE(body["evaluation"].is_null());
  ASSERT_FALSE(body["rules"].empty());
  for (const json& r : body["rules"]) {
    // No observation was known: no value, or a share or count over units of which none
    // had data.
    if (r.contains("coverage")) {
      EXPECT_EQ(r["coverage"]["counted"], 0) << r.dump();
      EXPECT_EQ(r["coverage"]["no_data"].size(), r["coverage"]["total"].get<std::size_t>());
    } else {
      EXPECT_TRUE(r["value"].is_null()) << r.dump();
    }
    EXPECT_NE(r["state"], "met") << r.dump();
  }
  auto known_always =
      body_of(http.get("/api/v1/results?at=2022-09-30&known_at=2199-01-01T00:00:00Z"));
  auto now = body_of(http.get("/api/v1/results?at=2022-09-30"));
  EXPECT_TRUE(now["known_at"].is_null());
  known_always.erase("known_at");
  now.erase("known_at");
  EXPECT_EQ(known_always["rules"], now["rules"]);
  auto bad_known = http.get("/api/v1/results?known_at=2022-10-01");
  ASSERT_TRUE(bad_known);
  EXPECT_EQ(bad_known->status, 400);
  EXPECT_NE(bad_known->body.find("known_at: '2022-10-01' is not an RFC 3339 time"),
            std::string::npos)
      << bad_known->body;

  // POST /evaluate queues a run; its id answers at /runs/{id}.
  auto queued = http.post("/api/v1/evaluate", "{}", "application/json");
  ASSERT_TRUE(queued);
  ASSERT_EQ(queued->status, 202) << queued->body;
  const std::int64_t id = body_of(queued)["id"];
  EXPECT_EQ(queued->get_header_value("Location"), "/api/v1/runs/" + std::to_string(id));
  const json run = wait_for_run(http, id);
  EXPECT_EQ(run["state"], "succeeded") << run.dump();
  EXPECT_EQ(run["trigger"], "api");
  EXPECT_EQ(run["requested_by"], "writer");
  EXPECT_EQ(http.get("/api/v1/runs/999999")->status, 404);
  // A run before the alerts' last evaluation is refused at once, saying why and how to
  // look at that date; nothing is queued, and that look works.
  const std::int64_t evaluations = count_rows(db_, "evaluations");
  auto rewind = http.post("/api/v1/evaluate", R"({"at": "2022-01-01"})", "application/json");
  ASSERT_TRUE(rewind);
  EXPECT_EQ(rewind->status, 409) << rewind->body;
  EXPECT_NE(body_of(rewind).value("message", "").find("would rewind them"), std::string::npos)
      << rewind->body;
  EXPECT_NE(body_of(rewind).value("message", "").find("GET /api/v1/results?at=2022-01-01"),
            std::string::npos)
      << rewind->body;
  EXPECT_EQ(count_rows(db_, "evaluations"), evaluations);
  const auto earlier = http.get("/api/v1/results?at=2022-01-01");
  ASSERT_TRUE(earlier);
  EXPECT_EQ(earlier->status, 200) << earlier->body.substr(0, 300);

  // Alerts: the open ones by default, paged.
  json alerts = body_of(http.get("/api/v1/alerts?limit=5"));
  ASSERT_GT(alerts["total"].get<int>(), 0) << alerts.dump();
  EXPECT_LE(alerts["alerts"].size(), 5u);
  for (const json& a : alerts["alerts"]) EXPECT_NE(a["lifecycle"], "resolved");
  EXPECT_EQ(http.get("/api/v1/alerts?lifecycle=sleeping")->status, 400);

  // Silences: add, list, end; a second end is a 404.
  auto added = http.post(
      "/api/v1/silences",
      R"({"matchers": ["rule=smartphone_2022"], "duration": "2h", "comment": "đang xử lý"})",
      "application/json");
  ASSERT_TRUE(added);
  ASSERT_EQ(added->status, 201) << added->body;
  const json silence = body_of(added);
  EXPECT_EQ(silence["author"], "writer");
  EXPECT_EQ(silence["status"], "active");
  const json listed = body_of(http.get("/api/v1/silences"));
  ASSERT_EQ(listed["silences"].size(), 1u);
  EXPECT_EQ(listed["silences"][0]["comment"], "đang xử lý");
  const std::string path = "/api/v1/silences/" + std::to_string(silence["id"].get<int>());
  EXPECT_EQ(http.del(path)->status, 200);
  EXPECT_EQ(http.del(path)->status, 404);
  EXPECT_EQ(body_of(http.get("/api/v1/silences"))["silences"].size(), 0u);
  auto everything =
      http.post("/api/v1/silences", R"({"matchers": [], "duration": "2h"})", "application/json");
  EXPECT_EQ(everything->status, 400);

  // Issue #13: a 40 KB matcher of nested groups crashed the service (std::regex recursed
  // once per group); a duration of 2562048d overflowed into a silence of five hours.
  auto nested = http.post("/api/v1/silences",
                          R"({"matchers": ["rule=~)" + std::string(20000, '(') +
                              std::string(20000, ')') + R"("], "duration": "1h"})",
                          "application/json");
  ASSERT_TRUE(nested);
  EXPECT_EQ(nested->status, 400);
  EXPECT_NE(body_of(nested)["message"].get<std::string>().find(
                "matchers: rule=~'" + std::string(40, '(') +
                "…': the regular expression is 40000 bytes long; at most 1024"),
            std::string::npos)
      << nested->body.substr(0, 300);
  auto forever =
      http.post("/api/v1/silences", R"({"matchers": ["rule=x"], "duration": "2562048d"})",
                "application/json");
  ASSERT_TRUE(forever);
  EXPECT_EQ(forever->status, 400);
  EXPECT_EQ(body_of(forever)["message"],
            "duration: '2562048d' is out of range: from 1s to 3650d (10 years)");
  // Issue #13: with a silence "(.|.|.|.)*X", every run stayed "running" at 100% CPU.
  auto backtracking =
      http.post("/api/v1/silences", R"({"matchers": ["rule=~(.|.|.|.)*X"], "duration": "1h"})",
                "application/json");
  ASSERT_TRUE(backtracking);
  ASSERT_EQ(backtracking->status, 201) << backtracking->body;
  auto again = http.post("/api/v1/evaluate", "{}", "application/json");
  ASSERT_TRUE(again);
  ASSERT_EQ(again->status, 202) << again->body;
  EXPECT_EQ(wait_for_run(http, body_of(again)["id"])["state"], "succeeded");
  EXPECT_EQ(http.del("/api/v1/silences/" + std::to_string(body_of(backtracking)["id"].get<int>()))
                ->status,
            200);

  // The plan graph as JSON and as DOT.
  const json graph = body_of(http.get("/api/v1/graph"));
  EXPECT_FALSE(graph["nodes"].empty());
  EXPECT_FALSE(graph["edges"].empty());
  auto dot = http.get("/api/v1/graph?format=dot");
  EXPECT_EQ(dot->body.rfind("digraph", 0), 0u);
  EXPECT_EQ(http.get("/api/v1/graph?format=svg")->status, 400);
}

TEST_F(ServeTest, MetricsPassPromtoolAndCountWhatHappened) {
  if (!std::filesystem::exists("/usr/bin/promtool"))
    GTEST_SKIP() << "promtool (Debian's prometheus) is not installed";
  ServeSetup s = setup();
  s.schedule = catch_up_schedule();
  ServeProcess serve(s);
  ASSERT_TRUE(serve.wait_for_log("evaluation finished", 30s));
  ApiClient http(serve.port());
  EXPECT_EQ(status_of(http.get("/api/v1/alerts")), 200);
  // A request is counted once its answer is sent, just before its log line: the client
  // may hear the answer first.
  ASSERT_TRUE(serve.wait_for_log("path=/api/v1/alerts status=200", 30s)) << serve.log();
  const std::string counted =
      "tiendo_http_requests_total{code=\"200\",method=\"GET\",route=\"/api/v1/alerts\"} 1";
  const httplib::Result metrics = http.get("/metrics");
  ASSERT_TRUE(metrics);
  ASSERT_EQ(metrics->status, 200);
  EXPECT_EQ(metrics->get_header_value("Content-Type").rfind("text/plain; version=0.0.4", 0), 0u);
  const std::string& text = metrics->body;
  EXPECT_NE(text.find("tiendo_runs_total{outcome=\"succeeded\",trigger=\"catch-up\"} 1"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("tiendo_last_successful_run_timestamp_seconds"), std::string::npos);
  EXPECT_NE(text.find(counted), std::string::npos) << text;
  const std::string file = dir_.path() + "/metrics.txt";
  write_text(file, text);
  ChildProcess promtool(
      {"/bin/sh", "-c", "/usr/bin/promtool check metrics < " + shell_quote(file) + " 2>&1"});
  const auto output = promtool.read_all(30s);
  EXPECT_EQ(promtool.finish(5s), 0) << output.value_or("");
  EXPECT_EQ(output.value_or("?"), "");
}

// ---------------------------------------------------------------------------------------
// Bad requests: a 4xx JSON answer each, and nothing written.

TEST_F(ServeTest, BadRequestsGetJsonErrorsAndWriteNothing) {
  ServeSetup s = setup();
  s.top_level = "";
  s.tables = "[limits]\nmax_body_bytes = 4096\nread_timeout = \"1s\"\n";
  ServeProcess serve(s);
  ApiClient http(serve.port());
  const std::int64_t observations = count_rows(db_, "observations");
  const std::int64_t silences = count_rows(db_, "silences");
  const auto expect_json_error = [](const httplib::Result& r, int status) {
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, status) << r->body;
    const json body = json::parse(r->body, nullptr, false);
    ASSERT_TRUE(body.is_object()) << r->body;
    EXPECT_EQ(body["status"], status);
    EXPECT_FALSE(body["message"].get<std::string>().empty());
  };
  expect_json_error(http.post("/api/v1/silences", "{\"matchers\": [", "application/json"), 400);
  expect_json_error(http.post("/api/v1/silences",
                              R"({"matchers": ["rule=x"], "duration": "1h", "colour": "red"})",
                              "application/json"),
                    400);
  expect_json_error(
      http.post("/api/v1/silences", R"({"matchers": ["rule=x"], "duration": "1h"})", "text/plain"),
      415);
  // JSON is UTF-8, for every endpoint that takes it.
  expect_json_error(http.post("/api/v1/silences", R"({"matchers": ["rule=x"], "duration": "1h"})",
                              "application/json; charset=iso-8859-1"),
                    415);
  expect_json_error(http.post("/api/v1/evaluate", "{}", "application/json; charset=latin1"), 415);
  expect_json_error(
      http.post("/api/v1/observations", "indicator,unit,period,value\n", "application/xml"), 415);
  // A body that does not parse is reported like a bad row: 422 with its line.
  expect_json_error(http.post("/api/v1/observations", "[{\"indicator\": ", "application/json"),
                    422);
  expect_json_error(
      http.post("/api/v1/observations",
                "indicator,unit,period,value,colour\nsmartphone_rate,dong_nai,Quý IV/2022,1%,red\n",
                "text/csv"),
      422);
  expect_json_error(http.post("/api/v1/observations", "[]", "text/csv"), 400);
  expect_json_error(http.post("/api/v1/evaluate", R"({"at": "2022-13-01"})", "application/json"),
                    400);
  expect_json_error(http.post("/api/v1/evaluate", R"({"when": "today"})", "application/json"), 400);
  expect_json_error(
      http.post(
          "/api/v1/silences",
          R"({"matchers": ["rule=x"], "starts_at": "1600-01-01T00:00:00Z", "duration": "1h"})",
          "application/json"),
      400);
  {
    // The errors name the request's fields, not the command line's options.
    const json both = body_of(http.post(
        "/api/v1/silences",
        R"({"matchers": ["rule=x"], "ends_at": "2030-01-01T00:00:00Z", "duration": "1h"})",
        "application/json"));
    EXPECT_EQ(both.value("message", ""), "duration: give exactly one of ends_at and duration")
        << both.dump();
    const json late = body_of(http.post(
        "/api/v1/silences",
        R"({"matchers": ["rule=x"], "starts_at": "2030-01-02T00:00:00Z", "ends_at": "2030-01-01T00:00:00Z"})",
        "application/json"));
    EXPECT_EQ(late.value("message", "").rfind("ends_at: ", 0), 0u) << late.dump();
  }
  expect_json_error(http.get("/api/v1/nothing"), 404);
  expect_json_error(http.get("/api/v1/alerts?colour=red"), 400);
  expect_json_error(http.get("/api/v1/alerts?limit=0"), 400);
  expect_json_error(http.get("/api/v1/runs/abc"), 404);
  expect_json_error(http.del("/api/v1/alerts"), 405);
  // Too large, with a Content-Length and chunked.
  expect_json_error(http.post("/api/v1/observations",
                              "indicator,unit,period,value\n" + std::string(8000, 'x'), "text/csv"),
                    413);
  const std::string token = bearer(ServeProcess::kWriteToken);
  std::string chunked =
      "POST /api/v1/observations HTTP/1.1\r\nHost: x\r\nConnection: close\r\nAuthorization: " +
      token + "\r\nContent-Type: text/csv\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (int i = 0; i < 10; ++i) chunked += "400\r\n" + std::string(1024, 'y') + "\r\n";
  chunked += "0\r\n\r\n";
  const std::string chunked_reply = raw_exchange(serve.port(), chunked);
  EXPECT_EQ(status_of_raw(chunked_reply), 413) << chunked_reply.substr(0, 300);
  EXPECT_EQ(json::parse(raw_body(chunked_reply), nullptr, false).value("status", 0), 413);
  // Path traversal, as sent by hand (a client library would normalise it).
  for (const char* path :
       {"/api/v1/../../etc/passwd", "/%2e%2e/etc/passwd", "/api/v1/runs/..%2f..%2fetc"}) {
    const std::string reply = raw_exchange(
        serve.port(), std::string("GET ") + path +
                          " HTTP/1.1\r\nHost: x\r\nConnection: close\r\nAuthorization: " + token +
                          "\r\n\r\n");
    const int status = status_of_raw(reply);
    EXPECT_TRUE(status == 400 || status == 404) << path << ": " << reply.substr(0, 200);
    EXPECT_TRUE(json::parse(raw_body(reply), nullptr, false).is_object()) << path << ": " << reply;
  }
  // A slow body: the rest never comes within the read timeout.
  const std::string slow =
      "POST /api/v1/observations HTTP/1.1\r\nHost: x\r\nConnection: close\r\nAuthorization: " +
      token + "\r\nContent-Type: text/csv\r\nContent-Length: 1000\r\n\r\nindicator,unit";
  const auto started = std::chrono::steady_clock::now();
  const std::string slow_reply = raw_exchange(serve.port(), slow);
  EXPECT_LT(std::chrono::steady_clock::now() - started, 9s);
  const int slow_status = status_of_raw(slow_reply);
  EXPECT_TRUE(slow_status == 0 || slow_status == 400 || slow_status == 408) << slow_reply;
  // Garbage instead of HTTP.
  const std::string garbage = raw_exchange(serve.port(), "\x01\x02 not http at all\r\n\r\n");
  EXPECT_EQ(status_of_raw(garbage), 400) << garbage;

  EXPECT_EQ(count_rows(db_, "observations"), observations);
  EXPECT_EQ(count_rows(db_, "silences"), silences);
  // Still serving.
  EXPECT_EQ(http.get("/healthz", "")->status, 200);
}

// A POST without Content-Length or chunked encoding has no body: it is answered at once,
// not after the read timeout. The timeout is the default 10 s, so that the bound below
// tells the two apart however loaded the machine.
TEST_F(ServeTest, APostWithoutABodyIsAnsweredWithoutWaitingForOne) {
  ServeProcess serve(setup());
  const auto started = std::chrono::steady_clock::now();
  const std::string reply =
      raw_exchange(serve.port(),
                   "POST /api/v1/evaluate HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                   "Authorization: " +
                       bearer(ServeProcess::kWriteToken) + "\r\n\r\n");
  const auto took = std::chrono::steady_clock::now() - started;
  EXPECT_EQ(status_of_raw(reply), 202) << reply;
  EXPECT_LT(took, 5s) << "the read timeout is 10 s";
}

}  // namespace
}  // namespace tiendo::testing

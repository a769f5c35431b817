// What tiendo shows of receivers' answers and of credentials, end to end (issue #13).
// A receiver on 127.0.0.1 answers 500 with 10 MB of hostile text, or with a 1 MB
// header, at URLs that carry their secrets in the path and the query; an SMTP server
// (tests/notify/smtp_sink.py --auth) requires AUTH. Every place where tiendo echoes them
// is read: the output of `tiendo run` (--dry-run too) and `tiendo deliver`, the outbox
// table, `tiendo outbox list` in both formats, and the log of `tiendo serve`.
//
// The receiver runs in this process, so SIGPIPE is ignored while it runs (a client that
// stops reading a 10 MB answer would otherwise kill the test).
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>
#include <stdlib.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "run.hpp"
#include "support/child_process.hpp"
#include "support/serve_process.hpp"
#include "support/store_rows.hpp"
#include "support/test_store.hpp"
#include "util/text.hpp"

namespace tiendo::testing {
namespace {

using namespace std::chrono_literals;
using namespace std::string_literals;
using Json = nlohmann::json;

const std::string kSource = TIENDO_SOURCE_DIR;

// The largest error an outbox row keeps, and so the longest a `deliver:` line or a log
// field gets from one (notify::kMaxErrorBytes), with room for the line's own words.
constexpr std::size_t kMaxErrorLine = 1024 + 200;

// Environment variables set for as long as the object lives (tiendo, started by the
// test, inherits them).
class Environment {
 public:
  void set(const std::string& name, const std::string& value) {
    ::setenv(name.c_str(), value.c_str(), 1);
    names_.push_back(name);
  }
  ~Environment() {
    for (const std::string& name : names_) ::unsetenv(name.c_str());
  }

 private:
  std::vector<std::string> names_;
};

// Every column of every outbox row but the payload (which holds the message, and the
// URL it goes to), one row per line.
std::string outbox_without_payload(const std::string& db) {
  store::Database opened = open_file(db);
  std::string out;
  for (std::string row : rows(opened,
                              "SELECT id, run_id, channel, idempotency_key, state, attempts, "
                              "next_attempt_at, last_error, created_at, delivered_at, kind, "
                              "last_status, last_attempt_at FROM outbox ORDER BY id")) {
    row.pop_back();  // the last column's '|'
    out += row + '\n';
  }
  return out;
}

// Every payload of the outbox, one after the other.
std::string outbox_payloads(const std::string& db) {
  store::Database opened = open_file(db);
  std::string out;
  for (std::string row : rows(opened, "SELECT payload FROM outbox ORDER BY id")) {
    row.pop_back();
    out += row + '\n';
  }
  return out;
}

// One column of the `nth` outbox row (1: the first written), as text ('' for NULL). Not
// by id: PostgreSQL's ids may leave gaps where a transaction was rolled back.
std::string outbox_column(const std::string& db, const std::string& column, std::int64_t nth) {
  store::Database opened = open_file(db);
  const std::vector<std::string> found =
      rows(opened, fmt::format("SELECT coalesce(CAST({} AS TEXT), '') FROM outbox ORDER BY id "
                               "LIMIT 1 OFFSET {}",
                               column, nth - 1));
  if (found.empty()) return {};
  return found.front().substr(0, found.front().size() - 1);
}

// `text` (named `what` in failures) holds none of `secrets`, no line longer than
// `max_line`, nothing but well-formed UTF-8 and no control character but line breaks.
void expect_shown_safely(const std::string& what, const std::string& text,
                         const std::vector<std::string>& secrets, std::size_t max_line) {
  SCOPED_TRACE(what);
  for (const std::string& secret : secrets) {
    EXPECT_EQ(text.find(secret), std::string::npos) << secret << " in:\n" << text.substr(0, 4000);
  }
  EXPECT_EQ(util::find_invalid_utf8(text), std::nullopt) << text.substr(0, 4000);
  std::size_t line = 0;
  for (const char c : text) {
    if (c == '\n') {
      line = 0;
      continue;
    }
    ++line;
    ASSERT_LE(line, max_line) << "a line too long in:\n" << text.substr(0, 4000);
    ASSERT_FALSE(static_cast<unsigned char>(c) < 0x20 || c == 0x7F)
        << "control byte " << static_cast<int>(static_cast<unsigned char>(c)) << " in:\n"
        << text.substr(0, 4000);
  }
}

// ---------------------------------------------------------------------------------------
// Webhooks

constexpr const char* kPathSecret = "SECRETXYZ";
constexpr const char* kQuerySecret = "SECRET123";

// Answers every POST with a 500: under /services with 10 MB of hostile text (NUL, a
// terminal escape, a line break that would forge a log line, a C1 control, an ill-formed
// byte) and a 50 KB header; under /hooks with a 1 MB header line.
class HostileReceiver {
 public:
  HostileReceiver() : body_("bad\0gateway \x1b[31mred\ninfo forged line \xC2\x9B\xFF "s) {
    body_ += std::string(10u << 20, 'y');
    server_.set_keep_alive_max_count(1);
    server_.Post(R"(/services/.*)", [this](const httplib::Request&, httplib::Response& response) {
      ++requests_;
      response.status = 500;
      response.set_header("X-Big", std::string(50000, 'b'));
      response.set_content(body_, "text/plain");
    });
    server_.Post(R"(/hooks/.*)", [this](const httplib::Request&, httplib::Response& response) {
      ++requests_;
      response.status = 500;
      response.set_header("X-Huge", std::string(1u << 20, 'h'));
      response.set_content("small", "text/plain");
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    if (port_ > 0) {
      thread_ = std::thread([this] { server_.listen_after_bind(); });
      for (int i = 0; i < 2000 && !server_.is_running(); ++i) std::this_thread::sleep_for(1ms);
    }
  }
  ~HostileReceiver() {
    if (!thread_.joinable()) return;
    for (int i = 0; i < 2000 && !server_.is_running(); ++i) std::this_thread::sleep_for(1ms);
    server_.stop();
    thread_.join();
  }
  HostileReceiver(const HostileReceiver&) = delete;
  HostileReceiver& operator=(const HostileReceiver&) = delete;

  int port() const { return port_; }
  std::string url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }
  int requests() const { return requests_; }

 private:
  std::string body_;
  httplib::Server server_;
  std::thread thread_;
  int port_ = -1;
  std::atomic<int> requests_ = 0;
};

TEST(DeliverWebhookEcho, AHugeAnswerIsCappedAndTheUrlsSecretsNeverShow) {
  const SigpipeIgnored sigpipe;
  HostileReceiver receiver;
  ASSERT_GT(receiver.port(), 0);
  TempDir dir;
  const std::string db = test_store(dir.path(), "tiendo.db");
  const std::string body_url =
      receiver.url("/services/T000/B000/" + std::string(kPathSecret) + "?apikey=" + kQuerySecret);
  const std::string header_url =
      receiver.url("/hooks/" + std::string(kPathSecret) + "?token=" + kQuerySecret);
  write_text(dir.path() + "/rules.rules",
             "levels province\nindicator x { title \"X\" unit number }\n"
             "channel slack { webhook \"" +
                 body_url +
                 "\" }\n"
                 "channel big { webhook \"" +
                 header_url +
                 "\" }\n"
                 "rule x_floor { require x >= 50 notify slack, big }\n");
  write_text(dir.path() + "/units.csv", "unit,name,level,parent\np,Tỉnh P,province,\n");
  write_text(dir.path() + "/x.csv", "indicator,unit,period,value\nx,p,2024-01,10\n");
  const RunResult ingest = run_tiendo(
      "ingest --db " + shell_quote(db) + " --rules rules.rules units.csv x.csv", dir.path());
  ASSERT_EQ(ingest.exit_code, 0) << ingest.err;
  const std::vector<std::string> secrets = {kPathSecret, kQuerySecret, "T000", "B000"};
  const std::string delivery =
      " --db " + shell_quote(db) + " --retry-initial 1s --retry-max 2s --timeout 5s";

  const RunResult dry =
      run_tiendo("run --rules rules.rules --at 2024-02-01 --dry-run" + delivery, dir.path());
  ASSERT_EQ(dry.exit_code, 0) << dry.err;
  EXPECT_NE(dry.out.find("POST " + receiver.url("/services/***/***/***?apikey=***")),
            std::string::npos)
      << dry.out;
  expect_shown_safely("run --dry-run: stdout", dry.out, secrets, 4000);
  expect_shown_safely("run --dry-run: stderr", dry.err, secrets, kMaxErrorLine);

  const RunResult run =
      run_tiendo("run --rules rules.rules --at 2024-02-01 --format json" + delivery, dir.path());
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(Json::parse(run.out, nullptr, false)["delivery"]["retrying"], 2) << run.out;
  EXPECT_EQ(receiver.requests(), 2);
  expect_shown_safely("run: stdout", run.out, secrets, kMaxErrorLine);
  expect_shown_safely("run: stderr", run.err, secrets, kMaxErrorLine);
  EXPECT_LT(run.err.size(), 2 * kMaxErrorLine) << run.err;
  // Quoted on one line (the line break became a space), the rest escaped.
  EXPECT_NE(run.err.find("POST " + receiver.url("/services/***/***/***?apikey=***") +
                         ": HTTP 500: bad\\x00gateway \\x1b[31mred info forged line "
                         "\\xc2\\x9b\\xff yyy"),
            std::string::npos)
      << run.err;
  EXPECT_NE(run.err.find(" bytes more)"), std::string::npos) << run.err;
  EXPECT_NE(run.err.find("POST " + receiver.url("/hooks/***?token=***") + ": HTTP 500 with a "),
            std::string::npos)
      << run.err;

  // The retries are due after a second; `tiendo deliver` meets the same answers.
  std::this_thread::sleep_for(2200ms);
  const RunResult deliver = run_tiendo("deliver" + delivery, dir.path());
  ASSERT_EQ(deliver.exit_code, 0) << deliver.err;
  EXPECT_EQ(receiver.requests(), 4) << deliver.err;
  EXPECT_NE(deliver.err.find("deliver: slack #"), std::string::npos) << deliver.err;
  EXPECT_NE(deliver.err.find("deliver: big #"), std::string::npos) << deliver.err;
  expect_shown_safely("deliver: stderr", deliver.err, secrets, kMaxErrorLine);
  EXPECT_LT(deliver.err.size(), 2 * kMaxErrorLine) << deliver.err;

  // The outbox keeps the capped error; nothing but the payload names the URL.
  const std::string table = outbox_without_payload(db);
  expect_shown_safely("the outbox table", table, secrets, kMaxErrorLine + 200);
  EXPECT_NE(table.find("HTTP 500: bad\\x00gateway"), std::string::npos) << table;
  // The two rows' ids (PostgreSQL's may leave gaps where a transaction was rolled back).
  std::vector<std::string> ids;
  {
    store::Database opened = open_file(db);
    for (std::string row : rows(opened, "SELECT id FROM outbox ORDER BY id")) {
      ids.push_back(row.substr(0, row.size() - 1));
    }
  }
  ASSERT_EQ(ids.size(), 2u);
  for (const std::int64_t nth : {1, 2}) {
    const std::string error = outbox_column(db, "last_error", nth);
    EXPECT_LE(error.size(), 1024u) << error;
    EXPECT_FALSE(error.empty());
  }

  for (const std::string format : {"table", "json"}) {
    const RunResult list = run_tiendo(
        "outbox list --db " + shell_quote(db) + " --state all --format " + format, dir.path());
    ASSERT_EQ(list.exit_code, 0) << list.err;
    EXPECT_NE(list.out.find("HTTP 500: bad"), std::string::npos) << list.out;
    expect_shown_safely("outbox list --format " + format, list.out, secrets, kMaxErrorLine + 200);
    EXPECT_EQ(list.err, "");
  }

  // `tiendo serve` on the same database: its delivery loop retries both rows and logs
  // each failure.
  ServeSetup setup;
  setup.binary = TIENDO_BINARY;
  setup.directory = dir.path();
  setup.database = db;
  setup.rules = {dir.path() + "/rules.rules"};
  std::string log;
  {
    ServeProcess serve(setup);
    for (const std::string& id : ids) {
      EXPECT_TRUE(serve.wait_for_log("delivery failed; will retry outbox_id=" + id, 30s))
          << serve.log();
    }
    log = serve.log();
  }
  EXPECT_NE(log.find("HTTP 500: bad\\\\x00gateway \\\\x1b[31mred info forged line"),
            std::string::npos)
      << log;
  expect_shown_safely("the log of tiendo serve", log, secrets, kMaxErrorLine + 300);
}

// ---------------------------------------------------------------------------------------
// SMTP AUTH

constexpr const char* kUser = "bcd-cds";
constexpr const char* kPassword = "Mat-khau-DUNG-7391";
constexpr const char* kWrongPassword = "Sai-mat-khau-4410";
constexpr const char* kUrlPassword = "Url-mat-khau-5523";

SmtpSinkOptions requiring_auth() {
  SmtpSinkOptions options;
  options.lifetime = 120s;
  options.extra_args = {"--auth", std::string(kUser) + ":" + kPassword};
  return options;
}

std::string auth_log(const SmtpSink& sink) {
  const std::string path = sink.directory() + "/.auth-log";
  return std::filesystem::exists(path) ? read_text(path) : std::string();
}

class DeliverSmtpAuth : public ExamplesDatabaseTest {
 protected:
  // Every way of looking at the outbox, none of which may show a password.
  void expect_outbox_shows_no_password(const std::vector<std::string>& passwords) {
    expect_shown_safely("the outbox table", outbox_without_payload(db_), passwords,
                        kMaxErrorLine + 200);
    // The payloads hold the messages, never the credentials.
    const std::string payloads = outbox_payloads(db_);
    for (const std::string& password : passwords) {
      EXPECT_EQ(payloads.find(password), std::string::npos) << password;
    }
    for (const std::string format : {"table", "json"}) {
      const RunResult list = tiendo("outbox list --state all --format " + format);
      EXPECT_EQ(list.exit_code, 0) << list.err;
      expect_shown_safely("outbox list --format " + format, list.out, passwords,
                          kMaxErrorLine + 200);
    }
  }
};

TEST_F(DeliverSmtpAuth, AWrongPasswordKeepsTheMessageAndTheRightOneDeliversAsTheUser) {
  SmtpSink sink(requiring_auth());
  ASSERT_GT(sink.port(), 0);
  const std::string smtp = " --smtp " + sink.url() + " --smtp-starttls none";
  const std::vector<std::string> passwords = {kPassword, kWrongPassword, kUrlPassword};

  // A wrong password: the server answers 535, a permanent refusal, so the row is a dead
  // letter, kept with its message and the reason.
  {
    Environment environment;
    environment.set("TIENDO_SMTP_USER", kUser);
    environment.set("TIENDO_SMTP_PASSWORD", kWrongPassword);
    const RunResult run = tiendo("run --rules rules/ --at 2022-09-30" + smtp);
    ASSERT_EQ(run.exit_code, 0) << run.err;
    EXPECT_NE(run.out.find("0 delivered, 0 to retry, 1 given up"), std::string::npos) << run.out;
    EXPECT_NE(run.err.find("refused the login"), std::string::npos) << run.err;
    EXPECT_NE(run.err.find("TIENDO_SMTP_USER"), std::string::npos) << run.err;
    EXPECT_NE(run.err.find("535"), std::string::npos) << run.err;
    expect_shown_safely("run: stdout", run.out, passwords, kMaxErrorLine);
    expect_shown_safely("run: stderr", run.err, passwords, kMaxErrorLine);
  }
  EXPECT_EQ(outbox_column(db_, "state", 1), "dead");
  EXPECT_EQ(outbox_column(db_, "last_status", 1), "535");
  EXPECT_NE(outbox_column(db_, "last_error", 1).find("refused the login"), std::string::npos);
  EXPECT_NE(Json::parse(outbox_column(db_, "payload", 1))["subject"], "");
  const RunResult dead = tiendo("outbox list");
  EXPECT_NE(dead.out.find("steering_committee"), std::string::npos) << dead.out;
  EXPECT_TRUE(sink.files().empty());

  // The right password: a month later's digests (one per e-mail channel then) are
  // delivered, under that user.
  std::string expected_auth_log = "refused bcd-cds\n";
  {
    Environment environment;
    environment.set("TIENDO_SMTP_USER", kUser);
    environment.set("TIENDO_SMTP_PASSWORD", kPassword);
    const RunResult run = tiendo("run --rules rules/ --at 2022-10-31 --format json" + smtp);
    ASSERT_EQ(run.exit_code, 0) << run.err;
    const Json summary = Json::parse(run.out, nullptr, false);
    const int messages = summary["messages"].get<int>();
    EXPECT_GE(messages, 1) << run.out;
    EXPECT_EQ(summary["delivery"]["delivered"], messages) << run.out << run.err;
    expect_shown_safely("run: stdout", run.out, passwords, kMaxErrorLine);
    expect_shown_safely("run: stderr", run.err, passwords, kMaxErrorLine);
    EXPECT_EQ(sink.files().size(), static_cast<std::size_t>(messages));
    for (int i = 1; i <= messages; ++i) {
      expected_auth_log += "accepted bcd-cds\n" + fmt::format("{:06d}.eml bcd-cds\n", i);
    }
  }
  EXPECT_EQ(outbox_column(db_, "state", 2), "delivered");

  // A password in the --smtp URL: a wrong one is refused the same way, and shown nowhere.
  const std::string url_smtp = " --smtp smtp://" + std::string(kUser) + ":" + kUrlPassword +
                               "@127.0.0.1:" + std::to_string(sink.port()) +
                               " --smtp-starttls none";
  const RunResult url_run = tiendo("run --rules rules/ --at 2022-11-30 --format json" + url_smtp);
  ASSERT_EQ(url_run.exit_code, 0) << url_run.err;
  const Json url_summary = Json::parse(url_run.out, nullptr, false);
  const int url_messages = url_summary["messages"].get<int>();
  EXPECT_GE(url_messages, 1) << url_run.out;
  EXPECT_EQ(url_summary["delivery"]["dead"], url_messages) << url_run.out << url_run.err;
  EXPECT_NE(url_run.err.find("refused the login of the user and password in the SMTP URL"),
            std::string::npos)
      << url_run.err;
  expect_shown_safely("run --smtp URL: stdout", url_run.out, passwords, kMaxErrorLine);
  expect_shown_safely("run --smtp URL: stderr", url_run.err, passwords, kMaxErrorLine);
  for (int i = 0; i < url_messages; ++i) expected_auth_log += "refused bcd-cds\n";
  // Nor when the URL itself is refused.
  const RunResult usage = tiendo("deliver --smtp smtpx://" + std::string(kUser) + ":" +
                                 kUrlPassword + "@mail.example.org:587");
  EXPECT_EQ(usage.exit_code, 2) << usage.err;
  EXPECT_NE(usage.err.find("--smtp"), std::string::npos) << usage.err;
  EXPECT_NE(usage.err.find("mail.example.org:587"), std::string::npos) << usage.err;
  expect_shown_safely("deliver --smtp smtpx://: stderr", usage.err, passwords, kMaxErrorLine);

  expect_outbox_shows_no_password(passwords);
  EXPECT_EQ(sink.stop(), 0);
  EXPECT_EQ(auth_log(sink), expected_auth_log);
}

TEST_F(DeliverSmtpAuth, TheServiceLogsAWrongPasswordWithoutShowingIt) {
  SmtpSink sink(requiring_auth());
  ASSERT_GT(sink.port(), 0);
  Environment environment;
  environment.set("TIENDO_E2E_SMTP_USER", kUser);
  environment.set("TIENDO_E2E_SMTP_PASSWORD", kWrongPassword);
  ServeSetup setup;
  setup.binary = TIENDO_BINARY;
  setup.directory = dir_.path();
  setup.database = db_;
  setup.schedule = catch_up_schedule();  // the catch-up run queues the e-mail
  setup.tables = "[smtp]\nurl = \"" + sink.url() +
                 "\"\nstarttls = \"none\"\nusername_env = \"TIENDO_E2E_SMTP_USER\"\n"
                 "password_env = \"TIENDO_E2E_SMTP_PASSWORD\"\n";
  std::string log;
  {
    ServeProcess serve(setup);
    EXPECT_TRUE(serve.wait_for_log("message given up (dead letter)", 60s)) << serve.log();
    log = serve.log();
  }
  EXPECT_NE(log.find("refused the login"), std::string::npos) << log;
  EXPECT_NE(log.find("TIENDO_E2E_SMTP_USER"), std::string::npos) << log;
  expect_shown_safely("the log of tiendo serve", log, {kPassword, kWrongPassword},
                      kMaxErrorLine + 300);
  expect_outbox_shows_no_password({kPassword, kWrongPassword});
  EXPECT_EQ(sink.stop(), 0);
  EXPECT_TRUE(sink.files().empty());
}

}  // namespace
}  // namespace tiendo::testing

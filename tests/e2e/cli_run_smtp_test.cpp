// End-to-end delivery through the binary to real receivers: `tiendo run` sends the
// examples' digest to a real SMTP server (tests/notify/smtp_sink.py, aiosmtpd), whose
// saved message is read back by Python's email package (tests/notify/read_emails.py) and
// compared with the outbox row; and pushes alerts to a real Alertmanager, whose own
// client, amtool, lists them (and stops listing the one that resolved).
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "notify/outbox.hpp"
#include "run.hpp"
#include "store/database.hpp"
#include "support/child_process.hpp"
#include "support/test_store.hpp"

namespace tiendo::testing {
namespace {

using namespace std::chrono_literals;
using Json = nlohmann::json;
using SteadyClock = std::chrono::steady_clock;

const std::string kSource = TIENDO_SOURCE_DIR;
constexpr const char* kPython = "/usr/bin/python3";
constexpr const char* kAlertmanager = "/usr/bin/prometheus-alertmanager";
constexpr const char* kAmtool = "/usr/bin/amtool";

struct Output {
  int status = -1;
  std::string out;
  std::string err;
};

// Runs a program to its end (at most `timeout`), with its output.
Output run_program(const std::vector<std::string>& argv, std::chrono::milliseconds timeout) {
  TempDir scratch;
  const std::string err = scratch.path() + "/err";
  ChildProcess child(argv, {.pipe_stdout = true, .log = err, .environment = {}});
  Output result;
  result.out = child.read_all(timeout).value_or("");
  result.status = child.finish(5s);
  result.err = read_text(err);
  return result;
}

// A port on 127.0.0.1 that nothing listened on a moment ago (bound, then let go).
int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
  socklen_t size = sizeof address;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size);
  ::close(fd);
  return ntohs(address.sin_port);
}

std::string notify_script(const std::string& name) { return kSource + "/tests/notify/" + name; }

// ---------------------------------------------------------------------------------------
// The receivers.

// smtp_sink.py exits by itself after its --timeout (60 s unless told); these tests also
// wait for retries.
SmtpSinkOptions sink_options() {
  SmtpSinkOptions options;
  options.lifetime = 120s;
  return options;
}

// Every message `sink` saved, parsed by tests/notify/read_emails.py, in the order received.
Json received_messages(const SmtpSink& sink) {
  const Output read =
      run_program({kPython, notify_script("read_emails.py"), sink.directory()}, 60s);
  EXPECT_EQ(read.status, 0) << read.err;
  const Json parsed = Json::parse(read.out, nullptr, false);
  EXPECT_TRUE(parsed.is_array()) << read.out;
  return parsed.is_array() ? parsed : Json::array();
}

// A real Alertmanager on 127.0.0.1, clustering off, with one receiver that sends nothing.
class Alertmanager {
 public:
  Alertmanager() {
    write_text(directory_.path() + "/alertmanager.yml",
               "route:\n  receiver: blackhole\nreceivers:\n  - name: blackhole\n");
    // Another process may take the free port before Alertmanager binds it: try again.
    for (int attempt = 0; attempt < 3 && port_ == 0; ++attempt) {
      const int port = free_port();
      child_ = std::make_unique<ChildProcess>(
          std::vector<std::string>{kAlertmanager,
                                   "--config.file=" + directory_.path() + "/alertmanager.yml",
                                   "--storage.path=" + directory_.path() + "/data",
                                   "--web.listen-address=127.0.0.1:" + std::to_string(port),
                                   "--cluster.listen-address=", "--log.level=warn"},
          ChildProcessOptions{.pipe_stdout = false, .log = log_path(), .environment = {}});
      if (wait_until_ready(port, 30s)) {
        port_ = port;
      } else {
        child_->terminate(10s);
      }
    }
  }

  int port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  std::string log() const { return read_text(log_path()); }
  // SIGTERM and a bounded wait: Alertmanager's exit status, or -1 when it was killed.
  int stop() { return child_ ? child_->terminate(15s) : -1; }

  // `amtool alert query -o json`: the active alerts.
  Json active_alerts() const {
    const Output query = run_program(
        {kAmtool, "alert", "query", "--alertmanager.url=" + url(), "-o", "json", "--timeout=10s"},
        30s);
    EXPECT_EQ(query.status, 0) << query.err;
    const Json parsed = Json::parse(query.out, nullptr, false);
    EXPECT_TRUE(parsed.is_array()) << query.out << query.err;
    return parsed.is_array() ? parsed : Json::array();
  }

 private:
  std::string log_path() const { return directory_.path() + "/alertmanager.log"; }

  bool wait_until_ready(int port, std::chrono::milliseconds timeout) {
    const auto deadline = SteadyClock::now() + timeout;
    httplib::Client client("127.0.0.1", port);
    client.set_connection_timeout(1s);
    client.set_read_timeout(2s);
    while (SteadyClock::now() < deadline) {
      if (!child_->running()) return false;
      if (const auto response = client.Get("/-/ready"); response && response->status == 200) {
        return true;
      }
      std::this_thread::sleep_for(100ms);
    }
    return false;
  }

  TempDir directory_;
  std::unique_ptr<ChildProcess> child_;
  int port_ = 0;
};

// ---------------------------------------------------------------------------------------
// The store.

// Every outbox row, oldest first.
std::vector<notify::OutboxRow> outbox_rows(const std::string& db_path) {
  auto opened = store::Database::open(db_path);
  if (auto* error = std::get_if<store::DbError>(&opened)) {
    ADD_FAILURE() << error->message;
    return {};
  }
  auto listed = notify::Outbox(std::get<store::Database>(opened)).list("", 10000);
  if (auto* error = std::get_if<store::DbError>(&listed)) {
    ADD_FAILURE() << error->message;
    return {};
  }
  auto rows = std::get<std::vector<notify::OutboxRow>>(std::move(listed));
  std::reverse(rows.begin(), rows.end());
  return rows;
}

// Waits (at most 30 s) until every pending row's next attempt is due.
void wait_until_due(const std::string& db_path) {
  std::optional<notify::Clock::time_point> latest;
  for (const notify::OutboxRow& row : outbox_rows(db_path)) {
    if (row.state != store::OutboxState::pending) continue;
    const auto next = notify::parse_utc(row.next_attempt_at);
    ASSERT_TRUE(next.has_value()) << row.next_attempt_at;
    if (!latest || *next > *latest) latest = next;
  }
  if (!latest) return;
  ASSERT_LT(*latest - notify::Clock::now(), 30s) << "the retry is too far away";
  // Due means next_attempt_at <= now at one-second resolution.
  std::this_thread::sleep_until(*latest + 1s);
}

// ---------------------------------------------------------------------------------------
// E-mail

constexpr const char* kFrom = "Ban Chỉ đạo chuyển đổi số <tiendo@dongnai.example>";
constexpr const char* kFromDomain = "dongnai.example";

class RunSmtp : public ExamplesDatabaseTest {
 protected:
  static std::string smtp(const SmtpSink& sink) {
    return " --smtp " + sink.url() + " --smtp-starttls none --smtp-from " + shell_quote(kFrom);
  }
  // Quick retries, so that a test can wait for one.
  static constexpr const char* kRetry = " --retry-initial 1s --retry-max 10s";

  // The received message whose Message-ID is the row's, checked against the row's
  // payload: the decoded Subject, text and HTML are exactly what the outbox holds.
  static void expect_received(const Json& received, const notify::OutboxRow& row) {
    SCOPED_TRACE("outbox row " + std::to_string(row.id) + " " + row.idempotency_key);
    const std::string message_id = "<" + row.idempotency_key + "@" + kFromDomain + ">";
    const auto it = std::find_if(received.begin(), received.end(), [&](const Json& m) {
      return m.value("message_id", "") == message_id;
    });
    ASSERT_NE(it, received.end()) << "no message " << message_id << " in " << received.dump(1);
    const Json& got = *it;
    // value() rather than [] on these constant objects: a missing key is a failure to
    // report, not undefined behaviour.
    const auto& payload = std::get<store::EmailPayload>(row.payload);
    EXPECT_EQ(row.kind, "email");
    EXPECT_EQ(got.value("content_type", ""), "multipart/alternative");
    EXPECT_EQ(got.value("defects", Json()), Json::array());
    EXPECT_EQ(got.value("from", ""), kFrom);
    std::string to;
    for (const std::string& address : payload.to) {
      to += (to.empty() ? "" : ", ") + address;
    }
    EXPECT_EQ(got.value("to", ""), to);
    EXPECT_EQ(got.value("subject", ""), payload.subject);
    EXPECT_EQ(got.value("text", ""), crlf(payload.text));
    EXPECT_EQ(got.value("html", ""), crlf(payload.html));
  }
};

TEST_F(RunSmtp, TheDigestArrivesAsTheVietnameseEmailTheOutboxHolds) {
  SmtpSink sink(sink_options());
  ASSERT_GT(sink.port(), 0);
  const RunResult run = tiendo("run --rules rules/ --at 2022-09-30 --format json" + smtp(sink));
  ASSERT_EQ(run.exit_code, 0) << run.err;
  Json summary = Json::parse(run.out);
  EXPECT_GT(summary["notifications"]["fired"].get<int>(), 0) << run.out;
  const int messages = summary["messages"].get<int>();
  ASSERT_GE(messages, 1) << run.out;
  EXPECT_EQ(summary["delivery"]["delivered"], messages) << run.err;
  EXPECT_EQ(summary["delivery"]["retrying"], 0);
  EXPECT_EQ(summary["delivery"]["dead"], 0);

  const std::vector<notify::OutboxRow> rows = outbox_rows(db_);
  ASSERT_EQ(rows.size(), static_cast<std::size_t>(messages));
  const Json received = received_messages(sink);
  EXPECT_EQ(sink.stop(), 0);
  ASSERT_EQ(received.size(), rows.size()) << received.dump(1);
  for (const notify::OutboxRow& row : rows) {
    EXPECT_EQ(row.state, store::OutboxState::delivered) << row.last_error;
    EXPECT_EQ(row.attempts, 1);
    EXPECT_EQ(row.last_error, "");
    EXPECT_EQ(row.last_status, 250);
    EXPECT_FALSE(row.delivered_at.empty());
    expect_received(received, row);
  }

  // The examples' committee reads Vietnamese.
  const Json& mail = received[0];
  const std::string subject = mail.value("subject", ""), text = mail.value("text", ""),
                    html = mail.value("html", "");
  EXPECT_TRUE(subject.starts_with("[tiendo] ")) << subject;
  EXPECT_NE(subject.find("cảnh báo mới"), std::string::npos) << subject;
  EXPECT_NE(text.find("cảnh báo"), std::string::npos) << text;
  EXPECT_NE(text.find("Tỉnh Đồng Nai"), std::string::npos) << text;
  EXPECT_NE(text.find("Tỷ lệ hồ sơ thủ tục hành chính xử lý trực tuyến đạt 50%"), std::string::npos)
      << text;
  EXPECT_NE(html.find("<html lang=\"vi\">"), std::string::npos);
  EXPECT_NE(html.find("Tỉnh Đồng Nai"), std::string::npos);
  EXPECT_EQ(mail.value("to", ""), "bcd.cds@dongnai.gov.vn");
}

TEST_F(RunSmtp, WithoutSmtpTheEmailWaitsAndALaterDeliverSendsIt) {
  const RunResult run = tiendo("run --rules rules/ --at 2022-09-30" + std::string(kRetry));
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_NE(run.out.find("delivery: 0 delivered, 1 to retry, 0 given up"), std::string::npos)
      << run.out;
  EXPECT_NE(run.err.find("--smtp"), std::string::npos) << run.err;
  std::vector<notify::OutboxRow> rows = outbox_rows(db_);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].state, store::OutboxState::pending);
  EXPECT_EQ(rows[0].attempts, 1);
  EXPECT_NE(rows[0].last_error.find("--smtp"), std::string::npos) << rows[0].last_error;
  EXPECT_TRUE(rows[0].idempotency_key.starts_with("tiendo-") &&
              rows[0].idempotency_key.ends_with("-run1-steering_committee"))
      << rows[0].idempotency_key;

  // Once the retry is due, `tiendo deliver` sends it.
  SmtpSink sink(sink_options());
  ASSERT_GT(sink.port(), 0);
  wait_until_due(db_);
  const RunResult deliver = tiendo("deliver" + smtp(sink) + kRetry);
  ASSERT_EQ(deliver.exit_code, 0) << deliver.err;
  EXPECT_NE(deliver.out.find("delivery: 1 delivered, 0 to retry, 0 given up"), std::string::npos)
      << deliver.out << deliver.err;
  rows = outbox_rows(db_);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].state, store::OutboxState::delivered) << rows[0].last_error;
  EXPECT_EQ(rows[0].attempts, 2);
  EXPECT_EQ(rows[0].last_error, "");
  const Json received = received_messages(sink);
  EXPECT_EQ(sink.stop(), 0);
  ASSERT_EQ(received.size(), 1u);
  expect_received(received, rows[0]);

  // Delivered is final: a further delivery sends nothing again.
  SmtpSink second(sink_options());
  ASSERT_GT(second.port(), 0);
  const RunResult again = tiendo("deliver" + smtp(second));
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(received_messages(second).size(), 0u);
}

TEST_F(RunSmtp, ALaterRunDeliversAnEarlierRunsRetryWithItsOwn) {
  const RunResult first = tiendo("run --rules rules/ --at 2022-09-30" + std::string(kRetry));
  ASSERT_EQ(first.exit_code, 0) << first.err;
  const std::vector<notify::OutboxRow> queued = outbox_rows(db_);
  ASSERT_EQ(queued.size(), 1u);
  wait_until_due(db_);

  SmtpSink sink(sink_options());
  ASSERT_GT(sink.port(), 0);
  // A month later the alerts still fire, and `repeat every` (7 days) has passed.
  const RunResult second =
      tiendo("run --rules rules/ --at 2022-10-31 --format json" + smtp(sink) + kRetry);
  ASSERT_EQ(second.exit_code, 0) << second.err;
  Json summary = Json::parse(second.out);
  const int messages = summary["messages"].get<int>();
  EXPECT_GE(messages, 1) << second.out;
  EXPECT_EQ(summary["delivery"]["delivered"], messages + 1) << second.out << second.err;

  const std::vector<notify::OutboxRow> rows = outbox_rows(db_);
  ASSERT_EQ(rows.size(), static_cast<std::size_t>(messages + 1));
  EXPECT_TRUE(rows[0].idempotency_key.starts_with("tiendo-") &&
              rows[0].idempotency_key.ends_with("-run1-steering_committee"))
      << rows[0].idempotency_key;
  EXPECT_EQ(rows[1].run_id, 2);
  const Json received = received_messages(sink);
  EXPECT_EQ(sink.stop(), 0);
  ASSERT_EQ(received.size(), rows.size());
  for (const notify::OutboxRow& row : rows) {
    EXPECT_EQ(row.state, store::OutboxState::delivered) << row.last_error;
    expect_received(received, row);
  }
  // The earlier run's digest is sent late but unchanged: it still speaks of its own date.
  EXPECT_EQ(rows[0].payload, queued[0].payload);
  EXPECT_NE(std::get<store::EmailPayload>(rows[0].payload).subject,
            std::get<store::EmailPayload>(rows[1].payload).subject);
}

// ---------------------------------------------------------------------------------------
// Alertmanager

class RunAlertmanager : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = test_store(dir_.path(), "am.db");
    rules_ = dir_.path() + "/rules";
    std::filesystem::create_directories(rules_);
  }

  RunResult tiendo(const std::string& args) {
    return run_tiendo(args + " --db " + shell_quote(db_), dir_.path());
  }

  // Three districts and their province; 4G coverage for each, with a minimum.
  void write_rules(const std::string& alertmanager_url) {
    write_text(rules_ + "/coverage.rules", R"(levels province > district

indicator coverage_4g {
  title "Tỷ lệ dân số được phủ sóng 4G"
  unit percent
}

channel am {
  alertmanager ")" + alertmanager_url + R"("
}

rule coverage_district {
  title "Phủ sóng 4G cấp huyện tối thiểu 90%"
  require coverage_4g >= 90% for each district
  severity warning
  notify am
  label team = "ha_tang_so"
}

rule coverage_province {
  title "Phủ sóng 4G toàn tỉnh tối thiểu 95%"
  require coverage_4g >= 95%
  notify am
  label team = "ha_tang_so"
}
)");
    write_text(dir_.path() + "/units.csv",
               "unit,name,level,parent\n"
               "tinh,Tỉnh Thử Nghiệm,province,\n"
               "huyen_a,Huyện A,district,tinh\n"
               "huyen_b,Huyện B,district,tinh\n"
               "huyen_c,Huyện C,district,tinh\n");
  }

  void ingest(const std::string& name, const std::string& csv) {
    write_text(dir_.path() + "/" + name, csv);
    const RunResult result = tiendo("ingest --rules rules units.csv " + name);
    ASSERT_EQ(result.exit_code, 0) << result.err;
  }

  // (alertname, unit) of every active alert, polled until it equals `expected` (bounded:
  // Alertmanager takes the pushed alerts in at once, but its state is read separately).
  std::set<std::pair<std::string, std::string>> active_until(
      Alertmanager& am, const std::set<std::pair<std::string, std::string>>& expected,
      Json& alerts) {
    std::set<std::pair<std::string, std::string>> names;
    const auto deadline = SteadyClock::now() + 20s;
    do {
      alerts = am.active_alerts();
      names.clear();
      for (const Json& a : alerts) {
        const Json labels = a.value("labels", Json::object());
        names.emplace(labels.value("alertname", ""), labels.value("unit", ""));
      }
      if (names == expected) break;
      std::this_thread::sleep_for(200ms);
    } while (SteadyClock::now() < deadline);
    return names;
  }

  TempDir dir_;
  std::string db_;
  std::string rules_;
};

TEST_F(RunAlertmanager, AmtoolListsThePushedAlertsAndNotTheOneThatResolved) {
  // Both are in scripts/lib.sh's packages: missing, they fail the test, saying which.
  for (const char* tool : {kAlertmanager, kAmtool}) {
    ASSERT_EQ(::access(tool, X_OK), 0)
        << tool << " is not installed (Debian package prometheus-alertmanager)";
  }
  Alertmanager am;
  ASSERT_GT(am.port(), 0) << "Alertmanager did not become ready:\n" << am.log();
  write_rules(am.url());
  ingest("q3.csv",
         "indicator,unit,period,value\n"
         "coverage_4g,tinh,Quý III/2022,\"91,5%\"\n"
         "coverage_4g,huyen_a,Quý III/2022,85%\n"
         "coverage_4g,huyen_b,Quý III/2022,\"88,2%\"\n"
         "coverage_4g,huyen_c,Quý III/2022,96%\n");

  const RunResult first = tiendo("run --rules rules --at 2022-09-30 --format json");
  ASSERT_EQ(first.exit_code, 0) << first.err;
  Json summary = Json::parse(first.out);
  EXPECT_EQ(summary["notifications"]["fired"], 3) << first.out;
  EXPECT_EQ(summary["messages"], 1);
  EXPECT_EQ(summary["delivery"]["delivered"], 1) << first.err;
  std::vector<notify::OutboxRow> rows = outbox_rows(db_);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].kind, "alertmanager");
  EXPECT_EQ(rows[0].state, store::OutboxState::delivered) << rows[0].last_error;
  EXPECT_EQ(rows[0].last_status, 200);
  EXPECT_EQ(std::get<store::AlertmanagerPayload>(rows[0].payload).url, am.url() + "/api/v2/alerts");

  const std::set<std::pair<std::string, std::string>> three = {{"coverage_district", "huyen_a"},
                                                               {"coverage_district", "huyen_b"},
                                                               {"coverage_province", "tinh"}};
  Json alerts;
  EXPECT_EQ(active_until(am, three, alerts), three) << alerts.dump(1);
  for (const Json& a : alerts) {
    SCOPED_TRACE(a.dump());
    const Json labels = a.value("labels", Json::object());
    const Json annotations = a.value("annotations", Json::object());
    EXPECT_EQ(a.value("status", Json::object()).value("state", ""), "active");
    EXPECT_EQ(labels.value("subject", ""), "rule");
    EXPECT_EQ(labels.value("rule", ""), labels.value("alertname", "?"));
    EXPECT_EQ(labels.value("team", ""), "ha_tang_so");
    // The declared severity is the label; the state is an annotation, so that a change
    // of state updates the same alert.
    EXPECT_EQ(labels.value("severity", ""),
              labels.value("alertname", "") == "coverage_district" ? "warning" : "critical");
    EXPECT_EQ(annotations.value("state", ""), "violated");
    EXPECT_FALSE(annotations.value("summary", "").empty());
  }

  // Huyện A reaches 93% in the fourth quarter: its alert resolves, the others stay.
  ingest("q4.csv",
         "indicator,unit,period,value\n"
         "coverage_4g,huyen_a,Quý IV/2022,93%\n");
  const RunResult second = tiendo("run --rules rules --at 2023-01-15 --format json");
  ASSERT_EQ(second.exit_code, 0) << second.err;
  Json next = Json::parse(second.out);
  EXPECT_EQ(next["notifications"]["resolved"], 1) << second.out;
  EXPECT_EQ(next["firing"], 2) << second.out;
  EXPECT_EQ(next["delivery"]["delivered"], 1) << second.err;
  rows = outbox_rows(db_);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[1].state, store::OutboxState::delivered) << rows[1].last_error;

  const std::set<std::pair<std::string, std::string>> two = {{"coverage_district", "huyen_b"},
                                                             {"coverage_province", "tinh"}};
  EXPECT_EQ(active_until(am, two, alerts), two) << alerts.dump(1);

  EXPECT_EQ(am.stop(), 0) << am.log();
}

}  // namespace
}  // namespace tiendo::testing

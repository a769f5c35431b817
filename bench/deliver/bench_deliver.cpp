// bench_deliver: how fast the outbox empties. (a) Signed webhooks to a cpp-httplib
// receiver in this process, which checks every signature; (b) e-mail to a local aiosmtpd
// server (tests/notify/smtp_sink.py), whose saved messages are counted and matched by
// Message-ID. Each outbox is built the way a run builds it (alert::messages_of on a
// digest of one alert, so the payloads are the real rendered ones), written in one
// transaction, and then notify::deliver_due is timed until it has tried every row.
//
//   bench_deliver [--webhooks 10000] [--emails 1000] [--dir PATH] [--smtp-sink PATH]
//
// Delivery is one message at a time with a committed (fsynced) outcome after each, so
// the figures include the store's writes as well as the network round trips.
#include <fmt/format.h>
#include <httplib.h>
#include <signal.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "alert/ledger.hpp"
#include "common.hpp"
#include "dsl/check.hpp"
#include "notify/outbox.hpp"
#include "notify/signature.hpp"
#include "store/database.hpp"
#include "store/runs.hpp"
#include "store/sql/statements.hpp"
#include "support/child_process.hpp"

namespace {

using namespace tiendo;
using namespace std::chrono_literals;
using SteadyClock = std::chrono::steady_clock;

// A fixed secret for the benchmark ("tiendo-bench-deliver-secret"), as `whsec_` + base64.
constexpr const char* kSecret = "whsec_dGllbmRvLWJlbmNoLWRlbGl2ZXItc2VjcmV0";
constexpr const char* kSecretEnv = "TIENDO_BENCH_WEBHOOK_SECRET";
constexpr const char* kFrom = "Ban Chỉ đạo chuyển đổi số <tiendo@dongnai.example>";
constexpr const char* kFromDomain = "dongnai.example";

struct Options {
  int webhooks = 10000;
  int emails = 1000;
  std::string dir;
  std::string smtp_sink = TIENDO_SOURCE_DIR "/tests/notify/smtp_sink.py";
};

[[noreturn]] void fail(const std::string& message) {
  std::fprintf(stderr, "bench_deliver: %s\n", message.c_str());
  std::exit(1);
}

double seconds_since(SteadyClock::time_point start) {
  return std::chrono::duration<double>(SteadyClock::now() - start).count();
}

// ---------------------------------------------------------------------------------------
// The outbox

model::RuleSet rule_set(const std::string& webhook_url) {
  const std::string text = fmt::format(R"(levels province > district > commune
indicator online_dossier_rate {{
  title "Tỷ lệ hồ sơ thủ tục hành chính xử lý trực tuyến"
  unit percent
}}
channel hook {{
  webhook "{}"
  secret env "{}"
}}
channel mail {{
  email "bcd.cds@dongnai.gov.vn", "vp.ubnd@dongnai.gov.vn"
}}
rule online_dossier_2022 {{
  require online_dossier_rate >= 50% by 2022-12-31 for each commune
  notify hook, mail
}}
)",
                                       webhook_url, kSecretEnv);
  dsl::Program program = dsl::load_text("bench.rules", text);
  auto rules = dsl::check(program);
  if (!rules) {
    for (const auto& d : program.diagnostics.all()) fail(dsl::render(d, program.sources));
    fail("the rule set does not check");
  }
  return std::move(*rules);
}

// One alert as a nightly run reports it: an online-dossier rate at risk in a commune,
// with every figure an e-mail or a webhook shows.
alert::Digest digest_of_one_alert(const std::string& channel, model::Channel::Kind kind,
                                  std::int64_t run_id) {
  const int n = static_cast<int>(run_id);
  alert::AlertFacts a;
  a.subject = alert::Subject::rule;
  a.name = "online_dossier_2022";
  a.title = "Tỷ lệ hồ sơ thủ tục hành chính xử lý trực tuyến đạt 50%";
  a.unit = fmt::format("xa_{:05}", n);
  a.unit_name = fmt::format("Xã Phước Thiền {}", n);
  a.fingerprint = alert::fingerprint(a.subject, a.name, a.unit);
  a.state = n % 3 == 0 ? "missed" : "at_risk";
  a.severity = n % 3 == 0 ? model::Severity::critical : model::Severity::warning;
  a.percent = true;
  a.value = 0.0923 + (n % 40) / 100.0;
  a.target = 0.5;
  a.projected = 0.1107 + (n % 30) / 100.0;
  a.rate_needed = 0.1359;
  a.rate_observed = 0.0061;
  a.deadline = model::Date{std::chrono::year{2022} / 12 / 31};
  a.condition = "online_dossier_rate >= 50% by 2022-12-31";
  a.reason = {fmt::format("{:.2f}% hiện nay, yêu cầu ≥ 50% hạn 31/12/2022; dự báo {:.2f}%",
                          *a.value * 100, *a.projected * 100),
              fmt::format("{:.2f}% now, >= 50% by 2022-12-31; projected {:.2f}%", *a.value * 100,
                          *a.projected * 100)};
  a.message = {fmt::format("{}: {:.2f}% (mục tiêu 50%, hạn 31/12/2022)", a.title, *a.value * 100),
               ""};
  a.source = "rules/dong-nai-2022.rules:641";
  a.owner = "Văn phòng UBND tỉnh";
  a.plan = "KH109";
  a.plan_code = "109/KH-UBND";
  a.plan_title =
      "Kế hoạch thúc đẩy người dân, doanh nghiệp sử dụng dịch vụ công trực tuyến trên địa bàn "
      "tỉnh năm 2022";
  a.labels = {{"rule", a.name},
              {"unit", a.unit},
              {"severity", std::string(model::to_string(a.severity))},
              {"state", a.state},
              {"group", "Phát triển chính phủ số"},
              {"stt", "2"}};
  alert::Notification notification;
  notification.kind = n % 4 == 0 ? alert::NotifyKind::repeated : alert::NotifyKind::fired;
  notification.alert = std::move(a);
  notification.since = model::Date{std::chrono::year{2022} / 9 / 30};
  alert::Digest d;
  d.channel = channel;
  d.kind = kind;
  d.run_id = run_id;
  d.at = model::Date{std::chrono::year{2022} / 9 / 30};
  d.items.push_back(std::move(notification));
  (d.items[0].kind == alert::NotifyKind::fired ? d.fired : d.repeated) = 1;
  return d;
}

struct Outbox {
  std::vector<std::string> keys;  // idempotency keys, one per row
  double payload_mb = 0;
};

// The bytes of a payload's rendered content.
std::size_t payload_bytes(const store::OutboxPayload& payload) {
  if (const auto* email = std::get_if<store::EmailPayload>(&payload)) {
    return email->subject.size() + email->text.size() + email->html.size();
  }
  if (const auto* webhook = std::get_if<store::WebhookPayload>(&payload))
    return webhook->body.size();
  return std::get<store::AlertmanagerPayload>(payload).body.size();
}

// `count` rows for `channel`, each its own run's digest, written in one transaction.
Outbox build_outbox(store::Database& db, const model::RuleSet& rules, const std::string& channel,
                    int count) {
  const model::Channel& ch = rules.channels[static_cast<std::size_t>(rules.find_channel(channel))];
  const std::string now = notify::format_utc(notify::Clock::now());
  Outbox out;
  store::Transaction tx(db);
  if (tx.error()) fail(tx.error()->message);
  const model::Date at = *model::parse_iso_date("2022-09-30");
  for (int i = 0; i < count; ++i) {
    auto run = store::insert_run(db, at, now, store::RunStatus::succeeded);
    if (auto* error = std::get_if<store::DbError>(&run)) fail(error->message);
    const std::int64_t run_id = std::get<std::int64_t>(run);
    alert::ReconcileOutput output;
    output.digests.push_back(digest_of_one_alert(channel, ch.kind, run_id));
    const std::vector<store::OutboxMessage> messages = alert::messages_of(rules, output, now);
    if (messages.size() != 1) fail("messages_of made no message");
    store::RunOutcome outcome;
    outcome.run_id = run_id;
    outcome.at = at;
    outcome.now = now;
    outcome.messages = messages;
    if (auto error = store::write_run_outcome(db, outcome)) fail(error->message);
    out.keys.push_back(messages[0].idempotency_key);
    out.payload_mb += static_cast<double>(payload_bytes(messages[0].payload)) / 1e6;
  }
  if (auto error = tx.commit()) fail(error->message);
  return out;
}

store::Database open_fresh(const std::string& path) {
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
  auto opened = store::Database::open(path);
  if (auto* error = std::get_if<store::DbError>(&opened)) fail(error->message);
  return std::move(std::get<store::Database>(opened));
}

struct Timed {
  notify::DeliveryReport report;
  double seconds = 0;
};

Timed deliver(store::Database& db, const notify::DeliverySettings& settings) {
  const auto start = SteadyClock::now();
  auto delivered = notify::deliver_due(db, settings, [] { return notify::Clock::now(); });
  Timed out;
  out.seconds = seconds_since(start);
  if (auto* error = std::get_if<store::DbError>(&delivered)) fail(error->message);
  out.report = std::move(std::get<notify::DeliveryReport>(delivered));
  return out;
}

std::size_t count_state(store::Database& db, const char* state) {
  store::Statement q =
      tiendo::store::sql::prepare(db, "SELECT count(*) FROM outbox WHERE state = ?");
  q.bind(1, std::string_view(state));
  return q.step() ? static_cast<std::size_t>(q.column_int(0)) : 0;
}

// ---------------------------------------------------------------------------------------
// (a) Webhooks

// The receiver: checks each signature as a Standard Webhooks receiver would, and keeps the
// ids of the genuine ones.
class WebhookReceiver {
 public:
  WebhookReceiver() {
    std::string error;
    const auto secret = notify::parse_webhook_secret(kSecret, &error);
    if (!secret) fail("the benchmark's webhook secret: " + error);
    secret_ = *secret;
    server_.Post("/hook", [this](const httplib::Request& request, httplib::Response& response) {
      const std::string id = request.get_header_value("webhook-id");
      const auto check = notify::verify_webhook(
          secret_, id, request.get_header_value("webhook-timestamp"),
          request.get_header_value("webhook-signature"), request.body,
          std::chrono::duration_cast<std::chrono::seconds>(notify::Clock::now().time_since_epoch())
              .count());
      std::lock_guard lock(mutex_);
      if (check == notify::WebhookCheck::ok) {
        ids_.insert(id);
        ++requests_;
        response.status = 204;
      } else {
        ++bad_;
        response.status = 400;
      }
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    if (port_ <= 0) fail("the webhook receiver cannot bind");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    for (int i = 0; i < 5000 && !server_.is_running(); ++i) std::this_thread::sleep_for(1ms);
    if (!server_.is_running()) fail("the webhook receiver does not start");
  }
  ~WebhookReceiver() {
    server_.stop();
    thread_.join();
  }
  WebhookReceiver(const WebhookReceiver&) = delete;
  WebhookReceiver& operator=(const WebhookReceiver&) = delete;

  std::string url() const { return fmt::format("http://127.0.0.1:{}/hook", port_); }
  std::set<std::string> ids() {
    std::lock_guard lock(mutex_);
    return ids_;
  }
  std::size_t requests() {
    std::lock_guard lock(mutex_);
    return requests_;
  }
  std::size_t bad() {
    std::lock_guard lock(mutex_);
    return bad_;
  }

 private:
  notify::WebhookSecret secret_;
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  std::mutex mutex_;
  std::set<std::string> ids_;
  std::size_t requests_ = 0, bad_ = 0;
};

// ---------------------------------------------------------------------------------------
// (b) E-mail

// The Message-ID of every message the sink saved.
std::vector<std::string> message_ids(const tiendo::testing::SmtpSink& sink) {
  std::vector<std::string> ids;
  for (const std::string& path : sink.files()) {
    std::ifstream in(path, std::ios::binary);
    std::string line;
    std::string id;
    while (std::getline(in, line) && line != "\r" && !line.empty()) {
      if (line.starts_with("Message-ID: ")) {
        id = line.substr(12);
        if (id.ends_with('\r')) id.pop_back();
      }
    }
    ids.push_back(id);
  }
  return ids;
}

void print(const char* what, int count, const Outbox& outbox, const Timed& timed) {
  std::printf(
      "%s: %d messages (%.1f MB of payload) in %.2f s: %.0f messages/s; %zu delivered, %zu to "
      "retry, %zu given up\n",
      what, count, outbox.payload_mb, timed.seconds,
      timed.seconds > 0 ? count / timed.seconds : 0.0, timed.report.delivered,
      timed.report.retrying, timed.report.dead);
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  CLI::App app{"bench_deliver: webhook and e-mail delivery from the outbox"};
  app.add_option("--webhooks", o.webhooks, "Webhook messages")->check(CLI::Range(0, 10000000));
  app.add_option("--emails", o.emails, "E-mail messages")->check(CLI::Range(0, 10000000));
  app.add_option("--dir", o.dir, "Directory for the databases and received mail");
  app.add_option("--smtp-sink", o.smtp_sink, "tests/notify/smtp_sink.py");
  CLI11_PARSE(app, argc, argv);
  const bool own_dir = o.dir.empty();
  if (own_dir) {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "tiendo-bench-deliver-XXXXXX").string();
    if (!::mkdtemp(pattern.data())) fail("mkdtemp failed");
    o.dir = pattern;
  }
  std::filesystem::create_directories(o.dir);
  // A receiver that stops mid-run must not kill the benchmark with SIGPIPE.
  std::signal(SIGPIPE, SIG_IGN);
  bool ok = true;

  WebhookReceiver receiver;
  const model::RuleSet rules = rule_set(receiver.url());
  notify::DeliverySettings settings;
  settings.transports.getenv = [](const char* name) -> const char* {
    return std::string_view(name) == kSecretEnv ? kSecret : nullptr;
  };
  settings.smtp_from = kFrom;

  if (o.webhooks > 0) {
    store::Database db = open_fresh(o.dir + "/webhooks.db");
    const Outbox outbox = build_outbox(db, rules, "hook", o.webhooks);
    const Timed timed = deliver(db, settings);
    print("webhooks", o.webhooks, outbox, timed);
    const std::set<std::string> got = receiver.ids();
    const std::set<std::string> sent(outbox.keys.begin(), outbox.keys.end());
    const bool all = got == sent && count_state(db, "delivered") == sent.size();
    std::printf("  receiver: %zu requests with a valid signature, %zu distinct ids, %zu bad: %s\n",
                receiver.requests(), got.size(), receiver.bad(),
                all ? "every message arrived once" : "MISMATCH");
    ok = ok && all && receiver.requests() == sent.size() && receiver.bad() == 0;
  }

  if (o.emails > 0) {
    tiendo::testing::SmtpSinkOptions sink_options;
    sink_options.directory = o.dir + "/mail";
    // Longer than any delivery run, after which the server would stop by itself.
    sink_options.lifetime = 3600s;
    sink_options.script = o.smtp_sink;
    tiendo::testing::SmtpSink sink(sink_options);
    if (sink.port() <= 0) fail("smtp_sink.py did not start (" + o.smtp_sink + ")");
    notify::SmtpSettings smtp;
    smtp.url = sink.url();
    smtp.require_starttls = false;
    smtp.username_env = "TIENDO_BENCH_NO_SMTP_USER";
    settings.smtp = smtp;
    store::Database db = open_fresh(o.dir + "/emails.db");
    const Outbox outbox = build_outbox(db, rules, "mail", o.emails);
    const Timed timed = deliver(db, settings);
    print("e-mail", o.emails, outbox, timed);
    std::multiset<std::string> expected;
    for (const std::string& key : outbox.keys) {
      expected.insert(fmt::format("<{}@{}>", key, kFromDomain));
    }
    const std::vector<std::string> ids = message_ids(sink);
    const std::multiset<std::string> got(ids.begin(), ids.end());
    const bool all = got == expected && count_state(db, "delivered") == expected.size();
    std::printf("  server: %zu messages saved: %s\n", ids.size(),
                all ? "every message arrived once, Message-IDs as expected" : "MISMATCH");
    ok = ok && all;
    sink.stop();
  }

  std::printf("peak memory: %.0f MB\n", tiendo::bench::peak_rss_mb());
  if (own_dir) std::filesystem::remove_all(o.dir);
  return ok ? 0 : 1;
}

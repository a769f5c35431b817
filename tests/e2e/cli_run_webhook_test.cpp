// End-to-end delivery by webhook: `tiendo run` and `tiendo deliver` against real HTTP
// receivers on 127.0.0.1 inside the test process, and the database read back with the
// SQLite C API. What is checked is what the outbox promises: every alert transition that
// notifies is carried by exactly one outbox row per channel (and every row carries some
// transition of its own run); a receiver that fails, hangs, goes away and comes back
// loses nothing; a deliverer killed with SIGKILL at any moment loses nothing; a message
// refused for good becomes a dead letter, and Retry-After is honoured.
//
// Every receiver runs in this process, so the test ignores SIGPIPE while it runs: a
// receiver whose client gave up (timed out, or was killed) would otherwise kill the test
// when it answers. The children get the default disposition back.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>
#include <spawn.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <functional>
#include <iterator>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "notify/outbox.hpp"
#include "notify/signature.hpp"
#include "run.hpp"
#include "support/child_process.hpp"
#include "support/latch.hpp"
#include "support/test_certificates.hpp"

extern "C" char** environ;

namespace tiendo::testing {
namespace {

using namespace std::chrono_literals;
using SteadyClock = std::chrono::steady_clock;
using Json = nlohmann::json;

// Two secrets, in the environment of every tiendo the tests start (run_tiendo and
// posix_spawn pass this process's environment on).
constexpr const char* kSecretVarA = "TIENDO_E2E_WEBHOOK_SECRET_A";
constexpr const char* kSecretVarB = "TIENDO_E2E_WEBHOOK_SECRET_B";

std::string secret_text(char seed) {
  std::string key(32, '\0');
  for (std::size_t i = 0; i < key.size(); ++i) key[i] = static_cast<char>(seed + 7 * i);
  return "whsec_" + notify::base64_encode(key);
}

notify::WebhookSecret secret_of(const std::string& text) {
  std::string error;
  const auto secret = notify::parse_webhook_secret(text, &error);
  EXPECT_TRUE(secret.has_value()) << error;
  return secret.value_or(notify::WebhookSecret{});
}

double seconds_since(SteadyClock::time_point start) {
  return std::chrono::duration<double>(SteadyClock::now() - start).count();
}

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The secrets set in the environment for as long as the object lives. Set before any
// receiver thread starts, so no thread reads the environment while it changes.
class SecretsInEnvironment {
 public:
  SecretsInEnvironment() {
    ::setenv(kSecretVarA, secret_text('a').c_str(), 1);
    ::setenv(kSecretVarB, secret_text('K').c_str(), 1);
  }
  ~SecretsInEnvironment() {
    ::unsetenv(kSecretVarA);
    ::unsetenv(kSecretVarB);
  }
  SecretsInEnvironment(const SecretsInEnvironment&) = delete;
  SecretsInEnvironment& operator=(const SecretsInEnvironment&) = delete;
};

// How a receiver answers one request.
struct Reply {
  int status = 200;
  std::chrono::milliseconds delay{0};  // before answering
  std::string retry_after;
};

// One request as a receiver saw it.
struct Received {
  std::string path;
  std::string id;  // webhook-id
  std::string timestamp;
  std::string signature;
  std::string body;
  int status = 0;  // what the receiver answered
  std::chrono::milliseconds delay{0};
  int generation = 0;            // the receiver's generation when the request arrived
  std::int64_t received_at = 0;  // Unix seconds
};

// The certificate chain and key of an HTTPS receiver.
struct ReceiverTls {
  std::string certificate, key;
};

// An HTTP receiver (HTTPS with `tls`) on 127.0.0.1 that answers POSTs to any path as
// `policy` says and records every request. It can be stopped (connections are then
// refused) and started again on the same port. `policy` runs on the server's worker
// threads.
class Receiver {
 public:
  using Policy = std::function<Reply(const httplib::Request&)>;
  explicit Receiver(Policy policy, std::optional<ReceiverTls> tls = std::nullopt)
      : policy_(std::move(policy)), tls_(std::move(tls)) {}
  ~Receiver() { stop(); }
  Receiver(const Receiver&) = delete;
  Receiver& operator=(const Receiver&) = delete;

  // Listens on `port`, or on a port the kernel picks when 0; false when it cannot.
  bool start(int port = 0) {
    stop();
    if (tls_) {
      server_ = std::make_unique<httplib::SSLServer>(tls_->certificate.c_str(), tls_->key.c_str());
      if (!server_->is_valid()) {
        server_.reset();
        return false;
      }
    } else {
      server_ = std::make_unique<httplib::Server>();
    }
    // One request per connection, so that no worker lingers in keep-alive at the end.
    server_->set_keep_alive_max_count(1);
    server_->Post(R"(/.*)", [this](const httplib::Request& request, httplib::Response& response) {
      handle(request, response);
    });
    if (port == 0) {
      port = server_->bind_to_any_port("127.0.0.1");
    } else if (!server_->bind_to_port("127.0.0.1", port)) {
      port = -1;
    }
    if (port <= 0) {
      server_.reset();
      return false;
    }
    port_ = port;
    finished_ = false;
    thread_ = std::thread([this] {
      server_->listen_after_bind();
      finished_ = true;
    });
    wait_until_running();
    return true;
  }

  // Stops listening (new connections are refused) and waits for the requests in hand.
  void stop() {
    if (!thread_.joinable()) return;
    // stop() before listen_after_bind has started does nothing, and join would hang.
    wait_until_running();
    server_->stop();
    thread_.join();
    server_.reset();
  }

  int port() const { return port_; }
  std::string url(const std::string& path) const {
    return (tls_ ? "https" : "http") + std::string("://127.0.0.1:") + std::to_string(port_) + path;
  }

  void set_generation(int generation) { generation_ = generation; }
  int arrivals(int generation) const {
    const std::lock_guard lock(mutex_);
    const auto found = arrivals_.find(generation);
    return found == arrivals_.end() ? 0 : found->second;
  }
  // Waits until `count` requests of `generation` have arrived (answered or not); false
  // when `bound` passes first.
  bool wait_for_arrivals(int generation, int count, std::chrono::milliseconds bound) const {
    std::unique_lock lock(mutex_);
    return arrived_.wait_for(lock, bound, [&] {
      const auto found = arrivals_.find(generation);
      return found != arrivals_.end() && found->second >= count;
    });
  }
  // When the first request of `generation` arrived.
  std::optional<SteadyClock::time_point> first_arrival(int generation) const {
    const std::lock_guard lock(mutex_);
    const auto found = first_arrival_.find(generation);
    if (found == first_arrival_.end()) return std::nullopt;
    return found->second;
  }
  std::vector<Received> received() const {
    const std::lock_guard lock(mutex_);
    return received_;
  }

 private:
  void handle(const httplib::Request& request, httplib::Response& response) {
    Received seen;
    seen.generation = generation_;
    seen.received_at = unix_now();
    {
      const std::lock_guard lock(mutex_);
      ++arrivals_[seen.generation];
      first_arrival_.emplace(seen.generation, SteadyClock::now());
    }
    arrived_.notify_all();
    const Reply reply = policy_(request);
    if (reply.delay > 0ms) std::this_thread::sleep_for(reply.delay);
    response.status = reply.status;
    if (!reply.retry_after.empty()) response.set_header("Retry-After", reply.retry_after);
    response.set_content(reply.status < 300 ? "ok" : "not now", "text/plain");
    seen.path = request.path;
    seen.id = request.get_header_value("webhook-id");
    seen.timestamp = request.get_header_value("webhook-timestamp");
    seen.signature = request.get_header_value("webhook-signature");
    seen.body = request.body;
    seen.status = reply.status;
    seen.delay = reply.delay;
    const std::lock_guard lock(mutex_);
    received_.push_back(std::move(seen));
  }

  void wait_until_running() const {
    for (int i = 0; i < 2000 && !server_->is_running() && !finished_; ++i) {
      std::this_thread::sleep_for(1ms);
    }
  }

  Policy policy_;
  std::optional<ReceiverTls> tls_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  std::atomic<bool> finished_ = false;
  std::atomic<int> generation_ = 0;
  int port_ = -1;
  mutable std::mutex mutex_;
  mutable std::condition_variable arrived_;
  std::vector<Received> received_;
  std::map<int, int> arrivals_;
  std::map<int, SteadyClock::time_point> first_arrival_;
};

// The database file, read with the SQLite C API (the way any other program would).
using Row = std::vector<std::optional<std::string>>;

class SqliteFile {
 public:
  explicit SqliteFile(const std::string& path) {
    if (sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK) {
      ADD_FAILURE() << "cannot open " << path << ": " << sqlite3_errmsg(db_);
    }
    sqlite3_busy_timeout(db_, 5000);
  }
  ~SqliteFile() { sqlite3_close(db_); }
  SqliteFile(const SqliteFile&) = delete;
  SqliteFile& operator=(const SqliteFile&) = delete;

  std::vector<Row> rows(const std::string& sql) {
    std::vector<Row> out;
    sqlite3_stmt* statement = nullptr;
    if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &statement, nullptr) != SQLITE_OK) {
      ADD_FAILURE() << sql << ": " << sqlite3_errmsg(db_);
      return out;
    }
    int rc = SQLITE_OK;
    while ((rc = sqlite3_step(statement)) == SQLITE_ROW) {
      Row row;
      for (int i = 0; i < sqlite3_column_count(statement); ++i) {
        if (sqlite3_column_type(statement, i) == SQLITE_NULL) {
          row.emplace_back();
          continue;
        }
        const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(statement, i));
        row.emplace_back(
            std::string(text, static_cast<std::size_t>(sqlite3_column_bytes(statement, i))));
      }
      out.push_back(std::move(row));
    }
    if (rc != SQLITE_DONE) ADD_FAILURE() << sql << ": " << sqlite3_errmsg(db_);
    sqlite3_finalize(statement);
    return out;
  }

  std::int64_t number(const std::string& sql) {
    const std::vector<Row> result = rows(sql);
    if (result.empty() || result[0].empty() || !result[0][0]) {
      ADD_FAILURE() << sql << ": no value";
      return -1;
    }
    return std::stoll(*result[0][0]);
  }

  // "ok" when PRAGMA integrity_check and PRAGMA foreign_key_check find nothing.
  std::string check() {
    std::string out;
    for (const Row& row : rows("PRAGMA integrity_check")) out += row[0].value_or("NULL") + "\n";
    if (out != "ok\n") return out;
    if (!rows("PRAGMA foreign_key_check").empty()) return "foreign_key_check finds rows";
    return "ok";
  }

 private:
  sqlite3* db_ = nullptr;
};

std::string text(const std::optional<std::string>& value) { return value.value_or("NULL"); }

std::int64_t outbox_count(const std::string& db, const std::string& state) {
  SqliteFile file(db);
  return file.number("SELECT count(*) FROM outbox WHERE state = '" + state + "'");
}

// Waits until the earliest ("min") or the latest ("max") pending row of `db` is due: the
// time the outbox itself gives its next attempt. At once when nothing is pending.
void wait_until_due(const std::string& db, const std::string& which) {
  SqliteFile file(db);
  const std::vector<Row> rows =
      file.rows("SELECT " + which + "(next_attempt_at) FROM outbox WHERE state = 'pending'");
  if (rows.empty() || rows[0].empty() || !rows[0][0]) return;
  const auto due = notify::parse_utc(*rows[0][0]);
  ASSERT_TRUE(due.has_value()) << "next_attempt_at " << *rows[0][0];
  std::this_thread::sleep_until(*due);
}

// The body stored for each idempotency key (what every attempt must send).
std::map<std::string, std::string> stored_bodies(const std::string& db) {
  SqliteFile file(db);
  std::map<std::string, std::string> out;
  for (const Row& row : file.rows("SELECT idempotency_key, payload FROM outbox")) {
    const Json payload = Json::parse(text(row[1]), nullptr, false);
    out[text(row[0])] = payload.is_object() ? payload.value("body", "") : "";
  }
  return out;
}

// The links between transitions and outbox rows, as the outbox promises them.
void expect_every_transition_carried(const std::string& db, const std::string& when) {
  SqliteFile file(db);
  struct Transition {
    std::int64_t run_id = 0;
    std::optional<std::string> notify;
    std::vector<std::string> channels;
  };
  struct OutboxRow {
    std::int64_t run_id = 0;
    std::string channel;
  };
  std::map<std::int64_t, Transition> transitions;
  for (const Row& row : file.rows("SELECT id, run_id, notify, channels FROM transitions")) {
    Transition t;
    t.run_id = std::stoll(text(row[1]));
    t.notify = row[2];
    const Json channels = Json::parse(text(row[3]), nullptr, false);
    EXPECT_TRUE(channels.is_array())
        << when << ": transition " << text(row[0]) << " channels " << text(row[3]);
    if (channels.is_array()) {
      for (const Json& c : channels)
        t.channels.push_back(c.is_string() ? c.get<std::string>() : "?");
    }
    transitions[std::stoll(text(row[0]))] = std::move(t);
  }
  std::map<std::int64_t, OutboxRow> outbox;
  for (const Row& row : file.rows("SELECT id, coalesce(run_id, 0), channel FROM outbox")) {
    outbox[std::stoll(text(row[0]))] = {std::stoll(text(row[1])), text(row[2])};
  }
  std::map<std::int64_t, std::vector<std::int64_t>> links_of_transition;
  std::map<std::int64_t, int> links_of_outbox;
  for (const Row& row : file.rows("SELECT outbox_id, transition_id FROM outbox_transitions")) {
    const std::int64_t outbox_id = std::stoll(text(row[0]));
    const std::int64_t transition_id = std::stoll(text(row[1]));
    const auto o = outbox.find(outbox_id);
    const auto t = transitions.find(transition_id);
    if (o == outbox.end() || t == transitions.end()) {
      ADD_FAILURE() << when << ": link " << outbox_id << " -> " << transition_id
                    << " names a missing row";
      continue;
    }
    EXPECT_EQ(o->second.run_id, t->second.run_id)
        << when << ": outbox row " << outbox_id << " links transition " << transition_id
        << " of another run";
    links_of_transition[transition_id].push_back(outbox_id);
    ++links_of_outbox[outbox_id];
  }
  for (const auto& [id, t] : transitions) {
    const std::vector<std::int64_t>& links = links_of_transition[id];
    if (!t.notify) {
      EXPECT_TRUE(t.channels.empty()) << when << ": transition " << id << " notifies no one";
      EXPECT_TRUE(links.empty()) << when << ": transition " << id << " notifies no one";
      continue;
    }
    EXPECT_FALSE(t.channels.empty())
        << when << ": transition " << id << " (" << *t.notify << ") has no channel";
    EXPECT_EQ(std::set<std::string>(t.channels.begin(), t.channels.end()).size(), t.channels.size())
        << when << ": transition " << id << " names a channel twice";
    for (const std::string& channel : t.channels) {
      const auto on_channel = std::count_if(
          links.begin(), links.end(), [&](std::int64_t o) { return outbox[o].channel == channel; });
      EXPECT_EQ(on_channel, 1) << when << ": transition " << id << " (" << *t.notify
                               << ") on channel " << channel;
    }
    EXPECT_EQ(links.size(), t.channels.size())
        << when << ": transition " << id << " is linked to a channel it does not name";
  }
  for (const auto& [id, o] : outbox) {
    EXPECT_GE(links_of_outbox[id], 1) << when << ": outbox row " << id << " (" << o.channel
                                      << ", run " << o.run_id << ") carries no transition";
  }
}

// Every table a run writes, as text: a dry run must leave it as it was.
std::string recorded_state(const std::string& db) {
  SqliteFile file(db);
  std::string out;
  for (const char* table : {"runs", "result_spans", "result_details", "alerts", "transitions",
                            "outbox", "outbox_transitions"}) {
    const std::vector<Row> rows =
        file.rows(std::string("SELECT * FROM ") + table + " ORDER BY 1, 2");
    out += std::string(table) + ": " + std::to_string(rows.size()) + " rows\n";
    for (const Row& row : rows) {
      for (const auto& value : row) out += text(value) + "|";
      out += "\n";
    }
  }
  return out;
}

// Every received request carries exactly the stored body of its webhook-id, signed with
// its channel's secret (`secret_for`), or unsigned when the channel has none.
void expect_authentic(
    const std::vector<Received>& received, const std::map<std::string, std::string>& bodies,
    const std::function<std::optional<notify::WebhookSecret>(const Received&)>& secret_for) {
  for (const Received& r : received) {
    const auto body = bodies.find(r.id);
    if (body == bodies.end()) {
      ADD_FAILURE() << "received webhook-id '" << r.id << "' is not in the outbox";
      continue;
    }
    EXPECT_EQ(r.body, body->second) << r.id;
    const auto secret = secret_for(r);
    if (!secret) {
      EXPECT_EQ(r.signature, "") << r.id << " is signed although its channel has no secret";
      continue;
    }
    EXPECT_EQ(
        notify::verify_webhook(*secret, r.id, r.timestamp, r.signature, r.body, r.received_at),
        notify::WebhookCheck::ok)
        << r.id << " at " << r.path << ": timestamp " << r.timestamp << ", signature "
        << r.signature;
  }
}

std::string units_csv() { return "unit,name,level,parent\np,Tỉnh P,province,\n"; }

// A rule set whose one rule (at the province) notifies every one of `channels`, with the
// alert repeated every day, so that each run on a new day queues one message per channel.
std::string repeating_rules(const Receiver& receiver, int channels) {
  std::string rules =
      "levels province > district\n"
      "indicator x { title \"X\" unit number }\n";
  std::string names;
  for (int c = 1; c <= channels; ++c) {
    const std::string name = "hook" + std::to_string(c);
    rules += "channel " + name + " { webhook \"" + receiver.url("/" + name) + "\" secret env \"" +
             (c % 2 == 1 ? kSecretVarA : kSecretVarB) + "\" }\n";
    names += (c == 1 ? "" : ", ") + name;
  }
  rules += "rule x_floor { require x >= 50 repeat every 1d notify " + names + " }\n";
  return rules;
}

notify::WebhookSecret repeating_secret(const Received& r) {
  // /hookN: odd N signs with A, even with B.
  const int n = std::atoi(r.path.c_str() + std::strlen("/hook"));
  return secret_of(secret_text(n % 2 == 1 ? 'a' : 'K'));
}

// A database with the units, one failing observation and `runs` runs on successive days.
void make_repeating_outbox(const TempDir& dir, const std::string& db, const std::string& rules,
                           int runs, const std::string& delivery) {
  write_text(dir.path() + "/rules.rules", rules);
  write_text(dir.path() + "/units.csv", units_csv());
  write_text(dir.path() + "/x.csv", "indicator,unit,period,value\nx,p,2024-01,10\n");
  const RunResult ingest = run_tiendo(
      "ingest --db " + shell_quote(db) + " --rules rules.rules units.csv x.csv", dir.path());
  ASSERT_EQ(ingest.exit_code, 0) << ingest.err;
  for (int day = 1; day <= runs; ++day) {
    const RunResult run =
        run_tiendo("run --db " + shell_quote(db) + " --rules rules.rules --at 2024-02-0" +
                       std::to_string(day) + delivery,
                   dir.path());
    ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
  }
}

// ---------------------------------------------------------------------------------------

TEST(RunWebhook, EveryTransitionHasItsOutboxRowsAndEveryRowItsTransition) {
  const SigpipeIgnored sigpipe;
  const SecretsInEnvironment secrets;
  Receiver receiver([](const httplib::Request&) { return Reply{}; });
  ASSERT_TRUE(receiver.start());
  TempDir dir;
  const std::string db = dir.path() + "/tiendo.db";
  write_text(dir.path() + "/rules.rules",
             "levels province > district\n"
             "indicator x { title \"X\" unit number stale after 45d }\n"
             "indicator y { title \"Y\" unit number }\n"
             "channel ops { webhook \"" +
                 receiver.url("/ops") + "\" secret env \"" + kSecretVarA +
                 "\" }\n"
                 "channel board { webhook \"" +
                 receiver.url("/board") +
                 "\" }\n"
                 // Both channels; a repeat after a week.
                 "rule x_floor { require x >= 50 for each district repeat every 7d notify ops, "
                 "board }\n"
                 // A deadline: at_risk (warning) before it, missed (critical) after.
                 "rule y_target { require y >= 100 by 2024-06-30 for each district warn within "
                 "30d notify ops }\n"
                 // Pending for ten days before it fires.
                 "rule x_slow { require x >= 20 for each district for 10d notify board }\n"
                 // No channel and no `default`: transitions that notify no one.
                 "rule quiet { require x >= 60 for each district }\n");
  write_text(dir.path() + "/units.csv",
             "unit,name,level,parent\np,P,province,\nd1,D1,district,p\nd2,D2,district,p\n"
             "d3,D3,district,p\n");
  const auto ingest = [&](const std::string& name, const std::string& rows) {
    write_text(dir.path() + "/" + name, "indicator,unit,period,value\n" + rows);
    const RunResult result = run_tiendo(
        "ingest --db " + shell_quote(db) + " --rules rules.rules units.csv " + name, dir.path());
    ASSERT_EQ(result.exit_code, 0) << result.err;
  };
  const std::string delivery =
      " --retry-initial 1s --retry-max 2s --timeout 5s --connect-timeout 2s";
  std::set<std::string> kinds;
  const auto run_at = [&](const std::string& at) {
    const RunResult run = run_tiendo(
        "run --db " + shell_quote(db) + " --rules rules.rules --format json --at " + at + delivery,
        dir.path());
    ASSERT_EQ(run.exit_code, 0) << run.err;
    const Json summary = Json::parse(run.out, nullptr, false);
    ASSERT_TRUE(summary.is_object()) << run.out;
    SqliteFile file(db);
    const std::int64_t run_id = summary["run_id"].get<std::int64_t>();
    EXPECT_EQ(file.number("SELECT count(*) FROM outbox WHERE run_id = " + std::to_string(run_id)),
              summary["messages"].get<std::int64_t>())
        << at;
    // The receiver answers 200: everything is delivered by the run itself.
    EXPECT_EQ(summary["delivery"]["delivered"], summary["messages"]) << at << "\n" << run.err;
    EXPECT_EQ(file.number("SELECT count(*) FROM outbox WHERE state != 'delivered'"), 0) << at;
    for (const Row& row : file.rows("SELECT DISTINCT notify FROM transitions WHERE run_id = " +
                                    std::to_string(run_id) + " AND notify IS NOT NULL")) {
      kinds.insert(text(row[0]));
    }
    expect_every_transition_carried(db, "after the run at " + at);
  };

  // January: d1 and d3 below every floor and y target; d2 fine.
  ASSERT_NO_FATAL_FAILURE(ingest("jan.csv",
                                 "x,d1,2024-01,40\nx,d2,2024-01,60\nx,d3,2024-01,30\n"
                                 "y,d1,2024-01,50\ny,d2,2024-01,120\ny,d3,2024-01,90\n"));
  ASSERT_NO_FATAL_FAILURE(run_at("2024-02-10"));  // fired
  ASSERT_NO_FATAL_FAILURE(run_at("2024-02-12"));  // nothing new
  // d1 recovers (resolved), d2 falls (fired; x_slow pending), d3 still fails (repeated).
  ASSERT_NO_FATAL_FAILURE(ingest("feb.csv",
                                 "x,d1,2024-02-15,70\nx,d2,2024-02-15,10\n"
                                 "x,d3,2024-02-15,20\n"));
  ASSERT_NO_FATAL_FAILURE(run_at("2024-02-20"));

  // A dry run after the deadline computes everything and records nothing.
  const std::string before = recorded_state(db);
  const std::size_t received_before = receiver.received().size();
  const RunResult dry = run_tiendo(
      "run --db " + shell_quote(db) + " --rules rules.rules --dry-run --at 2024-07-05" + delivery,
      dir.path());
  ASSERT_EQ(dry.exit_code, 0) << dry.err;
  EXPECT_NE(dry.out.find("nothing recorded"), std::string::npos) << dry.out;
  EXPECT_NE(dry.out.find("== ops (POST"), std::string::npos) << dry.out;
  EXPECT_EQ(recorded_state(db), before);
  EXPECT_EQ(receiver.received().size(), received_before);

  // After the deadline: y is missed and x stale (changed); x_slow fires at last.
  ASSERT_NO_FATAL_FAILURE(run_at("2024-07-05"));
  // Everything recovers (resolved).
  ASSERT_NO_FATAL_FAILURE(ingest("jul.csv",
                                 "x,d1,2024-07-08,80\nx,d2,2024-07-08,80\n"
                                 "x,d3,2024-07-08,80\ny,d1,2024-07-08,150\n"
                                 "y,d2,2024-07-08,150\ny,d3,2024-07-08,150\n"));
  ASSERT_NO_FATAL_FAILURE(run_at("2024-07-10"));

  EXPECT_EQ(kinds, (std::set<std::string>{"changed", "fired", "repeated", "resolved"}));
  SqliteFile file(db);
  EXPECT_GT(file.number("SELECT count(*) FROM transitions WHERE notify IS NULL"), 0);
  EXPECT_EQ(file.number("SELECT count(*) FROM alerts WHERE lifecycle != 'resolved'"), 0);

  receiver.stop();
  const std::vector<Received> received = receiver.received();
  std::multiset<std::string> ids;
  for (const Received& r : received) ids.insert(r.id);
  const auto bodies = stored_bodies(db);
  EXPECT_EQ(ids.size(), bodies.size());
  for (const auto& [key, body] : bodies) EXPECT_EQ(ids.count(key), 1u) << key;
  const notify::WebhookSecret ops = secret_of(secret_text('a'));
  expect_authentic(received, bodies, [&](const Received& r) {
    return r.path == "/ops" ? std::optional(ops) : std::nullopt;
  });
}

// A rule that names a channel twice gets one outbox row on it, one link, and its alert
// once in the message. (It used to make every `tiendo run` fail: the second link broke
// the outbox_transitions primary key and rolled the whole run back.)
TEST(RunWebhook, AChannelNamedTwiceInNotifyIsOneMessageAndOneLink) {
  const SigpipeIgnored sigpipe;
  Receiver receiver([](const httplib::Request&) { return Reply{}; });
  ASSERT_TRUE(receiver.start());
  TempDir dir;
  const std::string db = dir.path() + "/tiendo.db";
  write_text(dir.path() + "/rules.rules",
             "levels province\nindicator x { title \"X\" unit number }\n"
             "channel ops { webhook \"" +
                 receiver.url("/ops") +
                 "\" }\n"
                 "rule x_floor { require x >= 50 notify ops, ops }\n");
  write_text(dir.path() + "/units.csv", units_csv());
  write_text(dir.path() + "/x.csv", "indicator,unit,period,value\nx,p,2024-01,10\n");
  const RunResult ingest = run_tiendo(
      "ingest --db " + shell_quote(db) + " --rules rules.rules units.csv x.csv", dir.path());
  ASSERT_EQ(ingest.exit_code, 0) << ingest.err;
  const RunResult run = run_tiendo(
      "run --db " + shell_quote(db) + " --rules rules.rules --at 2024-02-01 --format json",
      dir.path());
  ASSERT_EQ(run.exit_code, 0) << run.err;
  expect_every_transition_carried(db, "after the run");
  SqliteFile file(db);
  EXPECT_EQ(file.number("SELECT count(*) FROM outbox"), 1);
  EXPECT_EQ(file.number("SELECT count(*) FROM outbox_transitions"), 1);
  const std::vector<Row> channels = file.rows("SELECT channels FROM transitions");
  ASSERT_EQ(channels.size(), 1u);
  EXPECT_EQ(text(channels[0][0]), R"(["ops"])");
  receiver.stop();
  const std::vector<Received> received = receiver.received();
  ASSERT_EQ(received.size(), 1u);
  const Json body = Json::parse(received[0].body, nullptr, false);
  ASSERT_TRUE(body.is_object()) << received[0].body;
  EXPECT_EQ(body["alerts"].size(), 1u) << body.dump(2);
  EXPECT_EQ(body["summary"]["fired"], 1);
}

// Delivery over HTTPS: the receiver's certificate comes from an authority made for this
// test, which only --ca-file makes tiendo trust. Without it the message waits, the
// certificate named as the reason, and nothing reaches the receiver; with it, the
// message is delivered, signed over exactly the stored body.
TEST(RunWebhook, HttpsDeliveryTrustsTheCaFileAndNothingElse) {
  const SigpipeIgnored sigpipe;
  const SecretsInEnvironment secrets;
  const TestCa certificates;
  ASSERT_TRUE(certificates.made()) << certificates.error();
  TempDir dir;
  Receiver receiver([](const httplib::Request&) { return Reply{}; },
                    ReceiverTls{certificates->certificate, certificates->key});
  ASSERT_TRUE(receiver.start()) << "the HTTPS receiver does not start";
  ASSERT_EQ(receiver.url("/hook1").rfind("https://127.0.0.1:", 0), 0u);
  const std::string delivery = " --retry-initial 1s --retry-max 2s --timeout 5s";
  const auto run_with = [&](const std::string& name, const std::string& options) {
    const std::string db = dir.path() + "/" + name + ".db";
    make_repeating_outbox(dir, db, repeating_rules(receiver, 1), 1, delivery + options);
    return db;
  };

  const std::string untrusted = run_with("untrusted", "");
  EXPECT_EQ(outbox_count(untrusted, "pending"), 1);
  EXPECT_TRUE(receiver.received().empty());
  {
    SqliteFile file(untrusted);
    const std::vector<Row> rows = file.rows("SELECT last_error FROM outbox");
    ASSERT_EQ(rows.size(), 1u);
    EXPECT_NE(text(rows[0][0]).find("certificate"), std::string::npos) << text(rows[0][0]);
  }

  const std::string trusted = run_with("trusted", " --ca-file " + shell_quote(certificates->ca));
  EXPECT_EQ(outbox_count(trusted, "delivered"), 1);
  receiver.stop();
  const std::vector<Received> received = receiver.received();
  ASSERT_EQ(received.size(), 1u);
  EXPECT_EQ(received[0].status, 200);
  expect_authentic(received, stored_bodies(trusted),
                   [](const Received& r) { return std::optional(repeating_secret(r)); });

  // A CA file that cannot be read is a usage error, not a TLS failure at each attempt.
  const RunResult missing = run_tiendo("deliver --db " + shell_quote(untrusted) + " --ca-file " +
                                           shell_quote(dir.path() + "/no.pem"),
                                       dir.path());
  EXPECT_NE(missing.exit_code, 0);
  EXPECT_NE(missing.err.find("--ca-file: cannot read"), std::string::npos) << missing.err;
}

// The receiver answers 500, then hangs past the client's timeout, then is gone
// (connections refused), then recovers: `tiendo deliver`, called again and again,
// delivers every message, each signed over exactly the stored body. Each phase lasts
// until what it is for has been seen (a timeout in deliver's output, a refused
// connection), however fast or slow the machine; between calls the test waits for the
// time the outbox gives the next attempt.
TEST(RunWebhook, AFailingReceiverLosesNothing) {
  const SigpipeIgnored sigpipe;
  const SecretsInEnvironment secrets;
  const auto test_started = SteadyClock::now();
  constexpr int kChannels = 4;
  constexpr int kRuns = 3;
  constexpr auto kHang = 1500ms;  // longer than --timeout 1s
  std::atomic<bool> hanging = false, recovered = false;
  Receiver receiver([&](const httplib::Request&) {
    if (recovered) return Reply{200, 0ms, ""};
    if (hanging) return Reply{503, kHang, ""};
    return Reply{500, 0ms, ""};
  });
  ASSERT_TRUE(receiver.start());
  const int port = receiver.port();
  TempDir dir;
  const std::string db = dir.path() + "/tiendo.db";
  const std::string delivery =
      " --retry-initial 1s --retry-max 2s --timeout 1s --connect-timeout 1s";
  // The runs' own delivery meets the 500s.
  ASSERT_NO_FATAL_FAILURE(
      make_repeating_outbox(dir, db, repeating_rules(receiver, kChannels), kRuns, delivery));
  ASSERT_EQ(outbox_count(db, "pending"), kChannels * kRuns);

  hanging = true;
  enum class Phase { hang, down, up } phase = Phase::hang;
  const auto started = SteadyClock::now();
  bool restarted = false;
  int calls = 0;
  std::string log;
  std::int64_t pending = -1;
  while (SteadyClock::now() - started < 120s) {
    ASSERT_NO_FATAL_FAILURE(wait_until_due(db, "min"));
    const RunResult deliver = run_tiendo("deliver --db " + shell_quote(db) + delivery, dir.path());
    ++calls;
    log += deliver.err;
    if (deliver.exit_code != 0) {
      ADD_FAILURE() << "tiendo deliver: exit " << deliver.exit_code << "\n" << deliver.err;
      break;
    }
    if (phase == Phase::hang && deliver.err.find("timed out") != std::string::npos) {
      receiver.stop();
      phase = Phase::down;
    } else if (phase == Phase::down && deliver.err.find("Couldn't connect") != std::string::npos) {
      recovered = true;
      restarted = receiver.start(port);
      phase = Phase::up;
      if (!restarted) break;
    }
    pending = outbox_count(db, "pending");
    if (pending == 0) break;
  }
  const double delivering = seconds_since(started);
  receiver.stop();
  ASSERT_TRUE(phase != Phase::up || restarted) << "port " << port << " could not be bound again";
  EXPECT_TRUE(phase == Phase::up)
      << "the receiver never came back: deliver did not report a timeout, then a refused "
         "connection, while messages were pending\n"
      << log;

  EXPECT_EQ(pending, 0) << log;
  EXPECT_EQ(outbox_count(db, "dead"), 0) << log;
  EXPECT_EQ(outbox_count(db, "delivered"), kChannels * kRuns) << log;

  const std::vector<Received> received = receiver.received();
  const auto bodies = stored_bodies(db);
  ASSERT_EQ(bodies.size(), static_cast<std::size_t>(kChannels * kRuns));
  std::map<int, int> by_status;
  std::set<std::string> arrived, accepted;
  int hung = 0;
  for (const Received& r : received) {
    ++by_status[r.status];
    arrived.insert(r.id);
    if (r.status == 200) accepted.insert(r.id);
    if (r.delay > 0ms) ++hung;
  }
  for (const auto& [key, body] : bodies) {
    EXPECT_TRUE(arrived.count(key)) << key << " never arrived";
    EXPECT_TRUE(accepted.count(key)) << key << " was never answered 200";
  }
  expect_authentic(received, bodies,
                   [](const Received& r) { return std::optional(repeating_secret(r)); });
  // Each part of the schedule was met.
  EXPECT_GT(by_status[500], 0);
  EXPECT_GT(hung, 0);
  EXPECT_NE(log.find("timed out"), std::string::npos) << log;
  EXPECT_NE(log.find("Couldn't connect"), std::string::npos) << log;
  std::printf(
      "%d messages: %zu requests (%d answered 500, %d hung past the timeout, %d answered 200), "
      "%d deliver calls over %.1f s; %.1f s in all\n",
      kChannels * kRuns, received.size(), by_status[500], hung, by_status[200], calls, delivering,
      seconds_since(test_started));
}

// ---------------------------------------------------------------------------------------
// SIGKILL during delivery.

struct Child {
  pid_t pid = -1;
  SteadyClock::time_point started;
};

// Starts `tiendo ARGS...` with its output appended to `log`, SIGPIPE back to default.
Child spawn_tiendo(const std::vector<std::string>& args, const std::string& log) {
  std::vector<std::string> all = {TIENDO_BINARY};
  all.insert(all.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& arg : all) argv.push_back(arg.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log.c_str(),
                                   O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  sigset_t defaults;
  sigemptyset(&defaults);
  sigaddset(&defaults, SIGPIPE);
  posix_spawnattr_setsigdefault(&attributes, &defaults);
  posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSIGDEF);
  Child child;
  child.started = SteadyClock::now();
  const int rc =
      posix_spawn(&child.pid, TIENDO_BINARY, &actions, &attributes, argv.data(), environ);
  posix_spawnattr_destroy(&attributes);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    ADD_FAILURE() << "posix_spawn " << TIENDO_BINARY << ": " << std::strerror(rc);
    child.pid = -1;
  }
  return child;
}

// Waits for `pid`, killing it if it takes longer than `limit`; the wait status.
int wait_bounded(pid_t pid, std::chrono::milliseconds limit, bool* overran = nullptr) {
  const auto deadline = SteadyClock::now() + limit;
  int status = 0;
  for (;;) {
    const pid_t done = ::waitpid(pid, &status, WNOHANG);
    if (done == pid || (done < 0 && errno != EINTR)) return status;
    if (SteadyClock::now() > deadline) {
      if (overran) *overran = true;
      ::kill(pid, SIGKILL);
      while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
      }
      return status;
    }
    std::this_thread::sleep_for(2ms);
  }
}

std::string describe(int status) {
  if (WIFEXITED(status)) return "exit " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return "signal " + std::to_string(WTERMSIG(status));
  return "status " + std::to_string(status);
}

void copy_database(const std::string& from, const std::string& to) {
  namespace fs = std::filesystem;
  for (const char* suffix : {"", "-wal", "-shm"}) {
    fs::remove(to + suffix);
    if (fs::exists(from + suffix)) {
      fs::copy_file(from + suffix, to + suffix, fs::copy_options::overwrite_existing);
    }
  }
}

// Where the kills land: first on evidence, then at random times. A kill on evidence
// waits for the arrival of request k at the receiver, which holds its answer until the
// deliverer is dead: killed with that request in flight and its outcome unknown to it,
// the state at-least-once delivery is for, whatever the machine's speed. Then exactly the
// k - 1 answered messages are recorded delivered, and the restart sends the k-th again.
// k is the first, the middle and the last message. The random kills are stratified as in
// the ingest crash test: the first kEarly over the short time before the first request
// (start-up, opening the database, the first query), the others over the rest of 1.1
// times one uncrashed delivery; each at a random moment of its part. Whenever the kill
// lands, no message is recorded delivered that the receiver did not get, and a request
// in flight is sent again.
TEST(RunWebhook, SigkillDuringDeliveryLosesNothing) {
  const SigpipeIgnored sigpipe;
  const SecretsInEnvironment secrets;
  const auto test_started = SteadyClock::now();
  constexpr int kChannels = 8;
  constexpr int kRuns = 3;
  constexpr int kMessages = kChannels * kRuns;
  constexpr int kTriggers[] = {1, kMessages / 2, kMessages};
  constexpr int kTriggered = static_cast<int>(std::size(kTriggers));
  constexpr int kRandom = 20;
  constexpr int kEarly = 4;
  // While the outbox is made the receiver answers 503 at once, so the runs leave every
  // message pending; then each request takes 50–150 ms, so that delivery takes a while.
  // In an attempt killed on evidence, request `hold_at` waits for `killed` first.
  std::atomic<bool> slow = false;
  std::atomic<int> seen = 0, hold_at = 0;
  Latch killed;
  std::mutex random_mutex;
  std::mt19937 delays(1128);
  Receiver receiver([&](const httplib::Request&) {
    if (!slow) return Reply{503, 0ms, ""};
    if (++seen == hold_at) killed.wait(60s);
    const std::lock_guard lock(random_mutex);
    return Reply{200, std::chrono::milliseconds(50 + delays() % 101), ""};
  });
  ASSERT_TRUE(receiver.start());
  TempDir dir;
  const std::string templ = dir.path() + "/template.db";
  const std::string delivery =
      " --retry-initial 1s --retry-max 2s --timeout 5s --connect-timeout 2s";
  ASSERT_NO_FATAL_FAILURE(
      make_repeating_outbox(dir, templ, repeating_rules(receiver, kChannels), kRuns, delivery));
  ASSERT_EQ(outbox_count(templ, "pending"), kMessages);
  std::set<std::string> keys;
  for (const auto& [key, body] : stored_bodies(templ)) keys.insert(key);
  // The runs' attempts put the next ones a second or two ahead: every one is due from the
  // latest of them on, in every copy of the template.
  ASSERT_NO_FATAL_FAILURE(wait_until_due(templ, "max"));
  slow = true;

  const std::string db = dir.path() + "/tiendo.db";
  const std::string log = dir.path() + "/deliver.log";
  const std::vector<std::string> deliver = {
      "deliver", "--db", db, "--retry-initial", "1s", "--retry-max", "2s", "--timeout", "5s"};
  // One uncrashed delivery, to know how long one takes.
  receiver.set_generation(-1);
  copy_database(templ, db);
  const Child measured = spawn_tiendo(deliver, log);
  ASSERT_GT(measured.pid, 0);
  bool overran = false;
  const int measured_status = wait_bounded(measured.pid, 30s, &overran);
  const double one_run = seconds_since(measured.started);
  ASSERT_FALSE(overran) << read_text(log);
  ASSERT_EQ(describe(measured_status), "exit 0") << read_text(log);
  ASSERT_EQ(outbox_count(db, "delivered"), kMessages) << read_text(log);
  const auto first_request = receiver.first_arrival(-1);
  ASSERT_TRUE(first_request.has_value());
  const double sending_from =
      std::chrono::duration<double>(*first_request - measured.started).count();
  const double span = 1.1 * one_run;
  std::printf("one uncrashed delivery of %d messages: %.2f s, the first request at %.3f s\n",
              kMessages, one_run, sending_from);

  std::mt19937 random(20240210);
  std::uniform_real_distribution<double> within(0, 1);
  int before_sending = 0, during = 0, in_flight = 0, after = 0, finished = 0;
  std::size_t duplicates = 0;
  for (int attempt = 1; attempt <= kTriggered + kRandom; ++attempt) {
    SCOPED_TRACE("attempt " + std::to_string(attempt));
    copy_database(templ, db);
    receiver.set_generation(attempt);
    const int held = attempt <= kTriggered ? kTriggers[attempt - 1] : 0;
    seen = 0;
    hold_at = held;
    killed.reset();
    const Child child = spawn_tiendo(deliver, log);
    ASSERT_GT(child.pid, 0);
    std::string when;
    if (held > 0) {
      // Bounded: a deliverer that never sends `held` requests is killed all the same.
      const bool arrived = receiver.wait_for_arrivals(attempt, held, 60s);
      EXPECT_TRUE(arrived) << "request " << held << " never came";
      when = "at the arrival of request " + std::to_string(held);
    } else {
      const int n = attempt - kTriggered;
      const bool early = n <= kEarly;
      const double from = early ? 0 : sending_from;
      const double to = early ? sending_from : span;
      const int part = early ? n - 1 : n - 1 - kEarly;
      const int parts = early ? kEarly : kRandom - kEarly;
      const double kill_at = from + (to - from) * (part + within(random)) / parts;
      std::this_thread::sleep_until(child.started + std::chrono::duration<double>(kill_at));
      when = "at " + std::to_string(kill_at).substr(0, 5) + " s";
    }
    ::kill(child.pid, SIGKILL);
    const double killed_after = seconds_since(child.started);
    const int status = wait_bounded(child.pid, 10s);
    killed.open();  // the held request may be answered now, to nobody
    const bool was_killed = WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
    ASSERT_TRUE(was_killed || describe(status) == "exit 0") << describe(status) << "\n"
                                                            << read_text(log);
    const int arrivals = receiver.arrivals(attempt);
    std::int64_t delivered = 0;
    {
      SqliteFile file(db);
      ASSERT_EQ(file.check(), "ok") << "killed " << when;
      delivered = file.number("SELECT count(*) FROM outbox WHERE state = 'delivered'");
      EXPECT_EQ(file.number("SELECT count(*) FROM outbox WHERE state = 'dead'"), 0);
      EXPECT_EQ(file.number("SELECT count(*) FROM outbox"), kMessages);
    }
    EXPECT_LE(delivered, arrivals)
        << "recorded delivered without reaching the receiver, killed " << when;
    if (held > 0) {
      EXPECT_EQ(delivered, held - 1) << "request " << held << " was unanswered when killed";
    }
    const char* landed = nullptr;
    const bool request_in_flight = was_killed && delivered < kMessages && arrivals > delivered;
    if (!was_killed) {
      landed = "finished before the kill";
      ++finished;
    } else if (delivered == kMessages) {
      landed = "after the last delivery";
      ++after;
    } else if (arrivals == 0) {
      landed = "before sending";
      ++before_sending;
    } else if (request_in_flight) {
      landed = "during delivery, a request in flight";
      ++during;
      ++in_flight;
    } else {
      landed = "during delivery, between requests";
      ++during;
    }

    // Restart to completion.
    int restarts = 0;
    while (outbox_count(db, "pending") > 0 && restarts < 3) {
      ++restarts;
      const Child again = spawn_tiendo(deliver, log);
      ASSERT_GT(again.pid, 0);
      bool slow_restart = false;
      const int again_status = wait_bounded(again.pid, 30s, &slow_restart);
      ASSERT_FALSE(slow_restart) << read_text(log);
      ASSERT_EQ(describe(again_status), "exit 0") << read_text(log);
    }
    {
      SqliteFile file(db);
      ASSERT_EQ(file.check(), "ok");
      EXPECT_EQ(file.number("SELECT count(*) FROM outbox WHERE state = 'pending'"), 0);
      EXPECT_EQ(file.number("SELECT count(*) FROM outbox WHERE state = 'dead'"), 0);
      EXPECT_EQ(file.number("SELECT count(*) FROM outbox WHERE state = 'delivered'"), kMessages);
    }
    EXPECT_LE(restarts, 1) << "one restart should deliver everything that was left";
    std::multiset<std::string> got;
    for (const Received& r : receiver.received()) {
      if (r.generation == attempt && r.status == 200) got.insert(r.id);
    }
    for (const std::string& key : keys) EXPECT_GE(got.count(key), 1u) << key << " lost";
    const std::size_t twice = got.size() - std::set<std::string>(got.begin(), got.end()).size();
    // A request the receiver got whose outcome was not recorded is sent again.
    if (request_in_flight) {
      EXPECT_GE(twice, 1u) << "the request in flight at the kill was not sent again";
    }
    duplicates += twice;
    std::printf("attempt %2d: killed %s (%.3f s), %s: %d requests, %lld recorded delivered\n",
                attempt, when.c_str(), killed_after, landed, arrivals,
                static_cast<long long>(delivered));
  }
  receiver.stop();
  const auto bodies = stored_bodies(templ);
  expect_authentic(receiver.received(), bodies,
                   [](const Received& r) { return std::optional(repeating_secret(r)); });
  std::printf(
      "%d kills: %d before sending, %d during delivery (%d with a request whose outcome was "
      "not recorded), %d after the last delivery, %d after the process had finished; %zu "
      "messages received twice; %.1f s in all\n",
      kTriggered + kRandom, before_sending, during, in_flight, after, finished, duplicates,
      seconds_since(test_started));
  // The case the test is for: a deliverer killed with a request in flight, which the
  // restart sends again.
  EXPECT_GE(in_flight, 1) << "no kill landed while a request was in flight";
}

// ---------------------------------------------------------------------------------------

TEST(RunWebhook, RejectedMessagesBecomeDeadLetters) {
  const SigpipeIgnored sigpipe;
  std::atomic<bool> busy_recovered = false;
  Receiver receiver([&](const httplib::Request& request) {
    if (request.path == "/gone") return Reply{404, 0ms, ""};
    if (busy_recovered) return Reply{};
    return Reply{503, 0ms, "3"};
  });
  ASSERT_TRUE(receiver.start());
  TempDir dir;
  const std::string db = dir.path() + "/tiendo.db";
  write_text(dir.path() + "/rules.rules",
             "levels province\nindicator x { title \"X\" unit number }\n"
             "channel gone { webhook \"" +
                 receiver.url("/gone") + "\" }\nchannel busy { webhook \"" + receiver.url("/busy") +
                 "\" }\n"
                 "rule x_floor { require x >= 50 notify gone, busy }\n");
  write_text(dir.path() + "/units.csv", units_csv());
  write_text(dir.path() + "/x.csv", "indicator,unit,period,value\nx,p,2024-01,10\n");
  const RunResult ingest = run_tiendo(
      "ingest --db " + shell_quote(db) + " --rules rules.rules units.csv x.csv", dir.path());
  ASSERT_EQ(ingest.exit_code, 0) << ingest.err;
  // The backoff's first delay is at most 1 s: the 3 s can only come from Retry-After.
  const std::string delivery =
      " --db " + shell_quote(db) + " --retry-initial 1s --retry-max 2s --timeout 5s";
  const RunResult run =
      run_tiendo("run --rules rules.rules --at 2024-02-01 --format json" + delivery, dir.path());
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const Json summary = Json::parse(run.out, nullptr, false);
  EXPECT_EQ(summary["delivery"]["dead"], 1) << run.out;
  EXPECT_EQ(summary["delivery"]["retrying"], 1) << run.out;

  const auto list = [&](const std::string& state) {
    const RunResult out =
        run_tiendo("outbox list --db " + shell_quote(db) + " --format json" + state, dir.path());
    EXPECT_EQ(out.exit_code, 0) << out.err;
    return Json::parse(out.out, nullptr, false);
  };
  const Json dead = list("");  // dead letters by default
  ASSERT_TRUE(dead.is_array()) << dead;
  ASSERT_EQ(dead.size(), 1u) << dead.dump(2);
  EXPECT_EQ(dead[0]["channel"], "gone");
  EXPECT_EQ(dead[0]["state"], "dead");
  EXPECT_EQ(dead[0]["attempts"], 1);
  EXPECT_EQ(dead[0]["last_status"], 404);
  EXPECT_NE(dead[0]["last_error"].get<std::string>().find("404"), std::string::npos);

  const Json pending = list(" --state pending");
  ASSERT_TRUE(pending.is_array()) << pending;
  ASSERT_EQ(pending.size(), 1u) << pending.dump(2);
  EXPECT_EQ(pending[0]["channel"], "busy");
  EXPECT_EQ(pending[0]["attempts"], 1);
  EXPECT_EQ(pending[0]["last_status"], 503);
  const auto attempted = notify::parse_utc(pending[0]["last_attempt_at"].get<std::string>());
  const auto next = notify::parse_utc(pending[0]["next_attempt_at"].get<std::string>());
  ASSERT_TRUE(attempted && next) << pending.dump(2);
  EXPECT_GE(*next - *attempted, 3s) << pending.dump(2);

  // Deliver again at once and once the 3 s are over: the dead letter is never sent
  // again, and the busy message only after the time it was given.
  busy_recovered = true;
  const RunResult early = run_tiendo("deliver" + delivery, dir.path());
  EXPECT_EQ(early.exit_code, 0) << early.err;
  std::this_thread::sleep_until(std::chrono::system_clock::time_point(*next) + 1100ms);
  const RunResult later = run_tiendo("deliver" + delivery, dir.path());
  EXPECT_EQ(later.exit_code, 0) << later.err;
  receiver.stop();
  int gone = 0;
  std::vector<std::int64_t> busy_times;
  for (const Received& r : receiver.received()) {
    if (r.path == "/gone") ++gone;
    if (r.path == "/busy") busy_times.push_back(r.received_at);
  }
  EXPECT_EQ(gone, 1);
  ASSERT_EQ(busy_times.size(), 2u) << early.err << later.err;
  const auto next_seconds =
      std::chrono::duration_cast<std::chrono::seconds>(next->time_since_epoch()).count();
  EXPECT_GE(busy_times[1], next_seconds);
  EXPECT_EQ(outbox_count(db, "delivered"), 1);
  EXPECT_EQ(outbox_count(db, "dead"), 1);
  EXPECT_EQ(outbox_count(db, "pending"), 0);
}

}  // namespace
}  // namespace tiendo::testing

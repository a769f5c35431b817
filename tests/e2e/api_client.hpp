// What the end-to-end tests of `tiendo serve` use to talk to it on 127.0.0.1: an HTTP
// client that sends a bearer token, and a raw exchange of bytes for what a well-behaved
// client never sends; and the database's row counts, read beside the running service.
// Every wait is bounded.
#pragma once

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "e2e/run.hpp"
#include "store/database.hpp"
#include "store/sql/statements.hpp"
#include "support/serve_process.hpp"

namespace tiendo::testing {

inline std::string bearer(std::string_view token) { return "Bearer " + std::string(token); }

// An HTTP client of the service; the token defaults to the read token for GET and the
// write token for the others, and an empty token sends no Authorization.
class ApiClient {
 public:
  explicit ApiClient(int port) : client_("127.0.0.1", port) {
    client_.set_connection_timeout(5);
    client_.set_read_timeout(30);
    client_.set_write_timeout(10);
  }
  httplib::Result get(const std::string& path, std::string_view token = ServeProcess::kReadToken) {
    return client_.Get(path.c_str(), headers(token));
  }
  httplib::Result post(const std::string& path, const std::string& body, const std::string& type,
                       std::string_view token = ServeProcess::kWriteToken) {
    return client_.Post(path.c_str(), headers(token), body, type.c_str());
  }
  httplib::Result del(const std::string& path, std::string_view token = ServeProcess::kWriteToken) {
    return client_.Delete(path.c_str(), headers(token));
  }

 private:
  static httplib::Headers headers(std::string_view token) {
    httplib::Headers h;
    if (!token.empty()) h.emplace("Authorization", bearer(token));
    return h;
  }
  httplib::Client client_;
};

// The status of an answer; 0 when there was none.
inline int status_of(const httplib::Result& r) { return r ? r->status : 0; }

// The body of an answer as JSON; null when there was none or it is not JSON.
inline nlohmann::json body_of(const httplib::Result& r) {
  if (!r) return nlohmann::json();
  nlohmann::json body = nlohmann::json::parse(r->body, nullptr, false);
  return body.is_discarded() ? nlohmann::json() : body;
}

// A blocking connection to 127.0.0.1:port whose reads give up after 10 s; -1 on failure.
inline int connect_to(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    ::close(fd);
    return -1;
  }
  timeval timeout{10, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  return fd;
}

// Sends `request` as it is on a fresh connection and returns what comes back until the
// server closes it, `until` is seen, or 10 s pass without a byte. With a pause, the head
// (up to the blank line) goes first and the rest after it. The socket is not half-closed,
// as the server would then drop its answer: a request that should end the exchange says
// "Connection: close" or gives `until`.
inline std::string raw_exchange(int port, const std::string& request,
                                std::chrono::milliseconds pause_after_head = {},
                                std::string_view until = "") {
  const int fd = connect_to(port);
  if (fd < 0) return "";
  const std::size_t split = request.find("\r\n\r\n");
  const std::string head =
      request.substr(0, split == std::string::npos ? request.size() : split + 4);
  const std::string rest = split == std::string::npos ? "" : request.substr(split + 4);
  (void)!::send(fd, head.data(), head.size(), MSG_NOSIGNAL);
  if (pause_after_head.count() > 0) std::this_thread::sleep_for(pause_after_head);
  if (!rest.empty()) (void)!::send(fd, rest.data(), rest.size(), MSG_NOSIGNAL);
  std::string reply;
  char buffer[4096];
  ssize_t n = 0;
  while ((n = ::recv(fd, buffer, sizeof buffer, 0)) > 0) {
    reply.append(buffer, static_cast<std::size_t>(n));
    if (!until.empty() && reply.find(until) != std::string::npos) break;
  }
  ::close(fd);
  return reply;
}

// The status of a raw reply; 0 when it is not an HTTP/1.1 answer.
inline int status_of_raw(const std::string& reply) {
  if (reply.rfind("HTTP/1.1 ", 0) != 0 || reply.size() < 12) return 0;
  return std::stoi(reply.substr(9, 3));
}

// Every table's row count, read through the project's own store (read-only, as any reader
// may while the service runs). A database that cannot be read fails the test.
inline std::map<std::string, std::int64_t> table_counts(const std::string& path) {
  std::map<std::string, std::int64_t> counts;
  auto opened = store::Database::open(path, store::Database::Mode::read_only);
  if (auto* error = std::get_if<store::DbError>(&opened)) {
    ADD_FAILURE() << "cannot read " << path << ": " << error->message;
    return counts;
  }
  store::Database& db = std::get<store::Database>(opened);
  store::Statement tables = tiendo::store::sql::prepare(
      db, db.engine() == store::Engine::postgresql
              ? "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY 1"
              : "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name");
  std::vector<std::string> names;
  while (tables.step()) names.push_back(tables.column_text(0));
  EXPECT_FALSE(tables.error()) << tables.error().value_or(store::DbError{}).message;
  for (const std::string& name : names) {
    store::Statement q = tiendo::store::sql::prepare(db, "SELECT count(*) FROM \"" + name + "\"");
    EXPECT_TRUE(q.step()) << name << ": " << q.error().value_or(store::DbError{"no row"}).message;
    counts[name] = q.column_int(0);
  }
  EXPECT_GT(counts.size(), 5u) << path << " does not hold tiendo's tables";
  return counts;
}

// The row count of one table (table_counts); a table that is not there fails the test.
inline std::int64_t count_rows(const std::string& path, const std::string& table) {
  const auto counts = table_counts(path);
  const auto found = counts.find(table);
  if (found == counts.end()) {
    ADD_FAILURE() << "no table " << table << " in " << path;
    return -1;
  }
  return found->second;
}

// The examples in a fresh database (ExamplesDatabaseTest) for a `tiendo serve` the test
// starts on it with setup().
class ServedExamplesTest : public ExamplesDatabaseTest {
 protected:
  ServeSetup setup() const {
    ServeSetup s;
    s.binary = TIENDO_BINARY;
    s.directory = dir_.path();
    s.database = db_;
    return s;
  }
};

// Waits at most `bound` until run `id` has ended; its JSON (the last seen).
inline nlohmann::json wait_for_run(ApiClient& http, std::int64_t id,
                                   std::chrono::seconds bound = std::chrono::seconds(60)) {
  const auto deadline = std::chrono::steady_clock::now() + bound;
  nlohmann::json run;
  while (std::chrono::steady_clock::now() < deadline) {
    run = body_of(http.get("/api/v1/runs/" + std::to_string(id)));
    const std::string state = run.is_object() ? run.value("state", "") : "";
    if (state == "succeeded" || state == "failed") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return run;
}

// Queues an evaluation at `at` (YYYY-MM-DD) with POST /api/v1/evaluate and waits for it
// (wait_for_run): the run's state, or why it was not queued.
inline std::string evaluate_at(ApiClient& http, std::string_view at) {
  auto queued =
      http.post("/api/v1/evaluate", R"({"at": ")" + std::string(at) + R"("})", "application/json");
  if (!queued) return "no answer to POST /api/v1/evaluate";
  if (queued->status != 202) return std::to_string(queued->status) + ": " + queued->body;
  const nlohmann::json run = wait_for_run(http, body_of(queued)["id"]);
  return run.is_object() ? run.value("state", run.dump()) : run.dump();
}

}  // namespace tiendo::testing

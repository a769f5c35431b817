// examples/nginx/ end to end: Debian's nginx, on 127.0.0.1, runs the example site
// (tiendo.conf, with only its ports, certificate and log paths changed) and the
// example's http-level file (tiendo-http.conf, as it is) in front of the real
// `tiendo serve`; cpp-httplib's TLS client talks to it with a self-signed certificate it
// verifies. Skipped when nginx or openssl is not installed.
#include <arpa/inet.h>
#include <fmt/format.h>
#include <grp.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <thread>
#include <vector>

#include "e2e/api_client.hpp"
#include "e2e/run.hpp"
#include "support/child_process.hpp"
#include "support/serve_process.hpp"

namespace tiendo::testing {
namespace {

using json = nlohmann::json;
using namespace std::chrono_literals;

constexpr const char* kNginx = "/usr/sbin/nginx";
constexpr const char* kOpenssl = "/usr/bin/openssl";
constexpr std::size_t kMaxBody = 1 << 20;  // client_max_body_size 1m, max_body_bytes

std::string example(const std::string& name) {
  return std::string(TIENDO_SOURCE_DIR) + "/examples/nginx/" + name;
}

// The body as JSON; null when there is none or it is not JSON.
// A port of 127.0.0.1 that was free a moment ago; 0 when none could be had.
int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return 0;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  int port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0) {
    port = ntohs(address.sin_port);
  }
  ::close(fd);
  return port;
}

bool accepts_connections(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return false;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const bool connected = ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
  ::close(fd);
  return connected;
}

// Runs a program to its end (at most 30 s); its exit status and standard output.
std::pair<int, std::string> run_program(const std::vector<std::string>& argv,
                                        const std::string& log) {
  ChildProcess child(argv, {.pipe_stdout = true, .log = log, .environment = {}});
  std::string out = child.read_all(30s).value_or("");
  return {child.finish(5s), out};
}

// Replaces every occurrence of `from`; records a problem when there is none, so that a
// change to the example that the test no longer matches fails loudly instead of leaving
// a production path or port in the test's configuration.
void substitute(std::string& text, std::string_view from, std::string_view to,
                std::vector<std::string>& problems) {
  int count = 0;
  for (std::size_t at = text.find(from); at != std::string::npos;
       at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
    ++count;
  }
  if (count == 0)
    problems.push_back("examples/nginx/tiendo.conf no longer has: " + std::string(from));
}

// Removes the comment mark from the lines of the commented-out block that starts with
// the line `first` (after its indentation) and ends with `#}`.
void uncomment_block(std::string& text, std::string_view first,
                     std::vector<std::string>& problems) {
  std::istringstream in(text);
  std::string out;
  bool inside = false, found = false;
  for (std::string line; std::getline(in, line);) {
    const std::size_t indent = line.find_first_not_of(' ');
    const std::string_view rest =
        indent == std::string::npos ? "" : std::string_view(line).substr(indent);
    if (!inside && rest == first) inside = found = true;
    if (inside && !rest.empty() && rest.front() == '#') {
      const bool last = rest == "#}";
      line.erase(indent, 1);
      inside = !last;
    }
    out += line + "\n";
  }
  if (!found) problems.push_back("examples/nginx/tiendo.conf no longer has: " + std::string(first));
  text = out;
}

struct Ports {
  int http = 0;
  int https = 0;
};

// nginx in the foreground as this user, on a configuration that writes only under
// `directory`; stopped (SIGQUIT, then SIGTERM) by stop() or the destructor.
class Nginx {
 public:
  Nginx(const std::string& directory, int https_port)
      : directory_(directory),
        process_({kNginx, "-p", directory + "/", "-e", directory + "/error.log", "-c",
                  directory + "/nginx.conf"},
                 {.pipe_stdout = false, .log = directory + "/nginx.out", .environment = {}}) {
    // The pid file is written once the ports are bound; then the TLS port must answer.
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (std::chrono::steady_clock::now() < deadline && process_.running()) {
      if (std::filesystem::exists(directory_ + "/nginx.pid") && accepts_connections(https_port)) {
        started_ = true;
        return;
      }
      std::this_thread::sleep_for(20ms);
    }
  }
  ~Nginx() { stop(); }

  bool started() const { return started_; }
  std::string error_log() const {
    return read_text(directory_ + "/error.log") + read_text(directory_ + "/nginx.out");
  }
  // A graceful stop (SIGQUIT); SIGTERM when it takes more than 10 s. The exit status,
  // or -1.
  int stop() {
    if (!process_.running()) return process_.wait_exit(0ms);
    process_.send(SIGQUIT);
    const int status = process_.wait_exit(10s);
    return status == -2 ? process_.terminate(5s) : status;
  }

 private:
  std::string directory_;
  ChildProcess process_;
  bool started_ = false;
};

// HTTPS to the proxy, verifying its certificate against the test's own CA (the
// self-signed certificate itself).
class Https {
 public:
  Https(int port, const std::string& ca) : client_("127.0.0.1", port) {
    client_.set_ca_cert_path(ca.c_str());
    client_.enable_server_certificate_verification(true);
    client_.set_connection_timeout(5);
    client_.set_read_timeout(30);
    client_.set_write_timeout(10);
  }
  httplib::Result get(const std::string& path, httplib::Headers headers = {}) {
    return client_.Get(path.c_str(), headers);
  }
  httplib::Result get(const std::string& path, std::string_view token) {
    return get(path, {{"Authorization", bearer(token)}});
  }
  httplib::Result post(const std::string& path, const std::string& body, const std::string& type,
                       std::string_view token) {
    return client_.Post(path.c_str(), {{"Authorization", bearer(token)}}, body, type.c_str());
  }

 private:
  httplib::SSLClient client_;
};

// The service's request log entries (JSON lines with "msg": "request").
std::vector<json> request_entries(const std::string& log) {
  std::vector<json> entries;
  std::istringstream lines(log);
  for (std::string line; std::getline(lines, line);) {
    json entry = json::parse(line, nullptr, false);
    if (entry.is_object() && entry.value("msg", "") == "request")
      entries.push_back(std::move(entry));
  }
  return entries;
}

bool has_entry(const std::vector<json>& entries, const std::string& method, const std::string& path,
               int status, const std::string& token) {
  for (const json& e : entries) {
    if (e.value("method", "") == method && e.value("path", "") == path &&
        e.value("status", 0) == status && e.value("token", "") == token &&
        e.value("remote", "") == "127.0.0.1") {
      return true;
    }
  }
  return false;
}

class NginxProxyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!std::filesystem::exists(kNginx))
      GTEST_SKIP() << kNginx << " is not installed (Debian's nginx)";
    if (!std::filesystem::exists(kOpenssl)) GTEST_SKIP() << kOpenssl << " is not installed";
    nginx_dir_ = dir_.path() + "/nginx";
    const std::string serve_dir = dir_.path() + "/serve";
    std::filesystem::create_directories(nginx_dir_);
    std::filesystem::create_directories(serve_dir);

    certificate_ = nginx_dir_ + "/localhost.crt";
    key_ = nginx_dir_ + "/localhost.key";
    const int made = run_program({kOpenssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                                  "-days", "1", "-subj", "/CN=localhost", "-addext",
                                  "subjectAltName=IP:127.0.0.1,DNS:localhost", "-keyout", key_,
                                  "-out", certificate_},
                                 nginx_dir_ + "/openssl.log")
                         .first;
    ASSERT_EQ(made, 0) << read_text(nginx_dir_ + "/openssl.log");

    const std::string database = serve_dir + "/tiendo.db";
    const RunResult ingested = ingest_examples(database);
    ASSERT_EQ(ingested.exit_code, 0) << ingested.err;
    ServeSetup s;
    s.binary = TIENDO_BINARY;
    s.directory = serve_dir;
    s.database = database;
    s.arguments = {"--log-format", "json"};
    serve_.emplace(s);
  }

  // The example site as the test runs it: on 127.0.0.1 only (no IPv6), with the test's
  // certificate, the service's port and the logs in the test directory. `more` makes
  // further changes (the dashboard block).
  std::string site(const Ports& ports, std::vector<std::string>& problems,
                   const std::function<void(std::string&, std::vector<std::string>&)>& more) const {
    std::string text = read_text(example("tiendo.conf"));
    substitute(text, "    listen 80;\n",
               "    listen 127.0.0.1:" + std::to_string(ports.http) + ";\n", problems);
    substitute(text, "    listen [::]:80;\n", "", problems);
    substitute(text, "    listen 443 ssl;\n",
               "    listen 127.0.0.1:" + std::to_string(ports.https) + " ssl;\n", problems);
    substitute(text, "    listen [::]:443 ssl;\n", "", problems);
    substitute(text, "server 127.0.0.1:8080;",
               "server 127.0.0.1:" + std::to_string(serve_->port()) + ";", problems);
    substitute(text, "/etc/ssl/certs/tiendo.example.org.fullchain.pem", certificate_, problems);
    substitute(text, "/etc/ssl/private/tiendo.example.org.key", key_, problems);
    substitute(text, "/var/log/nginx/", nginx_dir_ + "/", problems);
    if (more) more(text, problems);
    // Nothing outside the test directory may be written or listened on.
    std::istringstream lines(text);
    for (std::string line; std::getline(lines, line);) {
      const std::size_t start = line.find_first_not_of(' ');
      if (start == std::string::npos || line[start] == '#') continue;
      for (const char* outside : {"/var/log", "/etc/ssl", "[::]", "listen 80", "listen 443"}) {
        if (line.find(outside) != std::string::npos)
          problems.push_back("left in the test's site: " + line);
      }
    }
    return text;
  }

  // The main configuration: nginx as this user in the foreground, every file it writes
  // in the test directory, and the two example files in `http`.
  std::string main_conf() const {
    std::string user;
    // Workers of a root master would run as "nobody", who cannot enter the test
    // directory; any other user's nginx ignores `user` (with a warning).
    if (::geteuid() == 0) {
      const passwd* pw = ::getpwuid(::geteuid());
      const group* gr = ::getgrgid(::getegid());
      if (pw && gr) user = "user " + std::string(pw->pw_name) + " " + gr->gr_name + ";\n";
    }
    return fmt::format(R"(# Written by tests/e2e/nginx_proxy_test.cpp.
daemon off;
master_process on;
worker_processes 1;
{user}pid {dir}/nginx.pid;
lock_file {dir}/nginx.lock;
error_log {dir}/error.log notice;
events {{
    worker_connections 64;
}}
http {{
    default_type application/octet-stream;
    access_log {dir}/access.log;
    client_body_temp_path {dir}/client_body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;
    include {http_conf};
    include {dir}/tiendo.conf;
}}
)",
                       fmt::arg("user", user), fmt::arg("dir", nginx_dir_),
                       fmt::arg("http_conf", example("tiendo-http.conf")));
  }

  // Writes the configuration and starts nginx, on other ports when the ones picked were
  // taken meanwhile by someone else.
  void start_nginx(const std::function<void(std::string&, std::vector<std::string>&)>& more = {}) {
    write_text(nginx_dir_ + "/nginx.conf", main_conf());
    for (int attempt = 0; attempt < 3; ++attempt) {
      ports_ = {free_port(), free_port()};
      ASSERT_TRUE(ports_.http > 0 && ports_.https > 0 && ports_.http != ports_.https);
      std::vector<std::string> problems;
      write_text(nginx_dir_ + "/tiendo.conf", site(ports_, problems, more));
      for (const std::string& p : problems) ADD_FAILURE() << p;
      ASSERT_TRUE(problems.empty());
      std::filesystem::remove(nginx_dir_ + "/nginx.pid");
      nginx_.reset();
      nginx_.emplace(nginx_dir_, ports_.https);
      if (nginx_->started()) return;
      const std::string log = nginx_->error_log();
      if (log.find("Address already in use") == std::string::npos) break;
    }
    FAIL() << "nginx did not start; its log:\n" << nginx_->error_log();
  }

  Https https() const { return Https(ports_.https, certificate_); }
  std::string access_log() const { return read_text(nginx_dir_ + "/tiendo.access.log"); }

  // Waits (at most 5 s) until the service has logged the request: it logs after the
  // answer has gone out.
  bool service_logged(const std::string& method, const std::string& path, int status,
                      const std::string& token) const {
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    do {
      if (has_entry(request_entries(serve_->log()), method, path, status, token)) return true;
      std::this_thread::sleep_for(20ms);
    } while (std::chrono::steady_clock::now() < deadline);
    return false;
  }

  TempDir dir_;
  std::string nginx_dir_, certificate_, key_;
  std::optional<ServeProcess> serve_;
  Ports ports_;
  std::optional<Nginx> nginx_;  // declared last: stopped before the service
};

TEST_F(NginxProxyTest, TheExampleProxiesTheApiOverTls) {
  ASSERT_NO_FATAL_FAILURE(start_nginx());
  Https client = https();

  auto health = client.get("/healthz");
  ASSERT_TRUE(health) << httplib::to_string(health.error()) << "\n" << nginx_->error_log();
  EXPECT_EQ(health->status, 200) << health->body;
  EXPECT_EQ(health->get_header_value("Strict-Transport-Security"), "max-age=63072000");

  // The certificate is checked: a client that does not trust it gets nowhere.
  {
    httplib::SSLClient stranger("127.0.0.1", ports_.https);
    stranger.enable_server_certificate_verification(true);
    stranger.set_connection_timeout(5);
    auto refused = stranger.Get("/healthz");
    EXPECT_FALSE(refused);
    if (!refused) {
      EXPECT_EQ(refused.error(), httplib::Error::SSLServerVerification);
    }
  }

  // The token goes through to the service, which decides.
  auto status = client.get("/api/v1/status", ServeProcess::kReadToken);
  ASSERT_TRUE(status);
  EXPECT_EQ(status->status, 200) << status->body;
  EXPECT_TRUE(body_of(status).is_object()) << status->body;
  EXPECT_EQ(status->get_header_value("Content-Type").rfind("application/json", 0), 0u);

  auto anonymous = client.get("/api/v1/status");
  ASSERT_TRUE(anonymous);
  EXPECT_EQ(anonymous->status, 401);
  EXPECT_EQ(anonymous->get_header_value("WWW-Authenticate").rfind("Bearer", 0), 0u);
  EXPECT_EQ(body_of(anonymous)["error"], "unauthorized") << anonymous->body;

  const std::string csv = "indicator,unit,period,value\nsmartphone_rate,dong_nai,Quý IV/2022,85%\n";
  auto posted = client.post("/api/v1/observations", csv, "text/csv", ServeProcess::kWriteToken);
  ASSERT_TRUE(posted);
  EXPECT_EQ(posted->status, 200) << posted->body;
  EXPECT_EQ(body_of(posted)["added"], 1) << posted->body;

  // The two body limits agree: exactly 1 MiB passes nginx and the service, one byte
  // more is a 413 with the API's JSON error body.
  std::string largest =
      R"([{"indicator": "smartphone_rate", "unit": "dong_nai", "period": "Quý IV/2022", )"
      R"("value": "85%"}])";
  largest.resize(kMaxBody, ' ');
  auto accepted =
      client.post("/api/v1/observations", largest, "application/json", ServeProcess::kWriteToken);
  ASSERT_TRUE(accepted) << httplib::to_string(accepted.error());
  EXPECT_EQ(accepted->status, 200) << accepted->body.substr(0, 300) << "\n" << nginx_->error_log();
  EXPECT_EQ(body_of(accepted)["unchanged"], 1) << accepted->body.substr(0, 300);
  auto too_large = client.post("/api/v1/observations", largest + " ", "application/json",
                               ServeProcess::kWriteToken);
  ASSERT_TRUE(too_large) << httplib::to_string(too_large.error());
  EXPECT_EQ(too_large->status, 413);
  EXPECT_EQ(body_of(too_large)["status"], 413) << too_large->body;

  // Plain HTTP only redirects, and says where to.
  httplib::Client plain("127.0.0.1", ports_.http);
  plain.set_connection_timeout(5);
  auto redirect = plain.Get("/api/v1/status?x=1");
  ASSERT_TRUE(redirect);
  EXPECT_EQ(redirect->status, 301);
  EXPECT_EQ(redirect->get_header_value("Location"), "https://127.0.0.1/api/v1/status?x=1");

  // The service logged the token ids (never the tokens) of requests that all come from
  // the proxy.
  EXPECT_TRUE(service_logged("GET", "/api/v1/status", 200, "reader")) << serve_->log();
  EXPECT_TRUE(service_logged("GET", "/api/v1/status", 401, "")) << serve_->log();
  EXPECT_TRUE(service_logged("POST", "/api/v1/observations", 200, "writer")) << serve_->log();
  EXPECT_EQ(serve_->log().find("tdo_"), std::string::npos) << "a token reached the service's log";

  // nginx logged the requests, without the Authorization header.
  const std::string access = access_log();
  EXPECT_NE(access.find("\"GET /api/v1/status HTTP/1.1\" 200"), std::string::npos) << access;
  EXPECT_NE(access.find("\"POST /api/v1/observations HTTP/1.1\" 413"), std::string::npos) << access;
  EXPECT_EQ(access.find("tdo_"), std::string::npos) << access;
  EXPECT_EQ(access.find("Bearer"), std::string::npos) << access;

  const auto started = std::chrono::steady_clock::now();
  EXPECT_EQ(nginx_->stop(), 0) << nginx_->error_log();
  EXPECT_LT(std::chrono::steady_clock::now() - started, 10s);
}

TEST_F(NginxProxyTest, TheOptionalDashboardBlockAddsTheReadTokenAfterAPassword) {
  const auto [hashed, hash] =
      run_program({kOpenssl, "passwd", "-apr1", "correct horse"}, nginx_dir_ + "/passwd.log");
  ASSERT_EQ(hashed, 0) << read_text(nginx_dir_ + "/passwd.log");
  write_text(nginx_dir_ + "/htpasswd", "ana:" + hash);
  ASSERT_NO_FATAL_FAILURE(start_nginx([&](std::string& text, std::vector<std::string>& problems) {
    uncomment_block(text, "#location = / {", problems);
    substitute(text, "tdo_REPLACE-WITH-A-READ-TOKEN", ServeProcess::kReadToken, problems);
    substitute(text, "/etc/nginx/tiendo.htpasswd", nginx_dir_ + "/htpasswd", problems);
  }));
  Https client = https();

  auto anonymous = client.get("/");
  ASSERT_TRUE(anonymous) << httplib::to_string(anonymous.error()) << "\n" << nginx_->error_log();
  EXPECT_EQ(anonymous->status, 401);
  EXPECT_EQ(anonymous->get_header_value("WWW-Authenticate").rfind("Basic", 0), 0u);

  const httplib::Headers password = {
      httplib::make_basic_authentication_header("ana", "correct horse")};
  auto page = client.get("/", password);
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 200) << page->body.substr(0, 300);
  EXPECT_EQ(page->get_header_value("Content-Type"), "text/html; charset=utf-8");
  EXPECT_NE(page->get_header_value("Content-Security-Policy").find("default-src 'none'"),
            std::string::npos);
  EXPECT_EQ(page->get_header_value("Strict-Transport-Security"), "max-age=63072000");
  EXPECT_EQ(client.get("/", {httplib::make_basic_authentication_header("ana", "wrong")})->status,
            401);

  // Only the dashboard gets the token: the API still wants the caller's own.
  auto api = client.get("/api/v1/status", password);
  ASSERT_TRUE(api);
  EXPECT_EQ(api->status, 401) << api->body;

  EXPECT_TRUE(service_logged("GET", "/", 200, "reader")) << serve_->log();
  EXPECT_EQ(serve_->log().find("tdo_"), std::string::npos) << "a token reached the service's log";
  const std::string access = access_log();
  EXPECT_NE(access.find(" - ana ["), std::string::npos) << access;
  EXPECT_EQ(access.find("tdo_"), std::string::npos) << access;
  EXPECT_EQ(access.find("horse"), std::string::npos) << access;
}

}  // namespace
}  // namespace tiendo::testing

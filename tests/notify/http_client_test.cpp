#include "notify/http_client.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "model/calendar.hpp"
#include "support/latch.hpp"
#include "support/temp_dir.hpp"
#include "support/test_certificates.hpp"
#include "util/text.hpp"

namespace tiendo::notify {
namespace {

using namespace std::chrono_literals;

// The certificate and key an HTTPS TestServer presents.
struct ServerTls {
  std::string certificate, key;
};

// A real HTTP server (HTTPS with `tls`) on 127.0.0.1 at a port the kernel picks, serving
// the routes the test sets up, for as long as the object lives.
class TestServer {
 public:
  explicit TestServer(const std::function<void(httplib::Server&)>& routes,
                      const std::optional<ServerTls>& tls = std::nullopt)
      : server_(
            tls ? std::make_unique<httplib::SSLServer>(tls->certificate.c_str(), tls->key.c_str())
                : std::make_unique<httplib::Server>()),
        scheme_(tls ? "https" : "http") {
    if (!server_->is_valid()) return;  // a certificate or key that does not load
    routes(*server_);
    // One request per connection, so that no worker lingers in keep-alive at the end.
    server_->set_keep_alive_max_count(1);
    port_ = server_->bind_to_any_port("127.0.0.1");
    if (port_ <= 0) return;
    thread_ = std::thread([this] {
      server_->listen_after_bind();
      finished_ = true;
    });
    wait_until_running();
  }

  ~TestServer() {
    if (!thread_.joinable()) return;
    // stop() before listen_after_bind has started does nothing, and join would hang.
    wait_until_running();
    server_->stop();
    thread_.join();
  }

  TestServer(const TestServer&) = delete;
  TestServer& operator=(const TestServer&) = delete;

  int port() const { return port_; }
  std::string url(std::string_view path) const {
    return scheme_ + "://127.0.0.1:" + std::to_string(port_) + std::string(path);
  }

 private:
  void wait_until_running() const {
    for (int i = 0; i < 2000 && !server_->is_running() && !finished_; ++i) {
      std::this_thread::sleep_for(1ms);
    }
  }

  std::unique_ptr<httplib::Server> server_;
  std::string scheme_;
  int port_ = -1;
  std::atomic<bool> finished_ = false;
  std::thread thread_;
};

// What the server saw, written by its worker threads and read by the test.
class Recorder {
 public:
  struct Seen {
    int count = 0;
    std::string method;
    std::string path;
    std::string body;
    httplib::Headers headers;
  };

  void record(const httplib::Request& request) {
    const std::lock_guard lock(mutex_);
    ++seen_.count;
    seen_.method = request.method;
    seen_.path = request.path;
    seen_.body = request.body;
    seen_.headers = request.headers;
  }

  Seen seen() const {
    const std::lock_guard lock(mutex_);
    return seen_;
  }

 private:
  mutable std::mutex mutex_;
  Seen seen_;
};

std::size_t count_of(const httplib::Headers& headers, const std::string& name) {
  return headers.count(name);  // httplib::Headers compares names ignoring case
}

std::string value_of(const httplib::Headers& headers, const std::string& name) {
  const auto found = headers.find(name);
  return found == headers.end() ? std::string() : found->second;
}

// A port on 127.0.0.1 that nothing listens on: bound by us, then let go.
int closed_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  socklen_t length = sizeof address;
  int port = -1;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0) {
    port = ntohs(address.sin_port);
  }
  ::close(fd);
  return port;
}

HttpRequest request_to(std::string url) {
  HttpRequest request;
  request.url = std::move(url);
  request.body = R"({"rule":"online_dossier_rate","state":"missed"})";
  request.connect_timeout = 2s;
  request.total_timeout = 3s;
  return request;
}

const auto kNow = std::chrono::system_clock::now();

TEST(HttpClient, DeliversA200WithTheHeadersAndBodyExactlyAsGiven) {
  Recorder recorder;
  TestServer server([&](httplib::Server& s) {
    s.Post("/hook", [&](const httplib::Request& request, httplib::Response& response) {
      recorder.record(request);
      response.status = 200;
      response.set_content("thanks", "text/plain");
    });
  });
  ASSERT_GT(server.port(), 0);

  HttpRequest request = request_to(server.url("/hook"));
  request.headers = {{"webhook-id", "evt_1"},
                     {"webhook-signature", "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="}};
  // Over 1 KiB, where curl would otherwise wait for "100 Continue"; a NUL and a CRLF
  // inside show that the body goes out byte for byte.
  request.body = "{\"rule\":\"tỷ lệ hồ sơ\",\"pad\":\"" + std::string(2000, 'x') + "\"}" +
                 std::string("\0\r\n", 3);
  const HttpResult result = post(request, kNow);

  EXPECT_EQ(result.outcome, Outcome::delivered);
  EXPECT_EQ(result.status, 200);
  EXPECT_EQ(result.error, "");
  EXPECT_EQ(result.retry_after, std::nullopt);
  const Recorder::Seen seen = recorder.seen();
  EXPECT_EQ(seen.count, 1);
  EXPECT_EQ(seen.method, "POST");
  EXPECT_EQ(seen.path, "/hook");
  EXPECT_EQ(seen.body, request.body);
  EXPECT_EQ(count_of(seen.headers, "Content-Type"), 1u);
  EXPECT_EQ(value_of(seen.headers, "Content-Type"), "application/json");
  EXPECT_EQ(value_of(seen.headers, "Content-Length"), std::to_string(request.body.size()));
  EXPECT_EQ(value_of(seen.headers, "webhook-id"), "evt_1");
  EXPECT_EQ(value_of(seen.headers, "webhook-signature"),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
  EXPECT_EQ(count_of(seen.headers, "Expect"), 0u);
}

TEST(HttpClient, KeepsTheCallersContentType) {
  Recorder recorder;
  TestServer server([&](httplib::Server& s) {
    s.Post("/hook", [&](const httplib::Request& request, httplib::Response& response) {
      recorder.record(request);
      response.status = 204;
    });
  });
  ASSERT_GT(server.port(), 0);

  HttpRequest request = request_to(server.url("/hook"));
  request.headers = {{"content-type", "text/plain; charset=utf-8"}};
  const HttpResult result = post(request, kNow);

  EXPECT_EQ(result.outcome, Outcome::delivered);
  EXPECT_EQ(result.status, 204);
  const Recorder::Seen seen = recorder.seen();
  EXPECT_EQ(count_of(seen.headers, "Content-Type"), 1u);
  EXPECT_EQ(value_of(seen.headers, "Content-Type"), "text/plain; charset=utf-8");
}

TEST(HttpClient, RetriesA500AndQuotesTheStartOfTheBody) {
  TestServer server([](httplib::Server& s) {
    s.Post("/hook", [](const httplib::Request&, httplib::Response& response) {
      response.status = 500;
      response.set_content("database is down\r\n\tsee logs\n" + std::string(100000, 'y'),
                           "text/plain");
    });
  });
  ASSERT_GT(server.port(), 0);

  const HttpResult result = post(request_to(server.url("/hook")), kNow);

  EXPECT_EQ(result.outcome, Outcome::retry);
  EXPECT_EQ(result.status, 500);
  EXPECT_NE(result.error.find(server.url("/hook")), std::string::npos) << result.error;
  EXPECT_NE(result.error.find("HTTP 500: database is down see logs yyy"), std::string::npos)
      << result.error;
  EXPECT_EQ(result.error.find_first_of("\r\n\t"), std::string::npos) << result.error;
  EXPECT_LT(result.error.size(), 512u + 100u);
}

TEST(HttpClient, RetriesA429AndReadsRetryAfterInSeconds) {
  TestServer server([](httplib::Server& s) {
    s.Post("/hook", [](const httplib::Request&, httplib::Response& response) {
      response.status = 429;
      response.set_header("Retry-After", "7");
    });
  });
  ASSERT_GT(server.port(), 0);

  const HttpResult result = post(request_to(server.url("/hook")), kNow);

  EXPECT_EQ(result.outcome, Outcome::retry);
  EXPECT_EQ(result.status, 429);
  EXPECT_EQ(result.retry_after, 7s);
  EXPECT_NE(result.error.find("HTTP 429"), std::string::npos) << result.error;
}

TEST(HttpClient, ReadsRetryAfterAsAnHttpDateRelativeToNow) {
  TestServer server([](httplib::Server& s) {
    s.Post("/later", [](const httplib::Request&, httplib::Response& response) {
      response.status = 429;
      response.set_header("Retry-After", "Wed, 21 Oct 2015 07:28:00 GMT");
    });
    s.Post("/garbled", [](const httplib::Request&, httplib::Response& response) {
      response.status = 503;
      response.set_header("Retry-After", "soon");
    });
  });
  ASSERT_GT(server.port(), 0);

  // 2015-10-21 07:28:00 UTC is 1445412480 seconds after the epoch.
  const auto date = std::chrono::system_clock::time_point(1445412480s);
  const HttpResult later = post(request_to(server.url("/later")), date - 120s);
  EXPECT_EQ(later.outcome, Outcome::retry);
  EXPECT_EQ(later.retry_after, 120s);

  const HttpResult past = post(request_to(server.url("/later")), date + 60s);
  EXPECT_EQ(past.retry_after, 0s);

  const HttpResult garbled = post(request_to(server.url("/garbled")), date);
  EXPECT_EQ(garbled.outcome, Outcome::retry);
  EXPECT_EQ(garbled.status, 503);
  EXPECT_EQ(garbled.retry_after, std::nullopt);
}

// Issue #13: a receiver's Retry-After of 10^18 seconds (or more digits than an int64
// holds, or a date in the year 9999) is at most ten years, never an overflow of the
// clock when the outbox adds it to now.
TEST(HttpClient, AHugeRetryAfterIsAtMostTenYears) {
  TestServer server([](httplib::Server& s) {
    s.Post("/huge", [](const httplib::Request&, httplib::Response& response) {
      response.status = 503;
      response.set_header("Retry-After", "1000000000000000000");
    });
    s.Post("/digits", [](const httplib::Request&, httplib::Response& response) {
      response.status = 503;
      response.set_header("Retry-After", "1000000000000000000000000000000");
    });
    s.Post("/far", [](const httplib::Request&, httplib::Response& response) {
      response.status = 503;
      response.set_header("Retry-After", "Fri, 31 Dec 9999 23:59:59 GMT");
    });
  });
  ASSERT_GT(server.port(), 0);
  for (const char* path : {"/huge", "/digits", "/far"}) {
    const HttpResult result = post(request_to(server.url(path)), kNow);
    EXPECT_EQ(result.outcome, Outcome::retry) << path;
    EXPECT_EQ(result.retry_after, model::kMaxClockDuration) << path;
  }
}

TEST(HttpClient, RetriesA408) {
  TestServer server([](httplib::Server& s) {
    s.Post("/hook",
           [](const httplib::Request&, httplib::Response& response) { response.status = 408; });
  });
  ASSERT_GT(server.port(), 0);

  const HttpResult result = post(request_to(server.url("/hook")), kNow);

  EXPECT_EQ(result.outcome, Outcome::retry);
  EXPECT_EQ(result.status, 408);
}

TEST(HttpClient, RejectsA404) {
  TestServer server([](httplib::Server& s) {
    s.Post("/other",
           [](const httplib::Request&, httplib::Response& response) { response.status = 200; });
  });
  ASSERT_GT(server.port(), 0);

  const HttpResult result = post(request_to(server.url("/hook")), kNow);

  EXPECT_EQ(result.outcome, Outcome::reject);
  EXPECT_EQ(result.status, 404);
  EXPECT_NE(result.error.find("HTTP 404"), std::string::npos) << result.error;
}

TEST(HttpClient, RejectsA302WithoutFollowingIt) {
  std::atomic<int> followed = 0;
  TestServer server([&](httplib::Server& s) {
    s.Post("/old", [](const httplib::Request&, httplib::Response& response) {
      response.set_redirect("/new", 302);
    });
    s.Post("/new", [&](const httplib::Request&, httplib::Response&) { ++followed; });
    s.Get("/new", [&](const httplib::Request&, httplib::Response&) { ++followed; });
  });
  ASSERT_GT(server.port(), 0);

  const HttpResult result = post(request_to(server.url("/old")), kNow);

  EXPECT_EQ(result.outcome, Outcome::reject);
  EXPECT_EQ(result.status, 302);
  EXPECT_NE(result.error.find("redirect to " + server.url("/new") + " not followed"),
            std::string::npos)
      << result.error;
  EXPECT_EQ(followed, 0);
}

TEST(HttpClientTransport, RetriesWhenTheTotalTimeoutRunsOut) {
  testing::Latch gate;  // declared before the server, so it outlives the handler waiting on it
  TestServer server([&](httplib::Server& s) {
    s.Post("/slow", [&](const httplib::Request&, httplib::Response& response) {
      gate.wait(1s);
      response.status = 200;
    });
  });
  ASSERT_GT(server.port(), 0);

  HttpRequest request = request_to(server.url("/slow"));
  request.total_timeout = 300ms;
  const HttpResult result = post(request, kNow);
  gate.open();

  EXPECT_EQ(result.outcome, Outcome::retry);
  EXPECT_EQ(result.status, 0);
  EXPECT_NE(result.error.find("timed out"), std::string::npos) << result.error;
  EXPECT_NE(result.error.find(server.url("/slow")), std::string::npos) << result.error;
}

TEST(HttpClientTransport, RetriesARefusedConnection) {
  const int port = closed_port();
  ASSERT_GT(port, 0);
  const std::string url = "http://127.0.0.1:" + std::to_string(port) + "/hook";

  const HttpResult result = post(request_to(url), kNow);

  EXPECT_EQ(result.outcome, Outcome::retry);
  EXPECT_EQ(result.status, 0);
  EXPECT_NE(result.error.find(url), std::string::npos) << result.error;
  EXPECT_GT(result.error.size(), url.size() + 10) << result.error;  // curl says why
}

TEST(HttpClientTransport, RetriesAFailedTlsHandshake) {
  TestServer server([](httplib::Server& s) {
    s.Post("/hook",
           [](const httplib::Request&, httplib::Response& response) { response.status = 200; });
  });
  ASSERT_GT(server.port(), 0);
  const std::string url = "https://127.0.0.1:" + std::to_string(server.port()) + "/hook";

  const HttpResult result = post(request_to(url), kNow);  // the server speaks plain HTTP

  EXPECT_EQ(result.outcome, Outcome::retry);
  EXPECT_EQ(result.status, 0);
  EXPECT_NE(result.error.find(url), std::string::npos) << result.error;
}

// Success over TLS: an HTTPS receiver whose certificate chains to the authority in
// ca_file (made by openssl for this test, so not in the system's store) gets the POST,
// certificate and host name verified. The same receiver is refused while the client
// trusts only the system's authorities, or another authority: ca_file trusts, it never
// switches verification off.
TEST(HttpClientTls, DeliversToAnHttpsReceiverWhoseCertificateTheCaFileVouchesFor) {
  const testing::TestCa certificates;
  ASSERT_TRUE(certificates.made()) << certificates.error();
  Recorder recorder;
  TestServer server(
      [&](httplib::Server& s) {
        s.Post("/hook", [&](const httplib::Request& request, httplib::Response& response) {
          recorder.record(request);
          response.status = 200;
        });
      },
      ServerTls{certificates->certificate, certificates->key});
  ASSERT_GT(server.port(), 0) << "the HTTPS server does not start";
  ASSERT_EQ(server.url("/hook").rfind("https://127.0.0.1:", 0), 0u);

  HttpRequest request = request_to(server.url("/hook"));
  request.body = R"({"schema":"tiendo.alerts/v1"})";
  request.ca_file = certificates->ca;
  const HttpResult delivered = post(request, kNow);
  EXPECT_EQ(delivered.outcome, Outcome::delivered) << delivered.error;
  EXPECT_EQ(delivered.status, 200);
  EXPECT_EQ(delivered.error, "");
  EXPECT_EQ(recorder.seen().count, 1);
  EXPECT_EQ(recorder.seen().body, request.body);

  // localhost is in the certificate too: the host name is checked, not only the chain.
  request.url = "https://localhost:" + std::to_string(server.port()) + "/hook";
  EXPECT_EQ(post(request, kNow).outcome, Outcome::delivered);

  for (const std::string& trusted : {std::string(), certificates->other_ca}) {
    SCOPED_TRACE(trusted.empty() ? "the system's authorities" : "another authority");
    request.ca_file = trusted;
    const HttpResult refused = post(request, kNow);
    EXPECT_EQ(refused.outcome, Outcome::retry);
    EXPECT_EQ(refused.status, 0);
    EXPECT_NE(refused.error.find("certificate"), std::string::npos) << refused.error;
  }
  EXPECT_EQ(recorder.seen().count, 2);  // nothing reached the handler unverified
}

TEST(HttpClientTransport, RejectsOtherProtocolsAndMalformedUrls) {
  const std::vector<std::string> urls = {"ftp://127.0.0.1/hook",
                                         "file:///etc/passwd",
                                         "gopher://127.0.0.1/",
                                         "not a url",
                                         "127.0.0.1/hook",
                                         "http://",
                                         "http://127.0.0.1:99999/hook",
                                         std::string("http://127.0.0.1/\0x", 19)};
  for (const std::string& url : urls) {
    const HttpResult result = post(request_to(url), kNow);
    EXPECT_EQ(result.outcome, Outcome::reject) << url;
    EXPECT_EQ(result.status, 0) << url;
    EXPECT_FALSE(result.error.empty()) << url;
    EXPECT_EQ(result.error.find('\0'), std::string::npos) << url;
  }
  EXPECT_NE(post(request_to("ftp://127.0.0.1/hook"), kNow).error.find("\"ftp\""),
            std::string::npos);
}

TEST(HttpClientTransport, RejectsHeadersThatWouldSplitTheRequest) {
  HttpRequest request = request_to("http://127.0.0.1:9/hook");  // never contacted
  request.headers = {{"X-Note", "a\r\nX-Injected: 1"}};
  EXPECT_EQ(post(request, kNow).outcome, Outcome::reject);
  request.headers = {{"X Note", "a"}};
  EXPECT_EQ(post(request, kNow).outcome, Outcome::reject);
  request.headers = {{"", "a"}};
  EXPECT_EQ(post(request, kNow).outcome, Outcome::reject);
}

TEST(HttpClientTransport, NeverEchoesTheUserAndPasswordOfTheUrl) {
  Recorder recorder;
  TestServer server([&](httplib::Server& s) {
    s.Post("/hook", [&](const httplib::Request& request, httplib::Response& response) {
      recorder.record(request);
      response.status = 500;
    });
  });
  ASSERT_GT(server.port(), 0);
  const std::string port = std::to_string(server.port());
  const int closed = closed_port();
  ASSERT_GT(closed, 0);

  const std::string urls[] = {
      "http://alice:s3cret@127.0.0.1:" + port + "/hook",                    // HTTP 500
      "http://alice:s3cret@127.0.0.1:" + std::to_string(closed) + "/hook",  // refused
      "ftp://alice:s3cret@127.0.0.1/hook",                                  // rejected
      "http://alice:s3cret@127.0.0.1:99999/hook",                           // malformed
      "http://alice:s3cret@127.0.0.1:" + port + "/hook?\n",                 // malformed
  };
  for (const std::string& url : urls) {
    const HttpResult result = post(request_to(url), kNow);
    EXPECT_NE(result.outcome, Outcome::delivered) << url;
    EXPECT_FALSE(result.error.empty()) << url;
    EXPECT_EQ(result.error.find("s3cret"), std::string::npos) << result.error;
    EXPECT_EQ(result.error.find("alice"), std::string::npos) << result.error;
  }
  const HttpResult first = post(request_to(urls[0]), kNow);
  EXPECT_NE(first.error.find("http://127.0.0.1:" + port + "/hook"), std::string::npos)
      << first.error;
  // The credentials still go to the server, as basic authentication.
  EXPECT_EQ(value_of(recorder.seen().headers, "Authorization"), "Basic YWxpY2U6czNjcmV0");
}

// ---------------------------------------------------------------------------------------
// What an error shows of the answer and of the URL (issue #13).

// An error is one line of bounded size, well-formed UTF-8, nothing raw for a terminal.
void expect_displayable(const std::string& error, std::size_t max_bytes) {
  EXPECT_LE(error.size(), max_bytes) << error.substr(0, 400);
  EXPECT_EQ(util::find_invalid_utf8(error), std::nullopt) << error.substr(0, 400);
  for (const char c : error) {
    ASSERT_FALSE(static_cast<unsigned char>(c) < 0x20 || c == 0x7F)
        << "control byte " << static_cast<int>(static_cast<unsigned char>(c)) << " in "
        << error.substr(0, 400);
  }
}

TEST(HttpClient, AHugeErrorAnswerIsQuotedCappedAndEscaped) {
  using namespace std::string_literals;
  const std::string start = "bad\0gateway \x1b[31mred \xC2\x9B\xFF end "s;
  const std::string body = start + std::string(10u << 20, 'y');
  TestServer server([&](httplib::Server& s) {
    s.Post("/body", [&](const httplib::Request&, httplib::Response& response) {
      response.status = 500;
      response.set_header("X-Big", std::string(50000, 'b'));  // read by libcurl, never shown
      response.set_content(body, "text/plain");
    });
    s.Post("/header", [](const httplib::Request&, httplib::Response& response) {
      response.status = 500;
      response.set_header("X-Huge", std::string(1u << 20, 'h'));
      response.set_content("small", "text/plain");
    });
    s.Post("/moved", [](const httplib::Request&, httplib::Response& response) {
      response.status = 302;
      response.set_header("Location", "/new/" + std::string(50000, 'z') + "?token=LOCSECRET");
    });
  });
  ASSERT_GT(server.port(), 0);

  const HttpResult answered = post(request_to(server.url("/body")), kNow);
  EXPECT_EQ(answered.outcome, Outcome::retry);
  EXPECT_EQ(answered.status, 500);
  expect_displayable(answered.error, 1024);
  EXPECT_NE(answered.error.find("HTTP 500: bad\\x00gateway \\x1b[31mred \\xc2\\x9b\\xff end yyy"),
            std::string::npos)
      << answered.error;
  // How much was left out: the first 512 bytes are read, and their five escapes take 15
  // bytes more to show; the unread rest is counted from the Content-Length.
  EXPECT_NE(answered.error.find(" (" + std::to_string(body.size() - 512 + 15) + " bytes more)"),
            std::string::npos)
      << answered.error;
  EXPECT_EQ(answered.error.find("bbbb"), std::string::npos) << answered.error;

  const HttpResult huge_header = post(request_to(server.url("/header")), kNow);
  EXPECT_EQ(huge_header.outcome, Outcome::retry);
  EXPECT_EQ(huge_header.status, 500);
  expect_displayable(huge_header.error, 1024);
  EXPECT_NE(huge_header.error.find("HTTP 500"), std::string::npos) << huge_header.error;
  EXPECT_EQ(huge_header.error.find("hhhh"), std::string::npos) << huge_header.error;

  const HttpResult moved = post(request_to(server.url("/moved")), kNow);
  EXPECT_EQ(moved.outcome, Outcome::reject);
  EXPECT_EQ(moved.status, 302);
  expect_displayable(moved.error, 1024);
  EXPECT_NE(moved.error.find("redirect to " + server.url("/new/***?token=***")), std::string::npos)
      << moved.error;
  EXPECT_EQ(moved.error.find("LOCSECRET"), std::string::npos) << moved.error;
}

TEST(HttpClientTransport, NeverEchoesTokensInThePathOrTheQuery) {
  TestServer server([](httplib::Server& s) {
    s.Post("/services/T000/B000/SECRETXYZ",
           [](const httplib::Request&, httplib::Response& response) {
             response.status = 500;
             response.set_content("no such hook", "text/plain");
           });
    s.Post("/hooks/SECRETXYZ", [](const httplib::Request&, httplib::Response& response) {
      response.set_redirect("/hooks/SECRETXYZ/v2?apikey=SECRET123", 307);
    });
  });
  ASSERT_GT(server.port(), 0);
  const std::string port = std::to_string(server.port());
  const int closed = closed_port();
  ASSERT_GT(closed, 0);

  const std::string urls[] = {
      server.url("/services/T000/B000/SECRETXYZ?apikey=SECRET123"),  // 500
      server.url("/hooks/SECRETXYZ?token=SECRET123"),                // 307
      "http://127.0.0.1:" + std::to_string(closed) +
          "/services/SECRETXYZ?sig=SECRET123",                                // refused
      "ftp://127.0.0.1:" + port + "/services/SECRETXYZ?apikey=SECRET123",     // rejected
      "http://127.0.0.1:99999/services/SECRETXYZ?apikey=SECRET123",           // malformed
      "http://127.0.0.1:" + port + "/services/SECRETXYZ?apikey=SECRET123\n",  // malformed
  };
  for (const std::string& url : urls) {
    const HttpResult result = post(request_to(url), kNow);
    EXPECT_NE(result.outcome, Outcome::delivered) << url;
    expect_displayable(result.error, 1024);
    EXPECT_EQ(result.error.find("SECRETXYZ"), std::string::npos) << result.error;
    EXPECT_EQ(result.error.find("SECRET123"), std::string::npos) << result.error;
    EXPECT_EQ(result.error.find("T000"), std::string::npos) << result.error;
    // The host stays, for diagnosis.
    EXPECT_NE(result.error.find("127.0.0.1:"), std::string::npos) << result.error;
  }
  const HttpResult first = post(request_to(urls[0]), kNow);
  EXPECT_NE(first.error.find("POST " + server.url("/services/***/***/***?apikey=***") +
                             ": HTTP 500: no such hook"),
            std::string::npos)
      << first.error;
}

}  // namespace
}  // namespace tiendo::notify

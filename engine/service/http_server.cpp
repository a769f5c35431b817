#include "service/http_server.hpp"

#include <fmt/format.h>
#include <httplib.h>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace tiendo::service {

namespace {

// httplib's own pool queues without limit; this one makes the accepting thread wait
// while `capacity` connections are already waiting for a handler thread.
class BoundedPool final : public httplib::TaskQueue {
 public:
  BoundedPool(std::size_t threads, std::size_t capacity) : capacity_(std::max<std::size_t>(capacity, 1)) {
    for (std::size_t i = 0; i < std::max<std::size_t>(threads, 1); ++i) {
      workers_.emplace_back([this] { work(); });
    }
  }
  ~BoundedPool() override { shutdown(); }

  void enqueue(std::function<void()> fn) override {
    std::unique_lock lock(mutex_);
    room_.wait(lock, [&] { return jobs_.size() < capacity_ || closing_; });
    if (closing_) return;
    jobs_.push_back(std::move(fn));
    ready_.notify_one();
  }

  void shutdown() override {
    {
      std::lock_guard lock(mutex_);
      if (closing_ && workers_.empty()) return;
      closing_ = true;
    }
    ready_.notify_all();
    room_.notify_all();
    for (std::thread& t : workers_) {
      if (t.joinable()) t.join();
    }
    workers_.clear();
  }

 private:
  void work() {
    for (;;) {
      std::function<void()> job;
      {
        std::unique_lock lock(mutex_);
        ready_.wait(lock, [&] { return !jobs_.empty() || closing_; });
        // Connections already accepted are still served at shutdown: their clients
        // are waiting for an answer.
        if (jobs_.empty()) return;
        job = std::move(jobs_.front());
        jobs_.pop_front();
      }
      room_.notify_one();
      job();
    }
  }

  std::size_t capacity_;
  std::mutex mutex_;
  std::condition_variable ready_, room_;
  std::deque<std::function<void()>> jobs_;
  std::vector<std::thread> workers_;
  bool closing_ = false;
};

// What the logger needs of the request the same thread has just handled.
struct InFlight {
  std::chrono::steady_clock::time_point started{};
  RequestFacts facts;
};
thread_local InFlight in_flight;

ApiRequest to_api_request(const httplib::Request& req) {
  ApiRequest r;
  r.method = req.method;
  r.path = req.path;
  for (const auto& [name, value] : req.params) r.query.emplace_back(name, value);
  for (const auto& [name, value] : req.headers) r.headers.emplace_back(name, value);
  return r;
}

void write_response(const ApiResponse& from, httplib::Response& to) {
  to.status = from.status;
  for (const auto& [name, value] : from.headers) to.set_header(name.c_str(), value);
  to.set_content(from.body, from.content_type.c_str());
}

}  // namespace

struct HttpServer::Impl {
  Impl(Service& s, Api& a) : service(s), api(a) {}
  Service& service;
  Api& api;
  httplib::Server server;
  int port = 0;
};

namespace {
std::string_view http_error_message(int status) {
  switch (status) {
    case 400: return "malformed HTTP request";
    case 404: return "no such path";
    case 405: return "method not allowed";
    case 413: return "the body is larger than the service takes";
    case 414: return "the request line is too long";
    default: return "the HTTP request was refused";
  }
}
}  // namespace

HttpServer::HttpServer(Service& service, Api& api) : impl_(std::make_unique<Impl>(service, api)) {
  httplib::Server& server = impl_->server;
  const ServiceLimits& limits = service.config().limits;
  server.new_task_queue = [limits] { return new BoundedPool(limits.threads, limits.queue); };
  server.set_read_timeout(limits.read_timeout);
  server.set_write_timeout(limits.write_timeout);
  // A kept-alive connection holds a handler thread: let idle ones go soon.
  server.set_keep_alive_timeout(static_cast<time_t>(limits.keep_alive_timeout.count()));
  server.set_keep_alive_max_count(1000);
  server.set_payload_max_length(limits.max_body_bytes);
  server.set_tcp_nodelay(true);

  server.set_pre_routing_handler([](const httplib::Request&, httplib::Response&) {
    in_flight = {std::chrono::steady_clock::now(), {}};
    return httplib::Server::HandlerResponse::Unhandled;
  });

  Impl* impl = impl_.get();
  const auto plain = [impl](const httplib::Request& req, httplib::Response& res) {
    ApiRequest request = to_api_request(req);
    request.body = req.body;
    write_response(impl->api.handle(request, in_flight.facts), res);
  };
  // Bodies are read here, whatever their framing, against the size and time limits.
  const auto with_body = [impl, limits](const httplib::Request& req, httplib::Response& res,
                                        const httplib::ContentReader& reader) {
    ApiRequest request = to_api_request(req);
    if (req.is_multipart_form_data()) {
      write_response(error_response(415, "multipart bodies are not taken; send text/csv or "
                                         "application/json"),
                     res);
      res.set_header("Connection", "close");
      return;
    }
    // Without Content-Length or chunked encoding a request has no body (RFC 9112 §6.3);
    // httplib 0.11 would wait for one until the read timeout.
    if (!req.has_header("Content-Length") && !req.has_header("Transfer-Encoding")) {
      write_response(impl->api.handle(request, in_flight.facts), res);
      return;
    }
    const auto deadline = std::chrono::steady_clock::now() + 3 * limits.read_timeout;
    bool too_large = false, too_slow = false;
    const bool read = reader([&](const char* data, std::size_t length) {
      if (request.body.size() + length > limits.max_body_bytes) {
        too_large = true;
        return false;
      }
      if (std::chrono::steady_clock::now() > deadline) {
        too_slow = true;
        return false;
      }
      request.body.append(data, length);
      return true;
    });
    // httplib refuses a Content-Length above the maximum before reading anything.
    if (!read && !too_slow && req.get_header_value<std::uint64_t>("Content-Length") > limits.max_body_bytes) {
      too_large = true;
    }
    if (!read && !too_large && !too_slow) {
      write_response(error_response(400, "the body could not be read (cut short, or bad chunked "
                                         "encoding)"),
                     res);
      res.set_header("Connection", "close");
      return;
    }
    if (too_large || too_slow) {
      in_flight.facts.route = "unmatched";
      write_response(
          too_large ? error_response(413, fmt::format("the body is larger than {} bytes",
                                                      limits.max_body_bytes))
                    : error_response(408, fmt::format("the body took longer than {} s to arrive",
                                                      3 * limits.read_timeout.count())),
          res);
      // The rest of the body is never read: the connection cannot carry another request.
      res.set_header("Connection", "close");
      return;
    }
    write_response(impl->api.handle(request, in_flight.facts), res);
  };
  server.Get(".*", plain);
  server.Options(".*", plain);
  server.Post(".*", with_body);
  server.Put(".*", with_body);
  server.Patch(".*", with_body);
  server.Delete(".*", with_body);

  // Errors httplib finds itself (a malformed request line, a Content-Length above the
  // maximum, an unknown method) get the API's JSON shape too.
  server.set_error_handler(httplib::Server::HandlerWithResponse(
      [](const httplib::Request&, httplib::Response& res) {
        if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
        const ApiResponse error = error_response(res.status, http_error_message(res.status));
        res.set_content(error.body, error.content_type.c_str());
        return httplib::Server::HandlerResponse::Handled;
      }));
  server.set_exception_handler([impl](const httplib::Request& req, httplib::Response& res,
                                      std::exception_ptr) {
    impl->service.log().error("request failed inside the HTTP library", {{"path", req.path}});
    write_response(error_response(500, "internal error; the service log has the details"), res);
  });
  server.set_logger([impl](const httplib::Request& req, const httplib::Response& res) {
    const bool timed = in_flight.started != std::chrono::steady_clock::time_point{};
    const double seconds =
        timed ? std::chrono::duration<double>(std::chrono::steady_clock::now() - in_flight.started).count()
              : 0.0;
    const std::string route = in_flight.facts.route.empty() ? "unmatched" : in_flight.facts.route;
    impl->service.metrics().http_request(route, req.method, res.status, seconds);
    // Probes and scrapes come every few seconds; log them only when they fail.
    const bool routine = (route == "/healthz" || route == "/readyz" || route == "/metrics") && res.status < 400;
    if (!routine) {
      impl->service.log().info("request", {{"method", req.method},
                                           {"path", req.path},
                                           {"status", res.status},
                                           {"duration_ms", seconds * 1000.0},
                                           {"token", in_flight.facts.token_id},
                                           {"remote", req.remote_addr}});
    }
    in_flight = {};
  });
}

HttpServer::~HttpServer() = default;

std::optional<std::string> HttpServer::bind() {
  const ListenAddress& listen = impl_->service.config().listen;
  if (listen.port == 0) {
    impl_->port = impl_->server.bind_to_any_port(listen.host);
    if (impl_->port <= 0) return fmt::format("cannot listen on {}:0", listen.host);
    return std::nullopt;
  }
  if (!impl_->server.bind_to_port(listen.host, listen.port)) {
    return fmt::format("cannot listen on {}:{} (in use, or not an address of this machine)",
                       listen.host, listen.port);
  }
  impl_->port = listen.port;
  return std::nullopt;
}

int HttpServer::port() const { return impl_->port; }

void HttpServer::run() { impl_->server.listen_after_bind(); }

void HttpServer::stop() { impl_->server.stop(); }

}  // namespace tiendo::service

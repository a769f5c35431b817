// The HTTP server's private parts (http_server.hpp is its API): the limits it works
// with, the handler pool, the core (listening socket, I/O threads, open connections:
// http_server.cpp) and one client connection (http_connection.cpp).
#pragma once

#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "service/api.hpp"

namespace tiendo::service::http_detail {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
using boost::system::error_code;

// Two threads accept, read, parse and write every connection. Neither ever runs a
// handler or waits for anything but the network, so two keep up with any number of
// connections a 2-core machine can serve, and a slow client costs a socket, not a thread.
inline constexpr int kIoThreads = 2;
// The request line and the header fields together (431 or 414 above it): a proxy's
// forwarded headers and a browser's cookies fit in a quarter of it.
inline constexpr std::uint32_t kHeadLimit = 16 * 1024;
// The longest request target, as cpp-httplib had it (414 above it).
inline constexpr std::size_t kTargetLimit = 8192;
// What a connection buffers beyond what the parser has taken: a head and one read.
inline constexpr std::size_t kBufferLimit = 2 * kHeadLimit;
inline constexpr std::size_t kMaxRequestsPerConnection = 1000;
// After a last answer, the rest of what the client sent is read and dropped for this
// long (or this much) before the socket is closed: closing with unread bytes makes the
// kernel reset the connection, and the reset can destroy the answer before the client
// has read it (a 413 sent while the body is still coming, say).
inline constexpr auto kLinger = std::chrono::seconds(2);
inline constexpr std::size_t kLingerBytes = 1 << 20;
// Files the service needs besides its connections: the database and its journal, the
// log, the pipes to dot, delivery connections.
inline constexpr rlim_t kSpareFiles = 128;
inline constexpr auto kAcceptRetry = std::chrono::milliseconds(100);
inline constexpr auto kWarningInterval = std::chrono::seconds(60);

// The handlers' threads. Api::handle may wait seconds for the database; a bounded queue
// in front of a fixed number of threads turns a surplus of requests into quick 503s
// rather than into memory or into stalled I/O threads.
class HandlerPool {
 public:
  HandlerPool(std::size_t threads, std::size_t capacity)
      : capacity_(std::max<std::size_t>(capacity, 1)) {
    for (std::size_t i = 0; i < std::max<std::size_t>(threads, 1); ++i) {
      workers_.emplace_back([this] { work(); });
    }
  }
  ~HandlerPool() { stop(); }
  HandlerPool(const HandlerPool&) = delete;
  HandlerPool& operator=(const HandlerPool&) = delete;

  // False when `capacity` jobs are waiting already, or the pool has stopped.
  bool try_submit(std::function<void()> job) {
    {
      std::lock_guard lock(mutex_);
      if (closing_ || jobs_.size() >= capacity_) return false;
      jobs_.push_back(std::move(job));
    }
    ready_.notify_one();
    return true;
  }

  // Runs the jobs already queued, then joins the threads.
  void stop() {
    {
      std::lock_guard lock(mutex_);
      closing_ = true;
    }
    ready_.notify_all();
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
        if (jobs_.empty()) return;
        job = std::move(jobs_.front());
        jobs_.pop_front();
      }
      job();
    }
  }

  std::size_t capacity_;
  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<std::function<void()>> jobs_;
  std::vector<std::thread> workers_;
  bool closing_ = false;
};

class Connection;

// The listening socket, the I/O threads, the handler pool and the open connections.
class Core {
 public:
  Core(Service& service, Api& api);
  ~Core();
  Core(const Core&) = delete;
  Core& operator=(const Core&) = delete;

  std::optional<std::string> bind();
  int port() const { return port_; }
  void run();
  void stop();

  // For the connections.
  Service& service;
  Api& api;
  const ServiceLimits limits;
  std::atomic<bool> stopping{false};
  bool submit(std::function<void()> job) { return handlers_.try_submit(std::move(job)); }
  void leave(Connection* connection);

 private:
  void accept();
  void refuse(tcp::socket& socket);
  void run_io();
  void raise_open_file_limit();

  // Declared before io_: a connection the io_context destroys unrun (when run() never
  // ran) still finds them when it leaves.
  std::mutex mutex_;
  std::unordered_map<Connection*, std::weak_ptr<Connection>> connections_;
  HandlerPool handlers_;
  // Keeps the I/O threads running while no socket operation is pending (every
  // connection waiting for a handler) until stop() and the last connection's end.
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work_;
  asio::io_context io_{kIoThreads};
  tcp::acceptor acceptor_;
  asio::steady_timer accept_retry_;
  int port_ = 0;
  // The acceptor's strand only.
  std::size_t refused_ = 0;
  Clock::time_point last_warning_{};
};

// One client connection: its requests, one after the other, each read (head, then
// body) against its deadlines on an I/O thread, handled on the pool, answered in order.
class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(Core& core, tcp::socket socket);
  ~Connection() { core_.leave(this); }

  void start() { next_request(); }
  asio::any_io_executor executor() { return socket_.get_executor(); }

  // The service is stopping: a connection between requests closes now, one with a
  // request in hand answers it first.
  void stop();

 private:
  enum class Phase { waiting, head, body, handler, writing, lingering, closed };
  enum class Timeout { none, idle, head, body_gap, body_total, write, linger };

  void arm(Clock::time_point when, Timeout kind);
  void disarm();
  void next_request();
  void read_head();
  void on_head(error_code ec);
  void note_request_line();
  void on_head_done();
  void read_body();
  void read_body_some();
  void on_body(error_code ec);
  void dispatch();
  void refuse(int status, std::string_view message);
  void respond(ApiResponse from);
  void write_some();
  void on_written(error_code ec);
  void log_request();
  void linger();
  void drain();
  void close();

  Core& core_;
  tcp::socket socket_;
  asio::steady_timer timer_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  http::response<http::string_body> response_;
  std::optional<http::response_serializer<http::string_body>> serializer_;

  Phase phase_ = Phase::waiting;
  Timeout armed_ = Timeout::none;
  Timeout expired_ = Timeout::none;
  std::uint64_t generation_ = 0;
  Clock::time_point started_{};
  Clock::time_point body_deadline_{};
  std::size_t served_ = 0;
  std::size_t drained_ = 0;
  bool close_after_ = false;
  bool http10_ = false;

  // For the log and the metrics.
  std::string remote_;
  std::string method_;
  std::string path_;
  int status_ = 0;
  RequestFacts facts_;
};

}  // namespace tiendo::service::http_detail

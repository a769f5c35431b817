#include "service/http_server.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

#include "util/text.hpp"

namespace tiendo::service {

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
using boost::system::error_code;

// Two threads accept, read, parse and write every connection. Neither ever runs a
// handler or waits for anything but the network, so two keep up with any number of
// connections a 2-core machine can serve, and a slow client costs a socket, not a thread.
constexpr int kIoThreads = 2;
// The request line and the header fields together (431 or 414 above it): a proxy's
// forwarded headers and a browser's cookies fit in a quarter of it.
constexpr std::uint32_t kHeadLimit = 16 * 1024;
// The longest request target, as cpp-httplib had it (414 above it).
constexpr std::size_t kTargetLimit = 8192;
// What a connection buffers beyond what the parser has taken: a head and one read.
constexpr std::size_t kBufferLimit = 2 * kHeadLimit;
constexpr std::size_t kMaxRequestsPerConnection = 1000;
// After a last answer, the rest of what the client sent is read and dropped for this
// long (or this much) before the socket is closed: closing with unread bytes makes the
// kernel reset the connection, and the reset can destroy the answer before the client
// has read it (a 413 sent while the body is still coming, say).
constexpr auto kLinger = std::chrono::seconds(2);
constexpr std::size_t kLingerBytes = 1 << 20;
// Files the service needs besides its connections: the database and its journal, the
// log, the pipes to dot, delivery connections.
constexpr rlim_t kSpareFiles = 128;
constexpr auto kAcceptRetry = std::chrono::milliseconds(100);
constexpr auto kWarningInterval = std::chrono::seconds(60);

std::string_view http_error_message(int status) {
  switch (status) {
    case 400:
      return "malformed HTTP request";
    case 414:
      return "the request line is too long";
    case 431:
      return "the request's header fields are too large";
    default:
      return "the HTTP request was refused";
  }
}

// Boost 1.74's Beast speaks boost::string_view.
std::string_view view(beast::string_view text) { return {text.data(), text.size()}; }

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// %XX decoded (a '%' not followed by two hex digits stays as it is), and in a query '+'
// as a space, as cpp-httplib decoded them for the Api.
std::string percent_decode(std::string_view text, bool plus_is_space) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '%' && i + 2 < text.size() && hex_digit(text[i + 1]) >= 0 &&
        hex_digit(text[i + 2]) >= 0) {
      out += static_cast<char>(hex_digit(text[i + 1]) * 16 + hex_digit(text[i + 2]));
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out += ' ';
    } else {
      out += c;
    }
  }
  return out;
}

// name=value pairs separated by '&', in their order; a pair without a name is dropped,
// a name without '=' has an empty value.
std::vector<std::pair<std::string, std::string>> parse_query(std::string_view query) {
  std::vector<std::pair<std::string, std::string>> out;
  while (!query.empty()) {
    const std::size_t end = std::min(query.find('&'), query.size());
    const std::string_view pair = query.substr(0, end);
    query.remove_prefix(std::min(end + 1, query.size()));
    const std::size_t equals = pair.find('=');
    std::string name = percent_decode(pair.substr(0, equals), true);
    if (name.empty()) continue;
    out.emplace_back(std::move(name), equals == std::string_view::npos
                                          ? std::string()
                                          : percent_decode(pair.substr(equals + 1), true));
  }
  return out;
}

// A decoded path can hold any byte; the log gets control characters as \xNN, so that a
// NUL, a newline or an escape sequence sent by a client never reaches it raw.
std::string printable(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7f) {
      out += fmt::format("\\x{:02x}", byte);
    } else {
      out += c;
    }
  }
  return out;
}

void close_on_exec(int fd) {
  // The dashboard runs dot; a child must not keep the service's sockets open.
  const int flags = ::fcntl(fd, F_GETFD);
  if (flags >= 0) ::fcntl(fd, F_SETFD, flags | FD_CLOEXEC);
}

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
  Connection(Core& core, tcp::socket socket)
      : core_(core),
        socket_(std::move(socket)),
        timer_(socket_.get_executor()),
        buffer_(kBufferLimit) {
    error_code ec;
    const tcp::endpoint remote = socket_.remote_endpoint(ec);
    if (!ec) remote_ = remote.address().to_string();
    socket_.set_option(tcp::no_delay(true), ec);
  }
  ~Connection() { core_.leave(this); }

  void start() { next_request(); }
  asio::any_io_executor executor() { return socket_.get_executor(); }

  // The service is stopping: a connection between requests closes now, one with a
  // request in hand answers it first.
  void stop() {
    if (phase_ == Phase::waiting || phase_ == Phase::head || phase_ == Phase::lingering) {
      close();
    } else {
      close_after_ = true;
    }
  }

 private:
  enum class Phase { waiting, head, body, handler, writing, lingering, closed };
  enum class Timeout { none, idle, head, body_gap, body_total, write, linger };

  // One timer per connection, for whatever it waits for now; when it fires, the pending
  // socket operation is cancelled and its handler reads `expired_` to know why.
  void arm(Clock::time_point when, Timeout kind) {
    expired_ = Timeout::none;
    armed_ = kind;
    timer_.expires_at(when);
    timer_.async_wait([self = shared_from_this(), generation = ++generation_](error_code ec) {
      if (ec || generation != self->generation_ || self->phase_ == Phase::closed) return;
      self->expired_ = self->armed_;
      error_code ignored;
      self->socket_.cancel(ignored);
    });
  }
  void disarm() {
    ++generation_;
    armed_ = Timeout::none;
    timer_.cancel();
  }

  void next_request() {
    if (core_.stopping) return close();
    parser_.emplace();
    parser_->header_limit(kHeadLimit);
    // Beast checks a Content-Length against it as soon as the head is in (413 before
    // any of the body), and a chunked body as its chunks come.
    parser_->body_limit(core_.limits.max_body_bytes);
    facts_ = {};
    method_.clear();
    path_.clear();
    close_after_ = false;
    http10_ = false;
    if (buffer_.size() == 0) buffer_.shrink_to_fit();
    // A pipelined request is in the buffer already; the first one is due at once.
    if (buffer_.size() > 0 || served_ == 0) return read_head();
    phase_ = Phase::waiting;
    arm(Clock::now() + core_.limits.keep_alive_timeout, Timeout::idle);
    socket_.async_wait(tcp::socket::wait_read, [self = shared_from_this()](error_code ec) {
      if (self->phase_ == Phase::closed) return;
      // Idle for keep_alive_timeout, the service stopping, or an error: nothing to answer.
      if (ec) return self->close();
      self->read_head();
    });
  }

  void read_head() {
    phase_ = Phase::head;
    started_ = Clock::now();
    // One deadline for the whole head, however steadily its bytes come: a client that
    // sends a line every few seconds holds a connection for header_timeout at most.
    arm(started_ + core_.limits.header_timeout, Timeout::head);
    http::async_read_header(
        socket_, buffer_, *parser_,
        [self = shared_from_this()](error_code ec, std::size_t) { self->on_head(ec); });
  }

  void on_head(error_code ec) {
    if (phase_ == Phase::closed) return;
    if (!ec) return on_head_done();
    note_request_line();
    if (expired_ == Timeout::head) {
      // Nothing sent at all is an idle connection: closed without a word. (The parser
      // takes the request line out of the buffer before the fields are whole.)
      if (!parser_->got_some() && buffer_.size() == 0) return close();
      return refuse(408, fmt::format("the request head took longer than {} s to arrive",
                                     core_.limits.header_timeout.count()));
    }
    if (ec == http::error::body_limit) {
      return refuse(413,
                    fmt::format("the body is larger than {} bytes", core_.limits.max_body_bytes));
    }
    if (ec == http::error::header_limit || ec == http::error::buffer_overflow) {
      const std::string_view seen(static_cast<const char*>(buffer_.data().data()), buffer_.size());
      const bool line_ended = seen.substr(0, kHeadLimit).find('\n') != std::string_view::npos;
      const int status = line_ended ? 431 : 414;
      return refuse(status, http_error_message(status));
    }
    if (ec == http::error::end_of_stream || ec == http::error::partial_message ||
        ec.category() != http::make_error_code(http::error::end_of_stream).category()) {
      return close();  // the client went away, or the service is stopping
    }
    refuse(400, http_error_message(400));
  }

  // What the log can say of a request whose head did not arrive whole.
  void note_request_line() {
    const auto& request = parser_->get();
    method_ = std::string(request.method_string());
    const std::string_view target = view(request.target());
    path_ = percent_decode(target.substr(0, target.find('?')), false);
  }

  void on_head_done() {
    const auto& request = parser_->get();
    started_ = Clock::now();
    note_request_line();
    http10_ = request.version() < 11;
    close_after_ =
        !request.keep_alive() || served_ + 1 >= kMaxRequestsPerConnection || core_.stopping;
    if (request.target().size() > kTargetLimit) return refuse(414, http_error_message(414));
    // Without chunked as the last coding a request's body has no knowable end (RFC 9112
    // §6.3); Beast itself refuses chunked with a Content-Length, and Content-Lengths
    // that differ (two equal ones are one length, and taken).
    if (request.find(http::field::transfer_encoding) != request.end() && !parser_->chunked()) {
      return refuse(400, "a Transfer-Encoding other than chunked is not taken");
    }
    const std::string type = util::ascii_lower(view(request[http::field::content_type]));
    if (method_ != "GET" && method_ != "HEAD" && method_ != "OPTIONS" &&
        type.rfind("multipart/form-data", 0) == 0) {
      return refuse(415, "multipart bodies are not taken; send text/csv or application/json");
    }
    if (parser_->is_done()) return dispatch();
    if (!http10_ && util::ascii_lower(view(request[http::field::expect])) == "100-continue") {
      phase_ = Phase::body;
      arm(Clock::now() + core_.limits.write_timeout, Timeout::write);
      static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
      asio::async_write(socket_, asio::buffer(kContinue.data(), kContinue.size()),
                        [self = shared_from_this()](error_code ec, std::size_t) {
                          if (self->phase_ == Phase::closed) return;
                          if (ec) return self->close();
                          self->read_body();
                        });
      return;
    }
    read_body();
  }

  void read_body() {
    phase_ = Phase::body;
    body_deadline_ = Clock::now() + 3 * core_.limits.read_timeout;
    parser_->eager(true);
    read_body_some();
  }

  void read_body_some() {
    const auto gap = Clock::now() + core_.limits.read_timeout;
    if (gap < body_deadline_) {
      arm(gap, Timeout::body_gap);
    } else {
      arm(body_deadline_, Timeout::body_total);
    }
    http::async_read_some(
        socket_, buffer_, *parser_,
        [self = shared_from_this()](error_code ec, std::size_t) { self->on_body(ec); });
  }

  void on_body(error_code ec) {
    if (phase_ == Phase::closed) return;
    if (ec == http::error::body_limit) {
      return refuse(413,
                    fmt::format("the body is larger than {} bytes", core_.limits.max_body_bytes));
    }
    if (expired_ == Timeout::body_total) {
      return refuse(408, fmt::format("the body took longer than {} s to arrive",
                                     3 * core_.limits.read_timeout.count()));
    }
    const bool parse_error =
        ec && ec.category() == http::make_error_code(http::error::end_of_stream).category() &&
        ec != http::error::end_of_stream && ec != http::error::partial_message;
    if (expired_ == Timeout::body_gap || parse_error) {
      return refuse(400, "the body could not be read (cut short, or bad chunked encoding)");
    }
    if (ec) return close();  // the client went away, or the service is stopping
    if (parser_->is_done()) return dispatch();
    read_body_some();
  }

  // The request goes to a handler thread; this I/O thread goes on with other sockets.
  void dispatch() {
    phase_ = Phase::handler;
    disarm();
    const auto& message = parser_->get();
    ApiRequest request;
    request.method = method_;
    request.path = path_;
    const std::string_view target = view(message.target());
    if (const std::size_t question = target.find('?'); question != std::string_view::npos) {
      request.query = parse_query(target.substr(question + 1));
    }
    for (const auto& field : message) {
      request.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
    }
    request.body = std::move(parser_->get().body());
    const bool queued = core_.submit([self = shared_from_this(), request = std::move(request)] {
      RequestFacts facts;
      ApiResponse response;
      try {
        response = self->core_.api.handle(request, facts);
      } catch (...) {
        // Api::handle answers its own errors; this is memory running out, or worse.
        self->core_.service.log().error("request failed inside the HTTP server",
                                        {{"path", printable(request.path)}});
        response = error_response(500, "internal error; the service log has the details");
      }
      asio::post(self->socket_.get_executor(),
                 [self, response = std::move(response), facts = std::move(facts)]() mutable {
                   if (self->phase_ == Phase::closed) return;
                   self->facts_ = std::move(facts);
                   self->respond(std::move(response));
                 });
    });
    if (!queued) {
      ApiResponse busy = error_response(
          503, fmt::format("every request handler is busy and {} requests are waiting; retry "
                           "after a second",
                           core_.limits.queue));
      busy.headers.emplace_back("Retry-After", "1");
      facts_.route = "unmatched";
      respond(std::move(busy));
    }
  }

  // An answer from the HTTP layer itself; the connection closes after it, as the rest
  // of the request (if any) is not read.
  void refuse(int status, std::string_view message) {
    facts_.route = "unmatched";
    close_after_ = true;
    respond(error_response(status, message));
  }

  void respond(ApiResponse from) {
    phase_ = Phase::writing;
    status_ = from.status;
    response_ = {};
    response_.version(11);
    response_.result(static_cast<unsigned>(from.status));
    for (auto& [name, value] : from.headers) {
      if (beast::iequals(name, "Connection")) {
        if (util::ascii_lower(value).find("close") != std::string::npos) close_after_ = true;
        continue;
      }
      response_.insert(name, value);
    }
    response_.set(http::field::content_type, from.content_type);
    if (close_after_ || core_.stopping) {
      close_after_ = true;
      response_.set(http::field::connection, "close");
    } else if (http10_) {
      response_.set(http::field::connection, "keep-alive");
    }
    // HEAD is answered like GET without the body (the Api has dropped it, or an error's);
    // 1xx, 204 and 304 have none either.
    const bool bodiless =
        method_ == "HEAD" || from.status < 200 || from.status == 204 || from.status == 304;
    if (!bodiless) {
      response_.body() = std::move(from.body);
      response_.content_length(response_.body().size());
    }
    serializer_.emplace(response_);
    write_some();
  }

  void write_some() {
    // write_timeout bounds each wait for the client to take more bytes, not the whole
    // answer: a large answer to a slow but live client is not cut off.
    arm(Clock::now() + core_.limits.write_timeout, Timeout::write);
    http::async_write_some(
        socket_, *serializer_,
        [self = shared_from_this()](error_code ec, std::size_t) { self->on_written(ec); });
  }

  void on_written(error_code ec) {
    if (phase_ == Phase::closed) return;
    if (!ec && !serializer_->is_done()) return write_some();
    disarm();
    serializer_.reset();
    log_request();
    if (ec) return close();
    if (close_after_) return linger();
    ++served_;
    next_request();
  }

  void log_request() {
    const double seconds = std::chrono::duration<double>(Clock::now() - started_).count();
    const std::string route = facts_.route.empty() ? "unmatched" : facts_.route;
    core_.service.metrics().http_request(route, method_, status_, seconds);
    // Probes and scrapes come every few seconds; log them only when they fail.
    const bool routine =
        (route == "/healthz" || route == "/readyz" || route == "/metrics") && status_ < 400;
    if (routine) return;
    core_.service.log().info("request", {{"method", printable(method_)},
                                         {"path", printable(path_)},
                                         {"status", status_},
                                         {"duration_ms", seconds * 1000.0},
                                         {"token", facts_.token_id},
                                         {"remote", remote_}});
  }

  // Half-closes, then reads and drops what the client still sends until it closes too
  // (see kLinger).
  void linger() {
    phase_ = Phase::lingering;
    error_code ignored;
    socket_.shutdown(tcp::socket::shutdown_send, ignored);
    arm(Clock::now() + kLinger, Timeout::linger);
    drain();
  }

  void drain() {
    buffer_.consume(buffer_.size());
    socket_.async_read_some(buffer_.prepare(4096),
                            [self = shared_from_this()](error_code ec, std::size_t n) {
                              if (self->phase_ == Phase::closed) return;
                              self->drained_ += n;
                              if (ec || self->drained_ > kLingerBytes) return self->close();
                              self->drain();
                            });
  }

  void close() {
    if (phase_ == Phase::closed) return;
    phase_ = Phase::closed;
    disarm();
    error_code ignored;
    socket_.close(ignored);
  }

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

Core::Core(Service& s, Api& a)
    : service(s),
      api(a),
      limits(s.config().limits),
      handlers_(limits.threads, limits.queue),
      acceptor_(asio::make_strand(io_)),
      accept_retry_(acceptor_.get_executor()) {
  work_.emplace(io_.get_executor());
}

Core::~Core() {
  handlers_.stop();
  {
    std::lock_guard lock(mutex_);
    work_.reset();
  }
  io_.stop();
}

std::optional<std::string> Core::bind() {
  const ListenAddress& listen = service.config().listen;
  error_code ec;
  tcp::resolver resolver(io_);
  const auto endpoints =
      resolver.resolve(listen.host, std::to_string(listen.port),
                       tcp::resolver::passive | tcp::resolver::numeric_service, ec);
  if (!ec) {
    for (const auto& entry : endpoints) {
      acceptor_.open(entry.endpoint().protocol(), ec);
      if (ec) continue;
      close_on_exec(acceptor_.native_handle());
      acceptor_.set_option(tcp::acceptor::reuse_address(true), ec);
      if (!ec) acceptor_.bind(entry.endpoint(), ec);
      if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
      if (ec) {
        error_code ignored;
        acceptor_.close(ignored);
        continue;
      }
      port_ = acceptor_.local_endpoint().port();
      raise_open_file_limit();
      return std::nullopt;
    }
  }
  if (listen.port == 0) return fmt::format("cannot listen on {}:0", listen.host);
  return fmt::format("cannot listen on {}:{} (in use, or not an address of this machine)",
                     listen.host, listen.port);
}

// Every connection is a file descriptor, and shells and systemd start services with a
// soft limit of 1024: below the default bound on connections. The hard limit is the
// administrator's; up to it the soft one is ours to raise.
void Core::raise_open_file_limit() {
  rlimit files{};
  if (::getrlimit(RLIMIT_NOFILE, &files) != 0) return;
  const rlim_t wanted = static_cast<rlim_t>(limits.max_connections) + kSpareFiles;
  if (files.rlim_cur != RLIM_INFINITY && files.rlim_cur < wanted) {
    rlimit raised = files;
    raised.rlim_cur = files.rlim_max == RLIM_INFINITY ? wanted : std::min(wanted, files.rlim_max);
    if (::setrlimit(RLIMIT_NOFILE, &raised) == 0) files = raised;
  }
  if (files.rlim_cur != RLIM_INFINITY && files.rlim_cur < wanted) {
    service.log().warn(
        "the open-file limit is below limits.max_connections and the service's own files; "
        "connections past it wait in the kernel's backlog (raise LimitNOFILE)",
        {{"open_files", static_cast<std::int64_t>(files.rlim_cur)},
         {"max_connections", limits.max_connections}});
  }
}

void Core::run() {
  asio::post(acceptor_.get_executor(), [this] {
    if (!stopping) accept();
  });
  std::vector<std::thread> more;
  for (int i = 1; i < kIoThreads; ++i) more.emplace_back([this] { run_io(); });
  run_io();
  for (std::thread& t : more) t.join();
  handlers_.stop();
}

void Core::run_io() {
  for (;;) {
    try {
      io_.run();
      return;
    } catch (const std::exception& e) {
      // A handler of ours threw (memory ran out): that connection is lost, not the server.
      service.log().error("the HTTP server's I/O thread caught an error", {{"error", e.what()}});
    }
  }
}

void Core::stop() {
  stopping = true;
  asio::post(acceptor_.get_executor(), [this] {
    error_code ignored;
    acceptor_.close(ignored);
    accept_retry_.cancel();
  });
  std::vector<std::shared_ptr<Connection>> open;
  {
    std::lock_guard lock(mutex_);
    for (const auto& [raw, weak] : connections_) {
      if (auto connection = weak.lock()) open.push_back(std::move(connection));
    }
    if (connections_.empty()) work_.reset();
  }
  for (const std::shared_ptr<Connection>& connection : open) {
    asio::post(connection->executor(), [connection] { connection->stop(); });
  }
}

void Core::leave(Connection* connection) {
  std::lock_guard lock(mutex_);
  connections_.erase(connection);
  if (stopping && connections_.empty()) work_.reset();
}

void Core::accept() {
  acceptor_.async_accept(asio::make_strand(io_), [this](error_code ec, tcp::socket socket) {
    if (stopping || ec == asio::error::operation_aborted) return;
    if (ec) {
      // Out of file descriptors (or memory): the connection waits in the backlog, and
      // accepting again at once would spin.
      if (ec == asio::error::no_descriptors || ec == asio::error::no_buffer_space ||
          ec == asio::error::no_memory || ec.value() == ENFILE) {
        if (Clock::now() - last_warning_ > kWarningInterval) {
          last_warning_ = Clock::now();
          service.log().warn("cannot accept connections", {{"error", ec.message()}});
        }
        accept_retry_.expires_after(kAcceptRetry);
        accept_retry_.async_wait([this](error_code wait) {
          if (!wait && !stopping) accept();
        });
        return;
      }
      return accept();
    }
    // Waiting for the next one first: nothing below can then stop the accepting (the
    // strand runs this handler to its end before the next one).
    accept();
    close_on_exec(socket.native_handle());
    std::shared_ptr<Connection> connection;
    {
      std::lock_guard lock(mutex_);
      if (connections_.size() < limits.max_connections) {
        connection = std::make_shared<Connection>(*this, std::move(socket));
        connections_.emplace(connection.get(), connection);
      }
    }
    if (connection) {
      asio::post(connection->executor(), [connection] { connection->start(); });
    } else {
      refuse(socket);
    }
  });
}

// Past limits.max_connections a connection is answered 503 if the answer fits the
// socket's buffer at once, and closed: it is never read, waited for or queued, so a
// flood of connections costs the service nothing beyond the bound.
void Core::refuse(tcp::socket& socket) {
  static const std::string kBusy = [] {
    const ApiResponse busy =
        error_response(503, "the service has as many connections open as it takes; retry later");
    return fmt::format(
        "HTTP/1.1 503 Service Unavailable\r\nContent-Type: {}\r\nContent-Length: {}\r\n"
        "Retry-After: 1\r\nConnection: close\r\n\r\n{}",
        busy.content_type, busy.body.size(), busy.body);
  }();
  error_code ignored;
  socket.non_blocking(true, ignored);
  socket.write_some(asio::buffer(kBusy), ignored);
  socket.shutdown(tcp::socket::shutdown_send, ignored);
  socket.close(ignored);
  ++refused_;
  if (Clock::now() - last_warning_ > kWarningInterval) {
    last_warning_ = Clock::now();
    service.log().warn("connections refused: limits.max_connections are open",
                       {{"max_connections", limits.max_connections}, {"refused", refused_}});
    refused_ = 0;
  }
}

}  // namespace

struct HttpServer::Impl {
  Impl(Service& service, Api& api) : core(service, api) {}
  Core core;
};

HttpServer::HttpServer(Service& service, Api& api) : impl_(std::make_unique<Impl>(service, api)) {}

HttpServer::~HttpServer() = default;

std::optional<std::string> HttpServer::bind() { return impl_->core.bind(); }

int HttpServer::port() const { return impl_->core.port(); }

void HttpServer::run() { impl_->core.run(); }

void HttpServer::stop() { impl_->core.stop(); }

}  // namespace tiendo::service

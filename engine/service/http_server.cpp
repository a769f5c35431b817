#include "service/http_server.hpp"

#include <fcntl.h>
#include <fmt/format.h>

#include <boost/asio/post.hpp>

#include "service/http_parts.hpp"

namespace tiendo::service {

namespace http_detail {

namespace {

void close_on_exec(int fd) {
  // The dashboard runs dot; a child must not keep the service's sockets open.
  const int flags = ::fcntl(fd, F_GETFD);
  if (flags >= 0) ::fcntl(fd, F_SETFD, flags | FD_CLOEXEC);
}

}  // namespace

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

}  // namespace http_detail

using http_detail::Core;

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

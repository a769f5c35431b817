// The HTTP side of `tiendo serve`: Boost.Beast on Boost.Asio in front of the Api
// handlers. Two I/O threads accept, read, parse and write every connection without ever
// blocking, so a slow or hostile client costs a socket, not a thread: the whole request
// head must arrive within limits.header_timeout, the body within 3 × read_timeout and
// under max_body_bytes (413 as soon as a Content-Length says more), and past
// limits.max_connections a connection is refused at once. Whole requests go to a pool of
// limits.threads handler threads with a queue of limits.queue (503 with Retry-After when
// it is full), and are answered in order, pipelined ones included. Every request is
// logged with its method, path, status, duration and the token's id (never the token).
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "service/api.hpp"

namespace tiendo::service {

class HttpServer {
 public:
  HttpServer(Service& service, Api& api);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds the configured address (port 0: any free port). Returns why it cannot. Raises
  // the process's soft limit on open files towards limits.max_connections when it can.
  std::optional<std::string> bind();
  int port() const;
  // Serves until stop(), on the calling thread and one more; a request in hand is
  // answered (and its connection closed) before it returns. Call once, after bind().
  void run();
  // Stops accepting and closes the connections between requests; thread-safe.
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace tiendo::service

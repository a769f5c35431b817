// The HTTP side of `tiendo serve`: cpp-httplib with explicit limits (Debian's 0.11 has
// unlimited defaults) in front of the Api handlers. Bodies are read here, against the
// configured maximum (413, also for chunked bodies) and a deadline for the whole body
// (408), so a huge or slow upload never reaches a handler. Requests wait in a bounded
// queue for a handler thread; when it is full, new connections wait in the kernel's
// backlog instead of taking memory. Every request is logged with its method, path,
// status, duration and the token's id (never the token).
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

  // Binds the configured address (port 0: any free port). Returns why it cannot.
  std::optional<std::string> bind();
  int port() const;
  // Serves until stop(); a request in hand is answered before it returns.
  void run();
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace tiendo::service

// One client connection: reading a request's head and body against their deadlines,
// handing it to a handler thread, writing the answer, lingering before the close.
#include <fmt/format.h>

#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>

#include "service/http_parts.hpp"
#include "util/text.hpp"

namespace tiendo::service::http_detail {

namespace {

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

}  // namespace

Connection::Connection(Core& core, tcp::socket socket)
    : core_(core),
      socket_(std::move(socket)),
      timer_(socket_.get_executor()),
      buffer_(kBufferLimit) {
  error_code ec;
  const tcp::endpoint remote = socket_.remote_endpoint(ec);
  if (!ec) remote_ = remote.address().to_string();
  socket_.set_option(tcp::no_delay(true), ec);
}

// The service is stopping: a connection between requests closes now, one with a
// request in hand answers it first.
void Connection::stop() {
  if (phase_ == Phase::waiting || phase_ == Phase::head || phase_ == Phase::lingering) {
    close();
  } else {
    close_after_ = true;
  }
}

// One timer per connection, for whatever it waits for now; when it fires, the pending
// socket operation is cancelled and its handler reads `expired_` to know why.
void Connection::arm(Clock::time_point when, Timeout kind) {
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

void Connection::disarm() {
  ++generation_;
  armed_ = Timeout::none;
  timer_.cancel();
}

void Connection::next_request() {
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

void Connection::read_head() {
  phase_ = Phase::head;
  started_ = Clock::now();
  // One deadline for the whole head, however steadily its bytes come: a client that
  // sends a line every few seconds holds a connection for header_timeout at most.
  arm(started_ + core_.limits.header_timeout, Timeout::head);
  http::async_read_header(
      socket_, buffer_, *parser_,
      [self = shared_from_this()](error_code ec, std::size_t) { self->on_head(ec); });
}

void Connection::on_head(error_code ec) {
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
void Connection::note_request_line() {
  const auto& request = parser_->get();
  method_ = std::string(request.method_string());
  const std::string_view target = view(request.target());
  path_ = percent_decode(target.substr(0, target.find('?')), false);
}

void Connection::on_head_done() {
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

void Connection::read_body() {
  phase_ = Phase::body;
  body_deadline_ = Clock::now() + 3 * core_.limits.read_timeout;
  parser_->eager(true);
  read_body_some();
}

void Connection::read_body_some() {
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

void Connection::on_body(error_code ec) {
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
void Connection::dispatch() {
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
void Connection::refuse(int status, std::string_view message) {
  facts_.route = "unmatched";
  close_after_ = true;
  respond(error_response(status, message));
}

void Connection::respond(ApiResponse from) {
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

void Connection::write_some() {
  // write_timeout bounds each wait for the client to take more bytes, not the whole
  // answer: a large answer to a slow but live client is not cut off.
  arm(Clock::now() + core_.limits.write_timeout, Timeout::write);
  http::async_write_some(
      socket_, *serializer_,
      [self = shared_from_this()](error_code ec, std::size_t) { self->on_written(ec); });
}

void Connection::on_written(error_code ec) {
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

void Connection::log_request() {
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
void Connection::linger() {
  phase_ = Phase::lingering;
  error_code ignored;
  socket_.shutdown(tcp::socket::shutdown_send, ignored);
  arm(Clock::now() + kLinger, Timeout::linger);
  drain();
}

void Connection::drain() {
  buffer_.consume(buffer_.size());
  socket_.async_read_some(buffer_.prepare(4096),
                          [self = shared_from_this()](error_code ec, std::size_t n) {
                            if (self->phase_ == Phase::closed) return;
                            self->drained_ += n;
                            if (ec || self->drained_ > kLingerBytes) return self->close();
                            self->drain();
                          });
}

void Connection::close() {
  if (phase_ == Phase::closed) return;
  phase_ = Phase::closed;
  disarm();
  error_code ignored;
  socket_.close(ignored);
}

}  // namespace tiendo::service::http_detail

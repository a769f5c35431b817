// One HTTP POST, for the webhook and Alertmanager senders: libcurl underneath, and the
// answer sorted into delivered, retry or reject so that the outbox knows what to do next.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "notify/outcome.hpp"

namespace tiendo::notify {

struct HttpRequest {
  std::string url;  // http:// or https://; a user:password part is sent as basic auth
  std::vector<std::pair<std::string, std::string>> headers;  // Content-Type defaults to JSON
  std::string body;
  std::chrono::milliseconds connect_timeout{5000};
  std::chrono::milliseconds total_timeout{15000};
  // A PEM file of the certificate authorities an https:// receiver's certificate must
  // chain to, instead of the system's (a private CA); empty: the system's. Certificates
  // are verified either way.
  std::string ca_file;
  // Where no_proxy is read from.
  Getenv getenv = std::getenv;
};

struct HttpResult {
  Outcome outcome = Outcome::retry;
  long status = 0;  // HTTP status, 0 when none was received
  // From a Retry-After header (delta-seconds or HTTP-date, relative to `now`), whatever
  // the status; a date in the past gives zero.
  std::optional<std::chrono::seconds> retry_after;
  // One line for people, empty when delivered; names the URL redacted (redact_url) and,
  // for an HTTP error, the start of the response body (at most 512 bytes of it, escaped
  // and capped by util::cap_for_display), never a header but a redirect's Location.
  std::string error;
};

// Sends `request` once. Redirects are not followed (a receiver that moved is a
// configuration error to fix, not something to chase), only http and https are allowed,
// and certificates are verified. 2xx is delivered; 408, 429, 5xx and transport failures
// (refused, timed out, DNS, TLS) are retry; 3xx, other 4xx, a malformed URL or another
// protocol are reject. Never throws. `now` is only used to read a Retry-After date.
HttpResult post(const HttpRequest& request, std::chrono::system_clock::time_point now);

}  // namespace tiendo::notify

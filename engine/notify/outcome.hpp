// What one delivery attempt came to, for every sender (webhook, email, Alertmanager).
#pragma once

#include <cstddef>
#include <cstdlib>
#include <functional>
#include <string>

namespace tiendo::notify {

// The longest error an attempt reports and an outbox row keeps, in bytes (then "… (N
// bytes more)"): a redacted URL (256), the start of a receiver's body (512) or an SMTP
// reply (200) and the words around them fit, and `tiendo outbox list` stays one
// readable line per row.
constexpr std::size_t kMaxErrorBytes = 1024;

// Reads an environment variable (std::getenv, unless a caller gives another).
using Getenv = std::function<const char*(const char*)>;

enum class Outcome {
  delivered,  // the receiver accepted the message
  retry,      // a failure that may pass (5xx, 408, 429, timeouts, refused connections)
  reject,     // a failure that will not pass by retrying (other 4xx, redirects, bad URL)
};

// The hosts libcurl must reach without a proxy: the loopback names, then whatever the
// environment's no_proxy lists (setting CURLOPT_NOPROXY replaces the variable).
inline std::string loopback_no_proxy(const Getenv& getenv) {
  std::string hosts = "localhost,127.0.0.1,::1";
  const char* env = getenv("no_proxy");
  if (!env || !*env) env = getenv("NO_PROXY");
  if (env && *env) hosts += std::string(",") + env;
  return hosts;
}

}  // namespace tiendo::notify

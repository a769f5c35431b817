// What one delivery attempt came to, for every sender (webhook, email, Alertmanager).
#pragma once

#include <cstdlib>
#include <string>

namespace tiendo::notify {

enum class Outcome {
  delivered,  // the receiver accepted the message
  retry,      // a failure that may pass (5xx, 408, 429, timeouts, refused connections)
  reject,     // a failure that will not pass by retrying (other 4xx, redirects, bad URL)
};

// The hosts libcurl must reach without a proxy: the loopback names, then whatever the
// environment's no_proxy lists (setting CURLOPT_NOPROXY replaces the variable).
inline std::string loopback_no_proxy() {
  std::string hosts = "localhost,127.0.0.1,::1";
  const char* env = std::getenv("no_proxy");
  if (!env || !*env) env = std::getenv("NO_PROXY");
  if (env && *env) hosts += std::string(",") + env;
  return hosts;
}

}  // namespace tiendo::notify

// What one delivery attempt came to, for every sender (webhook, email, Alertmanager).
#pragma once

namespace tiendo::notify {

enum class Outcome {
  delivered,  // the receiver accepted the message
  retry,      // a failure that may pass (5xx, 408, 429, timeouts, refused connections)
  reject,     // a failure that will not pass by retrying (other 4xx, redirects, bad URL)
};

}  // namespace tiendo::notify

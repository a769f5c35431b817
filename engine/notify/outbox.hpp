// The durable outbox: every (message, channel) of a run is a row, written with the run;
// delivery takes the rows that are due, sends each, and records what happened in its own
// transaction. A process killed mid-send leaves the row pending, so it is sent again
// (at least once); retries back off exponentially with jitter until the row is too old,
// when it becomes a dead letter.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "model/calendar.hpp"
#include "notify/email.hpp"
#include "notify/outcome.hpp"
#include "notify/sender.hpp"
#include "store/database.hpp"
#include "store/outbox.hpp"

namespace tiendo::notify {

// The UTC time stamps and clock durations of model/calendar, under the names the
// delivery code has always used.
using model::format_utc;
using model::parse_clock_duration;
using model::parse_utc;

// A message as the outbox holds it, its payload typed (store/outbox.hpp).
using OutboxRow = store::OutboxEntry;

// Each at most model::kMaxClockDuration (ten years), as parse_clock_duration reads them.
struct RetryPolicy {
  std::chrono::seconds initial{30};         // the first retry's delay
  std::chrono::seconds ceiling{3600};       // delays double up to this
  std::chrono::seconds max_age{24 * 3600};  // a row older than this is given up
};

// The longest connect, total, read or write timeout the settings accept. A delivery
// stuck for longer holds the one delivery thread; and cpp-httplib waits for a socket
// with poll(), whose timeout is an int of milliseconds (24 days at most).
inline constexpr std::chrono::seconds kMaxTimeout{3600};

// The delay before retry number `attempts` (1 for the first retry): initial × 2^(n−1),
// at most the ceiling, then "equal jitter" — half of it fixed, half random — so that
// many failed messages do not come back at the same moment. `random` is in [0, 1).
std::chrono::seconds backoff(const RetryPolicy& policy, std::int64_t attempts, double random);

class Outbox {
 public:
  explicit Outbox(store::Database& db) : db_(db) {}

  // Pending rows whose next attempt is due at `now`, oldest first.
  store::DbResult<std::vector<OutboxRow>> due(Clock::time_point now, std::size_t limit);
  // Rows in `state` (every state when empty), newest first.
  store::DbResult<std::vector<OutboxRow>> list(const std::string& state, std::size_t limit);

  // Records one attempt at `row`: delivered; or a retry scheduled by the policy (a
  // Retry-After longer than the backoff is honoured); or dead when rejected or too old
  // (a retry that would come after created_at + max_age). Any Retry-After is taken as
  // at most model::kMaxClockDuration, so no value from a receiver overflows the clock.
  // Returns the row's new state (another deliverer's, when it settled the row first).
  store::DbResult<store::OutboxState> record(const OutboxRow& row, const Attempt& attempt,
                                             Clock::time_point now, const RetryPolicy& policy,
                                             double random);

 private:
  store::Database& db_;
};

struct DeliverySettings {
  std::optional<SmtpSettings> smtp;  // none: e-mail rows wait (and say why)
  std::string smtp_from = "tiendo <tiendo@localhost>";
  std::chrono::milliseconds connect_timeout{5000};
  std::chrono::milliseconds total_timeout{15000};
  // The certificate authorities trusted for https:// receivers and SMTP TLS instead of
  // the system's (HttpRequest::ca_file, SmtpSettings::ca_file); empty: the system's.
  std::string ca_file;
  RetryPolicy retry;
  // The ways out (HTTP, SMTP) and the environment the secrets are read from.
  Transports transports;
};

struct DeliveryReport {
  std::size_t delivered = 0, retrying = 0, dead = 0;
  std::vector<std::string> lines;  // one per attempt, for people
};

// What a long-running caller (the service) needs from a delivery pass.
struct DeliveryHooks {
  // Asked before each attempt: true ends the pass there; the rest stay due.
  std::function<bool()> stop;
  // Told of each attempt once it is recorded, with the row's new state.
  std::function<void(const OutboxRow& row, store::OutboxState state, const Attempt& attempt)>
      attempted;
};

// Sends every row due now, one at a time, recording each attempt as it completes.
store::DbResult<DeliveryReport> deliver_due(store::Database& db, const DeliverySettings& settings,
                                            const std::function<Clock::time_point()>& clock,
                                            const DeliveryHooks& hooks = {});

// When the earliest pending row is due; nullopt when none is pending.
store::DbResult<std::optional<Clock::time_point>> next_due(store::Database& db);

}  // namespace tiendo::notify

// The outbox: the messages a run decided to send, one per channel, kept until delivered or
// given up. A run writes its messages in the transaction that records it (runs.hpp,
// write_run_outcome), so that a crash leaves either the run and its messages or neither;
// delivery reads the due ones and records each attempt in a transaction of its own.
//
// Each message carries a typed payload, one type per channel kind, fixed when the run is
// recorded so that every retry sends the same bytes. How a payload is kept (today a JSON
// text with the keys docs/alerts.md lists) is this store's business alone.
//
// Thread safety: none of its own; the Database passed in is used by one thread at a time.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "store/database.hpp"

namespace tiendo::store {

// An e-mail to the channel's recipients, rendered.
struct EmailPayload {
  std::vector<std::string> to;
  std::string subject;
  std::string text;
  std::string html;
  bool operator==(const EmailPayload&) const = default;
};

// A POST to a webhook: tiendo's own JSON, or Alertmanager's webhook v4 shape. Signed
// with the secret in the environment variable `secret_env` when one is named.
struct WebhookPayload {
  enum class Format { native, alertmanager };
  std::string url;
  std::string secret_env;
  Format format = Format::native;
  std::string body;
  bool operator==(const WebhookPayload&) const = default;
};

// A POST of alerts to an Alertmanager's /api/v2/alerts.
struct AlertmanagerPayload {
  std::string url;  // the full endpoint
  std::string body;
  bool operator==(const AlertmanagerPayload&) const = default;
};

// One alternative per channel kind; a new kind adds one here, its encoding in outbox.cpp
// and its sender in notify/.
using OutboxPayload = std::variant<EmailPayload, WebhookPayload, AlertmanagerPayload>;

// "email", "webhook", "alertmanager": the channel kind a payload is for.
std::string_view kind_name(const OutboxPayload& payload);

// A message as a run enqueues it.
struct OutboxMessage {
  std::string channel;
  std::string idempotency_key;  // also the webhook-id and the Message-ID: stable across retries
  OutboxPayload payload;
};

enum class OutboxState { pending, delivered, dead };
std::string_view to_string(OutboxState state);
std::optional<OutboxState> parse_outbox_state(std::string_view text);

// A message as the outbox holds it.
struct OutboxEntry {
  std::int64_t id = 0;  // the message's number, shown to operators ("webhook #12")
  std::int64_t run_id = 0;
  std::string channel;
  std::string kind;  // as stored: email | webhook | alertmanager
  std::string idempotency_key;
  OutboxPayload payload;
  // Non-empty when the stored payload could not be read back (not the shape its kind
  // has): delivery gives the message up with this reason rather than send a guess.
  std::string payload_problem;
  OutboxState state = OutboxState::pending;
  std::int64_t attempts = 0;
  std::string next_attempt_at;  // UTC time stamps, "2026-11-28T10:00:00Z"
  std::string last_error;
  std::optional<std::int64_t> last_status;
  std::string created_at;
  std::string last_attempt_at;
  std::string delivered_at;
};

// Pending messages due at `now` (a UTC time stamp), the earliest due first.
DbResult<std::vector<OutboxEntry>> due_messages(Database& db, std::string_view now,
                                                std::size_t limit);
// Messages in `state` (every state when nullopt), newest first.
DbResult<std::vector<OutboxEntry>> list_messages(Database& db, std::optional<OutboxState> state,
                                                 std::size_t limit);
// When the earliest pending message is due (its UTC time stamp); nullopt when none is.
DbResult<std::optional<std::string>> next_due_at(Database& db);

// What one delivery attempt leaves behind.
struct AttemptRecord {
  OutboxState state = OutboxState::pending;
  std::int64_t attempts = 0;           // counting this one
  std::string next_attempt_at;         // when pending
  std::string error;                   // empty: none
  std::optional<std::int64_t> status;  // HTTP status or SMTP reply code
  std::string attempted_at;
};
// Records an attempt at pending message `id`, in its own transaction. Returns the
// message's state afterwards: the recorded one, or, when another deliverer settled the
// message first, what that one left (the attempt is then not recorded).
DbResult<OutboxState> record_attempt(Database& db, std::int64_t id, const AttemptRecord& attempt);

// How many messages there are per (state, kind), and the oldest one's creation time.
struct OutboxCount {
  OutboxState state = OutboxState::pending;
  std::string kind;
  std::int64_t count = 0;
  std::string oldest_created_at;
};
DbResult<std::vector<OutboxCount>> count_messages(Database& db);

}  // namespace tiendo::store

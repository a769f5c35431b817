#include "store/outbox.hpp"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "store/sql/statements.hpp"
#include "util/result.hpp"

namespace tiendo::store {

namespace {

using Json = nlohmann::json;

constexpr std::string_view kColumns = R"sql(
  id, coalesce(run_id, 0), channel, kind, idempotency_key, payload, state, attempts,
  next_attempt_at, coalesce(last_error, ''), last_status, created_at, coalesce(last_attempt_at, ''),
  coalesce(delivered_at, ''))sql";

std::string_view format_name(WebhookPayload::Format format) {
  return format == WebhookPayload::Format::alertmanager ? "alertmanager" : "native";
}

// The stored form: a JSON object with the keys docs/alerts.md lists, as every release has
// written them.
struct Encode {
  Json operator()(const EmailPayload& p) const {
    return {{"to", p.to}, {"subject", p.subject}, {"text", p.text}, {"html", p.html}};
  }
  Json operator()(const WebhookPayload& p) const {
    return {{"url", p.url},
            {"secret_env", p.secret_env},
            {"format", format_name(p.format)},
            {"body", p.body}};
  }
  Json operator()(const AlertmanagerPayload& p) const { return {{"url", p.url}, {"body", p.body}}; }
};

// A stored payload read back; `problem` set when it is not the shape `kind` has. Keys a
// payload does not need are ignored; a missing text is empty (an older row may lack one).
OutboxPayload decode(std::string_view kind, std::string_view stored, std::string& problem) {
  const Json json = Json::parse(stored, nullptr, false);
  if (!json.is_object()) {
    problem = "the outbox payload is not a JSON object";
    return EmailPayload{};
  }
  const auto text = [&](const char* key) -> std::string {
    const auto it = json.find(key);
    return it != json.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  if (kind == "email") {
    EmailPayload p;
    if (const auto it = json.find("to"); it != json.end() && it->is_array()) {
      for (const Json& to : *it) {
        if (to.is_string()) p.to.push_back(to.get<std::string>());
      }
    }
    p.subject = text("subject");
    p.text = text("text");
    p.html = text("html");
    return p;
  }
  if (kind == "webhook") {
    WebhookPayload p;
    p.url = text("url");
    p.secret_env = text("secret_env");
    p.format = text("format") == "alertmanager" ? WebhookPayload::Format::alertmanager
                                                : WebhookPayload::Format::native;
    p.body = text("body");
    return p;
  }
  if (kind == "alertmanager") {
    return AlertmanagerPayload{text("url"), text("body")};
  }
  problem = fmt::format("unknown channel kind '{}'", kind);
  return EmailPayload{};
}

DbResult<OutboxEntry> entry_of(const Statement& q) {
  OutboxEntry e;
  e.id = q.column_int(0);
  e.run_id = q.column_int(1);
  e.channel = q.column_text(2);
  e.kind = q.column_text(3);
  e.idempotency_key = q.column_text(4);
  e.payload = decode(e.kind, q.column_view(5), e.payload_problem);
  const auto state = parse_outbox_state(q.column_view(6));
  if (!state) return DbError{fmt::format("outbox message {} has an unknown state", e.id)};
  e.state = *state;
  e.attempts = q.column_int(7);
  e.next_attempt_at = q.column_text(8);
  e.last_error = q.column_text(9);
  if (!q.column_is_null(10)) e.last_status = q.column_int(10);
  e.created_at = q.column_text(11);
  e.last_attempt_at = q.column_text(12);
  e.delivered_at = q.column_text(13);
  return e;
}

DbResult<std::vector<OutboxEntry>> entries_of(Statement& q) {
  std::vector<OutboxEntry> out;
  while (q.step()) {
    TIENDO_ASSIGN_OR_RETURN(OutboxEntry entry, entry_of(q));
    out.push_back(std::move(entry));
  }
  if (q.error()) return *q.error();
  return out;
}

}  // namespace

std::string_view kind_name(const OutboxPayload& payload) {
  struct Name {
    std::string_view operator()(const EmailPayload&) const { return "email"; }
    std::string_view operator()(const WebhookPayload&) const { return "webhook"; }
    std::string_view operator()(const AlertmanagerPayload&) const { return "alertmanager"; }
  };
  return std::visit(Name{}, payload);
}

std::string_view to_string(OutboxState state) {
  switch (state) {
    case OutboxState::pending:
      return "pending";
    case OutboxState::delivered:
      return "delivered";
    case OutboxState::dead:
      return "dead";
  }
  return "pending";
}

std::optional<OutboxState> parse_outbox_state(std::string_view text) {
  for (OutboxState s : {OutboxState::pending, OutboxState::delivered, OutboxState::dead}) {
    if (to_string(s) == text) return s;
  }
  return std::nullopt;
}

namespace sql {

DbResult<std::int64_t> insert_message(Database& db, std::int64_t run_id,
                                      std::string_view created_at, const OutboxMessage& message) {
  Statement insert = sql::prepare(db, R"sql(
INSERT INTO outbox (run_id, channel, idempotency_key, payload, state, attempts,
  next_attempt_at, created_at, kind)
VALUES (?, ?, ?, ?, 'pending', 0, ?, ?, ?))sql");
  insert.bind(1, run_id)
      .bind(2, message.channel)
      .bind(3, message.idempotency_key)
      .bind(4, std::visit(Encode{}, message.payload).dump())
      .bind(5, created_at)
      .bind(6, created_at)
      .bind(7, kind_name(message.payload));
  TIENDO_RETURN_IF_ERROR(run(insert));
  return last_insert_id(db);
}

}  // namespace sql

DbResult<std::vector<OutboxEntry>> due_messages(Database& db, std::string_view now,
                                                std::size_t limit) {
  Statement q = sql::prepare(
      db,
      fmt::format("SELECT {} FROM outbox WHERE state = 'pending' AND next_attempt_at <= ? ORDER BY "
                  "next_attempt_at, id LIMIT ?",
                  kColumns));
  q.bind(1, now).bind(2, static_cast<std::int64_t>(limit));
  return entries_of(q);
}

DbResult<std::vector<OutboxEntry>> list_messages(Database& db, std::optional<OutboxState> state,
                                                 std::size_t limit) {
  Statement q = sql::prepare(db, fmt::format("SELECT {} FROM outbox {} ORDER BY id DESC LIMIT ?",
                                             kColumns, state ? "WHERE state = ?" : ""));
  int index = 1;
  if (state) q.bind(index++, to_string(*state));
  q.bind(index, static_cast<std::int64_t>(limit));
  return entries_of(q);
}

DbResult<std::optional<std::string>> next_due_at(Database& db) {
  Statement q = sql::prepare(db, "SELECT min(next_attempt_at) FROM outbox WHERE state = 'pending'");
  std::optional<std::string> due;
  if (q.step() && !q.column_is_null(0)) due = q.column_text(0);
  if (q.error()) return *q.error();
  return due;
}

DbResult<OutboxState> record_attempt(Database& db, std::int64_t id, const AttemptRecord& attempt) {
  Transaction tx(db);
  if (tx.error()) return *tx.error();
  Statement update = sql::prepare(db, R"sql(
UPDATE outbox SET state = ?, attempts = ?, next_attempt_at = ?, last_error = ?,
  last_status = ?, last_attempt_at = ?, delivered_at = ?
WHERE id = ? AND state = 'pending')sql");
  const bool delivered = attempt.state == OutboxState::delivered;
  update.bind(1, to_string(attempt.state))
      .bind(2, attempt.attempts)
      .bind(3, attempt.next_attempt_at)
      .bind_text_or_null(4, attempt.error)
      .bind(5, attempt.status)
      .bind(6, attempt.attempted_at)
      .bind_text_or_null(7,
                         delivered ? std::string_view(attempt.attempted_at) : std::string_view());
  update.bind(8, id);
  TIENDO_RETURN_IF_ERROR(sql::run(update));
  OutboxState state = attempt.state;
  if (sql::changes(db) == 0) {
    // Another deliverer settled the message first: report what it is now.
    Statement current = sql::prepare(db, "SELECT state FROM outbox WHERE id = ?");
    current.bind(1, id);
    if (!current.step()) {
      return current.error().value_or(DbError{fmt::format("outbox message {} is gone", id)});
    }
    const auto now = parse_outbox_state(current.column_view(0));
    if (!now) return DbError{fmt::format("outbox message {} has an unknown state", id)};
    state = *now;
  }
  TIENDO_RETURN_IF_ERROR(tx.commit());
  return state;
}

DbResult<std::vector<OutboxCount>> count_messages(Database& db) {
  Statement q = sql::prepare(
      db, "SELECT state, kind, count(*), min(created_at) FROM outbox GROUP BY state, kind");
  std::vector<OutboxCount> out;
  while (q.step()) {
    const auto state = parse_outbox_state(q.column_view(0));
    if (!state) return DbError{"an outbox message has an unknown state"};
    out.push_back({*state, q.column_text(1), q.column_int(2), q.column_text(3)});
  }
  if (q.error()) return *q.error();
  return out;
}

}  // namespace tiendo::store

#include "notify/outbox.hpp"

#include <fmt/chrono.h>
#include <fmt/format.h>
#include <sqlite3.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <random>

#include "model/calendar.hpp"
#include "notify/http_client.hpp"
#include "notify/signature.hpp"
#include "util/text.hpp"

namespace tiendo::notify {

namespace {

using store::DbError;
using store::DbResult;
using store::Statement;
using Json = nlohmann::json;

constexpr const char* kColumns = R"sql(
  id, ifnull(run_id, 0), channel, kind, idempotency_key, payload, state, attempts,
  next_attempt_at, ifnull(last_error, ''), last_status, created_at, ifnull(last_attempt_at, ''),
  ifnull(delivered_at, ''))sql";

OutboxRow row_of(const Statement& q) {
  OutboxRow r;
  r.id = q.column_int(0);
  r.run_id = q.column_int(1);
  r.channel = q.column_text(2);
  r.kind = q.column_text(3);
  r.idempotency_key = q.column_text(4);
  r.payload = q.column_text(5);
  r.state = q.column_text(6);
  r.attempts = q.column_int(7);
  r.next_attempt_at = q.column_text(8);
  r.last_error = q.column_text(9);
  if (!q.column_is_null(10)) r.last_status = q.column_int(10);
  r.created_at = q.column_text(11);
  r.last_attempt_at = q.column_text(12);
  r.delivered_at = q.column_text(13);
  return r;
}

DbResult<std::vector<OutboxRow>> rows_of(Statement& q) {
  std::vector<OutboxRow> out;
  while (q.step()) out.push_back(row_of(q));
  if (q.error()) return *q.error();
  return out;
}

// The domain of a From address, for Message-IDs.
std::string domain_of(std::string_view from) {
  const std::size_t at = from.rfind('@');
  if (at == std::string_view::npos) return "tiendo.invalid";
  std::string_view domain = from.substr(at + 1);
  const std::size_t end = domain.find_first_of("> \t");
  return std::string(domain.substr(0, end));
}

Outbox::Attempt reject(std::string error) {
  return {Outcome::reject, std::nullopt, std::nullopt, std::move(error)};
}

Outbox::Attempt post_json(std::string url, std::vector<std::pair<std::string, std::string>> headers,
                          std::string body, const DeliverySettings& settings,
                          Clock::time_point now) {
  HttpRequest request;
  request.url = std::move(url);
  request.headers = std::move(headers);
  request.body = std::move(body);
  request.connect_timeout = settings.connect_timeout;
  request.total_timeout = settings.total_timeout;
  request.ca_file = settings.ca_file;
  const HttpResult result = post(request, now);
  Outbox::Attempt attempt;
  attempt.outcome = result.outcome;
  if (result.status != 0) attempt.status = result.status;
  attempt.retry_after = result.retry_after;
  attempt.error = result.error;
  return attempt;
}

}  // namespace

std::chrono::seconds backoff(const RetryPolicy& policy, std::int64_t attempts, double random) {
  const double initial = static_cast<double>(std::max<std::int64_t>(policy.initial.count(), 1));
  const double ceiling = static_cast<double>(std::max(policy.ceiling, policy.initial).count());
  const double exponent = static_cast<double>(std::clamp<std::int64_t>(attempts - 1, 0, 62));
  const double full = std::min(ceiling, initial * std::pow(2.0, exponent));
  const double jittered = full / 2 + full / 2 * std::clamp(random, 0.0, 1.0);
  return std::chrono::seconds(std::max<std::int64_t>(1, std::llround(jittered)));
}

DbResult<std::vector<OutboxRow>> Outbox::due(Clock::time_point now, std::size_t limit) {
  Statement q = db_.prepare(
      fmt::format("SELECT {} FROM outbox WHERE state = 'pending' AND next_attempt_at <= ? ORDER BY "
                  "next_attempt_at, id LIMIT ?",
                  kColumns));
  q.bind(1, format_utc(now)).bind(2, static_cast<std::int64_t>(limit));
  return rows_of(q);
}

DbResult<std::vector<OutboxRow>> Outbox::list(const std::string& state, std::size_t limit) {
  Statement q = db_.prepare(fmt::format("SELECT {} FROM outbox {} ORDER BY id DESC LIMIT ?",
                                        kColumns, state.empty() ? "" : "WHERE state = ?"));
  int index = 1;
  if (!state.empty()) q.bind(index++, state);
  q.bind(index, static_cast<std::int64_t>(limit));
  return rows_of(q);
}

DbResult<std::string> Outbox::record(const OutboxRow& row, const Attempt& attempt,
                                     Clock::time_point now, const RetryPolicy& policy,
                                     double random) {
  const std::int64_t attempts = row.attempts + 1;
  std::string state = "pending";
  std::string next = row.next_attempt_at;
  std::string given_up;
  if (attempt.outcome == Outcome::delivered) {
    state = "delivered";
  } else if (attempt.outcome == Outcome::reject) {
    state = "dead";
  } else {
    std::chrono::seconds delay = backoff(policy, attempts, random);
    if (attempt.retry_after && *attempt.retry_after > delay) delay = *attempt.retry_after;
    // A receiver may ask for any Retry-After; past ten years (longer than any max_age)
    // the message is given up all the same, and now + delay stays inside the clock.
    delay = std::min(delay, model::kMaxClockDuration);
    const auto created = parse_utc(row.created_at).value_or(now);
    if (now - created + delay > policy.max_age) {
      state = "dead";
      given_up = fmt::format(" (given up: no delivery within {} s of {})", policy.max_age.count(),
                             row.created_at);
    } else {
      next = format_utc(now + delay);
    }
  }
  // Capped here too, for an attempt that did not come from send().
  const std::size_t room = kMaxErrorBytes > given_up.size() ? kMaxErrorBytes - given_up.size() : 0;
  const std::string error = util::cap_for_display(attempt.error, room) + given_up;
  store::Transaction tx(db_);
  if (tx.error()) return *tx.error();
  Statement update = db_.prepare(R"sql(
UPDATE outbox SET state = ?, attempts = ?, next_attempt_at = ?, last_error = ?,
  last_status = ?, last_attempt_at = ?, delivered_at = ?
WHERE id = ? AND state = 'pending')sql");
  update.bind(1, state).bind(2, attempts).bind(3, next);
  if (error.empty()) {
    update.bind_null(4);
  } else {
    update.bind(4, error);
  }
  if (attempt.status) {
    update.bind(5, *attempt.status);
  } else {
    update.bind_null(5);
  }
  update.bind(6, format_utc(now));
  if (state == "delivered") {
    update.bind(7, format_utc(now));
  } else {
    update.bind_null(7);
  }
  update.bind(8, row.id);
  if (!update.run()) return update.error().value_or(DbError{"cannot update the outbox"});
  if (sqlite3_changes(db_.handle()) == 0) {
    // Another deliverer finished the row first: report what it is now.
    Statement current = db_.prepare("SELECT state FROM outbox WHERE id = ?");
    current.bind(1, row.id);
    state = current.step() ? current.column_text(0) : "missing";
    if (current.error()) return *current.error();
  }
  if (auto e = tx.commit()) return *e;
  return state;
}

namespace {

Outbox::Attempt send_row(const OutboxRow& row, const DeliverySettings& settings,
                         Clock::time_point now) {
  const Json payload = Json::parse(row.payload, nullptr, false);
  if (!payload.is_object()) return reject("the outbox payload is not a JSON object");
  const auto text = [&](const char* key) -> std::string {
    const auto it = payload.find(key);
    return it != payload.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  if (row.kind == "webhook") {
    const std::string body = text("body");
    const auto seconds =
        std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
    std::vector<std::pair<std::string, std::string>> headers = {
        {"Content-Type", "application/json"},
        {"User-Agent", "tiendo"},
        {"webhook-id", row.idempotency_key},
        {"webhook-timestamp", std::to_string(seconds)}};
    const std::string secret_env = text("secret_env");
    if (!secret_env.empty()) {
      const auto getenv =
          settings.getenv ? settings.getenv : std::function<const char*(const char*)>(std::getenv);
      const char* value = getenv(secret_env.c_str());
      // Never send unsigned what should be signed: wait for the secret to be set.
      if (!value || !*value) {
        return {Outcome::retry, std::nullopt, std::nullopt,
                fmt::format("the environment variable {} (the channel's secret) is not set",
                            secret_env)};
      }
      std::string error;
      const auto secret = parse_webhook_secret(value, &error);
      if (!secret) {
        return {Outcome::retry, std::nullopt, std::nullopt,
                fmt::format("the secret in {} is unusable: {}", secret_env, error)};
      }
      headers.emplace_back("webhook-signature",
                           sign_webhook(*secret, row.idempotency_key, seconds, body));
    }
    return post_json(text("url"), std::move(headers), body, settings, now);
  }
  if (row.kind == "alertmanager") {
    return post_json(text("url"), {{"Content-Type", "application/json"}, {"User-Agent", "tiendo"}},
                     text("body"), settings, now);
  }
  if (row.kind == "email") {
    if (!settings.smtp) {
      return {Outcome::retry, std::nullopt, std::nullopt,
              "no SMTP server is configured (--smtp URL, or smtp in the service configuration)"};
    }
    EmailMessage message;
    message.from = settings.smtp_from;
    if (const auto it = payload.find("to"); it != payload.end() && it->is_array()) {
      for (const Json& to : *it) {
        if (to.is_string()) message.to.push_back(to.get<std::string>());
      }
    }
    if (message.to.empty()) return reject("the e-mail has no recipient");
    message.subject = text("subject");
    message.text = text("text");
    message.html = text("html");
    // The same Message-ID on every attempt, so a receiver can drop a duplicate.
    const std::string message_id =
        fmt::format("<{}@{}>", row.idempotency_key, domain_of(settings.smtp_from));
    SmtpSettings smtp = *settings.smtp;
    if (smtp.ca_file.empty()) smtp.ca_file = settings.ca_file;
    const SmtpResult result = send_email(smtp, message, render_email(message, message_id, now));
    Outbox::Attempt attempt;
    attempt.outcome = result.outcome;
    if (result.reply_code != 0) attempt.status = result.reply_code;
    attempt.error = result.error;
    return attempt;
  }
  return reject(fmt::format("unknown channel kind '{}'", row.kind));
}

}  // namespace

Outbox::Attempt send(const OutboxRow& row, const DeliverySettings& settings,
                     Clock::time_point now) {
  Outbox::Attempt attempt = send_row(row, settings, now);
  attempt.error = util::cap_for_display(attempt.error, kMaxErrorBytes);
  return attempt;
}

DbResult<DeliveryReport> deliver_due(store::Database& db, const DeliverySettings& settings,
                                     const std::function<Clock::time_point()>& clock,
                                     const DeliveryHooks& hooks) {
  Outbox outbox(db);
  DeliveryReport report;
  std::mt19937_64 rng(std::random_device{}());
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  // Rows are taken a batch at a time and each is recorded as soon as it is tried, so a
  // crash loses at most the attempt in hand (which is then repeated).
  std::vector<std::int64_t> tried;
  for (;;) {
    auto batch = outbox.due(clock(), 64);
    if (auto* error = std::get_if<DbError>(&batch)) return *error;
    auto& rows = std::get<std::vector<OutboxRow>>(batch);
    // A row retried within this call comes back only after its delay; stop at one seen.
    std::erase_if(rows, [&](const OutboxRow& r) {
      return std::find(tried.begin(), tried.end(), r.id) != tried.end();
    });
    if (rows.empty()) break;
    for (const OutboxRow& row : rows) {
      if (hooks.stop && hooks.stop()) return report;
      const Clock::time_point now = clock();
      const Outbox::Attempt attempt = send(row, settings, now);
      auto state = outbox.record(row, attempt, clock(), settings.retry, uniform(rng));
      if (auto* error = std::get_if<DbError>(&state)) return *error;
      tried.push_back(row.id);
      const std::string& s = std::get<std::string>(state);
      if (hooks.attempted) hooks.attempted(row, s, attempt);
      if (s == "delivered") {
        ++report.delivered;
      } else if (s == "dead") {
        ++report.dead;
      } else {
        ++report.retrying;
      }
      report.lines.push_back(
          fmt::format("{} #{} {} ({}): {}{}", row.channel, row.id, s, row.kind,
                      attempt.error.empty() ? "ok" : attempt.error,
                      attempt.status ? fmt::format(" [{}]", *attempt.status) : std::string()));
    }
  }
  return report;
}

DbResult<std::optional<Clock::time_point>> next_due(store::Database& db) {
  Statement q = db.prepare("SELECT min(next_attempt_at) FROM outbox WHERE state = 'pending'");
  std::optional<Clock::time_point> due;
  if (q.step() && !q.column_is_null(0)) due = parse_utc(q.column_view(0));
  if (q.error()) return *q.error();
  return due;
}

}  // namespace tiendo::notify

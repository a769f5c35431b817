#include "notify/outbox.hpp"

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <random>

#include "model/calendar.hpp"
#include "util/result.hpp"
#include "util/text.hpp"

namespace tiendo::notify {

using store::DbError;
using store::DbResult;

std::chrono::seconds backoff(const RetryPolicy& policy, std::int64_t attempts, double random) {
  const double initial = static_cast<double>(std::max<std::int64_t>(policy.initial.count(), 1));
  const double ceiling = static_cast<double>(std::max(policy.ceiling, policy.initial).count());
  const double exponent = static_cast<double>(std::clamp<std::int64_t>(attempts - 1, 0, 62));
  const double full = std::min(ceiling, initial * std::pow(2.0, exponent));
  const double jittered = full / 2 + full / 2 * std::clamp(random, 0.0, 1.0);
  return std::chrono::seconds(std::max<std::int64_t>(1, std::llround(jittered)));
}

DbResult<std::vector<OutboxRow>> Outbox::due(Clock::time_point now, std::size_t limit) {
  return store::due_messages(db_, format_utc(now), limit);
}

DbResult<std::vector<OutboxRow>> Outbox::list(const std::string& state, std::size_t limit) {
  std::optional<store::OutboxState> only;
  if (!state.empty()) {
    only = store::parse_outbox_state(state);
    if (!only)
      return DbError{fmt::format("no outbox state '{}' (pending, delivered, dead)", state)};
  }
  return store::list_messages(db_, only, limit);
}

DbResult<store::OutboxState> Outbox::record(const OutboxRow& row, const Attempt& attempt,
                                            Clock::time_point now, const RetryPolicy& policy,
                                            double random) {
  using store::OutboxState;
  const std::int64_t attempts = row.attempts + 1;
  OutboxState state = OutboxState::pending;
  std::string next = row.next_attempt_at;
  std::string given_up;
  if (attempt.outcome == Outcome::delivered) {
    state = OutboxState::delivered;
  } else if (attempt.outcome == Outcome::reject) {
    state = OutboxState::dead;
  } else {
    std::chrono::seconds delay = backoff(policy, attempts, random);
    if (attempt.retry_after && *attempt.retry_after > delay) delay = *attempt.retry_after;
    // A receiver may ask for any Retry-After; past ten years (longer than any max_age)
    // the message is given up all the same, and now + delay stays inside the clock.
    delay = std::min(delay, model::kMaxClockDuration);
    const auto created = parse_utc(row.created_at).value_or(now);
    if (now - created + delay > policy.max_age) {
      state = OutboxState::dead;
      given_up = fmt::format(" (given up: no delivery within {} s of {})", policy.max_age.count(),
                             row.created_at);
    } else {
      next = format_utc(now + delay);
    }
  }
  // Capped here too, for an attempt that did not come from send().
  const std::size_t room = kMaxErrorBytes > given_up.size() ? kMaxErrorBytes - given_up.size() : 0;
  const std::string error = util::cap_for_display(attempt.error, room) + given_up;
  store::AttemptRecord record;
  record.state = state;
  record.attempts = attempts;
  record.next_attempt_at = next;
  record.error = error;
  record.status = attempt.status;
  record.attempted_at = format_utc(now);
  return store::record_attempt(db_, row.id, record);
}

DbResult<DeliveryReport> deliver_due(store::Database& db, const DeliverySettings& settings,
                                     const std::function<Clock::time_point()>& clock,
                                     const DeliveryHooks& hooks) {
  Outbox outbox(db);
  const Senders senders(settings);
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
      const Attempt attempt = senders.send(row, now);
      TIENDO_ASSIGN_OR_RETURN(const store::OutboxState state,
                              outbox.record(row, attempt, clock(), settings.retry, uniform(rng)));
      tried.push_back(row.id);
      if (hooks.attempted) hooks.attempted(row, state, attempt);
      switch (state) {
        case store::OutboxState::delivered:
          ++report.delivered;
          break;
        case store::OutboxState::dead:
          ++report.dead;
          break;
        case store::OutboxState::pending:
          ++report.retrying;
          break;
      }
      report.lines.push_back(
          fmt::format("{} #{} {} ({}): {}{}", row.channel, row.id, store::to_string(state),
                      row.kind, attempt.error.empty() ? "ok" : attempt.error,
                      attempt.status ? fmt::format(" [{}]", *attempt.status) : std::string()));
    }
  }
  return report;
}

DbResult<std::optional<Clock::time_point>> next_due(store::Database& db) {
  TIENDO_ASSIGN_OR_RETURN(const std::optional<std::string> due, store::next_due_at(db));
  if (!due) return std::optional<Clock::time_point>();
  return parse_utc(*due);
}

}  // namespace tiendo::notify

// The outbox's retry arithmetic and state changes on a real SQLite file: exponential
// backoff with jitter up to the ceiling, Retry-After honoured, rejects and old rows
// given up as dead letters, delivered rows left alone.
#include "notify/outbox.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <ctime>
#include <string>

#include "../e2e/run.hpp"
#include "store/sql/statements.hpp"
#include "support/test_store.hpp"

namespace tiendo::notify {
namespace {

using std::chrono::seconds;

TEST(OutboxBackoff, DoublesFromTheFirstDelayUpToTheCeilingWithEqualJitter) {
  const RetryPolicy policy{seconds(30), seconds(3600), seconds(86400)};
  EXPECT_EQ(backoff(policy, 1, 1.0), seconds(30));
  EXPECT_EQ(backoff(policy, 2, 1.0), seconds(60));
  EXPECT_EQ(backoff(policy, 3, 1.0), seconds(120));
  EXPECT_EQ(backoff(policy, 8, 1.0), seconds(3600));    // 30 × 128 = 3840: the ceiling
  EXPECT_EQ(backoff(policy, 500, 1.0), seconds(3600));  // no overflow
  // Half of the delay is fixed, half random.
  EXPECT_EQ(backoff(policy, 1, 0.0), seconds(15));
  EXPECT_EQ(backoff(policy, 2, 0.5), seconds(45));
  for (double r : {0.0, 0.1, 0.7, 0.999}) {
    const auto d = backoff(policy, 4, r);
    EXPECT_GE(d, seconds(120));
    EXPECT_LE(d, seconds(240));
  }
  // The command line's fast settings.
  const RetryPolicy fast{seconds(1), seconds(10), seconds(60)};
  EXPECT_EQ(backoff(fast, 1, 1.0), seconds(1));
  EXPECT_EQ(backoff(fast, 5, 1.0), seconds(10));
  EXPECT_GE(backoff(fast, 1, 0.0), seconds(1));  // never zero
}

TEST(OutboxTime, FormatsAndParsesUtc) {
  const auto t = parse_utc("2026-11-28T10:05:09Z");
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(format_utc(*t), "2026-11-28T10:05:09Z");
  EXPECT_FALSE(parse_utc("2026-11-28 10:05:09").has_value());
  EXPECT_FALSE(parse_utc("2026-02-30T10:05:09Z").has_value());
  // Outside the years the rules language knows, the time would overflow system_clock's
  // nanoseconds (found by fuzz_api through POST /api/v1/silences).
  EXPECT_FALSE(parse_utc("4783-01-01T00:00:00Z").has_value());
  EXPECT_FALSE(parse_utc("1600-01-01T00:00:00Z").has_value());
  EXPECT_TRUE(parse_utc("2200-12-31T23:59:59Z").has_value());
  EXPECT_FALSE(parse_utc("2026-11-28T24:05:09Z").has_value());
}

// fmt 9 formats a system_clock time point through localtime: under a server's zone
// (Vietnam's is UTC+7) "UTC" times came out seven hours ahead.
TEST(OutboxTime, UtcIsUtcWhateverTheProcesssTimeZone) {
  const char* was = std::getenv("TZ");
  const std::string saved = was ? was : "";
  for (const char* zone : {"Asia/Ho_Chi_Minh", "America/Los_Angeles", "UTC"}) {
    ::setenv("TZ", zone, 1);
    ::tzset();
    EXPECT_EQ(format_utc(*parse_utc("2026-11-28T10:05:09Z")), "2026-11-28T10:05:09Z") << zone;
    EXPECT_EQ(format_utc(*parse_utc("1969-12-31T23:59:59Z")), "1969-12-31T23:59:59Z") << zone;
    EXPECT_EQ(format_utc(std::chrono::system_clock::time_point{}), "1970-01-01T00:00:00Z") << zone;
    const auto now = std::chrono::system_clock::now();
    const auto back = parse_utc(format_utc(now));
    ASSERT_TRUE(back.has_value()) << zone;
    EXPECT_LT(std::chrono::abs(*back - now), std::chrono::seconds(2)) << zone;
  }
  if (was) {
    ::setenv("TZ", saved.c_str(), 1);
  } else {
    ::unsetenv("TZ");
  }
  ::tzset();
}

class OutboxStore : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = store::Database::open(testing::test_store(dir_.path()));
    ASSERT_TRUE(std::holds_alternative<store::Database>(opened));
    db_.emplace(std::move(std::get<store::Database>(opened)));
    ASSERT_FALSE(tiendo::store::sql::execute(
        *db_,
        "INSERT INTO runs (id, at_date, started_at, status) VALUES (1, '2022-09-30', "
        "'2026-11-28T00:00:00Z', 'succeeded');"
        "INSERT INTO outbox (run_id, channel, idempotency_key, payload, state, attempts, "
        "next_attempt_at, created_at, kind) VALUES "
        "(1, 'a', 'k1', '{}', 'pending', 0, '2026-11-28T00:00:00Z', '2026-11-28T00:00:00Z', "
        "'webhook'),"
        "(1, 'b', 'k2', '{}', 'pending', 0, '2026-11-28T01:00:00Z', '2026-11-28T00:00:00Z', "
        "'webhook')"));
  }

  OutboxRow row(const std::string& key) {
    Outbox outbox(*db_);
    auto rows = outbox.list("", 10);
    for (const OutboxRow& r : std::get<std::vector<OutboxRow>>(rows)) {
      if (r.idempotency_key == key) return r;
    }
    ADD_FAILURE() << "no row " << key;
    return {};
  }

  Clock::time_point at(const char* text) { return *parse_utc(text); }

  testing::TempDir dir_;
  std::optional<store::Database> db_;
};

TEST_F(OutboxStore, OnlyDueRowsAreTakenOldestFirst) {
  Outbox outbox(*db_);
  auto due = outbox.due(at("2026-11-28T00:30:00Z"), 10);
  ASSERT_EQ(std::get<std::vector<OutboxRow>>(due).size(), 1u);
  EXPECT_EQ(std::get<std::vector<OutboxRow>>(due)[0].idempotency_key, "k1");
  due = outbox.due(at("2026-11-28T02:00:00Z"), 10);
  ASSERT_EQ(std::get<std::vector<OutboxRow>>(due).size(), 2u);
}

// The payloads the store hands back are the ones a run wrote, each of its kind; a stored
// one that is not the shape its kind has comes back with the reason, for delivery to
// give it up.
TEST_F(OutboxStore, PayloadsComeBackTypedAndAnUnreadableOneSaysWhy) {
  ASSERT_FALSE(tiendo::store::sql::execute(
      *db_,
      "INSERT INTO outbox (run_id, channel, idempotency_key, payload, state, attempts, "
      "next_attempt_at, created_at, kind) VALUES "
      "(1, 'm', 'k3', '{\"to\":[\"bcd@example.org\"],\"subject\":\"S\",\"text\":\"T\","
      "\"html\":\"H\"}', 'pending', 0, '2026-11-28T00:00:00Z', '2026-11-28T00:00:00Z', "
      "'email'),"
      "(1, 'w', 'k4', '{\"url\":\"http://h/x\",\"secret_env\":\"S\",\"format\":"
      "\"alertmanager\",\"body\":\"{}\"}', 'pending', 0, '2026-11-28T00:00:00Z', "
      "'2026-11-28T00:00:00Z', 'webhook'),"
      "(1, 'x', 'k5', 'not json', 'pending', 0, '2026-11-28T00:00:00Z', "
      "'2026-11-28T00:00:00Z', 'webhook')"));
  const OutboxRow email = row("k3");
  ASSERT_TRUE(std::holds_alternative<store::EmailPayload>(email.payload));
  EXPECT_EQ(std::get<store::EmailPayload>(email.payload),
            (store::EmailPayload{{"bcd@example.org"}, "S", "T", "H"}));
  EXPECT_EQ(email.payload_problem, "");
  const OutboxRow webhook = row("k4");
  EXPECT_EQ(std::get<store::WebhookPayload>(webhook.payload),
            (store::WebhookPayload{"http://h/x", "S", store::WebhookPayload::Format::alertmanager,
                                   "{}"}));
  EXPECT_EQ(row("k5").payload_problem, "the outbox payload is not a JSON object");
}

TEST_F(OutboxStore, ARetryIsScheduledByTheBackoffOrALongerRetryAfter) {
  Outbox outbox(*db_);
  const RetryPolicy policy{seconds(30), seconds(3600), seconds(86400)};
  auto state = outbox.record(row("k1"), {Outcome::retry, 503, std::nullopt, "HTTP 503"},
                             at("2026-11-28T00:00:10Z"), policy, 1.0);
  EXPECT_EQ(std::get<store::OutboxState>(state), store::OutboxState::pending);
  OutboxRow r = row("k1");
  EXPECT_EQ(r.attempts, 1);
  EXPECT_EQ(r.next_attempt_at, "2026-11-28T00:00:40Z");
  EXPECT_EQ(r.last_status, 503);
  EXPECT_EQ(r.last_error, "HTTP 503");
  // Retry-After longer than the backoff wins.
  state = outbox.record(r, {Outcome::retry, 429, seconds(600), "HTTP 429"},
                        at("2026-11-28T00:01:00Z"), policy, 1.0);
  EXPECT_EQ(row("k1").next_attempt_at, "2026-11-28T00:11:00Z");
  EXPECT_EQ(row("k1").attempts, 2);
  // Delivered: the error is cleared and the time kept.
  state = outbox.record(row("k1"), {Outcome::delivered, 200, std::nullopt, ""},
                        at("2026-11-28T00:11:01Z"), policy, 1.0);
  EXPECT_EQ(std::get<store::OutboxState>(state), store::OutboxState::delivered);
  EXPECT_EQ(row("k1").delivered_at, "2026-11-28T00:11:01Z");
  EXPECT_EQ(row("k1").last_error, "");
  // A delivered row is never changed again.
  state = outbox.record(row("k1"), {Outcome::retry, 500, std::nullopt, "late"},
                        at("2026-11-28T00:12:00Z"), policy, 1.0);
  EXPECT_EQ(std::get<store::OutboxState>(state), store::OutboxState::delivered);
  EXPECT_EQ(row("k1").state, store::OutboxState::delivered);
}

TEST_F(OutboxStore, RejectsAndRowsPastTheMaximumAgeBecomeDeadLetters) {
  Outbox outbox(*db_);
  const RetryPolicy policy{seconds(30), seconds(3600), seconds(7200)};
  auto state = outbox.record(row("k1"), {Outcome::reject, 404, std::nullopt, "HTTP 404"},
                             at("2026-11-28T00:00:10Z"), policy, 1.0);
  EXPECT_EQ(std::get<store::OutboxState>(state), store::OutboxState::dead);
  EXPECT_EQ(row("k1").attempts, 1);
  // k2 was created at 00:00; a retry that would land after 02:00 is given up.
  state = outbox.record(row("k2"), {Outcome::retry, std::nullopt, std::nullopt, "refused"},
                        at("2026-11-28T01:59:50Z"), policy, 1.0);
  EXPECT_EQ(std::get<store::OutboxState>(state), store::OutboxState::dead);
  EXPECT_NE(row("k2").last_error.find("given up"), std::string::npos) << row("k2").last_error;
  auto dead = outbox.list("dead", 10);
  EXPECT_EQ(std::get<std::vector<OutboxRow>>(dead).size(), 2u);
}

// Issue #13: with the longest max_age, a Retry-After of 10^18 seconds (as a receiver may
// send) gives the message up instead of overflowing now + delay into the past; and the
// longest max_age a setting allows keeps a failed message (106752d made it dead).
TEST_F(OutboxStore, AHugeRetryAfterGivesUpWithoutOverflow) {
  Outbox outbox(*db_);
  const RetryPolicy longest{seconds(30), seconds(3600), model::kMaxClockDuration};
  auto state = outbox.record(row("k1"), {Outcome::retry, 503, std::nullopt, "HTTP 503"},
                             at("2026-11-28T00:00:10Z"), longest, 1.0);
  EXPECT_EQ(std::get<store::OutboxState>(state), store::OutboxState::pending);
  EXPECT_EQ(row("k1").next_attempt_at, "2026-11-28T00:00:40Z");
  state = outbox.record(row("k2"),
                        {Outcome::retry, 503, seconds(1'000'000'000'000'000'000LL), "HTTP 503"},
                        at("2026-11-28T00:00:10Z"), longest, 1.0);
  EXPECT_EQ(std::get<store::OutboxState>(state), store::OutboxState::dead);
  EXPECT_NE(row("k2").last_error.find("given up"), std::string::npos) << row("k2").last_error;
  // The longest Retry-After that still fits the age is honoured.
  state = outbox.record(row("k1"), {Outcome::retry, 503, seconds(3600LL * 24 * 3000), "HTTP 503"},
                        at("2026-11-28T00:01:00Z"), longest, 1.0);
  EXPECT_EQ(std::get<store::OutboxState>(state), store::OutboxState::pending);
  EXPECT_EQ(row("k1").next_attempt_at, "2035-02-14T00:01:00Z");
}

}  // namespace
}  // namespace tiendo::notify

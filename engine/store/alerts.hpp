// Alerts and silences as the store keeps them between runs: one row per alert (rule and
// unit, or task) with its lifecycle, the silences people add, and what the alert stage
// needs to know that neither changed while it reconciled (AlertStateToken).
//
// The alert stage decides; this header only keeps. A run's changes to the alerts are
// written with the run, in its transaction (runs.hpp, write_run_outcome).
//
// Transactions: add_silence and expire_silence take their own; the readers read in one
// statement each (a consistent view of the table), or inside the caller's Transaction
// when it holds one. Thread safety: none of its own; one thread uses a Database at a time.
#pragma once

#include <compare>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "model/calendar.hpp"
#include "model/rule_set.hpp"
#include "store/database.hpp"

namespace tiendo::store {

enum class Subject { rule, task };
enum class Lifecycle { pending, firing, resolved };
// Why a notification is sent: "new" (first firing), a change of state or severity, the
// rule's `repeat every` elapsed, or the alert resolved.
enum class NotifyKind { fired, changed, repeated, resolved };

// As people and the columns read them: "rule", "firing", "repeated"…
std::string_view to_string(Subject subject);
std::string_view to_string(Lifecycle lifecycle);
std::string_view to_string(NotifyKind kind);
std::optional<Subject> parse_subject(std::string_view text);
std::optional<Lifecycle> parse_lifecycle(std::string_view text);
std::optional<NotifyKind> parse_notify_kind(std::string_view text);

// An alert as kept between runs. Dates are evaluation dates (the run's `--at`), so that
// `for` and `repeat every` count days of the data's calendar, not of the machine's.
struct AlertRecord {
  std::string fingerprint;
  Subject subject = Subject::rule;
  std::string name;   // rule or task
  std::string unit;   // unit id; empty for a task
  std::string state;  // the evaluator's state name
  model::Severity severity = model::Severity::none;
  Lifecycle lifecycle = Lifecycle::pending;
  model::Date since;                         // first day of this episode
  std::optional<model::Date> firing_since;   // when it started firing
  std::optional<model::Date> last_notified;  // last day a notification was queued
  // The date of the last run that evaluated it: for an open alert, the latest succeeded
  // run's (every run evaluates every open alert; the store writes only changed rows).
  model::Date evaluated;
  bool operator==(const AlertRecord&) const = default;
};

// A change of one alert in a run, as recorded with the run.
struct Transition {
  std::string fingerprint;
  std::optional<Lifecycle> from;  // none for a new alert
  Lifecycle to = Lifecycle::pending;
  std::string state;
  model::Severity severity = model::Severity::none;
  std::optional<NotifyKind> notify;  // none: no notification (pending, silenced, unchanged)
  std::optional<std::int64_t> silenced_by;
  std::vector<std::string> channels;  // where the notification goes
};

// Every alert, or the open ones (pending and firing), by fingerprint.
DbResult<std::vector<AlertRecord>> load_alerts(Database& db, bool open_only);

// A page of alerts in the order the committee reads them: the most severe first, then
// the oldest (then by fingerprint), which the store keeps in indexes.
struct AlertQuery {
  enum class Set { open, pending, firing, resolved, all };
  Set set = Set::open;  // open: pending and firing
  std::optional<model::Severity> severity;
  std::string rule;  // one rule's alerts; empty: every rule and task
  std::string unit;  // one unit's alerts
  std::size_t offset = 0;
  std::size_t limit = 100;
};
struct AlertPage {
  std::vector<AlertRecord> alerts;
  std::int64_t total = 0;  // every alert of the query, the page aside
};

// The totals of alerts listings, kept while the alerts stay as they were: every
// transaction that changes the alerts raises the store's alerts version (a run's outcome,
// a rewind), and a total is used again only at the version it was counted at. One per
// store, shared by a service's threads. Counting the open alerts of a national store
// (78,578) took most of an alerts request (21 ms of PostgreSQL's time under load against
// 0.6 ms for the page's rows: bench/serve).
class AlertCountCache {
 public:
  std::optional<std::int64_t> find(const std::string& key, std::int64_t version) const;
  void keep(const std::string& key, std::int64_t version, std::int64_t total);

 private:
  static constexpr std::size_t kMaxKeys = 4096;  // distinct filters kept at one version
  mutable std::mutex mutex_;
  std::int64_t version_ = -1;
  std::unordered_map<std::string, std::int64_t> totals_;
};

// What an alerts listing is made of, as two numbers that move whenever it may change: the
// alerts version (raised by every transaction that changes the alerts) and the latest
// succeeded run (an open alert's evaluation date is that run's). Compared as a pair, a
// later state is greater (a rewind lowers the run but raises the version). A listing read
// after them holds that state or a later one.
struct AlertListingVersion {
  std::int64_t alerts = 0;
  std::int64_t run = 0;
  auto operator<=>(const AlertListingVersion&) const = default;
};
DbResult<AlertListingVersion> alert_listing_version(Database& db);

// `counts`, when given, keeps the query's total across calls while the alerts are
// unchanged (one read of the alerts version instead of a count).
DbResult<AlertPage> list_alerts(Database& db, const AlertQuery& query,
                                AlertCountCache* counts = nullptr);

// How many alerts there are per lifecycle and severity (the service's gauges).
struct AlertCount {
  Lifecycle lifecycle = Lifecycle::pending;
  model::Severity severity = model::Severity::none;
  std::int64_t count = 0;
};
DbResult<std::vector<AlertCount>> count_alerts(Database& db);

// The date the open alerts were last evaluated at: a run must not be dated before it.
// nullopt when no alert is open.
DbResult<std::optional<model::Date>> ledger_date(Database& db);

// What the alerts and silences a reconciliation read depend on: the last successful run,
// and the silences made and ended. Only a run and a silence's start or end change them,
// and each moves one of these; equal tokens mean the same alerts and silences.
struct AlertStateToken {
  std::int64_t last_run = 0, last_silence = 0, silences_ended = 0;
  bool operator==(const AlertStateToken&) const = default;
};
DbResult<AlertStateToken> alert_state_token(Database& db);

// Raises the alerts version (AlertCountCache): called in every transaction that writes
// the alerts table, before it commits.
std::optional<DbError> alerts_changed(Database& db);

// A silence's matcher as written: a label name, "=", "!=", "=~" or "!~", and a value.
struct StoredMatcher {
  std::string name;
  std::string op;
  std::string value;
};
struct StoredSilence {
  std::int64_t id = 0;  // given by add_silence
  std::vector<StoredMatcher> matchers;
  std::string starts_at;  // UTC, "2026-11-28T10:00:00Z"
  std::string ends_at;
  std::string author;
  std::string comment;
  std::string created_at;
  std::optional<std::string> expired_at;
};

// Stores a silence (its id is ignored) and returns the id it gets; nullopt, storing
// nothing, when `max_live` silences are in effect or still to come at its created_at
// already. The count and the insert share one transaction, so two writers cannot both
// pass the bound.
DbResult<std::optional<std::int64_t>> add_silence(Database& db, const StoredSilence& silence,
                                                  std::int64_t max_live);
// The silences, oldest first, without the expired ones unless `include_expired`. A
// DbError when a row's matchers are not what add_silence writes.
DbResult<std::vector<StoredSilence>> read_silences(Database& db, bool include_expired);
// Ends silence `id` at `now`; false when there is no such silence or it had already ended.
DbResult<bool> expire_silence(Database& db, std::int64_t id, std::string_view now);

}  // namespace tiendo::store

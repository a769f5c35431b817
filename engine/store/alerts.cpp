#include "store/alerts.hpp"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "store/sql/columns.hpp"
#include "store/sql/statements.hpp"
#include "util/result.hpp"

namespace tiendo::store {

namespace {

using Json = nlohmann::json;
using namespace sql;

// An open alert's evaluation date is the latest succeeded run's: every succeeded run
// evaluates every open alert, and writes only those whose row changes (runs.hpp).
#define TIENDO_LATEST_RUN_AT \
  "(SELECT at_date FROM runs WHERE status = 'succeeded' ORDER BY id DESC LIMIT 1)"
constexpr std::string_view kAlertColumns =
    "fingerprint, subject, name, coalesce(unit, ''), state, severity, lifecycle, since, "
    "firing_since, last_notified, CASE WHEN lifecycle != 'resolved' THEN "
    "coalesce(" TIENDO_LATEST_RUN_AT ", evaluated, since) ELSE coalesce(evaluated, since) END";

// The alerts a query on kAlertColumns gives.
DbResult<std::vector<AlertRecord>> alerts_of(Statement& q) {
  std::vector<AlertRecord> out;
  while (q.step()) {
    AlertRecord a;
    a.fingerprint = q.column_text(0);
    const auto subject = parse_subject(q.column_view(1));
    const auto severity = parse_severity(q.column_view(5));
    const auto lifecycle = parse_lifecycle(q.column_view(6));
    const auto since = model::parse_iso_date(q.column_text(7));
    const auto evaluated = model::parse_iso_date(q.column_text(10));
    if (!subject || !severity || !lifecycle || !since || !evaluated) {
      return DbError{fmt::format("alert {} in the store is malformed", a.fingerprint)};
    }
    a.subject = *subject;
    a.name = q.column_text(2);
    a.unit = q.column_text(3);
    a.state = q.column_text(4);
    a.severity = *severity;
    a.lifecycle = *lifecycle;
    a.since = *since;
    a.firing_since = date_or_none(q, 8);
    a.last_notified = date_or_none(q, 9);
    a.evaluated = *evaluated;
    out.push_back(std::move(a));
  }
  if (q.error()) return *q.error();
  return out;
}

Json matchers_json(const std::vector<StoredMatcher>& matchers) {
  Json out = Json::array();
  for (const StoredMatcher& m : matchers) {
    out.push_back({{"name", m.name}, {"op", m.op}, {"value", m.value}});
  }
  return out;
}

}  // namespace

std::string_view to_string(Subject subject) { return subject == Subject::rule ? "rule" : "task"; }

std::string_view to_string(Lifecycle lifecycle) {
  switch (lifecycle) {
    case Lifecycle::pending:
      return "pending";
    case Lifecycle::firing:
      return "firing";
    case Lifecycle::resolved:
      return "resolved";
  }
  return "pending";
}

std::string_view to_string(NotifyKind kind) {
  switch (kind) {
    case NotifyKind::fired:
      return "fired";
    case NotifyKind::changed:
      return "changed";
    case NotifyKind::repeated:
      return "repeated";
    case NotifyKind::resolved:
      return "resolved";
  }
  return "fired";
}

std::optional<Subject> parse_subject(std::string_view text) {
  if (text == "rule") return Subject::rule;
  if (text == "task") return Subject::task;
  return std::nullopt;
}

std::optional<Lifecycle> parse_lifecycle(std::string_view text) {
  for (Lifecycle l : {Lifecycle::pending, Lifecycle::firing, Lifecycle::resolved}) {
    if (to_string(l) == text) return l;
  }
  return std::nullopt;
}

std::optional<NotifyKind> parse_notify_kind(std::string_view text) {
  for (NotifyKind k :
       {NotifyKind::fired, NotifyKind::changed, NotifyKind::repeated, NotifyKind::resolved}) {
    if (to_string(k) == text) return k;
  }
  return std::nullopt;
}

DbResult<std::vector<AlertRecord>> load_alerts(Database& db, bool open_only) {
  Statement q =
      sql::prepare(db, fmt::format("SELECT {} FROM alerts{} ORDER BY fingerprint", kAlertColumns,
                                   open_only ? " WHERE lifecycle != 'resolved'" : ""));
  return alerts_of(q);
}

std::optional<std::int64_t> AlertCountCache::find(const std::string& key,
                                                  std::int64_t version) const {
  std::lock_guard lock(mutex_);
  if (version != version_) return std::nullopt;
  const auto found = totals_.find(key);
  if (found == totals_.end()) return std::nullopt;
  return found->second;
}

void AlertCountCache::keep(const std::string& key, std::int64_t version, std::int64_t total) {
  std::lock_guard lock(mutex_);
  // A total counted at an older version than the kept ones is of no use; one at a newer
  // version starts the cache again.
  if (version < version_) return;
  if (version > version_ || totals_.size() >= kMaxKeys) {
    totals_.clear();
    version_ = version;
  }
  totals_[key] = total;
}

DbResult<AlertListingVersion> alert_listing_version(Database& db) {
  Statement q = sql::prepare(db, R"sql(
SELECT (SELECT version FROM alerts_version WHERE id = 1),
  coalesce((SELECT id FROM runs WHERE status = 'succeeded' ORDER BY id DESC LIMIT 1), 0))sql");
  if (!q.step()) return q.error().value_or(DbError{"cannot read the alerts version"});
  if (q.column_is_null(0)) return DbError{"the alerts version is missing"};
  return AlertListingVersion{q.column_int(0), q.column_int(1)};
}

DbResult<AlertPage> list_alerts(Database& db, const AlertQuery& query, AlertCountCache* counts) {
  // `!= 'resolved'` (pending or firing) as the open alerts' index says it, and the order
  // as the indexes of migration 4 keep it, so that a page is read, not sorted.
  std::string where = "WHERE true";
  std::vector<std::string> binds;
  switch (query.set) {
    case AlertQuery::Set::open:
      where += " AND lifecycle != 'resolved'";
      break;
    case AlertQuery::Set::all:
      break;
    default:
      where += " AND lifecycle = ?";
      binds.emplace_back(query.set == AlertQuery::Set::pending  ? "pending"
                         : query.set == AlertQuery::Set::firing ? "firing"
                                                                : "resolved");
  }
  if (query.severity) {
    where += " AND severity = ?";
    binds.emplace_back(model::to_string(*query.severity));
  }
  if (!query.rule.empty()) {
    where += " AND subject = 'rule' AND name = ?";
    binds.push_back(query.rule);
  }
  if (!query.unit.empty()) {
    where += " AND unit = ?";
    binds.push_back(query.unit);
  }
  // With a cache: the version first (one row); a total counted at it is used again.
  // A count reads the version in the same statement, so that it is kept under the
  // version it saw.
  std::string key;
  std::optional<std::int64_t> total;
  if (counts) {
    Statement version = sql::prepare(db, "SELECT version FROM alerts_version WHERE id = 1");
    if (!version.step()) return version.error().value_or(DbError{"the alerts version is missing"});
    key = where;
    for (const std::string& b : binds) key.append(1, '\0').append(b);
    total = counts->find(key, version.column_int(0));
  }
  Statement count = sql::prepare(
      db,
      "SELECT count(*), (SELECT version FROM alerts_version WHERE id = 1) FROM alerts " + where);
  Statement rows = sql::prepare(
      db,
      fmt::format(
          "SELECT {} FROM alerts {} ORDER BY (CASE severity WHEN 'critical' THEN 0 WHEN 'warning' "
          "THEN 1 ELSE 2 END), since, fingerprint LIMIT ? OFFSET ?",
          kAlertColumns, where));
  for (std::size_t i = 0; i < binds.size(); ++i) {
    count.bind(static_cast<int>(i + 1), binds[i]);
    rows.bind(static_cast<int>(i + 1), binds[i]);
  }
  rows.bind(static_cast<int>(binds.size() + 1), static_cast<std::int64_t>(query.limit));
  rows.bind(static_cast<int>(binds.size() + 2), static_cast<std::int64_t>(query.offset));
  AlertPage page;
  if (total) {
    page.total = *total;
  } else {
    if (!count.step()) return count.error().value_or(DbError{"cannot count the alerts"});
    page.total = count.column_int(0);
    if (counts) counts->keep(key, count.column_int(1), page.total);
  }
  TIENDO_ASSIGN_OR_RETURN(page.alerts, alerts_of(rows));
  return page;
}

DbResult<std::vector<AlertCount>> count_alerts(Database& db) {
  Statement q = sql::prepare(
      db, "SELECT lifecycle, severity, count(*) FROM alerts GROUP BY lifecycle, severity");
  std::vector<AlertCount> out;
  while (q.step()) {
    const auto lifecycle = parse_lifecycle(q.column_view(0));
    const auto severity = parse_severity(q.column_view(1));
    if (!lifecycle || !severity) return DbError{"an alert in the store is malformed"};
    out.push_back({*lifecycle, *severity, q.column_int(2)});
  }
  if (q.error()) return *q.error();
  return out;
}

DbResult<std::optional<model::Date>> ledger_date(Database& db) {
  Statement q = sql::prepare(
      db,
      "SELECT CASE WHEN EXISTS (SELECT 1 FROM alerts WHERE lifecycle != 'resolved') THEN "
      "coalesce(" TIENDO_LATEST_RUN_AT
      ", (SELECT max(coalesce(evaluated, since)) FROM alerts WHERE lifecycle != 'resolved')) END");
  if (!q.step()) return q.error().value_or(DbError{"cannot read the alerts"});
  if (q.column_is_null(0)) return std::optional<model::Date>();
  const auto date = model::parse_iso_date(q.column_text(0));
  if (!date) return DbError{"an alert in the store has a malformed evaluation date"};
  return std::optional<model::Date>(*date);
}

std::optional<DbError> alerts_changed(Database& db) {
  return sql::execute(db, "UPDATE alerts_version SET version = version + 1 WHERE id = 1");
}

DbResult<AlertStateToken> alert_state_token(Database& db) {
  Statement q = sql::prepare(
      db,
      "SELECT (SELECT coalesce(max(id), 0) FROM runs WHERE status = 'succeeded'), "
      "(SELECT coalesce(max(id), 0) FROM silences), (SELECT count(expired_at) FROM silences)");
  if (!q.step()) return q.error().value_or(DbError{"cannot read the runs and silences"});
  return AlertStateToken{q.column_int(0), q.column_int(1), q.column_int(2)};
}

DbResult<std::optional<std::int64_t>> add_silence(Database& db, const StoredSilence& silence,
                                                  std::int64_t max_live) {
  Transaction tx(db);
  if (tx.error()) return *tx.error();
  // Counted in the transaction that inserts, so that two writers cannot both pass.
  Statement live =
      sql::prepare(db, "SELECT count(*) FROM silences WHERE expired_at IS NULL AND ends_at > ?");
  live.bind(1, silence.created_at);
  if (!live.step()) return live.error().value_or(DbError{"counting silences failed"});
  if (live.column_int(0) >= max_live) return std::optional<std::int64_t>();
  Statement insert = sql::prepare(db, R"sql(
INSERT INTO silences (matchers, starts_at, ends_at, author, comment, created_at)
VALUES (?, ?, ?, ?, ?, ?))sql");
  insert.bind(1, matchers_json(silence.matchers).dump())
      .bind(2, silence.starts_at)
      .bind(3, silence.ends_at)
      .bind(4, silence.author)
      .bind(5, silence.comment)
      .bind(6, silence.created_at);
  TIENDO_RETURN_IF_ERROR(run(insert));
  const std::int64_t id = last_insert_id(db);
  TIENDO_RETURN_IF_ERROR(tx.commit());
  return std::optional<std::int64_t>(id);
}

DbResult<std::vector<StoredSilence>> read_silences(Database& db, bool include_expired) {
  Statement q = sql::prepare(db, std::string(R"sql(
SELECT id, matchers, starts_at, ends_at, author, comment, created_at, expired_at
FROM silences)sql") + (include_expired ? "" : " WHERE expired_at IS NULL") +
                                     " ORDER BY id");
  std::vector<StoredSilence> out;
  while (q.step()) {
    StoredSilence s;
    s.id = q.column_int(0);
    const Json matchers = Json::parse(q.column_view(1), nullptr, false);
    if (!matchers.is_array()) {
      return DbError{fmt::format("silence {} has malformed matchers", s.id)};
    }
    for (const Json& m : matchers) {
      if (!m.is_object() || !m.contains("name") || !m.contains("op") || !m.contains("value") ||
          !m["name"].is_string() || !m["op"].is_string() || !m["value"].is_string()) {
        return DbError{fmt::format("silence {} has malformed matchers", s.id)};
      }
      s.matchers.push_back({m["name"].get<std::string>(), m["op"].get<std::string>(),
                            m["value"].get<std::string>()});
    }
    s.starts_at = q.column_text(2);
    s.ends_at = q.column_text(3);
    s.author = q.column_text(4);
    s.comment = q.column_text(5);
    s.created_at = q.column_text(6);
    if (!q.column_is_null(7)) s.expired_at = q.column_text(7);
    out.push_back(std::move(s));
  }
  if (q.error()) return *q.error();
  return out;
}

DbResult<bool> expire_silence(Database& db, std::int64_t id, std::string_view now) {
  Transaction tx(db);
  if (tx.error()) return *tx.error();
  Statement update = sql::prepare(
      db, "UPDATE silences SET expired_at = ? WHERE id = ? AND expired_at IS NULL AND ends_at > ?");
  update.bind(1, now).bind(2, id).bind(3, now);
  TIENDO_RETURN_IF_ERROR(run(update));
  const bool changed = changes(db) > 0;
  TIENDO_RETURN_IF_ERROR(tx.commit());
  return changed;
}

}  // namespace tiendo::store

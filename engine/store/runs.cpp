#include "store/runs.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "store/postgres/connection.hpp"
#include "store/sql/columns.hpp"
#include "store/sql/statements.hpp"
#include "util/result.hpp"

namespace tiendo::store {

namespace {

using Json = nlohmann::json;
using namespace sql;

// A row's to_run while it is current (schema version 8 on).
#define TIENDO_CURRENT "9223372036854775807"

Json figure_or_date(double f) { return Json(f); }
Json figure_or_date(model::Date d) { return Json(model::to_string(d)); }

// A single number a query gives.
DbResult<std::int64_t> scalar(Database& db, std::string_view sql,
                              std::optional<std::int64_t> bound = std::nullopt) {
  Statement q = sql::prepare(db, sql);
  if (bound) q.bind(1, *bound);
  if (!q.step()) return q.error().value_or(DbError{fmt::format("no answer to {}", sql)});
  const std::int64_t value = q.column_is_null(0) ? 0 : q.column_int(0);
  q.reset();  // no statement may stay open under a vacuum or a checkpoint
  return value;
}

}  // namespace

DbResult<std::int64_t> insert_run(Database& db, model::Date at, std::string_view now,
                                  RunStatus status) {
  Statement insert = sql::prepare(
      db,
      "INSERT INTO runs (at_date, started_at, finished_at, status, undo_log) VALUES (?, ?, ?, ?, "
      "1)");
  insert.bind(1, model::to_string(at)).bind(2, now);
  if (status == RunStatus::running) {
    insert.bind_null(3);
    insert.bind(4, std::string_view("running"));
  } else {
    insert.bind(3, now);
    insert.bind(4, std::string_view("succeeded"));
  }
  TIENDO_RETURN_IF_ERROR(run(insert));
  return last_insert_id(db);
}

namespace {

// The detail object with the reason's JSON, already written, as its "why" member.
std::string with_why(std::string detail, std::string_view why) {
  if (why.empty() || detail.size() < 2) return detail;
  detail.pop_back();  // the closing brace
  detail += R"(,"why":)";
  detail += why;
  detail += '}';
  return detail;
}

}  // namespace

// A JSON object of the row's figures and dates, and its reason as "why". A figure or date
// the result has not is left out: a million rows are kept per run that changes them all.
std::string result_detail(const ResultRow& r) {
  Json detail = Json::object();
  const auto put = [&detail](const char* key, const auto& value) {
    if (value) detail[key] = figure_or_date(*value);
  };
  if (r.subject == Subject::rule) {
    detail["severity"] = model::to_string(r.severity);
    put("value", r.value);
    put("target", r.target);
    put("upper", r.upper);
    put("deadline", r.deadline);
    put("projected", r.projected);
    put("rate_needed", r.rate_needed);
    put("rate_observed", r.rate_observed);
    detail["version"] = r.version;
  } else {
    put("due", r.due);
    put("earliest_finish", r.earliest_finish);
    detail["progress"] = r.progress;
  }
  return with_why(detail.dump(), r.why);
}

std::optional<DbError> insert_results(Database& db, std::int64_t run_id,
                                      std::span<const ResultRow> rows) {
  // What a row says first, then the row, which points to it; kChunk rows per statement
  // (measured: 400,000 rows in 1.66 s one per statement, 0.88 s 32 per statement). The
  // details' ids are given, following the largest: the caller's transaction holds the
  // write lock, so no one else adds one meanwhile.
  constexpr std::size_t kChunk = 32;
  const auto values = [](std::size_t count, std::string_view one) {
    std::string text;
    for (std::size_t i = 0; i < count; ++i) {
      if (i > 0) text += ", ";
      text += one;
    }
    return text;
  };
  TIENDO_ASSIGN_OR_RETURN(std::int64_t last_id, scalar(db, "SELECT max(id) FROM result_details"));
  if (postgres::Connection* pg = sql::pg_connection(db)) {
    // PostgreSQL: by COPY, any number of rows a round trip (a statement a row, or 32,
    // would be a round trip each).
    postgres::CopyWriter details(*pg, "result_details (id, state, detail)");
    postgres::CopyWriter spans(*pg,
                               "result_spans (subject, name, unit, from_run, digest, details)");
    for (std::size_t i = 0; i < rows.size(); ++i) {
      const ResultRow& r = rows[i];
      const std::int64_t id = last_id + 1 + static_cast<std::int64_t>(i);
      details.integer(id).text(r.state).text(r.detail.empty() ? result_detail(r) : r.detail);
      details.end_row();
      spans.text(to_string(r.subject)).text(r.name).text(r.unit).integer(run_id);
      spans.integer(static_cast<std::int64_t>(r.digest)).integer(id);
      spans.end_row();
      if (details.error()) return details.error();
      if (spans.error()) return spans.error();
    }
    TIENDO_RETURN_IF_ERROR(details.flush());
    return spans.flush();
  }
  std::optional<Statement> details, spans;
  std::size_t prepared_for = 0;
  for (std::size_t from = 0; from < rows.size(); from += kChunk) {
    const std::size_t count = std::min(kChunk, rows.size() - from);
    if (count != prepared_for) {
      details = sql::prepare(db, "INSERT INTO result_details (id, state, detail) VALUES " +
                                     values(count, "(?, ?, ?)"));
      spans = sql::prepare(db,
                           "INSERT INTO result_spans (subject, name, unit, from_run, digest, "
                           "details) VALUES " +
                               values(count, "(?, ?, ?, ?, ?, ?)"));
      prepared_for = count;
    }
    details->reset();
    spans->reset();
    for (std::size_t i = 0; i < count; ++i) {
      const ResultRow& r = rows[from + i];
      const int d = static_cast<int>(3 * i), s = static_cast<int>(6 * i);
      const std::int64_t id = last_id + 1 + static_cast<std::int64_t>(from + i);
      details->bind(d + 1, id).bind(d + 2, r.state);
      if (r.detail.empty()) {
        details->bind(d + 3, result_detail(r));
      } else {
        details->bind(d + 3, r.detail);
      }
      spans->bind(s + 1, to_string(r.subject))
          .bind(s + 2, r.name)
          .bind(s + 3, r.unit)
          .bind(s + 4, run_id)
          .bind(s + 5, static_cast<std::int64_t>(r.digest))
          .bind(s + 6, id);
    }
    TIENDO_RETURN_IF_ERROR(run(*details));
    TIENDO_RETURN_IF_ERROR(run(*spans));
  }
  return std::nullopt;
}

std::optional<DbError> close_results(Database& db, std::int64_t run_id,
                                     std::span<const ResultKey> keys) {
  if (postgres::Connection* pg = sql::pg_connection(db)) {
    // PostgreSQL: the keys by COPY into a temporary table, closed by one statement.
    TIENDO_RETURN_IF_ERROR(sql::execute(db, R"sql(
CREATE TEMP TABLE IF NOT EXISTS closed_results (subject TEXT COLLATE "C", name TEXT COLLATE "C",
  unit TEXT COLLATE "C");
DELETE FROM closed_results)sql"));
    postgres::CopyWriter closed(*pg, "closed_results (subject, name, unit)");
    for (const ResultKey& k : keys) {
      closed.text(to_string(k.subject)).text(k.name).text(k.unit);
      closed.end_row();
      if (closed.error()) return closed.error();
    }
    TIENDO_RETURN_IF_ERROR(closed.flush());
    // A temporary table has no statistics until analyzed (autovacuum never sees it), and
    // without them the planner guesses the join of many keys badly: bench_eval's 1% run
    // closes 215,286 spans.
    if (keys.size() > 1000) TIENDO_RETURN_IF_ERROR(sql::execute(db, "ANALYZE closed_results"));
    Statement close = sql::prepare(db, R"sql(
UPDATE result_spans r SET to_run = ?1 FROM closed_results k
WHERE r.subject = k.subject AND r.name = k.name AND r.unit = k.unit AND r.from_run < ?1
  AND r.to_run = )sql" TIENDO_CURRENT);
    close.bind(1, run_id);
    TIENDO_RETURN_IF_ERROR(run(close));
    return sql::execute(db, "DELETE FROM closed_results");
  }
  Statement close = sql::prepare(db, R"sql(
UPDATE result_spans SET to_run = ?4
WHERE subject = ?1 AND name = ?2 AND unit = ?3 AND from_run < ?4 AND to_run = )sql" TIENDO_CURRENT);
  for (const ResultKey& k : keys) {
    close.reset();
    close.bind(1, to_string(k.subject)).bind(2, k.name).bind(3, k.unit).bind(4, run_id);
    TIENDO_RETURN_IF_ERROR(run(close));
  }
  return std::nullopt;
}

std::optional<DbError> discard_results(Database& db, std::int64_t run_id) {
  Statement discard = sql::prepare(db, "DELETE FROM result_spans WHERE from_run = ?");
  discard.bind(1, run_id);
  return run(discard);
}

DbResult<std::int64_t> last_succeeded_run(Database& db) {
  Statement q =
      sql::prepare(db, "SELECT id FROM runs WHERE status = 'succeeded' ORDER BY id DESC LIMIT 1");
  if (q.step()) return q.column_int(0);
  if (q.error()) return *q.error();
  return std::int64_t{0};
}

DbResult<std::int64_t> read_current_results(
    Database& db, const std::function<void(const ResultKey&, std::uint64_t)>& visit,
    const std::function<void()>& restart) {
  // The rows of a run still running are not current yet (a failed run's are gone). Most
  // of the time no other run is running, and each row is read without that test. A scan
  // of the table (in key order): faster, measured, than a partial index of the current rows.
  constexpr std::string_view kCurrent = R"sql(
SELECT subject, name, unit, digest, from_run FROM result_spans
WHERE to_run = )sql" TIENDO_CURRENT " ORDER BY subject, name, unit";
  // Read again when a run commits meanwhile, so that the rows are those of the run named.
  for (int attempt = 0; attempt < 5; ++attempt) {
    if (attempt > 0) restart();
    TIENDO_ASSIGN_OR_RETURN(const std::int64_t before, last_succeeded_run(db));
    std::vector<std::int64_t> running;
    Statement running_q = sql::prepare(db, "SELECT id FROM runs WHERE status = 'running'");
    while (running_q.step()) running.push_back(running_q.column_int(0));
    if (running_q.error()) return *running_q.error();
    Statement q = sql::prepare(db, kCurrent);
    while (q.step()) {
      const std::string_view subject_text = q.column_view(0);
      const Subject subject = subject_text == "rule" ? Subject::rule : Subject::task;
      if (subject_text != "rule" && subject_text != "task") {
        return DbError{"a stored result has a malformed subject"};
      }
      if (!running.empty() &&
          std::find(running.begin(), running.end(), q.column_int(4)) != running.end()) {
        continue;
      }
      visit(ResultKey{subject, q.column_view(1), q.column_view(2)},
            static_cast<std::uint64_t>(q.column_int(3)));
    }
    if (q.error()) return *q.error();
    TIENDO_ASSIGN_OR_RETURN(const std::int64_t after, last_succeeded_run(db));
    if (before == after) return after;
  }
  return DbError{"the current results kept changing while they were read (runs committed)"};
}

DbResult<StoredResultPage> results_at(Database& db, std::int64_t run_id,
                                      const StoredResultQuery& query) {
  StoredResultPage page;
  page.run_id = run_id;
  Statement run_q = sql::prepare(db, "SELECT at_date, status FROM runs WHERE id = ?");
  run_q.bind(1, run_id);
  if (!run_q.step()) {
    if (run_q.error()) return *run_q.error();
    page.status = StoredResultPage::Status::no_run;
    return page;
  }
  page.at = run_q.column_text(0);
  page.run_status = run_q.column_text(1);
  if (page.run_status != "succeeded") {
    page.status = StoredResultPage::Status::not_succeeded;
    return page;
  }
  Statement kept_q = sql::prepare(db, "SELECT coalesce(max(results_from_run), 0) FROM retention");
  if (!kept_q.step()) return kept_q.error().value_or(DbError{"cannot read the retention"});
  page.kept_from = kept_q.column_int(0);
  if (run_id < page.kept_from) {
    page.status = StoredResultPage::Status::pruned;
    return page;
  }
  // ?1 the run; ?2 subject, ?3 name, ?4 unit (NULL: any).
  constexpr std::string_view kWhere = R"sql(
WHERE from_run <= ?1 AND to_run > ?1
  AND from_run NOT IN (SELECT id FROM runs WHERE status = 'running')
  AND (?2 IS NULL OR subject = ?2) AND (?3 IS NULL OR name = ?3) AND (?4 IS NULL OR unit = ?4))sql";
  const auto bind_query = [&](Statement& s) {
    s.bind(1, run_id)
        .bind_text_or_null(2, query.subject ? to_string(*query.subject) : std::string_view())
        .bind_text_or_null(3, query.name)
        .bind_text_or_null(4, query.unit);
  };
  Statement count = sql::prepare(db, fmt::format("SELECT count(*) FROM result_spans {}", kWhere));
  bind_query(count);
  if (!count.step()) return count.error().value_or(DbError{"cannot count the results"});
  page.total = count.column_int(0);
  Statement rows =
      sql::prepare(db, fmt::format("SELECT subject, name, unit, state, detail, from_run "
                                   "FROM result_spans JOIN result_details ON id = details {} "
                                   "ORDER BY subject, name, unit LIMIT ?5 OFFSET ?6",
                                   kWhere));
  bind_query(rows);
  rows.bind(5, static_cast<std::int64_t>(query.limit))
      .bind(6, static_cast<std::int64_t>(query.offset));
  while (rows.step()) {
    StoredResult r;
    const auto subject = parse_subject(rows.column_view(0));
    if (!subject) return DbError{"a stored result has a malformed subject"};
    r.subject = *subject;
    r.name = rows.column_text(1);
    r.unit = rows.column_text(2);
    r.state = rows.column_text(3);
    r.detail = rows.column_text(4);
    r.since_run = rows.column_int(5);
    page.results.push_back(std::move(r));
  }
  if (rows.error()) return *rows.error();
  return page;
}

DbResult<std::vector<ResultSpan>> result_spans_of(Database& db, Subject subject,
                                                  std::string_view name, std::string_view unit,
                                                  std::size_t limit) {
  Statement q = sql::prepare(db, R"sql(
SELECT s.from_run, f.at_date, s.to_run, coalesce(t.at_date, ''), d.state, d.detail
FROM result_spans s JOIN result_details d ON d.id = s.details
JOIN runs f ON f.id = s.from_run AND f.status = 'succeeded'
LEFT JOIN runs t ON t.id = s.to_run
WHERE s.subject = ?1 AND s.name = ?2 AND s.unit = ?3
ORDER BY s.from_run DESC LIMIT ?4)sql");
  q.bind(1, to_string(subject)).bind(2, name).bind(3, unit);
  q.bind(4, static_cast<std::int64_t>(std::min<std::size_t>(limit, 1u << 30)));
  std::vector<ResultSpan> spans;
  while (q.step()) {
    ResultSpan span;
    span.from_run = q.column_int(0);
    span.from_at = q.column_text(1);
    const std::int64_t to = q.column_int(2);
    span.to_run = to == std::numeric_limits<std::int64_t>::max() ? 0 : to;
    span.to_at = q.column_text(3);
    span.state = q.column_text(4);
    span.detail = q.column_text(5);
    spans.push_back(std::move(span));
  }
  if (q.error()) return *q.error();
  return spans;
}

DbResult<std::string> kept_run_date(Database& db, std::int64_t run_id) {
  Statement run_q = sql::prepare(db, "SELECT at_date, status FROM runs WHERE id = ?");
  run_q.bind(1, run_id);
  if (!run_q.step()) {
    if (run_q.error()) return *run_q.error();
    return DbError{fmt::format("no run {}", run_id)};
  }
  std::string at = run_q.column_text(0);
  if (run_q.column_view(1) != "succeeded") {
    return DbError{fmt::format("run {} (at {}) is {}; only a succeeded run keeps results", run_id,
                               at, run_q.column_view(1))};
  }
  Statement kept_q = sql::prepare(db, "SELECT coalesce(max(results_from_run), 0) FROM retention");
  if (!kept_q.step()) return kept_q.error().value_or(DbError{"cannot read the retention"});
  if (run_id < kept_q.column_int(0)) {
    return DbError{
        fmt::format("the results of run {} (at {}) were pruned by retention", run_id, at)};
  }
  return at;
}

DbResult<RunChanges> changes_between(Database& db, std::int64_t from_run, std::int64_t to_run) {
  if (from_run >= to_run) {
    return DbError{fmt::format("run {} is not before run {}", from_run, to_run)};
  }
  RunChanges changes;
  changes.from_run = from_run;
  changes.to_run = to_run;
  TIENDO_ASSIGN_OR_RETURN(changes.from_at, kept_run_date(db, from_run));
  TIENDO_ASSIGN_OR_RETURN(changes.to_at, kept_run_date(db, to_run));
  // The results found after from_run and still held at to_run, with the state they had at
  // from_run; then those held at from_run that to_run no longer has (a rule removed).
  Statement found = sql::prepare(db, R"sql(
SELECT s.subject, s.name, s.unit, d.state,
  coalesce((SELECT pd.state FROM result_spans p JOIN result_details pd ON pd.id = p.details
          WHERE p.subject = s.subject AND p.name = s.name AND p.unit = s.unit
            AND p.from_run <= ?1 AND p.to_run > ?1), '')
FROM result_spans s JOIN result_details d ON d.id = s.details
WHERE s.from_run > ?1 AND s.from_run <= ?2 AND s.to_run > ?2
ORDER BY s.subject, s.name, s.unit)sql");
  Statement gone = sql::prepare(db, R"sql(
SELECT s.subject, s.name, s.unit, d.state, ''
FROM result_spans s JOIN result_details d ON d.id = s.details
WHERE s.from_run <= ?1 AND s.to_run > ?1 AND s.to_run <= ?2
  AND NOT EXISTS (SELECT 1 FROM result_spans n WHERE n.subject = s.subject AND n.name = s.name
                    AND n.unit = s.unit AND n.from_run > ?1 AND n.from_run <= ?2
                    AND n.to_run > ?2)
ORDER BY s.subject, s.name, s.unit)sql");
  for (Statement* q : {&found, &gone}) {
    q->bind(1, from_run).bind(2, to_run);
    const bool removed = q == &gone;
    while (q->step()) {
      const auto subject = parse_subject(q->column_view(0));
      if (!subject) return DbError{"a stored result has a malformed subject"};
      StateChange change;
      change.subject = *subject;
      change.name = q->column_text(1);
      change.unit = q->column_text(2);
      change.before = removed ? q->column_text(3) : q->column_text(4);
      change.after = removed ? std::string() : q->column_text(3);
      // A new digest with the same state (a value moved): not a change of state.
      if (change.before == change.after) continue;
      changes.changes.push_back(std::move(change));
    }
    if (q->error()) return *q->error();
  }
  TIENDO_ASSIGN_OR_RETURN(const AlertCounts alerts, alert_transitions(db, from_run, to_run));
  changes.alerts_fired = alerts.fired;
  changes.alerts_resolved = alerts.resolved;
  return changes;
}

DbResult<AlertCounts> alert_transitions(Database& db, std::int64_t after_run,
                                        std::int64_t up_to_run) {
  Statement alerts = sql::prepare(db, R"sql(
SELECT
  count(*) FILTER (WHERE to_lifecycle = 'firing' AND coalesce(from_lifecycle, '') <> 'firing'),
  count(*) FILTER (WHERE to_lifecycle = 'resolved' AND from_lifecycle = 'firing')
FROM transitions WHERE run_id > ?1 AND run_id <= ?2)sql");
  alerts.bind(1, after_run).bind(2, up_to_run);
  if (!alerts.step()) return alerts.error().value_or(DbError{"cannot count the transitions"});
  return AlertCounts{alerts.column_int(0), alerts.column_int(1)};
}

DbResult<std::vector<StateChange>> states_at(Database& db, std::int64_t run) {
  TIENDO_ASSIGN_OR_RETURN(const std::string at, kept_run_date(db, run));
  (void)at;
  Statement q = sql::prepare(db, R"sql(
SELECT subject, name, unit, state
FROM result_spans JOIN result_details ON id = details
WHERE from_run <= ?1 AND to_run > ?1
ORDER BY subject, name, unit)sql");
  q.bind(1, run);
  std::vector<StateChange> states;
  while (q.step()) {
    const auto subject = parse_subject(q.column_view(0));
    if (!subject) return DbError{"a stored result has a malformed subject"};
    StateChange s;
    s.subject = *subject;
    s.name = q.column_text(1);
    s.unit = q.column_text(2);
    s.before = q.column_text(3);
    states.push_back(std::move(s));
  }
  if (q.error()) return *q.error();
  return states;
}

DbResult<std::int64_t> run_before(Database& db, std::int64_t run, std::string_view date) {
  Statement q = sql::prepare(db, R"sql(
SELECT id FROM runs WHERE status = 'succeeded' AND id < ?1 AND (?2 = '' OR at_date <= ?2)
ORDER BY id DESC LIMIT 1)sql");
  q.bind(1, run).bind(2, date);
  if (q.step()) return q.column_int(0);
  if (q.error()) return *q.error();
  return std::int64_t{0};
}

namespace {

// Enqueues the run's messages (one per channel); for each transition, the ids of the
// messages its channels go out in.
DbResult<std::vector<std::vector<std::int64_t>>> enqueue_messages(Database& db,
                                                                  const RunOutcome& outcome) {
  std::map<std::string_view, std::int64_t> message_of_channel;
  for (const OutboxMessage& m : outcome.messages) {
    TIENDO_ASSIGN_OR_RETURN(message_of_channel[m.channel],
                            insert_message(db, outcome.run_id, outcome.now, m));
  }
  std::vector<std::vector<std::int64_t>> messages_of;
  for (const Transition& t : outcome.transitions) {
    std::vector<std::int64_t>& ids = messages_of.emplace_back();
    for (const std::string& channel : t.channels) {
      const auto it = message_of_channel.find(channel);
      if (it == message_of_channel.end()) {
        return DbError{fmt::format("internal error: no message for channel {} of alert {}", channel,
                                   t.fingerprint)};
      }
      ids.push_back(it->second);
    }
  }
  return messages_of;
}

// PostgreSQL's half of write_run_outcome: the alerts that changed and the transitions by
// COPY (the alerts through a temporary table and one upsert; the transitions with ids
// given, following the largest, as the run's transaction holds the write lock), then the
// messages and their links.
std::optional<DbError> write_alerts_and_transitions(Database& db, postgres::Connection& pg,
                                                    const RunOutcome& outcome) {
  TIENDO_RETURN_IF_ERROR(sql::execute(db, R"sql(
CREATE TEMP TABLE IF NOT EXISTS staged_alerts AS SELECT * FROM alerts WITH NO DATA;
DELETE FROM staged_alerts)sql"));
  constexpr std::string_view kAlertColumns =
      "fingerprint, subject, name, unit, state, severity, lifecycle, since, last_notified, "
      "updated_run, firing_since, evaluated";
  postgres::CopyWriter alerts(pg, fmt::format("staged_alerts ({})", kAlertColumns));
  const auto date = [](const std::optional<model::Date>& d) {
    return d ? model::to_string(*d) : std::string();
  };
  for (const AlertRecord* alert : outcome.changed) {
    const AlertRecord& a = *alert;
    alerts.text(a.fingerprint).text(to_string(a.subject)).text(a.name).text(a.unit).text(a.state);
    alerts.text(model::to_string(a.severity)).text(to_string(a.lifecycle));
    alerts.text(model::to_string(a.since)).text_or_null(date(a.last_notified));
    alerts.integer(outcome.run_id).text_or_null(date(a.firing_since));
    alerts.text(model::to_string(a.evaluated));
    alerts.end_row();
    if (alerts.error()) return alerts.error();
  }
  TIENDO_RETURN_IF_ERROR(alerts.flush());
  TIENDO_RETURN_IF_ERROR(sql::execute(db, fmt::format(R"sql(
INSERT INTO alerts ({0}) SELECT {0} FROM staged_alerts
ON CONFLICT (fingerprint) DO UPDATE SET subject = excluded.subject, name = excluded.name,
  unit = excluded.unit, state = excluded.state, severity = excluded.severity,
  lifecycle = excluded.lifecycle, since = excluded.since, last_notified = excluded.last_notified,
  updated_run = excluded.updated_run, firing_since = excluded.firing_since,
  evaluated = excluded.evaluated;
DELETE FROM staged_alerts)sql",
                                                      kAlertColumns)));

  TIENDO_ASSIGN_OR_RETURN(const std::vector<std::vector<std::int64_t>> messages_of,
                          enqueue_messages(db, outcome));
  TIENDO_ASSIGN_OR_RETURN(const std::int64_t last_id,
                          scalar(db, "SELECT coalesce(max(id), 0) FROM transitions"));
  postgres::CopyWriter transitions(pg,
                                   "transitions (id, run_id, fingerprint, from_lifecycle, "
                                   "to_lifecycle, state, severity, notify, silenced_by, channels)");
  postgres::CopyWriter links(pg, "outbox_transitions (outbox_id, transition_id)");
  std::int64_t id = last_id;
  for (const Transition& t : outcome.transitions) {
    ++id;
    transitions.integer(id).integer(outcome.run_id).text(t.fingerprint);
    transitions.text_or_null(t.from ? to_string(*t.from) : std::string_view());
    transitions.text(to_string(t.to)).text(t.state).text(model::to_string(t.severity));
    transitions.text_or_null(t.notify ? to_string(*t.notify) : std::string_view());
    transitions.integer(t.silenced_by).text(Json(t.channels).dump());
    transitions.end_row();
    if (transitions.error()) return transitions.error();
    for (const std::int64_t message : messages_of[static_cast<std::size_t>(id - last_id - 1)]) {
      links.integer(message).integer(id);
      links.end_row();
      if (links.error()) return links.error();
    }
  }
  TIENDO_RETURN_IF_ERROR(transitions.flush());
  TIENDO_RETURN_IF_ERROR(links.flush());
  // The identity goes on after the ids given.
  return sql::execute(db,
                      "SELECT setval(pg_get_serial_sequence('transitions', 'id'), max(id)) FROM "
                      "transitions HAVING max(id) IS NOT NULL");
}

}  // namespace

std::optional<DbError> write_run_outcome(Database& db, const RunOutcome& outcome) {
  // Only the alerts whose row changes are written: every succeeded run evaluates every
  // open alert, so an open alert's evaluation date is the latest succeeded run's
  // (load_alerts reads it so), and a still-firing alert with nothing new costs no write.
  Statement count = sql::prepare(db, "UPDATE runs SET results_changed = ?2 WHERE id = ?1");
  count.bind(1, outcome.run_id).bind(2, static_cast<std::int64_t>(outcome.results_changed));
  TIENDO_RETURN_IF_ERROR(run(count));

  // The rows as they stand before this run rewrites them (none for an alert the run
  // creates), for rewind_ledger: one statement for them all.
  Json fingerprints = Json::array();
  for (const AlertRecord* alert : outcome.changed) fingerprints.push_back(alert->fingerprint);
  Statement keep_prior =
      sql::prepare(db, fmt::format(R"sql(
INSERT INTO alert_prior (run_id, fingerprint, subject, name, unit, state, severity, lifecycle,
  since, last_notified, updated_run, firing_since, evaluated)
SELECT ?1, fingerprint, subject, name, unit, state, severity, lifecycle, since, last_notified,
  updated_run, firing_since, evaluated FROM alerts
WHERE fingerprint IN ({}))sql",
                                   sql::engine(db) == Engine::postgresql
                                       ? "SELECT json_array_elements_text(?2::json)"
                                       : "SELECT value FROM json_each(?2)"));
  keep_prior.bind(1, outcome.run_id).bind(2, fingerprints.dump());
  TIENDO_RETURN_IF_ERROR(run(keep_prior));
  if (!outcome.changed.empty()) TIENDO_RETURN_IF_ERROR(alerts_changed(db));
  if (postgres::Connection* pg = sql::pg_connection(db)) {
    return write_alerts_and_transitions(db, *pg, outcome);
  }
  Statement upsert = sql::prepare(db, R"sql(
INSERT INTO alerts (fingerprint, subject, name, unit, state, severity, lifecycle, since,
  last_notified, updated_run, firing_since, evaluated)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)
ON CONFLICT (fingerprint) DO UPDATE SET subject = ?2, name = ?3, unit = ?4, state = ?5,
  severity = ?6, lifecycle = ?7, since = ?8, last_notified = ?9, updated_run = ?10,
  firing_since = ?11, evaluated = ?12)sql");
  for (const AlertRecord* alert : outcome.changed) {
    const AlertRecord& a = *alert;
    upsert.reset();
    upsert.bind(1, a.fingerprint)
        .bind(2, to_string(a.subject))
        .bind(3, a.name)
        .bind(4, a.unit)
        .bind(5, a.state)
        .bind(6, model::to_string(a.severity))
        .bind(7, to_string(a.lifecycle))
        .bind(8, model::to_string(a.since));
    bind_date(upsert, 9, a.last_notified);
    upsert.bind(10, outcome.run_id);
    bind_date(upsert, 11, a.firing_since);
    upsert.bind(12, model::to_string(a.evaluated));
    TIENDO_RETURN_IF_ERROR(run(upsert));
  }

  TIENDO_ASSIGN_OR_RETURN(const std::vector<std::vector<std::int64_t>> messages_of,
                          enqueue_messages(db, outcome));
  Statement insert_transition = sql::prepare(db, R"sql(
INSERT INTO transitions (run_id, fingerprint, from_lifecycle, to_lifecycle, state, severity,
  notify, silenced_by, channels)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?))sql");
  Statement link =
      sql::prepare(db, "INSERT INTO outbox_transitions (outbox_id, transition_id) VALUES (?, ?)");
  for (std::size_t t_index = 0; t_index < outcome.transitions.size(); ++t_index) {
    const Transition& t = outcome.transitions[t_index];
    insert_transition.reset();
    insert_transition.bind(1, outcome.run_id)
        .bind(2, t.fingerprint)
        .bind_text_or_null(3, t.from ? to_string(*t.from) : std::string_view())
        .bind(4, to_string(t.to))
        .bind(5, t.state)
        .bind(6, model::to_string(t.severity))
        .bind_text_or_null(7, t.notify ? to_string(*t.notify) : std::string_view())
        .bind(8, t.silenced_by);
    insert_transition.bind(9, Json(t.channels).dump());
    TIENDO_RETURN_IF_ERROR(run(insert_transition));
    const std::int64_t transition_id = last_insert_id(db);
    for (const std::int64_t message : messages_of[t_index]) {
      link.reset();
      link.bind(1, message).bind(2, transition_id);
      TIENDO_RETURN_IF_ERROR(run(link));
    }
  }
  return std::nullopt;
}

std::optional<DbError> mark_run_succeeded(Database& db, std::int64_t run_id, std::string_view now) {
  Statement finish = sql::prepare(
      db,
      "UPDATE runs SET status = 'succeeded', finished_at = ?2 WHERE id = ?1 AND status = "
      "'running'");
  finish.bind(1, run_id).bind(2, now);
  TIENDO_RETURN_IF_ERROR(run(finish));
  if (changes(db) != 1) return DbError{fmt::format("run {} is not a run in progress", run_id)};
  return std::nullopt;
}

std::optional<DbError> fail_runs(Database& db, std::optional<std::int64_t> run_id,
                                 std::string_view error, std::string_view now) {
  // Its results first: should this stop half-way, the run is still running, and the next
  // start fails it again.
  std::vector<std::int64_t> running;
  {
    Statement running_q = sql::prepare(
        db, "SELECT id FROM runs WHERE status = 'running' AND (?1 IS NULL OR id = ?1)");
    running_q.bind(1, run_id);
    while (running_q.step()) running.push_back(running_q.column_int(0));
    if (running_q.error()) return *running_q.error();
  }
  for (const std::int64_t id : running) TIENDO_RETURN_IF_ERROR(discard_results(db, id));
  Statement update =
      sql::prepare(db,
                   "UPDATE runs SET status = 'failed', finished_at = ?1, error = ?2 WHERE status = "
                   "'running' AND (?3 IS NULL OR id = ?3)");
  update.bind(1, now).bind(2, error).bind(3, run_id);
  return run(update);
}

namespace {

// Runs `sql` (bound to ?1 = `bound`) in transactions of its own until it changes no row;
// the rows it changed in all.
DbResult<std::size_t> in_batches(Database& db, std::string_view sql, std::int64_t bound,
                                 double& longest) {
  std::size_t total = 0;
  for (;;) {
    const auto started = std::chrono::steady_clock::now();
    Transaction tx(db);
    if (tx.error()) return *tx.error();
    Statement s = sql::prepare(db, sql);
    s.bind(1, bound);
    if (!s.run()) return s.error().value_or(DbError{"a prune step failed"});
    const auto n = static_cast<std::size_t>(changes(db));
    TIENDO_RETURN_IF_ERROR(tx.commit());
    longest = std::max(
        longest, std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
    total += n;
    if (n == 0) return total;
  }
}

// Deletes the spans that ended by run `keep`, in short transactions, walking the table in
// its key order from where the last one stopped (there is no index of the ended spans:
// schema 10): each transaction deletes up to kDeletions and looks at up to kLooked rows.
DbResult<std::size_t> delete_ended_spans(Database& db, std::int64_t keep, double& longest) {
  constexpr std::size_t kDeletions = 5000, kLooked = 200000;
  const std::string find_sql = fmt::format(R"sql(
SELECT subject, name, unit, from_run, to_run <= ?1 AND to_run < {}
FROM result_spans WHERE (subject, name, unit, from_run) > (?2, ?3, ?4, ?5)
ORDER BY subject, name, unit, from_run LIMIT {})sql",
                                           TIENDO_CURRENT, kLooked);
  constexpr std::string_view kDelete = R"sql(
DELETE FROM result_spans WHERE subject = ?1 AND name = ?2 AND unit = ?3 AND from_run = ?4)sql";
  struct SpanKey {
    std::string subject, name, unit;  // '' sorts before any stored key
    std::int64_t from_run = std::numeric_limits<std::int64_t>::min();
  };
  SpanKey at;  // where the walk stopped
  std::size_t total = 0;
  for (bool more = true; more;) {
    const auto started = std::chrono::steady_clock::now();
    Transaction tx(db);
    if (tx.error()) return *tx.error();
    Statement find = sql::prepare(db, find_sql);
    find.bind(1, keep).bind(2, at.subject).bind(3, at.name).bind(4, at.unit).bind(5, at.from_run);
    std::size_t looked = 0;
    std::vector<SpanKey> ended;
    while (ended.size() < kDeletions && find.step()) {
      ++looked;
      at = {find.column_text(0), find.column_text(1), find.column_text(2), find.column_int(3)};
      if (find.column_int(4) != 0) ended.push_back(at);
    }
    if (find.error()) return *find.error();
    find.reset();
    // The walk goes on unless this step stopped for lack of rows.
    more = ended.size() == kDeletions || looked == kLooked;
    Statement remove = sql::prepare(db, kDelete);
    for (const SpanKey& k : ended) {
      remove.reset();
      remove.bind(1, k.subject).bind(2, k.name).bind(3, k.unit).bind(4, k.from_run);
      TIENDO_RETURN_IF_ERROR(run(remove));
    }
    TIENDO_RETURN_IF_ERROR(tx.commit());
    longest = std::max(
        longest, std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
    total += ended.size();
  }
  return total;
}

// What the database takes on disk: its file and its write-ahead log (which holds the
// latest writes until a checkpoint copies them into the file); on PostgreSQL, the
// database's size as the server counts it.
std::int64_t file_bytes(Database& db) {
  if (sql::engine(db) == Engine::postgresql) {
    auto size = scalar(db, "SELECT pg_database_size(current_database())");
    return std::holds_alternative<std::int64_t>(size) ? std::get<std::int64_t>(size) : 0;
  }
  std::int64_t total = 0;
  for (const std::string& path : {db.path(), db.path() + "-wal"}) {
    std::error_code ec;
    const auto size = std::filesystem::file_size(path, ec);
    if (!ec) total += static_cast<std::int64_t>(size);
  }
  return total;
}

}  // namespace

DbResult<PruneReport> prune_runs(Database& db, std::string_view before, std::string_view now,
                                 bool commit, bool vacuum) {
  PruneReport report;
  report.file_bytes_before = file_bytes(db);
  TIENDO_ASSIGN_OR_RETURN(const std::int64_t latest, last_succeeded_run(db));
  if (latest == 0) return report;
  // The first run to keep whole: the first that started at `before` or later, and never
  // past the latest succeeded run or a run in progress.
  std::int64_t keep = latest;
  {
    Statement first_q = sql::prepare(db, "SELECT min(id) FROM runs WHERE started_at >= ?1");
    first_q.bind(1, before);
    if (!first_q.step()) return first_q.error().value_or(DbError{"cannot read the runs"});
    if (!first_q.column_is_null(0)) keep = std::min(latest, first_q.column_int(0));
  }
  TIENDO_ASSIGN_OR_RETURN(const std::int64_t running,
                          scalar(db, "SELECT min(id) FROM runs WHERE status = 'running'"));
  if (running != 0) keep = std::min(keep, running);
  TIENDO_ASSIGN_OR_RETURN(const std::int64_t kept_before,
                          scalar(db, "SELECT max(results_from_run) FROM retention"));
  keep = std::max(keep, kept_before);
  {
    Statement at_q = sql::prepare(db, "SELECT at_date FROM runs WHERE id = ?1");
    at_q.bind(1, keep);
    if (at_q.step()) report.kept_from_at = at_q.column_text(0);
  }
  report.kept_from_run = keep;

  // What would go.
  TIENDO_ASSIGN_OR_RETURN(
      const std::int64_t spans,
      scalar(db,
             "SELECT count(*) FROM result_spans WHERE to_run <= ?1 AND to_run < " TIENDO_CURRENT,
             keep));
  TIENDO_ASSIGN_OR_RETURN(const std::int64_t prior,
                          scalar(db, "SELECT count(*) FROM alert_prior WHERE run_id < ?1", keep));
  TIENDO_ASSIGN_OR_RETURN(
      const std::int64_t evaluations,
      scalar(db,
             "SELECT count(*) FROM evaluations WHERE run_id < ?1 AND state IN ('succeeded', "
             "'failed')",
             keep));
  // A run no alert's history names, once its undo log and its evaluation are gone.
  constexpr std::string_view kUnnamed = R"sql(
runs.id < ?1 AND status != 'running'
AND NOT EXISTS (SELECT 1 FROM transitions t WHERE t.run_id = runs.id)
AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.run_id = runs.id)
AND NOT EXISTS (SELECT 1 FROM alerts a WHERE a.updated_run = runs.id)
AND NOT EXISTS (SELECT 1 FROM alert_prior p WHERE p.updated_run = runs.id)
AND NOT EXISTS (SELECT 1 FROM evaluations e WHERE e.run_id = runs.id AND e.run_id >= ?1))sql";
  TIENDO_ASSIGN_OR_RETURN(
      const std::int64_t unnamed,
      scalar(db, fmt::format("SELECT count(*) FROM runs WHERE {}", kUnnamed), keep));
  TIENDO_ASSIGN_OR_RETURN(const std::int64_t earlier,
                          scalar(db, "SELECT count(*) FROM runs WHERE id < ?1", keep));
  report.result_rows_removed = static_cast<std::size_t>(spans);
  report.undo_rows_removed = static_cast<std::size_t>(prior);
  report.evaluations_removed = static_cast<std::size_t>(evaluations);
  report.runs_removed = static_cast<std::size_t>(unnamed);
  report.runs_kept = static_cast<std::size_t>(earlier - unnamed);
  const bool postgres = sql::engine(db) == Engine::postgresql;
  if (!postgres) {
    TIENDO_ASSIGN_OR_RETURN(const std::int64_t mode, scalar(db, "PRAGMA auto_vacuum"));
    report.incremental = mode == 2;
  }
  if (!commit) {
    report.file_bytes_after = report.file_bytes_before;
    return report;
  }

  // The watermark first: from now on no earlier run answers with part of its results.
  if (keep > kept_before) {
    Transaction tx(db);
    if (tx.error()) return *tx.error();
    Statement mark =
        sql::prepare(db, "INSERT INTO retention (results_from_run, pruned_at) VALUES (?1, ?2)");
    mark.bind(1, keep).bind(2, now);
    TIENDO_RETURN_IF_ERROR(run(mark));
    Statement no_undo = sql::prepare(db, "UPDATE runs SET undo_log = 0 WHERE id < ?1");
    no_undo.bind(1, keep);
    TIENDO_RETURN_IF_ERROR(run(no_undo));
    TIENDO_RETURN_IF_ERROR(tx.commit());
  }
  auto spans_gone = delete_ended_spans(db, keep, report.longest_transaction_seconds);
  if (auto* failure = std::get_if<DbError>(&spans_gone)) return *failure;
  for (std::string_view sql : {
           std::string_view(R"sql(
DELETE FROM alert_prior WHERE (run_id, fingerprint) IN (
  SELECT run_id, fingerprint FROM alert_prior WHERE run_id < ?1 LIMIT 5000))sql"),
           std::string_view(R"sql(
DELETE FROM evaluations WHERE id IN (
  SELECT id FROM evaluations WHERE run_id < ?1 AND state IN ('succeeded', 'failed')
  LIMIT 5000))sql"),
       }) {
    auto removed = in_batches(db, sql, keep, report.longest_transaction_seconds);
    if (auto* failure = std::get_if<DbError>(&removed)) return *failure;
  }
  auto runs_gone = in_batches(
      db,
      fmt::format("DELETE FROM runs WHERE id IN (SELECT id FROM runs WHERE {} LIMIT 5000)",
                  kUnnamed),
      keep, report.longest_transaction_seconds);
  if (auto* failure = std::get_if<DbError>(&runs_gone)) return *failure;

  if (postgres) {
    // PostgreSQL's autovacuum makes the deleted rows' room reusable; VACUUM FULL gives it
    // back to the file system, rewriting the tables under an exclusive lock for as long
    // as it takes (the operator's choice, as on SQLite).
    if (vacuum) {
      TIENDO_RETURN_IF_ERROR(sql::execute(
          db, "VACUUM FULL result_spans, result_details, alert_prior, evaluations, runs"));
    }
    report.file_bytes_after = file_bytes(db);
    return report;
  }
  if (vacuum) {
    // Rewrites the whole file, in incremental auto-vacuum mode from then on: an exclusive
    // lock for as long as it takes (the operator's choice, documented).
    // Its copy of the file in a temporary file, not in memory (Database::open keeps
    // temporary storage in memory for statement journals).
    TIENDO_RETURN_IF_ERROR(sql::execute(db, "PRAGMA auto_vacuum = INCREMENTAL"));
    TIENDO_RETURN_IF_ERROR(sql::execute(db, "PRAGMA temp_store = FILE"));
    const std::optional<DbError> vacuumed = sql::execute(db, "VACUUM");
    TIENDO_RETURN_IF_ERROR(sql::execute(db, "PRAGMA temp_store = MEMORY"));
    TIENDO_RETURN_IF_ERROR(vacuumed);
    report.incremental = true;
  } else if (report.incremental) {
    // The free pages go back to the file system a few thousand at a time, each step a
    // short write transaction.
    for (;;) {
      TIENDO_ASSIGN_OR_RETURN(const std::int64_t free_pages, scalar(db, "PRAGMA freelist_count"));
      if (free_pages == 0) break;
      const auto started = std::chrono::steady_clock::now();
      Transaction tx(db);
      if (tx.error()) return *tx.error();
      TIENDO_RETURN_IF_ERROR(sql::execute(db, "PRAGMA incremental_vacuum(2000)"));
      TIENDO_RETURN_IF_ERROR(tx.commit());
      report.longest_transaction_seconds = std::max(
          report.longest_transaction_seconds,
          std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
      report.pages_freed += std::min<std::int64_t>(free_pages, 2000);
    }
  }
  // The write-ahead log back to nothing, so that the file sizes say what is kept.
  TIENDO_RETURN_IF_ERROR(sql::execute(db, "PRAGMA wal_checkpoint(TRUNCATE)"));
  report.file_bytes_after = file_bytes(db);
  return report;
}

DbResult<std::string> store_identity(Database& db) {
  Statement q = sql::prepare(db, "SELECT id FROM store_identity");
  if (q.step()) return q.column_text(0);
  if (q.error()) return *q.error();
  return DbError{"the database has no store identity (store_identity is empty)"};
}

namespace {

// Runs `statement` to completion; the rows it changed, or the error.
DbResult<std::size_t> changed(Database& db, Statement& statement) {
  if (!statement.run()) return statement.error().value_or(DbError{"a statement failed"});
  return static_cast<std::size_t>(changes(db));
}

// The same for a statement bound to one run id at ?1.
DbResult<std::size_t> changed_for(Database& db, std::string_view sql, std::int64_t run_id) {
  Statement s = sql::prepare(db, sql);
  s.bind(1, run_id);
  return changed(db, s);
}

// Undoes what succeeded run `run_id` did to the alerts: rows it rewrote come back from
// its undo log, rows it created go.
std::optional<DbError> undo_run(Database& db, std::int64_t run_id, RewindReport& report) {
  auto restored = changed_for(db, R"sql(
INSERT INTO alerts (fingerprint, subject, name, unit, state, severity, lifecycle, since,
  last_notified, updated_run, firing_since, evaluated)
SELECT fingerprint, subject, name, unit, state, severity, lifecycle, since, last_notified,
  updated_run, firing_since, evaluated FROM alert_prior WHERE run_id = ?1
ON CONFLICT (fingerprint) DO UPDATE SET subject = excluded.subject, name = excluded.name,
  unit = excluded.unit, state = excluded.state, severity = excluded.severity,
  lifecycle = excluded.lifecycle, since = excluded.since,
  last_notified = excluded.last_notified, updated_run = excluded.updated_run,
  firing_since = excluded.firing_since, evaluated = excluded.evaluated)sql",
                              run_id);
  if (auto* error = std::get_if<DbError>(&restored)) return *error;
  report.alerts_restored += std::get<std::size_t>(restored);
  // An alert the run rewrote has a row in its undo log; one without came from no
  // lifecycle (its transition's from_lifecycle is NULL) and did not exist before.
  auto removed = changed_for(db, R"sql(
DELETE FROM alerts WHERE fingerprint IN (
  SELECT fingerprint FROM transitions WHERE run_id = ?1 AND from_lifecycle IS NULL
  EXCEPT SELECT fingerprint FROM alert_prior WHERE run_id = ?1))sql",
                             run_id);
  if (auto* error = std::get_if<DbError>(&removed)) return *error;
  report.alerts_removed += std::get<std::size_t>(removed);
  return std::nullopt;
}

}  // namespace

DbResult<RewindReport> rewind_ledger(Database& db, model::Date to, std::string_view now,
                                     bool commit) {
  Transaction tx(db);
  if (tx.error()) return *tx.error();
  RewindReport report;

  // Only a run that changed the alerts (or may yet) counts: a failed run, a voided one
  // included, changed nothing, and a run since it must not be voided for its sake.
  Statement first_q = sql::prepare(
      db, "SELECT min(id) FROM runs WHERE at_date > ?1 AND status IN ('succeeded', 'running')");
  first_q.bind(1, model::to_string(to));
  if (!first_q.step()) return first_q.error().value_or(DbError{"cannot read the runs"});
  if (first_q.column_is_null(0)) return report;
  const std::int64_t first = first_q.column_int(0);

  Statement runs_q =
      sql::prepare(db, "SELECT id, at_date, status, undo_log FROM runs WHERE id >= ?1 ORDER BY id");
  runs_q.bind(1, first);
  std::vector<std::int64_t> to_undo;
  while (runs_q.step()) {
    VoidedRun r{runs_q.column_int(0), runs_q.column_text(1), runs_q.column_text(2)};
    if (r.status == "running") {
      return DbError{fmt::format(
          "run {} (at {}) is still in progress: stop the service (or wait for the run) and "
          "rewind again; nothing was changed",
          r.id, r.at)};
    }
    if (r.status == "succeeded") {
      if (runs_q.column_int(3) == 0) {
        TIENDO_ASSIGN_OR_RETURN(const std::int64_t kept_from,
                                scalar(db, "SELECT max(results_from_run) FROM retention"));
        return DbError{fmt::format(
            "run {} (at {}) {}, so its alert changes cannot be undone exactly; restore a backup "
            "made before it (nothing was changed)",
            r.id, r.at,
            r.id < kept_from ? "had its undo log pruned by retention (`tiendo gc`)"
                             : "was recorded before runs kept an undo log")};
      }
      to_undo.push_back(r.id);
    }
    report.runs.push_back(std::move(r));
  }
  if (runs_q.error()) return *runs_q.error();

  for (auto it = to_undo.rbegin(); it != to_undo.rend(); ++it) {
    if (auto error = undo_run(db, *it, report)) return *error;
  }
  // The results as they stood before the first voided run: its rows and later ones go,
  // and the rows they ended are current again.
  for (std::string_view sql : {"DELETE FROM result_spans WHERE from_run >= ?1",
                               "UPDATE result_spans SET to_run = " TIENDO_CURRENT
                               " WHERE to_run >= ?1 AND to_run < " TIENDO_CURRENT}) {
    auto done = changed_for(db, sql, first);
    if (auto* failure = std::get_if<DbError>(&done)) return *failure;
  }

  // Every succeeded run evaluates every open alert: those last evaluated by a voided run
  // were last evaluated, before it, by the latest run that stays.
  Statement kept_q = sql::prepare(
      db,
      "SELECT id, at_date FROM runs WHERE id < ?1 AND status = 'succeeded' ORDER BY id DESC "
      "LIMIT 1");
  kept_q.bind(1, first);
  if (kept_q.step()) {
    report.kept_run = kept_q.column_int(0);
    report.kept_at = kept_q.column_text(1);
  } else if (kept_q.error()) {
    return *kept_q.error();
  }
  Statement redate = sql::prepare(
      db, report.kept_run
              ? "UPDATE alerts SET evaluated = ?2, updated_run = ?3 WHERE updated_run >= ?1 AND "
                "lifecycle != 'resolved'"
              : "UPDATE alerts SET evaluated = since, updated_run = NULL WHERE updated_run >= ?1");
  redate.bind(1, first);
  if (report.kept_run) redate.bind(2, report.kept_at).bind(3, *report.kept_run);
  auto redated = changed(db, redate);
  if (auto* error = std::get_if<DbError>(&redated)) return *error;
  report.alerts_redated = std::get<std::size_t>(redated);
  if (!to_undo.empty()) {
    // Every open alert was last evaluated by the last voided run that had succeeded, and
    // is now last evaluated by the kept run (alerts.cpp reads an open alert's evaluation
    // date from the latest succeeded run; rows written before schema version 8 were
    // dated back by the statement above).
    Statement open_q =
        sql::prepare(db, "SELECT count(*) FROM alerts WHERE lifecycle != 'resolved'");
    if (!open_q.step()) return open_q.error().value_or(DbError{"cannot count the alerts"});
    report.alerts_redated = static_cast<std::size_t>(open_q.column_int(0));
  }

  const std::string reason =
      fmt::format("voided by `tiendo ledger rewind --to {}` at {}", model::to_string(to), now);
  Statement cancel = sql::prepare(
      db,
      "UPDATE outbox SET state = 'dead', last_error = ?2 WHERE run_id >= ?1 AND state = "
      "'pending'");
  cancel.bind(1, first).bind(2, "cancelled: its run was " + reason);
  auto cancelled = changed(db, cancel);
  if (auto* error = std::get_if<DbError>(&cancelled)) return *error;
  report.messages_cancelled = std::get<std::size_t>(cancelled);
  Statement sent =
      sql::prepare(db, "SELECT count(*) FROM outbox WHERE run_id >= ?1 AND state = 'delivered'");
  sent.bind(1, first);
  if (!sent.step()) return sent.error().value_or(DbError{"cannot read the outbox"});
  report.messages_already_sent = static_cast<std::size_t>(sent.column_int(0));

  Statement void_runs =
      sql::prepare(db,
                   "UPDATE runs SET status = 'failed', finished_at = coalesce(finished_at, ?2), "
                   "error = ?3 || coalesce(' (' || error || ')', '') WHERE id >= ?1");
  void_runs.bind(1, first).bind(2, now).bind(3, reason);
  if (!void_runs.run()) return void_runs.error().value_or(DbError{"cannot void the runs"});
  Statement void_evaluations = sql::prepare(
      db,
      "UPDATE evaluations SET state = 'failed', error = ?2 WHERE run_id >= ?1 AND state = "
      "'succeeded'");
  void_evaluations.bind(1, first).bind(2, "its run was " + reason);
  if (!void_evaluations.run()) {
    return void_evaluations.error().value_or(DbError{"cannot update the evaluations"});
  }
  TIENDO_RETURN_IF_ERROR(alerts_changed(db));

  if (commit) {
    if (auto error = tx.commit()) return *error;
  }
  return report;
}

}  // namespace tiendo::store

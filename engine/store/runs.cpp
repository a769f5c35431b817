#include "store/runs.hpp"

#include <fmt/format.h>

#include <map>
#include <nlohmann/json.hpp>

#include "store/sqlite/columns.hpp"
#include "store/sqlite/statements.hpp"
#include "util/result.hpp"

namespace tiendo::store {

namespace {

using Json = nlohmann::json;
using namespace sqlite;

Json figure(const std::optional<double>& f) { return f ? Json(*f) : Json(nullptr); }
Json date_json(const std::optional<model::Date>& d) {
  return d ? Json(model::to_string(*d)) : Json(nullptr);
}

}  // namespace

DbResult<std::int64_t> insert_run(Database& db, model::Date at, std::string_view now,
                                  RunStatus status) {
  Statement insert = sqlite::prepare(
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

std::optional<DbError> insert_results(Database& db, std::int64_t run_id,
                                      std::span<const ResultRow> rows) {
  Statement insert = sqlite::prepare(
      db,
      "INSERT INTO results (run_id, subject, name, unit, state, detail) VALUES (?, ?, ?, ?, ?, ?)");
  for (const ResultRow& r : rows) {
    insert.reset();
    Json detail;
    if (r.subject == Subject::rule) {
      detail = {{"severity", model::to_string(r.severity)},
                {"value", figure(r.value)},
                {"target", figure(r.target)},
                {"upper", figure(r.upper)},
                {"deadline", date_json(r.deadline)},
                {"projected", figure(r.projected)},
                {"rate_needed", figure(r.rate_needed)},
                {"rate_observed", figure(r.rate_observed)}};
    } else {
      detail = {{"due", date_json(r.due)},
                {"earliest_finish", date_json(r.earliest_finish)},
                {"progress", r.progress}};
    }
    insert.bind(1, run_id)
        .bind(2, to_string(r.subject))
        .bind(3, r.name)
        .bind(4, r.unit)
        .bind(5, r.state)
        .bind(6, with_why(detail.dump(), r.why));
    TIENDO_RETURN_IF_ERROR(run(insert));
  }
  return std::nullopt;
}

std::optional<DbError> write_run_outcome(Database& db, const RunOutcome& outcome) {
  // Every open alert of the previous run is in the outcome (still active, or resolving
  // now) and was evaluated by this run: one statement says so for all of them, and only
  // the alerts whose row changes otherwise are written one by one. (An unchanged alert
  // is most of them on most nights; rewriting each would touch every index of alerts.)
  Statement evaluated = sqlite::prepare(
      db, "UPDATE alerts SET evaluated = ?1, updated_run = ?2 WHERE lifecycle != 'resolved'");
  evaluated.bind(1, model::to_string(outcome.at)).bind(2, outcome.run_id);
  TIENDO_RETURN_IF_ERROR(run(evaluated));

  // The row as it stands before this run rewrites it (none for an alert the run creates),
  // for rewind_ledger.
  Statement keep_prior = sqlite::prepare(db, R"sql(
INSERT INTO alert_prior (run_id, fingerprint, subject, name, unit, state, severity, lifecycle,
  since, last_notified, updated_run, firing_since, evaluated)
SELECT ?1, fingerprint, subject, name, unit, state, severity, lifecycle, since, last_notified,
  updated_run, firing_since, evaluated FROM alerts WHERE fingerprint = ?2)sql");
  Statement upsert = sqlite::prepare(db, R"sql(
INSERT INTO alerts (fingerprint, subject, name, unit, state, severity, lifecycle, since,
  last_notified, updated_run, firing_since, evaluated)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)
ON CONFLICT (fingerprint) DO UPDATE SET subject = ?2, name = ?3, unit = ?4, state = ?5,
  severity = ?6, lifecycle = ?7, since = ?8, last_notified = ?9, updated_run = ?10,
  firing_since = ?11, evaluated = ?12)sql");
  for (const AlertRecord* alert : outcome.changed) {
    const AlertRecord& a = *alert;
    keep_prior.reset();
    keep_prior.bind(1, outcome.run_id).bind(2, a.fingerprint);
    TIENDO_RETURN_IF_ERROR(run(keep_prior));
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

  std::map<std::string_view, std::int64_t> message_of_channel;
  for (const OutboxMessage& m : outcome.messages) {
    TIENDO_ASSIGN_OR_RETURN(message_of_channel[m.channel],
                            insert_message(db, outcome.run_id, outcome.now, m));
  }
  Statement insert_transition = sqlite::prepare(db, R"sql(
INSERT INTO transitions (run_id, fingerprint, from_lifecycle, to_lifecycle, state, severity,
  notify, silenced_by, channels)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?))sql");
  Statement link = sqlite::prepare(
      db, "INSERT INTO outbox_transitions (outbox_id, transition_id) VALUES (?, ?)");
  for (const Transition& t : outcome.transitions) {
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
    for (const std::string& channel : t.channels) {
      const auto it = message_of_channel.find(channel);
      if (it == message_of_channel.end()) {
        return DbError{fmt::format("internal error: no message for channel {} of alert {}", channel,
                                   t.fingerprint)};
      }
      link.reset();
      link.bind(1, it->second).bind(2, transition_id);
      TIENDO_RETURN_IF_ERROR(run(link));
    }
  }
  return std::nullopt;
}

std::optional<DbError> mark_run_succeeded(Database& db, std::int64_t run_id, std::string_view now) {
  Statement finish = sqlite::prepare(
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
  Statement update = sqlite::prepare(
      db,
      "UPDATE runs SET status = 'failed', finished_at = ?1, error = ?2 WHERE status = "
      "'running' AND (?3 IS NULL OR id = ?3)");
  update.bind(1, now).bind(2, error).bind(3, run_id);
  return run(update);
}

DbResult<std::string> store_identity(Database& db) {
  Statement q = sqlite::prepare(db, "SELECT id FROM store_identity");
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
  Statement s = sqlite::prepare(db, sql);
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
  Statement first_q = sqlite::prepare(
      db, "SELECT min(id) FROM runs WHERE at_date > ?1 AND status IN ('succeeded', 'running')");
  first_q.bind(1, model::to_string(to));
  if (!first_q.step()) return first_q.error().value_or(DbError{"cannot read the runs"});
  if (first_q.column_is_null(0)) return report;
  const std::int64_t first = first_q.column_int(0);

  Statement runs_q = sqlite::prepare(
      db, "SELECT id, at_date, status, undo_log FROM runs WHERE id >= ?1 ORDER BY id");
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
        return DbError{fmt::format(
            "run {} (at {}) was recorded before runs kept an undo log, so its alert changes "
            "cannot be undone exactly; restore a backup made before it (nothing was changed)",
            r.id, r.at)};
      }
      to_undo.push_back(r.id);
    }
    report.runs.push_back(std::move(r));
  }
  if (runs_q.error()) return *runs_q.error();

  for (auto it = to_undo.rbegin(); it != to_undo.rend(); ++it) {
    if (auto error = undo_run(db, *it, report)) return *error;
  }

  // Every succeeded run evaluates every open alert: those last evaluated by a voided run
  // were last evaluated, before it, by the latest run that stays.
  Statement kept_q = sqlite::prepare(
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
  Statement redate = sqlite::prepare(
      db, report.kept_run
              ? "UPDATE alerts SET evaluated = ?2, updated_run = ?3 WHERE updated_run >= ?1 AND "
                "lifecycle != 'resolved'"
              : "UPDATE alerts SET evaluated = since, updated_run = NULL WHERE updated_run >= ?1");
  redate.bind(1, first);
  if (report.kept_run) redate.bind(2, report.kept_at).bind(3, *report.kept_run);
  auto redated = changed(db, redate);
  if (auto* error = std::get_if<DbError>(&redated)) return *error;
  report.alerts_redated = std::get<std::size_t>(redated);

  const std::string reason =
      fmt::format("voided by `tiendo ledger rewind --to {}` at {}", model::to_string(to), now);
  Statement cancel = sqlite::prepare(
      db,
      "UPDATE outbox SET state = 'dead', last_error = ?2 WHERE run_id >= ?1 AND state = "
      "'pending'");
  cancel.bind(1, first).bind(2, "cancelled: its run was " + reason);
  auto cancelled = changed(db, cancel);
  if (auto* error = std::get_if<DbError>(&cancelled)) return *error;
  report.messages_cancelled = std::get<std::size_t>(cancelled);
  Statement sent =
      sqlite::prepare(db, "SELECT count(*) FROM outbox WHERE run_id >= ?1 AND state = 'delivered'");
  sent.bind(1, first);
  if (!sent.step()) return sent.error().value_or(DbError{"cannot read the outbox"});
  report.messages_already_sent = static_cast<std::size_t>(sent.column_int(0));

  Statement void_runs =
      sqlite::prepare(db,
                      "UPDATE runs SET status = 'failed', finished_at = ifnull(finished_at, ?2), "
                      "error = ?3 || ifnull(' (' || error || ')', '') WHERE id >= ?1");
  void_runs.bind(1, first).bind(2, now).bind(3, reason);
  if (!void_runs.run()) return void_runs.error().value_or(DbError{"cannot void the runs"});
  Statement void_evaluations = sqlite::prepare(
      db,
      "UPDATE evaluations SET state = 'failed', error = ?2 WHERE run_id >= ?1 AND state = "
      "'succeeded'");
  void_evaluations.bind(1, first).bind(2, "its run was " + reason);
  if (!void_evaluations.run()) {
    return void_evaluations.error().value_or(DbError{"cannot update the evaluations"});
  }

  if (commit) {
    if (auto error = tx.commit()) return *error;
  }
  return report;
}

}  // namespace tiendo::store

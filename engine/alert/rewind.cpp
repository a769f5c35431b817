#include "alert/rewind.hpp"

#include <fmt/format.h>
#include <sqlite3.h>

namespace tiendo::alert {

namespace {

using store::Database;
using store::DbError;
using store::DbResult;
using store::Statement;

// Runs `statement` to completion; the rows it changed, or the error.
DbResult<std::size_t> changed(Database& db, Statement& statement) {
  if (!statement.run()) return statement.error().value_or(DbError{"a statement failed"});
  return static_cast<std::size_t>(sqlite3_changes(db.handle()));
}

// The same for a statement bound to one run id at ?1.
DbResult<std::size_t> changed_for(Database& db, std::string_view sql, std::int64_t run_id) {
  Statement s = db.prepare(sql);
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
  store::Transaction tx(db);
  if (tx.error()) return *tx.error();
  RewindReport report;

  // Only a run that changed the alerts (or may yet) counts: a failed run, a voided one
  // included, changed nothing, and a run since it must not be voided for its sake.
  Statement first_q = db.prepare(
      "SELECT min(id) FROM runs WHERE at_date > ?1 AND status IN ('succeeded', 'running')");
  first_q.bind(1, model::to_string(to));
  if (!first_q.step()) return first_q.error().value_or(DbError{"cannot read the runs"});
  if (first_q.column_is_null(0)) return report;
  const std::int64_t first = first_q.column_int(0);

  Statement runs_q =
      db.prepare("SELECT id, at_date, status, undo_log FROM runs WHERE id >= ?1 ORDER BY id");
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
  Statement kept_q = db.prepare(
      "SELECT id, at_date FROM runs WHERE id < ?1 AND status = 'succeeded' ORDER BY id DESC "
      "LIMIT 1");
  kept_q.bind(1, first);
  if (kept_q.step()) {
    report.kept_run = kept_q.column_int(0);
    report.kept_at = kept_q.column_text(1);
  } else if (kept_q.error()) {
    return *kept_q.error();
  }
  Statement redate = db.prepare(
      report.kept_run
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
  Statement cancel = db.prepare(
      "UPDATE outbox SET state = 'dead', last_error = ?2 WHERE run_id >= ?1 AND state = "
      "'pending'");
  cancel.bind(1, first).bind(2, "cancelled: its run was " + reason);
  auto cancelled = changed(db, cancel);
  if (auto* error = std::get_if<DbError>(&cancelled)) return *error;
  report.messages_cancelled = std::get<std::size_t>(cancelled);
  Statement sent = db.prepare(
      "SELECT count(*) FROM outbox WHERE run_id >= ?1 AND state = 'delivered'");
  sent.bind(1, first);
  if (!sent.step()) return sent.error().value_or(DbError{"cannot read the outbox"});
  report.messages_already_sent = static_cast<std::size_t>(sent.column_int(0));

  Statement void_runs = db.prepare(
      "UPDATE runs SET status = 'failed', finished_at = ifnull(finished_at, ?2), "
      "error = ?3 || ifnull(' (' || error || ')', '') WHERE id >= ?1");
  void_runs.bind(1, first).bind(2, now).bind(3, reason);
  if (!void_runs.run()) return void_runs.error().value_or(DbError{"cannot void the runs"});
  Statement void_evaluations = db.prepare(
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

DbResult<RunPreview> preview_run(Database& db, const model::RuleSet& rules,
                                 const store::Snapshot& snapshot, const eval::Results& results,
                                 std::string_view now) {
  RunPreview preview;
  auto dated = ledger_date(db);
  if (auto* error = std::get_if<DbError>(&dated)) return *error;
  const std::optional<model::Date> latest = std::get<std::optional<model::Date>>(dated);
  if (!latest || *latest <= results.at) {
    auto run = record_run(db, rules, snapshot, results, {.now = std::string(now), .commit = false, .limit = std::nullopt});
    if (auto* error = std::get_if<DbError>(&run)) return *error;
    preview.run = std::move(std::get<RunRecord>(run));
    return preview;
  }
  // A copy to rewind, in memory: the database itself is only read.
  auto opened = Database::open(":memory:");
  if (auto* error = std::get_if<DbError>(&opened)) return *error;
  Database& copy = std::get<Database>(opened);
  sqlite3_backup* backup = sqlite3_backup_init(copy.handle(), "main", db.handle(), "main");
  if (!backup) return DbError{fmt::format("cannot copy the database: {}", sqlite3_errmsg(copy.handle()))};
  const int stepped = sqlite3_backup_step(backup, -1);
  const int finished = sqlite3_backup_finish(backup);
  if (stepped != SQLITE_DONE || finished != SQLITE_OK) {
    return DbError{fmt::format("cannot copy the database: {}", sqlite3_errstr(finished != SQLITE_OK ? finished : stepped))};
  }
  auto rewound = rewind_ledger(copy, results.at, now, /*commit=*/true);
  if (auto* error = std::get_if<DbError>(&rewound)) return *error;
  auto run = record_run(copy, rules, snapshot, results, {.now = std::string(now), .commit = false, .limit = std::nullopt});
  if (auto* error = std::get_if<DbError>(&run)) return *error;
  preview.run = std::move(std::get<RunRecord>(run));
  preview.rewound_from = latest;
  return preview;
}

}  // namespace tiendo::alert

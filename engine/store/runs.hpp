// Runs and their results: what each recorded evaluation found, and what it changed in the
// alerts and the outbox. A run is written either in one transaction (the caller holds a
// Transaction around insert_run, insert_results and write_run_outcome), or in steps: the
// run 'running' and its results in batches, each batch its own transaction, then the
// outcome and mark_run_succeeded in one last transaction. Either way a run's alert
// changes, transitions and messages are written together or not at all.
//
// Thread safety: none of its own; one thread uses a Database at a time.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "model/calendar.hpp"
#include "model/rule_set.hpp"
#include "store/alerts.hpp"
#include "store/database.hpp"
#include "store/outbox.hpp"

namespace tiendo::store {

enum class RunStatus { running, succeeded };

// A new run at evaluation date `at`, started at `now` (UTC); its id. A succeeded run is
// finished at once.
DbResult<std::int64_t> insert_run(Database& db, model::Date at, std::string_view now,
                                  RunStatus status);

// One result of a run as kept: a rule at a unit, or a task. The views must outlive the
// insert_results call only.
struct ResultRow {
  Subject subject = Subject::rule;
  std::string_view name;
  std::string_view unit;  // empty for a task or a rule without a unit
  std::string_view state;
  std::string why;  // the reason as data: JSON (present::reason_json)
  // A rule's figures.
  model::Severity severity = model::Severity::none;
  std::optional<double> value, target, upper, projected, rate_needed, rate_observed;
  std::optional<model::Date> deadline;
  // A task's.
  std::optional<model::Date> due, earliest_finish;
  double progress = 0;
};
// Appends results to run `run_id`, inside the caller's transaction.
std::optional<DbError> insert_results(Database& db, std::int64_t run_id,
                                      std::span<const ResultRow> rows);

// What a reconciled run changes, written inside the caller's transaction:
//  - every open alert is marked evaluated at `at` by the run;
//  - each alert of `changed` is written (created or replaced), its previous row kept in
//    the run's undo log for rewind_ledger;
//  - the messages are enqueued, due at `now`;
//  - the transitions are recorded, each linked to the messages of its channels.
struct RunOutcome {
  std::int64_t run_id = 0;
  model::Date at;
  std::string now;  // UTC time stamp
  std::vector<const AlertRecord*> changed;
  std::span<const OutboxMessage> messages;
  std::span<const Transition> transitions;
};
std::optional<DbError> write_run_outcome(Database& db, const RunOutcome& outcome);

// Marks run `run_id`, still running, succeeded at `now`, inside the caller's transaction;
// an error when it is not a run in progress.
std::optional<DbError> mark_run_succeeded(Database& db, std::int64_t run_id, std::string_view now);
// Marks run `run_id` failed with `error`, or with nullopt every run still running (at a
// start, for the runs a stop or a crash cut short).
std::optional<DbError> fail_runs(Database& db, std::optional<std::int64_t> run_id,
                                 std::string_view error, std::string_view now);

// The random name of this database (made by the migration that created the outbox), which
// the messages' idempotency keys carry so that a restored backup or a second database
// never reuses one a receiver has seen.
DbResult<std::string> store_identity(Database& db);

// Recovering a ledger that a wrong date reached (see alert/rewind.hpp).
struct VoidedRun {
  std::int64_t id = 0;
  std::string at;      // the run's date as stored (it may be outside the years dates take)
  std::string status;  // before the rewind: succeeded, or failed (then nothing to undo)
};
struct RewindReport {
  std::vector<VoidedRun> runs;            // oldest first; empty: nothing was dated after `to`
  std::optional<std::int64_t> kept_run;   // the latest succeeded run that stays
  std::string kept_at;                    // its date
  std::size_t alerts_restored = 0;        // put back as they were before a voided run
  std::size_t alerts_removed = 0;         // created by a voided run
  std::size_t alerts_redated = 0;         // open alerts whose last evaluation was a voided run
  std::size_t messages_cancelled = 0;     // pending messages of voided runs, now dead letters
  std::size_t messages_already_sent = 0;  // delivered before the rewind: cannot be recalled
};

// Voids every run from the first succeeded one dated after `to` (in the order runs were
// recorded, so that a run that came after a bad one, built on its alert state, is undone
// too). Failed runs dated after `to` changed no alert: they start nothing, so a second
// rewind leaves the runs since the first one alone.
// In one transaction:
//  - each voided run that had succeeded has its alert changes undone, newest first:
//    alerts it rewrote get their previous row back, alerts it created are removed;
//  - open alerts last evaluated by a voided run are dated back to the latest run that
//    stays (every succeeded run evaluates every open alert);
//  - the voided runs' pending messages become dead letters with the reason, so they are
//    never sent (and stay listed by `tiendo outbox list`); sent ones stay as they were;
//  - the runs (their results kept) and the service's evaluations that made them are
//    marked failed, with "voided by tiendo ledger rewind" and `now` in their error.
// Nothing else changes: observations, tasks, silences, tokens, earlier runs.
// Refused (nothing written) when a run is still in progress, or when a succeeded run to
// void was recorded before runs kept an undo log (schema version 5). `commit` false: do
// it all and roll back, to show what it would do.
DbResult<RewindReport> rewind_ledger(Database& db, model::Date to, std::string_view now,
                                     bool commit);

}  // namespace tiendo::store

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
#include <functional>
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
  // What the row says, hashed (never 0): a later run writes a result again only when its
  // digest differs.
  std::uint64_t digest = 0;
  // A rule's figures.
  model::Severity severity = model::Severity::none;
  std::int32_t version = 0;  // the version of the rule that applied (0: its own require)
  std::optional<double> value, target, upper, projected, rate_needed, rate_observed;
  std::optional<model::Date> deadline;
  // A task's.
  std::optional<model::Date> due, earliest_finish;
  double progress = 0;
  // What result_details keeps of it (result_detail): made with the row by its builder
  // (alert::ledger, on another thread than the inserts), else by insert_results.
  std::string detail;
};

// The detail JSON a row keeps: its figures and dates, and its reason as "why".
std::string result_detail(const ResultRow& row);

// Results are kept as changes (schema version 9 on): a row holds one result from the run that
// found it until the first later run that found another, or none, and points to what it
// says (its state and detail, in result_details). A run writes only what changed:
//  - insert_results adds the results the run found different (or new), as rows of that
//    run; they take part in no answer until the run has succeeded;
//  - close_results ends, at the run, the rows it replaces and those of results it no
//    longer has;
//  - a run that fails takes its rows back (fail_runs, discard_results).
// "Everything at run N" (results_at) is then every row from a run <= N not ended by N.

// Adds results of run `run_id`, inside the caller's transaction.
std::optional<DbError> insert_results(Database& db, std::int64_t run_id,
                                      std::span<const ResultRow> rows);

// A result's key: (subject, name, unit); `unit` empty for a task.
struct ResultKey {
  Subject subject = Subject::rule;
  std::string_view name;
  std::string_view unit;
};
// Ends, at run `run_id`, the current rows of `keys` (from an earlier run), inside the
// caller's transaction.
std::optional<DbError> close_results(Database& db, std::int64_t run_id,
                                     std::span<const ResultKey> keys);
// Removes the rows of run `run_id` (a run whose changes are worked out again).
std::optional<DbError> discard_results(Database& db, std::int64_t run_id);

// The current results, those every later run compares with: `visit(key, digest)` for each,
// in the table's key order (SQLite's BINARY collation of subject, name, unit), streamed
// (nothing is held here; the key's views last until `visit` returns). Returns the id of
// the run they are the results of: the latest succeeded run (0 when none). Consistent: a
// run committed while reading makes it call `restart` and read them all again.
DbResult<std::int64_t> read_current_results(
    Database& db, const std::function<void(const ResultKey&, std::uint64_t digest)>& visit,
    const std::function<void()>& restart);

// The latest succeeded run's id, 0 when none.
DbResult<std::int64_t> last_succeeded_run(Database& db);

// A stored result as results_at gives it.
struct StoredResult {
  Subject subject = Subject::rule;
  std::string name;
  std::string unit;
  std::string state;
  std::string detail;          // JSON: severity, figures, version, why (or due, progress)
  std::int64_t since_run = 0;  // the run that found it (the result has not changed since)
};
struct StoredResultQuery {
  std::optional<Subject> subject;
  std::string name;  // one rule or task; empty: all
  std::string unit;  // one unit; empty: all
  std::size_t offset = 0;
  std::size_t limit = 1000;
};
struct StoredResultPage {
  enum class Status {
    ok,
    no_run,         // no run has that id
    not_succeeded,  // it is running, or it failed (then it kept no results)
    pruned,         // its results were pruned (retention); kept_from says from which run
  };
  Status status = Status::ok;
  std::int64_t run_id = 0;
  std::string at;          // the run's date
  std::string run_status;  // running, succeeded, failed
  std::int64_t kept_from = 0;
  std::int64_t total = 0;             // results of the query, the page aside
  std::vector<StoredResult> results;  // by subject, name, unit
};
// The results of run `run_id` as it recorded them: "the result of (rule, unit) at run N"
// and "everything at run N", a page at a time.
DbResult<StoredResultPage> results_at(Database& db, std::int64_t run_id,
                                      const StoredResultQuery& query);

// One result's course over the runs: each span of runs it stayed the same in, newest
// first. `to_run` is 0 while it still holds (the latest run's result).
struct ResultSpan {
  std::int64_t from_run = 0;
  std::string from_at;  // the run's date
  std::int64_t to_run = 0;
  std::string to_at;
  std::string state;
  std::string detail;  // JSON, as results_at gives it
};
// The spans of (subject, name, unit) (unit "" for a task or a rule without a unit), at most
// `limit`, newest first; a running run's span is left out. Reads the table's key range.
DbResult<std::vector<ResultSpan>> result_spans_of(Database& db, Subject subject,
                                                  std::string_view name, std::string_view unit,
                                                  std::size_t limit);

// What changed between two succeeded runs: each result whose state differs, with the state
// it had (empty when it had none then) and has.
struct StateChange {
  Subject subject = Subject::rule;
  std::string name;
  std::string unit;
  std::string before;
  std::string after;
};
struct RunChanges {
  std::int64_t from_run = 0, to_run = 0;
  std::string from_at, to_at;  // the runs' dates
  std::vector<StateChange> changes;
  std::int64_t alerts_fired = 0;     // alerts that started firing after from_run, up to to_run
  std::int64_t alerts_resolved = 0;  // firing alerts that resolved in that time
};
// The changes from run `from_run` to run `to_run` (from_run < to_run, both succeeded and
// not pruned; else an error naming which). Reads every span once (the runs' spans are
// not indexed by run), so the service keeps the answer per pair of runs.
DbResult<RunChanges> changes_between(Database& db, std::int64_t from_run, std::int64_t to_run);
// How many alerts started firing, and how many firing alerts resolved, in the runs after
// `after_run` up to `up_to_run` (the runs' transitions).
struct AlertCounts {
  std::int64_t fired = 0;
  std::int64_t resolved = 0;
};
DbResult<AlertCounts> alert_transitions(Database& db, std::int64_t after_run,
                                        std::int64_t up_to_run);
// Run `run`'s evaluation date ("2022-09-30") when it succeeded and its results are kept;
// else an error naming why (no such run, not succeeded, pruned).
DbResult<std::string> kept_run_date(Database& db, std::int64_t run);
// The state of every result run `run` kept, by key (subject, name, unit): to compare an
// evaluation made now with it (`report --since`). An error when the run kept none (not
// succeeded, pruned, no such run), naming why.
DbResult<std::vector<StateChange>> states_at(Database& db, std::int64_t run);
// The latest succeeded run at or before `date` (its evaluation date), or the one before
// `run` when `date` is empty; 0 when none.
DbResult<std::int64_t> run_before(Database& db, std::int64_t run, std::string_view date);

// What a reconciled run changes, written inside the caller's transaction:
//  - each alert of `changed` is written (created or replaced), its previous row kept in
//    the run's undo log for rewind_ledger;
//  - the messages are enqueued, due at `now`;
//  - the transitions are recorded, each linked to the messages of its channels.
struct RunOutcome {
  std::int64_t run_id = 0;
  model::Date at;
  std::string now;  // UTC time stamp
  std::vector<const AlertRecord*> changed;
  std::size_t results_changed = 0;  // kept with the run
  std::span<const OutboxMessage> messages;
  std::span<const Transition> transitions;
};
std::optional<DbError> write_run_outcome(Database& db, const RunOutcome& outcome);

// Marks run `run_id`, still running, succeeded at `now`, inside the caller's transaction;
// an error when it is not a run in progress.
std::optional<DbError> mark_run_succeeded(Database& db, std::int64_t run_id, std::string_view now);
// Marks run `run_id` failed with `error`, or with nullopt every run still running (at a
// start, for the runs a stop or a crash cut short); their results are taken back.
std::optional<DbError> fail_runs(Database& db, std::optional<std::int64_t> run_id,
                                 std::string_view error, std::string_view now);

// Retention (`tiendo gc --older-than`, the service's [retention]): what a prune removed.
struct PruneReport {
  // Results are kept whole from this run on (results_at refuses earlier runs, "pruned");
  // 0 when there was nothing to prune.
  std::int64_t kept_from_run = 0;
  std::string kept_from_at;             // that run's date
  std::size_t result_rows_removed = 0;  // rows ended before kept_from_run
  std::size_t undo_rows_removed = 0;    // alert_prior rows of earlier runs
  std::size_t evaluations_removed = 0;  // the service's records of earlier runs
  std::size_t runs_removed = 0;         // earlier runs no alert's history names
  std::size_t runs_kept = 0;            // earlier runs kept: their transitions or messages
  std::int64_t pages_freed = 0;         // given back to the file system (incremental vacuum)
  bool incremental = false;             // whether the file can shrink without VACUUM
  // What the database takes on disk, its write-ahead log included.
  std::int64_t file_bytes_before = 0, file_bytes_after = 0;
  double longest_transaction_seconds = 0;  // the longest any writer waited on the prune
};
// Prunes what runs that started before `before` (a UTC time stamp) kept for their own
// sake: the result rows no later run reads, their undo log (so a rewind cannot void
// them: it says so), the service's records of them, and the runs themselves when no
// alert's history (transitions, messages, an alert's last change) names them. Alerts,
// transitions, messages, silences, observations and tasks are never touched. The latest
// succeeded run and any run still in progress always stay whole.
//
// Each step is its own short transaction (a few thousand rows), so that runs and API
// writes go on meanwhile; the watermark is written first, so that an interrupted prune
// never leaves a run answering with part of its results. Then, when the database was
// made with incremental auto-vacuum (every database this release creates), the freed
// pages are given back to the file system a few thousand at a time; an older database
// keeps its size (its free pages are reused) until `vacuum` rewrites it once — with an
// exclusive lock for as long as that takes. `commit` false: count only.
DbResult<PruneReport> prune_runs(Database& db, std::string_view before, std::string_view now,
                                 bool commit, bool vacuum = false);

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

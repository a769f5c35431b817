// Where the alert stage keeps its state: open alerts, silences, and each run's results,
// transitions and outbox rows. A run's alert states, transitions and outbox rows are
// written in one transaction, so that a crash leaves either all of them or none.
#pragma once

#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "alert/alert.hpp"
#include "store/alerts.hpp"
#include "store/database.hpp"
#include "store/outbox.hpp"
#include "store/runs.hpp"

namespace tiendo::alert {

// Kept by the store (store/alerts.hpp, store/runs.hpp).
using store::AlertPage;
using store::AlertQuery;
using store::fail_runs;
using store::ledger_date;
using store::list_alerts;
using store::load_alerts;
using store::OutboxMessage;
using store::store_identity;

// A silence as a person asks for it (the command line's options, the API's JSON).
struct SilenceRequest {
  std::vector<std::string> matchers;  // "rule=x", "unit!=y", …; at least one
  std::string starts;                 // UTC time stamp; empty: now
  std::string ends;                   // UTC time stamp; or
  std::string duration;               // "2h", "7d" (exactly one of ends and duration)
  std::string author;
  std::string comment;
};
// What one silence may hold: a silence is matched against every alert of every run, and
// anyone with a write token can add one.
inline constexpr std::size_t kMaxSilenceMatchers = 32;
inline constexpr std::size_t kMaxSilenceAuthorBytes = 256;
inline constexpr std::size_t kMaxSilenceCommentBytes = 4096;
// Silences in effect or still to come (neither ended nor expired) at most; past it a new
// one is refused until one ends or is expired.
inline constexpr std::int64_t kMaxLiveSilences = 1000;

// The silence a request describes, checked, with created_at = `now`; nullopt and
// `error` set (naming the field: match, starts, ends, duration, author, comment) when it
// is wrong: at most kMaxSilenceMatchers matchers, an author and a comment of well-formed
// UTF-8 within their bounds, the comment's only control characters tabs and line breaks,
// the author's none.
std::optional<Silence> make_silence(const SilenceRequest& request, std::string_view now,
                                    std::string& error);
// active | pending | ended | expired, at `now`.
std::string_view silence_status(const Silence& silence, std::string_view now);
// A silence as the API and `tiendo silence list --format json` show it: id, matchers (as
// written), starts_at, ends_at, author, comment, created_at, expired_at (or null) and
// its status at `now`.
nlohmann::json silence_json(const Silence& silence, std::string_view now);

// Stores a silence; its id, or nullopt, storing nothing, when kMaxLiveSilences silences
// are in effect or still to come at its created_at already.
store::DbResult<std::optional<std::int64_t>> add_silence(store::Database& db,
                                                         const Silence& silence);
// The silences, oldest first (without the expired ones unless `include_expired`), their
// regular expressions compiled once here for every alert they are matched against; a
// stored pattern that no longer compiles matches no alert. A DbError when the database
// fails or a row's matchers are not the JSON that add_silence writes.
store::DbResult<std::vector<Silence>> load_silences(store::Database& db, bool include_expired);
using store::expire_silence;  // ends a silence now; false when there is none or it had ended

// The outbox messages of a reconciled run (one per digest). Their idempotency keys are
// "tiendo-<store>-run<id>-<channel>", `store` naming the database (store_identity), so
// that a restored backup or a second database never reuses a key a receiver has seen.
std::vector<OutboxMessage> messages_of(const model::RuleSet& rules, const ReconcileOutput& output,
                                       std::string_view now, std::string_view store = "");

struct RunRecord {
  std::int64_t run_id = 0;
  std::size_t results = 0;
  std::size_t results_changed = 0;  // new, different or gone since the previous run
  ReconcileOutput output;
  std::vector<OutboxMessage> messages;
};

// How far past today a run may be dated. A run recorded at a later date would make
// every later run at the right date a rewind (refused), switching alerting off until an
// operator runs `tiendo ledger rewind`: such a date is refused before anything is written.
struct RunDateLimit {
  model::Date today;       // in the time zone that decides "today"
  int max_days_ahead = 1;  // 0: no later than today
  model::Date latest() const;
};
// The error for a run at `at` past `limit`; nullopt when `at` may be recorded.
std::optional<store::DbError> run_date_error(model::Date at, const RunDateLimit& limit);

struct RecordOptions {
  std::string now;     // UTC timestamp of the run
  bool commit = true;  // false: do everything, then roll back (`--dry-run`)
  // Refuses a run dated past it. Every caller that records passes one; a dry run, which
  // writes nothing, need not.
  std::optional<RunDateLimit> limit;
};

// Evaluated results in, alerts reconciled against the stored state and silences, and the
// run (the results that changed, alert states that changed, transitions, outbox rows)
// written in one transaction. A run
// at a date before the alerts' last evaluation is refused: it would rewind them; so is a
// run dated past options.limit. What the run changes in each alert is kept (alert_prior)
// for `tiendo ledger rewind`.
store::DbResult<RunRecord> record_run(store::Database& db, const model::RuleSet& rules,
                                      const store::Snapshot& snapshot, const eval::Results& results,
                                      const RecordOptions& options);

// What a run's results change in the store (results are kept as changes: store/runs.hpp):
// the results that are new or say something else than the current ones, and the current
// ones it no longer has. Worked out against the latest succeeded run's (baseline_run).
struct ResultChanges {
  struct Gone {
    store::Subject subject = store::Subject::rule;
    std::string name;
    std::string unit;
  };
  std::int64_t baseline_run = 0;
  // Results to write (indexes counting the rules' results first, then the tasks'), in the
  // store's key order (subject, name, unit).
  std::vector<std::size_t> write;
  std::vector<std::size_t> replaced;   // those of `write` that replace a current row
  std::vector<Gone> gone;              // current rows no result of this run has
  std::vector<std::uint64_t> digests;  // what each result says, hashed, by index
  bool read_current = true;            // whether the current rows were read (false: `recorded`'s)
  std::size_t changed() const { return write.size() + gone.size(); }
};
// An evaluation's results with what names them (rules by name, units by id, as the store
// keys them).
struct EvaluatedResults {
  const model::RuleSet* rules = nullptr;
  const store::Snapshot* snapshot = nullptr;
  const eval::Results* results = nullptr;
};
// The results a run recorded, kept by whoever recorded it (the service keeps its latest
// evaluation): while that run is the latest succeeded one, the store's current rows are
// exactly these results, and the next run's changes can be worked out without reading
// them (a million rows on a large rule set).
struct RecordedResults {
  std::int64_t run_id = 0;  // the run that recorded them, succeeded
  EvaluatedResults evaluated;
  std::span<const std::uint64_t> digests;  // the ResultChanges::digests of that run
};
// Compares the results with the current ones, streaming these (memory: a few words per
// result); reads only. With `recorded` whose run is still the latest succeeded one (the
// store is asked), the current rows are taken from it instead of read.
store::DbResult<ResultChanges> result_changes(store::Database& db, const model::RuleSet& rules,
                                              const store::Snapshot& snapshot,
                                              const eval::Results& results,
                                              const RecordedResults* recorded = nullptr);

// What changed in state from one evaluation's results to another's, as
// store::changes_between finds it between the runs that recorded them: each result
// (subject, name, unit) whose state differs, with the state it had (empty when it had
// none) and has (empty when it has none now), in the store's key order. Made in memory:
// two evaluations with one rule set over the same units are compared result for result,
// any others by key.
std::vector<store::StateChange> state_changes(const EvaluatedResults& before,
                                              const EvaluatedResults& after);

// The same run written in steps, so that a large one holds SQLite's write lock one batch
// at a time and other writers (the service's API requests) get in between:
//   begin_run, result_changes, then write_results over consecutive ranges of
//   changes.write, then finish_run.
// Each step is one transaction. Until finish_run commits, the run's status is 'running'
// and the results it wrote take part in no answer; finish_run ends the rows they replace,
// reconciles and writes the alert states, transitions and outbox rows in one transaction,
// as record_run does, and marks the run succeeded. Should another run have succeeded in
// between, finish_run works the changes out again and writes them itself; when that run
// began after this one, this one is recorded under a new id (the RunRecord's run_id; the
// first id is marked failed, "superseded"), so that succeeded runs' ids keep the order in
// which they changed the results. A run that fails on the way takes its results back
// (fail_runs).
//
// A new run ('running'), refused like record_run when it would rewind the alerts or is
// dated past `limit`.
store::DbResult<std::int64_t> begin_run(store::Database& db, model::Date at, std::string_view now,
                                        const std::optional<RunDateLimit>& limit);
// Writes the results changes.write[from, from + count) of the run; returns how many it
// wrote (0 past the end).
store::DbResult<std::size_t> write_results(store::Database& db, std::int64_t run_id,
                                           const model::RuleSet& rules,
                                           const store::Snapshot& snapshot,
                                           const eval::Results& results,
                                           const ResultChanges& changes, std::size_t from,
                                           std::size_t count);
store::DbResult<RunRecord> finish_run(store::Database& db, std::int64_t run_id,
                                      const model::RuleSet& rules, const store::Snapshot& snapshot,
                                      const eval::Results& results, const ResultChanges& changes,
                                      const RecordOptions& options);
}  // namespace tiendo::alert

// Recovering a ledger that a wrong date reached: a run recorded at 9999-12-31 (an API
// request before dates were bounded, a clock off by years, a mistyped --at) makes every
// later run at the right date a rewind, which the ledger refuses, so alerting stops.
// rewind_ledger voids the runs from the first one dated after a given day and puts every
// alert back as it stood before them, from the undo log each run keeps (alert_prior).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "alert/ledger.hpp"
#include "model/calendar.hpp"
#include "store/database.hpp"

namespace tiendo::alert {

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
store::DbResult<RewindReport> rewind_ledger(store::Database& db, model::Date to,
                                            std::string_view now, bool commit);

// What a run at results.at would do, written nowhere (`tiendo run --dry-run`). At or
// after the ledger's latest date it is record_run without the commit. At an earlier date
// (which a real run refuses: it would rewind the alerts) it is the run as it would have
// gone had the later runs never happened: on a private in-memory copy of the database,
// the ledger is rewound to that date (rewind_ledger) and the run recorded there; the
// copy is then dropped. `as_of_rewind` says which.
struct RunPreview {
  RunRecord run;
  std::optional<model::Date> rewound_from;  // the ledger's latest date, when it was rewound
};
store::DbResult<RunPreview> preview_run(store::Database& db, const model::RuleSet& rules,
                                        const store::Snapshot& snapshot,
                                        const eval::Results& results, std::string_view now);

}  // namespace tiendo::alert

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
#include "store/runs.hpp"

namespace tiendo::alert {

// Recorded in the store; see store/runs.hpp for what a rewind does.
using store::rewind_ledger;
using store::RewindReport;
using store::VoidedRun;

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

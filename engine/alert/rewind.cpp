#include "alert/rewind.hpp"

#include "util/result.hpp"

namespace tiendo::alert {

using store::Database;
using store::DbResult;

DbResult<RunPreview> preview_run(Database& db, const model::RuleSet& rules,
                                 const store::Snapshot& snapshot, const eval::Results& results,
                                 std::string_view now) {
  RunPreview preview;
  TIENDO_ASSIGN_OR_RETURN(const std::optional<model::Date> latest, store::ledger_date(db));
  if (!latest || *latest <= results.at) {
    TIENDO_ASSIGN_OR_RETURN(
        preview.run,
        (record_run(db, rules, snapshot, results,
                    {.now = std::string(now), .commit = false, .limit = std::nullopt})));
    return preview;
  }
  // A copy to rewind, in memory: the database itself is only read.
  TIENDO_ASSIGN_OR_RETURN(Database copy, store::copy_in_memory(db));
  TIENDO_ASSIGN_OR_RETURN([[maybe_unused]] const RewindReport rewound,
                          store::rewind_ledger(copy, results.at, now, /*commit=*/true));
  TIENDO_ASSIGN_OR_RETURN(
      preview.run, (record_run(copy, rules, snapshot, results,
                               {.now = std::string(now), .commit = false, .limit = std::nullopt})));
  preview.rewound_from = latest;
  return preview;
}

}  // namespace tiendo::alert

// The service's queue of evaluations: each request (a scheduled tick, a catch-up, an API
// call) is a row before it runs, so that it has an id at once and a tick missed while the
// service was down is seen after a restart. A row goes queued → running → succeeded or
// failed; a succeeded one names the ledger run it recorded (runs.hpp).
//
// Transactions: enqueue_evaluation takes its own (so it takes its turn among the
// process's writers); the other writers are one statement each. Thread safety: none of
// its own; one thread uses a Database at a time.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/database.hpp"

namespace tiendo::store {

struct EvaluationRecord {
  std::int64_t id = 0;
  std::string trigger;  // schedule | catch-up | api
  std::string scheduled_for, at_date, requested_at, requested_by, started_at, finished_at;
  std::string state;  // queued | running | succeeded | failed
  std::optional<std::int64_t> run_id;
  std::string summary;  // JSON, empty until it ends
  std::string error;
};

// A request to evaluate; empty texts are stored as absent.
struct EvaluationRequest {
  std::string trigger;
  std::string scheduled_for;  // UTC time stamp of the tick (schedule, catch-up)
  std::string at_date;        // the date asked for; empty: today when it runs
  std::string requested_at;   // UTC time stamp
  std::string requested_by;   // the token's id (api)
};
// The new evaluation's id; 0, storing nothing, when `max_waiting` evaluations of the same
// trigger are queued already.
DbResult<std::int64_t> enqueue_evaluation(Database& db, const EvaluationRequest& request,
                                          std::optional<std::int64_t> max_waiting);

DbResult<std::optional<EvaluationRecord>> find_evaluation(Database& db, std::int64_t id);
// The latest `limit` evaluations, newest first.
DbResult<std::vector<EvaluationRecord>> list_evaluations(Database& db, std::size_t limit);
// The oldest queued evaluation, if any.
DbResult<std::optional<EvaluationRecord>> next_queued_evaluation(Database& db);
DbResult<std::int64_t> count_queued_evaluations(Database& db);

std::optional<DbError> start_evaluation(Database& db, std::int64_t id, std::string_view now);
// Ends evaluation `id` in `state` (succeeded or failed) at `now`; empty texts are absent.
std::optional<DbError> finish_evaluation(Database& db, std::int64_t id, std::string_view state,
                                         std::string_view now, std::string_view summary,
                                         std::string_view error,
                                         std::optional<std::int64_t> run_id);
// Queues again every evaluation still running, to be redone (a new leader of a shared
// store: its former leader died with them), with `error` after "redone: " in the row; one
// that was redone once already fails with `error` instead, as fail_running_evaluations.
std::optional<DbError> redo_running_evaluations(Database& db, std::string_view now,
                                                std::string_view error);
// Fails every evaluation still running (at a start: a stop or a crash cut them short).
std::optional<DbError> fail_running_evaluations(Database& db, std::string_view now,
                                                std::string_view error);
// When the latest successful evaluation finished (a UTC time stamp), if any did.
DbResult<std::optional<std::string>> last_success_at(Database& db);
// The latest successful evaluation (the last to finish), if any.
DbResult<std::optional<EvaluationRecord>> latest_succeeded_evaluation(Database& db);
// Whether a scheduled or catch-up evaluation for the tick at `tick` (UTC) or a later one
// exists, other than one a stop interrupted (which a restart runs again).
DbResult<bool> tick_covered(Database& db, std::string_view tick);

}  // namespace tiendo::store

#include "store/evaluations.hpp"

#include <fmt/format.h>

#include "store/sql/statements.hpp"
#include "util/result.hpp"

namespace tiendo::store {

namespace {

using namespace sql;

constexpr std::string_view kColumns =
    "id, trigger, scheduled_for, at_date, requested_at, requested_by, started_at, finished_at, "
    "state, run_id, summary, error";

std::string optional_text(const Statement& q, int column) {
  return q.column_is_null(column) ? std::string() : q.column_text(column);
}

EvaluationRecord evaluation_of(const Statement& q) {
  EvaluationRecord r;
  r.id = q.column_int(0);
  r.trigger = q.column_text(1);
  r.scheduled_for = optional_text(q, 2);
  r.at_date = optional_text(q, 3);
  r.requested_at = q.column_text(4);
  r.requested_by = optional_text(q, 5);
  r.started_at = optional_text(q, 6);
  r.finished_at = optional_text(q, 7);
  r.state = q.column_text(8);
  if (!q.column_is_null(9)) r.run_id = q.column_int(9);
  r.summary = optional_text(q, 10);
  r.error = optional_text(q, 11);
  return r;
}

DbResult<std::optional<EvaluationRecord>> one_of(Statement& q) {
  std::optional<EvaluationRecord> found;
  if (q.step()) found = evaluation_of(q);
  if (q.error()) return *q.error();
  return found;
}

}  // namespace

DbResult<std::int64_t> enqueue_evaluation(Database& db, const EvaluationRequest& request,
                                          std::optional<std::int64_t> max_waiting) {
  Transaction tx(db);
  if (tx.error()) return *tx.error();
  if (max_waiting) {
    Statement waiting = sql::prepare(
        db, "SELECT count(*) FROM evaluations WHERE state = 'queued' AND trigger = ?1");
    waiting.bind(1, request.trigger);
    if (!waiting.step()) return waiting.error().value_or(DbError{"cannot count the evaluations"});
    if (waiting.column_int(0) >= *max_waiting) return std::int64_t{0};
  }
  Statement q = sql::prepare(db,
                             "INSERT INTO evaluations (trigger, scheduled_for, at_date, "
                             "requested_at, requested_by, state) "
                             "VALUES (?1, ?2, ?3, ?4, ?5, 'queued')");
  q.bind(1, request.trigger).bind(4, request.requested_at);
  q.bind_text_or_null(2, request.scheduled_for)
      .bind_text_or_null(3, request.at_date)
      .bind_text_or_null(5, request.requested_by);
  TIENDO_RETURN_IF_ERROR(run(q));
  const std::int64_t id = last_insert_id(db);
  TIENDO_RETURN_IF_ERROR(tx.commit());
  return id;
}

DbResult<std::optional<EvaluationRecord>> find_evaluation(Database& db, std::int64_t id) {
  Statement q = sql::prepare(db, fmt::format("SELECT {} FROM evaluations WHERE id = ?1", kColumns));
  q.bind(1, id);
  return one_of(q);
}

DbResult<std::vector<EvaluationRecord>> list_evaluations(Database& db, std::size_t limit) {
  Statement q = sql::prepare(
      db, fmt::format("SELECT {} FROM evaluations ORDER BY id DESC LIMIT ?1", kColumns));
  q.bind(1, static_cast<std::int64_t>(limit));
  std::vector<EvaluationRecord> out;
  while (q.step()) out.push_back(evaluation_of(q));
  if (q.error()) return *q.error();
  return out;
}

DbResult<std::optional<EvaluationRecord>> next_queued_evaluation(Database& db) {
  Statement q = sql::prepare(
      db, fmt::format("SELECT {} FROM evaluations WHERE state = 'queued' ORDER BY id LIMIT 1",
                      kColumns));
  return one_of(q);
}

DbResult<std::int64_t> count_queued_evaluations(Database& db) {
  Statement q = sql::prepare(db, "SELECT count(*) FROM evaluations WHERE state = 'queued'");
  if (!q.step()) return q.error().value_or(DbError{"cannot count the evaluations"});
  return q.column_int(0);
}

std::optional<DbError> start_evaluation(Database& db, std::int64_t id, std::string_view now) {
  Statement q =
      sql::prepare(db, "UPDATE evaluations SET state = 'running', started_at = ?2 WHERE id = ?1");
  q.bind(1, id).bind(2, now);
  return run(q);
}

std::optional<DbError> finish_evaluation(Database& db, std::int64_t id, std::string_view state,
                                         std::string_view now, std::string_view summary,
                                         std::string_view error,
                                         std::optional<std::int64_t> run_id) {
  Statement q =
      sql::prepare(db,
                   "UPDATE evaluations SET state = ?2, finished_at = ?3, summary = ?4, error = ?5, "
                   "run_id = ?6 WHERE id = ?1");
  q.bind(1, id).bind(2, state).bind(3, now);
  q.bind_text_or_null(4, summary).bind_text_or_null(5, error).bind(6, run_id);
  return run(q);
}

std::optional<DbError> redo_running_evaluations(Database& db, std::string_view now,
                                                std::string_view error) {
  Transaction tx(db);
  if (tx.error()) return tx.error();
  // Cut short once before: failed, as an interrupted run (a scheduled slot is caught up).
  Statement twice = sql::prepare(
      db,
      "UPDATE evaluations SET state = 'failed', finished_at = ?1, error = ?2 || ' (twice)' "
      "WHERE state = 'running' AND error LIKE 'redone: %'");
  twice.bind(1, now).bind(2, error);
  TIENDO_RETURN_IF_ERROR(run(twice));
  Statement again = sql::prepare(
      db,
      "UPDATE evaluations SET state = 'queued', started_at = NULL, error = 'redone: ' || ?1 "
      "WHERE state = 'running'");
  again.bind(1, error);
  TIENDO_RETURN_IF_ERROR(run(again));
  return tx.commit();
}

std::optional<DbError> fail_running_evaluations(Database& db, std::string_view now,
                                                std::string_view error) {
  Statement q = sql::prepare(
      db,
      "UPDATE evaluations SET state = 'failed', finished_at = ?1, error = ?2 WHERE state = "
      "'running'");
  q.bind(1, now).bind(2, error);
  return run(q);
}

DbResult<std::optional<std::string>> last_success_at(Database& db) {
  Statement q =
      sql::prepare(db, "SELECT max(finished_at) FROM evaluations WHERE state = 'succeeded'");
  std::optional<std::string> at;
  if (q.step() && !q.column_is_null(0)) at = q.column_text(0);
  if (q.error()) return *q.error();
  return at;
}

DbResult<std::optional<EvaluationRecord>> latest_succeeded_evaluation(Database& db) {
  Statement q = sql::prepare(
      db, fmt::format("SELECT {} FROM evaluations WHERE state = 'succeeded' ORDER BY finished_at "
                      "DESC, id DESC LIMIT 1",
                      kColumns));
  return one_of(q);
}

DbResult<bool> tick_covered(Database& db, std::string_view tick) {
  Statement q = sql::prepare(
      db,
      "SELECT 1 FROM evaluations WHERE trigger IN ('schedule', 'catch-up') AND scheduled_for >= "
      "?1 AND NOT (state = 'failed' AND error LIKE 'interrupted:%') LIMIT 1");
  q.bind(1, tick);
  const bool found = q.step();
  if (q.error()) return *q.error();
  return found;
}

}  // namespace tiendo::store

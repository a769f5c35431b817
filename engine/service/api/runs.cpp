// Runs and the service: POST /api/v1/evaluate, GET /api/v1/runs and /api/v1/runs/{id},
// GET /api/v1/status, POST /api/v1/reload.
#include <fmt/format.h>

#include "alert/ledger.hpp"
#include "alert/rewind.hpp"
#include "service/api/support.hpp"
#include "store/evaluations.hpp"
#include "store/leadership.hpp"
#include "store/outbox.hpp"
#include "util/result.hpp"

namespace tiendo::service {

using namespace api;

namespace {

json rules_status_json(const RulesStatus& s) {
  return {{"ok", s.ok},
          {"attempted_at", s.attempted_at},
          {"loaded_at", s.loaded_at},
          {"errors", s.errors},
          {"rules", s.rules},
          {"tasks", s.tasks},
          {"plans", s.plans},
          {"version", s.version}};
}

// The body's `at`, when given: a supported date the ledger may run at; the refusal else.
std::variant<std::optional<model::Date>, ApiResponse> requested_date(const ApiRequest& request,
                                                                     const Service& service) {
  auto parsed = json_body(request, true);
  if (auto* failure = std::get_if<ApiResponse>(&parsed)) return std::move(*failure);
  const json& body = std::get<json>(parsed);
  if (auto failure = only_fields(body, {"at"})) return *failure;
  std::string error;
  const auto at_text = string_field(body, "at", error);
  if (!at_text) return error_response(400, error);
  std::optional<model::Date> at;
  if (!at_text->empty()) {
    at = model::parse_iso_date(*at_text);
    if (!at || !model::supported_date(*at)) {
      return error_response(400, fmt::format("at: '{}' is not a date YYYY-MM-DD from {}", *at_text,
                                             model::supported_years()));
    }
    // Refused here rather than when the run starts, so that the client hears of it; the
    // ledger refuses it again, whatever queued it.
    if (auto refused = alert::run_date_error(*at, service.run_date_limit())) {
      return error_response(400, "at: " + refused->message);
    }
  }
  return at;
}

// 409 for a run at a date before the ledger's, which would rewind the alerts.
ApiResponse rewind_refused(model::Date ledger, model::Date at) {
  return error_response(
      409, fmt::format("at: the alerts were last evaluated at {}; a run at {} would rewind "
                       "them. Look at that date with GET /api/v1/results?at={}, which "
                       "records nothing; to record it anyway, the operator runs `tiendo "
                       "ledger rewind --to {}` first",
                       model::to_string(ledger), model::to_string(at), model::to_string(at),
                       model::to_string(at)));
}

}  // namespace

// Queues a run (at a date, or today's): 202 with its id, 429 when the queue is full.
ApiResponse Api::evaluate(const ApiRequest& request, const RouteCall& call) {
  if (Query q(request, {}); q.error()) return error_response(400, *q.error());
  auto requested = requested_date(request, service_);
  if (auto* failure = std::get_if<ApiResponse>(&requested)) return std::move(*failure);
  const std::optional<model::Date> at = std::get<std::optional<model::Date>>(requested);
  if (service_.stopping()) return error_response(503, "the service is stopping");
  if (at) {
    // A run before the ledger's date would fail when it starts: say so now, and how to
    // look at that date instead. (Another request may still move the ledger on before the
    // run starts; the ledger refuses the run then.)
    TIENDO_ASSIGN_OR_ELSE(auto lease, service_.pool().acquire(), db_failure);
    TIENDO_ASSIGN_OR_ELSE(const std::optional<model::Date> ledger, alert::ledger_date(*lease),
                          db_failure);
    if (ledger && *ledger > *at) return rewind_refused(*ledger, *at);
  }
  TIENDO_ASSIGN_OR_ELSE(const std::optional<std::int64_t> queued,
                        service_.request_evaluation(at, call.facts.token_id), db_failure);
  if (!queued) {
    ApiResponse full = error_response(
        429, fmt::format("{} requested evaluations are waiting already; ask again when they have "
                         "run (GET /api/v1/runs)",
                         Service::kMaxQueuedRequests));
    full.headers.emplace_back("Retry-After", "60");
    return full;
  }
  const std::int64_t run_id = *queued;
  ApiResponse r = json_response(
      202, {{"id", run_id}, {"state", "queued"}, {"href", fmt::format("/api/v1/runs/{}", run_id)}});
  r.headers.emplace_back("Location", fmt::format("/api/v1/runs/{}", run_id));
  return r;
}

ApiResponse Api::run(const ApiRequest& request, const RouteCall& call) {
  if (Query q(request, {}); q.error()) return error_response(400, *q.error());
  const auto id = parse_id(call.id);
  if (!id) return error_response(404, fmt::format("no run '{}'", call.id));
  TIENDO_ASSIGN_OR_ELSE(const std::optional<EvaluationRecord> record, service_.evaluation(*id),
                        db_failure);
  if (!record) return error_response(404, fmt::format("no run {}", *id));
  return json_response(200, evaluation_json(*record));
}

// The latest runs, newest first.
ApiResponse Api::runs(const ApiRequest& request, const RouteCall&) {
  Query q(request, {"limit"});
  if (q.error()) return error_response(400, *q.error());
  std::string error;
  const auto limit = q.number("limit", 20, 1, 1000, error);
  if (!limit) return error_response(400, error);
  TIENDO_ASSIGN_OR_ELSE(const std::vector<EvaluationRecord> found, service_.evaluations(*limit),
                        db_failure);
  json list = json::array();
  for (const EvaluationRecord& e : found) list.push_back(evaluation_json(e));
  return json_response(200, {{"runs", list}});
}

// The service at a glance: rules, schedule, the last runs, the outbox and the queue.
ApiResponse Api::status(const ApiRequest& request, const RouteCall&) {
  if (Query q(request, {}); q.error()) return error_response(400, *q.error());
  const ServiceConfig& config = service_.config();
  const auto next = service_.next_scheduled();
  json body = {{"version", "0.1.0"},
               {"started_at", service_.started_at()},
               {"now", service_.now_text()},
               {"today", model::to_string(service_.today())},
               {"time_zone", config.time_zone},
               {"rules", rules_status_json(service_.rules_status())},
               {"schedule",
                {{"cron", config.schedule.text()},
                 {"time_zone", config.schedule_time_zone},
                 {"next_run", next ? json(model::format_utc(*next)) : json()}}},
               {"data_changes", service_.data_generation()}};
  TIENDO_ASSIGN_OR_ELSE(const std::vector<EvaluationRecord> recent, service_.evaluations(1),
                        db_failure);
  body["last_run"] = recent.empty() ? json() : evaluation_json(recent.front());
  const std::shared_ptr<const Evaluation> latest = service_.latest();
  body["last_successful_run"] = latest ? json{{"id", latest->id},
                                              {"at", model::to_string(latest->results.at)},
                                              {"finished_at", latest->finished_at}}
                                       : json();
  TIENDO_ASSIGN_OR_ELSE(auto lease, service_.pool().acquire(), db_failure);
  TIENDO_ASSIGN_OR_ELSE(const std::vector<store::OutboxCount> outbox, store::count_messages(*lease),
                        db_failure);
  TIENDO_ASSIGN_OR_ELSE(const std::int64_t queued, store::count_queued_evaluations(*lease),
                        db_failure);
  std::int64_t pending = 0, dead = 0;
  for (const store::OutboxCount& c : outbox) {
    if (c.state == store::OutboxState::pending) pending += c.count;
    if (c.state == store::OutboxState::dead) dead += c.count;
  }
  body["outbox"] = {{"pending", pending}, {"dead", dead}};
  body["queued_runs"] = queued;
  // Which service leads the store (runs the schedule, the evaluations and the deliveries).
  TIENDO_ASSIGN_OR_ELSE(const std::optional<store::Leader> leader, store::current_leader(*lease),
                        db_failure);
  body["leadership"] = {
      {"instance", service_.instance()},
      {"leads", service_.leads()},
      {"engine", lease->engine() == store::Engine::postgresql ? "postgresql" : "sqlite"},
      {"leader",
       leader
           ? json{{"instance", leader->holder}, {"since", leader->since}, {"epoch", leader->epoch}}
           : json()}};
  return json_response(200, body);
}

// Re-reads the rule set and the tokens; 422 (the running set stays) when it has errors.
ApiResponse Api::reload(const ApiRequest& request, const RouteCall& call) {
  if (Query q(request, {}); q.error()) return error_response(400, *q.error());
  if (!request.body.empty()) return error_response(400, "reload takes no body");
  const RulesStatus status = service_.reload("api:" + call.facts.token_id);
  json body = rules_status_json(status);
  if (!status.ok) {
    body["status"] = 422;
    body["error"] = "unprocessable_entity";
    body["message"] = "the new rule set has errors; the running one stays";
    return json_response(422, body);
  }
  return json_response(200, body);
}

}  // namespace tiendo::service

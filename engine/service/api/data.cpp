// The data: POST /api/v1/observations and /api/v1/task-status (ingest), GET
// /api/v1/units.
#include <fmt/format.h>

#include "service/api/support.hpp"
#include "store/ingest.hpp"
#include "util/result.hpp"

namespace tiendo::service {

using namespace api;

namespace {

// The declared type and the body agree, and the body is CSV or JSON; the refusal else.
std::optional<ApiResponse> ingest_body_error(const ApiRequest& request, const std::string& media) {
  if (media != "text/csv" && media != "application/json") {
    return error_response(415,
                          fmt::format("the body must be text/csv or application/json, not '{}'",
                                      content_type_text(request)));
  }
  if (request.body.empty()) return error_response(400, "the body is empty");
  // The store reads JSON or CSV by content; the declared type must agree with it.
  const std::size_t first = request.body.find_first_not_of(" \t\r\n\xEF\xBB\xBF");
  const bool looks_json =
      first != std::string::npos && (request.body[first] == '[' || request.body[first] == '{');
  if (looks_json != (media == "application/json")) {
    return error_response(400, fmt::format("the body is {} but Content-Type says {}",
                                           looks_json ? "JSON" : "not JSON", media));
  }
  return std::nullopt;
}

// 422 with every bad row: nothing was written.
ApiResponse rows_refused(const store::IngestSummary& summary) {
  json errors = json::array();
  for (const store::RowError& e : summary.errors) {
    errors.push_back({{"line", e.line}, {"message", e.message}});
  }
  json body = {{"status", 422},
               {"error", "unprocessable_entity"},
               {"message", fmt::format("{} bad row{}; nothing was written", summary.error_count,
                                       summary.error_count == 1 ? "" : "s")},
               {"errors", errors},
               {"error_count", summary.error_count}};
  return json_response(422, body);
}

}  // namespace

ApiResponse Api::observations(const ApiRequest& request, const RouteCall& call) {
  return ingest(request, call.facts, true);
}

ApiResponse Api::task_status(const ApiRequest& request, const RouteCall& call) {
  return ingest(request, call.facts, false);
}

// One body of observations or task statuses, all its rows or none.
ApiResponse Api::ingest(const ApiRequest& request, const RequestFacts& facts, bool observations) {
  if (Query q(request, {}); q.error()) return error_response(400, *q.error());
  auto type = media_type(request);
  if (auto* refused = std::get_if<ApiResponse>(&type)) return std::move(*refused);
  const std::string& media = std::get<std::string>(type);
  if (auto refused = ingest_body_error(request, media)) return std::move(*refused);

  const std::shared_ptr<const LoadedRules> rules = service_.rules();
  store::IngestOptions options;
  options.rules = &rules->rules;
  options.now = service_.now_text();
  options.accept = observations ? store::InputKinds::observations : store::InputKinds::statuses;
  const std::string name = fmt::format("request.{}", media == "text/csv" ? "csv" : "json");
  TIENDO_ASSIGN_OR_ELSE(auto lease, service_.pool().acquire(), db_failure);
  TIENDO_ASSIGN_OR_ELSE(const store::IngestSummary summary,
                        store::ingest(*lease, {{name, request.body}}, options), db_failure);
  if (!summary.committed) return rows_refused(summary);
  service_.data_changed();
  service_.log().info("data ingested", {{"kind", observations ? "observations" : "task-status"},
                                        {"rows", summary.rows},
                                        {"added", observations ? summary.observations_added
                                                               : summary.statuses_added},
                                        {"token", facts.token_id}});
  return json_response(
      200,
      {{"rows", summary.rows},
       {"added", observations ? summary.observations_added : summary.statuses_added},
       {"unchanged", observations ? summary.observations_unchanged : summary.statuses_unchanged}});
}

// The stored units, by level and label, a page at a time.
ApiResponse Api::units(const ApiRequest& request, const RouteCall&) {
  Query q(request, {"level", "label", "offset", "limit"});
  if (q.error()) return error_response(400, *q.error());
  std::string error;
  const auto offset = q.number("offset", 0, 0, 1'000'000'000, error);
  if (!offset) return error_response(400, error);
  const auto limit = q.number("limit", 100, 1, 1000, error);
  if (!limit) return error_response(400, error);
  store::UnitQuery query;
  query.level = q.get("level");
  query.label = q.get("label");
  query.offset = static_cast<std::int64_t>(*offset);
  query.limit = static_cast<std::int64_t>(*limit);
  TIENDO_ASSIGN_OR_ELSE(auto lease, service_.pool().acquire(), db_failure);
  TIENDO_ASSIGN_OR_ELSE(const store::UnitPage page, store::stored_units(*lease, query), db_failure);
  json list = json::array();
  for (const store::StoredUnit& u : page.units) {
    list.push_back({{"id", u.id},
                    {"name", u.name},
                    {"level", u.level},
                    {"parent", u.parent.empty() ? json() : json(u.parent)},
                    {"labels", u.labels}});
  }
  return json_response(
      200, {{"units", list}, {"total", page.total}, {"offset", *offset}, {"limit", *limit}});
}

}  // namespace tiendo::service

// The evaluation's views: GET /api/v1/results and /api/v1/graph (the dashboard's SVG too).
#include "present/results.hpp"

#include <fmt/format.h>

#include "alert/ledger.hpp"
#include "model/rfc3339.hpp"
#include "service/api/support.hpp"
#include "service/graph_export.hpp"
#include "store/runs.hpp"
#include "util/result.hpp"

namespace tiendo::service {

using namespace api;

// The latest run's evaluation when it is of the rules in force and no date is asked;
// else one made now, on the data as it is, and kept while rules and data are unchanged.
std::variant<std::shared_ptr<const Evaluation>, ApiResponse> Api::evaluation_at(
    std::optional<model::Date> at, const std::string& known_at) {
  const std::shared_ptr<const LoadedRules> rules = service_.rules();
  if (!at && known_at.empty()) {
    std::shared_ptr<const Evaluation> latest = service_.latest();
    if (latest && latest->rules == rules) return latest;
  }
  if (!at) at = service_.today();
  const std::int64_t generation = service_.data_generation();
  {
    std::lock_guard lock(cache_mutex_);
    if (on_demand_.evaluation && on_demand_.rules == rules &&
        on_demand_.data_generation == generation && on_demand_.at == *at &&
        on_demand_.known_at == known_at) {
      return on_demand_.evaluation;
    }
  }
  TIENDO_ASSIGN_OR_ELSE(auto lease, service_.pool().acquire(), db_failure);
  // Without known_at, the observations the latest evaluation read are not read again.
  TIENDO_ASSIGN_OR_ELSE(const std::shared_ptr<Evaluation> evaluation,
                        service::evaluate(*lease, rules, *at,
                                          {.known_at = known_at,
                                           .through = {},
                                           .base = known_at.empty() ? service_.latest() : nullptr,
                                           .cancel = nullptr}),
                        db_failure);
  // Kept beside the latest evaluation, with only the observations its results name.
  eval::keep_only_what_results_name(evaluation->snapshot, evaluation->results);
  evaluation->finished_at = service_.now_text();
  std::lock_guard lock(cache_mutex_);
  on_demand_ = {rules, generation, *at, known_at, evaluation};
  return std::shared_ptr<const Evaluation>(evaluation);
}

namespace {

// ?run=N: the results ledger run N recorded, read from the store (results are kept as
// changes: store::results_at), a page at a time.
ApiResponse stored_results(Service& service, const Query& q) {
  for (const char* other : {"at", "known_at", "lang", "state"}) {
    if (q.has(other)) {
      return error_response(
          400,
          fmt::format("{}: not with run (a run's stored results are as it recorded them)", other));
    }
  }
  std::string error;
  const auto run = q.number("run", 0, 1, std::size_t{1} << 62, error);
  const auto offset = q.number("offset", 0, 0, static_cast<std::size_t>(1) << 40, error);
  const auto limit = q.number("limit", 1000, 1, 100000, error);
  if (!run || !offset || !limit) return error_response(400, error);
  const auto run_id = static_cast<std::int64_t>(*run);
  store::StoredResultQuery query;
  query.name = q.get("rule");
  if (!query.name.empty()) query.subject = store::Subject::rule;
  query.unit = q.get("unit");
  query.offset = *offset;
  query.limit = *limit;
  TIENDO_ASSIGN_OR_ELSE(auto lease, service.pool().acquire(), db_failure);
  TIENDO_ASSIGN_OR_ELSE(const store::StoredResultPage page,
                        store::results_at(*lease, run_id, query), db_failure);
  switch (page.status) {
    case store::StoredResultPage::Status::ok:
      break;
    case store::StoredResultPage::Status::no_run:
      return error_response(404, fmt::format("run: no run {}", run_id));
    case store::StoredResultPage::Status::not_succeeded:
      return error_response(409, fmt::format("run: run {} (at {}) is {}; only a succeeded run "
                                             "keeps results",
                                             run_id, page.at, page.run_status));
    case store::StoredResultPage::Status::pruned:
      return error_response(410, fmt::format("run: the results of run {} (at {}) were pruned by "
                                             "retention; they are kept from run {} on",
                                             run_id, page.at, page.kept_from));
  }
  json results = json::array();
  for (const store::StoredResult& r : page.results) {
    json detail = json::parse(r.detail, nullptr, false);
    results.push_back({{"subject", store::to_string(r.subject)},
                       {"name", r.name},
                       {"unit", r.unit},
                       {"state", r.state},
                       {"since_run", r.since_run},
                       {"detail", detail.is_discarded() ? json(r.detail) : detail}});
  }
  return json_response(200, {{"run", run_id},
                             {"at", page.at},
                             {"total", page.total},
                             {"offset", *offset},
                             {"limit", *limit},
                             {"results", results}});
}

}  // namespace

// The results at a date (by default the latest run's), filtered and a page at a time; or,
// with ?run=N, those a recorded run kept.
ApiResponse Api::results(const ApiRequest& request, const RouteCall&) {
  Query q(request, {"at", "known_at", "lang", "rule", "unit", "state", "offset", "limit", "run"});
  if (q.error()) return error_response(400, *q.error());
  if (q.has("run")) return stored_results(service_, q);
  std::optional<model::Date> at;
  if (q.has("at")) {
    at = model::parse_iso_date(q.get("at"));
    if (!at || !model::supported_date(*at)) {
      return error_response(400, fmt::format("at: '{}' is not a date YYYY-MM-DD from {}",
                                             q.get("at"), model::supported_years()));
    }
  }
  // What was known then: only what was ingested by this time counts.
  std::string known_at;
  if (q.has("known_at")) {
    const auto time = model::parse_rfc3339(q.get("known_at"));
    if (!time) {
      return error_response(
          400, fmt::format("known_at: '{}' is not an RFC 3339 time such as "
                           "2022-10-01T08:30:00%2B07:00 or 2022-10-01T01:30:00Z (from {})",
                           q.get("known_at"), model::supported_years()));
    }
    known_at = model::format_utc(*time);
  }
  // The language of the reasons: English by default, as the API has always spoken.
  const std::string lang = q.has("lang") ? q.get("lang") : std::string("en");
  if (lang != "en" && lang != "vi") {
    return error_response(400, fmt::format("lang: '{}' is not 'vi' or 'en'", lang));
  }
  std::string error;
  const auto offset = q.number("offset", 0, 0, static_cast<std::size_t>(1) << 40, error);
  const auto limit = q.number("limit", 1000, 1, 100000, error);
  if (!offset || !limit) return error_response(400, error);
  const std::shared_ptr<const LoadedRules> rules = service_.rules();
  const std::string rule = q.get("rule");
  if (!rule.empty() && rules->rules.find_rule(rule) == model::kNone) {
    return error_response(400, fmt::format("rule: no rule '{}' in the rule set", rule));
  }
  const std::string state = q.get("state");
  if (!state.empty() && !eval::parse_rule_state(state) && !eval::parse_task_state(state)) {
    return error_response(400, fmt::format("state: '{}' is not a rule or task state", state));
  }
  auto found = evaluation_at(at, known_at);
  if (auto* failure = std::get_if<ApiResponse>(&found)) return std::move(*failure);
  const auto& evaluation = std::get<std::shared_ptr<const Evaluation>>(found);
  const std::string unit = q.get("unit");
  if (!unit.empty() && evaluation->snapshot.find_unit(unit) < 0) {
    return error_response(400, fmt::format("unit: no unit '{}' in the store", unit));
  }
  const present::Filter filter{rule, unit, state, *offset, *limit};
  json body = json::parse(
      present::to_json(evaluation->rules->rules, evaluation->snapshot, evaluation->results, filter,
                       lang == "vi" ? model::Language::vi : model::Language::en));
  body["evaluation"] = evaluation->id > 0 ? json{{"id", evaluation->id},
                                                 {"alert_run_id", evaluation->run_id},
                                                 {"finished_at", evaluation->finished_at}}
                                          : json();
  body["known_at"] = known_at.empty() ? json() : json(known_at);
  body["offset"] = *offset;
  body["limit"] = *limit;
  return json_response(200, body);
}

// The plan graph as JSON or DOT, coloured by the latest run when it is of these rules.
ApiResponse Api::graph(const ApiRequest& request, const RouteCall&) {
  Query q(request, {"format"});
  if (q.error()) return error_response(400, *q.error());
  const std::string format = q.has("format") ? q.get("format") : "json";
  if (format != "json" && format != "dot") {
    return error_response(400, fmt::format("format: '{}' is not json or dot", format));
  }
  const std::shared_ptr<const LoadedRules> rules = service_.rules();
  const std::shared_ptr<const Evaluation> latest = service_.latest();
  const eval::Results* results = latest && latest->rules == rules ? &latest->results : nullptr;
  ApiResponse r;
  if (format == "dot") {
    r.content_type = "text/vnd.graphviz; charset=utf-8";
    r.body = plan_graph_dot(rules->rules, results);
  } else {
    r.body = plan_graph_json(rules->rules, results);
  }
  return r;
}

std::optional<std::string> Api::graph_svg(const std::shared_ptr<const LoadedRules>& rules,
                                          const Evaluation* evaluation, model::Language language) {
  const std::int64_t id = evaluation ? evaluation->id : 0;
  SvgCache& cache = svg_[language == model::Language::en ? 1 : 0];
  {
    std::unique_lock lock(cache_mutex_);
    if (cache.rules == rules && cache.evaluation == id) return cache.svg;
    if (warming_) {
      // The warmer draws this evaluation's: meanwhile the one drawn before for these
      // rules; none yet (the service has just started, or reloaded its rules): the
      // warmer's, waited for a second (a small graph's), else the list until it is drawn.
      if (cache.rules == rules) return cache.svg;
      if (cache.waited == rules) return std::nullopt;
      wake_requested_ = true;
      warm_wake_.notify_all();
      if (svg_drawn_.wait_for(lock, std::chrono::milliseconds(1000),
                              [&] { return cache.rules == rules; })) {
        return cache.svg;
      }
      cache.waited = rules;
      return std::nullopt;
    }
  }
  return draw_graph(
      rules, id,
      plan_graph_dot(rules->rules, evaluation ? &evaluation->results : nullptr, language),
      language == model::Language::en ? 1 : 0);
}

std::optional<std::string> Api::draw_graph(const std::shared_ptr<const LoadedRules>& rules,
                                           std::int64_t id, const std::string& dot,
                                           std::size_t slot) {
  const std::size_t hash = std::hash<std::string>{}(dot);
  std::optional<std::string> svg;
  {
    std::unique_lock lock(cache_mutex_);
    SvgCache& cache = svg_[slot];
    if (cache.rules == rules && cache.dot_hash == hash) {
      cache.evaluation = id;
      return cache.svg;
    }
    const bool too_slow = too_slow_.rules == rules && too_slow_.evaluation == id;
    if (!too_slow) {
      lock.unlock();
      std::string error;
      bool timed_out = false;
      svg = render_svg(dot, kGraphTimeout, error, &timed_out);
      if (!svg) {
        service_.log().warn("plan graph shown as a list",
                            {{"reason", error}, {"language", slot == 1 ? "en" : "vi"}});
      }
      lock.lock();
      if (timed_out) too_slow_ = {rules, id};
    }
    svg_[slot] = {rules, id, svg, hash, nullptr};
  }
  svg_drawn_.notify_all();
  return svg;
}

}  // namespace tiendo::service

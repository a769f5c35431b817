// The dashboard's HTML pages: GET / (the latest run, what changed, the targets filtered a
// page at a time, the firing alerts, the tasks, the plan graph), GET /rules/{rule} and
// GET /units/{id}.
#include "service/pages.hpp"

#include <fmt/format.h>

#include <array>
#include <chrono>
#include <mutex>

#include "alert/ledger.hpp"
#include "alert/routing.hpp"
#include "service/api/support.hpp"
#include "service/dashboard.hpp"
#include "service/graph_export.hpp"
#include "store/runs.hpp"
#include "store/snapshot.hpp"
#include "util/result.hpp"

namespace tiendo::service {

using namespace api;

namespace {

// ?lang= and ?page= (from 1), which every page takes.
struct PageQuery {
  model::Language language = model::Language::vi;
  std::size_t page = 1;
};
std::variant<PageQuery, ApiResponse> page_query(const Query& q) {
  TIENDO_ASSIGN_OR_ELSE(const model::Language language, language_param(q),
                        [](ApiResponse r) { return r; });
  std::string error;
  const auto page = q.number("page", 1, 1, std::size_t{1} << 30, error);
  if (!page) return error_response(400, error);
  return PageQuery{language, *page};
}

// The query parameters but `lang`, decoded, in order: links and forms keep them.
std::vector<std::pair<std::string, std::string>> kept_query(const ApiRequest& request) {
  std::vector<std::pair<std::string, std::string>> query;
  for (const auto& [name, value] : request.query) {
    if (name != "lang") query.emplace_back(name, value);
  }
  return query;
}

ApiResponse html_page(std::string body) {
  ApiResponse r;
  r.content_type = "text/html; charset=utf-8";
  r.body = std::move(body);
  // Self-contained: nothing from elsewhere may load, even if a rule name slipped through.
  r.headers.emplace_back("Content-Security-Policy",
                         "default-src 'none'; style-src 'unsafe-inline'; img-src data:");
  r.headers.emplace_back("Cache-Control", "no-store");
  return r;
}

// The dashboard's filters from its query; an error response naming the parameter else.
std::variant<TargetFilter, ApiResponse> target_filter(const Query& q) {
  TargetFilter f;
  if (const std::string state = q.get("state"); !state.empty()) {
    f.state = eval::parse_rule_state(state);
    if (!f.state) {
      return error_response(400, fmt::format("state: '{}' is not a rule state (met, on_track, "
                                             "at_risk, missed, …)",
                                             state));
    }
  }
  if (const std::string severity = q.get("severity"); !severity.empty()) {
    for (model::Severity s : {model::Severity::none, model::Severity::info,
                              model::Severity::warning, model::Severity::critical}) {
      if (model::to_string(s) == severity) f.severity = s;
    }
    if (!f.severity) {
      return error_response(
          400, fmt::format("severity: '{}' is not none, info, warning or critical", severity));
    }
  }
  f.owner = q.get("owner");
  f.plan = q.get("plan");
  f.level = q.get("level");
  f.unit = q.get("unit");
  if (const std::string sort = q.get("sort"); !sort.empty()) {
    if (sort == "worst") {
      f.sort = TargetFilter::Sort::worst;
    } else if (sort == "name") {
      f.sort = TargetFilter::Sort::name;
    } else if (sort == "deadline") {
      f.sort = TargetFilter::Sort::deadline;
    } else {
      return error_response(400, fmt::format("sort: '{}' is not worst, name or deadline", sort));
    }
  }
  return f;
}

}  // namespace

Api::ReadChanges Api::run_changes(std::int64_t from_run, std::int64_t to_run, bool wait,
                                  const std::shared_ptr<const store::RunChanges>& made) {
  std::unique_lock lock(changes_mutex_, std::defer_lock);
  if (wait) {
    lock.lock();
  } else if (!lock.try_lock()) {
    return {nullptr, {}, true};
  }
  if (changes_.changes && changes_.from_run == from_run && changes_.to_run == to_run) {
    return {changes_.changes, {}, false};
  }
  auto lease = service_.pool().acquire();
  if (auto* error = std::get_if<store::DbError>(&lease)) return {nullptr, error->message, false};
  store::Database& db = *std::get<0>(lease);
  std::shared_ptr<store::RunChanges> changes;
  if (made && made->from_run == from_run && made->to_run == to_run) {
    // Made in memory with the evaluation (Evaluation::changes): only the alerts' transitions
    // are read.
    auto counted = store::alert_transitions(db, from_run, to_run);
    if (auto* error = std::get_if<store::DbError>(&counted))
      return {nullptr, error->message, false};
    changes = std::make_shared<store::RunChanges>(*made);
    changes->alerts_fired = std::get<store::AlertCounts>(counted).fired;
    changes->alerts_resolved = std::get<store::AlertCounts>(counted).resolved;
  } else {
    auto read = store::changes_between(db, from_run, to_run);
    if (auto* error = std::get_if<store::DbError>(&read)) return {nullptr, error->message, false};
    changes = std::make_shared<store::RunChanges>(std::move(std::get<0>(read)));
  }
  changes_ = {from_run, to_run, std::move(changes)};
  return {changes_.changes, {}, false};
}

void Api::start_warming() {
  if (warmer_.joinable()) return;
  warming_ = true;
  warmer_ = std::jthread([this](std::stop_token stop) { warm(stop); });
}

void Api::stop_warming() {
  if (!warmer_.joinable()) return;
  warmer_.request_stop();
  warmer_.join();
  warming_ = false;
}

void Api::warm(std::stop_token stop) {
  // Background work, as the evaluations are: Graphviz takes seconds of CPU on a large plan
  // graph (5 s, its limit, on bench/serve's 2,000 tasks), which a service that has just
  // started spends while the requests come in.
  service_.run_in_background("warmer");
  std::int64_t warmed = -1;  // the evaluation whose parts are made
  std::mutex mutex;
  while (!stop.stop_requested()) {
    const std::shared_ptr<const LoadedRules> rules = service_.rules();
    std::shared_ptr<const Evaluation> latest = service_.latest();
    if (latest && latest->rules == rules && latest->id != warmed) {
      const auto began = std::chrono::steady_clock::now();
      const auto ms_since = [](std::chrono::steady_clock::time_point t) {
        return static_cast<std::int64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                             std::chrono::steady_clock::now() - t)
                                             .count());
      };
      const std::int64_t id = latest->id;
      const std::int64_t run_id = latest->run_id;
      const std::shared_ptr<const store::RunChanges> made = latest->changes;
      // The graph in each language as DOT, then the evaluation let go: drawing takes
      // seconds, and the service may make the next one meanwhile (two at once is its
      // memory budget, not three).
      std::array<std::string, 2> dot;
      for (model::Language language : {model::Language::vi, model::Language::en}) {
        dot[language == model::Language::en ? 1 : 0] =
            plan_graph_dot(rules->rules, &latest->results, language);
      }
      latest.reset();
      for (std::size_t l = 0; l < dot.size(); ++l) {
        if (stop.stop_requested()) return;
        draw_graph(rules, id, dot[l], l);
      }
      const std::int64_t graph_ms = ms_since(began);
      const auto changes_began = std::chrono::steady_clock::now();
      std::string_view changes_from = "none";
      if (run_id > 0 && !stop.stop_requested()) {
        std::int64_t before = 0;
        if (auto lease = service_.pool().acquire(); auto* db = std::get_if<0>(&lease)) {
          auto found = store::run_before(**db, run_id, "");
          if (auto* earlier = std::get_if<std::int64_t>(&found)) before = *earlier;
        }
        if (before > 0) {
          run_changes(before, run_id, /*wait=*/true, made);
          changes_from = made && made->from_run == before ? "memory" : "store";
        }
      }
      service_.log().info("the dashboard's parts are made",
                          {{"id", id},
                           {"run_id", run_id},
                           {"graph_ms", graph_ms},
                           {"changes_ms", ms_since(changes_began)},
                           {"changes_from", changes_from}});
      warmed = id;
    }
    std::unique_lock lock(mutex);
    warm_wake_.wait_for(lock, stop, std::chrono::milliseconds(500),
                        [this] { return wake_requested_.exchange(false); });
  }
}

// The dashboard page: the latest run, what changed since the previous one (or ?since=), the
// targets (?state=, severity, owner, plan, level, unit, sort, page), the firing alerts, the
// plan graph; in Vietnamese, or in English with lang=en.
ApiResponse Api::dashboard(const ApiRequest& request, const RouteCall&) {
  Query q(request,
          {"lang", "state", "severity", "owner", "plan", "level", "unit", "sort", "page", "since"});
  if (q.error()) return error_response(400, *q.error());
  TIENDO_ASSIGN_OR_ELSE(const PageQuery asked, page_query(q), [](ApiResponse r) { return r; });
  TIENDO_ASSIGN_OR_ELSE(TargetFilter filter, target_filter(q), [](ApiResponse r) { return r; });
  filter.page = asked.page;
  std::string since = q.get("since");
  if (!since.empty()) {
    const auto date = model::parse_iso_date(since);
    if (!date || !model::supported_date(*date)) {
      return error_response(400, fmt::format("since: '{}' is not a date YYYY-MM-DD from {}", since,
                                             model::supported_years()));
    }
  }
  const std::shared_ptr<const LoadedRules> rules = service_.rules();
  std::shared_ptr<const Evaluation> latest = service_.latest();
  if (latest && latest->rules != rules) latest.reset();
  if (!latest && service_.catching_up()) return catching_up();
  DashboardData data;
  std::int64_t before = 0;  // the run to compare the latest with
  {
    TIENDO_ASSIGN_OR_ELSE(auto lease, service_.pool().acquire(), db_failure);
    alert::AlertQuery query;
    query.set = alert::AlertQuery::Set::firing;
    query.limit = kDashboardAlerts;
    TIENDO_ASSIGN_OR_ELSE(alert::AlertPage firing,
                          alert::list_alerts(*lease, query, &service_.alert_counts()), db_failure);
    data.alerts = std::move(firing.alerts);
    data.alerts_total = static_cast<std::size_t>(firing.total);
    if (latest && latest->run_id > 0) {
      TIENDO_ASSIGN_OR_ELSE(before, store::run_before(*lease, latest->run_id, since), db_failure);
    }
  }
  data.changes.since = since;
  if (before > 0) {
    // Without the warmer (tests), this request reads them; with it, it does not wait.
    ReadChanges changes = run_changes(before, latest->run_id, /*wait=*/!warming_, latest->changes);
    data.changes.changes = std::move(changes.changes);
    data.changes.error = std::move(changes.error);
    data.changes.pending = changes.pending;
  }
  data.rules = &rules->rules;
  data.snapshot = latest ? &latest->snapshot : nullptr;
  data.results = latest ? &latest->results : nullptr;
  data.tally = latest ? &latest->tally : nullptr;
  data.generated_at = service_.now_text();
  data.language = asked.language;
  data.graph_svg = graph_svg(rules, latest.get(), data.language);
  data.query = kept_query(request);
  data.filter = std::move(filter);
  return html_page(render_dashboard(data));
}

// A target's page: /rules/{rule}, ?unit= for its result at one unit, ?page= for its units.
ApiResponse Api::rule_page(const ApiRequest& request, const RouteCall& call) {
  Query q(request, {"lang", "unit", "page"});
  if (q.error()) return error_response(400, *q.error());
  TIENDO_ASSIGN_OR_ELSE(const PageQuery asked, page_query(q), [](ApiResponse r) { return r; });
  const std::shared_ptr<const LoadedRules> rules = service_.rules();
  const model::Index rule = rules->rules.find_rule(call.id);
  if (rule == model::kNone) {
    return error_response(404, fmt::format("rule: the rule set has no rule '{}'", call.id));
  }
  std::shared_ptr<const Evaluation> latest = service_.latest();
  if (latest && latest->rules != rules) latest.reset();
  RulePageData data;
  data.basics = {&rules->rules,
                 latest ? &latest->snapshot : nullptr,
                 latest ? &latest->results : nullptr,
                 asked.language,
                 kept_query(request),
                 service_.now_text()};
  data.rule = rule;
  data.page = asked.page;
  data.now = service_.now_text();
  const std::string unit_id = q.get("unit");
  if (!unit_id.empty()) {
    if (!latest && service_.catching_up()) return catching_up();
    if (!latest) {
      return error_response(409, "unit: there is no evaluation yet to show a unit's result of");
    }
    data.unit = latest->snapshot.find_unit(unit_id);
    if (data.unit < 0) {
      return error_response(404, fmt::format("unit: the store has no unit '{}'", unit_id));
    }
  }
  const model::Rule& written = rules->rules.rules[static_cast<std::size_t>(rule)];
  TIENDO_ASSIGN_OR_ELSE(auto lease, service_.pool().acquire(), db_failure);
  if (data.unit >= 0) {
    // The course over time, on the observations the served evaluation read (it keeps them
    // all): the chart and the verdict beside it come from the same data.
    data.course =
        eval::target_course(rules->rules, latest->snapshot, rule, data.unit, latest->results.at);
    auto spans = store::result_spans_of(*lease, store::Subject::rule, written.name, unit_id, 50);
    if (auto* failed = std::get_if<store::DbError>(&spans)) {
      data.timeline_error = failed->message;
    } else {
      data.timeline = std::move(std::get<0>(spans));
    }
  }
  alert::AlertQuery query;
  query.set = alert::AlertQuery::Set::all;
  query.rule = written.name;
  query.unit = unit_id;
  query.limit = 50;
  TIENDO_ASSIGN_OR_ELSE(alert::AlertPage alerts,
                        alert::list_alerts(*lease, query, &service_.alert_counts()), db_failure);
  data.alerts = std::move(alerts.alerts);
  data.alerts_total = static_cast<std::size_t>(alerts.total);
  // The live silences that would silence one of the rule's results.
  TIENDO_ASSIGN_OR_ELSE(std::vector<alert::Silence> silences, alert::load_silences(*lease, false),
                        db_failure);
  if (latest) {
    for (alert::Silence& silence : silences) {
      bool applies = false;
      for (const eval::RuleResult& r : eval::results_of(latest->results, rule)) {
        if (data.unit >= 0 && r.unit != data.unit) continue;
        const std::string unit =
            r.unit >= 0 ? latest->snapshot.units()[static_cast<std::size_t>(r.unit)].id : "";
        const model::Rule& version = rules->rules.version(rule, r.version);
        if (alert::matches(
                silence.matchers,
                alert::routing::rule_labels(version, unit, eval::to_string(r.state), r.severity))) {
          applies = true;
          break;
        }
      }
      if (applies) data.silences.push_back(std::move(silence));
    }
  }
  return html_page(render_rule_page(data));
}

// A unit's page: /units/{id}.
ApiResponse Api::unit_page(const ApiRequest& request, const RouteCall& call) {
  Query q(request, {"lang", "page"});
  if (q.error()) return error_response(400, *q.error());
  TIENDO_ASSIGN_OR_ELSE(const PageQuery asked, page_query(q), [](ApiResponse r) { return r; });
  const std::shared_ptr<const LoadedRules> rules = service_.rules();
  std::shared_ptr<const Evaluation> latest = service_.latest();
  if (latest && latest->rules != rules) latest.reset();
  if (!latest && service_.catching_up()) return catching_up();
  if (!latest) {
    return error_response(409, "there is no evaluation yet: the units are read with it");
  }
  UnitPageData data;
  data.basics = {&rules->rules,  &latest->snapshot,   &latest->results,
                 asked.language, kept_query(request), service_.now_text()};
  data.unit = latest->snapshot.find_unit(std::string(call.id));
  data.page = asked.page;
  if (data.unit < 0) {
    return error_response(404, fmt::format("unit: the store has no unit '{}'", call.id));
  }
  TIENDO_ASSIGN_OR_ELSE(auto lease, service_.pool().acquire(), db_failure);
  alert::AlertQuery query;
  query.set = alert::AlertQuery::Set::firing;
  query.unit = std::string(call.id);
  query.limit = 100;
  TIENDO_ASSIGN_OR_ELSE(alert::AlertPage firing,
                        alert::list_alerts(*lease, query, &service_.alert_counts()), db_failure);
  data.alerts = std::move(firing.alerts);
  data.alerts_total = static_cast<std::size_t>(firing.total);
  return html_page(render_unit_page(data));
}

}  // namespace tiendo::service

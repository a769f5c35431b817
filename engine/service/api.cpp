#include "service/api.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <nlohmann/json.hpp>

#include "alert/ledger.hpp"
#include "alert/rewind.hpp"
#include "eval/present.hpp"
#include "service/dashboard.hpp"
#include "service/graph_export.hpp"
#include "store/ingest.hpp"
#include "util/text.hpp"

namespace tiendo::service {

namespace {

using json = nlohmann::json;

std::string dump(const json& value) {
  return value.dump(2, ' ', false, json::error_handler_t::replace);
}

ApiResponse json_response(int status, const json& body) {
  ApiResponse r;
  r.status = status;
  r.body = dump(body) + "\n";
  return r;
}

std::string_view reason_of(int status) {
  switch (status) {
    case 400: return "bad_request";
    case 401: return "unauthorized";
    case 403: return "forbidden";
    case 404: return "not_found";
    case 405: return "method_not_allowed";
    case 408: return "request_timeout";
    case 409: return "conflict";
    case 413: return "payload_too_large";
    case 414: return "uri_too_long";
    case 415: return "unsupported_media_type";
    case 422: return "unprocessable_entity";
    case 429: return "too_many_requests";
    case 431: return "header_fields_too_large";
    case 500: return "internal_error";
    case 503: return "unavailable";
    default: return status < 500 ? "client_error" : "server_error";
  }
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

using util::trim;

// The query parameters a route takes: any other, or one given twice, is an error.
class Query {
 public:
  Query(const ApiRequest& request, std::initializer_list<std::string_view> known) {
    for (const auto& [name, value] : request.query) {
      if (std::find(known.begin(), known.end(), name) == known.end()) {
        std::string list;
        for (std::string_view k : known) list += (list.empty() ? "" : ", ") + std::string(k);
        error_ = fmt::format("unknown query parameter '{}' (this path takes: {})", name,
                             list.empty() ? "none" : list);
        return;
      }
      if (values_.count(name)) {
        error_ = fmt::format("query parameter '{}' is given twice", name);
        return;
      }
      values_[name] = value;
    }
  }
  const std::optional<std::string>& error() const { return error_; }
  std::string get(const std::string& name) const {
    const auto it = values_.find(name);
    return it == values_.end() ? std::string() : it->second;
  }
  bool has(const std::string& name) const { return values_.count(name) != 0; }

  // A whole number in [low, high]; `fallback` when absent.
  std::optional<std::size_t> number(const std::string& name, std::size_t fallback, std::size_t low,
                                    std::size_t high, std::string& error) const {
    if (!has(name)) return fallback;
    const std::string text = get(name);
    std::size_t value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size() || value < low || value > high) {
      error = fmt::format("{}: '{}' is not a whole number from {} to {}", name, text, low, high);
      return std::nullopt;
    }
    return value;
  }

 private:
  std::map<std::string, std::string> values_;
  std::optional<std::string> error_;
};

// The media type of the request's Content-Type, lower-cased; 415 when the type declares a
// charset other than UTF-8 (JSON is UTF-8, and so is the CSV the store reads).
std::variant<std::string, ApiResponse> media_type(const ApiRequest& request) {
  const std::string_view type = request.header("Content-Type").value_or("");
  const std::size_t semicolon = type.find(';');
  const std::string parameters = semicolon == std::string_view::npos
                                     ? std::string()
                                     : util::ascii_lower(trim(type.substr(semicolon + 1)));
  if (!parameters.empty() && parameters != "charset=utf-8" && parameters != "charset=\"utf-8\"") {
    return error_response(415, fmt::format("only UTF-8 is taken, not '{}'", parameters));
  }
  return util::ascii_lower(trim(type.substr(0, semicolon)));
}

std::string content_type_text(const ApiRequest& request) {
  const std::string_view type = request.header("Content-Type").value_or("");
  return type.empty() ? "(no Content-Type)" : std::string(type);
}

// The body as a JSON object, after checking the content type; an error response else.
std::variant<json, ApiResponse> json_body(const ApiRequest& request, bool optional) {
  if (request.body.empty() && optional) return json::object();
  auto type = media_type(request);
  if (auto* refused = std::get_if<ApiResponse>(&type)) return std::move(*refused);
  if (std::get<std::string>(type) != "application/json") {
    return error_response(415, fmt::format("the body must be application/json, not '{}'",
                                           content_type_text(request)));
  }
  json body = json::parse(request.body, nullptr, false);
  if (body.is_discarded()) {
    // Parse again with exceptions for the position of the mistake.
    try {
      [[maybe_unused]] const json again = json::parse(request.body);
    } catch (const json::parse_error& e) {
      return error_response(400, fmt::format("the body is not valid JSON: {}", e.what()));
    }
    return error_response(400, "the body is not valid JSON");
  }
  if (!body.is_object()) return error_response(400, "the body must be a JSON object");
  return body;
}

// Every key of `body` must be one of `known`.
std::optional<ApiResponse> only_fields(const json& body, std::initializer_list<std::string_view> known) {
  for (const auto& [key, value] : body.items()) {
    if (std::find(known.begin(), known.end(), key) != known.end()) continue;
    std::string list;
    for (std::string_view k : known) list += (list.empty() ? "" : ", ") + std::string(k);
    return error_response(400, fmt::format("unknown field '{}' (known: {})", key, list));
  }
  return std::nullopt;
}

std::optional<std::string> string_field(const json& body, std::string_view key, std::string& error) {
  const auto it = body.find(key);
  if (it == body.end() || it->is_null()) return std::string();
  if (!it->is_string()) {
    error = fmt::format("{} is a string", key);
    return std::nullopt;
  }
  return it->get<std::string>();
}

std::string now_text() { return model::format_utc(Clock::now()); }

ApiResponse db_failure(const store::DbError& error) {
  // A busy database (a long run holding the write lock) is worth a retry; anything else
  // is the server's problem, not the client's.
  const bool busy = error.message.find("locked") != std::string::npos ||
                    error.message.find("busy") != std::string::npos;
  ApiResponse r = error_response(busy ? 503 : 500, "database: " + error.message);
  if (busy) r.headers.emplace_back("Retry-After", "5");
  return r;
}

json evaluation_json(const EvaluationRecord& e) {
  const auto text_or_null = [](const std::string& s) { return s.empty() ? json() : json(s); };
  json summary = e.summary.empty() ? json() : json::parse(e.summary, nullptr, false);
  if (summary.is_discarded()) summary = json();
  return {{"id", e.id},
          {"trigger", e.trigger},
          {"state", e.state},
          {"scheduled_for", text_or_null(e.scheduled_for)},
          {"at", text_or_null(e.at_date)},
          {"requested_at", e.requested_at},
          {"requested_by", text_or_null(e.requested_by)},
          {"started_at", text_or_null(e.started_at)},
          {"finished_at", text_or_null(e.finished_at)},
          {"alert_run_id", e.run_id ? json(*e.run_id) : json()},
          {"summary", summary},
          {"error", text_or_null(e.error)}};
}

std::optional<std::int64_t> parse_id(std::string_view text) {
  std::int64_t id = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
  if (ec != std::errc() || end != text.data() + text.size() || id < 1) return std::nullopt;
  return id;
}

}  // namespace

std::optional<std::string_view> ApiRequest::header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (iequals(key, name)) return std::string_view(value);
  }
  return std::nullopt;
}

ApiResponse error_response(int status, std::string_view message) {
  return json_response(status, {{"status", status}, {"error", reason_of(status)}, {"message", message}});
}

// ---------------------------------------------------------------------------------------
// Routing and authentication.

struct Api::Route {
  std::string_view method;
  std::string_view pattern;  // "{id}" stands for one path segment
  std::optional<Scope> scope;  // none: no token needed
};

namespace {

// The routes, in the order they are tried; docs/api.md and docs/openapi.yaml list the same.
constexpr std::pair<std::string_view, std::string_view> kRoutes[] = {
    {"GET", "/"},
    {"GET", "/healthz"},
    {"GET", "/readyz"},
    {"GET", "/metrics"},
    {"POST", "/api/v1/observations"},
    {"POST", "/api/v1/task-status"},
    {"GET", "/api/v1/results"},
    {"GET", "/api/v1/units"},
    {"GET", "/api/v1/alerts"},
    {"GET", "/api/v1/silences"},
    {"POST", "/api/v1/silences"},
    {"DELETE", "/api/v1/silences/{id}"},
    {"POST", "/api/v1/evaluate"},
    {"GET", "/api/v1/runs"},
    {"GET", "/api/v1/runs/{id}"},
    {"GET", "/api/v1/graph"},
    {"GET", "/api/v1/status"},
    {"POST", "/api/v1/reload"},
};

// Matches `path` against `pattern`; the `{id}` segment's text goes to `id`.
bool matches(std::string_view pattern, std::string_view path, std::string_view& id) {
  const std::size_t brace = pattern.find('{');
  if (brace == std::string_view::npos) return pattern == path;
  if (path.substr(0, brace) != pattern.substr(0, brace)) return false;
  const std::string_view rest = path.substr(std::min(brace, path.size()));
  if (rest.empty() || rest.find('/') != std::string_view::npos) return false;
  id = rest;
  return true;
}

Scope scope_of(std::string_view method, std::string_view pattern) {
  if (pattern == "/api/v1/reload") return Scope::admin;
  return method == "GET" ? Scope::read : Scope::write;
}

}  // namespace

ApiResponse Api::handle(const ApiRequest& request, RequestFacts& facts) {
  try {
    return dispatch(request, facts);
  } catch (const std::exception& e) {
    // A handler bug must not take the service down; the log says what happened.
    service_.log().error("request handler failed", {{"path", request.path}, {"error", e.what()}});
    return error_response(500, "internal error; the service log has the details");
  }
}

ApiResponse Api::dispatch(const ApiRequest& request, RequestFacts& facts) {
  facts.route = "unmatched";
  if (request.path.empty() || request.path.front() != '/' ||
      request.path.find('\0') != std::string::npos) {
    return error_response(400, "the path must start with '/'");
  }
  // "..", "." and "//" never name a resource here; say so rather than normalising them.
  for (std::size_t start = 1; start <= request.path.size();) {
    const std::size_t end = std::min(request.path.find('/', start), request.path.size());
    const std::string_view segment(request.path.data() + start, end - start);
    if (segment == ".." || segment == "." || (segment.empty() && end < request.path.size())) {
      return error_response(400, "the path has '.', '..' or an empty segment");
    }
    start = end + 1;
  }

  std::string_view id;
  std::vector<std::string_view> allowed;
  std::optional<std::string_view> pattern;
  for (const auto& [method, route] : kRoutes) {
    std::string_view found;
    if (!matches(route, request.path, found)) continue;
    if (method == request.method || (method == "GET" && request.method == "HEAD")) {
      pattern = route;
      id = found;
      break;
    }
    allowed.push_back(method);
  }
  if (!pattern) {
    if (allowed.empty()) return error_response(404, fmt::format("no such path: {}", request.path));
    std::string list;
    for (std::string_view m : allowed) list += (list.empty() ? "" : ", ") + std::string(m);
    ApiResponse r = error_response(405, fmt::format("{} takes {}", request.path, list));
    r.headers.emplace_back("Allow", list);
    return r;
  }
  facts.route = std::string(*pattern);
  const std::string method = request.method == "HEAD" ? "GET" : request.method;

  // Authentication, for everything but the probes (and the dashboard when public).
  const bool open = *pattern == "/healthz" || *pattern == "/readyz" ||
                    (*pattern == "/" && service_.config().dashboard_public);
  if (!open) {
    const auto authorization = request.header("Authorization");
    std::string_view presented;
    if (authorization && authorization->size() > 7 && iequals(authorization->substr(0, 7), "Bearer ")) {
      presented = trim(authorization->substr(7));
    }
    if (presented.empty()) {
      ApiResponse r = error_response(
          401, authorization ? "the Authorization header is not 'Bearer <token>'"
                             : "this needs a token: send 'Authorization: Bearer <token>'");
      r.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"tiendo\"");
      return r;
    }
    const std::shared_ptr<const TokenTable> tokens = service_.tokens();
    const Token* token = tokens->authenticate(presented);
    if (!token) {
      ApiResponse r = error_response(401, "the token is not valid");
      r.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"tiendo\", error=\"invalid_token\"");
      return r;
    }
    facts.token_id = token->id;
    const Scope needed = scope_of(method, *pattern);
    if (!grants(token->scope, needed)) {
      ApiResponse r = error_response(
          403, fmt::format("this needs the {} scope; token '{}' has {}", to_string(needed),
                           token->id, to_string(token->scope)));
      r.headers.emplace_back("WWW-Authenticate",
                             fmt::format("Bearer realm=\"tiendo\", error=\"insufficient_scope\", "
                                         "scope=\"{}\"",
                                         to_string(needed)));
      return r;
    }
  }

  ApiResponse response;
  if (*pattern == "/") response = dashboard(request);
  else if (*pattern == "/healthz") response = healthz(request);
  else if (*pattern == "/readyz") response = readyz(request);
  else if (*pattern == "/metrics") response = metrics(request);
  else if (*pattern == "/api/v1/observations") response = ingest(request, facts, true);
  else if (*pattern == "/api/v1/task-status") response = ingest(request, facts, false);
  else if (*pattern == "/api/v1/results") response = results(request);
  else if (*pattern == "/api/v1/units") response = units(request);
  else if (*pattern == "/api/v1/alerts") response = alerts(request);
  else if (*pattern == "/api/v1/silences" && method == "GET") response = silences_get(request);
  else if (*pattern == "/api/v1/silences") response = silences_post(request, facts);
  else if (*pattern == "/api/v1/silences/{id}") response = silences_delete(request, id);
  else if (*pattern == "/api/v1/evaluate") response = evaluate(request, facts);
  else if (*pattern == "/api/v1/runs") response = runs(request);
  else if (*pattern == "/api/v1/runs/{id}") response = run(request, id);
  else if (*pattern == "/api/v1/graph") response = graph(request);
  else if (*pattern == "/api/v1/status") response = status(request);
  else response = reload(request, facts);
  if (request.method == "HEAD") response.body.clear();
  return response;
}

// ---------------------------------------------------------------------------------------
// Probes and metrics.

ApiResponse Api::healthz(const ApiRequest& request) {
  if (Query q(request, {}); q.error()) return error_response(400, *q.error());
  return json_response(200, {{"status", "ok"}});
}

ApiResponse Api::readyz(const ApiRequest& request) {
  if (Query q(request, {}); q.error()) return error_response(400, *q.error());
  if (service_.stopping()) return error_response(503, "the service is stopping");
  auto lease = service_.pool().acquire();
  if (auto* error = std::get_if<store::DbError>(&lease)) {
    return error_response(503, "database unavailable: " + error->message);
  }
  store::Database& db = *std::get<ConnectionPool::Lease>(lease);
  store::Statement q = db.prepare("SELECT count(*) FROM units");
  if (!q.step()) {
    return error_response(503, "database unavailable: " +
                                   (q.error() ? q.error()->message : std::string("no answer")));
  }
  // Reading is not enough: runs, ingests and deliveries must be able to write.
  if (const auto problem = service_.storage_problem(db)) return error_response(503, *problem);
  return json_response(200, {{"status", "ready"}});
}

ApiResponse Api::metrics(const ApiRequest& request) {
  if (Query q(request, {}); q.error()) return error_response(400, *q.error());
  auto lease = service_.pool().acquire();
  if (auto* error = std::get_if<store::DbError>(&lease)) return db_failure(*error);
  std::string error;
  ApiResponse r;
  r.body = service_.metrics().render(*std::get<ConnectionPool::Lease>(lease), error);
  r.content_type = "text/plain; version=0.0.4; charset=utf-8";
  if (!error.empty()) service_.log().warn("metrics without the store gauges", {{"error", error}});
  return r;
}

// ---------------------------------------------------------------------------------------
// Data in.

ApiResponse Api::ingest(const ApiRequest& request, const RequestFacts& facts, bool observations) {
  if (Query q(request, {}); q.error()) return error_response(400, *q.error());
  auto type = media_type(request);
  if (auto* refused = std::get_if<ApiResponse>(&type)) return std::move(*refused);
  const std::string& media = std::get<std::string>(type);
  if (media != "text/csv" && media != "application/json") {
    return error_response(415, fmt::format("the body must be text/csv or application/json, not '{}'",
                                           content_type_text(request)));
  }
  if (request.body.empty()) return error_response(400, "the body is empty");
  // The store reads JSON or CSV by content; the declared type must agree with it.
  const std::size_t first = request.body.find_first_not_of(" \t\r\n\xEF\xBB\xBF");
  const bool looks_json = first != std::string::npos && (request.body[first] == '[' || request.body[first] == '{');
  if (looks_json != (media == "application/json")) {
    return error_response(400, fmt::format("the body is {} but Content-Type says {}",
                                           looks_json ? "JSON" : "not JSON", media));
  }

  const std::shared_ptr<const LoadedRules> rules = service_.rules();
  store::IngestOptions options;
  options.rules = &rules->rules;
  options.now = now_text();
  options.accept = observations ? store::InputKinds::observations : store::InputKinds::statuses;
  const std::string name = fmt::format("request.{}", media == "text/csv" ? "csv" : "json");
  auto lease = service_.pool().acquire();
  if (auto* error = std::get_if<store::DbError>(&lease)) return db_failure(*error);
  auto result = store::ingest(*std::get<ConnectionPool::Lease>(lease), {{name, request.body}}, options);
  if (auto* error = std::get_if<store::DbError>(&result)) return db_failure(*error);
  const store::IngestSummary& summary = std::get<store::IngestSummary>(result);
  if (!summary.committed) {
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
  service_.data_changed();
  service_.log().info("data ingested",
                      {{"kind", observations ? "observations" : "task-status"},
                       {"rows", summary.rows},
                       {"added", observations ? summary.observations_added : summary.statuses_added},
                       {"token", facts.token_id}});
  return json_response(200, {{"rows", summary.rows},
                             {"added", observations ? summary.observations_added : summary.statuses_added},
                             {"unchanged", observations ? summary.observations_unchanged
                                                        : summary.statuses_unchanged}});
}

// ---------------------------------------------------------------------------------------
// Results, alerts, graph.

std::variant<std::shared_ptr<const Evaluation>, ApiResponse> Api::evaluation_at(
    std::optional<model::Date> at) {
  const std::shared_ptr<const LoadedRules> rules = service_.rules();
  if (!at) {
    std::shared_ptr<const Evaluation> latest = service_.latest();
    if (latest && latest->rules == rules) return latest;
    at = service_.today();
  }
  const std::int64_t generation = service_.data_generation();
  {
    std::lock_guard lock(cache_mutex_);
    if (on_demand_.evaluation && on_demand_.rules == rules &&
        on_demand_.data_generation == generation && on_demand_.at == *at) {
      return on_demand_.evaluation;
    }
  }
  auto lease = service_.pool().acquire();
  if (auto* error = std::get_if<store::DbError>(&lease)) return db_failure(*error);
  auto evaluated = service::evaluate(*std::get<ConnectionPool::Lease>(lease), rules, *at);
  if (auto* error = std::get_if<store::DbError>(&evaluated)) return db_failure(*error);
  const std::shared_ptr<Evaluation> evaluation = std::get<std::shared_ptr<Evaluation>>(evaluated);
  evaluation->finished_at = now_text();
  std::lock_guard lock(cache_mutex_);
  on_demand_ = {rules, generation, *at, evaluation};
  return std::shared_ptr<const Evaluation>(evaluation);
}

ApiResponse Api::results(const ApiRequest& request) {
  Query q(request, {"at", "rule", "unit", "state", "offset", "limit"});
  if (q.error()) return error_response(400, *q.error());
  std::optional<model::Date> at;
  if (q.has("at")) {
    at = model::parse_iso_date(q.get("at"));
    if (!at || !model::supported_date(*at)) {
      return error_response(400, fmt::format("at: '{}' is not a date YYYY-MM-DD from {}",
                                             q.get("at"), model::supported_years()));
    }
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
  auto found = evaluation_at(at);
  if (auto* failure = std::get_if<ApiResponse>(&found)) return std::move(*failure);
  const auto& evaluation = std::get<std::shared_ptr<const Evaluation>>(found);
  const std::string unit = q.get("unit");
  if (!unit.empty() && evaluation->snapshot.find_unit(unit) < 0) {
    return error_response(400, fmt::format("unit: no unit '{}' in the store", unit));
  }
  const eval::Filter filter{rule, unit, state, *offset, *limit};
  json body = json::parse(eval::to_json(evaluation->rules->rules, evaluation->snapshot,
                                        evaluation->results, filter));
  body["evaluation"] = evaluation->id > 0
                           ? json{{"id", evaluation->id},
                                  {"alert_run_id", evaluation->run_id},
                                  {"finished_at", evaluation->finished_at}}
                           : json();
  body["offset"] = *offset;
  body["limit"] = *limit;
  return json_response(200, body);
}

ApiResponse Api::alerts(const ApiRequest& request) {
  Query q(request, {"lifecycle", "severity", "rule", "unit", "offset", "limit"});
  if (q.error()) return error_response(400, *q.error());
  std::string error;
  const auto offset = q.number("offset", 0, 0, static_cast<std::size_t>(1) << 40, error);
  const auto limit = q.number("limit", 100, 1, 10000, error);
  if (!offset || !limit) return error_response(400, error);
  alert::AlertQuery query;
  query.offset = *offset;
  query.limit = *limit;
  // By default the open alerts (pending and firing), as the committee wants them.
  const std::string lifecycle = q.has("lifecycle") ? q.get("lifecycle") : "open";
  using Set = alert::AlertQuery::Set;
  static const std::pair<std::string_view, Set> kSets[] = {{"open", Set::open},
                                                           {"pending", Set::pending},
                                                           {"firing", Set::firing},
                                                           {"resolved", Set::resolved},
                                                           {"all", Set::all}};
  const auto set = std::find_if(std::begin(kSets), std::end(kSets),
                                [&](const auto& entry) { return entry.first == lifecycle; });
  if (set == std::end(kSets)) {
    return error_response(400, fmt::format("lifecycle: '{}' is not open, pending, firing, resolved "
                                           "or all",
                                           lifecycle));
  }
  query.set = set->second;
  if (const std::string severity = q.get("severity"); !severity.empty()) {
    for (model::Severity s : {model::Severity::info, model::Severity::warning, model::Severity::critical}) {
      if (model::to_string(s) == severity) query.severity = s;
    }
    if (!query.severity) {
      return error_response(400, fmt::format("severity: '{}' is not info, warning or critical", severity));
    }
  }
  query.rule = q.get("rule");
  query.unit = q.get("unit");
  auto lease = service_.pool().acquire();
  if (auto* failure = std::get_if<store::DbError>(&lease)) return db_failure(*failure);
  auto page = alert::list_alerts(*std::get<ConnectionPool::Lease>(lease), query);
  if (auto* failure = std::get_if<store::DbError>(&page)) return db_failure(*failure);
  const auto date_or_null = [](const std::optional<model::Date>& d) {
    return d ? json(model::to_string(*d)) : json();
  };
  json list = json::array();
  for (const alert::AlertRecord& a : std::get<alert::AlertPage>(page).alerts) {
    list.push_back({{"fingerprint", a.fingerprint},
                    {"subject", alert::to_string(a.subject)},
                    {"name", a.name},
                    // Tasks have no unit; the store keeps '' there.
                    {"unit", a.unit.empty() ? json() : json(a.unit)},
                    {"state", a.state},
                    {"severity", model::to_string(a.severity)},
                    {"lifecycle", alert::to_string(a.lifecycle)},
                    {"since", model::to_string(a.since)},
                    {"firing_since", date_or_null(a.firing_since)},
                    {"last_notified", date_or_null(a.last_notified)},
                    {"evaluated", model::to_string(a.evaluated)}});
  }
  return json_response(200, {{"alerts", list},
                             {"total", std::get<alert::AlertPage>(page).total},
                             {"offset", *offset},
                             {"limit", *limit}});
}

ApiResponse Api::graph(const ApiRequest& request) {
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
                                          const Evaluation* evaluation) {
  const std::int64_t id = evaluation ? evaluation->id : 0;
  {
    std::lock_guard lock(cache_mutex_);
    if (svg_rules_ == rules && svg_evaluation_ == id) return svg_;
  }
  std::string error;
  std::optional<std::string> svg = render_svg(
      plan_graph_dot(rules->rules, evaluation ? &evaluation->results : nullptr),
      std::chrono::milliseconds(5000), error);
  if (!svg) service_.log().warn("plan graph shown as a list", {{"reason", error}});
  std::lock_guard lock(cache_mutex_);
  svg_rules_ = rules;
  svg_evaluation_ = id;
  svg_ = svg;
  return svg;
}

ApiResponse Api::dashboard(const ApiRequest& request) {
  if (Query q(request, {}); q.error()) return error_response(400, *q.error());
  const std::shared_ptr<const LoadedRules> rules = service_.rules();
  std::shared_ptr<const Evaluation> latest = service_.latest();
  if (latest && latest->rules != rules) latest.reset();
  auto lease = service_.pool().acquire();
  if (auto* error = std::get_if<store::DbError>(&lease)) return db_failure(*error);
  alert::AlertQuery query;
  query.set = alert::AlertQuery::Set::firing;
  query.limit = kDashboardAlerts;
  auto firing = alert::list_alerts(*std::get<ConnectionPool::Lease>(lease), query);
  if (auto* error = std::get_if<store::DbError>(&firing)) return db_failure(*error);
  DashboardData data;
  data.rules = &rules->rules;
  data.snapshot = latest ? &latest->snapshot : nullptr;
  data.results = latest ? &latest->results : nullptr;
  data.alerts = std::move(std::get<alert::AlertPage>(firing).alerts);
  data.alerts_total = static_cast<std::size_t>(std::get<alert::AlertPage>(firing).total);
  data.generated_at = now_text();
  data.graph_svg = graph_svg(rules, latest.get());
  ApiResponse r;
  r.content_type = "text/html; charset=utf-8";
  r.body = render_dashboard(data);
  // Self-contained: nothing from elsewhere may load, even if a rule name slipped through.
  r.headers.emplace_back("Content-Security-Policy",
                         "default-src 'none'; style-src 'unsafe-inline'; img-src data:");
  r.headers.emplace_back("Cache-Control", "no-store");
  return r;
}

// ---------------------------------------------------------------------------------------
// Silences.

ApiResponse Api::silences_get(const ApiRequest& request) {
  Query q(request, {"all"});
  if (q.error()) return error_response(400, *q.error());
  const std::string all = q.get("all");
  if (!all.empty() && all != "true" && all != "false") {
    return error_response(400, fmt::format("all: '{}' is not true or false", all));
  }
  auto lease = service_.pool().acquire();
  if (auto* error = std::get_if<store::DbError>(&lease)) return db_failure(*error);
  auto silences = alert::load_silences(*std::get<ConnectionPool::Lease>(lease), all == "true");
  if (auto* error = std::get_if<store::DbError>(&silences)) return db_failure(*error);
  const std::string now = now_text();
  json list = json::array();
  for (const alert::Silence& s : std::get<std::vector<alert::Silence>>(silences)) {
    if (all != "true" && s.ends_at <= now) continue;
    list.push_back(alert::silence_json(s, now));
  }
  return json_response(200, {{"silences", list}});
}

ApiResponse Api::silences_post(const ApiRequest& request, const RequestFacts& facts) {
  if (Query q(request, {}); q.error()) return error_response(400, *q.error());
  auto parsed = json_body(request, false);
  if (auto* failure = std::get_if<ApiResponse>(&parsed)) return std::move(*failure);
  const json& body = std::get<json>(parsed);
  if (auto failure = only_fields(body, {"matchers", "starts_at", "ends_at", "duration", "author", "comment"})) {
    return *failure;
  }
  alert::SilenceRequest wanted;
  const auto matchers = body.find("matchers");
  if (matchers == body.end() || !matchers->is_array()) {
    return error_response(400, "matchers is a list of strings such as \"rule=smartphone_2022\"");
  }
  for (const json& m : *matchers) {
    if (!m.is_string()) return error_response(400, "matchers is a list of strings such as \"rule=smartphone_2022\"");
    wanted.matchers.push_back(m.get<std::string>());
  }
  std::string error;
  const auto starts = string_field(body, "starts_at", error);
  const auto ends = string_field(body, "ends_at", error);
  const auto duration = string_field(body, "duration", error);
  const auto author = string_field(body, "author", error);
  const auto comment = string_field(body, "comment", error);
  if (!starts || !ends || !duration || !author || !comment) return error_response(400, error);
  wanted.starts = *starts;
  wanted.ends = *ends;
  wanted.duration = *duration;
  wanted.author = author->empty() ? facts.token_id : *author;
  wanted.comment = *comment;
  const std::string now = now_text();
  const std::optional<alert::Silence> silence = alert::make_silence(wanted, now, error);
  if (!silence) {
    // The request's field names: starts_at and ends_at rather than starts and ends.
    if (error.rfind("starts:", 0) == 0 || error.rfind("ends:", 0) == 0) {
      error.insert(error.find(':'), "_at");
    } else if (error.rfind("match:", 0) == 0) {
      error.replace(0, 5, "matchers");
    } else if (error.rfind("duration: give exactly one of ends and", 0) == 0) {
      error.replace(error.find("ends"), 4, "ends_at");
    }
    return error_response(400, error);
  }
  auto lease = service_.pool().acquire();
  if (auto* failure = std::get_if<store::DbError>(&lease)) return db_failure(*failure);
  auto id = alert::add_silence(*std::get<ConnectionPool::Lease>(lease), *silence);
  if (auto* failure = std::get_if<store::DbError>(&id)) return db_failure(*failure);
  const std::optional<std::int64_t> added = std::get<std::optional<std::int64_t>>(id);
  if (!added) {
    return error_response(409, fmt::format("{} silences are in effect or still to come; expire "
                                           "one (DELETE /api/v1/silences/ID) before adding another",
                                           alert::kMaxLiveSilences));
  }
  alert::Silence stored = *silence;
  stored.id = *added;
  service_.log().info("silence added", {{"id", stored.id}, {"token", facts.token_id}, {"ends_at", stored.ends_at}});
  ApiResponse r = json_response(201, alert::silence_json(stored, now));
  r.headers.emplace_back("Location", fmt::format("/api/v1/silences/{}", stored.id));
  return r;
}

ApiResponse Api::silences_delete(const ApiRequest& request, std::string_view id_text) {
  if (Query q(request, {}); q.error()) return error_response(400, *q.error());
  const auto id = parse_id(id_text);
  if (!id) return error_response(404, fmt::format("no silence '{}'", id_text));
  auto lease = service_.pool().acquire();
  if (auto* failure = std::get_if<store::DbError>(&lease)) return db_failure(*failure);
  auto expired = alert::expire_silence(*std::get<ConnectionPool::Lease>(lease), *id, now_text());
  if (auto* failure = std::get_if<store::DbError>(&expired)) return db_failure(*failure);
  if (!std::get<bool>(expired)) {
    return error_response(404, fmt::format("no silence {} in effect (unknown, or already ended)", *id));
  }
  return json_response(200, {{"id", *id}, {"status", "expired"}});
}

// ---------------------------------------------------------------------------------------
// Evaluations, status, reload.

ApiResponse Api::evaluate(const ApiRequest& request, const RequestFacts& facts) {
  if (Query q(request, {}); q.error()) return error_response(400, *q.error());
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
      return error_response(
          400, fmt::format("at: '{}' is not a date YYYY-MM-DD from {}", *at_text,
                           model::supported_years()));
    }
    // Refused here rather than when the run starts, so that the client hears of it; the
    // ledger refuses it again, whatever queued it.
    if (auto refused = alert::run_date_error(*at, service_.run_date_limit())) {
      return error_response(400, "at: " + refused->message);
    }
  }
  if (service_.stopping()) return error_response(503, "the service is stopping");
  if (at) {
    // A run before the ledger's date would fail when it starts: say so now, and how to
    // look at that date instead. (Another request may still move the ledger on before the
    // run starts; the ledger refuses the run then.)
    auto lease = service_.pool().acquire();
    if (auto* failure = std::get_if<store::DbError>(&lease)) return db_failure(*failure);
    auto latest = alert::ledger_date(*std::get<ConnectionPool::Lease>(lease));
    if (auto* failure = std::get_if<store::DbError>(&latest)) return db_failure(*failure);
    if (const auto& date = std::get<std::optional<model::Date>>(latest); date && *date > *at) {
      return error_response(
          409, fmt::format("at: the alerts were last evaluated at {}; a run at {} would rewind "
                           "them. Look at that date with GET /api/v1/results?at={}, which "
                           "records nothing; to record it anyway, the operator runs `tiendo "
                           "ledger rewind --to {}` first",
                           model::to_string(*date), model::to_string(*at), model::to_string(*at),
                           model::to_string(*at)));
    }
  }
  auto id = service_.request_evaluation(at, facts.token_id);
  if (auto* failure = std::get_if<store::DbError>(&id)) return db_failure(*failure);
  if (!std::get<std::optional<std::int64_t>>(id)) {
    ApiResponse full = error_response(
        429, fmt::format("{} requested evaluations are waiting already; ask again when they have "
                         "run (GET /api/v1/runs)",
                         Service::kMaxQueuedRequests));
    full.headers.emplace_back("Retry-After", "60");
    return full;
  }
  const std::int64_t run_id = *std::get<std::optional<std::int64_t>>(id);
  ApiResponse r = json_response(202, {{"id", run_id}, {"state", "queued"},
                                      {"href", fmt::format("/api/v1/runs/{}", run_id)}});
  r.headers.emplace_back("Location", fmt::format("/api/v1/runs/{}", run_id));
  return r;
}

ApiResponse Api::run(const ApiRequest& request, std::string_view id_text) {
  if (Query q(request, {}); q.error()) return error_response(400, *q.error());
  const auto id = parse_id(id_text);
  if (!id) return error_response(404, fmt::format("no run '{}'", id_text));
  auto found = service_.evaluation(*id);
  if (auto* failure = std::get_if<store::DbError>(&found)) return db_failure(*failure);
  const auto& record = std::get<std::optional<EvaluationRecord>>(found);
  if (!record) return error_response(404, fmt::format("no run {}", *id));
  return json_response(200, evaluation_json(*record));
}

ApiResponse Api::units(const ApiRequest& request) {
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
  auto lease = service_.pool().acquire();
  if (auto* failure = std::get_if<store::DbError>(&lease)) return db_failure(*failure);
  auto found = store::stored_units(*std::get<ConnectionPool::Lease>(lease), query);
  if (auto* failure = std::get_if<store::DbError>(&found)) return db_failure(*failure);
  const store::UnitPage& page = std::get<store::UnitPage>(found);
  json list = json::array();
  for (const store::StoredUnit& u : page.units) {
    list.push_back({{"id", u.id},
                    {"name", u.name},
                    {"level", u.level},
                    {"parent", u.parent.empty() ? json() : json(u.parent)},
                    {"labels", u.labels}});
  }
  return json_response(200, {{"units", list},
                             {"total", page.total},
                             {"offset", *offset},
                             {"limit", *limit}});
}

ApiResponse Api::runs(const ApiRequest& request) {
  Query q(request, {"limit"});
  if (q.error()) return error_response(400, *q.error());
  std::string error;
  const auto limit = q.number("limit", 20, 1, 1000, error);
  if (!limit) return error_response(400, error);
  auto found = service_.evaluations(*limit);
  if (auto* failure = std::get_if<store::DbError>(&found)) return db_failure(*failure);
  json list = json::array();
  for (const EvaluationRecord& e : std::get<std::vector<EvaluationRecord>>(found)) {
    list.push_back(evaluation_json(e));
  }
  return json_response(200, {{"runs", list}});
}

namespace {
json rules_status_json(const RulesStatus& s) {
  return {{"ok", s.ok},         {"attempted_at", s.attempted_at}, {"loaded_at", s.loaded_at},
          {"errors", s.errors}, {"rules", s.rules},               {"tasks", s.tasks},
          {"plans", s.plans}};
}
}  // namespace

ApiResponse Api::status(const ApiRequest& request) {
  if (Query q(request, {}); q.error()) return error_response(400, *q.error());
  const ServiceConfig& config = service_.config();
  const auto next = service_.next_scheduled();
  json body = {{"version", "0.1.0"},
               {"started_at", service_.started_at()},
               {"now", now_text()},
               {"today", model::to_string(service_.today())},
               {"time_zone", config.time_zone},
               {"rules", rules_status_json(service_.rules_status())},
               {"schedule",
                {{"cron", config.schedule.text()},
                 {"time_zone", config.schedule_time_zone},
                 {"next_run", next ? json(model::format_utc(*next)) : json()}}},
               {"data_changes", service_.data_generation()}};
  auto recent = service_.evaluations(1);
  if (auto* failure = std::get_if<store::DbError>(&recent)) return db_failure(*failure);
  const auto& list = std::get<std::vector<EvaluationRecord>>(recent);
  body["last_run"] = list.empty() ? json() : evaluation_json(list.front());
  const std::shared_ptr<const Evaluation> latest = service_.latest();
  body["last_successful_run"] =
      latest ? json{{"id", latest->id}, {"at", model::to_string(latest->results.at)},
                    {"finished_at", latest->finished_at}}
             : json();
  auto lease = service_.pool().acquire();
  if (auto* failure = std::get_if<store::DbError>(&lease)) return db_failure(*failure);
  store::Statement q = std::get<ConnectionPool::Lease>(lease)->prepare(
      "SELECT (SELECT count(*) FROM outbox WHERE state = 'pending'), "
      "(SELECT count(*) FROM outbox WHERE state = 'dead'), "
      "(SELECT count(*) FROM evaluations WHERE state = 'queued')");
  if (!q.step()) return db_failure(q.error().value_or(store::DbError{"no answer"}));
  body["outbox"] = {{"pending", q.column_int(0)}, {"dead", q.column_int(1)}};
  body["queued_runs"] = q.column_int(2);
  return json_response(200, body);
}

ApiResponse Api::reload(const ApiRequest& request, const RequestFacts& facts) {
  if (Query q(request, {}); q.error()) return error_response(400, *q.error());
  if (!request.body.empty()) return error_response(400, "reload takes no body");
  const RulesStatus status = service_.reload("api:" + facts.token_id);
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

// Alerts and silences: GET /api/v1/alerts, GET and POST /api/v1/silences, DELETE
// /api/v1/silences/{id}.
#include <fmt/format.h>

#include "alert/ledger.hpp"
#include "service/api/support.hpp"
#include "util/result.hpp"

namespace tiendo::service {

using namespace api;

namespace {

// The alerts query from the request's parameters (by default the open alerts, as the
// committee wants them); the refusal when a parameter is not one of its values.
std::variant<alert::AlertQuery, ApiResponse> alert_query(const Query& q, std::size_t offset,
                                                         std::size_t limit) {
  alert::AlertQuery query;
  query.offset = offset;
  query.limit = limit;
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
    return error_response(400, fmt::format("lifecycle: '{}' is not open, pending, firing, "
                                           "resolved or all",
                                           lifecycle));
  }
  query.set = set->second;
  if (const std::string severity = q.get("severity"); !severity.empty()) {
    for (model::Severity s :
         {model::Severity::info, model::Severity::warning, model::Severity::critical}) {
      if (model::to_string(s) == severity) query.severity = s;
    }
    if (!query.severity) {
      return error_response(
          400, fmt::format("severity: '{}' is not info, warning or critical", severity));
    }
  }
  query.rule = q.get("rule");
  query.unit = q.get("unit");
  return query;
}

json alert_json(const alert::AlertRecord& a) {
  const auto date_or_null = [](const std::optional<model::Date>& d) {
    return d ? json(model::to_string(*d)) : json();
  };
  return {{"fingerprint", a.fingerprint},
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
          {"evaluated", model::to_string(a.evaluated)}};
}

// The silence a POST body asks for; the refusal when a field is missing or of the wrong
// kind.
std::variant<alert::SilenceRequest, ApiResponse> silence_request(const json& body,
                                                                 const RequestFacts& facts) {
  if (auto failure = only_fields(
          body, {"matchers", "starts_at", "ends_at", "duration", "author", "comment"})) {
    return *failure;
  }
  alert::SilenceRequest wanted;
  const auto matchers = body.find("matchers");
  if (matchers == body.end() || !matchers->is_array()) {
    return error_response(400, "matchers is a list of strings such as \"rule=smartphone_2022\"");
  }
  for (const json& m : *matchers) {
    if (!m.is_string()) {
      return error_response(400, "matchers is a list of strings such as \"rule=smartphone_2022\"");
    }
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
  return wanted;
}

// make_silence's message in the request's field names: starts_at and ends_at rather than
// starts and ends, matchers rather than match.
std::string in_request_terms(std::string error) {
  if (error.rfind("starts:", 0) == 0 || error.rfind("ends:", 0) == 0) {
    error.insert(error.find(':'), "_at");
  } else if (error.rfind("match:", 0) == 0) {
    error.replace(0, 5, "matchers");
  } else if (error.rfind("duration: give exactly one of ends and", 0) == 0) {
    error.replace(error.find("ends"), 4, "ends_at");
  }
  return error;
}

}  // namespace

// The alerts by lifecycle, severity, rule and unit, a page at a time.
ApiResponse Api::alerts(const ApiRequest& request, const RouteCall&) {
  Query q(request, {"lifecycle", "severity", "rule", "unit", "offset", "limit"});
  if (q.error()) return error_response(400, *q.error());
  std::string error;
  const auto offset = q.number("offset", 0, 0, static_cast<std::size_t>(1) << 40, error);
  const auto limit = q.number("limit", 100, 1, 10000, error);
  if (!offset || !limit) return error_response(400, error);
  auto query = alert_query(q, *offset, *limit);
  if (auto* refused = std::get_if<ApiResponse>(&query)) return std::move(*refused);
  const alert::AlertQuery& asked = std::get<alert::AlertQuery>(query);
  // The answer made at the alerts' present version, when one was (one row read instead of
  // the page's and its JSON).
  store::AlertListingVersion version;
  {
    // Not held while waiting for another request's answer below: the store's connections
    // are the other requests' meanwhile.
    TIENDO_ASSIGN_OR_ELSE(auto lease, service_.pool().acquire(), db_failure);
    TIENDO_ASSIGN_OR_ELSE(version, store::alert_listing_version(*lease), db_failure);
  }
  std::string key =
      fmt::format("{}\n{}\n{}\n{}\n", static_cast<int>(asked.set),
                  asked.severity ? model::to_string(*asked.severity) : "", *offset, *limit);
  key.append(asked.rule).append(1, '\0').append(asked.unit);
  // Requests for this page at this version wait for the one making it (kListingWait at
  // most); the turn is let go, the answer kept or not, when this function returns.
  ListingCache::Turn turn;
  if (const auto kept = alert_listings_.find_or_make(key, version, kListingWait, turn)) {
    ApiResponse r;
    r.body = *kept;
    return r;
  }
  TIENDO_ASSIGN_OR_ELSE(auto lease, service_.pool().acquire(), db_failure);
  TIENDO_ASSIGN_OR_ELSE(const alert::AlertPage page,
                        alert::list_alerts(*lease, asked, &service_.alert_counts()), db_failure);
  json list = json::array();
  for (const alert::AlertRecord& a : page.alerts) list.push_back(alert_json(a));
  ApiResponse r = json_response(
      200, {{"alerts", list}, {"total", page.total}, {"offset", *offset}, {"limit", *limit}});
  alert_listings_.keep(key, version, r.body);
  return r;
}

// The silences in effect or to come; with all=true, the ended ones too.
ApiResponse Api::silences_get(const ApiRequest& request, const RouteCall&) {
  Query q(request, {"all"});
  if (q.error()) return error_response(400, *q.error());
  const std::string all = q.get("all");
  if (!all.empty() && all != "true" && all != "false") {
    return error_response(400, fmt::format("all: '{}' is not true or false", all));
  }
  TIENDO_ASSIGN_OR_ELSE(auto lease, service_.pool().acquire(), db_failure);
  TIENDO_ASSIGN_OR_ELSE(const std::vector<alert::Silence> silences,
                        alert::load_silences(*lease, all == "true"), db_failure);
  const std::string now = service_.now_text();
  json list = json::array();
  for (const alert::Silence& s : silences) {
    if (all != "true" && s.ends_at <= now) continue;
    list.push_back(alert::silence_json(s, now));
  }
  return json_response(200, {{"silences", list}});
}

// A new silence: 201 with its Location, or 409 when the live silences are at their cap.
ApiResponse Api::silences_post(const ApiRequest& request, const RouteCall& call) {
  if (Query q(request, {}); q.error()) return error_response(400, *q.error());
  auto parsed = json_body(request, false);
  if (auto* failure = std::get_if<ApiResponse>(&parsed)) return std::move(*failure);
  auto wanted = silence_request(std::get<json>(parsed), call.facts);
  if (auto* failure = std::get_if<ApiResponse>(&wanted)) return std::move(*failure);
  std::string error;
  const std::string now = service_.now_text();
  const std::optional<alert::Silence> silence =
      alert::make_silence(std::get<alert::SilenceRequest>(wanted), now, error);
  if (!silence) return error_response(400, in_request_terms(std::move(error)));
  TIENDO_ASSIGN_OR_ELSE(auto lease, service_.pool().acquire(), db_failure);
  TIENDO_ASSIGN_OR_ELSE(const std::optional<std::int64_t> added,
                        alert::add_silence(*lease, *silence), db_failure);
  if (!added) {
    return error_response(409, fmt::format("{} silences are in effect or still to come; expire "
                                           "one (DELETE /api/v1/silences/ID) before adding another",
                                           alert::kMaxLiveSilences));
  }
  alert::Silence stored = *silence;
  stored.id = *added;
  service_.log().info(
      "silence added",
      {{"id", stored.id}, {"token", call.facts.token_id}, {"ends_at", stored.ends_at}});
  ApiResponse r = json_response(201, alert::silence_json(stored, now));
  r.headers.emplace_back("Location", fmt::format("/api/v1/silences/{}", stored.id));
  return r;
}

// Ends a silence now; 404 when there is none in effect with that id.
ApiResponse Api::silences_delete(const ApiRequest& request, const RouteCall& call) {
  if (Query q(request, {}); q.error()) return error_response(400, *q.error());
  const auto id = parse_id(call.id);
  if (!id) return error_response(404, fmt::format("no silence '{}'", call.id));
  TIENDO_ASSIGN_OR_ELSE(auto lease, service_.pool().acquire(), db_failure);
  TIENDO_ASSIGN_OR_ELSE(const bool expired, alert::expire_silence(*lease, *id, service_.now_text()),
                        db_failure);
  if (!expired) {
    return error_response(404,
                          fmt::format("no silence {} in effect (unknown, or already ended)", *id));
  }
  return json_response(200, {{"id", *id}, {"status", "expired"}});
}

}  // namespace tiendo::service

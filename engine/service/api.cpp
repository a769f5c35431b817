#include "service/api.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "service/api/support.hpp"
#include "util/cores.hpp"
#include "util/text.hpp"

namespace tiendo::service {

namespace {

using api::json_response;
using util::trim;

std::string_view reason_of(int status) {
  switch (status) {
    case 400:
      return "bad_request";
    case 401:
      return "unauthorized";
    case 403:
      return "forbidden";
    case 404:
      return "not_found";
    case 405:
      return "method_not_allowed";
    case 408:
      return "request_timeout";
    case 409:
      return "conflict";
    case 410:
      return "gone";
    case 413:
      return "payload_too_large";
    case 414:
      return "uri_too_long";
    case 415:
      return "unsupported_media_type";
    case 422:
      return "unprocessable_entity";
    case 429:
      return "too_many_requests";
    case 431:
      return "header_fields_too_large";
    case 500:
      return "internal_error";
    case 503:
      return "unavailable";
    default:
      return status < 500 ? "client_error" : "server_error";
  }
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

}  // namespace

std::optional<std::string_view> ApiRequest::header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (iequals(key, name)) return std::string_view(value);
  }
  return std::nullopt;
}

ApiResponse error_response(int status, std::string_view message) {
  return json_response(status,
                       {{"status", status}, {"error", reason_of(status)}, {"message", message}});
}

// The committee's pages run kPageNice above the handlers (the runner and the dashboard's
// warmer Service::kBackgroundNice): one thread for each core the service may use.
constexpr int kPageNice = 5;

Api::Api(Service& service) : service_(service), pages_(util::usable_cores(), kPageNice) {}

// ---------------------------------------------------------------------------------------
// Routing and authentication.

// docs/api.md and docs/openapi.yaml list the same routes.
const Api::Route Api::kRoutes[] = {
    {"GET", "/", &Api::dashboard},
    {"GET", "/rules/{rule}", &Api::rule_page},
    {"GET", "/units/{id}", &Api::unit_page},
    {"GET", "/healthz", &Api::healthz},
    {"GET", "/readyz", &Api::readyz},
    {"GET", "/metrics", &Api::metrics},
    {"POST", "/api/v1/observations", &Api::observations},
    {"POST", "/api/v1/task-status", &Api::task_status},
    {"GET", "/api/v1/results", &Api::results},
    {"GET", "/api/v1/units", &Api::units},
    {"GET", "/api/v1/alerts", &Api::alerts},
    {"GET", "/api/v1/silences", &Api::silences_get},
    {"POST", "/api/v1/silences", &Api::silences_post},
    {"DELETE", "/api/v1/silences/{id}", &Api::silences_delete},
    {"POST", "/api/v1/evaluate", &Api::evaluate},
    {"GET", "/api/v1/runs", &Api::runs},
    {"GET", "/api/v1/runs/{id}", &Api::run},
    {"GET", "/api/v1/graph", &Api::graph},
    {"GET", "/api/v1/status", &Api::status},
    {"POST", "/api/v1/reload", &Api::reload},
    {"GET", "/editor", &Api::editor_page},
    {"GET", "/assets/rule-editor.js", &Api::editor_script},
    {"GET", "/api/v1/rules/versions", &Api::rule_versions},
    {"POST", "/api/v1/rules/versions", &Api::rule_save},
    {"GET", "/api/v1/rules/versions/{id}", &Api::rule_version},
    {"POST", "/api/v1/rules/versions/{id}/restore", &Api::rule_restore},
    {"POST", "/api/v1/rules/check", &Api::rule_check},
    {"POST", "/api/v1/rules/format", &Api::rule_format},
    {"POST", "/api/v1/rules/preview", &Api::rule_preview},
};

namespace {

// "..", "." and "//" never name a resource here; say so rather than normalising them.
std::optional<ApiResponse> path_error(const std::string& path) {
  if (path.empty() || path.front() != '/' || path.find('\0') != std::string::npos) {
    return error_response(400, "the path must start with '/'");
  }
  for (std::size_t start = 1; start <= path.size();) {
    const std::size_t end = std::min(path.find('/', start), path.size());
    const std::string_view segment(path.data() + start, end - start);
    if (segment == ".." || segment == "." || (segment.empty() && end < path.size())) {
      return error_response(400, "the path has '.', '..' or an empty segment");
    }
    start = end + 1;
  }
  return std::nullopt;
}

// Matches `path` against `pattern`; the `{id}` segment's text goes to `id`.
bool matches(std::string_view pattern, std::string_view path, std::string_view& id) {
  const std::size_t brace = pattern.find('{');
  if (brace == std::string_view::npos) return pattern == path;
  if (path.substr(0, brace) != pattern.substr(0, brace)) return false;
  // What follows "{id}" in the pattern ("/restore"), which the path must end with.
  const std::string_view suffix = pattern.substr(pattern.find('}', brace) + 1);
  std::string_view rest = path.substr(std::min(brace, path.size()));
  if (!rest.ends_with(suffix)) return false;
  rest.remove_suffix(suffix.size());
  if (rest.empty() || rest.find('/') != std::string_view::npos) return false;
  id = rest;
  return true;
}

// 404 when no route has the path; 405 with Allow when routes have it for other methods.
ApiResponse no_route(const ApiRequest& request, const std::vector<std::string_view>& allowed) {
  if (allowed.empty()) return error_response(404, fmt::format("no such path: {}", request.path));
  std::string list;
  for (std::string_view m : allowed) list += (list.empty() ? "" : ", ") + std::string(m);
  ApiResponse r = error_response(405, fmt::format("{} takes {}", request.path, list));
  r.headers.emplace_back("Allow", list);
  return r;
}

Scope scope_of(std::string_view method, std::string_view pattern) {
  if (pattern == "/api/v1/reload") return Scope::admin;
  if (pattern.starts_with("/api/v1/rules/")) return Scope::rules;
  return method == "GET" ? Scope::read : Scope::write;
}

// The bearer token's check: 401 without a valid token, 403 without the scope the route
// needs; nullopt (and the token's id in `facts`) when the request may go on.
std::optional<ApiResponse> refusal(const TokenTable& tokens, const ApiRequest& request,
                                   Scope needed, RequestFacts& facts) {
  const auto authorization = request.header("Authorization");
  std::string_view presented;
  if (authorization && authorization->size() > 7 &&
      iequals(authorization->substr(0, 7), "Bearer ")) {
    presented = trim(authorization->substr(7));
  }
  if (presented.empty()) {
    ApiResponse r = error_response(
        401, authorization ? "the Authorization header is not 'Bearer <token>'"
                           : "this needs a token: send 'Authorization: Bearer <token>'");
    r.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"tiendo\"");
    return r;
  }
  const Token* token = tokens.authenticate(presented);
  if (!token) {
    ApiResponse r = error_response(401, "the token is not valid");
    r.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"tiendo\", error=\"invalid_token\"");
    return r;
  }
  facts.token_id = token->id;
  if (!grants(token->scope, needed)) {
    ApiResponse r =
        error_response(403, fmt::format("this needs the {} scope; token '{}' has {}",
                                        to_string(needed), token->id, to_string(token->scope)));
    r.headers.emplace_back("WWW-Authenticate",
                           fmt::format("Bearer realm=\"tiendo\", error=\"insufficient_scope\", "
                                       "scope=\"{}\"",
                                       to_string(needed)));
    return r;
  }
  return std::nullopt;
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

// Walks the route table: the first route with the path and the method (HEAD as GET)
// answers, after the token check.
ApiResponse Api::dispatch(const ApiRequest& request, RequestFacts& facts) {
  facts.route = "unmatched";
  if (auto refused = path_error(request.path)) return std::move(*refused);

  std::string_view id;
  std::vector<std::string_view> allowed;
  const Route* matched = nullptr;
  for (const Route& route : kRoutes) {
    std::string_view found;
    if (!matches(route.pattern, request.path, found)) continue;
    if (route.method == request.method || (route.method == "GET" && request.method == "HEAD")) {
      matched = &route;
      id = found;
      break;
    }
    allowed.push_back(route.method);
  }
  if (!matched) return no_route(request, allowed);
  facts.route = std::string(matched->pattern);

  // Authentication, for everything but the probes (and the dashboard when public).
  // The rule editor's page and script hold nothing of the rule set or the data (the page
  // asks the staff member for their own token, which every call it makes carries): a
  // browser loads them without a token, wherever a proxy puts one.
  const bool open = matched->pattern == "/healthz" || matched->pattern == "/readyz" ||
                    matched->pattern == "/editor" || matched->pattern == "/assets/rule-editor.js" ||
                    ((matched->pattern == "/" || matched->pattern == "/rules/{rule}" ||
                      matched->pattern == "/units/{id}") &&
                     service_.config().dashboard_public);
  if (!open) {
    const Scope needed = scope_of(matched->method, matched->pattern);
    if (auto refused = refusal(*service_.tokens(), request, needed, facts)) {
      return std::move(*refused);
    }
  }

  const auto handle_route = [&] {
    return (this->*(matched->handler))(request, RouteCall{id, facts});
  };
  const bool page = matched->pattern == "/" || matched->pattern == "/rules/{rule}" ||
                    matched->pattern == "/units/{id}";
  ApiResponse response = page ? pages_.run(handle_route) : handle_route();
  if (request.method == "HEAD") response.body.clear();
  return response;
}

}  // namespace tiendo::service

#include "service/api/support.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>

#include "util/text.hpp"

namespace tiendo::service::api {

namespace {

std::string dump(const json& value) {
  return value.dump(2, ' ', false, json::error_handler_t::replace);
}

}  // namespace

ApiResponse json_response(int status, const json& body) {
  ApiResponse r;
  r.status = status;
  r.body = dump(body) + "\n";
  return r;
}

Query::Query(const ApiRequest& request, std::initializer_list<std::string_view> known) {
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

std::string Query::get(const std::string& name) const {
  const auto it = values_.find(name);
  return it == values_.end() ? std::string() : it->second;
}

std::optional<std::size_t> Query::number(const std::string& name, std::size_t fallback,
                                         std::size_t low, std::size_t high,
                                         std::string& error) const {
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

std::variant<model::Language, ApiResponse> language_param(const Query& q) {
  const std::string lang = q.has("lang") ? q.get("lang") : std::string("vi");
  if (lang != "vi" && lang != "en") {
    return error_response(400, fmt::format("lang: '{}' is not 'vi' or 'en'", lang));
  }
  return lang == "en" ? model::Language::en : model::Language::vi;
}

std::variant<std::string, ApiResponse> media_type(const ApiRequest& request) {
  const std::string_view type = request.header("Content-Type").value_or("");
  const std::size_t semicolon = type.find(';');
  const std::string parameters = semicolon == std::string_view::npos
                                     ? std::string()
                                     : util::ascii_lower(util::trim(type.substr(semicolon + 1)));
  if (!parameters.empty() && parameters != "charset=utf-8" && parameters != "charset=\"utf-8\"") {
    return error_response(415, fmt::format("only UTF-8 is taken, not '{}'", parameters));
  }
  return util::ascii_lower(util::trim(type.substr(0, semicolon)));
}

std::string content_type_text(const ApiRequest& request) {
  const std::string_view type = request.header("Content-Type").value_or("");
  return type.empty() ? "(no Content-Type)" : std::string(type);
}

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

std::optional<ApiResponse> only_fields(const json& body,
                                       std::initializer_list<std::string_view> known) {
  for (const auto& [key, value] : body.items()) {
    if (std::find(known.begin(), known.end(), key) != known.end()) continue;
    std::string list;
    for (std::string_view k : known) list += (list.empty() ? "" : ", ") + std::string(k);
    return error_response(400, fmt::format("unknown field '{}' (known: {})", key, list));
  }
  return std::nullopt;
}

std::optional<std::string> string_field(const json& body, std::string_view key,
                                        std::string& error) {
  const auto it = body.find(key);
  if (it == body.end() || it->is_null()) return std::string();
  if (!it->is_string()) {
    error = fmt::format("{} is a string", key);
    return std::nullopt;
  }
  return it->get<std::string>();
}

ApiResponse db_failure(const store::DbError& error) {
  // A busy database (a long run holding the write lock) is worth a retry; anything else
  // is the server's problem, not the client's.
  const bool busy = error.message.find("locked") != std::string::npos ||
                    error.message.find("busy") != std::string::npos;
  ApiResponse r = error_response(busy ? 503 : 500, "database: " + error.message);
  if (busy) r.headers.emplace_back("Retry-After", "5");
  return r;
}

ApiResponse catching_up() {
  ApiResponse r = error_response(503,
                                 "this service is loading the store's latest evaluation; another "
                                 "service can answer now, or this one in a few seconds");
  r.headers.emplace_back("Retry-After", "5");
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

}  // namespace tiendo::service::api

// What the API's handlers share (service/api/*.cpp; the routing is service/api.cpp): JSON
// responses, the query and body checks every handler makes first, the database failure's
// answer. Private to the API.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "service/api.hpp"

namespace tiendo::service::api {

using json = nlohmann::json;

ApiResponse json_response(int status, const json& body);

// The query parameters a route takes: any other, or one given twice, is an error.
class Query {
 public:
  Query(const ApiRequest& request, std::initializer_list<std::string_view> known);
  const std::optional<std::string>& error() const { return error_; }
  std::string get(const std::string& name) const;
  bool has(const std::string& name) const { return values_.count(name) != 0; }

  // A whole number in [low, high]; `fallback` when absent.
  std::optional<std::size_t> number(const std::string& name, std::size_t fallback, std::size_t low,
                                    std::size_t high, std::string& error) const;

 private:
  std::map<std::string, std::string> values_;
  std::optional<std::string> error_;
};

// ?lang=: vi (the default) or en (the pages, the rule editor's preview); an error
// response for anything else.
std::variant<model::Language, ApiResponse> language_param(const Query& q);

// The media type of the request's Content-Type, lower-cased; 415 when the type declares a
// charset other than UTF-8 (JSON is UTF-8, and so is the CSV the store reads).
std::variant<std::string, ApiResponse> media_type(const ApiRequest& request);

// The Content-Type as sent, for messages.
std::string content_type_text(const ApiRequest& request);

// The body as a JSON object, after checking the content type; an error response else.
std::variant<json, ApiResponse> json_body(const ApiRequest& request, bool optional);

// Every key of `body` must be one of `known`.
std::optional<ApiResponse> only_fields(const json& body,
                                       std::initializer_list<std::string_view> known);

// A string field: empty when absent or null; nullopt (and `error`) when not a string.
std::optional<std::string> string_field(const json& body, std::string_view key, std::string& error);

// 503 with Retry-After for a busy database, 500 for anything else.
ApiResponse db_failure(const store::DbError& error);
// 503 with Retry-After: a page whose evaluation this service is still loading from the
// store (Service::catching_up).
ApiResponse catching_up();

json evaluation_json(const EvaluationRecord& e);

// A resource id: a whole number from 1.
std::optional<std::int64_t> parse_id(std::string_view text);

}  // namespace tiendo::service::api

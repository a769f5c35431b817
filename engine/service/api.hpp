// The HTTP API's handlers, apart from any HTTP library: a request in, a response out.
// http_server.cpp connects them to cpp-httplib; the fuzz target and the tests call them
// directly. Every error is a JSON body {"status", "error", "message"} with a 4xx/5xx
// status, and a request that fails writes nothing. See docs/api.md.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "service/service.hpp"

namespace tiendo::service {

struct ApiRequest {
  std::string method;  // GET, POST, DELETE, …
  std::string path;    // decoded, without the query
  std::vector<std::pair<std::string, std::string>> query;    // decoded, in order
  std::vector<std::pair<std::string, std::string>> headers;  // names in any case
  std::string body;

  // The header's value (names compare without case); nullopt when absent.
  std::optional<std::string_view> header(std::string_view name) const;
};

struct ApiResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

// What the request log and the metrics say of a request besides its method and path.
struct RequestFacts {
  std::string route;     // the route pattern matched ("/api/v1/runs/{id}"), or "unmatched"
  std::string token_id;  // the token's id when one was accepted
};

// A JSON error response.
ApiResponse error_response(int status, std::string_view message);

class Api {
 public:
  explicit Api(Service& service) : service_(service) {}

  ApiResponse handle(const ApiRequest& request, RequestFacts& facts);

 private:
  struct Route;
  ApiResponse dispatch(const ApiRequest& request, RequestFacts& facts);

  ApiResponse healthz(const ApiRequest& request);
  ApiResponse readyz(const ApiRequest& request);
  ApiResponse metrics(const ApiRequest& request);
  ApiResponse dashboard(const ApiRequest& request);
  ApiResponse ingest(const ApiRequest& request, const RequestFacts& facts, bool observations);
  ApiResponse results(const ApiRequest& request);
  ApiResponse alerts(const ApiRequest& request);
  ApiResponse silences_get(const ApiRequest& request);
  ApiResponse silences_post(const ApiRequest& request, const RequestFacts& facts);
  ApiResponse silences_delete(const ApiRequest& request, std::string_view id);
  ApiResponse evaluate(const ApiRequest& request, const RequestFacts& facts);
  ApiResponse run(const ApiRequest& request, std::string_view id);
  ApiResponse units(const ApiRequest& request);
  ApiResponse runs(const ApiRequest& request);
  ApiResponse graph(const ApiRequest& request);
  ApiResponse status(const ApiRequest& request);
  ApiResponse reload(const ApiRequest& request, const RequestFacts& facts);

  // An evaluation on demand (GET /results?at=, or before the first run), on the data
  // as it is now; the last one is kept while the rules and the data are unchanged.
  struct OnDemand {
    std::shared_ptr<const LoadedRules> rules;
    std::int64_t data_generation = -1;
    model::Date at;
    std::shared_ptr<const Evaluation> evaluation;
  };
  std::variant<std::shared_ptr<const Evaluation>, ApiResponse> evaluation_at(
      std::optional<model::Date> at);

  // The plan graph's SVG for the dashboard, made once per rule set and evaluation.
  std::optional<std::string> graph_svg(const std::shared_ptr<const LoadedRules>& rules,
                                       const Evaluation* evaluation);

  Service& service_;
  std::mutex cache_mutex_;
  OnDemand on_demand_;
  std::shared_ptr<const LoadedRules> svg_rules_;
  std::int64_t svg_evaluation_ = -1;
  std::optional<std::string> svg_;
};

}  // namespace tiendo::service

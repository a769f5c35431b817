// The HTTP API's handlers, apart from any HTTP library: a request in, a response out.
// One route table (api.cpp) names each route's handler (service/api/*.cpp by resource);
// http_server.cpp connects them to Boost.Beast; the fuzz target and the tests call them
// directly. Every error is a JSON body {"status", "error", "message"} with a 4xx/5xx
// status, and a request that fails writes nothing. See docs/api.md.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "service/listing_cache.hpp"
#include "service/page_pool.hpp"
#include "service/service.hpp"
#include "store/runs.hpp"

namespace tiendo::service {

struct ApiRequest {
  std::string method;                                        // GET, POST, DELETE, …
  std::string path;                                          // decoded, without the query
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
  explicit Api(Service& service);
  ~Api() { stop_warming(); }
  Api(const Api&) = delete;
  Api& operator=(const Api&) = delete;

  ApiResponse handle(const ApiRequest& request, RequestFacts& facts);

  // Makes the dashboard's slow parts — the plan graph's SVG in each language (Graphviz
  // takes seconds on thousands of tasks) and what changed since the run before (a pass
  // over every stored result) — after each evaluation, on a thread of its own, so that no
  // request waits for them. Until the drawing of the latest evaluation is made, the
  // dashboard shows the one made before for the same rules (its colours a run old).
  // `tiendo serve` starts it; without it, the first request after a run makes them.
  void start_warming();
  // Stops it, after what it is making (a drawing is bounded by its 5 s time limit).
  void stop_warming();

 private:
  // What a route's handler is given besides the request.
  struct RouteCall {
    std::string_view id;  // the `{id}` segment, for the routes that have one
    const RequestFacts& facts;
  };
  using Handler = ApiResponse (Api::*)(const ApiRequest&, const RouteCall&);
  // One route: a method, a path pattern ("{id}" stands for one path segment) and the
  // handler that answers it. A GET route answers HEAD too.
  struct Route {
    std::string_view method;
    std::string_view pattern;
    Handler handler;
  };
  // The routes, in the order they are tried (api.cpp).
  static const Route kRoutes[];

  ApiResponse dispatch(const ApiRequest& request, RequestFacts& facts);

  // The handlers, by resource: service/api/probes.cpp, data.cpp, results.cpp, alerts.cpp,
  // runs.cpp.
  ApiResponse healthz(const ApiRequest& request, const RouteCall& call);
  ApiResponse readyz(const ApiRequest& request, const RouteCall& call);
  ApiResponse metrics(const ApiRequest& request, const RouteCall& call);
  ApiResponse dashboard(const ApiRequest& request, const RouteCall& call);
  ApiResponse rule_page(const ApiRequest& request, const RouteCall& call);
  ApiResponse unit_page(const ApiRequest& request, const RouteCall& call);
  ApiResponse observations(const ApiRequest& request, const RouteCall& call);
  ApiResponse task_status(const ApiRequest& request, const RouteCall& call);
  ApiResponse ingest(const ApiRequest& request, const RequestFacts& facts, bool observations);
  ApiResponse units(const ApiRequest& request, const RouteCall& call);
  ApiResponse results(const ApiRequest& request, const RouteCall& call);
  ApiResponse graph(const ApiRequest& request, const RouteCall& call);
  ApiResponse alerts(const ApiRequest& request, const RouteCall& call);
  ApiResponse silences_get(const ApiRequest& request, const RouteCall& call);
  ApiResponse silences_post(const ApiRequest& request, const RouteCall& call);
  ApiResponse silences_delete(const ApiRequest& request, const RouteCall& call);
  ApiResponse evaluate(const ApiRequest& request, const RouteCall& call);
  ApiResponse run(const ApiRequest& request, const RouteCall& call);
  ApiResponse runs(const ApiRequest& request, const RouteCall& call);
  ApiResponse status(const ApiRequest& request, const RouteCall& call);
  ApiResponse reload(const ApiRequest& request, const RouteCall& call);
  // The rule editor (service/api/rules.cpp): its page and script, and the rule set's
  // versions, checks, formatting and previews.
  ApiResponse editor_page(const ApiRequest& request, const RouteCall& call);
  ApiResponse editor_script(const ApiRequest& request, const RouteCall& call);
  ApiResponse rule_versions(const ApiRequest& request, const RouteCall& call);
  ApiResponse rule_version(const ApiRequest& request, const RouteCall& call);
  ApiResponse rule_save(const ApiRequest& request, const RouteCall& call);
  ApiResponse rule_restore(const ApiRequest& request, const RouteCall& call);
  ApiResponse rule_check(const ApiRequest& request, const RouteCall& call);
  ApiResponse rule_format(const ApiRequest& request, const RouteCall& call);
  ApiResponse rule_preview(const ApiRequest& request, const RouteCall& call);
  // One preview at a time: each evaluates the whole rule set twice.
  std::mutex preview_mutex_;

  // An evaluation on demand (GET /results?at=, or before the first run), on the data
  // as it is now; the last one is kept while the rules and the data are unchanged.
  struct OnDemand {
    std::shared_ptr<const LoadedRules> rules;
    std::int64_t data_generation = -1;
    model::Date at;
    std::string known_at;  // "" for everything stored
    std::shared_ptr<const Evaluation> evaluation;
  };
  std::variant<std::shared_ptr<const Evaluation>, ApiResponse> evaluation_at(
      std::optional<model::Date> at, const std::string& known_at = {});

  // The plan graph's SVG for the dashboard in `language`, made once per rule set,
  // evaluation and language.
  std::optional<std::string> graph_svg(const std::shared_ptr<const LoadedRules>& rules,
                                       const Evaluation* evaluation, model::Language language);
  // The graph `dot` of evaluation `id` as SVG into the cache of language `slot` (0 vi, 1
  // en): drawn by Graphviz, unless the cache holds the drawing of the same DOT for these
  // rules (the tasks' and plans' states have not changed), which is kept, or unless
  // drawing this evaluation's graph in the other language took longer than the limit (the
  // same nodes and edges in other words would too: the list is shown, and dot's seconds
  // of CPU are not spent twice).
  static constexpr std::chrono::milliseconds kGraphTimeout{5000};  // dot's, per drawing
  std::optional<std::string> draw_graph(const std::shared_ptr<const LoadedRules>& rules,
                                        std::int64_t id, const std::string& dot, std::size_t slot);
  struct SvgCache {
    std::shared_ptr<const LoadedRules> rules;
    std::int64_t evaluation = -1;
    std::optional<std::string> svg;
    std::size_t dot_hash = 0;  // of the DOT it was drawn from
    // Rules whose first drawing a request waited for in vain: the next ones show the list
    // at once until it is drawn.
    std::shared_ptr<const LoadedRules> waited;
  };

  // What changed between two runs (the dashboard's first section): `made` when it is that
  // pair's (the latest evaluation's Evaluation::changes, made in memory), else a scan of
  // every stored result; kept for the last pair asked, and worked out by one caller at a
  // time. A request does not wait for another (the warmer, after a run): it is told the
  // changes are being read.
  struct ReadChanges {
    std::shared_ptr<const store::RunChanges> changes;
    std::string error;     // why they could not be read
    bool pending = false;  // another reader is reading them
  };
  ReadChanges run_changes(std::int64_t from_run, std::int64_t to_run, bool wait,
                          const std::shared_ptr<const store::RunChanges>& made = nullptr);
  struct ChangesCache {
    std::int64_t from_run = 0, to_run = 0;
    std::shared_ptr<const store::RunChanges> changes;
  };

  void warm(std::stop_token stop);

  Service& service_;
  std::atomic<bool> warming_{false};
  std::atomic<bool> wake_requested_{false};
  std::condition_variable_any warm_wake_;  // a request wakes the warmer early
  std::condition_variable svg_drawn_;      // with cache_mutex_: the warmer drew one
  std::jthread warmer_;
  // The committee's pages are made on these, below the handlers' priority.
  PagePool pages_;
  ListingCache alert_listings_;  // GET /api/v1/alerts's answers
  // How long a request waits for another making the same alerts listing (a count over
  // the open alerts and a page: tens of milliseconds) before it makes it itself.
  static constexpr std::chrono::milliseconds kListingWait{2000};
  std::mutex changes_mutex_;  // held while the changes are read
  ChangesCache changes_;
  std::mutex cache_mutex_;
  OnDemand on_demand_;
  std::array<SvgCache, 2> svg_;  // by language: vi, en
  // The rules and evaluation whose graph dot could not draw in time (in either language).
  struct TooSlow {
    std::shared_ptr<const LoadedRules> rules;
    std::int64_t evaluation = -1;
  } too_slow_;
};

}  // namespace tiendo::service

// What the service exposes at /metrics, in the Prometheus text format (prometheus-cpp's
// registry and serializer). Counters and histograms are fed as things happen; the
// gauges that describe stored state (alerts, outbox) are read from the store at scrape.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "eval/evaluate.hpp"
#include "store/database.hpp"

namespace tiendo::service {

// Every method is thread-safe: the service calls them from its HTTP threads and its
// scheduler at once.
class Metrics {
 public:
  Metrics();
  ~Metrics();
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  // An evaluation run ended. `trigger`: schedule | catch-up | api; `outcome`:
  // succeeded | failed. A success also sets the last-success time.
  void run_finished(std::string_view trigger, std::string_view outcome, double seconds,
                    std::chrono::system_clock::time_point finished);
  // When the last successful run finished, as the store says at start (the gauge
  // would otherwise read 0 after a restart).
  void set_last_success(std::chrono::system_clock::time_point finished);
  // The latest successful run's results, counted by subject (rule|task) and state.
  void set_results(const eval::Results& results);
  // One delivery attempt; `kind`: email | webhook | alertmanager; `outcome`: delivered |
  // retry | dead.
  void delivery(std::string_view kind, std::string_view outcome);
  // Whether this service leads its store now.
  void set_leader(bool leads);
  // A rule-set (re)load: ok or with `errors` diagnostics (the gauge keeps the last count).
  void rules_loaded(bool ok, std::size_t errors);
  // One HTTP request, by route pattern (not the raw path: bounded label values). An
  // empty route counts as "unmatched", a method other than GET, HEAD, POST, PUT, DELETE,
  // PATCH and OPTIONS as "other".
  void http_request(std::string_view route, std::string_view method, int status, double seconds);

  // The text exposition, after refreshing the store gauges from `db`.
  // On a database error, returns the metrics without the store gauges and sets `error`;
  // otherwise clears it. `db` is used only for the duration of the call, and no lock is
  // held while it is read.
  std::string render(store::Database& db, std::string& error);

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace tiendo::service

// The probes and the metrics: GET /healthz, /readyz, /metrics.
#include "service/api/support.hpp"
#include "util/result.hpp"

namespace tiendo::service {

using namespace api;

// Alive: the process answers.
ApiResponse Api::healthz(const ApiRequest& request, const RouteCall&) {
  if (Query q(request, {}); q.error()) return error_response(400, *q.error());
  return json_response(200, {{"status", "ok"}});
}

// Ready: not stopping, the database answers and can be written to.
ApiResponse Api::readyz(const ApiRequest& request, const RouteCall&) {
  if (Query q(request, {}); q.error()) return error_response(400, *q.error());
  if (service_.stopping()) return error_response(503, "the service is stopping");
  const auto unavailable = [](const store::DbError& error) {
    return error_response(503, "database unavailable: " + error.message);
  };
  TIENDO_ASSIGN_OR_ELSE(auto lease, service_.pool().acquire(), unavailable);
  store::Database& db = *lease;
  if (const auto error = store::probe_read(db)) {
    return error_response(503, "database unavailable: " + error->message);
  }
  // Reading is not enough: runs, ingests and deliveries must be able to write.
  if (const auto problem = service_.storage_problem(db)) return error_response(503, *problem);
  return json_response(200, {{"status", "ready"}});
}

// The Prometheus text; without the store's gauges when the store does not answer.
ApiResponse Api::metrics(const ApiRequest& request, const RouteCall&) {
  if (Query q(request, {}); q.error()) return error_response(400, *q.error());
  TIENDO_ASSIGN_OR_ELSE(auto lease, service_.pool().acquire(), db_failure);
  std::string error;
  ApiResponse r;
  r.body = service_.metrics().render(*lease, error);
  r.content_type = "text/plain; version=0.0.4; charset=utf-8";
  if (!error.empty()) service_.log().warn("metrics without the store gauges", {{"error", error}});
  return r;
}

}  // namespace tiendo::service

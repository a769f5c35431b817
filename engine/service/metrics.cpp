#include "service/metrics.hpp"

#include <prometheus/client_metric.h>
#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/metric_family.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <map>
#include <mutex>
#include <optional>
#include <utility>
#include <vector>

#include "alert/alert.hpp"
#include "notify/outbox.hpp"
#include "store/alerts.hpp"
#include "store/outbox.hpp"
#include "util/result.hpp"

namespace tiendo::service {

namespace {

using prometheus::Counter;
using prometheus::Family;
using prometheus::Gauge;
using prometheus::Histogram;
using prometheus::Labels;

// The label values the callers and the schema's CHECK constraints use. Their series
// are created at 0 up front, so that a dashboard's rate() or a "== 0" alert sees a
// series before the first event of its kind.
constexpr std::array<std::string_view, 3> kTriggers = {"schedule", "catch-up", "api"};
constexpr std::array<std::string_view, 2> kRunOutcomes = {"succeeded", "failed"};
constexpr std::array<std::string_view, 3> kKinds = {"email", "webhook", "alertmanager"};
constexpr std::array<std::string_view, 3> kDeliveryOutcomes = {"delivered", "retry", "dead"};
constexpr std::array<std::string_view, 3> kLifecycles = {"pending", "firing", "resolved"};
// An alert is never stored with severity "none" (alert::reconcile skips those results).
constexpr std::array<std::string_view, 3> kSeverities = {"info", "warning", "critical"};
constexpr std::array<std::string_view, 3> kOutboxStates = {"pending", "delivered", "dead"};
// Anything else a client sends is "other": the label must not take unbounded values.
constexpr std::array<std::string_view, 7> kMethods = {"GET",    "HEAD",  "POST",   "PUT",
                                                      "DELETE", "PATCH", "OPTIONS"};

// A run takes from a fraction of a second (a small rule set) to minutes (a national one
// with millions of results).
const Histogram::BucketBoundaries& run_buckets() {
  static const Histogram::BucketBoundaries buckets = {0.05, 0.1, 0.25, 0.5, 1,   2.5, 5,
                                                      10,   30,  60,   120, 300, 600};
  return buckets;
}

const Histogram::BucketBoundaries& http_buckets() {
  static const Histogram::BucketBoundaries buckets = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                                                      0.25,  0.5,    1,     2.5,  5,     10};
  return buckets;
}

std::string text(std::string_view view) { return std::string(view); }

// A duration as a histogram takes it: a negative or NaN one (a clock stepped back) would
// lower the sum, so it counts as 0.
double duration(double seconds) { return std::isfinite(seconds) && seconds > 0 ? seconds : 0; }

std::string_view method_label(std::string_view method) {
  for (std::string_view known : kMethods) {
    if (method == known) return known;
  }
  return "other";
}

using Pair = std::pair<std::string, std::string>;

// One row of a GROUP BY over two label columns.
struct Count {
  Pair labels;
  double value = 0;
};

struct StoreFigures {
  std::vector<Count> alerts;  // (lifecycle, severity)
  std::vector<Count> outbox;  // (state, kind)
  double dead = 0;
  double oldest_pending_age = 0;
};

store::DbResult<StoreFigures> read_store(store::Database& db) {
  StoreFigures figures;
  TIENDO_ASSIGN_OR_RETURN(const std::vector<store::AlertCount> alerts, store::count_alerts(db));
  for (const store::AlertCount& a : alerts) {
    figures.alerts.push_back(
        {{std::string(alert::to_string(a.lifecycle)), std::string(model::to_string(a.severity))},
         static_cast<double>(a.count)});
  }
  TIENDO_ASSIGN_OR_RETURN(const std::vector<store::OutboxCount> outbox, store::count_messages(db));
  // created_at is always format_utc's fixed-width form, so the text's minimum is the
  // oldest time.
  std::optional<std::string> oldest_pending;
  for (const store::OutboxCount& c : outbox) {
    Count row{{std::string(store::to_string(c.state)), c.kind}, static_cast<double>(c.count)};
    if (c.state == store::OutboxState::dead) figures.dead += row.value;
    if (c.state == store::OutboxState::pending && !c.oldest_created_at.empty()) {
      if (!oldest_pending || c.oldest_created_at < *oldest_pending) {
        oldest_pending = c.oldest_created_at;
      }
    }
    figures.outbox.push_back(std::move(row));
  }
  if (oldest_pending) {
    if (const auto created = notify::parse_utc(*oldest_pending)) {
      const std::chrono::duration<double> age = notify::Clock::now() - *created;
      // A row stamped by a clock ahead of ours is not negative age.
      figures.oldest_pending_age = std::max(0.0, age.count());
    }
  }
  return figures;
}

}  // namespace

struct Metrics::State {
  // Two registries, so that a scrape whose store query failed can leave the store
  // gauges out instead of showing their stale values.
  prometheus::Registry events;
  prometheus::Registry stored;

  Family<Counter>& runs = prometheus::BuildCounter()
                              .Name("tiendo_runs_total")
                              .Help("Evaluation runs finished, by trigger and outcome.")
                              .Register(events);
  Family<Histogram>& run_duration =
      prometheus::BuildHistogram()
          .Name("tiendo_run_duration_seconds")
          .Help(
              "How long an evaluation run took (read the store, evaluate, record the run; "
              "delivery is apart), by trigger.")
          .Register(events);
  Gauge& last_success = prometheus::BuildGauge()
                            .Name("tiendo_last_successful_run_timestamp_seconds")
                            .Help("When the last successful evaluation run finished (Unix time).")
                            .Register(events)
                            .Add({});
  Family<Gauge>& results =
      prometheus::BuildGauge()
          .Name("tiendo_results")
          .Help("Results of the latest successful run, by subject (rule or task) and state.")
          .Register(events);
  Gauge& leader = prometheus::BuildGauge()
                      .Name("tiendo_leader")
                      .Help(
                          "1 while this service leads its store (runs the schedule, the "
                          "evaluations and the deliveries), 0 while it follows.")
                      .Register(events)
                      .Add({});
  Family<Counter>& deliveries = prometheus::BuildCounter()
                                    .Name("tiendo_deliveries_total")
                                    .Help("Delivery attempts, by channel kind and outcome.")
                                    .Register(events);
  Gauge& load_errors = prometheus::BuildGauge()
                           .Name("tiendo_rules_load_errors")
                           .Help("Errors reported by the last load of the rule set.")
                           .Register(events)
                           .Add({});
  Family<Counter>& reloads = prometheus::BuildCounter()
                                 .Name("tiendo_rules_reloads_total")
                                 .Help("Loads of the rule set, by outcome (ok or failed).")
                                 .Register(events);
  Family<Counter>& http_requests = prometheus::BuildCounter()
                                       .Name("tiendo_http_requests_total")
                                       .Help("HTTP requests, by route pattern, method and status.")
                                       .Register(events);
  Family<Histogram>& http_duration =
      prometheus::BuildHistogram()
          .Name("tiendo_http_request_duration_seconds")
          .Help("How long the service took to answer an HTTP request, by route pattern.")
          .Register(events);

  Family<Gauge>& alerts = prometheus::BuildGauge()
                              .Name("tiendo_alerts")
                              .Help("Stored alerts, by lifecycle and severity.")
                              .Register(stored);
  Family<Gauge>& outbox = prometheus::BuildGauge()
                              .Name("tiendo_outbox_messages")
                              .Help("Outbox messages, by state and channel kind.")
                              .Register(stored);
  Gauge& dead_letters = prometheus::BuildGauge()
                            .Name("tiendo_outbox_dead_letters")
                            .Help("Outbox messages given up on (state dead).")
                            .Register(stored)
                            .Add({});
  Gauge& oldest_pending =
      prometheus::BuildGauge()
          .Name("tiendo_outbox_oldest_pending_age_seconds")
          .Help("Age of the oldest outbox message still pending delivery; 0 when none.")
          .Register(stored)
          .Add({});

  // Guards the maps below and makes each refresh of a group of gauges, and each
  // collection, one step: a scrape never sees half of a set_results or of a refresh.
  std::mutex mutex;
  std::map<Pair, Gauge*> result_gauges;  // (subject, state)
  std::map<Pair, Gauge*> alert_gauges;   // (lifecycle, severity)
  std::map<Pair, Gauge*> outbox_gauges;  // (state, kind)
  // Refreshes are numbered when they start; one that finishes after a later one does
  // not overwrite the later one's figures.
  std::uint64_t refreshes_started = 0;
  std::uint64_t refresh_applied = 0;

  State() {
    for (std::string_view trigger : kTriggers) {
      for (std::string_view outcome : kRunOutcomes) {
        runs.Add({{"trigger", text(trigger)}, {"outcome", text(outcome)}});
      }
      run_duration.Add({{"trigger", text(trigger)}}, run_buckets());
    }
    for (int i = 0; i <= static_cast<int>(eval::RuleState::error); ++i) {
      add_result("rule", eval::to_string(static_cast<eval::RuleState>(i)));
    }
    for (int i = 0; i <= static_cast<int>(eval::TaskState::on_track); ++i) {
      add_result("task", eval::to_string(static_cast<eval::TaskState>(i)));
    }
    for (std::string_view kind : kKinds) {
      for (std::string_view outcome : kDeliveryOutcomes) {
        deliveries.Add({{"kind", text(kind)}, {"outcome", text(outcome)}});
      }
    }
    reloads.Add({{"outcome", "ok"}});
    reloads.Add({{"outcome", "failed"}});
    for (std::string_view lifecycle : kLifecycles) {
      for (std::string_view severity : kSeverities) {
        gauge(alerts, alert_gauges, "lifecycle", "severity", {text(lifecycle), text(severity)});
      }
    }
    for (std::string_view state : kOutboxStates) {
      for (std::string_view kind : kKinds) {
        gauge(outbox, outbox_gauges, "state", "kind", {text(state), text(kind)});
      }
    }
  }

  void add_result(std::string_view subject, std::string_view state) {
    gauge(results, result_gauges, "subject", "state", {text(subject), text(state)});
  }

  // The gauge for a pair of label values, made on first use. Call with `mutex` held
  // (or from the constructor).
  static Gauge& gauge(Family<Gauge>& family, std::map<Pair, Gauge*>& known,
                      const std::string& first_label, const std::string& second_label,
                      const Pair& values) {
    auto [it, added] = known.try_emplace(values, nullptr);
    if (added) {
      it->second = &family.Add({{first_label, values.first}, {second_label, values.second}});
    }
    return *it->second;
  }

  // Sets every known pair to its count, and to 0 when the store no longer has it.
  static void refresh(Family<Gauge>& family, std::map<Pair, Gauge*>& known,
                      const std::string& first_label, const std::string& second_label,
                      const std::vector<Count>& counts) {
    for (auto& [labels, g] : known) g->Set(0);
    for (const Count& c : counts) {
      gauge(family, known, first_label, second_label, c.labels).Set(c.value);
    }
  }
};

Metrics::Metrics() : state_(std::make_unique<State>()) {}

Metrics::~Metrics() = default;

void Metrics::run_finished(std::string_view trigger, std::string_view outcome, double seconds,
                           std::chrono::system_clock::time_point finished) {
  state_->runs.Add({{"trigger", text(trigger)}, {"outcome", text(outcome)}}).Increment();
  state_->run_duration.Add({{"trigger", text(trigger)}}, run_buckets()).Observe(duration(seconds));
  if (outcome == "succeeded") set_last_success(finished);
}

void Metrics::set_last_success(std::chrono::system_clock::time_point finished) {
  const std::chrono::duration<double> since_epoch = finished.time_since_epoch();
  state_->last_success.Set(since_epoch.count());
}

void Metrics::set_results(const eval::Results& results) {
  std::map<Pair, double> counts;
  for (const eval::RuleResult& r : results.rules) {
    counts[{"rule", text(eval::to_string(r.state))}] += 1;
  }
  for (const eval::TaskResult& t : results.tasks) {
    counts[{"task", text(eval::to_string(t.state))}] += 1;
  }
  State& s = *state_;
  const std::lock_guard lock(s.mutex);
  for (auto& [labels, g] : s.result_gauges) {
    const auto it = counts.find(labels);
    g->Set(it == counts.end() ? 0 : it->second);
  }
}

void Metrics::delivery(std::string_view kind, std::string_view outcome) {
  state_->deliveries.Add({{"kind", text(kind)}, {"outcome", text(outcome)}}).Increment();
}

void Metrics::set_leader(bool leads) { state_->leader.Set(leads ? 1 : 0); }

void Metrics::rules_loaded(bool ok, std::size_t errors) {
  state_->load_errors.Set(static_cast<double>(errors));
  state_->reloads.Add({{"outcome", ok ? "ok" : "failed"}}).Increment();
}

void Metrics::http_request(std::string_view route, std::string_view method, int status,
                           double seconds) {
  const std::string route_label = route.empty() ? "unmatched" : text(route);
  state_->http_requests
      .Add({{"route", route_label},
            {"method", text(method_label(method))},
            {"code", std::to_string(status)}})
      .Increment();
  state_->http_duration.Add({{"route", route_label}}, http_buckets()).Observe(duration(seconds));
}

std::string Metrics::render(store::Database& db, std::string& error) {
  State& s = *state_;
  std::uint64_t number = 0;
  {
    const std::lock_guard lock(s.mutex);
    number = ++s.refreshes_started;
  }
  // The store is read without the lock: a slow query must not hold up set_results or
  // another scrape.
  auto figures = read_store(db);

  std::vector<prometheus::MetricFamily> families;
  {
    const std::lock_guard lock(s.mutex);
    if (auto* read = std::get_if<StoreFigures>(&figures); read && number > s.refresh_applied) {
      s.refresh_applied = number;
      State::refresh(s.alerts, s.alert_gauges, "lifecycle", "severity", read->alerts);
      State::refresh(s.outbox, s.outbox_gauges, "state", "kind", read->outbox);
      s.dead_letters.Set(read->dead);
      s.oldest_pending.Set(read->oldest_pending_age);
    }
    families = s.events.Collect();
    if (std::holds_alternative<StoreFigures>(figures)) {
      auto more = s.stored.Collect();
      families.insert(families.end(), std::make_move_iterator(more.begin()),
                      std::make_move_iterator(more.end()));
    }
  }
  if (auto* failed = std::get_if<store::DbError>(&figures)) {
    error = failed->message;
  } else {
    error.clear();
  }
  // prometheus-cpp collects in hash order; sorted, the text reads well and diffs well.
  std::sort(families.begin(), families.end(),
            [](const prometheus::MetricFamily& a, const prometheus::MetricFamily& b) {
              return a.name < b.name;
            });
  for (prometheus::MetricFamily& family : families) {
    std::sort(family.metric.begin(), family.metric.end(),
              [](const prometheus::ClientMetric& a, const prometheus::ClientMetric& b) {
                return a.label < b.label;
              });
  }
  return prometheus::TextSerializer().Serialize(families);
}

}  // namespace tiendo::service

// `tiendo serve`'s state and background work: the rule set (replaced whole on reload),
// the evaluations asked for (by the schedule, at start for a missed run, or through the
// API; kept in the store's `evaluations` table), the thread that runs them one at a
// time, the scheduler, and the delivery loop that keeps retrying between runs.
//
// Threads share only immutable values behind shared_ptr (the rule set, the latest
// evaluation, the tokens) and the store, where each thread uses its own connection.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <variant>
#include <vector>

#include "alert/ledger.hpp"
#include "eval/evaluate.hpp"
#include "model/rule_set.hpp"
#include "service/config.hpp"
#include "service/dashboard.hpp"
#include "service/log.hpp"
#include "service/metrics.hpp"
#include "service/rule_sets.hpp"
#include "service/tokens.hpp"
#include "store/database.hpp"
#include "store/evaluations.hpp"
#include "store/leadership.hpp"
#include "store/rule_versions.hpp"
#include "store/snapshot.hpp"

namespace tiendo::service {

using Clock = std::chrono::system_clock;

struct LoadedRules {
  model::RuleSet rules;
  std::string loaded_at;               // UTC time stamp
  std::int64_t version = 0;            // store/rule_versions: the version it is
  std::vector<store::RuleFile> files;  // that version's files
};

// The latest successful evaluation: what the results, the dashboard and the metrics show.
struct Evaluation {
  std::shared_ptr<const LoadedRules> rules;
  store::Snapshot snapshot;
  eval::Results results;
  ResultTally tally;  // of `results`, for the dashboard
  // What each result says, hashed, when this service recorded the evaluation as run
  // `run_id` (empty otherwise): the next run's changes are found against them
  // (alert::RecordedResults) instead of the store's current rows.
  std::vector<std::uint64_t> digests;
  // What changed in state since the evaluation this service showed before it, when both
  // are runs (run_id > 0, that one's earlier): made in memory when this one is shown, so
  // that the dashboard need not read every stored result to learn it. The alert counts
  // are left 0 (the transitions say them). Null otherwise.
  std::shared_ptr<const store::RunChanges> changes;
  std::int64_t id = 0;      // the evaluations row
  std::int64_t run_id = 0;  // the alert ledger's run
  std::string finished_at;
};

// What an evaluation reads of the store (see store::LoadOptions).
struct EvaluateFrom {
  // Only what was ingested by then (a UTC time stamp); empty: everything.
  std::string known_at;
  // Only the rows another evaluation read, as its summary records them (`read_through`).
  std::optional<store::ReadThrough> through;
  // An evaluation made with the same rules (the same LoadedRules): the observations it
  // read are taken from it, and only later ones read (ignored otherwise).
  std::shared_ptr<const Evaluation> base;
  // Once true (a service stopping), the evaluation ends early with an error
  // ("interrupted"). Null: never.
  const std::atomic<bool>* cancel = nullptr;
};

// The data in the store evaluated with `rules` at `at` (not yet a run: id and run_id 0).
store::DbResult<std::shared_ptr<Evaluation>> evaluate(store::Database& db,
                                                      std::shared_ptr<const LoadedRules> rules,
                                                      model::Date at,
                                                      const EvaluateFrom& from = {});

// The last attempt to (re)load the rule set.
struct RulesStatus {
  bool ok = true;
  std::string attempted_at;
  std::string loaded_at;            // of the rule set in use
  std::vector<std::string> errors;  // rendered diagnostics of a refused reload
  std::size_t rules = 0, tasks = 0, plans = 0;
  std::int64_t version = 0;  // of the rule set in use
};

// What saving a version of the rule set came to (Service::save_rules).
struct RuleSave {
  std::int64_t version = 0;                     // the new version: saved and applied
  std::optional<std::int64_t> conflict;         // another was saved since the base: current
  std::shared_ptr<const CheckedRules> refused;  // it fails `check` or its tests
  std::string error;                            // the store failed
};

// One row of `evaluations`, as GET /api/v1/runs/{id} shows it.
using store::EvaluationRecord;  // the queue of evaluations (store/evaluations.hpp)

// Store connections for request handlers, opened on demand and reused.
class ConnectionPool {
 public:
  explicit ConnectionPool(std::string path) : path_(std::move(path)) {}
  class Lease {
   public:
    Lease(ConnectionPool& pool, std::unique_ptr<store::Database> db)
        : pool_(&pool), db_(std::move(db)) {}
    Lease(Lease&&) noexcept = default;
    Lease& operator=(Lease&&) = delete;
    ~Lease();
    store::Database& operator*() { return *db_; }
    store::Database* operator->() { return db_.get(); }

   private:
    ConnectionPool* pool_;
    std::unique_ptr<store::Database> db_;
  };
  store::DbResult<Lease> acquire();

 private:
  std::string path_;
  std::mutex mutex_;
  std::vector<std::unique_ptr<store::Database>> idle_;
};

class Service {
 public:
  // Takes the database's lock (a second service on the same database is refused),
  // opens and migrates the store, loads the rule set and the tokens. Nothing runs yet.
  // Returns the reasons it cannot start.
  // `clock` says what time it is (the system's by default; a test's fixed or shifted
  // one): the runs' dates and time stamps, the schedule's ticks and the delivery's due
  // times all come from it, and waits last as long as its time says is left.
  static std::variant<std::unique_ptr<Service>, std::vector<std::string>> open(
      ServiceConfig config, std::shared_ptr<const Log> log,
      std::function<Clock::time_point()> clock = [] { return Clock::now(); });
  ~Service();
  Service(const Service&) = delete;
  Service& operator=(const Service&) = delete;

  // Starts the leadership (store/leadership: on PostgreSQL several services share the
  // store and one leads; on SQLite this one leads), the runner, the scheduler (queueing
  // once a scheduled run missed while no service led) and the delivery loop. The last
  // three work only while this service leads; every service answers the API.
  void start();
  // Asks the threads to stop and waits for them up to `deadline`: a delivery stops
  // after the attempt in hand, the scheduler at once; a run in hand finishes unless
  // the deadline passes first (its transaction is then never committed). Returns false
  // when something was still running at the deadline.
  bool stop(Clock::time_point deadline);

  // What time it is on the service's clock, and as a UTC time stamp.
  Clock::time_point now() const { return clock_(); }
  std::string now_text() const;

  std::shared_ptr<const LoadedRules> rules() const;
  std::shared_ptr<const Evaluation> latest() const;
  std::shared_ptr<const TokenTable> tokens() const;
  RulesStatus rules_status() const;

  // Re-reads the rule set and the tokens file. Files changed since they were last read
  // become a new version of the rule set (store/rule_versions) once they pass `check`
  // and their tests; unchanged ones leave the store's current version running. A rule
  // set (or tokens file) with errors is refused and the running one stays; the errors
  // show in rules_status().
  RulesStatus reload(std::string_view requested_by);
  // Saves `version` (its files whole) as the rule set's next version when it passes
  // `check` and its tests and its base is still the current version, and runs it from
  // now on; every other service sharing the store applies it at its next look
  // (sync_rules). Nothing is written otherwise.
  RuleSave save_rules(store::Database& db, store::NewRuleVersion version);
  // Applies the store's current version of the rule set if it is not the running one
  // (another service saved it). The runner calls it before each evaluation and every few
  // seconds on a shared store.
  void sync_rules(store::Database& db);

  // Queues an evaluation at `at` (today in the configured zone when empty) and returns
  // its id; the runner takes it in turn. Nullopt, with nothing queued, when
  // kMaxQueuedRequests requested evaluations are waiting already: each takes a run's
  // time, and a client that queued thousands would hold the scheduled runs behind them.
  static constexpr std::int64_t kMaxQueuedRequests = 16;
  store::DbResult<std::optional<std::int64_t>> request_evaluation(std::optional<model::Date> at,
                                                                  std::string_view requested_by);
  store::DbResult<std::optional<EvaluationRecord>> evaluation(std::int64_t id);
  // The last evaluations, newest first.
  store::DbResult<std::vector<EvaluationRecord>> evaluations(std::size_t limit);

  // The date "today" in the configured time zone.
  model::Date today() const;
  // Why the store cannot take writes now, if it cannot: a storage failure (disk full, I/O
  // error, read-only) that no commit has cleared since, or less free space on the
  // database's file system than min_free_disk_mb. /readyz answers 503 with it.
  std::optional<std::string> storage_problem(const store::Database& db) const;
  // The latest date a run may be recorded at: today plus the configured max_days_ahead.
  alert::RunDateLimit run_date_limit() const;
  // When the schedule fires next (none when it never does).
  std::optional<Clock::time_point> next_scheduled() const;

  // Data came in: wakes nothing now, but counted for /api/v1/status.
  void data_changed();
  std::int64_t data_generation() const { return data_generation_.load(); }

  ConnectionPool& pool() { return pool_; }
  // The totals of alerts listings while the alerts stay unchanged (list_alerts' cache).
  store::AlertCountCache& alert_counts() { return alert_counts_; }
  Metrics& metrics() { return metrics_; }
  const Log& log() const { return *log_; }
  const ServiceConfig& config() const { return config_; }
  std::string started_at() const { return started_at_; }
  bool stopping() const { return stopping_.load(); }
  // Makes the calling thread (and what it starts from then on: threads, programs) the
  // service's background work, as the runner is: its nice value kBackgroundNice above the
  // service's, so that it yields the cores to the requests, and, with [schedule] cores,
  // on the evaluations' cores only. `thread` names it in a warning when the system
  // refuses its nice value; the first such thread logs where the evaluations run.
  void run_in_background(std::string_view thread);
  static constexpr int kBackgroundNice = 10;

  // Whether this service leads now, and its name (who leads, as the store says:
  // store::current_leader).
  bool leads() const { return leading_.load(); }
  // Whether this service is loading the store's latest evaluation, having none to show
  // yet (a follower on a shared store after its start): pages then answer 503, so that a
  // proxy asks another service, rather than "no evaluation yet".
  bool catching_up() const { return catching_up_.load(); }
  const std::string& instance() const { return config_.instance; }
  // How often a follower tries to take the lead, and a leader checks that it holds it.
  static constexpr std::chrono::seconds kLeadershipPoll{2};

 private:
  Service(ServiceConfig config, std::shared_ptr<const Log> log, int lock_fd,
          std::function<Clock::time_point()> clock);
  void runner_loop();
  // [schedule] cores for the calling thread; the first call logs where, or why not.
  void keep_evaluations_on_their_cores();
  std::once_flag cores_said_;
  // The rule set to run, at a start or a reload: the files when they changed since they
  // were last read (a new version), else the store's current version. Errors say why
  // neither can run. `running`: the rule set running now (a reload), kept when the store's
  // version is the one it runs.
  std::variant<std::shared_ptr<const LoadedRules>, std::vector<std::string>> rules_to_run(
      store::Database& db, std::string_view by, const std::shared_ptr<const LoadedRules>& running);
  // Version `version` of the rule set, loaded from the store; why it cannot be.
  std::variant<std::shared_ptr<const LoadedRules>, std::string> stored_rules(store::Database& db,
                                                                             std::int64_t version);
  // Makes `loaded` the running rule set (state_mutex_ taken here).
  RulesStatus apply_rules(std::shared_ptr<const LoadedRules> loaded);
  std::string sync_error_;  // the runner's thread only: the last failure of sync_rules
  void scheduler_loop();
  void delivery_loop();
  void leadership_loop();
  // One try to take or keep the lead; what changes when this service begins or ends
  // leading (the interrupted runs closed, the workers woken, the metric, the log).
  void hold_lead();
  // Waits until this service leads (or stops); false when stopping. `db` then carries
  // the leader's epoch as its fence.
  bool wait_to_lead(std::condition_variable& cv, bool& flag, store::Database& db);
  void run_evaluation(store::Database& db, const EvaluationRecord& request);
  // On a shared store, a service that does not lead (or has evaluated nothing yet) shows
  // the store's latest successful evaluation: the same date evaluated over the data as
  // the store held it when that evaluation began. Nothing is written. The runner's thread.
  void follow_latest(store::Database& db);
  std::string follow_error_;  // the runner's thread only: the last failure, logged once
  std::atomic<bool> catching_up_{false};
  // Writes the evaluation's run to the alert ledger, its results in batches.
  store::DbResult<alert::RunRecord> record(store::Database& db, Evaluation& evaluation);
  // A small commit, to learn whether a store that failed to write takes writes again.
  void probe_storage(store::Database& db);
  // [retention]: prunes the runs older than configured, at most once a day (the runner's
  // thread, between evaluations).
  void apply_retention(store::Database& db);
  std::optional<Clock::time_point> last_pruned_;  // the runner's thread only
  // About 20-50 ms of writing each: the longest an API write waits for a run's batch.
  static constexpr std::size_t kResultsPerBatch = 5000;
  void wake_runner();
  void wake_delivery();
  // Sleeps until `until` or until stop; returns false when stopping.
  bool sleep_until(std::condition_variable& cv, bool& flag, Clock::time_point until);
  // A worker's own connection: opened again every kLeadershipPoll while the database
  // cannot be reached (a server restarting as the service starts), the first failure
  // logged; null when the service stops first.
  std::unique_ptr<store::Database> open_until_stopped(std::string_view worker,
                                                      std::condition_variable& cv, bool& flag);

  std::function<Clock::time_point()> clock_;
  ServiceConfig config_;
  std::shared_ptr<const Log> log_;
  int lock_fd_ = -1;
  std::string started_at_;
  ConnectionPool pool_;
  store::AlertCountCache alert_counts_;
  Metrics metrics_;

  mutable std::mutex state_mutex_;  // guards the shared_ptrs and rules_status_
  std::shared_ptr<const LoadedRules> rules_;
  std::shared_ptr<const Evaluation> latest_;
  std::shared_ptr<const TokenTable> tokens_;
  RulesStatus rules_status_;
  std::mutex reload_mutex_;  // one reload at a time

  std::mutex wake_mutex_;  // guards the three flags and the condition variables' waits
  std::condition_variable runner_cv_, scheduler_cv_, delivery_cv_;
  bool runner_woken_ = false, scheduler_woken_ = false, delivery_woken_ = false;
  std::atomic<bool> stopping_{false};
  std::atomic<std::int64_t> data_generation_{0};

  std::optional<store::Leadership> leadership_;  // the leadership thread's (and start's)
  std::atomic<bool> leading_{false};
  std::atomic<std::int64_t> epoch_{0};
  std::condition_variable leadership_cv_;
  bool leadership_woken_ = false;

  std::thread runner_, scheduler_, delivery_, leadership_thread_;
  std::atomic<int> running_threads_{0};
};

}  // namespace tiendo::service

#include "service/service.hpp"

#include <date/tz.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "alert/ledger.hpp"
#include "dsl/check.hpp"
#include "dsl/diagnostic.hpp"
#include "notify/outbox.hpp"
#include "store/evaluations.hpp"
#include "store/runs.hpp"
#include "util/cores.hpp"
#include "util/result.hpp"

namespace tiendo::service {

namespace {

// One service per SQLite file: a lock beside the database, held for the process's life;
// the kernel drops it when the process ends, however it ends, so a crash leaves no stale
// lock. The descriptor, or -1 with the problem said.
int open_lock_file(const ServiceConfig& config, std::vector<std::string>& problems) {
  const std::string lock_path = config.database + ".serve.lock";
  const int fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) {
    problems.push_back(
        fmt::format("cannot open the lock file {}: {}", lock_path, std::strerror(errno)));
    return -1;
  }
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    char holder[32] = {};
    const ssize_t n = ::pread(fd, holder, sizeof holder - 1, 0);
    std::string pid = n > 0 ? std::string(holder, static_cast<std::size_t>(n)) : std::string();
    while (!pid.empty() && (pid.back() == '\n' || pid.back() == ' ')) pid.pop_back();
    problems.push_back(
        fmt::format("another tiendo serve is running on {} (it holds {}{}); stop it first",
                    config.database, lock_path, pid.empty() ? "" : ", process " + pid));
    ::close(fd);
    return -1;
  }
  const std::string pid = fmt::format("{}\n", ::getpid());
  if (::ftruncate(fd, 0) != 0 || ::pwrite(fd, pid.data(), pid.size(), 0) < 0) {
    // The pid is only a courtesy for the message above; the lock is what counts.
  }

  return fd;
}

// What changed from `previous` (the evaluation shown before) to `next`, when both are runs,
// `previous` the earlier; null otherwise.
std::shared_ptr<const store::RunChanges> changes_since(
    const std::shared_ptr<const Evaluation>& previous, const Evaluation& next) {
  if (!previous || previous->run_id <= 0 || next.run_id <= previous->run_id || !previous->rules ||
      !next.rules) {
    return nullptr;
  }
  auto changes = std::make_shared<store::RunChanges>();
  changes->from_run = previous->run_id;
  changes->to_run = next.run_id;
  changes->from_at = model::to_string(previous->results.at);
  changes->to_at = model::to_string(next.results.at);
  changes->changes =
      alert::state_changes({&previous->rules->rules, &previous->snapshot, &previous->results},
                           {&next.rules->rules, &next.snapshot, &next.results});
  return changes;
}

}  // namespace

// ---------------------------------------------------------------------------------------

ConnectionPool::Lease::~Lease() {
  if (!db_) return;
  std::lock_guard lock(pool_->mutex_);
  pool_->idle_.push_back(std::move(db_));
}

store::DbResult<ConnectionPool::Lease> ConnectionPool::acquire() {
  {
    std::lock_guard lock(mutex_);
    if (!idle_.empty()) {
      std::unique_ptr<store::Database> db = std::move(idle_.back());
      idle_.pop_back();
      return Lease(*this, std::move(db));
    }
  }
  TIENDO_ASSIGN_OR_RETURN(store::Database opened, store::Database::open(path_));
  return Lease(*this, std::make_unique<store::Database>(std::move(opened)));
}

// ---------------------------------------------------------------------------------------

std::variant<std::unique_ptr<Service>, std::vector<std::string>> Service::open(
    ServiceConfig config, std::shared_ptr<const Log> log,
    std::function<Clock::time_point()> clock) {
  std::vector<std::string> problems;
  // On PostgreSQL several services share the store, and the leadership (store/leadership)
  // says which one runs the schedule and the deliveries: no lock file.
  const int fd = store::is_postgres_url(config.database) ? -2 : open_lock_file(config, problems);
  if (fd == -1) return problems;

  if (config.instance.empty()) {
    char host[256] = {};
    if (::gethostname(host, sizeof host - 1) != 0) std::strcpy(host, "localhost");
    config.instance = fmt::format("{}:{}", host, ::getpid());
  }
  std::unique_ptr<Service> service(
      new Service(std::move(config), std::move(log), fd, std::move(clock)));
  {
    auto lease = service->pool_.acquire();
    if (auto* error = std::get_if<store::DbError>(&lease)) {
      problems.push_back(fmt::format("database {}: {}", service->config_.database, error->message));
      return problems;
    }
  }
  std::shared_ptr<const TokenTable> tokens = std::make_shared<TokenTable>();
  if (!service->config_.tokens.empty()) {
    std::vector<ConfigError> errors;
    auto table = TokenTable::load(service->config_.tokens, errors);
    if (!table) {
      for (const ConfigError& e : errors) problems.push_back(e.render());
      return problems;
    }
    tokens = std::make_shared<TokenTable>(std::move(*table));
  }
  {
    auto lease = service->pool_.acquire();
    if (auto* error = std::get_if<store::DbError>(&lease)) {
      problems.push_back(fmt::format("database {}: {}", service->config_.database, error->message));
      return problems;
    }
    auto rules = service->rules_to_run(*std::get<ConnectionPool::Lease>(lease), "start", nullptr);
    if (auto* errors = std::get_if<std::vector<std::string>>(&rules)) {
      problems.push_back(fmt::format("the rule set has {} error{}:", errors->size(),
                                     errors->size() == 1 ? "" : "s"));
      problems.insert(problems.end(), errors->begin(), errors->end());
      return problems;
    }
    service->apply_rules(std::get<std::shared_ptr<const LoadedRules>>(rules));
  }
  service->tokens_ = std::move(tokens);
  return service;
}

Service::Service(ServiceConfig config, std::shared_ptr<const Log> log, int lock_fd,
                 std::function<Clock::time_point()> clock)
    : clock_(std::move(clock)),
      config_(std::move(config)),
      log_(std::move(log)),
      lock_fd_(lock_fd),
      started_at_(now_text()),
      pool_(config_.database) {}

std::string Service::now_text() const { return notify::format_utc(now()); }

Service::~Service() {
  if (runner_.joinable() || scheduler_.joinable() || delivery_.joinable() ||
      leadership_thread_.joinable()) {
    stop(Clock::now() + std::chrono::hours(1));  // stop() waits in real time
  }
  if (lock_fd_ >= 0) ::close(lock_fd_);
}

// ---------------------------------------------------------------------------------------
// State for the request handlers.

std::shared_ptr<const LoadedRules> Service::rules() const {
  std::lock_guard lock(state_mutex_);
  return rules_;
}

std::shared_ptr<const Evaluation> Service::latest() const {
  std::lock_guard lock(state_mutex_);
  return latest_;
}

std::shared_ptr<const TokenTable> Service::tokens() const {
  std::lock_guard lock(state_mutex_);
  return tokens_;
}

RulesStatus Service::rules_status() const {
  std::lock_guard lock(state_mutex_);
  return rules_status_;
}

std::variant<std::shared_ptr<const LoadedRules>, std::vector<std::string>> Service::rules_to_run(
    store::Database& db, std::string_view by, const std::shared_ptr<const LoadedRules>& running) {
  using Errors = std::vector<std::string>;
  const auto store_error = [&](const store::DbError& e) {
    return Errors{fmt::format("the rule set's versions in {}: {}", config_.database, e.message)};
  };
  auto current = store::current_rule_version(db);
  if (auto* e = std::get_if<store::DbError>(&current)) return store_error(*e);
  std::int64_t version = std::get<std::int64_t>(current);
  RuleFilesRead disk = read_rule_files(config_.rules);
  if (!disk.errors.empty()) return std::move(disk.errors);
  const std::string digest = store::rule_files_digest(disk.files);
  auto last = store::last_files_digest(db);
  if (auto* e = std::get_if<store::DbError>(&last)) return store_error(*e);
  if (version == 0 || std::get<std::optional<std::string>>(last) != digest) {
    // The files changed since they were last read (or the store has no version yet): they
    // become the next version if they pass, as a save in the editor does.
    CheckedRules checked = check_rule_files(disk.files, true);
    if (Errors refusals = checked.refusals(); !refusals.empty()) return refusals;
    std::string paths;
    for (const std::string& p : config_.rules) paths += (paths.empty() ? "" : ", ") + p;
    store::NewRuleVersion next{.created_at = now_text(),
                               .author = std::string(by),
                               .message = fmt::format("read from {} ({})", paths, config_.instance),
                               .source = "files",
                               .restored_from = std::nullopt,
                               .disk_digest = digest,
                               .files = disk.files,
                               .base = version};
    auto saved = store::save_rule_version(db, next);
    if (auto* e = std::get_if<store::DbError>(&saved)) return store_error(*e);
    const auto& outcome = std::get<std::variant<std::int64_t, store::RuleVersionConflict>>(saved);
    if (const auto* number = std::get_if<std::int64_t>(&outcome)) {
      log_->info("the rule set's files became a new version",
                 {{"version", *number}, {"by", by}, {"files", disk.files.size()}});
      return std::make_shared<const LoadedRules>(
          LoadedRules{std::move(*checked.rules), now_text(), *number, std::move(disk.files)});
    }
    // Another service saved a version meanwhile (sharing the store): it runs.
    version = std::get<store::RuleVersionConflict>(outcome).current;
  }
  if (running && running->version == version) return running;
  auto stored = stored_rules(db, version);
  if (auto* problem = std::get_if<std::string>(&stored)) return Errors{std::move(*problem)};
  return std::get<std::shared_ptr<const LoadedRules>>(std::move(stored));
}

std::variant<std::shared_ptr<const LoadedRules>, std::string> Service::stored_rules(
    store::Database& db, std::int64_t version) {
  auto found = store::find_rule_version(db, version);
  if (auto* e = std::get_if<store::DbError>(&found)) {
    return fmt::format("the rule set's versions in {}: {}", config_.database, e->message);
  }
  auto& stored = std::get<std::optional<store::RuleVersion>>(found);
  if (!stored) return fmt::format("version {} of the rule set is not in the store", version);
  CheckedRules checked = check_rule_files(stored->files, false);
  if (!checked.rules) {
    return fmt::format("version {} of the rule set (in the store) does not load: {}", version,
                       checked.refusals().front());
  }
  return std::make_shared<const LoadedRules>(
      LoadedRules{std::move(*checked.rules), now_text(), version, std::move(stored->files)});
}

RulesStatus Service::apply_rules(std::shared_ptr<const LoadedRules> loaded) {
  RulesStatus status;
  {
    std::lock_guard lock(state_mutex_);
    rules_status_ = {.ok = true,
                     .attempted_at = now_text(),
                     .loaded_at = loaded->loaded_at,
                     .errors = {},
                     .rules = loaded->rules.rules.size(),
                     .tasks = loaded->rules.tasks.size(),
                     .plans = loaded->rules.plans.size(),
                     .version = loaded->version};
    rules_ = std::move(loaded);
    status = rules_status_;
  }
  metrics_.rules_loaded(true, 0);
  return status;
}

RulesStatus Service::reload(std::string_view requested_by) {
  std::lock_guard one_at_a_time(reload_mutex_);
  const std::string attempted = now_text();
  std::vector<std::string> errors;
  std::shared_ptr<const LoadedRules> loaded;
  if (auto lease = pool_.acquire(); auto* db = std::get_if<ConnectionPool::Lease>(&lease)) {
    auto rules = rules_to_run(**db, requested_by, this->rules());
    if (auto* found = std::get_if<std::vector<std::string>>(&rules)) {
      errors = std::move(*found);
    } else {
      loaded = std::get<std::shared_ptr<const LoadedRules>>(rules);
    }
  } else {
    errors.push_back(
        fmt::format("database {}: {}", config_.database, std::get<store::DbError>(lease).message));
  }
  std::optional<TokenTable> tokens;
  if (errors.empty() && !config_.tokens.empty()) {
    std::vector<ConfigError> token_errors;
    tokens = TokenTable::load(config_.tokens, token_errors);
    for (const ConfigError& e : token_errors) errors.push_back(e.render());
  }
  RulesStatus status;
  if (errors.empty()) {
    // The same rule set when the files and the store's version have not changed.
    status = apply_rules(std::move(loaded));
    std::lock_guard lock(state_mutex_);
    if (tokens) tokens_ = std::make_shared<TokenTable>(std::move(*tokens));
  } else {
    std::lock_guard lock(state_mutex_);
    rules_status_.attempted_at = attempted;
    rules_status_.ok = false;
    rules_status_.errors = errors;
    status = rules_status_;
    metrics_.rules_loaded(false, errors.size());
  }
  if (errors.empty()) {
    log_->info("rules reloaded", {{"by", requested_by},
                                  {"version", status.version},
                                  {"rules", status.rules},
                                  {"tasks", status.tasks},
                                  {"plans", status.plans}});
  } else {
    log_->error("rules reload refused; the running rule set stays",
                {{"by", requested_by}, {"errors", errors.size()}, {"first", errors.front()}});
  }
  return status;
}

RuleSave Service::save_rules(store::Database& db, store::NewRuleVersion version) {
  std::lock_guard one_at_a_time(reload_mutex_);
  RuleSave outcome;
  auto checked = std::make_shared<CheckedRules>(check_rule_files(version.files, true));
  if (!checked->refusals().empty()) {
    outcome.refused = std::move(checked);
    return outcome;
  }
  auto saved = store::save_rule_version(db, version);
  if (auto* e = std::get_if<store::DbError>(&saved)) {
    outcome.error = e->message;
    return outcome;
  }
  const auto& result = std::get<std::variant<std::int64_t, store::RuleVersionConflict>>(saved);
  if (const auto* conflict = std::get_if<store::RuleVersionConflict>(&result)) {
    outcome.conflict = conflict->current;
    return outcome;
  }
  outcome.version = std::get<std::int64_t>(result);
  const RulesStatus status = apply_rules(std::make_shared<const LoadedRules>(LoadedRules{
      std::move(*checked->rules), now_text(), outcome.version, std::move(version.files)}));
  log_->info("a new version of the rule set runs", {{"version", outcome.version},
                                                    {"by", version.author},
                                                    {"source", version.source},
                                                    {"rules", status.rules}});
  return outcome;
}

void Service::sync_rules(store::Database& db) {
  auto current = store::current_rule_version(db);
  std::string problem;
  if (auto* e = std::get_if<store::DbError>(&current)) {
    problem = e->message;
  } else if (const std::int64_t version = std::get<std::int64_t>(current);
             version != 0 && version != rules()->version) {
    std::lock_guard one_at_a_time(reload_mutex_);
    auto stored = stored_rules(db, version);
    if (auto* failed = std::get_if<std::string>(&stored)) {
      problem = std::move(*failed);
    } else {
      apply_rules(std::get<std::shared_ptr<const LoadedRules>>(std::move(stored)));
      log_->info("applied the store's current version of the rule set", {{"version", version}});
    }
  }
  if (!problem.empty() && problem != sync_error_) {
    log_->error("cannot apply the store's rule set; the running one stays", {{"error", problem}});
  }
  sync_error_ = std::move(problem);
}

void Service::data_changed() { ++data_generation_; }

model::Date Service::today() const {
  const date::time_zone* zone = date::locate_zone(config_.time_zone);
  const auto local = zone->to_local(std::chrono::floor<std::chrono::seconds>(now()));
  return model::Date(std::chrono::floor<std::chrono::days>(local).time_since_epoch());
}

std::optional<std::string> Service::storage_problem(const store::Database& db) const {
  if (const auto failure = db.storage_failure()) {
    return fmt::format("the store cannot write since {}: {}", notify::format_utc(failure->at),
                       failure->message);
  }
  // A PostgreSQL server's disk is its own: a full one answers as a storage failure.
  if (db.engine() == store::Engine::postgresql) return std::nullopt;
  struct statvfs fs {};
  const std::filesystem::path file(config_.database);
  const std::filesystem::path directory = file.has_parent_path() ? file.parent_path() : ".";
  if (::statvfs(directory.c_str(), &fs) != 0) {
    return fmt::format("cannot read the free space of {}: {}", directory.string(),
                       std::strerror(errno));
  }
  const std::uint64_t free_mb =
      static_cast<std::uint64_t>(fs.f_bavail) * static_cast<std::uint64_t>(fs.f_frsize) >> 20;
  if (free_mb < static_cast<std::uint64_t>(config_.min_free_disk_mb)) {
    return fmt::format(
        "only {} MB free on the file system of {} (at least {} MB wanted: min_free_disk_mb)",
        free_mb, directory.string(), config_.min_free_disk_mb);
  }
  return std::nullopt;
}

alert::RunDateLimit Service::run_date_limit() const {
  return {.today = today(), .max_days_ahead = config_.max_days_ahead};
}

std::optional<Clock::time_point> Service::next_scheduled() const {
  const date::time_zone* zone = date::locate_zone(config_.schedule_time_zone);
  auto next = config_.schedule.next(std::chrono::floor<std::chrono::seconds>(now()), zone);
  if (!next) return std::nullopt;
  return Clock::time_point(*next);
}

// ---------------------------------------------------------------------------------------
// Evaluations.

store::DbResult<std::optional<std::int64_t>> Service::request_evaluation(
    std::optional<model::Date> at, std::string_view requested_by) {
  TIENDO_ASSIGN_OR_RETURN(ConnectionPool::Lease lease, pool_.acquire());
  TIENDO_ASSIGN_OR_RETURN(
      const std::int64_t id,
      store::enqueue_evaluation(*lease,
                                {.trigger = "api",
                                 .scheduled_for = {},
                                 .at_date = at ? model::to_string(*at) : std::string(),
                                 .requested_at = now_text(),
                                 .requested_by = std::string(requested_by)},
                                kMaxQueuedRequests));
  if (id == 0) {
    log_->warn("evaluation refused: the queue is full",
               {{"by", requested_by}, {"queued", kMaxQueuedRequests}});
    return std::optional<std::int64_t>();
  }
  log_->info("evaluation queued", {{"id", id}, {"by", requested_by}});
  wake_runner();
  return std::optional<std::int64_t>(id);
}

store::DbResult<std::optional<EvaluationRecord>> Service::evaluation(std::int64_t id) {
  TIENDO_ASSIGN_OR_RETURN(ConnectionPool::Lease lease, pool_.acquire());
  return store::find_evaluation(*lease, id);
}

store::DbResult<std::vector<EvaluationRecord>> Service::evaluations(std::size_t limit) {
  TIENDO_ASSIGN_OR_RETURN(ConnectionPool::Lease lease, pool_.acquire());
  return store::list_evaluations(*lease, limit);
}

store::DbResult<std::shared_ptr<Evaluation>> evaluate(store::Database& db,
                                                      std::shared_ptr<const LoadedRules> rules,
                                                      model::Date at, const EvaluateFrom& from) {
  auto evaluation = std::make_shared<Evaluation>();
  // The runner gives way to the requests (its nice value, see runner_loop), and so do the
  // threads it starts to read a SQLite file. A PostgreSQL server's processes run at the
  // server's priority whatever the runner's: one connection reads the observations, so
  // that a load in the background takes at most one core of the server's from the
  // requests (a load on PostgreSQL then takes longer: 3.1 s with two connections on
  // bench_eval's store).
  const unsigned threads = db.engine() == store::Engine::postgresql ? 1 : 0;
  // The evaluation before, made with the same rules, holds every observation up to the
  // ids it read: only the rows ingested since are read (store::LoadOptions::base).
  const store::Snapshot* base =
      from.base && from.base->rules == rules ? &from.base->snapshot : nullptr;
  TIENDO_ASSIGN_OR_RETURN(evaluation->snapshot, store::load_snapshot(db, rules->rules,
                                                                     {.threads = threads,
                                                                      .known_at = from.known_at,
                                                                      .through = from.through,
                                                                      .base = base,
                                                                      .cancel = from.cancel}));
  // The snapshot is kept whole with the results (they point into it): the next
  // evaluation starts from it, and a target's page draws its course from it.
  evaluation->results = eval::evaluate(
      rules->rules, evaluation->snapshot, at,
      {.keep_trend_points = false, .keep_used = false, .threads = 0, .cancel = from.cancel});
  if (from.cancel && from.cancel->load()) {
    return store::DbError{"interrupted: the service stopped during the evaluation"};
  }
  evaluation->tally = tally_results(rules->rules, evaluation->results);
  evaluation->rules = std::move(rules);
  return evaluation;
}

void Service::run_evaluation(store::Database& db, const EvaluationRecord& request) {
  const auto started = std::chrono::steady_clock::now();
  const std::shared_ptr<const LoadedRules> rules = this->rules();
  const auto finish = [&](std::string_view state, const std::string& summary,
                          const std::string& error, std::optional<std::int64_t> run_id) {
    if (auto failure =
            store::finish_evaluation(db, request.id, state, now_text(), summary, error, run_id)) {
      log_->error("cannot record the end of an evaluation",
                  {{"id", request.id}, {"error", failure->message}});
    }
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    metrics_.run_finished(request.trigger, state, seconds, now());
    if (state == "failed") {
      log_->error("evaluation failed", {{"id", request.id},
                                        {"trigger", request.trigger},
                                        {"error", error},
                                        {"seconds", seconds}});
    } else {
      log_->info("evaluation finished", {{"id", request.id},
                                         {"trigger", request.trigger},
                                         {"summary", JsonText{summary}},
                                         {"seconds", seconds}});
    }
  };

  {
    if (auto failure = store::start_evaluation(db, request.id, now_text())) {
      log_->error("cannot start an evaluation", {{"id", request.id}, {"error", failure->message}});
      return;
    }
  }
  model::Date at = today();
  if (!request.at_date.empty()) {
    const auto parsed = model::parse_iso_date(request.at_date);
    if (!parsed)
      return finish("failed", "", "bad evaluation date " + request.at_date, std::nullopt);
    at = *parsed;
  }
  log_->info("evaluation started",
             {{"id", request.id}, {"trigger", request.trigger}, {"at", model::to_string(at)}});
  auto evaluated = evaluate(
      db, rules, at, {.known_at = {}, .through = {}, .base = latest(), .cancel = &stopping_});
  if (auto* error = std::get_if<store::DbError>(&evaluated)) {
    return finish("failed", "", error->message, std::nullopt);
  }
  const std::shared_ptr<Evaluation> evaluation =
      std::move(std::get<std::shared_ptr<Evaluation>>(evaluated));
  auto recorded = record(db, *evaluation);
  if (auto* error = std::get_if<store::DbError>(&recorded)) {
    return finish("failed", "", error->message, std::nullopt);
  }
  const alert::RunRecord& run = std::get<alert::RunRecord>(recorded);
  nlohmann::json counts = nlohmann::json::object();
  for (const alert::Transition& t : run.output.transitions) {
    if (!t.notify) continue;
    const std::string kind(alert::to_string(*t.notify));
    counts[kind] = counts.value(kind, 0) + 1;
  }
  const store::ReadThrough read =
      evaluation->snapshot.read_through().value_or(store::ReadThrough{});
  const nlohmann::json summary = {
      {"at", model::to_string(at)},
      {"rules_version", evaluation->rules->version},
      {"read_through", {{"observations", read.observations}, {"task_status", read.task_status}}},
      {"observations", evaluation->snapshot.point_count()},
      {"observations_read", evaluation->snapshot.observations_read()},
      {"results", run.results},
      {"results_changed", run.results_changed},
      {"firing", run.output.firing},
      {"began_firing", run.output.began_firing},
      {"resolved", run.output.resolved},
      {"notifications", counts},
      {"messages", run.messages.size()}};
  evaluation->id = request.id;
  evaluation->run_id = run.run_id;
  evaluation->finished_at = now_text();
  metrics_.set_results(evaluation->results);
  evaluation->changes = changes_since(latest(), *evaluation);
  {
    std::lock_guard lock(state_mutex_);
    latest_ = evaluation;
  }
  finish("succeeded", summary.dump(), "", run.run_id);
  wake_delivery();
  apply_retention(db);
}

void Service::follow_latest(store::Database& db) {
  const auto note = [&](const std::string& error) {
    if (error != follow_error_) {
      log_->warn("cannot show the store's latest evaluation", {{"error", error}});
    }
    follow_error_ = error;
  };
  // Catching up only while there is one to show and nothing is shown yet.
  struct Done {
    std::atomic<bool>& flag;
    ~Done() { flag = false; }
  } done{catching_up_};
  auto found = store::latest_succeeded_evaluation(db);
  if (auto* failure = std::get_if<store::DbError>(&found)) return note(failure->message);
  const std::optional<EvaluationRecord>& record = std::get<std::optional<EvaluationRecord>>(found);
  if (!record) return;
  const std::shared_ptr<const LoadedRules> rules = this->rules();
  const auto shown = latest();
  if (shown && shown->id == record->id && shown->rules == rules) return;
  catching_up_ = !shown;
  // The date it evaluated and the rows it read, as its summary says (a run recorded
  // before summaries said which rows: the data as the store held it when the run began).
  const nlohmann::json summary = nlohmann::json::parse(record->summary, nullptr, false);
  const std::optional<model::Date> at =
      summary.is_object() && summary.contains("at") && summary["at"].is_string()
          ? model::parse_iso_date(summary["at"].get<std::string>())
          : std::nullopt;
  if (!at) {
    return note(fmt::format("evaluation {} has no date in its summary", record->id));
  }
  EvaluateFrom from;
  from.cancel = &stopping_;
  const nlohmann::json read = summary.value("read_through", nlohmann::json());
  if (read.is_object() && read.value("observations", nlohmann::json()).is_number_integer() &&
      read.value("task_status", nlohmann::json()).is_number_integer()) {
    from.through = store::ReadThrough{read["observations"].get<std::int64_t>(),
                                      read["task_status"].get<std::int64_t>()};
    from.base = shown;
  } else {
    from.known_at = record->started_at;
  }
  auto evaluated = evaluate(db, rules, *at, from);
  if (auto* error = std::get_if<store::DbError>(&evaluated)) return note(error->message);
  const std::shared_ptr<Evaluation> evaluation =
      std::move(std::get<std::shared_ptr<Evaluation>>(evaluated));
  evaluation->id = record->id;
  evaluation->run_id = record->run_id.value_or(0);
  evaluation->finished_at = record->finished_at;
  metrics_.set_results(evaluation->results);
  evaluation->changes = changes_since(shown, *evaluation);
  {
    std::lock_guard lock(state_mutex_);
    // The leader may have evaluated something newer meanwhile (this service took the lead).
    if (latest_ && latest_->id > evaluation->id) return;
    latest_ = evaluation;
  }
  follow_error_.clear();
  log_->info(
      "showing the store's latest evaluation",
      {{"id", record->id},
       {"at", model::to_string(*at)},
       {"through", from.through ? JsonText{read.dump()} : JsonText{"null"}},
       {"known_at", from.known_at},
       {"observations", static_cast<std::int64_t>(evaluation->snapshot.point_count())},
       {"observations_read", static_cast<std::int64_t>(evaluation->snapshot.observations_read())}});
}

void Service::apply_retention(store::Database& db) {
  if (!config_.retention) return;
  const Clock::time_point now_time = now();
  if (last_pruned_ && now_time - *last_pruned_ < std::chrono::hours(24)) return;
  last_pruned_ = now_time;
  const std::string before = model::format_utc(now_time - *config_.retention);
  const auto started = std::chrono::steady_clock::now();
  auto pruned = store::prune_runs(db, before, now_text(), /*commit=*/true);
  if (auto* error = std::get_if<store::DbError>(&pruned)) {
    log_->error("retention failed", {{"before", before}, {"error", error->message}});
    return;
  }
  const store::PruneReport& r = std::get<store::PruneReport>(pruned);
  log_->info("retention pruned",
             {{"before", before},
              {"kept_from_run", r.kept_from_run},
              {"result_rows", r.result_rows_removed},
              {"undo_rows", r.undo_rows_removed},
              {"evaluations", r.evaluations_removed},
              {"runs", r.runs_removed},
              {"pages_freed", r.pages_freed},
              {"file_bytes", r.file_bytes_after},
              {"seconds",
               std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count()}});
}

store::DbResult<alert::RunRecord> Service::record(store::Database& db, Evaluation& evaluation) {
  // In steps, so that the API's writers get the write lock between batches of results
  // (each step is a transaction, and the store's transactions take turns); the alert
  // states, transitions and outbox rows are still written in one transaction.
  const auto started = std::chrono::steady_clock::now();
  TIENDO_ASSIGN_OR_RETURN(
      const std::int64_t run_id,
      alert::begin_run(db, evaluation.results.at, now_text(), run_date_limit()));
  const auto failed = [&](const store::DbError& error) -> store::DbResult<alert::RunRecord> {
    if (auto also = alert::fail_runs(db, run_id, error.message, now_text())) {
      log_->error("cannot mark a failed run", {{"run_id", run_id}, {"error", also->message}});
    }
    return error;
  };
  const std::size_t total = evaluation.results.rules.size() + evaluation.results.tasks.size();
  // Only the results that changed since the last run are written: found against the
  // results this service recorded last, while theirs is still the latest run, else against
  // the store's current rows.
  const std::shared_ptr<const Evaluation> previous = latest();
  std::optional<alert::RecordedResults> recorded;
  if (previous && previous->run_id > 0 && !previous->digests.empty()) {
    recorded =
        alert::RecordedResults{previous->run_id,
                               {&previous->rules->rules, &previous->snapshot, &previous->results},
                               previous->digests};
  }
  TIENDO_ASSIGN_OR_ELSE(alert::ResultChanges changes,
                        alert::result_changes(db, evaluation.rules->rules, evaluation.snapshot,
                                              evaluation.results, recorded ? &*recorded : nullptr),
                        failed);
  std::size_t batches = 0;
  for (std::size_t from = 0; from < changes.write.size(); from += kResultsPerBatch, ++batches) {
    if (stopping_.load()) {
      return failed(store::DbError{"interrupted: the service stopped during the run"});
    }
    TIENDO_ASSIGN_OR_ELSE(
        [[maybe_unused]] const std::size_t written,
        alert::write_results(db, run_id, evaluation.rules->rules, evaluation.snapshot,
                             evaluation.results, changes, from, kResultsPerBatch),
        failed);
  }
  const auto results_written = std::chrono::steady_clock::now();
  auto outcome = alert::finish_run(db, run_id, evaluation.rules->rules, evaluation.snapshot,
                                   evaluation.results, changes,
                                   {.now = now_text(), .commit = true, .limit = run_date_limit()});
  if (auto* error = std::get_if<store::DbError>(&outcome)) return failed(*error);
  evaluation.digests = std::move(changes.digests);
  const auto seconds = [](auto from, auto to) {
    return std::chrono::duration<double>(to - from).count();
  };
  log_->info("run recorded",
             {{"run_id", run_id},
              {"results", total},
              {"results_changed", changes.changed()},
              {"current_read", changes.read_current},
              {"batches", batches},
              {"results_seconds", seconds(started, results_written)},
              {"alerts_seconds", seconds(results_written, std::chrono::steady_clock::now())}});
  return outcome;
}

// ---------------------------------------------------------------------------------------
// Threads.

void Service::wake_runner() {
  {
    std::lock_guard lock(wake_mutex_);
    runner_woken_ = true;
  }
  runner_cv_.notify_all();
}

void Service::wake_delivery() {
  {
    std::lock_guard lock(wake_mutex_);
    delivery_woken_ = true;
  }
  delivery_cv_.notify_all();
}

bool Service::sleep_until(std::condition_variable& cv, bool& flag, Clock::time_point until) {
  // `until` is on the service's clock; the wait lasts as long as that clock says is left.
  const auto deadline = Clock::now() + (until - now());
  std::unique_lock lock(wake_mutex_);
  cv.wait_until(lock, deadline, [&] { return flag || stopping_.load(); });
  flag = false;
  return !stopping_.load();
}

namespace {
// Counts a thread out when it leaves its loop, however it leaves.
struct ThreadExit {
  std::atomic<int>& running;
  std::mutex& mutex;
  std::condition_variable& cv;
  ~ThreadExit() {
    {
      std::lock_guard lock(mutex);
      --running;
    }
    cv.notify_all();
  }
};
}  // namespace

void Service::start() {
  {
    auto lease = pool_.acquire();
    if (auto* db = std::get_if<ConnectionPool::Lease>(&lease)) {
      const auto last = store::last_success_at(**db);
      if (const auto* finished = std::get_if<std::optional<std::string>>(&last);
          finished && *finished) {
        if (const auto at = model::parse_utc(**finished)) metrics_.set_last_success(*at);
      }
    }
  }
  auto opened = store::Leadership::open(config_.database, config_.instance);
  if (auto* error = std::get_if<store::DbError>(&opened)) {
    log_->error("the leadership cannot open the database; it tries again every 2 s",
                {{"error", error->message}});
  } else {
    leadership_.emplace(std::move(std::get<store::Leadership>(opened)));
  }
  metrics_.set_leader(false);
  // On a shared store the runner looks for the latest evaluation at once; until then the
  // pages say this service is catching up.
  catching_up_ = store::is_postgres_url(config_.database);
  // A service alone on its store leads before its threads start.
  hold_lead();
  running_threads_ = 4;
  runner_ = std::thread([this] { runner_loop(); });
  scheduler_ = std::thread([this] { scheduler_loop(); });
  delivery_ = std::thread([this] { delivery_loop(); });
  leadership_thread_ = std::thread([this] { leadership_loop(); });
}

std::unique_ptr<store::Database> Service::open_until_stopped(std::string_view worker,
                                                             std::condition_variable& cv,
                                                             bool& flag) {
  bool failed = false;
  while (!stopping_.load()) {
    auto opened = store::Database::open(config_.database);
    if (auto* db = std::get_if<store::Database>(&opened)) {
      if (failed) log_->info(fmt::format("the {} opened the database", worker), {});
      return std::make_unique<store::Database>(std::move(*db));
    }
    if (!failed) {
      log_->error(fmt::format("the {} cannot open the database; it tries again every {} s", worker,
                              kLeadershipPoll.count()),
                  {{"error", std::get<store::DbError>(opened).message}});
      failed = true;
    }
    if (!sleep_until(cv, flag, now() + kLeadershipPoll)) break;
  }
  return nullptr;
}

void Service::hold_lead() {
  if (!leadership_) {
    // Its connection could not be made at the start (or since): made again at each try.
    auto opened = store::Leadership::open(config_.database, config_.instance);
    if (std::holds_alternative<store::DbError>(opened)) return;
    leadership_.emplace(std::move(std::get<store::Leadership>(opened)));
    log_->info("the leadership opened the database", {{"instance", config_.instance}});
  }
  const bool was = leading_.load();
  auto held = leadership_->hold(now_text());
  bool leads = false;
  if (auto* error = std::get_if<store::DbError>(&held)) {
    if (was) {
      log_->error("this service lost the lead: the store does not answer",
                  {{"instance", config_.instance}, {"error", error->message}});
    }
  } else {
    leads = std::get<bool>(held);
  }
  if (leads && !was) {
    epoch_ = leadership_->epoch();
    // Runs in progress are a former leader's, cut short (a stop, a crash, a lost
    // connection): say so, rather than leave them "running" forever. Queued ones stay
    // queued and run now; a scheduled run they stood for is caught up.
    auto opened = store::Database::open(config_.database);
    if (auto* db = std::get_if<store::Database>(&opened)) {
      db->fence(epoch_.load());
      const std::string now = now_text();
      // On a shared store (PostgreSQL) another service takes over the work of one that
      // died: the evaluations it was running are redone (once); a lone service on its
      // SQLite file reports them failed at its restart, as ever.
      const std::string_view why = "interrupted: the service stopped during the run";
      if (auto failure = db->engine() == store::Engine::postgresql
                             ? store::redo_running_evaluations(*db, now, why)
                             : store::fail_running_evaluations(*db, now, why)) {
        log_->error("cannot close the interrupted evaluations", {{"error", failure->message}});
      }
      // The alert ledger's runs written in steps, cut short the same way.
      if (auto error = alert::fail_runs(*db, std::nullopt,
                                        "interrupted: the service stopped during the run", now)) {
        log_->error("cannot close the interrupted runs", {{"error", error->message}});
      }
    }
    leading_ = true;
    metrics_.set_leader(true);
    log_->info("this service leads: it runs the schedule, the evaluations and the deliveries",
               {{"instance", config_.instance}, {"epoch", epoch_.load()}});
    wake_runner();
    wake_delivery();
    {
      std::lock_guard lock(wake_mutex_);
      scheduler_woken_ = true;
    }
    scheduler_cv_.notify_all();
  } else if (!leads && was) {
    leading_ = false;
    metrics_.set_leader(false);
    log_->warn("this service no longer leads; it answers the API only",
               {{"instance", config_.instance}, {"epoch", epoch_.load()}});
  }
}

bool Service::wait_to_lead(std::condition_variable& cv, bool& flag, store::Database& db) {
  while (!leading_.load()) {
    if (!sleep_until(cv, flag, now() + std::chrono::minutes(1))) return false;
  }
  db.fence(epoch_.load());
  return !stopping_.load();
}

void Service::leadership_loop() {
  ThreadExit exit{running_threads_, wake_mutex_, runner_cv_};
  while (sleep_until(leadership_cv_, leadership_woken_, now() + kLeadershipPoll)) hold_lead();
}

bool Service::stop(Clock::time_point deadline) {
  stopping_ = true;
  runner_cv_.notify_all();
  scheduler_cv_.notify_all();
  delivery_cv_.notify_all();
  leadership_cv_.notify_all();
  {
    std::unique_lock lock(wake_mutex_);
    // Each thread counts itself out and notifies every condition variable on the way.
    runner_cv_.wait_until(lock, deadline, [&] { return running_threads_.load() == 0; });
  }
  if (running_threads_.load() != 0) {
    for (std::thread* t : {&runner_, &scheduler_, &delivery_, &leadership_thread_}) {
      if (t->joinable()) t->detach();
    }
    return false;
  }
  for (std::thread* t : {&runner_, &scheduler_, &delivery_, &leadership_thread_}) {
    if (t->joinable()) t->join();
  }
  // Another service takes the lead at its next try rather than when the connection goes.
  if (leadership_) leadership_->release();
  leading_ = false;
  return true;
}

// [schedule] cores: the runner, the threads an evaluation starts from it, and the
// dashboard's warmer, on that many of the service's cores; the others are the requests'
// alone (see ServiceConfig).
void Service::keep_evaluations_on_their_cores() {
  const unsigned asked = config_.evaluation_cores;
  if (asked == 0) return;
  const unsigned usable = util::usable_cores();
  const auto kept = util::keep_on_cores(asked);
  // Said once, by whichever background thread comes first: they all get the same cores.
  std::call_once(cores_said_, [&] {
    if (const auto* why = std::get_if<std::string>(&kept)) {
      log_->warn("evaluations run on every core: schedule.cores is not applied",
                 {{"cores", static_cast<std::int64_t>(asked)}, {"error", *why}});
      return;
    }
    const std::vector<int>& cores = std::get<std::vector<int>>(kept);
    const std::string listed = fmt::format("{}", fmt::join(cores, ","));
    if (asked >= usable) {
      log_->warn(
          "evaluations run on every core: schedule.cores is not below the cores the "
          "service may use",
          {{"cores", static_cast<std::int64_t>(asked)},
           {"usable", static_cast<std::int64_t>(usable)},
           {"on", listed}});
      return;
    }
    log_->info("evaluations run on some cores, the others are the requests'",
               {{"cores", static_cast<std::int64_t>(asked)},
                {"usable", static_cast<std::int64_t>(usable)},
                {"on", listed}});
  });
}

void Service::run_in_background(std::string_view thread) {
  // Evaluations are the service's batch work and requests its interactive work: the
  // runner (and the threads it starts, which inherit it) yields the cores to the handlers
  // when both want them, and so do the dashboard's warmer and the Graphviz it runs.
  // bench/serve: the pages' p95 during an evaluation went from 340 ms to the figure in
  // docs/api.md. Raising one's own nice value needs no privilege. The cores first: a
  // thread seen at the background's nice value is on its cores already.
  keep_evaluations_on_their_cores();
  const auto self = static_cast<id_t>(::gettid());
  errno = 0;
  const int nice = ::getpriority(PRIO_PROCESS, self);
  if (errno == 0 && ::setpriority(PRIO_PROCESS, self, std::min(19, nice + kBackgroundNice)) != 0) {
    log_->warn("a background thread keeps the service's priority",
               {{"thread", std::string(thread)}, {"error", std::strerror(errno)}});
  }
}

void Service::runner_loop() {
  ThreadExit exit{running_threads_, wake_mutex_, runner_cv_};
  run_in_background("runner");
  const std::unique_ptr<store::Database> opened =
      open_until_stopped("runner", runner_cv_, runner_woken_);
  if (!opened) return;
  store::Database& db = *opened;
  // On PostgreSQL another service may queue a request (the API of every service takes
  // them): the leader looks every few seconds.
  const auto idle = db.engine() == store::Engine::postgresql
                        ? std::chrono::duration_cast<Clock::duration>(kLeadershipPoll)
                        : std::chrono::duration_cast<Clock::duration>(std::chrono::minutes(1));
  const bool shared = db.engine() == store::Engine::postgresql;
  while (!stopping_.load()) {
    // A version of the rule set saved through another service (or a reload there).
    sync_rules(db);
    if (shared && !leading_.load()) {
      follow_latest(db);
      if (!sleep_until(runner_cv_, runner_woken_, now() + idle)) break;
      continue;
    }
    if (!wait_to_lead(runner_cv_, runner_woken_, db)) break;
    std::optional<EvaluationRecord> next;
    {
      auto queued = store::next_queued_evaluation(db);
      if (auto* failure = std::get_if<store::DbError>(&queued)) {
        log_->error("cannot read the queued evaluations", {{"error", failure->message}});
      } else {
        next = std::move(std::get<std::optional<EvaluationRecord>>(queued));
      }
    }
    if (next) {
      sync_rules(db);
      run_evaluation(db, *next);
      continue;
    }
    // A leader that has evaluated nothing yet shows what its predecessor evaluated.
    if (shared && !latest()) follow_latest(db);
    // Woken by a request; the timeout guards against a lost wake-up (and sees the
    // requests of the other services on PostgreSQL).
    if (!sleep_until(runner_cv_, runner_woken_, now() + idle)) break;
  }
}

void Service::probe_storage(store::Database& db) {
  if (const std::optional<store::DbError> error = store::probe_write(db)) {
    log_->warn("the store still cannot write", {{"error", error->message}});
  } else {
    log_->info("the store writes again", {});
  }
}

void Service::scheduler_loop() {
  ThreadExit exit{running_threads_, wake_mutex_, runner_cv_};
  const date::time_zone* zone = date::locate_zone(config_.schedule_time_zone);
  const auto now_seconds = [this] { return std::chrono::floor<std::chrono::seconds>(now()); };
  std::unique_ptr<store::Database> db;
  {
    db = open_until_stopped("scheduler", scheduler_cv_, scheduler_woken_);
    if (!db) return;
  }
  // A tick is covered once an evaluation stands for it (or for a later one), whatever
  // its outcome (a failed run is reported, not repeated in a loop), unless a stop
  // interrupted it.
  const auto covered = [&](std::chrono::sys_seconds tick) -> bool {
    const auto found = store::tick_covered(*db, notify::format_utc(Clock::time_point(tick)));
    if (const auto* failure = std::get_if<store::DbError>(&found)) {
      log_->error("cannot read the evaluations", {{"error", failure->message}});
      return true;
    }
    return std::get<bool>(found);
  };
  // A tick that could not be queued (a full disk) is tried again every half minute until
  // it is, or a later tick covers it; /readyz says not ready meanwhile.
  std::optional<std::pair<std::string, std::chrono::sys_seconds>> unqueued;
  const auto queue = [&](std::string_view trigger, std::chrono::sys_seconds tick) {
    auto id =
        store::enqueue_evaluation(*db,
                                  {.trigger = std::string(trigger),
                                   .scheduled_for = notify::format_utc(Clock::time_point(tick)),
                                   .at_date = {},
                                   .requested_at = now_text(),
                                   .requested_by = {}},
                                  std::nullopt);
    if (auto* error = std::get_if<store::DbError>(&id)) {
      log_->error("cannot queue the scheduled evaluation; trying again in 30 s",
                  {{"trigger", trigger},
                   {"tick", notify::format_utc(Clock::time_point(tick))},
                   {"error", error->message}});
      unqueued.emplace(std::string(trigger), tick);
      return;
    }
    unqueued.reset();
    log_->info(trigger == "catch-up" ? "queued the run missed while the service was down"
                                     : "scheduled evaluation queued",
               {{"id", std::get<std::int64_t>(id)},
                {"tick", notify::format_utc(Clock::time_point(tick))}});
    wake_runner();
  };

  // Only the leader queues the schedule's runs; each new leader first catches up the
  // tick missed while no service led (once: a tick stands covered in the store).
  while (!stopping_.load()) {
    if (!wait_to_lead(scheduler_cv_, scheduler_woken_, *db)) break;
    unqueued.reset();
    if (const auto missed = config_.schedule.previous(now_seconds(), zone)) {
      if (!config_.catch_up) {
        log_->info("no catch-up run at start (schedule.catch_up = false)",
                   {{"missed_tick", notify::format_utc(Clock::time_point(*missed))}});
      } else if (!covered(*missed)) {
        queue("catch-up", *missed);
      }
    }
    std::chrono::sys_seconds from = now_seconds();
    while (!stopping_.load() && leading_.load()) {
      const auto tick = config_.schedule.next(from, zone);
      if (!tick) {
        log_->warn("the schedule never fires again", {{"cron", config_.schedule.text()}});
        sleep_until(scheduler_cv_, scheduler_woken_, now() + std::chrono::hours(24 * 365));
        continue;
      }
      // Sleep in steps of at most a minute, so that a changed wall clock (NTP, a
      // suspended virtual machine) is noticed soon; of half a minute while the store has
      // a failure to retry.
      while (!stopping_.load() && leading_.load() && now() < Clock::time_point(*tick)) {
        const bool retrying = unqueued || db->storage_failure();
        const auto step = retrying ? std::chrono::seconds(30) : std::chrono::seconds(60);
        const auto until = std::min(Clock::time_point(*tick), now() + step);
        sleep_until(scheduler_cv_, scheduler_woken_, until);
        if (stopping_.load() || !leading_.load()) break;
        if (unqueued) {
          const auto [trigger, missed] = *unqueued;
          if (!covered(missed)) {
            queue(trigger, missed);
          } else {
            unqueued.reset();
          }
        } else if (db->storage_failure()) {
          // Nothing else may write for hours: find out whether the store has come back.
          probe_storage(*db);
        }
      }
      if (stopping_.load() || !leading_.load()) break;
      if (!covered(*tick)) queue("schedule", *tick);
      from = *tick;
    }
  }
}

void Service::delivery_loop() {
  ThreadExit exit{running_threads_, wake_mutex_, runner_cv_};
  const std::unique_ptr<store::Database> opened =
      open_until_stopped("delivery loop", delivery_cv_, delivery_woken_);
  if (!opened) return;
  store::Database& db = *opened;
  notify::DeliveryHooks hooks;
  hooks.stop = [this] { return stopping_.load() || !leading_.load(); };
  hooks.attempted = [this](const notify::OutboxRow& row, store::OutboxState state,
                           const notify::Attempt& attempt) {
    const std::string_view outcome =
        state == store::OutboxState::pending ? "retry" : store::to_string(state);
    metrics_.delivery(row.kind, outcome);
    const std::initializer_list<LogField> fields = {{"outbox_id", row.id},
                                                    {"channel", row.channel},
                                                    {"kind", row.kind},
                                                    {"outcome", outcome},
                                                    {"attempt", row.attempts + 1},
                                                    {"status", attempt.status.value_or(0)},
                                                    {"error", attempt.error}};
    if (state == store::OutboxState::delivered) {
      log_->info("message delivered", fields);
    } else {
      log_->warn(state == store::OutboxState::dead ? "message given up (dead letter)"
                                                   : "delivery failed; will retry",
                 fields);
    }
  };
  while (!stopping_.load()) {
    if (!wait_to_lead(delivery_cv_, delivery_woken_, db)) break;
    auto report = notify::deliver_due(
        db, config_.delivery, [this] { return now(); }, hooks);
    if (auto* error = std::get_if<store::DbError>(&report)) {
      log_->error("delivery pass failed", {{"error", error->message}});
    }
    // Until the next row is due (a minute at most, so that rows written by another
    // process, such as `tiendo run`, are seen), or until a run queues messages.
    Clock::time_point until = now() + std::chrono::minutes(1);
    auto next = notify::next_due(db);
    if (auto* due = std::get_if<std::optional<Clock::time_point>>(&next); due && *due) {
      until = std::min(until, std::max(**due, now() + std::chrono::seconds(1)));
    }
    if (!sleep_until(delivery_cv_, delivery_woken_, until)) break;
  }
}

}  // namespace tiendo::service

// bench_eval: the full evaluation of a large rule set over a large store, against the
// floor for any evaluator over this store: the sqlite3 shell's time for one query that
// returns the latest observation of every (indicator, unit).
//
//   bench_eval [--units 1000] [--indicators 100] [--periods 40] [--rules 10000]
//              [--tasks 2000] [--seed 1] [--db PATH] [--repeat 3] [--write-rules PATH]
//
// The generated database is kept at --db (default: a temporary file) and reused when it
// already holds the same parameters, since writing 4,000,000 rows takes a while.
// --write-rules also writes the generated rule set to PATH, so that `tiendo serve` can
// load exactly the benchmark's rules over its database (bench/serve/run does).
//
// --run TIENDO also times what the nightly service does, `tiendo run` (evaluate, reconcile
// the alert ledger, record the run, in one transaction), end to end on a copy of the
// generated store, in the same invocation as the floor and the evaluation alone at the
// same date (--run-at, default 2026-01-31: every `by` target is past its deadline): a
// first run, a run the next day with nothing changed, and a run the day after once 1% of
// the observations have a new revision. For each: wall time (and as a multiple of the
// evaluation alone), the peak resident memory of the tiendo process, and how much the
// database (with its write-ahead log) grew. Then `tiendo gc` prunes every run but the
// last: its time, how much the file shrank, and the longest it held the write lock. The
// sequence runs --repeat times, each on a fresh copy; each step shows its best time (as
// the evaluation alone does) and the list of all of them.
//
// --postgres (a URL of a running server's database, or `private` for a server of the
// benchmark's own: bench/postgres.hpp) measures the same on PostgreSQL in the same
// invocation: the generated store is copied there (`store::copy_store`, timed), the
// evaluation loads from it, the floor is the same query through psql (`SELECT DISTINCT ON
// (indicator, unit) ...`), and --run's copies are databases made from it as a template.
// Each engine's evaluations run in a child process of their own, so that each one's peak
// memory is its own.
#include <fmt/format.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "dsl/check.hpp"
#include "eval/evaluate.hpp"
#include "model/calendar.hpp"
#include "postgres.hpp"
#include "store/copy.hpp"
#include "store/database.hpp"
#include "store/snapshot.hpp"
#include "store/sql/statements.hpp"

namespace {

using namespace tiendo;
using Clock = std::chrono::steady_clock;

struct Options {
  int units = 1000;
  int indicators = 100;
  int periods = 40;
  int rules = 10000;
  int tasks = 2000;
  unsigned seed = 1;
  std::string db;
  int repeat = 3;
  unsigned threads = 0;
  unsigned load_threads = 0;
  std::string write_rules;
  std::string tiendo;  // --run: the tiendo binary
  std::string run_at = "2026-01-31";
  std::string postgres;  // a server's URL, or "private"; empty: SQLite only
  std::string psql = "psql";
};

// Where the benchmark's store is: the generated SQLite file, or its copy on PostgreSQL.
struct Site {
  std::string engine;                               // "SQLite", "PostgreSQL"
  std::string location;                             // the file, or the database's URL
  tiendo::bench::PostgresServer* server = nullptr;  // PostgreSQL's
  std::string database;                             // its name there
};

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// Resident memory now, from /proc (peak_rss_mb gives the high-water mark).
double current_rss_mb() {
  std::FILE* statm = std::fopen("/proc/self/statm", "r");
  long pages = 0, resident = 0;
  if (statm) {
    if (std::fscanf(statm, "%ld %ld", &pages, &resident) != 2) resident = 0;
    std::fclose(statm);
  }
  return static_cast<double>(resident) * static_cast<double>(sysconf(_SC_PAGESIZE)) / 1048576.0;
}

// The rule set: levels, indicators (percent, count, number), plans, tasks in a random
// DAG, and rules of every kind the issue names.
std::string rules_text(const Options& o, std::mt19937& rng) {
  std::string text = "levels province > district > commune\n";
  for (int i = 0; i < o.indicators; ++i) {
    const char* unit = i % 5 == 3 ? "count" : i % 5 == 4 ? "number" : "percent";
    text += fmt::format("indicator ind{} {{ title \"Chỉ tiêu {}\" unit {} stale after 2y }}\n", i,
                        i, unit);
  }
  for (int p = 0; p < 20; ++p) text += fmt::format("plan plan{} {{ code \"{}/KH-UBND\" }}\n", p, p);
  std::uniform_int_distribution<int> duration(1, 60);
  for (int t = 0; t < o.tasks; ++t) {
    std::string after;
    if (t > 0) {
      std::uniform_int_distribution<int> earlier(std::max(0, t - 50), t - 1);
      const int a = earlier(rng);
      after = fmt::format(" after task{}", a);
      if (t > 1 && rng() % 2) {
        const int b = earlier(rng);
        if (b != a) after += fmt::format(", task{}", b);
      }
    }
    // Later tasks are due later, so `after` never points at a task due after its own.
    text += fmt::format("task task{} {{ part_of plan{} due {} duration {}d{} }}\n", t, t % 20,
                        2025 + t * 5 / o.tasks, duration(rng), after);
  }
  std::uniform_int_distribution<int> indicator(0, o.indicators - 1);
  std::uniform_int_distribution<int> kind(0, 99);
  for (int r = 0; r < o.rules; ++r) {
    int i = indicator(rng);
    while (i % 5 >= 3) i = indicator(rng);  // percent indicators for the simple kinds
    const int k = kind(rng);
    std::string require;
    if (k < 40) {
      require = fmt::format("ind{} >= {}% by 2025-12-31", i, 40 + r % 50);
    } else if (k < 70) {
      require = fmt::format("ind{} >= {}% by 2025-12-31 for each district", i, 40 + r % 50);
    } else if (k < 80) {
      require = fmt::format("ind{} >= {}% from 2024-01-01 for each commune", i, 10 + r % 30);
    } else if (k < 88) {
      require = fmt::format("avg(ind{}, commune) >= {}% by 2025-12-31", i, 40 + r % 50);
    } else if (k < 94) {
      int c = indicator(rng);
      while (c % 5 != 3) c = indicator(rng);
      require = fmt::format("share(commune, ind{} >= 1) >= 90% by 2025-12-31", c);
    } else {
      require = fmt::format("ind{} >= 50% by 2025-12-31", i);
    }
    std::string needs;
    if (k >= 94) needs = fmt::format(" needs task{}", r % o.tasks);
    text += fmt::format("rule rule{} {{ require {}{} }}\n", r, require, needs);
  }
  return text;
}

void write_database(const Options& o, const std::string& path, std::mt19937& rng) {
  std::filesystem::remove(path);
  std::filesystem::remove(path + "-wal");
  std::filesystem::remove(path + "-shm");
  auto opened = store::Database::open(path);
  if (auto* error = std::get_if<store::DbError>(&opened)) {
    std::fprintf(stderr, "bench_eval: %s\n", error->message.c_str());
    std::exit(1);
  }
  store::Database& db = std::get<store::Database>(opened);
  // Generation stops at the first failed statement, naming it: a database written in part
  // would make the benchmark measure something else (or crash on what is missing).
  const auto fail = [](const std::optional<store::DbError>& error) {
    if (!error) return;
    std::fprintf(stderr, "bench_eval: writing the database: %s\n", error->message.c_str());
    std::exit(1);
  };
  fail(tiendo::store::sql::execute(
      db, "PRAGMA synchronous = OFF"));  // generation only; the benchmark reads
  store::Transaction transaction(db);
  fail(transaction.error());
  store::Statement unit =
      tiendo::store::sql::prepare(db,
                                  "INSERT INTO units (id, name, level, parent, input, updated_at) "
                                  "VALUES (?1, ?2, ?3, ?4, 'bench', 'now')");
  fail(unit.error());
  const int districts = std::max(1, static_cast<int>(o.units / 30));
  std::vector<std::string> ids;
  const auto add_unit = [&](const std::string& id, const char* level, const std::string& parent) {
    unit.reset();
    unit.bind(1, id).bind(2, id).bind(3, std::string_view(level));
    if (parent.empty()) {
      unit.bind_null(4);
    } else {
      unit.bind(4, parent);
    }
    if (!unit.run()) fail(unit.error());
    ids.push_back(id);
  };
  add_unit("p0", "province", "");
  for (int d = 0; d < districts; ++d) add_unit(fmt::format("d{:03}", d), "district", "p0");
  for (int c = 0; static_cast<int>(ids.size()) < o.units; ++c) {
    add_unit(fmt::format("c{:04}", c), "commune", fmt::format("d{:03}", c % districts));
  }
  store::Statement point = tiendo::store::sql::prepare(
      db,
      "INSERT INTO observations (indicator, unit, period_start, period_end, value, input, "
      "input_line, revision, ingested_at) VALUES (?1, ?2, ?3, ?4, ?5, 'bench.csv', 1, 1, 'now')");
  fail(point.error());
  std::uniform_real_distribution<double> noise(-0.02, 0.02);
  std::vector<std::pair<std::string, std::string>> quarters;
  for (int q = 0; q < o.periods; ++q) {
    const int year = 2024 - (o.periods - 1 - q) / 4;
    const int quarter = (q + 4 - o.periods % 4) % 4 + 1;
    const char* ends[] = {"03-31", "06-30", "09-30", "12-31"};
    const char* starts[] = {"01-01", "04-01", "07-01", "10-01"};
    quarters.emplace_back(fmt::format("{}-{}", year, starts[quarter - 1]),
                          fmt::format("{}-{}", year, ends[quarter - 1]));
  }
  for (int i = 0; i < o.indicators; ++i) {
    const std::string indicator = fmt::format("ind{}", i);
    for (const std::string& id : ids) {
      double value = 0.2 + 0.4 * static_cast<double>(rng() % 100) / 100.0;
      for (const auto& [start, end] : quarters) {
        value += 0.005 + noise(rng);
        point.reset();
        point.bind(1, indicator).bind(2, id).bind(3, start).bind(4, end);
        point.bind(5, i % 5 == 3 ? static_cast<double>(rng() % 3) : value);
        if (!point.run()) fail(point.error());
      }
    }
  }
  fail(tiendo::store::sql::execute(
      db, fmt::format("CREATE TABLE bench_parameters AS SELECT '{}' AS key",
                      fmt::format("{}-{}-{}-{}", o.units, o.indicators, o.periods, o.seed))));
  fail(transaction.commit());
}

bool database_matches(const Options& o, const std::string& path) {
  if (!std::filesystem::exists(path)) return false;
  auto opened = store::Database::open(path);
  if (!std::holds_alternative<store::Database>(opened)) return false;
  store::Statement key = tiendo::store::sql::prepare(std::get<store::Database>(opened),
                                                     "SELECT key FROM bench_parameters");
  return key.step() &&
         key.column_text(0) == fmt::format("{}-{}-{}-{}", o.units, o.indicators, o.periods, o.seed);
}

// The database file and its write-ahead log, in bytes (on PostgreSQL the database's size).
std::uintmax_t store_bytes(const Site& site, const std::string& path) {
  if (site.server) {
    const auto size = site.server->query(path, "SELECT pg_database_size(current_database())");
    if (!size) std::exit(1);
    return std::strtoull(size->c_str(), nullptr, 10);
  }
  std::uintmax_t total = 0;
  for (const std::string& file : {path, path + "-wal"}) {
    std::error_code error;
    const std::uintmax_t size = std::filesystem::file_size(file, error);
    if (!error) total += size;
  }
  return total;
}

struct Measured {
  double seconds = 0;
  double peak_mb = 0;  // the child's peak resident memory
  std::string output;  // its summary line (or the last line of its standard output)
};

// Runs `argv` to completion, its standard output into `log`; exits on failure.
Measured run_measured(const std::vector<std::string>& argv, const std::string& log) {
  std::fflush(stdout);
  const auto start = Clock::now();
  const pid_t child = fork();
  if (child == 0) {
    if (!std::freopen(log.c_str(), "w", stdout)) _exit(126);
    std::vector<char*> args;
    for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
  int status = 0;
  rusage usage{};
  wait4(child, &status, 0, &usage);
  Measured m;
  m.seconds = seconds_since(start);
  m.peak_mb = static_cast<double>(usage.ru_maxrss) * 1024.0 / 1e6;
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::fprintf(stderr, "bench_eval: %s failed (status %d); its output is in %s\n",
                 argv[0].c_str(), status, log.c_str());
    std::exit(1);
  }
  std::FILE* in = std::fopen(log.c_str(), "r");
  char line[4096];
  while (in && std::fgets(line, sizeof line, in)) {
    // The run's own summary ("run 1 at …: N results, N alerts firing; …"), else the last.
    if (line[0] != '\n' && !m.output.starts_with("run ")) m.output = line;
  }
  if (in) std::fclose(in);
  while (!m.output.empty() && (m.output.back() == '\n' || m.output.back() == '\r')) {
    m.output.pop_back();
  }
  return m;
}

// One step of the run sequence, over the repeats: the best wall time and the highest peak
// memory; the database's growth and the summary are the same each time (the same runs on
// the same data), the last kept.
struct Step {
  std::string what;
  std::vector<double> walls;
  double peak_mb = 0;
  double grown_mb = 0;
  std::string output;
  void add(const Measured& m, double grown) {
    walls.push_back(m.seconds);
    peak_mb = std::max(peak_mb, m.peak_mb);
    grown_mb = grown / 1e6;
    output = m.output;
  }
  double best() const { return *std::min_element(walls.begin(), walls.end()); }
  std::string all_walls() const {
    std::string text;
    for (const double w : walls) text += fmt::format("{}{:.2f}", text.empty() ? "" : " ", w);
    return text;
  }
};

// The nightly service's cost: `tiendo run` three times, then `tiendo gc`, on a fresh copy
// of the store, the whole sequence --repeat times (the machine's speed varies from one
// minute to the next: each step is compared by its best time, as the evaluation alone is).
void time_runs(const Options& o, const Site& site, const std::string& rules_text,
               double evaluation_alone) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::path(o.db).parent_path() / fmt::format("tiendo-bench-run-{}", getpid());
  // The copy's name: a file, or a database on the server.
  const std::string copy_name =
      site.server ? fmt::format("tiendo_bench_run_{}", getpid()) : (dir / "run.db").string();
  const std::string db = site.server ? site.server->url(copy_name) : copy_name;
  const auto bytes = [&] { return store_bytes(site, copy_name); };
  const std::string rules_file = (dir / "bench.rules").string();
  const std::optional<model::Date> first_day = model::parse_iso_date(o.run_at);
  if (!first_day) {
    std::fprintf(stderr, "bench_eval: --run-at: '%s' is not a date YYYY-MM-DD\n", o.run_at.c_str());
    std::exit(2);
  }
  std::vector<Step> steps(4);
  steps[0].what = "first run";
  steps[1].what = "next day, nothing changed";
  steps[2].what = "after 1% of observations changed";
  steps[3].what = "gc, keeping the last run";
  const auto run_on = [&](int day, Step& step) {
    const std::string at = model::to_string(*first_day + std::chrono::days{day});
    const std::uintmax_t before = bytes();
    const Measured m =
        run_measured({o.tiendo, "run", "--db", db, "--rules", rules_file, "--at", at},
                     (dir / fmt::format("run-{}.log", day)).string());
    step.add(m, static_cast<double>(bytes()) - static_cast<double>(before));
  };
  fs::remove_all(dir);
  fs::create_directories(dir);
  {
    std::FILE* out = std::fopen(rules_file.c_str(), "wb");
    if (!out || std::fwrite(rules_text.data(), 1, rules_text.size(), out) != rules_text.size() ||
        std::fclose(out) != 0) {
      std::fprintf(stderr, "bench_eval: cannot write %s\n", rules_file.c_str());
      std::exit(1);
    }
  }
  for (int repeat = 0; repeat < o.repeat; ++repeat) {
    if (site.server) {
      // A copy of the benchmark's database, made by the server from it as a template.
      if (!site.server->create(copy_name, site.database)) std::exit(1);
    } else {
      for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(db + suffix);
      fs::copy_file(o.db, db);
      if (fs::exists(o.db + "-wal")) fs::copy_file(o.db + "-wal", db + "-wal");
    }
    run_on(0, steps[0]);
    run_on(1, steps[1]);
    // 1% of the observations get a new revision, as a department's corrections would.
    {
      auto opened = store::Database::open(db);
      if (auto* failed = std::get_if<store::DbError>(&opened)) {
        std::fprintf(stderr, "bench_eval: %s\n", failed->message.c_str());
        std::exit(1);
      }
      store::Database& handle = std::get<store::Database>(opened);
      const auto changed = tiendo::store::sql::execute(handle, R"sql(
INSERT INTO observations (indicator, unit, period_start, period_end, value, input, input_line,
  revision, ingested_at)
SELECT indicator, unit, period_start, period_end,
  CASE WHEN value >= 0.5 THEN value - 0.03 ELSE value + 0.03 END,
  'bench-corrections.csv', id, revision + 1, 'later'
FROM observations WHERE id % 100 = 0)sql");
      if (changed) {
        std::fprintf(stderr, "bench_eval: changing 1%% of the observations: %s\n",
                     changed->message.c_str());
        std::exit(1);
      }
    }
    run_on(2, steps[2]);
    // Retention: everything but the last run's results pruned (runs older than a second).
    std::this_thread::sleep_for(std::chrono::milliseconds(2100));
    const std::uintmax_t before = bytes();
    const Measured m =
        run_measured({o.tiendo, "gc", "--db", db, "--older-than", "1s"}, (dir / "gc.log").string());
    steps[3].add(m, static_cast<double>(bytes()) - static_cast<double>(before));
  }
  std::printf("%s: tiendo run at %s on a fresh copy of the store, %d time%s (best of each):\n",
              site.engine.c_str(), o.run_at.c_str(), o.repeat, o.repeat == 1 ? "" : "s");
  std::printf("  %-34s %9s %7s %11s %13s   %s\n", "", "wall", "x eval", "peak RSS", "db growth",
              "summary");
  for (const Step& step : steps) {
    const bool gc = &step == &steps.back();
    std::printf("  %-34s %7.2f s %7s %8.0f MB %+9.1f MB   %s\n", step.what.c_str(), step.best(),
                gc ? "" : fmt::format("{:.1f}x", step.best() / evaluation_alone).c_str(),
                step.peak_mb, step.grown_mb, step.output.c_str());
  }
  std::printf("  walls:");
  for (const Step& step : steps)
    std::printf(" %s [%s];", step.what.c_str(), step.all_walls().c_str());
  std::printf("\n");
  fs::remove_all(dir);
  if (site.server) {
    site.server->query("", fmt::format("DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)", copy_name));
  }
}

double time_sqlite_floor(const std::string& path) {
  const std::string query =
      "SELECT indicator, unit, value, max(period_end) FROM observations GROUP BY indicator, unit;";
  std::fflush(stdout);  // or the child writes our buffered output a second time
  const auto start = Clock::now();
  const pid_t child = fork();
  if (child == 0) {
    std::freopen("/dev/null", "w", stdout);
    execlp("sqlite3", "sqlite3", path.c_str(), query.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  int status = 0;
  waitpid(child, &status, 0);
  const double elapsed = seconds_since(start);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::fprintf(stderr, "bench_eval: the sqlite3 shell failed (is it installed?)\n");
    std::exit(1);
  }
  return elapsed;
}

// The same latest-of-every-(indicator, unit) query through psql, its rows read whole.
double time_postgres_floor(const Site& site) {
  const auto start = Clock::now();
  const auto rows = site.server->query(site.database, R"sql(
SELECT DISTINCT ON (indicator, unit) indicator, unit, value, period_end FROM observations
ORDER BY indicator, unit, period_end DESC)sql");
  const double elapsed = seconds_since(start);
  if (!rows) std::exit(1);
  return elapsed;
}

// Load and evaluate, --repeat times, the best of each.
struct Evaluation {
  double load = 1e9, evaluate = 1e9, total = 1e9;
  double rss_loaded = 0, rss_evaluated = 0;
  std::size_t results = 0, points = 0;
  double peak_mb = 0;  // the child process's peak memory
};

Evaluation evaluate_store(const Options& o, const model::RuleSet& rules,
                          const std::string& location, model::Date at) {
  Evaluation e;
  for (int run = 0; run < o.repeat; ++run) {
    const auto start = Clock::now();
    auto opened = store::Database::open(location);
    if (auto* error = std::get_if<store::DbError>(&opened)) {
      std::fprintf(stderr, "bench_eval: %s\n", error->message.c_str());
      std::exit(1);
    }
    auto loaded = store::load_snapshot(std::get<store::Database>(opened), rules,
                                       {.threads = o.load_threads,
                                        .known_at = "",
                                        .through = {},
                                        .base = nullptr,
                                        .cancel = nullptr});
    if (auto* error = std::get_if<store::DbError>(&loaded)) {
      std::fprintf(stderr, "bench_eval: loading: %s\n", error->message.c_str());
      std::exit(1);
    }
    const store::Snapshot& snapshot = std::get<store::Snapshot>(loaded);
    const double load = seconds_since(start);
    e.rss_loaded = current_rss_mb();
    const auto evaluated = Clock::now();
    const eval::Results r =
        eval::evaluate(rules, snapshot, at, {.keep_used = false, .threads = o.threads});
    const double evaluation = seconds_since(evaluated);
    e.rss_evaluated = current_rss_mb();
    e.load = std::min(e.load, load);
    e.evaluate = std::min(e.evaluate, evaluation);
    e.total = std::min(e.total, load + evaluation);
    e.results = r.rules.size() + r.tasks.size();
    e.points = snapshot.point_count();
  }
  return e;
}

// evaluate_store in a child process (its figures through a pipe), with the child's peak
// memory from wait4.
Evaluation evaluate_in_child(const Options& o, const model::RuleSet& rules,
                             const std::string& location, model::Date at) {
  int pipe_fds[2];
  if (::pipe(pipe_fds) != 0) {
    std::perror("bench_eval: pipe");
    std::exit(1);
  }
  std::fflush(stdout);
  const pid_t child = fork();
  if (child == 0) {
    ::close(pipe_fds[0]);
    const Evaluation e = evaluate_store(o, rules, location, at);
    const bool written = ::write(pipe_fds[1], &e, sizeof e) == static_cast<ssize_t>(sizeof e);
    _exit(written ? 0 : 1);
  }
  ::close(pipe_fds[1]);
  Evaluation e;
  const bool read = ::read(pipe_fds[0], &e, sizeof e) == static_cast<ssize_t>(sizeof e);
  ::close(pipe_fds[0]);
  int status = 0;
  rusage usage{};
  wait4(child, &status, 0, &usage);
  if (!read || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::fprintf(stderr, "bench_eval: the evaluation of %s failed\n", location.c_str());
    std::exit(1);
  }
  e.peak_mb = static_cast<double>(usage.ru_maxrss) * 1024.0 / 1e6;
  return e;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  CLI::App app{"bench_eval: full evaluation against the sqlite3 floor"};
  app.add_option("--units", o.units, "Units in three levels")->check(CLI::Range(1, 1000000000));
  app.add_option("--indicators", o.indicators, "Indicators")->check(CLI::Range(1, 1000000000));
  app.add_option("--periods", o.periods, "Quarterly periods")->check(CLI::Range(1, 1000000000));
  app.add_option("--rules", o.rules, "Rules")->check(CLI::Range(1, 1000000000));
  app.add_option("--tasks", o.tasks, "Tasks")->check(CLI::Range(1, 1000000000));
  app.add_option("--seed", o.seed, "Generator seed");
  app.add_option("--db", o.db, "Database file to generate or reuse");
  app.add_option("--repeat", o.repeat, "Timed runs")->check(CLI::Range(1, 1000000000));
  app.add_option("--threads", o.threads, "Evaluation threads (0: one per core)");
  app.add_option("--load-threads", o.load_threads,
                 "Connections reading the observations (0: by table size and cores)");
  app.add_option("--write-rules", o.write_rules, "Also write the generated rule set to this file");
  app.add_option("--run", o.tiendo,
                 "Also time `tiendo run` (this binary) three times on a copy of the store");
  app.add_option("--run-at", o.run_at, "The date of the first timed run (default 2026-01-31)");
  app.add_option("--postgres", o.postgres,
                 "Also on PostgreSQL: a URL of a running server's database, or 'private' to "
                 "start one");
  app.add_option("--psql", o.psql, "psql, for the PostgreSQL floor");
  CLI11_PARSE(app, argc, argv);
  if (o.db.empty()) {
    o.db =
        (std::filesystem::temp_directory_path() /
         fmt::format("tiendo-bench-eval-{}-{}-{}-{}.db", o.units, o.indicators, o.periods, o.seed))
            .string();
  }
  std::mt19937 rng(o.seed);
  const std::string text = rules_text(o, rng);
  dsl::Program program = dsl::load_text("bench.rules", text);
  auto rules = dsl::check(program);
  if (!rules) {
    for (const auto& d : program.diagnostics.all()) {
      std::fputs(dsl::render(d, program.sources).c_str(), stderr);
      break;
    }
    return 1;
  }
  if (!o.write_rules.empty()) {
    std::FILE* out = std::fopen(o.write_rules.c_str(), "wb");
    bool written = out && std::fwrite(text.data(), 1, text.size(), out) == text.size();
    if (out && std::fclose(out) != 0) written = false;
    if (!written) {
      std::fprintf(stderr, "bench_eval: cannot write the rules to %s\n", o.write_rules.c_str());
      return 1;
    }
  }
  if (!database_matches(o, o.db)) {
    const auto start = Clock::now();
    write_database(o, o.db, rng);
    std::printf("generated %s in %.1f s\n", o.db.c_str(), seconds_since(start));
  }

  std::vector<Site> sites = {{"SQLite", o.db, nullptr, ""}};
  std::unique_ptr<tiendo::bench::PostgresServer> server;
  if (!o.postgres.empty()) {
    server = tiendo::bench::PostgresServer::open(o.postgres, o.psql);
    if (!server) return 1;
    Site site{"PostgreSQL", "", server.get(), fmt::format("tiendo_bench_eval_{}", getpid())};
    if (!server->create(site.database)) return 1;
    site.location = server->url(site.database);
    const auto start = Clock::now();
    auto from = store::Database::open(o.db);
    auto to = store::Database::open(site.location);
    for (auto* opened : {&from, &to}) {
      if (auto* error = std::get_if<store::DbError>(opened)) {
        std::fprintf(stderr, "bench_eval: %s\n", error->message.c_str());
        return 1;
      }
    }
    auto copied =
        store::copy_store(std::get<store::Database>(from), std::get<store::Database>(to), true);
    if (auto* error = std::get_if<store::DbError>(&copied)) {
      std::fprintf(stderr, "bench_eval: copying the store to PostgreSQL: %s\n",
                   error->message.c_str());
      return 1;
    }
    // Fresh statistics, as autovacuum would gather them after such a load.
    if (!server->query(site.database, "VACUUM ANALYZE")) return 1;
    std::printf(
        "PostgreSQL: %s\ncopied the store there in %.1f s (store copy, then VACUUM "
        "ANALYZE)\n",
        server->description().c_str(), seconds_since(start));
    sites.push_back(std::move(site));
  }

  std::printf("rule set: %zu rules, %zu tasks (%.1f MB of rules text)\n", rules->rules.size(),
              rules->tasks.size(), static_cast<double>(text.size()) / 1e6);
  const model::Date evaluated_at{std::chrono::year{2024} / 12 / 31};
  std::vector<Evaluation> evaluations;
  for (const Site& site : sites) {
    const Evaluation e = evaluate_in_child(o, *rules, site.location, evaluated_at);
    double floor = 1e9;
    for (int run = 0; run < o.repeat; ++run) {
      floor = std::min(floor, site.server ? time_postgres_floor(site) : time_sqlite_floor(o.db));
    }
    std::printf("%s:\n", site.engine.c_str());
    std::printf("  store: %d units, %d indicators, %d quarters: %zu observations\n", o.units,
                o.indicators, o.periods, e.points);
    std::printf("  evaluation (best of %d): load %.2f s + evaluate %.2f s = %.2f s, %zu results\n",
                o.repeat, e.load, e.evaluate, e.total, e.results);
    std::printf("  floor (%s, latest of every indicator x unit): %.2f s\n",
                site.server ? "psql" : "sqlite3 shell", floor);
    std::printf("  ratio: %.2fx the floor (goal: at most 2x)\n", e.total / floor);
    std::printf("  memory: %.0f MB with the snapshot loaded, %.0f MB with the results too\n",
                e.rss_loaded, e.rss_evaluated);
    std::printf("  peak memory: %.0f MB (goal: under 500 MB%s)\n", e.peak_mb,
                site.server
                    ? fmt::format(", as on SQLite: {:.0f} MB", evaluations[0].peak_mb).c_str()
                    : "");
    evaluations.push_back(e);
  }
  if (!o.tiendo.empty()) {
    // The evaluation alone at the runs' date, in this invocation, as the yardstick.
    const std::optional<model::Date> at = model::parse_iso_date(o.run_at);
    if (!at) {
      std::fprintf(stderr, "bench_eval: --run-at: '%s' is not a date YYYY-MM-DD\n",
                   o.run_at.c_str());
      return 2;
    }
    for (const Site& site : sites) {
      const double alone = evaluate_in_child(o, *rules, site.location, *at).total;
      std::printf("%s: evaluation alone at %s (best of %d): %.2f s\n", site.engine.c_str(),
                  o.run_at.c_str(), o.repeat, alone);
      time_runs(o, site, text, alone);
    }
  }
  return 0;
}

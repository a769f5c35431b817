// End-to-end ingest throughput: the real `tiendo ingest` binary on generated CSV files,
// against the floor of the `sqlite3` shell's `.import` of the same rows.
//
//   bench_ingest [--rows N] [--repeat R] [--tiendo PATH] [--sqlite3 PATH] [--keep]
//                (defaults: 1000000, 3, the tiendo of this build tree, sqlite3 on PATH)
//
// Writes into a fresh temporary directory (removed at the end unless --keep):
//   units.csv  1,000 units in three levels (a province, 10 districts, 989 communes);
//   obs.csv    N observations `indicator,unit,period,value` over 100 indicators, quarter by
//              quarter and unit by unit as provinces send them: `Quý III/2022`, percents
//              such as "77,62%", fractions such as 392/505 and numbers such as "12.345,6";
//   floor.csv  the same rows as the observations table stores them (id, indicator, unit,
//              period_start, period_end, value, numerator, ..., revision, ingested_at),
//              converted beforehand with the engine's own parsers, so the shell only loads;
//   floor-sorted.csv  the same again, in the order of the table's UNIQUE key.
// Then, R times each, on a fresh database every time:
//   tiendo     `tiendo ingest --unchecked --db tiendo.db units.csv obs.csv`: start to exit,
//   parsing,
//              validation, staging and the write, as a user would run it;
//   floor      `sqlite3 floor.db -cmd "PRAGMA journal_mode=WAL" -cmd "PRAGMA
//              synchronous=FULL" -cmd "PRAGMA foreign_keys=ON" ".import --csv floor.csv
//              observations"` into a database that already holds the units (loaded before
//              the clock starts), with the units and observations tables and indexes of
//              engine/store/schema.cpp, taken from store::migrations(). Only STRICT is
//              dropped: the shell binds an empty field as '' rather than NULL, which a STRICT
//              REAL column refuses; an empty string costs the same bytes as a NULL;
//   sorted     the same with floor-sorted.csv. In the file's order every row lands at a
//              random place of the two indexes, which with SQLite's default 2 MB page cache
//              means reading and writing back index pages all the time; in key order they
//              are appends. tiendo's INSERT ... SELECT reads its staging table in key
//              order, so the sorted floor is the one to compare with: the least a load of
//              these rows into this table costs.
// With --postgres (a URL of a running server's database, or `private` for a server of the
// benchmark's own: see bench/postgres.hpp), the same again on PostgreSQL, in the same
// invocation, R times each on a fresh database:
//   tiendo     `tiendo ingest --unchecked --db postgresql://... units.csv obs.csv`;
//   floor      `psql -c "\copy observations (id, indicator, ...) FROM floor.csv CSV"` into
//              a database whose schema and units tiendo made before the clock starts (the
//              same tables, indexes, foreign key and checks).
// Prints each one's best and median wall time, rows/s and the child's peak RSS (wait4),
// and the ratios of the medians. The aim is tiendo <= 1.5x the floor on either engine. Figures
// only: a shared machine's timings are not pass/fail, so the only failures are a child that fails
// or a database without the expected row count.
#include <fcntl.h>
#include <fmt/format.h>
#include <spawn.h>
#include <sqlite3.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "postgres.hpp"
#include "store/schema.hpp"
#include "store/values.hpp"

extern "C" char** environ;

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

constexpr std::size_t kIndicators = 100;
constexpr std::size_t kDistricts = 10;
constexpr std::size_t kCommunes = 989;
constexpr std::string_view kRoman[] = {"I", "II", "III", "IV"};
constexpr std::string_view kIngestedAt = "2022-11-28T00:00:00Z";

struct Options {
  std::size_t rows = 1000000;
  std::size_t repeat = 3;
  std::string tiendo = TIENDO_BINARY;
  std::string sqlite3 = "sqlite3";
  std::string postgres;  // a server's URL, or "private"; empty: SQLite only
  std::string psql = "psql";
  bool keep = false;
};

std::optional<Options> parse_arguments(int argc, char** argv) {
  Options options;
  CLI::App app{"bench_ingest: tiendo ingest against the sqlite3 shell's .import"};
  app.add_option("--rows", options.rows, "Observation rows")->check(CLI::Range(1, 1000000000));
  app.add_option("--repeat", options.repeat, "Timed runs of each")
      ->check(CLI::Range(1, 1000000000));
  app.add_option("--tiendo", options.tiendo, "The tiendo binary");
  app.add_option("--sqlite3", options.sqlite3, "The sqlite3 shell");
  app.add_option("--postgres", options.postgres,
                 "Also on PostgreSQL: a URL of a running server's database, or 'private' to "
                 "start one");
  app.add_option("--psql", options.psql, "psql, for the PostgreSQL floor");
  app.add_flag("--keep", options.keep, "Keep the generated files");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return std::nullopt;
  }
  return options;
}

// ---------------------------------------------------------------------------------------
// The inputs.

struct Unit {
  std::string id, name, level, parent;
};

std::vector<Unit> make_units() {
  std::vector<Unit> units = {{"dong_nai", "Tỉnh Đồng Nai", "province", ""}};
  for (std::size_t d = 1; d <= kDistricts; ++d) {
    units.push_back(
        {fmt::format("huyen_{:02}", d), fmt::format("Huyện số {}", d), "district", "dong_nai"});
  }
  for (std::size_t c = 1; c <= kCommunes; ++c) {
    units.push_back({fmt::format("xa_{:04}", c), fmt::format("Xã số {}", c), "commune",
                     fmt::format("huyen_{:02}", c % kDistricts + 1)});
  }
  return units;
}

// Indicator i's name: mostly percents, a tenth fractions, a tenth plain numbers.
std::string indicator_name(std::size_t i) {
  if (i % 10 == 9) return fmt::format("ty_le_dat_{:02}", i);
  if (i % 10 == 8) return fmt::format("gia_tri_{:02}", i);
  return fmt::format("ty_le_{:02}", i);
}

// A value as a province would write it, from a hash of the row's place so that the rows
// come out the same in any order: percents with the decimal comma, fractions, numbers
// with dots between thousands.
std::string value_text(std::size_t quarter, std::size_t unit, std::size_t indicator) {
  std::uint64_t r = (quarter * 1000003 + unit) * 1009 + indicator + 0x9e3779b97f4a7c15ULL;
  r = (r ^ (r >> 30)) * 0xbf58476d1ce4e5b9ULL;
  r = (r ^ (r >> 27)) * 0x94d049bb133111ebULL;
  r ^= r >> 31;
  if (indicator % 10 == 9) return fmt::format("{}/{}", r % 500, 500 + r % 97);
  if (indicator % 10 == 8) {
    const std::uint64_t tenths = r % 10000000;  // up to 999.999,9
    std::string digits = std::to_string(tenths / 10);
    for (int at = static_cast<int>(digits.size()) - 3; at > 0; at -= 3) {
      digits.insert(static_cast<std::size_t>(at), ".");
    }
    return fmt::format("\"{},{}\"", digits, tenths % 10);
  }
  return fmt::format("\"{},{:02}%\"", r % 100, r / 100 % 100);
}

struct Inputs {
  std::string units;
  std::string observations;
  std::string floor;         // obs.csv's rows in its order, pre-transformed for .import
  std::string floor_sorted;  // the same rows in the order of the observations' UNIQUE key
  std::size_t units_count = 0;
};

// Writes the CSV files. The observations are quarter by quarter, unit by unit, indicator
// by indicator; row r (from 0) is quarter r / (units x indicators). The floor's values
// come from the engine's own parsers, so that both sides store the same numbers.
class Generator {
 public:
  Generator(const Options& options, const fs::path& dir, const std::vector<Unit>& units)
      : options_(options), units_(units) {
    inputs_ = {(dir / "units.csv").string(), (dir / "obs.csv").string(),
               (dir / "floor.csv").string(), (dir / "floor-sorted.csv").string(), units.size()};
    for (std::size_t i = 0; i < kIndicators; ++i) indicators_.push_back(indicator_name(i));
    const std::size_t quarters = (options.rows + per_quarter() - 1) / per_quarter();
    for (std::size_t q = 0; q < quarters; ++q) {
      Quarter quarter;
      quarter.text = fmt::format("Quý {}/{}", kRoman[q % 4], 2020 + q / 4);
      const auto parsed = tiendo::store::parse_data_period(quarter.text);
      if (const auto* p = std::get_if<tiendo::model::Period>(&parsed)) {
        quarter.start = tiendo::model::to_string(p->first);
        quarter.end = tiendo::model::to_string(p->last);
      } else {
        error_ = fmt::format("generated period '{}' does not parse", quarter.text);
      }
      quarters_.push_back(std::move(quarter));
    }
  }

  std::optional<Inputs> write() {
    {
      std::ofstream out(inputs_.units, std::ios::binary);
      out << "unit,name,level,parent\n";
      for (const Unit& unit : units_) {
        out << unit.id << ',' << unit.name << ',' << unit.level << ',' << unit.parent << '\n';
      }
    }
    std::ofstream obs(inputs_.observations, std::ios::binary);
    std::ofstream floor(inputs_.floor, std::ios::binary);
    obs << "indicator,unit,period,value\n";
    std::string obs_buffer;
    std::string floor_buffer;
    std::size_t id = 0;
    for (std::size_t r = 0; r < options_.rows && error_.empty(); ++r) {
      const std::size_t q = r / per_quarter();
      const std::size_t u = r / kIndicators % units_.size();
      const std::size_t i = r % kIndicators;
      fmt::format_to(std::back_inserter(obs_buffer), "{},{},{},{}\n", indicators_[i], units_[u].id,
                     quarters_[q].text, value_text(q, u, i));
      floor_row(floor_buffer, ++id, q, u, i);
      flush(obs, obs_buffer);
      flush(floor, floor_buffer);
    }
    flush(obs, obs_buffer, true);
    flush(floor, floor_buffer, true);

    // By indicator, unit, period start and end, as the UNIQUE index orders them (the
    // units are made in id order and the quarters in date order).
    std::vector<std::size_t> by_name(kIndicators);
    for (std::size_t i = 0; i < kIndicators; ++i) by_name[i] = i;
    std::sort(by_name.begin(), by_name.end(),
              [&](std::size_t a, std::size_t b) { return indicators_[a] < indicators_[b]; });
    std::ofstream sorted(inputs_.floor_sorted, std::ios::binary);
    id = 0;
    for (const std::size_t i : by_name) {
      for (std::size_t u = 0; u < units_.size() && error_.empty(); ++u) {
        for (std::size_t q = 0; q < quarters_.size(); ++q) {
          if (q * per_quarter() + u * kIndicators + i >= options_.rows) break;
          floor_row(floor_buffer, ++id, q, u, i);
        }
        flush(sorted, floor_buffer);
      }
    }
    flush(sorted, floor_buffer, true);
    if (!error_.empty()) {
      std::fprintf(stderr, "bench_ingest: %s\n", error_.c_str());
      return std::nullopt;
    }
    if (!obs || !floor || !sorted) {
      std::fprintf(stderr, "bench_ingest: cannot write the inputs\n");
      return std::nullopt;
    }
    return inputs_;
  }

 private:
  struct Quarter {
    std::string text, start, end;
  };

  std::size_t per_quarter() const { return units_.size() * kIndicators; }

  // id, indicator, unit, period_start, period_end, value, numerator, denominator, source,
  // note, input, input_line, revision, ingested_at
  void floor_row(std::string& out, std::size_t id, std::size_t q, std::size_t u, std::size_t i) {
    const std::string value = value_text(q, u, i);
    std::string_view bare = value;
    if (bare.front() == '"') bare = bare.substr(1, bare.size() - 2);
    // Without --rules tiendo reads a value with % or / as a percent.
    const bool percent = bare.find_first_of("%/") != std::string_view::npos;
    const auto parsed = tiendo::store::parse_value(
        bare, percent ? tiendo::model::ValueUnit::percent : tiendo::model::ValueUnit::number,
        tiendo::store::NumberOptions{});
    const auto* v = std::get_if<tiendo::store::ParsedValue>(&parsed);
    if (!v) {
      error_ = fmt::format("generated value '{}' does not parse: {}", value,
                           std::get<std::string>(parsed));
      return;
    }
    const auto optional = [](const std::optional<double>& x) {
      return x ? fmt::format("{}", *x) : std::string();
    };
    const std::size_t line = q * per_quarter() + u * kIndicators + i + 2;
    fmt::format_to(std::back_inserter(out), "{},{},{},{},{},{},{},{},,,{},{},1,{}\n", id,
                   indicators_[i], units_[u].id, quarters_[q].start, quarters_[q].end, v->value,
                   optional(v->numerator), optional(v->denominator), inputs_.observations, line,
                   kIngestedAt);
  }

  static void flush(std::ofstream& out, std::string& buffer, bool always = false) {
    if (always || buffer.size() > (1 << 20)) {
      out << buffer;
      buffer.clear();
    }
  }

  const Options& options_;
  const std::vector<Unit>& units_;
  Inputs inputs_;
  std::vector<std::string> indicators_;
  std::vector<Quarter> quarters_;
  std::string error_;
};

// ---------------------------------------------------------------------------------------
// Children.

struct ChildRun {
  double seconds = 0;
  double peak_rss_mb = 0;
};

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Runs `args` (args[0] looked up on PATH when it has no slash) with its output in `log`;
// nullopt (after a message with the log) unless it exits 0 with nothing on stderr.
std::optional<ChildRun> run_child(std::vector<std::string> args, const fs::path& log) {
  const fs::path err = log.string() + ".err";
  std::vector<char*> argv;
  for (std::string& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, err.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0644);
  pid_t pid = -1;
  const auto start = Clock::now();
  const int rc = posix_spawnp(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    std::fprintf(stderr, "bench_ingest: cannot start %s: %s\n", argv[0], std::strerror(rc));
    return std::nullopt;
  }
  int status = 0;
  rusage usage{};
  while (::wait4(pid, &status, 0, &usage) < 0 && errno == EINTR) {
  }
  ChildRun run;
  run.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  run.peak_rss_mb = static_cast<double>(usage.ru_maxrss) * 1024.0 / 1e6;  // KiB
  const std::string errors = read_file(err);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || !errors.empty()) {
    std::fprintf(stderr, "bench_ingest: %s failed (status %d):\n%s%s", argv[0], status,
                 read_file(log).c_str(), errors.c_str());
    return std::nullopt;
  }
  return run;
}

// ---------------------------------------------------------------------------------------
// Databases, through the SQLite C API (store::Database would migrate the floor's).

void remove_database(const fs::path& path) {
  for (const char* suffix : {"", "-wal", "-shm", "-journal"}) {
    std::error_code ignored;
    fs::remove(path.string() + suffix, ignored);
  }
}

bool exec(sqlite3* db, const std::string& sql) {
  char* message = nullptr;
  if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &message) != SQLITE_OK) {
    std::fprintf(stderr, "bench_ingest: %s\n  in: %.200s\n", message ? message : "?", sql.c_str());
    sqlite3_free(message);
    return false;
  }
  return true;
}

std::int64_t count_rows(const fs::path& path, const char* table) {
  sqlite3* db = nullptr;
  std::int64_t count = -1;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
    sqlite3_stmt* statement = nullptr;
    const std::string sql = fmt::format("SELECT count(*) FROM {}", table);
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &statement, nullptr) == SQLITE_OK &&
        sqlite3_step(statement) == SQLITE_ROW) {
      count = sqlite3_column_int64(statement, 0);
    }
    sqlite3_finalize(statement);
  }
  sqlite3_close(db);
  return count;
}

// The statement of `schema` that starts with `head`, up to its `;`, without STRICT.
std::optional<std::string> statement_of(const std::string& schema, std::string_view head) {
  const std::size_t start = schema.find(head);
  if (start == std::string::npos) return std::nullopt;
  const std::size_t end = schema.find(';', start);
  if (end == std::string::npos) return std::nullopt;
  std::string statement = schema.substr(start, end + 1 - start);
  if (const std::size_t strict = statement.rfind(") STRICT;"); strict != std::string::npos) {
    statement.replace(strict, std::string_view(") STRICT;").size(), ");");
  }
  return statement;
}

// The floor's database: tiendo's units and observations tables and their indexes, with
// the units in, so that the timed .import does only the observations.
bool prepare_floor(const fs::path& path, const std::vector<Unit>& units) {
  remove_database(path);
  const std::string& schema = tiendo::store::migrations().front();
  std::string ddl;
  for (std::string_view head :
       {"CREATE TABLE units (", "CREATE INDEX units_parent", "CREATE TABLE observations (",
        "CREATE INDEX observations_by_end"}) {
    const auto statement = statement_of(schema, head);
    if (!statement) {
      std::fprintf(stderr, "bench_ingest: no '%.*s' in the schema\n", static_cast<int>(head.size()),
                   head.data());
      return false;
    }
    ddl += *statement + "\n";
  }
  sqlite3* db = nullptr;
  bool ok = sqlite3_open(path.c_str(), &db) == SQLITE_OK &&
            exec(db, "PRAGMA journal_mode = WAL; BEGIN;") && exec(db, ddl);
  sqlite3_stmt* insert = nullptr;
  ok = ok && sqlite3_prepare_v2(db, "INSERT INTO units VALUES (?1, ?2, ?3, ?4, 'units.csv', ?5)",
                                -1, &insert, nullptr) == SQLITE_OK;
  for (const Unit& unit : units) {
    if (!ok) break;
    sqlite3_bind_text(insert, 1, unit.id.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(insert, 2, unit.name.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(insert, 3, unit.level.c_str(), -1, SQLITE_TRANSIENT);
    if (unit.parent.empty()) {
      sqlite3_bind_null(insert, 4);
    } else {
      sqlite3_bind_text(insert, 4, unit.parent.c_str(), -1, SQLITE_TRANSIENT);
    }
    sqlite3_bind_text(insert, 5, kIngestedAt.data(), static_cast<int>(kIngestedAt.size()),
                      SQLITE_STATIC);
    ok = sqlite3_step(insert) == SQLITE_DONE && sqlite3_reset(insert) == SQLITE_OK;
  }
  sqlite3_finalize(insert);
  ok = ok && exec(db, "COMMIT");
  if (!ok && db) std::fprintf(stderr, "bench_ingest: floor database: %s\n", sqlite3_errmsg(db));
  sqlite3_close(db);
  return ok;
}

// ---------------------------------------------------------------------------------------

struct Figures {
  std::vector<double> seconds;
  double peak_rss_mb = 0;

  double best() const { return *std::min_element(seconds.begin(), seconds.end()); }
  double median() const {
    std::vector<double> sorted = seconds;
    std::sort(sorted.begin(), sorted.end());
    const std::size_t n = sorted.size();
    return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
  }
};

void print(const char* name, const Figures& figures, std::size_t rows) {
  const auto rate = [&](double s) { return static_cast<double>(rows) / s; };
  fmt::print(
      "  {:<7} best {:7.3f} s ({:9.0f} rows/s)  median {:7.3f} s ({:9.0f} rows/s)  "
      "peak RSS {:6.1f} MB\n",
      name, figures.best(), rate(figures.best()), figures.median(), rate(figures.median()),
      figures.peak_rss_mb);
}

double file_mb(const fs::path& path) {
  std::error_code ignored;
  return static_cast<double>(fs::file_size(path, ignored)) / 1e6;
}

// The same rows on PostgreSQL: tiendo's ingest, and psql's \copy of floor.csv into the
// same tables, each on a new database.
bool run_postgres(const Options& options, const fs::path& dir, const Inputs& inputs,
                  std::size_t units, Figures& ours, Figures& floor) {
  auto server = tiendo::bench::PostgresServer::open(options.postgres, options.psql);
  if (!server) return false;
  fmt::print("  PostgreSQL: {}\n", server->description());
  const std::string database = fmt::format("tiendo_bench_ingest_{}", ::getpid());
  const auto expect_rows = [&](const char* table, std::size_t expected) {
    const auto count = server->query(database, fmt::format("SELECT count(*) FROM {}", table));
    if (count && std::strtoull(count->c_str(), nullptr, 10) == expected) return true;
    std::fprintf(stderr, "bench_ingest: %s has %s rows in %s; expected %zu\n",
                 server->url(database).c_str(), count ? count->c_str() : "?", table, expected);
    return false;
  };
  for (std::size_t repeat = 0; repeat < options.repeat; ++repeat) {
    if (!server->create(database)) return false;
    const auto tiendo_run = run_child({options.tiendo, "ingest", "--unchecked", "--db",
                                       server->url(database), inputs.units, inputs.observations},
                                      dir / "tiendo-pg.log");
    if (!tiendo_run || !expect_rows("observations", options.rows) || !expect_rows("units", units)) {
      return false;
    }
    ours.seconds.push_back(tiendo_run->seconds);
    ours.peak_rss_mb = std::max(ours.peak_rss_mb, tiendo_run->peak_rss_mb);

    // The floor's database: tiendo's schema and the units, before the clock starts.
    if (!server->create(database) || !run_child({options.tiendo, "ingest", "--unchecked", "--db",
                                                 server->url(database), inputs.units},
                                                dir / "floor-pg-units.log")) {
      return false;
    }
    const auto floor_run = run_child(
        {options.psql, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", server->url(database), "-c",
         fmt::format("\\copy observations (id, indicator, unit, period_start, period_end, value, "
                     "numerator, denominator, source, note, input, input_line, revision, "
                     "ingested_at) FROM '{}' WITH (FORMAT csv)",
                     inputs.floor)},
        dir / "floor-pg.log");
    if (!floor_run || !expect_rows("observations", options.rows)) return false;
    floor.seconds.push_back(floor_run->seconds);
    floor.peak_rss_mb = std::max(floor.peak_rss_mb, floor_run->peak_rss_mb);
    fmt::print("  PostgreSQL run {}: tiendo {:.3f} s, floor {:.3f} s\n", repeat + 1,
               tiendo_run->seconds, floor_run->seconds);
  }
  return true;
}

int run(const Options& options, const fs::path& dir) {
  const std::vector<Unit> units = make_units();
  const auto generated_at = Clock::now();
  const std::optional<Inputs> inputs = Generator(options, dir, units).write();
  if (!inputs) return 1;
  fmt::print(
      "bench_ingest: {} observations ({:.1f} MB) and {} units; floor CSV {:.1f} MB; "
      "generated in {:.1f} s in {}\n",
      options.rows, file_mb(inputs->observations), inputs->units_count, file_mb(inputs->floor),
      std::chrono::duration<double>(Clock::now() - generated_at).count(), dir.string());
  fmt::print("  tiendo: {}\n  sqlite3: {} (SQLite {})\n", options.tiendo, options.sqlite3,
             sqlite3_libversion());

  const fs::path tiendo_db = dir / "tiendo.db";
  const fs::path floor_db = dir / "floor.db";
  const auto expect_rows = [&](const fs::path& db, const char* table, std::size_t expected) {
    const std::int64_t count = count_rows(db, table);
    if (count == static_cast<std::int64_t>(expected)) return true;
    std::fprintf(stderr, "bench_ingest: %s has %lld rows in %s; expected %zu\n", db.c_str(),
                 static_cast<long long>(count), table, expected);
    return false;
  };
  Figures ours;
  Figures floor;
  Figures sorted;
  const auto import = [&](const std::string& csv, Figures& figures) -> std::optional<double> {
    if (!prepare_floor(floor_db, units)) return std::nullopt;
    const auto floor_run =
        run_child({options.sqlite3, floor_db.string(), "-cmd", "PRAGMA journal_mode=WAL", "-cmd",
                   "PRAGMA synchronous=FULL", "-cmd", "PRAGMA foreign_keys=ON",
                   ".import --csv " + csv + " observations"},
                  dir / "floor.log");
    if (!floor_run || !expect_rows(floor_db, "observations", options.rows)) return std::nullopt;
    figures.seconds.push_back(floor_run->seconds);
    figures.peak_rss_mb = std::max(figures.peak_rss_mb, floor_run->peak_rss_mb);
    return floor_run->seconds;
  };
  for (std::size_t repeat = 0; repeat < options.repeat; ++repeat) {
    remove_database(tiendo_db);
    const auto tiendo_run = run_child({options.tiendo, "ingest", "--unchecked", "--db",
                                       tiendo_db.string(), inputs->units, inputs->observations},
                                      dir / "tiendo.log");
    if (!tiendo_run || !expect_rows(tiendo_db, "observations", options.rows) ||
        !expect_rows(tiendo_db, "units", units.size())) {
      return 1;
    }
    ours.seconds.push_back(tiendo_run->seconds);
    ours.peak_rss_mb = std::max(ours.peak_rss_mb, tiendo_run->peak_rss_mb);
    const auto floor_seconds = import(inputs->floor, floor);
    if (!floor_seconds) return 1;
    const auto sorted_seconds = import(inputs->floor_sorted, sorted);
    if (!sorted_seconds) return 1;
    fmt::print("  run {}: tiendo {:.3f} s, floor {:.3f} s, sorted floor {:.3f} s\n", repeat + 1,
               tiendo_run->seconds, *floor_seconds, *sorted_seconds);
  }
  Figures pg_ours;
  Figures pg_floor;
  if (!options.postgres.empty() &&
      !run_postgres(options, dir, *inputs, units.size(), pg_ours, pg_floor)) {
    return 1;
  }
  fmt::print("{} runs each, wall time from start to exit:\n", options.repeat);
  fmt::print(" SQLite:\n");
  print("tiendo", ours, options.rows);
  print("floor", floor, options.rows);
  print("sorted", sorted, options.rows);
  fmt::print(
      "  ratio tiendo / floor (medians): {:.2f}x (goal <= 1.50x); tiendo / sorted floor: "
      "{:.2f}x\n",
      ours.median() / floor.median(), ours.median() / sorted.median());
  if (!options.postgres.empty()) {
    fmt::print(" PostgreSQL:\n");
    print("tiendo", pg_ours, options.rows);
    print("floor", pg_floor, options.rows);
    fmt::print("  ratio tiendo / floor (medians): {:.2f}x (goal <= 1.50x)\n",
               pg_ours.median() / pg_floor.median());
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::optional<Options> options = parse_arguments(argc, argv);
  if (!options) return 2;
  std::string pattern = (fs::temp_directory_path() / "tiendo-bench-ingest-XXXXXX").string();
  if (!::mkdtemp(pattern.data())) {
    std::perror("bench_ingest: mkdtemp");
    return 1;
  }
  const fs::path dir = pattern;
  const int status = run(*options, dir);
  if (options->keep) {
    fmt::print("kept {}\n", dir.string());
  } else {
    std::error_code ignored;
    fs::remove_all(dir, ignored);
  }
  return status;
}

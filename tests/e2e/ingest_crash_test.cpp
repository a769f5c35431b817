// Crash safety of `tiendo ingest`: the process is killed with SIGKILL at random moments
// of a large ingest, and every time the database must pass `PRAGMA integrity_check` and
// hold either none of the input set or all of it, never part of it (the ingest is one
// transaction; SQLite's WAL must drop the frames of a transaction that never committed).
//
// One uncrashed run is measured first, on a separate database in the same state: how long
// it takes, when the WAL starts to grow (the first write of the main database) and how
// large it grows. Then the kills:
//
// - Random ones, over 0..1.2x that run: stratified, half of them over the time before the
//   first write and half over the rest, attempt k of each half killed at a uniformly
//   random time in the k-th part of its span. Where they land depends on the machine's
//   speed; the printed tally says how they fell. The early half comes first.
// - Then kills on evidence, which do not depend on it: each waits for the WAL to hold a
//   given number of bytes (a first frame after its header, then a quarter and half of the
//   uncrashed run's largest WAL), that is for the transaction to be writing, and kills at
//   once.
// - Then the late random half.
//
// A kill that finds the input committed (or a run that finished) leaves nothing for the
// next kill to cut off: the next attempt starts on a fresh database in the first state.
// Before, every later attempt was a re-ingest that writes nothing, and a loaded machine
// whose early kill landed after the commit left the test no kill during the write.
//
// The test requires at least one kill observed mid-write: the process dead, uncommitted
// frames left in the WAL, and none of the input in the database once it is opened again.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "run.hpp"
#include "store/database.hpp"
#include "store/sql/statements.hpp"

extern "C" char** environ;

namespace tiendo::testing {
namespace {

using Clock = std::chrono::steady_clock;

constexpr int kAttempts = 20;
constexpr int kDistricts = 10;
constexpr int kCommunesPerDistrict = 99;
constexpr std::int64_t kUnits = 1 + kDistricts + kDistricts * kCommunesPerDistrict;  // 1001
// About 1.5 s for one uncrashed run in a RelWithDebInfo build on a 2-core machine (the
// rows come month by month, so the staging table's key order is not the input's: that
// makes the run about twice as slow as sorted input would). A slower build (sanitizers)
// or machine gets fewer rows, see below.
constexpr std::size_t kRows = 150000;
constexpr double kLongestRunSeconds = 2.5;

std::string district_id(int d) { return "huyen_" + std::to_string(d); }
std::string commune_id(int d, int c) { return "xa_" + std::to_string(d) + "_" + std::to_string(c); }

std::string units_csv() {
  std::string text = "unit,name,level,parent\ntinh,Tỉnh Đồng Nai,province,\n";
  for (int d = 0; d < kDistricts; ++d) {
    text += district_id(d) + ",Huyện " + std::to_string(d) + ",district,tinh\n";
    for (int c = 0; c < kCommunesPerDistrict; ++c) {
      text += commune_id(d, c) + ",Xã " + std::to_string(d) + "." + std::to_string(c) +
              ",commune," + district_id(d) + "\n";
    }
  }
  return text;
}

// `rows` observations, as a province's monthly reports list them: month by month, every
// unit, a few indicators each. Distinct keys, so every row is an observation of its own.
std::string observations_csv(std::size_t rows) {
  static const char* const kIndicators[] = {"online_dossier_rate", "on_time_rate",
                                            "digital_signature_rate", "cashless_rate",
                                            "satisfaction_rate"};
  std::vector<std::string> units = {"tinh"};
  for (int d = 0; d < kDistricts; ++d) {
    units.push_back(district_id(d));
    for (int c = 0; c < kCommunesPerDistrict; ++c) units.push_back(commune_id(d, c));
  }
  std::mt19937 random(7);
  std::string text = "indicator,unit,period,value\n";
  text.reserve(rows * 45);
  std::size_t written = 0;
  for (int month = 0; written < rows; ++month) {
    const std::string period =
        std::to_string(month % 12 + 1) + "/" + std::to_string(2000 + month / 12);
    for (const std::string& unit : units) {
      for (const char* indicator : kIndicators) {
        if (written == rows) break;
        const unsigned value = random() % 1000;
        text += std::string(indicator) + "," + unit + "," + period + ",\"" +
                std::to_string(value / 10) + "," + std::to_string(value % 10) + "%\"\n";
        ++written;
      }
    }
  }
  return text;
}

struct Child {
  pid_t pid = -1;
  Clock::time_point started;
};

// Starts `tiendo ingest --db DB INPUTS...` with its output in `log`.
Child start_ingest(const std::string& db, const std::vector<std::string>& inputs,
                   const std::string& log) {
  std::vector<std::string> args = {TIENDO_BINARY, "ingest", "--unchecked", "--db", db};
  args.insert(args.end(), inputs.begin(), inputs.end());
  std::vector<char*> argv;
  for (std::string& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
  Child child;
  child.started = Clock::now();
  const int rc = posix_spawn(&child.pid, TIENDO_BINARY, &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    ADD_FAILURE() << "posix_spawn " << TIENDO_BINARY << ": " << std::strerror(rc);
    child.pid = -1;
  }
  return child;
}

int wait_for(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return status;
}

std::string describe(int status) {
  if (WIFEXITED(status)) return "exit " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return "signal " + std::to_string(WTERMSIG(status));
  return "status " + std::to_string(status);
}

struct Counts {
  std::int64_t units = -1;
  std::int64_t observations = -1;
  bool operator==(const Counts&) const = default;
};

std::ostream& operator<<(std::ostream& out, const Counts& counts) {
  return out << counts.units << " units, " << counts.observations << " observations";
}

// Opens the database as the next tiendo would (WAL recovery included), checks its
// integrity and counts its rows; nullopt (with a test failure) when it is damaged.
std::optional<Counts> inspect(const std::string& path) {
  auto opened = store::Database::open(path);
  if (auto* error = std::get_if<store::DbError>(&opened)) {
    ADD_FAILURE() << "cannot open " << path << ": " << error->message;
    return std::nullopt;
  }
  store::Database& db = std::get<store::Database>(opened);
  std::string integrity;
  store::Statement check = tiendo::store::sql::prepare(db, "PRAGMA integrity_check");
  while (check.step()) integrity += check.column_text(0) + "\n";
  if (integrity != "ok\n") {
    ADD_FAILURE() << "integrity_check of " << path << ":\n" << integrity;
    return std::nullopt;
  }
  store::Statement foreign_keys = tiendo::store::sql::prepare(db, "PRAGMA foreign_key_check");
  if (foreign_keys.step()) {
    ADD_FAILURE() << "foreign_key_check of " << path << " finds a row of "
                  << foreign_keys.column_text(0);
    return std::nullopt;
  }
  Counts counts;
  store::Statement units = tiendo::store::sql::prepare(db, "SELECT count(*) FROM units");
  if (units.step()) counts.units = units.column_int(0);
  store::Statement observations =
      tiendo::store::sql::prepare(db, "SELECT count(*) FROM observations");
  if (observations.step()) counts.observations = observations.column_int(0);
  return counts;
}

std::int64_t file_size(const std::string& path) {
  struct stat info {};
  return ::stat(path.c_str(), &info) == 0 ? static_cast<std::int64_t>(info.st_size) : -1;
}

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// Runs the small input set that both databases start with: some of the big input's
// units and observations of another indicator.
void ingest_small(const TempDir& dir, const std::string& db) {
  write_text(dir.path() + "/small-units.csv",
             "unit,name,level,parent\ntinh,Tỉnh Đồng Nai,province,\nhuyen_0,Huyện 0,district,"
             "tinh\nxa_0_0,Xã 0.0,commune,huyen_0\n");
  write_text(dir.path() + "/small.csv",
             "indicator,unit,period,value\nbudget_rate,tinh,Quý I/2022,\"12,5%\"\n"
             "budget_rate,huyen_0,Quý I/2022,\"40%\"\nbudget_rate,xa_0_0,Quý II/2022,392/505\n");
  const RunResult run = run_tiendo(
      "ingest --unchecked --db " + shell_quote(db) + " small-units.csv small.csv", dir.path());
  ASSERT_EQ(run.exit_code, 0) << run.err;
}

// A WAL holds frames (pages written by a transaction) after its 32-byte header; a file of
// the header alone holds none.
constexpr std::int64_t kWalHeaderBytes = 32;

struct Timing {
  int status = 0;
  double seconds = 0;
  std::optional<double> first_write;  // when the WAL was first seen to grow
  std::int64_t largest_wal = 0;       // the largest WAL seen
};

Timing watch(const Child& child, const std::string& db) {
  Timing timing;
  while (true) {
    const pid_t done = ::waitpid(child.pid, &timing.status, WNOHANG);
    if (done == child.pid || (done < 0 && errno != EINTR)) break;
    const std::int64_t wal = file_size(db + "-wal");
    if (!timing.first_write && wal > kWalHeaderBytes) {
      timing.first_write = seconds_since(child.started);
    }
    timing.largest_wal = std::max(timing.largest_wal, wal);
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  timing.seconds = seconds_since(child.started);
  return timing;
}

// Whether `pid` has exited, without reaping it (wait_for does that).
bool exited(pid_t pid) {
  siginfo_t info{};
  return ::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0 &&
         info.si_pid == pid;
}

// Kills `child` as soon as the WAL of `db` holds `bytes` or more, that is while its
// transaction writes; false when it exits first or `bound` seconds pass (it is killed then
// all the same).
bool kill_when_wal_holds(const Child& child, const std::string& db, std::int64_t bytes,
                         double bound) {
  bool triggered = false;
  while (seconds_since(child.started) < bound && !exited(child.pid)) {
    if (file_size(db + "-wal") >= bytes) {
      triggered = true;
      break;
    }
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  ::kill(child.pid, SIGKILL);
  return triggered;
}

TEST(IngestCrash, TheDatabaseHoldsAllOrNoneOfAnInputSetAfterSigkill) {
  const auto test_started = Clock::now();
  TempDir dir;
  const std::string units = dir.path() + "/units.csv";
  const std::string big = dir.path() + "/big.csv";
  const std::string log = dir.path() + "/ingest.log";
  write_text(units, units_csv());

  // One uncrashed run on a database of its own, to know how long a run takes and when
  // it starts writing.
  std::size_t rows = kRows;
  Timing measured;
  for (int calibration = 0; calibration < 2; ++calibration) {
    write_text(big, observations_csv(rows));
    const std::string db = dir.path() + "/measured-" + std::to_string(calibration) + ".db";
    ASSERT_NO_FATAL_FAILURE(ingest_small(dir, db));
    const Child child = start_ingest(db, {units, big}, log);
    ASSERT_GT(child.pid, 0);
    measured = watch(child, db);
    ASSERT_EQ(describe(measured.status), "exit 0") << read_text(log);
    const std::optional<Counts> counts = inspect(db);
    ASSERT_TRUE(counts.has_value());
    ASSERT_EQ(*counts, (Counts{kUnits, 3 + static_cast<std::int64_t>(rows)}));
    // A slow build (sanitizers) would take minutes: fewer rows keep the test short. The
    // last calibration's input is the one the kills use, whatever it measured: `rows`
    // must keep counting what big.csv holds (a loaded machine once made them differ).
    if (measured.seconds <= kLongestRunSeconds || calibration == 1) break;
    rows = std::max<std::size_t>(
        20000, static_cast<std::size_t>(static_cast<double>(rows) * 1.5 / measured.seconds));
  }
  const double span = 1.2 * measured.seconds;
  const double first_write = measured.first_write.value_or(measured.seconds / 2);
  std::printf(
      "one uncrashed ingest of %zu observations and %lld units: %.2f s, the WAL growing from "
      "%.2f s%s to %lld bytes\n",
      rows, static_cast<long long>(kUnits), measured.seconds, first_write,
      measured.first_write ? "" : " (not seen: taken as half the run)",
      static_cast<long long>(measured.largest_wal));
  ASSERT_GT(measured.largest_wal, 0) << "the uncrashed ingest was never seen writing its WAL";
  constexpr int kTriggered = 3;
  const std::int64_t wal_triggers[kTriggered] = {kWalHeaderBytes + 1, measured.largest_wal / 4,
                                                 measured.largest_wal / 2};

  // The database the attempts kill ingests into, in the first state: the small input set.
  int databases = 0;
  std::string db;
  std::optional<Counts> before;
  const auto fresh_database = [&] {
    db = dir.path() + "/crash-" + std::to_string(++databases) + ".db";
    ASSERT_NO_FATAL_FAILURE(ingest_small(dir, db));
    before = inspect(db);
    ASSERT_TRUE(before.has_value());
    ASSERT_EQ(*before, (Counts{3, 3}));
  };
  ASSERT_NO_FATAL_FAILURE(fresh_database());
  const Counts all{kUnits, before->observations + static_cast<std::int64_t>(rows)};

  std::mt19937 random(20221128);
  std::uniform_real_distribution<double> within(0, 1);
  constexpr int kHalf = kAttempts / 2;
  static_assert(kAttempts % 2 == 0);
  int before_write = 0;
  int during_write = 0;
  int after_commit = 0;
  int finished = 0;
  for (int attempt = 1; attempt <= kAttempts + kTriggered; ++attempt) {
    const bool triggered = attempt > kHalf && attempt <= kHalf + kTriggered;
    const int n = attempt > kHalf + kTriggered ? attempt - kTriggered : attempt;  // random's
    const Child child = start_ingest(db, {units, big}, log);
    ASSERT_GT(child.pid, 0);
    std::string when;
    if (triggered) {
      const std::int64_t bytes = wal_triggers[attempt - kHalf - 1];
      const bool seen = kill_when_wal_holds(child, db, bytes, 2 * span + 10);
      when = "once the WAL held " + std::to_string(bytes) + " bytes" + (seen ? "" : " (never)");
    } else {
      const bool early = n <= kHalf;
      const double from = early ? 0 : first_write;
      const double to = early ? first_write : span;
      const int part = (n - 1) % kHalf;
      const double sleep = from + (to - from) * (part + within(random)) / kHalf;
      std::this_thread::sleep_until(child.started + std::chrono::duration<double>(sleep));
      ::kill(child.pid, SIGKILL);
      when = "at " + std::to_string(sleep).substr(0, 5) + " s";
    }
    const double killed_after = seconds_since(child.started);
    const int status = wait_for(child.pid);
    const bool killed = WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
    ASSERT_TRUE(killed || describe(status) == "exit 0")
        << "attempt " << attempt << ": " << describe(status) << "\n"
        << read_text(log);
    // Before anyone opens the database again: did the killed process write pages of the
    // main database (into the WAL)? The last connection to close removes the WAL, so
    // there is none at the start of an attempt.
    const std::int64_t wal = file_size(db + "-wal");

    const std::optional<Counts> after = inspect(db);
    ASSERT_TRUE(after.has_value()) << "attempt " << attempt << ", killed " << when;
    ASSERT_TRUE(*after == *before || *after == all)
        << "attempt " << attempt << ", killed " << when << ": before " << *before << "; now "
        << *after << "; all of the input would be " << all;

    const char* landed = nullptr;
    if (!killed) {
      landed = "finished before the kill";
      ++finished;
    } else if (*after != *before) {
      landed = "after the commit";
      ++after_commit;
    } else if (wal > kWalHeaderBytes) {
      landed = "during the write";
      ++during_write;
    } else {
      landed = "before the write";
      ++before_write;
    }
    std::printf("attempt %2d: killed %s (%.3f s), %s (%s): %lld units, %lld observations\n",
                attempt, when.c_str(), killed_after, landed,
                wal < 0 ? "no WAL left" : ("WAL of " + std::to_string(wal) + " bytes").c_str(),
                static_cast<long long>(after->units), static_cast<long long>(after->observations));
    if (*after == all && attempt < kAttempts + kTriggered) {
      ASSERT_NO_FATAL_FAILURE(fresh_database());
    }
  }
  std::printf(
      "%d kills: %d before the write, %d during it (uncommitted WAL frames), %d after the "
      "commit, %d after the process had finished; %d databases; %.1f s in all\n",
      kAttempts + kTriggered, before_write, during_write, after_commit, finished, databases,
      seconds_since(test_started));
  // The case the test is for: a transaction cut off while it wrote, rolled back by the
  // next opening.
  EXPECT_GE(during_write, 1) << "no kill landed while the transaction was writing";
}

}  // namespace
}  // namespace tiendo::testing

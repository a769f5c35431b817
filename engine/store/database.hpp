// The store's database, on one of two engines: a SQLite file (the embedded default: one
// machine) or a PostgreSQL server (`postgresql://…`: several services on one database).
// Opening it with what every connection needs, versioned migrations, prepared statements
// and transactions. Errors are values (DbError), never exceptions across the library
// boundary.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

struct sqlite3;
struct sqlite3_stmt;

namespace tiendo::store {

// A failure of the database itself (cannot open, disk full, newer schema): the
// operation did not happen.
struct DbError {
  std::string message;
};

template <typename T>
using DbResult = std::variant<T, DbError>;

class Statement;  // store/sql/statements.hpp: for the store's own implementation only
namespace sql {
struct Access;
}
namespace postgres {
class Connection;  // store/postgres/connection.hpp
}

enum class Engine { sqlite, postgresql };

// Whether `location` names a PostgreSQL database (postgresql:// or postgres://) rather
// than a SQLite file.
bool is_postgres_url(std::string_view location);
// `location` as it may be shown and logged: a URL without its password.
std::string displayed_location(std::string_view location);

class WriteTurns;

// A failure to write the file (disk full, an I/O error, a file or mount gone read-only)
// seen by a connection of this process.
struct StorageFailure {
  std::chrono::system_clock::time_point at;
  std::string message;
};

class Database {
 public:
  enum class Mode {
    create,     // read and write; a missing file is made (ingest, serve)
    existing,   // read and write; a missing file is an error (run, silence, deliver…)
    read_only,  // for commands that only read; a missing file is an error (eval, report…)
  };
  struct Options {
    int busy_timeout_ms = 5000;
    Mode mode = Mode::create;
  };

  // Opens the database at `path`: a PostgreSQL URL (postgresql://user@host/db?…; the
  // password from the environment, PGPASSWORD, or PGPASSFILE, as libpq reads them; see
  // store/postgres) or a SQLite file (":memory:" for a private in-memory one).
  //
  // A SQLite file: sets
  // journal_mode=WAL, synchronous=FULL, foreign_keys=ON and the busy timeout, and
  // migrates an older schema in one transaction. A database whose schema is newer than
  // this program knows is refused.
  //
  // Mode::read_only, for commands that only read: a file this process may write (and the
  // directory its -wal and -shm files go in) opens as in Mode::existing, so that the last
  // connection tidies those files away as ever; any other (a backup on read-only media,
  // a replica, a file of another user) opens as SQLite's read-only connection, immutable
  // when even its -shm file cannot be made. Such a connection switches and migrates
  // nothing (an older schema is refused with what to do) and every write fails.
  //
  // PostgreSQL: the same migrations semantics (a newer schema refused, an older one
  // migrated in one transaction), Mode::existing wants tiendo's tables there already,
  // Mode::read_only opens a read-only session and migrates nothing.
  static DbResult<Database> open(const std::string& path, const Options& options);
  static DbResult<Database> open(const std::string& path) { return open(path, Options{}); }
  static DbResult<Database> open(const std::string& path, Mode mode) {
    Options options;
    options.mode = mode;
    return open(path, options);
  }

  Database(Database&&) noexcept;
  Database& operator=(Database&&) noexcept;
  ~Database();

  // The last storage failure that any connection of this process to the same file met,
  // unless a write transaction committed since (thread-safe). A service is not ready
  // while it has one: its runs, ingests and deliveries cannot be written.
  std::optional<StorageFailure> storage_failure() const;

  int schema_version();
  static int latest_schema_version();

  // A leader's work connection: every write transaction first checks that the store's
  // leadership epoch is still `epoch` (store/leadership), and fails without writing
  // when another service took the lead since. nullopt: no such check.
  void fence(std::optional<std::int64_t> epoch) { fence_ = epoch; }

  // The file, or the URL without its password.
  const std::string& path() const { return path_; }
  Engine engine() const { return pg_ ? Engine::postgresql : Engine::sqlite; }
  // What it was opened with (so that helper connections open the same way).
  const Options& options() const { return options_; }

 private:
  friend class Transaction;
  // The SQLite implementation of the store's interfaces reaches the connection through
  // store/sql/statements.hpp; nothing above the store sees a statement or the handle.
  friend struct sql::Access;
  Statement prepare(std::string_view sql);
  std::optional<DbError> execute(std::string_view sql);
  std::string pragma(std::string_view name);
  sqlite3* handle() { return db_.get(); }
  struct Closer {
    void operator()(sqlite3* db) const;
  };
  Database(std::string path, sqlite3* db);
  Database(std::string path, std::unique_ptr<postgres::Connection> pg);
  static DbResult<Database> open_postgres(const std::string& url, const Options& options);
  std::optional<DbError> migrate();
  std::optional<DbError> migrate_postgres();

  std::string path_;
  std::unique_ptr<sqlite3, Closer> db_;
  std::unique_ptr<postgres::Connection> pg_;
  std::chrono::milliseconds busy_timeout_{5000};
  Options options_;
  std::shared_ptr<WriteTurns> turns_;  // this process's writers of the same file
  std::optional<std::int64_t> fence_;
};

// Whether the store answers a read (its units are counted), and whether it can write (a
// write transaction that changes nothing is committed): the service's readiness.
std::optional<DbError> probe_read(Database& db);
std::optional<DbError> probe_write(Database& db);

// A private in-memory copy of the whole database, to try a change on and drop (what a
// dry run at a rewound date does).
DbResult<Database> copy_in_memory(Database& db);

// A write transaction: BEGIN IMMEDIATE at construction (so a second writer waits for
// the busy timeout instead of failing mid-way), ROLLBACK unless commit() succeeded.
//
// Within one process, the write transactions on one database file take turns in the
// order they asked (first come, first served) before BEGIN: SQLite's busy handler polls
// at growing intervals, so a writer committing batch after batch (a large run) would
// otherwise take the lock back before a waiting one polled, again and again, until that
// one's busy timeout. Waiting for the turn counts against the same busy timeout. Writers
// in other processes still meet through SQLite's lock and busy timeout alone.
class Transaction {
 public:
  explicit Transaction(Database& db);
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  ~Transaction();

  // Set when BEGIN failed; the transaction is then unusable.
  const std::optional<DbError>& error() const { return error_; }
  std::optional<DbError> commit();

 private:
  void end_turn();

  Database& db_;
  bool open_ = false;
  bool turn_ = false;
  std::optional<DbError> error_;
};

}  // namespace tiendo::store

// Inside the store only: what the store's implementation needs beyond Database's public
// face, on either engine (SQLite or PostgreSQL). Nothing above engine/store includes this
// header. The store's SQL is written once, in the dialect both engines read: SQLite's
// numbered parameters (?1, ?2…; store/postgres turns them into $1, $2…), coalesce rather
// than ifnull, IS DISTINCT FROM, ON CONFLICT … DO NOTHING, RETURNING. Where the engines
// differ (a temporary table's options, a JSON array's elements, file upkeep), the code
// asks engine(db).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "store/database.hpp"
#include "store/outbox.hpp"

namespace tiendo::store {

namespace postgres {
class Query;
}

// One prepared statement. Bind parameters are 1-based, as in SQLite. Not thread-safe.
class Statement {
 public:
  Statement();
  Statement(sqlite3* db, sqlite3_stmt* statement);
  explicit Statement(std::unique_ptr<postgres::Query> query);
  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&& other) noexcept;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  ~Statement();

  Statement& bind(int index, std::string_view text);
  Statement& bind(int index, double value);
  Statement& bind(int index, std::int64_t value);
  // nullopt binds NULL.
  Statement& bind(int index, std::optional<double> value);
  Statement& bind(int index, std::optional<std::int64_t> value);
  Statement& bind_null(int index);
  // An empty text binds NULL (an optional column given as text).
  Statement& bind_text_or_null(int index, std::string_view text);

  // Runs one step: true when a row is available, false when done. A failure sets
  // error() and returns false.
  bool step();
  // Steps to completion; returns false (error() set) on failure.
  bool run();
  void reset();

  std::string column_text(int index) const;
  // The text without a copy; valid until the next step(), reset() or destruction.
  std::string_view column_view(int index) const;
  double column_double(int index) const;
  std::int64_t column_int(int index) const;
  bool column_is_null(int index) const;
  int column_count() const;

  const std::optional<DbError>& error() const { return error_; }

 private:
  friend class Database;
  friend struct sql::Access;
  sqlite3* db_ = nullptr;
  sqlite3_stmt* statement_ = nullptr;
  std::unique_ptr<postgres::Query> pg_;  // on PostgreSQL instead of the two above
  std::optional<DbError> error_;
};

}  // namespace tiendo::store

namespace tiendo::store::sql {

// What Database keeps private for the store's implementation (and the tests that look
// into a file).
struct Access {
  static Statement prepare(Database& db, std::string_view sql) { return db.prepare(sql); }
  static std::optional<DbError> execute(Database& db, std::string_view sql) {
    return db.execute(sql);
  }
  static std::string pragma(Database& db, std::string_view name) { return db.pragma(name); }
  static sqlite3* handle(Database& db) { return db.handle(); }
  static postgres::Connection* pg(Database& db) { return db.pg_.get(); }
};

// Prepares `sql`; on failure the returned statement's error() is set.
inline Statement prepare(Database& db, std::string_view sql) { return Access::prepare(db, sql); }
// Runs statements that return no rows.
inline std::optional<DbError> execute(Database& db, std::string_view sql) {
  return Access::execute(db, sql);
}
// The value of a pragma that returns one row.
inline std::string pragma(Database& db, std::string_view name) { return Access::pragma(db, name); }
// The SQLite connection itself (a backup, a hook); nullptr on PostgreSQL.
inline sqlite3* sqlite_handle(Database& db) { return Access::handle(db); }
// The PostgreSQL connection; nullptr on SQLite.
inline postgres::Connection* pg_connection(Database& db) { return Access::pg(db); }

// The engine of the database.
inline Engine engine(const Database& db) { return db.engine(); }

// The storage failures of this process by database (a file, or a URL as shown): a failure
// to write or reach it, until a write transaction commits (Database::storage_failure).
void note_storage_failure(const std::string& database, const std::string& message);
void clear_storage_failure(std::string_view database);

// Runs `statement` to completion; the error to return when it failed.
std::optional<DbError> run(Statement& statement);
// Rows changed by the connection's last INSERT, UPDATE or DELETE.
std::int64_t changes(Database& db);
// The row id the connection's last INSERT gave.
std::int64_t last_insert_id(Database& db);
// Enqueues one message of run `run_id`, due at once (store/outbox.cpp); its row id, which
// the run's transitions are linked to.
DbResult<std::int64_t> insert_message(Database& db, std::int64_t run_id,
                                      std::string_view created_at, const OutboxMessage& message);

}  // namespace tiendo::store::sql

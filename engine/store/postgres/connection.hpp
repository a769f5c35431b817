// Inside the store only: the PostgreSQL engine under Database and Statement, on libpq
// (Debian's libpq-dev: the protocol's reference client, which reads the URL, the
// password from PGPASSWORD or PGPASSFILE, TLS and the other connection settings exactly
// as psql and every PostgreSQL tool do).
//
// The store's SQL is SQLite's dialect with numbered parameters (store/sql/statements.hpp);
// translate() turns ?N into $N. Values travel as text, so that a column reads back as
// SQLite's would (an integer's digits, a double's shortest exact form, a boolean as 1/0).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "store/database.hpp"

struct pg_conn;
struct pg_result;

namespace tiendo::store::postgres {

// `sql` with SQLite's parameters (?N, and a bare ? as the next number) as PostgreSQL's
// ($N) and SQLite's instr() as strpos(), leaving string literals, quoted names, comments
// and dollar quotes alone; the highest parameter number in `parameters`, and which of
// those the statement names (referenced[N - 1]).
std::string translate(std::string_view sql, int& parameters, std::vector<bool>& referenced);

class Query;

class Connection {
 public:
  // Connects to `url` (a libpq connection URI). `shown` is the URL without its password,
  // for every message.
  static DbResult<std::unique_ptr<Connection>> connect(const std::string& url, std::string shown,
                                                       bool read_only);
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  ~Connection();

  // Runs statements without parameters (several, separated by semicolons).
  std::optional<DbError> execute(std::string_view sql);
  std::unique_ptr<Query> prepare(std::string_view sql);
  // Loads `rows` (COPY's text format: fields separated by tabs, \N for NULL, one row per
  // line) into `target` ("table (column, ...)") with COPY FROM STDIN: one round trip for
  // any number of rows.
  std::optional<DbError> copy_in(std::string_view target, std::string_view rows);

  // Rows changed by the last INSERT, UPDATE or DELETE.
  std::int64_t changes() const { return changes_; }
  // The id the last INSERT into a table with an identity column gave (lastval()).
  std::int64_t last_insert_id();

  const std::string& shown() const { return shown_; }

  // Transactions: a write transaction takes the store's write lock (an advisory lock of
  // the transaction), so that writers take turns as on SQLite, waiting at most
  // `timeout_ms` for it.
  std::optional<DbError> begin(int timeout_ms);
  std::optional<DbError> commit();
  void rollback();

  // For Query: makes the connection usable before a statement (reconnects a connection
  // that was lost outside a transaction); the error when it cannot.
  std::optional<DbError> ready();
  // For Query: the error of a failed result (or of the connection), noted as a storage
  // failure when it is one; the rows a command changed otherwise.
  DbError error_of(const pg_result* result, std::string_view doing);
  void note_command(const pg_result* result);
  pg_conn* handle() { return conn_; }
  // For Query: what is known of statement `sql`'s parameters that are bound to NULL or
  // not bound, whose type PostgreSQL infers from the statement: those it cannot infer
  // (tested for NULL only) go as text, learnt from the server's answer.
  struct Untyped {
    // By parameter number: the type a NULL goes as (0: PostgreSQL infers it).
    std::unordered_map<int, unsigned> types;
  };
  Untyped& untyped_parameters(const std::string& sql) { return untyped_[sql]; }
  bool in_transaction() const { return in_transaction_; }

 private:
  Connection(pg_conn* conn, std::string shown, bool read_only)
      : conn_(conn), shown_(std::move(shown)), read_only_(read_only) {}
  std::optional<DbError> configure();

  pg_conn* conn_;
  std::string shown_;
  bool read_only_;
  std::int64_t changes_ = 0;
  bool in_transaction_ = false;
  // The connection was lost inside a transaction: every statement fails until it ends.
  bool lost_in_transaction_ = false;
  std::unordered_map<std::string, Untyped> untyped_;
};

// Rows for COPY FROM STDIN, in its text format (fields separated by tabs, \N for NULL, a
// backslash before a tab, newline, return or backslash inside a field), sent to `target`
// ("table (column, ...)") each time kPiece bytes are kept, and by flush(). A failure is
// kept (error()) and stops the sending.
class CopyWriter {
 public:
  static constexpr std::size_t kPiece = 8 << 20;
  CopyWriter(Connection& connection, std::string target)
      : connection_(connection), target_(std::move(target)) {}

  CopyWriter& text(std::string_view value);
  // An empty text as NULL.
  CopyWriter& text_or_null(std::string_view value);
  CopyWriter& null();
  // The shortest digits that read back as the same double.
  CopyWriter& number(std::optional<double> value);
  CopyWriter& integer(std::optional<std::int64_t> value);
  // Ends the row; sends the rows kept once they reach kPiece bytes.
  void end_row();
  // Sends the rows kept; the first failure of this writer, if any.
  std::optional<DbError> flush();
  const std::optional<DbError>& error() const { return error_; }
  std::size_t rows() const { return rows_; }

 private:
  void separate();

  Connection& connection_;
  std::string target_;
  std::string buffer_;
  bool row_started_ = false;
  std::size_t rows_ = 0;
  std::optional<DbError> error_;
};

// One statement: its parameters as text, run at the first step(), its rows read from the
// whole result (libpq's PQexecParams).
class Query {
 public:
  Query(Connection& connection, std::string sql, int parameters, std::vector<bool> referenced)
      : connection_(connection),
        sql_(std::move(sql)),
        values_(static_cast<std::size_t>(parameters)),
        types_(static_cast<std::size_t>(parameters), 0),
        referenced_(std::move(referenced)) {}
  Query(const Query&) = delete;
  Query& operator=(const Query&) = delete;
  ~Query();

  // Binds parameter `index` (1-based) as `text` with PostgreSQL type `type` (0: as the
  // statement needs it), or NULL.
  void bind(int index, std::optional<std::string> text, unsigned type);
  // Runs the statement at the first call; then true for each row.
  bool step(std::optional<DbError>& error);
  void reset();

  std::string_view value(int column) const;
  bool is_null(int column) const;
  int column_count() const;

 private:
  void clear();

  Connection& connection_;
  std::string sql_;
  std::vector<std::optional<std::string>> values_;
  std::vector<unsigned> types_;
  std::vector<bool> referenced_;
  pg_result* result_ = nullptr;
  int rows_ = 0;
  int row_ = -1;
  bool ran_ = false;
};

}  // namespace tiendo::store::postgres

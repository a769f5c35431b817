#include "store/postgres/connection.hpp"

#include <fmt/format.h>
#include <libpq-fe.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cstdlib>

#include "store/sql/statements.hpp"

namespace tiendo::store::postgres {

namespace {

// The store's write lock: one key of PostgreSQL's advisory locks, held by a write
// transaction until it ends ("tiendo" in ASCII).
constexpr long long kWriteLock = 0x7469656e646fLL;

bool is_name_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' ||
         static_cast<unsigned char>(c) >= 0x80;
}

// The text of libpq's message without the "ERROR:  " prefix and trailing line breaks;
// only its first line (the rest repeats the statement or adds context for a human).
std::string first_line(const char* message) {
  std::string text = message ? message : "";
  if (const auto end = text.find('\n'); end != std::string::npos) text.resize(end);
  for (std::string_view prefix : {"ERROR:  ", "FATAL:  ", "PANIC:  "}) {
    if (text.starts_with(prefix)) text.erase(0, prefix.size());
  }
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.pop_back();
  return text;
}

// Failures of the server or of the way to it rather than of a statement or of the data:
// connection exceptions (08), insufficient resources such as a full disk (53), system
// and I/O errors (58), a server shutting down or starting (57P01-57P03), internal
// errors (XX).
bool is_storage_failure(std::string_view state) {
  return state.starts_with("08") || state.starts_with("53") || state.starts_with("58") ||
         state == "57P01" || state == "57P02" || state == "57P03" || state.starts_with("XX");
}

constexpr unsigned kInt8Oid = 20;
constexpr unsigned kTextOid = 25;

// A statement that failed for a type that does not fit (an operator or a function that
// takes no such argument, SQLSTATE 42883; a datatype mismatch, 42804).
bool is_type_mismatch(const pg_result* result) {
  const char* state = result ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
  return state && (std::string_view(state) == "42883" || std::string_view(state) == "42804");
}

// The parameter a statement failed on for want of a type ("could not determine data type
// of parameter $2", SQLSTATE 42P08 or 42P18), or 0.
int indeterminate_parameter(const pg_result* result) {
  const char* state = result ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
  if (!state || (std::string_view(state) != "42P18" && std::string_view(state) != "42P08")) {
    return 0;
  }
  const std::string_view message = PQresultErrorField(result, PG_DIAG_MESSAGE_PRIMARY);
  const std::size_t dollar = message.rfind('$');
  if (dollar == std::string_view::npos) return 0;
  int index = 0;
  std::from_chars(message.data() + dollar + 1, message.data() + message.size(), index);
  return index;
}

}  // namespace

std::string translate(std::string_view sql, int& parameters, std::vector<bool>& referenced) {
  referenced.clear();
  std::string out;
  out.reserve(sql.size() + 16);
  parameters = 0;
  std::size_t i = 0;
  const std::size_t n = sql.size();
  auto copy_until = [&](std::size_t from, std::string_view end) {
    const std::size_t found = sql.find(end, from);
    const std::size_t stop = found == std::string_view::npos ? n : found + end.size();
    out.append(sql.substr(i, stop - i));
    i = stop;
  };
  while (i < n) {
    const char c = sql[i];
    if (c == '\'' || c == '"') {
      // A quoted text or name; a doubled quote inside is part of it.
      std::size_t j = i + 1;
      while (j < n) {
        if (sql[j] == c) {
          if (j + 1 < n && sql[j + 1] == c) {
            j += 2;
            continue;
          }
          break;
        }
        ++j;
      }
      const std::size_t stop = j < n ? j + 1 : n;
      out.append(sql.substr(i, stop - i));
      i = stop;
    } else if (c == '-' && i + 1 < n && sql[i + 1] == '-') {
      copy_until(i, "\n");
    } else if (c == '/' && i + 1 < n && sql[i + 1] == '*') {
      copy_until(i + 2, "*/");
    } else if (c == '$' && (i == 0 || !is_name_char(sql[i - 1]))) {
      // A dollar quote: $$…$$ or $tag$…$tag$.
      std::size_t j = i + 1;
      while (j < n && is_name_char(sql[j]) &&
             !(j == i + 1 && std::isdigit(static_cast<unsigned char>(sql[j])))) {
        ++j;
      }
      if (j < n && sql[j] == '$') {
        const std::string tag(sql.substr(i, j + 1 - i));
        copy_until(j + 1, tag);
      } else {
        out.push_back(c);
        ++i;
      }
    } else if (c == 'i' && sql.substr(i).starts_with("instr(") &&
               (i == 0 || !is_name_char(sql[i - 1]))) {
      // SQLite's instr(text, part) is PostgreSQL's strpos(text, part).
      out += "strpos(";
      i += 6;
    } else if (c == '?') {
      std::size_t j = i + 1;
      int number = 0;
      while (j < n && std::isdigit(static_cast<unsigned char>(sql[j]))) {
        number = number * 10 + (sql[j] - '0');
        ++j;
      }
      if (j == i + 1) number = parameters + 1;
      parameters = std::max(parameters, number);
      if (number >= 1) {
        if (referenced.size() < static_cast<std::size_t>(number)) referenced.resize(number);
        referenced[static_cast<std::size_t>(number - 1)] = true;
      }
      out += fmt::format("${}", number);
      i = j;
    } else {
      out.push_back(c);
      ++i;
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------

DbResult<std::unique_ptr<Connection>> Connection::connect(const std::string& url, std::string shown,
                                                          bool read_only) {
  // Defaults that the URL may override (it is expanded last): a bounded wait for a server
  // that does not answer, and the name a DBA sees in pg_stat_activity.
  const std::array<const char*, 4> keys = {"connect_timeout", "fallback_application_name", "dbname",
                                           nullptr};
  const std::array<const char*, 4> values = {"10", "tiendo", url.c_str(), nullptr};
  PGconn* conn = PQconnectdbParams(keys.data(), values.data(), 1);
  if (!conn) return DbError{fmt::format("cannot connect to the database {}: out of memory", shown)};
  // The server's notices and warnings (a BEGIN inside a transaction, an identifier
  // truncated) are not the user's business: libpq would print them on standard error.
  PQsetNoticeProcessor(
      conn, [](void*, const char*) {}, nullptr);
  std::unique_ptr<Connection> connection(new Connection(conn, std::move(shown), read_only));
  if (PQstatus(conn) != CONNECTION_OK) {
    DbError error{fmt::format("cannot connect to the database {}: {}", connection->shown_,
                              first_line(PQerrorMessage(conn)))};
    sql::note_storage_failure(connection->shown_, error.message);
    return error;
  }
  if (auto error = connection->configure()) return *error;
  return connection;
}

Connection::~Connection() { PQfinish(conn_); }

std::optional<DbError> Connection::configure() {
  // Shortest exact doubles (a value reads back as it was written), dates as the store
  // writes them (texts), messages above notices only, and a read-only session when asked.
  // No JIT compilation: the store's largest statements (a run's million results read in
  // key order, the changes between two runs) run for a second or two, and compiling them
  // took as long again as running them (bench/serve on PostgreSQL 15: the changes of a
  // run 2.0 s with JIT, 1.2 s without; a run's results 1.03 s and 0.56 s).
  std::string setup =
      "SET extra_float_digits = 1; SET client_min_messages = warning; "
      "SET standard_conforming_strings = on; SET jit = off";
  if (read_only_) setup += "; SET default_transaction_read_only = on";
  PGresult* result = PQexec(conn_, setup.c_str());
  const bool ok = PQresultStatus(result) == PGRES_COMMAND_OK;
  std::optional<DbError> error;
  if (!ok) error = error_of(result, fmt::format("cannot set up the session on {}", shown_));
  PQclear(result);
  return error;
}

std::optional<DbError> Connection::ready() {
  if (lost_in_transaction_) {
    return DbError{fmt::format(
        "the connection to the database {} was lost during a transaction; nothing of the "
        "transaction was written",
        shown_)};
  }
  if (PQstatus(conn_) == CONNECTION_OK) return std::nullopt;
  if (in_transaction_) {
    lost_in_transaction_ = true;
    return ready();
  }
  // Lost between transactions (the server restarted, a network cut): connect again.
  PQreset(conn_);
  if (PQstatus(conn_) != CONNECTION_OK) {
    DbError error{
        fmt::format("cannot reach the database {}: {}", shown_, first_line(PQerrorMessage(conn_)))};
    sql::note_storage_failure(shown_, error.message);
    return error;
  }
  if (auto error = configure()) return error;
  // The server answers again: a failure noted while it could not be reached is over (a
  // write that still cannot be made, such as on a full disk, notes its own).
  sql::clear_storage_failure(shown_);
  return std::nullopt;
}

DbError Connection::error_of(const pg_result* result, std::string_view doing) {
  const char* message = result ? PQresultErrorMessage(result) : nullptr;
  std::string text = first_line(message && *message ? message : PQerrorMessage(conn_));
  if (text.empty()) text = "no answer from the server";
  const char* state = result ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
  DbError error{fmt::format("{}: {}", doing, text)};
  if (PQstatus(conn_) != CONNECTION_OK || (state && is_storage_failure(state))) {
    if (in_transaction_) lost_in_transaction_ = PQstatus(conn_) != CONNECTION_OK;
    error.message = fmt::format("{} (database {})", error.message, shown_);
    sql::note_storage_failure(shown_, error.message);
  }
  return error;
}

void Connection::note_command(const pg_result* result) {
  const std::string_view status = PQcmdStatus(const_cast<pg_result*>(result));
  if (status.starts_with("INSERT") || status.starts_with("UPDATE") ||
      status.starts_with("DELETE")) {
    changes_ = std::atoll(PQcmdTuples(const_cast<pg_result*>(result)));
  }
}

std::optional<DbError> Connection::execute(std::string_view sql) {
  if (auto error = ready()) return error;
  const std::string text(sql);
  std::optional<DbError> error;
  if (PQsendQuery(conn_, text.c_str()) == 0) return error_of(nullptr, "query failed");
  // Every statement's result, so that the first failure is the one reported.
  while (PGresult* result = PQgetResult(conn_)) {
    const ExecStatusType status = PQresultStatus(result);
    if (status == PGRES_COMMAND_OK) {
      note_command(result);
    } else if (status != PGRES_TUPLES_OK && status != PGRES_EMPTY_QUERY && !error) {
      error = error_of(result, "query failed");
    }
    PQclear(result);
  }
  return error;
}

std::optional<DbError> Connection::copy_in(std::string_view target, std::string_view rows) {
  if (auto error = ready()) return error;
  const std::string command = fmt::format("COPY {} FROM STDIN", target);
  PGresult* started = PQexec(conn_, command.c_str());
  if (PQresultStatus(started) != PGRES_COPY_IN) {
    DbError error = error_of(started, "copy failed");
    PQclear(started);
    return error;
  }
  PQclear(started);
  // In pieces of at most 1 MiB, each a whole number of rows or not: the server joins them.
  constexpr std::size_t kPiece = 1 << 20;
  bool sent = true;
  for (std::size_t at = 0; at < rows.size() && sent; at += kPiece) {
    const std::string_view piece = rows.substr(at, kPiece);
    sent = PQputCopyData(conn_, piece.data(), static_cast<int>(piece.size())) == 1;
  }
  std::optional<DbError> error;
  if (!sent) error = error_of(nullptr, "copy failed");
  if (PQputCopyEnd(conn_, sent ? nullptr : "tiendo stopped sending") != 1 && !error) {
    error = error_of(nullptr, "copy failed");
  }
  while (PGresult* result = PQgetResult(conn_)) {
    if (PQresultStatus(result) == PGRES_COMMAND_OK) {
      note_command(result);
    } else if (!error) {
      error = error_of(result, "copy failed");
    }
    PQclear(result);
  }
  return error;
}

void CopyWriter::separate() {
  if (row_started_) buffer_ += '\t';
  row_started_ = true;
}

CopyWriter& CopyWriter::text(std::string_view value) {
  separate();
  for (const char c : value) {
    switch (c) {
      case '\\':
        buffer_ += "\\\\";
        break;
      case '\t':
        buffer_ += "\\t";
        break;
      case '\n':
        buffer_ += "\\n";
        break;
      case '\r':
        buffer_ += "\\r";
        break;
      default:
        buffer_ += c;
    }
  }
  return *this;
}

CopyWriter& CopyWriter::text_or_null(std::string_view value) {
  return value.empty() ? null() : text(value);
}

CopyWriter& CopyWriter::null() {
  separate();
  buffer_ += "\\N";
  return *this;
}

CopyWriter& CopyWriter::number(std::optional<double> value) {
  if (!value) return null();
  separate();
  fmt::format_to(std::back_inserter(buffer_), "{}", *value);
  return *this;
}

CopyWriter& CopyWriter::integer(std::optional<std::int64_t> value) {
  if (!value) return null();
  separate();
  fmt::format_to(std::back_inserter(buffer_), "{}", *value);
  return *this;
}

void CopyWriter::end_row() {
  buffer_ += '\n';
  row_started_ = false;
  ++rows_;
  if (buffer_.size() >= kPiece) flush();
}

std::optional<DbError> CopyWriter::flush() {
  if (!error_ && !buffer_.empty()) error_ = connection_.copy_in(target_, buffer_);
  buffer_.clear();
  return error_;
}

std::unique_ptr<Query> Connection::prepare(std::string_view sql) {
  int parameters = 0;
  std::vector<bool> referenced;
  std::string text = translate(sql, parameters, referenced);
  referenced.resize(static_cast<std::size_t>(parameters));
  return std::make_unique<Query>(*this, std::move(text), parameters, std::move(referenced));
}

std::int64_t Connection::last_insert_id() {
  PGresult* result = PQexec(conn_, "SELECT lastval()");
  std::int64_t id = 0;
  if (PQresultStatus(result) == PGRES_TUPLES_OK && PQntuples(result) == 1) {
    id = std::atoll(PQgetvalue(result, 0, 0));
  }
  PQclear(result);
  return id;
}

std::optional<DbError> Connection::begin(int timeout_ms) {
  if (auto error = ready()) return error;
  if (auto error = execute("BEGIN")) return error;
  in_transaction_ = true;
  // Waiting for the write lock counts against the busy timeout, as SQLite's busy handler.
  const std::string lock = fmt::format(
      "SET LOCAL lock_timeout = {}; SELECT pg_advisory_xact_lock({})", timeout_ms, kWriteLock);
  if (auto error = execute(lock)) {
    rollback();
    if (error->message.find("lock timeout") != std::string::npos) {
      return DbError{fmt::format(
          "database is locked: another writer held {} for longer than the busy timeout ({} ms)",
          shown_, timeout_ms)};
    }
    return error;
  }
  return std::nullopt;
}

std::optional<DbError> Connection::commit() {
  if (auto error = ready()) {
    rollback();
    return error;
  }
  PGresult* result = PQexec(conn_, "COMMIT");
  std::optional<DbError> error;
  if (PQresultStatus(result) != PGRES_COMMAND_OK) {
    error = error_of(result, "cannot commit");
  } else if (std::string_view(PQcmdStatus(result)) == "ROLLBACK") {
    // A statement of the transaction failed, and PostgreSQL ends such a transaction with
    // a rollback whatever COMMIT says.
    error = DbError{"cannot commit: a statement of the transaction failed, so it was rolled back"};
  }
  PQclear(result);
  in_transaction_ = false;
  lost_in_transaction_ = false;
  return error;
}

void Connection::rollback() {
  if (PQstatus(conn_) == CONNECTION_OK) {
    PGresult* result = PQexec(conn_, "ROLLBACK");
    PQclear(result);
  }
  in_transaction_ = false;
  lost_in_transaction_ = false;
}

// ---------------------------------------------------------------------------------------

Query::~Query() { clear(); }

void Query::clear() {
  if (result_) PQclear(result_);
  result_ = nullptr;
  rows_ = 0;
  row_ = -1;
  ran_ = false;
}

void Query::bind(int index, std::optional<std::string> text, unsigned type) {
  if (index < 1) return;
  const auto at = static_cast<std::size_t>(index - 1);
  if (at >= values_.size()) {
    values_.resize(at + 1);
    types_.resize(at + 1, 0);
  }
  values_[at] = std::move(text);
  types_[at] = type;
}

bool Query::step(std::optional<DbError>& error) {
  if (!ran_) {
    ran_ = true;
    if (auto failure = connection_.ready()) {
      error = std::move(failure);
      return false;
    }
    std::vector<const char*> pointers(values_.size());
    for (std::size_t k = 0; k < values_.size(); ++k) {
      pointers[k] = values_[k] ? values_[k]->c_str() : nullptr;
    }
    // A NULL's type is the statement's to infer, and PostgreSQL cannot where the parameter
    // is only tested for NULL, or not named at all (SQLite has no such question). Those
    // not named go as text; for the others a type the statement takes is learnt from the
    // server's answers the first time the statement runs with them NULL (text, else a
    // number: a NULL is NULL whatever its type) — inside a transaction, behind a
    // savepoint, as a failed statement ends PostgreSQL's transaction.
    Connection::Untyped& untyped = connection_.untyped_parameters(sql_);
    std::vector<int> guessed;
    for (std::size_t k = 0; k < types_.size(); ++k) {
      if (types_[k] != 0) continue;
      const int index = static_cast<int>(k + 1);
      if (k >= referenced_.size() || !referenced_[k]) {
        types_[k] = kTextOid;
      } else if (const auto known = untyped.types.find(index); known != untyped.types.end()) {
        types_[k] = known->second;
      } else {
        guessed.push_back(index);
      }
    }
    const bool savepoint = !guessed.empty() && connection_.in_transaction();
    const auto step_back = [&](std::string_view command) {
      return savepoint ? connection_.execute(command) : std::nullopt;
    };
    if (auto failure = step_back("SAVEPOINT tiendo_parameter_types")) {
      error = std::move(failure);
      return false;
    }
    int last_guess = 0;  // the parameter given a type last, tried again as a number
    for (std::size_t attempt = 0; attempt <= 2 * values_.size(); ++attempt) {
      result_ = PQexecParams(connection_.handle(), sql_.c_str(), static_cast<int>(values_.size()),
                             types_.data(), pointers.data(), nullptr, nullptr, 0);
      const int index = indeterminate_parameter(result_);
      const bool untypable = index >= 1 &&
                             std::find(guessed.begin(), guessed.end(), index) != guessed.end() &&
                             types_[static_cast<std::size_t>(index - 1)] == 0;
      const bool mismatched = last_guess != 0 && is_type_mismatch(result_) &&
                              types_[static_cast<std::size_t>(last_guess - 1)] == kTextOid;
      if (untypable) {
        types_[static_cast<std::size_t>(index - 1)] = kTextOid;
        last_guess = index;
      } else if (mismatched) {
        types_[static_cast<std::size_t>(last_guess - 1)] = kInt8Oid;
      } else {
        break;
      }
      PQclear(result_);
      result_ = nullptr;
      if (auto failure = step_back("ROLLBACK TO SAVEPOINT tiendo_parameter_types")) {
        error = std::move(failure);
        return false;
      }
    }
    if (PQresultStatus(result_) != PGRES_FATAL_ERROR) {
      for (const int index : guessed)
        untyped.types[index] = types_[static_cast<std::size_t>(index - 1)];
      if (auto failure = step_back("RELEASE SAVEPOINT tiendo_parameter_types")) {
        error = std::move(failure);
        return false;
      }
    }
    const ExecStatusType status = PQresultStatus(result_);
    if (status == PGRES_TUPLES_OK) {
      rows_ = PQntuples(result_);
    } else if (status == PGRES_COMMAND_OK) {
      connection_.note_command(result_);
    } else {
      error = connection_.error_of(result_, "query failed");
      return false;
    }
  }
  if (row_ < rows_) ++row_;
  return row_ < rows_;
}

void Query::reset() {
  clear();
  for (auto& value : values_) value.reset();
  std::fill(types_.begin(), types_.end(), 0U);
}

std::string_view Query::value(int column) const {
  if (!result_ || row_ < 0 || row_ >= rows_ || column < 0 || column >= PQnfields(result_)) {
    return {};
  }
  return {PQgetvalue(result_, row_, column),
          static_cast<std::size_t>(PQgetlength(result_, row_, column))};
}

bool Query::is_null(int column) const {
  if (!result_ || row_ < 0 || row_ >= rows_ || column < 0 || column >= PQnfields(result_)) {
    return true;
  }
  return PQgetisnull(result_, row_, column) != 0;
}

int Query::column_count() const { return result_ ? PQnfields(result_) : 0; }

}  // namespace tiendo::store::postgres

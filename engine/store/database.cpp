#include "store/database.hpp"

#include <fmt/format.h>
#include <sqlite3.h>
#include <unistd.h>

#include <charconv>
#include <cmath>
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <map>
#include <mutex>

#include "store/copy.hpp"
#include "store/postgres/connection.hpp"
#include "store/schema.hpp"
#include "store/sql/statements.hpp"
#include "util/result.hpp"

namespace tiendo::store {

// The turns of one process's write transactions on one database file: first come,
// first served (see Transaction).
class WriteTurns {
 public:
  // Waits for the turn until `deadline`; false when the deadline came first.
  bool take(std::chrono::steady_clock::time_point deadline) {
    std::unique_lock lock(mutex_);
    if (!held_) {
      held_ = true;
      return true;
    }
    Waiter me;
    waiting_.push_back(&me);
    me.ready.wait_until(lock, deadline, [&] { return me.granted; });
    if (me.granted) return true;
    std::erase(waiting_, &me);
    return false;
  }

  // Hands the turn to the longest waiting, if any.
  void give_back() {
    std::lock_guard lock(mutex_);
    if (waiting_.empty()) {
      held_ = false;
      return;
    }
    Waiter* next = waiting_.front();
    waiting_.pop_front();
    next->granted = true;  // held_ stays true: the turn passes straight to it
    next->ready.notify_one();
  }

 private:
  struct Waiter {
    std::condition_variable ready;
    bool granted = false;
  };
  std::mutex mutex_;
  bool held_ = false;
  std::deque<Waiter*> waiting_;
};

namespace {

// The storage failures of this process, by file (SQLite's own name for it, so that every
// connection to one file finds the same entry).
struct StorageFailures {
  std::mutex mutex;
  std::map<std::string, StorageFailure, std::less<>> by_file;
};
StorageFailures& storage_failures() {
  // Never destroyed: connections may outlive static destruction in detached threads.
  static auto* all = new StorageFailures();
  return *all;
}

std::string_view file_of(sqlite3* db) {
  const char* name = db ? sqlite3_db_filename(db, "main") : nullptr;
  return name ? std::string_view(name) : std::string_view();
}

// Failures of the storage under SQLite rather than of a statement or of the data.
bool is_storage_failure(int code) {
  switch (code & 0xff) {
    case SQLITE_FULL:
    case SQLITE_IOERR:
    case SQLITE_READONLY:
    case SQLITE_CANTOPEN:
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return true;
    default:
      return false;
  }
}

void note_failure(sqlite3* db, int code, const std::string& message) {
  const std::string_view file = file_of(db);
  if (file.empty() || !is_storage_failure(code)) return;
  sql::note_storage_failure(std::string(file), message);
}

void note_commit(std::string_view file) {
  if (file.empty()) return;
  StorageFailures& all = storage_failures();
  std::lock_guard lock(all.mutex);
  if (const auto it = all.by_file.find(file); it != all.by_file.end()) all.by_file.erase(it);
}

DbError error_of(sqlite3* db, std::string_view doing) {
  DbError error{fmt::format("{}: {}", doing, db ? sqlite3_errmsg(db) : "out of memory")};
  if (db) note_failure(db, sqlite3_extended_errcode(db), error.message);
  return error;
}

// The turns shared by this process's connections to the file at `path`.
std::shared_ptr<WriteTurns> turns_of(const std::string& path) {
  static std::mutex mutex;
  // Never destroyed: connections may outlive static destruction in detached threads.
  static auto* all = new std::map<std::string, std::weak_ptr<WriteTurns>>();
  std::error_code error;
  std::string key =
      is_postgres_url(path) ? path : std::filesystem::weakly_canonical(path, error).string();
  if (error) key = path;
  std::lock_guard lock(mutex);
  std::erase_if(*all, [](const auto& entry) { return entry.second.expired(); });
  std::weak_ptr<WriteTurns>& slot = (*all)[key];
  std::shared_ptr<WriteTurns> turns = slot.lock();
  if (!turns) {
    turns = std::make_shared<WriteTurns>();
    slot = turns;
  }
  return turns;
}

}  // namespace

// ---------------------------------------------------------------------------------------

// PostgreSQL's type numbers (pg_type.oid) of the parameters: each as the C++ type bound
// (a NULL's type is the statement's to infer).
constexpr unsigned kInt8Oid = 20;
constexpr unsigned kTextOid = 25;
constexpr unsigned kFloat8Oid = 701;

Statement::Statement() = default;
Statement::Statement(sqlite3* db, sqlite3_stmt* statement) : db_(db), statement_(statement) {}
Statement::Statement(std::unique_ptr<postgres::Query> query) : pg_(std::move(query)) {}

Statement::Statement(Statement&& other) noexcept
    : db_(other.db_),
      statement_(other.statement_),
      pg_(std::move(other.pg_)),
      error_(std::move(other.error_)) {
  other.statement_ = nullptr;
}

Statement& Statement::operator=(Statement&& other) noexcept {
  if (this != &other) {
    sqlite3_finalize(statement_);
    db_ = other.db_;
    statement_ = other.statement_;
    pg_ = std::move(other.pg_);
    error_ = std::move(other.error_);
    other.statement_ = nullptr;
  }
  return *this;
}

Statement::~Statement() { sqlite3_finalize(statement_); }

Statement& Statement::bind(int index, std::string_view text) {
  if (pg_) {
    pg_->bind(index, std::string(text), kTextOid);
    return *this;
  }
  // A default-constructed view has no data pointer, which SQLite would bind as NULL: an
  // empty text is an empty text.
  sqlite3_bind_text(statement_, index, text.data() ? text.data() : "",
                    static_cast<int>(text.size()), SQLITE_TRANSIENT);
  return *this;
}
Statement& Statement::bind(int index, double value) {
  if (pg_) {
    // The shortest text that reads back as the same double; PostgreSQL's own spelling of
    // the values that are not finite.
    std::string text = std::isnan(value)   ? std::string("NaN")
                       : std::isinf(value) ? std::string(value > 0 ? "Infinity" : "-Infinity")
                                           : fmt::format("{}", value);
    pg_->bind(index, std::move(text), kFloat8Oid);
    return *this;
  }
  sqlite3_bind_double(statement_, index, value);
  return *this;
}
Statement& Statement::bind(int index, std::int64_t value) {
  if (pg_) {
    pg_->bind(index, std::to_string(value), kInt8Oid);
    return *this;
  }
  sqlite3_bind_int64(statement_, index, value);
  return *this;
}
Statement& Statement::bind(int index, std::optional<double> value) {
  return value ? bind(index, *value) : bind_null(index);
}
Statement& Statement::bind(int index, std::optional<std::int64_t> value) {
  return value ? bind(index, *value) : bind_null(index);
}
Statement& Statement::bind_text_or_null(int index, std::string_view text) {
  return text.empty() ? bind_null(index) : bind(index, text);
}
Statement& Statement::bind_null(int index) {
  if (pg_) {
    pg_->bind(index, std::nullopt, 0);
    return *this;
  }
  sqlite3_bind_null(statement_, index);
  return *this;
}

bool Statement::step() {
  if (pg_) return pg_->step(error_);
  if (!statement_) {
    if (!error_) error_ = DbError{"statement was not prepared"};
    return false;
  }
  const int rc = sqlite3_step(statement_);
  if (rc == SQLITE_ROW) return true;
  if (rc != SQLITE_DONE) error_ = error_of(db_, "query failed");
  return false;
}

bool Statement::run() {
  while (step()) {
  }
  return !error_;
}

void Statement::reset() {
  if (pg_) {
    pg_->reset();
    return;
  }
  sqlite3_reset(statement_);
  sqlite3_clear_bindings(statement_);
}

std::string Statement::column_text(int index) const {
  if (pg_) return std::string(pg_->value(index));
  const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(statement_, index));
  return text ? std::string(text, static_cast<std::size_t>(sqlite3_column_bytes(statement_, index)))
              : std::string();
}
std::string_view Statement::column_view(int index) const {
  if (pg_) return pg_->value(index);
  const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(statement_, index));
  return text ? std::string_view(text,
                                 static_cast<std::size_t>(sqlite3_column_bytes(statement_, index)))
              : std::string_view();
}

namespace {

// PostgreSQL's text of a number as SQLite's column accessors give it: a boolean as 1 or
// 0, a NULL or a text that is no number as 0, a numeric with a fraction truncated.
std::int64_t integer_of(std::string_view text) {
  if (text == "t") return 1;
  if (text == "f" || text.empty()) return 0;
  std::int64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec == std::errc() && end == text.data() + text.size()) return value;
  double real = 0;
  const auto parsed = std::from_chars(text.data(), text.data() + text.size(), real);
  return parsed.ec == std::errc() ? static_cast<std::int64_t>(real) : value;
}

double real_of(std::string_view text) {
  if (text == "t") return 1;
  double value = 0;
  std::from_chars(text.data(), text.data() + text.size(), value);
  return value;
}

}  // namespace

double Statement::column_double(int index) const {
  if (pg_) return real_of(pg_->value(index));
  return sqlite3_column_double(statement_, index);
}
std::int64_t Statement::column_int(int index) const {
  if (pg_) return integer_of(pg_->value(index));
  return sqlite3_column_int64(statement_, index);
}
bool Statement::column_is_null(int index) const {
  if (pg_) return pg_->is_null(index);
  return sqlite3_column_type(statement_, index) == SQLITE_NULL;
}
int Statement::column_count() const {
  if (pg_) return pg_->column_count();
  return sqlite3_column_count(statement_);
}

// ---------------------------------------------------------------------------------------

void Database::Closer::operator()(sqlite3* db) const { sqlite3_close_v2(db); }

Database::Database(std::string path, sqlite3* db) : path_(std::move(path)), db_(db) {}
Database::Database(std::string path, std::unique_ptr<postgres::Connection> pg)
    : path_(std::move(path)), pg_(std::move(pg)) {}
Database::Database(Database&&) noexcept = default;
Database& Database::operator=(Database&&) noexcept = default;
Database::~Database() = default;

namespace {

// sqlite3_open_v2's flags for a mode, and whether the file must already be there.
int open_flags(Database::Mode mode) {
  switch (mode) {
    case Database::Mode::create:
      return SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
    case Database::Mode::existing:
      return SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;
    case Database::Mode::read_only:
      return SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX;
  }
  return SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;
}

bool in_memory(const std::string& path) { return path.empty() || path == ":memory:"; }

}  // namespace

bool is_postgres_url(std::string_view location) {
  return location.starts_with("postgresql://") || location.starts_with("postgres://");
}

std::string displayed_location(std::string_view location) {
  if (!is_postgres_url(location)) return std::string(location);
  std::string shown(location);
  // postgresql://user:password@host/…: the user stays, the password goes.
  const std::size_t authority = shown.find("://") + 3;
  const std::size_t end = shown.find_first_of("/?", authority);
  const std::size_t at = shown.rfind('@', end == std::string::npos ? shown.size() : end);
  if (at != std::string::npos && at >= authority) {
    const std::size_t colon = shown.find(':', authority);
    if (colon != std::string::npos && colon < at) shown.erase(colon, at - colon);
  }
  // …?password=…&…: the parameter goes.
  for (std::size_t found = shown.find("password=", authority); found != std::string::npos;
       found = shown.find("password=", found)) {
    const char before = shown[found - 1];
    if (before != '?' && before != '&') {
      found += 9;
      continue;
    }
    std::size_t stop = shown.find('&', found);
    stop = stop == std::string::npos ? shown.size() : stop + 1;
    shown.erase(found, stop - found);
  }
  while (!shown.empty() && (shown.back() == '&' || shown.back() == '?')) shown.pop_back();
  return shown;
}

DbResult<Database> Database::open(const std::string& path, const Options& options) {
  if (is_postgres_url(path)) return open_postgres(path, options);
  if (options.mode != Mode::create && !in_memory(path)) {
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) {
      return DbError{fmt::format(
          "no database at '{}' (`tiendo ingest` or `tiendo serve` makes one; check the path)",
          path)};
    }
  }
  bool read_only = false;
  Mode mode = options.mode;
  if (mode == Mode::read_only) {
    const std::filesystem::path file(path);
    const std::string directory =
        file.has_parent_path() ? file.parent_path().string() : std::string(".");
    read_only = ::access(path.c_str(), W_OK) != 0 || ::access(directory.c_str(), W_OK) != 0;
    if (!read_only) mode = Mode::existing;
  }
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &raw, open_flags(mode), nullptr);
  Database db(path, raw);
  db.options_ = options;
  if (rc != SQLITE_OK) return error_of(raw, fmt::format("cannot open database '{}'", path));
  sqlite3_extended_result_codes(raw, 1);
  sqlite3_busy_timeout(raw, options.busy_timeout_ms);
  db.busy_timeout_ = std::chrono::milliseconds(options.busy_timeout_ms);
  if (!in_memory(path) && !read_only) db.turns_ = turns_of(path);
  // A file that is not a database fails on the first read: say so plainly.
  auto readable = db.execute("SELECT count(*) FROM sqlite_master; PRAGMA foreign_keys = ON");
  if (readable && read_only) {
    // A WAL database whose -shm file is absent and cannot be made (a read-only directory,
    // a backup on read-only media) opens only as immutable: nothing writes it meanwhile.
    std::error_code ec;
    const std::string uri = "file:" + std::filesystem::absolute(path, ec).string() + "?immutable=1";
    sqlite3* again = nullptr;
    rc = sqlite3_open_v2(uri.c_str(), &again, open_flags(mode) | SQLITE_OPEN_URI, nullptr);
    Database immutable(path, again);
    immutable.options_ = options;
    if (rc == SQLITE_OK &&
        !immutable.execute("SELECT count(*) FROM sqlite_master; PRAGMA foreign_keys = ON")) {
      sqlite3_extended_result_codes(again, 1);
      db = std::move(immutable);
      readable.reset();
    }
  }
  if (readable) {
    return DbError{
        fmt::format("'{}' is not a usable tiendo database: {}", path, readable->message)};
  }
  if (read_only) {
    const int current = db.schema_version();
    if (current != latest_schema_version()) {
      return DbError{fmt::format(
          "database '{}' has schema version {}, and this tiendo reads version {}; it is open "
          "read-only, so it cannot be migrated here: {}",
          path, current, latest_schema_version(),
          current > latest_schema_version()
              ? "use a newer tiendo"
              : "open it once with a command that writes (e.g. `tiendo ingest`), or read a "
                "copy")};
    }
    return db;
  }
  // A new database gives the pages that retention frees back to the file system, a few at
  // a time (store::prune_runs), rather than keeping its largest size forever: set before
  // its first table, as SQLite requires.
  if (db.schema_version() == 0 && db.pragma("page_count") == "0") {
    if (auto error = db.execute("PRAGMA auto_vacuum = INCREMENTAL")) return *error;
  }
  if (!in_memory(path) && db.pragma("journal_mode = WAL") != "wal") {
    return DbError{fmt::format("cannot switch '{}' to WAL journal mode", path)};
  }
  if (auto error = db.execute("PRAGMA synchronous = FULL")) return *error;
  // Statement journals in memory. Inside a long write transaction (a run writes a million
  // result rows, then its alerts), a statement that may fail half-way journals the pages
  // it changes that the transaction had already changed, and SQLite writes that journal
  // to a temporary file past 64 KiB: measured on bench_eval's first run, 78,578 alert
  // upserts took 19.6 us each that way and 5.4 us in memory (1.7 s -> 0.55 s). A statement
  // journal lives for one statement. Sorts too large for the page cache also stay in
  // memory then; the one operation that would copy the whole file into temporary storage,
  // VACUUM, switches back to files for its time (store::prune_runs).
  if (auto error = db.execute("PRAGMA temp_store = MEMORY")) return *error;
  if (auto error = db.migrate()) return *error;
  return db;
}

DbResult<Database> Database::open_postgres(const std::string& url, const Options& options) {
  std::string shown = displayed_location(url);
  if (shown != url) {
    // A password written in a URL ends up in shell histories, process lists and logs.
    return DbError{
        fmt::format("the database URL {} carries a password: give it in the PGPASSWORD environment "
                    "variable or a password file (PGPASSFILE, ~/.pgpass) instead",
                    shown)};
  }
  TIENDO_ASSIGN_OR_RETURN(
      std::unique_ptr<postgres::Connection> connection,
      postgres::Connection::connect(url, shown, options.mode == Mode::read_only));
  Database db(shown, std::move(connection));
  db.options_ = options;
  db.busy_timeout_ = std::chrono::milliseconds(options.busy_timeout_ms);
  db.turns_ = turns_of(shown);
  const int current = db.schema_version();
  if (current == 0 && options.mode != Mode::create) {
    return DbError{fmt::format(
        "no tiendo store in the database {} (`tiendo ingest` or `tiendo serve` makes one; "
        "check the URL)",
        shown)};
  }
  if (options.mode == Mode::read_only && current != latest_schema_version()) {
    return DbError{fmt::format(
        "database {} has schema version {}, and this tiendo reads version {}; it is open "
        "read-only, so it cannot be migrated here: {}",
        shown, current, latest_schema_version(),
        current > latest_schema_version() ? "use a newer tiendo"
                                          : "open it once with a command that writes (e.g. "
                                            "`tiendo ingest`)")};
  }
  if (options.mode != Mode::read_only) {
    if (auto error = db.migrate()) return *error;
  }
  return db;
}

std::optional<DbError> Database::migrate_postgres() {
  const int latest = latest_schema_version();
  const int current = schema_version();
  if (current > latest) {
    return DbError{fmt::format(
        "database {} has schema version {}, newer than this tiendo understands ({}); use a "
        "newer tiendo",
        path_, current, latest)};
  }
  if (current == latest) return std::nullopt;
  // The write lock makes one process the migrator; the others find it done.
  Transaction transaction(*this);
  if (transaction.error()) return transaction.error();
  int version = schema_version();
  if (version == latest) return std::nullopt;
  if (version == 0) {
    if (auto error = execute(postgres_baseline())) {
      return DbError{fmt::format("making tiendo's tables in {} failed: {}", path_, error->message)};
    }
    version = postgres_baseline_version();
    if (auto error = execute(fmt::format("INSERT INTO tiendo_schema VALUES ({})", version))) {
      return error;
    }
  }
  for (; version < latest; ++version) {
    const auto step = static_cast<std::size_t>(version - postgres_baseline_version());
    if (version < postgres_baseline_version() || step >= postgres_migrations().size()) {
      return DbError{
          fmt::format("database {} has schema version {}, which no migration of this "
                      "tiendo takes to {}",
                      path_, version, latest)};
    }
    if (auto error = execute(postgres_migrations()[step])) {
      return DbError{fmt::format("migrating {} to schema version {} failed: {}", path_, version + 1,
                                 error->message)};
    }
    if (auto error = execute(fmt::format("UPDATE tiendo_schema SET version = {}", version + 1))) {
      return error;
    }
  }
  return transaction.commit();
}

Statement Database::prepare(std::string_view sql) {
  if (pg_) return Statement(pg_->prepare(sql));
  sqlite3_stmt* statement = nullptr;
  const int rc =
      sqlite3_prepare_v2(db_.get(), sql.data(), static_cast<int>(sql.size()), &statement, nullptr);
  Statement result(db_.get(), statement);
  if (rc != SQLITE_OK) result.error_ = error_of(db_.get(), "cannot prepare a statement");
  return result;
}

std::optional<DbError> Database::execute(std::string_view sql) {
  if (pg_) return pg_->execute(sql);
  char* message = nullptr;
  const std::string text(sql);
  if (const int rc = sqlite3_exec(db_.get(), text.c_str(), nullptr, nullptr, &message);
      rc != SQLITE_OK) {
    DbError error{message ? message : sqlite3_errmsg(db_.get())};
    sqlite3_free(message);
    note_failure(db_.get(), sqlite3_extended_errcode(db_.get()), error.message);
    return error;
  }
  return std::nullopt;
}

std::optional<StorageFailure> Database::storage_failure() const {
  const std::string_view file = pg_ ? std::string_view(path_) : file_of(db_.get());
  StorageFailures& all = storage_failures();
  std::lock_guard lock(all.mutex);
  const auto it = all.by_file.find(file);
  if (it == all.by_file.end()) return std::nullopt;
  return it->second;
}

std::string Database::pragma(std::string_view name) {
  if (pg_) return {};
  Statement statement = prepare(fmt::format("PRAGMA {}", name));
  return statement.step() ? statement.column_text(0) : std::string();
}

int Database::schema_version() {
  if (pg_) {
    // tiendo_schema is made by the first migration; a database without it has none.
    Statement exists = prepare("SELECT to_regclass('tiendo_schema') IS NOT NULL");
    if (!exists.step() || exists.column_int(0) == 0) return 0;
    Statement version = prepare("SELECT max(version) FROM tiendo_schema");
    return version.step() ? static_cast<int>(version.column_int(0)) : 0;
  }
  return std::stoi("0" + pragma("user_version"));
}

int Database::latest_schema_version() { return static_cast<int>(migrations().size()); }

std::optional<DbError> Database::migrate() {
  if (pg_) return migrate_postgres();
  const int current = schema_version();
  const int latest = latest_schema_version();
  if (current > latest) {
    return DbError{fmt::format(
        "database '{}' has schema version {}, newer than this tiendo understands ({}); use a "
        "newer tiendo",
        path_, current, latest)};
  }
  if (current == latest) return std::nullopt;
  Transaction transaction(*this);
  if (transaction.error()) return transaction.error();
  // Re-read inside the transaction: another process may have migrated meanwhile.
  for (int version = schema_version(); version < latest; ++version) {
    if (auto error = execute(migrations()[static_cast<std::size_t>(version)])) {
      return DbError{fmt::format("migrating '{}' to schema version {} failed: {}", path_,
                                 version + 1, error->message)};
    }
    if (auto error = execute(fmt::format("PRAGMA user_version = {}", version + 1))) return error;
  }
  // A migration may edit a table's text in sqlite_schema (schema 11): a new schema
  // cookie makes every connection, this one included, read the schema again.
  const std::string cookie = pragma("schema_version");
  if (auto error =
          execute(fmt::format("PRAGMA schema_version = {}", std::stoll("0" + cookie) + 1))) {
    return error;
  }
  return transaction.commit();
}

// ---------------------------------------------------------------------------------------

Transaction::Transaction(Database& db) : db_(db) {
  if (db_.turns_) {
    if (!db_.turns_->take(std::chrono::steady_clock::now() + db_.busy_timeout_)) {
      error_ = DbError{fmt::format(
          "database is locked: another write in this process held it for longer than the "
          "busy timeout ({} ms)",
          db_.busy_timeout_.count())};
      return;
    }
    turn_ = true;
  }
  error_ = db_.pg_ ? db_.pg_->begin(static_cast<int>(db_.busy_timeout_.count()))
                   : db_.execute("BEGIN IMMEDIATE");
  open_ = !error_;
  if (open_ && db_.fence_) {
    // Under the write lock: a new leader's epoch is written under it too.
    Statement epoch = db_.prepare("SELECT epoch FROM leadership WHERE id = 1");
    const std::int64_t now = epoch.step() ? epoch.column_int(0) : 0;
    if (epoch.error() || now != *db_.fence_) {
      error_ =
          epoch.error()
              ? *epoch.error()
              : DbError{fmt::format("this service no longer leads the store (it led in epoch {}, "
                                    "the store is in epoch {}): its write was refused",
                                    *db_.fence_, now)};
    }
    epoch.reset();
    if (error_) {
      if (db_.pg_) {
        db_.pg_->rollback();
      } else {
        db_.execute("ROLLBACK");
      }
      open_ = false;
    }
  }
  if (!open_) end_turn();
}

Transaction::~Transaction() {
  if (open_) {
    if (db_.pg_) {
      db_.pg_->rollback();
    } else {
      db_.execute("ROLLBACK");
    }
  }
  end_turn();
}

void Transaction::end_turn() {
  if (!turn_) return;
  turn_ = false;
  db_.turns_->give_back();
}

std::optional<DbError> Transaction::commit() {
  if (!open_) return error_ ? error_ : DbError{"transaction is not open"};
  if (db_.pg_) {
    auto error = db_.pg_->commit();
    open_ = false;
    end_turn();
    if (!error) note_commit(db_.path_);
    return error;
  }
  auto error = db_.execute("COMMIT");
  if (!error) {
    note_commit(file_of(db_.db_.get()));
    open_ = false;
    end_turn();
  }
  return error;
}

}  // namespace tiendo::store

namespace tiendo::store {

std::optional<DbError> probe_read(Database& db) {
  Statement q = sql::prepare(db, "SELECT count(*) FROM units");
  if (!q.step()) return q.error().value_or(DbError{"no answer"});
  return std::nullopt;
}

std::optional<DbError> probe_write(Database& db) {
  Transaction tx(db);
  if (tx.error()) return tx.error();
  if (auto error = sql::execute(db, "UPDATE store_identity SET id = id")) return error;
  return tx.commit();
}

DbResult<Database> copy_in_memory(Database& db) {
  if (db.engine() == Engine::postgresql) return copy_to_memory(db);
  auto opened = Database::open(":memory:");
  if (auto* error = std::get_if<DbError>(&opened)) return *error;
  Database& copy = std::get<Database>(opened);
  sqlite3_backup* backup =
      sqlite3_backup_init(sql::sqlite_handle(copy), "main", sql::sqlite_handle(db), "main");
  if (!backup) {
    return DbError{
        fmt::format("cannot copy the database: {}", sqlite3_errmsg(sql::sqlite_handle(copy)))};
  }
  const int stepped = sqlite3_backup_step(backup, -1);
  const int finished = sqlite3_backup_finish(backup);
  if (stepped != SQLITE_DONE || finished != SQLITE_OK) {
    return DbError{fmt::format("cannot copy the database: {}",
                               sqlite3_errstr(finished != SQLITE_OK ? finished : stepped))};
  }
  return opened;
}

}  // namespace tiendo::store

namespace tiendo::store::sql {

std::optional<DbError> run(Statement& statement) {
  if (!statement.run()) return statement.error().value_or(DbError{"a statement failed"});
  return std::nullopt;
}

std::int64_t changes(Database& db) {
  if (auto* pg = pg_connection(db)) return pg->changes();
  return sqlite3_changes(sql::sqlite_handle(db));
}

std::int64_t last_insert_id(Database& db) {
  if (auto* pg = pg_connection(db)) return pg->last_insert_id();
  return sqlite3_last_insert_rowid(sql::sqlite_handle(db));
}

void clear_storage_failure(std::string_view database) { note_commit(database); }

void note_storage_failure(const std::string& database, const std::string& message) {
  StorageFailures& all = storage_failures();
  std::lock_guard lock(all.mutex);
  all.by_file[database] = {std::chrono::system_clock::now(), message};
}

}  // namespace tiendo::store::sql

#include "store/database.hpp"

#include <fmt/format.h>
#include <sqlite3.h>

#include <condition_variable>
#include <deque>
#include <filesystem>
#include <map>
#include <mutex>

#include "store/schema.hpp"

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

DbError error_of(sqlite3* db, std::string_view doing) {
  return DbError{fmt::format("{}: {}", doing, db ? sqlite3_errmsg(db) : "out of memory")};
}

// The turns shared by this process's connections to the file at `path`.
std::shared_ptr<WriteTurns> turns_of(const std::string& path) {
  static std::mutex mutex;
  // Never destroyed: connections may outlive static destruction in detached threads.
  static auto* all = new std::map<std::string, std::weak_ptr<WriteTurns>>();
  std::error_code error;
  std::string key = std::filesystem::weakly_canonical(path, error).string();
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

Statement::Statement(Statement&& other) noexcept
    : db_(other.db_), statement_(other.statement_), error_(std::move(other.error_)) {
  other.statement_ = nullptr;
}

Statement& Statement::operator=(Statement&& other) noexcept {
  if (this != &other) {
    sqlite3_finalize(statement_);
    db_ = other.db_;
    statement_ = other.statement_;
    error_ = std::move(other.error_);
    other.statement_ = nullptr;
  }
  return *this;
}

Statement::~Statement() { sqlite3_finalize(statement_); }

Statement& Statement::bind(int index, std::string_view text) {
  sqlite3_bind_text(statement_, index, text.data(), static_cast<int>(text.size()),
                    SQLITE_TRANSIENT);
  return *this;
}
Statement& Statement::bind(int index, double value) {
  sqlite3_bind_double(statement_, index, value);
  return *this;
}
Statement& Statement::bind(int index, std::int64_t value) {
  sqlite3_bind_int64(statement_, index, value);
  return *this;
}
Statement& Statement::bind(int index, std::optional<double> value) {
  return value ? bind(index, *value) : bind_null(index);
}
Statement& Statement::bind_null(int index) {
  sqlite3_bind_null(statement_, index);
  return *this;
}

bool Statement::step() {
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
  sqlite3_reset(statement_);
  sqlite3_clear_bindings(statement_);
}

std::string Statement::column_text(int index) const {
  const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(statement_, index));
  return text ? std::string(text, static_cast<std::size_t>(sqlite3_column_bytes(statement_, index)))
              : std::string();
}
std::string_view Statement::column_view(int index) const {
  const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(statement_, index));
  return text ? std::string_view(text, static_cast<std::size_t>(sqlite3_column_bytes(statement_, index)))
              : std::string_view();
}

double Statement::column_double(int index) const {
  return sqlite3_column_double(statement_, index);
}
std::int64_t Statement::column_int(int index) const {
  return sqlite3_column_int64(statement_, index);
}
bool Statement::column_is_null(int index) const {
  return sqlite3_column_type(statement_, index) == SQLITE_NULL;
}
int Statement::column_count() const { return sqlite3_column_count(statement_); }

// ---------------------------------------------------------------------------------------

void Database::Closer::operator()(sqlite3* db) const { sqlite3_close_v2(db); }

Database::~Database() = default;

DbResult<Database> Database::open(const std::string& path, const Options& options) {
  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &raw,
                                 SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                                 nullptr);
  Database db(path, raw);
  if (rc != SQLITE_OK) return error_of(raw, fmt::format("cannot open database '{}'", path));
  sqlite3_extended_result_codes(raw, 1);
  sqlite3_busy_timeout(raw, options.busy_timeout_ms);
  db.busy_timeout_ = std::chrono::milliseconds(options.busy_timeout_ms);
  if (path != ":memory:" && !path.empty()) db.turns_ = turns_of(path);
  // A file that is not a database fails on the first read: say so plainly.
  if (auto error = db.execute("SELECT count(*) FROM sqlite_master; PRAGMA foreign_keys = ON")) {
    return DbError{fmt::format("'{}' is not a usable tiendo database: {}", path, error->message)};
  }
  if (path != ":memory:" && db.pragma("journal_mode = WAL") != "wal") {
    return DbError{fmt::format("cannot switch '{}' to WAL journal mode", path)};
  }
  if (auto error = db.execute("PRAGMA synchronous = FULL")) return *error;
  if (auto error = db.migrate()) return *error;
  return db;
}

Statement Database::prepare(std::string_view sql) {
  sqlite3_stmt* statement = nullptr;
  const int rc = sqlite3_prepare_v2(db_.get(), sql.data(), static_cast<int>(sql.size()),
                                    &statement, nullptr);
  Statement result(db_.get(), statement);
  if (rc != SQLITE_OK) result.error_ = error_of(db_.get(), "cannot prepare a statement");
  return result;
}

std::optional<DbError> Database::execute(std::string_view sql) {
  char* message = nullptr;
  const std::string text(sql);
  if (sqlite3_exec(db_.get(), text.c_str(), nullptr, nullptr, &message) != SQLITE_OK) {
    DbError error{message ? message : sqlite3_errmsg(db_.get())};
    sqlite3_free(message);
    return error;
  }
  return std::nullopt;
}

std::string Database::pragma(std::string_view name) {
  Statement statement = prepare(fmt::format("PRAGMA {}", name));
  return statement.step() ? statement.column_text(0) : std::string();
}

int Database::schema_version() { return std::stoi("0" + pragma("user_version")); }

int Database::latest_schema_version() { return static_cast<int>(migrations().size()); }

std::optional<DbError> Database::migrate() {
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
  error_ = db_.execute("BEGIN IMMEDIATE");
  open_ = !error_;
  if (!open_) end_turn();
}

Transaction::~Transaction() {
  if (open_) db_.execute("ROLLBACK");
  end_turn();
}

void Transaction::end_turn() {
  if (!turn_) return;
  turn_ = false;
  db_.turns_->give_back();
}

std::optional<DbError> Transaction::commit() {
  if (!open_) return error_ ? error_ : DbError{"transaction is not open"};
  auto error = db_.execute("COMMIT");
  if (!error) {
    open_ = false;
    end_turn();
  }
  return error;
}

}  // namespace tiendo::store

#include "store/copy.hpp"

#include <fmt/format.h>
#include <xxhash.h>

#include <algorithm>
#include <string_view>

#include "store/postgres/connection.hpp"
#include "store/sql/statements.hpp"
#include "util/result.hpp"

namespace tiendo::store {

namespace {

// A column's kind as the schema declares it on both engines.
enum class Kind { text, integer, real };

struct Column {
  std::string_view name;
  Kind kind;
};

struct Table {
  std::string_view name;
  std::string_view key;  // ORDER BY: the order the checksum reads the rows in
  std::vector<Column> columns;
  bool identity = false;  // an `id` that PostgreSQL numbers itself (its sequence moves on)
};

constexpr Kind T = Kind::text;
constexpr Kind I = Kind::integer;
constexpr Kind R = Kind::real;

// Every table of the schema at version 11, parents before the rows that refer to them.
// (A unit's parent is set after all units are in, as a unit may come before its parent.)
const std::vector<Table>& tables() {
  static const std::vector<Table> all = {
      {"units",
       "id",
       {{"id", T},
        {"name", T},
        {"level", T},
        {"parent", T},
        {"input", T},
        {"updated_at", T},
        {"labels", T}}},
      {"observations",
       "id",
       {{"id", I},
        {"indicator", T},
        {"unit", T},
        {"period_start", T},
        {"period_end", T},
        {"value", R},
        {"numerator", R},
        {"denominator", R},
        {"source", T},
        {"note", T},
        {"input", T},
        {"input_line", I},
        {"revision", I},
        {"ingested_at", T},
        {"estimate", I}},
       true},
      {"task_status",
       "id",
       {{"id", I},
        {"task", T},
        {"status", T},
        {"date", T},
        {"progress", R},
        {"note", T},
        {"input", T},
        {"input_line", I},
        {"ingested_at", T}},
       true},
      {"runs",
       "id",
       {{"id", I},
        {"at_date", T},
        {"started_at", T},
        {"finished_at", T},
        {"status", T},
        {"error", T},
        {"undo_log", I},
        {"results_changed", I}},
       true},
      {"silences",
       "id",
       {{"id", I},
        {"matchers", T},
        {"starts_at", T},
        {"ends_at", T},
        {"author", T},
        {"comment", T},
        {"created_at", T},
        {"expired_at", T}},
       true},
      {"alerts",
       "fingerprint",
       {{"fingerprint", T},
        {"subject", T},
        {"name", T},
        {"unit", T},
        {"state", T},
        {"severity", T},
        {"lifecycle", T},
        {"since", T},
        {"last_notified", T},
        {"updated_run", I},
        {"firing_since", T},
        {"evaluated", T}}},
      {"outbox",
       "id",
       {{"id", I},
        {"run_id", I},
        {"channel", T},
        {"idempotency_key", T},
        {"payload", T},
        {"state", T},
        {"attempts", I},
        {"next_attempt_at", T},
        {"last_error", T},
        {"created_at", T},
        {"delivered_at", T},
        {"kind", T},
        {"last_status", I},
        {"last_attempt_at", T}},
       true},
      {"transitions",
       "id",
       {{"id", I},
        {"run_id", I},
        {"fingerprint", T},
        {"from_lifecycle", T},
        {"to_lifecycle", T},
        {"state", T},
        {"severity", T},
        {"notify", T},
        {"silenced_by", I},
        {"channels", T}},
       true},
      {"outbox_transitions", "outbox_id, transition_id", {{"outbox_id", I}, {"transition_id", I}}},
      {"store_identity", "id", {{"id", T}}},
      {"evaluations",
       "id",
       {{"id", I},
        {"trigger", T},
        {"scheduled_for", T},
        {"at_date", T},
        {"requested_at", T},
        {"requested_by", T},
        {"started_at", T},
        {"finished_at", T},
        {"state", T},
        {"run_id", I},
        {"summary", T},
        {"error", T}},
       true},
      {"alert_prior",
       "run_id, fingerprint",
       {{"run_id", I},
        {"fingerprint", T},
        {"subject", T},
        {"name", T},
        {"unit", T},
        {"state", T},
        {"severity", T},
        {"lifecycle", T},
        {"since", T},
        {"last_notified", T},
        {"updated_run", I},
        {"firing_since", T},
        {"evaluated", T}}},
      {"retention", "results_from_run, pruned_at", {{"results_from_run", I}, {"pruned_at", T}}},
      {"result_details", "id", {{"id", I}, {"state", T}, {"detail", T}}, true},
      {"result_spans",
       "subject, name, unit, from_run",
       {{"subject", T},
        {"name", T},
        {"unit", T},
        {"from_run", I},
        {"to_run", I},
        {"digest", I},
        {"details", I}}},
      {"rule_texts", "digest", {{"digest", T}, {"text", T}}},
      {"rule_versions",
       "version",
       {{"version", I},
        {"created_at", T},
        {"author", T},
        {"message", T},
        {"source", T},
        {"restored_from", I},
        {"disk_digest", T}}},
      {"rule_version_files",
       "version, position",
       {{"version", I}, {"position", I}, {"name", T}, {"digest", T}}},
  };
  return all;
}

// The canonical form of one value, fed to the table's hash: a kind byte, then the value.
void hash_value(XXH3_state_t* state, const Statement& row, int column, Kind kind) {
  if (row.column_is_null(column)) {
    XXH3_64bits_update(state, "N", 1);
    return;
  }
  std::string text;
  switch (kind) {
    case Kind::text: {
      const std::string_view value = row.column_view(column);
      text = fmt::format("T{}:", value.size());
      XXH3_64bits_update(state, text.data(), text.size());
      XXH3_64bits_update(state, value.data(), value.size());
      return;
    }
    case Kind::integer:
      text = fmt::format("I{};", row.column_int(column));
      break;
    case Kind::real:
      text = fmt::format("R{};", row.column_double(column));
      break;
  }
  XXH3_64bits_update(state, text.data(), text.size());
}

std::string select_of(const Table& table) {
  std::string columns;
  for (const Column& column : table.columns) {
    if (!columns.empty()) columns += ", ";
    columns += column.name;
  }
  return fmt::format("SELECT {} FROM {} ORDER BY {}", columns, table.name, table.key);
}

struct HashState {
  XXH3_state_t* state = XXH3_createState();
  HashState() { XXH3_64bits_reset(state); }
  HashState(const HashState&) = delete;
  HashState& operator=(const HashState&) = delete;
  ~HashState() { XXH3_freeState(state); }
  std::string digest() const { return fmt::format("{:016x}", XXH3_64bits_digest(state)); }
};

// The checksum and count of `table` in `db`.
DbResult<TableCopy> sum_table(Database& db, const Table& table) {
  Statement rows = sql::prepare(db, select_of(table));
  HashState hash;
  TableCopy sum{.table = std::string(table.name), .rows = 0, .checksum = {}};
  while (rows.step()) {
    for (std::size_t c = 0; c < table.columns.size(); ++c) {
      hash_value(hash.state, rows, static_cast<int>(c), table.columns[c].kind);
    }
    ++sum.rows;
  }
  if (rows.error()) return *rows.error();
  sum.checksum = hash.digest();
  return sum;
}

// Copies `table`'s rows; its count and checksum as read from `from`.
DbResult<TableCopy> copy_table(Database& from, Database& to, const Table& table) {
  Statement rows = sql::prepare(from, select_of(table));
  std::string names;
  std::string places;
  for (std::size_t c = 0; c < table.columns.size(); ++c) {
    if (c > 0) {
      names += ", ";
      places += ", ";
    }
    names += table.columns[c].name;
    // A unit's parent after every unit is in (see below).
    places += table.name == "units" && table.columns[c].name == "parent"
                  ? std::string("NULL")
                  : fmt::format("?{}", c + 1);
  }
  // Into PostgreSQL by COPY (one round trip for many rows), into SQLite by INSERT.
  std::optional<postgres::CopyWriter> copy;
  Statement insert;
  if (postgres::Connection* pg = sql::pg_connection(to)) {
    copy.emplace(*pg, fmt::format("{} ({})", table.name, names));
  } else {
    insert =
        sql::prepare(to, fmt::format("INSERT INTO {} ({}) VALUES ({})", table.name, names, places));
    if (insert.error()) return *insert.error();
  }
  Statement parent = sql::prepare(to, "UPDATE units SET parent = ?2 WHERE id = ?1");
  std::vector<std::pair<std::string, std::string>> parents;
  HashState hash;
  TableCopy copied{.table = std::string(table.name), .rows = 0, .checksum = {}};
  while (rows.step()) {
    if (!copy) insert.reset();
    for (std::size_t c = 0; c < table.columns.size(); ++c) {
      const int column = static_cast<int>(c);
      const Kind kind = table.columns[c].kind;
      hash_value(hash.state, rows, column, kind);
      const bool parent_column = table.name == "units" && table.columns[c].name == "parent";
      if (parent_column && !rows.column_is_null(column)) {
        parents.emplace_back(rows.column_text(0), rows.column_text(column));
      }
      if (copy) {
        if (rows.column_is_null(column) || parent_column) {
          copy->null();
        } else if (kind == Kind::integer) {
          copy->integer(rows.column_int(column));
        } else if (kind == Kind::real) {
          copy->number(rows.column_double(column));
        } else {
          copy->text(rows.column_view(column));
        }
      } else if (rows.column_is_null(column)) {
        insert.bind_null(column + 1);
      } else if (kind == Kind::integer) {
        insert.bind(column + 1, rows.column_int(column));
      } else if (kind == Kind::real) {
        insert.bind(column + 1, rows.column_double(column));
      } else {
        insert.bind(column + 1, rows.column_view(column));
      }
    }
    if (copy) {
      copy->end_row();
      if (copy->error()) return *copy->error();
    } else if (!insert.run()) {
      return *insert.error();
    }
    ++copied.rows;
  }
  if (rows.error()) return *rows.error();
  if (copy) {
    if (auto error = copy->flush()) return *error;
  }
  for (const auto& [unit, of] : parents) {
    parent.reset();
    parent.bind(1, unit).bind(2, of);
    if (!parent.run()) return *parent.error();
  }
  if (table.identity && to.engine() == Engine::postgresql) {
    // The next row PostgreSQL numbers comes after the copied ones.
    TIENDO_RETURN_IF_ERROR(
        sql::execute(to, fmt::format("SELECT setval(pg_get_serial_sequence('{0}', 'id'), "
                                     "coalesce(max(id), 0) + 1, false) FROM {0}",
                                     table.name)));
  }
  copied.checksum = hash.digest();
  return copied;
}

// Reads of `db` from one view of it until the returned guard ends them.
struct ReadView {
  Database& db;
  bool open = false;
  explicit ReadView(Database& database) : db(database) {
    open = !sql::execute(db, db.engine() == Engine::postgresql
                                 ? "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"
                                 : "BEGIN")
                .has_value();
  }
  ReadView(const ReadView&) = delete;
  ReadView& operator=(const ReadView&) = delete;
  ~ReadView() {
    if (open) sql::execute(db, "COMMIT");
  }
};

}  // namespace

DbResult<CopyReport> copy_store(Database& from, Database& to, bool carry_identity) {
  if (from.schema_version() != to.schema_version()) {
    return DbError{fmt::format("{} has schema version {} and {} version {}", from.path(),
                               from.schema_version(), to.path(), to.schema_version())};
  }
  Transaction transaction(to);
  if (transaction.error()) return *transaction.error();
  // Only into an empty store: a copy never merges.
  for (const Table& table : tables()) {
    if (table.name == "store_identity") continue;
    Statement count = sql::prepare(to, fmt::format("SELECT count(*) FROM {}", table.name));
    if (!count.step()) return count.error().value_or(DbError{"no answer"});
    if (count.column_int(0) > 0) {
      return DbError{
          fmt::format("{} is not empty (its table {} has {} rows): copy into a new, empty store",
                      to.path(), table.name, count.column_int(0))};
    }
  }
  CopyReport report;
  {
    ReadView view(from);
    if (carry_identity) TIENDO_RETURN_IF_ERROR(sql::execute(to, "DELETE FROM store_identity"));
    for (const Table& table : tables()) {
      if (table.name == "store_identity" && !carry_identity) continue;
      TIENDO_ASSIGN_OR_RETURN(TableCopy copied, copy_table(from, to, table));
      report.tables.push_back(std::move(copied));
    }
  }
  // What was written, read back inside the transaction: the same rows, the same sums.
  for (const TableCopy& copied : report.tables) {
    const auto& table = *std::find_if(tables().begin(), tables().end(),
                                      [&](const Table& t) { return t.name == copied.table; });
    TIENDO_ASSIGN_OR_RETURN(TableCopy written, sum_table(to, table));
    if (written.rows != copied.rows || written.checksum != copied.checksum) {
      return DbError{fmt::format(
          "the copy of table {} differs from its source ({} rows, checksum {}; written {} rows, "
          "checksum {}): nothing was copied",
          copied.table, copied.rows, copied.checksum, written.rows, written.checksum)};
    }
  }
  TIENDO_RETURN_IF_ERROR(transaction.commit());
  return report;
}

DbResult<Database> copy_to_memory(Database& db) {
  TIENDO_ASSIGN_OR_RETURN(Database copy, Database::open(":memory:"));
  // A private copy to try a change on: the same store, its identity included.
  auto copied = copy_store(db, copy, true);
  if (auto* error = std::get_if<DbError>(&copied)) return *error;
  return copy;
}

}  // namespace tiendo::store

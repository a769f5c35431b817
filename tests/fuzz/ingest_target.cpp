#include "ingest_target.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "dsl/check.hpp"
#include "store/database.hpp"
#include "store/ingest.hpp"
#include "store/records.hpp"
#include "store/sql/statements.hpp"

#ifndef TIENDO_SOURCE_DIR
#error "TIENDO_SOURCE_DIR must name the repository (tests/fuzz/CMakeLists.txt sets it)"
#endif

namespace {

namespace fs = std::filesystem;
namespace store = tiendo::store;

constexpr std::size_t kMaxReportedErrors = 20;

[[noreturn]] void broken_promise(const std::string& what) {
  std::fprintf(stderr, "tiendo_fuzz_ingest: %s\n", what.c_str());
  std::abort();
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (!in.good() && !in.eof()) broken_promise("setup: cannot read " + path.string());
  return text;
}

store::Database open_memory() {
  auto opened = store::Database::open(":memory:");
  if (auto* error = std::get_if<store::DbError>(&opened)) {
    broken_promise("cannot open an in-memory database: " + error->message);
  }
  return std::move(std::get<store::Database>(opened));
}

struct Fixture {
  std::optional<tiendo::model::RuleSet> rules;
  // The examples' units, copied into each input's database with SQLite's backup.
  std::optional<store::Database> units;
};

Fixture& fixture() {
  static Fixture* const made = [] {
    auto* f = new Fixture;
    tiendo::dsl::LoadedRuleSet loaded =
        tiendo::dsl::load_rule_set({(fs::path(TIENDO_SOURCE_DIR) / "rules").string()});
    if (!loaded.rule_set) broken_promise("setup: the repository's rules do not load");
    f->rules = std::move(loaded.rule_set);
    f->units.emplace(open_memory());
    const fs::path path = fs::path(TIENDO_SOURCE_DIR) / "examples" / "units.csv";
    store::IngestOptions options;
    options.rules = &*f->rules;
    options.now = "2026-11-28T00:00:00Z";
    auto ingested = store::ingest(*f->units, {{path.string(), read_file(path)}}, options);
    if (!std::holds_alternative<store::IngestSummary>(ingested) ||
        !std::get<store::IngestSummary>(ingested).committed) {
      broken_promise("setup: the examples' units do not ingest");
    }
    return f;
  }();
  return *made;
}

store::Database database_with_units(Fixture& f) {
  store::Database db = open_memory();
  sqlite3_backup* backup = sqlite3_backup_init(tiendo::store::sql::sqlite_handle(db), "main",
                                               tiendo::store::sql::sqlite_handle(*f.units), "main");
  if (backup == nullptr || sqlite3_backup_step(backup, -1) != SQLITE_DONE ||
      sqlite3_backup_finish(backup) != SQLITE_OK) {
    broken_promise("cannot copy the units' database");
  }
  return db;
}

std::int64_t count(store::Database& db, const char* table) {
  store::Statement q =
      tiendo::store::sql::prepare(db, std::string("SELECT count(*) FROM ") + table);
  if (!q.step()) broken_promise(std::string("cannot count ") + table);
  return q.column_int(0);
}

// Checks the readers' promises on their own.
class CheckingSink final : public store::RecordSink {
 public:
  explicit CheckingSink(std::uint32_t last_line) : last_line_(last_line) {}

  bool header(const std::vector<std::string>& names, std::uint32_t line) override {
    at(line, "a header");
    columns_ = names.size();
    has_header_ = true;
    return true;
  }
  bool record(const std::vector<std::string_view>& fields, std::uint32_t line) override {
    if (!has_header_) broken_promise("a record before any header");
    if (fields.size() != columns_) broken_promise("a record with another number of fields");
    at(line, "a record");
    for (std::string_view field : fields) bytes_ += field.size();
    return true;
  }
  void error(std::uint32_t line, std::string message) override {
    if (line > last_line_ + 1) broken_promise("an error past the input's last line");
    if (message.empty()) broken_promise("an error without a message");
  }

 private:
  void at(std::uint32_t line, const char* what) {
    if (line < line_) broken_promise(std::string(what) + " went back to an earlier line");
    if (line == 0 || line > last_line_) {
      broken_promise(std::string(what) + " at line " + std::to_string(line) + " of " +
                     std::to_string(last_line_));
    }
    line_ = line;
  }

  std::uint32_t last_line_;
  std::uint32_t line_ = 0;
  std::size_t columns_ = 0;
  bool has_header_ = false;
  std::size_t bytes_ = 0;
};

// The lines of `text` as the readers count them: LF, CRLF and a lone CR end one.
std::uint32_t line_count(std::string_view text) {
  std::uint32_t lines = 1;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\n' || (text[i] == '\r' && (i + 1 == text.size() || text[i + 1] != '\n'))) {
      ++lines;
    }
  }
  return lines;
}

void check_readers(std::string_view text) {
  const std::uint32_t lines = line_count(text);
  {
    CheckingSink sink(lines);
    store::read_csv(text, sink);
  }
  {
    CheckingSink sink(lines);
    store::read_json(text, sink);
  }
  {
    CheckingSink sink(lines);
    store::read_records(text, sink);
  }
}

void check_summary(const store::IngestSummary& s, const store::IngestOptions& options,
                   std::uint32_t lines, const std::string& name) {
  if (s.error_count < s.errors.size() || s.errors.size() > options.max_reported_errors) {
    broken_promise("the summary counts fewer errors than it lists, or lists too many");
  }
  for (const store::RowError& e : s.errors) {
    if (e.input != name) broken_promise("an error names another input: " + e.input);
    if (e.line > lines + 1) broken_promise("an error past the input's last line");
    if (e.message.empty()) broken_promise("an error without a message");
  }
  if (s.error_count > 0 && s.committed && !options.skip_bad) {
    broken_promise("bad rows committed without --skip-bad");
  }
  if (s.observations_added + s.observations_unchanged + s.statuses_added + s.statuses_unchanged +
          s.units_written + s.units_unchanged >
      s.rows) {
    broken_promise("more rows written or unchanged than read");
  }
}

}  // namespace

int tiendo_fuzz_ingest(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  Fixture& f = fixture();
  const std::uint8_t flags = data[0];
  const std::string text(reinterpret_cast<const char*>(data) + 1, size - 1);
  check_readers(text);

  store::IngestOptions options;
  constexpr store::InputKinds kKinds[] = {store::InputKinds::any, store::InputKinds::observations,
                                          store::InputKinds::statuses, store::InputKinds::any};
  constexpr store::DecimalMark kMarks[] = {store::DecimalMark::auto_detect,
                                           store::DecimalMark::comma, store::DecimalMark::dot,
                                           store::DecimalMark::auto_detect};
  constexpr store::PercentAs kPercents[] = {store::PercentAs::require_sign,
                                            store::PercentAs::points, store::PercentAs::fraction,
                                            store::PercentAs::require_sign};
  options.accept = kKinds[flags & 3];
  options.numbers.decimal = kMarks[(flags >> 2) & 3];
  options.numbers.percent_as = kPercents[(flags >> 4) & 3];
  options.skip_bad = (flags & 0x40) != 0;
  options.rules = (flags & 0x80) ? nullptr : &*f.rules;
  options.now = "2026-11-28T10:00:00Z";
  options.max_reported_errors = kMaxReportedErrors;
  const bool json = [&] {
    const std::size_t first = text.find_first_not_of(" \t\r\n\xEF\xBB\xBF");
    return first != std::string::npos && (text[first] == '[' || text[first] == '{');
  }();
  const std::string name = json ? "request.json" : "request.csv";
  const std::uint32_t lines = line_count(text);

  store::Database db = database_with_units(f);
  const char* const kTables[] = {"units", "observations", "task_status"};
  std::int64_t before[3];
  for (int t = 0; t < 3; ++t) before[t] = count(db, kTables[t]);

  auto first = store::ingest(db, {{name, text}}, options);
  if (auto* error = std::get_if<store::DbError>(&first)) {
    broken_promise("ingest failed on a healthy database: " + error->message);
  }
  const store::IngestSummary& summary = std::get<store::IngestSummary>(first);
  check_summary(summary, options, lines, name);
  if (!summary.committed) {
    for (int t = 0; t < 3; ++t) {
      if (count(db, kTables[t]) != before[t]) {
        broken_promise(std::string("an ingest that was not committed wrote to ") + kTables[t]);
      }
    }
    return 0;
  }

  options.now = "2026-11-28T11:00:00Z";
  auto second = store::ingest(db, {{name, text}}, options);
  if (auto* error = std::get_if<store::DbError>(&second)) {
    broken_promise("the second ingest failed on a healthy database: " + error->message);
  }
  const store::IngestSummary& again = std::get<store::IngestSummary>(second);
  check_summary(again, options, lines, name);
  if (!again.committed) broken_promise("an input that committed once does not commit again");
  if (again.observations_added != 0 || again.statuses_added != 0) {
    broken_promise("the same input again added " + std::to_string(again.observations_added) +
                   " observations and " + std::to_string(again.statuses_added) + " task statuses");
  }
  return 0;
}

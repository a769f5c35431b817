#include "store/ingest.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include "store/ingest_layout.hpp"
#include "store/postgres/connection.hpp"
#include "store/records.hpp"
#include "store/sql/statements.hpp"
#include "util/text.hpp"

namespace tiendo::store {

namespace {

using namespace ingest_layout;

std::string iso(model::Date date) { return model::to_string(date); }

// ---------------------------------------------------------------------------------------

class Ingest {
 public:
  Ingest(Database& db, const IngestOptions& options) : db_(db), options_(options) {}

  DbResult<IngestSummary> run(const std::vector<IngestInput>& inputs) {
    for (const auto& input : inputs) total_bytes_ += input.text.size();
    Transaction transaction(db_);
    if (transaction.error()) return *transaction.error();
    if (auto error = prepare()) return *error;
    if (auto error = load_known_units()) return *error;

    // Units first, whichever input holds them, so that observations may name units
    // that the same input set introduces.
    for (const auto& input : inputs) read(input, Kind::units);
    if (auto error = write_units()) return *error;
    for (const auto& input : inputs) read(input, std::nullopt);
    if (db_error_) return *db_error_;

    if (summary_.error_count > 0 && !options_.skip_bad) return summary_;
    if (auto error = write_staged()) return *error;
    if (auto error = transaction.commit()) return *error;
    summary_.committed = true;
    return summary_;
  }

 private:
  // -------------------------------------------------------------------------------------

  std::optional<DbError> prepare() {
    // The connection's own staging tables (SQLite's without a rowid; PostgreSQL's texts
    // compared byte by byte, as the store's tables). On PostgreSQL the rows go in by COPY
    // and an observation given twice is found in memory (staged_), so its staging table
    // needs no key.
    const bool postgres = sql::engine(db_) == Engine::postgresql;
    copy_ = postgres;
    if (auto error = sql::execute(db_, fmt::format(R"sql(
CREATE TEMP TABLE IF NOT EXISTS staged_observations (
  indicator TEXT{0} NOT NULL, unit TEXT{0} NOT NULL, period_start TEXT{0} NOT NULL,
  period_end TEXT{0} NOT NULL, value {1} NOT NULL, numerator {1}, denominator {1},
  source TEXT{0}, note TEXT{0}, estimate BIGINT NOT NULL, input TEXT{0} NOT NULL,
  input_line BIGINT NOT NULL{3}){2};
CREATE TEMP TABLE IF NOT EXISTS staged_statuses (
  task TEXT{0} NOT NULL, status TEXT{0} NOT NULL, date TEXT{0} NOT NULL, progress {1},
  note TEXT{0}, input TEXT{0} NOT NULL, input_line BIGINT NOT NULL);
DELETE FROM staged_observations;
DELETE FROM staged_statuses;
)sql",
                                                   postgres ? " COLLATE \"C\"" : "",
                                                   postgres ? "DOUBLE PRECISION" : "REAL",
                                                   postgres ? "" : " WITHOUT ROWID",
                                                   postgres ? ""
                                                            : ", PRIMARY KEY (indicator, unit, "
                                                              "period_start, period_end)"))) {
      return error;
    }
    if (copy_) {
      postgres::Connection& pg = *sql::pg_connection(db_);
      copy_observations_ = std::make_unique<postgres::CopyWriter>(
          pg,
          "staged_observations (indicator, unit, period_start, period_end, value, numerator, "
          "denominator, source, note, estimate, input, input_line)");
      copy_statuses_ = std::make_unique<postgres::CopyWriter>(
          pg, "staged_statuses (task, status, date, progress, note, input, input_line)");
      return std::nullopt;
    }
    stage_observation_ = sql::prepare(
        db_,
        "INSERT INTO staged_observations VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, "
        "?12) ON CONFLICT DO NOTHING");
    find_staged_ =
        sql::prepare(db_,
                     "SELECT value, numerator, denominator, estimate, input, input_line FROM "
                     "staged_observations WHERE indicator = ?1 AND unit = ?2 AND period_start = "
                     "?3 AND period_end = ?4");
    stage_status_ =
        sql::prepare(db_, "INSERT INTO staged_statuses VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
    for (const Statement* statement : {&stage_observation_, &find_staged_, &stage_status_}) {
      if (statement->error()) return statement->error();
    }
    return std::nullopt;
  }

  std::optional<DbError> load_known_units() {
    Statement statement = sql::prepare(db_, "SELECT id, level, coalesce(parent, '') FROM units");
    while (statement.step()) {
      known_units_.emplace(statement.column_text(0), statement.column_text(1));
      known_parents_.emplace(statement.column_text(0), statement.column_text(2));
    }
    return statement.error();
  }

  // -------------------------------------------------------------------------------------
  // Reading.

  class Sink : public RecordSink {
   public:
    Sink(Ingest& ingest, const IngestInput& input, std::optional<Kind> only)
        : ingest_(ingest), input_(input), only_(only) {}

    bool header(const std::vector<std::string>& names, std::uint32_t line) override {
      auto layout = layout_of(names);
      if (auto* message = std::get_if<std::string>(&layout)) {
        // Reported once, on the pass that reads everything.
        if (!only_) ingest_.report(input_.name, line, *message);
        layout_.reset();
        return true;
      }
      layout_ = std::get<Layout>(layout);
      if (const char* expected = ingest_.refused(layout_->kind)) {
        if (!only_) {
          ingest_.report(
              input_.name, line,
              ingest_.options_.accept == InputKinds::units
                  ? fmt::format("this input holds {}, whose names, units and ranges are checked "
                                "against the rule set: give --rules (or --unchecked to store "
                                "them unchecked)",
                                kind_name(layout_->kind))
                  : fmt::format("this input holds {}; only {} are taken here",
                                kind_name(layout_->kind), expected));
        }
        layout_.reset();
      }
      return true;
    }

    bool record(const std::vector<std::string_view>& fields, std::uint32_t line) override {
      if (!layout_) return true;
      const bool wanted = only_ ? layout_->kind == *only_ : layout_->kind != Kind::units;
      if (!wanted) return true;
      if (only_ && *only_ == Kind::units) {
        ++ingest_.summary_.rows;
      } else {
        ingest_.count_row(input_, line);
      }
      const auto field = [&](std::size_t i) -> std::string_view {
        const int position = layout_->columns[i];
        return position < 0 ? std::string_view{} : trim(fields[static_cast<std::size_t>(position)]);
      };
      // Before any other check, whose messages would quote the field.
      for (std::size_t i = 0; i < layout_->columns.size(); ++i) {
        if (auto problem = control_character(layout_->names[i], field(i))) {
          ingest_.report(input_.name, line, std::move(*problem));
          return true;
        }
      }
      switch (layout_->kind) {
        case Kind::units:
          ingest_.unit_row(input_, line, field);
          break;
        case Kind::observations:
          ingest_.observation_row(input_, line, field);
          break;
        case Kind::statuses:
          ingest_.status_row(input_, line, field);
          break;
      }
      return !ingest_.db_error_;
    }

    void error(std::uint32_t line, std::string message) override {
      if (!only_) ingest_.report(input_.name, line, std::move(message));
    }

    // `"estimate": true` in JSON; any other column refuses true and false.
    bool takes_boolean(std::string_view key) const override {
      return util::ascii_lower(key) == "estimate";
    }

   private:
    Ingest& ingest_;
    const IngestInput& input_;
    std::optional<Kind> only_;
    std::optional<Layout> layout_;
  };

  // What `accept` expects, when `kind` is not it; null when `kind` is taken.
  const char* refused(Kind kind) const {
    switch (options_.accept) {
      case InputKinds::any:
        return nullptr;
      case InputKinds::observations:
        return kind == Kind::observations ? nullptr : "observations (indicator,unit,period,value)";
      case InputKinds::statuses:
        return kind == Kind::statuses ? nullptr : "task statuses (task,status,date)";
      case InputKinds::units:
        return kind == Kind::units ? nullptr : "units";
    }
    return nullptr;
  }
  static const char* kind_name(Kind kind) {
    switch (kind) {
      case Kind::units:
        return "units";
      case Kind::observations:
        return "observations";
      case Kind::statuses:
        return "task statuses";
    }
    return "";
  }

  // Reads `input`; `only` = units for the first pass, nullopt for the rest.
  void read(const IngestInput& input, std::optional<Kind> only) {
    Sink sink(*this, input, only);
    read_records(input.text, sink);
    if (!only) bytes_done_ += input.text.size();
  }

  // Progress is estimated from the line reached: record fields may point into a
  // reader's own buffer, not into the input.
  void count_row(const IngestInput& input, std::uint32_t line) {
    ++summary_.rows;
    if (options_.progress && summary_.rows % 50000 == 0) {
      if (lines_of_ != &input) {
        lines_of_ = &input;
        lines_ =
            static_cast<std::size_t>(std::count(input.text.begin(), input.text.end(), '\n')) + 1;
      }
      const std::size_t in_input = input.text.size() * std::min<std::size_t>(line, lines_) / lines_;
      options_.progress(summary_.rows, bytes_done_ + in_input, total_bytes_);
    }
  }

  void report(const std::string& input, std::uint32_t line, std::string message) {
    ++summary_.error_count;
    if (summary_.errors.size() < options_.max_reported_errors) {
      summary_.errors.push_back({input, line, std::move(message)});
    }
  }

  // "undefined X 'name'; did you mean 'other'?"
  static std::string undefined(std::string_view what, std::string_view name,
                               const std::vector<std::string>& candidates) {
    std::string message = fmt::format("unknown {} '{}'", what, name);
    if (auto suggestion = util::closest_match(name, candidates)) {
      message += fmt::format("; did you mean '{}'?", *suggestion);
    }
    return message;
  }

  std::vector<std::string> unit_names() const {
    std::vector<std::string> names;
    for (const auto& [id, level] : known_units_) names.push_back(id);
    return names;
  }

  template <typename T>
  static std::vector<std::string> names_of(const std::vector<T>& items) {
    std::vector<std::string> names;
    for (const T& item : items) names.push_back(item.name);
    return names;
  }

  // -------------------------------------------------------------------------------------
  // Units: collected, validated together (parents may come later), then written.

  struct UnitRow {
    std::string input;
    std::uint32_t line = 0;
    std::string id, name, level, parent;
    std::string labels;  // as stored: sorted, ';'-separated, no repeats
  };

  template <typename Field>
  void unit_row(const IngestInput& input, std::uint32_t line, const Field& field) {
    UnitRow row{input.name,
                line,
                std::string(field(0)),
                std::string(field(1)),
                std::string(field(2)),
                std::string(field(3)),
                {}};
    std::string why;
    auto labels = stored_labels(field(4), why);
    if (!labels) {
      report(input.name, line, fmt::format("unit '{}': {}", row.id, why));
      return;
    }
    row.labels = std::move(*labels);
    if (row.id.empty() || row.id.find_first_of(" \t\n") != std::string::npos) {
      report(input.name, line,
             fmt::format("a unit id is one word without spaces, not '{}'", row.id));
      return;
    }
    if (row.name.empty()) {
      report(input.name, line, fmt::format("unit '{}' has no name", row.id));
      return;
    }
    if (options_.rules && options_.rules->find_level(row.level) == model::kNone) {
      report(input.name, line,
             undefined("level", row.level, names_of(options_.rules->levels)) +
                 " (levels are declared by the rule set's `levels` line)");
      return;
    }
    if (row.level.empty()) {
      report(input.name, line, fmt::format("unit '{}' has no level", row.id));
      return;
    }
    const auto [it, inserted] = set_units_.emplace(row.id, units_.size());
    if (!inserted) {
      const UnitRow& first = units_[it->second];
      if (first.name != row.name || first.level != row.level || first.parent != row.parent ||
          first.labels != row.labels) {
        report(input.name, line,
               fmt::format("unit '{}' is given twice with different values (first at {}:{})",
                           row.id, first.input, first.line));
      }
      return;
    }
    units_.push_back(std::move(row));
  }

  std::optional<DbError> write_units() {
    std::map<std::string, std::string> levels = known_units_;
    for (const UnitRow& row : units_) levels[row.id] = row.level;
    Statement upsert = sql::prepare(db_, R"sql(
INSERT INTO units (id, name, level, parent, input, updated_at, labels)
  VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
ON CONFLICT (id) DO UPDATE SET name = excluded.name, level = excluded.level,
  parent = excluded.parent, input = excluded.input, updated_at = excluded.updated_at,
  labels = excluded.labels
WHERE units.name IS DISTINCT FROM excluded.name OR units.level IS DISTINCT FROM excluded.level
  OR units.parent IS DISTINCT FROM excluded.parent OR units.labels IS DISTINCT FROM excluded.labels)sql");
    if (upsert.error()) return upsert.error();
    // Parents must exist before their children are written (foreign keys are checked
    // per statement): write in order of depth.
    std::vector<const UnitRow*> valid;
    for (const UnitRow& row : units_) {
      if (!row.parent.empty()) {
        const auto parent = levels.find(row.parent);
        if (parent == levels.end()) {
          std::vector<std::string> candidates;
          for (const auto& [id, level] : levels) candidates.push_back(id);
          report(row.input, row.line, undefined("parent unit", row.parent, candidates));
          continue;
        }
        if (row.parent == row.id) {
          report(row.input, row.line, fmt::format("unit '{}' cannot be its own parent", row.id));
          continue;
        }
        if (options_.rules) {
          const model::Index parent_level = options_.rules->find_level(parent->second);
          const model::Index level = options_.rules->find_level(row.level);
          // Levels are ordered within a chain; across chains (an agency inside a
          // province) any parent will do, and a parent loop is refused below.
          const auto& levels_of = options_.rules->levels;
          if (parent_level != model::kNone && level != model::kNone &&
              levels_of[static_cast<std::size_t>(parent_level)].chain ==
                  levels_of[static_cast<std::size_t>(level)].chain &&
              levels_of[static_cast<std::size_t>(parent_level)].depth >=
                  levels_of[static_cast<std::size_t>(level)].depth) {
            report(row.input, row.line,
                   fmt::format("unit '{}' ({}) cannot be inside '{}' ({}): a parent's level is "
                               "above its children's",
                               row.id, row.level, row.parent, parent->second));
            continue;
          }
        }
      }
      valid.push_back(&row);
    }
    // Across chains a parent's level no longer rules out a loop: follow the parents, the
    // stored ones as this input changes them, and refuse a unit that comes back to itself.
    {
      std::map<std::string, std::string> parents = known_parents_;
      for (const UnitRow* row : valid) parents[row->id] = row->parent;
      std::vector<const UnitRow*> acyclic;
      for (const UnitRow* row : valid) {
        std::string path = row->id;
        bool loop = false;
        std::size_t hops = 0;
        for (auto it = parents.find(row->parent); it != parents.end() && hops <= parents.size();
             it = parents.find(it->second), ++hops) {
          path += " → " + it->first;
          if (it->first == row->id) {
            loop = true;
            break;
          }
        }
        if (loop) {
          report(row->input, row->line,
                 fmt::format("unit '{}' would be its own ancestor through its parents ({})",
                             row->id, path));
        } else {
          acyclic.push_back(row);
        }
      }
      valid = std::move(acyclic);
    }
    std::map<std::string, const UnitRow*> by_id;
    for (const UnitRow* row : valid) by_id[row->id] = row;
    std::set<std::string> written;
    std::set<std::string> visiting;
    std::function<bool(const UnitRow*)> write = [&](const UnitRow* row) -> bool {
      if (written.contains(row->id)) return true;
      if (!visiting.insert(row->id).second) {
        report(row->input, row->line,
               fmt::format("unit '{}' is its own ancestor through its parents", row->id));
        return false;
      }
      const auto parent = by_id.find(row->parent);
      if (parent != by_id.end() && !write(parent->second)) return false;
      upsert.reset();
      upsert.bind(1, row->id)
          .bind(2, row->name)
          .bind(3, row->level)
          .bind(5, row->input)
          .bind(6, options_.now)
          .bind(7, row->labels);
      if (row->parent.empty()) {
        upsert.bind_null(4);
      } else {
        upsert.bind(4, row->parent);
      }
      if (!upsert.run()) {
        db_error_ = upsert.error();
        return false;
      }
      if (sql::changes(db_) > 0) {
        ++summary_.units_written;
      } else {
        ++summary_.units_unchanged;
      }
      written.insert(row->id);
      known_units_[row->id] = row->level;
      known_parents_[row->id] = row->parent;
      return true;
    };
    for (const UnitRow* row : valid) {
      if (!write(row) && db_error_) return db_error_;
    }
    return std::nullopt;
  }

  // -------------------------------------------------------------------------------------
  // Observations and statuses: validated row by row into staging tables.

  // A staged observation's value and where it was given (`input` outlives the ingest).
  struct Staged {
    double value = 0;
    std::optional<double> numerator, denominator;
    bool estimate = false;
    std::string_view input;
    std::uint32_t line = 0;
  };

  template <typename Field>
  void observation_row(const IngestInput& input, std::uint32_t line, const Field& field) {
    const std::string_view indicator = field(0);
    const std::string_view unit = field(1);
    model::ValueUnit value_unit = model::ValueUnit::number;
    const model::Indicator* declared = nullptr;
    if (options_.rules) {
      const model::Index index = options_.rules->find_indicator(indicator);
      if (index == model::kNone) {
        report(input.name, line,
               undefined("indicator", indicator, names_of(options_.rules->indicators)));
        return;
      }
      declared = &options_.rules->indicators[static_cast<std::size_t>(index)];
      value_unit = declared->unit;
    } else {
      if (indicator.empty()) {
        report(input.name, line, "the indicator is empty");
        return;
      }
      const std::string_view value = field(3);
      if (value.find('%') != std::string_view::npos || value.find('/') != std::string_view::npos) {
        value_unit = model::ValueUnit::percent;
      }
    }
    if (!known_units_.contains(std::string(unit))) {
      report(input.name, line,
             undefined("unit", unit, unit_names()) +
                 " (units come from a units input: unit,name,level,parent)");
      return;
    }
    const auto period = parse_data_period(field(2));
    if (const auto* message = std::get_if<std::string>(&period)) {
      report(input.name, line, *message);
      return;
    }
    const auto value = parse_value(field(3), value_unit, options_.numbers);
    if (const auto* message = std::get_if<std::string>(&value)) {
      report(input.name, line, fmt::format("{}: {}", indicator, *message));
      return;
    }
    const model::Period& p = std::get<model::Period>(period);
    const ParsedValue& v = std::get<ParsedValue>(value);
    if (declared && !declared->range().contains(v.value)) {
      report(input.name, line, outside_range(*declared, field(3), v));
      return;
    }
    const auto flag = estimate_flag(field(6));
    if (const auto* message = std::get_if<std::string>(&flag)) {
      report(input.name, line, *message);
      return;
    }
    const std::optional<bool> estimate_column = std::get<std::optional<bool>>(flag);
    if (v.estimate && estimate_column == false) {
      report(input.name, line,
             fmt::format("estimate: false, but the value '{}' is written as an estimate; leave "
                         "the estimate column empty, or write the value without its estimate word",
                         field(3)));
      return;
    }
    const bool estimate = v.estimate || estimate_column == true;
    const std::string start = iso(p.first);
    const std::string end = iso(p.last);
    const Staged staged{v.value, v.numerator, v.denominator, estimate, input.name, line};
    if (copy_) {
      std::string key = fmt::format("{}\x1f{}\x1f{}\x1f{}", indicator, unit, start, end);
      const auto [it, inserted] = staged_.try_emplace(std::move(key), staged);
      if (!inserted) {
        check_same(it->second, staged, indicator, unit, field(2));
        return;
      }
      postgres::CopyWriter& row = *copy_observations_;
      row.text(indicator).text(unit).text(start).text(end);
      row.number(v.value).number(v.numerator).number(v.denominator);
      row.text_or_null(field(4)).text_or_null(field(5));
      row.integer(estimate ? 1 : 0).text(input.name).integer(line);
      row.end_row();
      if (row.error()) db_error_ = row.error();
      return;
    }
    stage_observation_.reset();
    stage_observation_.bind(1, indicator).bind(2, unit).bind(3, start).bind(4, end);
    stage_observation_.bind(5, v.value).bind(6, v.numerator).bind(7, v.denominator);
    stage_observation_.bind_text_or_null(8, field(4));
    stage_observation_.bind_text_or_null(9, field(5));
    stage_observation_.bind(10, static_cast<std::int64_t>(estimate));
    stage_observation_.bind(11, input.name).bind(12, static_cast<std::int64_t>(line));
    if (!stage_observation_.run()) {
      db_error_ = stage_observation_.error();
      return;
    }
    if (sql::changes(db_) == 0) {
      // The same indicator, unit and period earlier in this input set.
      find_staged_.reset();
      find_staged_.bind(1, indicator).bind(2, unit).bind(3, start).bind(4, end);
      if (find_staged_.step()) {
        const auto optional_column = [&](int i) -> std::optional<double> {
          if (find_staged_.column_is_null(i)) return std::nullopt;
          return find_staged_.column_double(i);
        };
        const std::string first_input = find_staged_.column_text(4);
        const Staged first{find_staged_.column_double(0),
                           optional_column(1),
                           optional_column(2),
                           find_staged_.column_int(3) != 0,
                           first_input,
                           static_cast<std::uint32_t>(find_staged_.column_int(5))};
        check_same(first, staged, indicator, unit, field(2));
      }
      find_staged_.reset();
    }
  }

  // An observation staged once already (`first`), given again as `again`: an error unless
  // both say the same.
  void check_same(const Staged& first, const Staged& again, std::string_view indicator,
                  std::string_view unit, std::string_view period) {
    if (first.value == again.value && first.numerator == again.numerator &&
        first.denominator == again.denominator && first.estimate == again.estimate) {
      return;
    }
    report(std::string(again.input), again.line,
           fmt::format("{} at {} for {} is also given at {}:{} with another value", indicator, unit,
                       period, first.input, first.line));
  }

  // Sends the rows kept for COPY.
  void flush_copies() {
    for (auto* writer : {copy_observations_.get(), copy_statuses_.get()}) {
      if (writer && !db_error_) db_error_ = writer->flush();
    }
  }

  template <typename Field>
  void status_row(const IngestInput& input, std::uint32_t line, const Field& field) {
    const std::string_view task = field(0);
    if (options_.rules && options_.rules->find_task(task) == model::kNone) {
      report(input.name, line, undefined("task", task, names_of(options_.rules->tasks)));
      return;
    }
    if (task.empty()) {
      report(input.name, line, "the task is empty");
      return;
    }
    const std::string_view status = field(1);
    if (!model::parse_task_status(status)) {
      const std::vector<std::string> statuses = {"not_started", "in_progress", "done", "blocked",
                                                 "cancelled"};
      report(input.name, line,
             undefined("status", status, statuses) +
                 " (a status is not_started, in_progress, done, blocked or cancelled)");
      return;
    }
    const auto date = parse_data_period(field(2));
    if (const auto* message = std::get_if<std::string>(&date)) {
      report(input.name, line, *message);
      return;
    }
    if (std::get<model::Period>(date).kind != model::Period::Kind::day) {
      report(input.name, line,
             fmt::format("a status date is a day, such as 2022-07-01 or 1/7/2022, not '{}'",
                         field(2)));
      return;
    }
    std::optional<double> progress;
    if (!field(3).empty()) {
      const auto parsed = parse_value(field(3), model::ValueUnit::percent, options_.numbers);
      if (const auto* message = std::get_if<std::string>(&parsed)) {
        report(input.name, line, fmt::format("progress: {}", *message));
        return;
      }
      if (std::get<ParsedValue>(parsed).estimate) {
        report(input.name, line,
               fmt::format("progress: '{}' is written as an estimate, which only an "
                           "observation's value may be; write the progress itself, such as 40%",
                           field(3)));
        return;
      }
      progress = std::get<ParsedValue>(parsed).value;
      if (*progress < 0 || *progress > 1) {
        report(input.name, line,
               fmt::format("progress is between 0% and 100%, not '{}'", field(3)));
        return;
      }
    }
    const std::string day = iso(std::get<model::Period>(date).first);
    if (copy_) {
      postgres::CopyWriter& row = *copy_statuses_;
      row.text(task).text(status).text(day).number(progress).text_or_null(field(4));
      row.text(input.name).integer(line);
      row.end_row();
      if (row.error()) db_error_ = row.error();
      return;
    }
    stage_status_.reset();
    stage_status_.bind(1, task).bind(2, status).bind(3, day);
    stage_status_.bind(4, progress);
    stage_status_.bind_text_or_null(5, field(4));
    stage_status_.bind(6, input.name).bind(7, static_cast<std::int64_t>(line));
    if (!stage_status_.run()) db_error_ = stage_status_.error();
  }

  // -------------------------------------------------------------------------------------
  // From staging to the real tables, set-based: one statement each.

  std::optional<DbError> write_staged() {
    flush_copies();
    if (db_error_) return db_error_;
    Statement staged = sql::prepare(db_, "SELECT count(*) FROM staged_observations");
    const std::int64_t observations = staged.step() ? staged.column_int(0) : 0;
    // A staged value that equals the latest revision (value, fraction, source, note and
    // estimate flag) changes nothing; any other adds revision latest + 1 (or 1). SQLite
    // reads its staging table in key order and finds each latest revision by the index;
    // PostgreSQL, which would run the subquery once per row, takes the latest revisions of
    // the staged keys at once (DISTINCT ON) and writes in key order, so that the indexes
    // grow at their ends (sorting in memory: work_mem for this transaction).
    static constexpr std::string_view kChanged = R"sql(
WHERE latest.id IS NULL OR latest.value IS DISTINCT FROM s.value
  OR latest.numerator IS DISTINCT FROM s.numerator OR latest.denominator IS DISTINCT FROM s.denominator
  OR latest.source IS DISTINCT FROM s.source OR latest.note IS DISTINCT FROM s.note
  OR latest.estimate IS DISTINCT FROM s.estimate)sql";
    static constexpr std::string_view kInsert = R"sql(
INSERT INTO observations (indicator, unit, period_start, period_end, value, numerator,
  denominator, source, note, estimate, input, input_line, revision, ingested_at)
SELECT s.indicator, s.unit, s.period_start, s.period_end, s.value, s.numerator,
  s.denominator, s.source, s.note, s.estimate, s.input, s.input_line,
  coalesce(latest.revision, 0) + 1, ?1
FROM staged_observations s)sql";
    std::string sql;
    if (copy_) {
      if (auto error = sql::execute(db_, "SET LOCAL work_mem = '256MB'")) return error;
      sql = fmt::format(R"sql(
WITH latest AS (
  SELECT DISTINCT ON (o.indicator, o.unit, o.period_start, o.period_end) o.*
  FROM observations o
  JOIN staged_observations k ON k.indicator = o.indicator AND k.unit = o.unit
    AND k.period_start = o.period_start AND k.period_end = o.period_end
  ORDER BY o.indicator, o.unit, o.period_start, o.period_end, o.revision DESC){}
LEFT JOIN latest
  ON latest.indicator = s.indicator AND latest.unit = s.unit
  AND latest.period_start = s.period_start AND latest.period_end = s.period_end{}
ORDER BY s.indicator, s.unit, s.period_start, s.period_end)sql",
                        kInsert, kChanged);
    } else {
      sql = fmt::format(R"sql({}
LEFT JOIN observations latest
  ON latest.indicator = s.indicator AND latest.unit = s.unit
  AND latest.period_start = s.period_start AND latest.period_end = s.period_end
  AND latest.revision = (SELECT max(o.revision) FROM observations o
                         WHERE o.indicator = s.indicator AND o.unit = s.unit
                           AND o.period_start = s.period_start AND o.period_end = s.period_end){})sql",
                        kInsert, kChanged);
    }
    Statement insert = sql::prepare(db_, sql);
    insert.bind(1, options_.now);
    if (!insert.run()) return insert.error();
    summary_.observations_added = static_cast<std::size_t>(sql::changes(db_));
    summary_.observations_unchanged =
        static_cast<std::size_t>(observations) - summary_.observations_added;

    Statement statuses = sql::prepare(db_, "SELECT count(*) FROM staged_statuses");
    const std::int64_t status_rows = statuses.step() ? statuses.column_int(0) : 0;
    Statement insert_statuses = sql::prepare(db_, R"sql(
INSERT INTO task_status (task, status, date, progress, note, input, input_line,
  ingested_at)
SELECT task, status, date, progress, note, input, input_line, ?1 FROM staged_statuses
WHERE true ON CONFLICT DO NOTHING)sql");
    insert_statuses.bind(1, options_.now);
    if (!insert_statuses.run()) return insert_statuses.error();
    summary_.statuses_added = static_cast<std::size_t>(sql::changes(db_));
    summary_.statuses_unchanged = static_cast<std::size_t>(status_rows) - summary_.statuses_added;
    return sql::execute(db_, "DELETE FROM staged_observations; DELETE FROM staged_statuses;");
  }

  Database& db_;
  const IngestOptions& options_;
  IngestSummary summary_;
  std::optional<DbError> db_error_;
  std::size_t bytes_done_ = 0;
  const IngestInput* lines_of_ = nullptr;
  std::size_t lines_ = 1;
  std::size_t total_bytes_ = 0;
  std::map<std::string, std::string> known_units_;    // id -> level
  std::map<std::string, std::string> known_parents_;  // id -> parent id ("" for a root)
  std::vector<UnitRow> units_;
  std::map<std::string, std::size_t> set_units_;
  Statement stage_observation_;
  Statement find_staged_;
  Statement stage_status_;
  // PostgreSQL: the observations staged, by indicator, unit and period, and the writers
  // that send the staged rows by COPY.
  bool copy_ = false;
  std::unordered_map<std::string, Staged> staged_;
  std::unique_ptr<postgres::CopyWriter> copy_observations_;
  std::unique_ptr<postgres::CopyWriter> copy_statuses_;
};

}  // namespace

DbResult<IngestSummary> ingest(Database& db, const std::vector<IngestInput>& inputs,
                               const IngestOptions& options) {
  Ingest run(db, options);
  return run.run(inputs);
}

}  // namespace tiendo::store

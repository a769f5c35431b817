// What the evaluator reads: the units, every observation's latest revision and every
// task status event, held in memory and indexed for evaluation. The store fills it
// with one query per table (`load_snapshot`); rule tests fill it from their own lines.
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "model/calendar.hpp"
#include "model/rule_set.hpp"
#include "store/database.hpp"

namespace tiendo::store {

using UnitIndex = std::int32_t;

struct SnapshotUnit {
  std::string id;
  std::string name;
  std::string level_name;
  model::Index level = model::kNone;  // index in the rule set's levels, kNone if undeclared
  UnitIndex parent = -1;
};

// One observation (its latest revision). Kept small: a snapshot holds millions.
struct Point {
  model::Date start;
  model::Date end;
  double value = 0;
  std::int32_t revision = 1;
  std::int32_t source = -1;  // index into Snapshot::strings, -1 for none
  std::int32_t input = -1;   // file the row came from, index into Snapshot::strings
  std::int32_t input_line = 0;
  // "392/505" as ingested; NaN when the value was not given as a fraction.
  double numerator_f = std::numeric_limits<double>::quiet_NaN();
  double denominator_f = std::numeric_limits<double>::quiet_NaN();
  std::optional<double> numerator() const {
    return std::isnan(numerator_f) ? std::nullopt : std::optional<double>(numerator_f);
  }
  std::optional<double> denominator() const {
    return std::isnan(denominator_f) ? std::nullopt : std::optional<double>(denominator_f);
  }
};

struct StatusEvent {
  model::Date date;
  model::TaskStatus status = model::TaskStatus::not_started;
  std::optional<double> progress;  // fraction
  std::int32_t note = -1;          // index into Snapshot::strings
};

class Snapshot {
 public:
  // Adds a unit; parents must be added first (or set later with set_parent).
  UnitIndex add_unit(SnapshotUnit unit);
  void set_parent(UnitIndex unit, UnitIndex parent) { units_[static_cast<std::size_t>(unit)].parent = parent; }
  // Adds an observation of indicator `indicator` at `unit`; call finish() after the last.
  void add_point(model::Index indicator, UnitIndex unit, Point point);
  void add_status(model::Index task, StatusEvent event);
  std::int32_t intern(const std::string& text);
  // Sorts the series, keeps the highest revision of each period, and builds the level
  // indexes. Call once, after adding everything.
  void finish(std::size_t task_count);

  const std::vector<SnapshotUnit>& units() const { return units_; }
  UnitIndex find_unit(const std::string& id) const;
  const std::vector<UnitIndex>& roots() const { return roots_; }
  // Units of `level` inside `unit` (strictly below it), in id order.
  const std::vector<UnitIndex>& descendants(UnitIndex unit, model::Index level) const;
  // Every unit of `level`, in id order.
  const std::vector<UnitIndex>& units_at(model::Index level) const;
  // Observations of `indicator` at `unit`, by period end (empty if none).
  const std::vector<Point>& series(model::Index indicator, UnitIndex unit) const;
  // Status events of `task`, by date (empty if none).
  const std::vector<StatusEvent>& statuses(model::Index task) const;
  const std::string& text(std::int32_t index) const;
  std::size_t point_count() const { return point_count_; }

 private:
  static std::uint64_t key(model::Index indicator, UnitIndex unit) {
    return (static_cast<std::uint64_t>(static_cast<std::uint32_t>(indicator)) << 32) |
           static_cast<std::uint32_t>(unit);
  }

  std::vector<SnapshotUnit> units_;
  std::unordered_map<std::string, UnitIndex> unit_ids_;
  std::vector<UnitIndex> roots_;
  std::unordered_map<std::uint64_t, std::vector<Point>> series_;
  std::vector<std::vector<StatusEvent>> statuses_;
  std::vector<std::vector<std::vector<UnitIndex>>> descendants_;  // [unit][level]
  std::vector<std::vector<UnitIndex>> by_level_;
  std::vector<std::string> strings_;
  std::unordered_map<std::string, std::int32_t> string_ids_;
  std::size_t point_count_ = 0;
  std::size_t level_count_ = 0;
};

// Reads the units, the latest revision of every observation of an indicator of
// `rules`, and every status event of its tasks. Observations of indicators the rule set
// does not declare are left out. Levels are matched by name.
DbResult<Snapshot> load_snapshot(Database& db, const model::RuleSet& rules);

}  // namespace tiendo::store

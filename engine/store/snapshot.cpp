#include "store/snapshot.hpp"

#include <algorithm>
#include <chrono>
#include <string_view>

namespace tiendo::store {

namespace {
const std::vector<Point> kNoPoints;
const std::vector<StatusEvent> kNoEvents;
const std::vector<UnitIndex> kNoUnits;
const std::string kEmpty;

// "2022-09-30" as stored by ingest; nullopt for anything else. Hand-rolled: the snapshot
// parses two dates per observation, millions of times.
std::optional<model::Date> parse_iso(std::string_view text) {
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return std::nullopt;
  int parts[3] = {0, 0, 0};
  const std::size_t starts[3] = {0, 5, 8};
  const std::size_t lengths[3] = {4, 2, 2};
  for (int p = 0; p < 3; ++p) {
    for (std::size_t i = 0; i < lengths[p]; ++i) {
      const char c = text[starts[p] + i];
      if (c < '0' || c > '9') return std::nullopt;
      parts[p] = parts[p] * 10 + (c - '0');
    }
  }
  const std::chrono::year_month_day ymd{std::chrono::year{parts[0]},
                                        std::chrono::month{static_cast<unsigned>(parts[1])},
                                        std::chrono::day{static_cast<unsigned>(parts[2])}};
  if (!ymd.ok()) return std::nullopt;
  return model::Date{ymd};
}
}  // namespace

UnitIndex Snapshot::add_unit(SnapshotUnit unit) {
  const auto index = static_cast<UnitIndex>(units_.size());
  unit_ids_.emplace(unit.id, index);
  units_.push_back(std::move(unit));
  return index;
}

void Snapshot::add_point(model::Index indicator, UnitIndex unit, Point point) {
  series_[key(indicator, unit)].push_back(point);
}

void Snapshot::add_status(model::Index task, StatusEvent event) {
  if (statuses_.size() <= static_cast<std::size_t>(task)) {
    statuses_.resize(static_cast<std::size_t>(task) + 1);
  }
  statuses_[static_cast<std::size_t>(task)].push_back(event);
}

std::int32_t Snapshot::intern(const std::string& text) {
  const auto [it, inserted] =
      string_ids_.emplace(text, static_cast<std::int32_t>(strings_.size()));
  if (inserted) strings_.push_back(text);
  return it->second;
}

void Snapshot::finish(std::size_t task_count) {
  if (statuses_.size() < task_count) statuses_.resize(task_count);
  point_count_ = 0;
  for (auto& [k, points] : series_) {
    std::sort(points.begin(), points.end(), [](const Point& a, const Point& b) {
      if (a.end != b.end) return a.end < b.end;
      if (a.start != b.start) return a.start < b.start;
      return a.revision < b.revision;
    });
    // Of each period keep the last, highest revision.
    std::size_t kept = 0;
    for (std::size_t i = 0; i < points.size(); ++i) {
      const bool superseded = i + 1 < points.size() && points[i + 1].start == points[i].start &&
                              points[i + 1].end == points[i].end;
      if (!superseded) points[kept++] = points[i];
    }
    points.resize(kept);
    points.shrink_to_fit();
    point_count_ += kept;
  }
  for (auto& events : statuses_) {
    std::stable_sort(events.begin(), events.end(),
                     [](const StatusEvent& a, const StatusEvent& b) { return a.date < b.date; });
  }
  level_count_ = 0;
  for (const SnapshotUnit& unit : units_) {
    level_count_ = std::max(level_count_, static_cast<std::size_t>(unit.level + 1));
  }
  std::vector<UnitIndex> order(units_.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = static_cast<UnitIndex>(i);
  std::sort(order.begin(), order.end(),
            [&](UnitIndex a, UnitIndex b) { return units_[a].id < units_[b].id; });
  roots_.clear();
  by_level_.assign(level_count_, {});
  descendants_.assign(units_.size(), std::vector<std::vector<UnitIndex>>(level_count_));
  for (UnitIndex u : order) {
    const SnapshotUnit& unit = units_[static_cast<std::size_t>(u)];
    if (unit.parent < 0) roots_.push_back(u);
    if (unit.level < 0) continue;
    by_level_[static_cast<std::size_t>(unit.level)].push_back(u);
    // Every ancestor sees this unit at its level; a guard stops a corrupt parent loop.
    std::size_t hops = 0;
    for (UnitIndex a = unit.parent; a >= 0 && hops <= units_.size(); a = units_[a].parent, ++hops) {
      descendants_[static_cast<std::size_t>(a)][static_cast<std::size_t>(unit.level)].push_back(u);
    }
  }
}

UnitIndex Snapshot::find_unit(const std::string& id) const {
  const auto it = unit_ids_.find(id);
  return it == unit_ids_.end() ? -1 : it->second;
}

const std::vector<UnitIndex>& Snapshot::descendants(UnitIndex unit, model::Index level) const {
  if (unit < 0 || level < 0 || static_cast<std::size_t>(level) >= level_count_) return kNoUnits;
  return descendants_[static_cast<std::size_t>(unit)][static_cast<std::size_t>(level)];
}

const std::vector<UnitIndex>& Snapshot::units_at(model::Index level) const {
  if (level < 0 || static_cast<std::size_t>(level) >= level_count_) return kNoUnits;
  return by_level_[static_cast<std::size_t>(level)];
}

const std::vector<Point>& Snapshot::series(model::Index indicator, UnitIndex unit) const {
  const auto it = series_.find(key(indicator, unit));
  return it == series_.end() ? kNoPoints : it->second;
}

const std::vector<StatusEvent>& Snapshot::statuses(model::Index task) const {
  if (task < 0 || static_cast<std::size_t>(task) >= statuses_.size()) return kNoEvents;
  return statuses_[static_cast<std::size_t>(task)];
}

const std::string& Snapshot::text(std::int32_t index) const {
  if (index < 0 || static_cast<std::size_t>(index) >= strings_.size()) return kEmpty;
  return strings_[static_cast<std::size_t>(index)];
}

DbResult<Snapshot> load_snapshot(Database& db, const model::RuleSet& rules) {
  Snapshot snapshot;
  Statement units = db.prepare("SELECT id, name, level, ifnull(parent, '') FROM units");
  std::vector<std::pair<UnitIndex, std::string>> parents;
  while (units.step()) {
    SnapshotUnit unit;
    unit.id = units.column_text(0);
    unit.name = units.column_text(1);
    unit.level_name = units.column_text(2);
    unit.level = rules.find_level(unit.level_name);
    const UnitIndex index = snapshot.add_unit(std::move(unit));
    std::string parent = units.column_text(3);
    if (!parent.empty()) parents.emplace_back(index, std::move(parent));
  }
  if (units.error()) return *units.error();
  for (const auto& [unit, parent] : parents) snapshot.set_parent(unit, snapshot.find_unit(parent));

  // One scan in table order (the cheapest read); finish() sorts each series and keeps
  // the latest revision of each period.
  Statement observations = db.prepare(R"sql(
SELECT indicator, unit, period_start, period_end, value, numerator, denominator, revision,
  source, input, input_line
FROM observations)sql");
  std::string last_indicator;
  std::string last_unit_id;
  model::Index indicator = model::kNone;
  UnitIndex unit = -1;
  std::string last_source;
  std::int32_t last_source_id = -1;
  std::string last_input;
  std::int32_t last_input_id = -1;
  // The same few strings repeat on every row: compare before interning.
  const auto intern_if_new = [&](std::string_view text, std::string& last, std::int32_t& id) {
    if (text != last) {
      last.assign(text);
      id = text.empty() ? -1 : snapshot.intern(last);
    }
    return id;
  };
  while (observations.step()) {
    const std::string_view name = observations.column_view(0);
    if (name != last_indicator) {
      last_indicator.assign(name);
      indicator = rules.find_indicator(name);
    }
    const std::string_view unit_id = observations.column_view(1);
    if (unit_id != last_unit_id) {
      last_unit_id.assign(unit_id);
      unit = snapshot.find_unit(last_unit_id);
    }
    if (indicator == model::kNone || unit < 0) continue;
    const auto start = parse_iso(observations.column_view(2));
    const auto end = parse_iso(observations.column_view(3));
    if (!start || !end) continue;  // ingest writes only ISO days
    Point point;
    point.start = *start;
    point.end = *end;
    point.value = observations.column_double(4);
    if (!observations.column_is_null(5)) {
      point.numerator_f = observations.column_double(5);
    }
    if (!observations.column_is_null(6)) {
      point.denominator_f = observations.column_double(6);
    }
    point.revision = static_cast<std::int32_t>(observations.column_int(7));
    point.source = intern_if_new(observations.column_view(8), last_source, last_source_id);
    point.input = intern_if_new(observations.column_view(9), last_input, last_input_id);
    point.input_line = static_cast<std::int32_t>(observations.column_int(10));
    snapshot.add_point(indicator, unit, point);
  }
  if (observations.error()) return *observations.error();

  Statement statuses =
      db.prepare("SELECT task, status, date, progress, ifnull(note, '') FROM task_status");
  while (statuses.step()) {
    const model::Index task = rules.find_task(statuses.column_text(0));
    const auto status = model::parse_task_status(statuses.column_text(1));
    const auto date = parse_iso(statuses.column_text(2));
    if (task == model::kNone || !status || !date) continue;
    StatusEvent event;
    event.date = *date;
    event.status = *status;
    if (!statuses.column_is_null(3)) event.progress = statuses.column_double(3);
    const std::string note = statuses.column_text(4);
    if (!note.empty()) event.note = snapshot.intern(note);
    snapshot.add_status(task, event);
  }
  if (statuses.error()) return *statuses.error();
  snapshot.finish(rules.tasks.size());
  return snapshot;
}

}  // namespace tiendo::store

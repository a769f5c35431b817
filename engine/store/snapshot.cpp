#include "store/snapshot.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cassert>
#include <chrono>
#include <cmath>
#include <cstring>
#include <limits>
#include <string_view>
#include <thread>

#include "store/sql/statements.hpp"
#include "util/cores.hpp"

namespace tiendo::store {

namespace {
const std::vector<StatusEvent> kNoEvents;
const std::vector<UnitIndex> kNoUnits;
const std::string kEmpty;

// A store has few distinct period dates and millions of rows: remember the last few
// parsed, by their exact text.
class DayCache {
 public:
  std::optional<model::Date> parse(std::string_view text) {
    if (text.size() != 10) return model::parse_iso_date(text);
    std::uint64_t head = 0;
    std::uint16_t tail = 0;
    std::memcpy(&head, text.data(), 8);
    std::memcpy(&tail, text.data() + 8, 2);
    Entry& entry = entries_[(head * 0x9E3779B97F4A7C15ull + tail) >> 55];
    if (entry.valid && entry.head == head && entry.tail == tail) return entry.day;
    const auto day = model::parse_iso_date(text);
    if (day) entry = {head, tail, true, *day};
    return day;
  }

 private:
  struct Entry {
    std::uint64_t head = 0;
    std::uint16_t tail = 0;
    bool valid = false;
    model::Date day;
  };
  std::array<Entry, 512> entries_{};
};
}  // namespace

std::vector<std::string> split_labels(std::string_view stored) {
  std::vector<std::string> labels;
  while (!stored.empty()) {
    const auto end = stored.find(';');
    const std::string_view label = stored.substr(0, end);
    if (!label.empty()) labels.emplace_back(label);
    if (end == std::string_view::npos) break;
    stored.remove_prefix(end + 1);
  }
  return labels;
}

UnitIndex Snapshot::add_unit(SnapshotUnit unit) {
  std::sort(unit.labels.begin(), unit.labels.end());
  unit.labels.erase(std::unique(unit.labels.begin(), unit.labels.end()), unit.labels.end());
  const auto index = static_cast<UnitIndex>(units_.size());
  unit_ids_.emplace(unit.id, index);
  units_.push_back(std::move(unit));
  return index;
}

std::int32_t Snapshot::series_id(model::Index indicator, UnitIndex unit) {
  const auto i = static_cast<std::size_t>(indicator);
  if (series_of_.size() <= i) series_of_.resize(i + 1);
  std::vector<std::int32_t>& by_unit = series_of_[i];
  if (by_unit.size() <= static_cast<std::size_t>(unit)) {
    by_unit.resize(std::max(units_.size(), static_cast<std::size_t>(unit) + 1), -1);
  }
  std::int32_t& id = by_unit[static_cast<std::size_t>(unit)];
  if (id < 0) id = series_count_++;
  return id;
}

std::int32_t Snapshot::add_detail(const PointDetail& detail) {
  if (detail.empty()) return -1;
  constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
  const auto index = static_cast<std::int32_t>(details_.size());
  details_.push_back({detail.numerator.value_or(kNaN), detail.denominator.value_or(kNaN),
                      detail.note.empty() ? -1 : intern(detail.note), detail.estimate});
  return index;
}

void Snapshot::add_point(model::Index indicator, UnitIndex unit, Point point,
                         const PointDetail& detail) {
  point.detail = add_detail(detail);
  if (pending_.empty()) pending_.emplace_back();
  pending_.back().series.push_back(series_id(indicator, unit));
  pending_.back().points.push_back(point);
}

void Snapshot::add_point(model::Index indicator, UnitIndex unit, Point point,
                         std::optional<double> numerator, std::optional<double> denominator) {
  add_point(indicator, unit, point, PointDetail{numerator, denominator, {}, false});
}

void Snapshot::add_batch(PointBatch batch) {
  std::vector<std::int32_t> details(batch.details.size());
  for (std::size_t i = 0; i < batch.details.size(); ++i) {
    details[i] = add_detail(batch.details[i]);
  }
  Pending pending;
  pending.series.reserve(batch.points.size());
  for (std::size_t i = 0; i < batch.points.size(); ++i) {
    Point& point = batch.points[i];
    if (point.detail >= 0) point.detail = details[static_cast<std::size_t>(point.detail)];
    pending.series.push_back(series_id(batch.series[i].first, batch.series[i].second));
  }
  pending.points = std::move(batch.points);
  // add_point keeps appending to the last batch: give it a fresh one after this.
  pending_.push_back(std::move(pending));
  pending_.emplace_back();
}

void Snapshot::add_status(model::Index task, StatusEvent event) {
  if (statuses_.size() <= static_cast<std::size_t>(task)) {
    statuses_.resize(static_cast<std::size_t>(task) + 1);
  }
  statuses_[static_cast<std::size_t>(task)].push_back(event);
}

std::int32_t Snapshot::intern(const std::string& text) {
  const auto [it, inserted] = string_ids_.emplace(text, static_cast<std::int32_t>(strings_.size()));
  if (inserted) strings_.push_back(text);
  return it->second;
}

void Snapshot::finish(std::size_t task_count, const Snapshot* base) {
  if (statuses_.size() < task_count) statuses_.resize(task_count);
  // The base's series, each with this snapshot's series of the same indicator and unit.
  struct FromBase {
    std::int32_t base_series;
    std::int32_t series;
  };
  std::vector<FromBase> from_base;
  if (base) {
    for (std::size_t i = 0; i < base->series_of_.size(); ++i) {
      const std::vector<std::int32_t>& by_unit = base->series_of_[i];
      for (std::size_t u = 0; u < by_unit.size(); ++u) {
        if (by_unit[u] < 0) continue;
        const UnitIndex here = find_unit(base->units_[u].id);
        if (here < 0) continue;
        from_base.push_back({by_unit[u], series_id(static_cast<model::Index>(i), here)});
      }
    }
  }
  // Counting sort of the pending points by series, the base's (already in order) first,
  // freeing each batch once moved.
  series_begin_.assign(static_cast<std::size_t>(series_count_) + 1, 0);
  const auto base_range = [&](std::int32_t s) {
    return std::span<const Point>(base->points_)
        .subspan(static_cast<std::size_t>(base->series_begin_[static_cast<std::size_t>(s)]),
                 static_cast<std::size_t>(base->series_begin_[static_cast<std::size_t>(s) + 1] -
                                          base->series_begin_[static_cast<std::size_t>(s)]));
  };
  std::size_t total = 0;
  for (const FromBase& f : from_base) {
    const std::size_t n = base_range(f.base_series).size();
    series_begin_[static_cast<std::size_t>(f.series) + 1] += static_cast<std::int32_t>(n);
    total += n;
  }
  for (const Pending& batch : pending_) {
    for (const std::int32_t s : batch.series) ++series_begin_[static_cast<std::size_t>(s) + 1];
    total += batch.points.size();
  }
  for (std::size_t s = 1; s < series_begin_.size(); ++s) series_begin_[s] += series_begin_[s - 1];
  // Series the base's points alone fill are in order already.
  std::vector<bool> added(static_cast<std::size_t>(series_count_), base == nullptr);
  {
    std::vector<std::int32_t> next(series_begin_.begin(), series_begin_.end() - 1);
    points_.resize(total);
    for (const FromBase& f : from_base) {
      for (Point point : base_range(f.base_series)) {
        // Only the details of points kept are carried: superseded ones do not pile up.
        if (const Detail* detail = base->detail_of(point)) {
          Detail copy = *detail;
          if (copy.note >= 0) copy.note = intern(base->text(copy.note));
          point.detail = static_cast<std::int32_t>(details_.size());
          details_.push_back(copy);
        }
        points_[static_cast<std::size_t>(next[static_cast<std::size_t>(f.series)]++)] = point;
      }
    }
    for (Pending& batch : pending_) {
      for (std::size_t i = 0; i < batch.points.size(); ++i) {
        const auto s = static_cast<std::size_t>(batch.series[i]);
        points_[static_cast<std::size_t>(next[s]++)] = batch.points[i];
        added[s] = true;
      }
      batch = Pending{};
    }
    pending_.clear();
  }
  // Order each series by period and keep the last, highest revision of each period,
  // closing the gaps as it goes.
  std::size_t kept = 0;
  for (std::size_t s = 0; s + 1 < series_begin_.size(); ++s) {
    const auto begin = points_.begin() + series_begin_[s];
    const auto end = points_.begin() + series_begin_[s + 1];
    if (added[s]) {
      std::sort(begin, end, [](const Point& a, const Point& b) {
        if (a.last_day != b.last_day) return a.last_day < b.last_day;
        if (a.first_day != b.first_day) return a.first_day < b.first_day;
        return a.revision < b.revision;
      });
    }
    series_begin_[s] = static_cast<std::int32_t>(kept);
    for (auto it = begin; it != end; ++it) {
      const bool superseded = it + 1 != end && (it + 1)->first_day == it->first_day &&
                              (it + 1)->last_day == it->last_day;
      if (!superseded) points_[kept++] = *it;
    }
  }
  series_begin_.back() = static_cast<std::int32_t>(kept);
  points_.resize(kept);
  points_.shrink_to_fit();
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

bool Snapshot::inside(UnitIndex unit, UnitIndex ancestor) const {
  if (unit < 0 || ancestor < 0) return false;
  std::size_t hops = 0;
  for (UnitIndex a = units_[static_cast<std::size_t>(unit)].parent; a >= 0 && hops <= units_.size();
       a = units_[static_cast<std::size_t>(a)].parent, ++hops) {
    if (a == ancestor) return true;
  }
  return false;
}

const std::vector<UnitIndex>& Snapshot::units_at(model::Index level) const {
  if (level < 0 || static_cast<std::size_t>(level) >= level_count_) return kNoUnits;
  return by_level_[static_cast<std::size_t>(level)];
}

void Snapshot::keep_only(std::span<const Point*> keep) {
  std::vector<Point> kept;
  std::unordered_map<const Point*, std::size_t> copy_of;
  for (const Point* p : keep) {
    if (p && copy_of.emplace(p, kept.size()).second) kept.push_back(*p);
  }
  kept.shrink_to_fit();
  for (const Point*& p : keep) {
    if (p) p = kept.data() + copy_of.at(p);
  }
  points_ = std::move(kept);  // a moved vector keeps its buffer: the pointers stay good
  std::vector<std::int32_t>().swap(series_begin_);
  std::vector<std::vector<std::int32_t>>().swap(series_of_);
  std::vector<Pending>().swap(pending_);
  series_count_ = 0;
  trimmed_ = true;
  read_through_.reset();
}

std::span<const Point> Snapshot::series(model::Index indicator, UnitIndex unit) const {
  assert(!trimmed_ && "a trimmed snapshot has no series (Snapshot::keep_only)");
  if (indicator < 0 || unit < 0 || static_cast<std::size_t>(indicator) >= series_of_.size()) {
    return {};
  }
  const std::vector<std::int32_t>& by_unit = series_of_[static_cast<std::size_t>(indicator)];
  if (static_cast<std::size_t>(unit) >= by_unit.size()) return {};
  const std::int32_t s = by_unit[static_cast<std::size_t>(unit)];
  if (s < 0 || static_cast<std::size_t>(s) + 1 >= series_begin_.size()) return {};
  return std::span<const Point>(points_.data() + series_begin_[static_cast<std::size_t>(s)],
                                points_.data() + series_begin_[static_cast<std::size_t>(s) + 1]);
}

const Snapshot::Detail* Snapshot::detail_of(const Point& point) const {
  if (point.detail < 0 || static_cast<std::size_t>(point.detail) >= details_.size()) {
    return nullptr;
  }
  return &details_[static_cast<std::size_t>(point.detail)];
}

std::optional<double> Snapshot::numerator(const Point& point) const {
  const Detail* detail = detail_of(point);
  if (!detail || std::isnan(detail->numerator)) return std::nullopt;
  return detail->numerator;
}

std::optional<double> Snapshot::denominator(const Point& point) const {
  const Detail* detail = detail_of(point);
  if (!detail || std::isnan(detail->denominator)) return std::nullopt;
  return detail->denominator;
}

const std::string& Snapshot::note(const Point& point) const {
  const Detail* detail = detail_of(point);
  return detail ? text(detail->note) : kEmpty;
}

bool Snapshot::estimate(const Point& point) const {
  const Detail* detail = detail_of(point);
  return detail && detail->estimate;
}

const std::vector<StatusEvent>& Snapshot::statuses(model::Index task) const {
  if (task < 0 || static_cast<std::size_t>(task) >= statuses_.size()) return kNoEvents;
  return statuses_[static_cast<std::size_t>(task)];
}

const std::string& Snapshot::text(std::int32_t index) const {
  if (index < 0 || static_cast<std::size_t>(index) >= strings_.size()) return kEmpty;
  return strings_[static_cast<std::size_t>(index)];
}

// Which observations read_observations reads: those with ids in [first, last].
struct ObservationRange {
  std::int64_t first = 0;
  std::int64_t last = 0;
};

// The observations of `range` of indicators the rule set declares, at units the snapshot
// has.
DbResult<PointBatch> read_observations(Database& db, const model::RuleSet& rules,
                                       const Snapshot& snapshot, const ObservationRange& range,
                                       const std::string& known_at,
                                       const std::atomic<bool>* cancel) {
  PointBatch batch;
  // Pages reserved and never written cost no memory; ids are a close bound on rows.
  const auto expected =
      static_cast<std::size_t>(std::clamp<std::int64_t>(range.last - range.first + 1, 0, 1 << 27));
  batch.points.reserve(expected);
  batch.series.reserve(expected);
  constexpr std::string_view kColumns = R"sql(
SELECT indicator, unit, period_start, period_end, value, numerator, denominator, revision, id,
  note, estimate
FROM observations WHERE (?3 = '' OR ingested_at <= ?3) AND id BETWEEN ?1 AND ?2)sql";
  Statement observations = sql::prepare(db, kColumns);
  // PostgreSQL sends a statement's rows whole, and libpq keeps them until the statement
  // is done: a range of ids is read kPostgresPiece ids at a time, so that this memory
  // stays small beside the snapshot's.
  constexpr std::int64_t kPostgresPiece = 50000;
  const std::int64_t piece = sql::engine(db) == Engine::postgresql
                                 ? kPostgresPiece
                                 : std::numeric_limits<std::int64_t>::max();
  std::int64_t next = range.first;
  const auto bind_next = [&] {
    observations.reset();
    const std::int64_t last = range.last - next < piece ? range.last : next + piece - 1;
    observations.bind(1, next);
    observations.bind(2, last);
    next = last + 1;
    observations.bind(3, known_at);
  };
  // `cancel` is looked at every 65,536 rows, the first included, on either engine.
  bool cancelled = false;
  std::uint64_t rows = 0;
  const auto step = [&] {
    if ((rows++ & 0xFFFF) == 0 && cancel && cancel->load(std::memory_order_relaxed)) {
      cancelled = true;
      return false;
    }
    while (!observations.step()) {
      if (observations.error() || next > range.last) return false;
      bind_next();
    }
    return true;
  };
  bind_next();
  std::string last_indicator;
  std::string last_unit_id;
  model::Index indicator = model::kNone;
  UnitIndex unit = -1;
  DayCache days;
  while (step()) {
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
    const auto start = days.parse(observations.column_view(2));
    const auto end = days.parse(observations.column_view(3));
    if (!start || !end) continue;  // ingest writes only ISO days
    Point point;
    point.set_period(*start, *end);
    point.value = observations.column_double(4);
    PointDetail detail;
    if (!observations.column_is_null(5)) detail.numerator = observations.column_double(5);
    if (!observations.column_is_null(6)) detail.denominator = observations.column_double(6);
    if (!observations.column_is_null(9)) detail.note = observations.column_view(9);
    detail.estimate = observations.column_int(10) != 0;
    if (!detail.empty()) {
      point.detail = static_cast<std::int32_t>(batch.details.size());
      batch.details.push_back(std::move(detail));
    }
    point.revision = static_cast<std::int32_t>(observations.column_int(7));
    point.row = observations.column_int(8);
    batch.points.push_back(point);
    batch.series.emplace_back(indicator, unit);
  }
  if (observations.error()) return *observations.error();
  if (cancelled) return DbError{"interrupted: the load of the observations was cancelled"};
  return batch;
}

DbResult<UnitPage> stored_units(Database& db, const UnitQuery& query) {
  // A label matches whole: ";a;b;" holds ";a;", never a label that only starts with "a".
  constexpr std::string_view kWhere =
      " WHERE (?1 = '' OR level = ?1) AND (?2 = '' OR instr(';' || labels || ';', ';' || ?2 || "
      "';') > 0)";
  UnitPage page;
  Statement count = sql::prepare(db, fmt::format("SELECT count(*) FROM units{}", kWhere));
  count.bind(1, query.level).bind(2, query.label);
  if (count.step()) page.total = count.column_int(0);
  if (count.error()) return *count.error();
  Statement units = sql::prepare(
      db,
      fmt::format(
          "SELECT id, name, level, coalesce(parent, ''), labels FROM units{} ORDER BY id LIMIT ?3 "
          "OFFSET ?4",
          kWhere));
  units.bind(1, query.level).bind(2, query.label).bind(3, query.limit).bind(4, query.offset);
  while (units.step()) {
    page.units.push_back({units.column_text(0), units.column_text(1), units.column_text(2),
                          units.column_text(3), split_labels(units.column_text(4))});
  }
  if (units.error()) return *units.error();
  return page;
}

DbResult<Provenance> provenance(Database& db, std::int64_t row) {
  Statement query = sql::prepare(db, R"sql(
SELECT coalesce(o.source, ''), o.input, o.input_line, o.ingested_at, latest.revision,
  latest.ingested_at
FROM observations o
JOIN observations latest ON latest.indicator = o.indicator AND latest.unit = o.unit
  AND latest.period_start = o.period_start AND latest.period_end = o.period_end
WHERE o.id = ?
ORDER BY latest.revision DESC LIMIT 1)sql");
  query.bind(1, row);
  Provenance p;
  if (query.step()) {
    p.source = query.column_text(0);
    p.input = query.column_text(1);
    p.input_line = query.column_int(2);
    p.ingested_at = query.column_text(3);
    p.latest_revision = query.column_int(4);
    p.latest_ingested_at = query.column_text(5);
  } else if (query.error()) {
    return *query.error();
  } else {
    return DbError{fmt::format("observation {} is not in the store", row)};
  }
  return p;
}

DbResult<Snapshot> load_snapshot(Database& db, const model::RuleSet& rules,
                                 const LoadOptions& options) {
  Snapshot snapshot;
  Statement units =
      sql::prepare(db, "SELECT id, name, level, coalesce(parent, ''), labels FROM units");
  std::vector<std::pair<UnitIndex, std::string>> parents;
  while (units.step()) {
    SnapshotUnit unit;
    unit.id = units.column_text(0);
    unit.name = units.column_text(1);
    unit.level_name = units.column_text(2);
    unit.level = rules.find_level(unit.level_name);
    unit.labels = split_labels(units.column_text(4));
    const UnitIndex index = snapshot.add_unit(std::move(unit));
    std::string parent = units.column_text(3);
    if (!parent.empty()) parents.emplace_back(index, std::move(parent));
  }
  if (units.error()) return *units.error();
  for (const auto& [unit, parent] : parents) snapshot.set_parent(unit, snapshot.find_unit(parent));

  // Reading the observations is most of loading, and on a file database it is split
  // into id ranges that separate connections read in parallel. The tables are
  // append-only and have one writer at a time, so the rows up to the largest ids seen
  // here are exactly the ones committed now: later rows are left for the next load.
  ReadThrough bound;
  {
    Statement rows = sql::prepare(db,
                                  "SELECT (SELECT coalesce(max(id), 0) FROM observations), "
                                  "(SELECT coalesce(max(id), 0) FROM task_status)");
    if (rows.step()) bound = {rows.column_int(0), rows.column_int(1)};
    if (rows.error()) return *rows.error();
  }
  if (options.through) {
    bound.observations = std::min(bound.observations, options.through->observations);
    bound.task_status = std::min(bound.task_status, options.through->task_status);
  }
  const bool whole = options.known_at.empty();
  // The observations a base holds are not read again, unless the store has a unit it
  // lacks: that unit's earlier observations (if any) are not in it.
  const Snapshot* base = options.base;
  if (base &&
      (!whole || !base->read_through_ || base->read_through_->observations > bound.observations ||
       std::any_of(snapshot.units().begin(), snapshot.units().end(),
                   [&](const SnapshotUnit& u) { return base->find_unit(u.id) < 0; }))) {
    base = nullptr;
  }
  const std::int64_t first = base ? base->read_through_->observations + 1 : 1;
  const std::int64_t last = bound.observations;
  const std::int64_t count = std::max<std::int64_t>(last - first + 1, 0);
  constexpr std::int64_t kRowsPerThread = 250000;
  const bool in_memory = db.path().empty() || db.path() == ":memory:";
  const auto automatic = std::clamp<std::int64_t>(count / kRowsPerThread, 1,
                                                  std::clamp<unsigned>(util::usable_cores(), 1, 4));
  const std::int64_t threads =
      in_memory ? 1
                : std::clamp<std::int64_t>(options.threads == 0 ? automatic : options.threads, 1,
                                           std::max<std::int64_t>(count, 1));
  const auto first_id = [&](std::int64_t t) { return first + count * t / threads; };
  std::vector<std::optional<DbResult<PointBatch>>> batches(static_cast<std::size_t>(threads));
  {
    std::vector<std::jthread> workers;
    for (std::int64_t t = 1; t < threads; ++t) {
      workers.emplace_back([&, t] {
        auto& out = batches[static_cast<std::size_t>(t)];
        auto opened = Database::open(db.path(), db.options());
        if (auto* error = std::get_if<DbError>(&opened)) {
          out = *error;
          return;
        }
        out =
            read_observations(std::get<Database>(opened), rules, snapshot,
                              {first_id(t), first_id(t + 1) - 1}, options.known_at, options.cancel);
      });
    }
    // The calling thread reads the first range on its own connection.
    batches[0] = read_observations(db, rules, snapshot, {first_id(0), first_id(1) - 1},
                                   options.known_at, options.cancel);
  }
  for (auto& batch : batches) {
    if (auto* error = std::get_if<DbError>(&*batch)) return *error;
    snapshot.observations_read_ += std::get<PointBatch>(*batch).points.size();
    snapshot.add_batch(std::move(std::get<PointBatch>(*batch)));
    batch.reset();
  }

  Statement statuses = sql::prepare(
      db,
      "SELECT task, status, date, progress, coalesce(note, '') FROM task_status WHERE (?1 = '' OR "
      "ingested_at <= ?1) AND id <= ?2");
  statuses.bind(1, options.known_at);
  statuses.bind(2, bound.task_status);
  while (statuses.step()) {
    const model::Index task = rules.find_task(statuses.column_text(0));
    const auto status = model::parse_task_status(statuses.column_text(1));
    const auto date = model::parse_iso_date(statuses.column_text(2));
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
  snapshot.finish(rules.tasks.size(), base);
  if (whole) snapshot.read_through_ = bound;
  return snapshot;
}

}  // namespace tiendo::store

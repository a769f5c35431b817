// What the evaluator reads: the units, every observation's latest revision and every
// task status event, held in memory and indexed for evaluation. The store fills it
// with one query per table (`load_snapshot`); rule tests fill it from their own lines.
#pragma once

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <string_view>
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
  std::vector<std::string> labels;  // units.csv's `labels`, sorted
  bool has_label(std::string_view label) const {
    return std::binary_search(labels.begin(), labels.end(), label);
  }
};

// One observation (its latest revision). Kept small (32 bytes): a snapshot holds millions.
// Where it came from (source, file and line) stays in the store, under `row`; what few
// observations carry besides their value (a fraction, a note, the estimate flag) is kept
// apart, under `detail`.
struct Point {
  std::int32_t first_day = 0;  // the period, as days since 1970-01-01
  std::int32_t last_day = 0;
  double value = 0;
  std::int64_t row = 0;  // the observation's id in the store; 0 when not from a store
  std::int32_t revision = 1;
  std::int32_t detail = -1;  // index into the snapshot's details; -1 when it has none

  model::Date start() const { return model::Date{std::chrono::days{first_day}}; }
  model::Date end() const { return model::Date{std::chrono::days{last_day}}; }
  void set_period(model::Date start, model::Date end) {
    first_day = static_cast<std::int32_t>(start.time_since_epoch().count());
    last_day = static_cast<std::int32_t>(end.time_since_epoch().count());
  }
};

// What an observation carries besides its value, as ingested.
struct PointDetail {
  std::optional<double> numerator;  // "392/505" keeps both
  std::optional<double> denominator;
  std::string note;       // "số liệu ước tính"; empty when none
  bool estimate = false;  // "khoảng 83,5%"
  bool empty() const { return !numerator && !denominator && note.empty() && !estimate; }
};

// Points gathered apart (by a loading thread) and handed to a snapshot in one piece.
struct PointBatch {
  std::vector<Point> points;
  std::vector<std::pair<model::Index, UnitIndex>> series;  // (indicator, unit) of each point
  std::vector<PointDetail> details;                        // the points' `detail` fields index this
};

struct StatusEvent {
  model::Date date;
  model::TaskStatus status = model::TaskStatus::not_started;
  std::optional<double> progress;  // fraction
  std::int32_t note = -1;          // index into Snapshot::strings
};

// The largest ids a load read of the two tables it reads by id. Every row up to them had
// been committed when they were read, and a row committed later has a larger id: the
// store has one writer at a time, and never changes or removes these rows.
struct ReadThrough {
  std::int64_t observations = 0;
  std::int64_t task_status = 0;
  bool operator==(const ReadThrough&) const = default;
};

struct LoadOptions;
class Snapshot;
DbResult<Snapshot> load_snapshot(Database& db, const model::RuleSet& rules,
                                 const LoadOptions& options);

class Snapshot {
 public:
  // Adds a unit; parents must be added first (or set later with set_parent).
  UnitIndex add_unit(SnapshotUnit unit);
  void set_parent(UnitIndex unit, UnitIndex parent) {
    units_[static_cast<std::size_t>(unit)].parent = parent;
  }
  // Adds an observation of indicator `indicator` at `unit`, with what it carries besides its
  // value (its `detail` field is set here); call finish() after the last.
  void add_point(model::Index indicator, UnitIndex unit, Point point, const PointDetail& detail);
  // The same with the fraction it was given as if any, and no note.
  void add_point(model::Index indicator, UnitIndex unit, Point point,
                 std::optional<double> numerator = std::nullopt,
                 std::optional<double> denominator = std::nullopt);
  void add_status(model::Index task, StatusEvent event);
  // Adds many points at once; their detail indexes refer to the batch's details.
  void add_batch(PointBatch batch);
  std::int32_t intern(const std::string& text);
  // Sorts the series, keeps the highest revision of each period, and builds the level
  // indexes. Call once, after adding everything. With `base`, a finished snapshot of the
  // same rule set, every point `base` holds comes first, its units matched by id (the
  // points of a unit this snapshot does not have are left out): the observations read
  // before, which only the points added here (later revisions, new periods) supersede.
  void finish(std::size_t task_count, const Snapshot* base = nullptr);

  const std::vector<SnapshotUnit>& units() const { return units_; }
  UnitIndex find_unit(const std::string& id) const;
  const std::vector<UnitIndex>& roots() const { return roots_; }
  // Units of `level` inside `unit` (strictly below it), in id order.
  const std::vector<UnitIndex>& descendants(UnitIndex unit, model::Index level) const;
  // Every unit of `level`, in id order.
  const std::vector<UnitIndex>& units_at(model::Index level) const;
  // Whether `unit` is strictly inside `ancestor` (following parents, across chains).
  bool inside(UnitIndex unit, UnitIndex ancestor) const;
  // Observations of `indicator` at `unit`, by period end (empty if none).
  std::span<const Point> series(model::Index indicator, UnitIndex unit) const;
  // The fraction a point was ingested as ("392/505"), when it was.
  std::optional<double> numerator(const Point& point) const;
  std::optional<double> denominator(const Point& point) const;
  // The note a point was ingested with ("số liệu ước tính"); empty when none.
  const std::string& note(const Point& point) const;
  // Whether a point was ingested as an estimate ("khoảng 83,5%").
  bool estimate(const Point& point) const;
  // Status events of `task`, by date (empty if none).
  const std::vector<StatusEvent>& statuses(model::Index task) const;
  const std::string& text(std::int32_t index) const;
  std::size_t point_count() const { return points_.size(); }

  // Once evaluated, for a snapshot kept as long as its results are (an evaluation made
  // for another date): frees the observations, keeping what results still refer to: the
  // units and their level indexes, the status events, every point's detail and note, and
  // the points `keep` points to (null entries are left alone), which are copied; `keep`'s
  // pointers are moved to the copies. Afterwards series() is empty: only an evaluation
  // reads series, and a trimmed snapshot is not evaluated again (nor a load's base).
  void keep_only(std::span<const Point*> keep);
  bool trimmed() const { return trimmed_; }

  // What a whole load read (load_snapshot without `known_at`):
  // every row up to these ids, none after. Empty for any other snapshot.
  const std::optional<ReadThrough>& read_through() const { return read_through_; }
  // The observations the load that made it read from the store (the rest came from a
  // base, LoadOptions::base).
  std::size_t observations_read() const { return observations_read_; }

 private:
  friend DbResult<Snapshot> load_snapshot(Database& db, const model::RuleSet& rules,
                                          const LoadOptions& options);
  // Points arrive in any order (table order from the store); finish() groups them by
  // series with a counting sort into one exactly sized array, so a snapshot of millions
  // of points carries no per-series allocation or growth slack.
  std::int32_t series_id(model::Index indicator, UnitIndex unit);

  std::vector<SnapshotUnit> units_;
  std::unordered_map<std::string, UnitIndex> unit_ids_;
  std::vector<UnitIndex> roots_;
  struct Pending {
    std::vector<Point> points;         // added, not yet grouped
    std::vector<std::int32_t> series;  // the series of each
  };
  std::vector<Pending> pending_;                      // the last one takes add_point's points
  std::vector<Point> points_;                         // every series, one after another
  std::vector<std::int32_t> series_begin_;            // series s is [begin[s], begin[s + 1])
  std::vector<std::vector<std::int32_t>> series_of_;  // [indicator][unit] -> series, -1 if none
  std::int32_t series_count_ = 0;
  // What a point carries besides its value, compactly: the note interned in strings_.
  struct Detail {
    double numerator = 0;  // NaN for a half not given
    double denominator = 0;
    std::int32_t note = -1;
    bool estimate = false;
  };
  const Detail* detail_of(const Point& point) const;
  std::int32_t add_detail(const PointDetail& detail);
  std::vector<Detail> details_;
  std::vector<std::vector<StatusEvent>> statuses_;
  std::vector<std::vector<std::vector<UnitIndex>>> descendants_;  // [unit][level]
  std::vector<std::vector<UnitIndex>> by_level_;
  std::vector<std::string> strings_;
  std::unordered_map<std::string, std::int32_t> string_ids_;
  std::size_t level_count_ = 0;
  bool trimmed_ = false;
  std::optional<ReadThrough> read_through_;
  std::size_t observations_read_ = 0;
};

// A unit's labels as the store keeps them (units.labels): ';'-separated.
std::vector<std::string> split_labels(std::string_view stored);

// The units as stored, a page at a time, for the API: by id, optionally only those of a
// level or carrying a label.
struct StoredUnit {
  std::string id;
  std::string name;
  std::string level;
  std::string parent;  // empty for a root
  std::vector<std::string> labels;
};
struct UnitQuery {
  std::string level;  // empty: any
  std::string label;  // empty: any
  std::int64_t offset = 0;
  std::int64_t limit = 100;
};
struct UnitPage {
  std::vector<StoredUnit> units;
  std::int64_t total = 0;  // the units selected, before the page is cut
};
DbResult<UnitPage> stored_units(Database& db, const UnitQuery& query);

// Where an observation came from, as the store keeps it.
struct Provenance {
  std::string source;  // empty when none was given
  std::string input;   // the file it was ingested from
  std::int64_t input_line = 0;
  std::string ingested_at;
  // The newest revision the store holds of the same observation (indicator, unit and
  // period), and when it was ingested: later than this one's when the row was read as
  // known at an earlier time.
  std::int64_t latest_revision = 0;
  std::string latest_ingested_at;
};
DbResult<Provenance> provenance(Database& db, std::int64_t row);

// Reads the units, the latest revision of every observation of an indicator of
// `rules`, and every status event of its tasks. Observations of indicators the rule set
// does not declare are left out. Levels are matched by name.
struct LoadOptions {
  // Connections reading observations in parallel; 0 picks by table size and cores.
  unsigned threads = 0;
  // "What did we know then": a UTC time stamp "YYYY-MM-DDTHH:MM:SSZ"; only observation
  // revisions and task status reports ingested at or before it are read (the latest such
  // revision of each observation). Empty: everything stored. Units are always read as
  // they are now.
  std::string known_at;
  // Only the rows up to these ids: what another load read (its read_through(), which an
  // evaluation's summary records), so that a follower evaluates the data its leader
  // evaluated. Empty: every row committed now. Not with `known_at`.
  std::optional<ReadThrough> through;
  // A whole snapshot loaded before from this store with the same rule set: only the
  // observations past its read_through() are read, and the others are taken from it
  // (task status events and units are read whole). It must outlive the call. A full read
  // instead when it is not whole, read past `through`, or lacks a unit the store has now
  // (that unit's earlier observations would be missed). Not with `known_at`.
  const Snapshot* base = nullptr;
  // Looked at every 65,536 observations read: once true, the load ends with an error
  // ("interrupted"). Null: never.
  const std::atomic<bool>* cancel = nullptr;
};
DbResult<Snapshot> load_snapshot(Database& db, const model::RuleSet& rules,
                                 const LoadOptions& options = {});

}  // namespace tiendo::store

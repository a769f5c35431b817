// The evaluator: for a date, the state of every rule at every unit it applies to, of
// every task and of every plan, each with the figures that explain it. Pure: it reads a
// rule set and a snapshot and returns values; no I/O, no clock (the date is an input).
#pragma once

#include <array>
#include <atomic>
#include <cmath>
#include <limits>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "model/calendar.hpp"
#include "model/rule_set.hpp"
#include "store/snapshot.hpp"

namespace tiendo::eval {

enum class RuleState : std::uint8_t {
  met,
  on_track,
  at_risk,
  missed,
  not_yet,
  ok,
  violated,
  no_data,
  stale,
  blocked,
  error
};

// In the order of precedence: the first that applies is the task's state.
enum class TaskState {
  done,
  done_late,
  cancelled,
  overdue,
  blocked,
  no_report,  // never reported, and work should have begun (`starts`, or due − duration)
  at_risk,
  on_track
};

std::string_view to_string(RuleState state);
std::string_view to_string(TaskState state);
std::optional<RuleState> parse_rule_state(std::string_view text);
std::optional<TaskState> parse_task_state(std::string_view text);

// An observation the value was computed from.
struct UsedPoint {
  model::Index indicator = model::kNone;
  store::UnitIndex unit = -1;
  const store::Point* point = nullptr;  // points into the snapshot
};

// An optional figure in 8 bytes instead of std::optional's 16: a result carries six of
// them and a large rule set has millions of results. NaN stands for "none", so a figure
// itself is never NaN (the evaluator never computes one: 0/0 is a division error).
class Figure {
 public:
  constexpr Figure() = default;
  constexpr Figure(std::nullopt_t) {}
  constexpr Figure(double value) : value_(value) {}
  Figure(const std::optional<double>& value) : value_(value.value_or(kNone)) {}

  bool has_value() const { return !std::isnan(value_); }
  explicit operator bool() const { return has_value(); }
  double operator*() const { return value_; }
  double value_or(double fallback) const { return has_value() ? value_ : fallback; }
  void reset() { value_ = kNone; }
  operator std::optional<double>() const {
    return has_value() ? std::optional<double>(value_) : std::nullopt;
  }
  friend bool operator==(const Figure& a, const Figure& b) {
    return a.has_value() == b.has_value() && (!a.has_value() || a.value_ == b.value_);
  }
  friend bool operator==(const Figure& a, std::nullopt_t) { return !a.has_value(); }
  friend bool operator==(const Figure& a, double b) { return a.has_value() && a.value_ == b; }

 private:
  static constexpr double kNone = std::numeric_limits<double>::quiet_NaN();
  double value_ = kNone;
};

// Which units a coverage function behind a rule's value counted: the first `share(LEVEL,
// cond)` or `count(x, LEVEL)` of its left-hand side, at the evaluated unit and date. A
// share's units fail its condition or have no data to tell; a count's lack a value.
struct Coverage {
  model::Scope level;                     // the level or set counted over
  std::size_t total = 0;                  // units of the level inside the evaluated unit
  std::size_t counted = 0;                // holding (share) or with a value (count)
  std::vector<store::UnitIndex> failing;  // share: with data, not holding
  std::vector<store::UnitIndex> no_data;  // without the data to tell
};

// Why an expression has no value: the facts of its missing data or its error, for
// present::reason_text to say in a language.
struct Gap {
  enum class Kind : std::uint8_t {
    none,
    no_observation,    // `indicator` has no observation at `unit`
    none_inside,       // no unit of `level` inside `unit` has an observation of `indicator`
    no_member,         // there is no unit of `level` inside `unit`
    division_by_zero,  // the divisor is 0 at `unit`: `indicator` (level none), the sum of
                       // `indicator` over `level`, or an expression (indicator kNone)
    nothing_since,     // a `from` requirement: nothing observed since `since`
  };
  Kind kind = Kind::none;
  model::Scope level;
  model::Index indicator = model::kNone;
  store::UnitIndex unit = -1;
  model::CompactDate since{};
  friend bool operator==(const Gap&, const Gap&) = default;
};

// Why a rule result is what it is, as facts rather than a sentence: the kind of
// explanation, and what it needs beyond the result's own figures (value, target, deadline,
// projection, rates, failed_on, blocking_task and chain, coverage). present::reason_text
// says it in a language; the store keeps it as data.
enum class Because : std::uint8_t {
  none,
  holds,          // met / ok: the value satisfies the requirement
  no_units,       // the rule has no unit to be evaluated at (state no_data)
  missing_units,  // a set of the rule names units the store lacks (state error)
  gap,            // no value to judge (no_data) or an error: Reason::gap says why
  not_yet,        // a `from` requirement before its start
  no_figure,      // missed: past the deadline without any figure (Reason::gap says why)
  old_figure,     // missed: the last figure, for Reason::last before the deadline, fails
  missed,         // missed: the figure on the evaluation date fails
  failed_on,      // violated: an observation since the start failed (RuleResult::failed_on)
  fails,          // violated: the value fails now
  blocked,        // a task the rule needs holds it back (RuleResult::blocking_task)
  stale,          // the data behind the value is older than its indicator's `stale after`
  trend,          // on_track / at_risk: the value now, the projection and the rates
};

struct Reason {
  Because kind = Because::none;
  // Context a verdict carries: the data is stale (kind stale, or a verdict on stale data),
  // and, for `trend`, the date is inside the rule's `warn within` window.
  bool stale = false;
  bool in_window = false;
  Gap gap;
  model::Index stale_indicator = model::kNone;  // with `stale`
  model::CompactDate stale_newest{};            // that indicator's newest observation
  model::CompactPeriod last;                    // old_figure: the last figure's period
  friend bool operator==(const Reason&, const Reason&) = default;
};

// Why a task is in its state; the figures are the TaskResult's (reported_on, due,
// expected_from, earliest_finish, chain) and the task's (duration, warn within).
enum class TaskBecause : std::uint8_t {
  done,              // done on reported_on
  done_late,         // done on reported_on, after due
  cancelled,         // cancelled on reported_on
  overdue,           // due, not done
  reported_blocked,  // reported blocked on reported_on
  waits_for,         // a predecessor (chain.front()) is overdue or blocked
  no_report_starts,  // no status since its `starts` (expected_from)
  no_report_work,    // no status, and to finish by due it had to start by expected_from
  no_report_due,     // no status reported by its due date
  late,              // the earliest finish is after due
  warn_window,       // due soon and not done (`warn within`)
  on_track,          // the earliest finish is by due
  no_due,            // on track, with no due date
};

// What a rule result carries only sometimes, kept behind one pointer (RuleResult::more)
// so that the millions of results without any of it stay small.
struct ResultExtras {
  // What the trend was fitted to; kept only with EvaluateOptions::keep_trend_points.
  std::vector<std::pair<model::Date, double>> trend_points;
  // The observations behind `value`; kept only with EvaluateOptions::keep_used.
  std::vector<UsedPoint> used;
  // The figure's own observations that carry a note (the newest used of each indicator at
  // this unit, the first two; present::value_remarks), kept whatever keep_used says.
  std::array<const store::Point*, 2> noted{};
  std::vector<model::Index> chain;  // from RuleResult::blocking_task to the root cause
  // Set when the value is (or contains) a share or a count: the units behind it.
  std::shared_ptr<const Coverage> coverage;
};

// A copyable owner of one optional T: copies copy the T. Empty until written to.
template <class T>
class CopiedBox {
 public:
  CopiedBox() = default;
  CopiedBox(const CopiedBox& other)
      : value_(other.value_ ? std::make_unique<T>(*other.value_) : nullptr) {}
  CopiedBox(CopiedBox&&) noexcept = default;
  CopiedBox& operator=(const CopiedBox& other) {
    if (this != &other) value_ = other.value_ ? std::make_unique<T>(*other.value_) : nullptr;
    return *this;
  }
  CopiedBox& operator=(CopiedBox&&) noexcept = default;
  ~CopiedBox() = default;

  const T* get() const { return value_.get(); }
  T* get() { return value_.get(); }
  // The value, made (empty) if there is none yet.
  T& make() {
    if (!value_) value_ = std::make_unique<T>();
    return *value_;
  }

 private:
  std::unique_ptr<T> value_;
};

// One rule's verdict at one unit. A large rule set has millions of them, so a result is
// kept small (136 bytes on a 64-bit system, checked below): enums in a byte, dates in 4,
// what few results carry behind one pointer (ResultExtras, read with the accessors).
struct RuleResult {
  model::Index rule = model::kNone;
  store::UnitIndex unit = -1;  // -1 when the snapshot has no unit to evaluate at
  // The version of the rule that applied: 0 for its own require, i for its i-th `amend`
  // (model::RuleSet::version gives that version's target, timing and basis).
  std::int32_t version = 0;
  model::Index blocking_task = model::kNone;  // the task in `needs` that blocks
  RuleState state = RuleState::no_data;
  model::Severity severity = model::Severity::none;
  // Whether any observation behind `value` was ingested as an estimate ("khoảng 83,5%"),
  // kept whatever keep_used says.
  bool estimate = false;
  Reason reason;                  // why, as facts (present::reason_text says it)
  Figure value;                   // the left-hand side now
  Figure target;                  // the right-hand side now (the lower bound of `between`)
  Figure upper;                   // `between`'s upper bound
  Figure projected;               // the trend's value at the deadline
  Figure rate_needed;             // per month, to reach the target by the deadline
  Figure rate_observed;           // per month, the trend's slope
  model::OptionalDate deadline;   // `by` date, or `from` start
  model::OptionalDate failed_on;  // `from`: the first observation date that failed
  CopiedBox<ResultExtras> more;   // see the accessors

  const std::vector<std::pair<model::Date, double>>& trend_points() const {
    return extras().trend_points;
  }
  const std::vector<UsedPoint>& used() const { return extras().used; }
  const std::array<const store::Point*, 2>& noted() const { return extras().noted; }
  const std::vector<model::Index>& chain() const { return extras().chain; }
  const std::shared_ptr<const Coverage>& coverage() const { return extras().coverage; }
  // What the result carries beyond its own fields (empty ones when it carries none).
  const ResultExtras& extras() const {
    static const ResultExtras kNothing;
    const ResultExtras* extras = more.get();
    return extras ? *extras : kNothing;
  }
};
static_assert(sizeof(void*) != 8 || sizeof(RuleResult) <= 136,
              "RuleResult grew: a large rule set keeps millions of them (see its comment)");

struct TaskResult {
  model::Index task = model::kNone;
  TaskState state = TaskState::on_track;
  std::optional<model::TaskStatus> reported;  // the last status reported on or before the date
  std::optional<model::Date> reported_on;
  std::string note;     // the last report's note ("vướng thủ tục đầu tư"), or empty
  double progress = 0;  // fraction, from the last report that gave one
  // From when a report is expected: `starts`, else due − duration; none without a due date.
  std::optional<model::Date> expected_from;
  std::optional<model::Date> due;
  std::optional<model::Date> earliest_finish;  // none for cancelled tasks
  model::Index critical = model::kNone;        // the predecessor that sets the earliest start
  model::Index root_cause = model::kNone;      // for blocked (and late) tasks
  std::vector<model::Index> chain;             // from the first predecessor to the root cause
  TaskBecause reason = TaskBecause::on_track;  // why (present::reason_text says it)
};

struct PlanResult {
  model::Index plan = model::kNone;
  std::optional<TaskState> state;  // the worst of its tasks and implementing plans
};

struct Results {
  model::Date at;
  std::vector<RuleResult> rules;  // by rule, then unit id
  std::vector<TaskResult> tasks;  // by task index
  std::vector<PlanResult> plans;  // by plan index
};

struct EvaluateOptions {
  // Keep each result's trend points (for `explain`); off by default, as a large rule
  // set has millions of results.
  bool keep_trend_points = false;
  // Keep each result's observations (`used`, for `explain` and the committee's report).
  bool keep_used = true;
  // Threads to evaluate rules on; 0 for one per core. Results do not depend on it.
  unsigned threads = 0;
  // Looked at before each rule: once it is true the rules left are not evaluated, and the
  // results are incomplete (a service stopping drops them). Null: never.
  const std::atomic<bool>* cancel = nullptr;
};

// Evaluates everything at date `at`. Thread-safe; the results point into `snapshot`
// (UsedPoint), which must outlive them.
Results evaluate(const model::RuleSet& rules, const store::Snapshot& snapshot, model::Date at,
                 const EvaluateOptions& options = {});

// For results kept as long as their snapshot (an evaluation the service keeps beside its
// latest, made for another date): frees the snapshot's observations, keeping the points
// the results name (noted, and used when kept), whose pointers move to the copies
// (store::Snapshot::keep_only). The results read the same afterwards; the snapshot
// cannot be evaluated again, nor be the base of a load.
void keep_only_what_results_name(store::Snapshot& snapshot, Results& results);

// A target's course over time at one unit, for its chart (present::trend_svg) and the
// terminal's sparkline: the rule's left-hand side at every date an observation behind it
// ends, the target each version of the rule set, and the trend the verdict used.
struct CoursePoint {
  model::Date date;
  double value = 0;
  bool estimate = false;  // an observation behind it was ingested as an estimate
};
struct TargetStep {
  model::Date from;  // in force from this date (the first: from the series' start)
  std::int32_t version = 0;
  std::optional<double> target;  // the right-hand side at the unit (between: the lower bound)
  std::optional<double> upper;   // between's upper bound
  model::OptionalDate deadline;  // the version's `by` date
};
struct TargetCourse {
  RuleResult result;                // the verdict at the date, its trend points kept
  std::vector<CoursePoint> points;  // by date, at most the last `max_points`
  std::vector<TargetStep> targets;  // by `from`
  // The least-squares line the projection follows: its value at the first trend point's
  // date (the projection is its value at the deadline, result.projected).
  model::OptionalDate fit_from;
  std::optional<double> fit_from_value;
};
// Rule `rule` at `unit` on `at`, and its course (the snapshot must still hold its
// observations: not one keep_only_what_results_name has been applied to). None when the
// rule or the unit does not exist, or the rule is not evaluated at that unit.
std::optional<TargetCourse> target_course(const model::RuleSet& rules,
                                          const store::Snapshot& snapshot, model::Index rule,
                                          store::UnitIndex unit, model::Date at,
                                          std::size_t max_points = 120);

// Rule `rule`'s results: Results::rules keeps each rule's together, in unit id order.
std::span<const RuleResult> results_of(const Results& results, model::Index rule);

// How bad a task state is for a plan roll-up: cancelled 0 … overdue 7.
int badness(TaskState state);

}  // namespace tiendo::eval

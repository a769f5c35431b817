// The evaluator's private parts (the API is eval/evaluate.hpp): the rule evaluator, whose
// members live by concern in rule_evaluation.cpp (one rule at its units, the verdict and
// its reason), expressions.cpp (values as of a date at a unit) and trend.cpp (observation
// dates, projection, staleness); and the task and plan pass of tasks.cpp.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "eval/evaluate.hpp"

namespace tiendo::eval::detail {

using model::Date;
using model::Index;
using model::kNone;
using store::UnitIndex;

inline constexpr double kDaysPerMonth = 30.4375;

// A value, or why there is none. An error (division by zero) beats missing data.
struct Val {
  enum class Kind { ok, no_data, error };
  Kind kind = Kind::ok;
  double v = 0;
  Gap why;

  static Val of(double value) { return {Kind::ok, value, {}}; }
  static Val none(Gap why) { return {Kind::no_data, 0, why}; }
  static Val fail(Gap why) { return {Kind::error, 0, why}; }
  bool ok() const { return kind == Kind::ok; }
};

inline Val worse(Val a, Val b) {
  if (a.kind == Val::Kind::error) return a;
  if (b.kind == Val::Kind::error) return b;
  return a.kind == Val::Kind::no_data ? a : b;
}

// Tasks: a forward pass in the graph's topological order (tasks.cpp).
std::vector<TaskResult> evaluate_tasks(const model::RuleSet& rules, const store::Snapshot& snapshot,
                                       Date at);
// Plans: the worst state of their tasks and of the plans that implement them.
std::vector<PlanResult> evaluate_plans(const model::RuleSet& rules,
                                       const std::vector<TaskResult>& tasks);

// Evaluates rules at their units on one date. One per thread: it keeps scratch buffers.
class RuleEvaluator {
 public:
  RuleEvaluator(const model::RuleSet& rules, const store::Snapshot& snapshot,
                const std::vector<TaskResult>& tasks, Date at, const EvaluateOptions& options);

  // How many results evaluate_rule writes: one per unit, or one saying there is none.
  std::size_t result_count(Index rule_index) const;
  // Writes result_count(rule_index) results from `out` on.
  void evaluate_rule(Index rule_index, RuleResult* out);
  // Whether the rule is evaluated at `unit` (one of its units).
  bool evaluates_at(Index rule_index, UnitIndex unit) const;
  // The rule at one of its units, and its course over time (trend.cpp); the options
  // should keep trend points.
  TargetCourse course(Index rule_index, UnitIndex unit, std::size_t max_points);

 private:
  static model::Severity lesser_severity(const model::Rule& rule) {
    return rule.severity == model::Severity::info ? model::Severity::info
                                                  : model::Severity::warning;
  }
  const store::SnapshotUnit& unit_at(UnitIndex u) const {
    return snapshot_.units()[static_cast<std::size_t>(u)];
  }
  const std::string& unit_id(UnitIndex u) const { return unit_at(u).id; }
  const std::string& indicator_name(Index indicator) const {
    return rules_.indicators[static_cast<std::size_t>(indicator)].name;
  }

  // One rule at one unit (rule_evaluation.cpp).
  const model::Rule& in_force(Index rule_index) const;
  std::span<const UnitIndex> units_of(const model::Rule& rule) const;
  bool missing_units(const model::Rule& rule) const;
  RuleResult evaluate_at(Index rule_index, UnitIndex unit);
  bool blocking(const model::Rule& rule, RuleResult& r) const;

  // Expressions, as of a date, at a unit; `used` collects the observations read
  // (expressions.cpp).
  std::span<const UnitIndex> members(model::Scope scope, UnitIndex inside,
                                     std::vector<UnitIndex>& scratch) const;
  const store::Point* latest_point(Index indicator, UnitIndex unit, Date as_of) const;
  Val latest(Index indicator, UnitIndex unit, Date as_of, std::vector<UsedPoint>* used) const;
  Val aggregate(const model::ExprNode& node, UnitIndex unit, Date as_of,
                std::vector<UsedPoint>* used) const;
  // `divisor` says what the divisor is (Gap::division_by_zero's level and indicator).
  Val divide(Val a, Val b, Gap divisor, UnitIndex unit) const;
  Val expr(model::ExprId id, UnitIndex unit, Date as_of, std::vector<UsedPoint>* used) const;
  static bool compare(model::Comparator op, double lhs, double rhs, double upper);
  Val condition(std::int32_t index, UnitIndex unit, Date as_of, std::vector<UsedPoint>* used) const;
  Coverage* take_coverage(model::Scope level) const;

  // Over time (trend.cpp).
  std::vector<Date> observation_dates(std::span<const UsedPoint> used, Date from, Date to,
                                      bool include_from) const;
  void project(const model::Rule& rule, const model::Condition& cond, UnitIndex unit,
               std::span<const UsedPoint> lhs_used, RuleResult& r);
  // Sets reason.stale (and which indicator, how old) when the data behind `used` is stale.
  void find_stale(std::span<const UsedPoint> used, Reason& reason) const;
  static std::optional<store::Point> newest_used(std::span<const UsedPoint> used);

  struct SetMembers {
    std::vector<UnitIndex> units;      // in the store, in id order
    std::vector<std::string> missing;  // named by id, not in the store
  };

  const model::RuleSet& rules_;
  const store::Snapshot& snapshot_;
  const std::vector<TaskResult>& tasks_;
  std::vector<SetMembers> sets_;  // by set index
  mutable Coverage* coverage_ = nullptr;
  Date at_;
  const EvaluateOptions& options_;
  std::vector<UsedPoint> used_;
};

}  // namespace tiendo::eval::detail

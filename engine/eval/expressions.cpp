// Expressions: a rule's values as of a date at a unit, the observations read, and the
// coverage of a share or count.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <numeric>

#include "eval/rule_evaluator.hpp"

namespace tiendo::eval::detail {

// The units of `scope` inside `inside` (strictly below it), in id order; `scratch` holds
// them when they are a set's.
std::span<const UnitIndex> RuleEvaluator::members(model::Scope scope, UnitIndex inside,
                                                  std::vector<UnitIndex>& scratch) const {
  if (scope.is_level()) return snapshot_.descendants(inside, scope.index);
  scratch.clear();
  if (scope.is_set()) {
    for (UnitIndex u : sets_[static_cast<std::size_t>(scope.index)].units) {
      if (snapshot_.inside(u, inside)) scratch.push_back(u);
    }
  }
  return scratch;
}

const store::Point* RuleEvaluator::latest_point(Index indicator, UnitIndex unit, Date as_of) const {
  const auto series = snapshot_.series(indicator, unit);
  const auto it = std::upper_bound(series.begin(), series.end(), as_of,
                                   [](Date d, const store::Point& p) { return d < p.end(); });
  return it == series.begin() ? nullptr : &*std::prev(it);
}

Val RuleEvaluator::latest(Index indicator, UnitIndex unit, Date as_of,
                          std::vector<UsedPoint>* used) const {
  const store::Point* point = latest_point(indicator, unit, as_of);
  if (!point) {
    return Val::none({.kind = Gap::Kind::no_observation,
                      .level = {},
                      .indicator = indicator,
                      .unit = unit,
                      .since = {}});
  }
  if (used) used->push_back({indicator, unit, point});
  return Val::of(point->value);
}

// Values of `indicator` at the units of `level` inside `unit` that have one.
Val RuleEvaluator::aggregate(const model::ExprNode& node, UnitIndex unit, Date as_of,
                             std::vector<UsedPoint>* used) const {
  std::vector<UnitIndex> scratch;
  const std::span<const UnitIndex> units = members(node.level, unit, scratch);
  std::vector<double> values;
  for (UnitIndex u : units) {
    const store::Point* point = latest_point(node.indicator, u, as_of);
    if (!point) continue;
    if (used) used->push_back({node.indicator, u, point});
    values.push_back(point->value);
  }
  if (node.kind == model::ExprKind::count) {
    if (Coverage* coverage = take_coverage(node.level)) {
      coverage->total = units.size();
      coverage->counted = values.size();
      for (UnitIndex u : units) {
        if (!latest_point(node.indicator, u, as_of)) coverage->no_data.push_back(u);
      }
    }
    return Val::of(static_cast<double>(values.size()));
  }
  if (values.empty()) {
    return Val::none({.kind = Gap::Kind::none_inside,
                      .level = node.level,
                      .indicator = node.indicator,
                      .unit = unit,
                      .since = {}});
  }
  switch (node.kind) {
    case model::ExprKind::sum:
      return Val::of(std::accumulate(values.begin(), values.end(), 0.0));
    case model::ExprKind::avg:
      return Val::of(std::accumulate(values.begin(), values.end(), 0.0) /
                     static_cast<double>(values.size()));
    case model::ExprKind::min:
      return Val::of(*std::min_element(values.begin(), values.end()));
    default:
      return Val::of(*std::max_element(values.begin(), values.end()));
  }
}

Val RuleEvaluator::divide(Val a, Val b, Gap divisor, UnitIndex unit) const {
  // A zero divisor is an error even when the dividend is missing: error beats no data.
  if (b.ok() && b.v == 0) {
    divisor.kind = Gap::Kind::division_by_zero;
    divisor.unit = unit;
    return Val::fail(divisor);
  }
  if (!a.ok() || !b.ok()) return worse(a, b);
  return Val::of(a.v / b.v);
}

Val RuleEvaluator::expr(model::ExprId id, UnitIndex unit, Date as_of,
                        std::vector<UsedPoint>* used) const {
  const model::ExprNode& node = rules_.expressions[static_cast<std::size_t>(id)];
  switch (node.kind) {
    case model::ExprKind::literal:
      return Val::of(node.value);
    case model::ExprKind::latest:
      return latest(node.indicator, unit, as_of, used);
    case model::ExprKind::sum:
    case model::ExprKind::avg:
    case model::ExprKind::min:
    case model::ExprKind::max:
    case model::ExprKind::count:
      return aggregate(node, unit, as_of, used);
    case model::ExprKind::share: {
      std::vector<UnitIndex> scratch;
      const std::span<const UnitIndex> units = members(node.level, unit, scratch);
      if (units.empty()) {
        return Val::none({.kind = Gap::Kind::no_member,
                          .level = node.level,
                          .indicator = model::kNone,
                          .unit = unit,
                          .since = {}});
      }
      // Taken before the units' conditions are, so that a share inside one does not.
      Coverage* coverage = take_coverage(node.level);
      std::size_t holding = 0;
      for (UnitIndex u : units) {
        const Val holds = condition(node.condition, u, as_of, used);
        if (holds.kind == Val::Kind::error) return holds;
        if (holds.ok() && holds.v != 0) {
          ++holding;
        } else if (coverage) {
          // No data does not hold either; it is told apart.
          (holds.ok() ? coverage->failing : coverage->no_data).push_back(u);
        }
      }
      if (coverage) {
        coverage->total = units.size();
        coverage->counted = holding;
      }
      return Val::of(static_cast<double>(holding) / static_cast<double>(units.size()));
    }
    case model::ExprKind::ratio: {
      if (node.level.none()) {
        return divide(latest(node.indicator, unit, as_of, used),
                      latest(node.indicator2, unit, as_of, used),
                      {.kind = Gap::Kind::division_by_zero,
                       .level = {},
                       .indicator = node.indicator2,
                       .unit = unit,
                       .since = {}},
                      unit);
      }
      model::ExprNode sum_a = node;
      sum_a.kind = model::ExprKind::sum;
      model::ExprNode sum_b = sum_a;
      sum_b.indicator = node.indicator2;
      return divide(aggregate(sum_a, unit, as_of, used), aggregate(sum_b, unit, as_of, used),
                    {.kind = Gap::Kind::division_by_zero,
                     .level = node.level,
                     .indicator = node.indicator2,
                     .unit = unit,
                     .since = {}},
                    unit);
    }
    case model::ExprKind::change: {
      const Val now = latest(node.indicator, unit, as_of, used);
      const Date before = model::subtract(as_of, node.duration);
      const Val then = latest(node.indicator, unit, before, used);
      if (!now.ok() || !then.ok()) return worse(now, then);
      return Val::of(now.v - then.v);
    }
    case model::ExprKind::done: {
      const auto& events = snapshot_.statuses(node.task);
      const store::StatusEvent* last = nullptr;
      for (const auto& event : events) {
        if (event.date <= as_of) last = &event;
      }
      return Val::of(last && last->status == model::TaskStatus::done ? 1.0 : 0.0);
    }
    case model::ExprKind::negate: {
      Val inner = expr(node.operands[0], unit, as_of, used);
      if (inner.ok()) inner.v = -inner.v;
      return inner;
    }
    case model::ExprKind::chain: {
      Val acc = expr(node.operands[0], unit, as_of, used);
      for (std::size_t i = 1; i < node.operands.size(); ++i) {
        const Val next = expr(node.operands[i], unit, as_of, used);
        if (!acc.ok() || !next.ok()) {
          acc = worse(acc, next);
          continue;
        }
        switch (node.ops[i]) {
          case '+':
            acc.v += next.v;
            break;
          case '-':
            acc.v -= next.v;
            break;
          case '*':
            acc.v *= next.v;
            break;
          default:
            acc = divide(acc, next, Gap{}, unit);
            break;
        }
      }
      return acc;
    }
  }
  return Val::fail({});  // unreachable: every kind returns above
}

bool RuleEvaluator::compare(model::Comparator op, double lhs, double rhs, double upper) {
  // A tolerance for values stored as binary fractions (0.5 written as 50%).
  constexpr double kEpsilon = 1e-9;
  switch (op) {
    case model::Comparator::ge:
      return lhs >= rhs - kEpsilon;
    case model::Comparator::le:
      return lhs <= rhs + kEpsilon;
    case model::Comparator::gt:
      return lhs > rhs + kEpsilon;
    case model::Comparator::lt:
      return lhs < rhs - kEpsilon;
    case model::Comparator::eq:
      return std::fabs(lhs - rhs) <= kEpsilon;
    case model::Comparator::ne:
      return std::fabs(lhs - rhs) > kEpsilon;
    case model::Comparator::between:
      return lhs >= rhs - kEpsilon && lhs <= upper + kEpsilon;
  }
  return false;
}

// 1 when the condition holds, 0 when not, or why it cannot be told.
Val RuleEvaluator::condition(std::int32_t index, UnitIndex unit, Date as_of,
                             std::vector<UsedPoint>* used) const {
  const model::Condition& c = rules_.conditions[static_cast<std::size_t>(index)];
  const Val lhs = expr(c.lhs, unit, as_of, used);
  const Val rhs = expr(c.rhs, unit, as_of, used);
  Val upper = Val::of(0);
  if (c.op == model::Comparator::between) upper = expr(c.upper, unit, as_of, used);
  if (!lhs.ok() || !rhs.ok() || !upper.ok()) return worse(worse(lhs, rhs), upper);
  return Val::of(compare(c.op, lhs.v, rhs.v, upper.v) ? 1.0 : 0.0);
}

// The coverage to fill while a rule's value is computed, once: the first share or count
// met takes it (and no other does); null otherwise.
Coverage* RuleEvaluator::take_coverage(model::Scope level) const {
  Coverage* coverage = coverage_;
  coverage_ = nullptr;
  if (coverage) coverage->level = level;
  return coverage;
}

}  // namespace tiendo::eval::detail

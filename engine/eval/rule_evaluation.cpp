// One rule at its units: the values, the verdict (met, missed, at risk, …) and the one
// sentence that says why, with the tasks that hold it back.
#include <fmt/format.h>

#include <algorithm>

#include "eval/figures.hpp"
#include "eval/rule_evaluator.hpp"
#include "model/periods.hpp"

namespace tiendo::eval::detail {

namespace {

// What the observations behind a value say of it (RuleResult::estimate and noted): the
// newest used of each indicator at the unit (of the first four indicators), then the
// first two of those that carry a note.
void remark_value(const store::Snapshot& snapshot, UnitIndex unit, std::span<const UsedPoint> used,
                  RuleResult& r) {
  std::array<const UsedPoint*, 4> own{};
  for (const UsedPoint& u : used) {
    if (!u.point) continue;
    r.estimate = r.estimate || snapshot.estimate(*u.point);
    if (u.unit != unit) continue;
    for (const UsedPoint*& slot : own) {
      if (!slot) {
        slot = &u;
        break;
      }
      if (slot->indicator == u.indicator) {
        if (u.point->end() > slot->point->end()) slot = &u;
        break;
      }
    }
  }
  std::size_t next = 0;
  for (const UsedPoint* u : own) {
    if (u && next < r.noted().size() && !snapshot.note(*u->point).empty()) {
      r.more.make().noted[next++] = u->point;
    }
  }
}

}  // namespace

RuleEvaluator::RuleEvaluator(const model::RuleSet& rules, const store::Snapshot& snapshot,
                             const std::vector<TaskResult>& tasks, Date at,
                             const EvaluateOptions& options)
    : rules_(rules), snapshot_(snapshot), tasks_(tasks), at_(at), options_(options) {
  // Each set's units, in id order, and the ids it names that the store lacks.
  sets_.resize(rules_.sets.size());
  for (std::size_t s = 0; s < rules_.sets.size(); ++s) {
    const model::UnitSet& set = rules_.sets[s];
    SetMembers& members = sets_[s];
    if (set.level != kNone) {
      for (UnitIndex u : snapshot_.units_at(set.level)) {
        if (set.label.empty() || unit_at(u).has_label(set.label)) members.units.push_back(u);
      }
      continue;
    }
    for (const std::string& id : set.units) {
      const UnitIndex u = snapshot_.find_unit(id);
      if (u < 0) {
        members.missing.push_back(id);
      } else {
        members.units.push_back(u);
      }
    }
    std::sort(members.units.begin(), members.units.end(),
              [&](UnitIndex a, UnitIndex b) { return unit_at(a).id < unit_at(b).id; });
  }
}

std::span<const UnitIndex> RuleEvaluator::units_of(const model::Rule& rule) const {
  if (rule.for_each.is_level()) return snapshot_.units_at(rule.for_each.index);
  if (rule.for_each.is_set()) return sets_[static_cast<std::size_t>(rule.for_each.index)].units;
  return snapshot_.roots();
}

// How many results evaluate_rule writes: one per unit, or one saying there is none.
std::size_t RuleEvaluator::result_count(Index rule_index) const {
  return std::max<std::size_t>(1, units_of(in_force(rule_index)).size());
}

// The rule as in force on the evaluation date: its own require, or its latest amendment
// from that date or before. Every version has the rule's units.
const model::Rule& RuleEvaluator::in_force(Index rule_index) const {
  return rules_.version(rule_index, rules_.version_at(rule_index, at_));
}

// Writes result_count(rule_index) results from `out` on.
void RuleEvaluator::evaluate_rule(Index rule_index, RuleResult* out) {
  const model::Rule& rule = in_force(rule_index);
  const std::span<const UnitIndex> units = units_of(rule);
  if (units.empty()) {
    RuleResult result;
    result.rule = rule_index;
    result.version = rule.version;
    result.severity = lesser_severity(rule);
    if (missing_units(rule)) {
      result.state = RuleState::error;
      result.reason.kind = Because::missing_units;
    } else {
      result.state = RuleState::no_data;
      result.reason.kind = Because::no_units;
    }
    *out = std::move(result);
    return;
  }
  for (UnitIndex unit : units) *out++ = evaluate_at(rule_index, unit);
}

// Whether the rule cannot be evaluated as written: a set it ranges over names units the
// store does not have (present::reason_text names them).
bool RuleEvaluator::missing_units(const model::Rule& rule) const {
  return std::any_of(rule.sets.begin(), rule.sets.end(),
                     [&](Index s) { return !sets_[static_cast<std::size_t>(s)].missing.empty(); });
}

RuleResult RuleEvaluator::evaluate_at(Index rule_index, UnitIndex unit) {
  const model::Rule& rule = in_force(rule_index);
  const model::Condition& cond = rules_.conditions[static_cast<std::size_t>(rule.condition)];
  RuleResult r;
  r.rule = rule_index;
  r.version = rule.version;
  r.unit = unit;
  if (rule.timing != model::Timing::none) r.deadline = rule.date;
  // A set that names a unit the store lacks: no verdict can be given on part of it.
  if (missing_units(rule)) {
    r.state = RuleState::error;
    r.severity = lesser_severity(rule);
    r.reason.kind = Because::missing_units;
    return r;
  }

  // The observations read, in a buffer reused from result to result; the result keeps
  // a copy only when asked to.
  std::vector<UsedPoint>& used = used_;
  used.clear();
  Coverage coverage;
  coverage_ = &coverage;
  const Val lhs = expr(cond.lhs, unit, at_, &used);
  coverage_ = nullptr;
  if (!coverage.level.none() && lhs.kind != Val::Kind::error) {
    r.more.make().coverage = std::make_shared<const Coverage>(std::move(coverage));
  }
  // The trend follows the left-hand side's own observation dates, not the target's.
  const std::size_t lhs_used_count = used.size();
  remark_value(snapshot_, unit, used, r);
  const Val rhs = expr(cond.rhs, unit, at_, &used);
  Val upper = Val::of(0);
  if (cond.op == model::Comparator::between) upper = expr(cond.upper, unit, at_, &used);
  if (options_.keep_used && !used.empty()) r.more.make().used = used;
  if (lhs.ok()) r.value = lhs.v;
  if (rhs.ok()) r.target = rhs.v;
  if (cond.op == model::Comparator::between && upper.ok()) r.upper = upper.v;

  const Val all = worse(worse(lhs, rhs), upper);
  const auto finish = [&](RuleState state, Because because) {
    r.state = state;
    r.reason.kind = because;
    switch (state) {
      case RuleState::missed:
      case RuleState::violated:
        r.severity = rule.severity;
        break;
      case RuleState::met:
      case RuleState::on_track:
      case RuleState::ok:
      case RuleState::not_yet:
        r.severity = model::Severity::none;
        break;
      default:
        r.severity = lesser_severity(rule);
    }
    return std::move(r);
  };

  if (all.kind == Val::Kind::error) {
    r.reason.gap = all.why;
    return finish(RuleState::error, Because::gap);
  }
  if (rule.timing == model::Timing::from && at_ < rule.date) {
    return finish(RuleState::not_yet, Because::not_yet);
  }

  // Whether the requirement holds now: unknown without the data to tell.
  enum class Holds { unknown, yes, no };
  Holds holds = Holds::unknown;
  Gap no_data_why = all.why;
  if (all.ok()) {
    holds = compare(cond.op, lhs.v, rhs.v, upper.v) ? Holds::yes : Holds::no;
  }
  if (rule.timing == model::Timing::from) {
    // Every observation since the start date must satisfy it: the first that fails is
    // a violation, however old; none since the start date is no data.
    const auto dates = observation_dates(used, rule.date, at_, /*include_from=*/true);
    for (Date d : dates) {
      const Val at_date = condition(rule.condition, unit, d, nullptr);
      if (at_date.kind == Val::Kind::error) {
        r.reason.gap = at_date.why;
        return finish(RuleState::error, Because::gap);
      }
      if (at_date.ok() && at_date.v == 0) {
        r.failed_on = d;
        break;
      }
    }
    if (r.failed_on) {
      holds = Holds::no;
    } else if (dates.empty()) {
      holds = Holds::unknown;
      no_data_why = {.kind = Gap::Kind::nothing_since,
                     .level = {},
                     .indicator = kNone,
                     .unit = unit,
                     .since = rule.date};
    }
  }

  find_stale(used, r.reason);
  const bool stale = r.reason.stale;

  if (holds == Holds::yes && !stale) {
    return finish(rule.timing == model::Timing::by ? RuleState::met : RuleState::ok,
                  Because::holds);
  }

  // The verdicts, which stale or missing data and blocking tasks never hide: those are
  // the reason's context instead (a blocking task is found by `blocking`).
  if (rule.timing == model::Timing::by && at_ > rule.date) {
    if (holds == Holds::yes) {
      blocking(rule, r);
      return finish(RuleState::met, Because::holds);
    }
    if (holds == Holds::unknown) {
      r.reason.stale = false;
      r.reason.gap = no_data_why;
      blocking(rule, r);
      return finish(RuleState::missed, Because::no_figure);
    }
    // The figure judged is the latest known: say when it is not the deadline's own.
    const std::optional<store::Point> last =
        newest_used(std::span<const UsedPoint>(used.data(), lhs_used_count));
    if (last && last->end() < rule.date) {
      r.reason.stale = false;
      r.reason.last = model::period_of_days(last->start(), last->end());
      blocking(rule, r);
      return finish(RuleState::missed, Because::old_figure);
    }
    blocking(rule, r);
    return finish(RuleState::missed, Because::missed);
  }
  if (rule.timing == model::Timing::from && r.failed_on) {
    blocking(rule, r);
    return finish(RuleState::violated, Because::failed_on);
  }

  if (blocking(rule, r)) {
    r.reason.stale = false;
    return finish(RuleState::blocked, Because::blocked);
  }
  if (holds == Holds::unknown) {
    r.reason.stale = false;
    r.reason.gap = no_data_why;
    return finish(RuleState::no_data, Because::gap);
  }
  if (stale) return finish(RuleState::stale, Because::stale);
  // Not holding, on data that is not stale, and no verdict yet.
  if (rule.timing != model::Timing::by) return finish(RuleState::violated, Because::fails);
  project(rule, cond, unit, std::span<const UsedPoint>(used.data(), lhs_used_count), r);
  const bool projected_meets =
      r.projected && compare(cond.op, *r.projected, *r.target, r.upper.value_or(0));
  r.reason.in_window = rule.warn_within && at_ >= model::subtract(rule.date, *rule.warn_within);
  return finish(projected_meets && !r.reason.in_window ? RuleState::on_track : RuleState::at_risk,
                Because::trend);
}

// Whether a task the rule needs holds it back: sets blocking_task and the chain to the
// root cause (present::reason_text says how it holds the rule back, from its state).
bool RuleEvaluator::blocking(const model::Rule& rule, RuleResult& r) const {
  for (Index needed : rule.needs) {
    const TaskResult& task = tasks_[static_cast<std::size_t>(needed)];
    std::vector<Index> chain;
    if (task.state == TaskState::overdue) {
      // The task itself is the cause.
    } else if (task.state == TaskState::blocked) {
      chain = task.chain;
    } else if (rule.timing == model::Timing::by && task.earliest_finish &&
               *task.earliest_finish > rule.date && task.state != TaskState::done &&
               task.state != TaskState::done_late && task.state != TaskState::cancelled) {
      for (Index t = task.critical; t != kNone; t = tasks_[static_cast<std::size_t>(t)].critical) {
        chain.push_back(t);
      }
    } else {
      continue;
    }
    r.blocking_task = needed;
    if (!chain.empty()) r.more.make().chain = std::move(chain);
    return true;
  }
  return false;
}

}  // namespace tiendo::eval::detail

// One rule at its units: the values, the verdict (met, missed, at risk, …) and the one
// sentence that says why, with the tasks that hold it back.
#include <fmt/format.h>

#include <algorithm>

#include "eval/figures.hpp"
#include "eval/rule_evaluator.hpp"

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
    if (u && next < r.noted.size() && !snapshot.note(*u->point).empty()) {
      r.noted[next++] = u->point;
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
    if (auto missing = missing_units(rule)) {
      result.state = RuleState::error;
      result.reason = std::move(*missing);
    } else {
      result.state = RuleState::no_data;
      result.reason =
          rule.for_each.none() ? std::string("there are no units to evaluate at")
          : rule.for_each.is_set()
              ? fmt::format("set {} has no units", rules_.scope_name(rule.for_each))
              : fmt::format("there are no units of level {}", rules_.scope_name(rule.for_each));
    }
    *out = std::move(result);
    return;
  }
  for (UnitIndex unit : units) *out++ = evaluate_at(rule_index, unit);
}

// Why the rule cannot be evaluated as written: a set it ranges over names units the
// store does not have. Nothing when every set is whole.
std::optional<std::string> RuleEvaluator::missing_units(const model::Rule& rule) const {
  std::string why;
  for (Index s : rule.sets) {
    const std::vector<std::string>& missing = sets_[static_cast<std::size_t>(s)].missing;
    if (missing.empty()) continue;
    std::string ids;
    for (const std::string& id : missing) ids += (ids.empty() ? "'" : ", '") + id + "'";
    why += fmt::format(
        "{}set {} names {} {}, which the store does not have (units come from "
        "a units input: unit,name,level,parent)",
        why.empty() ? "" : "; ", rules_.sets[static_cast<std::size_t>(s)].name,
        missing.size() == 1 ? "unit" : "units", ids);
  }
  if (why.empty()) return std::nullopt;
  return why;
}

std::string RuleEvaluator::format_value(double value, model::ExprId id) const {
  const model::ValueUnit unit = rules_.expressions[static_cast<std::size_t>(id)].unit;
  return unit == model::ValueUnit::percent ? percent_text(value) : number_text(value);
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
  if (auto missing = missing_units(rule)) {
    r.state = RuleState::error;
    r.severity = lesser_severity(rule);
    r.reason = std::move(*missing);
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
    r.coverage = std::make_shared<const Coverage>(std::move(coverage));
  }
  // The trend follows the left-hand side's own observation dates, not the target's.
  const std::size_t lhs_used_count = used.size();
  remark_value(snapshot_, unit, used, r);
  const Val rhs = expr(cond.rhs, unit, at_, &used);
  Val upper = Val::of(0);
  if (cond.op == model::Comparator::between) upper = expr(cond.upper, unit, at_, &used);
  if (options_.keep_used) r.used = used;
  if (lhs.ok()) r.value = lhs.v;
  if (rhs.ok()) r.target = rhs.v;
  if (cond.op == model::Comparator::between && upper.ok()) r.upper = upper.v;

  const Val all = worse(worse(lhs, rhs), upper);
  const auto finish = [&](RuleState state, std::string reason) {
    r.state = state;
    r.reason = std::move(reason);
    if (r.coverage) r.reason += coverage_text(*r.coverage);
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

  if (all.kind == Val::Kind::error) return finish(RuleState::error, all.why);
  if (rule.timing == model::Timing::from && at_ < rule.date) {
    return finish(RuleState::not_yet,
                  fmt::format("the requirement applies from {}", model::to_string(rule.date)));
  }

  // Whether the requirement holds now: unknown without the data to tell.
  enum class Holds { unknown, yes, no };
  Holds holds = Holds::unknown;
  std::string no_data_why = all.why;
  if (all.ok()) {
    holds = compare(cond.op, lhs.v, rhs.v, upper.v) ? Holds::yes : Holds::no;
  }
  if (rule.timing == model::Timing::from) {
    // Every observation since the start date must satisfy it: the first that fails is
    // a violation, however old; none since the start date is no data.
    const auto dates = observation_dates(used, rule.date, at_, /*include_from=*/true);
    for (Date d : dates) {
      const Val at_date = condition(rule.condition, unit, d, nullptr);
      if (at_date.kind == Val::Kind::error) return finish(RuleState::error, at_date.why);
      if (at_date.ok() && at_date.v == 0) {
        r.failed_on = d;
        break;
      }
    }
    if (r.failed_on) {
      holds = Holds::no;
    } else if (dates.empty()) {
      holds = Holds::unknown;
      no_data_why = fmt::format("nothing observed since {}", model::to_string(rule.date));
    }
  }

  const std::string stale_why = stale_reason(used);
  const bool stale = !stale_why.empty();
  const std::string now_text = r.value ? format_value(*r.value, cond.lhs) : std::string("no value");
  const std::string target_text = r.target ? format_value(*r.target, cond.rhs) : std::string("?");
  // `between` shows both bounds: "between 65% and 70%".
  std::string required = fmt::format("{} {}", model::to_string(cond.op), target_text);
  if (cond.op == model::Comparator::between) {
    required += " and " + (r.upper ? format_value(*r.upper, cond.upper) : std::string("?"));
  }

  if (holds == Holds::yes && !stale) {
    return finish(rule.timing == model::Timing::by ? RuleState::met : RuleState::ok,
                  fmt::format("{} {}", now_text, required));
  }

  // The verdicts, which stale or missing data and blocking tasks never hide: those go
  // into the reason instead.
  const auto with_context = [&](std::string reason, bool say_stale) {
    if (say_stale && stale) reason += "; " + stale_why;
    if (auto blocked = blocking(rule, r)) reason += "; " + *blocked;
    return reason;
  };
  if (rule.timing == model::Timing::by && at_ > rule.date) {
    const std::string by = fmt::format("by {}", model::to_string(rule.date));
    if (holds == Holds::yes) {
      return finish(RuleState::met, with_context(fmt::format("{} {}", now_text, required), true));
    }
    if (holds == Holds::unknown) {
      return finish(RuleState::missed,
                    with_context(fmt::format("no figure at all ({}); required {} {}", no_data_why,
                                             required, by),
                                 false));
    }
    // The figure judged is the latest known: say when it is not the deadline's own.
    const std::optional<store::Point> last =
        newest_used(std::span<const UsedPoint>(used.data(), lhs_used_count));
    if (last && last->end() < rule.date) {
      return finish(RuleState::missed,
                    with_context(fmt::format("no figure for the deadline; the last, {} for {}, "
                                             "fails: required {} {}",
                                             now_text, period_text(*last), required, by),
                                 false));
    }
    return finish(RuleState::missed, with_context(fmt::format("{} on {}, required {} {}", now_text,
                                                              model::to_string(at_), required, by),
                                                  true));
  }
  if (rule.timing == model::Timing::from && r.failed_on) {
    return finish(RuleState::violated,
                  with_context(fmt::format("failed on {}: now {}, required {}",
                                           model::to_string(*r.failed_on), now_text, required),
                               true));
  }

  if (auto blocked = blocking(rule, r)) return finish(RuleState::blocked, *blocked);
  if (holds == Holds::unknown) return finish(RuleState::no_data, no_data_why);
  if (stale) {
    return finish(RuleState::stale, stale_why);
  }
  // Not holding, on data that is not stale, and no verdict yet.
  if (rule.timing != model::Timing::by) {
    return finish(RuleState::violated, fmt::format("{}, required {}", now_text, required));
  }
  project(rule, cond, unit, std::span<const UsedPoint>(used.data(), lhs_used_count), r);
  const bool projected_meets =
      r.projected && compare(cond.op, *r.projected, *r.target, r.upper.value_or(0));
  const bool in_window = rule.warn_within && at_ >= model::subtract(rule.date, *rule.warn_within);
  std::string reason =
      fmt::format("{} now, {} by {}", now_text, required, model::to_string(rule.date));
  if (r.projected) reason += fmt::format("; projected {}", format_value(*r.projected, cond.lhs));
  if (r.rate_needed && r.rate_observed) {
    const bool points =
        rules_.expressions[static_cast<std::size_t>(cond.lhs)].unit == model::ValueUnit::percent;
    const double scale = points ? 100 : 1;
    reason += fmt::format("; {:+.2g}{} per month needed, {:+.2g} observed", *r.rate_needed * scale,
                          points ? " points" : "", *r.rate_observed * scale);
  }
  if (projected_meets && !in_window) return finish(RuleState::on_track, reason);
  if (in_window) {
    reason += fmt::format("; inside the {} warning window", model::to_string(*rule.warn_within));
  }
  return finish(RuleState::at_risk, reason);
}

// Why a task the rule needs holds it back, naming the root cause; nullopt if none.
std::optional<std::string> RuleEvaluator::blocking(const model::Rule& rule, RuleResult& r) const {
  for (Index needed : rule.needs) {
    const TaskResult& task = tasks_[static_cast<std::size_t>(needed)];
    const std::string& name = rules_.tasks[static_cast<std::size_t>(needed)].name;
    std::vector<Index> chain;
    std::string why;
    if (task.state == TaskState::overdue) {
      why = fmt::format("needs {}, overdue since {}", name, model::to_string(*task.due));
    } else if (task.state == TaskState::blocked) {
      chain = task.chain;
      const Index root = task.root_cause == kNone ? needed : task.root_cause;
      why = fmt::format("needs {}, blocked by {}", name,
                        rules_.tasks[static_cast<std::size_t>(root)].name);
    } else if (rule.timing == model::Timing::by && task.earliest_finish &&
               *task.earliest_finish > rule.date && task.state != TaskState::done &&
               task.state != TaskState::done_late && task.state != TaskState::cancelled) {
      for (Index t = task.critical; t != kNone; t = tasks_[static_cast<std::size_t>(t)].critical) {
        chain.push_back(t);
      }
      why = fmt::format("needs {}, which cannot finish before {} (earliest {})", name,
                        model::to_string(rule.date), model::to_string(*task.earliest_finish));
    } else {
      continue;
    }
    r.blocking_task = needed;
    r.chain = std::move(chain);
    if (!r.chain.empty()) {
      std::string names = name;
      for (Index t : r.chain) names += " \u2190 " + rules_.tasks[static_cast<std::size_t>(t)].name;
      why += fmt::format(" (chain: {})", names);
    }
    return why;
  }
  return std::nullopt;
}

// "; 33/36 commune; failing: gia_canh, ta_lai; no data: song_ray", each list cut after
// kCoverageNamed names ("and 12 more").
std::string RuleEvaluator::coverage_text(const Coverage& c) const {
  const auto names = [&](const std::vector<UnitIndex>& units) {
    std::string text;
    for (std::size_t i = 0; i < units.size() && i < kCoverageNamed; ++i) {
      text += (i ? ", " : "") + unit_id(units[i]);
    }
    if (units.size() > kCoverageNamed) {
      text += fmt::format(" and {} more", units.size() - kCoverageNamed);
    }
    return text;
  };
  std::string text = fmt::format("; {}/{} {}", c.counted, c.total, rules_.scope_name(c.level));
  if (!c.failing.empty()) text += "; failing: " + names(c.failing);
  if (!c.no_data.empty()) text += "; no data: " + names(c.no_data);
  return text;
}

}  // namespace tiendo::eval::detail

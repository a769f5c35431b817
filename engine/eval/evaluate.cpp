#include "eval/evaluate.hpp"

#include "eval/present.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <map>
#include <numeric>
#include <span>
#include <thread>

namespace tiendo::eval {

namespace {

using model::Date;
using model::Index;
using model::kNone;
using store::UnitIndex;

constexpr double kDaysPerMonth = 30.4375;

// A value, or why there is none. An error (division by zero) beats missing data.
struct Val {
  enum class Kind { ok, no_data, error };
  Kind kind = Kind::ok;
  double v = 0;
  std::string why;

  static Val of(double value) { return {Kind::ok, value, {}}; }
  static Val none(std::string why) { return {Kind::no_data, 0, std::move(why)}; }
  static Val fail(std::string why) { return {Kind::error, 0, std::move(why)}; }
  bool ok() const { return kind == Kind::ok; }
};

Val worse(Val a, Val b) {
  if (a.kind == Val::Kind::error) return a;
  if (b.kind == Val::Kind::error) return b;
  return a.kind == Val::Kind::no_data ? a : b;
}


// A point's period as the documents write it: Q3/2022, 9/2022, 2022, or its days.
std::string period_text(const store::Point& point) {
  const std::chrono::year_month_day first{point.start()};
  const std::chrono::year_month_day last{point.end()};
  const int year = static_cast<int>(first.year());
  const unsigned month = static_cast<unsigned>(first.month());
  const bool starts_month = first.day() == std::chrono::day{1};
  const bool ends_month =
      std::chrono::year_month_day{point.end() + std::chrono::days{1}}.day() == std::chrono::day{1};
  if (starts_month && ends_month && first.year() == last.year()) {
    const unsigned months = static_cast<unsigned>(last.month()) - month + 1;
    if (months == 1) return fmt::format("{}/{}", month, year);
    if (months == 3 && month % 3 == 1) return fmt::format("Q{}/{}", (month + 2) / 3, year);
    if (months == 12) return fmt::format("{}", year);
  }
  if (point.start() == point.end()) return model::to_string(point.end());
  return fmt::format("{}–{}", model::to_string(point.start()), model::to_string(point.end()));
}

class RuleEvaluator {
 public:
  RuleEvaluator(const model::RuleSet& rules, const store::Snapshot& snapshot,
                const std::vector<TaskResult>& tasks, Date at, const EvaluateOptions& options)
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

  std::span<const UnitIndex> units_of(const model::Rule& rule) const {
    if (rule.for_each.is_level()) return snapshot_.units_at(rule.for_each.index);
    if (rule.for_each.is_set()) return sets_[static_cast<std::size_t>(rule.for_each.index)].units;
    return snapshot_.roots();
  }

  // How many results evaluate_rule writes: one per unit, or one saying there is none.
  std::size_t result_count(Index rule_index) const {
    return std::max<std::size_t>(
        1, units_of(rules_.rules[static_cast<std::size_t>(rule_index)]).size());
  }

  // Writes result_count(rule_index) results from `out` on.
  void evaluate_rule(Index rule_index, RuleResult* out) {
    const model::Rule& rule = rules_.rules[static_cast<std::size_t>(rule_index)];
    const std::span<const UnitIndex> units = units_of(rule);
    if (units.empty()) {
      RuleResult result;
      result.rule = rule_index;
      result.severity = lesser_severity(rule);
      if (auto missing = missing_units(rule)) {
        result.state = RuleState::error;
        result.reason = std::move(*missing);
      } else {
        result.state = RuleState::no_data;
        result.reason =
            rule.for_each.none()    ? std::string("there are no units to evaluate at")
            : rule.for_each.is_set() ? fmt::format("set {} has no units",
                                                   rules_.scope_name(rule.for_each))
                                     : fmt::format("there are no units of level {}",
                                                   rules_.scope_name(rule.for_each));
      }
      *out = std::move(result);
      return;
    }
    for (UnitIndex unit : units) *out++ = evaluate_at(rule_index, unit);
  }

 private:
  static model::Severity lesser_severity(const model::Rule& rule) {
    return rule.severity == model::Severity::info ? model::Severity::info
                                                  : model::Severity::warning;
  }

  const store::SnapshotUnit& unit_at(UnitIndex u) const {
    return snapshot_.units()[static_cast<std::size_t>(u)];
  }
  const std::string& unit_id(UnitIndex u) const { return unit_at(u).id; }

  // The units of `scope` inside `inside` (strictly below it), in id order; `scratch` holds
  // them when they are a set's.
  std::span<const UnitIndex> members(model::Scope scope, UnitIndex inside,
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

  // Why the rule cannot be evaluated as written: a set it ranges over names units the
  // store does not have. Nothing when every set is whole.
  std::optional<std::string> missing_units(const model::Rule& rule) const {
    std::string why;
    for (Index s : rule.sets) {
      const std::vector<std::string>& missing = sets_[static_cast<std::size_t>(s)].missing;
      if (missing.empty()) continue;
      std::string ids;
      for (const std::string& id : missing) ids += (ids.empty() ? "'" : ", '") + id + "'";
      why += fmt::format("{}set {} names {} {}, which the store does not have (units come from "
                         "a units input: unit,name,level,parent)",
                         why.empty() ? "" : "; ", rules_.sets[static_cast<std::size_t>(s)].name,
                         missing.size() == 1 ? "unit" : "units", ids);
    }
    if (why.empty()) return std::nullopt;
    return why;
  }
  const std::string& indicator_name(Index indicator) const {
    return rules_.indicators[static_cast<std::size_t>(indicator)].name;
  }

  // ---------------------------------------------------------------------------------------
  // Expressions, as of a date, at a unit. `used` collects the observations read.

  const store::Point* latest_point(Index indicator, UnitIndex unit, Date as_of) const {
    const auto series = snapshot_.series(indicator, unit);
    const auto it = std::upper_bound(series.begin(), series.end(), as_of,
                                     [](Date d, const store::Point& p) { return d < p.end(); });
    return it == series.begin() ? nullptr : &*std::prev(it);
  }

  Val latest(Index indicator, UnitIndex unit, Date as_of, std::vector<UsedPoint>* used) const {
    const store::Point* point = latest_point(indicator, unit, as_of);
    if (!point) {
      return Val::none(
          fmt::format("no observation of {} at {}", indicator_name(indicator), unit_id(unit)));
    }
    if (used) used->push_back({indicator, unit, point});
    return Val::of(point->value);
  }

  // Values of `indicator` at the units of `level` inside `unit` that have one.
  Val aggregate(const model::ExprNode& node, UnitIndex unit, Date as_of,
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
      return Val::none(fmt::format("no {} inside {} has an observation of {}",
                                   rules_.scope_name(node.level), unit_id(unit),
                                   indicator_name(node.indicator)));
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

  Val divide(Val a, Val b, std::string_view what, UnitIndex unit) const {
    // A zero divisor is an error even when the dividend is missing: error beats no data.
    if (b.ok() && b.v == 0) {
      return Val::fail(fmt::format("division by zero: {} is 0 at {}", what, unit_id(unit)));
    }
    if (!a.ok() || !b.ok()) return worse(a, b);
    return Val::of(a.v / b.v);
  }

  Val expr(model::ExprId id, UnitIndex unit, Date as_of, std::vector<UsedPoint>* used) const {
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
          return Val::none(fmt::format("there is no {} inside {}", rules_.scope_name(node.level),
                                       unit_id(unit)));
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
                        latest(node.indicator2, unit, as_of, used), indicator_name(node.indicator2),
                        unit);
        }
        model::ExprNode sum_a = node;
        sum_a.kind = model::ExprKind::sum;
        model::ExprNode sum_b = sum_a;
        sum_b.indicator = node.indicator2;
        return divide(aggregate(sum_a, unit, as_of, used), aggregate(sum_b, unit, as_of, used),
                      fmt::format("sum({}, {})", indicator_name(node.indicator2),
                                  rules_.scope_name(node.level)),
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
              acc = divide(acc, next, "the divisor", unit);
              break;
          }
        }
        return acc;
      }
    }
    return Val::fail("unknown expression");
  }

  static bool compare(model::Comparator op, double lhs, double rhs, double upper) {
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
  Val condition(std::int32_t index, UnitIndex unit, Date as_of,
                std::vector<UsedPoint>* used) const {
    const model::Condition& c = rules_.conditions[static_cast<std::size_t>(index)];
    const Val lhs = expr(c.lhs, unit, as_of, used);
    const Val rhs = expr(c.rhs, unit, as_of, used);
    Val upper = Val::of(0);
    if (c.op == model::Comparator::between) upper = expr(c.upper, unit, as_of, used);
    if (!lhs.ok() || !rhs.ok() || !upper.ok()) return worse(worse(lhs, rhs), upper);
    return Val::of(compare(c.op, lhs.v, rhs.v, upper.v) ? 1.0 : 0.0);
  }

  // ---------------------------------------------------------------------------------------
  // One rule at one unit.

  // Distinct period ends of the series behind `used`, in (from, to] (or [from, to]).
  std::vector<Date> observation_dates(std::span<const UsedPoint> used, Date from, Date to,
                                      bool include_from) const {
    std::vector<std::pair<Index, UnitIndex>> series;
    series.reserve(used.size());
    for (const UsedPoint& u : used) series.emplace_back(u.indicator, u.unit);
    std::sort(series.begin(), series.end());
    series.erase(std::unique(series.begin(), series.end()), series.end());
    std::vector<Date> dates;
    for (const auto& [indicator, unit] : series) {
      const auto points = snapshot_.series(indicator, unit);
      // Points are ordered by end: start at the first one inside the window.
      auto it = std::lower_bound(points.begin(), points.end(), from,
                                 [](const store::Point& p, Date d) { return p.end() < d; });
      for (; it != points.end() && it->end() <= to; ++it) {
        if (it->end() > from || include_from) dates.push_back(it->end());
      }
    }
    std::sort(dates.begin(), dates.end());
    dates.erase(std::unique(dates.begin(), dates.end()), dates.end());
    return dates;
  }

  std::string format_value(double value, model::ExprId id) const {
    const model::ValueUnit unit = rules_.expressions[static_cast<std::size_t>(id)].unit;
    return unit == model::ValueUnit::percent ? percent_text(value) : number_text(value);
  }

  RuleResult evaluate_at(Index rule_index, UnitIndex unit) {
    const model::Rule& rule = rules_.rules[static_cast<std::size_t>(rule_index)];
    const model::Condition& cond = rules_.conditions[static_cast<std::size_t>(rule.condition)];
    RuleResult r;
    r.rule = rule_index;
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
    const std::string now_text =
        r.value ? format_value(*r.value, cond.lhs) : std::string("no value");
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
                      with_context(fmt::format("no figure at all ({}); required {} {}",
                                               no_data_why, required, by),
                                   false));
      }
      // The figure judged is the latest known: say when it is not the deadline's own.
      const std::optional<store::Point> last = newest_used(
          std::span<const UsedPoint>(used.data(), lhs_used_count));
      if (last && last->end() < rule.date) {
        return finish(RuleState::missed,
                      with_context(fmt::format("no figure for the deadline; the last, {} for {}, "
                                               "fails: required {} {}",
                                               now_text, period_text(*last), required, by),
                                   false));
      }
      return finish(RuleState::missed,
                    with_context(fmt::format("{} on {}, required {} {}", now_text,
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
      reason +=
          fmt::format("; {:+.2g}{} per month needed, {:+.2g} observed", *r.rate_needed * scale,
                      points ? " points" : "", *r.rate_observed * scale);
    }
    if (projected_meets && !in_window) return finish(RuleState::on_track, reason);
    if (in_window) {
      reason += fmt::format("; inside the {} warning window", model::to_string(*rule.warn_within));
    }
    return finish(RuleState::at_risk, reason);
  }

  // Least squares over the value at each observation date of the 12 months up to now,
  // projected to the deadline; with fewer than two points the projection is the value.
  void project(const model::Rule& rule, const model::Condition& cond, UnitIndex unit,
               std::span<const UsedPoint> lhs_used, RuleResult& r) {
    const Date from = model::subtract(at_, {12, model::Duration::Unit::month});
    std::vector<std::pair<Date, double>> points;
    for (Date d : observation_dates(lhs_used, from, at_, /*include_from=*/false)) {
      const Val v = expr(cond.lhs, unit, d, nullptr);
      if (v.ok()) points.emplace_back(d, v.v);
    }
    const double days_left = static_cast<double>((rule.date - at_).count());
    if (points.size() < 2) {
      r.projected = r.value;
    } else {
      double mean_x = 0, mean_y = 0;
      for (const auto& [d, v] : points) {
        mean_x += static_cast<double>(d.time_since_epoch().count());
        mean_y += v;
      }
      const auto n = static_cast<double>(points.size());
      mean_x /= n;
      mean_y /= n;
      double sxx = 0, sxy = 0;
      for (const auto& [d, v] : points) {
        const double dx = static_cast<double>(d.time_since_epoch().count()) - mean_x;
        sxx += dx * dx;
        sxy += dx * (v - mean_y);
      }
      const double slope = sxx > 0 ? sxy / sxx : 0;  // per day
      const double x = static_cast<double>(rule.date.time_since_epoch().count());
      r.projected = mean_y + slope * (x - mean_x);
      r.rate_observed = slope * kDaysPerMonth;
    }
    if (options_.keep_trend_points) r.trend_points = std::move(points);
    if (r.value && r.target && days_left > 0) {
      double goal = *r.target;
      if (cond.op == model::Comparator::between && r.upper && *r.value > *r.upper) goal = *r.upper;
      r.rate_needed = (goal - *r.value) / (days_left / kDaysPerMonth);
    }
  }

  // Stale when, for some indicator read, its newest observation used is older than the
  // indicator's `stale after`.
  std::string stale_reason(std::span<const UsedPoint> used) const {
    // Newest point per indicator; rules read few indicators, so a flat list will do.
    std::vector<std::pair<Index, Date>> newest;
    for (const UsedPoint& u : used) {
      auto it = std::find_if(newest.begin(), newest.end(),
                             [&](const auto& entry) { return entry.first == u.indicator; });
      if (it == newest.end()) {
        newest.emplace_back(u.indicator, u.point->end());
      } else if (u.point->end() > it->second) {
        it->second = u.point->end();
      }
    }
    for (const auto& [indicator, end] : newest) {
      const auto& stale_after = rules_.indicators[static_cast<std::size_t>(indicator)].stale_after;
      if (stale_after && model::add(end, *stale_after) < at_) {
        return fmt::format("the latest {} is from {}, older than {}", indicator_name(indicator),
                           model::to_string(end), model::to_string(*stale_after));
      }
    }
    return {};
  }

  // The newest of the points behind a value (by period end), if any.
  static std::optional<store::Point> newest_used(std::span<const UsedPoint> used) {
    std::optional<store::Point> latest;
    for (const UsedPoint& u : used) {
      if (!latest || u.point->end() > latest->end()) latest = *u.point;
    }
    return latest;
  }

  // Why a task the rule needs holds it back, naming the root cause; nullopt if none.
  std::optional<std::string> blocking(const model::Rule& rule, RuleResult& r) const {
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
        for (Index t = task.critical; t != kNone;
             t = tasks_[static_cast<std::size_t>(t)].critical) {
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
        for (Index t : r.chain)
          names += " \u2190 " + rules_.tasks[static_cast<std::size_t>(t)].name;
        why += fmt::format(" (chain: {})", names);
      }
      return why;
    }
    return std::nullopt;
  }

  // "; 33/36 commune; failing: gia_canh, ta_lai; no data: song_ray", each list cut after
  // kCoverageNamed names ("and 12 more").
  std::string coverage_text(const Coverage& c) const {
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
  static constexpr std::size_t kCoverageNamed = 10;

  // The coverage to fill while a rule's value is computed, once: the first share or count
  // met takes it (and no other does); null otherwise.
  Coverage* take_coverage(model::Scope level) const {
    Coverage* coverage = coverage_;
    coverage_ = nullptr;
    if (coverage) coverage->level = level;
    return coverage;
  }

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

// ---------------------------------------------------------------------------------------
// Tasks: a forward pass in topological order.

std::vector<TaskResult> evaluate_tasks(const model::RuleSet& rules, const store::Snapshot& snapshot,
                                       Date at) {
  std::vector<TaskResult> results(rules.tasks.size());
  for (Index t : rules.graph.task_order) {
    const model::Task& task = rules.tasks[static_cast<std::size_t>(t)];
    TaskResult& r = results[static_cast<std::size_t>(t)];
    r.task = t;
    r.due = task.due;
    for (const store::StatusEvent& event : snapshot.statuses(t)) {
      if (event.date > at) break;
      r.reported = event.status;
      r.reported_on = event.date;
      r.note = event.note >= 0 ? snapshot.text(event.note) : std::string();
      if (event.progress) r.progress = *event.progress;
    }
    if (task.starts) {
      r.expected_from = task.starts;
    } else if (task.due) {
      r.expected_from = task.duration ? model::subtract(*task.due, *task.duration) : *task.due;
    }
    const auto finish = [&](TaskState state, std::string reason) {
      r.state = state;
      r.reason = std::move(reason);
    };
    if (r.reported == model::TaskStatus::done) {
      r.progress = 1;
      r.earliest_finish = r.reported_on;
      if (task.due && *r.reported_on > *task.due) {
        finish(TaskState::done_late,
               fmt::format("done on {}, due {}", model::to_string(*r.reported_on),
                           model::to_string(*task.due)));
      } else {
        finish(TaskState::done, fmt::format("done on {}", model::to_string(*r.reported_on)));
      }
      continue;
    }
    if (r.reported == model::TaskStatus::cancelled) {
      finish(TaskState::cancelled,
             fmt::format("cancelled on {}", model::to_string(*r.reported_on)));
      continue;
    }
    // Earliest start: now, or when the last unfinished predecessor finishes.
    Date start = at;
    const TaskResult* blocking_predecessor = nullptr;
    for (Index p : task.after) {
      const TaskResult& pred = results[static_cast<std::size_t>(p)];
      const bool finished = pred.state == TaskState::done || pred.state == TaskState::done_late ||
                            pred.state == TaskState::cancelled;
      if (!finished && pred.earliest_finish && *pred.earliest_finish > start) {
        start = *pred.earliest_finish;
        r.critical = p;
      }
      if (!blocking_predecessor &&
          (pred.state == TaskState::overdue || pred.state == TaskState::blocked)) {
        blocking_predecessor = &pred;
      }
    }
    double remaining_days = 0;
    if (task.duration) remaining_days = model::approximate_days(*task.duration) * (1 - r.progress);
    // Whole days, rounded up; the slack keeps 100 × (1 − 0.7) = 30.000000000000004 at 30.
    r.earliest_finish =
        start + std::chrono::days{static_cast<int>(std::ceil(remaining_days - 1e-9))};

    if (task.due && at > *task.due) {
      r.root_cause = t;
      finish(TaskState::overdue, fmt::format("due {}, not done", model::to_string(*task.due)));
    } else if (r.reported == model::TaskStatus::blocked) {
      r.root_cause = t;
      finish(TaskState::blocked,
             fmt::format("reported blocked on {}", model::to_string(*r.reported_on)));
    } else if (blocking_predecessor) {
      const Index p = blocking_predecessor->task;
      r.root_cause =
          blocking_predecessor->root_cause == kNone ? p : blocking_predecessor->root_cause;
      r.chain.push_back(p);
      r.chain.insert(r.chain.end(), blocking_predecessor->chain.begin(),
                     blocking_predecessor->chain.end());
      finish(TaskState::blocked,
             fmt::format("waits for {} ({})", rules.tasks[static_cast<std::size_t>(p)].name,
                         to_string(blocking_predecessor->state)));
    } else if (!r.reported && r.expected_from && at >= *r.expected_from) {
      r.root_cause = t;
      const std::string expected = model::to_string(*r.expected_from);
      finish(TaskState::no_report,
             task.starts      ? fmt::format("no status reported; it starts {}", expected)
             : task.duration ? fmt::format("no status reported; to finish by {} it had to start "
                                           "by {} ({} of work)",
                                           model::to_string(*task.due), expected,
                                           model::to_string(*task.duration))
                             : fmt::format("no status reported by its due date {}", expected));
    } else if (task.due && *r.earliest_finish > *task.due) {
      for (Index c = r.critical; c != kNone; c = results[static_cast<std::size_t>(c)].critical) {
        r.chain.push_back(c);
      }
      r.root_cause = r.chain.empty() ? t : r.chain.back();
      finish(TaskState::at_risk,
             fmt::format("earliest finish {}, due {}", model::to_string(*r.earliest_finish),
                         model::to_string(*task.due)));
    } else if (task.due && task.warn_within && at >= model::subtract(*task.due, *task.warn_within)) {
      finish(TaskState::at_risk,
             fmt::format("due {} and not done: inside the last {} (warn within)",
                         model::to_string(*task.due), model::to_string(*task.warn_within)));
    } else {
      finish(TaskState::on_track, task.due ? fmt::format("earliest finish {}, due {}",
                                                         model::to_string(*r.earliest_finish),
                                                         model::to_string(*task.due))
                                           : std::string("no due date"));
    }
  }
  return results;
}

std::vector<PlanResult> evaluate_plans(const model::RuleSet& rules,
                                       const std::vector<TaskResult>& tasks) {
  std::vector<std::optional<TaskState>> own(rules.plans.size());
  const auto worst = [](std::optional<TaskState> a, std::optional<TaskState> b) {
    if (!a) return b;
    if (!b) return a;
    return badness(*a) >= badness(*b) ? a : b;
  };
  for (const TaskResult& task : tasks) {
    const Index plan = rules.tasks[static_cast<std::size_t>(task.task)].part_of;
    if (plan != kNone)
      own[static_cast<std::size_t>(plan)] = worst(own[static_cast<std::size_t>(plan)], task.state);
  }
  // A plan also takes the state of the plans that implement it (acyclic, so memoised
  // recursion terminates; depth is bounded by the number of plans).
  std::vector<std::vector<Index>> implementers(rules.plans.size());
  for (std::size_t p = 0; p < rules.plans.size(); ++p) {
    for (Index target : rules.plans[p].implements) {
      implementers[static_cast<std::size_t>(target)].push_back(static_cast<Index>(p));
    }
  }
  std::vector<PlanResult> results(rules.plans.size());
  std::vector<bool> done(rules.plans.size(), false);
  std::function<std::optional<TaskState>(Index)> state_of = [&](Index p) {
    auto& result = results[static_cast<std::size_t>(p)];
    if (done[static_cast<std::size_t>(p)]) return result.state;
    done[static_cast<std::size_t>(p)] = true;
    result.plan = p;
    result.state = own[static_cast<std::size_t>(p)];
    for (Index child : implementers[static_cast<std::size_t>(p)]) {
      result.state = worst(result.state, state_of(child));
    }
    return result.state;
  };
  for (std::size_t p = 0; p < rules.plans.size(); ++p) state_of(static_cast<Index>(p));
  return results;
}

}  // namespace

std::string_view to_string(RuleState state) {
  static constexpr std::string_view kNames[] = {"met",     "on_track", "at_risk",  "missed",
                                                "not_yet", "ok",       "violated", "no_data",
                                                "stale",   "blocked",  "error"};
  return kNames[static_cast<int>(state)];
}

std::string_view to_string(TaskState state) {
  static constexpr std::string_view kNames[] = {"done",      "done_late", "cancelled",
                                                "overdue",   "blocked",   "no_report",
                                                "at_risk",   "on_track"};
  return kNames[static_cast<int>(state)];
}

std::optional<RuleState> parse_rule_state(std::string_view text) {
  for (int i = 0; i <= static_cast<int>(RuleState::error); ++i) {
    if (to_string(static_cast<RuleState>(i)) == text) return static_cast<RuleState>(i);
  }
  return std::nullopt;
}

std::optional<TaskState> parse_task_state(std::string_view text) {
  for (int i = 0; i <= static_cast<int>(TaskState::on_track); ++i) {
    if (to_string(static_cast<TaskState>(i)) == text) return static_cast<TaskState>(i);
  }
  return std::nullopt;
}

int badness(TaskState state) {
  switch (state) {
    case TaskState::cancelled:
      return 0;
    case TaskState::done:
      return 1;
    case TaskState::done_late:
      return 2;
    case TaskState::on_track:
      return 3;
    case TaskState::at_risk:
      return 4;
    case TaskState::no_report:
      return 5;
    case TaskState::blocked:
      return 6;
    case TaskState::overdue:
      return 7;
  }
  return 0;
}

Results evaluate(const model::RuleSet& rules, const store::Snapshot& snapshot, model::Date at,
                 const EvaluateOptions& options) {
  Results results;
  results.at = at;
  results.tasks = evaluate_tasks(rules, snapshot, at);
  results.plans = evaluate_plans(rules, results.tasks);
  // Every result's place is known up front, so the rules split into contiguous blocks
  // that threads fill in place, with no locking and the same order as one thread.
  const std::size_t rule_count = rules.rules.size();
  std::vector<std::size_t> offset(rule_count + 1, 0);
  {
    RuleEvaluator counter(rules, snapshot, results.tasks, at, options);
    for (std::size_t i = 0; i < rule_count; ++i) {
      offset[i + 1] = offset[i] + counter.result_count(static_cast<Index>(i));
    }
  }
  results.rules.resize(offset[rule_count]);
  const auto evaluate_block = [&](std::size_t first, std::size_t last) {
    RuleEvaluator evaluator(rules, snapshot, results.tasks, at, options);
    for (std::size_t i = first; i < last; ++i) {
      evaluator.evaluate_rule(static_cast<Index>(i), results.rules.data() + offset[i]);
    }
  };
  // Blocks of about equal result counts. Left to itself it uses every core, but one
  // thread per few thousand results at most: below that threads cost more than they save.
  const std::size_t automatic = std::min<std::size_t>(
      std::max(1u, std::thread::hardware_concurrency()), offset[rule_count] / 4096 + 1);
  const auto threads = static_cast<unsigned>(std::clamp<std::size_t>(
      options.threads != 0 ? options.threads : automatic, 1, std::max<std::size_t>(rule_count, 1)));
  if (threads <= 1) {
    evaluate_block(0, rule_count);
    return results;
  }
  std::vector<std::size_t> bounds{0};
  for (unsigned t = 1; t < threads; ++t) {
    const std::size_t goal = offset[rule_count] * t / threads;
    bounds.push_back(static_cast<std::size_t>(
        std::lower_bound(offset.begin() + static_cast<std::ptrdiff_t>(bounds.back()),
                         offset.end() - 1, goal) -
        offset.begin()));
  }
  bounds.push_back(rule_count);
  {
    std::vector<std::jthread> workers;
    for (unsigned t = 1; t < threads; ++t) {
      workers.emplace_back(evaluate_block, bounds[t], bounds[t + 1]);
    }
    evaluate_block(bounds[0], bounds[1]);
  }
  return results;
}

std::span<const RuleResult> results_of(const Results& results, model::Index rule) {
  const auto [first, last] = std::equal_range(
      results.rules.begin(), results.rules.end(), rule, [](const auto& a, const auto& b) {
        if constexpr (std::is_same_v<std::decay_t<decltype(a)>, RuleResult>) {
          return a.rule < b;
        } else {
          return a < b.rule;
        }
      });
  return {first, last};
}

}  // namespace tiendo::eval

// Over time: the observation dates behind a value, the least-squares projection to a
// deadline and staleness.

#include <algorithm>

#include "eval/rule_evaluator.hpp"

namespace tiendo::eval::detail {

// Distinct period ends of the series behind `used`, in (from, to] (or [from, to]).
std::vector<Date> RuleEvaluator::observation_dates(std::span<const UsedPoint> used, Date from,
                                                   Date to, bool include_from) const {
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

// Least squares over the value at each observation date of the 12 months up to now,
// projected to the deadline; with fewer than two points the projection is the value.
void RuleEvaluator::project(const model::Rule& rule, const model::Condition& cond, UnitIndex unit,
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
  if (options_.keep_trend_points && !points.empty()) r.more.make().trend_points = std::move(points);
  if (r.value && r.target && days_left > 0) {
    double goal = *r.target;
    if (cond.op == model::Comparator::between && r.upper && *r.value > *r.upper) goal = *r.upper;
    r.rate_needed = (goal - *r.value) / (days_left / kDaysPerMonth);
  }
}

// Stale when, for some indicator read, its newest observation used is older than the
// indicator's `stale after`: the first such indicator is the one the reason names.
void RuleEvaluator::find_stale(std::span<const UsedPoint> used, Reason& reason) const {
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
      reason.stale = true;
      reason.stale_indicator = indicator;
      reason.stale_newest = end;
      return;
    }
  }
}

// The newest of the points behind a value (by period end), if any.
std::optional<store::Point> RuleEvaluator::newest_used(std::span<const UsedPoint> used) {
  std::optional<store::Point> latest;
  for (const UsedPoint& u : used) {
    if (!latest || u.point->end() > latest->end()) latest = *u.point;
  }
  return latest;
}

}  // namespace tiendo::eval::detail

namespace tiendo::eval::detail {

bool RuleEvaluator::evaluates_at(Index rule_index, UnitIndex unit) const {
  const std::span<const UnitIndex> units = units_of(in_force(rule_index));
  return std::find(units.begin(), units.end(), unit) != units.end();
}

// The verdict, then the left-hand side at every observation date of the series it reads
// (those it reads now: a share's members, an indicator at the unit), and the target as
// each version states it.
TargetCourse RuleEvaluator::course(Index rule_index, UnitIndex unit, std::size_t max_points) {
  TargetCourse c;
  c.result = evaluate_at(rule_index, unit);
  const model::Rule& rule = in_force(rule_index);
  const model::Condition& cond = rules_.conditions[static_cast<std::size_t>(rule.condition)];
  std::vector<UsedPoint> used;
  expr(cond.lhs, unit, at_, &used);
  // From the supported years' start: every observation up to the date.
  const Date since = std::chrono::year(1900) / 1 / 1;
  std::vector<Date> dates = observation_dates(used, since, at_, /*include_from=*/true);
  if (dates.size() > max_points) {
    dates.erase(dates.begin(), dates.end() - static_cast<std::ptrdiff_t>(max_points));
  }
  for (Date d : dates) {
    std::vector<UsedPoint> behind;
    const Val v = expr(cond.lhs, unit, d, &behind);
    if (!v.ok()) continue;
    CoursePoint point;
    point.date = d;
    point.value = v.v;
    point.estimate = std::any_of(behind.begin(), behind.end(), [&](const UsedPoint& u) {
      return u.point && snapshot_.estimate(*u.point);
    });
    c.points.push_back(point);
  }
  const std::size_t versions = rules_.rules[static_cast<std::size_t>(rule_index)].amendments.size();
  for (std::size_t v = 0; v <= versions; ++v) {
    const auto version = static_cast<std::int32_t>(v);
    const model::Rule& stated = rules_.version(rule_index, version);
    const model::Condition& stated_cond =
        rules_.conditions[static_cast<std::size_t>(stated.condition)];
    TargetStep step;
    step.version = version;
    step.from = rules_.in_force_from(rule_index, version)
                    .value_or(c.points.empty() ? at_ : c.points.front().date);
    // Its target as the data stands on the date (a target is most often a constant).
    const Val rhs = expr(stated_cond.rhs, unit, at_, nullptr);
    if (rhs.ok()) step.target = rhs.v;
    if (stated_cond.op == model::Comparator::between) {
      const Val upper = expr(stated_cond.upper, unit, at_, nullptr);
      if (upper.ok()) step.upper = upper.v;
    }
    if (stated.timing != model::Timing::none) step.deadline = stated.date;
    c.targets.push_back(step);
  }
  const auto& trend = c.result.trend_points();
  if (trend.size() >= 2 && c.result.projected && c.result.rate_observed && c.result.deadline) {
    const Date first = trend.front().first;
    const double days = static_cast<double>((*c.result.deadline - first).count());
    c.fit_from = first;
    c.fit_from_value = *c.result.projected - *c.result.rate_observed / kDaysPerMonth * days;
  }
  return c;
}

}  // namespace tiendo::eval::detail

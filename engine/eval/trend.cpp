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

// A rule's figures over time as pictures: an SVG trend chart for the pages and the printed
// report (is the target slipping?), and a sparkline for a terminal's table.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <vector>

#include "eval/evaluate.hpp"
#include "model/calendar.hpp"
#include "model/rule_set.hpp"

namespace tiendo::present {

// One observation; an estimate is drawn hollow, since the committee reads it as less sure.
struct ChartPoint {
  model::Date date;
  double value = 0;
  bool estimate = false;
};

// The target in force from `from` on: a rule's own require, then each amendment, so the
// chart draws it as a step line. `upper` is the upper bound of a `between`.
struct TargetStep {
  model::Date from;
  double value = 0;
  std::optional<double> upper;
};

struct TrendChart {
  // Unique in the page: the ids of the svg's title and description derive from it.
  std::string id;
  // The accessible name, e.g. the rule's title and the unit.
  std::string title;
  // The observations; drawn by date (sorted here), non-finite values left out.
  std::vector<ChartPoint> points;
  // By `from`; empty when the target is not a number.
  std::vector<TargetStep> targets;
  // What meeting the target means; the target's labels carry its symbol ("≥ 50%").
  model::Comparator op = model::Comparator::ge;
  std::optional<model::Date> deadline;
  // The evaluation date, marked "Hôm nay" / "Today".
  model::Date at;
  // The least-squares fit, drawn from (fit_from, fit_from_value) to (deadline, projected).
  std::optional<model::Date> fit_from;
  std::optional<double> fit_from_value;
  std::optional<double> projected;
  // Per month: drawn from the last observation to the target in force at the deadline.
  std::optional<double> rate_needed;
  // Values are fractions (0.5) shown as percents ("50%"); rates in percentage points.
  bool percent = false;
  model::Language language = model::Language::vi;
};

// An inline <svg> of the chart, about 640×260 in its own units and as wide as its box, or
// "" when fewer than two points have a finite value (or the values span more than a
// double holds). It holds no script, no style sheet, no class and no external reference —
// presentation attributes only — because the pages' Content-Security-Policy is
// "default-src 'none'; style-src 'unsafe-inline'; img-src data:" and the report is printed
// from the same markup. Its title and description (the observations, the target, the
// deadline, the projection and the rate needed in words) name it for a screen reader;
// every line style is named in a legend as well, so colour is never the only sign.
// Coordinates have one decimal and nothing depends on the locale or the clock: the same
// chart gives the same bytes.
std::string trend_svg(const TrendChart& chart);

// The chart of a target's course (eval::target_course), evaluated at `at`: its observations,
// the target of each version from the date it is in force, the deadline of the version
// in force, the fit to the projection and the rate still needed.
TrendChart course_chart(const model::RuleSet& rules, const eval::TargetCourse& course,
                        std::string id, std::string title, model::Date at,
                        model::Language language);

// The series in one line of ▁▂▃▄▅▆▇█, lowest to highest; a flat series is all ▄, a
// non-finite value a space, no values "".
std::string sparkline(std::span<const double> values);

}  // namespace tiendo::present

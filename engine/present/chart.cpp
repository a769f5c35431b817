#include "present/chart.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "present/format.hpp"
#include "present/markup.hpp"
#include "util/text.hpp"

namespace tiendo::present {

namespace {

struct Words {
  // The legend.
  std::string_view observed;
  std::string_view estimate;
  std::string_view target;
  std::string_view projection;
  std::string_view rate_needed;
  // The labels of the vertical lines and of the rate's line.
  std::string_view deadline;
  std::string_view today;
  std::string_view needs;
  // The description: "12 số liệu từ … đến …, mới nhất …".
  std::string_view observations_from;
  std::string_view to;
  std::string_view latest;
  std::string_view from;
  std::string_view deadline_in_sentence;
  std::string_view projected;
};

constexpr Words kVietnamese{"Số liệu",  "Ước tính", "Chỉ tiêu", "Dự báo",        "Tốc độ cần",
                            "Hạn",      "Hôm nay",  "cần",      "số liệu từ",    "đến",
                            "mới nhất", "từ",       "hạn",      "Dự báo đến hạn"};
constexpr Words kEnglish{"Observed",
                         "Estimate",
                         "Target",
                         "Projection",
                         "Rate needed",
                         "Deadline",
                         "Today",
                         "needs",
                         "observations from",
                         "to",
                         "latest",
                         "from",
                         "deadline",
                         "Projected at the deadline"};

const Words& words(Language language) { return language == Language::en ? kEnglish : kVietnamese; }

// The dashboard's palette; every colour that writes text has a contrast of at least
// 4.5:1 against white (ink 16:1, blue 8.6:1, red 6.5:1, grey 5.9:1, amber 5.6:1).
constexpr std::string_view kInk = "#1b1f24";
constexpr std::string_view kBlue = "#1f4e79";
constexpr std::string_view kRed = "#b3261e";
constexpr std::string_view kGrey = "#5f6670";
constexpr std::string_view kAmber = "#9a5b00";
constexpr std::string_view kGrid = "#e3e6ea";

// Each series has its own dash as well as its own colour: the printed report may be
// black and white, and some readers do not tell red from green.
struct Stroke {
  std::string_view colour;
  double width = 1;
  std::string_view dash;
};
constexpr Stroke kObservedStroke{kBlue, 2, ""};
constexpr Stroke kTargetStroke{kRed, 1.5, "6 4"};
constexpr Stroke kProjectionStroke{kBlue, 1.5, "1 4"};
constexpr Stroke kRateStroke{kAmber, 1.5, "8 3 2 3"};

// The chart's own units. Its width is fixed so that the font keeps its size relative to
// the plot whatever the box: at 358 px (a phone) a label of 13 units is about 7 px high,
// the least that stays legible, so there are few of them rather than small ones.
constexpr double kWidth = 640;
constexpr double kFont = 13;
// An estimate of a label's width per character, for layout only (digits of a sans-serif
// font are about 0.6 em wide; letters of Vietnamese average about the same).
constexpr double kCharWidth = 0.6 * kFont;
// The baseline of a label that hangs under a line.
constexpr double kBelow = kFont + 3;
constexpr double kLegendRow = 18;
constexpr double kPlotHeight = 190;
// Room right of the plot for the projection's value at the deadline, at least.
constexpr double kRightMargin = 56;
constexpr double kPointRadius = 3.5;
// The least space between two date labels on the x axis.
constexpr double kDateTickSpacing = 110;

// One decimal, "-0.0" written "0.0": the output is compared byte for byte.
std::string coord(double v) {
  double rounded = std::round(v * 10) / 10;
  if (rounded == 0) rounded = 0;
  return fmt::format("{:.1f}", rounded);
}

double text_width(std::string_view text) {
  return static_cast<double>(util::count_code_points(text)) * kCharWidth;
}

double day_number(model::Date date) { return static_cast<double>(date.time_since_epoch().count()); }

// A value as the rule's figures read; a tiny one keeps its significant digits rather than
// rounding to "0".
std::string value_text(double value, bool percent, Language language) {
  const double shown = percent ? value * 100 : value;
  if (shown != 0 && std::abs(shown) < 0.01) {
    return format_exact_number(shown, language) + (percent ? "%" : "");
  }
  return percent ? format_percent(value, language) : format_number(value, language);
}

std::string stroke_attributes(const Stroke& stroke) {
  std::string out = fmt::format(" stroke=\"{}\" stroke-width=\"{}\"", stroke.colour, stroke.width);
  if (!stroke.dash.empty()) out += fmt::format(" stroke-dasharray=\"{}\"", stroke.dash);
  return out;
}

// A label; over the plot it gets a white outline so that a line under it does not cut it.
std::string text_element(double x, double y, std::string_view anchor, std::string_view colour,
                         std::string_view text, bool halo) {
  return fmt::format(
      "<text x=\"{}\" y=\"{}\"{} fill=\"{}\"{}>{}</text>\n", coord(x), coord(y),
      anchor == "start" ? "" : fmt::format(" text-anchor=\"{}\"", anchor), colour,
      halo ? " stroke=\"#fff\" stroke-width=\"3\" stroke-linejoin=\"round\" paint-order=\"stroke\""
           : "",
      html_escape(text));
}

struct Box {
  double left = 0;
  double right = 0;
  double top = 0;
  double bottom = 0;
};

struct Segment {
  double x1 = 0;
  double y1 = 0;
  double x2 = 0;
  double y2 = 0;
};

// The part of a segment inside the box (Liang–Barsky), in the chart's units; nullopt when
// none is: nothing is ever drawn outside the plot.
std::optional<Segment> clip(Segment s, const Box& box) {
  const double dx = s.x2 - s.x1;
  const double dy = s.y2 - s.y1;
  double t0 = 0;
  double t1 = 1;
  const std::array<std::pair<double, double>, 4> edges = {
      std::pair{-dx, s.x1 - box.left}, std::pair{dx, box.right - s.x1},
      std::pair{-dy, s.y1 - box.top}, std::pair{dy, box.bottom - s.y1}};
  for (const auto& [p, q] : edges) {
    if (p == 0) {
      if (q < 0) return std::nullopt;
      continue;
    }
    const double t = q / p;
    if (p < 0) {
      t0 = std::max(t0, t);
    } else {
      t1 = std::min(t1, t);
    }
  }
  if (t0 > t1) return std::nullopt;
  return Segment{s.x1 + t0 * dx, s.y1 + t0 * dy, s.x1 + t1 * dx, s.y1 + t1 * dy};
}

// A y axis of 1, 2 or 5 × 10^k steps, at most six ticks, covering [lo, hi].
struct ValueAxis {
  double lo = 0;
  double hi = 0;
  double step = 0;
  long long first = 0;  // lo = first × step
  int ticks = 0;
};

std::optional<ValueAxis> value_axis(double lo, double hi, bool percent) {
  const double magnitude = std::max(std::abs(lo), std::abs(hi));
  if (hi - lo <= magnitude * 1e-12) {
    // A flat series: give it a height, without going below zero for values that never do.
    const double height = magnitude > 0 ? magnitude * 0.2 : (percent ? 0.1 : 1);
    const double centre = lo;
    lo = centre - height / 2;
    if (centre >= 0 && lo < 0) lo = 0;
    hi = lo + height;
  }
  if (!std::isfinite(hi - lo)) return std::nullopt;
  const int exponent = static_cast<int>(std::floor(std::log10((hi - lo) / 6)));
  for (int e = exponent; e <= exponent + 2; ++e) {
    for (const double mantissa : {1.0, 2.0, 5.0}) {
      const double step = mantissa * std::pow(10.0, e);
      // A value on a tick stays on it though the division lands a hair off (0.3 / 0.1).
      const double first = std::floor(lo / step + 1e-9);
      const double last = std::ceil(hi / step - 1e-9);
      if (!std::isfinite(step) || std::abs(first) > 1e15 || std::abs(last) > 1e15) {
        return std::nullopt;
      }
      if (last - first <= 5) {
        return ValueAxis{first * step, last * step, step, static_cast<long long>(first),
                         static_cast<int>(last - first) + 1};
      }
    }
  }
  return std::nullopt;
}

// The dates of the x axis: the first of a month every 1, 2, 3, 6 months or 1, 2, 5, 10,
// 20, 50 years, or every 1, 2, 7, 14 days for a short range; the finest step that leaves
// kDateTickSpacing between labels.
std::vector<model::Date> date_ticks(double x0, double x1, std::size_t most) {
  constexpr std::array<int, 4> kDays = {1, 2, 7, 14};
  constexpr std::array<int, 10> kMonths = {1, 2, 3, 6, 12, 24, 60, 120, 240, 600};
  std::vector<model::Date> ticks;
  for (const int days : kDays) {
    ticks.clear();
    for (double d = std::ceil(x0 / days) * days; d <= x1 && ticks.size() <= most; d += days) {
      ticks.push_back(model::Date{std::chrono::days{static_cast<int>(d)}});
    }
    if (ticks.size() <= most) return ticks;
  }
  const std::chrono::year_month_day start{model::Date{std::chrono::days{static_cast<int>(x0)}}};
  const int start_month = static_cast<int>(start.year()) * 12 +
                          static_cast<int>(static_cast<unsigned>(start.month())) - 1 +
                          (static_cast<unsigned>(start.day()) > 1 ? 1 : 0);
  for (const int months : kMonths) {
    ticks.clear();
    for (int m = (start_month + months - 1) / months * months; ticks.size() <= most; m += months) {
      const model::Date date{std::chrono::year_month_day{
          std::chrono::year{m / 12}, std::chrono::month{static_cast<unsigned>(m % 12 + 1)},
          std::chrono::day{1}}};
      if (day_number(date) > x1) break;
      ticks.push_back(date);
    }
    if (ticks.size() <= most) return ticks;
  }
  return ticks;
}

// One step of the target as drawn: from `x0` to `x1` in days, clamped to the chart's range.
struct VisibleStep {
  double x0 = 0;
  double x1 = 0;
  double value = 0;
  std::optional<double> upper;
};

std::string target_label(double value, model::Comparator op, bool percent, Language language) {
  const std::string_view symbol = comparator_symbol(op);
  return (symbol.empty() ? "" : std::string(symbol) + " ") + value_text(value, percent, language);
}

// The target as the description says it: "≥ 50%", "80% – 100%".
std::string target_text(const TargetStep& step, model::Comparator op, bool percent,
                        Language language) {
  if (op == model::Comparator::between && step.upper) {
    return value_text(step.value, percent, language) + " – " +
           value_text(*step.upper, percent, language);
  }
  return target_label(step.value, op, percent, language);
}

// Where a label may go: its anchor point and which end of the text is there.
struct Place {
  double x = 0;
  double y = 0;
  std::string_view anchor;
};

// The labels over the plot, each put in the first of its places where it crosses no line
// drawn and no label put before it (else in the first that fits, its white outline
// keeping it legible): the committee reads the figures off the chart, on a phone as well,
// so they must not sit on each other.
class Labels {
 public:
  explicit Labels(Box area) : area_(area) {}

  void line(const Segment& segment) { lines_.push_back(segment); }

  void add(const std::vector<Place>& places, std::string_view colour, std::string_view text,
           bool halo) {
    if (places.empty()) return;
    const double width = text_width(text);
    // The first free place, else the first inside the area, else the first.
    const Place* chosen = nullptr;
    for (const Place& place : places) {
      if (free(box(place, width))) {
        chosen = &place;
        break;
      }
    }
    for (const Place& place : places) {
      if (chosen == nullptr && inside(box(place, width))) chosen = &place;
    }
    if (chosen == nullptr) chosen = &places.front();
    boxes_.push_back(box(*chosen, width));
    svg_ += text_element(chosen->x, chosen->y, chosen->anchor, colour, text, halo);
  }

  const std::string& svg() const { return svg_; }

 private:
  // A line of text: its capitals and accents above the baseline, its descenders below.
  static Box box(const Place& place, double width) {
    const double left = place.anchor == "start"    ? place.x
                        : place.anchor == "middle" ? place.x - width / 2
                                                   : place.x - width;
    return Box{left - 1, left + width + 1, place.y - 0.85 * kFont, place.y + 0.3 * kFont};
  }

  bool inside(const Box& b) const {
    return b.left >= area_.left && b.right <= area_.right && b.top >= area_.top &&
           b.bottom <= area_.bottom;
  }

  bool free(const Box& b) const {
    if (!inside(b)) return false;
    for (const Box& other : boxes_) {
      if (b.left < other.right && other.left < b.right && b.top < other.bottom &&
          other.top < b.bottom) {
        return false;
      }
    }
    return std::none_of(lines_.begin(), lines_.end(),
                        [&](const Segment& s) { return clip(s, b).has_value(); });
  }

  Box area_;
  std::vector<Segment> lines_;
  std::vector<Box> boxes_;
  std::string svg_;
};

struct LegendItem {
  // The observations' sample is a line with a point, an estimate's a hollow point alone.
  enum class Kind { observed, line, hollow_point } kind = Kind::line;
  Stroke stroke;
  std::string_view name;
};

// What the picture shows, in words, for a screen reader and for whoever cannot see the
// colours: the observations, the latest, the target's versions, the deadline, the
// projection and the rate still needed.
std::string description(const TrendChart& chart, const std::vector<ChartPoint>& points,
                        const std::vector<TargetStep>& targets) {
  const Language language = chart.language;
  const Words& w = words(language);
  const bool percent = chart.percent;
  const ChartPoint& last = points.back();
  std::string desc = fmt::format("{} {} {} {} {}, {} ", points.size(), w.observations_from,
                                 format_date(points.front().date, language), w.to,
                                 format_date(last.date, language), w.latest);
  const std::string latest = value_text(last.value, percent, language);
  desc += last.estimate ? format_estimate(latest, language) : latest;
  desc += ".";
  if (!targets.empty()) {
    desc += fmt::format(" {} ", w.target);
    for (std::size_t i = 0; i < targets.size(); ++i) {
      if (i > 0) desc += ", ";
      desc += target_text(targets[i], chart.op, percent, language);
      if (targets.size() > 1) {
        desc += fmt::format(" {} {}", w.from, format_date(targets[i].from, language));
      }
    }
    if (chart.deadline) {
      desc +=
          fmt::format(", {} {}", w.deadline_in_sentence, format_date(*chart.deadline, language));
    }
    desc += ".";
  } else if (chart.deadline) {
    desc += fmt::format(" {} {}.", w.deadline, format_date(*chart.deadline, language));
  }
  if (chart.projected && chart.deadline && std::isfinite(*chart.projected)) {
    desc += fmt::format(" {}: {}.", w.projected, value_text(*chart.projected, percent, language));
  }
  if (chart.rate_needed && std::isfinite(*chart.rate_needed)) {
    desc += fmt::format(" {}: {}.", w.rate_needed,
                        format_signed_rate(*chart.rate_needed, percent, language));
  }
  return desc;
}

}  // namespace

std::string trend_svg(const TrendChart& chart) {
  const Language language = chart.language;
  const Words& w = words(language);
  const bool percent = chart.percent;

  std::vector<ChartPoint> points;
  for (const ChartPoint& p : chart.points) {
    if (std::isfinite(p.value)) points.push_back(p);
  }
  if (points.size() < 2) return "";
  std::stable_sort(points.begin(), points.end(),
                   [](const ChartPoint& a, const ChartPoint& b) { return a.date < b.date; });
  const ChartPoint& last = points.back();

  // The dates: from the first observation to the deadline, today or the last observation,
  // whichever is latest; a single date gets a month around it.
  double x0 = day_number(points.front().date);
  double x1 = std::max(day_number(last.date), day_number(chart.at));
  if (chart.deadline) x1 = std::max(x1, day_number(*chart.deadline));
  if (x1 - x0 < 1) {
    x0 -= 15;
    x1 += 15;
  }
  const auto in_dates = [&](double d) { return d >= x0 && d <= x1; };

  // The target's steps that fall in the range: each from its date (or the start) to the
  // next one's (or the end).
  std::vector<TargetStep> targets;
  for (const TargetStep& t : chart.targets) {
    if (std::isfinite(t.value) && (!t.upper || std::isfinite(*t.upper))) targets.push_back(t);
  }
  std::stable_sort(targets.begin(), targets.end(),
                   [](const TargetStep& a, const TargetStep& b) { return a.from < b.from; });
  std::vector<VisibleStep> steps;
  for (std::size_t i = 0; i < targets.size(); ++i) {
    const double start = std::max(day_number(targets[i].from), x0);
    const double end = std::min(i + 1 < targets.size() ? day_number(targets[i + 1].from) : x1, x1);
    if (start < end) {
      steps.push_back(VisibleStep{start, end, targets[i].value, targets[i].upper});
    }
  }
  const bool between = chart.op == model::Comparator::between;

  // The target in force at the deadline, the end of the rate still needed.
  std::optional<double> deadline_target;
  if (chart.deadline) {
    for (const TargetStep& t : targets) {
      if (t.from > *chart.deadline) break;
      deadline_target = between && t.upper && last.value > *t.upper ? *t.upper : t.value;
    }
  }

  // The projection, cut where it leaves the range of dates.
  std::optional<Segment> projection;  // in days and values
  if (chart.fit_from && chart.fit_from_value && chart.projected && chart.deadline &&
      std::isfinite(*chart.fit_from_value) && std::isfinite(*chart.projected) &&
      *chart.fit_from < *chart.deadline) {
    const Segment line{day_number(*chart.fit_from), *chart.fit_from_value,
                       day_number(*chart.deadline), *chart.projected};
    projection = clip(line, Box{x0, x1, -HUGE_VAL, HUGE_VAL});
  }
  std::optional<Segment> rate_line;
  if (chart.rate_needed && std::isfinite(*chart.rate_needed) && deadline_target &&
      *chart.deadline > last.date) {
    rate_line =
        Segment{day_number(last.date), last.value, day_number(*chart.deadline), *deadline_target};
  }

  // The values: the observations, the targets shown and the projection.
  double lo = points.front().value;
  double hi = lo;
  const auto cover = [&](double v) {
    lo = std::min(lo, v);
    hi = std::max(hi, v);
  };
  for (const ChartPoint& p : points) cover(p.value);
  for (const VisibleStep& s : steps) {
    cover(s.value);
    if (s.upper) cover(*s.upper);
  }
  if (projection) {
    cover(projection->y1);
    cover(projection->y2);
  }
  if (rate_line) {
    // Room for the rate's label beyond the target it aims at: about a line of text.
    const double room = (hi - lo) * 0.12;
    cover(rate_line->y2 + (rate_line->y2 >= rate_line->y1 ? room : -room));
  }
  const std::optional<ValueAxis> axis = value_axis(lo, hi, percent);
  if (!axis) return "";
  std::vector<std::string> tick_labels;
  double widest_tick = 0;
  for (int i = 0; i < axis->ticks; ++i) {
    const double value = static_cast<double>(axis->first + i) * axis->step;
    tick_labels.push_back(value_text(value, percent, language));
    widest_tick = std::max(widest_tick, text_width(tick_labels.back()));
  }

  // The legend: every series drawn, by its line and its name, flowing over as many rows as
  // its names need in the chart's language.
  std::vector<LegendItem> legend;
  legend.push_back(LegendItem{LegendItem::Kind::observed, kObservedStroke, w.observed});
  if (std::any_of(points.begin(), points.end(), [](const ChartPoint& p) { return p.estimate; })) {
    legend.push_back(LegendItem{LegendItem::Kind::hollow_point, kObservedStroke, w.estimate});
  }
  if (!steps.empty()) legend.push_back(LegendItem{LegendItem::Kind::line, kTargetStroke, w.target});
  if (projection) {
    legend.push_back(LegendItem{LegendItem::Kind::line, kProjectionStroke, w.projection});
  }
  if (rate_line) legend.push_back(LegendItem{LegendItem::Kind::line, kRateStroke, w.rate_needed});
  constexpr double kSample = 24;
  std::string legend_svg;
  double legend_x = 8;
  int legend_rows = 1;
  for (const LegendItem& item : legend) {
    const double width = kSample + 6 + text_width(item.name);
    if (legend_x > 8 && legend_x + width > kWidth - 8) {
      legend_x = 8;
      ++legend_rows;
    }
    const double y = 14 + kLegendRow * (legend_rows - 1);
    const double mid = y - 4;
    if (item.kind != LegendItem::Kind::hollow_point) {
      legend_svg += fmt::format("<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\"{}/>\n",
                                coord(legend_x), coord(mid), coord(legend_x + kSample), coord(mid),
                                stroke_attributes(item.stroke));
    }
    if (item.kind != LegendItem::Kind::line) {
      legend_svg += fmt::format(
          "<circle cx=\"{}\" cy=\"{}\" r=\"{}\" fill=\"{}\" stroke=\"{}\" stroke-width=\"1.5\"/>\n",
          coord(legend_x + kSample / 2), coord(mid), kPointRadius,
          item.kind == LegendItem::Kind::hollow_point ? "#fff" : kBlue, kBlue);
    }
    legend_svg += text_element(legend_x + kSample + 6, y, "start", kInk, item.name, false);
    legend_x += width + 16;
  }

  const double plot_top = kLegendRow * legend_rows + 22;
  // The projection's value at the deadline goes right of the plot, which leaves it room.
  const std::string projected_text =
      projection ? value_text(*chart.projected, percent, language) : std::string();
  const double right_margin = std::max(kRightMargin, text_width(projected_text) + 12);
  const Box plot{std::max(40.0, widest_tick + 14), kWidth - right_margin, plot_top,
                 plot_top + kPlotHeight};
  const double height = plot.bottom + 30;
  const auto px = [&](double day) {
    return plot.left + (day - x0) / (x1 - x0) * (plot.right - plot.left);
  };
  const auto py = [&](double value) {
    return plot.bottom - (value - axis->lo) / (axis->hi - axis->lo) * (plot.bottom - plot.top);
  };
  const auto to_plot = [&](const Segment& s) {
    return Segment{px(s.x1), py(s.y1), px(s.x2), py(s.y2)};
  };

  const std::string id = html_escape(chart.id);
  std::string out = fmt::format(
      // No xmlns: an HTML parser puts an inline <svg> in the SVG namespace itself, and the
      // pages and the report name no address but their own.
      "<svg role=\"img\" aria-labelledby=\"{0}-t {0}-d\" "
      "viewBox=\"0 0 {1} {2}\" width=\"100%\" font-family=\"system-ui, 'Segoe UI', Roboto, "
      "'DejaVu Sans', Arial, sans-serif\" font-size=\"{3}\">\n",
      id, kWidth, height, kFont);
  out += fmt::format("<title id=\"{}-t\">{}</title>\n", id, html_escape(chart.title));

  const std::string desc = description(chart, points, targets);
  out += fmt::format("<desc id=\"{}-d\">{}</desc>\n", id, html_escape(desc));

  // The value axis: a light rule at each tick, its value on the left.
  out += "<g data-series=\"value-axis\">\n";
  for (int i = 0; i < axis->ticks; ++i) {
    const double y = py(static_cast<double>(axis->first + i) * axis->step);
    out += fmt::format("<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"{}\"/>\n",
                       coord(plot.left), coord(y), coord(plot.right), coord(y), kGrid);
    out += text_element(plot.left - 6, y + 4, "end", kGrey,
                        tick_labels[static_cast<std::size_t>(i)], false);
  }
  out += "</g>\n";

  // The date axis: a base line, a tick and a date at each; the end labels kept inside.
  out += "<g data-series=\"date-axis\">\n";
  out += fmt::format("<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"{}\"/>\n",
                     coord(plot.left), coord(plot.bottom), coord(plot.right), coord(plot.bottom),
                     kGrey);
  const auto most_ticks = static_cast<std::size_t>(
      std::max(2.0, std::floor((plot.right - plot.left) / kDateTickSpacing)));
  for (const model::Date date : date_ticks(x0, x1, most_ticks)) {
    const double x = px(day_number(date));
    out += fmt::format("<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"{}\"/>\n", coord(x),
                       coord(plot.bottom), coord(x), coord(plot.bottom + 4), kGrey);
    out += text_element(x, plot.bottom + 18, "middle", kGrey, format_date(date, language), false);
  }
  out += "</g>\n";

  // Every line is drawn first; the labels come last, over them, each where it crosses
  // none (see Labels).
  Labels labels(Box{plot.left, kWidth - 2, kLegendRow * legend_rows + 1, plot.bottom});
  struct PendingLabel {
    std::vector<Place> places;
    std::string_view colour;
    std::string text;
  };
  std::vector<PendingLabel> pending;

  // The target: one step line per bound, a step at each amendment, each level labelled
  // where it starts.
  if (!steps.empty()) {
    out += "<g data-series=\"target\" fill=\"none\"" + stroke_attributes(kTargetStroke) + ">\n";
    for (const bool upper : {false, true}) {
      if (upper && !(between && steps.front().upper)) break;
      std::string path;
      double previous_y = 0;
      for (std::size_t i = 0; i < steps.size(); ++i) {
        const VisibleStep& s = steps[i];
        const double value = upper && s.upper ? *s.upper : s.value;
        const double y = py(value);
        const double start = px(s.x0);
        const double end = px(s.x1);
        path +=
            i == 0 ? fmt::format("M{} {}", coord(start), coord(y)) : fmt::format(" V{}", coord(y));
        path += fmt::format(" H{}", coord(end));
        if (i > 0) labels.line(Segment{start, previous_y, start, y});
        labels.line(Segment{start, y, end, y});
        previous_y = y;
        // Above the line, or below it for an upper bound, so the two bounds' labels part;
        // at its end when its start is taken.
        const Place above{start + 4, y - 5, "start"};
        const Place below{start + 4, y + kBelow, "start"};
        pending.push_back(PendingLabel{
            upper ? std::vector<Place>{below, above, Place{end - 4, y + kBelow, "end"}}
                  : std::vector<Place>{above, below, Place{end - 4, y - 5, "end"}},
            kRed,
            between ? target_label(value, upper ? model::Comparator::le : model::Comparator::ge,
                                   percent, language)
                    : target_label(value, chart.op, percent, language)});
      }
      out += fmt::format("<path d=\"{}\"/>\n", path);
    }
    out += "</g>\n";
  }

  // Today and the deadline: vertical lines, named above the plot; when the names would
  // meet, today's goes inside the plot.
  if (chart.deadline && in_dates(day_number(*chart.deadline))) {
    const double x = px(day_number(*chart.deadline));
    const std::string text =
        fmt::format("{} {}", w.deadline, format_date(*chart.deadline, language));
    out += fmt::format(
        "<line data-series=\"deadline\" x1=\"{0}\" y1=\"{1}\" x2=\"{0}\" y2=\"{2}\" stroke=\"{3}\" "
        "stroke-width=\"1.5\"><title>{4}</title></line>\n",
        coord(x), coord(plot.top - 4), coord(plot.bottom), kInk, html_escape(text));
    labels.line(Segment{x, plot.top - 4, x, plot.bottom});
    const bool at_end = x + text_width(text) / 2 > kWidth - 4;
    labels.add({Place{x, plot.top - 8, at_end ? "end" : "middle"}}, kInk, text, false);
  }
  if (in_dates(day_number(chart.at))) {
    const double x = px(day_number(chart.at));
    out += fmt::format(
        "<line data-series=\"today\" x1=\"{0}\" y1=\"{1}\" x2=\"{0}\" y2=\"{2}\" stroke=\"{3}\" "
        "stroke-opacity=\"0.5\"><title>{4} {5}</title></line>\n",
        coord(x), coord(plot.top), coord(plot.bottom), kGrey, html_escape(w.today),
        format_date(chart.at, language));
    labels.line(Segment{x, plot.top, x, plot.bottom});
    const bool at_end = x + text_width(w.today) / 2 > kWidth - 4;
    labels.add({Place{x, plot.top - 8, at_end ? "end" : "middle"},
                Place{x - 4, plot.top + kFont, "end"}, Place{x + 4, plot.top + kFont, "start"}},
               kGrey, w.today, false);
  }

  // The projection, its value at the deadline beside its end.
  if (projection) {
    if (const auto line = clip(to_plot(*projection), plot)) {
      out += fmt::format(
          "<line data-series=\"projection\" x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\"{} "
          "stroke-linecap=\"round\"/>\n",
          coord(line->x1), coord(line->y1), coord(line->x2), coord(line->y2),
          stroke_attributes(kProjectionStroke));
      labels.line(*line);
      if (projection->x2 == day_number(*chart.deadline)) {
        pending.push_back(PendingLabel{{Place{line->x2 + 6, line->y2 + 4, "start"},
                                        Place{line->x2 - 6, line->y2 + kBelow, "end"},
                                        Place{line->x2 - 6, line->y2 - 8, "end"}},
                                       kBlue,
                                       projected_text});
      }
    }
  }

  // The rate still needed, from the last observation to the target at the deadline.
  if (rate_line) {
    if (const auto line = clip(to_plot(*rate_line), plot)) {
      out += fmt::format(
          "<line data-series=\"rate-needed\" x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\"{}/>\n",
          coord(line->x1), coord(line->y1), coord(line->x2), coord(line->y2),
          stroke_attributes(kRateStroke));
      labels.line(*line);
      std::string text =
          fmt::format("{} {}", w.needs, format_signed_rate(*chart.rate_needed, percent, language));
      const double width = text_width(text);
      const double mid_x = (line->x1 + line->x2) / 2;
      const double mid_y = (line->y1 + line->y2) / 2;
      // How far the line rises or falls under half the label.
      const double lean = line->x2 > line->x1
                              ? std::abs(line->y2 - line->y1) / (line->x2 - line->x1) * width / 2
                              : 0;
      // Beside the target at the deadline on the side away from the observations (the value
      // axis leaves room there), else above or below the line's middle.
      const Place above_end{line->x2 - 6, line->y2 - 6, "end"};
      const Place below_end{line->x2 - 6, line->y2 + kBelow, "end"};
      const Place over{mid_x, mid_y - lean - 6, "middle"};
      const Place under{mid_x, mid_y + lean + kBelow, "middle"};
      pending.push_back(PendingLabel{line->y2 <= line->y1
                                         ? std::vector<Place>{above_end, over, under, below_end}
                                         : std::vector<Place>{below_end, under, over, above_end},
                                     kAmber, std::move(text)});
    }
  }
  // The observations: a line through them and a point at each, hollow for an estimate,
  // each with its date and value as a tooltip.
  out += "<g data-series=\"observed\">\n";
  std::string polyline;
  for (const ChartPoint& p : points) {
    if (!polyline.empty()) polyline += ' ';
    polyline += coord(px(day_number(p.date))) + "," + coord(py(p.value));
  }
  out += fmt::format("<polyline points=\"{}\" fill=\"none\"{} stroke-linejoin=\"round\"/>\n",
                     polyline, stroke_attributes(kObservedStroke));
  for (std::size_t i = 1; i < points.size(); ++i) {
    labels.line(Segment{px(day_number(points[i - 1].date)), py(points[i - 1].value),
                        px(day_number(points[i].date)), py(points[i].value)});
  }
  for (const ChartPoint& p : points) {
    const double x = px(day_number(p.date));
    const double y = py(p.value);
    if (x < plot.left - 0.05 || x > plot.right + 0.05 || y < plot.top - 0.05 ||
        y > plot.bottom + 0.05) {
      continue;
    }
    const std::string value = value_text(p.value, percent, language);
    out += fmt::format(
        "<circle cx=\"{}\" cy=\"{}\" r=\"{}\" fill=\"{}\" stroke=\"{}\" "
        "stroke-width=\"1.5\"><title>{}: {}</title></circle>\n",
        coord(x), coord(y), kPointRadius, p.estimate ? "#fff" : kBlue, kBlue,
        format_date(p.date, language),
        html_escape(p.estimate ? format_estimate(value, language) : value));
  }
  out += "</g>\n";

  for (const PendingLabel& label : pending)
    labels.add(label.places, label.colour, label.text, true);
  out += "<g data-series=\"labels\">\n" + labels.svg() + "</g>\n";
  out += "<g data-series=\"legend\">\n" + legend_svg + "</g>\n";
  out += "</svg>\n";
  return out;
}

std::string sparkline(std::span<const double> values) {
  static constexpr std::array<std::string_view, 8> kBars = {"▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"};
  double lo = HUGE_VAL;
  double hi = -HUGE_VAL;
  for (const double v : values) {
    if (!std::isfinite(v)) continue;
    lo = std::min(lo, v);
    hi = std::max(hi, v);
  }
  std::string out;
  for (const double v : values) {
    if (!std::isfinite(v)) {
      out += ' ';
    } else if (!(hi > lo)) {
      out += kBars[3];
    } else {
      // Halved first, so that the span of values near the double's limits stays finite.
      const double position = (v / 2 - lo / 2) / (hi / 2 - lo / 2);
      const auto level = static_cast<std::size_t>(std::lround(position * 7));
      out += kBars[std::min<std::size_t>(level, 7)];
    }
  }
  return out;
}

TrendChart course_chart(const model::RuleSet& rules, const eval::TargetCourse& course,
                        std::string id, std::string title, model::Date at,
                        model::Language language) {
  const eval::RuleResult& r = course.result;
  const model::Rule& version = rules.version(r.rule, r.version);
  const model::Condition& cond = rules.conditions.at(static_cast<std::size_t>(version.condition));
  TrendChart chart;
  chart.id = std::move(id);
  chart.title = std::move(title);
  for (const eval::CoursePoint& p : course.points) {
    chart.points.push_back({p.date, p.value, p.estimate});
  }
  for (const eval::TargetStep& step : course.targets) {
    if (step.target) chart.targets.push_back({step.from, *step.target, step.upper});
  }
  chart.op = cond.op;
  if (r.deadline) chart.deadline = *r.deadline;
  chart.at = at;
  if (course.fit_from && course.fit_from_value && r.projected) {
    chart.fit_from = *course.fit_from;
    chart.fit_from_value = *course.fit_from_value;
    chart.projected = *r.projected;
  }
  if (r.rate_needed) chart.rate_needed = *r.rate_needed;
  const auto lhs = static_cast<std::size_t>(cond.lhs);
  chart.percent =
      lhs < rules.expressions.size() && rules.expressions[lhs].unit == model::ValueUnit::percent;
  chart.language = language;
  return chart;
}

}  // namespace tiendo::present

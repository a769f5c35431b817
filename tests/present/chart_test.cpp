// The trend chart and the sparkline: what the committee reads off the picture (the
// observations, the target's steps, the deadline, the projection, the rate still needed),
// that it is named for a screen reader and in each language, that nothing is drawn outside
// its plot whatever the data, and that the same chart gives the same bytes.
#include "present/chart.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdio>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tiendo::present {
namespace {

using model::Language;

model::Date day(std::string_view text) {
  const auto date = model::parse_iso_date(text);
  EXPECT_TRUE(date.has_value()) << text;
  return date.value_or(model::Date{});
}

// The 15th of the month `months` after January 2024 (or the 1st).
model::Date month_day(int months, unsigned day_of_month = 15) {
  return model::Date{std::chrono::year{2024 + months / 12} /
                     std::chrono::month{static_cast<unsigned>(months % 12 + 1)} /
                     std::chrono::day{day_of_month}};
}

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

// A percent target slipping: nine monthly observations (the last an estimate) from 30% up
// to 42%, a target of 60% lowered to 50% from 15/6/2024, due 31/12/2024, evaluated
// 15/10/2024.
TrendChart slipping(Language language = Language::vi) {
  TrendChart chart;
  chart.id = "r1";
  chart.title = "Tỷ lệ hồ sơ trực tuyến (%)";
  const double values[] = {0.30, 0.31, 0.33, 0.34, 0.36, 0.37, 0.39, 0.40, 0.42};
  for (int i = 0; i < 9; ++i) {
    chart.points.push_back(ChartPoint{month_day(i), values[i], i == 8});
  }
  chart.targets = {TargetStep{day("2024-01-01"), 0.6, std::nullopt},
                   TargetStep{day("2024-06-15"), 0.5, std::nullopt}};
  chart.op = model::Comparator::ge;
  chart.deadline = day("2024-12-31");
  chart.at = day("2024-10-15");
  chart.fit_from = day("2024-01-15");
  chart.fit_from_value = 0.30;
  chart.projected = 0.4725;
  chart.rate_needed = 0.0225;
  chart.percent = true;
  chart.language = language;
  return chart;
}

// Empty when every element opened is closed, in order, under one <svg>, every attribute
// value is quoted and no text holds a raw '<' or '>'; else what is wrong.
std::string well_formed(std::string_view svg) {
  std::vector<std::string> open;
  std::size_t pos = 0;
  bool root_seen = false;
  while (pos < svg.size()) {
    const std::size_t lt = svg.find('<', pos);
    const std::string_view text =
        svg.substr(pos, lt == std::string_view::npos ? svg.npos : lt - pos);
    if (text.find('>') != std::string_view::npos) return "a raw '>' in text";
    if (open.empty() && text.find_first_not_of(" \n") != std::string_view::npos) {
      return "text outside the root";
    }
    if (lt == std::string_view::npos) break;
    const std::size_t gt = svg.find('>', lt);
    if (gt == std::string_view::npos) return "an unterminated tag";
    const std::string_view tag = svg.substr(lt + 1, gt - lt - 1);
    if (tag.find('<') != std::string_view::npos) return "a '<' inside a tag";
    if (std::count(tag.begin(), tag.end(), '"') % 2 != 0) return "an unbalanced quote";
    if (tag.starts_with('/')) {
      if (open.empty() || open.back() != tag.substr(1)) {
        return "</" + std::string(tag.substr(1)) + "> closes " +
               (open.empty() ? std::string("nothing") : open.back());
      }
      open.pop_back();
    } else {
      const std::string name(tag.substr(0, tag.find_first_of(" \n/")));
      if (open.empty() && (root_seen || name != "svg")) return "a second root or no <svg>";
      root_seen = true;
      if (!tag.ends_with('/')) open.push_back(name);
    }
    pos = gt + 1;
  }
  if (!open.empty()) return "<" + open.back() + "> left open";
  return root_seen ? "" : "no element";
}

std::size_t count(std::string_view text, std::string_view what) {
  std::size_t n = 0;
  for (std::size_t pos = text.find(what); pos != std::string_view::npos;
       pos = text.find(what, pos + what.size())) {
    ++n;
  }
  return n;
}

// The opening tag that carries data-series="series", or "".
std::string tag_of(const std::string& svg, std::string_view series) {
  const std::size_t at = svg.find("data-series=\"" + std::string(series) + "\"");
  if (at == std::string::npos) return "";
  const std::size_t lt = svg.rfind('<', at);
  return svg.substr(lt, svg.find('>', at) - lt + 1);
}

// What the group data-series="series" holds (up to its </g>), or "".
std::string group(const std::string& svg, std::string_view series) {
  const std::size_t at = svg.find("<g data-series=\"" + std::string(series) + "\"");
  if (at == std::string::npos) return "";
  return svg.substr(at, svg.find("</g>", at) - at);
}

std::optional<std::string> attribute(std::string_view tag, std::string_view name) {
  const std::string key = " " + std::string(name) + "=\"";
  const std::size_t at = tag.find(key);
  if (at == std::string_view::npos) return std::nullopt;
  const std::size_t start = at + key.size();
  return std::string(tag.substr(start, tag.find('"', start) - start));
}

double number(std::string_view tag, std::string_view name) {
  const auto value = attribute(tag, name);
  EXPECT_TRUE(value.has_value()) << name << " in " << tag;
  return value ? std::stod(*value) : kNaN;
}

// Every opening tag of the element `name` in `text`.
std::vector<std::string> tags(std::string_view text, std::string_view name) {
  std::vector<std::string> out;
  const std::string open = "<" + std::string(name) + " ";
  for (std::size_t at = text.find(open); at != std::string_view::npos;
       at = text.find(open, at + 1)) {
    out.emplace_back(text.substr(at, text.find('>', at) - at + 1));
  }
  return out;
}

struct Point {
  double x = 0;
  double y = 0;
};

// The points a path's d (M, H, V commands, absolute) passes through.
std::vector<Point> path_points(std::string_view d) {
  std::vector<Point> out;
  Point at;
  char command = 'M';
  std::size_t pos = 0;
  const auto read = [&]() {
    while (pos < d.size() && d[pos] == ' ') ++pos;
    const std::size_t start = pos;
    while (pos < d.size() &&
           (std::isdigit(static_cast<unsigned char>(d[pos])) || d[pos] == '.' || d[pos] == '-')) {
      ++pos;
    }
    return std::stod(std::string(d.substr(start, pos - start)));
  };
  while (pos < d.size()) {
    if (d[pos] == ' ') {
      ++pos;
      continue;
    }
    if (std::isalpha(static_cast<unsigned char>(d[pos]))) command = d[pos++];
    if (command == 'M') {
      at.x = read();
      at.y = read();
    } else if (command == 'H') {
      at.x = read();
    } else if (command == 'V') {
      at.y = read();
    } else {
      ADD_FAILURE() << "unexpected command " << command << " in " << d;
      break;
    }
    out.push_back(at);
  }
  return out;
}

// Every point an element of `text` draws through: lines' ends, circles' centres,
// polylines' and paths' points, texts' anchors.
std::vector<Point> drawn_points(std::string_view text) {
  std::vector<Point> out;
  for (const std::string& t : tags(text, "line")) {
    out.push_back({number(t, "x1"), number(t, "y1")});
    out.push_back({number(t, "x2"), number(t, "y2")});
  }
  for (const std::string& t : tags(text, "circle"))
    out.push_back({number(t, "cx"), number(t, "cy")});
  for (const std::string& t : tags(text, "text")) out.push_back({number(t, "x"), number(t, "y")});
  for (const std::string& t : tags(text, "path")) {
    for (const Point& p : path_points(attribute(t, "d").value_or(""))) out.push_back(p);
  }
  for (const std::string& t : tags(text, "polyline")) {
    const std::string list = attribute(t, "points").value_or("");
    std::size_t pos = 0;
    while (pos < list.size()) {
      const std::size_t comma = list.find(',', pos);
      const std::size_t space = std::min(list.find(' ', comma), list.size());
      out.push_back({std::stod(list.substr(pos, comma - pos)),
                     std::stod(list.substr(comma + 1, space - comma - 1))});
      pos = space + 1;
    }
  }
  return out;
}

struct Plot {
  double left = 0;
  double right = 0;
  double top = 0;
  double bottom = 0;
};

// The plot area, as the value axis's rules span it.
Plot plot_of(const std::string& svg) {
  Plot plot{1e9, -1e9, 1e9, -1e9};
  for (const std::string& t : tags(group(svg, "value-axis"), "line")) {
    plot.left = std::min(plot.left, number(t, "x1"));
    plot.right = std::max(plot.right, number(t, "x2"));
    plot.top = std::min(plot.top, number(t, "y1"));
    plot.bottom = std::max(plot.bottom, number(t, "y1"));
  }
  return plot;
}

struct ViewBox {
  double width = 0;
  double height = 0;
};

ViewBox view_box(const std::string& svg) {
  const std::string box = attribute(tags(svg, "svg").at(0), "viewBox").value_or("");
  double x = 0;
  double y = 0;
  ViewBox out;
  EXPECT_EQ(std::sscanf(box.c_str(), "%lf %lf %lf %lf", &x, &y, &out.width, &out.height), 4);
  EXPECT_EQ(x, 0);
  EXPECT_EQ(y, 0);
  return out;
}

// What a chart draws stays inside: the series inside the plot, everything in the viewBox.
void expect_inside(const std::string& svg) {
  const ViewBox box = view_box(svg);
  for (const Point& p : drawn_points(svg)) {
    EXPECT_GE(p.x, 0) << svg;
    EXPECT_LE(p.x, box.width) << svg;
    EXPECT_GE(p.y, 0) << svg;
    EXPECT_LE(p.y, box.height) << svg;
  }
  const Plot plot = plot_of(svg);
  ASSERT_LT(plot.left, plot.right);
  ASSERT_LT(plot.top, plot.bottom);
  std::vector<Point> series;
  for (const std::string_view name : {"observed", "target"}) {
    for (const Point& p : drawn_points(group(svg, name))) series.push_back(p);
  }
  for (const std::string_view name : {"projection", "rate-needed"}) {
    for (const Point& p : drawn_points(tag_of(svg, name))) series.push_back(p);
  }
  for (const Point& p : series) {
    EXPECT_GE(p.x, plot.left - 0.05) << svg;
    EXPECT_LE(p.x, plot.right + 0.05) << svg;
    EXPECT_GE(p.y, plot.top - 0.05) << svg;
    EXPECT_LE(p.y, plot.bottom + 0.05) << svg;
  }
  for (const std::string_view name : {"deadline", "today"}) {
    const std::string line = tag_of(svg, name);
    if (line.empty()) continue;
    EXPECT_GE(number(line, "x1"), plot.left - 0.05) << name;
    EXPECT_LE(number(line, "x1"), plot.right + 0.05) << name;
  }
}

// The text of every <text> element.
std::vector<std::string> texts(const std::string& svg) {
  std::vector<std::string> out;
  for (std::size_t at = svg.find("<text "); at != std::string::npos;
       at = svg.find("<text ", at + 1)) {
    const std::size_t start = svg.find('>', at) + 1;
    out.push_back(svg.substr(start, svg.find("</text>", start) - start));
  }
  return out;
}

bool has_text(const std::string& svg, std::string_view text) {
  const std::vector<std::string> all = texts(svg);
  return std::find(all.begin(), all.end(), text) != all.end();
}

// The value axis's labels, top to bottom.
std::vector<std::string> value_ticks(const std::string& svg) {
  return texts(group(svg, "value-axis"));
}

std::string desc_of(const std::string& svg) {
  const std::size_t start = svg.find('>', svg.find("<desc ")) + 1;
  return svg.substr(start, svg.find("</desc>") - start);
}

TEST(Chart, IsOneWellFormedSvgNamedByItsTitleAndDescription) {
  const std::string svg = trend_svg(slipping());
  ASSERT_FALSE(svg.empty());
  EXPECT_EQ(well_formed(svg), "") << svg;
  const std::string root = tags(svg, "svg").at(0);
  EXPECT_EQ(attribute(root, "role"), "img");
  EXPECT_EQ(attribute(root, "aria-labelledby"), "r1-t r1-d");
  EXPECT_EQ(attribute(root, "width"), "100%");
  EXPECT_NE(svg.find("<title id=\"r1-t\">Tỷ lệ hồ sơ trực tuyến (%)</title>"), std::string::npos);
  EXPECT_EQ(desc_of(svg),
            "9 số liệu từ 15/01/2024 đến 15/9/2024, mới nhất khoảng 42%. Chỉ tiêu ≥ 60% từ "
            "01/01/2024, ≥ 50% từ 15/6/2024, hạn 31/12/2024. Dự báo đến hạn: 47,25%. Tốc độ "
            "cần: +2,25 điểm %/tháng.");
  EXPECT_EQ(desc_of(trend_svg(slipping(Language::en))),
            "9 observations from 2024-01-15 to 2024-09-15, latest about 42%. Target ≥ 60% from "
            "2024-01-01, ≥ 50% from 2024-06-15, deadline 2024-12-31. Projected at the deadline: "
            "47.25%. Rate needed: +2.25 pp/month.");
  // Nothing the Content-Security-Policy would block or that needs a style sheet.
  for (const std::string_view banned : {"<script", "href", "class=", "<style", "url(", "<image"}) {
    EXPECT_EQ(svg.find(banned), std::string::npos) << banned;
  }
  const ViewBox box = view_box(svg);
  EXPECT_EQ(box.width, 640);
  EXPECT_GE(box.height, 240);
  EXPECT_LE(box.height, 300);
  expect_inside(svg);
}

TEST(Chart, TheIdAndTitleAreEscaped) {
  TrendChart chart = slipping();
  chart.id = "a\"b";
  chart.title = "<Tỷ lệ> & \"x\"";
  const std::string svg = trend_svg(chart);
  EXPECT_EQ(well_formed(svg), "") << svg;
  EXPECT_NE(svg.find("aria-labelledby=\"a&quot;b-t a&quot;b-d\""), std::string::npos);
  EXPECT_NE(svg.find("&lt;Tỷ lệ&gt; &amp; &quot;x&quot;</title>"), std::string::npos);
}

TEST(Chart, SameChartSameBytes) {
  EXPECT_EQ(trend_svg(slipping()), trend_svg(slipping()));
  // One decimal everywhere.
  for (const Point& p : drawn_points(trend_svg(slipping()))) {
    EXPECT_DOUBLE_EQ(std::round(p.x * 10) / 10, p.x);
    EXPECT_DOUBLE_EQ(std::round(p.y * 10) / 10, p.y);
  }
}

TEST(Chart, TargetLabelsAndLegendAreInTheChartsLanguage) {
  TrendChart chart = slipping();
  chart.percent = false;
  for (ChartPoint& p : chart.points) p.value *= 10000;
  chart.targets = {TargetStep{day("2024-01-01"), 6234.5, std::nullopt},
                   TargetStep{day("2024-06-15"), 5000, std::nullopt}};
  chart.fit_from_value = 3000;
  chart.projected = 4725;
  chart.rate_needed = 150;
  const std::string vi = trend_svg(chart);
  EXPECT_TRUE(has_text(vi, "≥ 6.234,5")) << vi;
  EXPECT_TRUE(has_text(vi, "≥ 5.000")) << vi;
  EXPECT_TRUE(has_text(vi, "4.725")) << vi;  // the projection's end
  EXPECT_TRUE(has_text(vi, "cần +150/tháng")) << vi;
  EXPECT_TRUE(has_text(vi, "Hạn 31/12/2024")) << vi;
  EXPECT_TRUE(has_text(vi, "Hôm nay")) << vi;
  for (const std::string_view name : {"Số liệu", "Ước tính", "Chỉ tiêu", "Dự báo", "Tốc độ cần"}) {
    EXPECT_TRUE(has_text(vi, name)) << name;
  }
  chart.language = Language::en;
  const std::string en = trend_svg(chart);
  EXPECT_TRUE(has_text(en, "≥ 6,234.5")) << en;
  EXPECT_TRUE(has_text(en, "≥ 5,000")) << en;
  EXPECT_TRUE(has_text(en, "needs +150/month")) << en;
  EXPECT_TRUE(has_text(en, "Deadline 2024-12-31")) << en;
  EXPECT_TRUE(has_text(en, "Today")) << en;
  for (const std::string_view name :
       {"Observed", "Estimate", "Target", "Projection", "Rate needed"}) {
    EXPECT_TRUE(has_text(en, name)) << name;
  }
  EXPECT_FALSE(has_text(en, "Số liệu"));
  // Percent figures: the target as a percent, the rate in percentage points.
  const std::string percent = trend_svg(slipping());
  EXPECT_TRUE(has_text(percent, "≥ 60%")) << percent;
  EXPECT_TRUE(has_text(percent, "≥ 50%")) << percent;
  EXPECT_TRUE(has_text(percent, "cần +2,25 điểm %/tháng")) << percent;
  EXPECT_TRUE(has_text(trend_svg(slipping(Language::en)), "needs +2.25 pp/month"));
}

TEST(Chart, TheTargetStepsOncePerAmendment) {
  for (const std::size_t amendments : {0U, 1U, 3U}) {
    TrendChart chart = slipping();
    chart.targets = {TargetStep{day("2024-01-01"), 0.6, std::nullopt}};
    for (std::size_t i = 0; i < amendments; ++i) {
      chart.targets.push_back(TargetStep{month_day(2 + 2 * static_cast<int>(i), 1),
                                         0.55 - 0.05 * static_cast<double>(i), std::nullopt});
    }
    const std::string svg = trend_svg(chart);
    const std::vector<std::string> paths = tags(group(svg, "target"), "path");
    ASSERT_EQ(paths.size(), 1U) << svg;
    const std::string d = attribute(paths[0], "d").value_or("");
    EXPECT_EQ(count(d, "V"), amendments) << d;
    // Each level is drawn at its own height, lower for each lower target.
    const std::vector<Point> corners = path_points(d);
    ASSERT_EQ(corners.size(), 2 + 2 * amendments) << d;
    for (std::size_t i = 2; i < corners.size(); i += 2) {
      EXPECT_GT(corners[i].y, corners[i - 1].y) << d;  // going down: y grows
      EXPECT_EQ(corners[i].x, corners[i - 1].x) << d;  // at the amendment's date
    }
    // The line runs from the first observation to the deadline, the end of the range.
    const Plot plot = plot_of(svg);
    EXPECT_DOUBLE_EQ(corners.front().x, plot.left);
    EXPECT_DOUBLE_EQ(corners.back().x, plot.right);
    EXPECT_EQ(count(group(svg, "labels"), "≥ "), 1 + amendments) << svg;
  }
}

TEST(Chart, BetweenDrawsBothBounds) {
  TrendChart chart = slipping();
  chart.op = model::Comparator::between;
  chart.targets = {TargetStep{day("2024-01-01"), 0.8, 1.0},
                   TargetStep{day("2024-06-15"), 0.7, 0.9}};
  const std::string svg = trend_svg(chart);
  const std::vector<std::string> paths = tags(group(svg, "target"), "path");
  ASSERT_EQ(paths.size(), 2U) << svg;
  for (const std::string& path : paths) EXPECT_EQ(count(*attribute(path, "d"), "V"), 1U);
  for (const std::string_view label : {"≥ 80%", "≤ 100%", "≥ 70%", "≤ 90%"}) {
    EXPECT_TRUE(has_text(svg, label)) << label;
  }
  EXPECT_NE(desc_of(svg).find("Chỉ tiêu 80% – 100% từ 01/01/2024, 70% – 90% từ 15/6/2024"),
            std::string::npos)
      << desc_of(svg);
  // The value axis reaches the upper bound.
  EXPECT_TRUE(has_text(svg, "100%")) << svg;
  expect_inside(svg);
}

TEST(Chart, TheProjectionAndTheRateNeededEndAtTheDeadline) {
  const std::string svg = trend_svg(slipping());
  const std::string deadline = tag_of(svg, "deadline");
  const std::string projection = tag_of(svg, "projection");
  const std::string rate = tag_of(svg, "rate-needed");
  ASSERT_FALSE(deadline.empty()) << svg;
  ASSERT_FALSE(projection.empty()) << svg;
  ASSERT_FALSE(rate.empty()) << svg;
  const double deadline_x = number(deadline, "x1");
  EXPECT_EQ(number(deadline, "x2"), deadline_x);
  EXPECT_EQ(number(projection, "x2"), deadline_x);
  EXPECT_EQ(number(rate, "x2"), deadline_x);
  // The deadline is the chart's last date; the projection starts at the fit's first date,
  // the first observation's.
  const Plot plot = plot_of(svg);
  EXPECT_DOUBLE_EQ(deadline_x, plot.right);
  const std::vector<std::string> circles = tags(group(svg, "observed"), "circle");
  ASSERT_EQ(circles.size(), 9U);
  EXPECT_EQ(number(projection, "x1"), number(circles.front(), "cx"));
  EXPECT_EQ(number(projection, "y1"), number(circles.front(), "cy"));
  // The rate needed starts at the last observation and ends on the target then in force
  // (50%, the lower step), which the projection (47,25%) stays under.
  EXPECT_EQ(number(rate, "x1"), number(circles.back(), "cx"));
  EXPECT_EQ(number(rate, "y1"), number(circles.back(), "cy"));
  const std::vector<Point> target =
      path_points(*attribute(tags(group(svg, "target"), "path").at(0), "d"));
  EXPECT_EQ(number(rate, "y2"), target.back().y);
  EXPECT_GT(number(projection, "y2"), target.back().y);
  // Each has its own dash, and differs from the target's.
  std::vector<std::string> dashes = {*attribute(projection, "stroke-dasharray"),
                                     *attribute(rate, "stroke-dasharray"),
                                     *attribute(tag_of(svg, "target"), "stroke-dasharray")};
  std::sort(dashes.begin(), dashes.end());
  EXPECT_EQ(std::unique(dashes.begin(), dashes.end()), dashes.end());
  // Today is a faint marker between the last observation and the deadline.
  const std::string today = tag_of(svg, "today");
  ASSERT_FALSE(today.empty());
  EXPECT_GT(number(today, "x1"), number(circles.back(), "cx"));
  EXPECT_LT(number(today, "x1"), deadline_x);
  EXPECT_TRUE(attribute(today, "stroke-opacity").has_value());
}

TEST(Chart, AProjectionFromBeforeTheFirstObservationIsCutAtThePlotsEdge) {
  TrendChart chart = slipping();
  chart.fit_from = day("2023-01-01");
  chart.fit_from_value = 0.1;
  const std::string svg = trend_svg(chart);
  const std::string projection = tag_of(svg, "projection");
  ASSERT_FALSE(projection.empty());
  EXPECT_DOUBLE_EQ(number(projection, "x1"), plot_of(svg).left);
  EXPECT_EQ(number(projection, "x2"), number(tag_of(svg, "deadline"), "x1"));
  // The value axis covers the part drawn (from about 29%), not the fit's start at 10%.
  EXPECT_EQ(value_ticks(svg).front(), "20%") << svg;
  expect_inside(svg);
}

TEST(Chart, TheRateNeededAimsAtTheTargetInForceAtTheDeadline) {
  // A later target, from after the deadline, is drawn (today is later still) but is not
  // what the rate needed aims at.
  TrendChart chart = slipping();
  chart.targets.push_back(TargetStep{day("2025-03-01"), 0.7, std::nullopt});
  chart.at = day("2025-06-01");
  const std::string svg = trend_svg(chart);
  const std::vector<Point> target =
      path_points(*attribute(tags(group(svg, "target"), "path").at(0), "d"));
  ASSERT_EQ(target.size(), 6U) << svg;
  const std::string rate = tag_of(svg, "rate-needed");
  ASSERT_FALSE(rate.empty()) << svg;
  EXPECT_EQ(number(rate, "y2"), target[3].y);  // the 50% step
  EXPECT_NE(number(rate, "y2"), target[5].y);  // not the 70% one
  EXPECT_EQ(number(rate, "x2"), number(tag_of(svg, "deadline"), "x1"));
  EXPECT_LT(number(tag_of(svg, "deadline"), "x1"), number(tag_of(svg, "today"), "x1"));
  expect_inside(svg);
}

TEST(Chart, WhatFallsOutsideTheDatesIsNotDrawn) {
  // The deadline and today before the first observation, the fit entirely before it, an
  // amendment after the last: none of them in the picture.
  TrendChart chart = slipping();
  chart.deadline = day("2023-12-31");
  chart.at = day("2023-11-01");
  chart.fit_from = day("2023-06-01");
  chart.targets = {TargetStep{day("2023-01-01"), 0.5, std::nullopt},
                   TargetStep{day("2025-06-01"), 0.4, std::nullopt}};
  const std::string svg = trend_svg(chart);
  ASSERT_FALSE(svg.empty());
  EXPECT_EQ(well_formed(svg), "") << svg;
  EXPECT_EQ(tag_of(svg, "deadline"), "");
  EXPECT_EQ(tag_of(svg, "today"), "");
  EXPECT_EQ(tag_of(svg, "projection"), "");
  EXPECT_EQ(tag_of(svg, "rate-needed"), "");  // the deadline is past the last observation
  const std::string d = *attribute(tags(group(svg, "target"), "path").at(0), "d");
  EXPECT_EQ(count(d, "V"), 0U) << d;
  EXPECT_TRUE(has_text(svg, "≥ 50%"));
  EXPECT_FALSE(has_text(svg, "≥ 40%"));
  expect_inside(svg);
  // Still said in words.
  EXPECT_NE(desc_of(svg).find("hạn 31/12/2023"), std::string::npos) << desc_of(svg);
}

TEST(Chart, FewerThanTwoFiniteObservationsDrawNothing) {
  TrendChart chart = slipping();
  chart.points.clear();
  EXPECT_EQ(trend_svg(chart), "");
  chart.points = {ChartPoint{day("2024-01-15"), 0.3, false}};
  EXPECT_EQ(trend_svg(chart), "");
  chart.points.push_back(ChartPoint{day("2024-02-15"), kNaN, false});
  chart.points.push_back(ChartPoint{day("2024-03-15"), kInf, false});
  EXPECT_EQ(trend_svg(chart), "");
  chart.points.push_back(ChartPoint{day("2024-04-15"), 0.35, false});
  EXPECT_NE(trend_svg(chart), "");
}

TEST(Chart, NonFiniteValuesAreLeftOut) {
  TrendChart chart = slipping();
  chart.points[2].value = kNaN;
  chart.points[4].value = -kInf;
  chart.points[6].value = kInf;
  const std::string svg = trend_svg(chart);
  EXPECT_EQ(well_formed(svg), "") << svg;
  EXPECT_EQ(tags(group(svg, "observed"), "circle").size(), 6U);
  for (const std::string_view bad : {"nan", "NaN", "inf", "∞"}) {
    EXPECT_EQ(svg.find(bad), std::string::npos) << bad;
  }
  EXPECT_EQ(desc_of(svg).rfind("6 số liệu", 0), 0U) << desc_of(svg);
  expect_inside(svg);
}

TEST(Chart, AnEstimateIsHollowAndSaysSo) {
  const std::string svg = trend_svg(slipping());
  const std::vector<std::string> circles = tags(group(svg, "observed"), "circle");
  ASSERT_EQ(circles.size(), 9U);
  for (std::size_t i = 0; i < circles.size(); ++i) {
    EXPECT_EQ(attribute(circles[i], "fill"), i == 8 ? "#fff" : "#1f4e79") << i;
  }
  const std::string observed = group(svg, "observed");
  EXPECT_NE(observed.find("<title>15/9/2024: khoảng 42%</title>"), std::string::npos) << observed;
  EXPECT_NE(observed.find("<title>15/01/2024: 30%</title>"), std::string::npos) << observed;
  // No estimate, no hollow point in the legend.
  TrendChart sure = slipping();
  sure.points.back().estimate = false;
  const std::string sure_svg = trend_svg(sure);
  EXPECT_EQ(count(sure_svg, "fill=\"#fff\""), 0U);
  EXPECT_FALSE(has_text(sure_svg, "Ước tính"));
}

TEST(Chart, TheValueAxisHasFourToSixNiceTicksCoveringEverything) {
  const std::string svg = trend_svg(slipping());
  // 30%..60%: every 10 points.
  EXPECT_EQ(value_ticks(svg), (std::vector<std::string>{"30%", "40%", "50%", "60%"}));
  TrendChart chart = slipping(Language::en);
  chart.percent = false;
  chart.targets.clear();
  chart.projected.reset();
  chart.points = {ChartPoint{day("2024-01-01"), 13, false},
                  ChartPoint{day("2024-02-01"), 87, false}};
  EXPECT_EQ(value_ticks(trend_svg(chart)),
            (std::vector<std::string>{"0", "20", "40", "60", "80", "100"}));
}

TEST(Chart, AFlatSeriesGetsSomeHeight) {
  TrendChart chart = slipping();
  for (ChartPoint& p : chart.points) p.value = 0.4;
  chart.targets.clear();
  chart.projected.reset();
  chart.rate_needed.reset();
  const std::string svg = trend_svg(chart);
  EXPECT_EQ(well_formed(svg), "") << svg;
  const Plot plot = plot_of(svg);
  EXPECT_GE(value_ticks(svg).size(), 4U) << svg;
  for (const std::string& circle : tags(group(svg, "observed"), "circle")) {
    EXPECT_GT(number(circle, "cy"), plot.top);
    EXPECT_LT(number(circle, "cy"), plot.bottom);
  }
  expect_inside(svg);
  // A flat zero stays at or above zero.
  for (ChartPoint& p : chart.points) p.value = 0;
  const std::string zero = trend_svg(chart);
  EXPECT_EQ(value_ticks(zero).front().find('-'), std::string::npos) << zero;
  EXPECT_GE(value_ticks(zero).size(), 4U);
  expect_inside(zero);
}

TEST(Chart, ASingleDateRepeatedGetsARangeOfDates) {
  TrendChart chart = slipping();
  chart.deadline.reset();
  chart.at = day("2024-01-15");
  chart.targets.clear();
  chart.points = {ChartPoint{day("2024-01-15"), 0.3, false},
                  ChartPoint{day("2024-01-15"), 0.4, false}};
  const std::string svg = trend_svg(chart);
  ASSERT_FALSE(svg.empty());
  EXPECT_EQ(well_formed(svg), "") << svg;
  EXPECT_FALSE(texts(group(svg, "date-axis")).empty()) << svg;
  const Plot plot = plot_of(svg);
  for (const std::string& circle : tags(group(svg, "observed"), "circle")) {
    EXPECT_GT(number(circle, "cx"), plot.left);
    EXPECT_LT(number(circle, "cx"), plot.right);
  }
  expect_inside(svg);
}

TEST(Chart, NoDeadlineNoTargetsOnlyTheObservations) {
  TrendChart chart = slipping();
  chart.deadline.reset();
  chart.targets.clear();
  const std::string svg = trend_svg(chart);
  EXPECT_EQ(well_formed(svg), "") << svg;
  EXPECT_EQ(group(svg, "target"), "");
  EXPECT_EQ(tag_of(svg, "deadline"), "");
  EXPECT_EQ(tag_of(svg, "projection"), "");  // a projection needs a deadline to end at
  EXPECT_EQ(tag_of(svg, "rate-needed"), "");
  EXPECT_FALSE(has_text(svg, "Chỉ tiêu"));
  EXPECT_FALSE(has_text(svg, "Dự báo"));
  EXPECT_NE(tag_of(svg, "today"), "");  // today is past the last observation
  EXPECT_EQ(desc_of(svg),
            "9 số liệu từ 15/01/2024 đến 15/9/2024, mới nhất khoảng 42%. Tốc độ cần: +2,25 điểm "
            "%/tháng.");
  expect_inside(svg);
}

TEST(Chart, HugeTinyAndNegativeMagnitudesKeepDistinctLabels) {
  const auto series = [](double scale, double offset) {
    TrendChart chart = slipping(Language::en);
    chart.percent = false;
    for (ChartPoint& p : chart.points) p.value = p.value * scale + offset;
    for (TargetStep& t : chart.targets) t.value = t.value * scale + offset;
    chart.fit_from_value = *chart.fit_from_value * scale + offset;
    chart.projected = *chart.projected * scale + offset;
    chart.rate_needed = *chart.rate_needed * scale;
    return trend_svg(chart);
  };
  for (const auto& [scale, offset] :
       {std::pair{1e12, 0.0}, std::pair{1e-5, 0.0}, std::pair{100.0, -50.0}, std::pair{1e-3, -1e-3},
        std::pair{1.0, 1e9}}) {
    const std::string svg = series(scale, offset);
    ASSERT_FALSE(svg.empty()) << scale << " " << offset;
    EXPECT_EQ(well_formed(svg), "") << svg;
    std::vector<std::string> ticks = value_ticks(svg);
    EXPECT_GE(ticks.size(), 3U) << svg;
    EXPECT_LE(ticks.size(), 6U) << svg;
    std::sort(ticks.begin(), ticks.end());
    EXPECT_EQ(std::unique(ticks.begin(), ticks.end()), ticks.end()) << svg;
    expect_inside(svg);
  }
  EXPECT_TRUE(has_text(series(1e12, 0), "600,000,000,000")) << series(1e12, 0);
  EXPECT_TRUE(has_text(series(1e-5, 0), "0.000006")) << series(1e-5, 0);
  EXPECT_TRUE(has_text(series(100, -50), "-20")) << series(100, -50);
}

TEST(Chart, TheLegendWrapsRatherThanLeavingTheViewBox) {
  TrendChart chart = slipping(Language::en);
  const std::string svg = trend_svg(chart);
  const ViewBox box = view_box(svg);
  for (const std::string& text : tags(group(svg, "legend"), "text")) {
    EXPECT_LT(number(text, "x"), box.width - 40) << text;
  }
  expect_inside(svg);
}

TEST(Chart, SparklineDrawsTheSeriesInEighths) {
  EXPECT_EQ(sparkline({}), "");
  const std::vector<double> flat = {2, 2, 2};
  EXPECT_EQ(sparkline(flat), "▄▄▄");
  const std::vector<double> rising = {1, 2, 3, 4, 5, 6, 7, 8};
  EXPECT_EQ(sparkline(rising), "▁▂▃▄▅▆▇█");
  const std::vector<double> falling = {10, 0, -10};
  EXPECT_EQ(sparkline(falling), "█▅▁");
  const std::vector<double> gaps = {1, kNaN, 3, kInf, 2};
  EXPECT_EQ(sparkline(gaps), "▁ █ ▅");
  const std::vector<double> nothing = {kNaN, kNaN};
  EXPECT_EQ(sparkline(nothing), "  ");
  const std::vector<double> huge = {-1e308, 1e308};
  EXPECT_EQ(sparkline(huge), "▁█");
}

}  // namespace
}  // namespace tiendo::present

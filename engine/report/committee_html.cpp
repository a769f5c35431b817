// The report as one self-contained HTML file: the tables of the Markdown form with
// coloured badges and progress bars, laid out to print on A4.
#include <fmt/format.h>

#include <cmath>
#include <string>
#include <string_view>

#include "present/format.hpp"
#include "present/labels.hpp"
#include "present/markup.hpp"
#include "report/committee.hpp"
#include "report/committee_data.hpp"

namespace tiendo::report {

namespace {

using namespace detail;
using eval::RuleState;
using present::format_date;
using present::format_percent;
using present::html_badge;
using present::html_escape;
using present::roman;
using present::tone;
using present::Tone;
using present::tone_class;

std::string_view tone_colour(Tone t) {
  switch (t) {
    case Tone::green:
      return "#1e7b34";
    case Tone::amber:
      return "#c77700";
    case Tone::red:
      return "#c0262d";
    case Tone::grey:
      return "#8a929c";
    case Tone::blue:
      return "#1f4e79";
  }
  return "#8a929c";
}

// The same for HTML: the basis on a line of its own, in grey.
std::string html_title_cell(const Item& it, const Words& w) {
  std::string cell = html_escape(it.title);
  if (!it.basis.empty()) {
    cell += "<div class=\"muted\">" + html_escape(std::string(w.basis) + it.basis) + "</div>";
  }
  if (!it.history.empty()) {
    cell +=
        "<div class=\"muted\">" + html_escape(std::string(w.history_line) + it.history) + "</div>";
  }
  return cell;
}

constexpr std::string_view kStyle = R"css(
:root { --green: #1e7b34; --amber: #9a5b00; --red: #b3261e; --grey: #5f6670;
        --line: #c9ced6; --head: #eef1f5; --group: #f6f7f9; }
* { box-sizing: border-box; }
body { margin: 0; background: #e9ecef; color: #1b1f24;
       font: 15px/1.45 "Times New Roman", Tinos, "Liberation Serif", "Noto Serif",
             "DejaVu Serif", serif; }
main { max-width: 1120px; margin: 24px auto; padding: 32px 40px; background: #fff;
       box-shadow: 0 1px 4px rgba(0,0,0,.15); }
h1 { font-size: 22px; text-align: center; text-transform: uppercase; margin: 0 0 4px; }
.as-of { text-align: center; font-style: italic; margin: 0 0 20px; }
h2 { font-size: 17px; margin: 28px 0 10px; }
.summary { margin: 0 0 6px; }
tr.chart td { border-top: none; padding-top: 0; }
figure.chart { margin: 0 0 6px; max-width: 640px; break-inside: avoid; }
figure.chart svg { width: 100%; height: auto; display: block; }
section.changes { border-left: 4px solid #1f4e79; padding: 2px 0 2px 12px; margin: 12px 0; }
.chips { display: flex; flex-wrap: wrap; gap: 6px; list-style: none; padding: 0; margin: 6px 0 0; }
.chips li { border-radius: 12px; padding: 1px 10px; font-size: 13.5px; }
table { width: 100%; border-collapse: collapse; }
th, td { border: 1px solid var(--line); padding: 5px 7px; vertical-align: top; text-align: left; }
thead th { background: var(--head); text-align: center; font-weight: bold; }
td.stt, th.stt { text-align: center; white-space: nowrap; }
tr.group th { background: var(--group); font-weight: bold; text-align: left; }
tr.group th.stt { text-align: center; }
tr.unit td.title { padding-left: 22px; }
tr.unit td.stt { color: var(--grey); }
td.target, td.date { white-space: nowrap; }
.muted { color: var(--grey); font-size: 13px; }
.value { font-weight: bold; white-space: nowrap; }
.none { color: var(--grey); }
svg.bar { display: block; margin-top: 3px; }
.badge { display: inline-block; border-radius: 10px; padding: 0 8px; font-size: 13px;
         font-weight: bold; white-space: nowrap; }
.reason { font-size: 13px; color: #3c434b; margin-top: 2px; }
.note { font-size: 13px; font-style: italic; color: #3c434b; margin-top: 2px; }
.green { background: #e3f3e7; color: var(--green); }
.amber { background: #fdf0d8; color: var(--amber); }
.red { background: #fbe3e1; color: var(--red); }
.grey { background: #eceef1; color: var(--grey); }
col.c-stt { width: 3.4em; }
table.targets col.c-target { width: 11em; }
table.targets col.c-value { width: 10em; }
table.targets col.c-state { width: 25%; }
table.tasks col.c-title { width: 23%; }
table.tasks col.c-owner { width: 12%; }
table.tasks col.c-date { width: 6.6em; }
table.tasks col.c-finish { width: 8.4em; }
table.tasks col.c-state { width: 9.5em; }
table.tasks col.c-cause { width: 34%; }
p.none-left { font-style: italic; }
@page { size: A4 landscape; margin: 12mm; }
@media print {
  body { background: #fff; font-size: 10.5pt; }
  main { max-width: none; margin: 0; padding: 0; box-shadow: none; }
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  thead { display: table-header-group; }
  tr { break-inside: avoid; page-break-inside: avoid; }
  h2 { break-after: avoid; page-break-after: avoid; }
}
)css";

// value / target as a bar, capped at the target, with a mark at the target.
std::string progress_bar(double fraction, Tone t, const Words& w) {
  constexpr double kWidth = 120;
  constexpr double kTrack = 116;  // the target sits at the end of the track
  const double filled = std::round(fraction * kTrack * 10) / 10;
  return fmt::format(
      "<svg class=\"bar\" width=\"{0}\" height=\"12\" viewBox=\"0 0 {0} 12\" role=\"img\" "
      "aria-label=\"{4}{5}\"><title>{4}{5}</title>"
      "<rect x=\"0\" y=\"3\" width=\"{1}\" height=\"6\" rx=\"1.5\" fill=\"#e3e6ea\"/>"
      "<rect x=\"0\" y=\"3\" width=\"{2}\" height=\"6\" rx=\"1.5\" fill=\"{3}\"/>"
      "<rect x=\"{1}\" y=\"0\" width=\"2\" height=\"12\" fill=\"#1b1f24\"/></svg>",
      kWidth, kTrack, filled, tone_colour(t), format_percent(fraction, w.language),
      html_escape(w.of_target));
}

std::string html_state_cell(const Row& row, HtmlLayout layout, const Words& w) {
  const std::string_view label = present::label(row.result->state, w.language);
  std::string cell = layout == HtmlLayout::page ? html_badge(label, tone(row.result->state))
                                                : "<strong>" + html_escape(label) + "</strong>";
  if (!row.reason.empty()) {
    cell += "<div class=\"reason\">" + html_escape(shorten(row.reason, kShortReason)) + "</div>";
  }
  return cell;
}

std::string html_target_cell(const std::string& target, const std::string& timing) {
  std::string cell = html_escape(target);
  if (!timing.empty()) {
    cell += "<div class=\"muted\">" + html_escape(timing) + "</div>";
  }
  return cell;
}

std::string html_value_cell(const Row& row, HtmlLayout layout, const Words& w) {
  if (row.value.empty()) return fmt::format("<span class=\"none\">{}</span>", kNoValue);
  std::string cell = "<div class=\"value\">" + html_escape(row.value) + "</div>";
  if (row.progress && layout == HtmlLayout::page) {
    cell += progress_bar(*row.progress, tone(row.result->state), w);
  }
  if (!row.note.empty()) cell += "<div class=\"note\">" + html_escape(row.note) + "</div>";
  return cell;
}

// The columns of a table: by class for the page's stylesheet, or with their widths inline
// for the document, whose converter (pandoc) reads no stylesheet.
struct Column {
  std::string_view css_class;
  std::string_view width;  // of the document's text width
};

std::string colgroup(std::initializer_list<Column> columns, HtmlLayout layout) {
  std::string out = "<colgroup>";
  for (const Column& c : columns) {
    out += layout == HtmlLayout::page ? fmt::format("<col class=\"{}\">", c.css_class)
                                      : fmt::format("<col style=\"width:{}\">", c.width);
  }
  return out + "</colgroup>\n";
}

// The row's trend chart under it, across the columns but the first.
std::string chart_row(const Row& row) {
  if (row.chart.empty()) return {};
  return "<tr class=\"chart\"><td class=\"stt\"></td><td colspan=\"4\"><figure class=\"chart\">" +
         row.chart + "</figure></td></tr>\n";
}

}  // namespace

namespace detail {

std::string html_changes(const model::RuleSet& rules, const store::Snapshot& snapshot,
                         const Report& report) {
  const std::optional<ChangesText> text = changes_text(rules, snapshot, report);
  if (!text) return {};
  std::string out = fmt::format(
      "<section class=\"changes\">\n<h2>{}</h2>\n<p>{}</p>\n<p><b>{}</b></p>\n",
      html_escape(text->heading), html_escape(text->compared), html_escape(text->sentence));
  if (!text->lines.empty()) {
    out += "<ul>\n";
    for (const std::string& line : text->lines) out += "<li>" + html_escape(line) + "</li>\n";
    out += "</ul>\n";
  }
  if (text->more > 0) {
    out += fmt::format("<p>{}</p>\n",
                       html_escape(fmt::format(fmt::runtime(report.language == model::Language::en
                                                                ? "… and {} more."
                                                                : "… và {} thay đổi khác."),
                                               text->more)));
  }
  return out + "</section>\n";
}

std::string html_targets_table(const Report& report, HtmlLayout layout) {
  const Words& w = report.words();
  const bool page = layout == HtmlLayout::page;
  std::string out = "<table class=\"targets\">\n";
  out += colgroup({{"c-stt", "7%"},
                   {"c-title", "38%"},
                   {"c-target", "16%"},
                   {"c-value", "14%"},
                   {"c-state", "25%"}},
                  layout);
  out += fmt::format(
      "<thead><tr><th class=\"stt\">{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>"
      "</thead>\n",
      w.col_stt, w.col_target, w.col_goal, w.col_result, w.col_state);
  for (std::size_t g = 0; g < report.groups.size(); ++g) {
    const Group& group = report.groups[g];
    const std::string number = roman(static_cast<int>(g + 1));
    // A converter that reads no stylesheet still sees a group's row in bold.
    out += page ? fmt::format(
                      "<tbody>\n<tr class=\"group\"><th class=\"stt\">{}</th><th "
                      "colspan=\"4\">{}</th></tr>\n",
                      number, html_escape(group.name))
                : fmt::format(
                      "<tbody>\n<tr class=\"group\"><td class=\"stt\"><b>{}</b></td><td "
                      "colspan=\"4\"><b>{}</b></td></tr>\n",
                      number, html_escape(group.name));
    for (const Item& it : group.items) {
      if (!it.per_unit) {
        const Row& row = it.rows.front();
        out += fmt::format(
            "<tr><td class=\"stt\">{}</td><td class=\"title\">{}</td><td class=\"target\">{}</td>"
            "<td>{}</td><td>{}</td></tr>\n",
            html_escape(it.stt), html_title_cell(it, w), html_target_cell(row.target, row.timing),
            html_value_cell(row, layout, w), html_state_cell(row, layout, w));
        out += chart_row(row);
        continue;
      }
      const std::string common = common_target(it);
      out += fmt::format(
          "<tr class=\"rule\"><td class=\"stt\">{}</td><td class=\"title\">{}</td>"
          "<td class=\"target\">{}</td><td></td><td><span class=\"muted\">{}</span></td></tr>\n",
          html_escape(it.stt), html_title_cell(it, w),
          html_target_cell(common, it.rows.front().timing), html_escape(unit_counts(it, w)));
      for (const Row& row : it.rows) {
        // The page indents a unit under its rule; without a stylesheet, a mark does.
        out += fmt::format(
            "<tr class=\"unit\"><td class=\"stt\"></td><td class=\"title\">{}{}</td>"
            "<td class=\"target\">{}</td><td>{}</td><td>{}</td></tr>\n",
            page ? "" : "· ", html_escape(row.unit), common.empty() ? html_escape(row.target) : "",
            html_value_cell(row, layout, w), html_state_cell(row, layout, w));
        out += chart_row(row);
      }
    }
    out += "</tbody>\n";
  }
  out += "</table>\n";
  return out;
}

std::string html_tasks_table(const Report& report, HtmlLayout layout) {
  const Words& w = report.words();
  if (report.tasks.empty()) {
    return fmt::format("<p class=\"none-left\">{}</p>\n", html_escape(w.no_tasks));
  }
  std::string out = "<table class=\"tasks\">\n";
  out += colgroup({{"c-stt", "5%"},
                   {"c-title", "21%"},
                   {"c-owner", "12%"},
                   {"c-date", "11%"},
                   {"c-finish", "11%"},
                   {"c-state", "13%"},
                   {"c-cause", "27%"}},
                  layout);
  out += fmt::format(
      "<thead><tr><th class=\"stt\">{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th>"
      "<th>{}</th><th>{}</th></tr></thead>\n<tbody>\n",
      w.col_stt, w.col_task, w.col_owner, w.col_due, w.col_earliest, w.col_state, w.col_cause);
  for (std::size_t i = 0; i < report.tasks.size(); ++i) {
    const TaskRow& t = report.tasks[i];
    std::string cause;
    if (!t.root_cause.empty()) {
      cause += "<div>" + html_escape(std::string(w.root_cause) + quoted(t.root_cause)) + "</div>";
    }
    if (!t.chain.empty()) {
      cause += "<div class=\"reason\">" + html_escape(present::upper_first(w.chain) + t.chain) +
               "</div>";
    }
    if (cause.empty() && !own_cause(t, w).empty()) {
      cause = "<div>" + html_escape(own_cause(t, w)) + "</div>";
    }
    if (!t.note.empty()) cause += "<div class=\"note\">" + html_escape(t.note) + "</div>";
    if (cause.empty()) cause = kNoValue;
    const std::string_view label = present::label(t.result->state, w.language);
    const std::string state = layout == HtmlLayout::page
                                  ? html_badge(label, tone(t.result->state))
                                  : "<strong>" + html_escape(label) + "</strong>";
    out += fmt::format(
        "<tr><td class=\"stt\">{}</td><td>{}</td><td>{}</td><td class=\"date\">{}</td>"
        "<td class=\"date\">{}</td><td>{}</td><td>{}</td></tr>\n",
        i + 1, html_escape(t.title), html_escape(or_dash(t.owner)), html_escape(or_dash(t.due)),
        html_escape(or_dash(t.earliest_finish)), state, cause);
  }
  out += "</tbody>\n</table>\n";
  return out;
}

}  // namespace detail

std::string html(const model::RuleSet& rules, const store::Snapshot& snapshot,
                 const eval::Results& results, model::Language language,
                 const ReportOptions& options) {
  const Report report = build_report(rules, snapshot, results, language, options);
  const Words& w = report.words();
  const std::string date = format_date(report.at, language);
  std::string out;
  out += fmt::format("<!DOCTYPE html>\n<html lang=\"{}\">\n<head>\n<meta charset=\"utf-8\">\n",
                     language == model::Language::en ? "en" : "vi");
  out += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
  const std::string title = html_escape(report_title(snapshot, language));
  out += fmt::format("<title>{} – {}</title>\n<style>{}</style>\n</head>\n<body>\n<main>\n", title,
                     date, kStyle);
  out +=
      fmt::format("<h1>{}</h1>\n<p class=\"as-of\">{}{}</p>\n", title, html_escape(w.as_of), date);
  out += html_changes(rules, snapshot, report);

  out += "<section>\n<p class=\"summary\">" +
         html_escape(fmt::format("{}{}{}", w.rule_rows, report.rule_rows, w.rule_rows_after)) +
         "</p>\n<ul class=\"chips\">";
  for (RuleState state : present::rule_state_order()) {
    const int count = report.rule_counts[static_cast<std::size_t>(state)];
    if (count == 0) continue;
    out += fmt::format("<li class=\"{}\">{} <b>{}</b></li>", tone_class(tone(state)),
                       html_escape(present::label(state, language)), count);
  }
  out += "</ul>\n</section>\n";

  out += fmt::format("<h2>{}</h2>\n", html_escape(w.targets_heading));
  out += html_targets_table(report, HtmlLayout::page);
  out += fmt::format("<h2>{}</h2>\n<p class=\"summary\">{}</p>\n", html_escape(w.tasks_heading),
                     html_escape(task_summary(report)));
  out += html_tasks_table(report, HtmlLayout::page);
  out += "</main>\n</body>\n</html>\n";
  return out;
}

}  // namespace tiendo::report

// The cells of a result that the dashboard and the pages below it share: a unit's name
// and link, a value, a target, a deadline, a progress bar, a state badge.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "present/format.hpp"
#include "present/labels.hpp"
#include "present/markup.hpp"
#include "present/results.hpp"
#include "service/dashboard_parts.hpp"

namespace tiendo::service::detail {

using present::format_date;
using present::format_number;
using present::format_percent;
using present::html_escape;
using present::tone;
using present::Tone;
using present::tone_class;

std::string Cells::unit_name(store::UnitIndex unit) const {
  if (!snapshot_ || unit < 0) return {};
  const store::SnapshotUnit* u = at(snapshot_->units(), unit);
  if (!u) return {};
  return u->name.empty() ? u->id : u->name;
}

std::string Cells::value_text(model::ExprId expr, double value) const {
  const model::ExprNode* node = at(rules_.expressions, expr);
  return node && node->unit == model::ValueUnit::percent ? format_percent(value, page_.language)
                                                         : format_number(value, page_.language);
}

std::optional<double> Cells::progress(const model::Condition& cond, const eval::RuleResult& r) {
  const bool upward = cond.op == model::Comparator::ge || cond.op == model::Comparator::gt ||
                      cond.op == model::Comparator::between;
  if (!upward || !r.value || !r.target || !(*r.target > 0)) return std::nullopt;
  const double ratio = *r.value / *r.target;
  if (!std::isfinite(ratio)) return std::nullopt;
  return std::clamp(ratio, 0.0, 1.0);
}

std::string Cells::progress_bar(std::optional<double> fraction, Tone t) const {
  if (!fraction) return std::string(kNoValue);
  const std::string text = format_percent(*fraction, page_.language);
  return fmt::format(
      "<div class=\"progress\"><div class=\"bar\" role=\"progressbar\" aria-valuemin=\"0\" "
      "aria-valuemax=\"100\" aria-valuenow=\"{0:.1f}\" aria-label=\"{3}{1}\">"
      "<div class=\"fill {2}\" style=\"width: {0:.1f}%\"></div></div>"
      "<span class=\"pct\">{1}</span></div>",
      *fraction * 100, text, tone_class(t), html_escape(words(page_.language).progress_label));
}

std::string Cells::unit_id(store::UnitIndex unit) const {
  if (!snapshot_ || unit < 0) return {};
  const store::SnapshotUnit* u = at(snapshot_->units(), unit);
  return u ? u->id : std::string();
}

// The value, target, deadline, progress and state cells of a result.
std::string Cells::figure_cells(const eval::RuleResult& r, const model::Rule& rule) const {
  const Words& w = words(page_.language);
  const model::Condition* cond = at(rules_.conditions, rule.condition);
  std::string value(kNoValue);
  std::string target = html_escape(rule.condition_text);
  std::optional<double> fraction;
  if (cond) {
    if (r.value) {
      const std::string text = value_text(cond->lhs, *r.value);
      value = html_escape(r.estimate ? present::format_estimate(text, page_.language) : text);
      // The figure's notes beside it, as the committee's report writes them.
      if (snapshot_) {
        const std::string note = present::value_remarks(*snapshot_, r).joined_notes();
        if (!note.empty()) value += "<div class=\"note\">" + html_escape(note) + "</div>";
      }
    }
    target = html_escape(present::target_text(rules_, rule, r, page_.language));
    fraction = progress(*cond, r);
  }
  std::string deadline(kNoValue);
  if (r.deadline) {
    deadline =
        (rule.timing == model::Timing::from ? html_escape(words(page_.language).deadline_from)
                                            : "") +
        format_date(*r.deadline, page_.language);
  }
  return fmt::format(
      "<td class=\"num\" data-label=\"{}\">{}</td><td class=\"num\" data-label=\"{}\">{}</td>"
      "<td class=\"date\" data-label=\"{}\">{}</td><td data-label=\"{}\">{}</td>"
      "<td data-label=\"{}\">{}</td>",
      html_escape(w.value_column), value, html_escape(w.goal_column), target,
      html_escape(w.deadline_column), deadline, html_escape(w.progress_column),
      progress_bar(fraction, tone(r.state)), html_escape(w.state_column),
      badge(r.state, page_.language));
}

// The unit's cell: its name, a link to its page.
std::string Cells::unit_cell(store::UnitIndex unit) const {
  const std::string name = unit_name(unit);
  if (name.empty()) return std::string(kNoValue);
  return fmt::format("<a href=\"{}\">{}</a>",
                     html_escape(page_href(page_, "units/" + query_encode(unit_id(unit)))),
                     html_escape(name));
}

}  // namespace tiendo::service::detail

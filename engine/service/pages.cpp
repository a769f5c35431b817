// The pages below the dashboard: a target's (/rules/{rule}) and a unit's (/units/{id}).
#include "service/pages.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <exception>
#include <nlohmann/json.hpp>
#include <tuple>

#include "alert/alert.hpp"
#include "alert/ledger.hpp"
#include "dsl/keywords.hpp"
#include "eval/figures.hpp"
#include "present/chart.hpp"
#include "present/format.hpp"
#include "present/labels.hpp"
#include "present/markup.hpp"
#include "present/reasons.hpp"
#include "present/results.hpp"
#include "service/dashboard_parts.hpp"

namespace tiendo::service {

namespace {

using eval::RuleState;
using model::Index;
using model::Language;
using namespace detail;
using present::format_date;
using present::html_badge;
using present::html_escape;
using present::tone;

// What both pages share: the frame, the cells, the words of each language.
class PageBase {
 public:
  explicit PageBase(const PageBasics& basics)
      : basics_(basics),
        rules_(basics.rules ? *basics.rules : no_rules()),
        results_(basics.rules ? basics.results : nullptr),
        lang_(basics.language),
        w_(words(basics.language)),
        cells_(rules_, basics.snapshot, page_) {
    page_.language = lang_;
    page_.query = basics.query;
    page_.generated_at = basics.generated_at;
    page_.root = "../";
  }

 protected:
  std::string_view say(std::string_view vi, std::string_view en) const {
    return lang_ == Language::en ? en : vi;
  }
  std::string count(std::size_t n) const { return count_text(n, lang_); }
  std::string rule_title(const model::Rule& rule) const {
    return rule.title.empty() ? rule.name : rule.title;
  }
  std::string rule_href(const std::string& rule, store::UnitIndex unit) const {
    return page_href(page_, "rules/" + query_encode(rule),
                     {{"unit", unit >= 0 ? cells_.unit_id(unit) : std::string()}});
  }
  std::string unit_href(store::UnitIndex unit) const {
    return page_href(page_, "units/" + query_encode(cells_.unit_id(unit)));
  }
  const store::SnapshotUnit* unit_at(store::UnitIndex unit) const {
    return basics_.snapshot && unit >= 0 ? at(basics_.snapshot->units(), unit) : nullptr;
  }
  // The dashboard and the unit's ancestors, top first, as breadcrumbs.
  std::vector<Crumb> crumbs_to(store::UnitIndex unit) const {
    std::vector<Crumb> crumbs{{std::string(w_.title), page_href(page_, "")}};
    std::vector<store::UnitIndex> chain;
    for (store::UnitIndex u = unit; u >= 0 && chain.size() < 64;) {
      const store::SnapshotUnit* at_u = unit_at(u);
      if (!at_u) break;
      chain.push_back(u);
      u = at_u->parent;
    }
    for (auto it = chain.rbegin(); it != chain.rend(); ++it) {
      crumbs.push_back({cells_.unit_name(*it), unit_href(*it)});
    }
    return crumbs;
  }
  std::string subtitle() const {
    if (!results_) return html_escape(w_.no_evaluation);
    return fmt::format("{}<time datetime=\"{}\">{}</time>", html_escape(w_.evaluated_on),
                       model::to_string(results_->at), format_date(results_->at, lang_));
  }
  std::string alerts_table(const std::vector<alert::AlertRecord>& alerts, std::size_t total) const {
    if (alerts.empty()) {
      return fmt::format("<p class=\"empty\">{}</p>\n",
                         html_escape(say("Không có cảnh báo nào.", "No alerts.")));
    }
    std::string out = scroll_box(say("Cảnh báo", "Alerts")) + "<table>\n<thead><tr>";
    for (std::string_view name :
         {w_.alert_column, w_.unit_column, w_.severity_column, w_.state_column, w_.since_column}) {
      out += "<th>" + html_escape(name) + "</th>";
    }
    out += "<th>" + html_escape(say("Vòng đời", "Lifecycle")) + "</th></tr></thead>\n<tbody>\n";
    for (const alert::AlertRecord& a : alerts) {
      const bool task = a.subject == alert::Subject::task;
      std::string name = "<code>" + html_escape(a.name) + "</code>";
      if (!task) {
        const store::UnitIndex u =
            basics_.snapshot ? basics_.snapshot->find_unit(a.unit) : store::UnitIndex{-1};
        name = fmt::format("<a href=\"{}\">{}</a>", html_escape(rule_href(a.name, u)), name);
      }
      const store::UnitIndex u =
          basics_.snapshot && !a.unit.empty() ? basics_.snapshot->find_unit(a.unit) : -1;
      out += fmt::format(
          "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"date\">{}</td><td>{}</td>"
          "</tr>\n",
          name, u >= 0 ? cells_.unit_cell(u) : html_escape(a.unit.empty() ? "—" : a.unit),
          html_badge(present::label(a.severity, lang_), tone(a.severity)),
          html_badge(present::state_name_label(a.state, task, lang_),
                     present::state_name_tone(a.state, task)),
          format_date(a.since, lang_), html_escape(lifecycle_word(a.lifecycle)));
    }
    out += "</tbody>\n</table></div>\n";
    if (total > alerts.size()) {
      out += fmt::format("<p class=\"note\">{}</p>\n",
                         html_escape(fmt::format(fmt::runtime(say("Hiển thị {} trên {} cảnh báo.",
                                                                  "Showing {} of {} alerts.")),
                                                 count(alerts.size()), count(total))));
    }
    return out;
  }
  std::string_view lifecycle_word(alert::Lifecycle lifecycle) const {
    switch (lifecycle) {
      case alert::Lifecycle::pending:
        return say("chờ xác nhận", "pending");
      case alert::Lifecycle::firing:
        return say("đang kích hoạt", "firing");
      case alert::Lifecycle::resolved:
        return say("đã hết", "resolved");
    }
    return {};
  }

  const PageBasics& basics_;
  const model::RuleSet& rules_;
  const eval::Results* results_;
  const Language lang_;
  const Words& w_;
  PageContext page_;
  Cells cells_;
  std::string out_;
};

// ---------------------------------------------------------------------------------------
// A target's page

class RulePage : PageBase {
 public:
  explicit RulePage(const RulePageData& data)
      : PageBase(data.basics),
        data_(data),
        rule_(rules_.rules.at(static_cast<std::size_t>(data.rule))) {}

  std::string render() {
    const std::string title = rule_title(rule_);
    // The dashboard, the unit and those it is inside (links up), then this target.
    std::vector<Crumb> crumbs = crumbs_to(data_.unit);
    crumbs.push_back({title, {}});
    const std::string heading =
        data_.unit >= 0 ? title + " — " + cells_.unit_name(data_.unit) : title;
    open_page(page_, heading, crumbs, subtitle(), out_);
    facts();
    if (data_.unit >= 0) {
      chart();
      timeline();
    } else {
      units();
    }
    out_ += fmt::format("<section id=\"canh-bao\">\n<h2>{}</h2>\n{}{}</section>\n",
                        html_escape(say("Cảnh báo của chỉ tiêu", "The target's alerts")),
                        alerts_table(data_.alerts, data_.alerts_total), silences());
    close_page(out_);
    return std::move(out_);
  }

 private:
  // The result shown: the served evaluation's at the unit.
  const eval::RuleResult* result() const {
    if (!results_ || data_.unit < 0) return nullptr;
    for (const eval::RuleResult& r : eval::results_of(*results_, data_.rule)) {
      if (r.unit == data_.unit) return &r;
    }
    return nullptr;
  }

  // What the target is: its name, requirement, owner, basis, history; at a unit, its
  // value, state and why.
  void facts() {
    const std::int32_t version =
        results_ ? rules_.version_at(data_.rule, results_->at) : std::int32_t{0};
    const model::Rule& in_force = rules_.version(data_.rule, version);
    out_ += fmt::format("<section id=\"chi-tieu\">\n<h2>{}</h2>\n<dl class=\"facts\">\n",
                        html_escape(say("Chỉ tiêu", "Target")));
    const auto fact = [&](std::string_view term, const std::string& html) {
      if (!html.empty()) {
        out_ += fmt::format("<dt>{}</dt><dd>{}</dd>\n", html_escape(term), html);
      }
    };
    fact(say("Quy tắc", "Rule"), "<code>" + html_escape(rule_.name) + "</code>");
    fact(say("Yêu cầu", "Requirement"),
         "<code>" + html_escape(in_force.condition_text) + "</code>");
    fact(w_.owner_column, html_escape(rule_.owner));
    fact(say("Căn cứ", "Basis"), html_escape(present::basis_text(rules_, in_force, lang_)));
    fact(say("Lịch sử chỉ tiêu", "Target history"),
         html_escape(present::target_history(rules_, data_.rule, lang_)));
    if (!rule_.for_each.none()) {
      if (const model::Level* level = at(rules_.levels, rule_.for_each.index);
          level && rule_.for_each.is_level()) {
        fact(say("Áp dụng cho từng", "For each"), html_escape(level->name));
      }
    }
    if (const eval::RuleResult* r = result()) {
      const model::Rule& version_rule = rules_.version(r->rule, r->version);
      const model::Condition* cond = at(rules_.conditions, version_rule.condition);
      if (cond && r->value) {
        fact(w_.value_column, html_escape(cells_.value_text(cond->lhs, *r->value)));
      }
      fact(w_.state_column, badge(r->state, lang_));
      if (basics_.snapshot) {
        const present::ReasonContext context{rules_, *basics_.snapshot, *results_};
        fact(say("Giải thích", "Why"), html_escape(present::reason_text(context, *r, lang_)));
      }
    } else if (data_.unit >= 0) {
      fact(w_.state_column, html_escape(say("Chỉ tiêu không đánh giá tại đơn vị này.",
                                            "The target is not evaluated at this unit.")));
    }
    out_ += "</dl>\n</section>\n";
  }

  void chart() {
    out_ += fmt::format("<section id=\"bieu-do\">\n<h2>{}</h2>\n",
                        html_escape(say("Diễn biến", "Over time")));
    std::string svg;
    if (data_.course) {
      svg = present::trend_svg(present::course_chart(
          rules_, *data_.course, "chart-" + rule_.name,
          rule_title(rule_) + " — " + cells_.unit_name(data_.unit),
          results_ ? results_->at : data_.course->result.deadline.value_or(model::Date{}), lang_));
    }
    if (svg.empty()) {
      out_ += fmt::format("<p class=\"empty\">{}</p>\n",
                          html_escape(say("Chưa đủ số liệu để vẽ biểu đồ (cần ít nhất hai lần "
                                          "quan sát).",
                                          "Not enough data for a chart (it takes two observations "
                                          "at least).")));
    } else {
      // On a phone the chart keeps a readable size and scrolls sideways in its box.
      out_ += scroll_box(say("Biểu đồ diễn biến", "Trend chart")) + "<figure class=\"chart\">" +
              svg + "</figure></div>\n";
    }
    out_ += "</section>\n";
  }

  // The result's states over the runs, newest first.
  void timeline() {
    out_ +=
        fmt::format("<section id=\"lich-su\">\n<h2>{}</h2>\n",
                    html_escape(say("Trạng thái qua các lần đánh giá", "State over past runs")));
    if (!data_.timeline_error.empty()) {
      out_ += fmt::format(
          "<p class=\"empty\">{}{}</p>\n</section>\n",
          html_escape(say("Không đọc được lịch sử: ", "The history could not be read: ")),
          html_escape(data_.timeline_error));
      return;
    }
    if (data_.timeline.empty()) {
      out_ += fmt::format(
          "<p class=\"empty\">{}</p>\n</section>\n",
          html_escape(say("Chưa có lần đánh giá nào được lưu.", "No run has been recorded yet.")));
      return;
    }
    const auto date = [&](const std::string& iso) {
      const auto d = model::parse_iso_date(iso);
      return d ? format_date(*d, lang_) : iso;
    };
    // Spans end when the result's figures change; one state is one entry of the timeline.
    std::vector<store::ResultSpan> merged;
    for (const store::ResultSpan& span : data_.timeline) {  // newest first
      if (!merged.empty() && merged.back().state == span.state &&
          merged.back().from_run == span.to_run) {
        merged.back().from_run = span.from_run;
        merged.back().from_at = span.from_at;
      } else {
        merged.push_back(span);
      }
    }
    out_ += "<ol class=\"timeline\">\n";
    for (const store::ResultSpan& span : merged) {
      const std::string when =
          span.to_run == 0
              ? fmt::format(
                    fmt::runtime(say("Từ lần {} (ngày {}) đến nay", "From run {} ({}) to now")),
                    span.from_run, date(span.from_at))
              : fmt::format(fmt::runtime(say("Từ lần {} (ngày {}) đến lần {} (ngày {})",
                                             "From run {} ({}) until run {} ({})")),
                            span.from_run, date(span.from_at), span.to_run, date(span.to_at));
      out_ += fmt::format("<li class=\"{}\">{} <span class=\"muted\">{}</span></li>\n",
                          present::tone_class(present::state_name_tone(span.state, false)),
                          html_badge(present::state_name_label(span.state, false, lang_),
                                     present::state_name_tone(span.state, false)),
                          html_escape(when));
    }
    out_ += "</ol>\n</section>\n";
  }

  // Without a unit: the rule's units, worst first, a page at a time.
  void units() {
    out_ += fmt::format("<section id=\"don-vi\">\n<h2>{}</h2>\n",
                        html_escape(say("Kết quả theo đơn vị", "Results by unit")));
    if (!results_) {
      out_ +=
          fmt::format("<p class=\"empty\">{}.</p>\n</section>\n", html_escape(w_.no_evaluation));
      return;
    }
    const std::span<const eval::RuleResult> all = eval::results_of(*results_, data_.rule);
    if (const auto summary = eval::for_each_summary(rules_, all)) {
      std::string text =
          fmt::format(fmt::runtime(w_.units_met), count(summary->counted), count(summary->total));
      if (basics_.snapshot) {
        const std::string names = present::coverage_names(*basics_.snapshot, *summary, 10, lang_);
        if (!names.empty()) text += "; " + names;
      }
      out_ += "<p class=\"headline\"><b>" + html_escape(text) + "</b></p>\n";
    }
    std::vector<const eval::RuleResult*> rows;
    for (const eval::RuleResult& r : all) rows.push_back(&r);
    std::stable_sort(rows.begin(), rows.end(), [](const auto* a, const auto* b) {
      return present::rank(a->state) < present::rank(b->state);
    });
    const std::size_t pages =
        std::max<std::size_t>(1, (rows.size() + kUnitsPerPage - 1) / kUnitsPerPage);
    const std::size_t page = std::min(data_.page, pages);
    out_ += scroll_box(say("Kết quả theo đơn vị", "Results by unit")) +
            "<table class=\"targets\">\n<thead><tr>";
    for (std::string_view name : {w_.unit_column, w_.value_column, w_.goal_column,
                                  w_.deadline_column, w_.progress_column, w_.state_column}) {
      out_ += "<th>" + html_escape(name) + "</th>";
    }
    out_ += "</tr></thead>\n<tbody>\n";
    for (std::size_t i = (page - 1) * kUnitsPerPage;
         i < std::min(rows.size(), page * kUnitsPerPage); ++i) {
      const eval::RuleResult& r = *rows[i];
      const std::string unit = r.unit >= 0 ? fmt::format("<a href=\"{}\">{}</a>",
                                                         html_escape(rule_href(rule_.name, r.unit)),
                                                         html_escape(cells_.unit_name(r.unit)))
                                           : std::string(kNoValue);
      out_ += fmt::format("<tr><td class=\"unit\" data-label=\"{}\">{}</td>{}</tr>\n",
                          html_escape(w_.unit_column), unit,
                          cells_.figure_cells(r, rules_.version(r.rule, r.version)));
    }
    out_ += "</tbody>\n</table></div>\n";
    out_ += page_links(page_, "rules/" + query_encode(rule_.name), page, pages);
    out_ += "</section>\n";
  }

  std::string silences() const {
    std::string out =
        fmt::format("<h3>{}</h3>\n", html_escape(say("Tạm tắt cảnh báo", "Silences")));
    if (data_.silences.empty()) {
      return out + fmt::format("<p class=\"empty\">{}</p>\n",
                               html_escape(say("Không có lệnh tạm tắt nào áp dụng.",
                                               "No silence applies.")));
    }
    out += "<ul>\n";
    for (const alert::Silence& s : data_.silences) {
      std::string matchers;
      for (const alert::Matcher& m : s.matchers) {
        matchers += (matchers.empty() ? "" : ", ") + alert::to_string(m);
      }
      out += fmt::format("<li><code>{}</code> — {} {} → {}; {}: {}</li>\n", html_escape(matchers),
                         html_escape(alert::silence_status(s, data_.now)), html_escape(s.starts_at),
                         html_escape(s.ends_at), html_escape(s.author), html_escape(s.comment));
    }
    return out + "</ul>\n";
  }

  const RulePageData& data_;
  const model::Rule& rule_;
};

// ---------------------------------------------------------------------------------------
// A unit's page

class UnitPage : PageBase {
 public:
  explicit UnitPage(const UnitPageData& data) : PageBase(data.basics), data_(data) {}

  std::string render() {
    const store::SnapshotUnit& unit = *unit_at(data_.unit);
    std::vector<Crumb> crumbs = crumbs_to(data_.unit);
    crumbs.back().href.clear();
    std::string subtitle_html = subtitle();
    if (!unit.level_name.empty()) {
      subtitle_html = html_escape(say("Cấp ", "Level ")) + "<b>" + html_escape(unit.level_name) +
                      "</b> · " + subtitle_html;
    }
    open_page(page_, cells_.unit_name(data_.unit), crumbs, subtitle_html, out_);
    targets();
    children();
    out_ += fmt::format(
        "<section id=\"canh-bao\">\n<h2>{}</h2>\n{}</section>\n",
        html_escape(say("Cảnh báo đang kích hoạt tại đơn vị", "Firing alerts at this unit")),
        alerts_table(data_.alerts, data_.alerts_total));
    tasks();
    close_page(out_);
    return std::move(out_);
  }

 private:
  // The unit's own results, worst first.
  void targets() {
    out_ += fmt::format("<section id=\"chi-tieu\">\n<h2>{}</h2>\n",
                        html_escape(say("Chỉ tiêu của đơn vị", "This unit's targets")));
    if (!results_) {
      out_ +=
          fmt::format("<p class=\"empty\">{}.</p>\n</section>\n", html_escape(w_.no_evaluation));
      return;
    }
    std::vector<const eval::RuleResult*> rows;
    for (const eval::RuleResult& r : results_->rules) {
      if (r.unit == data_.unit) rows.push_back(&r);
    }
    if (rows.empty()) {
      out_ += fmt::format("<p class=\"empty\">{}</p>\n</section>\n",
                          html_escape(say("Không có chỉ tiêu nào đánh giá tại đơn vị này.",
                                          "No target is evaluated at this unit.")));
      return;
    }
    std::stable_sort(rows.begin(), rows.end(), [](const auto* a, const auto* b) {
      return std::pair(present::rank(a->state), present::rank(a->severity)) <
             std::pair(present::rank(b->state), present::rank(b->severity));
    });
    chips(rows);
    const std::size_t pages =
        std::max<std::size_t>(1, (rows.size() + kUnitsPerPage - 1) / kUnitsPerPage);
    const std::size_t page = std::min(data_.page, pages);
    const std::size_t first = (page - 1) * kUnitsPerPage;
    const std::size_t last = std::min(rows.size(), first + kUnitsPerPage);
    out_ += scroll_box(say("Chỉ tiêu của đơn vị", "This unit's targets")) +
            "<table class=\"targets\">\n<thead><tr>";
    for (std::string_view name : {w_.target_column, w_.value_column, w_.goal_column,
                                  w_.deadline_column, w_.progress_column, w_.state_column}) {
      out_ += "<th>" + html_escape(name) + "</th>";
    }
    out_ += "</tr></thead>\n<tbody>\n";
    for (std::size_t i = first; i < last; ++i) {
      const eval::RuleResult* r = rows[i];
      const model::Rule& rule = rules_.version(r->rule, r->version);
      out_ +=
          fmt::format("<tr><td><a href=\"{}\">{}</a><div><code>{}</code></div></td>{}</tr>\n",
                      html_escape(rule_href(rule.name, data_.unit)), html_escape(rule_title(rule)),
                      html_escape(rule.name), cells_.figure_cells(*r, rule));
    }
    out_ += "</tbody>\n</table></div>\n";
    out_ += page_links(page_, "units/" + query_encode(cells_.unit_id(data_.unit)), page, pages);
    out_ += "</section>\n";
  }

  void chips(const std::vector<const eval::RuleResult*>& rows) {
    std::array<std::size_t, present::kRuleStateCount> counts{};
    for (const eval::RuleResult* r : rows) ++counts[static_cast<std::size_t>(r->state)];
    out_ += "<ul class=\"chips\">";
    for (RuleState state : present::rule_state_order()) {
      if (const std::size_t n = counts[static_cast<std::size_t>(state)]; n > 0) {
        out_ += fmt::format("<li class=\"{}\">{} <b>{}</b></li>", present::tone_class(tone(state)),
                            html_escape(present::label(state, lang_)), count(n));
      }
    }
    out_ += "</ul>\n";
  }

  // The units directly inside, each with its targets met and its worst state, linking down.
  void children() {
    std::vector<store::UnitIndex> kids;
    const auto& units = basics_.snapshot->units();
    for (std::size_t u = 0; u < units.size(); ++u) {
      if (units[u].parent == data_.unit) kids.push_back(static_cast<store::UnitIndex>(u));
    }
    if (kids.empty()) return;
    std::sort(kids.begin(), kids.end(), [&](store::UnitIndex a, store::UnitIndex b) {
      return cells_.unit_name(a) < cells_.unit_name(b);
    });
    // Per child: results met (met, ok) of all its own results, and its worst state.
    struct Tally {
      std::size_t met = 0, total = 0;
      std::optional<RuleState> worst;
    };
    std::vector<Tally> tallies(units.size());
    if (results_) {
      for (const eval::RuleResult& r : results_->rules) {
        if (r.unit < 0 || units[static_cast<std::size_t>(r.unit)].parent != data_.unit) continue;
        Tally& t = tallies[static_cast<std::size_t>(r.unit)];
        ++t.total;
        if (r.state == RuleState::met || r.state == RuleState::ok) ++t.met;
        if (!t.worst || present::rank(r.state) < present::rank(*t.worst)) t.worst = r.state;
      }
    }
    out_ += fmt::format("<section id=\"don-vi-truc-thuoc\">\n<h2>{}</h2>\n<ul class=\"units\">\n",
                        html_escape(say("Đơn vị trực thuộc", "Units within")));
    for (store::UnitIndex kid : kids) {
      const Tally& t = tallies[static_cast<std::size_t>(kid)];
      std::string line = html_escape(
          t.total == 0 ? std::string(say("chưa có chỉ tiêu", "no targets"))
                       : fmt::format(fmt::runtime(say("{}/{} chỉ tiêu đạt", "{}/{} targets met")),
                                     count(t.met), count(t.total)));
      if (t.worst) line += " " + badge(*t.worst, lang_);
      out_ += fmt::format("<li><a href=\"{}\">{}</a><div class=\"muted\">{}</div></li>\n",
                          html_escape(unit_href(kid)), html_escape(cells_.unit_name(kid)), line);
    }
    out_ += "</ul>\n</section>\n";
  }

  // Tasks whose owner is this unit (by id or by name).
  void tasks() {
    if (!results_) return;
    const store::SnapshotUnit& unit = *unit_at(data_.unit);
    std::string rows;
    for (const eval::TaskResult& t : results_->tasks) {
      const model::Task* task = at(rules_.tasks, t.task);
      if (!task || task->owner.empty() || (task->owner != unit.id && task->owner != unit.name)) {
        continue;
      }
      rows += fmt::format("<tr><td class=\"date\">{}</td><td>{}</td><td>{}</td></tr>\n",
                          t.due ? format_date(*t.due, lang_) : std::string(kNoValue),
                          html_escape(task_title(rules_, t.task)), badge(t.state, lang_));
    }
    if (rows.empty()) return;
    out_ += fmt::format(
        "<section id=\"nhiem-vu\">\n<h2>{0}</h2>\n{5}<table>\n<thead><tr><th>{1}"
        "</th><th>{2}</th><th>{3}</th></tr></thead>\n<tbody>\n{4}</tbody>\n</table></div>\n"
        "</section>\n",
        html_escape(say("Nhiệm vụ đơn vị chủ trì", "Tasks this unit leads")),
        html_escape(w_.due_column), html_escape(w_.task_column), html_escape(w_.state_column), rows,
        scroll_box(say("Nhiệm vụ đơn vị chủ trì", "Tasks this unit leads")));
  }

  const UnitPageData& data_;
};

std::string failed_page(Language language, const std::exception& e) {
  const Words& w = words(language);
  return fmt::format(
      "<!DOCTYPE html>\n<html lang=\"{0}\">\n<head>\n<meta "
      "charset=\"utf-8\">\n<title>{1}</title>\n"
      "</head>\n<body>\n<h1>{1}</h1>\n<p>{2}{3}</p>\n</body>\n</html>\n",
      w.html_lang, html_escape(w.title), html_escape(w.render_failed), html_escape(e.what()));
}

}  // namespace

std::string render_rule_page(const RulePageData& data) {
  try {
    return RulePage(data).render();
  } catch (const std::exception& e) {
    return failed_page(data.basics.language, e);
  }
}

std::string render_unit_page(const UnitPageData& data) {
  try {
    if (!data.basics.snapshot || data.unit < 0 ||
        static_cast<std::size_t>(data.unit) >= data.basics.snapshot->units().size()) {
      throw std::out_of_range("no such unit");
    }
    return UnitPage(data).render();
  } catch (const std::exception& e) {
    return failed_page(data.basics.language, e);
  }
}

std::string render_editor_page(const EditorPageData& data) {
  try {
    const bool en = data.language == Language::en;
    PageContext page{data.language, data.query, data.generated_at, ""};
    const Words& w = words(data.language);
    const std::string title = en ? "Rules" : "Quy tắc";
    const std::array<Crumb, 2> crumbs{Crumb{std::string(w.title), page_href(page, "")},
                                      Crumb{title, ""}};
    std::string out;
    open_page(page, title, crumbs,
              html_escape(en ? "Write the rule set, check it, preview it and save it as a new "
                               "version. "
                             : "Soạn bộ quy tắc, kiểm tra, xem trước và lưu thành phiên bản mới. "),
              out);
    nlohmann::json words_json = {
        {"keywords", dsl::reserved_words()},
        {"declarations",
         {"levels", "indicator", "plan", "task", "channel", "rule", "set", "test", "include"}}};
    // Inside <script type="application/json">: "</" would end the element.
    std::string keywords = words_json.dump();
    for (std::size_t at = keywords.find("</"); at != std::string::npos;
         at = keywords.find("</", at)) {
      keywords.replace(at, 2, "<\\/");
    }
    out += fmt::format(
        "<div id=\"rule-editor\" data-api=\"api/v1/rules/\" data-lang=\"{}\" "
        "data-today=\"{}\">\n<noscript><section><p>{}</p></section></noscript>\n</div>\n",
        w.html_lang, html_escape(data.today),
        html_escape(en ? "The rule editor needs JavaScript."
                       : "Trình soạn quy tắc cần JavaScript."));
    out += fmt::format(
        "<script type=\"application/json\" id=\"rule-editor-keywords\">{}</script>\n", keywords);
    out += fmt::format("<script src=\"assets/rule-editor.js?v={}\" defer></script>\n",
                       html_escape(data.script_version));
    close_page(out);
    return out;
  } catch (const std::exception& e) {
    return failed_page(data.language, e);
  }
}

}  // namespace tiendo::service

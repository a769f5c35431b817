#include "service/dashboard.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <exception>
#include <queue>
#include <string_view>
#include <tuple>

#include "eval/figures.hpp"
#include "present/format.hpp"
#include "present/labels.hpp"
#include "present/markup.hpp"
#include "present/results.hpp"
#include "service/dashboard_parts.hpp"

namespace tiendo::service {

namespace {

using eval::RuleState;
using eval::TaskState;
using model::Index;
using namespace detail;
using present::format_date;
using present::format_number;
using present::format_percent;
using present::html_badge;
using present::html_escape;
using present::tone;
using present::Tone;
using present::tone_class;

constexpr std::string_view kTitle = "Bảng theo dõi tiến độ";
constexpr std::string_view kNoEvaluation = "Chưa có lần đánh giá nào";

// A page with 10 000 rules × 1 000 units must still open in a browser: each table shows
// this many rows at most, the most urgent first, and says how many it left out.
constexpr std::size_t kMaxRuleRows = 500;
constexpr std::size_t kMaxTaskRows = 500;

// ---------------------------------------------------------------------------------------
// Colours and labels

// An alert's state is the evaluator's state name, of a rule or of a task.
std::string alert_state_badge(const alert::AlertRecord& a) {
  const bool task = a.subject == alert::Subject::task;
  return html_badge(present::state_name_label(a.state, task),
                    present::state_name_tone(a.state, task));
}

std::string or_dash(std::string_view text) {
  return text.empty() ? std::string(kNoValue) : html_escape(text);
}

std::string chip(std::string_view label, std::size_t count, Tone t) {
  return fmt::format("<li class=\"{}\">{} <b>{}</b></li>", tone_class(t), html_escape(label),
                     format_number(static_cast<double>(count)));
}

// "Hiển thị 500 trên 12.000 dòng …"
std::string left_out_note(std::size_t shown, std::size_t total, std::string_view order) {
  if (shown >= total) return {};
  return fmt::format(
      "<p class=\"note\">Hiển thị {} trên {} dòng, {}; {} dòng không hiển thị.</p>\n",
      count_text(shown), count_text(total), order, count_text(total - shown));
}

// ---------------------------------------------------------------------------------------
// The page

constexpr std::string_view kStyle = R"css(
:root { --green: #1e7b34; --amber: #8a5300; --red: #b3261e; --grey: #5f6670; --blue: #1f4e79;
        --line: #d5dae1; --head: #eef1f5; --ink: #1b1f24; }
* { box-sizing: border-box; }
body { margin: 0; background: #eef0f3; color: var(--ink);
       font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans",
             "DejaVu Sans", Arial, sans-serif; }
header { background: #1f4e79; color: #fff; padding: 16px 28px; }
header h1 { margin: 0; font-size: 22px; }
header p { margin: 4px 0 0; opacity: .9; font-size: 14px; }
main { max-width: 1280px; margin: 0 auto; padding: 8px 28px 40px; }
section { background: #fff; margin: 18px 0; padding: 14px 20px 18px; border-radius: 6px;
          box-shadow: 0 1px 3px rgba(0,0,0,.12); }
h2 { font-size: 18px; margin: 0 0 10px; }
h3 { font-size: 15px; margin: 12px 0 6px; }
table { width: 100%; border-collapse: collapse; font-size: 14px; }
th, td { border-bottom: 1px solid var(--line); padding: 6px 8px; text-align: left;
         vertical-align: top; }
thead th { background: var(--head); position: sticky; top: 0; white-space: nowrap; }
td.num, td.date, td.unit { white-space: nowrap; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
code { font: 12px/1.3 ui-monospace, "DejaVu Sans Mono", monospace; color: var(--grey); }
.muted, .note { color: var(--grey); font-size: 13px; }
.note { font-style: italic; }
.empty { color: var(--grey); font-style: italic; }
.badge { display: inline-block; border-radius: 10px; padding: 0 8px; font-size: 12.5px;
         font-weight: 600; white-space: nowrap; }
.chips { display: flex; flex-wrap: wrap; gap: 6px; list-style: none; padding: 0; margin: 0 0 10px; }
.chips li { border-radius: 12px; padding: 1px 10px; font-size: 13px; }
.green { background: #e3f3e7; color: var(--green); }
.amber { background: #fdf0d8; color: var(--amber); }
.red { background: #fbe3e1; color: var(--red); }
.grey { background: #eceef1; color: var(--grey); }
.blue { background: #e2ecf6; color: var(--blue); }
.progress { display: flex; align-items: center; gap: 6px; min-width: 150px; }
.bar { flex: 1; height: 8px; background: #e3e6ea; border-radius: 4px; overflow: hidden;
       min-width: 80px; }
.fill { height: 100%; border-radius: 4px; }
.fill.green { background: var(--green); }
.fill.amber { background: #c77700; }
.fill.red { background: var(--red); }
.fill.grey { background: var(--grey); }
.fill.blue { background: var(--blue); }
.pct { font-size: 12.5px; white-space: nowrap; font-variant-numeric: tabular-nums; }
.graph { overflow: auto; max-height: 80vh; border: 1px solid var(--line); border-radius: 4px; }
.graph svg { max-width: 100%; height: auto; display: block; margin: 0 auto; }
ul.plans, ul.plans ul { list-style: none; margin: 0; padding-left: 18px; }
ul.plans { padding-left: 0; }
ul.plans li { margin: 3px 0; }
ul.plans ul { border-left: 2px solid var(--line); margin-left: 6px; }
.kind { display: inline-block; min-width: 5.5em; font-size: 12px; color: var(--grey); }
.legend { list-style: none; padding: 0; margin: 8px 0 0; display: flex; flex-wrap: wrap;
          gap: 14px; font-size: 13px; color: var(--grey); }
@media print {
  body { background: #fff; }
  section { box-shadow: none; border: 1px solid var(--line); break-inside: avoid-page; }
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
)css";

class Page {
 public:
  explicit Page(const DashboardData& data)
      : data_(data), rules_(data.rules), results_(data.rules ? data.results : nullptr) {}

  std::string render() {
    out_.reserve(64 * 1024);
    head();
    out_ += "<main>\n";
    summary();
    targets();
    alerts();
    tasks();
    plan_graph();
    out_ += "</main>\n</body>\n</html>\n";
    return std::move(out_);
  }

 private:
  void head() {
    const std::string date = results_ ? format_date(results_->at) : std::string();
    out_ += "<!DOCTYPE html>\n<html lang=\"vi\">\n<head>\n<meta charset=\"utf-8\">\n";
    out_ += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
    out_ += fmt::format("<title>{}{}</title>\n", html_escape(kTitle),
                        date.empty() ? std::string() : " – " + date);
    out_ += fmt::format("<style>{}</style>\n</head>\n<body>\n", kStyle);
    out_ += fmt::format("<header>\n<h1>{}</h1>\n<p>", html_escape(kTitle));
    if (results_) {
      out_ += fmt::format("Ngày đánh giá: <time datetime=\"{}\">{}</time>",
                          model::to_string(results_->at), date);
    } else {
      out_ += html_escape(kNoEvaluation);
    }
    if (!data_.generated_at.empty()) {
      out_ += fmt::format(" · Trang tạo lúc <time datetime=\"{0}\">{0}</time> (UTC)",
                          html_escape(data_.generated_at));
    }
    out_ += "</p>\n</header>\n";
  }

  // Counts of rule results and tasks by state, worst first.
  void summary() {
    if (!results_) return;
    std::array<std::size_t, present::kRuleStateCount> rule_counts{};
    for (const eval::RuleResult& r : results_->rules) {
      ++rule_counts[static_cast<std::size_t>(r.state)];
    }
    std::array<std::size_t, present::kTaskStateCount> task_counts{};
    for (const eval::TaskResult& t : results_->tasks) {
      ++task_counts[static_cast<std::size_t>(t.state)];
    }
    out_ += "<section class=\"summary\">\n<h2>Tổng quan</h2>\n";
    out_ += fmt::format("<h3>{} kết quả chỉ tiêu</h3>\n<ul class=\"chips\">",
                        count_text(results_->rules.size()));
    for (RuleState state : present::rule_state_order()) {
      const std::size_t count = rule_counts[static_cast<std::size_t>(state)];
      if (count > 0) out_ += chip(present::label(state), count, tone(state));
    }
    out_ += "</ul>\n";
    out_ += fmt::format("<h3>{} nhiệm vụ</h3>\n<ul class=\"chips\">",
                        count_text(results_->tasks.size()));
    for (TaskState state : present::task_state_order()) {
      const std::size_t count = task_counts[static_cast<std::size_t>(state)];
      if (count > 0) out_ += chip(present::label(state), count, tone(state));
    }
    out_ += "</ul>\n";
    out_ += fmt::format("<p class=\"muted\">Cảnh báo đang kích hoạt: <b>{}</b></p>\n",
                        count_text(firing_total()));
    out_ += "</section>\n";
  }

  // --- Targets -----------------------------------------------------------------------

  std::string unit_name(store::UnitIndex unit) const {
    if (!data_.snapshot || unit < 0) return {};
    const store::SnapshotUnit* u = at(data_.snapshot->units(), unit);
    if (!u) return {};
    return u->name.empty() ? u->id : u->name;
  }

  std::string value_text(model::ExprId expr, double value) const {
    const model::ExprNode* node = at(rules_->expressions, expr);
    return node && node->unit == model::ValueUnit::percent ? format_percent(value)
                                                           : format_number(value);
  }

  std::string target_text(const model::Rule& rule, const model::Condition& cond,
                          const eval::RuleResult& r) const {
    if (cond.op == model::Comparator::between) {
      if (r.target && r.upper) {
        return value_text(cond.rhs, *r.target) + " – " + value_text(cond.upper, *r.upper);
      }
    } else if (r.target) {
      return fmt::format("{} {}", present::comparator_symbol(cond.op),
                         value_text(cond.rhs, *r.target));
    }
    return rule.condition_text;
  }

  // value / target toward a target to reach (≥, >, between's lower bound); none for
  // targets to stay under or equal to, where the ratio says nothing about progress.
  static std::optional<double> progress(const model::Condition& cond, const eval::RuleResult& r) {
    const bool upward = cond.op == model::Comparator::ge || cond.op == model::Comparator::gt ||
                        cond.op == model::Comparator::between;
    if (!upward || !r.value || !r.target || !(*r.target > 0)) return std::nullopt;
    const double ratio = *r.value / *r.target;
    if (!std::isfinite(ratio)) return std::nullopt;
    return std::clamp(ratio, 0.0, 1.0);
  }

  static std::string progress_bar(std::optional<double> fraction, Tone t) {
    if (!fraction) return std::string(kNoValue);
    const std::string text = format_percent(*fraction);
    return fmt::format(
        "<div class=\"progress\"><div class=\"bar\" role=\"progressbar\" aria-valuemin=\"0\" "
        "aria-valuemax=\"100\" aria-valuenow=\"{0:.1f}\" aria-label=\"Tiến độ so với mục tiêu: "
        "{1}\"><div class=\"fill {2}\" style=\"width: {0:.1f}%\"></div></div>"
        "<span class=\"pct\">{1}</span></div>",
        *fraction * 100, text, tone_class(t));
  }

  std::string task_title(Index task) const { return detail::task_title(*rules_, task); }

  std::string rule_row(const eval::RuleResult& r) const {
    if (!at(rules_->rules, r.rule)) return {};
    // The version in force on the results' date: its target and its documents.
    const model::Rule* rule = &rules_->version(r.rule, r.version);
    const model::Condition* cond = at(rules_->conditions, rule->condition);
    std::string title = "<div>" + html_escape(rule->title.empty() ? rule->name : rule->title) +
                        "</div><code>" + html_escape(rule->name) + "</code>";
    if (const std::string basis = present::basis_text(*rules_, *rule); !basis.empty()) {
      title += "<div class=\"muted\">Căn cứ: " + html_escape(basis) + "</div>";
    }
    if (const std::string history = present::target_history(*rules_, r.rule); !history.empty()) {
      title += "<div class=\"muted\">Chỉ tiêu: " + html_escape(history) + "</div>";
    }
    if (r.blocking_task != model::kNone && at(rules_->tasks, r.blocking_task)) {
      title += "<div class=\"muted\">Chờ nhiệm vụ: " + html_escape(task_title(r.blocking_task)) +
               "</div>";
    }
    // A share names its failing units and those without data, a few of each.
    if (r.coverage && data_.snapshot) {
      const std::string units = present::coverage_text(*data_.snapshot, *r.coverage, 5);
      if (!units.empty()) title += "<div class=\"muted\">" + html_escape(units) + "</div>";
    }
    std::string value(kNoValue);
    std::string target = html_escape(rule->condition_text);
    std::optional<double> fraction;
    if (cond) {
      if (r.value) {
        const std::string text = value_text(cond->lhs, *r.value);
        value = html_escape(r.estimate ? present::format_estimate(text) : text);
        // The figure's notes beside it, as the committee's report writes them.
        if (data_.snapshot) {
          const std::string note = present::value_remarks(*data_.snapshot, r).joined_notes();
          if (!note.empty()) value += "<div class=\"note\">" + html_escape(note) + "</div>";
        }
      }
      target = html_escape(target_text(*rule, *cond, r));
      fraction = progress(*cond, r);
    }
    std::string deadline(kNoValue);
    if (r.deadline) {
      deadline = (rule->timing == model::Timing::from ? "từ " : "") + format_date(*r.deadline);
    }
    return fmt::format(
        "<tr><td>{}</td><td class=\"unit\">{}</td><td class=\"num\">{}</td><td "
        "class=\"num\">{}</td>"
        "<td class=\"date\">{}</td><td>{}</td><td>{}</td></tr>\n",
        title, or_dash(unit_name(r.unit)), value, target, deadline,
        progress_bar(fraction, tone(r.state)), badge(r.state));
  }

  // The rows to show: every result when they fit, else the kMaxRuleRows worst (by state,
  // then severity, then the evaluator's order), found in one pass with a bounded heap so
  // that millions of results cost no sort and no copy.
  std::vector<const eval::RuleResult*> rule_rows() const {
    const std::vector<eval::RuleResult>& all = results_->rules;
    using Key = std::tuple<int, int, std::size_t>;
    std::priority_queue<Key> worst;  // the least bad of those kept on top
    for (std::size_t i = 0; i < all.size(); ++i) {
      const Key key{present::rank(all[i].state), present::rank(all[i].severity), i};
      if (worst.size() < kMaxRuleRows) {
        worst.push(key);
      } else if (key < worst.top()) {
        worst.pop();
        worst.push(key);
      }
    }
    std::vector<const eval::RuleResult*> rows(worst.size());
    for (std::size_t i = rows.size(); i-- > 0;) {
      rows[i] = &all[std::get<2>(worst.top())];
      worst.pop();
    }
    return rows;
  }

  void targets() {
    out_ += "<section id=\"chi-tieu\">\n<h2>Chỉ tiêu</h2>\n";
    if (!results_) {
      out_ += fmt::format("<p class=\"empty\">{}.</p>\n</section>\n", html_escape(kNoEvaluation));
      return;
    }
    if (results_->rules.empty()) {
      out_ += "<p class=\"empty\">Không có kết quả chỉ tiêu nào.</p>\n</section>\n";
      return;
    }
    const std::vector<const eval::RuleResult*> rows = rule_rows();
    out_ += left_out_note(rows.size(), results_->rules.size(), "những dòng cần chú ý nhất trước");
    out_ +=
        "<table class=\"targets\">\n<thead><tr><th>Chỉ tiêu</th><th>Đơn vị</th><th>Kết quả</th>"
        "<th>Mục tiêu</th><th>Hạn</th><th>Tiến độ</th><th>Trạng thái</th></tr></thead>\n<tbody>\n";
    for (const eval::RuleResult* r : rows) out_ += rule_row(*r);
    out_ += "</tbody>\n</table>\n";
    per_unit_summaries();
    out_ += "</section>\n";
  }

  // Each `for each` rule over all its units, with the units that fail and those without
  // data named (a few of each): the rows above may show only some of them.
  void per_unit_summaries() {
    if (!data_.snapshot) return;
    std::string items;
    for (std::size_t i = 0; i < rules_->rules.size(); ++i) {
      const auto summary =
          eval::for_each_summary(*rules_, eval::results_of(*results_, static_cast<Index>(i)));
      if (!summary) continue;
      const model::Rule& rule = rules_->rules[i];
      std::string text = fmt::format("{}/{} đơn vị đạt", summary->counted, summary->total);
      const std::string names = present::coverage_names(*data_.snapshot, *summary, 5);
      if (!names.empty()) text += "; " + names;
      items += fmt::format("<li><b>{}</b> <code>{}</code>: {}</li>\n",
                           html_escape(rule.title.empty() ? rule.name : rule.title),
                           html_escape(rule.name), html_escape(text));
    }
    if (items.empty()) return;
    out_ += "<h3>Chỉ tiêu theo từng đơn vị</h3>\n<ul class=\"per-unit\">\n" + items + "</ul>\n";
  }

  // --- Alerts ------------------------------------------------------------------------

  std::string alert_unit(const std::string& id) const {
    if (id.empty()) return std::string(kNoValue);
    if (data_.snapshot) {
      const store::UnitIndex unit = data_.snapshot->find_unit(id);
      const std::string name = unit_name(unit);
      if (!name.empty() && name != id) {
        return html_escape(name) + " <code>" + html_escape(id) + "</code>";
      }
    }
    return html_escape(id);
  }

  std::string alert_title(const alert::AlertRecord& a) const {
    std::string title;
    if (rules_) {
      if (a.subject == alert::Subject::task) {
        title = task_title(rules_->find_task(a.name));
      } else if (const model::Rule* rule = at(rules_->rules, rules_->find_rule(a.name))) {
        title = rule->title;
      }
    }
    std::string cell =
        a.subject == alert::Subject::task ? "<span class=\"kind\">Nhiệm vụ</span>" : std::string();
    if (!title.empty() && title != a.name) cell += "<div>" + html_escape(title) + "</div>";
    return cell + "<code>" + html_escape(a.name) + "</code>";
  }

  // Every firing alert, those not listed included.
  std::size_t firing_total() const { return std::max(data_.alerts_total, data_.alerts.size()); }

  void alerts() {
    out_ += "<section id=\"canh-bao\">\n<h2>Cảnh báo đang kích hoạt</h2>\n";
    if (data_.alerts.empty()) {
      out_ += "<p class=\"empty\">Không có cảnh báo nào đang kích hoạt.</p>\n</section>\n";
      return;
    }
    // In the store's order (alert::list_alerts), which is the one the note names.
    const std::size_t shown = std::min(data_.alerts.size(), kDashboardAlerts);
    out_ += left_out_note(shown, firing_total(), "nghiêm trọng nhất và lâu nhất trước");
    out_ +=
        "<table class=\"alerts\">\n<thead><tr><th>Cảnh báo</th><th>Đơn vị</th><th>Mức độ</th>"
        "<th>Trạng thái</th><th>Từ ngày</th></tr></thead>\n<tbody>\n";
    for (std::size_t i = 0; i < shown; ++i) {
      const alert::AlertRecord& a = data_.alerts[i];
      out_ += fmt::format(
          "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"date\">{}</td></tr>\n",
          alert_title(a), alert_unit(a.unit),
          html_badge(present::label(a.severity), tone(a.severity)), alert_state_badge(a),
          format_date(a.since));
    }
    out_ += "</tbody>\n</table>\n</section>\n";
  }

  // --- Tasks -------------------------------------------------------------------------

  // TaskResult::progress is 0 both when a report said 0% and when no report gave a
  // figure; the snapshot's status events tell them apart.
  bool progress_reported(const eval::TaskResult& t) const {
    if (!data_.snapshot) return t.progress > 0;
    for (const store::StatusEvent& e : data_.snapshot->statuses(t.task)) {
      if (e.progress && e.date <= results_->at) return true;
    }
    return false;
  }

  std::string plan_label(Index plan) const { return detail::plan_label(*rules_, plan); }

  void tasks() {
    out_ += "<section id=\"nhiem-vu\">\n<h2>Nhiệm vụ theo hạn</h2>\n";
    if (!results_) {
      out_ += fmt::format("<p class=\"empty\">{}.</p>\n</section>\n", html_escape(kNoEvaluation));
      return;
    }
    std::vector<const eval::TaskResult*> rows;
    rows.reserve(results_->tasks.size());
    for (const eval::TaskResult& t : results_->tasks) {
      if (at(rules_->tasks, t.task)) rows.push_back(&t);
    }
    if (rows.empty()) {
      out_ += "<p class=\"empty\">Bộ quy tắc không có nhiệm vụ nào.</p>\n</section>\n";
      return;
    }
    // By due date, tasks without one last; the same date in declaration order.
    const auto order = [](const eval::TaskResult* a, const eval::TaskResult* b) {
      if (a->due.has_value() != b->due.has_value()) return a->due.has_value();
      if (a->due && *a->due != *b->due) return *a->due < *b->due;
      return a->task < b->task;
    };
    const std::size_t shown = std::min(rows.size(), kMaxTaskRows);
    std::partial_sort(rows.begin(), rows.begin() + static_cast<std::ptrdiff_t>(shown), rows.end(),
                      order);
    out_ += left_out_note(shown, rows.size(), "hạn sớm nhất trước");
    out_ +=
        "<table class=\"tasks\">\n<thead><tr><th>Hạn</th><th>Nhiệm vụ</th><th>Kế hoạch</th>"
        "<th>Đơn vị chủ trì</th><th>Báo cáo gần nhất</th><th>Trạng thái</th><th>Nguyên nhân</th>"
        "</tr></thead>\n<tbody>\n";
    for (std::size_t i = 0; i < shown; ++i) {
      const eval::TaskResult& t = *rows[i];
      const model::Task& task = *at(rules_->tasks, t.task);
      std::string title = "<div>" + html_escape(task_title(t.task)) + "</div>";
      if (!task.title.empty()) title += "<code>" + html_escape(task.name) + "</code>";
      std::string cause(kNoValue);
      if (t.root_cause != model::kNone && t.root_cause != t.task &&
          at(rules_->tasks, t.root_cause)) {
        cause = "Nguyên nhân gốc: “" + html_escape(task_title(t.root_cause)) + "”";
        // Names rather than titles: a chain of titles would fill the row.
        if (t.chain.size() > 1) {
          std::string chain = "<code>" + html_escape(task.name) + "</code>";
          for (Index c : t.chain) {
            if (const model::Task* link = at(rules_->tasks, c)) {
              chain += " ← <code>" + html_escape(link->name) + "</code>";
            }
          }
          cause += "<div class=\"muted\">Chuỗi: " + chain + "</div>";
        }
      }
      std::string reported(kNoValue);
      if (t.reported) {
        reported = html_escape(present::label(*t.reported));
        if (progress_reported(t)) reported += ", " + format_percent(t.progress);
        if (t.reported_on) {
          reported += " <span class=\"muted\">(" + format_date(*t.reported_on) + ")</span>";
        }
        if (!t.note.empty()) reported += "<div class=\"muted\">" + html_escape(t.note) + "</div>";
      }
      out_ += fmt::format(
          "<tr><td class=\"date\">{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>"
          "<td>{}</td><td>{}</td></tr>\n",
          t.due ? format_date(*t.due) : std::string(kNoValue), title,
          or_dash(plan_label(task.part_of)), or_dash(task.owner), reported, badge(t.state), cause);
    }
    out_ += "</tbody>\n</table>\n</section>\n";
  }

  void plan_graph() { detail::plan_graph_section(data_, rules_, results_, out_); }

  const DashboardData& data_;
  const model::RuleSet* rules_;
  const eval::Results* results_;
  std::string out_;
};

}  // namespace

std::string render_dashboard(const DashboardData& data) {
  try {
    return Page(data).render();
  } catch (const std::exception& e) {
    return fmt::format(
        "<!DOCTYPE html>\n<html lang=\"vi\">\n<head>\n<meta "
        "charset=\"utf-8\">\n<title>{0}</title>\n"
        "</head>\n<body>\n<h1>{0}</h1>\n<p>Không dựng được trang: {1}</p>\n</body>\n</html>\n",
        html_escape(kTitle), html_escape(e.what()));
  }
}

}  // namespace tiendo::service

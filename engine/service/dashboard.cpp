#include "service/dashboard.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <exception>
#include <initializer_list>
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
using model::Language;
using namespace detail;
using present::format_date;
using present::format_number;
using present::format_percent;
using present::html_badge;
using present::html_escape;
using present::tone;
using present::Tone;
using present::tone_class;

// A page with 10 000 rules × 1 000 units must still open in a browser: each table shows
// this many rows at most, the most urgent first, and says how many it left out.
constexpr std::size_t kMaxRuleRows = 500;
constexpr std::size_t kMaxTaskRows = 500;

// ---------------------------------------------------------------------------------------
// Colours and labels

// An alert's state is the evaluator's state name, of a rule or of a task.
std::string alert_state_badge(const alert::AlertRecord& a, Language language) {
  const bool task = a.subject == alert::Subject::task;
  return html_badge(present::state_name_label(a.state, task, language),
                    present::state_name_tone(a.state, task));
}

std::string or_dash(std::string_view text) {
  return text.empty() ? std::string(kNoValue) : html_escape(text);
}

std::string chip(std::string_view label, std::size_t count, Tone t, Language language) {
  return fmt::format("<li class=\"{}\">{} <b>{}</b></li>", tone_class(t), html_escape(label),
                     count_text(count, language));
}

// "Hiển thị 500 trên 12.000 dòng …", "Showing 500 of 12,000 rows …"
std::string left_out_note(std::size_t shown, std::size_t total, std::string_view order,
                          Language language) {
  if (shown >= total) return {};
  return "<p class=\"note\">" +
         html_escape(fmt::format(fmt::runtime(words(language).left_out),
                                 count_text(shown, language), count_text(total, language), order,
                                 count_text(total - shown, language))) +
         "</p>\n";
}

// A query string's name or value with every byte but the unreserved ones (RFC 3986)
// percent-encoded.
std::string query_encode(std::string_view text) {
  static constexpr std::string_view kHex = "0123456789ABCDEF";
  std::string out;
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if ((byte >= 'A' && byte <= 'Z') || (byte >= 'a' && byte <= 'z') ||
        (byte >= '0' && byte <= '9') || c == '-' || c == '.' || c == '_' || c == '~') {
      out += c;
    } else {
      out += '%';
      out += kHex[byte >> 4];
      out += kHex[byte & 0x0F];
    }
  }
  return out;
}

// The same page in `language`: "?lang=en", after the page's other query parameters. A
// relative reference of only a query, so that it keeps the path a proxy serves the page
// under.
std::string language_href(const DashboardData& data, Language language) {
  std::string href = "?";
  for (const auto& [name, value] : data.query) {
    if (name == "lang") continue;
    href += query_encode(name) + "=" + query_encode(value) + "&";
  }
  return href + "lang=" + std::string(words(language).html_lang);
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
header a { color: #fff; }
header .lang { float: right; margin: 2px 0 0 16px; font-size: 14px; }
.legend { list-style: none; padding: 0; margin: 8px 0 0; display: flex; flex-wrap: wrap;
          gap: 14px; font-size: 13px; color: var(--grey); }
@media print {
  body { background: #fff; }
  header .lang { display: none; }
  section { box-shadow: none; border: 1px solid var(--line); break-inside: avoid-page; }
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
)css";

class Page {
 public:
  explicit Page(const DashboardData& data)
      : data_(data),
        rules_(data.rules),
        results_(data.rules ? data.results : nullptr),
        lang_(data.language),
        w_(words(data.language)) {}

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
    const std::string date = results_ ? format_date(results_->at, lang_) : std::string();
    out_ += fmt::format("<!DOCTYPE html>\n<html lang=\"{}\">\n<head>\n<meta charset=\"utf-8\">\n",
                        w_.html_lang);
    out_ += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
    out_ += fmt::format("<title>{}{}</title>\n", html_escape(w_.title),
                        date.empty() ? std::string() : " – " + date);
    out_ += fmt::format("<style>{}</style>\n</head>\n<body>\n", kStyle);
    // The other language by its own name, in its own language.
    const Language other = lang_ == Language::vi ? Language::en : Language::vi;
    const Words& them = words(other);
    out_ += fmt::format(
        "<header>\n<p class=\"lang\"><a href=\"{0}\" hreflang=\"{2}\" lang=\"{2}\" "
        "title=\"{3}\">{4}</a></p>\n<h1>{1}</h1>\n<p>",
        html_escape(language_href(data_, other)), html_escape(w_.title), them.html_lang,
        html_escape(w_.switch_title), html_escape(them.language_name));
    if (results_) {
      out_ += fmt::format("{}<time datetime=\"{}\">{}</time>", html_escape(w_.evaluated_on),
                          model::to_string(results_->at), date);
    } else {
      out_ += html_escape(w_.no_evaluation);
    }
    if (!data_.generated_at.empty()) {
      out_ += fmt::format("{0}<time datetime=\"{1}\">{1}</time> (UTC)",
                          html_escape(w_.generated_at), html_escape(data_.generated_at));
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
    out_ += fmt::format("<section class=\"summary\">\n<h2>{}</h2>\n", html_escape(w_.overview));
    out_ += fmt::format(
        "<h3>{}</h3>\n<ul class=\"chips\">",
        html_escape(fmt::format(fmt::runtime(w_.rule_results), count(results_->rules.size()))));
    for (RuleState state : present::rule_state_order()) {
      const std::size_t n = rule_counts[static_cast<std::size_t>(state)];
      if (n > 0) out_ += chip(present::label(state, lang_), n, tone(state), lang_);
    }
    out_ += "</ul>\n";
    out_ += fmt::format(
        "<h3>{}</h3>\n<ul class=\"chips\">",
        html_escape(fmt::format(fmt::runtime(w_.task_results), count(results_->tasks.size()))));
    for (TaskState state : present::task_state_order()) {
      const std::size_t n = task_counts[static_cast<std::size_t>(state)];
      if (n > 0) out_ += chip(present::label(state, lang_), n, tone(state), lang_);
    }
    out_ += "</ul>\n";
    out_ += fmt::format("<p class=\"muted\">{}<b>{}</b></p>\n", html_escape(w_.firing),
                        count(firing_total()));
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
    return node && node->unit == model::ValueUnit::percent ? format_percent(value, lang_)
                                                           : format_number(value, lang_);
  }

  // A count as the page writes numbers.
  std::string count(std::size_t n) const { return count_text(n, lang_); }

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

  std::string progress_bar(std::optional<double> fraction, Tone t) const {
    if (!fraction) return std::string(kNoValue);
    const std::string text = format_percent(*fraction, lang_);
    return fmt::format(
        "<div class=\"progress\"><div class=\"bar\" role=\"progressbar\" aria-valuemin=\"0\" "
        "aria-valuemax=\"100\" aria-valuenow=\"{0:.1f}\" aria-label=\"{3}{1}\">"
        "<div class=\"fill {2}\" style=\"width: {0:.1f}%\"></div></div>"
        "<span class=\"pct\">{1}</span></div>",
        *fraction * 100, text, tone_class(t), html_escape(w_.progress_label));
  }

  std::string task_title(Index task) const { return detail::task_title(*rules_, task); }

  std::string rule_row(const eval::RuleResult& r) const {
    if (!at(rules_->rules, r.rule)) return {};
    // The version in force on the results' date: its target and its documents.
    const model::Rule* rule = &rules_->version(r.rule, r.version);
    const model::Condition* cond = at(rules_->conditions, rule->condition);
    std::string title = "<div>" + html_escape(rule->title.empty() ? rule->name : rule->title) +
                        "</div><code>" + html_escape(rule->name) + "</code>";
    if (const std::string basis = present::basis_text(*rules_, *rule, lang_); !basis.empty()) {
      title += "<div class=\"muted\">" + html_escape(w_.basis) + html_escape(basis) + "</div>";
    }
    if (const std::string history = present::target_history(*rules_, r.rule, lang_);
        !history.empty()) {
      title += "<div class=\"muted\">" + html_escape(w_.target_history) + html_escape(history) +
               "</div>";
    }
    if (r.blocking_task != model::kNone && at(rules_->tasks, r.blocking_task)) {
      title += "<div class=\"muted\">" + html_escape(w_.waiting_for) +
               html_escape(task_title(r.blocking_task)) + "</div>";
    }
    // A share names its failing units and those without data, a few of each.
    if (r.coverage() && data_.snapshot) {
      const std::string units = present::coverage_text(*data_.snapshot, *r.coverage(), 5, lang_);
      if (!units.empty()) title += "<div class=\"muted\">" + html_escape(units) + "</div>";
    }
    std::string value(kNoValue);
    std::string target = html_escape(rule->condition_text);
    std::optional<double> fraction;
    if (cond) {
      if (r.value) {
        const std::string text = value_text(cond->lhs, *r.value);
        value = html_escape(r.estimate ? present::format_estimate(text, lang_) : text);
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
      deadline = (rule->timing == model::Timing::from ? html_escape(w_.deadline_from) : "") +
                 format_date(*r.deadline, lang_);
    }
    return fmt::format(
        "<tr><td>{}</td><td class=\"unit\">{}</td><td class=\"num\">{}</td><td "
        "class=\"num\">{}</td>"
        "<td class=\"date\">{}</td><td>{}</td><td>{}</td></tr>\n",
        title, or_dash(unit_name(r.unit)), value, target, deadline,
        progress_bar(fraction, tone(r.state)), badge(r.state, lang_));
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
    out_ += fmt::format("<section id=\"chi-tieu\">\n<h2>{}</h2>\n", html_escape(w_.targets));
    if (!results_) {
      out_ +=
          fmt::format("<p class=\"empty\">{}.</p>\n</section>\n", html_escape(w_.no_evaluation));
      return;
    }
    if (results_->rules.empty()) {
      out_ +=
          fmt::format("<p class=\"empty\">{}</p>\n</section>\n", html_escape(w_.no_rule_results));
      return;
    }
    const std::vector<const eval::RuleResult*> rows = rule_rows();
    out_ += left_out_note(rows.size(), results_->rules.size(), w_.targets_order, lang_);
    out_ += "<table class=\"targets\">\n<thead><tr>" +
            header_cells({w_.target_column, w_.unit_column, w_.value_column, w_.goal_column,
                          w_.deadline_column, w_.progress_column, w_.state_column}) +
            "</tr></thead>\n<tbody>\n";
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
      std::string text =
          fmt::format(fmt::runtime(w_.units_met), count(summary->counted), count(summary->total));
      const std::string names = present::coverage_names(*data_.snapshot, *summary, 5, lang_);
      if (!names.empty()) text += "; " + names;
      items += fmt::format("<li><b>{}</b> <code>{}</code>: {}</li>\n",
                           html_escape(rule.title.empty() ? rule.name : rule.title),
                           html_escape(rule.name), html_escape(text));
    }
    if (items.empty()) return;
    out_ += fmt::format("<h3>{}</h3>\n<ul class=\"per-unit\">\n{}</ul>\n", html_escape(w_.per_unit),
                        items);
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
    std::string cell = a.subject == alert::Subject::task
                           ? "<span class=\"kind\">" + html_escape(w_.task_kind) + "</span>"
                           : std::string();
    if (!title.empty() && title != a.name) cell += "<div>" + html_escape(title) + "</div>";
    return cell + "<code>" + html_escape(a.name) + "</code>";
  }

  // Every firing alert, those not listed included.
  std::size_t firing_total() const { return std::max(data_.alerts_total, data_.alerts.size()); }

  void alerts() {
    out_ += fmt::format("<section id=\"canh-bao\">\n<h2>{}</h2>\n", html_escape(w_.alerts));
    if (data_.alerts.empty()) {
      out_ += fmt::format("<p class=\"empty\">{}</p>\n</section>\n", html_escape(w_.no_alerts));
      return;
    }
    // In the store's order (alert::list_alerts), which is the one the note names.
    const std::size_t shown = std::min(data_.alerts.size(), kDashboardAlerts);
    out_ += left_out_note(shown, firing_total(), w_.alerts_order, lang_);
    out_ += "<table class=\"alerts\">\n<thead><tr>" +
            header_cells({w_.alert_column, w_.unit_column, w_.severity_column, w_.state_column,
                          w_.since_column}) +
            "</tr></thead>\n<tbody>\n";
    for (std::size_t i = 0; i < shown; ++i) {
      const alert::AlertRecord& a = data_.alerts[i];
      out_ += fmt::format(
          "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"date\">{}</td></tr>\n",
          alert_title(a), alert_unit(a.unit),
          html_badge(present::label(a.severity, lang_), tone(a.severity)),
          alert_state_badge(a, lang_), format_date(a.since, lang_));
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
    out_ += fmt::format("<section id=\"nhiem-vu\">\n<h2>{}</h2>\n", html_escape(w_.tasks));
    if (!results_) {
      out_ +=
          fmt::format("<p class=\"empty\">{}.</p>\n</section>\n", html_escape(w_.no_evaluation));
      return;
    }
    std::vector<const eval::TaskResult*> rows;
    rows.reserve(results_->tasks.size());
    for (const eval::TaskResult& t : results_->tasks) {
      if (at(rules_->tasks, t.task)) rows.push_back(&t);
    }
    if (rows.empty()) {
      out_ += fmt::format("<p class=\"empty\">{}</p>\n</section>\n", html_escape(w_.no_tasks));
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
    out_ += left_out_note(shown, rows.size(), w_.tasks_order, lang_);
    out_ += "<table class=\"tasks\">\n<thead><tr>" +
            header_cells({w_.due_column, w_.task_column, w_.plan_column, w_.owner_column,
                          w_.reported_column, w_.state_column, w_.cause_column}) +
            "</tr></thead>\n<tbody>\n";
    for (std::size_t i = 0; i < shown; ++i) {
      const eval::TaskResult& t = *rows[i];
      const model::Task& task = *at(rules_->tasks, t.task);
      std::string title = "<div>" + html_escape(task_title(t.task)) + "</div>";
      if (!task.title.empty()) title += "<code>" + html_escape(task.name) + "</code>";
      std::string cause(kNoValue);
      if (t.root_cause != model::kNone && t.root_cause != t.task &&
          at(rules_->tasks, t.root_cause)) {
        cause = html_escape(fmt::format(fmt::runtime(w_.root_cause), task_title(t.root_cause)));
        // Names rather than titles: a chain of titles would fill the row.
        if (t.chain.size() > 1) {
          std::string chain = "<code>" + html_escape(task.name) + "</code>";
          for (Index c : t.chain) {
            if (const model::Task* link = at(rules_->tasks, c)) {
              chain += " ← <code>" + html_escape(link->name) + "</code>";
            }
          }
          cause += "<div class=\"muted\">" + html_escape(w_.chain) + chain + "</div>";
        }
      }
      std::string reported(kNoValue);
      if (t.reported) {
        reported = html_escape(present::label(*t.reported, lang_));
        if (progress_reported(t)) reported += ", " + format_percent(t.progress, lang_);
        if (t.reported_on) {
          reported += " <span class=\"muted\">(" + format_date(*t.reported_on, lang_) + ")</span>";
        }
        if (!t.note.empty()) reported += "<div class=\"muted\">" + html_escape(t.note) + "</div>";
      }
      out_ += fmt::format(
          "<tr><td class=\"date\">{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>"
          "<td>{}</td><td>{}</td></tr>\n",
          t.due ? format_date(*t.due, lang_) : std::string(kNoValue), title,
          or_dash(plan_label(task.part_of)), or_dash(task.owner), reported, badge(t.state, lang_),
          cause);
    }
    out_ += "</tbody>\n</table>\n</section>\n";
  }

  void plan_graph() { detail::plan_graph_section(data_, rules_, results_, out_); }

  // A table's header cells: <th>…</th> each.
  static std::string header_cells(std::initializer_list<std::string_view> names) {
    std::string cells;
    for (std::string_view name : names) cells += "<th>" + html_escape(name) + "</th>";
    return cells;
  }

  const DashboardData& data_;
  const model::RuleSet* rules_;
  const eval::Results* results_;
  const Language lang_;
  const Words& w_;
  std::string out_;
};

}  // namespace

std::string render_dashboard(const DashboardData& data) {
  try {
    return Page(data).render();
  } catch (const std::exception& e) {
    const detail::Words& w = detail::words(data.language);
    return fmt::format(
        "<!DOCTYPE html>\n<html lang=\"{0}\">\n<head>\n<meta "
        "charset=\"utf-8\">\n<title>{1}</title>\n"
        "</head>\n<body>\n<h1>{1}</h1>\n<p>{2}{3}</p>\n</body>\n</html>\n",
        w.html_lang, html_escape(w.title), html_escape(w.render_failed), html_escape(e.what()));
  }
}

}  // namespace tiendo::service

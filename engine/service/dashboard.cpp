#include "service/dashboard.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <exception>
#include <initializer_list>
#include <limits>
#include <queue>
#include <string_view>
#include <tuple>

#include "eval/figures.hpp"
#include "present/changes.hpp"
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

// A page with 10 000 rules × 1 000 units must still open in a browser: the tasks table
// shows this many rows at most, the earliest due first, and says how many it left out (the
// targets come a page of rules at a time).
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

// ---------------------------------------------------------------------------------------
// The page

class Page {
 public:
  explicit Page(const DashboardData& data)
      : data_(data),
        rules_(data.rules),
        results_(data.rules ? data.results : nullptr),
        lang_(data.language),
        w_(words(data.language)),
        cells_(data.rules ? *data.rules : no_rules(), data.snapshot, page_) {
    page_.language = lang_;
    page_.query = data.query;
    page_.generated_at = data.generated_at;
    if (!data.filter.unit.empty()) {
      filter_unit_ = data.snapshot ? data.snapshot->find_unit(data.filter.unit) : -1;
      if (filter_unit_ < 0) filter_unit_ = -1;
    }
  }

  std::string render() {
    out_.reserve(64 * 1024);
    head();
    changes();
    summary();
    targets();
    alerts();
    tasks();
    plan_graph();
    close_page(out_);
    return std::move(out_);
  }

 private:
  void head() {
    const std::string date = results_ ? format_date(results_->at, lang_) : std::string();
    std::string subtitle;
    if (results_) {
      subtitle = fmt::format("{}<time datetime=\"{}\">{}</time>", html_escape(w_.evaluated_on),
                             model::to_string(results_->at), date);
    } else {
      subtitle = html_escape(w_.no_evaluation);
    }
    const std::string title =
        date.empty() ? std::string(w_.title) : std::string(w_.title) + " – " + date;
    // The <h1> is the page's title without the date: the line under it says the date.
    std::string head;
    open_page(page_, title, {}, subtitle, head);
    const std::string h1 = fmt::format("<h1>{}</h1>", html_escape(title));
    if (const std::size_t at = head.find(h1); at != std::string::npos) {
      head.replace(at, h1.size(), fmt::format("<h1>{}</h1>", html_escape(w_.title)));
    }
    // The rule editor, for the staff who write the rules (its API needs a `rules` token),
    // beside the link to the other language.
    if (const std::size_t at = head.find("</p>\n", head.find("<header>\n"));
        at != std::string::npos) {
      head.insert(at + 5, fmt::format("<p class=\"tools\"><a href=\"{}\">{}</a></p>\n",
                                      html_escape(page_href(page_, "editor")),
                                      lang_ == Language::en ? "Rules" : "Quy tắc"));
    }
    out_ += head;
  }

  // --- What changed --------------------------------------------------------------------

  std::string_view say(std::string_view vi, std::string_view en) const {
    return lang_ == Language::en ? en : vi;
  }

  // "2 chỉ tiêu chuyển sang có nguy cơ; 1 nhiệm vụ quá hạn mới; 3 cảnh báo đã hết", then
  // the first changes by name, each linking to its target.
  void changes() {
    if (!results_) return;
    const ChangesView& view = data_.changes;
    out_ += fmt::format("<section id=\"thay-doi\" class=\"changes\">\n<h2>{}</h2>\n",
                        html_escape(say("Thay đổi từ lần đánh giá trước", "What changed")));
    // The date to compare with, chosen in a form that keeps the other filters.
    out_ += fmt::format(
        "<form class=\"filters\" method=\"get\" action=\"\"><label>{}<input type=\"date\" "
        "name=\"since\" value=\"{}\"></label>{}<div class=\"actions\"><button "
        "type=\"submit\">{}</button></div></form>\n",
        html_escape(say("So với ngày", "Compared with the run on or before")),
        html_escape(view.since), hidden_inputs({"since", "page"}),
        html_escape(say("So sánh", "Compare")));
    if (!view.error.empty()) {
      out_ += fmt::format(
          "<p class=\"empty\">{}{}</p>\n</section>\n",
          html_escape(say("Không đọc được thay đổi: ", "The changes could not be read: ")),
          html_escape(view.error));
      return;
    }
    if (view.pending) {
      out_ += fmt::format("<p class=\"empty\">{}</p>\n</section>\n",
                          html_escape(say("Đang đọc các thay đổi từ lần đánh giá trước; tải lại "
                                          "trang sau ít giây.",
                                          "The changes since the previous run are being read; "
                                          "reload the page in a few seconds.")));
      return;
    }
    if (!view.changes) {
      out_ += fmt::format(
          "<p class=\"empty\">{}</p>\n</section>\n",
          html_escape(view.since.empty() ? say("Chưa có lần đánh giá trước để so sánh.",
                                               "There is no earlier run to compare with.")
                                         : say("Không có lần đánh giá nào vào hoặc trước ngày đó.",
                                               "No run was made on or before that date.")));
      return;
    }
    const store::RunChanges& c = *view.changes;
    const auto run_date = [&](const std::string& iso) {
      const auto d = model::parse_iso_date(iso);
      return d ? format_date(*d, lang_) : iso;
    };
    out_ += fmt::format(
        "<p class=\"muted\">{}</p>\n",
        html_escape(fmt::format(fmt::runtime(say("Từ lần đánh giá số {} (ngày {}) đến lần số {} "
                                                 "(ngày {}).",
                                                 "From run {} (on {}) to run {} (on {}).")),
                                c.from_run, run_date(c.from_at), c.to_run, run_date(c.to_at))));
    out_ += fmt::format(
        "<p class=\"headline\">{}</p>\n",
        html_escape(present::change_sentence(c.changes, c.alerts_fired, c.alerts_resolved, lang_)));
    if (c.changes.empty()) {
      out_ += "</section>\n";
      return;
    }
    out_ += "<ul>\n";
    // The worst changes first: into the worst state, then by name.
    std::vector<const store::StateChange*> listed;
    for (const store::StateChange& change : c.changes) listed.push_back(&change);
    constexpr std::size_t kListed = 20;
    const std::size_t shown = std::min(listed.size(), kListed);
    std::partial_sort(listed.begin(), listed.begin() + static_cast<std::ptrdiff_t>(shown),
                      listed.end(), [&](const auto* a, const auto* b) {
                        return std::tuple(present::change_rank(*a), a->name, a->unit) <
                               std::tuple(present::change_rank(*b), b->name, b->unit);
                      });
    for (std::size_t i = 0; i < shown; ++i) out_ += change_item(*listed[i]);
    out_ += "</ul>\n";
    if (listed.size() > shown) {
      out_ += fmt::format("<p class=\"note\">{}</p>\n",
                          html_escape(fmt::format(
                              fmt::runtime(say("… và {} thay đổi khác.", "… and {} more changes.")),
                              count(listed.size() - shown))));
    }
    out_ += "</section>\n";
  }

  // One change: the target (a link to its page) or task, the unit, the state before and now.
  std::string change_item(const store::StateChange& change) const {
    const bool task = change.subject == store::Subject::task;
    const auto state_badge = [&](const std::string& name) {
      if (name.empty()) {
        return "<i>" + html_escape(say("chưa có", "none")) + "</i>";
      }
      return html_badge(present::state_name_label(name, task, lang_),
                        present::state_name_tone(name, task));
    };
    std::string subject;
    if (task) {
      const std::string title = rules_ ? task_title(rules_->find_task(change.name)) : std::string();
      subject = html_escape(w_.task_kind) + " " + html_escape(title.empty() ? change.name : title);
    } else {
      const model::Rule* rule =
          rules_ ? at(rules_->rules, rules_->find_rule(change.name)) : nullptr;
      const std::string title = rule && !rule->title.empty() ? rule->title : change.name;
      subject = fmt::format("<a href=\"{}\">{}</a>",
                            html_escape(page_href(page_, "rules/" + query_encode(change.name),
                                                  {{"unit", change.unit}})),
                            html_escape(title));
    }
    std::string unit;
    if (!change.unit.empty()) {
      const store::UnitIndex u = data_.snapshot ? data_.snapshot->find_unit(change.unit) : -1;
      const std::string name = cells_.unit_name(u);
      unit = " — " + html_escape(name.empty() ? change.unit : name);
    }
    return fmt::format("<li>{}{}: {} → {}</li>\n", subject, unit, state_badge(change.before),
                       state_badge(change.after));
  }

  // Hidden inputs that carry the page's query into a form, but for `skip`'s names.
  std::string hidden_inputs(std::initializer_list<std::string_view> skip) const {
    std::string out;
    for (const auto& [name, value] : data_.query) {
      if (std::find(skip.begin(), skip.end(), name) != skip.end()) continue;
      out += fmt::format("<input type=\"hidden\" name=\"{}\" value=\"{}\">", html_escape(name),
                         html_escape(value));
    }
    if (lang_ == Language::en) out += "<input type=\"hidden\" name=\"lang\" value=\"en\">";
    return out;
  }

  // Counts of rule results and tasks by state, worst first.
  void summary() {
    if (!results_) return;
    std::array<std::size_t, present::kRuleStateCount> rule_counts{};
    std::array<std::size_t, present::kTaskStateCount> task_counts{};
    if (data_.tally) {
      rule_counts = data_.tally->rule_states;
      task_counts = data_.tally->task_states;
    } else {
      for (const eval::RuleResult& r : results_->rules) {
        ++rule_counts[static_cast<std::size_t>(r.state)];
      }
      for (const eval::TaskResult& t : results_->tasks) {
        ++task_counts[static_cast<std::size_t>(t.state)];
      }
    }
    out_ += fmt::format("<section class=\"summary\">\n<h2>{}</h2>\n", html_escape(w_.overview));
    out_ += fmt::format(
        "<h3>{}</h3>\n<ul class=\"chips\">",
        html_escape(fmt::format(fmt::runtime(w_.rule_results), count(results_->rules.size()))));
    for (RuleState state : present::rule_state_order()) {
      const std::size_t n = rule_counts[static_cast<std::size_t>(state)];
      if (n == 0) continue;
      // Each state's chip shows the targets in that state.
      out_ += fmt::format(
          "<li class=\"{}\"><a href=\"{}#chi-tieu\">{} <b>{}</b></a></li>", tone_class(tone(state)),
          html_escape(page_href(page_, "", {{"state", std::string(eval::to_string(state))}})),
          html_escape(present::label(state, lang_)), count(n));
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

  // A count as the page writes numbers.
  std::string count(std::size_t n) const { return count_text(n, lang_); }

  std::string task_title(Index task) const { return detail::task_title(*rules_, task); }

  // The target's cell: its title (a link to its page), name, basis, history, the task it
  // waits for; with `coverage`, the units a share fails at.
  std::string target_cell(const eval::RuleResult& r, const model::Rule& rule,
                          bool with_coverage) const {
    const std::string href =
        page_href(page_, "rules/" + query_encode(rule.name),
                  {{"unit", r.unit >= 0 ? cells_.unit_id(r.unit) : std::string()}});
    std::string title = fmt::format(
        "<div><a href=\"{}\">{}</a></div><code>{}</code>", html_escape(href),
        html_escape(rule.title.empty() ? rule.name : rule.title), html_escape(rule.name));
    if (const std::string basis = present::basis_text(*rules_, rule, lang_); !basis.empty()) {
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
    if (with_coverage && r.coverage() && data_.snapshot) {
      const std::string units = present::coverage_text(*data_.snapshot, *r.coverage(), 5, lang_);
      if (!units.empty()) title += "<div class=\"muted\">" + html_escape(units) + "</div>";
    }
    return title;
  }

  // A rule evaluated at one unit (or none): one row.
  std::string rule_row(const eval::RuleResult& r) const {
    if (!at(rules_->rules, r.rule)) return {};
    // The version in force on the results' date: its target and its documents.
    const model::Rule& rule = rules_->version(r.rule, r.version);
    return fmt::format("<tr><td>{}</td><td class=\"unit\" data-label=\"{}\">{}</td>{}</tr>\n",
                       target_cell(r, rule, true), html_escape(w_.unit_column),
                       cells_.unit_cell(r.unit), cells_.figure_cells(r, rule));
  }

  // --- Which results the table shows ---------------------------------------------------

  // Whether a rule passes the filters on rules (owner, plan).
  bool rule_selected(model::Index index) const {
    const model::Rule& rule = rules_->rules[static_cast<std::size_t>(index)];
    const TargetFilter& f = data_.filter;
    if (!f.owner.empty() && rule.owner != f.owner) return false;
    if (!f.plan.empty()) {
      const model::Index plan = rules_->find_plan(f.plan);
      const model::Rule& in_force = rules_->version(index, rules_->version_at(index, results_->at));
      if (std::find(in_force.basis.begin(), in_force.basis.end(), plan) == in_force.basis.end()) {
        return false;
      }
    }
    return true;
  }

  // Whether a result passes the filters on results (state, severity, level, unit).
  bool result_selected(const eval::RuleResult& r) const {
    const TargetFilter& f = data_.filter;
    if (f.state && r.state != *f.state) return false;
    if (f.severity && r.severity != *f.severity) return false;
    if (!f.level.empty() || filter_unit_ >= -1) {
      const store::SnapshotUnit* u =
          data_.snapshot && r.unit >= 0 ? at(data_.snapshot->units(), r.unit) : nullptr;
      if (!f.level.empty() && (!u || u->level_name != f.level)) return false;
      if (filter_unit_ >= -1) {
        if (!u || filter_unit_ < 0) return false;
        if (r.unit != filter_unit_ && !data_.snapshot->inside(r.unit, filter_unit_)) return false;
      }
    }
    return true;
  }

  // A rule's results that pass the filters, and what the row shows of them.
  // Counted in one pass over every result, without keeping them (a million results would
  // be 8 MB of pointers per request); the rows of the groups shown are gathered after.
  struct Group {
    model::Index rule = model::kNone;
    std::size_t matched = 0;                  // the selected results
    const eval::RuleResult* worst = nullptr;  // the one the row's state is
  };

  // The group's selected results, in unit order, at most `limit`.
  std::vector<const eval::RuleResult*> rows_of(const Group& g, std::size_t limit) const {
    std::vector<const eval::RuleResult*> rows;
    for (const eval::RuleResult& r : eval::results_of(*results_, g.rule)) {
      if (rows.size() >= limit) break;
      if (result_selected(r)) rows.push_back(&r);
    }
    return rows;
  }

  std::vector<Group> groups() const {
    std::vector<Group> out;
    const TargetFilter& f = data_.filter;
    // Filtered by state alone (or not at all), the tally has each group.
    const ResultTally* tally = data_.tally && data_.tally->rules.size() == rules_->rules.size() &&
                                       !f.severity && f.level.empty() && filter_unit_ < -1
                                   ? data_.tally
                                   : nullptr;
    // The worse of two results: by state, then severity, then unit order (a rule's results
    // are in unit order, one after another).
    const auto worse = [](const eval::RuleResult* a, const eval::RuleResult* b) {
      return std::tuple(present::rank(a->state), present::rank(a->severity), a) <
             std::tuple(present::rank(b->state), present::rank(b->severity), b);
    };
    for (std::size_t i = 0; i < rules_->rules.size(); ++i) {
      const auto index = static_cast<model::Index>(i);
      if (!rule_selected(index)) continue;
      Group g;
      g.rule = index;
      if (tally) {
        for (std::size_t state = 0; state < present::kRuleStateCount; ++state) {
          if (f.state && state != static_cast<std::size_t>(*f.state)) continue;
          const ResultTally::Cell& cell = tally->rules[i][state];
          g.matched += cell.count;
          if (cell.worst && (!g.worst || worse(cell.worst, g.worst))) g.worst = cell.worst;
        }
      } else {
        for (const eval::RuleResult& r : eval::results_of(*results_, index)) {
          if (!result_selected(r)) continue;
          ++g.matched;
          if (!g.worst || worse(&r, g.worst)) g.worst = &r;
        }
      }
      if (g.matched > 0) out.push_back(g);
    }
    const auto deadline = [&](const Group& g) {
      return g.worst->deadline ? (*g.worst->deadline).time_since_epoch().count()
                               : std::numeric_limits<int>::max();
    };
    const auto name = [&](const Group& g) -> const std::string& {
      return rules_->rules[static_cast<std::size_t>(g.rule)].name;
    };
    switch (data_.filter.sort) {
      case TargetFilter::Sort::worst:
        std::stable_sort(out.begin(), out.end(), [&](const Group& a, const Group& b) {
          return std::pair(present::rank(a.worst->state), present::rank(a.worst->severity)) <
                 std::pair(present::rank(b.worst->state), present::rank(b.worst->severity));
        });
        break;
      case TargetFilter::Sort::name:
        std::stable_sort(out.begin(), out.end(),
                         [&](const Group& a, const Group& b) { return name(a) < name(b); });
        break;
      case TargetFilter::Sort::deadline:
        std::stable_sort(out.begin(), out.end(),
                         [&](const Group& a, const Group& b) { return deadline(a) < deadline(b); });
        break;
    }
    return out;
  }

  // The filters, as a form that submits to the same page (GET, so a filtered view is a link).
  void filter_form() {
    const TargetFilter& f = data_.filter;
    const auto option = [](std::string_view value, std::string_view label, bool chosen) {
      return fmt::format("<option value=\"{}\"{}>{}</option>", html_escape(value),
                         chosen ? " selected" : "", html_escape(label));
    };
    const std::string any = std::string(say("Tất cả", "All"));
    std::string states = option("", any, !f.state);
    for (RuleState state : present::rule_state_order()) {
      states += option(eval::to_string(state), present::label(state, lang_), f.state == state);
    }
    std::string severities = option("", any, !f.severity);
    for (model::Severity severity : present::severity_order()) {
      severities += option(model::to_string(severity), present::label(severity, lang_),
                           f.severity == severity);
    }
    std::vector<std::string> owners;
    for (const model::Rule& rule : rules_->rules) {
      if (!rule.owner.empty()) owners.push_back(rule.owner);
    }
    std::sort(owners.begin(), owners.end());
    owners.erase(std::unique(owners.begin(), owners.end()), owners.end());
    std::string owner_options = option("", any, f.owner.empty());
    for (const std::string& owner : owners) owner_options += option(owner, owner, owner == f.owner);
    std::string plans = option("", any, f.plan.empty());
    for (std::size_t p = 0; p < rules_->plans.size(); ++p) {
      const model::Plan& plan = rules_->plans[p];
      plans += option(plan.name, plan_label(static_cast<model::Index>(p)), plan.name == f.plan);
    }
    std::string levels = option("", any, f.level.empty());
    for (const model::Level& level : rules_->levels) {
      levels += option(level.name, level.name, level.name == f.level);
    }
    std::string sorts;
    sorts += option("worst", say("Cần chú ý trước", "Most urgent first"),
                    f.sort == TargetFilter::Sort::worst);
    sorts += option("name", say("Theo tên", "By name"), f.sort == TargetFilter::Sort::name);
    sorts +=
        option("deadline", say("Theo hạn", "By deadline"), f.sort == TargetFilter::Sort::deadline);
    const auto select = [](std::string_view label, std::string_view name,
                           const std::string& options) {
      return fmt::format("<label>{}<select name=\"{}\">{}</select></label>", html_escape(label),
                         name, options);
    };
    out_ += fmt::format(
        "<form class=\"filters\" method=\"get\" action=\"#chi-tieu\" aria-label=\"{}\">{}{}{}{}{}"
        "<label>{}<input name=\"unit\" value=\"{}\" autocomplete=\"off\"></label>{}{}"
        "<div class=\"actions\"><button type=\"submit\">{}</button><a href=\"{}\">{}</a></div>"
        "</form>\n",
        html_escape(say("Lọc chỉ tiêu", "Filter the targets")),
        select(w_.state_column, "state", states),
        select(w_.severity_column, "severity", severities),
        select(w_.owner_column, "owner", owner_options), select(w_.plan_column, "plan", plans),
        select(say("Cấp", "Level"), "level", levels), html_escape(say("Mã đơn vị", "Unit id")),
        html_escape(f.unit), select(say("Sắp xếp", "Sort"), "sort", sorts),
        data_.changes.since.empty()
            ? std::string(
                  lang_ == Language::en ? "<input type=\"hidden\" name=\"lang\" value=\"en\">" : "")
            : fmt::format("<input type=\"hidden\" name=\"since\" value=\"{}\">{}",
                          html_escape(data_.changes.since),
                          lang_ == Language::en
                              ? "<input type=\"hidden\" name=\"lang\" value=\"en\">"
                              : ""),
        html_escape(say("Lọc", "Filter")), html_escape(page_href(page_, "")),
        html_escape(say("Bỏ lọc", "Clear")));
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
    filter_form();
    const std::vector<Group> all = groups();
    std::size_t matched = 0;
    for (const Group& g : all) matched += g.matched;
    const std::size_t pages =
        std::max<std::size_t>(1, (all.size() + kTargetsPerPage - 1) / kTargetsPerPage);
    const std::size_t page = std::min(data_.filter.page, pages);
    out_ += fmt::format(
        "<p class=\"muted\" role=\"status\">{}</p>\n",
        html_escape(fmt::format(
            fmt::runtime(say("{} quy tắc, {} kết quả khớp bộ lọc.",
                             all.size() == 1
                                 ? (matched == 1 ? "{} rule, {} result matches the filters."
                                                 : "{} rule, {} results match the filters.")
                                 : (matched == 1 ? "{} rules, {} result matches the filters."
                                                 : "{} rules, {} results match the filters."))),
            count(all.size()), count(matched))));
    if (all.empty()) {
      out_ += fmt::format(
          "<p class=\"empty\">{}</p>\n</section>\n",
          html_escape(say("Không có chỉ tiêu nào khớp bộ lọc.", "No target matches the filters.")));
      return;
    }
    out_ += scroll_box(w_.targets) + "<table class=\"targets\">\n<thead><tr>" +
            header_cells({w_.target_column, w_.unit_column, w_.value_column, w_.goal_column,
                          w_.deadline_column, w_.progress_column, w_.state_column}) +
            "</tr></thead>\n<tbody>\n";
    const std::size_t first = (page - 1) * kTargetsPerPage;
    const std::size_t last = std::min(all.size(), first + kTargetsPerPage);
    for (std::size_t i = first; i < last; ++i) out_ += group_rows(all[i]);
    out_ += "</tbody>\n</table></div>\n";
    out_ += page_links(page_, "", page, pages, "#chi-tieu");
    out_ += "</section>\n";
  }

  // A rule at one unit: its row. A `for each` rule: one row with its coverage ("8/11 đơn vị
  // đạt") and its worst result's state, that opens to its selected units.
  std::string group_rows(const Group& g) const {
    const model::Rule& written = rules_->rules[static_cast<std::size_t>(g.rule)];
    if (written.for_each.none() || g.matched == 1) {
      std::string rows;
      for (const eval::RuleResult* r : rows_of(g, g.matched)) rows += rule_row(*r);
      return rows;
    }
    const eval::RuleResult& worst = *g.worst;
    const model::Rule& rule = rules_->version(g.rule, worst.version);
    std::string summary;
    if (const auto total = eval::for_each_summary(*rules_, eval::results_of(*results_, g.rule))) {
      summary = fmt::format(fmt::runtime(w_.units_met), count(total->counted), count(total->total));
      if (data_.snapshot) {
        const std::string names = present::coverage_names(*data_.snapshot, *total, 5, lang_);
        if (!names.empty()) summary += "; " + names;
      }
    }
    std::string units;
    const std::vector<const eval::RuleResult*> listed = rows_of(g, kUnitsPerRow);
    const std::size_t shown = listed.size();
    for (std::size_t i = 0; i < shown; ++i) {
      const eval::RuleResult& r = *listed[i];
      units += fmt::format("<tr><td class=\"unit\" data-label=\"{}\">{}</td>{}</tr>\n",
                           html_escape(w_.unit_column), cells_.unit_cell(r.unit),
                           cells_.figure_cells(r, rules_->version(g.rule, r.version)));
    }
    std::string more;
    if (g.matched > shown) {
      more = fmt::format(
          "<p class=\"note\"><a href=\"{}\">{}</a></p>",
          html_escape(page_href(page_, "rules/" + query_encode(written.name))),
          html_escape(fmt::format(fmt::runtime(say("Xem cả {} đơn vị trên trang của chỉ tiêu",
                                                   "See all {} units on the target's page")),
                                  count(g.matched))));
    }
    const std::string target =
        target_cell(worst, rule, false) +
        (summary.empty() ? std::string()
                         : "<div class=\"muted\"><b>" + html_escape(summary) + "</b></div>");
    return fmt::format(
        "<tr><td colspan=\"7\">{}<details><summary>{}</summary><table class=\"units\">"
        "<thead><tr>{}</tr></thead><tbody>\n{}</tbody></table>{}</details></td></tr>\n",
        target,
        html_escape(fmt::format(fmt::runtime(say("{} đơn vị khớp bộ lọc; kém nhất: {}",
                                                 "{} units match; the worst: {}")),
                                count(g.matched), present::label(worst.state, lang_))),
        header_cells({w_.unit_column, w_.value_column, w_.goal_column, w_.deadline_column,
                      w_.progress_column, w_.state_column}),
        units, more);
  }

  // --- Alerts ------------------------------------------------------------------------

  std::string alert_unit(const std::string& id) const {
    if (id.empty()) return std::string(kNoValue);
    if (data_.snapshot) {
      const store::UnitIndex unit = data_.snapshot->find_unit(id);
      const std::string name = cells_.unit_name(unit);
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
    out_ += scroll_box(w_.alerts) + "<table class=\"alerts\">\n<thead><tr>" +
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
    out_ += "</tbody>\n</table></div>\n</section>\n";
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
    out_ += scroll_box(w_.tasks) + "<table class=\"tasks\">\n<thead><tr>" +
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
    out_ += "</tbody>\n</table></div>\n</section>\n";
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
  PageContext page_;
  Cells cells_;
  // The unit filter: -2 none, -1 a unit the store does not have (nothing matches).
  store::UnitIndex filter_unit_ = -2;
  std::string out_;
};

}  // namespace

ResultTally tally_results(const model::RuleSet& rules, const eval::Results& results) {
  ResultTally tally;
  tally.rules.resize(rules.rules.size());
  for (const eval::RuleResult& r : results.rules) {
    const auto state = static_cast<std::size_t>(r.state);
    ++tally.rule_states[state];
    if (r.rule < 0 || static_cast<std::size_t>(r.rule) >= tally.rules.size()) continue;
    ResultTally::Cell& cell = tally.rules[static_cast<std::size_t>(r.rule)][state];
    ++cell.count;
    if (!cell.worst || present::rank(r.severity) < present::rank(cell.worst->severity)) {
      cell.worst = &r;
    }
  }
  for (const eval::TaskResult& t : results.tasks) {
    ++tally.task_states[static_cast<std::size_t>(t.state)];
  }
  return tally;
}

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

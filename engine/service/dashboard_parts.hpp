// Pieces the dashboard's sections share (dashboard.cpp, dashboard_plans.cpp, the words of
// dashboard_words.cpp). Internal to service/.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "eval/evaluate.hpp"
#include "model/rule_set.hpp"
#include "present/labels.hpp"
#include "service/dashboard.hpp"
#include "store/snapshot.hpp"

namespace tiendo::service::detail {

using model::Language;

constexpr std::string_view kNoValue = "—";

// Every fixed word of the page, in each language it is shown in. What is not here comes
// from present/ in the same language (states, severities, report statuses, numbers, dates,
// documents cited, units named). A field with "{}" is a format string.
struct Words {
  std::string_view html_lang;      // "vi"
  std::string_view language_name;  // "Tiếng Việt": what the link to this language says
  std::string_view switch_title;   // the link's title, in the language of the page it is on
  std::string_view title;          // the page's <title> and <h1>
  std::string_view no_evaluation;  // "Chưa có lần đánh giá nào"
  std::string_view evaluated_on;   // "Ngày đánh giá: "
  std::string_view generated_at;   // " · Trang tạo lúc "
  std::string_view render_failed;  // "Không dựng được trang: "
  // The counts by state.
  std::string_view overview, rule_results, task_results, firing;
  // "Hiển thị {} trên {} dòng, {}; {} dòng không hiển thị.", and the orders it names.
  std::string_view left_out, targets_order, alerts_order, tasks_order;
  // The targets.
  std::string_view targets, no_rule_results;
  std::string_view target_column, unit_column, value_column, goal_column, deadline_column,
      progress_column, state_column;
  std::string_view basis, target_history, waiting_for, deadline_from, progress_label;
  std::string_view per_unit, units_met;  // "Chỉ tiêu theo từng đơn vị", "{}/{} đơn vị đạt"
  // The alerts.
  std::string_view alerts, no_alerts;
  std::string_view alert_column, severity_column, since_column;
  std::string_view task_kind;  // "Nhiệm vụ", before a task's alert and a task in the plans
  // The tasks.
  std::string_view tasks, no_tasks;
  std::string_view due_column, task_column, plan_column, owner_column, reported_column,
      cause_column;
  std::string_view root_cause, chain;  // "Nguyên nhân gốc: “{}”", "Chuỗi: "
  // The plan graph.
  std::string_view plans, legend_plan, legend_task, legend_implements, legend_part_of, legend_after;
  std::string_view no_rules, no_plans, plan_kind, other_kind, loose_tasks, listed_above,
      due;                        // "(hạn {})"
  std::string_view list_stopped;  // "Danh sách dừng ở {} mục trên tổng số {} kế hoạch …"
};

const Words& words(Language language);

template <class T>
const T* at(const std::vector<T>& items, model::Index index) {
  return index >= 0 && static_cast<std::size_t>(index) < items.size()
             ? &items[static_cast<std::size_t>(index)]
             : nullptr;
}

// --- What every page shares (dashboard_frame.cpp) -----------------------------------

using QueryList = std::vector<std::pair<std::string, std::string>>;

// A page's language, its query (the link to the other language keeps it), when it was
// made, and the way back to `/`: "" on `/`, "../" on /rules/{rule} and /units/{id}, so that
// every link is relative and keeps the path prefix a proxy serves the pages under.
struct PageContext {
  Language language = Language::vi;
  QueryList query;
  std::string generated_at;  // UTC time stamp; empty: not said
  std::string root;
};
struct Crumb {
  std::string label;
  std::string href;  // empty: the page itself
};
// The rule set of a page rendered before any was loaded: an empty one.
const model::RuleSet& no_rules();
// A query string's name or value with every byte but the unreserved ones (RFC 3986)
// percent-encoded.
std::string query_encode(std::string_view text);
// `path` (relative to `/`: "", "rules/x", "units/y") from this page, with the parameters
// whose value is not empty, and lang=en on an English page.
std::string page_href(const PageContext& page, std::string_view path, const QueryList& params = {});
// From <!DOCTYPE html> to <main>: the style, a skip link, the other language's link, the
// breadcrumbs, the title and the line under it (`subtitle_html`, already HTML).
void open_page(const PageContext& page, std::string_view title, std::span<const Crumb> crumbs,
               std::string_view subtitle_html, std::string& out);
void close_page(std::string& out);
// The start of a box that scrolls sideways on a narrow screen (a wide table): a labelled
// region the keyboard can reach and scroll.
std::string scroll_box(std::string_view label);
// "← Trang trước · Trang 2 / 40 · Trang sau →": links to `path` with the page's query but
// its `page`, and page=N, then `anchor` ("#chi-tieu"); nothing when there is one page.
std::string page_links(const PageContext& page, std::string_view path, std::size_t current,
                       std::size_t pages, std::string_view anchor = {});

// The cells of a result (dashboard_cells.cpp), on one page.
class Cells {
 public:
  Cells(const model::RuleSet& rules, const store::Snapshot* snapshot, const PageContext& page)
      : rules_(rules), snapshot_(snapshot), page_(page) {}
  // The unit's name (its id when it has none), its id; empty for none.
  std::string unit_name(store::UnitIndex unit) const;
  std::string unit_id(store::UnitIndex unit) const;
  // Its name as a link to its page; "—" for none.
  std::string unit_cell(store::UnitIndex unit) const;
  // A figure of the expression as the page writes it (a percent indicator's as a percent).
  std::string value_text(model::ExprId expr, double value) const;
  // value / target toward a target to reach (≥, >, between's lower bound); none for
  // targets to stay under or equal to, where the ratio says nothing about progress.
  static std::optional<double> progress(const model::Condition& cond, const eval::RuleResult& r);
  std::string progress_bar(std::optional<double> fraction, present::Tone tone) const;
  // <td>s: value (with its notes), target, deadline, progress, state.
  std::string figure_cells(const eval::RuleResult& r, const model::Rule& rule) const;

 private:
  const model::RuleSet& rules_;
  const store::Snapshot* snapshot_;
  const PageContext& page_;
};

// A state in a badge of its tone, labelled as present:: labels it.
std::string badge(eval::RuleState state, Language language);
std::string badge(eval::TaskState state, Language language);
// A count as the page writes numbers: "12.000", "12,000".
std::string count_text(std::size_t count, Language language);
// A task's title, or its name when it has none; empty when there is no such task.
std::string task_title(const model::RuleSet& rules, model::Index task);
// A plan's code, or its name when it has none; empty when there is no such plan.
std::string plan_label(const model::RuleSet& rules, model::Index plan);

// The "Sơ đồ kế hoạch" ("Plan graph") section in `data.language`: `data.graph_svg` inlined
// when it is an <svg> element, else a nested list of plans and tasks (`rules` may be null:
// it then says so).
void plan_graph_section(const DashboardData& data, const model::RuleSet* rules,
                        const eval::Results* results, std::string& out);

}  // namespace tiendo::service::detail

// The committee's report as data, built once from the results; markdown, html and csv
// only lay it out. Internal to report/: the public entry points are in committee.hpp.
#pragma once

#include <array>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "eval/evaluate.hpp"
#include "model/rule_set.hpp"
#include "present/labels.hpp"
#include "report/committee.hpp"
#include "store/snapshot.hpp"

namespace tiendo::report::detail {

// Every word the report writes, in one language: the headings, the columns, and the
// phrases its reasons and causes are made of. The report is Vietnamese (the committee's
// language, and the default); English on request (`report --lang en`).
struct Words {
  model::Language language;
  std::string_view title;  // "Báo cáo tiến độ thực hiện mục tiêu, chỉ tiêu"
  std::string_view targets_heading;  // "Tình hình thực hiện các mục tiêu, chỉ tiêu"
  std::string_view tasks_heading;
  std::string_view no_tasks;
  std::string_view as_of;        // "Tính đến ngày" + the date
  std::string_view other_group;  // the group of rules without `label group`, shown
  // The targets' table.
  std::string_view col_stt, col_target, col_goal, col_result, col_state;
  // The tasks' table.
  std::string_view col_task, col_owner, col_due, col_earliest, col_cause;
  std::string_view basis;    // "Căn cứ: "
  std::string_view history;  // "chỉ tiêu: " inside a cell ("Chỉ tiêu: " on a line of its own)
  std::string_view history_line;
  std::string_view of_target;  // a progress bar's label: "83% mục tiêu"
  std::string_view rule_rows;  // "Tổng hợp {} dòng kết quả:" as a prefix and a suffix
  std::string_view rule_rows_after;
  std::string_view tasks_total, tasks_total_after;
  std::string_view units;     // " đơn vị" after per-unit counts
  std::string_view by, from;  // "hạn ", "từ " before a date
  // Reasons.
  std::string_view outside;  // "ngoài khoảng "
  std::string_view projected, projected_on;
  std::string_view must_rise, must_fall, rising, falling;
  std::string_view deadline_near;
  std::string_view past_deadline, no_figure, no_figure_at_deadline;
  std::string_view no_unit;
  std::string_view waits_for_task, expected_finish, no_figure_since, failing_since;
  std::string_view latest_figure;
  std::string_view overdue_since, blocked, earliest_finish, root_cause_inline, error;
  // Tasks' causes.
  std::string_view report_of;  // "Báo cáo ngày " + date + ": " + note
  std::string_view reported_blocked, no_report_yet, root_cause, chain;
};
const Words& words(model::Language language);

constexpr std::string_view kNoValue = "—";
// Reasons in the tables are cut here; the CSV keeps them whole.
constexpr std::size_t kShortReason = 140;
constexpr std::size_t kRuleStates = present::kRuleStateCount;
constexpr std::size_t kTaskStates = present::kTaskStateCount;

struct Row {
  const eval::RuleResult* result = nullptr;
  std::string unit;    // the unit's name; empty when the rule was evaluated nowhere
  std::string target;  // "≥ 85%"
  std::string timing;  // "hạn 31/12/2022", "từ 01/6/2022" or empty
  std::string date;    // "31/12/2022" (deadline or start) or empty
  std::string value;   // "77,62% (392/505)", "khoảng 83,5%"; empty when none
  std::string note;    // the figure's notes ("số liệu ước tính"); empty when none
  std::string reason;  // in the report's language, whole
  std::optional<double> progress;  // value / target, for the bar
  std::string chart;               // an inline SVG (ReportOptions::charts); empty for none
};

struct Item {
  model::Index rule = model::kNone;
  std::string stt;
  std::string title;
  std::string basis;  // the documents it rests on, cited; empty without `basis`
  // The target over time, for an amended rule: "50% theo 177/KH-UBND; điều chỉnh còn 30%
  // từ 15/10/2022 theo 2345/QĐ-UBND"; empty otherwise.
  std::string history;
  bool per_unit = false;  // a heading row, then one row per unit
  // A per-unit rule's units by name: "chưa đạt: Gia Canh, Tà Lài; chưa có số liệu: Sông Ray".
  std::string unit_names;
  std::vector<Row> rows;
};

struct Group {
  std::string name;
  std::vector<Item> items;
};

struct TaskRow {
  const eval::TaskResult* result = nullptr;
  std::string title;
  std::string owner;
  std::string due;
  std::string earliest_finish;
  std::string root_cause;  // title; empty when the task is its own cause
  std::string chain;       // "A ← B ← C" from the task to the root cause; empty if none
  std::string note;  // "Báo cáo ngày 19/09/2022: “vướng thủ tục đầu tư”"; empty if none
};

struct Report {
  model::Language language = model::Language::vi;
  const Words& words() const { return report::detail::words(language); }
  model::Date at;
  std::vector<Group> groups;
  std::size_t rule_rows = 0;
  std::array<int, kRuleStates> rule_counts{};
  std::size_t task_count = 0;
  std::array<int, kTaskStates> task_counts{};
  std::vector<TaskRow> tasks;
  const SinceChanges* since = nullptr;
};

Report build_report(const model::RuleSet& rules, const store::Snapshot& snapshot,
                    const eval::Results& results, model::Language language = model::Language::vi,
                    const ReportOptions& options = {});

// What changed, as the report says it first (report.since): a heading ("Thay đổi từ ngày
// 30/6/2022"), the run compared with, the sentence ("2 chỉ tiêu chuyển sang …; 3 cảnh báo
// đã hết.") and the first changes by name, the worst first ("Title — Unit: Đạt → Không
// đạt"). Nothing without report.since.
struct ChangesText {
  std::string heading;
  std::string compared;
  std::string sentence;
  std::vector<std::string> lines;
  std::size_t more = 0;  // changes not listed
};
std::optional<ChangesText> changes_text(const model::RuleSet& rules,
                                        const store::Snapshot& snapshot, const Report& report);

// ---------------------------------------------------------------------------------------
// Texts the three formats share (committee_text.cpp)

// The root unit (the first without a parent), which names the province; nullptr without
// units.
const store::SnapshotUnit* root_unit(const store::Snapshot& snapshot);
// A unit's name, or its id when it has none.
const std::string& unit_name(const store::SnapshotUnit& unit);
// The title of the Markdown and HTML reports: kTitle and the root unit's name as running
// text writes it, the administrative word in lower case ("Báo cáo tiến độ thực hiện mục
// tiêu, chỉ tiêu tỉnh Đồng Nai"; "… thành phố Hồ Chí Minh"); kTitle alone when the snapshot
// has no unit without a parent, or several.
// In English: "Progress on targets and indicators: Tỉnh Đồng Nai" (the unit's name as the
// data writes it).
std::string report_title(const store::Snapshot& snapshot, model::Language language);

// The start of `text`, up to `limit` characters (combining marks ride with their base),
// with an ellipsis when something was cut.
std::string shorten(std::string_view text, std::size_t limit);
std::string quoted(std::string_view text);  // “text”
std::string or_dash(const std::string& text);
// "Tổng hợp 24 dòng kết quả: Không đạt 2, …" and "Tổng số 9 nhiệm vụ: Quá hạn 1, …", the
// states in present::rule_state_order and task_state_order.
std::string rule_summary(const Report& report);
std::string task_summary(const Report& report);
// A figure with its notes beside it, as the provincial report writes them: "9,23% (số liệu
// ước tính)"; the notes cut at kShortReason characters.
std::string value_with_note(const Row& row);
// What a listed task's own state says when no other task is its cause.
std::string own_cause(const TaskRow& t, const Words& w);
// The cause of a listed task, in one sentence, then the note of its last report.
std::string task_cause(const TaskRow& t, const Words& w);
// Per-unit rows of one rule, counted by state: "Không đạt: 2/11; Đạt: 9/11 đơn vị".
std::string unit_counts(const Item& it, const Words& w);
// The target text every row of a per-unit rule shares, or empty when they differ.
std::string common_target(const Item& it);
std::string join_target(const std::string& target, const std::string& timing);

// ---------------------------------------------------------------------------------------
// The HTML tables (committee_html.cpp), shared by the page and the document form

// page: the screen's and printer's page, styled by its stylesheet (coloured badges,
// progress bars, column widths by class). document: the administrative document, which
// pandoc also reads without a stylesheet: the state in bold, no bars, column widths inline,
// a group's row in bold and a unit's row marked "· ".
enum class HtmlLayout { page, document };
std::string html_targets_table(const Report& report, HtmlLayout layout);
// The tasks' table, or the sentence saying there is none to list.
std::string html_tasks_table(const Report& report, HtmlLayout layout);
// What changed (changes_text) as a section; empty without report.since.
std::string html_changes(const model::RuleSet& rules, const store::Snapshot& snapshot,
                         const Report& report);

}  // namespace tiendo::report::detail

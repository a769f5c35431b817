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
#include "store/snapshot.hpp"

namespace tiendo::report::detail {

constexpr std::string_view kTitle = "Báo cáo tiến độ thực hiện mục tiêu, chỉ tiêu";
constexpr std::string_view kTargetsHeading = "Tình hình thực hiện các mục tiêu, chỉ tiêu";
constexpr std::string_view kTasksHeading =
    "Nhiệm vụ quá hạn, bị chặn, chưa báo cáo hoặc có nguy cơ trễ hạn";
constexpr std::string_view kNoTasks =
    "Không có nhiệm vụ nào quá hạn, bị chặn, chưa báo cáo hoặc có nguy cơ trễ hạn.";
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
  std::string reason;  // Vietnamese, whole
  std::optional<double> progress;  // value / target, for the bar
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
  model::Date at;
  std::vector<Group> groups;
  std::size_t rule_rows = 0;
  std::array<int, kRuleStates> rule_counts{};
  std::size_t task_count = 0;
  std::array<int, kTaskStates> task_counts{};
  std::vector<TaskRow> tasks;
};

Report build_report(const model::RuleSet& rules, const store::Snapshot& snapshot,
                    const eval::Results& results);

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
std::string report_title(const store::Snapshot& snapshot);

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
std::string own_cause(const TaskRow& t);
// The cause of a listed task, in one sentence, then the note of its last report.
std::string task_cause(const TaskRow& t);
// Per-unit rows of one rule, counted by state: "Không đạt: 2/11; Đạt: 9/11 đơn vị".
std::string unit_counts(const Item& it);
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

}  // namespace tiendo::report::detail

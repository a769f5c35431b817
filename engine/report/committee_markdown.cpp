// The report in Markdown: one table of targets, one of late tasks.
#include <fmt/format.h>

#include <string>
#include <string_view>
#include <vector>

#include "present/format.hpp"
#include "present/labels.hpp"
#include "report/committee.hpp"
#include "report/committee_data.hpp"

namespace tiendo::report {

namespace {

using namespace detail;
using present::format_date;
using present::roman;

std::string md_cell(std::string_view text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '\\':
      case '|':
      case '*':
      case '_':
      case '`':
      case '<':
      case '>':
      case '[':
      case ']':
        out += '\\';
        out += c;
        break;
      case '\n':
      case '\r':
        out += ' ';
        break;
      default:
        out += c;
    }
  }
  return out.empty() ? std::string(kNoValue) : out;
}

std::string md_row(const std::vector<std::string>& cells) {
  std::string line = "|";
  for (const std::string& cell : cells) line += " " + cell + " |";
  return line + "\n";
}

std::string state_with_reason(std::string_view state, const std::string& reason) {
  if (reason.empty()) return std::string(state);
  return std::string(state) + ": " + shorten(reason, kShortReason);
}
// A rule's title with its basis and, when amended, its target's history, for a Markdown
// cell: "… (Căn cứ: Kế hoạch 177/KH-UBND …; chỉ tiêu: 50% theo 177/KH-UBND; điều chỉnh
// còn 30% từ 15/10/2022 theo 2345/QĐ-UBND)".
std::string titled(const Item& it, const Words& w) {
  std::string notes = it.basis.empty() ? std::string() : std::string(w.basis) + it.basis;
  if (!it.history.empty()) {
    notes += (notes.empty() ? "" : "; ") + std::string(w.history) + it.history;
  }
  return notes.empty() ? it.title : it.title + " (" + notes + ")";
}

}  // namespace

std::string markdown(const model::RuleSet& rules, const store::Snapshot& snapshot,
                     const eval::Results& results, model::Language language,
                     const ReportOptions& options) {
  const Report report = build_report(rules, snapshot, results, language, options);
  const Words& w = report.words();
  const auto label = [&](auto state) { return present::label(state, language); };
  std::string out = fmt::format("# {}\n\n{}{}\n\n", md_cell(report_title(snapshot, language)),
                                w.as_of, format_date(report.at, language));
  // What changed since an earlier run, first (report --since).
  if (const std::optional<ChangesText> changes = changes_text(rules, snapshot, report)) {
    out += fmt::format("## {}\n\n{}\n\n**{}**\n\n", changes->heading, changes->compared,
                       changes->sentence);
    for (const std::string& line : changes->lines) out += "- " + line + "\n";
    if (changes->more > 0) {
      out +=
          fmt::format(fmt::runtime(language == model::Language::en ? "- … and {} more\n"
                                                                   : "- … và {} thay đổi khác\n"),
                      changes->more);
    }
    if (!changes->lines.empty()) out += "\n";
  }
  out += fmt::format("{}\n\n## {}\n\n", rule_summary(report), w.targets_heading);
  out += md_row({std::string(w.col_stt), std::string(w.col_target), std::string(w.col_goal),
                 std::string(w.col_result), std::string(w.col_state)});
  out += md_row({"---:", "---", "---", "---", "---"});
  for (std::size_t g = 0; g < report.groups.size(); ++g) {
    const Group& group = report.groups[g];
    out += md_row({"**" + roman(static_cast<int>(g + 1)) + "**", "**" + md_cell(group.name) + "**",
                   "", "", ""});
    for (const Item& it : group.items) {
      if (!it.per_unit) {
        const Row& row = it.rows.front();
        out += md_row({md_cell(it.stt), md_cell(titled(it, w)),
                       md_cell(join_target(row.target, row.timing)), md_cell(value_with_note(row)),
                       md_cell(state_with_reason(label(row.result->state), row.reason))});
        continue;
      }
      const std::string common = common_target(it);
      out += md_row({md_cell(it.stt), md_cell(titled(it, w)),
                     md_cell(join_target(common, it.rows.front().timing)), "",
                     md_cell(unit_counts(it, w))});
      for (const Row& row : it.rows) {
        out += md_row({"", "· " + md_cell(row.unit), common.empty() ? md_cell(row.target) : "",
                       md_cell(value_with_note(row)),
                       md_cell(state_with_reason(label(row.result->state), row.reason))});
      }
    }
  }
  out += fmt::format("\n## {}\n\n{}\n\n", w.tasks_heading, task_summary(report));
  if (report.tasks.empty()) return out + std::string(w.no_tasks) + "\n";
  out += md_row({std::string(w.col_stt), std::string(w.col_task), std::string(w.col_owner),
                 std::string(w.col_due), std::string(w.col_earliest), std::string(w.col_state),
                 std::string(w.col_cause)});
  out += md_row({"---:", "---", "---", "---", "---", "---", "---"});
  for (std::size_t i = 0; i < report.tasks.size(); ++i) {
    const TaskRow& t = report.tasks[i];
    out += md_row({std::to_string(i + 1), md_cell(t.title), md_cell(t.owner), md_cell(t.due),
                   md_cell(t.earliest_finish), md_cell(label(t.result->state)),
                   md_cell(task_cause(t, w))});
  }
  return out;
}

}  // namespace tiendo::report

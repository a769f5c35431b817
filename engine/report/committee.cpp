#include "report/committee.hpp"

#include "eval/present.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <chrono>
#include <cmath>
#include <map>
#include <optional>
#include <vector>

#include "util/text.hpp"

namespace tiendo::report {

namespace {

using eval::RuleState;
using eval::TaskState;
using model::Index;

constexpr std::string_view kTitle = "Báo cáo tiến độ thực hiện mục tiêu, chỉ tiêu";
constexpr std::string_view kTargetsHeading = "Tình hình thực hiện các mục tiêu, chỉ tiêu";
constexpr std::string_view kTasksHeading =
    "Nhiệm vụ quá hạn, bị chặn, chưa báo cáo hoặc có nguy cơ trễ hạn";
constexpr std::string_view kNoTasks =
    "Không có nhiệm vụ nào quá hạn, bị chặn, chưa báo cáo hoặc có nguy cơ trễ hạn.";
constexpr std::string_view kOtherGroup = "Khác";
constexpr std::string_view kNoValue = "—";
// Reasons in the tables are cut here; the CSV keeps them whole.
constexpr std::size_t kShortReason = 140;
// Task titles inside a rule's reason are cut here, so that the reason stays one line.
constexpr std::size_t kShortTitle = 70;
// Units a coverage lists by name before "và N đơn vị khác".
constexpr std::size_t kCoverageNamed = 10;
constexpr int kRuleStates = static_cast<int>(RuleState::error) + 1;
constexpr int kTaskStates = static_cast<int>(TaskState::on_track) + 1;
// Summaries list states from good to bad, then the ones with nothing to judge yet.
constexpr RuleState kRuleStateOrder[] = {
    RuleState::met,      RuleState::ok,    RuleState::on_track, RuleState::at_risk,
    RuleState::blocked,  RuleState::stale, RuleState::no_data,  RuleState::missed,
    RuleState::violated, RuleState::error, RuleState::not_yet};
constexpr TaskState kTaskStateOrder[] = {
    TaskState::done,      TaskState::done_late, TaskState::on_track, TaskState::at_risk,
    TaskState::no_report, TaskState::blocked,   TaskState::overdue,  TaskState::cancelled};
static_assert(std::size(kRuleStateOrder) == kRuleStates);
static_assert(std::size(kTaskStateOrder) == kTaskStates);

template <class T>
const T& item(const std::vector<T>& items, Index index) {
  return items[static_cast<std::size_t>(index)];
}

// The start of `text`, up to `limit` characters (combining marks ride with their base), with
// an ellipsis when something was cut.
std::string shorten(std::string_view text, std::size_t limit) {
  std::size_t count = 0;
  std::size_t pos = 0;
  while (pos < text.size()) {
    const std::size_t start = pos;
    const char32_t c = util::decode_utf8(text, pos);
    if (util::is_combining_mark(c)) continue;
    if (++count > limit) {
      std::string cut(text.substr(0, start));
      while (!cut.empty() && (cut.back() == ' ' || cut.back() == ',' || cut.back() == ';')) {
        cut.pop_back();
      }
      return cut + "…";
    }
  }
  return std::string(text);
}

// A state name inside a sentence: "Quá hạn" → "quá hạn". Every state name starts with
// an ASCII letter or Đ.
std::string lower_first(std::string_view text) {
  std::string out(text);
  if (out.rfind("Đ", 0) == 0) return "đ" + out.substr(std::string_view("Đ").size());
  if (!out.empty() && out[0] >= 'A' && out[0] <= 'Z')
    out[0] = static_cast<char>(out[0] - 'A' + 'a');
  return out;
}

std::string quoted(std::string_view text) { return "“" + std::string(text) + "”"; }

const std::string* find_label(const std::vector<std::pair<std::string, std::string>>& labels,
                              std::string_view key) {
  for (const auto& [name, value] : labels) {
    if (name == key) return &value;
  }
  return nullptr;
}

std::optional<double> parse_number(const std::string& text) {
  double value = 0;
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (ec != std::errc() || ptr != end) return std::nullopt;
  return value;
}

std::string_view symbol(model::Comparator op) {
  switch (op) {
    case model::Comparator::ge:
      return "≥";
    case model::Comparator::le:
      return "≤";
    case model::Comparator::gt:
      return ">";
    case model::Comparator::lt:
      return "<";
    case model::Comparator::eq:
      return "=";
    case model::Comparator::ne:
      return "≠";
    case model::Comparator::between:
      return "";
  }
  return "";
}

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

// ---------------------------------------------------------------------------------------
// The report as data; the three formats only lay it out.

struct Row {
  const eval::RuleResult* result = nullptr;
  std::string unit;                // the unit's name; empty when the rule was evaluated nowhere
  std::string target;              // "≥ 85%"
  std::string timing;              // "hạn 31/12/2022", "từ 01/6/2022" or empty
  std::string date;                // "31/12/2022" (deadline or start) or empty
  std::string value;               // "77,62% (392/505)"; empty when there is none
  std::string reason;              // Vietnamese, whole
  std::optional<double> progress;  // value / target, for the bar
};

struct Item {
  Index rule = model::kNone;
  std::string stt;
  std::string title;
  std::string basis;      // the documents it rests on, cited; empty without `basis`
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
  std::string note;        // "Báo cáo ngày 19/09/2022: “vướng thủ tục đầu tư”"; empty if none
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

class Builder {
 public:
  Builder(const model::RuleSet& rules, const store::Snapshot& snapshot,
          const eval::Results& results)
      : rules_(rules), snapshot_(snapshot), results_(results) {}

  Report build() {
    Report report;
    report.at = results_.at;
    build_groups(report);
    build_tasks(report);
    return report;
  }

 private:
  std::string value_text(model::ExprId id, double value) const {
    return item(rules_.expressions, id).unit == model::ValueUnit::percent ? format_percent(value)
                                                                          : format_number(value);
  }

  std::string task_title(Index task) const {
    const model::Task& t = item(rules_.tasks, task);
    return t.title.empty() ? t.name : t.title;
  }

  std::string rule_title(const model::Rule& rule) const {
    if (!rule.title.empty()) return rule.title;
    for (Index indicator : rule.indicators) {
      const std::string& title = item(rules_.indicators, indicator).title;
      if (!title.empty()) return title;
    }
    return rule.name;
  }

  std::string target_text(const model::Condition& cond, const eval::RuleResult& r,
                          const model::Rule& rule) const {
    if (cond.op == model::Comparator::between) {
      if (r.target && r.upper) {
        return value_text(cond.rhs, *r.target) + " – " + value_text(cond.upper, *r.upper);
      }
    } else if (r.target) {
      return fmt::format("{} {}", symbol(cond.op), value_text(cond.rhs, *r.target));
    }
    return rule.condition_text;
  }

  // "77,62% (392/505)" when the value is one observation given as a fraction.
  std::string result_value_text(const model::Condition& cond, const eval::RuleResult& r) const {
    if (!r.value) return {};
    std::string text = value_text(cond.lhs, *r.value);
    const model::ExprNode& lhs = item(rules_.expressions, cond.lhs);
    if (lhs.kind == model::ExprKind::latest && r.used.size() == 1 && r.used[0].point &&
        snapshot_.numerator(*r.used[0].point) && snapshot_.denominator(*r.used[0].point)) {
      text += fmt::format(" ({}/{})", format_number(*snapshot_.numerator(*r.used[0].point)),
                          format_number(*snapshot_.denominator(*r.used[0].point)));
    }
    return text;
  }

  // Why, in Vietnamese and from the figures (the evaluator's own reason is English).
  std::string reason_text(const model::Rule& rule, const model::Condition& cond,
                          const eval::RuleResult& r) const {
    std::string text = state_reason_text(rule, cond, r);
    // Coverage names its units: "33/36 đơn vị; chưa đạt: Gia Canh, Tà Lài; chưa có số
    // liệu: Sông Ray", each list cut after a few names ("và 12 đơn vị khác").
    if (r.coverage) {
      const std::string units = eval::coverage_text_vi(snapshot_, *r.coverage, kCoverageNamed);
      if (!units.empty()) text = text.empty() ? units : text + "; " + units;
    }
    // A value outside a band is said to be: "ngoài khoảng 65–70%", whatever the state.
    if (cond.op == model::Comparator::between && r.value && r.target && r.upper &&
        (*r.value < *r.target || *r.value > *r.upper) && r.state != RuleState::met &&
        r.state != RuleState::ok) {
      text = "ngoài khoảng " + value_text(cond.rhs, *r.target) + "–" +
             value_text(cond.upper, *r.upper) + (text.empty() ? "" : "; " + text);
    }
    return text;
  }

  std::string state_reason_text(const model::Rule& rule, const model::Condition& cond,
                                const eval::RuleResult& r) const {
    const std::string deadline = r.deadline ? format_date(*r.deadline) : std::string();
    switch (r.state) {
      case RuleState::met:
      case RuleState::ok:
        return {};
      case RuleState::on_track:
      case RuleState::at_risk: {
        std::vector<std::string> parts;
        if (r.projected) {
          parts.push_back("dự báo " + value_text(cond.lhs, *r.projected) +
                          (deadline.empty() ? "" : " vào " + deadline));
        }
        if (r.state == RuleState::at_risk && r.rate_needed && r.rate_observed) {
          const bool points = item(rules_.expressions, cond.lhs).unit == model::ValueUnit::percent;
          const double scale = points ? 100 : 1;
          const std::string per = points ? " điểm %/tháng" : "/tháng";
          const auto change = [&](std::string_view up, std::string_view down, double rate) {
            return std::string(rate >= 0 ? up : down) + " " +
                   format_number(std::abs(rate) * scale) + per;
          };
          parts.push_back(change("cần tăng", "cần giảm", *r.rate_needed) + ", " +
                          change("đang tăng", "đang giảm", *r.rate_observed));
        }
        if (r.state == RuleState::at_risk && rule.warn_within && r.deadline &&
            results_.at >= model::subtract(*r.deadline, *rule.warn_within)) {
          parts.push_back("sắp đến hạn");
        }
        std::string text;
        for (const std::string& part : parts) text += (text.empty() ? "" : "; ") + part;
        return text;
      }
      case RuleState::missed: {
        // A verdict past the deadline may rest on an old figure, or none: say so.
        std::string text = deadline.empty() ? std::string() : "đã hết hạn " + deadline;
        if (!r.value) {
          text += (text.empty() ? "" : "; ") + std::string("không có số liệu");
        } else if (r.deadline) {
          model::Date latest{};
          for (const eval::UsedPoint& u : r.used) {
            if (u.point && u.point->end() > latest) latest = u.point->end();
          }
          if (!r.used.empty() && latest < *r.deadline) {
            text += (text.empty() ? "" : "; ") + std::string("chưa có số liệu tại hạn, số liệu gần nhất đến ") +
                    format_date(latest);
          }
        }
        return text;
      }
      case RuleState::not_yet:
        return {};  // the target column already says from when it applies
      case RuleState::violated:
        return r.failed_on ? "không đạt từ ngày " + format_date(*r.failed_on) : std::string();
      case RuleState::no_data: {
        if (r.unit < 0) return "không có đơn vị để đánh giá";
        // The figure usually waits for work the rule needs (a survey, a data warehouse):
        // name it, as the provincial report does in place of the missing figure.
        std::string text;
        for (Index needed : rule.needs) {
          const eval::TaskResult& task = item(results_.tasks, needed);
          if (task.state == TaskState::done || task.state == TaskState::done_late ||
              task.state == TaskState::cancelled) {
            continue;
          }
          const model::Task& t = item(rules_.tasks, needed);
          std::string details = t.owner;
          if (task.state != TaskState::on_track) {
            details += (details.empty() ? "" : ", ") + lower_first(state_name(task.state));
          } else if (task.earliest_finish) {
            details += (details.empty() ? "" : ", ") + std::string("dự kiến xong ") +
                       format_date(*task.earliest_finish);
          }
          text += (text.empty() ? "chờ nhiệm vụ " : "; ") +
                  quoted(shorten(task_title(needed), kShortTitle)) +
                  (details.empty() ? "" : " (" + details + ")");
        }
        if (text.empty() && rule.timing == model::Timing::from && deadline.size() > 0) {
          text = "chưa có số liệu kể từ " + deadline;
        }
        return text;
      }
      case RuleState::stale: {
        // The oldest of the newest observations per indicator is the one that is stale.
        std::map<Index, model::Date> newest;
        for (const eval::UsedPoint& u : r.used) {
          if (!u.point) continue;
          auto [it, inserted] = newest.emplace(u.indicator, u.point->end());
          if (!inserted && u.point->end() > it->second) it->second = u.point->end();
        }
        if (newest.empty()) return {};
        model::Date oldest = newest.begin()->second;
        for (const auto& entry : newest) oldest = std::min(oldest, entry.second);
        return "số liệu mới nhất đến " + format_date(oldest);
      }
      case RuleState::blocked: {
        if (r.blocking_task == model::kNone) return {};
        const eval::TaskResult& task = item(results_.tasks, r.blocking_task);
        std::string text =
            "chờ nhiệm vụ " + quoted(shorten(task_title(r.blocking_task), kShortTitle));
        if (task.state == TaskState::overdue && task.due) {
          text += " (quá hạn " + format_date(*task.due) + ")";
        } else if (task.state == TaskState::blocked) {
          text += " (bị chặn)";
        } else if (task.earliest_finish) {
          text += " (sớm nhất xong " + format_date(*task.earliest_finish) + ")";
        }
        Index root = r.chain.empty() ? task.root_cause : r.chain.back();
        if (root != model::kNone && root != r.blocking_task) {
          text += "; nguyên nhân gốc: " + quoted(shorten(task_title(root), kShortTitle));
        }
        return text;
      }
      case RuleState::error:
        return "lỗi tính toán: " + r.reason;
    }
    return {};
  }

  Row make_row(const model::Rule& rule, const eval::RuleResult& r) const {
    const model::Condition& cond = item(rules_.conditions, rule.condition);
    Row row;
    row.result = &r;
    if (r.unit >= 0) {
      const store::SnapshotUnit& unit = item(snapshot_.units(), r.unit);
      row.unit = unit.name.empty() ? unit.id : unit.name;
    }
    row.target = target_text(cond, r, rule);
    if (rule.timing != model::Timing::none) {
      row.date = format_date(rule.date);
      row.timing = (rule.timing == model::Timing::by ? "hạn " : "từ ") + row.date;
    }
    row.value = result_value_text(cond, r);
    row.reason = reason_text(rule, cond, r);
    const bool upward = cond.op == model::Comparator::ge || cond.op == model::Comparator::gt ||
                        cond.op == model::Comparator::between;
    if (upward && r.value && r.target && *r.target > 0) {
      row.progress = std::clamp(*r.value / *r.target, 0.0, 1.0);
    }
    return row;
  }

  void build_groups(Report& report) const {
    struct Entry {
      Item item;
      std::optional<double> number;  // the stt, when it is a number
      std::size_t order = 0;         // declaration order
    };
    std::vector<std::string> group_order;
    std::map<std::string, std::vector<Entry>> entries;
    for (std::size_t i = 0; i < rules_.rules.size(); ++i) {
      const std::span<const eval::RuleResult> results =
          eval::results_of(results_, static_cast<Index>(i));
      if (results.empty()) continue;
      const model::Rule& rule = rules_.rules[i];
      const std::string* group_label = find_label(rule.labels, "group");
      const std::string group =
          group_label && !group_label->empty() ? *group_label : std::string(kOtherGroup);
      if (!entries.contains(group)) group_order.push_back(group);
      Entry entry;
      entry.order = i;
      entry.item.rule = static_cast<Index>(i);
      entry.item.title = rule_title(rule);
      entry.item.basis = basis_text(rules_, rule);
      if (const std::string* stt = find_label(rule.labels, "stt")) {
        entry.item.stt = *stt;
        entry.number = parse_number(*stt);
      }
      for (const eval::RuleResult& r : results) {
        entry.item.rows.push_back(make_row(rule, r));
        ++report.rule_rows;
        ++report.rule_counts[static_cast<std::size_t>(r.state)];
      }
      entry.item.per_unit =
          entry.item.rows.size() > 1 || (!rule.for_each.none() && results.front().unit >= 0);
      if (auto summary = eval::for_each_summary(rules_, results)) {
        entry.item.unit_names = eval::coverage_names_vi(snapshot_, *summary, kCoverageNamed);
      }
      entries[group].push_back(std::move(entry));
    }
    // Rules without a group come last, whatever their place in the files.
    const auto other = std::find(group_order.begin(), group_order.end(), kOtherGroup);
    if (other != group_order.end()) std::rotate(other, other + 1, group_order.end());

    for (const std::string& name : group_order) {
      std::vector<Entry>& list = entries[name];
      std::stable_sort(list.begin(), list.end(), [](const Entry& a, const Entry& b) {
        if (a.number.has_value() != b.number.has_value()) return a.number.has_value();
        if (a.number && *a.number != *b.number) return *a.number < *b.number;
        return a.order < b.order;
      });
      // A rule without a number continues the group's numbering, as a row added to the
      // table by hand would.
      double last = 0;
      for (const Entry& e : list) {
        if (e.number) last = std::max(last, std::floor(*e.number));
      }
      Group group;
      group.name = name;
      for (Entry& e : list) {
        if (e.item.stt.empty()) {
          last += 1;
          e.item.stt = format_number(last);
        }
        group.items.push_back(std::move(e.item));
      }
      report.groups.push_back(std::move(group));
    }
  }

  void build_tasks(Report& report) const {
    report.task_count = results_.tasks.size();
    for (const eval::TaskResult& t : results_.tasks) {
      ++report.task_counts[static_cast<std::size_t>(t.state)];
    }
    // Overdue first, then blocked, not reported and at risk; each in declaration order.
    for (TaskState state :
         {TaskState::overdue, TaskState::blocked, TaskState::no_report, TaskState::at_risk}) {
      for (const eval::TaskResult& t : results_.tasks) {
        if (t.state != state || t.task == model::kNone) continue;
        const model::Task& task = item(rules_.tasks, t.task);
        TaskRow row;
        row.result = &t;
        row.title = task_title(t.task);
        row.owner = task.owner;
        if (t.due) row.due = format_date(*t.due);
        if (t.earliest_finish) row.earliest_finish = format_date(*t.earliest_finish);
        if (t.root_cause != model::kNone && t.root_cause != t.task) {
          row.root_cause = task_title(t.root_cause);
        }
        // A chain of one is just the root cause, already named.
        if (t.chain.size() > 1) {
          row.chain = row.title;
          for (Index c : t.chain) row.chain += " ← " + task_title(c);
        }
        if (!t.note.empty() && t.reported_on) {
          row.note = "Báo cáo ngày " + format_date(*t.reported_on) + ": " + quoted(t.note);
        }
        report.tasks.push_back(std::move(row));
      }
    }
  }

  const model::RuleSet& rules_;
  const store::Snapshot& snapshot_;
  const eval::Results& results_;
};

std::string rule_summary(const Report& report) {
  std::string text = fmt::format("Tổng hợp {} dòng kết quả:", report.rule_rows);
  bool first = true;
  for (RuleState state : kRuleStateOrder) {
    const int count = report.rule_counts[static_cast<std::size_t>(state)];
    if (count == 0) continue;
    text += fmt::format("{} {} {}", first ? "" : ",", state_name(state), count);
    first = false;
  }
  return text + ".";
}

std::string task_summary(const Report& report) {
  std::string text = fmt::format("Tổng số {} nhiệm vụ:", report.task_count);
  bool first = true;
  for (TaskState state : kTaskStateOrder) {
    const int count = report.task_counts[static_cast<std::size_t>(state)];
    if (count == 0) continue;
    text += fmt::format("{} {} {}", first ? "" : ",", state_name(state), count);
    first = false;
  }
  return text + ".";
}

// What a listed task's own state says when no other task is its cause: reported blocked,
// or not reported at all though work should have begun.
std::string own_cause(const TaskRow& t) {
  const eval::TaskResult& r = *t.result;
  if (r.state == TaskState::blocked && r.reported_on) {
    return "Báo cáo bị chặn ngày " + format_date(*r.reported_on);
  }
  if (r.state == TaskState::no_report && r.expected_from) {
    return "Chưa có báo cáo nào; lẽ ra đã bắt đầu từ " + format_date(*r.expected_from);
  }
  return {};
}

// The cause of a listed task, in one sentence, then the note of its last report.
std::string task_cause(const TaskRow& t) {
  std::string text;
  if (!t.root_cause.empty()) text = "Nguyên nhân gốc: " + quoted(t.root_cause);
  if (!t.chain.empty()) text += (text.empty() ? "" : "; ") + std::string("chuỗi: ") + t.chain;
  if (text.empty()) text = own_cause(t);
  if (!t.note.empty()) text += (text.empty() ? "" : ". ") + t.note;
  return text;
}

// Per-unit rows of one rule, counted by state: "9 Đạt, 2 Không đạt".
std::string unit_counts(const Item& it) {
  std::array<int, kRuleStates> counts{};
  for (const Row& row : it.rows) ++counts[static_cast<std::size_t>(row.result->state)];
  std::string text;
  for (RuleState state : kRuleStateOrder) {
    const int count = counts[static_cast<std::size_t>(state)];
    if (count == 0) continue;
    text += fmt::format("{}{}: {}/{}", text.empty() ? "" : "; ", state_name(state), count,
                        it.rows.size());
  }
  text += " đơn vị";
  if (!it.unit_names.empty()) text += "; " + it.unit_names;
  return text;
}

// A rule's title with its basis, for a Markdown cell: "… (Căn cứ: Kế hoạch 177/KH-UBND …)".
std::string titled(const Item& it) {
  return it.basis.empty() ? it.title : it.title + " (Căn cứ: " + it.basis + ")";
}

// The same for HTML: the basis on a line of its own, in grey.
std::string html_title_cell(const Item& it) {
  std::string cell = html_escape(it.title);
  if (!it.basis.empty()) cell += "<div class=\"muted\">Căn cứ: " + html_escape(it.basis) + "</div>";
  return cell;
}

// The target text every row of a per-unit rule shares, or empty when they differ.
std::string common_target(const Item& it) {
  for (const Row& row : it.rows) {
    if (row.target != it.rows.front().target) return {};
  }
  return it.rows.front().target;
}

std::string join_target(const std::string& target, const std::string& timing) {
  if (target.empty()) return timing;
  if (timing.empty()) return target;
  return target + ", " + timing;
}

// ---------------------------------------------------------------------------------------
// Markdown

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

// ---------------------------------------------------------------------------------------
// HTML

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
std::string progress_bar(double fraction, Tone t) {
  constexpr double kWidth = 120;
  constexpr double kTrack = 116;  // the target sits at the end of the track
  const double filled = std::round(fraction * kTrack * 10) / 10;
  return fmt::format(
      "<svg class=\"bar\" width=\"{0}\" height=\"12\" viewBox=\"0 0 {0} 12\" role=\"img\" "
      "aria-label=\"{4} mục tiêu\"><title>{4} mục tiêu</title>"
      "<rect x=\"0\" y=\"3\" width=\"{1}\" height=\"6\" rx=\"1.5\" fill=\"#e3e6ea\"/>"
      "<rect x=\"0\" y=\"3\" width=\"{2}\" height=\"6\" rx=\"1.5\" fill=\"{3}\"/>"
      "<rect x=\"{1}\" y=\"0\" width=\"2\" height=\"12\" fill=\"#1b1f24\"/></svg>",
      kWidth, kTrack, filled, tone_colour(t), format_percent(fraction));
}

std::string html_state_cell(const Row& row) {
  std::string cell = html_badge(state_name(row.result->state), tone(row.result->state));
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

std::string html_value_cell(const Row& row) {
  if (row.value.empty()) return fmt::format("<span class=\"none\">{}</span>", kNoValue);
  std::string cell = "<div class=\"value\">" + html_escape(row.value) + "</div>";
  if (row.progress) cell += progress_bar(*row.progress, tone(row.result->state));
  return cell;
}

std::string or_dash(const std::string& text) { return text.empty() ? std::string(kNoValue) : text; }

}  // namespace

// ---------------------------------------------------------------------------------------
// Building blocks

std::string format_number(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "∞" : "-∞";
  std::string fixed = fmt::format("{:.2f}", value);
  bool negative = false;
  if (!fixed.empty() && fixed.front() == '-') {
    negative = true;
    fixed.erase(0, 1);
  }
  const std::size_t point = fixed.find('.');
  std::string whole = fixed.substr(0, point);
  std::string fraction = point == std::string::npos ? std::string() : fixed.substr(point + 1);
  while (!fraction.empty() && fraction.back() == '0') fraction.pop_back();
  std::string grouped;
  for (std::size_t i = 0; i < whole.size(); ++i) {
    if (i > 0 && (whole.size() - i) % 3 == 0) grouped += '.';
    grouped += whole[i];
  }
  if (whole.find_first_not_of('0') == std::string::npos && fraction.empty()) negative = false;
  return (negative ? "-" : "") + grouped + (fraction.empty() ? "" : "," + fraction);
}

std::string format_percent(double fraction) { return format_number(fraction * 100) + "%"; }

std::string cite_plan(const model::Plan& plan) {
  if (plan.code.empty()) return plan.title.empty() ? plan.name : plan.title;
  // The document's kind is one of the code's parts: 177/KH-UBND, 05-NQ/TU, 2345/QĐ-UBND.
  static const std::vector<std::pair<std::string_view, std::string_view>> kKinds = {
      {"NQ", "Nghị quyết"}, {"KH", "Kế hoạch"},  {"QĐ", "Quyết định"}, {"QD", "Quyết định"},
      {"CT", "Chỉ thị"},    {"TB", "Thông báo"}, {"BC", "Báo cáo"},    {"CV", "Công văn"}};
  std::string_view kind = "Văn bản";
  std::string_view rest = plan.code;
  bool found = false;
  while (!rest.empty() && !found) {
    const auto end = rest.find_first_of("/-");
    const std::string_view part = rest.substr(0, end);
    for (const auto& [abbreviation, name] : kKinds) {
      if (part == abbreviation) {
        kind = name;
        found = true;
        break;
      }
    }
    if (end == std::string_view::npos) break;
    rest.remove_prefix(end + 1);
  }
  std::string text = fmt::format("{} {}", kind, plan.code);
  if (plan.issued) text += " ngày " + format_date(*plan.issued);
  return text;
}

std::string basis_text(const model::RuleSet& rules, const model::Rule& rule) {
  std::string text;
  for (Index p : rule.basis) {
    text += (text.empty() ? "" : "; ") + cite_plan(item(rules.plans, p));
  }
  return text;
}

std::string format_date(model::Date date) {
  const std::chrono::year_month_day ymd{date};
  const unsigned month = static_cast<unsigned>(ymd.month());
  return fmt::format("{:02}/{}{}/{}", static_cast<unsigned>(ymd.day()), month < 3 ? "0" : "", month,
                     static_cast<int>(ymd.year()));
}

std::string_view state_name(eval::RuleState state) {
  switch (state) {
    case RuleState::met:
      return "Đạt";
    case RuleState::on_track:
      return "Đúng tiến độ";
    case RuleState::at_risk:
      return "Có nguy cơ không đạt";
    case RuleState::missed:
      return "Không đạt";
    case RuleState::not_yet:
      return "Chưa đến hạn";
    case RuleState::ok:
      return "Đạt yêu cầu";
    case RuleState::violated:
      return "Vi phạm";
    case RuleState::no_data:
      return "Chưa có số liệu";
    case RuleState::stale:
      return "Số liệu cũ";
    case RuleState::blocked:
      return "Bị chặn";
    case RuleState::error:
      return "Lỗi";
  }
  return "Lỗi";
}

std::string_view state_name(eval::TaskState state) {
  switch (state) {
    case TaskState::done:
      return "Hoàn thành";
    case TaskState::done_late:
      return "Hoàn thành trễ hạn";
    case TaskState::cancelled:
      return "Đã hủy";
    case TaskState::overdue:
      return "Quá hạn";
    case TaskState::blocked:
      return "Bị chặn";
    case TaskState::no_report:
      return "Chưa báo cáo";
    case TaskState::at_risk:
      return "Có nguy cơ trễ hạn";
    case TaskState::on_track:
      return "Đúng tiến độ";
  }
  return "Đúng tiến độ";
}

std::string roman(int number) {
  if (number < 1 || number > 3999) return std::to_string(number);
  static constexpr std::pair<int, std::string_view> kNumerals[] = {
      {1000, "M"}, {900, "CM"}, {500, "D"}, {400, "CD"}, {100, "C"}, {90, "XC"}, {50, "L"},
      {40, "XL"},  {10, "X"},   {9, "IX"},  {5, "V"},    {4, "IV"},  {1, "I"}};
  std::string out;
  for (const auto& [value, numeral] : kNumerals) {
    while (number >= value) {
      out += numeral;
      number -= value;
    }
  }
  return out;
}

std::string html_badge(std::string_view name, Tone t) {
  return fmt::format("<span class=\"badge {}\">{}</span>", tone_class(t), html_escape(name));
}

std::string html_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string csv_field(std::string_view text) {
  if (text.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(text);
  std::string out = "\"";
  for (char c : text) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

// ---------------------------------------------------------------------------------------
// The three formats

std::string markdown(const model::RuleSet& rules, const store::Snapshot& snapshot,
                     const eval::Results& results) {
  const Report report = Builder(rules, snapshot, results).build();
  std::string out = fmt::format("# {}\n\nTính đến ngày {}\n\n{}\n\n## {}\n\n", kTitle,
                                format_date(report.at), rule_summary(report), kTargetsHeading);
  out += md_row({"STT", "Chỉ tiêu", "Mục tiêu", "Kết quả", "Trạng thái"});
  out += md_row({"---:", "---", "---", "---", "---"});
  for (std::size_t g = 0; g < report.groups.size(); ++g) {
    const Group& group = report.groups[g];
    out += md_row({"**" + roman(static_cast<int>(g + 1)) + "**", "**" + md_cell(group.name) + "**",
                   "", "", ""});
    for (const Item& it : group.items) {
      if (!it.per_unit) {
        const Row& row = it.rows.front();
        out += md_row({md_cell(it.stt), md_cell(titled(it)),
                       md_cell(join_target(row.target, row.timing)), md_cell(row.value),
                       md_cell(state_with_reason(state_name(row.result->state), row.reason))});
        continue;
      }
      const std::string common = common_target(it);
      out += md_row({md_cell(it.stt), md_cell(titled(it)),
                     md_cell(join_target(common, it.rows.front().timing)), "",
                     md_cell(unit_counts(it))});
      for (const Row& row : it.rows) {
        out += md_row({"", "· " + md_cell(row.unit), common.empty() ? md_cell(row.target) : "",
                       md_cell(row.value),
                       md_cell(state_with_reason(state_name(row.result->state), row.reason))});
      }
    }
  }
  out += fmt::format("\n## {}\n\n{}\n\n", kTasksHeading, task_summary(report));
  if (report.tasks.empty()) return out + std::string(kNoTasks) + "\n";
  out += md_row({"STT", "Nhiệm vụ", "Đơn vị chủ trì", "Hạn", "Dự kiến hoàn thành sớm nhất",
                 "Trạng thái", "Nguyên nhân"});
  out += md_row({"---:", "---", "---", "---", "---", "---", "---"});
  for (std::size_t i = 0; i < report.tasks.size(); ++i) {
    const TaskRow& t = report.tasks[i];
    out += md_row({std::to_string(i + 1), md_cell(t.title), md_cell(t.owner), md_cell(t.due),
                   md_cell(t.earliest_finish), md_cell(state_name(t.result->state)),
                   md_cell(task_cause(t))});
  }
  return out;
}

std::string html(const model::RuleSet& rules, const store::Snapshot& snapshot,
                 const eval::Results& results) {
  const Report report = Builder(rules, snapshot, results).build();
  const std::string date = format_date(report.at);
  std::string out;
  out += "<!DOCTYPE html>\n<html lang=\"vi\">\n<head>\n<meta charset=\"utf-8\">\n";
  out += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
  out += fmt::format("<title>{} – {}</title>\n<style>{}</style>\n</head>\n<body>\n<main>\n",
                     html_escape(kTitle), date, kStyle);
  out += fmt::format("<h1>{}</h1>\n<p class=\"as-of\">Tính đến ngày {}</p>\n", html_escape(kTitle),
                     date);

  out += "<section>\n<p class=\"summary\">" +
         html_escape(fmt::format("Tổng hợp {} dòng kết quả:", report.rule_rows)) +
         "</p>\n<ul class=\"chips\">";
  for (RuleState state : kRuleStateOrder) {
    const int count = report.rule_counts[static_cast<std::size_t>(state)];
    if (count == 0) continue;
    out += fmt::format("<li class=\"{}\">{} <b>{}</b></li>", tone_class(tone(state)),
                       html_escape(state_name(state)), count);
  }
  out += "</ul>\n</section>\n";

  out += fmt::format("<h2>{}</h2>\n", html_escape(kTargetsHeading));
  out +=
      "<table class=\"targets\">\n<colgroup><col class=\"c-stt\"><col class=\"c-title\">"
      "<col class=\"c-target\"><col class=\"c-value\"><col class=\"c-state\"></colgroup>\n"
      "<thead><tr><th class=\"stt\">STT</th><th>Chỉ tiêu</th><th>Mục tiêu</th>"
      "<th>Kết quả</th><th>Trạng thái</th></tr></thead>\n";
  for (std::size_t g = 0; g < report.groups.size(); ++g) {
    const Group& group = report.groups[g];
    out += fmt::format(
        "<tbody>\n<tr class=\"group\"><th class=\"stt\">{}</th><th colspan=\"4\">{}</th></tr>\n",
        roman(static_cast<int>(g + 1)), html_escape(group.name));
    for (const Item& it : group.items) {
      if (!it.per_unit) {
        const Row& row = it.rows.front();
        out += fmt::format(
            "<tr><td class=\"stt\">{}</td><td class=\"title\">{}</td><td class=\"target\">{}</td>"
            "<td>{}</td><td>{}</td></tr>\n",
            html_escape(it.stt), html_title_cell(it), html_target_cell(row.target, row.timing),
            html_value_cell(row), html_state_cell(row));
        continue;
      }
      const std::string common = common_target(it);
      out += fmt::format(
          "<tr class=\"rule\"><td class=\"stt\">{}</td><td class=\"title\">{}</td>"
          "<td class=\"target\">{}</td><td></td><td><span class=\"muted\">{}</span></td></tr>\n",
          html_escape(it.stt), html_title_cell(it),
          html_target_cell(common, it.rows.front().timing), html_escape(unit_counts(it)));
      for (const Row& row : it.rows) {
        out += fmt::format(
            "<tr class=\"unit\"><td class=\"stt\"></td><td class=\"title\">{}</td>"
            "<td class=\"target\">{}</td><td>{}</td><td>{}</td></tr>\n",
            html_escape(row.unit), common.empty() ? html_escape(row.target) : "",
            html_value_cell(row), html_state_cell(row));
      }
    }
    out += "</tbody>\n";
  }
  out += "</table>\n";

  out += fmt::format("<h2>{}</h2>\n<p class=\"summary\">{}</p>\n", html_escape(kTasksHeading),
                     html_escape(task_summary(report)));
  if (report.tasks.empty()) {
    out += fmt::format("<p class=\"none-left\">{}</p>\n", html_escape(kNoTasks));
  } else {
    out +=
        "<table class=\"tasks\">\n<colgroup><col class=\"c-stt\"><col class=\"c-title\">"
        "<col class=\"c-owner\"><col class=\"c-date\"><col class=\"c-finish\">"
        "<col class=\"c-state\"><col class=\"c-cause\"></colgroup>\n<thead><tr><th "
        "class=\"stt\">STT</th><th>Nhiệm vụ</th>"
        "<th>Đơn vị chủ trì</th><th>Hạn</th><th>Dự kiến hoàn thành sớm nhất</th>"
        "<th>Trạng thái</th><th>Nguyên nhân</th></tr></thead>\n<tbody>\n";
    for (std::size_t i = 0; i < report.tasks.size(); ++i) {
      const TaskRow& t = report.tasks[i];
      std::string cause;
      if (!t.root_cause.empty()) {
        cause += "<div>Nguyên nhân gốc: " + html_escape(quoted(t.root_cause)) + "</div>";
      }
      if (!t.chain.empty()) {
        cause += "<div class=\"reason\">Chuỗi: " + html_escape(t.chain) + "</div>";
      }
      if (cause.empty() && !own_cause(t).empty()) {
        cause = "<div>" + html_escape(own_cause(t)) + "</div>";
      }
      if (!t.note.empty()) cause += "<div class=\"note\">" + html_escape(t.note) + "</div>";
      if (cause.empty()) cause = kNoValue;
      out += fmt::format(
          "<tr><td class=\"stt\">{}</td><td>{}</td><td>{}</td><td class=\"date\">{}</td>"
          "<td class=\"date\">{}</td><td>{}</td><td>{}</td></tr>\n",
          i + 1, html_escape(t.title), html_escape(or_dash(t.owner)), html_escape(or_dash(t.due)),
          html_escape(or_dash(t.earliest_finish)),
          html_badge(state_name(t.result->state), tone(t.result->state)), cause);
    }
    out += "</tbody>\n</table>\n";
  }
  out += "</main>\n</body>\n</html>\n";
  return out;
}

std::string csv(const model::RuleSet& rules, const store::Snapshot& snapshot,
                const eval::Results& results) {
  const Report report = Builder(rules, snapshot, results).build();
  std::string out = "\xEF\xBB\xBF";
  out += "stt,nhom,chi_tieu,don_vi,muc_tieu,ket_qua,trang_thai,ly_do,han,can_cu\r\n";
  for (const Group& group : report.groups) {
    for (const Item& it : group.items) {
      for (const Row& row : it.rows) {
        const bool from = item(rules.rules, it.rule).timing == model::Timing::from;
        const std::vector<std::string> fields = {
            it.stt,
            group.name,
            it.title,
            row.unit,
            row.target,
            row.value,
            std::string(state_name(row.result->state)),
            row.reason,
            from && !row.date.empty() ? "từ " + row.date : row.date,
            it.basis};
        for (std::size_t i = 0; i < fields.size(); ++i) {
          if (i > 0) out += ',';
          out += csv_field(fields[i]);
        }
        out += "\r\n";
      }
    }
  }
  return out;
}

Tone tone(eval::RuleState state) {
  switch (state) {
    case eval::RuleState::met:
    case eval::RuleState::ok:
    case eval::RuleState::on_track:
      return Tone::green;
    case eval::RuleState::at_risk:
    case eval::RuleState::no_data:
    case eval::RuleState::stale:
    case eval::RuleState::blocked:
      return Tone::amber;
    case eval::RuleState::missed:
    case eval::RuleState::violated:
    case eval::RuleState::error:
      return Tone::red;
    case eval::RuleState::not_yet:
      return Tone::grey;
  }
  return Tone::grey;
}

Tone tone(eval::TaskState state) {
  switch (state) {
    case eval::TaskState::done:
    case eval::TaskState::on_track:
      return Tone::green;
    case eval::TaskState::done_late:
    case eval::TaskState::at_risk:
    case eval::TaskState::no_report:
    case eval::TaskState::blocked:
      return Tone::amber;
    case eval::TaskState::overdue:
      return Tone::red;
    case eval::TaskState::cancelled:
      return Tone::grey;
  }
  return Tone::grey;
}

std::string_view tone_class(Tone t) {
  switch (t) {
    case Tone::green:
      return "green";
    case Tone::amber:
      return "amber";
    case Tone::red:
      return "red";
    case Tone::grey:
      return "grey";
    case Tone::blue:
      return "blue";
  }
  return "grey";
}

}  // namespace tiendo::report

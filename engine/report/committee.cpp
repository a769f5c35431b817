// The committee's report as data: the targets grouped and numbered as the provincial
// table numbers them, each row's figures and short reason in the report's language, and the
// tasks to list.
#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <optional>
#include <span>
#include <vector>

#include "eval/figures.hpp"
#include "model/report_labels.hpp"
#include "present/chart.hpp"
#include "present/format.hpp"
#include "present/labels.hpp"
#include "present/reasons.hpp"
#include "present/results.hpp"
#include "report/committee_data.hpp"

namespace tiendo::report::detail {

namespace {

using eval::RuleState;
using eval::TaskState;
using model::Index;

using model::kOtherGroup;
// Task titles inside a rule's reason are cut here, so that the reason stays one line.
constexpr std::size_t kShortTitle = 70;
// Units a coverage lists by name before "và N đơn vị khác".
constexpr std::size_t kCoverageNamed = 10;

template <class T>
const T& item(const std::vector<T>& items, Index index) {
  return items[static_cast<std::size_t>(index)];
}

class Builder {
 public:
  Builder(const model::RuleSet& rules, const store::Snapshot& snapshot,
          const eval::Results& results, model::Language language, const ReportOptions& options)
      : rules_(rules),
        snapshot_(snapshot),
        results_(results),
        language_(language),
        w_(words(language)),
        options_(options) {}

  Report build() {
    Report report;
    report.language = language_;
    report.at = results_.at;
    report.since = options_.since;
    build_groups(report);
    build_tasks(report);
    return report;
  }

 private:
  std::string value_text(model::ExprId id, double value) const {
    return item(rules_.expressions, id).unit == model::ValueUnit::percent
               ? present::format_percent(value, language_)
               : present::format_number(value, language_);
  }
  std::string format_date(model::Date date) const { return present::format_date(date, language_); }
  std::string format_number(double value) const { return present::format_number(value, language_); }
  std::string label(RuleState state) const { return std::string(present::label(state, language_)); }
  std::string label(TaskState state) const { return std::string(present::label(state, language_)); }

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

  // "77,62% (392/505)" when the value is one observation given as a fraction; "khoảng
  // 83,5%" when it rests on an estimate.
  std::string result_value_text(const model::Condition& cond, const eval::RuleResult& r) const {
    if (!r.value) return {};
    std::string text = value_text(cond.lhs, *r.value);
    if (r.estimate) text = present::format_estimate(text, language_);
    const model::ExprNode& lhs = item(rules_.expressions, cond.lhs);
    if (lhs.kind == model::ExprKind::latest && r.used().size() == 1 && r.used()[0].point &&
        snapshot_.numerator(*r.used()[0].point) && snapshot_.denominator(*r.used()[0].point)) {
      text += fmt::format(" ({}/{})", format_number(*snapshot_.numerator(*r.used()[0].point)),
                          format_number(*snapshot_.denominator(*r.used()[0].point)));
    }
    return text;
  }

  // Why, briefly, as a committee's table says it: from the result's figures and facts, in
  // the report's language (present::reason_text is the whole sentence, for eval and alerts).
  std::string reason_text(const model::Rule& rule, const model::Condition& cond,
                          const eval::RuleResult& r) const {
    std::string text = state_reason_text(rule, cond, r);
    // Coverage names its units: "33/36 đơn vị; chưa đạt: Gia Canh, Tà Lài; chưa có số
    // liệu: Sông Ray", each list cut after a few names ("và 12 đơn vị khác").
    if (r.coverage()) {
      const std::string units =
          present::coverage_text(snapshot_, *r.coverage(), kCoverageNamed, language_);
      if (!units.empty()) text = text.empty() ? units : text + "; " + units;
    }
    // A value outside a band is said to be: "ngoài khoảng 65–70%", whatever the state.
    if (cond.op == model::Comparator::between && r.value && r.target && r.upper &&
        (*r.value < *r.target || *r.value > *r.upper) && r.state != RuleState::met &&
        r.state != RuleState::ok) {
      text = std::string(w_.outside) + value_text(cond.rhs, *r.target) + "–" +
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
          parts.push_back(std::string(w_.projected) + value_text(cond.lhs, *r.projected) +
                          (deadline.empty() ? "" : std::string(w_.projected_on) + deadline));
        }
        if (r.state == RuleState::at_risk && r.rate_needed && r.rate_observed) {
          const bool points = item(rules_.expressions, cond.lhs).unit == model::ValueUnit::percent;
          const auto change = [&](std::string_view up, std::string_view down, double rate) {
            return std::string(rate >= 0 ? up : down) + " " +
                   present::format_rate(rate, points, language_);
          };
          parts.push_back(change(w_.must_rise, w_.must_fall, *r.rate_needed) + ", " +
                          change(w_.rising, w_.falling, *r.rate_observed));
        }
        if (r.state == RuleState::at_risk && rule.warn_within && r.deadline &&
            results_.at >= model::subtract(*r.deadline, *rule.warn_within)) {
          parts.push_back(std::string(w_.deadline_near));
        }
        std::string text;
        for (const std::string& part : parts) text += (text.empty() ? "" : "; ") + part;
        return text;
      }
      case RuleState::missed: {
        // A verdict past the deadline may rest on an old figure, or none: say so.
        std::string text =
            deadline.empty() ? std::string() : std::string(w_.past_deadline) + deadline;
        if (!r.value) {
          text += (text.empty() ? "" : "; ") + std::string(w_.no_figure);
        } else if (r.deadline) {
          model::Date latest{};
          for (const eval::UsedPoint& u : r.used()) {
            if (u.point && u.point->end() > latest) latest = u.point->end();
          }
          if (!r.used().empty() && latest < *r.deadline) {
            text += (text.empty() ? "" : "; ") + std::string(w_.no_figure_at_deadline) +
                    format_date(latest);
          }
        }
        return text;
      }
      case RuleState::not_yet:
        return {};  // the target column already says from when it applies
      case RuleState::violated:
        return r.failed_on ? std::string(w_.failing_since) + format_date(*r.failed_on)
                           : std::string();
      case RuleState::no_data: {
        if (r.unit < 0) return std::string(w_.no_unit);
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
            details += (details.empty() ? "" : ", ") + present::lower_first(label(task.state));
          } else if (task.earliest_finish) {
            details += (details.empty() ? "" : ", ") + std::string(w_.expected_finish) +
                       format_date(*task.earliest_finish);
          }
          text += (text.empty() ? std::string(w_.waits_for_task) : std::string("; ")) +
                  quoted(shorten(task_title(needed), kShortTitle)) +
                  (details.empty() ? "" : " (" + details + ")");
        }
        if (text.empty() && rule.timing == model::Timing::from && deadline.size() > 0) {
          text = std::string(w_.no_figure_since) + deadline;
        }
        return text;
      }
      case RuleState::stale: {
        // The oldest of the newest observations per indicator is the one that is stale.
        std::map<Index, model::Date> newest;
        for (const eval::UsedPoint& u : r.used()) {
          if (!u.point) continue;
          auto [it, inserted] = newest.emplace(u.indicator, u.point->end());
          if (!inserted && u.point->end() > it->second) it->second = u.point->end();
        }
        if (newest.empty()) return {};
        model::Date oldest = newest.begin()->second;
        for (const auto& entry : newest) oldest = std::min(oldest, entry.second);
        return std::string(w_.latest_figure) + format_date(oldest);
      }
      case RuleState::blocked: {
        if (r.blocking_task == model::kNone) return {};
        const eval::TaskResult& task = item(results_.tasks, r.blocking_task);
        std::string text = std::string(w_.waits_for_task) +
                           quoted(shorten(task_title(r.blocking_task), kShortTitle));
        if (task.state == TaskState::overdue && task.due) {
          text += " (" + std::string(w_.overdue_since) + format_date(*task.due) + ")";
        } else if (task.state == TaskState::blocked) {
          text += " (" + std::string(w_.blocked) + ")";
        } else if (task.earliest_finish) {
          text += " (" + std::string(w_.earliest_finish) + format_date(*task.earliest_finish) + ")";
        }
        Index root = r.chain().empty() ? task.root_cause : r.chain().back();
        if (root != model::kNone && root != r.blocking_task) {
          text += "; " + std::string(w_.root_cause_inline) +
                  quoted(shorten(task_title(root), kShortTitle));
        }
        return text;
      }
      case RuleState::error:
        return std::string(w_.error) +
               present::reason_text({rules_, snapshot_, results_}, r, language_);
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
    row.target = present::target_text(rules_, rule, r, language_);
    if (rule.timing != model::Timing::none) {
      row.date = format_date(rule.date);
      row.timing = std::string(rule.timing == model::Timing::by ? w_.by : w_.from) + row.date;
    }
    row.value = result_value_text(cond, r);
    if (!row.value.empty()) row.note = present::value_remarks(snapshot_, r).joined_notes();
    row.reason = reason_text(rule, cond, r);
    const bool upward = cond.op == model::Comparator::ge || cond.op == model::Comparator::gt ||
                        cond.op == model::Comparator::between;
    if (upward && r.value && r.target && *r.target > 0) {
      row.progress = std::clamp(*r.value / *r.target, 0.0, 1.0);
    }
    if (options_.charts && r.unit >= 0) row.chart = chart(rule, r, row.unit);
    return row;
  }

  // The result's trend chart, from the snapshot's observations; empty with fewer than two.
  std::string chart(const model::Rule& rule, const eval::RuleResult& r,
                    const std::string& unit) const {
    const std::optional<eval::TargetCourse> course =
        eval::target_course(rules_, snapshot_, r.rule, r.unit, results_.at);
    if (!course || course->points.size() < 2) return {};
    const std::string& id = item(snapshot_.units(), r.unit).id;
    return present::trend_svg(
        present::course_chart(rules_, *course, "chart-" + rule.name + "-" + id,
                              rule_title(rule) + " — " + unit, results_.at, language_));
  }

  void build_groups(Report& report) const {
    struct Entry {
      Item item;
      std::optional<model::RowNumber> number;  // the stt, when it is a row number
      std::size_t order = 0;                   // declaration order
    };
    std::vector<std::string> group_order;
    std::map<std::string, std::vector<Entry>> entries;
    for (std::size_t i = 0; i < rules_.rules.size(); ++i) {
      const std::span<const eval::RuleResult> results =
          eval::results_of(results_, static_cast<Index>(i));
      if (results.empty()) continue;
      // Every result of a date comes from one version of the rule: its target, its
      // deadline and the documents it rests on are that version's.
      const model::Rule& rule = rules_.version(static_cast<Index>(i), results.front().version);
      const std::string* group_label = model::find_label(rule.labels, model::kGroupLabel);
      const std::string group =
          group_label && !group_label->empty() ? *group_label : std::string(kOtherGroup);
      if (!entries.contains(group)) group_order.push_back(group);
      Entry entry;
      entry.order = i;
      entry.item.rule = static_cast<Index>(i);
      entry.item.title = rule_title(rule);
      entry.item.basis = present::basis_text(rules_, rule, language_);
      entry.item.history = present::target_history(rules_, static_cast<Index>(i), language_);
      if (const std::string* stt = model::find_label(rule.labels, model::kRowNumberLabel)) {
        entry.item.stt = *stt;
        entry.number = model::parse_row_number(*stt);
      }
      for (const eval::RuleResult& r : results) {
        entry.item.rows.push_back(make_row(rule, r));
        ++report.rule_rows;
        ++report.rule_counts[static_cast<std::size_t>(r.state)];
      }
      entry.item.per_unit =
          entry.item.rows.size() > 1 || (!rule.for_each.none() && results.front().unit >= 0);
      if (auto summary = eval::for_each_summary(rules_, results)) {
        entry.item.unit_names =
            present::coverage_names(snapshot_, *summary, kCoverageNamed, language_);
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
        if (e.number) last = std::max(last, static_cast<double>(e.number->front()));
      }
      Group group;
      // The group of rules without one is named in the report's language.
      group.name = name == kOtherGroup ? std::string(w_.other_group) : name;
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
          row.note =
              std::string(w_.report_of) + format_date(*t.reported_on) + ": " + quoted(t.note);
        }
        report.tasks.push_back(std::move(row));
      }
    }
  }

  const model::RuleSet& rules_;
  const store::Snapshot& snapshot_;
  const eval::Results& results_;
  model::Language language_;
  const Words& w_;
  const ReportOptions& options_;
};

}  // namespace

Report build_report(const model::RuleSet& rules, const store::Snapshot& snapshot,
                    const eval::Results& results, model::Language language,
                    const ReportOptions& options) {
  return Builder(rules, snapshot, results, language, options).build();
}

}  // namespace tiendo::report::detail

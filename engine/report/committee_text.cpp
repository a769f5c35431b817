#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <tuple>
#include <utility>

#include "present/changes.hpp"
#include "present/format.hpp"
#include "present/labels.hpp"
#include "report/committee_data.hpp"
#include "util/text.hpp"

namespace tiendo::report::detail {

using eval::RuleState;
using eval::TaskState;

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

const store::SnapshotUnit* root_unit(const store::Snapshot& snapshot) {
  for (const store::SnapshotUnit& unit : snapshot.units()) {
    if (unit.parent < 0) return &unit;
  }
  return nullptr;
}

const std::string& unit_name(const store::SnapshotUnit& unit) {
  return unit.name.empty() ? unit.id : unit.name;
}

std::string report_title(const store::Snapshot& snapshot, model::Language language) {
  const Words& w = words(language);
  // What a unit's name starts with, and how running text writes it.
  constexpr std::array<std::pair<std::string_view, std::string_view>, 8> kAdministrative = {{
      {"Tỉnh ", "tỉnh "},
      {"Thành phố ", "thành phố "},
      {"Huyện ", "huyện "},
      {"Quận ", "quận "},
      {"Thị xã ", "thị xã "},
      {"Thị trấn ", "thị trấn "},
      {"Phường ", "phường "},
      {"Xã ", "xã "},
  }};
  const store::SnapshotUnit* root = root_unit(snapshot);
  const auto roots = std::count_if(snapshot.units().begin(), snapshot.units().end(),
                                   [](const store::SnapshotUnit& unit) { return unit.parent < 0; });
  if (!root || roots != 1) return std::string(w.title);
  std::string name = unit_name(*root);
  if (language == model::Language::en) return fmt::format("{}: {}", w.title, name);
  for (const auto& [word, running] : kAdministrative) {
    if (name.starts_with(word)) {
      name = std::string(running) + name.substr(word.size());
      break;
    }
  }
  return fmt::format("{} {}", w.title, name);
}

std::string quoted(std::string_view text) { return "“" + std::string(text) + "”"; }

std::string or_dash(const std::string& text) { return text.empty() ? std::string(kNoValue) : text; }

std::string rule_summary(const Report& report) {
  const Words& w = report.words();
  std::string text = fmt::format("{}{}{}", w.rule_rows, report.rule_rows, w.rule_rows_after);
  bool first = true;
  for (RuleState state : present::rule_state_order()) {
    const int count = report.rule_counts[static_cast<std::size_t>(state)];
    if (count == 0) continue;
    text += fmt::format("{} {} {}", first ? "" : ",", present::label(state, w.language), count);
    first = false;
  }
  return text + ".";
}

std::string task_summary(const Report& report) {
  const Words& w = report.words();
  std::string text = fmt::format("{}{}{}", w.tasks_total, report.task_count, w.tasks_total_after);
  bool first = true;
  for (TaskState state : present::task_state_order()) {
    const int count = report.task_counts[static_cast<std::size_t>(state)];
    if (count == 0) continue;
    text += fmt::format("{} {} {}", first ? "" : ",", present::label(state, w.language), count);
    first = false;
  }
  return text + ".";
}

std::string value_with_note(const Row& row) {
  if (row.value.empty() || row.note.empty()) return row.value;
  return row.value + " (" + shorten(row.note, kShortReason) + ")";
}

// What a listed task's own state says when no other task is its cause: reported blocked,
// or not reported at all though work should have begun.
std::string own_cause(const TaskRow& t, const Words& w) {
  const eval::TaskResult& r = *t.result;
  if (r.state == TaskState::blocked && r.reported_on) {
    return std::string(w.reported_blocked) + present::format_date(*r.reported_on, w.language);
  }
  if (r.state == TaskState::no_report && r.expected_from) {
    return std::string(w.no_report_yet) + present::format_date(*r.expected_from, w.language);
  }
  return {};
}

// The cause of a listed task, in one sentence, then the note of its last report.
std::string task_cause(const TaskRow& t, const Words& w) {
  std::string text;
  if (!t.root_cause.empty()) text = std::string(w.root_cause) + quoted(t.root_cause);
  if (!t.chain.empty()) text += (text.empty() ? "" : "; ") + std::string(w.chain) + t.chain;
  if (text.empty()) text = own_cause(t, w);
  if (!t.note.empty()) text += (text.empty() ? "" : ". ") + t.note;
  return text;
}

// Per-unit rows of one rule, counted by state: "Không đạt: 2/11; Đạt: 9/11 đơn vị".
std::string unit_counts(const Item& it, const Words& w) {
  std::array<int, kRuleStates> counts{};
  for (const Row& row : it.rows) ++counts[static_cast<std::size_t>(row.result->state)];
  std::string text;
  for (RuleState state : present::rule_state_order()) {
    const int count = counts[static_cast<std::size_t>(state)];
    if (count == 0) continue;
    text += fmt::format("{}{}: {}/{}", text.empty() ? "" : "; ", present::label(state, w.language),
                        count, it.rows.size());
  }
  text += w.units;
  if (!it.unit_names.empty()) text += "; " + it.unit_names;
  return text;
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

std::optional<ChangesText> changes_text(const model::RuleSet& rules,
                                        const store::Snapshot& snapshot, const Report& report) {
  if (!report.since) return std::nullopt;
  const SinceChanges& since = *report.since;
  const model::Language language = report.language;
  const bool en = language == model::Language::en;
  ChangesText text;
  text.heading = fmt::format(fmt::runtime(en ? "What changed since {}" : "Thay đổi từ ngày {}"),
                             present::format_date(since.since, language));
  text.compared = fmt::format(fmt::runtime(en ? "Compared with run {} (evaluated on {})."
                                              : "So với lần đánh giá số {} (ngày {})."),
                              since.run, present::format_date(since.run_at, language));
  text.sentence =
      present::change_sentence(since.changes, since.alerts.fired, since.alerts.resolved, language);
  std::vector<const store::StateChange*> listed;
  for (const store::StateChange& change : since.changes) listed.push_back(&change);
  constexpr std::size_t kListed = 20;
  const std::size_t shown = std::min(listed.size(), kListed);
  std::partial_sort(listed.begin(), listed.begin() + static_cast<std::ptrdiff_t>(shown),
                    listed.end(), [](const auto* a, const auto* b) {
                      return std::tuple(present::change_rank(*a), a->name, a->unit) <
                             std::tuple(present::change_rank(*b), b->name, b->unit);
                    });
  const auto state = [&](const std::string& name, bool task) {
    return name.empty() ? std::string(en ? "none" : "chưa có")
                        : present::state_name_label(name, task, language);
  };
  for (std::size_t i = 0; i < shown; ++i) {
    const store::StateChange& change = *listed[i];
    const bool task = change.subject == store::Subject::task;
    std::string title = change.name;
    if (task) {
      const model::Index t = rules.find_task(change.name);
      if (t != model::kNone && !rules.tasks[static_cast<std::size_t>(t)].title.empty()) {
        title = rules.tasks[static_cast<std::size_t>(t)].title;
      }
      title = std::string(en ? "Task " : "Nhiệm vụ ") + title;
    } else if (const model::Index r = rules.find_rule(change.name); r != model::kNone) {
      const model::Rule& rule = rules.rules[static_cast<std::size_t>(r)];
      if (!rule.title.empty()) title = rule.title;
    }
    if (!change.unit.empty()) {
      const store::UnitIndex u = snapshot.find_unit(change.unit);
      title +=
          " — " + (u >= 0 ? unit_name(snapshot.units()[static_cast<std::size_t>(u)]) : change.unit);
    }
    text.lines.push_back(
        fmt::format("{}: {} → {}", title, state(change.before, task), state(change.after, task)));
  }
  text.more = listed.size() - shown;
  return text;
}

}  // namespace tiendo::report::detail

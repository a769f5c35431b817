#include "model/rule_set.hpp"

#include <algorithm>

namespace tiendo::model {

namespace {
template <typename T>
Index find_by_name(const std::vector<T>& items, std::string_view name) {
  const auto it =
      std::find_if(items.begin(), items.end(), [&](const T& item) { return item.name == name; });
  return it == items.end() ? kNone : static_cast<Index>(it - items.begin());
}
}  // namespace

Index RuleSet::find_indicator(std::string_view name) const {
  const auto it = indicator_index.find(name);
  return it == indicator_index.end() ? kNone : it->second;
}
Index RuleSet::find_task(std::string_view name) const {
  const auto it = task_index.find(name);
  return it == task_index.end() ? kNone : it->second;
}
Index RuleSet::find_rule(std::string_view name) const { return find_by_name(rules, name); }
Index RuleSet::find_level(std::string_view name) const { return find_by_name(levels, name); }
Index RuleSet::find_plan(std::string_view name) const { return find_by_name(plans, name); }
Index RuleSet::find_channel(std::string_view name) const { return find_by_name(channels, name); }
Index RuleSet::find_set(std::string_view name) const { return find_by_name(sets, name); }

const std::string& RuleSet::scope_name(Scope scope) const {
  static const std::string kEmpty;
  if (scope.is_level()) return levels[static_cast<std::size_t>(scope.index)].name;
  if (scope.is_set()) return sets[static_cast<std::size_t>(scope.index)].name;
  return kEmpty;
}

std::int32_t RuleSet::version_at(Index rule, Date at) const {
  const std::vector<Amendment>& amendments = rules[static_cast<std::size_t>(rule)].amendments;
  std::int32_t version = 0;
  for (std::size_t i = 0; i < amendments.size() && amendments[i].from <= at; ++i) {
    version = static_cast<std::int32_t>(i + 1);
  }
  return version;
}

const Rule& RuleSet::version(Index rule, std::int32_t version) const {
  const Rule& written = rules[static_cast<std::size_t>(rule)];
  if (version <= 0 || static_cast<std::size_t>(version) > written.amendments.size()) return written;
  return versions[static_cast<std::size_t>(
      written.amendments[static_cast<std::size_t>(version - 1)].version)];
}

std::optional<Date> RuleSet::in_force_from(Index rule, std::int32_t version) const {
  const Rule& written = rules[static_cast<std::size_t>(rule)];
  if (version <= 0 || static_cast<std::size_t>(version) > written.amendments.size()) {
    return std::nullopt;
  }
  return written.amendments[static_cast<std::size_t>(version - 1)].from;
}

ValueRange natural_range(ValueUnit unit) {
  switch (unit) {
    case ValueUnit::percent:
      return {0, 1};
    case ValueUnit::count:
      return {0, std::numeric_limits<double>::infinity()};
    case ValueUnit::number:
      return {};
  }
  return {};
}

std::string_view to_string(ValueUnit unit) {
  switch (unit) {
    case ValueUnit::percent:
      return "percent";
    case ValueUnit::count:
      return "count";
    case ValueUnit::number:
      return "number";
  }
  return "number";
}

std::string_view to_string(Severity severity) {
  switch (severity) {
    case Severity::none:
      return "none";
    case Severity::info:
      return "info";
    case Severity::warning:
      return "warning";
    case Severity::critical:
      return "critical";
  }
  return "none";
}

std::string_view to_string(TaskStatus status) {
  switch (status) {
    case TaskStatus::not_started:
      return "not_started";
    case TaskStatus::in_progress:
      return "in_progress";
    case TaskStatus::done:
      return "done";
    case TaskStatus::blocked:
      return "blocked";
    case TaskStatus::cancelled:
      return "cancelled";
  }
  return "not_started";
}

std::string_view to_string(Comparator op) {
  switch (op) {
    case Comparator::ge:
      return ">=";
    case Comparator::le:
      return "<=";
    case Comparator::gt:
      return ">";
    case Comparator::lt:
      return "<";
    case Comparator::eq:
      return "==";
    case Comparator::ne:
      return "!=";
    case Comparator::between:
      return "between";
  }
  return ">=";
}

std::optional<TaskStatus> parse_task_status(std::string_view text) {
  for (TaskStatus status : {TaskStatus::not_started, TaskStatus::in_progress, TaskStatus::done,
                            TaskStatus::blocked, TaskStatus::cancelled}) {
    if (to_string(status) == text) return status;
  }
  return std::nullopt;
}

const std::vector<std::string>& rule_state_names() {
  static const std::vector<std::string> names = {"met",     "on_track", "at_risk",  "missed",
                                                 "not_yet", "ok",       "violated", "no_data",
                                                 "stale",   "blocked",  "error"};
  return names;
}

const std::vector<std::string>& task_state_names() {
  static const std::vector<std::string> names = {"done",    "done_late", "cancelled", "overdue",
                                                 "blocked", "no_report", "at_risk",   "on_track"};
  return names;
}

}  // namespace tiendo::model

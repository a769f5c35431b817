#include "alert/routing.hpp"

#include <set>

namespace tiendo::alert::routing {

using model::Index;
using model::kNone;

namespace {

// The value of the label `name`; nullopt when there is none.
std::optional<std::string_view> label(const Labels& labels, std::string_view name) {
  for (const auto& [key, value] : labels) {
    if (key == name) return std::string_view(value);
  }
  return std::nullopt;
}

}  // namespace

Labels rule_labels(const model::Rule& rule, std::string_view unit, std::string_view state,
                   model::Severity severity) {
  Labels labels = {{"subject", "rule"},
                   {"rule", rule.name},
                   {"unit", std::string(unit)},
                   {"owner", rule.owner},
                   {"severity", std::string(model::to_string(severity))},
                   {"state", std::string(state)}};
  for (const auto& l : rule.labels) {
    if (!label(labels, l.first)) labels.push_back(l);
  }
  return labels;
}

Labels task_labels(const model::RuleSet& rules, const model::Task& task, std::string_view state,
                   model::Severity severity) {
  Labels labels = {
      {"subject", "task"},
      {"task", task.name},
      {"unit", ""},
      {"owner", task.owner},
      {"severity", std::string(model::to_string(severity))},
      {"state", std::string(state)},
      {"plan",
       task.part_of == kNone ? "" : rules.plans[static_cast<std::size_t>(task.part_of)].name}};
  for (const auto& l : task.labels) {
    if (!label(labels, l.first)) labels.push_back(l);
  }
  return labels;
}

std::vector<std::vector<Index>> task_channels(const model::RuleSet& rules) {
  std::vector<std::set<Index>> channels(rules.tasks.size());
  for (const model::Rule& rule : rules.rules) {
    std::vector<Index> stack(rule.needs.begin(), rule.needs.end());
    std::vector<bool> seen(rules.tasks.size(), false);
    while (!stack.empty()) {
      const Index t = stack.back();
      stack.pop_back();
      if (seen[static_cast<std::size_t>(t)]) continue;
      seen[static_cast<std::size_t>(t)] = true;
      channels[static_cast<std::size_t>(t)].insert(rule.notify.begin(), rule.notify.end());
      for (Index before : rules.tasks[static_cast<std::size_t>(t)].after) stack.push_back(before);
    }
  }
  const Index fallback = rules.find_channel("default");
  std::vector<std::vector<Index>> out(rules.tasks.size());
  for (std::size_t t = 0; t < channels.size(); ++t) {
    out[t].assign(channels[t].begin(), channels[t].end());
    if (out[t].empty() && fallback != kNone) out[t].push_back(fallback);
  }
  return out;
}

}  // namespace tiendo::alert::routing

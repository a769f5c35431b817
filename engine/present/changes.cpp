#include "present/changes.hpp"

#include <fmt/format.h>

#include <array>

#include "eval/evaluate.hpp"
#include "present/format.hpp"
#include "present/labels.hpp"

namespace tiendo::present {

namespace {

std::string count(std::int64_t n, model::Language language) {
  return format_number(static_cast<double>(n), language);
}

}  // namespace

std::vector<std::string> change_parts(std::span<const store::StateChange> changes,
                                      std::int64_t alerts_fired, std::int64_t alerts_resolved,
                                      model::Language language) {
  const bool en = language == model::Language::en;
  std::array<std::int64_t, kRuleStateCount> into_rule{};
  std::array<std::int64_t, kTaskStateCount> into_task{};
  for (const store::StateChange& change : changes) {
    if (change.after.empty()) continue;
    if (change.subject == store::Subject::rule) {
      if (const auto state = eval::parse_rule_state(change.after)) {
        ++into_rule[static_cast<std::size_t>(*state)];
      }
    } else if (const auto state = eval::parse_task_state(change.after)) {
      ++into_task[static_cast<std::size_t>(*state)];
    }
  }
  std::vector<std::string> parts;
  for (eval::RuleState state : rule_state_order()) {
    const std::int64_t n = into_rule[static_cast<std::size_t>(state)];
    if (n == 0) continue;
    const std::string to = lower_first(label(state, language));
    parts.push_back(en ? fmt::format("{} target result{} moved to {}", count(n, language),
                                     n == 1 ? "" : "s", to)
                       : fmt::format("{} chỉ tiêu chuyển sang {}", count(n, language), to));
  }
  for (eval::TaskState state : task_state_order()) {
    const std::int64_t n = into_task[static_cast<std::size_t>(state)];
    if (n == 0) continue;
    const std::string to = lower_first(label(state, language));
    parts.push_back(
        en ? fmt::format("{} task{} newly {}", count(n, language), n == 1 ? "" : "s", to)
           : fmt::format("{} nhiệm vụ mới {}", count(n, language), to));
  }
  if (alerts_fired > 0) {
    parts.push_back(en ? fmt::format("{} new alert{}", count(alerts_fired, language),
                                     alerts_fired == 1 ? "" : "s")
                       : fmt::format("{} cảnh báo mới", count(alerts_fired, language)));
  }
  if (alerts_resolved > 0) {
    parts.push_back(en ? fmt::format("{} alert{} resolved", count(alerts_resolved, language),
                                     alerts_resolved == 1 ? "" : "s")
                       : fmt::format("{} cảnh báo đã hết", count(alerts_resolved, language)));
  }
  return parts;
}

std::string change_sentence(std::span<const store::StateChange> changes, std::int64_t alerts_fired,
                            std::int64_t alerts_resolved, model::Language language) {
  const std::vector<std::string> parts =
      change_parts(changes, alerts_fired, alerts_resolved, language);
  if (parts.empty()) {
    return language == model::Language::en ? "Nothing changed." : "Không có thay đổi nào.";
  }
  std::string sentence;
  for (const std::string& part : parts) sentence += (sentence.empty() ? "" : "; ") + part;
  return sentence + ".";
}

int change_rank(const store::StateChange& change) {
  constexpr int kNoState = 1000;
  if (change.subject == store::Subject::rule) {
    const auto state = eval::parse_rule_state(change.after);
    return state ? rank(*state) : kNoState;
  }
  const auto state = eval::parse_task_state(change.after);
  return state ? rank(*state) : kNoState;
}

}  // namespace tiendo::present

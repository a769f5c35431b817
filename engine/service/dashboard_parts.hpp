// Pieces the dashboard's sections share (dashboard.cpp, dashboard_plans.cpp). Internal to
// service/.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "eval/evaluate.hpp"
#include "model/rule_set.hpp"
#include "service/dashboard.hpp"

namespace tiendo::service::detail {

constexpr std::string_view kNoValue = "—";

template <class T>
const T* at(const std::vector<T>& items, model::Index index) {
  return index >= 0 && static_cast<std::size_t>(index) < items.size()
             ? &items[static_cast<std::size_t>(index)]
             : nullptr;
}

// A state in a badge of its tone, labelled as present:: labels it.
std::string badge(eval::RuleState state);
std::string badge(eval::TaskState state);
// A count as the page writes numbers: "12.000".
std::string count_text(std::size_t count);
// A task's title, or its name when it has none; empty when there is no such task.
std::string task_title(const model::RuleSet& rules, model::Index task);
// A plan's code, or its name when it has none; empty when there is no such plan.
std::string plan_label(const model::RuleSet& rules, model::Index plan);

// The "Sơ đồ kế hoạch" section: `data.graph_svg` inlined when it is an <svg> element, else
// a nested list of plans and tasks (`rules` may be null: it then says so).
void plan_graph_section(const DashboardData& data, const model::RuleSet* rules,
                        const eval::Results* results, std::string& out);

}  // namespace tiendo::service::detail

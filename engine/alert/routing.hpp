// How an alert is routed: the labels silences match it by, and the channels a task's
// alerts go to. Private to engine/alert (alert.cpp's facts and reconcile).
#pragma once

#include <string_view>
#include <vector>

#include "alert/alert.hpp"

namespace tiendo::alert::routing {

// rule, unit, owner, severity, state, then the rule's own labels (a name given twice
// keeps its first value).
Labels rule_labels(const model::Rule& rule, std::string_view unit, std::string_view state,
                   model::Severity severity);
// task, owner, severity, state, plan, then the task's own labels.
Labels task_labels(const model::RuleSet& rules, const model::Task& task, std::string_view state,
                   model::Severity severity);

// Per task, the channels its alerts go to: those of every rule that needs it, directly or
// through the tasks it must wait for; the `default` channel when no rule does.
std::vector<std::vector<model::Index>> task_channels(const model::RuleSet& rules);

}  // namespace tiendo::alert::routing

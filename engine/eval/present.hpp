// Results as people and programs read them: an aligned table for a terminal and JSON.
// Strings only; the command line decides where they go.
#pragma once

#include <string>

#include "eval/evaluate.hpp"

namespace tiendo::eval {

struct Filter {
  std::string rule;  // empty: every rule
  std::string unit;  // empty: every unit
};

bool selected(const model::RuleSet& rules, const store::Snapshot& snapshot, const RuleResult& r,
              const Filter& filter);

// A value of the rule's left-hand side as written for people: "9.23%" or "1200".
std::string format_value(const model::RuleSet& rules, const RuleResult& r, double value);

// Rules then tasks, one row each. Colours states when `color`.
std::string to_table(const model::RuleSet& rules, const store::Snapshot& snapshot,
                     const Results& results, const Filter& filter, bool color);

// {"at", "rules": [...], "tasks": [...], "plans": [...]}; percents as fractions.
std::string to_json(const model::RuleSet& rules, const store::Snapshot& snapshot,
                    const Results& results, const Filter& filter);

}  // namespace tiendo::eval

// The checker: from parsed files to a `model::RuleSet`, strict by default. Every name is
// resolved (misspellings get a suggestion), units and dates are validated, the plan
// graph must be acyclic, and every clause must belong to its block.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dsl/keywords.hpp"
#include "dsl/parse.hpp"
#include "model/rule_set.hpp"

namespace tiendo::dsl {

// Checks every file of `program` together (a rule set may span files). Appends errors
// and warnings to `program.diagnostics`. Returns the rule set if there is no error —
// warnings do not prevent it — and nullopt otherwise. Never throws for bad input.
std::optional<model::RuleSet> check(Program& program);

// The clauses a block of `kind` (indicator, plan, task, channel, set, rule) takes, as
// written ("stale after", "warn within"), in the checker's order.
std::vector<std::string> clause_keywords(std::string_view kind);

// load + check: the whole front end in one call.
struct LoadedRuleSet {
  Program program;
  std::optional<model::RuleSet> rule_set;
};
LoadedRuleSet load_rule_set(const std::vector<std::string>& paths, const LoadOptions& options = {});

}  // namespace tiendo::dsl

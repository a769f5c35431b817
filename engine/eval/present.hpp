// Results as people and programs read them: an aligned table for a terminal and JSON.
// Strings only; the command line decides where they go.
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <string>

#include "eval/evaluate.hpp"

namespace tiendo::eval {

struct Filter {
  std::string rule;   // empty: every rule
  std::string unit;   // empty: every unit
  std::string state;  // empty: every state; else rule and task results in this state only
  // A page of the selected rule results (the API's `offset` and `limit`).
  std::size_t offset = 0;
  std::size_t limit = static_cast<std::size_t>(-1);
};

bool selected(const model::RuleSet& rules, const store::Snapshot& snapshot, const RuleResult& r,
              const Filter& filter);

// A number as written for people, never in exponent notation: whole numbers in full
// ("3103499"), others to six significant digits ("0.0923", "1234.57").
std::string number_text(double value);
// A fraction as a percent to four significant digits: "9.23%".
std::string percent_text(double fraction);

// The units behind a share or count: {"level", "counted", "total", "failing": [{"unit",
// "name"}], "no_data": [...]}, every unit named.
nlohmann::json coverage_json(const model::RuleSet& rules, const store::Snapshot& snapshot,
                             const Coverage& coverage);

// The same for the committee, in Vietnamese, each list cut after `max_named` names:
// "33/36 đơn vị; chưa đạt: Gia Canh, Tà Lài; chưa có số liệu: Sông Ray và 12 đơn vị khác".
// Empty when no unit fails and none lacks data.
std::string coverage_text_vi(const store::Snapshot& snapshot, const Coverage& coverage,
                             std::size_t max_named);

// A value of the rule's left-hand side as written for people: "9.23%" or "1200".
std::string format_value(const model::RuleSet& rules, const RuleResult& r, double value);

// Rules then tasks, one row each. Colours states when `color`.
std::string to_table(const model::RuleSet& rules, const store::Snapshot& snapshot,
                     const Results& results, const Filter& filter, bool color);

// {"at", "rules": [...], "rules_total", "tasks": [...], "plans": [...]}; percents as
// fractions. `rules_total` counts the selected rule results before the page is cut.
std::string to_json(const model::RuleSet& rules, const store::Snapshot& snapshot,
                    const Results& results, const Filter& filter);

}  // namespace tiendo::eval

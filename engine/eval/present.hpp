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
// Only the names: "chưa đạt: Gia Canh, Tà Lài; chưa có số liệu: Sông Ray"; empty when none.
std::string coverage_names_vi(const store::Snapshot& snapshot, const Coverage& coverage,
                              std::size_t max_named);

// A `for each` rule's rows summed up as a coverage: `counted` the units where it is met
// (met, ok), `failing` those where it is not or cannot be told for another reason
// (at_risk, missed, violated, blocked, error), `no_data` those without data or with only
// stale data (no_data, stale); on_track and not_yet units are in the total only. `rows`
// are the rule's results (results_of), one per unit. Nothing for a rule without `for
// each`, or when no row has a unit.
std::optional<Coverage> for_each_summary(const model::RuleSet& rules,
                                         std::span<const RuleResult> rows);

// A value of the rule's left-hand side as written for people: "9.23%" or "1200".
std::string format_value(const model::RuleSet& rules, const RuleResult& r, double value);

// Rules then tasks, one row each. Colours states when `color`.
std::string to_table(const model::RuleSet& rules, const store::Snapshot& snapshot,
                     const Results& results, const Filter& filter, bool color);

// {"at", "rules": [...], "rules_total", "summaries": [...], "tasks": [...], "plans":
// [...]}; percents as fractions. `rules_total` counts the selected rule results before the
// page is cut; `summaries` has one for_each_summary per `for each` rule with a selected
// result, over all its units: {"rule"} and coverage_json's keys.
std::string to_json(const model::RuleSet& rules, const store::Snapshot& snapshot,
                    const Results& results, const Filter& filter);

}  // namespace tiendo::eval

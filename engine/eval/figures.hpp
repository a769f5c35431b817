// Figures as English text writes them ("9.23%", "3103499"; present::reason_text's English
// reasons and the results' English table use them), and how a `for each` rule's rows sum
// up. What people read — labels, Vietnamese numbers and dates, reasons, tables and JSON of
// results — is present/'s.
#pragma once

#include <optional>
#include <span>
#include <string>

#include "eval/evaluate.hpp"

namespace tiendo::eval {

// A number as written for people, never in exponent notation: whole numbers in full
// ("3103499"), others to six significant digits ("0.0923", "1234.57").
std::string number_text(double value);
// A fraction as a percent to four significant digits: "9.23%".
std::string percent_text(double fraction);

// A `for each` rule's rows summed up as a coverage: `counted` the units where it is met
// (met, ok), `failing` those where it is not or cannot be told for another reason
// (at_risk, missed, violated, blocked, error), `no_data` those without data or with only
// stale data (no_data, stale); on_track and not_yet units are in the total only. `rows`
// are the rule's results (results_of), one per unit. Nothing for a rule without `for
// each`, or when no row has a unit.
std::optional<Coverage> for_each_summary(const model::RuleSet& rules,
                                         std::span<const RuleResult> rows);

}  // namespace tiendo::eval

// Results as people and programs read them: an aligned table for a terminal, JSON, and
// the units behind a share named in a sentence. Strings only; the command line and the
// service decide where they go.
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

#include "eval/evaluate.hpp"
#include "present/labels.hpp"

namespace tiendo::present {

struct Filter {
  std::string rule;   // empty: every rule
  std::string unit;   // empty: every unit
  std::string state;  // empty: every state; else rule and task results in this state only
  // A page of the selected rule results (the API's `offset` and `limit`).
  std::size_t offset = 0;
  std::size_t limit = static_cast<std::size_t>(-1);
};

bool selected(const model::RuleSet& rules, const store::Snapshot& snapshot,
              const eval::RuleResult& r, const Filter& filter);

// A value of the left-hand side of the rule's version in force, as the evaluator writes it
// (eval::number_text, eval::percent_text: "9.23%", "1200") or, in Vietnamese, as the
// documents do ("9,23%", "1.200").
std::string format_value(const model::RuleSet& rules, const eval::RuleResult& r, double value,
                         Language language = Language::en);

// The target the result was held to, as the dashboard and the report write it: "≥ 85%",
// "65% – 70%" (between), each figure as its expression's unit says (format_percent or
// format_number in `language`); the require clause as written when there is no target.
std::string target_text(const model::RuleSet& rules, const model::Rule& rule,
                        const eval::RuleResult& r, Language language);

// The units behind a share or count: {"level", "counted", "total", "failing": [{"unit",
// "name"}], "no_data": [...]}, every unit named.
nlohmann::json coverage_json(const model::RuleSet& rules, const store::Snapshot& snapshot,
                             const eval::Coverage& coverage);

// The same in a sentence, each list cut after `max_named` names: "33/36 đơn vị; chưa đạt:
// Gia Canh, Tà Lài; chưa có số liệu: Sông Ray và 12 đơn vị khác". Empty when no unit
// fails and none lacks data.
std::string coverage_text(const store::Snapshot& snapshot, const eval::Coverage& coverage,
                          std::size_t max_named, Language language = Language::vi);
// Only the names: "chưa đạt: Gia Canh, Tà Lài; chưa có số liệu: Sông Ray"; empty when none.
std::string coverage_names(const store::Snapshot& snapshot, const eval::Coverage& coverage,
                           std::size_t max_named, Language language = Language::vi);

// What the observations behind a rule result's value say of it (RuleResult::estimate and
// noted). A value is an estimate when any observation it was computed from was ingested as
// one ("khoảng 83,5%"): a sum, a share or a ratio over an estimate is itself approximate.
// Its notes are those of the observations that are the figure's own: the newest used of
// each indicator at the result's unit (for `latest`, the one shown), distinct, at most two.
// Observations of other units (summed, averaged, counted or shared over a level) lend no
// note to the total; `explain` lists each observation with its own.
struct ValueRemarks {
  bool estimate = false;
  std::vector<std::string> notes;
  std::string joined_notes() const;  // "; " between them
};
ValueRemarks value_remarks(const store::Snapshot& snapshot, const eval::RuleResult& r);

// Rules then tasks, one row each: in English, states by their names (eval::to_string) and
// figures as the evaluator writes them; in Vietnamese, headings, states (label), figures,
// dates and reasons as a committee reads them. Colours states by their tone when `color`.
std::string to_table(const model::RuleSet& rules, const store::Snapshot& snapshot,
                     const eval::Results& results, const Filter& filter, bool color,
                     Language language = Language::en);

// {"at", "language", "rules": [...], "rules_total", "summaries": [...], "tasks": [...],
// "plans": [...]}; percents as fractions, states by their names. Each rule and task row has
// its `reason` in `language` (present::reason_text) and as data, `why`
// (present::reason_json). A rule's row has its value's `estimate` (true or false)
// and `notes` (an array), as value_remarks finds them. `rules_total` counts the selected rule
// results before the page is cut; `summaries` has one eval::for_each_summary per `for each` rule
// with a selected result, over all its units: {"rule"} and coverage_json's keys.
std::string to_json(const model::RuleSet& rules, const store::Snapshot& snapshot,
                    const eval::Results& results, const Filter& filter,
                    Language language = Language::en);

}  // namespace tiendo::present

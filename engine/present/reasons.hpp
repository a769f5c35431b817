// Why a result is what it is, in a reader's language. The evaluator keeps a reason as facts
// (eval::Reason, eval::TaskBecause, and the result's own figures); this says them as one
// sentence, in English as logs and programs have always read it ("9.23% now, >= 50% by
// 2022-12-31; projected 20.1%; …") or in Vietnamese as a committee reads it ("9,23% hiện
// nay, yêu cầu ≥ 50% hạn 31/12/2022; dự báo 20,1%; …"), and as data for the store.
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <string>

#include "eval/evaluate.hpp"
#include "eval/rule_tests.hpp"
#include "present/labels.hpp"

namespace tiendo::present {

// What a reason needs besides the result: the rule set (names, titles, the version in
// force), the snapshot (units) and the evaluation (its date, the tasks' results that hold
// a rule back).
struct ReasonContext {
  const model::RuleSet& rules;
  const store::Snapshot& snapshot;
  const eval::Results& results;
};

// The reason as one sentence. English names rules, units, indicators and tasks by their
// identifiers and writes figures as the evaluator does (eval::number_text, ISO dates);
// Vietnamese by their titles and names, with Vietnamese numbers, dates and periods. A
// share's or count's units come last, ten named per list (unless !with_units: an alert
// names them apart).
std::string reason_text(const ReasonContext& context, const eval::RuleResult& r, Language language,
                        bool with_units = true);
std::string reason_text(const ReasonContext& context, const eval::TaskResult& t, Language language);

// reason_text as a rule test's explanation of what it found (`tiendo test`, the language
// server's tests on save).
eval::Explain test_explanations(const model::RuleSet& rules, Language language);
// A failed expectation of a rule test: "expect dong_nai online_dossier_2022 met, got
// missed: <explanation>".
std::string failure_text(const model::RuleSet& rules, const eval::ExpectationOutcome& outcome);

// Only why an expression has no value ("no observation of x at y"), as reason_text says it
// inside a sentence.
std::string gap_text(const ReasonContext& context, const eval::Gap& gap, Language language);

// The reason as data, for the store's record of a run: {"kind", and the facts its kind
// needs by name: "gap" {"kind", "indicator", "level", "unit", "since"}, "stale"
// {"indicator", "newest"}, "last" {"first", "last"}, "in_window", "blocking_task",
// "chain"}; a task's is {"kind"}. Everything else a reason says is in the result's own
// figures, which the store keeps beside it.
nlohmann::json reason_json(const ReasonContext& context, const eval::RuleResult& r);
nlohmann::json reason_json(const eval::TaskResult& t);

// The kinds' names as reason_json writes them: "holds", "trend", …; "done_late", ….
std::string_view to_string(eval::Because kind);
std::string_view to_string(eval::TaskBecause kind);
std::string_view to_string(eval::Gap::Kind kind);

}  // namespace tiendo::present

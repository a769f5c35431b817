// Running the rule set's own tests (`test "..." { ... }` blocks): each on a snapshot
// that holds only what the test declares, evaluated at the test's date.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "eval/evaluate.hpp"
#include "model/rule_set.hpp"

namespace tiendo::eval {

struct ExpectationOutcome {
  const model::TestExpectation* expectation = nullptr;
  bool passed = false;
  std::string actual;       // the state found ("missing" when no result matched)
  std::string explanation;  // the result's reason
};

struct TestOutcome {
  const model::TestCase* test = nullptr;
  std::vector<ExpectationOutcome> expectations;
  bool passed() const {
    for (const auto& e : expectations) {
      if (!e.passed) return false;
    }
    return true;
  }
};

// The snapshot a test describes: its units (or one root unit named `root`), its
// observations and its task statuses.
store::Snapshot snapshot_of(const model::RuleSet& rules, const model::TestCase& test);

// Says why a result is what it is (present::reason_text, in the reader's language), for
// ExpectationOutcome::explanation; the evaluator itself keeps reasons as facts. Without
// one, a result's explanation is empty.
struct Explain {
  std::function<std::string(const store::Snapshot&, const Results&, const RuleResult&)> rule;
  std::function<std::string(const store::Snapshot&, const Results&, const TaskResult&)> task;
};

TestOutcome run_test(const model::RuleSet& rules, const model::TestCase& test,
                     const Explain& explain = {});

}  // namespace tiendo::eval

// Running the rule set's own tests (`test "..." { ... }` blocks): each on a snapshot
// that holds only what the test declares, evaluated at the test's date.
#pragma once

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

TestOutcome run_test(const model::RuleSet& rules, const model::TestCase& test);

}  // namespace tiendo::eval

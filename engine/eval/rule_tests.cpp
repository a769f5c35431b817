#include "eval/rule_tests.hpp"

namespace tiendo::eval {

store::Snapshot snapshot_of(const model::RuleSet& rules, const model::TestCase& test) {
  store::Snapshot snapshot;
  for (const model::TestUnit& unit : test.units) {
    store::SnapshotUnit u;
    u.id = unit.id;
    u.name = unit.title;
    u.level = unit.level;
    if (unit.level != model::kNone)
      u.level_name = rules.levels[static_cast<std::size_t>(unit.level)].name;
    u.labels = unit.labels;
    snapshot.add_unit(std::move(u));
  }
  for (const model::TestUnit& unit : test.units) {
    if (!unit.parent.empty()) {
      snapshot.set_parent(snapshot.find_unit(unit.id), snapshot.find_unit(unit.parent));
    }
  }
  for (const model::TestObservation& observation : test.observations) {
    store::Point point;
    point.set_period(observation.period.first, observation.period.last);
    point.value = observation.value;
    snapshot.add_point(observation.indicator, snapshot.find_unit(observation.unit), point);
  }
  for (const model::TestStatus& status : test.statuses) {
    snapshot.add_status(status.task, {status.date, status.status, status.progress, -1});
  }
  snapshot.finish(rules.tasks.size());
  return snapshot;
}

TestOutcome run_test(const model::RuleSet& rules, const model::TestCase& test,
                     const Explain& explain) {
  const store::Snapshot snapshot = snapshot_of(rules, test);
  const Results results = evaluate(rules, snapshot, test.at);
  TestOutcome outcome;
  outcome.test = &test;
  for (const model::TestExpectation& expectation : test.expectations) {
    ExpectationOutcome e;
    e.expectation = &expectation;
    e.actual = "missing";
    if (expectation.task != model::kNone) {
      const TaskResult& task = results.tasks[static_cast<std::size_t>(expectation.task)];
      e.actual = std::string(to_string(task.state));
      if (explain.task) e.explanation = explain.task(snapshot, results, task);
    } else {
      const store::UnitIndex unit = snapshot.find_unit(expectation.unit);
      for (const RuleResult& result : results.rules) {
        if (result.rule == expectation.rule && result.unit == unit) {
          e.actual = std::string(to_string(result.state));
          if (explain.rule) e.explanation = explain.rule(snapshot, results, result);
          break;
        }
      }
      if (e.actual == "missing") {
        e.explanation = "the rule is not evaluated at this unit (check its `for each` level)";
      }
    }
    e.passed = e.actual == expectation.state;
    outcome.expectations.push_back(std::move(e));
  }
  return outcome;
}

}  // namespace tiendo::eval

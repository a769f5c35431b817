// The evaluator against the contract (LANGUAGE.md, "Meaning of require" and "Plans and
// tasks"): rule states with their severities and figures, the precedence between them,
// trend projections, scopes, the functions, and the task and plan graph. Each test
// builds its rule set from rules text and its snapshot by hand, then calls
// eval::evaluate directly.
#include "eval/evaluate.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <nlohmann/json.hpp>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "dsl/check.hpp"
#include "dsl/parse.hpp"
#include "eval/figures.hpp"
#include "present/format.hpp"
#include "present/reasons.hpp"
#include "present/results.hpp"

namespace tiendo::eval {
namespace {

using model::Date;
using model::Severity;

constexpr double kDaysPerMonth = 30.4375;
constexpr double kTolerance = 1e-9;

// ---------------------------------------------------------------------------------------
// Building a rule set and a snapshot.

// A period or date as the language writes it; as a date, its last day.
model::Period period(std::string_view text) {
  std::string error;
  const auto parsed = model::parse_period(text, error);
  if (!parsed) {
    ADD_FAILURE() << "bad period '" << text << "': " << error;
    return {};
  }
  return *parsed;
}

Date day(std::string_view text) { return period(text).last; }

double days_between(Date from, Date to) { return static_cast<double>((to - from).count()); }

struct UnitSpec {
  std::string id;
  std::string level;   // empty: no level
  std::string parent;  // empty: a root
};

struct PointSpec {
  std::string indicator;
  std::string unit;    // empty: the first unit
  std::string period;  // "2022-Q3", "2022-09", "2022-09-30"
  double value = 0;
};

struct StatusSpec {
  std::string task;
  std::string status;  // not_started | in_progress | done | blocked | cancelled
  std::string date;
  std::optional<double> progress;  // fraction
};

// What a test observes. With no units, one root unit named `root` without a level, as a
// rule test with no unit line has.
struct World {
  explicit World(std::vector<PointSpec> observed = {}, std::vector<StatusSpec> reported = {},
                 std::vector<UnitSpec> declared = {})
      : units(std::move(declared)), points(std::move(observed)), statuses(std::move(reported)) {}

  std::vector<UnitSpec> units;
  std::vector<PointSpec> points;
  std::vector<StatusSpec> statuses;
};

// One evaluation: the rule set, the snapshot and the results, which point into the
// snapshot (so the whole is neither copied nor moved).
class Evaluation {
 public:
  Evaluation(const std::string& rules_text, const World& world, std::string_view at,
             const EvaluateOptions& options = {.keep_trend_points = true}) {
    dsl::Program program = dsl::load_text("evaluate_test.rules", rules_text);
    auto checked = dsl::check(program);
    if (!checked) {
      std::string messages;
      for (const dsl::Diagnostic& d : program.diagnostics.all()) {
        messages += dsl::render(d, program.sources);
      }
      ADD_FAILURE() << "the rules do not check:\n" << messages;
      return;
    }
    rules_ = std::move(*checked);
    build_snapshot(world);
    results_ = evaluate(rules_, snapshot_, day(at), options);
    ok_ = true;
  }
  Evaluation(const Evaluation&) = delete;
  Evaluation& operator=(const Evaluation&) = delete;

  bool ok() const { return ok_; }
  // A result's reason as the evaluator's English has always said it.
  std::string reason(const RuleResult& r) const {
    return present::reason_text({rules_, snapshot_, results_}, r, model::Language::en);
  }
  std::string reason(const TaskResult& t) const {
    return present::reason_text({rules_, snapshot_, results_}, t, model::Language::en);
  }
  const model::RuleSet& rules() const { return rules_; }
  const Results& results() const { return results_; }
  const store::Snapshot& snapshot() const { return snapshot_; }

  model::Index task_index(std::string_view name) const {
    const model::Index index = rules_.find_task(name);
    EXPECT_NE(index, model::kNone) << "no task " << name;
    return index;
  }

  // Every result of rule `name`, in the evaluator's order.
  std::vector<const RuleResult*> rule_results(std::string_view name) const {
    std::vector<const RuleResult*> out;
    const model::Index rule_index = rules_.find_rule(name);
    EXPECT_NE(rule_index, model::kNone) << "no rule " << name;
    for (const RuleResult& r : results_.rules) {
      if (r.rule == rule_index) out.push_back(&r);
    }
    return out;
  }

  // The result of rule `name` at unit `unit` (or its only result); null when absent.
  const RuleResult* rule(std::string_view name, std::string_view unit = {}) const {
    const auto all = rule_results(name);
    if (unit.empty()) {
      EXPECT_EQ(all.size(), 1u) << "rule " << name << " has " << all.size() << " results";
      return all.size() == 1 ? all.front() : nullptr;
    }
    for (const RuleResult* r : all) {
      if (r->unit >= 0 && unit_id(r->unit) == unit) return r;
    }
    ADD_FAILURE() << "rule " << name << " has no result at " << unit;
    return nullptr;
  }

  const TaskResult* task(std::string_view name) const {
    const model::Index index = task_index(name);
    if (index == model::kNone || static_cast<std::size_t>(index) >= results_.tasks.size()) {
      ADD_FAILURE() << "no result for task " << name;
      return nullptr;
    }
    return &results_.tasks[static_cast<std::size_t>(index)];
  }

  const PlanResult* plan(std::string_view name) const {
    const model::Index index = rules_.find_plan(name);
    if (index == model::kNone || static_cast<std::size_t>(index) >= results_.plans.size()) {
      ADD_FAILURE() << "no result for plan " << name;
      return nullptr;
    }
    return &results_.plans[static_cast<std::size_t>(index)];
  }

  const std::string& unit_id(store::UnitIndex unit) const {
    return snapshot_.units()[static_cast<std::size_t>(unit)].id;
  }

  std::string task_name(model::Index task) const {
    if (task == model::kNone) return "(none)";
    return rules_.tasks[static_cast<std::size_t>(task)].name;
  }

  std::vector<std::string> task_names(const std::vector<model::Index>& tasks) const {
    std::vector<std::string> out;
    for (model::Index t : tasks) out.push_back(task_name(t));
    return out;
  }

 private:
  void build_snapshot(const World& world) {
    std::vector<UnitSpec> units = world.units;
    if (units.empty()) units.push_back({"root", "", ""});
    for (const UnitSpec& spec : units) {
      store::SnapshotUnit unit;
      unit.id = spec.id;
      unit.name = spec.id;
      unit.level_name = spec.level;
      if (!spec.level.empty()) {
        unit.level = rules_.find_level(spec.level);
        EXPECT_NE(unit.level, model::kNone) << "no level " << spec.level;
      }
      snapshot_.add_unit(std::move(unit));
    }
    for (const UnitSpec& spec : units) {
      if (spec.parent.empty()) continue;
      const store::UnitIndex parent = snapshot_.find_unit(spec.parent);
      EXPECT_GE(parent, 0) << "no unit " << spec.parent;
      snapshot_.set_parent(snapshot_.find_unit(spec.id), parent);
    }
    for (const PointSpec& spec : world.points) {
      const model::Index indicator = rules_.find_indicator(spec.indicator);
      const store::UnitIndex unit =
          snapshot_.find_unit(spec.unit.empty() ? units[0].id : spec.unit);
      EXPECT_NE(indicator, model::kNone) << "no indicator " << spec.indicator;
      EXPECT_GE(unit, 0) << "no unit " << spec.unit;
      const model::Period p = period(spec.period);
      store::Point point;
      point.set_period(p.first, p.last);
      point.value = spec.value;
      snapshot_.add_point(indicator, unit, point);
    }
    for (const StatusSpec& spec : world.statuses) {
      const auto status = model::parse_task_status(spec.status);
      EXPECT_TRUE(status.has_value()) << "no task status " << spec.status;
      snapshot_.add_status(
          task_index(spec.task),
          {day(spec.date), status.value_or(model::TaskStatus::not_started), spec.progress, -1});
    }
    snapshot_.finish(rules_.tasks.size());
  }

  model::RuleSet rules_;
  store::Snapshot snapshot_;
  Results results_;
  bool ok_ = false;
};

void expect_figure(const char* what, std::optional<double> actual, std::optional<double> expected) {
  if (!expected) {
    EXPECT_FALSE(actual.has_value()) << what << " is " << *actual << ", expected none";
    return;
  }
  ASSERT_TRUE(actual.has_value()) << what << " is missing, expected " << *expected;
  EXPECT_NEAR(*actual, *expected, kTolerance) << what;
}

// Declarations every table case can use; each case adds its own rule `r`.
constexpr const char* kPreamble = R"(
levels province > district > commune
indicator rate { unit percent }
indicator other_rate { unit percent }
indicator fresh_rate { unit percent  stale after 120d }
indicator poverty_rate { unit percent }
indicator teams { unit count }
indicator revenue { unit number }
indicator retail { unit number }

task t_late { due 2022-08-31 }                 # overdue from 2022-09-01
task t_wait { after t_late  due 2022-12-31 }   # blocked while t_late is overdue
task t_stuck { due 2022-12-31 }                # reported blocked in some cases
task t_long { due 2023-06-30  duration 120d }  # cannot finish by 2022-12-31 from 2022-09-30
task t_done { due 2022-08-31 }
task t_after_long { after t_long  due 2023-06-30 }  # waits for t_long
task t_dropped { due 2022-08-31 }              # cancelled in some cases
)";

// The 30-day-spaced series on the line 0.20 + 0.001/day, last point 2022-09-30 = 0.29;
// projected to 2022-12-31 (92 days on): 0.382.
const std::vector<PointSpec> kRising = {{"rate", "", "2022-07-02", 0.20},
                                        {"rate", "", "2022-08-01", 0.23},
                                        {"rate", "", "2022-08-31", 0.26},
                                        {"rate", "", "2022-09-30", 0.29}};

// ---------------------------------------------------------------------------------------
// Every rule state, and the precedence between them: one rule `r` at the root unit.

struct StateCase {
  std::string name;
  std::string rule;  // the rule (and anything else) added to kPreamble
  World world;
  std::string at;
  RuleState state = RuleState::no_data;
  Severity severity = Severity::none;
  std::optional<double> value;
  std::optional<double> target;
  std::optional<double> projected;
  std::string blocking;  // the task in `needs` that blocks, for blocked
  std::vector<std::string> chain;
  std::vector<std::string> reason_has;  // what the reason must say (a verdict's context)

  StateCase with_value(double v) const { return with(&StateCase::value, v); }
  StateCase with_target(double v) const { return with(&StateCase::target, v); }
  StateCase with_projected(double v) const { return with(&StateCase::projected, v); }
  StateCase saying(std::vector<std::string> parts) const {
    StateCase c = *this;
    c.reason_has = std::move(parts);
    return c;
  }
  StateCase blocked_by(std::string task, std::vector<std::string> tasks) const {
    StateCase c = *this;
    c.blocking = std::move(task);
    c.chain = std::move(tasks);
    return c;
  }

 private:
  StateCase with(std::optional<double> StateCase::*field, double v) const {
    StateCase c = *this;
    c.*field = v;
    return c;
  }
};

StateCase state_case(std::string name, std::string rule, World world, std::string at,
                     RuleState state, Severity severity) {
  StateCase c;
  c.name = std::move(name);
  c.rule = std::move(rule);
  c.world = std::move(world);
  c.at = std::move(at);
  c.state = state;
  c.severity = severity;
  return c;
}

void PrintTo(const StateCase& c, std::ostream* os) { *os << c.name; }

class EvalState : public ::testing::TestWithParam<StateCase> {};

TEST_P(EvalState, StateSeverityAndFigures) {
  const StateCase& c = GetParam();
  const Evaluation e(std::string(kPreamble) + c.rule, c.world, c.at);
  ASSERT_TRUE(e.ok());
  const RuleResult* r = e.rule("r");
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(to_string(r->state), to_string(c.state)) << e.reason(*r);
  EXPECT_EQ(model::to_string(r->severity), model::to_string(c.severity));
  expect_figure("value", r->value, c.value);
  expect_figure("target", r->target, c.target);
  if (c.projected) expect_figure("projected", r->projected, c.projected);
  if (c.state == RuleState::blocked) {
    EXPECT_EQ(e.task_name(r->blocking_task), c.blocking);
    EXPECT_EQ(e.task_names(r->chain()), c.chain);
    EXPECT_FALSE(e.reason(*r).empty());
  }
  for (const std::string& part : c.reason_has) {
    EXPECT_NE(e.reason(*r).find(part), std::string::npos)
        << "'" << part << "' not in: " << e.reason(*r);
  }
}

template <typename Case>
std::string param_name(const ::testing::TestParamInfo<Case>& param) {
  return param.param.name;
}

const StatusSpec kTaskDone{"t_done", "done", "2022-08-15", std::nullopt};

std::vector<StateCase> state_cases() {
  return {
      // by D: met
      state_case("met_before_deadline", "rule r { require rate >= 50% by 2022-12-31 }",
                 World({{"rate", "", "2022-Q3", 0.6}}), "2022-09-30", RuleState::met,
                 Severity::none)
          .with_value(0.6)
          .with_target(0.5),
      state_case("met_after_deadline_still_met", "rule r { require rate >= 50% by 2022-12-31 }",
                 World({{"rate", "", "2022-Q4", 0.5}}), "2023-01-15", RuleState::met,
                 Severity::none)
          .with_value(0.5)
          .with_target(0.5),
      // by D: on_track — the trend meets the target and t is outside the 60-day window
      state_case("on_track_trend_meets_outside_window",
                 "rule r { require rate >= 35% by 2022-12-31  warn within 60d }", World(kRising),
                 "2022-09-30", RuleState::on_track, Severity::none)
          .with_value(0.29)
          .with_target(0.35)
          .with_projected(0.382),
      // by D: at_risk — the projection misses
      state_case("at_risk_projection_misses", "rule r { require rate >= 40% by 2022-12-31 }",
                 World(kRising), "2022-09-30", RuleState::at_risk, Severity::warning)
          .with_value(0.29)
          .with_target(0.40)
          .with_projected(0.382),
      // by D: at_risk — the projection meets, but t is inside `warn within`
      state_case("at_risk_inside_warn_window",
                 "rule r { require rate >= 35% by 2022-12-31  warn within 120d }", World(kRising),
                 "2022-09-30", RuleState::at_risk, Severity::warning)
          .with_value(0.29)
          .with_target(0.35)
          .with_projected(0.382),
      // by D: at_risk — one observation: the projection is the latest value
      state_case("at_risk_single_observation_projects_latest",
                 "rule r { require rate >= 50% by 2022-12-31 }",
                 World({{"rate", "", "2022-Q3", 0.3}}), "2022-09-30", RuleState::at_risk,
                 Severity::warning)
          .with_value(0.3)
          .with_target(0.5)
          .with_projected(0.3),
      // The 2021-Q2 point is older than 12 months: one observation is left, projected as
      // is (0.45 < 50%). Fitted with it, the trend would reach 54% (on_track).
      state_case("at_risk_observation_older_than_12_months_not_fitted",
                 "rule r { require rate >= 50% by 2022-12-31 }",
                 World({{"rate", "", "2021-Q2", 0.0}, {"rate", "", "2022-Q3", 0.45}}), "2022-09-30",
                 RuleState::at_risk, Severity::warning)
          .with_value(0.45)
          .with_target(0.5)
          .with_projected(0.45),
      // t = D is not past the deadline: still at_risk, not missed.
      state_case("at_risk_on_the_deadline_itself", "rule r { require rate >= 50% by 2022-12-31 }",
                 World({{"rate", "", "2022-Q4", 0.3}}), "2022-12-31", RuleState::at_risk,
                 Severity::warning)
          .with_value(0.3)
          .with_target(0.5)
          .with_projected(0.3),
      // by D: missed, with the rule's severity (default critical)
      state_case("missed_after_deadline_default_critical",
                 "rule r { require rate >= 50% by 2022-12-31 }",
                 World({{"rate", "", "2022-Q4", 0.3}}), "2023-01-15", RuleState::missed,
                 Severity::critical)
          .with_value(0.3)
          .with_target(0.5),
      state_case("missed_takes_rule_severity_warning",
                 "rule r { require rate >= 50% by 2022-12-31  severity warning }",
                 World({{"rate", "", "2022-Q4", 0.3}}), "2023-01-15", RuleState::missed,
                 Severity::warning)
          .with_value(0.3)
          .with_target(0.5),
      state_case("missed_takes_rule_severity_info",
                 "rule r { require rate >= 50% by 2022-12-31  severity info }",
                 World({{"rate", "", "2022-Q4", 0.3}}), "2023-01-15", RuleState::missed,
                 Severity::info)
          .with_value(0.3)
          .with_target(0.5),
      // docs/evaluation.md: the lesser states are info when the rule's severity is info.
      state_case("at_risk_is_info_when_rule_severity_is_info",
                 "rule r { require rate >= 50% by 2022-12-31  severity info }",
                 World({{"rate", "", "2022-Q3", 0.3}}), "2022-09-30", RuleState::at_risk,
                 Severity::info)
          .with_value(0.3)
          .with_target(0.5),
      state_case("missed_decreasing_target_le",
                 "rule r { require poverty_rate <= 5% by 2022-12-31 }",
                 World({{"poverty_rate", "", "2022-Q4", 0.08}}), "2023-02-01", RuleState::missed,
                 Severity::critical)
          .with_value(0.08)
          .with_target(0.05),
      // from D: not_yet, ok, violated
      state_case("not_yet_before_start", "rule r { require rate >= 50% from 2023-01-01 }",
                 World({{"rate", "", "2022-Q3", 0.3}}), "2022-09-30", RuleState::not_yet,
                 Severity::none)
          .with_value(0.3)
          .with_target(0.5),
      // t = D is not before the start: the requirement applies.
      state_case("ok_on_the_start_date_itself", "rule r { require rate >= 50% from 2022-09-30 }",
                 World({{"rate", "", "2022-09-30", 0.6}}), "2022-09-30", RuleState::ok,
                 Severity::none)
          .with_value(0.6)
          .with_target(0.5),
      state_case("ok_every_observation_since_start_holds",
                 "rule r { require rate >= 50% from 2022-07-01 }",
                 World({{"rate", "", "2022-07-31", 0.55}, {"rate", "", "2022-09-30", 0.6}}),
                 "2022-10-15", RuleState::ok, Severity::none)
          .with_value(0.6)
          .with_target(0.5),
      // A failure before the start date does not count.
      state_case("ok_failure_before_start_ignored",
                 "rule r { require rate >= 50% from 2022-07-01 }",
                 World({{"rate", "", "2022-06-30", 0.1}, {"rate", "", "2022-09-30", 0.6}}),
                 "2022-10-15", RuleState::ok, Severity::none)
          .with_value(0.6)
          .with_target(0.5),
      // A failure since the start counts even though the latest value passes.
      state_case("violated_earlier_failure_latest_passes",
                 "rule r { require rate >= 50% from 2022-07-01 }",
                 World({{"rate", "", "2022-07-31", 0.4}, {"rate", "", "2022-09-30", 0.6}}),
                 "2022-10-15", RuleState::violated, Severity::critical)
          .with_value(0.6)
          .with_target(0.5),
      // 2022-Q3 ends 2022-09-30 ≥ the start 2022-09-15, so it counts although it began
      // before it.
      state_case("violated_period_ending_after_start_counts",
                 "rule r { require rate >= 50% from 2022-09-15 }",
                 World({{"rate", "", "2022-Q3", 0.4}, {"rate", "", "2022-10", 0.6}}), "2022-11-05",
                 RuleState::violated, Severity::critical)
          .with_value(0.6)
          .with_target(0.5),
      state_case("violated_latest_fails",
                 "rule r { require rate >= 50% from 2022-07-01  severity warning }",
                 World({{"rate", "", "2022-07-31", 0.6}, {"rate", "", "2022-09-30", 0.4}}),
                 "2022-10-15", RuleState::violated, Severity::warning)
          .with_value(0.4)
          .with_target(0.5),
      // Nothing observed since the start: no observation with period end ≥ D fails, so
      // not violated; docs/evaluation.md decides "no_data".
      state_case("no_data_from_nothing_since_start_latest_holds",
                 "rule r { require rate >= 50% from 2023-01-01 }",
                 World({{"rate", "", "2022-Q4", 0.6}}), "2023-02-01", RuleState::no_data,
                 Severity::warning)
          .with_value(0.6)
          .with_target(0.5),
      state_case("no_data_from_nothing_since_start_latest_fails",
                 "rule r { require rate >= 50% from 2023-01-01 }",
                 World({{"rate", "", "2022-Q4", 0.4}}), "2023-02-01", RuleState::no_data,
                 Severity::warning)
          .with_value(0.4)
          .with_target(0.5),
      // No timing: only the latest value matters.
      state_case("untimed_ok_latest_holds", "rule r { require rate >= 50% }",
                 World({{"rate", "", "2022-Q2", 0.1}, {"rate", "", "2022-Q3", 0.6}}), "2022-10-15",
                 RuleState::ok, Severity::none)
          .with_value(0.6)
          .with_target(0.5),
      state_case("untimed_violated_latest_fails", "rule r { require rate >= 50% }",
                 World({{"rate", "", "2022-Q2", 0.9}, {"rate", "", "2022-Q3", 0.4}}), "2022-10-15",
                 RuleState::violated, Severity::critical)
          .with_value(0.4)
          .with_target(0.5),
      // no_data
      state_case("no_data_nothing_observed", "rule r { require rate >= 50% by 2022-12-31 }",
                 World(), "2022-09-30", RuleState::no_data, Severity::warning)
          .with_target(0.5),
      // An observation whose period ends after the evaluation date is not yet "latest".
      state_case("no_data_only_future_period", "rule r { require rate >= 50% by 2022-12-31 }",
                 World({{"rate", "", "2022-Q4", 0.9}}), "2022-09-30", RuleState::no_data,
                 Severity::warning)
          .with_target(0.5),
      // stale: the latest observation (2022-03-31) is 183 days old; `stale after 120d`
      state_case("stale_latest_older_than_stale_after",
                 "rule r { require fresh_rate >= 50% by 2022-12-31 }",
                 World({{"fresh_rate", "", "2022-Q1", 0.3}}), "2022-09-30", RuleState::stale,
                 Severity::warning)
          .with_value(0.3)
          .with_target(0.5),
      // 2022-06-02 is exactly 120 days before 2022-09-30: not older, so not stale.
      state_case("not_stale_exactly_stale_after_old",
                 "rule r { require fresh_rate >= 50% by 2022-12-31 }",
                 World({{"fresh_rate", "", "2022-06-02", 0.6}}), "2022-09-30", RuleState::met,
                 Severity::none)
          .with_value(0.6)
          .with_target(0.5),
      state_case("stale_one_day_past_stale_after",
                 "rule r { require fresh_rate >= 50% by 2022-12-31 }",
                 World({{"fresh_rate", "", "2022-06-01", 0.6}}), "2022-09-30", RuleState::stale,
                 Severity::warning)
          .with_value(0.6)
          .with_target(0.5),
      // blocked: a needed task overdue
      state_case("blocked_needed_task_overdue",
                 "rule r { require rate >= 50% by 2022-12-31  needs t_late }",
                 World({{"rate", "", "2022-Q3", 0.3}}), "2022-09-30", RuleState::blocked,
                 Severity::warning)
          .with_value(0.3)
          .with_target(0.5)
          .blocked_by("t_late", {}),
      // blocked: a needed task reported blocked
      state_case("blocked_needed_task_reported_blocked",
                 "rule r { require rate >= 50% by 2022-12-31  needs t_stuck }",
                 World({{"rate", "", "2022-Q3", 0.3}},
                       {{"t_stuck", "blocked", "2022-09-01", std::nullopt}}),
                 "2022-09-30", RuleState::blocked, Severity::warning)
          .with_value(0.3)
          .with_target(0.5)
          .blocked_by("t_stuck", {}),
      // blocked: a predecessor of a needed task overdue; the chain leads to it
      state_case("blocked_predecessor_of_needed_task_overdue",
                 "rule r { require rate >= 50% by 2022-12-31  needs t_wait }",
                 World({{"rate", "", "2022-Q3", 0.3}}), "2022-09-30", RuleState::blocked,
                 Severity::warning)
          .with_value(0.3)
          .with_target(0.5)
          .blocked_by("t_wait", {"t_late"}),
      // blocked: a needed task that cannot finish before the deadline (120 days of work
      // from 2022-09-30 end on 2023-01-28)
      state_case("blocked_needed_task_cannot_finish_before_deadline",
                 "rule r { require rate >= 50% by 2022-12-31  needs t_long }",
                 World({{"rate", "", "2022-Q3", 0.3}}), "2022-09-30", RuleState::blocked,
                 Severity::warning)
          .with_value(0.3)
          .with_target(0.5)
          .blocked_by("t_long", {}),
      // blocked: the needed task waits for one that cannot finish before the deadline
      state_case("blocked_predecessor_of_needed_task_cannot_finish",
                 "rule r { require rate >= 50% by 2022-12-31  needs t_after_long }",
                 World({{"rate", "", "2022-Q3", 0.3}}), "2022-09-30", RuleState::blocked,
                 Severity::warning)
          .with_value(0.3)
          .with_target(0.5)
          .blocked_by("t_after_long", {"t_long"}),
      // A cancelled predecessor of a needed task does not block.
      state_case("needed_task_after_cancelled_does_not_block",
                 "task t_next { after t_dropped  due 2022-12-31 }\n"
                 "rule r { require rate >= 50% by 2022-12-31  needs t_next }",
                 World({{"rate", "", "2022-Q3", 0.3}},
                       {{"t_dropped", "cancelled", "2022-08-01", std::nullopt}}),
                 "2022-09-30", RuleState::at_risk, Severity::warning)
          .with_value(0.3)
          .with_target(0.5),
      // A needed task that is done does not block.
      state_case("needed_task_done_does_not_block",
                 "rule r { require rate >= 50% by 2022-12-31  needs t_done }",
                 World({{"rate", "", "2022-Q3", 0.3}}, {kTaskDone}), "2022-09-30",
                 RuleState::at_risk, Severity::warning)
          .with_value(0.3)
          .with_target(0.5)
          .with_projected(0.3),
      // A needed task that can finish in time does not block (120 days from 2022-08-01).
      state_case("needed_task_in_time_does_not_block",
                 "rule r { require rate >= 50% by 2022-12-31  needs t_long }",
                 World({{"rate", "", "2022-Q2", 0.6}, {"rate", "", "2022-07", 0.3}}), "2022-08-01",
                 RuleState::at_risk, Severity::warning)
          .with_value(0.3)
          .with_target(0.5),
      // error: a ratio with a zero denominator; a division by zero in an expression
      state_case("error_ratio_zero_denominator",
                 "rule r { require ratio(revenue, retail) >= 7% by 2022-12-31 }",
                 World({{"revenue", "", "2022-Q3", 5}, {"retail", "", "2022-Q3", 0}}), "2022-09-30",
                 RuleState::error, Severity::warning)
          .with_target(0.07),
      state_case("error_division_by_zero_in_expression", "rule r { require revenue / retail >= 1 }",
                 World({{"revenue", "", "2022-Q3", 5}, {"retail", "", "2022-Q3", 0}}), "2022-09-30",
                 RuleState::error, Severity::warning)
          .with_target(1),
      state_case("error_division_by_literal_zero",
                 "rule r { require rate / (2 - 2) >= 50% by 2022-12-31 }",
                 World({{"rate", "", "2022-Q3", 0.3}}), "2022-09-30", RuleState::error,
                 Severity::warning)
          .with_target(0.5),
  };
}

INSTANTIATE_TEST_SUITE_P(EvalStates, EvalState, ::testing::ValuesIn(state_cases()),
                         param_name<StateCase>);

// "The first that applies wins: error; not_yet; met/ok on data that is not stale;
// blocked; no_data; stale; then the timing states."
std::vector<StateCase> precedence_cases() {
  return {
      state_case("error_beats_not_yet",
                 "rule r { require ratio(revenue, retail) >= 7% from 2023-01-01 }",
                 World({{"revenue", "", "2022-Q3", 5}, {"retail", "", "2022-Q3", 0}}), "2022-09-30",
                 RuleState::error, Severity::warning)
          .with_target(0.07),
      state_case("error_beats_blocked",
                 "rule r { require ratio(revenue, retail) >= 7% by 2022-12-31  needs t_late }",
                 World({{"revenue", "", "2022-Q3", 5}, {"retail", "", "2022-Q3", 0}}), "2022-09-30",
                 RuleState::error, Severity::warning)
          .with_target(0.07),
      state_case("error_beats_stale",
                 "rule r { require fresh_rate * (revenue / retail) >= 50% by 2022-12-31 }",
                 World({{"fresh_rate", "", "2022-Q1", 0.3},
                        {"revenue", "", "2022-Q3", 5},
                        {"retail", "", "2022-Q3", 0}}),
                 "2022-09-30", RuleState::error, Severity::warning)
          .with_target(0.5),
      // The division by zero in the target is an error even though the left side has
      // no data.
      state_case("error_in_target_beats_no_data",
                 "rule r { require rate >= 1% * (revenue / retail) by 2022-12-31 }",
                 World({{"revenue", "", "2022-Q3", 5}, {"retail", "", "2022-Q3", 0}}), "2022-09-30",
                 RuleState::error, Severity::warning),
      // retail is observed as 0: ratio(revenue, retail) divides by zero whatever revenue
      // is, and error comes before no_data.
      state_case("error_zero_denominator_beats_missing_numerator",
                 "rule r { require ratio(revenue, retail) >= 7% by 2022-12-31 }",
                 World({{"retail", "", "2022-Q3", 0}}), "2022-09-30", RuleState::error,
                 Severity::warning)
          .with_target(0.07),
      state_case(
          "not_yet_beats_blocked", "rule r { require rate >= 50% from 2023-01-01  needs t_late }",
          World({{"rate", "", "2022-Q3", 0.3}}), "2022-09-30", RuleState::not_yet, Severity::none)
          .with_value(0.3)
          .with_target(0.5),
      state_case("not_yet_beats_no_data", "rule r { require rate >= 50% from 2023-01-01 }", World(),
                 "2022-09-30", RuleState::not_yet, Severity::none)
          .with_target(0.5),
      state_case("not_yet_beats_stale", "rule r { require fresh_rate >= 50% from 2023-01-01 }",
                 World({{"fresh_rate", "", "2022-Q1", 0.3}}), "2022-09-30", RuleState::not_yet,
                 Severity::none)
          .with_value(0.3)
          .with_target(0.5),
      state_case("met_beats_blocked", "rule r { require rate >= 50% by 2022-12-31  needs t_late }",
                 World({{"rate", "", "2022-Q3", 0.6}}), "2022-09-30", RuleState::met,
                 Severity::none)
          .with_value(0.6)
          .with_target(0.5),
      state_case("ok_beats_blocked", "rule r { require rate >= 50%  needs t_late }",
                 World({{"rate", "", "2022-Q3", 0.6}}), "2022-09-30", RuleState::ok, Severity::none)
          .with_value(0.6)
          .with_target(0.5),
      state_case("blocked_beats_no_data",
                 "rule r { require rate >= 50% by 2022-12-31  needs t_late }", World(),
                 "2022-09-30", RuleState::blocked, Severity::warning)
          .with_target(0.5)
          .blocked_by("t_late", {}),
      state_case("blocked_beats_stale",
                 "rule r { require fresh_rate >= 50% by 2022-12-31  needs t_late }",
                 World({{"fresh_rate", "", "2022-Q1", 0.3}}), "2022-09-30", RuleState::blocked,
                 Severity::warning)
          .with_value(0.3)
          .with_target(0.5)
          .blocked_by("t_late", {}),
      // Met on stale data is not met; then blocked comes first.
      state_case("blocked_beats_met_on_stale_data",
                 "rule r { require fresh_rate >= 50% by 2022-12-31  needs t_late }",
                 World({{"fresh_rate", "", "2022-Q1", 0.6}}), "2022-09-30", RuleState::blocked,
                 Severity::warning)
          .with_value(0.6)
          .with_target(0.5)
          .blocked_by("t_late", {}),
      state_case("blocked_beats_at_risk",
                 "rule r { require rate >= 50% by 2022-12-31  needs t_wait }",
                 World({{"rate", "", "2022-Q3", 0.3}}), "2022-09-30", RuleState::blocked,
                 Severity::warning)
          .with_value(0.3)
          .with_target(0.5)
          .blocked_by("t_wait", {"t_late"}),
      // The verdicts come before blocked, no_data and stale (LANGUAGE.md, "Meaning of
      // `require`"), which go into the reason instead.
      state_case("missed_beats_blocked",
                 "rule r { require rate >= 50% by 2022-12-31  needs t_late }",
                 World({{"rate", "", "2022-Q4", 0.3}}), "2023-01-15", RuleState::missed,
                 Severity::critical)
          .with_value(0.3)
          .with_target(0.5)
          .saying({"30% on 2023-01-15, required >= 50% by 2022-12-31",
                   "needs t_late, overdue since 2022-08-31"}),
      state_case("violated_beats_blocked",
                 "rule r { require rate >= 50% from 2022-07-01  needs t_late }",
                 World({{"rate", "", "2022-Q3", 0.3}}), "2022-09-30", RuleState::violated,
                 Severity::critical)
          .with_value(0.3)
          .with_target(0.5)
          .saying({"failed on 2022-09-30", "needs t_late, overdue since 2022-08-31"}),
      state_case("missed_with_no_data_at_all", "rule r { require rate >= 50% by 2022-12-31 }",
                 World(), "2023-01-15", RuleState::missed, Severity::critical)
          .with_target(0.5)
          .saying({"no figure at all", "required >= 50% by 2022-12-31"}),
      state_case("missed_beats_blocked_and_no_data",
                 "rule r { require rate >= 50% by 2022-12-31  needs t_late }", World(),
                 "2023-01-15", RuleState::missed, Severity::critical)
          .with_target(0.5)
          .saying({"no figure at all", "needs t_late"}),
      state_case("met_after_the_deadline_on_stale_data",
                 "rule r { require fresh_rate >= 50% by 2022-12-31 }",
                 World({{"fresh_rate", "", "2022-Q2", 0.6}}), "2023-01-15", RuleState::met,
                 Severity::none)
          .with_value(0.6)
          .with_target(0.5)
          .saying({"60% >= 50%", "older than 120d"}),
      state_case("until_the_deadline_stale_still_beats_at_risk",
                 "rule r { require fresh_rate >= 50% by 2022-12-31 }",
                 World({{"fresh_rate", "", "2022-Q2", 0.3}}), "2022-12-31", RuleState::stale,
                 Severity::warning)
          .with_value(0.3)
          .with_target(0.5),
      state_case("blocked_beats_violated", "rule r { require rate >= 50%  needs t_late }",
                 World({{"rate", "", "2022-Q3", 0.3}}), "2022-09-30", RuleState::blocked,
                 Severity::warning)
          .with_value(0.3)
          .with_target(0.5)
          .blocked_by("t_late", {}),
      state_case("no_data_beats_stale", "rule r { require fresh_rate >= other_rate by 2022-12-31 }",
                 World({{"fresh_rate", "", "2022-Q1", 0.3}}), "2022-09-30", RuleState::no_data,
                 Severity::warning)
          .with_value(0.3),
      state_case("met_on_stale_data_is_stale", "rule r { require fresh_rate >= 50% by 2022-12-31 }",
                 World({{"fresh_rate", "", "2022-Q1", 0.6}}), "2022-09-30", RuleState::stale,
                 Severity::warning)
          .with_value(0.6)
          .with_target(0.5),
      state_case("ok_on_stale_data_is_stale", "rule r { require fresh_rate >= 50% }",
                 World({{"fresh_rate", "", "2022-Q1", 0.6}}), "2022-09-30", RuleState::stale,
                 Severity::warning)
          .with_value(0.6)
          .with_target(0.5),
      state_case("stale_beats_at_risk", "rule r { require fresh_rate >= 50% by 2022-12-31 }",
                 World({{"fresh_rate", "", "2022-Q1", 0.3}}), "2022-09-30", RuleState::stale,
                 Severity::warning)
          .with_value(0.3)
          .with_target(0.5),
      state_case("missed_beats_stale", "rule r { require fresh_rate >= 50% by 2022-12-31 }",
                 World({{"fresh_rate", "", "2022-Q3", 0.0923}}), "2023-01-31", RuleState::missed,
                 Severity::critical)
          .with_value(0.0923)
          .with_target(0.5)
          .saying({"no figure for the deadline; the last, 9.23% for Q3/2022, fails: required "
                   ">= 50% by 2022-12-31"}),
      state_case("violated_beats_stale", "rule r { require fresh_rate >= 50% from 2022-01-01 }",
                 World({{"fresh_rate", "", "2022-Q1", 0.3}}), "2022-09-30", RuleState::violated,
                 Severity::critical)
          .with_value(0.3)
          .with_target(0.5)
          .saying({"failed on 2022-03-31", "older than 120d"}),
      // `between` names both bounds, above the band as below it.
      state_case("between_above_the_band_names_both_bounds",
                 "rule r { require rate between 65% and 70% }",
                 World({{"rate", "", "2022-Q3", 0.75}}), "2022-09-30", RuleState::violated,
                 Severity::critical)
          .with_value(0.75)
          .with_target(0.65)
          .saying({"75%, required between 65% and 70%"}),
      state_case("between_missed_names_both_bounds",
                 "rule r { require rate between 65% and 70% by 2022-12-31 }",
                 World({{"rate", "", "2022-Q4", 0.5}}), "2023-01-15", RuleState::missed,
                 Severity::critical)
          .with_value(0.5)
          .with_target(0.65)
          .saying({"required between 65% and 70% by 2022-12-31"}),
      // A failure before the start date is no violation: nothing since it is no data.
      state_case("before_the_start_date_is_no_data",
                 "rule r { require rate >= 50% from 2022-07-01 }",
                 World({{"rate", "", "2022-Q1", 0.3}}), "2022-09-30", RuleState::no_data,
                 Severity::warning)
          .with_value(0.3)
          .with_target(0.5)
          .saying({"nothing observed since 2022-07-01"}),
  };
}

INSTANTIATE_TEST_SUITE_P(EvalPrecedence, EvalState, ::testing::ValuesIn(precedence_cases()),
                         param_name<StateCase>);

// ---------------------------------------------------------------------------------------
// Projections against known fits: points on the line intercept + slope × (days since
// 2022-01-01); the projection is the line at the deadline.

struct FitCase {
  std::string name;
  std::string indicator;
  std::string op;
  std::string target_text;
  double target = 0;
  std::vector<std::string> periods;  // on the line, at their period ends
  double intercept = 0;
  double slope = 0;                 // per day
  std::vector<PointSpec> off_line;  // older than 12 months: must not be fitted
  std::string at;
  std::string deadline;
  RuleState state = RuleState::at_risk;
};

void PrintTo(const FitCase& c, std::ostream* os) { *os << c.name; }

class EvalProjection : public ::testing::TestWithParam<FitCase> {};

TEST_P(EvalProjection, ProjectsTheLeastSquaresLine) {
  const FitCase& c = GetParam();
  const Date origin = day("2022-01-01");
  const auto line = [&](Date d) { return c.intercept + c.slope * days_between(origin, d); };
  World world;
  Date last_end = origin;
  for (const std::string& p : c.periods) {
    const Date end = period(p).last;
    world.points.push_back({c.indicator, "", p, line(end)});
    last_end = std::max(last_end, end);
  }
  for (const PointSpec& p : c.off_line) world.points.push_back(p);
  const std::string rules = std::string(kPreamble) + "rule r { require " + c.indicator + " " +
                            c.op + " " + c.target_text + " by " + c.deadline + " }";
  const Evaluation e(rules, world, c.at);
  ASSERT_TRUE(e.ok());
  const RuleResult* r = e.rule("r");
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(to_string(r->state), to_string(c.state)) << e.reason(*r);
  const Date at = day(c.at);
  const Date deadline = day(c.deadline);
  const double value = line(last_end);
  expect_figure("value", r->value, value);
  expect_figure("target", r->target, c.target);
  expect_figure("projected", r->projected, line(deadline));
  expect_figure("rate_observed", r->rate_observed, c.slope * kDaysPerMonth);
  expect_figure("rate_needed", r->rate_needed,
                (c.target - value) / (days_between(at, deadline) / kDaysPerMonth));
  EXPECT_EQ(r->trend_points().size(), c.periods.size());
  ASSERT_TRUE(r->deadline.has_value());
  EXPECT_EQ(*r->deadline, deadline);
}

std::vector<FitCase> fit_cases() {
  return {
      // Q3 end (day 272) 0.372; 2022-12-31 (day 364) 0.464.
      {.name = "three_quarters_rising_misses",
       .indicator = "rate",
       .op = ">=",
       .target_text = "50%",
       .target = 0.5,
       .periods = {"2022-Q1", "2022-Q2", "2022-Q3"},
       .intercept = 0.1,
       .slope = 0.001,
       .off_line = {},
       .at = "2022-09-30",
       .deadline = "2022-12-31",
       .state = RuleState::at_risk},
      {.name = "three_quarters_rising_meets",
       .indicator = "rate",
       .op = ">=",
       .target_text = "45%",
       .target = 0.45,
       .periods = {"2022-Q1", "2022-Q2", "2022-Q3"},
       .intercept = 0.1,
       .slope = 0.001,
       .off_line = {},
       .at = "2022-09-30",
       .deadline = "2022-12-31",
       .state = RuleState::on_track},
      // 2021-Q4 ends 2021-12-31, inside the 12 months before 2022-10-20.
      {.name = "four_quarters_to_a_later_deadline",
       .indicator = "rate",
       .op = ">=",
       .target_text = "60%",
       .target = 0.6,
       .periods = {"2021-Q4", "2022-Q1", "2022-Q2", "2022-Q3"},
       .intercept = 0.2,
       .slope = 0.0008,
       .off_line = {},
       .at = "2022-11-05",
       .deadline = "2023-06-30",
       .state = RuleState::on_track},
      // Wild points from 2021-Q1 and 2021-Q2 would bend the fit; they are too old.
      {.name = "observations_older_than_12_months_not_fitted",
       .indicator = "rate",
       .op = ">=",
       .target_text = "45%",
       .target = 0.45,
       .periods = {"2022-Q1", "2022-Q2", "2022-Q3"},
       .intercept = 0.1,
       .slope = 0.001,
       .off_line = {{"rate", "", "2021-Q1", 0.95}, {"rate", "", "2021-06-30", 0.9}},
       .at = "2022-09-30",
       .deadline = "2022-12-31",
       .state = RuleState::on_track},
      {.name = "flat_series",
       .indicator = "rate",
       .op = ">=",
       .target_text = "50%",
       .target = 0.5,
       .periods = {"2022-Q1", "2022-Q2", "2022-Q3"},
       .intercept = 0.3,
       .slope = 0,
       .off_line = {},
       .at = "2022-09-30",
       .deadline = "2022-12-31",
       .state = RuleState::at_risk},
      // 0.15 − 0.0003/day: 0.0684 at Q3's end, 0.0408 at 2022-12-31 ≤ 5%.
      {.name = "decreasing_series_le_target_meets",
       .indicator = "poverty_rate",
       .op = "<=",
       .target_text = "5%",
       .target = 0.05,
       .periods = {"2022-Q1", "2022-Q2", "2022-Q3"},
       .intercept = 0.15,
       .slope = -0.0003,
       .off_line = {},
       .at = "2022-09-30",
       .deadline = "2022-12-31",
       .state = RuleState::on_track},
      {.name = "decreasing_series_le_target_misses",
       .indicator = "poverty_rate",
       .op = "<=",
       .target_text = "3%",
       .target = 0.03,
       .periods = {"2022-01", "2022-03", "2022-05", "2022-07", "2022-09"},
       .intercept = 0.15,
       .slope = -0.0003,
       .off_line = {},
       .at = "2022-09-30",
       .deadline = "2022-12-31",
       .state = RuleState::at_risk},
  };
}

INSTANTIATE_TEST_SUITE_P(EvalFits, EvalProjection, ::testing::ValuesIn(fit_cases()),
                         param_name<FitCase>);

// The trend is fitted to the left-hand side's observations. Here the target is an
// indicator observed monthly; its dates are not observations of the value.
TEST(EvalProjectionTarget, TargetObservationsAreNotTrendPoints) {
  World w({{"rate", "", "2022-03-31", 0.2}, {"rate", "", "2022-09-30", 0.4}});
  for (const char* month : {"2022-04", "2022-05", "2022-06", "2022-07", "2022-08", "2022-09"}) {
    w.points.push_back({"other_rate", "", month, 0.45});
  }
  const Evaluation e(std::string(kPreamble) + "rule r { require rate >= other_rate by 2022-12-31 }",
                     w, "2022-09-30");
  ASSERT_TRUE(e.ok());
  const RuleResult* r = e.rule("r");
  ASSERT_NE(r, nullptr);
  const double slope = 0.2 / days_between(day("2022-03-31"), day("2022-09-30"));
  const double projected = 0.4 + slope * days_between(day("2022-09-30"), day("2022-12-31"));
  expect_figure("projected", r->projected, projected);
  expect_figure("rate_observed", r->rate_observed, slope * kDaysPerMonth);
  EXPECT_EQ(r->trend_points().size(), 2u);
  EXPECT_EQ(to_string(r->state), to_string(RuleState::on_track)) << e.reason(*r);
}

// ---------------------------------------------------------------------------------------
// Scopes: `for each`, roots, and the aggregates over the units inside.

constexpr const char* kScopeRules = R"(
rule district_rate { require rate >= 50% by 2022-12-31 for each district }
rule province_teams { require sum(teams, commune) >= 1 }
rule district_sum { require sum(teams, commune) >= 40 for each district }
rule district_avg { require avg(teams, commune) >= 40 for each district }
rule district_min { require min(teams, commune) >= 40 for each district }
rule district_max { require max(teams, commune) >= 40 for each district }
rule district_count { require count(teams, commune) >= 3 for each district }
)";

std::string district_id(int i) { return (i < 10 ? "d0" : "d") + std::to_string(i); }
int commune_count(int i) { return i % 2 == 1 ? 3 : 2; }
// The commune d04_c2 reports nothing.
bool commune_reports(int i, int j) { return !(i == 4 && j == 2); }
double commune_teams(int i, int j) { return i * 10 + j; }

// Two provinces; dong_nai has 11 districts of 2–3 communes each, added in reverse id order
// so that the evaluator has to sort them.
World scope_world() {
  World w;
  w.units.push_back({"dong_nai", "province", ""});
  w.units.push_back({"binh_duong", "province", ""});
  w.units.push_back({"bd01", "district", "binh_duong"});
  w.units.push_back({"bd01_c1", "commune", "bd01"});
  w.points.push_back({"teams", "bd01_c1", "2022-Q3", 7});
  for (int i = 11; i >= 1; --i) {
    const std::string d = district_id(i);
    w.units.push_back({d, "district", "dong_nai"});
    for (int j = commune_count(i); j >= 1; --j) {
      const std::string c = d + "_c" + std::to_string(j);
      w.units.push_back({c, "commune", d});
      if (commune_reports(i, j)) w.points.push_back({"teams", c, "2022-Q3", commune_teams(i, j)});
    }
    // Odd districts meet 50%, even ones do not; d10 reports nothing.
    if (i != 10) w.points.push_back({"rate", d, "2022-Q3", i % 2 == 1 ? 0.6 : 0.3});
  }
  return w;
}

TEST(EvalScope, ForEachDistrictGivesOneResultPerDistrictInIdOrder) {
  const Evaluation e(std::string(kPreamble) + kScopeRules, scope_world(), "2022-09-30");
  ASSERT_TRUE(e.ok());
  const auto results = e.rule_results("district_rate");
  ASSERT_EQ(results.size(), 12u);  // bd01 and d01..d11
  std::vector<std::string> ids;
  for (const RuleResult* r : results) ids.push_back(e.unit_id(r->unit));
  EXPECT_EQ(ids, (std::vector<std::string>{"bd01", "d01", "d02", "d03", "d04", "d05", "d06", "d07",
                                           "d08", "d09", "d10", "d11"}));
  EXPECT_EQ(results[0]->state, RuleState::no_data);
  for (int i = 1; i <= 11; ++i) {
    const RuleResult& r = *results[static_cast<std::size_t>(i)];
    const RuleState expected =
        i == 10 ? RuleState::no_data : (i % 2 == 1 ? RuleState::met : RuleState::at_risk);
    EXPECT_EQ(to_string(r.state), to_string(expected)) << district_id(i) << ": " << e.reason(r);
    if (i != 10) expect_figure("value", r.value, i % 2 == 1 ? 0.6 : 0.3);
  }
}

TEST(EvalScope, UnscopedRuleIsEvaluatedAtEachRoot) {
  const Evaluation e(std::string(kPreamble) + kScopeRules, scope_world(), "2022-09-30");
  ASSERT_TRUE(e.ok());
  const auto results = e.rule_results("province_teams");
  ASSERT_EQ(results.size(), 2u);
  EXPECT_EQ(e.unit_id(results[0]->unit), "binh_duong");
  EXPECT_EQ(e.unit_id(results[1]->unit), "dong_nai");
  expect_figure("binh_duong sum", results[0]->value, 7);
  double total = 0;
  for (int i = 1; i <= 11; ++i) {
    for (int j = 1; j <= commune_count(i); ++j) {
      if (commune_reports(i, j)) total += commune_teams(i, j);
    }
  }
  expect_figure("dong_nai sum", results[1]->value, total);
  EXPECT_EQ(results[0]->state, RuleState::ok);
  EXPECT_EQ(results[1]->state, RuleState::ok);
}

TEST(EvalScope, AggregatesOverTheCommunesOfEachDistrict) {
  const Evaluation e(std::string(kPreamble) + kScopeRules, scope_world(), "2022-09-30");
  ASSERT_TRUE(e.ok());
  for (int i = 1; i <= 11; ++i) {
    const std::string d = district_id(i);
    std::vector<double> values;
    for (int j = 1; j <= commune_count(i); ++j) {
      if (commune_reports(i, j)) values.push_back(commune_teams(i, j));
    }
    double sum = 0;
    for (double v : values) sum += v;
    const double avg = sum / static_cast<double>(values.size());
    const double lo = *std::min_element(values.begin(), values.end());
    const double hi = *std::max_element(values.begin(), values.end());
    const auto n = static_cast<double>(values.size());
    const struct {
      const char* rule;
      double value;
    } expected[] = {{"district_sum", sum},
                    {"district_avg", avg},
                    {"district_min", lo},
                    {"district_max", hi},
                    {"district_count", n}};
    for (const auto& [rule, value] : expected) {
      SCOPED_TRACE(std::string(rule) + " at " + d);
      const RuleResult* r = e.rule(rule, d);
      ASSERT_NE(r, nullptr);
      expect_figure("value", r->value, value);
      const double target = std::string_view(rule) == "district_count" ? 3 : 40;
      EXPECT_EQ(r->state, value >= target ? RuleState::ok : RuleState::violated) << e.reason(*r);
      EXPECT_EQ(r->severity, value >= target ? Severity::none : Severity::critical);
    }
  }
  // d04 has two communes, one without data: count 1, and the aggregates of the other.
  const RuleResult* count = e.rule("district_count", "d04");
  ASSERT_NE(count, nullptr);
  expect_figure("d04 count", count->value, 1);
  const RuleResult* avg = e.rule("district_avg", "d04");
  ASSERT_NE(avg, nullptr);
  expect_figure("d04 avg", avg->value, 41);
}

// Rules are split into blocks that threads evaluate in place: the results and their
// order are the same whatever the number of threads.
TEST(EvalThreads, SameResultsOnAnyNumberOfThreads) {
  const Evaluation e(std::string(kPreamble) + kScopeRules, scope_world(), "2022-09-30");
  ASSERT_TRUE(e.ok());
  const auto json = [&](unsigned threads) {
    const Results r = evaluate(
        e.rules(), e.snapshot(), day("2022-09-30"),
        EvaluateOptions{
            .keep_trend_points = false, .keep_used = false, .threads = threads, .cancel = nullptr});
    return present::to_json(e.rules(), e.snapshot(), r, {});
  };
  const std::string one = json(1);
  EXPECT_GT(e.results().rules.size(), 40u);
  for (unsigned threads : {2u, 3u, 16u, 0u}) EXPECT_EQ(json(threads), one) << threads;
}

// A service stopping cancels an evaluation: once the flag is set, no rule more is
// evaluated (the service then drops the results).
TEST(EvalThreads, ACancelledEvaluationEvaluatesNoRuleMore) {
  const Evaluation e(std::string(kPreamble) + kScopeRules, scope_world(), "2022-09-30");
  ASSERT_TRUE(e.ok());
  for (unsigned threads : {1u, 2u}) {
    const std::atomic<bool> cancel = true;
    const Results r = evaluate(
        e.rules(), e.snapshot(), day("2022-09-30"),
        EvaluateOptions{
            .keep_trend_points = false, .keep_used = false, .threads = threads, .cancel = &cancel});
    ASSERT_EQ(r.rules.size(), e.results().rules.size());
    for (const RuleResult& result : r.rules) EXPECT_EQ(result.rule, model::kNone) << threads;
  }
  EXPECT_NE(e.results().rules.front().rule, model::kNone);
}

constexpr const char* kShareRules = R"(
rule teams_everywhere { require share(commune, teams >= 1) >= 100% by Q3/2022 }
rule teams_by_district { require share(commune, teams >= 1) >= 75% for each district }
rule ecommerce { require ratio(revenue, retail, commune) >= 10% for each district }
)";

// One province, district d1 with four communes, district d2 with two.
World share_world(std::vector<PointSpec> points) {
  World w;
  w.units = {{"p", "province", ""},   {"d1", "district", "p"}, {"d2", "district", "p"},
             {"c1", "commune", "d1"}, {"c2", "commune", "d1"}, {"c3", "commune", "d1"},
             {"c4", "commune", "d1"}, {"c5", "commune", "d2"}, {"c6", "commune", "d2"}};
  w.points = std::move(points);
  return w;
}

TEST(EvalScope, ShareCountsCommunesWithoutDataAsNotHolding) {
  // d1: three of four communes have data and hold, c4 has none → 75%.
  // d2: c5 fails (0 teams), c6 holds → 50%. The province: 4 of 6.
  const Evaluation e(std::string(kPreamble) + kShareRules,
                     share_world({{"teams", "c1", "2022-Q3", 2},
                                  {"teams", "c2", "2022-Q3", 1},
                                  {"teams", "c3", "2022-Q3", 5},
                                  {"teams", "c5", "2022-Q3", 0},
                                  {"teams", "c6", "2022-Q3", 3}}),
                     "2022-09-30");
  ASSERT_TRUE(e.ok());
  const RuleResult* d1 = e.rule("teams_by_district", "d1");
  const RuleResult* d2 = e.rule("teams_by_district", "d2");
  const RuleResult* province = e.rule("teams_everywhere");
  ASSERT_NE(d1, nullptr);
  ASSERT_NE(d2, nullptr);
  ASSERT_NE(province, nullptr);
  expect_figure("d1 share", d1->value, 0.75);
  EXPECT_EQ(d1->state, RuleState::ok) << e.reason(*d1);
  expect_figure("d2 share", d2->value, 0.5);
  EXPECT_EQ(d2->state, RuleState::violated) << e.reason(*d2);
  expect_figure("province share", province->value, 4.0 / 6.0);
  expect_figure("province target", province->target, 1.0);
  // One observation date in the year: the projection is the value, short of 100%.
  EXPECT_EQ(province->state, RuleState::at_risk) << e.reason(*province);
  EXPECT_EQ(e.unit_id(province->unit), "p");

  // Issue #12: coverage names its units, those that fail apart from those without data.
  const auto ids = [&](const std::vector<store::UnitIndex>& units) {
    std::vector<std::string> out;
    for (store::UnitIndex u : units) out.push_back(e.unit_id(u));
    return out;
  };
  ASSERT_NE(province->coverage(), nullptr);
  EXPECT_EQ(province->coverage()->counted, 4u);
  EXPECT_EQ(province->coverage()->total, 6u);
  EXPECT_EQ(ids(province->coverage()->failing), std::vector<std::string>({"c5"}));
  EXPECT_EQ(ids(province->coverage()->no_data), std::vector<std::string>({"c4"}));
  EXPECT_NE(e.reason(*province).find("; 4/6 commune; failing: c5; no data: c4"), std::string::npos)
      << e.reason(*province);
  ASSERT_NE(d2->coverage(), nullptr);
  EXPECT_EQ(ids(d2->coverage()->failing), std::vector<std::string>({"c5"}));
  EXPECT_TRUE(d2->coverage()->no_data.empty());
  // A ratio is no coverage.
  const RuleResult* ratio = e.rule("ecommerce", "d1");
  ASSERT_NE(ratio, nullptr);
  EXPECT_EQ(ratio->coverage(), nullptr);
}

TEST(EvalScope, ShareOfEveryCommuneHoldingIsMet) {
  std::vector<PointSpec> points;
  for (const char* c : {"c1", "c2", "c3", "c4", "c5", "c6"})
    points.push_back({"teams", c, "2022-Q3", 1});
  const Evaluation e(std::string(kPreamble) + kShareRules, share_world(points), "2022-10-01");
  ASSERT_TRUE(e.ok());
  const RuleResult* province = e.rule("teams_everywhere");
  ASSERT_NE(province, nullptr);
  expect_figure("share", province->value, 1.0);
  EXPECT_EQ(province->state, RuleState::met) << e.reason(*province);
}

TEST(EvalScope, RatioOverALevelDividesTheSums) {
  // d1: revenue 10 + 20 + 5 (c3 has no retail) over retail 100 + 200 = 35 / 300.
  // d2: retail sums to 0 → error.
  const Evaluation e(std::string(kPreamble) + kShareRules,
                     share_world({{"revenue", "c1", "2022-Q3", 10},
                                  {"retail", "c1", "2022-Q3", 100},
                                  {"revenue", "c2", "2022-Q3", 20},
                                  {"retail", "c2", "2022-Q3", 200},
                                  {"revenue", "c3", "2022-Q3", 5},
                                  {"revenue", "c5", "2022-Q3", 1},
                                  {"retail", "c5", "2022-Q3", 0},
                                  {"retail", "c6", "2022-Q3", 0}}),
                     "2022-09-30");
  ASSERT_TRUE(e.ok());
  const RuleResult* d1 = e.rule("ecommerce", "d1");
  const RuleResult* d2 = e.rule("ecommerce", "d2");
  ASSERT_NE(d1, nullptr);
  ASSERT_NE(d2, nullptr);
  expect_figure("d1 ratio", d1->value, 35.0 / 300.0);
  EXPECT_EQ(d1->state, RuleState::ok) << e.reason(*d1);
  EXPECT_EQ(d2->state, RuleState::error) << e.reason(*d2);
  EXPECT_EQ(d2->severity, Severity::warning);
  EXPECT_FALSE(d2->value.has_value());
}

// docs/evaluation.md: sum and the like have no data when no unit has any; count counts
// the units with a value (0 when none); share has no data only when the level has no
// unit inside the evaluated one, and is 0 when none of its units has data.
TEST(EvalScope, AggregatesWithoutDataAndShareWithoutUnits) {
  World w;
  w.units = {{"p", "province", ""},
             {"d1", "district", "p"},
             {"c1", "commune", "d1"},
             {"q", "province", ""},
             {"d2", "district", "q"}};
  const Evaluation e(std::string(kPreamble) + R"(
rule total { require sum(teams, commune) >= 1 }
rule counted { require count(teams, commune) >= 1 }
rule shared { require share(commune, teams >= 1) >= 50% }
)",
                     w, "2022-09-30");
  ASSERT_TRUE(e.ok());
  const RuleResult* total = e.rule("total", "p");
  const RuleResult* counted = e.rule("counted", "p");
  const RuleResult* shared_p = e.rule("shared", "p");
  const RuleResult* shared_q = e.rule("shared", "q");
  ASSERT_NE(total, nullptr);
  ASSERT_NE(counted, nullptr);
  ASSERT_NE(shared_p, nullptr);
  ASSERT_NE(shared_q, nullptr);
  EXPECT_EQ(total->state, RuleState::no_data);
  EXPECT_EQ(counted->state, RuleState::violated);
  expect_figure("count", counted->value, 0);
  EXPECT_EQ(shared_p->state, RuleState::violated);  // c1 has no data: it does not hold
  expect_figure("share at p", shared_p->value, 0);
  EXPECT_EQ(shared_q->state, RuleState::no_data);  // q has no commune at all
}

TEST(EvalScope, RuleForALevelWithNoUnitsIsNoData) {
  World w;
  w.units = {{"p", "province", ""}};
  const Evaluation e(
      std::string(kPreamble) + "rule r { require rate >= 50% by 2022-12-31 for each commune }", w,
      "2022-09-30");
  ASSERT_TRUE(e.ok());
  const RuleResult* r = e.rule("r");
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->state, RuleState::no_data);
  EXPECT_EQ(r->severity, Severity::warning);
}

// ---------------------------------------------------------------------------------------
// change, done, between.

struct FunctionCase {
  std::string name;
  std::string rule;
  World world;
  std::string at;
  RuleState state = RuleState::no_data;
  std::optional<double> value;
};

void PrintTo(const FunctionCase& c, std::ostream* os) { *os << c.name; }

class EvalFunction : public ::testing::TestWithParam<FunctionCase> {};

TEST_P(EvalFunction, ValueAndState) {
  const FunctionCase& c = GetParam();
  const Evaluation e(std::string(kPreamble) + c.rule, c.world, c.at);
  ASSERT_TRUE(e.ok());
  const RuleResult* r = e.rule("r");
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(to_string(r->state), to_string(c.state)) << e.reason(*r);
  expect_figure("value", r->value, c.value);
}

std::vector<FunctionCase> function_cases() {
  const std::vector<PointSpec> series = {{"rate", "", "2022-05-31", 0.20},
                                         {"rate", "", "2022-07-31", 0.30},
                                         {"rate", "", "2022-09-30", 0.45}};
  return {
      // As of 2022-09-30 − 90d = 2022-07-02 the latest is 2022-05-31 (0.20).
      {.name = "change_90d_reads_the_value_as_of_t_minus_d",
       .rule = "rule r { require change(rate, 90d) >= 20% }",
       .world = World(series),
       .at = "2022-09-30",
       .state = RuleState::ok,
       .value = 0.25},
      // As of 2022-09-30 − 1m = 2022-08-30 the latest is 2022-07-31 (0.30).
      {.name = "change_1m_calendar_month",
       .rule = "rule r { require change(rate, 1m) >= 20% }",
       .world = World(series),
       .at = "2022-09-30",
       .state = RuleState::violated,
       .value = 0.15},
      {.name = "change_without_an_earlier_value_is_no_data",
       .rule = "rule r { require change(rate, 180d) >= 20% }",
       .world = World(series),
       .at = "2022-09-30",
       .state = RuleState::no_data,
       .value = std::nullopt},
      {.name = "done_task_reported_done",
       .rule = "rule r { require done(t_stuck) >= 1 by 2022-12-31 }",
       .world = World({}, {{"t_stuck", "in_progress", "2022-08-01", 0.5},
                           {"t_stuck", "done", "2022-09-15", std::nullopt}}),
       .at = "2022-09-30",
       .state = RuleState::met,
       .value = 1},
      {.name = "done_task_in_progress",
       .rule = "rule r { require done(t_stuck) >= 1 by 2022-12-31 }",
       .world = World({}, {{"t_stuck", "in_progress", "2022-08-01", 0.5}}),
       .at = "2022-09-30",
       .state = RuleState::at_risk,
       .value = 0},
      // Done is reported after the evaluation date: not done yet.
      {.name = "done_task_reported_after_t",
       .rule = "rule r { require done(t_stuck) >= 1 by 2022-12-31 }",
       .world = World({}, {{"t_stuck", "done", "2022-10-15", std::nullopt}}),
       .at = "2022-09-30",
       .state = RuleState::at_risk,
       .value = 0},
      // Reported done, then reopened: the last report counts.
      {.name = "done_task_reopened",
       .rule = "rule r { require done(t_stuck) >= 1 by 2022-12-31 }",
       .world = World({}, {{"t_stuck", "done", "2022-08-15", std::nullopt},
                           {"t_stuck", "in_progress", "2022-09-01", std::nullopt}}),
       .at = "2022-09-30",
       .state = RuleState::at_risk,
       .value = 0},
      {.name = "between_inside",
       .rule = "rule r { require rate between 80% and 100% from 2023-01-01 }",
       .world = World({{"rate", "", "2023-01", 0.85}}),
       .at = "2023-02-01",
       .state = RuleState::ok,
       .value = 0.85},
      {.name = "between_at_the_bounds",
       .rule = "rule r { require rate between 80% and 100% from 2023-01-01 }",
       .world = World({{"rate", "", "2023-01", 0.8}, {"rate", "", "2023-02", 1.0}}),
       .at = "2023-03-01",
       .state = RuleState::ok,
       .value = 1.0},
      {.name = "between_below",
       .rule = "rule r { require rate between 80% and 100% from 2023-01-01 }",
       .world = World({{"rate", "", "2023-01", 0.79}}),
       .at = "2023-02-01",
       .state = RuleState::violated,
       .value = 0.79},
      {.name = "between_above",
       .rule = "rule r { require rate between 80% and 90% }",
       .world = World({{"rate", "", "2023-01", 0.95}}),
       .at = "2023-02-01",
       .state = RuleState::violated,
       .value = 0.95},
      {.name = "between_by_met",
       .rule = "rule r { require rate between 80% and 100% by 2022-12-31 }",
       .world = World({{"rate", "", "2022-Q3", 0.9}}),
       .at = "2022-09-30",
       .state = RuleState::met,
       .value = 0.9},
  };
}

INSTANTIATE_TEST_SUITE_P(EvalFunctionCases, EvalFunction, ::testing::ValuesIn(function_cases()),
                         param_name<FunctionCase>);

TEST(EvalFunctions, BetweenReportsBothBounds) {
  const Evaluation e(
      std::string(kPreamble) + "rule r { require rate between 80% and 100% from 2023-01-01 }",
      World({{"rate", "", "2023-01", 0.85}}), "2023-02-01");
  ASSERT_TRUE(e.ok());
  const RuleResult* r = e.rule("r");
  ASSERT_NE(r, nullptr);
  expect_figure("target", r->target, 0.8);
  expect_figure("upper", r->upper, 1.0);
  ASSERT_TRUE(r->deadline.has_value());
  EXPECT_EQ(*r->deadline, day("2023-01-01"));
}

TEST(EvalFunctions, ViolatedNamesTheFirstFailingDate) {
  const Evaluation e(std::string(kPreamble) + "rule r { require rate >= 50% from 2022-07-01 }",
                     World({{"rate", "", "2022-07-31", 0.4},
                            {"rate", "", "2022-08-31", 0.45},
                            {"rate", "", "2022-09-30", 0.6}}),
                     "2022-10-15");
  ASSERT_TRUE(e.ok());
  const RuleResult* r = e.rule("r");
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->state, RuleState::violated);
  ASSERT_TRUE(r->failed_on.has_value());
  EXPECT_EQ(*r->failed_on, day("2022-07-31"));
}

// ---------------------------------------------------------------------------------------
// Tasks and plans.

TEST(EvalTasks, DiamondEarliestFinishIsTheLongestPath) {
  const Evaluation e(R"(
task a { duration 10d }
task b { after a  duration 20d }
task c { after a  duration 5d }
task d { after b, c  duration 7d }
)",
                     World(), "2022-09-30");
  ASSERT_TRUE(e.ok());
  const Date t = day("2022-09-30");
  const auto finish = [&](const char* name) -> std::optional<Date> {
    const TaskResult* r = e.task(name);
    return r ? r->earliest_finish : std::nullopt;
  };
  EXPECT_EQ(finish("a"), t + std::chrono::days{10});
  EXPECT_EQ(finish("b"), t + std::chrono::days{30});
  EXPECT_EQ(finish("c"), t + std::chrono::days{15});
  EXPECT_EQ(finish("d"), t + std::chrono::days{37});
  const TaskResult* d = e.task("d");
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(e.task_name(d->critical), "b");
  EXPECT_EQ(d->state, TaskState::on_track);  // no due date
}

TEST(EvalTasks, ThousandTaskChain) {
  constexpr int kTasks = 1000;
  std::string text = "indicator rate { unit percent }\ntask t0 { duration 1d }\n";
  for (int i = 1; i < kTasks; ++i) {
    text +=
        "task t" + std::to_string(i) + " { after t" + std::to_string(i - 1) + "  duration 1d }\n";
  }
  // 500 days after 2022-01-01: the last task (1000 days) cannot finish in time.
  text += "rule r { require rate >= 50% by 2023-05-16  needs t999 }\n";
  const Evaluation e(text, World({{"rate", "", "2021-12", 0.3}}), "2022-01-01");
  ASSERT_TRUE(e.ok());
  ASSERT_EQ(e.results().tasks.size(), static_cast<std::size_t>(kTasks));
  const TaskResult* last = e.task("t999");
  ASSERT_NE(last, nullptr);
  ASSERT_TRUE(last->earliest_finish.has_value());
  EXPECT_EQ(*last->earliest_finish, day("2022-01-01") + std::chrono::days{kTasks});
  EXPECT_EQ(e.task_name(last->critical), "t998");
  const RuleResult* r = e.rule("r");
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->state, RuleState::blocked) << e.reason(*r);
  EXPECT_EQ(e.task_name(r->blocking_task), "t999");
  ASSERT_EQ(r->chain().size(), static_cast<std::size_t>(kTasks - 1));
  EXPECT_EQ(e.task_name(r->chain().front()), "t998");
  EXPECT_EQ(e.task_name(r->chain().back()), "t0");
}

struct TaskCase {
  std::string name;
  std::string tasks;  // rules text
  World world;
  std::string at;
  std::string task;
  TaskState state = TaskState::on_track;
  std::optional<int> finish_in_days;  // earliest finish − t
  std::string root_cause;             // for blocked
  std::vector<std::string> chain;

  TaskCase finishing_in(int days) const {
    TaskCase c = *this;
    c.finish_in_days = days;
    return c;
  }
  TaskCase caused_by(std::string root, std::vector<std::string> path) const {
    TaskCase c = *this;
    c.root_cause = std::move(root);
    c.chain = std::move(path);
    return c;
  }
};

TaskCase task_case(std::string name, std::string tasks, World world, std::string at,
                   std::string task, TaskState state) {
  TaskCase c;
  c.name = std::move(name);
  c.tasks = std::move(tasks);
  c.world = std::move(world);
  c.at = std::move(at);
  c.task = std::move(task);
  c.state = state;
  return c;
}

void PrintTo(const TaskCase& c, std::ostream* os) { *os << c.name; }

class EvalTask : public ::testing::TestWithParam<TaskCase> {};

TEST_P(EvalTask, StateAndEarliestFinish) {
  const TaskCase& c = GetParam();
  const Evaluation e(c.tasks, c.world, c.at);
  ASSERT_TRUE(e.ok());
  const TaskResult* r = e.task(c.task);
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(to_string(r->state), to_string(c.state)) << e.reason(*r);
  if (c.finish_in_days) {
    ASSERT_TRUE(r->earliest_finish.has_value());
    EXPECT_EQ((*r->earliest_finish - day(c.at)).count(), *c.finish_in_days);
  }
  if (c.state == TaskState::blocked) {
    EXPECT_EQ(e.task_name(r->root_cause), c.root_cause);
    EXPECT_EQ(e.task_names(r->chain), c.chain);
  }
}

std::vector<TaskCase> task_cases() {
  constexpr const char* kPair = R"(
task a { due 2022-06-30  duration 30d }
task b { after a  due 2022-12-31  duration 10d }
)";
  constexpr const char* kThree = R"(
task a { due 2022-08-31 }
task b { after a  due 2022-12-31 }
task c { after b  due 2022-12-31 }
)";
  return {
      task_case("done_on_time", kPair, World({}, {{"a", "done", "2022-06-30", std::nullopt}}),
                "2022-09-30", "a", TaskState::done),
      task_case("done_late", kPair, World({}, {{"a", "done", "2022-07-15", std::nullopt}}),
                "2022-09-30", "a", TaskState::done_late),
      task_case("done_beats_overdue", kPair,
                World({}, {{"a", "in_progress", "2022-05-01", 0.5},
                           {"a", "done", "2022-07-15", std::nullopt}}),
                "2022-09-30", "a", TaskState::done_late),
      task_case("cancelled", kPair, World({}, {{"a", "cancelled", "2022-05-01", std::nullopt}}),
                "2022-09-30", "a", TaskState::cancelled),
      task_case("overdue", kPair, World({}, {{"a", "in_progress", "2022-05-01", 0.5}}),
                "2022-07-01", "a", TaskState::overdue),
      // Weeks are 7 days.
      task_case("duration_in_weeks", "task a { due 2023-06-30  duration 2w }", World(),
                "2022-09-30", "a", TaskState::on_track)
          .finishing_in(14),
      // t = due is not past it.
      task_case("not_overdue_on_the_due_date", kPair,
                World({}, {{"a", "in_progress", "2022-05-01", std::nullopt}}), "2022-06-30", "a",
                TaskState::at_risk)
          .finishing_in(30),
      // Overdue comes before reported blocked.
      task_case("overdue_beats_reported_blocked", kPair,
                World({}, {{"a", "blocked", "2022-05-01", std::nullopt}}), "2022-07-01", "a",
                TaskState::overdue),
      // A cancelled predecessor does not delay: b takes its own 10 days from t.
      task_case("cancelled_predecessor_does_not_delay", kPair,
                World({}, {{"a", "cancelled", "2022-05-01", std::nullopt}}), "2022-06-01", "b",
                TaskState::on_track)
          .finishing_in(10),
      // A done predecessor does not delay either.
      task_case("done_predecessor_does_not_delay", kPair,
                World({}, {{"a", "done", "2022-05-20", std::nullopt}}), "2022-06-01", "b",
                TaskState::on_track)
          .finishing_in(10),
      // An unfinished predecessor does: a's 30 days, then b's 10.
      task_case("unfinished_predecessor_delays", kPair, World(), "2022-06-01", "b",
                TaskState::on_track)
          .finishing_in(40),
      task_case("progress_reduces_remaining_duration", "task a { due 2023-06-30  duration 100d }",
                World({}, {{"a", "in_progress", "2022-09-01", 0.4}}), "2022-09-30", "a",
                TaskState::on_track)
          .finishing_in(60),
      // The last report that gave a progress counts.
      task_case("progress_from_the_last_report", "task a { due 2023-06-30  duration 100d }",
                World({}, {{"a", "in_progress", "2022-08-01", 0.2},
                           {"a", "in_progress", "2022-09-01", 0.5}}),
                "2022-09-30", "a", TaskState::on_track)
          .finishing_in(50),
      task_case("progress_70_percent_leaves_30_days", "task a { due 2023-06-30  duration 100d }",
                World({}, {{"a", "in_progress", "2022-09-01", 0.7}}), "2022-09-30", "a",
                TaskState::on_track)
          .finishing_in(30),
      task_case("no_duration_finishes_now", "task a { due 2022-12-31 }", World(), "2022-09-30", "a",
                TaskState::on_track)
          .finishing_in(0),
      // Earliest finish after due: at_risk.
      task_case("at_risk_earliest_finish_after_due", "task a { due 2022-10-31  duration 60d }",
                World({}, {{"a", "not_started", "2022-09-01", std::nullopt}}), "2022-09-30", "a",
                TaskState::at_risk)
          .finishing_in(60),
      // Never reported: no_report once work should have begun, at `starts`...
      task_case("no_report_from_starts", "task a { starts 2022-10-01  due 2022-12-31 }", World(),
                "2022-10-01", "a", TaskState::no_report),
      task_case("not_no_report_before_starts", "task a { starts 2022-10-01  due 2022-12-31 }",
                World(), "2022-09-30", "a", TaskState::on_track),
      // ... `starts` as documents write it: a month stands for its first day.
      task_case("no_report_from_the_first_day_of_the_month_it_starts",
                "task a { starts tháng 12/2022  due Quý IV/2022 }", World(), "2022-12-01", "a",
                TaskState::no_report),
      task_case("not_no_report_the_day_before_that_month",
                "task a { starts tháng 12/2022  due Quý IV/2022 }", World(), "2022-11-30", "a",
                TaskState::on_track),
      // ... and without `starts`, at due − duration (2022-12-31 − 30d = 2022-12-01).
      task_case("no_report_from_due_minus_duration", "task a { due 2022-12-31  duration 30d }",
                World(), "2022-12-01", "a", TaskState::no_report),
      task_case("not_no_report_before_due_minus_duration",
                "task a { due 2022-12-31  duration 30d }", World(), "2022-11-30", "a",
                TaskState::on_track),
      // Without a duration, the work takes no time: no_report on the due date itself.
      task_case("no_report_on_the_due_date_without_duration", "task a { due 2022-12-31 }", World(),
                "2022-12-31", "a", TaskState::no_report),
      // `starts` comes before due − duration.
      task_case("starts_overrides_due_minus_duration",
                "task a { starts 2022-12-15  due 2022-12-31  duration 60d }", World(), "2022-12-01",
                "a", TaskState::at_risk),
      // Reported once, whatever the status, it is not no_report.
      task_case("reported_once_is_not_no_report", "task a { starts 2022-10-01  due 2022-12-31 }",
                World({}, {{"a", "not_started", "2022-09-19", std::nullopt}}), "2022-11-30", "a",
                TaskState::on_track),
      // A report after the evaluation date is not a report yet.
      task_case("a_report_after_t_does_not_count", "task a { starts 2022-10-01  due 2022-12-31 }",
                World({}, {{"a", "in_progress", "2022-12-01", std::nullopt}}), "2022-11-30", "a",
                TaskState::no_report),
      // A task without a due date has no date by which a report is due.
      task_case("no_due_date_is_never_no_report", "task a { duration 30d }", World(), "2030-01-01",
                "a", TaskState::on_track),
      // Precedence: overdue, then blocked, then no_report, then at_risk.
      task_case("overdue_beats_no_report", "task a { starts 2022-10-01  due 2022-12-31 }", World(),
                "2023-01-01", "a", TaskState::overdue),
      task_case("blocked_beats_no_report",
                "task a { due 2022-08-31 }\ntask b { after a  starts 2022-09-01  due 2022-12-31 }",
                World(), "2022-09-15", "b", TaskState::blocked)
          .caused_by("a", {"a"}),
      task_case("no_report_beats_at_risk", "task a { due 2022-10-31  duration 60d }", World(),
                "2022-09-30", "a", TaskState::no_report)
          .finishing_in(60),
      task_case("done_is_not_no_report", "task a { starts 2022-10-01  due 2022-12-31 }",
                World({}, {{"a", "done", "2022-10-15", std::nullopt}}), "2022-11-30", "a",
                TaskState::done),
      // `warn within`: at_risk inside the window before due when not done.
      task_case("warn_within_makes_at_risk_inside_the_window",
                "task a { due 2022-12-31  warn within 14d }",
                World({}, {{"a", "in_progress", "2022-12-01", std::nullopt}}), "2022-12-17", "a",
                TaskState::at_risk),
      task_case("warn_within_on_track_before_the_window",
                "task a { due 2022-12-31  warn within 14d }",
                World({}, {{"a", "in_progress", "2022-12-01", std::nullopt}}), "2022-12-16", "a",
                TaskState::on_track),
      task_case("warn_within_on_the_due_date", "task a { due 2022-12-31  warn within 2w }",
                World({}, {{"a", "in_progress", "2022-12-01", std::nullopt}}), "2022-12-31", "a",
                TaskState::at_risk),
      task_case("warn_within_done_is_done", "task a { due 2022-12-31  warn within 14d }",
                World({}, {{"a", "done", "2022-12-20", std::nullopt}}), "2022-12-25", "a",
                TaskState::done),
      task_case("warn_within_past_due_is_overdue", "task a { due 2022-12-31  warn within 14d }",
                World({}, {{"a", "in_progress", "2022-12-01", std::nullopt}}), "2023-01-01", "a",
                TaskState::overdue),
      task_case("no_report_beats_warn_within",
                "task a { starts 2022-12-01  due 2022-12-31  warn within 14d }", World(),
                "2022-12-20", "a", TaskState::no_report),
      // A reported-blocked task blocks its successors, naming it as the root cause.
      task_case("reported_blocked_task_is_its_own_root_cause", kThree,
                World({}, {{"a", "blocked", "2022-07-01", std::nullopt}}), "2022-07-15", "a",
                TaskState::blocked)
          .caused_by("a", {}),
      task_case("successor_of_reported_blocked_is_blocked", kThree,
                World({}, {{"a", "blocked", "2022-07-01", std::nullopt}}), "2022-07-15", "b",
                TaskState::blocked)
          .caused_by("a", {"a"}),
      task_case("second_successor_of_reported_blocked_is_blocked", kThree,
                World({}, {{"a", "blocked", "2022-07-01", std::nullopt}}), "2022-07-15", "c",
                TaskState::blocked)
          .caused_by("a", {"b", "a"}),
      // A later report supersedes "blocked".
      task_case("unblocked_by_a_later_report", kThree,
                World({}, {{"a", "blocked", "2022-07-01", std::nullopt},
                           {"a", "in_progress", "2022-07-10", std::nullopt}}),
                "2022-07-15", "b", TaskState::on_track),
      task_case("blocked_report_after_t_ignored", kThree,
                World({}, {{"a", "blocked", "2022-07-20", std::nullopt}}), "2022-07-15", "a",
                TaskState::on_track),
      // An overdue predecessor likewise.
      task_case("successor_of_overdue_is_blocked", kThree, World(), "2022-09-15", "b",
                TaskState::blocked)
          .caused_by("a", {"a"}),
      task_case("second_successor_of_overdue_is_blocked", kThree, World(), "2022-09-15", "c",
                TaskState::blocked)
          .caused_by("a", {"b", "a"}),
      // Once a is done (late), its successors are no longer blocked.
      task_case("successor_of_done_late_is_not_blocked", kThree,
                World({}, {{"a", "done", "2022-09-10", std::nullopt}}), "2022-09-15", "c",
                TaskState::on_track),
  };
}

INSTANTIATE_TEST_SUITE_P(EvalTaskCases, EvalTask, ::testing::ValuesIn(task_cases()),
                         param_name<TaskCase>);

TEST(EvalTasks, RuleNeedingABlockedChainNamesRootCauseAndChain) {
  const Evaluation e(
      R"(
indicator rate { unit percent }
task a { due 2022-12-31 }
task b { after a  due 2022-12-31 }
task c { after b  due 2022-12-31 }
rule r { require rate >= 50% by 2022-12-31  needs c }
)",
      World({{"rate", "", "2022-Q2", 0.3}}, {{"a", "blocked", "2022-07-01", std::nullopt}}),
      "2022-07-15");
  ASSERT_TRUE(e.ok());
  const RuleResult* r = e.rule("r");
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->state, RuleState::blocked);
  EXPECT_EQ(r->severity, Severity::warning);
  EXPECT_EQ(e.task_name(r->blocking_task), "c");
  EXPECT_EQ(e.task_names(r->chain()), (std::vector<std::string>{"b", "a"}));
  // The explanation names the root cause.
  EXPECT_NE(e.reason(*r).find("blocked by a"), std::string::npos) << e.reason(*r);
}

// Issue #15: what few results carry (chain, coverage, used, notes) is kept behind one
// pointer. A copy carries its own; a result that carries nothing of it allocates nothing.
TEST(EvalTasks, ACopiedResultKeepsItsChainAndAPlainResultCarriesNothingMore) {
  const Evaluation e(
      R"(
indicator rate { unit percent }
task a { due 2022-12-31 }
task b { after a  due 2022-12-31 }
rule r { require rate >= 50% by 2022-12-31  needs b }
rule plain { require rate >= 10% by 2022-12-31 }
)",
      World({{"rate", "", "2022-Q2", 0.3}}, {{"a", "blocked", "2022-07-01", std::nullopt}}),
      "2022-07-15", {.keep_used = false});  // as the service evaluates
  ASSERT_TRUE(e.ok());
  const RuleResult* r = e.rule("r");
  ASSERT_NE(r, nullptr);
  ASSERT_EQ(e.task_names(r->chain()), (std::vector<std::string>{"a"}));
  RuleResult copy = *r;
  ASSERT_NE(copy.more.get(), nullptr);
  EXPECT_NE(copy.more.get(), r->more.get());
  copy.more.make().chain.clear();
  EXPECT_TRUE(copy.chain().empty());
  EXPECT_EQ(e.task_names(r->chain()), (std::vector<std::string>{"a"}));
  RuleResult assigned;
  assigned = *r;
  EXPECT_EQ(e.task_names(assigned.chain()), (std::vector<std::string>{"a"}));

  const RuleResult* plain = e.rule("plain");
  ASSERT_NE(plain, nullptr);
  EXPECT_EQ(plain->state, RuleState::met);
  EXPECT_EQ(plain->more.get(), nullptr);
  EXPECT_TRUE(plain->chain().empty());
  EXPECT_EQ(plain->coverage(), nullptr);
  EXPECT_TRUE(plain->used().empty());
  EXPECT_EQ(plain->noted()[0], nullptr);
}

TEST(EvalTasks, BlockedTransitivelyThroughAnOverduePredecessor) {
  const Evaluation e(R"(
indicator rate { unit percent }
task a { due 2022-08-31 }
task b { after a  due 2022-12-31 }
task c { after b  due 2022-12-31 }
rule r { require rate >= 50% by 2022-12-31  needs c }
)",
                     World({{"rate", "", "2022-Q3", 0.3}}), "2022-09-30");
  ASSERT_TRUE(e.ok());
  const RuleResult* r = e.rule("r");
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->state, RuleState::blocked) << e.reason(*r);
  EXPECT_EQ(e.task_name(r->blocking_task), "c");
  EXPECT_EQ(e.task_names(r->chain()), (std::vector<std::string>{"b", "a"}));
  const TaskResult* c = e.task("c");
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(e.task_name(c->root_cause), "a");
}

TEST(EvalPlans, PlanRollsUpTheWorstOfItsTasksAndImplementingPlans) {
  const Evaluation e(R"(
plan NQ { title "Nghị quyết" }
plan KH1 { implements NQ }
plan KH2 { implements NQ }
plan KH3 { implements KH2 }
plan EMPTY { title "Không có nhiệm vụ" }
task nq_done { part_of NQ  due 2022-06-30 }
task kh1_ok { part_of KH1  due 2022-12-31  duration 30d }
task kh1_risk { part_of KH1  due 2022-10-15  duration 30d }
task kh2_done { part_of KH2  due 2022-12-31 }
task kh3_late { part_of KH3  due 2022-08-31 }
)",
                     World({}, {{"nq_done", "done", "2022-06-01", std::nullopt},
                                {"kh1_risk", "in_progress", "2022-09-01", std::nullopt},
                                {"kh2_done", "done", "2022-09-01", std::nullopt}}),
                     "2022-09-30");
  ASSERT_TRUE(e.ok());
  const auto state = [&](const char* name) -> std::string {
    const PlanResult* p = e.plan(name);
    if (!p) return "(missing)";
    return p->state ? std::string(to_string(*p->state)) : std::string("(none)");
  };
  EXPECT_EQ(state("KH1"), "at_risk");  // worst of on_track and at_risk
  EXPECT_EQ(state("KH3"), "overdue");
  EXPECT_EQ(state("KH2"), "overdue");  // its own task is done; KH3 implements it
  EXPECT_EQ(state("NQ"), "overdue");   // through KH2 from KH3
  EXPECT_EQ(state("EMPTY"), "(none)");
  const PlanResult* nq = e.plan("NQ");
  ASSERT_NE(nq, nullptr);
  EXPECT_EQ(e.rules().plans[static_cast<std::size_t>(nq->plan)].name, "NQ");
}

// docs/evaluation.md: overdue > blocked > at_risk > on_track > done_late > done > cancelled.
TEST(EvalPlans, RollUpOrderAmongFinishedTasks) {
  const Evaluation e(R"(
plan A { title "A" }
plan B { title "B" }
plan C { title "C" }
task a_done { part_of A  due 2022-06-30 }
task a_late { part_of A  due 2022-06-30 }
task b_done { part_of B  due 2022-06-30 }
task b_cancelled { part_of B  due 2022-06-30 }
task c_done { part_of C  due 2022-06-30 }
task c_open { part_of C  due 2022-12-31 }
)",
                     World({}, {{"a_done", "done", "2022-06-01", std::nullopt},
                                {"a_late", "done", "2022-07-01", std::nullopt},
                                {"b_done", "done", "2022-06-01", std::nullopt},
                                {"b_cancelled", "cancelled", "2022-06-01", std::nullopt},
                                {"c_done", "done", "2022-07-01", std::nullopt}}),
                     "2022-09-30");
  ASSERT_TRUE(e.ok());
  const PlanResult* a = e.plan("A");
  const PlanResult* b = e.plan("B");
  const PlanResult* c = e.plan("C");
  ASSERT_TRUE(a && a->state && b && b->state && c && c->state);
  EXPECT_EQ(*a->state, TaskState::done_late);
  EXPECT_EQ(*b->state, TaskState::done);
  EXPECT_EQ(*c->state, TaskState::on_track);
}

TEST(EvalPlans, BlockedIsWorseThanAtRiskAndBetterThanOverdue) {
  const Evaluation e(R"(
plan P { title "P" }
plan Q { title "Q" }
task p_blocked { part_of P  due 2022-12-31 }
task p_risk { part_of P  due 2022-10-15  duration 30d }
task q_blocked { part_of Q  due 2022-12-31 }
task q_late { part_of Q  due 2022-08-31 }
)",
                     World({}, {{"p_blocked", "blocked", "2022-09-01", std::nullopt},
                                {"p_risk", "in_progress", "2022-09-01", std::nullopt},
                                {"q_blocked", "blocked", "2022-09-01", std::nullopt}}),
                     "2022-09-30");
  ASSERT_TRUE(e.ok());
  const PlanResult* p = e.plan("P");
  const PlanResult* q = e.plan("Q");
  ASSERT_NE(p, nullptr);
  ASSERT_NE(q, nullptr);
  ASSERT_TRUE(p->state.has_value());
  ASSERT_TRUE(q->state.has_value());
  EXPECT_EQ(*p->state, TaskState::blocked);
  EXPECT_EQ(*q->state, TaskState::overdue);
}

// Not reported sits between at_risk and blocked: a plan with a task nobody reports on is
// worse than one that is merely late on its trend, and better than one that is stuck.
TEST(EvalPlans, NoReportIsWorseThanAtRiskAndBetterThanBlocked) {
  const Evaluation e(R"(
plan P { title "P" }
plan Q { title "Q" }
task p_silent { part_of P  starts 2022-09-01  due 2022-12-31 }
task p_risk { part_of P  due 2022-10-15  duration 30d }
task q_silent { part_of Q  starts 2022-09-01  due 2022-12-31 }
task q_blocked { part_of Q  due 2022-12-31 }
)",
                     World({}, {{"p_risk", "in_progress", "2022-09-01", std::nullopt},
                                {"q_blocked", "blocked", "2022-09-01", std::nullopt}}),
                     "2022-09-30");
  ASSERT_TRUE(e.ok());
  const PlanResult* p = e.plan("P");
  const PlanResult* q = e.plan("Q");
  ASSERT_TRUE(p && p->state && q && q->state);
  EXPECT_EQ(*p->state, TaskState::no_report);
  EXPECT_EQ(*q->state, TaskState::blocked);
  EXPECT_LT(badness(TaskState::at_risk), badness(TaskState::no_report));
  EXPECT_LT(badness(TaskState::no_report), badness(TaskState::blocked));
}

// The reason says from when a report was expected, and why from then.
TEST(EvalTasks, NoReportSaysFromWhenAReportWasExpected) {
  const Evaluation e(R"(
task a { starts 2022-10-01  due 2022-12-31 }
task b { due 2022-12-31  duration 30d }
)",
                     World(), "2022-12-15");
  ASSERT_TRUE(e.ok());
  const TaskResult* a = e.task("a");
  const TaskResult* b = e.task("b");
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->state, TaskState::no_report);
  EXPECT_EQ(a->expected_from, day("2022-10-01"));
  EXPECT_EQ(e.reason(*a), "no status reported; it starts 2022-10-01");
  EXPECT_EQ(b->state, TaskState::no_report);
  EXPECT_EQ(b->expected_from, day("2022-12-01"));
  EXPECT_EQ(e.reason(*b),
            "no status reported; to finish by 2022-12-31 it had to start by 2022-12-01 (30d of "
            "work)");
  EXPECT_FALSE(a->reported.has_value());
}

// The note of the last report on or before the date is the task's; a later report without
// a note leaves none (what held the task back may be over).
TEST(EvalTasks, TheNoteIsTheLastReportsNote) {
  const std::string rules = "task a { due 2022-12-31 }\n";
  store::Snapshot snapshot;
  snapshot.add_unit({"root", "root", "", model::kNone, -1, {}});
  dsl::Program program = dsl::load_text("notes.rules", rules);
  const auto checked = dsl::check(program);
  ASSERT_TRUE(checked.has_value());
  const std::int32_t first = snapshot.intern("vướng thủ tục đầu tư");
  const std::int32_t second = snapshot.intern("đã tháo gỡ, đang triển khai");
  snapshot.add_status(0, {day("2022-09-19"), model::TaskStatus::in_progress, std::nullopt, first});
  snapshot.add_status(0, {day("2022-10-19"), model::TaskStatus::in_progress, 0.5, second});
  snapshot.add_status(0, {day("2022-11-19"), model::TaskStatus::in_progress, 0.6, -1});
  snapshot.finish(checked->tasks.size());
  const auto note_at = [&](std::string_view at) {
    return evaluate(*checked, snapshot, day(at)).tasks.at(0).note;
  };
  EXPECT_EQ(note_at("2022-09-01"), "");
  EXPECT_EQ(note_at("2022-09-30"), "vướng thủ tục đầu tư");
  EXPECT_EQ(note_at("2022-10-31"), "đã tháo gỡ, đang triển khai");
  EXPECT_EQ(note_at("2022-11-30"), "");
}

// State names read back as the states they name (the store and the API keep the names),
// and nothing else reads as a state.
TEST(EvalStateNames, ParseBackEveryState) {
  for (int i = 0; i <= static_cast<int>(RuleState::error); ++i) {
    const auto state = static_cast<RuleState>(i);
    EXPECT_EQ(parse_rule_state(to_string(state)), state) << to_string(state);
  }
  for (int i = 0; i <= static_cast<int>(TaskState::on_track); ++i) {
    const auto state = static_cast<TaskState>(i);
    EXPECT_EQ(parse_task_state(to_string(state)), state) << to_string(state);
  }
  EXPECT_FALSE(parse_rule_state("overdue"));
  EXPECT_FALSE(parse_task_state("missed"));
  EXPECT_FALSE(parse_task_state(""));
  EXPECT_FALSE(parse_task_state("Overdue"));
}

// ---------------------------------------------------------------------------------------
// Amended targets (issue #16): the version in force on the date decides.

constexpr const char* kAmendedRules = R"(
indicator rate { unit percent }
plan KH { code "177/KH-UBND"  issued 05/8/2022 }
plan QD { code "2345/QĐ-UBND"  issued 10/10/2022 }
rule r {
  require rate >= 50% by 2022-12-31
  basis KH
  warn within 30d
  amend from 15/10/2022 {
    require rate >= 30% by 31/12/2022
    basis QD
  }
  amend from 2023-01-01 {
    require rate >= 40% from 2023-01-01
  }
}
)";

TEST(EvalAmend, TheVersionInForceOnTheDateDecides) {
  const World world({{"rate", "", "2022-Q3", 0.35}, {"rate", "", "2023-01", 0.38}});
  struct Case {
    const char* at;
    std::int32_t version;
    RuleState state;
    double target;
  };
  for (const Case& c :
       {Case{"2022-10-14", 0, RuleState::at_risk, 0.5}, Case{"2022-10-15", 1, RuleState::met, 0.3},
        Case{"2022-12-31", 1, RuleState::met, 0.3},
        Case{"2023-02-01", 2, RuleState::violated, 0.4}}) {
    SCOPED_TRACE(c.at);
    const Evaluation e(kAmendedRules, world, c.at);
    ASSERT_TRUE(e.ok());
    const RuleResult* r = e.rule("r");
    ASSERT_NE(r, nullptr);
    EXPECT_EQ(r->version, c.version);
    EXPECT_EQ(to_string(r->state), to_string(c.state)) << e.reason(*r);
    expect_figure("target", r->target, c.target);
    // The deadline is the version's: the last's is a start.
    EXPECT_EQ(model::to_string(*r->deadline), c.version == 2 ? "2023-01-01" : "2022-12-31");
  }
}

TEST(EvalAmend, TheTargetsHistoryIsWrittenAsTheDocumentsWriteIt) {
  const Evaluation e(kAmendedRules, World({{"rate", "", "2022-Q3", 0.35}}), "2022-10-15");
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(present::target_history(e.rules(), 0),
            "50% theo 177/KH-UBND; điều chỉnh còn 30% từ 15/10/2022 theo 2345/QĐ-UBND; "
            "điều chỉnh lên 40% (từ 01/01/2023) từ 01/01/2023 theo 177/KH-UBND");
  EXPECT_EQ(present::target_history(e.rules(), 0, model::Language::en),
            "50% under 177/KH-UBND; amended to 30% from 2022-10-15 under 2345/QĐ-UBND; "
            "amended to 40% (from 2023-01-01) from 2023-01-01 under 177/KH-UBND");
  EXPECT_EQ(present::target_change(e.rules(), 0, 0, 1),
            "50% → 30% từ 15/10/2022 theo 2345/QĐ-UBND");
  EXPECT_EQ(present::target_change(e.rules(), 0, 1, 0), "30% → 50% theo 177/KH-UBND");
  // The JSON says which version applied.
  const nlohmann::json row =
      nlohmann::json::parse(present::to_json(e.rules(), e.snapshot(), e.results(), {}))["rules"][0];
  EXPECT_EQ(row["version"]["index"], 1);
  EXPECT_EQ(row["version"]["in_force_from"], "2022-10-15");
  EXPECT_EQ(row["basis"], nlohmann::json({"QD"}));
}

// A target's course for its chart (issue #19): the left-hand side at every observation
// date up to the evaluation date, the target of each version from the date it is in
// force, and the least-squares line the projection follows.
TEST(EvalCourse, GivesTheSeriesTheTargetStepsAndTheFit) {
  // Below the amended 30% on the date, so that the verdict rests on the trend.
  const World world({{"rate", "", "2022-03", 0.10},
                     {"rate", "", "2022-06", 0.15},
                     {"rate", "", "2022-09", 0.20},
                     {"rate", "", "2022-10", 0.25}});
  const Evaluation e(kAmendedRules, world, "2022-11-05");
  ASSERT_TRUE(e.ok());
  const auto course = target_course(e.rules(), e.snapshot(), 0, 0, day("2022-11-05"));
  ASSERT_TRUE(course.has_value());
  // The verdict is the evaluator's: the same state as the full evaluation's.
  EXPECT_EQ(course->result.state, e.rule("r")->state);
  ASSERT_EQ(course->points.size(), 4u);
  EXPECT_EQ(model::to_string(course->points.front().date), "2022-03-31");
  EXPECT_EQ(model::to_string(course->points.back().date), "2022-10-31");
  EXPECT_NEAR(course->points[1].value, 0.15, kTolerance);
  EXPECT_FALSE(course->points[1].estimate);
  // Three versions: the first from the series' start, then each amendment's date.
  ASSERT_EQ(course->targets.size(), 3u);
  EXPECT_EQ(model::to_string(course->targets[0].from), "2022-03-31");
  EXPECT_NEAR(*course->targets[0].target, 0.50, kTolerance);
  EXPECT_EQ(model::to_string(course->targets[1].from), "2022-10-15");
  EXPECT_NEAR(*course->targets[1].target, 0.30, kTolerance);
  EXPECT_EQ(model::to_string(*course->targets[1].deadline), "2022-12-31");
  EXPECT_EQ(model::to_string(course->targets[2].from), "2023-01-01");
  // The fit starts at the first trend point and reaches the projection at the deadline.
  const auto& trend = course->result.trend_points();
  ASSERT_GE(trend.size(), 2u);
  ASSERT_TRUE(course->fit_from && course->fit_from_value);
  EXPECT_EQ(*course->fit_from, trend.front().first);
  const double days = days_between(*course->fit_from, *course->result.deadline);
  EXPECT_NEAR(*course->fit_from_value + *course->result.rate_observed / kDaysPerMonth * days,
              *course->result.projected, 1e-9);
  // At most `max_points`, the latest kept.
  const auto two = target_course(e.rules(), e.snapshot(), 0, 0, day("2022-11-05"), 2);
  ASSERT_TRUE(two.has_value());
  ASSERT_EQ(two->points.size(), 2u);
  EXPECT_EQ(model::to_string(two->points.front().date), "2022-09-30");
  // Before the date, only what was observed by then.
  const auto earlier = target_course(e.rules(), e.snapshot(), 0, 0, day("2022-07-15"));
  ASSERT_TRUE(earlier.has_value());
  EXPECT_EQ(earlier->points.size(), 2u);
  // No such rule or unit: none.
  EXPECT_FALSE(target_course(e.rules(), e.snapshot(), 7, 0, day("2022-11-05")));
  EXPECT_FALSE(target_course(e.rules(), e.snapshot(), 0, 5, day("2022-11-05")));
}

}  // namespace
}  // namespace tiendo::eval

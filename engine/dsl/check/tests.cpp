// Test blocks: the units a test declares (a tree of them), then its lines — the date it
// evaluates on, the observations and statuses it feeds, the states it expects.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "dsl/check/context.hpp"
#include "util/text.hpp"

namespace tiendo::dsl::checking {

namespace {

class TestChecker {
 public:
  TestChecker(Context& context, const ast::TestBlock& test)
      : c_(context), rules_(context.rules), test_(test) {}

  model::TestCase run() {
    out_.name = test_.name.value;
    out_.source = c_.source_ref(test_.name);
    if (!c_.test_names.insert(out_.name).second) {
      error(Code::duplicate_declaration, test_.name,
            fmt::format("there are two tests named \"{}\"", out_.name));
    }
    // Units first, so that observations may name a unit declared further down.
    declare_units();
    check_parents_known();
    if (out_.units.empty()) out_.units.push_back({"root", kNone, "root", "", {}});
    for (const model::TestUnit& unit : out_.units) {
      by_id_[unit.id] = &unit;
      if (unit.parent.empty()) roots_.push_back(unit.id);
    }
    check_no_cycle();
    check_level_order();
    if (roots_.empty()) {
      error(Code::invalid_value, test_.name,
            fmt::format("test \"{}\" has no root unit: every unit has a parent", out_.name));
    }
    read_lines();
    if (!at_line_) {
      error(Code::missing_clause, test_.name,
            fmt::format("test \"{}\" has no `at` date to evaluate on", out_.name));
    }
    return std::move(out_);
  }

 private:
  Diagnostic& error(Code code, const ast::Node& node, std::string message) {
    return c_.error(code, node, std::move(message));
  }

  // -------------------------------------------------------------------------------------
  // The units.

  // Each `unit` line: an id not taken, a level, labels.
  void declare_units() {
    for (const ast::TestItem& item : test_.items) {
      const auto* unit = boost::get<ast::TestUnit>(&item.get());
      if (!unit) continue;
      if (is_reserved(unit->id.text)) {
        error(Code::reserved_name, unit->id,
              fmt::format("'{}' is a reserved word and cannot name a unit", unit->id.text));
        continue;
      }
      if (const auto [it, inserted] = units_.emplace(unit->id.text, &unit->id); !inserted) {
        Diagnostic& d =
            error(Code::duplicate_declaration, unit->id,
                  fmt::format("unit '{}' is declared twice in this test", unit->id.text));
        Context::note(d, Context::at(*it->second), "first declared here");
        continue;
      }
      model::TestUnit test_unit;
      test_unit.id = unit->id.text;
      test_unit.title = unit->title.value;
      test_unit.level = resolve(c_, unit->level, "level");
      if (unit->parent) test_unit.parent = unit->parent->text;
      for (const ast::StringLit& label : unit->labels) {
        if (label.value.empty() || label.value.find(';') != std::string::npos) {
          error(Code::invalid_value, label, "a label is a non-empty word without ';'");
          continue;
        }
        test_unit.labels.push_back(label.value);
      }
      out_.units.push_back(std::move(test_unit));
    }
    for (const auto& [id, name] : units_) unit_ids_.push_back(id);
  }

  // The `unit` line that declares `id` (the last one, if twice).
  const ast::TestUnit* node_of(const std::string& id) const {
    const ast::TestUnit* node = nullptr;
    for (const ast::TestItem& item : test_.items) {
      const auto* candidate = boost::get<ast::TestUnit>(&item.get());
      if (candidate && candidate->id.text == id) node = candidate;
    }
    return node;
  }

  // Every parent is a unit of the test.
  void check_parents_known() {
    for (const model::TestUnit& unit : out_.units) {
      if (!unit.parent.empty() && !units_.contains(unit.parent)) {
        const ast::TestUnit* node = node_of(unit.id);
        std::string message = fmt::format("undefined unit '{}' in this test", unit.parent);
        if (auto suggestion = util::closest_match(unit.parent, unit_ids_)) {
          message += fmt::format("; did you mean '{}'?", *suggestion);
        }
        error(Code::undefined_name, *node->parent, std::move(message));
      }
    }
  }

  // No unit is its own ancestor (reported once).
  void check_no_cycle() {
    bool cyclic = false;
    for (const model::TestUnit& unit : out_.units) {
      std::set<std::string> seen{unit.id};
      for (auto p = by_id_.find(unit.parent); p != by_id_.end();
           p = by_id_.find(p->second->parent)) {
        if (!seen.insert(p->second->id).second) {
          if (!cyclic) {
            error(Code::level_order, *node_of(unit.id)->parent,
                  fmt::format("unit '{}' is its own ancestor through its parents", unit.id));
          }
          cyclic = true;
          break;
        }
      }
    }
  }

  // A unit stands below its parent: in one chain its level is lower. Across chains (an
  // agency inside a province) any parent will do.
  void check_level_order() {
    for (const model::TestUnit& unit : out_.units) {
      const auto parent = by_id_.find(unit.parent);
      if (parent == by_id_.end() || unit.level == kNone || parent->second->level == kNone) {
        continue;
      }
      const model::Level& level = rules_.levels[unit.level];
      const model::Level& above = rules_.levels[parent->second->level];
      if (level.chain == above.chain && above.depth >= level.depth) {
        const ast::TestUnit* node = node_of(unit.id);
        error(Code::level_order, *node->parent,
              fmt::format("unit '{}' ({}) cannot be inside '{}' ({}): a parent's level is above "
                          "its children's",
                          unit.id, rules_.levels[unit.level].name, unit.parent,
                          rules_.levels[parent->second->level].name));
      }
    }
  }

  // An optional leading unit name of observe/expect, resolved: without one, the root
  // (when there is one root).
  std::string unit_of(const ast::Name* name, const ast::Node& line) {
    if (name) {
      if (units_.contains(name->text) || (units_.empty() && name->text == "root")) {
        return name->text;
      }
      std::string message = fmt::format("undefined unit '{}' in this test", name->text);
      if (auto suggestion = util::closest_match(name->text, unit_ids_)) {
        message += fmt::format("; did you mean '{}'?", *suggestion);
      }
      error(Code::undefined_name, *name, std::move(message));
      return {};
    }
    if (roots_.size() != 1) {
      if (roots_.size() > 1) {
        error(Code::invalid_value, line,
              "the test declares several root units; name the unit on this line");
      }
      return {};
    }
    return roots_.front();
  }

  // -------------------------------------------------------------------------------------
  // The lines.

  void read_lines() {
    for (const ast::TestItem& item : test_.items) {
      const auto& variant = item.get();
      if (const auto* at_item = boost::get<ast::TestAt>(&variant)) {
        read_at(*at_item);
      } else if (const auto* observe = boost::get<ast::TestObserve>(&variant)) {
        read_observe(*observe);
      } else if (const auto* status = boost::get<ast::TestStatus>(&variant)) {
        read_status(*status);
      } else if (const auto* expect = boost::get<ast::TestExpect>(&variant)) {
        read_expect(*expect);
      } else if (const auto* unknown = boost::get<ast::TestUnknown>(&variant)) {
        report_unknown_line(*unknown);
      }
    }
  }

  // `at DATE`, once: the test evaluates on the period's last day.
  void read_at(const ast::TestAt& at_item) {
    if (at_line_) {
      Diagnostic& d = error(Code::duplicate_clause, at_item, "a test has one `at` date");
      Context::note(d, Context::at(*at_line_), "first given here");
      return;
    }
    at_line_ = &at_item;
    if (auto period = period_of(c_, at_item.date)) out_.at = period->last;
  }

  // `observe [UNIT] INDICATOR PERIOD VALUE`
  void read_observe(const ast::TestObserve& observe) {
    model::TestObservation observation;
    const ast::Name* unit_name = observe.names.size() == 2 ? &observe.names[0] : nullptr;
    observation.unit = unit_of(unit_name, observe);
    observation.indicator = resolve(c_, observe.names.back(), "indicator");
    if (auto period = period_of(c_, observe.period)) observation.period = *period;
    if (observation.indicator != kNone) {
      const model::Indicator& indicator = rules_.indicators[observation.indicator];
      if (auto value = test_value(observe.value, indicator)) {
        observation.value = *value;
        check_in_range(observe.value, indicator);
      }
    }
    out_.observations.push_back(std::move(observation));
  }

  // `status TASK STATUS DATE [PROGRESS]`
  void read_status(const ast::TestStatus& status) {
    model::TestStatus test_status;
    test_status.task = resolve(c_, status.task, "task");
    if (auto parsed = model::parse_task_status(status.status.text)) {
      test_status.status = *parsed;
    } else {
      error(Code::invalid_value, status.status,
            fmt::format("unknown task status '{}'; use not_started, in_progress, done, "
                        "blocked or cancelled",
                        status.status.text));
    }
    if (auto period = period_of(c_, status.date)) test_status.date = period->last;
    if (status.progress) {
      if (const auto progress = number_value(c_, *status.progress)) {
        if (!status.progress->percent || *progress > 1) {
          error(Code::invalid_value, *status.progress, "progress is a percent from 0% to 100%");
        } else {
          test_status.progress = *progress;
        }
      }
    }
    out_.statuses.push_back(test_status);
  }

  // `expect [UNIT] RULE-OR-TASK STATE`
  void read_expect(const ast::TestExpect& expect) {
    model::TestExpectation expectation;
    expectation.source = c_.source_ref(expect);
    const ast::Name* unit_name = expect.names.size() == 3 ? &expect.names[0] : nullptr;
    expectation.unit = unit_of(unit_name, expect);
    const ast::Name& target = expect.names[expect.names.size() - 2];
    const ast::Name& state = expect.names.back();
    expectation.state = state.text;
    const auto declared = c_.declared.find(target.text);
    const bool is_task = declared != c_.declared.end() && declared->second.kind == "task";
    if (is_task) {
      expectation.task = declared->second.index;
    } else if (declared != c_.declared.end() && declared->second.kind == "rule") {
      expectation.rule = declared->second.index;
    } else {
      std::vector<std::string> candidates = c_.names_by_kind["rule"];
      candidates.insert(candidates.end(), c_.names_by_kind["task"].begin(),
                        c_.names_by_kind["task"].end());
      std::string message = fmt::format("undefined rule or task '{}'", target.text);
      if (auto suggestion = util::closest_match(target.text, candidates)) {
        message += fmt::format("; did you mean '{}'?", *suggestion);
      }
      error(Code::undefined_name, target, std::move(message));
    }
    const auto& states = is_task ? model::task_state_names() : model::rule_state_names();
    if (std::find(states.begin(), states.end(), state.text) == states.end()) {
      std::string message =
          fmt::format("unknown {} state '{}'", is_task ? "task" : "rule", state.text);
      if (auto suggestion = util::closest_match(state.text, states)) {
        message += fmt::format("; did you mean '{}'?", *suggestion);
      }
      error(Code::invalid_value, state, std::move(message));
    }
    out_.expectations.push_back(std::move(expectation));
  }

  void report_unknown_line(const ast::TestUnknown& unknown) {
    static const std::vector<std::string> kTestLines = {"unit", "at", "observe", "status",
                                                        "expect"};
    std::string message = fmt::format("unknown test line '{}'", unknown.keyword);
    if (auto suggestion = util::closest_match(unknown.keyword, kTestLines)) {
      message += fmt::format("; did you mean '{}'?", *suggestion);
    } else {
      message += "; a test has unit, at, observe, status and expect lines";
    }
    error(Code::unknown_clause, unknown, std::move(message));
  }

  // A test observation's value as stored: percents as fractions.
  std::optional<double> test_value(const ast::NumberLit& literal,
                                   const model::Indicator& indicator) {
    const auto value = number_value(c_, literal);
    if (!value) return std::nullopt;
    if (indicator.unit == ValueUnit::percent && !literal.percent) {
      error(Code::unit_mismatch, literal,
            fmt::format("'{}' is a percent indicator; write {}%", indicator.name, literal.text));
      return std::nullopt;
    }
    if (indicator.unit != ValueUnit::percent && literal.percent) {
      error(Code::unit_mismatch, literal,
            fmt::format("'{}' is {}, not a percent; write {}", indicator.name,
                        unit_phrase(indicator.unit), literal.text));
      return std::nullopt;
    }
    return value;
  }

  // A test observes only what ingest would take: a value inside the indicator's range.
  void check_in_range(const ast::NumberLit& literal, const model::Indicator& indicator) {
    const auto value = literal_value(literal);
    if (!value) return;
    const std::string written = literal.text + (literal.percent ? "%" : "");
    if (indicator.unit == ValueUnit::count && *value != std::floor(*value)) {
      error(Code::invalid_value, literal,
            fmt::format("{} is not a whole number, and '{}' is a count", written, indicator.name));
      return;
    }
    if (indicator.range().contains(*value)) return;
    if (indicator.declared_range) {
      error(Code::invalid_value, literal,
            fmt::format("{} is outside the range of '{}', {}; ingest would refuse it", written,
                        indicator.name, indicator.declared_range->text));
      return;
    }
    error(Code::invalid_value, literal,
          fmt::format("{} is outside the range of '{}', {} as for every {}; ingest would refuse "
                      "it (a `range` clause in the indicator allows others)",
                      written, indicator.name,
                      indicator.unit == ValueUnit::percent ? "0% .. 100%" : "0 or more",
                      to_string(indicator.unit)));
  }

  Context& c_;
  model::RuleSet& rules_;
  const ast::TestBlock& test_;
  model::TestCase out_;
  std::map<std::string, const ast::Name*> units_;  // the declared units by id
  std::vector<std::string> unit_ids_;
  std::vector<std::string> roots_;
  std::map<std::string, const model::TestUnit*> by_id_;
  const ast::TestAt* at_line_ = nullptr;
};

}  // namespace

void check_test(Context& c, const ast::TestBlock& test) {
  c.rules.tests.push_back(TestChecker(c, test).run());
}

}  // namespace tiendo::dsl::checking

// Expressions: a rule's `require` compiled into the rule set's expression arena, each
// node typed with its unit (percent, count, number), and the functions' arguments
// checked against the rule's scope.
#include <fmt/format.h>

#include "dsl/check/context.hpp"
#include "util/text.hpp"

namespace tiendo::dsl::checking {

namespace {

namespace x3 = boost::spirit::x3;

const std::vector<std::string> kFunctions = {"latest", "sum",   "avg",   "min",    "max",
                                             "count",  "share", "ratio", "change", "done"};

// A typed, compiled expression.
struct Typed {
  model::ExprId id = -1;
  ValueUnit unit = ValueUnit::number;
  const ast::NumberLit* bare_literal = nullptr;  // a plain number literal (no %), for hints
  bool ok = false;
};

// What an expression is compiled against: the rule's scope and what it reads.
struct Scope {
  model::Scope for_each;  // what the evaluated unit is: none for the root
  std::set<Index> indicators;
  std::set<Index> sets;  // every set the expression ranges over
};

// Compiles the expressions of one requirement into the context's rule set.
class ExpressionCompiler {
 public:
  explicit ExpressionCompiler(Context& context) : c_(context), rules_(context.rules) {}

  void compile_require(const ast::Require& require, model::Rule& out) {
    out.condition_text = std::string(c_.source_text(require));
    // Without `for each`, the scope `out` already has: none for a rule, the rule's own for
    // an amendment.
    Scope scope;
    scope.for_each = out.for_each;
    if (scope.for_each.is_set()) scope.sets.insert(scope.for_each.index);
    if (require.for_each) {
      scope.for_each = resolve_scope(c_, *require.for_each);
      out.for_each = scope.for_each;
      if (scope.for_each.is_set()) scope.sets.insert(scope.for_each.index);
    }
    if (require.timing) {
      if (auto period = period_of(c_, require.timing->date)) {
        out.timing = require.timing->kind == "by" ? model::Timing::by : model::Timing::from;
        out.date = out.timing == model::Timing::by ? period->last : period->first;
      }
    }
    if (!require.condition.comparison) {
      error(Code::invalid_value, require.condition,
            "a requirement needs a comparison, such as `online_dossier_rate >= 50%`");
      return;
    }
    out.condition = compile_condition(require.condition, scope);
    out.indicators.assign(scope.indicators.begin(), scope.indicators.end());
    out.sets.assign(scope.sets.begin(), scope.sets.end());
  }

 private:
  Diagnostic& error(Code code, const ast::Node& node, std::string message) {
    return c_.error(code, node, std::move(message));
  }

  model::ExprId add_node(model::ExprNode node) {
    rules_.expressions.push_back(std::move(node));
    return static_cast<model::ExprId>(rules_.expressions.size() - 1);
  }

  // A comparison of two (or, for `between`, three) expressions of compatible units; its
  // index in the rule set's conditions, or -1 after an error.
  std::int32_t compile_condition(const ast::Condition& condition, Scope& scope) {
    const Typed lhs = compile(condition.lhs, scope);
    const ast::Comparison& comparison = *condition.comparison;
    const Typed rhs = compile(comparison.rhs, scope);
    model::Condition out;
    out.lhs = lhs.id;
    out.rhs = rhs.id;
    bool ok = lhs.ok && rhs.ok && compatible(lhs, rhs, condition.lhs, comparison.rhs);
    if (comparison.op == "between") {
      const Typed upper = compile(*comparison.upper, scope);
      out.upper = upper.id;
      out.op = model::Comparator::between;
      ok = ok && upper.ok && compatible(lhs, upper, condition.lhs, *comparison.upper);
    } else {
      static const std::map<std::string, model::Comparator> kOps = {
          {">=", model::Comparator::ge}, {"<=", model::Comparator::le},
          {">", model::Comparator::gt},  {"<", model::Comparator::lt},
          {"==", model::Comparator::eq}, {"!=", model::Comparator::ne}};
      out.op = kOps.at(comparison.op);
    }
    if (!ok) return -1;
    rules_.conditions.push_back(out);
    return static_cast<std::int32_t>(rules_.conditions.size() - 1);
  }

  // Percent compares only with percent; count and number mix freely.
  bool compatible(const Typed& a, const Typed& b, const ast::Expr& a_node,
                  const ast::Expr& b_node) {
    if ((a.unit == ValueUnit::percent) == (b.unit == ValueUnit::percent)) return true;
    const Typed& plain = a.unit == ValueUnit::percent ? b : a;
    const ast::Expr& plain_node = a.unit == ValueUnit::percent ? b_node : a_node;
    const ast::Expr& percent_node = a.unit == ValueUnit::percent ? a_node : b_node;
    if (plain.bare_literal) {
      error(Code::unit_mismatch, *plain.bare_literal,
            fmt::format("'{}' is a percent but {} is a plain number; write {}% (a percent "
                        "literal is the fraction: 50% is 0.5)",
                        c_.source_text(percent_node), plain.bare_literal->text,
                        plain.bare_literal->text));
      return false;
    }
    std::string message =
        fmt::format("cannot compare '{}' ({}) with '{}' ({})", c_.source_text(a_node),
                    unit_phrase(a.unit), c_.source_text(b_node), unit_phrase(b.unit));
    if (!plain_node.rest.empty() || !plain_node.first.rest.empty()) {
      message += "; ratio(a, b) gives a percent";
    }
    error(Code::unit_mismatch, plain_node, std::move(message));
    return false;
  }

  // Sums and differences: percent adds only to percent; a count in the chain makes it a
  // count.
  Typed compile(const ast::Expr& expr, Scope& scope) {
    Typed first = compile(expr.first, scope);
    if (expr.rest.empty()) return first;
    model::ExprNode node;
    node.kind = model::ExprKind::chain;
    node.operands.push_back(first.id);
    node.ops.push_back('+');
    bool ok = first.ok;
    ValueUnit unit = first.unit;
    for (const ast::TermOperation& operation : expr.rest) {
      const Typed term = compile(operation.term, scope);
      ok = ok && term.ok;
      if (term.ok && first.ok &&
          (unit == ValueUnit::percent) != (term.unit == ValueUnit::percent)) {
        error(Code::unit_mismatch, operation,
              fmt::format("cannot {} {} and {}", operation.op == '+' ? "add" : "subtract",
                          unit_phrase(unit), unit_phrase(term.unit)));
        ok = false;
      }
      if (term.unit == ValueUnit::count) unit = ValueUnit::count;
      node.operands.push_back(term.id);
      node.ops.push_back(operation.op);
    }
    node.unit = unit;
    return {add_node(std::move(node)), unit, nullptr, ok};
  }

  // Products and quotients.
  Typed compile(const ast::Term& term, Scope& scope) {
    Typed first = compile(term.first, scope);
    if (term.rest.empty()) return first;
    model::ExprNode node;
    node.kind = model::ExprKind::chain;
    node.operands.push_back(first.id);
    node.ops.push_back('*');
    bool ok = first.ok;
    ValueUnit unit = first.unit;
    for (const ast::Operation& operation : term.rest) {
      const Typed operand = compile(operation.operand, scope);
      ok = ok && operand.ok;
      if (operation.op == '*') {
        // A plain number scales; percent × percent stays a fraction; a count times a
        // percent is a count ("50% of the communes").
        if (unit == ValueUnit::number) {
          unit = operand.unit;
        } else if (operand.unit == ValueUnit::count) {
          unit = ValueUnit::count;
        }
      } else {
        // Dividing like by like gives a plain number; dividing by a plain number keeps
        // the unit.
        if (operand.unit != ValueUnit::number) unit = ValueUnit::number;
      }
      node.operands.push_back(operand.id);
      node.ops.push_back(operation.op);
    }
    node.unit = unit;
    return {add_node(std::move(node)), unit, nullptr, ok};
  }

  Typed compile(const ast::Operand& operand, Scope& scope) {
    const auto& variant = operand.get();
    if (const auto* number = boost::get<ast::NumberLit>(&variant)) return compile_number(*number);
    if (const auto* name = boost::get<ast::Name>(&variant)) return compile_indicator(*name, scope);
    if (const auto* duration = boost::get<ast::DurationLit>(&variant)) {
      error(Code::wrong_arguments, *duration,
            fmt::format("a duration ({}) can only be the second argument of change()",
                        duration->text));
      return {};
    }
    if (const auto* unary = boost::get<x3::forward_ast<ast::Unary>>(&variant)) {
      Typed inner = compile(unary->get().operand, scope);
      model::ExprNode node;
      node.kind = model::ExprKind::negate;
      node.unit = inner.unit;
      node.operands.push_back(inner.id);
      return {add_node(std::move(node)), inner.unit, nullptr, inner.ok};
    }
    if (const auto* paren = boost::get<x3::forward_ast<ast::Paren>>(&variant)) {
      return compile(paren->get().inner, scope);
    }
    return compile_call(boost::get<x3::forward_ast<ast::Call>>(variant).get(), scope);
  }

  Typed compile_number(const ast::NumberLit& number) {
    // As ingest reads the same text, so that a target and an observation written alike
    // compare equal.
    const auto value = number_value(c_, number);
    if (!value) return {};
    model::ExprNode node;
    node.kind = model::ExprKind::literal;
    node.unit = number.percent ? ValueUnit::percent : ValueUnit::number;
    node.value = *value;
    const ValueUnit unit = node.unit;
    return {add_node(std::move(node)), unit, number.percent ? nullptr : &number, true};
  }

  // A bare indicator name: its latest value.
  Typed compile_indicator(const ast::Name& name, Scope& scope) {
    const Index indicator = resolve(c_, name, "indicator");
    if (indicator == kNone) return {};
    scope.indicators.insert(indicator);
    model::ExprNode node;
    node.kind = model::ExprKind::latest;
    node.indicator = indicator;
    node.unit = rules_.indicators[indicator].unit;
    const ValueUnit unit = node.unit;
    return {add_node(std::move(node)), unit, nullptr, true};
  }

  // -------------------------------------------------------------------------------------
  // Function calls: each function's arguments and unit, one step each. A step fills
  // `node` and returns false after an error (already reported).

  Typed compile_call(const ast::Call& call, Scope& scope) {
    const std::string& function = call.function.text;
    model::ExprNode node;
    bool ok = false;
    if (function == "latest") {
      ok = compile_latest(call, scope, node);
    } else if (function == "sum" || function == "avg" || function == "min" || function == "max" ||
               function == "count") {
      ok = compile_aggregate(call, scope, node);
    } else if (function == "share") {
      ok = compile_share(call, scope, node);
    } else if (function == "ratio") {
      ok = compile_ratio(call, scope, node);
    } else if (function == "change") {
      ok = compile_change(call, scope, node);
    } else if (function == "done") {
      ok = compile_done(call, node);
    } else {
      report_unknown_function(call);
    }
    if (!ok) return {};
    const ValueUnit unit = node.unit;
    return {add_node(std::move(node)), unit, nullptr, true};
  }

  bool arity_error(const ast::Call& call, std::string_view forms) {
    error(Code::wrong_arguments, call,
          fmt::format("{}() takes {}; it was given {} argument{}", call.function.text, forms,
                      call.args.size(), call.args.size() == 1 ? "" : "s"));
    return false;
  }

  void report_unknown_function(const ast::Call& call) {
    const std::string& function = call.function.text;
    std::string message = fmt::format("unknown function '{}'", function);
    if (auto suggestion = util::closest_match(function, kFunctions)) {
      message += fmt::format("; did you mean '{}'?", *suggestion);
    } else {
      message +=
          "; the functions are latest, sum, avg, min, max, count, share, ratio, "
          "change and done";
    }
    error(Code::unknown_function, call.function, std::move(message));
  }

  // latest(x)
  bool compile_latest(const ast::Call& call, Scope& scope, model::ExprNode& node) {
    if (call.args.size() != 1) return arity_error(call, "one indicator: latest(x)");
    node.kind = model::ExprKind::latest;
    node.indicator = indicator_argument(call, 0, scope);
    if (node.indicator == kNone) return false;
    node.unit = rules_.indicators[node.indicator].unit;
    return true;
  }

  // sum, avg, min, max, count (x, LEVEL)
  bool compile_aggregate(const ast::Call& call, Scope& scope, model::ExprNode& node) {
    const std::string& function = call.function.text;
    if (call.args.size() != 2) {
      return arity_error(call,
                         fmt::format("an indicator and a level or set: {}(x, LEVEL)", function));
    }
    node.kind = function == "sum"   ? model::ExprKind::sum
                : function == "avg" ? model::ExprKind::avg
                : function == "min" ? model::ExprKind::min
                : function == "max" ? model::ExprKind::max
                                    : model::ExprKind::count;
    node.indicator = indicator_argument(call, 0, scope);
    node.level = scope_argument(call, 1, scope);
    if (node.indicator == kNone || node.level.none()) return false;
    node.unit = node.kind == model::ExprKind::count ? ValueUnit::count
                                                    : rules_.indicators[node.indicator].unit;
    return true;
  }

  // share(LEVEL, condition): the condition is compiled at the level's units.
  bool compile_share(const ast::Call& call, Scope& scope, model::ExprNode& node) {
    if (call.args.size() != 2) {
      return arity_error(call, "a level or set and a condition: share(LEVEL, x >= 1)");
    }
    node.kind = model::ExprKind::share;
    node.level = scope_argument(call, 0, scope);
    const ast::Condition& condition = call.args[1];
    if (!condition.comparison) {
      error(Code::wrong_arguments, condition,
            "the second argument of share() must be a condition, such as "
            "`community_team_count >= 1`");
      return false;
    }
    Scope inner{node.level, {}, {}};
    node.condition = compile_condition(condition, inner);
    scope.indicators.insert(inner.indicators.begin(), inner.indicators.end());
    scope.sets.insert(inner.sets.begin(), inner.sets.end());
    if (node.level.none() || node.condition < 0) return false;
    node.unit = ValueUnit::percent;
    return true;
  }

  // ratio(a, b) or ratio(a, b, LEVEL)
  bool compile_ratio(const ast::Call& call, Scope& scope, model::ExprNode& node) {
    if (call.args.size() != 2 && call.args.size() != 3) {
      return arity_error(call,
                         "two indicators and an optional level: ratio(a, b) or ratio(a, b, LEVEL)");
    }
    node.kind = model::ExprKind::ratio;
    node.indicator = indicator_argument(call, 0, scope);
    node.indicator2 = indicator_argument(call, 1, scope);
    if (call.args.size() == 3) {
      node.level = scope_argument(call, 2, scope);
      if (node.level.none()) return false;
    }
    if (node.indicator == kNone || node.indicator2 == kNone) return false;
    node.unit = ValueUnit::percent;
    return true;
  }

  // change(x, 90d)
  bool compile_change(const ast::Call& call, Scope& scope, model::ExprNode& node) {
    if (call.args.size() != 2)
      return arity_error(call, "an indicator and a duration: change(x, 90d)");
    node.kind = model::ExprKind::change;
    node.indicator = indicator_argument(call, 0, scope);
    const ast::Condition& arg = call.args[1];
    const ast::DurationLit* literal = nullptr;
    if (!arg.comparison && arg.lhs.rest.empty() && arg.lhs.first.rest.empty()) {
      literal = boost::get<ast::DurationLit>(&arg.lhs.first.first.get());
    }
    if (!literal) {
      error(Code::wrong_arguments, arg,
            "the second argument of change() must be a duration, such as 90d or 1y");
      return false;
    }
    const auto duration = duration_of(c_, *literal);
    if (node.indicator == kNone || !duration) return false;
    node.duration = *duration;
    node.unit = rules_.indicators[node.indicator].unit;
    return true;
  }

  // done(task)
  bool compile_done(const ast::Call& call, model::ExprNode& node) {
    if (call.args.size() != 1) return arity_error(call, "one task: done(task)");
    const ast::Name* name = name_argument(call, 0, "a task");
    if (!name) return false;
    node.kind = model::ExprKind::done;
    node.task = resolve(c_, *name, "task");
    if (node.task == kNone) return false;
    node.unit = ValueUnit::number;
    return true;
  }

  // -------------------------------------------------------------------------------------
  // Arguments.

  // The argument as a bare name, or an error naming the expected kind.
  const ast::Name* name_argument(const ast::Call& call, std::size_t position,
                                 std::string_view what) {
    const ast::Condition& arg = call.args[position];
    const ast::Name* name = nullptr;
    if (!arg.comparison && arg.lhs.rest.empty() && arg.lhs.first.rest.empty()) {
      name = boost::get<ast::Name>(&arg.lhs.first.first.get());
    }
    if (!name) {
      error(Code::wrong_arguments, arg,
            fmt::format("argument {} of {}() must be {} name", position + 1, call.function.text,
                        what));
    }
    return name;
  }

  // The indicator argument, added to what the expression reads; kNone after an error.
  Index indicator_argument(const ast::Call& call, std::size_t position, Scope& scope) {
    const ast::Name* name = name_argument(call, position, "an indicator");
    if (!name) return kNone;
    const Index indicator = resolve(c_, *name, "indicator");
    if (indicator != kNone) scope.indicators.insert(indicator);
    return indicator;
  }

  // The level a scope stands at: the level itself, a set's level, or kNone (a set by ids,
  // the root).
  Index level_of(model::Scope scope) const {
    if (scope.is_level()) return scope.index;
    if (scope.is_set()) return rules_.sets[static_cast<std::size_t>(scope.index)].level;
    return kNone;
  }

  // The level or set argument. A level must be below the evaluated unit's level when both
  // are of one chain; across chains "inside" follows the units' parents in the data. A
  // set may be named at any scope: its units inside the evaluated unit count.
  model::Scope scope_argument(const ast::Call& call, std::size_t position, Scope& scope) {
    const ast::Name* name = name_argument(call, position, "a level or set");
    if (!name) return {};
    const model::Scope argument = resolve_scope(c_, *name);
    if (argument.none()) return {};
    if (argument.is_set()) {
      scope.sets.insert(argument.index);
      return argument;
    }
    const model::Level& level = rules_.levels[static_cast<std::size_t>(argument.index)];
    const Index at = level_of(scope.for_each);
    const bool refused =
        scope.for_each.none()
            ? argument.index == 0  // the first chain's top level is the root's own
            : at != kNone && rules_.levels[static_cast<std::size_t>(at)].chain == level.chain &&
                  level.depth <= rules_.levels[static_cast<std::size_t>(at)].depth;
    if (refused) {
      error(Code::level_order, *name,
            fmt::format("{}() over '{}' at {}: the level must be below the evaluated unit's "
                        "level",
                        call.function.text, name->text,
                        scope.for_each.none()
                            ? fmt::format("the root unit ('{}')", rules_.levels[0].name)
                            : fmt::format("each '{}'", rules_.scope_name(scope.for_each))));
      return {};
    }
    return argument;
  }

  Context& c_;
  model::RuleSet& rules_;
};

}  // namespace

void compile_require(Context& c, const ast::Require& require, model::Rule& out) {
  ExpressionCompiler(c).compile_require(require, out);
}

}  // namespace tiendo::dsl::checking

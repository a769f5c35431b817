// The checker's private parts (not the library's API; dsl/check.hpp is). `check` runs its
// steps in order over one shared `Context`, each step in a file of its own here:
//
//   names.cpp        every declared name in one namespace; resolving a name as a kind
//   literals.cpp     numbers (with the spellings documents use), dates, durations
//   clauses.cpp      what each block may contain; a block's clauses sorted by keyword
//   blocks.cpp       indicators, sets, plans, tasks and channels from their clauses
//   rule.cpp         rules from their clauses
//   expressions.cpp  `require` compiled into the expression arena, with unit typing
//   graph.cpp        the plan graph: edges, cycles, the tasks' order
//   tests.cpp        `test` blocks
//   report_labels.cpp  the report's grouping and numbering (`label group`, `label stt`)
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "dsl/diagnostic.hpp"
#include "dsl/parse.hpp"
#include "model/rule_set.hpp"

namespace tiendo::dsl::checking {

using model::Index;
using model::kNone;
using model::ValueUnit;

// A declared name: what it names and where.
struct Declared {
  std::string kind;  // indicator, plan, task, channel, rule, level, set
  Index index = kNone;
  Location where;
};

// What the steps share: the program being checked, the rule set being built, and what
// the first step learns (the declared names, the blocks to fill, the tests).
struct Context {
  explicit Context(Program& checked) : program(checked), diagnostics(checked.diagnostics) {}

  static Location at(const ast::Node& node) { return {node.file, node.begin}; }
  std::string_view source_text(const ast::Node& node) const;
  model::SourceRef source_ref(const ast::Node& node) const;
  Diagnostic& error(Code code, const ast::Node& node, std::string message);
  static void note(Diagnostic& diagnostic, Location where, std::string message);

  Program& program;
  Diagnostics& diagnostics;
  model::RuleSet rules;
  std::map<std::string, Declared> declared;
  std::map<std::string, std::vector<std::string>> names_by_kind;
  std::vector<std::pair<const ast::Block*, Index>> blocks;  // each with its item's index
  std::vector<const ast::TestBlock*> tests;
  std::set<std::string> test_names;
  // The names written in each task's `after`, for the graph's warnings.
  std::map<const model::Task*, std::vector<const ast::Name*>> after_names;
};

// ---------------------------------------------------------------------------------------
// names.cpp

// "an indicator", "a task".
std::string article(std::string_view kind);
bool is_reserved(const std::string& word);

// Declares every level and block in one namespace (a name taken twice is an error) and
// collects the blocks and tests for the later steps.
void declare_all(Context& c);

// Resolves `name` as a `kind`; reports an undefined name with the closest declared name
// of that kind, or says what kind the name actually is. kNone after an error.
Index resolve(Context& c, const ast::Name& name, const std::string& kind);

// A name that stands where a LEVEL does: a level or a set. None after an error.
model::Scope resolve_scope(Context& c, const ast::Name& name);

// ---------------------------------------------------------------------------------------
// literals.cpp

// Ingest takes a percent beyond this for a typo, whatever the range (store/values.hpp).
constexpr double kMaxPercentBound = 10;  // 1000%

std::string_view unit_phrase(ValueUnit unit);

// A number literal's value as stored (a percent as its fraction); nullopt when the text
// is not a plain number. Reports nothing.
std::optional<double> literal_value(const ast::NumberLit& literal);

// The same, or an error E022 that names the spelling a rules file uses when the literal
// is written as documents write numbers (`99,5%`: write 99.5%).
std::optional<double> number_value(Context& c, const ast::NumberLit& literal);

std::optional<model::Period> period_of(Context& c, const ast::DateLit& date);
std::optional<model::Duration> duration_of(Context& c, const ast::DurationLit& literal);

// ---------------------------------------------------------------------------------------
// clauses.cpp

// A block's clauses by keyword, each valid for the block (only the first of a
// non-repeatable one).
using Clauses = std::map<std::string, std::vector<const ast::Clause*>>;

// Validates every clause of the block against its kind and sorts them by keyword.
Clauses sort_clauses(Context& c, const ast::Block& block);
// The same for the clauses inside one of the rule's `amend from D { ... }`.
Clauses sort_amend_clauses(Context& c, const ast::Block& rule, const ast::Amend& amend);
const ast::Amend* amend_of(const ast::Clause& clause);

const ast::Clause* first(const Clauses& clauses, const std::string& keyword);
const ast::Strings* strings_of(const ast::Clause& clause);
const ast::Names* names_of(const ast::Clause& clause);
// The clause's one string, or empty without the clause.
std::string string_clause(const Clauses& clauses, const std::string& keyword);
std::vector<std::pair<std::string, std::string>> labels_of(const Clauses& clauses);

std::optional<model::Duration> duration_of(Context& c, const ast::Clause& clause);
// The day a date clause names: the period's last day for a deadline (`due`, `issued`),
// its first for a start (`starts`, as `from`).
std::optional<model::Date> last_day(Context& c, const ast::Clause& clause);
std::optional<model::Date> first_day(Context& c, const ast::Clause& clause);

// ---------------------------------------------------------------------------------------
// blocks.cpp, rule.cpp

// Fills the rule set's item `index` of the block's kind from its clauses.
void fill_block(Context& c, const ast::Block& block, Index index);
void fill_rule(Context& c, const ast::Block& block, const Clauses& clauses, model::Rule& out);

// ---------------------------------------------------------------------------------------
// expressions.cpp

// Compiles the rule's requirement: its scope, its timing and its condition, typed.
void compile_require(Context& c, const ast::Require& require, model::Rule& out);

// ---------------------------------------------------------------------------------------
// graph.cpp

// Builds the plan graph from `implements`, `part_of` and `after`; reports its cycles and,
// without any, orders the tasks.
void check_graph(Context& c);

// ---------------------------------------------------------------------------------------
// report_labels.cpp

// Warns where the committee report would group or number a rule otherwise than its
// labels seem to mean: a `label stt` that is not a row number (W105), two rules of one
// group with one number (W106), a rule without `label group` where others have one
// (W107), a label name one letter off `group` or `stt` (W108).
void check_report_labels(Context& c);

// ---------------------------------------------------------------------------------------
// tests.cpp

// Checks one `test` block and adds it to the rule set's tests.
void check_test(Context& c, const ast::TestBlock& test);

}  // namespace tiendo::dsl::checking

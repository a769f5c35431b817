// The syntax tree of a rules file, as written: names are unresolved strings and literals
// keep their source text. `dsl::check` turns a set of these into a `model::RuleSet`.
//
// Every node carries its source file and the byte range it covers; `SourceSet` turns
// them into line and column (columns count characters, not bytes).
#pragma once

#include <boost/spirit/home/x3/support/ast/variant.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace tiendo::dsl::ast {

namespace x3 = boost::spirit::x3;

// Where a node stands in its file. Filled by the parser's annotation handler.
struct Node {
  std::uint32_t file = 0;   // index into the SourceSet
  std::uint32_t begin = 0;  // byte offset of the first character
  std::uint32_t end = 0;    // byte offset one past the last character
};

// An identifier: a declared name or a reference to one.
struct Name : Node {
  std::string text;
};

// A string literal, escapes decoded; `text` is UTF-8.
struct StringLit : Node {
  std::string value;
};

// `50`, `77.62`, `50%`, `-3`. `text` is the literal as written, without the `%`.
struct NumberLit : Node {
  std::string text;
  bool percent = false;
};

// `2022-12-31`, `31/12/2022`, `2022-Q3`, `Q3/2022`, `2022-09`, `2022` — as written; the
// checker validates and resolves it.
struct DateLit : Node {
  std::string text;
};

// `30d`, `2w`, `3m`, `1y` — as written; the checker validates it.
struct DurationLit : Node {
  std::string text;
};

struct Unary;
struct Call;
struct Paren;

// A leaf or a parenthesised/unary/call sub-expression. A bare Name is an indicator
// reference (or, as a call argument, whatever that argument position names).
struct Operand : x3::variant<NumberLit, DurationLit, Name, x3::forward_ast<Unary>,
                             x3::forward_ast<Call>, x3::forward_ast<Paren>> {
  using base_type::base_type;
  using base_type::operator=;
};

// One `* operand` or `/ operand` step.
struct Operation : Node {
  char op = '*';
  Operand operand;
};

// A multiplicative chain `a * b / c`, left-associative and kept flat so that a long
// product does not become a deep tree.
struct Term : Node {
  Operand first;
  std::vector<Operation> rest;
};

// One `+ term` or `- term` step.
struct TermOperation : Node {
  char op = '+';
  Term term;
};

// An additive chain `a + b * c - d`, flat like Term.
struct Expr : Node {
  Term first;
  std::vector<TermOperation> rest;
};

struct Unary : Node {
  char op = '-';
  Operand operand;
};

struct Paren : Node {
  Expr inner;
};

// `>= 50%` or `between 80% and 100%` after an expression.
struct Comparison : Node {
  std::string op;  // ">=", "<=", ">", "<", "==", "!=", or "between"
  Expr rhs;
  std::optional<Expr> upper;  // only for "between"
};

// An expression optionally followed by a comparison. As a `require` it must have one;
// as a call argument it may or may not.
struct Condition : Node {
  Expr lhs;
  std::optional<Comparison> comparison;
};

struct Call : Node {
  Name function;
  std::vector<Condition> args;
};

// `by D` / `from D`.
struct Timing : Node {
  std::string kind;  // "by" or "from"
  DateLit date;
};

// `require CONDITION [by|from DATE] [for each LEVEL]`
struct Require : Node {
  Condition condition;
  std::optional<Timing> timing;
  std::optional<Name> for_each;
};

// `label NAME = "value"`
struct Label : Node {
  Name key;
  StringLit value;
};

// `range -100% .. 500%`: the values an indicator's observations may take, both ends
// included.
struct Range : Node {
  NumberLit low;
  NumberLit high;
};

// A clause whose keyword the grammar does not know; the checker reports it with a
// suggestion instead of the parser stopping at it.
struct UnknownClause : Node {
  std::string text;  // the rest of the line after the keyword
};

using Strings = std::vector<StringLit>;
using Names = std::vector<Name>;

struct Clause;

// `amend from DATE { require ... basis ... }` in a rule: the target as a later document
// set it, in force from DATE on.
struct Amend : Node {
  DateLit from;
  std::vector<Clause> clauses;
};

struct ClauseValue : x3::variant<Strings, Names, DateLit, DurationLit, Require, Label, Range,
                                 UnknownClause, x3::forward_ast<Amend>> {
  using base_type::base_type;
  using base_type::operator=;
};

// One line of a block: `title "..."`, `stale after 120d`, `require ...`. `keyword` is
// normalised to single spaces ("stale after", "secret env", "repeat every").
struct Clause : Node {
  std::string keyword;
  ClauseValue value;
};

// `indicator|plan|task|channel|rule|set NAME { clauses }`
struct Block : Node {
  std::string kind;
  Name name;
  std::vector<Clause> clauses;
};

// `levels province > district > commune`
struct Levels : Node {
  std::vector<Name> names;
};

// `include "path"`
struct Include : Node {
  StringLit path;
};

// Lines of a `test` block.
struct TestUnit : Node {  // unit ID LEVEL "Title" [in PARENT] [label "x", "y"]
  Name id;
  Name level;
  StringLit title;
  std::optional<Name> parent;
  std::vector<StringLit> labels;
};
struct TestAt : Node {  // at DATE
  DateLit date;
};
struct TestObserve : Node {  // observe [UNIT] INDICATOR PERIOD = VALUE
  std::vector<Name> names;
  DateLit period;
  NumberLit value;
};
struct TestStatus : Node {  // status TASK STATUS DATE [PROGRESS%]
  Name task;
  Name status;
  DateLit date;
  std::optional<NumberLit> progress;
};
struct TestExpect : Node {  // expect [UNIT] RULE STATE
  std::vector<Name> names;
};
struct TestUnknown : Node {
  std::string keyword;
  std::string text;
};

struct TestItem : x3::variant<TestUnit, TestAt, TestObserve, TestStatus, TestExpect, TestUnknown> {
  using base_type::base_type;
  using base_type::operator=;
};

struct TestBlock : Node {
  StringLit name;
  std::vector<TestItem> items;
};

struct Declaration : x3::variant<Include, Levels, Block, TestBlock> {
  using base_type::base_type;
  using base_type::operator=;
};

// One parsed file. `source` indexes the SourceSet that holds its text.
struct File {
  std::uint32_t source = 0;
  std::vector<Declaration> declarations;
};

}  // namespace tiendo::dsl::ast

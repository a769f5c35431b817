// Fusion adaptations of the AST, so that X3 can fill the nodes from sequences.
//
// Nodes with a single field (Name, StringLit, Paren, ...) are not adapted: X3 splits a
// one-element fusion sequence across a parser sequence and fails to compile. They are
// filled through `into<&Node::field>[...]` in grammar_def.hpp instead. No rule uses a
// semantic action either: X3 calls no on_success handler (which records positions) for
// a rule whose right-hand side has one.
#pragma once

#include <boost/fusion/include/adapt_struct.hpp>

#include "dsl/ast.hpp"

BOOST_FUSION_ADAPT_STRUCT(tiendo::dsl::ast::NumberLit, text, percent)
BOOST_FUSION_ADAPT_STRUCT(tiendo::dsl::ast::Operation, op, operand)
BOOST_FUSION_ADAPT_STRUCT(tiendo::dsl::ast::Term, first, rest)
BOOST_FUSION_ADAPT_STRUCT(tiendo::dsl::ast::TermOperation, op, term)
BOOST_FUSION_ADAPT_STRUCT(tiendo::dsl::ast::Expr, first, rest)
BOOST_FUSION_ADAPT_STRUCT(tiendo::dsl::ast::Unary, op, operand)
BOOST_FUSION_ADAPT_STRUCT(tiendo::dsl::ast::Comparison, op, rhs, upper)
BOOST_FUSION_ADAPT_STRUCT(tiendo::dsl::ast::Condition, lhs, comparison)
BOOST_FUSION_ADAPT_STRUCT(tiendo::dsl::ast::Call, function, args)
BOOST_FUSION_ADAPT_STRUCT(tiendo::dsl::ast::Timing, kind, date)
BOOST_FUSION_ADAPT_STRUCT(tiendo::dsl::ast::Require, condition, timing, for_each)
BOOST_FUSION_ADAPT_STRUCT(tiendo::dsl::ast::Label, key, value)
BOOST_FUSION_ADAPT_STRUCT(tiendo::dsl::ast::Range, low, high)
BOOST_FUSION_ADAPT_STRUCT(tiendo::dsl::ast::Amend, from, clauses)
BOOST_FUSION_ADAPT_STRUCT(tiendo::dsl::ast::Clause, keyword, value)
BOOST_FUSION_ADAPT_STRUCT(tiendo::dsl::ast::Block, kind, name, clauses)
BOOST_FUSION_ADAPT_STRUCT(tiendo::dsl::ast::TestUnit, id, level, title, parent, labels)
BOOST_FUSION_ADAPT_STRUCT(tiendo::dsl::ast::TestObserve, names, period, value)
BOOST_FUSION_ADAPT_STRUCT(tiendo::dsl::ast::TestStatus, task, status, date, progress)
BOOST_FUSION_ADAPT_STRUCT(tiendo::dsl::ast::TestUnknown, keyword, text)
BOOST_FUSION_ADAPT_STRUCT(tiendo::dsl::ast::TestBlock, name, items)

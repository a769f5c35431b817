// Declarations of the grammar's entry points. The definitions live in grammar_def.hpp
// and are compiled once, in grammar.cpp; everything else includes only this header.
#pragma once

#include <boost/spirit/home/x3.hpp>

#include "dsl/ast.hpp"

namespace tiendo::dsl::parser {

namespace x3 = boost::spirit::x3;

struct declaration_class;
using declaration_type = x3::rule<declaration_class, ast::Declaration>;
BOOST_SPIRIT_DECLARE(declaration_type)

}  // namespace tiendo::dsl::parser

namespace tiendo::dsl {
// One top-level declaration: include, levels, a block, or a test.
parser::declaration_type const& declaration_parser();
}  // namespace tiendo::dsl

// The canonical layout of a rules file (`tiendo fmt`): one clause per line, two-space
// indentation, single spaces around operators, and every comment kept.
#pragma once

#include <string>
#include <string_view>

#include "dsl/ast.hpp"
#include "dsl/source.hpp"

namespace tiendo::dsl {

// Lays out `file`, whose text is `sources.file(file.source)`, from its syntax tree. The
// tree has no comments, so they are taken from the text: a comment on a line of its own
// goes before the declaration, clause or test line that follows it (at that line's
// indentation); a comment after code goes at the end of the output line of the
// declaration, clause or test line whose code precedes it. A second such comment for
// the same output line goes on a line of its own after it. Single blank lines before
// comments are kept; other blank lines are not. Only for files that parsed without
// syntax errors: for others the tree is incomplete, and so would be the result.
//
// The result is a fixed point: formatting its parse gives it back, with the same tree
// (`dump`) and the same comments.
std::string format(const SourceSet& sources, const ast::File& file);

// The string literal that parses back to `value`: quoted, with `\"`, `\\` and `\n`.
std::string quote(std::string_view value);

// An expression or condition as the formatter writes it: `a + b * (c - 1)`,
// `x between 80% and 100%`.
std::string format_expr(const ast::Expr& expr);
std::string format_condition(const ast::Condition& condition);

}  // namespace tiendo::dsl

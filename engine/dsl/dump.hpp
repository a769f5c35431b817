// A position-free text of a syntax tree, for golden tests of the parser and for checking
// that the formatter keeps a file's structure: two trees dump equal exactly when they
// differ at most in positions.
#pragma once

#include <string>

#include "dsl/ast.hpp"

namespace tiendo::dsl {

// One S-expression per declaration, one per line, each line ending in a newline. Names,
// dates and durations appear bare (they cannot contain spaces or parentheses); strings
// and clause keywords that contain spaces are quoted with `\"`, `\\` and `\n` escapes.
//
//   (include "common.rules")
//   (levels province district)
//   (rule r (title (strings "T")) (require (cond (expr (term (name x)))
//       (>= (expr (term (num 50 %))))) (by (date 2022-12-31))))
//   (test "t" (unit hn province "Hà Nội") (at (date 2022)) (expect r met))
//
// Expressions: (expr TERM (+ TERM)...), (term OPERAND (* OPERAND)...), and operands
// (num TEXT [%]), (dur TEXT), (name X), (unary - OPERAND), (call F COND...),
// (paren EXPR). A condition is (cond EXPR [(OP EXPR)] | [(between EXPR EXPR)]).
std::string dump(const ast::File& file);

}  // namespace tiendo::dsl

// The only translation unit that compiles the grammar: editing the grammar rebuilds
// this file alone.
#include "dsl/grammar_def.hpp"

namespace tiendo::dsl::parser {
BOOST_SPIRIT_INSTANTIATE(declaration_type, iterator_type, context_type)
}  // namespace tiendo::dsl::parser

namespace tiendo::dsl {
parser::declaration_type const& declaration_parser() { return parser::declaration; }
}  // namespace tiendo::dsl

// The language's reserved words: keywords and function names. The grammar refuses them
// as names inside expressions and tests; the checker refuses to declare them.
#pragma once

#include <string>
#include <vector>

namespace tiendo::dsl {

const std::vector<std::string>& reserved_words();

}  // namespace tiendo::dsl

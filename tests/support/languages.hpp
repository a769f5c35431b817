// Telling the languages of a rendered text apart, for the tests that render in both:
// English text has no Vietnamese letter; Vietnamese text has none of a list of English
// words.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace tiendo::testing {

// Whether `text` has a letter only Vietnamese (and other Latin-script languages) use:
// Latin-1 and Latin Extended letters, and Latin Extended Additional (ạ … ỹ).
bool has_vietnamese_letter(std::string_view text);

// The words of plain ASCII letters (and `_`, so that an identifier is one word) in
// `text`, lower case; a run of letters that touches a non-ASCII byte is part of a
// Vietnamese word ("tháng") and is not one.
std::vector<std::string> ascii_words(std::string_view text);

}  // namespace tiendo::testing

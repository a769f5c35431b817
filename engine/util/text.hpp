// Text helpers shared by every stage: UTF-8 validation and counting, trimming and ASCII
// case, and the "did you mean" suggestion used wherever a user can misspell a name.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tiendo::util {

// The byte offset of the first byte that is not part of a well-formed UTF-8 sequence
// (overlongs, surrogates and code points above U+10FFFF are ill-formed), or nullopt.
std::optional<std::size_t> find_invalid_utf8(std::string_view text);

// Decodes one code point at `pos` and advances `pos`; an ill-formed byte decodes as
// U+FFFD and advances by one.
char32_t decode_utf8(std::string_view text, std::size_t& pos);

// Number of code points (ill-formed bytes count one each).
std::size_t count_code_points(std::string_view text);

// True for combining marks, which take no column of their own in a terminal (Vietnamese
// text in NFD puts its tone marks there).
bool is_combining_mark(char32_t c);

// `text` without the `spaces` bytes at either end.
std::string_view trim(std::string_view text, std::string_view spaces = " \t");

// ASCII letters in lower case; every other byte (UTF-8 included) as it is.
std::string ascii_lower(std::string_view text);

// Damerau-Levenshtein (optimal string alignment) distance over bytes.
std::size_t edit_distance(std::string_view a, std::string_view b);

// The candidate closest to `word`, if it is close enough to be a plausible typo
// (distance at most max(1, size/3), or the same text in another case).
std::optional<std::string> closest_match(std::string_view word,
                                         const std::vector<std::string>& candidates);

}  // namespace tiendo::util

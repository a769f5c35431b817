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

// The bytes of the space at `pos`: a space, tab or line break, or one of the spaces that
// spreadsheets and word processors put between thousands or around a value (U+00A0
// no-break space, U+202F narrow no-break space, U+2009 thin space); 0 if there is none.
std::size_t space_at(std::string_view text, std::size_t pos);

// ASCII letters in lower case; every other byte (UTF-8 included) as it is.
std::string ascii_lower(std::string_view text);

// The longest prefix of `text` of at most `max_bytes` bytes that does not end inside a
// well-formed UTF-8 sequence (an ill-formed byte may be cut anywhere).
std::string_view utf8_prefix(std::string_view text, std::size_t max_bytes);

// `text` cut to at most `max_bytes` bytes at a code point boundary, then
// "… (N bytes more)" as cap_for_display writes it, but nothing escaped: for output that
// escapes by itself (JSON).
std::string cap_utf8(std::string_view text, std::size_t max_bytes);

// `text` fit to be shown on one line of a terminal or a text log, whatever it holds
// (a receiver's answer, a URL from a rule file): the C0 controls (NUL, tab and line
// breaks included), DEL, the C1 controls and every byte that is not part of well-formed
// UTF-8 are written \xNN, byte by byte; the line and paragraph separators and the
// bidirectional overrides and isolates (U+2028-2029, U+202A-202E, U+2066-2069), which
// reorder or break what a terminal shows, are written \u{XXXX}. Everything else is kept.
// When the result would pass `max_bytes`, it stops at the last whole character or
// escape that fits and ends with "… (N bytes more)", N counting the bytes of `text` left
// out plus `unread`: bytes that followed `text` where it came from but were never read
// (a body read only in part), which also give the suffix when all of `text` fits.
// Reads at most about `max_bytes` of `text`, so a huge input costs nothing more. Its own
// output comes through unchanged when it fits.
std::string cap_for_display(std::string_view text, std::size_t max_bytes, std::size_t unread = 0);

// Damerau-Levenshtein (optimal string alignment) distance over bytes.
std::size_t edit_distance(std::string_view a, std::string_view b);

// The candidate closest to `word`, if it is close enough to be a plausible typo
// (distance at most max(1, size/3), or the same text in another case).
std::optional<std::string> closest_match(std::string_view word,
                                         const std::vector<std::string>& candidates);

}  // namespace tiendo::util

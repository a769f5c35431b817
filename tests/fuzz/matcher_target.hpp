// The body of the `matcher` fuzz target, shared by the libFuzzer executable
// (fuzz_matcher) and the corpus replay that every build runs as a test
// (fuzz_replay_matcher).
#pragma once

#include <cstddef>
#include <cstdint>

// The input's first line is a silence matcher as `tiendo silence add --match` and
// POST /api/v1/silences take it ("rule=~(.|.|.|.)*X"); each further line is a label
// value it is matched against (up to 16 of them). Aborts when a promise breaks:
//   - parse_matcher throws nothing; a refusal has a message of at most 512 bytes,
//     whatever the input's size (a 40 KB pattern is not echoed back);
//   - a matcher that parsed has one of the four operators, and a regular expression
//     one its compiled form, from a pattern of at most kMaxMatcherRegexBytes;
//   - to_string(matcher) parses back to the same matcher;
//   - = and != (and =~ and !~ on the same pattern) give opposite answers on every
//     value, = answers exactly value == pattern, and a label that is absent reads as "".
// Matching in bounded time is what RE2 promises (linear in the value) and what
// libFuzzer's -timeout checks; no clock is read here, so a replay on a busy machine
// cannot fail for being slow. Returns 0 otherwise, as libFuzzer expects.
int tiendo_fuzz_matcher(const std::uint8_t* data, std::size_t size);

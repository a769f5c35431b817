// The one place that fixes the parser's iterator, skipper and context types. The
// grammar is instantiated once, in grammar.cpp, for exactly these.
#pragma once

#include <boost/spirit/home/x3.hpp>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace tiendo::dsl::parser {

namespace x3 = boost::spirit::x3;

using iterator_type = const char*;

// Whitespace and `#` comments. Character sets are spelled out rather than taken from
// x3::ascii, whose classifiers index a table with the (negative) value of UTF-8 bytes.
struct skipper_id;
inline const auto skipper = x3::char_(" \t\r\n\f\v") | ('#' >> *(x3::char_ - '\n'));
using skipper_type = std::remove_cv_t<decltype(skipper)>;

// Limits from the language contract, enforced while parsing.
inline constexpr int kMaxNesting = 128;
inline constexpr std::size_t kMaxNameLength = 128;
inline constexpr std::size_t kMaxStringLength = 65536;

// A limit violation found during parsing; the parser goes on.
struct LimitViolation {
  int kind = 0;  // 0 name too long, 1 string too long
  std::uint32_t offset = 0;
  std::size_t length = 0;
};

// Mutable state the semantic actions and annotation handlers share during one parse.
struct ParseState {
  iterator_type begin = nullptr;
  std::uint32_t file = 0;
  int depth = 0;
  std::vector<LimitViolation> violations;
};

struct parse_state_tag;

// Thrown when expressions nest deeper than kMaxNesting; caught in dsl::parse.
struct NestingTooDeep {
  iterator_type where;
};

using phrase_context_type = x3::phrase_parse_context<skipper_type>::type;
using context_type =
    x3::context<parse_state_tag, std::reference_wrapper<ParseState>, phrase_context_type>;

}  // namespace tiendo::dsl::parser

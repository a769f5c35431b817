// The rules language grammar (Boost.Spirit X3). Included only by grammar.cpp.
//
// Rule names are the phrases that follow "expected" in syntax errors, so they read as
// English ("a date", "a name"). After a keyword, `>` (expectation) is used: the input
// cannot be anything else, and the error should point there rather than backtrack.
#pragma once

#include <boost/spirit/home/x3.hpp>
#include <type_traits>

#include "dsl/ast.hpp"
#include "dsl/ast_adapted.hpp"
#include "dsl/config.hpp"
#include "dsl/grammar.hpp"
#include "dsl/keywords.hpp"

namespace tiendo::dsl::parser {

using x3::attr;
using x3::char_;
using x3::lexeme;
using x3::lit;
using x3::omit;
using x3::raw;

// Stores each node's file and byte range (after leading whitespace) on success.
struct annotate_position {
  template <typename T, typename Iterator, typename Context>
  void on_success(Iterator const& first, Iterator const& last, T& node,
                  Context const& context) const {
    if constexpr (std::is_base_of_v<ast::Node, T>) {
      ParseState& state = x3::get<parse_state_tag>(context).get();
      node.file = state.file;
      node.begin = static_cast<std::uint32_t>(first - state.begin);
      node.end = static_cast<std::uint32_t>(last - state.begin);
    }
  }
};

// Runs its subject one nesting level deeper and throws NestingTooDeep past the limit, so
// that hostile input cannot exhaust the stack.
template <typename Subject>
struct depth_limited_directive : x3::unary_parser<Subject, depth_limited_directive<Subject>> {
  using base_type = x3::unary_parser<Subject, depth_limited_directive<Subject>>;
  static bool const is_pass_through_unary = true;
  static bool const handles_container = Subject::handles_container;

  constexpr explicit depth_limited_directive(Subject const& inner) : base_type(inner) {}

  template <typename Iterator, typename Context, typename RContext, typename Attribute>
  bool parse(Iterator& first, Iterator const& last, Context const& context, RContext& rcontext,
             Attribute& attribute) const {
    ParseState& state = x3::get<parse_state_tag>(context).get();
    if (state.depth >= kMaxNesting) throw NestingTooDeep{first};
    ++state.depth;
    struct Leave {
      int& depth;
      ~Leave() { --depth; }
    } leave{state.depth};
    return this->subject.parse(first, last, context, rcontext, attribute);
  }
};

struct depth_limited_gen {
  template <typename Subject>
  constexpr depth_limited_directive<typename x3::extension::as_parser<Subject>::value_type>
  operator[](Subject const& subject) const {
    return depth_limited_directive<typename x3::extension::as_parser<Subject>::value_type>(
        x3::as_parser(subject));
  }
};
inline constexpr depth_limited_gen depth_limited{};

template <typename MemberPointer>
struct member_pointer_traits;
template <typename Class, typename Member>
struct member_pointer_traits<Member Class::*> {
  using class_type = Class;
};

// Parses its subject into one field of a node: `into<&ast::Name::text>[identifier]`
// exposes an ast::Name. This replaces fusion adaptation for single-field nodes.
template <auto Field, typename Subject>
struct into_directive : x3::unary_parser<Subject, into_directive<Field, Subject>> {
  using base_type = x3::unary_parser<Subject, into_directive<Field, Subject>>;
  using attribute_type = typename member_pointer_traits<decltype(Field)>::class_type;
  static bool const has_attribute = true;

  constexpr explicit into_directive(Subject const& inner) : base_type(inner) {}

  template <typename Iterator, typename Context, typename RContext>
  bool parse(Iterator& first, Iterator const& last, Context const& context, RContext& rcontext,
             attribute_type& attribute) const {
    return this->subject.parse(first, last, context, rcontext, attribute.*Field);
  }
};

template <auto Field>
struct into_gen {
  template <typename Subject>
  constexpr into_directive<Field, typename x3::extension::as_parser<Subject>::value_type>
  operator[](Subject const& subject) const {
    return into_directive<Field, typename x3::extension::as_parser<Subject>::value_type>(
        x3::as_parser(subject));
  }
};
template <auto Field>
inline constexpr into_gen<Field> into{};

// ---------------------------------------------------------------------------------------
// Lexical pieces.

inline const auto idstart = char_("a-zA-Z_");
inline const auto idchar = char_("a-zA-Z0-9_");
inline const auto digit = char_('0', '9');

// A whole word: `kw("by")` does not match the start of `bytes`.
inline auto kw(char const* word) { return lexeme[lit(word) >> !idchar]; }
// The same, exposing the word as the attribute.
inline auto kws(char const* word) { return lexeme[x3::string(word) >> !idchar]; }

struct identifier_class;
const x3::rule<identifier_class, std::string> identifier = "a name";
const auto identifier_def = lexeme[idstart >> *idchar];

// The first word of a line the grammar does not know, whole: `tiêu_đề` and not `ti`, so
// that a message quoting it never shows half a word.
inline const auto unknown_word = x3::rule<struct unknown_word_class, std::string>{"a name"} =
    lexeme[raw[idstart >> *(idchar | char_('\x80', '\xFF'))]];

// Words that begin a declaration; a clause never starts with one, so a missing `}` is
// reported where the next declaration starts.
inline const auto declaration_keyword = kw("indicator") | kw("plan") | kw("task") | kw("channel") |
                                        kw("rule") | kw("test") | kw("set") | kw("levels") |
                                        kw("include");

// The words of a period written as documents write it: `Quý` or `Quí` (a quarter) and
// `tháng` (a month), in any letter case, the accent precomposed (NFC) or combining (NFD).
// Unaccented `Quy` and `thang` are names, as any identifier.
inline const auto combining_acute = lit("\xCC\x81");
inline const auto period_word =
    ((lit('Q') | 'q') >> (lit('u') | 'U') >>
     (lit("\xC3\xBD") | "\xC3\x9D" | "\xC3\xAD" | "\xC3\x8D" |
      ((lit('y') | 'Y' | 'i' | 'I') >> combining_acute))) |
    ((lit('t') | 'T') >> (lit('h') | 'H') >>
     (lit("\xC3\xA1") | "\xC3\x81" | ((lit('a') | 'A') >> combining_acute)) >> (lit('n') | 'N') >>
     (lit('g') | 'G'));
inline const auto blanks = *char_(" \t");
// `Quý IV/2022`, `quý 4/2022`, `tháng 12/2022`. The number is taken liberally (Roman or
// digits for either word); the checker says what is wrong with `tháng IX/2022`.
inline const auto period_in_words = period_word >> blanks >> +char_("0-9IVXivx") >> blanks >>
                                    '/' >> blanks >> +digit;

// A date in words as the AST keeps it: no blanks around `/`, one space after the word.
inline std::string regular_blanks(const std::string& text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != ' ' && text[i] != '\t') {
      out += text[i];
      continue;
    }
    while (i + 1 < text.size() && (text[i + 1] == ' ' || text[i + 1] == '\t')) ++i;
    if (!out.empty() && out.back() != '/' && i + 1 < text.size() && text[i + 1] != '/') {
      out += ' ';
    }
  }
  return out;
}

struct reserved_symbols : x3::symbols<x3::unused_type> {
  reserved_symbols() {
    for (const std::string& word : reserved_words()) add(word);
  }
};
inline const reserved_symbols reserved_symbol_table;
// A reserved word standing alone, so that `rate >= by 2022` says an expression is
// missing instead of reading `by` as an indicator.
inline const auto reserved_word = lexeme[reserved_symbol_table >> !idchar];

// Words that start a test line; a test's lists of names stop at them. (Not every
// reserved word: `done` is a task state in `expect kho_du_lieu done`.)
inline const auto test_keyword =
    kw("unit") | kw("at") | kw("observe") | kw("status") | kw("expect");

struct escape_symbols : x3::symbols<char> {
  escape_symbols() { add("\"", '"')("\\", '\\')("n", '\n'); }
};
inline const escape_symbols escapes;

struct comparison_symbols : x3::symbols<std::string> {
  comparison_symbols() {
    add(">=", ">=")("<=", "<=")("\xE2\x89\xA5", ">=")("\xE2\x89\xA4", "<=")("==", "==")("!=", "!=")(
        ">", ">")("<", "<");
  }
};
inline const comparison_symbols comparison_ops;

// ---------------------------------------------------------------------------------------
// Rule IDs. Each annotates its node's position; name and string also enforce lengths.

struct name_class : annotate_position {
  template <typename Iterator, typename Context>
  void on_success(Iterator const& first, Iterator const& last, ast::Name& node,
                  Context const& context) const {
    annotate_position::on_success(first, last, node, context);
    if (node.text.size() > kMaxNameLength) {
      x3::get<parse_state_tag>(context).get().violations.push_back(
          {0, node.begin, node.text.size()});
    }
  }
};
struct string_class : annotate_position {
  template <typename Iterator, typename Context>
  void on_success(Iterator const& first, Iterator const& last, ast::StringLit& node,
                  Context const& context) const {
    annotate_position::on_success(first, last, node, context);
    if (node.value.size() > kMaxStringLength) {
      x3::get<parse_state_tag>(context).get().violations.push_back(
          {1, node.begin, node.value.size()});
    }
  }
};
struct string_body_class;
struct escape_class;
struct string_end_class;
struct number_class : annotate_position {};
struct signed_number_class : annotate_position {};
struct date_class : annotate_position {
  // A date in words keeps its author's spelling (`Quý IV/2022`, `quý 4/2022`, NFC or
  // NFD) with its blanks made regular, so that `tiendo fmt` writes it back stably.
  template <typename Iterator, typename Context>
  void on_success(Iterator const& first, Iterator const& last, ast::DateLit& node,
                  Context const& context) const {
    annotate_position::on_success(first, last, node, context);
    node.text = regular_blanks(node.text);
  }
};
struct duration_class : annotate_position {};
struct expr_class : annotate_position {};
struct term_class : annotate_position {};
struct term_operation_class : annotate_position {};
struct operation_class : annotate_position {};
struct operand_class : annotate_position {};
struct primary_class : annotate_position {};
struct unary_class : annotate_position {};
struct paren_class : annotate_position {};
struct call_class : annotate_position {};
struct comparison_class : annotate_position {};
struct condition_class : annotate_position {};
struct timing_class : annotate_position {};
struct require_class : annotate_position {};
struct label_class : annotate_position {};
struct range_class : annotate_position {};
struct strings_class : annotate_position {};
struct names_class : annotate_position {};
struct unknown_rest_class : annotate_position {};
struct clause_class : annotate_position {};
struct string_clause_class : annotate_position {};
struct name_clause_class : annotate_position {};
struct date_clause_class : annotate_position {};
struct duration_clause_class : annotate_position {};
struct require_clause_class : annotate_position {};
struct label_clause_class : annotate_position {};
struct range_clause_class : annotate_position {};
struct amend_class : annotate_position {};
struct amend_clause_class : annotate_position {};
struct unknown_clause_class : annotate_position {};
struct block_class : annotate_position {};
struct levels_class : annotate_position {};
struct include_class : annotate_position {};
struct test_name_class : annotate_position {};
struct test_unit_class : annotate_position {};
struct test_at_class : annotate_position {};
struct test_observe_class : annotate_position {};
struct test_status_class : annotate_position {};
struct test_expect_class : annotate_position {};
struct test_unknown_class : annotate_position {};
struct test_item_class : annotate_position {};
struct test_block_class : annotate_position {};
struct declaration_class : annotate_position {};
struct and_keyword_class;
struct range_dots_class;
struct level_names_class;
struct observe_names_class;
struct expect_names_class;

const x3::rule<name_class, ast::Name> name = "a name";
const x3::rule<string_body_class, std::string> string_body = "a string";
const x3::rule<escape_class, char> escape = "an escape (\\\", \\\\ or \\n)";
const x3::rule<string_end_class> string_end = "a closing quote";
const x3::rule<string_class, ast::StringLit> string_lit = "a string";
const x3::rule<number_class, ast::NumberLit> number = "a number";
const x3::rule<signed_number_class, ast::NumberLit> signed_number = "a number";
const x3::rule<date_class, ast::DateLit> date = "a date";
const x3::rule<duration_class, ast::DurationLit> duration = "a duration (such as 30d)";
const x3::rule<expr_class, ast::Expr> expr = "an expression";
const x3::rule<term_class, ast::Term> term = "an expression";
const x3::rule<term_operation_class, ast::TermOperation> term_operation = "an operation";
const x3::rule<operation_class, ast::Operation> operation = "an operation";
const x3::rule<operand_class, ast::Operand> operand = "a value";
const x3::rule<primary_class, ast::Operand> primary = "a value";
const x3::rule<unary_class, ast::Unary> unary = "a value";
const x3::rule<paren_class, ast::Paren> paren = "a parenthesised expression";
const x3::rule<call_class, ast::Call> call = "a function call";
const x3::rule<comparison_class, ast::Comparison> comparison = "a comparison";
const x3::rule<condition_class, ast::Condition> condition = "a condition";
const x3::rule<timing_class, ast::Timing> timing = "'by' or 'from'";
const x3::rule<require_class, ast::Require> require = "a condition";
const x3::rule<label_class, ast::Label> label = "a label (NAME = \"value\")";
const x3::rule<range_class, ast::Range> range = "a range (such as 0% .. 100%)";
const x3::rule<strings_class, ast::Strings> strings = "a string";
const x3::rule<names_class, ast::Names> names = "a name";
const x3::rule<unknown_rest_class, ast::UnknownClause> unknown_rest = "the rest of the line";
const x3::rule<string_clause_class, ast::Clause> string_clause = "a clause";
const x3::rule<name_clause_class, ast::Clause> name_clause = "a clause";
const x3::rule<date_clause_class, ast::Clause> date_clause = "a clause";
const x3::rule<duration_clause_class, ast::Clause> duration_clause = "a clause";
const x3::rule<require_clause_class, ast::Clause> require_clause = "a clause";
const x3::rule<label_clause_class, ast::Clause> label_clause = "a clause";
const x3::rule<range_clause_class, ast::Clause> range_clause = "a clause";
const x3::rule<amend_class, ast::Amend> amend = "'from' and a date";
const x3::rule<amend_clause_class, ast::Clause> amend_clause = "a clause";
const x3::rule<unknown_clause_class, ast::Clause> unknown_clause = "a clause";
const x3::rule<clause_class, ast::Clause> clause = "a clause";
const x3::rule<block_class, ast::Block> block = "a block";
const x3::rule<levels_class, ast::Levels> levels = "levels";
const x3::rule<include_class, ast::Include> include = "an include";
const x3::rule<test_name_class, ast::Name> test_name = "a name";
const x3::rule<test_unit_class, ast::TestUnit> test_unit = "a unit line";
const x3::rule<test_at_class, ast::TestAt> test_at = "an at line";
const x3::rule<test_observe_class, ast::TestObserve> test_observe = "an observe line";
const x3::rule<test_status_class, ast::TestStatus> test_status = "a status line";
const x3::rule<test_expect_class, ast::TestExpect> test_expect = "an expect line";
const x3::rule<test_unknown_class, ast::TestUnknown> test_unknown = "a test line";
const x3::rule<test_item_class, ast::TestItem> test_item = "a test line";
const x3::rule<test_block_class, ast::TestBlock> test_block = "a test";
const declaration_type declaration = "a declaration";
const x3::rule<and_keyword_class> and_keyword = "'and'";
const x3::rule<range_dots_class> range_dots = "'..'";
const x3::rule<level_names_class, ast::Names> level_names = "a level name";
const x3::rule<observe_names_class, ast::Names> observe_names = "an indicator name";
const x3::rule<expect_names_class, ast::Names> expect_names = "a rule name and a state";

// ---------------------------------------------------------------------------------------
// Literals.

const auto name_def = into<&ast::Name::text>[identifier];

const auto escape_def = escapes;
const auto string_end_def = lit('"');
const auto string_body_def = lexeme['"' > *(('\\' > escape) | ~char_("\"\\\n")) > string_end];
const auto string_lit_def = into<&ast::StringLit::value>[string_body];

const auto digits = +digit;
// Digits with `.` or `,` between them: a number as the language writes it (`77.62`), or as
// documents do (`99,5`, `3.103.499`), which the checker refuses with the spelling to use.
// A comma before a duration separates arguments: `change(x,90d)`.
const auto fraction_or_group = char_(".,") >> digits >> !char_("a-zA-Z_");
const auto number_def = lexeme[raw[digits >> *fraction_or_group] >> x3::matches['%']];
const auto signed_number_def =
    lexeme[raw[-lit('-') >> digits >> *fraction_or_group] >> x3::matches['%']];

// Liberal shapes here; the checker validates ranges and says what is wrong.
const auto date_def =
    into<&ast::DateLit::text>[lexeme[raw[(period_in_words | (lit('Q') >> digits >> '/' >> digits) |
                                          (digits >> '/' >> digits >> -('/' >> digits)) |
                                          (digits >> '-' >>
                                           ((lit('Q') >> digits) | (digits >> -('-' >> digits)))) |
                                          digits) >>
                                         !idchar]]];

const auto duration_def =
    into<&ast::DurationLit::text>[lexeme[raw[digits >> +char_("a-zA-Z") >> !idchar]]];

// ---------------------------------------------------------------------------------------
// Expressions: condition > additive > multiplicative > unary > primary.

const auto expr_def = term >> *term_operation;
const auto term_operation_def = (char_('+') | char_('-')) > term;
const auto term_def = operand >> *operation;
const auto operation_def = (char_('*') | char_('/')) > operand;
const auto operand_def = unary | primary;
const auto unary_def = depth_limited[char_('-') > operand];
const auto primary_def = duration | number | call | (!reserved_word >> name) | paren;
const auto call_def = depth_limited[(name >> '(') > -(condition % ',') > ')'];
const auto paren_def = depth_limited[into<&ast::Paren::inner>['(' > expr > ')']];

const auto comparison_def = ((comparison_ops > expr) >> attr(std::optional<ast::Expr>())) |
                            (kws("between") > expr > and_keyword > expr);
const auto condition_def = expr >> -comparison;

const auto timing_def = (kws("by") | kws("from")) > date;
const auto require_def = condition >> -timing >> -((kw("for") >> kw("each")) > name);
const auto label_def = name > '=' > string_lit;
const auto range_def = signed_number > range_dots > signed_number;
const auto range_dots_def = lit("..");
const auto and_keyword_def = kw("and");

// ---------------------------------------------------------------------------------------
// Clauses. One grammar for every block; the checker says which clause belongs where.

const auto strings_def = string_lit % ',';
const auto names_def = name % ',';
const auto unknown_rest_def = into<&ast::UnknownClause::text>[x3::no_skip[raw[*~char_("\n}#")]]];

const auto string_keyword = kws("title") | kws("owner") | kws("code") | kws("message") |
                            kws("email") | kws("webhook") | kws("alertmanager") |
                            (omit[kw("secret") >> kw("env")] >> attr(std::string("secret env")));
// `units` before `unit`: a keyword that fails on the letter after it has already written
// itself into the attribute, so no keyword may come before a longer one it begins.
const auto name_keyword = kws("units") | kws("unit") | kws("basis") | kws("implements") |
                          kws("part_of") | kws("after") | kws("needs") | kws("notify") |
                          kws("severity") | kws("format") | kws("send_resolved") | kws("level") |
                          kws("language");
const auto date_keyword = kws("issued") | kws("due") | kws("starts");
const auto duration_keyword =
    (omit[kw("stale") >> kw("after")] >> attr(std::string("stale after"))) |
    (omit[kw("warn") >> kw("within")] >> attr(std::string("warn within"))) |
    (omit[kw("repeat") >> kw("every")] >> attr(std::string("repeat every"))) | kws("duration") |
    kws("for");

const auto string_clause_def = string_keyword > strings;
const auto name_clause_def = name_keyword > names;
const auto date_clause_def = date_keyword > date;
const auto duration_clause_def = duration_keyword > duration;
const auto require_clause_def = kws("require") > require;
// `label NAME = "value"` on rules, indicators, plans and tasks; `label "x"` in a set.
const auto label_clause_def = kws("label") > (strings | label);
const auto range_clause_def = kws("range") > range;
// `amend from D { clauses }`: any clause parses inside; the checker says which belong.
const auto amend_def = kw("from") > date > '{' > *clause > '}';
const auto amend_clause_def = kws("amend") > amend;
const auto unknown_clause_def = !declaration_keyword >> unknown_word >> unknown_rest;
const auto clause_def = string_clause | name_clause | date_clause | duration_clause |
                        require_clause | label_clause | range_clause | amend_clause |
                        unknown_clause;

const auto block_kind =
    kws("indicator") | kws("plan") | kws("task") | kws("channel") | kws("rule") | kws("set");
const auto block_def = block_kind > name > '{' > *clause > '}';

const auto level_names_def = name % '>';
const auto levels_def = into<&ast::Levels::names>[kw("levels") > level_names];
const auto include_def = into<&ast::Include::path>[kw("include") > string_lit];

// ---------------------------------------------------------------------------------------
// Tests.

// `Q3/2022` starts like a name; a name followed by `/` is the period, and so is a
// period's word (`Quý III/2022`, whose `Qu` would otherwise read as a name).
const auto test_name_def = !test_keyword >> !lexeme[period_word] >> name >> !lit('/');
const auto test_unit_def = kw("unit") > name > name > string_lit > -(kw("in") > name) >
                           -(kw("label") > strings);
const auto test_at_def = into<&ast::TestAt::date>[kw("at") > date];
const auto observe_names_def = x3::repeat(1, 2)[test_name];
// The optional third name must be on the same line, so that a misspelt next line is not
// read as part of this one.
const auto expect_names_def = test_name >> test_name >>
                              -(omit[x3::no_skip[+char_(" \t") >> !char_("\r\n#")]] >> test_name);
const auto test_observe_def = kw("observe") > observe_names > date > '=' > signed_number;
const auto test_status_def = kw("status") > name > name > date > -number;
const auto test_expect_def = into<&ast::TestExpect::names>[kw("expect") > expect_names];
const auto test_unknown_def =
    !declaration_keyword >> unknown_word >> x3::no_skip[raw[*~char_("\n}#")]];
const auto test_item_def =
    test_unit | test_at | test_observe | test_status | test_expect | test_unknown;
const auto test_block_def = kw("test") > string_lit > '{' > *test_item > '}';

const auto declaration_def = include | levels | block | test_block;

BOOST_SPIRIT_DEFINE(identifier, name, escape, string_end, string_body, string_lit, number,
                    signed_number, date, duration, expr, term, term_operation, operation, operand,
                    primary, unary, paren, call, comparison, condition, timing, require, label,
                    range, strings, names, unknown_rest, string_clause, name_clause, date_clause,
                    duration_clause, require_clause, label_clause, range_clause, amend,
                    amend_clause, unknown_clause, clause, block, levels, include, test_name,
                    test_unit, test_at, test_observe, test_status, test_expect, test_unknown,
                    test_item, test_block, declaration, and_keyword, range_dots, level_names,
                    observe_names, expect_names)

}  // namespace tiendo::dsl::parser

// Table-driven tests of the checker: each rejected input names the code, the place and
// the gist of the message; accepted inputs check cleanly into the expected model.
#include "dsl/check.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <limits>

#include "store/values.hpp"
#include "util/text.hpp"

namespace tiendo::dsl {
namespace {

// A small valid rule set every case builds on.
constexpr const char* kPrelude = R"(levels province > district > commune
indicator rate { title "Tỷ lệ" unit percent }
indicator teams { unit count }
indicator revenue { unit number }
indicator retail { unit number }
plan P { code "1/KH" }
task t1 { part_of P due 2022-12-31 }
task t2 { after t1 due 2022-12-31 }
channel default { email "a@b.vn" }
)";

struct Checked {
  Program program;
  std::optional<model::RuleSet> rules;
};

Checked check_text(const std::string& text) {
  Checked checked{load_text("case.rules", text), std::nullopt};
  checked.rules = check(checked.program);
  return checked;
}

std::string describe(const Checked& checked) {
  std::string out;
  for (const Diagnostic& d : checked.program.diagnostics.all()) {
    out += render(d, checked.program.sources);
  }
  return out;
}

struct Rejected {
  const char* name;
  std::string body;  // appended to the prelude
  Code code;
  const char* message;  // a substring of the message
  std::uint32_t line;   // line in the body (1-based)
  std::uint32_t column;
};

class RejectedTest : public testing::TestWithParam<Rejected> {};

TEST_P(RejectedTest, ReportsTheMistakeWhereItIs) {
  const Rejected& c = GetParam();
  const Checked checked = check_text(std::string(kPrelude) + c.body);
  EXPECT_FALSE(checked.rules.has_value());
  const auto& all = checked.program.diagnostics.all();
  const auto found = std::find_if(all.begin(), all.end(), [&](const Diagnostic& d) {
    return d.code == c.code && d.message.find(c.message) != std::string::npos;
  });
  ASSERT_NE(found, all.end()) << "expected " << code_id(c.code) << " '" << c.message << "', got:\n"
                              << describe(checked);
  const std::uint32_t prelude_lines = 9;
  const LineColumn lc =
      checked.program.sources.line_column(found->location.file, found->location.offset);
  EXPECT_EQ(lc.line, prelude_lines + c.line) << describe(checked);
  EXPECT_EQ(lc.column, c.column) << describe(checked);
}

const Rejected kRejected[] = {
    {"UndefinedIndicator", "rule r { require rat >= 50% }\n", Code::undefined_name,
     "undefined indicator 'rat'; did you mean 'rate'?", 1, 18},
    {"UndefinedTaskInNeeds", "rule r { require rate >= 50% needs t3x }\n", Code::undefined_name,
     "undefined task 't3x'", 1, 36},
    {"WrongKindOfName", "rule r { require t1 >= 1 }\n", Code::undefined_name,
     "'t1' is a task, not an indicator; use done(t1)", 1, 18},
    {"UndefinedChannel", "rule r { require rate >= 5% notify defualt }\n", Code::undefined_name,
     "did you mean 'default'?", 1, 36},
    {"UndefinedLevel", "rule r { require rate >= 5% for each distrct }\n", Code::undefined_name,
     "undefined level or set 'distrct'; did you mean 'district'?", 1, 38},
    {"UndefinedPlan", "plan Q { implements PP }\n", Code::undefined_name, "undefined plan 'PP'", 1,
     21},
    {"DuplicateDeclaration", "indicator rate { unit percent }\n", Code::duplicate_declaration,
     "'rate' is declared twice", 1, 11},
    {"DuplicateAcrossKinds", "task rate { due 2022 }\n", Code::duplicate_declaration,
     "first as an indicator", 1, 6},
    {"ReservedWordAsName", "indicator count { unit count }\n", Code::reserved_name,
     "'count' is a reserved word", 1, 11},
    {"PercentAgainstBareNumber", "rule r { require rate >= 50 }\n", Code::unit_mismatch,
     "write 50%", 1, 26},
    {"CountAgainstPercent", "rule r { require teams >= 50% }\n", Code::unit_mismatch,
     "cannot compare 'teams' (a count) with '50%' (a percent)", 1, 18},
    {"DivisionSuggestsRatio", "rule r { require revenue / retail >= 7% }\n", Code::unit_mismatch,
     "ratio(a, b) gives a percent", 1, 18},
    {"AddPercentAndCount", "rule r { require rate + teams >= 1% }\n", Code::unit_mismatch,
     "cannot add a percent and a count", 1, 23},
    {"ImpossibleDate", "rule r { require rate >= 5% by 2022-02-30 }\n", Code::invalid_date,
     "February 2022 has 28 days", 1, 32},
    {"ImpossibleDayFirstDate", "task t3 { due 31/4/2022 }\n", Code::invalid_date,
     "April 2022 has 30 days", 1, 15},
    {"ImpossibleQuarter", "rule r { require rate >= 5% by Q5/2022 }\n", Code::invalid_date,
     "quarters are Q1 to Q4", 1, 32},
    {"ImpossibleMonth", "task t3 { due 2022-13 }\n", Code::invalid_date, "no month 13", 1, 15},
    {"UnknownDurationUnit", "task t3 { duration 30x }\n", Code::invalid_duration,
     "unknown duration unit 'x'", 1, 20},
    {"ZeroDuration", "indicator z { unit count stale after 0d }\n", Code::invalid_duration,
     "at least 1", 1, 38},
    {"RuleWithoutRequire", "rule r { title \"x\" }\n", Code::missing_clause,
     "rule 'r' has no require clause", 1, 6},
    {"RuleWithTwoRequires", "rule r { require rate >= 5%\n require rate <= 9% }\n",
     Code::duplicate_clause, "second require clause", 2, 2},
    {"UnknownClause", "rule r { require rate >= 5% severty critical }\n", Code::unknown_clause,
     "unknown clause 'severty' in rule 'r'; did you mean 'severity'?", 1, 29},
    {"ClauseOfAnotherBlock", "indicator z { unit count due 2022 }\n", Code::unknown_clause,
     "'due' is not a clause of an indicator", 1, 26},
    {"RequireWithoutComparison", "rule r { require rate by 2022 }\n", Code::invalid_value,
     "needs a comparison", 1, 18},
    {"UnknownSeverity", "rule r { require rate >= 5% severity high }\n", Code::invalid_value,
     "unknown severity 'high'", 1, 38},
    {"IndicatorWithoutUnit", "indicator z { title \"z\" }\n", Code::missing_clause, "has no unit",
     1, 11},
    {"UnknownUnit", "indicator z { unit percentage }\n", Code::invalid_value,
     "unknown unit 'percentage'", 1, 20},
    {"ChannelWithoutDestination", "channel c { send_resolved false }\n", Code::missing_clause,
     "has no destination", 1, 9},
    {"ChannelWithTwoKinds", "channel c { email \"x@y.vn\" webhook \"http://h/x\" }\n",
     Code::invalid_value, "more than one destination kind", 1, 9},
    {"BadEmail", "channel c { email \"not-an-address\" }\n", Code::invalid_value,
     "is not an email address", 1, 19},
    {"BadWebhookUrl", "channel c { webhook \"ftp://h\" }\n", Code::invalid_value,
     "is not an http:// or https:// URL", 1, 21},
    {"SecretOnEmail", "channel c { email \"x@y.vn\" secret env \"S\" }\n", Code::invalid_value,
     "only to a webhook", 1, 28},
    {"UnknownFunction", "rule r { require summ(rate, district) >= 5% }\n", Code::unknown_function,
     "did you mean 'sum'?", 1, 18},
    {"WrongArity", "rule r { require ratio(revenue) >= 5% }\n", Code::wrong_arguments,
     "ratio() takes two indicators", 1, 18},
    {"ShareNeedsCondition", "rule r { require share(commune, teams) >= 5% }\n",
     Code::wrong_arguments, "must be a condition", 1, 33},
    {"ChangeNeedsDuration", "rule r { require change(rate, 5) >= 1% }\n", Code::wrong_arguments,
     "must be a duration", 1, 31},
    {"DurationOutsideChange", "rule r { require rate >= 30d }\n", Code::wrong_arguments,
     "only be the second argument of change()", 1, 26},
    {"AggregateAboveScope", "rule r { require sum(teams, province) >= 1 for each district }\n",
     Code::level_order, "must be below", 1, 29},
    {"UnknownPlaceholder", "rule r { require rate >= 5% message \"{title} {valeu}\" }\n",
     Code::unknown_placeholder, "did you mean '{value}'?", 1, 46},
    {"TaskCycle", "task a { after b }\ntask b { after c }\ntask c { after a }\n", Code::graph_cycle,
     "a \u2192 b \u2192 c \u2192 a", 1, 6},
    {"PlanCycle", "plan A { implements B }\nplan B { implements A }\n", Code::graph_cycle,
     "A \u2192 B \u2192 A", 1, 6},
    {"DuplicateLabel", "rule r { require rate >= 5% label g = \"a\"\n label g = \"b\" }\n",
     Code::duplicate_clause, "label 'g' is given twice", 2, 8},
    {"TestUnknownState", "rule r { require rate >= 5% }\ntest \"x\" { at 2022 expect r mett }\n",
     Code::invalid_value, "did you mean 'met'?", 2, 29},
    {"TestWithoutAt", "rule r { require rate >= 5% }\ntest \"x\" { expect r met }\n",
     Code::missing_clause, "has no `at` date", 2, 6},
    {"TestPercentValueWithoutPercent", "test \"x\" { at 2022 observe rate 2022-Q3 = 9.23 }\n",
     Code::unit_mismatch, "write 9.23%", 1, 43},
    {"TestUnknownUnit",
     "test \"x\" { unit dn province \"ĐN\" at 2022 observe dx rate 2022 = 1% }\n",
     Code::undefined_name, "undefined unit 'dx'", 1, 50},
    {"SyntaxErrorNamesWhatWasExpected", "rule r { require rate >= }\n", Code::syntax,
     "expected an expression, found '}'", 1, 26},
    {"UnterminatedString", "indicator z { title \"abc\n unit count }\n", Code::syntax,
     "unterminated string", 1, 25},
    {"UnknownDeclaration", "indicatr z { unit count }\n", Code::syntax, "did you mean 'indicator'?",
     1, 1},
    {"BadEscape", "indicator z { title \"a\\tb\" unit count }\n", Code::syntax,
     "expected an escape", 1, 24},
    {"RangeLowAboveHigh", "indicator z { unit percent range 100% .. 0% }\n", Code::invalid_value,
     "the range 100% .. 0% is empty: its low end is above its high end; write range 0% .. "
     "100%",
     1, 34},
    {"RangeBareNumberOnAPercent", "indicator z { unit percent range -100% .. 500 }\n",
     Code::unit_mismatch, "'z' is a percent indicator; write 500%", 1, 43},
    {"RangePercentOnACount", "indicator z { unit count range 0% .. 100% }\n", Code::unit_mismatch,
     "'z' is a count, not a percent; write 0", 1, 32},
    {"RangeNegativeCount", "indicator z { unit count range -5 .. 100 }\n", Code::invalid_value,
     "a count is never negative", 1, 32},
    {"RangeFractionalCount", "indicator z { unit count range 0 .. 99.5 }\n", Code::invalid_value,
     "99.5 is not a whole number, and a count's values are", 1, 37},
    {"RangeBeyondTheTypoLimit", "indicator z { unit percent range 0% .. 5000% }\n",
     Code::invalid_value, "5000% is beyond 1000%, which ingest takes for a typo", 1, 40},
    {"RangeOnARule", "rule r { require rate >= 5% range 0% .. 100% }\n", Code::unknown_clause,
     "'range' is not a clause of a rule", 1, 29},
    {"RangeTwice", "indicator z { unit count range 0 .. 9\n range 0 .. 10 }\n",
     Code::duplicate_clause, "'range' is given twice in indicator 'z'", 2, 2},
    {"RangeWithoutItsHighEnd", "indicator z { unit count range 0 }\n", Code::syntax,
     "expected '..', found '}'", 1, 34},
    {"RangeAsAName", "indicator range { unit count }\n", Code::reserved_name,
     "'range' is a reserved word", 1, 11},
    {"TestObservesOutsideTheNaturalRange", "test \"x\" { at 2022 observe rate 2022-Q3 = -9.23% }\n",
     Code::invalid_value,
     "-9.23% is outside the range of 'rate', 0% .. 100% as for every percent; ingest would "
     "refuse it (a `range` clause in the indicator allows others)",
     1, 43},
    {"TestObservesOutsideTheDeclaredRange",
     "indicator z { unit number range 0 .. 10 }\ntest \"x\" { at 2022 observe z 2022 = 11 }\n",
     Code::invalid_value, "11 is outside the range of 'z', 0 .. 10; ingest would refuse it", 2, 37},
    {"TestObservesAFractionalCount", "test \"x\" { at 2022 observe teams 2022 = 1.5 }\n",
     Code::invalid_value, "1.5 is not a whole number, and 'teams' is a count", 1, 41},
    // Numbers as documents write them: the spelling a rules file uses, at the literal.
    {"DecimalCommaInATarget", "rule r { require rate >= 99,5% }\n", Code::invalid_number,
     "'99,5%' has a decimal comma; write 99.5% (rules files use a decimal point)", 1, 26},
    {"DecimalCommaInATestObservation", "test \"x\" { at 2022 observe rate 2022-Q3 = 9,23% }\n",
     Code::invalid_number, "'9,23%' has a decimal comma; write 9.23%", 1, 43},
    {"DecimalCommaInARange", "indicator z { unit percent range 0% .. 99,5% }\n",
     Code::invalid_number, "write 99.5%", 1, 40},
    {"DecimalCommaInAProgress", "test \"x\" { at 2022 status t1 in_progress 2022-07-01 40,5% }\n",
     Code::invalid_number, "write 40.5%", 1, 53},
    {"ThousandsSeparatorsInATarget", "rule r { require teams >= 3.103.499 }\n",
     Code::invalid_number, "'3.103.499' has thousands separators; write 3103499", 1, 27},
    {"ThousandsAndADecimalComma", "rule r { require revenue >= 1.234,5 }\n", Code::invalid_number,
     "'1.234,5' has a decimal comma; write 1234.5 (rules files use a decimal point and no "
     "thousands separator)",
     1, 29},
    {"ACommaThatMaySeparateThousands", "rule r { require teams >= 1,000 }\n", Code::invalid_number,
     "'1,000' has a comma; write 1.000 if it is a decimal comma, or 1000 if it separates "
     "thousands",
     1, 27},
    {"SeveralDecimalPoints", "rule r { require revenue >= 1.2.3 }\n", Code::invalid_number,
     "'1.2.3' is not a number; write digits with at most one decimal point", 1, 29},
    // Dates as documents write them: what is wrong with one, where it stands.
    {"QuarterInWordsBeyondIV", "task d { due Quý V/2022 }\n", Code::invalid_date,
     "'Quý V/2022' is not a quarter: quarters are I to IV (or 1 to 4)", 1, 14},
    {"MonthInWordsWithARomanNumber", "task d { due tháng IX/2022 }\n", Code::invalid_date,
     "'tháng IX/2022' is not a month; write tháng 9/2022", 1, 14},
    {"MonthInWordsThirteen", "rule r { require rate >= 5% by tháng 13/2022 }\n", Code::invalid_date,
     "'tháng 13/2022' is not a month: there is no month 13", 1, 32},
    {"QuarterInWordsYearOutOfRange", "test \"x\" { at Quý III/1800 }\n", Code::invalid_date,
     "the year 1800 is outside 1900..2200", 1, 15},
    // Unaccented, the words are names, and a name is not a date.
    {"UnaccentedQuarterWordIsNotADate", "task d { due Quy IV/2022 }\n", Code::syntax,
     "expected a date, found 'Quy'", 1, 14},
    // Regression: the error quoted 'Qu', the word cut where its first non-ASCII letter
    // begins.
    {"SyntaxErrorQuotesTheWholeVietnameseWord", "task d { due Quý }\n", Code::syntax,
     "expected a date, found 'Quý'", 1, 14},
    {"UnknownClauseNamesTheWholeWord", "rule r { require rate >= 5% tiêu_đề \"x\" }\n",
     Code::unknown_clause, "unknown clause 'tiêu_đề' in rule 'r'", 1, 29},
    {"StartsIsReserved", "task starts { due 2022 }\n", Code::reserved_name,
     "'starts' is a reserved word", 1, 6},
    {"StartsTwice", "task d { starts 2022-10 starts 2022-11 due 2022 }\n", Code::duplicate_clause,
     "'starts' is given twice in task 'd'", 1, 25},
    {"StartsOnARule", "rule r { require rate >= 5% starts 2022 }\n", Code::unknown_clause,
     "'starts' is not a clause of a rule", 1, 29},
    // Issue #16: a basis names declared plans.
    {"BasisNamesAnUndeclaredPlan", "rule r { require rate >= 5% basis PP }\n", Code::undefined_name,
     "undefined plan 'PP'", 1, 35},
    {"BasisNamesATask", "rule r { require rate >= 5% basis t1 }\n", Code::undefined_name,
     "'t1' is a task, not a plan", 1, 35},
    // Issue #16: `amend from D { require ... basis ... }` and a channel's language.
    {"AmendWithoutRequire", "rule r { require rate >= 5% amend from 2022-10 { basis P } }\n",
     Code::missing_clause, "this amend of rule 'r' has no require clause", 1, 29},
    {"AmendTakesRequireAndBasis",
     "rule r { require rate >= 5% amend from 2022-10 { require rate >= 4% title \"x\" } }\n",
     Code::unknown_clause, "'title' is not a clause of an amend (an amend takes: require, basis)",
     1, 69},
    {"AmendTwiceOnOneDate",
     "rule r { require rate >= 5% amend from 2022-10-01 { require rate >= 4% } amend from "
     "01/10/2022 { require rate >= 3% } }\n",
     Code::duplicate_clause, "rule 'r' is amended twice from 2022-10-01", 1, 74},
    {"AmendKeepsWhereTheRuleApplies",
     "rule r { require rate >= 5% for each district amend from 2022-10 { require rate >= 4% "
     "for each commune } }\n",
     Code::invalid_value,
     "an amend changes the target, not where it applies: leave `for each` out, or write `for "
     "each district` as the rule does",
     1, 96},
    {"AmendKeepsTheRootUnit",
     "rule r { require rate >= 5% amend from 2022-10 { require rate >= 4% for each commune } }\n",
     Code::invalid_value, "the rule applies at the root unit; leave `for each` out", 1, 78},
    {"AmendBasisNamesAnUndeclaredPlan",
     "rule r { require rate >= 5% amend from 2022-10 { require rate >= 4% basis PQ } }\n",
     Code::undefined_name, "undefined plan 'PQ'; did you mean 'P'?", 1, 75},
    {"AmendTwoRequires",
     "rule r { require rate >= 5% amend from 2022-10 { require rate >= 4% require rate >= 3% } "
     "}\n",
     Code::duplicate_clause, "an amend of rule 'r' has a second require clause", 1, 69},
    {"AmendInAnIndicator", "indicator i { unit count amend from 2022 { require rate >= 4% } }\n",
     Code::unknown_clause, "'amend' is not a clause of an indicator", 1, 26},
    {"AmendWithoutFrom", "rule r { require rate >= 5% amend 2022-10 { require rate >= 4% } }\n",
     Code::syntax, "expected 'from' and a date", 1, 35},
    {"AmendOfAnImpossibleDate",
     "rule r { require rate >= 5% amend from 31/02/2022 { require rate >= 4% } }\n",
     Code::invalid_date, "", 1, 40},
    {"LanguageUnknown", "channel c { email \"a@b.vn\" language fr }\n", Code::invalid_value,
     "unknown language 'fr'; use vi or en", 1, 37},
    {"LanguageMisspelt", "channel c { email \"a@b.vn\" language vn }\n", Code::invalid_value,
     "unknown language 'vn'; did you mean 'vi'? (vi or en)", 1, 37},
    {"LanguageOnARule", "rule r { require rate >= 5% language en }\n", Code::unknown_clause,
     "'language' is not a clause of a rule", 1, 29},
    {"LanguageIsReserved", "indicator language { unit count }\n", Code::reserved_name,
     "'language' is a reserved word", 1, 11},
    // Sets (issue #12): by ids or by level and label, never both, never empty.
    {"SetWithUnitsAndLevel", "set s { units a, b level commune }\n", Code::invalid_value,
     "set 's' names its units by id and by level; give `units` or `level`, not both", 1, 20},
    {"SetWithoutMembers", "set s { title \"x\" }\n", Code::invalid_value, "set 's' has no members",
     1, 5},
    {"SetLabelWithUnits", "set s { units a label \"x\" }\n", Code::invalid_value,
     "`label` selects units of a level; set 's' names its units by id", 1, 17},
    {"SetUnitTwice", "set s { units a, a }\n", Code::duplicate_clause,
     "unit 'a' is named twice in set 's'", 1, 18},
    {"SetOfAnUndefinedLevel", "set s { level comune }\n", Code::undefined_name,
     "undefined level 'comune'; did you mean 'commune'?", 1, 15},
    {"SetLabelAsNameAndValue", "set s { level commune label k = \"x\" }\n", Code::invalid_value,
     "'label' takes one string", 1, 23},
    {"SetLabelWithASemicolon", "set s { level commune label \"a;b\" }\n", Code::invalid_value,
     "a label is a non-empty word without ';'", 1, 23},
    {"RuleLabelWithoutAName", "rule r { require rate >= 5% label \"x\" }\n", Code::invalid_value,
     "a label here is `label NAME = \"value\"`", 1, 29},
    {"ForEachNamesATask", "rule r { require rate >= 5% for each t1 }\n", Code::undefined_name,
     "'t1' is a task, not a level or a set", 1, 38},
    {"SetIsReserved", "indicator set { unit count }\n", Code::reserved_name,
     "'set' is a reserved word", 1, 11},
    // Several chains: levels are ordered within one.
    {"LevelOrderWithinASecondChain",
     "levels agency > office\nrule r { require sum(teams, agency) >= 1 for each office }\n",
     Code::level_order, "sum() over 'agency' at each 'office'", 2, 29},
    {"LevelDeclaredInTwoChains", "levels district\n", Code::duplicate_declaration,
     "'district' is declared twice", 1, 8},
    // A test's units may not loop through parents of another chain either.
    {"TestUnitsInALoopAcrossChains",
     "levels agency\ntest \"t\" {\n unit a agency \"A\" in p\n unit p province \"P\" in a\n at "
     "2022\n}\n",
     Code::level_order, "unit 'a' is its own ancestor through its parents", 3, 23},
    {"TestUnitWithAnEmptyLabel", "test \"t\" {\n unit p province \"P\" label \"\"\n at 2022\n}\n",
     Code::invalid_value, "a label is a non-empty word without ';'", 2, 28},
};

INSTANTIATE_TEST_SUITE_P(Check, RejectedTest, testing::ValuesIn(kRejected),
                         [](const testing::TestParamInfo<Rejected>& param) {
                           return std::string(param.param.name);
                         });

TEST(Check, AcceptsThePrelude) {
  const Checked checked = check_text(kPrelude);
  ASSERT_TRUE(checked.rules.has_value()) << describe(checked);
  EXPECT_TRUE(checked.program.diagnostics.empty()) << describe(checked);
  const model::RuleSet& rules = *checked.rules;
  EXPECT_EQ(rules.levels.size(), 3u);
  EXPECT_EQ(rules.find_task("t2"), 1);
  EXPECT_EQ(rules.tasks[1].after, std::vector<model::Index>{0});
  EXPECT_EQ(rules.graph.task_order, (std::vector<std::int32_t>{0, 1}));
}

// A rule may name an indicator declared further down, or in a file included after it:
// the indicator's unit of measure is its own there too, not the default "number" (the
// units of a rule were checked before the blocks below it were read).
TEST(Check, ARuleSeesTheUnitOfAnIndicatorDeclaredAfterIt) {
  const Checked checked = check_text(R"(levels province
rule r { require later >= 50% }
rule s { require later_count >= 3 }
indicator later { title "Tỷ lệ" unit percent }
indicator later_count { unit count }
)");
  ASSERT_TRUE(checked.rules.has_value()) << describe(checked);
  EXPECT_TRUE(checked.program.diagnostics.empty()) << describe(checked);
}

TEST(Check, ResolvesARuleIntoTheModel) {
  const Checked checked = check_text(std::string(kPrelude) + R"(
rule r {
  title "Tỷ lệ đạt 50%"
  require rate >= 50% by Q3/2022 for each district
  needs t2
  severity warning
  warn within 60d
  repeat every 2w
  label group = "Hạ tầng số"
  message "{title}: {value}"
}
)");
  ASSERT_TRUE(checked.rules.has_value()) << describe(checked);
  const model::Rule& rule = checked.rules->rules.at(0);
  EXPECT_EQ(rule.title, "Tỷ lệ đạt 50%");
  EXPECT_EQ(rule.timing, model::Timing::by);
  EXPECT_EQ(model::to_string(rule.date), "2022-09-30");
  EXPECT_EQ(rule.for_each, model::Scope::of_level(1));
  EXPECT_EQ(rule.needs, std::vector<model::Index>{1});
  EXPECT_EQ(rule.severity, model::Severity::warning);
  EXPECT_EQ(rule.repeat_every, (model::Duration{2, model::Duration::Unit::week}));
  EXPECT_EQ(rule.notify, std::vector<model::Index>{0});  // the `default` channel
  EXPECT_EQ(rule.labels.at(0).second, "Hạ tầng số");
  EXPECT_EQ(rule.indicators, std::vector<model::Index>{0});
  const model::Condition& condition = checked.rules->conditions.at(rule.condition);
  EXPECT_EQ(condition.op, model::Comparator::ge);
  EXPECT_DOUBLE_EQ(checked.rules->expressions.at(condition.rhs).value, 0.5);
}

// Issue #16: amendments are versions of the rule in date order, whatever the order
// written; one without its own basis keeps the rule's; everything else is the rule's.
TEST(Check, ResolvesAmendmentsIntoVersions) {
  const Checked checked = check_text(std::string(kPrelude) + R"(plan Q { code "2/QĐ" }
rule r {
  title "Tỷ lệ"
  require rate >= 50% by 2022 for each district
  basis P
  severity warning
  amend from 01/12/2022 {
    require rate >= 20% by 2023
  }
  amend from Quý IV/2022 {  # the quarter's first day
    require rate >= 30% by 2022 for each district
    basis Q, P
  }
}
)");
  ASSERT_TRUE(checked.rules.has_value()) << describe(checked);
  EXPECT_TRUE(checked.program.diagnostics.empty()) << describe(checked);
  const model::RuleSet& rules = *checked.rules;
  const model::Rule& rule = rules.rules.at(0);
  ASSERT_EQ(rule.amendments.size(), 2u);
  EXPECT_EQ(model::to_string(rule.amendments[0].from), "2022-10-01");
  EXPECT_EQ(model::to_string(rule.amendments[1].from), "2022-12-01");
  EXPECT_EQ(rule.amendments[0].source.line, 19u);
  ASSERT_EQ(rules.versions.size(), 2u);
  const model::Rule& october = rules.version(0, 1);
  const model::Rule& december = rules.version(0, 2);
  EXPECT_EQ(october.version, 1);
  EXPECT_EQ(december.version, 2);
  EXPECT_EQ(october.condition_text, "rate >= 30% by 2022 for each district");
  EXPECT_EQ(october.basis, (std::vector<model::Index>{1, 0}));
  EXPECT_EQ(december.basis, std::vector<model::Index>{0});  // the rule's own
  EXPECT_EQ(model::to_string(december.date), "2023-12-31");
  EXPECT_EQ(december.severity, model::Severity::warning);
  EXPECT_EQ(december.for_each, rule.for_each);  // no `for each`: where the rule applies
  EXPECT_EQ(december.title, "Tỷ lệ");
  EXPECT_TRUE(december.amendments.empty());
  EXPECT_DOUBLE_EQ(rules.expressions.at(rules.conditions.at(december.condition).rhs).value, 0.2);
  EXPECT_EQ(rules.version_at(0, *model::parse_iso_date("2022-09-30")), 0);
  EXPECT_EQ(rules.version_at(0, *model::parse_iso_date("2022-10-01")), 1);
  EXPECT_EQ(rules.version_at(0, *model::parse_iso_date("2022-11-30")), 1);
  EXPECT_EQ(rules.version_at(0, *model::parse_iso_date("2023-01-01")), 2);
  EXPECT_EQ(&rules.version(0, 0), &rule);
  EXPECT_FALSE(rules.in_force_from(0, 0).has_value());
  EXPECT_EQ(model::to_string(*rules.in_force_from(0, 2)), "2022-12-01");
}

// Issue #12: a second `levels` line is a chain of its own, and a set stands where a level
// does, in `for each` and in every function that takes one.
TEST(Check, SetsAndChainsResolveIntoTheModel) {
  const Checked checked = check_text(std::string(kPrelude) + R"(levels agency
set pilots { title "03 xã thí điểm"  units long_phuoc, binh_loi, bao_hoa }
set border { level commune  label "bien_gioi" }
rule pilot_teams { require teams >= 1 by 2022 for each pilots }
rule border_share { require share(border, teams >= 1) >= 100% by 2022 }
rule agencies { require count(teams, agency) >= 1 }
rule pilot_share_by_district { require share(pilots, teams >= 1) >= 50% for each district }
test "labels" {
  unit p province "P"
  unit c commune "C" in p label "bien_gioi", "thi_diem"
  at 2022
}
)");
  ASSERT_TRUE(checked.rules.has_value()) << describe(checked);
  const model::RuleSet& rules = *checked.rules;
  ASSERT_EQ(rules.levels.size(), 4u);
  EXPECT_EQ(rules.levels[2].name, "commune");
  EXPECT_EQ(rules.levels[2].chain, 0);
  EXPECT_EQ(rules.levels[2].depth, 2);
  EXPECT_EQ(rules.levels[3].name, "agency");
  EXPECT_EQ(rules.levels[3].chain, 1);
  EXPECT_EQ(rules.levels[3].depth, 0);
  ASSERT_EQ(rules.sets.size(), 2u);
  EXPECT_EQ(rules.sets[0].title, "03 xã thí điểm");
  EXPECT_EQ(rules.sets[0].units, (std::vector<std::string>{"long_phuoc", "binh_loi", "bao_hoa"}));
  EXPECT_EQ(rules.sets[0].level, model::kNone);
  EXPECT_EQ(rules.sets[1].level, 2);
  EXPECT_EQ(rules.sets[1].label, "bien_gioi");
  const model::Rule& pilot = rules.rules[rules.find_rule("pilot_teams")];
  EXPECT_EQ(pilot.for_each, model::Scope::of_set(0));
  EXPECT_EQ(pilot.sets, std::vector<model::Index>{0});
  const model::Rule& border = rules.rules[rules.find_rule("border_share")];
  EXPECT_TRUE(border.for_each.none());
  EXPECT_EQ(border.sets, std::vector<model::Index>{1});
  const model::ExprNode& share = rules.expressions[rules.conditions[border.condition].lhs];
  EXPECT_EQ(share.level, model::Scope::of_set(1));
  EXPECT_EQ(rules.scope_name(share.level), "border");
  const model::Rule& by_district = rules.rules[rules.find_rule("pilot_share_by_district")];
  EXPECT_EQ(by_district.for_each, model::Scope::of_level(1));
  EXPECT_EQ(by_district.sets, std::vector<model::Index>{0});
  ASSERT_EQ(rules.tests.size(), 1u);
  EXPECT_EQ(rules.tests[0].units[1].labels, (std::vector<std::string>{"bien_gioi", "thi_diem"}));
}

TEST(Check, AnIndicatorHasItsDeclaredOrItsNaturalRange) {
  const Checked checked = check_text(
      std::string(kPrelude) +
      "indicator growth { unit percent range -100% .. 500% }\n"
      "indicator share_77 { unit percent range 0%..77.62% }\n"
      "indicator balance { unit number range -2.5 .. 1000000 }\n"
      "indicator teams_max { unit count range 0 .. 170 }\n"
      "test \"t\" { at 2022 observe growth 2022 = -84.1% observe balance 2022 = -2.5 }\n");
  ASSERT_TRUE(checked.rules.has_value()) << describe(checked);
  const auto& indicators = checked.rules->indicators;
  const auto range_of = [&](std::string_view name) {
    return indicators.at(static_cast<std::size_t>(checked.rules->find_indicator(name))).range();
  };
  EXPECT_EQ(range_of("rate"), (model::ValueRange{0, 1}));
  EXPECT_EQ(range_of("teams").low, 0);
  EXPECT_EQ(range_of("teams").high, std::numeric_limits<double>::infinity());
  EXPECT_EQ(range_of("revenue"), model::ValueRange{});
  EXPECT_EQ(range_of("growth"), (model::ValueRange{-1, 5}));
  // The end is read as ingest reads 77.62%, so that the same text is inside.
  EXPECT_EQ(range_of("share_77").high, 77.62e-2);
  EXPECT_EQ(range_of("balance"), (model::ValueRange{-2.5, 1000000}));
  EXPECT_EQ(range_of("teams_max"), (model::ValueRange{0, 170}));
  const model::Indicator& growth =
      indicators.at(static_cast<std::size_t>(checked.rules->find_indicator("growth")));
  ASSERT_TRUE(growth.declared_range.has_value());
  EXPECT_EQ(growth.declared_range->text, "-100% .. 500%");
  EXPECT_EQ(growth.declared_range->source.line, 10u);
  EXPECT_EQ(growth.declared_range->source.column, 33u);
  EXPECT_EQ(indicators.at(static_cast<std::size_t>(checked.rules->find_indicator("share_77")))
                .declared_range->text,
            "0% .. 77.62%");
}

// Regression: `require rate >= 9.23%` was 9.23 / 100, one unit in the last place above
// the 9.23e-2 that ingest stores for "9.23%", so the same figure did not meet its target.
TEST(Check, APercentLiteralIsTheDoubleIngestReadsForTheSameText) {
  for (const char* text : {"9.23", "12.3", "33.3", "99.9", "77.62", "50", "0.1", "100"}) {
    const Checked checked =
        check_text(std::string(kPrelude) + "rule r { require rate >= " + text +
                   "% }\ntest \"t\" { at 2022 observe rate 2022 = " + text + "% }\n");
    ASSERT_TRUE(checked.rules.has_value()) << describe(checked);
    const auto stored = store::parse_value(std::string(text) + "%", model::ValueUnit::percent, {});
    ASSERT_TRUE(std::holds_alternative<store::ParsedValue>(stored));
    const double ingested = std::get<store::ParsedValue>(stored).value;
    const model::Condition& condition = checked.rules->conditions.at(0);
    EXPECT_EQ(checked.rules->expressions.at(condition.rhs).value, ingested) << text;
    EXPECT_EQ(checked.rules->tests.at(0).observations.at(0).value, ingested) << text;
  }
}

TEST(Check, FromUsesThePeriodsFirstDayAndByItsLast) {
  const Checked checked = check_text(std::string(kPrelude) +
                                     "rule a { require rate >= 5% from 2022-Q3 }\n"
                                     "rule b { require rate >= 5% by 2022 }\n");
  ASSERT_TRUE(checked.rules.has_value()) << describe(checked);
  EXPECT_EQ(model::to_string(checked.rules->rules[0].date), "2022-07-01");
  EXPECT_EQ(model::to_string(checked.rules->rules[1].date), "2022-12-31");
}

TEST(Check, WarnsWhenATaskComesAfterOneDueLater) {
  const Checked checked = check_text(std::string(kPrelude) +
                                     "task early { after late due 2022-03-01 }\n"
                                     "task late { due 2022-06-30 }\n");
  ASSERT_TRUE(checked.rules.has_value()) << describe(checked);  // a warning is not an error
  ASSERT_EQ(checked.program.diagnostics.warning_count(), 1u);
  const Diagnostic& d = checked.program.diagnostics.all().front();
  EXPECT_EQ(d.code, Code::after_due_later);
  EXPECT_NE(d.message.find("due later (2022-06-30)"), std::string::npos);
}

TEST(Check, ReportsEveryErrorOfAFileNotOnlyTheFirst) {
  const Checked checked = check_text(std::string(kPrelude) +
                                     "rule a { require rat >= 5% }\n"
                                     "rule b { require rate >= 5 }\n"
                                     "rule c { require rate >= 5% by 2022-02-30 }\n");
  EXPECT_EQ(checked.program.diagnostics.error_count(), 3u) << describe(checked);
}

TEST(Check, ParserRecoversAtTheNextDeclaration) {
  const Checked checked = check_text(std::string(kPrelude) +
                                     "rule a { require rate >= }\n"
                                     "rule b { require rate >>= 5% }\n"
                                     "rule c { require rate >= 5% }\n");
  EXPECT_EQ(checked.program.diagnostics.error_count(), 2u) << describe(checked);
}

TEST(Check, EnforcesTheNestingLimit) {
  const std::string deep = std::string(200, '(') + "rate" + std::string(200, ')');
  const Checked checked =
      check_text(std::string(kPrelude) + "rule r { require " + deep + " >= 5% }\n");
  ASSERT_EQ(checked.program.diagnostics.error_count(), 1u) << describe(checked);
  EXPECT_EQ(checked.program.diagnostics.all().front().code, Code::nesting_too_deep);
  const std::string ok = std::string(100, '(') + "rate" + std::string(100, ')');
  EXPECT_TRUE(check_text(std::string(kPrelude) + "rule r { require " + ok + " >= 5% }\n")
                  .rules.has_value());
}

TEST(Check, EnforcesNameAndStringLengths) {
  const std::string long_name(200, 'x');
  const std::string long_string(70000, 'y');
  const Checked checked = check_text(
      fmt::format("indicator {} {{ unit count title \"{}\" }}\n", long_name, long_string));
  const auto& all = checked.program.diagnostics.all();
  EXPECT_TRUE(std::any_of(all.begin(), all.end(),
                          [](const Diagnostic& d) { return d.code == Code::name_too_long; }));
  EXPECT_TRUE(std::any_of(all.begin(), all.end(),
                          [](const Diagnostic& d) { return d.code == Code::string_too_long; }));
}

TEST(Check, RefusesFilesOverTheSizeLimit) {
  std::string big = "# " + std::string(kMaxFileSize, 'x') + "\n";
  const Checked checked = check_text(big);
  ASSERT_EQ(checked.program.diagnostics.error_count(), 1u);
  EXPECT_EQ(checked.program.diagnostics.all().front().code, Code::file_too_large);
}

TEST(Check, ReportsInvalidUtf8) {
  const Checked checked = check_text("indicator z { title \"a\xC3(b\" unit count }\n");
  ASSERT_EQ(checked.program.diagnostics.error_count(), 1u) << describe(checked);
  EXPECT_EQ(checked.program.diagnostics.all().front().code, Code::invalid_utf8);
}

TEST(Check, AcceptsEveryDateForm) {
  for (const char* date : {"2022-12-31", "31/12/2022", "5/8/2022", "05/08/2022", "2022-Q3",
                           "Q3/2022", "2022-09", "9/2022", "2022"}) {
    const Checked checked =
        check_text(std::string(kPrelude) + fmt::format("task d {{ due {} }}\n", date));
    EXPECT_TRUE(checked.rules.has_value()) << date << "\n" << describe(checked);
  }
}

// The documents' own spellings: every one names 31/12/2022 as a deadline.
TEST(Check, AcceptsTheDocumentsOwnDates) {
  for (const char* date : {"Quý IV/2022", "quý 4/2022", "Quí IV/2022", "QUÝ IV/2022", "Quý iv/2022",
                           "Quy\u0301 IV/2022" /* NFD */, "QuýIV/2022", "Quý IV / 2022",
                           "Quý\tIV/2022", "tháng 12/2022", "Tháng 12/2022", "THÁNG 12/2022",
                           "tha\u0301ng 12/2022" /* NFD */, "tháng 12 /2022"}) {
    const Checked checked =
        check_text(std::string(kPrelude) + fmt::format("task d {{ due {} }}\n", date));
    ASSERT_TRUE(checked.rules.has_value()) << date << "\n" << describe(checked);
    EXPECT_EQ(model::to_string(*checked.rules->tasks.back().due), "2022-12-31") << date;
  }
}

TEST(Check, TheDocumentsOwnDatesStandEverywhereADateDoes) {
  const Checked checked = check_text(std::string(kPrelude) + R"(
plan KH { issued tháng 8/2022 }
task danh_gia { part_of KH starts tháng 12/2022 due Quý IV/2022 duration 30d }
rule by_quarter { require rate >= 50% by quý III/2022 }
rule from_month { require rate >= 100% from tháng 9/2022 }
test "Quý III/2022" {
  unit dn province "Đồng Nai"
  at Quý III/2022
  observe rate Quý III/2022 = 9.23%
  observe dn teams tháng 9/2022 = 1
  status danh_gia not_started tháng 9/2022
  expect by_quarter at_risk
}
)");
  ASSERT_TRUE(checked.rules.has_value()) << describe(checked);
  const model::RuleSet& rules = *checked.rules;
  EXPECT_EQ(model::to_string(*rules.plans.back().issued), "2022-08-31");
  const model::Task& task = rules.tasks.back();
  EXPECT_EQ(model::to_string(*task.starts), "2022-12-01");  // a start: the month's first day
  EXPECT_EQ(model::to_string(*task.due), "2022-12-31");     // a deadline: the quarter's last
  EXPECT_EQ(model::to_string(rules.rules[0].date), "2022-09-30");
  EXPECT_EQ(model::to_string(rules.rules[1].date), "2022-09-01");
  const model::TestCase& test = rules.tests.at(0);
  EXPECT_EQ(model::to_string(test.at), "2022-09-30");
  ASSERT_EQ(test.observations.size(), 2u);
  EXPECT_EQ(test.observations[0].period.kind, model::Period::Kind::quarter);
  EXPECT_EQ(test.observations[1].unit, "dn");
  EXPECT_EQ(test.observations[1].period.kind, model::Period::Kind::month);
  EXPECT_EQ(model::to_string(test.statuses.at(0).date), "2022-09-30");
}

TEST(Check, ATaskTakesStartsAndWarnWithin) {
  const Checked checked = check_text(std::string(kPrelude) +
                                     "task d { starts 01/12/2022 due 31/12/2022 warn within 14d }\n"
                                     "task e { due 2022 }\n");
  ASSERT_TRUE(checked.rules.has_value()) << describe(checked);
  EXPECT_TRUE(checked.program.diagnostics.empty()) << describe(checked);
  const model::Task& d = checked.rules->tasks.at(2);
  EXPECT_EQ(model::to_string(*d.starts), "2022-12-01");
  EXPECT_EQ(d.warn_within, (model::Duration{14, model::Duration::Unit::day}));
  const model::Task& e = checked.rules->tasks.at(3);
  EXPECT_FALSE(e.starts.has_value());
  EXPECT_FALSE(e.warn_within.has_value());
}

TEST(Check, WarnsWhenATaskStartsAfterItIsDue) {
  const Checked checked =
      check_text(std::string(kPrelude) + "task d { due 2022-10-31 starts Quý IV/2022 }\n");
  ASSERT_TRUE(checked.rules.has_value()) << describe(checked);
  ASSERT_EQ(checked.program.diagnostics.warning_count(), 0u) << describe(checked);
  const Checked late =
      check_text(std::string(kPrelude) + "task d { due 2022-10-31 starts tháng 11/2022 }\n");
  ASSERT_TRUE(late.rules.has_value()) << describe(late);
  ASSERT_EQ(late.program.diagnostics.warning_count(), 1u) << describe(late);
  const Diagnostic& d = late.program.diagnostics.all().front();
  EXPECT_EQ(d.code, Code::starts_after_due);
  EXPECT_NE(d.message.find("task 'd' starts on 2022-11-01, after it is due (2022-10-31)"),
            std::string::npos)
      << d.message;
  EXPECT_EQ(late.program.sources.line_column(d.location.file, d.location.offset).column, 25u);
}

TEST(Check, WarnsThatWarnWithinOnATaskWithoutDueDoesNothing) {
  const Checked checked = check_text(std::string(kPrelude) + "task d { warn within 14d }\n");
  ASSERT_TRUE(checked.rules.has_value()) << describe(checked);
  ASSERT_EQ(checked.program.diagnostics.warning_count(), 1u) << describe(checked);
  const Diagnostic& d = checked.program.diagnostics.all().front();
  EXPECT_EQ(d.code, Code::unused_clause);
  EXPECT_NE(d.message.find("the task has no `due` date"), std::string::npos) << d.message;
}

// A syntax error quotes at most 40 characters of a word, and never half of one: a cut at
// a byte count would split `ệ` (three bytes) or part a letter from its combining mark.
TEST(Check, ASyntaxErrorNeverCutsACharacterInHalf) {
  std::string nfc;
  for (int i = 0; i < 60; ++i) nfc += "\u1EC7";  // ệ
  std::string nfd;
  for (int i = 0; i < 60; ++i) nfd += "e\u0323\u0302";  // ệ as e + two combining marks
  for (const std::string& word : {nfc, nfd}) {
    const Checked checked = check_text(std::string(kPrelude) + "task d { due " + word + " }\n");
    ASSERT_EQ(checked.program.diagnostics.error_count(), 1u) << describe(checked);
    const std::string& message = checked.program.diagnostics.all().front().message;
    EXPECT_FALSE(util::find_invalid_utf8(message).has_value()) << message;
    const std::size_t quote = message.find("found '");
    ASSERT_NE(quote, std::string::npos) << message;
    const std::string shown = message.substr(quote + 7, message.size() - quote - 8);
    ASSERT_TRUE(shown.ends_with("…")) << shown;
    const std::string kept = shown.substr(0, shown.size() - std::string("…").size());
    EXPECT_TRUE(word.starts_with(kept)) << shown;
    const std::size_t unit =
        word == nfc ? std::string("\u1EC7").size() : std::string("e\u0323\u0302").size();
    EXPECT_EQ(kept.size(), 40 * unit) << shown;
  }
}

TEST(Check, ComparisonSymbolsIncludeUnicode) {
  const Checked checked = check_text(std::string(kPrelude) +
                                     "rule a { require rate \u2265 5% }\n"
                                     "rule b { require rate \u2264 5% }\n");
  ASSERT_TRUE(checked.rules.has_value()) << describe(checked);
  EXPECT_EQ(checked.rules->conditions[0].op, model::Comparator::ge);
  EXPECT_EQ(checked.rules->conditions[1].op, model::Comparator::le);
}

}  // namespace
}  // namespace tiendo::dsl

// Table-driven tests of the data-file value and period readers: every accepted form with
// its exact value or period, every refused form with the gist of its message.
#include "store/values.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

namespace tiendo::store {
namespace {

using model::Period;
using model::ValueUnit;

constexpr NumberOptions kDefault{};
constexpr NumberOptions kDot{DecimalMark::dot, PercentAs::require_sign};
constexpr NumberOptions kComma{DecimalMark::comma, PercentAs::require_sign};
constexpr NumberOptions kPoints{DecimalMark::auto_detect, PercentAs::points};
constexpr NumberOptions kFraction{DecimalMark::auto_detect, PercentAs::fraction};

std::string describe(const std::variant<ParsedValue, std::string>& result) {
  if (const auto* error = std::get_if<std::string>(&result)) return "error: " + *error;
  const ParsedValue& v = std::get<ParsedValue>(result);
  std::string out = fmt::format("value {}", v.value);
  if (v.numerator) out += fmt::format(" = {}/{}", *v.numerator, v.denominator.value_or(-1));
  return out;
}

// ---------------------------------------------------------------------------------------
// Accepted values.

struct AcceptedValue {
  const char* name;
  std::string text;
  ValueUnit unit;
  NumberOptions options;
  double value;
  std::optional<double> numerator = std::nullopt;
  std::optional<double> denominator = std::nullopt;
};

void PrintTo(const AcceptedValue& c, std::ostream* os) { *os << c.name << " '" << c.text << "'"; }

class ValuesAccepted : public testing::TestWithParam<AcceptedValue> {};

TEST_P(ValuesAccepted, ReadsTheExactValue) {
  const AcceptedValue& c = GetParam();
  const auto result = parse_value(c.text, c.unit, c.options);
  ASSERT_TRUE(std::holds_alternative<ParsedValue>(result)) << describe(result);
  const ParsedValue& v = std::get<ParsedValue>(result);
  EXPECT_DOUBLE_EQ(v.value, c.value);
  EXPECT_EQ(v.numerator, c.numerator);
  EXPECT_EQ(v.denominator, c.denominator);
  EXPECT_FALSE(v.estimate);
}

const AcceptedValue kAcceptedValues[] = {
    // Percents with a sign; the value is the fraction.
    {"PercentDecimalComma", "77,62%", ValueUnit::percent, kDefault, 0.7762},
    {"PercentDecimalPoint", "83.5%", ValueUnit::percent, kDefault, 0.835},
    {"PercentWhole", "99%", ValueUnit::percent, kDefault, 0.99},
    {"PercentHundred", "100%", ValueUnit::percent, kDefault, 1.0},
    {"PercentZero", "0%", ValueUnit::percent, kDefault, 0.0},
    {"PercentNegative", "-3,5%", ValueUnit::percent, kDefault, -0.035},
    {"PercentSpaceBeforeSign", "77,62 %", ValueUnit::percent, kDefault, 0.7762},
    {"PercentNoBreakSpaceBeforeSign", "77,62\xC2\xA0%", ValueUnit::percent, kDefault, 0.7762},
    {"PercentTrimmed", "  77,62%\t", ValueUnit::percent, kDefault, 0.7762},
    {"PercentTrimmedNoBreakSpaces",
     "\xC2\xA0"
     "83.5%\xE2\x80\xAF",
     ValueUnit::percent, kDefault, 0.835},
    {"PercentFiveDecimals", "12,345%", ValueUnit::percent, kDefault, 0.12345},
    {"PercentLeadingZeroIsDecimal", "0.500%", ValueUnit::percent, kDefault, 0.005},
    {"PercentHalf", "0,5%", ValueUnit::percent, kDefault, 0.005},
    {"PercentThousandsAndComma", "1.000,0%", ValueUnit::percent, kDefault, 10.0},
    {"PercentAtTheUpperLimit", "1000%", ValueUnit::percent, kDefault, 10.0},
    {"PercentAtTheLowerLimit", "-1000%", ValueUnit::percent, kDefault, -10.0},
    {"PercentDotModeThreeDecimals", "125.805%", ValueUnit::percent, kDot, 1.25805},
    {"PercentDotModeThousands", "1,000.0%", ValueUnit::percent, kDot, 10.0},
    {"PercentCommaMode", "77,62%", ValueUnit::percent, kComma, 0.7762},
    // Fractions: both parts kept, the value is the ratio.
    {"Fraction", "392/505", ValueUnit::percent, kDefault, 392.0 / 505, 392.0, 505.0},
    {"FractionWithSpaces", "392 / 505", ValueUnit::percent, kDefault, 392.0 / 505, 392.0, 505.0},
    {"FractionZeroNumerator", "0/505", ValueUnit::percent, kDefault, 0.0, 0.0, 505.0},
    {"FractionWhole", "505/505", ValueUnit::percent, kDefault, 1.0, 505.0, 505.0},
    {"FractionThousands", "1.234/2.000", ValueUnit::percent, kDefault, 1234.0 / 2000, 1234.0,
     2000.0},
    {"FractionSpaceThousands", "3 103/3 500", ValueUnit::percent, kDefault, 3103.0 / 3500, 3103.0,
     3500.0},
    {"FractionDotModeThousands", "1,234/2,000", ValueUnit::percent, kDot, 1234.0 / 2000, 1234.0,
     2000.0},
    {"FractionAtTheLimit", "5050/505", ValueUnit::percent, kDefault, 10.0, 5050.0, 505.0},
    {"FractionWithPercentAsPoints", "392/505", ValueUnit::percent, kPoints, 392.0 / 505, 392.0,
     505.0},
    // Bare numbers on a percent indicator, when --percent-as says how to read them.
    {"PointsWithDot", "77.62", ValueUnit::percent, kPoints, 0.7762},
    {"PointsWithComma", "77,62", ValueUnit::percent, kPoints, 0.7762},
    {"PointsWhole", "99", ValueUnit::percent, kPoints, 0.99},
    {"PointsStillTakeTheSign", "77,62%", ValueUnit::percent, kPoints, 0.7762},
    {"FractionWithDot", "0.7762", ValueUnit::percent, kFraction, 0.7762},
    {"FractionWithComma", "0,7762", ValueUnit::percent, kFraction, 0.7762},
    {"FractionOne", "1", ValueUnit::percent, kFraction, 1.0},
    {"FractionLeadingZeroThreeDigits", "0.776", ValueUnit::percent, kFraction, 0.776},
    {"FractionStillTakesTheSign", "77,62%", ValueUnit::percent, kFraction, 0.7762},
    // Counts.
    {"CountPlain", "42", ValueUnit::count, kDefault, 42.0},
    {"CountZero", "0", ValueUnit::count, kDefault, 0.0},
    {"CountNegativeZero", "-0", ValueUnit::count, kDefault, 0.0},
    {"CountLeadingZeros", "0042", ValueUnit::count, kDefault, 42.0},
    {"CountDotThousands", "3.103.499", ValueUnit::count, kDefault, 3103499.0},
    {"CountSingleDotThreeDigitsIsThousands", "125.805", ValueUnit::count, kDefault, 125805.0},
    {"CountOneThousand", "1.000", ValueUnit::count, kDefault, 1000.0},
    {"CountSpaceThousands", "3 103 499", ValueUnit::count, kDefault, 3103499.0},
    {"CountNoBreakSpaceThousands",
     "3\xC2\xA0"
     "103\xC2\xA0"
     "499",
     ValueUnit::count, kDefault, 3103499.0},
    {"CountNarrowNoBreakSpaceThousands",
     "3\xE2\x80\xAF"
     "103\xE2\x80\xAF"
     "499",
     ValueUnit::count, kDefault, 3103499.0},
    {"CountThinSpaceThousands",
     "3\xE2\x80\x89"
     "103",
     ValueUnit::count, kDefault, 3103.0},
    {"CountWithZeroDecimals", "5,0", ValueUnit::count, kDefault, 5.0},
    {"CountDotModeCommaThousands", "1,234", ValueUnit::count, kDot, 1234.0},
    {"CountDotModeMillions", "3,103,499", ValueUnit::count, kDot, 3103499.0},
    {"CountCommaMode", "125.805", ValueUnit::count, kComma, 125805.0},
    {"CountCommaModeCommaIsDecimal", "1,000", ValueUnit::count, kComma, 1.0},
    {"CountTrimmed", " 42 ", ValueUnit::count, kDefault, 42.0},
    // Numbers.
    {"NumberDecimalComma", "0,5", ValueUnit::number, kDefault, 0.5},
    {"NumberPlain", "42", ValueUnit::number, kDefault, 42.0},
    {"NumberNegative", "-3,5", ValueUnit::number, kDefault, -3.5},
    {"NumberNegativeZero", "-0", ValueUnit::number, kDefault, 0.0},
    {"NumberThousandsAndComma", "1.234,5", ValueUnit::number, kDefault, 1234.5},
    {"NumberMillionsAndComma", "1.234.567,89", ValueUnit::number, kDefault, 1234567.89},
    {"NumberSpaceThousandsAndComma", "3 103 499,5", ValueUnit::number, kDefault, 3103499.5},
    {"NumberDotThousands", "3.103.499", ValueUnit::number, kDefault, 3103499.0},
    {"NumberSingleDotTwoDigits", "9.23", ValueUnit::number, kDefault, 9.23},
    {"NumberSingleDotOneDigit", "83.5", ValueUnit::number, kDefault, 83.5},
    {"NumberSingleDotFourDigits", "1.2345", ValueUnit::number, kDefault, 1.2345},
    {"NumberFourDigitsBeforeTheDot", "1234.567", ValueUnit::number, kDefault, 1234.567},
    {"NumberZeroBeforeTheDot", "0.500", ValueUnit::number, kDefault, 0.5},
    {"NumberNegativeZeroBeforeTheDot", "-0.500", ValueUnit::number, kDefault, -0.5},
    {"NumberCommaThreeDigitsIsDecimal", "1,000", ValueUnit::number, kDefault, 1.0},
    {"NumberDotModeDecimal", "125.805", ValueUnit::number, kDot, 125.805},
    {"NumberDotModeThousands", "1,234.5", ValueUnit::number, kDot, 1234.5},
    {"NumberDotModeMillions", "1,234,567.89", ValueUnit::number, kDot, 1234567.89},
    {"NumberDotModeSpaces", "1 234.5", ValueUnit::number, kDot, 1234.5},
    {"NumberCommaModeThousands", "125.805", ValueUnit::number, kComma, 125805.0},
    {"NumberCommaModeDecimal", "1.234,5", ValueUnit::number, kComma, 1234.5},
    {"NumberCommaModeSingleDot", "12.345.678", ValueUnit::number, kComma, 12345678.0},
};

INSTANTIATE_TEST_SUITE_P(Values, ValuesAccepted, testing::ValuesIn(kAcceptedValues),
                         [](const testing::TestParamInfo<AcceptedValue>& param) {
                           return std::string(param.param.name);
                         });

// ---------------------------------------------------------------------------------------
// Refused values.

struct RejectedValue {
  const char* name;
  std::string text;
  ValueUnit unit;
  NumberOptions options;
  std::vector<std::string> contains;    // substrings of the message
  std::vector<std::string> lacks = {};  // e.g. a --decimal hint that would not help
};

void PrintTo(const RejectedValue& c, std::ostream* os) { *os << c.name << " '" << c.text << "'"; }

class ValuesRejected : public testing::TestWithParam<RejectedValue> {};

TEST_P(ValuesRejected, SaysWhatIsWrong) {
  const RejectedValue& c = GetParam();
  const auto result = parse_value(c.text, c.unit, c.options);
  ASSERT_TRUE(std::holds_alternative<std::string>(result)) << describe(result);
  const std::string& message = std::get<std::string>(result);
  for (const std::string& part : c.contains) {
    EXPECT_NE(message.find(part), std::string::npos) << "'" << part << "' not in: " << message;
  }
  for (const std::string& part : c.lacks) {
    EXPECT_EQ(message.find(part), std::string::npos) << "'" << part << "' in: " << message;
  }
}

const RejectedValue kRejectedValues[] = {
    // Nothing, words, non-finite numbers.
    {"Empty", "", ValueUnit::percent, kDefault, {"the value is empty", "77,62%", "392/505"}},
    {"Blank", "  \t ", ValueUnit::count, kDefault, {"the value is empty", "3.103.499"}},
    {"NoBreakSpaceOnly", "\xC2\xA0", ValueUnit::number, kDefault, {"the value is empty", "0,5"}},
    {"Word", "abc", ValueUnit::number, kDefault, {"'abc' is not a number", "0,5"}},
    {"PercentSignOnly", "%", ValueUnit::percent, kDefault, {"'%' is not a number"}},
    {"MinusOnly", "-", ValueUnit::number, kDefault, {"'-' is not a number"}},
    {"DoubleMinus", "--5", ValueUnit::number, kDefault, {"'--5' is not a number"}},
    {"PlusSign", "+5", ValueUnit::number, kDefault, {"'+5' is not a number"}},
    {"SignBeforePercentNumber", "%12", ValueUnit::percent, kDefault, {"'%12' is not a number"}},
    {"Inf", "inf", ValueUnit::number, kDefault, {"'inf' is not a finite number"}},
    {"NegativeInf", "-inf", ValueUnit::number, kDefault, {"'-inf' is not a finite number"}},
    {"Infinity", "Infinity", ValueUnit::count, kDefault, {"'Infinity' is not a finite number"}},
    {"Nan", "nan", ValueUnit::percent, kDefault, {"'nan' is not a finite number"}},
    {"NanUpperCase", "NaN", ValueUnit::number, kDefault, {"'NaN' is not a finite number"}},
    // Trailing text.
    {"TrailingLetters",
     "12abc",
     ValueUnit::number,
     kDefault,
     {"'12abc' has 'abc' after the number"}},
    {"TrailingUnit", "42 kg", ValueUnit::count, kDefault, {"'42 kg' has 'kg' after the number"}},
    {"TextAfterPercent", "12%abc", ValueUnit::percent, kDefault, {"has 'abc' after the number"}},
    {"Exponent", "1e5", ValueUnit::number, kDefault, {"'1e5' has 'e5' after the number"}},
    {"TwoPercentSigns", "12%%", ValueUnit::percent, kDefault, {"'12%%' has more than one % sign"}},
    {"TwoSpacedPercentSigns", "12 % %", ValueUnit::percent, kDefault, {"has more than one % sign"}},
    // Malformed numbers.
    {"SeveralCommas",
     "1,2,3",
     ValueUnit::number,
     kDefault,
     {"'1,2,3' has more than one ','", "decimal mark"},
     {"--decimal"}},
    {"SeveralCommasDotMode",
     "1,2,3",
     ValueUnit::number,
     kDot,
     {"'1,2,3' has thousands groups of other than three digits", "3,103,499"},
     {"--decimal"}},
    {"SeveralCommasCommaMode",
     "1,2,3",
     ValueUnit::number,
     kComma,
     {"'1,2,3' has more than one decimal comma"},
     {"--decimal dot"}},
    {"SeveralDecimalPointsDotMode",
     "1.2.3",
     ValueUnit::number,
     kDot,
     {"'1.2.3' has more than one decimal point"}},
    {"ShortThousandsGroup",
     "1.23.456",
     ValueUnit::number,
     kDefault,
     {"'1.23.456' has thousands groups of other than three digits", "3.103.499"}},
    {"ShortLastGroup",
     "1.234.5",
     ValueUnit::count,
     kDefault,
     {"thousands groups of other than three digits"}},
    {"LongFirstGroup",
     "1234.567.890",
     ValueUnit::number,
     kDefault,
     {"thousands groups of other than three digits"}},
    {"SpaceGroupsOfTwo",
     "12 34",
     ValueUnit::count,
     kDefault,
     {"thousands groups of other than three digits", "3 103 499"}},
    {"GroupedWithLeadingZero",
     "0.123.456",
     ValueUnit::count,
     kDefault,
     {"'0.123.456' starts with 0"}},
    {"SpaceGroupedWithLeadingZero", "0 500", ValueUnit::count, kDefault, {"starts with 0"}},
    {"MixedThousandsSeparators",
     "1 234.567.890",
     ValueUnit::number,
     kDefault,
     {"mixes '.' and spaces"}},
    {"LeadingComma", ",5", ValueUnit::number, kDefault, {"',5' starts with ','", "0,5"}},
    {"LeadingDot", ".5", ValueUnit::number, kDefault, {"'.5' starts with '.'", "0.5"}},
    {"TrailingComma", "5,", ValueUnit::number, kDefault, {"'5,' ends with ','"}},
    {"TrailingDot", "5.", ValueUnit::count, kDefault, {"'5.' ends with '.'"}},
    {"TwoSeparatorsInARow",
     "1..2",
     ValueUnit::number,
     kDefault,
     {"'1..2' has two separators in a row"}},
    {"SpaceAfterMinus", "- 5", ValueUnit::number, kDefault, {"space after the minus sign"}},
    {"TooManyDigits",
     "1234567890123456789012345678901",
     ValueUnit::number,
     kDefault,
     {"more than 30 digits"}},
    {"ThousandsAfterDecimalComma",
     "1,234.5",
     ValueUnit::number,
     kDefault,
     {"'1,234.5' has '.' after the decimal comma", "with --decimal dot", "reads as 1234.5"}},
    {"ThousandsAfterDecimalPoint",
     "1.234,5",
     ValueUnit::number,
     kDot,
     {"'1.234,5' has ',' after the decimal point", "with --decimal comma", "reads as 1234.5"}},
    {"SpaceAfterDecimalComma",
     "0,123 456",
     ValueUnit::number,
     kDefault,
     {"has a space after the decimal comma"}},
    // A single dot before three digits: thousands or decimals?
    {"AmbiguousNumber",
     "125.805",
     ValueUnit::number,
     kDefault,
     {"'125.805' is ambiguous", "125805", "125.805", "--decimal comma", "--decimal dot"}},
    {"AmbiguousPercent",
     "125.805%",
     ValueUnit::percent,
     kDefault,
     {"'125.805%' is ambiguous", "--decimal comma", "--decimal dot"}},
    {"AmbiguousBarePercentPoints",
     "1.234",
     ValueUnit::percent,
     kPoints,
     {"is ambiguous", "--decimal"}},
    {"AmbiguousNegative", "-1.000", ValueUnit::number, kDefault, {"'-1.000' is ambiguous"}},
    {"AmbiguousCountComma",
     "1,000",
     ValueUnit::count,
     kDefault,
     {"'1,000' is ambiguous for a count", "--decimal dot", "--decimal comma"}},
    {"AmbiguousCountCommaDigits",
     "1,234",
     ValueUnit::count,
     kDefault,
     {"is ambiguous for a count"}},
    // Hints name --decimal only when it resolves the value.
    {"CommaThousandsNeedDotMode",
     "1,234,567",
     ValueUnit::number,
     kDefault,
     {"has more than one ','", "with --decimal dot", "reads as 1234567"},
     {"--decimal comma"}},
    {"DotModeThreeDecimalsOnACount",
     "125.805",
     ValueUnit::count,
     kDot,
     {"'125.805' is not a whole number, but this indicator is a count", "with --decimal comma",
      "reads as 125805"}},
    {"DotModeDotThousands",
     "3.103.499",
     ValueUnit::count,
     kDot,
     {"has more than one decimal point", "with --decimal comma", "reads as 3103499"}},
    {"CommaModeCommaThousands",
     "3,103,499",
     ValueUnit::count,
     kComma,
     {"has more than one decimal comma", "with --decimal dot", "reads as 3103499"}},
    {"CommaModeBadGroups",
     "1.234.5",
     ValueUnit::number,
     kComma,
     {"thousands groups of other than three digits"},
     {"--decimal"}},
    // Units.
    {"PercentSignOnACount",
     "12%",
     ValueUnit::count,
     kDefault,
     {"'12%' is a percent, but this indicator is a count"}},
    {"PercentSignOnANumber",
     "12,5%",
     ValueUnit::number,
     kDefault,
     {"'12,5%' is a percent, but this indicator is a number", "without %"}},
    {"BareNumberOnAPercent",
     "77.62",
     ValueUnit::percent,
     kDefault,
     {"'77.62' has no % sign, but this indicator is a percent", "--percent-as points",
      "--percent-as fraction", "392/505"}},
    {"BareWholeNumberOnAPercent",
     "99",
     ValueUnit::percent,
     kDefault,
     {"has no % sign", "--percent-as"}},
    {"FractionOnACount",
     "392/505",
     ValueUnit::count,
     kDefault,
     {"'392/505' is a fraction, but this indicator is a count", "392"}},
    {"FractionOnANumber",
     "392/505",
     ValueUnit::number,
     kDefault,
     {"'392/505' is a fraction, but this indicator is a number"}},
    {"NegativeCount",
     "-3",
     ValueUnit::count,
     kDefault,
     {"'-3' is negative, but this indicator is a count"}},
    {"FractionalCount",
     "3,5",
     ValueUnit::count,
     kDefault,
     {"'3,5' is not a whole number, but this indicator is a count"},
     {"--decimal"}},
    {"FractionalCountWithDot",
     "3.5",
     ValueUnit::count,
     kDefault,
     {"'3.5' is not a whole number"},
     {"--decimal"}},
    {"SpaceThousandsAndDotOnACount",
     "3 103.499",
     ValueUnit::count,
     kDefault,
     {"is not a whole number"}},
    // Fractions.
    {"ZeroDenominator", "1/0", ValueUnit::percent, kDefault, {"'1/0' has a zero denominator"}},
    {"ZeroOverZero", "0/0", ValueUnit::percent, kDefault, {"has a zero denominator"}},
    {"TwoSlashes", "1/2/3", ValueUnit::percent, kDefault, {"'1/2/3' has more than one '/'"}},
    {"NoNumerator", "/505", ValueUnit::percent, kDefault, {"'/505' has no numerator"}},
    {"NoDenominator", "392/", ValueUnit::percent, kDefault, {"'392/' has no denominator"}},
    {"NegativeNumerator", "-1/2", ValueUnit::percent, kDefault, {"has a negative numerator"}},
    {"NegativeDenominator", "1/-2", ValueUnit::percent, kDefault, {"has a negative denominator"}},
    {"FractionalNumerator",
     "1,5/2",
     ValueUnit::percent,
     kDefault,
     {"'1,5/2': the numerator 1,5 is not a whole number"}},
    {"WordNumerator",
     "a/2",
     ValueUnit::percent,
     kDefault,
     {"'a/2': the numerator 'a' is not a number"}},
    {"PercentInFraction",
     "392/505%",
     ValueUnit::percent,
     kDefault,
     {"the denominator '505%' is not a number"}},
    {"AmbiguousFractionPart",
     "1,000/2,000",
     ValueUnit::percent,
     kDefault,
     {"the numerator 1,000 is ambiguous for a count"}},
    {"BadGroupInFraction",
     "1.23.456/2",
     ValueUnit::percent,
     kDefault,
     {"the numerator 1.23.456 has thousands groups of other than three digits"}},
    // The typo guard on percents.
    {"PercentAboveLimit",
     "1500%",
     ValueUnit::percent,
     kDefault,
     {"'1500%' is above 1000%", "typo"}},
    {"PercentJustAboveLimit", "1000,01%", ValueUnit::percent, kDefault, {"is above 1000%"}},
    {"PercentBelowLimit", "-1500%", ValueUnit::percent, kDefault, {"'-1500%' is below -1000%"}},
    {"FractionAboveLimit", "5051/505", ValueUnit::percent, kDefault, {"'5051/505' is above 1000%"}},
    {"CommaModeThousandsPercent", "125.805%", ValueUnit::percent, kComma, {"is above 1000%"}},
    {"PercentAsFractionGivenPoints",
     "77.62",
     ValueUnit::percent,
     kFraction,
     {"'77.62' is above 1000%", "--percent-as points"}},
    {"PercentAsPointsStillGuarded",
     "1500",
     ValueUnit::percent,
     kPoints,
     {"'1500' is above 1000%"},
     {"--percent-as"}},
    // Estimates: the word without a number, or before something that is not one.
    {"EstimateWordOnly",
     "khoảng",
     ValueUnit::percent,
     kDefault,
     {"'khoảng' says the value is an estimate, but no number follows it", "khoảng 83,5%"}},
    {"EstimateWordAndColonOnly",
     "khoảng:",
     ValueUnit::count,
     kDefault,
     {"'khoảng' says the value is an estimate, but no number follows it", "khoảng 3.500"}},
    {"EstimateTildeOnly",
     "~",
     ValueUnit::percent,
     kDefault,
     {"'~' says the value is an estimate, but no number follows it"}},
    {"EstimateOfAWord",
     "khoảng abc",
     ValueUnit::percent,
     kDefault,
     {"after 'khoảng': 'abc' is not a number", "77,62%"}},
    {"EstimateOfAPercentOnACount",
     "ước tính 83,5%",
     ValueUnit::count,
     kDefault,
     {"after 'ước tính': '83,5%' is a percent, but this indicator is a count"}},
    {"EstimateWithoutASign",
     "khoảng 83,5",
     ValueUnit::percent,
     kDefault,
     {"after 'khoảng': '83,5' has no % sign"}},
    {"EstimateTwice",
     "khoảng khoảng 83,5%",
     ValueUnit::percent,
     kDefault,
     {"after 'khoảng': 'khoảng 83,5%' is not a number"}},
    {"EstimateMisspelt",
     "khoàng 83,5%",
     ValueUnit::percent,
     kDefault,
     {"'khoàng 83,5%' is not a number"}},
};

INSTANTIATE_TEST_SUITE_P(Values, ValuesRejected, testing::ValuesIn(kRejectedValues),
                         [](const testing::TestParamInfo<RejectedValue>& param) {
                           return std::string(param.param.name);
                         });

TEST(ValuesOptions, DefaultsAreAutoDetectAndRequireSign) {
  const NumberOptions options;
  EXPECT_EQ(options.decimal, DecimalMark::auto_detect);
  EXPECT_EQ(options.percent_as, PercentAs::require_sign);
}

TEST(ValuesPercent, RoundsOnceToTheNearestDouble) {
  // 0.07 / 100 and 125.805 / 100 are one ulp away from the doubles nearest 0.0007 and
  // 1.25805; the stored fraction is exactly the double the digits name.
  for (const auto& [text, options, expected] :
       {std::tuple{"0,07%", kDefault, 0.0007}, std::tuple{"125.805%", kDot, 1.25805},
        std::tuple{"77,62%", kDefault, 0.7762}}) {
    const auto result = parse_value(text, ValueUnit::percent, options);
    ASSERT_TRUE(std::holds_alternative<ParsedValue>(result)) << describe(result);
    EXPECT_EQ(std::get<ParsedValue>(result).value, expected) << text;
  }
}

// ---------------------------------------------------------------------------------------
// Estimates (issue #16): "khoảng 83,5%" is the value 0.835, written as an estimate.

struct AcceptedEstimate {
  const char* name;
  std::string text;
  ValueUnit unit;
  double value;
  std::optional<double> numerator = std::nullopt;
};

void PrintTo(const AcceptedEstimate& c, std::ostream* os) {
  *os << c.name << " '" << c.text << "'";
}

class ValuesEstimate : public testing::TestWithParam<AcceptedEstimate> {};

TEST_P(ValuesEstimate, ReadsTheValueAndFlagsIt) {
  const AcceptedEstimate& c = GetParam();
  const auto result = parse_value(c.text, c.unit, kDefault);
  ASSERT_TRUE(std::holds_alternative<ParsedValue>(result)) << describe(result);
  const ParsedValue& v = std::get<ParsedValue>(result);
  EXPECT_DOUBLE_EQ(v.value, c.value);
  EXPECT_EQ(v.numerator, c.numerator);
  EXPECT_TRUE(v.estimate);
}

const AcceptedEstimate kAcceptedEstimates[] = {
    {"Khoang", "khoảng 83,5%", ValueUnit::percent, 0.835},
    {"KhoangDecimalPoint", "khoảng 83.5%", ValueUnit::percent, 0.835},
    {"KhoangCapitalized", "Khoảng 83,5%", ValueUnit::percent, 0.835},
    {"KhoangUpperCase", "KHOẢNG 83,5%", ValueUnit::percent, 0.835},
    // NFD: "a" and U+0309 COMBINING HOOK ABOVE.
    {"KhoangNfd", "khoa\xCC\x89ng 83,5%", ValueUnit::percent, 0.835},
    {"KhoangWithoutAccent", "khoang 83,5%", ValueUnit::percent, 0.835},
    {"KhoangWithColon", "khoảng: 83,5%", ValueUnit::percent, 0.835},  // as BC 231 I.5.a
    {"KhoangNoBreakSpace",
     "khoảng\xC2\xA0"
     "83,5%",
     ValueUnit::percent, 0.835},
    {"KhoangNoSpace", "khoảng83,5%", ValueUnit::percent, 0.835},
    {"Tilde", "~83,5%", ValueUnit::percent, 0.835},
    {"TildeSpace", "~ 83,5%", ValueUnit::percent, 0.835},
    {"AlmostEqual", "≈83,5%", ValueUnit::percent, 0.835},
    {"Uoc", "ước 83,5%", ValueUnit::percent, 0.835},
    {"UocCapitalized", "Ước 83,5%", ValueUnit::percent, 0.835},
    // NFD: "u" U+031B, "o" U+031B U+0301.
    {"UocNfd",
     "u\xCC\x9Bo\xCC\x9B\xCC\x81"
     "c 83,5%",
     ValueUnit::percent, 0.835},
    {"UocTinh", "ước tính 83,5%", ValueUnit::percent, 0.835},
    {"UocTinhUpperCase", "ƯỚC TÍNH 83,5%", ValueUnit::percent, 0.835},
    {"UocTinhWithoutAccents", "uoc tinh 83,5%", ValueUnit::percent, 0.835},
    {"SurroundingSpaces", "  khoảng  83,5%  ", ValueUnit::percent, 0.835},
    {"Fraction", "khoảng 392/505", ValueUnit::percent, 392.0 / 505, 392.0},
    {"Count", "khoảng 3.500", ValueUnit::count, 3500},  // BC 231: "khoảng 3.500 trạm"
    {"Number", "ước tính 0,5", ValueUnit::number, 0.5},
};

INSTANTIATE_TEST_SUITE_P(Values, ValuesEstimate, testing::ValuesIn(kAcceptedEstimates),
                         [](const testing::TestParamInfo<AcceptedEstimate>& param) {
                           return std::string(param.param.name);
                         });

TEST(ValuesEstimate, AValueWithoutAnEstimateWordIsNoEstimate) {
  for (const char* text : {"83,5%", "392/505", "0,835"}) {
    const auto result = parse_value(text, ValueUnit::percent, kFraction);
    ASSERT_TRUE(std::holds_alternative<ParsedValue>(result)) << describe(result);
    EXPECT_FALSE(std::get<ParsedValue>(result).estimate) << text;
  }
}

// ---------------------------------------------------------------------------------------
// Periods.

model::Date day(int y, unsigned m, unsigned d) {
  return model::Date{std::chrono::year{y} / std::chrono::month{m} / std::chrono::day{d}};
}

struct AcceptedPeriod {
  const char* name;
  std::string text;
  Period expected;
};

void PrintTo(const AcceptedPeriod& c, std::ostream* os) { *os << c.name << " '" << c.text << "'"; }

std::string describe(const std::variant<Period, std::string>& result) {
  if (const auto* error = std::get_if<std::string>(&result)) return "error: " + *error;
  const Period& p = std::get<Period>(result);
  return fmt::format("kind {} from {} to {}", static_cast<int>(p.kind), model::to_string(p.first),
                     model::to_string(p.last));
}

class DataPeriodAccepted : public testing::TestWithParam<AcceptedPeriod> {};

TEST_P(DataPeriodAccepted, ReadsTheFirstAndLastDay) {
  const AcceptedPeriod& c = GetParam();
  const auto result = parse_data_period(c.text);
  ASSERT_TRUE(std::holds_alternative<Period>(result)) << describe(result);
  EXPECT_EQ(std::get<Period>(result), c.expected) << describe(result);
}

const Period kYear2022{Period::Kind::year, day(2022, 1, 1), day(2022, 12, 31)};
const Period kQ1{Period::Kind::quarter, day(2022, 1, 1), day(2022, 3, 31)};
const Period kQ2{Period::Kind::quarter, day(2022, 4, 1), day(2022, 6, 30)};
const Period kQ3{Period::Kind::quarter, day(2022, 7, 1), day(2022, 9, 30)};
const Period kQ4{Period::Kind::quarter, day(2022, 10, 1), day(2022, 12, 31)};
const Period kSeptember{Period::Kind::month, day(2022, 9, 1), day(2022, 9, 30)};
const Period kDecember{Period::Kind::month, day(2022, 12, 1), day(2022, 12, 31)};
const Period kFebruary2024{Period::Kind::month, day(2024, 2, 1), day(2024, 2, 29)};
const Period kSeptember30{Period::Kind::day, day(2022, 9, 30), day(2022, 9, 30)};

const AcceptedPeriod kAcceptedPeriods[] = {
    {"Year", "2022", kYear2022},
    {"YearTrimmed", " 2022\t", kYear2022},
    {"YearTrimmedNoBreakSpace",
     "\xC2\xA0"
     "2022\xC2\xA0",
     kYear2022},
    {"QuarterIso", "2022-Q3", kQ3},
    {"QuarterIsoLowerCase", "2022-q3", kQ3},
    {"QuarterSlash", "Q3/2022", kQ3},
    {"QuarterSlashLowerCase", "q3/2022", kQ3},
    {"QuyRomanNfc", "Quý III/2022", kQ3},
    {"QuyDigitNfc", "Quý 3/2022", kQ3},
    {"QuyLowerCase", "quý III/2022", kQ3},
    {"QuyWithoutSpace", "QuýIII/2022", kQ3},
    {"QuyDigitWithoutSpace", "Quý3/2022", kQ3},
    {"QuySpacesAroundSlash", "Quý III / 2022", kQ3},
    {"QuyNoBreakSpace", "Quý\xC2\xA0III/2022", kQ3},
    {"QuyRomanLowerCase", "Quý iii/2022", kQ3},
    {"QuyRomanI", "Quý I/2022", kQ1},
    {"QuyRomanII", "Quý II/2022", kQ2},
    {"QuyRomanIV", "Quý IV/2022", kQ4},
    {"QuyDigit1", "Quý 1/2022", kQ1},
    {"QuyDigit4", "Quý 4/2022", kQ4},
    {"QuyNfd", "Quy\xCC\x81 III/2022", kQ3},
    {"QuyNfdLowerCase", "quy\xCC\x81 2/2022", kQ2},
    {"QuyUpperCaseNfc", "QUÝ IV/2022", kQ4},
    {"QuyUpperCaseNfd", "QUY\xCC\x81 I/2022", kQ1},
    {"QuyWithoutAccent", "Quy III/2022", kQ3},
    {"QuiNfc", "Quí III/2022", kQ3},
    {"QuiNfd", "Qui\xCC\x81 3/2022", kQ3},
    {"QuiLowerCase", "quí IV/2022", kQ4},
    {"QuiWithoutAccent", "Qui 1/2022", kQ1},
    {"MonthIso", "2022-09", kSeptember},
    {"MonthSlashTwoDigits", "09/2022", kSeptember},
    {"MonthSlashOneDigit", "9/2022", kSeptember},
    {"ThangNfc", "tháng 9/2022", kSeptember},
    {"ThangCapitalTwoDigits", "Tháng 09/2022", kSeptember},
    {"ThangNfd", "tha\xCC\x81ng 9/2022", kSeptember},
    {"ThangCapitalNfd", "Tha\xCC\x81ng 09/2022", kSeptember},
    {"ThangUpperCase", "THÁNG 12/2022", kDecember},
    {"ThangWithoutSpace", "tháng9/2022", kSeptember},
    {"ThangSpacesAroundSlash", "tháng 9 / 2022", kSeptember},
    {"ThangWithoutAccent", "thang 2/2024", kFebruary2024},
    {"ThangLeapFebruary", "tháng 2/2024", kFebruary2024},
    {"DayIso", "2022-09-30", kSeptember30},
    {"DaySlash", "30/9/2022", kSeptember30},
    {"DaySlashTwoDigitMonth", "30/09/2022", kSeptember30},
    {"DayLeap", "29/2/2024", Period{Period::Kind::day, day(2024, 2, 29), day(2024, 2, 29)}},
    {"DaySingleDigits", "1/1/2022", Period{Period::Kind::day, day(2022, 1, 1), day(2022, 1, 1)}},
};

INSTANTIATE_TEST_SUITE_P(DataPeriod, DataPeriodAccepted, testing::ValuesIn(kAcceptedPeriods),
                         [](const testing::TestParamInfo<AcceptedPeriod>& param) {
                           return std::string(param.param.name);
                         });

struct RejectedPeriod {
  const char* name;
  std::string text;
  std::vector<std::string> contains;
};

void PrintTo(const RejectedPeriod& c, std::ostream* os) { *os << c.name << " '" << c.text << "'"; }

class DataPeriodRejected : public testing::TestWithParam<RejectedPeriod> {};

TEST_P(DataPeriodRejected, SaysWhatWasExpected) {
  const RejectedPeriod& c = GetParam();
  const auto result = parse_data_period(c.text);
  ASSERT_TRUE(std::holds_alternative<std::string>(result)) << describe(result);
  const std::string& message = std::get<std::string>(result);
  for (const std::string& part : c.contains) {
    EXPECT_NE(message.find(part), std::string::npos) << "'" << part << "' not in: " << message;
  }
}

const std::vector<std::string> kListing = {"2022-Q3", "Quý III/2022", "tháng 9/2022", "30/9/2022"};

std::vector<std::string> listing(std::string first) {
  std::vector<std::string> all = {std::move(first)};
  all.insert(all.end(), kListing.begin(), kListing.end());
  return all;
}

const RejectedPeriod kRejectedPeriods[] = {
    {"Empty", "", listing("the period is empty")},
    {"Blank", " \xC2\xA0 ", listing("the period is empty")},
    {"Word", "abc", listing("'abc' is not a period")},
    {"OneDigitIsoMonth", "2022-9", listing("'2022-9' is not a period")},
    {"YearFirstWithSlash", "2022/09", listing("'2022/09' is not a period")},
    {"QuarterWithDash", "Q3-2022", listing("'Q3-2022' is not a period")},
    {"QuarterAfterSpace", "2022 Q3", listing("'2022 Q3' is not a period")},
    {"OneDigitIsoDay", "2022-09-3", listing("is not a period")},
    {"OtherWord", "Quyển 3/2022", listing("'Quyển 3/2022' is not a period")},
    {"GraveAccentedThang", "thàng 9/2022", listing("is not a period")},
    {"QuarterFive", "Q5/2022", {"quarters are Q1 to Q4"}},
    {"QuyRomanV", "Quý V/2022", {"'Quý V/2022' is not a quarter: quarters are I to IV"}},
    {"QuyRomanIIII", "Quý IIII/2022", {"quarters are I to IV (or 1 to 4)"}},
    {"QuyDigitFive", "Quý 5/2022", {"quarters are I to IV"}},
    {"QuyDigitZero", "Quý 0/2022", {"quarters are I to IV"}},
    {"QuyTwoDigits", "Quý 03/2022", {"quarters are I to IV"}},
    {"QuyWithoutYear", "Quý III", {"'Quý III' is not a quarter; write Quý III/2022"}},
    {"QuyWithoutNumber", "Quý /2022", {"is not a quarter; write Quý III/2022"}},
    {"QuyDirectlySlash", "Quý/2022", {"is not a quarter"}},
    {"QuyEmptyYear", "Quý III/", {"is not a quarter"}},
    {"QuyTrailingText", "Quý III/2022 x", {"is not a quarter"}},
    {"QuyYearTooLong", "Quý III/20220000", {"is not a quarter"}},
    {"QuyYearOutOfRange", "Quý III/1800", {"'Quý III/1800': the year 1800 is outside 1900..2200"}},
    {"QuyNfdYearOutOfRange", "Quy\xCC\x81 3/2300", {"'Quy\xCC\x81 3/2300': the year 2300"}},
    {"ThangThirteen", "tháng 13/2022", {"'tháng 13/2022' is not a month: there is no month 13"}},
    {"ThangZero", "tháng 0/2022", {"there is no month 0"}},
    {"ThangThreeDigits", "tháng 123/2022", {"'tháng 123/2022' is not a month; write tháng 9/2022"}},
    {"ThangWithoutNumber", "tháng /2022", {"is not a month; write tháng 9/2022"}},
    {"ThangWithoutYear", "tháng 9", {"is not a month"}},
    {"ThangRoman", "tháng IX/2022", {"is not a month"}},
    {"ThangYearOutOfRange", "tháng 9/1899", {"'tháng 9/1899': the year 1899 is outside"}},
    {"MonthThirteen", "13/2022", {"there is no month 13"}},
    {"IsoMonthThirteen", "2022-13", {"there is no month 13"}},
    {"NoSuchDay", "30/2/2022", {"February 2022 has 28 days"}},
    {"NoSuchIsoDay", "2022-02-30", {"February 2022 has 28 days"}},
    {"DayThirtyTwo", "32/1/2022", {"January 2022 has 31 days"}},
    {"MonthFirst", "9/30/2022", {"there is no month 30"}},
    {"YearOutOfRange", "1800", {"the year 1800 is outside 1900..2200"}},
    {"ShortYear", "9/22", {"the year 22 is outside"}},
};

INSTANTIATE_TEST_SUITE_P(DataPeriod, DataPeriodRejected, testing::ValuesIn(kRejectedPeriods),
                         [](const testing::TestParamInfo<RejectedPeriod>& param) {
                           return std::string(param.param.name);
                         });

}  // namespace
}  // namespace tiendo::store

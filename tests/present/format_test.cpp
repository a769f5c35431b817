// Numbers, percents, dates, periods, rates, plan citations and escaping as people read
// them, in Vietnamese and in English.
#include "present/format.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "present/markup.hpp"

namespace tiendo::present {
namespace {

model::Period period(std::string_view text) {
  std::string error;
  const auto parsed = model::parse_period(text, error);
  EXPECT_TRUE(parsed.has_value()) << text << ": " << error;
  return parsed.value_or(model::Period{});
}

model::Date day(std::string_view text) { return period(text).last; }

TEST(PresentFormat, NumbersUseADecimalCommaAndDotsBetweenThousands) {
  EXPECT_EQ(format_percent(0.835), "83,5%");
  EXPECT_EQ(format_percent(0.7762), "77,62%");
  EXPECT_EQ(format_percent(0.0923), "9,23%");
  EXPECT_EQ(format_percent(1), "100%");
  EXPECT_EQ(format_percent(33.0 / 36.0), "91,67%");
  EXPECT_EQ(format_number(3103499), "3.103.499");
  EXPECT_EQ(format_number(1234.5), "1.234,5");
  EXPECT_EQ(format_number(999), "999");
  EXPECT_EQ(format_number(1000), "1.000");
  EXPECT_EQ(format_number(999.999), "1.000");  // two decimals round up into thousands
  EXPECT_EQ(format_number(0.1), "0,1");
  EXPECT_EQ(format_number(0), "0");
  EXPECT_EQ(format_number(-0.001), "0");  // no "-0"
  EXPECT_EQ(format_number(-1234567.891), "-1.234.567,89");
  // Every digit kept, for a value of unknown unit (history --lang vi).
  EXPECT_EQ(format_exact_number(0.0923), "0,0923");
  EXPECT_EQ(format_exact_number(3103499), "3.103.499");
  EXPECT_EQ(format_exact_number(-1234.5678), "-1.234,57");  // six significant digits
  EXPECT_EQ(format_exact_number(0.000123), "0,000123");
  EXPECT_EQ(format_exact_number(0.0923, Language::en), "0.0923");
}

TEST(PresentFormat, DatesAreDayFirstLikeAdministrativeDocuments) {
  EXPECT_EQ(format_date(day("2022-12-31")), "31/12/2022");
  EXPECT_EQ(format_date(day("2022-09-30")), "30/9/2022");
  EXPECT_EQ(format_date(day("2022-06-01")), "01/6/2022");
  EXPECT_EQ(format_date(day("2022-02-11")), "11/02/2022");
  EXPECT_EQ(format_date(day("2021-01-18")), "18/01/2021");
}

// Issue #16: the date line of a document, as Nghị định 30/2020/NĐ-CP writes it.
TEST(PresentFormat, DocumentDatesSpellDayMonthAndYear) {
  EXPECT_EQ(format_document_date(day("2026-12-05")), "ngày 05 tháng 12 năm 2026");
  EXPECT_EQ(format_document_date(day("2022-09-30")), "ngày 30 tháng 9 năm 2022");
  EXPECT_EQ(format_document_date(day("2022-02-11")), "ngày 11 tháng 02 năm 2022");
  EXPECT_EQ(format_document_date(day("2021-01-08")), "ngày 08 tháng 01 năm 2021");
}

// Issue #16: a plan is cited as a document is, its kind read from its code.
TEST(PresentFormat, PlansAreCitedAsDocuments) {
  model::Plan plan;
  plan.name = "KH177";
  plan.title = "Kế hoạch triển khai Nghị quyết số 05-NQ/TU";
  plan.code = "177/KH-UBND";
  plan.issued = day("2022-08-05");
  EXPECT_EQ(cite_plan(plan), "Kế hoạch 177/KH-UBND ngày 05/8/2022");
  plan.code = "05-NQ/TU";
  plan.issued = day("2022-03-28");
  EXPECT_EQ(cite_plan(plan), "Nghị quyết 05-NQ/TU ngày 28/3/2022");
  plan.code = "2345/QĐ-UBND";
  plan.issued.reset();
  EXPECT_EQ(cite_plan(plan), "Quyết định 2345/QĐ-UBND");  // no date given, none written
  plan.code = "2588/UBND-KGVX";
  EXPECT_EQ(cite_plan(plan), "Văn bản 2588/UBND-KGVX");
  plan.code.clear();
  EXPECT_EQ(cite_plan(plan), "Kế hoạch triển khai Nghị quyết số 05-NQ/TU");  // by its title
}

TEST(PresentFormat, RomanNumerals) {
  EXPECT_EQ(roman(1), "I");
  EXPECT_EQ(roman(3), "III");
  EXPECT_EQ(roman(4), "IV");
  EXPECT_EQ(roman(9), "IX");
  EXPECT_EQ(roman(14), "XIV");
  EXPECT_EQ(roman(2022), "MMXXII");
  EXPECT_EQ(roman(0), "0");
}

TEST(PresentFormat, EscapesHtmlAndQuotesCsvFields) {
  EXPECT_EQ(html_escape("<a href=\"x\">Tom & 'Jerry'</a>"),
            "&lt;a href=&quot;x&quot;&gt;Tom &amp; &#39;Jerry&#39;&lt;/a&gt;");
  EXPECT_EQ(csv_field("Đạt"), "Đạt");
  EXPECT_EQ(csv_field("83,5%"), "\"83,5%\"");
  EXPECT_EQ(csv_field("nói \"có\""), "\"nói \"\"có\"\"\"");
  EXPECT_EQ(csv_field("hai\ndòng"), "\"hai\ndòng\"");
  EXPECT_EQ(csv_field(""), "");
}

TEST(PresentFormat, EnglishUsesADecimalPointAndIsoDates) {
  EXPECT_EQ(format_number(3103499, Language::en), "3,103,499");
  EXPECT_EQ(format_number(-1234567.891, Language::en), "-1,234,567.89");
  EXPECT_EQ(format_percent(0.7762, Language::en), "77.62%");
  EXPECT_EQ(format_date(day("2022-06-01"), Language::en), "2022-06-01");
  model::Plan plan;
  plan.name = "KH177";
  plan.code = "177/KH-UBND";
  plan.issued = day("2022-08-05");
  EXPECT_EQ(cite_plan(plan, Language::en), "Plan 177/KH-UBND of 2022-08-05");
}

TEST(PresentFormat, PeriodsByTheirNames) {
  EXPECT_EQ(format_period(period("2022-09")), "Tháng 9/2022");
  EXPECT_EQ(format_period(period("2022-Q3")), "Quý III/2022");
  EXPECT_EQ(format_period(period("2022")), "Năm 2022");
  EXPECT_EQ(format_period(period("2022-06-01")), "01/6/2022");
  EXPECT_EQ(format_period(period("2022-09"), Language::en), "September 2022");
  EXPECT_EQ(format_period(period("2022-Q3"), Language::en), "Q3 2022");
  EXPECT_EQ(format_period(period("2022"), Language::en), "2022");
  model::Period span = period("2022-06-01");
  span.last = day("2022-06-15");
  EXPECT_EQ(format_period(span), "01/6/2022 – 15/6/2022");
}

TEST(PresentFormat, RatesArePerMonthAndPercentRatesInPoints) {
  EXPECT_EQ(format_rate(0.015, true), "1,5 điểm %/tháng");
  EXPECT_EQ(format_rate(-120, false), "120/tháng");
  EXPECT_EQ(format_signed_rate(0.015, true), "+1,5 điểm %/tháng");
  EXPECT_EQ(format_signed_rate(-120, false), "-120/tháng");
  EXPECT_EQ(format_signed_rate(0.00001, true), "0 điểm %/tháng");  // rounds to 0: no sign
  EXPECT_EQ(format_signed_rate(0.015, true, Language::en), "+1.5 pp/month");
  EXPECT_EQ(comparator_symbol(model::Comparator::ge), "≥");
  EXPECT_EQ(comparator_symbol(model::Comparator::ne), "≠");
  EXPECT_EQ(comparator_symbol(model::Comparator::between), "");
}

// Issue #16: an estimated figure, as BC 231 writes "khoảng 83,5%".
TEST(PresentFormat, AnEstimateIsWrittenKhoang) {
  EXPECT_EQ(format_estimate(format_percent(0.835)), "khoảng 83,5%");
  EXPECT_EQ(format_estimate(format_number(3500)), "khoảng 3.500");
  EXPECT_EQ(format_estimate(format_percent(0.835, Language::en), Language::en), "about 83.5%");
}

TEST(PresentMarkup, TablesAlignByCharactersAndColourOneColumn) {
  const std::vector<std::vector<std::string>> rows = {
      {"RULE", "STATE", "REASON"}, {"đạt_rule", "met", ""}, {"x", "missed", "why"}};
  EXPECT_EQ(table(rows), "RULE      STATE   REASON\nđạt_rule  met\nx         missed  why\n");
  const std::string coloured = table(rows, {std::nullopt, Tone::green, Tone::red}, 1, true);
  EXPECT_NE(coloured.find("\x1b[32mmet   \x1b[0m"), std::string::npos) << coloured;
  EXPECT_NE(coloured.find("\x1b[31mmissed\x1b[0m"), std::string::npos) << coloured;
  EXPECT_EQ(coloured.find("\x1b[", 0), coloured.find("\x1b[32m"));  // the header is plain
  EXPECT_EQ(table(rows, {std::nullopt, Tone::green, Tone::red}, 1, false), table(rows));
}

}  // namespace
}  // namespace tiendo::present

// Numbers, percents, dates, periods, rates and the documents a rule rests on, as people
// read them: Vietnamese by default (decimal comma, day first, as administrative
// documents write them), English on request.
#pragma once

#include <string>
#include <string_view>

#include "model/calendar.hpp"
#include "model/rule_set.hpp"
#include "present/labels.hpp"

namespace tiendo::present {

// At most two decimals, no trailing zeros. Vietnamese: decimal comma, dot between
// thousands (3103499 → "3.103.499", 9.2345 → "9,23", 1 → "1"); English: decimal point,
// comma between thousands ("3,103,499", "9.23"). "NaN", "∞" and "-∞" as such.
std::string format_number(double value, Language language = Language::vi);
// The same to six significant digits (whole numbers in full), as eval::number_text keeps
// them, for a value whose unit is not known and may be a small fraction: 0.0923 →
// "0,0923", 3103499 → "3.103.499".
std::string format_exact_number(double value, Language language = Language::vi);
// A fraction as a percent: 0.835 → "83,5%", 0.7762 → "77,62%", 1 → "100%".
std::string format_percent(double fraction, Language language = Language::vi);
// Vietnamese: day first, as administrative documents write dates (Nghị định
// 30/2020/NĐ-CP): the day always has two digits, the month only when it is 1 or 2:
// "01/6/2022", "11/02/2022". English: "2022-06-01".
std::string format_date(model::Date date, Language language = Language::vi);
// The date of an administrative document, after its place (Nghị định 30/2020/NĐ-CP), with
// the same digits as format_date: "ngày 05 tháng 12 năm 2026", "ngày 30 tháng 9 năm 2022",
// "ngày 11 tháng 02 năm 2022". Vietnamese only: the form is the decree's.
std::string format_document_date(model::Date date);
// A period by its name, as documents write it: "Tháng 9/2022", "Quý III/2022", "Năm 2022",
// a day as format_date; "September 2022", "Q3 2022", "2022". A span of days that is none
// of these by its first and last day: "01/6/2022 – 15/6/2022".
std::string format_period(const model::Period& period, Language language = Language::vi);
// The size of a monthly rate of change with its unit; percent figures change by percentage
// points: 0.015 → "1,5 điểm %/tháng" (percent), 120 → "120/tháng". The sign is left to
// the sentence ("cần tăng").
std::string format_rate(double per_month, bool percent, Language language = Language::vi);
// The same with its sign: "+1,5 điểm %/tháng", "-120/tháng"; none when it rounds to 0.
std::string format_signed_rate(double per_month, bool percent, Language language = Language::vi);
// A figure that rests on an estimate, as the provincial report writes one: "khoảng
// 83,5%"; "about 83.5%".
std::string format_estimate(std::string_view figure, Language language = Language::vi);
// "≥", "≤", ">", "<", "=", "≠"; empty for between, which is written as a range.
std::string_view comparator_symbol(model::Comparator op);
// "I", "II", … "MMXXII"; the number itself outside 1..3999.
std::string roman(int number);

// A plan as a document is cited: its kind read from its code, the code and the date it
// was issued ("Kế hoạch 177/KH-UBND ngày 05/8/2022", "Nghị quyết 05-NQ/TU ngày
// 28/3/2022"); a plan without a code is cited by its title.
std::string cite_plan(const model::Plan& plan, Language language = Language::vi);
// A rule's basis, its plans cited and joined by "; "; empty without one.
std::string basis_text(const model::RuleSet& rules, const model::Rule& rule,
                       Language language = Language::vi);

// A version of a rule's target as the documents state it: "50%" (at least), "≤ 5%",
// "80% – 100%", or the condition as written when its bound is not a number.
std::string version_target(const model::RuleSet& rules, const model::Rule& version,
                           Language language = Language::vi);
// A rule's target over time, from its own require through its amendments: "50% theo
// 177/KH-UBND; điều chỉnh còn 30% từ 15/10/2022 theo 2345/QĐ-UBND" ("50% under
// 177/KH-UBND; amended to 30% from 2022-10-15 under 2345/QĐ-UBND"). A deadline is named
// where an amendment changes it. Empty for a rule never amended.
std::string target_history(const model::RuleSet& rules, model::Index rule,
                           Language language = Language::vi);
// The change from one version of a rule's target to another: "50% → 30% từ 15/10/2022
// theo 2345/QĐ-UBND" ("50% → 30% from 2022-10-15 under 2345/QĐ-UBND"); going back to an
// earlier version (a rewound ledger) names the version's own date or the rule's document.
std::string target_change(const model::RuleSet& rules, model::Index rule, std::int32_t from,
                          std::int32_t to, Language language = Language::vi);

}  // namespace tiendo::present

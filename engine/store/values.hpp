// Values and periods as they are written in the CSV and JSON data files that provinces
// send: Vietnamese number formats (decimal comma, dots between thousands), percents with
// or without a sign, fractions "392/505", and periods such as "Quý III/2022". Pure
// functions: the ingest reads the files and reports the errors with their place.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "model/calendar.hpp"
#include "model/rule_set.hpp"

namespace tiendo::store {

// `--decimal`: which mark separates decimals. auto_detect reads a comma as the decimal
// comma (dots then separate thousands), several dots as thousands, and a single dot as a
// decimal point unless exactly three digits follow it: `125.805` is 125805 for a count
// and an error for anything else, because both readings are plausible. `comma` makes `,`
// decimal and `.` thousands; `dot` makes `.` decimal and `,` thousands. A space or a
// no-break space (U+00A0, U+202F, U+2009) separates thousands in every mode.
enum class DecimalMark { auto_detect, comma, dot };

// `--percent-as`: how a percent indicator's number without `%` is read. require_sign
// (the default) refuses it; points reads `77.62` as 77.62%; fraction reads `0.7762` as
// 77.62%.
enum class PercentAs { require_sign, points, fraction };

struct NumberOptions {
  DecimalMark decimal = DecimalMark::auto_detect;
  PercentAs percent_as = PercentAs::require_sign;
};

struct ParsedValue {
  double value =
      0;  // as stored: a percent as its fraction (77,62% -> 0.7762; 392/505 -> 392.0/505)
  std::optional<double> numerator;  // "392/505" keeps both
  std::optional<double> denominator;
  bool estimate = false;  // written as an estimate: "khoảng 83,5%"
  bool operator==(const ParsedValue&) const = default;
};

// Reads one data value for an indicator of unit `unit`. Surrounding whitespace (and
// no-break spaces) is ignored. Accepted:
//   percent: `77,62%`, `83.5%`, `99%`, `-3,5%`, `392/505` (kept as numerator and
//            denominator; the value is the ratio), and bare numbers when
//            options.percent_as says how to read them; from -1000% to 1000% (a larger
//            percent is taken for a typo);
//   count:   whole numbers that are not negative: `42`, `3.103.499`, `125.805`,
//            `3 103 499`;
//   number:  `0,5`, `-3,5`, `42`, `1.234,5`, `9.23`.
// Thousands groups have exactly three digits and the first group does not start with 0.
// In auto_detect mode a count's single comma followed by three digits (`1,000`) is an
// error like `125.805` for other units: the writer may have meant thousands.
// Any of these may be written as an estimate, with a word or sign before it: `khoảng
// 83,5%`, `ước 83,5%`, `ước tính 83,5%`, `~83,5%`, `≈ 83,5%` (a colon may follow the word:
// `khoảng: 83,5%`); the words in any letter case, in NFC or NFD, or without their accents
// (`khoang`, `uoc`, `uoc tinh`). The value is then the number's, with `estimate` set.
// Refused, each with a sentence a person can act on: empty text, words, `inf`, `nan`,
// several decimal marks (`1,2,3`), `12%%`, trailing text, a zero denominator, a `%` or a
// fraction on a count or number, a bare number on a percent (naming --percent-as), and
// numbers that another --decimal would read (naming it and what it would read), and an
// estimate's word without a number after it (`khoảng`) or before something else
// (`khoảng abc`: the message starts "after 'khoảng': " and says what is wrong with the rest).
std::variant<ParsedValue, std::string> parse_value(std::string_view text, model::ValueUnit unit,
                                                   const NumberOptions& options);

// Reads a period as people write it in reports; it becomes its first and last day with
// the matching Period::Kind:
//   year     `2022`
//   quarter  `2022-Q3`, `Q3/2022`, `Quý III/2022`, `Quý 3/2022`, `quý III/2022`,
//            `QuýIII/2022`, `Quí III/2022` (Roman I to IV or 1 to 4)
//   month    `2022-09`, `09/2022`, `9/2022`, `tháng 9/2022`, `Tháng 09/2022`
//   day      `2022-09-30`, `30/9/2022`, `30/09/2022`
// `Quý`, `Quí` and `tháng` may be in NFC or NFD, in any letter case, or typed without
// their accent (`Quy`, `thang`); spaces around `/` after them are ignored. Every form is
// model::parse_period's (the numeric ones with `q` allowed for `Q`), so a period reads the
// same in data, in rules and in `--at`, and the years are 1900..2200 as in the rules.
// Errors say what is wrong, or list the forms above.
std::variant<model::Period, std::string> parse_data_period(std::string_view text);

}  // namespace tiendo::store

#include "store/values.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <vector>

#include "util/text.hpp"

namespace tiendo::store {

namespace {

using model::ValueUnit;

using util::space_at;

std::string_view trim(std::string_view text) {
  while (const std::size_t n = space_at(text, 0)) text.remove_prefix(n);
  while (!text.empty()) {
    std::size_t n = 0;
    for (std::size_t back = 1; back <= 3 && back <= text.size() && n == 0; ++back) {
      if (space_at(text, text.size() - back) == back) n = back;
    }
    if (n == 0) break;
    text.remove_suffix(n);
  }
  return text;
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

std::string ascii_lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

std::optional<double> to_double(const std::string& text) {
  double value = 0;
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || ptr != text.data() + text.size() || !std::isfinite(value)) {
    return std::nullopt;
  }
  return value;
}

// ---------------------------------------------------------------------------------------
// Numbers.

constexpr std::size_t kMaxDigits = 30;

// A number as written, without its grouping: "1234.5" (digits, and '.' before decimals).
struct Number {
  std::string plain;
  double value = 0;
};

struct Failure {
  std::string message;
  // The message already explains both --decimal readings, so no hint is added.
  bool explains_decimal = false;
};

std::string example_for(ValueUnit unit) {
  switch (unit) {
    case ValueUnit::percent:
      return "a percent such as 77,62% or 83.5%, or a fraction such as 392/505";
    case ValueUnit::count:
      return "a whole number such as 42 or 3.103.499";
    case ValueUnit::number:
      return "a number such as 42, 0,5 or -3,5";
  }
  return "a number";
}

std::string_view mark_name(char mark) { return mark == ',' ? "comma" : "point"; }

std::string separator_name(char c) {
  return c == ' ' ? std::string("a space") : fmt::format("'{}'", c);
}

// A valid first group of a number grouped in thousands.
bool leads_a_group(std::string_view digits) {
  return !digits.empty() && digits.size() <= 3 && digits[0] != '0';
}

// Reads `body`: digits with '.', ',' or ' ' between them (other spaces are already ' ').
// `ambiguous_is_thousands` settles `125.805` in auto mode (true for counts). Messages are
// predicates for `subject`: "'1,2,3' has more than one comma, ...".
std::variant<Number, Failure> read_number(std::string_view body, std::string_view subject,
                                          DecimalMark mark, bool ambiguous_is_thousands,
                                          bool is_count) {
  const auto fail = [&](std::string predicate) {
    return Failure{fmt::format("{} {}", subject, predicate)};
  };
  // Digit runs and the separator before each run but the first.
  std::vector<std::string_view> runs;
  std::vector<char> separators;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= body.size(); ++i) {
    if (i < body.size() && is_digit(body[i])) continue;
    if (i == start) {
      if (body.empty()) return fail("is empty");
      if (i == 0) {
        const char c = body[0];
        if (c == ' ') return fail("has a space after the minus sign");
        return fail(fmt::format("starts with '{}'; write a digit before it, as in 0{}5", c, c));
      }
      if (i == body.size()) {
        return fail(
            fmt::format("ends with {}; a number ends with a digit", separator_name(body[i - 1])));
      }
      return fail("has two separators in a row");
    }
    runs.push_back(body.substr(start, i - start));
    if (i < body.size()) separators.push_back(body[i]);
    start = i + 1;
  }

  const auto count_of = [&](char c) { return std::count(separators.begin(), separators.end(), c); };
  const bool has_space = count_of(' ') > 0;
  char decimal = 0;    // the decimal mark, if the number may have one
  char thousands = 0;  // the mark between thousands besides the space
  switch (mark) {
    case DecimalMark::dot:
      decimal = '.';
      thousands = ',';
      break;
    case DecimalMark::comma:
      decimal = ',';
      thousands = '.';
      break;
    case DecimalMark::auto_detect: {
      const auto commas = count_of(',');
      const auto dots = count_of('.');
      // Exactly three digits after the only mark, after a valid first group: both
      // readings are plausible.
      const bool three_after_only_mark =
          separators.size() == 1 && runs[1].size() == 3 && leads_a_group(runs[0]);
      if (commas > 0) {
        decimal = ',';
        thousands = '.';
        if (is_count && three_after_only_mark && commas == 1) {
          return Failure{
              fmt::format("{} is ambiguous for a count: the comma may separate thousands ({}{}) "
                          "or be a decimal comma ({},{}); pass --decimal dot if commas separate "
                          "thousands in this file, or --decimal comma if they are decimal commas",
                          subject, runs[0], runs[1], runs[0], runs[1]),
              true};
        }
      } else if (dots >= 2) {
        thousands = '.';
      } else if (dots == 1 && !has_space && three_after_only_mark) {
        if (!ambiguous_is_thousands) {
          return Failure{
              fmt::format("{} is ambiguous: the dot may separate thousands ({}{}) or be a "
                          "decimal point ({}.{}); pass --decimal comma if dots separate "
                          "thousands in this file, or --decimal dot if the dot is a decimal "
                          "point",
                          subject, runs[0], runs[1], runs[0], runs[1]),
              true};
        }
        thousands = '.';
      } else {
        decimal = '.';
        thousands = ',';
      }
      break;
    }
  }

  const auto decimals = count_of(decimal);
  if (decimal != 0 && decimals > 1) {
    if (mark == DecimalMark::auto_detect) {
      return fail(fmt::format("has more than one '{}', and '{}' is read as the decimal mark",
                              decimal, decimal));
    }
    return fail(fmt::format("has more than one decimal {} ('{}')", mark_name(decimal), decimal));
  }
  std::size_t integer_runs = runs.size();
  if (decimal != 0 && decimals == 1) {
    const auto at = std::find(separators.begin(), separators.end(), decimal);
    if (at + 1 != separators.end()) {
      return fail(fmt::format(
          "has {} after the decimal {} '{}'; thousands are separated before the decimal mark",
          separator_name(*(at + 1)), mark_name(decimal), decimal));
    }
    integer_runs = runs.size() - 1;
  }
  if (integer_runs > 1) {
    if (has_space && count_of(thousands) > 0) {
      return fail(
          fmt::format("mixes '{}' and spaces between thousands; use one of them", thousands));
    }
    const char grouping = has_space ? ' ' : thousands;
    if (runs[0][0] == '0') {
      return fail("starts with 0, which a number grouped in thousands does not");
    }
    bool groups_ok = runs[0].size() <= 3;
    for (std::size_t i = 1; i < integer_runs; ++i) groups_ok = groups_ok && runs[i].size() == 3;
    if (!groups_ok) {
      return fail(fmt::format(
          "has thousands groups of other than three digits; write them as in 3{}103{}499", grouping,
          grouping));
    }
  }

  Number number;
  for (std::size_t i = 0; i < integer_runs; ++i) number.plain += runs[i];
  if (integer_runs < runs.size()) number.plain += fmt::format(".{}", runs.back());
  const std::size_t digits = number.plain.size() - (integer_runs < runs.size() ? 1 : 0);
  if (digits > kMaxDigits) return fail(fmt::format("has more than {} digits", kMaxDigits));
  const auto value = to_double(number.plain);
  if (!value) return fail("is not a number that can be stored");
  number.value = *value;
  return number;
}

// The digits, signs and separators of a number; spaces of every kind become ' '.
struct Scanned {
  std::string body;
  std::size_t end = 0;  // where the number stops in the text
};

Scanned scan_number(std::string_view text, std::size_t pos) {
  Scanned scanned;
  while (pos < text.size()) {
    const char c = text[pos];
    if (is_digit(c) || c == '.' || c == ',' || c == ' ') {
      scanned.body += c;
      ++pos;
      continue;
    }
    const std::size_t n = c == '\t' ? 0 : space_at(text, pos);
    if (n == 0) break;
    scanned.body += ' ';
    pos += n;
  }
  while (!scanned.body.empty() && scanned.body.back() == ' ') scanned.body.pop_back();
  scanned.end = pos;
  return scanned;
}

struct Read {
  ParsedValue parsed;
  std::string shown;  // how the value reads, for hints: "1234.5", "12.5%", "1500/2000"
};

constexpr double kMaxPercent = 1000;

std::optional<Failure> check_percent_range(std::string_view text, double fraction,
                                           std::string_view extra = {}) {
  if (fraction > kMaxPercent / 100 || fraction < -kMaxPercent / 100) {
    return Failure{fmt::format("'{}' is {} {}%; a percent that large is taken for a typo{}", text,
                               fraction > 0 ? "above" : "below",
                               fraction > 0 ? kMaxPercent : -kMaxPercent, extra)};
  }
  return std::nullopt;
}

std::variant<Read, Failure> read_fraction(std::string_view text, std::size_t slash, ValueUnit unit,
                                          const NumberOptions& options) {
  if (text.find('/', slash + 1) != std::string_view::npos) {
    return Failure{fmt::format("'{}' has more than one '/'; a fraction is written 392/505", text)};
  }
  if (unit != ValueUnit::percent) {
    return Failure{fmt::format("'{}' is a fraction, but this indicator is {}; write {}", text,
                               unit == ValueUnit::count ? "a count" : "a number",
                               unit == ValueUnit::count ? "the count itself, such as 392"
                                                        : "the number itself, such as 0,5")};
  }
  const auto part = [&](std::string_view written,
                        std::string_view name) -> std::variant<Number, Failure> {
    written = trim(written);
    if (written.empty()) {
      return Failure{fmt::format("'{}' has no {}; a fraction is written 392/505", text, name)};
    }
    if (written[0] == '-') {
      return Failure{fmt::format("'{}' has a negative {}; a fraction counts things, as in 392/505",
                                 text, name)};
    }
    const Scanned scanned = scan_number(written, 0);
    if (scanned.end != written.size() || scanned.body.empty()) {
      return Failure{fmt::format("'{}': the {} '{}' is not a number; a fraction is written 392/505",
                                 text, name, written)};
    }
    auto number = read_number(scanned.body, fmt::format("'{}': the {} {}", text, name, written),
                              options.decimal, true, true);
    if (const auto* n = std::get_if<Number>(&number); n && n->value != std::floor(n->value)) {
      return Failure{fmt::format(
          "'{}': the {} {} is not a whole number; a fraction counts things, as in 392/505", text,
          name, written)};
    }
    return number;
  };
  auto numerator = part(text.substr(0, slash), "numerator");
  if (auto* failure = std::get_if<Failure>(&numerator)) return std::move(*failure);
  auto denominator = part(text.substr(slash + 1), "denominator");
  if (auto* failure = std::get_if<Failure>(&denominator)) return std::move(*failure);
  const Number& n = std::get<Number>(numerator);
  const Number& d = std::get<Number>(denominator);
  if (d.value == 0) {
    return Failure{
        fmt::format("'{}' has a zero denominator; a fraction such as 392/505 counts "
                    "the part over a whole that is not empty",
                    text)};
  }
  Read read{{n.value / d.value, n.value, d.value, false}, fmt::format("{}/{}", n.plain, d.plain)};
  if (auto failure = check_percent_range(text, read.parsed.value)) return std::move(*failure);
  return read;
}

std::variant<Read, Failure> read_value(std::string_view text, ValueUnit unit,
                                       const NumberOptions& options) {
  if (text.empty()) {
    return Failure{fmt::format("the value is empty; write {}", example_for(unit))};
  }
  {
    std::string_view unsigned_text = text;
    if (unsigned_text[0] == '-' || unsigned_text[0] == '+') unsigned_text.remove_prefix(1);
    const std::string word = ascii_lower(unsigned_text);
    if (word == "inf" || word == "infinity" || word == "nan") {
      return Failure{fmt::format("'{}' is not a finite number; write {}", text, example_for(unit))};
    }
  }
  if (const std::size_t slash = text.find('/'); slash != std::string_view::npos) {
    return read_fraction(text, slash, unit, options);
  }

  const bool negative = text[0] == '-';
  const Scanned scanned = scan_number(text, negative ? 1 : 0);
  if (scanned.body.empty()) {
    return Failure{fmt::format("'{}' is not a number; write {}", text, example_for(unit))};
  }
  std::string_view rest = trim(text.substr(scanned.end));
  const bool has_percent = rest.starts_with('%');
  if (has_percent) rest = trim(rest.substr(1));
  if (has_percent && rest.starts_with('%')) {
    return Failure{fmt::format("'{}' has more than one % sign; write one, as in 77,62%", text)};
  }
  if (!rest.empty()) {
    return Failure{
        fmt::format("'{}' has '{}' after the number; write {}", text, rest, example_for(unit))};
  }
  if (has_percent && unit != ValueUnit::percent) {
    return Failure{fmt::format("'{}' is a percent, but this indicator is {}; write {}", text,
                               unit == ValueUnit::count ? "a count" : "a number",
                               unit == ValueUnit::count ? "the count itself, such as 3.103.499"
                                                        : "the number without %, such as 0,5")};
  }
  if (unit == ValueUnit::percent && !has_percent && options.percent_as == PercentAs::require_sign) {
    return Failure{fmt::format(
        "'{}' has no % sign, but this indicator is a percent; write it with % (77,62%) or as a "
        "fraction (392/505), or pass --percent-as points if 77.62 means 77.62% in this file, or "
        "--percent-as fraction if 0.7762 means 77.62%",
        text)};
  }

  auto number = read_number(scanned.body, fmt::format("'{}'", text), options.decimal,
                            unit == ValueUnit::count, unit == ValueUnit::count);
  if (auto* failure = std::get_if<Failure>(&number)) return std::move(*failure);
  const Number& n = std::get<Number>(number);
  const std::string sign = negative && n.value != 0 ? "-" : "";
  Read read;
  read.shown = sign + n.plain + (has_percent ? "%" : "");
  switch (unit) {
    case ValueUnit::count:
      if (negative && n.value != 0) {
        return Failure{fmt::format("'{}' is negative, but this indicator is a count", text)};
      }
      if (n.value != std::floor(n.value)) {
        return Failure{
            fmt::format("'{}' is not a whole number, but this indicator is a count", text)};
      }
      read.parsed.value = n.value;
      return read;
    case ValueUnit::number:
      read.parsed.value = negative && n.value != 0 ? -n.value : n.value;
      return read;
    case ValueUnit::percent: {
      const bool as_fraction = !has_percent && options.percent_as == PercentAs::fraction;
      // Reading the digits with the exponent rounds once: "77.62e-2" is the double
      // nearest 0.7762, where 77.62 / 100 may not be.
      const auto fraction = to_double(sign + n.plain + (as_fraction ? "" : "e-2"));
      if (!fraction) return Failure{fmt::format("'{}' is not a number that can be stored", text)};
      read.parsed.value = *fraction;
      const std::string extra =
          as_fraction ? fmt::format(
                            " (--percent-as fraction reads {} as a fraction of 1; if it "
                            "means {}%, pass --percent-as points)",
                            text, text)
                      : "";
      if (auto failure = check_percent_range(text, *fraction, extra)) return std::move(*failure);
      return read;
    }
  }
  return read;
}

std::string_view decimal_flag(DecimalMark mark) {
  return mark == DecimalMark::comma
             ? "with --decimal comma (',' is the decimal comma and '.' separates thousands)"
             : "with --decimal dot ('.' is the decimal point and ',' separates thousands)";
}

// ---------------------------------------------------------------------------------------
// Estimates: "khoảng 83,5%", "ước tính 83,5%", "~83,5%".

constexpr std::string_view kHook = "\xCC\x89";   // U+0309 combining hook above
constexpr std::string_view kHorn = "\xCC\x9B";   // U+031B combining horn
constexpr std::string_view kAcute = "\xCC\x81";  // U+0301 combining acute accent

// The precomposed (NFC) letters of the estimate words, either case, as their base letter
// and combining marks in NFD order; nullopt for any other.
std::optional<std::string> decomposed(char32_t c) {
  switch (c) {
    case 0x1EA3:  // ả
    case 0x1EA2:
      return "a" + std::string(kHook);
    case 0x01B0:  // ư
    case 0x01AF:
      return "u" + std::string(kHorn);
    case 0x01A1:  // ơ
    case 0x01A0:
      return "o" + std::string(kHorn);
    case 0x1EDB:  // ớ
    case 0x1EDA:
      return "o" + std::string(kHorn) + std::string(kAcute);
    case 0x00ED:  // í
    case 0x00CD:
      return "i" + std::string(kAcute);
    default:
      return std::nullopt;
  }
}

// The word at `pos` folded so that its NFC and NFD spellings in either case compare
// equal (ASCII letters in lower case, decomposed() letters decomposed, combining marks as
// they come), and `pos` moved past it. Stops at anything else: a space, a digit, a sign.
std::string take_word(std::string_view text, std::size_t& pos) {
  std::string folded;
  while (pos < text.size()) {
    std::size_t next = pos;
    const char32_t c = util::decode_utf8(text, next);
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
      folded += static_cast<char>(c >= 'a' ? c : c - 'A' + 'a');
    } else if (c >= 0x300 && c <= 0x36F) {
      folded += text.substr(pos, next - pos);
    } else if (const auto letter = decomposed(c)) {
      folded += *letter;
    } else {
      break;
    }
    pos = next;
  }
  return folded;
}

bool is_word(const std::string& folded, std::string_view accented, std::string_view plain) {
  return folded == accented || folded == plain;
}

// A value's estimate word or sign and what follows it; `word` is empty when the value is
// not written as an estimate.
struct EstimateSplit {
  std::string_view word;
  std::string_view rest;
};

EstimateSplit split_estimate(std::string_view text) {
  for (const std::string_view sign : {std::string_view("~"), std::string_view("\xE2\x89\x88")}) {
    if (text.starts_with(sign)) {
      return {text.substr(0, sign.size()), trim(text.substr(sign.size()))};
    }
  }
  static const std::string kKhoang = "khoa" + std::string(kHook) + "ng";
  static const std::string kUoc =
      "u" + std::string(kHorn) + "o" + std::string(kHorn) + std::string(kAcute) + "c";
  static const std::string kTinh = "ti" + std::string(kAcute) + "nh";
  std::size_t end = 0;
  const std::string word = take_word(text, end);
  if (is_word(word, kUoc, "uoc")) {
    // "ước tính": the second word belongs to it.
    std::size_t at = end;
    while (const std::size_t n = space_at(text, at)) at += n;
    if (at > end && is_word(take_word(text, at), kTinh, "tinh")) end = at;
  } else if (!is_word(word, kKhoang, "khoang")) {
    return {{}, text};
  }
  std::string_view rest = trim(text.substr(end));
  if (rest.starts_with(':')) rest = trim(rest.substr(1));
  return {text.substr(0, end), rest};
}

std::string estimate_example(ValueUnit unit) {
  switch (unit) {
    case ValueUnit::percent:
      return "khoảng 83,5%";
    case ValueUnit::count:
      return "khoảng 3.500";
    case ValueUnit::number:
      return "khoảng 0,5";
  }
  return "khoảng 83,5%";
}

// ---------------------------------------------------------------------------------------
// Periods.

constexpr const char* kPeriodForms =
    "2022, 2022-Q3, Q3/2022, Quý III/2022, Quý 3/2022, 2022-09, 09/2022, tháng 9/2022, "
    "2022-09-30 or 30/9/2022";

// Runs model::parse_period on `rewritten` and names `text` in its error instead.
std::variant<model::Period, std::string> parse_rewritten(const std::string& rewritten,
                                                         std::string_view text) {
  std::string error;
  if (auto period = model::parse_period(rewritten, error)) return *period;
  const std::string quoted = fmt::format("'{}'", rewritten);
  if (const std::size_t at = error.find(quoted); at != std::string::npos) {
    error.replace(at, quoted.size(), fmt::format("'{}'", text));
  }
  return error;
}

// Whether `text` has the shape of one of model::parse_period's forms, whose errors are
// then specific ("February 2022 has 28 days"). '#' is a digit, '*' one or more digits.
bool has_calendar_shape(std::string_view text) {
  static constexpr std::string_view kShapes[] = {
      "####", "####-Q*", "####-##", "####-##-##", "Q*/*",    "#/*",
      "##/*", "#/#/*",   "#/##/*",  "##/#/*",     "##/##/*",
  };
  const auto matches = [&](std::string_view shape) {
    std::size_t pos = 0;
    for (const char s : shape) {
      if (s == '#' || s == '*') {
        if (pos >= text.size() || !is_digit(text[pos])) return false;
        ++pos;
        while (s == '*' && pos < text.size() && is_digit(text[pos])) ++pos;
      } else {
        if (pos >= text.size() || text[pos] != s) return false;
        ++pos;
      }
    }
    return pos == text.size();
  };
  return std::any_of(std::begin(kShapes), std::end(kShapes), matches);
}

}  // namespace

namespace {

// parse_value of a text without an estimate's word.
std::variant<ParsedValue, std::string> parse_number_value(std::string_view text, ValueUnit unit,
                                                          const NumberOptions& options) {
  auto read = read_value(text, unit, options);
  if (auto* ok = std::get_if<Read>(&read)) return ok->parsed;
  Failure& failure = std::get<Failure>(read);
  if (!failure.explains_decimal) {
    std::string hints;
    for (const DecimalMark other : {DecimalMark::comma, DecimalMark::dot}) {
      if (other == options.decimal) continue;
      const auto again = read_value(text, unit, {other, options.percent_as});
      if (const auto* ok = std::get_if<Read>(&again)) {
        hints += fmt::format("{} {} it reads as {}", hints.empty() ? ";" : ", and",
                             decimal_flag(other), ok->shown);
      }
    }
    failure.message += hints;
  }
  return std::move(failure.message);
}

}  // namespace

std::variant<ParsedValue, std::string> parse_value(std::string_view text, ValueUnit unit,
                                                   const NumberOptions& options) {
  text = trim(text);
  const EstimateSplit split = split_estimate(text);
  if (split.word.empty()) return parse_number_value(text, unit, options);
  if (split.rest.empty()) {
    return fmt::format(
        "'{}' says the value is an estimate, but no number follows it; write the estimate as "
        "in {}",
        split.word, estimate_example(unit));
  }
  auto parsed = parse_number_value(split.rest, unit, options);
  if (auto* message = std::get_if<std::string>(&parsed)) {
    return fmt::format("after '{}': {}", split.word, *message);
  }
  std::get<ParsedValue>(parsed).estimate = true;
  return parsed;
}

std::variant<model::Period, std::string> parse_data_period(std::string_view text) {
  text = trim(text);
  if (text.empty()) return fmt::format("the period is empty; write {}", kPeriodForms);

  // The forms in words (`Quý III/2022`, `tháng 9/2022`) are the rules language's too.
  if (model::is_period_in_words(text)) {
    std::string error;
    if (auto period = model::parse_period(text, error)) return *period;
    return error;
  }

  std::string calendar(text);
  // `q3/2022` and `2022-q3`: people type the quarter's letter in either case.
  if (const std::size_t q = calendar.find('q');
      q != std::string::npos && q + 1 < calendar.size() && is_digit(calendar[q + 1])) {
    calendar[q] = 'Q';
  }
  if (!has_calendar_shape(calendar)) {
    return fmt::format("'{}' is not a period; write {}", text, kPeriodForms);
  }
  return parse_rewritten(calendar, text);
}

}  // namespace tiendo::store

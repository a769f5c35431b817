#include "dates_target.hpp"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <variant>

#include "model/calendar.hpp"
#include "store/values.hpp"

namespace {

namespace model = tiendo::model;
namespace store = tiendo::store;
using namespace std::chrono;

[[noreturn]] void broken_promise(const std::string& what, std::string_view input) {
  std::fprintf(stderr, "tiendo_fuzz_dates: %s (input '%.*s')\n", what.c_str(),
               static_cast<int>(std::min<std::size_t>(input.size(), 200)), input.data());
  std::abort();
}

// The runs of ASCII digits in `text`, as numbers (runs too long for an int are left out).
std::set<long long> numbers_in(std::string_view text) {
  std::set<long long> out;
  std::size_t i = 0;
  while (i < text.size()) {
    if (text[i] < '0' || text[i] > '9') {
      ++i;
      continue;
    }
    long long n = 0;
    std::size_t digits = 0;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
      if (digits < 18) n = n * 10 + (text[i] - '0');
      ++digits;
      ++i;
    }
    if (digits <= 18) out.insert(n);
  }
  return out;
}

void check_period_shape(const model::Period& p, std::string_view what, std::string_view input) {
  if (p.first > p.last) broken_promise(std::string(what) + ": first after last", input);
  const year_month_day first{p.first};
  const year_month_day last{p.last};
  const int y = static_cast<int>(first.year());
  if (y < 1900 || y > 2200 || last.year() != first.year()) {
    broken_promise(std::string(what) + ": a year outside 1900..2200, or two years", input);
  }
  const auto month_end = [](year_month_day d) {
    return sys_days{year_month_day_last{d.year(), month_day_last{d.month()}}};
  };
  bool ok = true;
  switch (p.kind) {
    case model::Period::Kind::day:
      ok = p.first == p.last;
      break;
    case model::Period::Kind::month:
      ok = first.day() == day{1} && last.month() == first.month() && p.last == month_end(last);
      break;
    case model::Period::Kind::quarter:
      ok = first.day() == day{1} && (static_cast<unsigned>(first.month()) - 1) % 3 == 0 &&
           static_cast<unsigned>(last.month()) == static_cast<unsigned>(first.month()) + 2 &&
           p.last == month_end(last);
      break;
    case model::Period::Kind::year:
      ok = first.month() == January && first.day() == day{1} && last.month() == December &&
           last.day() == day{31};
      break;
  }
  if (!ok) broken_promise(std::string(what) + ": not the shape of its kind", input);
}

// parse_period reads only numbers: the ones its period is made of must be in the text (a
// quarter in words may be written in Roman numerals, `Quý IV/2022`: its year must be).
void check_period_numbers(const model::Period& p, std::string_view input) {
  const std::set<long long> written = numbers_in(input);
  const year_month_day first{p.first};
  std::vector<long long> named = {static_cast<int>(first.year())};
  if (p.kind == model::Period::Kind::day) {
    named.push_back(static_cast<unsigned>(first.day()));
    named.push_back(static_cast<unsigned>(first.month()));
  } else if (p.kind == model::Period::Kind::month) {
    named.push_back(static_cast<unsigned>(first.month()));
  } else if (p.kind == model::Period::Kind::quarter && !model::is_period_in_words(input)) {
    named.push_back((static_cast<unsigned>(first.month()) + 2) / 3);
  }
  for (long long n : named) {
    if (!written.count(n)) {
      broken_promise(
          "parse_period: the period's number " + std::to_string(n) + " is not written in the text",
          input);
    }
  }
}

void check_clock_duration(std::string_view text) {
  const auto plain = model::parse_clock_duration(text);
  if (plain && (plain->count() < 0 || *plain > model::kMaxClockDuration)) {
    broken_promise("parse_clock_duration: out of 0..kMaxClockDuration", text);
  }
  std::string error;
  const auto checked = model::parse_clock_duration(text, error);
  if (checked) {
    if (!plain || *plain != *checked || checked->count() < 1) {
      broken_promise("the checked parse_clock_duration disagrees with the plain one", text);
    }
  } else {
    if (error.empty()) broken_promise("parse_clock_duration refused without a message", text);
    if (plain && plain->count() > 0) {
      broken_promise("the checked parse_clock_duration refused a duration in range", text);
    }
    if (plain && error.find("out of range: from 1s to 3650d (10 years)") == std::string::npos) {
      broken_promise("a refusal of a duration does not name the range: " + error, text);
    }
  }
  const seconds hour{3600};
  const auto short_one = model::parse_clock_duration(text, error, hour);
  if (short_one && (!checked || *short_one != *checked || *short_one > hour)) {
    broken_promise("parse_clock_duration past its own bound", text);
  }
  if (plain) {
    // Inside the clock from the earliest and latest time stamps (UBSan would see an
    // overflow of the nanoseconds).
    static const auto latest = *model::parse_utc("2200-12-31T23:59:59Z");
    static const auto earliest = *model::parse_utc("1900-01-01T00:00:00Z");
    const auto later = latest + *plain;
    const auto sooner = earliest - *plain;
    if (later < latest || sooner > earliest) broken_promise("a duration wrapped around", text);
    if (model::format_utc(later).size() != 20) broken_promise("format_utc(latest + d)", text);
  }
}

void check_utc(std::string_view text) {
  const auto t = model::parse_utc(text);
  if (!t) return;
  const std::string back = model::format_utc(*t);
  if (model::parse_utc(back) != t) broken_promise("parse_utc(format_utc(t)) is not t", text);
  if (text.substr(17, 2) != "60" && back != text) {
    broken_promise("format_utc(parse_utc(x)) is " + back, text);
  }
}

void check_dates(std::string_view text) {
  if (const auto d = model::parse_iso_date(text); d && model::to_string(*d) != text) {
    broken_promise("parse_iso_date does not print back", text);
  }

  std::string error;
  const auto period = model::parse_period(text, error);
  if (period) {
    check_period_shape(*period, "parse_period", text);
    check_period_numbers(*period, text);
  } else if (error.empty()) {
    broken_promise("parse_period refused without a message", text);
  }

  const auto data_period = store::parse_data_period(text);
  if (const auto* p = std::get_if<model::Period>(&data_period)) {
    check_period_shape(*p, "parse_data_period", text);
    if (period && !(*period == *p)) {
      broken_promise("parse_data_period disagrees with parse_period", text);
    }
  } else {
    if (std::get<std::string>(data_period).empty()) {
      broken_promise("parse_data_period refused without a message", text);
    }
    if (period) broken_promise("parse_data_period refused what parse_period reads", text);
  }

  const auto duration = model::parse_duration(text, error);
  if (duration) {
    const double days = model::approximate_days(*duration);
    if (duration->count < 1 || days < 1 || days > 100 * 366) {
      broken_promise("parse_duration out of 1 day..100 years", text);
    }
    std::string again_error;
    const auto again = model::parse_duration(model::to_string(*duration), again_error);
    if (!again || !(*again == *duration)) broken_promise("to_string(duration) reads back", text);
    const model::Date mid{year{2022} / 1 / 31};
    if (model::add(mid, *duration) <= mid || model::subtract(mid, *duration) >= mid) {
      broken_promise("a duration does not move a date", text);
    }
  } else if (error.empty()) {
    broken_promise("parse_duration refused without a message", text);
  }
}

void check_values(std::string_view text) {
  for (const auto unit :
       {model::ValueUnit::percent, model::ValueUnit::count, model::ValueUnit::number}) {
    for (const auto decimal :
         {store::DecimalMark::auto_detect, store::DecimalMark::comma, store::DecimalMark::dot}) {
      for (const auto percent_as :
           {store::PercentAs::require_sign, store::PercentAs::points, store::PercentAs::fraction}) {
        const auto parsed = store::parse_value(text, unit, {decimal, percent_as});
        if (const auto* error = std::get_if<std::string>(&parsed)) {
          if (error->empty()) broken_promise("parse_value refused without a message", text);
          continue;
        }
        const store::ParsedValue& v = std::get<store::ParsedValue>(parsed);
        if (!std::isfinite(v.value)) broken_promise("parse_value: not finite", text);
        if (unit == model::ValueUnit::count && (v.value < 0 || v.value != std::floor(v.value))) {
          broken_promise("parse_value: a count that is not a whole number >= 0", text);
        }
        if (unit == model::ValueUnit::percent && !v.denominator &&
            (v.value < -10.0 - 1e-9 || v.value > 10.0 + 1e-9)) {
          broken_promise("parse_value: a percent outside ±1000%", text);
        }
        if (v.numerator.has_value() != v.denominator.has_value()) {
          broken_promise("parse_value: a numerator without a denominator", text);
        }
        if (v.denominator) {
          if (unit != model::ValueUnit::percent) broken_promise("a fraction on a count", text);
          if (*v.denominator == 0 || !std::isfinite(*v.numerator) ||
              !std::isfinite(*v.denominator)) {
            broken_promise("parse_value: a fraction over zero or not finite", text);
          }
          if (v.value != *v.numerator / *v.denominator) {
            broken_promise("parse_value: a fraction's value is not its ratio", text);
          }
        }
      }
    }
  }
}

}  // namespace

int tiendo_fuzz_dates(const std::uint8_t* data, std::size_t size) {
  // Every reader takes one field of a file or a command line: longer inputs only slow
  // the fuzzer down.
  if (size > 4096) return 0;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  check_clock_duration(text);
  check_utc(text);
  check_dates(text);
  check_values(text);
  return 0;
}

#include "present/format.hpp"

#include <fmt/format.h>

#include <array>
#include <chrono>
#include <cmath>
#include <utility>

namespace tiendo::present {

namespace {

constexpr std::array<std::string_view, 12> kMonthsEn = {
    "January", "February", "March",     "April",   "May",      "June",
    "July",    "August",   "September", "October", "November", "December"};

}  // namespace

std::string format_number(double value, Language language) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "∞" : "-∞";
  const char thousands = language == Language::en ? ',' : '.';
  const char decimal = language == Language::en ? '.' : ',';
  std::string fixed = fmt::format("{:.2f}", value);
  bool negative = false;
  if (!fixed.empty() && fixed.front() == '-') {
    negative = true;
    fixed.erase(0, 1);
  }
  const std::size_t point = fixed.find('.');
  std::string whole = fixed.substr(0, point);
  std::string fraction = point == std::string::npos ? std::string() : fixed.substr(point + 1);
  while (!fraction.empty() && fraction.back() == '0') fraction.pop_back();
  std::string grouped;
  for (std::size_t i = 0; i < whole.size(); ++i) {
    if (i > 0 && (whole.size() - i) % 3 == 0) grouped += thousands;
    grouped += whole[i];
  }
  if (whole.find_first_not_of('0') == std::string::npos && fraction.empty()) negative = false;
  return (negative ? "-" : "") + grouped + (fraction.empty() ? "" : decimal + fraction);
}

std::string format_percent(double fraction, Language language) {
  return format_number(fraction * 100, language) + "%";
}

std::string format_estimate(std::string_view figure, Language language) {
  return (language == Language::en ? "about " : "khoảng ") + std::string(figure);
}

std::string format_date(model::Date date, Language language) {
  if (language == Language::en) return model::to_string(date);
  const std::chrono::year_month_day ymd{date};
  const unsigned month = static_cast<unsigned>(ymd.month());
  return fmt::format("{:02}/{}{}/{}", static_cast<unsigned>(ymd.day()), month < 3 ? "0" : "", month,
                     static_cast<int>(ymd.year()));
}

std::string format_period(const model::Period& period, Language language) {
  using Kind = model::Period::Kind;
  const std::chrono::year_month_day first{period.first};
  const int year = static_cast<int>(first.year());
  const unsigned month = static_cast<unsigned>(first.month());
  const bool en = language == Language::en;
  switch (period.kind) {
    case Kind::month:
      return en ? fmt::format("{} {}", kMonthsEn[month - 1], year)
                : fmt::format("Tháng {}/{}", month, year);
    case Kind::quarter: {
      const int quarter = static_cast<int>((month - 1) / 3 + 1);
      return en ? fmt::format("Q{} {}", quarter, year)
                : fmt::format("Quý {}/{}", roman(quarter), year);
    }
    case Kind::year:
      return en ? std::to_string(year) : fmt::format("Năm {}", year);
    case Kind::day:
      break;
  }
  if (period.first == period.last) return format_date(period.first, language);
  return format_date(period.first, language) + " – " + format_date(period.last, language);
}

namespace {

std::string rate(double per_month, bool percent, Language language, bool with_sign) {
  const std::string size = format_number(std::abs(per_month) * (percent ? 100 : 1), language);
  const std::string_view sign = !with_sign || size == "0" ? "" : per_month < 0 ? "-" : "+";
  const std::string_view unit = language == Language::en ? (percent ? " pp/month" : "/month")
                                                         : (percent ? " điểm %/tháng" : "/tháng");
  return std::string(sign) + size + std::string(unit);
}

}  // namespace

std::string format_rate(double per_month, bool percent, Language language) {
  return rate(per_month, percent, language, false);
}

std::string format_signed_rate(double per_month, bool percent, Language language) {
  return rate(per_month, percent, language, true);
}

std::string_view comparator_symbol(model::Comparator op) {
  switch (op) {
    case model::Comparator::ge:
      return "≥";
    case model::Comparator::le:
      return "≤";
    case model::Comparator::gt:
      return ">";
    case model::Comparator::lt:
      return "<";
    case model::Comparator::eq:
      return "=";
    case model::Comparator::ne:
      return "≠";
    case model::Comparator::between:
      return "";
  }
  return "";
}

std::string roman(int number) {
  if (number < 1 || number > 3999) return std::to_string(number);
  static constexpr std::pair<int, std::string_view> kNumerals[] = {
      {1000, "M"}, {900, "CM"}, {500, "D"}, {400, "CD"}, {100, "C"}, {90, "XC"}, {50, "L"},
      {40, "XL"},  {10, "X"},   {9, "IX"},  {5, "V"},    {4, "IV"},  {1, "I"}};
  std::string out;
  for (const auto& [value, numeral] : kNumerals) {
    while (number >= value) {
      out += numeral;
      number -= value;
    }
  }
  return out;
}

std::string cite_plan(const model::Plan& plan, Language language) {
  if (plan.code.empty()) return plan.title.empty() ? plan.name : plan.title;
  // The document's kind is one of the code's parts: 177/KH-UBND, 05-NQ/TU, 2345/QĐ-UBND.
  struct Kind {
    std::string_view abbreviation, vi, en;
  };
  static constexpr Kind kKinds[] = {
      {"NQ", "Nghị quyết", "Resolution"}, {"KH", "Kế hoạch", "Plan"},
      {"QĐ", "Quyết định", "Decision"},   {"QD", "Quyết định", "Decision"},
      {"CT", "Chỉ thị", "Directive"},     {"TB", "Thông báo", "Notice"},
      {"BC", "Báo cáo", "Report"},        {"CV", "Công văn", "Official letter"}};
  const bool en = language == Language::en;
  std::string_view kind = en ? "Document" : "Văn bản";
  std::string_view rest = plan.code;
  bool found = false;
  while (!rest.empty() && !found) {
    const auto end = rest.find_first_of("/-");
    const std::string_view part = rest.substr(0, end);
    for (const Kind& k : kKinds) {
      if (part == k.abbreviation) {
        kind = en ? k.en : k.vi;
        found = true;
        break;
      }
    }
    if (end == std::string_view::npos) break;
    rest.remove_prefix(end + 1);
  }
  std::string text = fmt::format("{} {}", kind, plan.code);
  if (plan.issued) text += (en ? " of " : " ngày ") + format_date(*plan.issued, language);
  return text;
}

std::string basis_text(const model::RuleSet& rules, const model::Rule& rule, Language language) {
  std::string text;
  for (model::Index p : rule.basis) {
    text +=
        (text.empty() ? "" : "; ") + cite_plan(rules.plans[static_cast<std::size_t>(p)], language);
  }
  return text;
}

}  // namespace tiendo::present

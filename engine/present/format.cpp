#include "present/format.hpp"

#include <fmt/format.h>

#include <array>
#include <chrono>
#include <cmath>
#include <optional>
#include <utility>

#include "eval/figures.hpp"

namespace tiendo::present {

namespace {

constexpr std::array<std::string_view, 12> kMonthsEn = {
    "January", "February", "March",     "April",   "May",      "June",
    "July",    "August",   "September", "October", "November", "December"};

// A number written plainly ("-1234.5") with the language's separators: a thousands
// separator in its whole part, its decimal point; "-0" is "0".
std::string localized(std::string plain, Language language) {
  const char thousands = language == Language::en ? ',' : '.';
  const char decimal = language == Language::en ? '.' : ',';
  bool negative = false;
  if (!plain.empty() && plain.front() == '-') {
    negative = true;
    plain.erase(0, 1);
  }
  const std::size_t point = plain.find('.');
  const std::string whole = plain.substr(0, point);
  const std::string fraction = point == std::string::npos ? std::string() : plain.substr(point + 1);
  std::string grouped;
  for (std::size_t i = 0; i < whole.size(); ++i) {
    if (i > 0 && (whole.size() - i) % 3 == 0) grouped += thousands;
    grouped += whole[i];
  }
  if (whole.find_first_not_of('0') == std::string::npos &&
      fraction.find_first_not_of('0') == std::string::npos) {
    negative = false;
  }
  return (negative ? "-" : "") + grouped + (fraction.empty() ? "" : decimal + fraction);
}

}  // namespace

std::string format_number(double value, Language language) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "∞" : "-∞";
  std::string fixed = fmt::format("{:.2f}", value);
  while (fixed.back() == '0') fixed.pop_back();
  if (fixed.back() == '.') fixed.pop_back();
  return localized(std::move(fixed), language);
}

std::string format_exact_number(double value, Language language) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "∞" : "-∞";
  return localized(eval::number_text(value), language);
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

std::string format_document_date(model::Date date) {
  const std::chrono::year_month_day ymd{date};
  const unsigned month = static_cast<unsigned>(ymd.month());
  return fmt::format("ngày {:02} tháng {}{} năm {}", static_cast<unsigned>(ymd.day()),
                     month < 3 ? "0" : "", month, static_cast<int>(ymd.year()));
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

namespace {

// A bound written as a number literal, as it is stored (a percent as its fraction).
std::optional<double> literal_bound(const model::RuleSet& rules, model::ExprId id) {
  if (id < 0) return std::nullopt;
  const model::ExprNode& node = rules.expressions[static_cast<std::size_t>(id)];
  if (node.kind != model::ExprKind::literal) return std::nullopt;
  return node.value;
}

std::string bound_text(const model::RuleSet& rules, model::ExprId id, double value,
                       Language language) {
  return rules.expressions[static_cast<std::size_t>(id)].unit == model::ValueUnit::percent
             ? format_percent(value, language)
             : format_number(value, language);
}

// The documents of a version by their codes ("177/KH-UBND, 2345/QĐ-UBND"), a plan
// without a code by its title.
std::string document_codes(const model::RuleSet& rules, const model::Rule& version) {
  std::string text;
  for (model::Index p : version.basis) {
    const model::Plan& plan = rules.plans[static_cast<std::size_t>(p)];
    const std::string& name = !plan.code.empty()    ? plan.code
                              : !plan.title.empty() ? plan.title
                                                    : plan.name;
    text += (text.empty() ? "" : ", ") + name;
  }
  return text;
}

// "hạn 31/12/2022" / "từ 01/12/2022"; empty without a timing.
std::string timing_text(const model::Rule& version, Language language) {
  const bool en = language == Language::en;
  switch (version.timing) {
    case model::Timing::by:
      return (en ? "by " : "hạn ") + format_date(version.date, language);
    case model::Timing::from:
      return (en ? "from " : "từ ") + format_date(version.date, language);
    case model::Timing::none:
      break;
  }
  return {};
}

}  // namespace

std::string version_target(const model::RuleSet& rules, const model::Rule& version,
                           Language language) {
  if (version.condition < 0) return version.condition_text;
  const model::Condition& cond = rules.conditions[static_cast<std::size_t>(version.condition)];
  const std::optional<double> low = literal_bound(rules, cond.rhs);
  if (!low) return version.condition_text;
  const std::string low_text = bound_text(rules, cond.rhs, *low, language);
  if (cond.op == model::Comparator::between) {
    const std::optional<double> high = literal_bound(rules, cond.upper);
    if (!high) return version.condition_text;
    return low_text + " – " + bound_text(rules, cond.upper, *high, language);
  }
  // A target is reached from below as a rule: "50%" says "at least 50%".
  if (cond.op == model::Comparator::ge) return low_text;
  return std::string(comparator_symbol(cond.op)) + " " + low_text;
}

std::string target_history(const model::RuleSet& rules, model::Index rule, Language language) {
  const model::Rule& written = rules.rules[static_cast<std::size_t>(rule)];
  if (written.amendments.empty()) return {};
  const bool en = language == Language::en;
  const auto under = [&](const model::Rule& version) {
    const std::string codes = document_codes(rules, version);
    return codes.empty() ? std::string() : (en ? " under " : " theo ") + codes;
  };
  std::string text = version_target(rules, written, language) + under(written);
  const model::Rule* previous = &written;
  for (std::size_t i = 0; i < written.amendments.size(); ++i) {
    const model::Rule& version = rules.version(rule, static_cast<std::int32_t>(i + 1));
    // Vietnamese says which way the target moved: "còn" (down to), "lên" (up to).
    std::string verb = en ? "amended to" : "điều chỉnh thành";
    const model::Condition* before =
        previous->condition < 0 ? nullptr
                                : &rules.conditions[static_cast<std::size_t>(previous->condition)];
    const model::Condition* after =
        version.condition < 0 ? nullptr
                              : &rules.conditions[static_cast<std::size_t>(version.condition)];
    if (!en && before && after && before->op == after->op &&
        after->op != model::Comparator::between) {
      const auto old_bound = literal_bound(rules, before->rhs);
      const auto new_bound = literal_bound(rules, after->rhs);
      if (old_bound && new_bound && *new_bound < *old_bound) verb = "điều chỉnh còn";
      if (old_bound && new_bound && *new_bound > *old_bound) verb = "điều chỉnh lên";
    }
    text += "; " + verb + " " + version_target(rules, version, language);
    if (version.timing != previous->timing || version.date != previous->date) {
      const std::string timing = timing_text(version, language);
      if (!timing.empty()) text += " (" + timing + ")";
    }
    text += (en ? " from " : " từ ") + format_date(written.amendments[i].from, language) +
            under(version);
    previous = &version;
  }
  return text;
}

std::string target_change(const model::RuleSet& rules, model::Index rule, std::int32_t from,
                          std::int32_t to, Language language) {
  const bool en = language == Language::en;
  const model::Rule& before = rules.version(rule, from);
  const model::Rule& after = rules.version(rule, to);
  std::string text =
      version_target(rules, before, language) + " → " + version_target(rules, after, language);
  if (after.timing != before.timing || after.date != before.date) {
    const std::string timing = timing_text(after, language);
    if (!timing.empty()) text += " (" + timing + ")";
  }
  if (const std::optional<model::Date> in_force = rules.in_force_from(rule, to)) {
    text += (en ? " from " : " từ ") + format_date(*in_force, language);
  }
  const std::string codes = document_codes(rules, after);
  if (!codes.empty()) text += (en ? " under " : " theo ") + codes;
  return text;
}

}  // namespace tiendo::present

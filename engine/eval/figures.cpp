#include "eval/figures.hpp"

#include <fmt/format.h>

#include <cmath>

namespace tiendo::eval {

std::string number_text(double value) {
  if (!std::isfinite(value)) return fmt::format("{}", value);
  // Whole numbers below 2^53 are exact in a double: every digit is shown.
  if (std::fabs(value) < 9007199254740992.0 && value == std::nearbyint(value)) {
    return fmt::format("{:.0f}", value == 0 ? 0.0 : value);
  }
  if (std::fabs(value) >= 1e6 || std::fabs(value) < 1e-4) {
    // Six significant digits without an exponent, the trailing zeros dropped.
    const int digits = std::fabs(value) >= 1e6 ? 2 : 10;
    std::string text = fmt::format("{:.{}f}", value, digits);
    while (text.back() == '0') text.pop_back();
    if (text.back() == '.') text.pop_back();
    return text;
  }
  return fmt::format("{:.6g}", value);
}

std::string percent_text(double fraction) { return fmt::format("{:.4g}%", fraction * 100); }

std::optional<Coverage> for_each_summary(const model::RuleSet& rules,
                                         std::span<const RuleResult> rows) {
  if (rows.empty() || rows.front().rule < 0) return std::nullopt;
  const model::Rule& rule = rules.rules[static_cast<std::size_t>(rows.front().rule)];
  if (rule.for_each.none()) return std::nullopt;
  Coverage summary;
  summary.level = rule.for_each;
  for (const RuleResult& r : rows) {
    if (r.unit < 0) continue;
    ++summary.total;
    switch (r.state) {
      case RuleState::met:
      case RuleState::ok:
        ++summary.counted;
        break;
      case RuleState::no_data:
      case RuleState::stale:
        summary.no_data.push_back(r.unit);
        break;
      case RuleState::on_track:
      case RuleState::not_yet:
        break;
      default:
        summary.failing.push_back(r.unit);
    }
  }
  if (summary.total == 0) return std::nullopt;
  return summary;
}

}  // namespace tiendo::eval

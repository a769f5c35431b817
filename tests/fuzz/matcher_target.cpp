#include "matcher_target.hpp"

#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "alert/alert.hpp"

namespace {

namespace alert = tiendo::alert;

constexpr std::size_t kMaxValues = 16;
constexpr std::size_t kMaxErrorBytes = 512;

[[noreturn]] void broken_promise(const std::string& what) {
  std::fprintf(stderr, "tiendo_fuzz_matcher: %s\n", what.c_str());
  std::abort();
}

bool one(const alert::Matcher& m, const std::string& value) {
  return alert::matches({m}, {{m.name, value}, {"-other", "x"}});
}

// The same pattern with the opposite operator, made as a stored silence makes it.
alert::Matcher opposite(const alert::Matcher& m) {
  static const std::vector<std::pair<std::string, std::string>> kOpposites = {
      {"=", "!="}, {"!=", "="}, {"=~", "!~"}, {"!~", "=~"}};
  std::string op;
  for (const auto& [from, to] : kOpposites) {
    if (m.op == from) op = to;
  }
  std::string error;
  auto made = alert::make_matcher(m.name, op, m.value, error);
  if (!made) broken_promise("the opposite of a matcher that parsed does not make: " + error);
  return *made;
}

}  // namespace

int tiendo_fuzz_matcher(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const std::size_t newline = input.find('\n');
  const std::string_view text = input.substr(0, newline);
  std::vector<std::string> values;
  if (newline != std::string_view::npos) {
    std::string_view rest = input.substr(newline + 1);
    while (values.size() < kMaxValues) {
      const std::size_t end = rest.find('\n');
      values.emplace_back(rest.substr(0, end));
      if (end == std::string_view::npos) break;
      rest = rest.substr(end + 1);
    }
  }

  std::string error;
  const std::optional<alert::Matcher> m = alert::parse_matcher(text, error);
  if (!m) {
    if (error.empty()) broken_promise("a refused matcher has no message");
    if (error.size() > kMaxErrorBytes) {
      broken_promise("a refusal's message is " + std::to_string(error.size()) + " bytes");
    }
    return 0;
  }

  const bool regex = m->op == "=~" || m->op == "!~";
  if (!regex && m->op != "=" && m->op != "!=") broken_promise("unknown operator " + m->op);
  if (regex != (m->regex != nullptr)) {
    broken_promise("a regular expression without its compiled form, or the reverse");
  }
  if (regex && m->value.size() > alert::kMaxMatcherRegexBytes) {
    broken_promise("a pattern longer than kMaxMatcherRegexBytes was taken");
  }
  if (m->name.empty()) broken_promise("a matcher with no name");

  std::string again_error;
  const auto again = alert::parse_matcher(alert::to_string(*m), again_error);
  if (!again || !(*again == *m)) {
    broken_promise("to_string does not parse back to the same matcher: " + alert::to_string(*m) +
                   (again ? "" : " (" + again_error + ")"));
  }

  const alert::Matcher other = opposite(*m);
  values.emplace_back(m->value);  // the pattern as a value: equal for =, often a match
  for (const std::string& value : values) {
    const bool hit = one(*m, value);
    if (hit == one(other, value)) {
      broken_promise(m->op + " and " + other.op + " agree on '" + value + "'");
    }
    if (m->op == "=" && hit != (value == m->value)) broken_promise("= is not equality");
    if (m->op == "!=" && hit != (value != m->value)) broken_promise("!= is not inequality");
  }
  // An absent label is the empty string.
  if (alert::matches({*m}, {{"-other", "x"}}) != one(*m, "")) {
    broken_promise("an absent label does not read as the empty string");
  }
  return 0;
}

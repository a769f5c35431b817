// Silences and their label matchers: parsing, compiling a matcher's regular expression
// within bounds, matching an alert's labels.
#include <fmt/format.h>
#include <re2/re2.h>

#include <algorithm>
#include <cctype>

#include "alert/alert.hpp"

namespace tiendo::alert {

namespace {

// Whether one matcher holds for the labels; a label the alert lacks is the empty value.
bool matches_one(const Matcher& m, const Labels& labels) {
  const auto named = std::find_if(labels.begin(), labels.end(),
                                  [&](const auto& entry) { return entry.first == m.name; });
  const std::string_view value = named == labels.end() ? std::string_view() : named->second;
  if (m.op == "=") return value == m.value;
  if (m.op == "!=") return value != m.value;
  // A stored pattern that no longer compiles (written for another syntax) matches
  // nothing, either way: a silence that cannot be read silences no alert.
  if (!m.regex) return false;
  const bool hit = re2::RE2::FullMatch(value, *m.regex);
  return m.op == "=~" ? hit : !hit;
}

// The start of `text` for an error message: a 40 KB pattern is not repeated whole.
std::string abridged(std::string_view text, std::size_t shown = 40) {
  if (text.size() <= shown) return std::string(text);
  std::size_t cut = shown;
  // Cut on a UTF-8 character boundary.
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  return std::string(text.substr(0, cut)) + "…";
}

// A matcher as an error message shows it.
std::string shown(std::string_view name, std::string_view op, std::string_view value) {
  return fmt::format("{}{}'{}'", abridged(name), op, abridged(value));
}

// `pattern` compiled for a matcher, or null and `error` set. The length is checked
// before RE2 sees the pattern, and RE2's memory is bounded, so a request cannot make
// the compilation itself expensive.
std::shared_ptr<const re2::RE2> compile_matcher_regex(std::string_view name, std::string_view op,
                                                      const std::string& pattern,
                                                      std::string& error) {
  if (pattern.size() > kMaxMatcherRegexBytes) {
    error = fmt::format("{}: the regular expression is {} bytes long; at most {}",
                        shown(name, op, pattern), pattern.size(), kMaxMatcherRegexBytes);
    return nullptr;
  }
  re2::RE2::Options options;
  options.set_log_errors(false);
  options.set_max_mem(kMaxMatcherRegexMemory);
  auto regex = std::make_shared<const re2::RE2>(pattern, options);
  if (regex->ok()) return regex;
  if (regex->error_code() == re2::RE2::ErrorPatternTooLarge) {
    error = fmt::format("{}: the regular expression is too big once compiled (more than {} KiB)",
                        shown(name, op, pattern), kMaxMatcherRegexMemory / 1024);
  } else {
    // RE2's message quotes the part of the pattern it stopped at, which may be all of it.
    error = fmt::format("{}: not a valid regular expression (RE2 syntax): {}",
                        shown(name, op, pattern), abridged(regex->error(), 80));
  }
  return nullptr;
}

}  // namespace

bool Silence::active(std::string_view now) const {
  // ISO 8601 UTC timestamps of one shape compare as strings.
  return !expired_at && starts_at <= now && now < ends_at;
}

std::optional<Matcher> parse_matcher(std::string_view text, std::string& error) {
  std::size_t pos = 0;
  while (pos < text.size() &&
         (std::isalnum(static_cast<unsigned char>(text[pos])) || text[pos] == '_')) {
    ++pos;
  }
  Matcher m;
  m.name = std::string(text.substr(0, pos));
  if (m.name.empty()) {
    error = fmt::format(
        "'{}' is not a matcher: write NAME=VALUE, NAME!=VALUE, NAME=~REGEX or "
        "NAME!~REGEX",
        abridged(text));
    return std::nullopt;
  }
  const std::string_view rest = text.substr(pos);
  for (std::string_view op : {"=~", "!~", "!=", "="}) {
    if (rest.substr(0, op.size()) == op) {
      m.op = std::string(op);
      std::string_view value = rest.substr(op.size());
      if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
        value = value.substr(1, value.size() - 2);
      }
      return make_matcher(std::move(m.name), std::move(m.op), std::string(value), error);
    }
  }
  const std::string name = abridged(m.name);
  error = fmt::format("'{}' has no operator: write {}=VALUE, {}!=VALUE, {}=~REGEX or {}!~REGEX",
                      abridged(text), name, name, name, name);
  return std::nullopt;
}

std::optional<Matcher> make_matcher(std::string name, std::string op, std::string value,
                                    std::string& error) {
  Matcher m;
  m.name = std::move(name);
  m.op = std::move(op);
  m.value = std::move(value);
  if (m.op == "=~" || m.op == "!~") {
    m.regex = compile_matcher_regex(m.name, m.op, m.value, error);
    if (!m.regex) return std::nullopt;
  } else if (m.op != "=" && m.op != "!=") {
    error = fmt::format("{}: '{}' is not an operator: write =, !=, =~ or !~", abridged(m.name),
                        abridged(m.op));
    return std::nullopt;
  }
  return m;
}

std::string to_string(const Matcher& matcher) {
  return matcher.name + matcher.op + "\"" + matcher.value + "\"";
}

bool matches(const std::vector<Matcher>& matchers, const Labels& labels) {
  return std::all_of(matchers.begin(), matchers.end(),
                     [&](const Matcher& m) { return matches_one(m, labels); });
}

}  // namespace tiendo::alert

#include "dsl/check.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <fmt/format.h>
#include <map>
#include <set>
#include <string_view>

#include "util/text.hpp"

namespace tiendo::dsl {

namespace {

namespace x3 = boost::spirit::x3;
using model::Index;
using model::kNone;
using model::ValueUnit;

// ---------------------------------------------------------------------------------------
// What each block may contain.

enum class Shape { strings, one_string, names, one_name, date, duration, require, label, range };

struct ClauseSpec {
  std::string_view keyword;
  Shape shape;
  bool repeatable;
};

using Specs = std::vector<ClauseSpec>;

const Specs kIndicatorClauses = {
    {"title", Shape::one_string, false}, {"unit", Shape::one_name, false},
    {"owner", Shape::one_string, false}, {"stale after", Shape::duration, false},
    {"range", Shape::range, false},      {"label", Shape::label, true},
};
const Specs kPlanClauses = {
    {"title", Shape::one_string, false},    {"code", Shape::one_string, false},
    {"issued", Shape::date, false},         {"implements", Shape::names, false},
    {"owner", Shape::one_string, false},    {"label", Shape::label, true},
};
const Specs kTaskClauses = {
    {"title", Shape::one_string, false},     {"part_of", Shape::one_name, false},
    {"owner", Shape::one_string, false},     {"starts", Shape::date, false},
    {"due", Shape::date, false},             {"duration", Shape::duration, false},
    {"warn within", Shape::duration, false}, {"after", Shape::names, false},
    {"label", Shape::label, true},
};
const Specs kChannelClauses = {
    {"email", Shape::strings, false},          {"webhook", Shape::one_string, false},
    {"alertmanager", Shape::one_string, false}, {"secret env", Shape::one_string, false},
    {"format", Shape::one_name, false},        {"send_resolved", Shape::one_name, false},
};
const Specs kSetClauses = {
    {"title", Shape::one_string, false}, {"units", Shape::names, false},
    {"level", Shape::one_name, false},   {"label", Shape::one_string, false},
};
const Specs kRuleClauses = {
    {"title", Shape::one_string, false},    {"require", Shape::require, false},
    {"needs", Shape::names, false},         {"severity", Shape::one_name, false},
    {"basis", Shape::names, false},
    {"warn within", Shape::duration, false}, {"for", Shape::duration, false},
    {"repeat every", Shape::duration, false}, {"notify", Shape::names, false},
    {"message", Shape::one_string, false},  {"owner", Shape::one_string, false},
    {"label", Shape::label, true},
};

const Specs& specs_for(std::string_view kind) {
  if (kind == "indicator") return kIndicatorClauses;
  if (kind == "plan") return kPlanClauses;
  if (kind == "task") return kTaskClauses;
  if (kind == "channel") return kChannelClauses;
  if (kind == "set") return kSetClauses;
  return kRuleClauses;
}

std::string article(std::string_view kind) {
  return (kind == "indicator") ? "an indicator" : fmt::format("a {}", kind);
}

const std::vector<std::string> kFunctions = {"latest", "sum",   "avg",   "min",   "max",
                                             "count",  "share", "ratio", "change", "done"};

const std::vector<std::string> kPlaceholders = {
    "title",    "rule",      "unit",        "unit_name",     "state",  "severity",
    "value",    "target",    "deadline",    "projected",     "rate_needed",
    "rate_observed", "indicator", "owner",  "plan",          "code",   "since"};

std::string_view unit_phrase(ValueUnit unit) {
  switch (unit) {
    case ValueUnit::percent: return "a percent";
    case ValueUnit::count: return "a count";
    case ValueUnit::number: return "a number";
  }
  return "a number";
}

// A number literal's value as stored: a percent as its fraction. The digits are read with
// an exponent (9.23% as 9.23e-2), rounding once, as ingest reads data: a target, a range's
// end and an observation written alike are then the same double, where 9.23 / 100 is not.
std::optional<double> literal_value(const ast::NumberLit& literal) {
  const std::string digits = literal.percent ? literal.text + "e-2" : literal.text;
  double value = 0;
  const auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (ec != std::errc() || ptr != digits.data() + digits.size() || !std::isfinite(value)) {
    return std::nullopt;
  }
  return value;
}

// How a rules file writes a number that `text` writes as documents do: `99,5` (a decimal
// comma) is 99.5, `3.103.499` (thousands separated) is 3103499, `1.234,5` is 1234.5. The
// second spelling, when there is one, reads the single comma as a thousands separator
// instead (`1,000`: 1.000 or 1000). Nullopt when `text` is not a number of that kind.
struct Respelled {
  std::string spelling;
  std::optional<std::string> thousands;
  bool decimal_comma = false;
};
std::optional<Respelled> respell(std::string_view text) {
  std::vector<std::string_view> groups;
  std::string separators;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= text.size(); ++i) {
    if (i < text.size() && text[i] != '.' && text[i] != ',') continue;
    groups.push_back(text.substr(start, i - start));
    if (i < text.size()) separators += text[i];
    start = i + 1;
  }
  const auto joined = [&](std::size_t from, std::size_t to) {
    std::string out;
    for (std::size_t i = from; i < to; ++i) out += groups[i];
    return out;
  };
  // Groups of three after the first, as thousands are written.
  const auto thousands = [&](std::size_t count) {
    if (groups[0].size() > 3 || groups[0].starts_with('0')) return false;
    for (std::size_t i = 1; i < count; ++i) {
      if (groups[i].size() != 3) return false;
    }
    return true;
  };
  if (separators == ",") {
    Respelled out{std::string(groups[0]) + "." + std::string(groups[1]), std::nullopt, true};
    if (groups[1].size() == 3 && thousands(2)) out.thousands = joined(0, 2);
    return out;
  }
  const char first = separators[0];
  const bool same = separators.find_first_not_of(first) == std::string::npos;
  if (same && thousands(groups.size())) return Respelled{joined(0, groups.size()), {}, false};
  const char last = separators.back();
  const bool all_but_last_same =
      separators.substr(0, separators.size() - 1).find_first_not_of(first) == std::string::npos;
  if (last != first && all_but_last_same && thousands(groups.size() - 1)) {
    return Respelled{joined(0, groups.size() - 1) + "." + std::string(groups.back()), {},
                     last == ','};
  }
  return std::nullopt;
}

// Ingest takes a percent beyond this for a typo, whatever the range (store/values.hpp).
constexpr double kMaxPercentBound = 10;  // 1000%

// ---------------------------------------------------------------------------------------

// A typed, compiled expression.
struct Typed {
  model::ExprId id = -1;
  ValueUnit unit = ValueUnit::number;
  const ast::NumberLit* bare_literal = nullptr;  // a plain number literal (no %), for hints
  bool ok = false;
};

// What an expression is compiled against: the rule's scope and what it reads.
struct Scope {
  model::Scope for_each;  // what the evaluated unit is: none for the root
  std::set<Index> indicators;
  std::set<Index> sets;   // every set the expression ranges over
};

class Checker {
 public:
  Checker(Program& program) : program_(program), diagnostics_(program.diagnostics) {}

  std::optional<model::RuleSet> run() {
    declare_all();
    for (const auto& [block, index] : blocks_) fill(*block, index);
    check_graph();
    for (const ast::TestBlock* test : tests_) check_test(*test);
    build_indexes();
    // Parse errors count too: a rule set read from a broken file is not a rule set.
    if (diagnostics_.has_errors()) return std::nullopt;
    return std::move(rules_);
  }

 private:
  // -------------------------------------------------------------------------------------
  // Locations and messages.

  static Location at(const ast::Node& node) { return {node.file, node.begin}; }

  std::string_view source_text(const ast::Node& node) const {
    const std::string& text = program_.sources.file(node.file).text;
    return std::string_view(text).substr(node.begin, node.end - node.begin);
  }

  model::SourceRef source_ref(const ast::Node& node) const {
    const LineColumn lc = program_.sources.line_column(node.file, node.begin);
    return {program_.sources.file(node.file).path, lc.line, lc.column};
  }

  Diagnostic& error(Code code, const ast::Node& node, std::string message) {
    return diagnostics_.error(code, at(node), std::move(message));
  }

  static void note(Diagnostic& diagnostic, Location where, std::string message) {
    diagnostic.notes.push_back(Diagnostic{Severity::note, diagnostic.code, where,
                                          std::move(message), {}});
  }

  // -------------------------------------------------------------------------------------
  // Pass 1: every declared name, in one namespace.

  struct Declared {
    std::string kind;  // indicator, plan, task, channel, rule, level
    Index index = kNone;
    Location where;
  };

  bool declare(const std::string& kind, const ast::Name& name, Index index) {
    if (is_reserved(name.text)) {
      error(Code::reserved_name, name,
            fmt::format("'{}' is a reserved word of the language and cannot name {}", name.text,
                        article(kind)));
      return false;
    }
    const auto [it, inserted] = declared_.try_emplace(name.text, Declared{kind, index, at(name)});
    if (!inserted) {
      Diagnostic& d = error(Code::duplicate_declaration, name,
                            fmt::format("'{}' is declared twice (first as {})", name.text,
                                        article(it->second.kind)));
      note(d, it->second.where, fmt::format("'{}' is first declared here", name.text));
      return false;
    }
    names_by_kind_[kind].push_back(name.text);
    return true;
  }

  static bool is_reserved(const std::string& word) {
    const auto& words = reserved_words();
    return std::find(words.begin(), words.end(), word) != words.end();
  }

  void declare_all() {
    std::int32_t chains = 0;
    for (const ast::File& file : program_.files) {
      for (const ast::Declaration& declaration : file.declarations) {
        if (const auto* levels = boost::get<ast::Levels>(&declaration.get())) {
          // Each `levels` line is a chain of its own (the territory, the agencies).
          const std::int32_t chain = chains++;
          std::int32_t depth = 0;
          for (const ast::Name& name : levels->names) {
            const auto index = static_cast<Index>(rules_.levels.size());
            if (declare("level", name, index)) {
              rules_.levels.push_back({name.text, chain, depth++});
            }
          }
        } else if (const auto* block = boost::get<ast::Block>(&declaration.get())) {
          declare_block(*block);
        } else if (const auto* test = boost::get<ast::TestBlock>(&declaration.get())) {
          tests_.push_back(test);
        }
      }
    }
  }

  void declare_block(const ast::Block& block) {
    // Declares the block's name and adds an item named after it to `items`; its index,
    // or kNone when the name is taken.
    const auto add = [&](auto& items) -> Index {
      const auto index = static_cast<Index>(items.size());
      if (!declare(block.kind, block.name, index)) return kNone;
      items.emplace_back();
      items.back().name = block.name.text;
      items.back().source = source_ref(block.name);
      return index;
    };
    const Index index = block.kind == "indicator" ? add(rules_.indicators)
                        : block.kind == "plan"    ? add(rules_.plans)
                        : block.kind == "task"    ? add(rules_.tasks)
                        : block.kind == "channel" ? add(rules_.channels)
                        : block.kind == "set"     ? add(rules_.sets)
                                                  : add(rules_.rules);
    if (index == kNone) return;
    blocks_.emplace_back(&block, index);
  }

  // -------------------------------------------------------------------------------------
  // Name resolution.

  // Resolves `name` as a `kind`; reports an undefined name with the closest declared
  // name of that kind, or says what kind the name actually is.
  Index resolve(const ast::Name& name, const std::string& kind) {
    const auto it = declared_.find(name.text);
    if (it != declared_.end() && it->second.kind == kind) return it->second.index;
    if (it != declared_.end()) {
      std::string message = fmt::format("'{}' is {}, not {}", name.text,
                                        article(it->second.kind), article(kind));
      if (it->second.kind == "task" && kind == "indicator") {
        message += fmt::format("; use done({}) for whether the task is done", name.text);
      }
      Diagnostic& d = error(Code::undefined_name, name, std::move(message));
      note(d, it->second.where, fmt::format("'{}' is declared here", name.text));
      return kNone;
    }
    std::string message = fmt::format("undefined {} '{}'", kind, name.text);
    if (auto suggestion = util::closest_match(name.text, names_by_kind_[kind])) {
      message += fmt::format("; did you mean '{}'?", *suggestion);
    } else if (kind == "level" && rules_.levels.empty()) {
      message += "; the rule set declares no `levels`";
    }
    error(Code::undefined_name, name, std::move(message));
    return kNone;
  }

  // A name that stands where a LEVEL does: a level or a set. Reports an undefined name
  // with the closest level or set, or says what the name actually is.
  model::Scope resolve_scope(const ast::Name& name) {
    const auto it = declared_.find(name.text);
    if (it != declared_.end() && it->second.kind == "level") {
      return model::Scope::of_level(it->second.index);
    }
    if (it != declared_.end() && it->second.kind == "set") {
      return model::Scope::of_set(it->second.index);
    }
    if (it != declared_.end()) {
      Diagnostic& d = error(Code::undefined_name, name,
                            fmt::format("'{}' is {}, not a level or a set", name.text,
                                        article(it->second.kind)));
      note(d, it->second.where, fmt::format("'{}' is declared here", name.text));
      return {};
    }
    std::vector<std::string> candidates = names_by_kind_["level"];
    const auto& sets = names_by_kind_["set"];
    candidates.insert(candidates.end(), sets.begin(), sets.end());
    std::string message = fmt::format("undefined level or set '{}'", name.text);
    if (auto suggestion = util::closest_match(name.text, candidates)) {
      message += fmt::format("; did you mean '{}'?", *suggestion);
    } else if (candidates.empty()) {
      message += "; the rule set declares no `levels` and no `set`";
    }
    error(Code::undefined_name, name, std::move(message));
    return {};
  }

  // -------------------------------------------------------------------------------------
  // Clause values.

  // The clause's value in the shape the spec expects, or an error.
  const ast::Strings* strings_of(const ast::Clause& clause) {
    return boost::get<ast::Strings>(&clause.value.get());
  }
  const ast::Names* names_of(const ast::Clause& clause) {
    return boost::get<ast::Names>(&clause.value.get());
  }

  std::optional<std::string> one_string(const ast::Clause& clause) {
    const ast::Strings* strings = strings_of(clause);
    if (!strings || strings->size() != 1) {
      error(Code::invalid_value, clause,
            fmt::format("'{}' takes one string", clause.keyword));
      return std::nullopt;
    }
    return strings->front().value;
  }

  const ast::Name* one_name(const ast::Clause& clause) {
    const ast::Names* names = names_of(clause);
    if (!names || names->size() != 1) {
      error(Code::invalid_value, clause, fmt::format("'{}' takes one name", clause.keyword));
      return nullptr;
    }
    return &names->front();
  }

  // A number literal's value as stored (a percent as its fraction), or an error E022 that
  // names the spelling a rules file uses when the literal is written as documents write
  // numbers (`99,5%`: write 99.5%).
  std::optional<double> number_value(const ast::NumberLit& literal) {
    const std::string percent = literal.percent ? "%" : "";
    const std::string written = literal.text + percent;
    const bool plain = literal.text.find(',') == std::string::npos &&
                       std::count(literal.text.begin(), literal.text.end(), '.') <= 1;
    if (plain) {
      if (auto value = literal_value(literal)) return value;
      error(Code::invalid_number, literal, fmt::format("'{}' is not a usable number", written));
      return std::nullopt;
    }
    const auto respelled = respell(literal.text);
    if (!respelled) {
      error(Code::invalid_number, literal,
            fmt::format("'{}' is not a number; write digits with at most one decimal point, "
                        "such as 77.62{}",
                        written, percent));
    } else if (respelled->thousands) {
      error(Code::invalid_number, literal,
            fmt::format("'{}' has a comma; write {}{} if it is a decimal comma, or {}{} if it "
                        "separates thousands (rules files use a decimal point and no thousands "
                        "separator)",
                        written, respelled->spelling, percent, *respelled->thousands, percent));
    } else if (respelled->decimal_comma) {
      error(Code::invalid_number, literal,
            fmt::format("'{}' has a decimal comma; write {}{} (rules files use a decimal "
                        "point{})",
                        written, respelled->spelling, percent,
                        literal.text.find('.') != std::string::npos
                            ? " and no thousands separator"
                            : ""));
    } else {
      error(Code::invalid_number, literal,
            fmt::format("'{}' has thousands separators; write {}{} (rules files use none)",
                        written, respelled->spelling, percent));
    }
    return std::nullopt;
  }

  std::optional<model::Period> period_of(const ast::DateLit& date) {
    std::string message;
    auto period = model::parse_period(date.text, message);
    if (!period) error(Code::invalid_date, date, message);
    return period;
  }

  std::optional<model::Duration> duration_of(const ast::Clause& clause) {
    const auto* literal = boost::get<ast::DurationLit>(&clause.value.get());
    if (!literal) return std::nullopt;
    return duration_of(*literal);
  }

  std::optional<model::Duration> duration_of(const ast::DurationLit& literal) {
    std::string message;
    auto duration = model::parse_duration(literal.text, message);
    if (!duration) error(Code::invalid_duration, literal, message);
    return duration;
  }

  // The day a date clause names: the period's last day for a deadline (`due`, `issued`),
  // its first for a start (`starts`, as `from`).
  std::optional<model::Date> last_day(const ast::Clause& clause) { return day_of(clause, true); }
  std::optional<model::Date> first_day(const ast::Clause& clause) {
    return day_of(clause, false);
  }
  std::optional<model::Date> day_of(const ast::Clause& clause, bool last) {
    const auto* literal = boost::get<ast::DateLit>(&clause.value.get());
    if (!literal) return std::nullopt;
    auto period = period_of(*literal);
    if (!period) return std::nullopt;
    return last ? period->last : period->first;
  }

  using Clauses = std::map<std::string, std::vector<const ast::Clause*>>;

  // Validates every clause of the block against its kind; returns the clauses grouped
  // by keyword (only the first of a non-repeatable one).
  std::map<std::string, std::vector<const ast::Clause*>> sort_clauses(const ast::Block& block) {
    const Specs& specs = specs_for(block.kind);
    std::map<std::string, std::vector<const ast::Clause*>> by_keyword;
    std::map<std::string, const ast::Label*> labels;
    std::vector<std::string> allowed;
    for (const ClauseSpec& spec : specs) allowed.emplace_back(spec.keyword);
    for (const ast::Clause& clause : block.clauses) {
      const auto spec = std::find_if(specs.begin(), specs.end(), [&](const ClauseSpec& s) {
        return s.keyword == clause.keyword;
      });
      if (const auto* label = boost::get<ast::Label>(&clause.value.get())) {
        const auto [it, inserted] = labels.emplace(label->key.text, label);
        if (!inserted) {
          Diagnostic& d = error(Code::duplicate_clause, label->key,
                                fmt::format("label '{}' is given twice", label->key.text));
          note(d, at(*it->second), "first given here");
          continue;
        }
      }
      if (spec == specs.end()) {
        std::string message =
            boost::get<ast::UnknownClause>(&clause.value.get())
                ? fmt::format("unknown clause '{}' in {} '{}'", clause.keyword, block.kind,
                              block.name.text)
                : fmt::format("'{}' is not a clause of {}", clause.keyword,
                              article(block.kind));
        if (auto suggestion = util::closest_match(clause.keyword, allowed)) {
          message += fmt::format("; did you mean '{}'?", *suggestion);
        } else {
          std::string list;
          for (const std::string& keyword : allowed) {
            list += (list.empty() ? "" : ", ") + keyword;
          }
          message += fmt::format(" ({} takes: {})", article(block.kind), list);
        }
        error(Code::unknown_clause, clause, std::move(message));
        continue;
      }
      auto& seen = by_keyword[clause.keyword];
      if (!seen.empty() && !spec->repeatable) {
        std::string message =
            clause.keyword == "require"
                ? fmt::format("rule '{}' has a second require clause; a rule states one "
                              "requirement (write a second rule)",
                              block.name.text)
                : fmt::format("'{}' is given twice in {} '{}'", clause.keyword, block.kind,
                              block.name.text);
        Diagnostic& d = error(Code::duplicate_clause, clause, std::move(message));
        note(d, at(*seen.front()), "first given here");
        continue;
      }
      if (!shape_matches(clause, spec->shape)) continue;
      seen.push_back(&clause);
    }
    return by_keyword;
  }

  bool shape_matches(const ast::Clause& clause, Shape shape) {
    switch (shape) {
      case Shape::one_string:
        return one_string(clause).has_value();
      case Shape::one_name:
        return one_name(clause) != nullptr;
      case Shape::label:
        if (!boost::get<ast::Label>(&clause.value.get())) {
          error(Code::invalid_value, clause,
                "a label here is `label NAME = \"value\"` (`label \"x\"` alone selects a "
                "set's units)");
          return false;
        }
        return true;
      default:
        return true;  // the grammar ties the other shapes to their keywords
    }
  }

  static const ast::Clause* first(
      const std::map<std::string, std::vector<const ast::Clause*>>& clauses,
      const std::string& keyword) {
    const auto it = clauses.find(keyword);
    return it == clauses.end() || it->second.empty() ? nullptr : it->second.front();
  }

  std::string string_clause(const std::map<std::string, std::vector<const ast::Clause*>>& c,
                            const std::string& keyword) {
    const ast::Clause* clause = first(c, keyword);
    if (!clause) return {};
    return strings_of(*clause)->front().value;
  }

  static std::vector<std::pair<std::string, std::string>> labels_of(const Clauses& clauses) {
    std::vector<std::pair<std::string, std::string>> labels;
    const auto it = clauses.find("label");
    if (it == clauses.end()) return labels;
    for (const ast::Clause* clause : it->second) {
      const auto& label = boost::get<ast::Label>(clause->value.get());
      labels.emplace_back(label.key.text, label.value.value);
    }
    return labels;
  }

  // -------------------------------------------------------------------------------------
  // Pass 2: blocks.

  void fill(const ast::Block& block, Index index) {
    const auto clauses = sort_clauses(block);
    if (block.kind == "indicator") fill_indicator(block, clauses, rules_.indicators[index]);
    if (block.kind == "plan") fill_plan(clauses, rules_.plans[index]);
    if (block.kind == "task") fill_task(clauses, rules_.tasks[index]);
    if (block.kind == "channel") fill_channel(block, clauses, rules_.channels[index]);
    if (block.kind == "rule") fill_rule(block, clauses, rules_.rules[index]);
    if (block.kind == "set") fill_set(block, clauses, rules_.sets[index]);
  }

  void fill_set(const ast::Block& block, const Clauses& clauses, model::UnitSet& out) {
    out.title = string_clause(clauses, "title");
    const ast::Clause* units = first(clauses, "units");
    const ast::Clause* level = first(clauses, "level");
    const ast::Clause* label = first(clauses, "label");
    if (units && level) {
      Diagnostic& d = error(Code::invalid_value, *level,
                            fmt::format("set '{}' names its units by id and by level; give "
                                        "`units` or `level`, not both",
                                        block.name.text));
      note(d, at(*units), "the units are named here");
      return;
    }
    if (!units && !level) {
      error(Code::invalid_value, block.name,
            fmt::format("set '{}' has no members: give `units a, b, c` (unit ids) or `level L` "
                        "with an optional `label \"x\"`",
                        block.name.text));
      return;
    }
    if (units) {
      if (label) {
        error(Code::invalid_value, *label,
              fmt::format("`label` selects units of a level; set '{}' names its units by id",
                          block.name.text));
      }
      std::set<std::string> seen;
      for (const ast::Name& name : *names_of(*units)) {
        if (!seen.insert(name.text).second) {
          error(Code::duplicate_clause, name,
                fmt::format("unit '{}' is named twice in set '{}'", name.text, block.name.text));
          continue;
        }
        out.units.push_back(name.text);
      }
      return;
    }
    out.level = resolve(names_of(*level)->front(), "level");
    if (label) {
      out.label = strings_of(*label)->front().value;
      if (out.label.empty() || out.label.find(';') != std::string::npos) {
        error(Code::invalid_value, *label,
              "a label is a non-empty word without ';' (units.csv separates a unit's labels "
              "with ';')");
      }
    }
  }

  void fill_indicator(const ast::Block& block, const Clauses& clauses, model::Indicator& out) {
    out.title = string_clause(clauses, "title");
    out.owner = string_clause(clauses, "owner");
    out.labels = labels_of(clauses);
    bool unit_known = true;
    if (const ast::Clause* unit = first(clauses, "unit")) {
      const ast::Name& name = names_of(*unit)->front();
      if (name.text == "percent") {
        out.unit = ValueUnit::percent;
      } else if (name.text == "count") {
        out.unit = ValueUnit::count;
      } else if (name.text == "number") {
        out.unit = ValueUnit::number;
      } else {
        unit_known = false;
        error(Code::invalid_value, name,
              fmt::format("unknown unit '{}'; an indicator's unit is percent, count or number",
                          name.text));
      }
    } else {
      unit_known = false;
      error(Code::missing_clause, block.name,
            fmt::format("indicator '{}' has no unit; add `unit percent`, `unit count` or "
                        "`unit number`",
                        block.name.text));
    }
    if (const ast::Clause* stale = first(clauses, "stale after")) {
      out.stale_after = duration_of(*stale);
    }
    // Without a valid unit the bounds cannot be judged, and that is already an error.
    const ast::Clause* range = first(clauses, "range");
    if (range && unit_known) {
      const auto& written = boost::get<ast::Range>(range->value.get());
      if (auto values = range_of(written, out)) {
        out.declared_range = model::DeclaredRange{*values, range_text(written.low, written.high),
                                                  source_ref(*range)};
      }
    }
  }

  // `range LOW .. HIGH` for `indicator`, whose unit is known; nullopt after an error.
  std::optional<model::ValueRange> range_of(const ast::Range& range,
                                            const model::Indicator& indicator) {
    const auto low = range_bound(range.low, indicator);
    const auto high = range_bound(range.high, indicator);
    if (!low || !high) return std::nullopt;
    if (*low > *high) {
      error(Code::invalid_value, range,
            fmt::format("the range {} is empty: its low end is above its high end; write "
                        "range {}",
                        range_text(range.low, range.high), range_text(range.high, range.low)));
      return std::nullopt;
    }
    return model::ValueRange{*low, *high};
  }

  static std::string range_text(const ast::NumberLit& low, const ast::NumberLit& high) {
    return fmt::format("{}{} .. {}{}", low.text, low.percent ? "%" : "", high.text,
                       high.percent ? "%" : "");
  }

  std::optional<double> range_bound(const ast::NumberLit& bound,
                                    const model::Indicator& indicator) {
    const auto value = number_value(bound);
    if (!value) return std::nullopt;
    if (indicator.unit == ValueUnit::percent && !bound.percent) {
      error(Code::unit_mismatch, bound,
            fmt::format("'{}' is a percent indicator; write {}% (a percent literal is the "
                        "fraction: 50% is 0.5)",
                        indicator.name, bound.text));
      return std::nullopt;
    }
    if (indicator.unit != ValueUnit::percent && bound.percent) {
      error(Code::unit_mismatch, bound,
            fmt::format("'{}' is {}, not a percent; write {}", indicator.name,
                        unit_phrase(indicator.unit), bound.text));
      return std::nullopt;
    }
    if (indicator.unit == ValueUnit::percent && std::abs(*value) > kMaxPercentBound) {
      error(Code::invalid_value, bound,
            fmt::format("{}% is beyond {}1000%, which ingest takes for a typo", bound.text,
                        *value < 0 ? "-" : ""));
      return std::nullopt;
    }
    if (indicator.unit == ValueUnit::count && *value < 0) {
      error(Code::invalid_value, bound,
            "a count is never negative, so its range starts at 0 or above; an indicator that "
            "can fall below 0 is `unit number`");
      return std::nullopt;
    }
    if (indicator.unit == ValueUnit::count && *value != std::floor(*value)) {
      error(Code::invalid_value, bound,
            fmt::format("{} is not a whole number, and a count's values are", bound.text));
      return std::nullopt;
    }
    return value;
  }

  void fill_plan(const Clauses& clauses, model::Plan& out) {
    out.title = string_clause(clauses, "title");
    out.code = string_clause(clauses, "code");
    out.owner = string_clause(clauses, "owner");
    out.labels = labels_of(clauses);
    if (const ast::Clause* issued = first(clauses, "issued")) out.issued = last_day(*issued);
    if (const ast::Clause* implements = first(clauses, "implements")) {
      for (const ast::Name& name : *names_of(*implements)) {
        const Index plan = resolve(name, "plan");
        if (plan != kNone) out.implements.push_back(plan);
      }
    }
  }

  void fill_task(const Clauses& clauses, model::Task& out) {
    out.title = string_clause(clauses, "title");
    out.owner = string_clause(clauses, "owner");
    out.labels = labels_of(clauses);
    if (const ast::Clause* part_of = first(clauses, "part_of")) {
      out.part_of = resolve(names_of(*part_of)->front(), "plan");
    }
    if (const ast::Clause* due = first(clauses, "due")) out.due = last_day(*due);
    const ast::Clause* starts = first(clauses, "starts");
    if (starts) out.starts = first_day(*starts);
    if (starts && out.starts && out.due && *out.starts > *out.due) {
      diagnostics_.warning(Code::starts_after_due, at(*starts),
                           fmt::format("task '{}' starts on {}, after it is due ({}); one of "
                                       "the dates is probably wrong",
                                       out.name, model::to_string(*out.starts),
                                       model::to_string(*out.due)));
    }
    if (const ast::Clause* duration = first(clauses, "duration")) {
      out.duration = duration_of(*duration);
    }
    if (const ast::Clause* warn = first(clauses, "warn within")) {
      out.warn_within = duration_of(*warn);
      if (!first(clauses, "due")) {
        diagnostics_.warning(Code::unused_clause, at(*warn),
                             "`warn within` has no effect: the task has no `due` date");
      }
    }
    if (const ast::Clause* after = first(clauses, "after")) {
      for (const ast::Name& name : *names_of(*after)) {
        const Index task = resolve(name, "task");
        if (task != kNone) {
          out.after.push_back(task);
          after_names_[&out].push_back(&name);
        }
      }
    }
  }

  static bool valid_email(std::string_view address) {
    const auto at_sign = address.find('@');
    if (at_sign == std::string_view::npos || at_sign == 0 || at_sign + 1 >= address.size()) {
      return false;
    }
    if (address.find('@', at_sign + 1) != std::string_view::npos) return false;
    if (address.substr(at_sign + 1).find('.') == std::string_view::npos) return false;
    return std::none_of(address.begin(), address.end(), [](char c) {
      return c == ' ' || c == '\t' || c == '<' || c == '>' || c == ',' || c == '\n';
    });
  }

  static bool valid_url(std::string_view url) {
    const std::string_view rest = url.starts_with("http://")    ? url.substr(7)
                                  : url.starts_with("https://") ? url.substr(8)
                                                                : std::string_view{};
    return !rest.empty() && rest.front() != '/' &&
           std::none_of(url.begin(), url.end(), [](char c) {
             return c == ' ' || c == '\t' || c == '\n' || c == '"';
           });
  }

  static bool valid_env_name(std::string_view name) {
    if (name.empty() || (name[0] >= '0' && name[0] <= '9')) return false;
    return std::all_of(name.begin(), name.end(), [](char c) {
      return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
             c == '_';
    });
  }

  void fill_channel(const ast::Block& block, const Clauses& clauses, model::Channel& out) {
    const ast::Clause* email = first(clauses, "email");
    const ast::Clause* webhook = first(clauses, "webhook");
    const ast::Clause* alertmanager = first(clauses, "alertmanager");
    const int kinds = (email ? 1 : 0) + (webhook ? 1 : 0) + (alertmanager ? 1 : 0);
    if (kinds == 0) {
      error(Code::missing_clause, block.name,
            fmt::format("channel '{}' has no destination; add `email \"...\"`, `webhook "
                        "\"URL\"` or `alertmanager \"URL\"`",
                        block.name.text));
    } else if (kinds > 1) {
      error(Code::invalid_value, block.name,
            fmt::format("channel '{}' has more than one destination kind; declare one channel "
                        "per email list, webhook or Alertmanager",
                        block.name.text));
    }
    if (email) {
      out.kind = model::Channel::Kind::email;
      for (const ast::StringLit& address : *strings_of(*email)) {
        if (!valid_email(address.value)) {
          error(Code::invalid_value, address,
                fmt::format("'{}' is not an email address", address.value));
        }
        out.emails.push_back(address.value);
      }
    }
    for (const ast::Clause* url_clause : {webhook, alertmanager}) {
      if (!url_clause) continue;
      const ast::StringLit& url = strings_of(*url_clause)->front();
      if (!valid_url(url.value)) {
        error(Code::invalid_value, url,
              fmt::format("'{}' is not an http:// or https:// URL", url.value));
      }
      out.url = url.value;
      out.kind = url_clause == webhook ? model::Channel::Kind::webhook
                                       : model::Channel::Kind::alertmanager;
    }
    if (const ast::Clause* secret = first(clauses, "secret env")) {
      const ast::StringLit& name = strings_of(*secret)->front();
      if (!webhook) {
        error(Code::invalid_value, *secret, "`secret env` applies only to a webhook channel");
      } else if (!valid_env_name(name.value)) {
        error(Code::invalid_value, name,
              fmt::format("'{}' is not an environment variable name (letters, digits and _)",
                          name.value));
      }
      out.secret_env = name.value;
    }
    if (const ast::Clause* format = first(clauses, "format")) {
      const ast::Name& name = names_of(*format)->front();
      if (!webhook) {
        error(Code::invalid_value, *format, "`format` applies only to a webhook channel");
      } else if (name.text == "native") {
        out.format = model::Channel::Format::native;
      } else if (name.text == "alertmanager") {
        out.format = model::Channel::Format::alertmanager;
      } else {
        error(Code::invalid_value, name,
              fmt::format("unknown format '{}'; use native or alertmanager", name.text));
      }
    }
    if (const ast::Clause* send_resolved = first(clauses, "send_resolved")) {
      const ast::Name& name = names_of(*send_resolved)->front();
      if (name.text == "true" || name.text == "false") {
        out.send_resolved = name.text == "true";
      } else {
        error(Code::invalid_value, name,
              fmt::format("send_resolved is true or false, not '{}'", name.text));
      }
    }
  }

  // The names of a list clause resolved as `kind`, each kept once, in the order written;
  // an undefined one is reported and left out. Empty without the clause.
  std::vector<Index> resolve_each(const Clauses& clauses, const std::string& keyword,
                                  const std::string& kind) {
    std::vector<Index> out;
    const ast::Clause* clause = first(clauses, keyword);
    if (!clause) return out;
    for (const ast::Name& name : *names_of(*clause)) {
      const Index index = resolve(name, kind);
      if (index != kNone && std::find(out.begin(), out.end(), index) == out.end()) {
        out.push_back(index);
      }
    }
    return out;
  }

  void fill_rule(const ast::Block& block, const Clauses& clauses, model::Rule& out) {
    out.title = string_clause(clauses, "title");
    out.owner = string_clause(clauses, "owner");
    out.message = string_clause(clauses, "message");
    const ast::Clause* require = first(clauses, "require");
    if (!require) {
      error(Code::missing_clause, block.name,
            fmt::format("rule '{}' has no require clause", block.name.text));
    } else {
      compile_require(boost::get<ast::Require>(require->value.get()), out);
    }
    out.needs = resolve_each(clauses, "needs", "task");
    out.basis = resolve_each(clauses, "basis", "plan");
    if (const ast::Clause* severity = first(clauses, "severity")) {
      const ast::Name& name = names_of(*severity)->front();
      if (name.text == "info") {
        out.severity = model::Severity::info;
      } else if (name.text == "warning") {
        out.severity = model::Severity::warning;
      } else if (name.text == "critical") {
        out.severity = model::Severity::critical;
      } else {
        error(Code::invalid_value, name,
              fmt::format("unknown severity '{}'; use info, warning or critical", name.text));
      }
    }
    if (const ast::Clause* warn = first(clauses, "warn within")) {
      out.warn_within = duration_of(*warn);
      if (require && out.timing != model::Timing::by) {
        diagnostics_.warning(Code::unused_clause, at(*warn),
                             "`warn within` has no effect: the rule has no `by` deadline");
      }
    }
    if (const ast::Clause* for_clause = first(clauses, "for")) {
      out.for_duration = duration_of(*for_clause);
    }
    if (const ast::Clause* repeat = first(clauses, "repeat every")) {
      if (auto duration = duration_of(*repeat)) out.repeat_every = *duration;
    }
    // A channel named twice is still one destination: one message per run, and one link
    // from the alert's transition to it (a second link would fail the run).
    out.notify = resolve_each(clauses, "notify", "channel");
    if (!first(clauses, "notify")) {
      if (const auto it = declared_.find("default");
          it != declared_.end() && it->second.kind == "channel") {
        out.notify.push_back(it->second.index);
      }
    }
    out.labels = labels_of(clauses);
    if (const ast::Clause* message = first(clauses, "message")) {
      check_placeholders(strings_of(*message)->front());
    }
  }

  void check_placeholders(const ast::StringLit& message) {
    const std::string& text = message.value;
    for (std::size_t i = 0; i < text.size(); ++i) {
      if (text[i] == '{' && i + 1 < text.size() && text[i + 1] == '{') {
        ++i;  // `{{` is a literal brace
        continue;
      }
      if (text[i] == '}' && i + 1 < text.size() && text[i + 1] == '}') {
        ++i;
        continue;
      }
      if (text[i] != '{') continue;
      // Point at the brace when the literal has no escapes (offsets then match).
      ast::Node where = message;
      if (source_text(message).size() == text.size() + 2) {
        where.begin = message.begin + 1 + static_cast<std::uint32_t>(i);
      }
      const std::size_t close = text.find('}', i);
      if (close == std::string::npos) {
        error(Code::unknown_placeholder, where,
              "unclosed '{' in the message; write {{ for a literal brace");
        return;
      }
      const std::string name = text.substr(i + 1, close - i - 1);
      if (std::find(kPlaceholders.begin(), kPlaceholders.end(), name) == kPlaceholders.end()) {
        std::string text_message = fmt::format("unknown placeholder '{{{}}}' in the message", name);
        if (auto suggestion = util::closest_match(name, kPlaceholders)) {
          text_message += fmt::format("; did you mean '{{{}}}'?", *suggestion);
        }
        error(Code::unknown_placeholder, where, std::move(text_message));
      }
      i = close;
    }
  }

  // -------------------------------------------------------------------------------------
  // Expressions.

  void compile_require(const ast::Require& require, model::Rule& out) {
    out.condition_text = std::string(source_text(require));
    Scope scope;
    if (require.for_each) {
      scope.for_each = resolve_scope(*require.for_each);
      out.for_each = scope.for_each;
      if (scope.for_each.is_set()) scope.sets.insert(scope.for_each.index);
    }
    if (require.timing) {
      if (auto period = period_of(require.timing->date)) {
        out.timing = require.timing->kind == "by" ? model::Timing::by : model::Timing::from;
        out.date = out.timing == model::Timing::by ? period->last : period->first;
      }
    }
    if (!require.condition.comparison) {
      error(Code::invalid_value, require.condition,
            "a requirement needs a comparison, such as `online_dossier_rate >= 50%`");
      return;
    }
    out.condition = compile_condition(require.condition, scope);
    out.indicators.assign(scope.indicators.begin(), scope.indicators.end());
    out.sets.assign(scope.sets.begin(), scope.sets.end());
  }

  model::ExprId add_node(model::ExprNode node) {
    rules_.expressions.push_back(std::move(node));
    return static_cast<model::ExprId>(rules_.expressions.size() - 1);
  }

  std::int32_t compile_condition(const ast::Condition& condition, Scope& scope) {
    const Typed lhs = compile(condition.lhs, scope);
    const ast::Comparison& comparison = *condition.comparison;
    const Typed rhs = compile(comparison.rhs, scope);
    model::Condition out;
    out.lhs = lhs.id;
    out.rhs = rhs.id;
    bool ok = lhs.ok && rhs.ok && compatible(lhs, rhs, condition.lhs, comparison.rhs);
    if (comparison.op == "between") {
      const Typed upper = compile(*comparison.upper, scope);
      out.upper = upper.id;
      out.op = model::Comparator::between;
      ok = ok && upper.ok && compatible(lhs, upper, condition.lhs, *comparison.upper);
    } else {
      static const std::map<std::string, model::Comparator> kOps = {
          {">=", model::Comparator::ge}, {"<=", model::Comparator::le},
          {">", model::Comparator::gt},  {"<", model::Comparator::lt},
          {"==", model::Comparator::eq}, {"!=", model::Comparator::ne}};
      out.op = kOps.at(comparison.op);
    }
    if (!ok) return -1;
    rules_.conditions.push_back(out);
    return static_cast<std::int32_t>(rules_.conditions.size() - 1);
  }

  // Percent compares only with percent; count and number mix freely.
  bool compatible(const Typed& a, const Typed& b, const ast::Expr& a_node,
                  const ast::Expr& b_node) {
    if ((a.unit == ValueUnit::percent) == (b.unit == ValueUnit::percent)) return true;
    const Typed& plain = a.unit == ValueUnit::percent ? b : a;
    const ast::Expr& plain_node = a.unit == ValueUnit::percent ? b_node : a_node;
    const ast::Expr& percent_node = a.unit == ValueUnit::percent ? a_node : b_node;
    if (plain.bare_literal) {
      error(Code::unit_mismatch, *plain.bare_literal,
            fmt::format("'{}' is a percent but {} is a plain number; write {}% (a percent "
                        "literal is the fraction: 50% is 0.5)",
                        source_text(percent_node), plain.bare_literal->text,
                        plain.bare_literal->text));
      return false;
    }
    std::string message = fmt::format("cannot compare '{}' ({}) with '{}' ({})",
                                      source_text(a_node), unit_phrase(a.unit),
                                      source_text(b_node), unit_phrase(b.unit));
    if (!plain_node.rest.empty() || !plain_node.first.rest.empty()) {
      message += "; ratio(a, b) gives a percent";
    }
    error(Code::unit_mismatch, plain_node, std::move(message));
    return false;
  }

  Typed compile(const ast::Expr& expr, Scope& scope) {
    Typed first = compile(expr.first, scope);
    if (expr.rest.empty()) return first;
    model::ExprNode node;
    node.kind = model::ExprKind::chain;
    node.operands.push_back(first.id);
    node.ops.push_back('+');
    bool ok = first.ok;
    ValueUnit unit = first.unit;
    for (const ast::TermOperation& operation : expr.rest) {
      const Typed term = compile(operation.term, scope);
      ok = ok && term.ok;
      if (term.ok && first.ok && (unit == ValueUnit::percent) != (term.unit == ValueUnit::percent)) {
        error(Code::unit_mismatch, operation,
              fmt::format("cannot {} {} and {}", operation.op == '+' ? "add" : "subtract",
                          unit_phrase(unit), unit_phrase(term.unit)));
        ok = false;
      }
      if (term.unit == ValueUnit::count) unit = ValueUnit::count;
      node.operands.push_back(term.id);
      node.ops.push_back(operation.op);
    }
    node.unit = unit;
    return {add_node(std::move(node)), unit, nullptr, ok};
  }

  Typed compile(const ast::Term& term, Scope& scope) {
    Typed first = compile(term.first, scope);
    if (term.rest.empty()) return first;
    model::ExprNode node;
    node.kind = model::ExprKind::chain;
    node.operands.push_back(first.id);
    node.ops.push_back('*');
    bool ok = first.ok;
    ValueUnit unit = first.unit;
    for (const ast::Operation& operation : term.rest) {
      const Typed operand = compile(operation.operand, scope);
      ok = ok && operand.ok;
      if (operation.op == '*') {
        // A plain number scales; percent × percent stays a fraction; a count times a
        // percent is a count ("50% of the communes").
        if (unit == ValueUnit::number) {
          unit = operand.unit;
        } else if (operand.unit == ValueUnit::count) {
          unit = ValueUnit::count;
        }
      } else {
        // Dividing like by like gives a plain number; dividing by a plain number keeps
        // the unit.
        if (operand.unit != ValueUnit::number) unit = ValueUnit::number;
      }
      node.operands.push_back(operand.id);
      node.ops.push_back(operation.op);
    }
    node.unit = unit;
    return {add_node(std::move(node)), unit, nullptr, ok};
  }

  Typed compile(const ast::Operand& operand, Scope& scope) {
    const auto& variant = operand.get();
    if (const auto* number = boost::get<ast::NumberLit>(&variant)) return compile_number(*number);
    if (const auto* name = boost::get<ast::Name>(&variant)) return compile_indicator(*name, scope);
    if (const auto* duration = boost::get<ast::DurationLit>(&variant)) {
      error(Code::wrong_arguments, *duration,
            fmt::format("a duration ({}) can only be the second argument of change()",
                        duration->text));
      return {};
    }
    if (const auto* unary = boost::get<x3::forward_ast<ast::Unary>>(&variant)) {
      Typed inner = compile(unary->get().operand, scope);
      model::ExprNode node;
      node.kind = model::ExprKind::negate;
      node.unit = inner.unit;
      node.operands.push_back(inner.id);
      return {add_node(std::move(node)), inner.unit, nullptr, inner.ok};
    }
    if (const auto* paren = boost::get<x3::forward_ast<ast::Paren>>(&variant)) {
      return compile(paren->get().inner, scope);
    }
    return compile_call(boost::get<x3::forward_ast<ast::Call>>(variant).get(), scope);
  }

  Typed compile_number(const ast::NumberLit& number) {
    // As ingest reads the same text, so that a target and an observation written alike
    // compare equal.
    const auto value = number_value(number);
    if (!value) return {};
    model::ExprNode node;
    node.kind = model::ExprKind::literal;
    node.unit = number.percent ? ValueUnit::percent : ValueUnit::number;
    node.value = *value;
    const ValueUnit unit = node.unit;
    return {add_node(std::move(node)), unit, number.percent ? nullptr : &number, true};
  }

  Typed compile_indicator(const ast::Name& name, Scope& scope) {
    const Index indicator = resolve(name, "indicator");
    if (indicator == kNone) return {};
    scope.indicators.insert(indicator);
    model::ExprNode node;
    node.kind = model::ExprKind::latest;
    node.indicator = indicator;
    node.unit = rules_.indicators[indicator].unit;
    const ValueUnit unit = node.unit;
    return {add_node(std::move(node)), unit, nullptr, true};
  }

  // The argument as a bare name, or an error naming the expected kind.
  const ast::Name* name_argument(const ast::Call& call, std::size_t position,
                                 std::string_view what) {
    const ast::Condition& arg = call.args[position];
    const ast::Name* name = nullptr;
    if (!arg.comparison && arg.lhs.rest.empty() && arg.lhs.first.rest.empty()) {
      name = boost::get<ast::Name>(&arg.lhs.first.first.get());
    }
    if (!name) {
      error(Code::wrong_arguments, arg,
            fmt::format("argument {} of {}() must be {} name", position + 1,
                        call.function.text, what));
    }
    return name;
  }

  // The level a scope stands at: the level itself, a set's level, or kNone (a set by ids,
  // the root).
  Index level_of(model::Scope scope) const {
    if (scope.is_level()) return scope.index;
    if (scope.is_set()) return rules_.sets[static_cast<std::size_t>(scope.index)].level;
    return kNone;
  }

  // The level or set argument. A level must be below the evaluated unit's level when both
  // are of one chain; across chains "inside" follows the units' parents in the data. A
  // set may be named at any scope: its units inside the evaluated unit count.
  model::Scope scope_argument(const ast::Call& call, std::size_t position, Scope& scope) {
    const ast::Name* name = name_argument(call, position, "a level or set");
    if (!name) return {};
    const model::Scope argument = resolve_scope(*name);
    if (argument.none()) return {};
    if (argument.is_set()) {
      scope.sets.insert(argument.index);
      return argument;
    }
    const model::Level& level = rules_.levels[static_cast<std::size_t>(argument.index)];
    const Index at = level_of(scope.for_each);
    const bool refused =
        scope.for_each.none()
            ? argument.index == 0  // the first chain's top level is the root's own
            : at != kNone && rules_.levels[static_cast<std::size_t>(at)].chain == level.chain &&
                  level.depth <= rules_.levels[static_cast<std::size_t>(at)].depth;
    if (refused) {
      error(Code::level_order, *name,
            fmt::format("{}() over '{}' at {}: the level must be below the evaluated unit's "
                        "level",
                        call.function.text, name->text,
                        scope.for_each.none()
                            ? fmt::format("the root unit ('{}')", rules_.levels[0].name)
                            : fmt::format("each '{}'", rules_.scope_name(scope.for_each))));
      return {};
    }
    return argument;
  }

  Typed compile_call(const ast::Call& call, Scope& scope) {
    const std::string& function = call.function.text;
    const auto arity_error = [&](std::string_view forms) {
      error(Code::wrong_arguments, call,
            fmt::format("{}() takes {}; it was given {} argument{}", function, forms,
                        call.args.size(), call.args.size() == 1 ? "" : "s"));
      return Typed{};
    };
    model::ExprNode node;
    const auto indicator_arg = [&](std::size_t position) -> Index {
      const ast::Name* name = name_argument(call, position, "an indicator");
      if (!name) return kNone;
      const Index indicator = resolve(*name, "indicator");
      if (indicator != kNone) scope.indicators.insert(indicator);
      return indicator;
    };
    if (function == "latest") {
      if (call.args.size() != 1) return arity_error("one indicator: latest(x)");
      node.kind = model::ExprKind::latest;
      node.indicator = indicator_arg(0);
      if (node.indicator == kNone) return {};
      node.unit = rules_.indicators[node.indicator].unit;
    } else if (function == "sum" || function == "avg" || function == "min" || function == "max" ||
               function == "count") {
      if (call.args.size() != 2) return arity_error(fmt::format("an indicator and a level or set: {}(x, LEVEL)", function));
      node.kind = function == "sum"   ? model::ExprKind::sum
                  : function == "avg" ? model::ExprKind::avg
                  : function == "min" ? model::ExprKind::min
                  : function == "max" ? model::ExprKind::max
                                      : model::ExprKind::count;
      node.indicator = indicator_arg(0);
      node.level = scope_argument(call, 1, scope);
      if (node.indicator == kNone || node.level.none()) return {};
      node.unit = node.kind == model::ExprKind::count ? ValueUnit::count
                                                      : rules_.indicators[node.indicator].unit;
    } else if (function == "share") {
      if (call.args.size() != 2) return arity_error("a level or set and a condition: share(LEVEL, x >= 1)");
      node.kind = model::ExprKind::share;
      node.level = scope_argument(call, 0, scope);
      const ast::Condition& condition = call.args[1];
      if (!condition.comparison) {
        error(Code::wrong_arguments, condition,
              "the second argument of share() must be a condition, such as "
              "`community_team_count >= 1`");
        return {};
      }
      Scope inner{node.level, {}, {}};
      node.condition = compile_condition(condition, inner);
      scope.indicators.insert(inner.indicators.begin(), inner.indicators.end());
      scope.sets.insert(inner.sets.begin(), inner.sets.end());
      if (node.level.none() || node.condition < 0) return {};
      node.unit = ValueUnit::percent;
    } else if (function == "ratio") {
      if (call.args.size() != 2 && call.args.size() != 3) {
        return arity_error("two indicators and an optional level: ratio(a, b) or ratio(a, b, LEVEL)");
      }
      node.kind = model::ExprKind::ratio;
      node.indicator = indicator_arg(0);
      node.indicator2 = indicator_arg(1);
      if (call.args.size() == 3) {
        node.level = scope_argument(call, 2, scope);
        if (node.level.none()) return {};
      }
      if (node.indicator == kNone || node.indicator2 == kNone) return {};
      node.unit = ValueUnit::percent;
    } else if (function == "change") {
      if (call.args.size() != 2) return arity_error("an indicator and a duration: change(x, 90d)");
      node.kind = model::ExprKind::change;
      node.indicator = indicator_arg(0);
      const ast::Condition& arg = call.args[1];
      const ast::DurationLit* literal = nullptr;
      if (!arg.comparison && arg.lhs.rest.empty() && arg.lhs.first.rest.empty()) {
        literal = boost::get<ast::DurationLit>(&arg.lhs.first.first.get());
      }
      if (!literal) {
        error(Code::wrong_arguments, arg,
              "the second argument of change() must be a duration, such as 90d or 1y");
        return {};
      }
      const auto duration = duration_of(*literal);
      if (node.indicator == kNone || !duration) return {};
      node.duration = *duration;
      node.unit = rules_.indicators[node.indicator].unit;
    } else if (function == "done") {
      if (call.args.size() != 1) return arity_error("one task: done(task)");
      const ast::Name* name = name_argument(call, 0, "a task");
      if (!name) return {};
      node.kind = model::ExprKind::done;
      node.task = resolve(*name, "task");
      if (node.task == kNone) return {};
      node.unit = ValueUnit::number;
    } else {
      std::string message = fmt::format("unknown function '{}'", function);
      if (auto suggestion = util::closest_match(function, kFunctions)) {
        message += fmt::format("; did you mean '{}'?", *suggestion);
      } else {
        message += "; the functions are latest, sum, avg, min, max, count, share, ratio, "
                   "change and done";
      }
      error(Code::unknown_function, call.function, std::move(message));
      return {};
    }
    const ValueUnit unit = node.unit;
    return {add_node(std::move(node)), unit, nullptr, true};
  }

  // -------------------------------------------------------------------------------------
  // Pass 3: the plan graph.

  void check_graph() {
    model::PlanGraph& graph = rules_.graph;
    graph.plan_count = static_cast<std::uint32_t>(rules_.plans.size());
    graph.task_count = static_cast<std::uint32_t>(rules_.tasks.size());
    for (std::size_t p = 0; p < rules_.plans.size(); ++p) {
      for (Index target : rules_.plans[p].implements) {
        graph.edges.emplace_back(graph.plan_vertex(static_cast<Index>(p)), graph.plan_vertex(target));
      }
    }
    for (std::size_t t = 0; t < rules_.tasks.size(); ++t) {
      const model::Task& task = rules_.tasks[t];
      if (task.part_of != kNone) {
        graph.edges.emplace_back(graph.task_vertex(static_cast<Index>(t)),
                                 graph.plan_vertex(task.part_of));
      }
      for (std::size_t i = 0; i < task.after.size(); ++i) {
        const Index before = task.after[i];
        graph.edges.emplace_back(graph.task_vertex(static_cast<Index>(t)),
                                 graph.task_vertex(before));
        const model::Task& predecessor = rules_.tasks[before];
        if (task.due && predecessor.due && *predecessor.due > *task.due) {
          const ast::Name* name = after_names_[&task][i];
          diagnostics_.warning(
              Code::after_due_later, at(*name),
              fmt::format("task '{}' (due {}) comes after '{}', which is due later ({}); one "
                          "of the due dates is probably wrong",
                          task.name, model::to_string(*task.due), predecessor.name,
                          model::to_string(*predecessor.due)));
        }
      }
    }
    const auto cycles = model::find_cycles(graph);
    for (const auto& cycle : cycles) {
      std::string chain;
      for (std::uint32_t vertex : cycle) chain += vertex_name(vertex) + " \u2192 ";
      chain += vertex_name(cycle.front());
      const bool tasks = graph.is_task(cycle.front());
      const auto declared = declared_.find(vertex_name(cycle.front()));
      diagnostics_.error(Code::graph_cycle, declared->second.where,
                         fmt::format("the {} form a cycle: {}",
                                     tasks ? "tasks' `after` links" : "plans' `implements` links",
                                     chain));
    }
    if (cycles.empty()) graph.task_order = model::topological_task_order(graph);
  }

  std::string vertex_name(std::uint32_t vertex) const {
    const model::PlanGraph& graph = rules_.graph;
    return graph.is_task(vertex) ? rules_.tasks[graph.index_of(vertex)].name
                                 : rules_.plans[graph.index_of(vertex)].name;
  }

  // -------------------------------------------------------------------------------------
  // Pass 4: tests.

  void check_test(const ast::TestBlock& test) {
    model::TestCase out;
    out.name = test.name.value;
    out.source = source_ref(test.name);
    if (!test_names_.insert(out.name).second) {
      error(Code::duplicate_declaration, test.name,
            fmt::format("there are two tests named \"{}\"", out.name));
    }
    std::map<std::string, const ast::Name*> units;
    const ast::TestAt* at_line = nullptr;
    // Units first, so that observations may name a unit declared further down.
    for (const ast::TestItem& item : test.items) {
      const auto* unit = boost::get<ast::TestUnit>(&item.get());
      if (!unit) continue;
      if (is_reserved(unit->id.text)) {
        error(Code::reserved_name, unit->id,
              fmt::format("'{}' is a reserved word and cannot name a unit", unit->id.text));
        continue;
      }
      if (const auto [it, inserted] = units.emplace(unit->id.text, &unit->id); !inserted) {
        Diagnostic& d = error(Code::duplicate_declaration, unit->id,
                              fmt::format("unit '{}' is declared twice in this test",
                                          unit->id.text));
        note(d, at(*it->second), "first declared here");
        continue;
      }
      model::TestUnit test_unit;
      test_unit.id = unit->id.text;
      test_unit.title = unit->title.value;
      test_unit.level = resolve(unit->level, "level");
      if (unit->parent) test_unit.parent = unit->parent->text;
      for (const ast::StringLit& label : unit->labels) {
        if (label.value.empty() || label.value.find(';') != std::string::npos) {
          error(Code::invalid_value, label, "a label is a non-empty word without ';'");
          continue;
        }
        test_unit.labels.push_back(label.value);
      }
      out.units.push_back(std::move(test_unit));
    }
    std::vector<std::string> unit_ids;
    for (const auto& [id, name] : units) unit_ids.push_back(id);
    for (const model::TestUnit& unit : out.units) {
      if (!unit.parent.empty() && !units.contains(unit.parent)) {
        const ast::TestUnit* node = nullptr;
        for (const ast::TestItem& item : test.items) {
          const auto* candidate = boost::get<ast::TestUnit>(&item.get());
          if (candidate && candidate->id.text == unit.id) node = candidate;
        }
        std::string message = fmt::format("undefined unit '{}' in this test", unit.parent);
        if (auto suggestion = util::closest_match(unit.parent, unit_ids)) {
          message += fmt::format("; did you mean '{}'?", *suggestion);
        }
        error(Code::undefined_name, *node->parent, std::move(message));
      }
    }
    if (out.units.empty()) out.units.push_back({"root", kNone, "root", "", {}});
    std::vector<std::string> roots;
    std::map<std::string, const model::TestUnit*> by_id;
    for (const model::TestUnit& unit : out.units) {
      by_id[unit.id] = &unit;
      if (unit.parent.empty()) roots.push_back(unit.id);
    }
    // A unit stands below its parent: in one chain its level is lower. Across chains (an
    // agency inside a province) any parent will do, but no unit may be its own ancestor.
    const auto node_of = [&](const std::string& id) {
      const ast::TestUnit* node = nullptr;
      for (const ast::TestItem& item : test.items) {
        const auto* candidate = boost::get<ast::TestUnit>(&item.get());
        if (candidate && candidate->id.text == id) node = candidate;
      }
      return node;
    };
    bool cyclic = false;
    for (const model::TestUnit& unit : out.units) {
      std::set<std::string> seen{unit.id};
      for (auto p = by_id.find(unit.parent); p != by_id.end(); p = by_id.find(p->second->parent)) {
        if (!seen.insert(p->second->id).second) {
          if (!cyclic) {
            error(Code::level_order, *node_of(unit.id)->parent,
                  fmt::format("unit '{}' is its own ancestor through its parents", unit.id));
          }
          cyclic = true;
          break;
        }
      }
    }
    for (const model::TestUnit& unit : out.units) {
      const auto parent = by_id.find(unit.parent);
      if (parent == by_id.end() || unit.level == kNone || parent->second->level == kNone) continue;
      const model::Level& level = rules_.levels[unit.level];
      const model::Level& above = rules_.levels[parent->second->level];
      if (level.chain == above.chain && above.depth >= level.depth) {
        const ast::TestUnit* node = node_of(unit.id);
        error(Code::level_order, *node->parent,
              fmt::format("unit '{}' ({}) cannot be inside '{}' ({}): a parent's level is above "
                          "its children's",
                          unit.id, rules_.levels[unit.level].name, unit.parent,
                          rules_.levels[parent->second->level].name));
      }
    }
    if (roots.empty()) {
      error(Code::invalid_value, test.name,
            fmt::format("test \"{}\" has no root unit: every unit has a parent", out.name));
    }

    // Resolves an optional leading unit name of observe/expect.
    const auto unit_of = [&](const ast::Name* name, const ast::Node& line) -> std::string {
      if (name) {
        if (units.contains(name->text) || (units.empty() && name->text == "root")) {
          return name->text;
        }
        std::string message = fmt::format("undefined unit '{}' in this test", name->text);
        if (auto suggestion = util::closest_match(name->text, unit_ids)) {
          message += fmt::format("; did you mean '{}'?", *suggestion);
        }
        error(Code::undefined_name, *name, std::move(message));
        return {};
      }
      if (roots.size() != 1) {
        if (roots.size() > 1) {
          error(Code::invalid_value, line,
                "the test declares several root units; name the unit on this line");
        }
        return {};
      }
      return roots.front();
    };

    for (const ast::TestItem& item : test.items) {
      const auto& variant = item.get();
      if (const auto* at_item = boost::get<ast::TestAt>(&variant)) {
        if (at_line) {
          Diagnostic& d = error(Code::duplicate_clause, *at_item, "a test has one `at` date");
          note(d, at(*at_line), "first given here");
          continue;
        }
        at_line = at_item;
        if (auto period = period_of(at_item->date)) out.at = period->last;
      } else if (const auto* observe = boost::get<ast::TestObserve>(&variant)) {
        model::TestObservation observation;
        const ast::Name* unit_name = observe->names.size() == 2 ? &observe->names[0] : nullptr;
        observation.unit = unit_of(unit_name, *observe);
        observation.indicator = resolve(observe->names.back(), "indicator");
        if (auto period = period_of(observe->period)) observation.period = *period;
        if (observation.indicator != kNone) {
          const model::Indicator& indicator = rules_.indicators[observation.indicator];
          if (auto value = test_value(observe->value, indicator)) {
            observation.value = *value;
            check_in_range(observe->value, indicator);
          }
        }
        out.observations.push_back(std::move(observation));
      } else if (const auto* status = boost::get<ast::TestStatus>(&variant)) {
        model::TestStatus test_status;
        test_status.task = resolve(status->task, "task");
        if (auto parsed = model::parse_task_status(status->status.text)) {
          test_status.status = *parsed;
        } else {
          error(Code::invalid_value, status->status,
                fmt::format("unknown task status '{}'; use not_started, in_progress, done, "
                            "blocked or cancelled",
                            status->status.text));
        }
        if (auto period = period_of(status->date)) test_status.date = period->last;
        if (status->progress) {
          if (const auto progress = number_value(*status->progress)) {
            if (!status->progress->percent || *progress > 1) {
              error(Code::invalid_value, *status->progress,
                    "progress is a percent from 0% to 100%");
            } else {
              test_status.progress = *progress;
            }
          }
        }
        out.statuses.push_back(test_status);
      } else if (const auto* expect = boost::get<ast::TestExpect>(&variant)) {
        model::TestExpectation expectation;
        expectation.source = source_ref(*expect);
        const ast::Name* unit_name = expect->names.size() == 3 ? &expect->names[0] : nullptr;
        expectation.unit = unit_of(unit_name, *expect);
        const ast::Name& target = expect->names[expect->names.size() - 2];
        const ast::Name& state = expect->names.back();
        expectation.state = state.text;
        const auto declared = declared_.find(target.text);
        const bool is_task = declared != declared_.end() && declared->second.kind == "task";
        if (is_task) {
          expectation.task = declared->second.index;
        } else if (declared != declared_.end() && declared->second.kind == "rule") {
          expectation.rule = declared->second.index;
        } else {
          std::vector<std::string> candidates = names_by_kind_["rule"];
          candidates.insert(candidates.end(), names_by_kind_["task"].begin(),
                            names_by_kind_["task"].end());
          std::string message = fmt::format("undefined rule or task '{}'", target.text);
          if (auto suggestion = util::closest_match(target.text, candidates)) {
            message += fmt::format("; did you mean '{}'?", *suggestion);
          }
          error(Code::undefined_name, target, std::move(message));
        }
        const auto& states = is_task ? model::task_state_names() : model::rule_state_names();
        if (std::find(states.begin(), states.end(), state.text) == states.end()) {
          std::string message =
              fmt::format("unknown {} state '{}'", is_task ? "task" : "rule", state.text);
          if (auto suggestion = util::closest_match(state.text, states)) {
            message += fmt::format("; did you mean '{}'?", *suggestion);
          }
          error(Code::invalid_value, state, std::move(message));
        }
        out.expectations.push_back(std::move(expectation));
      } else if (const auto* unknown = boost::get<ast::TestUnknown>(&variant)) {
        static const std::vector<std::string> kTestLines = {"unit", "at", "observe", "status",
                                                            "expect"};
        std::string message = fmt::format("unknown test line '{}'", unknown->keyword);
        if (auto suggestion = util::closest_match(unknown->keyword, kTestLines)) {
          message += fmt::format("; did you mean '{}'?", *suggestion);
        } else {
          message += "; a test has unit, at, observe, status and expect lines";
        }
        error(Code::unknown_clause, *unknown, std::move(message));
      }
    }
    if (!at_line) {
      error(Code::missing_clause, test.name,
            fmt::format("test \"{}\" has no `at` date to evaluate on", out.name));
    }
    rules_.tests.push_back(std::move(out));
  }

  // A test observation's value as stored: percents as fractions.
  std::optional<double> test_value(const ast::NumberLit& literal,
                                   const model::Indicator& indicator) {
    const auto value = number_value(literal);
    if (!value) return std::nullopt;
    if (indicator.unit == ValueUnit::percent && !literal.percent) {
      error(Code::unit_mismatch, literal,
            fmt::format("'{}' is a percent indicator; write {}%", indicator.name, literal.text));
      return std::nullopt;
    }
    if (indicator.unit != ValueUnit::percent && literal.percent) {
      error(Code::unit_mismatch, literal,
            fmt::format("'{}' is {}, not a percent; write {}", indicator.name,
                        unit_phrase(indicator.unit), literal.text));
      return std::nullopt;
    }
    return value;
  }

  // A test observes only what ingest would take: a value inside the indicator's range.
  void check_in_range(const ast::NumberLit& literal, const model::Indicator& indicator) {
    const auto value = literal_value(literal);
    if (!value) return;
    const std::string written = literal.text + (literal.percent ? "%" : "");
    if (indicator.unit == ValueUnit::count && *value != std::floor(*value)) {
      error(Code::invalid_value, literal,
            fmt::format("{} is not a whole number, and '{}' is a count", written, indicator.name));
      return;
    }
    if (indicator.range().contains(*value)) return;
    if (indicator.declared_range) {
      error(Code::invalid_value, literal,
            fmt::format("{} is outside the range of '{}', {}; ingest would refuse it", written,
                        indicator.name, indicator.declared_range->text));
      return;
    }
    error(Code::invalid_value, literal,
          fmt::format("{} is outside the range of '{}', {} as for every {}; ingest would refuse "
                      "it (a `range` clause in the indicator allows others)",
                      written, indicator.name,
                      indicator.unit == ValueUnit::percent ? "0% .. 100%" : "0 or more",
                      to_string(indicator.unit)));
  }

  void build_indexes() {
    for (std::size_t i = 0; i < rules_.indicators.size(); ++i) {
      rules_.indicator_index.emplace(rules_.indicators[i].name, static_cast<Index>(i));
    }
    for (std::size_t i = 0; i < rules_.tasks.size(); ++i) {
      rules_.task_index.emplace(rules_.tasks[i].name, static_cast<Index>(i));
    }
  }

  Program& program_;
  Diagnostics& diagnostics_;
  model::RuleSet rules_;
  std::map<std::string, Declared> declared_;
  std::map<std::string, std::vector<std::string>> names_by_kind_;
  std::vector<std::pair<const ast::Block*, Index>> blocks_;
  std::vector<const ast::TestBlock*> tests_;
  std::set<std::string> test_names_;
  std::map<const model::Task*, std::vector<const ast::Name*>> after_names_;
};

}  // namespace

std::optional<model::RuleSet> check(Program& program) {
  Checker checker(program);
  auto result = checker.run();
  program.diagnostics.sort();
  return result;
}

LoadedRuleSet load_rule_set(const std::vector<std::string>& paths, const LoadOptions& options) {
  LoadedRuleSet loaded{load(paths, options), std::nullopt};
  loaded.rule_set = check(loaded.program);
  return loaded;
}

}  // namespace tiendo::dsl

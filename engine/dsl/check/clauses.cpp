// Clauses: what each block may contain, and a block's clauses checked and sorted by
// keyword before the block is filled.
#include <fmt/format.h>

#include <algorithm>

#include "dsl/check/context.hpp"
#include "util/text.hpp"

namespace tiendo::dsl::checking {

namespace {

enum class Shape {
  strings,
  one_string,
  names,
  one_name,
  date,
  duration,
  require,
  label,
  range,
  amend
};

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
    {"title", Shape::one_string, false}, {"code", Shape::one_string, false},
    {"issued", Shape::date, false},      {"implements", Shape::names, false},
    {"owner", Shape::one_string, false}, {"label", Shape::label, true},
};
const Specs kTaskClauses = {
    {"title", Shape::one_string, false},
    {"part_of", Shape::one_name, false},
    {"owner", Shape::one_string, false},
    {"starts", Shape::date, false},
    {"due", Shape::date, false},
    {"duration", Shape::duration, false},
    {"warn within", Shape::duration, false},
    {"after", Shape::names, false},
    {"label", Shape::label, true},
};
const Specs kChannelClauses = {
    {"email", Shape::strings, false},           {"webhook", Shape::one_string, false},
    {"alertmanager", Shape::one_string, false}, {"secret env", Shape::one_string, false},
    {"format", Shape::one_name, false},         {"send_resolved", Shape::one_name, false},
    {"language", Shape::one_name, false},
};
const Specs kSetClauses = {
    {"title", Shape::one_string, false},
    {"units", Shape::names, false},
    {"level", Shape::one_name, false},
    {"label", Shape::one_string, false},
};
const Specs kRuleClauses = {
    {"title", Shape::one_string, false}, {"require", Shape::require, false},
    {"needs", Shape::names, false},      {"severity", Shape::one_name, false},
    {"basis", Shape::names, false},      {"warn within", Shape::duration, false},
    {"for", Shape::duration, false},     {"repeat every", Shape::duration, false},
    {"notify", Shape::names, false},     {"message", Shape::one_string, false},
    {"owner", Shape::one_string, false}, {"label", Shape::label, true},
    {"amend", Shape::amend, true},
};
// Inside `amend from D { ... }`: what a later document changes.
const Specs kAmendClauses = {
    {"require", Shape::require, false},
    {"basis", Shape::names, false},
};

const Specs& specs_for(std::string_view kind) {
  if (kind == "indicator") return kIndicatorClauses;
  if (kind == "plan") return kPlanClauses;
  if (kind == "task") return kTaskClauses;
  if (kind == "channel") return kChannelClauses;
  if (kind == "set") return kSetClauses;
  return kRuleClauses;
}

std::optional<std::string> one_string(Context& c, const ast::Clause& clause) {
  const ast::Strings* strings = strings_of(clause);
  if (!strings || strings->size() != 1) {
    c.error(Code::invalid_value, clause, fmt::format("'{}' takes one string", clause.keyword));
    return std::nullopt;
  }
  return strings->front().value;
}

const ast::Name* one_name(Context& c, const ast::Clause& clause) {
  const ast::Names* names = names_of(clause);
  if (!names || names->size() != 1) {
    c.error(Code::invalid_value, clause, fmt::format("'{}' takes one name", clause.keyword));
    return nullptr;
  }
  return &names->front();
}

// Whether the clause's value has the shape the spec expects; an error when not.
bool shape_matches(Context& c, const ast::Clause& clause, Shape shape) {
  switch (shape) {
    case Shape::one_string:
      return one_string(c, clause).has_value();
    case Shape::one_name:
      return one_name(c, clause) != nullptr;
    case Shape::label:
      if (!boost::get<ast::Label>(&clause.value.get())) {
        c.error(Code::invalid_value, clause,
                "a label here is `label NAME = \"value\"` (`label \"x\"` alone selects a "
                "set's units)");
        return false;
      }
      return true;
    default:
      return true;  // the grammar ties the other shapes to their keywords
  }
}

// Whose clauses are sorted, for messages: a block ("rule 'x'"), or an amendment inside a
// rule ("amend of rule 'x'").
struct Owner {
  std::string_view kind;  // indicator, plan, ..., amend
  std::string_view name;  // the block's name; for an amend, its rule's
  std::string what() const {
    return kind == "amend" ? fmt::format("amend of rule '{}'", name)
                           : fmt::format("{} '{}'", kind, name);
  }
};

// A keyword the block's kind does not take: the closest one it does, or the list.
void report_unknown_clause(Context& c, const Owner& owner, const ast::Clause& clause,
                           const std::vector<std::string>& allowed) {
  std::string message =
      boost::get<ast::UnknownClause>(&clause.value.get())
          ? fmt::format("unknown clause '{}' in {}", clause.keyword, owner.what())
          : fmt::format("'{}' is not a clause of {}", clause.keyword, article(owner.kind));
  if (auto suggestion = util::closest_match(clause.keyword, allowed)) {
    message += fmt::format("; did you mean '{}'?", *suggestion);
  } else {
    std::string list;
    for (const std::string& keyword : allowed) {
      list += (list.empty() ? "" : ", ") + keyword;
    }
    message += fmt::format(" ({} takes: {})", article(owner.kind), list);
  }
  c.error(Code::unknown_clause, clause, std::move(message));
}

// A non-repeatable clause given again.
void report_second_clause(Context& c, const Owner& owner, const ast::Clause& clause,
                          const ast::Clause& first_given) {
  std::string message =
      clause.keyword != "require"
          ? fmt::format("'{}' is given twice in {}", clause.keyword, owner.what())
      : owner.kind == "amend"
          ? fmt::format(
                "an amend of rule '{}' has a second require clause; an amendment states one "
                "requirement (a further change is a later `amend from`)",
                owner.name)
          : fmt::format(
                "rule '{}' has a second require clause; a rule states one requirement (write "
                "a second rule, or `amend from DATE {{ require ... }}` for a target a later "
                "document changes)",
                owner.name);
  Diagnostic& d = c.error(Code::duplicate_clause, clause, std::move(message));
  Context::note(d, Context::at(first_given), "first given here");
}

std::optional<model::Date> day_of(Context& c, const ast::Clause& clause, bool last) {
  const auto* literal = boost::get<ast::DateLit>(&clause.value.get());
  if (!literal) return std::nullopt;
  auto period = period_of(c, *literal);
  if (!period) return std::nullopt;
  return last ? period->last : period->first;
}

}  // namespace

namespace {

Clauses sort_clause_list(Context& c, const Owner& owner, const std::vector<ast::Clause>& list,
                         const Specs& specs) {
  Clauses by_keyword;
  std::map<std::string, const ast::Label*> labels;
  std::vector<std::string> allowed;
  for (const ClauseSpec& spec : specs) allowed.emplace_back(spec.keyword);
  for (const ast::Clause& clause : list) {
    const auto spec = std::find_if(specs.begin(), specs.end(), [&](const ClauseSpec& s) {
      return s.keyword == clause.keyword;
    });
    if (const auto* label = boost::get<ast::Label>(&clause.value.get())) {
      const auto [it, inserted] = labels.emplace(label->key.text, label);
      if (!inserted) {
        Diagnostic& d = c.error(Code::duplicate_clause, label->key,
                                fmt::format("label '{}' is given twice", label->key.text));
        Context::note(d, Context::at(*it->second), "first given here");
        continue;
      }
    }
    if (spec == specs.end()) {
      report_unknown_clause(c, owner, clause, allowed);
      continue;
    }
    auto& seen = by_keyword[clause.keyword];
    if (!seen.empty() && !spec->repeatable) {
      report_second_clause(c, owner, clause, *seen.front());
      continue;
    }
    if (!shape_matches(c, clause, spec->shape)) continue;
    seen.push_back(&clause);
  }
  return by_keyword;
}

}  // namespace

Clauses sort_clauses(Context& c, const ast::Block& block) {
  return sort_clause_list(c, {block.kind, block.name.text}, block.clauses, specs_for(block.kind));
}

Clauses sort_amend_clauses(Context& c, const ast::Block& rule, const ast::Amend& amend) {
  return sort_clause_list(c, {"amend", rule.name.text}, amend.clauses, kAmendClauses);
}

const ast::Amend* amend_of(const ast::Clause& clause) {
  const auto* amend = boost::get<ast::x3::forward_ast<ast::Amend>>(&clause.value.get());
  return amend ? &amend->get() : nullptr;
}

const ast::Strings* strings_of(const ast::Clause& clause) {
  return boost::get<ast::Strings>(&clause.value.get());
}

const ast::Names* names_of(const ast::Clause& clause) {
  return boost::get<ast::Names>(&clause.value.get());
}

const ast::Clause* first(const Clauses& clauses, const std::string& keyword) {
  const auto it = clauses.find(keyword);
  return it == clauses.end() || it->second.empty() ? nullptr : it->second.front();
}

std::string string_clause(const Clauses& clauses, const std::string& keyword) {
  const ast::Clause* clause = first(clauses, keyword);
  if (!clause) return {};
  return strings_of(*clause)->front().value;
}

std::vector<std::pair<std::string, std::string>> labels_of(const Clauses& clauses) {
  std::vector<std::pair<std::string, std::string>> labels;
  const auto it = clauses.find("label");
  if (it == clauses.end()) return labels;
  for (const ast::Clause* clause : it->second) {
    const auto& label = boost::get<ast::Label>(clause->value.get());
    labels.emplace_back(label.key.text, label.value.value);
  }
  return labels;
}

std::optional<model::Duration> duration_of(Context& c, const ast::Clause& clause) {
  const auto* literal = boost::get<ast::DurationLit>(&clause.value.get());
  if (!literal) return std::nullopt;
  return duration_of(c, *literal);
}

std::optional<model::Date> last_day(Context& c, const ast::Clause& clause) {
  return day_of(c, clause, true);
}

std::optional<model::Date> first_day(Context& c, const ast::Clause& clause) {
  return day_of(c, clause, false);
}

}  // namespace tiendo::dsl::checking

namespace tiendo::dsl {

std::vector<std::string> clause_keywords(std::string_view kind) {
  std::vector<std::string> out;
  for (const checking::ClauseSpec& spec : checking::specs_for(kind)) {
    out.emplace_back(spec.keyword);
  }
  return out;
}

}  // namespace tiendo::dsl

// Names: every declared name in one namespace, and resolving a name as a kind.
#include <fmt/format.h>

#include <algorithm>

#include "dsl/check/context.hpp"
#include "dsl/keywords.hpp"
#include "util/text.hpp"

namespace tiendo::dsl::checking {

namespace {

// Declares `name` as a `kind` item at `index`; false (with the error) when the name is
// reserved or taken.
bool declare(Context& c, const std::string& kind, const ast::Name& name, Index index) {
  if (is_reserved(name.text)) {
    c.error(Code::reserved_name, name,
            fmt::format("'{}' is a reserved word of the language and cannot name {}", name.text,
                        article(kind)));
    return false;
  }
  const auto [it, inserted] =
      c.declared.try_emplace(name.text, Declared{kind, index, Context::at(name)});
  if (!inserted) {
    Diagnostic& d = c.error(
        Code::duplicate_declaration, name,
        fmt::format("'{}' is declared twice (first as {})", name.text, article(it->second.kind)));
    Context::note(d, it->second.where, fmt::format("'{}' is first declared here", name.text));
    return false;
  }
  c.names_by_kind[kind].push_back(name.text);
  return true;
}

// Each `levels` line is a chain of its own (the territory, the agencies).
void declare_levels(Context& c, const ast::Levels& levels, std::int32_t chain) {
  std::int32_t depth = 0;
  for (const ast::Name& name : levels.names) {
    const auto index = static_cast<Index>(c.rules.levels.size());
    if (declare(c, "level", name, index)) {
      c.rules.levels.push_back({name.text, chain, depth++});
    }
  }
}

// Declares the block's name and adds an item named after it to the rule set; the block
// is filled later, when every name is known.
void declare_block(Context& c, const ast::Block& block) {
  // Declares the block's name and adds an item named after it to `items`; its index,
  // or kNone when the name is taken.
  const auto add = [&](auto& items) -> Index {
    const auto index = static_cast<Index>(items.size());
    if (!declare(c, block.kind, block.name, index)) return kNone;
    items.emplace_back();
    items.back().name = block.name.text;
    items.back().source = c.source_ref(block.name);
    return index;
  };
  model::RuleSet& rules = c.rules;
  const Index index = block.kind == "indicator" ? add(rules.indicators)
                      : block.kind == "plan"    ? add(rules.plans)
                      : block.kind == "task"    ? add(rules.tasks)
                      : block.kind == "channel" ? add(rules.channels)
                      : block.kind == "set"     ? add(rules.sets)
                                                : add(rules.rules);
  if (index == kNone) return;
  c.blocks.emplace_back(&block, index);
}

}  // namespace

std::string article(std::string_view kind) {
  return (kind == "indicator" || kind == "amend") ? fmt::format("an {}", kind)
                                                  : fmt::format("a {}", kind);
}

bool is_reserved(const std::string& word) {
  const auto& words = reserved_words();
  return std::find(words.begin(), words.end(), word) != words.end();
}

void declare_all(Context& c) {
  std::int32_t chains = 0;
  for (const ast::File& file : c.program.files) {
    for (const ast::Declaration& declaration : file.declarations) {
      if (const auto* levels = boost::get<ast::Levels>(&declaration.get())) {
        declare_levels(c, *levels, chains++);
      } else if (const auto* block = boost::get<ast::Block>(&declaration.get())) {
        declare_block(c, *block);
      } else if (const auto* test = boost::get<ast::TestBlock>(&declaration.get())) {
        c.tests.push_back(test);
      }
    }
  }
}

Index resolve(Context& c, const ast::Name& name, const std::string& kind) {
  const auto it = c.declared.find(name.text);
  if (it != c.declared.end() && it->second.kind == kind) return it->second.index;
  if (it != c.declared.end()) {
    std::string message =
        fmt::format("'{}' is {}, not {}", name.text, article(it->second.kind), article(kind));
    if (it->second.kind == "task" && kind == "indicator") {
      message += fmt::format("; use done({}) for whether the task is done", name.text);
    }
    Diagnostic& d = c.error(Code::undefined_name, name, std::move(message));
    Context::note(d, it->second.where, fmt::format("'{}' is declared here", name.text));
    return kNone;
  }
  std::string message = fmt::format("undefined {} '{}'", kind, name.text);
  if (auto suggestion = util::closest_match(name.text, c.names_by_kind[kind])) {
    message += fmt::format("; did you mean '{}'?", *suggestion);
  } else if (kind == "level" && c.rules.levels.empty()) {
    message += "; the rule set declares no `levels`";
  }
  c.error(Code::undefined_name, name, std::move(message));
  return kNone;
}

// Reports an undefined name with the closest level or set, or says what the name
// actually is.
model::Scope resolve_scope(Context& c, const ast::Name& name) {
  const auto it = c.declared.find(name.text);
  if (it != c.declared.end() && it->second.kind == "level") {
    return model::Scope::of_level(it->second.index);
  }
  if (it != c.declared.end() && it->second.kind == "set") {
    return model::Scope::of_set(it->second.index);
  }
  if (it != c.declared.end()) {
    Diagnostic& d = c.error(
        Code::undefined_name, name,
        fmt::format("'{}' is {}, not a level or a set", name.text, article(it->second.kind)));
    Context::note(d, it->second.where, fmt::format("'{}' is declared here", name.text));
    return {};
  }
  std::vector<std::string> candidates = c.names_by_kind["level"];
  const auto& sets = c.names_by_kind["set"];
  candidates.insert(candidates.end(), sets.begin(), sets.end());
  std::string message = fmt::format("undefined level or set '{}'", name.text);
  if (auto suggestion = util::closest_match(name.text, candidates)) {
    message += fmt::format("; did you mean '{}'?", *suggestion);
  } else if (candidates.empty()) {
    message += "; the rule set declares no `levels` and no `set`";
  }
  c.error(Code::undefined_name, name, std::move(message));
  return {};
}

}  // namespace tiendo::dsl::checking

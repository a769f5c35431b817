// Rules filled from their sorted clauses: the requirement (expressions.cpp), what the
// rule needs and rests on, its severity and timing, its channels, its message.
#include <fmt/format.h>

#include <algorithm>

#include "dsl/check/context.hpp"
#include "util/text.hpp"

namespace tiendo::dsl::checking {

namespace {

const std::vector<std::string> kPlaceholders = {
    "title",     "rule",   "unit",     "unit_name", "state",       "severity",
    "value",     "target", "deadline", "projected", "rate_needed", "rate_observed",
    "indicator", "owner",  "plan",     "code",      "since"};

// The names of a list clause resolved as `kind`, each kept once, in the order written;
// an undefined one is reported and left out. Empty without the clause.
std::vector<Index> resolve_each(Context& c, const Clauses& clauses, const std::string& keyword,
                                const std::string& kind) {
  std::vector<Index> out;
  const ast::Clause* clause = first(clauses, keyword);
  if (!clause) return out;
  for (const ast::Name& name : *names_of(*clause)) {
    const Index index = resolve(c, name, kind);
    if (index != kNone && std::find(out.begin(), out.end(), index) == out.end()) {
      out.push_back(index);
    }
  }
  return out;
}

void read_severity(Context& c, const ast::Clause& severity, model::Rule& out) {
  const ast::Name& name = names_of(severity)->front();
  if (name.text == "info") {
    out.severity = model::Severity::info;
  } else if (name.text == "warning") {
    out.severity = model::Severity::warning;
  } else if (name.text == "critical") {
    out.severity = model::Severity::critical;
  } else {
    c.error(Code::invalid_value, name,
            fmt::format("unknown severity '{}'; use info, warning or critical", name.text));
  }
}

// `warn within`, `for` and `repeat every`.
void read_durations(Context& c, const Clauses& clauses, bool has_require, model::Rule& out) {
  if (const ast::Clause* warn = first(clauses, "warn within")) {
    out.warn_within = duration_of(c, *warn);
    if (has_require && out.timing != model::Timing::by) {
      c.diagnostics.warning(Code::unused_clause, Context::at(*warn),
                            "`warn within` has no effect: the rule has no `by` deadline");
    }
  }
  if (const ast::Clause* for_clause = first(clauses, "for")) {
    out.for_duration = duration_of(c, *for_clause);
  }
  if (const ast::Clause* repeat = first(clauses, "repeat every")) {
    if (auto duration = duration_of(c, *repeat)) out.repeat_every = *duration;
  }
}

// The channels named in `notify`, or the channel called `default` without the clause.
void read_notify(Context& c, const Clauses& clauses, model::Rule& out) {
  // A channel named twice is still one destination: one message per run, and one link
  // from the alert's transition to it (a second link would fail the run).
  out.notify = resolve_each(c, clauses, "notify", "channel");
  if (!first(clauses, "notify")) {
    if (const auto it = c.declared.find("default");
        it != c.declared.end() && it->second.kind == "channel") {
      out.notify.push_back(it->second.index);
    }
  }
}

// Every `{name}` of the message is a known placeholder; `{{` and `}}` are braces.
void check_placeholders(Context& c, const ast::StringLit& message) {
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
    if (c.source_text(message).size() == text.size() + 2) {
      where.begin = message.begin + 1 + static_cast<std::uint32_t>(i);
    }
    const std::size_t close = text.find('}', i);
    if (close == std::string::npos) {
      c.error(Code::unknown_placeholder, where,
              "unclosed '{' in the message; write {{ for a literal brace");
      return;
    }
    const std::string name = text.substr(i + 1, close - i - 1);
    if (std::find(kPlaceholders.begin(), kPlaceholders.end(), name) == kPlaceholders.end()) {
      std::string text_message = fmt::format("unknown placeholder '{{{}}}' in the message", name);
      if (auto suggestion = util::closest_match(name, kPlaceholders)) {
        text_message += fmt::format("; did you mean '{{{}}}'?", *suggestion);
      }
      c.error(Code::unknown_placeholder, where, std::move(text_message));
    }
    i = close;
  }
}

// One `amend from D { require ... basis ... }`: the rule as that document states it, from
// D on. It keeps everything else of the rule (title, severity, channels, units).
struct Amended {
  model::Date from;
  const ast::Clause* clause = nullptr;
  model::Rule rule;
};

std::optional<Amended> read_amendment(Context& c, const ast::Block& block,
                                      const ast::Clause& clause, const model::Rule& written) {
  const ast::Amend* amend = amend_of(clause);
  if (!amend) return std::nullopt;
  const std::optional<model::Period> from = period_of(c, amend->from);
  const Clauses clauses = sort_amend_clauses(c, block, *amend);
  const ast::Clause* require = first(clauses, "require");
  if (!require) {
    c.error(Code::missing_clause, clause,
            fmt::format("this amend of rule '{}' has no require clause; state the target in "
                        "force from its date (`require ...`)",
                        block.name.text));
    return std::nullopt;
  }
  Amended out{.from = from ? from->first : model::Date{}, .clause = &clause, .rule = written};
  // The amendment's require is compiled in the rule's scope: without `for each` it applies
  // where the rule does.
  out.rule.amendments.clear();
  out.rule.indicators.clear();
  out.rule.sets.clear();
  out.rule.timing = model::Timing::none;
  out.rule.date = {};
  const std::size_t errors = c.diagnostics.error_count();
  const auto& require_ast = boost::get<ast::Require>(require->value.get());
  compile_require(c, require_ast, out.rule);
  if (c.diagnostics.error_count() == errors && !(out.rule.for_each == written.for_each)) {
    const std::string scope =
        written.for_each.none()
            ? std::string("the rule applies at the root unit; leave `for each` out")
            : fmt::format("leave `for each` out, or write `for each {}` as the rule does",
                          c.rules.scope_name(written.for_each));
    c.error(Code::invalid_value, *require_ast.for_each,
            fmt::format("an amend changes the target, not where it applies: {}", scope));
  }
  // Without its own basis an amendment rests on the rule's documents.
  if (first(clauses, "basis")) out.rule.basis = resolve_each(c, clauses, "basis", "plan");
  if (!from) return std::nullopt;
  return out;
}

// The rule's amendments, by date, into the rule set's versions; two on one date are an
// error.
void read_amendments(Context& c, const ast::Block& block, const Clauses& clauses,
                     model::Rule& out) {
  const auto it = clauses.find("amend");
  if (it == clauses.end()) return;
  std::vector<Amended> amended;
  for (const ast::Clause* clause : it->second) {
    if (auto version = read_amendment(c, block, *clause, out)) {
      amended.push_back(std::move(*version));
    }
  }
  std::stable_sort(amended.begin(), amended.end(),
                   [](const Amended& a, const Amended& b) { return a.from < b.from; });
  for (std::size_t i = 0; i < amended.size(); ++i) {
    if (i > 0 && amended[i].from == amended[i - 1].from) {
      Diagnostic& d = c.error(
          Code::duplicate_clause, *amended[i].clause,
          fmt::format("rule '{}' is amended twice from {}; one target is in force at a time",
                      out.name, model::to_string(amended[i].from)));
      Context::note(d, Context::at(*amended[i - 1].clause), "first amended here");
      continue;
    }
    model::Rule& version = amended[i].rule;
    version.version = static_cast<std::int32_t>(out.amendments.size() + 1);
    out.amendments.push_back({.from = amended[i].from,
                              .version = static_cast<Index>(c.rules.versions.size()),
                              .source = c.source_ref(*amended[i].clause)});
    c.rules.versions.push_back(std::move(version));
  }
}

}  // namespace

void fill_rule(Context& c, const ast::Block& block, const Clauses& clauses, model::Rule& out) {
  out.title = string_clause(clauses, "title");
  out.owner = string_clause(clauses, "owner");
  out.message = string_clause(clauses, "message");
  const ast::Clause* require = first(clauses, "require");
  if (!require) {
    c.error(Code::missing_clause, block.name,
            fmt::format("rule '{}' has no require clause", block.name.text));
  } else {
    compile_require(c, boost::get<ast::Require>(require->value.get()), out);
  }
  out.needs = resolve_each(c, clauses, "needs", "task");
  out.basis = resolve_each(c, clauses, "basis", "plan");
  if (const ast::Clause* severity = first(clauses, "severity")) read_severity(c, *severity, out);
  read_durations(c, clauses, require != nullptr, out);
  read_notify(c, clauses, out);
  out.labels = labels_of(clauses);
  if (const ast::Clause* message = first(clauses, "message")) {
    check_placeholders(c, strings_of(*message)->front());
  }
  read_amendments(c, block, clauses, out);
}

}  // namespace tiendo::dsl::checking

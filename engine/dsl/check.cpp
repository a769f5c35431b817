#include "dsl/check.hpp"

#include "dsl/check/context.hpp"

namespace tiendo::dsl {

namespace checking {

std::string_view Context::source_text(const ast::Node& node) const {
  const std::string& text = program.sources.file(node.file).text;
  return std::string_view(text).substr(node.begin, node.end - node.begin);
}

model::SourceRef Context::source_ref(const ast::Node& node) const {
  const LineColumn lc = program.sources.line_column(node.file, node.begin);
  return {program.sources.file(node.file).path, lc.line, lc.column};
}

Diagnostic& Context::error(Code code, const ast::Node& node, std::string message) {
  return diagnostics.error(code, at(node), std::move(message));
}

void Context::note(Diagnostic& diagnostic, Location where, std::string message) {
  diagnostic.notes.push_back(
      Diagnostic{Severity::note, diagnostic.code, where, std::move(message), {}});
}

namespace {

// The by-name lookups the evaluator and ingest use.
void build_indexes(model::RuleSet& rules) {
  for (std::size_t i = 0; i < rules.indicators.size(); ++i) {
    rules.indicator_index.emplace(rules.indicators[i].name, static_cast<Index>(i));
  }
  for (std::size_t i = 0; i < rules.tasks.size(); ++i) {
    rules.task_index.emplace(rules.tasks[i].name, static_cast<Index>(i));
  }
}

// The steps in order: names first (a block may name one declared further down), then
// every block from its clauses — the rules last, since their expressions take the units
// of measure, ranges and periods of the indicators, which may be declared below them or
// in a file they include —, the graph its links make, the report's labels across the
// rules, the tests against it all.
std::optional<model::RuleSet> run(Context& c) {
  declare_all(c);
  for (const bool rules : {false, true}) {
    for (const auto& [block, index] : c.blocks) {
      if ((block->kind == "rule") == rules) fill_block(c, *block, index);
    }
  }
  check_graph(c);
  check_report_labels(c);
  for (const ast::TestBlock* test : c.tests) check_test(c, *test);
  build_indexes(c.rules);
  // Parse errors count too: a rule set read from a broken file is not a rule set.
  if (c.diagnostics.has_errors()) return std::nullopt;
  return std::move(c.rules);
}

}  // namespace

}  // namespace checking

std::optional<model::RuleSet> check(Program& program) {
  checking::Context context(program);
  auto result = checking::run(context);
  program.diagnostics.sort();
  return result;
}

LoadedRuleSet load_rule_set(const std::vector<std::string>& paths, const LoadOptions& options) {
  LoadedRuleSet loaded{load(paths, options), std::nullopt};
  loaded.rule_set = check(loaded.program);
  return loaded;
}

}  // namespace tiendo::dsl

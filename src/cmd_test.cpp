// `tiendo test RULES... TESTS...`: run the rule set's tests and say which pass.
#include <fmt/format.h>

#include <cstdio>

#include "cli_support.hpp"
#include "commands.hpp"
#include "dsl/parse.hpp"
#include "eval/rule_tests.hpp"
#include "present/markup.hpp"
#include "present/reasons.hpp"
#include "terminal.hpp"

namespace tiendo::cli {

namespace {

struct TestOptions {
  std::vector<std::string> paths;
};

int run_tests(const TestOptions& options) {
  std::optional<model::RuleSet> rules = load_rules_reporting(dsl::with_test_files(options.paths));
  if (!rules) return 1;
  if (rules->tests.empty()) {
    std::fprintf(stderr, "tiendo test: no `test` blocks in the given files\n");
    return 1;
  }
  const bool color = use_color(ColorMode::automatic, stdout);
  const std::string green(color ? present::ansi_colour(present::Tone::green) : "");
  const std::string red(color ? present::ansi_colour(present::Tone::red) : "");
  const char* reset = color ? "\x1b[0m" : "";
  std::size_t passed = 0;
  std::size_t failed = 0;
  // A failed expectation says why the state came, as eval's table does.
  const eval::Explain explain = present::test_explanations(*rules, model::Language::en);
  for (const model::TestCase& test : rules->tests) {
    const eval::TestOutcome outcome = eval::run_test(*rules, test, explain);
    if (outcome.passed()) {
      ++passed;
      std::printf("%sPASS%s  %s\n", green.c_str(), reset, test.name.c_str());
      continue;
    }
    ++failed;
    std::printf("%sFAIL%s  %s  (%s:%u)\n", red.c_str(), reset, test.name.c_str(),
                test.source.file.c_str(), test.source.line);
    for (const eval::ExpectationOutcome& e : outcome.expectations) {
      if (e.passed) continue;
      std::printf("      %s:%u: %s\n", e.expectation->source.file.c_str(),
                  e.expectation->source.line, present::failure_text(*rules, e).c_str());
    }
  }
  std::printf("%zu passed, %zu failed\n", passed, failed);
  return failed ? 1 : 0;
}

}  // namespace

Action add_test_command(CLI::App& app) {
  auto options = std::make_shared<TestOptions>();
  CLI::App* command = app.add_subcommand(
      "test",
      "Run the rule tests (test blocks) of the given rule and test files (directories are "
      "searched for *.rules and *.tests)");
  command->add_option("paths", options->paths, "Rule files, test files or directories")->required();
  return [options] { return run_tests(*options); };
}

}  // namespace tiendo::cli

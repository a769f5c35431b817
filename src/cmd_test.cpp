// `tiendo test RULES... TESTS...`: run the rule set's tests and say which pass.
#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>

#include "cli_support.hpp"
#include "commands.hpp"
#include "eval/rule_tests.hpp"
#include "present/markup.hpp"
#include "present/reasons.hpp"
#include "terminal.hpp"

namespace tiendo::cli {

namespace {

struct TestOptions {
  std::vector<std::string> paths;
};

// The paths to load: each as given (a directory brings its *.rules), and a directory's
// *.tests files after them, in name order.
std::vector<std::string> with_test_files(const std::vector<std::string>& paths) {
  namespace fs = std::filesystem;
  std::vector<std::string> all = paths;
  for (const std::string& path : paths) {
    std::error_code ec;
    if (!fs::is_directory(path, ec)) continue;
    std::vector<std::string> found;
    for (auto it = fs::recursive_directory_iterator(path, ec);
         !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
      if (it->is_regular_file(ec) && it->path().extension() == ".tests") {
        found.push_back(it->path().string());
      }
    }
    // An unreadable directory is reported by the loader, which reads it for *.rules.
    std::sort(found.begin(), found.end());
    all.insert(all.end(), found.begin(), found.end());
  }
  return all;
}

int run_tests(const TestOptions& options) {
  std::optional<model::RuleSet> rules = load_rules_reporting(with_test_files(options.paths));
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
      const model::TestExpectation& x = *e.expectation;
      const std::string subject = x.task != model::kNone
                                      ? rules->tasks[static_cast<std::size_t>(x.task)].name
                                      : rules->rules[static_cast<std::size_t>(x.rule)].name;
      std::printf("      %s:%u: expect %s%s %s, got %s: %s\n", x.source.file.c_str(), x.source.line,
                  x.unit.empty() || x.task != model::kNone ? "" : (x.unit + " ").c_str(),
                  subject.c_str(), x.state.c_str(), e.actual.c_str(), e.explanation.c_str());
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

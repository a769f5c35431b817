// `tiendo check PATH...`: parse and check rule files, print located diagnostics.
#include <fmt/format.h>

#include <cstdio>
#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "dsl/check.hpp"
#include "terminal.hpp"

namespace tiendo::cli {

namespace {

std::string count_of(std::size_t n, std::string_view noun) {
  return fmt::format("{} {}{}", n, noun, n == 1 ? "" : "s");
}

struct CheckOptions {
  std::vector<std::string> paths;
  std::string format = "text";
  std::string color = "auto";
};

int run_check(const CheckOptions& options) {
  ColorMode color_mode;
  if (!parse_color_mode(options.color, color_mode)) {
    std::fprintf(stderr, "tiendo check: --color must be auto, always or never\n");
    return 2;
  }
  const dsl::LoadedRuleSet loaded = dsl::load_rule_set(options.paths);
  const dsl::Diagnostics& diagnostics = loaded.program.diagnostics;
  if (options.format == "json") {
    nlohmann::json out;
    out["files"] = nlohmann::json::array();
    for (std::size_t i = 0; i < loaded.program.sources.size(); ++i) {
      out["files"].push_back(loaded.program.sources.file(static_cast<std::uint32_t>(i)).path);
    }
    out["errors"] = diagnostics.error_count();
    out["warnings"] = diagnostics.warning_count();
    out["diagnostics"] = nlohmann::json::parse(dsl::to_json(diagnostics, loaded.program.sources));
    if (loaded.rule_set) {
      const model::RuleSet& rules = *loaded.rule_set;
      out["summary"] = {{"indicators", rules.indicators.size()}, {"rules", rules.rules.size()},
                        {"plans", rules.plans.size()},           {"tasks", rules.tasks.size()},
                        {"channels", rules.channels.size()},     {"tests", rules.tests.size()}};
    }
    std::fputs((out.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n").c_str(),
               stdout);
  } else {
    const bool color = use_color(color_mode, stdout);
    for (const dsl::Diagnostic& d : diagnostics.all()) {
      std::fputs(dsl::render(d, loaded.program.sources, {color}).c_str(), stdout);
    }
    std::string summary = count_of(loaded.program.sources.size(), "file");
    if (loaded.rule_set) {
      const model::RuleSet& rules = *loaded.rule_set;
      summary += fmt::format(
          ": {}, {}, {}, {}, {}, {}", count_of(rules.indicators.size(), "indicator"),
          count_of(rules.rules.size(), "rule"), count_of(rules.plans.size(), "plan"),
          count_of(rules.tasks.size(), "task"), count_of(rules.channels.size(), "channel"),
          count_of(rules.tests.size(), "test"));
    }
    summary += fmt::format("; {}, {}\n", count_of(diagnostics.error_count(), "error"),
                           count_of(diagnostics.warning_count(), "warning"));
    std::fputs(summary.c_str(), stdout);
  }
  return diagnostics.has_errors() ? 1 : 0;
}

}  // namespace

Action add_check_command(CLI::App& app) {
  auto options = std::make_shared<CheckOptions>();
  CLI::App* command = app.add_subcommand(
      "check", "Parse and check rule files (directories are searched for *.rules)");
  command->add_option("paths", options->paths, "Rule files or directories")->required();
  command->add_option("--format", options->format, "Output format")
      ->check(CLI::IsMember({"text", "json"}));
  command->add_option("--color", options->color, "Colour: auto, always or never")
      ->check(CLI::IsMember({"auto", "always", "never"}));
  return [options] { return run_check(*options); };
}

}  // namespace tiendo::cli

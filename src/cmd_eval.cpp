// `tiendo eval --db FILE --rules PATH [--at DATE]`: the state of every rule at every
// unit, and of every task, on a date.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cstdio>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "cli_support.hpp"
#include "commands.hpp"
#include "eval/evaluate.hpp"
#include "present/results.hpp"
#include "store/snapshot.hpp"
#include "terminal.hpp"
#include "util/text.hpp"

namespace tiendo::cli {

namespace {

struct EvalOptions {
  std::string db;
  std::vector<std::string> rules;
  std::optional<std::string> at;  // unset: today; set, even to "", it must be a date
  std::string time_zone = "Asia/Ho_Chi_Minh";
  std::string unit;
  std::string rule;
  std::string format = "table";
  std::string fail_on;
  std::string color = "auto";
  std::optional<std::string> known_at;
  std::string lang = "en";
};

std::set<std::string> split_states(const std::string& text) {
  std::set<std::string> states;
  std::stringstream in(text);
  std::string state;
  while (std::getline(in, state, ',')) {
    if (!state.empty()) states.insert(state);
  }
  return states;
}

int run_eval(const EvalOptions& options) {
  const std::optional<model::Date> at = evaluation_date("eval", options.at, options.time_zone);
  if (!at) return 2;
  const std::set<std::string> fail_on = split_states(options.fail_on);
  for (const std::string& state : fail_on) {
    const bool known = eval::parse_rule_state(state) ||
                       std::find(model::task_state_names().begin(), model::task_state_names().end(),
                                 state) != model::task_state_names().end();
    if (!known) {
      std::vector<std::string> names = model::rule_state_names();
      names.insert(names.end(), model::task_state_names().begin(), model::task_state_names().end());
      const std::optional<std::string> close = util::closest_match(state, names);
      std::fprintf(stderr, "tiendo eval: --fail-on: unknown state '%s'%s\n", state.c_str(),
                   close ? fmt::format("; did you mean '{}'?", *close).c_str()
                         : fmt::format("; the states are {}", fmt::join(names, ", ")).c_str());
      return 2;
    }
  }
  const std::optional<std::string> known_at =
      known_at_argument("eval", options.known_at, options.time_zone);
  if (!known_at) return 2;
  std::optional<EvaluationInputs> inputs = load_evaluation_inputs(
      "eval", options.rules, options.db, store::Database::Mode::read_only, *known_at);
  if (!inputs) return 1;
  const model::RuleSet* rules = &inputs->rules;
  if (!options.rule.empty() && rules->find_rule(options.rule) == model::kNone) {
    std::fprintf(stderr, "tiendo eval: --rule: the rule set has no rule '%s'\n",
                 options.rule.c_str());
    return 2;
  }
  const store::Snapshot& data = inputs->snapshot;
  if (!options.unit.empty() && data.find_unit(options.unit) < 0) {
    std::fprintf(stderr, "tiendo eval: --unit: the database has no unit '%s'\n",
                 options.unit.c_str());
    return 2;
  }
  const eval::Results results = eval::evaluate(*rules, data, *at, {.keep_used = false});

  present::Filter filter;
  filter.rule = options.rule;
  filter.unit = options.unit;
  ColorMode color_mode = ColorMode::automatic;
  parse_color_mode(options.color, color_mode);
  const model::Language language = options.lang == "vi" ? model::Language::vi : model::Language::en;
  if (options.format == "json") {
    std::puts(present::to_json(*rules, data, results, filter, language).c_str());
  } else {
    std::fputs(
        present::to_table(*rules, data, results, filter, use_color(color_mode, stdout), language)
            .c_str(),
        stdout);
  }
  for (const eval::RuleResult& r : results.rules) {
    if (present::selected(*rules, data, r, filter) &&
        fail_on.contains(std::string(to_string(r.state)))) {
      return 1;
    }
  }
  if (options.rule.empty() && options.unit.empty()) {
    for (const eval::TaskResult& t : results.tasks) {
      if (fail_on.contains(std::string(to_string(t.state)))) return 1;
    }
  }
  return 0;
}

}  // namespace

Action add_eval_command(CLI::App& app) {
  auto options = std::make_shared<EvalOptions>();
  CLI::App* command =
      app.add_subcommand("eval", "Evaluate every rule at every unit, and every task, on a date");
  command->add_option("--db", options->db, kDatabaseHelp)->required();
  command->add_option("--rules", options->rules, "A rule file or directory (repeatable)")
      ->required()
      ->allow_extra_args(false);
  command->add_option("--at", options->at, "The evaluation date (default: today)");
  command->add_option("--time-zone", options->time_zone,
                      "Time zone that decides today's date (default Asia/Ho_Chi_Minh)");
  command->add_option("--known-at", options->known_at, kKnownAtHelp);
  command->add_option("--unit", options->unit, "Only rows at this unit");
  command->add_option("--rule", options->rule, "Only this rule");
  command->add_option("--format", options->format, "Output format")
      ->check(CLI::IsMember({"table", "json"}));
  command->add_option("--fail-on", options->fail_on,
                      "Comma-separated states; exit 1 if any row is in one (e.g. missed,violated)");
  command->add_option("--color", options->color, "Colour: auto, always or never")
      ->check(CLI::IsMember({"auto", "always", "never"}));
  command
      ->add_option("--lang", options->lang,
                   "en (default) or vi: the table's headings, states, figures, dates and "
                   "reasons (and JSON's reasons) as Vietnamese documents write them")
      ->check(CLI::IsMember({"en", "vi"}));
  return [options] { return run_eval(*options); };
}

}  // namespace tiendo::cli

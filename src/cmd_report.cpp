// `tiendo report --db FILE --rules PATH [--at DATE] --format md|html|csv [--output FILE]`:
// the progress report for the people's committee, in Vietnamese.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "cli_support.hpp"
#include "commands.hpp"
#include "eval/evaluate.hpp"
#include "report/committee.hpp"
#include "store/snapshot.hpp"

namespace tiendo::cli {

namespace {

struct ReportOptions {
  std::string db;
  std::vector<std::string> rules;
  std::optional<std::string> at;  // unset: today; set, even to "", it must be a date
  std::string time_zone = "Asia/Ho_Chi_Minh";
  std::string format = "md";
  std::string output;
  std::optional<std::string> known_at;
};

int run_report(const ReportOptions& options) {
  const std::optional<model::Date> at = evaluation_date("report", options.at, options.time_zone);
  if (!at) return 2;
  const std::optional<std::string> known_at =
      known_at_argument("report", options.known_at, options.time_zone);
  if (!known_at) return 2;
  std::optional<EvaluationInputs> inputs = load_evaluation_inputs(
      "report", options.rules, options.db, store::Database::Mode::read_only, *known_at);
  if (!inputs) return 1;
  const model::RuleSet* rules = &inputs->rules;
  const store::Snapshot& data = inputs->snapshot;
  const eval::Results results = eval::evaluate(*rules, data, *at);

  std::string text;
  if (options.format == "html") {
    text = report::html(*rules, data, results);
  } else if (options.format == "csv") {
    text = report::csv(*rules, data, results);
  } else {
    text = report::markdown(*rules, data, results);
  }
  if (options.output.empty()) {
    std::fwrite(text.data(), 1, text.size(), stdout);
    return std::fflush(stdout) == 0 ? 0 : 1;
  }
  std::string error;
  if (!write_atomically(options.output, text, error)) {
    std::fprintf(stderr, "tiendo report: --output: %s\n", error.c_str());
    return 1;
  }
  return 0;
}

}  // namespace

Action add_report_command(CLI::App& app) {
  auto options = std::make_shared<ReportOptions>();
  CLI::App* command = app.add_subcommand(
      "report", "Write the progress report on every target and late task, in Vietnamese");
  command->add_option("--db", options->db, "SQLite database file")->required();
  command->add_option("--rules", options->rules, "A rule file or directory (repeatable)")
      ->required()
      ->allow_extra_args(false);
  command->add_option("--at", options->at, "The report date (default: today)");
  command->add_option("--time-zone", options->time_zone,
                      "Time zone that decides today's date (default Asia/Ho_Chi_Minh)");
  command->add_option("--known-at", options->known_at, kKnownAtHelp);
  command->add_option("--format", options->format, "md (default), html or csv")
      ->check(CLI::IsMember({"md", "html", "csv"}));
  command->add_option("--output", options->output,
                      "Write the report to this file (atomically) instead of standard output");
  return [options] { return run_report(*options); };
}

}  // namespace tiendo::cli

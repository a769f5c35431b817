// `tiendo ingest --db FILE [--rules PATH] INPUT...`: load units, observations and task
// statuses from CSV or JSON into the store, all or nothing.
#include <fmt/format.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <system_error>

#include "cli_support.hpp"
#include "commands.hpp"
#include "store/ingest.hpp"
#include "util/result.hpp"

namespace tiendo::cli {

namespace {

struct IngestOptions {
  std::string db;
  std::vector<std::string> rules;
  std::vector<std::string> inputs;
  std::string decimal = "auto";
  std::string percent_as;
  bool skip_bad = false;
  bool unchecked = false;
};

constexpr int kExitBadRowsSkipped = 3;
constexpr std::size_t kProgressThreshold = 8 * 1024 * 1024;
// An input is read whole before its rows are, which takes up to twice its size while
// the text grows. A million rows is some 50 MB; a file past this bound is another file
// than meant, or one to split, and is refused before any of it is read.
constexpr std::uintmax_t kMaxInputBytes = std::uintmax_t{1} << 30;

std::string plural(std::size_t n, std::string_view noun) {
  const bool sibilant = noun.ends_with('s') || noun.ends_with('x');
  return fmt::format("{} {}{}", n, noun, n == 1 ? "" : sibilant ? "es" : "s");
}

int run_ingest(const IngestOptions& options) {
  std::optional<model::RuleSet> rules;
  if (!options.rules.empty()) {
    rules = load_rules_reporting(options.rules);
    if (!rules) return 1;
  }
  std::vector<store::IngestInput> inputs;
  std::size_t total_bytes = 0;
  for (const std::string& path : options.inputs) {
    std::error_code size_error;
    if (path != "-" && std::filesystem::is_regular_file(path, size_error) &&
        std::filesystem::file_size(path, size_error) > kMaxInputBytes && !size_error) {
      std::fprintf(stderr, "%s: error: larger than 1 GiB, the most an input may be; split it\n",
                   path.c_str());
      return 1;
    }
    std::string error;
    auto text = read_input(path, error);
    if (!text) {
      std::fprintf(stderr, "%s: error: cannot read: %s\n", path.c_str(), error.c_str());
      return 1;
    }
    total_bytes += text->size();
    inputs.push_back({path == "-" ? "<stdin>" : path, std::move(*text)});
  }

  store::IngestOptions ingest_options;
  ingest_options.rules = rules ? &*rules : nullptr;
  // Without a rule set, observations and statuses would be stored with any name, unit
  // and value: only when asked to.
  if (!rules && !options.unchecked) ingest_options.accept = store::InputKinds::units;
  ingest_options.skip_bad = options.skip_bad;
  ingest_options.now = now_utc();
  if (options.decimal == "comma") ingest_options.numbers.decimal = store::DecimalMark::comma;
  if (options.decimal == "dot") ingest_options.numbers.decimal = store::DecimalMark::dot;
  if (options.percent_as == "points") ingest_options.numbers.percent_as = store::PercentAs::points;
  if (options.percent_as == "fraction") {
    ingest_options.numbers.percent_as = store::PercentAs::fraction;
  }
  const bool show_progress = ::isatty(STDERR_FILENO) == 1 && total_bytes >= kProgressThreshold;
  if (show_progress) {
    ingest_options.progress = [](std::size_t rows, std::size_t done, std::size_t total) {
      const double fraction = total ? static_cast<double>(done) / static_cast<double>(total) : 1;
      const int filled = static_cast<int>(fraction * 30);
      std::fprintf(stderr, "\r[%s%s] %3.0f%%  %zu rows", std::string(filled, '#').c_str(),
                   std::string(30 - filled, ' ').c_str(), fraction * 100, rows);
      std::fflush(stderr);
    };
  }

  TIENDO_ASSIGN_OR_ELSE(store::Database db, store::Database::open(options.db),
                        exit_on_error("ingest"));
  const auto started = std::chrono::steady_clock::now();
  auto result = store::ingest(db, inputs, ingest_options);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  if (show_progress) std::fputs("\r\x1b[K", stderr);
  TIENDO_ASSIGN_OR_ELSE(const store::IngestSummary summary, std::move(result),
                        exit_on_error("ingest", "nothing was written: "));
  for (const store::RowError& error : summary.errors) {
    if (error.line > 0) {
      std::fprintf(stderr, "%s:%u: %s\n", error.input.c_str(), error.line, error.message.c_str());
    } else {
      std::fprintf(stderr, "%s: %s\n", error.input.c_str(), error.message.c_str());
    }
  }
  if (summary.error_count > summary.errors.size()) {
    std::fprintf(stderr, "... and %zu more bad rows\n",
                 summary.error_count - summary.errors.size());
  }
  if (!summary.committed) {
    std::fprintf(stderr,
                 "nothing was written: %s; fix them, or use --skip-bad to write the good rows\n",
                 plural(summary.error_count, "bad row").c_str());
    return 1;
  }
  const double rate = seconds > 0 ? static_cast<double>(summary.rows) / seconds : 0;
  std::printf(
      "ingested %s from %s in %.2f s (%.0f rows/s): %s written (%zu unchanged), %s added (%zu "
      "unchanged), %s added (%zu unchanged)%s\n",
      plural(summary.rows, "row").c_str(), plural(inputs.size(), "input").c_str(), seconds, rate,
      plural(summary.units_written, "unit").c_str(), summary.units_unchanged,
      plural(summary.observations_added, "observation").c_str(), summary.observations_unchanged,
      plural(summary.statuses_added, "task status").c_str(), summary.statuses_unchanged,
      summary.error_count
          ? fmt::format("; {} skipped", plural(summary.error_count, "bad row")).c_str()
          : "");
  return summary.error_count ? kExitBadRowsSkipped : 0;
}

}  // namespace

Action add_ingest_command(CLI::App& app) {
  auto options = std::make_shared<IngestOptions>();
  CLI::App* command = app.add_subcommand(
      "ingest", "Load units, observations and task statuses from CSV or JSON (all or nothing)");
  command->add_option("--db", options->db, kDatabaseHelpCreated)->required();
  command
      ->add_option("--rules", options->rules,
                   "A rule file or directory (repeatable): check indicator, task and level names; "
                   "needed for observations and task statuses")
      ->allow_extra_args(false);
  command
      ->add_flag("--unchecked", options->unchecked,
                 "Without --rules, store observations and task statuses anyway, their names, "
                 "units and ranges unchecked")
      ->excludes("--rules");
  command->add_option("inputs", options->inputs, "CSV or JSON files; - reads standard input")
      ->required();
  command
      ->add_option("--decimal", options->decimal,
                   "How to read a dot before three digits: comma (1.234 is 1234) or dot")
      ->check(CLI::IsMember({"auto", "comma", "dot"}));
  command
      ->add_option("--percent-as", options->percent_as,
                   "How to read a bare number for a percent indicator: points (77.62) or "
                   "fraction (0.7762)")
      ->check(CLI::IsMember({"points", "fraction"}));
  command->add_flag("--skip-bad", options->skip_bad,
                    "Write the good rows, list the bad ones and exit 3");
  return [options] { return run_ingest(*options); };
}

}  // namespace tiendo::cli

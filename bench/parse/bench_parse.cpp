// Front-end throughput: `dsl::load_text` + `dsl::check` over a generated rule set.
//
//   bench_parse [--rules N] [--repeat R] [--seed S]     (defaults: 10000, 5, 20221231)
//   bench_parse --emit [--rules N] [--seed S]            writes the generated rules to stdout
//
// Prints the text's size, the best and median time of R runs on one thread, the
// throughput in MB/s (1 MB = 10^6 bytes) and the process's peak RSS. Figures only: a
// shared machine's timings are not pass/fail, so the only failure is a diagnostic.

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common.hpp"
#include "dsl/check.hpp"
#include "dsl/diagnostic.hpp"
#include "dsl/parse.hpp"
#include "generate.hpp"

namespace {

using Clock = std::chrono::steady_clock;

struct Options {
  std::size_t rules = 10000;
  std::size_t repeat = 5;
  std::uint64_t seed = 20221231;
  bool emit = false;
};

std::optional<Options> parse_arguments(int argc, char** argv) {
  Options options;
  CLI::App app{"bench_parse: parse+check throughput on a generated rule set"};
  app.add_flag("--emit", options.emit, "Print the generated rules text and stop");
  app.add_option("--rules", options.rules, "Rules to generate")->check(CLI::Range(1, 1000000000));
  app.add_option("--repeat", options.repeat, "Timed runs")->check(CLI::Range(1, 1000000000));
  app.add_option("--seed", options.seed, "Generator seed");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return std::nullopt;
  }
  return options;
}

double seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  const std::size_t n = values.size();
  return n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

}  // namespace

int main(int argc, char** argv) {
  namespace dsl = tiendo::dsl;
  const std::optional<Options> options = parse_arguments(argc, argv);
  if (!options) return 2;

  const std::string text = tiendo::bench::generate_rule_set({options->rules, options->seed});
  if (options->emit) {
    std::fwrite(text.data(), 1, text.size(), stdout);
    return 0;
  }
  const double mb = static_cast<double>(text.size()) / 1e6;
  std::printf("bytes:        %zu (%.2f MB, %.0f bytes per rule)\n", text.size(), mb,
              static_cast<double>(text.size()) / static_cast<double>(options->rules));
  // The generator aims at 1-2 MB per 10,000 rules, about a large province's rule set
  // scaled up; outside that the figures would not compare with earlier runs.
  const double per_rule = static_cast<double>(text.size()) / static_cast<double>(options->rules);
  if (per_rule < 100 || per_rule > 200) {
    std::fprintf(stderr, "error: the generator made %.0f bytes per rule; expected 100-200\n",
                 per_rule);
    return 1;
  }

  std::vector<double> totals;
  std::vector<double> loads;
  std::vector<double> checks;
  for (std::size_t run = 0; run < options->repeat; ++run) {
    std::string copy = text;  // load_text takes its text by value; copying is not timed
    const auto start = Clock::now();
    dsl::Program program = dsl::load_text("bench.rules", std::move(copy));
    const auto loaded = Clock::now();
    const std::optional<tiendo::model::RuleSet> rule_set = dsl::check(program);
    const auto checked = Clock::now();

    const dsl::Diagnostics& diagnostics = program.diagnostics;
    if (!rule_set || diagnostics.has_errors() || diagnostics.warning_count() > 0) {
      std::fprintf(stderr,
                   "error: the generated rule set has %zu errors and %zu warnings; first:\n",
                   diagnostics.error_count(), diagnostics.warning_count());
      const std::size_t shown = std::min<std::size_t>(diagnostics.all().size(), 10);
      for (std::size_t i = 0; i < shown; ++i) {
        std::fputs(dsl::render(diagnostics.all()[i], program.sources).c_str(), stderr);
      }
      return 1;
    }
    if (rule_set->rules.size() != options->rules) {
      std::fprintf(stderr, "error: checked %zu rules, generated %zu\n", rule_set->rules.size(),
                   options->rules);
      return 1;
    }
    if (run == 0) {
      std::printf("rules:        %zu (%zu indicators, %zu plans, %zu tasks, %zu channels)\n",
                  rule_set->rules.size(), rule_set->indicators.size(), rule_set->plans.size(),
                  rule_set->tasks.size(), rule_set->channels.size());
    }
    totals.push_back(seconds(checked - start));
    loads.push_back(seconds(loaded - start));
    checks.push_back(seconds(checked - loaded));
  }

  const double best = *std::min_element(totals.begin(), totals.end());
  const double middle = median(totals);
  std::printf("runs:         %zu, one thread, load_text + check\n", options->repeat);
  std::printf("best:         %.4f s  (load_text %.4f s, check %.4f s)\n", best,
              *std::min_element(loads.begin(), loads.end()),
              *std::min_element(checks.begin(), checks.end()));
  std::printf("median:       %.4f s  (load_text %.4f s, check %.4f s)\n", middle, median(loads),
              median(checks));
  std::printf("throughput:   %.1f MB/s best, %.1f MB/s median\n", mb / best, mb / middle);
  std::printf("peak RSS:     %.1f MB\n", tiendo::bench::peak_rss_mb());
  return 0;
}

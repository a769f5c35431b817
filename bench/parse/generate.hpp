// A synthetic rule set for benchmarks: valid, checkable, and shaped like a province's
// real rules (Vietnamese titles, every declaration kind, every function family).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace tiendo::bench {

struct GenerateOptions {
  std::size_t rules = 10000;
  // The same seed gives the same text with any compiler: the generator uses its own
  // random numbers, not <random>'s distributions, whose results are unspecified.
  std::uint64_t seed = 20221231;
};

// A rules file with `options.rules` rules, about 150 bytes per rule in all: levels;
// rules/10 indicators of each unit (percent, count, number); plans in `implements`
// chains; tasks whose `after` links go only to earlier tasks, due no earlier than them;
// channels; and rules mixing plain targets, `for each district`, aggregates, share,
// ratio, between, arithmetic and `needs`, with titles, labels and comments. It checks
// without errors or warnings.
std::string generate_rule_set(const GenerateOptions& options);

}  // namespace tiendo::bench

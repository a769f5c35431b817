// The rule set as the service keeps it: read from the configured files, checked with its
// tests before it may become a version (store/rule_versions), loaded from a version, and
// what the rule editor's requests need (a version with edited files, the diagnostics).
// Pure functions of their arguments but for read_rule_files, which reads the disk.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "dsl/parse.hpp"
#include "model/rule_set.hpp"
#include "store/rule_versions.hpp"

namespace tiendo::service {

// The files of the rule set at `paths` as the service reads them: each path (a directory
// brings its *.rules, then its *.tests, recursively), with every file they include, in
// load order. `errors`: the files that could not be read (then `files` is incomplete).
struct RuleFilesRead {
  std::vector<store::RuleFile> files;
  std::vector<std::string> errors;
};
RuleFilesRead read_rule_files(const std::vector<std::string>& paths);

struct RuleTestResult {
  std::string name;
  std::string file;
  std::uint32_t line = 0;
  bool passed = false;
  std::vector<std::string> failures;  // present::failure_text of each failed expectation
};

// A rule set's files checked: the parser's and checker's diagnostics, the rule set when
// there is no error, and the outcome of its tests when asked for.
struct CheckedRules {
  dsl::Program program;  // program.sources holds the files, in the order given
  std::optional<model::RuleSet> rules;
  std::vector<RuleTestResult> tests;
  // Why the files may not become the running version: each error as `tiendo check`
  // renders it, then each failed test; empty when they may.
  std::vector<std::string> refusals() const;
};
CheckedRules check_rule_files(const std::vector<store::RuleFile>& files, bool run_tests);

// `base` with the texts of `edits` put in by name; an error naming an edit whose file is
// not in `base` (a version holds the files it was made with; new files come from disk).
std::variant<std::vector<store::RuleFile>, std::string> with_edits(
    const std::vector<store::RuleFile>& base, const std::map<std::string, std::string>& edits);

// A unified diff (3 lines of context) from `before` to `after`, file by file ("--- a/name",
// "+++ b/name"); a file only in one of them is all removed or all added. Empty when equal.
std::string rule_files_diff(const std::vector<store::RuleFile>& before,
                            const std::vector<store::RuleFile>& after);

}  // namespace tiendo::service

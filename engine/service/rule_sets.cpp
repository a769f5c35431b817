#include "service/rule_sets.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <dtl/dtl.hpp>
#include <set>
#include <sstream>

#include "dsl/check.hpp"
#include "eval/rule_tests.hpp"
#include "present/reasons.hpp"

namespace tiendo::service {

RuleFilesRead read_rule_files(const std::vector<std::string>& paths) {
  RuleFilesRead read;
  const dsl::Program program = dsl::load(dsl::with_test_files(paths));
  for (const dsl::Diagnostic& d : program.diagnostics.all()) {
    if (d.code == dsl::Code::unreadable_file || d.code == dsl::Code::file_too_large) {
      std::string text = dsl::render(d, program.sources);
      while (!text.empty() && text.back() == '\n') text.pop_back();
      read.errors.push_back(std::move(text));
    }
  }
  for (std::uint32_t i = 0; i < program.sources.size(); ++i) {
    const dsl::SourceFile& file = program.sources.file(i);
    read.files.push_back({file.path, file.text});
  }
  return read;
}

std::vector<std::string> CheckedRules::refusals() const {
  std::vector<std::string> out;
  for (const dsl::Diagnostic& d : program.diagnostics.all()) {
    if (d.severity != dsl::Severity::error) continue;
    std::string text = dsl::render(d, program.sources);
    while (!text.empty() && text.back() == '\n') text.pop_back();
    out.push_back(std::move(text));
  }
  if (!rules && out.empty()) out.push_back("the rule set could not be loaded");
  for (const RuleTestResult& t : tests) {
    for (const std::string& failure : t.failures) {
      out.push_back(fmt::format("{}:{}: test \"{}\" fails: {}", t.file, t.line, t.name, failure));
    }
  }
  return out;
}

CheckedRules check_rule_files(const std::vector<store::RuleFile>& files, bool run_tests) {
  std::map<std::string, const std::string*> texts;
  std::vector<std::string> names;
  for (const store::RuleFile& f : files) {
    if (texts.emplace(f.name, &f.text).second) names.push_back(f.name);
  }
  dsl::LoadOptions options;
  // Only the version's files: an include of anything else is an error, never the disk.
  options.reader = [&texts](const std::string& path, std::string& error) {
    if (const auto found = texts.find(path); found != texts.end()) {
      return std::optional<std::string>(*found->second);
    }
    error = "not a file of this version of the rule set";
    return std::optional<std::string>();
  };
  CheckedRules checked;
  checked.program = dsl::load(names, options);
  checked.rules = dsl::check(checked.program);
  if (!run_tests || !checked.rules) return checked;
  const model::RuleSet& rules = *checked.rules;
  const eval::Explain explain = present::test_explanations(rules, model::Language::en);
  for (const model::TestCase& test : rules.tests) {
    const eval::TestOutcome outcome = eval::run_test(rules, test, explain);
    RuleTestResult result{test.name, test.source.file, test.source.line, outcome.passed(), {}};
    for (const eval::ExpectationOutcome& e : outcome.expectations) {
      if (!e.passed) result.failures.push_back(present::failure_text(rules, e));
    }
    checked.tests.push_back(std::move(result));
  }
  return checked;
}

std::variant<std::vector<store::RuleFile>, std::string> with_edits(
    const std::vector<store::RuleFile>& base, const std::map<std::string, std::string>& edits) {
  std::vector<store::RuleFile> files = base;
  for (const auto& edit : edits) {
    const std::string& name = edit.first;
    const std::string& text = edit.second;
    const auto found = std::find_if(files.begin(), files.end(),
                                    [&](const store::RuleFile& f) { return f.name == name; });
    if (found == files.end()) {
      return fmt::format(
          "'{}' is not a file of the rule set (a new file is added beside the others and read "
          "by a reload)",
          name);
    }
    found->text = text;
  }
  return files;
}

namespace {

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    lines.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return lines;
}

// One file's hunks, from dtl (Debian's libdtl-dev: the O(NP) algorithm of Wu, Manber and
// Myers), as `diff -u` prints them.
std::string file_diff(const std::string& name, const std::string* before,
                      const std::string* after) {
  const std::vector<std::string> a = before ? lines_of(*before) : std::vector<std::string>();
  const std::vector<std::string> b = after ? lines_of(*after) : std::vector<std::string>();
  dtl::Diff<std::string, std::vector<std::string>> diff(a, b);
  diff.onHuge();
  diff.compose();
  if (diff.getEditDistance() == 0) return {};
  diff.composeUnifiedHunks();
  std::ostringstream hunks;
  diff.printUnifiedFormat(hunks);
  // As git writes it: "a/" and "b/" before the path (an absolute one without its '/').
  const std::string path = name.starts_with('/') ? name.substr(1) : name;
  return fmt::format("--- {}\n+++ {}\n{}", before ? "a/" + path : std::string("/dev/null"),
                     after ? "b/" + path : std::string("/dev/null"), hunks.str());
}

}  // namespace

std::string rule_files_diff(const std::vector<store::RuleFile>& before,
                            const std::vector<store::RuleFile>& after) {
  std::string out;
  const auto find = [](const std::vector<store::RuleFile>& files, const std::string& name) {
    const auto it = std::find_if(files.begin(), files.end(),
                                 [&](const store::RuleFile& f) { return f.name == name; });
    return it == files.end() ? nullptr : &it->text;
  };
  std::set<std::string> done;
  for (const store::RuleFile& f : after) {
    done.insert(f.name);
    out += file_diff(f.name, find(before, f.name), &f.text);
  }
  for (const store::RuleFile& f : before) {
    if (!done.contains(f.name)) out += file_diff(f.name, &f.text, nullptr);
  }
  return out;
}

}  // namespace tiendo::service

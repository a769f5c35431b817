// End-to-end tests of `tiendo check` and `tiendo fmt` through the built binary, and the
// golden diagnostics of tests/golden/*.rules (exact output in *.expected beside each).
// The test only compares: after an intended change, ./scripts/update-golden rewrites the
// expectations, for review in the diff.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "run.hpp"

namespace tiendo::testing {
namespace {

namespace fs = std::filesystem;

const std::string kSource = TIENDO_SOURCE_DIR;

std::vector<std::string> golden_inputs() {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(kSource + "/tests/golden")) {
    if (entry.path().extension() == ".rules") names.push_back(entry.path().stem().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

class Golden : public ::testing::TestWithParam<std::string> {};

TEST_P(Golden, CheckPrintsExactlyTheExpectedDiagnostics) {
  const std::string name = GetParam();
  const RunResult run =
      run_tiendo("check --color never " + shell_quote(name + ".rules"), kSource + "/tests/golden");
  const std::string expected_path = kSource + "/tests/golden/" + name + ".expected";
  const std::string actual = run.out + "exit " + std::to_string(run.exit_code) + "\n";
  ASSERT_TRUE(fs::exists(expected_path))
      << "missing " << expected_path << " (./scripts/update-golden " << name << " writes it)";
  EXPECT_EQ(actual, read_text(expected_path))
      << "if the change is intended: ./scripts/update-golden " << name << ", and review the diff";
  EXPECT_EQ(run.err, "");
}

INSTANTIATE_TEST_SUITE_P(Diagnostics, Golden, ::testing::ValuesIn(golden_inputs()),
                         [](const ::testing::TestParamInfo<std::string>& param) {
                           return param.param;
                         });

TEST(CliCheck, ThreeMistakesGiveThreeLocatedErrors) {
  const RunResult run = run_tiendo("check three_mistakes.rules", kSource + "/tests/golden");
  EXPECT_EQ(run.exit_code, 1);
  std::size_t located = 0;
  for (std::size_t pos = 0; (pos = run.out.find("three_mistakes.rules:", pos)) != std::string::npos;
       ++pos) {
    ++located;
  }
  EXPECT_EQ(located, 3u) << run.out;
  EXPECT_NE(run.out.find("3 errors"), std::string::npos);
}

TEST(CliCheck, TheRepositoryRulesCheckCleanly) {
  const RunResult run = run_tiendo("check rules/", kSource);
  EXPECT_EQ(run.exit_code, 0) << run.out;
  EXPECT_NE(run.out.find("0 errors, 0 warnings"), std::string::npos) << run.out;
}

TEST(CliCheck, JsonListsDiagnosticsWithPositions) {
  const RunResult run =
      run_tiendo("check --format json three_mistakes.rules", kSource + "/tests/golden");
  EXPECT_EQ(run.exit_code, 1);
  const auto json = nlohmann::json::parse(run.out);
  EXPECT_EQ(json["errors"], 3);
  ASSERT_EQ(json["diagnostics"].size(), 3u);
  EXPECT_EQ(json["diagnostics"][0]["line"], 10);
  EXPECT_EQ(json["diagnostics"][0]["column"], 62);  // characters, not bytes
  EXPECT_EQ(json["diagnostics"][0]["code"], "E011");
  EXPECT_EQ(json["diagnostics"][0]["severity"], "error");
}

TEST(CliCheck, UsageErrorsExitTwo) {
  EXPECT_EQ(run_tiendo("check").exit_code, 2);
  EXPECT_EQ(run_tiendo("check --format yaml x.rules").exit_code, 2);
  EXPECT_EQ(run_tiendo("frobnicate").exit_code, 2);
  EXPECT_EQ(run_tiendo("").exit_code, 2);
}

TEST(CliCheck, AMissingFileIsAnErrorNotACrash) {
  const RunResult run = run_tiendo("check does-not-exist.rules");
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_NE(run.out.find("cannot read 'does-not-exist.rules'"), std::string::npos) << run.out;
}

TEST(CliCheck, DirectoriesAreSearchedForRuleFiles) {
  TempDir dir;
  fs::create_directories(dir.path() + "/a/b");
  write_text(dir.path() + "/a/one.rules", "indicator x { unit count }\n");
  write_text(dir.path() + "/a/b/two.rules", "rule r { require x >= 1 }\n");
  write_text(dir.path() + "/a/b/notes.txt", "not rules {\n");
  const RunResult run = run_tiendo("check a", dir.path());
  EXPECT_EQ(run.exit_code, 0) << run.out;
  EXPECT_NE(run.out.find("2 files"), std::string::npos) << run.out;
}

TEST(CliFmt, RewritesAndThenIsStable) {
  TempDir dir;
  const std::string file = dir.path() + "/x.rules";
  write_text(file,
             "# chỉ tiêu\nindicator x { title \"Tỷ lệ\"  unit percent }   # cuối dòng\n"
             "rule r {require x>=50% by 2022-12-31}\n");
  RunResult check = run_tiendo("fmt --check x.rules", dir.path());
  EXPECT_EQ(check.exit_code, 1);
  EXPECT_NE(check.out.find("x.rules: not formatted"), std::string::npos);

  const RunResult fmt = run_tiendo("fmt x.rules", dir.path());
  EXPECT_EQ(fmt.exit_code, 0) << fmt.err;
  const std::string formatted = read_text(file);
  EXPECT_NE(formatted.find("# chỉ tiêu"), std::string::npos) << formatted;
  EXPECT_NE(formatted.find("# cuối dòng"), std::string::npos) << formatted;
  EXPECT_NE(formatted.find("  require x >= 50% by 2022-12-31\n"), std::string::npos) << formatted;

  check = run_tiendo("fmt --check x.rules", dir.path());
  EXPECT_EQ(check.exit_code, 0) << check.out;
  EXPECT_EQ(run_tiendo("check x.rules", dir.path()).exit_code, 0);
}

TEST(CliFmt, RefusesAFileWithSyntaxErrorsAndLeavesItAlone) {
  TempDir dir;
  const std::string file = dir.path() + "/bad.rules";
  const std::string text = "rule r { require x >= }\n";
  write_text(file, text);
  const RunResult run = run_tiendo("fmt bad.rules", dir.path());
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_NE(run.err.find("bad.rules:1:23: error: expected an expression"), std::string::npos)
      << run.err;
  EXPECT_EQ(read_text(file), text);
}

TEST(CliFmt, ReadsStandardInput) {
  const RunResult run = run_tiendo("fmt -", ".", "indicator x {unit count}\n");
  EXPECT_EQ(run.exit_code, 0);
  EXPECT_EQ(run.out, "indicator x {\n  unit count\n}\n");
}

TEST(CliFmt, RepositoryRuleFilesAreFormatted) {
  const RunResult run = run_tiendo("fmt --check rules/dong-nai-2022.rules", kSource);
  EXPECT_EQ(run.exit_code, 0) << run.out << run.err;
}

}  // namespace
}  // namespace tiendo::testing

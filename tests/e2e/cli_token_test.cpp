// End-to-end: `tiendo token new|hash|check` through the binary. What `token new` prints
// is what the tokens file and the server's table accept; `token hash` agrees with it.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "run.hpp"
#include "service/tokens.hpp"

namespace tiendo::testing {
namespace {

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::size_t start = 0;
  while (start < text.size()) {
    const std::size_t end = text.find('\n', start);
    lines.push_back(text.substr(start, end == std::string::npos ? std::string::npos : end - start));
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return lines;
}

class CliToken : public ::testing::Test {
 protected:
  std::string tokens_file(const std::string& text) {
    const std::string path = dir_.path() + "/tokens";
    write_text(path, text);
    return path;
  }

  TempDir dir_;
};

TEST_F(CliToken, NewPrintsATokenAndItsLineWhichTheFileAndTheTableAccept) {
  const RunResult made = run_tiendo("token new --id ingest.bot --scope write");
  ASSERT_EQ(made.exit_code, 0) << made.err;
  const auto lines = lines_of(made.out);
  ASSERT_EQ(lines.size(), 2u) << made.out;
  const std::string& token = lines[0];
  EXPECT_TRUE(token.starts_with("tdo_")) << token;
  EXPECT_EQ(token.size(), 47u) << token;
  EXPECT_EQ(lines[1], "ingest.bot write " + service::token_hash_text(token));
  EXPECT_NE(made.err.find("shown this once"), std::string::npos) << made.err;
  EXPECT_NE(made.err.find("only its hash"), std::string::npos) << made.err;

  const std::string path = tokens_file("# API clients\n" + lines[1] + "\n");
  const RunResult check = run_tiendo("token check --tokens " + shell_quote(path));
  EXPECT_EQ(check.exit_code, 0) << check.err;
  EXPECT_EQ(check.out, path + ": 1 token\n");
  EXPECT_EQ(check.err, "");

  std::vector<service::ConfigError> errors;
  const auto table = service::TokenTable::load(path, errors);
  ASSERT_TRUE(table.has_value()) << (errors.empty() ? "" : errors.front().render());
  const service::Token* who = table->authenticate(token);
  ASSERT_NE(who, nullptr);
  EXPECT_EQ(who->id, "ingest.bot");
  EXPECT_EQ(who->scope, service::Scope::write);
  EXPECT_EQ(table->authenticate(lines[1]), nullptr);
}

TEST_F(CliToken, TwoNewTokensDiffer) {
  const RunResult a = run_tiendo("token new --id a --scope read");
  const RunResult b = run_tiendo("token new --id a --scope read");
  ASSERT_EQ(a.exit_code, 0) << a.err;
  ASSERT_EQ(b.exit_code, 0) << b.err;
  EXPECT_NE(lines_of(a.out).at(0), lines_of(b.out).at(0));
}

TEST_F(CliToken, HashOfStandardInputMatchesTheLineOfNew) {
  const RunResult made = run_tiendo("token new --id dashboard --scope read");
  ASSERT_EQ(made.exit_code, 0) << made.err;
  const auto lines = lines_of(made.out);
  ASSERT_EQ(lines.size(), 2u);
  for (const std::string& input : {lines[0] + "\n", lines[0] + "\r\n", lines[0]}) {
    const RunResult hashed = run_tiendo("token hash --id dashboard --scope read", ".", input);
    EXPECT_EQ(hashed.exit_code, 0) << hashed.err;
    EXPECT_EQ(hashed.out, lines[1] + "\n");
  }
  const RunResult abc = run_tiendo("token hash --id t --scope admin", ".", "abc\n");
  EXPECT_EQ(abc.exit_code, 0) << abc.err;
  EXPECT_EQ(abc.out,
            "t admin sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad\n");
}

TEST_F(CliToken, HashRefusesAnEmptyOrDoubtfulInput) {
  for (const char* input : {"", "\n", "\r\n"}) {
    const RunResult r = run_tiendo("token hash --id t --scope read", ".", input);
    EXPECT_EQ(r.exit_code, 2) << r.out;
    EXPECT_EQ(r.out, "");
    EXPECT_NE(r.err.find("no token on standard input"), std::string::npos) << r.err;
  }
  const RunResult two = run_tiendo("token hash --id t --scope read", ".", "tdo_a\ntdo_b\n");
  EXPECT_EQ(two.exit_code, 2);
  EXPECT_NE(two.err.find("more than one line"), std::string::npos) << two.err;
  const RunResult spaced = run_tiendo("token hash --id t --scope read", ".", "tdo_a \n");
  EXPECT_EQ(spaced.exit_code, 2);
  EXPECT_NE(spaced.err.find("space or tab"), std::string::npos) << spaced.err;
}

TEST_F(CliToken, ABadIdOrScopeIsAUsageError) {
  const std::vector<std::string> ids = {"'ci bot'", "ci/bot", "tdo_x",
                                        "''",       "'#ci'",  std::string(65, 'a')};
  for (const std::string& id : ids) {
    for (const char* command : {"new", "hash"}) {
      const RunResult r = run_tiendo(
          std::string("token ") + command + " --id " + id + " --scope read", ".", "tdo_x\n");
      EXPECT_EQ(r.exit_code, 2) << command << " " << id;
      EXPECT_EQ(r.out, "") << command << " " << id;
      EXPECT_NE(r.err.find("--id"), std::string::npos) << r.err;
    }
  }
  const RunResult scope = run_tiendo("token new --id ci --scope root");
  EXPECT_EQ(scope.exit_code, 2);
  EXPECT_EQ(scope.out, "");
  EXPECT_EQ(run_tiendo("token new --scope read").exit_code, 2);
  EXPECT_EQ(run_tiendo("token").exit_code, 2);
}

TEST_F(CliToken, CheckReportsEachBadLineAtItsPlace) {
  const std::string token = "tdo_pasted_by_mistake";
  const std::string path = tokens_file(
      "# clients\n"
      "ci read " +
      service::token_hash_text("tdo_a") +
      "\n"
      "\n"
      "bot root " +
      service::token_hash_text("tdo_b") +
      "\n"
      "ops admin " +
      token + "\n");
  const RunResult check = run_tiendo("token check --tokens " + shell_quote(path));
  EXPECT_EQ(check.exit_code, 1);
  EXPECT_EQ(check.out, "");
  EXPECT_EQ(check.err,
            path + ":4: error: unknown scope 'root'; the scopes are read, write and admin\n" +
                path +
                ":5: error: this line holds a token (it begins with tdo_): the tokens file "
                "holds hashes, not tokens; use `tiendo token hash`\n");
  EXPECT_EQ(check.err.find(token), std::string::npos);
}

TEST_F(CliToken, CheckOfAnEmptyFileOrAMissingOne) {
  const std::string empty = tokens_file("");
  const RunResult ok = run_tiendo("token check --tokens " + shell_quote(empty));
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_EQ(ok.out, empty + ": 0 tokens\n");

  const std::string absent = dir_.path() + "/absent";
  const RunResult missing = run_tiendo("token check --tokens " + shell_quote(absent));
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_EQ(missing.err,
            absent + ": error: cannot read the tokens file: No such file or directory\n");
}

}  // namespace
}  // namespace tiendo::testing

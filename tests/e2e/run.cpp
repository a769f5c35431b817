#include "run.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "store/records.hpp"
#include "support/test_store.hpp"

namespace tiendo::testing {

std::string shell_quote(const std::string& word) {
  std::string out = "'";
  for (char c : word) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

std::optional<std::vector<std::vector<std::string>>> csv_rows(std::string_view text) {
  struct Collect : store::RecordSink {
    std::vector<std::vector<std::string>> rows;
    bool failed = false;
    bool header(const std::vector<std::string>& names, std::uint32_t) override {
      rows.push_back(names);
      return true;
    }
    bool record(const std::vector<std::string_view>& fields, std::uint32_t) override {
      rows.emplace_back(fields.begin(), fields.end());
      return true;
    }
    void error(std::uint32_t, std::string) override { failed = true; }
  } sink;
  store::read_csv(text, sink);
  if (sink.failed) return std::nullopt;
  return std::move(sink.rows);
}

RunResult run_tiendo(const std::string& args, const std::string& directory,
                     const std::string& input) {
  TempDir scratch;
  const std::string in = scratch.path() + "/in";
  const std::string out = scratch.path() + "/out";
  const std::string err = scratch.path() + "/err";
  write_text(in, input);
  const std::string command = "cd " + shell_quote(directory) + " && NO_COLOR=1 " +
                              shell_quote(TIENDO_BINARY) + " " + args + " <" + shell_quote(in) +
                              " >" + shell_quote(out) + " 2>" + shell_quote(err);
  const int status = std::system(command.c_str());
  RunResult result;
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  result.out = read_text(out);
  result.err = read_text(err);
  return result;
}

RunResult ingest_examples(const std::string& db) {
  return run_tiendo("ingest --db " + shell_quote(db) +
                        " --rules rules examples/units.csv examples/observations-2022.csv "
                        "examples/community-teams.csv examples/task-status.json",
                    TIENDO_SOURCE_DIR);
}

void ExamplesDatabaseTest::SetUp() {
  db_ = test_store(dir_.path(), "examples.db");
  const RunResult ingest = ingest_examples(db_);
  ASSERT_EQ(ingest.exit_code, 0) << ingest.err;
}

RunResult ExamplesDatabaseTest::tiendo(const std::string& args) const {
  return run_tiendo(args + " --db " + shell_quote(db_), TIENDO_SOURCE_DIR);
}

}  // namespace tiendo::testing

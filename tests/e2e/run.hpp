// Runs the built `tiendo` binary for end-to-end tests.
#pragma once

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "support/temp_dir.hpp"  // TempDir, read_text and write_text, which every one uses

namespace tiendo::testing {

struct RunResult {
  int exit_code = -1;
  std::string out;  // standard output
  std::string err;  // standard error
};

// Runs `tiendo ARGS` (ARGS already shell-quoted) in `directory`, feeding `input` on
// standard input.
RunResult run_tiendo(const std::string& args, const std::string& directory = ".",
                     const std::string& input = "");

// `tiendo ingest` of every file in examples/ with rules/ into the database `db` (created
// when absent), as scripts/run-example does.
RunResult ingest_examples(const std::string& db);

// Single-quotes a word for the shell.
std::string shell_quote(const std::string& word);

// The header and records of a CSV text, read with the project's own RFC 4180 reader
// (store::read_csv); nullopt when the reader reports any problem.
std::optional<std::vector<std::vector<std::string>>> csv_rows(std::string_view text);

// A test with the examples ingested into a fresh database `db_` in `dir_`; `tiendo(args)`
// runs the binary on it from the repository's root.
class ExamplesDatabaseTest : public ::testing::Test {
 protected:
  void SetUp() override;
  RunResult tiendo(const std::string& args) const;

  TempDir dir_;
  std::string db_;
};

}  // namespace tiendo::testing

// Every code example of docs/language.md, run through the real `tiendo check`: a
// ```tiendo block must check without errors or warnings on its own; a ```tiendo-error
// block must fail, a ```tiendo-warning block must check with warnings, and the ```text
// block that follows either must be exactly what `tiendo check` prints.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "../e2e/run.hpp"

namespace {

namespace fs = std::filesystem;

struct Block {
  std::string info;  // the fence's info string: tiendo, tiendo-error, text, sh, ...
  std::string text;  // the lines between the fences, each ending with '\n'
  int line = 0;      // 1-based line of the opening fence in the .md
};

struct Document {
  std::vector<Block> blocks;
  std::vector<std::string> problems;  // malformed fences
};

fs::path doc_path() { return fs::path(TIENDO_SOURCE_DIR) / "docs" / "language.md"; }

Document read_blocks(const fs::path& path) {
  Document doc;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    doc.problems.push_back("cannot read " + path.string());
    return doc;
  }
  std::string line;
  int number = 0;
  bool inside = false;
  Block current;
  while (std::getline(in, line)) {
    ++number;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (!inside) {
      if (line.rfind("```", 0) == 0) {
        inside = true;
        current = Block{line.substr(3), "", number};
        while (!current.info.empty() && current.info.back() == ' ') current.info.pop_back();
      }
      continue;
    }
    if (line == "```") {
      inside = false;
      doc.blocks.push_back(current);
      continue;
    }
    current.text += line + "\n";
  }
  if (inside) {
    doc.problems.push_back("the block opened at line " + std::to_string(current.line) +
                           " is never closed");
  }
  return doc;
}

// The line right after the closing fence of `block`, skipping blank lines, is the
// opening fence of `next` (no prose in between).
bool follows_directly(const fs::path& path, const Block& block, const Block& next) {
  const int closing =
      block.line + 1 + static_cast<int>(std::count(block.text.begin(), block.text.end(), '\n'));
  std::ifstream in(path, std::ios::binary);
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    if (number <= closing) continue;
    if (number == next.line) return true;
    if (!line.empty() && line != "\r") return false;
  }
  return false;
}

// Writes `text` as example.rules in a fresh directory and runs `tiendo check` there.
// Standard error is appended to the output, so that anything printed there fails the
// exact comparison.
tiendo::testing::RunResult check_example(const std::string& text) {
  const tiendo::testing::TempDir dir;
  tiendo::testing::write_text(dir.path() + "/example.rules", text);
  tiendo::testing::RunResult run =
      tiendo::testing::run_tiendo("check --color never example.rules", dir.path());
  run.out += run.err;
  return run;
}

std::string where(const Block& block) { return "docs/language.md:" + std::to_string(block.line); }

class LanguageDoc : public ::testing::Test {
 protected:
  void SetUp() override {
    doc_ = read_blocks(doc_path());
    for (const std::string& problem : doc_.problems) ADD_FAILURE() << problem;
  }
  Document doc_;
};

TEST_F(LanguageDoc, HasEnoughExamples) {
  int valid = 0;
  int errors = 0;
  int warnings = 0;
  for (const Block& block : doc_.blocks) {
    valid += block.info == "tiendo";
    errors += block.info == "tiendo-error";
    warnings += block.info == "tiendo-warning";
  }
  EXPECT_GE(valid, 10) << "docs/language.md has too few ```tiendo examples";
  EXPECT_GE(errors, 4) << "docs/language.md has too few ```tiendo-error examples";
  EXPECT_GE(warnings, 2) << "docs/language.md has too few ```tiendo-warning examples";
}

TEST_F(LanguageDoc, ValidExamplesCheckWithoutErrors) {
  for (const Block& block : doc_.blocks) {
    if (block.info != "tiendo") continue;
    SCOPED_TRACE(where(block));
    const tiendo::testing::RunResult run = check_example(block.text);
    EXPECT_EQ(run.exit_code, 0) << where(block) << ": the example does not check:\n" << run.out;
    EXPECT_NE(run.out.find("; 0 errors, 0 warnings\n"), std::string::npos)
        << where(block)
        << ": expected \"0 errors, 0 warnings\" (show warnings in a ```tiendo-warning "
           "block) in:\n"
        << run.out;
  }
}

// Each block of `info` is followed directly by a ```text block that is exactly what
// `tiendo check` prints for it, and tiendo check exits with `exit_code`.
void expect_documented_output(const fs::path& path, const Document& doc, const std::string& info,
                              int exit_code) {
  for (std::size_t i = 0; i < doc.blocks.size(); ++i) {
    const Block& block = doc.blocks[i];
    if (block.info != info) continue;
    SCOPED_TRACE(where(block));
    if (i + 1 == doc.blocks.size() || doc.blocks[i + 1].info != "text" ||
        !follows_directly(path, block, doc.blocks[i + 1])) {
      ADD_FAILURE() << where(block) << ": a ```" << info
                    << " block must be followed directly by a ```text block with the output "
                       "of tiendo check";
      continue;
    }
    const Block& expected = doc.blocks[i + 1];
    const tiendo::testing::RunResult run = check_example(block.text);
    EXPECT_EQ(run.exit_code, exit_code)
        << where(block) << ": expected tiendo check to exit " << exit_code << ":\n"
        << run.out;
    EXPECT_EQ(run.out, expected.text)
        << where(block) << ": the output differs from the ```text block at " << where(expected);
  }
}

TEST_F(LanguageDoc, ErrorExamplesPrintTheDocumentedOutput) {
  expect_documented_output(doc_path(), doc_, "tiendo-error", 1);
}

// Warnings never fail the check (exit 0), and each example says which warnings it shows.
TEST_F(LanguageDoc, WarningExamplesPrintTheDocumentedOutput) {
  expect_documented_output(doc_path(), doc_, "tiendo-warning", 0);
  for (const Block& block : doc_.blocks) {
    if (block.info != "tiendo-warning") continue;
    const tiendo::testing::RunResult run = check_example(block.text);
    EXPECT_NE(run.out.find("; 0 errors, "), std::string::npos) << where(block) << run.out;
    EXPECT_EQ(run.out.find(", 0 warnings\n"), std::string::npos)
        << where(block) << ": a ```tiendo-warning example that warns of nothing:\n"
        << run.out;
  }
}

}  // namespace

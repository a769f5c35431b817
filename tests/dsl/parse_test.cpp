#include "dsl/parse.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

namespace tiendo::dsl {
namespace {

std::string read(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(Parse, LanguageContractExample) {
  const std::string md = read(std::string(TIENDO_SOURCE_DIR) + "/tests/data/LANGUAGE.md");
  const auto start = md.find("```\nlevels");
  ASSERT_NE(start, std::string::npos);
  const auto end = md.find("```", start + 3);
  Program program = load_text("contract.rules", md.substr(start + 4, end - start - 4));
  for (const auto& d : program.diagnostics.all()) ADD_FAILURE() << render(d, program.sources);
  ASSERT_EQ(program.files.size(), 1u);
  EXPECT_EQ(program.files[0].declarations.size(), 24u);
}

}  // namespace
}  // namespace tiendo::dsl

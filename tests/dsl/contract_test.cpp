// LANGUAGE.md is the contract: every example in it must parse and check as written.
// tests/data/LANGUAGE.md is a verbatim copy of ../shared/LANGUAGE.md (a clean clone has
// no shared/ beside it); the second test notices when the two drift apart.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>

#include "dsl/check.hpp"

namespace tiendo::dsl {
namespace {

std::string read(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<std::string> code_blocks(const std::string& markdown) {
  std::vector<std::string> blocks;
  std::size_t pos = 0;
  while ((pos = markdown.find("```\n", pos)) != std::string::npos) {
    const std::size_t start = pos + 4;
    const std::size_t end = markdown.find("```", start);
    if (end == std::string::npos) break;
    blocks.push_back(markdown.substr(start, end - start));
    pos = end + 3;
  }
  return blocks;
}

TEST(LanguageContract, EveryExampleChecksAsWritten) {
  const auto blocks = code_blocks(read(std::string(TIENDO_SOURCE_DIR) + "/tests/data/LANGUAGE.md"));
  // The declarations, the section on legal basis, amended targets, unit sets and
  // languages (below), and the rule test that uses the declarations.
  ASSERT_EQ(blocks.size(), 3u);
  std::map<std::string, std::string> files = {{"contract.rules", blocks[0]},
                                              {"contract.tests", blocks[2]}};
  LoadOptions options;
  options.reader = [&](const std::string& path, std::string& error) -> std::optional<std::string> {
    const auto it = files.find(path);
    if (it == files.end()) {
      error = "not in the contract";
      return std::nullopt;
    }
    return it->second;
  };
  LoadedRuleSet loaded = load_rule_set({"contract.rules", "contract.tests"}, options);
  for (const Diagnostic& d : loaded.program.diagnostics.all()) {
    ADD_FAILURE() << render(d, loaded.program.sources);
  }
  ASSERT_TRUE(loaded.rule_set.has_value());
  const model::RuleSet& rules = *loaded.rule_set;
  EXPECT_EQ(rules.indicators.size(), 8u);
  EXPECT_EQ(rules.plans.size(), 2u);
  EXPECT_EQ(rules.tasks.size(), 2u);
  EXPECT_EQ(rules.channels.size(), 3u);
  EXPECT_EQ(rules.rules.size(), 8u);
  ASSERT_EQ(rules.tests.size(), 1u);
  EXPECT_EQ(rules.tests[0].expectations.size(), 3u);
  EXPECT_EQ(model::to_string(rules.plans[1].issued.value()), "2022-08-05");  // 05/8/2022
  EXPECT_EQ(rules.channels[1].secret_env, "TIENDO_OPS_SECRET");
  EXPECT_FALSE(rules.channels[2].send_resolved);
  const model::Rule& teams = rules.rules[rules.find_rule("community_teams")];
  EXPECT_EQ(model::to_string(teams.date), "2022-09-30");  // Q3/2022 as a deadline
}

// The section "Legal basis, amended targets, unit sets, languages": its block extends
// the first, and the two together are one valid file (issues #12, #16).
TEST(LanguageContract, TheSectionOnBasisSetsAndLanguagesChecksWithTheFirstBlock) {
  const auto blocks = code_blocks(read(std::string(TIENDO_SOURCE_DIR) + "/tests/data/LANGUAGE.md"));
  ASSERT_EQ(blocks.size(), 3u);
  std::map<std::string, std::string> files = {{"contract.rules", blocks[0] + "\n" + blocks[1]},
                                              {"contract.tests", blocks[2]}};
  LoadOptions options;
  options.reader = [&](const std::string& path, std::string& error) -> std::optional<std::string> {
    const auto it = files.find(path);
    if (it == files.end()) {
      error = "not in the contract";
      return std::nullopt;
    }
    return it->second;
  };
  LoadedRuleSet loaded = load_rule_set({"contract.rules", "contract.tests"}, options);
  for (const Diagnostic& d : loaded.program.diagnostics.all()) {
    ADD_FAILURE() << render(d, loaded.program.sources);
  }
  ASSERT_TRUE(loaded.rule_set.has_value());
  const model::RuleSet& rules = *loaded.rule_set;

  // A second levels chain.
  const model::Level& agency = rules.levels[static_cast<std::size_t>(rules.find_level("agency"))];
  EXPECT_EQ(agency.chain, 1);
  EXPECT_EQ(agency.depth, 0);

  // Sets by ids and by a label.
  const model::UnitSet& pilot =
      rules.sets[static_cast<std::size_t>(rules.find_set("pilot_communes"))];
  EXPECT_EQ(pilot.units, (std::vector<std::string>{"long_phuoc", "binh_loi", "bao_hoa"}));
  const model::UnitSet& border =
      rules.sets[static_cast<std::size_t>(rules.find_set("border_communes"))];
  EXPECT_EQ(border.level, rules.find_level("commune"));
  EXPECT_EQ(border.label, "bien_gioi");

  // Basis and an amendment: the rule's own require before 15/10/2022, the amendment's from.
  const model::Index amended_index = rules.find_rule("online_dossier_amended");
  const model::Rule& amended = rules.rules[static_cast<std::size_t>(amended_index)];
  ASSERT_EQ(amended.basis.size(), 1u);
  EXPECT_EQ(rules.plans[static_cast<std::size_t>(amended.basis[0])].name, "KH177");
  EXPECT_EQ(model::to_string(amended.date), "2022-12-31");  // Quý IV/2022
  ASSERT_EQ(amended.amendments.size(), 1u);
  EXPECT_EQ(model::to_string(amended.amendments[0].from), "2022-10-15");
  const model::Rule& version = rules.version(amended_index, 1);
  EXPECT_EQ(version.version, 1);
  EXPECT_EQ(version.condition_text, "online_dossier_rate >= 30% by 31/12/2022");
  ASSERT_EQ(version.basis.size(), 1u);
  EXPECT_EQ(rules.plans[static_cast<std::size_t>(version.basis[0])].name, "QD2345");
  EXPECT_EQ(version.title, amended.title);
  EXPECT_EQ(rules.version_at(amended_index, *model::parse_iso_date("2022-10-14")), 0);
  EXPECT_EQ(rules.version_at(amended_index, *model::parse_iso_date("2022-10-15")), 1);

  // `for each SET`, `tháng 12/2022`, and a task that starts and warns.
  const model::Rule& pilot_teams =
      rules.rules[static_cast<std::size_t>(rules.find_rule("pilot_teams"))];
  EXPECT_TRUE(pilot_teams.for_each.is_set());
  EXPECT_EQ(model::to_string(pilot_teams.date), "2022-12-31");
  const model::Task& review =
      rules.tasks[static_cast<std::size_t>(rules.find_task("danh_gia_thi_diem"))];
  EXPECT_EQ(model::to_string(review.starts.value()), "2022-12-01");
  ASSERT_TRUE(review.warn_within.has_value());

  // A channel's language.
  const model::Channel& english =
      rules.channels[static_cast<std::size_t>(rules.find_channel("committee_en"))];
  EXPECT_EQ(english.language, model::Language::en);
  EXPECT_EQ(
      rules.channels[static_cast<std::size_t>(rules.find_channel("steering_committee"))].language,
      model::Language::vi);
}

TEST(LanguageContract, TheVendoredCopyMatchesShared) {
  const std::string shared = std::string(TIENDO_SOURCE_DIR) + "/../shared/LANGUAGE.md";
  if (!std::filesystem::exists(shared)) GTEST_SKIP() << "no ../shared beside this checkout";
  EXPECT_EQ(read(shared), read(std::string(TIENDO_SOURCE_DIR) + "/tests/data/LANGUAGE.md"))
      << "LANGUAGE.md changed: copy it to tests/data/ and make its examples pass";
}

}  // namespace
}  // namespace tiendo::dsl

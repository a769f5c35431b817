// End-to-end (issue #16, "what did we know on that date"): a figure corrected by a later
// ingest, and `eval`, `explain`, `report` and `backtest` asked what was known before the
// correction, through the binary and a real database.
#include <gtest/gtest.h>

#include <chrono>
#include <ctime>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "run.hpp"

namespace tiendo::testing {
namespace {

constexpr const char* kRules = R"(levels province
indicator online_dossier_rate { title "Tỷ lệ hồ sơ TTHC xử lý trực tuyến"  unit percent }
rule online_dossier {
  title "Tỷ lệ hồ sơ TTHC xử lý trực tuyến"
  require online_dossier_rate >= 50% by 2022-12-31
}
rule online_dossier_now { require online_dossier_rate >= 50% }
)";

constexpr const char* kUnits = "unit,name,level,parent,labels\ndong_nai,Tỉnh Đồng Nai,province,,\n";

std::string observations(const std::string& value) {
  return "indicator,unit,period,value,source,note\n"
         "online_dossier_rate,dong_nai,Quý III/2022," +
         value + ",BC 231/BC-UBND,\n";
}

// Today's date in Asia/Ho_Chi_Minh (UTC+7, no daylight saving), shifted by `days`.
std::string vietnam_day(int days) {
  const auto now =
      std::chrono::system_clock::now() + std::chrono::hours(7) + std::chrono::days(days);
  const std::chrono::year_month_day day{std::chrono::floor<std::chrono::days>(now)};
  char text[16];
  std::snprintf(text, sizeof text, "%04d-%02u-%02u", static_cast<int>(day.year()),
                static_cast<unsigned>(day.month()), static_cast<unsigned>(day.day()));
  return text;
}

class CliKnownAt : public ::testing::Test {
 protected:
  void SetUp() override {
    write_text(dir_.path() + "/k.rules", kRules);
    write_text(dir_.path() + "/units.csv", kUnits);
    write_text(dir_.path() + "/first.csv", observations("9.23%"));
    write_text(dir_.path() + "/corrected.csv", observations("60%"));
    RunResult ingest = tiendo("ingest --db k.db --rules k.rules units.csv first.csv");
    ASSERT_EQ(ingest.exit_code, 0) << ingest.err;
    const RunResult history = tiendo("history --db k.db online_dossier_rate --format json");
    ASSERT_EQ(history.exit_code, 0) << history.err;
    first_ingested_ = nlohmann::json::parse(history.out)[0]["ingested_at"];
    // Time stamps have whole seconds: the correction comes in a later one.
    std::this_thread::sleep_for(std::chrono::milliseconds(1100));
    ingest = tiendo("ingest --db k.db --rules k.rules corrected.csv");
    ASSERT_EQ(ingest.exit_code, 0) << ingest.err;
    const nlohmann::json revisions =
        nlohmann::json::parse(tiendo("history --db k.db online_dossier_rate --format json").out);
    ASSERT_EQ(revisions.size(), 2u);
    corrected_ingested_ = revisions[1]["ingested_at"];
    ASSERT_LT(first_ingested_, corrected_ingested_);
  }

  RunResult tiendo(const std::string& args) const { return run_tiendo(args, dir_.path()); }
  RunResult with_rules(const std::string& command) const {
    return tiendo(command + " --db k.db --rules k.rules");
  }
  std::string state_of(const std::string& args, const std::string& rule = "online_dossier") {
    const RunResult run = with_rules("eval --format json " + args);
    EXPECT_EQ(run.exit_code, 0) << run.err;
    const nlohmann::json out = nlohmann::json::parse(run.out, nullptr, false);
    if (!out.is_object()) return "unreadable: " + run.out;
    for (const auto& row : out["rules"]) {
      if (row["rule"] == rule) return row["state"];
    }
    return "absent";
  }

  TempDir dir_;
  std::string first_ingested_;
  std::string corrected_ingested_;
};

TEST_F(CliKnownAt, EvalUsesOnlyWhatWasIngestedByThen) {
  EXPECT_EQ(state_of("--at 2022-09-30"), "met");  // the corrected 60%
  EXPECT_EQ(state_of("--at 2022-09-30 --known-at " + first_ingested_), "at_risk");  // 9.23%
  EXPECT_EQ(state_of("--at 2022-09-30 --known-at " + corrected_ingested_), "met");
  // The same instant with an offset; and a time before anything was ingested.
  EXPECT_EQ(state_of("--at 2022-09-30 --known-at 2000-01-01T07:00:00+07:00"), "no_data");
  // A date stands for the end of that day in --time-zone: tomorrow knows everything.
  EXPECT_EQ(state_of("--at 2022-09-30 --known-at " + vietnam_day(1)), "met");
  EXPECT_EQ(state_of("--at 2022-09-30 --known-at " + vietnam_day(-1)), "no_data");
}

TEST_F(CliKnownAt, ExplainNamesTheRevisionUsedAndTheLaterOne) {
  RunResult run =
      with_rules("explain online_dossier --at 2022-09-30 --known-at " + first_ingested_);
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_NE(
      run.out.find("known at: " + first_ingested_ + " (only what was ingested by then counts)"),
      std::string::npos)
      << run.out;
  EXPECT_NE(run.out.find("later revisions, not known then:\n    online_dossier_rate dong_nai "
                         "2022-07-01..2022-09-30: revision 1 was used; revision 2, ingested " +
                         corrected_ingested_ + ", came later"),
            std::string::npos)
      << run.out;
  run = with_rules("explain online_dossier --at 2022-09-30 --format json --known-at " +
                   first_ingested_);
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const nlohmann::json out = nlohmann::json::parse(run.out);
  EXPECT_EQ(out["known_at"], first_ingested_);
  const nlohmann::json& observation = out["results"][0]["observations"][0];
  EXPECT_EQ(observation["revision"], 1);
  EXPECT_EQ(observation["latest_revision"], 2);
  EXPECT_EQ(observation["latest_ingested_at"], corrected_ingested_);
  // Without --known-at the latest revision is the one used, and no later one is named.
  run = with_rules("explain online_dossier --at 2022-09-30");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(run.out.find("later revisions"), std::string::npos) << run.out;
  EXPECT_EQ(run.out.find("known at"), std::string::npos) << run.out;
}

TEST_F(CliKnownAt, TheReportShowsTheFigureKnownThen) {
  RunResult run = with_rules("report --at 2022-09-30 --known-at " + first_ingested_);
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_NE(run.out.find("9,23%"), std::string::npos) << run.out;
  EXPECT_EQ(run.out.find("60%"), std::string::npos) << run.out;
  run = with_rules("report --at 2022-09-30");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_NE(run.out.find("60%"), std::string::npos) << run.out;
}

TEST_F(CliKnownAt, AnHonestBacktestKnowsEachDayOnlyWhatWasIngestedByItsEnd) {
  // Yesterday nothing had been ingested; today both revisions have.
  const std::string yesterday = vietnam_day(-1), today = vietnam_day(0);
  RunResult run = with_rules("backtest --from " + yesterday + " --to " + today +
                             " --step 1d --as-known --format json");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  nlohmann::json changes;
  for (const auto& entry : nlohmann::json::parse(run.out)) {
    if (entry["name"] == "online_dossier_now") changes = entry["changes"];
  }
  ASSERT_EQ(changes.size(), 2u) << run.out;
  EXPECT_EQ(changes[0]["since"], yesterday);
  EXPECT_EQ(changes[0]["state"], "no_data");
  EXPECT_EQ(changes[1]["since"], today);
  EXPECT_EQ(changes[1]["state"], "ok");
  // A plain backtest uses today's figures on every date.
  run = with_rules("backtest --from " + yesterday + " --to " + today + " --step 1d --format json");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  for (const auto& entry : nlohmann::json::parse(run.out)) {
    if (entry["name"] == "online_dossier_now") {
      EXPECT_EQ(entry["changes"].size(), 1u) << run.out;
    }
  }
  // --known-at fixes one time for every date.
  run = with_rules("backtest --from 2022-09-30 --to 2022-10-31 --known-at " + first_ingested_ +
                   " --format json");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  for (const auto& entry : nlohmann::json::parse(run.out)) {
    if (entry["name"] == "online_dossier") {
      EXPECT_EQ(entry["changes"][0]["state"], "at_risk");
    }
  }
}

// Issue #16: `history --lang vi` writes periods and numbers as the documents do; with
// the rule set, a percent indicator's values as percents.
TEST_F(CliKnownAt, HistoryInVietnamese) {
  RunResult run = tiendo("history --db k.db online_dossier_rate --lang vi --rules k.rules");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_NE(run.out.find("ĐƠN VỊ"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("Quý III/2022"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("9,23%"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("60%"), std::string::npos) << run.out;
  EXPECT_EQ(run.out.find("2022-07-01"), std::string::npos) << run.out;
  // Without the rules the unit is unknown: every digit, with a decimal comma.
  run = tiendo("history --db k.db online_dossier_rate --lang vi");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_NE(run.out.find("0,0923"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("0,6"), std::string::npos) << run.out;
  // English stays the technical view; with the rules a percent is a percent.
  run = tiendo("history --db k.db online_dossier_rate");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_NE(run.out.find("2022-07-01..2022-09-30"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("0.0923"), std::string::npos) << run.out;
  run = tiendo("history --db k.db online_dossier_rate --rules k.rules");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_NE(run.out.find("9.23%"), std::string::npos) << run.out;
  run = tiendo("history --db k.db smartphone_rate --rules k.rules");
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_NE(run.err.find("the rule set declares no indicator 'smartphone_rate'"), std::string::npos)
      << run.err;
}

TEST_F(CliKnownAt, ABadTimeIsAUsageErrorThatSaysWhy) {
  RunResult run = with_rules("eval --at 2022-09-30 --known-at soon");
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_NE(run.err.find("tiendo eval: --known-at: "), std::string::npos) << run.err;
  EXPECT_NE(run.err.find("or give a time, such as 2022-10-01T08:30:00+07:00"), std::string::npos)
      << run.err;
  run = with_rules("report --known-at 2022-10-01T25:00:00Z");
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_NE(run.err.find("tiendo report: --known-at: '2022-10-01T25:00:00Z' is not an RFC 3339 "
                         "time"),
            std::string::npos)
      << run.err;
  run = with_rules("explain online_dossier --known-at 2022-10-01T00:00:00+7");
  EXPECT_EQ(run.exit_code, 2) << run.err;
  run = with_rules("backtest --from 2022-01-31 --to 2022-03-31 --as-known --known-at 2022-10-01");
  EXPECT_NE(run.exit_code, 0);
  EXPECT_NE(run.err.find("excludes"), std::string::npos) << run.err;
}

}  // namespace
}  // namespace tiendo::testing

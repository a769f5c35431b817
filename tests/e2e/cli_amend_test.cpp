// End-to-end (issue #16): a target a later document amends, through the binary and a real
// database — which version applied in `eval`, the history in `explain` and the report,
// the change in `backtest`, and an alert that says its target changed.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "run.hpp"

namespace tiendo::testing {
namespace {

constexpr const char* kRules = R"(levels province
indicator online_dossier_rate { title "Tỷ lệ hồ sơ TTHC xử lý trực tuyến"  unit percent }

plan KH177 { title "Kế hoạch triển khai Nghị quyết số 05-NQ/TU"  code "177/KH-UBND"  issued 05/8/2022 }
plan QD2345 { title "Quyết định điều chỉnh chỉ tiêu"  code "2345/QĐ-UBND"  issued 10/10/2022 }

channel default { email "bcd.cds@dongnai.gov.vn" }
channel partner { email "partner@example.org"  language en }

rule online_dossier {
  title "Tỷ lệ hồ sơ TTHC xử lý trực tuyến"
  require online_dossier_rate >= 50% by Quý IV/2022
  basis KH177
  notify default, partner
  amend from 15/10/2022 {
    require online_dossier_rate >= 30% by 31/12/2022
    basis QD2345
  }
}
)";

constexpr const char* kUnits = "unit,name,level,parent,labels\ndong_nai,Tỉnh Đồng Nai,province,,\n";
constexpr const char* kObservations =
    "indicator,unit,period,value,source,note\n"
    "online_dossier_rate,dong_nai,Quý III/2022,35%,BC 231/BC-UBND,\n";

class CliAmend : public ::testing::Test {
 protected:
  void SetUp() override {
    write_text(dir_.path() + "/amend.rules", kRules);
    write_text(dir_.path() + "/units.csv", kUnits);
    write_text(dir_.path() + "/observations.csv", kObservations);
    const RunResult ingest =
        tiendo("ingest --db amend.db --rules amend.rules units.csv observations.csv");
    ASSERT_EQ(ingest.exit_code, 0) << ingest.err;
  }

  RunResult tiendo(const std::string& args) const { return run_tiendo(args, dir_.path()); }
  RunResult with_rules(const std::string& command) const {
    return tiendo(command + " --db amend.db --rules amend.rules");
  }

  TempDir dir_;
};

TEST_F(CliAmend, EvalSaysWhichVersionApplied) {
  const auto row_at = [&](const std::string& at) {
    const RunResult run = with_rules("eval --format json --at " + at);
    EXPECT_EQ(run.exit_code, 0) << run.err;
    const nlohmann::json out = nlohmann::json::parse(run.out, nullptr, false);
    EXPECT_TRUE(out.is_object()) << run.out;
    return out.is_object() && out["rules"].size() == 1 ? out["rules"][0] : nlohmann::json();
  };
  // The day before the amendment: the plan's 50%, which 35% does not reach.
  const nlohmann::json before = row_at("2022-10-14");
  EXPECT_EQ(before["state"], "at_risk") << before.dump();
  EXPECT_DOUBLE_EQ(before["target"].get<double>(), 0.5);
  EXPECT_EQ(before["version"]["index"], 0);
  EXPECT_TRUE(before["version"]["in_force_from"].is_null());
  EXPECT_EQ(before["basis"], nlohmann::json({"KH177"}));
  // From the amendment's date: the decision's 30%, met.
  const nlohmann::json after = row_at("15/10/2022");
  EXPECT_EQ(after["state"], "met") << after.dump();
  EXPECT_DOUBLE_EQ(after["target"].get<double>(), 0.3);
  EXPECT_EQ(after["version"]["index"], 1);
  EXPECT_EQ(after["version"]["in_force_from"], "2022-10-15");
  EXPECT_EQ(after["version"]["condition"], "online_dossier_rate >= 30% by 31/12/2022");
  EXPECT_EQ(after["version"]["source"], "amend.rules:15");
  EXPECT_EQ(after["basis"], nlohmann::json({"QD2345"}));
  EXPECT_EQ(after["history"],
            "50% under 177/KH-UBND; amended to 30% from 2022-10-15 under 2345/QĐ-UBND");
}

TEST_F(CliAmend, ExplainShowsTheHistoryAndTheVersionInForce) {
  RunResult run = with_rules("explain online_dossier --at 2022-11-30");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_NE(run.out.find("target history: 50% under 177/KH-UBND; amended to 30% from 2022-10-15 "
                         "under 2345/QĐ-UBND\n"),
            std::string::npos)
      << run.out;
  EXPECT_NE(run.out.find("in force on 2022-11-30: the amendment from 2022-10-15 (amend.rules:15): "
                         "online_dossier_rate >= 30% by 31/12/2022\n"),
            std::string::npos)
      << run.out;
  EXPECT_NE(run.out.find("basis: Quyết định 2345/QĐ-UBND ngày 10/10/2022 (QD2345)"),
            std::string::npos)
      << run.out;
  EXPECT_NE(run.out.find("requirement: >= 30% by 2022-12-31"), std::string::npos) << run.out;

  run = with_rules("explain online_dossier --at 2022-09-30 --format json");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const nlohmann::json out = nlohmann::json::parse(run.out, nullptr, false);
  ASSERT_TRUE(out.is_object()) << run.out;
  EXPECT_EQ(out["version"]["index"], 0);
  EXPECT_EQ(out["condition"], "online_dossier_rate >= 50% by Quý IV/2022");
  EXPECT_EQ(out["basis"][0]["plan"], "KH177");
  EXPECT_EQ(out["version"]["history"],
            "50% under 177/KH-UBND; amended to 30% from 2022-10-15 under 2345/QĐ-UBND");
}

TEST_F(CliAmend, TheReportShowsTheTargetInForceAndItsHistory) {
  const std::string history =
      "50% theo 177/KH-UBND; điều chỉnh còn 30% từ 15/10/2022 theo 2345/QĐ-UBND";
  RunResult run = with_rules("report --at 2022-11-30");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_NE(run.out.find("Căn cứ: Quyết định 2345/QĐ-UBND ngày 10/10/2022; chỉ tiêu: " + history),
            std::string::npos)
      << run.out;
  EXPECT_NE(run.out.find("≥ 30%"), std::string::npos) << run.out;
  EXPECT_EQ(run.out.find("≥ 50%"), std::string::npos) << run.out;

  run = with_rules("report --at 2022-11-30 --format html");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_NE(run.out.find("<div class=\"muted\">Chỉ tiêu: " + history + "</div>"), std::string::npos)
      << run.out;

  run = with_rules("report --at 2022-09-30 --format csv");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const auto rows = csv_rows(run.out.substr(3));
  ASSERT_TRUE(rows.has_value()) << run.out;
  ASSERT_EQ(rows->size(), 2u);
  EXPECT_EQ((*rows)[0].back(), "dieu_chinh");
  EXPECT_EQ((*rows)[1].back(), history);
  EXPECT_EQ((*rows)[1][4], "≥ 50%");  // before the amendment, the plan's target
  EXPECT_EQ((*rows)[1][9], "Kế hoạch 177/KH-UBND ngày 05/8/2022");
}

TEST_F(CliAmend, BacktestAcrossTheDateShowsTheChange) {
  RunResult run = with_rules("backtest --from 2022-09-30 --to 2022-11-30 --step 1m --format json");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const nlohmann::json out = nlohmann::json::parse(run.out, nullptr, false);
  ASSERT_TRUE(out.is_array()) << run.out;
  nlohmann::json changes;
  for (const auto& entry : out) {
    if (entry["name"] == "online_dossier") changes = entry["changes"];
  }
  ASSERT_EQ(changes.size(), 2u) << out.dump();
  EXPECT_EQ(changes[0]["since"], "2022-09-30");
  EXPECT_EQ(changes[0]["state"], "at_risk");
  EXPECT_EQ(changes[0]["target"], "50% (as written)");
  EXPECT_EQ(changes[1]["since"], "2022-10-30");
  EXPECT_EQ(changes[1]["state"], "met");
  EXPECT_EQ(changes[1]["target"], "30% (amend from 2022-10-15)");

  run = with_rules("backtest --from 2022-09-30 --to 2022-11-30 --step 1m");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_NE(run.out.find("at_risk since 2022-09-30, target 50% (as written); met since "
                         "2022-10-30, target 30% (amend from 2022-10-15)"),
            std::string::npos)
      << run.out;
}

TEST_F(CliAmend, AnAlertWhoseTargetChangedSaysSo) {
  const RunResult first = with_rules("run --at 2022-10-14 --format json");
  ASSERT_EQ(first.exit_code, 0) << first.err;
  // The state changes only because the target did: the resolution says so.
  const RunResult next = with_rules("run --at 2022-10-15 --dry-run");
  ASSERT_EQ(next.exit_code, 0) << next.err;
  EXPECT_NE(next.out.find("đã khắc phục"), std::string::npos) << next.out;
  EXPECT_NE(next.out.find("Chỉ tiêu điều chỉnh: 50% → 30% từ 15/10/2022 theo 2345/QĐ-UBND"),
            std::string::npos)
      << next.out;
  // The English channel says it in English, every word (issue #16, one language per
  // reader); the Vietnamese one in Vietnamese.
  const std::size_t english = next.out.find("== partner");
  ASSERT_NE(english, std::string::npos) << next.out;
  const std::string partner = next.out.substr(english);
  EXPECT_NE(partner.find("Subject: [tiendo] 2022-10-15: 1 resolved"), std::string::npos) << partner;
  EXPECT_NE(partner.find("Target amended: 50% → 30% from 2022-10-15 under 2345/QĐ-UBND"),
            std::string::npos)
      << partner;
  EXPECT_NE(partner.find("Basis: Decision 2345/QĐ-UBND of 2022-10-10"), std::string::npos)
      << partner;
  EXPECT_EQ(partner.find("Chỉ tiêu"), std::string::npos) << partner;
  // Without a change of target the message does not claim one.
  EXPECT_EQ(first.out.find("điều chỉnh"), std::string::npos);
  const RunResult same = with_rules("run --at 2022-10-14 --dry-run");
  ASSERT_EQ(same.exit_code, 0) << same.err;
  EXPECT_EQ(same.out.find("Chỉ tiêu điều chỉnh"), std::string::npos) << same.out;
}

}  // namespace
}  // namespace tiendo::testing

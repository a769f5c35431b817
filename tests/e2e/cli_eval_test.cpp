// End-to-end: the examples loaded into a real database and evaluated on the report's
// date through the binary, against our own table of the state of every rule; the rule
// tests of rules/ through `tiendo test`.
#include <gtest/gtest.h>

#include <map>
#include <nlohmann/json.hpp>

#include "run.hpp"
#include "support/test_store.hpp"

namespace tiendo::testing {
namespace {

const std::string kSource = TIENDO_SOURCE_DIR;

class CliEval : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = test_store(dir_.path(), "examples.db");
    const RunResult ingest = ingest_examples(db_);
    ASSERT_EQ(ingest.exit_code, 0) << ingest.err;
  }

  RunResult eval(const std::string& args) {
    return run_tiendo("eval --db " + shell_quote(db_) + " --rules rules " + args, kSource);
  }

  TempDir dir_;
  std::string db_;
};

TEST_F(CliEval, EveryRuleOnTheReportsDateHasTheExpectedState) {
  const RunResult run = eval("--at 2022-09-30 --format json");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const auto json = nlohmann::json::parse(run.out);
  EXPECT_EQ(json["at"], "2022-09-30");
  // Worked out by hand from examples/ and rules/ (see examples/README.md).
  const std::map<std::string, std::string> expected = {
      {"smartphone_2022@dong_nai", "on_track"},       // 80.1, 81.9, 83.5: 85.2% projected
      {"fiber_2022@dong_nai", "met"},                 // 99% >= 75%
      {"online_service_2022@dong_nai", "on_track"},   // 392/505 rising fast enough
      {"online_dossier_2022@dong_nai", "at_risk"},    // 9.23% of 50%
      {"digitization_province@dong_nai", "no_data"},  // no figure in the report
      {"online_report_2022@dong_nai", "at_risk"},     // 30% of 50%
      {"open_data_2022@dong_nai", "blocked"},         // the portal waits for the warehouse
      {"sme_platform_2022@dong_nai", "met"},
      {"e_invoice_2022@dong_nai", "met"},
      {"e_contract_2022@dong_nai", "no_data"},
      {"ecommerce_share_2022@dong_nai", "no_data"},
      {"bank_account_2022@dong_nai", "met"},
      {"community_teams_q3@dong_nai", "at_risk"},  // 33 of 36 communes
      // The 03 pilot communes (set xa_thi_diem), each with its team (illustrative).
      {"to_cnscd_xa_thi_diem@bao_hoa", "met"},
      {"to_cnscd_xa_thi_diem@binh_loi", "met"},
      {"to_cnscd_xa_thi_diem@long_phuoc", "met"},
  };
  std::map<std::string, std::string> actual;
  std::size_t districts = 0;
  for (const auto& row : json["rules"]) {
    if (row["rule"] == "digitization_district") {
      ++districts;
      EXPECT_EQ(row["state"], "not_yet") << row.dump();  // from 2022-12-01
      continue;
    }
    actual[row["rule"].get<std::string>() + "@" + row["unit"].get<std::string>()] = row["state"];
  }
  EXPECT_EQ(actual, expected);
  EXPECT_EQ(districts, 11u);

  for (const auto& row : json["rules"]) {
    if (row["rule"] == "open_data_2022") {
      EXPECT_EQ(row["blocking_task"], "cong_du_lieu_mo");
      EXPECT_EQ(row["chain"], nlohmann::json::array({"kho_csdl_dung_chung"}));
    }
    if (row["rule"] == "community_teams_q3") {
      EXPECT_NEAR(row["value"].get<double>(), 33.0 / 36.0, 1e-9);
      // The three communes without a team, by id and name (issue #12).
      const nlohmann::json& coverage = row["coverage"];
      EXPECT_EQ(coverage["level"], "commune") << row.dump();
      EXPECT_EQ(coverage["counted"], 33);
      EXPECT_EQ(coverage["total"], 36);
      ASSERT_EQ(coverage["failing"].size(), 3u) << row.dump();
      EXPECT_EQ(coverage["failing"][0],
                nlohmann::json({{"unit", "gia_canh"}, {"name", "Xã Gia Canh"}}));
      EXPECT_TRUE(coverage["no_data"].empty());
    } else if (row["rule"] == "open_data_2022") {
      // Row II.5 counts the agencies (the second `levels` chain); the report has no
      // agency's figure, so all eight are without data.
      const nlohmann::json& coverage = row["coverage"];
      EXPECT_EQ(coverage["level"], "agency") << row.dump();
      EXPECT_EQ(coverage["total"], 8);
      EXPECT_EQ(coverage["no_data"].size(), 8u);
      EXPECT_TRUE(coverage["failing"].empty());
    } else {
      EXPECT_FALSE(row.contains("coverage")) << row.dump();
    }
  }
  // Issue #16: a row names the plans its target rests on.
  for (const auto& row : json["rules"]) {
    if (row["rule"] == "community_teams_q3") {
      EXPECT_EQ(row["basis"], nlohmann::json({"KH130"}));
    }
  }
  // The `for each` rule over the pilot set is summed up, all three meeting it.
  ASSERT_EQ(json["summaries"].size(), 2u) << json["summaries"].dump();
  EXPECT_EQ(json["summaries"][0]["rule"], "digitization_district");
  EXPECT_EQ(json["summaries"][0]["total"], 11);
  EXPECT_EQ(json["summaries"][1]["rule"], "to_cnscd_xa_thi_diem");
  EXPECT_EQ(json["summaries"][1]["set"], true);
  EXPECT_EQ(json["summaries"][1]["counted"], 3);
  EXPECT_EQ(json["summaries"][1]["total"], 3);
}

TEST_F(CliEval, FailOnTurnsStatesIntoAnExitCode) {
  EXPECT_EQ(eval("--at 2022-09-30 --fail-on missed,violated").exit_code, 0);
  EXPECT_EQ(eval("--at 2022-09-30 --fail-on at_risk").exit_code, 1);
  EXPECT_EQ(eval("--at 2023-01-15 --fail-on missed").exit_code, 1);  // Q3 data not yet stale
  // 120 days after the Q3 figures they are stale, but past the deadline a verdict is
  // never hidden by stale data: missed, and nothing is merely stale.
  EXPECT_EQ(eval("--at 2023-01-31 --fail-on missed").exit_code, 1);
  EXPECT_EQ(eval("--at 2023-01-31 --fail-on stale").exit_code, 0);
  EXPECT_EQ(eval("--at 2022-09-30 --fail-on bogus").exit_code, 2);
  // A misspelt state is named with the one meant (issue #12).
  const RunResult misspelt = eval("--at 2022-09-30 --fail-on mised");
  EXPECT_EQ(misspelt.exit_code, 2);
  EXPECT_NE(misspelt.err.find("--fail-on: unknown state 'mised'; did you mean 'missed'?"),
            std::string::npos)
      << misspelt.err;
  EXPECT_NE(eval("--at 2022-09-30 --fail-on bogus").err.find("; the states are met, "),
            std::string::npos);
}

TEST_F(CliEval, FiltersByRuleAndUnitAndPrintsATable) {
  const RunResult run =
      eval("--at 2022-09-30 --rule digitization_district --unit bien_hoa --color never");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_NE(run.out.find("digitization_district  bien_hoa  not_yet"), std::string::npos) << run.out;
  EXPECT_EQ(run.out.find("cam_my"), std::string::npos) << run.out;
  EXPECT_EQ(eval("--rule nope").exit_code, 2);
  EXPECT_EQ(eval("--unit nowhere").exit_code, 2);
  EXPECT_EQ(eval("--at 2022-02-30").exit_code, 2);
  EXPECT_EQ(eval("--time-zone Mars/Olympus_Mons").exit_code, 2);
  const RunResult today = eval("--time-zone Asia/Ho_Chi_Minh --format json");  // no --at
  ASSERT_EQ(today.exit_code, 0) << today.err;
  EXPECT_EQ(nlohmann::json::parse(today.out)["at"].get<std::string>().size(), 10u);
}

// Issue #12: explain prints numbers as numbers (3103499/3118174, not 3.1035e+06), and
// the same as JSON.
TEST(CliExplain, NumbersAsNumbersAndJson) {
  TempDir dir;
  write_text(dir.path() + "/r.rules",
             "levels province\n"
             "indicator residents { unit number }\n"
             "indicator resident_rate { unit percent }\n"
             "rule residents_all { require residents >= 3118174 by 2022-12-31 }\n"
             "rule resident_share { require resident_rate >= 99.9% by 2022-12-31 }\n");
  write_text(dir.path() + "/units.csv", "unit,name,level,parent\ndn,Đồng Nai,province,\n");
  write_text(dir.path() + "/obs.csv",
             "indicator;unit;period;value\n"
             "residents;dn;Q3/2022;3.103.499\n"
             "resident_rate;dn;Q3/2022;3.103.499/3.118.174\n");
  const RunResult ingested =
      run_tiendo("ingest --db t.db --rules r.rules units.csv obs.csv", dir.path());
  ASSERT_EQ(ingested.exit_code, 0) << ingested.err;
  RunResult run =
      run_tiendo("explain residents_all --db t.db --rules r.rules --at 2022-09-30", dir.path());
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_NE(run.out.find("3103499 now, >= 3118174 by 2022-12-31"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("value: 3103499"), std::string::npos) << run.out;
  EXPECT_EQ(run.out.find("e+06"), std::string::npos) << run.out;
  run = run_tiendo("explain resident_share --db t.db --rules r.rules --at 2022-09-30", dir.path());
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_NE(run.out.find("99.53% (3103499/3118174)"), std::string::npos) << run.out;

  run = run_tiendo("explain resident_share --db t.db --rules r.rules --at 2022-09-30 --format json",
                   dir.path());
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const nlohmann::json out = nlohmann::json::parse(run.out, nullptr, false);
  ASSERT_TRUE(out.is_object()) << run.out;
  EXPECT_EQ(out["rule"], "resident_share");
  EXPECT_EQ(out["at"], "2022-09-30");
  EXPECT_EQ(out["source"]["file"], "r.rules");
  ASSERT_EQ(out["results"].size(), 1u) << run.out;
  const nlohmann::json& r = out["results"][0];
  EXPECT_EQ(r["unit"], "dn");
  EXPECT_EQ(r["state"], "at_risk");
  EXPECT_NEAR(r["value"].get<double>(), 3103499.0 / 3118174.0, 1e-12);
  EXPECT_NEAR(r["target"].get<double>(), 0.999, 1e-12);
  EXPECT_EQ(r["deadline"], "2022-12-31");
  ASSERT_EQ(r["observations"].size(), 1u);
  EXPECT_EQ(r["observations"][0]["numerator"], 3103499);
  EXPECT_EQ(r["observations"][0]["denominator"], 3118174);
  EXPECT_EQ(r["observations"][0]["input"], "obs.csv");
  EXPECT_EQ(r["observations"][0]["line"], 3);
  EXPECT_TRUE(r["blocked_by"].is_null());
}

TEST_F(CliEval, ExplainShowsTheSourceTheDataTheTrendAndTheChain) {
  RunResult run = run_tiendo(
      "explain online_dossier_2022 --db " + shell_quote(db_) + " --rules rules --at 2022-09-30",
      kSource);
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_NE(run.out.find("rules/dong-nai-2022.rules:"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("require online_dossier_rate >= 50% by 2022-12-31"), std::string::npos);
  EXPECT_NE(run.out.find("at dong_nai on 2022-09-30: at_risk"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("examples/observations-2022.csv:5"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("trend: least squares over 4 points"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("projected on 2022-12-31: 11.07%"), std::string::npos) << run.out;

  // A share lists the units behind it, a commune with no data included (issue #12).
  run = run_tiendo(
      "explain community_teams_q3 --db " + shell_quote(db_) + " --rules rules --at 2022-09-30",
      kSource);
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_NE(run.out.find("  units: 33/36 commune\n    failing: Xã Gia Canh (gia_canh), Xã Sông "
                         "Ray (song_ray), Xã Tà Lài (ta_lai)\n"),
            std::string::npos)
      << run.out;

  run = run_tiendo(
      "explain open_data_2022 --db " + shell_quote(db_) + " --rules rules --at 2022-09-30",
      kSource);
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_NE(run.out.find("blocked by:"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("cong_du_lieu_mo (Xây dựng Cổng dữ liệu mở): at_risk; due 2022-12-31, "
                         "earliest finish 2023-02-12"),
            std::string::npos)
      << run.out;
  EXPECT_NE(run.out.find("\u2190 kho_csdl_dung_chung"), std::string::npos) << run.out;
  run = run_tiendo("explain open_data_2022 --db " + shell_quote(db_) +
                       " --rules rules --at 2022-09-30 --format json",
                   kSource);
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const nlohmann::json blocked = nlohmann::json::parse(run.out, nullptr, false);
  ASSERT_TRUE(blocked.is_object()) << run.out;
  EXPECT_EQ(blocked["results"][0]["state"], "blocked");
  EXPECT_EQ(blocked["results"][0]["blocked_by"]["task"], "cong_du_lieu_mo");
  EXPECT_EQ(blocked["results"][0]["blocked_by"]["chain"].back()["task"], "kho_csdl_dung_chung");
  const RunResult misspelt =
      run_tiendo("explain online_dosier_2022 --db " + shell_quote(db_) + " --rules rules", kSource);
  EXPECT_EQ(misspelt.exit_code, 2);
  EXPECT_NE(misspelt.err.find("did you mean 'online_dossier_2022'?"), std::string::npos)
      << misspelt.err;
}

// Issue #16: `--lang vi` says eval's table and reasons, and explain's whole explanation, as
// a Vietnamese committee reads them; the JSON keeps its keys and state names, with the
// reason in the language asked for and as data ("why").
TEST_F(CliEval, LangViSaysTheTableAndTheExplanationInVietnamese) {
  RunResult run = eval("--at 2022-09-30 --rule online_dossier_2022 --color never --lang vi");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_NE(run.out.find("QUY TẮC"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("LÝ DO"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("Có nguy cơ không đạt"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("31/12/2022"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("hiện nay, yêu cầu ≥ 50% hạn 31/12/2022; dự báo 11,07%"),
            std::string::npos)
      << run.out;
  EXPECT_EQ(run.out.find("projected"), std::string::npos) << run.out;
  EXPECT_EQ(run.out.find("at_risk"), std::string::npos) << run.out;

  run = eval("--at 2022-09-30 --rule online_dossier_2022 --format json --lang vi");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  nlohmann::json json = nlohmann::json::parse(run.out);
  EXPECT_EQ(json["language"], "vi");
  EXPECT_EQ(json["rules"][0]["state"], "at_risk");  // a state's name is data, in any language
  EXPECT_NE(json["rules"][0]["reason"].get<std::string>().find("dự báo 11,07%"), std::string::npos)
      << json["rules"][0]["reason"];
  EXPECT_EQ(json["rules"][0]["why"]["kind"], "trend");
  // English stays the default, word for word as before.
  run = eval("--at 2022-09-30 --rule online_dossier_2022 --format json");
  json = nlohmann::json::parse(run.out);
  EXPECT_EQ(json["language"], "en");
  EXPECT_NE(json["rules"][0]["reason"].get<std::string>().find("by 2022-12-31; projected 11.07%"),
            std::string::npos)
      << json["rules"][0]["reason"];
  EXPECT_NE(eval("--lang vn").exit_code, 0);

  run = run_tiendo("explain online_dossier_2022 --db " + shell_quote(db_) +
                       " --rules rules --at 2022-09-30 --lang vi",
                   kSource);
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_NE(run.out.find("quy tắc online_dossier_2022 (rules/dong-nai-2022.rules:"),
            std::string::npos)
      << run.out;
  EXPECT_NE(run.out.find("tại dong_nai ngày 30/9/2022: Có nguy cơ không đạt (mức độ: "),
            std::string::npos)
      << run.out;
  EXPECT_NE(run.out.find("  số liệu đã dùng:\n    CHỈ TIÊU"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("Quý III/2022"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("  xu hướng: bình phương tối thiểu trên 4 điểm"), std::string::npos)
      << run.out;
  EXPECT_NE(run.out.find("  dự báo ngày 31/12/2022: 11,07%"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("  yêu cầu: ≥ 50% hạn 31/12/2022 (online_dossier_rate >= 50% by "
                         "2022-12-31)"),
            std::string::npos)
      << run.out;
  EXPECT_NE(run.out.find("  mỗi tháng: cần +"), std::string::npos) << run.out;
  EXPECT_EQ(run.out.find("trend:"), std::string::npos) << run.out;

  run = run_tiendo("explain open_data_2022 --db " + shell_quote(db_) +
                       " --rules rules --at 2022-09-30 --lang vi",
                   kSource);
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_NE(run.out.find("  bị chặn bởi:\n    cong_du_lieu_mo (Xây dựng Cổng dữ liệu mở): Có "
                         "nguy cơ trễ hạn; hạn 31/12/2022, sớm nhất xong 12/02/2023"),
            std::string::npos)
      << run.out;
  EXPECT_NE(run.out.find("cần nhiệm vụ “Xây dựng Cổng dữ liệu mở”"), std::string::npos) << run.out;
}

// Issue #12: every command's --at takes the dates as the documents write them, as ingest
// does: "Quý III/2022", "quý 3/2022", "tháng 9/2022" are all 30/9/2022, the report's date.
// (--at "Quý III/2022" was refused: "'Quý III/2022' is not a date".)
TEST_F(CliEval, AtTakesTheDocumentsOwnDates) {
  const RunResult iso = eval("--at 2022-09-30 --format json");
  ASSERT_EQ(iso.exit_code, 0) << iso.err;
  const auto states = [](const std::string& out) {
    std::map<std::string, std::string> by_row;
    const auto json = nlohmann::json::parse(out);
    for (const auto& row : json["rules"]) {
      by_row[row["rule"].get<std::string>() + "@" + row["unit"].get<std::string>()] = row["state"];
    }
    for (const auto& row : json["tasks"]) by_row[row["task"].get<std::string>()] = row["state"];
    return by_row;
  };
  for (const char* at :
       {"Quý III/2022", "quý 3/2022", "tháng 9/2022", "Tháng 09/2022", " Quý III/2022 "}) {
    SCOPED_TRACE(at);
    const RunResult run = eval("--at " + shell_quote(at) + " --format json");
    ASSERT_EQ(run.exit_code, 0) << run.err;
    EXPECT_EQ(nlohmann::json::parse(run.out)["at"], "2022-09-30");
    EXPECT_EQ(states(run.out), states(iso.out));
  }
  // The other commands that take --at read them too.
  const std::string db = " --db " + shell_quote(db_) + " --rules rules";
  for (const std::string& command :
       {"explain online_dossier_2022" + db + " --at 'Quý III/2022'",
        "report" + db + " --at 'tháng 9/2022'", "run" + db + " --at 'quý 3/2022' --dry-run"}) {
    const RunResult run = run_tiendo(command, kSource);
    EXPECT_EQ(run.exit_code, 0) << command << "\n" << run.err;
  }
  // A period in words that does not exist says why, as ingest does.
  const RunResult bad = eval("--at 'Quý V/2022'");
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("tiendo eval: --at: 'Quý V/2022' is not a quarter: quarters are I to IV"),
            std::string::npos)
      << bad.err;
}

// Issue #12: explain sums a `for each` rule up over all its units, every unit that fails
// or lacks data named, as eval --format json does.
TEST_F(CliEval, ExplainSumsUpAForEachRule) {
  RunResult run = run_tiendo(
      "explain digitization_district --db " + shell_quote(db_) + " --rules rules --at 2023-01-15",
      kSource);
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_NE(run.out.find("\nover every district: 0/11 meet it\n  failing: Thành phố Biên Hòa "
                         "(bien_hoa), Huyện Cẩm Mỹ (cam_my), "),
            std::string::npos)
      << run.out;
  run = run_tiendo("explain to_cnscd_xa_thi_diem --db " + shell_quote(db_) +
                       " --rules rules --at 2022-09-30 --format json",
                   kSource);
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const nlohmann::json out = nlohmann::json::parse(run.out, nullptr, false);
  ASSERT_TRUE(out.is_object()) << run.out;
  // Issue #16: the documents the target rests on, each cited.
  ASSERT_EQ(out["basis"].size(), 2u) << run.out;
  EXPECT_EQ(out["basis"][0]["plan"], "KH130");
  EXPECT_EQ(out["basis"][0]["cited"], "Kế hoạch 130/KH-UBND ngày 08/6/2022");
  EXPECT_EQ(out["basis"][1]["cited"], "Văn bản 2588/UBND-KGVX ngày 15/3/2022");
  EXPECT_EQ(out["basis"][1]["issued"], "2022-03-15");
  EXPECT_EQ(out["results"].size(), 3u);
  EXPECT_EQ(out["summary"]["level"], "xa_thi_diem");
  EXPECT_EQ(out["summary"]["set"], true);
  EXPECT_EQ(out["summary"]["counted"], 3);
  // One unit asked for: no summary.
  run = run_tiendo("explain to_cnscd_xa_thi_diem --db " + shell_quote(db_) +
                       " --rules rules --at 2022-09-30 --unit bao_hoa --format json",
                   kSource);
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_FALSE(nlohmann::json::parse(run.out).contains("summary")) << run.out;
}

// Issue #12: explain shows a task's last status note where it shows the task.
TEST_F(CliEval, ExplainShowsTheNoteOfATasksLastReport) {
  RunResult run = run_tiendo(
      "explain open_data_2022 --db " + shell_quote(db_) + " --rules rules --at 'Quý III/2022'",
      kSource);
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_NE(run.out.find("reported not_started on 2022-09-19; earliest finish 2023-02-12, due "
                         "2022-12-31; note: BC 231 mục I.2.a, chỉ tiêu II.5: \"Chưa xây dựng Kho "
                         "cơ sở dữ liệu dùng chung và Cổng dữ liệu mở\"\n"),
            std::string::npos)
      << run.out;
  run = run_tiendo("explain open_data_2022 --db " + shell_quote(db_) +
                       " --rules rules --at 'Quý III/2022' --format json",
                   kSource);
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const nlohmann::json out = nlohmann::json::parse(run.out, nullptr, false);
  ASSERT_TRUE(out.is_object()) << run.out;
  const nlohmann::json& blocked_by = out["results"][0]["blocked_by"];
  EXPECT_EQ(blocked_by["task"], "cong_du_lieu_mo");
  EXPECT_EQ(blocked_by["note"],
            "BC 231 mục I.2.a, chỉ tiêu II.5: \"Chưa xây dựng Kho cơ sở dữ liệu dùng chung và "
            "Cổng dữ liệu mở\"");
  EXPECT_EQ(blocked_by["chain"].back()["task"], "kho_csdl_dung_chung");
  EXPECT_NE(blocked_by["chain"].back()["note"].get<std::string>().find("Chưa xây dựng"),
            std::string::npos);
}

// Issue #12: nhiem_vu_797 (section IV of the report, "03 tháng cuối năm 2022") has no
// status report in the examples. It showed on_track; from Quý IV/2022, when it starts, it
// is no_report, and --fail-on knows the state.
TEST_F(CliEval, ATaskNobodyReportsOnIsNoReportOnceItStarts) {
  const auto task_state = [&](const std::string& at, const std::string& task) {
    const RunResult run = eval("--at " + shell_quote(at) + " --format json");
    EXPECT_EQ(run.exit_code, 0) << run.err;
    const auto json = nlohmann::json::parse(run.out);
    for (const auto& row : json["tasks"]) {
      if (row["task"] == task) return row["state"].get<std::string>();
    }
    return std::string("(missing)");
  };
  EXPECT_EQ(task_state("30/9/2022", "nhiem_vu_797"), "on_track");
  EXPECT_EQ(task_state("01/10/2022", "nhiem_vu_797"), "no_report");
  EXPECT_EQ(task_state("tháng 10/2022", "so_suc_khoe_dien_tu"), "no_report");
  EXPECT_EQ(task_state("tháng 10/2022", "trien_khai_kh177"), "on_track");  // reported
  EXPECT_EQ(eval("--at 30/9/2022 --fail-on no_report").exit_code, 0);
  EXPECT_EQ(eval("--at 'tháng 10/2022' --fail-on no_report").exit_code, 1);
  const RunResult misspelt = eval("--at 'tháng 10/2022' --fail-on no_reprot");
  EXPECT_EQ(misspelt.exit_code, 2);
  EXPECT_NE(misspelt.err.find("did you mean 'no_report'?"), std::string::npos) << misspelt.err;
}

TEST_F(CliEval, BacktestListsStateChangesWithTheirDates) {
  const RunResult run = run_tiendo("backtest --db " + shell_quote(db_) +
                                       " --rules rules --from 2022-01-31 --to 2023-03-31 "
                                       "--format json",
                                   kSource);
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const auto json = nlohmann::json::parse(run.out);
  bool seen = false;
  for (const auto& row : json) {
    if (row["name"] == "smartphone_2022") {
      seen = true;
      EXPECT_EQ(row["unit"], "dong_nai");
      ASSERT_EQ(row["changes"].size(), 3u) << row.dump();
      EXPECT_EQ(row["changes"][0]["state"], "at_risk");   // one observation, 80.1%
      EXPECT_EQ(row["changes"][1]["state"], "on_track");  // Q1 and 2021: trending to 85%
      EXPECT_EQ(row["changes"][1]["since"], "2022-03-31");
      // 83,5% at the deadline: missed at the first month's end after it, and its data
      // growing stale does not hide that.
      EXPECT_EQ(row["changes"][2]["state"], "missed");
      EXPECT_EQ(row["changes"][2]["since"], "2023-01-31");
    }
  }
  EXPECT_TRUE(seen);
  EXPECT_EQ(run_tiendo("backtest --db " + shell_quote(db_) +
                           " --rules rules --from 2023-01-01 --to 2022-01-01",
                       kSource)
                .exit_code,
            2);
}

TEST(CliTest, TheRepositoryRuleTestsPass) {
  const RunResult run =
      run_tiendo("test rules/dong-nai-2022.rules rules/dong-nai-2022.tests", kSource);
  EXPECT_EQ(run.exit_code, 0) << run.out << run.err;
  EXPECT_NE(run.out.find("17 passed, 0 failed"), std::string::npos) << run.out;
}

// Issue #12: a directory brings its *.tests as well as its *.rules (each file once).
TEST(CliTest, ADirectoryBringsItsTestFiles) {
  const RunResult run = run_tiendo("test rules/ rules/dong-nai-2022.tests", kSource);
  EXPECT_EQ(run.exit_code, 0) << run.out << run.err;
  EXPECT_NE(run.out.find("17 passed, 0 failed"), std::string::npos) << run.out;
}

TEST(CliTest, AFailedExpectationShowsExpectedActualAndWhy) {
  TempDir dir;
  write_text(dir.path() + "/r.rules",
             "indicator rate { unit percent }\n"
             "rule r { require rate >= 50% by 2022-12-31 }\n"
             "test \"wrong\" {\n  at 2022-09-30\n  observe rate 2022-Q3 = 9%\n  expect r met\n}\n");
  const RunResult run = run_tiendo("test r.rules", dir.path());
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_NE(run.out.find("FAIL  wrong"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("r.rules:6: expect root r met, got at_risk: 9% now"), std::string::npos)
      << run.out;
  EXPECT_NE(run.out.find("0 passed, 1 failed"), std::string::npos) << run.out;
}

}  // namespace
}  // namespace tiendo::testing

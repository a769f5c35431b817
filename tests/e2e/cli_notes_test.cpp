// End-to-end (issue #16): notes beside figures and estimates, through the binary and a
// real database: `tiendo ingest` of "khoảng 83,5%" and of notes, then `history`,
// `explain`, `eval`, `report` in its three formats and the alert `run` would send.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "run.hpp"

namespace tiendo::testing {
namespace {

constexpr const char* kRules = R"(levels province > district

indicator smartphone_rate {
  title "Tỷ lệ dân số có điện thoại thông minh"
  unit percent
}
indicator online_dossier_rate {
  title "Tỷ lệ hồ sơ thủ tục hành chính xử lý trực tuyến"
  unit percent
}
indicator fiber_household_rate {
  title "Tỷ lệ hộ gia đình có cáp quang"
  unit percent
}

channel committee {
  email "bcd@example.vn"
}

rule smartphone_2022 {
  title "Tỷ lệ dân số có điện thoại thông minh đạt 90%"
  require smartphone_rate >= 90% by 2022-12-31
  severity warning
  notify committee
  message "{unit_name}: {value}, cần 90%"
}

rule online_dossier_2022 {
  title "Tỷ lệ hồ sơ xử lý trực tuyến đạt 50%"
  require online_dossier_rate >= 50% by 2022-12-31
  severity critical
  notify committee
}

rule fiber_2022 {
  title "Tỷ lệ hộ gia đình có cáp quang đạt 75%"
  require fiber_household_rate >= 75% by 2022-12-31
  notify committee
}
)";

constexpr const char* kUnits =
    "unit,name,level,parent\n"
    "dong_nai,Tỉnh Đồng Nai,province,\n"
    "bien_hoa,Thành phố Biên Hòa,district,dong_nai\n";

// BC 231/BC-UBND writes the smartphone rate as "khoảng 83,5%" (mục I.5.a); a note beside
// the online dossier rate, as the report writes notes beside its figures. The older
// figures carry notes of their own, which the latest ones replace.
constexpr const char* kObservations =
    "indicator,unit,period,value,source,note\n"
    "smartphone_rate,dong_nai,Quý II/2022,\"81,9%\",illustrative,số liệu quý II\n"
    "smartphone_rate,dong_nai,Quý III/2022,\"khoảng 83,5%\",BC 231,\"mục I.5.a: đạt khoảng "
    "83,5%\"\n"
    "online_dossier_rate,dong_nai,Quý II/2022,\"6,8%\",illustrative,số liệu quý II\n"
    "online_dossier_rate,dong_nai,Quý III/2022,\"9,23%\",BC 231,số liệu ước tính\n"
    "fiber_household_rate,dong_nai,Quý III/2022,99%,BC 231,\n";

// The same flag in JSON, at a district.
constexpr const char* kDistrict = R"([
  {"indicator": "fiber_household_rate", "unit": "bien_hoa", "period": "Quý III/2022",
   "value": "97%", "estimate": true, "note": "Viettel ước tính"}
])";

class CliNotes : public ::testing::Test {
 protected:
  void SetUp() override {
    write_text(dir_.path() + "/t.rules", kRules);
    write_text(dir_.path() + "/units.csv", kUnits);
    write_text(dir_.path() + "/obs.csv", kObservations);
    write_text(dir_.path() + "/district.json", kDistrict);
    const RunResult ingest =
        tiendo("ingest --db t.db --rules t.rules units.csv obs.csv district.json");
    ASSERT_EQ(ingest.exit_code, 0) << ingest.err;
  }

  RunResult tiendo(const std::string& args) const { return run_tiendo(args, dir_.path()); }

  TempDir dir_;
};

TEST_F(CliNotes, HistoryShowsTheEstimateAndTheNote) {
  const RunResult table = tiendo("history --db t.db smartphone_rate");
  ASSERT_EQ(table.exit_code, 0) << table.err;
  EXPECT_NE(table.out.find("0.835 (estimate)"), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("mục I.5.a: đạt khoảng 83,5%"), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("NOTE"), std::string::npos) << table.out;

  const RunResult json = tiendo("history --db t.db --format json fiber_household_rate");
  ASSERT_EQ(json.exit_code, 0) << json.err;
  const auto rows = nlohmann::json::parse(json.out);
  ASSERT_EQ(rows.size(), 2u) << json.out;
  EXPECT_EQ(rows[0]["unit"], "bien_hoa");
  EXPECT_EQ(rows[0]["estimate"], true);
  EXPECT_EQ(rows[0]["note"], "Viettel ước tính");
  EXPECT_EQ(rows[0]["value"], 0.97);
  EXPECT_EQ(rows[1]["estimate"], false);
}

TEST_F(CliNotes, ExplainSaysTheValueIsAnEstimateAndGivesItsNote) {
  const RunResult text =
      tiendo("explain smartphone_2022 --db t.db --rules t.rules --at 2022-09-30");
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_NE(text.out.find("  value: 83.5% (estimate)\n"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("  note: mục I.5.a: đạt khoảng 83,5%\n"), std::string::npos) << text.out;
  // The observation used, with its own flag and note.
  EXPECT_NE(text.out.find("  83.5% (estimate)  1    BC 231  obs.csv:3  mục I.5.a: đạt khoảng "
                          "83,5%\n"),
            std::string::npos)
      << text.out;

  const RunResult json =
      tiendo("explain online_dossier_2022 --db t.db --rules t.rules --at 2022-09-30 --format json");
  ASSERT_EQ(json.exit_code, 0) << json.err;
  const auto out = nlohmann::json::parse(json.out);
  const auto& result = out["results"][0];
  EXPECT_EQ(result["estimate"], false);
  EXPECT_EQ(result["notes"], nlohmann::json::array({"số liệu ước tính"})) << json.out;
  ASSERT_FALSE(result["observations"].empty());
  bool latest_seen = false;
  for (const auto& o : result["observations"]) {
    if (o["period_end"] != "2022-09-30") continue;
    latest_seen = true;
    EXPECT_EQ(o["note"], "số liệu ước tính");
    EXPECT_EQ(o["estimate"], false);
  }
  EXPECT_TRUE(latest_seen) << json.out;

  const RunResult estimated =
      tiendo("explain smartphone_2022 --db t.db --rules t.rules --at 2022-09-30 --format json");
  ASSERT_EQ(estimated.exit_code, 0) << estimated.err;
  EXPECT_EQ(nlohmann::json::parse(estimated.out)["results"][0]["estimate"], true);
}

TEST_F(CliNotes, EvalJsonCarriesTheFlagAndTheNotes) {
  const RunResult run = tiendo("eval --db t.db --rules t.rules --at 2022-09-30 --format json");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const auto json = nlohmann::json::parse(run.out);
  std::size_t seen = 0;
  for (const auto& row : json["rules"]) {
    if (row["rule"] == "smartphone_2022") {
      ++seen;
      EXPECT_EQ(row["estimate"], true) << row.dump();
      EXPECT_NEAR(row["value"].get<double>(), 0.835, 1e-12);
      EXPECT_EQ(row["notes"], nlohmann::json::array({"mục I.5.a: đạt khoảng 83,5%"}));
    } else if (row["rule"] == "online_dossier_2022") {
      ++seen;
      EXPECT_EQ(row["estimate"], false) << row.dump();
      EXPECT_EQ(row["notes"], nlohmann::json::array({"số liệu ước tính"}));
    } else if (row["rule"] == "fiber_2022") {
      ++seen;
      EXPECT_EQ(row["estimate"], false) << row.dump();
      EXPECT_TRUE(row["notes"].empty()) << row.dump();
    }
  }
  EXPECT_EQ(seen, 3u) << run.out;
}

TEST_F(CliNotes, TheReportWritesKhoangAndTheNoteBesideTheFigure) {
  const RunResult md = tiendo("report --db t.db --rules t.rules --at 2022-09-30");
  ASSERT_EQ(md.exit_code, 0) << md.err;
  EXPECT_NE(md.out.find("| khoảng 83,5% (mục I.5.a: đạt khoảng 83,5%) |"), std::string::npos)
      << md.out;
  EXPECT_NE(md.out.find("| 9,23% (số liệu ước tính) |"), std::string::npos) << md.out;
  EXPECT_NE(md.out.find("| 99% |"), std::string::npos) << md.out;
  // The older figures' notes are not the shown figure's.
  EXPECT_EQ(md.out.find("số liệu quý II"), std::string::npos) << md.out;

  const RunResult html = tiendo("report --db t.db --rules t.rules --at 2022-09-30 --format html");
  ASSERT_EQ(html.exit_code, 0) << html.err;
  EXPECT_NE(html.out.find("<div class=\"value\">khoảng 83,5%</div>"), std::string::npos)
      << html.out;
  EXPECT_NE(html.out.find("<div class=\"note\">mục I.5.a: đạt khoảng 83,5%</div>"),
            std::string::npos)
      << html.out;
  EXPECT_NE(html.out.find("<div class=\"note\">số liệu ước tính</div>"), std::string::npos)
      << html.out;

  const RunResult csv = tiendo("report --db t.db --rules t.rules --at 2022-09-30 --format csv");
  ASSERT_EQ(csv.exit_code, 0) << csv.err;
  const auto rows = csv_rows(csv.out);
  ASSERT_TRUE(rows.has_value()) << csv.out;
  ASSERT_FALSE(rows->empty());
  const std::vector<std::string>& header = rows->front();
  ASSERT_EQ(header.size(), 12u) << csv.out;
  EXPECT_EQ(header[5], "ket_qua");
  EXPECT_EQ(header[10], "ghi_chu");
  std::size_t seen = 0;
  for (const auto& row : *rows) {
    ASSERT_EQ(row.size(), 12u) << csv.out;
    if (row[2] == "Tỷ lệ dân số có điện thoại thông minh đạt 90%") {
      ++seen;
      EXPECT_EQ(row[5], "khoảng 83,5%");
      EXPECT_EQ(row[10], "mục I.5.a: đạt khoảng 83,5%");
    } else if (row[2] == "Tỷ lệ hồ sơ xử lý trực tuyến đạt 50%") {
      ++seen;
      EXPECT_EQ(row[5], "9,23%");
      EXPECT_EQ(row[10], "số liệu ước tính");
    }
  }
  EXPECT_EQ(seen, 2u) << csv.out;
}

TEST_F(CliNotes, TheAlertSaysKhoangAndGivesTheNote) {
  const RunResult dry = tiendo("run --db t.db --rules t.rules --at 2022-09-30 --dry-run");
  ASSERT_EQ(dry.exit_code, 0) << dry.err;
  // The rule's message fills {value} the same way.
  EXPECT_NE(dry.out.find("Tỉnh Đồng Nai: khoảng 83,5%, cần 90%"), std::string::npos) << dry.out;
  EXPECT_NE(dry.out.find("Giá trị: khoảng 83,5%"), std::string::npos) << dry.out;
  EXPECT_NE(dry.out.find("Ghi chú số liệu: mục I.5.a: đạt khoảng 83,5%"), std::string::npos)
      << dry.out;
  EXPECT_NE(dry.out.find("Giá trị: 9,23%"), std::string::npos) << dry.out;
  EXPECT_NE(dry.out.find("Ghi chú số liệu: số liệu ước tính"), std::string::npos) << dry.out;
}

// A bad estimate stops the ingest with its file, line and field; nothing is written.
TEST_F(CliNotes, ABadEstimateIsRefusedWithItsLine) {
  write_text(dir_.path() + "/bad.csv",
             "indicator,unit,period,value,estimate\n"
             "smartphone_rate,dong_nai,Quý IV/2022,khoảng,\n"
             "smartphone_rate,dong_nai,2023,khoảng abc,\n"
             "smartphone_rate,dong_nai,2024,\"83,5%\",maybe\n");
  const RunResult bad = tiendo("ingest --db t.db --rules t.rules bad.csv");
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.err.find("bad.csv:2: smartphone_rate: 'khoảng' says the value is an estimate, "
                         "but no number follows it"),
            std::string::npos)
      << bad.err;
  EXPECT_NE(bad.err.find("bad.csv:3: smartphone_rate: after 'khoảng': 'abc' is not a number"),
            std::string::npos)
      << bad.err;
  EXPECT_NE(bad.err.find("bad.csv:4: estimate: 'maybe' is neither true nor false"),
            std::string::npos)
      << bad.err;
  const RunResult history = tiendo("history --db t.db smartphone_rate");
  EXPECT_EQ(history.out.find("bad.csv"), std::string::npos) << history.out;
}

}  // namespace
}  // namespace tiendo::testing

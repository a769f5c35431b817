// Ingest through its public interface on a real SQLite database.
#include "store/ingest.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "dsl/check.hpp"
#include "store/snapshot.hpp"
#include "store/sql/statements.hpp"
#include "support/temp_dir.hpp"
#include "support/test_store.hpp"

namespace tiendo::store {
namespace {

constexpr const char* kRules = R"(
levels province > district > commune
indicator online_dossier_rate { unit percent }
indicator community_team_count { unit count }
indicator retail_revenue { unit number }
indicator revenue_growth { unit percent range -100% .. 500% }
indicator team_target { unit count range 0 .. 170 }
task kho_du_lieu { due 2022-12-31 }
levels agency
)";

const char* kUnits =
    "unit,name,level,parent\n"
    "dong_nai,Tỉnh Đồng Nai,province,\n"
    "long_thanh,Huyện Long Thành,district,dong_nai\n"
    "long_phuoc,Xã Long Phước,commune,long_thanh\n";

class IngestTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dsl::Program program = dsl::load_text("t.rules", kRules);
    auto rules = dsl::check(program);
    ASSERT_TRUE(rules.has_value());
    rules_ = std::move(*rules);
    auto db = Database::open(testing::memory_store());
    ASSERT_TRUE(std::holds_alternative<Database>(db));
    db_.emplace(std::move(std::get<Database>(db)));
  }

  IngestSummary run(std::vector<IngestInput> inputs, bool skip_bad = false,
                    std::string now = "2022-10-01T00:00:00Z") {
    IngestOptions options;
    options.rules = &rules_;
    options.skip_bad = skip_bad;
    options.now = std::move(now);
    auto result = ingest(*db_, inputs, options);
    if (auto* error = std::get_if<DbError>(&result)) {
      ADD_FAILURE() << error->message;
      return {};
    }
    return std::get<IngestSummary>(result);
  }

  std::int64_t count(const std::string& table) {
    Statement statement = tiendo::store::sql::prepare(*db_, "SELECT count(*) FROM " + table);
    return statement.step() ? statement.column_int(0) : -1;
  }

  static std::string messages(const IngestSummary& summary) {
    std::string out;
    for (const RowError& e : summary.errors) {
      out += e.input + ":" + std::to_string(e.line) + ": " + e.message + "\n";
    }
    return out;
  }

  model::RuleSet rules_;
  std::optional<Database> db_;
};

TEST_F(IngestTest, LoadsUnitsObservationsAndStatusesInOneGo) {
  const IngestSummary summary = run({
      {"obs.csv",
       "indicator,unit,period,value,source\n"
       "online_dossier_rate,dong_nai,Quý III/2022,\"9,23%\",BC 231\n"
       "community_team_count,long_phuoc,Q3/2022,1,\n"},
      {"units.csv", kUnits},  // after the observations that name them: units go first
      {"status.json",
       R"([{"task": "kho_du_lieu", "status": "in_progress", "date": "1/7/2022", "progress": "40%"}])"},
  });
  EXPECT_TRUE(summary.committed) << messages(summary);
  EXPECT_EQ(summary.rows, 6u);
  EXPECT_EQ(summary.units_written, 3u);
  EXPECT_EQ(summary.observations_added, 2u);
  EXPECT_EQ(summary.statuses_added, 1u);
  auto revisions =
      std::get<std::vector<ObservationRevision>>(history(*db_, "online_dossier_rate", "dong_nai"));
  ASSERT_EQ(revisions.size(), 1u);
  EXPECT_EQ(revisions[0].period_start, "2022-07-01");
  EXPECT_EQ(revisions[0].period_end, "2022-09-30");
  EXPECT_NEAR(revisions[0].value, 0.0923, 1e-12);
  EXPECT_EQ(revisions[0].source, "BC 231");
  EXPECT_EQ(revisions[0].input, "obs.csv");
  EXPECT_EQ(revisions[0].input_line, 2);
}

TEST_F(IngestTest, OneBadRowMeansNothingIsWritten) {
  const IngestSummary summary = run({
      {"units.csv", kUnits},
      {"obs.csv",
       "indicator,unit,period,value\n"
       "online_dossier_rate,dong_nai,2022-Q3,9%\n"
       "onlin_dossier_rate,dong_nai,2022-Q3,9%\n"
       "online_dossier_rate,dong_nia,2022-Q3,9%\n"
       "online_dossier_rate,dong_nai,2022-Q5,9%\n"
       "online_dossier_rate,dong_nai,2022-Q2,9\n"},
  });
  EXPECT_FALSE(summary.committed);
  EXPECT_EQ(summary.error_count, 4u) << messages(summary);
  const std::string text = messages(summary);
  EXPECT_NE(text.find("obs.csv:3: unknown indicator 'onlin_dossier_rate'; did you mean "
                      "'online_dossier_rate'?"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("obs.csv:4: unknown unit 'dong_nia'; did you mean 'dong_nai'?"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("obs.csv:5:"), std::string::npos) << text;
  EXPECT_NE(text.find("obs.csv:6:"), std::string::npos) << text;
  EXPECT_EQ(count("units"), 0);
  EXPECT_EQ(count("observations"), 0);
}

TEST_F(IngestTest, SkipBadWritesTheGoodRows) {
  const IngestSummary summary = run({{"units.csv", kUnits},
                                     {"obs.csv",
                                      "indicator,unit,period,value\n"
                                      "online_dossier_rate,dong_nai,2022-Q3,9%\n"
                                      "online_dossier_rate,nowhere,2022-Q3,9%\n"}},
                                    /*skip_bad=*/true);
  EXPECT_TRUE(summary.committed);
  EXPECT_EQ(summary.error_count, 1u);
  EXPECT_EQ(count("observations"), 1);
}

TEST_F(IngestTest, ReingestingChangesNothingAndAChangedValueAddsARevision) {
  const std::vector<IngestInput> first = {
      {"units.csv", kUnits},
      {"obs.csv", "indicator,unit,period,value\nonline_dossier_rate,dong_nai,2022-Q3,9%\n"}};
  EXPECT_EQ(run(first).observations_added, 1u);
  const IngestSummary again = run(first, false, "2022-10-02T00:00:00Z");
  EXPECT_EQ(again.observations_added, 0u);
  EXPECT_EQ(again.observations_unchanged, 1u);
  EXPECT_EQ(again.units_written, 0u);
  EXPECT_EQ(again.units_unchanged, 3u);
  const IngestSummary changed =
      run({{"fix.csv",
            "indicator,unit,period,value\nonline_dossier_rate,dong_nai,Q3/2022,\"9,23%\"\n"}},
          false, "2022-10-03T00:00:00Z");
  EXPECT_EQ(changed.observations_added, 1u);
  auto revisions =
      std::get<std::vector<ObservationRevision>>(history(*db_, "online_dossier_rate", ""));
  ASSERT_EQ(revisions.size(), 2u);
  EXPECT_EQ(revisions[1].revision, 2);
  EXPECT_EQ(revisions[1].input, "fix.csv");
  EXPECT_EQ(revisions[1].ingested_at, "2022-10-03T00:00:00Z");
}

TEST_F(IngestTest, KeepsFractionsAsNumeratorAndDenominator) {
  ASSERT_TRUE(run({{"units.csv", kUnits},
                   {"obs.csv",
                    "indicator,unit,period,value\n"
                    "online_dossier_rate,dong_nai,2022-Q3,392/505\n"}})
                  .committed);
  auto revisions =
      std::get<std::vector<ObservationRevision>>(history(*db_, "online_dossier_rate", "dong_nai"));
  ASSERT_EQ(revisions.size(), 1u);
  EXPECT_EQ(revisions[0].numerator, 392);
  EXPECT_EQ(revisions[0].denominator, 505);
  EXPECT_NEAR(revisions[0].value, 392.0 / 505.0, 1e-12);
}

TEST_F(IngestTest, TheSameKeyTwiceWithAnotherValueIsAnError) {
  const IngestSummary summary = run({{"units.csv", kUnits},
                                     {"obs.csv",
                                      "indicator,unit,period,value\n"
                                      "online_dossier_rate,dong_nai,2022-Q3,9%\n"
                                      "online_dossier_rate,dong_nai,Quý 3/2022,9%\n"
                                      "online_dossier_rate,dong_nai,Q3/2022,10%\n"}});
  EXPECT_FALSE(summary.committed);
  ASSERT_EQ(summary.error_count, 1u) << messages(summary);
  EXPECT_EQ(summary.errors[0].line, 4u);
  EXPECT_NE(summary.errors[0].message.find("also given at obs.csv:2"), std::string::npos);
}

TEST_F(IngestTest, UnitLevelsAndParentsAreChecked) {
  const IngestSummary summary = run({{"units.csv",
                                      "unit,name,level,parent\n"
                                      "dong_nai,Đồng Nai,province,\n"
                                      "x1,X1,distric,dong_nai\n"
                                      "x2,X2,district,nowhere\n"
                                      "x3,X3,province,dong_nai\n"}});
  EXPECT_FALSE(summary.committed);
  const std::string text = messages(summary);
  EXPECT_NE(text.find("units.csv:3: unknown level 'distric'; did you mean 'district'?"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("units.csv:4: unknown parent unit 'nowhere'"), std::string::npos) << text;
  EXPECT_NE(text.find("units.csv:5: unit 'x3' (province) cannot be inside 'dong_nai'"),
            std::string::npos)
      << text;
}

// Issue #12: units carry labels (sets select by them), and an agency of the second
// chain sits inside the province; a parent loop across chains is refused.
TEST_F(IngestTest, UnitsCarryLabelsAndParentsAcrossChains) {
  IngestSummary summary =
      run({{"units.csv",
            "unit,name,level,parent,labels\n"
            "dong_nai,Tỉnh Đồng Nai,province,,\n"
            "long_thanh,Huyện Long Thành,district,dong_nai,\n"
            "long_phuoc,Xã Long Phước,commune,long_thanh, thi_diem ; "
            "bien_gioi;thi_diem \n"
            "so_tt_tt,Sở Thông tin và Truyền thông,agency,dong_nai,so_nganh\n"}});
  ASSERT_TRUE(summary.committed) << messages(summary);
  EXPECT_EQ(summary.units_written, 4u);
  auto page = stored_units(*db_, {});
  ASSERT_TRUE(std::holds_alternative<UnitPage>(page)) << std::get<DbError>(page).message;
  const UnitPage& all = std::get<UnitPage>(page);
  ASSERT_EQ(all.total, 4);
  ASSERT_EQ(all.units.size(), 4u);
  EXPECT_EQ(all.units[0].id, "dong_nai");  // by id
  EXPECT_EQ(all.units[1].id, "long_phuoc");
  EXPECT_EQ(all.units[1].labels, (std::vector<std::string>{"bien_gioi", "thi_diem"}));
  EXPECT_EQ(all.units[3].id, "so_tt_tt");
  EXPECT_EQ(all.units[3].level, "agency");
  EXPECT_EQ(all.units[3].parent, "dong_nai");
  // A label matches whole, never as a prefix.
  UnitQuery by_label;
  by_label.label = "thi_diem";
  EXPECT_EQ(std::get<UnitPage>(stored_units(*db_, by_label)).total, 1);
  by_label.label = "thi";
  EXPECT_EQ(std::get<UnitPage>(stored_units(*db_, by_label)).total, 0);
  UnitQuery agencies;
  agencies.level = "agency";
  EXPECT_EQ(std::get<UnitPage>(stored_units(*db_, agencies)).units.at(0).id, "so_tt_tt");
  UnitQuery second_page;
  second_page.offset = 3;
  second_page.limit = 10;
  const UnitPage last = std::get<UnitPage>(stored_units(*db_, second_page));
  EXPECT_EQ(last.total, 4);
  ASSERT_EQ(last.units.size(), 1u);
  EXPECT_EQ(last.units[0].id, "so_tt_tt");

  // The evaluator sees the labels.
  auto snapshot = load_snapshot(*db_, rules_);
  ASSERT_TRUE(std::holds_alternative<Snapshot>(snapshot));
  const Snapshot& loaded = std::get<Snapshot>(snapshot);
  const SnapshotUnit& pilot =
      loaded.units()[static_cast<std::size_t>(loaded.find_unit("long_phuoc"))];
  EXPECT_TRUE(pilot.has_label("thi_diem"));
  EXPECT_FALSE(pilot.has_label("thi"));
  EXPECT_TRUE(loaded.inside(loaded.find_unit("so_tt_tt"), loaded.find_unit("dong_nai")));

  // Labels are a unit's values: changing them updates it, the same again changes nothing.
  summary = run({{"units.csv",
                  "unit,name,level,parent,labels\n"
                  "long_phuoc,Xã Long Phước,commune,long_thanh,thi_diem\n"}});
  ASSERT_TRUE(summary.committed) << messages(summary);
  EXPECT_EQ(summary.units_written, 1u);
  summary = run({{"units.csv",
                  "unit,name,level,parent,labels\n"
                  "long_phuoc,Xã Long Phước,commune,long_thanh,thi_diem\n"}});
  EXPECT_EQ(summary.units_written, 0u);
  EXPECT_EQ(summary.units_unchanged, 1u);

  // An empty label, and a province put inside its own agency, are refused by line.
  summary = run({{"more.csv",
                  "unit,name,level,parent,labels\n"
                  "tam_an,Xã Tam An,commune,long_thanh,thi_diem;;bien_gioi\n"
                  "dong_nai,Tỉnh Đồng Nai,province,so_tt_tt,\n"}});
  EXPECT_FALSE(summary.committed);
  const std::string text = messages(summary);
  EXPECT_NE(text.find("more.csv:2: unit 'tam_an': labels: an empty label at character 10"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("more.csv:3: unit 'dong_nai' would be its own ancestor through its "
                      "parents (dong_nai → so_tt_tt → dong_nai)"),
            std::string::npos)
      << text;
}

TEST_F(IngestTest, TaskStatusesAreCheckedAndDeduplicated) {
  const std::string statuses =
      "task,status,date,progress,note\n"
      "kho_du_lieu,in_progress,2022-07-01,40%,đang xây dựng\n";
  EXPECT_EQ(run({{"s.csv", statuses}}).statuses_added, 1u);
  const IngestSummary again = run({{"s.csv", statuses}});
  EXPECT_EQ(again.statuses_added, 0u);
  EXPECT_EQ(again.statuses_unchanged, 1u);
  const IngestSummary bad = run({{"s.csv",
                                  "task,status,date\n"
                                  "kho_du_lieux,done,2022-07-01\n"
                                  "kho_du_lieu,finished,2022-07-01\n"
                                  "kho_du_lieu,done,2022-Q3\n"}});
  EXPECT_EQ(bad.error_count, 3u) << messages(bad);
  EXPECT_NE(messages(bad).find("did you mean 'kho_du_lieu'?"), std::string::npos);
}

TEST_F(IngestTest, AnUnknownHeaderNamesTheKindsItExpects) {
  const IngestSummary summary = run({{"x.csv", "a,b,c\n1,2,3\n"}});
  EXPECT_FALSE(summary.committed);
  ASSERT_EQ(summary.error_count, 1u);
  EXPECT_NE(summary.errors[0].message.find("names no known kind of input"), std::string::npos);
}

// Regression (#13): a NUL in `source` was stored, and `\u0000` in JSON too (nlohmann
// decodes it into a real NUL). Every text field of every kind refuses C0 control
// characters but tab; a note may also hold line breaks.
TEST_F(IngestTest, ControlCharactersAreRefusedWithTheRowAndTheField) {
  using namespace std::string_literals;
  const IngestSummary summary = run({
      {"units.csv",
       "unit,name,level,parent\n"
       "dong_nai,Tỉnh Đồng Nai,province,\n"
       "long_thanh,Huyện\x01Long Thành,district,dong_nai\n"
       "long\x1b_phuoc,Xã Long Phước,commune,dong_nai\n"s},
      {"obs.csv",
       "indicator,unit,period,value,source,note\n"
       "online_dossier_rate,dong_nai,2022-Q3,9%,BC\0"
       "231,\n"
       "online_dossier_rate,dong_nai,2022-Q2,8%,\"BC\n231\",\n"
       "online_dossier_rate,dong_nai,2022-Q1,7%,,\"ghi\fchú\"\n"
       "online_dossier_rate,dong_nai,2021,6\0%,,\n"s},
      {"obs.json", R"([
  {"indicator": "online_dossier_rate", "unit": "dong_nai", "period": "2021-Q4",
   "value": "5%", "note": "a\u0000b"},
  {"indicator": "online_dossier_rate\u0000", "unit": "dong_nai", "period": "2021-Q3",
   "value": "5%"}
])"},
  });
  EXPECT_FALSE(summary.committed);
  const std::string text = messages(summary);
  EXPECT_EQ(summary.error_count, 8u) << text;
  for (const char* expected : {
           "units.csv:3: name: a control character (0x01) at character 6;",
           "units.csv:4: unit: a control character (0x1B, escape) at character 5;",
           "obs.csv:2: source: a control character (0x00, NUL) at character 3;",
           "obs.csv:3: source: a line break (0x0A) at character 3; only a note may hold line "
           "breaks",
           "obs.csv:5: note: a control character (0x0C) at character 4; a note may hold tabs "
           "and line breaks but no other control characters",
           "obs.csv:6: value: a control character (0x00, NUL) at character 2; text fields may "
           "hold tabs but no other control characters",
           "obs.json:2: note: a control character (0x00, NUL) at character 2;",
           "obs.json:4: indicator: a control character (0x00, NUL) at character 20;",
       }) {
    EXPECT_NE(text.find(expected), std::string::npos) << expected << "\n" << text;
  }
  EXPECT_EQ(count("units"), 0);
  EXPECT_EQ(count("observations"), 0);
  EXPECT_EQ(count("task_status"), 0);
}

TEST_F(IngestTest, StatusFieldsRefuseControlCharactersToo) {
  const IngestSummary summary = run({{"status.json",
                                      R"([{"task": "kho_du_lieu", "status": "done",
  "date": "1/7/2022", "note": "xong\u0007"}])"}});
  EXPECT_FALSE(summary.committed);
  ASSERT_EQ(summary.error_count, 1u) << messages(summary);
  EXPECT_EQ(messages(summary),
            "status.json:1: note: a control character (0x07) at character 5; a note may hold "
            "tabs and line breaks but no other control characters\n");
}

TEST_F(IngestTest, TabsAndANotesLineBreaksAreText) {
  const IngestSummary summary =
      run({{"units.csv", kUnits},
           {"obs.csv",
            "indicator,unit,period,value,source,note\n"
            "online_dossier_rate,dong_nai,2022-Q3,9%,BC\t231,\"dòng 1\r\ndòng 2\tcột\"\n"
            // Backslashes, and the text \N (PostgreSQL's COPY reads it as NULL unescaped).
            "online_dossier_rate,long_thanh,2022-Q3,9%,\\N,C:\\new\\table\\\n"},
           {"s.json", R"([{"task": "kho_du_lieu", "status": "done", "date": "1/7/2022",
                          "note": "a\nb\r\nc\td"}])"}});
  EXPECT_TRUE(summary.committed) << messages(summary);
  auto revisions =
      std::get<std::vector<ObservationRevision>>(history(*db_, "online_dossier_rate", "dong_nai"));
  ASSERT_EQ(revisions.size(), 1u);
  EXPECT_EQ(revisions[0].source, "BC\t231");
  EXPECT_EQ(revisions[0].note, "dòng 1\r\ndòng 2\tcột");
  revisions = std::get<std::vector<ObservationRevision>>(
      history(*db_, "online_dossier_rate", "long_thanh"));
  ASSERT_EQ(revisions.size(), 1u);
  EXPECT_EQ(revisions[0].source, "\\N");
  EXPECT_EQ(revisions[0].note, "C:\\new\\table\\");
}

// Regression (#13): `-84,1%` was stored for a rate.
TEST_F(IngestTest, AValueOutsideItsIndicatorsRangeIsRefused) {
  const IngestSummary summary = run({{"units.csv", kUnits},
                                     {"obs.csv",
                                      "indicator,unit,period,value\n"
                                      "online_dossier_rate,dong_nai,2022-Q1,\"-84,1%\"\n"
                                      "online_dossier_rate,dong_nai,2022-Q2,100.01%\n"
                                      "revenue_growth,dong_nai,2022-Q3,600%\n"
                                      "team_target,dong_nai,2022-Q3,171\n"
                                      "retail_revenue,dong_nai,2022-Q3,\"-84,1\"\n"}});
  EXPECT_FALSE(summary.committed);
  const std::string text = messages(summary);
  EXPECT_EQ(summary.error_count, 4u) << text;
  for (const char* expected : {
           "obs.csv:2: online_dossier_rate: '-84,1%' is outside 0% .. 100%, the range of a "
           "percent; if such values are right, declare the indicator's range in its rule file "
           "(t.rules:3), such as `range -100% .. 100%`\n",
           "obs.csv:3: online_dossier_rate: '100.01%' is outside 0% .. 100%, the range of a "
           "percent; if such values are right, declare the indicator's range in its rule file "
           "(t.rules:3), such as `range 0% .. 200%`\n",
           "obs.csv:4: revenue_growth: '600%' is outside the range -100% .. 500% declared for "
           "it at t.rules:6\n",
           "obs.csv:5: team_target: '171' is outside the range 0 .. 170 declared for it at "
           "t.rules:7\n",
       }) {
    EXPECT_NE(text.find(expected), std::string::npos) << expected << "\n" << text;
  }
  EXPECT_EQ(count("observations"), 0);
}

TEST_F(IngestTest, TheEndsOfARangeAreInsideIt) {
  const IngestSummary summary = run({{"units.csv", kUnits},
                                     {"obs.csv",
                                      "indicator,unit,period,value\n"
                                      "online_dossier_rate,dong_nai,2022-Q1,0%\n"
                                      "online_dossier_rate,dong_nai,2022-Q2,100%\n"
                                      "online_dossier_rate,dong_nai,2022-Q3,77.62%\n"
                                      "revenue_growth,dong_nai,2022-Q1,\"-100%\"\n"
                                      "revenue_growth,dong_nai,2022-Q2,\"-84,1%\"\n"
                                      "revenue_growth,dong_nai,2022-Q3,500%\n"
                                      "team_target,dong_nai,2022-Q3,170\n"
                                      "retail_revenue,dong_nai,2022-Q3,\"-84,1\"\n"}});
  EXPECT_TRUE(summary.committed) << messages(summary);
  EXPECT_EQ(summary.observations_added, 8u);
}

// A fraction is the part over the whole: for a percent it is refused when the part is
// larger (unless the range allows it), and a negative or zero whole is refused outright.
TEST_F(IngestTest, FractionsAreCheckedLikeTheirValue) {
  const IngestSummary summary = run({{"units.csv", kUnits},
                                     {"obs.csv",
                                      "indicator,unit,period,value\n"
                                      "online_dossier_rate,dong_nai,2022-Q1,3103499/3118174\n"
                                      "online_dossier_rate,dong_nai,2022-Q2,3118174/3103499\n"
                                      "online_dossier_rate,dong_nai,2022-Q3,392/-505\n"
                                      "online_dossier_rate,dong_nai,2022-Q4,-392/505\n"
                                      "online_dossier_rate,long_thanh,2022-Q4,392/0\n"
                                      "revenue_growth,dong_nai,2022-Q1,600/505\n"}});
  EXPECT_FALSE(summary.committed);
  const std::string text = messages(summary);
  EXPECT_EQ(summary.error_count, 4u) << text;
  EXPECT_NE(text.find("obs.csv:3: online_dossier_rate: '3118174/3103499' is outside 0% .. 100%, "
                      "the range of a percent; if such values are right, declare the "
                      "indicator's range in its rule file (t.rules:3), such as `range 0% .. "
                      "200%`; or is the fraction upside down, for 3103499/3118174?\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("obs.csv:4: online_dossier_rate: '392/-505' has a negative denominator"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("obs.csv:5: online_dossier_rate: '-392/505' has a negative numerator"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("obs.csv:6: online_dossier_rate: '392/0' has a zero denominator"),
            std::string::npos)
      << text;
  EXPECT_EQ(text.find("obs.csv:2:"), std::string::npos) << text;
  EXPECT_EQ(text.find("obs.csv:7:"), std::string::npos) << text;  // 118.8% is in its range
}

// Without a rule set the indicators' ranges are unknown: a value is only read (issue #12
// is about refusing such an ingest; until then it keeps today's behaviour).
TEST_F(IngestTest, WithoutRulesNoRangeIsChecked) {
  IngestOptions options;
  options.now = "2022-10-01T00:00:00Z";
  auto result = ingest(*db_,
                       {{"units.csv", kUnits},
                        {"obs.csv",
                         "indicator,unit,period,value\n"
                         "online_dossier_rate,dong_nai,2022-Q1,\"-84,1%\"\n"}},
                       options);
  ASSERT_TRUE(std::holds_alternative<IngestSummary>(result));
  EXPECT_TRUE(std::get<IngestSummary>(result).committed)
      << messages(std::get<IngestSummary>(result));
}

// ---------------------------------------------------------------------------------------
// Notes and estimates (issue #16), on a database file as `tiendo ingest` writes one.

class IngestEstimateTest : public IngestTest {
 protected:
  void SetUp() override {
    IngestTest::SetUp();
    auto db = Database::open(testing::test_store(dir_.path()));
    ASSERT_TRUE(std::holds_alternative<Database>(db)) << std::get<DbError>(db).message;
    db_.emplace(std::move(std::get<Database>(db)));
  }

  std::vector<ObservationRevision> revisions(const std::string& indicator,
                                             const std::string& unit = "") {
    auto result = history(*db_, indicator, unit);
    if (auto* error = std::get_if<DbError>(&result)) {
      ADD_FAILURE() << error->message;
      return {};
    }
    return std::get<std::vector<ObservationRevision>>(result);
  }

  tiendo::testing::TempDir dir_;
};

// Every accepted way to write an estimate, in CSV and in JSON: the value is the number's
// (0.835), and the estimate flag and the note are stored with it.
TEST_F(IngestEstimateTest, EveryFormOfAnEstimateIsStoredAsTheValueWithTheFlag) {
  const std::vector<std::string> forms = {"khoảng 83,5%", "khoảng 83.5%",        "~83,5%",
                                          "ước 83,5%",    "ước tính 83,5%",      "Khoảng: 83,5%",
                                          "KHOẢNG 83,5%", "khoa\xCC\x89ng 83,5%"};
  std::string csv = "indicator,unit,period,value,note\n";
  std::string json = "[\n";
  for (std::size_t i = 0; i < forms.size(); ++i) {
    // One period per form: 2014 .. 2021 in CSV, the same years' first quarters in JSON.
    csv += fmt::format("online_dossier_rate,dong_nai,{},\"{}\",số liệu ước tính\n", 2014 + i,
                       forms[i]);
    json += fmt::format(
        "  {{\"indicator\": \"online_dossier_rate\", \"unit\": \"long_thanh\", \"period\": "
        "\"Q1/{}\", \"value\": \"{}\", \"note\": \"ước tính của huyện\"}}{}\n",
        2014 + i, forms[i], i + 1 < forms.size() ? "," : "");
  }
  json += "]\n";
  const IngestSummary summary = run({{"units.csv", kUnits}, {"obs.csv", csv}, {"obs.json", json}});
  ASSERT_TRUE(summary.committed) << messages(summary);
  EXPECT_EQ(summary.observations_added, 2 * forms.size());
  for (const char* unit : {"dong_nai", "long_thanh"}) {
    const auto stored = revisions("online_dossier_rate", unit);
    ASSERT_EQ(stored.size(), forms.size()) << unit;
    for (const ObservationRevision& r : stored) {
      EXPECT_EQ(r.value, 0.835) << unit << " " << r.period_start;
      EXPECT_TRUE(r.estimate) << unit << " " << r.period_start;
    }
    EXPECT_EQ(stored[0].note,
              std::string(unit) == "dong_nai" ? "số liệu ước tính" : "ước tính của huyện");
  }
}

// The flag may also be a column: `estimate` in CSV (true, 1, có; false, 0, không; empty),
// `"estimate": true` in JSON, where a value without a word is then an estimate too.
TEST_F(IngestEstimateTest, TheEstimateColumnAndJsonTrueFlagAValue) {
  const IngestSummary summary = run({
      {"units.csv", kUnits},
      {"obs.csv",
       "indicator,unit,period,value,estimate\n"
       "online_dossier_rate,dong_nai,2019,\"83,5%\",true\n"
       "online_dossier_rate,dong_nai,2020,\"83,5%\",1\n"
       "online_dossier_rate,dong_nai,2021,\"83,5%\",Có\n"
       "online_dossier_rate,dong_nai,2022,\"83,5%\",false\n"
       "online_dossier_rate,long_thanh,2019,\"83,5%\",0\n"
       "online_dossier_rate,long_thanh,2020,\"83,5%\",không\n"
       "online_dossier_rate,long_thanh,2021,\"khoảng 83,5%\",\n"
       "online_dossier_rate,long_thanh,2022,\"83,5%\",\n"},
      {"obs.json",
       R"([{"indicator": "community_team_count", "unit": "long_phuoc", "period": "2021",
            "value": 3, "estimate": true},
           {"indicator": "community_team_count", "unit": "long_phuoc", "period": "2022",
            "value": "khoảng 4", "estimate": true},
           {"indicator": "community_team_count", "unit": "long_thanh", "period": "2022",
            "value": "4", "estimate": false}])"},
  });
  ASSERT_TRUE(summary.committed) << messages(summary);
  std::vector<bool> flags;
  for (const auto& r : revisions("online_dossier_rate")) flags.push_back(r.estimate);
  EXPECT_EQ(flags, (std::vector<bool>{true, true, true, false, false, false, true, false}));
  flags.clear();
  for (const auto& r : revisions("community_team_count")) flags.push_back(r.estimate);
  EXPECT_EQ(flags, (std::vector<bool>{true, true, false}));
}

// Like a changed note, a changed estimate flag is a new revision; the same flag again
// changes nothing. The latest revision's flag and note are what the snapshot carries.
TEST_F(IngestEstimateTest, AChangedFlagAddsARevisionAndTheSnapshotCarriesTheLatest) {
  const auto obs = [](const std::string& value, const std::string& note) {
    return IngestInput{"obs.csv",
                       "indicator,unit,period,value,note\n"
                       "online_dossier_rate,dong_nai,2022-Q3,\"" +
                           value + "\"," + note + "\n"};
  };
  ASSERT_TRUE(run({{"units.csv", kUnits}, obs("83,5%", "")}).committed);
  EXPECT_EQ(run({obs("khoảng 83,5%", "")}).observations_added, 1u);
  const IngestSummary same = run({obs("~83.5%", "")});
  EXPECT_EQ(same.observations_added, 0u);
  EXPECT_EQ(same.observations_unchanged, 1u);
  EXPECT_EQ(run({obs("khoảng 83,5%", "số liệu ước tính")}).observations_added, 1u);
  const auto stored = revisions("online_dossier_rate", "dong_nai");
  ASSERT_EQ(stored.size(), 3u);
  EXPECT_FALSE(stored[0].estimate);
  EXPECT_TRUE(stored[1].estimate);
  EXPECT_EQ(stored[1].note, "");
  EXPECT_TRUE(stored[2].estimate);
  EXPECT_EQ(stored[2].note, "số liệu ước tính");

  auto loaded = load_snapshot(*db_, rules_);
  ASSERT_TRUE(std::holds_alternative<Snapshot>(loaded));
  const Snapshot& snapshot = std::get<Snapshot>(loaded);
  const auto series =
      snapshot.series(rules_.find_indicator("online_dossier_rate"), snapshot.find_unit("dong_nai"));
  ASSERT_EQ(series.size(), 1u);
  EXPECT_EQ(series[0].revision, 3);
  EXPECT_TRUE(snapshot.estimate(series[0]));
  EXPECT_EQ(snapshot.note(series[0]), "số liệu ước tính");
  EXPECT_EQ(series[0].value, 0.835);
}

// Bad estimates are bad rows, each named with its input, line and field; nothing is written.
TEST_F(IngestEstimateTest, ABadEstimateIsAnErrorAtItsLineNamingTheField) {
  const IngestSummary summary = run({
      {"units.csv", kUnits},
      {"obs.csv",
       "indicator,unit,period,value,estimate\n"
       "online_dossier_rate,dong_nai,2019,khoảng,\n"
       "online_dossier_rate,dong_nai,2020,khoảng abc,\n"
       "online_dossier_rate,dong_nai,2021,\"83,5%\",maybe\n"
       "online_dossier_rate,dong_nai,2022,\"khoảng 83,5%\",false\n"},
      {"obs.json",
       R"([{"indicator": "online_dossier_rate", "unit": "long_thanh", "period": "2022",
            "value": "~", "note": "số liệu ước tính"},
           {"indicator": "online_dossier_rate", "unit": "long_thanh", "period": "2021",
            "value": "83,5%", "note": true}])"},
      {"status.csv",
       "task,status,date,progress\n"
       "kho_du_lieu,in_progress,2022-07-01,khoảng 40%\n"},
  });
  EXPECT_FALSE(summary.committed);
  EXPECT_EQ(count("observations"), 0);
  const std::string text = messages(summary);
  EXPECT_EQ(summary.error_count, 7u) << text;
  for (const char* expected : {
           "obs.csv:2: online_dossier_rate: 'khoảng' says the value is an estimate, but no "
           "number follows it; write the estimate as in khoảng 83,5%\n",
           "obs.csv:3: online_dossier_rate: after 'khoảng': 'abc' is not a number",
           "obs.csv:4: estimate: 'maybe' is neither true nor false; write true, false, 1, 0, có "
           "or không, or leave it empty",
           "obs.csv:5: estimate: false, but the value 'khoảng 83,5%' is written as an estimate",
           "obs.json:1: online_dossier_rate: '~' says the value is an estimate, but no number "
           "follows it",
           "obs.json:3: \"note\" is true; a value must be a string or a number\n",
           "status.csv:2: progress: 'khoảng 40%' is written as an estimate, which only an "
           "observation's value may be",
       }) {
    EXPECT_NE(text.find(expected), std::string::npos) << expected << "\nnot in:\n" << text;
  }
}

// A task status is no observation: `"estimate": true` there is an unknown column.
TEST_F(IngestEstimateTest, OnlyObservationsHaveAnEstimateColumn) {
  const IngestSummary summary = run(
      {{"status.json",
        R"([{"task": "kho_du_lieu", "status": "done", "date": "1/7/2022", "estimate": true}])"}});
  EXPECT_FALSE(summary.committed);
  ASSERT_EQ(summary.error_count, 1u) << messages(summary);
  EXPECT_NE(summary.errors[0].message.find("unknown column 'estimate'"), std::string::npos)
      << messages(summary);
}

}  // namespace
}  // namespace tiendo::store

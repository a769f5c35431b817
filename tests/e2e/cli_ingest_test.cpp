// End-to-end tests of `tiendo ingest` and `tiendo history` through the built binary,
// on real SQLite files.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "run.hpp"

namespace tiendo::testing {
namespace {

const std::string kSource = TIENDO_SOURCE_DIR;

std::string examples_command(const std::string& db) {
  return "ingest --db " + shell_quote(db) + " --rules " + shell_quote(kSource + "/rules") + " " +
         shell_quote(kSource + "/examples/units.csv") + " " +
         shell_quote(kSource + "/examples/observations-2022.csv") + " " +
         shell_quote(kSource + "/examples/community-teams.csv") + " " +
         shell_quote(kSource + "/examples/task-status.json");
}

TEST(CliIngest, LoadsTheExamplesAndAgainChangesNothing) {
  TempDir dir;
  const std::string db = dir.path() + "/t.db";
  RunResult first = run_tiendo(examples_command(db));
  ASSERT_EQ(first.exit_code, 0) << first.err;
  EXPECT_NE(first.out.find("56 units written"), std::string::npos) << first.out;
  EXPECT_NE(first.out.find("65 observations added"), std::string::npos) << first.out;
  EXPECT_NE(first.out.find("23 task statuses added"), std::string::npos) << first.out;
  EXPECT_NE(first.out.find("rows/s"), std::string::npos) << first.out;

  RunResult again = run_tiendo(examples_command(db));
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_NE(again.out.find("0 observations added (65 unchanged)"), std::string::npos) << again.out;
  EXPECT_NE(again.out.find("0 task statuses added (23 unchanged)"), std::string::npos);

  const RunResult history =
      run_tiendo("history --db " + shell_quote(db) + " --format json online_service_rate dong_nai");
  ASSERT_EQ(history.exit_code, 0) << history.err;
  const auto json = nlohmann::json::parse(history.out);
  ASSERT_EQ(json.size(), 3u);  // Q1, Q2 (illustrative) and the report's Q3 figure
  const auto& q3 = json[2];
  EXPECT_EQ(q3["period_start"], "2022-07-01");
  EXPECT_EQ(q3["numerator"], 392);
  EXPECT_EQ(q3["denominator"], 505);
  EXPECT_EQ(q3["revision"], 1);
}

TEST(CliIngest, BadRowsAreListedWithTheirLinesAndNothingIsWritten) {
  TempDir dir;
  const std::string db = dir.path() + "/t.db";
  write_text(dir.path() + "/units.csv", "unit;name;level;parent\r\ndn;Đồng Nai;province;\r\n");
  write_text(dir.path() + "/obs.csv",
             "\xEF\xBB\xBFindicator,unit,period,value,source\n"
             "online_dossier_rate,dn,Quý III/2022,\"9,23%\",BC 231\n"
             "online_dossier_rate,dn,Quý V/2022,9%,BC 231\n"
             "smartphone_rate,dn,2022,83.5,BC 231\n");
  const RunResult run = run_tiendo(
      "ingest --db t.db --rules " + shell_quote(kSource + "/rules") + " units.csv obs.csv",
      dir.path());
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_NE(run.err.find("obs.csv:3: "), std::string::npos) << run.err;
  EXPECT_NE(run.err.find("obs.csv:4: smartphone_rate: "), std::string::npos) << run.err;
  EXPECT_NE(run.err.find("--percent-as"), std::string::npos) << run.err;
  EXPECT_NE(run.err.find("nothing was written"), std::string::npos) << run.err;
  const RunResult history = run_tiendo("history --db t.db online_dossier_rate", dir.path());
  EXPECT_NE(history.out.find("no observations"), std::string::npos) << history.out;

  const RunResult skip = run_tiendo("ingest --db t.db --skip-bad --rules " +
                                        shell_quote(kSource + "/rules") + " units.csv obs.csv",
                                    dir.path());
  EXPECT_EQ(skip.exit_code, 3) << skip.err;
  EXPECT_NE(skip.out.find("1 observation added"), std::string::npos) << skip.out;
  EXPECT_NE(skip.out.find("2 bad rows skipped"), std::string::npos) << skip.out;
}

TEST(CliIngest, ReadsStandardInputAndRecordsRevisions) {
  TempDir dir;
  write_text(dir.path() + "/units.csv", "unit,name,level,parent\ndn,Đồng Nai,province,\n");
  ASSERT_EQ(run_tiendo("ingest --db t.db units.csv", dir.path()).exit_code, 0);
  // Issue #12: without a rule set to check them against, observations are refused unless
  // asked for (nothing is written), and stored unchecked with --unchecked.
  const RunResult refused = run_tiendo("ingest --db t.db -", dir.path(),
                                       "indicator,unit,period,value\nrate,dn,2022-Q3,9%\n");
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_NE(refused.err.find("<stdin>:1: this input holds observations, whose names, units and "
                             "ranges are checked against the rule set: give --rules (or "
                             "--unchecked to store them unchecked)"),
            std::string::npos)
      << refused.err;
  EXPECT_EQ(run_tiendo("history --db t.db rate", dir.path()).out.find("<stdin>"),
            std::string::npos);
  RunResult first = run_tiendo("ingest --db t.db --unchecked -", dir.path(),
                               "indicator,unit,period,value\nrate,dn,2022-Q3,9%\n");
  ASSERT_EQ(first.exit_code, 0) << first.err;
  RunResult second = run_tiendo("ingest --db t.db --unchecked -", dir.path(),
                                "indicator,unit,period,value\nrate,dn,Q3/2022,\"9,23%\"\n");
  ASSERT_EQ(second.exit_code, 0) << second.err;
  const RunResult history = run_tiendo("history --db t.db rate", dir.path());
  EXPECT_EQ(history.exit_code, 0);
  EXPECT_NE(history.out.find("<stdin>:2"), std::string::npos) << history.out;
  EXPECT_NE(history.out.find("  2  "), std::string::npos) << history.out;  // revision 2
  EXPECT_NE(history.out.find("0.0923"), std::string::npos) << history.out;
}

TEST(CliIngest, UsageAndDatabaseErrorsAreClear) {
  TempDir dir;
  EXPECT_EQ(run_tiendo("ingest x.csv", dir.path()).exit_code, 2);  // --db missing
  EXPECT_EQ(run_tiendo("ingest --db t.db --decimal both x.csv", dir.path()).exit_code, 2);
  const RunResult missing = run_tiendo("ingest --db t.db nope.csv", dir.path());
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.err.find("nope.csv: error: cannot read"), std::string::npos) << missing.err;
  write_text(dir.path() + "/not.db", std::string(5000, 'x'));
  write_text(dir.path() + "/u.csv", "unit,name,level,parent\ndn,ĐN,province,\n");
  const RunResult bad_db = run_tiendo("ingest --db not.db u.csv", dir.path());
  EXPECT_EQ(bad_db.exit_code, 1);
  EXPECT_NE(bad_db.err.find("not a usable tiendo database"), std::string::npos) << bad_db.err;
}

// Regression (#13): a NUL byte in `source` was stored.
TEST(CliIngest, ControlCharactersAreRefusedWithTheRowAndTheField) {
  using namespace std::string_literals;
  TempDir dir;
  write_text(dir.path() + "/units.csv", "unit,name,level,parent\ndn,Đồng Nai,province,\n");
  write_text(dir.path() + "/obs.csv",
             "indicator,unit,period,value,source\n"
             "online_dossier_rate,dn,2022-Q3,9%,BC\0"
             "231\n"s);
  write_text(dir.path() + "/obs.json",
             R"([{"indicator": "online_dossier_rate", "unit": "dn", "period": "2022-Q2",
  "value": "8%", "note": "ghi\u0000chú"}])");
  const RunResult run = run_tiendo(
      "ingest --db t.db --rules " + shell_quote(kSource + "/rules") + " units.csv obs.csv obs.json",
      dir.path());
  EXPECT_EQ(run.exit_code, 1) << run.err;
  EXPECT_NE(run.err.find("obs.csv:2: source: a control character (0x00, NUL) at character 3; "
                         "text fields may hold tabs but no other control characters\n"),
            std::string::npos)
      << run.err;
  EXPECT_NE(run.err.find("obs.json:1: note: a control character (0x00, NUL) at character 4; a "
                         "note may hold tabs and line breaks but no other control characters\n"),
            std::string::npos)
      << run.err;
  EXPECT_NE(run.err.find("nothing was written: 2 bad rows"), std::string::npos) << run.err;
  const RunResult history = run_tiendo("history --db t.db online_dossier_rate", dir.path());
  EXPECT_NE(history.out.find("no observations"), std::string::npos) << history.out;
}

// Regression (#13): `-84,1%` was stored for a rate; a rule file may widen the range.
TEST(CliIngest, AValueOutsideItsIndicatorsRangeIsRefusedUnlessTheRulesAllowIt) {
  TempDir dir;
  write_text(dir.path() + "/units.csv", "unit,name,level,parent\ndn,Đồng Nai,province,\n");
  write_text(dir.path() + "/obs.csv",
             "indicator,unit,period,value\n"
             "online_dossier_rate,dn,2022-Q3,\"-84,1%\"\n");
  const RunResult refused = run_tiendo(
      "ingest --db t.db --rules " + shell_quote(kSource + "/rules") + " units.csv obs.csv",
      dir.path());
  EXPECT_EQ(refused.exit_code, 1) << refused.err;
  EXPECT_NE(refused.err.find("obs.csv:2: online_dossier_rate: '-84,1%' is outside 0% .. 100%, "
                             "the range of a percent; if such values are right, declare the "
                             "indicator's range in its rule file ("),
            std::string::npos)
      << refused.err;
  EXPECT_NE(refused.err.find("dong-nai-2022.rules:48), such as `range -100% .. 100%`"),
            std::string::npos)
      << refused.err;

  write_text(dir.path() + "/growth.rules",
             "levels province\n"
             "indicator online_dossier_rate { unit percent range -100% .. 100% }\n");
  const RunResult allowed =
      run_tiendo("ingest --db t.db --rules growth.rules units.csv obs.csv", dir.path());
  EXPECT_EQ(allowed.exit_code, 0) << allowed.err;
  EXPECT_NE(allowed.out.find("1 observation added"), std::string::npos) << allowed.out;
}

// Regression (#13): a 100 MB line was ingested with 600 MB of memory. A long row is refused
// at its line and the rows after it are still read (and named when bad).
TEST(CliIngest, ARowLongerThan64KiBIsRefusedAtItsLine) {
  TempDir dir;
  write_text(dir.path() + "/units.csv", "unit,name,level,parent\ndn,Đồng Nai,province,\n");
  write_text(dir.path() + "/obs.csv",
             "indicator,unit,period,value,note\n"
             "online_dossier_rate,dn,2022-Q3,9%," +
                 std::string(4 << 20, 'x') +
                 "\n"
                 "online_dossier_rate,dn,2022-Q2,8%,\n"
                 "online_dossier_rate,dn,2022-Q5,8%,\n");
  const RunResult run = run_tiendo(
      "ingest --db t.db --rules " + shell_quote(kSource + "/rules") + " units.csv obs.csv",
      dir.path());
  EXPECT_EQ(run.exit_code, 1) << run.err;
  EXPECT_NE(run.err.find("obs.csv:2: the row is longer than 64 KiB; a row is at most 64 KiB"),
            std::string::npos)
      << run.err.substr(0, 2000);
  EXPECT_NE(run.err.find("obs.csv:4: "), std::string::npos) << run.err.substr(0, 2000);
  EXPECT_EQ(run.err.find("obs.csv:3:"), std::string::npos) << run.err.substr(0, 2000);
  EXPECT_LT(run.err.size(), 2000u);  // the row itself is not quoted back
}

TEST(CliIngest, AnInputOver1GiBIsRefusedBeforeItIsRead) {
  TempDir dir;
  write_text(dir.path() + "/huge.csv", "indicator,unit,period,value\n");
  std::filesystem::resize_file(dir.path() + "/huge.csv", (std::uintmax_t{1} << 30) + 1);  // sparse
  const RunResult run = run_tiendo("ingest --db t.db huge.csv", dir.path());
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_EQ(run.err, "huge.csv: error: larger than 1 GiB, the most an input may be; split it\n");
}

}  // namespace
}  // namespace tiendo::testing

// End-to-end: the examples loaded into a real database and `tiendo report` on the
// provincial report's date, in Markdown, HTML and CSV, through the binary.
#include <gtest/gtest.h>

#include <filesystem>
#include <optional>
#include <regex>
#include <string>
#include <vector>

#include "run.hpp"
#include "support/test_store.hpp"

namespace tiendo::testing {
namespace {

const std::string kSource = TIENDO_SOURCE_DIR;

class CliReport : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = test_store(dir_.path(), "examples.db");
    const RunResult ingest = ingest_examples(db_);
    ASSERT_EQ(ingest.exit_code, 0) << ingest.err;
  }

  RunResult report(const std::string& args) {
    return run_tiendo("report --db " + shell_quote(db_) + " --rules rules " + args, kSource);
  }

  TempDir dir_;
  std::string db_;
};

TEST_F(CliReport, MarkdownFollowsTheProvincialTable) {
  const RunResult run = report("--at 2022-09-30");  // md is the default
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const std::string& md = run.out;
  // Issue #16: the title names the province, the root unit of units.csv.
  EXPECT_EQ(md.rfind("# Báo cáo tiến độ thực hiện mục tiêu, chỉ tiêu tỉnh Đồng Nai\n", 0), 0u)
      << md;
  EXPECT_NE(md.find("Tính đến ngày 30/9/2022"), std::string::npos);
  // Worst first, as present::rule_state_order lists states everywhere.
  EXPECT_NE(md.find("Tổng hợp 27 dòng kết quả: Có nguy cơ không đạt 3, Bị chặn 1, "
                    "Chưa có số liệu 3, Đúng tiến độ 2, Đạt 7, Chưa đến hạn 11."),
            std::string::npos)
      << md;
  // Issue #16: a target shows the documents it rests on.
  EXPECT_NE(md.find("| Tỷ lệ dân số có điện thoại thông minh đạt 85% (Căn cứ: Quyết định "
                    "27/QĐ-UBQGCS ngày 15/3/2022) |"),
            std::string::npos)
      << md;
  // A `for each` rule over a set: its heading row counts the three pilot communes.
  EXPECT_NE(md.find("| 03 xã thí điểm có Tổ công nghệ số cộng đồng trong quý III/2022 (Căn cứ: "
                    "Kế hoạch 130/KH-UBND ngày 08/6/2022; Văn bản 2588/UBND-KGVX ngày "
                    "15/3/2022) | ≥ 1, hạn "
                    "30/9/2022 |  | Đạt: 3/3 đơn vị |"),
            std::string::npos)
      << md;
  EXPECT_NE(md.find("| STT | Chỉ tiêu | Mục tiêu | Kết quả | Trạng thái |"), std::string::npos);

  // The groups of section I.2.a, in its order.
  const std::size_t infrastructure = md.find("| **I** | **Phát triển hạ tầng số** |");
  const std::size_t government = md.find("| **II** | **Phát triển chính phủ số** |");
  const std::size_t economy = md.find("| **III** | **Phát triển kinh tế số và xã hội số** |");
  ASSERT_NE(infrastructure, std::string::npos) << md;
  ASSERT_NE(government, std::string::npos) << md;
  ASSERT_NE(economy, std::string::npos) << md;
  EXPECT_LT(infrastructure, government);
  EXPECT_LT(government, economy);

  EXPECT_NE(md.find("| 1 | Tỷ lệ dân số có điện thoại thông minh đạt 85% (Căn cứ: Quyết định "
                    "27/QĐ-UBQGCS ngày 15/3/2022) | ≥ 85%, hạn 31/12/2022 | 83,5% (bảng I.2.a in "
                    "83.5%; mục I.5.a ghi khoảng 83,5%) | Đúng tiến độ"),
            std::string::npos)
      << md;
  EXPECT_NE(md.find("| 77,62% (392/505) |"), std::string::npos);
  EXPECT_NE(md.find("| 9,23% | Có nguy cơ không đạt: dự báo 11,07% vào 31/12/2022"),
            std::string::npos);
  EXPECT_NE(md.find("≥ 100%, từ 01/6/2022"), std::string::npos);
  EXPECT_NE(md.find("| · Thành phố Biên Hòa |  | — | Chưa đến hạn |"), std::string::npos) << md;
  EXPECT_NE(md.find("Bị chặn: chờ nhiệm vụ “Xây dựng Cổng dữ liệu mở”"), std::string::npos);
  EXPECT_NE(md.find("“Đánh giá tỷ lệ doanh nghiệp sử dụng hợp đồng điện tử” (Cục Thuế"),
            std::string::npos);

  const std::size_t tasks =
      md.find("## Nhiệm vụ quá hạn, bị chặn, chưa báo cáo hoặc có nguy cơ trễ hạn");
  ASSERT_NE(tasks, std::string::npos);
  const std::size_t portal = md.find(
      "| Xây dựng Cổng dữ liệu mở | Sở Thông tin và Truyền thông | "
      "31/12/2022 | 12/02/2023 | Có nguy cơ trễ hạn | "
      "Nguyên nhân gốc: “Xây dựng Kho cơ sở dữ liệu dùng chung”. Báo cáo ngày 19/9/2022: “BC "
      "231 mục I.2.a, chỉ tiêu II.5: \"Chưa xây dựng Kho cơ sở dữ liệu dùng chung và Cổng dữ "
      "liệu mở\"” |");
  EXPECT_NE(portal, std::string::npos) << md;
  EXPECT_LT(tasks, portal);
}

// Issue #12: tasks nobody has reported on are listed as "Chưa báo cáo" once they should
// have started (section IV's tasks with Quý IV/2022), and a listed task shows the note of
// its last report, in Markdown and in HTML.
TEST_F(CliReport, TasksNotReportedAndTheNotesOfReportsAreListed) {
  const RunResult run = report("--at 'tháng 10/2022'");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const std::string& md = run.out;
  EXPECT_NE(md.find("Tính đến ngày 31/10/2022"), std::string::npos) << md;
  const std::size_t tasks =
      md.find("## Nhiệm vụ quá hạn, bị chặn, chưa báo cáo hoặc có nguy cơ trễ hạn");
  ASSERT_NE(tasks, std::string::npos) << md;
  EXPECT_NE(md.find("Chưa báo cáo 3"), std::string::npos) << md;
  const std::size_t silent = md.find(
      "| Hoàn thành 22 nhiệm vụ, giải pháp theo hướng dẫn tại văn bản số 797/BTTTT-THH | "
      "Sở Thông tin và Truyền thông | 31/12/2022 | 31/10/2022 | Chưa báo cáo | "
      "Chưa có báo cáo nào; lẽ ra đã bắt đầu từ 01/10/2022 |");
  EXPECT_NE(silent, std::string::npos) << md;
  EXPECT_LT(tasks, silent);
  const std::size_t noted = md.find(
      "| Xây dựng Kho cơ sở dữ liệu dùng chung | Sở Thông tin và Truyền thông | 31/12/2022 | "
      "29/01/2023 | Có nguy cơ trễ hạn | Báo cáo ngày 19/9/2022: “BC 231 mục I.2.a, chỉ tiêu "
      "II.5: \"Chưa xây dựng Kho cơ sở dữ liệu dùng chung và Cổng dữ liệu mở\"” |");
  EXPECT_NE(noted, std::string::npos) << md;
  EXPECT_LT(silent, noted);  // not reported comes before at risk

  const RunResult html = report("--at 'tháng 10/2022' --format html");
  ASSERT_EQ(html.exit_code, 0) << html.err;
  EXPECT_NE(html.out.find("<span class=\"badge amber\">Chưa báo cáo</span>"), std::string::npos);
  EXPECT_NE(html.out.find("<div class=\"note\">Báo cáo ngày 19/9/2022: “BC 231 mục I.2.a, chỉ "
                          "tiêu II.5: &quot;Chưa xây dựng Kho cơ sở dữ liệu dùng chung và Cổng "
                          "dữ liệu mở&quot;”</div>"),
            std::string::npos)
      << html.out;
}

// Issue #12: past the deadlines the verdicts stand, and the table says what they rest on:
// an old figure, or none.
TEST_F(CliReport, AfterTheDeadlinesVerdictsSayWhatTheyRestOn) {
  const RunResult run = report("--at 2023-01-31");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_NE(run.out.find("| 9,23% | Không đạt: đã hết hạn 31/12/2022; chưa có số liệu tại hạn, "
                         "số liệu gần nhất đến 30/9/2022 |"),
            std::string::npos)
      << run.out;
  EXPECT_NE(run.out.find("| — | Không đạt: đã hết hạn 31/12/2022; không có số liệu |"),
            std::string::npos)
      << run.out;
  // A share names the units behind it (issue #12, point 3).
  EXPECT_NE(run.out.find("| 91,67% | Không đạt: đã hết hạn 30/9/2022; 33/36 đơn vị; chưa đạt: "
                         "Xã Gia Canh, Xã Sông Ray, Xã Tà Lài |"),
            std::string::npos)
      << run.out;
  EXPECT_EQ(run.out.find("Số liệu cũ"), std::string::npos) << run.out;
}

TEST_F(CliReport, HtmlIsOneSelfContainedPrintablePage) {
  const RunResult run = report("--at 2022-09-30 --format html");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const std::string& page = run.out;
  EXPECT_EQ(page.rfind("<!DOCTYPE html>", 0), 0u);
  EXPECT_NE(page.find("<html lang=\"vi\">"), std::string::npos);
  EXPECT_NE(page.find("<title>Báo cáo tiến độ thực hiện mục tiêu, chỉ tiêu tỉnh Đồng Nai – "
                      "30/9/2022</title>"),
            std::string::npos)
      << page;
  EXPECT_NE(page.find("<h1>Báo cáo tiến độ thực hiện mục tiêu, chỉ tiêu tỉnh Đồng Nai</h1>"),
            std::string::npos);
  EXPECT_NE(page.find("<meta charset=\"utf-8\">"), std::string::npos);
  EXPECT_NE(page.find("@media print"), std::string::npos);
  EXPECT_NE(page.find("<svg"), std::string::npos);
  EXPECT_NE(page.find("Tỷ lệ dân số có điện thoại thông minh"), std::string::npos);
  EXPECT_NE(page.find("83,5%"), std::string::npos);
  EXPECT_NE(page.find("≥ 85%"), std::string::npos);
  EXPECT_NE(page.find("Có nguy cơ không đạt"), std::string::npos);
  EXPECT_NE(page.find("Phát triển hạ tầng số"), std::string::npos);
  EXPECT_NE(page.find("Phát triển chính phủ số"), std::string::npos);
  EXPECT_NE(page.find("Phát triển kinh tế số và xã hội số"), std::string::npos);
  EXPECT_NE(page.find("Nhiệm vụ quá hạn, bị chặn, chưa báo cáo hoặc có nguy cơ trễ hạn"),
            std::string::npos);
  EXPECT_NE(page.find("<td>Xây dựng Cổng dữ liệu mở</td>"), std::string::npos);

  // Nothing is fetched: no stylesheet, script, image, frame or font from elsewhere.
  EXPECT_EQ(page.find("http://"), std::string::npos);
  EXPECT_EQ(page.find("https://"), std::string::npos);
  const std::regex external(R"(<(link|script|img|iframe|object|embed)\b|url\()", std::regex::icase);
  EXPECT_FALSE(std::regex_search(page, external));
}

// Issue #19: the HTML report has a trend chart under each target row with two
// observations or more, and `--since` opens the report with what changed since the run on
// or before that date (a run the command line recorded).
TEST_F(CliReport, ChartsUnderTheRowsAndWhatChangedSinceARun) {
  const RunResult html = report("--at 2022-09-30 --format html");
  ASSERT_EQ(html.exit_code, 0) << html.err;
  const std::string& page = html.out;
  std::size_t charts = 0;
  for (std::size_t at = page.find("<figure class=\"chart\"><svg role=\"img\"");
       at != std::string::npos; at = page.find("<figure class=\"chart\"><svg", at + 1)) {
    ++charts;
  }
  EXPECT_GE(charts, 3u);
  EXPECT_NE(page.find("aria-labelledby=\"chart-online_dossier_2022-dong_nai-t"), std::string::npos);
  // The Markdown has no pictures.
  EXPECT_EQ(report("--at 2022-09-30").out.find("<svg"), std::string::npos);

  // No run recorded yet: said so.
  RunResult none = report("--at 2022-09-30 --since 2022-07-01");
  EXPECT_EQ(none.exit_code, 1);
  EXPECT_NE(none.err.find("--since: no run evaluated on or before 2022-07-01 is recorded in"),
            std::string::npos)
      << none.err;
  const RunResult recorded =
      run_tiendo("run --db " + shell_quote(db_) + " --rules rules --at 2022-06-30", kSource);
  ASSERT_EQ(recorded.exit_code, 0) << recorded.err;
  const RunResult md = report("--at 2022-09-30 --since 2022-07-01");
  ASSERT_EQ(md.exit_code, 0) << md.err;
  EXPECT_NE(md.out.find("## Thay đổi từ ngày 01/7/2022\n\nSo với lần đánh giá số 1 (ngày "
                        "30/6/2022).\n\n**"),
            std::string::npos)
      << md.out.substr(0, 2000);
  EXPECT_NE(md.out.find("chỉ tiêu chuyển sang đạt"), std::string::npos);
  EXPECT_NE(md.out.find("- Nhiệm vụ Xây dựng Cổng dữ liệu mở: Đúng tiến độ → Có nguy cơ trễ hạn"),
            std::string::npos)
      << md.out.substr(0, 2000);
  // Before the tables.
  EXPECT_LT(md.out.find("## Thay đổi"), md.out.find("## Tình hình thực hiện"));
  const RunResult en = report("--at 2022-09-30 --since 2022-07-01 --format html --lang en");
  ASSERT_EQ(en.exit_code, 0) << en.err;
  EXPECT_NE(en.out.find("<h2>What changed since 2022-07-01</h2>"), std::string::npos);
  EXPECT_NE(en.out.find("Compared with run 1 (evaluated on 2022-06-30)."), std::string::npos);
  // Usage errors: the CSV, a date that is none.
  EXPECT_EQ(report("--at 2022-09-30 --since 2022-07-01 --format csv").exit_code, 2);
  const RunResult bad = report("--at 2022-09-30 --since yesterday");
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("--since: "), std::string::npos) << bad.err;
}

// Issue #12: a `for each` rule's heading row names the units that fail (ten, then how
// many more), as a share's row does.
TEST_F(CliReport, AForEachRuleNamesItsFailingUnits) {
  const RunResult run = report("--at 2023-01-15");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_NE(run.out.find("| Bị chặn: 11/11 đơn vị; chưa đạt: Thành phố Biên Hòa, Huyện Cẩm Mỹ, "
                         "Huyện Định Quán, Thành phố Long Khánh, Huyện Long Thành, Huyện Nhơn "
                         "Trạch, Huyện Tân Phú, Huyện Thống Nhất, Huyện Trảng Bom, Huyện Vĩnh Cửu "
                         "và 1 đơn vị khác |"),
            std::string::npos)
      << run.out;
}

TEST_F(CliReport, CsvParsesBackWithTwelveColumnsOnEveryRow) {
  const RunResult run = report("--at 2022-09-30 --format csv");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  ASSERT_EQ(run.out.rfind("\xEF\xBB\xBF", 0), 0u);
  EXPECT_NE(run.out.find("\r\n"), std::string::npos);  // CRLF records, as RFC 4180 says
  const auto rows = csv_rows(run.out.substr(3));
  ASSERT_TRUE(rows.has_value()) << run.out;
  ASSERT_EQ(rows->size(), 28u);  // the header and one row per rule result
  EXPECT_EQ((*rows)[0], (std::vector<std::string>{"stt", "nhom", "chi_tieu", "don_vi", "muc_tieu",
                                                  "ket_qua", "trang_thai", "ly_do", "han", "can_cu",
                                                  "ghi_chu", "dieu_chinh"}));
  for (const auto& row : *rows) EXPECT_EQ(row.size(), 12u);
  const auto& smartphone = (*rows)[1];
  EXPECT_EQ(smartphone[0], "1");
  EXPECT_EQ(smartphone[1], "Phát triển hạ tầng số");
  EXPECT_EQ(smartphone[2], "Tỷ lệ dân số có điện thoại thông minh đạt 85%");
  EXPECT_EQ(smartphone[3], "Tỉnh Đồng Nai");
  EXPECT_EQ(smartphone[9], "Quyết định 27/QĐ-UBQGCS ngày 15/3/2022");  // issue #16: its basis
  EXPECT_EQ(smartphone[4], "≥ 85%");
  EXPECT_EQ(smartphone[5], "83,5%");
  EXPECT_EQ(smartphone[6], "Đúng tiến độ");
  // Issue #16: the figure's note, whole.
  EXPECT_EQ(smartphone[10], "bảng I.2.a in 83.5%; mục I.5.a ghi khoảng 83,5%");
  EXPECT_EQ(smartphone[8], "31/12/2022");
  std::size_t districts = 0;
  for (const auto& row : *rows) {
    if (row[2].find("cấp huyện") != std::string::npos) {
      ++districts;
      EXPECT_EQ(row[6], "Chưa đến hạn");
      EXPECT_EQ(row[8], "từ 01/12/2022");
    }
  }
  EXPECT_EQ(districts, 11u);
}

// Issue #16: a rule added without `label group` lands under "IV Khác", after the groups
// of section I.2.a, numbered 1 there; `tiendo check` and the report itself say so, where
// the rule is written.
TEST_F(CliReport, ANewRuleWithoutAGroupLandsUnderKhacAndIsWarnedOf) {
  const std::string extra = dir_.path() + "/them.rules";
  write_text(extra,
             "rule smartphone_2023 {\n"
             "  title \"Tỷ lệ dân số có điện thoại thông minh đạt 90%\"\n"
             "  require smartphone_rate >= 90% by 2023-12-31\n"
             "}\n");
  const std::string warning =
      "them.rules:1:6: warning: rule 'smartphone_2023' has no `label group`, which other rules "
      "have; the report lists it under 'Khác', after every group (label group = \"…\" places "
      "it) [W107]\n";

  const RunResult check = run_tiendo("check --color never rules " + shell_quote(extra), kSource);
  EXPECT_EQ(check.exit_code, 0) << check.out;  // a warning, not an error
  EXPECT_NE(check.out.find(warning), std::string::npos) << check.out;
  EXPECT_NE(check.out.find("0 errors, 1 warning"), std::string::npos) << check.out;

  const RunResult run = report("--at 2022-09-30 --rules " + shell_quote(extra));
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_NE(run.err.find(warning), std::string::npos) << run.err;
  const std::string& md = run.out;
  const std::size_t economy = md.find("| **III** | **Phát triển kinh tế số và xã hội số** |");
  const std::size_t other = md.find("| **IV** | **Khác** |");
  const std::size_t added = md.find("| 1 | Tỷ lệ dân số có điện thoại thông minh đạt 90% |");
  ASSERT_NE(economy, std::string::npos) << md;
  ASSERT_NE(other, std::string::npos) << md;
  ASSERT_NE(added, std::string::npos) << md;
  EXPECT_LT(economy, other);
  EXPECT_LT(other, added);
  EXPECT_LT(added, md.find("## Nhiệm vụ quá hạn"));
  EXPECT_EQ(md.find("| **V** |"), std::string::npos);
}

// Issue #16: the report defaults to Vietnamese and speaks English on request: every word
// the report itself writes (headings, columns, states, summaries, reasons, causes, the
// group of rules without one), its figures and dates; the data's own words (titles,
// names, notes, group names) stay as written. The document form stays Vietnamese.
TEST_F(CliReport, LangEnWritesEveryWordOfTheReportInEnglish) {
  const std::string extra = dir_.path() + "/them.rules";
  write_text(extra,
             "rule smartphone_2023 {\n"
             "  title \"Smartphone rate 90%\"\n"
             "  require smartphone_rate >= 90% by 2023-12-31\n"
             "}\n");
  RunResult run = report("--at 2022-09-30 --lang en --rules " + shell_quote(extra));
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const std::string& md = run.out;
  for (const std::string_view english :
       {"# Progress on targets and indicators: Tỉnh Đồng Nai\n\nAs of 2022-09-30\n",
        "result rows: At risk of missing 3,", "## Targets and indicators",
        "| No. | Target | Goal | Result | State |",
        "| 2 | Tỷ lệ hồ sơ thủ tục hành chính xử lý trực tuyến đạt 50% (Basis: Decision "
        "27/QĐ-UBQGCS of 2022-03-15) | ≥ 50%, by 2022-12-31 | 9.23% | At risk of missing: "
        "projected 11.07% on 2022-12-31; must rise ",
        "Not yet due: 11/11 units", "33/36 units; failing: Xã Gia Canh", "| **IV** | **Other** |",
        "| 1 | Smartphone rate 90% | ≥ 90%, by 2023-12-31 |",
        "## Tasks overdue, blocked, not reported or at risk",
        "| No. | Task | Owner | Due | Earliest finish | State | Cause |", "Root cause: “"}) {
    EXPECT_NE(md.find(english), std::string::npos) << english << "\n" << md;
  }
  // None of the report's own Vietnamese words.
  for (const std::string_view vietnamese : {"Tính đến ngày",
                                            "Tổng hợp",
                                            "dòng kết quả",
                                            "Tình hình thực hiện",
                                            "Trạng thái",
                                            "Mục tiêu",
                                            "Kết quả",
                                            "Căn cứ",
                                            "dự báo",
                                            "cần tăng",
                                            "đang tăng",
                                            "hạn 31",
                                            "Khác",
                                            "Nhiệm vụ quá hạn",
                                            "Đơn vị chủ trì",
                                            "Nguyên nhân",
                                            "chờ nhiệm vụ",
                                            "Có nguy cơ",
                                            "Đạt",
                                            "Chưa đến hạn",
                                            " đơn vị",
                                            "Báo cáo ngày",
                                            "Quyết định",
                                            "ngày 15/3/2022"}) {
    EXPECT_EQ(md.find(vietnamese), std::string::npos) << vietnamese << "\n" << md;
  }

  run = report("--at 2022-09-30 --lang en --format html");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_NE(run.out.find("<html lang=\"en\">"), std::string::npos);
  EXPECT_NE(run.out.find("<p class=\"as-of\">As of 2022-09-30</p>"), std::string::npos);
  EXPECT_NE(run.out.find("<th>Target</th><th>Goal</th><th>Result</th><th>State</th>"),
            std::string::npos);
  EXPECT_NE(run.out.find(" of the goal</title>"), std::string::npos);
  EXPECT_EQ(run.out.find("mục tiêu</title>"), std::string::npos);
  EXPECT_EQ(run.out.find("Tính đến ngày"), std::string::npos);

  run = report("--at 2022-09-30 --lang en --format csv");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  // The same header for programs; the states and dates in English.
  EXPECT_NE(run.out.find("stt,nhom,chi_tieu,don_vi,muc_tieu,ket_qua,trang_thai,ly_do,han,"),
            std::string::npos);
  EXPECT_NE(run.out.find(",At risk of missing,"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find(",from 2022-06-01,"), std::string::npos) << run.out;

  // Vietnamese stays the default, and the document form is Vietnamese only.
  run = report("--at 2022-09-30");
  EXPECT_NE(run.out.find("Tính đến ngày 30/9/2022"), std::string::npos);
  for (const std::string format : {"pdf", "docx"}) {
    run = report("--at 2022-09-30 --lang en --format " + format + " --output " +
                 shell_quote(dir_.path() + "/r." + format));
    EXPECT_EQ(run.exit_code, 2) << format;
    EXPECT_NE(run.err.find("--lang en is for --format md, html or csv"), std::string::npos)
        << run.err;
  }
  run = report("--at 2022-09-30 --lang en --format html --document");
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_NE(report("--lang fr").exit_code, 0);
}

TEST_F(CliReport, OutputIsWrittenAtomicallyAndNothingIsPrinted) {
  const std::string path = dir_.path() + "/bao-cao.html";
  write_text(path, "old report");
  const RunResult run = report("--at 2022-09-30 --format html --output " + shell_quote(path));
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(run.out, "");
  EXPECT_EQ(read_text(path), report("--at 2022-09-30 --format html").out);
  std::size_t files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir_.path())) {
    (void)entry;
    ++files;
  }
  // The database (a file on SQLite) and the report: no temporary file left behind.
  EXPECT_EQ(files, on_postgres() ? 1u : 2u);

  EXPECT_EQ(report("--at 2022-09-30 --output " + shell_quote(dir_.path() + "/no/such/dir/r.md"))
                .exit_code,
            1);
  EXPECT_EQ(report("--at 2022-09-30 --format odt").exit_code, 2);
  EXPECT_EQ(report("--at 2022-02-30").exit_code, 2);
}

}  // namespace
}  // namespace tiendo::testing

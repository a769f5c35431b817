// The committee report: Vietnamese numbers and dates, the grouping and order of the
// table, one row per unit, the task section, escaping in HTML and Markdown, and CSV
// that parses back. Each test builds a rule set from rules text and a snapshot by hand,
// evaluates it, and reads the three formats.
#include "report/committee.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "../e2e/run.hpp"
#include "dsl/check.hpp"
#include "dsl/parse.hpp"

namespace tiendo::report {
namespace {

model::Date day(std::string_view text) {
  std::string error;
  const auto period = model::parse_period(text, error);
  EXPECT_TRUE(period.has_value()) << text << ": " << error;
  return period ? period->last : model::Date{};
}

struct Unit {
  std::string id;
  std::string name;
  std::string level;   // empty: none
  std::string parent;  // empty: a root
};

struct Observation {
  Observation(std::string indicator_name, std::string unit_id, std::string period_text,
              double number, std::optional<double> top = std::nullopt,
              std::optional<double> bottom = std::nullopt)
      : indicator(std::move(indicator_name)),
        unit(std::move(unit_id)),
        period(std::move(period_text)),
        value(number),
        numerator(top),
        denominator(bottom) {}
  std::string indicator;
  std::string unit;
  std::string period;
  double value = 0;
  std::optional<double> numerator;
  std::optional<double> denominator;
  std::string note;  // empty: none
  bool estimate = false;
};

struct Status {
  std::string task;
  model::TaskStatus status = model::TaskStatus::not_started;
  std::string date;
  std::string note;  // empty: none
};

// A rule set, a snapshot and the results on a date, held together because the results
// point into the snapshot.
class World {
 public:
  World(const std::string& rules_text, const std::vector<Unit>& units,
        const std::vector<Observation>& observations, const std::vector<Status>& statuses,
        std::string_view at) {
    dsl::Program program = dsl::load_text("committee_test.rules", rules_text);
    auto checked = dsl::check(program);
    if (!checked) {
      std::string messages;
      for (const dsl::Diagnostic& d : program.diagnostics.all()) {
        messages += dsl::render(d, program.sources);
      }
      ADD_FAILURE() << "the rules do not check:\n" << messages;
      return;
    }
    rules_ = std::move(*checked);
    for (const Unit& u : units) {
      store::SnapshotUnit unit;
      unit.id = u.id;
      unit.name = u.name;
      unit.level_name = u.level;
      unit.level = u.level.empty() ? model::kNone : rules_.find_level(u.level);
      snapshot_.add_unit(std::move(unit));
    }
    for (const Unit& u : units) {
      if (!u.parent.empty())
        snapshot_.set_parent(snapshot_.find_unit(u.id), snapshot_.find_unit(u.parent));
    }
    for (const Observation& o : observations) {
      std::string error;
      const auto period = model::parse_period(o.period, error);
      EXPECT_TRUE(period.has_value()) << error;
      store::Point point;
      point.set_period(period->first, period->last);
      point.value = o.value;
      snapshot_.add_point(rules_.find_indicator(o.indicator), snapshot_.find_unit(o.unit), point,
                          store::PointDetail{o.numerator, o.denominator, o.note, o.estimate});
    }
    for (const Status& s : statuses) {
      snapshot_.add_status(
          rules_.find_task(s.task),
          {day(s.date), s.status, std::nullopt, s.note.empty() ? -1 : snapshot_.intern(s.note)});
    }
    snapshot_.finish(rules_.tasks.size());
    results_ = eval::evaluate(rules_, snapshot_, day(at));
    ok_ = true;
  }
  World(const World&) = delete;
  World& operator=(const World&) = delete;

  bool ok() const { return ok_; }
  std::string md() const { return markdown(rules_, snapshot_, results_); }
  std::string page() const { return html(rules_, snapshot_, results_); }
  std::string table() const { return csv(rules_, snapshot_, results_); }

 private:
  model::RuleSet rules_;
  store::Snapshot snapshot_;
  eval::Results results_;
  bool ok_ = false;
};

std::size_t position(const std::string& text, std::string_view needle) {
  const std::size_t at = text.find(needle);
  EXPECT_NE(at, std::string::npos) << "missing: " << needle << "\nin:\n" << text;
  return at;
}

// ---------------------------------------------------------------------------------------

// Declared out of order on purpose: groups keep their first appearance, rows follow
// their stt as numbers (9 before 10), rules without stt continue the numbering, and
// rules without a group come last under "Khác".
constexpr const char* kGroupedRules = R"(
indicator rate { title "Tỷ lệ chung" unit percent }
rule b2 { title "Chỉ tiêu B2"  require rate >= 50% by 2022-12-31  label group = "Nhóm B"  label stt = "2" }
rule a10 { title "Chỉ tiêu A10"  require rate >= 50% by 2022-12-31  label group = "Nhóm A"  label stt = "10" }
rule loose { title "Chỉ tiêu lẻ"  require rate >= 50% by 2022-12-31 }
rule b1 { title "Chỉ tiêu B1"  require rate >= 50% by 2022-12-31  label group = "Nhóm B"  label stt = "1" }
rule bx { title "Chỉ tiêu BX"  require rate >= 50% by 2022-12-31  label group = "Nhóm B" }
rule a9 { require rate >= 50% by 2022-12-31  label group = "Nhóm A"  label stt = "9" }
)";

TEST(CommitteeReport, GroupsInFirstAppearanceOrderAndRowsByNumericStt) {
  World world(kGroupedRules, {{"tinh", "Tỉnh Thử", "", ""}}, {{"rate", "tinh", "2022-Q3", 0.6}}, {},
              "2022-09-30");
  ASSERT_TRUE(world.ok());
  const std::string md = world.md();
  const std::size_t b = position(md, "| **I** | **Nhóm B** |");
  const std::size_t a = position(md, "| **II** | **Nhóm A** |");
  const std::size_t other = position(md, "| **III** | **Khác** |");
  EXPECT_LT(b, a);
  EXPECT_LT(a, other);
  EXPECT_LT(b, position(md, "| 1 | Chỉ tiêu B1 |"));
  EXPECT_LT(position(md, "| 1 | Chỉ tiêu B1 |"), position(md, "| 2 | Chỉ tiêu B2 |"));
  EXPECT_LT(position(md, "| 2 | Chỉ tiêu B2 |"), position(md, "| 3 | Chỉ tiêu BX |"));
  EXPECT_LT(position(md, "| 3 | Chỉ tiêu BX |"), a);
  // A rule without a title shows its indicator's title.
  EXPECT_LT(a, position(md, "| 9 | Tỷ lệ chung |"));
  EXPECT_LT(position(md, "| 9 | Tỷ lệ chung |"), position(md, "| 10 | Chỉ tiêu A10 |"));
  EXPECT_LT(position(md, "| 10 | Chỉ tiêu A10 |"), other);
  EXPECT_LT(other, position(md, "| 1 | Chỉ tiêu lẻ |"));

  EXPECT_NE(md.find("Tính đến ngày 30/9/2022"), std::string::npos);
  EXPECT_NE(md.find("Tổng hợp 6 dòng kết quả: Đạt 6."), std::string::npos) << md;
  EXPECT_NE(md.find("| ≥ 50%, hạn 31/12/2022 | 60% | Đạt |"), std::string::npos) << md;

  const auto rows = tiendo::testing::csv_rows(world.table().substr(3));
  ASSERT_TRUE(rows.has_value());
  ASSERT_EQ(rows->size(), 7u);
  const std::vector<std::pair<std::string, std::string>> order = {
      {"1", "Chỉ tiêu B1"}, {"2", "Chỉ tiêu B2"},   {"3", "Chỉ tiêu BX"},
      {"9", "Tỷ lệ chung"}, {"10", "Chỉ tiêu A10"}, {"1", "Chỉ tiêu lẻ"}};
  for (std::size_t i = 0; i < order.size(); ++i) {
    EXPECT_EQ((*rows)[i + 1][0], order[i].first) << i;
    EXPECT_EQ((*rows)[i + 1][2], order[i].second) << i;
  }
  EXPECT_EQ((*rows)[1][1], "Nhóm B");
  EXPECT_EQ((*rows)[6][1], "Khác");
}

// Issue #16: row numbers as docs/language.md writes them, dotted ones compared part by
// part (2.9 before 2.10, 3 after them), then a row number the report cannot order, as
// written, and a rule without one, numbered on from the group's highest whole number.
TEST(CommitteeReport, DottedRowNumbersComePartByPart) {
  World world(R"(
indicator rate { title "Tỷ lệ chung" unit percent }
rule r210 { title "Hàng 2.10"  require rate >= 50% by 2022-12-31  label group = "Nhóm"  label stt = "2.10" }
rule r3 { title "Hàng 3"  require rate >= 50% by 2022-12-31  label group = "Nhóm"  label stt = "3" }
rule roman { title "Hàng II.4"  require rate >= 50% by 2022-12-31  label group = "Nhóm"  label stt = "II.4" }
rule r29 { title "Hàng 2.9"  require rate >= 50% by 2022-12-31  label group = "Nhóm"  label stt = "2.9" }
rule next { title "Hàng tiếp"  require rate >= 50% by 2022-12-31  label group = "Nhóm" }
rule r2 { title "Hàng 2"  require rate >= 50% by 2022-12-31  label group = "Nhóm"  label stt = "2" }
)",
              {{"tinh", "Tỉnh Thử", "", ""}}, {{"rate", "tinh", "2022-Q3", 0.6}}, {}, "2022-09-30");
  ASSERT_TRUE(world.ok());
  const std::string md = world.md();
  const std::vector<std::string> rows = {"| 2 | Hàng 2 |",       "| 2.9 | Hàng 2.9 |",
                                         "| 2.10 | Hàng 2.10 |", "| 3 | Hàng 3 |",
                                         "| II.4 | Hàng II.4 |", "| 4 | Hàng tiếp |"};
  for (std::size_t i = 1; i < rows.size(); ++i) {
    EXPECT_LT(position(md, rows[i - 1]), position(md, rows[i])) << rows[i];
  }
}

// Issue #16: the Markdown and HTML titles name the root unit, the administrative word in
// lower case as running text writes it; with no root or several, the title names none.
TEST(CommitteeReport, TheTitleNamesTheRootUnit) {
  const std::string title = "Báo cáo tiến độ thực hiện mục tiêu, chỉ tiêu";
  // The Markdown's first line, and the HTML's heading (the same as its <title>).
  const auto titled = [&](const std::vector<Unit>& units) {
    World world(kGroupedRules, units, {}, {}, "2022-09-30");
    EXPECT_TRUE(world.ok());
    const std::string md = world.md();
    const std::string page = world.page();
    const std::size_t h1 = page.find("<h1>") + 4;
    const std::string heading = page.substr(h1, page.find("</h1>", h1) - h1);
    EXPECT_NE(page.find("<title>" + heading + " – 30/9/2022</title>"), std::string::npos) << page;
    return std::pair(md.substr(0, md.find('\n')), heading);
  };
  EXPECT_EQ(titled({{"tinh", "Tỉnh Thử", "", ""}}),
            std::pair("# " + title + " tỉnh Thử", title + " tỉnh Thử"));
  EXPECT_EQ(titled({{"hcm", "Thành phố Hồ Chí Minh", "", ""}}).second,
            title + " thành phố Hồ Chí Minh");
  EXPECT_EQ(titled({{"tinh", "Đồng Nai", "", ""}, {"huyen", "Huyện Một", "", "tinh"}}).second,
            title + " Đồng Nai");
  // A root without a name by its id, as the document's heading names it.
  EXPECT_EQ(titled({{"dong_nai", "", "", ""}}),
            std::pair("# " + title + " dong\\_nai", title + " dong_nai"));
  EXPECT_EQ(titled({{"a", "Tỉnh A", "", ""}, {"b", "Tỉnh B", "", ""}}),
            std::pair("# " + title, title));
  EXPECT_EQ(titled({}), std::pair("# " + title, title));
}

constexpr const char* kUnitsAndTasks = R"(
levels province > district
indicator rate { title "Tỷ lệ số hóa" unit percent }
indicator services { title "Số dịch vụ" unit count }
task survey { title "Khảo sát hiện trạng" owner "Sở A" due 2022-08-31 }
task warehouse { title "Xây dựng kho dữ liệu" owner "Sở B" due 2022-12-31 duration 30d }
task portal { title "Xây dựng cổng dữ liệu" owner "Sở B" after warehouse due 2022-12-31 duration 30d }
rule per_district {
  title "Số hóa tại cấp huyện"
  require rate >= 80% from 2022-06-01 for each district
  label group = "Chính phủ số"  label stt = "1"
}
rule services_2022 {
  title "Số dịch vụ công"
  require services >= 5000 by 2022-12-31
  label group = "Chính phủ số"  label stt = "2"
}
rule open_data {
  title "Dữ liệu mở"
  require rate >= 50% by 2022-12-31
  needs portal
  label group = "Chính phủ số"  label stt = "3"
}
)";

TEST(CommitteeReport, ForEachRulesHaveOneRowPerUnitAndLateTasksAreListed) {
  World world(kUnitsAndTasks,
              {{"tinh", "Tỉnh Thử", "province", ""},
               {"h1", "Huyện Một", "district", "tinh"},
               {"h2", "Huyện Hai", "district", "tinh"}},
              {{"rate", "h1", "2022-07", 0.9},
               {"rate", "h2", "2022-07", 0.7},
               {"rate", "tinh", "2022-Q3", 0.2},
               {"services", "tinh", "2022-Q3", 3103499, 392, 505}},
              {{"warehouse", model::TaskStatus::blocked, "2022-09-15", ""}}, "2022-09-30");
  ASSERT_TRUE(world.ok());
  const std::string md = world.md();
  EXPECT_NE(md.find("| 1 | Số hóa tại cấp huyện | ≥ 80%, từ 01/6/2022 |"), std::string::npos) << md;
  EXPECT_NE(md.find("Vi phạm: 1/2; Đạt yêu cầu: 1/2 đơn vị"), std::string::npos) << md;
  EXPECT_NE(md.find("| · Huyện Một |  | 90% | Đạt yêu cầu |"), std::string::npos) << md;
  EXPECT_NE(md.find("| · Huyện Hai |  | 70% | Vi phạm: không đạt từ ngày 31/7/2022 |"),
            std::string::npos)
      << md;
  EXPECT_NE(md.find("3.103.499 (392/505)"), std::string::npos) << md;
  EXPECT_NE(md.find("≥ 5.000"), std::string::npos) << md;

  // The task section: overdue first, then blocked (with the root cause).
  const std::size_t section =
      position(md, "## Nhiệm vụ quá hạn, bị chặn, chưa báo cáo hoặc có nguy cơ trễ hạn");
  const std::size_t overdue = position(md, "| 1 | Khảo sát hiện trạng | Sở A | 31/8/2022 |");
  EXPECT_LT(section, overdue);
  EXPECT_NE(md.find("| Quá hạn |"), std::string::npos);
  const std::size_t warehouse = position(md, "| 2 | Xây dựng kho dữ liệu | Sở B |");
  const std::size_t portal = position(md, "| 3 | Xây dựng cổng dữ liệu | Sở B |");
  EXPECT_LT(overdue, warehouse);
  EXPECT_LT(warehouse, portal);
  EXPECT_NE(md.find("Bị chặn | Nguyên nhân gốc: “Xây dựng kho dữ liệu” |"), std::string::npos)
      << md;
  // The rule that needs the blocked portal names it and the root cause.
  EXPECT_NE(md.find("Bị chặn: chờ nhiệm vụ “Xây dựng cổng dữ liệu” (bị chặn); nguyên nhân gốc: "
                    "“Xây dựng kho dữ liệu”"),
            std::string::npos)
      << md;

  const auto rows = tiendo::testing::csv_rows(world.table().substr(3));
  ASSERT_TRUE(rows.has_value());
  ASSERT_EQ(rows->size(), 5u);  // header, two districts, two province rules
  EXPECT_EQ((*rows)[1][3], "Huyện Một");
  EXPECT_EQ((*rows)[2][3], "Huyện Hai");
  EXPECT_EQ((*rows)[2][6], "Vi phạm");
  EXPECT_EQ((*rows)[2][8], "từ 01/6/2022");
  EXPECT_EQ((*rows)[3][3], "Tỉnh Thử");
  EXPECT_EQ((*rows)[3][5], "3.103.499 (392/505)");
  EXPECT_EQ((*rows)[3][8], "31/12/2022");
}

TEST(CommitteeReport, SaysSoWhenNoTaskIsLate) {
  World world(kGroupedRules, {{"tinh", "Tỉnh Thử", "", ""}}, {}, {}, "2022-09-30");
  ASSERT_TRUE(world.ok());
  const std::string text =
      "Không có nhiệm vụ nào quá hạn, bị chặn, chưa báo cáo hoặc có nguy cơ trễ hạn.";
  EXPECT_NE(world.md().find(text), std::string::npos);
  EXPECT_NE(world.page().find(text), std::string::npos);
  EXPECT_NE(world.md().find("| — | Chưa có số liệu |"), std::string::npos) << world.md();
}

// Issue #12: a task nobody has reported on is listed as "Chưa báo cáo", after the blocked
// ones and before those at risk, and a listed task shows its last report's note.
TEST(CommitteeReport, TasksNotReportedAndTheNotesOfReportsAreListed) {
  World world(R"(
indicator rate { unit percent }
task silent { title "Hoàn thành 22 nhiệm vụ" owner "Sở A" starts Quý IV/2022 due Quý IV/2022 }
task slow { title "Thủ tục đầu tư" owner "Sở B" due 2022-12-31 duration 90d }
task later { title "Việc năm sau" due 2023-12-31 }
)",
              {{"tinh", "Tỉnh Thử", "", ""}}, {},
              {{"slow", model::TaskStatus::in_progress, "2022-09-19", "vướng thủ tục đầu tư"}},
              "2022-10-15");
  ASSERT_TRUE(world.ok());
  const std::string md = world.md();
  EXPECT_NE(md.find("Tổng số 3 nhiệm vụ: Chưa báo cáo 1, Có nguy cơ trễ hạn 1, Đúng tiến độ 1."),
            std::string::npos)
      << md;
  const std::size_t silent =
      position(md,
               "| 1 | Hoàn thành 22 nhiệm vụ | Sở A | 31/12/2022 | 15/10/2022 | Chưa báo cáo | "
               "Chưa có báo cáo nào; lẽ ra đã bắt đầu từ 01/10/2022 |");
  const std::size_t slow =
      position(md,
               "| 2 | Thủ tục đầu tư | Sở B | 31/12/2022 | 13/01/2023 | Có nguy cơ trễ hạn | "
               "Báo cáo ngày 19/9/2022: “vướng thủ tục đầu tư” |");
  EXPECT_LT(silent, slow);
  EXPECT_EQ(md.find("Việc năm sau"), std::string::npos) << md;

  const std::string page = world.page();
  EXPECT_NE(page.find("<span class=\"badge amber\">Chưa báo cáo</span>"), std::string::npos)
      << page;
  EXPECT_NE(page.find("<div>Chưa có báo cáo nào; lẽ ra đã bắt đầu từ 01/10/2022</div>"),
            std::string::npos)
      << page;
  EXPECT_NE(page.find("<div class=\"note\">Báo cáo ngày 19/9/2022: “vướng thủ tục đầu tư”</div>"),
            std::string::npos)
      << page;
}

constexpr const char* kHostileRules = R"(
indicator rate { unit percent }
task t { title "Việc <i>nghiêng</i> & \"gấp\"" owner "Sở <A>" due 2022-01-31 }
rule r {
  title "Tỷ lệ <script>alert('x')</script> | \"đạt\", 50%\ncó xuống dòng"
  require rate >= 50% by 2022-12-31
  label group = "Nhóm <b>đậm</b> & \"trích\""
  label stt = "1"
}
)";

TEST(CommitteeReport, HtmlEscapesEveryText) {
  World world(kHostileRules, {{"tinh", "Tỉnh <Thử> & 'Con'", "", ""}},
              {{"rate", "tinh", "2022-Q3", 0.3}}, {}, "2022-09-30");
  ASSERT_TRUE(world.ok());
  const std::string page = world.page();
  EXPECT_EQ(page.find("<script"), std::string::npos);
  EXPECT_EQ(page.find("<i>"), std::string::npos);
  EXPECT_EQ(page.find("<b>đậm"), std::string::npos);
  EXPECT_EQ(page.find("<A>"), std::string::npos);
  EXPECT_NE(page.find("Tỷ lệ &lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; | &quot;đạt&quot;"),
            std::string::npos);
  EXPECT_NE(page.find("Nhóm &lt;b&gt;đậm&lt;/b&gt; &amp; &quot;trích&quot;"), std::string::npos);
  EXPECT_NE(page.find("Việc &lt;i&gt;nghiêng&lt;/i&gt; &amp; &quot;gấp&quot;"), std::string::npos);
  EXPECT_NE(page.find("Sở &lt;A&gt;"), std::string::npos);

  EXPECT_NE(page.find("<html lang=\"vi\">"), std::string::npos);
  EXPECT_NE(page.find("<meta charset=\"utf-8\">"), std::string::npos);
  EXPECT_NE(page.find("@media print"), std::string::npos);
  EXPECT_NE(page.find("<svg"), std::string::npos);  // 30% of 50%: a bar
  EXPECT_EQ(page.find("http://"), std::string::npos);
  EXPECT_EQ(page.find("https://"), std::string::npos);

  // Markdown: the pipe cannot end the cell, the line break cannot end the row.
  const std::string md = world.md();
  EXPECT_NE(md.find("Tỷ lệ \\<script\\>alert('x')\\</script\\> \\| \"đạt\", 50% có xuống dòng"),
            std::string::npos)
      << md;
}

TEST(CommitteeReport, CsvHasABomCrlfAndQuotedFieldsThatParseBack) {
  World world(kHostileRules, {{"tinh", "Tỉnh <Thử> & 'Con'", "", ""}},
              {{"rate", "tinh", "2022-Q3", 0.3}}, {}, "2022-09-30");
  ASSERT_TRUE(world.ok());
  const std::string text = world.table();
  ASSERT_EQ(text.substr(0, 3), "\xEF\xBB\xBF");
  EXPECT_EQ(
      text.substr(3, text.find("\r\n") - 3),
      "stt,nhom,chi_tieu,don_vi,muc_tieu,ket_qua,trang_thai,ly_do,han,can_cu,ghi_chu,dieu_chinh");
  const auto rows = tiendo::testing::csv_rows(text.substr(3));
  ASSERT_TRUE(rows.has_value()) << text;
  ASSERT_EQ(rows->size(), 2u);
  for (const auto& row : *rows) EXPECT_EQ(row.size(), 12u);
  const auto& row = (*rows)[1];
  EXPECT_EQ(row[0], "1");
  EXPECT_EQ(row[1], "Nhóm <b>đậm</b> & \"trích\"");
  EXPECT_EQ(row[2], "Tỷ lệ <script>alert('x')</script> | \"đạt\", 50%\ncó xuống dòng");
  EXPECT_EQ(row[3], "Tỉnh <Thử> & 'Con'");
  EXPECT_EQ(row[4], "≥ 50%");
  EXPECT_EQ(row[5], "30%");
  EXPECT_EQ(row[6], "Có nguy cơ không đạt");
  EXPECT_EQ(row[8], "31/12/2022");
  EXPECT_NE(text.find("\"Tỷ lệ <script>alert('x')</script> | \"\"đạt\"\", 50%\ncó xuống dòng\""),
            std::string::npos);
}

// ---------------------------------------------------------------------------------------
// Notes and estimates (issue #16)

// An observation with a note, or given as an estimate.
Observation remarked(Observation o, std::string note, bool estimate) {
  o.note = std::move(note);
  o.estimate = estimate;
  return o;
}

constexpr const char* kRemarkedRules = R"(
levels province > commune
indicator rate { title "Tỷ lệ" unit percent }
indicator teams { title "Số tổ" unit count }
rule rate_province { title "Tỷ lệ của tỉnh"  require rate >= 50% by 2022-12-31  label stt = "1" }
rule teams_total { title "Tổng số tổ"  require sum(teams, commune) >= 10 by 2022-12-31  label stt = "2" }
rule teams_each { title "Tổ ở mỗi xã"  require teams >= 1 by 2022-12-31  for each commune  label stt = "3" }
)";

// The shown figure's own note and estimate go beside it; an older observation's note does
// not, nor do the notes of the units a total adds up, though their estimate makes the
// total one; each unit's row of a `for each` rule has its own.
TEST(CommitteeReport, AFiguresOwnNotesAndEstimateGoBesideIt) {
  const World w(kRemarkedRules,
                {{"dn", "Đồng Nai", "province", ""},
                 {"a", "Xã A", "commune", "dn"},
                 {"b", "Xã B", "commune", "dn"}},
                {remarked({"rate", "dn", "Q2/2022", 0.07}, "số liệu quý II", false),
                 remarked({"rate", "dn", "Q3/2022", 0.0923}, "số liệu ước tính", false),
                 remarked({"teams", "a", "Q3/2022", 4}, "theo báo cáo của xã", true),
                 remarked({"teams", "b", "Q3/2022", 3}, "", false)},
                {}, "2022-09-30");
  ASSERT_TRUE(w.ok());
  const std::string md = w.md();
  position(md, "| 9,23% (số liệu ước tính) |");
  EXPECT_EQ(md.find("số liệu quý II"), std::string::npos) << md;
  position(md, "| Tổng số tổ | ≥ 10, hạn 31/12/2022 | khoảng 7 |");
  position(md, "| · Xã A |  | khoảng 4 (theo báo cáo của xã) |");
  position(md, "| · Xã B |  | 3 |");

  const std::string page = w.page();
  position(page, "<div class=\"value\">9,23%</div>");
  position(page, "<div class=\"note\">số liệu ước tính</div>");
  position(page, "<div class=\"value\">khoảng 4</div>");

  const auto rows = testing::csv_rows(w.table());
  ASSERT_TRUE(rows.has_value());
  ASSERT_EQ(rows->front()[10], "ghi_chu");
  std::vector<std::vector<std::string>> shown;
  for (std::size_t i = 1; i < rows->size(); ++i) {
    shown.push_back({(*rows)[i][3], (*rows)[i][5], (*rows)[i][10]});
  }
  EXPECT_EQ(shown,
            (std::vector<std::vector<std::string>>{{"Đồng Nai", "9,23%", "số liệu ước tính"},
                                                   {"Đồng Nai", "khoảng 7", ""},
                                                   {"Xã A", "khoảng 4", "theo báo cáo của xã"},
                                                   {"Xã B", "3", ""}}));
}

}  // namespace
}  // namespace tiendo::report

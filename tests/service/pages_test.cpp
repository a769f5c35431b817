// The pages below the dashboard (issue #19), on the repository's example evaluated at
// 30/9/2022: a target's page at a unit (its chart, facts, explanation, states over the runs
// as a timeline, alerts and silences), a `for each` target's page listing its units, a
// unit's page (its targets, the units within with their targets met, links up and down),
// in both languages, self-contained, every link relative.
#include "service/pages.hpp"

#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "alert/alert.hpp"
#include "eval/evaluate.hpp"
#include "present/labels.hpp"
#include "support/example_suite.hpp"
#include "support/page_language.hpp"

namespace tiendo::service {
namespace {

using model::Language;

std::size_t count(std::string_view text, std::string_view part) {
  return testing::occurrences(text, part);
}

// Nothing loaded from elsewhere, nothing run, every link relative to the page (a proxy may
// serve the pages under a path of its own).
void expect_self_contained(const std::string& page) {
  for (std::string_view banned : {"http://", "https://", "<script", "<link", "<iframe", "<img",
                                  "@import", "url(", " src=\"", "javascript:", "href=\"/"}) {
    EXPECT_EQ(page.find(banned), std::string::npos) << "the page contains " << banned;
  }
  EXPECT_GT(count(page, " href="), 1u);
}

std::string_view section(std::string_view page, std::string_view id) {
  return testing::page_section(page, id);
}

class ExamplePages : public testing::ExampleSuite {
 protected:
  PageBasics basics(Language language = Language::vi) const {
    return {&rules(), &snapshot(), &results(), language, {}, "2022-09-30T20:15:00Z"};
  }
  store::UnitIndex unit(std::string_view id) const {
    const store::UnitIndex u = snapshot().find_unit(std::string(id));
    EXPECT_GE(u, 0) << id;
    return u;
  }
  RulePageData rule_page(std::string_view rule, std::string_view unit_id,
                         Language language = Language::vi) const {
    RulePageData d;
    d.basics = basics(language);
    d.rule = rules().find_rule(rule);
    EXPECT_NE(d.rule, model::kNone) << rule;
    d.now = "2022-09-30T20:15:00Z";
    if (!unit_id.empty()) {
      d.unit = unit(unit_id);
      d.course = eval::target_course(rules(), snapshot(), d.rule, d.unit, results().at);
    }
    return d;
  }
};

TEST_F(ExamplePages, ATargetAtAUnitShowsItsChartFactsAndWhy) {
  RulePageData d = rule_page("online_dossier_2022", "dong_nai");
  ASSERT_TRUE(d.course.has_value());
  ASSERT_GE(d.course->points.size(), 2u);
  const std::string page = render_rule_page(d);
  EXPECT_EQ(page.rfind("<!DOCTYPE html>\n<html lang=\"vi\">", 0), 0u);
  // The title names the target and the unit; the breadcrumbs go back up.
  EXPECT_NE(page.find("<h1>Tỷ lệ hồ sơ thủ tục hành chính xử lý trực tuyến đạt 50% — Tỉnh Đồng "
                      "Nai</h1>"),
            std::string::npos);
  EXPECT_NE(page.find("<li><a href=\"../\">Bảng theo dõi tiến độ</a></li><li><a "
                      "href=\"../units/dong_nai\">Tỉnh Đồng Nai</a></li><li "
                      "aria-current=\"page\">"),
            std::string::npos);
  const std::string_view facts = section(page, "chi-tieu");
  EXPECT_NE(facts.find("<code>online_dossier_rate &gt;= 50% by 2022-12-31</code>"),
            std::string_view::npos);
  EXPECT_NE(facts.find("Quyết định 27/QĐ-UBQGCS ngày 15/3/2022"), std::string_view::npos);
  EXPECT_NE(facts.find("<dd>9,23%</dd>"), std::string_view::npos);
  EXPECT_NE(facts.find(">Có nguy cơ không đạt</span>"), std::string_view::npos);
  EXPECT_NE(facts.find("dự báo"), std::string_view::npos);  // the explanation
  // The chart: an accessible inline SVG with the target's line and the deadline.
  const std::string_view chart = section(page, "bieu-do");
  EXPECT_NE(chart.find("<svg"), std::string_view::npos);
  EXPECT_NE(chart.find("role=\"img\""), std::string_view::npos);
  EXPECT_NE(chart.find("≥ 50%"), std::string_view::npos);
  EXPECT_NE(chart.find("31/12/2022"), std::string_view::npos);
  EXPECT_EQ(chart.find("Chưa đủ số liệu"), std::string_view::npos);
  expect_self_contained(page);
}

TEST_F(ExamplePages, TheTimelineJoinsRunsOfOneStateAndTheAlertsAndSilencesShow) {
  RulePageData d = rule_page("online_dossier_2022", "dong_nai");
  // Newest first, as the store gives them: two spans of one state (the figures moved)
  // read as one entry.
  d.timeline = {{5, "2022-09-30", 0, "", "at_risk", "{}"},
                {3, "2022-08-31", 5, "2022-09-30", "at_risk", "{}"},
                {1, "2022-06-30", 3, "2022-08-31", "on_track", "{}"}};
  alert::AlertRecord a;
  a.subject = alert::Subject::rule;
  a.name = "online_dossier_2022";
  a.unit = "dong_nai";
  a.state = "at_risk";
  a.severity = model::Severity::warning;
  a.lifecycle = alert::Lifecycle::firing;
  a.since = *model::parse_iso_date("2022-08-31");
  d.alerts = {a};
  d.alerts_total = 3;
  alert::Silence s;
  s.id = 7;
  std::string error;
  s.matchers = {*alert::parse_matcher("rule=online_dossier_2022", error)};
  s.starts_at = "2022-09-01T00:00:00Z";
  s.ends_at = "2022-10-01T00:00:00Z";
  s.author = "ops";
  s.comment = "chờ số liệu quý IV";
  d.silences = {s};
  const std::string page = render_rule_page(d);
  const std::string_view timeline = section(page, "lich-su");
  EXPECT_EQ(count(timeline, "<li class="), 2u);
  EXPECT_NE(timeline.find("Từ lần 3 (ngày 31/8/2022) đến nay"), std::string_view::npos);
  EXPECT_NE(timeline.find("Từ lần 1 (ngày 30/6/2022) đến lần 3 (ngày 31/8/2022)"),
            std::string_view::npos);
  EXPECT_NE(timeline.find(">Đúng tiến độ</span>"), std::string_view::npos);
  const std::string_view alerts = section(page, "canh-bao");
  EXPECT_NE(alerts.find("<td>đang kích hoạt</td>"), std::string_view::npos);
  EXPECT_NE(alerts.find("Hiển thị 1 trên 3 cảnh báo."), std::string_view::npos);
  EXPECT_NE(alerts.find("<code>rule=&quot;online_dossier_2022&quot;</code>"),
            std::string_view::npos);
  EXPECT_NE(alerts.find("chờ số liệu quý IV"), std::string_view::npos);
  // Without spans: said so.
  d.timeline.clear();
  EXPECT_NE(render_rule_page(d).find("Chưa có lần đánh giá nào được lưu."), std::string::npos);
}

TEST_F(ExamplePages, AForEachTargetListsItsUnitsWithLinksToEach) {
  const RulePageData d = rule_page("to_cnscd_xa_thi_diem", "");
  const std::string page = render_rule_page(d);
  const std::string_view units = section(page, "don-vi");
  ASSERT_FALSE(units.empty());
  const model::Index rule = rules().find_rule("to_cnscd_xa_thi_diem");
  const auto results_of = eval::results_of(results(), rule);
  ASSERT_GT(results_of.size(), 1u);
  for (const eval::RuleResult& r : results_of) {
    const std::string& id = snapshot().units()[static_cast<std::size_t>(r.unit)].id;
    EXPECT_NE(units.find("href=\"../rules/to_cnscd_xa_thi_diem?unit=" + id + "\""),
              std::string_view::npos)
        << id;
  }
  EXPECT_NE(units.find("đơn vị đạt"), std::string_view::npos);
  // No chart and no timeline without a unit.
  EXPECT_TRUE(section(page, "bieu-do").empty());
  EXPECT_TRUE(section(page, "lich-su").empty());
  expect_self_contained(page);
}

TEST_F(ExamplePages, WithoutTwoObservationsThereIsNoChartAndItSaysWhy) {
  RulePageData d = rule_page("online_dossier_2022", "dong_nai");
  d.course.reset();
  EXPECT_NE(render_rule_page(d).find("Chưa đủ số liệu để vẽ biểu đồ"), std::string::npos);
}

TEST_F(ExamplePages, AUnitShowsItsTargetsAndTheUnitsWithinLinkingUpAndDown) {
  UnitPageData d;
  d.basics = basics();
  d.unit = unit("dong_nai");
  const std::string page = render_unit_page(d);
  EXPECT_NE(page.find("<h1>Tỉnh Đồng Nai</h1>"), std::string::npos);
  const std::string_view targets = section(page, "chi-tieu");
  std::size_t own = 0;
  for (const eval::RuleResult& r : results().rules) own += r.unit == d.unit ? 1 : 0;
  ASSERT_GT(own, 0u);
  EXPECT_EQ(count(targets, "<tr><td><a href=\"../rules/"), own);
  EXPECT_NE(targets.find("href=\"../rules/online_dossier_2022?unit=dong_nai\""),
            std::string_view::npos);
  const std::string_view within = section(page, "don-vi-truc-thuoc");
  EXPECT_NE(within.find("href=\"../units/bien_hoa\">Thành phố Biên Hòa</a>"),
            std::string_view::npos);
  EXPECT_NE(within.find("chỉ tiêu đạt"), std::string_view::npos);
  expect_self_contained(page);

  // A district: the province above it in the breadcrumbs.
  d.unit = unit("bien_hoa");
  const std::string district = render_unit_page(d);
  EXPECT_NE(district.find("<li><a href=\"../units/dong_nai\">Tỉnh Đồng Nai</a></li><li "
                          "aria-current=\"page\">Thành phố Biên Hòa</li>"),
            std::string::npos);
}

// The pages in English: the page's own words English (the data's names stay as written).
TEST_F(ExamplePages, InEnglishThePagesOwnWordsAreEnglish) {
  RulePageData rule = rule_page("online_dossier_2022", "dong_nai", Language::en);
  rule.timeline = {{1, "2022-06-30", 0, "", "at_risk", "{}"}};
  const std::string page = render_rule_page(rule);
  EXPECT_EQ(page.rfind("<!DOCTYPE html>\n<html lang=\"en\">", 0), 0u);
  for (std::string_view part : {"<h2>Target</h2>", "<dt>Requirement</dt>", "<h2>Over time</h2>",
                                "<h2>State over past runs</h2>", "From run 1 (2022-06-30) to now",
                                "Deadline 2022-12-31", "href=\"../units/dong_nai?lang=en\""}) {
    EXPECT_NE(page.find(part), std::string::npos) << part;
  }
  UnitPageData unit_page;
  unit_page.basics = basics(Language::en);
  unit_page.unit = unit("dong_nai");
  const std::string unit_text = render_unit_page(unit_page);
  for (std::string_view part :
       {"<h2>This unit&#39;s targets</h2>", "<h2>Units within</h2>", "targets met",
        "href=\"../rules/online_dossier_2022?unit=dong_nai&amp;lang=en\""}) {
    EXPECT_NE(unit_text.find(part), std::string::npos) << part;
  }
}

}  // namespace
}  // namespace tiendo::service

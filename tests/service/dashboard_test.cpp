// The dashboard page for the real Đồng Nai rule set (rules/ with the data of examples/
// ingested into an in-memory store and evaluated on 30/9/2022, the report's date): the
// Vietnamese sections, one row per result, badges and progress bars, tasks by due date,
// the plan graph as SVG or as a nested list, no evaluation yet, escaping of hostile text,
// nothing loaded from elsewhere, and the cap on rows for very large rule sets. Then the
// page in English (`?lang=en`, issue #16): every page the dashboard can show, for rules
// and data with ASCII names, has no Vietnamese letter in English and none of the English
// page's words in Vietnamese; figures and dates as each language writes them; the link to
// the other language.
#include "service/dashboard.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "../e2e/run.hpp"
#include "dsl/check.hpp"
#include "eval/evaluate.hpp"
#include "present/format.hpp"
#include "present/labels.hpp"
#include "present/markup.hpp"
#include "service/graph_export.hpp"
#include "store/database.hpp"
#include "store/ingest.hpp"
#include "store/snapshot.hpp"
#include "support/example_suite.hpp"
#include "support/page_language.hpp"

namespace tiendo::service {
namespace {

using namespace std::chrono_literals;
using model::Language;
using tiendo::testing::ascii_words;
using tiendo::testing::dashboard_english_words;
using tiendo::testing::has_vietnamese_letter;
using tiendo::testing::own_words;
using tiendo::testing::visible_text;
using tiendo::testing::without_language_link;

const std::string kSourceDir = TIENDO_SOURCE_DIR;
constexpr std::string_view kGeneratedAt = "2022-09-30T20:15:00Z";

std::size_t count(std::string_view text, std::string_view part) {
  return testing::occurrences(text, part);
}

std::string_view section(std::string_view page, std::string_view id) {
  return testing::page_section(page, id);
}

// The page's inputs for an evaluation made here (no alerts, no plan graph).
DashboardData dashboard_of(const model::RuleSet& rules, const store::Snapshot& snapshot,
                           const eval::Results& results) {
  DashboardData d;
  d.rules = &rules;
  d.snapshot = &snapshot;
  d.results = &results;
  return d;
}

// The service's way of evaluating: without keeping the observations used.
eval::Results evaluated_at(const model::RuleSet& rules, const store::Snapshot& snapshot,
                           const char* at) {
  return eval::evaluate(
      rules, snapshot, *model::parse_iso_date(at),
      {.keep_trend_points = false, .keep_used = false, .threads = 0, .cancel = nullptr});
}

// Nothing fetched from elsewhere and nothing run. Links, which a browser follows only when
// they are clicked, are relative: to the same page in the other language (a query only),
// to the page's parts, to the pages below it (rules/…, units/…, the rule editor), to itself
// filtered (./?…), so that they keep the path a proxy serves the pages under.
void expect_self_contained(const std::string& page) {
  for (std::string_view banned : {"http://", "https://", "<script", "<link", "<iframe", "<img",
                                  "@import", "url(", " src=\"", "javascript:"}) {
    EXPECT_EQ(page.find(banned), std::string::npos) << "the page contains " << banned;
  }
  EXPECT_EQ(count(page, "<a href=\"?"), 1u);
  for (std::size_t pos = page.find(" href=\""); pos != std::string::npos;
       pos = page.find(" href=\"", pos + 1)) {
    const std::string_view href = std::string_view(page).substr(pos + 7, 12);
    EXPECT_TRUE(href.starts_with("?") || href.starts_with("#") || href.starts_with("./") ||
                href.starts_with("rules/") || href.starts_with("units/") ||
                href.starts_with("editor"))
        << href;
  }
}

class ExampleDashboard : public testing::ExampleSuite {
 protected:
  DashboardData data() const {
    DashboardData d;
    d.rules = &rules();
    d.snapshot = &snapshot();
    d.results = &results();
    d.generated_at = std::string(kGeneratedAt);
    return d;
  }

  // Alert records as the service keeps them for the results that have a severity.
  std::vector<alert::AlertRecord> firing_alerts() const {
    std::vector<alert::AlertRecord> alerts;
    for (const eval::RuleResult& r : results().rules) {
      if (r.severity == model::Severity::none) continue;
      alert::AlertRecord a;
      a.subject = alert::Subject::rule;
      a.name = rules().rules[static_cast<std::size_t>(r.rule)].name;
      a.unit = r.unit < 0 ? "" : snapshot().units()[static_cast<std::size_t>(r.unit)].id;
      a.fingerprint = alert::fingerprint(a.subject, a.name, a.unit);
      a.state = std::string(eval::to_string(r.state));
      a.severity = r.severity;
      a.lifecycle = alert::Lifecycle::firing;
      a.since = *model::parse_iso_date("2022-09-01");
      a.firing_since = a.since;
      a.evaluated = results().at;
      alerts.push_back(std::move(a));
    }
    return alerts;
  }
};

TEST_F(ExampleDashboard, IsAVietnamesePageWithEverySection) {
  const std::string page = render_dashboard(data());
  EXPECT_EQ(page.rfind("<!DOCTYPE html>\n<html lang=\"vi\">", 0), 0u);
  EXPECT_NE(page.find("<meta charset=\"utf-8\">"), std::string::npos);
  EXPECT_NE(page.find("<style>"), std::string::npos);
  EXPECT_EQ(page.substr(page.size() - 8), "</html>\n");
  for (std::string_view heading :
       {"<h1>Bảng theo dõi tiến độ</h1>", "<h2>Chỉ tiêu</h2>", "<h2>Cảnh báo đang kích hoạt</h2>",
        "<h2>Nhiệm vụ theo hạn</h2>", "<h2>Sơ đồ kế hoạch</h2>"}) {
    EXPECT_NE(page.find(heading), std::string::npos) << heading;
  }
  EXPECT_NE(page.find("Ngày đánh giá: <time datetime=\"2022-09-30\">30/9/2022</time>"),
            std::string::npos);
  EXPECT_NE(page.find(kGeneratedAt), std::string::npos);
  EXPECT_EQ(page.find("Chưa có lần đánh giá nào"), std::string::npos);
  expect_self_contained(page);
}

TEST_F(ExampleDashboard, HasOneRowPerRuleResultWithEveryRuleOfTheExample) {
  const std::string page = render_dashboard(data());
  const std::string_view targets = section(page, "chi-tieu");
  ASSERT_FALSE(targets.empty());
  // A result is a row: of its own, or of its `for each` rule's row opened.
  EXPECT_EQ(count(targets, "<td class=\"unit\""), results().rules.size());
  EXPECT_GT(results().rules.size(), rules().rules.size());  // per-district rules too
  for (const model::Rule& rule : rules().rules) {
    EXPECT_NE(targets.find("<code>" + rule.name + "</code>"), std::string::npos) << rule.name;
    EXPECT_NE(targets.find(present::html_escape(rule.title)), std::string::npos) << rule.name;
  }
  for (const eval::RuleResult& r : results().rules) {
    EXPECT_NE(targets.find(std::string(present::label(r.state)) + "</span>"), std::string::npos)
        << eval::to_string(r.state);
  }
  EXPECT_EQ(targets.find("rel=\"next\""), std::string::npos);  // one page
}

TEST_F(ExampleDashboard, ShowsFiguresTheVietnameseWayWithAProgressBar) {
  const std::string page = render_dashboard(data());
  const std::string_view targets = section(page, "chi-tieu");
  // smartphone_rate: 83,5% of the 85% target by 31/12/2022, i.e. 98,24% of the way.
  EXPECT_NE(targets.find(">83,5%<"), std::string::npos);
  EXPECT_NE(targets.find("≥ 85%"), std::string::npos);
  EXPECT_NE(targets.find(">31/12/2022<"), std::string::npos);
  EXPECT_NE(targets.find("style=\"width: 98.2%\""), std::string::npos);
  EXPECT_NE(targets.find("aria-label=\"Tiến độ so với mục tiêu: 98,24%\""), std::string::npos);
  EXPECT_NE(targets.find("<span class=\"pct\">98,24%</span>"), std::string::npos);
  // fiber: 99% against 75% is capped at the target.
  EXPECT_NE(targets.find("style=\"width: 100.0%\""), std::string::npos);
  // Rules measured from a date say so.
  EXPECT_NE(targets.find("từ 01/6/2022"), std::string::npos);
  // A share names the communes that fail it (issue #12).
  EXPECT_NE(targets.find("<div class=\"muted\">33/36 đơn vị; chưa đạt: Xã Gia Canh, Xã Sông "
                         "Ray, Xã Tà Lài</div>"),
            std::string::npos);
  // A target's basis, cited (issue #16).
  EXPECT_NE(targets.find("<div class=\"muted\">Căn cứ: Quyết định 27/QĐ-UBQGCS ngày "
                         "15/3/2022</div>"),
            std::string::npos);
  // Each `for each` rule is one row summed up over all its units (issue #19): the pilot
  // communes' set meets it everywhere, the districts' digitization has not started
  // (issue #12); the row opens to its units.
  EXPECT_NE(targets.find("<div class=\"muted\"><b>3/3 đơn vị đạt</b></div><details><summary>3 "
                         "đơn vị khớp bộ lọc; kém nhất: Đạt</summary>"),
            std::string::npos)
      << targets;
  EXPECT_NE(targets.find("<b>0/11 đơn vị đạt</b></div><details><summary>11 đơn vị khớp bộ lọc; "
                         "kém nhất: Chưa đến hạn</summary>"),
            std::string::npos);
  // Every bar stays within 0..100%.
  for (std::size_t pos = targets.find("width: "); pos != std::string_view::npos;
       pos = targets.find("width: ", pos + 1)) {
    const double width = std::stod(std::string(targets.substr(pos + 7, 6)));
    EXPECT_GE(width, 0);
    EXPECT_LE(width, 100);
  }
}

// The counts made once with an evaluation (tally_results) give the page the counting
// over every result gives, whatever the filters and the order asked.
TEST_F(ExampleDashboard, TheTallyMadeWithTheEvaluationGivesTheSamePage) {
  const ResultTally tally = tally_results(rules(), results());
  std::size_t counted = 0;
  for (std::size_t n : tally.rule_states) counted += n;
  EXPECT_EQ(counted, results().rules.size());
  std::vector<TargetFilter> filters(1);
  for (std::size_t s = 0; s < present::kRuleStateCount; ++s) {
    TargetFilter f;
    f.state = static_cast<eval::RuleState>(s);
    filters.push_back(f);
  }
  for (TargetFilter::Sort sort : {TargetFilter::Sort::name, TargetFilter::Sort::deadline}) {
    TargetFilter f;
    f.sort = sort;
    filters.push_back(f);
    f.state = eval::RuleState::missed;
    filters.push_back(f);
  }
  TargetFilter owned;
  owned.owner = "Sở Công Thương";
  filters.push_back(owned);
  TargetFilter planned;
  planned.plan = rules().plans.at(0).name;
  planned.state = eval::RuleState::at_risk;
  filters.push_back(planned);
  TargetFilter severe;  // a filter the tally does not answer: counted over the results
  severe.severity = model::Severity::critical;
  filters.push_back(severe);
  TargetFilter at_unit;
  at_unit.unit = "dong_nai";
  filters.push_back(at_unit);
  for (std::size_t i = 0; i < filters.size(); ++i) {
    DashboardData d = dashboard_of(rules(), snapshot(), results());
    d.generated_at = "2022-10-01T00:00:00Z";
    d.filter = filters[i];
    for (model::Language language : {model::Language::vi, model::Language::en}) {
      d.language = language;
      d.tally = nullptr;
      const std::string counted_here = render_dashboard(d);
      d.tally = &tally;
      EXPECT_EQ(render_dashboard(d), counted_here) << "filter " << i;
    }
  }
}

TEST_F(ExampleDashboard, ListsFiringAlertsWithSeverityStateAndSince) {
  DashboardData d = data();
  d.alerts = firing_alerts();
  ASSERT_FALSE(d.alerts.empty());
  const std::string page = render_dashboard(d);
  const std::string_view alerts = section(page, "canh-bao");
  EXPECT_EQ(count(alerts, "<tr>") - 1, d.alerts.size());
  EXPECT_NE(alerts.find("<code>online_dossier_2022</code>"), std::string::npos);
  EXPECT_NE(alerts.find("Tỉnh Đồng Nai <code>dong_nai</code>"), std::string::npos);
  for (const alert::AlertRecord& a : d.alerts) {
    EXPECT_NE(
        alerts.find(std::string(present::label(*eval::parse_rule_state(a.state))) + "</span>"),
        std::string_view::npos)
        << a.state;
  }
  EXPECT_NE(alerts.find(">Cảnh báo</span>"), std::string_view::npos);  // severity warning
  EXPECT_NE(alerts.find(">01/9/2022<"), std::string_view::npos);
  // The alerts come in the store's order (alert::list_alerts) and stay in it; when there
  // are more than the page lists, it says how many it left out, and counts them all.
  // (Sorted again by severity or name, these two would change places.)
  ASSERT_GE(d.alerts.size(), 2u);
  d.alerts.front().name = "zz_listed_first";
  d.alerts.front().severity = model::Severity::info;
  d.alerts.back().name = "aa_listed_last";
  d.alerts.back().severity = model::Severity::critical;
  d.alerts_total = d.alerts.size() + 1234;
  const std::string more = render_dashboard(d);
  const std::string_view rows = section(more, "canh-bao");
  const std::size_t first = rows.find("<code>zz_listed_first</code>");
  const std::size_t last = rows.find("<code>aa_listed_last</code>");
  ASSERT_NE(first, std::string_view::npos);
  ASSERT_NE(last, std::string_view::npos);
  EXPECT_LT(first, last);
  const std::string total = present::format_number(static_cast<double>(d.alerts_total));
  EXPECT_NE(rows.find("trên " + total + " dòng"), std::string_view::npos) << rows.substr(0, 400);
  EXPECT_NE(rows.find("1.234 dòng không hiển thị"), std::string_view::npos);
  EXPECT_NE(more.find("Cảnh báo đang kích hoạt: <b>" + total + "</b>"), std::string::npos);

  const std::string quiet = render_dashboard(data());
  EXPECT_NE(section(quiet, "canh-bao").find("Không có cảnh báo nào đang kích hoạt"),
            std::string::npos);
}

TEST_F(ExampleDashboard, ListsTasksByDueDateWithTheirRootCause) {
  const std::string page = render_dashboard(data());
  const std::string_view tasks = section(page, "nhiem-vu");
  EXPECT_EQ(count(tasks, "<tr>") - 1, results().tasks.size());
  const auto position = [&](model::Index task) {
    return tasks.find("<code>" + rules().tasks[static_cast<std::size_t>(task)].name + "</code>");
  };
  for (const eval::TaskResult& a : results().tasks) {
    ASSERT_NE(position(a.task), std::string_view::npos) << a.task;
    EXPECT_NE(tasks.find(std::string(present::label(a.state)) + "</span>"), std::string_view::npos);
    for (const eval::TaskResult& b : results().tasks) {
      if (a.due && b.due && *a.due < *b.due) {
        EXPECT_LT(position(a.task), position(b.task))
            << rules().tasks[static_cast<std::size_t>(a.task)].name << " is due before "
            << rules().tasks[static_cast<std::size_t>(b.task)].name;
      }
    }
    if (a.root_cause != model::kNone && a.root_cause != a.task) {
      const model::Task& cause = rules().tasks[static_cast<std::size_t>(a.root_cause)];
      EXPECT_NE(tasks.find("Nguyên nhân gốc: “" + present::html_escape(cause.title) + "”"),
                std::string_view::npos)
          << cause.name;
    }
  }
  EXPECT_NE(tasks.find("Sở Thông tin và Truyền thông"), std::string_view::npos);
}

TEST_F(ExampleDashboard, FallsBackToANestedListOfPlansAndTasks) {
  const std::string page = render_dashboard(data());
  const std::string_view graph = section(page, "so-do");
  ASSERT_NE(graph.find("<ul class=\"plans\">"), std::string_view::npos);
  EXPECT_EQ(graph.find("<svg"), std::string_view::npos);
  for (const model::Plan& plan : rules().plans) {
    EXPECT_NE(graph.find("<b>" + present::html_escape(plan.code.empty() ? plan.name : plan.code) +
                         "</b>"),
              std::string_view::npos)
        << plan.name;
  }
  for (const model::Task& task : rules().tasks) {
    EXPECT_NE(graph.find(present::html_escape(task.title)), std::string_view::npos) << task.name;
  }
  // KH177 implements NQ05: it sits in the list under NQ05, before NQ05's item closes.
  const std::size_t nq05 = graph.find("<b>05-NQ/TU</b>");
  const std::size_t kh177 = graph.find("<b>177/KH-UBND</b>");
  ASSERT_NE(nq05, std::string_view::npos);
  ASSERT_LT(nq05, kh177);
  EXPECT_EQ(count(graph.substr(nq05, kh177 - nq05), "<ul>") -
                count(graph.substr(nq05, kh177 - nq05), "</ul>"),
            1u);
  // Balanced lists, and state badges from the results.
  EXPECT_EQ(count(graph, "<ul"), count(graph, "</ul>"));
  EXPECT_EQ(count(graph, "<li"), count(graph, "</li>"));
  EXPECT_NE(graph.find("class=\"badge"), std::string_view::npos);
}

TEST_F(ExampleDashboard, InlinesTheSvgWhenGiven) {
  DashboardData d = data();
  d.graph_svg =
      "<svg width=\"10pt\" height=\"10pt\" viewBox=\"0 0 10 10\" "
      "xmlns=\"http://www.w3.org/2000/svg\" xmlns:xlink=\"http://www.w3.org/1999/xlink\">"
      "<g id=\"graph0\" class=\"graph\"><title>plans</title></g></svg>";
  const std::string page = render_dashboard(d);
  const std::string_view graph = section(page, "so-do");
  EXPECT_NE(graph.find("<svg width=\"10pt\" height=\"10pt\" viewBox=\"0 0 10 10\">"
                       "<g id=\"graph0\" class=\"graph\"><title>plans</title></g></svg>"),
            std::string_view::npos)
      << graph;
  EXPECT_EQ(graph.find("<ul class=\"plans\">"), std::string_view::npos);
  expect_self_contained(page);
}

TEST_F(ExampleDashboard, InlinesTheRealDotDrawing) {
  if (!std::filesystem::exists("/usr/bin/dot")) {
    GTEST_SKIP() << "Graphviz (/usr/bin/dot) is not installed";
  }
  std::string error;
  DashboardData d = data();
  d.graph_svg = render_svg(plan_graph_dot(rules(), &results()), 60'000ms, error);
  ASSERT_TRUE(d.graph_svg.has_value()) << error;
  const std::string page = render_dashboard(d);
  EXPECT_NE(section(page, "so-do").find("<svg"), std::string_view::npos);
  EXPECT_EQ(count(page, "class=\"node\""), rules().plans.size() + rules().tasks.size());
  expect_self_contained(page);
}

// Issue #16: on the English page the drawing says each task's due date and each node's
// state in English too.
TEST_F(ExampleDashboard, InEnglishTheRealDotDrawingIsInEnglish) {
  if (!std::filesystem::exists("/usr/bin/dot")) {
    GTEST_SKIP() << "Graphviz (/usr/bin/dot) is not installed";
  }
  std::string error;
  DashboardData d = data();
  d.language = Language::en;
  d.graph_svg = render_svg(plan_graph_dot(rules(), &results(), Language::en), 60'000ms, error);
  ASSERT_TRUE(d.graph_svg.has_value()) << error;
  const std::string page = render_dashboard(d);
  const std::string_view graph = section(page, "so-do");
  EXPECT_NE(graph.find(">due 2022&#45;12&#45;31</text>"), std::string_view::npos);  // dot's "-
  EXPECT_NE(graph.find("<li>Ellipse: task</li>"), std::string_view::npos);
  EXPECT_EQ(graph.find(">hạn "), std::string_view::npos);
  for (const std::string& text : own_words(page)) {
    EXPECT_FALSE(has_vietnamese_letter(text)) << text;
  }
  expect_self_contained(page);
}

TEST_F(ExampleDashboard, SaysSoWhenThereIsNoEvaluationYet) {
  DashboardData d = data();
  d.results = nullptr;
  const std::string page = render_dashboard(d);
  EXPECT_NE(page.find("Chưa có lần đánh giá nào"), std::string::npos);
  EXPECT_NE(section(page, "chi-tieu").find("Chưa có lần đánh giá nào"), std::string_view::npos);
  EXPECT_NE(section(page, "nhiem-vu").find("Chưa có lần đánh giá nào"), std::string_view::npos);
  EXPECT_EQ(page.find("<table"), std::string::npos);
  EXPECT_EQ(page.find("Ngày đánh giá"), std::string::npos);
  // The plans are still listed, without states.
  const std::string_view graph = section(page, "so-do");
  EXPECT_NE(graph.find("<b>177/KH-UBND</b>"), std::string_view::npos);
  EXPECT_EQ(graph.find("class=\"badge"), std::string_view::npos);
  expect_self_contained(page);
}

TEST(Dashboard, RendersWithNothingAtAll) {
  const std::string page = render_dashboard(DashboardData{});
  EXPECT_NE(page.find("<h1>Bảng theo dõi tiến độ</h1>"), std::string::npos);
  EXPECT_NE(page.find("Chưa có lần đánh giá nào"), std::string::npos);
  EXPECT_EQ(page.substr(page.size() - 8), "</html>\n");
}

// Issue #16: a value that rests on an estimate is "khoảng 83,5%", and the figure's note
// (escaped) is beside it; the service evaluates without keeping the observations used.
TEST(Dashboard, AnEstimatedValueSaysKhoangAndShowsItsNote) {
  dsl::Program program = dsl::load_text("notes.rules", R"(
levels province
indicator rate { title "Tỷ lệ" unit percent }
rule r1 { title "Tỷ lệ đạt 90%" require rate >= 90% by 2022-12-31 }
)");
  auto rules = dsl::check(program);
  ASSERT_TRUE(rules.has_value());
  store::Snapshot snapshot;
  store::SnapshotUnit unit;
  unit.id = "dn";
  unit.name = "Đồng Nai";
  unit.level_name = "province";
  unit.level = rules->find_level("province");
  snapshot.add_unit(std::move(unit));
  store::Point point;
  point.set_period(*model::parse_iso_date("2022-07-01"), *model::parse_iso_date("2022-09-30"));
  point.value = 0.835;
  snapshot.add_point(rules->find_indicator("rate"), 0, point,
                     store::PointDetail{std::nullopt, std::nullopt, "mục I.5.a <ước tính>", true});
  snapshot.finish(rules->tasks.size());
  const eval::Results results = evaluated_at(*rules, snapshot, "2022-09-30");
  const std::string page = render_dashboard(dashboard_of(*rules, snapshot, results));
  const std::string_view targets = section(page, "chi-tieu");
  EXPECT_NE(targets.find(">khoảng 83,5%<div class=\"note\">mục I.5.a &lt;ước tính&gt;</div>"),
            std::string::npos)
      << targets;
}

// Issue #15: the service keeps its latest evaluation without the observations (only the
// points its results name), and the page reads the same.
TEST(Dashboard, AnEvaluationKeptWithoutItsObservationsReadsTheSame) {
  dsl::Program program = dsl::load_text("notes.rules", R"(
levels province
indicator rate { title "Tỷ lệ" unit percent }
rule r1 { title "Tỷ lệ đạt 90%" require rate >= 90% by 2022-12-31 }
rule r2 { title "Tỷ lệ đạt 80%" require rate >= 80% by 2022-12-31 }
)");
  auto rules = dsl::check(program);
  ASSERT_TRUE(rules.has_value());
  store::Snapshot snapshot;
  for (const char* id : {"dn", "bd"}) {
    store::SnapshotUnit unit;
    unit.id = id;
    unit.name = id;
    unit.level_name = "province";
    unit.level = rules->find_level("province");
    snapshot.add_unit(std::move(unit));
  }
  const auto add = [&](store::UnitIndex unit, const char* start, const char* end, double value,
                       const char* note) {
    store::Point point;
    point.set_period(*model::parse_iso_date(start), *model::parse_iso_date(end));
    point.value = value;
    snapshot.add_point(rules->find_indicator("rate"), unit, point,
                       store::PointDetail{std::nullopt, std::nullopt, note, false});
  };
  add(0, "2022-04-01", "2022-06-30", 0.70, "");
  add(0, "2022-07-01", "2022-09-30", 0.835, "theo báo cáo quý III");
  add(1, "2022-07-01", "2022-09-30", 0.95, "");
  snapshot.finish(rules->tasks.size());
  eval::Results results = evaluated_at(*rules, snapshot, "2022-09-30");
  DashboardData d = dashboard_of(*rules, snapshot, results);
  d.generated_at = "2022-10-01T00:00:00Z";
  const std::string before = render_dashboard(d);
  ASSERT_NE(before.find("theo báo cáo quý III"), std::string::npos);
  EXPECT_EQ(snapshot.point_count(), 3u);

  eval::keep_only_what_results_name(snapshot, results);
  EXPECT_TRUE(snapshot.trimmed());
  EXPECT_EQ(snapshot.point_count(), 1u);  // the one point with a note, which two results name
  EXPECT_EQ(render_dashboard(d), before);
}

// Issue #16: an amended rule shows the target and the documents in force on the date, and
// the target's history.
TEST(Dashboard, AnAmendedRuleShowsTheTargetInForceAndItsHistory) {
  dsl::Program program = dsl::load_text("amend.rules", R"(
levels province
indicator rate { title "Tỷ lệ" unit percent }
plan KH { code "177/KH-UBND" issued 05/8/2022 }
plan QD { code "2345/QĐ-UBND" issued 10/10/2022 }
rule r1 {
  title "Tỷ lệ hồ sơ trực tuyến"
  require rate >= 50% by 2022-12-31
  basis KH
  amend from 15/10/2022 { require rate >= 30% by 2022-12-31 basis QD }
}
)");
  auto rules = dsl::check(program);
  ASSERT_TRUE(rules.has_value());
  store::Snapshot snapshot;
  store::SnapshotUnit unit;
  unit.id = "dn";
  unit.name = "Đồng Nai";
  unit.level_name = "province";
  unit.level = rules->find_level("province");
  snapshot.add_unit(std::move(unit));
  store::Point point;
  point.set_period(*model::parse_iso_date("2022-07-01"), *model::parse_iso_date("2022-09-30"));
  point.value = 0.35;
  snapshot.add_point(rules->find_indicator("rate"), 0, point);
  snapshot.finish(rules->tasks.size());
  const auto targets_at = [&](const char* at) {
    const eval::Results results = evaluated_at(*rules, snapshot, at);
    return std::string(
        section(render_dashboard(dashboard_of(*rules, snapshot, results)), "chi-tieu"));
  };
  const std::string history =
      "<div class=\"muted\">Chỉ tiêu: 50% theo 177/KH-UBND; điều chỉnh còn 30% từ 15/10/2022 "
      "theo 2345/QĐ-UBND</div>";
  const std::string after = targets_at("2022-10-15");
  EXPECT_NE(after.find("≥ 30%"), std::string::npos) << after;
  EXPECT_EQ(after.find("≥ 50%"), std::string::npos) << after;
  EXPECT_NE(after.find("Căn cứ: Quyết định 2345/QĐ-UBND ngày 10/10/2022"), std::string::npos);
  EXPECT_NE(after.find(history), std::string::npos) << after;
  const std::string before = targets_at("2022-10-14");
  EXPECT_NE(before.find("≥ 50%"), std::string::npos) << before;
  EXPECT_NE(before.find("Căn cứ: Kế hoạch 177/KH-UBND ngày 05/8/2022"), std::string::npos);
  EXPECT_NE(before.find(history), std::string::npos) << before;
}

TEST(Dashboard, EscapesEveryTextFromRulesDataAndAlerts) {
  dsl::Program program = dsl::load_text("hostile.rules", R"(
levels province
indicator rate {
  title "<b>rate</b>"
  unit percent
}
plan P1 {
  title "<script>alert('plan')</script>"
  code "1/KH-<i>"
  owner "A & B"
}
task t1 {
  title "<img src=x onerror=alert(1)>"
  part_of P1
  owner "\"Sở\" <TT&TT>"
  due 2022-12-31
}
rule r1 {
  title "<script>alert(\"rule\")</script>"
  require rate >= 50% by 2022-12-31
  needs t1
}
)");
  auto rules = dsl::check(program);
  ASSERT_TRUE(rules.has_value());
  store::Snapshot snapshot;
  store::SnapshotUnit unit;
  unit.id = "dn";
  unit.name = "<svg onload=alert(1)>";
  unit.level_name = "province";
  unit.level = rules->find_level("province");
  snapshot.add_unit(std::move(unit));
  snapshot.finish(rules->tasks.size());
  const eval::Results results =
      eval::evaluate(*rules, snapshot, *model::parse_iso_date("2022-09-30"));
  ASSERT_EQ(results.rules.size(), 1u);

  DashboardData d = dashboard_of(*rules, snapshot, results);
  d.generated_at = "<now>";
  alert::AlertRecord a;
  a.name = "<script>x</script>";
  a.unit = "<u>";
  a.state = "<state>";
  a.severity = model::Severity::critical;
  d.alerts.push_back(a);
  const std::string page = render_dashboard(d);

  expect_self_contained(page);
  EXPECT_EQ(page.find("<svg"), std::string::npos);
  EXPECT_EQ(page.find("<b>rate"), std::string::npos);
  EXPECT_EQ(page.find("<i>"), std::string::npos);
  EXPECT_EQ(page.find("<u>"), std::string::npos);
  EXPECT_EQ(page.find("<state>"), std::string::npos);
  EXPECT_EQ(page.find("<now>"), std::string::npos);
  EXPECT_NE(page.find("&lt;script&gt;alert(&quot;rule&quot;)&lt;/script&gt;"), std::string::npos);
  EXPECT_NE(page.find("&lt;script&gt;alert(&#39;plan&#39;)&lt;/script&gt;"), std::string::npos);
  EXPECT_NE(page.find("&lt;img src=x onerror=alert(1)&gt;"), std::string::npos);
  EXPECT_NE(page.find("&lt;svg onload=alert(1)&gt;"), std::string::npos);
  EXPECT_NE(page.find("&quot;Sở&quot; &lt;TT&amp;TT&gt;"), std::string::npos);
  EXPECT_NE(page.find("&lt;script&gt;x&lt;/script&gt;"), std::string::npos);
  EXPECT_NE(page.find("&lt;state&gt;"), std::string::npos);
}

// ---------------------------------------------------------------------------------------
// In English (issue #16: "the dashboard has both (`?lang=en`)").

// The example in English: the page's own words (headings, table headers, badges, counts,
// notes) are English; the rule titles, unit names and plan codes are the example's data,
// in Vietnamese, and stay so. Figures and dates as English writes them.
TEST_F(ExampleDashboard, InEnglishThePageSaysEverythingInEnglish) {
  DashboardData d = data();
  d.language = Language::en;
  d.alerts = firing_alerts();
  const std::string page = render_dashboard(d);
  EXPECT_EQ(page.rfind("<!DOCTYPE html>\n<html lang=\"en\">", 0), 0u);
  for (std::string_view heading :
       {"<title>Progress dashboard – 2022-09-30</title>", "<h1>Progress dashboard</h1>",
        "<h2>Overview</h2>", "<h2>Targets</h2>", "<h2>Firing alerts</h2>",
        "<h2>Tasks by due date</h2>", "<h2>Plan graph</h2>", "<h2>What changed</h2>"}) {
    EXPECT_NE(page.find(heading), std::string::npos) << heading;
  }
  EXPECT_NE(page.find("Evaluated on: <time datetime=\"2022-09-30\">2022-09-30</time>"),
            std::string::npos);
  const std::vector<std::string> own = own_words(page);
  EXPECT_GT(own.size(), 100u);
  for (const std::string& text : own) EXPECT_FALSE(has_vietnamese_letter(text)) << text;

  const std::string_view targets = section(page, "chi-tieu");
  for (const eval::RuleResult& r : results().rules) {
    EXPECT_NE(targets.find(std::string(present::label(r.state, Language::en)) + "</span>"),
              std::string::npos)
        << eval::to_string(r.state);
  }
  // online_dossier_2022: 9,23% in the report, by 31/12/2022; smartphone_rate's bar.
  EXPECT_NE(targets.find(">9.23%<"), std::string::npos);
  EXPECT_EQ(targets.find("9,23%"), std::string::npos);
  EXPECT_NE(targets.find(">83.5%<"), std::string::npos);
  EXPECT_NE(targets.find(">2022-12-31<"), std::string::npos);
  EXPECT_EQ(targets.find("31/12/2022"), std::string::npos);
  EXPECT_NE(targets.find("aria-label=\"Progress toward the target: 98.24%\""), std::string::npos);
  EXPECT_NE(targets.find("<span class=\"pct\">98.24%</span>"), std::string::npos);
  EXPECT_NE(targets.find(">from 2022-06-01<"), std::string::npos);
  EXPECT_NE(targets.find("<div class=\"muted\">33/36 units; failing: Xã Gia Canh, Xã Sông Ray, "
                         "Xã Tà Lài</div>"),
            std::string::npos);
  EXPECT_NE(targets.find("<div class=\"muted\">Basis: Decision 27/QĐ-UBQGCS of 2022-03-15</div>"),
            std::string::npos);
  EXPECT_NE(targets.find("<b>3/3 units met</b></div><details><summary>3 units match"),
            std::string::npos);
  const std::string_view alerts = section(page, "canh-bao");
  EXPECT_NE(alerts.find(">Warning</span>"), std::string_view::npos);
  EXPECT_NE(alerts.find(">2022-09-01<"), std::string_view::npos);
  const std::string_view tasks = section(page, "nhiem-vu");
  for (const eval::TaskResult& t : results().tasks) {
    EXPECT_NE(tasks.find(std::string(present::label(t.state, Language::en)) + "</span>"),
              std::string_view::npos);
  }
  EXPECT_NE(tasks.find("Root cause: “"), std::string_view::npos);
  EXPECT_NE(section(page, "so-do").find("<span class=\"kind\">Plan</span>"),
            std::string_view::npos);
  expect_self_contained(page);
}

TEST_F(ExampleDashboard, InVietnameseThePageSaysNothingInEnglish) {
  const std::set<std::string>& english = dashboard_english_words();
  DashboardData d = data();
  d.alerts = firing_alerts();
  const std::string page = render_dashboard(d);
  for (const std::string& text : own_words(page)) {
    for (const std::string& word : ascii_words(text)) {
      EXPECT_FALSE(english.contains(word)) << word << " in: " << text;
    }
  }
  // online_dossier_2022's 9,23% and the date of the evaluation, as the documents write them.
  EXPECT_NE(section(page, "chi-tieu").find(">9,23%<"), std::string_view::npos);
  EXPECT_NE(page.find("<title>Bảng theo dõi tiến độ – 30/9/2022</title>"), std::string::npos);
  EXPECT_NE(page.find("<time datetime=\"2022-09-30\">30/9/2022</time>"), std::string::npos);
  EXPECT_EQ(page.find("9.23%"), std::string::npos);
}

// Rules and data with ASCII names only, so that a Vietnamese letter on an English page can
// only be the page's own, and no name is one of dashboard_english_words(). Together they reach
// every part of the page: a share naming the districts that fail it and those without data, a `for
// each` rule, a rule measured from a date, an amended rule with its basis and its history, a rule
// waiting for a task, an estimated value with its note, tasks late along a chain with their root
// cause, a task reported with its progress, a plan under two plans, a task of no plan; alerts of
// rules and of a task, and one no longer tracked.
constexpr std::string_view kAsciiRules = R"(
levels province > district
indicator kilo { title "Kilo" unit percent }
plan ALPHA { title "Alpha program" code "1/KH-ABC" issued 05/8/2022 }
plan BRAVO { code "2/KH-ABC" issued 10/8/2022 implements ALPHA }
plan CHARLIE { code "3/QD-ABC" issued 15/9/2022 implements ALPHA, BRAVO }
task t_one { title "Step one" part_of BRAVO owner "Office Kappa" due 2022-06-30 }
task t_two { title "Step two" part_of CHARLIE after t_one due 2022-11-30 }
task t_three { title "Step three" after t_two due 2022-12-31 }
rule r_share {
  title "Kilo share"
  require share(district, kilo >= 50%) >= 100% by 2022-12-31
  basis ALPHA
  severity critical
}
rule r_each { title "Kilo each" require kilo >= 50% from 2022-06-01 for each district }
rule r_revised {
  title "Kilo revised"
  require kilo >= 50% by 2022-12-31
  basis ALPHA
  amend from 15/9/2022 { require kilo >= 30% by 2022-12-31 basis CHARLIE }
}
rule r_hold { title "Kilo hold" require kilo >= 20% by 2022-12-31 needs t_one }
)";

// A rule set, a snapshot and the results on it, kept together for a page to point into.
struct World {
  model::RuleSet rules;
  store::Snapshot snapshot;
  eval::Results results;
};

std::unique_ptr<World> checked_world(std::string_view text) {
  dsl::Program program = dsl::load_text("ascii.rules", std::string(text));
  auto rules = dsl::check(program);
  if (!rules) return nullptr;
  auto world = std::make_unique<World>();
  world->rules = std::move(*rules);
  return world;
}

void evaluate_world(World& world) {
  world.snapshot.finish(world.rules.tasks.size());
  world.results = eval::evaluate(
      world.rules, world.snapshot, *model::parse_iso_date("2022-09-30"),
      {.keep_trend_points = false, .keep_used = false, .threads = 0, .cancel = nullptr});
}

store::UnitIndex add_unit(World& world, const char* id, const char* name, const char* level,
                          store::UnitIndex parent) {
  store::SnapshotUnit unit;
  unit.id = id;
  unit.name = name;
  unit.level_name = level;
  unit.level = world.rules.find_level(level);
  unit.parent = parent;
  return world.snapshot.add_unit(std::move(unit));
}

void add_kilo(World& world, store::UnitIndex unit, double value, const store::PointDetail& detail) {
  store::Point point;
  point.set_period(*model::parse_iso_date("2022-07-01"), *model::parse_iso_date("2022-09-30"));
  point.value = value;
  world.snapshot.add_point(world.rules.find_indicator("kilo"), unit, point, detail);
}

std::unique_ptr<World> ascii_world() {
  std::unique_ptr<World> world = checked_world(kAsciiRules);
  if (!world) return nullptr;
  const store::UnitIndex papa = add_unit(*world, "p", "Papa", "province", -1);
  const store::UnitIndex echo = add_unit(*world, "d1", "Echo", "district", papa);
  const store::UnitIndex foxtrot = add_unit(*world, "d2", "Foxtrot", "district", papa);
  add_unit(*world, "d3", "Golf", "district", papa);  // no data
  add_kilo(*world, papa, 0.0923, {std::nullopt, std::nullopt, "memo K5", true});
  add_kilo(*world, echo, 0.6, {});
  add_kilo(*world, foxtrot, 0.2, {});
  world->snapshot.add_status(world->rules.find_task("t_one"),
                             {.date = *model::parse_iso_date("2022-06-15"),
                              .status = model::TaskStatus::in_progress,
                              .progress = 0.4,
                              .note = world->snapshot.intern("memo Q2")});
  evaluate_world(*world);
  return world;
}

// A rule set with nothing to show: no rule result, no task, no plan.
std::unique_ptr<World> empty_world() {
  std::unique_ptr<World> world = checked_world("levels province\n");
  if (!world) return nullptr;
  add_unit(*world, "p", "Papa", "province", -1);
  evaluate_world(*world);
  return world;
}

// More of everything than the page lists: 2 100 tasks of one plan (more than the tasks'
// table and the plan list show), and (in many_results) 600 rule results.
std::unique_ptr<World> large_world() {
  std::string text =
      "levels province\nindicator kilo { unit percent }\nplan ALPHA { code \"1/KH-ABC\" }\n"
      "rule r_one { require kilo >= 50% by 2022-12-31 }\n";
  for (int i = 0; i < 2100; ++i) {
    text += "task t" + std::to_string(i) + " { part_of ALPHA due 2022-12-31 }\n";
  }
  std::unique_ptr<World> world = checked_world(text);
  if (!world) return nullptr;
  add_unit(*world, "p", "Papa", "province", -1);
  evaluate_world(*world);
  return world;
}

alert::AlertRecord firing(alert::Subject subject, const char* name, const char* unit,
                          const char* state, model::Severity severity) {
  alert::AlertRecord a;
  a.subject = subject;
  a.name = name;
  a.unit = unit;
  a.fingerprint = alert::fingerprint(a.subject, a.name, a.unit);
  a.state = state;
  a.severity = severity;
  a.lifecycle = alert::Lifecycle::firing;
  a.since = *model::parse_iso_date("2022-09-01");
  a.firing_since = a.since;
  a.evaluated = *model::parse_iso_date("2022-09-30");
  return a;
}

class DashboardLanguage : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    ascii_ = ascii_world();
    empty_ = empty_world();
    large_ = large_world();
    if (large_ && !large_->results.rules.empty()) {
      many_results_ = large_->results;
      while (many_results_.rules.size() < 600) {
        many_results_.rules.push_back(large_->results.rules.front());
      }
    }
  }
  static void TearDownTestSuite() {
    ascii_.reset();
    empty_.reset();
    large_.reset();
    many_results_ = {};
  }
  void SetUp() override {
    ASSERT_NE(ascii_, nullptr);
    ASSERT_NE(empty_, nullptr);
    ASSERT_NE(large_, nullptr);
    ASSERT_EQ(many_results_.rules.size(), 600u);
  }

  // Every page the dashboard shows (but the one for a page that fails to render), by
  // what it shows.
  static std::vector<std::pair<std::string, std::string>> pages(Language language) {
    std::vector<std::pair<std::string, std::string>> out;
    DashboardData full;
    full.rules = &ascii_->rules;
    full.snapshot = &ascii_->snapshot;
    full.results = &ascii_->results;
    full.generated_at = std::string(kGeneratedAt);
    full.language = language;
    full.alerts = {
        firing(alert::Subject::rule, "r_share", "p", "at_risk", model::Severity::critical),
        firing(alert::Subject::task, "t_one", "", "overdue", model::Severity::warning),
        firing(alert::Subject::rule, "r_each", "d2", "resolved", model::Severity::info)};
    full.alerts_total = full.alerts.size();
    out.emplace_back("everything", render_dashboard(full));

    DashboardData drawn = full;
    drawn.graph_svg = "<svg width=\"10pt\" height=\"10pt\"><g class=\"graph\"></g></svg>";
    out.emplace_back("the plan graph drawn", render_dashboard(drawn));

    DashboardData unevaluated = full;
    unevaluated.results = nullptr;
    unevaluated.alerts.clear();
    out.emplace_back("no evaluation yet", render_dashboard(unevaluated));

    DashboardData nothing;
    nothing.language = language;
    out.emplace_back("no rule set", render_dashboard(nothing));

    DashboardData empty;
    empty.rules = &empty_->rules;
    empty.snapshot = &empty_->snapshot;
    empty.results = &empty_->results;
    empty.language = language;
    out.emplace_back("an empty rule set", render_dashboard(empty));

    DashboardData large;
    large.rules = &large_->rules;
    large.snapshot = &large_->snapshot;
    large.results = &many_results_;
    large.language = language;
    large.alerts = {firing(alert::Subject::rule, "r_one", "p", "at_risk", model::Severity::info)};
    large.alerts_total = 1200;
    out.emplace_back("more than the page lists", render_dashboard(large));
    return out;
  }

  inline static std::unique_ptr<World> ascii_, empty_, large_;
  inline static eval::Results many_results_;
};

TEST_F(DashboardLanguage, EveryEnglishPageHasNoVietnameseLetter) {
  for (const auto& [name, page] : pages(Language::en)) {
    SCOPED_TRACE(name);
    EXPECT_EQ(page.rfind("<!DOCTYPE html>\n<html lang=\"en\">", 0), 0u);
    const std::string text = without_language_link(page);
    // Where the first one is, to find it.
    std::size_t at = 0;
    while (at < text.size() && !has_vietnamese_letter(text.substr(at, 64))) at += 32;
    EXPECT_FALSE(has_vietnamese_letter(text)) << text.substr(at > 200 ? at - 200 : 0, 400);
    expect_self_contained(page);
  }
  // The pages do show what the check is about.
  const auto all = pages(Language::en);
  const std::string& everything = all[0].second;
  for (std::string_view part :
       {"<div class=\"muted\">Basis: Plan 1/KH-ABC of 2022-08-05</div>",
        "<div class=\"muted\">Target: 50% under 1/KH-ABC; amended to 30% from 2022-09-15 under "
        "3/QD-ABC</div>",
        "<div class=\"muted\">Waiting for task: Step one</div>", "about 9.23%",
        "<div class=\"note\">memo K5</div>", ">from 2022-06-01<",
        "<b>1/3 units met; failing: Foxtrot; no data: Golf</b>",
        "In progress, 40% <span class=\"muted\">(2022-06-15)</span>", "Root cause: “Step one”",
        "<div class=\"muted\">Chain: ", "<span class=\"kind\">Task</span>", ">No longer tracked<",
        "(listed above)", "<b>Tasks of no plan</b>", "(due 2022-06-30)", ">Critical<",
        "<th>Lead unit</th>", "<td>Office Kappa</td>"}) {
    EXPECT_NE(everything.find(part), std::string::npos) << part;
  }
  EXPECT_NE(all[1].second.find("<li>Thin line (after): a task waiting for a task</li>"),
            std::string::npos);
  EXPECT_NE(all[2].second.find("<p class=\"empty\">No evaluation yet.</p>"), std::string::npos);
  EXPECT_NE(all[3].second.find("<p class=\"empty\">No rule set loaded.</p>"), std::string::npos);
  for (std::string_view part : {"No target results.", "The rule set has no tasks.",
                                "The rule set has no plans or tasks."}) {
    EXPECT_NE(all[4].second.find(part), std::string::npos) << part;
  }
  for (std::string_view part :
       {"1 rule, 600 results match the filters.",
        "Showing 1 of 1,200 rows, most severe and oldest first; 1,199 rows not shown.",
        "Showing 500 of 2,100 rows, earliest due first; 1,600 rows not shown.",
        "The list stops at 2,000 items of 2,101 plans and tasks.", "<h3>600 target results</h3>",
        "<h3>2,100 tasks</h3>", "Firing alerts: <b>1,200</b>"}) {
    EXPECT_NE(all[5].second.find(part), std::string::npos) << part;
  }
}

TEST_F(DashboardLanguage, EveryVietnamesePageHasNoEnglishWord) {
  const std::set<std::string>& english = dashboard_english_words();
  for (const auto& [name, page] : pages(Language::vi)) {
    SCOPED_TRACE(name);
    EXPECT_EQ(page.rfind("<!DOCTYPE html>\n<html lang=\"vi\">", 0), 0u);
    const std::string text = visible_text(without_language_link(page));
    for (const std::string& word : ascii_words(text)) {
      EXPECT_FALSE(english.contains(word)) << word;
    }
    expect_self_contained(page);
  }
  const auto all = pages(Language::vi);
  const std::string& everything = all[0].second;
  for (std::string_view part :
       {"<div class=\"muted\">Căn cứ: Kế hoạch 1/KH-ABC ngày 05/8/2022</div>",
        "<div class=\"muted\">Chờ nhiệm vụ: Step one</div>", "khoảng 9,23%", ">từ 01/6/2022<",
        "<b>1/3 đơn vị đạt; chưa đạt: Foxtrot; chưa có số liệu: Golf</b>",
        "Đang thực hiện, 40% <span class=\"muted\">(15/6/2022)</span>",
        "Nguyên nhân gốc: “Step one”", ">Không còn theo dõi<", "(đã liệt kê ở trên)",
        "(hạn 30/6/2022)"}) {
    EXPECT_NE(everything.find(part), std::string::npos) << part;
  }
  for (std::string_view part :
       {"1 quy tắc, 600 kết quả khớp bộ lọc.", "Hiển thị 1 trên 1.200 dòng",
        "Hiển thị 500 trên 2.100 dòng",
        "Danh sách dừng ở 2.000 mục trên tổng số 2.101 kế hoạch và nhiệm vụ."}) {
    EXPECT_NE(all[5].second.find(part), std::string::npos) << part;
  }
}

// The link to the other language names it in its own words and keeps the page's other
// query parameters, percent-encoded, before `lang`.
TEST(DashboardLanguageLink, GoesToTheOtherLanguageKeepingTheQuery) {
  DashboardData d;
  EXPECT_NE(render_dashboard(d).find("<p class=\"lang\"><a href=\"?lang=en\" hreflang=\"en\" "
                                     "lang=\"en\" title=\"Xem trang này bằng tiếng Anh\">"
                                     "English</a></p>"),
            std::string::npos);
  d.language = Language::en;
  EXPECT_NE(render_dashboard(d).find("<p class=\"lang\"><a href=\"?lang=vi\" hreflang=\"vi\" "
                                     "lang=\"vi\" title=\"This page in Vietnamese\">"
                                     "Tiếng Việt</a></p>"),
            std::string::npos);
  d.query = {{"at", "2022-09-30"}, {"lang", "en"}, {"unit", "Biên Hòa & co"}};
  const std::string page = render_dashboard(d);
  EXPECT_NE(page.find("<a href=\"?at=2022-09-30&amp;unit=Bi%C3%AAn%20H%C3%B2a%20%26%20co&amp;"
                      "lang=vi\""),
            std::string::npos)
      << page.substr(0, 3000);
  // And the link past the header to the content, and the one to the rule editor.
  EXPECT_EQ(count(page, "href="), 3u);
  EXPECT_NE(page.find("<p class=\"tools\"><a href=\"editor?lang=en\">Rules</a></p>"),
            std::string::npos);
  EXPECT_NE(page.find("<a class=\"skip\" href=\"#main\">"), std::string::npos);
}

// 10 000 rules × 1 000 units would be ten million rows: the table shows a page of rules at
// a time (kTargetsPerPage), worst first, each `for each` rule one row whose units open under
// it (kUnitsPerRow of them; the rule's page has them all); filters and pages are links.
TEST(DashboardTargets, ManyRulesComeAPageAtATimeWorstFirstAndFilter) {
  std::string text = "levels province > district\nindicator kilo { unit percent }\n";
  constexpr int kRules = 60;
  for (int i = 0; i < kRules; ++i) {
    text += fmt::format("rule r{:02} {{ require kilo >= {}% by 2022-12-31 for each district }}\n",
                        i, i % 12 == 11 ? 90 : 10);
  }
  std::unique_ptr<World> world = checked_world(text);
  ASSERT_NE(world, nullptr);
  const store::UnitIndex papa = add_unit(*world, "p", "Papa", "province", -1);
  constexpr int kDistricts = 80;
  std::vector<std::string> ids;
  for (int d = 0; d < kDistricts; ++d) ids.push_back(fmt::format("d{:02}", d));
  for (const std::string& id : ids) {
    add_kilo(*world, add_unit(*world, id.c_str(), id.c_str(), "district", papa), 0.5, {});
  }
  evaluate_world(*world);
  ASSERT_EQ(world->results.rules.size(), static_cast<std::size_t>(kRules * kDistricts));
  DashboardData d;
  d.rules = &world->rules;
  d.snapshot = &world->snapshot;
  d.results = &world->results;
  // Page 1: 25 rules, the five whose 90% target is out of reach first.
  std::string page = render_dashboard(d);
  std::string_view targets = section(page, "chi-tieu");
  EXPECT_EQ(count(targets, "<details>"), kTargetsPerPage);
  EXPECT_EQ(count(targets, "<td class=\"unit\""), kTargetsPerPage * kUnitsPerRow);
  for (const char* worst : {"r11", "r23", "r35", "r47", "r59"}) {
    const std::size_t at = targets.find(std::string("<code>") + worst + "</code>");
    EXPECT_NE(at, std::string_view::npos) << worst;
    EXPECT_LT(at, targets.find("<code>r00</code>")) << worst;
  }
  EXPECT_NE(targets.find("60 quy tắc, 4.800 kết quả khớp bộ lọc."), std::string_view::npos);
  EXPECT_NE(targets.find("Trang 1 / 3"), std::string_view::npos);
  EXPECT_NE(targets.find("<a href=\"./?page=2#chi-tieu\" rel=\"next\">"), std::string_view::npos);
  EXPECT_EQ(targets.find("rel=\"prev\""), std::string_view::npos);
  EXPECT_NE(targets.find("<a href=\"rules/r11\">Xem cả 80 đơn vị trên trang của chỉ tiêu</a>"),
            std::string_view::npos);
  EXPECT_LT(page.size(), 2u << 20);
  // The last page: the ten rules left.
  d.filter.page = 3;
  d.query = {{"page", "3"}};
  page = render_dashboard(d);
  targets = section(page, "chi-tieu");
  EXPECT_EQ(count(targets, "<details>"), 10u);
  EXPECT_NE(targets.find("<a href=\"./?page=2#chi-tieu\" rel=\"prev\">"), std::string_view::npos);
  EXPECT_EQ(targets.find("rel=\"next\""), std::string_view::npos);
  // A page past the last is the last.
  d.filter.page = 99;
  EXPECT_EQ(count(section(render_dashboard(d), "chi-tieu"), "<details>"), 10u);

  // Filtered to the state of those five, by name: one page, the links keep the filter.
  d.filter = {};
  d.filter.state = eval::RuleState::at_risk;
  d.filter.sort = TargetFilter::Sort::name;
  d.query = {{"state", "at_risk"}, {"sort", "name"}};
  page = render_dashboard(d);
  targets = section(page, "chi-tieu");
  EXPECT_NE(targets.find("5 quy tắc, 400 kết quả khớp bộ lọc."), std::string_view::npos)
      << targets.substr(0, 4000);
  EXPECT_EQ(count(targets, "<details>"), 5u);
  EXPECT_LT(targets.find("<code>r11</code>"), targets.find("<code>r23</code>"));
  EXPECT_EQ(count(targets, ">Đạt</span>"), 0u);
  EXPECT_NE(targets.find("<option value=\"at_risk\" selected>"), std::string_view::npos);
  EXPECT_NE(targets.find("<option value=\"name\" selected>"), std::string_view::npos);

  // One unit: each rule's one result there is a row of its own.
  d.filter = {};
  d.filter.unit = "d07";
  page = render_dashboard(d);
  targets = section(page, "chi-tieu");
  EXPECT_EQ(count(targets, "<details>"), 0u);
  EXPECT_EQ(count(targets, "<td class=\"unit\""), kTargetsPerPage);
  EXPECT_NE(targets.find("60 quy tắc, 60 kết quả khớp bộ lọc."), std::string_view::npos);
  // The province: the units inside it match too.
  d.filter.unit = "p";
  EXPECT_NE(section(render_dashboard(d), "chi-tieu").find("60 quy tắc, 4.800 kết quả"),
            std::string_view::npos);
  // A unit the store does not have, and a level no result is at: nothing matches, said so.
  d.filter.unit = "nowhere";
  EXPECT_NE(render_dashboard(d).find("Không có chỉ tiêu nào khớp bộ lọc."), std::string::npos);
  d.filter.unit.clear();
  d.filter.level = "province";
  EXPECT_NE(render_dashboard(d).find("Không có chỉ tiêu nào khớp bộ lọc."), std::string::npos);
}

// The first section: what changed since the run compared with, in words and by name.
TEST(DashboardChanges, SaysWhatChangedAndListsTheWorstFirst) {
  std::unique_ptr<World> world = ascii_world();
  ASSERT_NE(world, nullptr);
  DashboardData d;
  d.rules = &world->rules;
  d.snapshot = &world->snapshot;
  d.results = &world->results;
  auto changes = std::make_shared<store::RunChanges>();
  changes->from_run = 4;
  changes->to_run = 7;
  changes->from_at = "2022-06-30";
  changes->to_at = "2022-09-30";
  changes->changes = {{store::Subject::rule, "r_each", "d1", "on_track", "met"},
                      {store::Subject::rule, "r_share", "p", "on_track", "at_risk"},
                      {store::Subject::rule, "r_hold", "p", "met", "at_risk"},
                      {store::Subject::task, "t_one", "", "at_risk", "overdue"},
                      {store::Subject::rule, "r_gone", "p", "met", ""}};
  changes->alerts_fired = 2;
  changes->alerts_resolved = 3;
  d.changes.changes = changes;
  std::string page = render_dashboard(d);
  std::string_view section_text = section(page, "thay-doi");
  ASSERT_FALSE(section_text.empty());
  EXPECT_NE(section_text.find("Từ lần đánh giá số 4 (ngày 30/6/2022) đến lần số 7 (ngày "
                              "30/9/2022)."),
            std::string_view::npos);
  EXPECT_NE(section_text.find("2 chỉ tiêu chuyển sang có nguy cơ không đạt; 1 chỉ tiêu chuyển "
                              "sang đạt; 1 nhiệm vụ mới quá hạn; 2 cảnh báo mới; 3 cảnh báo đã "
                              "hết."),
            std::string_view::npos)
      << section_text;
  // By name, worst first, each target linking to its page at the unit.
  EXPECT_NE(section_text.find("<a href=\"rules/r_share?unit=p\">Kilo share</a> — Papa:"),
            std::string_view::npos);
  EXPECT_LT(section_text.find("Step one"), section_text.find("Kilo share"));
  EXPECT_LT(section_text.find("Kilo share"), section_text.find("Kilo each"));
  EXPECT_NE(section_text.find("r_gone"), std::string_view::npos);
  // In English.
  d.language = Language::en;
  page = render_dashboard(d);
  section_text = section(page, "thay-doi");
  EXPECT_NE(section_text.find("2 target results moved to at risk of missing; 1 target result "
                              "moved to met; 1 task newly overdue; 2 new alerts; 3 alerts "
                              "resolved."),
            std::string_view::npos)
      << section_text;
  // Nothing changed; no earlier run; an error reading them.
  changes->changes.clear();
  changes->alerts_fired = changes->alerts_resolved = 0;
  d.language = Language::vi;
  EXPECT_NE(render_dashboard(d).find("Không có thay đổi nào."), std::string::npos);
  d.changes.changes.reset();
  EXPECT_NE(render_dashboard(d).find("Chưa có lần đánh giá trước để so sánh."), std::string::npos);
  d.changes.since = "2022-01-01";
  EXPECT_NE(render_dashboard(d).find("Không có lần đánh giá nào vào hoặc trước ngày đó."),
            std::string::npos);
  d.changes.pending = true;
  EXPECT_NE(render_dashboard(d).find("Đang đọc các thay đổi từ lần đánh giá trước"),
            std::string::npos);
  d.changes.pending = false;
  d.changes.error = "database is locked";
  EXPECT_NE(render_dashboard(d).find("Không đọc được thay đổi: database is locked"),
            std::string::npos);
}

}  // namespace
}  // namespace tiendo::service

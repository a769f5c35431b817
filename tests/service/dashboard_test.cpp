// The dashboard page for the real Đồng Nai rule set (rules/ with the data of examples/
// ingested into an in-memory store and evaluated on 30/9/2022, the report's date): the
// Vietnamese sections, one row per result, badges and progress bars, tasks by due date,
// the plan graph as SVG or as a nested list, no evaluation yet, escaping of hostile text,
// nothing loaded from elsewhere, and the cap on rows for very large rule sets.
#include "service/dashboard.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
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

namespace tiendo::service {
namespace {

using namespace std::chrono_literals;

const std::string kSourceDir = TIENDO_SOURCE_DIR;
constexpr std::string_view kGeneratedAt = "2022-09-30T20:15:00Z";

std::size_t count(std::string_view text, std::string_view part) {
  std::size_t n = 0;
  for (std::size_t pos = text.find(part); pos != std::string_view::npos;
       pos = text.find(part, pos + part.size())) {
    ++n;
  }
  return n;
}

// The text of the <section id="…"> of the page; empty when there is none.
std::string_view section(std::string_view page, std::string_view id) {
  const std::size_t start = page.find("<section id=\"" + std::string(id) + "\"");
  if (start == std::string_view::npos) return {};
  const std::size_t end = page.find("</section>", start);
  return page.substr(start, end == std::string_view::npos ? end : end - start);
}

// Nothing fetched from elsewhere and nothing run.
void expect_self_contained(const std::string& page) {
  for (std::string_view banned : {"http://", "https://", "<script", "<link", "<iframe", "<img",
                                  "@import", "url(", " src=\"", " href=", "javascript:"}) {
    EXPECT_EQ(page.find(banned), std::string::npos) << "the page contains " << banned;
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
  EXPECT_EQ(count(targets, "<tr>") - 1, results().rules.size());  // minus the header row
  EXPECT_GT(results().rules.size(), rules().rules.size());        // per-district rules too
  for (const model::Rule& rule : rules().rules) {
    EXPECT_NE(targets.find("<code>" + rule.name + "</code>"), std::string::npos) << rule.name;
    EXPECT_NE(targets.find(present::html_escape(rule.title)), std::string::npos) << rule.name;
  }
  for (const eval::RuleResult& r : results().rules) {
    EXPECT_NE(targets.find(std::string(present::label(r.state)) + "</span>"), std::string::npos)
        << eval::to_string(r.state);
  }
  EXPECT_EQ(targets.find("Hiển thị"), std::string::npos);  // nothing left out
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
  // Each `for each` rule summed up over all its units: the pilot communes' set meets it
  // everywhere, the districts' digitization has not started (issue #12).
  EXPECT_NE(targets.find("<h3>Chỉ tiêu theo từng đơn vị</h3>"), std::string::npos);
  EXPECT_NE(targets.find("<code>to_cnscd_xa_thi_diem</code>: 3/3 đơn vị đạt</li>"),
            std::string::npos)
      << targets;
  EXPECT_NE(targets.find("<code>digitization_district</code>: 0/11 đơn vị đạt</li>"),
            std::string::npos);
  // Every bar stays within 0..100%.
  for (std::size_t pos = targets.find("width: "); pos != std::string_view::npos;
       pos = targets.find("width: ", pos + 1)) {
    const double width = std::stod(std::string(targets.substr(pos + 7, 6)));
    EXPECT_GE(width, 0);
    EXPECT_LE(width, 100);
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
  const eval::Results results =
      eval::evaluate(*rules, snapshot, *model::parse_iso_date("2022-09-30"),
                     {.keep_trend_points = false, .keep_used = false, .threads = 0});
  DashboardData d;
  d.rules = &*rules;
  d.snapshot = &snapshot;
  d.results = &results;
  const std::string page = render_dashboard(d);
  const std::string_view targets = section(page, "chi-tieu");
  EXPECT_NE(targets.find(">khoảng 83,5%<div class=\"note\">mục I.5.a &lt;ước tính&gt;</div>"),
            std::string::npos)
      << targets;
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
    const eval::Results results =
        eval::evaluate(*rules, snapshot, *model::parse_iso_date(at),
                       {.keep_trend_points = false, .keep_used = false, .threads = 0});
    DashboardData d;
    d.rules = &*rules;
    d.snapshot = &snapshot;
    d.results = &results;
    return std::string(section(render_dashboard(d), "chi-tieu"));
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

  DashboardData d;
  d.rules = &*rules;
  d.snapshot = &snapshot;
  d.results = &results;
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

// 10 000 rules × 1 000 units would be ten million rows: the page keeps the 500 worst
// (missed before at risk before met …), counts every state, and says what it left out.
TEST_F(ExampleDashboard, ManyResultsShowTheWorstFiveHundredAndCountTheRest) {
  eval::Results many;
  many.at = results().at;
  many.tasks = results().tasks;
  many.plans = results().plans;
  constexpr std::size_t kRows = 100'000;
  many.rules.reserve(kRows);
  for (std::size_t i = 0; i < kRows; ++i) {
    eval::RuleResult r = results().rules[i % results().rules.size()];
    r.used.clear();
    // Mostly met, a few hundred missed and at risk spread through the list.
    r.state = i % 331 == 0  ? eval::RuleState::missed
              : i % 97 == 0 ? eval::RuleState::at_risk
                            : eval::RuleState::met;
    r.severity =
        r.state == eval::RuleState::met ? model::Severity::none : model::Severity::critical;
    many.rules.push_back(std::move(r));
  }
  const std::size_t missed = (kRows - 1) / 331 + 1;
  ASSERT_LT(missed, 500u);
  DashboardData d = data();
  d.results = &many;
  const std::string page = render_dashboard(d);
  EXPECT_LT(page.size(), 2u << 20);
  const std::string_view targets = section(page, "chi-tieu");
  EXPECT_EQ(count(targets, "<tr>") - 1, 500u);
  EXPECT_NE(targets.find("Hiển thị 500 trên 100.000 dòng"), std::string_view::npos);
  EXPECT_NE(targets.find("99.500 dòng không hiển thị"), std::string_view::npos);
  EXPECT_EQ(count(targets, ">Không đạt</span>"), missed);
  EXPECT_EQ(count(targets, ">Có nguy cơ không đạt</span>"), 500u - missed);
  EXPECT_EQ(count(targets, ">Đạt</span>"), 0u);
  // The summary counts all of them.
  EXPECT_NE(
      page.find(">Không đạt <b>" + present::format_number(static_cast<double>(missed)) + "</b>"),
      std::string::npos);
  EXPECT_NE(page.find("<h3>100.000 kết quả chỉ tiêu</h3>"), std::string::npos);
}

}  // namespace
}  // namespace tiendo::service

// Reasons said from the evaluator's facts: every kind of rule and task reason, evaluated
// from real rule text (the rule set's own test blocks declare the data), in both languages.
#include "present/reasons.hpp"

#include <gtest/gtest.h>

#include <cctype>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "dsl/check.hpp"
#include "dsl/parse.hpp"
#include "eval/rule_tests.hpp"
#include "support/languages.hpp"

namespace tiendo::present {
namespace {

using testing::ascii_words;
using testing::has_vietnamese_letter;

using eval::Because;
using eval::Gap;
using eval::TaskBecause;

// One rule set whose test blocks, between them, bring about every kind of reason. Names
// and titles are Vietnamese so that a Vietnamese sentence has no English word of ours.
constexpr std::string_view kRules = R"(
levels tinh > huyen > xa
indicator ty_le { title "Tỷ lệ hồ sơ trực tuyến" unit percent }
indicator so_tk { title "Số tài khoản" unit count }
indicator mau { title "Số hộ khảo sát" unit count }
indicator cu { title "Số liệu khảo sát cũ" unit count stale after 30d }
indicator trong { title "Số liệu chưa báo cáo" unit count }
task kho { title "Xây dựng Kho dữ liệu" due 2022-08-31 }
task cong { title "Xây dựng Cổng dữ liệu mở" due 2022-12-31 duration 60d after kho }
task bat_dau { title "Khảo sát" starts 2022-06-01 due 2022-12-31 }
task lam_viec { title "Triển khai" due 2022-12-31 duration 120d }
task han { title "Báo cáo" due 2022-09-30 }
task muon { title "Tập huấn" due 2022-09-15 }
task xong { title "Ban hành" due 2022-12-31 }
task huy { title "Thí điểm" due 2022-12-31 }
task chan { title "Mua sắm" due 2022-12-31 }
task gan { title "Tổng kết" due 2022-10-15 warn within 30d }
task xa_han { title "Đánh giá" due 2023-06-30 duration 30d }
task tu_do { title "Tuyên truyền" }
set xa_bien_gioi { title "Các xã biên giới" units xa_khong_co }
rule dat { require ty_le >= 50% by 2022-12-31 }
rule xu_huong { require ty_le >= 50% by 2022-12-31 warn within 120d }
rule tu_nam_sau { require ty_le >= 30% from 2023-01-01 }
rule tu_dau_nam { require ty_le >= 30% from 2022-01-01 }
rule khong_du { require so_tk >= 500 }
rule khong_so { require trong >= 1 by 2022-12-31 }
rule qua_han_khong_so { require trong >= 1 by 2022-06-30 }
rule qua_han_so_cu { require so_tk >= 100 by 2022-06-30 }
rule qua_han { require ty_le >= 50% by 2022-09-15 }
rule cu_dat { require cu >= 1 by 2022-06-30 }
rule chia { require so_tk / mau >= 1 }
rule can_kho { require so_tk >= 1000 by 2022-12-31 needs kho }
rule cu_qua { require cu >= 1 by 2023-12-31 }
rule moi_xa { require ty_le >= 50% by 2022-12-31 for each xa }
rule bien_gioi { require ty_le >= 50% by 2022-12-31 for each xa_bien_gioi }
rule tong_xa { require sum(so_tk, xa) >= 1 by 2022-12-31 }
rule ty_le_xa { require share(xa, ty_le >= 50%) >= 50% by 2022-12-31 }
rule tu_dau_nam_khong_so { require trong >= 1 from 2022-01-01 }

test "Quý III/2022" {
  unit dong_nai tinh "Đồng Nai"
  unit bien_hoa huyen "Biên Hòa" in dong_nai
  at 2022-09-30
  observe dong_nai ty_le 2022-03-31 = 4%
  observe dong_nai ty_le 2022-06-30 = 7%
  observe dong_nai ty_le 2022-Q3 = 9.23%
  observe dong_nai so_tk 2022-03 = 40
  observe dong_nai mau 2022-09 = 0
  observe dong_nai cu 2022-06-30 = 5
  status kho in_progress 2022-07-01 40%
  status xong done 2022-09-01
  status huy cancelled 2022-08-01
  status chan blocked 2022-09-10
  status muon done 2022-09-20
  expect dong_nai dat at_risk
  expect dong_nai xu_huong at_risk
  expect dong_nai tu_nam_sau not_yet
  expect dong_nai tu_dau_nam violated
  expect dong_nai khong_du violated
  expect dong_nai qua_han_khong_so missed
  expect dong_nai qua_han_so_cu missed
  expect dong_nai qua_han missed
  expect dong_nai chia error
  expect dong_nai can_kho blocked
  expect dong_nai cu_dat met
  expect dong_nai cu_qua stale
  expect dong_nai tong_xa no_data
  expect dong_nai ty_le_xa no_data
  expect dong_nai tu_dau_nam_khong_so no_data
  expect kho overdue
  expect cong blocked
  expect xong done
  expect muon done_late
  expect huy cancelled
  expect chan blocked
  expect bat_dau no_report
  expect lam_viec no_report
  expect han no_report
  expect gan at_risk
  expect tu_do on_track
}

test "Cuối năm" {
  unit dong_nai tinh "Đồng Nai"
  at 2022-12-31
  observe dong_nai ty_le 2022-Q4 = 60%
  status gan in_progress 2022-10-01 10%
  status xa_han in_progress 2022-10-01 10%
  status lam_viec in_progress 2022-10-01 50%
  expect dong_nai dat met
  expect dong_nai khong_so no_data
  expect lam_viec at_risk
  expect xa_han on_track
}
)";

class Reasons : public ::testing::Test {
 protected:
  void SetUp() override {
    dsl::Program program = dsl::load_text("reasons_test.rules", std::string(kRules));
    auto checked = dsl::check(program);
    std::string messages;
    for (const dsl::Diagnostic& d : program.diagnostics.all()) {
      messages += dsl::render(d, program.sources);
    }
    ASSERT_TRUE(checked) << messages;
    rules_ = std::move(*checked);
  }

  struct Said {
    std::string what;  // "rule dat at dong_nai on 2022-09-30"
    std::string en, vi;
    nlohmann::json why;
  };

  // Every result of every test, said in both languages, and the kinds that came.
  std::vector<Said> say_all() {
    std::vector<Said> said;
    for (const model::TestCase& test : rules_.tests) {
      const eval::TestOutcome outcome = eval::run_test(rules_, test);
      for (const eval::ExpectationOutcome& e : outcome.expectations) {
        EXPECT_TRUE(e.passed) << test.name << ": expected " << e.expectation->state << ", got "
                              << e.actual << " (line " << e.expectation->source.line << ")";
      }
      const store::Snapshot snapshot = eval::snapshot_of(rules_, test);
      const eval::Results results = eval::evaluate(rules_, snapshot, test.at);
      const ReasonContext context{rules_, snapshot, results};
      for (const eval::RuleResult& r : results.rules) {
        const std::string unit =
            r.unit < 0 ? "-" : snapshot.units()[static_cast<std::size_t>(r.unit)].id;
        said.push_back({"rule " + rules_.rules[static_cast<std::size_t>(r.rule)].name + " at " +
                            unit + " in " + test.name,
                        reason_text(context, r, Language::en),
                        reason_text(context, r, Language::vi), reason_json(context, r)});
        rule_kinds_.insert(r.reason.kind);
        if (r.reason.gap.kind != Gap::Kind::none) gap_kinds_.insert(r.reason.gap.kind);
        if (r.reason.stale)
          stale_in_verdict_ = stale_in_verdict_ || r.reason.kind != Because::stale;
      }
      for (const eval::TaskResult& t : results.tasks) {
        said.push_back(
            {"task " + rules_.tasks[static_cast<std::size_t>(t.task)].name + " in " + test.name,
             reason_text(context, t, Language::en), reason_text(context, t, Language::vi),
             reason_json(t)});
        task_kinds_.insert(t.reason);
      }
      // The exact sentences of a few, in both languages.
      if (test.name == "Quý III/2022") {
        const auto rule = [&](std::string_view name) -> const eval::RuleResult& {
          const model::Index index = rules_.find_rule(name);
          return eval::results_of(results, index).front();
        };
        EXPECT_EQ(reason_text(context, rule("qua_han_so_cu"), Language::vi),
                  "chưa có số liệu tại hạn; số liệu gần nhất, 40 (tháng 3/2022), không đạt: yêu "
                  "cầu ≥ 100 hạn 30/6/2022");
        EXPECT_EQ(reason_text(context, rule("qua_han_so_cu"), Language::en),
                  "no figure for the deadline; the last, 40 for 3/2022, fails: required >= 100 by "
                  "2022-06-30");
        EXPECT_EQ(reason_text(context, rule("chia"), Language::vi),
                  "chia cho 0: số chia bằng 0 tại Đồng Nai");
        EXPECT_EQ(reason_text(context, rule("chia"), Language::en),
                  "division by zero: the divisor is 0 at dong_nai");
        EXPECT_EQ(reason_text(context, rule("can_kho"), Language::vi),
                  "cần nhiệm vụ “Xây dựng Kho dữ liệu”, quá hạn từ 31/8/2022");
        EXPECT_EQ(reason_text(context, rule("cu_qua"), Language::vi),
                  "số liệu Số liệu khảo sát cũ mới nhất đến 30/6/2022, cũ hơn 30 ngày");
        EXPECT_EQ(reason_text(context, rule("cu_qua"), Language::en),
                  "the latest cu is from 2022-06-30, older than 30d");
        const std::string trend = reason_text(context, rule("xu_huong"), Language::vi);
        EXPECT_EQ(trend.rfind("9,23% hiện nay, yêu cầu ≥ 50% hạn 31/12/2022; dự báo ", 0), 0u)
            << trend;
        EXPECT_NE(trend.find("; cần tăng "), std::string::npos) << trend;
        EXPECT_NE(trend.find("điểm %/tháng, đang tăng "), std::string::npos) << trend;
        EXPECT_NE(trend.find("; trong 120 ngày cảnh báo trước hạn"), std::string::npos) << trend;
        const std::string en_trend = reason_text(context, rule("xu_huong"), Language::en);
        EXPECT_EQ(en_trend.rfind("9.23% now, >= 50% by 2022-12-31; projected ", 0), 0u) << en_trend;
        EXPECT_NE(en_trend.find("; inside the 120d warning window"), std::string::npos);
        EXPECT_EQ(
            reason_text(context, results.tasks[static_cast<std::size_t>(rules_.find_task("cong"))],
                        Language::vi),
            "chờ nhiệm vụ “Xây dựng Kho dữ liệu” (quá hạn)");
        EXPECT_EQ(
            reason_text(context, results.tasks[static_cast<std::size_t>(rules_.find_task("cong"))],
                        Language::en),
            "waits for kho (overdue)");
      }
    }
    return said;
  }

  model::RuleSet rules_;
  std::set<Because> rule_kinds_;
  std::set<Gap::Kind> gap_kinds_;
  std::set<TaskBecause> task_kinds_;
  bool stale_in_verdict_ = false;
};

TEST_F(Reasons, EveryKindComesAboutAndIsSaidInBothLanguages) {
  const std::vector<Said> said = say_all();
  // Every kind of reason, rule and task, and every kind of gap came from real evaluation.
  for (Because kind :
       {Because::holds, Because::no_units, Because::missing_units, Because::gap, Because::not_yet,
        Because::no_figure, Because::old_figure, Because::missed, Because::failed_on,
        Because::fails, Because::blocked, Because::stale, Because::trend}) {
    EXPECT_TRUE(rule_kinds_.contains(kind)) << to_string(kind);
  }
  for (Gap::Kind kind : {Gap::Kind::no_observation, Gap::Kind::none_inside, Gap::Kind::no_member,
                         Gap::Kind::division_by_zero, Gap::Kind::nothing_since}) {
    EXPECT_TRUE(gap_kinds_.contains(kind)) << to_string(kind);
  }
  for (TaskBecause kind :
       {TaskBecause::done, TaskBecause::done_late, TaskBecause::cancelled, TaskBecause::overdue,
        TaskBecause::reported_blocked, TaskBecause::waits_for, TaskBecause::no_report_starts,
        TaskBecause::no_report_work, TaskBecause::no_report_due, TaskBecause::late,
        TaskBecause::warn_window, TaskBecause::on_track, TaskBecause::no_due}) {
    EXPECT_TRUE(task_kinds_.contains(kind)) << to_string(kind);
  }
  EXPECT_TRUE(stale_in_verdict_) << "no verdict on stale data";

  // Our English words, none of which a Vietnamese sentence may carry (the data's
  // identifiers here are Vietnamese; the English sentences name things by them).
  const std::set<std::string> english = {
      "now",     "required",  "by",          "projected", "needed",   "observed", "per",
      "month",   "points",    "no",          "figure",    "deadline", "last",     "fails",
      "failed",  "on",        "since",       "nothing",   "division", "zero",     "divisor",
      "sum",     "set",       "names",       "units",     "unit",     "store",    "needs",
      "overdue", "blocked",   "cannot",      "finish",    "before",   "earliest", "chain",
      "latest",  "older",     "than",        "warning",   "window",   "inside",   "due",
      "done",    "cancelled", "reported",    "waits",     "status",   "starts",   "work",
      "value",   "applies",   "requirement", "there",     "are",      "of",       "level",
      "is",      "at",        "the",         "and",       "between",  "failing",  "data",
      "more",    "computed",  "observation", "has",       "which",    "not",      "it",
      "to",      "for",       "had",         "start",     "date",     "its",      "from"};
  std::size_t count = 0;
  for (const Said& s : said) {
    ++count;
    EXPECT_FALSE(s.en.empty()) << s.what;
    EXPECT_FALSE(s.vi.empty()) << s.what;
    EXPECT_NE(s.en, s.vi) << s.what;
    EXPECT_FALSE(has_vietnamese_letter(s.en)) << s.what << ": " << s.en;
    for (const std::string& word : ascii_words(s.vi)) {
      EXPECT_FALSE(english.contains(word)) << word << " in " << s.what << ": " << s.vi;
    }
    EXPECT_TRUE(s.why.contains("kind")) << s.what;
  }
  EXPECT_GT(count, 40u);
}

TEST_F(Reasons, TheStoredReasonIsDataWithNames) {
  const model::TestCase& test = rules_.tests.front();
  const store::Snapshot snapshot = eval::snapshot_of(rules_, test);
  const eval::Results results = eval::evaluate(rules_, snapshot, test.at);
  const ReasonContext context{rules_, snapshot, results};
  const auto first = [&](std::string_view name) -> const eval::RuleResult& {
    return eval::results_of(results, rules_.find_rule(name)).front();
  };
  EXPECT_EQ(reason_json(context, first("qua_han_so_cu")),
            nlohmann::json::parse(R"({"kind":"old_figure",
                                      "last":{"first":"2022-03-01","last":"2022-03-31"}})"));
  EXPECT_EQ(reason_json(context, first("chia")),
            nlohmann::json::parse(R"({"kind":"gap","gap":{"kind":"division_by_zero",
                                      "unit":"dong_nai"}})"));
  EXPECT_EQ(reason_json(context, first("can_kho")),
            nlohmann::json::parse(R"({"kind":"blocked","blocking_task":"kho","chain":[]})"));
  EXPECT_EQ(reason_json(context, first("tu_dau_nam_khong_so")),
            nlohmann::json::parse(R"({"kind":"gap","gap":{"kind":"nothing_since",
                                      "unit":"dong_nai","since":"2022-01-01"}})"));
  EXPECT_EQ(reason_json(results.tasks[static_cast<std::size_t>(rules_.find_task("han"))]),
            nlohmann::json::parse(R"({"kind":"no_report_due"})"));
}

}  // namespace
}  // namespace tiendo::present

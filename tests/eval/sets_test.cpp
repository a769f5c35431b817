// Issue #12: unit sets (by id, or by level and label), several `levels` chains, and the
// summaries of `for each` rules that name their units. Each case is a rules text with a
// `test` block for its units and data, evaluated as `tiendo test` would, and its results
// read in full.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "dsl/check.hpp"
#include "dsl/parse.hpp"
#include "eval/evaluate.hpp"
#include "eval/figures.hpp"
#include "eval/rule_tests.hpp"
#include "present/reasons.hpp"
#include "present/results.hpp"

namespace tiendo::eval {
namespace {

// A rule set with one test block, evaluated on the test's snapshot at the test's date.
class Evaluated {
 public:
  explicit Evaluated(const std::string& text) {
    dsl::Program program = dsl::load_text("sets_test.rules", text);
    auto checked = dsl::check(program);
    if (!checked) {
      for (const dsl::Diagnostic& d : program.diagnostics.all()) {
        problems_ += dsl::render(d, program.sources);
      }
      return;
    }
    rules_ = std::move(*checked);
    if (rules_.tests.size() != 1) {
      problems_ = "expected one test block";
      return;
    }
    snapshot_ = snapshot_of(rules_, rules_.tests[0]);
    results_ = evaluate(rules_, snapshot_, rules_.tests[0].at);
  }
  Evaluated(const Evaluated&) = delete;
  Evaluated& operator=(const Evaluated&) = delete;

  const std::string& problems() const { return problems_; }
  const model::RuleSet& rules() const { return rules_; }
  const store::Snapshot& snapshot() const { return snapshot_; }
  std::span<const RuleResult> results_of(std::string_view rule) const {
    return eval::results_of(results_, rules_.find_rule(rule));
  }

  std::vector<const RuleResult*> rows(std::string_view rule) const {
    std::vector<const RuleResult*> out;
    const model::Index index = rules_.find_rule(rule);
    EXPECT_NE(index, model::kNone) << rule;
    for (const RuleResult& r : results_.rules) {
      if (r.rule == index) out.push_back(&r);
    }
    return out;
  }
  std::string unit(store::UnitIndex u) const {
    return u < 0 ? std::string("-") : snapshot_.units()[static_cast<std::size_t>(u)].id;
  }
  std::vector<std::string> units(const std::vector<const RuleResult*>& rows) const {
    std::vector<std::string> out;
    for (const RuleResult* r : rows) out.push_back(unit(r->unit));
    return out;
  }
  std::vector<std::string> ids(const std::vector<store::UnitIndex>& list) const {
    std::vector<std::string> out;
    for (store::UnitIndex u : list) out.push_back(unit(u));
    return out;
  }
  std::string json() const {
    return present::to_json(rules_, snapshot_, results_, present::Filter{});
  }
  // A result's reason in English, as the evaluator's facts are said.
  std::string reason(const RuleResult& r) const {
    return present::reason_text({rules_, snapshot_, results_}, r, model::Language::en);
  }

 private:
  std::string problems_;
  model::RuleSet rules_;
  store::Snapshot snapshot_;
  Results results_;
};

// Two districts of three communes; Long Phước, Bình Lợi and Bảo Hòa are the pilots, and
// the two border communes carry the label bien_gioi.
constexpr const char* kWorld = R"(
levels province > district > commune
indicator teams { unit count }
set pilots { title "03 xã thí điểm"  units long_phuoc, binh_loi, bao_hoa }
set border { level commune  label "bien_gioi" }
rule pilot_teams { require teams >= 1 by Q3/2022 for each pilots }
rule border_share { require share(border, teams >= 1) >= 100% by 2022 }
rule border_count { require count(teams, border) >= 2 }
rule border_sum { require sum(teams, border) >= 3 }
rule pilots_by_district { require share(pilots, teams >= 1) >= 100% for each district }
rule all_communes { require share(commune, teams >= 1) >= 50% }
test "world" {
  unit dong_nai province "Tỉnh Đồng Nai"
  unit long_thanh district "Huyện Long Thành" in dong_nai
  unit xuan_loc district "Huyện Xuân Lộc" in dong_nai
  unit long_phuoc commune "Xã Long Phước" in long_thanh label "thi_diem"
  unit phuoc_thai commune "Xã Phước Thái" in long_thanh label "bien_gioi"
  unit tam_an commune "Xã Tam An" in long_thanh
  unit bao_hoa commune "Xã Bảo Hòa" in xuan_loc label "thi_diem", "bien_gioi"
  unit gia_ray commune "Thị trấn Gia Ray" in xuan_loc
  unit binh_loi commune "Xã Bình Lợi" in xuan_loc
  at 2022-10-15
  observe long_phuoc teams Q3/2022 = 1
  observe phuoc_thai teams Q3/2022 = 2
  observe bao_hoa teams Q3/2022 = 0
  observe tam_an teams Q3/2022 = 1
}
)";

TEST(Sets, ForEachSetEvaluatesItsUnitsInIdOrder) {
  const Evaluated e(kWorld);
  ASSERT_EQ(e.problems(), "");
  const auto rows = e.rows("pilot_teams");
  EXPECT_EQ(e.units(rows), (std::vector<std::string>{"bao_hoa", "binh_loi", "long_phuoc"}));
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0]->state, RuleState::missed) << e.reason(*rows[0]);  // 0 teams
  EXPECT_EQ(rows[1]->state, RuleState::missed) << e.reason(*rows[1]);  // never reported
  EXPECT_EQ(rows[2]->state, RuleState::met) << e.reason(*rows[2]);
  // The summary names the failing units and those without data.
  const auto summary = for_each_summary(e.rules(), e.results_of("pilot_teams"));
  ASSERT_TRUE(summary.has_value());
  EXPECT_EQ(summary->counted, 1u);
  EXPECT_EQ(summary->total, 3u);
  EXPECT_EQ(e.ids(summary->failing), (std::vector<std::string>{"bao_hoa", "binh_loi"}));
  EXPECT_EQ(present::coverage_names(e.snapshot(), *summary, 10),
            "chưa đạt: Xã Bảo Hòa, Xã Bình Lợi");
  // A rule without `for each` has no summary.
  EXPECT_FALSE(for_each_summary(e.rules(), e.results_of("border_share")).has_value());
}

TEST(Sets, ASetByLabelCountsTheLabelledUnitsOfItsLevel) {
  const Evaluated e(kWorld);
  ASSERT_EQ(e.problems(), "");
  const RuleResult* share = e.rows("border_share").at(0);
  EXPECT_EQ(e.unit(share->unit), "dong_nai");
  ASSERT_TRUE(share->value.has_value());
  EXPECT_DOUBLE_EQ(*share->value, 0.5);  // phuoc_thai holds, bao_hoa does not
  ASSERT_NE(share->coverage(), nullptr);
  EXPECT_EQ(e.rules().scope_name(share->coverage()->level), "border");
  EXPECT_EQ(share->coverage()->total, 2u);
  EXPECT_EQ(e.ids(share->coverage()->failing), std::vector<std::string>{"bao_hoa"});
  EXPECT_NE(e.reason(*share).find("1/2 border; failing: bao_hoa"), std::string::npos)
      << e.reason(*share);
  EXPECT_EQ(present::coverage_json(e.rules(), e.snapshot(), *share->coverage())["set"], true);

  const RuleResult* count = e.rows("border_count").at(0);
  ASSERT_TRUE(count->value.has_value());
  EXPECT_DOUBLE_EQ(*count->value, 2);  // both border communes reported
  const RuleResult* sum = e.rows("border_sum").at(0);
  ASSERT_TRUE(sum->value.has_value());
  EXPECT_DOUBLE_EQ(*sum->value, 2);  // 2 + 0; tam_an (no label) does not count
  EXPECT_EQ(sum->state, RuleState::violated);
}

TEST(Sets, ASetCountsOnlyItsUnitsInsideTheEvaluatedUnit) {
  const Evaluated e(kWorld);
  ASSERT_EQ(e.problems(), "");
  const auto rows = e.rows("pilots_by_district");
  ASSERT_EQ(rows.size(), 2u);
  // long_thanh holds one pilot (long_phuoc, holding); xuan_loc two (bao_hoa fails,
  // binh_loi has no data).
  EXPECT_EQ(e.unit(rows[0]->unit), "long_thanh");
  ASSERT_NE(rows[0]->coverage(), nullptr);
  EXPECT_EQ(rows[0]->coverage()->total, 1u);
  EXPECT_EQ(rows[0]->state, RuleState::ok) << e.reason(*rows[0]);
  EXPECT_EQ(e.unit(rows[1]->unit), "xuan_loc");
  ASSERT_NE(rows[1]->coverage(), nullptr);
  EXPECT_EQ(rows[1]->coverage()->total, 2u);
  EXPECT_EQ(e.ids(rows[1]->coverage()->failing), std::vector<std::string>{"bao_hoa"});
  EXPECT_EQ(e.ids(rows[1]->coverage()->no_data), std::vector<std::string>{"binh_loi"});
  EXPECT_EQ(rows[1]->state, RuleState::violated) << e.reason(*rows[1]);
}

// A set naming a unit the store lacks: every rule that ranges over it is in error, and
// says which; the others are untouched.
TEST(Sets, AUnitTheStoreLacksIsAnErrorThatNamesIt) {
  std::string text = kWorld;
  text.replace(text.find("units long_phuoc, binh_loi, bao_hoa"),
               std::string("units long_phuoc, binh_loi, bao_hoa").size(),
               "units long_phuoc, binh_loi, bao_hoa, bau_ham, song_ray");
  const Evaluated e(text);
  ASSERT_EQ(e.problems(), "");
  const auto rows = e.rows("pilot_teams");
  ASSERT_EQ(rows.size(), 3u);
  for (const RuleResult* r : rows) {
    EXPECT_EQ(r->state, RuleState::error) << e.unit(r->unit);
    EXPECT_EQ(e.reason(*r),
              "set pilots names units 'bau_ham', 'song_ray', which the store does not have "
              "(units come from a units input: unit,name,level,parent)");
    EXPECT_EQ(r->severity, model::Severity::warning);
  }
  for (const RuleResult* r : e.rows("pilots_by_district")) {
    EXPECT_EQ(r->state, RuleState::error) << e.unit(r->unit);
  }
  EXPECT_EQ(e.rows("border_share").at(0)->state, RuleState::at_risk);
  EXPECT_EQ(e.rows("all_communes").at(0)->state, RuleState::ok);

  // A set of none the store has: one error row, at no unit.
  std::string ghosts = kWorld;
  ghosts.replace(ghosts.find("units long_phuoc, binh_loi, bao_hoa"),
                 std::string("units long_phuoc, binh_loi, bao_hoa").size(), "units ghost");
  const Evaluated g(ghosts);
  ASSERT_EQ(g.problems(), "");
  const auto ghost_rows = g.rows("pilot_teams");
  ASSERT_EQ(ghost_rows.size(), 1u);
  EXPECT_EQ(ghost_rows[0]->unit, -1);
  EXPECT_EQ(ghost_rows[0]->state, RuleState::error);
  EXPECT_NE(g.reason(*ghost_rows[0]).find("set pilots names unit 'ghost'"), std::string::npos);
}

// A second chain: agencies inside the province count in a share at the province, and
// `for each agency` evaluates each.
TEST(Chains, AgenciesInsideTheProvinceCountAcrossChains) {
  const Evaluated e(R"(
levels province > district > commune
levels agency
indicator open_data { unit count }
indicator teams { unit count }
rule agencies_open_data { require share(agency, open_data >= 1) >= 50% by 2022 }
rule each_agency { require open_data >= 1 by 2022 for each agency }
rule communes { require count(teams, commune) >= 1 }
test "chains" {
  unit dong_nai province "Tỉnh Đồng Nai"
  unit bien_hoa district "Thành phố Biên Hòa" in dong_nai
  unit tan_phong commune "Phường Tân Phong" in bien_hoa
  unit so_tt_tt agency "Sở Thông tin và Truyền thông" in dong_nai
  unit so_y_te agency "Sở Y tế" in dong_nai
  unit so_gd_dt agency "Sở Giáo dục và Đào tạo" in dong_nai
  at 2022-09-30
  observe so_tt_tt open_data 2022-09 = 1
  observe so_y_te open_data 2022-09 = 0
  observe tan_phong teams 2022-09 = 1
}
)");
  ASSERT_EQ(e.problems(), "");
  const RuleResult* share = e.rows("agencies_open_data").at(0);
  EXPECT_EQ(e.unit(share->unit), "dong_nai");
  ASSERT_TRUE(share->value.has_value());
  EXPECT_DOUBLE_EQ(*share->value, 1.0 / 3.0);
  ASSERT_NE(share->coverage(), nullptr);
  EXPECT_EQ(e.ids(share->coverage()->failing), std::vector<std::string>{"so_y_te"});
  EXPECT_EQ(e.ids(share->coverage()->no_data), std::vector<std::string>{"so_gd_dt"});
  EXPECT_EQ(e.units(e.rows("each_agency")),
            (std::vector<std::string>{"so_gd_dt", "so_tt_tt", "so_y_te"}));
  // The agencies are no communes.
  const RuleResult* communes = e.rows("communes").at(0);
  ASSERT_TRUE(communes->value.has_value());
  EXPECT_DOUBLE_EQ(*communes->value, 1);

  // eval --format json sums each `for each` rule up, every unit named.
  const auto json = nlohmann::json::parse(e.json());
  ASSERT_EQ(json["summaries"].size(), 1u) << json.dump(2);
  const nlohmann::json& summary = json["summaries"][0];
  EXPECT_EQ(summary["rule"], "each_agency");
  EXPECT_EQ(summary["level"], "agency");
  EXPECT_FALSE(summary.contains("set"));
  EXPECT_EQ(summary["counted"], 1);
  EXPECT_EQ(summary["total"], 3);
  // At the end of Q3, before the deadline: so_y_te (0) is at risk, so_gd_dt has no data.
  EXPECT_EQ(summary["failing"],
            nlohmann::json::parse(R"([{"unit": "so_y_te", "name": "Sở Y tế"}])"));
  EXPECT_EQ(summary["no_data"],
            nlohmann::json::parse(R"([{"unit": "so_gd_dt", "name": "Sở Giáo dục và Đào tạo"}])"));
}

}  // namespace
}  // namespace tiendo::eval

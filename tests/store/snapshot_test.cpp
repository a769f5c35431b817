// The snapshot the evaluator reads, loaded from a real database through ingest.
#include "store/snapshot.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <sstream>

#include "../e2e/run.hpp"
#include "dsl/check.hpp"
#include "store/ingest.hpp"
#include "support/test_store.hpp"

namespace tiendo::store {
namespace {

TEST(Snapshot, HoldsTheLatestRevisionOfEachObservationAndTheUnitTree) {
  dsl::Program program = dsl::load_text("t.rules", R"(
levels province > district > commune
indicator rate { unit percent }
task t { due 2022-12-31 }
)");
  auto rules = dsl::check(program);
  ASSERT_TRUE(rules.has_value());
  auto opened = Database::open(testing::memory_store());
  ASSERT_TRUE(std::holds_alternative<Database>(opened));
  Database& db = std::get<Database>(opened);
  IngestOptions options;
  options.rules = &*rules;
  options.now = "2022-10-01T00:00:00Z";
  const auto first = ingest(db,
                            {{"units.csv",
                              "unit,name,level,parent\ndn,Đồng Nai,province,\n"
                              "lt,Long Thành,district,dn\nlp,Long Phước,commune,lt\n"
                              "pt,Phước Thái,commune,lt\n"},
                             {"obs.csv",
                              "indicator,unit,period,value,source\n"
                              "rate,dn,2022-Q2,5%,a\nrate,dn,2022-Q3,9%,a\nrate,lp,2022-Q3,1%,a\n"},
                             {"s.csv", "task,status,date\nt,in_progress,2022-07-01\n"}},
                            options);
  ASSERT_TRUE(std::get<IngestSummary>(first).committed);
  options.now = "2022-10-02T00:00:00Z";
  const auto second =
      ingest(db, {{"fix.csv", "indicator,unit,period,value,source\nrate,dn,Q3/2022,\"9,23%\",b\n"}},
             options);
  ASSERT_EQ(std::get<IngestSummary>(second).observations_added, 1u);

  auto loaded = load_snapshot(db, *rules);
  ASSERT_TRUE(std::holds_alternative<Snapshot>(loaded));
  const Snapshot& snapshot = std::get<Snapshot>(loaded);
  const UnitIndex dn = snapshot.find_unit("dn");
  const UnitIndex lt = snapshot.find_unit("lt");
  ASSERT_GE(dn, 0);
  ASSERT_EQ(snapshot.roots(), std::vector<UnitIndex>{dn});
  EXPECT_EQ(snapshot.descendants(dn, 2).size(), 2u);  // communes inside the province
  EXPECT_EQ(snapshot.descendants(lt, 2).size(), 2u);
  EXPECT_EQ(snapshot.units_at(1), std::vector<UnitIndex>{lt});

  const auto series = snapshot.series(0, dn);
  ASSERT_EQ(series.size(), 2u);  // Q2 and Q3, each once
  EXPECT_NEAR(series[0].value, 0.05, 1e-12);
  EXPECT_NEAR(series[1].value, 0.0923, 1e-12);  // the second revision
  EXPECT_EQ(series[1].revision, 2);
  auto origin = provenance(db, series[1].row);
  ASSERT_TRUE(std::holds_alternative<Provenance>(origin));
  EXPECT_EQ(std::get<Provenance>(origin).source, "b");
  EXPECT_EQ(std::get<Provenance>(origin).input, "fix.csv");
  EXPECT_EQ(std::get<Provenance>(origin).input_line, 2);
  EXPECT_TRUE(std::holds_alternative<DbError>(provenance(db, 999999)));
  EXPECT_EQ(model::to_string(series[1].end()), "2022-09-30");
  ASSERT_EQ(snapshot.statuses(0).size(), 1u);
  EXPECT_EQ(snapshot.statuses(0)[0].status, model::TaskStatus::in_progress);
  EXPECT_EQ(snapshot.point_count(), 3u);
}

// Loading splits the observations into id ranges read by parallel connections. Whatever
// the split, the snapshot is the same, including revisions whose older versions fall in
// another range and fractions.
TEST(Snapshot, ParallelLoadingGivesTheSameSnapshot) {
  dsl::Program program = dsl::load_text("t.rules", R"(
levels province > district
indicator a { unit percent }
indicator b { unit count }
)");
  auto rules = dsl::check(program);
  ASSERT_TRUE(rules.has_value());
  testing::TempDir dir;
  auto opened = Database::open(testing::test_store(dir.path()));
  ASSERT_TRUE(std::holds_alternative<Database>(opened));
  Database& db = std::get<Database>(opened);
  IngestOptions options;
  options.rules = &*rules;
  std::string units = "unit,name,level,parent\np,P,province,\n";
  std::string first = "indicator,unit,period,value\n";
  std::string second = "indicator,unit,period,value\n";
  for (int d = 0; d < 20; ++d) {
    units += fmt::format("d{},D{},district,p\n", d, d);
    for (int q = 1; q <= 4; ++q) {
      first += fmt::format("a,d{},2022-Q{},{}/{}\n", d, q, d + q, 100);
      first += fmt::format("b,d{},2022-Q{},{}\n", d, q, d * q);
      // Later revisions of some periods, ingested afterwards: higher ids.
      if ((d + q) % 3 == 0) second += fmt::format("b,d{},2022-Q{},{}\n", d, q, 1000 + d * q);
    }
  }
  options.now = "2022-10-01T00:00:00Z";
  ASSERT_TRUE(
      std::get<IngestSummary>(ingest(db, {{"u.csv", units}, {"o.csv", first}}, options)).committed);
  options.now = "2022-10-02T00:00:00Z";
  ASSERT_TRUE(std::get<IngestSummary>(ingest(db, {{"r.csv", second}}, options)).committed);

  const auto describe = [&](const Snapshot& snapshot) {
    std::string out;
    for (model::Index i = 0; i < 2; ++i) {
      for (UnitIndex u = 0; u < static_cast<UnitIndex>(snapshot.units().size()); ++u) {
        for (const Point& p : snapshot.series(i, u)) {
          out +=
              fmt::format("{} {} {}..{} {} r{} #{} {}/{}\n", i, snapshot.units()[u].id, p.first_day,
                          p.last_day, p.value, p.revision, p.row,
                          snapshot.numerator(p).value_or(-1), snapshot.denominator(p).value_or(-1));
        }
      }
    }
    return out;
  };
  auto one = load_snapshot(db, *rules, {.threads = 1, .known_at = "", .indicators = {}});
  ASSERT_TRUE(std::holds_alternative<Snapshot>(one));
  const std::string expected = describe(std::get<Snapshot>(one));
  EXPECT_EQ(std::get<Snapshot>(one).point_count(), 160u);
  EXPECT_NE(expected.find("/100"), std::string::npos);  // fractions kept
  EXPECT_NE(expected.find("r2"), std::string::npos);    // revisions kept
  for (unsigned threads : {2u, 3u, 7u, 1000u}) {
    auto many = load_snapshot(db, *rules, {.threads = threads, .known_at = "", .indicators = {}});
    ASSERT_TRUE(std::holds_alternative<Snapshot>(many)) << threads;
    EXPECT_EQ(describe(std::get<Snapshot>(many)), expected) << threads << " threads";
  }
  // One indicator only (a target's page): its series as a full load reads them, nothing
  // of the other; an indicator the rule set does not declare reads nothing.
  auto only_b =
      load_snapshot(db, *rules, {.threads = 0, .known_at = "", .indicators = {"b", "nope"}});
  ASSERT_TRUE(std::holds_alternative<Snapshot>(only_b)) << std::get<DbError>(only_b).message;
  std::string expected_b;
  std::istringstream lines(expected);
  for (std::string line; std::getline(lines, line);) {
    if (line.starts_with("1 ")) expected_b += line + "\n";
  }
  ASSERT_FALSE(expected_b.empty());
  EXPECT_EQ(describe(std::get<Snapshot>(only_b)), expected_b);
  EXPECT_EQ(std::get<Snapshot>(only_b).point_count(), 80u);
}

// Points arrive in any order and any mix of series; each series comes out by period,
// with only the highest revision of each period, and fractions stay with their point.
TEST(Snapshot, GroupsPointsAddedInAnyOrder) {
  Snapshot snapshot;
  const UnitIndex a = snapshot.add_unit({"a", "A", "province", 0, -1, {}});
  const UnitIndex b = snapshot.add_unit({"b", "B", "province", 0, -1, {}});
  const auto point = [](int first, int last, double value, int revision) {
    Point p;
    p.first_day = first;
    p.last_day = last;
    p.value = value;
    p.revision = revision;
    return p;
  };
  snapshot.add_point(1, b, point(10, 19, 1.0, 1));
  snapshot.add_point(0, a, point(20, 29, 2.0, 1), 3.0, 4.0);
  snapshot.add_point(1, b, point(0, 9, 0.5, 1));
  snapshot.add_point(0, a, point(0, 9, 9.0, 2));
  snapshot.add_point(0, a, point(0, 9, 8.0, 1));
  snapshot.add_point(0, a, point(10, 19, 7.0, 1));
  snapshot.finish(0);
  EXPECT_EQ(snapshot.point_count(), 5u);
  const auto sa = snapshot.series(0, a);
  ASSERT_EQ(sa.size(), 3u);
  EXPECT_EQ(sa[0].value, 9.0);  // revision 2 of the first period
  EXPECT_EQ(sa[1].value, 7.0);
  EXPECT_EQ(sa[2].value, 2.0);
  EXPECT_EQ(snapshot.numerator(sa[2]), 3.0);
  EXPECT_EQ(snapshot.denominator(sa[2]), 4.0);
  EXPECT_EQ(snapshot.numerator(sa[0]), std::nullopt);
  const auto sb = snapshot.series(1, b);
  ASSERT_EQ(sb.size(), 2u);
  EXPECT_EQ(sb[0].value, 0.5);
  EXPECT_EQ(sb[1].value, 1.0);
  EXPECT_TRUE(snapshot.series(1, a).empty());
  EXPECT_TRUE(snapshot.series(7, a).empty());
  EXPECT_TRUE(snapshot.series(0, -1).empty());
}

TEST(Snapshot, KeepsOnlyThePointsNamedWithTheirDetails) {
  Snapshot snapshot;
  const UnitIndex a = snapshot.add_unit({"a", "A", "province", 0, -1, {}});
  Point p;
  for (int i = 0; i < 4; ++i) {
    p.first_day = 10 * i;
    p.last_day = 10 * i + 9;
    p.value = i;
    if (i == 2) {
      snapshot.add_point(0, a, p, PointDetail{3.0, 4.0, "ước tính", true});
    } else {
      snapshot.add_point(0, a, p);
    }
  }
  snapshot.add_status(0, StatusEvent{model::Date{std::chrono::days{5}},
                                     model::TaskStatus::in_progress, 0.5, snapshot.intern("x")});
  snapshot.finish(1);
  const auto series = snapshot.series(0, a);
  ASSERT_EQ(series.size(), 4u);
  std::vector<const Point*> named = {&series[2], nullptr, &series[2], &series[0]};
  snapshot.keep_only(named);
  EXPECT_TRUE(snapshot.trimmed());
  EXPECT_EQ(snapshot.point_count(), 2u);
  EXPECT_EQ(named[0], named[2]);  // one copy of a point named twice
  EXPECT_EQ(named[1], nullptr);
  EXPECT_EQ(named[0]->value, 2.0);
  EXPECT_EQ(named[3]->value, 0.0);
  EXPECT_EQ(snapshot.note(*named[0]), "ước tính");
  EXPECT_TRUE(snapshot.estimate(*named[0]));
  EXPECT_EQ(snapshot.numerator(*named[0]), 3.0);
  EXPECT_EQ(snapshot.denominator(*named[0]), 4.0);
  EXPECT_EQ(snapshot.note(*named[3]), "");
  // The units and the status events stay.
  EXPECT_EQ(snapshot.find_unit("a"), a);
  ASSERT_EQ(snapshot.statuses(0).size(), 1u);
  EXPECT_EQ(snapshot.text(snapshot.statuses(0)[0].note), "x");
}

}  // namespace
}  // namespace tiendo::store

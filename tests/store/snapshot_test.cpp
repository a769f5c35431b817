// The snapshot the evaluator reads, loaded from a real database through ingest.
#include "store/snapshot.hpp"

#include <gtest/gtest.h>

#include "dsl/check.hpp"
#include "store/ingest.hpp"

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
  auto opened = Database::open(":memory:");
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
  const auto second = ingest(
      db, {{"fix.csv", "indicator,unit,period,value,source\nrate,dn,Q3/2022,\"9,23%\",b\n"}},
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

  const auto& series = snapshot.series(0, dn);
  ASSERT_EQ(series.size(), 2u);  // Q2 and Q3, each once
  EXPECT_NEAR(series[0].value, 0.05, 1e-12);
  EXPECT_NEAR(series[1].value, 0.0923, 1e-12);  // the second revision
  EXPECT_EQ(series[1].revision, 2);
  EXPECT_EQ(snapshot.text(series[1].source), "b");
  EXPECT_EQ(snapshot.text(series[1].input), "fix.csv");
  EXPECT_EQ(model::to_string(series[1].end), "2022-09-30");
  ASSERT_EQ(snapshot.statuses(0).size(), 1u);
  EXPECT_EQ(snapshot.statuses(0)[0].status, model::TaskStatus::in_progress);
  EXPECT_EQ(snapshot.point_count(), 3u);
}

}  // namespace
}  // namespace tiendo::store

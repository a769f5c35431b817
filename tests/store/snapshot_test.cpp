// The snapshot the evaluator reads, loaded from a real database through ingest.
#include "store/snapshot.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <atomic>
#include <optional>
#include <random>
#include <set>
#include <sstream>

#include "../e2e/run.hpp"
#include "dsl/check.hpp"
#include "store/ingest.hpp"
#include "store/sql/statements.hpp"
#include "support/test_store.hpp"

namespace tiendo::store {
namespace {

// A rule set and a new store (a file, or a PostgreSQL database under the postgresql
// label), for the tests that ingest into it and load it.
struct StoreWithRules {
  explicit StoreWithRules(std::string_view rules_text) {
    dsl::Program program = dsl::load_text("t.rules", std::string(rules_text));
    rules = dsl::check(program);
    auto opened = Database::open(testing::test_store(dir.path()));
    if (auto* made = std::get_if<Database>(&opened)) db.emplace(std::move(*made));
  }
  bool ready() const { return rules.has_value() && db.has_value(); }
  std::optional<model::RuleSet> rules;
  testing::TempDir dir;
  std::optional<Database> db;
};

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
  StoreWithRules fixture(R"(
levels province > district
indicator a { unit percent }
indicator b { unit count }
)");
  ASSERT_TRUE(fixture.ready());
  const model::RuleSet* rules = &*fixture.rules;
  Database& db = *fixture.db;
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
  auto one = load_snapshot(
      db, *rules,
      {.threads = 1, .known_at = "", .through = {}, .base = nullptr, .cancel = nullptr});
  ASSERT_TRUE(std::holds_alternative<Snapshot>(one));
  const std::string expected = describe(std::get<Snapshot>(one));
  EXPECT_EQ(std::get<Snapshot>(one).point_count(), 160u);
  EXPECT_NE(expected.find("/100"), std::string::npos);  // fractions kept
  EXPECT_NE(expected.find("r2"), std::string::npos);    // revisions kept
  for (unsigned threads : {2u, 3u, 7u, 1000u}) {
    auto many = load_snapshot(
        db, *rules,
        {.threads = threads, .known_at = "", .through = {}, .base = nullptr, .cancel = nullptr});
    ASSERT_TRUE(std::holds_alternative<Snapshot>(many)) << threads;
    EXPECT_EQ(describe(std::get<Snapshot>(many)), expected) << threads << " threads";
  }
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

// Everything a snapshot holds, in an order independent of unit indexes: each series by
// indicator and unit id, each point with what it carries, and each task's status events.
std::string describe_whole(const model::RuleSet& rules, const Snapshot& snapshot) {
  std::vector<std::string> lines;
  for (model::Index i = 0; i < static_cast<model::Index>(rules.indicators.size()); ++i) {
    for (UnitIndex u = 0; u < static_cast<UnitIndex>(snapshot.units().size()); ++u) {
      for (const Point& p : snapshot.series(i, u)) {
        lines.push_back(fmt::format(
            "{} {} {}..{} {} r{} #{} {}/{} '{}' {}", i, snapshot.units()[u].id, p.first_day,
            p.last_day, p.value, p.revision, p.row, snapshot.numerator(p).value_or(-1),
            snapshot.denominator(p).value_or(-1), snapshot.note(p), snapshot.estimate(p)));
      }
    }
  }
  std::sort(lines.begin(), lines.end());
  std::string out = fmt::format("{} points\n", snapshot.point_count());
  for (const std::string& line : lines) out += line + "\n";
  for (model::Index t = 0; t < static_cast<model::Index>(rules.tasks.size()); ++t) {
    for (const StatusEvent& e : snapshot.statuses(t)) {
      out += fmt::format("task {} {} {} {} '{}'\n", t, model::to_string(e.date),
                         model::to_string(e.status), e.progress.value_or(-1),
                         e.note >= 0 ? snapshot.text(e.note) : "");
    }
  }
  for (const SnapshotUnit& unit : snapshot.units()) {
    out += fmt::format("unit {} {} {}\n", unit.id, unit.level,
                       unit.parent >= 0 ? snapshot.units()[unit.parent].id : "-");
  }
  return out;
}

// A service keeps its last evaluation's snapshot and loads the next from it
// (LoadOptions::base): only the rows ingested since are read. After every round of random
// ingests (new periods, later revisions with fractions, notes and estimates, status
// events, now and then a new unit), that load holds exactly what a full load holds.
TEST(Snapshot, ALoadFromABaseHoldsWhatAFullLoadHolds) {
  StoreWithRules fixture(R"(
levels province > district > commune
indicator a { unit percent }
indicator b { unit count }
task t1 { due 2023-12-31 }
task t2 { due 2023-12-31 }
)");
  ASSERT_TRUE(fixture.ready());
  const model::RuleSet* rules = &*fixture.rules;
  Database& db = *fixture.db;
  IngestOptions options;
  options.rules = &*rules;
  options.now = "2023-01-01T00:00:00Z";
  std::vector<std::string> units = {"p"};
  std::string unit_rows = "unit,name,level,parent\np,P,province,\n";
  for (int d = 0; d < 3; ++d) {
    units.push_back(fmt::format("d{}", d));
    unit_rows += fmt::format("d{},D{},district,p\n", d, d);
    for (int c = 0; c < 3; ++c) {
      units.push_back(fmt::format("c{}{}", d, c));
      unit_rows += fmt::format("c{}{},C{}{},commune,d{}\n", d, c, d, c, d);
    }
  }
  ASSERT_TRUE(std::get<IngestSummary>(ingest(db, {{"u.csv", unit_rows}}, options)).committed);

  std::mt19937 random(7);
  const auto pick = [&](int n) { return static_cast<int>(random() % static_cast<unsigned>(n)); };
  std::optional<Snapshot> previous;
  int new_units = 0;
  for (int round = 0; round < 12; ++round) {
    options.now = fmt::format("2023-01-{:02}T00:00:00Z", round + 2);
    std::string rows = "indicator,unit,period,value,note,estimate\n";
    const int count = 1 + pick(25);
    std::set<std::string> written;  // an input names an observation once
    for (int i = 0; i < count; ++i) {
      const std::string unit =
          units[static_cast<std::size_t>(pick(static_cast<int>(units.size())))];
      const std::string period = fmt::format("2022-Q{}", 1 + pick(4));
      const int kind = pick(4);
      if (!written.insert(fmt::format("{} {} {}", kind < 2, unit, period)).second) continue;
      switch (kind) {
        case 0:
          rows += fmt::format("a,{},{},{}/40,,\n", unit, period, pick(40));
          break;
        case 1:
          rows += fmt::format("a,{},{},\"{},5%\",vòng {},có\n", unit, period, pick(99), round);
          break;
        case 2:
          rows += fmt::format("b,{},{},{},,\n", unit, period, pick(1000));
          break;
        default:
          rows += fmt::format("b,{},{},khoảng {},,\n", unit, period, pick(1000));
          break;
      }
    }
    std::vector<IngestInput> files = {{"o.csv", rows}};
    files.push_back(
        {"s.csv", fmt::format("task,status,date,progress\nt{},in_progress,2022-{:02}-01,{}%\n",
                              1 + pick(2), 1 + round, 5 * round)});
    if (round % 5 == 4) {  // a new unit with observations of its own: the base is set aside
      const std::string unit = fmt::format("n{}", new_units++);
      units.push_back(unit);
      files.insert(files.begin(),
                   {"n.csv", fmt::format("unit,name,level,parent\n{},N,commune,d0\n", unit)});
      files.push_back(
          {"n-o.csv", fmt::format("indicator,unit,period,value\nb,{},2022-Q1,1\n", unit)});
    }
    const auto summary = ingest(db, files, options);
    ASSERT_TRUE(std::holds_alternative<IngestSummary>(summary)) << round;
    ASSERT_TRUE(std::get<IngestSummary>(summary).committed) << round;

    auto full = load_snapshot(db, *rules);
    ASSERT_TRUE(std::holds_alternative<Snapshot>(full)) << std::get<DbError>(full).message;
    auto from_base = load_snapshot(db, *rules,
                                   {.threads = 0,
                                    .known_at = "",
                                    .through = {},
                                    .base = previous ? &*previous : nullptr,
                                    .cancel = nullptr});
    ASSERT_TRUE(std::holds_alternative<Snapshot>(from_base));
    const Snapshot& whole = std::get<Snapshot>(full);
    const Snapshot& next = std::get<Snapshot>(from_base);
    EXPECT_EQ(describe_whole(*rules, next), describe_whole(*rules, whole)) << "round " << round;
    ASSERT_TRUE(whole.read_through().has_value());
    EXPECT_EQ(next.read_through(), whole.read_through());
    EXPECT_EQ(whole.observations_read(), whole.read_through()->observations);
    if (previous && round % 5 != 4) {
      // Only this round's rows were read.
      EXPECT_EQ(next.observations_read(),
                static_cast<std::size_t>(whole.read_through()->observations -
                                         previous->read_through()->observations))
          << "round " << round;
    } else {
      EXPECT_EQ(next.observations_read(), whole.observations_read()) << "round " << round;
    }
    previous = std::move(std::get<Snapshot>(from_base));
  }

  // The rows a base holds are taken from it, not read again: a change made behind the
  // store's back (the store never changes an observation) shows in a full load only.
  std::int64_t row = 0;
  for (UnitIndex u = 0; row == 0 && u < static_cast<UnitIndex>(previous->units().size()); ++u) {
    if (!previous->series(0, u).empty()) row = previous->series(0, u)[0].row;
  }
  ASSERT_GT(row, 0);
  ASSERT_FALSE(
      sql::execute(db, fmt::format("UPDATE observations SET value = 12345 WHERE id = {}", row)));
  auto again = load_snapshot(
      db, *rules,
      {.threads = 0, .known_at = "", .through = {}, .base = &*previous, .cancel = nullptr});
  ASSERT_TRUE(std::holds_alternative<Snapshot>(again));
  EXPECT_EQ(describe_whole(*rules, std::get<Snapshot>(again)), describe_whole(*rules, *previous));
  EXPECT_EQ(std::get<Snapshot>(again).observations_read(), 0u);
  auto full = load_snapshot(db, *rules);
  ASSERT_TRUE(std::holds_alternative<Snapshot>(full));
  EXPECT_NE(describe_whole(*rules, std::get<Snapshot>(full)).find(" 12345 "), std::string::npos);
  // With known_at, the base is set aside: a whole read "as known then".
  auto known = load_snapshot(db, *rules,
                             {.threads = 0,
                              .known_at = "2023-01-03T00:00:00Z",
                              .through = {},
                              .base = &*previous,
                              .cancel = nullptr});
  ASSERT_TRUE(std::holds_alternative<Snapshot>(known));
  EXPECT_FALSE(std::get<Snapshot>(known).read_through().has_value());
  EXPECT_LT(std::get<Snapshot>(known).point_count(), previous->point_count());
}

// A follower evaluates what its leader read: a load through the ids another load read
// holds what that load held, whatever was ingested since, from a base or not; a base that
// read past them is set aside.
TEST(Snapshot, ALoadThroughTheIdsAnotherReadHoldsWhatThatLoadHeld) {
  StoreWithRules fixture(R"(
levels province
indicator a { unit count }
task t { due 2023-12-31 }
)");
  ASSERT_TRUE(fixture.ready());
  const model::RuleSet* rules = &*fixture.rules;
  Database& db = *fixture.db;
  IngestOptions options;
  options.rules = &*rules;
  const auto put = [&](const std::string& now, const std::string& rows, const std::string& status) {
    options.now = now;
    const auto summary = ingest(db,
                                {{"o.csv", "indicator,unit,period,value\n" + rows},
                                 {"s.csv", "task,status,date\nt," + status + "\n"}},
                                options);
    ASSERT_TRUE(std::get<IngestSummary>(summary).committed);
  };
  options.now = "2023-01-01T00:00:00Z";
  ASSERT_TRUE(std::get<IngestSummary>(
                  ingest(db, {{"u.csv", "unit,name,level,parent\np,P,province,\nq,Q,province,\n"}},
                         options))
                  .committed);
  put("2023-01-02T00:00:00Z", "a,p,2022-Q1,1\na,q,2022-Q1,2\n", "in_progress,2022-03-01");
  auto first = load_snapshot(db, *rules);
  ASSERT_TRUE(std::holds_alternative<Snapshot>(first));
  put("2023-01-03T00:00:00Z", "a,p,2022-Q2,3\na,q,2022-Q1,20\n", "blocked,2022-06-01");
  auto second = load_snapshot(db, *rules);
  ASSERT_TRUE(std::holds_alternative<Snapshot>(second));
  const ReadThrough through = *std::get<Snapshot>(second).read_through();
  const std::string expected = describe_whole(*rules, std::get<Snapshot>(second));
  put("2023-01-04T00:00:00Z", "a,p,2022-Q3,4\na,p,2022-Q2,30\n", "done,2022-09-01");

  auto bounded = load_snapshot(
      db, *rules,
      {.threads = 0, .known_at = "", .through = through, .base = nullptr, .cancel = nullptr});
  ASSERT_TRUE(std::holds_alternative<Snapshot>(bounded));
  EXPECT_EQ(describe_whole(*rules, std::get<Snapshot>(bounded)), expected);
  EXPECT_EQ(std::get<Snapshot>(bounded).read_through(), through);
  auto from_first = load_snapshot(db, *rules,
                                  {.threads = 0,
                                   .known_at = "",
                                   .through = through,
                                   .base = &std::get<Snapshot>(first),
                                   .cancel = nullptr});
  ASSERT_TRUE(std::holds_alternative<Snapshot>(from_first));
  EXPECT_EQ(describe_whole(*rules, std::get<Snapshot>(from_first)), expected);
  EXPECT_EQ(std::get<Snapshot>(from_first).observations_read(), 2u);
  auto latest = load_snapshot(db, *rules);
  ASSERT_TRUE(std::holds_alternative<Snapshot>(latest));
  auto from_latest = load_snapshot(db, *rules,
                                   {.threads = 0,
                                    .known_at = "",
                                    .through = through,
                                    .base = &std::get<Snapshot>(latest),
                                    .cancel = nullptr});
  ASSERT_TRUE(std::holds_alternative<Snapshot>(from_latest));
  EXPECT_EQ(describe_whole(*rules, std::get<Snapshot>(from_latest)), expected);
  EXPECT_EQ(std::get<Snapshot>(from_latest).observations_read(), 4u);  // a whole read
  EXPECT_NE(describe_whole(*rules, std::get<Snapshot>(latest)), expected);
  // A service stopping cancels a load: it ends with an error rather than a snapshot.
  const std::atomic<bool> cancel = true;
  auto cancelled = load_snapshot(
      db, *rules,
      {.threads = 0, .known_at = "", .through = {}, .base = nullptr, .cancel = &cancel});
  ASSERT_TRUE(std::holds_alternative<DbError>(cancelled));
  EXPECT_NE(std::get<DbError>(cancelled).message.find("interrupted"), std::string::npos);
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

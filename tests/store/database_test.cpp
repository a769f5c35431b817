#include "store/database.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "../e2e/run.hpp"
#include "store/ingest.hpp"
#include "store/schema.hpp"
#include "store/sql/statements.hpp"
#include "support/store_rows.hpp"

namespace tiendo::store {
namespace {

Database open_ok(const std::string& path) { return testing::open_file(path); }

TEST(Database, EveryConnectionSetsThePragmas) {
  testing::TempDir dir;
  Database db = open_ok(dir.path() + "/t.db");
  EXPECT_EQ(tiendo::store::sql::pragma(db, "journal_mode"), "wal");
  EXPECT_EQ(tiendo::store::sql::pragma(db, "synchronous"), "2");  // FULL
  EXPECT_EQ(tiendo::store::sql::pragma(db, "foreign_keys"), "1");
  EXPECT_EQ(tiendo::store::sql::pragma(db, "busy_timeout"), "5000");
  // Statement journals in memory (issue #15: a run's alert upserts, 3x faster).
  EXPECT_EQ(tiendo::store::sql::pragma(db, "temp_store"), "2");  // MEMORY
  EXPECT_EQ(db.schema_version(), Database::latest_schema_version());
}

// Schema 11: the CHECKs of an alert's and a transition's lifecycle and notify are
// written without `IN (...)` (SQLite builds a temporary index per row for those), and
// still refuse what they refused.
TEST(Database, LifecycleChecksAreComparisonsAndStillRefuseBadValues) {
  testing::TempDir dir;
  Database db = open_ok(dir.path() + "/t.db");
  for (const std::string table : {"alerts", "transitions"}) {
    const std::vector<std::string> sql =
        testing::rows(db, "SELECT sql FROM sqlite_schema WHERE name = '" + table + "'");
    ASSERT_EQ(sql.size(), 1u);
    EXPECT_EQ(sql[0].find(" IN ("), std::string::npos) << sql[0];
    EXPECT_NE(sql[0].find("lifecycle = 'pending' OR"), std::string::npos) << sql[0];
  }
  EXPECT_EQ(testing::rows(db, "PRAGMA integrity_check"), std::vector<std::string>{"ok|"});
  // The connection that migrated reads the edited text too (the schema cookie): its
  // program for a row builds no temporary index.
  for (const std::string& op :
       testing::rows(db,
                     "EXPLAIN INSERT INTO transitions (run_id, fingerprint, from_lifecycle, "
                     "to_lifecycle, state, severity, notify, channels) VALUES (1, 'f', 'pending', "
                     "'firing', 'missed', 'critical', 'fired', '[]')")) {
    EXPECT_EQ(op.find("OpenEphemeral"), std::string::npos) << op;
  }
  ASSERT_EQ(tiendo::store::sql::execute(db,
                                        "INSERT INTO runs (at_date, started_at, status) VALUES "
                                        "('2026-01-01', '2026-01-01T00:00:00Z', 'succeeded')"),
            std::nullopt);
  const std::string alert =
      "INSERT INTO alerts (fingerprint, subject, name, unit, state, severity, lifecycle, since) "
      "VALUES ('f', 'rule', 'r', 'u', 'missed', 'critical', '{}', '2026-01-01')";
  EXPECT_EQ(tiendo::store::sql::execute(db, fmt::format(fmt::runtime(alert), "firing")),
            std::nullopt);
  const auto refused = tiendo::store::sql::execute(db, fmt::format(fmt::runtime(alert), "burning"));
  ASSERT_TRUE(refused);
  EXPECT_NE(refused->message.find("CHECK constraint failed"), std::string::npos)
      << refused->message;
  const std::string transition =
      "INSERT INTO transitions (run_id, fingerprint, from_lifecycle, to_lifecycle, state, "
      "severity, notify, channels) VALUES (1, 'f', {}, 'firing', 'missed', 'critical', {}, '[]')";
  EXPECT_EQ(
      tiendo::store::sql::execute(db, fmt::format(fmt::runtime(transition), "NULL", "'fired'")),
      std::nullopt);
  EXPECT_EQ(
      tiendo::store::sql::execute(db, fmt::format(fmt::runtime(transition), "'pending'", "NULL")),
      std::nullopt);
  EXPECT_TRUE(
      tiendo::store::sql::execute(db, fmt::format(fmt::runtime(transition), "'done'", "NULL")));
  EXPECT_TRUE(
      tiendo::store::sql::execute(db, fmt::format(fmt::runtime(transition), "NULL", "'told'")));
}

TEST(Database, ReopeningKeepsTheSchemaAndData) {
  testing::TempDir dir;
  const std::string path = dir.path() + "/t.db";
  {
    Database db = open_ok(path);
    EXPECT_FALSE(tiendo::store::sql::execute(
        db,
        "INSERT INTO units (id, name, level, parent, input, updated_at) VALUES ('dn', "
        "'Đồng Nai', 'province', NULL, "
        "'x', '2022-01-01T00:00:00Z')"));
  }
  Database db = open_ok(path);
  Statement count = tiendo::store::sql::prepare(db, "SELECT count(*) FROM units");
  ASSERT_TRUE(count.step());
  EXPECT_EQ(count.column_int(0), 1);
}

TEST(Database, MigratesAnOlderDatabase) {
  testing::TempDir dir;
  const std::string path = dir.path() + "/old.db";
  {
    // An empty database of version 0, as a first release would have found it.
    Database db = open_ok(path);
    std::vector<std::string> names;
    Statement tables = tiendo::store::sql::prepare(
        db, "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'");
    while (tables.step()) names.push_back(tables.column_text(0));
    ASSERT_FALSE(
        tiendo::store::sql::execute(db, "PRAGMA foreign_keys = OFF; PRAGMA user_version = 0"));
    for (const std::string& name : names)
      ASSERT_FALSE(tiendo::store::sql::execute(db, "DROP TABLE " + name));
  }
  Database db = open_ok(path);
  EXPECT_EQ(db.schema_version(), Database::latest_schema_version());
  Statement tables =
      tiendo::store::sql::prepare(db, "SELECT count(*) FROM sqlite_master WHERE type = 'table'");
  ASSERT_TRUE(tables.step());
  EXPECT_GE(tables.column_int(0), 8);
}

// A database written by the first release (schema 1) keeps its data when the alert
// stage's tables and columns are added (schema 2).
TEST(Database, MigratesSchemaOneKeepingItsData) {
  testing::TempDir dir;
  const std::string path = dir.path() + "/v1.db";
  {
    sqlite3* raw = nullptr;
    ASSERT_EQ(sqlite3_open(path.c_str(), &raw), SQLITE_OK);
    const std::string v1 =
        migrations()[0] +
        "INSERT INTO alerts (fingerprint, subject, name, unit, state, severity,"
        " lifecycle, since) VALUES ('f', 'rule', 'r', 'dn', 'at_risk', 'warning',"
        " 'firing', '2022-09-30'); PRAGMA user_version = 1;";
    EXPECT_EQ(sqlite3_exec(raw, v1.c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(raw);
  }
  Database db = open_ok(path);
  EXPECT_EQ(db.schema_version(), Database::latest_schema_version());
  Statement alert =
      tiendo::store::sql::prepare(db, "SELECT name, lifecycle, firing_since IS NULL FROM alerts");
  ASSERT_TRUE(alert.step());
  EXPECT_EQ(alert.column_text(0), "r");
  EXPECT_EQ(alert.column_text(1), "firing");
  EXPECT_EQ(alert.column_int(2), 1);
  Statement transitions = tiendo::store::sql::prepare(db, "SELECT count(*) FROM transitions");
  ASSERT_TRUE(transitions.step());
  EXPECT_EQ(transitions.column_int(0), 0);
  // The database got its random name (12 hex digits), used in its messages' ids.
  Statement identity = tiendo::store::sql::prepare(db, "SELECT id FROM store_identity");
  ASSERT_TRUE(identity.step());
  EXPECT_EQ(identity.column_text(0).size(), 12u);
}

// A database written before estimates were kept (schema 6) keeps every observation when
// the `estimate` column is added (schema 7): each is as it was given, no estimate, and
// the latest revision still counts; an ingest then adds revisions on top of them.
TEST(Database, MigratesSchemaSixKeepingItsObservations) {
  testing::TempDir dir;
  const std::string path = dir.path() + "/v6.db";
  {
    sqlite3* raw = nullptr;
    ASSERT_EQ(sqlite3_open(path.c_str(), &raw), SQLITE_OK);
    std::string v6;
    for (std::size_t i = 0; i < 6; ++i) v6 += migrations()[i];
    v6 +=
        "INSERT INTO units (id, name, level, parent, input, updated_at) VALUES ('dn', "
        "'Đồng Nai', 'province', NULL, 'units.csv', '2022-10-01T00:00:00Z');"
        "INSERT INTO observations (indicator, unit, period_start, period_end, value, source, "
        "note, input, input_line, revision, ingested_at) VALUES "
        "('rate', 'dn', '2022-07-01', '2022-09-30', 0.0923, 'BC 231', 'số liệu ước tính', "
        "'obs.csv', 2, 1, '2022-10-01T00:00:00Z'),"
        "('rate', 'dn', '2022-07-01', '2022-09-30', 0.0925, NULL, NULL, 'fix.csv', 2, 2, "
        "'2022-10-02T00:00:00Z');"
        "PRAGMA user_version = 6;";
    EXPECT_EQ(sqlite3_exec(raw, v6.c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(raw);
  }
  Database db = open_ok(path);
  EXPECT_EQ(db.schema_version(), Database::latest_schema_version());
  EXPECT_GE(db.schema_version(), 7);
  Statement rows = tiendo::store::sql::prepare(
      db,
      "SELECT revision, value, coalesce(note, ''), estimate, input FROM observations ORDER BY "
      "revision");
  ASSERT_TRUE(rows.step());
  EXPECT_EQ(rows.column_int(0), 1);
  EXPECT_EQ(rows.column_double(1), 0.0923);
  EXPECT_EQ(rows.column_text(2), "số liệu ước tính");
  EXPECT_EQ(rows.column_int(3), 0);
  EXPECT_EQ(rows.column_text(4), "obs.csv");
  ASSERT_TRUE(rows.step());
  EXPECT_EQ(rows.column_int(0), 2);
  EXPECT_EQ(rows.column_int(3), 0);
  EXPECT_FALSE(rows.step());
  // The flag takes nothing but 0 and 1.
  EXPECT_TRUE(tiendo::store::sql::execute(db, "UPDATE observations SET estimate = 2"));

  // The same value written as an estimate is a new revision on top of the migrated ones.
  IngestOptions options;
  options.now = "2022-10-03T00:00:00Z";
  auto ingested =
      ingest(db, {{"est.csv", "indicator,unit,period,value\nrate,dn,Q3/2022,\"khoảng 9,25%\"\n"}},
             options);
  ASSERT_TRUE(std::holds_alternative<IngestSummary>(ingested));
  EXPECT_EQ(std::get<IngestSummary>(ingested).observations_added, 1u);
  auto revisions = history(db, "rate", "dn");
  ASSERT_TRUE(std::holds_alternative<std::vector<ObservationRevision>>(revisions));
  const auto& stored = std::get<std::vector<ObservationRevision>>(revisions);
  ASSERT_EQ(stored.size(), 3u);
  EXPECT_FALSE(stored[1].estimate);
  EXPECT_EQ(stored[2].revision, 3);
  EXPECT_EQ(stored[2].value, 0.0925);
  EXPECT_TRUE(stored[2].estimate);
}

// Schema 8 keeps results as changes: every result of every succeeded run of a schema-7
// store moves over as a span from its run to the next succeeded one (the latest run's stay
// current), and a failed run's partial results are dropped.
TEST(Database, MigratesSchemaSevenResultsToSpans) {
  testing::TempDir dir;
  const std::string path = dir.path() + "/v7.db";
  {
    sqlite3* raw = nullptr;
    ASSERT_EQ(sqlite3_open(path.c_str(), &raw), SQLITE_OK);
    std::string v7;
    for (std::size_t i = 0; i < 7; ++i) v7 += migrations()[i];
    v7 +=
        "INSERT INTO runs (id, at_date, started_at, finished_at, status) VALUES "
        "(1, '2022-09-30', 't', 't', 'succeeded'), (2, '2022-10-01', 't', 't', 'failed'),"
        "(3, '2022-10-02', 't', 't', 'succeeded');"
        "INSERT INTO results (run_id, subject, name, unit, state, detail) VALUES "
        "(1, 'rule', 'r', 'dn', 'at_risk', '{\"value\":0.4}'),"
        "(1, 'task', 't', '', 'on_track', '{}'),"
        "(2, 'rule', 'r', 'dn', 'met', '{\"value\":0.6}'),"
        "(3, 'rule', 'r', 'dn', 'met', '{\"value\":0.5}');"
        "PRAGMA user_version = 7;";
    EXPECT_EQ(sqlite3_exec(raw, v7.c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(raw);
  }
  Database db = open_ok(path);
  EXPECT_EQ(db.schema_version(), Database::latest_schema_version());
  Statement spans = tiendo::store::sql::prepare(
      db,
      "SELECT subject, name, unit, from_run, to_run, digest, state, detail FROM "
      "result_spans JOIN result_details ON id = details ORDER BY from_run, subject");
  std::vector<std::string> found;
  while (spans.step()) {
    std::string line;
    for (int c = 0; c < 8; ++c) line += spans.column_text(c) + "|";
    found.push_back(line);
  }
  EXPECT_EQ(found, (std::vector<std::string>{
                       "rule|r|dn|1|3|0|at_risk|{\"value\":0.4}|",
                       "task|t||1|3|0|on_track|{}|",
                       "rule|r|dn|3|9223372036854775807|0|met|{\"value\":0.5}|",
                   }));
  EXPECT_TRUE(tiendo::store::sql::execute(db, "SELECT * FROM results"));  // gone
}

TEST(Database, RefusesANewerSchema) {
  testing::TempDir dir;
  const std::string path = dir.path() + "/new.db";
  {
    Database db = open_ok(path);
    ASSERT_FALSE(tiendo::store::sql::execute(db, "PRAGMA user_version = 999"));
  }
  auto db = Database::open(path);
  ASSERT_TRUE(std::holds_alternative<DbError>(db));
  EXPECT_NE(std::get<DbError>(db).message.find("newer than this tiendo understands"),
            std::string::npos)
      << std::get<DbError>(db).message;
}

TEST(Database, RefusesAFileThatIsNotADatabase) {
  testing::TempDir dir;
  const std::string path = dir.path() + "/notes.txt";
  testing::write_text(path, std::string(4096, 'x'));
  auto db = Database::open(path);
  ASSERT_TRUE(std::holds_alternative<DbError>(db));
  EXPECT_NE(std::get<DbError>(db).message.find("not a usable tiendo database"), std::string::npos)
      << std::get<DbError>(db).message;
}

TEST(Database, TransactionsRollBackUnlessCommitted) {
  Database db = open_ok(":memory:");
  {
    Transaction transaction(db);
    ASSERT_FALSE(transaction.error());
    ASSERT_FALSE(tiendo::store::sql::execute(
        db,
        "INSERT INTO units (id, name, level, parent, input, updated_at) VALUES ('a', "
        "'A', 'province', NULL, 'x', 't')"));
  }
  Statement count = tiendo::store::sql::prepare(db, "SELECT count(*) FROM units");
  ASSERT_TRUE(count.step());
  EXPECT_EQ(count.column_int(0), 0);
}

TEST(Database, ForeignKeysAreEnforced) {
  Database db = open_ok(":memory:");
  EXPECT_TRUE(tiendo::store::sql::execute(
      db,
      "INSERT INTO units (id, name, level, parent, input, updated_at) VALUES ('a', 'A', "
      "'district', 'nowhere', 'x', 't')"));
}

// A writer committing short transactions back to back (a run written in batches) must
// not starve another writer of the same process: SQLite's busy handler alone polls at
// growing intervals and nearly always finds the lock taken again. Each write asks while
// a batch holds the lock (the batch says when it has begun), and what is counted is how
// many batches commit before the write gets its turn, not how long that takes, so that a
// loaded machine does not change the verdict; the busy timeout is only a generous bound.
TEST(Database, WritersOfOneProcessTakeTurns) {
  testing::TempDir dir;
  const std::string path = dir.path() + "/t.db";
  Database batches = open_ok(path);
  auto opened = Database::open(path, {.busy_timeout_ms = 30000, .mode = Database::Mode::create});
  ASSERT_TRUE(std::holds_alternative<Database>(opened)) << std::get<DbError>(opened).message;
  Database request = std::move(std::get<Database>(opened));
  ASSERT_FALSE(tiendo::store::sql::execute(
      batches,
      "INSERT INTO units (id, name, level, parent, input, updated_at) VALUES ('p', "
      "'P', 'province', NULL, 'x', 't')"));

  std::mutex mutex;  // guards the three below
  std::condition_variable batch_begun;
  int begun = 0, committed = 0;
  bool done = false;
  std::thread writer([&] {
    const auto bound = std::chrono::steady_clock::now() + std::chrono::minutes(2);
    for (;;) {
      {
        const std::lock_guard lock(mutex);
        if (done || std::chrono::steady_clock::now() > bound) break;
      }
      Transaction tx(batches);
      if (tx.error()) continue;
      {
        const std::lock_guard lock(mutex);
        ++begun;
      }
      batch_begun.notify_all();
      // A batch's work under the lock, then straight into the next one.
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      tiendo::store::sql::execute(batches,
                                  "UPDATE units SET updated_at = updated_at || 'x' WHERE id = 'p'");
      if (!tx.commit()) {
        const std::lock_guard lock(mutex);
        ++committed;
      }
    }
  });
  // The number of batches committed once a batch begun after `after` holds the lock; -1
  // when none begins within 60 s.
  const auto in_a_batch = [&](int after) {
    std::unique_lock lock(mutex);
    if (!batch_begun.wait_for(lock, std::chrono::seconds(60), [&] { return begun > after; })) {
      return -1;
    }
    return committed;
  };
  int last_begun = 0;
  for (int i = 0; i < 10; ++i) {
    const int before = in_a_batch(last_begun);
    if (before < 0) {
      ADD_FAILURE() << "no batch began within 60 s";
      break;
    }
    Transaction tx(request);
    // Taking turns, a write waits for the batch in hand, and a few more only when this
    // thread lost the processor between seeing it begin and asking; without turns it
    // waits through hundreds, until the busy timeout.
    int waited = 0;
    {
      const std::lock_guard lock(mutex);
      waited = committed - before;
      last_begun = begun;
    }
    if (tx.error()) {
      ADD_FAILURE() << "write " << i << ": " << tx.error()->message;
      break;
    }
    EXPECT_LE(waited, 5) << "write " << i << " waited while " << waited << " batches committed";
    EXPECT_FALSE(tiendo::store::sql::execute(
        request, "INSERT INTO units (id, name, level, parent, input, updated_at) VALUES ('d" +
                     std::to_string(i) + "', 'D', 'district', 'p', 'x', 't')"));
    EXPECT_FALSE(tx.commit());
  }
  {
    const std::lock_guard lock(mutex);
    done = true;
  }
  writer.join();
  Statement count = tiendo::store::sql::prepare(request, "SELECT count(*) FROM units");
  ASSERT_TRUE(count.step());
  EXPECT_EQ(count.column_int(0), 11);
}

// Waiting for the turn counts against the busy timeout, and a writer that gives up
// leaves the turns in order for the next ones.
TEST(Database, WaitingForTheTurnEndsAtTheBusyTimeout) {
  testing::TempDir dir;
  const std::string path = dir.path() + "/t.db";
  Database holder = open_ok(path);
  auto opened = Database::open(path, {.busy_timeout_ms = 100, .mode = Database::Mode::create});
  ASSERT_TRUE(std::holds_alternative<Database>(opened));
  Database late = std::move(std::get<Database>(opened));
  {
    Transaction held(holder);
    ASSERT_FALSE(held.error());
    const auto asked = std::chrono::steady_clock::now();
    Transaction refused(late);
    ASSERT_TRUE(refused.error());
    EXPECT_NE(refused.error()->message.find("locked"), std::string::npos)
        << refused.error()->message;
    EXPECT_GE(std::chrono::steady_clock::now() - asked, std::chrono::milliseconds(100));
    EXPECT_TRUE(refused.commit());
  }
  Transaction next(late);
  EXPECT_FALSE(next.error());
  EXPECT_FALSE(next.commit());
}

}  // namespace
}  // namespace tiendo::store

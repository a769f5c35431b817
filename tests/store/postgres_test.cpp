// The PostgreSQL engine's own behaviour (CTest label `postgresql`, on the server CTest
// starts): migrations, modes, messages that name the database without its password, the
// all-or-nothing transaction, `tiendo store copy` both ways. The translation of the
// store's SQL needs no server (PostgresText).
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "e2e/run.hpp"
#include "store/copy.hpp"
#include "store/database.hpp"
#include "store/postgres/connection.hpp"
#include "store/sql/statements.hpp"
#include "support/store_rows.hpp"
#include "support/temp_dir.hpp"
#include "support/test_store.hpp"

namespace tiendo::store {
namespace {

using testing::count;
using testing::rows;

TEST(PostgresText, ParametersBecomeNumberedAndLiteralsStayAsTheyAre) {
  int n = 0;
  std::vector<bool> named;
  const auto translate = [&](std::string_view sql) { return postgres::translate(sql, n, named); };
  EXPECT_EQ(translate("SELECT ?1, ?2 WHERE a = ?1"), "SELECT $1, $2 WHERE a = $1");
  EXPECT_EQ(n, 2);
  EXPECT_EQ(named, (std::vector<bool>{true, true}));
  EXPECT_EQ(translate("VALUES (?, ?, ?)"), "VALUES ($1, $2, $3)");
  EXPECT_EQ(n, 3);
  // A question mark in a text, a quoted name, a comment or a dollar quote is not one: the
  // parameters it would have named are not named (they go as text, see Query::step).
  EXPECT_EQ(translate("SELECT '?1', \"a?\" -- ?2\n, ?3"), "SELECT '?1', \"a?\" -- ?2\n, $3");
  EXPECT_EQ(n, 3);
  EXPECT_EQ(named, (std::vector<bool>{false, false, true}));
  EXPECT_EQ(translate("SELECT 'it''s ?' || ?1"), "SELECT 'it''s ?' || $1");
  EXPECT_EQ(translate("DO $$ SELECT ?1 $$; SELECT ?1"), "DO $$ SELECT ?1 $$; SELECT $1");
  EXPECT_EQ(translate("SELECT instr(a, ';'), myinstr(b)"), "SELECT strpos(a, ';'), myinstr(b)");
}

TEST(PostgresText, ALocationIsShownWithoutItsPassword) {
  EXPECT_FALSE(is_postgres_url("tiendo.db"));
  EXPECT_TRUE(is_postgres_url("postgresql://db/tiendo"));
  EXPECT_TRUE(is_postgres_url("postgres://db/tiendo"));
  EXPECT_EQ(displayed_location("/srv/tiendo.db"), "/srv/tiendo.db");
  EXPECT_EQ(displayed_location("postgresql://tiendo:s3cret@db.example:5432/tiendo"),
            "postgresql://tiendo@db.example:5432/tiendo");
  EXPECT_EQ(displayed_location("postgresql://db/tiendo?user=t&password=s3cret&sslmode=require"),
            "postgresql://db/tiendo?user=t&sslmode=require");
  EXPECT_EQ(displayed_location("postgresql://db/tiendo?password=s3cret"), "postgresql://db/tiendo");
}

TEST(PostgresText, APasswordInTheUrlIsRefusedWithoutShowingIt) {
  auto opened = Database::open("postgresql://tiendo:s3cret@127.0.0.1:1/tiendo");
  ASSERT_TRUE(std::holds_alternative<DbError>(opened));
  const std::string& message = std::get<DbError>(opened).message;
  EXPECT_EQ(message.find("s3cret"), std::string::npos) << message;
  EXPECT_NE(message.find("PGPASSWORD"), std::string::npos) << message;
}

TEST(PostgresText, AServerThatCannotBeReachedIsNamed) {
  // Port 1 on this machine: nothing listens there.
  auto opened = Database::open("postgresql://tiendo@127.0.0.1:1/tiendo?connect_timeout=2");
  ASSERT_TRUE(std::holds_alternative<DbError>(opened));
  const std::string& message = std::get<DbError>(opened).message;
  EXPECT_NE(message.find("cannot connect to the database "
                         "postgresql://tiendo@127.0.0.1:1/tiendo?connect_timeout=2"),
            std::string::npos)
      << message;
}

class PostgresStore : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!testing::on_postgres()) GTEST_SKIP() << "runs under the postgresql label";
    url_ = testing::memory_store();
  }
  Database open(Database::Mode mode = Database::Mode::create) {
    auto opened = Database::open(url_, mode);
    if (auto* error = std::get_if<DbError>(&opened)) {
      ADD_FAILURE() << error->message;
      std::abort();
    }
    return std::move(std::get<Database>(opened));
  }
  std::string url_;
};

TEST_F(PostgresStore, ANewDatabaseGetsTheLatestSchemaAndANewerOneIsRefused) {
  {
    Database db = open();
    EXPECT_EQ(db.engine(), Engine::postgresql);
    EXPECT_EQ(db.schema_version(), Database::latest_schema_version());
    EXPECT_EQ(count(db, "SELECT count(*) FROM store_identity"), 1);
    ASSERT_FALSE(sql::execute(db, fmt::format("UPDATE tiendo_schema SET version = {}",
                                              Database::latest_schema_version() + 1)));
  }
  auto opened = Database::open(url_);
  ASSERT_TRUE(std::holds_alternative<DbError>(opened));
  EXPECT_NE(std::get<DbError>(opened).message.find("newer than this tiendo understands"),
            std::string::npos)
      << std::get<DbError>(opened).message;
}

TEST_F(PostgresStore, AnOlderSchemaIsMigratedOnce) {
  {
    Database db = open();
    ASSERT_FALSE(sql::execute(
        db,
        "DROP TABLE leadership; DROP TABLE alerts_version; DROP TABLE rule_version_files; "
        "DROP TABLE rule_versions; DROP TABLE rule_texts; DROP INDEX alerts_by_subject; "
        "UPDATE tiendo_schema SET version = 11"));
  }
  {
    // Read-only: not migrated here, and says what to do.
    auto reader = Database::open(url_, Database::Mode::read_only);
    ASSERT_TRUE(std::holds_alternative<DbError>(reader));
    EXPECT_NE(std::get<DbError>(reader).message.find("cannot be migrated here"), std::string::npos);
  }
  Database db = open(Database::Mode::existing);
  EXPECT_EQ(db.schema_version(), Database::latest_schema_version());
  EXPECT_EQ(count(db, "SELECT count(*) FROM leadership"), 0);
  EXPECT_EQ(count(db, "SELECT version FROM alerts_version"), 0);
  EXPECT_EQ(count(db, "SELECT count(*) FROM rule_versions"), 0);
  EXPECT_EQ(count(db, "SELECT count(*) FROM pg_indexes WHERE indexname = 'alerts_by_subject'"), 1);
  EXPECT_EQ(count(db, "SELECT count(*) FROM tiendo_schema"), 1);
}

TEST_F(PostgresStore, RefusedCredentialsAreAnErrorNamingTheDatabase) {
  // The server refuses a role it does not know (the test server trusts its socket's known
  // roles; a wrong password is refused the same way, before any statement).
  std::string url = url_;
  const std::size_t user = url.find("user=tiendo");
  ASSERT_NE(user, std::string::npos) << url;
  url.replace(user, std::string_view("user=tiendo").size(), "user=no_such_role");
  auto opened = Database::open(url);
  ASSERT_TRUE(std::holds_alternative<DbError>(opened));
  const std::string& message = std::get<DbError>(opened).message;
  EXPECT_NE(message.find("cannot connect to the database " + url), std::string::npos) << message;
  EXPECT_NE(message.find("no_such_role"), std::string::npos) << message;
  // The command line says the same and exits 1.
  const testing::RunResult eval = testing::run_tiendo(
      "eval --db " + testing::shell_quote(url) + " --rules rules --at 2022-09-30",
      TIENDO_SOURCE_DIR);
  EXPECT_EQ(eval.exit_code, 1);
  EXPECT_NE(eval.err.find("cannot connect to the database " + url), std::string::npos) << eval.err;
}

TEST_F(PostgresStore, AnEmptyDatabaseIsNoStoreForCommandsThatOnlyUseOne) {
  auto opened = Database::open(url_, Database::Mode::existing);
  ASSERT_TRUE(std::holds_alternative<DbError>(opened));
  EXPECT_NE(std::get<DbError>(opened).message.find("no tiendo store in the database"),
            std::string::npos)
      << std::get<DbError>(opened).message;
}

TEST_F(PostgresStore, AReadOnlySessionWritesNothing) {
  { Database db = open(); }
  Database reader = open(Database::Mode::read_only);
  EXPECT_EQ(count(reader, "SELECT count(*) FROM units"), 0);
  Transaction tx(reader);
  ASSERT_FALSE(tx.error());
  EXPECT_TRUE(sql::execute(reader, "INSERT INTO retention VALUES (1, 'x')"));
  EXPECT_TRUE(tx.commit());
}

TEST_F(PostgresStore, AFailedStatementTakesTheWholeTransactionBack) {
  Database db = open();
  {
    Transaction tx(db);
    ASSERT_FALSE(tx.error());
    ASSERT_FALSE(sql::execute(db, "INSERT INTO retention VALUES (1, 'kept?')"));
    EXPECT_TRUE(sql::execute(db, "INSERT INTO no_such_table VALUES (1)"));
    const auto committed = tx.commit();
    ASSERT_TRUE(committed);
    EXPECT_NE(committed->message.find("rolled back"), std::string::npos) << committed->message;
  }
  EXPECT_EQ(count(db, "SELECT count(*) FROM retention"), 0);
  // The connection goes on.
  EXPECT_EQ(count(db, "SELECT count(*) FROM units"), 0);
}

TEST_F(PostgresStore, NumbersAndTextsReadBackAsWritten) {
  Database db = open();
  Statement insert = sql::prepare(db, "INSERT INTO retention VALUES (?1, ?2)");
  insert.bind(1, std::int64_t{9007199254740993}).bind(2, std::string_view("Đồng Nai ; 'x'"));
  ASSERT_TRUE(insert.run());
  Statement read = sql::prepare(
      db,
      "SELECT results_from_run, pruned_at, 0.1 + 0.2, results_from_run > 1, NULL FROM retention");
  ASSERT_TRUE(read.step());
  EXPECT_EQ(read.column_int(0), 9007199254740993);
  EXPECT_EQ(read.column_text(1), "Đồng Nai ; 'x'");
  EXPECT_DOUBLE_EQ(read.column_double(2), 0.1 + 0.2);
  EXPECT_EQ(read.column_int(3), 1);  // a boolean reads as SQLite's 1
  EXPECT_TRUE(read.column_is_null(4));
  // A NULL parameter only tested for NULL, and one compared with a number.
  Statement either =
      sql::prepare(db,
                   "SELECT count(*) FROM retention WHERE (?1 IS NULL OR pruned_at = ?1) AND "
                   "(?2 IS NULL OR results_from_run = ?2)");
  either.bind_null(1).bind_null(2);
  ASSERT_TRUE(either.step()) << either.error().value_or(DbError{}).message;
  EXPECT_EQ(either.column_int(0), 1);
}

// `tiendo store copy`: the example store from SQLite into PostgreSQL and back, every table's
// rows and checksum printed and equal, and the evaluations of the three agree.
TEST_F(PostgresStore, StoreCopyGoesBothWaysAndTheEvaluationsAgree) {
  testing::TempDir dir;
  const std::string sqlite = dir.path() + "/examples.db";
  const testing::RunResult ingest = testing::ingest_examples(sqlite);
  ASSERT_EQ(ingest.exit_code, 0) << ingest.err;
  const testing::RunResult run = testing::run_tiendo(
      "run --db " + sqlite + " --rules rules --at 2022-09-30 --format json", TIENDO_SOURCE_DIR);
  ASSERT_EQ(run.exit_code, 0) << run.err;

  const testing::RunResult there = testing::run_tiendo(
      "store copy " + sqlite + " " + testing::shell_quote(url_) + " --format json",
      TIENDO_SOURCE_DIR);
  ASSERT_EQ(there.exit_code, 0) << there.err;
  const std::string back_path = dir.path() + "/back.db";
  const testing::RunResult back = testing::run_tiendo(
      "store copy " + testing::shell_quote(url_) + " " + back_path + " --format json",
      TIENDO_SOURCE_DIR);
  ASSERT_EQ(back.exit_code, 0) << back.err;
  const auto there_json = nlohmann::json::parse(there.out);
  const auto back_json = nlohmann::json::parse(back.out);
  EXPECT_GT(there_json["rows"].get<int>(), 250);         // units, observations, statuses, a run
  EXPECT_EQ(there_json["tables"], back_json["tables"]);  // the same rows and checksums

  // Copying into a store that holds rows is refused, and changes nothing.
  const testing::RunResult again = testing::run_tiendo(
      "store copy " + sqlite + " " + testing::shell_quote(url_), TIENDO_SOURCE_DIR);
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_NE(again.err.find("is not empty"), std::string::npos) << again.err;

  std::string first;
  for (const std::string& store : {sqlite, url_, back_path}) {
    const testing::RunResult eval = testing::run_tiendo(
        "eval --db " + testing::shell_quote(store) + " --rules rules --at 2022-10-31 --format json",
        TIENDO_SOURCE_DIR);
    ASSERT_EQ(eval.exit_code, 0) << store << ": " << eval.err;
    if (first.empty()) {
      first = eval.out;
    } else {
      EXPECT_EQ(eval.out, first) << store;
    }
    const testing::RunResult results =
        testing::run_tiendo("ledger results --db " + testing::shell_quote(store) +
                                " --run 1 --format json --limit 1000",
                            TIENDO_SOURCE_DIR);
    ASSERT_EQ(results.exit_code, 0) << store << ": " << results.err;
    EXPECT_EQ(nlohmann::json::parse(results.out)["total"],
              nlohmann::json::parse(run.out)["results"])
        << store;
  }
}

}  // namespace
}  // namespace tiendo::store

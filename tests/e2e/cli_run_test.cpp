// End-to-end: `tiendo run` on the examples (dry run, recorded runs, a rewind refused),
// and the silence and outbox commands, through the binary and a real database. The
// examples' channels are e-mail; with no SMTP server given, their messages wait.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "run.hpp"

namespace tiendo::testing {
namespace {

const std::string kSource = TIENDO_SOURCE_DIR;

class CliRun : public ExamplesDatabaseTest {
 protected:
  RunResult run(const std::string& args) { return tiendo("run --rules rules " + args); }

  nlohmann::json outbox(const std::string& state) {
    const RunResult list = tiendo("outbox list --format json --state " + state);
    EXPECT_EQ(list.exit_code, 0) << list.err;
    return nlohmann::json::parse(list.out, nullptr, false);
  }
};

TEST_F(CliRun, DryRunPrintsTheVietnameseDigestAndRecordsNothing) {
  const RunResult dry = run("--at 2022-09-30 --dry-run");
  ASSERT_EQ(dry.exit_code, 0) << dry.err;
  EXPECT_NE(dry.out.find("== steering_committee (e-mail to [\"bcd.cds@dongnai.gov.vn\"])"),
            std::string::npos)
      << dry.out;
  EXPECT_NE(dry.out.find("Subject: [tiendo]"), std::string::npos);
  EXPECT_NE(dry.out.find("cảnh báo"), std::string::npos);
  EXPECT_NE(dry.out.find("nothing recorded"), std::string::npos);
  // An alert says what its target rests on (issue #16).
  EXPECT_NE(dry.out.find("Căn cứ: Kế hoạch 130/KH-UBND ngày 08/6/2022"), std::string::npos)
      << dry.out;
  // The share's alert names the communes without a team (issue #12).
  EXPECT_NE(dry.out.find("Đơn vị: 33/36 đơn vị; chưa đạt: Xã Gia Canh, Xã Sông Ray, Xã Tà Lài"),
            std::string::npos)
      << dry.out;
  EXPECT_EQ(outbox("all").size(), 0u);
}

// Issue #12: an alert of a `for each` rule names the rule's other failing units, five at
// most and how many more.
TEST_F(CliRun, AForEachRulesAlertNamesItsOtherFailingUnits) {
  const RunResult dry = run("--at 2023-01-15 --dry-run");
  ASSERT_EQ(dry.exit_code, 0) << dry.err;
  EXPECT_NE(dry.out.find("Đơn vị: 0/11 đơn vị; chưa đạt: Thành phố Biên Hòa, Huyện Cẩm Mỹ, Huyện "
                         "Định Quán, Thành phố Long Khánh, Huyện Long Thành và 6 đơn vị khác"),
            std::string::npos)
      << dry.out;
}

TEST_F(CliRun, ARunQueuesItsMessagesOnceAndTheNextRunHasNothingNew) {
  const RunResult first = run("--at 2022-09-30 --format json");
  ASSERT_EQ(first.exit_code, 0) << first.err;
  const auto summary = nlohmann::json::parse(first.out);
  EXPECT_EQ(summary["run_id"], 1);
  EXPECT_GT(summary["notifications"]["fired"].get<int>(), 0);
  // No SMTP server: the e-mail waits, saying why, and is not given up.
  const auto pending = outbox("pending");
  ASSERT_GE(pending.size(), 1u);
  EXPECT_NE(pending[0]["last_error"].get<std::string>().find("--smtp"), std::string::npos);
  // tiendo-<this database's random name>-run1-<channel>
  const std::string key = pending[0]["idempotency_key"];
  EXPECT_TRUE(key.starts_with("tiendo-")) << key;
  EXPECT_TRUE(key.ends_with("-run1-" + pending[0]["channel"].get<std::string>())) << key;
  EXPECT_EQ(key.size(), std::string("tiendo-").size() + 12 + std::string("-run1-").size() +
                            pending[0]["channel"].get<std::string>().size());
  EXPECT_NE(first.err.find("deliver: "), std::string::npos);

  // The same date again: nothing has changed, so nothing is announced.
  const RunResult second = run("--at 2022-09-30 --format json");
  ASSERT_EQ(second.exit_code, 0) << second.err;
  const auto next = nlohmann::json::parse(second.out);
  EXPECT_EQ(next["notifications"]["fired"], 0);
  EXPECT_EQ(next["messages"], 0);
}

TEST_F(CliRun, ARunBeforeTheLastOneIsRefused) {
  ASSERT_EQ(run("--at 2022-09-30").exit_code, 0);
  const RunResult back = run("--at 2022-06-30");
  EXPECT_EQ(back.exit_code, 1);
  EXPECT_NE(back.err.find("would rewind them"), std::string::npos) << back.err;
  EXPECT_NE(back.err.find("tiendo ledger rewind --to 2022-06-30"), std::string::npos) << back.err;
}

// Issue #12: a dry run writes nothing, so it works at any date: at an earlier one it is
// the run as it would have gone then, and the database file is untouched.
TEST_F(CliRun, ADryRunBeforeTheLastRunWorksAndWritesNothing) {
  ASSERT_EQ(run("--at 2022-09-30").exit_code, 0);
  const auto files = [&] { return read_text(db_) + "|" + read_text(db_ + "-wal"); };
  const std::string before = files();
  const RunResult dry = run("--at 2022-06-30 --dry-run");
  EXPECT_EQ(dry.exit_code, 0) << dry.err;
  EXPECT_NE(dry.out.find("dry run at 2022-06-30:"), std::string::npos) << dry.out;
  EXPECT_NE(dry.out.find("the alerts were last evaluated at 2022-09-30"), std::string::npos)
      << dry.out;
  EXPECT_NE(dry.out.find("nothing recorded"), std::string::npos) << dry.out;
  EXPECT_TRUE(files() == before) << "the dry run changed the database";
  // The ledger still refuses the real run, and takes the next date as before.
  EXPECT_EQ(run("--at 2022-06-30").exit_code, 1);
  EXPECT_EQ(tiendo("eval --rules rules --at 2022-06-30").exit_code, 0);
  EXPECT_EQ(run("--at 2022-10-31").exit_code, 0);
}

TEST_F(CliRun, SilencesAreAddedListedAppliedAndExpired) {
  const RunResult bad =
      tiendo("silence add --match 'rule=~(' --duration 1d --author a --comment c");
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("regular expression"), std::string::npos) << bad.err;
  const RunResult backwards = tiendo(
      "silence add --match rule=x --starts 2026-12-02T00:00:00Z --ends "
      "2026-12-01T00:00:00Z --author a --comment c");
  EXPECT_EQ(backwards.exit_code, 2);
  EXPECT_NE(backwards.err.find("ends"), std::string::npos) << backwards.err;
  const RunResult no_end = tiendo("silence add --match rule=x --author a --comment c");
  EXPECT_EQ(no_end.exit_code, 2);

  // Silence every alert of the province: the run announces nothing.
  const RunResult added = tiendo(
      "silence add --match unit=dong_nai --match subject=rule --duration 30d --author 'Nguyễn Văn "
      "A' "
      "--comment 'chờ số liệu quý IV'");
  ASSERT_EQ(added.exit_code, 0) << added.err;
  EXPECT_NE(added.out.find("silence 1 until"), std::string::npos) << added.out;
  const RunResult listed = tiendo("silence list --format json");
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  const auto silences = nlohmann::json::parse(listed.out);
  ASSERT_EQ(silences.size(), 1u);
  EXPECT_EQ(silences[0]["author"], "Nguyễn Văn A");
  EXPECT_EQ(silences[0]["status"], "active");
  EXPECT_EQ(silences[0]["matchers"][0], "unit=\"dong_nai\"");

  const RunResult silenced = run("--at 2022-09-30 --format json --dry-run");
  ASSERT_EQ(silenced.exit_code, 0) << silenced.err;
  EXPECT_EQ(silenced.out.find("Tỷ lệ hồ sơ thủ tục hành chính xử lý trực tuyến đạt 50%"),
            std::string::npos)
      << "a silenced rule was announced";

  const RunResult expired = tiendo("silence expire 1");
  EXPECT_EQ(expired.exit_code, 0) << expired.err;
  EXPECT_EQ(tiendo("silence expire 1").exit_code, 1);
  EXPECT_EQ(nlohmann::json::parse(tiendo("silence list --format json").out).size(), 0u);
  const auto all = nlohmann::json::parse(tiendo("silence list --all --format json").out);
  ASSERT_EQ(all.size(), 1u);
  // The same fields as GET /api/v1/silences.
  EXPECT_EQ(all[0]["status"], "expired");
  EXPECT_TRUE(all[0]["expired_at"].is_string()) << all[0].dump();
  EXPECT_EQ(all[0]["id"], 1);

  const RunResult loud = run("--at 2022-09-30 --dry-run");
  EXPECT_NE(loud.out.find("Tỷ lệ hồ sơ thủ tục hành chính xử lý trực tuyến đạt 50%"),
            std::string::npos);
}

TEST_F(CliRun, BadDeliveryOptionsAreUsageErrors) {
  const RunResult bad = run("--at 2022-09-30 --retry-initial soon");
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("--retry-initial: 'soon' is not a duration"), std::string::npos)
      << bad.err;
  const RunResult order = run("--at 2022-09-30 --retry-initial 1h --retry-max 1m");
  EXPECT_EQ(order.exit_code, 2);
  const RunResult smtp = run("--at 2022-09-30 --smtp http://mail");
  EXPECT_EQ(smtp.exit_code, 2);
  EXPECT_NE(smtp.err.find("--smtp"), std::string::npos);
}

// Issue #13, through the binary: a 40 KB matcher of nested groups crashed `silence add`
// (std::regex recursed once per group), and a silence "(.|.|.|.)*X" made every run
// backtrack for ever.
TEST_F(CliRun, SilenceMatchersAreBoundedAndMatchInLinearTime) {
  const std::string nested = "rule=~" + std::string(20000, '(') + std::string(20000, ')');
  const RunResult deep =
      tiendo("silence add --match '" + nested + "' --duration 1h --author a --comment c");
  EXPECT_EQ(deep.exit_code, 2) << deep.err.substr(0, 300);
  EXPECT_NE(deep.err.find("--match: rule=~'(((("), std::string::npos) << deep.err.substr(0, 300);
  EXPECT_NE(deep.err.find("40000 bytes long; at most 1024"), std::string::npos)
      << deep.err.substr(0, 300);

  const RunResult slow =
      tiendo("silence add --match 'rule=~(.|.|.|.)*X' --duration 1h --author a --comment c");
  ASSERT_EQ(slow.exit_code, 0) << slow.err;
  // Every alert's labels are matched against it; this run never ended with std::regex.
  const RunResult evaluated = run("--at 2022-09-30 --dry-run");
  EXPECT_EQ(evaluated.exit_code, 0) << evaluated.err;
}

// Issue #13: a duration bounded as a number but not in seconds overflowed nanoseconds:
// `deliver --max-age 106752d` gave a message up on its first failure, and a silence of
// 2562048d ended after five hours. Every duration option is now at most ten years (a
// timeout at most one hour), and the error names the option and the range.
TEST_F(CliRun, DurationsOutOfRangeAreRefusedNamingTheOption) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"deliver --max-age 106752d",
       "--max-age: '106752d' is out of range: from 1s to 3650d (10 years)"},
      {"deliver --retry-initial 9223372036854775807s",
       "--retry-initial: '9223372036854775807s' is out of range: from 1s to 3650d (10 years)"},
      {"deliver --retry-max 0s", "--retry-max: '0s' is out of range"},
      {"deliver --timeout 2h", "--timeout: '2h' is out of range: from 1s to 1h"},
      {"deliver --connect-timeout 61m", "--connect-timeout: '61m' is out of range: from 1s to 1h"},
      {"silence add --match rule=x --duration 2562048d --author a --comment c",
       "--duration: '2562048d' is out of range: from 1s to 3650d (10 years)"},
  };
  for (const auto& [args, message] : cases) {
    const RunResult refused = tiendo(args);
    EXPECT_EQ(refused.exit_code, 2) << args << ": " << refused.err;
    EXPECT_NE(refused.err.find(message), std::string::npos) << args << ": " << refused.err;
  }
  // The longest of each is taken, and a failed delivery under the longest max-age waits.
  ASSERT_EQ(run("--at 2022-09-30").exit_code, 0);
  const RunResult longest = tiendo(
      "deliver --smtp smtp://127.0.0.1:1 --max-age 3650d --retry-initial 1s --retry-max 3650d "
      "--timeout 1h --connect-timeout 5s");
  EXPECT_NE(longest.exit_code, 2) << longest.err;
  EXPECT_EQ(outbox("dead").size(), 0u) << longest.err;
  EXPECT_GE(outbox("pending").size(), 1u);
  const RunResult silence =
      tiendo("silence add --match rule=x --duration 3650d --author a --comment c");
  EXPECT_EQ(silence.exit_code, 0) << silence.err;
}

}  // namespace
}  // namespace tiendo::testing

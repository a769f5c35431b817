// The rule set's versions and the rule editor's API (issue #18, part 3), on a real Service
// (its threads not started) over a SQLite file holding the example data, with a copy of
// rules/ in a temporary directory so that a test may change the files on disk:
//   - the files become version 1 of a fresh store; a restart with the same files keeps the
//     store's current version, files changed since become the next version, a reload too;
//   - checking edited text: the checker's diagnostics with LSP ranges (UTF-16) and the
//     "did you mean" suggestion, the rule tests on demand;
//   - saving is all or nothing: an error or a failed test refuses it and the running
//     version stays; a stale base is a conflict; a saved version runs at once; history,
//     diff and roll back (a new version with the old files);
//   - another service sharing the store applies a version saved elsewhere (sync_rules);
//   - the preview: what changes at a date with the edited text, nothing saved;
//   - formatting; the `rules` scope, which neither read nor write tokens hold.
#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "service/api.hpp"
#include "service/open_service.hpp"
#include "store/database.hpp"
#include "store/rule_versions.hpp"
#include "support/example_data.hpp"
#include "support/temp_dir.hpp"
#include "support/test_store.hpp"

namespace tiendo::service {
namespace {

using json = nlohmann::json;
namespace fs = std::filesystem;

const std::string kRead = "tdo_editor-test-read-000000000000000000000000000";
const std::string kWrite = "tdo_editor-test-write-00000000000000000000000000";
const std::string kRules = "tdo_editor-test-rules-00000000000000000000000000";
const std::string kAdmin = "tdo_editor-test-admin-00000000000000000000000000";

std::string read_text(const fs::path& path) { return testing::read_text(path.string()); }

void write_text(const fs::path& path, const std::string& text) {
  testing::write_text(path.string(), text);
}

std::string replaced(std::string text, const std::string& from, const std::string& to) {
  const std::size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) text.replace(at, from.size(), to);
  return text;
}

class RuleEditor : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    template_dir_ = std::make_unique<testing::TempDir>();
    template_db_ = testing::test_store(template_dir_->path(), "template.db");
    auto opened = store::Database::open(template_db_);
    if (auto* error = std::get_if<store::DbError>(&opened)) {
      suite_error_ = error->message;
      return;
    }
    testing::evaluate_example("2022-09-30", suite_error_, &std::get<store::Database>(opened));
  }
  static void TearDownTestSuite() { template_dir_.reset(); }

  void SetUp() override {
    ASSERT_TRUE(suite_error_.empty()) << "the example does not load: " << suite_error_;
    rules_dir_ = fs::path(dir_.path()) / "rules";
    fs::create_directories(rules_dir_);
    for (const char* name : {"dong-nai-2022.rules", "dong-nai-2022.tests"}) {
      fs::copy_file(fs::path(TIENDO_SOURCE_DIR) / "rules" / name, rules_dir_ / name);
    }
    rules_file_ = (rules_dir_ / "dong-nai-2022.rules").string();
    tests_file_ = (rules_dir_ / "dong-nai-2022.tests").string();
    database_ = testing::test_store(dir_.path(), "tiendo.db");
    testing::copy_test_store(template_db_, database_);
    open();
  }

  void open() {
    api_.reset();
    service_.reset();
    std::string problems;
    service_ = open_test_service(
        dir_.path(), database_,
        {{"reader", "read", kRead},
         {"writer", "write", kWrite},
         {"thu.nguyen", "rules", kRules},
         {"ops", "admin", kAdmin}},
        problems, [] { return Clock::now(); },
        [&](ServiceConfig& c) { c.rules = {rules_dir_.string()}; });
    ASSERT_NE(service_, nullptr) << "the service does not open:\n" << problems;
    api_ = std::make_unique<Api>(*service_);
  }

  // `path` may end in "?name=value&…" (not percent-encoded).
  ApiResponse call(const std::string& method, std::string path, const json& body = nullptr,
                   const std::string& token = kRules) {
    ApiRequest r;
    r.method = method;
    if (const std::size_t q = path.find('?'); q != std::string::npos) {
      std::string_view query = std::string_view(path).substr(q + 1);
      while (!query.empty()) {
        const std::string_view pair = query.substr(0, query.find('&'));
        const std::size_t eq = pair.find('=');
        r.query.emplace_back(std::string(pair.substr(0, eq)),
                             eq == std::string_view::npos ? "" : std::string(pair.substr(eq + 1)));
        query.remove_prefix(std::min(query.size(), pair.size() + 1));
      }
      path.resize(q);
    }
    r.path = path;
    r.headers.emplace_back("Authorization", "Bearer " + token);
    if (!body.is_null()) {
      r.headers.emplace_back("Content-Type", "application/json");
      r.body = body.dump();
    }
    RequestFacts facts;
    return api_->handle(r, facts);
  }
  json answer(const ApiResponse& r, int status) {
    EXPECT_EQ(r.status, status) << r.body;
    return json::parse(r.body, nullptr, false);
  }
  json versions() { return answer(call("GET", "/api/v1/rules/versions"), 200); }
  std::string rules_text() { return read_text(rules_file_); }

  testing::TempDir dir_;
  fs::path rules_dir_;
  std::string rules_file_, tests_file_;
  std::string database_;
  std::unique_ptr<Service> service_;
  std::unique_ptr<Api> api_;

 private:
  inline static std::unique_ptr<testing::TempDir> template_dir_;
  inline static std::string template_db_;
  inline static std::string suite_error_;
};

TEST_F(RuleEditor, TheFilesBecomeVersionOneAndARestartKeepsTheStoresVersionUntilTheyChange) {
  json v = versions();
  ASSERT_EQ(v["current"], 1) << v;
  EXPECT_EQ(v["running"], 1);
  ASSERT_EQ(v["versions"].size(), 1u);
  EXPECT_EQ(v["versions"][0]["source"], "files");
  EXPECT_EQ(v["versions"][0]["author"], "start");
  EXPECT_EQ(v["versions"][0]["files"], json::array({rules_file_, tests_file_}));
  EXPECT_EQ(service_->rules()->version, 1);
  EXPECT_EQ(service_->rules_status().version, 1);

  // A version saved in the editor survives a restart with the same files.
  const std::string edited = replaced(rules_text(), "require online_report_rate >= 50%",
                                      "require online_report_rate >= 35%");
  answer(call("POST", "/api/v1/rules/versions",
              {{"files", {{rules_file_, edited}}}, {"message", "QĐ 12: 35%"}, {"base", 1}}),
         201);
  open();
  EXPECT_EQ(service_->rules()->version, 2);
  EXPECT_EQ(versions()["current"], 2);

  // Files changed on disk since they were last read: the next version, at a start or a
  // reload (author: who reloaded); unchanged files on a reload change nothing.
  write_text(rules_file_, replaced(rules_text(), "severity critical", "severity warning"));
  open();
  v = versions();
  EXPECT_EQ(v["current"], 3) << v;
  EXPECT_EQ(v["versions"][0]["source"], "files");
  EXPECT_EQ(service_->rules()->version, 3);
  answer(call("POST", "/api/v1/reload", nullptr, kAdmin), 200);
  EXPECT_EQ(versions()["current"], 3);
  write_text(rules_file_, rules_text() + "\n# a comment\n");
  const json reloaded = answer(call("POST", "/api/v1/reload", nullptr, kAdmin), 200);
  EXPECT_EQ(reloaded["version"], 4) << reloaded;
  EXPECT_EQ(versions()["versions"][0]["author"], "api:ops");

  // Files with an error: refused, the running version stays, no version is written.
  write_text(rules_file_, rules_text() + "\nrule broken {\n");
  const json refused = answer(call("POST", "/api/v1/reload", nullptr, kAdmin), 422);
  EXPECT_FALSE(refused["errors"].empty());
  EXPECT_EQ(service_->rules()->version, 4);
  EXPECT_EQ(versions()["current"], 4);
}

TEST_F(RuleEditor, CheckGivesTheCheckersDiagnosticsWithUtf16RangesAndASuggestion) {
  // A misspelt indicator on a line after Vietnamese text (the title above it).
  const std::string text = replaced(rules_text(), "require online_report_rate >= 50%",
                                    "require online_report_rat >= 50%");
  json r = answer(call("POST", "/api/v1/rules/check", {{"files", {{rules_file_, text}}}}), 200);
  EXPECT_FALSE(r["ok"]);
  EXPECT_EQ(r["counts"]["errors"], 1) << r;
  ASSERT_EQ(r["diagnostics"].size(), 1u) << r;
  const json& d = r["diagnostics"][0];
  EXPECT_EQ(d["file"], rules_file_);
  EXPECT_EQ(d["severity"], "error");
  EXPECT_EQ(d["code"], "E011");
  EXPECT_EQ(d["suggestion"], "online_report_rate") << d;
  // The line's 0-based number, and the name's columns after "  require ".
  const std::size_t at = text.find("online_report_rat >=");
  const auto line = static_cast<int>(std::count(text.begin(), text.begin() + at, '\n'));
  EXPECT_EQ(d["range"]["start"], (json{{"line", line}, {"character", 10}})) << d;
  EXPECT_EQ(d["range"]["end"], (json{{"line", line}, {"character", 27}})) << d;

  // Fixed, with the tests run: every one passes.
  r = answer(call("POST", "/api/v1/rules/check",
                  {{"files", {{rules_file_, rules_text()}}}, {"tests", true}}),
             200);
  EXPECT_TRUE(r["ok"]) << r;
  EXPECT_TRUE(r["diagnostics"].empty());
  ASSERT_GE(r["tests"].size(), 5u);
  for (const json& t : r["tests"]) EXPECT_TRUE(t["passed"]) << t;

  // A column counted in UTF-16: an error after "Tỷ lệ" on the same line.
  const std::string vietnamese =
      replaced(rules_text(), "title \"Tỷ lệ hồ sơ thủ tục hành chính xử lý trực tuyến đạt 50%\"",
               "title \"Tỷ lệ\" bogus");
  r = answer(call("POST", "/api/v1/rules/check", {{"files", {{rules_file_, vietnamese}}}}), 200);
  ASSERT_FALSE(r["diagnostics"].empty()) << r;
  // 2 spaces, "title " and "\"Tỷ lệ\" " (5 characters of one UTF-16 unit each, 2 quotes, a space).
  EXPECT_EQ(r["diagnostics"][0]["range"]["start"]["character"], 16) << r["diagnostics"][0];

  // A file that is not in the rule set.
  const json unknown =
      answer(call("POST", "/api/v1/rules/check", {{"files", {{"/etc/passwd", "x"}}}}), 422);
  EXPECT_NE(unknown["message"].get<std::string>().find("/etc/passwd"), std::string::npos);
}

TEST_F(RuleEditor, SavingIsAllOrNothingAndTheSavedVersionRunsAtOnce) {
  const std::string original = rules_text();
  // An error: refused with the diagnostics; version 1 stays.
  json r = answer(call("POST", "/api/v1/rules/versions",
                       {{"files",
                         {{rules_file_, replaced(original, "online_report_rate >= 50%",
                                                 "online_report_rat >= 50%")}}},
                        {"message", "typo"},
                        {"base", 1}}),
                  422);
  EXPECT_NE(r["message"].get<std::string>().find("E011"), std::string::npos) << r;
  EXPECT_EQ(r["diagnostics"].size(), 1u);
  // A failed test: the online service target lowered to 75% makes the report's 77.62%
  // met where the test expects at_risk.
  r = answer(call("POST", "/api/v1/rules/versions",
                  {{"files",
                    {{rules_file_, replaced(original, "online_service_rate >= 80%",
                                            "online_service_rate >= 75%")}}},
                   {"message", "75%"},
                   {"base", 1}}),
             422);
  EXPECT_NE(r["message"].get<std::string>().find("fails"), std::string::npos) << r;
  bool failed = false;
  for (const json& t : r["tests"]) failed = failed || !t["passed"].get<bool>();
  EXPECT_TRUE(failed) << r["tests"];
  EXPECT_EQ(versions()["current"], 1);
  EXPECT_EQ(service_->rules()->version, 1);

  // Nothing changed; no message; a base that is not a version.
  answer(call("POST", "/api/v1/rules/versions",
              {{"files", {{rules_file_, original}}}, {"message", "x"}, {"base", 1}}),
         422);
  answer(call("POST", "/api/v1/rules/versions",
              {{"files", {{rules_file_, original + "\n"}}}, {"message", "  "}, {"base", 1}}),
         400);
  answer(call("POST", "/api/v1/rules/versions",
              {{"files", {{rules_file_, original + "\n"}}}, {"message", "x"}, {"base", 7}}),
         409);

  // A good change: saved as version 2 by the token's id, running at once.
  const std::string lowered =
      replaced(original, "online_report_rate >= 50%", "online_report_rate >= 35%");
  r = answer(call("POST", "/api/v1/rules/versions",
                  {{"files", {{rules_file_, lowered}}},
                   {"message", "Quyết định 12/QĐ-UBND: mục tiêu báo cáo trực tuyến 35%"},
                   {"base", 1}}),
             201);
  EXPECT_EQ(r["version"], 2) << r;
  EXPECT_EQ(r["author"], "thu.nguyen");
  EXPECT_EQ(r["source"], "editor");
  EXPECT_EQ(service_->rules()->version, 2);
  EXPECT_EQ(service_->rules()->files[0].text, lowered);
  EXPECT_EQ(service_->rules_status().version, 2);
  // The disk is not written: the store holds the versions.
  EXPECT_EQ(rules_text(), original);

  // A second save on the same base: a conflict naming the current version.
  r = answer(call("POST", "/api/v1/rules/versions",
                  {{"files", {{rules_file_, original + "\n"}}}, {"message", "x"}, {"base", 1}}),
             409);
  EXPECT_EQ(r["current"], 2);
}

TEST_F(RuleEditor, HistoryShowsEachVersionsDiffAndARollBackIsANewVersion) {
  const std::string original = rules_text();
  const std::string lowered =
      replaced(original, "online_report_rate >= 50%", "online_report_rate >= 35%");
  answer(call("POST", "/api/v1/rules/versions",
              {{"files", {{rules_file_, lowered}}}, {"message", "35%"}, {"base", 1}}),
         201);
  json v2 = answer(call("GET", "/api/v1/rules/versions/2"), 200);
  EXPECT_EQ(v2["previous"], 1);
  const std::string diff = v2["diff"];
  const std::string path = rules_file_.substr(1);  // absolute: "a/tmp/…", as git writes it
  EXPECT_NE(diff.find("--- a/" + path + "\n+++ b/" + path + "\n@@ -"), std::string::npos) << diff;
  EXPECT_NE(diff.find("\n-  require online_report_rate >= 50% by 2022-12-31\n"), std::string::npos)
      << diff;
  EXPECT_NE(diff.find("\n+  require online_report_rate >= 35% by 2022-12-31\n"), std::string::npos)
      << diff;
  EXPECT_EQ(std::count(diff.begin(), diff.end(), '\n'), 11) << diff;  // 3 headers, 3 + 2 + 3
  json v1 = answer(call("GET", "/api/v1/rules/versions/1"), 200);
  EXPECT_TRUE(v1["previous"].is_null());
  EXPECT_EQ(v1["files"][0]["text"], original);
  answer(call("GET", "/api/v1/rules/versions/9"), 404);
  answer(call("GET", "/api/v1/rules/versions/x"), 404);

  // Roll back to version 1: version 3, with version 1's files, running.
  json r = answer(call("POST", "/api/v1/rules/versions/1/restore",
                       {{"message", "Khôi phục phiên bản 1"}, {"base", 2}}),
                  201);
  EXPECT_EQ(r["version"], 3);
  EXPECT_EQ(r["source"], "restore");
  EXPECT_EQ(r["restored_from"], 1);
  EXPECT_EQ(service_->rules()->files[0].text, original);
  const json list = versions();
  ASSERT_EQ(list["versions"].size(), 3u);
  EXPECT_EQ(list["versions"][0]["version"], 3);
  EXPECT_EQ(list["versions"][2]["version"], 1);
  answer(call("POST", "/api/v1/rules/versions/7/restore", {{"message", "x"}, {"base", 3}}), 404);
  // Version 1's files are the current ones: nothing to restore; a stale base: a conflict.
  answer(call("POST", "/api/v1/rules/versions/1/restore", {{"message", "x"}, {"base", 3}}), 422);
  EXPECT_EQ(
      answer(call("POST", "/api/v1/rules/versions/2/restore", {{"message", "x"}, {"base", 2}}),
             409)["current"],
      3);
}

TEST_F(RuleEditor, AVersionSavedByAnotherServiceIsAppliedAtTheNextLook) {
  // As another service sharing the store saves it.
  auto opened = store::Database::open(database_);
  ASSERT_TRUE(std::holds_alternative<store::Database>(opened));
  store::Database& db = std::get<store::Database>(opened);
  const std::string lowered =
      replaced(rules_text(), "online_report_rate >= 50%", "online_report_rate >= 35%");
  store::NewRuleVersion next{
      .created_at = "2026-12-07T03:00:00Z",
      .author = "other",
      .message = "elsewhere",
      .source = "editor",
      .restored_from = std::nullopt,
      .disk_digest = {},
      .files = {{rules_file_, lowered}, {tests_file_, read_text(tests_file_)}},
      .base = 1};
  auto saved = store::save_rule_version(db, next);
  ASSERT_FALSE(std::holds_alternative<store::DbError>(saved));
  EXPECT_EQ(service_->rules()->version, 1);
  service_->sync_rules(db);
  EXPECT_EQ(service_->rules()->version, 2);
  EXPECT_EQ(service_->rules()->files[0].text, lowered);
  // The same base again is a conflict in the store too.
  next.message = "late";
  saved = store::save_rule_version(db, next);
  const auto& outcome = std::get<std::variant<std::int64_t, store::RuleVersionConflict>>(saved);
  ASSERT_TRUE(std::holds_alternative<store::RuleVersionConflict>(outcome));
  EXPECT_EQ(std::get<store::RuleVersionConflict>(outcome).current, 2);
}

TEST_F(RuleEditor, APreviewSaysWhatTheEditedTextChangesAtADateAndSavesNothing) {
  const std::string lowered =
      replaced(rules_text(), "online_report_rate >= 50%", "online_report_rate >= 35%");
  json r = answer(call("POST", "/api/v1/rules/preview",
                       {{"files", {{rules_file_, lowered}}}, {"at", "2022-09-30"}}),
                  200);
  EXPECT_EQ(r["at"], "2022-09-30");
  ASSERT_EQ(r["changed"].size(), 1u) << r;
  const json& c = r["changed"][0];
  EXPECT_EQ(c["rule"], "online_report_2022");
  EXPECT_EQ(c["unit"], "dong_nai");
  EXPECT_EQ(c["unit_name"], "Tỉnh Đồng Nai");
  EXPECT_EQ(c["before"]["state"], "at_risk") << c;
  EXPECT_EQ(c["after"]["state"], "on_track") << c;
  EXPECT_EQ(c["after"]["value"], "30%");
  EXPECT_EQ(c["before"]["state_text"], "Có nguy cơ không đạt");
  EXPECT_EQ(c["after"]["tone"], "green");
  EXPECT_GT(r["unchanged"].get<int>(), 20);
  // In the reader's language.
  r = answer(call("POST", "/api/v1/rules/preview?lang=en",
                  {{"files", {{rules_file_, lowered}}}, {"at", "2022-09-30"}}),
             200);
  ASSERT_EQ(r["changed"].size(), 1u) << r;
  EXPECT_EQ(r["changed"][0]["after"]["state_text"], "On track");
  EXPECT_EQ(versions()["current"], 1);
  // Errors: no preview; a bad date.
  answer(call("POST", "/api/v1/rules/preview",
              {{"files", {{rules_file_, lowered + "\nrule x {"}}}, {"at", "2022-09-30"}}),
         422);
  answer(call("POST", "/api/v1/rules/preview", {{"at", "30/9/2022"}}), 400);
}

TEST_F(RuleEditor, FormatRewritesTheTextOrNamesTheSyntaxError) {
  json r = answer(
      call("POST", "/api/v1/rules/format",
           {{"file", "x.rules"}, {"text", "indicator   a {\ntitle \"A\"\n    unit percent\n}\n"}}),
      200);
  EXPECT_EQ(r["text"], "indicator a {\n  title \"A\"\n  unit percent\n}\n");
  r = answer(call("POST", "/api/v1/rules/format", {{"file", "x.rules"}, {"text", "rule {"}}), 422);
  EXPECT_NE(r["message"].get<std::string>().find("line 1"), std::string::npos) << r;
}

TEST_F(RuleEditor, OnlyRulesAndAdminTokensReachTheRuleSet) {
  EXPECT_EQ(call("GET", "/api/v1/rules/versions", nullptr, kRead).status, 403);
  EXPECT_EQ(call("GET", "/api/v1/rules/versions", nullptr, kWrite).status, 403);
  EXPECT_EQ(call("GET", "/api/v1/rules/versions", nullptr, kAdmin).status, 200);
  EXPECT_EQ(call("POST", "/api/v1/rules/check", {{"files", json::object()}}, kWrite).status, 403);
  // A rules token reads, but does not write data nor reload.
  EXPECT_EQ(call("GET", "/api/v1/results", nullptr, kRules).status, 200);
  EXPECT_EQ(call("POST", "/api/v1/evaluate", json::object(), kRules).status, 403);
  EXPECT_EQ(call("POST", "/api/v1/reload", nullptr, kRules).status, 403);
  // The page and its script are open (the dashboard is not public here): they hold
  // nothing of the rule set, and every call the page makes needs the person's token.
  ApiRequest page;
  page.method = "GET";
  page.path = "/editor";
  RequestFacts facts;
  const ApiResponse html = api_->handle(page, facts);
  EXPECT_EQ(html.status, 200);
  EXPECT_EQ(html.body.find("dong-nai"), std::string::npos);
  ApiRequest script = page;
  script.path = "/assets/rule-editor.js";
  const ApiResponse js = api_->handle(script, facts);
  EXPECT_EQ(js.status, 200);
  EXPECT_EQ(js.content_type, "text/javascript; charset=utf-8");
  EXPECT_GT(js.body.size(), 10000u);
  const auto header = [](const ApiResponse& r, const std::string& name) {
    for (const auto& [key, value] : r.headers) {
      if (key == name) return value;
    }
    return std::string();
  };
  EXPECT_EQ(header(js, "Cache-Control"), "no-cache");
  // The address the page names (its digest in ?v=) is cached for good; a browser that
  // holds it already is answered 304 without the body.
  const std::size_t v = html.body.find("assets/rule-editor.js?v=");
  ASSERT_NE(v, std::string::npos);
  const std::string digest = html.body.substr(v + 24, 16);
  script.query = {{"v", digest}};
  EXPECT_EQ(header(api_->handle(script, facts), "Cache-Control"),
            "public, max-age=31536000, immutable");
  script.headers = {{"If-None-Match", header(js, "ETag")}};
  const ApiResponse again = api_->handle(script, facts);
  EXPECT_EQ(again.status, 304);
  EXPECT_TRUE(again.body.empty());
  EXPECT_EQ(header(js, "ETag"), "\"" + digest + "\"");
}

}  // namespace
}  // namespace tiendo::service

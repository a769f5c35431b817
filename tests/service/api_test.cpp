// The HTTP API's handlers (service::Api), called directly as http_server.cpp calls them,
// on a real Service: the repository's rules, a SQLite file holding the example data and
// one alert run at 2022-09-30, and a tokens file with one token per scope. The service's
// threads never start, so an evaluation asked for stays queued. Routing (404, 405 with
// Allow, HEAD), scopes (401, 403, admin-only reload), the error shape, query parameters,
// pagination and its bounds, the evaluation queue's limit and Content-Type handling.
#include "service/api.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "alert/ledger.hpp"
#include "model/calendar.hpp"
#include "service/open_service.hpp"
#include "store/database.hpp"
#include "store/runs.hpp"
#include "store/sql/statements.hpp"
#include "support/example_data.hpp"
#include "support/temp_dir.hpp"
#include "support/test_store.hpp"

namespace tiendo::service {
namespace {

using json = nlohmann::json;
namespace fs = std::filesystem;

const std::string kRead = "tdo_api-test-read-00000000000000000000000000000";
const std::string kWrite = "tdo_api-test-write-0000000000000000000000000000";
const std::string kAdmin = "tdo_api-test-admin-0000000000000000000000000000";

// A request as http_server.cpp hands it over: `token` empty sends no Authorization
// header, `type` empty no Content-Type.
ApiRequest request(std::string method, std::string path, const std::string& token = "",
                   const std::string& type = "", std::string body = "",
                   std::vector<std::pair<std::string, std::string>> query = {}) {
  ApiRequest r;
  r.method = std::move(method);
  r.path = std::move(path);
  r.query = std::move(query);
  if (!token.empty()) r.headers.emplace_back("Authorization", "Bearer " + token);
  if (!type.empty()) r.headers.emplace_back("Content-Type", type);
  r.body = std::move(body);
  return r;
}

std::optional<std::string> header_of(const ApiResponse& r, const std::string& name) {
  for (const auto& [key, value] : r.headers) {
    if (key == name) return value;
  }
  return std::nullopt;
}

std::set<std::string> keys_of(const json& object) {
  std::set<std::string> keys;
  for (const auto& [key, value] : object.items()) keys.insert(key);
  return keys;
}

class ApiTest : public ::testing::Test {
 protected:
  // The example data and its alert run are made once, then copied for each test.
  static void SetUpTestSuite() {
    template_dir_ = std::make_unique<testing::TempDir>();
    template_db_ = testing::test_store(template_dir_->path(), "template.db");
    auto opened = store::Database::open(template_db_);
    if (auto* error = std::get_if<store::DbError>(&opened)) {
      suite_error_ = error->message;
      return;
    }
    store::Database& db = std::get<store::Database>(opened);
    const auto example = testing::evaluate_example("2022-09-30", suite_error_, &db);
    if (!example) return;
    auto recorded = alert::record_run(db, example->rules, example->snapshot, example->results,
                                      {.now = "2022-10-01T01:00:00Z", .commit = true, .limit = {}});
    if (auto* error = std::get_if<store::DbError>(&recorded)) suite_error_ = error->message;
  }
  static void TearDownTestSuite() { template_dir_.reset(); }

  void SetUp() override {
    ASSERT_TRUE(suite_error_.empty()) << "the example does not load: " << suite_error_;
    database_ = testing::test_store(dir_.path(), "tiendo.db");
    testing::copy_test_store(template_db_, database_);
    std::string problems;
    service_ = open_test_service(
        dir_.path(), database_,
        {{"reader", "read", kRead}, {"writer", "write", kWrite}, {"ops", "admin", kAdmin}},
        problems);
    ASSERT_NE(service_, nullptr) << "the service does not open:\n" << problems;
    api_ = std::make_unique<Api>(*service_);
  }

  ApiResponse call(const ApiRequest& r, RequestFacts& facts) { return api_->handle(r, facts); }
  ApiResponse call(const ApiRequest& r) {
    RequestFacts facts;
    return api_->handle(r, facts);
  }
  ApiResponse get(const std::string& path,
                  std::vector<std::pair<std::string, std::string>> query = {}) {
    return call(request("GET", path, kRead, "", "", std::move(query)));
  }
  ApiResponse post_json(const std::string& path, const std::string& body,
                        const std::string& token = kWrite) {
    return call(request("POST", path, token, "application/json", body));
  }

  // The rows of `table`, read through the service's own connections.
  std::int64_t count(const std::string& table) {
    auto lease = service_->pool().acquire();
    if (auto* error = std::get_if<store::DbError>(&lease)) {
      ADD_FAILURE() << error->message;
      return -1;
    }
    store::Statement q = tiendo::store::sql::prepare(*std::get<ConnectionPool::Lease>(lease),
                                                     "SELECT count(*) FROM " + table);
    EXPECT_TRUE(q.step()) << table;
    return q.column_int(0);
  }

  // The error's body, checked for the shape every error has: exactly {status, error,
  // message}, the status the response's, the reason the status's, a message.
  static json expect_error(const ApiResponse& r, int status, const std::string& reason) {
    EXPECT_EQ(r.status, status) << r.body;
    EXPECT_EQ(r.content_type, "application/json");
    const json body = json::parse(r.body, nullptr, false);
    EXPECT_TRUE(body.is_object()) << r.body;
    if (!body.is_object()) return json::object();
    EXPECT_EQ(keys_of(body), (std::set<std::string>{"status", "error", "message"})) << r.body;
    EXPECT_EQ(body.value("status", 0), status) << r.body;
    EXPECT_EQ(body.value("error", ""), reason) << r.body;
    EXPECT_FALSE(body.value("message", "").empty()) << r.body;
    return body;
  }

  testing::TempDir dir_;
  std::string database_;  // the store the service of the test opens
  std::unique_ptr<Service> service_;
  std::unique_ptr<Api> api_;

 private:
  inline static std::unique_ptr<testing::TempDir> template_dir_;
  inline static std::string template_db_;
  inline static std::string suite_error_;
};

// ---------------------------------------------------------------------------------------
// Routing.

TEST_F(ApiTest, EachMethodAndPathReachesItsRoute) {
  RequestFacts facts;
  EXPECT_EQ(call(request("GET", "/api/v1/runs/7", kRead), facts).status, 404);  // no run 7
  EXPECT_EQ(facts.route, "/api/v1/runs/{id}");
  EXPECT_EQ(facts.token_id, "reader");
  EXPECT_EQ(call(request("DELETE", "/api/v1/silences/12", kWrite), facts).status, 404);
  EXPECT_EQ(facts.route, "/api/v1/silences/{id}");
  RequestFacts probe;
  const ApiResponse health = call(request("GET", "/healthz"), probe);
  EXPECT_EQ(health.status, 200);
  EXPECT_EQ(json::parse(health.body), (json{{"status", "ok"}}));
  EXPECT_EQ(probe.route, "/healthz");
  EXPECT_EQ(probe.token_id, "");

  // HEAD is GET without the body.
  const ApiResponse head = call(request("HEAD", "/api/v1/status", kRead), facts);
  EXPECT_EQ(head.status, 200);
  EXPECT_EQ(head.body, "");
  EXPECT_EQ(facts.route, "/api/v1/status");
}

TEST_F(ApiTest, AnUnknownPathIs404WhateverTheToken) {
  for (const std::string path : {"/api/v1/nothing", "/api/v1/alerts/", "/api/v1/runs/1/more",
                                 "/api/v1/silences/", "/API/v1/alerts", "/metrics.txt"}) {
    SCOPED_TRACE(path);
    for (const std::string& token : {std::string(), kAdmin}) {
      RequestFacts facts;
      const json body = expect_error(call(request("GET", path, token), facts), 404, "not_found");
      EXPECT_EQ(body.value("message", ""), "no such path: " + path);
      EXPECT_EQ(facts.route, "unmatched");
    }
  }
  // A path that is not one.
  expect_error(call(request("GET", "api/v1/alerts", kRead)), 400, "bad_request");
  expect_error(call(request("GET", "/api/v1/../v1/alerts", kRead)), 400, "bad_request");
}

TEST_F(ApiTest, AKnownPathWithAnotherMethodIs405NamingTheMethodsItTakes) {
  const struct {
    std::string method, path, allow;
  } cases[] = {{"DELETE", "/api/v1/alerts", "GET"},
               {"PUT", "/api/v1/silences", "GET, POST"},
               {"GET", "/api/v1/reload", "POST"},
               {"POST", "/api/v1/runs/3", "GET"},
               {"PATCH", "/healthz", "GET"}};
  for (const auto& c : cases) {
    SCOPED_TRACE(c.method + " " + c.path);
    // Before authentication: the method is wrong whoever asks.
    const ApiResponse r = call(request(c.method, c.path));
    const json body = expect_error(r, 405, "method_not_allowed");
    EXPECT_EQ(header_of(r, "Allow"), c.allow);
    EXPECT_EQ(body.value("message", ""), c.path + " takes " + c.allow);
  }
}

// ---------------------------------------------------------------------------------------
// Scopes.

TEST_F(ApiTest, WithoutAValidTokenIs401AndOnlyTheProbesAreOpen) {
  const ApiResponse none = call(request("GET", "/api/v1/alerts"));
  EXPECT_EQ(expect_error(none, 401, "unauthorized").value("message", ""),
            "this needs a token: send 'Authorization: Bearer <token>'");
  EXPECT_EQ(header_of(none, "WWW-Authenticate"), "Bearer realm=\"tiendo\"");

  ApiRequest basic;
  basic.method = "GET";
  basic.path = "/api/v1/alerts";
  basic.headers = {{"authorization", "Basic cmVhZGVyOnNlY3JldA=="}};
  RequestFacts facts;
  EXPECT_EQ(expect_error(api_->handle(basic, facts), 401, "unauthorized").value("message", ""),
            "the Authorization header is not 'Bearer <token>'");

  std::string almost = kRead;
  almost.back() = '1';
  const ApiResponse wrong = call(request("GET", "/api/v1/alerts", almost));
  EXPECT_EQ(expect_error(wrong, 401, "unauthorized").value("message", ""),
            "the token is not valid");
  EXPECT_EQ(header_of(wrong, "WWW-Authenticate"),
            "Bearer realm=\"tiendo\", error=\"invalid_token\"");

  EXPECT_EQ(call(request("GET", "/healthz")).status, 200);
  EXPECT_EQ(call(request("GET", "/readyz")).status, 200);
  expect_error(call(request("GET", "/")), 401, "unauthorized");  // the dashboard is not public here
  expect_error(call(request("GET", "/metrics")), 401, "unauthorized");
}

TEST_F(ApiTest, AReadTokenCannotWriteAndOnlyAnAdminReloads) {
  const std::int64_t silences = count("silences");
  const std::int64_t evaluations = count("evaluations");
  const std::string silence = R"({"matchers": ["rule=x"], "duration": "1h"})";

  const ApiResponse refused = post_json("/api/v1/silences", silence, kRead);
  EXPECT_EQ(expect_error(refused, 403, "forbidden").value("message", ""),
            "this needs the write scope; token 'reader' has read");
  EXPECT_EQ(header_of(refused, "WWW-Authenticate"),
            "Bearer realm=\"tiendo\", error=\"insufficient_scope\", scope=\"write\"");
  expect_error(post_json("/api/v1/evaluate", "{}", kRead), 403, "forbidden");
  expect_error(call(request("DELETE", "/api/v1/silences/1", kRead)), 403, "forbidden");
  EXPECT_EQ(count("silences"), silences);
  EXPECT_EQ(count("evaluations"), evaluations);

  // Scopes nest: write reads, admin writes.
  EXPECT_EQ(call(request("GET", "/api/v1/alerts", kWrite)).status, 200);
  EXPECT_EQ(post_json("/api/v1/silences", silence, kWrite).status, 201);
  EXPECT_EQ(post_json("/api/v1/silences", silence, kAdmin).status, 201);
  EXPECT_EQ(count("silences"), silences + 2);

  // Reload is the admin's alone.
  for (const std::string& token : {kRead, kWrite}) {
    const ApiResponse r = call(request("POST", "/api/v1/reload", token));
    expect_error(r, 403, "forbidden");
    EXPECT_EQ(header_of(r, "WWW-Authenticate"),
              "Bearer realm=\"tiendo\", error=\"insufficient_scope\", scope=\"admin\"");
  }
  RequestFacts facts;
  const ApiResponse reloaded = call(request("POST", "/api/v1/reload", kAdmin), facts);
  EXPECT_EQ(reloaded.status, 200) << reloaded.body;
  EXPECT_EQ(facts.token_id, "ops");
  const json status = json::parse(reloaded.body);
  EXPECT_EQ(status["ok"], true);
  EXPECT_EQ(status["rules"], service_->rules()->rules.rules.size());
}

// ---------------------------------------------------------------------------------------
// Query parameters and pagination.

// Issue #16: the dashboard takes `lang`, vi (the default) or en, and nothing else; a bad
// value is a 400 as the API's other parameters are.
TEST_F(ApiTest, TheDashboardTakesLangViOrEn) {
  const ApiResponse vi = get("/");
  ASSERT_EQ(vi.status, 200) << vi.body.substr(0, 300);
  EXPECT_EQ(vi.body.rfind("<!DOCTYPE html>\n<html lang=\"vi\">", 0), 0u);
  EXPECT_EQ(get("/", {{"lang", "vi"}}).body.rfind("<!DOCTYPE html>\n<html lang=\"vi\">", 0), 0u);
  const ApiResponse en = get("/", {{"lang", "en"}});
  ASSERT_EQ(en.status, 200) << en.body.substr(0, 300);
  EXPECT_EQ(en.content_type, "text/html; charset=utf-8");
  EXPECT_EQ(en.body.rfind("<!DOCTYPE html>\n<html lang=\"en\">", 0), 0u);
  EXPECT_NE(en.body.find("<a href=\"?lang=vi\""), std::string::npos);
  EXPECT_EQ(expect_error(get("/", {{"lang", "fr"}}), 400, "bad_request").value("message", ""),
            "lang: 'fr' is not 'vi' or 'en'");
  EXPECT_EQ(expect_error(get("/", {{"lang", ""}}), 400, "bad_request").value("message", ""),
            "lang: '' is not 'vi' or 'en'");
  EXPECT_EQ(expect_error(get("/", {{"at", "2022-09-30"}}), 400, "bad_request").value("message", ""),
            "unknown query parameter 'at' (this path takes: lang, state, severity, owner, plan, "
            "level, unit, sort, page, since)");
  // The filters' values, checked (issue #19).
  EXPECT_EQ(expect_error(get("/", {{"state", "late"}}), 400, "bad_request").value("message", ""),
            "state: 'late' is not a rule state (met, on_track, at_risk, missed, …)");
  EXPECT_EQ(expect_error(get("/", {{"severity", "high"}}), 400, "bad_request").value("message", ""),
            "severity: 'high' is not none, info, warning or critical");
  EXPECT_EQ(expect_error(get("/", {{"sort", "x"}}), 400, "bad_request").value("message", ""),
            "sort: 'x' is not worst, name or deadline");
  expect_error(get("/", {{"page", "0"}}), 400, "bad_request");
  EXPECT_EQ(expect_error(get("/", {{"since", "30/6/2022"}}), 400, "bad_request")
                .value("message", "")
                .rfind("since: '30/6/2022' is not a date YYYY-MM-DD", 0),
            0u);
  EXPECT_EQ(get("/", {{"state", "at_risk"}, {"sort", "name"}, {"page", "2"}}).status, 200);
  // The pages below it: an unknown rule or unit is a 404 naming it.
  EXPECT_EQ(expect_error(get("/rules/nope"), 404, "not_found").value("message", ""),
            "rule: the rule set has no rule 'nope'");
  EXPECT_EQ(get("/rules/online_dossier_2022").status, 200);
}

TEST_F(ApiTest, AnUnknownOrRepeatedQueryParameterIs400) {
  EXPECT_EQ(expect_error(get("/api/v1/alerts", {{"colour", "red"}}), 400, "bad_request")
                .value("message", ""),
            "unknown query parameter 'colour' (this path takes: lifecycle, severity, rule, unit, "
            "offset, limit)");
  EXPECT_EQ(expect_error(get("/api/v1/status", {{"verbose", "1"}}), 400, "bad_request")
                .value("message", ""),
            "unknown query parameter 'verbose' (this path takes: none)");
  EXPECT_EQ(
      expect_error(get("/api/v1/runs", {{"offset", "1"}}), 400, "bad_request").value("message", ""),
      "unknown query parameter 'offset' (this path takes: limit)");
  EXPECT_EQ(
      expect_error(get("/api/v1/alerts", {{"limit", "1"}, {"limit", "2"}}), 400, "bad_request")
          .value("message", ""),
      "query parameter 'limit' is given twice");
  expect_error(get("/api/v1/alerts", {{"lifecycle", "sleeping"}}), 400, "bad_request");
  expect_error(get("/api/v1/alerts", {{"severity", "disaster"}}), 400, "bad_request");
  expect_error(get("/api/v1/graph", {{"format", "svg"}}), 400, "bad_request");
  // The probes check theirs too.
  expect_error(call(request("GET", "/healthz", "", "", "", {{"x", "1"}})), 400, "bad_request");
}

TEST_F(ApiTest, AlertsArePagedByOffsetAndLimitWithinTheirBounds) {
  const json all = json::parse(get("/api/v1/alerts", {{"lifecycle", "all"}}).body);
  const std::int64_t total = all.value("total", 0);
  ASSERT_GE(total, 3) << all.dump();
  ASSERT_EQ(all["alerts"].size(), static_cast<std::size_t>(total));
  EXPECT_EQ(all["offset"], 0);
  EXPECT_EQ(all["limit"], 100);  // the default

  // One alert a page, every page: the same alerts in the same order, the total on each.
  for (std::int64_t offset = 0; offset <= total; ++offset) {
    SCOPED_TRACE("offset " + std::to_string(offset));
    const ApiResponse r =
        get("/api/v1/alerts",
            {{"lifecycle", "all"}, {"offset", std::to_string(offset)}, {"limit", "1"}});
    ASSERT_EQ(r.status, 200) << r.body;
    const json page = json::parse(r.body);
    EXPECT_EQ(page["total"], total);
    EXPECT_EQ(page["offset"], offset);
    EXPECT_EQ(page["limit"], 1);
    if (offset == total) {
      EXPECT_TRUE(page["alerts"].empty());  // past the end: an empty page, not an error
    } else {
      ASSERT_EQ(page["alerts"].size(), 1u);
      EXPECT_EQ(page["alerts"][0]["fingerprint"], all["alerts"][offset]["fingerprint"]);
    }
  }
  const json two = json::parse(
      get("/api/v1/alerts", {{"lifecycle", "all"}, {"offset", "1"}, {"limit", "2"}}).body);
  ASSERT_EQ(two["alerts"].size(), 2u);
  EXPECT_EQ(two["alerts"][1]["fingerprint"], all["alerts"][2]["fingerprint"]);

  EXPECT_EQ(get("/api/v1/alerts", {{"limit", "10000"}}).status, 200);
  for (const auto& [name, value] :
       std::vector<std::pair<std::string, std::string>>{{"limit", "0"},
                                                        {"limit", "10001"},
                                                        {"limit", "-1"},
                                                        {"limit", "5x"},
                                                        {"limit", ""},
                                                        {"offset", "-1"},
                                                        {"offset", "1099511627777"},
                                                        {"offset", "1e3"}}) {
    SCOPED_TRACE(name + "=" + value);
    const json body = expect_error(get("/api/v1/alerts", {{name, value}}), 400, "bad_request");
    EXPECT_EQ(body.value("message", "").rfind(name + ": '" + value + "' is not a whole number", 0),
              0u)
        << body.dump();
  }
}

// The alerts listing's answer is kept while the alerts are as they were (ListingCache):
// a change made behind the store's back (plain SQL, as no tiendo code writes: it raises no
// version) is what shows the kept answer is used; a run, even one that changes no alert,
// and a rewind are seen at once, each listing by its own query.
TEST_F(ApiTest, AnAlertsListingIsKeptUntilARunOrARewindChangesIt) {
  const auto listing = [&](const std::string& lifecycle) {
    const ApiResponse r = get("/api/v1/alerts", {{"lifecycle", lifecycle}, {"limit", "500"}});
    EXPECT_EQ(r.status, 200) << r.body;
    return json::parse(r.body, nullptr, false);
  };
  const json all = listing("all");
  const json open = listing("open");
  ASSERT_FALSE(open["alerts"].empty()) << open.dump();
  const std::string first = open["alerts"][0]["fingerprint"];
  EXPECT_EQ(open["alerts"][0]["evaluated"], "2022-09-30");
  auto lease = service_->pool().acquire();
  ASSERT_TRUE(std::holds_alternative<ConnectionPool::Lease>(lease));
  store::Database& db = *std::get<ConnectionPool::Lease>(lease);
  ASSERT_FALSE(tiendo::store::sql::execute(
      db, "UPDATE alerts SET state = 'behind_the_back' WHERE fingerprint = '" + first + "'"));
  EXPECT_EQ(listing("open"), open);  // kept
  EXPECT_EQ(listing("all"), all);
  // Another query is read at once (and kept beside the first).
  const json firing = listing("firing");
  EXPECT_NE(firing.dump().find("behind_the_back"), std::string::npos);

  // A run a day later: the open alerts' evaluation date moves, and the listing is read again.
  std::string error;
  auto example = testing::evaluate_example("2022-09-30", error);
  ASSERT_NE(example, nullptr) << error;
  example->results.at = example->results.at + std::chrono::days(1);
  auto recorded = alert::record_run(db, example->rules, example->snapshot, example->results,
                                    {.now = "2022-10-02T01:00:00Z", .commit = true, .limit = {}});
  ASSERT_TRUE(std::holds_alternative<alert::RunRecord>(recorded))
      << std::get<store::DbError>(recorded).message;
  const json after_run = listing("open");
  ASSERT_FALSE(after_run["alerts"].empty());
  EXPECT_EQ(after_run["alerts"][0]["evaluated"], "2022-10-01") << after_run.dump();

  // The rewind to the first run: the alerts as they were.
  auto rewound =
      store::rewind_ledger(db, *model::parse_iso_date("2022-09-30"), "2022-10-03T00:00:00Z", true);
  ASSERT_TRUE(std::holds_alternative<store::RewindReport>(rewound))
      << std::get<store::DbError>(rewound).message;
  const json after_rewind = listing("open");
  ASSERT_FALSE(after_rewind["alerts"].empty());
  EXPECT_EQ(after_rewind["alerts"][0]["evaluated"], "2022-09-30") << after_rewind.dump();
}

TEST_F(ApiTest, RunsAreListedNewestFirstUpToTheLimit) {
  std::vector<std::int64_t> queued;
  for (int i = 0; i < 3; ++i) {
    const ApiResponse r =
        post_json("/api/v1/evaluate", R"({"at": "2022-10-0)" + std::to_string(i + 1) + "\"}");
    ASSERT_EQ(r.status, 202) << r.body;
    const std::int64_t id = json::parse(r.body)["id"];
    EXPECT_EQ(header_of(r, "Location"), "/api/v1/runs/" + std::to_string(id));
    queued.push_back(id);
  }
  const json two = json::parse(get("/api/v1/runs", {{"limit", "2"}}).body);
  ASSERT_EQ(two["runs"].size(), 2u) << two.dump();
  EXPECT_EQ(two["runs"][0]["id"], queued[2]);
  EXPECT_EQ(two["runs"][1]["id"], queued[1]);
  EXPECT_EQ(two["runs"][0]["state"], "queued");
  EXPECT_EQ(two["runs"][0]["at"], "2022-10-03");
  EXPECT_EQ(two["runs"][0]["requested_by"], "writer");
  EXPECT_EQ(json::parse(get("/api/v1/runs").body)["runs"].size(), 3u);
  EXPECT_EQ(get("/api/v1/runs", {{"limit", "1000"}}).status, 200);
  expect_error(get("/api/v1/runs", {{"limit", "0"}}), 400, "bad_request");
  expect_error(get("/api/v1/runs", {{"limit", "1001"}}), 400, "bad_request");

  const json one = json::parse(get("/api/v1/runs/" + std::to_string(queued[0])).body);
  EXPECT_EQ(one["at"], "2022-10-01");
  EXPECT_EQ(one["trigger"], "api");
  expect_error(get("/api/v1/runs/0"), 404, "not_found");
  expect_error(get("/api/v1/runs/abc"), 404, "not_found");
}

TEST_F(ApiTest, ResultsArePagedWithinTheirBounds) {
  const json all = json::parse(get("/api/v1/results", {{"at", "2022-09-30"}}).body);
  ASSERT_GE(all["rules"].size(), 3u) << all.dump().substr(0, 500);
  const json page = json::parse(
      get("/api/v1/results", {{"at", "2022-09-30"}, {"offset", "1"}, {"limit", "2"}}).body);
  EXPECT_EQ(page["offset"], 1);
  EXPECT_EQ(page["limit"], 2);
  ASSERT_LE(page["rules"].size(), 2u);
  ASSERT_FALSE(page["rules"].empty());
  EXPECT_EQ(page["rules"][0], all["rules"][1]);
  EXPECT_EQ(get("/api/v1/results", {{"limit", "100000"}}).status, 200);
  expect_error(get("/api/v1/results", {{"limit", "100001"}}), 400, "bad_request");
  expect_error(get("/api/v1/results", {{"limit", "0"}}), 400, "bad_request");
  expect_error(get("/api/v1/results", {{"at", "30/09/2022"}}), 400, "bad_request");
}

// Issue #15: ?run=N reads what ledger run N recorded, from the store; a run that is not
// there, not succeeded or pruned says so.
TEST_F(ApiTest, ARunsStoredResultsAreReadByRun) {
  const ApiResponse all = get("/api/v1/results", {{"run", "1"}, {"limit", "100000"}});
  ASSERT_EQ(all.status, 200) << all.body;
  const json body = json::parse(all.body);
  EXPECT_EQ(keys_of(body),
            (std::set<std::string>{"run", "at", "total", "offset", "limit", "results"}));
  EXPECT_EQ(body["run"], 1);
  EXPECT_EQ(body["at"], "2022-09-30");
  const json evaluated = json::parse(get("/api/v1/results", {{"at", "2022-09-30"}}).body);
  EXPECT_EQ(body["total"], evaluated["rules"].size() + evaluated["tasks"].size())
      << evaluated.dump().substr(0, 300);
  ASSERT_EQ(body["results"].size(), body["total"].get<std::size_t>());
  const json& first = body["results"][0];
  EXPECT_EQ(keys_of(first),
            (std::set<std::string>{"subject", "name", "unit", "state", "since_run", "detail"}));
  EXPECT_EQ(first["since_run"], 1);
  EXPECT_TRUE(first["detail"].contains("why")) << first.dump();

  const json one = json::parse(
      get("/api/v1/results", {{"run", "1"}, {"rule", "online_dossier_2022"}, {"unit", "dong_nai"}})
          .body);
  ASSERT_EQ(one["total"], 1) << one.dump();
  EXPECT_EQ(one["results"][0]["name"], "online_dossier_2022");
  const json paged =
      json::parse(get("/api/v1/results", {{"run", "1"}, {"offset", "2"}, {"limit", "3"}}).body);
  ASSERT_EQ(paged["results"].size(), 3u);
  EXPECT_EQ(paged["results"][0], body["results"][2]);

  expect_error(get("/api/v1/results", {{"run", "2"}}), 404, "not_found");
  expect_error(get("/api/v1/results", {{"run", "x"}}), 400, "bad_request");
  expect_error(get("/api/v1/results", {{"run", "0"}}), 400, "bad_request");
  expect_error(get("/api/v1/results", {{"run", "1"}, {"at", "2022-09-30"}}), 400, "bad_request");
  expect_error(get("/api/v1/results", {{"run", "1"}, {"lang", "vi"}}), 400, "bad_request");
  {
    auto opened = store::Database::open(database_);
    ASSERT_TRUE(std::holds_alternative<store::Database>(opened));
    store::Database& db = std::get<store::Database>(opened);
    ASSERT_FALSE(tiendo::store::sql::execute(
        db,
        "INSERT INTO runs (at_date, started_at, status) VALUES ('2022-10-01', 'x', 'running');"
        "INSERT INTO retention (results_from_run, pruned_at) VALUES (2, 'x')"));
  }
  expect_error(get("/api/v1/results", {{"run", "2"}}), 409, "conflict");
  const json gone = expect_error(get("/api/v1/results", {{"run", "1"}}), 410, "gone");
  EXPECT_NE(gone["message"].get<std::string>().find("kept from run 2"), std::string::npos)
      << gone.dump();
}

// Issue #12: the units with their labels, selected by level and label and paged; and the
// results sum up each `for each` rule, its units named.
TEST_F(ApiTest, UnitsAreListedWithTheirLabels) {
  const ApiResponse all = get("/api/v1/units", {{"limit", "1000"}});
  ASSERT_EQ(all.status, 200) << all.body;
  const json body = json::parse(all.body);
  EXPECT_EQ(keys_of(body), (std::set<std::string>{"units", "total", "offset", "limit"}));
  EXPECT_EQ(body["total"], 56);  // examples/units.csv: 48 of the territory, 8 agencies
  ASSERT_EQ(body["units"].size(), 56u);
  EXPECT_EQ(body["units"][0]["id"], "an_phuoc");  // by id

  const json pilots =
      json::parse(get("/api/v1/units", {{"level", "commune"}, {"label", "thi_diem"}}).body);
  ASSERT_EQ(pilots["total"], 3) << pilots.dump();
  EXPECT_EQ(pilots["units"][0], (json{{"id", "bao_hoa"},
                                      {"name", "Xã Bảo Hòa"},
                                      {"level", "commune"},
                                      {"parent", "xuan_loc"},
                                      {"labels", {"thi_diem"}}}));
  const json province = json::parse(get("/api/v1/units", {{"level", "province"}}).body);
  ASSERT_EQ(province["units"].size(), 1u);
  EXPECT_EQ(province["units"][0]["parent"], nullptr);
  EXPECT_EQ(province["units"][0]["labels"], json::array());
  const json agencies = json::parse(
      get("/api/v1/units", {{"level", "agency"}, {"offset", "7"}, {"limit", "5"}}).body);
  EXPECT_EQ(agencies["total"], 8);
  ASSERT_EQ(agencies["units"].size(), 1u);
  EXPECT_EQ(agencies["offset"], 7);
  EXPECT_EQ(json::parse(get("/api/v1/units", {{"label", "thi"}}).body)["total"], 0);
  expect_error(get("/api/v1/units", {{"limit", "1001"}}), 400, "bad_request");
  expect_error(get("/api/v1/units", {{"labels", "x"}}), 400, "bad_request");

  const json results = json::parse(get("/api/v1/results", {{"at", "2022-09-30"}}).body);
  json pilot_summary;
  for (const json& s : results["summaries"]) {
    if (s["rule"] == "to_cnscd_xa_thi_diem") pilot_summary = s;
  }
  ASSERT_TRUE(pilot_summary.is_object()) << results["summaries"].dump();
  EXPECT_EQ(pilot_summary["level"], "xa_thi_diem");
  EXPECT_EQ(pilot_summary["set"], true);
  EXPECT_EQ(pilot_summary["total"], 3);
}

// ---------------------------------------------------------------------------------------
// Limits.

TEST_F(ApiTest, TheEvaluationQueueIsBoundedWith429AndRetryAfter) {
  for (std::int64_t i = 0; i < Service::kMaxQueuedRequests; ++i) {
    ASSERT_EQ(post_json("/api/v1/evaluate", "").status, 202) << "request " << i;
  }
  const std::int64_t evaluations = count("evaluations");
  const ApiResponse full = post_json("/api/v1/evaluate", "");
  expect_error(full, 429, "too_many_requests");
  EXPECT_EQ(header_of(full, "Retry-After"), "60");
  EXPECT_EQ(count("evaluations"), evaluations);
  // A date past the allowed margin is refused before it is queued.
  expect_error(post_json("/api/v1/evaluate", R"({"at": "2199-01-01"})"), 400, "bad_request");
}

// ---------------------------------------------------------------------------------------
// Content types.

TEST_F(ApiTest, JsonBodiesMustBeDeclaredAsJsonInUtf8) {
  const std::string silence = R"({"matchers": ["rule=x"], "duration": "1h"})";
  const std::int64_t silences = count("silences");
  const auto post = [&](const std::string& type) {
    return call(request("POST", "/api/v1/silences", kWrite, type, silence));
  };
  EXPECT_EQ(expect_error(post("text/plain"), 415, "unsupported_media_type").value("message", ""),
            "the body must be application/json, not 'text/plain'");
  EXPECT_EQ(expect_error(post(""), 415, "unsupported_media_type").value("message", ""),
            "the body must be application/json, not '(no Content-Type)'");
  EXPECT_EQ(
      expect_error(post("application/json; charset=iso-8859-1"), 415, "unsupported_media_type")
          .value("message", ""),
      "only UTF-8 is taken, not 'charset=iso-8859-1'");
  expect_error(post("application/json; charset=latin1"), 415, "unsupported_media_type");
  expect_error(post("application/json; boundary=x"), 415, "unsupported_media_type");
  EXPECT_EQ(count("silences"), silences);

  // The type and the charset compare without case.
  EXPECT_EQ(post("application/json; charset=UTF-8").status, 201);
  EXPECT_EQ(post("Application/JSON").status, 201);
  EXPECT_EQ(post("application/json; charset=\"utf-8\"").status, 201);
  EXPECT_EQ(count("silences"), silences + 3);

  // A body that is not a JSON object.
  expect_error(post_json("/api/v1/silences", "{\"matchers\": ["), 400, "bad_request");
  expect_error(post_json("/api/v1/silences", "[]"), 400, "bad_request");
  // An evaluation's body may be left out, but one that is there is JSON.
  EXPECT_EQ(call(request("POST", "/api/v1/evaluate", kWrite)).status, 202);
  expect_error(call(request("POST", "/api/v1/evaluate", kWrite, "text/plain", "{}")), 415,
               "unsupported_media_type");
}

TEST_F(ApiTest, DataIsCsvOrJsonInUtf8AndSaysWhichItIs) {
  const std::int64_t observations = count("observations");
  const std::string csv =
      "indicator,unit,period,value\nsmartphone_rate,dong_nai,Quý IV/2022,\"86,5%\"\n";
  const auto ingest = [&](const std::string& type, const std::string& body) {
    return call(request("POST", "/api/v1/observations", kWrite, type, body));
  };
  EXPECT_EQ(expect_error(ingest("application/xml", csv), 415, "unsupported_media_type")
                .value("message", ""),
            "the body must be text/csv or application/json, not 'application/xml'");
  EXPECT_EQ(
      expect_error(ingest("text/csv; charset=windows-1258", csv), 415, "unsupported_media_type")
          .value("message", ""),
      "only UTF-8 is taken, not 'charset=windows-1258'");
  EXPECT_EQ(expect_error(ingest("text/csv", "[]"), 400, "bad_request").value("message", ""),
            "the body is JSON but Content-Type says text/csv");
  EXPECT_EQ(expect_error(ingest("application/json", csv), 400, "bad_request").value("message", ""),
            "the body is not JSON but Content-Type says application/json");
  EXPECT_EQ(expect_error(ingest("text/csv", ""), 400, "bad_request").value("message", ""),
            "the body is empty");
  EXPECT_EQ(count("observations"), observations);

  const ApiResponse taken = ingest("text/csv; charset=utf-8", csv);
  ASSERT_EQ(taken.status, 200) << taken.body;
  EXPECT_EQ(json::parse(taken.body), (json{{"rows", 1}, {"added", 1}, {"unchanged", 0}}));
  EXPECT_EQ(count("observations"), observations + 1);
}

}  // namespace
}  // namespace tiendo::service

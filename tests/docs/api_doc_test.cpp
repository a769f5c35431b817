// docs/openapi.yaml and docs/api.md against the routes the API answers. On a real Service
// (a fresh SQLite database, the repository's rules/, a tokens file with one token per
// scope; its threads are never started), every operation of the OpenAPI file reaches
// the route it names (RequestFacts says so, and the answer is neither 404 nor 405) with
// the scope its `x-tiendo-scope` gives: no token is 401, a token one scope short is 403,
// a token of that scope is let through, and an open route needs no token. No other
// method is taken on a documented path, every route of api.cpp's table is documented, an
// undocumented path is 404, and docs/api.md has one `### METHOD /path` heading for each
// operation and none besides.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "service/api.hpp"
#include "service/config.hpp"
#include "service/open_service.hpp"
#include "support/temp_dir.hpp"
#include "support/test_store.hpp"

namespace tiendo::service {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;
using Route = std::pair<std::string, std::string>;  // (METHOD, path)

const std::string kTokens[] = {"tdo_api-doc-test-read-0000000000000000000000000000",
                               "tdo_api-doc-test-write-000000000000000000000000000",
                               "tdo_api-doc-test-admin-000000000000000000000000000",
                               "tdo_api-doc-test-rules-000000000000000000000000000"};
const std::string kScopes[] = {"read", "write", "admin", "rules"};
constexpr std::size_t kRulesScope = 3;

// The scopes that must be refused a route needing kScopes[needed]: the one before it
// (read < write < admin), or both read and write for rules (admin holds every scope).
std::vector<std::size_t> short_of(std::size_t needed) {
  if (needed == kRulesScope) return {0, 1};
  if (needed > 0) return {needed - 1};
  return {};
}
const std::vector<std::string> kMethods = {"GET", "POST", "PUT", "PATCH", "DELETE"};

std::string source(const std::string& relative) {
  return (fs::path(TIENDO_SOURCE_DIR) / relative).string();
}

std::vector<std::string> lines_of(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in) << "cannot read " << path;
  std::vector<std::string> lines;
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    lines.push_back(line);
  }
  return lines;
}

std::string upper(std::string text) {
  for (char& c : text) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return text;
}

struct Operation {
  std::string scope;  // x-tiendo-scope: none | read | write | admin | rules
  int line = 0;       // in openapi.yaml
};

// The operations under `paths:`, read the way the file is written: a path is a key
// indented by two spaces, an operation a method key indented by four, its scope an
// `x-tiendo-scope` indented by six. Enough for this file; not a YAML parser.
std::map<Route, Operation> openapi_operations() {
  static const std::regex path_key(R"(^  (/[^\s:]*):\s*$)");
  static const std::regex method_key(R"(^    (get|put|post|delete|options|head|patch|trace):\s*$)");
  static const std::regex scope_key(R"(^      x-tiendo-scope:\s*(\S+)\s*$)");
  std::map<Route, Operation> out;
  bool in_paths = false;
  std::string path;
  std::optional<Route> operation;
  int number = 0;
  for (const std::string& line : lines_of(source("docs/openapi.yaml"))) {
    ++number;
    if (line == "paths:") {
      in_paths = true;
      continue;
    }
    if (!in_paths || line.empty() || line[0] == '#') continue;
    if (line[0] != ' ') break;  // the next top-level key
    std::smatch m;
    if (std::regex_match(line, m, path_key)) {
      path = m[1];
      operation.reset();
    } else if (std::regex_match(line, m, method_key)) {
      EXPECT_FALSE(path.empty()) << "openapi.yaml:" << number << ": an operation outside a path";
      operation = Route{upper(m[1]), path};
      EXPECT_EQ(out.count(*operation), 0u) << "openapi.yaml:" << number << ": twice";
      out[*operation].line = number;
    } else if (std::regex_match(line, m, scope_key) && operation) {
      out[*operation].scope = m[1];
    } else if (line.rfind("    ", 0) != 0 && line.rfind("  ", 0) == 0 && line[2] != ' ' &&
               line[2] != '#') {
      ADD_FAILURE() << "openapi.yaml:" << number << ": not a path key: " << line;
    }
  }
  EXPECT_TRUE(in_paths) << "openapi.yaml has no `paths:`";
  return out;
}

// The `### METHOD /path` headings of docs/api.md.
std::multiset<Route> api_md_headings() {
  static const std::regex heading(R"(^### (GET|POST|PUT|PATCH|DELETE) (/\S*)\s*$)");
  std::multiset<Route> out;
  for (const std::string& line : lines_of(source("docs/api.md"))) {
    std::smatch m;
    if (std::regex_match(line, m, heading)) out.insert({m[1], m[2]});
  }
  return out;
}

// The table of routes in engine/service/api.cpp (`kRoutes`), read from the source: a
// route added there is a route to document.
std::set<Route> code_route_table() {
  static const std::regex entry(R"re(^\s*\{"([A-Z]+)", "([^"]+)", &Api::\w+\},\s*$)re");
  std::set<Route> out;
  bool inside = false;
  for (const std::string& line : lines_of(source("engine/service/api.cpp"))) {
    if (line.find("kRoutes[] = {") != std::string::npos) {
      inside = true;
      continue;
    }
    if (!inside) continue;
    if (line.find("};") != std::string::npos) break;
    std::smatch m;
    if (std::regex_match(line, m, entry)) {
      out.insert({m[1], m[2]});
    } else {
      ADD_FAILURE() << "api.cpp: a line of kRoutes this test cannot read: " << line;
    }
  }
  EXPECT_FALSE(out.empty()) << "no kRoutes table found in engine/service/api.cpp";
  return out;
}

class ApiDocTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::vector<TestToken> tokens;
    for (int i = 0; i < 4; ++i) tokens.push_back({"api-doc-" + kScopes[i], kScopes[i], kTokens[i]});
    std::string problems;
    service_ = open_test_service(dir_.path(), testing::test_store(dir_.path(), "tiendo.db"), tokens,
                                 problems);
    ASSERT_NE(service_, nullptr) << "the service does not open:\n" << problems;
    api_ = std::make_unique<Api>(*service_);
  }

  // `token`: empty sends no Authorization header.
  ApiResponse call(const std::string& method, const std::string& path, const std::string& token,
                   RequestFacts& facts, const std::string& body = "",
                   const std::string& content_type = "") {
    ApiRequest request;
    request.method = method;
    request.path = path;
    if (!token.empty()) request.headers.emplace_back("Authorization", "Bearer " + token);
    if (!content_type.empty()) request.headers.emplace_back("Content-Type", content_type);
    request.body = body;
    return api_->handle(request, facts);
  }
  ApiResponse call(const std::string& method, const std::string& path, const std::string& token) {
    RequestFacts facts;
    return call(method, path, token, facts);
  }

  // A path with its `{id}` replaced by a resource that exists: a silence or a run made
  // here, so that the handler, not the router, answers.
  std::string concrete(const std::string& path) {
    // A rule of the example's rule set; a unit of its data (the page answers 409 until an
    // evaluation has read the units: still the handler's answer).
    if (const std::size_t rule = path.find("{rule}"); rule != std::string::npos) {
      return path.substr(0, rule) + "online_dossier_2022" + path.substr(rule + 6);
    }
    if (path.rfind("/units/", 0) == 0) return "/units/dong_nai";
    const std::size_t brace = path.find("{id}");
    if (brace == std::string::npos) return path;
    std::string id = "1";
    RequestFacts facts;
    if (path.rfind("/api/v1/silences/", 0) == 0) {
      const ApiResponse r =
          call("POST", "/api/v1/silences", kTokens[1], facts,
               R"({"matchers": ["rule=nothing_here"], "duration": "1h"})", "application/json");
      EXPECT_EQ(r.status, 201) << r.body;
      id = std::to_string(json::parse(r.body).value("id", 0));
    } else if (path.rfind("/api/v1/runs/", 0) == 0) {
      const ApiResponse r = call("POST", "/api/v1/evaluate", kTokens[1], facts);
      EXPECT_EQ(r.status, 202) << r.body;
      id = std::to_string(json::parse(r.body).value("id", 0));
    }
    return path.substr(0, brace) + id + path.substr(brace + 4);
  }

  testing::TempDir dir_;
  std::unique_ptr<Service> service_;
  std::unique_ptr<Api> api_;
};

TEST_F(ApiDocTest, EveryDocumentedOperationReachesItsRouteWithItsScope) {
  const std::map<Route, Operation> operations = openapi_operations();
  ASSERT_FALSE(operations.empty());
  for (const auto& [route, operation] : operations) {
    const auto& [method, pattern] = route;
    SCOPED_TRACE("openapi.yaml:" + std::to_string(operation.line) + ": " + method + " " + pattern);
    const auto level = std::find(std::begin(kScopes), std::end(kScopes), operation.scope);
    ASSERT_TRUE(operation.scope == "none" || level != std::end(kScopes))
        << "x-tiendo-scope is none, read, write, admin or rules, not '" << operation.scope << "'";
    const std::string path = concrete(pattern);

    if (operation.scope == "none") {
      RequestFacts facts;
      const ApiResponse open = call(method, path, "", facts);
      EXPECT_EQ(facts.route, pattern);
      EXPECT_NE(open.status, 401) << open.body;
      EXPECT_NE(open.status, 403) << open.body;
      EXPECT_NE(open.status, 404) << open.body;
      EXPECT_NE(open.status, 405) << open.body;
      continue;
    }
    const std::size_t needed = static_cast<std::size_t>(level - std::begin(kScopes));
    {
      const ApiResponse anonymous = call(method, path, "");
      EXPECT_EQ(anonymous.status, 401) << anonymous.body;
      const bool challenged =
          std::any_of(anonymous.headers.begin(), anonymous.headers.end(),
                      [](const auto& h) { return h.first == "WWW-Authenticate"; });
      EXPECT_TRUE(challenged) << "a 401 without WWW-Authenticate";
    }
    for (const std::size_t short_scope : short_of(needed)) {
      const ApiResponse refused = call(method, path, kTokens[short_scope]);
      EXPECT_EQ(refused.status, 403)
          << "a " << kScopes[short_scope] << " token was not refused: " << refused.body;
    }
    RequestFacts facts;
    const ApiResponse allowed = call(method, path, kTokens[needed], facts);
    EXPECT_EQ(facts.route, pattern) << "the request reached another route";
    EXPECT_EQ(facts.token_id, "api-doc-" + kScopes[needed]);
    EXPECT_NE(allowed.status, 401) << allowed.body;
    EXPECT_NE(allowed.status, 403) << allowed.body;
    EXPECT_NE(allowed.status, 404) << allowed.body;
    EXPECT_NE(allowed.status, 405) << allowed.body;
    EXPECT_LT(allowed.status, 500) << allowed.body;
  }
}

TEST_F(ApiDocTest, NoUndocumentedMethodOnADocumentedPath) {
  std::map<std::string, std::set<std::string>> methods_of;
  for (const auto& [route, operation] : openapi_operations()) {
    methods_of[route.second].insert(route.first);
  }
  for (const auto& [pattern, documented] : methods_of) {
    const std::string path = concrete(pattern);
    for (const std::string& method : kMethods) {
      if (documented.count(method)) continue;
      SCOPED_TRACE(method + " " + path);
      const ApiResponse r = call(method, path, kTokens[2]);
      EXPECT_EQ(r.status, 405) << "answered but not documented: " << r.body;
      std::string allow;
      for (const auto& [name, value] : r.headers) {
        if (name == "Allow") allow = value;
      }
      std::string expected;
      for (const std::string& m : kMethods) {
        if (documented.count(m)) expected += (expected.empty() ? "" : ", ") + m;
      }
      // The Allow header lists the methods in the routes' order; compare as sets.
      std::set<std::string> allowed;
      std::istringstream words(allow);
      for (std::string word; std::getline(words, word, ',');) {
        word.erase(0, word.find_first_not_of(' '));
        allowed.insert(word);
      }
      EXPECT_EQ(allowed, documented) << "Allow: " << allow << "; documented: " << expected;
    }
  }
}

TEST_F(ApiDocTest, EveryRouteOfTheCodeIsDocumented) {
  const std::map<Route, Operation> operations = openapi_operations();
  std::set<Route> documented;
  for (const auto& [route, operation] : operations) documented.insert(route);
  const std::set<Route> table = code_route_table();
  for (const Route& route : table) {
    EXPECT_EQ(documented.count(route), 1u)
        << route.first << " " << route.second
        << " is in api.cpp's kRoutes but not in docs/openapi.yaml";
  }
  for (const Route& route : documented) {
    EXPECT_EQ(table.count(route), 1u)
        << route.first << " " << route.second << " is documented but not in api.cpp's kRoutes";
  }
}

TEST_F(ApiDocTest, AnUndocumentedPathIsNotFound) {
  for (const std::string path :
       {"/api/v1/nothing-here", "/api/v2/results", "/api/v1/silences/1/extra", "/api/v1",
        "/healthz/more", "/index.html"}) {
    SCOPED_TRACE(path);
    RequestFacts facts;
    const ApiResponse r = call("GET", path, kTokens[2], facts);
    EXPECT_EQ(r.status, 404) << r.body;
    EXPECT_EQ(facts.route, "unmatched");
    const json body = json::parse(r.body, nullptr, false);
    ASSERT_TRUE(body.is_object()) << r.body;
    EXPECT_EQ(body.value("status", 0), 404);
    EXPECT_EQ(body.value("error", ""), "not_found");
    EXPECT_TRUE(body.contains("message"));
  }
}

TEST_F(ApiDocTest, ApiMdHasOneHeadingPerOperationAndNoOther) {
  std::set<Route> documented;
  for (const auto& [route, operation] : openapi_operations()) documented.insert(route);
  const std::multiset<Route> headings = api_md_headings();
  ASSERT_FALSE(headings.empty()) << "docs/api.md has no `### METHOD /path` heading";
  for (const Route& heading : headings) {
    EXPECT_EQ(headings.count(heading), 1u)
        << "twice in docs/api.md: ### " << heading.first << " " << heading.second;
    EXPECT_EQ(documented.count(heading), 1u) << "docs/api.md's ### " << heading.first << " "
                                             << heading.second << " is not in docs/openapi.yaml";
  }
  for (const Route& route : documented) {
    EXPECT_EQ(headings.count(route), 1u)
        << route.first << " " << route.second << " has no `### " << route.first << " "
        << route.second << "` heading in docs/api.md";
  }
}

}  // namespace
}  // namespace tiendo::service

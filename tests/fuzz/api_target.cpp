#include "api_target.hpp"

#include <spdlog/details/null_mutex.h>
#include <spdlog/logger.h>
#include <spdlog/sinks/base_sink.h>
#include <stdlib.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <variant>
#include <vector>

#include "alert/ledger.hpp"
#include "dsl/check.hpp"
#include "eval/evaluate.hpp"
#include "model/calendar.hpp"
#include "service/api.hpp"
#include "service/config.hpp"
#include "service/log.hpp"
#include "service/service.hpp"
#include "service/tokens.hpp"
#include "store/database.hpp"
#include "store/ingest.hpp"
#include "store/snapshot.hpp"
#include "store/sql/statements.hpp"

#ifndef TIENDO_SOURCE_DIR
#error "TIENDO_SOURCE_DIR must name the repository (tests/fuzz/CMakeLists.txt sets it)"
#endif

namespace {

using namespace std::string_view_literals;
namespace fs = std::filesystem;
namespace service = tiendo::service;
namespace store = tiendo::store;
using json = nlohmann::json;

constexpr std::string_view kReadToken = "tdo_fuzz-read-token";
constexpr std::string_view kWriteToken = "tdo_fuzz-write-token";
constexpr std::string_view kAdminToken = "tdo_fuzz-admin-token";

constexpr std::string_view kMethods[] = {"GET",  "POST",  "DELETE", "PUT",
                                         "HEAD", "PATCH", "OPTIONS"};

constexpr std::string_view kContentTypes[] = {"application/json",
                                              "text/csv",
                                              "text/csv; charset=utf-8",
                                              "text/plain",
                                              "",  // no Content-Type header
                                              "",  // garbage from the input
                                              "application/json; charset=utf-8",
                                              "TEXT/CSV; charset=latin1"};
constexpr std::size_t kNoContentType = 4;
constexpr std::size_t kGarbageContentType = 5;

// The routes of api.cpp, and the "{id}" ones without their id, for the fuzzer to append
// to; the path bytes alone would rarely spell them.
constexpr std::string_view kRoutePrefixes[] = {
    "/",
    "/healthz",
    "/readyz",
    "/metrics",
    "/api/v1/observations",
    "/api/v1/task-status",
    "/api/v1/results",
    "/api/v1/alerts",
    "/api/v1/silences",
    "/api/v1/silences/",
    "/api/v1/evaluate",
    "/api/v1/runs",
    "/api/v1/runs/",
    "/api/v1/graph",
    "/api/v1/status",
    "/api/v1/reload",
    "/rules/",
    "/units/",
    "/api/v1/units",
    "/editor",
    "/assets/rule-editor.js",
    "/api/v1/rules/versions",
    "/api/v1/rules/versions/",
    "/api/v1/rules/check",
    "/api/v1/rules/format",
    "/api/v1/rules/preview",
};

// Housekeeping: how often the store's size is looked at, and the limits it is kept to.
constexpr std::size_t kHousekeepingEvery = 64;
constexpr std::int64_t kMaxRows = 1000;
constexpr std::int64_t kMaxDatabaseBytes = 50 << 20;

// An abort, not an exception: libFuzzer and the replay both treat it as a crash and
// keep the input.
[[noreturn]] void broken_promise(const std::string& what) {
  std::fprintf(stderr, "tiendo_fuzz_api: %s\n", what.c_str());
  std::abort();
}

// The log's sink: quiet, but keeps the last error, which is what a 500 is about.
class LastErrorSink final : public spdlog::sinks::base_sink<spdlog::details::null_mutex> {
 public:
  const std::string& last_error() const { return last_error_; }

 protected:
  void sink_it_(const spdlog::details::log_msg& message) override {
    if (message.level >= spdlog::level::err) {
      last_error_.assign(message.payload.data(), message.payload.size());
    }
  }
  void flush_() override {}

 private:
  std::string last_error_;
};

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (!in.good() && !in.eof()) broken_promise("setup: cannot read " + path.string());
  return text;
}

void write_file(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
  out.close();
  if (!out) broken_promise("setup: cannot write " + path.string());
}

std::string now_text() { return tiendo::model::format_utc(std::chrono::system_clock::now()); }

struct Fixture {
  fs::path dir;
  std::shared_ptr<LastErrorSink> sink;
  std::unique_ptr<service::Service> service;
  std::unique_ptr<service::Api> api;
  // What setup made, kept when the housekeeping deletes what the inputs added.
  std::int64_t setup_silence = 0;
  std::int64_t setup_evaluation = 0;
  std::size_t calls = 0;
};

// The examples, and one alert run on them, into a new database at `path`.
void fill_database(const std::string& path, const std::vector<std::string>& rule_paths) {
  tiendo::dsl::LoadedRuleSet loaded = tiendo::dsl::load_rule_set(rule_paths);
  if (!loaded.rule_set) broken_promise("setup: the repository's rules do not load");
  const tiendo::model::RuleSet& rules = *loaded.rule_set;

  auto opened = store::Database::open(path);
  if (auto* error = std::get_if<store::DbError>(&opened)) {
    broken_promise("setup: cannot open " + path + ": " + error->message);
  }
  store::Database& db = std::get<store::Database>(opened);

  const fs::path examples = fs::path(TIENDO_SOURCE_DIR) / "examples";
  std::vector<store::IngestInput> inputs;
  for (const char* name :
       {"units.csv", "observations-2022.csv", "community-teams.csv", "task-status.json"}) {
    inputs.push_back({(examples / name).string(), read_file(examples / name)});
  }
  store::IngestOptions options;
  options.rules = &rules;
  options.now = now_text();
  auto ingested = store::ingest(db, inputs, options);
  if (auto* error = std::get_if<store::DbError>(&ingested)) {
    broken_promise("setup: ingest failed: " + error->message);
  }
  const store::IngestSummary& summary = std::get<store::IngestSummary>(ingested);
  if (!summary.committed || summary.error_count != 0) {
    broken_promise("setup: the examples have bad rows");
  }

  // One run today, so that /api/v1/alerts and the dashboard have alerts to show.
  auto snapshot = store::load_snapshot(db, rules);
  if (auto* error = std::get_if<store::DbError>(&snapshot)) {
    broken_promise("setup: cannot load the snapshot: " + error->message);
  }
  const store::Snapshot& data = std::get<store::Snapshot>(snapshot);
  const tiendo::model::Date today =
      std::chrono::floor<std::chrono::days>(std::chrono::system_clock::now());
  const tiendo::eval::Results results =
      tiendo::eval::evaluate(rules, data, today, {.keep_used = false});
  auto recorded = tiendo::alert::record_run(
      db, rules, data, results, {.now = now_text(), .commit = true, .limit = std::nullopt});
  if (auto* error = std::get_if<store::DbError>(&recorded)) {
    broken_promise("setup: cannot record a run: " + error->message);
  }
}

// A request that setup itself makes, which must succeed with `expected`.
std::int64_t setup_request(service::Api& api, std::string method, std::string path,
                           std::string body, int expected) {
  service::ApiRequest request;
  request.method = std::move(method);
  request.path = std::move(path);
  request.body = std::move(body);
  request.headers = {{"Authorization", "Bearer " + std::string(kAdminToken)},
                     {"Content-Type", "application/json"}};
  service::RequestFacts facts;
  const service::ApiResponse response = api.handle(request, facts);
  if (response.status != expected) {
    broken_promise("setup: " + request.method + " " + request.path + " answered " +
                   std::to_string(response.status) + ": " + response.body);
  }
  const json parsed = json::parse(response.body, nullptr, false);
  return parsed.is_object() && parsed.contains("id") && parsed["id"].is_number_integer()
             ? parsed["id"].get<std::int64_t>()
             : 0;
}

Fixture& fixture() {
  // Never destroyed: libFuzzer leaves through exit(), and a service torn down by static
  // destructors in an unknown order helps nobody. The directory goes at exit.
  static Fixture* const made = [] {
    auto* f = new Fixture;
    const char* tmpdir = std::getenv("TMPDIR");
    std::string templ =
        (fs::path(tmpdir && *tmpdir ? tmpdir : "/tmp") / "tiendo-fuzz-api-XXXXXX").string();
    if (::mkdtemp(templ.data()) == nullptr) broken_promise("setup: mkdtemp failed for " + templ);
    f->dir = templ;
    static const fs::path dir_to_remove = f->dir;
    std::atexit([] {
      std::error_code ignored;
      fs::remove_all(dir_to_remove, ignored);
    });

    service::ServiceConfig config;
    config.database = (f->dir / "fuzz.db").string();
    config.rules = {(fs::path(TIENDO_SOURCE_DIR) / "rules").string()};
    config.tokens = (f->dir / "tokens").string();
    config.dashboard_public = false;
    fill_database(config.database, config.rules);
    write_file(config.tokens, "fuzz-read read " + service::token_hash_text(kReadToken) +
                                  "\nfuzz-write write " + service::token_hash_text(kWriteToken) +
                                  "\nfuzz-admin admin " + service::token_hash_text(kAdminToken) +
                                  "\n");

    f->sink = std::make_shared<LastErrorSink>();
    auto logger = std::make_shared<spdlog::logger>("tiendo-fuzz-api", f->sink);
    auto log = std::make_shared<service::Log>(std::move(logger), service::LogFormat::text);
    auto opened = service::Service::open(std::move(config), std::move(log));
    if (auto* problems = std::get_if<std::vector<std::string>>(&opened)) {
      std::string all;
      for (const std::string& p : *problems) all += "\n  " + p;
      broken_promise("setup: the service does not open:" + all);
    }
    // Not started: no runner, scheduler or delivery thread, so every input runs alone.
    f->service = std::move(std::get<std::unique_ptr<service::Service>>(opened));
    f->api = std::make_unique<service::Api>(*f->service);

    // Something for GET /api/v1/silences, DELETE /api/v1/silences/1 and
    // GET /api/v1/runs/1 to find, whatever the inputs before.
    f->setup_silence = setup_request(
        *f->api, "POST", "/api/v1/silences",
        R"({"matchers": ["unit=bien_hoa"], "duration": "3650d", "comment": "fuzz setup"})", 201);
    f->setup_evaluation = setup_request(*f->api, "POST", "/api/v1/evaluate", "", 202);
    return f;
  }();
  return *made;
}

// Deletes what the inputs added once there is too much of it, so that a long run stays
// fast. Outside the API, so the service is told that the data changed.
void housekeeping(Fixture& f) {
  auto lease = f.service->pool().acquire();
  if (auto* error = std::get_if<store::DbError>(&lease)) {
    broken_promise("housekeeping: " + error->message);
  }
  store::Database& db = *std::get<service::ConnectionPool::Lease>(lease);
  store::Statement q = tiendo::store::sql::prepare(
      db,
      "SELECT (SELECT count(*) FROM silences), (SELECT count(*) FROM evaluations), "
      "(SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size())");
  if (!q.step())
    broken_promise("housekeeping: " + q.error().value_or(store::DbError{"no row"}).message);
  const std::int64_t silences = q.column_int(0);
  const std::int64_t evaluations = q.column_int(1);
  const std::int64_t bytes = q.column_int(2);
  q = store::Statement();

  const auto execute = [&](const std::string& sql) {
    if (auto error = tiendo::store::sql::execute(db, sql))
      broken_promise("housekeeping: " + error->message);
  };
  if (silences > kMaxRows) {
    execute("DELETE FROM silences WHERE id <> " + std::to_string(f.setup_silence));
  }
  if (evaluations > kMaxRows) {
    execute("DELETE FROM evaluations WHERE id <> " + std::to_string(f.setup_evaluation));
  }
  if (bytes > kMaxDatabaseBytes) {
    // The API names what it ingests "request.csv" or "request.json"; the examples keep
    // their paths.
    execute(
        "DELETE FROM observations WHERE input LIKE 'request.%'; "
        "DELETE FROM task_status WHERE input LIKE 'request.%'; "
        "DELETE FROM silences WHERE id <> " +
        std::to_string(f.setup_silence) +
        "; "
        "DELETE FROM evaluations WHERE id <> " +
        std::to_string(f.setup_evaluation));
    f.service->data_changed();
  }
}

// Reads the input front to back; past its end every byte is 0 and every string empty.
class Reader {
 public:
  Reader(const std::uint8_t* data, std::size_t size)
      : text_(reinterpret_cast<const char*>(data), size) {}
  std::uint8_t byte() { return pos_ < text_.size() ? static_cast<std::uint8_t>(text_[pos_++]) : 0; }
  std::string_view take(std::size_t n) {
    const std::string_view out = text_.substr(pos_, n);
    pos_ += out.size();
    return out;
  }
  std::string_view rest() { return take(std::string_view::npos); }

 private:
  std::string_view text_;
  std::size_t pos_ = 0;
};

service::ApiRequest decode(const std::uint8_t* data, std::size_t size) {
  Reader in(data, size);
  service::ApiRequest request;
  const std::uint8_t method = in.byte();
  const std::uint8_t token = in.byte();
  const std::uint8_t type = in.byte();
  const std::uint8_t route = in.byte();
  request.method = kMethods[method % std::size(kMethods)];

  // The low three bits pick the header, the others the length of garbage taken.
  const std::size_t garbage = (token >> 3) % 16;
  switch (token % 8) {
    case 0:
      break;
    case 1:
      request.headers.emplace_back("Authorization", "Bearer " + std::string(kReadToken));
      break;
    case 2:
      request.headers.emplace_back("Authorization", "Bearer " + std::string(kWriteToken));
      break;
    case 3:
      request.headers.emplace_back("Authorization", "Bearer " + std::string(kAdminToken));
      break;
    case 4:
      request.headers.emplace_back("Authorization", "Bearer " + std::string(in.take(garbage)));
      break;
    case 5:
      request.headers.emplace_back("Authorization", std::string(in.take(garbage)));
      break;
    case 6:
      request.headers.emplace_back("Authorization", "Bearer ");
      break;
    default:
      request.headers.emplace_back("Authorization", "bEARER  " + std::string(kAdminToken) + "\t");
      break;
  }

  const std::size_t type_index = type % std::size(kContentTypes);
  if (type_index == kGarbageContentType) {
    request.headers.emplace_back("Content-Type", std::string(in.take((type >> 3) % 16)));
  } else if (type_index != kNoContentType) {
    request.headers.emplace_back("Content-Type", std::string(kContentTypes[type_index]));
  }

  const std::string_view rest = in.rest();
  const std::size_t newline = rest.find('\n');
  const std::string_view line = rest.substr(0, newline);
  if (newline != std::string_view::npos) request.body = std::string(rest.substr(newline + 1));

  const std::size_t question = line.find('?');
  if (route % 2 == 1) request.path = kRoutePrefixes[(route >> 1) % std::size(kRoutePrefixes)];
  request.path += line.substr(0, question);
  if (question != std::string_view::npos) {
    std::string_view query = line.substr(question + 1);
    while (!query.empty()) {
      const std::size_t amp = query.find('&');
      const std::string_view pair = query.substr(0, amp);
      query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
      if (pair.empty()) continue;
      const std::size_t eq = pair.find('=');
      request.query.emplace_back(
          std::string(pair.substr(0, eq)),
          eq == std::string_view::npos ? std::string() : std::string(pair.substr(eq + 1)));
    }
  }
  return request;
}

std::string describe(const service::ApiRequest& request, const service::ApiResponse& response) {
  std::string body = response.body.substr(0, 2000);
  return request.method + " " + request.path + " answered " + std::to_string(response.status) +
         " (" + response.content_type + "): " + body;
}

void check(const service::ApiRequest& request, const service::ApiResponse& response,
           const Fixture& f) {
  const auto fail = [&](const std::string& what) {
    broken_promise(
        what + "\n  " + describe(request, response) +
        (f.sink->last_error().empty() ? "" : "\n  last logged error: " + f.sink->last_error()));
  };
  if (response.status < 200 || response.status > 599) fail("the status is not in 200..599");
  for (const auto& [name, value] : response.headers) {
    if (name.empty() || name.find_first_of("\r\n:\0"sv) != std::string::npos ||
        value.find_first_of("\r\n\0"sv) != std::string::npos) {
      fail("a response header carries a line break: " + name);
    }
  }
  if (response.content_type.find_first_of("\r\n\0"sv) != std::string::npos) {
    fail("the content type carries a line break");
  }
  // A HEAD answer from a handler has no body; one refused before the handlers keeps it.
  const bool body_expected = !(request.method == "HEAD" && response.body.empty());
  if (response.status >= 400) {
    if (response.content_type != "application/json") fail("an error is not application/json");
    if (body_expected) {
      const json body = json::parse(response.body, nullptr, false);
      if (!body.is_object()) fail("an error's body is not a JSON object");
      const auto status = body.find("status");
      if (status == body.end() || !status->is_number_integer() ||
          status->get<std::int64_t>() != response.status) {
        fail("an error's \"status\" is not the response's status");
      }
      const auto message = body.find("message");
      if (message == body.end() || !message->is_string() || message->get<std::string>().empty()) {
        fail("an error has no \"message\"");
      }
    }
    // No database failure or escaped exception is expected on a private, healthy store.
    if (response.status == 500) fail("a 500: a handler threw, or the database failed");
  } else if (response.status < 300 && response.content_type == "application/json" &&
             body_expected) {
    if (json::parse(response.body, nullptr, false).is_discarded()) fail("a 2xx body is not JSON");
  }
}

}  // namespace

int tiendo_fuzz_api(const std::uint8_t* data, std::size_t size) {
  Fixture& f = fixture();
  const service::ApiRequest request = decode(data, size);
  service::RequestFacts facts;
  const service::ApiResponse response = f.api->handle(request, facts);
  // TIENDO_FUZZ_API_VERBOSE=1 shows what each input became, for work on the corpus.
  static const bool verbose = std::getenv("TIENDO_FUZZ_API_VERBOSE") != nullptr;
  if (verbose) {
    std::fprintf(stderr, "%s %s (%zu query, %zu body bytes) -> %d %s\n", request.method.c_str(),
                 request.path.c_str(), request.query.size(), request.body.size(), response.status,
                 response.body.substr(0, 160).c_str());
  }
  check(request, response, f);
  if (++f.calls % kHousekeepingEvery == 0) housekeeping(f);
  return 0;
}

// The rule editor's routes: its page (/editor) and script, and the rule set's versions
// (GET and POST /api/v1/rules/versions, GET /api/v1/rules/versions/{n} with its diff, POST
// /api/v1/rules/versions/{n}/restore), the checker and the rule tests on edited files
// (POST /api/v1/rules/check), the formatter (POST /api/v1/rules/format) and a preview of
// the results at a date (POST /api/v1/rules/preview). Every /api/v1/rules/ route needs the
// `rules` scope. Positions are LSP's: lines from 0, characters in UTF-16 code units.
#include <fmt/format.h>

#include <map>

#include "dsl/format.hpp"
#include "lsp/protocol.hpp"
#include "present/labels.hpp"
#include "present/results.hpp"
#include "service/api/support.hpp"
#include "service/pages.hpp"
#include "service/rule_editor_bundle.hpp"
#include "util/result.hpp"

namespace tiendo::service {

namespace {

using api::db_failure;
using api::json;
using api::json_body;
using api::json_response;
using api::language_param;
using api::only_fields;
using api::parse_id;
using api::Query;
using api::string_field;

constexpr std::size_t kMaxVersionsListed = 500;
constexpr std::size_t kMaxMessageBytes = 2000;

// The body's "files": {"<name>": "<text>", …}, the edits of the files of the rule set.
std::variant<std::map<std::string, std::string>, ApiResponse> edits_of(const json& body,
                                                                       bool required) {
  std::map<std::string, std::string> edits;
  if (!body.contains("files") || body["files"].is_null()) {
    if (required) return error_response(400, "files: an object {\"<file>\": \"<text>\"} is needed");
    return edits;
  }
  const json& files = body["files"];
  if (!files.is_object()) {
    return error_response(400, "files: must be an object {\"<file>\": \"<text>\"}");
  }
  for (const auto& [name, text] : files.items()) {
    if (!text.is_string()) {
      return error_response(400, fmt::format("files.{}: must be the file's text", name));
    }
    edits.emplace(name, text.get<std::string>());
  }
  return edits;
}

// The files of `base` with the request's edits in; 422 naming a file not in the set.
std::variant<std::vector<store::RuleFile>, ApiResponse> edited(
    const std::vector<store::RuleFile>& base, const std::map<std::string, std::string>& edits) {
  auto files = with_edits(base, edits);
  if (auto* error = std::get_if<std::string>(&files))
    return error_response(422, "files: " + *error);
  return std::get<std::vector<store::RuleFile>>(std::move(files));
}

json range_json(const dsl::SourceSet& sources, const dsl::Location& at) {
  if (!at.known || at.file >= sources.size()) {
    return {{"start", {{"line", 0}, {"character", 0}}}, {"end", {{"line", 0}, {"character", 0}}}};
  }
  const auto [start, end] = lsp::diagnostic_range(sources.file(at.file), at.offset);
  return {{"start", {{"line", start.line}, {"character", start.character}}},
          {"end", {{"line", end.line}, {"character", end.character}}}};
}

json diagnostics_json(const dsl::Program& program) {
  json out = json::array();
  for (const dsl::Diagnostic& d : program.diagnostics.all()) {
    if (d.severity == dsl::Severity::note) continue;
    const bool placed = d.location.known && d.location.file < program.sources.size();
    json item = {{"file", placed ? program.sources.file(d.location.file).path : std::string()},
                 {"severity", d.severity == dsl::Severity::error ? "error" : "warning"},
                 {"code", dsl::code_id(d.code)},
                 {"message", d.message},
                 {"range", range_json(program.sources, d.location)}};
    if (std::string s = lsp::suggested_name(d.message); !s.empty()) item["suggestion"] = s;
    out.push_back(std::move(item));
  }
  return out;
}

json tests_json(const CheckedRules& checked) {
  json out = json::array();
  for (const RuleTestResult& t : checked.tests) {
    out.push_back({{"name", t.name},
                   {"file", t.file},
                   {"line", t.line},
                   {"passed", t.passed},
                   {"failures", t.failures}});
  }
  return out;
}

json check_json(const CheckedRules& checked) {
  return {{"ok", checked.refusals().empty()},
          {"diagnostics", diagnostics_json(checked.program)},
          {"tests", tests_json(checked)},
          {"counts",
           {{"errors", checked.program.diagnostics.error_count()},
            {"warnings", checked.program.diagnostics.warning_count()},
            {"rules", checked.rules ? checked.rules->rules.size() : 0},
            {"tests", checked.tests.size()}}}};
}

json info_json(const store::RuleVersionInfo& v) {
  return {
      {"version", v.version}, {"created_at", v.created_at},
      {"author", v.author},   {"message", v.message},
      {"source", v.source},   {"restored_from", v.restored_from ? json(*v.restored_from) : json()},
      {"files", v.names}};
}

// The body's message: 1 to kMaxMessageBytes bytes once trimmed.
std::variant<std::string, ApiResponse> message_of(const json& body) {
  std::string error;
  auto message = string_field(body, "message", error);
  if (!message) return error_response(400, error);
  const std::size_t first = message->find_first_not_of(" \t\r\n");
  if (first == std::string::npos) {
    return error_response(400, "message: say what changed and why (it shows in the history)");
  }
  *message = message->substr(first, message->find_last_not_of(" \t\r\n") - first + 1);
  if (message->size() > kMaxMessageBytes) {
    return error_response(400, fmt::format("message: at most {} bytes", kMaxMessageBytes));
  }
  return std::move(*message);
}

// The body's "base": the version the change was made on.
std::variant<std::int64_t, ApiResponse> base_of(const json& body) {
  if (!body.contains("base") || !body["base"].is_number_integer() ||
      body["base"].get<std::int64_t>() < 0) {
    return error_response(400,
                          "base: the version the change was made on (a whole number) is needed");
  }
  return body["base"].get<std::int64_t>();
}

// 409: the change was made on `base`, and `current` is the version now.
ApiResponse conflict(std::int64_t current, std::int64_t base) {
  return json_response(
      409, {{"status", 409},
            {"error", "conflict"},
            {"message", fmt::format("version {} was saved since version {} you changed; load it "
                                    "and make your change again",
                                    current, base)},
            {"current", current}});
}

// What saving came to, as the API answers it.
ApiResponse saved_response(const RuleSave& saved, const store::NewRuleVersion& version,
                           std::int64_t base) {
  if (saved.refused) {
    json body = check_json(*saved.refused);
    body["status"] = 422;
    body["error"] = "unprocessable_entity";
    body["message"] = fmt::format("not saved: {}; version {} keeps running",
                                  saved.refused->refusals().front(), base);
    return json_response(422, body);
  }
  if (saved.conflict) return conflict(*saved.conflict, base);
  if (!saved.error.empty()) return db_failure(store::DbError{saved.error});
  store::RuleVersionInfo info{saved.version,
                              version.created_at,
                              version.author,
                              version.message,
                              version.source,
                              version.restored_from,
                              {}};
  for (const store::RuleFile& f : version.files) info.names.push_back(f.name);
  ApiResponse r = json_response(201, info_json(info));
  r.headers.emplace_back("Location", fmt::format("/api/v1/rules/versions/{}", saved.version));
  return r;
}

}  // namespace

ApiResponse Api::editor_page(const ApiRequest& request, const RouteCall&) {
  Query q(request, {"lang"});
  if (q.error()) return error_response(400, *q.error());
  EditorPageData data;
  TIENDO_ASSIGN_OR_ELSE(data.language, language_param(q), [](ApiResponse r) { return r; });
  data.today = model::to_string(service_.today());
  data.script_version = std::string(rule_editor_script_version());
  data.generated_at = service_.now_text();
  ApiResponse r;
  r.content_type = "text/html; charset=utf-8";
  r.body = render_editor_page(data);
  // Its script from this service only, which talks to this service only.
  r.headers.emplace_back("Content-Security-Policy",
                         "default-src 'none'; script-src 'self'; connect-src 'self'; "
                         "style-src 'unsafe-inline'; img-src data:");
  r.headers.emplace_back("Cache-Control", "no-store");
  return r;
}

ApiResponse Api::editor_script(const ApiRequest& request, const RouteCall&) {
  Query q(request, {"v"});
  if (q.error()) return error_response(400, *q.error());
  ApiResponse r;
  r.content_type = "text/javascript; charset=utf-8";
  const std::string etag = fmt::format("\"{}\"", rule_editor_script_version());
  if (request.header("If-None-Match") == etag) {
    r.status = 304;
    r.headers.emplace_back("ETag", etag);
    return r;
  }
  r.body = std::string(rule_editor_script());
  // The page asks for ?v=<the bundle's digest>: that URL's answer never changes.
  r.headers.emplace_back("Cache-Control", q.get("v") == rule_editor_script_version()
                                              ? "public, max-age=31536000, immutable"
                                              : "no-cache");
  r.headers.emplace_back("ETag", etag);
  return r;
}

ApiResponse Api::rule_versions(const ApiRequest& request, const RouteCall&) {
  Query q(request, {"limit"});
  if (q.error()) return error_response(400, *q.error());
  std::string error;
  const auto limit = q.number("limit", 50, 1, kMaxVersionsListed, error);
  if (!limit) return error_response(400, error);
  TIENDO_ASSIGN_OR_ELSE(auto lease, service_.pool().acquire(), db_failure);
  TIENDO_ASSIGN_OR_ELSE(const std::vector<store::RuleVersionInfo> versions,
                        store::list_rule_versions(*lease, *limit), db_failure);
  json list = json::array();
  for (const store::RuleVersionInfo& v : versions) list.push_back(info_json(v));
  return json_response(200, {{"current", versions.empty() ? 0 : versions.front().version},
                             {"running", service_.rules()->version},
                             {"versions", std::move(list)}});
}

ApiResponse Api::rule_version(const ApiRequest& request, const RouteCall& call) {
  if (Query q(request, {}); q.error()) return error_response(400, *q.error());
  const auto id = parse_id(call.id);
  if (!id) return error_response(404, fmt::format("no version '{}' of the rule set", call.id));
  TIENDO_ASSIGN_OR_ELSE(auto lease, service_.pool().acquire(), db_failure);
  TIENDO_ASSIGN_OR_ELSE(const std::optional<store::RuleVersion> found,
                        store::find_rule_version(*lease, *id), db_failure);
  if (!found) return error_response(404, fmt::format("no version {} of the rule set", *id));
  std::vector<store::RuleFile> previous;
  if (*id > 1) {
    TIENDO_ASSIGN_OR_ELSE(const std::optional<store::RuleVersion> before,
                          store::find_rule_version(*lease, *id - 1), db_failure);
    if (before) previous = before->files;
  }
  json body = info_json(found->info);
  json files = json::array();
  for (const store::RuleFile& f : found->files)
    files.push_back({{"name", f.name}, {"text", f.text}});
  body["files"] = std::move(files);
  body["diff"] = rule_files_diff(previous, found->files);
  body["previous"] = *id > 1 ? json(*id - 1) : json();
  return json_response(200, body);
}

ApiResponse Api::rule_check(const ApiRequest& request, const RouteCall&) {
  if (Query q(request, {}); q.error()) return error_response(400, *q.error());
  TIENDO_ASSIGN_OR_ELSE(const json body, json_body(request, false),
                        [](ApiResponse r) { return r; });
  if (auto failure = only_fields(body, {"files", "tests"})) return *failure;
  if (body.contains("tests") && !body["tests"].is_boolean()) {
    return error_response(400, "tests: true or false");
  }
  TIENDO_ASSIGN_OR_ELSE(const auto edits, edits_of(body, false), [](ApiResponse r) { return r; });
  TIENDO_ASSIGN_OR_ELSE(const auto files, edited(service_.rules()->files, edits),
                        [](ApiResponse r) { return r; });
  const CheckedRules checked = check_rule_files(files, body.value("tests", false));
  json out = check_json(checked);
  out["version"] = service_.rules()->version;
  return json_response(200, out);
}

ApiResponse Api::rule_format(const ApiRequest& request, const RouteCall&) {
  if (Query q(request, {}); q.error()) return error_response(400, *q.error());
  TIENDO_ASSIGN_OR_ELSE(const json body, json_body(request, false),
                        [](ApiResponse r) { return r; });
  if (auto failure = only_fields(body, {"file", "text"})) return *failure;
  std::string error;
  const auto name = string_field(body, "file", error);
  if (!name) return error_response(400, error);
  if (!body.contains("text") || !body["text"].is_string()) {
    return error_response(400, "text: the file's text is needed");
  }
  dsl::Program program;
  const std::uint32_t index =
      program.sources.add(name->empty() ? "rules" : *name, body["text"].get<std::string>());
  program.files.push_back(dsl::parse(program.sources, index, program.diagnostics));
  if (program.diagnostics.has_errors()) {
    const dsl::Diagnostic& first = program.diagnostics.all().front();
    const dsl::LineColumn at = program.sources.line_column(index, first.location.offset);
    return json_response(
        422, {{"status", 422},
              {"error", "unprocessable_entity"},
              {"message", fmt::format("not formatted: fix the syntax errors first (line {}: {})",
                                      at.line, first.message)},
              {"diagnostics", diagnostics_json(program)}});
  }
  return json_response(200, {{"text", dsl::format(program.sources, program.files.front())}});
}

ApiResponse Api::rule_preview(const ApiRequest& request, const RouteCall&) {
  Query q(request, {"lang"});
  if (q.error()) return error_response(400, *q.error());
  // The states and figures in the reader's language.
  TIENDO_ASSIGN_OR_ELSE(const model::Language language, language_param(q),
                        [](ApiResponse r) { return r; });
  TIENDO_ASSIGN_OR_ELSE(const json body, json_body(request, false),
                        [](ApiResponse r) { return r; });
  if (auto failure = only_fields(body, {"files", "at"})) return *failure;
  std::string error;
  const auto at_text = string_field(body, "at", error);
  if (!at_text) return error_response(400, error);
  const std::optional<model::Date> at = model::parse_iso_date(*at_text);
  if (!at || !model::supported_date(*at)) {
    return error_response(400, fmt::format("at: '{}' is not a date YYYY-MM-DD from {}", *at_text,
                                           model::supported_years()));
  }
  TIENDO_ASSIGN_OR_ELSE(const auto edits, edits_of(body, false), [](ApiResponse r) { return r; });
  const std::shared_ptr<const LoadedRules> running = service_.rules();
  TIENDO_ASSIGN_OR_ELSE(auto files, edited(running->files, edits), [](ApiResponse r) { return r; });
  CheckedRules checked = check_rule_files(files, false);
  if (!checked.rules) {
    json out = check_json(checked);
    out["status"] = 422;
    out["error"] = "unprocessable_entity";
    out["message"] = "no preview: " + checked.refusals().front();
    return json_response(422, out);
  }
  // Each preview evaluates the whole rule set twice on the data as stored.
  std::unique_lock one(preview_mutex_, std::try_to_lock);
  if (!one.owns_lock()) {
    ApiResponse r = error_response(429, "another preview is being made; try again in a moment");
    r.headers.emplace_back("Retry-After", "2");
    return r;
  }
  auto changed = std::make_shared<const LoadedRules>(
      LoadedRules{std::move(*checked.rules), service_.now_text(), 0, std::move(files)});
  TIENDO_ASSIGN_OR_ELSE(auto lease, service_.pool().acquire(), db_failure);
  TIENDO_ASSIGN_OR_ELSE(
      const auto before,
      service::evaluate(
          *lease, running, *at,
          {.known_at = {}, .through = {}, .base = service_.latest(), .cancel = nullptr}),
      db_failure);
  TIENDO_ASSIGN_OR_ELSE(const auto after, service::evaluate(*lease, changed, *at), db_failure);

  // Each result by its rule's name and unit's id.
  struct Seen {
    const Evaluation* evaluation = nullptr;
    const eval::RuleResult* result = nullptr;
  };
  const auto key_of = [](const Evaluation& e, const eval::RuleResult& r) {
    const std::string& rule = e.rules->rules.rules[static_cast<std::size_t>(r.rule)].name;
    const std::string unit =
        r.unit < 0 ? std::string() : e.snapshot.units()[static_cast<std::size_t>(r.unit)].id;
    return std::pair(rule, unit);
  };
  std::map<std::pair<std::string, std::string>, std::pair<Seen, Seen>> all;
  for (const eval::RuleResult& r : before->results.rules) {
    all[key_of(*before, r)].first = {before.get(), &r};
  }
  for (const eval::RuleResult& r : after->results.rules) {
    all[key_of(*after, r)].second = {after.get(), &r};
  }
  const auto side = [&](const Seen& seen) -> json {
    if (!seen.result) return nullptr;
    const eval::RuleResult& r = *seen.result;
    return {{"state", eval::to_string(r.state)},
            {"state_text", present::label(r.state, language)},
            {"tone", present::tone_class(present::tone(r.state))},
            {"value", r.value ? json(present::format_value(seen.evaluation->rules->rules, r,
                                                           *r.value, language))
                              : json()}};
  };
  json changes = json::array();
  std::size_t unchanged = 0;
  for (const auto& [key, pair] : all) {
    const auto& [was, now] = pair;
    const json a = side(was), b = side(now);
    if (a == b) {
      ++unchanged;
      continue;
    }
    const Seen& any = now.result ? now : was;
    const model::Rule& rule =
        any.evaluation->rules->rules.rules[static_cast<std::size_t>(any.result->rule)];
    const store::UnitIndex unit = any.result->unit;
    changes.push_back(
        {{"rule", key.first},
         {"title", rule.title.empty() ? rule.name : rule.title},
         {"unit", key.second},
         {"unit_name", unit < 0
                           ? std::string()
                           : any.evaluation->snapshot.units()[static_cast<std::size_t>(unit)].name},
         {"before", a},
         {"after", b}});
  }
  return json_response(200, {{"at", model::to_string(*at)},
                             {"version", running->version},
                             {"evaluated", all.size()},
                             {"changed", std::move(changes)},
                             {"unchanged", unchanged}});
}

ApiResponse Api::rule_save(const ApiRequest& request, const RouteCall& call) {
  if (Query q(request, {}); q.error()) return error_response(400, *q.error());
  TIENDO_ASSIGN_OR_ELSE(const json body, json_body(request, false),
                        [](ApiResponse r) { return r; });
  if (auto failure = only_fields(body, {"files", "message", "base"})) return *failure;
  TIENDO_ASSIGN_OR_ELSE(const auto edits, edits_of(body, true), [](ApiResponse r) { return r; });
  TIENDO_ASSIGN_OR_ELSE(std::string message, message_of(body), [](ApiResponse r) { return r; });
  TIENDO_ASSIGN_OR_ELSE(const std::int64_t base, base_of(body), [](ApiResponse r) { return r; });
  TIENDO_ASSIGN_OR_ELSE(auto lease, service_.pool().acquire(), db_failure);
  // A stale base is said before the check: the change is to be made again on the current
  // version anyway (the save checks the base again, in its transaction).
  TIENDO_ASSIGN_OR_ELSE(const std::int64_t current, store::current_rule_version(*lease),
                        db_failure);
  if (base != current) return conflict(current, base);
  // The edits go into the version they were made on, as the store holds it.
  TIENDO_ASSIGN_OR_ELSE(const std::optional<store::RuleVersion> based,
                        store::find_rule_version(*lease, base), db_failure);
  if (!based) return conflict(current, base);
  TIENDO_ASSIGN_OR_ELSE(auto files, edited(based->files, edits), [](ApiResponse r) { return r; });
  if (files == based->files) {
    return error_response(422, fmt::format("nothing changed from version {}", base));
  }
  store::NewRuleVersion version{.created_at = service_.now_text(),
                                .author = call.facts.token_id,
                                .message = std::move(message),
                                .source = "editor",
                                .restored_from = std::nullopt,
                                .disk_digest = {},
                                .files = std::move(files),
                                .base = base};
  const RuleSave saved = service_.save_rules(*lease, version);
  return saved_response(saved, version, base);
}

ApiResponse Api::rule_restore(const ApiRequest& request, const RouteCall& call) {
  if (Query q(request, {}); q.error()) return error_response(400, *q.error());
  const auto id = parse_id(call.id);
  if (!id) return error_response(404, fmt::format("no version '{}' of the rule set", call.id));
  TIENDO_ASSIGN_OR_ELSE(const json body, json_body(request, false),
                        [](ApiResponse r) { return r; });
  if (auto failure = only_fields(body, {"message", "base"})) return *failure;
  TIENDO_ASSIGN_OR_ELSE(std::string message, message_of(body), [](ApiResponse r) { return r; });
  TIENDO_ASSIGN_OR_ELSE(const std::int64_t base, base_of(body), [](ApiResponse r) { return r; });
  TIENDO_ASSIGN_OR_ELSE(auto lease, service_.pool().acquire(), db_failure);
  TIENDO_ASSIGN_OR_ELSE(std::optional<store::RuleVersion> found,
                        store::find_rule_version(*lease, *id), db_failure);
  if (!found) return error_response(404, fmt::format("no version {} of the rule set", *id));
  TIENDO_ASSIGN_OR_ELSE(const std::int64_t current, store::current_rule_version(*lease),
                        db_failure);
  if (base != current) return conflict(current, base);
  TIENDO_ASSIGN_OR_ELSE(const std::optional<store::RuleVersion> now,
                        store::find_rule_version(*lease, current), db_failure);
  if (now && now->files == found->files) {
    return error_response(
        422, fmt::format("version {} has the files of version {}, the current one: nothing to "
                         "restore",
                         *id, current));
  }
  store::NewRuleVersion version{.created_at = service_.now_text(),
                                .author = call.facts.token_id,
                                .message = std::move(message),
                                .source = "restore",
                                .restored_from = *id,
                                .disk_digest = {},
                                .files = std::move(found->files),
                                .base = base};
  const RuleSave saved = service_.save_rules(*lease, version);
  return saved_response(saved, version, base);
}

}  // namespace tiendo::service

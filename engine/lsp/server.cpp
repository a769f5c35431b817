#include "lsp/server.hpp"

#include <fmt/format.h>
#include <malloc.h>

#include <algorithm>
#include <cctype>
#include <filesystem>

#include "dsl/check.hpp"
#include "dsl/format.hpp"
#include "dsl/parse.hpp"
#include "eval/rule_tests.hpp"
#include "lsp/protocol.hpp"
#include "present/reasons.hpp"

namespace tiendo::lsp {

namespace {

using json = nlohmann::json;
namespace fs = std::filesystem;

// JSON-RPC's and LSP's error codes.
constexpr int kParseError = -32700;
constexpr int kInvalidRequest = -32600;
constexpr int kMethodNotFound = -32601;
constexpr int kInvalidParams = -32602;
constexpr int kServerNotInitialized = -32002;
constexpr int kRequestFailed = -32803;

// A parameter missing or of the wrong kind, named by its path ("textDocument.uri").
struct ParamsError {
  std::string message;
};
// A request that was understood and cannot be done (a file with syntax errors to format).
struct RequestFailed {
  std::string message;
};

// `object[name]` when it is an integer, else `otherwise`.
std::int64_t integer_or(const json& object, const char* name, std::int64_t otherwise) {
  const auto found = object.is_object() ? object.find(name) : object.end();
  return found != object.end() && found->is_number_integer() ? found->get<std::int64_t>()
                                                             : otherwise;
}

const json& field(const json& object, const char* name, json::value_t kind, const char* path) {
  const auto found = object.is_object() ? object.find(name) : object.end();
  const bool fits = found != object.end() &&
                    (found->type() == kind ||
                     (kind == json::value_t::number_integer && found->is_number_integer()));
  if (!fits) {
    const char* what = kind == json::value_t::string   ? "a string"
                       : kind == json::value_t::object ? "an object"
                       : kind == json::value_t::array  ? "an array"
                                                       : "an integer";
    throw ParamsError{fmt::format("{}: {} is expected", path, what)};
  }
  return *found;
}

Position position_param(const json& p, const char* path) {
  const json& line = field(p, "line", json::value_t::number_integer, path);
  const json& character = field(p, "character", json::value_t::number_integer, path);
  if (line.get<std::int64_t>() < 0 || character.get<std::int64_t>() < 0) {
    throw ParamsError{fmt::format("{}: a line and a character are never negative", path)};
  }
  return {static_cast<std::uint32_t>(std::min<std::int64_t>(line.get<std::int64_t>(), UINT32_MAX)),
          static_cast<std::uint32_t>(
              std::min<std::int64_t>(character.get<std::int64_t>(), UINT32_MAX))};
}

json position_json(Position p) { return {{"line", p.line}, {"character", p.character}}; }
json range_json(Position start, Position end) {
  return {{"start", position_json(start)}, {"end", position_json(end)}};
}

// The end of the text as a position (the text as the editor holds it, a BOM included).
Position end_of(std::string_view text) {
  dsl::SourceFile file{"", std::string(text), {0}};
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\n') file.line_starts.push_back(static_cast<std::uint32_t>(i + 1));
  }
  return position_of(file, static_cast<std::uint32_t>(text.size()));
}

std::string normal_path(const std::string& path) {
  std::error_code ec;
  return fs::absolute(fs::path(path), ec).lexically_normal().string();
}

int severity_of(dsl::Severity s) {
  return s == dsl::Severity::error ? 1 : s == dsl::Severity::warning ? 2 : 3;
}

}  // namespace

void Server::send(const json& message) {
  output_.push_back(message.dump(-1, ' ', false, json::error_handler_t::replace));
}

void Server::respond(const json& id, json result) {
  send({{"jsonrpc", "2.0"}, {"id", id}, {"result", std::move(result)}});
}

void Server::respond_error(const json& id, int code, const std::string& message) {
  send({{"jsonrpc", "2.0"}, {"id", id}, {"error", {{"code", code}, {"message", message}}}});
}

void Server::log_error(const std::string& message) {
  send({{"jsonrpc", "2.0"},
        {"method", "window/logMessage"},
        {"params", {{"type", 1}, {"message", "tiendo lsp: " + message}}}});
}

std::vector<std::string> Server::take_output() { return std::exchange(output_, {}); }

void Server::handle(const std::string& body) {
  const json message = json::parse(body, nullptr, false);
  if (message.is_discarded()) {
    respond_error(nullptr, kParseError, "the message is not JSON");
    return;
  }
  const auto version = message.is_object() ? message.find("jsonrpc") : message.end();
  if (version == message.end() || *version != "2.0") {
    respond_error(message.is_object() && message.contains("id") ? message["id"] : json(),
                  kInvalidRequest, "a JSON-RPC 2.0 object is expected (\"jsonrpc\": \"2.0\")");
    return;
  }
  const auto method = message.find("method");
  if (method == message.end()) return;  // a response to the server: it asks nothing yet
  if (!method->is_string()) {
    respond_error(message.value("id", json()), kInvalidRequest, "method: a string is expected");
    return;
  }
  const json params = message.value("params", json::object());
  const auto id = message.find("id");
  if (id != message.end()) {
    if (!id->is_string() && !id->is_number_integer()) {
      respond_error(nullptr, kInvalidRequest, "id: a string or an integer is expected");
      return;
    }
    request(*id, method->get<std::string>(), params);
  } else {
    notification(method->get<std::string>(), params);
  }
}

void Server::request(const json& id, const std::string& method, const json& params) {
  if (method == "initialize") {
    if (initialized_) return respond_error(id, kInvalidRequest, "initialize came twice");
    initialized_ = true;
    return respond(id, initialize(params));
  }
  if (!initialized_) {
    return respond_error(id, kServerNotInitialized, "initialize must come first");
  }
  if (shut_down_) {
    return respond_error(id, kInvalidRequest, "the server is shutting down (shutdown came)");
  }
  try {
    if (method == "shutdown") {
      shut_down_ = true;
      return respond(id, nullptr);
    }
    if (method == "textDocument/formatting") return respond(id, formatting(params));
    if (method == "textDocument/definition") return respond(id, definition(params));
    if (method == "textDocument/references") return respond(id, references(params));
    if (method == "textDocument/hover") return respond(id, hover(params));
    if (method == "textDocument/documentSymbol") return respond(id, symbols(params));
    if (method == "textDocument/prepareRename") return respond(id, prepare_rename(params));
    if (method == "textDocument/rename") return respond(id, rename(params));
    if (method == "textDocument/completion") return respond(id, completion(params));
    if (method == "textDocument/codeAction") return respond(id, code_actions(params));
  } catch (const ParamsError& e) {
    return respond_error(id, kInvalidParams, e.message);
  } catch (const RequestFailed& e) {
    return respond_error(id, kRequestFailed, e.message);
  }
  respond_error(id, kMethodNotFound, fmt::format("tiendo lsp has no method '{}'", method));
}

json Server::initialize(const json&) {
  return {{"capabilities",
           {{"positionEncoding", "utf-16"},
            {"textDocumentSync",
             // Incremental (2): a keystroke sends its range, not the whole file again.
             {{"openClose", true}, {"change", 2}, {"save", {{"includeText", false}}}}},
            {"documentFormattingProvider", true},
            {"definitionProvider", true},
            {"referencesProvider", true},
            {"hoverProvider", true},
            {"documentSymbolProvider", true},
            {"renameProvider", {{"prepareProvider", true}}},
            {"completionProvider", {{"triggerCharacters", json::array({" ", "("})}}},
            {"codeActionProvider", {{"codeActionKinds", json::array({"quickfix"})}}}}},
          {"serverInfo", {{"name", "tiendo"}, {"version", "0.1.0"}}}};
}

void Server::notification(const std::string& method, const json& params) {
  if (method == "exit") {
    exit_code_ = shut_down_ ? 0 : 1;
    return;
  }
  if (!initialized_ || shut_down_) return;  // dropped, as the protocol says
  try {
    if (method == "textDocument/didOpen") {
      const json& item = field(params, "textDocument", json::value_t::object, "textDocument");
      const std::string uri =
          field(item, "uri", json::value_t::string, "textDocument.uri").get<std::string>();
      Document doc;
      doc.text = field(item, "text", json::value_t::string, "textDocument.text").get<std::string>();
      doc.version = integer_or(item, "version", 0);
      doc.path = path_of_uri(uri);
      if (doc.path) doc.path = normal_path(*doc.path);
      documents_[uri] = std::move(doc);
      test_results_.erase(uri);
      dirty_.insert(uri);
      forget_analyses();
    } else if (method == "textDocument/didChange") {
      std::string uri;
      Document& doc = document(params, uri);
      const json& changes = field(params, "contentChanges", json::value_t::array, "contentChanges");
      for (const json& change : changes) {
        const std::string text =
            field(change, "text", json::value_t::string, "contentChanges[].text")
                .get<std::string>();
        if (!change.contains("range")) {
          doc.text = text;
          continue;
        }
        const json& range = field(change, "range", json::value_t::object, "contentChanges[].range");
        const std::uint32_t from =
            offset_of(doc.text, position_param(field(range, "start", json::value_t::object,
                                                     "contentChanges[].range.start"),
                                               "contentChanges[].range.start"));
        const std::uint32_t to = offset_of(
            doc.text,
            position_param(field(range, "end", json::value_t::object, "contentChanges[].range.end"),
                           "contentChanges[].range.end"));
        if (to < from) throw ParamsError{"contentChanges[].range: its end comes before its start"};
        doc.text.replace(from, to - from, text);
      }
      doc.version = integer_or(params.at("textDocument"), "version", doc.version);
      test_results_.erase(uri);  // until the next save
      dirty_.insert(uri);
      forget_analyses();
    } else if (method == "textDocument/didSave") {
      std::string uri;
      document(params, uri);
      test_results_[uri] = test_diagnostics(uri);
      dirty_.insert(uri);
    } else if (method == "textDocument/didClose") {
      std::string uri;
      document(params, uri);
      documents_.erase(uri);
      dirty_.erase(uri);
      test_results_.erase(uri);
      forget_analyses();
      // Its squiggles go with it, and those it put on the files it includes.
      std::set<std::string> cleared = std::move(others_[uri]);
      others_.erase(uri);
      cleared.insert(uri);
      for (const std::string& u : cleared) {
        if (u != uri && documents_.contains(u)) continue;
        send({{"jsonrpc", "2.0"},
              {"method", "textDocument/publishDiagnostics"},
              {"params", {{"uri", u}, {"diagnostics", json::array()}}}});
      }
    }
  } catch (const ParamsError& e) {
    log_error(fmt::format("{}: {}", method, e.message));
  }
}

Server::Document& Server::document(const json& params, std::string& uri) {
  const json& id = field(params, "textDocument", json::value_t::object, "textDocument");
  uri = field(id, "uri", json::value_t::string, "textDocument.uri").get<std::string>();
  const auto found = documents_.find(uri);
  if (found == documents_.end()) {
    throw ParamsError{fmt::format("textDocument.uri: '{}' is not open", uri)};
  }
  return found->second;
}

void Server::publish_pending() {
  for (const std::string& uri : std::exchange(dirty_, {})) {
    if (documents_.contains(uri)) publish(uri);
  }
}

void keep_freed_memory() {
  // Blocks up to 256 MiB come from the heap, and up to 512 MiB freed at its top stay.
  mallopt(M_MMAP_THRESHOLD, 256 << 20);
  mallopt(M_TRIM_THRESHOLD, 512 << 20);
}

void Server::forget_analyses() {
  // Their trees go back to the parse cache, for the next analysis to take what it can.
  for (auto& [uri, a] : analyses_) {
    if (!a) continue;
    for (dsl::ast::File& file : a->program.files) {
      parse_cache_.give_back(a->program.sources, std::move(file));
    }
  }
  analyses_.clear();
}

const Server::Analysis& Server::analysis(const std::string& uri) {
  auto& cached = analyses_[uri];
  if (cached) return *cached;
  const Document& doc = documents_.at(uri);
  // The open documents as the editor holds them; other files from the disk.
  std::map<std::string, const Document*> open_by_path;
  for (const auto& [u, d] : documents_) {
    if (d.path) open_by_path[*d.path] = &d;
  }
  dsl::LoadOptions options;
  // A keystroke re-parses the declarations it changed, not the file (dsl::ParseCache).
  options.cache = &parse_cache_;
  options.reader = [&](const std::string& path, std::string& error) {
    const auto open = open_by_path.find(normal_path(path));
    if (open != open_by_path.end()) return std::optional<std::string>(open->second->text);
    return dsl::read_file(path, error);
  };
  cached = std::make_unique<Analysis>();
  if (doc.path) {
    // The rule set of the document's folder: its *.rules and *.tests (not below it), and
    // the document whatever its name.
    std::vector<std::string> paths;
    std::error_code ec;
    const fs::path folder = fs::path(*doc.path).parent_path();
    for (auto it = fs::directory_iterator(folder, ec); !ec && it != fs::directory_iterator();
         it.increment(ec)) {
      const std::string extension = it->path().extension().string();
      if (it->is_regular_file(ec) && (extension == ".rules" || extension == ".tests")) {
        paths.push_back(normal_path(it->path().string()));
      }
    }
    std::sort(paths.begin(), paths.end());
    // The *.rules first, as `tiendo test DIR` reads them; the document if it is neither.
    std::stable_partition(paths.begin(), paths.end(),
                          [](const std::string& p) { return p.ends_with(".rules"); });
    if (std::find(paths.begin(), paths.end(), *doc.path) == paths.end()) {
      paths.push_back(*doc.path);
    }
    cached->program = dsl::load(paths, options);
    for (std::uint32_t i = 0; i < cached->program.sources.size(); ++i) {
      if (normal_path(cached->program.sources.file(i).path) == *doc.path) cached->document = i;
    }
  } else {
    cached->program = dsl::load_text(uri, doc.text, options);
  }
  cached->rules = dsl::check(cached->program);
  cached->declared = declarations(cached->program);
  return *cached;
}

const Declared* Server::Analysis::find(std::string_view name) const {
  for (const Declared& d : declared) {
    if (d.name == name && d.kind != "test") return &d;
  }
  return nullptr;
}

std::string Server::uri_of_file(const Analysis& a, std::uint32_t file,
                                const std::string& uri) const {
  const Document& doc = documents_.at(uri);
  const std::string path = normal_path(a.program.sources.file(file).path);
  if (file == a.document || (doc.path && path == *doc.path)) return uri;
  for (const auto& [u, d] : documents_) {
    if (d.path && *d.path == path) return u;
  }
  return uri_of_path(path);
}

json Server::location(const Analysis& a, const Span& span, const std::string& uri) const {
  const dsl::SourceFile& file = a.program.sources.file(span.file);
  return {{"uri", uri_of_file(a, span.file, uri)},
          {"range", range_json(position_of(file, span.begin), position_of(file, span.end))}};
}

void Server::publish(const std::string& uri) {
  const Document& doc = documents_.at(uri);
  const dsl::Program& program = analysis(uri).program;
  const auto uri_of_index = [&](std::uint32_t index) {
    return uri_of_file(*analyses_.at(uri), index, uri);
  };
  const auto located = [&](const dsl::Location& at, std::string& where) {
    if (!at.known || at.file >= program.sources.size()) {
      where = uri;
      return range_json({0, 0}, {0, 0});
    }
    where = uri_of_index(at.file);
    const dsl::SourceFile& file = program.sources.file(at.file);
    const Range range = diagnostic_range(file, at.offset);
    return range_json(range.start, range.end);
  };
  std::map<std::string, json> by_uri;
  by_uri[uri] = json::array();
  for (const dsl::Diagnostic& d : program.diagnostics.all()) {
    std::string where;
    json out = {{"range", located(d.location, where)},
                {"severity", severity_of(d.severity)},
                {"code", dsl::code_id(d.code)},
                {"source", "tiendo"},
                {"message", d.message}};
    json related = json::array();
    for (const dsl::Diagnostic& note : d.notes) {
      std::string note_uri;
      const json range = located(note.location, note_uri);
      related.push_back(
          {{"location", {{"uri", note_uri}, {"range", range}}}, {"message", note.message}});
    }
    if (!related.empty()) out["relatedInformation"] = std::move(related);
    // An included file that is open has diagnostics of its own.
    if (where != uri && documents_.contains(where)) continue;
    by_uri[where].push_back(std::move(out));
  }
  if (const auto tests = test_results_.find(uri); tests != test_results_.end()) {
    for (const json& d : tests->second) by_uri[uri].push_back(d);
  }
  std::set<std::string> others;
  for (const auto& [u, list] : by_uri) {
    if (u != uri) others.insert(u);
  }
  for (const std::string& u : others_[uri]) {
    if (!by_uri.contains(u) && !documents_.contains(u)) by_uri[u] = json::array();
  }
  others_[uri] = std::move(others);
  for (auto& [u, list] : by_uri) {
    json params = {{"uri", u}, {"diagnostics", std::move(list)}};
    if (u == uri) params["version"] = doc.version;
    send({{"jsonrpc", "2.0"}, {"method", "textDocument/publishDiagnostics"}, {"params", params}});
  }
}

const Declared* Server::name_at(const json& params, const Analysis*& a, std::string& uri) {
  const Document& doc = document(params, uri);
  const std::uint32_t offset = offset_of(
      doc.text,
      position_param(field(params, "position", json::value_t::object, "position"), "position"));
  a = &analysis(uri);
  const auto word = identifier_at(doc.text, offset);
  if (!word) return nullptr;
  return a->find(std::string_view(doc.text).substr(word->first, word->second - word->first));
}

json Server::definition(const json& params) {
  const Analysis* a = nullptr;
  std::string uri;
  const Declared* declared = name_at(params, a, uri);
  if (!declared) return nullptr;
  return location(*a, declared->name_span, uri);
}

json Server::references(const json& params) {
  const Analysis* a = nullptr;
  std::string uri;
  const Declared* declared = name_at(params, a, uri);
  if (!declared) return json::array();
  const json context = params.value("context", json::object());
  const bool with_declaration =
      context.is_object() && context.value("includeDeclaration", true) == true;
  json out = json::array();
  for (std::uint32_t f = 0; f < a->program.sources.size(); ++f) {
    const std::string& text = a->program.sources.file(f).text;
    for (const auto& [begin, end] : identifiers(text)) {
      if (std::string_view(text).substr(begin, end - begin) != declared->name) continue;
      const Span span{f, begin, end};
      const bool is_declaration =
          f == declared->name_span.file && begin == declared->name_span.begin;
      if (is_declaration && !with_declaration) continue;
      out.push_back(location(*a, span, uri));
    }
  }
  return out;
}

json Server::hover(const json& params) {
  const Analysis* a = nullptr;
  std::string uri;
  const Declared* declared = name_at(params, a, uri);
  if (!declared) return nullptr;
  // The declaration as written (its clauses say the title, unit, owner, code, dates,
  // dependencies and basis), at most 30 lines.
  const dsl::SourceFile& file = a->program.sources.file(declared->block.file);
  std::string_view written = std::string_view(file.text).substr(
      declared->block.begin, declared->block.end - declared->block.begin);
  std::size_t cut = 0;
  for (int lines = 0; lines < 30 && cut != std::string_view::npos; ++lines) {
    cut = written.find('\n', cut == 0 ? 0 : cut + 1);
  }
  const bool longer = cut != std::string_view::npos;
  if (longer) written = written.substr(0, cut);
  const dsl::LineColumn at =
      a->program.sources.line_column(declared->name_span.file, declared->name_span.begin);
  std::string markdown =
      fmt::format("**{}** `{}` — {}:{}\n\n```tiendo\n{}{}\n```", declared->kind, declared->name,
                  fs::path(file.path).filename().string(), at.line, written, longer ? "\n…" : "");
  return {{"contents", {{"kind", "markdown"}, {"value", markdown}}}};
}

json Server::symbols(const json& params) {
  std::string uri;
  document(params, uri);
  const Analysis& a = analysis(uri);
  // LSP's SymbolKind numbers.
  const auto kind_of = [](const std::string& kind) {
    return kind == "indicator" ? 13
           : kind == "plan"    ? 3
           : kind == "task"    ? 24
           : kind == "channel" ? 11
           : kind == "rule"    ? 12
           : kind == "set"     ? 18
           : kind == "level"   ? 22
                               : 6;
  };
  json out = json::array();
  for (const Declared& d : a.declared) {
    if (d.name_span.file != a.document) continue;
    const dsl::SourceFile& file = a.program.sources.file(a.document);
    const json range = range_json(position_of(file, d.block.begin), position_of(file, d.block.end));
    const json selection =
        range_json(position_of(file, d.name_span.begin), position_of(file, d.name_span.end));
    out.push_back({{"name", d.name.empty() ? "(test)" : d.name},
                   {"detail", d.kind},
                   {"kind", kind_of(d.kind)},
                   {"range", range},
                   {"selectionRange", selection}});
  }
  return out;
}

json Server::prepare_rename(const json& params) {
  const Analysis* a = nullptr;
  std::string uri;
  const Declared* declared = name_at(params, a, uri);
  if (!declared) throw RequestFailed{"only a declared name can be renamed here"};
  const Document& doc = documents_.at(uri);
  const std::uint32_t offset = offset_of(doc.text, position_param(params["position"], "position"));
  const auto word = identifier_at(doc.text, offset);
  const json range = range_json(end_of(std::string_view(doc.text).substr(0, word->first)),
                                end_of(std::string_view(doc.text).substr(0, word->second)));
  return {{"range", range}, {"placeholder", declared->name}};
}

json Server::rename(const json& params) {
  const std::string wanted =
      field(params, "newName", json::value_t::string, "newName").get<std::string>();
  const Analysis* a = nullptr;
  std::string uri;
  const Declared* declared = name_at(params, a, uri);
  if (!declared) throw RequestFailed{"only a declared name can be renamed here"};
  if (!valid_name(wanted)) {
    throw RequestFailed{fmt::format(
        "'{}' cannot be a name: a letter or '_', then letters, digits or '_', and not one of "
        "the language's words",
        wanted)};
  }
  if (const Declared* clash = a->find(wanted); clash && clash != declared) {
    const dsl::LineColumn at =
        a->program.sources.line_column(clash->name_span.file, clash->name_span.begin);
    throw RequestFailed{fmt::format("'{}' is already the name of {} {} ({}:{})", wanted,
                                    clash->kind == "indicator" ? "an" : "a", clash->kind,
                                    a->program.sources.file(clash->name_span.file).path, at.line)};
  }
  json changes = json::object();
  for (std::uint32_t f = 0; f < a->program.sources.size(); ++f) {
    const dsl::SourceFile& file = a->program.sources.file(f);
    json edits = json::array();
    for (const auto& [begin, end] : identifiers(file.text)) {
      if (std::string_view(file.text).substr(begin, end - begin) != declared->name) continue;
      edits.push_back({{"range", range_json(position_of(file, begin), position_of(file, end))},
                       {"newText", wanted}});
    }
    if (!edits.empty()) changes[uri_of_file(*a, f, uri)] = std::move(edits);
  }
  return {{"changes", changes}};
}

json Server::completion(const json& params) {
  std::string uri;
  const Document& doc = document(params, uri);
  const std::uint32_t offset = offset_of(
      doc.text,
      position_param(field(params, "position", json::value_t::object, "position"), "position"));
  const Analysis& a = analysis(uri);
  // The line up to the cursor, without the word being typed.
  const std::size_t line_start = doc.text.rfind('\n', offset == 0 ? 0 : offset - 1);
  std::string_view before = std::string_view(doc.text).substr(
      line_start == std::string::npos || offset == 0 ? 0 : line_start + 1);
  before = before.substr(0, offset - (before.data() - doc.text.data()));
  std::size_t word = before.size();
  while (word > 0 &&
         (std::isalnum(static_cast<unsigned char>(before[word - 1])) || before[word - 1] == '_')) {
    --word;
  }
  const std::string_view head = before.substr(0, word);
  std::string previous;
  if (const auto ids = identifiers(head); !ids.empty()) {
    previous = std::string(head.substr(ids.back().first, ids.back().second - ids.back().first));
  }
  const bool line_start_only = head.find_first_not_of(" \t") == std::string_view::npos;
  // The block around the cursor in this file.
  std::string block_kind;
  for (const Declared& d : a.declared) {
    if (d.block.file == a.document && d.block.begin < offset && offset < d.block.end &&
        d.kind != "level") {
      block_kind = d.kind;
    }
  }
  json items = json::array();
  const auto add = [&](const std::string& label, int kind, const std::string& detail) {
    items.push_back({{"label", label}, {"kind", kind}, {"detail", detail}});
  };
  const auto names_of = [&](std::initializer_list<std::string_view> kinds) {
    for (const Declared& d : a.declared) {
      if (std::find(kinds.begin(), kinds.end(), d.kind) != kinds.end()) add(d.name, 18, d.kind);
    }
  };
  constexpr int kKeyword = 14, kFunction = 3, kValue = 12;
  if (line_start_only && block_kind.empty()) {
    for (const char* k :
         {"levels", "indicator", "plan", "task", "channel", "rule", "set", "test", "include"}) {
      add(k, kKeyword, "declaration");
    }
  } else if (line_start_only && block_kind != "test") {
    for (const std::string& k : dsl::clause_keywords(block_kind)) {
      add(k, kKeyword, "clause of " + block_kind);
    }
  } else if (previous == "needs" || previous == "after") {
    names_of({"task"});
  } else if (previous == "part_of" || previous == "basis" || previous == "implements") {
    names_of({"plan"});
  } else if (previous == "notify") {
    names_of({"channel"});
  } else if (previous == "each" || previous == "level") {
    names_of({"level", "set"});
  } else if (previous == "unit" && block_kind == "indicator") {
    for (const char* u : {"percent", "count", "number"}) add(u, kValue, "unit of measure");
  } else if (previous == "severity") {
    for (const char* v : {"info", "warning", "critical"}) add(v, kValue, "severity");
  } else {
    for (const char* f :
         {"latest", "sum", "avg", "min", "max", "count", "share", "ratio", "change", "done"}) {
      add(f, kFunction, "function");
    }
    names_of({"indicator", "task", "level", "set"});
  }
  return {{"isIncomplete", false}, {"items", items}};
}

json Server::code_actions(const json& params) {
  std::string uri;
  const Document& doc = document(params, uri);
  json out = json::array();
  const json context = params.value("context", json::object());
  if (!context.is_object() || !context.contains("diagnostics") ||
      !context["diagnostics"].is_array()) {
    return out;
  }
  for (const json& d : context["diagnostics"]) {
    if (!d.is_object() || !d.contains("message") || !d["message"].is_string() ||
        !d.contains("range")) {
      continue;
    }
    const std::string suggestion = suggested_name(d["message"].get<std::string>());
    if (suggestion.empty()) continue;
    // What the suggestion replaces, in the text as it is now: the name, or a `{…}`
    // placeholder.
    const std::uint32_t start =
        offset_of(doc.text, position_param(field(d["range"], "start", json::value_t::object,
                                                 "context.diagnostics[].range.start"),
                                           "context.diagnostics[].range.start"));
    std::uint32_t end = start;
    if (start < doc.text.size() && doc.text[start] == '{') {
      const std::size_t close = doc.text.find('}', start);
      if (close == std::string::npos) continue;
      end = static_cast<std::uint32_t>(close + 1);
    } else if (const auto word = identifier_at(doc.text, start); word && word->first == start) {
      end = word->second;
    } else {
      continue;
    }
    const json range = range_json(end_of(std::string_view(doc.text).substr(0, start)),
                                  end_of(std::string_view(doc.text).substr(0, end)));
    out.push_back(
        {{"title", fmt::format("Thay bằng '{}' (replace with '{}')", suggestion, suggestion)},
         {"kind", "quickfix"},
         {"diagnostics", json::array({d})},
         {"isPreferred", true},
         {"edit",
          {{"changes", {{uri, json::array({{{"range", range}, {"newText", suggestion}}})}}}}}});
  }
  return out;
}

json Server::test_diagnostics(const std::string& uri) {
  const Analysis& a = analysis(uri);
  json out = json::array();
  if (!a.rules) return out;  // the checker's diagnostics say why there is no rule set
  const Document& doc = documents_.at(uri);
  const model::RuleSet& rules = *a.rules;
  const std::string& loaded_as = a.program.sources.file(a.document).path;
  const eval::Explain explain = present::test_explanations(rules, model::Language::en);
  // A whole line of the document (its source lines count from 1).
  const auto line_range = [&](std::uint32_t line) {
    const std::uint32_t l = line == 0 ? 0 : line - 1;
    const std::uint32_t end = offset_of(doc.text, {l, UINT32_MAX});
    return range_json({l, 0}, end_of(std::string_view(doc.text).substr(0, end)));
  };
  for (const model::TestCase& test : rules.tests) {
    if (normal_path(test.source.file) != normal_path(loaded_as)) continue;
    const eval::TestOutcome outcome = eval::run_test(rules, test, explain);
    if (outcome.passed()) {
      out.push_back({{"range", line_range(test.source.line)},
                     {"severity", 3},
                     {"code", "test"},
                     {"source", "tiendo test"},
                     {"message", fmt::format("PASS: {} ({} expectations)", test.name,
                                             outcome.expectations.size())}});
      continue;
    }
    for (const eval::ExpectationOutcome& e : outcome.expectations) {
      if (e.passed) continue;
      out.push_back(
          {{"range", line_range(e.expectation->source.line)},
           {"severity", 1},
           {"code", "test"},
           {"source", "tiendo test"},
           {"message", fmt::format("FAIL: {}: {}", test.name, present::failure_text(rules, e))}});
    }
  }
  return out;
}

json Server::formatting(const json& params) {
  std::string uri;
  const Document& doc = document(params, uri);
  dsl::SourceSet sources;
  const std::uint32_t index = sources.add(doc.path.value_or(uri), doc.text);
  dsl::Diagnostics diagnostics;
  const dsl::ast::File file = dsl::parse(sources, index, diagnostics);
  if (diagnostics.has_errors()) {
    const dsl::Diagnostic& first = diagnostics.all().front();
    const dsl::LineColumn at = sources.line_column(index, first.location.offset);
    throw RequestFailed{fmt::format("not formatted: fix the syntax errors first (line {}: {})",
                                    at.line, first.message)};
  }
  const std::string formatted = dsl::format(sources, file);
  if (formatted == doc.text) return json::array();
  return json::array({{{"range", range_json({0, 0}, end_of(doc.text))}, {"newText", formatted}}});
}

}  // namespace tiendo::lsp

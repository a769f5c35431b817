#include "lsp/server.hpp"

#include <fmt/format.h>

#include <filesystem>

#include "dsl/check.hpp"
#include "dsl/format.hpp"
#include "dsl/parse.hpp"
#include "lsp/protocol.hpp"

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

// Where a diagnostic's squiggle ends: over the name, number, date or percentage that
// starts at `offset`, or one character.
std::uint32_t word_end(std::string_view text, std::uint32_t offset) {
  const auto part = [](unsigned char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '/' || c == '.' || c == '%' || c >= 0x80;
  };
  std::size_t end = offset;
  while (end < text.size() && part(static_cast<unsigned char>(text[end]))) ++end;
  if (end == offset && end < text.size() && text[end] != '\n' && text[end] != '\r') ++end;
  return static_cast<std::uint32_t>(end);
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
             {{"openClose", true}, {"change", 1}, {"save", {{"includeText", false}}}}},
            {"documentFormattingProvider", true}}},
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
      dirty_.insert(uri);
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
      dirty_.insert(uri);
    } else if (method == "textDocument/didSave") {
      std::string uri;
      document(params, uri);
      dirty_.insert(uri);
    } else if (method == "textDocument/didClose") {
      std::string uri;
      document(params, uri);
      documents_.erase(uri);
      dirty_.erase(uri);
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

void Server::publish(const std::string& uri) {
  const Document& doc = documents_.at(uri);
  // The open documents as the editor holds them; other files from the disk.
  std::map<std::string, const Document*> open_by_path;
  for (const auto& [u, d] : documents_) {
    if (d.path) open_by_path[*d.path] = &d;
  }
  dsl::LoadOptions options;
  options.reader = [&](const std::string& path, std::string& error) {
    const auto open = open_by_path.find(normal_path(path));
    if (open != open_by_path.end()) return std::optional<std::string>(open->second->text);
    return dsl::read_file(path, error);
  };
  dsl::Program program =
      doc.path ? dsl::load({*doc.path}, options) : dsl::load_text(uri, doc.text, options);
  dsl::check(program);

  const auto uri_of_file = [&](std::uint32_t index) {
    const std::string path = normal_path(program.sources.file(index).path);
    if (index == 0 || (doc.path && path == *doc.path)) return uri;
    for (const auto& [u, d] : documents_) {
      if (d.path && *d.path == path) return u;
    }
    return uri_of_path(path);
  };
  const auto located = [&](const dsl::Location& at, std::string& where) {
    if (!at.known || at.file >= program.sources.size()) {
      where = uri;
      return range_json({0, 0}, {0, 0});
    }
    where = uri_of_file(at.file);
    const dsl::SourceFile& file = program.sources.file(at.file);
    return range_json(position_of(file, at.offset),
                      position_of(file, word_end(file.text, at.offset)));
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

#include "lsp_target.hpp"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "lsp/protocol.hpp"
#include "lsp/server.hpp"

namespace {

using json = nlohmann::json;

[[noreturn]] void broken_promise(const std::string& what) {
  std::fprintf(stderr, "tiendo_fuzz_lsp: %s\n", what.c_str());
  std::abort();
}

// Hands `body` to `server` and checks what comes back; the number of responses to `id`.
int talk(tiendo::lsp::Server& server, const std::string& body, const json& id = json()) {
  server.handle(body);
  server.publish_pending();
  int responses = 0;
  for (const std::string& out : server.take_output()) {
    const json message = json::parse(out, nullptr, false);
    if (message.is_discarded() || !message.is_object() || message.value("jsonrpc", "") != "2.0") {
      broken_promise("the server sent something that is not a JSON-RPC 2.0 object: " +
                     out.substr(0, 200));
    }
    if (message.contains("id") && !message.contains("method")) {
      if (!message.contains("result") && !message.contains("error")) {
        broken_promise("a response without a result or an error: " + out.substr(0, 200));
      }
      if (!id.is_null() && message["id"] == id) ++responses;
    }
  }
  return responses;
}

json request(int id, const char* method, json params) {
  return {{"jsonrpc", "2.0"}, {"id", id}, {"method", method}, {"params", std::move(params)}};
}

void document(std::string_view text) {
  tiendo::lsp::Server server;
  talk(server, request(1, "initialize", json::object()).dump());
  const std::string uri = "untitled:fuzz";
  const std::string body =
      json{{"jsonrpc", "2.0"},
           {"method", "textDocument/didOpen"},
           {"params", {{"textDocument", {{"uri", uri}, {"version", 1}, {"text", text}}}}}}
          .dump(-1, ' ', false, json::error_handler_t::replace);
  talk(server, body);
  // Positions from the text's size: some inside it, some past its end.
  const auto size = static_cast<std::uint32_t>(text.size());
  const json positions[] = {{{"line", 0}, {"character", size % 7}},
                            {{"line", size % 5}, {"character", size % 11}},
                            {{"line", size / 40}, {"character", 3}},
                            {{"line", 100000}, {"character", 100000}}};
  talk(server, json{{"jsonrpc", "2.0"},
                    {"method", "textDocument/didChange"},
                    {"params",
                     {{"textDocument", {{"uri", uri}, {"version", 2}}},
                      {"contentChanges",
                       json::array({{{"range", {{"start", positions[1]}, {"end", positions[2]}}},
                                     {"text", "x"}}})}}}}
                   .dump());
  int id = 10;
  const json doc = {{"uri", uri}};
  for (const json& at : positions) {
    const json where = {{"textDocument", doc}, {"position", at}};
    json rename = where;
    rename["newName"] = "ten_moi";
    json references = where;
    references["context"] = {{"includeDeclaration", true}};
    const json action = {{"textDocument", doc},
                         {"range", {{"start", at}, {"end", at}}},
                         {"context",
                          {{"diagnostics", json::array({{{"range", {{"start", at}, {"end", at}}},
                                                         {"message", "did you mean 'x'?"}}})}}}};
    const std::pair<const char*, json> calls[] = {
        {"textDocument/hover", where},
        {"textDocument/definition", where},
        {"textDocument/references", references},
        {"textDocument/completion", where},
        {"textDocument/prepareRename", where},
        {"textDocument/rename", rename},
        {"textDocument/codeAction", action},
        {"textDocument/documentSymbol", {{"textDocument", doc}}},
        {"textDocument/formatting", {{"textDocument", doc}}}};
    for (const auto& [method, params] : calls) {
      const int this_id = id++;
      if (talk(server, request(this_id, method, params).dump(), this_id) != 1) {
        broken_promise(std::string("no single response to ") + method);
      }
    }
  }
}

void messages(std::string_view text) {
  tiendo::lsp::Server server;
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    talk(server, std::string(text.substr(start, end - start)));
    if (server.exit_code()) return;
    start = end + 1;
  }
}

void framing(std::string_view bytes) {
  int fds[2];
  if (::pipe(fds) != 0) return;
  // Small inputs fit in the pipe's buffer; the rest is cut there.
  const std::size_t n = std::min<std::size_t>(bytes.size(), 60000);
  const bool written = ::write(fds[1], bytes.data(), n) == static_cast<ssize_t>(n);
  ::close(fds[1]);
  if (written) {
    tiendo::lsp::MessageReader reader(fds[0]);
    tiendo::lsp::Server server;
    try {
      while (const auto body = reader.next()) talk(server, *body);
    } catch (const tiendo::lsp::ProtocolError& e) {
      if (e.message.empty()) broken_promise("a protocol error without a message");
    }
  }
  ::close(fds[0]);
}

}  // namespace

int tiendo_fuzz_lsp(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  try {
    if (data[0] == 'd') {
      document(rest);
    } else if (data[0] == 'm') {
      messages(rest);
    } else {
      framing(rest);
    }
  } catch (const std::exception& e) {
    broken_promise(std::string("an exception escaped: ") + e.what());
  }
  return 0;
}

// `tiendo lsp` driven over its pipes as an editor drives it: initialize, open a rules
// file (under a folder with a Vietnamese name), see the checker's diagnostics at the
// right UTF-16 positions with Vietnamese text before them, fix the text, format, close,
// shut down. Then what a broken client sends: every mistake answered, none a crash.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <deque>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "run.hpp"
#include "support/child_process.hpp"
#include "support/temp_dir.hpp"

namespace tiendo::testing {
namespace {

using json = nlohmann::json;
using namespace std::chrono_literals;

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// An editor's side of the protocol, on the real binary's pipes.
class LspClient {
 public:
  explicit LspClient(const std::string& log)
      : child_({TIENDO_BINARY, "lsp", "--stdio"},
               {.pipe_stdout = true, .log = log, .environment = {}}) {}

  void send_raw(const std::string& bytes) { ASSERT_TRUE(child_.write(bytes)); }
  void send(const json& message) {
    const std::string body = message.dump();
    send_raw(fmt::format("Content-Length: {}\r\n\r\n{}", body.size(), body));
  }
  void notify(const std::string& method, json params) {
    send({{"jsonrpc", "2.0"}, {"method", method}, {"params", std::move(params)}});
  }
  // The response to a request sent now; the notifications read meanwhile are kept.
  json request(const std::string& method, json params) {
    const int id = ++next_id_;
    send({{"jsonrpc", "2.0"}, {"id", id}, {"method", method}, {"params", std::move(params)}});
    return response(id);
  }
  json response(const json& id) {
    while (auto message = read()) {
      if (message->contains("id") && !message->contains("method") && (*message)["id"] == id) {
        return *message;
      }
      notifications_.push_back(std::move(*message));
    }
    ADD_FAILURE() << "no response to request " << id.dump();
    return json();
  }
  // The next notification of `method` (others read meanwhile are kept).
  json notification(const std::string& method) {
    for (auto it = notifications_.begin(); it != notifications_.end(); ++it) {
      if ((*it)["method"] == method) {
        json found = std::move(*it);
        notifications_.erase(it);
        return found;
      }
    }
    while (auto message = read()) {
      if ((*message)["method"] == method) return *message;
      notifications_.push_back(std::move(*message));
    }
    ADD_FAILURE() << "no " << method << " notification";
    return json();
  }
  // The diagnostics published next for `uri`.
  json diagnostics_of(const std::string& uri) {
    for (int i = 0; i < 10; ++i) {
      const json n = notification("textDocument/publishDiagnostics");
      if (n.is_null()) break;
      if (n["params"]["uri"] == uri) return n["params"];
    }
    ADD_FAILURE() << "no diagnostics for " << uri;
    return json();
  }
  ChildProcess& process() { return child_; }
  // The diagnostics published for `uri` at `version` (earlier ones skipped).
  json diagnostics_at(const std::string& uri, int version) {
    json published;
    do {
      published = diagnostics_of(uri);
    } while (!published.is_null() && published["version"] != version);
    return published;
  }
  // shutdown (whose result must be null), then exit: the exit status.
  int shut_down() {
    EXPECT_TRUE(request("shutdown", nullptr)["result"].is_null());
    notify("exit", nullptr);
    return child_.wait_exit(std::chrono::seconds(10));
  }

 private:
  std::optional<json> read() {
    std::size_t length = 0;
    for (;;) {
      const auto line = child_.read_line(20s);
      if (!line) return std::nullopt;
      if (*line == "\r") break;
      if (line->rfind("Content-Length: ", 0) == 0) length = std::stoul(line->substr(16));
    }
    const auto body = child_.read_bytes(length, 20s);
    if (!body) return std::nullopt;
    return json::parse(*body);
  }

  SigpipeIgnored sigpipe_;
  ChildProcess child_;
  int next_id_ = 0;
  std::deque<json> notifications_;
};

std::string uri_of(const std::string& path) {
  // The test's own encoding, as VS Code writes it (every non-ASCII byte, spaces).
  std::string uri = "file://";
  for (const unsigned char c : path) {
    if (std::isalnum(c) || c == '/' || c == '-' || c == '.' || c == '_') {
      uri.push_back(static_cast<char>(c));
    } else {
      uri += fmt::format("%{:02X}", c);
    }
  }
  return uri;
}

TEST(LspSession, DiagnosticsAsYouTypeFormattingAndShutdown) {
  TempDir dir;
  const std::string folder = dir.path() + "/tỉnh Đồng Nai";
  std::filesystem::create_directories(folder);
  const std::string path = folder + "/quy tắc.rules";
  const std::string uri = uri_of(path);
  const std::string good = read_text(std::string(TIENDO_SOURCE_DIR) + "/rules/dong-nai-2022.rules");
  const std::string line = "  require smartphone_rate >= 85% by 2022-12-31\n";
  ASSERT_NE(good.find(line), std::string::npos);
  // A placeholder misspelt after Vietnamese text, an indicator misspelt: as typed, never saved.
  std::string typed = good;
  typed.replace(typed.find(line), line.size(),
                "  require smartfone_rate >= 85% by 2022-12-31\n"
                "  message \"Điện thoại thông minh: {valeu} so với {target}\"\n");

  LspClient lsp(dir.path() + "/lsp.log");
  const json init = lsp.request(
      "initialize",
      {{"processId", nullptr}, {"rootUri", uri_of(folder)}, {"capabilities", json::object()}});
  ASSERT_TRUE(init.contains("result")) << init.dump();
  EXPECT_EQ(init["result"]["capabilities"]["positionEncoding"], "utf-16");
  EXPECT_EQ(init["result"]["capabilities"]["textDocumentSync"]["change"], 2);
  EXPECT_EQ(init["result"]["capabilities"]["documentFormattingProvider"], true);
  lsp.notify("initialized", json::object());

  lsp.notify("textDocument/didOpen",
             {{"textDocument",
               {{"uri", uri}, {"languageId", "tiendo"}, {"version", 1}, {"text", typed}}}});
  json published = lsp.diagnostics_of(uri);
  EXPECT_EQ(published["version"], 1);
  const json& list = published["diagnostics"];
  ASSERT_EQ(list.size(), 2u) << published.dump(2);
  const std::size_t require_line = static_cast<std::size_t>(std::count(
      typed.begin(), typed.begin() + static_cast<std::ptrdiff_t>(typed.find("smartfone")), '\n'));
  // `tiendo check` says the same: 641:11 E011 and 642:35 E023 (1-based, in code points).
  EXPECT_EQ(list[0]["code"], "E011");
  EXPECT_EQ(list[0]["severity"], 1);
  EXPECT_EQ(list[0]["source"], "tiendo");
  EXPECT_EQ(list[0]["range"]["start"], json({{"line", require_line}, {"character", 10}}));
  // The squiggle covers the name.
  EXPECT_EQ(list[0]["range"]["end"], json({{"line", require_line}, {"character", 24}}));
  EXPECT_NE(list[0]["message"].get<std::string>().find("did you mean 'smartphone_rate'"),
            std::string::npos)
      << list[0].dump();
  EXPECT_EQ(list[1]["code"], "E023");
  // 2 spaces, `message` and a space, the quote (11), then "Điện thoại thông minh: "
  // (23 code points, 31 bytes): the brace is UTF-16 unit 34.
  EXPECT_EQ(list[1]["range"]["start"], json({{"line", require_line + 1}, {"character", 34}}));

  // Fixed, one keystroke at a time: the diagnostics of the last text only.
  std::string fixed = typed;
  fixed.replace(fixed.find("smartfone"), 9, "smartphone");
  lsp.notify("textDocument/didChange", {{"textDocument", {{"uri", uri}, {"version", 2}}},
                                        {"contentChanges", json::array({{{"text", fixed}}})}});
  fixed.replace(fixed.find("{valeu}"), 7, "{value}");
  lsp.notify("textDocument/didChange", {{"textDocument", {{"uri", uri}, {"version", 3}}},
                                        {"contentChanges", json::array({{{"text", fixed}}})}});
  published = lsp.diagnostics_at(uri, 3);
  EXPECT_EQ(published["version"], 3);
  EXPECT_EQ(published["diagnostics"], json::array()) << published.dump(2);

  // A keystroke as its range (incremental sync), after Vietnamese text on its line: a
  // placeholder typed at UTF-16 unit 34 of the message line.
  const json at = {{"line", require_line + 1}, {"character", 34}};
  lsp.notify("textDocument/didChange",
             {{"textDocument", {{"uri", uri}, {"version", 4}}},
              {"contentChanges",
               json::array({{{"range", {{"start", at}, {"end", at}}}, {"text", "{xyz} "}}})}});
  published = lsp.diagnostics_at(uri, 4);
  ASSERT_EQ(published["diagnostics"].size(), 1u) << published.dump(2);
  EXPECT_EQ(published["diagnostics"][0]["code"], "E023");
  EXPECT_EQ(published["diagnostics"][0]["range"]["start"], at);

  // Formatting: the text with its indentation lost comes back as `tiendo fmt` writes it.
  std::string messy = good;
  messy.replace(messy.find(line), line.size(), "require   smartphone_rate>=85%  by 2022-12-31\n");
  lsp.notify("textDocument/didChange", {{"textDocument", {{"uri", uri}, {"version", 5}}},
                                        {"contentChanges", json::array({{{"text", messy}}})}});
  const json edits = lsp.request(
      "textDocument/formatting",
      {{"textDocument", {{"uri", uri}}}, {"options", {{"tabSize", 2}, {"insertSpaces", true}}}});
  ASSERT_TRUE(edits["result"].is_array()) << edits.dump();
  ASSERT_EQ(edits["result"].size(), 1u);
  EXPECT_EQ(edits["result"][0]["newText"], good);
  EXPECT_EQ(edits["result"][0]["range"]["start"], json({{"line", 0}, {"character", 0}}));
  const auto lines = std::count(messy.begin(), messy.end(), '\n');
  EXPECT_EQ(edits["result"][0]["range"]["end"], json({{"line", lines}, {"character", 0}}));

  lsp.notify("textDocument/didClose", {{"textDocument", {{"uri", uri}}}});
  published = lsp.diagnostics_of(uri);
  EXPECT_EQ(published["diagnostics"], json::array());
  EXPECT_EQ(lsp.shut_down(), 0);
}

// The position of byte `offset` of an ASCII line of `text`, as LSP counts it.
json ascii_position(const std::string& text, std::size_t offset) {
  const std::size_t line_start = text.rfind('\n', offset - 1) + 1;
  return {
      {"line", std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(offset), '\n')},
      {"character", offset - line_start}};
}

TEST(LspSession, NavigationHoverRenameCompletionAndQuickFixes) {
  TempDir dir;
  const std::string path = dir.path() + "/kế hoạch.rules";
  const std::string uri = uri_of(path);
  const std::string text = read_text(std::string(TIENDO_SOURCE_DIR) + "/rules/dong-nai-2022.rules");
  const std::size_t use = text.find("require smartphone_rate") + 8;
  const std::size_t declared = text.find("indicator smartphone_rate") + 10;
  LspClient lsp(dir.path() + "/lsp.log");
  const json init = lsp.request("initialize", {{"capabilities", json::object()}});
  for (const char* capability :
       {"definitionProvider", "referencesProvider", "hoverProvider", "documentSymbolProvider",
        "renameProvider", "completionProvider", "codeActionProvider"}) {
    EXPECT_TRUE(init["result"]["capabilities"].contains(capability)) << capability;
  }
  lsp.notify(
      "textDocument/didOpen",
      {{"textDocument", {{"uri", uri}, {"languageId", "tiendo"}, {"version", 1}, {"text", text}}}});
  EXPECT_EQ(lsp.diagnostics_of(uri)["diagnostics"], json::array());
  const json at_use = {{"textDocument", {{"uri", uri}}},
                       {"position", ascii_position(text, use + 3)}};

  const json definition = lsp.request("textDocument/definition", at_use)["result"];
  EXPECT_EQ(definition["uri"], uri);
  EXPECT_EQ(definition["range"]["start"], ascii_position(text, declared));
  EXPECT_EQ(definition["range"]["end"], ascii_position(text, declared + 15));

  json with = at_use;
  with["context"] = {{"includeDeclaration", true}};
  const json all = lsp.request("textDocument/references", with)["result"];
  with["context"]["includeDeclaration"] = false;
  const json uses = lsp.request("textDocument/references", with)["result"];
  ASSERT_GE(all.size(), 2u) << all.dump();
  EXPECT_EQ(uses.size(), all.size() - 1);
  EXPECT_NE(std::find_if(all.begin(), all.end(),
                         [&](const json& l) {
                           return l["range"]["start"] == ascii_position(text, declared);
                         }),
            all.end());
  for (const json& l : uses) EXPECT_NE(l["range"]["start"], ascii_position(text, declared));

  const std::string hover =
      lsp.request("textDocument/hover", at_use)["result"]["contents"]["value"].get<std::string>();
  EXPECT_NE(hover.find("**indicator** `smartphone_rate`"), std::string::npos) << hover;
  EXPECT_NE(hover.find("Tỷ lệ dân số có điện thoại thông minh"), std::string::npos) << hover;

  const json symbols =
      lsp.request("textDocument/documentSymbol", {{"textDocument", {{"uri", uri}}}})["result"];
  const auto rule = std::find_if(symbols.begin(), symbols.end(),
                                 [](const json& s) { return s["name"] == "smartphone_2022"; });
  ASSERT_NE(rule, symbols.end()) << symbols.dump();
  EXPECT_EQ((*rule)["detail"], "rule");
  EXPECT_EQ((*rule)["kind"], 12);

  // Rename: refused on a clash and on a reserved word; else every use, the declaration too.
  json rename = at_use;
  rename["newName"] = "fiber_household_rate";
  const json clash = lsp.request("textDocument/rename", rename);
  EXPECT_EQ(clash["error"]["code"], -32803);
  EXPECT_NE(clash["error"]["message"].get<std::string>().find(
                "'fiber_household_rate' is already the name of an indicator"),
            std::string::npos)
      << clash.dump();
  rename["newName"] = "rule";
  EXPECT_EQ(lsp.request("textDocument/rename", rename)["error"]["code"], -32803);
  EXPECT_EQ(lsp.request("textDocument/prepareRename", at_use)["result"]["placeholder"],
            "smartphone_rate");
  rename["newName"] = "dien_thoai_rate";
  const json renamed = lsp.request("textDocument/rename", rename)["result"];
  ASSERT_TRUE(renamed["changes"].contains(uri)) << renamed.dump();
  EXPECT_EQ(renamed["changes"][uri].size(), all.size());
  for (const json& edit : renamed["changes"][uri]) EXPECT_EQ(edit["newText"], "dien_thoai_rate");

  // Completion: a rule's clauses on a new line of the rule; tasks after `needs`.
  std::string typed = text;
  const std::size_t rule_body = typed.find("  basis QD27\n", typed.find("rule smartphone_2022"));
  typed.insert(rule_body, "  \n  needs \n");
  lsp.notify("textDocument/didChange", {{"textDocument", {{"uri", uri}, {"version", 2}}},
                                        {"contentChanges", json::array({{{"text", typed}}})}});
  const auto labels = [&](std::size_t offset) {
    const json result = lsp.request(
        "textDocument/completion",
        {{"textDocument", {{"uri", uri}}}, {"position", ascii_position(typed, offset)}})["result"];
    std::set<std::string> out;
    for (const json& item : result["items"]) out.insert(item["label"].get<std::string>());
    return out;
  };
  const std::set<std::string> clauses = labels(rule_body + 2);
  EXPECT_TRUE(clauses.contains("require") && clauses.contains("basis") &&
              clauses.contains("warn within"))
      << json(clauses).dump();
  EXPECT_FALSE(clauses.contains("due"));  // a task's
  const std::set<std::string> tasks = labels(rule_body + 11);
  EXPECT_TRUE(tasks.contains("danh_gia_xa_thi_diem")) << json(tasks).dump();
  EXPECT_FALSE(tasks.contains("smartphone_rate"));

  // A quick fix for the checker's suggestion.
  std::string misspelt = text;
  misspelt.replace(use, 15, "smartfone_rate");
  lsp.notify("textDocument/didChange", {{"textDocument", {{"uri", uri}, {"version", 3}}},
                                        {"contentChanges", json::array({{{"text", misspelt}}})}});
  json published = lsp.diagnostics_at(uri, 3);
  ASSERT_EQ(published["diagnostics"].size(), 1u) << published.dump();
  const json actions =
      lsp.request("textDocument/codeAction",
                  {{"textDocument", {{"uri", uri}}},
                   {"range", published["diagnostics"][0]["range"]},
                   {"context", {{"diagnostics", published["diagnostics"]}}}})["result"];
  ASSERT_EQ(actions.size(), 1u) << actions.dump();
  EXPECT_EQ(actions[0]["kind"], "quickfix");
  const json edit = actions[0]["edit"]["changes"][uri][0];
  EXPECT_EQ(edit["newText"], "smartphone_rate");
  EXPECT_EQ(edit["range"]["start"], ascii_position(misspelt, use));
  EXPECT_EQ(edit["range"]["end"], ascii_position(misspelt, use + 14));

  EXPECT_EQ(lsp.shut_down(), 0);
}

// A *.tests file is checked with the *.rules beside it (no include needed, as `tiendo
// test DIR` reads them), and on save each of its test blocks says whether it passes.
TEST(LspSession, OnSaveEachTestBlockSaysWhetherItPasses) {
  TempDir dir;
  const std::string folder = dir.path() + "/Đồng Nai";
  std::filesystem::create_directories(folder);
  const std::string rules =
      read_text(std::string(TIENDO_SOURCE_DIR) + "/rules/dong-nai-2022.rules");
  std::string tests = read_text(std::string(TIENDO_SOURCE_DIR) + "/rules/dong-nai-2022.tests");
  std::ofstream(folder + "/dong-nai-2022.rules") << rules;
  // One expectation made wrong: fiber_2022 is met at the end of Q3/2022.
  const std::size_t wrong = tests.find("  expect fiber_2022 met\n");
  ASSERT_NE(wrong, std::string::npos);
  tests.replace(wrong, 24, "  expect fiber_2022 missed\n");
  const std::string path = folder + "/dong-nai-2022.tests";
  std::ofstream(path) << tests;
  const std::string uri = uri_of(path);

  LspClient lsp(dir.path() + "/lsp.log");
  lsp.request("initialize", {{"capabilities", json::object()}});
  lsp.notify("textDocument/didOpen",
             {{"textDocument",
               {{"uri", uri}, {"languageId", "tiendo"}, {"version", 1}, {"text", tests}}}});
  EXPECT_EQ(lsp.diagnostics_of(uri)["diagnostics"], json::array());  // the rules beside it
  lsp.notify("textDocument/didSave", {{"textDocument", {{"uri", uri}}}});
  const json saved = lsp.diagnostics_of(uri)["diagnostics"];
  std::size_t passes = 0;
  std::vector<json> failures;
  for (const json& d : saved) {
    EXPECT_EQ(d["code"], "test") << d.dump();
    if (d["severity"] == 3) ++passes;
    if (d["severity"] == 1) failures.push_back(d);
  }
  EXPECT_EQ(passes, 16u) << saved.dump(2);
  ASSERT_EQ(failures.size(), 1u) << saved.dump(2);
  const auto line =
      std::count(tests.begin(), tests.begin() + static_cast<std::ptrdiff_t>(wrong), '\n');
  EXPECT_EQ(failures[0]["range"]["start"], json({{"line", line}, {"character", 0}}));
  EXPECT_EQ(failures[0]["range"]["end"], json({{"line", line}, {"character", 26}}));
  const std::string message = failures[0]["message"].get<std::string>();
  EXPECT_NE(message.find("expect dong_nai fiber_2022 missed, got met: 99% >= 75%"),
            std::string::npos)
      << message;
  EXPECT_EQ(message.rfind("FAIL: Báo cáo Quý III/2022 (231/BC-UBND)", 0), 0u) << message;

  // A change drops the results until the next save.
  lsp.notify("textDocument/didChange",
             {{"textDocument", {{"uri", uri}, {"version", 2}}},
              {"contentChanges", json::array({{{"text", tests + "\n"}}})}});
  json changed = lsp.diagnostics_at(uri, 2);
  EXPECT_EQ(changed["diagnostics"], json::array());
  EXPECT_EQ(lsp.shut_down(), 0);
}

TEST(LspSession, AnIncludedFileIsReadAsTheEditorHoldsIt) {
  TempDir dir;
  const std::string main_path = dir.path() + "/main.rules";
  const std::string part_path = dir.path() + "/chi-tieu.rules";
  {
    std::ofstream(main_path) << "include \"chi-tieu.rules\"\n";
    std::ofstream(part_path) << "levels province\n";
  }
  const std::string main_text =
      "include \"chi-tieu.rules\"\n\nrule r {\n  require ty_le >= 50%\n}\n";
  LspClient lsp(dir.path() + "/lsp.log");
  lsp.request("initialize", {{"capabilities", json::object()}});
  lsp.notify("textDocument/didOpen", {{"textDocument",
                                       {{"uri", uri_of(main_path)},
                                        {"languageId", "tiendo"},
                                        {"version", 1},
                                        {"text", main_text}}}});
  json published = lsp.diagnostics_of(uri_of(main_path));
  ASSERT_EQ(published["diagnostics"].size(), 1u) << published.dump(2);
  EXPECT_EQ(published["diagnostics"][0]["code"], "E011");

  // The included file, opened and changed in the editor (not saved): it declares the
  // indicator, and the including file is checked against that text.
  const std::string part_text =
      "levels province\n\nindicator ty_le {\n  title \"Tỷ lệ\"\n  unit percent\n}\n";
  lsp.notify("textDocument/didOpen", {{"textDocument",
                                       {{"uri", uri_of(part_path)},
                                        {"languageId", "tiendo"},
                                        {"version", 1},
                                        {"text", part_text}}}});
  EXPECT_EQ(lsp.diagnostics_of(uri_of(part_path))["diagnostics"], json::array());
  lsp.notify("textDocument/didSave", {{"textDocument", {{"uri", uri_of(main_path)}}}});
  published = lsp.diagnostics_of(uri_of(main_path));
  EXPECT_EQ(published["diagnostics"], json::array()) << published.dump(2);
  EXPECT_EQ(lsp.shut_down(), 0);
}

TEST(LspSession, WhatABrokenClientSendsIsAnsweredNeverACrash) {
  TempDir dir;
  LspClient lsp(dir.path() + "/lsp.log");
  // Before initialize.
  EXPECT_EQ(lsp.request("shutdown", nullptr)["error"]["code"], -32002);
  lsp.request("initialize", {{"capabilities", json::object()}});
  EXPECT_EQ(lsp.request("initialize", json::object())["error"]["code"], -32600);
  // Not JSON; not JSON-RPC; an unknown method.
  lsp.send_raw("Content-Length: 9\r\n\r\n{\"jsonrpc");
  EXPECT_EQ(lsp.response(nullptr)["error"]["code"], -32700);
  lsp.send({{"id", 7}, {"method", "shutdown"}});
  EXPECT_EQ(lsp.response(7)["error"]["code"], -32600);
  const json unknown = lsp.request("textDocument/semanticTokens/full", json::object());
  EXPECT_EQ(unknown["error"]["code"], -32601);
  // Parameters of the wrong kind, named.
  const json bad = lsp.request("textDocument/formatting", {{"textDocument", {{"uri", 3}}}});
  EXPECT_EQ(bad["error"]["code"], -32602);
  EXPECT_EQ(bad["error"]["message"], "textDocument.uri: a string is expected");
  lsp.notify("textDocument/didChange", {{"textDocument", {{"uri", "file:///nowhere.rules"}}},
                                        {"contentChanges", json::array()}});
  const json logged = lsp.notification("window/logMessage");
  EXPECT_EQ(logged["params"]["message"],
            "tiendo lsp: textDocument/didChange: textDocument.uri: 'file:///nowhere.rules' is not "
            "open");
  lsp.notify("textDocument/didOpen", {{"textDocument", {{"uri", "untitled:1"}, {"text", 5}}}});
  EXPECT_EQ(lsp.notification("window/logMessage")["params"]["message"],
            "tiendo lsp: textDocument/didOpen: textDocument.text: a string is expected");
  // Formatting a text with a syntax error is refused, saying where.
  lsp.notify("textDocument/didOpen",
             {{"textDocument", {{"uri", "untitled:2"}, {"version", 1}, {"text", "rule {\n"}}}});
  const json refused =
      lsp.request("textDocument/formatting", {{"textDocument", {{"uri", "untitled:2"}}}});
  EXPECT_EQ(refused["error"]["code"], -32803) << refused.dump();
  EXPECT_NE(
      refused["error"]["message"].get<std::string>().find("fix the syntax errors first (line 1"),
      std::string::npos)
      << refused.dump();
  // A range past the text's end is clamped, not an overflow.
  lsp.notify("textDocument/didChange",
             {{"textDocument", {{"uri", "untitled:2"}, {"version", 2}}},
              {"contentChanges", json::array({{{"range",
                                                {{"start", {{"line", 99}, {"character", 0}}},
                                                 {"end", {{"line", 99}, {"character", 5}}}}},
                                               {"text", "}\n"}}})}});
  json last = lsp.diagnostics_at("untitled:2", 2);
  EXPECT_EQ(last["version"], 2);
  EXPECT_FALSE(last["diagnostics"].empty());
  // Exit without shutdown: status 1, as the protocol says.
  lsp.notify("exit", nullptr);
  EXPECT_EQ(lsp.process().wait_exit(10s), 1);
}

TEST(LspSession, AMalformedHeaderEndsTheServerWithAMessage) {
  TempDir dir;
  LspClient lsp(dir.path() + "/lsp.log");
  lsp.send_raw("Content-Lenght: 2\r\n\r\n{}");
  EXPECT_EQ(lsp.process().wait_exit(10s), 1);
  EXPECT_EQ(read_text(dir.path() + "/lsp.log"),
            "tiendo lsp: standard input: a message without a Content-Length header\n");
}

}  // namespace
}  // namespace tiendo::testing

// `tiendo lsp`: a language server for rules files, on the engine's own parser, checker
// and formatter. The transport (stdio, protocol.hpp) is the caller's: the server takes
// one message's body at a time and gives back the bodies to send.
//
// What it does: the lifecycle (initialize, shutdown, exit), the open documents (didOpen,
// didChange by ranges (incremental sync) or whole, didClose, didSave), diagnostics as `tiendo
// check` gives them (codes E011…, the notes as related information, positions in UTF-16 code
// units), formatting as `tiendo fmt` does it, go to definition, references, hover (the declaration
// as written), document symbols, rename (refused on a clash or a reserved word), completion (clause
// names of the enclosing block, names of the kind a clause takes, functions and indicators in
// expressions), quick fixes for the checker's "did you mean", and on save the result of each `test`
// block of the file (a failed expectation as an error, a passing test as information). A document
// is checked with the *.rules and *.tests files beside it (its folder's rule set, as `tiendo check
// DIR` and `tiendo test DIR` read it) and the files they include; the open ones as the editor holds
// them.
//
// Thread safety: none; one thread drives a Server.
#pragma once

#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "dsl/parse.hpp"
#include "lsp/names.hpp"
#include "model/rule_set.hpp"

namespace tiendo::lsp {

// For a process that runs a Server: keeps the memory a keystroke frees for the next one.
// Each keystroke frees the analysis of the text before (its rule set, some 80 MB for
// 10,000 rules) and builds the next; glibc hands blocks over 128 KiB back to the system at
// once and maps them again, page fault by page fault (bench_lsp: p95 143 → 111 ms).
void keep_freed_memory();

class Server {
 public:
  // Handles one message (a request, a notification, or a response to the server).
  void handle(const std::string& body);
  // Publishes the diagnostics of the documents changed since the last call: called when
  // no message is waiting, so that a burst of keystrokes is checked once.
  void publish_pending();
  // The messages to send, in order, and forgets them.
  std::vector<std::string> take_output();

  // After `exit`: the process's exit code (0 when `shutdown` came first, else 1).
  std::optional<int> exit_code() const { return exit_code_; }

 private:
  struct Document {
    std::string text;
    std::optional<std::string> path;  // a file: URI's path; none for untitled:…
    std::int64_t version = 0;
  };

  // A document's rule set, loaded and checked once per change of any open document.
  struct Analysis {
    dsl::Program program;
    std::optional<model::RuleSet> rules;  // when the rule set checks without errors
    std::uint32_t document = 0;           // the document's index in program.sources
    std::vector<Declared> declared;
    const Declared* find(std::string_view name) const;
  };

  void request(const nlohmann::json& id, const std::string& method, const nlohmann::json& params);
  const Analysis& analysis(const std::string& uri);
  std::string uri_of_file(const Analysis& a, std::uint32_t file, const std::string& uri) const;
  nlohmann::json location(const Analysis& a, const Span& span, const std::string& uri) const;
  // The declared name under the request's position, and the document's analysis.
  const Declared* name_at(const nlohmann::json& params, const Analysis*& a, std::string& uri);
  nlohmann::json definition(const nlohmann::json& params);
  nlohmann::json references(const nlohmann::json& params);
  nlohmann::json hover(const nlohmann::json& params);
  nlohmann::json symbols(const nlohmann::json& params);
  nlohmann::json prepare_rename(const nlohmann::json& params);
  nlohmann::json rename(const nlohmann::json& params);
  nlohmann::json completion(const nlohmann::json& params);
  nlohmann::json code_actions(const nlohmann::json& params);
  void notification(const std::string& method, const nlohmann::json& params);
  nlohmann::json initialize(const nlohmann::json& params);
  nlohmann::json formatting(const nlohmann::json& params);
  void publish(const std::string& uri);
  // The rule tests of the document's file, run (on save) into diagnostics.
  nlohmann::json test_diagnostics(const std::string& uri);
  void log_error(const std::string& message);
  void send(const nlohmann::json& message);
  void respond(const nlohmann::json& id, nlohmann::json result);
  void respond_error(const nlohmann::json& id, int code, const std::string& message);
  // The document `params.textDocument.uri` names; throws a ParamsError when it is not open.
  Document& document(const nlohmann::json& params, std::string& uri);

  bool initialized_ = false;
  bool shut_down_ = false;
  std::optional<int> exit_code_;
  std::map<std::string, Document> documents_;                  // by URI
  std::set<std::string> dirty_;                                // URIs to check again
  std::map<std::string, std::unique_ptr<Analysis>> analyses_;  // by URI, while unchanged
  // The declarations of the files analysed, kept by their text across keystrokes.
  dsl::ParseCache parse_cache_;
  // Drops every analysis (a document changed), giving its trees back to parse_cache_.
  void forget_analyses();
  std::map<std::string, nlohmann::json> test_results_;   // by URI: from the last save, until
                                                         // the next change
  std::map<std::string, std::set<std::string>> others_;  // per document: other files it
                                                         // published diagnostics to
  std::vector<std::string> output_;
};

}  // namespace tiendo::lsp

// `tiendo lsp`: a language server for rules files, on the engine's own parser, checker
// and formatter. The transport (stdio, protocol.hpp) is the caller's: the server takes
// one message's body at a time and gives back the bodies to send.
//
// What it does so far: the lifecycle (initialize, shutdown, exit), the open documents in
// full (didOpen, didChange with the whole text, didClose, didSave), diagnostics as
// `tiendo check` gives them (codes E011…, the notes as related information, positions in
// UTF-16 code units), and formatting as `tiendo fmt` does it. A document is checked
// together with the files it includes, the open ones as the editor holds them.
//
// Thread safety: none; one thread drives a Server.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace tiendo::lsp {

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

  void request(const nlohmann::json& id, const std::string& method, const nlohmann::json& params);
  void notification(const std::string& method, const nlohmann::json& params);
  nlohmann::json initialize(const nlohmann::json& params);
  nlohmann::json formatting(const nlohmann::json& params);
  void publish(const std::string& uri);
  void log_error(const std::string& message);
  void send(const nlohmann::json& message);
  void respond(const nlohmann::json& id, nlohmann::json result);
  void respond_error(const nlohmann::json& id, int code, const std::string& message);
  // The document `params.textDocument.uri` names; throws a ParamsError when it is not open.
  Document& document(const nlohmann::json& params, std::string& uri);

  bool initialized_ = false;
  bool shut_down_ = false;
  std::optional<int> exit_code_;
  std::map<std::string, Document> documents_;            // by URI
  std::set<std::string> dirty_;                          // URIs to check again
  std::map<std::string, std::set<std::string>> others_;  // per document: other files it
                                                         // published diagnostics to
  std::vector<std::string> output_;
};

}  // namespace tiendo::lsp

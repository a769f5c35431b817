// `tiendo lsp`: the language server for rules files, on standard input and output
// (engine/lsp). Editors start it: VS Code's client with --stdio, Neovim and Helix as is.
#include <signal.h>
#include <unistd.h>

#include <cstdio>

#include "commands.hpp"
#include "lsp/protocol.hpp"
#include "lsp/server.hpp"

namespace tiendo::cli {

Action add_lsp_command(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "lsp",
      "Language server for rules files (the Language Server Protocol on standard input "
      "and output), for editors");
  cmd->add_flag("--stdio")->description(
      "Talk on standard input and output (the only way, for editors that pass it)");
  return [] {
    // A client that has gone is a write that fails, not a signal that kills.
    ::signal(SIGPIPE, SIG_IGN);
    lsp::MessageReader reader(STDIN_FILENO);
    lsp::keep_freed_memory();
    lsp::Server server;
    try {
      while (!server.exit_code()) {
        const std::optional<std::string> body = reader.next();
        if (!body) {
          std::fputs("tiendo lsp: standard input ended without an exit notification\n", stderr);
          return 1;
        }
        server.handle(*body);
        // Keystrokes typed meanwhile are read first: a burst is checked once.
        if (!reader.pending()) server.publish_pending();
        for (const std::string& message : server.take_output()) {
          if (!lsp::write_message(STDOUT_FILENO, message)) {
            std::fputs("tiendo lsp: cannot write to standard output (the editor has gone)\n",
                       stderr);
            return 1;
          }
        }
      }
    } catch (const lsp::ProtocolError& e) {
      std::fprintf(stderr, "tiendo lsp: standard input: %s\n", e.message.c_str());
      return 1;
    }
    return *server.exit_code();
  };
}

}  // namespace tiendo::cli

// tiendo: a rule-based compliance and alert engine for targets and deadlines.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <exception>

#include "commands.hpp"

int main(int argc, char** argv) {
  CLI::App app{"tiendo: check targets and deadlines, and tell the people who must act"};
  app.set_version_flag("--version", "tiendo 0.1.0");
  app.require_subcommand(1);
  app.fallthrough(false);

  tiendo::cli::Action action;
  const auto bind = [&](tiendo::cli::Action command) {
    return [&action, command] { action = command; };
  };
  const std::pair<const char*, tiendo::cli::Action> commands[] = {
      {"check", tiendo::cli::add_check_command(app)},
      {"fmt", tiendo::cli::add_fmt_command(app)},
      {"lsp", tiendo::cli::add_lsp_command(app)},
      {"ingest", tiendo::cli::add_ingest_command(app)},
      {"history", tiendo::cli::add_history_command(app)},
      {"eval", tiendo::cli::add_eval_command(app)},
      {"test", tiendo::cli::add_test_command(app)},
      {"explain", tiendo::cli::add_explain_command(app)},
      {"backtest", tiendo::cli::add_backtest_command(app)},
      {"report", tiendo::cli::add_report_command(app)},
      {"run", tiendo::cli::add_run_command(app)},
      {"deliver", tiendo::cli::add_deliver_command(app)},
      {"silence", tiendo::cli::add_silence_command(app)},
      {"outbox", tiendo::cli::add_outbox_command(app)},
      {"serve", tiendo::cli::add_serve_command(app)},
      {"token", tiendo::cli::add_token_command(app)},
      {"ledger", tiendo::cli::add_ledger_command(app)},
      {"gc", tiendo::cli::add_gc_command(app)},
      {"store", tiendo::cli::add_store_command(app)},
  };
  for (const auto& [name, command] : commands) app.get_subcommand(name)->callback(bind(command));

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // CLI11 prints help and version itself (exit 0); everything else is a usage error.
    const int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }
  try {
    return action ? action() : 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "tiendo: internal error: %s\n", e.what());
    return 70;
  }
}

// The `tiendo` subcommands. Each registers itself on the CLI11 app and returns the
// process exit code through the callback's result: 0 success, 1 a finding (errors in
// the input, a check that failed), 2 a usage error.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>

namespace tiendo::cli {

// What main runs once CLI11 has parsed the arguments.
using Action = std::function<int()>;

Action add_check_command(CLI::App& app);
Action add_fmt_command(CLI::App& app);
Action add_lsp_command(CLI::App& app);
Action add_ingest_command(CLI::App& app);
Action add_history_command(CLI::App& app);
Action add_eval_command(CLI::App& app);
Action add_test_command(CLI::App& app);
Action add_explain_command(CLI::App& app);
Action add_backtest_command(CLI::App& app);
Action add_report_command(CLI::App& app);
Action add_run_command(CLI::App& app);
Action add_deliver_command(CLI::App& app);
Action add_silence_command(CLI::App& app);
Action add_outbox_command(CLI::App& app);
Action add_serve_command(CLI::App& app);
Action add_token_command(CLI::App& app);
Action add_ledger_command(CLI::App& app);
Action add_gc_command(CLI::App& app);
Action add_store_command(CLI::App& app);

}  // namespace tiendo::cli

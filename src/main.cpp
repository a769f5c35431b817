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
  auto check = tiendo::cli::add_check_command(app);
  auto fmt = tiendo::cli::add_fmt_command(app);
  app.get_subcommand("check")->callback(bind(check));
  app.get_subcommand("fmt")->callback(bind(fmt));

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

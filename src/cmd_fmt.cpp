// `tiendo fmt [--check] FILE...`: rewrite rule files in the canonical layout.
#include <fmt/format.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>

#include "cli_support.hpp"
#include "commands.hpp"
#include "dsl/format.hpp"
#include "dsl/parse.hpp"
#include "terminal.hpp"

namespace tiendo::cli {

namespace {

struct FmtOptions {
  std::vector<std::string> files;
  bool check = false;
};

int run_fmt(const FmtOptions& options) {
  const bool color = use_color(ColorMode::automatic, stderr);
  int status = 0;
  for (const std::string& path : options.files) {
    std::string text;
    if (path == "-") {
      text.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
    } else {
      std::string error;
      auto read = dsl::read_file(path, error);
      if (!read) {
        std::fprintf(stderr, "%s: error: cannot read: %s\n", path.c_str(), error.c_str());
        status = std::max(status, 1);
        continue;
      }
      text = std::move(*read);
    }
    dsl::SourceSet sources;
    const std::uint32_t index = sources.add(path == "-" ? "<stdin>" : path, text);
    dsl::Diagnostics diagnostics;
    const dsl::ast::File file = dsl::parse(sources, index, diagnostics);
    if (diagnostics.has_errors()) {
      for (const dsl::Diagnostic& d : diagnostics.all()) {
        std::fputs(dsl::render(d, sources, {color}).c_str(), stderr);
      }
      std::fprintf(stderr, "%s: not formatted: fix the syntax errors first\n",
                   sources.file(index).path.c_str());
      status = std::max(status, 1);
      continue;
    }
    const std::string formatted = dsl::format(sources, file);
    if (path == "-") {
      std::fputs(formatted.c_str(), stdout);
      continue;
    }
    if (formatted == text) continue;
    if (options.check) {
      std::printf("%s: not formatted\n", path.c_str());
      status = std::max(status, 1);
      continue;
    }
    std::string error;
    if (!write_atomically(path, formatted, error)) {
      std::fprintf(stderr, "%s: error: cannot write: %s\n", path.c_str(), error.c_str());
      status = std::max(status, 1);
      continue;
    }
    std::printf("formatted %s\n", path.c_str());
  }
  return status;
}

}  // namespace

Action add_fmt_command(CLI::App& app) {
  auto options = std::make_shared<FmtOptions>();
  CLI::App* command =
      app.add_subcommand("fmt", "Rewrite rule files in the canonical layout (comments kept)");
  command->add_option("files", options->files, "Rule files; - reads stdin and writes stdout")
      ->required();
  command->add_flag("--check", options->check,
                    "Change nothing; list the files that are not formatted and exit 1 if any");
  return [options] { return run_fmt(*options); };
}

}  // namespace tiendo::cli

#include "cli_support.hpp"

#include <chrono>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fmt/chrono.h>
#include <fmt/format.h>
#include <iostream>
#include <iterator>

#include "dsl/check.hpp"
#include "terminal.hpp"
#include "util/text.hpp"

namespace tiendo::cli {

std::optional<model::RuleSet> load_rules_reporting(const std::vector<std::string>& paths) {
  dsl::LoadedRuleSet loaded = dsl::load_rule_set(paths);
  const bool color = use_color(ColorMode::automatic, stderr);
  for (const dsl::Diagnostic& d : loaded.program.diagnostics.all()) {
    std::fputs(dsl::render(d, loaded.program.sources, {color}).c_str(), stderr);
  }
  if (!loaded.rule_set) {
    std::fprintf(stderr, "the rule set has %zu error%s; see `tiendo check`\n",
                 loaded.program.diagnostics.error_count(),
                 loaded.program.diagnostics.error_count() == 1 ? "" : "s");
  }
  return std::move(loaded.rule_set);
}

std::optional<std::string> read_input(const std::string& path, std::string& error) {
  if (path == "-") {
    std::string text(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
    if (std::cin.bad()) {
      error = "cannot read standard input";
      return std::nullopt;
    }
    return text;
  }
  std::FILE* file = std::fopen(path.c_str(), "rb");
  if (!file) {
    error = std::strerror(errno);
    return std::nullopt;
  }
  std::string text;
  char buffer[1 << 16];
  std::size_t n = 0;
  while ((n = std::fread(buffer, 1, sizeof buffer, file)) > 0) text.append(buffer, n);
  const bool failed = std::ferror(file) != 0;
  std::fclose(file);
  if (failed) {
    error = "read error";
    return std::nullopt;
  }
  return text;
}

std::string now_utc() {
  const auto now = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
  return fmt::format("{:%Y-%m-%dT%H:%M:%SZ}", now);
}

std::string format_table(const std::vector<std::vector<std::string>>& rows) {
  std::vector<std::size_t> widths;
  for (const auto& row : rows) {
    if (widths.size() < row.size()) widths.resize(row.size(), 0);
    for (std::size_t i = 0; i < row.size(); ++i) {
      widths[i] = std::max(widths[i], util::count_code_points(row[i]));
    }
  }
  std::string out;
  for (const auto& row : rows) {
    std::string line;
    for (std::size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) {
        line += std::string(widths[i] - util::count_code_points(row[i]) + 2, ' ');
      }
    }
    out += line + "\n";
  }
  return out;
}

}  // namespace tiendo::cli

#include "cli_support.hpp"

#include <chrono>
#include <ctime>
#include <cstdlib>
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

std::optional<model::Date> today_in(const std::string& time_zone, std::string& error) {
  // glibc falls back to UTC for an unknown zone without a word: check the file first.
  const std::string file = "/usr/share/zoneinfo/" + time_zone;
  std::FILE* probe = time_zone.empty() || time_zone.find("..") != std::string::npos
                         ? nullptr
                         : std::fopen(file.c_str(), "rb");
  if (!probe) {
    error = fmt::format("unknown time zone '{}' (no {})", time_zone, file);
    return std::nullopt;
  }
  std::fclose(probe);
  ::setenv("TZ", time_zone.c_str(), 1);
  ::tzset();
  const std::time_t now = std::time(nullptr);
  std::tm local{};
  ::localtime_r(&now, &local);
  return model::Date{std::chrono::year{local.tm_year + 1900} /
                     std::chrono::month{static_cast<unsigned>(local.tm_mon + 1)} /
                     std::chrono::day{static_cast<unsigned>(local.tm_mday)}};
}

std::optional<model::Date> parse_date_option(const std::string& text, std::string& error) {
  auto period = model::parse_period(text, error);
  if (!period) return std::nullopt;
  return period->last;
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

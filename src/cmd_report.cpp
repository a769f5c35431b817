// `tiendo report --db FILE --rules PATH [--at DATE] --format md|html|csv [--output FILE]`:
// the progress report for the people's committee, in Vietnamese.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "cli_support.hpp"
#include "commands.hpp"
#include "eval/evaluate.hpp"
#include "report/committee.hpp"
#include "store/snapshot.hpp"

namespace tiendo::cli {

namespace {

struct ReportOptions {
  std::string db;
  std::vector<std::string> rules;
  std::string at;
  std::string time_zone = "Asia/Ho_Chi_Minh";
  std::string format = "md";
  std::string output;
};

// Writes `text` to a temporary file next to `path`, then renames it over `path`: a
// reader (a web server, a mail job) sees the old report or the new one, never half.
bool write_atomically(const std::string& path, const std::string& text, std::string& error) {
  const std::filesystem::path target(path);
  const std::filesystem::path directory =
      target.has_parent_path() ? target.parent_path() : std::filesystem::path(".");
  std::string temporary =
      (directory / ("." + target.filename().string() + ".tiendo-XXXXXX")).string();
  const int fd = ::mkstemp(temporary.data());
  if (fd < 0) {
    error = "cannot create a temporary file in " + directory.string() + ": " + std::strerror(errno);
    return false;
  }
  // mkstemp makes the file private; a report is as readable as any file the user creates.
  const mode_t mask = ::umask(0);
  ::umask(mask);
  ::fchmod(fd, 0666 & ~mask);
  std::size_t written = 0;
  while (written < text.size()) {
    const ssize_t n = ::write(fd, text.data() + written, text.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      error = "cannot write " + temporary + ": " + std::strerror(errno);
      ::close(fd);
      ::unlink(temporary.c_str());
      return false;
    }
    written += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    error = "cannot write " + temporary + ": " + std::strerror(errno);
    ::unlink(temporary.c_str());
    return false;
  }
  if (std::rename(temporary.c_str(), path.c_str()) != 0) {
    error = "cannot replace " + path + ": " + std::strerror(errno);
    ::unlink(temporary.c_str());
    return false;
  }
  return true;
}

int run_report(const ReportOptions& options) {
  std::string error;
  std::optional<model::Date> at = options.at.empty() ? today_in(options.time_zone, error)
                                                     : parse_date_option(options.at, error);
  if (!at) {
    std::fprintf(stderr, "tiendo report: --at: %s\n", error.c_str());
    return 2;
  }
  std::optional<model::RuleSet> rules = load_rules_reporting(options.rules);
  if (!rules) return 1;
  auto db = store::Database::open(options.db);
  if (auto* failure = std::get_if<store::DbError>(&db)) {
    std::fprintf(stderr, "tiendo report: %s\n", failure->message.c_str());
    return 1;
  }
  auto snapshot = store::load_snapshot(std::get<store::Database>(db), *rules);
  if (auto* failure = std::get_if<store::DbError>(&snapshot)) {
    std::fprintf(stderr, "tiendo report: %s\n", failure->message.c_str());
    return 1;
  }
  const store::Snapshot& data = std::get<store::Snapshot>(snapshot);
  const eval::Results results = eval::evaluate(*rules, data, *at);

  std::string text;
  if (options.format == "html") {
    text = report::html(*rules, data, results);
  } else if (options.format == "csv") {
    text = report::csv(*rules, data, results);
  } else {
    text = report::markdown(*rules, data, results);
  }
  if (options.output.empty()) {
    std::fwrite(text.data(), 1, text.size(), stdout);
    return std::fflush(stdout) == 0 ? 0 : 1;
  }
  if (!write_atomically(options.output, text, error)) {
    std::fprintf(stderr, "tiendo report: --output: %s\n", error.c_str());
    return 1;
  }
  return 0;
}

}  // namespace

Action add_report_command(CLI::App& app) {
  auto options = std::make_shared<ReportOptions>();
  CLI::App* command = app.add_subcommand(
      "report", "Write the progress report on every target and late task, in Vietnamese");
  command->add_option("--db", options->db, "SQLite database file")->required();
  command->add_option("--rules", options->rules, "A rule file or directory (repeatable)")
      ->required()
      ->allow_extra_args(false);
  command->add_option("--at", options->at, "The report date (default: today)");
  command->add_option("--time-zone", options->time_zone,
                      "Time zone that decides today's date (default Asia/Ho_Chi_Minh)");
  command->add_option("--format", options->format, "md (default), html or csv")
      ->check(CLI::IsMember({"md", "html", "csv"}));
  command->add_option("--output", options->output,
                      "Write the report to this file (atomically) instead of standard output");
  return [options] { return run_report(*options); };
}

}  // namespace tiendo::cli

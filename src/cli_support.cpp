#include "cli_support.hpp"

#include <fcntl.h>
#include <fmt/chrono.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <iostream>
#include <iterator>

#include "dsl/check.hpp"
#include "model/rfc3339.hpp"
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

std::string now_utc() { return model::format_utc(std::chrono::system_clock::now()); }

namespace {

// Makes `time_zone` the process's local time zone (TZ); false with `error` set when
// the zone is unknown, for which glibc would fall back to UTC without a word.
bool use_time_zone(const std::string& time_zone, std::string& error) {
  const std::string file = "/usr/share/zoneinfo/" + time_zone;
  std::FILE* probe = time_zone.empty() || time_zone.find("..") != std::string::npos
                         ? nullptr
                         : std::fopen(file.c_str(), "rb");
  if (!probe) {
    error = fmt::format("unknown time zone '{}' (no {})", time_zone, file);
    return false;
  }
  std::fclose(probe);
  ::setenv("TZ", time_zone.c_str(), 1);
  ::tzset();
  return true;
}

}  // namespace

std::optional<std::string> end_of_day_utc(model::Date date, const std::string& time_zone,
                                          std::string& error) {
  if (!use_time_zone(time_zone, error)) return std::nullopt;
  // Midnight that starts the next day, local time, one second back.
  const std::chrono::year_month_day next{date + std::chrono::days(1)};
  std::tm local{};
  local.tm_year = static_cast<int>(next.year()) - 1900;
  local.tm_mon = static_cast<int>(static_cast<unsigned>(next.month())) - 1;
  local.tm_mday = static_cast<int>(static_cast<unsigned>(next.day()));
  local.tm_isdst = -1;
  const std::time_t midnight = ::mktime(&local);
  if (midnight == static_cast<std::time_t>(-1)) {
    error = fmt::format("{} has no end of day in {}", model::to_string(date), time_zone);
    return std::nullopt;
  }
  return model::format_utc(std::chrono::system_clock::from_time_t(midnight - 1));
}

std::optional<std::string> known_at_option(const std::string& text, const std::string& time_zone,
                                           std::string& error) {
  const std::string_view trimmed = util::trim(text);
  if (trimmed.size() > 10 && (trimmed[10] == 'T' || trimmed[10] == 't' || trimmed[10] == ' ')) {
    if (const auto time = model::parse_rfc3339(trimmed)) return model::format_utc(*time);
    error = fmt::format(
        "'{}' is not an RFC 3339 time such as 2022-10-01T08:30:00+07:00 or "
        "2022-10-01T01:30:00Z (from {})",
        trimmed, model::supported_years());
    return std::nullopt;
  }
  const std::optional<model::Date> date = parse_date_option(text, error);
  if (!date) {
    error += "; or give a time, such as 2022-10-01T08:30:00+07:00";
    return std::nullopt;
  }
  return end_of_day_utc(*date, time_zone, error);
}

std::optional<std::string> known_at_argument(std::string_view command,
                                             const std::optional<std::string>& known_at,
                                             const std::string& time_zone) {
  if (!known_at) return std::string();
  std::string error;
  std::optional<std::string> stamp = known_at_option(*known_at, time_zone, error);
  if (!stamp) {
    std::fprintf(stderr, "tiendo %.*s: --known-at: %s\n", static_cast<int>(command.size()),
                 command.data(), error.c_str());
  }
  return stamp;
}

std::optional<model::Date> today_in(const std::string& time_zone, std::string& error) {
  if (!use_time_zone(time_zone, error)) return std::nullopt;
  const std::time_t now = std::time(nullptr);
  std::tm local{};
  ::localtime_r(&now, &local);
  return model::Date{std::chrono::year{local.tm_year + 1900} /
                     std::chrono::month{static_cast<unsigned>(local.tm_mon + 1)} /
                     std::chrono::day{static_cast<unsigned>(local.tm_mday)}};
}

std::optional<model::Date> parse_date_option(const std::string& text, std::string& error) {
  auto period = model::parse_period(util::trim(text), error);
  if (!period) return std::nullopt;
  return period->last;
}

std::optional<model::Date> evaluation_date(std::string_view command,
                                           const std::optional<std::string>& at,
                                           const std::string& time_zone) {
  std::string error;
  std::optional<model::Date> date;
  if (!at) {
    date = today_in(time_zone, error);
  } else if (util::trim(*at).empty()) {
    // An empty --at is a script whose variable was never set: today would be a guess.
    error =
        "an empty date; give a date (2022-09-30, 30/9/2022, Q3/2022, Quý III/2022, tháng "
        "9/2022) or leave --at out for today";
  } else {
    date = parse_date_option(*at, error);
  }
  if (!date)
    std::fprintf(stderr, "tiendo %.*s: --at: %s\n", static_cast<int>(command.size()),
                 command.data(), error.c_str());
  return date;
}

std::optional<EvaluationInputs> load_evaluation_inputs(std::string_view command,
                                                       const std::vector<std::string>& rule_paths,
                                                       const std::string& db_path,
                                                       store::Database::Mode mode,
                                                       const std::string& known_at) {
  std::optional<model::RuleSet> rules = load_rules_reporting(rule_paths);
  if (!rules) return std::nullopt;
  const auto fail = [&](const store::DbError& error) {
    std::fprintf(stderr, "tiendo %.*s: %s\n", static_cast<int>(command.size()), command.data(),
                 error.message.c_str());
    return std::nullopt;
  };
  auto db = store::Database::open(db_path, mode);
  if (auto* error = std::get_if<store::DbError>(&db)) return fail(*error);
  auto snapshot = store::load_snapshot(
      std::get<store::Database>(db), *rules,
      {.threads = 0, .known_at = known_at, .through = {}, .base = nullptr, .cancel = nullptr});
  if (auto* error = std::get_if<store::DbError>(&snapshot)) return fail(*error);
  return EvaluationInputs{std::move(*rules), std::move(std::get<store::Snapshot>(snapshot))};
}

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
  // mkstemp makes the file private: keep the mode of the file replaced, or give a new one
  // the mode any file the user creates would have.
  struct stat existing {};
  if (::stat(path.c_str(), &existing) == 0) {
    ::fchmod(fd, existing.st_mode & 07777);
  } else {
    const mode_t mask = ::umask(0);
    ::umask(mask);
    ::fchmod(fd, 0666 & ~mask);
  }
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

std::string one_line(std::string text) {
  for (char& c : text) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  return text;
}

}  // namespace tiendo::cli

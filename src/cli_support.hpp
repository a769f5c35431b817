// Helpers that several subcommands share: loading a rule set with its diagnostics
// shown, reading inputs, the wall clock. Aligned tables are present::table.
#pragma once

#include <cstdio>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "model/rule_set.hpp"
#include "store/database.hpp"
#include "store/snapshot.hpp"
#include "util/result.hpp"

namespace tiendo::cli {

// --db: where the store is.
inline constexpr const char* kDatabaseHelp =
    "The store: a SQLite database file, or a PostgreSQL URL (postgresql://user@host/db; its "
    "password from PGPASSWORD or PGPASSFILE, never the URL)";
inline constexpr const char* kDatabaseHelpCreated =
    "The store: a SQLite database file (created if absent), or a PostgreSQL URL "
    "(postgresql://user@host/db; its password from PGPASSWORD or PGPASSFILE, never the URL)";

// For TIENDO_ASSIGN_OR_ELSE in a command: says "tiendo COMMAND: <what>message" on stderr
// and gives the exit status 1.
inline auto exit_on_error(std::string_view command, std::string_view what = "") {
  return [command, what](const store::DbError& error) {
    std::fprintf(stderr, "tiendo %.*s: %.*s%s\n", static_cast<int>(command.size()), command.data(),
                 static_cast<int>(what.size()), what.data(), error.message.c_str());
    return 1;
  };
}

// Loads and checks `paths`; prints diagnostics (warnings too) to stderr. Returns the
// rule set, or nullopt when it has errors.
std::optional<model::RuleSet> load_rules_reporting(const std::vector<std::string>& paths);

// The whole of a file, or of standard input for "-". On failure returns nullopt and
// sets `error`.
std::optional<std::string> read_input(const std::string& path, std::string& error);

// Now, as an ISO 8601 UTC time stamp ("2026-11-28T08:45:00Z").
std::string now_utc();

// Today's date in `time_zone` (an IANA name such as Asia/Ho_Chi_Minh). Returns nullopt
// and sets `error` when the zone is unknown.
std::optional<model::Date> today_in(const std::string& time_zone, std::string& error);

// A date given on the command line: any form of the rules language, as documents write
// it too (`Quý III/2022`, `tháng 9/2022`), blanks around it ignored; a month, quarter or
// year stands for its last day.
std::optional<model::Date> parse_date_option(const std::string& text, std::string& error);

// `--known-at TIME` as the store compares it, a UTC time stamp "YYYY-MM-DDTHH:MM:SSZ": an
// RFC 3339 time with its offset ("2022-10-01T08:30:00+07:00"), or a date in any form
// `--at` takes, which stands for the end of that day (23:59:59) in `time_zone`. Nullopt
// with `error` set for anything else.
std::optional<std::string> known_at_option(const std::string& text, const std::string& time_zone,
                                           std::string& error);
// The `--known-at` of `tiendo <command>`: "" when not given, else known_at_option's time
// stamp. On failure prints "tiendo <command>: --known-at: ..." and returns nullopt.
std::optional<std::string> known_at_argument(std::string_view command,
                                             const std::optional<std::string>& known_at,
                                             const std::string& time_zone);
// What --known-at says in every command's help.
inline constexpr const char* kKnownAtHelp =
    "Only what was ingested by this time: a date (the end of that day in --time-zone) or an "
    "RFC 3339 time (2022-10-01T08:30:00+07:00)";
// The last second of `date` in `time_zone`, as a UTC time stamp.
std::optional<std::string> end_of_day_utc(model::Date date, const std::string& time_zone,
                                          std::string& error);

// The evaluation date of `tiendo <command>`: `--at` when given, else today in
// `time_zone`. On failure prints "tiendo <command>: --at: ..." and returns nullopt.
std::optional<model::Date> evaluation_date(std::string_view command,
                                           const std::optional<std::string>& at,
                                           const std::string& time_zone);

// What every evaluating command reads: the checked rule set and the database's snapshot.
struct EvaluationInputs {
  model::RuleSet rules;
  store::Snapshot snapshot;
};

// Loads the rule set (its diagnostics to stderr) and the snapshot of `db`. On failure
// prints why, prefixed with "tiendo <command>: " for database errors, and returns nullopt
// (exit 1).
// The database is opened read-only (it must exist) unless `mode` says otherwise.
// With `known_at` (a UTC time stamp, see known_at_option), the snapshot holds only what
// was ingested by then.
std::optional<EvaluationInputs> load_evaluation_inputs(
    std::string_view command, const std::vector<std::string>& rule_paths, const std::string& db,
    store::Database::Mode mode = store::Database::Mode::read_only,
    const std::string& known_at = {});

// Writes `text` to a temporary file next to `path`, synced, then renames it over `path`:
// a reader (an editor, a web server, a mail job) sees the old file or the new one, never
// half, and a crash leaves no partial file. Returns false and sets `error` on failure.
bool write_atomically(const std::string& path, const std::string& text, std::string& error);

// A note (which may hold line breaks) on one line of a table: its line breaks as spaces.
std::string one_line(std::string text);

}  // namespace tiendo::cli

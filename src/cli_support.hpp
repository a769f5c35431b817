// Helpers that several subcommands share: loading a rule set with its diagnostics
// shown, reading inputs, the wall clock, aligned tables.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "model/rule_set.hpp"

namespace tiendo::cli {

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

// A date given on the command line (any form of the rules language; a month, quarter
// or year stands for its last day).
std::optional<model::Date> parse_date_option(const std::string& text, std::string& error);

// Left-aligned columns separated by two spaces; widths count characters, not bytes.
std::string format_table(const std::vector<std::vector<std::string>>& rows);

}  // namespace tiendo::cli

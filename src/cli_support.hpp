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

// Left-aligned columns separated by two spaces; widths count characters, not bytes.
std::string format_table(const std::vector<std::vector<std::string>>& rows);

}  // namespace tiendo::cli

// Times as people and programs write them with their offset, for "what did we know then"
// (`--known-at`, the API's `known_at`). Defined in calendar.cpp, beside parse_utc.
#pragma once

#include <chrono>
#include <optional>
#include <string_view>

namespace tiendo::model {

// An RFC 3339 time with any offset: "2022-10-01T08:30:00+07:00", "2022-10-01T01:30:00Z",
// a fraction of a second dropped ("…:00.250Z"), `T` or a space between date and time,
// `Z` or `z`. Nullopt for anything else, or outside the years parse_utc takes.
std::optional<std::chrono::system_clock::time_point> parse_rfc3339(std::string_view text);

}  // namespace tiendo::model

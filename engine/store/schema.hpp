// The versioned schema. Migration N (0-based) takes a database from user_version N to
// N + 1. Released migrations are never edited: a change is a new migration.
#pragma once

#include <string>
#include <vector>

namespace tiendo::store {

const std::vector<std::string>& migrations();

}  // namespace tiendo::store

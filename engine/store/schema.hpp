// The versioned schema. Migration N (0-based) takes a database from user_version N to
// N + 1. Released migrations are never edited: a change is a new migration.
#pragma once

#include <string>
#include <vector>

namespace tiendo::store {

// SQLite's migrations.
const std::vector<std::string>& migrations();

// PostgreSQL's store is made at once at this version (store/schema_postgres.cpp), then
// migrated by postgres_migrations()[N] from baseline + N to baseline + N + 1; both engines
// reach migrations().size().
int postgres_baseline_version();
const std::string& postgres_baseline();
const std::vector<std::string>& postgres_migrations();

}  // namespace tiendo::store

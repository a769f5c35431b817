// Where a test's store lives. The store, alert, service and CLI suites run twice: on
// SQLite, and under CTest's `postgresql` label on a real PostgreSQL server that CTest
// starts for them (tests/support/postgres-server; TIENDO_TEST_POSTGRES names its socket
// directory). The same test then gets a new, empty PostgreSQL database where it would
// have had a file or an in-memory store, dropped when the test's process ends.
#pragma once

#include <string>
#include <string_view>

namespace tiendo::testing {

// Whether this process runs its tests on PostgreSQL.
bool on_postgres();

// A new store's location: the file `name` in directory `dir`, or a new PostgreSQL
// database's URL.
std::string test_store(const std::string& dir, std::string_view name = "t.db");

// A private store's location: ":memory:", or a new PostgreSQL database's URL.
std::string memory_store();

// Copies the store at `from` to the new location `to` (test_store's): the file, or every
// row (store::copy_store, the identity included). Throws when it cannot.
void copy_test_store(const std::string& from, const std::string& to);

}  // namespace tiendo::testing

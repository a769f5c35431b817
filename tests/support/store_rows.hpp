// Reading a store in tests through the project's own Database: a private in-memory
// store or a file, a query's rows as text and a count.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "store/database.hpp"
#include "store/sql/statements.hpp"
#include "support/test_store.hpp"

namespace tiendo::testing {

// A fresh in-memory store with the schema; the test stops when it cannot be opened.
inline store::Database open_memory() {
  auto db = store::Database::open(memory_store());
  if (auto* error = std::get_if<store::DbError>(&db)) {
    ADD_FAILURE() << error->message;
    std::abort();
  }
  return std::move(std::get<store::Database>(db));
}

// The store in file `path` (made with the schema when new); the test stops when it cannot
// be opened.
inline store::Database open_file(const std::string& path) {
  auto db = store::Database::open(path);
  if (auto* error = std::get_if<store::DbError>(&db)) {
    ADD_FAILURE() << path << ": " << error->message;
    std::abort();
  }
  return std::move(std::get<store::Database>(db));
}

// A query's rows as text, one line each ("a|b|"), NULL written as NULL.
inline std::vector<std::string> rows(store::Database& db, const std::string& sql) {
  store::Statement q = tiendo::store::sql::prepare(db, sql);
  std::vector<std::string> out;
  while (q.step()) {
    std::string line;
    for (int c = 0; c < q.column_count(); ++c) {
      line += (q.column_is_null(c) ? std::string("NULL") : q.column_text(c)) + "|";
    }
    out.push_back(line);
  }
  EXPECT_FALSE(q.error()) << sql << ": " << q.error()->message;
  return out;
}

// The first column of a query's first row, as a number (a count).
inline std::int64_t count(store::Database& db, const std::string& sql) {
  store::Statement q = tiendo::store::sql::prepare(db, sql);
  EXPECT_TRUE(q.step()) << sql << ": " << (q.error() ? q.error()->message : "");
  return q.column_int(0);
}

}  // namespace tiendo::testing

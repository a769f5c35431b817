// Copying a whole store from one database to another: SQLite into PostgreSQL and back
// (`tiendo store copy SRC DST`), or a PostgreSQL store into a private in-memory SQLite
// one (copy_in_memory, what a dry run changes).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "store/database.hpp"

namespace tiendo::store {

struct TableCopy {
  std::string table;
  std::int64_t rows = 0;
  // XXH3-64 of the table's rows in key order, each value in a canonical form (an integer's
  // digits, a double's shortest exact text, a text's bytes, NULL apart): the same on both
  // engines for the same content. Computed on the source as it is read and again on the
  // destination as written; the copy fails unless they agree.
  std::string checksum;
};

struct CopyReport {
  std::vector<TableCopy> tables;
};

// Copies every table of the store `from` into `to`, which must hold no rows (a new store:
// `to` is opened in Mode::create and so has the schema), in one transaction of `to`: all
// or nothing. `from` is read in one read transaction's view.
//
// The destination keeps its own store identity (store_identity: what makes its messages'
// ids its own), unless `carry_identity`.
DbResult<CopyReport> copy_store(Database& from, Database& to, bool carry_identity = false);

// A private in-memory SQLite copy of a store on any engine, its identity included (what
// copy_in_memory makes of a PostgreSQL store).
DbResult<Database> copy_to_memory(Database& db);

}  // namespace tiendo::store

// A PostgreSQL server for the benchmarks that measure tiendo on PostgreSQL beside SQLite
// (bench_ingest, bench_eval): the databases they make, and psql, the floor they compare
// with.
//
// `--postgres URL` names a database of a running server to connect to (its `postgres`
// database will do); the benchmark makes its own databases beside it and drops them at
// the end. `--postgres private` starts a server of its own (tests/support/postgres-server
// in a new directory, PostgreSQL's durable defaults: every commit on disk, as SQLite's
// synchronous=FULL) and stops it at the end.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tiendo::bench {

class PostgresServer {
 public:
  // Null after a message on stderr when the server cannot be started or reached.
  static std::unique_ptr<PostgresServer> open(const std::string& spec, std::string psql);
  PostgresServer(const PostgresServer&) = delete;
  PostgresServer& operator=(const PostgresServer&) = delete;
  ~PostgresServer();

  // The URL of `database` on this server (the given URL with its database replaced).
  std::string url(std::string_view database) const;
  // A new database (dropped first if it exists), empty or a copy of `from` (which nobody
  // may be connected to); false after a message.
  bool create(std::string_view database, std::string_view from = {});
  // psql's unaligned output of `sql` on `database`; nullopt after a message.
  std::optional<std::string> query(std::string_view database, std::string_view sql) const;
  // What the server is: its version and where it runs.
  const std::string& description() const { return description_; }
  const std::string& psql() const { return psql_; }

 private:
  PostgresServer(std::string base, std::string psql, std::string private_dir)
      : base_(std::move(base)), psql_(std::move(psql)), private_dir_(std::move(private_dir)) {}

  std::string base_;
  std::string psql_;
  std::string private_dir_;  // the private server's directory ("" for a given one)
  std::string description_;
  std::vector<std::string> made_;
};

// Runs `args` (args[0] looked up on PATH) with standard input from /dev/null; its
// standard output, or nullopt after a message (with its standard error) when it fails.
std::optional<std::string> capture(const std::vector<std::string>& args);

}  // namespace tiendo::bench

#include "support/test_store.hpp"

#include <fmt/format.h>
#include <libpq-fe.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <stdexcept>
#include <vector>

#include "store/copy.hpp"
#include "store/database.hpp"

namespace tiendo::testing {

namespace {

const char* socket_directory() {
  const char* dir = std::getenv("TIENDO_TEST_POSTGRES");
  return dir && *dir ? dir : nullptr;
}

// The databases this process made, dropped when it ends.
struct Made {
  std::mutex mutex;
  std::vector<std::string> names;
  int next = 0;
};
Made& made() {
  static auto* all = new Made();  // never destroyed: read by the exit handler
  return *all;
}

// Runs `sql` on the server's maintenance database; throws when it fails.
void maintain(const std::string& sql) {
  const std::string conninfo =
      fmt::format("host={} user=tiendo dbname=postgres connect_timeout=10", socket_directory());
  PGconn* conn = PQconnectdb(conninfo.c_str());
  std::string error;
  if (PQstatus(conn) != CONNECTION_OK) {
    error = PQerrorMessage(conn);
  } else {
    PGresult* result = PQexec(conn, sql.c_str());
    if (PQresultStatus(result) != PGRES_COMMAND_OK) error = PQresultErrorMessage(result);
    PQclear(result);
  }
  PQfinish(conn);
  if (!error.empty()) throw std::runtime_error(fmt::format("{}: {}", sql, error));
}

void drop_all() {
  Made& all = made();
  std::lock_guard lock(all.mutex);
  for (const std::string& name : all.names) {
    try {
      maintain(fmt::format("DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)", name));
    } catch (const std::exception&) {
      // The server is gone already: CTest's cleanup removes it whole.
    }
  }
  all.names.clear();
}

std::string new_database() {
  Made& all = made();
  std::string name;
  {
    std::lock_guard lock(all.mutex);
    if (all.next == 0) std::atexit(drop_all);
    name = fmt::format("t{}_{}", ::getpid(), all.next++);
    all.names.push_back(name);
  }
  maintain(fmt::format("CREATE DATABASE \"{}\"", name));
  return fmt::format("postgresql:///{}?host={}&user=tiendo", name, socket_directory());
}

}  // namespace

bool on_postgres() { return socket_directory() != nullptr; }

std::string test_store(const std::string& dir, std::string_view name) {
  if (on_postgres()) return new_database();
  return fmt::format("{}/{}", dir, name);
}

std::string memory_store() { return on_postgres() ? new_database() : std::string(":memory:"); }

void copy_test_store(const std::string& from, const std::string& to) {
  if (!on_postgres()) {
    std::filesystem::copy_file(from, to);
    return;
  }
  auto source = store::Database::open(from, store::Database::Mode::existing);
  auto destination = store::Database::open(to, store::Database::Mode::create);
  for (auto* opened : {&source, &destination}) {
    if (auto* error = std::get_if<store::DbError>(opened)) throw std::runtime_error(error->message);
  }
  auto copied = store::copy_store(std::get<store::Database>(source),
                                  std::get<store::Database>(destination), true);
  if (auto* error = std::get_if<store::DbError>(&copied)) throw std::runtime_error(error->message);
}

}  // namespace tiendo::testing

#include "postgres.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

extern "C" char** environ;

namespace tiendo::bench {

namespace {

std::string read_whole(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string trimmed(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) {
    text.pop_back();
  }
  return text;
}

}  // namespace

std::optional<std::string> capture(const std::vector<std::string>& args) {
  char err_path[] = "/tmp/tiendo-bench-stderr-XXXXXX";
  const int err_fd = ::mkstemp(err_path);
  int out[2];
  if (err_fd < 0 || ::pipe(out) != 0) {
    std::fprintf(stderr, "bench: cannot run %s: %s\n", args[0].c_str(), std::strerror(errno));
    if (err_fd >= 0) ::close(err_fd);
    return std::nullopt;
  }
  std::vector<char*> argv;
  for (const std::string& arg : args) argv.push_back(const_cast<char*>(arg.c_str()));
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, err_fd, STDERR_FILENO);
  // Only as standard output and error: a server the child starts must not hold the pipe.
  posix_spawn_file_actions_addclose(&actions, out[0]);
  posix_spawn_file_actions_addclose(&actions, out[1]);
  posix_spawn_file_actions_addclose(&actions, err_fd);
  pid_t pid = -1;
  const int rc = posix_spawnp(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(out[1]);
  ::close(err_fd);
  std::string output;
  if (rc == 0) {
    char buffer[65536];
    for (;;) {
      const ssize_t n = ::read(out[0], buffer, sizeof buffer);
      if (n > 0) {
        output.append(buffer, static_cast<std::size_t>(n));
      } else if (n == 0 || errno != EINTR) {
        break;
      }
    }
  }
  ::close(out[0]);
  int status = 0;
  if (rc == 0) {
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
  }
  const std::string errors = read_whole(err_path);
  ::unlink(err_path);
  if (rc != 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::fprintf(stderr, "bench: %s failed (%s):\n%s", args[0].c_str(),
                 rc != 0 ? std::strerror(rc) : fmt::format("status {}", status).c_str(),
                 errors.c_str());
    return std::nullopt;
  }
  return output;
}

std::unique_ptr<PostgresServer> PostgresServer::open(const std::string& spec, std::string psql) {
  std::string base = spec;
  std::string dir;
  if (spec == "private") {
    // Beside the system's temporary files, not inside a benchmark's own directory: under
    // root the server runs as nobody, who must be able to reach it.
    dir = fmt::format("/tmp/tiendo-bench-postgres-{}", ::getpid());
    if (::setenv("TIENDO_POSTGRES_DURABLE", "1", 1) != 0 ||
        !capture({TIENDO_SOURCE_DIR "/tests/support/postgres-server", "start", dir})) {
      std::fprintf(stderr, "bench: cannot start a PostgreSQL server in %s\n", dir.c_str());
      return nullptr;
    }
    base = fmt::format("postgresql:///postgres?host={}&user=tiendo", dir);
  }
  std::unique_ptr<PostgresServer> server(new PostgresServer(base, std::move(psql), dir));
  const auto version = server->query("", "SHOW server_version");
  const auto durable = server->query("", "SHOW fsync");
  const auto commit = server->query("", "SHOW synchronous_commit");
  if (!version || !durable || !commit) return nullptr;
  server->description_ =
      fmt::format("PostgreSQL {} ({}; fsync {}, synchronous_commit {})", trimmed(*version),
                  dir.empty() ? "at " + base : "a private server in " + dir, trimmed(*durable),
                  trimmed(*commit));
  return server;
}

PostgresServer::~PostgresServer() {
  if (!private_dir_.empty()) {
    capture({TIENDO_SOURCE_DIR "/tests/support/postgres-server", "stop", private_dir_});
    return;
  }
  for (const std::string& database : made_) {
    query("", fmt::format("DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)", database));
  }
}

std::string PostgresServer::url(std::string_view database) const {
  if (database.empty()) return base_;
  // postgresql://[authority]/[database][?parameters]
  const std::size_t scheme = base_.find("://");
  const std::size_t authority = scheme == std::string::npos ? 0 : scheme + 3;
  const std::size_t query = base_.find('?', authority);
  std::size_t path = base_.find('/', authority);
  if (path == std::string::npos || (query != std::string::npos && path > query)) {
    // No database in the URL: one goes before the parameters.
    const std::size_t at = query == std::string::npos ? base_.size() : query;
    return base_.substr(0, at) + "/" + std::string(database) + base_.substr(at);
  }
  const std::size_t end = query == std::string::npos ? base_.size() : query;
  return base_.substr(0, path + 1) + std::string(database) + base_.substr(end);
}

bool PostgresServer::create(std::string_view database, std::string_view from) {
  if (!query("", fmt::format("DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)", database)) ||
      !query("", fmt::format("CREATE DATABASE \"{}\"{}", database,
                             from.empty() ? "" : fmt::format(" TEMPLATE \"{}\"", from)))) {
    return false;
  }
  made_.emplace_back(database);
  return true;
}

std::optional<std::string> PostgresServer::query(std::string_view database,
                                                 std::string_view sql) const {
  return capture({psql_, "-X", "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1", "-d", url(database), "-c",
                  std::string(sql)});
}

}  // namespace tiendo::bench

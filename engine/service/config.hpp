// The nightly service's configuration (`tiendo serve --config FILE`), a TOML file read
// with toml++; see examples/tiendo.toml. Every mistake is reported with its place
// (file:line:col) and nothing is guessed: an unknown key is an error, not ignored.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "notify/outbox.hpp"
#include "service/cron.hpp"

namespace tiendo::service {

struct ListenAddress {
  std::string host = "127.0.0.1";
  int port = 8080;
  bool loopback() const;
};

struct ServiceLimits {
  std::size_t max_body_bytes = 1 << 20;  // 413 above it, chunked bodies included
  std::chrono::seconds read_timeout{10};
  std::chrono::seconds write_timeout{10};
  std::size_t threads = 4;  // request handlers
  std::size_t queue = 64;   // requests waiting for a handler; 503 beyond
  // How long an idle kept-alive connection stays open; a proxy that keeps upstream
  // connections must close its own sooner.
  std::chrono::seconds keep_alive_timeout{2};
  // The whole request head (request line and header fields) must arrive within this, however
  // steadily its bytes come: a client that trickles a head in holds a connection no longer.
  std::chrono::seconds header_timeout{10};
  // Open connections at most; past it a new one is refused at once (503) instead of
  // waiting, so that a flood of connections cannot use up the process's file descriptors.
  std::size_t max_connections = 1024;
};

struct ServiceConfig {
  std::string path;  // the file it was read from
  ListenAddress listen;
  std::string database;
  std::vector<std::string> rules;  // files or directories
  std::string tokens;              // the tokens file (hashes only); empty: no API access
  // The dashboard (`/`) without a token, for a proxy in front that authenticates people
  // itself (see examples/nginx/). The API always needs a token.
  bool dashboard_public = false;
  std::string time_zone = "Asia/Ho_Chi_Minh";
  // How many days past today (in time_zone) a recorded run may be dated: an API request
  // or a queued evaluation at a later date is refused (see alert::RunDateLimit).
  int max_days_ahead = 1;
  // /readyz says not ready when the database's file system has less free space than this
  // (a run writes hundreds of MB at a large province's size; SQLite needs room to commit).
  std::int64_t min_free_disk_mb = 64;
  CronSchedule schedule;  // default "0 2 * * *"
  std::string schedule_time_zone = "Asia/Ho_Chi_Minh";
  // Whether a start runs the schedule's last tick when nothing ran for it (the service
  // was down). Off, a first start records nothing until the schedule fires or the API
  // asks: the example configuration, so that the 30/9/2022 examples stay reproducible.
  bool catch_up = true;
  // [schedule] cores: how many of the cores the service may use its evaluations run on (its
  // runner is kept on them, and the threads it starts, and the dashboard's warmer with its
  // Graphviz; see util::keep_on_cores). 0: all.
  // Below all, the others are left to the requests whatever an evaluation does: on a
  // machine whose CPU time is capped (a virtual machine, a container's CPU limit), every
  // core busy is what makes the cap stop them all (docs/deploy.md).
  unsigned evaluation_cores = 0;
  notify::DeliverySettings delivery;  // SMTP, timeouts, retries
  ServiceLimits limits;
  // [retention] older_than: runs that started longer ago are pruned (store::prune_runs)
  // after a successful evaluation, at most once a day; unset, nothing is pruned.
  std::optional<std::chrono::seconds> retention;
  // This service's name among those sharing a PostgreSQL store (its status, the store's
  // leadership row, the logs). Default: the host's name and the process id.
  std::string instance;
};

struct ConfigError {
  std::string where;  // "tiendo.toml:12:7", or the file alone
  std::string message;
  std::string render() const { return where + ": error: " + message; }
};

// Reads and checks `path`. Relative paths in it are relative to the file's directory.
// On failure returns nullopt with every error found (at least one).
std::optional<ServiceConfig> load_config(const std::string& path, std::vector<ConfigError>& errors);
// The same from text, for tests; `path` names it in errors and anchors relative paths.
std::optional<ServiceConfig> parse_config(const std::string& text, const std::string& path,
                                          std::vector<ConfigError>& errors);

}  // namespace tiendo::service

// A `tiendo serve` for tests and benchmarks: writes a configuration and a tokens file
// (hashes of the three tokens below) in a directory, starts the service on a free port
// of 127.0.0.1, and waits until it says where it listens.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "support/child_process.hpp"

namespace tiendo::testing {

// A schedule that never fires: there is no 30 February.
inline constexpr std::string_view kNeverSchedule = "0 0 30 2 *";

// A daily schedule (in Asia/Ho_Chi_Minh, the zone ServeProcess configures) whose last tick
// was about twelve hours ago and whose next is about twelve hours ahead: a service started
// with it queues the missed run at once ("catch-up"), and no scheduled run comes during a
// test.
std::string catch_up_schedule();

struct ServeSetup {
  std::string binary;              // the tiendo binary
  std::string directory;           // configuration, tokens, log (and database unless given)
  std::string database;            // default: <directory>/tiendo.db
  std::vector<std::string> rules;  // default: the repository's rules/
  // TOML lines placed before any table (e.g. `dashboard_public = true`), and tables
  // appended after the generated ones (e.g. an [smtp] table).
  std::string top_level;
  std::string tables;
  // More lines of the generated [delivery] table (e.g. `ca_file = "..."`).
  std::string delivery;
  // [schedule] cron. By default none fires, so that no run starts by itself during a test;
  // a test that wants the run at start sets catch_up_schedule().
  std::string schedule = std::string(kNeverSchedule);
  // More lines of the generated [schedule] table (e.g. `catch_up = false`).
  std::string schedule_lines;
  std::vector<std::string> arguments;  // more `tiendo serve` arguments (--log-format json)
  // "NAME=value" entries over the test's environment (PATH with a program of the test's).
  std::vector<std::string> environment;
};

class ServeProcess {
 public:
  static constexpr std::string_view kReadToken = "tdo_test-read-token-0000000000000000000000000000";
  static constexpr std::string_view kWriteToken =
      "tdo_test-write-token-000000000000000000000000000";
  static constexpr std::string_view kAdminToken =
      "tdo_test-admin-token-000000000000000000000000000";
  // The rule editor's scope (id "author").
  static constexpr std::string_view kRulesToken =
      "tdo_test-rules-token-000000000000000000000000000";

  // Starts the service; throws std::runtime_error, with the log, when it does not come
  // up within `timeout`.
  explicit ServeProcess(ServeSetup setup,
                        std::chrono::milliseconds timeout = std::chrono::seconds(20));
  ~ServeProcess();

  int port() const { return port_; }
  const std::string& config_path() const { return config_; }
  const std::string& database() const { return setup_.database; }
  // The service's log (standard error) so far.
  std::string log() const;
  // Waits until the log contains `needle` (after `from` bytes); false on timeout.
  bool wait_for_log(std::string_view needle, std::chrono::milliseconds timeout,
                    std::size_t from = 0) const;
  // Waits until the log contains `needle` `times` times; false on timeout.
  bool wait_for_log_times(std::string_view needle, int times,
                          std::chrono::milliseconds timeout) const;
  ChildProcess& process() { return *process_; }

 private:
  ServeSetup setup_;
  std::string config_, log_path_;
  std::unique_ptr<ChildProcess> process_;
  int port_ = 0;
};

}  // namespace tiendo::testing

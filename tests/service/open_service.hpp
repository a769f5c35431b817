// A real Service for the tests that call the API's handlers directly (service::Api):
// the repository's rules/, a database file, a tokens file with one token per entry; its
// threads are never started, so nothing runs unless a test does it, and its log goes
// nowhere.
#pragma once

#include <spdlog/sinks/null_sink.h>
#include <spdlog/spdlog.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "service/service.hpp"
#include "service/tokens.hpp"

namespace tiendo::service {

struct TestToken {
  std::string id;
  std::string scope;  // read, write or admin
  std::string token;  // what a client sends
};

// Opens the service on `database` (made when missing) with `tokens` written to a tokens
// file in `directory`, on `clock` (the system's by default), the configuration changed by
// `adjust` when given; null, with `problems` saying why, when it does not open.
inline std::unique_ptr<Service> open_test_service(
    const std::string& directory, const std::string& database, const std::vector<TestToken>& tokens,
    std::string& problems, std::function<Clock::time_point()> clock = [] { return Clock::now(); },
    const std::function<void(ServiceConfig&)>& adjust = {}) {
  ServiceConfig config;
  config.path = directory + "/tiendo.toml";
  config.listen.port = 0;
  config.database = database;
  config.rules = {(std::filesystem::path(TIENDO_SOURCE_DIR) / "rules").string()};
  config.tokens = directory + "/tokens";
  {
    std::ofstream out(config.tokens, std::ios::binary);
    for (const TestToken& t : tokens) {
      out << t.id << " " << t.scope << " " << token_hash_text(t.token) << "\n";
    }
  }
  std::string error;
  config.schedule = *CronSchedule::parse("0 2 * * *", error);
  if (adjust) adjust(config);
  auto logger = std::make_shared<spdlog::logger>("test-service",
                                                 std::make_shared<spdlog::sinks::null_sink_mt>());
  auto opened =
      Service::open(config, std::make_shared<Log>(logger, LogFormat::text), std::move(clock));
  if (auto* failed = std::get_if<std::vector<std::string>>(&opened)) {
    for (const std::string& p : *failed) problems += p + "\n";
    return nullptr;
  }
  return std::move(std::get<std::unique_ptr<Service>>(opened));
}

}  // namespace tiendo::service

// `tiendo serve --config FILE`: the nightly evaluation service with its HTTP API.
// Signals are taken by one thread with sigwait (every other thread blocks them):
// SIGHUP re-reads the rules, SIGTERM and SIGINT stop the service within 10 s.
#include <fmt/format.h>
#include <signal.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <future>
#include <thread>

#include "commands.hpp"
#include "service/api.hpp"
#include "service/config.hpp"
#include "service/http_server.hpp"
#include "service/log.hpp"
#include "service/service.hpp"

namespace tiendo::cli {

namespace {

struct ServeOptions {
  std::string config;
  std::string log_format = "text";
};

// How long a stop may take in all; systemd's default is 90 s, the promise is 10 s.
constexpr auto kStopBudget = std::chrono::milliseconds(9000);

int run_serve(const ServeOptions& options) {
  std::vector<service::ConfigError> errors;
  const std::optional<service::ServiceConfig> config = service::load_config(options.config, errors);
  if (!config) {
    for (const service::ConfigError& e : errors) std::fprintf(stderr, "%s\n", e.render().c_str());
    return 2;
  }
  const auto log = service::make_stderr_log(
      options.log_format == "json" ? service::LogFormat::json : service::LogFormat::text);

  // Block the signals before any thread starts, so that only sigwait below sees them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  auto opened = service::Service::open(*config, log);
  if (auto* problems = std::get_if<std::vector<std::string>>(&opened)) {
    for (const std::string& p : *problems) std::fprintf(stderr, "tiendo serve: %s\n", p.c_str());
    return 1;
  }
  std::unique_ptr<service::Service> service =
      std::move(std::get<std::unique_ptr<service::Service>>(opened));
  service::Api api(*service);
  service::HttpServer server(*service, api);
  if (auto error = server.bind()) {
    std::fprintf(stderr, "tiendo serve: %s\n", error->c_str());
    return 1;
  }
  if (!config->listen.loopback()) {
    log->warn(
        "listening on an address other machines can reach; put the TLS proxy of "
        "examples/nginx/ in front",
        {{"host", config->listen.host}});
  }
  if (service->tokens()->size() == 0) {
    log->warn("no tokens: every API request will be refused (401); see `tiendo token new`");
  }
  // The service leads (or knows it follows) before it says it listens.
  service->start();
  const auto next = service->next_scheduled();
  log->info("listening", {{"address", fmt::format("{}:{}", config->listen.host, server.port())},
                          {"database", config->database},
                          {"schedule", config->schedule.text()},
                          {"next_run", next ? model::format_utc(*next) : std::string("never")}});
  api.start_warming();
  std::thread http([&] { server.run(); });

  for (;;) {
    int signal = 0;
    if (sigwait(&signals, &signal) != 0) continue;
    if (signal == SIGHUP) {
      service->reload("SIGHUP");
      continue;
    }
    log->info("stopping", {{"signal", signal == SIGTERM ? "SIGTERM" : "SIGINT"}});
    break;
  }

  const auto deadline = std::chrono::system_clock::now() + kStopBudget;
  // The HTTP server answers the requests in hand, the delivery loop finishes the message
  // in hand; a run that cannot finish in time is abandoned (never committed).
  // How long each part took (ms; -1 until it is done), for the log.
  const auto began = std::chrono::steady_clock::now();
  std::array<std::atomic<std::int64_t>, 3> took = {-1, -1, -1};
  const auto mark = [&](std::size_t part) {
    took[part] = std::chrono::duration_cast<std::chrono::milliseconds>(
                     std::chrono::steady_clock::now() - began)
                     .count();
  };
  auto stopped = std::async(std::launch::async, [&] {
    server.stop();
    http.join();
    mark(0);
    api.stop_warming();
    mark(1);
    const bool whole = service->stop(deadline);
    mark(2);
    return whole;
  });
  const bool in_time =
      stopped.wait_until(deadline + std::chrono::milliseconds(500)) == std::future_status::ready;
  const std::initializer_list<service::LogField> parts = {
      {"http_ms", took[0].load()}, {"pages_ms", took[1].load()}, {"service_ms", took[2].load()}};
  if (!in_time || !stopped.get()) {
    log->warn(
        "stopped with work still in hand; an unfinished run was not recorded and runs "
        "again at the next start if it was scheduled",
        parts);
    std::fflush(stderr);
    std::_Exit(0);
  }
  log->info("stopped", parts);
  return 0;
}

}  // namespace

Action add_serve_command(CLI::App& app) {
  auto options = std::make_shared<ServeOptions>();
  CLI::App* command = app.add_subcommand(
      "serve", "Run the nightly evaluation service with its HTTP API and dashboard");
  command->add_option("--config", options->config, "The service's TOML configuration")->required();
  command->add_option("--log-format", options->log_format, "text (default) or json lines")
      ->check(CLI::IsMember({"text", "json"}));
  return [options] { return run_serve(*options); };
}

}  // namespace tiendo::cli

// The delivery settings that `tiendo run` and `tiendo deliver` share: SMTP, timeouts and
// the retry policy, as command-line options.
#pragma once

#include <CLI/CLI.hpp>
#include <chrono>
#include <optional>
#include <string>

#include "notify/outbox.hpp"

namespace tiendo::cli {

struct DeliveryOptions {
  std::string smtp;  // smtp://host:port or smtps://host:port
  std::string smtp_from = "tiendo <tiendo@localhost>";
  std::string smtp_starttls = "required";
  std::string connect_timeout = "5s";
  std::string timeout = "15s";
  std::string retry_initial = "30s";
  std::string retry_max = "1h";
  std::string max_age = "24h";
  std::string ca_file;  // empty: the system's certificate authorities
};

void add_delivery_options(CLI::App& command, DeliveryOptions& options);

// The settings, or nullopt after printing "tiendo <command>: --option: ..." to stderr.
std::optional<notify::DeliverySettings> delivery_settings(std::string_view command,
                                                          const DeliveryOptions& options);

// Delivers what is due and prints one line per attempt to stderr; false on a store error.
bool deliver_and_report(std::string_view command, store::Database& db,
                        const notify::DeliverySettings& settings, notify::DeliveryReport& report);

}  // namespace tiendo::cli

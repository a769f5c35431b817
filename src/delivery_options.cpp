#include "delivery_options.hpp"

#include <fmt/format.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "notify/redact.hpp"

namespace tiendo::cli {

void add_delivery_options(CLI::App& command, DeliveryOptions& options) {
  command.add_option("--smtp", options.smtp, "SMTP server for e-mail channels (smtp://host:port)");
  command.add_option("--smtp-from", options.smtp_from, "The From address of alert e-mail");
  command
      .add_option("--smtp-starttls", options.smtp_starttls,
                  "smtp://: 'required' (default; never falls back to plain text) or 'none'")
      ->check(CLI::IsMember({"required", "none"}));
  command.add_option("--connect-timeout", options.connect_timeout,
                     "Connection timeout of each delivery (default 5s)");
  command.add_option("--timeout", options.timeout,
                     "Total timeout of each webhook call (default 15s)");
  command.add_option("--retry-initial", options.retry_initial,
                     "First retry delay; delays double from it (default 30s)");
  command.add_option("--retry-max", options.retry_max, "Longest retry delay (default 1h)");
  command.add_option("--max-age", options.max_age,
                     "Give a message up after this long, as a dead letter (default 24h)");
  command.add_option("--ca-file", options.ca_file,
                     "PEM file of the certificate authorities to trust for https:// webhooks and "
                     "SMTP TLS, instead of the system's (certificates are always verified)");
}

std::optional<notify::DeliverySettings> delivery_settings(std::string_view command,
                                                          const DeliveryOptions& options) {
  notify::DeliverySettings settings;
  const auto duration = [&](const char* name, const std::string& text, std::chrono::seconds& out,
                            std::chrono::seconds max = model::kMaxClockDuration) {
    std::string error;
    const auto parsed = notify::parse_clock_duration(text, error, max);
    if (!parsed) {
      std::fprintf(stderr, "tiendo %.*s: %s: %s\n", static_cast<int>(command.size()),
                   command.data(), name, error.c_str());
      return false;
    }
    out = *parsed;
    return true;
  };
  std::chrono::seconds connect{}, total{};
  if (!duration("--connect-timeout", options.connect_timeout, connect, notify::kMaxTimeout) ||
      !duration("--timeout", options.timeout, total, notify::kMaxTimeout) ||
      !duration("--retry-initial", options.retry_initial, settings.retry.initial) ||
      !duration("--retry-max", options.retry_max, settings.retry.ceiling) ||
      !duration("--max-age", options.max_age, settings.retry.max_age)) {
    return std::nullopt;
  }
  if (settings.retry.ceiling < settings.retry.initial) {
    std::fprintf(stderr, "tiendo %.*s: --retry-max is shorter than --retry-initial\n",
                 static_cast<int>(command.size()), command.data());
    return std::nullopt;
  }
  settings.connect_timeout = connect;
  settings.total_timeout = total;
  if (!options.ca_file.empty()) {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(options.ca_file, ec) ||
        std::ifstream(options.ca_file).fail()) {
      std::fprintf(stderr, "tiendo %.*s: --ca-file: cannot read '%s'\n",
                   static_cast<int>(command.size()), command.data(), options.ca_file.c_str());
      return std::nullopt;
    }
    settings.ca_file = options.ca_file;
  }
  if (!options.smtp.empty()) {
    if (options.smtp.rfind("smtp://", 0) != 0 && options.smtp.rfind("smtps://", 0) != 0) {
      std::fprintf(stderr,
                   "tiendo %.*s: --smtp: '%s' is not smtp://host:port or smtps://host:port\n",
                   static_cast<int>(command.size()), command.data(),
                   notify::redact_url(options.smtp).c_str());
      return std::nullopt;
    }
    notify::SmtpSettings smtp;
    smtp.url = options.smtp;
    smtp.require_starttls = options.smtp_starttls == "required";
    smtp.connect_timeout = connect;
    settings.smtp = smtp;
  }
  settings.smtp_from = options.smtp_from;
  return settings;
}

bool deliver_and_report(std::string_view command, store::Database& db,
                        const notify::DeliverySettings& settings, notify::DeliveryReport& report) {
  auto delivered = notify::deliver_due(db, settings, [] { return notify::Clock::now(); });
  if (auto* error = std::get_if<store::DbError>(&delivered)) {
    std::fprintf(stderr, "tiendo %.*s: %s\n", static_cast<int>(command.size()), command.data(),
                 error->message.c_str());
    return false;
  }
  report = std::move(std::get<notify::DeliveryReport>(delivered));
  for (const std::string& line : report.lines) {
    std::fprintf(stderr, "deliver: %s\n", line.c_str());
  }
  return true;
}

}  // namespace tiendo::cli

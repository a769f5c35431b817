#include "service/log.hpp"

#include <fmt/format.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <nlohmann/json.hpp>

#include "notify/outbox.hpp"
#include "util/text.hpp"

namespace tiendo::service {

namespace {

// Text values are escaped and capped; those with spaces, quotes or '=' are then quoted,
// so a line splits back into fields.
std::string text_value(std::string_view raw) {
  const std::string v = util::cap_for_display(raw, Log::kMaxFieldBytes);
  const bool plain = !v.empty() && v.find_first_of(" \"=") == std::string::npos;
  if (plain) return v;
  return nlohmann::json(v).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string utc_now_millis() {
  const auto now = std::chrono::system_clock::now();
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()) % 1000;
  std::string base = notify::format_utc(now);  // "…T02:00:00Z"
  base.pop_back();
  return fmt::format("{}.{:03d}Z", base, static_cast<int>(ms.count()));
}

}  // namespace

Log::Log(std::shared_ptr<spdlog::logger> logger, LogFormat format)
    : logger_(std::move(logger)), format_(format) {}

std::string Log::render(LogFormat format, std::string_view level, std::string_view message,
                        std::initializer_list<LogField> fields) {
  if (format == LogFormat::json) {
    nlohmann::ordered_json line;
    line["time"] = utc_now_millis();
    line["level"] = level;
    line["msg"] = util::cap_utf8(message, kMaxFieldBytes);
    for (const LogField& f : fields) {
      std::visit(
          [&](const auto& v) {
            using T = std::decay_t<decltype(v)>;
            if constexpr (std::is_same_v<T, JsonText>) {
              // Nested when it parses (and is not too long to); otherwise kept, as a string.
              const bool fits = v.text.size() <= kMaxFieldBytes;
              nlohmann::ordered_json nested;
              if (fits) nested = nlohmann::ordered_json::parse(v.text, nullptr, false);
              if (!fits || nested.is_discarded()) nested = util::cap_utf8(v.text, kMaxFieldBytes);
              line[std::string(f.key)] = std::move(nested);
            } else if constexpr (std::is_same_v<T, std::string_view>) {
              line[std::string(f.key)] = util::cap_utf8(v, kMaxFieldBytes);
            } else {
              line[std::string(f.key)] = v;
            }
          },
          f.value);
    }
    return line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  }
  // The level as the JSON lines name it (spdlog's %l would say "warning").
  std::string out = fmt::format("{} {}", level, util::cap_for_display(message, kMaxFieldBytes));
  for (const LogField& f : fields) {
    out += fmt::format(" {}=", f.key);
    std::visit(
        [&](const auto& v) {
          using T = std::decay_t<decltype(v)>;
          if constexpr (std::is_same_v<T, std::string_view>) {
            out += text_value(v);
          } else if constexpr (std::is_same_v<T, JsonText>) {
            out += util::cap_for_display(v.text, kMaxFieldBytes);
          } else if constexpr (std::is_same_v<T, bool>) {
            out += v ? "true" : "false";
          } else if constexpr (std::is_same_v<T, double>) {
            out += fmt::format("{:.3f}", v);
          } else {
            out += fmt::format("{}", v);
          }
        },
        f.value);
  }
  return out;
}

void Log::write(int level, std::string_view name, std::string_view message,
                std::initializer_list<LogField> fields) const {
  const auto spd_level = static_cast<spdlog::level::level_enum>(level);
  if (!logger_->should_log(spd_level)) return;
  logger_->log(spd_level, "{}", render(format_, name, message, fields));
}

void Log::info(std::string_view message, std::initializer_list<LogField> fields) const {
  write(spdlog::level::info, "info", message, fields);
}
void Log::warn(std::string_view message, std::initializer_list<LogField> fields) const {
  write(spdlog::level::warn, "warn", message, fields);
}
void Log::error(std::string_view message, std::initializer_list<LogField> fields) const {
  write(spdlog::level::err, "error", message, fields);
}

std::shared_ptr<Log> make_stderr_log(LogFormat format) {
  auto logger =
      std::make_shared<spdlog::logger>("tiendo", std::make_shared<spdlog::sinks::stderr_sink_mt>());
  if (format == LogFormat::json) {
    logger->set_pattern("%v");
  } else {
    logger->set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %v", spdlog::pattern_time_type::utc);
  }
  logger->flush_on(spdlog::level::info);
  return std::make_shared<Log>(std::move(logger), format);
}

}  // namespace tiendo::service

// The service's log: one line per event, to the spdlog logger it is given, as text
// ("2026-11-28T02:00:00.120Z info run finished id=3 results=42") or as JSON lines
// ({"time":…,"level":"info","msg":"run finished","id":3,"results":42}) for collectors.
// Fields are typed so that JSON keeps numbers as numbers. Whatever a value holds (a
// receiver's error, a request's path), a line is one line of bounded size: every text
// value is capped at kMaxFieldBytes, and in text lines escaped (util::cap_for_display).
#pragma once

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace spdlog {
class logger;
}

namespace tiendo::service {

enum class LogFormat { text, json };

// A value that is JSON text already (a run's summary): nested as it is in a JSON line,
// written as it is in a text one.
struct JsonText {
  std::string_view text;
};
using LogValue = std::variant<std::string_view, std::int64_t, double, bool, JsonText>;
struct LogField {
  std::string_view key;
  LogValue value;
  LogField(std::string_view k, std::string_view v) : key(k), value(v) {}
  LogField(std::string_view k, const std::string& v) : key(k), value(std::string_view(v)) {}
  LogField(std::string_view k, const char* v) : key(k), value(std::string_view(v)) {}
  LogField(std::string_view k, std::int64_t v) : key(k), value(v) {}
  LogField(std::string_view k, int v) : key(k), value(std::int64_t{v}) {}
  LogField(std::string_view k, std::size_t v) : key(k), value(static_cast<std::int64_t>(v)) {}
  LogField(std::string_view k, double v) : key(k), value(v) {}
  LogField(std::string_view k, bool v) : key(k), value(v) {}
  LogField(std::string_view k, JsonText v) : key(k), value(v) {}
};

class Log {
 public:
  // The longest text value, in bytes (then "… (N bytes more)"): a whole delivery error
  // (notify::kMaxErrorBytes) fits.
  static constexpr std::size_t kMaxFieldBytes = 1024;

  // Logs to `logger`; a text logger should carry the time in its pattern, a JSON one
  // only "%v" (the line carries it); both lines carry the level. See make_stderr_log.
  Log(std::shared_ptr<spdlog::logger> logger, LogFormat format);

  void info(std::string_view message, std::initializer_list<LogField> fields = {}) const;
  void warn(std::string_view message, std::initializer_list<LogField> fields = {}) const;
  void error(std::string_view message, std::initializer_list<LogField> fields = {}) const;

  // One line as it would be written, without the text format's time prefix.
  static std::string render(LogFormat format, std::string_view level, std::string_view message,
                            std::initializer_list<LogField> fields);

 private:
  void write(int level, std::string_view name, std::string_view message,
             std::initializer_list<LogField> fields) const;
  std::shared_ptr<spdlog::logger> logger_;
  LogFormat format_;
};

// A log to standard error (thread-safe), times in UTC.
std::shared_ptr<Log> make_stderr_log(LogFormat format);

}  // namespace tiendo::service

#include "service/config.hpp"

#include <date/tz.h>
#include <fmt/format.h>
#include <toml++/toml.h>

#include <charconv>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "notify/redact.hpp"
#include "store/database.hpp"

namespace tiendo::service {

namespace {

// Reads one TOML document into a ServiceConfig, collecting every error with its place.
class Reader {
 public:
  Reader(std::string path, std::vector<ConfigError>& errors)
      : path_(std::move(path)), errors_(errors) {}

  void error(const toml::node* node, std::string message) {
    std::string where = path_;
    if (node && node->source().begin) {
      where += fmt::format(":{}:{}", node->source().begin.line, node->source().begin.column);
    }
    errors_.push_back({std::move(where), std::move(message)});
  }

  // Every key of `table` must be one of `known`.
  void only(const toml::table& table, std::string_view prefix,
            std::initializer_list<std::string_view> known) {
    for (const auto& [key, node] : table) {
      if (std::find(known.begin(), known.end(), key.str()) != known.end()) continue;
      std::string list;
      for (std::string_view k : known) list += (list.empty() ? "" : ", ") + std::string(k);
      std::string where = path_;
      if (key.source().begin) {
        where += fmt::format(":{}:{}", key.source().begin.line, key.source().begin.column);
      }
      errors_.push_back({std::move(where), fmt::format("unknown key '{}{}' (known here: {})",
                                                       prefix, key.str(), list)});
    }
  }

  std::optional<std::string> text(const toml::table& table, std::string_view key,
                                  std::string_view name) {
    const toml::node* node = table.get(key);
    if (!node) return std::nullopt;
    if (const auto* s = node->as_string()) return s->get();
    error(node, fmt::format("{} is a string", name));
    return std::nullopt;
  }

  std::optional<std::int64_t> integer(const toml::table& table, std::string_view key,
                                      std::string_view name, std::int64_t low, std::int64_t high) {
    const toml::node* node = table.get(key);
    if (!node) return std::nullopt;
    const auto* v = node->as_integer();
    if (!v || v->get() < low || v->get() > high) {
      error(node, fmt::format("{} is a whole number from {} to {}", name, low, high));
      return std::nullopt;
    }
    return v->get();
  }

  // "30s", "5m", "2h", "1d".
  // Between 1s and `max` (at most model::kMaxClockDuration).
  std::optional<std::chrono::seconds> duration(
      const toml::table& table, std::string_view key, std::string_view name,
      std::chrono::seconds max = model::kMaxClockDuration) {
    const auto value = text(table, key, name);
    if (!value) return std::nullopt;
    std::string why;
    const auto parsed = notify::parse_clock_duration(*value, why, max);
    if (!parsed) {
      error(table.get(key), fmt::format("{}: {}", name, why));
      return std::nullopt;
    }
    return parsed;
  }

  std::string resolve(const std::string& relative) const {
    const std::filesystem::path p(relative);
    if (p.is_absolute()) return relative;
    const std::filesystem::path base = std::filesystem::path(path_).parent_path();
    return (base / p).lexically_normal().string();
  }

  bool time_zone(const toml::table& table, std::string_view key, std::string& out) {
    const auto value = text(table, key, key);
    if (!value) return true;
    try {
      (void)date::locate_zone(*value);
    } catch (const std::exception&) {
      error(table.get(key), fmt::format("unknown time zone '{}' (an IANA name such as "
                                        "Asia/Ho_Chi_Minh)",
                                        *value));
      return false;
    }
    out = *value;
    return true;
  }

 private:
  std::string path_;
  std::vector<ConfigError>& errors_;
};

std::optional<ListenAddress> parse_listen(std::string_view text) {
  const std::size_t colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0) return std::nullopt;
  ListenAddress a;
  a.host = std::string(text.substr(0, colon));
  if (a.host.size() >= 2 && a.host.front() == '[' && a.host.back() == ']') {
    a.host = a.host.substr(1, a.host.size() - 2);
  }
  const std::string_view port = text.substr(colon + 1);
  const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), a.port);
  if (ec != std::errc() || end != port.data() + port.size() || a.port < 0 || a.port > 65535) {
    return std::nullopt;
  }
  return a;
}

}  // namespace

bool ListenAddress::loopback() const {
  return host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0;
}

std::optional<ServiceConfig> parse_config(const std::string& text, const std::string& path,
                                          std::vector<ConfigError>& errors) {
  const std::size_t errors_before = errors.size();
  toml::table doc;
  try {
    doc = toml::parse(text, path);
  } catch (const toml::parse_error& e) {
    errors.push_back({fmt::format("{}:{}:{}", path, e.source().begin.line, e.source().begin.column),
                      std::string(e.description())});
    return std::nullopt;
  }
  Reader r(path, errors);
  ServiceConfig c;
  c.path = path;
  std::string error;
  c.schedule = *CronSchedule::parse("0 2 * * *", error);
  r.only(
      doc, "",
      {"listen", "database", "rules", "tokens", "time_zone", "max_days_ahead", "min_free_disk_mb",
       "dashboard_public", "schedule", "smtp", "delivery", "limits", "retention", "instance"});

  if (const auto listen = r.text(doc, "listen", "listen")) {
    if (const auto parsed = parse_listen(*listen)) {
      c.listen = *parsed;
    } else {
      r.error(doc.get("listen"),
              fmt::format("listen: '{}' is not HOST:PORT (e.g. \"127.0.0.1:8080\")", *listen));
    }
  }
  if (const auto db = r.text(doc, "database", "database")) {
    // A PostgreSQL URL as it is; a file beside the configuration.
    c.database = store::is_postgres_url(*db) ? *db : r.resolve(*db);
    if (store::is_postgres_url(*db) && store::displayed_location(*db) != *db) {
      r.error(doc.get("database"),
              "database: the URL carries a password; give it in the PGPASSWORD environment "
              "variable or a password file (PGPASSFILE, ~/.pgpass), never in the configuration");
    }
  } else if (!doc.get("database")) {
    r.error(nullptr,
            "database is required (the SQLite file, e.g. database = \"tiendo.db\", or a "
            "PostgreSQL URL, database = \"postgresql://tiendo@db.example/tiendo\")");
  }
  if (const toml::node* rules = doc.get("rules")) {
    if (const auto* one = rules->as_string()) {
      c.rules.push_back(r.resolve(one->get()));
    } else if (const auto* list = rules->as_array()) {
      for (const toml::node& item : *list) {
        if (const auto* s = item.as_string()) {
          c.rules.push_back(r.resolve(s->get()));
        } else {
          r.error(&item, "rules lists paths (strings)");
        }
      }
    } else {
      r.error(rules, "rules is a path or a list of paths");
    }
  }
  if (c.rules.empty() && !doc.get("rules")) {
    r.error(nullptr, "rules is required (a rule file or directory, or a list of them)");
  }
  if (const auto tokens = r.text(doc, "tokens", "tokens")) c.tokens = r.resolve(*tokens);
  if (const toml::node* node = doc.get("dashboard_public")) {
    if (const auto* b = node->as_boolean()) {
      c.dashboard_public = b->get();
    } else {
      r.error(node, "dashboard_public is true or false");
    }
  }
  r.time_zone(doc, "time_zone", c.time_zone);
  if (const auto instance = r.text(doc, "instance", "instance")) {
    if (instance->empty() || instance->size() > 200) {
      r.error(doc.get("instance"), "instance: a name of 1 to 200 characters (e.g. \"tiendo-a\")");
    } else {
      c.instance = *instance;
    }
  }
  c.schedule_time_zone = c.time_zone;
  if (auto v = r.integer(doc, "max_days_ahead", "max_days_ahead", 0, 366)) {
    c.max_days_ahead = static_cast<int>(*v);
  }
  if (auto v = r.integer(doc, "min_free_disk_mb", "min_free_disk_mb", 0, 1LL << 30)) {
    c.min_free_disk_mb = *v;
  }

  if (const toml::node* node = doc.get("schedule")) {
    if (const auto* table = node->as_table()) {
      r.only(*table, "schedule.", {"cron", "time_zone", "catch_up", "cores"});
      if (const auto cron = r.text(*table, "cron", "schedule.cron")) {
        std::string why;
        if (auto parsed = CronSchedule::parse(*cron, why)) {
          c.schedule = *parsed;
        } else {
          r.error(table->get("cron"), "schedule.cron: " + why);
        }
      }
      r.time_zone(*table, "time_zone", c.schedule_time_zone);
      if (const toml::node* catch_up = table->get("catch_up")) {
        if (const auto* b = catch_up->as_boolean()) {
          c.catch_up = b->get();
        } else {
          r.error(catch_up, "schedule.catch_up is true or false");
        }
      }
      if (auto v = r.integer(*table, "cores", "schedule.cores", 1, 1024)) {
        c.evaluation_cores = static_cast<unsigned>(*v);
      }
    } else {
      r.error(node, "schedule is a table: [schedule] with cron and time_zone");
    }
  }

  if (const toml::node* node = doc.get("smtp")) {
    if (const auto* table = node->as_table()) {
      r.only(*table, "smtp.", {"url", "from", "starttls", "username_env", "password_env"});
      notify::SmtpSettings smtp;
      if (const auto url = r.text(*table, "url", "smtp.url")) {
        if (url->rfind("smtp://", 0) != 0 && url->rfind("smtps://", 0) != 0) {
          r.error(table->get("url"),
                  fmt::format("smtp.url: '{}' is not smtp://host:port or smtps://host:port",
                              notify::redact_url(*url)));
        }
        smtp.url = *url;
      } else {
        r.error(node, "smtp.url is required in [smtp]");
      }
      if (const auto from = r.text(*table, "from", "smtp.from")) c.delivery.smtp_from = *from;
      if (const auto tls = r.text(*table, "starttls", "smtp.starttls")) {
        if (*tls != "required" && *tls != "none") {
          r.error(table->get("starttls"),
                  fmt::format("smtp.starttls is \"required\" or \"none\", not '{}'", *tls));
        }
        smtp.require_starttls = *tls != "none";
      }
      if (const auto user = r.text(*table, "username_env", "smtp.username_env")) {
        smtp.username_env = *user;
      }
      if (const auto pass = r.text(*table, "password_env", "smtp.password_env")) {
        smtp.password_env = *pass;
      }
      c.delivery.smtp = smtp;
    } else {
      r.error(node, "smtp is a table: [smtp] with url, from and starttls");
    }
  }

  if (const toml::node* node = doc.get("delivery")) {
    if (const auto* table = node->as_table()) {
      r.only(*table, "delivery.",
             {"retry_initial", "retry_max", "max_age", "connect_timeout", "timeout", "ca_file"});
      if (auto d = r.duration(*table, "retry_initial", "delivery.retry_initial")) {
        c.delivery.retry.initial = *d;
      }
      if (auto d = r.duration(*table, "retry_max", "delivery.retry_max")) {
        c.delivery.retry.ceiling = *d;
      }
      if (auto d = r.duration(*table, "max_age", "delivery.max_age")) c.delivery.retry.max_age = *d;
      if (auto d = r.duration(*table, "connect_timeout", "delivery.connect_timeout",
                              notify::kMaxTimeout)) {
        c.delivery.connect_timeout = *d;
      }
      if (auto d = r.duration(*table, "timeout", "delivery.timeout", notify::kMaxTimeout)) {
        c.delivery.total_timeout = *d;
      }
      if (c.delivery.retry.ceiling < c.delivery.retry.initial) {
        r.error(node, "delivery.retry_max is shorter than delivery.retry_initial");
      }
      if (const auto ca = r.text(*table, "ca_file", "delivery.ca_file"); ca && !ca->empty()) {
        c.delivery.ca_file = r.resolve(*ca);
        // Found out now rather than as a TLS failure at the first delivery.
        std::error_code ec;
        if (!std::filesystem::is_regular_file(c.delivery.ca_file, ec) ||
            std::ifstream(c.delivery.ca_file).fail()) {
          r.error(table->get("ca_file"),
                  fmt::format("delivery.ca_file: cannot read '{}'", c.delivery.ca_file));
        }
      }
    } else {
      r.error(node, "delivery is a table: [delivery]");
    }
  }
  if (c.delivery.smtp) c.delivery.smtp->connect_timeout = c.delivery.connect_timeout;

  if (const toml::node* node = doc.get("retention")) {
    if (const auto* table = node->as_table()) {
      r.only(*table, "retention.", {"older_than"});
      // At least a day: a run's results are what the next runs compare with, and what the
      // API answers for the last day's runs.
      if (auto d = r.duration(*table, "older_than", "retention.older_than")) {
        if (*d < std::chrono::hours(24)) {
          r.error(table->get("older_than"),
                  "retention.older_than: at least 1d (runs of the last day are always kept)");
        } else {
          c.retention = *d;
        }
      }
    } else {
      r.error(node, "retention is a table: [retention] with older_than");
    }
  }

  if (const toml::node* node = doc.get("limits")) {
    if (const auto* table = node->as_table()) {
      r.only(*table, "limits.",
             {"max_body_bytes", "read_timeout", "write_timeout", "threads", "queue",
              "keep_alive_timeout", "header_timeout", "max_connections"});
      if (auto v = r.integer(*table, "max_body_bytes", "limits.max_body_bytes", 1024,
                             std::int64_t{1} << 30)) {
        c.limits.max_body_bytes = static_cast<std::size_t>(*v);
      }
      if (auto d = r.duration(*table, "read_timeout", "limits.read_timeout", notify::kMaxTimeout)) {
        c.limits.read_timeout = *d;
      }
      if (auto d =
              r.duration(*table, "write_timeout", "limits.write_timeout", notify::kMaxTimeout)) {
        c.limits.write_timeout = *d;
      }
      if (auto v = r.integer(*table, "threads", "limits.threads", 1, 256)) {
        c.limits.threads = static_cast<std::size_t>(*v);
      }
      if (auto v = r.integer(*table, "queue", "limits.queue", 1, 100000)) {
        c.limits.queue = static_cast<std::size_t>(*v);
      }
      // At most 10m: an idle connection holds a socket; at most 5m for a head, which holds
      // a connection while it trickles in.
      if (auto d = r.duration(*table, "keep_alive_timeout", "limits.keep_alive_timeout",
                              std::chrono::minutes(10))) {
        c.limits.keep_alive_timeout = *d;
      }
      if (auto d = r.duration(*table, "header_timeout", "limits.header_timeout",
                              std::chrono::minutes(5))) {
        c.limits.header_timeout = *d;
      }
      // 16 at least: fewer, and a handful of idle kept-alive connections (a proxy's) would
      // lock every other client out.
      if (auto v = r.integer(*table, "max_connections", "limits.max_connections", 16, 1000000)) {
        c.limits.max_connections = static_cast<std::size_t>(*v);
      }
    } else {
      r.error(node, "limits is a table: [limits]");
    }
  }
  if (errors.size() != errors_before) return std::nullopt;
  return c;
}

std::optional<ServiceConfig> load_config(const std::string& path,
                                         std::vector<ConfigError>& errors) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    errors.push_back({path, "cannot read the configuration file"});
    return std::nullopt;
  }
  std::ostringstream text;
  text << in.rdbuf();
  return parse_config(text.str(), path, errors);
}

}  // namespace tiendo::service

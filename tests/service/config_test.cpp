// The service configuration: the example file, defaults, relative paths, and every kind
// of mistake reported at its place.
#include "service/config.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "../e2e/run.hpp"

namespace tiendo::service {
namespace {

const std::string kSource = TIENDO_SOURCE_DIR;

std::vector<ConfigError> errors_of(const std::string& text) {
  std::vector<ConfigError> errors;
  EXPECT_FALSE(parse_config(text, "/etc/tiendo/tiendo.toml", errors).has_value()) << text;
  EXPECT_FALSE(errors.empty());
  return errors;
}

std::string first(const std::string& text) {
  const auto errors = errors_of(text);
  return errors.empty() ? std::string() : errors.front().render();
}

TEST(ServiceConfig, TheExampleFileLoads) {
  std::vector<ConfigError> errors;
  const auto c = load_config(kSource + "/examples/tiendo.toml", errors);
  ASSERT_TRUE(c.has_value()) << (errors.empty() ? "" : errors.front().render());
  EXPECT_EQ(c->listen.host, "127.0.0.1");
  EXPECT_EQ(c->listen.port, 8080);
  EXPECT_TRUE(c->listen.loopback());
  EXPECT_EQ(c->database, kSource + "/build/examples.db");
  ASSERT_EQ(c->rules.size(), 1u);
  EXPECT_EQ(c->rules[0], kSource + "/rules");
  EXPECT_EQ(c->schedule.text(), "0 2 * * *");
  EXPECT_EQ(c->schedule_time_zone, "Asia/Ho_Chi_Minh");
  EXPECT_FALSE(c->catch_up);  // the examples stay reproducible at 30/9/2022 (issue #12)
  ASSERT_TRUE(c->delivery.smtp.has_value());
  EXPECT_EQ(c->delivery.smtp->url, "smtp://127.0.0.1:2525");
  EXPECT_FALSE(c->delivery.smtp->require_starttls);
  EXPECT_EQ(c->delivery.retry.initial, std::chrono::seconds(30));
  EXPECT_EQ(c->delivery.retry.ceiling, std::chrono::seconds(3600));
  EXPECT_EQ(c->limits.max_body_bytes, 1048576u);
  EXPECT_EQ(c->limits.keep_alive_timeout, std::chrono::seconds(2));
  EXPECT_EQ(c->limits.header_timeout, std::chrono::seconds(10));
  EXPECT_EQ(c->limits.max_connections, 1024u);
}

TEST(ServiceConfig, CatchUpIsTrueOrFalseAndOnByDefault) {
  std::vector<ConfigError> errors;
  const auto c =
      parse_config("database = \"t.db\"\nrules = \"rules\"\n", "/etc/tiendo/tiendo.toml", errors);
  ASSERT_TRUE(c.has_value());
  EXPECT_TRUE(c->catch_up);
  const std::string error =
      first("database = \"t.db\"\nrules = \"rules\"\n[schedule]\ncatch_up = \"no\"\n");
  EXPECT_NE(error.find("schedule.catch_up is true or false"), std::string::npos) << error;
}

// [schedule] cores: how many cores evaluations run on; absent, all of them (0).
TEST(ServiceConfig, EvaluationCoresAreAWholeNumberAndAllByDefault) {
  std::vector<ConfigError> errors;
  const auto defaults =
      parse_config("database = \"t.db\"\nrules = \"rules\"\n", "/srv/tiendo.toml", errors);
  ASSERT_TRUE(defaults.has_value());
  EXPECT_EQ(defaults->evaluation_cores, 0u);
  const auto set = parse_config("database = \"t.db\"\nrules = \"rules\"\n[schedule]\ncores = 3\n",
                                "/srv/tiendo.toml", errors);
  ASSERT_TRUE(set.has_value()) << (errors.empty() ? "" : errors.front().render());
  EXPECT_EQ(set->evaluation_cores, 3u);
  for (const std::string bad : {"0", "-1", "1.5", "\"2\"", "2000"}) {
    const std::string error =
        first("database = \"t.db\"\nrules = \"r\"\n[schedule]\ncores = " + bad + "\n");
    EXPECT_NE(error.find("/etc/tiendo/tiendo.toml:4:"), std::string::npos) << bad << ": " << error;
    EXPECT_NE(error.find("schedule.cores is a whole number from 1 to 1024"), std::string::npos)
        << bad << ": " << error;
  }
}

// Issue #13: an SMTP URL may carry user:password; an error names it without them.
TEST(ServiceConfig, ABadSmtpUrlIsNamedWithoutItsPassword) {
  const std::string error = first(
      "database = \"t.db\"\nrules = \"rules\"\n[smtp]\n"
      "url = \"smtpx://bcd:Mat-khau-9@mail.example.org:587\"\n");
  EXPECT_NE(error.find("smtp.url: 'smtpx://mail.example.org:587'"), std::string::npos) << error;
  EXPECT_EQ(error.find("Mat-khau-9"), std::string::npos) << error;
}

// A PostgreSQL store: the URL as written (not a path beside the file), an instance name,
// and never a password in the file.
TEST(ServiceConfig, APostgresqlStoreIsAUrlWithoutAPassword) {
  std::vector<ConfigError> errors;
  const auto c = parse_config(
      "database = \"postgresql://tiendo@db.example/tiendo?sslmode=require\"\n"
      "instance = \"tiendo-a\"\nrules = \"rules\"\n",
      "/srv/tiendo.toml", errors);
  ASSERT_TRUE(c.has_value()) << (errors.empty() ? "" : errors.front().render());
  EXPECT_EQ(c->database, "postgresql://tiendo@db.example/tiendo?sslmode=require");
  EXPECT_EQ(c->instance, "tiendo-a");

  errors.clear();
  EXPECT_FALSE(parse_config("database = \"postgresql://tiendo:Mat-khau-9@db.example/tiendo\"\n"
                            "rules = \"rules\"\n",
                            "/srv/tiendo.toml", errors)
                   .has_value());
  ASSERT_EQ(errors.size(), 1u);
  const std::string error = errors.front().render();
  EXPECT_NE(error.find("/srv/tiendo.toml:1:"), std::string::npos) << error;
  EXPECT_NE(error.find("PGPASSWORD"), std::string::npos) << error;
  EXPECT_EQ(error.find("Mat-khau-9"), std::string::npos) << error;

  errors.clear();
  EXPECT_FALSE(parse_config("database = \"t.db\"\ninstance = \"\"\nrules = \"rules\"\n",
                            "/srv/t.toml", errors)
                   .has_value());
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors.front().render().find("instance"), std::string::npos);
}

TEST(ServiceConfig, DefaultsFillWhatIsNotSaid) {
  std::vector<ConfigError> errors;
  const auto c =
      parse_config("database = \"t.db\"\nrules = \"rules\"\n", "/srv/tiendo.toml", errors);
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->database, "/srv/t.db");
  EXPECT_EQ(c->rules, std::vector<std::string>{"/srv/rules"});
  EXPECT_EQ(c->listen.host, "127.0.0.1");  // loopback unless told otherwise
  EXPECT_EQ(c->listen.port, 8080);
  EXPECT_EQ(c->schedule.text(), "0 2 * * *");
  EXPECT_EQ(c->time_zone, "Asia/Ho_Chi_Minh");
  EXPECT_FALSE(c->delivery.smtp.has_value());
  EXPECT_EQ(c->delivery.retry.max_age, std::chrono::hours(24));
  EXPECT_EQ(c->limits.queue, 64u);
  EXPECT_EQ(c->limits.keep_alive_timeout, std::chrono::seconds(2));
  EXPECT_EQ(c->limits.header_timeout, std::chrono::seconds(10));
  EXPECT_EQ(c->limits.max_connections, 1024u);
}

TEST(ServiceConfig, TheHeadDeadlineAndTheConnectionBoundAreRead) {
  std::vector<ConfigError> errors;
  const auto c = parse_config(
      "database = \"t.db\"\nrules = \"rules\"\n[limits]\nheader_timeout = \"3s\"\n"
      "max_connections = 200\n",
      "/srv/tiendo.toml", errors);
  ASSERT_TRUE(c.has_value()) << (errors.empty() ? "" : errors.front().render());
  EXPECT_EQ(c->limits.header_timeout, std::chrono::seconds(3));
  EXPECT_EQ(c->limits.max_connections, 200u);

  const std::string base = "database = \"t.db\"\nrules = \"rules\"\n[limits]\n";
  EXPECT_EQ(first(base + "header_timeout = \"soon\"\n"),
            "/etc/tiendo/tiendo.toml:4:18: error: limits.header_timeout: 'soon' is not a "
            "duration; write e.g. 30s, 5m, 2h or 1d");
  EXPECT_NE(first(base + "header_timeout = \"0s\"\n").find("out of range"), std::string::npos);
  EXPECT_EQ(first(base + "header_timeout = \"6m\"\n"),
            "/etc/tiendo/tiendo.toml:4:18: error: limits.header_timeout: '6m' is out of range: "
            "from 1s to 5m");
  EXPECT_EQ(first(base + "max_connections = 8\n"),
            "/etc/tiendo/tiendo.toml:4:19: error: limits.max_connections is a whole number from 16 "
            "to 1000000");
  EXPECT_NE(
      first(base + "max_connections = \"many\"\n").find(":4:19: error: limits.max_connections"),
      std::string::npos);
  EXPECT_NE(first(base + "max_connection = 100\n")
                .find(":4:1: error: unknown key 'limits.max_connection'"),
            std::string::npos);
}

TEST(ServiceConfig, MistakesAreNamedAtTheirPlace) {
  const std::string base = "database = \"t.db\"\nrules = \"rules\"\n";
  EXPECT_EQ(first(base + "listen = \"8080\"\n"),
            "/etc/tiendo/tiendo.toml:3:10: error: listen: '8080' is not HOST:PORT (e.g. "
            "\"127.0.0.1:8080\")");
  EXPECT_NE(first(base + "lisen = \"127.0.0.1:80\"\n").find(":3:1: error: unknown key 'lisen'"),
            std::string::npos);
  EXPECT_NE(first(base + "[schedule]\ncron = \"0 25 * * *\"\n").find("schedule.cron: hour"),
            std::string::npos);
  EXPECT_NE(first(base + "[schedule]\ntime_zone = \"Asia/Hanoi_City\"\n").find("unknown time zone"),
            std::string::npos);
  EXPECT_NE(first(base + "[delivery]\nretry_initial = \"soon\"\n")
                .find(":4:17: error: "
                      "delivery.retry_initial"),
            std::string::npos);
  EXPECT_NE(
      first(base + "[delivery]\nretry_initial = \"2h\"\nretry_max = \"1h\"\n").find("shorter"),
      std::string::npos);
  EXPECT_NE(first(base + "[smtp]\nurl = \"http://mail\"\n").find("smtp.url"), std::string::npos);
  EXPECT_NE(first(base + "[smtp]\nfrom = \"a@b\"\n").find("smtp.url is required"),
            std::string::npos);
  EXPECT_NE(first(base + "[smtp]\nurl = \"smtp://m:25\"\nstarttls = \"maybe\"\n").find("starttls"),
            std::string::npos);
  EXPECT_NE(first(base + "[limits]\nthreads = 0\n").find("limits.threads is a whole number"),
            std::string::npos);
  EXPECT_NE(first(base + "[limits]\nqueue = \"many\"\n").find("limits.queue"), std::string::npos);
  EXPECT_NE(first(base + "[limits]\nkeep_alive_timeout = \"1h\"\n")
                .find("limits.keep_alive_timeout: '1h' is out of range: from 1s to 10m"),
            std::string::npos);
  EXPECT_NE(first(base + "[limits]\nkeep_alive_timeout = \"0s\"\n").find("out of range"),
            std::string::npos);
  EXPECT_NE(first(base + "[limits]\nbogus = 1\n").find("unknown key 'limits.bogus'"),
            std::string::npos);
  EXPECT_NE(first(base + "schedule = \"0 2 * * *\"\n").find("schedule is a table"),
            std::string::npos);
  EXPECT_NE(first("rules = \"r\"\n").find("database is required"), std::string::npos);
  EXPECT_NE(first("database = \"d\"\n").find("rules is required"), std::string::npos);
  EXPECT_NE(first(base + "rules = [1]\n").find("tiendo.toml:"), std::string::npos);
  // A TOML syntax error names its line and column too.
  EXPECT_NE(first("database = \"t.db\nrules = 1\n").find("/etc/tiendo/tiendo.toml:1:"),
            std::string::npos);
  // Several mistakes are all reported.
  EXPECT_EQ(errors_of(base + "a = 1\nb = 2\n").size(), 2u);
}

TEST(ServiceConfig, TheRunDateMarginAndTheFreeSpaceAreBounded) {
  std::vector<ConfigError> errors;
  const auto defaults =
      parse_config("database = \"t.db\"\nrules = \"rules\"\n", "/srv/tiendo.toml", errors);
  ASSERT_TRUE(defaults.has_value());
  EXPECT_EQ(defaults->max_days_ahead, 1);
  EXPECT_EQ(defaults->min_free_disk_mb, 64);
  const auto set = parse_config(
      "database = \"t.db\"\nrules = \"rules\"\nmax_days_ahead = 0\nmin_free_disk_mb = 1024\n",
      "/srv/tiendo.toml", errors);
  ASSERT_TRUE(set.has_value()) << (errors.empty() ? "" : errors.front().render());
  EXPECT_EQ(set->max_days_ahead, 0);
  EXPECT_EQ(set->min_free_disk_mb, 1024);
  EXPECT_NE(first("database = \"t.db\"\nrules = \"r\"\nmax_days_ahead = 400\n")
                .find("/etc/tiendo/tiendo.toml:3:"),
            std::string::npos);
  EXPECT_NE(
      first("database = \"t.db\"\nrules = \"r\"\nmax_days_ahead = -1\n").find("max_days_ahead"),
      std::string::npos);
  EXPECT_NE(first("database = \"t.db\"\nrules = \"r\"\nmin_free_disk_mb = \"64MB\"\n")
                .find("min_free_disk_mb"),
            std::string::npos);
}

// Issue #15: [retention] older_than, at least a day; absent, nothing is pruned.
TEST(ServiceConfig, RetentionIsADurationOfADayOrMore) {
  std::vector<ConfigError> errors;
  const auto none =
      parse_config("database = \"t.db\"\nrules = \"rules\"\n", "/srv/tiendo.toml", errors);
  ASSERT_TRUE(none.has_value());
  EXPECT_FALSE(none->retention);
  const auto set =
      parse_config("database = \"t.db\"\nrules = \"rules\"\n[retention]\nolder_than = \"400d\"\n",
                   "/srv/tiendo.toml", errors);
  ASSERT_TRUE(set.has_value()) << (errors.empty() ? "" : errors.front().render());
  ASSERT_TRUE(set->retention);
  EXPECT_EQ(*set->retention, std::chrono::hours(24 * 400));
  EXPECT_EQ(first("database = \"t.db\"\nrules = \"r\"\n[retention]\nolder_than = \"2h\"\n"),
            "/etc/tiendo/tiendo.toml:4:14: error: retention.older_than: at least 1d (runs of the "
            "last day are always kept)");
  EXPECT_NE(first("database = \"t.db\"\nrules = \"r\"\n[retention]\nolder_than = \"soon\"\n")
                .find("retention.older_than: 'soon' is not a duration"),
            std::string::npos);
  EXPECT_NE(first("database = \"t.db\"\nrules = \"r\"\n[retention]\nkeep = \"400d\"\n")
                .find("retention.keep"),
            std::string::npos);
  EXPECT_NE(first("database = \"t.db\"\nrules = \"r\"\nretention = \"400d\"\n")
                .find("retention is a table"),
            std::string::npos);
}

// Issue #13: durations were bounded as numbers, not in seconds, and overflowed the
// clock's nanoseconds (a max_age of 106752d gave a message up on its first failure).
TEST(ServiceConfig, DurationsAreBoundedInSecondsAndNameTheirRange) {
  const std::string base = "database = \"t.db\"\nrules = \"rules\"\n";
  EXPECT_EQ(first(base + "[delivery]\nmax_age = \"106752d\"\n"),
            "/etc/tiendo/tiendo.toml:4:11: error: delivery.max_age: '106752d' is out of range: "
            "from 1s to 3650d (10 years)");
  EXPECT_NE(first(base + "[delivery]\nretry_max = \"9223372036854775807s\"\n")
                .find("delivery.retry_max: '9223372036854775807s' is out of range"),
            std::string::npos);
  for (const char* key : {"delivery]\nconnect_timeout", "delivery]\ntimeout",
                          "limits]\nread_timeout", "limits]\nwrite_timeout"}) {
    const std::string text = base + "[" + key + " = \"2h\"\n";
    EXPECT_NE(first(text).find("'2h' is out of range: from 1s to 1h"), std::string::npos) << text;
  }
  std::vector<ConfigError> errors;
  const auto c = parse_config(base +
                                  "[delivery]\nmax_age = \"3650d\"\nretry_max = \"87600h\"\n"
                                  "timeout = \"1h\"\n[limits]\nread_timeout = \"60m\"\n",
                              "/etc/tiendo/tiendo.toml", errors);
  ASSERT_TRUE(c.has_value()) << (errors.empty() ? "" : errors.front().render());
  EXPECT_EQ(c->delivery.retry.max_age, model::kMaxClockDuration);
  EXPECT_EQ(c->delivery.retry.ceiling, model::kMaxClockDuration);
  EXPECT_EQ(c->delivery.total_timeout, std::chrono::hours(1));
  EXPECT_EQ(c->limits.read_timeout, std::chrono::hours(1));
}

// [delivery] ca_file: the authorities TLS receivers must chain to, relative to the file;
// one that cannot be read is an error at its place, not a TLS failure at the first send.
TEST(ServiceConfig, TheCaFileIsResolvedAndMustBeReadable) {
  testing::TempDir dir;
  testing::write_text(dir.path() + "/private-ca.pem", "-----BEGIN CERTIFICATE-----\n");
  const std::string base = "database = \"t.db\"\nrules = \"rules\"\n";
  std::vector<ConfigError> errors;
  auto c = parse_config(base + "[delivery]\nca_file = \"private-ca.pem\"\n",
                        dir.path() + "/tiendo.toml", errors);
  ASSERT_TRUE(c.has_value()) << (errors.empty() ? "" : errors.front().render());
  EXPECT_EQ(c->delivery.ca_file, dir.path() + "/private-ca.pem");
  c = parse_config(base, dir.path() + "/tiendo.toml", errors);
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->delivery.ca_file, "");  // the system's authorities

  EXPECT_EQ(first(base + "[delivery]\nca_file = \"missing.pem\"\n"),
            "/etc/tiendo/tiendo.toml:4:11: error: delivery.ca_file: cannot read "
            "'/etc/tiendo/missing.pem'");
  EXPECT_NE(first(base + "[delivery]\nca_file = \"/\"\n").find("delivery.ca_file: cannot read '/'"),
            std::string::npos);
}

TEST(ServiceConfig, AMissingFileIsAnError) {
  std::vector<ConfigError> errors;
  EXPECT_FALSE(load_config("/nonexistent/tiendo.toml", errors).has_value());
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].render(),
            "/nonexistent/tiendo.toml: error: cannot read the configuration file");
}

}  // namespace
}  // namespace tiendo::service

// The service configuration: the example file, defaults, relative paths, and every kind
// of mistake reported at its place.
#include "service/config.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

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
  ASSERT_TRUE(c->delivery.smtp.has_value());
  EXPECT_EQ(c->delivery.smtp->url, "smtp://127.0.0.1:2525");
  EXPECT_FALSE(c->delivery.smtp->require_starttls);
  EXPECT_EQ(c->delivery.retry.initial, std::chrono::seconds(30));
  EXPECT_EQ(c->delivery.retry.ceiling, std::chrono::seconds(3600));
  EXPECT_EQ(c->limits.max_body_bytes, 1048576u);
  EXPECT_EQ(c->limits.keep_alive_timeout, std::chrono::seconds(2));
}

// Issue #13: an SMTP URL may carry user:password; an error names it without them.
TEST(ServiceConfig, ABadSmtpUrlIsNamedWithoutItsPassword) {
  const std::string error = first(
      "database = \"t.db\"\nrules = \"rules\"\n[smtp]\n"
      "url = \"smtpx://bcd:Mat-khau-9@mail.example.org:587\"\n");
  EXPECT_NE(error.find("smtp.url: 'smtpx://mail.example.org:587'"), std::string::npos) << error;
  EXPECT_EQ(error.find("Mat-khau-9"), std::string::npos) << error;
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
  EXPECT_NE(first(base + "[limits]\nkeep_alive_timeout = \"1h\"\n").find("at most 10m"),
            std::string::npos);
  EXPECT_NE(first(base + "[limits]\nkeep_alive_timeout = \"0s\"\n").find("not a duration"),
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

TEST(ServiceConfig, AMissingFileIsAnError) {
  std::vector<ConfigError> errors;
  EXPECT_FALSE(load_config("/nonexistent/tiendo.toml", errors).has_value());
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].render(),
            "/nonexistent/tiendo.toml: error: cannot read the configuration file");
}

}  // namespace
}  // namespace tiendo::service

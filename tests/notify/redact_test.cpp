// redact_url: the host stays for diagnosis; no credential of a webhook URL (path tokens,
// query values, user:password) is ever shown.
#include "notify/redact.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "util/text.hpp"

namespace tiendo::notify {
namespace {

using namespace std::string_literals;

struct RedactCase {
  const char* name;
  std::string url;
  std::string shown;
  std::vector<std::string> secrets;  // none of these may appear
};

// gtest names a case by this rather than by its bytes.
void PrintTo(const RedactCase& c, std::ostream* out) { *out << c.name; }

class RedactUrl : public ::testing::TestWithParam<RedactCase> {};

TEST_P(RedactUrl, ShowsTheHostAndHidesTheCredentials) {
  const RedactCase& c = GetParam();
  const std::string shown = redact_url(c.url);
  EXPECT_EQ(shown, c.shown);
  for (const std::string& secret : c.secrets) {
    EXPECT_EQ(shown.find(secret), std::string::npos) << secret << " in " << shown;
  }
  EXPECT_LE(shown.size(), kMaxShownUrl + 40);
  EXPECT_EQ(util::find_invalid_utf8(shown), std::nullopt) << shown;
  for (const char ch : shown) EXPECT_FALSE(static_cast<unsigned char>(ch) < 0x20) << shown;
  // Redacting what is shown changes nothing more.
  EXPECT_EQ(redact_url(shown), shown);
}

INSTANTIATE_TEST_SUITE_P(
    Table, RedactUrl,
    ::testing::Values(
        RedactCase{"Slack",
                   "https://hooks.slack.com/services/T0001/B0002/XXXXXXXXXXXXXXXXXXXXXXXX",
                   "https://hooks.slack.com/services/***/***/***",
                   {"T0001", "B0002", "XXXX"}},
        // The issue's own example: a token of letters only is hidden too.
        RedactCase{"SlackLikeWithApiKey",
                   "http://127.0.0.1:8080/services/T000/B000/SECRETXYZ?apikey=SECRET123",
                   "http://127.0.0.1:8080/services/***/***/***?apikey=***",
                   {"SECRETXYZ", "SECRET123", "T000", "B000"}},
        RedactCase{"Discord",
                   "https://discord.com/api/webhooks/1234567890123/AbCdEf-GhIj_KlMnOp",
                   "https://discord.com/api/webhooks/***/***",
                   {"1234567890123", "AbCdEf"}},
        RedactCase{"Mattermost",
                   "https://chat.example.org/hooks/xoxkqgtgjbzbrbsipjthabcdef",
                   "https://chat.example.org/hooks/***",
                   {"xoxkq"}},
        RedactCase{"TeamsConnector",
                   "https://contoso.webhook.office.com/webhookb2/1b2c-3d@4e5f/IncomingWebhook/"
                   "5f6a7b/8c9d",
                   "https://contoso.webhook.office.com/***/***/***/***/***",
                   {"1b2c", "4e5f", "5f6a7b", "8c9d"}},
        RedactCase{"TeamsWorkflow",
                   "https://prod-12.westus.logic.azure.com:443/workflows/abc123/triggers/manual/"
                   "paths/invoke?api-version=2016-06-01&sp=%2Ftriggers&sv=1.0&sig=SIGSECRET",
                   "https://prod-12.westus.logic.azure.com:443/workflows/***/***/***/***/***"
                   "?api-version=***&sp=***&sv=***&sig=***",
                   {"abc123", "SIGSECRET", "2016-06-01"}},
        RedactCase{"GoogleChat",
                   "https://chat.googleapis.com/v1/spaces/AAAA/messages?key=KEYSECRET&token=TOK",
                   "https://chat.googleapis.com/v1/***/***/messages?key=***&token=***",
                   {"AAAA", "KEYSECRET", "TOK"}},
        RedactCase{"Alertmanager",
                   "http://am.example.org:9093/api/v2/alerts",
                   "http://am.example.org:9093/api/v2/alerts",
                   {}},
        RedactCase{"PlainWebhook",
                   "https://receiver.example.org/hook",
                   "https://receiver.example.org/hook",
                   {}},
        RedactCase{"UserAndPassword",
                   "https://alice:s3cret@receiver.example.org/hook",
                   "https://receiver.example.org/hook",
                   {"alice", "s3cret"}},
        RedactCase{"AtInThePassword",
                   "https://alice:p@ss@receiver.example.org/hook",
                   "https://receiver.example.org/hook",
                   {"alice", "p@ss"}},
        RedactCase{"UserOnly",
                   "https://alice@receiver.example.org/",
                   "https://receiver.example.org/",
                   {"alice"}},
        // A '/' in the password ends the authority early: what is left is not a host.
        RedactCase{"SlashInThePassword",
                   "http://alice:pa/ss@receiver.example.org/hook",
                   "http://***/***/hook",
                   {"alice", "pa", "ss@"}},
        RedactCase{
            "Ipv6", "http://[::1]:9000/hook?sig=abc", "http://[::1]:9000/hook?sig=***", {"abc"}},
        RedactCase{"BareQueryToken",
                   "https://example.org/hook?SECRET&x=1",
                   "https://example.org/hook?***&x=***",
                   {"SECRET"}},
        RedactCase{"QueryNameWithDigits",
                   "https://example.org/hook?k3y=1",
                   "https://example.org/hook?***=***",
                   {"k3y"}},
        RedactCase{
            "Fragment", "https://example.org/hook#SECRET", "https://example.org/hook", {"SECRET"}},
        RedactCase{"TokenAsFirstSegment",
                   "https://example.org/a1b2c3d4e5/x",
                   "https://example.org/***/***",
                   {"a1b2c3d4e5"}},
        RedactCase{"LongWordAsFirstSegment",
                   "https://example.org/" + std::string(33, 'k') + "/api",
                   "https://example.org/***/api",
                   {"kkkk"}},
        RedactCase{"TrailingSlash", "https://example.org/", "https://example.org/", {}},
        RedactCase{"NoPath", "https://example.org:8443", "https://example.org:8443", {}},
        RedactCase{"Empty", "", "", {}},
        RedactCase{"NoScheme", "127.0.0.1/hook", "127.0.0.1/hook", {}},
        RedactCase{"NotAUrl", "not a url", "***", {"not"}},
        RedactCase{"PortThatIsNotANumber", "http://alice:secret/", "http://***/", {"secret"}},
        RedactCase{"Nul", "http://127.0.0.1/\0x"s, "http://127.0.0.1/***", {}},
        RedactCase{"ControlInTheHost", "http://exa\x1bmple.org/hook", "http://***/hook", {}},
        RedactCase{"UpperCase",
                   "HTTPS://Example.ORG/Hook/V2/ALERTS",
                   "HTTPS://Example.ORG/Hook/V2/ALERTS",
                   {}}),
    [](const ::testing::TestParamInfo<RedactCase>& param) {
      return std::string(param.param.name);
    });

TEST(RedactUrlLength, ALongUrlIsCapped) {
  std::string url = "https://example.org";
  for (int i = 0; i < 200; ++i) url += "/api";
  const std::string shown = redact_url(url);
  EXPECT_TRUE(shown.starts_with("https://example.org/api/api")) << shown;
  EXPECT_NE(shown.find("bytes more)"), std::string::npos) << shown;
  EXPECT_LE(shown.size(), kMaxShownUrl + 40);
}

}  // namespace
}  // namespace tiendo::notify

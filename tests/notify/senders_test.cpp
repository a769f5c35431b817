// One sender per channel kind, chosen by the payload's type, reaching the world only
// through the Transports it is given: what each one hands to its transport (URL, headers,
// body, recipients), that a webhook is signed with the secret its environment holds and
// waits when the secret is missing, that e-mail credentials come from the same
// environment, and that a stored payload that could not be read is given up, not sent.
#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "notify/outbox.hpp"
#include "notify/sender.hpp"
#include "notify/signature.hpp"

namespace tiendo::notify {
namespace {

constexpr const char* kSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

// What the fake transports saw, and the environment they serve.
struct World {
  std::vector<HttpRequest> posts;
  std::vector<std::pair<SmtpSettings, EmailMessage>> mails;
  std::map<std::string, std::string> env;
  // What a credential lookup through the settings the e-mail sender passes gives.
  std::string smtp_user_seen;

  DeliverySettings settings() {
    DeliverySettings s;
    s.smtp = SmtpSettings{};
    s.smtp->url = "smtp://127.0.0.1:2525";
    s.smtp_from = "tiendo <tiendo@so-tttt.example>";
    s.transports.post = [this](const HttpRequest& request, Clock::time_point) {
      posts.push_back(request);
      return HttpResult{Outcome::delivered, 200, std::nullopt, ""};
    };
    s.transports.send_email = [this](const SmtpSettings& smtp, const EmailMessage& message,
                                     const std::string&) {
      mails.emplace_back(smtp, message);
      const char* user = smtp.getenv(smtp.username_env.c_str());
      smtp_user_seen = user ? user : "";
      return SmtpResult{Outcome::delivered, 250, ""};
    };
    s.transports.getenv = [this](const char* name) -> const char* {
      const auto it = env.find(name);
      return it == env.end() ? nullptr : it->second.c_str();
    };
    return s;
  }
};

store::OutboxEntry entry(store::OutboxPayload payload) {
  store::OutboxEntry e;
  e.id = 7;
  e.channel = "bcd";
  e.kind = std::string(store::kind_name(payload));
  e.idempotency_key = "tiendo-abc-run3-bcd";
  e.payload = std::move(payload);
  return e;
}

std::string header(const HttpRequest& request, std::string_view name) {
  for (const auto& [key, value] : request.headers) {
    if (key == name) return value;
  }
  return "";
}

const Clock::time_point kNow = Clock::time_point(std::chrono::seconds(1764900000));

TEST(Senders, AWebhookIsPostedSignedWithTheSecretItsEnvironmentHolds) {
  World world;
  world.env["BCD_SECRET"] = kSecret;
  const Senders senders(world.settings());
  const Attempt attempt = senders.send(
      entry(store::WebhookPayload{"https://hooks.example/bcd", "BCD_SECRET",
                                  store::WebhookPayload::Format::native, R"({"alerts":[]})"}),
      kNow);
  EXPECT_EQ(attempt.outcome, Outcome::delivered);
  ASSERT_EQ(world.posts.size(), 1u);
  const HttpRequest& post = world.posts[0];
  EXPECT_EQ(post.url, "https://hooks.example/bcd");
  EXPECT_EQ(post.body, R"({"alerts":[]})");
  EXPECT_EQ(header(post, "webhook-id"), "tiendo-abc-run3-bcd");
  EXPECT_EQ(header(post, "webhook-timestamp"), "1764900000");
  const auto secret = parse_webhook_secret(kSecret, nullptr);
  ASSERT_TRUE(secret.has_value());
  EXPECT_EQ(verify_webhook(*secret, header(post, "webhook-id"), header(post, "webhook-timestamp"),
                           header(post, "webhook-signature"), post.body, 1764900000),
            WebhookCheck::ok);
  EXPECT_TRUE(world.mails.empty());
}

TEST(Senders, AWebhookWhoseSecretIsNotSetWaitsInsteadOfGoingUnsigned) {
  World world;  // BCD_SECRET is not in its environment, whatever the process has
  const Senders senders(world.settings());
  const Attempt attempt =
      senders.send(entry(store::WebhookPayload{"https://hooks.example/bcd", "BCD_SECRET",
                                               store::WebhookPayload::Format::native, "{}"}),
                   kNow);
  EXPECT_EQ(attempt.outcome, Outcome::retry);
  EXPECT_NE(attempt.error.find("BCD_SECRET"), std::string::npos) << attempt.error;
  EXPECT_TRUE(world.posts.empty());
}

TEST(Senders, AlertmanagerAlertsArePostedToTheirEndpointUnsigned) {
  World world;
  const Senders senders(world.settings());
  const Attempt attempt = senders.send(
      entry(store::AlertmanagerPayload{"http://127.0.0.1:9093/api/v2/alerts", "[]"}), kNow);
  EXPECT_EQ(attempt.outcome, Outcome::delivered);
  ASSERT_EQ(world.posts.size(), 1u);
  EXPECT_EQ(world.posts[0].url, "http://127.0.0.1:9093/api/v2/alerts");
  EXPECT_EQ(world.posts[0].body, "[]");
  EXPECT_EQ(header(world.posts[0], "webhook-signature"), "");
}

TEST(Senders, AnEmailGoesToItsRecipientsWithCredentialsFromTheGivenEnvironment) {
  World world;
  world.env["TIENDO_SMTP_USER"] = "bcd-sender";
  const Senders senders(world.settings());
  const Attempt attempt = senders.send(
      entry(store::EmailPayload{
          {"bcd@dongnai.gov.vn", "vp@dongnai.gov.vn"}, "Cảnh báo", "văn bản", "<p>html</p>"}),
      kNow);
  EXPECT_EQ(attempt.outcome, Outcome::delivered);
  EXPECT_EQ(attempt.status, 250);
  ASSERT_EQ(world.mails.size(), 1u);
  const EmailMessage& mail = world.mails[0].second;
  EXPECT_EQ(mail.to, (std::vector<std::string>{"bcd@dongnai.gov.vn", "vp@dongnai.gov.vn"}));
  EXPECT_EQ(mail.subject, "Cảnh báo");
  EXPECT_EQ(mail.from, "tiendo <tiendo@so-tttt.example>");
  EXPECT_EQ(world.smtp_user_seen, "bcd-sender");
  EXPECT_TRUE(world.posts.empty());
}

TEST(Senders, AnEmailWithoutRecipientsIsRejected) {
  World world;
  const Senders senders(world.settings());
  const Attempt attempt = senders.send(entry(store::EmailPayload{{}, "s", "t", "h"}), kNow);
  EXPECT_EQ(attempt.outcome, Outcome::reject);
  EXPECT_TRUE(world.mails.empty());
}

TEST(Senders, AStoredPayloadThatCouldNotBeReadIsGivenUpWithTheReason) {
  World world;
  const Senders senders(world.settings());
  store::OutboxEntry broken = entry(store::WebhookPayload{});
  broken.payload_problem = "the outbox payload is not a JSON object";
  const Attempt attempt = senders.send(broken, kNow);
  EXPECT_EQ(attempt.outcome, Outcome::reject);
  EXPECT_EQ(attempt.error, "the outbox payload is not a JSON object");
  EXPECT_TRUE(world.posts.empty());
}

}  // namespace
}  // namespace tiendo::notify

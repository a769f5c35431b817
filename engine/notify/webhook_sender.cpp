// Webhooks: tiendo's JSON (or Alertmanager's webhook v4 shape), signed per Standard
// Webhooks when the channel names a secret.
#include <fmt/format.h>

#include "notify/outbox.hpp"
#include "notify/sender.hpp"
#include "notify/signature.hpp"

namespace tiendo::notify {

namespace {

class WebhookSender final : public SenderFor<store::WebhookPayload> {
 public:
  WebhookSender(const DeliverySettings& settings, const Transports& transports)
      : settings_(settings), transports_(transports) {}

 protected:
  Attempt send(const store::OutboxEntry& message, const store::WebhookPayload& payload,
               Clock::time_point now) const override {
    const auto seconds =
        std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
    std::vector<std::pair<std::string, std::string>> headers = {
        {"Content-Type", "application/json"},
        {"User-Agent", "tiendo"},
        {"webhook-id", message.idempotency_key},
        {"webhook-timestamp", std::to_string(seconds)}};
    if (!payload.secret_env.empty()) {
      const char* value = transports_.getenv(payload.secret_env.c_str());
      // Never send unsigned what should be signed: wait for the secret to be set.
      if (!value || !*value) {
        return {Outcome::retry, std::nullopt, std::nullopt,
                fmt::format("the environment variable {} (the channel's secret) is not set",
                            payload.secret_env)};
      }
      std::string error;
      const auto secret = parse_webhook_secret(value, &error);
      if (!secret) {
        return {Outcome::retry, std::nullopt, std::nullopt,
                fmt::format("the secret in {} is unusable: {}", payload.secret_env, error)};
      }
      headers.emplace_back("webhook-signature",
                           sign_webhook(*secret, message.idempotency_key, seconds, payload.body));
    }
    return post_json(transports_, settings_, payload.url, std::move(headers), payload.body, now);
  }

 private:
  const DeliverySettings& settings_;
  const Transports& transports_;
};

}  // namespace

std::unique_ptr<Sender> make_webhook_sender(const DeliverySettings& settings,
                                            const Transports& transports) {
  return std::make_unique<WebhookSender>(settings, transports);
}

}  // namespace tiendo::notify

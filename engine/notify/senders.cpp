#include "notify/outbox.hpp"
#include "notify/sender.hpp"
#include "util/text.hpp"

namespace tiendo::notify {

Senders::Senders(const DeliverySettings& settings)
    : settings_(std::make_unique<const DeliverySettings>(settings)) {
  const Transports& transports = settings_->transports;
  // In the order of store::OutboxPayload's alternatives: a new kind adds its line here.
  static_assert(std::variant_size_v<store::OutboxPayload> == 3,
                "every payload type needs its sender here");
  static_assert(
      std::is_same_v<std::variant_alternative_t<0, store::OutboxPayload>, store::EmailPayload>);
  static_assert(
      std::is_same_v<std::variant_alternative_t<1, store::OutboxPayload>, store::WebhookPayload>);
  static_assert(std::is_same_v<std::variant_alternative_t<2, store::OutboxPayload>,
                               store::AlertmanagerPayload>);
  by_kind_.push_back(make_email_sender(*settings_, transports));
  by_kind_.push_back(make_webhook_sender(*settings_, transports));
  by_kind_.push_back(make_alertmanager_sender(*settings_, transports));
}

Attempt Senders::send(const store::OutboxEntry& message, Clock::time_point now) const {
  Attempt attempt =
      !message.payload_problem.empty()
          ? Attempt{Outcome::reject, std::nullopt, std::nullopt, message.payload_problem}
          : by_kind_[message.payload.index()]->send(message, now);
  attempt.error = util::cap_for_display(attempt.error, kMaxErrorBytes);
  return attempt;
}

Attempt post_json(const Transports& transports, const DeliverySettings& settings, std::string url,
                  std::vector<std::pair<std::string, std::string>> headers, std::string body,
                  Clock::time_point now) {
  HttpRequest request;
  request.url = std::move(url);
  request.headers = std::move(headers);
  request.body = std::move(body);
  request.connect_timeout = settings.connect_timeout;
  request.total_timeout = settings.total_timeout;
  request.ca_file = settings.ca_file;
  request.getenv = transports.getenv;
  const HttpResult result = transports.post(request, now);
  Attempt attempt;
  attempt.outcome = result.outcome;
  if (result.status != 0) attempt.status = result.status;
  attempt.retry_after = result.retry_after;
  attempt.error = result.error;
  return attempt;
}

}  // namespace tiendo::notify

// Sending one outbox message: one sender per channel kind behind one interface, chosen by
// the type of the message's payload. A sender makes one attempt and says how it went;
// it never touches the store (deliver_due records the attempt).
//
// A new channel kind: its payload type in store/outbox.hpp, a file here with its sender
// (deriving from SenderFor<ItsPayload>) and its make_… function, and one line in
// make_senders (senders.cpp), which does not compile until every payload type has one.
#pragma once

#include <chrono>
#include <cstdlib>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "notify/email.hpp"
#include "notify/http_client.hpp"
#include "notify/outcome.hpp"
#include "store/outbox.hpp"

namespace tiendo::notify {

using Clock = std::chrono::system_clock;

// What one attempt at one message came to.
struct Attempt {
  Outcome outcome = Outcome::retry;
  std::optional<std::int64_t> status;  // HTTP status or SMTP reply code
  std::optional<std::chrono::seconds> retry_after;
  // One line, passed through util::cap_for_display at kMaxErrorBytes; never a
  // credential (URLs are redacted, passwords left out).
  std::string error;
};

// The ways out of the process, replaceable (tests, benchmarks): an HTTP POST, an SMTP
// submission, and the environment the secrets are read from.
struct Transports {
  std::function<HttpResult(const HttpRequest&, Clock::time_point)> post = notify::post;
  std::function<SmtpResult(const SmtpSettings&, const EmailMessage&, const std::string& rendered)>
      send_email = notify::send_email;
  Getenv getenv = std::getenv;
};

struct DeliverySettings;

class Sender {
 public:
  virtual ~Sender() = default;
  // One attempt at `message` (whose payload is of this sender's kind) at `now`.
  virtual Attempt send(const store::OutboxEntry& message, Clock::time_point now) const = 0;
};

// The base of the sender of one payload type: checks the type, then hands the payload over.
template <typename Payload>
class SenderFor : public Sender {
 public:
  Attempt send(const store::OutboxEntry& message, Clock::time_point now) const final {
    const auto* payload = std::get_if<Payload>(&message.payload);
    if (!payload)
      return {Outcome::reject, std::nullopt, std::nullopt, "wrong sender for the payload"};
    return send(message, *payload, now);
  }

 protected:
  virtual Attempt send(const store::OutboxEntry& message, const Payload& payload,
                       Clock::time_point now) const = 0;
};

std::unique_ptr<Sender> make_email_sender(const DeliverySettings& settings,
                                          const Transports& transports);
std::unique_ptr<Sender> make_webhook_sender(const DeliverySettings& settings,
                                            const Transports& transports);
std::unique_ptr<Sender> make_alertmanager_sender(const DeliverySettings& settings,
                                                 const Transports& transports);

// One sender per payload type, in the variant's order.
class Senders {
 public:
  // The senders keep a copy of the settings.
  explicit Senders(const DeliverySettings& settings);
  Senders(const Senders&) = delete;
  Senders& operator=(const Senders&) = delete;
  // One attempt at `message` by the sender of its kind; a message whose stored payload
  // could not be read is rejected with the reason. The error is capped and escaped.
  Attempt send(const store::OutboxEntry& message, Clock::time_point now) const;

 private:
  std::unique_ptr<const DeliverySettings> settings_;
  std::vector<std::unique_ptr<Sender>> by_kind_;
};

// A JSON POST with the settings' timeouts and certificate authorities.
Attempt post_json(const Transports& transports, const DeliverySettings& settings, std::string url,
                  std::vector<std::pair<std::string, std::string>> headers, std::string body,
                  Clock::time_point now);

}  // namespace tiendo::notify

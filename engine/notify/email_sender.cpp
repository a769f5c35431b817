// E-mail: the rendered message submitted over SMTP, with the same Message-ID on every
// attempt so that a receiver can drop a duplicate.
#include <fmt/format.h>

#include "notify/outbox.hpp"
#include "notify/sender.hpp"

namespace tiendo::notify {

namespace {

// The domain of a From address, for Message-IDs.
std::string domain_of(std::string_view from) {
  const std::size_t at = from.rfind('@');
  if (at == std::string_view::npos) return "tiendo.invalid";
  std::string_view domain = from.substr(at + 1);
  const std::size_t end = domain.find_first_of("> \t");
  return std::string(domain.substr(0, end));
}

class EmailSender final : public SenderFor<store::EmailPayload> {
 public:
  EmailSender(const DeliverySettings& settings, const Transports& transports)
      : settings_(settings), transports_(transports) {}

 protected:
  Attempt send(const store::OutboxEntry& message, const store::EmailPayload& payload,
               Clock::time_point now) const override {
    if (!settings_.smtp) {
      return {Outcome::retry, std::nullopt, std::nullopt,
              "no SMTP server is configured (--smtp URL, or smtp in the service configuration)"};
    }
    EmailMessage email;
    email.from = settings_.smtp_from;
    email.to = payload.to;
    if (email.to.empty())
      return {Outcome::reject, std::nullopt, std::nullopt, "the e-mail has no recipient"};
    email.subject = payload.subject;
    email.text = payload.text;
    email.html = payload.html;
    const std::string message_id =
        fmt::format("<{}@{}>", message.idempotency_key, domain_of(settings_.smtp_from));
    SmtpSettings smtp = *settings_.smtp;
    if (smtp.ca_file.empty()) smtp.ca_file = settings_.ca_file;
    smtp.getenv = transports_.getenv;
    const SmtpResult result =
        transports_.send_email(smtp, email, render_email(email, message_id, now));
    Attempt attempt;
    attempt.outcome = result.outcome;
    if (result.reply_code != 0) attempt.status = result.reply_code;
    attempt.error = result.error;
    return attempt;
  }

 private:
  const DeliverySettings& settings_;
  const Transports& transports_;
};

}  // namespace

std::unique_ptr<Sender> make_email_sender(const DeliverySettings& settings,
                                          const Transports& transports) {
  return std::make_unique<EmailSender>(settings, transports);
}

}  // namespace tiendo::notify

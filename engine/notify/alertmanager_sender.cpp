// Alertmanager: the alerts POSTed to its /api/v2/alerts.
#include "notify/outbox.hpp"
#include "notify/sender.hpp"

namespace tiendo::notify {

namespace {

class AlertmanagerSender final : public SenderFor<store::AlertmanagerPayload> {
 public:
  AlertmanagerSender(const DeliverySettings& settings, const Transports& transports)
      : settings_(settings), transports_(transports) {}

 protected:
  Attempt send(const store::OutboxEntry&, const store::AlertmanagerPayload& payload,
               Clock::time_point now) const override {
    return post_json(transports_, settings_, payload.url,
                     {{"Content-Type", "application/json"}, {"User-Agent", "tiendo"}}, payload.body,
                     now);
  }

 private:
  const DeliverySettings& settings_;
  const Transports& transports_;
};

}  // namespace

std::unique_ptr<Sender> make_alertmanager_sender(const DeliverySettings& settings,
                                                 const Transports& transports) {
  return std::make_unique<AlertmanagerSender>(settings, transports);
}

}  // namespace tiendo::notify

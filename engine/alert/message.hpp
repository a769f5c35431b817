// What a digest says on each kind of channel: an e-mail in Vietnamese for people, the
// native JSON webhook body for programs (docs/webhook.md, docs/webhook.schema.json), and
// the two Alertmanager forms, so that receivers written for Alertmanager work unchanged.
// Strings only: notify sends them and the outbox keeps them.
#pragma once

#include <string>
#include <string_view>

#include "alert/alert.hpp"

namespace tiendo::alert {

struct EmailContent {
  std::string subject;
  std::string text;
  std::string html;
};

// The digest as an e-mail, in Vietnamese: a subject with the counts and the most severe
// level that fires, a plain-text body, and one self-contained HTML document (inline CSS,
// no external resource) with the same content.
EmailContent render_email(const Digest& digest);

// The native webhook body (JSON, schema "tiendo.alerts/v1"), documented in
// docs/webhook.md and docs/webhook.schema.json.
std::string render_webhook(const Digest& digest);

// Alertmanager's webhook payload, version "4", exactly as Alertmanager sends it to its
// receivers, for a webhook channel with `format alertmanager`. Held-back rule alerts are
// alerts of their own here, annotated with the task that holds them back.
// `now_utc` is "YYYY-MM-DDTHH:MM:SSZ"; resolved alerts end then, and firing ones carry
// Alertmanager's zero time as it does. When `now_utc` is malformed, the digest's date at
// midnight UTC stands in for it.
std::string render_alertmanager_webhook(const Digest& digest, std::string_view now_utc);

// The body for POST /api/v2/alerts of an Alertmanager: an array of {labels, annotations,
// startsAt, endsAt, generatorURL}. Firing alerts end 48 hours after `now_utc`, so that
// they stay active between nightly runs and expire if the runs stop; resolved ones end
// at `now_utc`.
std::string render_alertmanager_push(const Digest& digest, std::string_view now_utc);

}  // namespace tiendo::alert

// What delivery shows of a receiver's URL in its errors, the outbox's last error, the
// log and the command line's output. Webhook URLs are credentials: Slack, Discord,
// Mattermost and Teams put the secret in the path
// (https://hooks.slack.com/services/T000/B000/XXXX), others in the query (?apikey=,
// ?token=, ?sig=, ?code=), and any URL may carry user:password.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace tiendo::notify {

// The longest URL shown, in bytes (a host name is at most 253).
constexpr std::size_t kMaxShownUrl = 256;

// `url` with whatever could be a credential replaced by "***", the host left for
// diagnosis:
//   - the scheme, host and port as they are; the user:password part is left out;
//   - the first path segment when it reads as a word (ASCII letters, '-', '_', '.', at
//     most 32 of them, or "v" and a number: /services, /api, /v1), else ***;
//   - every later segment as *** unless it is "v" and a number or one of the few words
//     receivers name their endpoints with (api, alerts, hooks, hook, webhook, webhooks,
//     services, events, messages, notify): an Alertmanager URL stays readable
//     (/api/v2/alerts), a token never shows, even one that looks like a word;
//   - in the query, each parameter's name when it reads as a word, its value as ***
//     (?apikey=***&format=***), a parameter without '=' as ***;
//   - no fragment.
// A host or port that does not read as one is shown as ***. The result is at most
// kMaxShownUrl bytes and passed through util::cap_for_display (nothing raw reaches a
// terminal). Examples:
//   https://u:p@hooks.slack.com/services/T0/B0/XYZ?x=1
//     is shown https://hooks.slack.com/services/***/***/***?x=***
//   http://am.local:9093/api/v2/alerts is shown as it is.
std::string redact_url(std::string_view url);

}  // namespace tiendo::notify

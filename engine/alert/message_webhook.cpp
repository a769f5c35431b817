// A digest as bodies for programs: the native webhook JSON (docs/webhook.md) and the two
// Alertmanager forms.
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "alert/message.hpp"
#include "alert/message_words.hpp"

namespace tiendo::alert {

namespace {

using namespace detail;
// Keys in the order the documentation lists them, so that a body reads like its schema.
using Json = nlohmann::ordered_json;

constexpr std::string_view kSchema = "tiendo.alerts/v1";
// Firing alerts pushed to an Alertmanager stay active this long: past the next nightly
// run with a day to spare, and they expire on their own if the runs stop.
constexpr std::chrono::hours kPushLease{48};
// What Alertmanager puts in a firing alert's endsAt when it calls a webhook.
constexpr std::string_view kZeroTime = "0001-01-01T00:00:00Z";

// JSON

// Malformed UTF-8 (which the rule files and the store refuse, but a library must not
// throw on) becomes U+FFFD instead of an exception.
std::string dump(const Json& json) {
  return json.dump(-1, ' ', false, Json::error_handler_t::replace);
}

Json figure_json(const std::optional<double>& figure) {
  if (const auto v = shown(figure)) return *v;
  return nullptr;
}

Json date_json(const std::optional<model::Date>& date) {
  if (date) return model::to_string(*date);
  return nullptr;
}

Json alert_json(const Notification& n, Language language) {
  const AlertFacts& a = n.alert;
  Json plan = nullptr;
  if (!a.plan.empty() || !a.plan_code.empty() || !a.plan_title.empty()) {
    plan = Json{{"name", a.plan}, {"code", a.plan_code}, {"title", a.plan_title}};
  }
  Json labels = Json::object();
  for (const auto& [name, value] : a.labels) {
    if (!labels.contains(name)) labels[name] = value;
  }
  Json held_back = Json::array();
  for (const Notification& h : n.held_back) held_back.push_back(alert_json(h, language));
  return Json{{"kind", n.context ? std::string("context") : std::string(to_string(n.kind))},
              {"fingerprint", a.fingerprint},
              {"subject", to_string(a.subject)},
              {"name", a.name},
              {"title", a.title},
              {"unit", a.unit},
              {"unit_name", a.unit_name},
              {"state", a.state},
              {"severity", model::to_string(a.severity)},
              {"since", date_json(n.since)},
              {"value", figure_json(a.value)},
              {"target", figure_json(a.target)},
              {"upper", figure_json(a.upper)},
              {"deadline", date_json(a.deadline)},
              {"earliest_finish", date_json(a.earliest_finish)},
              {"projected", figure_json(a.projected)},
              {"rate_needed", figure_json(a.rate_needed)},
              {"rate_observed", figure_json(a.rate_observed)},
              {"percent", a.percent},
              {"estimate", a.estimate},
              {"condition", a.condition},
              {"reason", a.reason.in(language)},
              {"units", a.units.in(language)},
              {"basis", a.basis.in(language)},
              {"target_change", a.target_change.in(language)},
              {"message", a.message.in(language)},
              {"source", a.source},
              {"owner", a.owner},
              {"plan", std::move(plan)},
              {"chain", a.chain},
              {"note", a.note},
              {"labels", std::move(labels)},
              {"silenced", n.silenced},
              {"held_back", std::move(held_back)}};
}

// Alertmanager

std::optional<std::chrono::sys_seconds> parse_utc(std::string_view text) {
  constexpr std::string_view kShape = "dddd-dd-ddTdd:dd:ddZ";
  if (text.size() != kShape.size()) return std::nullopt;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const bool digit = text[i] >= '0' && text[i] <= '9';
    if (kShape[i] == 'd' ? !digit : text[i] != kShape[i]) return std::nullopt;
  }
  const auto number = [&](std::size_t at, std::size_t length) {
    int value = 0;
    for (std::size_t i = at; i < at + length; ++i) value = value * 10 + (text[i] - '0');
    return value;
  };
  const std::chrono::year_month_day ymd{std::chrono::year{number(0, 4)},
                                        std::chrono::month{static_cast<unsigned>(number(5, 2))},
                                        std::chrono::day{static_cast<unsigned>(number(8, 2))}};
  const int hours = number(11, 2), minutes = number(14, 2), seconds = number(17, 2);
  if (!ymd.ok() || hours > 23 || minutes > 59 || seconds > 59) return std::nullopt;
  return std::chrono::sys_days{ymd} + std::chrono::hours{hours} + std::chrono::minutes{minutes} +
         std::chrono::seconds{seconds};
}

std::string utc_text(std::chrono::sys_seconds time) {
  const auto day = std::chrono::floor<std::chrono::days>(time);
  const std::chrono::year_month_day ymd{day};
  const std::chrono::hh_mm_ss hms{time - day};
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", static_cast<int>(ymd.year()),
                     static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                     hms.hours().count(), hms.minutes().count(), hms.seconds().count());
}

std::chrono::sys_seconds now_or_midnight(const Digest& d, std::string_view now_utc) {
  if (const auto now = parse_utc(now_utc)) return *now;
  return std::chrono::sys_seconds{d.at};
}

// Prometheus label names: [a-zA-Z_][a-zA-Z0-9_]*.
std::string label_name(std::string_view name) {
  std::string out(name.empty() ? std::string_view("_") : name);
  for (std::size_t i = 0; i < out.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(out[i]);
    const bool ok =
        c == '_' || (c < 0x80 && std::isalpha(c)) || (i > 0 && c < 0x80 && std::isdigit(c));
    if (!ok) out[i] = '_';
  }
  return out;
}

struct AmAlert {
  bool firing = true;
  std::map<std::string, std::string> labels;
  std::map<std::string, std::string> annotations;
  std::string starts_at;
  std::string fingerprint;
};

AmAlert am_alert(const Digest& d, const Notification& n, const Notification* holder) {
  const AlertFacts& a = n.alert;
  AmAlert out;
  out.firing = n.kind != NotifyKind::resolved;
  out.fingerprint = a.fingerprint;
  out.starts_at = utc_text(std::chrono::sys_seconds{n.since.value_or(d.at)});

  const auto label = [&](std::string_view name, const std::string& value) {
    // Alertmanager treats an empty value as no label at all.
    if (!value.empty()) out.labels.emplace(label_name(name), value);
  };
  // Alertmanager identifies an alert by its labels: only what stays the same while the
  // alert lives is a label (the declared severity, for routing); the current state and
  // severity are annotations, so a change or a resolution updates the same alert.
  label("alertname", a.name);
  label("unit", a.unit);
  label("severity", std::string(model::to_string(a.declared_severity)));
  label("subject", std::string(to_string(a.subject)));
  for (const auto& [name, value] : a.labels) {
    if (name != "state" && name != "severity") label(name, value);
  }

  const auto note = [&](std::string_view name, const std::string& value) {
    if (!value.empty()) out.annotations.emplace(name, value);
  };
  note("summary", display_name(a));
  note("state", a.state);
  note("current_severity", std::string(model::to_string(a.severity)));
  note("unit_name", a.unit_name);
  note("description", a.reason.in(d.language));
  note("units", a.units.in(d.language));
  note("basis", a.basis.in(d.language));
  note("target_change", a.target_change.in(d.language));
  note("message", a.message.in(d.language));
  note("source", a.source);
  note("plan", a.plan);
  note("plan_code", a.plan_code);
  note("plan_title", a.plan_title);
  if (const auto v = shown(a.value)) note("value", current_value_text(a, *v, d.language));
  if (a.estimate) note("estimate", "true");
  note("target", target_text(a, d.language));
  if (a.deadline) note("deadline", date_text(*a.deadline, d.language));
  if (const auto v = shown(a.projected)) note("projected", value_text(a, *v, d.language));
  note("chain", chain_text(a));
  note("note", a.note);
  if (holder) note("root_cause", holder->alert.name);
  return out;
}

// Held-back alerts are alerts of their own in Alertmanager, which groups by labels.
std::vector<AmAlert> am_alerts(const Digest& d) {
  std::vector<AmAlert> out;
  for (const Notification& n : d.items) {
    out.push_back(am_alert(d, n, nullptr));
    for (const Notification& h : n.held_back) out.push_back(am_alert(d, h, &n));
  }
  return out;
}

Json string_map(const std::map<std::string, std::string>& map) {
  Json out = Json::object();
  for (const auto& [name, value] : map) out[name] = value;
  return out;
}

// The pairs every alert has with the same value (Alertmanager's commonLabels).
std::map<std::string, std::string> common(const std::vector<AmAlert>& alerts,
                                          std::map<std::string, std::string> AmAlert::*member) {
  if (alerts.empty()) return {};
  std::map<std::string, std::string> out = alerts.front().*member;
  for (const AmAlert& a : alerts) {
    std::erase_if(out, [&](const auto& pair) {
      const auto it = (a.*member).find(pair.first);
      return it == (a.*member).end() || it->second != pair.second;
    });
  }
  return out;
}

std::string quoted_label_value(std::string_view value) {
  std::string out = "\"";
  for (char c : value) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

}  // namespace

std::string render_webhook(const Digest& digest) {
  Json alerts = Json::array();
  for (const Notification& n : digest.items) alerts.push_back(alert_json(n, digest.language));
  const Json body{{"schema", kSchema},
                  {"run_id", digest.run_id},
                  {"channel", digest.channel},
                  {"language", digest.language == Language::en ? "en" : "vi"},
                  {"at", model::to_string(digest.at)},
                  {"summary",
                   {{"fired", digest.fired},
                    {"changed", digest.changed},
                    {"repeated", digest.repeated},
                    {"resolved", digest.resolved}}},
                  {"alerts", std::move(alerts)}};
  return dump(body);
}

std::string render_alertmanager_webhook(const Digest& digest, std::string_view now_utc) {
  const std::string now = utc_text(now_or_midnight(digest, now_utc));
  const std::vector<AmAlert> alerts = am_alerts(digest);
  const bool firing =
      std::any_of(alerts.begin(), alerts.end(), [](const AmAlert& a) { return a.firing; });
  Json list = Json::array();
  for (const AmAlert& a : alerts) {
    list.push_back(Json{{"status", a.firing ? "firing" : "resolved"},
                        {"labels", string_map(a.labels)},
                        {"annotations", string_map(a.annotations)},
                        {"startsAt", a.starts_at},
                        {"endsAt", a.firing ? std::string(kZeroTime) : now},
                        {"generatorURL", ""},
                        {"fingerprint", a.fingerprint}});
  }
  // Alertmanager's group key is "<route>:<group labels>"; a channel is tiendo's route and
  // it sends one group per run.
  const Json body{{"receiver", digest.channel},
                  {"status", firing ? "firing" : "resolved"},
                  {"alerts", std::move(list)},
                  {"groupLabels", Json::object()},
                  {"commonLabels", string_map(common(alerts, &AmAlert::labels))},
                  {"commonAnnotations", string_map(common(alerts, &AmAlert::annotations))},
                  {"externalURL", ""},
                  {"version", "4"},
                  {"groupKey", "{}/{channel=" + quoted_label_value(digest.channel) + "}:{}"},
                  {"truncatedAlerts", 0}};
  return dump(body);
}

std::string render_alertmanager_push(const Digest& digest, std::string_view now_utc) {
  const std::chrono::sys_seconds now = now_or_midnight(digest, now_utc);
  const std::string ends_firing = utc_text(now + kPushLease), ends_resolved = utc_text(now);
  Json body = Json::array();
  for (const AmAlert& a : am_alerts(digest)) {
    body.push_back(Json{{"labels", string_map(a.labels)},
                        {"annotations", string_map(a.annotations)},
                        {"startsAt", a.starts_at},
                        {"endsAt", a.firing ? ends_firing : ends_resolved},
                        {"generatorURL", ""}});
  }
  return dump(body);
}

}  // namespace tiendo::alert

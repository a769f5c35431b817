// Alerts: what the steering committee hears about. An alert exists per (rule, unit) and
// per task whose evaluated state has a severity; it goes pending → firing → resolved,
// and each run decides which alerts to notify (new, changed, repeated, resolved) and on
// which channels. `reconcile` is pure: the previous alert state and the silences come in,
// the next state and the notifications go out; the store keeps them between runs.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "eval/evaluate.hpp"
#include "model/calendar.hpp"
#include "model/rule_set.hpp"
#include "present/reasons.hpp"
#include "store/alerts.hpp"
#include "store/snapshot.hpp"

namespace re2 {
class RE2;
}

namespace tiendo::alert {

// The alert's subject, lifecycle and notification kinds, and its record between runs,
// are the store's (store/alerts.hpp).
using store::Lifecycle;
using store::NotifyKind;
using store::Subject;

using store::parse_lifecycle;
using store::parse_notify_kind;
using store::parse_subject;
using store::to_string;

// "rule:online_dossier_2022:dong_nai" hashed: 16 hex digits of SHA-256. Stable across
// runs, rule-set edits and machines; it changes only with the subject, name and unit.
std::string fingerprint(Subject subject, std::string_view name, std::string_view unit);

using store::AlertRecord;

// Label matchers of a silence; every matcher must match. Names: "rule", "unit", "owner",
// "severity", "state", or any label of the rule. `op` is "=", "!=", "=~" or "!~"
// (RE2 regular expressions matching the whole value, as Prometheus and Alertmanager
// matchers do: linear time in the value, whatever the pattern).
struct Matcher {
  std::string name;
  std::string op = "=";
  std::string value;
  // For =~ and !~: `value` compiled once, when the matcher was made (parse_matcher,
  // make_matcher), and shared by its copies; null for = and !=, and for a stored
  // pattern that no longer compiles, which then matches no alert.
  std::shared_ptr<const re2::RE2> regex;
  // The same name, operator and value; the compiled form follows from them.
  bool operator==(const Matcher& other) const {
    return name == other.name && op == other.op && value == other.value;
  }
};

// The longest regular expression a matcher takes, in bytes: a silence names rules, units
// and labels, and no such pattern needs more. Together with kMaxMatcherRegexMemory it
// bounds the time and memory one matcher costs to compile and to match.
inline constexpr std::size_t kMaxMatcherRegexBytes = 1024;
// RE2's memory budget for one compiled matcher (its program and its DFA cache).
inline constexpr std::int64_t kMaxMatcherRegexMemory = std::int64_t{1} << 20;

struct Silence {
  std::int64_t id = 0;
  std::vector<Matcher> matchers;
  std::string starts_at;  // UTC, "2026-11-28T10:00:00Z"
  std::string ends_at;
  std::string author;
  std::string comment;
  std::string created_at;
  std::optional<std::string> expired_at;  // set by `silence expire`
  bool active(std::string_view now) const;
};

// Parses "rule=online_dossier_2022", "unit!=dong_nai", "group=~\"Phát triển.*\"";
// nullopt and `error` set when malformed: a bad regular expression, or one longer than
// kMaxMatcherRegexBytes or bigger compiled than kMaxMatcherRegexMemory, included (the
// error names the matcher). The result carries its compiled regular expression.
std::optional<Matcher> parse_matcher(std::string_view text, std::string& error);
// A matcher from its parts, as a stored silence keeps them; the regular expression is
// compiled and bounded as parse_matcher does. Nullopt and `error` set when `op` is not
// one of the four or the regular expression is refused.
std::optional<Matcher> make_matcher(std::string name, std::string op, std::string value,
                                    std::string& error);
std::string to_string(const Matcher& matcher);

// The labels an alert is matched and routed by: rule, unit, owner, severity, state and
// the rule's own labels (tasks: task, owner, plan, severity, state).
using Labels = std::vector<std::pair<std::string, std::string>>;
bool matches(const std::vector<Matcher>& matchers, const Labels& labels);

// What a notification says about one alert: the figures of the result behind it.
// A text worded in each language a channel may speak (`language vi|en`).
struct Worded {
  std::string vi;
  std::string en;
  const std::string& in(model::Language language) const {
    return language == model::Language::en ? en : vi;
  }
  bool empty() const { return vi.empty() && en.empty(); }
};

struct AlertFacts {
  std::string fingerprint;
  Subject subject = Subject::rule;
  std::string name;       // rule or task name
  std::string title;      // its title (may be empty)
  std::string unit;       // unit id (rules)
  std::string unit_name;  // "Đồng Nai"
  std::string state;
  model::Severity severity = model::Severity::none;
  // The worst severity the subject can reach (a rule's `severity`, critical for tasks):
  // stable from state to state, so Alertmanager, which identifies an alert by its label
  // set, can take it as a label where the current state and severity would split one
  // alert into several.
  model::Severity declared_severity = model::Severity::critical;
  bool percent = false;  // value and target are fractions shown as percents
  std::optional<double> value, target, upper, projected, rate_needed, rate_observed;
  std::optional<model::Date> deadline;         // rule's by/from date, or the task's due date
  std::optional<model::Date> earliest_finish;  // tasks
  std::string condition;                       // "online_dossier_rate >= 50% by 2022-12-31"
  // Why, as present::reason_text says it (without the units, which `units` names).
  Worded reason;
  // A share's or count's units that fail or lack data, by name, at most a few of each
  // ("33/36 đơn vị; chưa đạt: Gia Canh, Tà Lài; chưa có số liệu: Sông Ray"); for a
  // `for each` rule, the same over all the rule's units (eval::for_each_summary).
  Worded units;
  // The documents the target rests on, cited ("Kế hoạch 177/KH-UBND ngày 05/8/2022"); empty
  // for a task, or a rule without `basis`.
  Worded basis;
  // Set when the rule's target changed since the alert was last evaluated: "50% → 30% từ
  // 15/10/2022 theo 2345/QĐ-UBND" (present::target_change).
  Worded target_change;
  // The rule's `message` with its placeholders filled (its figures and dates written in
  // each language; the text is the author's), or empty.
  Worded message;
  std::string source;  // "rules/dong-nai-2022.rules:42"
  std::string owner;
  std::string plan;       // the plan that sets the target: name, code and title
  std::string plan_code;  // "177/KH-UBND"
  std::string plan_title;
  std::vector<std::string> chain;  // blocked: task names from the blocking task to the root cause
  // Tasks: the note of the last status report ("vướng thủ tục đầu tư"); rules: the notes
  // of the value's own observations ("số liệu ước tính"), as present::value_remarks finds them.
  std::string note;
  bool estimate = false;  // rules: the value rests on an estimate ("khoảng 83,5%")
  Labels labels;
};

struct Notification {
  NotifyKind kind = NotifyKind::fired;
  AlertFacts alert;
  std::optional<model::Date> since;  // first day of the episode
  bool silenced = false;             // a resolution sent although the alert was silenced
  // A task shown only to carry the rule alerts it holds back: it has nothing new of its
  // own, so it is not counted, and says "nguyên nhân" (root cause) rather than a kind.
  bool context = false;
  // For a task: the rule alerts it holds back (blocked, root cause first), sent inside
  // this notification rather than on their own.
  std::vector<Notification> held_back;
};

// One message per channel per run.
struct Digest {
  std::string channel;
  model::Language language = model::Language::vi;  // the channel's: every word of it
  model::Channel::Kind kind = model::Channel::Kind::email;
  std::int64_t run_id = 0;
  model::Date at;
  std::vector<Notification> items;                         // most severe first, resolutions last
  int fired = 0, changed = 0, repeated = 0, resolved = 0;  // counting held-back ones too
};

using store::Transition;

struct ReconcileInput {
  const model::RuleSet* rules = nullptr;
  const store::Snapshot* snapshot = nullptr;
  const eval::Results* results = nullptr;
  std::vector<AlertRecord> previous;  // every alert not yet resolved
  std::vector<Silence> silences;
  std::string now;  // UTC timestamp the silences are compared with
  std::int64_t run_id = 0;
};

struct ReconcileOutput {
  // The next state of every alert whose stored row changes (new, another lifecycle, state,
  // severity or notification date, resolved); an alert with nothing new is not in it.
  std::vector<AlertRecord> alerts;
  std::size_t firing = 0;        // alerts firing after the run, changed or not
  std::size_t began_firing = 0;  // of those, the ones that were not firing before it
  std::size_t resolved = 0;      // alerts that resolved in the run
  std::vector<Transition> transitions;
  std::vector<Digest> digests;  // one per channel with something to say
};

ReconcileOutput reconcile(const ReconcileInput& input);

// The facts of a rule result or a task result of `context`'s evaluation, with the rule's
// message filled in and the reason said in both languages.
AlertFacts facts_of(const present::ReasonContext& context, const eval::RuleResult& r,
                    std::optional<model::Date> since);
AlertFacts facts_of(const present::ReasonContext& context, const eval::TaskResult& r);

// Default severities of task states: overdue critical; blocked, no_report and at_risk
// warning.
model::Severity task_severity(eval::TaskState state);

}  // namespace tiendo::alert

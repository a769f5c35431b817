#include "alert/alert.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>
#include <type_traits>
#include <unordered_map>
#include <unordered_set>

#include "alert/routing.hpp"
#include "eval/figures.hpp"
#include "present/format.hpp"
#include "present/labels.hpp"
#include "present/results.hpp"

namespace tiendo::alert {

namespace {

using routing::rule_labels;
using routing::task_channels;
using routing::task_labels;

// Units an alert names of a coverage's failing ones (and of those without data).
constexpr std::size_t kCoverageNamed = 5;

using model::Index;
using model::kNone;

template <typename T>
const T& item(const std::vector<T>& v, Index i) {
  return v[static_cast<std::size_t>(i)];
}

std::string source_of(const model::SourceRef& source) {
  return fmt::format("{}:{}", source.file, source.line);
}

// The plan a rule's target comes from: its `plan` label (a plan's name or code), else the
// plan of the first task it needs.
Index plan_of(const model::RuleSet& rules, const model::Rule& rule) {
  for (const auto& [key, value] : rule.labels) {
    if (key != "plan") continue;
    if (const Index p = rules.find_plan(value); p != kNone) return p;
    for (std::size_t p = 0; p < rules.plans.size(); ++p) {
      if (rules.plans[p].code == value) return static_cast<Index>(p);
    }
  }
  for (Index t : rule.needs) {
    if (item(rules.tasks, t).part_of != kNone) return item(rules.tasks, t).part_of;
  }
  return kNone;
}

void set_plan(const model::RuleSet& rules, Index plan, AlertFacts& facts) {
  if (plan == kNone) return;
  const model::Plan& p = item(rules.plans, plan);
  facts.plan = p.name;
  facts.plan_code = p.code;
  facts.plan_title = p.title;
}

std::string figure_text(std::optional<double> value, bool percent, model::Language language) {
  if (!value) return "?";
  return percent ? present::format_percent(*value, language)
                 : present::format_number(*value, language);
}

std::string rate_text(std::optional<double> rate, bool percent, model::Language language) {
  return rate ? present::format_signed_rate(*rate, percent, language) : "?";
}

// The rule's `message` with its placeholders filled, figures and dates written as
// `language` writes them; `{{` and `}}` are literal braces.
std::string fill_message(const model::RuleSet& rules, const model::Rule& rule, const AlertFacts& f,
                         std::optional<model::Date> since, model::Language language) {
  const auto value_of = [&](std::string_view name) -> std::string {
    if (name == "title") return rule.title.empty() ? rule.name : rule.title;
    if (name == "rule") return rule.name;
    if (name == "unit") return f.unit;
    if (name == "unit_name") return f.unit_name.empty() ? f.unit : f.unit_name;
    if (name == "state") return std::string(f.state);
    if (name == "severity") return std::string(model::to_string(f.severity));
    if (name == "value") {
      const std::string text = figure_text(f.value, f.percent, language);
      return f.value && f.estimate ? present::format_estimate(text, language) : text;
    }
    if (name == "target") return figure_text(f.target, f.percent, language);
    if (name == "deadline") return f.deadline ? present::format_date(*f.deadline, language) : "?";
    if (name == "projected") return figure_text(f.projected, f.percent, language);
    if (name == "rate_needed") return rate_text(f.rate_needed, f.percent, language);
    if (name == "rate_observed") return rate_text(f.rate_observed, f.percent, language);
    if (name == "indicator") {
      return rule.indicators.empty() ? std::string()
                                     : item(rules.indicators, rule.indicators.front()).name;
    }
    if (name == "owner") return rule.owner;
    if (name == "plan") return f.plan_title.empty() ? f.plan : f.plan_title;
    if (name == "code") return f.plan_code;
    if (name == "since") return since ? present::format_date(*since, language) : "?";
    return "{" + std::string(name) + "}";
  };
  const std::string& text = rule.message;
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if ((text[i] == '{' || text[i] == '}') && i + 1 < text.size() && text[i + 1] == text[i]) {
      out += text[i++];
      continue;
    }
    const std::size_t close = text[i] == '{' ? text.find('}', i) : std::string::npos;
    if (close == std::string::npos) {
      out += text[i];
      continue;
    }
    out += value_of(std::string_view(text).substr(i + 1, close - i - 1));
    i = close;
  }
  return out;
}

// One alert candidate of this run: an active result. Its facts (reasons in two languages,
// coverage, message) are worked out only when it is news, and its labels only when a
// silence may match them: a run with a million alerts that are still firing costs a
// comparison each.
struct Candidate {
  AlertRecord record;
  const eval::RuleResult* rule_result = nullptr;  // one of these two
  const eval::TaskResult* task_result = nullptr;
  const std::vector<Index>* channels = nullptr;
  std::optional<Index> root_task;  // blocked rules: the task they wait for first
  model::Duration for_duration{0, model::Duration::Unit::day};
  model::Duration repeat_every{7, model::Duration::Unit::day};
};

bool lasted(model::Date since, model::Duration duration, model::Date at) {
  return model::add(since, duration) <= at;
}

}  // namespace

// ---------------------------------------------------------------------------------------

model::Severity task_severity(eval::TaskState state) {
  switch (state) {
    case eval::TaskState::overdue:
      return model::Severity::critical;
    case eval::TaskState::blocked:
    case eval::TaskState::no_report:
    case eval::TaskState::at_risk:
      return model::Severity::warning;
    default:
      return model::Severity::none;
  }
}

AlertFacts facts_of(const present::ReasonContext& context, const eval::RuleResult& r,
                    std::optional<model::Date> since) {
  const model::RuleSet& rules = context.rules;
  const store::Snapshot& snapshot = context.snapshot;
  // The rule as in force on the date: its target, its basis (amendments keep the rest).
  const model::Rule& rule = rules.version(r.rule, r.version);
  const model::Condition& cond = item(rules.conditions, rule.condition);
  AlertFacts f;
  f.subject = Subject::rule;
  f.name = rule.name;
  f.title = rule.title;
  if (r.unit >= 0) {
    const store::SnapshotUnit& unit = snapshot.units()[static_cast<std::size_t>(r.unit)];
    f.unit = unit.id;
    f.unit_name = unit.name;
  }
  f.fingerprint = fingerprint(Subject::rule, f.name, f.unit);
  f.state = std::string(eval::to_string(r.state));
  f.severity = r.severity;
  f.declared_severity = rule.severity;
  f.percent = item(rules.expressions, cond.lhs).unit == model::ValueUnit::percent;
  f.value = r.value;
  f.target = r.target;
  f.upper = r.upper;
  f.projected = r.projected;
  f.rate_needed = r.rate_needed;
  f.rate_observed = r.rate_observed;
  f.deadline = r.deadline;
  f.condition = rule.condition_text;
  // The units are the alert's `units`, said once.
  f.reason = {present::reason_text(context, r, model::Language::vi, /*with_units=*/false),
              present::reason_text(context, r, model::Language::en, /*with_units=*/false)};
  if (r.coverage()) {
    f.units = {
        present::coverage_text(snapshot, *r.coverage(), kCoverageNamed, model::Language::vi),
        present::coverage_text(snapshot, *r.coverage(), kCoverageNamed, model::Language::en)};
  }
  const present::ValueRemarks remarks = present::value_remarks(snapshot, r);
  f.estimate = remarks.estimate;
  f.note = remarks.joined_notes();
  f.source = source_of(rule.source);
  f.owner = rule.owner;
  f.basis = {present::basis_text(rules, rule, model::Language::vi),
             present::basis_text(rules, rule, model::Language::en)};
  set_plan(rules, plan_of(rules, rule), f);
  if (r.blocking_task != kNone) {
    f.chain.push_back(item(rules.tasks, r.blocking_task).name);
    for (Index t : r.chain()) f.chain.push_back(item(rules.tasks, t).name);
  }
  f.labels = rule_labels(rule, f.unit, f.state, f.severity);
  if (!rule.message.empty()) {
    f.message = {fill_message(rules, rule, f, since, model::Language::vi),
                 fill_message(rules, rule, f, since, model::Language::en)};
  }
  return f;
}

AlertFacts facts_of(const present::ReasonContext& context, const eval::TaskResult& r) {
  const model::RuleSet& rules = context.rules;
  const model::Task& task = item(rules.tasks, r.task);
  AlertFacts f;
  f.subject = Subject::task;
  f.name = task.name;
  f.title = task.title;
  f.fingerprint = fingerprint(Subject::task, f.name, "");
  f.state = std::string(eval::to_string(r.state));
  f.severity = task_severity(r.state);
  f.deadline = task.due;
  f.earliest_finish = r.earliest_finish;
  f.reason = {present::reason_text(context, r, model::Language::vi),
              present::reason_text(context, r, model::Language::en)};
  f.note = r.note;
  f.source = source_of(task.source);
  f.owner = task.owner;
  set_plan(rules, task.part_of, f);
  if (!r.chain.empty()) {
    f.chain.push_back(task.name);
    for (Index t : r.chain) f.chain.push_back(item(rules.tasks, t).name);
  }
  f.labels = task_labels(rules, task, f.state, f.severity);
  return f;
}

// ---------------------------------------------------------------------------------------
// reconcile, in steps: the candidates (which results are alerts), each active alert's
// lifecycle and whether it is news, the silences, the resolutions, the digests.

namespace {

// What the steps of one reconcile read.
struct Run {
  const ReconcileInput& input;
  const model::RuleSet& rules;
  const eval::Results& results;
  present::ReasonContext reasons;
  model::Date at;
  // Each `for each` rule summed up over all its units, for its alerts' `units`: an alert
  // at one district names the others that fail too. Said when an alert of it is news.
  mutable std::vector<std::optional<Worded>> summaries;
  // Not resolved, by fingerprint (the strings are input.previous's).
  std::unordered_map<std::string_view, const AlertRecord*> previous;
  std::vector<std::vector<Index>> task_channels;  // task_channels(rules)
  bool any_silence = false;  // whether a silence is in effect now (labels are needed)
};

Run start_run(const ReconcileInput& input) {
  Run run{input,
          *input.rules,
          *input.results,
          {*input.rules, *input.snapshot, *input.results},
          input.results->at,
          {},
          {},
          {}};
  run.summaries.resize(run.rules.rules.size());
  run.previous.reserve(input.previous.size());
  for (const AlertRecord& a : input.previous) {
    if (a.lifecycle != Lifecycle::resolved) run.previous.emplace(a.fingerprint, &a);
  }
  run.task_channels = task_channels(run.rules);
  for (const Silence& silence : input.silences) {
    if (silence.active(input.now)) run.any_silence = true;
  }
  return run;
}

// The `for each` summary of rule `rule`, said once per run.
const Worded& summary_of(const Run& run, Index rule) {
  std::optional<Worded>& summary = run.summaries[static_cast<std::size_t>(rule)];
  if (!summary) {
    summary.emplace();
    if (const auto found = eval::for_each_summary(run.rules, eval::results_of(run.results, rule))) {
      *summary = {
          present::coverage_text(*run.input.snapshot, *found, kCoverageNamed, model::Language::vi),
          present::coverage_text(*run.input.snapshot, *found, kCoverageNamed, model::Language::en)};
    }
  }
  return *summary;
}

AlertFacts rule_facts(const Run& run, const eval::RuleResult& r, std::optional<model::Date> since) {
  AlertFacts f = facts_of(run.reasons, r, since);
  if (f.units.empty()) f.units = summary_of(run, r.rule);
  // The target itself changed since the alert was last evaluated: an amendment came into
  // force (or, on a rewound ledger, went out of force). The message says so, as the state
  // may have changed for that reason alone.
  const auto it = run.previous.find(f.fingerprint);
  if (it != run.previous.end()) {
    const std::int32_t before = run.rules.version_at(r.rule, it->second->evaluated);
    if (before != r.version) {
      f.target_change = {
          present::target_change(run.rules, r.rule, before, r.version, model::Language::vi),
          present::target_change(run.rules, r.rule, before, r.version, model::Language::en)};
    }
  }
  return f;
}

const AlertRecord* previous_of(const Run& run, std::string_view fingerprint) {
  const auto it = run.previous.find(fingerprint);
  return it == run.previous.end() ? nullptr : it->second;
}

std::vector<std::string> channel_names(const Run& run, const std::vector<Index>& channels) {
  std::vector<std::string> names;
  for (Index ch : channels) names.push_back(item(run.rules.channels, ch).name);
  return names;
}

// The transition `next` makes in this run, from `from` (none for a new alert).
Transition transition(const AlertRecord& next, std::optional<Lifecycle> from,
                      std::optional<NotifyKind> kind, std::optional<std::int64_t> silenced_by,
                      std::vector<std::string> channels) {
  Transition t;
  t.fingerprint = next.fingerprint;
  t.from = from;
  t.to = next.lifecycle;
  t.state = next.state;
  t.severity = next.severity;
  t.notify = kind;
  t.silenced_by = silenced_by;
  t.channels = std::move(channels);
  return t;
}

// A notification to put in the digests of `channels`.
struct Pending {
  Notification notification;
  std::vector<Index> channels;
  std::optional<Index> root_task;
};

// What reconcile builds as it goes.
struct Outcome {
  ReconcileOutput out;
  std::vector<Pending> notify;  // in the order decided: tasks' before rules'
};

// Candidates: a task is an alert when its state has a severity; its alerts go to the
// channels of the rules that need it.
Candidate task_candidate(const Run& run, const eval::TaskResult& r, model::Severity severity) {
  const model::Task& task = item(run.rules.tasks, r.task);
  Candidate c;
  c.task_result = &r;
  c.channels = &run.task_channels[static_cast<std::size_t>(r.task)];
  c.record.subject = Subject::task;
  c.record.name = task.name;
  c.record.state = eval::to_string(r.state);
  c.record.severity = severity;
  c.record.fingerprint = fingerprint(Subject::task, task.name, "");
  return c;
}

// Candidates: a rule result with a severity is an alert, with the rule's `for`, `repeat
// every` and channels; a blocked one names the task it waits for first.
Candidate rule_candidate(const Run& run, const eval::RuleResult& r) {
  const model::Rule& rule = item(run.rules.rules, r.rule);
  Candidate c;
  c.rule_result = &r;
  std::string unit;
  if (r.unit >= 0) unit = run.input.snapshot->units()[static_cast<std::size_t>(r.unit)].id;
  c.record.fingerprint = fingerprint(Subject::rule, rule.name, unit);
  c.channels = &rule.notify;
  c.record.subject = Subject::rule;
  c.record.name = rule.name;
  c.record.unit = std::move(unit);
  c.record.state = eval::to_string(r.state);
  c.record.severity = r.severity;
  if (rule.for_duration) c.for_duration = *rule.for_duration;
  c.repeat_every = rule.repeat_every;
  if (r.state == eval::RuleState::blocked && r.blocking_task != kNone) {
    c.root_task = r.chain().empty() ? r.blocking_task : r.chain().back();
  }
  return c;
}

// The facts a notification of candidate `c` carries, its episode started on `since`.
AlertFacts candidate_facts(const Run& run, const Candidate& c, model::Date since) {
  if (c.task_result) return facts_of(run.reasons, *c.task_result);
  return rule_facts(run, *c.rule_result, since);
}

// The labels silences match candidate `c` by.
Labels candidate_labels(const Run& run, const Candidate& c) {
  if (c.task_result) {
    return task_labels(run.rules, item(run.rules.tasks, c.task_result->task), c.record.state,
                       c.record.severity);
  }
  return rule_labels(item(run.rules.rules, c.rule_result->rule), c.record.unit, c.record.state,
                     c.record.severity);
}

// Lifecycle: an alert keeps its episode from the previous run, or starts one, pending,
// today; a pending alert fires once it has lasted the rule's `for`.
AlertRecord next_record(const Run& run, const Candidate& c, const AlertRecord* prev) {
  AlertRecord next = c.record;
  next.evaluated = run.at;
  if (prev) {
    next.since = prev->since;
    next.lifecycle = prev->lifecycle;
    next.firing_since = prev->firing_since;
    next.last_notified = prev->last_notified;
  } else {
    next.since = run.at;
    next.lifecycle = Lifecycle::pending;
  }
  if (next.lifecycle == Lifecycle::pending && lasted(next.since, c.for_duration, run.at)) {
    next.lifecycle = Lifecycle::firing;
    next.firing_since = run.at;
  }
  return next;
}

// Lifecycle: whether a firing alert is news — its first firing, a change of state or
// severity, or `repeat every` elapsed since it was last notified. Never for a silenced
// alert, nor for one without a channel.
std::optional<NotifyKind> news_of(const Run& run, const Candidate& c, const AlertRecord* prev,
                                  const AlertRecord& next, bool silenced) {
  std::optional<NotifyKind> kind;
  if (next.lifecycle == Lifecycle::firing) {
    if (!prev || prev->lifecycle != Lifecycle::firing || !next.last_notified) {
      kind = NotifyKind::fired;
    } else if (prev->state != next.state || prev->severity != next.severity) {
      kind = NotifyKind::changed;
    } else if (lasted(*next.last_notified, c.repeat_every, run.at)) {
      kind = NotifyKind::repeated;
    }
  }
  if (silenced) kind.reset();
  if (kind && c.channels->empty()) kind.reset();
  return kind;
}

// Silences: the first silence in effect now whose matchers all match the labels.
std::optional<std::int64_t> silence_of(const Run& run, const Labels& labels) {
  for (const Silence& s : run.input.silences) {
    if (s.active(run.input.now) && matches(s.matchers, labels)) return s.id;
  }
  return std::nullopt;
}

// The first silence in effect now that matches candidate `c`.
std::optional<std::int64_t> silence_of(const Run& run, const Candidate& c) {
  if (!run.any_silence) return std::nullopt;
  return silence_of(run, candidate_labels(run, c));
}

// Alertmanager expires alerts that are not pushed again: a firing alert with nothing new
// goes to its Alertmanager channels as a repeat on every run.
void push_again(const Run& run, const Candidate& c, const AlertRecord& next, Outcome& outcome) {
  Pending p;
  for (Index ch : *c.channels) {
    if (item(run.rules.channels, ch).kind == model::Channel::Kind::alertmanager) {
      p.channels.push_back(ch);
    }
  }
  if (p.channels.empty()) return;
  outcome.out.transitions.push_back(transition(next, next.lifecycle, NotifyKind::repeated,
                                               std::nullopt, channel_names(run, p.channels)));
  p.notification.kind = NotifyKind::repeated;
  p.notification.alert = candidate_facts(run, c, next.since);
  p.notification.since = next.since;
  outcome.notify.push_back(std::move(p));
}

// One active alert: its next record (written when its row changes), its transition when
// its lifecycle, state or severity changed or it is news, and its notification when it
// is news.
void reconcile_active(const Run& run, const Candidate& c, Outcome& outcome) {
  const AlertRecord* prev = previous_of(run, c.record.fingerprint);
  AlertRecord next = next_record(run, c, prev);
  const std::optional<std::int64_t> silenced_by = silence_of(run, c);
  const std::optional<NotifyKind> kind = news_of(run, c, prev, next, silenced_by.has_value());
  if (kind) next.last_notified = run.at;

  const bool changed = !prev || prev->lifecycle != next.lifecycle || prev->state != next.state ||
                       prev->severity != next.severity || kind;
  if (changed) {
    outcome.out.transitions.push_back(
        transition(next, prev ? std::optional(prev->lifecycle) : std::nullopt, kind, silenced_by,
                   kind ? channel_names(run, *c.channels) : std::vector<std::string>()));
  }
  if (kind) {
    Pending p;
    p.notification.kind = *kind;
    p.notification.alert = candidate_facts(run, c, next.since);
    p.notification.since = next.since;
    p.channels = *c.channels;
    p.root_task = c.root_task;
    outcome.notify.push_back(std::move(p));
  }
  if (!kind && next.lifecycle == Lifecycle::firing && !silenced_by)
    push_again(run, c, next, outcome);
  if (next.lifecycle == Lifecycle::firing) {
    ++outcome.out.firing;
    if (!prev || prev->lifecycle != Lifecycle::firing) ++outcome.out.began_firing;
  }
  // The row as stored, the evaluation date aside (an open alert's is the run's).
  const auto row_changes = [&] {
    if (!prev) return true;
    AlertRecord was = *prev;
    was.evaluated = next.evaluated;
    return !(was == next);
  };
  if (row_changes()) outcome.out.alerts.push_back(std::move(next));
}

// A resolved alert's subject as it is now, and the channels its resolution may go to.
struct Resolved {
  AlertFacts facts;
  std::vector<Index> channels;
};

// Resolutions: a rule alert's result at its unit today, when the rule and the unit still
// exist; else a note saying which is gone (a rule gone: the `default` channel hears it).
Resolved resolved_rule(const Run& run, const AlertRecord& prev) {
  Resolved resolved;
  const Index rule_index = run.rules.find_rule(prev.name);
  const eval::RuleResult* now = nullptr;
  if (rule_index != kNone) {
    resolved.channels = item(run.rules.rules, rule_index).notify;
    for (const eval::RuleResult& r : eval::results_of(run.results, rule_index)) {
      const std::string_view unit =
          r.unit >= 0
              ? std::string_view(run.input.snapshot->units()[static_cast<std::size_t>(r.unit)].id)
              : std::string_view();
      if (unit == prev.unit) now = &r;
    }
  }
  if (now) {
    resolved.facts = rule_facts(run, *now, prev.since);
    return resolved;
  }
  AlertFacts& facts = resolved.facts;
  facts.subject = Subject::rule;
  facts.name = prev.name;
  facts.unit = prev.unit;
  facts.state = "resolved";
  facts.reason =
      rule_index == kNone
          ? Worded{"quy tắc không còn trong bộ quy tắc", "the rule is no longer in the rule set"}
          : Worded{"đơn vị không còn trong kho dữ liệu", "the unit is no longer in the store"};
  if (rule_index == kNone) {
    const Index fallback = run.rules.find_channel("default");
    if (fallback != kNone) resolved.channels.push_back(fallback);
  }
  return resolved;
}

// Resolutions: a task alert's task today, or a note that the task is gone (heard on the
// `default` channel).
Resolved resolved_task(const Run& run, const AlertRecord& prev) {
  Resolved resolved;
  const Index task = run.rules.find_task(prev.name);
  if (task != kNone) {
    resolved.facts = facts_of(run.reasons, run.results.tasks[static_cast<std::size_t>(task)]);
    resolved.channels = run.task_channels[static_cast<std::size_t>(task)];
    return resolved;
  }
  resolved.facts.subject = Subject::task;
  resolved.facts.name = prev.name;
  resolved.facts.state = "resolved";
  resolved.facts.reason = {"nhiệm vụ không còn trong bộ quy tắc",
                           "the task is no longer in the rule set"};
  const Index fallback = run.rules.find_channel("default");
  if (fallback != kNone) resolved.channels.push_back(fallback);
  return resolved;
}

// Resolutions: an alert of the previous run that is no longer active resolves. That is
// news only about an alert people heard of, one that fired, and only on channels that
// take resolutions; it is sent even when the alert is silenced now.
void resolve(const Run& run, const std::string& fp, const AlertRecord& prev, Outcome& outcome) {
  AlertRecord next = prev;
  next.lifecycle = Lifecycle::resolved;
  next.evaluated = run.at;
  Resolved resolved =
      prev.subject == Subject::rule ? resolved_rule(run, prev) : resolved_task(run, prev);
  AlertFacts& facts = resolved.facts;
  facts.fingerprint = fp;
  std::optional<NotifyKind> kind;
  std::vector<Index> targets;
  if (prev.lifecycle == Lifecycle::firing) {
    for (Index ch : resolved.channels) {
      if (item(run.rules.channels, ch).send_resolved) targets.push_back(ch);
    }
    if (!targets.empty()) kind = NotifyKind::resolved;
  }
  const Labels labels = facts.labels.empty()
                            ? Labels{{"subject", std::string(to_string(prev.subject))},
                                     {prev.subject == Subject::rule ? "rule" : "task", prev.name},
                                     {"unit", prev.unit}}
                            : facts.labels;
  const std::optional<std::int64_t> silenced_by = silence_of(run, labels);
  if (kind) next.last_notified = run.at;
  next.state = facts.state;
  next.severity = facts.severity;
  outcome.out.transitions.push_back(
      transition(next, prev.lifecycle, kind, silenced_by,
                 kind ? channel_names(run, targets) : std::vector<std::string>()));
  ++outcome.out.resolved;
  if (kind) {
    Pending p;
    p.notification.kind = NotifyKind::resolved;
    p.notification.alert = std::move(facts);
    p.notification.since = prev.since;
    p.notification.silenced = silenced_by.has_value();
    p.channels = targets;
    outcome.notify.push_back(std::move(p));
  }
  outcome.out.alerts.push_back(std::move(next));
}

// Digests: a blocked rule's alert goes inside the item of the task it waits for (shown
// again, as context, when that task has nothing new of its own); not on Alertmanager,
// and never a resolution.
void add_to_digest(const Run& run, const Pending& p, Digest& d) {
  const bool nest = p.root_task && d.kind != model::Channel::Kind::alertmanager &&
                    p.notification.kind != NotifyKind::resolved;
  if (!nest) {
    d.items.push_back(p.notification);
    return;
  }
  const std::string task_fp =
      fingerprint(Subject::task, item(run.rules.tasks, *p.root_task).name, "");
  auto holder = std::find_if(d.items.begin(), d.items.end(), [&](const Notification& n) {
    return n.alert.fingerprint == task_fp && n.kind != NotifyKind::resolved;
  });
  if (holder == d.items.end()) {
    // The root cause has nothing new of its own: it is shown again to hold this one.
    Notification context;
    context.kind = NotifyKind::repeated;
    context.context = true;
    context.alert =
        facts_of(run.reasons, run.results.tasks[static_cast<std::size_t>(*p.root_task)]);
    d.items.push_back(std::move(context));
    holder = d.items.end() - 1;
  }
  holder->held_back.push_back(p.notification);
}

// Digests: most severe first, resolutions last; then by kind, name and unit.
void sort_digest(Digest& d) {
  std::stable_sort(
      d.items.begin(), d.items.end(), [](const Notification& a, const Notification& b) {
        const bool ra = a.kind == NotifyKind::resolved, rb = b.kind == NotifyKind::resolved;
        if (ra != rb) return rb;
        if (a.alert.severity != b.alert.severity)
          return present::rank(a.alert.severity) < present::rank(b.alert.severity);
        if (a.kind != b.kind) return static_cast<int>(a.kind) < static_cast<int>(b.kind);
        if (a.alert.name != b.alert.name) return a.alert.name < b.alert.name;
        return a.alert.unit < b.alert.unit;
      });
}

// Digests: the counts by kind, held-back alerts included, context items not.
void count_digest(Digest& d) {
  const auto count = [&d](const Notification& n) {
    switch (n.kind) {
      case NotifyKind::fired:
        ++d.fired;
        break;
      case NotifyKind::changed:
        ++d.changed;
        break;
      case NotifyKind::repeated:
        ++d.repeated;
        break;
      case NotifyKind::resolved:
        ++d.resolved;
        break;
    }
  };
  for (const Notification& n : d.items) {
    if (!n.context) count(n);
    for (const Notification& h : n.held_back) count(h);
  }
}

// Digests: one message per channel with something to say, in channel order.
std::vector<Digest> digests(const Run& run, const std::vector<Pending>& notify) {
  std::map<Index, Digest> by_channel;
  // Tasks come before rules in `notify`, so a task's own notification is in place before
  // the rules it holds back look for it.
  for (const Pending& p : notify) {
    for (Index ch : p.channels) {
      Digest& d = by_channel[ch];
      d.channel = item(run.rules.channels, ch).name;
      d.kind = item(run.rules.channels, ch).kind;
      d.language = item(run.rules.channels, ch).language;
      d.run_id = run.input.run_id;
      d.at = run.at;
      add_to_digest(run, p, d);
    }
  }
  std::vector<Digest> out;
  for (auto& [ch, d] : by_channel) {
    sort_digest(d);
    count_digest(d);
    out.push_back(std::move(d));
  }
  return out;
}

}  // namespace

ReconcileOutput reconcile(const ReconcileInput& input) {
  const Run run = start_run(input);
  Outcome outcome;
  // Each previous alert still active is met once; those not met resolve. Tasks come first
  // (the digests rely on that order).
  std::unordered_set<std::string_view> seen;
  seen.reserve(run.previous.size());
  const auto active = [&](const Candidate& c) {
    if (const auto it = run.previous.find(c.record.fingerprint); it != run.previous.end()) {
      seen.insert(it->first);
    }
    reconcile_active(run, c, outcome);
  };
  for (const eval::TaskResult& r : run.results.tasks) {
    const model::Severity severity = task_severity(r.state);
    if (severity != model::Severity::none) active(task_candidate(run, r, severity));
  }
  for (const eval::RuleResult& r : run.results.rules) {
    if (r.severity != model::Severity::none) active(rule_candidate(run, r));
  }
  // In fingerprint order, as the previous alerts were loaded.
  for (const AlertRecord& prev : run.input.previous) {
    if (prev.lifecycle == Lifecycle::resolved || seen.count(prev.fingerprint)) continue;
    resolve(run, prev.fingerprint, prev, outcome);
  }
  outcome.out.digests = digests(run, outcome.notify);
  return std::move(outcome.out);
}

}  // namespace tiendo::alert

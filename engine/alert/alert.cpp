#include "alert/alert.hpp"

#include <fmt/format.h>
#include <openssl/sha.h>
#include <re2/re2.h>

#include <algorithm>
#include <map>
#include <set>
#include <type_traits>

#include "eval/figures.hpp"
#include "present/format.hpp"
#include "present/labels.hpp"
#include "present/results.hpp"

namespace tiendo::alert {

namespace {

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

// The value of a matcher name for an alert's labels; nullopt when it has none.
std::optional<std::string_view> label(const Labels& labels, std::string_view name) {
  for (const auto& [key, value] : labels) {
    if (key == name) return std::string_view(value);
  }
  return std::nullopt;
}

bool matches_one(const Matcher& m, const Labels& labels) {
  const std::string_view value = label(labels, m.name).value_or("");
  if (m.op == "=") return value == m.value;
  if (m.op == "!=") return value != m.value;
  // A stored pattern that no longer compiles (written for another syntax) matches
  // nothing, either way: a silence that cannot be read silences no alert.
  if (!m.regex) return false;
  const bool hit = re2::RE2::FullMatch(value, *m.regex);
  return m.op == "=~" ? hit : !hit;
}

// The start of `text` for an error message: a 40 KB pattern is not repeated whole.
std::string abridged(std::string_view text, std::size_t shown = 40) {
  if (text.size() <= shown) return std::string(text);
  std::size_t cut = shown;
  // Cut on a UTF-8 character boundary.
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  return std::string(text.substr(0, cut)) + "…";
}

// A matcher as an error message shows it.
std::string shown(std::string_view name, std::string_view op, std::string_view value) {
  return fmt::format("{}{}'{}'", abridged(name), op, abridged(value));
}

// `pattern` compiled for a matcher, or null and `error` set. The length is checked
// before RE2 sees the pattern, and RE2's memory is bounded, so a request cannot make
// the compilation itself expensive.
std::shared_ptr<const re2::RE2> compile_matcher_regex(std::string_view name, std::string_view op,
                                                      const std::string& pattern,
                                                      std::string& error) {
  if (pattern.size() > kMaxMatcherRegexBytes) {
    error = fmt::format("{}: the regular expression is {} bytes long; at most {}",
                        shown(name, op, pattern), pattern.size(), kMaxMatcherRegexBytes);
    return nullptr;
  }
  re2::RE2::Options options;
  options.set_log_errors(false);
  options.set_max_mem(kMaxMatcherRegexMemory);
  auto regex = std::make_shared<const re2::RE2>(pattern, options);
  if (regex->ok()) return regex;
  if (regex->error_code() == re2::RE2::ErrorPatternTooLarge) {
    error = fmt::format("{}: the regular expression is too big once compiled (more than {} KiB)",
                        shown(name, op, pattern), kMaxMatcherRegexMemory / 1024);
  } else {
    // RE2's message quotes the part of the pattern it stopped at, which may be all of it.
    error = fmt::format("{}: not a valid regular expression (RE2 syntax): {}",
                        shown(name, op, pattern), abridged(regex->error(), 80));
  }
  return nullptr;
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

std::string figure_text(std::optional<double> value, bool percent) {
  if (!value) return "?";
  return percent ? present::format_percent(*value) : present::format_number(*value);
}

std::string rate_text(std::optional<double> rate, bool percent) {
  if (!rate) return "?";
  const double scaled = percent ? *rate * 100 : *rate;
  return (scaled >= 0 ? "+" : "-") + present::format_number(std::abs(scaled)) +
         (percent ? " điểm %/tháng" : "/tháng");
}

// The rule's `message` with its placeholders filled (Vietnamese formats: the messages
// are written in Vietnamese); `{{` and `}}` are literal braces.
std::string fill_message(const model::RuleSet& rules, const model::Rule& rule, const AlertFacts& f,
                         std::optional<model::Date> since) {
  const auto value_of = [&](std::string_view name) -> std::string {
    if (name == "title") return rule.title.empty() ? rule.name : rule.title;
    if (name == "rule") return rule.name;
    if (name == "unit") return f.unit;
    if (name == "unit_name") return f.unit_name.empty() ? f.unit : f.unit_name;
    if (name == "state") return std::string(f.state);
    if (name == "severity") return std::string(model::to_string(f.severity));
    if (name == "value") return figure_text(f.value, f.percent);
    if (name == "target") return figure_text(f.target, f.percent);
    if (name == "deadline") return f.deadline ? present::format_date(*f.deadline) : "?";
    if (name == "projected") return figure_text(f.projected, f.percent);
    if (name == "rate_needed") return rate_text(f.rate_needed, f.percent);
    if (name == "rate_observed") return rate_text(f.rate_observed, f.percent);
    if (name == "indicator") {
      return rule.indicators.empty() ? std::string()
                                     : item(rules.indicators, rule.indicators.front()).name;
    }
    if (name == "owner") return rule.owner;
    if (name == "plan") return f.plan_title.empty() ? f.plan : f.plan_title;
    if (name == "code") return f.plan_code;
    if (name == "since") return since ? present::format_date(*since) : "?";
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

Labels rule_labels(const model::Rule& rule, std::string_view unit, std::string_view state,
                   model::Severity severity) {
  Labels labels = {{"subject", "rule"},
                   {"rule", rule.name},
                   {"unit", std::string(unit)},
                   {"owner", rule.owner},
                   {"severity", std::string(model::to_string(severity))},
                   {"state", std::string(state)}};
  for (const auto& l : rule.labels) {
    if (!label(labels, l.first)) labels.push_back(l);
  }
  return labels;
}

Labels task_labels(const model::RuleSet& rules, const model::Task& task, std::string_view state,
                   model::Severity severity) {
  Labels labels = {{"subject", "task"},
                   {"task", task.name},
                   {"unit", ""},
                   {"owner", task.owner},
                   {"severity", std::string(model::to_string(severity))},
                   {"state", std::string(state)},
                   {"plan", task.part_of == kNone ? "" : item(rules.plans, task.part_of).name}};
  for (const auto& l : task.labels) {
    if (!label(labels, l.first)) labels.push_back(l);
  }
  return labels;
}

// Channels a task's alerts go to: those of every rule that needs it, directly or through
// the tasks it must wait for; the `default` channel when no rule does.
std::vector<std::vector<Index>> task_channels(const model::RuleSet& rules) {
  std::vector<std::set<Index>> channels(rules.tasks.size());
  for (const model::Rule& rule : rules.rules) {
    std::vector<Index> stack(rule.needs.begin(), rule.needs.end());
    std::vector<bool> seen(rules.tasks.size(), false);
    while (!stack.empty()) {
      const Index t = stack.back();
      stack.pop_back();
      if (seen[static_cast<std::size_t>(t)]) continue;
      seen[static_cast<std::size_t>(t)] = true;
      channels[static_cast<std::size_t>(t)].insert(rule.notify.begin(), rule.notify.end());
      for (Index before : item(rules.tasks, t).after) stack.push_back(before);
    }
  }
  const Index fallback = rules.find_channel("default");
  std::vector<std::vector<Index>> out(rules.tasks.size());
  for (std::size_t t = 0; t < channels.size(); ++t) {
    out[t].assign(channels[t].begin(), channels[t].end());
    if (out[t].empty() && fallback != kNone) out[t].push_back(fallback);
  }
  return out;
}

// One alert candidate of this run: an active result, or a previous alert that resolves.
struct Candidate {
  AlertRecord record;
  AlertFacts facts;
  Labels labels;
  std::vector<Index> channels;
  std::optional<Index> root_task;  // blocked rules: the task they wait for first
  model::Duration for_duration{0, model::Duration::Unit::day};
  model::Duration repeat_every{7, model::Duration::Unit::day};
};

bool lasted(model::Date since, model::Duration duration, model::Date at) {
  return model::add(since, duration) <= at;
}

}  // namespace

// ---------------------------------------------------------------------------------------

std::string_view to_string(Subject subject) { return subject == Subject::rule ? "rule" : "task"; }

std::string_view to_string(Lifecycle lifecycle) {
  switch (lifecycle) {
    case Lifecycle::pending:
      return "pending";
    case Lifecycle::firing:
      return "firing";
    case Lifecycle::resolved:
      return "resolved";
  }
  return "pending";
}

std::string_view to_string(NotifyKind kind) {
  switch (kind) {
    case NotifyKind::fired:
      return "fired";
    case NotifyKind::changed:
      return "changed";
    case NotifyKind::repeated:
      return "repeated";
    case NotifyKind::resolved:
      return "resolved";
  }
  return "fired";
}

std::optional<Subject> parse_subject(std::string_view text) {
  if (text == "rule") return Subject::rule;
  if (text == "task") return Subject::task;
  return std::nullopt;
}

std::optional<Lifecycle> parse_lifecycle(std::string_view text) {
  for (Lifecycle l : {Lifecycle::pending, Lifecycle::firing, Lifecycle::resolved}) {
    if (to_string(l) == text) return l;
  }
  return std::nullopt;
}

std::optional<NotifyKind> parse_notify_kind(std::string_view text) {
  for (NotifyKind k :
       {NotifyKind::fired, NotifyKind::changed, NotifyKind::repeated, NotifyKind::resolved}) {
    if (to_string(k) == text) return k;
  }
  return std::nullopt;
}

std::string fingerprint(Subject subject, std::string_view name, std::string_view unit) {
  std::string key(to_string(subject));
  key += '\0';
  key += name;
  key += '\0';
  key += unit;
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(key.data()), key.size(), digest);
  std::string hex;
  for (int i = 0; i < 8; ++i) hex += fmt::format("{:02x}", digest[i]);
  return hex;
}

bool Silence::active(std::string_view now) const {
  // ISO 8601 UTC timestamps of one shape compare as strings.
  return !expired_at && starts_at <= now && now < ends_at;
}

std::optional<Matcher> parse_matcher(std::string_view text, std::string& error) {
  std::size_t pos = 0;
  while (pos < text.size() &&
         (std::isalnum(static_cast<unsigned char>(text[pos])) || text[pos] == '_')) {
    ++pos;
  }
  Matcher m;
  m.name = std::string(text.substr(0, pos));
  if (m.name.empty()) {
    error = fmt::format(
        "'{}' is not a matcher: write NAME=VALUE, NAME!=VALUE, NAME=~REGEX or "
        "NAME!~REGEX",
        abridged(text));
    return std::nullopt;
  }
  const std::string_view rest = text.substr(pos);
  for (std::string_view op : {"=~", "!~", "!=", "="}) {
    if (rest.substr(0, op.size()) == op) {
      m.op = std::string(op);
      std::string_view value = rest.substr(op.size());
      if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
        value = value.substr(1, value.size() - 2);
      }
      return make_matcher(std::move(m.name), std::move(m.op), std::string(value), error);
    }
  }
  const std::string name = abridged(m.name);
  error = fmt::format("'{}' has no operator: write {}=VALUE, {}!=VALUE, {}=~REGEX or {}!~REGEX",
                      abridged(text), name, name, name, name);
  return std::nullopt;
}

std::optional<Matcher> make_matcher(std::string name, std::string op, std::string value,
                                    std::string& error) {
  Matcher m;
  m.name = std::move(name);
  m.op = std::move(op);
  m.value = std::move(value);
  if (m.op == "=~" || m.op == "!~") {
    m.regex = compile_matcher_regex(m.name, m.op, m.value, error);
    if (!m.regex) return std::nullopt;
  } else if (m.op != "=" && m.op != "!=") {
    error = fmt::format("{}: '{}' is not an operator: write =, !=, =~ or !~", abridged(m.name),
                        abridged(m.op));
    return std::nullopt;
  }
  return m;
}

std::string to_string(const Matcher& matcher) {
  return matcher.name + matcher.op + "\"" + matcher.value + "\"";
}

bool matches(const std::vector<Matcher>& matchers, const Labels& labels) {
  return std::all_of(matchers.begin(), matchers.end(),
                     [&](const Matcher& m) { return matches_one(m, labels); });
}

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

AlertFacts facts_of(const model::RuleSet& rules, const store::Snapshot& snapshot,
                    const eval::RuleResult& r, std::optional<model::Date> since) {
  const model::Rule& rule = item(rules.rules, r.rule);
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
  f.reason = r.reason;
  if (r.coverage) f.units = present::coverage_text(snapshot, *r.coverage, kCoverageNamed);
  f.source = source_of(rule.source);
  f.owner = rule.owner;
  f.basis = present::basis_text(rules, rule);
  set_plan(rules, plan_of(rules, rule), f);
  if (r.blocking_task != kNone) {
    f.chain.push_back(item(rules.tasks, r.blocking_task).name);
    for (Index t : r.chain) f.chain.push_back(item(rules.tasks, t).name);
  }
  f.labels = rule_labels(rule, f.unit, f.state, f.severity);
  if (!rule.message.empty()) f.message = fill_message(rules, rule, f, since);
  return f;
}

AlertFacts facts_of(const model::RuleSet& rules, const eval::TaskResult& r) {
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
  f.reason = r.reason;
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

ReconcileOutput reconcile(const ReconcileInput& input) {
  const model::RuleSet& rules = *input.rules;
  const eval::Results& results = *input.results;
  const model::Date at = results.at;
  // Each `for each` rule summed up over all its units, for its alerts' `units`: an alert
  // at one district names the others that fail too.
  std::vector<std::string> summaries(rules.rules.size());
  for (std::size_t i = 0; i < summaries.size(); ++i) {
    if (const auto summary =
            eval::for_each_summary(rules, eval::results_of(results, static_cast<Index>(i)))) {
      summaries[i] = present::coverage_text(*input.snapshot, *summary, kCoverageNamed);
    }
  }
  const auto rule_facts = [&](const eval::RuleResult& r, std::optional<model::Date> since) {
    AlertFacts f = facts_of(rules, *input.snapshot, r, since);
    if (f.units.empty()) f.units = summaries[static_cast<std::size_t>(r.rule)];
    return f;
  };
  std::map<std::string, const AlertRecord*> previous;
  for (const AlertRecord& a : input.previous) {
    if (a.lifecycle != Lifecycle::resolved) previous.emplace(a.fingerprint, &a);
  }

  // This run's active alerts.
  std::vector<Candidate> active;
  std::map<Index, std::size_t> task_candidate;  // task -> index in `active`
  const auto channels_of_tasks = task_channels(rules);
  for (const eval::TaskResult& r : results.tasks) {
    const model::Severity severity = task_severity(r.state);
    if (severity == model::Severity::none) continue;
    Candidate c;
    c.facts = facts_of(rules, r);
    c.labels = c.facts.labels;
    c.channels = channels_of_tasks[static_cast<std::size_t>(r.task)];
    c.record.subject = Subject::task;
    c.record.name = c.facts.name;
    c.record.state = c.facts.state;
    c.record.severity = severity;
    c.record.fingerprint = c.facts.fingerprint;
    task_candidate.emplace(r.task, active.size());
    active.push_back(std::move(c));
  }
  for (const eval::RuleResult& r : results.rules) {
    if (r.severity == model::Severity::none) continue;
    const model::Rule& rule = item(rules.rules, r.rule);
    Candidate c;
    std::string unit;
    if (r.unit >= 0) unit = input.snapshot->units()[static_cast<std::size_t>(r.unit)].id;
    const std::string fp = fingerprint(Subject::rule, rule.name, unit);
    const auto prev = previous.find(fp);
    const std::optional<model::Date> since =
        prev == previous.end() ? std::optional<model::Date>(at) : prev->second->since;
    c.facts = rule_facts(r, since);
    c.labels = c.facts.labels;
    c.channels = rule.notify;
    c.record.subject = Subject::rule;
    c.record.name = rule.name;
    c.record.unit = unit;
    c.record.state = c.facts.state;
    c.record.severity = r.severity;
    c.record.fingerprint = fp;
    if (rule.for_duration) c.for_duration = *rule.for_duration;
    c.repeat_every = rule.repeat_every;
    if (r.state == eval::RuleState::blocked && r.blocking_task != kNone) {
      c.root_task = r.chain.empty() ? r.blocking_task : r.chain.back();
    }
    active.push_back(std::move(c));
  }

  ReconcileOutput out;
  struct Pending {
    Notification notification;
    std::vector<Index> channels;
    std::optional<Index> root_task;
  };
  std::vector<Pending> notify;
  std::set<std::string> seen;
  const auto silence_of = [&](const Labels& labels) -> std::optional<std::int64_t> {
    for (const Silence& s : input.silences) {
      if (s.active(input.now) && matches(s.matchers, labels)) return s.id;
    }
    return std::nullopt;
  };
  const auto names_of = [&](const std::vector<Index>& channels) {
    std::vector<std::string> names;
    for (Index ch : channels) names.push_back(item(rules.channels, ch).name);
    return names;
  };

  for (Candidate& c : active) {
    seen.insert(c.record.fingerprint);
    const auto it = previous.find(c.record.fingerprint);
    const AlertRecord* prev = it == previous.end() ? nullptr : it->second;
    AlertRecord next = c.record;
    next.evaluated = at;
    if (prev) {
      next.since = prev->since;
      next.lifecycle = prev->lifecycle;
      next.firing_since = prev->firing_since;
      next.last_notified = prev->last_notified;
    } else {
      next.since = at;
      next.lifecycle = Lifecycle::pending;
    }
    if (next.lifecycle == Lifecycle::pending && lasted(next.since, c.for_duration, at)) {
      next.lifecycle = Lifecycle::firing;
      next.firing_since = at;
    }
    const std::optional<std::int64_t> silenced_by = silence_of(c.labels);
    std::optional<NotifyKind> kind;
    if (next.lifecycle == Lifecycle::firing) {
      if (!prev || prev->lifecycle != Lifecycle::firing || !next.last_notified) {
        kind = NotifyKind::fired;
      } else if (prev->state != next.state || prev->severity != next.severity) {
        kind = NotifyKind::changed;
      } else if (lasted(*next.last_notified, c.repeat_every, at)) {
        kind = NotifyKind::repeated;
      }
    }
    if (silenced_by) kind.reset();
    if (kind && c.channels.empty()) kind.reset();
    if (kind) next.last_notified = at;

    const bool changed = !prev || prev->lifecycle != next.lifecycle || prev->state != next.state ||
                         prev->severity != next.severity || kind;
    if (changed) {
      Transition t;
      t.fingerprint = next.fingerprint;
      if (prev) t.from = prev->lifecycle;
      t.to = next.lifecycle;
      t.state = next.state;
      t.severity = next.severity;
      t.notify = kind;
      t.silenced_by = silenced_by;
      if (kind) t.channels = names_of(c.channels);
      out.transitions.push_back(std::move(t));
    }
    if (kind) {
      Pending p;
      p.notification.kind = *kind;
      p.notification.alert = c.facts;
      p.notification.since = next.since;
      p.channels = c.channels;
      p.root_task = c.root_task;
      notify.push_back(std::move(p));
    }
    if (!kind && next.lifecycle == Lifecycle::firing && !silenced_by) {
      // Alertmanager expires alerts that are not pushed again: firing alerts go to its
      // channels on every run, as repeats when there is nothing new.
      Pending p;
      for (Index ch : c.channels) {
        if (item(rules.channels, ch).kind == model::Channel::Kind::alertmanager) {
          p.channels.push_back(ch);
        }
      }
      if (!p.channels.empty()) {
        Transition t;
        t.fingerprint = next.fingerprint;
        t.from = next.lifecycle;
        t.to = next.lifecycle;
        t.state = next.state;
        t.severity = next.severity;
        t.notify = NotifyKind::repeated;
        t.channels = names_of(p.channels);
        out.transitions.push_back(std::move(t));
        p.notification.kind = NotifyKind::repeated;
        p.notification.alert = c.facts;
        p.notification.since = next.since;
        notify.push_back(std::move(p));
      }
    }
    if (changed || prev) out.alerts.push_back(std::move(next));
  }

  // Alerts of the previous run that are no longer active resolve.
  for (const auto& [fp, prev] : previous) {
    if (seen.count(fp)) continue;
    AlertRecord next = *prev;
    next.lifecycle = Lifecycle::resolved;
    next.evaluated = at;
    // What the subject looks like now, when it still exists.
    AlertFacts facts;
    std::vector<Index> channels;
    if (prev->subject == Subject::rule) {
      const Index rule_index = rules.find_rule(prev->name);
      const eval::RuleResult* now = nullptr;
      if (rule_index != kNone) {
        channels = item(rules.rules, rule_index).notify;
        for (const eval::RuleResult& r : eval::results_of(results, rule_index)) {
          const std::string_view unit =
              r.unit >= 0
                  ? std::string_view(input.snapshot->units()[static_cast<std::size_t>(r.unit)].id)
                  : std::string_view();
          if (unit == prev->unit) now = &r;
        }
      }
      if (now) {
        facts = rule_facts(*now, prev->since);
      } else {
        facts.subject = Subject::rule;
        facts.name = prev->name;
        facts.unit = prev->unit;
        facts.state = "resolved";
        facts.reason = rule_index == kNone ? "the rule is no longer in the rule set"
                                           : "the unit is no longer in the store";
        if (rule_index == kNone) {
          const Index fallback = rules.find_channel("default");
          if (fallback != kNone) channels.push_back(fallback);
        }
      }
    } else {
      const Index task = rules.find_task(prev->name);
      if (task != kNone) {
        facts = facts_of(rules, results.tasks[static_cast<std::size_t>(task)]);
        channels = channels_of_tasks[static_cast<std::size_t>(task)];
      } else {
        facts.subject = Subject::task;
        facts.name = prev->name;
        facts.state = "resolved";
        facts.reason = "the task is no longer in the rule set";
        const Index fallback = rules.find_channel("default");
        if (fallback != kNone) channels.push_back(fallback);
      }
    }
    facts.fingerprint = fp;
    // A resolution is news only about an alert people heard of: one that fired. It is
    // sent even when the alert is silenced now, unless the channel declines resolutions.
    std::optional<NotifyKind> kind;
    std::vector<Index> targets;
    if (prev->lifecycle == Lifecycle::firing) {
      for (Index ch : channels) {
        if (item(rules.channels, ch).send_resolved) targets.push_back(ch);
      }
      if (!targets.empty()) kind = NotifyKind::resolved;
    }
    const Labels labels =
        facts.labels.empty()
            ? Labels{{"subject", std::string(to_string(prev->subject))},
                     {prev->subject == Subject::rule ? "rule" : "task", prev->name},
                     {"unit", prev->unit}}
            : facts.labels;
    const std::optional<std::int64_t> silenced_by = silence_of(labels);
    if (kind) next.last_notified = at;
    Transition t;
    t.fingerprint = fp;
    t.from = prev->lifecycle;
    t.to = Lifecycle::resolved;
    t.state = facts.state;
    t.severity = facts.severity;
    t.notify = kind;
    t.silenced_by = silenced_by;
    if (kind) t.channels = names_of(targets);
    out.transitions.push_back(std::move(t));
    next.state = facts.state;
    next.severity = facts.severity;
    if (kind) {
      Pending p;
      p.notification.kind = NotifyKind::resolved;
      p.notification.alert = std::move(facts);
      p.notification.since = prev->since;
      p.notification.silenced = silenced_by.has_value();
      p.channels = targets;
      notify.push_back(std::move(p));
    }
    out.alerts.push_back(std::move(next));
  }

  // One digest per channel: blocked rule alerts inside their root-cause task's item.
  std::map<Index, Digest> digests;
  for (Pending& p : notify) {
    for (Index ch : p.channels) {
      Digest& d = digests[ch];
      d.channel = item(rules.channels, ch).name;
      d.kind = item(rules.channels, ch).kind;
      d.run_id = input.run_id;
      d.at = at;
      const bool nest = p.root_task && d.kind != model::Channel::Kind::alertmanager &&
                        p.notification.kind != NotifyKind::resolved;
      if (!nest) {
        d.items.push_back(p.notification);
        continue;
      }
      const std::string task_fp =
          fingerprint(Subject::task, item(rules.tasks, *p.root_task).name, "");
      auto holder = std::find_if(d.items.begin(), d.items.end(), [&](const Notification& n) {
        return n.alert.fingerprint == task_fp && n.kind != NotifyKind::resolved;
      });
      if (holder == d.items.end()) {
        // The root cause has nothing new of its own: it is shown again to hold this one.
        Notification context;
        context.kind = NotifyKind::repeated;
        context.context = true;
        context.alert = facts_of(rules, results.tasks[static_cast<std::size_t>(*p.root_task)]);
        d.items.push_back(std::move(context));
        holder = d.items.end() - 1;
      }
      holder->held_back.push_back(p.notification);
    }
  }
  for (auto& [ch, d] : digests) {
    // Tasks come before rules in `notify`, so a task's own notification is in place
    // before the rules it holds back look for it.
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
    // Clang 14 cannot capture a structured binding: name the digest by reference.
    const auto count = [&, &d = d](const Notification& n) {
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
    out.digests.push_back(std::move(d));
  }
  return out;
}

}  // namespace tiendo::alert

// The checked, immutable rule set that `dsl::check` produces and every later stage
// consumes. Every reference is an index into one of RuleSet's vectors: evaluation never
// looks a name up by string.
#pragma once

#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "model/calendar.hpp"
#include "model/plan_graph.hpp"

namespace tiendo::model {

using Index = std::int32_t;
inline constexpr Index kNone = -1;

// Where a declaration or clause was written, for explanations ("rules/x.rules:12").
struct SourceRef {
  std::string file;
  std::uint32_t line = 0;
  std::uint32_t column = 0;
};

enum class ValueUnit { percent, count, number };
// The language a reader gets: a channel's `language`, a command's `--lang`.
enum class Language { vi, en };
enum class Severity : std::uint8_t { none, info, warning, critical };

// A level of one `levels` chain. A rule set may declare several chains (the territory:
// province > district > commune; the agencies: agency); `chain` says which, `depth` where
// in it (0 at the top). Levels are ordered only within a chain.
struct Level {
  std::string name;
  std::int32_t chain = 0;
  std::int32_t depth = 0;
};

// `set NAME { units a, b }` or `set NAME { level L [label "x"] }`: units named by id, or
// every unit of a level (that carries a label, when one is given).
struct UnitSet {
  std::string name;
  std::string title;
  std::vector<std::string> units;  // by id, in the order written; empty for a level's
  Index level = -1;                // a level's set; -1 for a set by ids
  std::string label;               // with `level`: only the units carrying this label
  SourceRef source;
};

// What a rule is evaluated at (`for each X`) or a coverage function ranges over
// (`share(X, ...)`, `sum(x, X)`): a level, a set, or none (the root unit; `ratio` of two
// latest values).
struct Scope {
  enum class Kind : std::uint8_t { none, level, set };
  Kind kind = Kind::none;
  std::int32_t index = -1;

  static Scope of_level(std::int32_t level) { return {Kind::level, level}; }
  static Scope of_set(std::int32_t set) { return {Kind::set, set}; }
  bool none() const { return kind == Kind::none; }
  bool is_level() const { return kind == Kind::level; }
  bool is_set() const { return kind == Kind::set; }
  friend bool operator==(const Scope&, const Scope&) = default;
};

// The values an indicator's observations may take, both ends included, as stored (a
// percent as its fraction: 0% .. 100% is 0 .. 1). An end may be infinite.
struct ValueRange {
  double low = -std::numeric_limits<double>::infinity();
  double high = std::numeric_limits<double>::infinity();
  bool contains(double value) const { return value >= low && value <= high; }
  bool operator==(const ValueRange&) const = default;
};

// What an indicator of `unit` measures when its declaration says nothing else: a percent
// is a share of a whole, 0% .. 100%; a count counts things, 0 or more; a number may be
// anything (a revenue, a change, a balance).
ValueRange natural_range(ValueUnit unit);

// An indicator's `range LOW .. HIGH` clause.
struct DeclaredRange {
  ValueRange values;
  std::string text;  // as written, for messages: "-100% .. 500%"
  SourceRef source;  // the clause
};

struct Indicator {
  std::string name;
  std::string title;
  std::string owner;
  ValueUnit unit = ValueUnit::number;
  std::optional<Duration> stale_after;
  std::optional<DeclaredRange> declared_range;
  std::vector<std::pair<std::string, std::string>> labels;
  SourceRef source;

  // The declared range, else the unit's natural range: what ingest accepts.
  ValueRange range() const { return declared_range ? declared_range->values : natural_range(unit); }
};

struct Plan {
  std::string name;
  std::string title;
  std::string code;  // "177/KH-UBND"
  std::string owner;
  std::optional<Date> issued;
  std::vector<Index> implements;  // plans
  std::vector<std::pair<std::string, std::string>> labels;
  SourceRef source;
};

struct Task {
  std::string name;
  std::string title;
  std::string owner;
  Index part_of = kNone;  // plan
  // When work should have begun (the first day of the period written): from then on, a
  // task nobody has reported on is no_report.
  std::optional<Date> starts;
  std::optional<Date> due;
  std::optional<Duration> duration;
  // Inside this window before `due`, a task that is not done is at_risk.
  std::optional<Duration> warn_within;
  std::vector<Index> after;  // tasks that must finish first
  std::vector<std::pair<std::string, std::string>> labels;
  SourceRef source;
};

struct Channel {
  enum class Kind { email, webhook, alertmanager };
  enum class Format { native, alertmanager };
  std::string name;
  Kind kind = Kind::email;
  std::vector<std::string> emails;
  std::string url;                 // webhook or Alertmanager
  std::string secret_env;          // environment variable holding the webhook secret
  Format format = Format::native;  // webhook payload
  bool send_resolved = true;
  Language language = Language::vi;  // every word of its messages
  SourceRef source;
};

// ---------------------------------------------------------------------------------------
// Expressions, stored in one arena per rule set; ExprId indexes RuleSet::expressions.

using ExprId = std::int32_t;

enum class ExprKind {
  literal,  // value
  latest,   // indicator at the evaluated unit
  sum,      // indicator over units of level
  avg,
  min,
  max,
  count,   // units of level with a value of indicator
  share,   // fraction of units of level for which `condition` holds
  ratio,   // latest(indicator) / latest(indicator2), or sums over level
  change,  // latest(indicator) - value as of (date - duration)
  done,    // task
  negate,  // -operands[0]
  chain,   // operands[0] op[1] operands[1] op[2] ... (one precedence level)
};

enum class Comparator { ge, le, gt, lt, eq, ne, between };

struct Condition {
  ExprId lhs = -1;
  Comparator op = Comparator::ge;
  ExprId rhs = -1;
  ExprId upper = -1;  // for `between`
};

struct ExprNode {
  ExprKind kind = ExprKind::literal;
  ValueUnit unit = ValueUnit::number;
  double value = 0;  // literal (a percent literal is the fraction)
  Index indicator = kNone;
  Index indicator2 = kNone;
  Scope level;  // sum .. share, and ratio over units; none for ratio of two latest values
  Index task = kNone;
  Duration duration;
  std::int32_t condition = -1;   // share: index into RuleSet::conditions
  std::vector<ExprId> operands;  // negate, chain
  std::vector<char> ops;         // chain: ops[i] applies operands[i] (ops[0] unused)
};

enum class Timing { none, by, from };

// `amend from D { require ... basis ... }`: from `from` on (until a later amendment), the
// rule is RuleSet::versions[version], a copy of the rule with the amendment's requirement
// and basis.
struct Amendment {
  Date from;
  Index version = kNone;  // into RuleSet::versions
  SourceRef source;       // the `amend` clause
};

struct Rule {
  std::string name;
  std::string title;
  std::string owner;
  std::string message;          // template with {placeholders}; empty for the default
  std::int32_t condition = -1;  // index into RuleSet::conditions
  std::string condition_text;   // the require clause as written, for explanations
  Timing timing = Timing::none;
  Date date;                      // deadline (by: last day) or start (from: first day)
  Scope for_each;                 // none: the root unit(s)
  std::vector<Index> sets;        // every set the rule evaluates over (for each, functions)
  std::vector<Index> needs;       // tasks
  std::vector<Index> basis;       // plans (documents) the target rests on, as written
  std::vector<Index> indicators;  // every indicator the condition reads
  Severity severity = Severity::critical;
  std::optional<Duration> warn_within;
  std::optional<Duration> for_duration;
  Duration repeat_every{7, Duration::Unit::day};
  std::vector<Index> notify;  // channels; the `default` channel when none was named
  std::vector<std::pair<std::string, std::string>> labels;
  SourceRef source;
  // The rule's amendments, by `from` ascending; empty on a version (RuleSet::versions).
  std::vector<Amendment> amendments;
  // Which version of its rule this is: 0 for the rule as written (the require before its
  // first amendment), i for its i-th amendment.
  std::int32_t version = 0;
};

// ---------------------------------------------------------------------------------------
// Rule tests (`test "..." { ... }`).

enum class TaskStatus { not_started, in_progress, done, blocked, cancelled };

struct TestUnit {
  std::string id;
  Index level = kNone;
  std::string title;
  std::string parent;  // empty for a root
  std::vector<std::string> labels;
};

struct TestObservation {
  std::string unit;  // test unit id
  Index indicator = kNone;
  Period period;
  double value = 0;
};

struct TestStatus {
  Index task = kNone;
  TaskStatus status = TaskStatus::not_started;
  Date date;
  std::optional<double> progress;  // fraction
};

struct TestExpectation {
  std::string unit;    // test unit id
  Index rule = kNone;  // exactly one of rule and task is set
  Index task = kNone;
  std::string state;  // a rule state or task state name
  SourceRef source;
};

struct TestCase {
  std::string name;
  Date at;
  std::vector<TestUnit> units;
  std::vector<TestObservation> observations;
  std::vector<TestStatus> statuses;
  std::vector<TestExpectation> expectations;
  SourceRef source;
};

// ---------------------------------------------------------------------------------------

struct RuleSet {
  std::vector<Level> levels;  // each chain top first, the chains in declaration order
  std::vector<UnitSet> sets;
  std::vector<Indicator> indicators;
  std::vector<Plan> plans;
  std::vector<Task> tasks;
  std::vector<Channel> channels;
  std::vector<Rule> rules;
  std::vector<Rule> versions;  // the rules as amended; see Amendment
  std::vector<ExprNode> expressions;
  std::vector<Condition> conditions;
  std::vector<TestCase> tests;
  PlanGraph graph;  // plans and tasks with their links, acyclic

  // Lookups by name for the edges of the system (command line, ingest, API); kNone
  // when absent.
  Index find_indicator(std::string_view name) const;
  Index find_task(std::string_view name) const;
  Index find_rule(std::string_view name) const;
  Index find_level(std::string_view name) const;
  Index find_plan(std::string_view name) const;
  Index find_channel(std::string_view name) const;
  Index find_set(std::string_view name) const;

  // The version of rule `rule` in force at `at`: 0 before its first amendment (or
  // without any), else i for the i-th amendment, the latest whose `from` is <= at.
  std::int32_t version_at(Index rule, Date at) const;
  // The rule as version `version` states it: rules[rule] for 0, else its amendment's copy.
  const Rule& version(Index rule, std::int32_t version) const;
  // The date version `version` of the rule is in force from; none for version 0.
  std::optional<Date> in_force_from(Index rule, std::int32_t version) const;

  // The level's or set's name; "" for none.
  const std::string& scope_name(Scope scope) const;

  // Hash indexes behind find_indicator and find_task, which ingest calls per row.
  std::map<std::string, Index, std::less<>> indicator_index;
  std::map<std::string, Index, std::less<>> task_index;
};

std::string_view to_string(ValueUnit unit);
std::string_view to_string(Severity severity);
std::string_view to_string(TaskStatus status);
std::string_view to_string(Comparator op);
std::optional<TaskStatus> parse_task_status(std::string_view text);

// The states a rule (× unit) can be in, and a task; used to validate `expect` lines.
const std::vector<std::string>& rule_state_names();
const std::vector<std::string>& task_state_names();

}  // namespace tiendo::model

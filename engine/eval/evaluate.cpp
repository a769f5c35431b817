#include "eval/evaluate.hpp"

#include <algorithm>
#include <atomic>
#include <thread>

#include "eval/rule_evaluator.hpp"
#include "util/cores.hpp"

namespace tiendo::eval {

using detail::RuleEvaluator;
using model::Index;

std::string_view to_string(RuleState state) {
  static constexpr std::string_view kNames[] = {"met",     "on_track", "at_risk",  "missed",
                                                "not_yet", "ok",       "violated", "no_data",
                                                "stale",   "blocked",  "error"};
  return kNames[static_cast<int>(state)];
}

std::string_view to_string(TaskState state) {
  static constexpr std::string_view kNames[] = {"done",    "done_late", "cancelled", "overdue",
                                                "blocked", "no_report", "at_risk",   "on_track"};
  return kNames[static_cast<int>(state)];
}

std::optional<RuleState> parse_rule_state(std::string_view text) {
  for (int i = 0; i <= static_cast<int>(RuleState::error); ++i) {
    if (to_string(static_cast<RuleState>(i)) == text) return static_cast<RuleState>(i);
  }
  return std::nullopt;
}

std::optional<TaskState> parse_task_state(std::string_view text) {
  for (int i = 0; i <= static_cast<int>(TaskState::on_track); ++i) {
    if (to_string(static_cast<TaskState>(i)) == text) return static_cast<TaskState>(i);
  }
  return std::nullopt;
}

int badness(TaskState state) {
  switch (state) {
    case TaskState::cancelled:
      return 0;
    case TaskState::done:
      return 1;
    case TaskState::done_late:
      return 2;
    case TaskState::on_track:
      return 3;
    case TaskState::at_risk:
      return 4;
    case TaskState::no_report:
      return 5;
    case TaskState::blocked:
      return 6;
    case TaskState::overdue:
      return 7;
  }
  return 0;
}

Results evaluate(const model::RuleSet& rules, const store::Snapshot& snapshot, model::Date at,
                 const EvaluateOptions& options) {
  Results results;
  results.at = at;
  results.tasks = detail::evaluate_tasks(rules, snapshot, at);
  results.plans = detail::evaluate_plans(rules, results.tasks);
  // Every result's place is known up front, so the rules split into contiguous blocks
  // that threads fill in place, with no locking and the same order as one thread.
  const std::size_t rule_count = rules.rules.size();
  std::vector<std::size_t> offset(rule_count + 1, 0);
  {
    RuleEvaluator counter(rules, snapshot, results.tasks, at, options);
    for (std::size_t i = 0; i < rule_count; ++i) {
      offset[i + 1] = offset[i] + counter.result_count(static_cast<Index>(i));
    }
  }
  results.rules.resize(offset[rule_count]);
  const auto evaluate_block = [&](std::size_t first, std::size_t last) {
    RuleEvaluator evaluator(rules, snapshot, results.tasks, at, options);
    for (std::size_t i = first; i < last; ++i) {
      if (options.cancel && options.cancel->load(std::memory_order_relaxed)) return;
      evaluator.evaluate_rule(static_cast<Index>(i), results.rules.data() + offset[i]);
    }
  };
  // Blocks of about equal result counts. Left to itself it uses every core its thread may
  // run on (util::usable_cores), but one thread per few thousand results at most: below
  // that threads cost more than they save.
  const std::size_t automatic =
      std::min<std::size_t>(util::usable_cores(), offset[rule_count] / 4096 + 1);
  const auto threads = static_cast<unsigned>(std::clamp<std::size_t>(
      options.threads != 0 ? options.threads : automatic, 1, std::max<std::size_t>(rule_count, 1)));
  if (threads <= 1) {
    evaluate_block(0, rule_count);
    return results;
  }
  std::vector<std::size_t> bounds{0};
  for (unsigned t = 1; t < threads; ++t) {
    const std::size_t goal = offset[rule_count] * t / threads;
    bounds.push_back(static_cast<std::size_t>(
        std::lower_bound(offset.begin() + static_cast<std::ptrdiff_t>(bounds.back()),
                         offset.end() - 1, goal) -
        offset.begin()));
  }
  bounds.push_back(rule_count);
  {
    std::vector<std::jthread> workers;
    for (unsigned t = 1; t < threads; ++t) {
      workers.emplace_back(evaluate_block, bounds[t], bounds[t + 1]);
    }
    evaluate_block(bounds[0], bounds[1]);
  }
  return results;
}

void keep_only_what_results_name(store::Snapshot& snapshot, Results& results) {
  // Every pointer into the snapshot's points, gathered in one array, re-pointed, and put
  // back in the same order.
  std::vector<const store::Point*> named;
  for (const RuleResult& r : results.rules) {
    if (!r.more.get()) continue;
    for (const store::Point* p : r.noted()) {
      if (p) named.push_back(p);
    }
    for (const UsedPoint& u : r.used()) {
      if (u.point) named.push_back(u.point);
    }
  }
  snapshot.keep_only(named);
  std::size_t next = 0;
  for (RuleResult& r : results.rules) {
    ResultExtras* extras = r.more.get();
    if (!extras) continue;
    for (const store::Point*& p : extras->noted) {
      if (p) p = named[next++];
    }
    for (UsedPoint& u : extras->used) {
      if (u.point) u.point = named[next++];
    }
  }
}

std::span<const RuleResult> results_of(const Results& results, model::Index rule) {
  const auto [first, last] = std::equal_range(
      results.rules.begin(), results.rules.end(), rule, [](const auto& a, const auto& b) {
        if constexpr (std::is_same_v<std::decay_t<decltype(a)>, RuleResult>) {
          return a.rule < b;
        } else {
          return a < b.rule;
        }
      });
  return {first, last};
}

}  // namespace tiendo::eval

namespace tiendo::eval {

std::optional<TargetCourse> target_course(const model::RuleSet& rules,
                                          const store::Snapshot& snapshot, model::Index rule,
                                          store::UnitIndex unit, model::Date at,
                                          std::size_t max_points) {
  if (rule < 0 || static_cast<std::size_t>(rule) >= rules.rules.size()) return std::nullopt;
  if (unit < 0 || static_cast<std::size_t>(unit) >= snapshot.units().size()) return std::nullopt;
  const std::vector<TaskResult> tasks = detail::evaluate_tasks(rules, snapshot, at);
  EvaluateOptions options;
  options.keep_trend_points = true;
  options.keep_used = false;
  detail::RuleEvaluator evaluator(rules, snapshot, tasks, at, options);
  if (!evaluator.evaluates_at(rule, unit)) return std::nullopt;
  return evaluator.course(rule, unit, max_points);
}

}  // namespace tiendo::eval

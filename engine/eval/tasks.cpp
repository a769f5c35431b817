// Tasks and plans: each task's state from its reports, its predecessors and its due date,
// in the plan graph's topological order; then each plan's, rolled up.
#include <fmt/format.h>

#include <cmath>
#include <functional>

#include "eval/rule_evaluator.hpp"

namespace tiendo::eval::detail {

// ---------------------------------------------------------------------------------------
// Tasks: a forward pass in topological order.

std::vector<TaskResult> evaluate_tasks(const model::RuleSet& rules, const store::Snapshot& snapshot,
                                       Date at) {
  std::vector<TaskResult> results(rules.tasks.size());
  for (Index t : rules.graph.task_order) {
    const model::Task& task = rules.tasks[static_cast<std::size_t>(t)];
    TaskResult& r = results[static_cast<std::size_t>(t)];
    r.task = t;
    r.due = task.due;
    for (const store::StatusEvent& event : snapshot.statuses(t)) {
      if (event.date > at) break;
      r.reported = event.status;
      r.reported_on = event.date;
      r.note = event.note >= 0 ? snapshot.text(event.note) : std::string();
      if (event.progress) r.progress = *event.progress;
    }
    if (task.starts) {
      r.expected_from = task.starts;
    } else if (task.due) {
      r.expected_from = task.duration ? model::subtract(*task.due, *task.duration) : *task.due;
    }
    const auto finish = [&](TaskState state, TaskBecause because) {
      r.state = state;
      r.reason = because;
    };
    if (r.reported == model::TaskStatus::done) {
      r.progress = 1;
      r.earliest_finish = r.reported_on;
      if (task.due && *r.reported_on > *task.due) {
        finish(TaskState::done_late, TaskBecause::done_late);
      } else {
        finish(TaskState::done, TaskBecause::done);
      }
      continue;
    }
    if (r.reported == model::TaskStatus::cancelled) {
      finish(TaskState::cancelled, TaskBecause::cancelled);
      continue;
    }
    // Earliest start: now, or when the last unfinished predecessor finishes.
    Date start = at;
    const TaskResult* blocking_predecessor = nullptr;
    for (Index p : task.after) {
      const TaskResult& pred = results[static_cast<std::size_t>(p)];
      const bool finished = pred.state == TaskState::done || pred.state == TaskState::done_late ||
                            pred.state == TaskState::cancelled;
      if (!finished && pred.earliest_finish && *pred.earliest_finish > start) {
        start = *pred.earliest_finish;
        r.critical = p;
      }
      if (!blocking_predecessor &&
          (pred.state == TaskState::overdue || pred.state == TaskState::blocked)) {
        blocking_predecessor = &pred;
      }
    }
    double remaining_days = 0;
    if (task.duration) remaining_days = model::approximate_days(*task.duration) * (1 - r.progress);
    // Whole days, rounded up; the slack keeps 100 × (1 − 0.7) = 30.000000000000004 at 30.
    r.earliest_finish =
        start + std::chrono::days{static_cast<int>(std::ceil(remaining_days - 1e-9))};

    if (task.due && at > *task.due) {
      r.root_cause = t;
      finish(TaskState::overdue, TaskBecause::overdue);
    } else if (r.reported == model::TaskStatus::blocked) {
      r.root_cause = t;
      finish(TaskState::blocked, TaskBecause::reported_blocked);
    } else if (blocking_predecessor) {
      const Index p = blocking_predecessor->task;
      r.root_cause =
          blocking_predecessor->root_cause == kNone ? p : blocking_predecessor->root_cause;
      r.chain.push_back(p);
      r.chain.insert(r.chain.end(), blocking_predecessor->chain.begin(),
                     blocking_predecessor->chain.end());
      finish(TaskState::blocked, TaskBecause::waits_for);
    } else if (!r.reported && r.expected_from && at >= *r.expected_from) {
      r.root_cause = t;
      finish(TaskState::no_report, task.starts     ? TaskBecause::no_report_starts
                                   : task.duration ? TaskBecause::no_report_work
                                                   : TaskBecause::no_report_due);
    } else if (task.due && *r.earliest_finish > *task.due) {
      for (Index c = r.critical; c != kNone; c = results[static_cast<std::size_t>(c)].critical) {
        r.chain.push_back(c);
      }
      r.root_cause = r.chain.empty() ? t : r.chain.back();
      finish(TaskState::at_risk, TaskBecause::late);
    } else if (task.due && task.warn_within &&
               at >= model::subtract(*task.due, *task.warn_within)) {
      finish(TaskState::at_risk, TaskBecause::warn_window);
    } else {
      finish(TaskState::on_track, task.due ? TaskBecause::on_track : TaskBecause::no_due);
    }
  }
  return results;
}

std::vector<PlanResult> evaluate_plans(const model::RuleSet& rules,
                                       const std::vector<TaskResult>& tasks) {
  std::vector<std::optional<TaskState>> own(rules.plans.size());
  const auto worst = [](std::optional<TaskState> a, std::optional<TaskState> b) {
    if (!a) return b;
    if (!b) return a;
    return badness(*a) >= badness(*b) ? a : b;
  };
  for (const TaskResult& task : tasks) {
    const Index plan = rules.tasks[static_cast<std::size_t>(task.task)].part_of;
    if (plan != kNone)
      own[static_cast<std::size_t>(plan)] = worst(own[static_cast<std::size_t>(plan)], task.state);
  }
  // A plan also takes the state of the plans that implement it (acyclic, so memoised
  // recursion terminates; depth is bounded by the number of plans).
  std::vector<std::vector<Index>> implementers(rules.plans.size());
  for (std::size_t p = 0; p < rules.plans.size(); ++p) {
    for (Index target : rules.plans[p].implements) {
      implementers[static_cast<std::size_t>(target)].push_back(static_cast<Index>(p));
    }
  }
  std::vector<PlanResult> results(rules.plans.size());
  std::vector<bool> done(rules.plans.size(), false);
  std::function<std::optional<TaskState>(Index)> state_of = [&](Index p) {
    auto& result = results[static_cast<std::size_t>(p)];
    if (done[static_cast<std::size_t>(p)]) return result.state;
    done[static_cast<std::size_t>(p)] = true;
    result.plan = p;
    result.state = own[static_cast<std::size_t>(p)];
    for (Index child : implementers[static_cast<std::size_t>(p)]) {
      result.state = worst(result.state, state_of(child));
    }
    return result.state;
  };
  for (std::size_t p = 0; p < rules.plans.size(); ++p) state_of(static_cast<Index>(p));
  return results;
}
}  // namespace tiendo::eval::detail

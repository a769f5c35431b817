// The plan graph: an edge from each plan to the plans it implements, from each task to
// its plan and to the tasks it comes after; cycles are errors, and without one the tasks
// are put in the order the evaluator walks them.
#include <fmt/format.h>

#include "dsl/check/context.hpp"

namespace tiendo::dsl::checking {

namespace {

std::string vertex_name(const model::RuleSet& rules, std::uint32_t vertex) {
  const model::PlanGraph& graph = rules.graph;
  return graph.is_task(vertex) ? rules.tasks[graph.index_of(vertex)].name
                               : rules.plans[graph.index_of(vertex)].name;
}

void add_plan_edges(model::RuleSet& rules) {
  model::PlanGraph& graph = rules.graph;
  for (std::size_t p = 0; p < rules.plans.size(); ++p) {
    for (Index target : rules.plans[p].implements) {
      graph.edges.emplace_back(graph.plan_vertex(static_cast<Index>(p)), graph.plan_vertex(target));
    }
  }
}

// The task edges, with a warning where a task comes after one that is due later.
void add_task_edges(Context& c) {
  model::RuleSet& rules = c.rules;
  model::PlanGraph& graph = rules.graph;
  for (std::size_t t = 0; t < rules.tasks.size(); ++t) {
    const model::Task& task = rules.tasks[t];
    if (task.part_of != kNone) {
      graph.edges.emplace_back(graph.task_vertex(static_cast<Index>(t)),
                               graph.plan_vertex(task.part_of));
    }
    for (std::size_t i = 0; i < task.after.size(); ++i) {
      const Index before = task.after[i];
      graph.edges.emplace_back(graph.task_vertex(static_cast<Index>(t)), graph.task_vertex(before));
      const model::Task& predecessor = rules.tasks[before];
      if (task.due && predecessor.due && *predecessor.due > *task.due) {
        const ast::Name* name = c.after_names[&task][i];
        c.diagnostics.warning(
            Code::after_due_later, Context::at(*name),
            fmt::format("task '{}' (due {}) comes after '{}', which is due later ({}); one "
                        "of the due dates is probably wrong",
                        task.name, model::to_string(*task.due), predecessor.name,
                        model::to_string(*predecessor.due)));
      }
    }
  }
}

// One error per cycle, at the declaration of its first vertex, naming the chain.
void report_cycles(Context& c, const std::vector<std::vector<std::uint32_t>>& cycles) {
  for (const auto& cycle : cycles) {
    std::string chain;
    for (std::uint32_t vertex : cycle) chain += vertex_name(c.rules, vertex) + " \u2192 ";
    chain += vertex_name(c.rules, cycle.front());
    const bool tasks = c.rules.graph.is_task(cycle.front());
    const auto declared = c.declared.find(vertex_name(c.rules, cycle.front()));
    c.diagnostics.error(
        Code::graph_cycle, declared->second.where,
        fmt::format("the {} form a cycle: {}",
                    tasks ? "tasks' `after` links" : "plans' `implements` links", chain));
  }
}

}  // namespace

void check_graph(Context& c) {
  model::PlanGraph& graph = c.rules.graph;
  graph.plan_count = static_cast<std::uint32_t>(c.rules.plans.size());
  graph.task_count = static_cast<std::uint32_t>(c.rules.tasks.size());
  add_plan_edges(c.rules);
  add_task_edges(c);
  const auto cycles = model::find_cycles(graph);
  report_cycles(c, cycles);
  if (cycles.empty()) graph.task_order = model::topological_task_order(graph);
}

}  // namespace tiendo::dsl::checking

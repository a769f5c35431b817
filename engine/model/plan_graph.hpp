// The graph of plans and tasks: `implements` (plan → plan), `part_of` (task → plan) and
// `after` (task → task it waits for). Edges point from the declaring node to the node
// it names. The algorithms run on Boost.Graph in plan_graph.cpp.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

namespace tiendo::model {

struct PlanGraph {
  // Vertices 0..plan_count-1 are plans, then tasks.
  std::uint32_t plan_count = 0;
  std::uint32_t task_count = 0;
  std::vector<std::pair<std::uint32_t, std::uint32_t>> edges;
  // Task indices ordered so that each task comes after every task it is `after`
  // (filled by dsl::check once the graph is known to be acyclic).
  std::vector<std::int32_t> task_order;

  std::uint32_t plan_vertex(std::int32_t plan) const { return static_cast<std::uint32_t>(plan); }
  std::uint32_t task_vertex(std::int32_t task) const {
    return plan_count + static_cast<std::uint32_t>(task);
  }
  bool is_task(std::uint32_t vertex) const { return vertex >= plan_count; }
  std::int32_t index_of(std::uint32_t vertex) const {
    return static_cast<std::int32_t>(is_task(vertex) ? vertex - plan_count : vertex);
  }
};

// Every elementary cycle found by a depth-first search (one per back edge), each as the
// vertex sequence v0, v1, ..., vk where vk → v0 closes it. Empty when acyclic.
std::vector<std::vector<std::uint32_t>> find_cycles(const PlanGraph& graph);

// Tasks with every `after` predecessor before its successors. Precondition: acyclic.
std::vector<std::int32_t> topological_task_order(const PlanGraph& graph);

}  // namespace tiendo::model

#include "model/plan_graph.hpp"

#include <algorithm>
#include <boost/graph/adjacency_list.hpp>
#include <boost/graph/depth_first_search.hpp>
#include <boost/graph/topological_sort.hpp>
#include <iterator>

namespace tiendo::model {

namespace {

using Graph = boost::adjacency_list<boost::vecS, boost::vecS, boost::directedS>;
using Vertex = boost::graph_traits<Graph>::vertex_descriptor;
using Edge = boost::graph_traits<Graph>::edge_descriptor;

Graph build(const PlanGraph& plan_graph) {
  Graph graph(plan_graph.plan_count + plan_graph.task_count);
  for (const auto& [from, to] : plan_graph.edges) boost::add_edge(from, to, graph);
  return graph;
}

// Records the DFS tree so that a back edge u → v can be unwound into the cycle
// v → ... → u → v.
class CycleRecorder : public boost::default_dfs_visitor {
 public:
  CycleRecorder(std::vector<Vertex>& parent, std::vector<std::vector<std::uint32_t>>& cycles)
      : parent_(parent), cycles_(cycles) {}

  void tree_edge(Edge e, const Graph& g) { parent_[boost::target(e, g)] = boost::source(e, g); }

  void back_edge(Edge e, const Graph& g) {
    const Vertex from = boost::source(e, g);
    const Vertex to = boost::target(e, g);
    std::vector<std::uint32_t> cycle;
    for (Vertex v = from; v != to; v = parent_[v]) cycle.push_back(static_cast<std::uint32_t>(v));
    cycle.push_back(static_cast<std::uint32_t>(to));
    std::reverse(cycle.begin(), cycle.end());
    cycles_.push_back(std::move(cycle));
  }

 private:
  std::vector<Vertex>& parent_;
  std::vector<std::vector<std::uint32_t>>& cycles_;
};

}  // namespace

std::vector<std::vector<std::uint32_t>> find_cycles(const PlanGraph& plan_graph) {
  const Graph graph = build(plan_graph);
  std::vector<Vertex> parent(boost::num_vertices(graph));
  for (Vertex v = 0; v < parent.size(); ++v) parent[v] = v;
  std::vector<std::vector<std::uint32_t>> cycles;
  CycleRecorder recorder(parent, cycles);
  boost::depth_first_search(graph, boost::visitor(recorder));
  return cycles;
}

std::vector<std::int32_t> topological_task_order(const PlanGraph& plan_graph) {
  const Graph graph = build(plan_graph);
  std::vector<Vertex> order;
  // Boost emits a vertex after everything it points to; `after` edges point from a task
  // to its predecessor, so predecessors come first.
  boost::topological_sort(graph, std::back_inserter(order));
  std::vector<std::int32_t> tasks;
  tasks.reserve(plan_graph.task_count);
  for (Vertex v : order) {
    if (plan_graph.is_task(static_cast<std::uint32_t>(v))) {
      tasks.push_back(plan_graph.index_of(static_cast<std::uint32_t>(v)));
    }
  }
  return tasks;
}

}  // namespace tiendo::model

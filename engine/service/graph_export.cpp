#include "service/graph_export.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <exception>
#include <nlohmann/json.hpp>
#include <string_view>
#include <vector>

#include "present/format.hpp"
#include "present/labels.hpp"
#include "util/process.hpp"
#include "util/text.hpp"

namespace tiendo::service {

namespace {

using eval::TaskState;

// The drawing's own words, in each language it is drawn in; the states are present::'s.
struct DotWords {
  std::string_view due;  // before a task's due date
};
constexpr DotWords kDotVietnamese{.due = "hạn "};
constexpr DotWords kDotEnglish{.due = "due "};

// Node labels in the drawing are cut here and wrapped at kLabelLine; the full title
// goes to the tooltip.
constexpr std::size_t kLabelChars = 72;
constexpr std::size_t kLabelLine = 26;
// dot's diagnostics are short; a runaway one is not kept whole.
constexpr std::size_t kMaxStderr = 64 * 1024;

enum class EdgeKind { implements, part_of, after };

std::string_view to_string(EdgeKind kind) {
  switch (kind) {
    case EdgeKind::implements:
      return "implements";
    case EdgeKind::part_of:
      return "part_of";
    case EdgeKind::after:
      return "after";
  }
  return "after";
}

// The graph only links a task to a plan by part_of, a plan to a plan by implements and a
// task to a task by after, so the vertex kinds say which link an edge is.
EdgeKind edge_kind(const model::PlanGraph& graph, std::uint32_t from, std::uint32_t to) {
  if (!graph.is_task(from)) return EdgeKind::implements;
  return graph.is_task(to) ? EdgeKind::after : EdgeKind::part_of;
}

bool valid_vertex(const model::PlanGraph& graph, std::uint32_t vertex) {
  return vertex < graph.plan_count + graph.task_count;
}

// The evaluated state of each plan and task, when there are results for this rule set.
struct States {
  std::vector<std::optional<TaskState>> plans;
  std::vector<std::optional<TaskState>> tasks;
};

States states_of(const model::RuleSet& rules, const eval::Results* results) {
  States states;
  states.plans.resize(rules.plans.size());
  states.tasks.resize(rules.tasks.size());
  if (results == nullptr) return states;
  for (const eval::PlanResult& p : results->plans) {
    if (p.plan >= 0 && static_cast<std::size_t>(p.plan) < states.plans.size()) {
      states.plans[static_cast<std::size_t>(p.plan)] = p.state;
    }
  }
  for (const eval::TaskResult& t : results->tasks) {
    if (t.task >= 0 && static_cast<std::size_t>(t.task) < states.tasks.size()) {
      states.tasks[static_cast<std::size_t>(t.task)] = t.state;
    }
  }
  return states;
}

std::string node_id(const model::RuleSet& rules, const model::PlanGraph& graph,
                    std::uint32_t vertex) {
  const auto index = static_cast<std::size_t>(graph.index_of(vertex));
  if (graph.is_task(vertex)) {
    return "task:" + (index < rules.tasks.size() ? rules.tasks[index].name : std::to_string(index));
  }
  return "plan:" + (index < rules.plans.size() ? rules.plans[index].name : std::to_string(index));
}

std::string plan_label(const model::Plan& plan) {
  return plan.code.empty() ? plan.name : plan.code;
}

std::string task_label(const model::Task& task) {
  return task.title.empty() ? task.name : task.title;
}

// ---------------------------------------------------------------------------------------
// DOT

// `text` as the inside of a DOT double-quoted escString: quotes and backslashes escaped
// (a lone backslash would start an escape such as \N), line breaks as \n, other control
// characters dropped.
std::string dot_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      default:
        if (static_cast<unsigned char>(c) >= 0x20 && c != 0x7f) out += c;
    }
  }
  return out;
}

// Words of `text` in lines of about `width` characters, cut after about `limit`
// characters with an ellipsis. Counts are code points, so a Vietnamese letter counts one.
std::vector<std::string> wrap(std::string_view text, std::size_t width, std::size_t limit) {
  std::vector<std::string> lines;
  std::string line;
  std::size_t line_chars = 0;
  std::size_t total = 0;
  std::size_t pos = 0;
  const auto is_space = [](char c) { return c == ' ' || c == '\n' || c == '\t' || c == '\r'; };
  while (true) {
    while (pos < text.size() && is_space(text[pos])) ++pos;
    if (pos == text.size()) break;
    const std::size_t start = pos;
    while (pos < text.size() && !is_space(text[pos])) ++pos;
    const std::string_view word = text.substr(start, pos - start);
    const std::size_t word_chars = util::count_code_points(word);
    if (total > 0 && total + word_chars > limit) {
      line += "…";
      break;
    }
    if (line_chars > 0 && line_chars + 1 + word_chars > width) {
      lines.push_back(std::move(line));
      line.clear();
      line_chars = 0;
    }
    if (line_chars > 0) {
      line += ' ';
      ++line_chars;
    }
    line += word;
    line_chars += word_chars;
    total += word_chars + 1;
  }
  if (!line.empty()) lines.push_back(std::move(line));
  return lines;
}

std::string dot_lines(const std::vector<std::string>& lines) {
  std::string out;
  for (const std::string& line : lines) {
    if (!out.empty()) out += "\\n";
    out += dot_escape(line);
  }
  return out;
}

// Fill and outline by how the state reads (present::tone); white when not evaluated.
std::pair<std::string_view, std::string_view> dot_colours(std::optional<TaskState> state) {
  if (!state) return {"#ffffff", "#5f6670"};
  switch (present::tone(*state)) {
    case present::Tone::green:
      return {"#d7eedc", "#1e7b34"};
    case present::Tone::amber:
      return {"#fbe5bf", "#9a5b00"};
    case present::Tone::red:
      return {"#f6cfcb", "#b3261e"};
    case present::Tone::grey:
      return {"#e4e7eb", "#5f6670"};
    case present::Tone::blue:
      return {"#dbe7f3", "#1f4e79"};
  }
  return {"#ffffff", "#5f6670"};
}

std::string_view dot_edge_style(EdgeKind kind) {
  switch (kind) {
    case EdgeKind::implements:
      return "style=bold, color=\"#1f4e79\", fontcolor=\"#1f4e79\", arrowhead=normal";
    case EdgeKind::part_of:
      return "style=dashed, color=\"#5f6670\", fontcolor=\"#5f6670\", arrowhead=empty";
    case EdgeKind::after:
      return "style=solid, color=\"#7a3e9d\", fontcolor=\"#7a3e9d\", arrowhead=vee";
  }
  return "";
}

// ---------------------------------------------------------------------------------------
// Running dot

std::optional<std::string> run_dot(const std::string& dot_source, std::chrono::milliseconds timeout,
                                   std::string& error, bool* timed_out) {
  util::ProgramOptions options;
  options.input = dot_source;
  options.timeout = timeout;
  options.max_error_bytes = kMaxStderr;
  util::ProgramRun run = util::run_program({"dot", "-Tsvg"}, options);
  if (run.outcome == util::ProgramOutcome::not_found) {
    error = "dot not found (is Graphviz installed and on PATH?)";
    return std::nullopt;
  }
  if (!run.ok()) {
    error = run.error;
    if (timed_out) *timed_out = run.outcome == util::ProgramOutcome::timed_out;
    return std::nullopt;
  }
  std::string& output = run.out;
  const std::size_t start = output.find("<svg");
  if (start == std::string::npos) {
    const std::string detail = util::first_line(run.err);
    error = "dot produced no <svg> element" + (detail.empty() ? "" : ": " + detail);
    return std::nullopt;
  }
  output.erase(0, start);
  while (!output.empty() &&
         (output.back() == '\n' || output.back() == '\r' || output.back() == ' ')) {
    output.pop_back();
  }
  return std::move(output);
}

}  // namespace

std::string plan_graph_json(const model::RuleSet& rules, const eval::Results* results) {
  const model::PlanGraph& graph = rules.graph;
  const States states = states_of(rules, results);
  const auto state_json = [](const std::optional<TaskState>& state) {
    return state ? nlohmann::json(eval::to_string(*state)) : nlohmann::json();
  };
  const auto date_json = [](const std::optional<model::Date>& date) {
    return date ? nlohmann::json(model::to_string(*date)) : nlohmann::json();
  };

  nlohmann::json out;
  out["at"] = results ? nlohmann::json(model::to_string(results->at)) : nlohmann::json();
  nlohmann::json nodes = nlohmann::json::array();
  for (std::size_t i = 0; i < rules.plans.size(); ++i) {
    const model::Plan& plan = rules.plans[i];
    nlohmann::json implements = nlohmann::json::array();
    for (model::Index p : plan.implements) {
      if (p >= 0 && static_cast<std::size_t>(p) < rules.plans.size()) {
        implements.push_back(rules.plans[static_cast<std::size_t>(p)].name);
      }
    }
    nodes.push_back({{"id", "plan:" + plan.name},
                     {"kind", "plan"},
                     {"name", plan.name},
                     {"label", plan_label(plan)},
                     {"title", plan.title},
                     {"code", plan.code},
                     {"owner", plan.owner},
                     {"issued", date_json(plan.issued)},
                     {"implements", implements},
                     {"state", state_json(states.plans[i])},
                     {"source", fmt::format("{}:{}", plan.source.file, plan.source.line)}});
  }
  std::vector<const eval::TaskResult*> task_results(rules.tasks.size(), nullptr);
  if (results) {
    for (const eval::TaskResult& t : results->tasks) {
      if (t.task >= 0 && static_cast<std::size_t>(t.task) < task_results.size()) {
        task_results[static_cast<std::size_t>(t.task)] = &t;
      }
    }
  }
  for (std::size_t i = 0; i < rules.tasks.size(); ++i) {
    const model::Task& task = rules.tasks[i];
    const bool has_plan =
        task.part_of >= 0 && static_cast<std::size_t>(task.part_of) < rules.plans.size();
    nlohmann::json node = {
        {"id", "task:" + task.name},
        {"kind", "task"},
        {"name", task.name},
        {"label", task_label(task)},
        {"title", task.title},
        {"owner", task.owner},
        {"part_of", has_plan
                        ? nlohmann::json(rules.plans[static_cast<std::size_t>(task.part_of)].name)
                        : nlohmann::json()},
        {"due", date_json(task.due)},
        {"state", state_json(states.tasks[i])},
        {"source", fmt::format("{}:{}", task.source.file, task.source.line)}};
    if (const eval::TaskResult* r = task_results[i]) {
      node["progress"] = r->progress;
      node["earliest_finish"] = date_json(r->earliest_finish);
      const bool has_cause =
          r->root_cause >= 0 && static_cast<std::size_t>(r->root_cause) < rules.tasks.size();
      node["root_cause"] =
          has_cause ? nlohmann::json(rules.tasks[static_cast<std::size_t>(r->root_cause)].name)
                    : nlohmann::json();
    }
    nodes.push_back(std::move(node));
  }
  out["nodes"] = std::move(nodes);

  nlohmann::json edges = nlohmann::json::array();
  for (const auto& [from, to] : graph.edges) {
    if (!valid_vertex(graph, from) || !valid_vertex(graph, to)) continue;
    edges.push_back({{"from", node_id(rules, graph, from)},
                     {"to", node_id(rules, graph, to)},
                     {"kind", to_string(edge_kind(graph, from, to))}});
  }
  out["edges"] = std::move(edges);
  return out.dump(2, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string plan_graph_dot(const model::RuleSet& rules, const eval::Results* results,
                           model::Language language) {
  const DotWords& words = language == model::Language::en ? kDotEnglish : kDotVietnamese;
  const model::PlanGraph& graph = rules.graph;
  const States states = states_of(rules, results);
  std::string out;
  out += "digraph plans {\n";
  // Right to left: a plan stands left of the plans and tasks that implement it, so the
  // drawing grows downwards with the number of plans rather than across the page.
  out += "  graph [rankdir=RL, nodesep=0.25, ranksep=0.5, fontname=\"DejaVu Sans\"];\n";
  out +=
      "  node [fontname=\"DejaVu Sans\", fontsize=10, style=filled, fillcolor=\"#ffffff\", "
      "penwidth=1.2];\n";
  out += "  edge [fontname=\"DejaVu Sans\", fontsize=8, arrowsize=0.7];\n";

  const auto state_line = [&](const std::optional<TaskState>& state) {
    return state
               ? std::vector<std::string>{"[" + std::string(present::label(*state, language)) + "]"}
               : std::vector<std::string>{};
  };
  const auto node = [&](std::string_view id, std::string_view shape, std::vector<std::string> lines,
                        std::string_view tooltip, std::optional<TaskState> state) {
    for (std::string& line : state_line(state)) lines.push_back(std::move(line));
    const auto [fill, outline] = dot_colours(state);
    out += fmt::format(
        "  \"{}\" [shape={}, label=\"{}\", tooltip=\"{}\", fillcolor=\"{}\", color=\"{}\"];\n",
        dot_escape(id), shape, dot_lines(lines), dot_escape(tooltip), fill, outline);
  };

  for (std::size_t i = 0; i < rules.plans.size(); ++i) {
    const model::Plan& plan = rules.plans[i];
    std::vector<std::string> lines = {plan_label(plan)};
    for (std::string& line : wrap(plan.title, kLabelLine, kLabelChars)) {
      lines.push_back(std::move(line));
    }
    std::string tooltip = plan.name;
    if (!plan.code.empty()) tooltip += " (" + plan.code + ")";
    if (!plan.title.empty()) tooltip += ": " + plan.title;
    node("plan:" + plan.name, "box", std::move(lines), tooltip, states.plans[i]);
  }
  for (std::size_t i = 0; i < rules.tasks.size(); ++i) {
    const model::Task& task = rules.tasks[i];
    std::vector<std::string> lines = wrap(task_label(task), kLabelLine, kLabelChars);
    if (task.due)
      lines.push_back(std::string(words.due) + present::format_date(*task.due, language));
    std::string tooltip = task.name;
    if (!task.title.empty()) tooltip += ": " + task.title;
    if (!task.owner.empty()) tooltip += " — " + task.owner;
    node("task:" + task.name, "ellipse", std::move(lines), tooltip, states.tasks[i]);
  }
  for (const auto& [from, to] : graph.edges) {
    if (!valid_vertex(graph, from) || !valid_vertex(graph, to)) continue;
    const EdgeKind kind = edge_kind(graph, from, to);
    out += fmt::format(
        "  \"{}\" -> \"{}\" [label=\"{}\", {}];\n", dot_escape(node_id(rules, graph, from)),
        dot_escape(node_id(rules, graph, to)), to_string(kind), dot_edge_style(kind));
  }
  out += "}\n";
  return out;
}

std::optional<std::string> render_svg(const std::string& dot_source,
                                      std::chrono::milliseconds timeout, std::string& error,
                                      bool* timed_out) {
  error.clear();
  if (timed_out) *timed_out = false;
  try {
    return run_dot(dot_source, timeout, error, timed_out);
  } catch (const std::exception& e) {
    error = std::string("cannot run dot: ") + e.what();
  } catch (...) {
    error = "cannot run dot";
  }
  return std::nullopt;
}

}  // namespace tiendo::service

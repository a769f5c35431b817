// The plan graph (plans, tasks and their links) as data for the API and the dashboard:
// JSON for programs, Graphviz DOT for people, each node with its evaluated state when
// results are given.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "eval/evaluate.hpp"
#include "model/rule_set.hpp"

namespace tiendo::service {

// {"at": date|null, "nodes": [{"id", "kind": "plan"|"task", "name", "label", "state"|null,
//   ...}], "edges": [{"from", "to", "kind": "implements"|"part_of"|"after"}]}
// One node per plan, then one per task, in declaration order; ids are "plan:NAME" and
// "task:NAME". `label` is a plan's code (its name when it has none) or a task's title
// (its name when it has none); more fields follow (title, owner, due, source, …).
// One edge per edge of `rules.graph`, pointing from the declaring node to the node it
// names (a task `after` another points to the one it waits for). `state` is the
// evaluator's state name (eval::to_string(TaskState)) when `results` is given and has
// one for the node (a plan with nothing to roll up has none), else null; `at` is
// `results->at` as YYYY-MM-DD. Precondition: `results`, when given, was evaluated from
// `rules`. Thread-safe.
std::string plan_graph_json(const model::RuleSet& rules, const eval::Results* results);
// `digraph plans { ... }`: plans as boxes, tasks as ellipses, filled by state (green:
// done or on track; amber: done late, not reported, at risk or blocked; red: overdue;
// grey: cancelled;
// white: not evaluated), with the state as the last line of the label when `results` is
// given. A task's due date and its state are in `language` ("hạn 31/12/2022", "[Quá
// hạn]"; "due 2022-12-31", "[Overdue]"); names, codes and titles are as written. Edges
// are labelled and styled by kind: implements (bold), part_of (dashed), after (thin,
// purple). Text is escaped for DOT strings. Thread-safe.
std::string plan_graph_dot(const model::RuleSet& rules, const eval::Results* results,
                           model::Language language = model::Language::vi);

// Runs Graphviz's `dot -Tsvg` on `dot_source` and returns the <svg> element (XML
// declaration and DOCTYPE removed), ready to inline in HTML. Nullopt, with `error` set,
// when dot is not installed ("dot not found …"), fails ("dot exited with status 1:
// <first line of its standard error>"), or takes longer than `timeout` ("dot took longer
// than 5000 ms"; it is then killed). dot runs through util::run_program: found on PATH,
// without a shell, always reaped before returning, and a dot that stops reading its input
// does not raise SIGPIPE in this process. dot runs with the calling thread's nice value
// and cores. `timed_out`, when given, says whether it was killed for taking too long.
// Thread-safe; never throws.
std::optional<std::string> render_svg(const std::string& dot_source,
                                      std::chrono::milliseconds timeout, std::string& error,
                                      bool* timed_out = nullptr);

}  // namespace tiendo::service

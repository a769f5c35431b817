// The plan graph as JSON and DOT for the real Đồng Nai rule set (rules/ with the data of
// examples/ ingested into an in-memory store and evaluated on 30/9/2022, the report's
// date), and render_svg against the real Graphviz: success, dot's errors, a timeout, a
// dot that stops reading its input, and no child left behind.
#include "service/graph_export.hpp"

#include <gtest/gtest.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include "../e2e/run.hpp"
#include "dsl/check.hpp"
#include "eval/evaluate.hpp"
#include "present/labels.hpp"
#include "store/database.hpp"
#include "store/ingest.hpp"
#include "store/snapshot.hpp"
#include "support/example_suite.hpp"
#include "support/temp_dir.hpp"

namespace tiendo::service {
namespace {

using namespace std::chrono_literals;

const std::string kSourceDir = TIENDO_SOURCE_DIR;
// Generous: the machines that run the tests are sometimes very busy.
constexpr auto kDotTimeout = 60'000ms;

class ExampleGraph : public testing::ExampleSuite {
 protected:
  // Edges the model declares, by kind.
  std::map<std::string, std::size_t> declared_edges() const {
    std::map<std::string, std::size_t> counts;
    for (const model::Plan& plan : rules().plans) counts["implements"] += plan.implements.size();
    for (const model::Task& task : rules().tasks) {
      if (task.part_of != model::kNone) ++counts["part_of"];
      counts["after"] += task.after.size();
    }
    return counts;
  }
};

bool dot_installed() { return std::filesystem::exists("/usr/bin/dot"); }

std::size_t count(const std::string& text, const std::string& part) {
  std::size_t n = 0;
  for (std::size_t pos = text.find(part); pos != std::string::npos;
       pos = text.find(part, pos + part.size())) {
    ++n;
  }
  return n;
}

// Child processes of this process whose command is `dot` (zombies included).
std::vector<std::string> dot_children() {
  std::vector<std::string> found;
  const std::string parent = std::to_string(::getpid());
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    std::ifstream stat(entry.path() / "stat");
    std::string line;
    if (!stat || !std::getline(stat, line)) continue;
    // pid (comm) state ppid ...
    const std::size_t open = line.find('(');
    const std::size_t close = line.rfind(')');
    if (open == std::string::npos || close == std::string::npos) continue;
    const std::string comm = line.substr(open + 1, close - open - 1);
    std::istringstream rest(line.substr(close + 1));
    std::string state, ppid;
    rest >> state >> ppid;
    if (ppid == parent && comm == "dot") found.push_back(line.substr(0, close + 1) + " " + state);
  }
  return found;
}

// ---------------------------------------------------------------------------------------
// JSON

TEST_F(ExampleGraph, PlanGraphJsonHasEveryPlanTaskAndLinkWithoutStates) {
  const nlohmann::json graph = nlohmann::json::parse(plan_graph_json(rules(), nullptr));
  EXPECT_TRUE(graph["at"].is_null());
  ASSERT_EQ(graph["nodes"].size(), rules().plans.size() + rules().tasks.size());
  ASSERT_EQ(graph["edges"].size(), rules().graph.edges.size());
  EXPECT_GT(rules().plans.size(), 30u);
  EXPECT_GT(rules().tasks.size(), 20u);

  std::set<std::string> ids;
  std::size_t plans = 0;
  std::size_t tasks = 0;
  for (const nlohmann::json& node : graph["nodes"]) {
    EXPECT_TRUE(ids.insert(node["id"].get<std::string>()).second) << node["id"];
    EXPECT_TRUE(node["state"].is_null()) << node["id"];
    EXPECT_FALSE(node["label"].get<std::string>().empty()) << node["id"];
    if (node["kind"] == "plan") {
      ++plans;
    } else {
      EXPECT_EQ(node["kind"], "task");
      ++tasks;
    }
  }
  EXPECT_EQ(plans, rules().plans.size());
  EXPECT_EQ(tasks, rules().tasks.size());

  std::map<std::string, std::size_t> kinds;
  for (const nlohmann::json& edge : graph["edges"]) {
    ++kinds[edge["kind"].get<std::string>()];
    EXPECT_TRUE(ids.contains(edge["from"].get<std::string>())) << edge;
    EXPECT_TRUE(ids.contains(edge["to"].get<std::string>())) << edge;
  }
  EXPECT_EQ(kinds, declared_edges());
  EXPECT_GT(kinds["implements"], 0u);
  EXPECT_GT(kinds["part_of"], 0u);
  EXPECT_GT(kinds["after"], 0u);
}

TEST_F(ExampleGraph, PlanGraphJsonEdgesPointFromTheDeclaringNode) {
  const nlohmann::json graph = nlohmann::json::parse(plan_graph_json(rules(), nullptr));
  std::set<std::tuple<std::string, std::string, std::string>> edges;
  for (const nlohmann::json& edge : graph["edges"]) {
    edges.insert({edge["from"].get<std::string>(), edge["to"].get<std::string>(),
                  edge["kind"].get<std::string>()});
  }
  // plan KH177 { implements NQ05 }; task kho_du_lieu { part_of KH109 after thu_tuc_… }
  EXPECT_TRUE(edges.contains({"plan:KH177", "plan:NQ05", "implements"}));
  EXPECT_TRUE(edges.contains({"task:kho_du_lieu", "plan:KH109", "part_of"}));
  EXPECT_TRUE(edges.contains({"task:kho_du_lieu", "task:thu_tuc_dau_tu_kho_du_lieu", "after"}));
}

TEST_F(ExampleGraph, PlanGraphJsonCarriesTheEvaluatedStates) {
  const nlohmann::json graph = nlohmann::json::parse(plan_graph_json(rules(), &results()));
  EXPECT_EQ(graph["at"], "2022-09-30");
  std::map<std::string, nlohmann::json> states;
  for (const nlohmann::json& node : graph["nodes"]) states[node["id"]] = node["state"];
  for (const eval::TaskResult& t : results().tasks) {
    const std::string id = "task:" + rules().tasks[static_cast<std::size_t>(t.task)].name;
    EXPECT_EQ(states[id], eval::to_string(t.state)) << id;
  }
  std::size_t plans_with_state = 0;
  for (const eval::PlanResult& p : results().plans) {
    const std::string id = "plan:" + rules().plans[static_cast<std::size_t>(p.plan)].name;
    if (p.state) {
      EXPECT_EQ(states[id], eval::to_string(*p.state)) << id;
      ++plans_with_state;
    } else {
      EXPECT_TRUE(states[id].is_null()) << id;
    }
  }
  EXPECT_GT(plans_with_state, 0u);
  // kho_du_lieu waits for the investment procedures, which BC 231 reports as slow.
  for (const nlohmann::json& node : graph["nodes"]) {
    if (node["id"] == "task:kho_du_lieu") {
      EXPECT_EQ(node["owner"], "Sở Thông tin và Truyền thông");
      EXPECT_EQ(node["part_of"], "KH109");
      EXPECT_EQ(node["due"], "2022-12-31");
    }
  }
}

// ---------------------------------------------------------------------------------------
// DOT

TEST_F(ExampleGraph, PlanGraphDotDrawsPlansAsBoxesTasksAsEllipsesAndEveryLink) {
  const std::string dot = plan_graph_dot(rules(), &results());
  EXPECT_EQ(dot.rfind("digraph plans {", 0), 0u);
  EXPECT_EQ(count(dot, "shape=box"), rules().plans.size());
  EXPECT_EQ(count(dot, "shape=ellipse"), rules().tasks.size());
  EXPECT_EQ(count(dot, " -> "), rules().graph.edges.size());
  const auto declared = declared_edges();
  EXPECT_EQ(count(dot, "label=\"implements\""), declared.at("implements"));
  EXPECT_EQ(count(dot, "label=\"part_of\""), declared.at("part_of"));
  EXPECT_EQ(count(dot, "label=\"after\""), declared.at("after"));
  EXPECT_NE(dot.find("\"task:kho_du_lieu\" -> \"plan:KH109\" [label=\"part_of\""),
            std::string::npos);
  // Evaluated: every node is filled by its state (white: a plan with nothing to roll up);
  // unevaluated: every node white.
  std::size_t stateless = 0;
  for (const eval::PlanResult& p : results().plans) stateless += p.state ? 0 : 1;
  EXPECT_EQ(count(dot, "fillcolor=\"#ffffff\", color="), stateless) << dot;
  EXPECT_LT(stateless, rules().plans.size());
  const std::string bare = plan_graph_dot(rules(), nullptr);
  EXPECT_EQ(count(bare, "fillcolor=\"#ffffff\", color="),
            rules().plans.size() + rules().tasks.size());
}

// Issue #16: the dashboard in English draws the graph in English: each task's due date and
// each node's state in the language asked (Vietnamese by default, as GET /api/v1/graph
// gives it); names, codes and titles as written.
TEST_F(ExampleGraph, PlanGraphDotSaysDueDatesAndStatesInTheLanguageAsked) {
  const std::string vi = plan_graph_dot(rules(), &results());
  const std::string en = plan_graph_dot(rules(), &results(), model::Language::en);
  for (const eval::TaskResult& t : results().tasks) {
    EXPECT_NE(vi.find("\\n[" + std::string(present::label(t.state)) + "]\""), std::string::npos);
    EXPECT_NE(en.find("\\n[" + std::string(present::label(t.state, model::Language::en)) + "]\""),
              std::string::npos)
        << present::label(t.state, model::Language::en);
  }
  // dang_ky_tai_khoan_cong_dan is due by 31/12/2022.
  EXPECT_NE(vi.find("\\nhạn 31/12/2022"), std::string::npos);
  EXPECT_NE(en.find("\\ndue 2022-12-31"), std::string::npos);
  EXPECT_EQ(en.find("hạn "), std::string::npos);
  EXPECT_EQ(en.find("31/12/2022"), std::string::npos);
  EXPECT_EQ(plan_graph_dot(rules(), &results(), model::Language::vi), vi);
}

TEST(PlanGraphDot, EscapesQuotesBackslashesAndLineBreaksInLabels) {
  dsl::Program program = dsl::load_text("t.rules", R"(
plan P1 {
  title "Kế hoạch \"đặc biệt\" C:\\thu_muc"
  code "1/KH-\"X\""
}
task t1 {
  title "Nhiệm vụ có \"ngoặc kép\" và \\N"
  part_of P1
  due 2022-12-31
}
)");
  auto rules = dsl::check(program);
  ASSERT_TRUE(rules.has_value());
  ASSERT_EQ(rules->plans[0].title, "Kế hoạch \"đặc biệt\" C:\\thu_muc");
  const std::string dot = plan_graph_dot(*rules, nullptr);
  EXPECT_NE(dot.find("1/KH-\\\"X\\\""), std::string::npos) << dot;
  EXPECT_NE(dot.find("\\\"đặc biệt\\\""), std::string::npos) << dot;
  EXPECT_NE(dot.find("C:\\\\thu_muc"), std::string::npos) << dot;
  EXPECT_NE(dot.find("\\\\N"), std::string::npos) << dot;  // not dot's \N (the node name)
  if (!dot_installed()) GTEST_SKIP() << "Graphviz (/usr/bin/dot) is not installed";
  std::string error;
  const auto svg = render_svg(dot, kDotTimeout, error);
  ASSERT_TRUE(svg.has_value()) << error << "\n" << dot;
  // dot read the escapes back: the quote and the backslash are in the drawing.
  EXPECT_NE(svg->find("&quot;đặc biệt&quot;"), std::string::npos) << *svg;
  EXPECT_NE(svg->find("C:\\thu_muc"), std::string::npos) << *svg;
}

// ---------------------------------------------------------------------------------------
// render_svg with the real dot

TEST_F(ExampleGraph, PlanGraphRendersToSvgWithTheRealDot) {
  if (!dot_installed()) GTEST_SKIP() << "Graphviz (/usr/bin/dot) is not installed";
  std::string error;
  const auto svg = render_svg(plan_graph_dot(rules(), &results()), kDotTimeout, error);
  ASSERT_TRUE(svg.has_value()) << error;
  EXPECT_TRUE(error.empty()) << error;
  EXPECT_EQ(svg->rfind("<svg", 0), 0u) << svg->substr(0, 200);
  EXPECT_EQ(svg->find("<?xml"), std::string::npos);
  EXPECT_EQ(svg->find("<!DOCTYPE"), std::string::npos);
  EXPECT_EQ(svg->substr(svg->size() - 6), "</svg>");
  EXPECT_EQ(count(*svg, "class=\"node\""), rules().plans.size() + rules().tasks.size());
  EXPECT_EQ(count(*svg, "class=\"edge\""), rules().graph.edges.size());
  EXPECT_NE(svg->find("Nghị quyết về chuyển đổi"), std::string::npos);
  EXPECT_TRUE(dot_children().empty());
}

TEST(GraphRenderSvg, ReportsDotsExitStatusAndFirstErrorLine) {
  if (!dot_installed()) GTEST_SKIP() << "Graphviz (/usr/bin/dot) is not installed";
  std::string error;
  const auto svg = render_svg("digraph { a -> }\n", kDotTimeout, error);
  EXPECT_FALSE(svg.has_value());
  EXPECT_EQ(error.rfind("dot exited with status 1: ", 0), 0u) << error;
  EXPECT_NE(error.find("syntax error in line 1"), std::string::npos) << error;
  EXPECT_EQ(error.find('\n'), std::string::npos) << error;
  EXPECT_TRUE(dot_children().empty());
}

// Regression guard for SIGPIPE: dot gives up on the first line and closes its input
// while megabytes are still to be written. The write fails with EPIPE (the process is
// not killed), the error is dot's, and no SIGPIPE is left pending or blocked.
TEST(GraphRenderSvg, SurvivesDotClosingItsInputEarly) {
  if (!dot_installed()) GTEST_SKIP() << "Graphviz (/usr/bin/dot) is not installed";
  std::string input = "digraph { a -> }\n";
  while (input.size() < 8u << 20) input += "b -> c;\n";
  std::string error;
  const auto svg = render_svg(input, kDotTimeout, error);
  EXPECT_FALSE(svg.has_value());
  EXPECT_EQ(error.rfind("dot exited with status 1: ", 0), 0u) << error;
  sigset_t pending;
  sigemptyset(&pending);
  ASSERT_EQ(::sigpending(&pending), 0);
  EXPECT_FALSE(sigismember(&pending, SIGPIPE));
  sigset_t blocked;
  ASSERT_EQ(::pthread_sigmask(SIG_BLOCK, nullptr, &blocked), 0);
  EXPECT_FALSE(sigismember(&blocked, SIGPIPE));
  EXPECT_TRUE(dot_children().empty());
}

// Input and output both far beyond a pipe's buffer: served together by poll, neither
// side waits on the other.
TEST(GraphRenderSvg, LargeInputAndOutputDoNotDeadlock) {
  if (!dot_installed()) GTEST_SKIP() << "Graphviz (/usr/bin/dot) is not installed";
  std::string input = "digraph wide {\n";
  for (int i = 0; i < 2000; ++i) {
    input += "/* " + std::string(400, 'x') + " */ n" + std::to_string(i) + ";\n";
  }
  input += "}\n";
  ASSERT_GT(input.size(), 512u * 1024);
  std::string error;
  bool timed_out = true;
  const auto svg = render_svg(input, kDotTimeout, error, &timed_out);
  ASSERT_TRUE(svg.has_value()) << error;
  EXPECT_FALSE(timed_out);
  EXPECT_GT(svg->size(), 256u * 1024);
  EXPECT_EQ(count(*svg, "class=\"node\""), 2000u);
}

TEST(GraphRenderSvg, KillsDotAfterTheTimeout) {
  if (!dot_installed()) GTEST_SKIP() << "Graphviz (/usr/bin/dot) is not installed";
  // A dense graph of a few hundred nodes keeps dot's layout busy for minutes.
  std::string input = "digraph dense {\n";
  constexpr int kNodes = 300;
  for (int i = 0; i < kNodes; ++i) {
    input += "n" + std::to_string(i) + " -> n" + std::to_string((i * 7 + 3) % kNodes) + "; n" +
             std::to_string(i) + " -> n" + std::to_string((i * 13 + 5) % kNodes) + ";\n";
  }
  input += "}\n";
  std::string error;
  const auto started = std::chrono::steady_clock::now();
  bool timed_out = false;
  const auto svg = render_svg(input, 300ms, error, &timed_out);
  const auto took = std::chrono::steady_clock::now() - started;
  EXPECT_FALSE(svg.has_value());
  EXPECT_EQ(error, "dot took longer than 300 ms");
  EXPECT_TRUE(timed_out);
  EXPECT_LT(took, 20s);
  EXPECT_TRUE(dot_children().empty()) << "dot was left running or unreaped";
}

TEST(GraphRenderSvg, SaysWhenDotIsNotFound) {
  testing::TempDir empty;
  const char* old_path = ::getenv("PATH");
  const std::string saved = old_path ? old_path : "";
  ::setenv("PATH", empty.path().c_str(), 1);
  std::string error;
  const auto svg = render_svg("digraph { a }", kDotTimeout, error);
  if (old_path) {
    ::setenv("PATH", saved.c_str(), 1);
  } else {
    ::unsetenv("PATH");
  }
  EXPECT_FALSE(svg.has_value());
  EXPECT_EQ(error.rfind("dot not found", 0), 0u) << error;
}

}  // namespace
}  // namespace tiendo::service

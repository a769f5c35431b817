#include "service/graph_export.hpp"

#include <errno.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <exception>
#include <nlohmann/json.hpp>
#include <string_view>
#include <system_error>
#include <thread>
#include <vector>

#include "present/format.hpp"
#include "present/labels.hpp"
#include "util/text.hpp"

extern char** environ;

namespace tiendo::service {

namespace {

using eval::TaskState;
using SteadyClock = std::chrono::steady_clock;

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

// A file descriptor closed when it goes out of scope.
class Fd {
 public:
  Fd() = default;
  ~Fd() { close(); }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  bool open() const { return fd_ >= 0; }
  void reset(int fd) {
    close();
    fd_ = fd;
  }
  void close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
};

std::string errno_text(int error) { return std::generic_category().message(error); }

// A pipe whose ends are close-on-exec and above the standard descriptors, so that the
// child's dup2 onto 0, 1 and 2 never meets one of them (in a process started with a
// closed standard descriptor, pipe2 would hand that number out).
bool make_pipe(Fd& read_end, Fd& write_end) {
  int fds[2] = {-1, -1};
  if (::pipe2(fds, O_CLOEXEC) != 0) return false;
  read_end.reset(fds[0]);
  write_end.reset(fds[1]);
  for (Fd* end : {&read_end, &write_end}) {
    if (end->get() > STDERR_FILENO) continue;
    const int moved = ::fcntl(end->get(), F_DUPFD_CLOEXEC, STDERR_FILENO + 1);
    end->reset(moved);
    if (moved < 0) return false;
  }
  return true;
}

bool set_nonblocking(const Fd& fd) {
  const int flags = ::fcntl(fd.get(), F_GETFL);
  return flags >= 0 && ::fcntl(fd.get(), F_SETFL, flags | O_NONBLOCK) == 0;
}

// The dot process; killed and reaped when it goes out of scope before it was waited for,
// so that no path (an early return, an exception) leaves a zombie or a runaway dot.
class Child {
 public:
  explicit Child(pid_t pid) : pid_(pid) {}
  ~Child() {
    if (pid_ > 0) kill_and_reap();
  }
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  void kill_and_reap() {
    ::kill(pid_, SIGKILL);
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
    pid_ = -1;
  }
  // The exit status once the child has exited; nullopt while it runs.
  std::optional<int> try_reap() {
    int status = 0;
    pid_t done = -1;
    do {
      done = ::waitpid(pid_, &status, WNOHANG);
    } while (done < 0 && errno == EINTR);
    if (done == 0) return std::nullopt;
    pid_ = -1;
    // done < 0 (ECHILD: reaped elsewhere, as when SIGCHLD is ignored): no status to read.
    return done < 0 ? -1 : status;
  }

 private:
  pid_t pid_ = -1;
};

// Blocks SIGPIPE in the calling thread while dot's standard input is written, so that a
// write to a pipe dot has closed fails with EPIPE instead of killing the process. The
// process's signal dispositions are left as they are. A SIGPIPE our own write raised is
// taken off the pending set before the old mask returns; one already pending stays.
class SigpipeGuard {
 public:
  SigpipeGuard() {
    sigemptyset(&pipe_only_);
    sigaddset(&pipe_only_, SIGPIPE);
    sigset_t pending;
    sigemptyset(&pending);
    if (::sigpending(&pending) == 0) was_pending_ = sigismember(&pending, SIGPIPE) == 1;
    active_ = ::pthread_sigmask(SIG_BLOCK, &pipe_only_, &old_) == 0;
  }
  ~SigpipeGuard() {
    if (!active_) return;
    if (raised_ && !was_pending_) {
      const struct timespec no_wait = {0, 0};
      while (::sigtimedwait(&pipe_only_, nullptr, &no_wait) < 0 && errno == EINTR) {
      }
    }
    ::pthread_sigmask(SIG_SETMASK, &old_, nullptr);
  }
  SigpipeGuard(const SigpipeGuard&) = delete;
  SigpipeGuard& operator=(const SigpipeGuard&) = delete;
  void raised() { raised_ = true; }

 private:
  sigset_t pipe_only_{};
  sigset_t old_{};
  bool active_ = false;
  bool was_pending_ = false;
  bool raised_ = false;
};

class SpawnSettings {
 public:
  SpawnSettings() {
    have_actions_ = posix_spawn_file_actions_init(&actions_) == 0;
    have_attributes_ = posix_spawnattr_init(&attributes_) == 0;
  }
  ~SpawnSettings() {
    if (have_actions_) posix_spawn_file_actions_destroy(&actions_);
    if (have_attributes_) posix_spawnattr_destroy(&attributes_);
  }
  SpawnSettings(const SpawnSettings&) = delete;
  SpawnSettings& operator=(const SpawnSettings&) = delete;

  // 0, or the error number.
  int prepare(const Fd& in, const Fd& out, const Fd& err) {
    if (!have_actions_ || !have_attributes_) return ENOMEM;
    int rc = posix_spawn_file_actions_adddup2(&actions_, in.get(), STDIN_FILENO);
    if (rc == 0) rc = posix_spawn_file_actions_adddup2(&actions_, out.get(), STDOUT_FILENO);
    if (rc == 0) rc = posix_spawn_file_actions_adddup2(&actions_, err.get(), STDERR_FILENO);
    // dot starts with no signal blocked and SIGPIPE at its default, whatever the calling
    // thread blocks or the process ignores.
    sigset_t none;
    sigemptyset(&none);
    sigset_t pipe_only;
    sigemptyset(&pipe_only);
    sigaddset(&pipe_only, SIGPIPE);
    if (rc == 0) rc = posix_spawnattr_setsigmask(&attributes_, &none);
    if (rc == 0) rc = posix_spawnattr_setsigdefault(&attributes_, &pipe_only);
    if (rc == 0) {
      rc = posix_spawnattr_setflags(&attributes_, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    }
    return rc;
  }
  const posix_spawn_file_actions_t* actions() const { return &actions_; }
  const posix_spawnattr_t* attributes() const { return &attributes_; }

 private:
  posix_spawn_file_actions_t actions_{};
  posix_spawnattr_t attributes_{};
  bool have_actions_ = false;
  bool have_attributes_ = false;
};

std::string first_line(std::string_view text) {
  const std::size_t start = text.find_first_not_of(" \t\r\n");
  if (start == std::string_view::npos) return {};
  text.remove_prefix(start);
  std::string_view line = text.substr(0, text.find_first_of("\r\n"));
  while (!line.empty() && (line.back() == ' ' || line.back() == '\t')) line.remove_suffix(1);
  return std::string(line);
}

std::string timeout_message(std::chrono::milliseconds timeout) {
  return fmt::format("dot took longer than {} ms", timeout.count());
}

std::optional<std::string> run_dot(const std::string& dot_source, std::chrono::milliseconds timeout,
                                   std::string& error) {
  const auto deadline = SteadyClock::now() + timeout;
  Fd child_in, in;    // dot's standard input, our end
  Fd out, child_out;  // dot's standard output
  Fd err, child_err;  // dot's standard error
  if (!make_pipe(child_in, in) || !make_pipe(out, child_out) || !make_pipe(err, child_err)) {
    error = "cannot run dot: cannot create a pipe: " + errno_text(errno);
    return std::nullopt;
  }

  pid_t pid = -1;
  {
    SpawnSettings settings;
    int rc = settings.prepare(child_in, child_out, child_err);
    if (rc == 0) {
      char program[] = "dot";
      char format[] = "-Tsvg";
      char* argv[] = {program, format, nullptr};
      rc = posix_spawnp(&pid, program, settings.actions(), settings.attributes(), argv, environ);
    }
    if (rc != 0) {
      error = rc == ENOENT ? std::string("dot not found (is Graphviz installed and on PATH?)")
                           : "cannot run dot: " + errno_text(rc);
      return std::nullopt;
    }
  }
  Child child(pid);
  child_in.close();
  child_out.close();
  child_err.close();
  if (!set_nonblocking(in) || !set_nonblocking(out) || !set_nonblocking(err)) {
    error = "cannot run dot: cannot make a pipe non-blocking: " + errno_text(errno);
    return std::nullopt;
  }

  // Standard input, output and error are served together, each when poll says it is
  // ready: dot may write a large drawing before it has read all its input, or fill its
  // standard error, and neither side may then wait on the other.
  std::string output;
  std::string diagnostics;
  std::size_t written = 0;
  if (dot_source.empty()) in.close();
  {
    SigpipeGuard sigpipe;
    std::vector<char> buffer(65536);
    while (in.open() || out.open() || err.open()) {
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - SteadyClock::now());
      if (left.count() <= 0) {
        error = timeout_message(timeout);
        return std::nullopt;  // Child kills and reaps dot
      }
      std::array<pollfd, 3> fds{};
      std::array<Fd*, 3> owners{};
      nfds_t count = 0;
      for (Fd* fd : {&in, &out, &err}) {
        if (!fd->open()) continue;
        fds[count] = {fd->get(), static_cast<short>(fd == &in ? POLLOUT : POLLIN), 0};
        owners[count++] = fd;
      }
      // Rounded up, so that the loop does not spin in the last millisecond.
      const int wait_ms = static_cast<int>(std::min<std::int64_t>(left.count() + 1, 60'000));
      const int ready = ::poll(fds.data(), count, wait_ms);
      if (ready < 0) {
        if (errno == EINTR) continue;
        error = "cannot run dot: poll failed: " + errno_text(errno);
        return std::nullopt;
      }
      for (nfds_t i = 0; i < count; ++i) {
        if (fds[i].revents == 0) continue;
        Fd& fd = *owners[i];
        if (&fd == &in) {
          const std::size_t chunk = std::min<std::size_t>(dot_source.size() - written, 65536);
          const ssize_t n = ::write(fd.get(), dot_source.data() + written, chunk);
          if (n > 0) {
            written += static_cast<std::size_t>(n);
            if (written == dot_source.size()) fd.close();
          } else if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
            // EPIPE: dot stopped reading, having failed early. Its exit status and
            // standard error say why, so the rest of the input is dropped.
            if (errno == EPIPE) sigpipe.raised();
            fd.close();
          }
          continue;
        }
        const ssize_t n = ::read(fd.get(), buffer.data(), buffer.size());
        if (n > 0) {
          std::string& sink = &fd == &out ? output : diagnostics;
          if (&sink == &output || sink.size() < kMaxStderr) {
            sink.append(buffer.data(), static_cast<std::size_t>(n));
          }
        } else if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
          fd.close();
        }
      }
    }
  }

  // Both outputs are at their end, so dot is exiting; the wait is still bounded.
  std::optional<int> status;
  while (!(status = child.try_reap())) {
    if (SteadyClock::now() >= deadline) {
      error = timeout_message(timeout);
      return std::nullopt;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }

  const std::string detail = first_line(diagnostics);
  const std::string suffix = detail.empty() ? "" : ": " + detail;
  if (*status == -1) {
    error = "cannot run dot: its exit status was lost" + suffix;
    return std::nullopt;
  }
  if (WIFSIGNALED(*status)) {
    error = fmt::format("dot was killed by signal {}{}", WTERMSIG(*status), suffix);
    return std::nullopt;
  }
  if (!WIFEXITED(*status) || WEXITSTATUS(*status) != 0) {
    error = fmt::format("dot exited with status {}{}", WEXITSTATUS(*status), suffix);
    return std::nullopt;
  }
  const std::size_t start = output.find("<svg");
  if (start == std::string::npos) {
    error = "dot produced no <svg> element" + suffix;
    return std::nullopt;
  }
  output.erase(0, start);
  while (!output.empty() &&
         (output.back() == '\n' || output.back() == '\r' || output.back() == ' ')) {
    output.pop_back();
  }
  return output;
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

std::string plan_graph_dot(const model::RuleSet& rules, const eval::Results* results) {
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

  const auto state_line = [](const std::optional<TaskState>& state) {
    return state ? std::vector<std::string>{"[" + std::string(present::label(*state)) + "]"}
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
    if (task.due) lines.push_back("hạn " + present::format_date(*task.due));
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
                                      std::chrono::milliseconds timeout, std::string& error) {
  error.clear();
  try {
    return run_dot(dot_source, timeout, error);
  } catch (const std::exception& e) {
    error = std::string("cannot run dot: ") + e.what();
  } catch (...) {
    error = "cannot run dot";
  }
  return std::nullopt;
}

}  // namespace tiendo::service

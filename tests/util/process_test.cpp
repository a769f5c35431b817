// util::run_program on real programs of the base system (cat, sh, sleep): input and
// output, exit statuses and their messages, a program not on PATH, the timeout, and the
// process group that takes a program's helpers with it. graph_export_test runs it through
// render_svg with the real dot.
#include "util/process.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "support/temp_dir.hpp"

namespace tiendo::util {
namespace {

using namespace std::chrono_literals;

ProgramOptions with_timeout(std::chrono::milliseconds timeout) {
  ProgramOptions options;
  options.timeout = timeout;
  return options;
}

// Whether a process of the group `group` still runs (zombies, which an init that does
// not reap may keep, have ended: they run nothing). Looked at for up to 5 s, as a killed
// process leaves the table when its reaper gets to it.
bool group_alive(pid_t group) {
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  for (;;) {
    bool running = false;
    for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
      std::ifstream stat(entry.path() / "stat");
      std::string line;
      if (!stat || !std::getline(stat, line)) continue;
      // pid (comm) state ppid pgrp ...
      const std::size_t close = line.rfind(')');
      if (close == std::string::npos) continue;
      std::istringstream rest(line.substr(close + 1));
      char state = 0;
      long ppid = 0;
      long pgrp = 0;
      if (rest >> state >> ppid >> pgrp && pgrp == group && state != 'Z') running = true;
    }
    if (!running) return false;
    if (std::chrono::steady_clock::now() >= deadline) return true;
    std::this_thread::sleep_for(50ms);
  }
}

pid_t pid_on_first_line(const std::string& out) {
  return static_cast<pid_t>(std::atol(out.substr(0, out.find('\n')).c_str()));
}

TEST(RunProgram, FeedsItsInputAndReturnsItsOutput) {
  std::string input;
  while (input.size() < (1u << 20)) input += "dòng tiếng Việt\n";  // beyond a pipe's buffer
  ProgramOptions options = with_timeout(20s);
  options.input = input;
  const ProgramRun run = run_program({"cat"}, options);
  ASSERT_TRUE(run.ok()) << run.error;
  EXPECT_EQ(run.out, input);
  EXPECT_EQ(run.error, "");
}

TEST(RunProgram, NamesTheExitStatusAndTheFirstLineOfStandardError) {
  const ProgramRun run = run_program(
      {"sh", "-c", "echo; echo 'thiếu tệp  ' >&2; echo more >&2; exit 3"}, with_timeout(20s));
  EXPECT_FALSE(run.ok());
  EXPECT_EQ(run.outcome, ProgramOutcome::exited);
  EXPECT_EQ(run.exit_status, 3);
  EXPECT_EQ(run.error, "sh exited with status 3: thiếu tệp");
  EXPECT_EQ(run.err, "thiếu tệp  \nmore\n");
}

TEST(RunProgram, KeepsOnlyTheStartOfALongStandardError) {
  ProgramOptions options = with_timeout(20s);
  options.max_error_bytes = 10;
  const ProgramRun run = run_program({"sh", "-c", "echo 0123456789abcdef >&2"}, options);
  ASSERT_TRUE(run.ok()) << run.error;
  EXPECT_EQ(run.err, "0123456789");
}

TEST(RunProgram, SaysWhenTheProgramIsNotOnPath) {
  testing::TempDir empty;
  const char* old_path = ::getenv("PATH");
  const std::string saved = old_path ? old_path : "";
  ::setenv("PATH", empty.path().c_str(), 1);
  const ProgramRun run = run_program({"cat"}, with_timeout(20s));
  if (old_path) {
    ::setenv("PATH", saved.c_str(), 1);
  } else {
    ::unsetenv("PATH");
  }
  EXPECT_EQ(run.outcome, ProgramOutcome::not_found);
  EXPECT_EQ(run.error, "cat not found on PATH");
}

TEST(RunProgram, KillsTheProgramAfterTheTimeout) {
  const auto started = std::chrono::steady_clock::now();
  const ProgramRun run = run_program({"sleep", "30"}, with_timeout(300ms));
  EXPECT_LT(std::chrono::steady_clock::now() - started, 10s);
  EXPECT_EQ(run.outcome, ProgramOutcome::timed_out);
  EXPECT_EQ(run.error, "sleep took longer than 300 ms");
}

TEST(RunProgram, SaysWhichSignalKilledIt) {
  const ProgramRun run = run_program({"sh", "-c", "kill -TERM $$"}, with_timeout(20s));
  EXPECT_EQ(run.outcome, ProgramOutcome::failed);
  EXPECT_EQ(run.error, "sh was killed by signal 15");
}

// A helper left behind holds the program's output open: with a group of its own the
// program's exit ends the run at once, and the helper with it.
TEST(RunProgram, AProcessGroupOfItsOwnTakesTheHelpersWithIt) {
  ProgramOptions options = with_timeout(20s);
  options.own_process_group = true;
  const auto started = std::chrono::steady_clock::now();
  const ProgramRun run = run_program({"sh", "-c", "echo $$; sleep 60 & exit 0"}, options);
  EXPECT_LT(std::chrono::steady_clock::now() - started, 10s);
  ASSERT_TRUE(run.ok()) << run.error;
  const pid_t group = pid_on_first_line(run.out);
  ASSERT_GT(group, 1) << run.out;
  EXPECT_FALSE(group_alive(group)) << "the helper of process group " << group << " still runs";
}

TEST(RunProgram, ATimeoutKillsTheWholeGroup) {
  ProgramOptions options = with_timeout(500ms);
  options.own_process_group = true;
  const ProgramRun run = run_program({"sh", "-c", "echo $$; sleep 60 & sleep 60"}, options);
  EXPECT_EQ(run.outcome, ProgramOutcome::timed_out);
  EXPECT_EQ(run.error, "sh took longer than 500 ms");
  const pid_t group = pid_on_first_line(run.out);
  ASSERT_GT(group, 1) << run.out;
  EXPECT_FALSE(group_alive(group)) << "process group " << group << " still runs";
}

TEST(FirstLine, SkipsBlankLinesAndTrailingBlanks) {
  EXPECT_EQ(first_line("\n  \r\n  lỗi ở dòng 1 \t\r\ndòng 2"), "lỗi ở dòng 1");
  EXPECT_EQ(first_line(" \n\t"), "");
}

TEST(LastLine, SkipsTrailingBlankLinesAndLeadingBlanks) {
  EXPECT_EQ(last_line("launcher noise\n  ERROR: cannot print \n\n"), "ERROR: cannot print");
  EXPECT_EQ(last_line("one line"), "one line");
  EXPECT_EQ(last_line("\r\n \n"), "");
}

}  // namespace
}  // namespace tiendo::util

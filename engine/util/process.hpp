// Running another program as a child process, bounded in time: Graphviz's dot for the
// plan graph, Chromium and pandoc for the report as a document. No shell: the program is
// found on PATH and given its arguments as they are.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace tiendo::util {

struct ProgramOptions {
  // Written to the program's standard input, which is then closed (at once when empty).
  std::string_view input;
  // The whole run, from the start to the last byte of output; the program is killed when
  // it passes.
  std::chrono::milliseconds timeout{5000};
  // Standard error past this many bytes is read and dropped.
  std::size_t max_error_bytes = 64 * 1024;
  // Starts the program in a process group of its own and kills the whole group (SIGKILL)
  // when the program has exited or the time is up: for programs that start helper
  // processes of their own (Chromium's zygote, GPU and renderer processes), which would
  // otherwise outlive it or keep its output open.
  bool own_process_group = false;
};

enum class ProgramOutcome {
  exited,        // it ran to its end: see exit_status
  not_found,     // no such program on PATH (or not executable)
  cannot_start,  // no pipe, no process, a failing poll: see error
  timed_out,     // killed after options.timeout
  failed,        // killed by a signal, or its status was lost: see error
};

struct ProgramRun {
  ProgramOutcome outcome = ProgramOutcome::cannot_start;
  int exit_status = -1;  // when outcome is exited
  std::string out;       // standard output, whole
  std::string err;       // standard error, its first options.max_error_bytes
  // Empty when it exited with status 0; otherwise one line that names the program
  // (argv[0]): "NAME not found on PATH", "cannot run NAME: <why>", "NAME took longer than
  // 300 ms", "NAME was killed by signal 9: <first line of its standard error>", "NAME
  // exited with status 1: <first line of its standard error>".
  std::string error;
  bool ok() const { return outcome == ProgramOutcome::exited && exit_status == 0; }
};

// Runs argv[0] (looked up on the PATH of this process's environment, which it inherits)
// with the arguments argv[1..], serving its standard input, output and error together so
// that neither side waits on the other. The child starts with no signal blocked and
// SIGPIPE at its default; a program that stops reading its input does not raise SIGPIPE
// in this process (SIGPIPE is blocked in the calling thread for the call; the process's
// signal dispositions are untouched). The child is always reaped before returning, and
// killed first if it still runs. Precondition: argv is not empty. Thread-safe; never
// throws (an allocation failure is reported as cannot_start).
ProgramRun run_program(const std::vector<std::string>& argv, const ProgramOptions& options);

// The first non-blank line of `text`, without trailing blanks: what a message quotes of
// a program's standard error.
std::string first_line(std::string_view text);
// The last non-blank line, likewise: for programs that say why they failed at the end,
// after whatever their start-up printed (Chromium, behind Debian's launcher script).
std::string last_line(std::string_view text);

}  // namespace tiendo::util

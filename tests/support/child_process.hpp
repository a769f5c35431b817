// Child processes for tests and benchmarks, and the local SMTP server they deliver to
// (tests/notify/smtp_sink.py).
#pragma once

#include <signal.h>
#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "support/temp_dir.hpp"

namespace tiendo::testing {

// SIGPIPE ignored for as long as the object lives: a test that writes to a receiver or a
// child that may have gone gets EPIPE instead of dying.
class SigpipeIgnored {
 public:
  SigpipeIgnored() {
    struct sigaction ignore {};
    ignore.sa_handler = SIG_IGN;
    sigemptyset(&ignore.sa_mask);
    ::sigaction(SIGPIPE, &ignore, &previous_);
  }
  ~SigpipeIgnored() { ::sigaction(SIGPIPE, &previous_, nullptr); }
  SigpipeIgnored(const SigpipeIgnored&) = delete;
  SigpipeIgnored& operator=(const SigpipeIgnored&) = delete;

 private:
  struct sigaction previous_ {};
};

struct ChildProcessOptions {
  // Standard output comes back through read_line and read_all; otherwise it goes to
  // `log`, or is inherited when there is no log.
  bool pipe_stdout = true;
  // A file (created or truncated) for standard error, and for standard output when it is
  // not piped; empty: both are inherited.
  std::string log;
  // "NAME=value" entries for the child's environment, over this process's (a NAME given
  // here replaces the inherited one).
  std::vector<std::string> environment;
};

// A child process with a pipe on its standard input and, optionally, on its standard
// output. Every wait is bounded: a child that does not exit in time is killed. The child
// gets SIGTERM when the thread that started it ends (PR_SET_PDEATHSIG), so a crashed
// test or benchmark leaves nothing running; start children from a long-lived thread.
class ChildProcess {
 public:
  // Runs argv[0] (a path; PATH is not searched) with these arguments. Throws
  // std::runtime_error when the process cannot be started.
  explicit ChildProcess(const std::vector<std::string>& argv, ChildProcessOptions options = {});
  // Closes standard input, then terminate(5s) if the child still runs.
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  // The next line of standard output without its newline; nullopt at its end, when the
  // timeout passes first, or when standard output is not piped.
  std::optional<std::string> read_line(std::chrono::milliseconds timeout);
  // The next `n` bytes of standard output; nullopt at its end or when the timeout passes
  // first.
  std::optional<std::string> read_bytes(std::size_t n, std::chrono::milliseconds timeout);
  // Writes to standard input (whole, blocking); false when the child no longer reads it
  // (SigpipeIgnored keeps the test alive then).
  bool write(std::string_view bytes);
  // Closes standard input (the child reads its end).
  void close_stdin();
  // Standard output up to its end; nullopt when the timeout passes first.
  std::optional<std::string> read_all(std::chrono::milliseconds timeout);

  // Whether the child has not exited yet (it is reaped when it has).
  bool running();

  // Closes standard input (which tells smtp_sink.py to stop) and waits for the exit;
  // kills the child when the timeout passes. The exit status, or -1 when it had to be
  // killed or died of a signal.
  int finish(std::chrono::milliseconds timeout);
  // SIGTERM, then the wait; SIGKILL when the timeout passes. The exit status, or -1
  // when it had to be killed or died of a signal.
  int terminate(std::chrono::milliseconds timeout);
  // Sends `signal` (SIGHUP, …) without waiting; false when the child has exited.
  bool send(int signal);
  // Waits for the exit without closing standard input or signalling; -2 when the
  // timeout passes first (the child is left running).
  int wait_exit(std::chrono::milliseconds timeout);
  pid_t pid() const { return pid_; }

 private:
  int wait(std::chrono::milliseconds timeout);
  bool fill(std::chrono::steady_clock::time_point deadline);

  pid_t pid_ = -1;
  int stdin_ = -1;
  int stdout_ = -1;
  int status_ = -1;
  bool eof_ = false;
  std::string buffer_;
};

// `text` with every line break as CRLF: the form an e-mail's text has after the trip
// (MIME text is canonically CRLF), to compare what was sent with what arrived.
std::string crlf(std::string_view text);

struct SmtpSinkOptions {
  // Where the messages are saved (created when missing); empty: a fresh temporary
  // directory, removed with the sink.
  std::string directory;
  // smtp_sink.py's --timeout: it exits by itself after this long even if nobody stops it.
  std::chrono::seconds lifetime{60};
  // More arguments, such as {"--reject-rcpt", ADDRESS} or {"--defer-rcpt", ADDRESS}.
  std::vector<std::string> extra_args;
  // The script; empty: tests/notify/smtp_sink.py in this source tree.
  std::string script;
};

// tests/notify/smtp_sink.py (aiosmtpd, through /usr/bin/python3) on a free port of
// 127.0.0.1; the destructor stops it.
class SmtpSink {
 public:
  explicit SmtpSink(SmtpSinkOptions options = {});
  ~SmtpSink();
  SmtpSink(const SmtpSink&) = delete;
  SmtpSink& operator=(const SmtpSink&) = delete;

  // The port the server reported on its first line of output, or 0 when it reported
  // none within 30 s.
  int port() const { return port_; }
  std::string url() const { return "smtp://127.0.0.1:" + std::to_string(port_); }
  const std::string& directory() const { return directory_; }
  // The paths of the saved messages, in the order received.
  std::vector<std::string> files() const;
  // Closes the server's standard input and waits (at most 10 s) for it to exit. Its
  // exit status, or -1.
  int stop();

 private:
  std::optional<TempDir> own_directory_;
  std::string directory_;
  std::optional<ChildProcess> child_;
  int port_ = 0;
};

}  // namespace tiendo::testing

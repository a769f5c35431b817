#include "util/process.hpp"

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
#include <optional>
#include <system_error>
#include <thread>

extern char** environ;

namespace tiendo::util {

namespace {

using SteadyClock = std::chrono::steady_clock;

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

// The child; killed and reaped when it goes out of scope before it was waited for, so
// that no path (an early return, an exception) leaves a zombie or a runaway program.
// With a process group of its own, the whole group is killed with it.
class Child {
 public:
  Child(pid_t pid, bool own_group) : pid_(pid), group_(own_group ? pid : -1) {}
  ~Child() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      int status = 0;
      while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
      }
    }
    kill_group();
  }
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  bool reaped() const { return pid_ < 0; }
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
  // Whatever the program started and left in its group. The group's id cannot be given to
  // a new process while a member lives; once the program is reaped, one SIGKILL reaches
  // every member at once, and the id is not used again, as it could then be a stranger's.
  void kill_group() {
    if (group_ <= 0) return;
    ::kill(-group_, SIGKILL);
    if (pid_ < 0) group_ = -1;
  }

 private:
  pid_t pid_ = -1;
  pid_t group_ = -1;
};

// Blocks SIGPIPE in the calling thread while the child's standard input is written, so
// that a write to a pipe the child has closed fails with EPIPE instead of killing the
// process. The process's signal dispositions are left as they are. A SIGPIPE our own
// write raised is taken off the pending set before the old mask returns; one already
// pending stays.
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
  int prepare(const Fd& in, const Fd& out, const Fd& err, bool own_group) {
    if (!have_actions_ || !have_attributes_) return ENOMEM;
    int rc = posix_spawn_file_actions_adddup2(&actions_, in.get(), STDIN_FILENO);
    if (rc == 0) rc = posix_spawn_file_actions_adddup2(&actions_, out.get(), STDOUT_FILENO);
    if (rc == 0) rc = posix_spawn_file_actions_adddup2(&actions_, err.get(), STDERR_FILENO);
    // The program starts with no signal blocked and SIGPIPE at its default, whatever the
    // calling thread blocks or the process ignores.
    sigset_t none;
    sigemptyset(&none);
    sigset_t pipe_only;
    sigemptyset(&pipe_only);
    sigaddset(&pipe_only, SIGPIPE);
    if (rc == 0) rc = posix_spawnattr_setsigmask(&attributes_, &none);
    if (rc == 0) rc = posix_spawnattr_setsigdefault(&attributes_, &pipe_only);
    short flags = POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF;
    if (own_group) {
      if (rc == 0) rc = posix_spawnattr_setpgroup(&attributes_, 0);
      flags |= POSIX_SPAWN_SETPGROUP;
    }
    if (rc == 0) rc = posix_spawnattr_setflags(&attributes_, flags);
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

void fail(ProgramRun& run, ProgramOutcome outcome, std::string error) {
  run.outcome = outcome;
  run.error = std::move(error);
}

void run_child(const std::vector<std::string>& argv, const ProgramOptions& options,
               ProgramRun& run) {
  const std::string& name = argv.front();
  const auto timed_out = [&] {
    fail(run, ProgramOutcome::timed_out,
         fmt::format("{} took longer than {} ms", name, options.timeout.count()));
  };
  const auto deadline = SteadyClock::now() + options.timeout;
  Fd child_in, in;    // the child's standard input, our end
  Fd out, child_out;  // its standard output
  Fd err, child_err;  // its standard error
  if (!make_pipe(child_in, in) || !make_pipe(out, child_out) || !make_pipe(err, child_err)) {
    fail(run, ProgramOutcome::cannot_start,
         "cannot run " + name + ": cannot create a pipe: " + errno_text(errno));
    return;
  }

  pid_t pid = -1;
  {
    std::vector<char*> args;
    args.reserve(argv.size() + 1);
    for (const std::string& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
    args.push_back(nullptr);
    SpawnSettings settings;
    int rc = settings.prepare(child_in, child_out, child_err, options.own_process_group);
    if (rc == 0) {
      rc = posix_spawnp(&pid, args[0], settings.actions(), settings.attributes(), args.data(),
                        environ);
    }
    if (rc == ENOENT || rc == EACCES) {
      fail(run, ProgramOutcome::not_found, name + " not found on PATH");
      return;
    }
    if (rc != 0) {
      fail(run, ProgramOutcome::cannot_start, "cannot run " + name + ": " + errno_text(rc));
      return;
    }
  }
  Child child(pid, options.own_process_group);
  child_in.close();
  child_out.close();
  child_err.close();
  if (!set_nonblocking(in) || !set_nonblocking(out) || !set_nonblocking(err)) {
    fail(run, ProgramOutcome::cannot_start,
         "cannot run " + name + ": cannot make a pipe non-blocking: " + errno_text(errno));
    return;
  }

  // Standard input, output and error are served together, each when poll says it is
  // ready: the program may write a large output before it has read all its input, or
  // fill its standard error, and neither side may then wait on the other.
  std::optional<int> status;
  std::size_t written = 0;
  if (options.input.empty()) in.close();
  {
    SigpipeGuard sigpipe;
    std::vector<char> buffer(65536);
    while (in.open() || out.open() || err.open()) {
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - SteadyClock::now());
      if (left.count() <= 0) {
        timed_out();
        return;  // Child kills and reaps the program
      }
      // The helpers of a program with a group of its own may hold its output open after it
      // has exited: once it has, they go with their group.
      if (options.own_process_group && !child.reaped() && (status = child.try_reap())) {
        child.kill_group();
      }
      std::array<pollfd, 3> fds{};
      std::array<Fd*, 3> owners{};
      nfds_t count = 0;
      for (Fd* fd : {&in, &out, &err}) {
        if (!fd->open()) continue;
        fds[count] = {fd->get(), static_cast<short>(fd == &in ? POLLOUT : POLLIN), 0};
        owners[count++] = fd;
      }
      // Rounded up, so that the loop does not spin in the last millisecond. A program
      // with helpers is looked at every 100 ms to see whether it has exited.
      const std::int64_t cap = options.own_process_group ? 100 : 60'000;
      const int wait_ms = static_cast<int>(std::min<std::int64_t>(left.count() + 1, cap));
      const int ready = ::poll(fds.data(), count, wait_ms);
      if (ready < 0) {
        if (errno == EINTR) continue;
        fail(run, ProgramOutcome::cannot_start,
             "cannot run " + name + ": poll failed: " + errno_text(errno));
        return;
      }
      for (nfds_t i = 0; i < count; ++i) {
        if (fds[i].revents == 0) continue;
        Fd& fd = *owners[i];
        if (&fd == &in) {
          const std::size_t chunk =
              std::min<std::size_t>(options.input.size() - written, buffer.size());
          const ssize_t n = ::write(fd.get(), options.input.data() + written, chunk);
          if (n > 0) {
            written += static_cast<std::size_t>(n);
            if (written == options.input.size()) fd.close();
          } else if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
            // EPIPE: the program stopped reading, having failed early. Its exit status
            // and standard error say why, so the rest of the input is dropped.
            if (errno == EPIPE) sigpipe.raised();
            fd.close();
          }
          continue;
        }
        const ssize_t n = ::read(fd.get(), buffer.data(), buffer.size());
        if (n > 0) {
          if (&fd == &out) {
            run.out.append(buffer.data(), static_cast<std::size_t>(n));
          } else if (run.err.size() < options.max_error_bytes) {
            run.err.append(buffer.data(), std::min(static_cast<std::size_t>(n),
                                                   options.max_error_bytes - run.err.size()));
          }
        } else if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
          fd.close();
        }
      }
    }
  }

  // Both outputs are at their end, so the program is exiting; the wait is still bounded.
  while (!status && !(status = child.try_reap())) {
    if (SteadyClock::now() >= deadline) {
      timed_out();
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  child.kill_group();

  const std::string detail = first_line(run.err);
  const std::string suffix = detail.empty() ? "" : ": " + detail;
  if (*status == -1) {
    fail(run, ProgramOutcome::failed, "cannot run " + name + ": its exit status was lost" + suffix);
  } else if (WIFSIGNALED(*status)) {
    fail(run, ProgramOutcome::failed,
         fmt::format("{} was killed by signal {}{}", name, WTERMSIG(*status), suffix));
  } else if (WIFEXITED(*status)) {
    run.outcome = ProgramOutcome::exited;
    run.exit_status = WEXITSTATUS(*status);
    if (run.exit_status != 0) {
      run.error = fmt::format("{} exited with status {}{}", name, run.exit_status, suffix);
    }
  } else {
    fail(run, ProgramOutcome::failed, "cannot run " + name + ": it neither exited nor died");
  }
}

}  // namespace

ProgramRun run_program(const std::vector<std::string>& argv, const ProgramOptions& options) {
  ProgramRun run;
  const std::string name = argv.empty() ? std::string("(no program)") : argv.front();
  if (argv.empty()) {
    fail(run, ProgramOutcome::cannot_start, "cannot run a program: none was named");
    return run;
  }
  try {
    run_child(argv, options, run);
  } catch (const std::exception& e) {
    run = ProgramRun{};
    fail(run, ProgramOutcome::cannot_start, "cannot run " + name + ": " + e.what());
  } catch (...) {
    run = ProgramRun{};
    fail(run, ProgramOutcome::cannot_start, "cannot run " + name);
  }
  return run;
}

std::string first_line(std::string_view text) {
  const std::size_t start = text.find_first_not_of(" \t\r\n");
  if (start == std::string_view::npos) return {};
  text.remove_prefix(start);
  std::string_view line = text.substr(0, text.find_first_of("\r\n"));
  while (!line.empty() && (line.back() == ' ' || line.back() == '\t')) line.remove_suffix(1);
  return std::string(line);
}

std::string last_line(std::string_view text) {
  const std::size_t end = text.find_last_not_of(" \t\r\n");
  if (end == std::string_view::npos) return {};
  text = text.substr(0, end + 1);
  const std::size_t start = text.find_last_of("\r\n");
  std::string_view line = start == std::string_view::npos ? text : text.substr(start + 1);
  while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) line.remove_prefix(1);
  return std::string(line);
}

}  // namespace tiendo::util

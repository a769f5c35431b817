#include "support/child_process.hpp"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <string_view>
#include <thread>
#include <utility>

namespace tiendo::testing {

using namespace std::chrono_literals;
using SteadyClock = std::chrono::steady_clock;

namespace {

void close_fd(int& fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

int exit_status(int status) { return WIFEXITED(status) ? WEXITSTATUS(status) : -1; }

}  // namespace

ChildProcess::ChildProcess(const std::vector<std::string>& argv, ChildProcessOptions options) {
  if (argv.empty()) throw std::runtime_error("no program to run");
  int in[2] = {-1, -1};
  int out[2] = {-1, -1};
  int log_fd = -1;
  const auto close_all = [&] {
    for (int* fd : {&in[0], &in[1], &out[0], &out[1], &log_fd}) close_fd(*fd);
  };
  if (::pipe2(in, O_CLOEXEC) != 0 || (options.pipe_stdout && ::pipe2(out, O_CLOEXEC) != 0)) {
    close_all();
    throw std::runtime_error("pipe2 failed");
  }
  if (!options.log.empty()) {
    log_fd = ::open(options.log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (log_fd < 0) {
      close_all();
      throw std::runtime_error("cannot open " + options.log);
    }
  }
  // Built before fork: between fork and exec the child may only make async-signal-safe
  // calls (another thread may hold the allocator's lock).
  std::vector<char*> args;
  for (const std::string& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  std::vector<std::string> environment = options.environment;
  for (char** entry = environ; *entry; ++entry) {
    const std::string_view inherited(*entry);
    const std::string_view name = inherited.substr(0, inherited.find('=') + 1);
    const bool replaced =
        std::any_of(options.environment.begin(), options.environment.end(),
                    [&](const std::string& given) { return given.rfind(name, 0) == 0; });
    if (!replaced) environment.emplace_back(inherited);
  }
  std::vector<char*> envp;
  for (std::string& entry : environment) envp.push_back(entry.data());
  envp.push_back(nullptr);
  const pid_t parent = ::getpid();
  pid_ = ::fork();
  if (pid_ == 0) {
    // A test that crashes runs no destructor: its children must not outlive it. The
    // parent may have died before prctl took effect, hence the second check.
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (::getppid() != parent) ::_exit(127);
    ::dup2(in[0], STDIN_FILENO);
    if (out[1] >= 0) {
      ::dup2(out[1], STDOUT_FILENO);
    } else if (log_fd >= 0) {
      ::dup2(log_fd, STDOUT_FILENO);
    }
    if (log_fd >= 0) ::dup2(log_fd, STDERR_FILENO);
    ::execve(args[0], args.data(), envp.data());
    ::_exit(127);
  }
  if (pid_ < 0) {
    close_all();
    throw std::runtime_error("fork failed");
  }
  close_fd(in[0]);
  close_fd(out[1]);
  close_fd(log_fd);
  stdin_ = in[1];
  stdout_ = out[0];
}

ChildProcess::~ChildProcess() {
  close_fd(stdin_);
  terminate(5s);
  close_fd(stdout_);
}

std::optional<std::string> ChildProcess::read_line(std::chrono::milliseconds timeout) {
  const auto deadline = SteadyClock::now() + timeout;
  while (true) {
    if (const std::size_t newline = buffer_.find('\n'); newline != std::string::npos) {
      std::string line = buffer_.substr(0, newline);
      buffer_.erase(0, newline + 1);
      return line;
    }
    if (!fill(deadline)) return std::nullopt;
  }
}

std::optional<std::string> ChildProcess::read_bytes(std::size_t n,
                                                    std::chrono::milliseconds timeout) {
  const auto deadline = SteadyClock::now() + timeout;
  while (buffer_.size() < n) {
    if (!fill(deadline)) return std::nullopt;
  }
  std::string bytes = buffer_.substr(0, n);
  buffer_.erase(0, n);
  return bytes;
}

bool ChildProcess::write(std::string_view bytes) {
  std::size_t done = 0;
  while (done < bytes.size() && stdin_ >= 0) {
    const ssize_t n = ::write(stdin_, bytes.data() + done, bytes.size() - done);
    if (n > 0) {
      done += static_cast<std::size_t>(n);
    } else if (n < 0 && errno != EINTR) {
      return false;
    }
  }
  return done == bytes.size();
}

void ChildProcess::close_stdin() { close_fd(stdin_); }

std::optional<std::string> ChildProcess::read_all(std::chrono::milliseconds timeout) {
  const auto deadline = SteadyClock::now() + timeout;
  while (!eof_) {
    if (!fill(deadline) && !eof_) return std::nullopt;
  }
  return std::exchange(buffer_, {});
}

bool ChildProcess::running() {
  if (pid_ <= 0) return false;
  int status = 0;
  if (::waitpid(pid_, &status, WNOHANG) != pid_) return true;
  status_ = exit_status(status);
  pid_ = -1;
  return false;
}

int ChildProcess::finish(std::chrono::milliseconds timeout) {
  close_fd(stdin_);
  return wait(timeout);
}

int ChildProcess::terminate(std::chrono::milliseconds timeout) {
  if (pid_ > 0) ::kill(pid_, SIGTERM);
  return wait(timeout);
}

bool ChildProcess::send(int signal) {
  if (!running()) return false;
  return ::kill(pid_, signal) == 0;
}

int ChildProcess::wait_exit(std::chrono::milliseconds timeout) {
  const auto deadline = SteadyClock::now() + timeout;
  while (running()) {
    if (SteadyClock::now() >= deadline) return -2;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return status_;
}

int ChildProcess::wait(std::chrono::milliseconds timeout) {
  if (pid_ <= 0) return status_;
  const auto deadline = SteadyClock::now() + timeout;
  int status = 0;
  while (true) {
    const pid_t done = ::waitpid(pid_, &status, WNOHANG);
    if (done == pid_) {
      status_ = exit_status(status);
      break;
    }
    if (done < 0 || SteadyClock::now() >= deadline) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, &status, 0);
      status_ = -1;
      break;
    }
    std::this_thread::sleep_for(10ms);
  }
  pid_ = -1;
  return status_;
}

// Reads what is available before the deadline; false when nothing came.
bool ChildProcess::fill(SteadyClock::time_point deadline) {
  if (eof_ || stdout_ < 0) return false;
  while (true) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - SteadyClock::now());
    if (left <= 0ms) return false;
    pollfd poll_fd{stdout_, POLLIN, 0};
    const int ready = ::poll(&poll_fd, 1, static_cast<int>(left.count()));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) return false;
    break;
  }
  char chunk[65536];
  const ssize_t n = ::read(stdout_, chunk, sizeof chunk);
  if (n <= 0) {
    eof_ = true;
    return false;
  }
  buffer_.append(chunk, static_cast<std::size_t>(n));
  return true;
}

SmtpSink::SmtpSink(SmtpSinkOptions options) {
  if (options.directory.empty()) {
    own_directory_.emplace();
    directory_ = own_directory_->path();
  } else {
    directory_ = options.directory;
    std::filesystem::create_directories(directory_);
  }
  const std::string script = options.script.empty()
                                 ? std::string(TIENDO_SOURCE_DIR) + "/tests/notify/smtp_sink.py"
                                 : options.script;
  std::vector<std::string> argv = {
      "/usr/bin/python3", script,      "--out",
      directory_,         "--timeout", std::to_string(options.lifetime.count())};
  argv.insert(argv.end(), options.extra_args.begin(), options.extra_args.end());
  child_.emplace(argv);
  // aiosmtpd takes a moment to start; a slow machine, with other tests running, more.
  if (const auto line = child_->read_line(30s)) port_ = std::atoi(line->c_str());
}

SmtpSink::~SmtpSink() { stop(); }

std::vector<std::string> SmtpSink::files() const {
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(directory_)) {
    // smtp_sink.py writes each message under a dot name first, then renames it.
    if (!entry.path().filename().string().starts_with(".")) names.push_back(entry.path().string());
  }
  // The names are numbered in the order received.
  std::sort(names.begin(), names.end());
  return names;
}

int SmtpSink::stop() { return child_ ? child_->finish(10s) : -1; }

std::string crlf(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\r' && i + 1 < text.size() && text[i + 1] == '\n') continue;
    if (text[i] == '\n' || text[i] == '\r') {
      out += "\r\n";
    } else {
      out += text[i];
    }
  }
  return out;
}

}  // namespace tiendo::testing

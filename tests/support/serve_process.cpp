#include "support/serve_process.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <regex>
#include <stdexcept>
#include <thread>

#include "service/tokens.hpp"
#include "support/temp_dir.hpp"
#include "support/test_store.hpp"

namespace tiendo::testing {

namespace {

std::string toml_string(const std::string& text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

}  // namespace

std::string catch_up_schedule() {
  // Asia/Ho_Chi_Minh is UTC+7 all year round.
  const auto now = std::chrono::system_clock::now();
  const auto hour =
      std::chrono::floor<std::chrono::hours>(now - std::chrono::floor<std::chrono::days>(now));
  return fmt::format("0 {} * * *", (hour.count() + 7 + 12) % 24);
}

ServeProcess::ServeProcess(ServeSetup setup, std::chrono::milliseconds timeout)
    : setup_(std::move(setup)) {
  if (setup_.database.empty()) setup_.database = test_store(setup_.directory, "tiendo.db");
  if (setup_.rules.empty()) setup_.rules.push_back(std::string(TIENDO_SOURCE_DIR) + "/rules");
  const std::string tokens = setup_.directory + "/tokens";
  write_text(
      tokens,
      fmt::format("# id scope hash\nreader read {}\nwriter write {}\nops admin {}\n"
                  "author rules {}\n",
                  service::token_hash_text(kReadToken), service::token_hash_text(kWriteToken),
                  service::token_hash_text(kAdminToken), service::token_hash_text(kRulesToken)));
  std::string rules;
  for (const std::string& r : setup_.rules) rules += (rules.empty() ? "" : ", ") + toml_string(r);
  config_ = setup_.directory + "/tiendo.toml";
  write_text(config_,
             fmt::format("listen = \"127.0.0.1:0\"\ndatabase = {}\nrules = [{}]\ntokens = {}\n{}\n"
                         "[schedule]\ncron = {}\ntime_zone = \"Asia/Ho_Chi_Minh\"\n{}\n"
                         "[delivery]\nretry_initial = \"1s\"\nretry_max = \"2s\"\n"
                         "connect_timeout = \"2s\"\ntimeout = \"5s\"\n{}\n{}\n",
                         toml_string(setup_.database), rules, toml_string(tokens), setup_.top_level,
                         toml_string(setup_.schedule), setup_.schedule_lines, setup_.delivery,
                         setup_.tables));
  log_path_ = setup_.directory + "/serve.log";
  std::vector<std::string> argv = {setup_.binary, "serve", "--config", config_};
  argv.insert(argv.end(), setup_.arguments.begin(), setup_.arguments.end());
  process_ = std::make_unique<ChildProcess>(
      argv, ChildProcessOptions{
                .pipe_stdout = false, .log = log_path_, .environment = setup_.environment});

  // "listening address=127.0.0.1:40123" or {"msg":"listening","address":"127.0.0.1:40123"}
  const std::regex listening(R"(listening.*127\.0\.0\.1:([0-9]+))");
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    std::smatch m;
    const std::string text = log();
    if (std::regex_search(text, m, listening)) {
      port_ = std::stoi(m[1]);
      return;
    }
    if (!process_->running()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  throw std::runtime_error("tiendo serve did not start; its log:\n" + log());
}

ServeProcess::~ServeProcess() {
  if (process_) process_->terminate(std::chrono::seconds(15));
}

std::string ServeProcess::log() const { return read_text(log_path_); }

bool ServeProcess::wait_for_log(std::string_view needle, std::chrono::milliseconds timeout,
                                std::size_t from) const {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  do {
    const std::string text = log();
    if (text.size() > from && text.find(needle, from) != std::string::npos) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  } while (std::chrono::steady_clock::now() < deadline);
  return false;
}

bool ServeProcess::wait_for_log_times(std::string_view needle, int times,
                                      std::chrono::milliseconds timeout) const {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::size_t from = 0;
  for (int seen = 0; seen < times; ++seen) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (!wait_for_log(needle, std::max(left, std::chrono::milliseconds(0)), from)) return false;
    from = log().find(needle, from) + needle.size();
  }
  return true;
}

}  // namespace tiendo::testing

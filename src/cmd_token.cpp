// `tiendo token new|hash|check`: bearer tokens for the HTTP API of `tiendo serve`. A token
// is shown once, when it is made; the tokens file keeps only its SHA-256.
#include <termios.h>
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "commands.hpp"
#include "service/tokens.hpp"

namespace tiendo::cli {

namespace {

struct TokenOptions {
  std::string id;
  std::string scope;
  std::string tokens;
};

const std::vector<std::string> kScopes = {"read", "write", "rules", "admin"};

// True when the tokens file would accept `id`. The file's own parser judges it, so the
// command and the file cannot disagree about what an id is.
bool is_valid_id(const std::string& id) {
  if (id.find_first_of(" \t\r\n") != std::string::npos) return false;
  std::vector<service::ConfigError> errors;
  const auto table =
      service::TokenTable::parse(id + " read sha256:" + std::string(64, '0'), "--id", errors);
  return table && table->size() == 1;
}

bool check_id(std::string_view command, const std::string& id) {
  if (is_valid_id(id)) return true;
  std::fprintf(stderr,
               "tiendo token %.*s: --id: '%s' is not a token id: write 1 to 64 letters A-Z a-z, "
               "digits, '.', '_' or '-', not beginning with tdo_\n",
               static_cast<int>(command.size()), command.data(), id.c_str());
  return false;
}

std::string file_line(const std::string& id, const std::string& scope, const std::string& hash) {
  return id + " " + scope + " " + hash;
}

int token_new(const TokenOptions& o) {
  if (!check_id("new", o.id)) return 2;
  const std::string token = service::generate_token();
  if (token.empty()) {
    std::fprintf(stderr, "tiendo token new: the system's random source failed; no token made\n");
    return 1;
  }
  std::printf("%s\n%s\n", token.c_str(),
              file_line(o.id, o.scope, service::token_hash_text(token)).c_str());
  std::fprintf(stderr,
               "tiendo token new: the first line is the token, shown this once: give it to its "
               "client. Append the second line, which holds only its hash, to the tokens file.\n");
  return 0;
}

// One line of standard input; on a terminal the token is asked for and not echoed.
std::optional<std::string> read_token_line(std::string& error) {
  const bool terminal = ::isatty(STDIN_FILENO) == 1;
  termios saved{};
  const bool hidden = terminal && ::tcgetattr(STDIN_FILENO, &saved) == 0;
  if (terminal) std::fputs("token (not shown): ", stderr);
  if (hidden) {
    termios quiet = saved;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
  }
  std::string line;
  const bool got = static_cast<bool>(std::getline(std::cin, line));
  if (hidden) ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
  if (terminal) std::fputs("\n", stderr);
  if (!got && std::cin.bad()) {
    error = "cannot read standard input";
    return std::nullopt;
  }
  if (!line.empty() && line.back() == '\r') line.pop_back();
  if (!terminal) {
    // More than the one line is a mistake (two tokens, a whole file): refuse to guess.
    std::string rest(std::istreambuf_iterator<char>(std::cin), {});
    if (rest.find_first_not_of(" \t\r\n") != std::string::npos) {
      error = "standard input holds more than one line; give one token";
      return std::nullopt;
    }
  }
  return line;
}

int token_hash(const TokenOptions& o) {
  if (!check_id("hash", o.id)) return 2;
  std::string error;
  const auto token = read_token_line(error);
  if (!token) {
    std::fprintf(stderr, "tiendo token hash: %s\n", error.c_str());
    return 2;
  }
  if (token->empty()) {
    std::fprintf(stderr, "tiendo token hash: no token on standard input\n");
    return 2;
  }
  // An HTTP server trims the Authorization header, so such a token could never match.
  if (token->front() == ' ' || token->front() == '\t' || token->back() == ' ' ||
      token->back() == '\t') {
    std::fprintf(stderr,
                 "tiendo token hash: the token on standard input begins or ends with a space or "
                 "tab; a token has none\n");
    return 2;
  }
  const std::string hash = service::token_hash_text(*token);
  if (hash.empty()) {
    std::fprintf(stderr, "tiendo token hash: OpenSSL could not hash the token\n");
    return 1;
  }
  std::printf("%s\n", file_line(o.id, o.scope, hash).c_str());
  return 0;
}

int token_check(const TokenOptions& o) {
  std::vector<service::ConfigError> errors;
  const auto table = service::TokenTable::load(o.tokens, errors);
  if (!table) {
    for (const auto& e : errors) std::fprintf(stderr, "%s\n", e.render().c_str());
    return 1;
  }
  std::printf("%s: %zu token%s\n", o.tokens.c_str(), table->size(), table->size() == 1 ? "" : "s");
  return 0;
}

}  // namespace

Action add_token_command(CLI::App& app) {
  auto o = std::make_shared<TokenOptions>();
  auto action = std::make_shared<Action>();
  CLI::App* command = app.add_subcommand(
      "token", "Make bearer tokens for the HTTP API and check the tokens file (hashes only)");
  command->require_subcommand(1);

  CLI::App* create = command->add_subcommand(
      "new", "Make a token: print it once, then the line (its hash) for the tokens file");
  create->add_option("--id", o->id, "Who will use it, as the request log names it")->required();
  create
      ->add_option(
          "--scope", o->scope,
          "read, write, rules or admin (write and rules each include read; admin includes all)")
      ->required()
      ->check(CLI::IsMember(kScopes));
  create->callback([o, action] { *action = [o] { return token_new(*o); }; });

  CLI::App* hash = command->add_subcommand(
      "hash", "Read a token on standard input and print its line for the tokens file");
  hash->add_option("--id", o->id, "Who uses it, as the request log names it")->required();
  hash->add_option("--scope", o->scope, "read, write, rules or admin")
      ->required()
      ->check(CLI::IsMember(kScopes));
  hash->callback([o, action] { *action = [o] { return token_hash(*o); }; });

  CLI::App* check = command->add_subcommand("check", "Check a tokens file");
  check->add_option("--tokens", o->tokens, "The tokens file")->required();
  check->callback([o, action] { *action = [o] { return token_check(*o); }; });

  return [action] { return *action ? (*action)() : 2; };
}

}  // namespace tiendo::cli

// The language server's latency on a large rules file: `tiendo lsp`'s Server driven in
// process (no pipes), as an editor drives it. Opens a generated rule set (bench_parse's
// generator), then types: each keystroke inserts one character into a rule's title in the
// middle of the file and sends its range (the server asks for incremental sync, as VS
// Code then does); the time is from the change, as received, to its diagnostics being
// ready: the declaration it changed parsed again (dsl::ParseCache), the whole rule set
// checked, the diagnostics written. Also a completion and a hover.
//
//   bench_lsp [--rules N] [--keystrokes K] [--seed S]     (defaults: 10000, 20, 20221231)
//
// Prints the text's size and the median, p95 and max per keystroke (the goal of the
// authoring issue: under 100 ms for 10,000 rules). Figures only, never pass/fail.

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "common.hpp"
#include "generate.hpp"
#include "lsp/server.hpp"

namespace {

using Clock = std::chrono::steady_clock;
using json = nlohmann::json;

double ms(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

// The time `server` takes to handle `message` (as received: its text), plus its
// diagnostics when `publish`.
double timed(tiendo::lsp::Server& server, const json& message, bool publish, std::size_t& sent) {
  const std::string body = message.dump();
  const auto start = Clock::now();
  server.handle(body);
  if (publish) server.publish_pending();
  const double took = ms(Clock::now() - start);
  sent = server.take_output().size();
  return took;
}

}  // namespace

int main(int argc, char** argv) {
  std::size_t rules = 10000;
  std::size_t keystrokes = 20;
  std::uint64_t seed = 20221231;
  CLI::App app{"bench_lsp: the language server's latency per keystroke on a large file"};
  app.add_option("--rules", rules, "Rules to generate")->check(CLI::Range(1, 1000000000));
  app.add_option("--keystrokes", keystrokes, "Keystrokes timed")->check(CLI::Range(1, 100000));
  app.add_option("--seed", seed, "Generator seed");
  CLI11_PARSE(app, argc, argv);

  std::string text = tiendo::bench::generate_rule_set({.rules = rules, .seed = seed});
  const std::string uri = "file:///bench/generated.rules";
  tiendo::lsp::keep_freed_memory();  // as `tiendo lsp` does
  tiendo::lsp::Server server;
  std::size_t sent = 0;
  timed(server,
        {{"jsonrpc", "2.0"}, {"id", 1}, {"method", "initialize"}, {"params", json::object()}},
        false, sent);
  const double open =
      timed(server,
            {{"jsonrpc", "2.0"},
             {"method", "textDocument/didOpen"},
             {"params",
              {{"textDocument",
                {{"uri", uri}, {"languageId", "tiendo"}, {"version", 1}, {"text", text}}}}}},
            true, sent);
  std::printf("rules file: %zu rules, %.2f MB\n", rules, static_cast<double>(text.size()) / 1e6);
  std::printf("open (load, check, diagnostics): %.1f ms\n", open);

  // Type into the title of the rule in the middle of the file.
  const std::size_t middle = text.find("title \"", text.find("rule ", text.size() / 2));
  if (middle == std::string::npos) {
    std::fprintf(stderr, "bench_lsp: the generated text has no rule title in its second half\n");
    return 1;
  }
  // The editor sends the keystroke's range (the server asks for incremental sync); the
  // title's line holds ASCII only before the insertion point, so its column is its bytes.
  const std::size_t line_of_middle = static_cast<std::size_t>(
      std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(middle), '\n'));
  const std::size_t column = middle + 7 - (text.rfind('\n', middle) + 1);
  std::vector<double> times;
  for (std::size_t k = 0; k < keystrokes; ++k) {
    const json at = {{"line", line_of_middle}, {"character", column}};
    times.push_back(
        timed(server,
              {{"jsonrpc", "2.0"},
               {"method", "textDocument/didChange"},
               {"params",
                {{"textDocument", {{"uri", uri}, {"version", 2 + k}}},
                 {"contentChanges",
                  json::array({{{"range", {{"start", at}, {"end", at}}},
                                {"text", std::string(1, static_cast<char>('a' + k % 26))}}})}}}},
              true, sent));
    if (sent != 1) {
      std::fprintf(stderr, "bench_lsp: a keystroke published %zu messages, not 1\n", sent);
      return 1;
    }
  }
  std::sort(times.begin(), times.end());
  const auto at = [&](double q) {
    return times[std::min(times.size() - 1,
                          static_cast<std::size_t>(q * static_cast<double>(times.size())))];
  };
  std::printf(
      "keystroke -> diagnostics (%zu, each its range): median %.1f ms, p95 %.1f ms, max %.1f ms "
      "(goal: under 100 ms)\n",
      times.size(), at(0.5), at(0.95), times.back());
  // Requests on the analysis the last keystroke left.
  const json position = {{"line", line_of_middle}, {"character", 2}};
  const double complete =
      timed(server,
            {{"jsonrpc", "2.0"},
             {"id", 2},
             {"method", "textDocument/completion"},
             {"params", {{"textDocument", {{"uri", uri}}}, {"position", position}}}},
            false, sent);
  const double hover =
      timed(server,
            {{"jsonrpc", "2.0"},
             {"id", 3},
             {"method", "textDocument/hover"},
             {"params", {{"textDocument", {{"uri", uri}}}, {"position", position}}}},
            false, sent);
  std::printf("completion: %.1f ms; hover: %.1f ms\n", complete, hover);
  std::printf("peak memory: %.0f MB\n", tiendo::bench::peak_rss_mb());
  return 0;
}

#include "check_target.hpp"

#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "dsl/check.hpp"
#include "dsl/diagnostic.hpp"
#include "dsl/parse.hpp"

namespace {

// An abort, not an exception: libFuzzer and the replay both treat it as a crash and
// keep the input, whereas the front end is allowed to throw nothing at all.
[[noreturn]] void broken_promise(const char* what) {
  std::fprintf(stderr, "tiendo_fuzz_check: %s\n", what);
  std::abort();
}

}  // namespace

int tiendo_fuzz_check(const std::uint8_t* data, std::size_t size) {
  namespace dsl = tiendo::dsl;

  // The reader is the only way the loader reads files; refusing here keeps the input
  // self-contained and every run reproducible from its bytes alone.
  dsl::LoadOptions options;
  options.reader = [](const std::string&, std::string& error) -> std::optional<std::string> {
    error = "includes are not read while fuzzing";
    return std::nullopt;
  };

  std::string text(reinterpret_cast<const char*>(data), size);
  dsl::Program program = dsl::load_text("fuzz.rules", std::move(text), options);
  const std::optional<tiendo::model::RuleSet> rule_set = dsl::check(program);

  const dsl::Diagnostics& diagnostics = program.diagnostics;
  if (rule_set.has_value() == diagnostics.has_errors()) {
    broken_promise("check() must return a rule set exactly when there is no error");
  }

  // Rendering is where byte offsets become lines, columns and caret padding, so every
  // diagnostic goes through it, with and without colour.
  for (const dsl::Diagnostic& diagnostic : diagnostics.all()) {
    for (const bool color : {false, true}) {
      const std::string rendered = dsl::render(diagnostic, program.sources, {color});
      if (rendered.empty() || rendered.back() != '\n') {
        broken_promise("render() must end with a newline");
      }
    }
  }
  const std::string json = dsl::to_json(diagnostics, program.sources);
  const nlohmann::json parsed = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (!parsed.is_array() || parsed.size() != diagnostics.all().size()) {
    broken_promise("to_json() must be a JSON array with one object per diagnostic");
  }
  return 0;
}

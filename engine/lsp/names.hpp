// The names of a rule set as an editor needs them: where each is declared (a block, a
// level, a test) and where it is written. Names share one namespace across kinds (the
// checker refuses a name declared twice), so every identifier with a declared name's
// text refers to it; identifiers are found by a scan that skips comments, strings and
// numbers, so that a file with syntax errors still has its names.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dsl/parse.hpp"

namespace tiendo::lsp {

struct Span {
  std::uint32_t file = 0;  // index into the program's SourceSet
  std::uint32_t begin = 0;
  std::uint32_t end = 0;
};

struct Declared {
  std::string name;
  std::string kind;  // indicator, plan, task, channel, rule, set, level, test
  Span name_span;
  Span block;  // the whole declaration (for a level: its `levels` line)
};

// Every declaration of `program`, in file and source order.
std::vector<Declared> declarations(const dsl::Program& program);

// The identifiers of `text` (ASCII names, as the grammar reads them), outside comments,
// strings and numbers.
std::vector<std::pair<std::uint32_t, std::uint32_t>> identifiers(std::string_view text);

// The identifier that covers byte `offset` of `text`, or ends right at it (the cursor
// just after a name).
std::optional<std::pair<std::uint32_t, std::uint32_t>> identifier_at(std::string_view text,
                                                                     std::uint32_t offset);

// Whether `name` may be declared: the grammar's form, not a reserved word.
bool valid_name(std::string_view name);

}  // namespace tiendo::lsp

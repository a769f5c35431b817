// Diagnostics: what the parser and the checker say about a rules file, located in it.
// Rendering follows one format everywhere: `file:line:col: error: message [E012]`, then
// the source line and a caret under the offending character.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "dsl/source.hpp"

namespace tiendo::dsl {

enum class Severity { error, warning, note };

// Stable diagnostic codes. Their numbers never change once released; docs/language.md
// lists each with an example.
enum class Code : std::uint16_t {
  syntax = 1,                  // E001 syntax: the grammar expected something else
  invalid_utf8 = 2,            // E002
  file_too_large = 3,          // E003
  nesting_too_deep = 4,        // E004
  name_too_long = 5,           // E005
  string_too_long = 6,         // E006
  unreadable_file = 7,         // E007
  include_cycle = 8,           // E008
  reserved_name = 9,           // E009
  duplicate_declaration = 10,  // E010
  undefined_name = 11,         // E011
  unknown_clause = 12,         // E012
  duplicate_clause = 13,       // E013
  missing_clause = 14,         // E014
  invalid_date = 15,           // E015
  invalid_duration = 16,       // E016
  unit_mismatch = 17,          // E017
  wrong_arguments = 18,        // E018
  invalid_value = 19,          // E019
  graph_cycle = 20,            // E020
  level_order = 21,            // E021
  invalid_number = 22,         // E022
  unknown_placeholder = 23,    // E023
  unknown_function = 24,       // E024
  too_many_errors = 25,        // E025
  after_due_later = 101,       // W101 a task comes after a task that is due later
  unused_clause = 103,         // W103 a clause that has no effect where it stands
  starts_after_due = 104,      // W104 a task starts after its due date
  invalid_row_number = 105,    // W105 a rule's `label stt` is not a row number
  duplicate_row_number = 106,  // W106 two rules of one report group with one `stt`
  missing_group = 107,         // W107 a rule without `label group` where others have one
  misspelt_label = 108,        // W108 a rule's label name one letter off `group` or `stt`
};

// "E011", or "W101" for warnings.
std::string code_id(Code code);
// "undefined-name"
std::string_view code_name(Code code);

struct Location {
  std::uint32_t file = 0;
  std::uint32_t offset = 0;
  bool known = true;  // false for diagnostics about a whole input (e.g. a missing file)
};

struct Diagnostic {
  Severity severity = Severity::error;
  Code code = Code::syntax;
  Location location;
  std::string message;
  std::vector<Diagnostic> notes;  // "first declared here", each with its own location
};

// An ordered list of diagnostics with counters.
class Diagnostics {
 public:
  Diagnostic& error(Code code, Location at, std::string message);
  Diagnostic& warning(Code code, Location at, std::string message);
  void add(Diagnostic diagnostic);
  void append(const Diagnostics& other);

  const std::vector<Diagnostic>& all() const { return items_; }
  std::size_t error_count() const { return errors_; }
  std::size_t warning_count() const { return warnings_; }
  bool has_errors() const { return errors_ > 0; }
  bool empty() const { return items_.empty(); }

  // Orders by file, then offset; keeps the relative order of equal positions.
  void sort();

 private:
  std::vector<Diagnostic> items_;
  std::size_t errors_ = 0;
  std::size_t warnings_ = 0;
};

struct RenderOptions {
  bool color = false;
};

// `file:line:col: error: message [E011]`, the source line and a caret line (and each
// note the same way). Ends with a newline.
std::string render(const Diagnostic& diagnostic, const SourceSet& sources,
                   RenderOptions options = {});

// A JSON array of objects {file, line, column, severity, code, name, message, notes}.
std::string to_json(const Diagnostics& diagnostics, const SourceSet& sources);

}  // namespace tiendo::dsl

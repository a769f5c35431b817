#include "dsl/keywords.hpp"

namespace tiendo::dsl {

const std::vector<std::string>& reserved_words() {
  static const std::vector<std::string> words = {
      // declarations
      "levels", "indicator", "plan", "task", "channel", "rule", "test", "include", "set",
      // clauses
      "title", "unit", "owner", "stale", "after", "code", "issued", "implements", "part_of", "due",
      "starts", "duration", "email", "webhook", "secret", "env", "format", "alertmanager",
      "send_resolved", "require", "needs", "severity", "warn", "within", "for", "repeat", "every",
      "notify", "message", "label", "range", "units", "level", "basis", "amend", "language",
      // expressions and tests
      "by", "from", "each", "between", "and", "in", "at", "observe", "status", "expect", "true",
      "false",
      // functions
      "latest", "sum", "avg", "min", "max", "count", "share", "ratio", "change", "done"};
  return words;
}

}  // namespace tiendo::dsl

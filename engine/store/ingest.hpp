// Ingest: CSV and JSON inputs (units, observations, task statuses) into the store, as
// one transaction per input set. Every bad row is reported with its input and line;
// then nothing is written, unless `skip_bad` asks to write the good rows. A row is bad
// when a field holds a control character other than tab (and, in a note, line breaks),
// as well as for what each kind requires (docs/ingest.md).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "model/rule_set.hpp"
#include "store/database.hpp"
#include "store/values.hpp"

namespace tiendo::store {

struct IngestInput {
  std::string name;  // shown in messages: the path, or "<stdin>"
  std::string text;
};

// Which kinds of input an ingest takes; the API's endpoints each take one, and the
// command line takes only units without a rule set to check the rest against.
enum class InputKinds { any, observations, statuses, units };

struct IngestOptions {
  NumberOptions numbers;
  // An input of another kind is an error (nothing is written), named with its header.
  InputKinds accept = InputKinds::any;
  bool skip_bad = false;
  // With a rule set, indicator, task and level names are checked against it, each
  // indicator's unit decides how its values read and its range (Indicator::range) which
  // values are taken; without one, any name goes, a value is a percent when it carries %
  // or is a fraction, and no range is checked.
  const model::RuleSet* rules = nullptr;
  std::string now;  // the ingestion time stamp, ISO 8601 (the caller's clock)
  std::size_t max_reported_errors = 100;
  // Called now and then with the rows read so far and the bytes of all inputs done.
  std::function<void(std::size_t rows, std::size_t bytes_done, std::size_t bytes_total)> progress;
};

struct RowError {
  std::string input;
  std::uint32_t line = 0;  // 0: about the whole input
  std::string message;
};

struct IngestSummary {
  std::size_t rows = 0;  // data rows read, good and bad
  std::size_t units_written = 0;
  std::size_t units_unchanged = 0;
  std::size_t observations_added = 0;  // new observations and new revisions
  std::size_t observations_unchanged = 0;
  std::size_t statuses_added = 0;
  std::size_t statuses_unchanged = 0;
  std::vector<RowError> errors;  // the first max_reported_errors
  std::size_t error_count = 0;
  bool committed = false;  // false when bad rows stopped the write
};

// Validates and writes `inputs` as one transaction. A database failure is a DbError
// (and nothing is written); bad input is reported in the summary.
DbResult<IngestSummary> ingest(Database& db, const std::vector<IngestInput>& inputs,
                               const IngestOptions& options);

// One stored revision of an observation, for `tiendo history`.
struct ObservationRevision {
  std::string indicator;
  std::string unit;
  std::string period_start;
  std::string period_end;
  double value = 0;
  std::optional<double> numerator;
  std::optional<double> denominator;
  std::string source;
  std::string note;
  bool estimate = false;  // "khoảng 83,5%", or the estimate column
  std::string input;
  std::int64_t input_line = 0;
  std::int64_t revision = 0;
  std::string ingested_at;
};

// Every revision of `indicator` (at `unit`, or at every unit when empty), by unit,
// period and revision.
DbResult<std::vector<ObservationRevision>> history(Database& db, const std::string& indicator,
                                                   const std::string& unit);

}  // namespace tiendo::store

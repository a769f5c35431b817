// The repository's example: the Đồng Nai rule set (rules/) with the data of examples/
// ingested and evaluated, as `tiendo run --at DATE` would see it. For the tests that need
// real results without running the binary.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "eval/evaluate.hpp"
#include "model/rule_set.hpp"
#include "store/database.hpp"
#include "store/snapshot.hpp"

namespace tiendo::testing {

struct ExampleEvaluation {
  model::RuleSet rules;
  store::Snapshot snapshot;
  eval::Results results;
};

// Loads rules/, ingests examples/ into `db` (a private in-memory database when null) and
// evaluates at `at` (YYYY-MM-DD). Null, with `error` saying why, on any failure.
std::unique_ptr<ExampleEvaluation> evaluate_example(std::string_view at, std::string& error,
                                                    store::Database* db = nullptr);

}  // namespace tiendo::testing

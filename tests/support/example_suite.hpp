// A test suite on the repository's example (example_data.hpp) evaluated at 2022-09-30,
// loaded once per suite; each test fails with the reason when it does not load.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "support/example_data.hpp"

namespace tiendo::testing {

class ExampleSuite : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    load_error_.clear();
    example_ = evaluate_example("2022-09-30", load_error_);
  }
  static void TearDownTestSuite() { example_.reset(); }
  void SetUp() override {
    ASSERT_NE(example_, nullptr) << "the example does not load: " << load_error_;
  }

  const model::RuleSet& rules() const { return example_->rules; }
  const store::Snapshot& snapshot() const { return example_->snapshot; }
  const eval::Results& results() const { return example_->results; }

 private:
  inline static std::unique_ptr<ExampleEvaluation> example_;
  inline static std::string load_error_;
};

}  // namespace tiendo::testing

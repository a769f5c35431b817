#include "util/result.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>
#include <variant>

namespace {

struct Failure {
  std::string message;
};
template <typename T>
using Result = std::variant<T, Failure>;

int calls = 0;

Result<int> parse_positive(int n) {
  ++calls;
  if (n <= 0) return Failure{"not positive: " + std::to_string(n)};
  return n;
}

Result<std::unique_ptr<int>> boxed(int n) {
  TIENDO_ASSIGN_OR_RETURN(const int value, parse_positive(n));
  return std::make_unique<int>(value);
}

Result<int> doubled_into(int n, int& out) {
  TIENDO_ASSIGN_OR_RETURN(out, parse_positive(n));
  out *= 2;
  return out;
}

std::optional<Failure> check(int n) {
  if (n > 10) return Failure{"too large"};
  return std::nullopt;
}

std::optional<Failure> both(int a, int b) {
  TIENDO_RETURN_IF_ERROR(check(a));
  TIENDO_RETURN_IF_ERROR(check(b));
  return std::nullopt;
}

std::string describe(int n) {
  TIENDO_ASSIGN_OR_ELSE(auto box, boxed(n), [](const Failure& f) { return "error: " + f.message; });
  return "value " + std::to_string(*box);
}

TEST(ResultMacros, AssignOrReturnMovesTheValueOutAndHandsTheErrorUp) {
  auto ok = boxed(3);
  ASSERT_EQ(ok.index(), 0u);
  EXPECT_EQ(*std::get<0>(ok), 3);
  auto bad = boxed(-2);
  ASSERT_EQ(bad.index(), 1u);
  EXPECT_EQ(std::get<1>(bad).message, "not positive: -2");
}

TEST(ResultMacros, AssignOrReturnAssignsAnExistingVariableOnlyOnSuccess) {
  int out = 7;
  EXPECT_EQ(std::get<0>(doubled_into(4, out)), 8);
  EXPECT_EQ(out, 8);
  out = 7;
  EXPECT_EQ(doubled_into(0, out).index(), 1u);
  EXPECT_EQ(out, 7);
}

TEST(ResultMacros, EachExpressionIsEvaluatedOnce) {
  calls = 0;
  (void)boxed(5);
  (void)boxed(-5);
  EXPECT_EQ(calls, 2);
}

TEST(ResultMacros, ReturnIfErrorStopsAtTheFirstError) {
  EXPECT_FALSE(both(1, 2).has_value());
  ASSERT_TRUE(both(11, 2).has_value());
  EXPECT_EQ(both(1, 12)->message, "too large");
}

TEST(ResultMacros, AssignOrElseReturnsWhatTheHandlerMakesOfTheError) {
  EXPECT_EQ(describe(9), "value 9");
  EXPECT_EQ(describe(0), "error: not positive: 0");
}

}  // namespace

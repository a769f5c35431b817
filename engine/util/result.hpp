// Errors as values without the boilerplate. The library returns `std::variant<T, E>`
// (store::DbResult<T>: the value first, the error second) or `std::optional<E>` (an error
// or nothing); these macros unwrap one and hand the error up, the way Abseil-using code
// writes ASSIGN_OR_RETURN and RETURN_IF_ERROR:
//
//   TIENDO_ASSIGN_OR_RETURN(auto rows, load_alerts(db));     // rows is the T, moved out
//   TIENDO_ASSIGN_OR_RETURN(page.total, count_alerts(db));   // assigns an existing lvalue
//   TIENDO_RETURN_IF_ERROR(tx.commit());                     // std::optional<E>
//   TIENDO_ASSIGN_OR_ELSE(auto lease, pool.acquire(), db_failure);  // returns db_failure(e)
//
// The enclosing function's return type must be constructible from the error (DbResult<U>,
// std::optional<DbError>), or from what the handler returns. Macros, because only a macro
// can return from the function that uses it; each evaluates its expression once.
#pragma once

#include <optional>
#include <type_traits>
#include <utility>
#include <variant>

namespace tiendo::util::detail {

template <typename R>
struct ResultTraits;

// Only a two-alternative variant, value first: an error type in first place would be
// unwrapped as the value without a word.
template <typename T, typename E>
struct ResultTraits<std::variant<T, E>> {
  static_assert(!std::is_same_v<T, E>, "a result's value and error types must differ");
};

template <typename R>
inline constexpr bool kIsResult = requires {
  sizeof(ResultTraits<std::remove_cvref_t<R>>);
};

}  // namespace tiendo::util::detail

#define TIENDO_RESULT_CONCAT_INNER(a, b) a##b
#define TIENDO_RESULT_CONCAT(a, b) TIENDO_RESULT_CONCAT_INNER(a, b)

#define TIENDO_ASSIGN_OR_RETURN(lhs, expr) \
  TIENDO_ASSIGN_OR_RETURN_IMPL(TIENDO_RESULT_CONCAT(tiendo_result_, __LINE__), lhs, expr)

#define TIENDO_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr)                           \
  auto tmp = (expr);                                                           \
  static_assert(::tiendo::util::detail::kIsResult<decltype(tmp)>,              \
                "TIENDO_ASSIGN_OR_RETURN needs a std::variant<value, error>"); \
  if (tmp.index() == 1) return std::get<1>(std::move(tmp));                    \
  lhs = std::get<0>(std::move(tmp))

#define TIENDO_ASSIGN_OR_ELSE(lhs, expr, handler) \
  TIENDO_ASSIGN_OR_ELSE_IMPL(TIENDO_RESULT_CONCAT(tiendo_result_, __LINE__), lhs, expr, handler)

#define TIENDO_ASSIGN_OR_ELSE_IMPL(tmp, lhs, expr, handler)                  \
  auto tmp = (expr);                                                         \
  static_assert(::tiendo::util::detail::kIsResult<decltype(tmp)>,            \
                "TIENDO_ASSIGN_OR_ELSE needs a std::variant<value, error>"); \
  if (tmp.index() == 1) return (handler)(std::get<1>(std::move(tmp)));       \
  lhs = std::get<0>(std::move(tmp))

#define TIENDO_RETURN_IF_ERROR(expr)                                   \
  do {                                                                 \
    if (auto tiendo_error_ = (expr)) return std::move(*tiendo_error_); \
  } while (false)

// Early return on error for Status and Result<T> (base/result.h).
#pragma once

#include <expected>
#include <utility>

#include "base/result.h"

// Abseil's names. RETURN_IF_ERROR(expr): when the Status or Result `expr` holds an error,
// returns it from the enclosing function (which returns a Status or any Result<T>).
// ASSIGN_OR_RETURN(lhs, expr): the same for a Result<T>, else moves its value into `lhs` (a
// declaration such as `auto x` or an existing variable). Both evaluate `expr` once.
#define RETURN_IF_ERROR(expr)                                              \
  do {                                                                     \
    auto&& latchkey_status_ = (expr);                                      \
    if (!latchkey_status_) return std::unexpected(std::move(latchkey_status_).error()); \
  } while (0)
#define LATCHKEY_CONCAT_INNER_(a, b) a##b
#define LATCHKEY_CONCAT_(a, b) LATCHKEY_CONCAT_INNER_(a, b)
#define ASSIGN_OR_RETURN(lhs, expr) \
  LATCHKEY_ASSIGN_OR_RETURN_(LATCHKEY_CONCAT_(latchkey_result_, __LINE__), lhs, expr)
#define LATCHKEY_ASSIGN_OR_RETURN_(tmp, lhs, expr)                    \
  auto tmp = (expr);                                                  \
  if (!tmp) return std::unexpected(std::move(tmp).error());           \
  lhs = std::move(*tmp)

// LATCHKEY_RETURN_IF_ERROR(expr): returns the error of a Status-like expression from the
// enclosing function (which returns a Status or a Result<T>). Shared by the query layer and both
// backends.
#pragma once

#include <expected>
#include <utility>

#ifndef LATCHKEY_RETURN_IF_ERROR
#define LATCHKEY_RETURN_IF_ERROR(expr)                             \
  do {                                                             \
    if (auto latchkey_status_ = (expr); !latchkey_status_)         \
      return std::unexpected(std::move(latchkey_status_).error()); \
  } while (0)
#endif

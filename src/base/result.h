// Errors as values: every expected failure in latchkey is a Result<T> carrying an Error with
// the most specific ErrorCode. Wire formats (Entra JSON, Databricks JSON, SCIM) are produced
// from these in exactly one place per API. Messages are for humans and are safe to log: they
// never contain a secret or a token.
#pragma once

#include <expected>
#include <string>
#include <utility>

namespace latchkey {

enum class ErrorCode {
  kInvalidArgument,
  kUnauthenticated,
  kPermissionDenied,
  kNotFound,
  kAlreadyExists,
  kFailedPrecondition,
  kResourceExhausted,
  kUnavailable,
  kInternal,
};

const char* ErrorCodeName(ErrorCode code);

struct [[nodiscard]] Error {
  ErrorCode code;
  std::string message;
};

template <class T>
using Result = std::expected<T, Error>;

// Result<void> alias for operations that return nothing on success.
using Status = std::expected<void, Error>;

inline std::unexpected<Error> MakeError(ErrorCode code, std::string message) {
  return std::unexpected(Error{code, std::move(message)});
}

inline Status Ok() { return {}; }

}  // namespace latchkey

// Aborts with file:line for conditions that can only be bugs.
#define LATCHKEY_CHECK(cond)                                           \
  do {                                                                 \
    if (!(cond)) ::latchkey::internal::CheckFailed(#cond, __FILE__, __LINE__); \
  } while (0)

namespace latchkey::internal {
[[noreturn]] void CheckFailed(const char* cond, const char* file, int line);
}

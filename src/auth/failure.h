// Why authentication failed, as types: the reason a token was refused (an enum, never text read
// back), and the typed failure every surface maps to its own protocol's error (Databricks:
// workspace/api_error.cc, Graph and ARM: idp/entra_error.cc, forward-auth and introspection:
// workspace/ops_routes.cc).
#pragma once

#include <chrono>
#include <expected>
#include <string>
#include <string_view>

#include "base/result.h"

namespace latchkey::auth {

// Why a bearer token was refused: labels latchkey_auth_failures_total and the audit record;
// callers only ever see their protocol's "invalid token".
enum class DenialReason {
  kMalformedToken,
  kTokensDisabled,
  kUnknownToken,
  kExpiredToken,
  kUnknownPrincipal,
  kInactivePrincipal,
  kNoPermission,
  kInvalidJwt,
  kWrongIssuer,  // a principal bound to another issuer (issuer binding)
  kCrossSite,       // web session: a cross-site request or a missing/wrong CSRF token
  kInvalidSession,  // web session: unknown, signed out, revoked, expired or its user inactive
};
std::string_view DenialReasonName(DenialReason reason);

// A check's failure: a denial (code kPermissionDenied) with its reason, or an outage (any
// other code, kUnavailable in practice) that says nothing of the token.
struct Denial {
  ErrorCode code = ErrorCode::kPermissionDenied;
  DenialReason reason = DenialReason::kMalformedToken;
  std::string detail;  // for the audit record and the log; never the token
};
template <class T>
using Checked = std::expected<T, Denial>;

// What the gate answers instead of a principal.
enum class FailureKind {
  kNoCredential,     // no Authorization header, another scheme, or nothing after "Bearer"
  kEmptyCredential,  // "Bearer" followed by blanks only
  kDenied,           // the token is invalid (reason says why)
  kThrottled,        // the address is locked out after repeated failures (retry_after)
  kUnavailable,      // the store is down (or the attempt moved to the store pool)
};

struct Failure {
  FailureKind kind = FailureKind::kNoCredential;
  DenialReason reason = DenialReason::kMalformedToken;  // kDenied only
  std::string detail;  // kDenied: the check's detail; kUnavailable: the outage, for the log
  std::chrono::seconds retry_after{0};  // kThrottled only
  ErrorCode outage = ErrorCode::kUnavailable;  // kUnavailable: the store's code
};
template <class T>
using Gated = std::expected<T, Failure>;

}  // namespace latchkey::auth

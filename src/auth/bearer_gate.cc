#include "auth/bearer_gate.h"

#include "http/offload_context.h"
#include "metrics/service_metrics.h"

namespace latchkey::auth {

BearerGate::BearerGate(const Clock& clock, BearerGateOptions options)
    : options_(options),
      throttle_(clock, LockoutPolicy{.address_failures = options.max_failures,
                                     .window = options.window,
                                     .lockout = options.lockout}) {}

Failure BearerGate::NoCredential(BearerStatus status) const {
  // §3.5: no header, a scheme other than Bearer (Basic reached end of life) or an empty
  // bearer value.
  if (options_.metrics != nullptr) options_.metrics->AuthFailure("missing_credential");
  return {status == BearerStatus::kEmpty ? FailureKind::kEmptyCredential
                                         : FailureKind::kNoCredential};
}

std::optional<Failure> BearerGate::Refuse(const Denial& denial, std::string_view remote_address) {
  if (denial.code != ErrorCode::kPermissionDenied) {
    // An outage: says nothing of the token, and counts nothing.
    return Failure{FailureKind::kUnavailable, denial.reason, denial.detail, {}, denial.code};
  }
  // While the address is locked out every failing request is refused and writes nothing.
  if (std::chrono::seconds wait = throttle_.Check("", remote_address); wait.count() > 0) {
    if (options_.metrics != nullptr) options_.metrics->RateLimited("workspace_auth");
    return Failure{FailureKind::kThrottled, denial.reason, {}, wait};
  }
  // A denial is counted (and audited) once, off the I/O thread (http/offload.h).
  if (http::DeferToPool()) return Failure{FailureKind::kUnavailable, denial.reason, "deferred", {}};
  throttle_.RecordFailure("", remote_address);
  if (options_.metrics != nullptr) options_.metrics->AuthFailure(DenialReasonName(denial.reason));
  return std::nullopt;
}

std::string_view DenialReasonName(DenialReason reason) {
  switch (reason) {
    case DenialReason::kMalformedToken: return "malformed_token";
    case DenialReason::kTokensDisabled: return "tokens_disabled";
    case DenialReason::kUnknownToken: return "unknown_token";
    case DenialReason::kExpiredToken: return "expired_token";
    case DenialReason::kUnknownPrincipal: return "unknown_principal";
    case DenialReason::kInactivePrincipal: return "inactive_principal";
    case DenialReason::kNoPermission: return "no_permission";
    case DenialReason::kInvalidJwt: return "invalid_jwt";
    case DenialReason::kWrongIssuer: return "wrong_issuer";
    case DenialReason::kCrossSite: return "cross_site";
    case DenialReason::kInvalidSession: return "invalid_session";
  }
  return "unknown";
}

}  // namespace latchkey::auth

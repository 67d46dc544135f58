#include "workspace/pat_issuer.h"

#include "auth/pat_format.h"

namespace latchkey::workspace {

Result<std::optional<TimePoint>> PatExpiry(std::optional<int64_t> lifetime_seconds,
                                           const TokenPolicy& policy,
                                           std::optional<std::chrono::seconds> default_lifetime,
                                           TimePoint now) {
  using std::chrono::seconds;
  if (!lifetime_seconds) {
    std::optional<seconds> lifetime = default_lifetime;
    if (policy.max_lifetime && (!lifetime || *lifetime > *policy.max_lifetime)) {
      lifetime = policy.max_lifetime;
    }
    if (!lifetime) return std::optional<TimePoint>();
    return std::optional<TimePoint>(now + *lifetime);
  }
  int64_t value = *lifetime_seconds;
  if (value <= 0) {
    // §4.1: the real message for 0 is "requirement failed: Invalid timeout: 0" (terraform
    // #494, #1810); negative values are treated the same ([U]).
    return MakeError(ErrorCode::kInvalidArgument,
                     "requirement failed: Invalid timeout: " + std::to_string(value) +
                         " (lifetime_seconds must be a positive number of seconds).");
  }
  if (policy.max_lifetime && value > policy.max_lifetime->count()) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "lifetime_seconds " + std::to_string(value) +
                         " exceeds the maximum token lifetime of " +
                         std::to_string(policy.max_lifetime->count() / 86400) +
                         " days (maxTokenLifetimeDays).");
  }
  if (value > kAbsoluteMaxLifetime.count()) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "lifetime_seconds " + std::to_string(value) + " is too large.");
  }
  return std::optional<TimePoint>(now + seconds(value));
}

Result<std::vector<std::string>> CheckScopes(const std::vector<std::string>& scopes) {
  if (scopes.size() > kMaxScopes) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "scopes must have at most " + std::to_string(kMaxScopes) + " entries.");
  }
  std::vector<std::string> kept;
  for (const std::string& scope : scopes) {
    if (scope.size() > kMaxScopeLength) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "Each scope must be at most " + std::to_string(kMaxScopeLength) +
                           " characters long.");
    }
    if (scope != kAllApisScope) {
      // Never echo more than kMaxScopeLength bytes of client input (checked above).
      return MakeError(ErrorCode::kInvalidArgument,
                       "Unsupported scope '" + scope +
                           "': this workspace does not enforce API scopes, so it only issues "
                           "tokens with the owner's full access (\"all-apis\"). Omit scopes.");
    }
    if (kept.empty()) kept.push_back(scope);
  }
  return kept;
}

Result<IssuedPat> PatIssuer::Issue(const PatRequest& request, const CallContext& context,
                                   std::string_view audit_action) {
  if (request.comment.size() > kMaxCommentLength) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "comment must be at most " + std::to_string(kMaxCommentLength) +
                         " characters long.");
  }
  Result<std::vector<std::string>> scopes = CheckScopes(request.scopes);
  if (!scopes) return std::unexpected(scopes.error());
  Result<TokenPolicy> policy = deps_.access.Policy();
  if (!policy) return std::unexpected(policy.error());
  if (!policy->tokens_enabled) {
    // §4.1/§11 [U]: 403 PERMISSION_DENIED while enableTokensConfig is false.
    return MakeError(ErrorCode::kPermissionDenied,
                     "Personal access tokens are disabled for this workspace.");
  }
  TimePoint now = deps_.clock.Now();
  Result<std::optional<TimePoint>> expiry =
      PatExpiry(request.lifetime_seconds, *policy, deps_.options.default_pat_lifetime, now);
  if (!expiry) return std::unexpected(expiry.error());

  IssuedPat issued;
  issued.pat.owner_id = request.owner_id;
  issued.pat.created_by_id = context.principal().id;
  issued.pat.comment = request.comment;
  issued.pat.created_at = now;
  issued.pat.expires_at = *expiry;
  issued.pat.scopes = std::move(*scopes);
  nlohmann::json detail = {{"owner_id", request.owner_id},
                           {"expiry_time", expiry->has_value() ? ToUnixMillis(**expiry) : -1},
                           {"auth", auth::AuthKindName(context.auth.kind)}};
  store::AuditEvent event;
  Status created = MakeError(ErrorCode::kInternal, "not attempted");
  // A token id collision (2^-128) is retried once rather than reported.
  for (int attempt = 0; attempt < 2; ++attempt) {
    issued.value = auth::GeneratePat(deps_.random);
    issued.pat.token_id = auth::HashSecretValue(issued.value.reveal());
    // Stored with the PAT, in its transaction: no acknowledged PAT lacks its audit row.
    event = deps_.audit.Event(context.Actor(), std::string(audit_action),
                              "token:" + issued.pat.token_id, detail, context.remote_address);
    created = deps_.store.CreatePat(issued.pat, deps_.options.pat_quota, now, &event);
    if (created || created.error().code != ErrorCode::kAlreadyExists) break;
  }
  if (!created) {
    if (created.error().code == ErrorCode::kResourceExhausted) {
      // §4.1 [U]: the quota counts the owner's tokens; expired ones are purged first.
      return MakeError(ErrorCode::kResourceExhausted,
                       "Token quota exceeded: a principal may hold at most " +
                           std::to_string(deps_.options.pat_quota) + " tokens.");
    }
    return std::unexpected(created.error());
  }
  deps_.audit.Committed(event);
  return issued;
}

}  // namespace latchkey::workspace

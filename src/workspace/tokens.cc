#include "workspace/tokens.h"

#include <algorithm>
#include <map>
#include <set>

#include "workspace/json_input.h"
#include "auth/pat_format.h"

namespace latchkey::workspace {

using nlohmann::json;

Result<CreateTokenInput> DecodeCreateToken(const json& body) {
  CreateTokenInput input;
  Result<std::optional<int64_t>> lifetime = OptionalInt64(body, "lifetime_seconds");
  if (!lifetime) return std::unexpected(lifetime.error());
  input.lifetime_seconds = *lifetime;
  Result<std::optional<std::string>> comment = OptionalString(body, "comment");
  if (!comment) return std::unexpected(comment.error());
  input.comment = comment->value_or("");
  Result<std::optional<std::vector<std::string>>> scopes = OptionalStringArray(body, "scopes");
  if (!scopes) return std::unexpected(scopes.error());
  input.scopes = scopes->value_or(std::vector<std::string>{});
  return input;
}

Result<DeleteTokenInput> DecodeDeleteToken(const json& body) {
  Result<std::string> token_id = RequiredString(body, "token_id");
  if (!token_id) return std::unexpected(token_id.error());
  return DeleteTokenInput{std::move(*token_id)};
}

json EncodePublicTokenInfo(const store::Pat& pat) {
  json info = {{"token_id", pat.token_id},
               {"creation_time", ToUnixMillis(pat.created_at)},
               {"expiry_time", pat.expires_at ? ToUnixMillis(*pat.expires_at) : -1},
               {"comment", pat.comment}};
  if (!pat.scopes.empty()) info["scopes"] = pat.scopes;
  return info;
}

json EncodeCreatedToken(const IssuedPat& issued) {
  return {{"token_value", issued.value.reveal()},
          {"token_info", EncodePublicTokenInfo(issued.pat)}};
}

json EncodeTokenList(const std::vector<store::Pat>& pats) {
  json list = json::array();
  for (const store::Pat& pat : pats) list.push_back(EncodePublicTokenInfo(pat));
  return {{"token_infos", list}};
}

Status RequireTokenPermission(const ServiceDeps& deps, const CallContext& context) {
  Result<std::shared_ptr<const auth::PrincipalAccess>> access = deps.access.Get(context.principal().id);
  if (!access) return std::unexpected(access.error());
  if ((*access)->can_use_tokens) return Ok();
  // §4.1: message seen on real workspaces [E]; status/code [U].
  return MakeError(ErrorCode::kPermissionDenied, "User does not have permission to use tokens.");
}

std::unexpected<Error> TokenNotFound(std::string_view token_id) {
  if (!auth::IsTokenId(token_id)) {
    return MakeError(ErrorCode::kNotFound, "No valid token with this ID was found.");
  }
  return MakeError(ErrorCode::kNotFound,
                   "Token with ID " + std::string(token_id) + " does not exist.");
}

Status RevokePat(const ServiceDeps& deps, const store::Pat& pat, const CallContext& context,
                 std::string_view action) {
  store::AuditEvent event =
      deps.audit.Event(context.Actor(), std::string(action), "token:" + pat.token_id,
                       {{"owner_id", pat.owner_id}}, context.remote_address);
  Status deleted = deps.store.DeletePat(pat.token_id, &event);
  if (!deleted) {
    if (deleted.error().code == ErrorCode::kNotFound) return TokenNotFound(pat.token_id);
    return deleted;
  }
  // The store's listener already evicted it; evicting here too keeps the guarantee ("refused
  // the moment delete returned") independent of the backend's notification path.
  deps.pats.Evict(pat.token_id);
  deps.audit.Committed(event);
  return Ok();
}

Result<std::vector<int64_t>> PrincipalsWithoutTokenPermission(
    store::PrincipalStore& store, const std::vector<int64_t>& principal_ids,
    const std::vector<store::TokenPermission>& grants) {
  int64_t admins_group = 0;
  if (Result<store::Group> admins = store.FindGroupByName(kAdminsGroup); admins) {
    admins_group = admins->id;
  } else if (admins.error().code != ErrorCode::kNotFound) {
    return std::unexpected(admins.error());
  }
  std::vector<int64_t> lost;
  for (int64_t id : principal_ids) {
    Result<store::Principal> principal = store.GetPrincipal(id);
    if (!principal) {
      if (principal.error().code == ErrorCode::kNotFound) continue;  // its PATs went with it
      return std::unexpected(principal.error());
    }
    Result<std::vector<int64_t>> groups = store.GroupsOfPrincipal(id);
    if (!groups) return std::unexpected(groups.error());
    bool is_admin = admins_group != 0 &&
                    std::find(groups->begin(), groups->end(), admins_group) != groups->end();
    if (!principal->active || !HasTokenPermission(id, *groups, is_admin, grants)) {
      lost.push_back(id);
    }
  }
  return lost;
}

Status RevokeLostTokenPermissions(const ServiceDeps& deps, const std::vector<int64_t>& candidates,
                                  const CallContext& context, std::string_view cause) {
  TimePoint now = deps.clock.Now();
  std::map<int64_t, std::vector<store::Pat>> held;  // only candidates holding live PATs matter
  for (int64_t id : std::set<int64_t>(candidates.begin(), candidates.end())) {
    Result<std::vector<store::Pat>> pats = deps.store.ListPats(id, now);
    if (!pats) return std::unexpected(pats.error());
    if (!pats->empty()) held.emplace(id, std::move(*pats));
  }
  if (held.empty()) return Ok();
  Result<std::vector<store::TokenPermission>> grants = deps.store.ListTokenPermissions();
  if (!grants) return std::unexpected(grants.error());
  std::vector<int64_t> owners;
  for (const auto& [id, pats] : held) owners.push_back(id);
  Result<std::vector<int64_t>> lost = PrincipalsWithoutTokenPermission(deps.store, owners, *grants);
  if (!lost) return std::unexpected(lost.error());
  for (int64_t owner : *lost) {
    for (const store::Pat& pat : held[owner]) {
      store::AuditEvent event = deps.audit.Event(
          context.Actor(), "token.revoked_by_permission", "token:" + pat.token_id,
          {{"owner_id", owner}, {"cause", std::string(cause)}}, context.remote_address);
      Status deleted = deps.store.DeletePat(pat.token_id, &event);
      if (!deleted && deleted.error().code != ErrorCode::kNotFound) return deleted;
      deps.pats.Evict(pat.token_id);
      if (!deleted) continue;  // deleted meanwhile by someone else, who audited it
      deps.audit.Committed(event);
    }
  }
  return Ok();
}

Result<IssuedPat> TokenService::Create(const CreateTokenInput& input,
                                       const CallContext& context) {
  if (Status allowed = RequireTokenPermission(deps_, context); !allowed) {
    return std::unexpected(allowed.error());
  }
  PatRequest request{context.principal().id, input.lifetime_seconds, input.comment, input.scopes};
  return issuer_.Issue(request, context, "token.create");
}

Result<std::vector<store::Pat>> TokenService::List(const CallContext& context) {
  if (Status allowed = RequireTokenPermission(deps_, context); !allowed) {
    return std::unexpected(allowed.error());
  }
  // §4.2: only the caller's valid tokens; ListPats already hides expired ones.
  return deps_.store.ListPats(context.principal().id, deps_.clock.Now());
}

Status TokenService::Delete(const DeleteTokenInput& input, const CallContext& context) {
  // Deleting one's own token needs no token permission: it can only reduce access.
  if (!auth::IsTokenId(input.token_id)) return TokenNotFound(input.token_id);
  Result<store::Pat> pat = deps_.store.GetPat(input.token_id);
  if (!pat) {
    if (pat.error().code == ErrorCode::kNotFound) return TokenNotFound(input.token_id);
    return std::unexpected(pat.error());
  }
  // §4.3: a foreign or expired token is indistinguishable from an unknown one (404).
  bool expired = pat->expires_at && *pat->expires_at <= deps_.clock.Now();
  if (pat->owner_id != context.principal().id || expired) return TokenNotFound(input.token_id);
  return RevokePat(deps_, *pat, context, "token.delete");
}

}  // namespace latchkey::workspace

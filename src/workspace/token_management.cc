#include "workspace/token_management.h"

#include <map>

#include "base/encoding.h"
#include "auth/pat_format.h"
#include "workspace/tokens.h"

namespace latchkey::workspace {

using nlohmann::json;

Result<ListTokensInput> DecodeListTokens(const ApiCall& call) {
  ListTokensInput input;
  if (std::optional<std::string> id = call.Query("created_by_id"); id && !id->empty()) {
    std::optional<int64_t> parsed = ParseInt64(*id);
    if (!parsed) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "Invalid value for field 'created_by_id': expected an integer.");
    }
    input.created_by_id = *parsed;
  }
  if (std::optional<std::string> name = call.Query("created_by_username"); name && !name->empty()) {
    input.created_by_username = *name;
  }
  return input;
}

Result<OboTokenInput> DecodeOboToken(const json& body) {
  OboTokenInput input;
  Result<std::string> app_id = RequiredString(body, "application_id");
  if (!app_id) return std::unexpected(app_id.error());
  input.application_id = std::move(*app_id);
  // The rest of the body is token/create's: the same fields, checked the same way.
  Result<CreateTokenInput> token = DecodeCreateToken(body);
  if (!token) return std::unexpected(token.error());
  input.lifetime_seconds = token->lifetime_seconds;
  input.comment = std::move(token->comment);
  input.scopes = std::move(token->scopes);
  return input;
}

json EncodeTokenInfo(const TokenInfo& info, int64_t workspace_id) {
  const store::Pat& pat = info.pat;
  json out = {{"token_id", pat.token_id},
              {"creation_time", ToUnixMillis(pat.created_at)},
              {"expiry_time", pat.expires_at ? ToUnixMillis(*pat.expires_at) : -1},
              {"comment", pat.comment},
              {"created_by_id", pat.created_by_id},
              {"created_by_username", info.created_by_username},
              {"owner_id", pat.owner_id},
              {"workspace_id", workspace_id}};
  // §5.0: "approximate timestamp for the day the token was last used"; ms ([U] unit).
  if (pat.last_used_day) out["last_used_day"] = ToUnixMillis(*pat.last_used_day);
  if (!pat.scopes.empty()) out["scopes"] = pat.scopes;
  return out;
}

std::string TokenManagementService::NameOf(int64_t principal_id) {
  Result<store::Principal> principal = deps_.store.GetPrincipal(principal_id);
  return principal ? PrincipalName(*principal) : std::string();
}

Result<store::Pat> TokenManagementService::LivePat(const std::string& token_id) {
  if (!auth::IsTokenId(token_id)) return TokenNotFound(token_id);
  Result<store::Pat> pat = deps_.store.GetPat(token_id);
  if (!pat) {
    if (pat.error().code == ErrorCode::kNotFound) return TokenNotFound(token_id);
    return std::unexpected(pat.error());
  }
  if (pat->expires_at && *pat->expires_at <= deps_.clock.Now()) return TokenNotFound(token_id);
  return pat;
}

Result<std::vector<TokenInfo>> TokenManagementService::List(const ListTokensInput& input,
                                                            const CallContext& context) {
  if (Status ok = RequireAdmin(context, "manage tokens"); !ok) return std::unexpected(ok.error());
  Result<std::vector<store::Pat>> pats = deps_.store.ListPats(0, deps_.clock.Now());
  if (!pats) return std::unexpected(pats.error());
  std::map<int64_t, std::string> names;
  std::vector<TokenInfo> out;
  for (store::Pat& pat : *pats) {
    if (input.created_by_id && pat.created_by_id != *input.created_by_id) continue;
    auto [it, inserted] = names.try_emplace(pat.created_by_id);
    if (inserted) it->second = NameOf(pat.created_by_id);
    if (input.created_by_username && !IEquals(it->second, *input.created_by_username)) continue;
    out.push_back(TokenInfo{std::move(pat), it->second});
  }
  return out;
}

Result<TokenInfo> TokenManagementService::Get(const std::string& token_id,
                                              const CallContext& context) {
  if (Status ok = RequireAdmin(context, "manage tokens"); !ok) return std::unexpected(ok.error());
  Result<store::Pat> pat = LivePat(token_id);
  if (!pat) return std::unexpected(pat.error());
  std::string creator = NameOf(pat->created_by_id);
  return TokenInfo{std::move(*pat), std::move(creator)};
}

Status TokenManagementService::Delete(const std::string& token_id, const CallContext& context) {
  if (Status ok = RequireAdmin(context, "manage tokens"); !ok) return ok;
  Result<store::Pat> pat = LivePat(token_id);
  if (!pat) return std::unexpected(pat.error());
  return RevokePat(deps_, *pat, context, "token.admin_delete");
}

Result<std::pair<IssuedPat, TokenInfo>> TokenManagementService::CreateOnBehalfOf(
    const OboTokenInput& input, const CallContext& context) {
  if (Status ok = RequireAdmin(context, "create tokens on behalf of service principals"); !ok) {
    return std::unexpected(ok.error());
  }
  if (!deps_.options.allow_obo) {
    // §5.5: what real Azure workspaces answer (databricks/cli #596).
    return MakeError(ErrorCode::kPermissionDenied,
                     "On-behalf-of token creation for service principals is not enabled for "
                     "this workspace.");
  }
  Result<store::Principal> sp =
      deps_.store.FindServicePrincipalByApplicationId(AsciiLower(input.application_id));
  if (!sp) {
    if (sp.error().code != ErrorCode::kNotFound) return std::unexpected(sp.error());
    // §5.5 [U]: 404 for an unknown application id.
    return MakeError(ErrorCode::kNotFound, "Service principal with application ID " +
                                               input.application_id + " does not exist.");
  }
  Result<std::shared_ptr<const auth::PrincipalAccess>> access = deps_.access.Get(sp->id);
  if (!access) return std::unexpected(access.error());
  if (!sp->active || !(*access)->can_use_tokens) {
    return MakeError(ErrorCode::kPermissionDenied,
                     "Service principal " + sp->application_id +
                         " does not have permission to use tokens.");
  }
  PatRequest request{sp->id, input.lifetime_seconds, input.comment, input.scopes};
  Result<IssuedPat> issued = issuer_.Issue(request, context, "token.obo_create");
  if (!issued) return std::unexpected(issued.error());
  TokenInfo info{issued->pat, PrincipalName(context.principal())};
  return std::make_pair(std::move(*issued), std::move(info));
}

}  // namespace latchkey::workspace

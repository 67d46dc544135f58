// The token API (spec §4): a principal's own PATs. Create, list (valid tokens only) and
// delete. Thread-safe.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/result.h"
#include "workspace/call_context.h"
#include "workspace/pat_issuer.h"
#include "workspace/services.h"

namespace latchkey::workspace {

struct CreateTokenInput {
  std::optional<int64_t> lifetime_seconds;
  std::string comment;
  std::vector<std::string> scopes;  // only "all-apis" is accepted (pat_issuer.h, CheckScopes)
};
struct DeleteTokenInput {
  std::string token_id;
};

Result<CreateTokenInput> DecodeCreateToken(const nlohmann::json& body);
Result<DeleteTokenInput> DecodeDeleteToken(const nlohmann::json& body);
// PublicTokenInfo (§4.1): token_id, creation_time, expiry_time (-1 = never), comment.
nlohmann::json EncodePublicTokenInfo(const store::Pat& pat);
nlohmann::json EncodeCreatedToken(const IssuedPat& issued);           // {token_value, token_info}
nlohmann::json EncodeTokenList(const std::vector<store::Pat>& pats);  // {token_infos}

// "User does not have permission to use tokens." unless the caller has CAN_USE (§4.1).
Status RequireTokenPermission(const ServiceDeps& deps, const CallContext& context);

class TokenService {
 public:
  TokenService(const ServiceDeps& deps, PatIssuer& issuer) : deps_(deps), issuer_(issuer) {}

  Result<IssuedPat> Create(const CreateTokenInput& input, const CallContext& context);
  Result<std::vector<store::Pat>> List(const CallContext& context);
  // 404 RESOURCE_DOES_NOT_EXIST for an unknown, expired or foreign token (§4.3).
  Status Delete(const DeleteTokenInput& input, const CallContext& context);

 private:
  const ServiceDeps& deps_;
  PatIssuer& issuer_;
};

// Deletes a PAT, evicts it from the auth cache before returning, and audits it.
Status RevokePat(const ServiceDeps& deps, const store::Pat& pat, const CallContext& context,
                 std::string_view action);
// Grant staleness (§3.1): the one place that decides who may no longer hold PATs. Of
// `principal_ids`, the principals that exist and are inactive or hold neither CAN_USE nor
// CAN_MANAGE under `grants` (directly, through a group, or as admins). Groups and the admins
// group are read from the store, never from a cache: the answer is about what was committed.
Result<std::vector<int64_t>> PrincipalsWithoutTokenPermission(
    store::PrincipalStore& store, const std::vector<int64_t>& principal_ids,
    const std::vector<store::TokenPermission>& grants);

// Runs after every committed change that can take token permission away from `candidates`:
// group membership (SCIM Groups PUT/PATCH, a principal's groups), group deletion, admin
// demotion, deactivation. Deletes the live PATs of those that lost it (decided by
// PrincipalsWithoutTokenPermission on the stored grants), so they never work again even if
// the permission comes back, as in Databricks. Each delete is evicted here and notified as
// kPatDeleted (other replicas drop it), and audited as token.revoked_by_permission with
// `cause`. A permissions PUT/PATCH makes the same decision inside its own transaction.
Status RevokeLostTokenPermissions(const ServiceDeps& deps, const std::vector<int64_t>& candidates,
                                  const CallContext& context, std::string_view cause);
// 404 naming the id (only if it is a well-formed token id).
std::unexpected<Error> TokenNotFound(std::string_view token_id);

}  // namespace latchkey::workspace

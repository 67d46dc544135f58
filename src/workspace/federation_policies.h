// Databricks OAuth token federation (issue 21): federation policies and the token exchange.
//
// Policies, as Databricks documents them (REST API reference "Account Federation Policy" and
// "Service Principal Federation Policy"; databricks-sdk-py docs/account/oauth2/
// service_principal_federation_policy.rst; databricks-sdk-go service/oauth2 model.go):
//   /api/2.0/accounts/{account_id}/federationPolicies[/{policy_id}]   account-wide
//   /api/2.0/accounts/{account_id}/servicePrincipals/{sp}/federationPolicies[/{policy_id}]
// POST (policy_id in the query, the policy as the body), GET, GET list (page_size,
// page_token -> {policies, next_page_token}), PATCH (update_mask in the query), DELETE.
// latchkey is one workspace in one account: {account_id} must be AccountId(options) (below),
// and a workspace admin stands in for an account admin. At most 20 policies per owner
// (Databricks' documented limit per service principal).
//
// The exchange (POST /oidc/v1/token, grant_type token-exchange, RFC 8693): the subject token's
// iss must equal a policy's issuer exactly, one aud must be in its audiences (none configured:
// the account id, or this token endpoint's URL, which /.well-known/databricks-config advertises
// as token_federation_default_oidc_audiences for the SDKs), and then its signature and times must verify with the issuer's keys
// (idp/federated_jwt.h, FederationKeys). A service principal policy (client_id given) needs
// its subject in the token's subject claim; an account policy maps the subject claim's value
// to the user with that userName, else the service principal with that application id.
#pragma once

#include <expected>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "base/result.h"
#include "store/records.h"
#include "workspace/call_context.h"
#include "workspace/services.h"

namespace latchkey::workspace {

inline constexpr int kMaxFederationPoliciesPerOwner = 20;

// latchkey's account id: WorkspaceOptions::account_id if set, else a UUID derived from the
// workspace id (stable across restarts and replicas). It is the default policy audience.
std::string AccountId(const WorkspaceOptions& options);

class FederationPolicyService {
 public:
  explicit FederationPolicyService(const ServiceDeps& deps) : deps_(deps) {}

  // `sp_id` empty: the account's policies; otherwise the service principal's (SCIM id).
  Result<nlohmann::json> Create(const std::string& sp_id, const nlohmann::json& body,
                                const std::optional<std::string>& policy_id,
                                const CallContext& ctx);
  Result<nlohmann::json> Get(const std::string& sp_id, const std::string& policy_id,
                             const CallContext& ctx);
  Result<nlohmann::json> List(const std::string& sp_id, const std::optional<std::string>& page_size,
                              const std::optional<std::string>& page_token,
                              const CallContext& ctx);
  Result<nlohmann::json> Update(const std::string& sp_id, const std::string& policy_id,
                                const nlohmann::json& body,
                                const std::optional<std::string>& update_mask,
                                const CallContext& ctx);
  Status Delete(const std::string& sp_id, const std::string& policy_id, const CallContext& ctx);

 private:
  // The caller must be an admin; then the owner: 0 for the account, kNotFound for a missing
  // service principal.
  Result<int64_t> AdminOwner(const std::string& sp_id, const CallContext& ctx);
  // The owner's policy; the Databricks not-found error for a malformed or unknown policy id.
  Result<store::FederationPolicy> Find(int64_t owner, const std::string& policy_id);
  const ServiceDeps& deps_;
};

// The outcome of verifying a subject token.
struct FederatedSubject {
  store::Principal principal;
  store::FederationPolicy policy;
  std::string issuer;
  std::string subject;  // the matched subject claim's value
  int64_t expires_at = 0;  // the subject token's exp (unix seconds)
};
struct FederationRefusal {
  int status = 400;
  std::string error;        // OAuth error code
  std::string description;  // for the client; never the token
  std::string issuer;       // what the token claimed, for the audit
  std::string subject;
  std::string policy_id;    // when one matched before the refusal
};

std::expected<FederatedSubject, FederationRefusal> VerifySubjectToken(
    const ServiceDeps& deps, std::string_view subject_token,
    const std::optional<std::string>& client_id, const std::string& token_endpoint);

}  // namespace latchkey::workspace

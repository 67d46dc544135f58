// Databricks federation policies (issue 21), written once for both backends over the query
// layer. Account-wide policies have a NULL service_principal_id (bound as 0 through NULLIF,
// read back as 0).
#include <string>
#include <utility>
#include <vector>

#include "store/row_mappers.h"
#include "store/store.h"

namespace latchkey::store {

using sql::Session;

namespace {

// In the order of FederationPolicyColumns; 0 (the account) is stored as NULL.
constexpr char kInsertPolicy[] =
    "INSERT INTO federation_policies (" LATCHKEY_FEDERATION_POLICY_COLUMNS("service_principal_id")
    ") VALUES (?, ?, NULLIF(CAST(? AS BIGINT), 0), ?, ?, ?, ?, ?, ?, ?)";

}  // namespace

Status TokenStore::CreateFederationPolicy(const FederationPolicy& policy, int max_per_owner,
                                          const AuditEvent* audit) {
  return Write(
      "CreateFederationPolicy", audit,
      [&](Session& s) -> Status {
        // The count and the insert run in one transaction (PostgreSQL: serializable; SQLite
        // has one writer).
        LATCHKEY_RETURN_IF_ERROR(s.Prepare("SELECT count(*) FROM federation_policies"
                                           " WHERE COALESCE(service_principal_id, 0) = ?")
                                     .Bind(policy.service_principal_id)
                                     .RequireCountBelow(max_per_owner,
                                                        "the most federation policies allowed "
                                                        "already exist"));
        return FederationPolicyColumns::Insert(s, kInsertPolicy, policy);
      },
      sql::Isolation::kSerializable);
}

Result<FederationPolicy> TokenStore::GetFederationPolicy(int64_t service_principal_id,
                                                         const std::string& policy_id) {
  return ReadOne("GetFederationPolicy",
                 "SELECT " LATCHKEY_FEDERATION_POLICY_COLUMNS("COALESCE(service_principal_id, 0)")
                 " FROM federation_policies"
                 " WHERE COALESCE(service_principal_id, 0) = ? AND policy_id = ?",
                 FederationPolicyFromRow, "federation policy", service_principal_id, policy_id);
}

Result<std::vector<FederationPolicy>> TokenStore::ListFederationPolicies(
    int64_t service_principal_id) {
  return ReadAll("ListFederationPolicies",
                 "SELECT " LATCHKEY_FEDERATION_POLICY_COLUMNS("COALESCE(service_principal_id, 0)")
                 " FROM federation_policies WHERE COALESCE(service_principal_id, 0) = ?"
                 " ORDER BY created_at, {seq}",
                 FederationPolicyFromRow, service_principal_id);
}

Status TokenStore::UpdateFederationPolicy(const FederationPolicy& policy,
                                          const AuditEvent* audit) {
  return WriteExisting("UpdateFederationPolicy", audit, std::nullopt,
                       "UPDATE federation_policies SET description = ?, issuer = ?,"
                       " audiences = ?, subject = ?, subject_claim = ?, updated_at = ?"
                       " WHERE COALESCE(service_principal_id, 0) = ? AND policy_id = ?",
                       "federation policy", policy.description, policy.issuer, policy.audiences,
                       policy.subject, policy.subject_claim, policy.updated_at,
                       policy.service_principal_id, policy.policy_id);
}

Status TokenStore::DeleteFederationPolicy(int64_t service_principal_id,
                                          const std::string& policy_id, const AuditEvent* audit) {
  return WriteExisting("DeleteFederationPolicy", audit, std::nullopt,
                       "DELETE FROM federation_policies"
                       " WHERE COALESCE(service_principal_id, 0) = ? AND policy_id = ?",
                       "federation policy", service_principal_id, policy_id);
}

}  // namespace latchkey::store

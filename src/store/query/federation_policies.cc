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
        Result<int64_t> held = s.Prepare(
                                    "SELECT count(*) FROM federation_policies"
                                    " WHERE COALESCE(service_principal_id, 0) = ?")
                                   .Bind(policy.service_principal_id)
                                   .One(sql::IntFromRow, "count");
        if (!held) return std::unexpected(std::move(held).error());
        if (*held >= max_per_owner) {
          return MakeError(ErrorCode::kResourceExhausted,
                           "the most federation policies allowed already exist");
        }
        return FederationPolicyColumns::Insert(s, kInsertPolicy, policy);
      },
      sql::Isolation::kSerializable);
}

Result<FederationPolicy> TokenStore::GetFederationPolicy(int64_t service_principal_id,
                                                         const std::string& policy_id) {
  return Read("GetFederationPolicy", [&](Session& s) {
    return s
        .Prepare("SELECT " LATCHKEY_FEDERATION_POLICY_COLUMNS("COALESCE(service_principal_id, 0)")
                 " FROM federation_policies"
                 " WHERE COALESCE(service_principal_id, 0) = ? AND policy_id = ?")
        .Bind(service_principal_id)
        .Bind(policy_id)
        .One(FederationPolicyFromRow, "federation policy");
  });
}

Result<std::vector<FederationPolicy>> TokenStore::ListFederationPolicies(
    int64_t service_principal_id) {
  return Read("ListFederationPolicies", [&](Session& s) {
    return s
        .Prepare("SELECT " LATCHKEY_FEDERATION_POLICY_COLUMNS("COALESCE(service_principal_id, 0)")
                 " FROM federation_policies WHERE COALESCE(service_principal_id, 0) = ?"
                 " ORDER BY created_at, {seq}")
        .Bind(service_principal_id)
        .All(FederationPolicyFromRow);
  });
}

Status TokenStore::UpdateFederationPolicy(const FederationPolicy& policy,
                                          const AuditEvent* audit) {
  return Write("UpdateFederationPolicy", audit, [&](Session& s) -> Status {
    return s
        .Prepare(
            "UPDATE federation_policies SET description = ?, issuer = ?,"
            " audiences = ?, subject = ?, subject_claim = ?, updated_at = ?"
            " WHERE COALESCE(service_principal_id, 0) = ? AND policy_id = ?")
        .Bind(policy.description)
        .Bind(policy.issuer)
        .Bind(policy.audiences)
        .Bind(policy.subject)
        .Bind(policy.subject_claim)
        .Bind(policy.updated_at)
        .Bind(policy.service_principal_id)
        .Bind(policy.policy_id)
        .UpdateExisting("federation policy");
  });
}

Status TokenStore::DeleteFederationPolicy(int64_t service_principal_id,
                                          const std::string& policy_id, const AuditEvent* audit) {
  return Write("DeleteFederationPolicy", audit, [&](Session& s) -> Status {
    return s
        .Prepare(
            "DELETE FROM federation_policies"
            " WHERE COALESCE(service_principal_id, 0) = ? AND policy_id = ?")
        .Bind(service_principal_id)
        .Bind(policy_id)
        .UpdateExisting("federation policy");
  });
}

}  // namespace latchkey::store

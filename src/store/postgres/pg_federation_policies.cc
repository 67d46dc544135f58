// PostgresStore: Databricks federation policies (issue 21). Account-wide policies have a NULL
// service_principal_id (bound as 0 through NULLIF, read back as 0).
#include <string>
#include <utility>
#include <vector>

#include "store/federation_policy_row.h"
#include "store/postgres/postgres_store.h"

namespace latchkey::store::postgres {

Status PostgresStore::CreateFederationPolicy(const FederationPolicy& policy, int max_per_owner,
                                           const AuditEvent* audit) {
  return Write(Isolation::kSerializable, audit, [&](Connection& conn) -> Status {
    // The count and the insert run in one transaction (serializable).
    Result<int64_t> held =
        conn.Prepare("SELECT count(*) FROM federation_policies"
                     " WHERE COALESCE(service_principal_id, 0) = $1")
            .Bind(policy.service_principal_id)
            .One([](const Row& row) -> Result<int64_t> { return row.Int(0); }, "count");
    if (!held) return std::unexpected(std::move(held).error());
    if (*held >= max_per_owner) {
      return MakeError(ErrorCode::kResourceExhausted,
                       "the most federation policies allowed already exist");
    }
    return conn
        .Prepare("INSERT INTO federation_policies (uid, service_principal_id, policy_id,"
                 " description, issuer, audiences, subject, subject_claim, created_at,"
                 " updated_at)"
                 " VALUES ($1, NULLIF($2::BIGINT, 0), $3, $4, $5, $6, $7, $8, $9, $10)")
        .Bind(policy.uid)
        .Bind(policy.service_principal_id)
        .Bind(policy.policy_id)
        .Bind(policy.description)
        .Bind(policy.issuer)
        .Bind(policy.audiences)
        .Bind(policy.subject)
        .Bind(policy.subject_claim)
        .Bind(policy.created_at)
        .Bind(policy.updated_at)
        .Run();
  });
}

Result<FederationPolicy> PostgresStore::GetFederationPolicy(int64_t service_principal_id,
                                                          const std::string& policy_id) {
  return pool_->Read([&](Connection& conn) {
    return conn
        .Prepare("SELECT " LATCHKEY_FEDERATION_POLICY_COLUMNS
                 " FROM federation_policies"
                 " WHERE COALESCE(service_principal_id, 0) = $1 AND policy_id = $2")
        .Bind(service_principal_id)
        .Bind(policy_id)
        .One(FederationPolicyFromRow<Row>, "federation policy");
  });
}

Result<std::vector<FederationPolicy>> PostgresStore::ListFederationPolicies(
    int64_t service_principal_id) {
  return pool_->Read([&](Connection& conn) {
    return conn
        .Prepare("SELECT " LATCHKEY_FEDERATION_POLICY_COLUMNS
                 " FROM federation_policies WHERE COALESCE(service_principal_id, 0) = $1"
                 " ORDER BY created_at, seq")
        .Bind(service_principal_id)
        .All(FederationPolicyFromRow<Row>);
  });
}

Status PostgresStore::UpdateFederationPolicy(const FederationPolicy& policy,
                                           const AuditEvent* audit) {
  return Write(audit, [&](Connection& conn) -> Status {
    Result<int64_t> updated =
        conn.Prepare("UPDATE federation_policies SET description = $1, issuer = $2,"
                     " audiences = $3, subject = $4, subject_claim = $5, updated_at = $6"
                     " WHERE COALESCE(service_principal_id, 0) = $7 AND policy_id = $8")
            .Bind(policy.description)
            .Bind(policy.issuer)
            .Bind(policy.audiences)
            .Bind(policy.subject)
            .Bind(policy.subject_claim)
            .Bind(policy.updated_at)
            .Bind(policy.service_principal_id)
            .Bind(policy.policy_id)
            .Update();
    if (!updated) return std::unexpected(std::move(updated).error());
    if (*updated == 0) return MakeError(ErrorCode::kNotFound, "federation policy not found");
    return Ok();
  });
}

Status PostgresStore::DeleteFederationPolicy(int64_t service_principal_id,
                                           const std::string& policy_id,
                                           const AuditEvent* audit) {
  return Write(audit, [&](Connection& conn) -> Status {
    Result<int64_t> deleted =
        conn.Prepare("DELETE FROM federation_policies"
                     " WHERE COALESCE(service_principal_id, 0) = $1 AND policy_id = $2")
            .Bind(service_principal_id)
            .Bind(policy_id)
            .Update();
    if (!deleted) return std::unexpected(std::move(deleted).error());
    if (*deleted == 0) return MakeError(ErrorCode::kNotFound, "federation policy not found");
    return Ok();
  });
}

}  // namespace latchkey::store::postgres

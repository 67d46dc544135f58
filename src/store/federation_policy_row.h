// Row mapping of federation_policies (issue 21), shared by both backends' federation-policy
// files. Internal to src/store/.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "base/result.h"
#include "store/records.h"

// service_principal_id is read as COALESCE(service_principal_id, 0): 0 is the account.
#define LATCHKEY_FEDERATION_POLICY_COLUMNS                                                   \
  "policy_id, uid, COALESCE(service_principal_id, 0), description, issuer, audiences, subject," \
  " subject_claim, created_at, updated_at"

namespace latchkey::store {

template <class Row>
Result<FederationPolicy> FederationPolicyFromRow(const Row& row) {
  FederationPolicy p{.policy_id = row.Text(0),
                     .uid = row.Text(1),
                     .service_principal_id = row.Int(2),
                     .description = row.Text(3),
                     .issuer = row.Text(4),
                     .subject = row.Text(6),
                     .subject_claim = row.Text(7),
                     .created_at = row.Time(8),
                     .updated_at = row.Time(9)};
  Result<std::vector<std::string>> audiences = row.Strings(5);
  if (!audiences) return std::unexpected(std::move(audiences).error());
  p.audiences = std::move(*audiences);
  return p;
}

}  // namespace latchkey::store

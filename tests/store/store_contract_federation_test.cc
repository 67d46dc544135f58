// Store contract: Databricks federation policies (issue 21), on every backend. The fixture and
// the per-backend instantiation are in store_contract_test.cc.
#include "store/store_contract_test.h"

namespace latchkey::store::testing {
namespace {

using ::testing::IsEmpty;
using ::testing::Optional;

FederationPolicy MakePolicy(int64_t owner, const std::string& id, const std::string& uid) {
  return FederationPolicy{.policy_id = id,
                          .uid = uid,
                          .service_principal_id = owner,
                          .description = "d " + id,
                          .issuer = "https://issuer.example/" + id,
                          .audiences = {"aud-1", "aud-2"},
                          .subject = owner != 0 ? "repo:o/r:ref:main" : "",
                          .subject_claim = owner != 0 ? "" : "email",
                          .created_at = At(3),
                          .updated_at = At(4)};
}

TEST_P(StoreContractTest, FederationPoliciesRoundTripPerOwnerAndBounded) {
  ASSERT_THAT(store().CreatePrincipal(MakeServicePrincipal(5, "app-5")), IsOk());
  FederationPolicy account = MakePolicy(0, "corp", "u-1");
  FederationPolicy sp = MakePolicy(5, "corp", "u-2");  // the same policy_id, another owner
  ASSERT_THAT(store().CreateFederationPolicy(account, 2), IsOk());
  ASSERT_THAT(store().CreateFederationPolicy(sp, 2), IsOk());

  Result<FederationPolicy> got = store().GetFederationPolicy(5, "corp");
  ASSERT_THAT(got, IsOk());
  EXPECT_EQ(got->uid, "u-2");
  EXPECT_EQ(got->service_principal_id, 5);
  EXPECT_EQ(got->issuer, "https://issuer.example/corp");
  EXPECT_EQ(got->audiences, (std::vector<std::string>{"aud-1", "aud-2"}));
  EXPECT_EQ(got->subject, "repo:o/r:ref:main");
  EXPECT_EQ(got->description, "d corp");
  EXPECT_EQ(got->created_at, At(3));
  EXPECT_EQ(got->updated_at, At(4));
  Result<FederationPolicy> acct = store().GetFederationPolicy(0, "corp");
  ASSERT_THAT(acct, IsOk());
  EXPECT_EQ(acct->service_principal_id, 0);
  EXPECT_EQ(acct->subject_claim, "email");

  EXPECT_THAT(store().CreateFederationPolicy(MakePolicy(0, "corp", "u-3"), 2),
              ErrorIs(ErrorCode::kAlreadyExists));
  ASSERT_THAT(store().CreateFederationPolicy(MakePolicy(0, "second", "u-4"), 2), IsOk());
  EXPECT_THAT(store().CreateFederationPolicy(MakePolicy(0, "third", "u-5"), 2),
              ErrorIs(ErrorCode::kResourceExhausted));
  Result<std::vector<FederationPolicy>> listed = store().ListFederationPolicies(0);
  ASSERT_THAT(listed, IsOk());
  ASSERT_EQ(listed->size(), 2u);
  EXPECT_EQ((*listed)[0].policy_id, "corp");
  EXPECT_EQ((*listed)[1].policy_id, "second");

  FederationPolicy changed = *acct;
  changed.issuer = "https://other.example";
  changed.audiences = {};
  changed.updated_at = At(9);
  ASSERT_THAT(store().UpdateFederationPolicy(changed), IsOk());
  Result<FederationPolicy> reread = store().GetFederationPolicy(0, "corp");
  ASSERT_THAT(reread, IsOk());
  EXPECT_EQ(reread->issuer, "https://other.example");
  EXPECT_THAT(reread->audiences, IsEmpty());
  EXPECT_EQ(reread->updated_at, At(9));
  EXPECT_EQ(store().GetFederationPolicy(5, "corp")->issuer, "https://issuer.example/corp");
  changed.policy_id = "missing";
  EXPECT_THAT(store().UpdateFederationPolicy(changed), ErrorIs(ErrorCode::kNotFound));

  ASSERT_THAT(store().DeleteFederationPolicy(0, "corp"), IsOk());
  EXPECT_THAT(store().GetFederationPolicy(0, "corp"), ErrorIs(ErrorCode::kNotFound));
  EXPECT_THAT(store().DeleteFederationPolicy(0, "corp"), ErrorIs(ErrorCode::kNotFound));
  EXPECT_THAT(store().GetFederationPolicy(5, "corp"), IsOk());

  // A service principal's policies go with it.
  ASSERT_THAT(store().DeletePrincipal(5), IsOk());
  EXPECT_THAT(store().ListFederationPolicies(5), Optional(IsEmpty()));
}

TEST_P(StoreContractTest, FederationPolicyWritesCommitTheirAuditEvent) {
  AuditEvent event{.at = At(1), .actor = "principal:1", .action = "federation_policy.create",
                   .target = "federation_policy:u-1", .detail = "{}", .remote_address = "127.0.0.1"};
  ASSERT_THAT(store().CreateFederationPolicy(MakePolicy(0, "p", "u-1"), 20, &event), IsOk());
  // A failed write stores no event.
  EXPECT_THAT(store().CreateFederationPolicy(MakePolicy(0, "p", "u-2"), 20, &event),
              ErrorIs(ErrorCode::kAlreadyExists));
  Result<std::vector<AuditEvent>> events = store().ListAudit(0, 100);
  ASSERT_THAT(events, IsOk());
  ASSERT_EQ(events->size(), 1u);
  EXPECT_EQ((*events)[0].action, "federation_policy.create");
}

}  // namespace
}  // namespace latchkey::store::testing

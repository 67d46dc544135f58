// Store contract, part 3: audited writes. A write given an audit event stores it in the
// change's own transaction: both commit, or (when the audit insert fails) neither does. The
// fixture and the per-backend instantiation are in store_contract_test.cc.
#include <string>
#include <vector>

#include "store/store_contract_test.h"

namespace latchkey::store::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::Optional;
using ::testing::UnorderedElementsAre;

AuditEvent Event(const std::string& action, const std::string& target) {
  return AuditEvent{.at = At(5),
                    .actor = "principal:1",
                    .action = action,
                    .target = target,
                    .detail = R"({"k":1})",
                    .remote_address = "10.0.0.9"};
}

std::vector<std::string> Targets(const Result<std::vector<AuditEvent>>& events) {
  std::vector<std::string> out;
  if (events) {
    for (const AuditEvent& e : *events) out.push_back(e.action + " " + e.target);
  }
  return out;
}

TEST_P(StoreContractTest, AuditedWritesStoreTheirEventWithTheChange) {
  ASSERT_THAT(store().CreatePrincipal(MakeUser(1, "a@x")), IsOk());
  AuditEvent created = Event("token.create", "token:t1");
  AuditEvent deleted = Event("token.delete", "token:t1");
  AuditEvent conf = Event("conf.update", "conf:k");

  ASSERT_THAT(store().CreatePat(MakePat("t1", 1), 10, At(0), &created), IsOk());
  ASSERT_THAT(store().SetConf("k", "v", &conf), IsOk());
  ASSERT_THAT(store().DeletePat("t1", &deleted), IsOk());
  // A failed write (nothing to delete) stores no event either.
  EXPECT_THAT(store().DeletePat("t1", &deleted), ErrorIs(ErrorCode::kNotFound));

  Result<std::vector<AuditEvent>> events = store().ListAudit(0, 100);
  ASSERT_THAT(events, IsOk());
  EXPECT_THAT(Targets(events),
              ElementsAre("token.create token:t1", "conf.update conf:k", "token.delete token:t1"));
  EXPECT_EQ((*events)[0].actor, "principal:1");
  EXPECT_EQ((*events)[0].detail, R"({"k":1})");
  EXPECT_EQ((*events)[0].remote_address, "10.0.0.9");
  EXPECT_EQ((*events)[0].at, At(5));
  EXPECT_LT((*events)[0].seq, (*events)[1].seq);
}

TEST_P(StoreContractTest, AWriteWhoseAuditInsertFailsCommitsNothing) {
  ASSERT_THAT(store().CreatePrincipal(MakeUser(1, "a@x")), IsOk());
  ASSERT_THAT(store().CreatePat(MakePat("t1", 1), 10, At(0)), IsOk());
  ASSERT_THAT(store().ReplaceTokenPermissions({{AclSubjectKind::kUser, 1, "CAN_USE"}}, {}), IsOk());
  if (!RefuseAuditAction("refused")) GTEST_SKIP() << "no second connection to sqlite::memory:";
  TakeChanges();
  AuditEvent refused = Event("refused", "x");

  // Each write runs its change, then the audit insert fails: the change is rolled back.
  EXPECT_FALSE(store().CreatePrincipal(MakeUser(2, "b@x"), &refused));
  EXPECT_FALSE(store().CreatePat(MakePat("t2", 1), 10, At(0), &refused));
  EXPECT_FALSE(store().DeletePat("t1", &refused));
  EXPECT_FALSE(store().SetConf("k", "v", &refused));
  EXPECT_FALSE(store().UpdatePrincipal(
      [] {
        Principal p = MakeUser(1, "a@x");
        p.active = false;
        return p;
      }(),
      &refused));
  EXPECT_FALSE(store().ReplaceTokenPermissions({}, {1}, &refused));

  EXPECT_THAT(store().GetPrincipal(2), ErrorIs(ErrorCode::kNotFound));
  EXPECT_THAT(store().GetPat("t2"), ErrorIs(ErrorCode::kNotFound));
  EXPECT_THAT(store().GetPat("t1"), IsOk());
  EXPECT_THAT(store().GetConf("k"), ErrorIs(ErrorCode::kNotFound));
  EXPECT_THAT(store().GetPrincipal(1), Optional(::testing::Field(&Principal::active, true)));
  EXPECT_THAT(store().ListTokenPermissions(),
              Optional(ElementsAre(::testing::Field(&TokenPermission::subject_id, 1))));
  EXPECT_THAT(store().ListAudit(0, 100), Optional(IsEmpty()));
  EXPECT_THAT(TakeChanges(), IsEmpty());  // nobody hears of a change that did not happen

  // The same writes with an event the database accepts go through.
  AuditEvent accepted = Event("token.delete", "token:t1");
  EXPECT_THAT(store().DeletePat("t1", &accepted), IsOk());
  EXPECT_THAT(Targets(store().ListAudit(0, 100)), ElementsAre("token.delete token:t1"));
}

TEST_P(StoreContractTest, ARevocationWhoseAuditInsertFailsRevokesNothing) {
  ASSERT_THAT(store().CreatePrincipal(MakeUser(1, "a@x")), IsOk());
  ASSERT_THAT(store().CreatePat(MakePat("t1", 1), 10, At(0)), IsOk());
  ASSERT_THAT(store().ReplaceTokenPermissions({{AclSubjectKind::kUser, 1, "CAN_USE"}}, {}), IsOk());
  if (!RefuseAuditAction("token.revoked_by_permission")) {
    GTEST_SKIP() << "no second connection to sqlite::memory:";
  }
  TakeChanges();
  AuditEvent replace = Event("token_permissions.replace", "permissions:/authorization/tokens");

  EXPECT_FALSE(store().ReplaceTokenPermissions({}, {1}, &replace));

  EXPECT_THAT(store().GetPat("t1"), IsOk());
  EXPECT_THAT(store().ListTokenPermissions(), Optional(::testing::SizeIs(1)));
  EXPECT_THAT(store().ListAudit(0, 100), Optional(IsEmpty()));
  EXPECT_THAT(TakeChanges(), IsEmpty());
}

TEST_P(StoreContractTest, ReplaceTokenPermissionsAuditsEveryPatItRevokes) {
  for (int64_t id : {1, 2}) {
    ASSERT_THAT(store().CreatePrincipal(MakeUser(id, "u" + std::to_string(id))), IsOk());
  }
  ASSERT_THAT(store().CreatePat(MakePat("a1", 1), 10, At(0)), IsOk());
  ASSERT_THAT(store().CreatePat(MakePat("a2", 1), 10, At(0)), IsOk());
  ASSERT_THAT(store().CreatePat(MakePat("b1", 2), 10, At(0)), IsOk());
  AuditEvent replace = Event("token_permissions.replace", "permissions:/authorization/tokens");

  ASSERT_THAT(
      store().ReplaceTokenPermissions({{AclSubjectKind::kUser, 2, "CAN_USE"}}, {1}, &replace),
      IsOk());

  Result<std::vector<AuditEvent>> events = store().ListAudit(0, 100);
  EXPECT_THAT(Targets(events),
              UnorderedElementsAre("token.revoked_by_permission token:a1",
                                   "token.revoked_by_permission token:a2",
                                   "token_permissions.replace permissions:/authorization/tokens"));
  ASSERT_THAT(events, IsOk());
  for (const AuditEvent& e : *events) {
    EXPECT_EQ(e.actor, "principal:1");
    EXPECT_EQ(e.remote_address, "10.0.0.9");
    if (e.action == "token.revoked_by_permission") EXPECT_EQ(e.detail, R"({"owner_id":1})");
  }
}

}  // namespace
}  // namespace latchkey::store::testing

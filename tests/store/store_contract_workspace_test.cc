// Store contract, part 2: workspace principals, groups, token permissions, PATs, OAuth secrets
// and configuration. The fixture and the per-backend instantiation are in store_contract_test.cc.
#include <sys/types.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <future>
#include <sstream>
#include <thread>

#include "store/store_contract_test.h"

namespace latchkey::store::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::Optional;
using ::testing::UnorderedElementsAre;

std::string Id(int64_t id) { return std::to_string(id); }

// The scheduler state of thread `tid` of this process (proc(5): the field after "(comm)"):
// 'S' or 'D' while it sleeps in the kernel, e.g. waiting for a mutex; '?' if unreadable.
char ThreadState(pid_t tid) {
  std::ifstream in("/proc/self/task/" + std::to_string(tid) + "/stat");
  std::stringstream text;
  text << in.rdbuf();
  const std::string stat = text.str();
  const size_t paren = stat.rfind(')');
  if (paren == std::string::npos || paren + 2 >= stat.size()) return '?';
  return stat[paren + 2];
}

std::vector<std::string> TokenIds(const std::vector<Pat>& pats) {
  std::vector<std::string> ids;
  for (const Pat& pat : pats) ids.push_back(pat.token_id);
  return ids;
}

// ---- Principals ----

TEST_P(StoreContractTest, UserRoundTripsEveryField) {
  Principal user = MakeUser(7000000000000001, "Alice@Example.com");
  user.active = false;
  ASSERT_THAT(store().CreatePrincipal(user), IsOk());

  Result<Principal> got = store().GetPrincipal(user.id);

  ASSERT_THAT(got, IsOk());
  EXPECT_EQ(got->id, user.id);
  EXPECT_EQ(got->kind, PrincipalKind::kUser);
  EXPECT_EQ(got->user_name, "Alice@Example.com");
  EXPECT_EQ(got->application_id, "");
  EXPECT_EQ(got->display_name, user.display_name);
  EXPECT_EQ(got->external_id, user.external_id);
  EXPECT_FALSE(got->active);
  EXPECT_EQ(got->entitlements, user.entitlements);
  EXPECT_EQ(got->created_at, user.created_at);
}

TEST_P(StoreContractTest, ServicePrincipalRoundTripsWithEmptyEntitlements) {
  Principal sp = MakeServicePrincipal(42, "11111111-2222-3333-4444-555555555555");
  ASSERT_THAT(store().CreatePrincipal(sp), IsOk());

  Result<Principal> got = store().FindServicePrincipalByApplicationId(sp.application_id);

  ASSERT_THAT(got, IsOk());
  EXPECT_EQ(got->id, 42);
  EXPECT_EQ(got->kind, PrincipalKind::kServicePrincipal);
  EXPECT_EQ(got->user_name, "");
  EXPECT_TRUE(got->active);
  EXPECT_THAT(got->entitlements, IsEmpty());
  EXPECT_THAT(store().FindServicePrincipalByApplicationId("other"), ErrorIs(ErrorCode::kNotFound));
  EXPECT_THAT(store().GetPrincipal(43), ErrorIs(ErrorCode::kNotFound));
}

TEST_P(StoreContractTest, UserNamesAreCaseInsensitive) {
  ASSERT_THAT(store().CreatePrincipal(MakeUser(1, "alice@example.com")), IsOk());

  Status duplicate = store().CreatePrincipal(MakeUser(2, "ALICE@example.COM"));
  Result<Principal> found = store().FindUserByName("Alice@Example.Com");

  EXPECT_THAT(duplicate, ErrorIs(ErrorCode::kAlreadyExists));
  ASSERT_THAT(found, IsOk());
  EXPECT_EQ(found->id, 1);
  EXPECT_THAT(store().FindUserByName("bob@example.com"), ErrorIs(ErrorCode::kNotFound));
  EXPECT_THAT(store().CreatePrincipal(MakeUser(1, "carol@example.com")),
              ErrorIs(ErrorCode::kAlreadyExists));
}

TEST_P(StoreContractTest, DuplicateServicePrincipalApplicationIdIsAlreadyExists) {
  ASSERT_THAT(store().CreatePrincipal(MakeServicePrincipal(1, "app-1")), IsOk());
  ASSERT_THAT(store().CreatePrincipal(MakeServicePrincipal(2, "app-2")), IsOk());

  EXPECT_THAT(store().CreatePrincipal(MakeServicePrincipal(3, "app-1")),
              ErrorIs(ErrorCode::kAlreadyExists));
}

TEST_P(StoreContractTest, ListPrincipalsFiltersByKindOrderedById) {
  ASSERT_THAT(store().CreatePrincipal(MakeUser(30, "c@x")), IsOk());
  ASSERT_THAT(store().CreatePrincipal(MakeUser(10, "a@x")), IsOk());
  ASSERT_THAT(store().CreatePrincipal(MakeServicePrincipal(20, "app")), IsOk());

  Result<std::vector<Principal>> users = store().ListPrincipals(PrincipalKind::kUser);
  Result<std::vector<Principal>> sps = store().ListPrincipals(PrincipalKind::kServicePrincipal);

  ASSERT_THAT(users, IsOk());
  ASSERT_EQ(users->size(), 2u);
  EXPECT_EQ((*users)[0].id, 10);
  EXPECT_EQ((*users)[1].id, 30);
  ASSERT_THAT(sps, IsOk());
  ASSERT_EQ(sps->size(), 1u);
  EXPECT_EQ((*sps)[0].id, 20);
}

TEST_P(StoreContractTest, UpdatePrincipalReplacesAllButIdKindAndCreatedAt) {
  Principal user = MakeUser(1, "a@x");
  ASSERT_THAT(store().CreatePrincipal(user), IsOk());
  ASSERT_THAT(store().CreatePrincipal(MakeUser(2, "b@x")), IsOk());
  Principal changed = user;
  changed.kind = PrincipalKind::kServicePrincipal;
  changed.user_name = "renamed@x";
  changed.display_name = "Renamed";
  changed.external_id = "ext-new";
  changed.active = false;
  changed.entitlements = {};
  changed.created_at = At(999);
  TakeChanges();

  ASSERT_THAT(store().UpdatePrincipal(changed), IsOk());

  Result<Principal> got = store().GetPrincipal(1);
  ASSERT_THAT(got, IsOk());
  EXPECT_EQ(got->kind, PrincipalKind::kUser);
  EXPECT_EQ(got->user_name, "renamed@x");
  EXPECT_EQ(got->display_name, "Renamed");
  EXPECT_EQ(got->external_id, "ext-new");
  EXPECT_FALSE(got->active);
  EXPECT_THAT(got->entitlements, IsEmpty());
  EXPECT_EQ(got->created_at, user.created_at);
  EXPECT_THAT(TakeChanges(), ElementsAre(Change{ChangeKind::kPrincipalChanged, "1"}));
  changed.user_name = "B@X";
  EXPECT_THAT(store().UpdatePrincipal(changed), ErrorIs(ErrorCode::kAlreadyExists));
  changed.id = 3;
  changed.user_name = "c@x";
  EXPECT_THAT(store().UpdatePrincipal(changed), ErrorIs(ErrorCode::kNotFound));
}

TEST_P(StoreContractTest, DeletePrincipalRemovesPatsSecretsMembershipsAndGrants) {
  ASSERT_THAT(store().CreatePrincipal(MakeUser(1, "a@x")), IsOk());
  ASSERT_THAT(store().CreatePrincipal(MakeUser(2, "b@x")), IsOk());
  ASSERT_THAT(store().CreatePat(MakePat("tok-a", 1), 10, At(0)), IsOk());
  ASSERT_THAT(store().CreatePat(MakePat("tok-b", 2), 10, At(0)), IsOk());
  ASSERT_THAT(store().CreateOAuthSecret({.id = "sec-a",
                                         .principal_id = 1,
                                         .secret_hash = "h",
                                         .created_at = At(0),
                                         .expires_at = At(10)}),
              IsOk());
  ASSERT_THAT(store().CreateGroup({.id = 5, .display_name = "g", .member_ids = {1, 2}}), IsOk());
  ASSERT_THAT(store().ReplaceTokenPermissions({{AclSubjectKind::kUser, 1, "CAN_USE"},
                                               {AclSubjectKind::kUser, 2, "CAN_USE"},
                                               {AclSubjectKind::kGroup, 1, "CAN_MANAGE"}},
                                              {}),
              IsOk());
  TakeChanges();

  ASSERT_THAT(store().DeletePrincipal(1), IsOk());

  EXPECT_THAT(store().GetPrincipal(1), ErrorIs(ErrorCode::kNotFound));
  EXPECT_THAT(store().GetPat("tok-a"), ErrorIs(ErrorCode::kNotFound));
  EXPECT_THAT(store().GetPat("tok-b"), IsOk());
  EXPECT_THAT(store().GetOAuthSecret("sec-a"), ErrorIs(ErrorCode::kNotFound));
  Result<Group> group = store().GetGroup(5);
  ASSERT_THAT(group, IsOk());
  EXPECT_THAT(group->member_ids, ElementsAre(2));
  Result<std::vector<TokenPermission>> grants = store().ListTokenPermissions();
  ASSERT_THAT(grants, IsOk());
  ASSERT_EQ(grants->size(), 2u);  // the user grant of 1 is gone; group 1 is another subject
  EXPECT_EQ((*grants)[0].subject_id, 2);
  EXPECT_EQ((*grants)[1].subject_kind, AclSubjectKind::kGroup);
  EXPECT_THAT(TakeChanges(), UnorderedElementsAre(Change{ChangeKind::kPatDeleted, "tok-a"},
                                                  Change{ChangeKind::kOAuthSecretDeleted, "sec-a"},
                                                  Change{ChangeKind::kPermissionsChanged, ""},
                                                  Change{ChangeKind::kPrincipalChanged, "1"}));
  EXPECT_THAT(store().DeletePrincipal(1), ErrorIs(ErrorCode::kNotFound));
}

// ---- Groups ----

TEST_P(StoreContractTest, GroupsRoundTripWithMembersInOrder) {
  for (int64_t id : {1, 2, 3}) ASSERT_THAT(store().CreatePrincipal(MakeUser(id, Id(id))), IsOk());
  ASSERT_THAT(store().CreateGroup(
                  {.id = 20, .display_name = "admins", .member_ids = {3, 1}, .created_at = At(4)}),
              IsOk());
  ASSERT_THAT(store().CreateGroup({.id = 10, .display_name = "empty", .created_at = At(5)}),
              IsOk());

  Result<Group> got = store().GetGroup(20);
  Result<Group> by_name = store().FindGroupByName("admins");
  Result<std::vector<Group>> all = store().ListGroups();

  ASSERT_THAT(got, IsOk());
  EXPECT_EQ(got->display_name, "admins");
  EXPECT_THAT(got->member_ids, ElementsAre(3, 1));
  EXPECT_EQ(got->created_at, At(4));
  ASSERT_THAT(by_name, IsOk());
  EXPECT_EQ(by_name->id, 20);
  EXPECT_THAT(by_name->member_ids, ElementsAre(3, 1));
  ASSERT_THAT(all, IsOk());
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].id, 10);
  EXPECT_THAT((*all)[0].member_ids, IsEmpty());
  EXPECT_THAT((*all)[1].member_ids, ElementsAre(3, 1));
  EXPECT_THAT(store().GroupsOfPrincipal(1), Optional(ElementsAre(20)));
  EXPECT_THAT(store().GroupsOfPrincipal(2), Optional(IsEmpty()));
  EXPECT_THAT(store().GetGroup(99), ErrorIs(ErrorCode::kNotFound));
  EXPECT_THAT(store().FindGroupByName("ADMINS"), ErrorIs(ErrorCode::kNotFound));
}

TEST_P(StoreContractTest, GroupErrors) {
  ASSERT_THAT(store().CreatePrincipal(MakeUser(1, "a@x")), IsOk());
  ASSERT_THAT(store().CreateGroup({.id = 1, .display_name = "g"}), IsOk());

  EXPECT_THAT(store().CreateGroup({.id = 2, .display_name = "g"}),
              ErrorIs(ErrorCode::kAlreadyExists));
  EXPECT_THAT(store().CreateGroup({.id = 1, .display_name = "h"}),
              ErrorIs(ErrorCode::kAlreadyExists));
  EXPECT_THAT(store().CreateGroup({.id = 3, .display_name = "k", .member_ids = {1, 404}}),
              ErrorIs(ErrorCode::kNotFound));
  EXPECT_THAT(store().GetGroup(3), ErrorIs(ErrorCode::kNotFound));  // nothing half-created
}

TEST_P(StoreContractTest, UpdateGroupReplacesNameAndMembers) {
  for (int64_t id : {1, 2, 3}) ASSERT_THAT(store().CreatePrincipal(MakeUser(id, Id(id))), IsOk());
  ASSERT_THAT(store().CreateGroup({.id = 9, .display_name = "old", .member_ids = {1, 2}}), IsOk());
  ASSERT_THAT(store().CreateGroup({.id = 8, .display_name = "other"}), IsOk());
  TakeChanges();

  ASSERT_THAT(store().UpdateGroup({.id = 9, .display_name = "new", .member_ids = {2, 3}}), IsOk());

  Result<Group> got = store().GetGroup(9);
  ASSERT_THAT(got, IsOk());
  EXPECT_EQ(got->display_name, "new");
  EXPECT_THAT(got->member_ids, ElementsAre(2, 3));
  EXPECT_THAT(TakeChanges(), UnorderedElementsAre(Change{ChangeKind::kPrincipalChanged, "1"},
                                                  Change{ChangeKind::kPrincipalChanged, "3"}));
  EXPECT_THAT(store().UpdateGroup({.id = 9, .display_name = "new", .member_ids = {404}}),
              ErrorIs(ErrorCode::kNotFound));
  EXPECT_THAT(store().GetGroup(9),
              Optional(::testing::Field(&Group::member_ids, ElementsAre(2, 3))));
  EXPECT_THAT(store().UpdateGroup({.id = 9, .display_name = "other"}),
              ErrorIs(ErrorCode::kAlreadyExists));
  EXPECT_THAT(store().UpdateGroup({.id = 7, .display_name = "x"}), ErrorIs(ErrorCode::kNotFound));
}

TEST_P(StoreContractTest, DeleteGroupRemovesMembershipsAndGrants) {
  ASSERT_THAT(store().CreatePrincipal(MakeUser(1, "a@x")), IsOk());
  ASSERT_THAT(store().CreateGroup({.id = 9, .display_name = "g", .member_ids = {1}}), IsOk());
  ASSERT_THAT(store().ReplaceTokenPermissions({{AclSubjectKind::kGroup, 9, "CAN_USE"}}, {}),
              IsOk());
  TakeChanges();

  ASSERT_THAT(store().DeleteGroup(9), IsOk());

  EXPECT_THAT(store().GetGroup(9), ErrorIs(ErrorCode::kNotFound));
  EXPECT_THAT(store().GroupsOfPrincipal(1), Optional(IsEmpty()));
  EXPECT_THAT(store().ListTokenPermissions(), Optional(IsEmpty()));
  EXPECT_THAT(TakeChanges(), UnorderedElementsAre(Change{ChangeKind::kPermissionsChanged, ""},
                                                  Change{ChangeKind::kPrincipalChanged, "1"}));
  EXPECT_THAT(store().DeleteGroup(9), ErrorIs(ErrorCode::kNotFound));
}

// ---- Token permissions ----

TEST_P(StoreContractTest, ReplaceTokenPermissionsReplacesGrantsAndRevokesTokens) {
  for (int64_t id : {1, 2}) ASSERT_THAT(store().CreatePrincipal(MakeUser(id, Id(id))), IsOk());
  ASSERT_THAT(store().CreatePat(MakePat("a1", 1), 10, At(0)), IsOk());
  ASSERT_THAT(store().CreatePat(MakePat("a2", 1), 10, At(0)), IsOk());
  ASSERT_THAT(store().CreatePat(MakePat("b1", 2), 10, At(0)), IsOk());
  ASSERT_THAT(store().ReplaceTokenPermissions({{AclSubjectKind::kUser, 1, "CAN_USE"}}, {}), IsOk());
  TakeChanges();

  ASSERT_THAT(store().ReplaceTokenPermissions({{AclSubjectKind::kServicePrincipal, 2, "CAN_USE"},
                                               {AclSubjectKind::kGroup, 7, "CAN_MANAGE"}},
                                              {1}),
              IsOk());

  Result<std::vector<TokenPermission>> grants = store().ListTokenPermissions();
  ASSERT_THAT(grants, IsOk());
  ASSERT_EQ(grants->size(), 2u);
  EXPECT_EQ((*grants)[0].subject_kind, AclSubjectKind::kServicePrincipal);
  EXPECT_EQ((*grants)[0].subject_id, 2);
  EXPECT_EQ((*grants)[0].permission_level, "CAN_USE");
  EXPECT_EQ((*grants)[1].subject_kind, AclSubjectKind::kGroup);
  EXPECT_EQ((*grants)[1].permission_level, "CAN_MANAGE");
  EXPECT_THAT(store().ListPats(0, At(0)),
              Optional(::testing::ResultOf(TokenIds, ElementsAre("b1"))));
  EXPECT_THAT(TakeChanges(), UnorderedElementsAre(Change{ChangeKind::kPermissionsChanged, ""},
                                                  Change{ChangeKind::kPatDeleted, "a1"},
                                                  Change{ChangeKind::kPatDeleted, "a2"}));
}

TEST_P(StoreContractTest, FailedReplaceTokenPermissionsChangesNothing) {
  ASSERT_THAT(store().CreatePrincipal(MakeUser(1, "a@x")), IsOk());
  ASSERT_THAT(store().CreatePat(MakePat("a1", 1), 10, At(0)), IsOk());
  ASSERT_THAT(store().ReplaceTokenPermissions({{AclSubjectKind::kUser, 1, "CAN_USE"}}, {}), IsOk());
  TakeChanges();

  // The same subject twice violates the grants' key after the old grants were deleted.
  Status replaced = store().ReplaceTokenPermissions(
      {{AclSubjectKind::kGroup, 3, "CAN_USE"}, {AclSubjectKind::kGroup, 3, "CAN_MANAGE"}}, {1});

  EXPECT_THAT(replaced, ErrorIs(ErrorCode::kAlreadyExists));
  EXPECT_THAT(store().ListTokenPermissions(),
              Optional(ElementsAre(::testing::Field(&TokenPermission::subject_id, 1))));
  EXPECT_THAT(store().GetPat("a1"), IsOk());
  EXPECT_THAT(TakeChanges(), IsEmpty());
}

// ---- PATs ----

TEST_P(StoreContractTest, PatRoundTripsEveryField) {
  ASSERT_THAT(store().CreatePrincipal(MakeUser(1, "a@x")), IsOk());
  ASSERT_THAT(store().CreatePrincipal(MakeUser(2, "b@x")), IsOk());
  Pat full{.token_id = "f00d",
           .owner_id = 1,
           .created_by_id = 2,
           .comment = "ci token",
           .created_at = At(1),
           .expires_at = At(3600),
           .last_used_day = At(0),
           .scopes = {"all-apis", "sql"}};
  Pat bare{.token_id = "beef", .owner_id = 1, .created_by_id = 1, .created_at = At(2)};
  ASSERT_THAT(store().CreatePat(full, 10, At(1)), IsOk());
  ASSERT_THAT(store().CreatePat(bare, 10, At(1)), IsOk());

  Result<Pat> got = store().GetPat("f00d");
  Result<Pat> got_bare = store().GetPat("beef");

  ASSERT_THAT(got, IsOk());
  EXPECT_EQ(got->token_id, "f00d");
  EXPECT_EQ(got->owner_id, 1);
  EXPECT_EQ(got->created_by_id, 2);
  EXPECT_EQ(got->comment, "ci token");
  EXPECT_EQ(got->created_at, At(1));
  EXPECT_EQ(got->expires_at, At(3600));
  EXPECT_EQ(got->last_used_day, At(0));
  EXPECT_THAT(got->scopes, ElementsAre("all-apis", "sql"));
  ASSERT_THAT(got_bare, IsOk());
  EXPECT_EQ(got_bare->comment, "");
  EXPECT_EQ(got_bare->expires_at, std::nullopt);
  EXPECT_EQ(got_bare->last_used_day, std::nullopt);
  EXPECT_THAT(got_bare->scopes, IsEmpty());
  EXPECT_THAT(store().GetPat("nope"), ErrorIs(ErrorCode::kNotFound));
  EXPECT_THAT(store().CreatePat(full, 10, At(1)), ErrorIs(ErrorCode::kAlreadyExists));
  EXPECT_THAT(store().CreatePat(MakePat("orphan", 404), 10, At(1)), ErrorIs(ErrorCode::kNotFound));
}

TEST_P(StoreContractTest, PatQuotaAllowsExactlyTheLimitAndPurgesTheOwnersExpiredTokens) {
  ASSERT_THAT(store().CreatePrincipal(MakeUser(1, "a@x")), IsOk());
  ASSERT_THAT(store().CreatePrincipal(MakeUser(2, "b@x")), IsOk());
  ASSERT_THAT(store().CreatePat(MakePat("expired", 1, At(10)), 3, At(0)), IsOk());
  ASSERT_THAT(store().CreatePat(MakePat("b-expired", 2, At(10)), 3, At(0)), IsOk());
  TimePoint now = At(10);  // both expire exactly now: no longer live

  ASSERT_THAT(store().CreatePat(MakePat("p1", 1), 3, now), IsOk());
  ASSERT_THAT(store().CreatePat(MakePat("p2", 1, At(100)), 3, now), IsOk());
  ASSERT_THAT(store().CreatePat(MakePat("p3", 1), 3, now), IsOk());
  Status fourth = store().CreatePat(MakePat("p4", 1), 3, now);

  EXPECT_THAT(fourth, ErrorIs(ErrorCode::kResourceExhausted));
  EXPECT_THAT(store().GetPat("p4"), ErrorIs(ErrorCode::kNotFound));
  // The owner's expired row went with its first create; another owner's is left alone.
  EXPECT_THAT(store().GetPat("expired"), ErrorIs(ErrorCode::kNotFound));
  EXPECT_THAT(store().GetPat("b-expired"), IsOk());
  EXPECT_THAT(store().CreatePat(MakePat("other-owner", 2), 3, now), IsOk());
  EXPECT_THAT(store().CountPats(), Optional(4));
}

TEST_P(StoreContractTest, PatQuotaCountsShortLivedTokensUntilTheyExpire) {
  // Issue 25 finding 4: tokens that expire within a second must not let a loop of creates
  // pile rows up past the quota.
  ASSERT_THAT(store().CreatePrincipal(MakeUser(1, "a@x")), IsOk());
  for (int i = 0; i < 10; ++i) {
    ASSERT_THAT(store().CreatePat(MakePat("t" + std::to_string(i), 1, At(2 * i + 1), 2 * i), 2,
                                  At(2 * i)),
                IsOk());
    EXPECT_THAT(store().CountPats(), Optional(::testing::Le(2)));
  }
  ASSERT_THAT(store().CreatePat(MakePat("live-a", 1, At(1000)), 2, At(100)), IsOk());
  ASSERT_THAT(store().CreatePat(MakePat("live-b", 1, At(1000)), 2, At(100)), IsOk());
  EXPECT_THAT(store().CreatePat(MakePat("third", 1, At(1000)), 2, At(100)),
              ErrorIs(ErrorCode::kResourceExhausted));
  EXPECT_THAT(store().CountPats(), Optional(2));
}

TEST_P(StoreContractTest, PurgeExpiredPatsDeletesOnlyExpiredRowsOfEveryOwner) {
  ASSERT_THAT(store().CreatePrincipal(MakeUser(1, "a@x")), IsOk());
  ASSERT_THAT(store().CreatePrincipal(MakeUser(2, "b@x")), IsOk());
  ASSERT_THAT(store().CreatePat(MakePat("a-old", 1, At(5)), 10, At(0)), IsOk());
  ASSERT_THAT(store().CreatePat(MakePat("a-now", 1, At(10)), 10, At(0)), IsOk());
  ASSERT_THAT(store().CreatePat(MakePat("a-later", 1, At(11)), 10, At(0)), IsOk());
  ASSERT_THAT(store().CreatePat(MakePat("a-never", 1), 10, At(0)), IsOk());
  ASSERT_THAT(store().CreatePat(MakePat("b-old", 2, At(1)), 10, At(0)), IsOk());
  TakeChanges();

  EXPECT_THAT(store().PurgeExpiredPats(At(10)), Optional(3));

  EXPECT_THAT(TakeChanges(), IsEmpty());
  EXPECT_THAT(store().CountPats(), Optional(2));
  EXPECT_THAT(store().GetPat("a-later"), IsOk());
  EXPECT_THAT(store().GetPat("a-never"), IsOk());
  EXPECT_THAT(store().GetPat("b-old"), ErrorIs(ErrorCode::kNotFound));
  EXPECT_THAT(store().PurgeExpiredPats(At(10)), Optional(0));
}

TEST_P(StoreContractTest, ListPatsHidesExpiredOldestFirstPerOwnerOrAll) {
  ASSERT_THAT(store().CreatePrincipal(MakeUser(1, "a@x")), IsOk());
  ASSERT_THAT(store().CreatePrincipal(MakeUser(2, "b@x")), IsOk());
  ASSERT_THAT(store().CreatePat(MakePat("late", 1, std::nullopt, 5), 10, At(0)), IsOk());
  ASSERT_THAT(store().CreatePat(MakePat("early", 1, At(100), 1), 10, At(0)), IsOk());
  ASSERT_THAT(store().CreatePat(MakePat("gone", 1, At(50), 0), 10, At(0)), IsOk());
  ASSERT_THAT(store().CreatePat(MakePat("b", 2, std::nullopt, 3), 10, At(0)), IsOk());

  Result<std::vector<Pat>> mine = store().ListPats(1, At(50));
  Result<std::vector<Pat>> everyone = store().ListPats(0, At(50));

  ASSERT_THAT(mine, IsOk());
  EXPECT_THAT(TokenIds(*mine), ElementsAre("early", "late"));
  ASSERT_THAT(everyone, IsOk());
  EXPECT_THAT(TokenIds(*everyone), ElementsAre("early", "b", "late"));
  EXPECT_THAT(store().ListPats(0, At(100)),
              Optional(::testing::ResultOf(TokenIds, ElementsAre("b", "late"))));
  EXPECT_THAT(store().ListPats(3, At(0)), Optional(IsEmpty()));
}

TEST_P(StoreContractTest, DeletePatNotifiesAndThenIsNotFound) {
  ASSERT_THAT(store().CreatePrincipal(MakeUser(1, "a@x")), IsOk());
  ASSERT_THAT(store().CreatePat(MakePat("t", 1), 10, At(0)), IsOk());
  TakeChanges();

  ASSERT_THAT(store().DeletePat("t"), IsOk());

  EXPECT_THAT(TakeChanges(), ElementsAre(Change{ChangeKind::kPatDeleted, "t"}));
  EXPECT_THAT(store().GetPat("t"), ErrorIs(ErrorCode::kNotFound));
  EXPECT_THAT(store().DeletePat("t"), ErrorIs(ErrorCode::kNotFound));
  EXPECT_THAT(store().CountPats(), Optional(0));
}

TEST_P(StoreContractTest, TouchPatsSetsLastUsedDayAndIgnoresMissingIds) {
  ASSERT_THAT(store().CreatePrincipal(MakeUser(1, "a@x")), IsOk());
  ASSERT_THAT(store().CreatePat(MakePat("t1", 1), 10, At(0)), IsOk());
  ASSERT_THAT(store().CreatePat(MakePat("t2", 1), 10, At(0)), IsOk());
  ASSERT_THAT(store().CreatePat(MakePat("t3", 1), 10, At(0)), IsOk());

  ASSERT_THAT(store().TouchPats({"t1", "missing", "t3"}, At(86400)), IsOk());

  EXPECT_THAT(store().GetPat("t1"), Optional(::testing::Field(&Pat::last_used_day, At(86400))));
  EXPECT_THAT(store().GetPat("t2"), Optional(::testing::Field(&Pat::last_used_day, std::nullopt)));
  EXPECT_THAT(store().GetPat("t3"), Optional(::testing::Field(&Pat::last_used_day, At(86400))));
  EXPECT_THAT(store().TouchPats({}, At(0)), IsOk());
}

// ---- OAuth secrets ----

TEST_P(StoreContractTest, OAuthSecretsRoundTripListAndDelete) {
  ASSERT_THAT(store().CreatePrincipal(MakeServicePrincipal(1, "app")), IsOk());
  OAuthSecret second{.id = "s2",
                     .principal_id = 1,
                     .secret_hash = "h2",
                     .created_at = At(2),
                     .expires_at = At(200)};
  OAuthSecret first{.id = "s1",
                    .principal_id = 1,
                    .secret_hash = "h1",
                    .created_at = At(1),
                    .expires_at = At(100)};
  ASSERT_THAT(store().CreateOAuthSecret(second), IsOk());
  ASSERT_THAT(store().CreateOAuthSecret(first), IsOk());
  TakeChanges();

  Result<OAuthSecret> got = store().GetOAuthSecret("s1");
  ASSERT_THAT(got, IsOk());
  EXPECT_EQ(got->principal_id, 1);
  EXPECT_EQ(got->secret_hash, "h1");
  EXPECT_EQ(got->created_at, At(1));
  EXPECT_EQ(got->expires_at, At(100));
  Result<std::vector<OAuthSecret>> listed = store().ListOAuthSecrets(1);
  ASSERT_THAT(listed, IsOk());
  ASSERT_EQ(listed->size(), 2u);
  EXPECT_EQ((*listed)[0].id, "s1");
  EXPECT_EQ((*listed)[1].id, "s2");
  EXPECT_THAT(store().CreateOAuthSecret(first), ErrorIs(ErrorCode::kAlreadyExists));

  ASSERT_THAT(store().DeleteOAuthSecret("s1"), IsOk());

  EXPECT_THAT(TakeChanges(), ElementsAre(Change{ChangeKind::kOAuthSecretDeleted, "s1"}));
  EXPECT_THAT(store().GetOAuthSecret("s1"), ErrorIs(ErrorCode::kNotFound));
  EXPECT_THAT(store().DeleteOAuthSecret("s1"), ErrorIs(ErrorCode::kNotFound));
  EXPECT_THAT(store().ListOAuthSecrets(2), Optional(IsEmpty()));
}

// ---- Configuration ----

TEST_P(StoreContractTest, ConfSetOverwriteGetDelete) {
  EXPECT_THAT(store().GetConf("maxTokenLifetimeDays"), ErrorIs(ErrorCode::kNotFound));

  ASSERT_THAT(store().SetConf("maxTokenLifetimeDays", "90"), IsOk());
  ASSERT_THAT(store().SetConf("maxTokenLifetimeDays", "30"), IsOk());

  EXPECT_THAT(store().GetConf("maxTokenLifetimeDays"), Optional(std::string("30")));
  ASSERT_THAT(store().DeleteConf("maxTokenLifetimeDays"), IsOk());
  EXPECT_THAT(store().GetConf("maxTokenLifetimeDays"), ErrorIs(ErrorCode::kNotFound));
  EXPECT_THAT(store().DeleteConf("maxTokenLifetimeDays"), ErrorIs(ErrorCode::kNotFound));
  EXPECT_THAT(TakeChanges(), ElementsAre(Change{ChangeKind::kConfChanged, "maxTokenLifetimeDays"},
                                         Change{ChangeKind::kConfChanged, "maxTokenLifetimeDays"},
                                         Change{ChangeKind::kConfChanged, "maxTokenLifetimeDays"}));
}

TEST_P(StoreContractTest, FailedWritesNotifyNobody) {
  ASSERT_THAT(store().CreatePrincipal(MakeUser(1, "a@x")), IsOk());
  TakeChanges();

  EXPECT_THAT(store().DeletePat("missing"), ErrorIs(ErrorCode::kNotFound));
  EXPECT_THAT(store().DeleteOAuthSecret("missing"), ErrorIs(ErrorCode::kNotFound));
  EXPECT_THAT(store().DeletePrincipal(2), ErrorIs(ErrorCode::kNotFound));

  EXPECT_THAT(TakeChanges(), IsEmpty());
}

TEST_P(StoreContractTest, ResetSubscriptionHearsNothingMore) {
  std::atomic<int> heard{0};
  ChangeSubscription subscription = store().AddChangeListener([&](const Change&) { ++heard; });
  ASSERT_THAT(store().SetConf("k", "1"), IsOk());
  EXPECT_THAT(TakeChanges(), Not(IsEmpty()));
  const int before = heard.load();
  EXPECT_GT(before, 0);

  subscription.Reset();
  EXPECT_FALSE(subscription.active());
  ASSERT_THAT(store().SetConf("k", "2"), IsOk());
  EXPECT_THAT(TakeChanges(), Not(IsEmpty()));  // the fixture's own listener still hears
  EXPECT_EQ(heard.load(), before);
}

// Once Reset returns the listener is not running and never runs again: what it captured may go.
// The order is observed, not timed: Reset is called while the listener is held inside a call,
// the resetting thread (which does nothing else) is seen asleep in Reset before the listener is
// let go, and when Reset returns the call has finished.
TEST_P(StoreContractTest, ResetWaitsForACallInProgress) {
  std::promise<void> entered;
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::atomic<bool> first{true};
  std::atomic<bool> call_finished{false};
  ChangeSubscription subscription = store().AddChangeListener([&](const Change&) {
    if (first.exchange(false)) {
      entered.set_value();
      released.wait();
      call_finished = true;
    }
  });
  std::future<void> listener_entered = entered.get_future();
  std::thread writer([&] { EXPECT_THAT(store().SetConf("k", "1"), IsOk()); });
  if (listener_entered.wait_for(std::chrono::seconds(10)) != std::future_status::ready) {
    writer.join();
    FAIL() << "the listener was never called";
  }
  std::atomic<pid_t> resetter_tid{0};
  std::atomic<bool> reset_returned{false};
  std::atomic<bool> call_finished_at_return{false};
  std::thread resetter([&] {
    resetter_tid = ::gettid();
    subscription.Reset();
    call_finished_at_return = call_finished.load();
    reset_returned = true;
  });
  // Until Reset returns (it must not) or the resetter is seen asleep on 3 polls in a row.
  int asleep = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (asleep < 3 && !reset_returned && std::chrono::steady_clock::now() < deadline) {
    const pid_t tid = resetter_tid.load();
    const char state = tid == 0 ? 'R' : ThreadState(tid);
    asleep = (state == 'S' || state == 'D') ? asleep + 1 : 0;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  EXPECT_FALSE(reset_returned.load()) << "Reset returned while its listener was running";
  EXPECT_EQ(asleep, 3) << "the resetting thread was never seen waiting in Reset";
  release.set_value();
  resetter.join();
  writer.join();
  EXPECT_TRUE(reset_returned.load());
  EXPECT_TRUE(call_finished_at_return.load()) << "Reset returned before the call in progress ended";
}

TEST_P(StoreContractTest, ListenerMayResetItsOwnSubscription) {
  int heard = 0;
  ChangeSubscription subscription;
  subscription = store().AddChangeListener([&](const Change&) {
    ++heard;
    subscription.Reset();
  });
  ASSERT_THAT(store().SetConf("k", "1"), IsOk());
  ASSERT_THAT(store().SetConf("k", "2"), IsOk());
  EXPECT_EQ(heard, 1);
  EXPECT_FALSE(subscription.active());
}

}  // namespace
}  // namespace latchkey::store::testing

// CopyStore between backends: SQLite to SQLite always; SQLite to PostgreSQL and back when
// LATCHKEY_TEST_POSTGRES_URL is set. Every record, hash and timestamp must survive the trip.
#include "store/copy_store.h"

#include <sstream>
#include <string>

#include "store/postgres_test_support.h"
#include "store/store_contract_test.h"

namespace latchkey::store::testing {
namespace {

std::string Join(const std::vector<std::string>& values) {
  std::string out = "[";
  for (const std::string& value : values) out += value + ";";
  return out + "]";
}
// The value of a listing by value (a range-for over `*result` of a temporary would dangle).
template <class T>
T Rows(Result<T> result) {
  EXPECT_THAT(result, IsOk());
  return result ? std::move(*result) : T{};
}
int64_t Ms(TimePoint t) { return ToUnixMillis(t); }
std::string Ms(const std::optional<TimePoint>& t) { return t ? std::to_string(Ms(*t)) : "-"; }

// Everything a Store holds, as text (audit seq numbers left out: the destination assigns its
// own).
std::string Dump(Store& store) {
  std::ostringstream out;
  for (const Tenant& t : Rows(store.ListTenants())) {
    out << "tenant " << t.id << " " << t.display_name << " " << Ms(t.created_at) << "\n";
    for (const Application& a : Rows(store.ListApplications(t.id))) {
      out << " app " << a.object_id << " " << a.app_id << " " << a.tenant_id << " "
          << a.display_name << " " << Join(a.identifier_uris) << " " << Join(a.granted_roles) << " "
          << Ms(a.created_at) << "\n";
      for (const PasswordCredential& c : Rows(store.ListPasswordCredentials(a.object_id))) {
        out << "  password " << c.key_id << " " << c.display_name << " " << c.hint << " "
            << c.secret_hash << " " << Ms(c.start_at) << " " << Ms(c.end_at) << "\n";
      }
      for (const CertificateCredential& c : Rows(store.ListCertificateCredentials(a.object_id))) {
        out << "  certificate " << c.key_id << " " << c.display_name << " " << c.certificate_pem
            << " " << c.thumbprint_sha1 << " " << Ms(c.start_at) << " " << Ms(c.end_at) << "\n";
      }
    }
    for (const DirectoryServicePrincipal& sp : Rows(store.ListDirectoryServicePrincipals(t.id))) {
      out << " sp " << sp.object_id << " " << sp.app_id << " " << sp.display_name << " "
          << Ms(sp.created_at) << "\n";
    }
  }
  for (const SigningKey& k : Rows(store.ListSigningKeys())) {
    out << "key " << k.kid << " " << k.public_pem << " " << Ms(k.created_at) << " "
        << Ms(k.retired_at) << "\n";
  }
  for (PrincipalKind kind : {PrincipalKind::kUser, PrincipalKind::kServicePrincipal}) {
    for (const Principal& p : Rows(store.ListPrincipals(kind))) {
      out << "principal " << p.id << " " << static_cast<int>(p.kind) << " " << p.user_name << " "
          << p.application_id << " " << p.display_name << " " << p.external_id << " " << p.active
          << " " << Join(p.entitlements) << " " << Ms(p.created_at) << "\n";
      for (const OAuthSecret& s : Rows(store.ListOAuthSecrets(p.id))) {
        out << " oauth " << s.id << " " << s.secret_hash << " " << Ms(s.created_at) << " "
            << Ms(s.expires_at) << "\n";
      }
    }
  }
  for (int64_t owner : {int64_t{0}, int64_t{42}}) {
    for (const FederationPolicy& f : Rows(store.ListFederationPolicies(owner))) {
      out << "federation " << f.service_principal_id << " " << f.policy_id << " " << f.uid << " "
          << f.description << " " << f.issuer << " " << Join(f.audiences) << " " << f.subject
          << " " << f.subject_claim << " " << Ms(f.created_at) << " " << Ms(f.updated_at) << "\n";
    }
  }
  for (const Group& g : Rows(store.ListGroups())) {
    out << "group " << g.id << " " << g.display_name << " " << Ms(g.created_at) << " [";
    for (int64_t member : g.member_ids) out << member << ";";
    out << "]\n";
  }
  for (const TokenPermission& p : Rows(store.ListTokenPermissions())) {
    out << "grant " << static_cast<int>(p.subject_kind) << " " << p.subject_id << " "
        << p.permission_level << "\n";
  }
  for (const RefreshToken& t : Rows(store.ListRefreshTokens())) {
    out << "refresh " << t.token_hash << " " << t.family_id << " " << t.principal_id << " "
        << t.client_id << " " << t.scope << " " << Ms(t.created_at) << " " << Ms(t.expires_at)
        << " " << Ms(t.used_at) << " " << t.revoked << "\n";
  }
  for (const WebSession& w : Rows(store.ListWebSessions(0))) {
    out << "web " << w.id << " " << w.token_hash << " " << w.principal_id << " " << w.provider_id
        << " " << Ms(w.created_at) << " " << Ms(w.last_seen_at) << " " << Ms(w.expires_at) << " "
        << w.address << " " << w.user_agent << "\n";
  }
  for (const Pat& p : Rows(store.ListPats(0, TimePoint{}))) {
    out << "pat " << p.token_id << " " << p.owner_id << " " << p.created_by_id << " " << p.comment
        << " " << Ms(p.created_at) << " " << Ms(p.expires_at) << " " << Ms(p.last_used_day) << " "
        << Join(p.scopes) << "\n";
  }
  for (const char* key : kCopiedConfKeys) {
    Result<std::string> value = store.GetConf(key);
    out << "conf " << key << " " << (value ? *value : "-") << "\n";
  }
  for (const AuditEvent& e : Rows(store.ListAudit(0, 100000))) {
    out << "audit " << Ms(e.at) << " " << e.actor << " " << e.action << " " << e.target << " "
        << e.detail << " " << e.remote_address << "\n";
  }
  return out.str();
}

// A store with at least one of everything, including the awkward cases: an application whose
// home service principal was deleted, a retired key, an expired PAT, an empty group.
void Populate(Store& store) {
  ASSERT_THAT(store.CreateTenant({.id = "t1", .display_name = "One", .created_at = At(1)}), IsOk());
  ASSERT_THAT(store.CreateTenant({.id = "t2", .display_name = "Two", .created_at = At(1)}), IsOk());
  Application app{.object_id = "obj-a",
                  .app_id = "app-a",
                  .tenant_id = "t1",
                  .display_name = "A",
                  .identifier_uris = {"api://a"},
                  .granted_roles = {"Application.ReadWrite.All"},
                  .created_at = At(2)};
  ASSERT_THAT(store.CreateApplication(app, {.object_id = "sp-a-t1",
                                            .app_id = "app-a",
                                            .tenant_id = "t1",
                                            .display_name = "A",
                                            .created_at = At(2)}),
              IsOk());
  ASSERT_THAT(store.CreateDirectoryServicePrincipal({.object_id = "sp-a-t2",
                                                     .app_id = "app-a",
                                                     .tenant_id = "t2",
                                                     .display_name = "A",
                                                     .created_at = At(3)}),
              IsOk());
  Application orphan{.object_id = "obj-b",
                     .app_id = "app-b",
                     .tenant_id = "t2",
                     .display_name = "B",
                     .created_at = At(3)};
  ASSERT_THAT(
      store.CreateApplication(
          orphan, {.object_id = "sp-b", .app_id = "app-b", .tenant_id = "t2", .created_at = At(3)}),
      IsOk());
  ASSERT_THAT(store.DeleteDirectoryServicePrincipal("sp-b"), IsOk());
  ASSERT_THAT(store.AddPasswordCredential({.key_id = "k1",
                                           .app_object_id = "obj-a",
                                           .display_name = "ci",
                                           .hint = "abc",
                                           .secret_hash = "hash-of-secret",
                                           .start_at = At(4)}),
              IsOk());
  ASSERT_THAT(store.AddCertificateCredential({.key_id = "c1",
                                              .app_object_id = "obj-a",
                                              .display_name = "cert",
                                              .certificate_pem = "PEM",
                                              .thumbprint_sha1 = "AB",
                                              .start_at = At(4),
                                              .end_at = At(400)}),
              IsOk());
  ASSERT_THAT(store.AddSigningKey(
                  {.kid = "old", .public_pem = "p0", .created_at = At(0), .retired_at = At(5)}),
              IsOk());
  ASSERT_THAT(store.AddSigningKey({.kid = "new", .public_pem = "p1", .created_at = At(5)}), IsOk());
  Principal user{.id = 7000000000000001,
                 .kind = PrincipalKind::kUser,
                 .user_name = "Admin@Example.com",
                 .display_name = "Admin",
                 .external_id = "x",
                 .active = true,
                 .entitlements = {"workspace-access"},
                 .created_at = At(6)};
  Principal sp{.id = 42,
               .kind = PrincipalKind::kServicePrincipal,
               .application_id = "app-a",
               .display_name = "SP",
               .active = false,
               .created_at = At(6)};
  ASSERT_THAT(store.CreatePrincipal(user), IsOk());
  ASSERT_THAT(store.CreatePrincipal(sp), IsOk());
  // A U2M family: a rotated (used) token and its live successor; and a revoked family.
  RefreshToken first{.token_hash = "rt-1", .family_id = "fam-a", .principal_id = user.id,
                     .client_id = "databricks-cli", .scope = "all-apis offline_access",
                     .created_at = At(7), .expires_at = At(90)};
  ASSERT_THAT(store.CreateRefreshToken(first), IsOk());
  RefreshToken second = first;
  second.token_hash = "rt-2";
  second.created_at = At(8);
  ASSERT_TRUE(store.RotateRefreshToken("rt-1", second).has_value());
  RefreshToken other = first;
  other.token_hash = "rt-3";
  other.family_id = "fam-b";
  ASSERT_THAT(store.CreateRefreshToken(other), IsOk());
  ASSERT_TRUE(store.RevokeRefreshTokenFamily("fam-b").has_value());
  ASSERT_THAT(store.CreateWebSession({.id = "ws-1", .token_hash = "wh-1", .principal_id = user.id,
                                      .provider_id = "dev", .created_at = At(7),
                                      .last_seen_at = At(7), .expires_at = At(900),
                                      .address = "::1", .user_agent = "UA"},
                                     20, At(0)),
              IsOk());
  ASSERT_THAT(store.TouchWebSession("ws-1", At(9)), IsOk());
  ASSERT_THAT(store.CreateFederationPolicy({.policy_id = "corp",
                                            .uid = "fp-1",
                                            .description = "idp",
                                            .issuer = "https://idp.example",
                                            .subject_claim = "email",
                                            .created_at = At(7),
                                            .updated_at = At(8)},
                                           20),
              IsOk());
  ASSERT_THAT(store.CreateFederationPolicy({.policy_id = "gha",
                                            .uid = "fp-2",
                                            .service_principal_id = 42,
                                            .issuer = "https://token.actions.example",
                                            .audiences = {"a1", "a2"},
                                            .subject = "repo:o/r:ref:main",
                                            .created_at = At(7),
                                            .updated_at = At(7)},
                                           20),
              IsOk());
  ASSERT_THAT(store.CreateOAuthSecret({.id = "os1",
                                       .principal_id = 42,
                                       .secret_hash = "oh",
                                       .created_at = At(7),
                                       .expires_at = At(70)}),
              IsOk());
  ASSERT_THAT(store.CreateGroup({.id = 100,
                                 .display_name = "admins",
                                 .member_ids = {42, 7000000000000001},
                                 .created_at = At(8)}),
              IsOk());
  ASSERT_THAT(store.CreateGroup({.id = 101, .display_name = "empty", .created_at = At(8)}), IsOk());
  ASSERT_THAT(store.ReplaceTokenPermissions({{AclSubjectKind::kGroup, 101, "CAN_USE"},
                                             {AclSubjectKind::kServicePrincipal, 42, "CAN_MANAGE"}},
                                            {}),
              IsOk());
  ASSERT_THAT(store.CreatePat({.token_id = "live",
                               .owner_id = 42,
                               .created_by_id = 7000000000000001,
                               .comment = "ci",
                               .created_at = At(9),
                               .expires_at = At(9000),
                               .last_used_day = At(0),
                               .scopes = {"all-apis"}},
                              10, At(9)),
              IsOk());
  ASSERT_THAT(store.CreatePat({.token_id = "expired",
                               .owner_id = 42,
                               .created_by_id = 42,
                               .created_at = At(1),
                               .expires_at = At(2)},
                              10, At(1)),
              IsOk());
  ASSERT_THAT(store.SetConf("maxTokenLifetimeDays", "90"), IsOk());
  for (int i = 0; i < 3; ++i) {
    ASSERT_THAT(store.AppendAudit({.at = At(10 + i),
                                   .actor = "system",
                                   .action = "token.create",
                                   .target = "token:" + std::to_string(i),
                                   .detail = "{}",
                                   .remote_address = "127.0.0.1"}),
                IsOk());
  }
}

std::unique_ptr<Store> OpenOrFail(const std::string& url) {
  Result<std::unique_ptr<Store>> store = OpenStore(url);
  EXPECT_THAT(store, IsOk());
  return store ? std::move(*store) : nullptr;
}

TEST(CopyStoreTest, SqliteToSqliteCopiesEverything) {
  std::unique_ptr<Store> from = OpenOrFail("sqlite::memory:");
  std::unique_ptr<Store> to = OpenOrFail("sqlite::memory:");
  ASSERT_NO_FATAL_FAILURE(Populate(*from));

  ASSERT_THAT(CopyStore(*from, *to), IsOk());

  EXPECT_EQ(Dump(*to), Dump(*from));
  EXPECT_THAT(to->FindDirectoryServicePrincipal("t2", "app-b"), ErrorIs(ErrorCode::kNotFound));
}

TEST(CopyStoreTest, RefusesANonEmptyDestinationAndWritesNothing) {
  std::unique_ptr<Store> from = OpenOrFail("sqlite::memory:");
  std::unique_ptr<Store> to = OpenOrFail("sqlite::memory:");
  ASSERT_NO_FATAL_FAILURE(Populate(*from));
  ASSERT_THAT(to->AppendAudit({.at = At(0), .actor = "system", .action = "x"}), IsOk());
  std::string before = Dump(*to);

  EXPECT_THAT(CopyStore(*from, *to), ErrorIs(ErrorCode::kFailedPrecondition));

  EXPECT_EQ(Dump(*to), before);
}

TEST(CopyStoreTest, SqliteToPostgresAndBackCopiesEverything) {
  std::optional<std::string> server = PostgresTestUrl();
  if (!server) GTEST_SKIP() << "LATCHKEY_TEST_POSTGRES_URL is not set; Postgres tests skipped";
  PostgresSchema schema(*server);
  std::unique_ptr<Store> sqlite = OpenOrFail("sqlite::memory:");
  std::unique_ptr<Store> postgres = OpenOrFail(schema.url());
  std::unique_ptr<Store> back = OpenOrFail("sqlite::memory:");
  ASSERT_NO_FATAL_FAILURE(Populate(*sqlite));

  ASSERT_THAT(CopyStore(*sqlite, *postgres), IsOk());
  ASSERT_THAT(CopyStore(*postgres, *back), IsOk());

  std::string original = Dump(*sqlite);
  EXPECT_EQ(Dump(*postgres), original);
  EXPECT_EQ(Dump(*back), original);
}

}  // namespace
}  // namespace latchkey::store::testing

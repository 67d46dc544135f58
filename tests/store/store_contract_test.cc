// Store contract, part 1: fixture and instantiation per backend; directory, signing keys,
// audit, Ping. Part 2 is store_contract_workspace_test.cc.
#include "store/store_contract_test.h"

#include <libpq-fe.h>
#include <sqlite3.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <memory>

namespace latchkey::store::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;

// Runs one SQL command on a throwaway libpq connection (schema setup for the Postgres runs).
void PostgresExec(const std::string& url, const std::string& sql) {
  std::unique_ptr<PGconn, decltype(&PQfinish)> conn(PQconnectdb(url.c_str()), &PQfinish);
  ASSERT_EQ(PQstatus(conn.get()), CONNECTION_OK) << PQerrorMessage(conn.get());
  std::unique_ptr<PGresult, decltype(&PQclear)> result(PQexec(conn.get(), sql.c_str()), &PQclear);
  ASSERT_EQ(PQresultStatus(result.get()), PGRES_COMMAND_OK) << PQerrorMessage(conn.get());
}

std::string BackendName(const ::testing::TestParamInfo<Backend>& info) {
  switch (info.param) {
    case Backend::kSqliteMemory:
      return "Memory";
    case Backend::kSqliteFile:
      return "File";
    case Backend::kPostgres:
      return "Server";
  }
  return "Unknown";
}

}  // namespace

void StoreContractTest::SetUp() {
  std::string url;
  switch (GetParam()) {
    case Backend::kSqliteMemory:
      url = "sqlite::memory:";
      break;
    case Backend::kSqliteFile:
      dir_ = std::make_unique<TempDir>();
      url = "sqlite:" + (dir_->path() / "store.db").string();
      break;
    case Backend::kPostgres: {
      const char* base = std::getenv("LATCHKEY_TEST_POSTGRES_URL");
      if (base == nullptr || *base == '\0') {
        GTEST_SKIP() << "LATCHKEY_TEST_POSTGRES_URL is not set (e.g. "
                        "postgresql://latchkey@127.0.0.1/latchkey_test); Postgres runs skipped";
      }
      // A fresh schema per test, selected through libpq's `options` URL parameter.
      static std::atomic<int> counter{0};
      postgres_admin_url_ = base;
      postgres_schema_ =
          "latchkey_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter++);
      PostgresExec(postgres_admin_url_, "CREATE SCHEMA " + postgres_schema_);
      url = postgres_admin_url_ + (postgres_admin_url_.find('?') == std::string::npos ? "?" : "&") +
            "options=-csearch_path%3D" + postgres_schema_;
      break;
    }
  }
  Result<std::unique_ptr<Store>> opened = OpenStore(url);
  ASSERT_THAT(opened, IsOk());
  store_ = std::move(*opened);
  subscription_ = store_->AddChangeListener([this](const Change& change) {
    std::lock_guard lock(changes_mu_);
    changes_.push_back(change);
  });
}

void StoreContractTest::TearDown() {
  store_.reset();
  if (!postgres_schema_.empty()) {
    // client_min_messages: no NOTICE listing every dropped table on stderr.
    PostgresExec(postgres_admin_url_, "SET client_min_messages TO warning; DROP SCHEMA " +
                                          postgres_schema_ + " CASCADE");
  }
}

bool StoreContractTest::RefuseAuditAction(const std::string& action) {
  switch (GetParam()) {
    case Backend::kSqliteMemory:
      return false;
    case Backend::kSqliteFile: {
      sqlite3* db = nullptr;
      const std::string path = (dir_->path() / "store.db").string();
      EXPECT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
      char* error = nullptr;
      const std::string sql =
          "CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_events WHEN "
          "NEW.action = '" +
          action + "' BEGIN SELECT RAISE(ABORT, 'refused'); END";
      EXPECT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error), SQLITE_OK)
          << (error ? error : "");
      sqlite3_free(error);
      sqlite3_close(db);
      return true;
    }
    case Backend::kPostgres: {
      const std::string url = postgres_admin_url_ +
                              (postgres_admin_url_.find('?') == std::string::npos ? "?" : "&") +
                              "options=-csearch_path%3D" + postgres_schema_;
      PostgresExec(url,
                   "CREATE FUNCTION refuse_audit() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                   "IF NEW.action = '" +
                       action +
                       "' THEN RAISE EXCEPTION 'refused'; END IF; "
                       "RETURN NEW; END $$");
      PostgresExec(url,
                   "CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_events FOR EACH ROW "
                   "EXECUTE FUNCTION refuse_audit()");
      return true;
    }
  }
  return false;
}

INSTANTIATE_TEST_SUITE_P(Sqlite, StoreContractTest,
                         ::testing::Values(Backend::kSqliteMemory, Backend::kSqliteFile),
                         BackendName);
INSTANTIATE_TEST_SUITE_P(Postgres, StoreContractTest, ::testing::Values(Backend::kPostgres),
                         BackendName);

TEST_P(StoreContractTest, PingAnswersAndBackendIsNamed) {
  EXPECT_THAT(store().Ping(), IsOk());
  EXPECT_THAT(store().backend(), ::testing::AnyOf("sqlite", "postgresql"));
}

// ---- Tenants ----

TEST_P(StoreContractTest, TenantsRoundTripOldestFirst) {
  ASSERT_THAT(store().CreateTenant(MakeTenant("t2", 5)), IsOk());
  ASSERT_THAT(store().CreateTenant(MakeTenant("t1", 1)), IsOk());

  Result<Tenant> got = store().GetTenant("t2");
  Result<std::vector<Tenant>> all = store().ListTenants();

  ASSERT_THAT(got, IsOk());
  EXPECT_EQ(got->id, "t2");
  EXPECT_EQ(got->display_name, "Tenant t2");
  EXPECT_EQ(got->created_at, At(5));
  ASSERT_THAT(all, IsOk());
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].id, "t1");
  EXPECT_EQ((*all)[1].id, "t2");
}

TEST_P(StoreContractTest, TenantErrors) {
  ASSERT_THAT(store().CreateTenant(MakeTenant("t1")), IsOk());

  EXPECT_THAT(store().CreateTenant(MakeTenant("t1")), ErrorIs(ErrorCode::kAlreadyExists));
  EXPECT_THAT(store().GetTenant("nope"), ErrorIs(ErrorCode::kNotFound));
}

// ---- Applications ----

TEST_P(StoreContractTest, ApplicationRoundTripsEveryFieldWithItsServicePrincipal) {
  Application app = MakeApp("a");
  ASSERT_THAT(store().CreateApplication(app, MakeSpFor(app, "t1")), IsOk());

  Result<Application> by_app_id = store().GetApplicationByAppId("app-id-a");
  Result<Application> by_object_id = store().GetApplicationByObjectId("app-obj-a");
  Result<DirectoryServicePrincipal> sp = store().FindDirectoryServicePrincipal("t1", "app-id-a");

  for (const Result<Application>& got : {by_app_id, by_object_id}) {
    ASSERT_THAT(got, IsOk());
    EXPECT_EQ(got->object_id, app.object_id);
    EXPECT_EQ(got->app_id, app.app_id);
    EXPECT_EQ(got->tenant_id, app.tenant_id);
    EXPECT_EQ(got->display_name, app.display_name);
    EXPECT_EQ(got->identifier_uris, app.identifier_uris);
    EXPECT_EQ(got->granted_roles, app.granted_roles);
    EXPECT_EQ(got->created_at, app.created_at);
  }
  ASSERT_THAT(sp, IsOk());
  EXPECT_EQ(sp->object_id, "sp-t1-app-id-a");
  EXPECT_EQ(sp->display_name, "App a");
  EXPECT_EQ(sp->created_at, app.created_at);
}

TEST_P(StoreContractTest, ApplicationWithoutServicePrincipal) {
  Application app = MakeApp("a");
  ASSERT_THAT(store().CreateApplication(app, DirectoryServicePrincipal{}), IsOk());
  EXPECT_THAT(store().GetApplicationByAppId(app.app_id), IsOk());
  EXPECT_THAT(store().FindDirectoryServicePrincipal(app.tenant_id, app.app_id),
              ErrorIs(ErrorCode::kNotFound));
  ASSERT_THAT(store().CreateDirectoryServicePrincipal(MakeSpFor(app, app.tenant_id)), IsOk());
  EXPECT_THAT(store().FindDirectoryServicePrincipal(app.tenant_id, app.app_id), IsOk());
}

TEST_P(StoreContractTest, ApplicationWithEmptyListsRoundTrips) {
  Application app = MakeApp("a");
  app.identifier_uris.clear();
  app.granted_roles.clear();
  ASSERT_THAT(store().CreateApplication(app, MakeSpFor(app, "t1")), IsOk());

  Result<Application> got = store().GetApplicationByObjectId(app.object_id);

  ASSERT_THAT(got, IsOk());
  EXPECT_THAT(got->identifier_uris, IsEmpty());
  EXPECT_THAT(got->granted_roles, IsEmpty());
}

TEST_P(StoreContractTest, DuplicateAppIdIsAlreadyExistsAndCreatesNothing) {
  Application first = MakeApp("a");
  ASSERT_THAT(store().CreateApplication(first, MakeSpFor(first, "t1")), IsOk());
  Application second = MakeApp("b");
  second.app_id = first.app_id;
  DirectoryServicePrincipal second_sp = MakeSpFor(second, "t1");
  second_sp.object_id = "sp-other";

  Status created = store().CreateApplication(second, second_sp);

  EXPECT_THAT(created, ErrorIs(ErrorCode::kAlreadyExists));
  EXPECT_THAT(store().GetApplicationByObjectId("app-obj-b"), ErrorIs(ErrorCode::kNotFound));
  EXPECT_THAT(store().GetDirectoryServicePrincipal("sp-other"), ErrorIs(ErrorCode::kNotFound));
}

TEST_P(StoreContractTest, ApplicationWithTakenServicePrincipalIsAlreadyExistsAndCreatesNothing) {
  Application first = MakeApp("a");
  ASSERT_THAT(store().CreateApplication(first, MakeSpFor(first, "t1")), IsOk());
  Application second = MakeApp("b");
  DirectoryServicePrincipal second_sp = MakeSpFor(second, "t1");
  second_sp.object_id = "sp-t1-app-id-a";  // taken by the first app's service principal

  Status created = store().CreateApplication(second, second_sp);

  EXPECT_THAT(created, ErrorIs(ErrorCode::kAlreadyExists));
  EXPECT_THAT(store().GetApplicationByObjectId("app-obj-b"), ErrorIs(ErrorCode::kNotFound));
}

TEST_P(StoreContractTest, ListApplicationsIsPerTenantOldestFirst) {
  Application newer = MakeApp("n", "t1", 10);
  Application older = MakeApp("o", "t1", 5);
  Application elsewhere = MakeApp("e", "t2", 1);
  for (const Application& app : {newer, older, elsewhere}) {
    ASSERT_THAT(store().CreateApplication(app, MakeSpFor(app, app.tenant_id)), IsOk());
  }

  Result<std::vector<Application>> apps = store().ListApplications("t1");

  ASSERT_THAT(apps, IsOk());
  ASSERT_EQ(apps->size(), 2u);
  EXPECT_EQ((*apps)[0].object_id, "app-obj-o");
  EXPECT_EQ((*apps)[1].object_id, "app-obj-n");
  EXPECT_THAT(store().ListApplications("t3"), ::testing::Optional(IsEmpty()));
}

TEST_P(StoreContractTest, FindApplicationByIdentifierUriMatchesExactly) {
  Application app = MakeApp("a");
  ASSERT_THAT(store().CreateApplication(app, MakeSpFor(app, "t1")), IsOk());

  Result<Application> found = store().FindApplicationByIdentifierUri("https://example.com/a");

  ASSERT_THAT(found, IsOk());
  EXPECT_EQ(found->object_id, "app-obj-a");
  EXPECT_THAT(store().FindApplicationByIdentifierUri("API://APP-A"), ErrorIs(ErrorCode::kNotFound));
  EXPECT_THAT(store().FindApplicationByIdentifierUri("api://app"), ErrorIs(ErrorCode::kNotFound));
}

TEST_P(StoreContractTest, DeleteApplicationRemovesCredentialsAndServicePrincipals) {
  Application app = MakeApp("a");
  ASSERT_THAT(store().CreateApplication(app, MakeSpFor(app, "t1")), IsOk());
  ASSERT_THAT(store().CreateDirectoryServicePrincipal(MakeSpFor(app, "t2")), IsOk());
  ASSERT_THAT(
      store().AddPasswordCredential(
          {.key_id = "k1", .app_object_id = app.object_id, .secret_hash = "h", .start_at = At(0)}),
      IsOk());
  ASSERT_THAT(
      store().AddCertificateCredential(
          {.key_id = "c1", .app_object_id = app.object_id, .start_at = At(0), .end_at = At(100)}),
      IsOk());
  TakeChanges();

  ASSERT_THAT(store().DeleteApplication(app.object_id), IsOk());

  EXPECT_THAT(store().GetApplicationByObjectId(app.object_id), ErrorIs(ErrorCode::kNotFound));
  EXPECT_THAT(store().ListPasswordCredentials(app.object_id), ::testing::Optional(IsEmpty()));
  EXPECT_THAT(store().ListCertificateCredentials(app.object_id), ::testing::Optional(IsEmpty()));
  EXPECT_THAT(store().FindDirectoryServicePrincipal("t1", app.app_id),
              ErrorIs(ErrorCode::kNotFound));
  EXPECT_THAT(store().FindDirectoryServicePrincipal("t2", app.app_id),
              ErrorIs(ErrorCode::kNotFound));
  EXPECT_THAT(TakeChanges(), ElementsAre(Change{ChangeKind::kCredentialChanged, app.app_id}));
  EXPECT_THAT(store().DeleteApplication(app.object_id), ErrorIs(ErrorCode::kNotFound));
}

// ---- Credentials ----

TEST_P(StoreContractTest, PasswordCredentialsRoundTripAndRemove) {
  Application app = MakeApp("a");
  ASSERT_THAT(store().CreateApplication(app, MakeSpFor(app, "t1")), IsOk());
  PasswordCredential open_ended{.key_id = "k1",
                                .app_object_id = app.object_id,
                                .display_name = "ci",
                                .hint = "abc",
                                .secret_hash = "hash1",
                                .start_at = At(1),
                                .end_at = std::nullopt};
  PasswordCredential bounded = open_ended;
  bounded.key_id = "k2";
  bounded.start_at = At(2);
  bounded.end_at = At(3600);
  ASSERT_THAT(store().AddPasswordCredential(open_ended), IsOk());
  ASSERT_THAT(store().AddPasswordCredential(bounded), IsOk());
  TakeChanges();

  Result<std::vector<PasswordCredential>> listed = store().ListPasswordCredentials(app.object_id);
  ASSERT_THAT(listed, IsOk());
  ASSERT_EQ(listed->size(), 2u);
  const PasswordCredential& got = (*listed)[0];
  EXPECT_EQ(got.key_id, "k1");
  EXPECT_EQ(got.app_object_id, app.object_id);
  EXPECT_EQ(got.display_name, "ci");
  EXPECT_EQ(got.hint, "abc");
  EXPECT_EQ(got.secret_hash, "hash1");
  EXPECT_EQ(got.start_at, At(1));
  EXPECT_EQ(got.end_at, std::nullopt);
  EXPECT_EQ((*listed)[1].end_at, At(3600));

  ASSERT_THAT(store().RemovePasswordCredential(app.object_id, "k1"), IsOk());

  EXPECT_THAT(TakeChanges(), ElementsAre(Change{ChangeKind::kCredentialChanged, app.app_id}));
  EXPECT_THAT(store().RemovePasswordCredential(app.object_id, "k1"), ErrorIs(ErrorCode::kNotFound));
  EXPECT_THAT(store().AddPasswordCredential(bounded), ErrorIs(ErrorCode::kAlreadyExists));
  bounded.key_id = "k3";
  bounded.app_object_id = "no-such-app";
  EXPECT_THAT(store().AddPasswordCredential(bounded), ErrorIs(ErrorCode::kNotFound));
}

TEST_P(StoreContractTest, FederatedCredentialsRoundTripUpdateBoundAndRemove) {
  Application app = MakeApp("a");
  ASSERT_THAT(store().CreateApplication(app, MakeSpFor(app, "t1")), IsOk());
  FederatedIdentityCredential gh{.id = "f1",
                                 .app_object_id = app.object_id,
                                 .name = "GitHub-main",
                                 .issuer = "https://token.actions.githubusercontent.com",
                                 .subject = "repo:org/repo:ref:refs/heads/main",
                                 .audiences = {"api://AzureADTokenExchange"},
                                 .description = "deploys",
                                 .created_at = At(1)};
  FederatedIdentityCredential k8s = gh;
  k8s.id = "f2";
  k8s.name = "k8s";
  k8s.issuer = "https://kubernetes.example/";
  k8s.subject = "system:serviceaccount:ns:sa";
  k8s.audiences = {"a", "b"};
  k8s.created_at = At(2);
  ASSERT_THAT(store().AddFederatedCredential(gh, 2), IsOk());
  ASSERT_THAT(store().AddFederatedCredential(k8s, 2), IsOk());
  EXPECT_THAT(TakeChanges(), ElementsAre(Change{ChangeKind::kCredentialChanged, app.app_id},
                                         Change{ChangeKind::kCredentialChanged, app.app_id}));

  Result<std::vector<FederatedIdentityCredential>> listed =
      store().ListFederatedCredentials(app.object_id);
  ASSERT_THAT(listed, IsOk());
  ASSERT_EQ(listed->size(), 2u);
  EXPECT_EQ((*listed)[0].id, "f1");
  EXPECT_EQ((*listed)[0].name, "GitHub-main");
  EXPECT_EQ((*listed)[0].issuer, gh.issuer);
  EXPECT_EQ((*listed)[0].subject, gh.subject);
  EXPECT_EQ((*listed)[0].audiences, gh.audiences);
  EXPECT_EQ((*listed)[0].description, "deploys");
  EXPECT_EQ((*listed)[0].created_at, At(1));
  EXPECT_EQ((*listed)[1].audiences, (std::vector<std::string>{"a", "b"}));

  // The per-application bound, then uniqueness of names (any case) and of issuer + subject.
  FederatedIdentityCredential third = gh;
  third.id = "f3";
  third.name = "third";
  third.subject = "other";
  EXPECT_THAT(store().AddFederatedCredential(third, 2), ErrorIs(ErrorCode::kResourceExhausted));
  third.name = "github-MAIN";
  EXPECT_THAT(store().AddFederatedCredential(third, 20), ErrorIs(ErrorCode::kAlreadyExists));
  third.name = "third";
  third.subject = gh.subject;
  EXPECT_THAT(store().AddFederatedCredential(third, 20), ErrorIs(ErrorCode::kAlreadyExists));
  third.app_object_id = "no-such-app";
  EXPECT_THAT(store().AddFederatedCredential(third, 20), ErrorIs(ErrorCode::kNotFound));
  TakeChanges();

  // Update replaces issuer, subject, audiences and description; never the name.
  FederatedIdentityCredential changed = k8s;
  changed.name = "ignored";
  changed.issuer = "https://kubernetes.example";
  changed.audiences = {"c"};
  changed.description = "";
  ASSERT_THAT(store().UpdateFederatedCredential(changed), IsOk());
  EXPECT_THAT(TakeChanges(), ElementsAre(Change{ChangeKind::kCredentialChanged, app.app_id}));
  listed = store().ListFederatedCredentials(app.object_id);
  ASSERT_THAT(listed, IsOk());
  ASSERT_EQ(listed->size(), 2u);
  EXPECT_EQ((*listed)[1].name, "k8s");
  EXPECT_EQ((*listed)[1].issuer, "https://kubernetes.example");
  EXPECT_EQ((*listed)[1].audiences, (std::vector<std::string>{"c"}));
  EXPECT_EQ((*listed)[1].description, "");
  changed.issuer = gh.issuer;
  changed.subject = gh.subject;
  EXPECT_THAT(store().UpdateFederatedCredential(changed), ErrorIs(ErrorCode::kAlreadyExists));
  changed.id = "missing";
  EXPECT_THAT(store().UpdateFederatedCredential(changed), ErrorIs(ErrorCode::kNotFound));

  ASSERT_THAT(store().RemoveFederatedCredential(app.object_id, "f1"), IsOk());
  EXPECT_THAT(store().RemoveFederatedCredential(app.object_id, "f1"),
              ErrorIs(ErrorCode::kNotFound));
  // Deleting the application takes its federated credentials along.
  ASSERT_THAT(store().DeleteApplication(app.object_id), IsOk());
  EXPECT_THAT(store().ListFederatedCredentials(app.object_id), ::testing::Optional(IsEmpty()));
}

TEST_P(StoreContractTest, CertificateCredentialsRoundTripAndRemove) {
  Application app = MakeApp("a");
  ASSERT_THAT(store().CreateApplication(app, MakeSpFor(app, "t1")), IsOk());
  CertificateCredential cert{.key_id = "c1",
                             .app_object_id = app.object_id,
                             .display_name = "cert",
                             .certificate_pem = "-----BEGIN...",
                             .thumbprint_sha1 = "ABCDEF",
                             .start_at = At(1),
                             .end_at = At(99)};
  ASSERT_THAT(store().AddCertificateCredential(cert), IsOk());
  TakeChanges();

  Result<std::vector<CertificateCredential>> listed =
      store().ListCertificateCredentials(app.object_id);
  ASSERT_THAT(listed, IsOk());
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].key_id, "c1");
  EXPECT_EQ((*listed)[0].app_object_id, app.object_id);
  EXPECT_EQ((*listed)[0].display_name, "cert");
  EXPECT_EQ((*listed)[0].certificate_pem, "-----BEGIN...");
  EXPECT_EQ((*listed)[0].thumbprint_sha1, "ABCDEF");
  EXPECT_EQ((*listed)[0].start_at, At(1));
  EXPECT_EQ((*listed)[0].end_at, At(99));

  ASSERT_THAT(store().RemoveCertificateCredential(app.object_id, "c1"), IsOk());

  EXPECT_THAT(TakeChanges(), ElementsAre(Change{ChangeKind::kCredentialChanged, app.app_id}));
  EXPECT_THAT(store().ListCertificateCredentials(app.object_id), ::testing::Optional(IsEmpty()));
  EXPECT_THAT(store().RemoveCertificateCredential(app.object_id, "c1"),
              ErrorIs(ErrorCode::kNotFound));
}

// ---- Directory service principals ----

TEST_P(StoreContractTest, DirectoryServicePrincipalsPerTenant) {
  Application app = MakeApp("a");
  ASSERT_THAT(store().CreateApplication(app, MakeSpFor(app, "t1")), IsOk());
  DirectoryServicePrincipal in_t2 = MakeSpFor(app, "t2");
  ASSERT_THAT(store().CreateDirectoryServicePrincipal(in_t2), IsOk());
  DirectoryServicePrincipal again = in_t2;
  again.object_id = "sp-again";

  EXPECT_THAT(store().CreateDirectoryServicePrincipal(again), ErrorIs(ErrorCode::kAlreadyExists));
  Result<DirectoryServicePrincipal> got = store().GetDirectoryServicePrincipal(in_t2.object_id);
  ASSERT_THAT(got, IsOk());
  EXPECT_EQ(got->app_id, app.app_id);
  EXPECT_EQ(got->tenant_id, "t2");
  Result<std::vector<DirectoryServicePrincipal>> in_tenant =
      store().ListDirectoryServicePrincipals("t2");
  ASSERT_THAT(in_tenant, IsOk());
  ASSERT_EQ(in_tenant->size(), 1u);
  EXPECT_EQ((*in_tenant)[0].object_id, in_t2.object_id);

  ASSERT_THAT(store().DeleteDirectoryServicePrincipal(in_t2.object_id), IsOk());

  EXPECT_THAT(store().GetDirectoryServicePrincipal(in_t2.object_id), ErrorIs(ErrorCode::kNotFound));
  EXPECT_THAT(store().DeleteDirectoryServicePrincipal(in_t2.object_id),
              ErrorIs(ErrorCode::kNotFound));
  EXPECT_THAT(store().FindDirectoryServicePrincipal("t1", app.app_id), IsOk());
}

// ---- Client-assertion replay records ----

TEST_P(StoreContractTest, AssertionJtiIsRecordedOnceUntilItExpires) {
  const TimePoint now = FromUnixSeconds(1767225600);
  const TimePoint exp = now + std::chrono::minutes(10);
  ASSERT_THAT(store().RecordAssertionJti("app-a", "hash-1", exp, 10, now), IsOk());
  EXPECT_THAT(store().RecordAssertionJti("app-a", "hash-1", exp, 10, now),
              ErrorIs(ErrorCode::kAlreadyExists));
  // Another client's record, or another jti, is independent.
  EXPECT_THAT(store().RecordAssertionJti("app-b", "hash-2", exp, 10, now), IsOk());
  // Still refused one millisecond before expiry; accepted again (purged, re-recorded) at it.
  EXPECT_THAT(store().RecordAssertionJti("app-a", "hash-1", exp + std::chrono::minutes(10), 10,
                                         exp - std::chrono::milliseconds(1)),
              ErrorIs(ErrorCode::kAlreadyExists));
  EXPECT_THAT(store().RecordAssertionJti("app-a", "hash-1", exp + std::chrono::minutes(10), 10, exp),
              IsOk());
}

TEST_P(StoreContractTest, AssertionJtisPerClientAreBoundedAndTheRefusedOneIsNotKept) {
  const TimePoint now = FromUnixSeconds(1767225600);
  const TimePoint exp = now + std::chrono::minutes(10);
  for (int i = 0; i < 3; ++i) {
    ASSERT_THAT(store().RecordAssertionJti("app-a", "h" + std::to_string(i), exp, 3, now), IsOk());
  }
  EXPECT_THAT(store().RecordAssertionJti("app-a", "h3", exp, 3, now),
              ErrorIs(ErrorCode::kResourceExhausted));
  EXPECT_THAT(store().RecordAssertionJti("app-b", "h4", exp, 3, now), IsOk());
  // Once the three expire, h3 was never recorded and fits.
  EXPECT_THAT(store().RecordAssertionJti("app-a", "h3", exp + std::chrono::minutes(10), 3, exp),
              IsOk());
}

// ---- Signing keys ----

TEST_P(StoreContractTest, SigningKeysListNewestFirstAndActivateRetiresTheOthers) {
  ASSERT_THAT(store().AddSigningKey({.kid = "k1", .public_pem = "pem1", .created_at = At(1)}),
              IsOk());
  ASSERT_THAT(store().AddSigningKey(
                  {.kid = "k0", .public_pem = "pem0", .created_at = At(0), .retired_at = At(1)}),
              IsOk());
  ASSERT_THAT(store().AddSigningKey({.kid = "k2", .public_pem = "pem2", .created_at = At(2)}),
              IsOk());
  TakeChanges();

  ASSERT_THAT(store().ActivateSigningKey("k2", At(50)), IsOk());

  Result<std::vector<SigningKey>> keys = store().ListSigningKeys();
  ASSERT_THAT(keys, IsOk());
  ASSERT_EQ(keys->size(), 3u);
  EXPECT_EQ((*keys)[0].kid, "k2");
  EXPECT_EQ((*keys)[0].public_pem, "pem2");
  EXPECT_EQ((*keys)[0].created_at, At(2));
  EXPECT_EQ((*keys)[0].retired_at, std::nullopt);
  EXPECT_EQ((*keys)[1].kid, "k1");
  EXPECT_EQ((*keys)[1].retired_at, At(50));
  EXPECT_EQ((*keys)[2].kid, "k0");
  EXPECT_EQ((*keys)[2].retired_at, At(1));  // already retired: unchanged
  EXPECT_THAT(TakeChanges(), ElementsAre(Change{ChangeKind::kSigningKeysChanged, "k2"}));
}

TEST_P(StoreContractTest, SigningKeyErrorsAndDelete) {
  ASSERT_THAT(store().AddSigningKey({.kid = "k1", .public_pem = "pem1", .created_at = At(1)}),
              IsOk());
  EXPECT_THAT(TakeChanges(), ElementsAre(Change{ChangeKind::kSigningKeysChanged, "k1"}));

  EXPECT_THAT(store().AddSigningKey({.kid = "k1", .created_at = At(2)}),
              ErrorIs(ErrorCode::kAlreadyExists));
  EXPECT_THAT(store().ActivateSigningKey("nope", At(3)), ErrorIs(ErrorCode::kNotFound));
  ASSERT_THAT(store().DeleteSigningKey("k1"), IsOk());
  EXPECT_THAT(TakeChanges(), ElementsAre(Change{ChangeKind::kSigningKeysChanged, "k1"}));
  EXPECT_THAT(store().ListSigningKeys(), ::testing::Optional(IsEmpty()));
  EXPECT_THAT(store().DeleteSigningKey("k1"), ErrorIs(ErrorCode::kNotFound));
}

// ---- Audit ----

TEST_P(StoreContractTest, PurgeAuditDropsOldEventsThenTheOldestBeyondTheCap) {
  for (int i = 0; i < 6; ++i) {
    ASSERT_THAT(store().AppendAudit({.at = At(i),
                                     .actor = "system",
                                     .action = "token.create",
                                     .target = "token:" + std::to_string(i),
                                     .detail = "{}",
                                     .remote_address = ""}),
                IsOk());
  }
  // Before At(2): events 0 and 1 go; nothing is over a cap of 100.
  Result<int64_t> aged = store().PurgeAudit(At(2), 100);
  ASSERT_THAT(aged, IsOk());
  EXPECT_EQ(*aged, 2);
  // A cap of 3 keeps the newest three of the four left.
  Result<int64_t> capped = store().PurgeAudit(At(0), 3);
  ASSERT_THAT(capped, IsOk());
  EXPECT_EQ(*capped, 1);

  Result<std::vector<AuditEvent>> left = store().ListAudit(0, 100);
  ASSERT_THAT(left, IsOk());
  ASSERT_EQ(left->size(), 3u);
  EXPECT_EQ((*left)[0].target, "token:3");
  EXPECT_EQ((*left)[2].target, "token:5");
  // Everything older than the newest: all but nothing newer; an empty table purges nothing.
  Result<int64_t> all = store().PurgeAudit(At(100), 100);
  ASSERT_THAT(all, IsOk());
  EXPECT_EQ(*all, 3);
  Result<int64_t> none = store().PurgeAudit(At(100), 0);
  ASSERT_THAT(none, IsOk());
  EXPECT_EQ(*none, 0);
}

TEST_P(StoreContractTest, AuditListsOldestFirstAndPagesAfterSeq) {
  for (int i = 0; i < 5; ++i) {
    ASSERT_THAT(store().AppendAudit({.at = At(i),
                                     .actor = "system",
                                     .action = "token.create",
                                     .target = "token:" + std::to_string(i),
                                     .detail = R"({"n":)" + std::to_string(i) + "}",
                                     .remote_address = "127.0.0.1"}),
                IsOk());
  }

  Result<std::vector<AuditEvent>> first = store().ListAudit(0, 3);
  ASSERT_THAT(first, IsOk());
  ASSERT_EQ(first->size(), 3u);
  Result<std::vector<AuditEvent>> rest = store().ListAudit(first->back().seq, 10);

  EXPECT_EQ((*first)[0].target, "token:0");
  EXPECT_EQ((*first)[0].at, At(0));
  EXPECT_EQ((*first)[0].actor, "system");
  EXPECT_EQ((*first)[0].action, "token.create");
  EXPECT_EQ((*first)[0].detail, R"({"n":0})");
  EXPECT_EQ((*first)[0].remote_address, "127.0.0.1");
  EXPECT_LT((*first)[0].seq, (*first)[1].seq);
  EXPECT_LT((*first)[1].seq, (*first)[2].seq);
  ASSERT_THAT(rest, IsOk());
  ASSERT_EQ(rest->size(), 2u);
  EXPECT_EQ((*rest)[0].target, "token:3");
  EXPECT_EQ((*rest)[1].target, "token:4");
  EXPECT_THAT(store().ListAudit((*rest)[1].seq, 10), ::testing::Optional(IsEmpty()));
}

}  // namespace latchkey::store::testing

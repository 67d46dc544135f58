// The backend-independent Store contract suite: one TEST_P fixture instantiated (in
// store_contract_test.cc) for every backend, with a fresh schema per test. Tests live in
// store_contract_test.cc (directory, keys, audit, OpenStore) and
// store_contract_workspace_test.cc (principals, groups, permissions, PATs, secrets, conf).
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "base/clock.h"
#include "store/store.h"
#include "store/store_test_support.h"

namespace latchkey::store {
// Test-only comparison and printing, found by ADL from gMock.
inline bool operator==(const Change& a, const Change& b) {
  return a.kind == b.kind && a.id == b.id;
}
inline void PrintTo(const Change& change, std::ostream* os) {
  *os << "Change{" << static_cast<int>(change.kind) << ", \"" << change.id << "\"}";
}
}  // namespace latchkey::store

namespace latchkey::store::testing {

enum class Backend { kSqliteMemory, kSqliteFile, kPostgres };
inline void PrintTo(Backend backend, std::ostream* os) {
  switch (backend) {
    case Backend::kSqliteMemory:
      *os << "sqlite::memory:";
      return;
    case Backend::kSqliteFile:
      *os << "sqlite file";
      return;
    case Backend::kPostgres:
      *os << "postgresql";
      return;
  }
}

// Whole milliseconds: every backend keeps times at millisecond precision.
inline TimePoint At(int64_t seconds_after_t0) {
  return FromUnixMillis(1'700'000'000'123 + seconds_after_t0 * 1000);
}

class StoreContractTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override;
  void TearDown() override;

  Store& store() { return *store_; }

  // Changes the listener saw since the last call.
  std::vector<Change> TakeChanges() {
    std::lock_guard lock(changes_mu_);
    return std::exchange(changes_, {});
  }

  static Tenant MakeTenant(const std::string& id, int64_t at = 0) {
    return Tenant{.id = id, .display_name = "Tenant " + id, .created_at = At(at)};
  }
  static Application MakeApp(const std::string& n, const std::string& tenant = "t1",
                             int64_t at = 0) {
    return Application{.object_id = "app-obj-" + n,
                       .app_id = "app-id-" + n,
                       .tenant_id = tenant,
                       .display_name = "App " + n,
                       .identifier_uris = {"api://app-" + n, "https://example.com/" + n},
                       .granted_roles = {"Application.ReadWrite.All"},
                       .created_at = At(at)};
  }
  static DirectoryServicePrincipal MakeSpFor(const Application& app, const std::string& tenant) {
    return DirectoryServicePrincipal{.object_id = "sp-" + tenant + "-" + app.app_id,
                                     .app_id = app.app_id,
                                     .tenant_id = tenant,
                                     .display_name = app.display_name,
                                     .created_at = app.created_at};
  }
  static Principal MakeUser(int64_t id, const std::string& user_name) {
    return Principal{.id = id,
                     .kind = PrincipalKind::kUser,
                     .user_name = user_name,
                     .display_name = "User " + std::to_string(id),
                     .external_id = "ext-" + std::to_string(id),
                     .active = true,
                     .entitlements = {"workspace-access", "databricks-sql-access"},
                     .created_at = At(1)};
  }
  static Principal MakeServicePrincipal(int64_t id, const std::string& application_id) {
    return Principal{.id = id,
                     .kind = PrincipalKind::kServicePrincipal,
                     .application_id = application_id,
                     .display_name = "SP " + std::to_string(id),
                     .active = true,
                     .created_at = At(2)};
  }
  static Pat MakePat(const std::string& token_id, int64_t owner,
                     std::optional<TimePoint> expires_at = std::nullopt, int64_t created = 0) {
    return Pat{.token_id = token_id,
               .owner_id = owner,
               .created_by_id = owner,
               .comment = "pat " + token_id,
               .created_at = At(created),
               .expires_at = expires_at,
               .scopes = {"all-apis"}};
  }

  // Makes the database itself refuse (a trigger) every audit event whose action is `action`,
  // so an audited write's audit insert fails after its change ran. False on sqlite::memory:
  // (no second connection reaches it).
  bool RefuseAuditAction(const std::string& action);

 private:
  std::unique_ptr<TempDir> dir_;
  std::string postgres_admin_url_;
  std::string postgres_schema_;
  std::unique_ptr<Store> store_;
  std::mutex changes_mu_;
  std::vector<Change> changes_;
  ChangeSubscription subscription_;
};

}  // namespace latchkey::store::testing

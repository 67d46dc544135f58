// PostgresStore: the Store backend for several replicas sharing one PostgreSQL database
// (libpq, PostgreSQL 15; see docs/deployment.md).
//
// A bounded pool of sessions (8) with per-session prepared statements serves every call; a
// caller waits up to 5 s for a free session, then gets kUnavailable, as it does while the
// server is unreachable (broken sessions are replaced on the next call, so the store recovers
// by itself). Writes run in one transaction each, READ COMMITTED by default: CreatePat locks
// the owner's row before counting (per-owner serialization, so the quota holds across
// replicas) and ReplaceTokenPermissions runs SERIALIZABLE; serialization failures and
// deadlocks are retried a few times.
//
// Changes: each committing write also sends pg_notify(channel, '<kind>:<id>') in its
// transaction. Local listeners are called on the writing thread after the commit (as with
// SqliteStore); a NotificationListener thread calls them for changes committed by other
// replicas (and other PostgresStore instances), skipping this store's own. Thread-safe.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "base/result.h"
#include "store/postgres/connection_pool.h"
#include "store/store.h"

namespace latchkey::store::postgres {

class NotificationListener;

class PostgresStore final : public Store {
 public:
  // Connects to `url` (postgresql://... or postgres://..., libpq's URI syntax), applies the
  // numbered migrations and starts listening for other replicas' changes. kInvalidArgument for
  // a malformed URL, kUnavailable if the server cannot be reached, kFailedPrecondition if the
  // schema is newer than this binary. Messages never contain the URL's password.
  // `timeouts`: store.h's StoreOptions.
  static Result<std::unique_ptr<PostgresStore>> Open(const std::string& url,
                                                     PoolOptions options = {},
                                                     StoreOptions timeouts = {});
  ~PostgresStore() override;

  // True once the notification session listens (tests; readiness is Ping's business).
  bool ListeningForChanges() const;

  // DirectoryStore.
  Status CreateTenant(const Tenant& tenant) override;
  Result<Tenant> GetTenant(const std::string& id) override;
  Result<std::vector<Tenant>> ListTenants() override;
  Status CreateApplication(const Application& app, const DirectoryServicePrincipal& sp) override;
  Result<Application> GetApplicationByAppId(const std::string& app_id) override;
  Result<Application> GetApplicationByObjectId(const std::string& object_id) override;
  Result<std::vector<Application>> ListApplications(const std::string& tenant_id) override;
  Result<Application> FindApplicationByIdentifierUri(const std::string& uri) override;
  Status DeleteApplication(const std::string& object_id) override;
  Status AddPasswordCredential(const PasswordCredential& credential,
                               const AuditEvent* audit = nullptr) override;
  Result<std::vector<PasswordCredential>> ListPasswordCredentials(
      const std::string& app_object_id) override;
  Status RemovePasswordCredential(const std::string& app_object_id, const std::string& key_id,
                                  const AuditEvent* audit = nullptr) override;
  Status AddCertificateCredential(const CertificateCredential& credential,
                                  const AuditEvent* audit = nullptr) override;
  Result<std::vector<CertificateCredential>> ListCertificateCredentials(
      const std::string& app_object_id) override;
  Status RemoveCertificateCredential(const std::string& app_object_id, const std::string& key_id,
                                     const AuditEvent* audit = nullptr) override;
  Status CreateDirectoryServicePrincipal(const DirectoryServicePrincipal& sp) override;
  Result<DirectoryServicePrincipal> GetDirectoryServicePrincipal(
      const std::string& object_id) override;
  Result<DirectoryServicePrincipal> FindDirectoryServicePrincipal(
      const std::string& tenant_id, const std::string& app_id) override;
  Result<std::vector<DirectoryServicePrincipal>> ListDirectoryServicePrincipals(
      const std::string& tenant_id) override;
  Status DeleteDirectoryServicePrincipal(const std::string& object_id) override;
  Status AddFederatedCredential(const FederatedIdentityCredential& credential,
                                int max_per_app) override;
  Result<std::vector<FederatedIdentityCredential>> ListFederatedCredentials(
      const std::string& app_object_id) override;
  Status UpdateFederatedCredential(const FederatedIdentityCredential& credential) override;
  Status RemoveFederatedCredential(const std::string& app_object_id, const std::string& id) override;
  Status RecordAssertionJti(const std::string& app_id, const std::string& jti_hash,
                            TimePoint expires_at, int max_live, TimePoint now) override;

  // KeyStore.
  Status AddSigningKey(const SigningKey& key) override;
  Result<std::vector<SigningKey>> ListSigningKeys() override;
  Status ActivateSigningKey(const std::string& new_kid, TimePoint at) override;
  Status DeleteSigningKey(const std::string& kid) override;

  // WorkspaceStore.
  Status CreatePrincipal(const Principal& principal, const AuditEvent* audit = nullptr) override;
  Result<Principal> GetPrincipal(int64_t id) override;
  Result<Principal> FindUserByName(const std::string& user_name) override;
  Result<Principal> FindServicePrincipalByApplicationId(const std::string& app_id) override;
  Result<std::vector<Principal>> ListPrincipals(PrincipalKind kind) override;
  Status UpdatePrincipal(const Principal& principal, const AuditEvent* audit = nullptr) override;
  Status DeletePrincipal(int64_t id, const AuditEvent* audit = nullptr) override;
  Status CreateGroup(const Group& group, const AuditEvent* audit = nullptr) override;
  Result<Group> GetGroup(int64_t id) override;
  Result<Group> FindGroupByName(const std::string& display_name) override;
  Result<std::vector<Group>> ListGroups() override;
  Status UpdateGroup(const Group& group, const AuditEvent* audit = nullptr) override;
  Status DeleteGroup(int64_t id, const AuditEvent* audit = nullptr) override;
  Result<std::vector<int64_t>> GroupsOfPrincipal(int64_t principal_id) override;

  // AuditStore.
  Status AppendAudit(const AuditEvent& event) override;
  Result<std::vector<AuditEvent>> ListAudit(int64_t after_seq, int limit) override;
  Result<int64_t> PurgeAudit(TimePoint before, int64_t keep_at_most) override;

  // sql::Executor: the sessions the query layer's operations run on.
  Status RunRead(sql::FunctionRef<Status(sql::Session&)> fn) override;
  Status RunSnapshot(sql::FunctionRef<Status(sql::Session&)> fn) override;
  Status RunWrite(sql::Isolation isolation,
                  sql::FunctionRef<Status(sql::Session&, std::vector<Change>&)> fn) override;

  // Store.
  ChangeSubscription AddChangeListener(ChangeListener listener) override;
  // SELECT 1 on a pooled session, giving up after 2 s (1 s of it waiting for a session).
  Status Ping() override;
  std::string backend() const override { return "postgresql"; }
  PoolUsage pool_usage() const override {
    return {pool_->size(), pool_->in_use(), pool_->waiting()};
  }

 private:
  PostgresStore(std::unique_ptr<ConnectionPool> pool, std::string channel);

  // Runs fn(Connection&, std::vector<Change>&) -> Status, or fn(Connection&) -> Status for a
  // write nobody needs to hear of, in one transaction; fn lists the changes it made (cleared
  // before each attempt). `audit` (if not null) is inserted after fn, in the same transaction
  // (InsertAudit). The changes are sent with pg_notify inside the transaction and, once it
  // committed, given to the local listeners.
  template <class Fn>
  Status Write(Isolation isolation, const AuditEvent* audit, Fn&& fn) {
    std::vector<Change> changes;
    Status status = pool_->Transaction(isolation, [&](Connection& conn) -> Status {
      changes.clear();
      if constexpr (std::is_invocable_v<Fn&, Connection&, std::vector<Change>&>) {
        LATCHKEY_RETURN_IF_ERROR(fn(conn, changes));
      } else {
        LATCHKEY_RETURN_IF_ERROR(fn(conn));
      }
      if (audit != nullptr) LATCHKEY_RETURN_IF_ERROR(InsertAudit(conn, *audit));
      return SendNotifications(conn, changes);
    });
    if (status) NotifyLocal(changes);
    return status;
  }
  template <class Fn>
  Status Write(Isolation isolation, Fn&& fn) {
    return Write(isolation, nullptr, std::forward<Fn>(fn));
  }
  template <class Fn>
  Status Write(const AuditEvent* audit, Fn&& fn) {
    return Write(Isolation::kReadCommitted, audit, std::forward<Fn>(fn));
  }
  template <class Fn>
  Status Write(Fn&& fn) {
    return Write(Isolation::kReadCommitted, nullptr, std::forward<Fn>(fn));
  }

  // Inserts one audit event. Inserts take turns (a transaction-level advisory lock held until
  // commit), so seq order is commit order and a reader paging with ListAudit(after_seq) never
  // skips an event that commits late.
  static Status InsertAudit(Connection& conn, const AuditEvent& event);
  Status SendNotifications(Connection& conn, const std::vector<Change>& changes);
  void NotifyLocal(const std::vector<Change>& changes);

  std::unique_ptr<ConnectionPool> pool_;
  const std::string channel_;
  ChangeListeners listeners_;
  // Declared last: destroyed (stopped and joined) first, while everything it calls still lives.
  std::unique_ptr<NotificationListener> notifications_;
};

}  // namespace latchkey::store::postgres

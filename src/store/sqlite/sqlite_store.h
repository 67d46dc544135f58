// SqliteStore: the embedded Store backend (SQLite 3, WAL journal, synchronous=FULL).
//
// One writer connection guarded by a mutex serializes writes, each in one BEGIN IMMEDIATE
// transaction; a few reader connections serve reads concurrently from WAL snapshots. Several
// processes (latchkeyd and the CLI) may open the same file: they wait for each other's write
// lock up to busy_timeout (5 s), then fail with kUnavailable. Thread-safe. Change listeners run
// on the writing thread after the commit, outside every database lock.
//
// Another process may change the file too (`latchkeyd keys remove`, a second latchkeyd): a
// watcher thread reads the signing keys' fingerprint every 100 ms and, when it changed, tells
// the listeners kSigningKeysChanged, so a removed key stops verifying tokens within ~100 ms.
#pragma once

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "base/result.h"
#include "store/store.h"

namespace latchkey::store::sqlite {

class Connection;
class ConnectionPool;

class SqliteStore final : public Store {
 public:
  // Opens `path`, a database file or ":memory:" (a private in-memory database), and applies the
  // numbered migrations. A missing file is created with mode 0600 (its -wal and -shm files too).
  // kUnavailable if the file cannot be opened or created, kFailedPrecondition if its schema is
  // newer than this binary.
  static Result<std::unique_ptr<SqliteStore>> Open(const std::string& path);
  ~SqliteStore() override;

  // PRAGMA integrity_check: Ok when it reports "ok", else kInternal with its first findings.
  Status IntegrityCheck();

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
  Status Ping() override;
  std::string backend() const override { return "sqlite"; }
  PoolUsage pool_usage() const override;

 private:
  explicit SqliteStore(std::unique_ptr<ConnectionPool> pool);

  // pool_->Write(fn), inserting `audit` (if not null) after fn in the same transaction.
  Status Write(const AuditEvent* audit, const std::function<Status(Connection&)>& fn);
  static Status InsertAudit(Connection& conn, const AuditEvent& event);
  // Returns `status`; when it is Ok, first tells every listener about `changes`.
  Status Notify(Status status, const std::vector<Change>& changes);
  // The watcher of changes made by other processes (file databases only).
  void WatchOtherProcesses();
  Result<std::string> KeysFingerprint();

  std::unique_ptr<ConnectionPool> pool_;
  ChangeListeners listeners_;
  std::mutex watch_mu_;
  std::condition_variable watch_cv_;
  bool stop_watching_ = false;
  std::thread watcher_;  // joined by the destructor, before anything it uses goes
  int open_lock_fd_ = -1;  // <path>.lock, held shared while open (backup.h: Restore)
};

// IntegrityCheck of a Store opened on the SQLite backend; kFailedPrecondition for any other.
Status IntegrityCheck(Store& store);

}  // namespace latchkey::store::sqlite

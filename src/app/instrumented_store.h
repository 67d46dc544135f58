// A store::Store decorator that times every call into latchkey_db_operation_duration_seconds
// {operation="<method name>"}. It owns the real store; backends need no change. Thread-safe
// as the store it wraps.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "metrics/service_metrics.h"
#include "store/store.h"

namespace latchkey::app {

class InstrumentedStore final : public store::Store {
 public:
  InstrumentedStore(std::unique_ptr<store::Store> inner, metrics::ServiceMetrics& metrics)
      : inner_(std::move(inner)), metrics_(metrics), observer_(metrics) {
    SetOperationObserver(&observer_);
  }

  store::Store& inner() { return *inner_; }

  Status CreateTenant(const store::Tenant& tenant) override;
  Result<store::Tenant> GetTenant(const std::string& id) override;
  Result<std::vector<store::Tenant>> ListTenants() override;
  Status CreateApplication(const store::Application& app,
                           const store::DirectoryServicePrincipal& sp) override;
  Result<store::Application> GetApplicationByAppId(const std::string& app_id) override;
  Result<store::Application> GetApplicationByObjectId(const std::string& object_id) override;
  Result<std::vector<store::Application>> ListApplications(const std::string& tenant_id) override;
  Result<store::Application> FindApplicationByIdentifierUri(const std::string& uri) override;
  Status DeleteApplication(const std::string& object_id) override;
  Status AddPasswordCredential(const store::PasswordCredential& credential,
                               const store::AuditEvent* audit = nullptr) override;
  Result<std::vector<store::PasswordCredential>> ListPasswordCredentials(
      const std::string& app_object_id) override;
  Status RemovePasswordCredential(const std::string& app_object_id, const std::string& key_id,
                                  const store::AuditEvent* audit = nullptr) override;
  Status AddCertificateCredential(const store::CertificateCredential& credential,
                                  const store::AuditEvent* audit = nullptr) override;
  Result<std::vector<store::CertificateCredential>> ListCertificateCredentials(
      const std::string& app_object_id) override;
  Status RemoveCertificateCredential(const std::string& app_object_id, const std::string& key_id,
                                     const store::AuditEvent* audit = nullptr) override;
  Status CreateDirectoryServicePrincipal(const store::DirectoryServicePrincipal& sp) override;
  Result<store::DirectoryServicePrincipal> GetDirectoryServicePrincipal(
      const std::string& object_id) override;
  Result<store::DirectoryServicePrincipal> FindDirectoryServicePrincipal(
      const std::string& tenant_id, const std::string& app_id) override;
  Result<std::vector<store::DirectoryServicePrincipal>> ListDirectoryServicePrincipals(
      const std::string& tenant_id) override;
  Status DeleteDirectoryServicePrincipal(const std::string& object_id) override;
  Status AddFederatedCredential(const store::FederatedIdentityCredential& credential,
                                int max_per_app) override;
  Result<std::vector<store::FederatedIdentityCredential>> ListFederatedCredentials(
      const std::string& app_object_id) override;
  Status UpdateFederatedCredential(const store::FederatedIdentityCredential& credential) override;
  Status RemoveFederatedCredential(const std::string& app_object_id, const std::string& id) override;
  Status RecordAssertionJti(const std::string& app_id, const std::string& jti_hash,
                            TimePoint expires_at, int max_live, TimePoint now) override;
  Status AddSigningKey(const store::SigningKey& key) override;
  Result<std::vector<store::SigningKey>> ListSigningKeys() override;
  Status ActivateSigningKey(const std::string& new_kid, TimePoint at) override;
  Status DeleteSigningKey(const std::string& kid) override;
  Status CreatePrincipal(const store::Principal& principal,
                         const store::AuditEvent* audit = nullptr) override;
  Result<store::Principal> GetPrincipal(int64_t id) override;
  Result<store::Principal> FindUserByName(const std::string& user_name) override;
  Result<store::Principal> FindServicePrincipalByApplicationId(const std::string& app_id) override;
  Result<std::vector<store::Principal>> ListPrincipals(store::PrincipalKind kind) override;
  Status UpdatePrincipal(const store::Principal& principal,
                         const store::AuditEvent* audit = nullptr) override;
  Status DeletePrincipal(int64_t id, const store::AuditEvent* audit = nullptr) override;
  Status CreateGroup(const store::Group& group, const store::AuditEvent* audit = nullptr) override;
  Result<store::Group> GetGroup(int64_t id) override;
  Result<store::Group> FindGroupByName(const std::string& display_name) override;
  Result<std::vector<store::Group>> ListGroups() override;
  Status UpdateGroup(const store::Group& group, const store::AuditEvent* audit = nullptr) override;
  Status DeleteGroup(int64_t id, const store::AuditEvent* audit = nullptr) override;
  Result<std::vector<int64_t>> GroupsOfPrincipal(int64_t principal_id) override;
  Status AppendAudit(const store::AuditEvent& event) override;
  Result<std::vector<store::AuditEvent>> ListAudit(int64_t after_seq, int limit) override;
  Result<int64_t> PurgeAudit(TimePoint before, int64_t keep_at_most) override;
  // The query layer's operations run here, timed by the one seam (store/sql/executor.h), on
  // the inner store's sessions.
  Status RunRead(store::sql::FunctionRef<Status(store::sql::Session&)> fn) override {
    return inner_->RunRead(fn);
  }
  Status RunSnapshot(store::sql::FunctionRef<Status(store::sql::Session&)> fn) override {
    return inner_->RunSnapshot(fn);
  }
  Status RunWrite(store::sql::Isolation isolation,
                  store::sql::FunctionRef<Status(store::sql::Session&,
                                                 std::vector<store::Change>&)> fn) override {
    return inner_->RunWrite(isolation, fn);
  }
  Status Ping() override;
  store::ChangeSubscription AddChangeListener(ChangeListener listener) override;
  std::string backend() const override { return inner_->backend(); }
  store::PoolUsage pool_usage() const override { return inner_->pool_usage(); }

 private:
  template <class F>
  auto Timed(const char* operation, F&& call) {
    const auto start = std::chrono::steady_clock::now();
    auto result = call();
    metrics_.RecordDbOperation(
        operation, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    return result;
  }

  class Observer final : public store::OperationObserver {
   public:
    explicit Observer(metrics::ServiceMetrics& metrics) : metrics_(metrics) {}
    void Observe(std::string_view operation, std::chrono::nanoseconds elapsed) override {
      metrics_.RecordDbOperation(operation, std::chrono::duration<double>(elapsed).count());
    }

   private:
    metrics::ServiceMetrics& metrics_;
  };

  std::unique_ptr<store::Store> inner_;
  metrics::ServiceMetrics& metrics_;
  Observer observer_;
};

}  // namespace latchkey::app

// A store::Store decorator that times every call into latchkey_db_operation_duration_seconds
// {operation="<method name>"}. It owns the real store; backends need no change. Thread-safe
// as the store it wraps.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "http/offload_context.h"
#include "metrics/service_metrics.h"
#include "store/store.h"

namespace latchkey::app {

class InstrumentedStore final : public store::Store {
 public:
  InstrumentedStore(std::unique_ptr<store::Store> inner, metrics::ServiceMetrics& metrics)
      : inner_(std::move(inner)), metrics_(metrics) {}

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
                                int max_per_app, const store::AuditEvent* audit = nullptr) override;
  Result<std::vector<store::FederatedIdentityCredential>> ListFederatedCredentials(
      const std::string& app_object_id) override;
  Status UpdateFederatedCredential(const store::FederatedIdentityCredential& credential,
                                   const store::AuditEvent* audit = nullptr) override;
  Status RemoveFederatedCredential(const std::string& app_object_id, const std::string& id,
                                   const store::AuditEvent* audit = nullptr) override;
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
  Result<std::vector<store::TokenPermission>> ListTokenPermissions() override;
  Status ReplaceTokenPermissions(const std::vector<store::TokenPermission>& grants,
                                 const std::vector<int64_t>& revoke_owner_ids,
                                 const store::AuditEvent* audit = nullptr) override;
  Status CreatePat(const store::Pat& pat, int quota, TimePoint now,
                   const store::AuditEvent* audit = nullptr) override;
  Result<store::Pat> GetPat(const std::string& token_id) override;
  Result<std::vector<store::Pat>> ListPats(int64_t owner_id, TimePoint now) override;
  Status DeletePat(const std::string& token_id, const store::AuditEvent* audit = nullptr) override;
  Status TouchPats(const std::vector<std::string>& token_ids, TimePoint day) override;
  Result<int64_t> CountPats() override;
  Result<int64_t> PurgeExpiredPats(TimePoint now) override;
  Status CreateOAuthSecret(const store::OAuthSecret& secret,
                           const store::AuditEvent* audit = nullptr) override;
  Result<store::OAuthSecret> GetOAuthSecret(const std::string& id) override;
  Result<std::vector<store::OAuthSecret>> ListOAuthSecrets(int64_t principal_id) override;
  Status DeleteOAuthSecret(const std::string& id,
                           const store::AuditEvent* audit = nullptr) override;
  Result<std::string> GetConf(const std::string& key) override;
  Status SetConf(const std::string& key, const std::string& value,
                 const store::AuditEvent* audit = nullptr) override;
  Status DeleteConf(const std::string& key, const store::AuditEvent* audit = nullptr) override;

  // Federation policies.
  Status CreateFederationPolicy(const store::FederationPolicy& policy, int max_per_owner,
                                const store::AuditEvent* audit = nullptr) override;
  Result<store::FederationPolicy> GetFederationPolicy(int64_t service_principal_id,
                                               const std::string& policy_id) override;
  Result<std::vector<store::FederationPolicy>> ListFederationPolicies(
      int64_t service_principal_id) override;
  Status UpdateFederationPolicy(const store::FederationPolicy& policy,
                                const store::AuditEvent* audit = nullptr) override;
  Status DeleteFederationPolicy(int64_t service_principal_id, const std::string& policy_id,
                                const store::AuditEvent* audit = nullptr) override;
  Status CreateRefreshToken(const store::RefreshToken& token) override;
  Result<store::RefreshToken> GetRefreshToken(const std::string& token_hash) override;
  Result<store::RefreshToken> RotateRefreshToken(const std::string& old_hash,
                                                 const store::RefreshToken& next) override;
  Result<int64_t> RevokeRefreshTokenFamily(const std::string& family_id) override;
  Status AppendAudit(const store::AuditEvent& event) override;
  Result<std::vector<store::AuditEvent>> ListAudit(int64_t after_seq, int limit) override;
  Result<int64_t> PurgeAudit(TimePoint before, int64_t keep_at_most) override;
  Status Ping() override;
  store::ChangeSubscription AddChangeListener(ChangeListener listener) override;
  std::string backend() const override { return inner_->backend(); }
  store::PoolUsage pool_usage() const override { return inner_->pool_usage(); }

 private:
  template <class F>
  auto Timed(const char* operation, F&& call) {
    using R = decltype(call());
    // On an HTTP worker's fast path a store call would block the worker: the request goes to
    // the store pool instead (http/offload.h). On the pool, a request that is not going to be
    // answered (deadline passed, client gone) starts no store call.
    if (http::DeferToPool()) {
      return R(MakeError(ErrorCode::kUnavailable, "store call deferred to the store pool"));
    }
    if (http::Abandoned()) {
      return R(MakeError(ErrorCode::kUnavailable,
                         "request abandoned: its deadline has passed or its client has gone"));
    }
    const auto start = std::chrono::steady_clock::now();
    auto result = call();
    metrics_.RecordDbOperation(
        operation, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    return result;
  }

  std::unique_ptr<store::Store> inner_;
  metrics::ServiceMetrics& metrics_;
};

}  // namespace latchkey::app

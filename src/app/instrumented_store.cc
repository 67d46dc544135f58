#include "app/instrumented_store.h"

namespace latchkey::app {

Status InstrumentedStore::CreateTenant(const store::Tenant& tenant) {
  return Timed("CreateTenant", [&] { return inner_->CreateTenant(tenant); });
}

Result<store::Tenant> InstrumentedStore::GetTenant(const std::string& id) {
  return Timed("GetTenant", [&] { return inner_->GetTenant(id); });
}

Result<std::vector<store::Tenant>> InstrumentedStore::ListTenants() {
  return Timed("ListTenants", [&] { return inner_->ListTenants(); });
}

Status InstrumentedStore::CreateApplication(const store::Application& app,
                                            const store::DirectoryServicePrincipal& sp) {
  return Timed("CreateApplication", [&] { return inner_->CreateApplication(app, sp); });
}

Result<store::Application> InstrumentedStore::GetApplicationByAppId(const std::string& app_id) {
  return Timed("GetApplicationByAppId", [&] { return inner_->GetApplicationByAppId(app_id); });
}

Result<store::Application> InstrumentedStore::GetApplicationByObjectId(
    const std::string& object_id) {
  return Timed("GetApplicationByObjectId",
               [&] { return inner_->GetApplicationByObjectId(object_id); });
}

Result<std::vector<store::Application>> InstrumentedStore::ListApplications(
    const std::string& tenant_id) {
  return Timed("ListApplications", [&] { return inner_->ListApplications(tenant_id); });
}

Result<store::Application> InstrumentedStore::FindApplicationByIdentifierUri(
    const std::string& uri) {
  return Timed("FindApplicationByIdentifierUri",
               [&] { return inner_->FindApplicationByIdentifierUri(uri); });
}

Status InstrumentedStore::DeleteApplication(const std::string& object_id) {
  return Timed("DeleteApplication", [&] { return inner_->DeleteApplication(object_id); });
}

Status InstrumentedStore::AddPasswordCredential(const store::PasswordCredential& credential,
                                                const store::AuditEvent* audit) {
  return Timed("AddPasswordCredential",
               [&] { return inner_->AddPasswordCredential(credential, audit); });
}

Result<std::vector<store::PasswordCredential>> InstrumentedStore::ListPasswordCredentials(
    const std::string& app_object_id) {
  return Timed("ListPasswordCredentials",
               [&] { return inner_->ListPasswordCredentials(app_object_id); });
}

Status InstrumentedStore::RemovePasswordCredential(const std::string& app_object_id,
                                                   const std::string& key_id,
                                                   const store::AuditEvent* audit) {
  return Timed("RemovePasswordCredential",
               [&] { return inner_->RemovePasswordCredential(app_object_id, key_id, audit); });
}

Status InstrumentedStore::AddCertificateCredential(const store::CertificateCredential& credential,
                                                   const store::AuditEvent* audit) {
  return Timed("AddCertificateCredential",
               [&] { return inner_->AddCertificateCredential(credential, audit); });
}

Result<std::vector<store::CertificateCredential>> InstrumentedStore::ListCertificateCredentials(
    const std::string& app_object_id) {
  return Timed("ListCertificateCredentials",
               [&] { return inner_->ListCertificateCredentials(app_object_id); });
}

Status InstrumentedStore::RemoveCertificateCredential(const std::string& app_object_id,
                                                      const std::string& key_id,
                                                      const store::AuditEvent* audit) {
  return Timed("RemoveCertificateCredential",
               [&] { return inner_->RemoveCertificateCredential(app_object_id, key_id, audit); });
}

Status InstrumentedStore::CreateDirectoryServicePrincipal(
    const store::DirectoryServicePrincipal& sp) {
  return Timed("CreateDirectoryServicePrincipal",
               [&] { return inner_->CreateDirectoryServicePrincipal(sp); });
}

Result<store::DirectoryServicePrincipal> InstrumentedStore::GetDirectoryServicePrincipal(
    const std::string& object_id) {
  return Timed("GetDirectoryServicePrincipal",
               [&] { return inner_->GetDirectoryServicePrincipal(object_id); });
}

Result<store::DirectoryServicePrincipal> InstrumentedStore::FindDirectoryServicePrincipal(
    const std::string& tenant_id, const std::string& app_id) {
  return Timed("FindDirectoryServicePrincipal",
               [&] { return inner_->FindDirectoryServicePrincipal(tenant_id, app_id); });
}

Result<std::vector<store::DirectoryServicePrincipal>>
InstrumentedStore::ListDirectoryServicePrincipals(const std::string& tenant_id) {
  return Timed("ListDirectoryServicePrincipals",
               [&] { return inner_->ListDirectoryServicePrincipals(tenant_id); });
}

Status InstrumentedStore::DeleteDirectoryServicePrincipal(const std::string& object_id) {
  return Timed("DeleteDirectoryServicePrincipal",
               [&] { return inner_->DeleteDirectoryServicePrincipal(object_id); });
}

Status InstrumentedStore::AddFederatedCredential(
    const store::FederatedIdentityCredential& credential, int max_per_app,
    const store::AuditEvent* audit) {
  return Timed("AddFederatedCredential",
               [&] { return inner_->AddFederatedCredential(credential, max_per_app, audit); });
}

Result<std::vector<store::FederatedIdentityCredential>>
InstrumentedStore::ListFederatedCredentials(const std::string& app_object_id) {
  return Timed("ListFederatedCredentials",
               [&] { return inner_->ListFederatedCredentials(app_object_id); });
}

Status InstrumentedStore::UpdateFederatedCredential(
    const store::FederatedIdentityCredential& credential, const store::AuditEvent* audit) {
  return Timed("UpdateFederatedCredential",
               [&] { return inner_->UpdateFederatedCredential(credential, audit); });
}

Status InstrumentedStore::RemoveFederatedCredential(const std::string& app_object_id,
                                                    const std::string& id,
                                                    const store::AuditEvent* audit) {
  return Timed("RemoveFederatedCredential",
               [&] { return inner_->RemoveFederatedCredential(app_object_id, id, audit); });
}

Status InstrumentedStore::RecordAssertionJti(const std::string& app_id,
                                             const std::string& jti_hash, TimePoint expires_at,
                                             int max_live, TimePoint now) {
  return Timed("RecordAssertionJti", [&] {
    return inner_->RecordAssertionJti(app_id, jti_hash, expires_at, max_live, now);
  });
}

Status InstrumentedStore::AddSigningKey(const store::SigningKey& key) {
  return Timed("AddSigningKey", [&] { return inner_->AddSigningKey(key); });
}

Result<std::vector<store::SigningKey>> InstrumentedStore::ListSigningKeys() {
  return Timed("ListSigningKeys", [&] { return inner_->ListSigningKeys(); });
}

Status InstrumentedStore::ActivateSigningKey(const std::string& new_kid, TimePoint at) {
  return Timed("ActivateSigningKey", [&] { return inner_->ActivateSigningKey(new_kid, at); });
}

Status InstrumentedStore::DeleteSigningKey(const std::string& kid) {
  return Timed("DeleteSigningKey", [&] { return inner_->DeleteSigningKey(kid); });
}

Status InstrumentedStore::CreatePrincipal(const store::Principal& principal,
                                          const store::AuditEvent* audit) {
  return Timed("CreatePrincipal", [&] { return inner_->CreatePrincipal(principal, audit); });
}

Result<store::Principal> InstrumentedStore::GetPrincipal(int64_t id) {
  return Timed("GetPrincipal", [&] { return inner_->GetPrincipal(id); });
}

Result<store::Principal> InstrumentedStore::FindUserByName(const std::string& user_name) {
  return Timed("FindUserByName", [&] { return inner_->FindUserByName(user_name); });
}

Result<store::Principal> InstrumentedStore::FindServicePrincipalByApplicationId(
    const std::string& app_id) {
  return Timed("FindServicePrincipalByApplicationId",
               [&] { return inner_->FindServicePrincipalByApplicationId(app_id); });
}

Result<std::vector<store::Principal>> InstrumentedStore::ListPrincipals(store::PrincipalKind kind) {
  return Timed("ListPrincipals", [&] { return inner_->ListPrincipals(kind); });
}

Status InstrumentedStore::UpdatePrincipal(const store::Principal& principal,
                                          const store::AuditEvent* audit) {
  return Timed("UpdatePrincipal", [&] { return inner_->UpdatePrincipal(principal, audit); });
}

Status InstrumentedStore::DeletePrincipal(int64_t id, const store::AuditEvent* audit) {
  return Timed("DeletePrincipal", [&] { return inner_->DeletePrincipal(id, audit); });
}

Status InstrumentedStore::CreateGroup(const store::Group& group, const store::AuditEvent* audit) {
  return Timed("CreateGroup", [&] { return inner_->CreateGroup(group, audit); });
}

Result<store::Group> InstrumentedStore::GetGroup(int64_t id) {
  return Timed("GetGroup", [&] { return inner_->GetGroup(id); });
}

Result<store::Group> InstrumentedStore::FindGroupByName(const std::string& display_name) {
  return Timed("FindGroupByName", [&] { return inner_->FindGroupByName(display_name); });
}

Result<std::vector<store::Group>> InstrumentedStore::ListGroups() {
  return Timed("ListGroups", [&] { return inner_->ListGroups(); });
}

Status InstrumentedStore::UpdateGroup(const store::Group& group, const store::AuditEvent* audit) {
  return Timed("UpdateGroup", [&] { return inner_->UpdateGroup(group, audit); });
}

Status InstrumentedStore::DeleteGroup(int64_t id, const store::AuditEvent* audit) {
  return Timed("DeleteGroup", [&] { return inner_->DeleteGroup(id, audit); });
}

Result<std::vector<int64_t>> InstrumentedStore::GroupsOfPrincipal(int64_t principal_id) {
  return Timed("GroupsOfPrincipal", [&] { return inner_->GroupsOfPrincipal(principal_id); });
}

Result<std::vector<store::TokenPermission>> InstrumentedStore::ListTokenPermissions() {
  return Timed("ListTokenPermissions", [&] { return inner_->ListTokenPermissions(); });
}

Status InstrumentedStore::ReplaceTokenPermissions(const std::vector<store::TokenPermission>& grants,
                                                  const std::vector<int64_t>& revoke_owner_ids,
                                                  const store::AuditEvent* audit) {
  return Timed("ReplaceTokenPermissions",
               [&] { return inner_->ReplaceTokenPermissions(grants, revoke_owner_ids, audit); });
}

Status InstrumentedStore::CreatePat(const store::Pat& pat, int quota, TimePoint now,
                                    const store::AuditEvent* audit) {
  return Timed("CreatePat", [&] { return inner_->CreatePat(pat, quota, now, audit); });
}

Result<store::Pat> InstrumentedStore::GetPat(const std::string& token_id) {
  return Timed("GetPat", [&] { return inner_->GetPat(token_id); });
}

Result<std::vector<store::Pat>> InstrumentedStore::ListPats(int64_t owner_id, TimePoint now) {
  return Timed("ListPats", [&] { return inner_->ListPats(owner_id, now); });
}

Status InstrumentedStore::DeletePat(const std::string& token_id, const store::AuditEvent* audit) {
  return Timed("DeletePat", [&] { return inner_->DeletePat(token_id, audit); });
}

Status InstrumentedStore::TouchPats(const std::vector<std::string>& token_ids, TimePoint day) {
  return Timed("TouchPats", [&] { return inner_->TouchPats(token_ids, day); });
}

Result<int64_t> InstrumentedStore::CountPats() {
  return Timed("CountPats", [&] { return inner_->CountPats(); });
}

Result<int64_t> InstrumentedStore::PurgeExpiredPats(TimePoint now) {
  return Timed("PurgeExpiredPats", [&] { return inner_->PurgeExpiredPats(now); });
}

Status InstrumentedStore::CreateOAuthSecret(const store::OAuthSecret& secret,
                                            const store::AuditEvent* audit) {
  return Timed("CreateOAuthSecret", [&] { return inner_->CreateOAuthSecret(secret, audit); });
}

Result<store::OAuthSecret> InstrumentedStore::GetOAuthSecret(const std::string& id) {
  return Timed("GetOAuthSecret", [&] { return inner_->GetOAuthSecret(id); });
}

Result<std::vector<store::OAuthSecret>> InstrumentedStore::ListOAuthSecrets(int64_t principal_id) {
  return Timed("ListOAuthSecrets", [&] { return inner_->ListOAuthSecrets(principal_id); });
}

Status InstrumentedStore::DeleteOAuthSecret(const std::string& id, const store::AuditEvent* audit) {
  return Timed("DeleteOAuthSecret", [&] { return inner_->DeleteOAuthSecret(id, audit); });
}

Result<std::string> InstrumentedStore::GetConf(const std::string& key) {
  return Timed("GetConf", [&] { return inner_->GetConf(key); });
}

Status InstrumentedStore::SetConf(const std::string& key, const std::string& value,
                                  const store::AuditEvent* audit) {
  return Timed("SetConf", [&] { return inner_->SetConf(key, value, audit); });
}

Status InstrumentedStore::DeleteConf(const std::string& key, const store::AuditEvent* audit) {
  return Timed("DeleteConf", [&] { return inner_->DeleteConf(key, audit); });
}

Status InstrumentedStore::AppendAudit(const store::AuditEvent& event) {
  return Timed("AppendAudit", [&] { return inner_->AppendAudit(event); });
}

Result<std::vector<store::AuditEvent>> InstrumentedStore::ListAudit(int64_t after_seq, int limit) {
  return Timed("ListAudit", [&] { return inner_->ListAudit(after_seq, limit); });
}

Result<int64_t> InstrumentedStore::PurgeAudit(TimePoint before, int64_t keep_at_most) {
  return Timed("PurgeAudit", [&] { return inner_->PurgeAudit(before, keep_at_most); });
}

Status InstrumentedStore::Ping() {
  return Timed("Ping", [&] { return inner_->Ping(); });
}

store::ChangeSubscription InstrumentedStore::AddChangeListener(ChangeListener listener) {
  return inner_->AddChangeListener(std::move(listener));
}

Status InstrumentedStore::CreateFederationPolicy(const store::FederationPolicy& policy,
                                                 int max_per_owner,
                                                 const store::AuditEvent* audit) {
  return Timed("CreateFederationPolicy",
               [&] { return inner_->CreateFederationPolicy(policy, max_per_owner, audit); });
}

Result<store::FederationPolicy> InstrumentedStore::GetFederationPolicy(
    int64_t service_principal_id, const std::string& policy_id) {
  return Timed("GetFederationPolicy",
               [&] { return inner_->GetFederationPolicy(service_principal_id, policy_id); });
}

Result<std::vector<store::FederationPolicy>> InstrumentedStore::ListFederationPolicies(
    int64_t service_principal_id) {
  return Timed("ListFederationPolicies",
               [&] { return inner_->ListFederationPolicies(service_principal_id); });
}

Status InstrumentedStore::UpdateFederationPolicy(const store::FederationPolicy& policy,
                                                 const store::AuditEvent* audit) {
  return Timed("UpdateFederationPolicy", [&] { return inner_->UpdateFederationPolicy(policy, audit); });
}

Status InstrumentedStore::DeleteFederationPolicy(int64_t service_principal_id,
                                                 const std::string& policy_id,
                                                 const store::AuditEvent* audit) {
  return Timed("DeleteFederationPolicy", [&] {
    return inner_->DeleteFederationPolicy(service_principal_id, policy_id, audit);
  });
}

Status InstrumentedStore::CreateRefreshToken(const store::RefreshToken& token) {
  return Timed("CreateRefreshToken", [&] { return inner_->CreateRefreshToken(token); });
}

Result<store::RefreshToken> InstrumentedStore::GetRefreshToken(const std::string& token_hash) {
  return Timed("GetRefreshToken", [&] { return inner_->GetRefreshToken(token_hash); });
}

Result<store::RefreshToken> InstrumentedStore::RotateRefreshToken(const std::string& old_hash,
                                                                  const store::RefreshToken& next) {
  return Timed("RotateRefreshToken", [&] { return inner_->RotateRefreshToken(old_hash, next); });
}

Result<int64_t> InstrumentedStore::RevokeRefreshTokenFamily(const std::string& family_id) {
  return Timed("RevokeRefreshTokenFamily", [&] { return inner_->RevokeRefreshTokenFamily(family_id); });
}

}  // namespace latchkey::app

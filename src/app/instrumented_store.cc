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
    const store::FederatedIdentityCredential& credential, int max_per_app) {
  return Timed("AddFederatedCredential",
               [&] { return inner_->AddFederatedCredential(credential, max_per_app); });
}

Result<std::vector<store::FederatedIdentityCredential>>
InstrumentedStore::ListFederatedCredentials(const std::string& app_object_id) {
  return Timed("ListFederatedCredentials",
               [&] { return inner_->ListFederatedCredentials(app_object_id); });
}

Status InstrumentedStore::UpdateFederatedCredential(
    const store::FederatedIdentityCredential& credential) {
  return Timed("UpdateFederatedCredential",
               [&] { return inner_->UpdateFederatedCredential(credential); });
}

Status InstrumentedStore::RemoveFederatedCredential(const std::string& app_object_id,
                                                    const std::string& id) {
  return Timed("RemoveFederatedCredential",
               [&] { return inner_->RemoveFederatedCredential(app_object_id, id); });
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

}  // namespace latchkey::app

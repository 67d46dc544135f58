// Tenants, applications, their credentials and directory service principals, written once
// for both backends.
#include <string>
#include <utility>
#include <vector>

#include "store/row_mappers.h"
#include "store/store.h"

namespace latchkey::store {

using sql::Session;

namespace {

Status InsertServicePrincipal(Session& s, const DirectoryServicePrincipal& sp) {
  return ServicePrincipalColumns::Insert(
      s,
      "INSERT INTO directory_service_principals (" LATCHKEY_SP_COLUMNS ") VALUES (?, ?, ?, ?, ?)",
      sp);
}

// The client id (app_id) of an application, for change events; kNotFound if it is missing.
Result<std::string> AppIdOf(Session& s, const std::string& object_id) {
  return s.Prepare("SELECT app_id FROM applications WHERE object_id = ?")
      .Bind(object_id)
      .One(sql::TextColumnFromRow, "application");
}

// Deletes one credential row of an application; the change names the application's app_id.
Status RemoveCredential(Session& s, const char* sql, const std::string& app_object_id,
                        const std::string& key_id, std::vector<Change>& changes,
                        std::string_view what = "credential") {
  Result<std::string> app_id = AppIdOf(s, app_object_id);
  if (!app_id) return std::unexpected(std::move(app_id).error());
  LATCHKEY_RETURN_IF_ERROR(s.Prepare(sql).Bind(app_object_id).Bind(key_id).UpdateExisting(what));
  changes.push_back({ChangeKind::kCredentialChanged, std::move(*app_id)});
  return Ok();
}

// ASCII lower case (names compare case-insensitively, as Graph's do).
std::string AsciiLowerCopy(std::string s) {
  for (char& ch : s)
    if (ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch - 'A' + 'a');
  return s;
}

}  // namespace

Status DirectoryStore::CreateTenant(const Tenant& tenant) {
  return Write("CreateTenant", [&](Session& s) {
    return TenantColumns::Insert(
        s, "INSERT INTO tenants (" LATCHKEY_TENANT_COLUMNS ") VALUES (?, ?, ?)", tenant);
  });
}

Result<Tenant> DirectoryStore::GetTenant(const std::string& id) {
  return ReadOne("GetTenant", "SELECT " LATCHKEY_TENANT_COLUMNS " FROM tenants WHERE id = ?",
                 TenantFromRow, "tenant", id);
}

Result<std::vector<Tenant>> DirectoryStore::ListTenants() {
  return ReadAll("ListTenants",
                 "SELECT " LATCHKEY_TENANT_COLUMNS " FROM tenants ORDER BY created_at, {seq}",
                 TenantFromRow);
}

Status DirectoryStore::CreateApplication(const Application& app,
                                         const DirectoryServicePrincipal& sp) {
  return Write("CreateApplication", [&](Session& s) -> Status {
    LATCHKEY_RETURN_IF_ERROR(ApplicationColumns::Insert(
        s, "INSERT INTO applications (" LATCHKEY_APP_COLUMNS ") VALUES (?, ?, ?, ?, ?, ?, ?)",
        app));
    if (sp.object_id.empty()) return Ok();  // no service principal (Graph's POST /applications)
    return InsertServicePrincipal(s, sp);
  });
}

Result<Application> DirectoryStore::GetApplicationByAppId(const std::string& app_id) {
  return ReadOne("GetApplicationByAppId",
                 "SELECT " LATCHKEY_APP_COLUMNS " FROM applications WHERE app_id = ?",
                 ApplicationFromRow, "application", app_id);
}

Result<Application> DirectoryStore::GetApplicationByObjectId(const std::string& object_id) {
  return ReadOne("GetApplicationByObjectId",
                 "SELECT " LATCHKEY_APP_COLUMNS " FROM applications WHERE object_id = ?",
                 ApplicationFromRow, "application", object_id);
}

Result<std::vector<Application>> DirectoryStore::ListApplications(const std::string& tenant_id) {
  return ReadAll("ListApplications",
                 "SELECT " LATCHKEY_APP_COLUMNS
                 " FROM applications WHERE tenant_id = ? ORDER BY created_at, {seq}",
                 ApplicationFromRow, tenant_id);
}

Result<Application> DirectoryStore::FindApplicationByIdentifierUri(const std::string& uri) {
  // Exact (binary) comparison, as the contract asks; applications are few, so a scan of the
  // JSON arrays is fine. The oldest application wins should two share a URI.
  return Read("FindApplicationByIdentifierUri", [&](Session& s) {
    return s
        .Prepare(s.dialect().Pick(
            "SELECT " LATCHKEY_APP_COLUMNS
            " FROM applications WHERE EXISTS (SELECT 1 FROM json_each(identifier_uris)"
            " WHERE json_each.value = ?) ORDER BY created_at, {seq} LIMIT 1",
            "SELECT " LATCHKEY_APP_COLUMNS " FROM applications WHERE EXISTS (SELECT 1 FROM"
            " json_array_elements_text(identifier_uris::json) AS uri (value)"
            " WHERE uri.value = ?) ORDER BY created_at, {seq} LIMIT 1"))
        .Bind(uri)
        .One(ApplicationFromRow, "application");
  });
}

Status DirectoryStore::DeleteApplication(const std::string& object_id) {
  return Write("DeleteApplication", [&](Session& s, std::vector<Change>& changes) -> Status {
    Result<std::string> app_id = AppIdOf(s, object_id);
    if (!app_id) return std::unexpected(std::move(app_id).error());
    LATCHKEY_RETURN_IF_ERROR(
        s.Prepare("DELETE FROM directory_service_principals WHERE app_id = ?").Bind(*app_id).Run());
    // Credentials go with the application (ON DELETE CASCADE).
    LATCHKEY_RETURN_IF_ERROR(
        s.Prepare("DELETE FROM applications WHERE object_id = ?").Bind(object_id).Run());
    changes.push_back({ChangeKind::kCredentialChanged, std::move(*app_id)});
    return Ok();
  });
}

Status DirectoryStore::AddPasswordCredential(const PasswordCredential& credential,
                                             const AuditEvent* audit) {
  return Write("AddPasswordCredential", audit, [&](Session& s) {
    return PasswordCredentialColumns::Insert(
        s,
        "INSERT INTO password_credentials (" LATCHKEY_PASSWORD_CREDENTIAL_COLUMNS
        ") VALUES (?, ?, ?, ?, ?, ?, ?)",
        credential);
  });
}

Result<std::vector<PasswordCredential>> DirectoryStore::ListPasswordCredentials(
    const std::string& app_object_id) {
  return ReadAll("ListPasswordCredentials",
                 "SELECT " LATCHKEY_PASSWORD_CREDENTIAL_COLUMNS
                 " FROM password_credentials WHERE app_object_id = ? ORDER BY start_at, {seq}",
                 PasswordCredentialFromRow, app_object_id);
}

Status DirectoryStore::RemovePasswordCredential(const std::string& app_object_id,
                                                const std::string& key_id,
                                                const AuditEvent* audit) {
  return Write("RemovePasswordCredential", audit, [&](Session& s, std::vector<Change>& changes) {
    return RemoveCredential(
        s, "DELETE FROM password_credentials WHERE app_object_id = ? AND key_id = ?", app_object_id,
        key_id, changes);
  });
}

Status DirectoryStore::AddCertificateCredential(const CertificateCredential& credential,
                                                const AuditEvent* audit) {
  return Write("AddCertificateCredential", audit, [&](Session& s) {
    return CertificateCredentialColumns::Insert(
        s,
        "INSERT INTO certificate_credentials (" LATCHKEY_CERTIFICATE_CREDENTIAL_COLUMNS
        ") VALUES (?, ?, ?, ?, ?, ?, ?)",
        credential);
  });
}

Result<std::vector<CertificateCredential>> DirectoryStore::ListCertificateCredentials(
    const std::string& app_object_id) {
  return ReadAll("ListCertificateCredentials",
                 "SELECT " LATCHKEY_CERTIFICATE_CREDENTIAL_COLUMNS
                 " FROM certificate_credentials WHERE app_object_id = ? ORDER BY start_at, {seq}",
                 CertificateCredentialFromRow, app_object_id);
}

Status DirectoryStore::RemoveCertificateCredential(const std::string& app_object_id,
                                                   const std::string& key_id,
                                                   const AuditEvent* audit) {
  return Write("RemoveCertificateCredential", audit, [&](Session& s, std::vector<Change>& changes) {
    return RemoveCredential(
        s, "DELETE FROM certificate_credentials WHERE app_object_id = ? AND key_id = ?",
        app_object_id, key_id, changes);
  });
}

Status DirectoryStore::CreateDirectoryServicePrincipal(const DirectoryServicePrincipal& sp) {
  return Write("CreateDirectoryServicePrincipal",
               [&](Session& s) { return InsertServicePrincipal(s, sp); });
}

Result<DirectoryServicePrincipal> DirectoryStore::GetDirectoryServicePrincipal(
    const std::string& object_id) {
  return ReadOne("GetDirectoryServicePrincipal",
                 "SELECT " LATCHKEY_SP_COLUMNS
                 " FROM directory_service_principals WHERE object_id = ?",
                 ServicePrincipalFromRow, "service principal", object_id);
}

Result<DirectoryServicePrincipal> DirectoryStore::FindDirectoryServicePrincipal(
    const std::string& tenant_id, const std::string& app_id) {
  return ReadOne("FindDirectoryServicePrincipal",
                 "SELECT " LATCHKEY_SP_COLUMNS
                 " FROM directory_service_principals WHERE tenant_id = ? AND app_id = ?",
                 ServicePrincipalFromRow, "service principal", tenant_id, app_id);
}

Result<std::vector<DirectoryServicePrincipal>> DirectoryStore::ListDirectoryServicePrincipals(
    const std::string& tenant_id) {
  return ReadAll("ListDirectoryServicePrincipals",
                 "SELECT " LATCHKEY_SP_COLUMNS
                 " FROM directory_service_principals WHERE tenant_id = ?"
                 " ORDER BY created_at, {seq}",
                 ServicePrincipalFromRow, tenant_id);
}

Status DirectoryStore::DeleteDirectoryServicePrincipal(const std::string& object_id) {
  return Write("DeleteDirectoryServicePrincipal",
               [&](Session& s, std::vector<Change>& changes) -> Status {
                 Result<std::string> app_id =
                     s.Prepare(
                          "DELETE FROM directory_service_principals WHERE object_id = ?"
                          " RETURNING app_id")
                         .Bind(object_id)
                         .One(sql::TextColumnFromRow, "service principal");
                 if (!app_id) return std::unexpected(std::move(app_id).error());
                 // The app can no longer get tokens in that tenant.
                 changes.push_back({ChangeKind::kCredentialChanged, std::move(*app_id)});
                 return Ok();
               });
}

Status DirectoryStore::RecordAssertionJti(const std::string& app_id, const std::string& jti_hash,
                                          TimePoint expires_at, int max_live, TimePoint now) {
  // An error return rolls the whole transaction back, the insert included.
  return Write("RecordAssertionJti", [&](Session& s) -> Status {
    LATCHKEY_RETURN_IF_ERROR(
        s.Prepare("DELETE FROM assertion_jtis WHERE expires_at <= ?").Bind(now).Run());
    // Insert-if-absent is the replay check: a second use of the same jti (here or on another
    // replica) finds the row and inserts nothing.
    Result<int64_t> inserted =
        s.Prepare(
             "INSERT INTO assertion_jtis (jti_hash, app_id, expires_at) VALUES (?, ?, ?)"
             " ON CONFLICT (jti_hash) DO NOTHING")
            .Bind(jti_hash)
            .Bind(app_id)
            .Bind(expires_at)
            .Update();
    if (!inserted) return std::unexpected(std::move(inserted).error());
    if (*inserted == 0) return MakeError(ErrorCode::kAlreadyExists, "assertion already used");
    // This row included; the LIMIT keeps the count's cost bounded by max_live.
    Result<int64_t> live =
        s.Prepare(
             "SELECT count(*) FROM (SELECT 1 FROM assertion_jtis WHERE app_id = ?"
             " AND expires_at > ? LIMIT ?) AS live")
            .Bind(app_id)
            .Bind(now)
            .Bind(static_cast<int64_t>(max_live) + 1)
            .One(sql::IntFromRow, "count");
    if (!live) return std::unexpected(std::move(live).error());
    if (*live > max_live) {
      return MakeError(ErrorCode::kResourceExhausted, "too many live assertions for the client");
    }
    return Ok();
  });
}

// ---- Federated identity credentials ----

Status DirectoryStore::AddFederatedCredential(const FederatedIdentityCredential& credential,
                                              int max_per_app, const AuditEvent* audit) {
  return Write("AddFederatedCredential", audit, [&](Session& s, std::vector<Change>& changes) -> Status {
    // The count and the insert run in one transaction, after locking the application row
    // (PostgreSQL; SQLite has one writer).
    Result<std::string> app_id =
        s.Prepare("SELECT app_id FROM applications WHERE object_id = ?{for_update}")
            .Bind(credential.app_object_id)
            .One(sql::TextColumnFromRow, "application");
    if (!app_id) return std::unexpected(std::move(app_id).error());
    LATCHKEY_RETURN_IF_ERROR(
        s.Prepare("SELECT count(*) FROM federated_credentials WHERE app_object_id = ?")
            .Bind(credential.app_object_id)
            .RequireCountBelow(
                max_per_app, "the application already has the most federated credentials allowed"));
    LATCHKEY_RETURN_IF_ERROR(
        FederatedCredentialColumns::Bind(
            s.Prepare("INSERT INTO federated_credentials (" LATCHKEY_FEDERATED_COLUMNS
                      ", name_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"),
            credential)
            .Bind(AsciiLowerCopy(credential.name))
            .Run());
    changes.push_back({ChangeKind::kCredentialChanged, std::move(*app_id)});
    return Ok();
  });
}

Result<std::vector<FederatedIdentityCredential>> DirectoryStore::ListFederatedCredentials(
    const std::string& app_object_id) {
  return ReadAll("ListFederatedCredentials",
                 "SELECT " LATCHKEY_FEDERATED_COLUMNS
                 " FROM federated_credentials WHERE app_object_id = ? ORDER BY created_at, {seq}",
                 FederatedCredentialFromRow, app_object_id);
}

Status DirectoryStore::UpdateFederatedCredential(const FederatedIdentityCredential& credential,
                                                 const AuditEvent* audit) {
  return Write("UpdateFederatedCredential", audit,
               [&](Session& s, std::vector<Change>& changes) -> Status {
                 Result<std::string> app_id = AppIdOf(s, credential.app_object_id);
                 if (!app_id) return std::unexpected(std::move(app_id).error());
                 LATCHKEY_RETURN_IF_ERROR(
                     s.Prepare(
                          "UPDATE federated_credentials SET issuer = ?, subject = ?, audiences = ?,"
                          " description = ? WHERE app_object_id = ? AND id = ?")
                         .Bind(credential.issuer)
                         .Bind(credential.subject)
                         .Bind(credential.audiences)
                         .Bind(credential.description)
                         .Bind(credential.app_object_id)
                         .Bind(credential.id)
                         .UpdateExisting("federated credential"));
                 changes.push_back({ChangeKind::kCredentialChanged, std::move(*app_id)});
                 return Ok();
               });
}

Status DirectoryStore::RemoveFederatedCredential(const std::string& app_object_id,
                                                 const std::string& id, const AuditEvent* audit) {
  return Write("RemoveFederatedCredential", audit,
               [&](Session& s, std::vector<Change>& changes) -> Status {
                 return RemoveCredential(
                     s, "DELETE FROM federated_credentials WHERE app_object_id = ? AND id = ?",
                     app_object_id, id, changes);
               });
}

}  // namespace latchkey::store

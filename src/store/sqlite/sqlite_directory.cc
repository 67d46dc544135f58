// SqliteStore: tenants, applications, their credentials and directory service principals.
#include <string>
#include <utility>
#include <vector>

#include "store/row_mappers.h"
#include "store/sqlite/connection_pool.h"
#include "store/sqlite/sqlite_store.h"

namespace latchkey::store::sqlite {
namespace {

Status InsertServicePrincipal(Connection& conn, const DirectoryServicePrincipal& sp) {
  return conn
      .Prepare("INSERT INTO directory_service_principals (" LATCHKEY_SP_COLUMNS
               ") VALUES (?, ?, ?, ?, ?)")
      .Bind(sp.object_id)
      .Bind(sp.app_id)
      .Bind(sp.tenant_id)
      .Bind(sp.display_name)
      .Bind(sp.created_at)
      .Run();
}

// The client id (app_id) of an application, for change events; kNotFound if it is missing.
Result<std::string> AppIdOf(Connection& conn, const std::string& object_id) {
  return conn.Prepare("SELECT app_id FROM applications WHERE object_id = ?")
      .Bind(object_id)
      .One([](const Statement& row) -> Result<std::string> { return row.Text(0); }, "application");
}

// Deletes one credential row of an application; the change names the application's app_id.
Status RemoveCredential(Connection& conn, const char* sql, const std::string& app_object_id,
                        const std::string& key_id, std::vector<Change>& changes) {
  Result<std::string> app_id = AppIdOf(conn, app_object_id);
  if (!app_id) return std::unexpected(std::move(app_id).error());
  Result<int64_t> deleted = conn.Prepare(sql).Bind(app_object_id).Bind(key_id).Update();
  if (!deleted) return std::unexpected(std::move(deleted).error());
  if (*deleted == 0) return MakeError(ErrorCode::kNotFound, "credential not found");
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

Status SqliteStore::CreateTenant(const Tenant& tenant) {
  return pool_->Write([&](Connection& conn) {
    return conn.Prepare("INSERT INTO tenants (id, display_name, created_at) VALUES (?, ?, ?)")
        .Bind(tenant.id)
        .Bind(tenant.display_name)
        .Bind(tenant.created_at)
        .Run();
  });
}

Result<Tenant> SqliteStore::GetTenant(const std::string& id) {
  return pool_->Read([&](Connection& conn) {
    return conn.Prepare("SELECT id, display_name, created_at FROM tenants WHERE id = ?")
        .Bind(id)
        .One(TenantFromRow<Statement>, "tenant");
  });
}

Result<std::vector<Tenant>> SqliteStore::ListTenants() {
  return pool_->Read([&](Connection& conn) {
    return conn
        .Prepare("SELECT id, display_name, created_at FROM tenants ORDER BY created_at, rowid")
        .All(TenantFromRow<Statement>);
  });
}

Status SqliteStore::CreateApplication(const Application& app, const DirectoryServicePrincipal& sp) {
  return pool_->Write([&](Connection& conn) -> Status {
    LATCHKEY_RETURN_IF_ERROR(conn.Prepare("INSERT INTO applications (" LATCHKEY_APP_COLUMNS
                                          ") VALUES (?, ?, ?, ?, ?, ?, ?)")
                                 .Bind(app.object_id)
                                 .Bind(app.app_id)
                                 .Bind(app.tenant_id)
                                 .Bind(app.display_name)
                                 .Bind(app.identifier_uris)
                                 .Bind(app.granted_roles)
                                 .Bind(app.created_at)
                                 .Run());
    if (sp.object_id.empty()) return Ok();  // no service principal (Graph's POST /applications)
    return InsertServicePrincipal(conn, sp);
  });
}

Result<Application> SqliteStore::GetApplicationByAppId(const std::string& app_id) {
  return pool_->Read([&](Connection& conn) {
    return conn.Prepare("SELECT " LATCHKEY_APP_COLUMNS " FROM applications WHERE app_id = ?")
        .Bind(app_id)
        .One(ApplicationFromRow<Statement>, "application");
  });
}

Result<Application> SqliteStore::GetApplicationByObjectId(const std::string& object_id) {
  return pool_->Read([&](Connection& conn) {
    return conn.Prepare("SELECT " LATCHKEY_APP_COLUMNS " FROM applications WHERE object_id = ?")
        .Bind(object_id)
        .One(ApplicationFromRow<Statement>, "application");
  });
}

Result<std::vector<Application>> SqliteStore::ListApplications(const std::string& tenant_id) {
  return pool_->Read([&](Connection& conn) {
    return conn
        .Prepare("SELECT " LATCHKEY_APP_COLUMNS
                 " FROM applications WHERE tenant_id = ? ORDER BY created_at, rowid")
        .Bind(tenant_id)
        .All(ApplicationFromRow<Statement>);
  });
}

Result<Application> SqliteStore::FindApplicationByIdentifierUri(const std::string& uri) {
  // Exact (binary) comparison, as the contract asks; applications are few, so a scan of the
  // JSON arrays is fine. The oldest application wins should two share a URI.
  return pool_->Read([&](Connection& conn) {
    return conn
        .Prepare("SELECT " LATCHKEY_APP_COLUMNS
                 " FROM applications WHERE EXISTS (SELECT 1 FROM json_each(identifier_uris)"
                 " WHERE json_each.value = ?) ORDER BY created_at, rowid LIMIT 1")
        .Bind(uri)
        .One(ApplicationFromRow<Statement>, "application");
  });
}

Status SqliteStore::DeleteApplication(const std::string& object_id) {
  std::vector<Change> changes;
  Status status = pool_->Write([&](Connection& conn) -> Status {
    Result<std::string> app_id = AppIdOf(conn, object_id);
    if (!app_id) return std::unexpected(std::move(app_id).error());
    LATCHKEY_RETURN_IF_ERROR(
        conn.Prepare("DELETE FROM directory_service_principals WHERE app_id = ?")
            .Bind(*app_id)
            .Run());
    // Credentials go with the application (ON DELETE CASCADE).
    LATCHKEY_RETURN_IF_ERROR(
        conn.Prepare("DELETE FROM applications WHERE object_id = ?").Bind(object_id).Run());
    changes.push_back({ChangeKind::kCredentialChanged, std::move(*app_id)});
    return Ok();
  });
  return Notify(std::move(status), changes);
}

Status SqliteStore::AddPasswordCredential(const PasswordCredential& credential,
                                          const AuditEvent* audit) {
  return Write(audit, [&](Connection& conn) {
    return conn
        .Prepare(
            "INSERT INTO password_credentials (key_id, app_object_id, display_name, hint,"
            " secret_hash, start_at, end_at) VALUES (?, ?, ?, ?, ?, ?, ?)")
        .Bind(credential.key_id)
        .Bind(credential.app_object_id)
        .Bind(credential.display_name)
        .Bind(credential.hint)
        .Bind(credential.secret_hash)
        .Bind(credential.start_at)
        .Bind(credential.end_at)
        .Run();
  });
}

Result<std::vector<PasswordCredential>> SqliteStore::ListPasswordCredentials(
    const std::string& app_object_id) {
  return pool_->Read([&](Connection& conn) {
    return conn
        .Prepare(
            "SELECT key_id, app_object_id, display_name, hint, secret_hash, start_at, end_at"
            " FROM password_credentials WHERE app_object_id = ? ORDER BY start_at, rowid")
        .Bind(app_object_id)
        .All(PasswordCredentialFromRow<Statement>);
  });
}

Status SqliteStore::RemovePasswordCredential(const std::string& app_object_id,
                                             const std::string& key_id, const AuditEvent* audit) {
  std::vector<Change> changes;
  Status status = Write(audit, [&](Connection& conn) {
    return RemoveCredential(
        conn, "DELETE FROM password_credentials WHERE app_object_id = ? AND key_id = ?",
        app_object_id, key_id, changes);
  });
  return Notify(std::move(status), changes);
}

Status SqliteStore::AddCertificateCredential(const CertificateCredential& credential,
                                             const AuditEvent* audit) {
  return Write(audit, [&](Connection& conn) {
    return conn
        .Prepare(
            "INSERT INTO certificate_credentials (key_id, app_object_id, display_name,"
            " certificate_pem, thumbprint_sha1, start_at, end_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)")
        .Bind(credential.key_id)
        .Bind(credential.app_object_id)
        .Bind(credential.display_name)
        .Bind(credential.certificate_pem)
        .Bind(credential.thumbprint_sha1)
        .Bind(credential.start_at)
        .Bind(credential.end_at)
        .Run();
  });
}

Result<std::vector<CertificateCredential>> SqliteStore::ListCertificateCredentials(
    const std::string& app_object_id) {
  return pool_->Read([&](Connection& conn) {
    return conn
        .Prepare(
            "SELECT key_id, app_object_id, display_name, certificate_pem, thumbprint_sha1,"
            " start_at, end_at FROM certificate_credentials WHERE app_object_id = ?"
            " ORDER BY start_at, rowid")
        .Bind(app_object_id)
        .All(CertificateCredentialFromRow<Statement>);
  });
}

Status SqliteStore::RemoveCertificateCredential(const std::string& app_object_id,
                                                const std::string& key_id,
                                                const AuditEvent* audit) {
  std::vector<Change> changes;
  Status status = Write(audit, [&](Connection& conn) {
    return RemoveCredential(
        conn, "DELETE FROM certificate_credentials WHERE app_object_id = ? AND key_id = ?",
        app_object_id, key_id, changes);
  });
  return Notify(std::move(status), changes);
}

Status SqliteStore::CreateDirectoryServicePrincipal(const DirectoryServicePrincipal& sp) {
  return pool_->Write([&](Connection& conn) { return InsertServicePrincipal(conn, sp); });
}

Result<DirectoryServicePrincipal> SqliteStore::GetDirectoryServicePrincipal(
    const std::string& object_id) {
  return pool_->Read([&](Connection& conn) {
    return conn
        .Prepare("SELECT " LATCHKEY_SP_COLUMNS
                 " FROM directory_service_principals WHERE object_id = ?")
        .Bind(object_id)
        .One(ServicePrincipalFromRow<Statement>, "service principal");
  });
}

Result<DirectoryServicePrincipal> SqliteStore::FindDirectoryServicePrincipal(
    const std::string& tenant_id, const std::string& app_id) {
  return pool_->Read([&](Connection& conn) {
    return conn
        .Prepare("SELECT " LATCHKEY_SP_COLUMNS
                 " FROM directory_service_principals WHERE tenant_id = ? AND app_id = ?")
        .Bind(tenant_id)
        .Bind(app_id)
        .One(ServicePrincipalFromRow<Statement>, "service principal");
  });
}

Result<std::vector<DirectoryServicePrincipal>> SqliteStore::ListDirectoryServicePrincipals(
    const std::string& tenant_id) {
  return pool_->Read([&](Connection& conn) {
    return conn
        .Prepare("SELECT " LATCHKEY_SP_COLUMNS
                 " FROM directory_service_principals WHERE tenant_id = ?"
                 " ORDER BY created_at, rowid")
        .Bind(tenant_id)
        .All(ServicePrincipalFromRow<Statement>);
  });
}

Status SqliteStore::DeleteDirectoryServicePrincipal(const std::string& object_id) {
  std::vector<Change> changes;
  Status status = pool_->Write([&](Connection& conn) -> Status {
    Result<std::string> app_id =
        conn.Prepare(
                "DELETE FROM directory_service_principals WHERE object_id = ?"
                " RETURNING app_id")
            .Bind(object_id)
            .One([](const Statement& row) -> Result<std::string> { return row.Text(0); },
                 "service principal");
    if (!app_id) return std::unexpected(std::move(app_id).error());
    // The app can no longer get tokens in that tenant.
    changes.push_back({ChangeKind::kCredentialChanged, std::move(*app_id)});
    return Ok();
  });
  return Notify(std::move(status), changes);
}

Status SqliteStore::RecordAssertionJti(const std::string& app_id,
                                       const std::string& jti_hash, TimePoint expires_at,
                                       int max_live, TimePoint now) {
  // An error return rolls the whole transaction back, the insert included.
  return pool_->Write([&](Connection& conn) -> Status {
    LATCHKEY_RETURN_IF_ERROR(
        conn.Prepare("DELETE FROM assertion_jtis WHERE expires_at <= ?").Bind(now).Run());
    // Insert-if-absent is the replay check: a second use of the same jti (here or on another
    // replica) finds the row and inserts nothing.
    Result<int64_t> inserted =
        conn.Prepare(
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
        conn.Prepare(
                "SELECT count(*) FROM (SELECT 1 FROM assertion_jtis WHERE app_id = ?"
                " AND expires_at > ? LIMIT ?) AS live")
            .Bind(app_id)
            .Bind(now)
            .Bind(static_cast<int64_t>(max_live) + 1)
            .One([](const Statement& row) -> Result<int64_t> { return row.Int(0); }, "count");
    if (!live) return std::unexpected(std::move(live).error());
    if (*live > max_live) {
      return MakeError(ErrorCode::kResourceExhausted, "too many live assertions for the client");
    }
    return Ok();
  });
}

// ---- Federated identity credentials ----

Status SqliteStore::AddFederatedCredential(const FederatedIdentityCredential& credential,
                                     int max_per_app, const AuditEvent* audit) {
  std::vector<Change> changes;
  Status status = Write(audit, [&](Connection& conn) -> Status {
    Result<std::string> app_id = AppIdOf(conn, credential.app_object_id);
    if (!app_id) return std::unexpected(std::move(app_id).error());
    // The count and the insert run in one transaction (SQLite has one writer).
    Result<int64_t> held =
        conn.Prepare("SELECT count(*) FROM federated_credentials WHERE app_object_id = ?")
            .Bind(credential.app_object_id)
            .One([](const Statement& row) -> Result<int64_t> { return row.Int(0); }, "count");
    if (!held) return std::unexpected(std::move(held).error());
    if (*held >= max_per_app) {
      return MakeError(ErrorCode::kResourceExhausted,
                       "the application already has the most federated credentials allowed");
    }
    LATCHKEY_RETURN_IF_ERROR(
        conn.Prepare("INSERT INTO federated_credentials (" LATCHKEY_FEDERATED_COLUMNS
                     ", name_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")
            .Bind(credential.id)
            .Bind(credential.app_object_id)
            .Bind(credential.name)
            .Bind(credential.issuer)
            .Bind(credential.subject)
            .Bind(credential.audiences)
            .Bind(credential.description)
            .Bind(credential.created_at)
            .Bind(AsciiLowerCopy(credential.name))
            .Run());
    changes.push_back({ChangeKind::kCredentialChanged, std::move(*app_id)});
    return Ok();
  });
  return Notify(std::move(status), changes);
}

Result<std::vector<FederatedIdentityCredential>> SqliteStore::ListFederatedCredentials(
    const std::string& app_object_id) {
  return pool_->Read([&](Connection& conn) {
    return conn
        .Prepare("SELECT " LATCHKEY_FEDERATED_COLUMNS
                 " FROM federated_credentials WHERE app_object_id = ? ORDER BY created_at, rowid")
        .Bind(app_object_id)
        .All(FederatedCredentialFromRow<Statement>);
  });
}

Status SqliteStore::UpdateFederatedCredential(const FederatedIdentityCredential& credential,
                                              const AuditEvent* audit) {
  std::vector<Change> changes;
  Status status = Write(audit, [&](Connection& conn) -> Status {
    Result<std::string> app_id = AppIdOf(conn, credential.app_object_id);
    if (!app_id) return std::unexpected(std::move(app_id).error());
    Result<int64_t> updated =
        conn.Prepare(
                "UPDATE federated_credentials SET issuer = ?, subject = ?, audiences = ?,"
                " description = ? WHERE app_object_id = ? AND id = ?")
            .Bind(credential.issuer)
            .Bind(credential.subject)
            .Bind(credential.audiences)
            .Bind(credential.description)
            .Bind(credential.app_object_id)
            .Bind(credential.id)
            .Update();
    if (!updated) return std::unexpected(std::move(updated).error());
    if (*updated == 0) return MakeError(ErrorCode::kNotFound, "federated credential not found");
    changes.push_back({ChangeKind::kCredentialChanged, std::move(*app_id)});
    return Ok();
  });
  return Notify(std::move(status), changes);
}

Status SqliteStore::RemoveFederatedCredential(const std::string& app_object_id,
                                        const std::string& id, const AuditEvent* audit) {
  std::vector<Change> changes;
  Status status = Write(audit, [&](Connection& conn) -> Status {
    return RemoveCredential(
        conn, "DELETE FROM federated_credentials WHERE app_object_id = ? AND id = ?",
        app_object_id, id, changes);
  });
  return Notify(std::move(status), changes);
}

}  // namespace latchkey::store::sqlite

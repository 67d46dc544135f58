// PostgresStore: tenants, applications, their credentials and directory service principals.
#include <string>
#include <utility>
#include <vector>

#include "store/postgres/postgres_store.h"
#include "store/row_mappers.h"

namespace latchkey::store::postgres {
namespace {

Status InsertServicePrincipal(Connection& conn, const DirectoryServicePrincipal& sp) {
  return conn
      .Prepare("INSERT INTO directory_service_principals (" LATCHKEY_SP_COLUMNS
               ") VALUES ($1, $2, $3, $4, $5)")
      .Bind(sp.object_id)
      .Bind(sp.app_id)
      .Bind(sp.tenant_id)
      .Bind(sp.display_name)
      .Bind(sp.created_at)
      .Run();
}

// The client id (app_id) of an application, for change events; kNotFound if it is missing.
Result<std::string> AppIdOf(Connection& conn, const std::string& object_id) {
  return conn.Prepare("SELECT app_id FROM applications WHERE object_id = $1")
      .Bind(object_id)
      .One([](const Row& row) -> Result<std::string> { return row.Text(0); }, "application");
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

Status PostgresStore::CreateTenant(const Tenant& tenant) {
  return Write([&](Connection& conn) {
    return conn.Prepare("INSERT INTO tenants (id, display_name, created_at) VALUES ($1, $2, $3)")
        .Bind(tenant.id)
        .Bind(tenant.display_name)
        .Bind(tenant.created_at)
        .Run();
  });
}

Result<Tenant> PostgresStore::GetTenant(const std::string& id) {
  return pool_->Read([&](Connection& conn) {
    return conn.Prepare("SELECT id, display_name, created_at FROM tenants WHERE id = $1")
        .Bind(id)
        .One(TenantFromRow<Row>, "tenant");
  });
}

Result<std::vector<Tenant>> PostgresStore::ListTenants() {
  return pool_->Read([&](Connection& conn) {
    return conn.Prepare("SELECT id, display_name, created_at FROM tenants ORDER BY created_at, seq")
        .All(TenantFromRow<Row>);
  });
}

Status PostgresStore::CreateApplication(const Application& app,
                                        const DirectoryServicePrincipal& sp) {
  return Write([&](Connection& conn) -> Status {
    LATCHKEY_RETURN_IF_ERROR(conn.Prepare("INSERT INTO applications (" LATCHKEY_APP_COLUMNS
                                          ") VALUES ($1, $2, $3, $4, $5, $6, $7)")
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

Result<Application> PostgresStore::GetApplicationByAppId(const std::string& app_id) {
  return pool_->Read([&](Connection& conn) {
    return conn.Prepare("SELECT " LATCHKEY_APP_COLUMNS " FROM applications WHERE app_id = $1")
        .Bind(app_id)
        .One(ApplicationFromRow<Row>, "application");
  });
}

Result<Application> PostgresStore::GetApplicationByObjectId(const std::string& object_id) {
  return pool_->Read([&](Connection& conn) {
    return conn.Prepare("SELECT " LATCHKEY_APP_COLUMNS " FROM applications WHERE object_id = $1")
        .Bind(object_id)
        .One(ApplicationFromRow<Row>, "application");
  });
}

Result<std::vector<Application>> PostgresStore::ListApplications(const std::string& tenant_id) {
  return pool_->Read([&](Connection& conn) {
    return conn
        .Prepare("SELECT " LATCHKEY_APP_COLUMNS
                 " FROM applications WHERE tenant_id = $1 ORDER BY created_at, seq")
        .Bind(tenant_id)
        .All(ApplicationFromRow<Row>);
  });
}

Result<Application> PostgresStore::FindApplicationByIdentifierUri(const std::string& uri) {
  // Exact (binary) comparison, as the contract asks; applications are few, so a scan of the
  // JSON arrays is fine. The oldest application wins should two share a URI.
  return pool_->Read([&](Connection& conn) {
    return conn
        .Prepare("SELECT " LATCHKEY_APP_COLUMNS
                 " FROM applications WHERE EXISTS (SELECT 1 FROM"
                 " json_array_elements_text(identifier_uris::json) AS uri (value)"
                 " WHERE uri.value = $1) ORDER BY created_at, seq LIMIT 1")
        .Bind(uri)
        .One(ApplicationFromRow<Row>, "application");
  });
}

Status PostgresStore::DeleteApplication(const std::string& object_id) {
  return Write([&](Connection& conn, std::vector<Change>& changes) -> Status {
    Result<std::string> app_id = AppIdOf(conn, object_id);
    if (!app_id) return std::unexpected(std::move(app_id).error());
    LATCHKEY_RETURN_IF_ERROR(
        conn.Prepare("DELETE FROM directory_service_principals WHERE app_id = $1")
            .Bind(*app_id)
            .Run());
    // Credentials go with the application (ON DELETE CASCADE).
    LATCHKEY_RETURN_IF_ERROR(
        conn.Prepare("DELETE FROM applications WHERE object_id = $1").Bind(object_id).Run());
    changes.push_back({ChangeKind::kCredentialChanged, std::move(*app_id)});
    return Ok();
  });
}

Status PostgresStore::AddPasswordCredential(const PasswordCredential& credential,
                                            const AuditEvent* audit) {
  return Write(audit, [&](Connection& conn) {
    return conn
        .Prepare(
            "INSERT INTO password_credentials (key_id, app_object_id, display_name, hint,"
            " secret_hash, start_at, end_at) VALUES ($1, $2, $3, $4, $5, $6, $7)")
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

Result<std::vector<PasswordCredential>> PostgresStore::ListPasswordCredentials(
    const std::string& app_object_id) {
  return pool_->Read([&](Connection& conn) {
    return conn
        .Prepare(
            "SELECT key_id, app_object_id, display_name, hint, secret_hash, start_at, end_at"
            " FROM password_credentials WHERE app_object_id = $1 ORDER BY start_at, seq")
        .Bind(app_object_id)
        .All(PasswordCredentialFromRow<Row>);
  });
}

Status PostgresStore::RemovePasswordCredential(const std::string& app_object_id,
                                               const std::string& key_id, const AuditEvent* audit) {
  return Write(audit, [&](Connection& conn, std::vector<Change>& changes) {
    return RemoveCredential(
        conn, "DELETE FROM password_credentials WHERE app_object_id = $1 AND key_id = $2",
        app_object_id, key_id, changes);
  });
}

Status PostgresStore::AddCertificateCredential(const CertificateCredential& credential,
                                               const AuditEvent* audit) {
  return Write(audit, [&](Connection& conn) {
    return conn
        .Prepare(
            "INSERT INTO certificate_credentials (key_id, app_object_id, display_name,"
            " certificate_pem, thumbprint_sha1, start_at, end_at)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7)")
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

Result<std::vector<CertificateCredential>> PostgresStore::ListCertificateCredentials(
    const std::string& app_object_id) {
  return pool_->Read([&](Connection& conn) {
    return conn
        .Prepare(
            "SELECT key_id, app_object_id, display_name, certificate_pem, thumbprint_sha1,"
            " start_at, end_at FROM certificate_credentials WHERE app_object_id = $1"
            " ORDER BY start_at, seq")
        .Bind(app_object_id)
        .All(CertificateCredentialFromRow<Row>);
  });
}

Status PostgresStore::RemoveCertificateCredential(const std::string& app_object_id,
                                                  const std::string& key_id,
                                                  const AuditEvent* audit) {
  return Write(audit, [&](Connection& conn, std::vector<Change>& changes) {
    return RemoveCredential(
        conn, "DELETE FROM certificate_credentials WHERE app_object_id = $1 AND key_id = $2",
        app_object_id, key_id, changes);
  });
}

Status PostgresStore::CreateDirectoryServicePrincipal(const DirectoryServicePrincipal& sp) {
  return Write([&](Connection& conn) { return InsertServicePrincipal(conn, sp); });
}

Result<DirectoryServicePrincipal> PostgresStore::GetDirectoryServicePrincipal(
    const std::string& object_id) {
  return pool_->Read([&](Connection& conn) {
    return conn
        .Prepare("SELECT " LATCHKEY_SP_COLUMNS
                 " FROM directory_service_principals WHERE object_id = $1")
        .Bind(object_id)
        .One(ServicePrincipalFromRow<Row>, "service principal");
  });
}

Result<DirectoryServicePrincipal> PostgresStore::FindDirectoryServicePrincipal(
    const std::string& tenant_id, const std::string& app_id) {
  return pool_->Read([&](Connection& conn) {
    return conn
        .Prepare("SELECT " LATCHKEY_SP_COLUMNS
                 " FROM directory_service_principals WHERE tenant_id = $1 AND app_id = $2")
        .Bind(tenant_id)
        .Bind(app_id)
        .One(ServicePrincipalFromRow<Row>, "service principal");
  });
}

Result<std::vector<DirectoryServicePrincipal>> PostgresStore::ListDirectoryServicePrincipals(
    const std::string& tenant_id) {
  return pool_->Read([&](Connection& conn) {
    return conn
        .Prepare("SELECT " LATCHKEY_SP_COLUMNS
                 " FROM directory_service_principals WHERE tenant_id = $1"
                 " ORDER BY created_at, seq")
        .Bind(tenant_id)
        .All(ServicePrincipalFromRow<Row>);
  });
}

Status PostgresStore::DeleteDirectoryServicePrincipal(const std::string& object_id) {
  return Write([&](Connection& conn, std::vector<Change>& changes) -> Status {
    Result<std::string> app_id =
        conn.Prepare(
                "DELETE FROM directory_service_principals WHERE object_id = $1"
                " RETURNING app_id")
            .Bind(object_id)
            .One([](const Row& row) -> Result<std::string> { return row.Text(0); },
                 "service principal");
    if (!app_id) return std::unexpected(std::move(app_id).error());
    // The app can no longer get tokens in that tenant.
    changes.push_back({ChangeKind::kCredentialChanged, std::move(*app_id)});
    return Ok();
  });
}

Status PostgresStore::RecordAssertionJti(const std::string& app_id,
                                         const std::string& jti_hash, TimePoint expires_at,
                                         int max_live, TimePoint now) {
  // An error return rolls the whole transaction back, the insert included.
  return Write([&](Connection& conn) -> Status {
    LATCHKEY_RETURN_IF_ERROR(
        conn.Prepare("DELETE FROM assertion_jtis WHERE expires_at <= $1").Bind(now).Run());
    // Insert-if-absent is the replay check: a second use of the same jti (here or on another
    // replica) finds the row and inserts nothing.
    Result<int64_t> inserted =
        conn.Prepare(
                "INSERT INTO assertion_jtis (jti_hash, app_id, expires_at) VALUES ($1, $2, $3)"
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
                "SELECT count(*) FROM (SELECT 1 FROM assertion_jtis WHERE app_id = $1"
                " AND expires_at > $2 LIMIT $3) AS live")
            .Bind(app_id)
            .Bind(now)
            .Bind(static_cast<int64_t>(max_live) + 1)
            .One([](const Row& row) -> Result<int64_t> { return row.Int(0); }, "count");
    if (!live) return std::unexpected(std::move(live).error());
    if (*live > max_live) {
      return MakeError(ErrorCode::kResourceExhausted, "too many live assertions for the client");
    }
    return Ok();
  });
}

// ---- Federated identity credentials ----

Status PostgresStore::AddFederatedCredential(const FederatedIdentityCredential& credential,
                                     int max_per_app, const AuditEvent* audit) {
  return Write(audit, [&](Connection& conn, std::vector<Change>& changes) -> Status {
    Result<std::string> app_id = conn.Prepare("SELECT app_id FROM applications WHERE object_id = $1 FOR UPDATE")
            .Bind(credential.app_object_id)
            .One([](const Row& row) -> Result<std::string> { return row.Text(0); },
                 "application");
    if (!app_id) return std::unexpected(std::move(app_id).error());
    // The count and the insert run in one transaction, after locking the application row.
    Result<int64_t> held =
        conn.Prepare("SELECT count(*) FROM federated_credentials WHERE app_object_id = $1")
            .Bind(credential.app_object_id)
            .One([](const Row& row) -> Result<int64_t> { return row.Int(0); }, "count");
    if (!held) return std::unexpected(std::move(held).error());
    if (*held >= max_per_app) {
      return MakeError(ErrorCode::kResourceExhausted,
                       "the application already has the most federated credentials allowed");
    }
    LATCHKEY_RETURN_IF_ERROR(
        conn.Prepare("INSERT INTO federated_credentials (" LATCHKEY_FEDERATED_COLUMNS
                     ", name_key) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)")
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
}

Result<std::vector<FederatedIdentityCredential>> PostgresStore::ListFederatedCredentials(
    const std::string& app_object_id) {
  return pool_->Read([&](Connection& conn) {
    return conn
        .Prepare("SELECT " LATCHKEY_FEDERATED_COLUMNS
                 " FROM federated_credentials WHERE app_object_id = $1 ORDER BY created_at, seq")
        .Bind(app_object_id)
        .All(FederatedCredentialFromRow<Row>);
  });
}

Status PostgresStore::UpdateFederatedCredential(const FederatedIdentityCredential& credential,
                                                const AuditEvent* audit) {
  return Write(audit, [&](Connection& conn, std::vector<Change>& changes) -> Status {
    Result<std::string> app_id = AppIdOf(conn, credential.app_object_id);
    if (!app_id) return std::unexpected(std::move(app_id).error());
    Result<int64_t> updated =
        conn.Prepare(
                "UPDATE federated_credentials SET issuer = $1, subject = $2, audiences = $3,"
                " description = $4 WHERE app_object_id = $5 AND id = $6")
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
}

Status PostgresStore::RemoveFederatedCredential(const std::string& app_object_id,
                                        const std::string& id, const AuditEvent* audit) {
  return Write(audit, [&](Connection& conn, std::vector<Change>& changes) -> Status {
    return RemoveCredential(
        conn, "DELETE FROM federated_credentials WHERE app_object_id = $1 AND id = $2",
        app_object_id, id, changes);
  });
}

}  // namespace latchkey::store::postgres

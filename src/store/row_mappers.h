// The mapping from a result row to each record, shared by the SQLite and PostgreSQL backends:
// both select the same columns in the same order, and both row types (sqlite::Statement,
// postgres::Row) read a column with Text, Int, Bool, Time, OptTime and Strings.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "base/result.h"
#include "store/records.h"
#include "store/sql/codec.h"

namespace latchkey::store {

template <class Row>
Result<Tenant> TenantFromRow(const Row& row) {
  return Tenant{.id = row.Text(0), .display_name = row.Text(1), .created_at = row.Time(2)};
}

#define LATCHKEY_APP_COLUMNS \
  "object_id, app_id, tenant_id, display_name, identifier_uris, granted_roles, created_at"

template <class Row>
Result<Application> ApplicationFromRow(const Row& row) {
  Application app{.object_id = row.Text(0),
                  .app_id = row.Text(1),
                  .tenant_id = row.Text(2),
                  .display_name = row.Text(3),
                  .created_at = row.Time(6)};
  Result<std::vector<std::string>> uris = row.Strings(4);
  if (!uris) return std::unexpected(std::move(uris).error());
  Result<std::vector<std::string>> roles = row.Strings(5);
  if (!roles) return std::unexpected(std::move(roles).error());
  app.identifier_uris = std::move(*uris);
  app.granted_roles = std::move(*roles);
  return app;
}

#define LATCHKEY_SP_COLUMNS "object_id, app_id, tenant_id, display_name, created_at"

template <class Row>
Result<DirectoryServicePrincipal> ServicePrincipalFromRow(const Row& row) {
  return DirectoryServicePrincipal{.object_id = row.Text(0),
                                   .app_id = row.Text(1),
                                   .tenant_id = row.Text(2),
                                   .display_name = row.Text(3),
                                   .created_at = row.Time(4)};
}

template <class Row>
Result<PasswordCredential> PasswordCredentialFromRow(const Row& row) {
  return PasswordCredential{.key_id = row.Text(0),
                            .app_object_id = row.Text(1),
                            .display_name = row.Text(2),
                            .hint = row.Text(3),
                            .secret_hash = row.Text(4),
                            .start_at = row.Time(5),
                            .end_at = row.OptTime(6)};
}

template <class Row>
Result<CertificateCredential> CertificateCredentialFromRow(const Row& row) {
  return CertificateCredential{.key_id = row.Text(0),
                               .app_object_id = row.Text(1),
                               .display_name = row.Text(2),
                               .certificate_pem = row.Text(3),
                               .thumbprint_sha1 = row.Text(4),
                               .start_at = row.Time(5),
                               .end_at = row.Time(6)};
}

#define LATCHKEY_FEDERATED_COLUMNS \
  "id, app_object_id, name, issuer, subject, audiences, description, created_at"

template <class Row>
Result<FederatedIdentityCredential> FederatedCredentialFromRow(const Row& row) {
  FederatedIdentityCredential c{.id = row.Text(0),
                                .app_object_id = row.Text(1),
                                .name = row.Text(2),
                                .issuer = row.Text(3),
                                .subject = row.Text(4),
                                .description = row.Text(6),
                                .created_at = row.Time(7)};
  Result<std::vector<std::string>> audiences = row.Strings(5);
  if (!audiences) return std::unexpected(std::move(audiences).error());
  c.audiences = std::move(*audiences);
  return c;
}

// service_principal_id is read as COALESCE(service_principal_id, 0): 0 is the account.
#define LATCHKEY_FEDERATION_POLICY_COLUMNS                                                   \
  "policy_id, uid, COALESCE(service_principal_id, 0), description, issuer, audiences, subject," \
  " subject_claim, created_at, updated_at"

template <class Row>
Result<FederationPolicy> FederationPolicyFromRow(const Row& row) {
  FederationPolicy p{.policy_id = row.Text(0),
                     .uid = row.Text(1),
                     .service_principal_id = row.Int(2),
                     .description = row.Text(3),
                     .issuer = row.Text(4),
                     .subject = row.Text(6),
                     .subject_claim = row.Text(7),
                     .created_at = row.Time(8),
                     .updated_at = row.Time(9)};
  Result<std::vector<std::string>> audiences = row.Strings(5);
  if (!audiences) return std::unexpected(std::move(audiences).error());
  p.audiences = std::move(*audiences);
  return p;
}

template <class Row>
Result<SigningKey> SigningKeyFromRow(const Row& row) {
  return SigningKey{.kid = row.Text(0),
                    .public_pem = row.Text(1),
                    .created_at = row.Time(2),
                    .retired_at = row.OptTime(3)};
}

template <class Row>
Result<AuditEvent> AuditEventFromRow(const Row& row) {
  return AuditEvent{.seq = row.Int(0),
                    .at = row.Time(1),
                    .actor = row.Text(2),
                    .action = row.Text(3),
                    .target = row.Text(4),
                    .detail = row.Text(5),
                    .remote_address = row.Text(6)};
}

#define LATCHKEY_PRINCIPAL_COLUMNS                                                        \
  "id, kind, user_name, application_id, display_name, external_id, active, entitlements," \
  " created_at"

template <class Row>
Result<Principal> PrincipalFromRow(const Row& row) {
  Result<PrincipalKind> kind = sql::ParsePrincipalKind(row.Text(1));
  if (!kind) return std::unexpected(std::move(kind).error());
  Result<std::vector<std::string>> entitlements = row.Strings(7);
  if (!entitlements) return std::unexpected(std::move(entitlements).error());
  return Principal{.id = row.Int(0),
                   .kind = *kind,
                   .user_name = row.Text(2),
                   .application_id = row.Text(3),
                   .display_name = row.Text(4),
                   .external_id = row.Text(5),
                   .active = row.Bool(6),
                   .entitlements = std::move(*entitlements),
                   .created_at = row.Time(8)};
}

template <class Row>
Result<Group> GroupFromRow(const Row& row) {
  return Group{.id = row.Int(0), .display_name = row.Text(1), .created_at = row.Time(2)};
}

template <class Row>
Result<int64_t> IdFromRow(const Row& row) { return row.Int(0); }

template <class Row>
Result<TokenPermission> TokenPermissionFromRow(const Row& row) {
  Result<AclSubjectKind> kind = sql::ParseAclSubjectKind(row.Text(0));
  if (!kind) return std::unexpected(std::move(kind).error());
  return TokenPermission{
      .subject_kind = *kind, .subject_id = row.Int(1), .permission_level = row.Text(2)};
}

#define LATCHKEY_PAT_COLUMNS \
  "token_id, owner_id, created_by_id, comment, created_at, expires_at, last_used_day, scopes"

template <class Row>
Result<Pat> PatFromRow(const Row& row) {
  Result<std::vector<std::string>> scopes = row.Strings(7);
  if (!scopes) return std::unexpected(std::move(scopes).error());
  return Pat{.token_id = row.Text(0),
             .owner_id = row.Int(1),
             .created_by_id = row.Int(2),
             .comment = row.Text(3),
             .created_at = row.Time(4),
             .expires_at = row.OptTime(5),
             .last_used_day = row.OptTime(6),
             .scopes = std::move(*scopes)};
}

template <class Row>
Result<OAuthSecret> OAuthSecretFromRow(const Row& row) {
  return OAuthSecret{.id = row.Text(0),
                     .principal_id = row.Int(1),
                     .secret_hash = row.Text(2),
                     .created_at = row.Time(3),
                     .expires_at = row.Time(4)};
}

#define LATCHKEY_REFRESH_TOKEN_COLUMNS                                                     \
  "token_hash, family_id, principal_id, client_id, scope, created_at, expires_at, used_at," \
  " revoked"

template <class Row>
Result<RefreshToken> RefreshTokenFromRow(const Row& row) {
  RefreshToken t{.token_hash = row.Text(0),
                 .family_id = row.Text(1),
                 .principal_id = row.Int(2),
                 .client_id = row.Text(3),
                 .scope = row.Text(4),
                 .created_at = row.Time(5),
                 .expires_at = row.Time(6)};
  if (row.Int(7) != 0) t.used_at = row.Time(7);
  t.revoked = row.Int(8) != 0;
  return t;
}

#define LATCHKEY_WEB_SESSION_COLUMNS \
  "id, token_hash, principal_id, provider_id, created_at, last_seen_at, expires_at, address, user_agent"

template <class Row>
Result<WebSession> WebSessionFromRow(const Row& row) {
  return WebSession{.id = row.Text(0),
                    .token_hash = row.Text(1),
                    .principal_id = row.Int(2),
                    .provider_id = row.Text(3),
                    .created_at = row.Time(4),
                    .last_seen_at = row.Time(5),
                    .expires_at = row.Time(6),
                    .address = row.Text(7),
                    .user_agent = row.Text(8)};
}

template <class Row>
Result<std::string> TextFromRow(const Row& row) { return row.Text(0); }

}  // namespace latchkey::store

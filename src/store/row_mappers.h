// Each table's columns as its record's members, written once and used both ways: a query that
// reads a record selects the columns (LATCHKEY_*_COLUMNS) and maps each row with XFromRow; an
// insert lists the same columns and binds the record with XColumns::Insert (or ::Bind). Each
// column is read and bound by the member's type (ColumnCodec below): text, integers, booleans,
// times (BIGINT unix milliseconds, NULL for nullopt), string lists (JSON arrays) and enums
// (their names).
//
//   ReadOne("GetPat", "SELECT " LATCHKEY_PAT_COLUMNS " FROM pats WHERE token_id = ?",
//           PatFromRow, "token", id);
//   PatColumns::Insert(s, "INSERT INTO pats (" LATCHKEY_PAT_COLUMNS ") VALUES (?, ...)", pat);
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/clock.h"
#include "base/result.h"
#include "store/records.h"
#include "store/sql/codec.h"
#include "store/sql/session.h"

namespace latchkey::store {

namespace columns_internal {

// How a member of type T is read from a column and bound as a parameter.
template <class T>
struct ColumnCodec;

template <>
struct ColumnCodec<std::string> {
  static Result<std::string> Read(const sql::Row& row, int col) { return row.Text(col); }
  static void Bind(sql::Statement& s, const std::string& v) { s.Bind(v); }
};
template <>
struct ColumnCodec<int64_t> {
  static Result<int64_t> Read(const sql::Row& row, int col) { return row.Int(col); }
  static void Bind(sql::Statement& s, int64_t v) { s.Bind(v); }
};
template <>
struct ColumnCodec<bool> {
  static Result<bool> Read(const sql::Row& row, int col) { return row.Bool(col); }
  static void Bind(sql::Statement& s, bool v) { s.BindBool(v); }
};
template <>
struct ColumnCodec<TimePoint> {
  static Result<TimePoint> Read(const sql::Row& row, int col) { return row.Time(col); }
  static void Bind(sql::Statement& s, TimePoint v) { s.Bind(v); }
};
template <>
struct ColumnCodec<std::optional<TimePoint>> {
  static Result<std::optional<TimePoint>> Read(const sql::Row& row, int col) {
    return row.OptTime(col);
  }
  static void Bind(sql::Statement& s, std::optional<TimePoint> v) { s.Bind(v); }
};
template <>
struct ColumnCodec<std::vector<std::string>> {
  static Result<std::vector<std::string>> Read(const sql::Row& row, int col) {
    return row.Strings(col);
  }
  static void Bind(sql::Statement& s, const std::vector<std::string>& v) { s.Bind(v); }
};
template <>
struct ColumnCodec<PrincipalKind> {
  static Result<PrincipalKind> Read(const sql::Row& row, int col) {
    return sql::ParsePrincipalKind(row.Text(col));
  }
  static void Bind(sql::Statement& s, PrincipalKind v) { s.Bind(sql::PrincipalKindName(v)); }
};
template <>
struct ColumnCodec<AclSubjectKind> {
  static Result<AclSubjectKind> Read(const sql::Row& row, int col) {
    return sql::ParseAclSubjectKind(row.Text(col));
  }
  static void Bind(sql::Statement& s, AclSubjectKind v) { s.Bind(sql::AclSubjectKindName(v)); }
};

template <class MemberPointer>
struct RecordOf;
template <class Record, class Member>
struct RecordOf<Member Record::*> {
  using type = Record;
  using member = Member;
};

// Reads column `col` into record.*member; false (with `status` set) if it does not decode.
template <auto Member, class Record>
bool ReadInto(const sql::Row& row, int col, Record& record, Status& status) {
  auto value = ColumnCodec<typename RecordOf<decltype(Member)>::member>::Read(row, col);
  if (!value) {
    status = std::unexpected(std::move(value).error());
    return false;
  }
  record.*Member = std::move(*value);
  return true;
}

}  // namespace columns_internal

// Columns 0, 1, 2, ... of a table (or of a select list) as the members First, Rest... of one
// record type.
template <auto First, auto... Rest>
struct Columns {
  using Record = typename columns_internal::RecordOf<decltype(First)>::type;

  // The record in `row`; the first column that does not decode (a corrupt row) is the error.
  static Result<Record> Read(const sql::Row& row) {
    Record record{};
    Status status = Ok();
    int col = 0;
    (columns_internal::ReadInto<First>(row, col++, record, status) && ... &&
     columns_internal::ReadInto<Rest>(row, col++, record, status));
    if (!status) return std::unexpected(std::move(status).error());
    return record;
  }

  // Runs `insert_sql`, an INSERT whose parameters are the members in order.
  static Status Insert(sql::Session& session, std::string_view insert_sql, const Record& record) {
    return Bind(session.Prepare(insert_sql), record).Run();
  }

  // Binds the members in order (the next parameters of `statement`).
  static sql::Statement& Bind(sql::Statement&& statement, const Record& record) {
    return Bind(statement, record);
  }
  static sql::Statement& Bind(sql::Statement& statement, const Record& record) {
    (columns_internal::ColumnCodec<
         typename columns_internal::RecordOf<decltype(First)>::member>::Bind(statement,
                                                                             record.*First),
     ...,
     columns_internal::ColumnCodec<
         typename columns_internal::RecordOf<decltype(Rest)>::member>::Bind(statement,
                                                                            record.*Rest));
    return statement;
  }
};

// ---- Directory ----

#define LATCHKEY_TENANT_COLUMNS "id, display_name, created_at"
using TenantColumns = Columns<&Tenant::id, &Tenant::display_name, &Tenant::created_at>;
inline constexpr auto TenantFromRow = &TenantColumns::Read;

#define LATCHKEY_APP_COLUMNS \
  "object_id, app_id, tenant_id, display_name, identifier_uris, granted_roles, created_at"
using ApplicationColumns =
    Columns<&Application::object_id, &Application::app_id, &Application::tenant_id,
            &Application::display_name, &Application::identifier_uris, &Application::granted_roles,
            &Application::created_at>;
inline constexpr auto ApplicationFromRow = &ApplicationColumns::Read;

#define LATCHKEY_SP_COLUMNS "object_id, app_id, tenant_id, display_name, created_at"
using ServicePrincipalColumns =
    Columns<&DirectoryServicePrincipal::object_id, &DirectoryServicePrincipal::app_id,
            &DirectoryServicePrincipal::tenant_id, &DirectoryServicePrincipal::display_name,
            &DirectoryServicePrincipal::created_at>;
inline constexpr auto ServicePrincipalFromRow = &ServicePrincipalColumns::Read;

#define LATCHKEY_PASSWORD_CREDENTIAL_COLUMNS \
  "key_id, app_object_id, display_name, hint, secret_hash, start_at, end_at"
using PasswordCredentialColumns =
    Columns<&PasswordCredential::key_id, &PasswordCredential::app_object_id,
            &PasswordCredential::display_name, &PasswordCredential::hint,
            &PasswordCredential::secret_hash, &PasswordCredential::start_at,
            &PasswordCredential::end_at>;
inline constexpr auto PasswordCredentialFromRow = &PasswordCredentialColumns::Read;

#define LATCHKEY_CERTIFICATE_CREDENTIAL_COLUMNS \
  "key_id, app_object_id, display_name, certificate_pem, thumbprint_sha1, start_at, end_at"
using CertificateCredentialColumns =
    Columns<&CertificateCredential::key_id, &CertificateCredential::app_object_id,
            &CertificateCredential::display_name, &CertificateCredential::certificate_pem,
            &CertificateCredential::thumbprint_sha1, &CertificateCredential::start_at,
            &CertificateCredential::end_at>;
inline constexpr auto CertificateCredentialFromRow = &CertificateCredentialColumns::Read;

#define LATCHKEY_FEDERATED_COLUMNS \
  "id, app_object_id, name, issuer, subject, audiences, description, created_at"
using FederatedCredentialColumns =
    Columns<&FederatedIdentityCredential::id, &FederatedIdentityCredential::app_object_id,
            &FederatedIdentityCredential::name, &FederatedIdentityCredential::issuer,
            &FederatedIdentityCredential::subject, &FederatedIdentityCredential::audiences,
            &FederatedIdentityCredential::description, &FederatedIdentityCredential::created_at>;
inline constexpr auto FederatedCredentialFromRow = &FederatedCredentialColumns::Read;

// ---- Signing keys and audit ----

#define LATCHKEY_SIGNING_KEY_COLUMNS "kid, public_pem, created_at, retired_at"
using SigningKeyColumns = Columns<&SigningKey::kid, &SigningKey::public_pem,
                                  &SigningKey::created_at, &SigningKey::retired_at>;
inline constexpr auto SigningKeyFromRow = &SigningKeyColumns::Read;

#define LATCHKEY_AUDIT_COLUMNS "seq, at, actor, action, target, detail, remote_address"
using AuditEventColumns =
    Columns<&AuditEvent::seq, &AuditEvent::at, &AuditEvent::actor, &AuditEvent::action,
            &AuditEvent::target, &AuditEvent::detail, &AuditEvent::remote_address>;
inline constexpr auto AuditEventFromRow = &AuditEventColumns::Read;

// ---- Workspace ----

#define LATCHKEY_PRINCIPAL_COLUMNS                                                        \
  "id, kind, user_name, application_id, display_name, external_id, active, entitlements," \
  " created_at"
using PrincipalColumns =
    Columns<&Principal::id, &Principal::kind, &Principal::user_name, &Principal::application_id,
            &Principal::display_name, &Principal::external_id, &Principal::active,
            &Principal::entitlements, &Principal::created_at>;
inline constexpr auto PrincipalFromRow = &PrincipalColumns::Read;

#define LATCHKEY_GROUP_COLUMNS "id, display_name, created_at"
using GroupColumns = Columns<&Group::id, &Group::display_name, &Group::created_at>;
inline constexpr auto GroupFromRow = &GroupColumns::Read;

#define LATCHKEY_TOKEN_PERMISSION_COLUMNS "subject_kind, subject_id, permission_level"
using TokenPermissionColumns = Columns<&TokenPermission::subject_kind, &TokenPermission::subject_id,
                                       &TokenPermission::permission_level>;
inline constexpr auto TokenPermissionFromRow = &TokenPermissionColumns::Read;

#define LATCHKEY_PAT_COLUMNS \
  "token_id, owner_id, created_by_id, comment, created_at, expires_at, last_used_day, scopes"
using PatColumns = Columns<&Pat::token_id, &Pat::owner_id, &Pat::created_by_id, &Pat::comment,
                           &Pat::created_at, &Pat::expires_at, &Pat::last_used_day, &Pat::scopes>;
inline constexpr auto PatFromRow = &PatColumns::Read;

#define LATCHKEY_OAUTH_SECRET_COLUMNS "id, principal_id, secret_hash, created_at, expires_at"
using OAuthSecretColumns =
    Columns<&OAuthSecret::id, &OAuthSecret::principal_id, &OAuthSecret::secret_hash,
            &OAuthSecret::created_at, &OAuthSecret::expires_at>;
inline constexpr auto OAuthSecretFromRow = &OAuthSecretColumns::Read;

// service_principal_id is read as COALESCE(service_principal_id, 0) (0 is the account) and
// written as NULLIF(?, 0), so the list selects and inserts differ in that one column.
#define LATCHKEY_FEDERATION_POLICY_COLUMNS(service_principal_id) \
  "policy_id, uid, " service_principal_id                        \
  ", description, issuer, audiences, subject,"                   \
  " subject_claim, created_at, updated_at"
using FederationPolicyColumns =
    Columns<&FederationPolicy::policy_id, &FederationPolicy::uid,
            &FederationPolicy::service_principal_id, &FederationPolicy::description,
            &FederationPolicy::issuer, &FederationPolicy::audiences, &FederationPolicy::subject,
            &FederationPolicy::subject_claim, &FederationPolicy::created_at,
            &FederationPolicy::updated_at>;
inline constexpr auto FederationPolicyFromRow = &FederationPolicyColumns::Read;

// used_at: NULL (read as 0) until the token was rotated; revoked: an INTEGER 0 or 1 on both
// backends (not a BOOLEAN). Both are read and bound as integers, after the columns below.
#define LATCHKEY_REFRESH_TOKEN_COLUMNS                                                     \
  "token_hash, family_id, principal_id, client_id, scope, created_at, expires_at, used_at," \
  " revoked"
using RefreshTokenColumns =
    Columns<&RefreshToken::token_hash, &RefreshToken::family_id, &RefreshToken::principal_id,
            &RefreshToken::client_id, &RefreshToken::scope, &RefreshToken::created_at,
            &RefreshToken::expires_at>;
inline Result<RefreshToken> RefreshTokenFromRow(const sql::Row& row) {
  Result<RefreshToken> t = RefreshTokenColumns::Read(row);
  if (!t) return t;
  if (row.Int(7) != 0) t->used_at = row.Time(7);
  t->revoked = row.Int(8) != 0;
  return t;
}

#define LATCHKEY_WEB_SESSION_COLUMNS                                                       \
  "id, token_hash, principal_id, provider_id, created_at, last_seen_at, expires_at, address," \
  " user_agent"
using WebSessionColumns =
    Columns<&WebSession::id, &WebSession::token_hash, &WebSession::principal_id,
            &WebSession::provider_id, &WebSession::created_at, &WebSession::last_seen_at,
            &WebSession::expires_at, &WebSession::address, &WebSession::user_agent>;
inline constexpr auto WebSessionFromRow = &WebSessionColumns::Read;

}  // namespace latchkey::store

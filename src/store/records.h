// Plain records kept by the Store. No behaviour, no validation: checks that need no database
// live in idp/ and workspace/ so that every backend agrees. Secrets are never stored: only
// their SHA-256 hashes (hex).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/clock.h"

namespace latchkey::store {

// ---- Directory (Entra-like identity provider) ----

struct Tenant {
  std::string id;  // GUID
  std::string display_name;
  TimePoint created_at;
};

struct Application {
  std::string object_id;  // GUID, Graph `id`
  std::string app_id;     // GUID, the client id; unique across all tenants
  std::string tenant_id;  // home tenant
  std::string display_name;
  std::vector<std::string> identifier_uris;
  // App roles granted to this app (application permissions), e.g. "Application.ReadWrite.All"
  // on Microsoft Graph. Copied into the `roles` claim of tokens for the matching resource.
  std::vector<std::string> granted_roles;
  TimePoint created_at;
};

struct PasswordCredential {
  std::string key_id;  // GUID
  std::string app_object_id;
  std::string display_name;
  std::string hint;         // first characters of the secret, shown in listings
  std::string secret_hash;  // hex SHA-256 of the secret text
  TimePoint start_at;
  std::optional<TimePoint> end_at;
};

struct CertificateCredential {
  std::string key_id;  // GUID
  std::string app_object_id;
  std::string display_name;
  std::string certificate_pem;   // public certificate only
  std::string thumbprint_sha1;   // uppercase hex of SHA-1(DER), Graph's customKeyIdentifier
  TimePoint start_at;
  TimePoint end_at;
};

// A federated identity credential (Graph's federatedIdentityCredential): a token from an
// external OpenID issuer whose iss, sub and one aud equal these exactly authenticates as the
// application (workload identity federation). Names are unique per application.
struct FederatedIdentityCredential {
  std::string id;  // GUID
  std::string app_object_id;
  std::string name;
  std::string issuer;
  std::string subject;
  std::vector<std::string> audiences;
  std::string description;
  TimePoint created_at;
};

struct DirectoryServicePrincipal {
  std::string object_id;  // GUID
  std::string app_id;
  std::string tenant_id;
  std::string display_name;
  TimePoint created_at;
};

// Metadata of an RS256 signing key. The private key lives in a protected key file named by
// `kid`, never in the database.
struct SigningKey {
  std::string kid;         // RFC 7638 thumbprint
  std::string public_pem;  // SubjectPublicKeyInfo PEM
  TimePoint created_at;
  std::optional<TimePoint> retired_at;  // set when a newer key took over signing
};

// ---- Workspace (Databricks-like) ----

enum class PrincipalKind { kUser, kServicePrincipal };

struct Principal {
  int64_t id = 0;  // SCIM id
  PrincipalKind kind = PrincipalKind::kUser;
  std::string user_name;       // users: the login (email); empty for service principals
  std::string application_id;  // service principals: GUID; empty for users
  std::string display_name;
  std::string external_id;
  bool active = true;
  std::vector<std::string> entitlements;
  TimePoint created_at;
};

struct Group {
  int64_t id = 0;
  std::string display_name;
  std::vector<int64_t> member_ids;  // principal ids
  TimePoint created_at;
};

enum class AclSubjectKind { kUser, kGroup, kServicePrincipal };

struct TokenPermission {
  AclSubjectKind subject_kind = AclSubjectKind::kUser;
  int64_t subject_id = 0;       // principal id or group id
  std::string permission_level;  // "CAN_USE" or "CAN_MANAGE"
};

struct Pat {
  std::string token_id;  // hex SHA-256 of the token value: the only trace of the value kept
  int64_t owner_id = 0;
  int64_t created_by_id = 0;
  std::string comment;
  TimePoint created_at;
  std::optional<TimePoint> expires_at;  // nullopt: never expires
  std::optional<TimePoint> last_used_day;
  std::vector<std::string> scopes;
};

struct OAuthSecret {
  std::string id;  // GUID
  int64_t principal_id = 0;
  std::string secret_hash;  // hex SHA-256
  TimePoint created_at;
  TimePoint expires_at;
};

// A Databricks federation policy (OAuth token federation, issue 21): tokens of an external
// OpenID issuer accepted at /oidc/v1/token. Account-wide (service_principal_id 0: the token's
// subject_claim names a user by userName) or for one service principal (its `subject` must
// equal the token's sub). policy_id is unique per owner.
struct FederationPolicy {
  std::string policy_id;
  std::string uid;  // GUID
  int64_t service_principal_id = 0;  // 0: account-wide
  std::string description;
  std::string issuer;
  std::vector<std::string> audiences;  // empty: the account id
  std::string subject;                 // service principal policies
  std::string subject_claim;           // account policies ("sub" when empty)
  TimePoint created_at;
  TimePoint updated_at;
};

struct AuditEvent {
  int64_t seq = 0;  // assigned by the store, increasing
  TimePoint at;
  std::string actor;   // e.g. "principal:7000000000000001", "app:<client id>", "system"
  std::string action;  // e.g. "token.create", "token.delete", "token.auth_failed"
  std::string target;  // e.g. "token:<token id>"; never a secret
  std::string detail;  // JSON object text, never a secret
  std::string remote_address;
};

// A Databricks U2M refresh token (issue 24), kept only as the SHA-256 hex of its value. Every
// rotation stores the next token of the same family and marks the old one used; presenting a
// used token again revokes the whole family (RFC 9700 §4.14.2).
struct RefreshToken {
  std::string token_hash;
  std::string family_id;
  int64_t principal_id = 0;
  std::string client_id;
  std::string scope;
  TimePoint created_at;
  TimePoint expires_at;
  std::optional<TimePoint> used_at;
  bool revoked = false;
};

// A web page session (issue 24; query/web_sessions.cc). The cookie's session id is never
// stored: token_hash is its SHA-256 hex. `id` is a public random handle for lists and revocation.
// expires_at is the absolute timeout; the idle timeout is measured from last_seen_at.
struct WebSession {
  std::string id;
  std::string token_hash;
  int64_t principal_id = 0;
  std::string provider_id;
  TimePoint created_at;
  TimePoint last_seen_at;
  TimePoint expires_at;
  std::string address;     // bounded by the caller
  std::string user_agent;  // truncated by the caller
};

// What changed, for cache invalidation in this process and in other replicas.
enum class ChangeKind { kPatDeleted, kPrincipalChanged, kPermissionsChanged, kConfChanged,
                        kOAuthSecretDeleted, kCredentialChanged, kSigningKeysChanged };
struct Change {
  ChangeKind kind;
  std::string id;  // token id, principal id, secret id, app id; empty when not applicable
};

}  // namespace latchkey::store

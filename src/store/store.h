// The one storage interface every feature uses. Backends: SqliteStore (embedded default) and
// PostgresStore; both pass tests/store/store_contract_test.cc. Nothing backend-specific leaks
// out of this header.
//
// Contract shared by every method: results are complete copies (no handles into the backend);
// every method is all-or-nothing (multi-row changes run in one transaction); an acknowledged
// write is durable; errors are kNotFound (missing row), kAlreadyExists (unique key taken),
// kResourceExhausted (quota), kUnavailable (database unreachable or busy past its timeout),
// kInternal (anything else). All methods are thread-safe.
//
// Roles: Store is the sum of role interfaces (DirectoryStore, KeyStore, PrincipalStore,
// TokenStore, AuditStore, ChangeFeed); a service that needs only some of them takes only those.
// Each operation is a plain member function written once over the query layer (defined in
// store/query/<group>.cc, run through sql::Executor, which the backend implements).
//
// Audited writes: a write method with a trailing `const AuditEvent* audit` stores that event
// (when not null) in the same transaction as the change it records, after the change: both
// commit or neither does, so an acknowledged change always has its audit row (and a failed
// audit insert fails the write, with nothing changed). The default, nullptr, stores none.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/result.h"
#include "store/change_listeners.h"
#include "store/records.h"
#include "store/sql/executor.h"

namespace latchkey::store {

// Tenants, applications and their credentials, directory service principals (Entra side).
class DirectoryStore : public virtual sql::Executor {
 public:
  Status CreateTenant(const Tenant& tenant);
  Result<Tenant> GetTenant(const std::string& id);
  Result<std::vector<Tenant>> ListTenants();

  // Creates the application and its service principal in the home tenant together (no service
  // principal when sp.object_id is empty). kAlreadyExists if the app_id or object ids are taken.
  Status CreateApplication(const Application& app, const DirectoryServicePrincipal& sp);
  Result<Application> GetApplicationByAppId(const std::string& app_id);
  Result<Application> GetApplicationByObjectId(const std::string& object_id);
  // Applications of one tenant, oldest first.
  Result<std::vector<Application>> ListApplications(const std::string& tenant_id);
  // The application one of whose identifier URIs equals `uri` exactly.
  Result<Application> FindApplicationByIdentifierUri(const std::string& uri);
  // Deletes the application with its credentials and service principals.
  Status DeleteApplication(const std::string& object_id);

  Status AddPasswordCredential(const PasswordCredential& credential,
                               const AuditEvent* audit = nullptr);
  Result<std::vector<PasswordCredential>> ListPasswordCredentials(const std::string& app_object_id);
  Status RemovePasswordCredential(const std::string& app_object_id, const std::string& key_id,
                                  const AuditEvent* audit = nullptr);

  Status AddCertificateCredential(const CertificateCredential& credential,
                                  const AuditEvent* audit = nullptr);
  Result<std::vector<CertificateCredential>> ListCertificateCredentials(
      const std::string& app_object_id);
  Status RemoveCertificateCredential(const std::string& app_object_id, const std::string& key_id,
                                     const AuditEvent* audit = nullptr);

  // Federated identity credentials. Add: kNotFound if the application is missing,
  // kAlreadyExists if its name (case-insensitive) or its issuer and subject together are taken
  // in the application, kResourceExhausted if the application already holds `max_per_app`.
  // Update replaces issuer, subject, audiences and description of the credential with
  // credential.id in credential.app_object_id (kNotFound; kAlreadyExists as for Add). Add,
  // update and remove notify kCredentialChanged with the app id. `audit`, when given, is
  // appended in the same transaction.
  Status AddFederatedCredential(const FederatedIdentityCredential& credential, int max_per_app,
                                const AuditEvent* audit = nullptr);
  // Oldest first.
  Result<std::vector<FederatedIdentityCredential>> ListFederatedCredentials(
      const std::string& app_object_id);
  Status UpdateFederatedCredential(const FederatedIdentityCredential& credential,
                                   const AuditEvent* audit = nullptr);
  Status RemoveFederatedCredential(const std::string& app_object_id, const std::string& id,
                                   const AuditEvent* audit = nullptr);

  // kAlreadyExists if the app already has a service principal in that tenant.
  Status CreateDirectoryServicePrincipal(const DirectoryServicePrincipal& sp);
  Result<DirectoryServicePrincipal> GetDirectoryServicePrincipal(const std::string& object_id);
  Result<DirectoryServicePrincipal> FindDirectoryServicePrincipal(const std::string& tenant_id,
                                                                  const std::string& app_id);
  Result<std::vector<DirectoryServicePrincipal>> ListDirectoryServicePrincipals(
      const std::string& tenant_id);
  Status DeleteDirectoryServicePrincipal(const std::string& object_id);

  // Replay protection for client assertions, shared by every replica. Deletes every record
  // expired at `now`, then records `jti_hash` (a hash of client id and jti) for `app_id` until
  // `expires_at`. kAlreadyExists if `jti_hash` is recorded and unexpired (a replay);
  // kResourceExhausted if `app_id` already holds `max_live` unexpired records. Check and insert
  // are atomic.
  Status RecordAssertionJti(const std::string& app_id, const std::string& jti_hash,
                            TimePoint expires_at, int max_live, TimePoint now);
};

// Signing key metadata (the private keys live in files: keys/).
class KeyStore : public virtual sql::Executor {
 public:
  Status AddSigningKey(const SigningKey& key);
  // All keys, newest first.
  Result<std::vector<SigningKey>> ListSigningKeys();
  // Makes `new_kid` the signing key: every other key without retired_at gets retired_at = at.
  Status ActivateSigningKey(const std::string& new_kid, TimePoint at);
  Status DeleteSigningKey(const std::string& kid);
};

// Workspace principals, groups and token permissions (defined in query/principals.cc and, for
// the permissions, query/tokens.cc).
class PrincipalStore : public virtual sql::Executor {
 public:
  // kAlreadyExists when the user_name (case-insensitive) or application_id is taken.
  Status CreatePrincipal(const Principal& principal, const AuditEvent* audit = nullptr);
  Result<Principal> GetPrincipal(int64_t id);
  Result<Principal> FindUserByName(const std::string& user_name);  // case-insensitive
  Result<Principal> FindServicePrincipalByApplicationId(const std::string& app_id);
  // Principals of one kind ordered by id.
  Result<std::vector<Principal>> ListPrincipals(PrincipalKind kind);
  // Replaces every field but id, kind and created_at.
  Status UpdatePrincipal(const Principal& principal, const AuditEvent* audit = nullptr);
  // Deletes the principal with its PATs, OAuth secrets, group memberships and token grants.
  Status DeletePrincipal(int64_t id, const AuditEvent* audit = nullptr);

  // kAlreadyExists on display_name.
  Status CreateGroup(const Group& group, const AuditEvent* audit = nullptr);
  Result<Group> GetGroup(int64_t id);
  Result<Group> FindGroupByName(const std::string& display_name);
  Result<std::vector<Group>> ListGroups();
  // Replaces name and members. kNotFound if a member id is no principal.
  Status UpdateGroup(const Group& group, const AuditEvent* audit = nullptr);
  Status DeleteGroup(int64_t id, const AuditEvent* audit = nullptr);
  // Ids of the groups the principal is a direct member of.
  Result<std::vector<int64_t>> GroupsOfPrincipal(int64_t principal_id);

  Result<std::vector<TokenPermission>> ListTokenPermissions();
  // Replaces all grants with `grants` and deletes every PAT owned by `revoke_owner_ids`,
  // in one transaction. With `audit`, each PAT deleted gets its own event in that transaction
  // too (RevokedByPermissionEvent: `audit`'s actor, time and address, target token:<id>).
  Status ReplaceTokenPermissions(const std::vector<TokenPermission>& grants,
                                 const std::vector<int64_t>& revoke_owner_ids,
                                 const AuditEvent* audit = nullptr);
};

// PATs, OAuth secrets and the workspace configuration (query/tokens.cc).
class TokenStore : public virtual sql::Executor {
 public:
  // Deletes the owner's PATs expired at `now`, then inserts the PAT unless the owner still has
  // `quota` or more PATs: then kResourceExhausted. Every stored row counts, so short-lived
  // tokens created in a loop cannot pile up past the quota. Purge, check and insert are atomic.
  Status CreatePat(const Pat& pat, int quota, TimePoint now, const AuditEvent* audit = nullptr);
  // Deletes every PAT expired at `now` (housekeeping) and returns how many. Nothing is notified:
  // an expired PAT is refused on sight. The audit table keeps its token.create record.
  Result<int64_t> PurgeExpiredPats(TimePoint now);
  Result<Pat> GetPat(const std::string& token_id);
  // PATs unexpired at `now`, oldest first; `owner_id` 0 = every owner.
  Result<std::vector<Pat>> ListPats(int64_t owner_id, TimePoint now);
  Status DeletePat(const std::string& token_id, const AuditEvent* audit = nullptr);
  // Sets last_used_day of the given tokens (missing ids are ignored).
  Status TouchPats(const std::vector<std::string>& token_ids, TimePoint day);
  Result<int64_t> CountPats();

  Status CreateOAuthSecret(const OAuthSecret& secret, const AuditEvent* audit = nullptr);
  Result<OAuthSecret> GetOAuthSecret(const std::string& id);
  Result<std::vector<OAuthSecret>> ListOAuthSecrets(int64_t principal_id);
  Status DeleteOAuthSecret(const std::string& id, const AuditEvent* audit = nullptr);

  // Workspace configuration (string values). Missing key: kNotFound.
  Result<std::string> GetConf(const std::string& key);
  Status SetConf(const std::string& key, const std::string& value,
                 const AuditEvent* audit = nullptr);
  Status DeleteConf(const std::string& key, const AuditEvent* audit = nullptr);

  // Databricks federation policies (issue 21; query/federation_policies.cc), per owner:
  // service_principal_id, 0 for the account. Create: kAlreadyExists for a policy_id the owner
  // has, kResourceExhausted past `max_per_owner`, kNotFound if the service principal is
  // missing. Deleting a service principal deletes its policies.
  Status CreateFederationPolicy(const FederationPolicy& policy, int max_per_owner,
                                const AuditEvent* audit = nullptr);
  Result<FederationPolicy> GetFederationPolicy(int64_t service_principal_id,
                                               const std::string& policy_id);
  // Oldest first.
  Result<std::vector<FederationPolicy>> ListFederationPolicies(int64_t service_principal_id);
  // Replaces description, issuer, audiences, subject, subject_claim and updated_at.
  Status UpdateFederationPolicy(const FederationPolicy& policy,
                                const AuditEvent* audit = nullptr);
  Status DeleteFederationPolicy(int64_t service_principal_id, const std::string& policy_id,
                                const AuditEvent* audit = nullptr);
  // U2M refresh tokens (issue 24; query/refresh_tokens.cc). Create also deletes the tokens
  // expired at token.created_at. Rotate, in one transaction: kNotFound when `old_hash` is
  // unknown; when it was used before or its family is revoked, revokes the family, commits
  // that, and returns kFailedPrecondition; otherwise marks it used at next.created_at,
  // stores `next` in its family and returns the old record. RevokeRefreshTokenFamily: how many
  // tokens it revoked.
  Status CreateRefreshToken(const RefreshToken& token);
  Result<RefreshToken> GetRefreshToken(const std::string& token_hash);
  Result<RefreshToken> RotateRefreshToken(const std::string& old_hash, const RefreshToken& next);
  Result<int64_t> RevokeRefreshTokenFamily(const std::string& family_id);
  // Every refresh token, used and revoked ones included (for CopyStore), and one copied as it
  // is (used_at and revoked kept).
  Result<std::vector<RefreshToken>> ListRefreshTokens();
  Status CopyRefreshToken(const RefreshToken& token);

  // Web page sessions (issue 24; query/web_sessions.cc). Create, in one transaction: deletes
  // every session expired at session.created_at (expires_at <= it, or last seen <= idle_cutoff),
  // then the owner's oldest ones beyond max_per_principal - 1, then inserts `session`.
  // Get: by token_hash, kNotFound if none. Touch: sets last_seen_at (missing id: no error).
  // List: oldest first, principal_id 0 = everyone's. Delete: kNotFound when the id is unknown,
  // or (owner_id != 0) is not owner_id's. Copy: one session as it is (CopyStore).
  Status CreateWebSession(const WebSession& session, int max_per_principal,
                          TimePoint idle_cutoff, const AuditEvent* audit = nullptr);
  Result<WebSession> GetWebSession(const std::string& token_hash);
  Status TouchWebSession(const std::string& id, TimePoint at);
  Result<std::vector<WebSession>> ListWebSessions(int64_t principal_id);
  Status DeleteWebSession(const std::string& id, int64_t owner_id,
                          const AuditEvent* audit = nullptr);
  Status CopyWebSession(const WebSession& session);
};

// The workspace's audit log (query/keys_audit.cc).
class AuditStore : public virtual sql::Executor {
 public:
  Status AppendAudit(const AuditEvent& event);  // seq assigned by the store
  // Events with seq > after_seq, oldest first, at most `limit`.
  Result<std::vector<AuditEvent>> ListAudit(int64_t after_seq, int limit);
  // Retention: deletes the events recorded before `before`, then the oldest beyond the newest
  // `keep_at_most` (by seq). Returns how many were deleted. Cost ~ the rows deleted.
  Result<int64_t> PurgeAudit(TimePoint before, int64_t keep_at_most);
};

// The event ReplaceTokenPermissions stores for each PAT it deletes: action
// "token.revoked_by_permission", target "token:<id>", detail {"owner_id":N}, the rest from `cause`.
AuditEvent RevokedByPermissionEvent(const AuditEvent& cause, const std::string& token_id,
                                    int64_t owner_id);

// How busy a backend's connections are, read at /metrics scrape time.
struct PoolUsage {
  int size = 0;     // connections the pool may hold (SQLite: readers + the writer)
  int in_use = 0;   // lent out right now
  int waiting = 0;  // callers waiting for a connection
};

// The changes committed to the store, for the caches built on it.
class ChangeFeed {
 public:
  virtual ~ChangeFeed() = default;
  // Called after a change commits (from this process and, where the backend can notify, from
  // other replicas). Listeners must be fast and must not call back into the store. The
  // listener is called until the returned subscription is destroyed (change_listeners.h).
  using ChangeListener = ChangeListeners::Listener;
  virtual ChangeSubscription AddChangeListener(ChangeListener listener) = 0;
};

// Principals and PATs together, for the workspace's services.
class WorkspaceStore : public PrincipalStore, public TokenStore {};

class Store : public DirectoryStore,
              public KeyStore,
              public WorkspaceStore,
              public AuditStore,
              public ChangeFeed {
 public:
  // Cheap round trip that proves the database answers (readyz).
  virtual Status Ping() = 0;
  // Backend name for logs and metrics: "sqlite" or "postgresql".
  virtual std::string backend() const = 0;
  virtual PoolUsage pool_usage() const { return {}; }
};

// Opens "sqlite:/path/to/file.db", "sqlite::memory:" or PostgreSQL, named by either of libpq's
// forms ("postgresql://..." or key=value pairs such as "host=h1,h2 dbname=latchkey
// target_session_attrs=read-write"), and applies the numbered migrations. kInvalidArgument for
// an unknown scheme, kUnavailable if unreachable. Messages never contain a password.
// How long a PostgreSQL session may take (SQLite ignores these). Every session runs with
// statement_timeout; a call whose query gets no answer for statement_timeout + 1 s (a server
// or network that stopped answering, which no server-side timeout can catch) drops its session
// and fails with kUnavailable. tcp_user_timeout bounds how long sent data may stay
// unacknowledged before the kernel drops the connection; TCP keepalives are always on.
struct StoreOptions {
  std::chrono::milliseconds statement_timeout{5000};
  std::chrono::milliseconds tcp_user_timeout{10000};
};
Result<std::unique_ptr<Store>> OpenStore(const std::string& url, const StoreOptions& options = {});

}  // namespace latchkey::store

#include "store/copy_store.h"

#include <algorithm>
#include <climits>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace latchkey::store {
namespace {

constexpr int kAuditPage = 1000;

// `status` with `what` prepended to its message (same code).
Status Context(Status status, const std::string& what) {
  if (status) return status;
  return MakeError(status.error().code, "copy " + what + ": " + status.error().message);
}

template <class T>
Result<T> Context(Result<T> result, const std::string& what) {
  if (result) return result;
  return MakeError(result.error().code, "copy " + what + ": " + result.error().message);
}

#define LATCHKEY_COPY_TRY(expr, what)                                                            \
  do {                                                                                           \
    if (Status latchkey_copy_ = Context((expr), (what)); !latchkey_copy_) return latchkey_copy_; \
  } while (0)

// Copies each item that `listed` holds with copy(item) -> Status. A failure to list is
// reported as "copy <list_what>: ...", a failure to copy as "copy <name(item)>: ...".
template <class T, class Name, class Copy>
Status CopyEach(Result<std::vector<T>> listed, const std::string& list_what, Name name, Copy copy) {
  listed = Context(std::move(listed), list_what);
  if (!listed) return std::unexpected(listed.error());
  for (const T& item : *listed) LATCHKEY_COPY_TRY(copy(item), name(item));
  return Ok();
}

Status RequireEmpty(Store& to) {
  Result<std::vector<Tenant>> tenants = Context(to.ListTenants(), "destination tenants");
  if (!tenants) return std::unexpected(tenants.error());
  Result<std::vector<Principal>> users =
      Context(to.ListPrincipals(PrincipalKind::kUser), "destination users");
  if (!users) return std::unexpected(users.error());
  Result<std::vector<Principal>> sps =
      Context(to.ListPrincipals(PrincipalKind::kServicePrincipal), "destination principals");
  if (!sps) return std::unexpected(sps.error());
  Result<std::vector<Group>> groups = Context(to.ListGroups(), "destination groups");
  if (!groups) return std::unexpected(groups.error());
  Result<std::vector<SigningKey>> keys = Context(to.ListSigningKeys(), "destination keys");
  if (!keys) return std::unexpected(keys.error());
  Result<int64_t> pats = Context(to.CountPats(), "destination PATs");
  if (!pats) return std::unexpected(pats.error());
  Result<std::vector<AuditEvent>> audit = Context(to.ListAudit(0, 1), "destination audit");
  if (!audit) return std::unexpected(audit.error());
  if (!tenants->empty() || !users->empty() || !sps->empty() || !groups->empty() || !keys->empty() ||
      *pats != 0 || !audit->empty()) {
    return MakeError(ErrorCode::kFailedPrecondition,
                     "the destination store is not empty; copy into a new database");
  }
  return Ok();
}

// Applications with their credentials, then the other directory service principals.
Status CopyDirectory(Store& from, Store& to) {
  Result<std::vector<Tenant>> tenants = Context(from.ListTenants(), "tenants");
  if (!tenants) return std::unexpected(tenants.error());
  for (const Tenant& tenant : *tenants) {
    LATCHKEY_COPY_TRY(to.CreateTenant(tenant), "tenant " + tenant.id);
  }
  std::set<std::string> copied_sps;
  for (const Tenant& tenant : *tenants) {
    Result<std::vector<Application>> apps =
        Context(from.ListApplications(tenant.id), "applications of tenant " + tenant.id);
    if (!apps) return std::unexpected(apps.error());
    for (const Application& app : *apps) {
      const std::string what = "application " + app.app_id;
      // CreateApplication needs the home service principal; it may have been deleted since,
      // then a placeholder stands in for the moment.
      Result<DirectoryServicePrincipal> home =
          from.FindDirectoryServicePrincipal(app.tenant_id, app.app_id);
      if (!home && home.error().code != ErrorCode::kNotFound) {
        return Context(Status(std::unexpected(home.error())), what);
      }
      DirectoryServicePrincipal sp =
          home
              ? *home
              : DirectoryServicePrincipal{.object_id = "latchkey-copy-placeholder-" + app.object_id,
                                          .app_id = app.app_id,
                                          .tenant_id = app.tenant_id,
                                          .display_name = app.display_name,
                                          .created_at = app.created_at};
      LATCHKEY_COPY_TRY(to.CreateApplication(app, sp), what);
      if (home) {
        copied_sps.insert(sp.object_id);
      } else {
        LATCHKEY_COPY_TRY(to.DeleteDirectoryServicePrincipal(sp.object_id), what);
      }

      LATCHKEY_RETURN_IF_ERROR(CopyEach(
          from.ListPasswordCredentials(app.object_id), what,
          [&](const PasswordCredential& c) { return what + " password " + c.key_id; },
          [&](const PasswordCredential& c) { return to.AddPasswordCredential(c); }));
      LATCHKEY_RETURN_IF_ERROR(CopyEach(
          from.ListCertificateCredentials(app.object_id), what,
          [&](const CertificateCredential& c) { return what + " certificate " + c.key_id; },
          [&](const CertificateCredential& c) { return to.AddCertificateCredential(c); }));
      LATCHKEY_RETURN_IF_ERROR(CopyEach(
          from.ListFederatedCredentials(app.object_id), what,
          [&](const FederatedIdentityCredential& c) {
            return what + " federated credential " + c.id;
          },
          [&](const FederatedIdentityCredential& c) {
            return to.AddFederatedCredential(c, 1 << 30);
          }));
    }
  }
  for (const Tenant& tenant : *tenants) {
    Result<std::vector<DirectoryServicePrincipal>> sps = Context(
        from.ListDirectoryServicePrincipals(tenant.id), "service principals of " + tenant.id);
    if (!sps) return std::unexpected(sps.error());
    for (const DirectoryServicePrincipal& sp : *sps) {
      if (copied_sps.contains(sp.object_id)) continue;
      LATCHKEY_COPY_TRY(to.CreateDirectoryServicePrincipal(sp),
                        "service principal " + sp.object_id);
    }
  }
  return Ok();
}

Status CopySigningKeys(Store& from, Store& to) {
  Result<std::vector<SigningKey>> keys = Context(from.ListSigningKeys(), "signing keys");
  if (!keys) return std::unexpected(keys.error());
  // Listed newest first: insert oldest first, so that ties on created_at list the same way.
  for (auto it = keys->rbegin(); it != keys->rend(); ++it) {
    LATCHKEY_COPY_TRY(to.AddSigningKey(*it), "signing key " + it->kid);
  }
  return Ok();
}

// Principals, their federation policies and OAuth secrets, groups, grants and PATs.
Status CopyWorkspace(Store& from, Store& to) {
  std::vector<Principal> principals;
  for (PrincipalKind kind : {PrincipalKind::kUser, PrincipalKind::kServicePrincipal}) {
    Result<std::vector<Principal>> some = Context(from.ListPrincipals(kind), "principals");
    if (!some) return std::unexpected(some.error());
    principals.insert(principals.end(), some->begin(), some->end());
  }
  for (const Principal& principal : principals) {
    LATCHKEY_COPY_TRY(to.CreatePrincipal(principal), "principal " + std::to_string(principal.id));
  }
  // Federation policies: the account's (owner 0) and each service principal's.
  std::vector<int64_t> owners{0};
  for (const Principal& principal : principals) {
    if (principal.kind == PrincipalKind::kServicePrincipal) owners.push_back(principal.id);
  }
  for (int64_t owner : owners) {
    LATCHKEY_RETURN_IF_ERROR(CopyEach(
        from.ListFederationPolicies(owner), "federation policies",
        [](const FederationPolicy& p) { return "federation policy " + p.uid; },
        [&](const FederationPolicy& p) { return to.CreateFederationPolicy(p, INT_MAX); }));
  }
  for (const Principal& principal : principals) {
    LATCHKEY_RETURN_IF_ERROR(CopyEach(
        from.ListOAuthSecrets(principal.id), "OAuth secrets",
        [](const OAuthSecret& secret) { return "OAuth secret " + secret.id; },
        [&](const OAuthSecret& secret) { return to.CreateOAuthSecret(secret); }));
  }
  LATCHKEY_RETURN_IF_ERROR(CopyEach(
      from.ListGroups(), "groups",
      [](const Group& group) { return "group " + std::to_string(group.id); },
      [&](const Group& group) { return to.CreateGroup(group); }));
  Result<std::vector<TokenPermission>> grants =
      Context(from.ListTokenPermissions(), "token permissions");
  if (!grants) return std::unexpected(grants.error());
  LATCHKEY_COPY_TRY(to.ReplaceTokenPermissions(*grants, {}), "token permissions");

  // Expired PATs too: ListPats hides only those expired at the given instant (the epoch).
  LATCHKEY_RETURN_IF_ERROR(CopyEach(
      from.ListPats(0, TimePoint{}), "PATs", [](const Pat& pat) { return "PAT " + pat.token_id; },
      [&](const Pat& pat) { return to.CreatePat(pat, INT_MAX, TimePoint{}); }));

  // U2M refresh tokens (hashes only), used and revoked ones too, so that a reused token is
  // still recognised, and its family revoked, on the copy.
  LATCHKEY_RETURN_IF_ERROR(CopyEach(
      from.ListRefreshTokens(), "refresh tokens",
      [](const RefreshToken& token) { return "refresh token of family " + token.family_id; },
      [&](const RefreshToken& token) { return to.CopyRefreshToken(token); }));
  // Web page sessions (hashes only): people stay signed in across a move of the store.
  LATCHKEY_RETURN_IF_ERROR(
      CopyEach(from.ListWebSessions(0), "web sessions",
               [](const WebSession& session) { return "web session " + session.id; },
               [&](const WebSession& session) { return to.CopyWebSession(session); }));

  for (const char* key : kCopiedConfKeys) {
    Result<std::string> value = from.GetConf(key);
    if (!value && value.error().code == ErrorCode::kNotFound) continue;
    if (!value) return Context(Status(std::unexpected(value.error())), std::string("conf ") + key);
    LATCHKEY_COPY_TRY(to.SetConf(key, *value), std::string("conf ") + key);
  }
  return Ok();
}

Status CopyAudit(Store& from, Store& to) {
  int64_t after = 0;
  for (;;) {
    Result<std::vector<AuditEvent>> page = Context(from.ListAudit(after, kAuditPage), "audit");
    if (!page) return std::unexpected(page.error());
    for (const AuditEvent& event : *page) {
      LATCHKEY_COPY_TRY(to.AppendAudit(event), "audit event " + std::to_string(event.seq));
      after = event.seq;
    }
    if (page->size() < static_cast<size_t>(kAuditPage)) return Ok();
  }
}

}  // namespace

Status CopyStore(Store& from, Store& to) {
  if (Status empty = RequireEmpty(to); !empty) return empty;
  if (Status copied = CopyDirectory(from, to); !copied) return copied;
  if (Status copied = CopySigningKeys(from, to); !copied) return copied;
  if (Status copied = CopyWorkspace(from, to); !copied) return copied;
  return CopyAudit(from, to);
}

}  // namespace latchkey::store

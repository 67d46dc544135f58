#include "workspace/workspace.h"

#include <algorithm>
#include <climits>

#include <spdlog/spdlog.h>

#include "base/result_macros.h"
#include "auth/pat_format.h"
#include "workspace/workspace_services.h"

namespace latchkey::workspace {

std::string CallContext::Actor() const { return "principal:" + std::to_string(auth.principal->id); }

const std::string& PrincipalName(const store::Principal& principal) {
  return principal.kind == store::PrincipalKind::kUser ? principal.user_name
                                                       : principal.application_id;
}

auth::BearerGateOptions WorkspaceGateOptions(const WorkspaceOptions& o) {
  return {.max_failures = o.auth_max_failures,
          .window = o.auth_failure_window,
          .lockout = o.auth_lockout,
          .metrics = o.metrics};
}

namespace {

// What an audit record keeps of the request's Host header: enough to tell which name was used.
constexpr size_t kMaxAuditedHost = 255;

// The authenticator's share of the workspace's options; its denials go to the audit log.
auth::AuthenticatorOptions AuthOptions(const WorkspaceOptions& o, AuditLog& audit) {
  return {.workspace_audience = WorkspaceTokenAudience(o),
          .entra_audiences = o.entra_audiences,
          .entra_issuer_check = o.entra_issuer_check,
          .entra_keys = o.entra_keys,
          .entra_keys_for_issuer = o.entra_keys_for_issuer,
          .signing_keys = o.signing_keys,
          .is_own_authority = o.is_own_authority,
          .issuer_binding = o.issuer_binding,
          .cache_ttl = o.auth_cache_ttl,
          .cache_capacity = o.auth_cache_capacity,
          .metrics = o.metrics,
          .on_denied = [&audit](const auth::DeniedBearer& d) {
            audit.RecordFailure(
                "anonymous", "token.auth_failed", d.target,
                {{"reason", std::string(auth::DenialReasonName(d.reason)) + ": " + d.detail},
                 {"host", std::string(d.host.substr(0, kMaxAuditedHost))}},
                std::string(d.remote_address));
          }};
}

// The composition root's gate (shared with Graph and the operations endpoints), or one of the
// workspace's own built from its options (unit tests).
auth::BearerGate& GateFor(const WorkspaceOptions& o, const Clock& clock,
                          std::unique_ptr<auth::BearerGate>& own) {
  if (o.bearer_gate != nullptr) return *o.bearer_gate;
  own = std::make_unique<auth::BearerGate>(clock, WorkspaceGateOptions(o));
  return *own;
}

}  // namespace

Services::Services(store::Store& store_ref, const Clock& clock_ref, Random& random,
                   WorkspaceOptions opts)
    : options(std::move(opts)),
      store(store_ref),
      clock(clock_ref),
      audit(store_ref, clock_ref, options.audit_sink, options.metrics,
            options.audit_failures_per_minute),
      access(store_ref, clock_ref, options.auth_cache_ttl, options.auth_cache_capacity),
      pats(store_ref, clock_ref, options.auth_cache_ttl, options.auth_cache_capacity,
           options.metrics),
      deps{store_ref, clock_ref, random, options, audit, access, pats},
      authenticator({store_ref, store_ref}, clock_ref, AuthOptions(options, audit), access, pats,
                    GateFor(options, clock_ref, own_gate)),
      issuer(deps),
      tokens(deps, issuer),
      token_management(deps, issuer),
      permissions(deps),
      conf(deps),
      scim(deps),
      secrets(deps),
      federation_policies(deps),
      web_sessions(deps),
      oidc(deps) {
  oidc.AttachWebSessions(&web_sessions);
}

void Services::OnChange(const store::Change& change) {
  switch (change.kind) {
    case store::ChangeKind::kPatDeleted:
      if (change.id.empty()) {
        pats.Clear();
      } else {
        pats.Evict(change.id);
      }
      break;
    case store::ChangeKind::kPrincipalChanged:
      // A removed principal takes its PATs with it; cached JWTs name principal ids.
      pats.Clear();
      authenticator.ClearJwtCache();
      access.Invalidate();
      break;
    case store::ChangeKind::kPermissionsChanged:
    case store::ChangeKind::kConfChanged:
      access.Invalidate();
      break;
    case store::ChangeKind::kSigningKeysChanged:
      // A removed key must take the tokens it signed with it.
      authenticator.ClearJwtCache();
      break;
    case store::ChangeKind::kOAuthSecretDeleted:
    case store::ChangeKind::kCredentialChanged:
      break;  // secrets are read from the store on every token request
  }
}

Workspace::AuthCacheSizes Workspace::CacheSizes() const {
  return {services_->pats.size(), services_->authenticator.jwt_cache_size()};
}

void Workspace::FlushAuthCaches() {
  services_->pats.Clear();
  services_->authenticator.ClearJwtCache();
  services_->access.Invalidate();
}

Workspace::Workspace(store::Store& store, const Clock& clock, Random& random,
                     WorkspaceOptions options)
    : services_(std::make_unique<Services>(store, clock, random, std::move(options))) {
  Services* services = services_.get();
  subscription_ = store.AddChangeListener(
      [services](const store::Change& change) { services->OnChange(change); });
}

Workspace::~Workspace() = default;

auth::Gated<auth::AuthenticatedPrincipal> Workspace::Guard(std::string_view authorization_header,
                                                           std::string_view remote_address,
                                                           std::string_view host) {
  return services_->authenticator.Guard(authorization_header, remote_address, host);
}

auth::Checked<auth::AuthenticatedPrincipal> Workspace::Authenticate(
    std::string_view token, std::optional<jose::ParsedJwt>* jwt) {
  return services_->authenticator.Authenticate(token, jwt);
}

void Workspace::FlushLastUsed() {
  if (Status flushed = services_->pats.FlushLastUsed(); !flushed) {
    spdlog::warn("event=pat_last_used_flush_failed error=\"{}\"", flushed.error().message);
  }
}

void Workspace::PurgeExpiredPats() {
  Result<int64_t> purged = services_->store.PurgeExpiredPats(services_->clock.Now());
  if (!purged) {
    spdlog::warn("event=pat_purge_failed error=\"{}\"", purged.error().message);
  } else if (*purged > 0) {
    spdlog::info("event=pat_purge expired_tokens={}", *purged);
  }
}

namespace {

// A new user (not stored yet) whose display name is its user name.
store::Principal NewUser(Random& random, const std::string& user_name,
                         std::vector<std::string> entitlements, TimePoint now) {
  store::Principal user;
  user.id = NewScimId(random);
  user.kind = store::PrincipalKind::kUser;
  user.user_name = user_name;
  user.display_name = user_name;
  user.entitlements = std::move(entitlements);
  user.created_at = now;
  return user;
}

}  // namespace

Result<BootstrapResult> BootstrapWorkspace(store::Store& store, const Clock& clock,
                                           Random& random, std::string admin_user_name) {
  if (admin_user_name.empty()) {
    return MakeError(ErrorCode::kInvalidArgument, "The admin user name must not be empty.");
  }
  if (Result<store::Group> existing = store.FindGroupByName(kAdminsGroup); existing) {
    return MakeError(ErrorCode::kAlreadyExists, "The workspace is already initialised.");
  }
  AuditLog audit(store, clock);
  TimePoint now = clock.Now();
  BootstrapResult result;
  store::Principal admin =
      NewUser(random, admin_user_name, {"workspace-access", "allow-cluster-create"}, now);
  // Each write stores its audit event in its own transaction.
  store::AuditEvent admin_created =
      audit.Event("system", "principal.create", "principal:" + std::to_string(admin.id),
                  {{"name", admin_user_name}, {"kind", "user"}}, "");
  if (Status s = audit.Write(
          admin_created,
          [&](const store::AuditEvent* event) { return store.CreatePrincipal(admin, event); });
      !s) {
    return std::unexpected(s.error());
  }
  store::Group admins{NewScimId(random), kAdminsGroup, {admin.id}, now};
  store::Group users{NewScimId(random), kUsersGroup, {admin.id}, now};
  for (const store::Group* group : {&admins, &users}) {
    store::AuditEvent created = audit.Event(
        "system", "group.create", "group:" + std::to_string(group->id),
        {{"display_name", group->display_name}, {"member_ids", nlohmann::json::array({admin.id})}},
        "");
    if (Status s = audit.Write(
            created,
            [&](const store::AuditEvent* event) { return store.CreateGroup(*group, event); });
        !s) {
      return std::unexpected(s.error());
    }
  }

  store::Pat pat;
  result.admin_token = auth::GeneratePat(random);
  pat.token_id = auth::HashSecretValue(result.admin_token.reveal());
  pat.owner_id = admin.id;
  pat.created_by_id = admin.id;
  pat.comment = "bootstrap admin token";
  pat.created_at = now;
  store::AuditEvent pat_created = audit.Event("system", "token.create", "token:" + pat.token_id,
                                              {{"owner_id", admin.id}, {"expiry_time", -1}}, "");
  if (Status s = audit.Write(
          pat_created,
          [&](const store::AuditEvent* event) { return store.CreatePat(pat, 600, now, event); });
      !s) {
    return std::unexpected(s.error());
  }
  result.admin_id = admin.id;
  result.admin_user_name = std::move(admin_user_name);
  result.admins_group_id = admins.id;
  result.users_group_id = users.id;
  return result;
}

namespace {

// The named user, created (audited) when missing and reactivated when deactivated; `created`
// says which.
Result<store::Principal> EnsureActiveUser(store::Store& store, AuditLog& audit, Random& random,
                                          const std::string& user_name, TimePoint now,
                                          bool& created) {
  Result<store::Principal> user = store.FindUserByName(user_name);
  if (!user && user.error().code != ErrorCode::kNotFound) return std::unexpected(user.error());
  if (user) {
    if (!user->active) {
      user->active = true;
      RETURN_IF_ERROR(store.UpdatePrincipal(*user));
    }
    return user;
  }
  store::Principal fresh = NewUser(random, user_name, {"workspace-access"}, now);
  store::AuditEvent event =
      audit.Event("system", "principal.create", "principal:" + std::to_string(fresh.id),
                  {{"name", user_name}, {"kind", "user"}, {"by", "recover-admin"}}, "");
  RETURN_IF_ERROR(audit.Write(event, [&](const store::AuditEvent* audit_event) {
    return store.CreatePrincipal(fresh, audit_event);
  }));
  created = true;
  return fresh;
}

// Adds `user_id` to the admins and users groups it is not yet in (a missing group is skipped).
Status JoinWorkspaceGroups(store::Store& store, int64_t user_id) {
  for (const char* name : {kAdminsGroup, kUsersGroup}) {
    Result<store::Group> group = store.FindGroupByName(name);
    if (!group) {
      if (group.error().code == ErrorCode::kNotFound) continue;
      return std::unexpected(group.error());
    }
    auto& members = group->member_ids;
    if (std::find(members.begin(), members.end(), user_id) != members.end()) continue;
    members.push_back(user_id);
    RETURN_IF_ERROR(store.UpdateGroup(*group));
  }
  return {};
}

// A new break-glass PAT for `owner_id` (audited); returns the token, shown once.
Result<Secret> IssueBreakGlassPat(store::Store& store, AuditLog& audit, Random& random,
                                        int64_t owner_id, TimePoint now,
                                        std::chrono::seconds lifetime, TimePoint& expires_at) {
  Secret token = auth::GeneratePat(random);
  store::Pat pat;
  pat.token_id = auth::HashSecretValue(token.reveal());
  pat.owner_id = owner_id;
  pat.created_by_id = owner_id;
  pat.comment = "recover-admin break-glass token";
  pat.created_at = now;
  pat.expires_at = now + lifetime;
  store::AuditEvent event =
      audit.Event("system", "token.create", "token:" + pat.token_id,
                  {{"owner_id", owner_id}, {"expiry_time", ToUnixMillis(*pat.expires_at)}}, "");
  RETURN_IF_ERROR(audit.Write(event, [&](const store::AuditEvent* audit_event) {
    return store.CreatePat(pat, INT_MAX, now, audit_event);
  }));
  expires_at = *pat.expires_at;
  return token;
}

}  // namespace

Result<RecoveryResult> RecoverAdmin(store::Store& store, const Clock& clock, Random& random,
                                    std::string admin_user_name,
                                    std::chrono::seconds token_lifetime) {
  if (admin_user_name.empty()) {
    return MakeError(ErrorCode::kInvalidArgument, "The admin user name must not be empty.");
  }
  Result<store::Group> admins = store.FindGroupByName(kAdminsGroup);
  if (!admins) {
    if (admins.error().code != ErrorCode::kNotFound) return std::unexpected(admins.error());
    return MakeError(ErrorCode::kFailedPrecondition,
                     "The workspace is not initialised (no admins group): run latchkeyd init.");
  }
  AuditLog audit(store, clock);
  TimePoint now = clock.Now();
  RecoveryResult result;
  ASSIGN_OR_RETURN(store::Principal user,
                   EnsureActiveUser(store, audit, random, admin_user_name, now, result.created));
  RETURN_IF_ERROR(JoinWorkspaceGroups(store, user.id));
  store::AuditEvent recovered =
      audit.Event("system", "admin.recover", "principal:" + std::to_string(user.id),
                  {{"name", admin_user_name}, {"enableTokensConfig", "true"}}, "");
  RETURN_IF_ERROR(audit.Write(recovered, [&](const store::AuditEvent* event) {
    return store.SetConf("enableTokensConfig", "true", event);
  }));
  ASSIGN_OR_RETURN(result.admin_token, IssueBreakGlassPat(store, audit, random, user.id, now,
                                                         token_lifetime, result.expires_at));
  result.admin_id = user.id;
  result.admin_user_name = std::move(admin_user_name);
  return result;
}

}  // namespace latchkey::workspace

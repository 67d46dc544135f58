#include "workspace/access.h"

#include <algorithm>

#include "base/encoding.h"
#include "workspace/json_input.h"

namespace latchkey::workspace {
namespace {

Result<std::optional<std::string>> ReadConf(store::TokenStore& store, const std::string& key) {
  Result<std::string> value = store.GetConf(key);
  if (value) return std::optional<std::string>(std::move(*value));
  if (value.error().code == ErrorCode::kNotFound) return std::optional<std::string>();
  return std::unexpected(value.error());
}

}  // namespace

bool HasTokenPermission(int64_t principal_id, const std::vector<int64_t>& group_ids,
                        bool is_admin, const std::vector<store::TokenPermission>& grants) {
  if (is_admin) return true;
  for (const store::TokenPermission& grant : grants) {
    if (grant.permission_level != kCanUse && grant.permission_level != kCanManage) continue;
    if (grant.subject_kind == store::AclSubjectKind::kGroup) {
      if (std::find(group_ids.begin(), group_ids.end(), grant.subject_id) != group_ids.end()) {
        return true;
      }
    } else if (grant.subject_id == principal_id) {
      return true;
    }
  }
  return false;
}

TokenPolicy ParseTokenPolicy(const std::optional<std::string>& enable_tokens,
                             const std::optional<std::string>& max_lifetime_days) {
  TokenPolicy policy;
  if (enable_tokens && IEquals(*enable_tokens, "false")) policy.tokens_enabled = false;
  if (max_lifetime_days) {
    std::optional<int64_t> days = ParseInt64(*max_lifetime_days);
    // §6: "0" and "" mean no limit; PATCH validation keeps anything else out of the store.
    if (days && *days > 0) policy.max_lifetime = std::chrono::seconds(*days * 86400);
  }
  return policy;
}

AccessControl::AccessControl(store::WorkspaceStore& store, const Clock& clock, std::chrono::seconds ttl,
                             size_t capacity)
    : store_(store), clock_(clock), ttl_(ttl), principals_(capacity), shared_(1), groups_(1) {}

Result<std::shared_ptr<const AccessControl::Shared>> AccessControl::LoadShared() {
  TimePoint now = clock_.Now();
  if (auto cached = shared_.Get("", now)) return std::move(*cached);
  uint64_t generation = shared_.generation();
  auto loaded = std::make_shared<Shared>();
  Shared& shared = *loaded;
  Result<std::vector<store::TokenPermission>> grants = store_.ListTokenPermissions();
  if (!grants) return std::unexpected(grants.error());
  shared.grants = std::move(*grants);
  Result<store::Group> admins = store_.FindGroupByName(kAdminsGroup);
  if (admins) {
    shared.admins_group_id = admins->id;
  } else if (admins.error().code != ErrorCode::kNotFound) {
    return std::unexpected(admins.error());
  }
  Result<std::optional<std::string>> enable = ReadConf(store_, "enableTokensConfig");
  if (!enable) return std::unexpected(enable.error());
  Result<std::optional<std::string>> max_days = ReadConf(store_, "maxTokenLifetimeDays");
  if (!max_days) return std::unexpected(max_days.error());
  shared.policy = ParseTokenPolicy(*enable, *max_days);
  shared_.Put("", loaded, now + ttl_, generation);
  return loaded;
}

Result<std::shared_ptr<const auth::PrincipalAccess>> AccessControl::Get(int64_t principal_id) {
  TimePoint now = clock_.Now();
  std::string key = std::to_string(principal_id);
  if (auto cached = principals_.Get(key, now)) return std::move(*cached);
  uint64_t generation = principals_.generation();
  Result<std::shared_ptr<const Shared>> shared = LoadShared();
  if (!shared) return std::unexpected(shared.error());
  auto loaded = std::make_shared<auth::PrincipalAccess>();
  auth::PrincipalAccess& access = *loaded;
  Result<store::Principal> principal = store_.GetPrincipal(principal_id);
  if (!principal) return std::unexpected(principal.error());
  access.principal = std::move(*principal);
  Result<std::vector<int64_t>> groups = store_.GroupsOfPrincipal(principal_id);
  if (!groups) return std::unexpected(groups.error());
  access.group_ids = std::move(*groups);
  access.is_admin = (*shared)->admins_group_id != 0 &&
                    std::find(access.group_ids.begin(), access.group_ids.end(),
                              (*shared)->admins_group_id) != access.group_ids.end();
  access.can_use_tokens =
      HasTokenPermission(principal_id, access.group_ids, access.is_admin, (*shared)->grants);
  principals_.Put(key, loaded, now + ttl_, generation);
  return loaded;
}

Result<TokenPolicy> AccessControl::Policy() {
  Result<std::shared_ptr<const Shared>> shared = LoadShared();
  if (!shared) return std::unexpected(shared.error());
  return (*shared)->policy;
}

Result<bool> AccessControl::PatsEnabled() {
  Result<TokenPolicy> policy = Policy();
  if (!policy) return std::unexpected(policy.error());
  return policy->tokens_enabled;
}

Result<int64_t> AccessControl::AdminsGroupId() {
  Result<std::shared_ptr<const Shared>> shared = LoadShared();
  if (!shared) return std::unexpected(shared.error());
  return (*shared)->admins_group_id;
}

Result<std::vector<store::TokenPermission>> AccessControl::Grants() {
  Result<std::shared_ptr<const Shared>> shared = LoadShared();
  if (!shared) return std::unexpected(shared.error());
  return (*shared)->grants;
}

Result<std::shared_ptr<const std::vector<store::Group>>> AccessControl::Groups() {
  TimePoint now = clock_.Now();
  if (auto cached = groups_.Get("", now)) return std::move(*cached);
  uint64_t generation = groups_.generation();
  Result<std::vector<store::Group>> groups = store_.ListGroups();
  if (!groups) return std::unexpected(groups.error());
  std::sort(groups->begin(), groups->end(),
            [](const store::Group& a, const store::Group& b) { return a.id < b.id; });
  auto shared = std::make_shared<const std::vector<store::Group>>(std::move(*groups));
  groups_.Put("", shared, now + ttl_, generation);
  return shared;
}

void AccessControl::Invalidate() {
  principals_.Clear();
  shared_.Clear();
  groups_.Clear();
  epoch_.fetch_add(1, std::memory_order_acq_rel);
}

}  // namespace latchkey::workspace

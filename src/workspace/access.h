// Who may do what, cached: a principal's groups, admin status (membership of "admins") and
// token permission (CAN_USE/CAN_MANAGE directly, through a group, or as an admin; spec §3.1,
// §5.6), plus the token policy from workspace-conf (§6). Entries live at most `ttl`; the
// Workspace clears everything on kPrincipalChanged/kPermissionsChanged/kConfChanged and after
// its own writes. Thread-safe.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/result.h"
#include "auth/principal.h"
#include "store/store.h"
#include "workspace/bounded_cache.h"

namespace latchkey::workspace {

inline constexpr char kAdminsGroup[] = "admins";
inline constexpr char kUsersGroup[] = "users";
inline constexpr char kCanUse[] = "CAN_USE";
inline constexpr char kCanManage[] = "CAN_MANAGE";

struct TokenPolicy {
  bool tokens_enabled = true;                         // enableTokensConfig
  std::optional<std::chrono::seconds> max_lifetime;   // maxTokenLifetimeDays (> 0)
};

// True when `grants` give the principal CAN_USE or CAN_MANAGE, or it is an admin.
bool HasTokenPermission(int64_t principal_id, const std::vector<int64_t>& group_ids,
                        bool is_admin, const std::vector<store::TokenPermission>& grants);

// The authenticator's PrincipalSource (auth/principal.h).
class AccessControl : public auth::PrincipalSource {
 public:
  AccessControl(store::WorkspaceStore& store, const Clock& clock, std::chrono::seconds ttl,
                size_t capacity);

  // kNotFound when the principal does not exist. The record is shared read-only with the
  // cache: an authenticated request copies no principal.
  Result<std::shared_ptr<const auth::PrincipalAccess>> Get(int64_t principal_id) override;
  Result<TokenPolicy> Policy();
  Result<bool> PatsEnabled() override;
  // Id of the "admins" group, or 0 when there is none.
  Result<int64_t> AdminsGroupId();
  Result<std::vector<store::TokenPermission>> Grants();
  // Every workspace group with its members, sorted by id, shared read-only (SCIM /Me names
  // the caller's groups on every call). Cached like the rest: cleared by Invalidate, which
  // membership changes reach through kPrincipalChanged; a rename by another replica shows
  // after at most `ttl`.
  Result<std::shared_ptr<const std::vector<store::Group>>> Groups();

  void Invalidate();
  // Bumped by every Invalidate (after the caches are cleared): a value derived from what this
  // class caches, read at epoch E, is current while epoch() is still E.
  uint64_t epoch() const { return epoch_.load(std::memory_order_acquire); }

 private:
  struct Shared {
    std::vector<store::TokenPermission> grants;
    int64_t admins_group_id = 0;
    TokenPolicy policy;
  };
  Result<std::shared_ptr<const Shared>> LoadShared();

  store::WorkspaceStore& store_;
  const Clock& clock_;
  const std::chrono::seconds ttl_;
  BoundedTtlCache<std::shared_ptr<const auth::PrincipalAccess>> principals_;
  BoundedTtlCache<std::shared_ptr<const Shared>> shared_;
  BoundedTtlCache<std::shared_ptr<const std::vector<store::Group>>> groups_;
  std::atomic<uint64_t> epoch_{0};
};

// Parses workspace-conf values into a policy (unset or "" keys take their defaults).
TokenPolicy ParseTokenPolicy(const std::optional<std::string>& enable_tokens,
                             const std::optional<std::string>& max_lifetime_days);

}  // namespace latchkey::workspace

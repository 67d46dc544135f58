// SCIM 2.0 for the token system (spec §7): /Me, /Users, /ServicePrincipals and /Groups with
// create, get, list (filter + startIndex/count paging that ends with an empty page), PUT,
// PATCH and DELETE. Writes are admin-only; reads are open to every authenticated principal
// (§7.4 [U]). New users and service principals join the "users" group, as in Databricks.
// Admin rights follow membership of the "admins" group. Thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/encoding.h"
#include "base/result.h"
#include "store/records.h"
#include "workspace/bounded_cache.h"
#include "workspace/call_context.h"
#include "workspace/endpoint.h"
#include "workspace/scim_filter.h"
#include "workspace/services.h"

namespace latchkey::workspace {

inline constexpr char kScimUserSchema[] = "urn:ietf:params:scim:schemas:core:2.0:User";
inline constexpr char kScimWorkspaceUserSchema[] =
    "urn:ietf:params:scim:schemas:extension:workspace:2.0:User";
inline constexpr char kScimSpSchema[] = "urn:ietf:params:scim:schemas:core:2.0:ServicePrincipal";
inline constexpr char kScimGroupSchema[] = "urn:ietf:params:scim:schemas:core:2.0:Group";
inline constexpr char kScimListSchema[] = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
inline constexpr int64_t kScimMaxCount = 10000;

enum class ScimResource { kUsers, kServicePrincipals, kGroups };

struct ScimListQuery {
  std::optional<ScimFilter> filter;
  int64_t start_index = 1;  // 1-based
  int64_t count = kScimMaxCount;
};

struct PrincipalInput {
  std::optional<std::string> user_name;
  std::optional<std::string> application_id;
  std::optional<std::string> display_name;
  std::optional<std::string> external_id;
  std::optional<bool> active;
  std::optional<std::vector<std::string>> entitlements;
  std::optional<std::vector<int64_t>> group_ids;
};

struct GroupInput {
  std::optional<std::string> display_name;
  std::optional<std::vector<int64_t>> member_ids;
};

struct PatchOperation {
  enum class Op { kAdd, kRemove, kReplace } op = Op::kAdd;
  std::string path;                        // lower case, without a [filter]; "" = whole resource
  std::optional<ScimFilter> value_filter;  // from `members[value eq "7"]`
  nlohmann::json value;
};

// Calls apply(path, op, value) -> Status for each attribute the operations change, in order:
// an op's path with its value or, for an op without a path, each member of its object value
// (RFC 7644 §3.5.2.1/3; the member name lower-cased). Stops at the first error.
template <class Apply>
Status ForEachPatchedAttribute(const std::vector<PatchOperation>& ops, Apply apply) {
  for (const PatchOperation& op : ops) {
    if (!op.path.empty()) {
      if (Status ok = apply(op.path, op, op.value); !ok) return ok;
      continue;
    }
    if (!op.value.is_object()) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "A PATCH op without a path needs an object value.");
    }
    for (const auto& [key, value] : op.value.items()) {
      if (Status ok = apply(AsciiLower(key), op, value); !ok) return ok;
    }
  }
  return Ok();
}

// Decoders; kInvalidArgument names the attribute.
Result<ScimListQuery> DecodeScimListQuery(const ApiCall& call, ScimResource resource);
Result<PrincipalInput> DecodePrincipalInput(const nlohmann::json& body);
Result<GroupInput> DecodeGroupInput(const nlohmann::json& body);
// An empty body (the JS SDK drops PATCH bodies) is an empty operation list.
Result<std::vector<PatchOperation>> DecodePatch(const nlohmann::json& body);
// `[{"value":"7"}, ...]` (value a string or number) -> ids.
Result<std::vector<int64_t>> DecodeIdList(const nlohmann::json& value, std::string_view field);
// Values of `[{"value": "..."}]`.
Result<std::vector<std::string>> DecodeValueList(const nlohmann::json& value,
                                                 std::string_view field);

// Everything the encoders need to name groups and members, read once per request.
struct DirectorySnapshot {
  std::vector<store::Group> groups;                 // by id
  std::map<int64_t, store::Principal> principals;   // filled only when members are encoded
  std::vector<const store::Group*> GroupsOf(int64_t principal_id) const;
};

nlohmann::json EncodePrincipal(const store::Principal& principal, const DirectorySnapshot& dir);
// The same from the workspace's groups sorted by id (only their names and members are read).
nlohmann::json EncodePrincipal(const store::Principal& principal,
                               const std::vector<store::Group>& groups);
// /Me: User-shaped for service principals too, userName = applicationId (§7.2).
nlohmann::json EncodeMe(const store::Principal& principal, const DirectorySnapshot& dir);
nlohmann::json EncodeMe(const store::Principal& principal, const std::vector<store::Group>& groups);
nlohmann::json EncodeGroup(const store::Group& group, const DirectorySnapshot& dir);
nlohmann::json EncodeListPage(const std::vector<nlohmann::json>& matches,
                              const ScimListQuery& query);

class ScimService {
 public:
  explicit ScimService(const ServiceDeps& deps)
      : deps_(deps), me_bodies_(deps.options.auth_cache_capacity) {}

  Result<Reply> Me(const CallContext& context);

  Result<Reply> List(ScimResource resource, const ScimListQuery& query, const CallContext& ctx);
  Result<Reply> Get(ScimResource resource, const std::string& id, const CallContext& ctx);
  Status Delete(ScimResource resource, const std::string& id, const CallContext& ctx);

  Result<Reply> CreatePrincipal(ScimResource resource, const PrincipalInput& input,
                                const CallContext& ctx);
  Result<Reply> ReplacePrincipal(ScimResource resource, const std::string& id,
                                 const PrincipalInput& input, const CallContext& ctx);
  Result<Reply> PatchPrincipal(ScimResource resource, const std::string& id,
                               const std::vector<PatchOperation>& ops, const CallContext& ctx);

  Result<Reply> CreateGroup(const GroupInput& input, const CallContext& ctx);
  Result<Reply> ReplaceGroup(const std::string& id, const GroupInput& input,
                             const CallContext& ctx);
  Result<Reply> PatchGroup(const std::string& id, const std::vector<PatchOperation>& ops,
                           const CallContext& ctx);

 private:
  Result<DirectorySnapshot> Snapshot(bool with_principals);
  Result<store::Principal> FindPrincipal(ScimResource resource, const std::string& id);
  Result<store::Group> FindGroup(const std::string& id);
  // Sets the principal's direct memberships to `wanted` (the "users" group is never dropped).
  Status SetMemberships(int64_t principal_id, const std::vector<int64_t>& wanted);
  Status ValidateGroupIds(const std::vector<int64_t>& ids);
  Status ValidateMembers(const std::vector<int64_t>& ids);
  // kInvalidArgument unless one of `member_ids` (the admins group's, after a change) is an
  // active principal: no change may leave the workspace without an admin who can sign in.
  Status CheckAdminsKeepActiveMember(const std::vector<int64_t>& member_ids);
  Status SaveGroup(const store::Group& group, const CallContext& ctx, std::string_view action);
  Result<Reply> RenderPrincipal(const store::Principal& principal, int status);
  Result<Reply> RenderGroup(const store::Group& group, int status);
  // The audit event of a change, for the store write that makes it.
  store::AuditEvent Event(const CallContext& ctx, std::string action, std::string target,
                          nlohmann::json detail);
  // After the change (and `event`) committed: invalidates the caches and logs the event.
  void Changed(const store::AuditEvent& event);

  const ServiceDeps& deps_;
  // Serialized /Me bodies by principal id, valid while AccessControl::epoch() is unchanged
  // and the caller's principal record equals the one the body was built from.
  struct CachedMe {
    uint64_t epoch = 0;
    store::Principal principal;
    std::shared_ptr<const std::string> body;
  };
  BoundedTtlCache<std::shared_ptr<const CachedMe>> me_bodies_;
};

// A fresh 16-digit SCIM id.
int64_t NewScimId(Random& random);

}  // namespace latchkey::workspace

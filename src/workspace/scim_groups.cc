// SCIM writes of groups (spec §7.4): create, PUT, PATCH. Adding a service principal to the
// "admins" group (PATCH /Groups/{id} add members) is how it becomes a workspace admin.
#include <algorithm>

#include "base/encoding.h"
#include "workspace/access.h"
#include "workspace/scim.h"
#include "workspace/tokens.h"

namespace latchkey::workspace {

using nlohmann::json;

namespace {

std::unexpected<Error> Invalid(std::string message) {
  return MakeError(ErrorCode::kInvalidArgument, std::move(message));
}

bool IsSystemGroup(std::string_view name) { return name == kAdminsGroup || name == kUsersGroup; }

Status CheckGroupName(const std::string& name) {
  if (name.empty() || name.size() > 256) return Invalid("displayName must be 1 to 256 characters.");
  return Ok();
}

Status ApplyMembers(store::Group& group, const PatchOperation& op, const json& value) {
  std::vector<int64_t> ids;
  if (!value.is_null()) {
    Result<std::vector<int64_t>> decoded = DecodeIdList(value, "members");
    if (!decoded) return std::unexpected(decoded.error());
    ids = std::move(*decoded);
  }
  std::vector<int64_t>& members = group.member_ids;
  switch (op.op) {
    case PatchOperation::Op::kReplace: members = ids; break;
    case PatchOperation::Op::kAdd:
      for (int64_t id : ids) {
        if (std::find(members.begin(), members.end(), id) == members.end()) members.push_back(id);
      }
      break;
    case PatchOperation::Op::kRemove:
      if (op.value_filter) {
        // §7.4 [E]: {"op":"remove","path":"members[value eq \"<id>\"]"}
        std::erase_if(members, [&](int64_t id) {
          return op.value_filter->Matches(
              [&](std::string_view) { return std::optional<std::string>(std::to_string(id)); });
        });
      } else if (ids.empty()) {
        members.clear();
      } else {
        std::erase_if(members, [&](int64_t id) {
          return std::find(ids.begin(), ids.end(), id) != ids.end();
        });
      }
      break;
  }
  return Ok();
}

Status ApplyGroupAttribute(std::string_view attr, const PatchOperation& op, const json& value,
                           store::Group& group) {
  if (attr == "members") return ApplyMembers(group, op, value);
  if (attr == "displayname") {
    if (op.op == PatchOperation::Op::kRemove || !value.is_string()) {
      return Invalid("displayName must be a string.");
    }
    group.display_name = value.get<std::string>();
    return CheckGroupName(group.display_name);
  }
  if (attr == "schemas" || attr == "id" || attr == "meta" || attr == "entitlements" ||
      attr == "roles" || attr == "groups" || attr == "externalid") {
    return Ok();  // not stored for groups; accepted so round-tripped resources do not fail
  }
  return Invalid("Unsupported PATCH path '" + std::string(attr) + "'.");
}

}  // namespace

Status ScimService::SaveGroup(const store::Group& group, const CallContext& ctx,
                              std::string_view action) {
  if (Status ok = ValidateMembers(group.member_ids); !ok) return ok;
  bool create = action == "group.create";
  if (!create && group.display_name == kAdminsGroup) {
    if (Status ok = CheckAdminsKeepActiveMember(group.member_ids); !ok) return ok;
  }
  // Members this change removes may lose token permission (a grant to the group, or admin).
  std::vector<int64_t> removed;
  if (!create) {
    Result<store::Group> before = deps_.store.GetGroup(group.id);
    if (!before) return std::unexpected(before.error());
    for (int64_t id : before->member_ids) {
      if (std::find(group.member_ids.begin(), group.member_ids.end(), id) ==
          group.member_ids.end()) {
        removed.push_back(id);
      }
    }
  }
  store::AuditEvent event =
      Event(ctx, std::string(action), "group:" + std::to_string(group.id),
            {{"display_name", group.display_name}, {"member_ids", group.member_ids}});
  Status saved =
      create ? deps_.store.CreateGroup(group, &event) : deps_.store.UpdateGroup(group, &event);
  if (!saved) {
    if (saved.error().code == ErrorCode::kAlreadyExists) {
      return MakeError(ErrorCode::kAlreadyExists,
                       "Group with name " + group.display_name + " already exists.");
    }
    return saved;
  }
  Changed(event);
  return RevokeLostTokenPermissions(deps_, removed, ctx, action);
}

Result<Reply> ScimService::CreateGroup(const GroupInput& input, const CallContext& ctx) {
  if (Status ok = RequireAdmin(ctx, "create groups"); !ok) return std::unexpected(ok.error());
  if (!input.display_name) return Invalid("displayName is required.");
  store::Group group;
  group.id = NewScimId(deps_.random);
  group.display_name = *input.display_name;
  if (Status ok = CheckGroupName(group.display_name); !ok) return std::unexpected(ok.error());
  group.member_ids = input.member_ids.value_or(std::vector<int64_t>{});
  group.created_at = deps_.clock.Now();
  if (Status ok = SaveGroup(group, ctx, "group.create"); !ok) return std::unexpected(ok.error());
  return RenderGroup(group, 201);
}

Result<Reply> ScimService::ReplaceGroup(const std::string& id, const GroupInput& input,
                                        const CallContext& ctx) {
  if (Status ok = RequireAdmin(ctx, "change groups"); !ok) return std::unexpected(ok.error());
  Result<store::Group> found = FindGroup(id);
  if (!found) return std::unexpected(found.error());
  store::Group group = std::move(*found);
  if (input.display_name && *input.display_name != group.display_name) {
    if (IsSystemGroup(group.display_name)) return Invalid("System groups cannot be renamed.");
    group.display_name = *input.display_name;
    if (Status ok = CheckGroupName(group.display_name); !ok) return std::unexpected(ok.error());
  }
  if (input.member_ids) group.member_ids = *input.member_ids;  // absent: members kept
  if (Status ok = SaveGroup(group, ctx, "group.update"); !ok) return std::unexpected(ok.error());
  return RenderGroup(group, 200);
}

Result<Reply> ScimService::PatchGroup(const std::string& id,
                                      const std::vector<PatchOperation>& ops,
                                      const CallContext& ctx) {
  if (Status ok = RequireAdmin(ctx, "change groups"); !ok) return std::unexpected(ok.error());
  Result<store::Group> found = FindGroup(id);
  if (!found) return std::unexpected(found.error());
  store::Group group = std::move(*found);
  std::string original_name = group.display_name;
  Status patched = ForEachPatchedAttribute(
      ops, [&group](const std::string& path, const PatchOperation& op, const json& value) {
        return ApplyGroupAttribute(path, op, value, group);
      });
  if (!patched) return std::unexpected(patched.error());
  if (ops.empty()) return RenderGroup(group, 200);
  if (group.display_name != original_name && IsSystemGroup(original_name)) {
    return Invalid("System groups cannot be renamed.");
  }
  if (Status ok = SaveGroup(group, ctx, "group.update"); !ok) return std::unexpected(ok.error());
  return RenderGroup(group, 200);
}

}  // namespace latchkey::workspace

// SCIM writes of users and service principals (spec §7.4): create, PUT, PATCH.
#include <algorithm>

#include "base/encoding.h"
#include "workspace/access.h"
#include "workspace/json_input.h"
#include "workspace/scim.h"
#include "workspace/tokens.h"

namespace latchkey::workspace {

using nlohmann::json;

namespace {

constexpr size_t kMaxNameLength = 256;

std::unexpected<Error> Invalid(std::string message) {
  return MakeError(ErrorCode::kInvalidArgument, std::move(message));
}

struct PrincipalState {
  store::Principal principal;
  std::vector<int64_t> group_ids;
  bool groups_changed = false;
};

// Guarded as deleting oneself is: the caller, an admin, would lose its own access and, as the
// sole admin, every admin's (issue 25).
Status CheckNotSelfDeactivation(bool was_active, const store::Principal& after,
                                const CallContext& ctx) {
  if (after.id == ctx.principal().id && was_active && !after.active) {
    return Invalid("A principal cannot deactivate itself.");
  }
  return Ok();
}

Status CheckName(std::string_view field, std::string_view value) {
  if (value.empty() || value.size() > kMaxNameLength) {
    return Invalid(std::string(field) + " must be 1 to " + std::to_string(kMaxNameLength) +
                   " characters long.");
  }
  return Ok();
}

// Applies add/remove/replace to a list of values; `matches` selects by filter for remove.
template <class T>
void ApplyToList(std::vector<T>& list, PatchOperation::Op op, const std::vector<T>& values,
                 const std::optional<ScimFilter>& filter) {
  auto text = [](const T& v) {
    if constexpr (std::is_same_v<T, std::string>) {
      return v;
    } else {
      return std::to_string(v);
    }
  };
  switch (op) {
    case PatchOperation::Op::kReplace: list = values; return;
    case PatchOperation::Op::kAdd:
      for (const T& v : values) {
        if (std::find(list.begin(), list.end(), v) == list.end()) list.push_back(v);
      }
      return;
    case PatchOperation::Op::kRemove:
      if (filter) {
        std::erase_if(list, [&](const T& v) {
          return filter->Matches([&](std::string_view) { return std::optional<std::string>(text(v)); });
        });
      } else if (values.empty()) {
        list.clear();
      } else {
        std::erase_if(list, [&](const T& v) {
          return std::find(values.begin(), values.end(), v) != values.end();
        });
      }
      return;
  }
}

Status ApplyAttribute(std::string_view attr, const PatchOperation& op, const json& value,
                      PrincipalState& state) {
  store::Principal& p = state.principal;
  bool remove = op.op == PatchOperation::Op::kRemove;
  if (attr == "active") {
    if (remove) return Invalid("active cannot be removed.");
    json holder = {{"active", value}};
    Result<std::optional<bool>> active = OptionalBool(holder, "active");
    if (!active || !active->has_value()) return Invalid("active must be a boolean.");
    p.active = **active;
    return Ok();
  }
  if (attr == "displayname" || attr == "externalid" ||
      (attr == "username" && p.kind == store::PrincipalKind::kUser)) {
    std::string text;
    if (!remove) {
      if (!value.is_string()) return Invalid(std::string(attr) + " must be a string.");
      text = value.get<std::string>();
    }
    if (attr == "displayname") {
      if (Status ok = CheckName("displayName", text); !ok) return ok;
      p.display_name = text;
    } else if (attr == "username") {
      if (Status ok = CheckName("userName", text); !ok) return ok;
      p.user_name = text;
    } else {
      p.external_id = text;
    }
    return Ok();
  }
  if (attr == "entitlements") {
    std::vector<std::string> values;
    if (!value.is_null()) {
      Result<std::vector<std::string>> decoded = DecodeValueList(value, "entitlements");
      if (!decoded) return std::unexpected(decoded.error());
      values = std::move(*decoded);
    }
    ApplyToList(p.entitlements, op.op, values, op.value_filter);
    return Ok();
  }
  if (attr == "groups") {
    std::vector<int64_t> ids;
    if (!value.is_null()) {
      Result<std::vector<int64_t>> decoded = DecodeIdList(value, "groups");
      if (!decoded) return std::unexpected(decoded.error());
      ids = std::move(*decoded);
    }
    ApplyToList(state.group_ids, op.op, ids, op.value_filter);
    state.groups_changed = true;
    return Ok();
  }
  if (attr == "applicationid") {
    if (value.is_string() && IEquals(value.get<std::string>(), p.application_id)) return Ok();
    return Invalid("applicationId cannot be changed.");
  }
  // Read-only or unsupported attributes that clients echo back are ignored.
  if (attr == "schemas" || attr == "id" || attr == "roles" || attr == "emails" ||
      attr == "name" || attr == "meta") {
    return Ok();
  }
  return Invalid("Unsupported PATCH path '" + std::string(attr) + "'.");
}

}  // namespace

Result<Reply> ScimService::CreatePrincipal(ScimResource resource, const PrincipalInput& input,
                                           const CallContext& ctx) {
  if (Status ok = RequireAdmin(ctx, "create identities"); !ok) return std::unexpected(ok.error());
  store::Principal p;
  p.id = NewScimId(deps_.random);
  p.active = input.active.value_or(true);
  p.external_id = input.external_id.value_or("");
  p.entitlements = input.entitlements.value_or(std::vector<std::string>{});
  p.created_at = deps_.clock.Now();
  std::string conflict;
  if (resource == ScimResource::kUsers) {
    p.kind = store::PrincipalKind::kUser;
    if (!input.user_name) return Invalid("userName is required.");
    if (Status ok = CheckName("userName", *input.user_name); !ok) return std::unexpected(ok.error());
    p.user_name = *input.user_name;
    conflict = "User with username " + p.user_name + " already exists.";
  } else {
    p.kind = store::PrincipalKind::kServicePrincipal;
    if (input.application_id) {
      // Azure: the Entra application id (a GUID), matched against appid/azp claims.
      if (!IsGuid(*input.application_id)) return Invalid("applicationId must be a GUID.");
      p.application_id = AsciiLower(*input.application_id);
    } else {
      p.application_id = deps_.random.Uuid();  // §7.4 [U]: Databricks-managed SP
    }
    // §7.4 [E]: Terraform matches this text.
    conflict = "Service principal with application ID " + p.application_id + " already exists.";
  }
  p.display_name = input.display_name.value_or(PrincipalName(p));
  if (Status ok = CheckName("displayName", p.display_name); !ok) {
    return std::unexpected(ok.error());
  }
  std::vector<int64_t> groups = input.group_ids.value_or(std::vector<int64_t>{});
  if (Status ok = ValidateGroupIds(groups); !ok) return std::unexpected(ok.error());
  store::AuditEvent event = Event(
      ctx, "principal.create", "principal:" + std::to_string(p.id),
      {{"name", PrincipalName(p)}, {"kind", resource == ScimResource::kUsers ? "user" : "sp"}});
  Status created = deps_.store.CreatePrincipal(p, &event);
  if (!created) {
    if (created.error().code == ErrorCode::kAlreadyExists) {
      return MakeError(ErrorCode::kAlreadyExists, conflict);
    }
    return std::unexpected(created.error());
  }
  // Every user and service principal belongs to "users", as in Databricks.
  if (Result<store::Group> users = deps_.store.FindGroupByName(kUsersGroup); users) {
    if (std::find(groups.begin(), groups.end(), users->id) == groups.end()) {
      groups.push_back(users->id);
    }
  }
  Status joined = SetMemberships(p.id, groups);
  Changed(event);
  if (!joined) return std::unexpected(joined.error());
  return RenderPrincipal(p, 201);
}

Result<Reply> ScimService::ReplacePrincipal(ScimResource resource, const std::string& id,
                                            const PrincipalInput& input, const CallContext& ctx) {
  if (Status ok = RequireAdmin(ctx, "change identities"); !ok) return std::unexpected(ok.error());
  Result<store::Principal> found = FindPrincipal(resource, id);
  if (!found) return std::unexpected(found.error());
  const bool was_active = found->active;
  store::Principal p = std::move(*found);
  // PUT replaces what it names; absent attributes keep their values, so a client that
  // re-sends what it read (Terraform, §7.4) never drops anything silently.
  if (resource == ScimResource::kUsers && input.user_name) {
    if (Status ok = CheckName("userName", *input.user_name); !ok) return std::unexpected(ok.error());
    p.user_name = *input.user_name;
  }
  if (resource == ScimResource::kServicePrincipals && input.application_id &&
      !IEquals(*input.application_id, p.application_id)) {
    return Invalid("applicationId cannot be changed.");
  }
  if (input.display_name) {
    if (Status ok = CheckName("displayName", *input.display_name); !ok) {
      return std::unexpected(ok.error());
    }
    p.display_name = *input.display_name;
  }
  if (input.active) p.active = *input.active;
  if (input.external_id) p.external_id = *input.external_id;
  if (input.entitlements) p.entitlements = *input.entitlements;
  if (Status ok = CheckNotSelfDeactivation(was_active, p, ctx); !ok) return std::unexpected(ok.error());
  store::AuditEvent event = Event(ctx, "principal.update", "principal:" + std::to_string(p.id),
                                  {{"name", PrincipalName(p)}, {"active", p.active}});
  Status updated = deps_.store.UpdatePrincipal(p, &event);
  if (!updated) {
    if (updated.error().code == ErrorCode::kAlreadyExists) {
      return MakeError(ErrorCode::kAlreadyExists, "User with username " + p.user_name +
                                                      " already exists.");
    }
    return std::unexpected(updated.error());
  }
  Status joined = input.group_ids ? SetMemberships(p.id, *input.group_ids) : Ok();
  Changed(event);
  if (!joined) return std::unexpected(joined.error());
  // Deactivation or leaving a group may take its token permission.
  if (Status s = RevokeLostTokenPermissions(deps_, {p.id}, ctx, "principal.update"); !s) {
    return std::unexpected(s.error());
  }
  return RenderPrincipal(p, 200);
}

Result<Reply> ScimService::PatchPrincipal(ScimResource resource, const std::string& id,
                                          const std::vector<PatchOperation>& ops,
                                          const CallContext& ctx) {
  if (Status ok = RequireAdmin(ctx, "change identities"); !ok) return std::unexpected(ok.error());
  Result<store::Principal> found = FindPrincipal(resource, id);
  if (!found) return std::unexpected(found.error());
  const bool was_active = found->active;
  PrincipalState state{std::move(*found), {}, false};
  Result<std::vector<int64_t>> groups = deps_.store.GroupsOfPrincipal(state.principal.id);
  if (!groups) return std::unexpected(groups.error());
  state.group_ids = std::move(*groups);
  Status patched = ForEachPatchedAttribute(
      ops, [&state](const std::string& path, const PatchOperation& op, const json& value) {
        return ApplyAttribute(path, op, value, state);
      });
  if (!patched) return std::unexpected(patched.error());
  if (ops.empty()) return RenderPrincipal(state.principal, 200);
  if (Status ok = CheckNotSelfDeactivation(was_active, state.principal, ctx); !ok) {
    return std::unexpected(ok.error());
  }
  store::AuditEvent event =
      Event(ctx, "principal.update", "principal:" + std::to_string(state.principal.id),
            {{"name", PrincipalName(state.principal)}, {"active", state.principal.active}});
  Status updated = deps_.store.UpdatePrincipal(state.principal, &event);
  if (!updated) {
    if (updated.error().code == ErrorCode::kAlreadyExists) {
      return MakeError(ErrorCode::kAlreadyExists,
                       "User with username " + state.principal.user_name + " already exists.");
    }
    return std::unexpected(updated.error());
  }
  Status joined = state.groups_changed ? SetMemberships(state.principal.id, state.group_ids) : Ok();
  Changed(event);
  if (!joined) return std::unexpected(joined.error());
  // Deactivation or leaving a group may take its token permission.
  if (Status s = RevokeLostTokenPermissions(deps_, {state.principal.id}, ctx, "principal.update");
      !s) {
    return std::unexpected(s.error());
  }
  return RenderPrincipal(state.principal, 200);
}

}  // namespace latchkey::workspace

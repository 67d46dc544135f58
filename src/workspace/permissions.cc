#include "workspace/permissions.h"

#include <algorithm>
#include <set>

#include "base/encoding.h"
#include "workspace/access.h"
#include "workspace/endpoint.h"
#include "workspace/json_input.h"
#include "workspace/tokens.h"

namespace latchkey::workspace {
namespace {

using nlohmann::json;

json Permission(std::string_view level) {
  return json::array({{{"permission_level", std::string(level)}, {"inherited", false}}});
}

const char* SubjectKindName(store::AclSubjectKind kind) {
  switch (kind) {
    case store::AclSubjectKind::kUser: return "user";
    case store::AclSubjectKind::kGroup: return "group";
    case store::AclSubjectKind::kServicePrincipal: return "service_principal";
  }
  return "unknown";
}

bool SameSubject(const store::TokenPermission& a, const store::TokenPermission& b) {
  return a.subject_kind == b.subject_kind && a.subject_id == b.subject_id;
}

}  // namespace

Result<SetPermissionsInput> DecodeSetPermissions(const json& body) {
  SetPermissionsInput input;
  auto list = body.find("access_control_list");
  // §5.6: "Deletes all direct permissions if none are specified". The JS SDK drops PATCH
  // bodies (js-clients §3): an empty PATCH changes nothing.
  if (list == body.end() || list->is_null()) return input;
  if (!list->is_array()) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "Invalid value for field 'access_control_list': expected an array.");
  }
  for (const json& entry : *list) {
    if (!entry.is_object()) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "Each access_control_list entry must be an object.");
    }
    AclEntryInput parsed;
    int principals = 0;
    static constexpr std::pair<const char*, store::AclSubjectKind> kFields[] = {
        {"user_name", store::AclSubjectKind::kUser},
        {"group_name", store::AclSubjectKind::kGroup},
        {"service_principal_name", store::AclSubjectKind::kServicePrincipal}};
    for (const auto& [field, kind] : kFields) {
      Result<std::optional<std::string>> name = OptionalString(entry, field);
      if (!name) return std::unexpected(name.error());
      if (name->has_value()) {
        ++principals;
        parsed.kind = kind;
        parsed.name = **name;
      }
    }
    if (principals != 1) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "Each access_control_list entry needs exactly one of user_name, "
                       "group_name or service_principal_name.");
    }
    Result<std::string> level = RequiredString(entry, "permission_level");
    if (!level) return std::unexpected(level.error());
    parsed.permission_level = std::move(*level);
    input.entries.push_back(std::move(parsed));
  }
  return input;
}

json EncodePermissionLevels() {
  return {{"permission_levels",
           json::array({{{"permission_level", kCanUse}, {"description", "Can use tokens"}},
                        {{"permission_level", kCanManage},
                         {"description", "Can use and modify permissions on tokens"}}})}};
}

Result<std::vector<store::TokenPermission>> PermissionsService::Resolve(
    const SetPermissionsInput& input) {
  std::vector<store::TokenPermission> grants;
  for (const AclEntryInput& entry : input.entries) {
    if (entry.permission_level != kCanUse && entry.permission_level != kCanManage) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "Invalid permission level '" + entry.permission_level +
                           "' for tokens; expected CAN_USE or CAN_MANAGE.");
    }
    bool is_admins = entry.kind == store::AclSubjectKind::kGroup && entry.name == kAdminsGroup;
    if (entry.permission_level == kCanManage && !is_admins) {
      // §5.6 [E]: 400 with this message; error_code [U].
      return MakeError(ErrorCode::kInvalidArgument,
                       "Only admins can be given CAN_MANAGE permission on tokens");
    }
    // Terraform always sends admins/CAN_MANAGE (§5.6): accepted; the grant is implicit.
    if (is_admins) continue;
    store::TokenPermission grant;
    grant.subject_kind = entry.kind;
    grant.permission_level = kCanUse;
    Result<int64_t> id = MakeError(ErrorCode::kNotFound, "");
    switch (entry.kind) {
      case store::AclSubjectKind::kUser: {
        Result<store::Principal> p = deps_.store.FindUserByName(entry.name);
        id = p ? Result<int64_t>(p->id) : std::unexpected(p.error());
        break;
      }
      case store::AclSubjectKind::kServicePrincipal: {
        Result<store::Principal> p =
            deps_.store.FindServicePrincipalByApplicationId(AsciiLower(entry.name));
        id = p ? Result<int64_t>(p->id) : std::unexpected(p.error());
        break;
      }
      case store::AclSubjectKind::kGroup: {
        Result<store::Group> g = deps_.store.FindGroupByName(entry.name);
        id = g ? Result<int64_t>(g->id) : std::unexpected(g.error());
        break;
      }
    }
    if (!id) {
      if (id.error().code != ErrorCode::kNotFound) return std::unexpected(id.error());
      return MakeError(ErrorCode::kInvalidArgument,
                       "Principal '" + entry.name + "' does not exist in this workspace.");
    }
    grant.subject_id = *id;
    bool duplicate = std::any_of(grants.begin(), grants.end(), [&](const auto& g) {
      return SameSubject(g, grant);
    });
    if (!duplicate) grants.push_back(grant);
  }
  return grants;
}

Result<json> PermissionsService::Render() {
  Result<std::vector<store::TokenPermission>> grants = deps_.store.ListTokenPermissions();
  if (!grants) return std::unexpected(grants.error());
  json acl = json::array();
  acl.push_back({{"group_name", kAdminsGroup}, {"all_permissions", Permission(kCanManage)}});
  for (const store::TokenPermission& grant : *grants) {
    json entry;
    if (grant.subject_kind == store::AclSubjectKind::kGroup) {
      Result<store::Group> group = deps_.store.GetGroup(grant.subject_id);
      if (!group || group->display_name == kAdminsGroup) continue;
      entry["group_name"] = group->display_name;
    } else {
      Result<store::Principal> p = deps_.store.GetPrincipal(grant.subject_id);
      if (!p) continue;  // removed since; the store drops its grants
      if (p->kind == store::PrincipalKind::kUser) {
        entry["user_name"] = p->user_name;
      } else {
        entry["service_principal_name"] = p->application_id;
      }
      entry["display_name"] = p->display_name;
    }
    entry["all_permissions"] = Permission(grant.permission_level);
    acl.push_back(std::move(entry));
  }
  return json{{"object_id", "/authorization/tokens"},
              {"object_type", "tokens"},
              {"access_control_list", acl}};
}

Result<json> PermissionsService::Get(const CallContext& context) {
  if (Status ok = RequireAdmin(context, "read token permissions"); !ok) {
    return std::unexpected(ok.error());
  }
  return Render();
}

Result<json> PermissionsService::Replace(const SetPermissionsInput& input,
                                         const CallContext& context) {
  return Set(input, Mode::kReplace, context);
}

Result<json> PermissionsService::Update(const SetPermissionsInput& input,
                                        const CallContext& context) {
  return Set(input, Mode::kUpdate, context);
}

Result<json> PermissionsService::Set(const SetPermissionsInput& input, Mode mode,
                                     const CallContext& context) {
  if (Status ok = RequireAdmin(context, "change token permissions"); !ok) {
    return std::unexpected(ok.error());
  }
  Result<std::vector<store::TokenPermission>> requested = Resolve(input);
  if (!requested) return std::unexpected(requested.error());
  std::vector<store::TokenPermission> grants;
  if (mode == Mode::kUpdate) {
    Result<std::vector<store::TokenPermission>> current = deps_.store.ListTokenPermissions();
    if (!current) return std::unexpected(current.error());
    grants = std::move(*current);
    for (const store::TokenPermission& g : *requested) {
      auto it = std::find_if(grants.begin(), grants.end(),
                             [&](const auto& c) { return SameSubject(c, g); });
      if (it == grants.end()) {
        grants.push_back(g);
      } else {
        it->permission_level = g.permission_level;
      }
    }
  } else {
    grants = std::move(*requested);
  }

  // §3.1/§5.6: owners of live PATs who end up without a token permission lose them at once
  // (the decision every other path makes too: PrincipalsWithoutTokenPermission).
  TimePoint now = deps_.clock.Now();
  Result<std::vector<store::Pat>> pats = deps_.store.ListPats(0, now);
  if (!pats) return std::unexpected(pats.error());
  std::set<int64_t> owners;
  for (const store::Pat& pat : *pats) owners.insert(pat.owner_id);
  Result<std::vector<int64_t>> lost = PrincipalsWithoutTokenPermission(
      deps_.store, std::vector<int64_t>(owners.begin(), owners.end()), grants);
  if (!lost) return std::unexpected(lost.error());
  std::vector<int64_t> revoke = std::move(*lost);
  json summary = json::array();
  for (const store::TokenPermission& g : grants) {
    summary.push_back({{"subject_kind", SubjectKindName(g.subject_kind)},
                       {"subject_id", g.subject_id},
                       {"permission_level", g.permission_level}});
  }
  // Stored in the replacement's transaction, with one token.revoked_by_permission event per
  // PAT the store deletes (store.h: RevokedByPermissionEvent).
  store::AuditEvent event = deps_.audit.Event(
      context.Actor(),
      mode == Mode::kReplace ? "token_permissions.replace" : "token_permissions.update",
      "permissions:/authorization/tokens", {{"grants", summary}, {"revoked_owner_ids", revoke}},
      context.remote_address);
  Status replaced = deps_.store.ReplaceTokenPermissions(grants, revoke, &event);
  if (!replaced) return std::unexpected(replaced.error());
  deps_.Invalidate();
  if (!revoke.empty()) deps_.pats.Clear();

  deps_.audit.Committed(event);
  // Log lines for the revoked PATs this call listed (the store's rows cover every one).
  for (const store::Pat& pat : *pats) {
    if (std::find(revoke.begin(), revoke.end(), pat.owner_id) == revoke.end()) continue;
    deps_.audit.Committed(store::RevokedByPermissionEvent(event, pat.token_id, pat.owner_id));
  }
  return Render();
}

}  // namespace latchkey::workspace

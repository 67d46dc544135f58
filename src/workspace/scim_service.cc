// SCIM reads, deletes and the helpers shared by the principal and group writers (spec §7).
#include <algorithm>

#include "base/encoding.h"
#include "base/result_macros.h"
#include "workspace/access.h"
#include "workspace/json_input.h"
#include "workspace/scim.h"
#include "workspace/tokens.h"

namespace latchkey::workspace {

using nlohmann::json;

namespace {

store::PrincipalKind KindOf(ScimResource resource) {
  return resource == ScimResource::kUsers ? store::PrincipalKind::kUser
                                          : store::PrincipalKind::kServicePrincipal;
}

const char* Noun(ScimResource resource) {
  switch (resource) {
    case ScimResource::kUsers: return "User";
    case ScimResource::kServicePrincipals: return "Service principal";
    case ScimResource::kGroups: return "Group";
  }
  return "Resource";
}

std::optional<std::string> PrincipalAttribute(const store::Principal& p, std::string_view attr) {
  if (attr == "id") return std::to_string(p.id);
  if (attr == "displayname") return p.display_name;
  if (attr == "externalid") return p.external_id;
  if (attr == "active") return std::string(p.active ? "true" : "false");
  if (attr == "username" || attr == "emails" || attr == "emails.value") return p.user_name;
  if (attr == "applicationid") return p.application_id;
  return std::nullopt;
}

std::optional<std::string> GroupAttribute(const store::Group& g, std::string_view attr) {
  if (attr == "id") return std::to_string(g.id);
  if (attr == "displayname") return g.display_name;
  return std::nullopt;
}

// Whether two records of one principal render the same SCIM resource.
bool SameForScim(const store::Principal& a, const store::Principal& b) {
  return a.id == b.id && a.kind == b.kind && a.active == b.active && a.user_name == b.user_name &&
         a.application_id == b.application_id && a.display_name == b.display_name &&
         a.external_id == b.external_id && a.entitlements == b.entitlements;
}

}  // namespace

int64_t NewScimId(Random& random) {
  return 1000000000000000LL + static_cast<int64_t>(random.Uniform(8999999999999999ULL));
}

Result<DirectorySnapshot> ScimService::Snapshot(bool with_principals) {
  DirectorySnapshot dir;
  Result<std::vector<store::Group>> groups = deps_.store.ListGroups();
  if (!groups) return std::unexpected(groups.error());
  dir.groups = std::move(*groups);
  std::sort(dir.groups.begin(), dir.groups.end(),
            [](const auto& a, const auto& b) { return a.id < b.id; });
  if (with_principals) {
    for (auto kind : {store::PrincipalKind::kUser, store::PrincipalKind::kServicePrincipal}) {
      Result<std::vector<store::Principal>> list = deps_.store.ListPrincipals(kind);
      if (!list) return std::unexpected(list.error());
      for (store::Principal& p : *list) dir.principals.emplace(p.id, std::move(p));
    }
  }
  return dir;
}

Result<store::Principal> ScimService::FindPrincipal(ScimResource resource, const std::string& id) {
  std::optional<int64_t> numeric = ParseInt64(id);
  Result<store::Principal> p = numeric ? deps_.store.GetPrincipal(*numeric)
                                       : Result<store::Principal>(MakeError(ErrorCode::kNotFound, ""));
  if (p && p->kind == KindOf(resource)) return p;
  if (!p && p.error().code != ErrorCode::kNotFound) return p;
  // §7.4 [U]: detail text.
  return MakeError(ErrorCode::kNotFound, std::string(Noun(resource)) + " " + id + " not found.");
}

Result<store::Group> ScimService::FindGroup(const std::string& id) {
  std::optional<int64_t> numeric = ParseInt64(id);
  Result<store::Group> g = numeric ? deps_.store.GetGroup(*numeric)
                                   : Result<store::Group>(MakeError(ErrorCode::kNotFound, ""));
  if (g || g.error().code != ErrorCode::kNotFound) return g;
  return MakeError(ErrorCode::kNotFound, "Group " + id + " not found.");
}

store::AuditEvent ScimService::Event(const CallContext& ctx, std::string action, std::string target,
                                     json detail) {
  return deps_.audit.Event(ctx.Actor(), std::move(action), std::move(target), std::move(detail),
                           ctx.remote_address);
}

void ScimService::Changed(const store::AuditEvent& event) {
  deps_.Invalidate();
  deps_.audit.Committed(event);
}

Result<Reply> ScimService::RenderPrincipal(const store::Principal& principal, int status) {
  ASSIGN_OR_RETURN(DirectorySnapshot dir, Snapshot(false));
  Reply reply(EncodePrincipal(principal, dir));
  reply.status = status;
  return reply;
}

Result<Reply> ScimService::RenderGroup(const store::Group& group, int status) {
  ASSIGN_OR_RETURN(DirectorySnapshot dir, Snapshot(true));
  Reply reply(EncodeGroup(group, dir));
  reply.status = status;
  return reply;
}

Result<Reply> ScimService::Me(const CallContext& context) {
  // The hot read (clients call /Me to learn who they are): the body is a function of the
  // caller's principal record and the groups, both from the access caches, so it is cached
  // too and an authenticated /Me costs no store read and no JSON encoding
  // (docs/ARCHITECTURE.md, "What is cached").
  const store::Principal& principal = context.principal();
  const uint64_t epoch = deps_.access.epoch();  // before reading the groups
  const TimePoint now = deps_.clock.Now();
  const std::string key = std::to_string(principal.id);
  std::shared_ptr<const std::string> body;
  if (std::optional<std::shared_ptr<const CachedMe>> hit = me_bodies_.Get(key, now);
      hit && (*hit)->epoch == epoch && SameForScim((*hit)->principal, principal)) {
    body = (*hit)->body;
  } else {
    const uint64_t generation = me_bodies_.generation();
    Result<std::shared_ptr<const std::vector<store::Group>>> groups = deps_.access.Groups();
    if (!groups) return std::unexpected(groups.error());
    body = std::make_shared<const std::string>(
        EncodeMe(principal, **groups).dump(-1, ' ', false, json::error_handler_t::replace));
    me_bodies_.Put(key, std::make_shared<const CachedMe>(CachedMe{epoch, principal, body}),
                   now + deps_.options.auth_cache_ttl, generation);
  }
  Reply reply;
  reply.encoded = std::move(body);
  // §1.10: the Python SDK reads the workspace id from this header.
  reply.headers.emplace_back("X-Databricks-Org-Id", std::to_string(deps_.options.workspace_id));
  return reply;
}

Result<Reply> ScimService::List(ScimResource resource, const ScimListQuery& query,
                                const CallContext&) {
  Result<DirectorySnapshot> dir = Snapshot(resource == ScimResource::kGroups);
  if (!dir) return std::unexpected(dir.error());
  std::vector<json> matches;
  if (resource == ScimResource::kGroups) {
    for (const store::Group& g : dir->groups) {
      if (query.filter &&
          !query.filter->Matches([&](std::string_view a) { return GroupAttribute(g, a); })) {
        continue;
      }
      matches.push_back(EncodeGroup(g, *dir));
    }
  } else {
    Result<std::vector<store::Principal>> list = deps_.store.ListPrincipals(KindOf(resource));
    if (!list) return std::unexpected(list.error());
    for (const store::Principal& p : *list) {
      if (query.filter &&
          !query.filter->Matches([&](std::string_view a) { return PrincipalAttribute(p, a); })) {
        continue;
      }
      matches.push_back(EncodePrincipal(p, *dir));
    }
  }
  return Reply(EncodeListPage(matches, query));
}

Result<Reply> ScimService::Get(ScimResource resource, const std::string& id,
                               const CallContext&) {
  if (resource == ScimResource::kGroups) {
    Result<store::Group> g = FindGroup(id);
    if (!g) return std::unexpected(g.error());
    return RenderGroup(*g, 200);
  }
  Result<store::Principal> p = FindPrincipal(resource, id);
  if (!p) return std::unexpected(p.error());
  return RenderPrincipal(*p, 200);
}

Status ScimService::Delete(ScimResource resource, const std::string& id, const CallContext& ctx) {
  if (Status ok = RequireAdmin(ctx, "delete identities"); !ok) return ok;
  if (resource == ScimResource::kGroups) {
    Result<store::Group> g = FindGroup(id);
    if (!g) return std::unexpected(g.error());
    if (g->display_name == kAdminsGroup || g->display_name == kUsersGroup) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "The system group '" + g->display_name + "' cannot be deleted.");
    }
    store::AuditEvent event = Event(ctx, "group.delete", "group:" + std::to_string(g->id),
                                    {{"display_name", g->display_name}});
    Status deleted = deps_.store.DeleteGroup(g->id, &event);
    if (!deleted) return deleted;
    Changed(event);
    return RevokeLostTokenPermissions(deps_, g->member_ids, ctx, "group.delete");
  }
  Result<store::Principal> p = FindPrincipal(resource, id);
  if (!p) return std::unexpected(p.error());
  if (p->id == ctx.principal().id) {
    // Keeps an admin from locking the workspace out by deleting the identity it calls with.
    return MakeError(ErrorCode::kInvalidArgument, "A principal cannot delete itself.");
  }
  // §7.4 [U]: the store deletes the principal's PATs, OAuth secrets, memberships and grants.
  store::AuditEvent event = Event(ctx, "principal.delete", "principal:" + std::to_string(p->id),
                                  {{"name", PrincipalName(*p)}});
  Status deleted = deps_.store.DeletePrincipal(p->id, &event);
  if (!deleted) return deleted;
  deps_.pats.Clear();
  Changed(event);
  return Ok();
}

namespace {

// Ok when lookup(id) finds every id; kInvalidArgument with missing(id) for the first it does
// not; a store error as it is.
template <class Lookup, class Missing>
Status AllExist(const std::vector<int64_t>& ids, Lookup lookup, Missing missing) {
  for (int64_t id : ids) {
    auto found = lookup(id);
    if (found) continue;
    if (found.error().code != ErrorCode::kNotFound) return std::unexpected(found.error());
    return MakeError(ErrorCode::kInvalidArgument, missing(id));
  }
  return Ok();
}

}  // namespace

Status ScimService::ValidateGroupIds(const std::vector<int64_t>& ids) {
  return AllExist(
      ids, [this](int64_t id) { return deps_.store.GetGroup(id); },
      [](int64_t id) { return "Group " + std::to_string(id) + " not found."; });
}

Status ScimService::ValidateMembers(const std::vector<int64_t>& ids) {
  return AllExist(
      ids, [this](int64_t id) { return deps_.store.GetPrincipal(id); },
      [](int64_t id) {
        return "Member " + std::to_string(id) + " is not a user or service principal.";
      });
}

Status ScimService::CheckAdminsKeepActiveMember(const std::vector<int64_t>& member_ids) {
  for (int64_t id : member_ids) {
    Result<store::Principal> p = deps_.store.GetPrincipal(id);
    if (p && p->active) return Ok();
    if (!p && p.error().code != ErrorCode::kNotFound) return std::unexpected(p.error());
  }
  return MakeError(ErrorCode::kInvalidArgument,
                   "The admins group must keep at least one active member.");
}

Status ScimService::SetMemberships(int64_t principal_id, const std::vector<int64_t>& wanted) {
  if (Status ok = ValidateGroupIds(wanted); !ok) return ok;
  Result<DirectorySnapshot> dir = Snapshot(false);
  if (!dir) return std::unexpected(dir.error());
  std::vector<store::Group> changed;
  for (const store::Group& g : dir->groups) {
    auto& members = g.member_ids;
    bool is_member = std::find(members.begin(), members.end(), principal_id) != members.end();
    bool want = std::find(wanted.begin(), wanted.end(), g.id) != wanted.end() ||
                (is_member && g.display_name == kUsersGroup);
    if (is_member == want) continue;
    store::Group updated = g;
    if (want) {
      updated.member_ids.push_back(principal_id);
    } else {
      std::erase(updated.member_ids, principal_id);
      if (updated.display_name == kAdminsGroup) {
        if (Status ok = CheckAdminsKeepActiveMember(updated.member_ids); !ok) return ok;
      }
    }
    changed.push_back(std::move(updated));
  }
  for (const store::Group& g : changed) {
    if (Status s = deps_.store.UpdateGroup(g); !s) return s;
  }
  return Ok();
}

}  // namespace latchkey::workspace

// Workspace principals (users, service principals) and groups, written once for both backends.
#include <algorithm>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "store/row_mappers.h"
#include "store/sql/codec.h"
#include "store/store.h"

namespace latchkey::store {

using sql::Row;
using sql::Session;

namespace {

using sql::PrincipalKindName;

Result<std::vector<int64_t>> MembersOf(Session& s, int64_t group_id) {
  return s.Prepare("SELECT principal_id FROM group_members WHERE group_id = ? ORDER BY position")
      .Bind(group_id)
      .All(sql::IntFromRow);
}

// The group found by `group` (if any) with its members.
Result<Group> WithMembers(Session& s, Result<Group> group) {
  if (!group) return group;
  Result<std::vector<int64_t>> members = MembersOf(s, group->id);
  if (!members) return std::unexpected(std::move(members).error());
  group->member_ids = std::move(*members);
  return group;
}

// Inserts the members in order; a repeated id is kept once. kNotFound for a non-principal.
Status InsertMembers(Session& s, const Group& group) {
  for (size_t i = 0; i < group.member_ids.size(); ++i) {
    Status inserted = s.Prepare(
                           "INSERT INTO group_members (group_id, principal_id, position)"
                           " VALUES (?, ?, ?) ON CONFLICT DO NOTHING")
                          .Bind(group.id)
                          .Bind(group.member_ids[i])
                          .Bind(static_cast<int64_t>(i))
                          .Run();
    if (!inserted && inserted.error().code == ErrorCode::kNotFound) {
      return MakeError(ErrorCode::kNotFound, "group member " + std::to_string(group.member_ids[i]) +
                                                 " is not a principal");
    }
    LATCHKEY_RETURN_IF_ERROR(inserted);
  }
  return Ok();
}

void AddPrincipalChanges(const std::set<int64_t>& ids, std::vector<Change>& changes) {
  for (int64_t id : ids) changes.push_back({ChangeKind::kPrincipalChanged, std::to_string(id)});
}

}  // namespace

Status PrincipalStore::CreatePrincipal(const Principal& principal, const AuditEvent* audit) {
  return Write("CreatePrincipal", audit, [&](Session& s) {
    return PrincipalColumns::Insert(s,
                                    "INSERT INTO principals (" LATCHKEY_PRINCIPAL_COLUMNS
                                    ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                                    principal);
  });
}

Result<Principal> PrincipalStore::GetPrincipal(int64_t id) {
  return Read("GetPrincipal", [&](Session& s) {
    return s.Prepare("SELECT " LATCHKEY_PRINCIPAL_COLUMNS " FROM principals WHERE id = ?")
        .Bind(id)
        .One(PrincipalFromRow, "principal");
  });
}

Result<Principal> PrincipalStore::FindUserByName(const std::string& user_name) {
  // SQLite: user_name is declared COLLATE NOCASE, so `=` ignores ASCII case and uses the unique
  // index. PostgreSQL: lower() on both sides matches the unique index on lower(user_name).
  return Read("FindUserByName", [&](Session& s) {
    return s
        .Prepare(s.dialect().Pick(
            "SELECT " LATCHKEY_PRINCIPAL_COLUMNS
            " FROM principals WHERE user_name = ? AND user_name <> '' AND kind = 'user'",
            "SELECT " LATCHKEY_PRINCIPAL_COLUMNS
            " FROM principals WHERE lower(user_name) = lower(?) AND user_name <> ''"
            " AND kind = 'user'"))
        .Bind(user_name)
        .One(PrincipalFromRow, "user");
  });
}

Result<Principal> PrincipalStore::FindServicePrincipalByApplicationId(const std::string& app_id) {
  return Read("FindServicePrincipalByApplicationId", [&](Session& s) {
    return s
        .Prepare("SELECT " LATCHKEY_PRINCIPAL_COLUMNS
                 " FROM principals WHERE application_id = ? AND application_id <> ''"
                 " AND kind = 'service_principal'")
        .Bind(app_id)
        .One(PrincipalFromRow, "service principal");
  });
}

Result<std::vector<Principal>> PrincipalStore::ListPrincipals(PrincipalKind kind) {
  return Read("ListPrincipals", [&](Session& s) {
    return s
        .Prepare("SELECT " LATCHKEY_PRINCIPAL_COLUMNS " FROM principals WHERE kind = ? ORDER BY id")
        .Bind(PrincipalKindName(kind))
        .All(PrincipalFromRow);
  });
}

Status PrincipalStore::UpdatePrincipal(const Principal& principal, const AuditEvent* audit) {
  return Write("UpdatePrincipal", audit, [&](Session& s, std::vector<Change>& changes) -> Status {
    LATCHKEY_RETURN_IF_ERROR(
        s.Prepare("UPDATE principals SET user_name = ?, application_id = ?, display_name = ?,"
                  " external_id = ?, active = ?, entitlements = ? WHERE id = ?")
            .Bind(principal.user_name)
            .Bind(principal.application_id)
            .Bind(principal.display_name)
            .Bind(principal.external_id)
            .BindBool(principal.active)
            .Bind(principal.entitlements)
            .Bind(principal.id)
            .UpdateExisting("principal"));
    changes.push_back({ChangeKind::kPrincipalChanged, std::to_string(principal.id)});
    return Ok();
  });
}

Status PrincipalStore::DeletePrincipal(int64_t id, const AuditEvent* audit) {
  return Write("DeletePrincipal", audit, [&](Session& s, std::vector<Change>& changes) -> Status {
    // PostgreSQL: the row lock keeps CreatePat (which takes it too) from adding a PAT that the
    // cascade below would delete without a change event. (SQLite: one writer.)
    if (s.dialect().row_locks) {
      LATCHKEY_RETURN_IF_ERROR(
          s.Prepare("SELECT 1 FROM principals WHERE id = ? FOR UPDATE").Bind(id).Run());
    }
    Result<std::vector<std::string>> tokens =
        s.Prepare("SELECT token_id FROM pats WHERE owner_id = ?")
            .Bind(id)
            .All(sql::TextColumnFromRow);
    if (!tokens) return std::unexpected(std::move(tokens).error());
    Result<std::vector<std::string>> secrets =
        s.Prepare("SELECT id FROM oauth_secrets WHERE principal_id = ?")
            .Bind(id)
            .All(sql::TextColumnFromRow);
    if (!secrets) return std::unexpected(std::move(secrets).error());
    Result<int64_t> grants = s.Prepare(
                                  "DELETE FROM token_permissions WHERE subject_id = ?"
                                  " AND subject_kind IN ('user', 'service_principal')")
                                 .Bind(id)
                                 .Update();
    if (!grants) return std::unexpected(std::move(grants).error());
    // PATs, OAuth secrets and group memberships go with the row (ON DELETE CASCADE).
    LATCHKEY_RETURN_IF_ERROR(
        s.Prepare("DELETE FROM principals WHERE id = ?").Bind(id).UpdateExisting("principal"));

    for (std::string& token : *tokens)
      changes.push_back({ChangeKind::kPatDeleted, std::move(token)});
    for (std::string& secret : *secrets) {
      changes.push_back({ChangeKind::kOAuthSecretDeleted, std::move(secret)});
    }
    if (*grants > 0) changes.push_back({ChangeKind::kPermissionsChanged, ""});
    changes.push_back({ChangeKind::kPrincipalChanged, std::to_string(id)});
    return Ok();
  });
}

Status PrincipalStore::CreateGroup(const Group& group, const AuditEvent* audit) {
  return Write("CreateGroup", audit, [&](Session& s, std::vector<Change>& changes) -> Status {
    LATCHKEY_RETURN_IF_ERROR(GroupColumns::Insert(
        s, "INSERT INTO workspace_groups (" LATCHKEY_GROUP_COLUMNS ") VALUES (?, ?, ?)", group));
    LATCHKEY_RETURN_IF_ERROR(InsertMembers(s, group));
    AddPrincipalChanges({group.member_ids.begin(), group.member_ids.end()}, changes);
    return Ok();
  });
}

Result<Group> PrincipalStore::GetGroup(int64_t id) {
  return Snapshot("GetGroup", [&](Session& s) {
    return WithMembers(
        s, s.Prepare("SELECT " LATCHKEY_GROUP_COLUMNS " FROM workspace_groups WHERE id = ?")
               .Bind(id)
               .One(GroupFromRow, "group"));
  });
}

Result<Group> PrincipalStore::FindGroupByName(const std::string& display_name) {
  return Snapshot("FindGroupByName", [&](Session& s) {
    return WithMembers(s, s.Prepare("SELECT " LATCHKEY_GROUP_COLUMNS
                                    " FROM workspace_groups WHERE display_name = ?")
                              .Bind(display_name)
                              .One(GroupFromRow, "group"));
  });
}

Result<std::vector<Group>> PrincipalStore::ListGroups() {
  return Snapshot("ListGroups", [&](Session& s) -> Result<std::vector<Group>> {
    Result<std::vector<Group>> groups =
        s.Prepare("SELECT " LATCHKEY_GROUP_COLUMNS " FROM workspace_groups ORDER BY id")
            .All(GroupFromRow);
    if (!groups) return groups;
    std::unordered_map<int64_t, Group*> by_id;
    for (Group& group : *groups) by_id[group.id] = &group;
    Result<std::vector<std::pair<int64_t, int64_t>>> members =
        s.Prepare("SELECT group_id, principal_id FROM group_members ORDER BY group_id, position")
            .All([](const Row& row) -> Result<std::pair<int64_t, int64_t>> {
              return std::pair(row.Int(0), row.Int(1));
            });
    if (!members) return std::unexpected(std::move(members).error());
    for (const auto& [group_id, principal_id] : *members) {
      auto it = by_id.find(group_id);
      if (it != by_id.end()) it->second->member_ids.push_back(principal_id);
    }
    return groups;
  });
}

Status PrincipalStore::UpdateGroup(const Group& group, const AuditEvent* audit) {
  return Write("UpdateGroup", audit, [&](Session& s, std::vector<Change>& changes) -> Status {
    LATCHKEY_RETURN_IF_ERROR(s.Prepare("UPDATE workspace_groups SET display_name = ? WHERE id = ?")
                                 .Bind(group.display_name)
                                 .Bind(group.id)
                                 .UpdateExisting("group"));
    Result<std::vector<int64_t>> old_members = MembersOf(s, group.id);
    if (!old_members) return std::unexpected(std::move(old_members).error());
    LATCHKEY_RETURN_IF_ERROR(
        s.Prepare("DELETE FROM group_members WHERE group_id = ?").Bind(group.id).Run());
    LATCHKEY_RETURN_IF_ERROR(InsertMembers(s, group));

    // Principals that joined or left: their group list changed.
    std::set<int64_t> before(old_members->begin(), old_members->end());
    std::set<int64_t> after(group.member_ids.begin(), group.member_ids.end());
    std::set<int64_t> moved;
    std::set_symmetric_difference(before.begin(), before.end(), after.begin(), after.end(),
                                  std::inserter(moved, moved.end()));
    AddPrincipalChanges(moved, changes);
    return Ok();
  });
}

Status PrincipalStore::DeleteGroup(int64_t id, const AuditEvent* audit) {
  return Write("DeleteGroup", audit, [&](Session& s, std::vector<Change>& changes) -> Status {
    Result<std::vector<int64_t>> members = MembersOf(s, id);
    if (!members) return std::unexpected(std::move(members).error());
    Result<int64_t> grants = s.Prepare(
                                  "DELETE FROM token_permissions WHERE subject_kind = 'group'"
                                  " AND subject_id = ?")
                                 .Bind(id)
                                 .Update();
    if (!grants) return std::unexpected(std::move(grants).error());
    // Memberships go with the row (ON DELETE CASCADE).
    LATCHKEY_RETURN_IF_ERROR(
        s.Prepare("DELETE FROM workspace_groups WHERE id = ?").Bind(id).UpdateExisting("group"));
    if (*grants > 0) changes.push_back({ChangeKind::kPermissionsChanged, ""});
    AddPrincipalChanges({members->begin(), members->end()}, changes);
    return Ok();
  });
}

Result<std::vector<int64_t>> PrincipalStore::GroupsOfPrincipal(int64_t principal_id) {
  return Read("GroupsOfPrincipal", [&](Session& s) {
    return s.Prepare("SELECT group_id FROM group_members WHERE principal_id = ? ORDER BY group_id")
        .Bind(principal_id)
        .All(sql::IntFromRow);
  });
}

}  // namespace latchkey::store

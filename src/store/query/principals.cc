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

// Lists a `kind` change for each id that `select_sql` (bound to `id`) returns.
Status AddChangesFor(Session& s, const char* select_sql, int64_t id, ChangeKind kind,
                     std::vector<Change>& changes) {
  Result<std::vector<std::string>> ids = s.Prepare(select_sql).Bind(id).All(sql::TextColumnFromRow);
  if (!ids) return std::unexpected(std::move(ids).error());
  for (std::string& changed : *ids) changes.push_back({kind, std::move(changed)});
  return Ok();
}

// Deletes the token grants `grants_sql` matches, then the row `row_sql` deletes (kNotFound
// "<what> not found"), both bound to `id`; lists kPermissionsChanged if grants went.
Status DeleteWithGrants(Session& s, const char* grants_sql, const char* row_sql,
                        std::string_view what, int64_t id, std::vector<Change>& changes) {
  Result<int64_t> grants = s.Prepare(grants_sql).Bind(id).Update();
  if (!grants) return std::unexpected(std::move(grants).error());
  LATCHKEY_RETURN_IF_ERROR(s.Prepare(row_sql).Bind(id).UpdateExisting(what));
  if (*grants > 0) changes.push_back({ChangeKind::kPermissionsChanged, ""});
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
  return ReadOne("GetPrincipal",
                 "SELECT " LATCHKEY_PRINCIPAL_COLUMNS " FROM principals WHERE id = ?",
                 PrincipalFromRow, "principal", id);
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
  return ReadOne("FindServicePrincipalByApplicationId",
                 "SELECT " LATCHKEY_PRINCIPAL_COLUMNS
                 " FROM principals WHERE application_id = ? AND application_id <> ''"
                 " AND kind = 'service_principal'",
                 PrincipalFromRow, "service principal", app_id);
}

Result<std::vector<Principal>> PrincipalStore::ListPrincipals(PrincipalKind kind) {
  return ReadAll("ListPrincipals",
                 "SELECT " LATCHKEY_PRINCIPAL_COLUMNS " FROM principals WHERE kind = ? ORDER BY id",
                 PrincipalFromRow, sql::PrincipalKindName(kind));
}

Status PrincipalStore::UpdatePrincipal(const Principal& principal, const AuditEvent* audit) {
  return WriteExisting(
      "UpdatePrincipal", audit, Change{ChangeKind::kPrincipalChanged, std::to_string(principal.id)},
      "UPDATE principals SET user_name = ?, application_id = ?, display_name = ?,"
      " external_id = ?, active = ?, entitlements = ? WHERE id = ?",
      "principal", principal.user_name, principal.application_id, principal.display_name,
      principal.external_id, principal.active, principal.entitlements, principal.id);
}

Status PrincipalStore::DeletePrincipal(int64_t id, const AuditEvent* audit) {
  return Write("DeletePrincipal", audit, [&](Session& s, std::vector<Change>& changes) -> Status {
    // PostgreSQL: the row lock keeps CreatePat (which takes it too) from adding a PAT that the
    // cascade below would delete without a change event. (SQLite: one writer.)
    if (s.dialect().row_locks) {
      LATCHKEY_RETURN_IF_ERROR(
          s.Prepare("SELECT 1 FROM principals WHERE id = ? FOR UPDATE").Bind(id).Run());
    }
    // PATs, OAuth secrets and group memberships go with the row (ON DELETE CASCADE).
    LATCHKEY_RETURN_IF_ERROR(AddChangesFor(s, "SELECT token_id FROM pats WHERE owner_id = ?", id,
                                           ChangeKind::kPatDeleted, changes));
    LATCHKEY_RETURN_IF_ERROR(AddChangesFor(s, "SELECT id FROM oauth_secrets WHERE principal_id = ?",
                                           id, ChangeKind::kOAuthSecretDeleted, changes));
    LATCHKEY_RETURN_IF_ERROR(DeleteWithGrants(s,
                                              "DELETE FROM token_permissions WHERE subject_id = ?"
                                              " AND subject_kind IN ('user', 'service_principal')",
                                              "DELETE FROM principals WHERE id = ?", "principal",
                                              id, changes));
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
    // Memberships go with the row (ON DELETE CASCADE).
    LATCHKEY_RETURN_IF_ERROR(DeleteWithGrants(
        s, "DELETE FROM token_permissions WHERE subject_kind = 'group' AND subject_id = ?",
        "DELETE FROM workspace_groups WHERE id = ?", "group", id, changes));
    AddPrincipalChanges({members->begin(), members->end()}, changes);
    return Ok();
  });
}

Result<std::vector<int64_t>> PrincipalStore::GroupsOfPrincipal(int64_t principal_id) {
  return ReadAll("GroupsOfPrincipal",
                 "SELECT group_id FROM group_members WHERE principal_id = ? ORDER BY group_id",
                 sql::IntFromRow, principal_id);
}

}  // namespace latchkey::store

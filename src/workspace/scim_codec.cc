// Decoding and encoding of SCIM resources (spec §7.1-§7.4).
#include <algorithm>

#include "base/encoding.h"
#include "base/result_macros.h"
#include "workspace/json_input.h"
#include "workspace/scim.h"

namespace latchkey::workspace {

using nlohmann::json;

namespace {

// An attribute given a value (absent and null both mean "not given").
bool Present(const json& body, const char* name) {
  return body.contains(name) && !body[name].is_null();
}

std::unexpected<Error> Invalid(std::string message) {
  return MakeError(ErrorCode::kInvalidArgument, std::move(message));
}

std::vector<std::string> FilterAttributes(ScimResource resource) {
  switch (resource) {
    case ScimResource::kUsers:
      return {"userName", "displayName", "id", "externalId", "active", "emails", "emails.value"};
    case ScimResource::kServicePrincipals:
      return {"applicationId", "displayName", "id", "externalId", "active"};
    case ScimResource::kGroups: return {"displayName", "id", "externalId"};
  }
  return {};
}

json Values(const std::vector<std::string>& values) {
  json out = json::array();
  for (const std::string& v : values) out.push_back({{"value", v}});
  return out;
}

// `groups` sorted by id (DirectorySnapshot::groups, AccessControl::Groups).
json GroupRefs(int64_t principal_id, const std::vector<store::Group>& groups) {
  json out = json::array();
  for (const store::Group& g : groups) {
    if (std::find(g.member_ids.begin(), g.member_ids.end(), principal_id) == g.member_ids.end()) {
      continue;
    }
    std::string id = std::to_string(g.id);
    out.push_back(
        {{"display", g.display_name}, {"type", "direct"}, {"value", id}, {"$ref", "Groups/" + id}});
  }
  return out;
}

}  // namespace

Result<ScimListQuery> DecodeScimListQuery(const ApiCall& call, ScimResource resource) {
  ScimListQuery query;
  if (std::optional<std::string> filter = call.Query("filter"); filter && !filter->empty()) {
    Result<ScimFilter> parsed = ScimFilter::Parse(*filter, FilterAttributes(resource));
    if (!parsed) return std::unexpected(parsed.error());
    query.filter = std::move(*parsed);
  }
  if (std::optional<std::string> start = call.Query("startIndex"); start && !start->empty()) {
    std::optional<int64_t> value = ParseInt64(*start);
    if (!value) return Invalid("startIndex must be an integer.");
    query.start_index = std::max<int64_t>(1, *value);  // RFC 7644 §3.4.2.4: < 1 means 1
  }
  if (std::optional<std::string> count = call.Query("count"); count && !count->empty()) {
    std::optional<int64_t> value = ParseInt64(*count);
    if (!value) return Invalid("count must be an integer.");
    query.count = std::clamp<int64_t>(*value, 0, kScimMaxCount);
  }
  // sortBy/sortOrder/attributes/excludedAttributes are accepted and ignored: results come in
  // id order with every attribute (§7.3: Terraform sends excludedAttributes=roles).
  return query;
}

Result<std::vector<int64_t>> DecodeIdList(const json& value, std::string_view field) {
  if (!value.is_array()) return Invalid(std::string(field) + " must be an array.");
  std::vector<int64_t> ids;
  for (const json& item : value) {
    const json* v = item.is_object() && item.contains("value") ? &item["value"] : nullptr;
    std::optional<int64_t> id;
    if (v != nullptr && v->is_string()) id = ParseInt64(v->get<std::string>());
    if (v != nullptr && v->is_number_integer()) id = v->get<int64_t>();
    if (!id) return Invalid("Each entry of " + std::string(field) + " needs a numeric \"value\".");
    if (std::find(ids.begin(), ids.end(), *id) == ids.end()) ids.push_back(*id);
  }
  return ids;
}

Result<std::vector<std::string>> DecodeValueList(const json& value, std::string_view field) {
  if (!value.is_array()) return Invalid(std::string(field) + " must be an array.");
  std::vector<std::string> out;
  for (const json& item : value) {
    const json* v = item.is_object() && item.contains("value") ? &item["value"] : nullptr;
    if (v == nullptr || !v->is_string()) {
      return Invalid("Each entry of " + std::string(field) + " needs a string \"value\".");
    }
    if (std::find(out.begin(), out.end(), v->get<std::string>()) == out.end()) {
      out.push_back(v->get<std::string>());
    }
  }
  return out;
}

Result<PrincipalInput> DecodePrincipalInput(const json& body) {
  PrincipalInput input;
  struct StringField {
    const char* name;
    std::optional<std::string>* out;
  };
  for (StringField f : {StringField{"userName", &input.user_name},
                        StringField{"applicationId", &input.application_id},
                        StringField{"displayName", &input.display_name},
                        StringField{"externalId", &input.external_id}}) {
    Result<std::optional<std::string>> value = OptionalString(body, f.name);
    if (!value) return std::unexpected(value.error());
    *f.out = std::move(*value);
  }
  Result<std::optional<bool>> active = OptionalBool(body, "active");
  if (!active) return std::unexpected(active.error());
  input.active = *active;
  if (Present(body, "entitlements")) {
    ASSIGN_OR_RETURN(input.entitlements, DecodeValueList(body["entitlements"], "entitlements"));
  }
  if (Present(body, "groups")) {
    ASSIGN_OR_RETURN(input.group_ids, DecodeIdList(body["groups"], "groups"));
  }
  return input;
}

Result<GroupInput> DecodeGroupInput(const json& body) {
  GroupInput input;
  Result<std::optional<std::string>> name = OptionalString(body, "displayName");
  if (!name) return std::unexpected(name.error());
  input.display_name = std::move(*name);
  if (Present(body, "members")) {
    ASSIGN_OR_RETURN(input.member_ids, DecodeIdList(body["members"], "members"));
  }
  return input;
}

Result<std::vector<PatchOperation>> DecodePatch(const json& body) {
  std::vector<PatchOperation> ops;
  auto list = body.find("Operations");
  if (list == body.end()) list = body.find("operations");
  if (list == body.end() || list->is_null()) return ops;
  if (!list->is_array()) return Invalid("Operations must be an array.");
  for (const json& item : *list) {
    if (!item.is_object()) return Invalid("Each operation must be an object.");
    PatchOperation op;
    Result<std::string> name = RequiredString(item, "op");
    if (!name) return std::unexpected(name.error());
    if (IEquals(*name, "add")) {
      op.op = PatchOperation::Op::kAdd;
    } else if (IEquals(*name, "remove")) {
      op.op = PatchOperation::Op::kRemove;
    } else if (IEquals(*name, "replace")) {
      op.op = PatchOperation::Op::kReplace;
    } else {
      return Invalid("Unsupported PATCH op '" + *name + "'.");
    }
    Result<std::optional<std::string>> path = OptionalString(item, "path");
    if (!path) return std::unexpected(path.error());
    std::string p = path->value_or("");
    if (size_t bracket = p.find('['); bracket != std::string::npos) {
      if (!p.ends_with("]")) return Invalid("Malformed PATCH path.");
      Result<ScimFilter> filter =
          ScimFilter::Parse(std::string_view(p).substr(bracket + 1, p.size() - bracket - 2),
                            {"value"});
      if (!filter) return std::unexpected(filter.error());
      op.value_filter = std::move(*filter);
      p.resize(bracket);
    }
    op.path = AsciiLower(p);
    op.value = item.contains("value") ? item["value"] : json();
    if (op.op != PatchOperation::Op::kRemove && op.value.is_null()) {
      return Invalid("PATCH op '" + *name + "' needs a value.");
    }
    ops.push_back(std::move(op));
  }
  return ops;
}

std::vector<const store::Group*> DirectorySnapshot::GroupsOf(int64_t principal_id) const {
  std::vector<const store::Group*> out;
  for (const store::Group& g : groups) {
    if (std::find(g.member_ids.begin(), g.member_ids.end(), principal_id) != g.member_ids.end()) {
      out.push_back(&g);
    }
  }
  return out;
}

json EncodePrincipal(const store::Principal& p, const DirectorySnapshot& dir) {
  return EncodePrincipal(p, dir.groups);
}

json EncodePrincipal(const store::Principal& p, const std::vector<store::Group>& groups) {
  json out;
  if (p.kind == store::PrincipalKind::kUser) {
    out["schemas"] = json::array({kScimUserSchema, kScimWorkspaceUserSchema});
    out["id"] = std::to_string(p.id);
    out["userName"] = p.user_name;
    if (p.user_name.find('@') != std::string::npos) {
      out["emails"] = json::array({{{"type", "work"}, {"value", p.user_name}, {"primary", true}}});
    }
  } else {
    out["schemas"] = json::array({kScimSpSchema});
    out["id"] = std::to_string(p.id);
    out["applicationId"] = p.application_id;
  }
  out["displayName"] = p.display_name;
  out["active"] = p.active;
  if (!p.external_id.empty()) out["externalId"] = p.external_id;
  out["entitlements"] = Values(p.entitlements);
  out["groups"] = GroupRefs(p.id, groups);
  return out;
}

json EncodeMe(const store::Principal& p, const DirectorySnapshot& dir) {
  return EncodeMe(p, dir.groups);
}

json EncodeMe(const store::Principal& p, const std::vector<store::Group>& groups) {
  json out = EncodePrincipal(p, groups);
  if (p.kind == store::PrincipalKind::kServicePrincipal) {
    // §7.2: User-shaped; Terraform detects an SP by userName being a UUID.
    out["schemas"] = json::array({kScimUserSchema, kScimWorkspaceUserSchema});
    out["userName"] = p.application_id;
  }
  return out;
}

json EncodeGroup(const store::Group& g, const DirectorySnapshot& dir) {
  json members = json::array();
  for (int64_t id : g.member_ids) {
    json member = {{"value", std::to_string(id)}};
    auto it = dir.principals.find(id);
    if (it != dir.principals.end()) {
      const store::Principal& p = it->second;
      member["display"] = p.display_name;
      // §7.1 [U]: $ref form.
      member["$ref"] = (p.kind == store::PrincipalKind::kUser ? "Users/" : "ServicePrincipals/") +
                       std::to_string(id);
    }
    members.push_back(std::move(member));
  }
  return {{"schemas", json::array({kScimGroupSchema})},
          {"id", std::to_string(g.id)},
          {"displayName", g.display_name},
          {"members", members},
          {"entitlements", json::array()},
          {"meta", {{"resourceType", "WorkspaceGroup"}}}};
}

json EncodeListPage(const std::vector<json>& matches, const ScimListQuery& query) {
  json page = json::array();
  // §7.3: pagination is load-bearing; past the end the page is empty and totalResults stays.
  auto total = static_cast<int64_t>(matches.size());
  for (int64_t i = query.start_index - 1; i < total && static_cast<int64_t>(page.size()) < query.count;
       ++i) {
    page.push_back(matches[static_cast<size_t>(i)]);
  }
  return {{"schemas", json::array({kScimListSchema})},
          {"totalResults", total},
          {"startIndex", query.start_index},
          {"itemsPerPage", static_cast<int64_t>(page.size())},
          {"Resources", page}};
}

}  // namespace latchkey::workspace

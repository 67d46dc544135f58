// Token permissions (spec §5.6): the ACL of the "tokens" object under
// /api/2.0/permissions/authorization/tokens (and the /preview/ alias). The admins group always
// holds CAN_MANAGE (shown, never stored, cannot be removed); CAN_MANAGE for anyone else is
// refused; principals left without a token permission lose their PATs in the same
// transaction. Default ACL: no grants, so non-admins have no CAN_USE until an admin grants it
// (§5.6: current docs). Thread-safe.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/result.h"
#include "store/records.h"
#include "workspace/call_context.h"
#include "workspace/services.h"

namespace latchkey::workspace {

struct AclEntryInput {
  store::AclSubjectKind kind = store::AclSubjectKind::kUser;
  std::string name;  // user_name, group_name or service_principal_name (application id)
  std::string permission_level;
};
struct SetPermissionsInput {
  std::vector<AclEntryInput> entries;
};

// kInvalidArgument for a malformed list or entry (not exactly one principal field, a level
// that is not a string).
Result<SetPermissionsInput> DecodeSetPermissions(const nlohmann::json& body);
nlohmann::json EncodePermissionLevels();

class PermissionsService {
 public:
  explicit PermissionsService(const ServiceDeps& deps) : deps_(deps) {}

  // {"object_id":"/authorization/tokens","object_type":"tokens","access_control_list":[...]}
  Result<nlohmann::json> Get(const CallContext& context);
  // PUT: replaces every direct grant. PATCH: adds or changes the listed grants.
  Result<nlohmann::json> Replace(const SetPermissionsInput& input, const CallContext& context);
  Result<nlohmann::json> Update(const SetPermissionsInput& input, const CallContext& context);

 private:
  enum class Mode { kReplace, kUpdate };
  Result<nlohmann::json> Set(const SetPermissionsInput& input, Mode mode,
                             const CallContext& context);
  Result<std::vector<store::TokenPermission>> Resolve(const SetPermissionsInput& input);
  Result<nlohmann::json> Render();

  const ServiceDeps& deps_;
};

}  // namespace latchkey::workspace

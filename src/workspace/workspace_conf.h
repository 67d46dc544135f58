// Workspace configuration (spec §6): GET/PATCH /api/2.0/workspace-conf with string values on
// the wire. Known keys: enableTokensConfig ("true"/"false", default true) and
// maxTokenLifetimeDays (integer days, "0"/"" = no limit). Thread-safe.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/result.h"
#include "workspace/call_context.h"
#include "workspace/endpoint.h"
#include "workspace/services.h"

namespace latchkey::workspace {

inline constexpr int64_t kMaxTokenLifetimeDaysLimit = 730;  // §6: newer docs' range 1-730

struct GetConfInput {
  std::vector<std::string> keys;  // empty: every known key
};
// Values as strings; "" resets the key to its default.
struct SetConfInput {
  std::map<std::string, std::string> values;
};

// ?keys=a,b. kInvalidArgument naming unknown keys (§6 [U]).
Result<GetConfInput> DecodeGetConf(const ApiCall& call);
// A flat object of strings, booleans or integers (§6: accepted and stored as strings).
Result<SetConfInput> DecodeSetConf(const nlohmann::json& body);

class WorkspaceConfService {
 public:
  explicit WorkspaceConfService(const ServiceDeps& deps) : deps_(deps) {}

  // §6 [U]: any authenticated principal may read. Unset keys are null.
  Result<nlohmann::json> Get(const GetConfInput& input, const CallContext& context);
  // Admins only. Validates every value before writing any.
  Status Set(const SetConfInput& input, const CallContext& context);

 private:
  const ServiceDeps& deps_;
};

}  // namespace latchkey::workspace

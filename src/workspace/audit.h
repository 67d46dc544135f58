// The audit trail: every token create/delete/authentication failure (by token id, never the
// value), every permission, principal, group, secret and conf change. Each event goes to the
// log as a structured spdlog line and to the store (AuditStore), where admins list it through
// GET /api/2.0/latchkey/audit. Thread-safe.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/clock.h"
#include "base/result.h"
#include "store/store.h"

namespace latchkey::workspace {

class AuditLog {
 public:
  AuditLog(store::AuditStore& store, const Clock& clock) : store_(store), clock_(clock) {}

  // A store failure is logged, never returned: auditing must not turn a done change into an
  // error response.
  void Record(std::string actor, std::string action, std::string target, nlohmann::json detail,
              std::string remote_address);

 private:
  store::AuditStore& store_;
  const Clock& clock_;
};

struct AuditQuery {
  int64_t after = 0;
  int limit = 100;  // 1..1000
};
// Reads ?after=&limit=. kInvalidArgument for non-integers or out-of-range values.
Result<AuditQuery> DecodeAuditQuery(const std::vector<std::pair<std::string, std::string>>& query);
// {"events":[{seq,time (ms),actor,action,target,detail,remote_address}],"next_after":seq}
nlohmann::json EncodeAuditEvents(const std::vector<store::AuditEvent>& events, int64_t after);

}  // namespace latchkey::workspace

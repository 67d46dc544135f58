// The audit trail: every token create/delete/authentication failure (by token id, never the
// value), every permission, principal, group, secret and conf change. Each event goes to the
// log as a structured spdlog line and to the store (AuditStore), where admins list it through
// GET /api/2.0/latchkey/audit. Thread-safe.
//
// A change's event is stored in the change's own transaction: build it with Event, pass it to
// the store's audited write (its `audit` argument), and call Committed once the write
// succeeded (or use Write, which does both). A change is then acknowledged only if its audit
// row committed with it. Record (a separate, best-effort append) is for events that change no
// data (token issuance, failures).
#pragma once

#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/clock.h"
#include "base/result.h"
#include "metrics/service_metrics.h"
#include "store/store.h"

namespace latchkey::workspace {

class AuditLog {
 public:
  using Sink = std::function<void(const store::AuditEvent&)>;
  // `sink` (optional) replaces the default log line; `metrics` (optional) counts the token
  // actions (ServiceMetrics::CountAuditAction).
  // `failures_per_minute` bounds RecordFailure (0: failures are never written).
  AuditLog(store::AuditStore& store, const Clock& clock, Sink sink = {},
           metrics::ServiceMetrics* metrics = nullptr, int failures_per_minute = 60)
      : store_(store),
        clock_(clock),
        sink_(std::move(sink)),
        metrics_(metrics),
        failures_per_minute_(failures_per_minute),
        failure_tokens_(failures_per_minute) {}

  // The event of a change, for the store to write in the change's transaction. Nothing is
  // logged or stored yet. A non-object `detail` becomes {}.
  store::AuditEvent Event(std::string actor, std::string action, std::string target,
                          nlohmann::json detail, std::string remote_address) const;
  // After the audited write committed (with `event`): the log line (sink) and the metric.
  void Committed(const store::AuditEvent& event);
  // Runs write(const store::AuditEvent*) -> Status, an audited store write given `event`, and
  // calls Committed once it succeeded. Returns write's status.
  template <class Fn>
  Status Write(const store::AuditEvent& event, Fn&& write) {
    Status status = write(&event);
    if (status) Committed(event);
    return status;
  }

  // An event with no data change of its own, appended on its own. A store failure is logged,
  // never returned.
  void Record(std::string actor, std::string action, std::string target, nlohmann::json detail,
              std::string remote_address);
  // A failed authentication: nothing changed, and anyone can cause one, so these are written
  // (to the sink and the store) at most failures_per_minute a minute (a token bucket). The
  // ones dropped are counted into the next one written, as detail "suppressed": n.
  void RecordFailure(std::string actor, std::string action, std::string target,
                     nlohmann::json detail, std::string remote_address);

 private:
  store::AuditStore& store_;
  const Clock& clock_;
  Sink sink_;
  metrics::ServiceMetrics* metrics_;
  const int failures_per_minute_;
  std::mutex failure_mu_;
  double failure_tokens_;
  TimePoint failure_refill_{};
  int64_t failures_suppressed_ = 0;
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

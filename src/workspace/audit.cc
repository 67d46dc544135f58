#include "workspace/audit.h"

#include <algorithm>
#include <utility>

#include <spdlog/spdlog.h>

#include "http/offload_context.h"
#include "workspace/json_input.h"

namespace latchkey::workspace {

using nlohmann::json;

store::AuditEvent AuditLog::Event(std::string actor, std::string action, std::string target,
                                  json detail, std::string remote_address) const {
  if (!detail.is_object()) detail = json::object();
  store::AuditEvent event;
  event.at = clock_.Now();
  event.actor = std::move(actor);
  event.action = std::move(action);
  event.target = std::move(target);
  event.detail = detail.dump(-1, ' ', false, json::error_handler_t::replace);
  event.remote_address = std::move(remote_address);
  return event;
}

void AuditLog::Committed(const store::AuditEvent& event) {
  if (sink_) {
    sink_(event);
  } else {
    spdlog::info("event=audit action={} actor={} target={} remote={} detail={}", event.action,
                 event.actor, event.target, event.remote_address, event.detail);
  }
  if (metrics_ != nullptr) metrics_->CountAuditAction(event.action);
}

void AuditLog::Record(std::string actor, std::string action, std::string target, json detail,
                      std::string remote_address) {
  if (http::DeferToPool()) return;  // see RecordFailure
  store::AuditEvent event = Event(std::move(actor), std::move(action), std::move(target),
                                  std::move(detail), std::move(remote_address));
  Committed(event);
  Status stored = store_.AppendAudit(event);
  if (!stored) {
    spdlog::error("event=audit_store_failed action={} target={} error=\"{}\"", event.action,
                  event.target, stored.error().message);
  }
}

void AuditLog::RecordFailure(std::string actor, std::string action, std::string target,
                             json detail, std::string remote_address) {
  // Written once, off the I/O thread: on the fast path the request runs again on the store
  // pool (http/offload.h), so nothing is counted or logged here.
  if (http::DeferToPool()) return;
  int64_t suppressed = 0;
  {
    std::lock_guard lock(failure_mu_);
    const TimePoint now = clock_.Now();
    if (failure_refill_ != TimePoint{}) {
      const double seconds = std::chrono::duration<double>(now - failure_refill_).count();
      failure_tokens_ = std::min<double>(failures_per_minute_,
                                         failure_tokens_ + seconds * failures_per_minute_ / 60.0);
    }
    failure_refill_ = now;
    if (failure_tokens_ < 1.0) {
      ++failures_suppressed_;
      if (metrics_ != nullptr) metrics_->CountAuditAction(action);  // counted, not written
      return;
    }
    failure_tokens_ -= 1.0;
    suppressed = std::exchange(failures_suppressed_, 0);
  }
  if (suppressed > 0 && detail.is_object()) detail["suppressed"] = suppressed;
  Record(std::move(actor), std::move(action), std::move(target), std::move(detail),
         std::move(remote_address));
}

Result<AuditQuery> DecodeAuditQuery(const std::vector<std::pair<std::string, std::string>>& query) {
  AuditQuery out;
  if (std::optional<std::string> after = FindField(query, "after")) {
    std::optional<int64_t> value = ParseInt64(*after);
    if (!value || *value < 0) {
      return MakeError(ErrorCode::kInvalidArgument, "'after' must be a non-negative integer.");
    }
    out.after = *value;
  }
  if (std::optional<std::string> limit = FindField(query, "limit")) {
    std::optional<int64_t> value = ParseInt64(*limit);
    if (!value || *value < 1 || *value > 1000) {
      return MakeError(ErrorCode::kInvalidArgument, "'limit' must be an integer from 1 to 1000.");
    }
    out.limit = static_cast<int>(*value);
  }
  return out;
}

json EncodeAuditEvents(const std::vector<store::AuditEvent>& events, int64_t after) {
  json list = json::array();
  int64_t next = after;
  for (const store::AuditEvent& e : events) {
    json detail = json::parse(e.detail, nullptr, /*allow_exceptions=*/false);
    if (detail.is_discarded()) detail = json::object();
    list.push_back({{"seq", e.seq},
                    {"time", ToUnixMillis(e.at)},
                    {"actor", e.actor},
                    {"action", e.action},
                    {"target", e.target},
                    {"detail", detail},
                    {"remote_address", e.remote_address}});
    next = std::max(next, e.seq);
  }
  return {{"events", list}, {"next_after", next}};
}

}  // namespace latchkey::workspace

#include "workspace/audit.h"

#include <spdlog/spdlog.h>

#include "workspace/json_input.h"

namespace latchkey::workspace {

using nlohmann::json;

void AuditLog::Record(std::string actor, std::string action, std::string target, json detail,
                      std::string remote_address) {
  if (!detail.is_object()) detail = json::object();
  std::string detail_text = detail.dump(-1, ' ', false, json::error_handler_t::replace);
  store::AuditEvent event;
  event.at = clock_.Now();
  event.actor = std::move(actor);
  event.action = std::move(action);
  event.target = std::move(target);
  event.detail = std::move(detail_text);
  event.remote_address = std::move(remote_address);
  if (sink_) {
    sink_(event);
  } else {
    spdlog::info("event=audit action={} actor={} target={} remote={} detail={}", event.action,
                 event.actor, event.target, event.remote_address, event.detail);
  }
  if (metrics_ != nullptr) metrics_->CountAuditAction(event.action);
  Status stored = store_.AppendAudit(event);
  if (!stored) {
    spdlog::error("event=audit_store_failed action={} target={} error=\"{}\"", event.action,
                  event.target, stored.error().message);
  }
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

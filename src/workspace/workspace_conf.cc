#include "workspace/workspace_conf.h"

#include <algorithm>
#include <array>

#include "base/encoding.h"
#include "workspace/json_input.h"

namespace latchkey::workspace {
namespace {

using nlohmann::json;

constexpr std::array<const char*, 2> kKnownKeys = {"enableTokensConfig", "maxTokenLifetimeDays"};

bool IsKnownKey(std::string_view key) {
  return std::find(kKnownKeys.begin(), kKnownKeys.end(), key) != kKnownKeys.end();
}

std::unexpected<Error> UnknownKeys(const std::vector<std::string>& keys) {
  std::string list;
  for (const std::string& key : keys) list += (list.empty() ? "" : ", ") + key;
  return MakeError(ErrorCode::kInvalidArgument, "Invalid keys: " + list + ".");
}

// Canonical stored form of a value, or an error naming the key.
Result<std::string> Normalize(const std::string& key, const std::string& value) {
  if (value.empty()) return value;
  if (key == "enableTokensConfig") {
    if (IEquals(value, "true")) return std::string("true");
    if (IEquals(value, "false")) return std::string("false");
    return MakeError(ErrorCode::kInvalidArgument,
                     "Invalid value for enableTokensConfig: expected \"true\" or \"false\".");
  }
  std::optional<int64_t> days = ParseInt64(value);
  if (!days || *days < 0 || *days > kMaxTokenLifetimeDaysLimit) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "Invalid value for maxTokenLifetimeDays: expected an integer from 0 (no "
                     "limit) to " + std::to_string(kMaxTokenLifetimeDaysLimit) + ".");
  }
  return std::to_string(*days);
}

}  // namespace

Result<GetConfInput> DecodeGetConf(const ApiCall& call) {
  GetConfInput input;
  std::optional<std::string> keys = call.Query("keys");
  if (!keys || keys->empty()) return input;  // the JS SDK sends no query string (js-clients §3)
  std::vector<std::string> unknown;
  size_t start = 0;
  while (start <= keys->size()) {
    size_t comma = keys->find(',', start);
    if (comma == std::string::npos) comma = keys->size();
    std::string key = keys->substr(start, comma - start);
    key.erase(0, key.find_first_not_of(' '));
    key.erase(key.find_last_not_of(' ') + 1);
    if (!key.empty()) {
      (IsKnownKey(key) ? input.keys : unknown).push_back(key);
    }
    start = comma + 1;
  }
  if (!unknown.empty()) return UnknownKeys(unknown);
  return input;
}

Result<SetConfInput> DecodeSetConf(const json& body) {
  SetConfInput input;
  std::vector<std::string> unknown;
  for (const auto& [key, value] : body.items()) {
    if (!IsKnownKey(key)) {
      unknown.push_back(key);
      continue;
    }
    std::string text;
    if (value.is_string()) {
      text = value.get<std::string>();
    } else if (value.is_boolean()) {
      text = value.get<bool>() ? "true" : "false";
    } else if (value.is_number_integer()) {
      text = value.dump();
    } else if (value.is_null()) {
      text = "";
    } else {
      return MakeError(ErrorCode::kInvalidArgument,
                       "Invalid value for field '" + key + "': expected a string.");
    }
    Result<std::string> normalized = Normalize(key, text);
    if (!normalized) return std::unexpected(normalized.error());
    input.values[key] = std::move(*normalized);
  }
  // §6 [U]: unknown keys are refused rather than silently stored.
  if (!unknown.empty()) return UnknownKeys(unknown);
  return input;
}

Result<json> WorkspaceConfService::Get(const GetConfInput& input, const CallContext&) {
  std::vector<std::string> keys = input.keys;
  if (keys.empty()) keys.assign(kKnownKeys.begin(), kKnownKeys.end());
  json out = json::object();
  for (const std::string& key : keys) {
    Result<std::string> value = deps_.store.GetConf(key);
    if (value) {
      out[key] = *value;
    } else if (value.error().code == ErrorCode::kNotFound) {
      out[key] = nullptr;  // §6 [U]: unset -> null (Go decodes it as "")
    } else {
      return std::unexpected(value.error());
    }
  }
  return out;
}

Status WorkspaceConfService::Set(const SetConfInput& input, const CallContext& context) {
  if (Status ok = RequireAdmin(context, "change the workspace configuration"); !ok) return ok;
  // Guarded as deleting oneself is: an admin calling with a PAT would lose its own access and,
  // as the sole admin, every admin's (issue 25). Nothing is written then.
  auto enable = input.values.find("enableTokensConfig");
  if (enable != input.values.end() && enable->second == "false" &&
      context.auth.kind == auth::AuthKind::kPat) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "Personal access tokens cannot be disabled with a request authenticated by "
                     "one: it would lock the calling admin out. Use an admin's OAuth or Microsoft "
                     "Entra ID token (recovery: latchkeyd recover-admin).");
  }
  for (const auto& [key, value] : input.values) {
    // §6: "" erases the key (Terraform's way to reset it).
    // The event is stored in the write's transaction; erasing a missing key changes nothing
    // and stores nothing.
    store::AuditEvent event = deps_.audit.Event(context.Actor(), "conf.update", "conf:" + key,
                                                {{"value", value}}, context.remote_address);
    Status written = deps_.audit.Write(event, [&](const store::AuditEvent* audit) {
      return value.empty() ? deps_.store.DeleteConf(key, audit)
                           : deps_.store.SetConf(key, value, audit);
    });
    if (!written && written.error().code != ErrorCode::kNotFound) return written;
  }
  deps_.Invalidate();
  return Ok();
}

}  // namespace latchkey::workspace

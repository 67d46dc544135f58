// OAuth secrets of service principals (spec §8.5), at
// /api/2.0/accounts/servicePrincipals/{id}/credentials/secrets and the account form
// /api/2.0/accounts/{account_id}/servicePrincipals/{id}/credentials/secrets. {id} is the SP's
// numeric SCIM id. The secret ("dose" + 32 hex) is returned once; only its SHA-256 is kept.
// Admins only (§8.5 [U]: workspace admins stand in for account admins). Thread-safe.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "base/clock.h"
#include "base/result.h"
#include "workspace/call_context.h"
#include "workspace/services.h"

namespace latchkey::workspace {

inline constexpr std::chrono::seconds kMaxOAuthSecretLifetime{730LL * 86400};

struct CreateSecretInput {
  std::optional<std::chrono::seconds> lifetime;  // "63072000s" on the wire
};

// kInvalidArgument unless lifetime is a protobuf duration string "<seconds>[.<fraction>]s",
// positive and at most kMaxOAuthSecretLifetime.
Result<CreateSecretInput> DecodeCreateSecret(const nlohmann::json& body);

class OAuthSecretService {
 public:
  explicit OAuthSecretService(const ServiceDeps& deps) : deps_(deps) {}

  Result<nlohmann::json> Create(const std::string& sp_id, const CreateSecretInput& input,
                                const CallContext& ctx);
  // {"secrets":[SecretInfo...]}; expired secrets are left out (§8.5 [E]).
  Result<nlohmann::json> List(const std::string& sp_id, const CallContext& ctx);
  // 404 for an unknown secret or one of another principal (§8.5 [U]).
  Status Delete(const std::string& sp_id, const std::string& secret_id, const CallContext& ctx);

 private:
  Result<store::Principal> FindServicePrincipal(const std::string& sp_id);
  const ServiceDeps& deps_;
};

}  // namespace latchkey::workspace

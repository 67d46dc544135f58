// Token management for admins (spec §5.1-§5.5): list every live PAT with the
// created_by_id / created_by_username filters, get, delete, and create a PAT on behalf of a
// service principal. Thread-safe.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/result.h"
#include "workspace/call_context.h"
#include "workspace/endpoint.h"
#include "workspace/pat_issuer.h"
#include "workspace/services.h"

namespace latchkey::workspace {

struct ListTokensInput {
  std::optional<int64_t> created_by_id;
  std::optional<std::string> created_by_username;
};
struct OboTokenInput {
  std::string application_id;
  std::optional<int64_t> lifetime_seconds;
  std::string comment;
  std::vector<std::string> scopes;
};

// The admin TokenInfo (§5.0) with the names of its creator resolved.
struct TokenInfo {
  store::Pat pat;
  std::string created_by_username;
};

// created_by_id arrives as text (old CLI builds send a string, §5.1).
Result<ListTokensInput> DecodeListTokens(const ApiCall& call);
Result<OboTokenInput> DecodeOboToken(const nlohmann::json& body);
nlohmann::json EncodeTokenInfo(const TokenInfo& info, int64_t workspace_id);

class TokenManagementService {
 public:
  TokenManagementService(const ServiceDeps& deps, PatIssuer& issuer)
      : deps_(deps), issuer_(issuer) {}

  // §5.1 [U]: expired tokens are not listed, as in token/list.
  Result<std::vector<TokenInfo>> List(const ListTokensInput& input, const CallContext& context);
  Result<TokenInfo> Get(const std::string& token_id, const CallContext& context);
  Status Delete(const std::string& token_id, const CallContext& context);
  // §5.5: admin only; the SP must exist, be active and hold CAN_USE (or be an admin).
  Result<std::pair<IssuedPat, TokenInfo>> CreateOnBehalfOf(const OboTokenInput& input,
                                                           const CallContext& context);

 private:
  Result<store::Pat> LivePat(const std::string& token_id);
  std::string NameOf(int64_t principal_id);

  const ServiceDeps& deps_;
  PatIssuer& issuer_;
};

}  // namespace latchkey::workspace

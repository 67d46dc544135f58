// Fuzzes the Databricks API request decoding: the JSON body (ParseJsonBody: size and depth
// limits, objects only) and every body decoder (token create/delete, token-management
// on-behalf-of, permissions, workspace-conf, SCIM principals/groups/PATCH, OAuth secrets),
// plus the query decoders (SCIM list paging/filter, workspace-conf keys, token list, audit)
// and the PAT/token-id formats (pat_format.h) on the token_id a client sends.
// Input: "<query string>\n<body>".
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "base/clock.h"
#include "base/result.h"
#include "http/message.h"
#include "workspace/audit.h"
#include "workspace/endpoint.h"
#include "workspace/json_input.h"
#include "workspace/oauth_secrets.h"
#include "auth/pat_format.h"
#include "workspace/pat_issuer.h"
#include "workspace/permissions.h"
#include "workspace/scim.h"
#include "workspace/token_management.h"
#include "workspace/tokens.h"
#include "workspace/workspace_conf.h"

using namespace latchkey;
using namespace latchkey::workspace;
using nlohmann::json;

namespace {

// Every decoder failure is a 400 with a message; anything else is a bug.
template <class T>
void ExpectDecoded(const Result<T>& result) {
  if (!result) {
    LATCHKEY_CHECK(result.error().code == ErrorCode::kInvalidArgument);
    LATCHKEY_CHECK(!result.error().message.empty());
  }
}

void DecodeBody(const json& body) {
  const TimePoint now = FromUnixSeconds(1'700'000'000);
  Result<CreateTokenInput> create = DecodeCreateToken(body);
  ExpectDecoded(create);
  if (create) {
    // The expiry computation must stay in range for whatever lifetime was accepted.
    TokenPolicy policy;
    ExpectDecoded(PatExpiry(create->lifetime_seconds, policy, std::nullopt, now));
    policy.max_lifetime = std::chrono::seconds(90 * 86400);
    ExpectDecoded(PatExpiry(create->lifetime_seconds, policy, std::chrono::seconds(3600), now));
  }
  Result<DeleteTokenInput> del = DecodeDeleteToken(body);
  ExpectDecoded(del);
  if (del) {
    // A pasted token value where an id belongs must never be echoed (pat_format.h).
    const std::string printable = auth::PrintableTokenId(del->token_id);
    LATCHKEY_CHECK(auth::IsTokenId(del->token_id) ? printable == del->token_id
                                            : printable == "<malformed>");
    if (auth::LooksLikePat(del->token_id)) LATCHKEY_CHECK(!auth::IsTokenId(del->token_id));
  }
  Result<OboTokenInput> obo = DecodeOboToken(body);
  ExpectDecoded(obo);
  if (obo) ExpectDecoded(PatExpiry(obo->lifetime_seconds, TokenPolicy{}, std::nullopt, now));
  ExpectDecoded(DecodeSetPermissions(body));
  ExpectDecoded(DecodeSetConf(body));
  ExpectDecoded(DecodePrincipalInput(body));
  ExpectDecoded(DecodeGroupInput(body));
  ExpectDecoded(DecodePatch(body));
  Result<CreateSecretInput> secret = DecodeCreateSecret(body);
  ExpectDecoded(secret);
  if (secret && secret->lifetime) {
    LATCHKEY_CHECK(secret->lifetime->count() > 0 &&
                   *secret->lifetime <= kMaxOAuthSecretLifetime);
  }
  // Arrays of members / values anywhere in the body.
  for (const auto& [key, value] : body.items()) {
    ExpectDecoded(DecodeIdList(value, key));
    ExpectDecoded(DecodeValueList(value, key));
  }
}

void DecodeQuery(std::string_view query_text, const json& body) {
  Result<FormFields> query = ParseQuery(query_text);
  ExpectDecoded(query);
  if (!query) return;
  http::Request request;
  request.method = "GET";
  request.path = "/api/2.0/preview/scim/v2/Users";
  request.query = std::string(query_text);
  const ApiCall call{.http = request, .body = body, .query = *query};
  for (ScimResource resource :
       {ScimResource::kUsers, ScimResource::kServicePrincipals, ScimResource::kGroups}) {
    Result<ScimListQuery> list = DecodeScimListQuery(call, resource);
    ExpectDecoded(list);
    if (list) {
      LATCHKEY_CHECK(list->start_index >= 1);
      LATCHKEY_CHECK(list->count >= 0 && list->count <= kScimMaxCount);
    }
  }
  ExpectDecoded(DecodeGetConf(call));
  ExpectDecoded(DecodeListTokens(call));
  Result<AuditQuery> audit = DecodeAuditQuery(*query);
  ExpectDecoded(audit);
  if (audit) LATCHKEY_CHECK(audit->limit >= 1 && audit->limit <= 1000);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const size_t newline = input.find('\n');
  const std::string_view query =
      newline == std::string_view::npos ? std::string_view() : input.substr(0, newline);
  const std::string_view body_text =
      newline == std::string_view::npos ? input : input.substr(newline + 1);

  Result<json> body = ParseJsonBody(body_text);
  ExpectDecoded(body);
  if (body) {
    LATCHKEY_CHECK(body->is_object());
    DecodeBody(*body);
  }
  DecodeQuery(query, body ? *body : json::object());
  return 0;
}

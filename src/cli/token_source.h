// Access tokens the CLI obtains itself: Entra client credentials (v2 token endpoint) and
// Databricks OAuth M2M, kept in a 0600 JSON cache file so that each command does not ask for a
// new token, and refreshed before they expire. Single-threaded; the cache file is rewritten
// whole (last writer wins between concurrent CLI processes, which only costs a refetch).
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "base/clock.h"
#include "base/secret.h"
#include "cli/api_client.h"
#include "cli/cli_error.h"
#include "cli/http.h"

namespace latchkey::cli {

// The Azure Databricks resource (Entra app id) that workspace tokens are requested for.
inline constexpr const char* kDatabricksResource = "2ff814a6-3304-4ab8-85cb-cd0e6f879c1d";
inline constexpr const char* kGraphResource = "https://graph.microsoft.com";

struct AccessToken {
  Secret value;
  TimePoint obtained_at;
  TimePoint expires_at;
};

// A token is reused while more than min(5 min, half its lifetime) remains, so a token with a
// short lifetime is still reused for a while and a long one is replaced well before it expires.
bool IsFresh(const AccessToken& token, TimePoint now);

class TokenCache {
 public:
  explicit TokenCache(std::string path) : path_(std::move(path)) {}
  // A fresh token stored under `key`, if any. An unreadable cache counts as empty.
  std::optional<AccessToken> Find(const std::string& key, TimePoint now) const;
  // Stores the token under `key` and drops expired entries.
  CliStatus Store(const std::string& key, const AccessToken& token, TimePoint now);

 private:
  std::string path_;
};

struct ClientCredentials {
  std::string client_id;
  Secret client_secret;
};

// POST {authority}/{tenant}/oauth2/v2.0/token with grant_type=client_credentials and
// scope={resource}/.default (no normalisation, as az does). Token-endpoint refusals (400, 401,
// 403) are kAuthentication with the AADSTS text.
CliResult<AccessToken> RequestEntraToken(Transport& transport, const Clock& clock,
                                         const std::string& authority, const std::string& tenant,
                                         const ClientCredentials& credentials,
                                         const std::string& resource);

// Databricks OAuth M2M: discovers the token endpoint at {host}/oidc/.well-known/
// oauth-authorization-server, then POSTs grant_type=client_credentials&scope=all-apis with HTTP
// Basic client authentication.
CliResult<AccessToken> RequestOAuthM2mToken(Transport& transport, const Clock& clock,
                                            const std::string& host,
                                            const ClientCredentials& credentials);

// Databricks token federation (RFC 8693): discovers the token endpoint as RequestOAuthM2mToken
// does, then POSTs grant_type=urn:ietf:params:oauth:grant-type:token-exchange with the
// workload's JWT as subject_token, scope=all-apis and, when not empty, client_id (a service
// principal's federation policy). Refusals are kAuthentication with the server's description.
// GitHub Actions: an ID token for `audience` from the runner's token service
// (ACTIONS_ID_TOKEN_REQUEST_URL, authorised by ACTIONS_ID_TOKEN_REQUEST_TOKEN), answered as
// {"value": "<JWT>"}.
CliResult<Secret> RequestGithubActionsToken(Transport& transport, const std::string& request_url,
                                            const Secret& request_token,
                                            const std::string& audience);

CliResult<AccessToken> RequestTokenExchange(Transport& transport, const Clock& clock,
                                            const std::string& host, const std::string& client_id,
                                            const Secret& subject_token);
// A JWT read from a file (file-oidc), surrounding whitespace removed; kUsage if unreadable.
CliResult<Secret> ReadSubjectTokenFile(const std::string& path);
// What names a subject token in the token cache without holding it: its iss, sub, iat and exp.
std::string SubjectTokenCacheKey(const Secret& subject_token);

class StaticTokenProvider final : public TokenProvider {
 public:
  explicit StaticTokenProvider(Secret token) : token_(std::move(token)) {}
  CliResult<Secret> Token() override { return token_; }

 private:
  Secret token_;
};

// Returns the cached token for `key` while it is fresh, else calls `fetch` and caches the result.
class CachedTokenProvider final : public TokenProvider {
 public:
  using Fetch = std::function<CliResult<AccessToken>()>;
  CachedTokenProvider(TokenCache& cache, std::string key, const Clock& clock, Fetch fetch)
      : cache_(cache), key_(std::move(key)), clock_(clock), fetch_(std::move(fetch)) {}
  CliResult<Secret> Token() override;
  // The whole token (value and expiry), for `account get-access-token`.
  CliResult<AccessToken> Get();

 private:
  TokenCache& cache_;
  std::string key_;
  const Clock& clock_;
  Fetch fetch_;
};

// The cache key of an Entra token.
std::string EntraCacheKey(const std::string& authority, const std::string& tenant,
                          const std::string& client_id, const std::string& resource);

// A cached provider of Entra tokens for `resource`, keyed by authority, tenant, client and
// resource. Borrows `cache`, `transport` and `clock`.
std::unique_ptr<CachedTokenProvider> MakeEntraTokenProvider(TokenCache& cache, Transport& transport,
                                                            const Clock& clock,
                                                            const std::string& authority,
                                                            const std::string& tenant,
                                                            const ClientCredentials& credentials,
                                                            const std::string& resource);

}  // namespace latchkey::cli

#include "cli/token_source.h"

#include <algorithm>
#include <cctype>

#include "base/encoding.h"
#include "cli/file_io.h"

namespace latchkey::cli {
namespace {

constexpr std::chrono::seconds kMaxRefreshMargin{300};

std::string Form(std::initializer_list<std::pair<std::string_view, std::string_view>> fields) {
  std::string body;
  for (const auto& [name, value] : fields) {
    if (!body.empty()) body += '&';
    body += PercentEncode(name) + "=" + PercentEncode(value);
  }
  return body;
}

// Parses {access_token, expires_in} from a token endpoint's 2xx answer.
CliResult<AccessToken> ParseTokenResponse(const HttpResponse& response, const Clock& clock,
                                          const std::string& endpoint) {
  if (response.status < 200 || response.status >= 300) {
    CliError error = ErrorFromResponse(response);
    if (response.status == 400 || response.status == 401 || response.status == 403) {
      error.exit_code = ExitCode::kAuthentication;
    }
    return std::unexpected(error);
  }
  CliResult<Json> body = ParseJsonBody(response);
  if (!body) return std::unexpected(body.error());
  if (!body->is_object() || !body->contains("access_token") ||
      !(*body)["access_token"].is_string()) {
    return Fail(ExitCode::kServer, "no access_token in the answer of " + endpoint);
  }
  long long expires_in = 3600;
  if (const Json& e = body->value("expires_in", Json()); e.is_number()) {
    expires_in = e.get<long long>();
  } else if (e.is_string()) {
    expires_in = std::atoll(e.get<std::string>().c_str());
  }
  const TimePoint now = clock.Now();
  return AccessToken{Secret((*body)["access_token"].get<std::string>()), now,
                     now + std::chrono::seconds(expires_in)};
}

std::string TrimSlash(std::string url) {
  while (!url.empty() && url.back() == '/') url.pop_back();
  return url;
}

}  // namespace

bool IsFresh(const AccessToken& token, TimePoint now) {
  const auto lifetime = token.expires_at - token.obtained_at;
  const auto margin = std::min<std::chrono::system_clock::duration>(kMaxRefreshMargin, lifetime / 2);
  return now + margin < token.expires_at;
}

std::optional<AccessToken> TokenCache::Find(const std::string& key, TimePoint now) const {
  auto text = ReadFileIfExists(path_);
  if (!text || !*text) return std::nullopt;
  const Json cache = Json::parse(**text, nullptr, false);
  if (!cache.is_object() || !cache.contains("tokens") || !cache["tokens"].is_object()) {
    return std::nullopt;
  }
  const Json& entry = cache["tokens"].value(key, Json());
  if (!entry.is_object()) return std::nullopt;
  try {
    AccessToken token{Secret(entry.at("access_token").get<std::string>()),
                      FromUnixSeconds(entry.at("obtained_at").get<int64_t>()),
                      FromUnixSeconds(entry.at("expires_at").get<int64_t>())};
    if (!IsFresh(token, now)) return std::nullopt;
    return token;
  } catch (const Json::exception&) {
    return std::nullopt;  // a damaged entry is refetched
  }
}

CliStatus TokenCache::Store(const std::string& key, const AccessToken& token, TimePoint now) {
  Json cache = Json::object();
  if (auto text = ReadFileIfExists(path_); text && *text) {
    cache = Json::parse(**text, nullptr, false);
    if (!cache.is_object()) cache = Json::object();
  }
  if (!cache.contains("tokens") || !cache["tokens"].is_object()) cache["tokens"] = Json::object();
  Json kept = Json::object();
  for (auto& [k, v] : cache["tokens"].items()) {
    if (v.is_object() && v.value("expires_at", int64_t{0}) > ToUnixSeconds(now)) kept[k] = v;
  }
  kept[key] = Json{{"access_token", token.value.reveal()},
                   {"obtained_at", ToUnixSeconds(token.obtained_at)},
                   {"expires_at", ToUnixSeconds(token.expires_at)}};
  cache["tokens"] = std::move(kept);
  const size_t slash = path_.rfind('/');
  if (slash != std::string::npos) {
    if (auto made = MakePrivateDirectory(path_.substr(0, slash)); !made) return made;
  }
  return WriteFileAtomically(path_, cache.dump(2) + "\n", /*holds_secrets=*/true);
}

CliResult<AccessToken> RequestEntraToken(Transport& transport, const Clock& clock,
                                         const std::string& authority, const std::string& tenant,
                                         const ClientCredentials& credentials,
                                         const std::string& resource) {
  const std::string endpoint =
      TrimSlash(authority) + "/" + PercentEncode(tenant) + "/oauth2/v2.0/token";
  const std::string scope = resource + "/.default";
  HttpRequest request{"POST", endpoint, {}, ""};
  request.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
  request.headers.emplace_back("Accept", "application/json");
  request.body = Form({{"client_id", credentials.client_id},
                       {"client_secret", credentials.client_secret.reveal()},
                       {"grant_type", "client_credentials"},
                       {"scope", scope}});
  CliResult<HttpResponse> response = transport.Send(request);
  if (!response) return std::unexpected(response.error());
  return ParseTokenResponse(*response, clock, endpoint);
}

// The workspace's OAuth token endpoint, from its authorization-server metadata.
static CliResult<std::string> WorkspaceTokenEndpoint(Transport& transport,
                                                     const std::string& host) {
  ApiClient discovery(transport, TrimSlash(host), nullptr);
  CliResult<Json> metadata = discovery.Get("/oidc/.well-known/oauth-authorization-server");
  if (!metadata) return std::unexpected(metadata.error());
  if (!metadata->is_object() || !metadata->value("token_endpoint", Json()).is_string()) {
    return Fail(ExitCode::kServer, "no token_endpoint in " + host +
                                       "/oidc/.well-known/oauth-authorization-server");
  }
  return (*metadata)["token_endpoint"].get<std::string>();
}

CliResult<AccessToken> RequestOAuthM2mToken(Transport& transport, const Clock& clock,
                                            const std::string& host,
                                            const ClientCredentials& credentials) {
  CliResult<std::string> endpoint = WorkspaceTokenEndpoint(transport, host);
  if (!endpoint) return std::unexpected(endpoint.error());
  HttpRequest request{"POST", *endpoint, {}, ""};
  request.headers.emplace_back(
      "Authorization",
      "Basic " + Base64Encode(credentials.client_id + ":" + credentials.client_secret.reveal()));
  request.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
  request.headers.emplace_back("Accept", "application/json");
  request.body = Form({{"grant_type", "client_credentials"}, {"scope", "all-apis"}});
  CliResult<HttpResponse> response = transport.Send(request);
  if (!response) return std::unexpected(response.error());
  return ParseTokenResponse(*response, clock, *endpoint);
}

CliResult<AccessToken> RequestTokenExchange(Transport& transport, const Clock& clock,
                                            const std::string& host, const std::string& client_id,
                                            const Secret& subject_token) {
  CliResult<std::string> endpoint = WorkspaceTokenEndpoint(transport, host);
  if (!endpoint) return std::unexpected(endpoint.error());
  HttpRequest request{"POST", *endpoint, {}, ""};
  request.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
  request.headers.emplace_back("Accept", "application/json");
  request.body = Form({{"grant_type", "urn:ietf:params:oauth:grant-type:token-exchange"},
                       {"subject_token", subject_token.reveal()},
                       {"subject_token_type", "urn:ietf:params:oauth:token-type:jwt"},
                       {"scope", "all-apis"}});
  if (!client_id.empty()) request.body += "&" + Form({{"client_id", client_id}});
  CliResult<HttpResponse> response = transport.Send(request);
  if (!response) return std::unexpected(response.error());
  return ParseTokenResponse(*response, clock, *endpoint);
}

CliResult<Secret> ReadSubjectTokenFile(const std::string& path) {
  CliResult<std::optional<std::string>> text = ReadFileIfExists(path);
  if (!text) return std::unexpected(text.error());
  if (!text->has_value()) {
    return Fail(ExitCode::kUsage, "oidc_token_filepath " + path + " does not exist");
  }
  std::string token = std::move(**text);
  while (!token.empty() && std::isspace(static_cast<unsigned char>(token.back()))) token.pop_back();
  size_t start = 0;
  while (start < token.size() && std::isspace(static_cast<unsigned char>(token[start]))) ++start;
  return Secret(token.substr(start));
}

std::string SubjectTokenCacheKey(const Secret& subject_token) {
  const std::string& token = subject_token.reveal();
  const size_t a = token.find('.');
  const size_t b = a == std::string::npos ? a : token.find('.', a + 1);
  if (b == std::string::npos) return "malformed";
  std::optional<std::string> payload = Base64UrlDecode(std::string_view(token).substr(a + 1, b - a - 1));
  Json claims = payload ? Json::parse(*payload, nullptr, false) : Json();
  if (!claims.is_object()) return "malformed";
  auto text = [&](const char* name) {
    const Json& v = claims.value(name, Json());
    return v.is_string() ? v.get<std::string>() : v.is_number() ? v.dump() : std::string();
  };
  return text("iss") + "|" + text("sub") + "|" + text("iat") + "|" + text("exp");
}

CliResult<AccessToken> CachedTokenProvider::Get() {
  if (auto cached = cache_.Find(key_, clock_.Now())) return std::move(*cached);
  CliResult<AccessToken> fresh = fetch_();
  if (!fresh) return std::unexpected(fresh.error());
  // A cache that cannot be written only costs a refetch next time.
  (void)cache_.Store(key_, *fresh, clock_.Now());
  return fresh;
}

CliResult<Secret> CachedTokenProvider::Token() {
  CliResult<AccessToken> token = Get();
  if (!token) return std::unexpected(token.error());
  return std::move(token->value);
}

std::string EntraCacheKey(const std::string& authority, const std::string& tenant,
                          const std::string& client_id, const std::string& resource) {
  return "entra " + TrimSlash(authority) + " " + tenant + " " + client_id + " " + resource;
}

std::unique_ptr<CachedTokenProvider> MakeEntraTokenProvider(TokenCache& cache, Transport& transport,
                                                            const Clock& clock,
                                                            const std::string& authority,
                                                            const std::string& tenant,
                                                            const ClientCredentials& credentials,
                                                            const std::string& resource) {
  const std::string base = TrimSlash(authority);
  return std::make_unique<CachedTokenProvider>(
      cache, EntraCacheKey(base, tenant, credentials.client_id, resource), clock, [&transport, &clock, base, tenant, credentials, resource] {
        return RequestEntraToken(transport, clock, base, tenant, credentials, resource);
      });
}

CliResult<Secret> RequestGithubActionsToken(Transport& transport, const std::string& request_url,
                                            const Secret& request_token,
                                            const std::string& audience) {
  HttpRequest request{"GET", "", {}, ""};
  request.url = request_url + (request_url.find('?') == std::string::npos ? "?" : "&") +
                "audience=" + PercentEncode(audience);
  request.headers.emplace_back("Authorization", "Bearer " + request_token.reveal());
  request.headers.emplace_back("Accept", "application/json; api-version=2.0");
  CliResult<HttpResponse> response = transport.Send(request);
  if (!response) return std::unexpected(response.error());
  if (response->status != 200) {
    return Fail(ExitCode::kAuthentication, "the GitHub Actions ID token service answered HTTP " +
                                               std::to_string(response->status));
  }
  Json body = Json::parse(response->body, nullptr, false);
  if (!body.is_object() || !body.value("value", Json()).is_string()) {
    return Fail(ExitCode::kServer, "no ID token (value) in the GitHub Actions token service's answer");
  }
  return Secret(body["value"].get<std::string>());
}

}  // namespace latchkey::cli

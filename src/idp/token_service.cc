#include "idp/token_service.h"

#include <limits>
#include <memory>

#include "http/offload_context.h"
#include "base/encoding.h"
#include "base/json_writer.h"
#include "crypto/hash.h"
#include "crypto/x509.h"
#include "idp/client_auth.h"
#include "jose/jws.h"

namespace latchkey::idp {
namespace {

constexpr std::string_view kDefaultSuffix = "/.default";
constexpr size_t kMaxClientIdLength = 256;


// Signing failed, or the claims could not be written (a value that is not UTF-8).
EntraError ServerError() {
  return EntraError{500, "server_error", 90033,
                    "A transient error has occurred. Please try again."};
}

// The database is unreachable: fail closed, and do not count it against the client.
EntraError StoreDown() {
  return EntraError{503, "temporarily_unavailable", 90033,
                    "A transient error has occurred. Please try again."};
}

// Federated-token failures: ten times the password policy's counts (they cannot be guessed;
// the throttle only bounds the work a flood causes), the same windows and memory bound.
auth::LockoutPolicy FederationLockout(auth::LockoutPolicy p) {
  // Saturating: a policy that means "never" (a huge count) stays "never".
  auto times_ten = [](int n) { return n > std::numeric_limits<int>::max() / 10 ? n : n * 10; };
  p.address_failures = times_ten(p.address_failures);
  p.client_failures = times_ten(p.client_failures);
  p.familiar_failures = times_ten(p.familiar_failures);
  return p;
}

bool IsOidcScope(std::string_view s) {
  return s == "openid" || s == "profile" || s == "offline_access" || s == "email";
}

std::string TrimSlash(std::string s) {
  while (!s.empty() && s.back() == '/') s.pop_back();
  return s;
}

}  // namespace

struct TokenService::Resource {
  std::string aud;
  std::vector<std::string> roles;
  bool v2_token = false;
};

struct TokenService::Issued {
  std::string access_token;
  std::string resource;
  TimePoint issued_at;
  TimePoint expires_at;
};

std::string RequestBaseUrl(const http::Request& request) {
  // Only a well-formed authority is echoed into URLs; anything else (empty, non-ASCII, a
  // path or user info) names the listener the request came in on.
  std::string host(request.UrlAuthority());
  if (host.empty()) host = "127.0.0.1:" + std::to_string(request.local_port);
  return std::string(request.tls ? "https://" : "http://") + host;
}

std::string EntraIssuer(std::string_view tenant_id, bool v2) {
  return v2 ? "https://login.microsoftonline.com/" + std::string(tenant_id) + "/v2.0"
            : "https://sts.windows.net/" + std::string(tenant_id) + "/";
}

TokenService::TokenService(Directory& directory, keys::SigningKeys& keys, const Clock& clock,
                           Random& random, IdpOptions options)
    : directory_(directory),
      keys_(keys),
      clock_(clock),
      random_(random),
      options_(std::move(options)),
      throttle_(clock, options_.lockout),
      federation_throttle_(clock, FederationLockout(options_.lockout)),
      clients_(std::make_unique<ClientCache>(std::chrono::seconds(60), 10000)) {
  ClientCache* clients = clients_.get();
  subscription_ = directory_.store().AddChangeListener([clients](const store::Change& change) {
    if (change.kind == store::ChangeKind::kCredentialChanged) clients->Clear();
  });
}

std::expected<std::shared_ptr<const CachedClient>, EntraError> TokenService::LoadClient(
    const std::string& requested_id, std::string& tenant, bool fresh,
    const std::function<std::unexpected<EntraError>(EntraError)>& fail) {
  const std::string client_id = AsciiLower(requested_id);
  const std::string key = ClientCache::Key(tenant, client_id);
  const TimePoint now = clock_.Now();
  if (!fresh) {
    if (std::shared_ptr<const CachedClient> hit = clients_->Get(key, now)) {
      if (tenant.empty()) tenant = hit->app.tenant_id;
      return hit;
    }
  }
  const uint64_t generation = clients_->generation();
  auto app = directory_.store().GetApplicationByAppId(client_id);
  if (!app && app.error().code == ErrorCode::kUnavailable) return std::unexpected(StoreDown());
  if (!app) return fail(AppNotFoundInTenant(requested_id, tenant.empty() ? "adfs" : tenant));
  if (tenant.empty()) tenant = app->tenant_id;
  auto sp = directory_.store().FindDirectoryServicePrincipal(tenant, app->app_id);
  if (!sp && sp.error().code == ErrorCode::kUnavailable) return std::unexpected(StoreDown());
  if (!sp) return fail(AppNotFoundInTenant(requested_id, tenant));
  auto passwords = directory_.store().ListPasswordCredentials(app->object_id);
  if (!passwords) return std::unexpected(StoreDown());
  auto client = std::make_shared<const CachedClient>(
      CachedClient{std::move(*app), std::move(*sp), std::move(*passwords)});
  clients_->Put(key, client, now, generation);
  return client;
}

http::Response TokenService::Handle(const http::Request& request, TokenEndpoint endpoint) {
  auto issued = Issue(request, endpoint);
  if (!issued) {
    return RenderEntraError(issued.error(), clock_, random_, request.Header("client-request-id"));
  }
  const int64_t lifetime = ToUnixSeconds(issued->expires_at) - ToUnixSeconds(issued->issued_at);
  const int64_t expires_in = lifetime - 1;  // Entra answers 3599 for a one-hour token
  // Written directly, members in the order an nlohmann object sorts them: the response
  // is the same bytes without building one (bench/README.md, "Token issuance").
  JsonObjectWriter fields(issued->access_token.size() + 160);
  fields.String("access_token", issued->access_token);
  if (endpoint == TokenEndpoint::kV1) {
    // The v1 endpoint writes numbers as strings (spec §5.8).
    fields.String("expires_in", std::to_string(expires_in))
        .String("expires_on", std::to_string(ToUnixSeconds(issued->expires_at)))
        .String("ext_expires_in", std::to_string(expires_in))
        .String("not_before", std::to_string(ToUnixSeconds(issued->issued_at)))
        .String("resource", issued->resource);
  } else {
    fields.Int("expires_in", expires_in).Int("ext_expires_in", expires_in);
  }
  std::optional<std::string> body = fields.String("token_type", "Bearer").Finish();
  if (!body) {  // a resource that is not UTF-8 cannot have resolved; never send broken JSON
    return RenderEntraError(ServerError(), clock_, random_, request.Header("client-request-id"));
  }
  http::Response r = http::Response::Json(200, std::move(*body));
  r.SetHeader("Cache-Control", "no-store, no-cache");
  r.SetHeader("Pragma", "no-cache");
  return r;
}

namespace {

// The resource asked for, and whether the v2 form asked for it: v2 and /adfs take
// scope=<resource>/.default; v1 (and /adfs) take resource=.
std::expected<std::pair<std::string, bool>, EntraError> RequestedResource(const FormFields& form,
                                                                         TokenEndpoint endpoint) {
  const bool v2 = endpoint == TokenEndpoint::kV2 ||
                  (endpoint == TokenEndpoint::kAdfs && FindFormField(form, "scope") != nullptr);
  if (!v2) {
    std::string resource = FormField(form, "resource");
    if (resource.empty()) return std::unexpected(MissingParameter("resource"));
    return std::pair{std::move(resource), false};
  }
  const std::string scope = FormField(form, "scope");
  if (scope.empty()) return std::unexpected(InvalidScope(scope));
  std::string chosen;
  int count = 0;
  size_t pos = 0;
  while (pos <= scope.size()) {
    size_t sp_pos = scope.find(' ', pos);
    if (sp_pos == std::string::npos) sp_pos = scope.size();
    std::string part = scope.substr(pos, sp_pos - pos);
    if (!part.empty() && !IsOidcScope(part)) {
      chosen = part;
      ++count;
    }
    pos = sp_pos + 1;
  }
  if (count != 1 || chosen.size() <= kDefaultSuffix.size() || !chosen.ends_with(kDefaultSuffix)) {
    return std::unexpected(InvalidScope(scope));
  }
  return std::pair{chosen.substr(0, chosen.size() - kDefaultSuffix.size()), true};
}

}  // namespace

std::expected<TokenService::Issued, EntraError> TokenService::Issue(const http::Request& request,
                                                                    TokenEndpoint endpoint) {
  auto form = ParseForm(request.body);
  if (!form) return std::unexpected(InvalidRequest(900144, "The request body is not valid form data."));

  // Client credentials come from the body, HTTP Basic, or a client assertion.
  auto creds = ExtractClientCredentials(*form, request.Header("Authorization"));
  if (!creds) return std::unexpected(creds.error());

  const std::string grant_type = FormField(*form, "grant_type");
  if (grant_type.empty()) return std::unexpected(MissingParameter("grant_type"));
  if (grant_type != "client_credentials") return std::unexpected(UnsupportedGrantType(grant_type));
  if (creds->client_id.empty()) return std::unexpected(MissingParameter("client_id"));

  // Smart lockout: checked before the credential, with the client it names, so an address
  // the client has logged in from is not refused for someone else's failures.
  const std::string& client_id = creds->client_id;
  const std::string& address = request.remote_address;
  if (auto wait = throttle_.Check(client_id, address); wait.count() > 0) {
    if (options_.metrics != nullptr) options_.metrics->RateLimited("entra_token");
    return std::unexpected(Throttled(static_cast<int>(wait.count())));
  }
  auto fail = [&](EntraError e) -> std::unexpected<EntraError> {
    if (e.status == 401 || e.aadsts == 700016) {
      // Counted once, off the I/O thread (http/offload.h): on the fast path the request is
      // run again on the store pool, and this answer is discarded.
      if (http::DeferToPool()) return std::unexpected(std::move(e));
      throttle_.RecordFailure(client_id, address);
      if (options_.metrics != nullptr) options_.metrics->AuthFailure("client_auth");
    }
    return std::unexpected(std::move(e));
  };
  // A client id is a GUID or a short URI: a longer one names no client (and never reaches
  // the store or a cache key).
  if (client_id.size() > kMaxClientIdLength) {
    return fail(AppNotFoundInTenant(client_id, endpoint == TokenEndpoint::kAdfs ? "adfs" : ""));
  }

  // Tenant: from the path, or the client's home tenant on the tenant-less /adfs endpoint.
  std::string tenant;
  if (endpoint != TokenEndpoint::kAdfs) {
    tenant = AsciiLower(request.params.count("tenant") ? request.params.at("tenant") : "");
    if (!directory_.IsTenant(tenant)) return fail(TenantNotFound(tenant));
  }
  // The app, its SP in the tenant and its secrets: cached (ClientCache), so a token request
  // costs no store read in the common case.
  const std::string path_tenant = tenant;
  auto client = LoadClient(creds->client_id, tenant, false, fail);
  if (!client) return std::unexpected(client.error());
  std::expected<std::string, EntraError> appidacr =
      VerifyCredential(request, *creds, path_tenant, *client, tenant, fail);
  if (!appidacr) return std::unexpected(appidacr.error());
  const store::Application& app = (*client)->app;

  auto requested = RequestedResource(*form, endpoint);
  if (!requested) return std::unexpected(requested.error());
  const auto& [resource, v2] = *requested;
  auto res = ResolveResource(resource, app, tenant, endpoint == TokenEndpoint::kV2);
  if (!res) return std::unexpected(res.error());

  throttle_.RecordSuccess(client_id, address);
  const TimePoint now = clock_.Now();
  const TimePoint exp = now + options_.access_token_lifetime;
  auto jwt = SignAccessToken(**client, tenant, *res, *appidacr, now, exp);
  if (!jwt) return std::unexpected(ServerError());
  if (options_.metrics != nullptr) {
    options_.metrics->TokenIssued(v2 ? metrics::TokenKind::kEntraV2 : metrics::TokenKind::kEntraV1);
  }
  return Issued{std::move(*jwt), resource, now, exp};
}

std::expected<std::string, EntraError> TokenService::VerifyCredential(
    const http::Request& request, const ClientCredentials& creds, const std::string& path_tenant,
    std::shared_ptr<const CachedClient>& client, std::string& tenant, const Fail& fail) {
  if (creds.kind == ClientCredentialKind::kSecret) {
    auto st = VerifyClientSecret(client->passwords, client->app, creds.secret, clock_.Now());
    if (!st && st.error().status == 401) {
      // A password added since the cache was filled is not notified: read again before
      // failing (failures are throttled, so this cannot be used to load the store).
      tenant = path_tenant;
      auto fresh = LoadClient(creds.client_id, tenant, true, fail);
      if (!fresh) return std::unexpected(fresh.error());
      client = std::move(*fresh);
      st = VerifyClientSecret(client->passwords, client->app, creds.secret, clock_.Now());
    }
    if (!st) return fail(st.error());
    return "1";
  }
  if (creds.kind == ClientCredentialKind::kAssertion &&
      IsFederatedAssertion(creds.secret.reveal(), client->app.app_id)) {
    if (auto ok = VerifyFederated(request, creds, client->app, tenant); !ok) {
      return std::unexpected(ok.error());
    }
    return "2";
  }
  if (creds.kind == ClientCredentialKind::kAssertion) {
    if (auto st = VerifyClientAssertion(directory_.store(), client->app, creds.secret.reveal(),
                                        RequestBaseUrl(request), tenant, clock_.Now());
        !st) {
      return fail(st.error());
    }
    return "2";
  }
  return fail(MissingClientCredential());
}

std::expected<void, EntraError> TokenService::VerifyFederated(const http::Request& request,
                                                              const ClientCredentials& creds,
                                                              const store::Application& app,
                                                              const std::string& tenant) {
  // Workload identity federation: a token of an external issuer, matched against the app's
  // federated identity credentials (idp/federation.h). Audited either way, never the token.
  // Failures here are no secret guesses (a token needs the issuer's signature), so they
  // feed a throttle of their own: a flood of bad federated tokens slows federation down for
  // that client and address, never its secret logins.
  const std::string& client_id = creds.client_id;
  const std::string& address = request.remote_address;
  if (auto wait = federation_throttle_.Check(client_id, address); wait.count() > 0) {
    if (options_.metrics != nullptr) options_.metrics->RateLimited("entra_federation");
    return std::unexpected(Throttled(static_cast<int>(wait.count())));
  }
  auto credentials = directory_.store().ListFederatedCredentials(app.object_id);
  if (!credentials) return std::unexpected(StoreDown());
  auto matched = VerifyFederatedAssertion(*credentials, creds.secret.reveal(),
                                          options_.federation_keys, options_.federation,
                                          clock_.Now());
  if (!matched) {
    AuditFederation(request, app, tenant, creds.secret.reveal(), nullptr, matched.error());
    if (matched.error().aadsts != 50166 &&  // an issuer that is down is nobody's failure
        !http::DeferToPool()) {
      federation_throttle_.RecordFailure(client_id, address);
    }
    if (options_.metrics != nullptr) options_.metrics->AuthFailure("federation");
    return std::unexpected(matched.error());
  }
  federation_throttle_.RecordSuccess(client_id, address);
  AuditFederation(request, app, tenant, {}, &*matched, {});
  return {};
}

std::optional<std::string> TokenService::SignAccessToken(const CachedClient& client,
                                                         const std::string& tenant,
                                                         const Resource& res,
                                                         const std::string& appidacr,
                                                         TimePoint now, TimePoint exp) {
  const store::Application& app = client.app;
  const store::DirectoryServicePrincipal& sp = client.sp;
  // The claims of an Entra app-only token, written directly in sorted order (as an
  // nlohmann object would hold them): as an nlohmann object they cost ~100 allocations.
  // One issuer per tenant and version, whatever name the client used (docs/ARCHITECTURE.md,
  // "Issuers"): Entra's own canonical forms.
  const std::string iss = EntraIssuer(tenant, res.v2_token);
  JsonObjectWriter claims(768);
  if (!res.v2_token) claims.String("appid", app.app_id).String("appidacr", appidacr);
  claims.String("aud", res.aud);
  if (res.v2_token) claims.String("azp", app.app_id).String("azpacr", appidacr);
  claims.Int("exp", ToUnixSeconds(exp)).Int("iat", ToUnixSeconds(now));
  if (!res.v2_token) claims.String("idp", iss);
  claims.String("idtyp", "app")
      .String("iss", iss)
      .Int("nbf", ToUnixSeconds(now))
      .String("oid", sp.object_id);
  if (!res.roles.empty()) claims.StringArray("roles", res.roles);
  claims.String("sub", sp.object_id)
      .String("tid", tenant)
      .String("uti", Base64UrlEncode(random_.Bytes(16)))
      .String("ver", res.v2_token ? "2.0" : "1.0");
  std::optional<std::string> payload = claims.Finish();  // nullopt: a value is not UTF-8
  if (!payload) return std::nullopt;
  auto jwt = keys_.SignPayload(*payload);
  if (!jwt) return std::nullopt;
  return std::move(*jwt);
}

void TokenService::AuditFederation(const http::Request& request, const store::Application& app,
                                   const std::string& tenant, std::string_view assertion,
                                   const FederatedMatch* match, const EntraError& error) {
  if (!options_.audit) return;
  IdpAuditEvent event;
  event.actor = "app:" + app.app_id;
  event.remote_address = request.remote_address;
  if (match != nullptr) {
    event.action = "federation.exchange";
    event.target = "federated_credential:" + match->credential.id;
    event.detail = {{"credential", match->credential.name},
                    {"iss", match->issuer},
                    {"sub", match->subject},
                    {"tenant", tenant}};
  } else {
    event.failure = true;
    event.action = "federation.exchange_failed";
    event.target = "app:" + app.app_id;
    // The claims of a token that did not verify are the caller's words: kept short.
    std::string iss, sub;
    if (auto jwt = jose::ParseJwt(assertion)) {
      if (jwt->claims.contains("iss") && jwt->claims["iss"].is_string()) {
        iss = jwt->claims["iss"].get<std::string>().substr(0, 256);
      }
      if (jwt->claims.contains("sub") && jwt->claims["sub"].is_string()) {
        sub = jwt->claims["sub"].get<std::string>().substr(0, 256);
      }
    }
    event.detail = {{"aadsts", error.aadsts}, {"iss", iss}, {"sub", sub}, {"tenant", tenant}};
  }
  options_.audit(std::move(event));
}

std::expected<TokenService::Resource, EntraError> TokenService::ResolveResource(
    const std::string& resource, const store::Application& client, const std::string& tenant,
    bool v2) {
  const std::string lower = AsciiLower(resource);
  if (lower == kDatabricksResource) return Resource{std::string(kDatabricksResource), {}, false};
  if (TrimSlash(lower) == kGraphResource || lower == kGraphAppId) {
    return Resource{std::string(kGraphResource), client.granted_roles, false};
  }
  // Azure Resource Manager, and this service itself as the ARM endpoint of a custom az cloud
  // (az asks for its active-directory resource id, e.g. https://127.0.0.1:8443/).
  if (TrimSlash(lower) == "https://management.core.windows.net" ||
      TrimSlash(lower) == "https://management.azure.com") {
    return Resource{resource, {}, false};
  }
  if (lower.starts_with("https://") && options_.is_own_authority) {
    std::string authority = lower.substr(8);
    authority = authority.substr(0, authority.find('/'));
    // This server is also the Graph endpoint of such a cloud (`az ad`): the app's directory
    // roles go into the token, as for https://graph.microsoft.com.
    if (options_.is_own_authority(authority)) {
      return Resource{resource, client.granted_roles, false};
    }
  }
  // An app registration, by app id or identifier URI.
  Result<store::Application> target = IsGuid(lower)
                                          ? directory_.store().GetApplicationByAppId(lower)
                                          : directory_.store().FindApplicationByIdentifierUri(resource);
  if (target) return Resource{v2 ? target->app_id : resource, {}, v2};
  return std::unexpected(UnknownResource(resource, tenant));
}

}  // namespace latchkey::idp

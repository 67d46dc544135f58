#include "idp/identity_provider.h"

#include <nlohmann/json.hpp>

#include "base/encoding.h"
#include "auth/authenticator.h"
#include "idp/entra_error.h"
#include "jose/jws.h"

namespace latchkey::idp {
namespace {

using nlohmann::json;

http::Response JsonOk(const json& body) {
  return http::Response::Json(200, ResponseJson(body));
}

}  // namespace

IdentityProvider::IdentityProvider(store::Store& store, keys::SigningKeys& keys,
                                   const Clock& clock, Random& random, IdpOptions options)
    : store_(store),
      keys_(keys),
      clock_(clock),
      random_(random),
      directory_(store, clock, random),
      token_service_(directory_, keys, clock, random, options),
      is_own_authority_(options.is_own_authority),
      federation_keys_(options.federation_keys),
      audit_committed_(options.audit_committed),
      bearer_gate_(options.bearer_gate) {
  if (bearer_gate_ == nullptr) {
    own_gate_ = std::make_unique<auth::BearerGate>(clock, auth::BearerGateOptions{});
    bearer_gate_ = own_gate_.get();
  }
}

std::optional<std::string> IdentityProvider::ResolveTenant(std::string_view segment) {
  std::string s = AsciiLower(segment);
  if (directory_.IsTenant(s)) return s;
  if (IsGuid(s)) return std::nullopt;
  // A tenant may also be named (az resolves non-GUID tenants through discovery, spec §5.5).
  auto tenants = store_.ListTenants();
  if (!tenants) return std::nullopt;
  for (const auto& t : *tenants)
    if (IEquals(t.display_name, segment)) return t.id;
  return std::nullopt;
}

std::optional<std::string> IdentityProvider::OwnIssuerTenant(std::string_view iss) {
  // The canonical issuers this identity provider signs with (EntraIssuer), for its tenants.
  for (bool v2 : {false, true}) {
    const std::string_view prefix =
        v2 ? "https://login.microsoftonline.com/" : "https://sts.windows.net/";
    const std::string_view suffix = v2 ? "/v2.0" : "/";
    if (iss.starts_with(prefix) && iss.ends_with(suffix) &&
        iss.size() > prefix.size() + suffix.size()) {
      std::string tid(iss.substr(prefix.size(), iss.size() - prefix.size() - suffix.size()));
      if (IsGuid(tid) && directory_.IsTenant(tid) && EntraIssuer(tid, v2) == iss) return tid;
      return std::nullopt;
    }
  }
  // Issuers naming one of this server's own names (tokens of earlier versions, which named
  // the Host the client used): still this server's tenants.
  std::optional<std::string_view> after_scheme = AfterHttpScheme(iss);
  if (!after_scheme) return std::nullopt;
  std::string_view rest = *after_scheme;
  size_t slash = rest.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  std::string authority = AsciiLower(rest.substr(0, slash));
  if (!is_own_authority_ || !is_own_authority_(authority)) return std::nullopt;
  std::string_view path = rest.substr(slash + 1);  // "<tid>/" or "<tid>/v2.0"
  size_t next = path.find('/');
  if (next == std::string_view::npos) return std::nullopt;
  std::string tid(path.substr(0, next));
  std::string_view tail = path.substr(next);
  if (tail != "/" && tail != "/v2.0") return std::nullopt;
  if (!IsGuid(tid) || !directory_.IsTenant(tid)) return std::nullopt;
  return tid;
}

auth::Checked<jose::VerifiedJwt> IdentityProvider::VerifyOwnToken(
    const jose::ParsedJwt& token, const std::vector<std::string>& audiences) {
  jose::VerifyPolicy policy;
  policy.audiences = audiences;
  policy.issuer_check = [this](std::string_view iss) { return OwnIssuerTenant(iss).has_value(); };
  policy.required_claims = {"iss", "aud", "exp", "iat", "tid"};
  return auth::VerifyAccessToken(token, policy, keys_, clock_.Now());
}

http::Response IdentityProvider::OpenIdConfiguration(const http::Request& request,
                                                     std::string_view shape) {
  const std::string base = RequestBaseUrl(request);
  std::string tenant;
  std::string prefix;
  if (shape == "adfs") {
    prefix = base + "/adfs";
  } else {
    auto t = ResolveTenant(request.params.at("tenant"));
    if (!t) {
      return RenderEntraError(TenantNotFound(request.params.at("tenant")), clock_, random_,
                              request.Header("client-request-id"));
    }
    tenant = *t;
    prefix = base + "/" + tenant;
  }
  const bool v2 = shape == "v2";
  const std::string oauth = prefix + (v2 ? "/oauth2/v2.0" : "/oauth2");
  // Issue 24 item 5: latchkey's Entra side serves client credentials only. authorization_endpoint
  // stays because MSAL refuses a document without it (msal-common isOpenIdConfigResponse,
  // msal-python Authority), though latchkey answers no authorize request; response types,
  // response modes, the device-code and end-session endpoints are not advertised (no flow of
  // theirs works here). docs/operations.md §8c says why Entra interactive sign-in is not built.
  json doc = {
      {"token_endpoint", oauth + "/token"},
      {"token_endpoint_auth_methods_supported",
       {"client_secret_post", "private_key_jwt", "client_secret_basic"}},
      {"jwks_uri", prefix + (v2 ? "/discovery/v2.0/keys" : "/discovery/keys")},
      {"subject_types_supported", {"pairwise"}},
      {"id_token_signing_alg_values_supported", {"RS256"}},
      {"response_types_supported", json::array()},
      {"scopes_supported", {"openid", "profile", "email", "offline_access"}},
      {"grant_types_supported", {"client_credentials"}},
      {"issuer", shape == "adfs" ? prefix : EntraIssuer(tenant, v2)},
      {"request_uri_parameter_supported", false},
      {"authorization_endpoint", oauth + "/authorize"},
      {"tenant_region_scope", nullptr},
      {"cloud_instance_name", request.Host()},
      {"msgraph_host", request.Host()},
  };
  if (!tenant.empty()) doc["tenant_id"] = tenant;
  return JsonOk(doc);
}

http::Response IdentityProvider::Keys(const http::Request&) {
  http::Response r = JsonOk(keys_.Jwks());
  r.SetHeader("Cache-Control", "max-age=300, private");
  return r;
}

http::Response IdentityProvider::InstanceDiscovery(const http::Request& request) {
  // MSAL asks which tenant discovery document belongs to an authority (spec §5.6).
  const std::string base = RequestBaseUrl(request);
  std::string tenant = "common";
  auto form = ParseForm(request.query);
  if (!form) {
    // A broken escape, or text that is not UTF-8: no authority can be named that way.
    return RenderEntraError(EntraError{400, "invalid_instance", 50049,
                                       "Unknown or invalid instance."},
                            clock_, random_, request.Header("client-request-id"));
  }
  {
    for (const auto& [k, v] : *form) {
      if (k != "authorization_endpoint") continue;
      std::string_view u = v;
      size_t scheme = u.find("://");
      if (scheme == std::string_view::npos) continue;
      std::string_view path = u.substr(scheme + 3);
      size_t slash = path.find('/');
      if (slash == std::string_view::npos) continue;
      path = path.substr(slash + 1);
      tenant = std::string(path.substr(0, path.find('/')));
    }
  }
  const std::string host = request.Host();
  json doc = {{"tenant_discovery_endpoint",
               base + "/" + tenant + "/v2.0/.well-known/openid-configuration"},
              {"api-version", "1.1"},
              {"metadata",
               {{{"preferred_network", host}, {"preferred_cache", host}, {"aliases", {host}}}}}};
  return JsonOk(doc);
}

http::Response IdentityProvider::ArmMetadata(const http::Request& request) {
  // `az cloud register --endpoint-resource-manager URL` reads this (spec §5.7). The login
  // endpoint ends in /adfs so that az 2.45's MSAL skips Microsoft's instance discovery.
  const std::string base = RequestBaseUrl(request);
  json doc = {{"galleryEndpoint", base + "/"},
              {"graphEndpoint", base + "/graph/"},
              {"portalEndpoint", base + "/"},
              {"authentication",
               {{"loginEndpoint", base + "/adfs"},
                {"audiences", {base + "/"}},
                {"tenant", "common"},
                {"identityProvider", "AAD"}}},
              {"name", "Latchkey"},
              {"resourceManager", base + "/"},
              {"microsoftGraphResourceId", std::string(kGraphResource) + "/"}};
  return JsonOk(doc);
}

http::Response IdentityProvider::ArmList(const http::Request& request, std::string_view what) {
  // az login --allow-no-subscriptions lists subscriptions with the token it just got; answer
  // as an empty directory would, to callers holding a valid token of ours.
  // Any token of ours, whatever its audience, through the gate Graph and the workspace share.
  auth::Gated<jose::VerifiedJwt> verified = bearer_gate_->Admit<jose::VerifiedJwt>(
      request.Header("Authorization"), request.remote_address,
      [this](std::string_view token) -> auth::Checked<jose::VerifiedJwt> {
        auth::Checked<jose::ParsedJwt> parsed = auth::ParseBearerJwt(token);
        if (!parsed) return std::unexpected(std::move(parsed).error());
        jose::VerifyPolicy policy;
        policy.issuer_check = [this](std::string_view iss) {
          return OwnIssuerTenant(iss).has_value();
        };
        if (auto aud = parsed->claims.find("aud"); aud != parsed->claims.end() && aud->is_string()) {
          policy.audiences.push_back(aud->get<std::string>());
        }
        return auth::VerifyAccessToken(*parsed, policy, keys_, clock_.Now());
      });
  if (!verified) return RenderArmAuthFailure(verified.error(), RequestBaseUrl(request));
  if (what == "tenants") {
    std::string tid = verified->claims.value("tid", "");
    return JsonOk({{"value", {{{"id", "/tenants/" + tid}, {"tenantId", tid}}}}});
  }
  return JsonOk({{"value", json::array()}});
}

void IdentityProvider::RegisterRoutes(http::Router& router) {
  auto token = [this](TokenEndpoint e) {
    return [this, e](http::Request& r) { return token_service_.Handle(r, e); };
  };
  router.Add("POST", "/{tenant}/oauth2/v2.0/token", token(TokenEndpoint::kV2));
  router.Add("POST", "/{tenant}/oauth2/token", token(TokenEndpoint::kV1));
  router.Add("POST", "/adfs/oauth2/token", token(TokenEndpoint::kAdfs));

  auto discovery = [this](std::string shape) {
    return [this, shape](http::Request& r) { return OpenIdConfiguration(r, shape); };
  };
  router.Add("GET", "/{tenant}/v2.0/.well-known/openid-configuration", discovery("v2"));
  router.Add("GET", "/{tenant}/.well-known/openid-configuration", discovery("v1"));
  router.Add("GET", "/adfs/.well-known/openid-configuration", discovery("adfs"));
  router.Add("GET", "/adfs/{tenant}/.well-known/openid-configuration", discovery("v1"));

  auto keys = [this](http::Request& r) { return Keys(r); };
  router.Add("GET", "/{tenant}/discovery/v2.0/keys", keys);
  router.Add("GET", "/{tenant}/discovery/keys", keys);
  router.Add("GET", "/adfs/discovery/keys", keys);

  router.Add("GET", "/common/discovery/instance",
             [this](http::Request& r) { return InstanceDiscovery(r); });
  router.Add("GET", "/metadata/endpoints", [this](http::Request& r) { return ArmMetadata(r); });
  router.Add("GET", "/subscriptions",
             [this](http::Request& r) { return ArmList(r, "subscriptions"); });
  router.Add("GET", "/tenants", [this](http::Request& r) { return ArmList(r, "tenants"); });

  RegisterGraphRoutes(router, *this, clock_, random_);
}

}  // namespace latchkey::idp

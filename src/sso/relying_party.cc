#include "sso/relying_party.h"

#include <algorithm>

#include "base/encoding.h"
#include "crypto/hash.h"
#include "jose/jws.h"

namespace latchkey::sso {

using nlohmann::json;

namespace {

constexpr size_t kMaxKid = 256;
constexpr size_t kMaxUserName = 256;
constexpr size_t kPendingOverhead = 160;  // map node, deque slot, fixed fields
constexpr char kAdminsGroup[] = "admins";

std::string Str(const json& o, std::string_view name_view) {
  const std::string name(name_view);
  return o.is_object() && o.contains(name) && o[name].is_string() ? o[name].get<std::string>()
                                                                  : std::string();
}

std::unexpected<SignInError> Refuse(Refusal r, std::string message) {
  return std::unexpected(SignInError{r, std::move(message)});
}

std::string DiscoveryUrl(std::string_view issuer) {
  while (issuer.ends_with('/')) issuer.remove_suffix(1);
  return std::string(issuer) + "/.well-known/openid-configuration";
}

std::vector<std::string> StringList(const json& claims, const std::string& name) {
  std::vector<std::string> out;
  if (!claims.contains(name)) return out;
  const json& v = claims[name];
  if (v.is_string()) out.push_back(v.get<std::string>());
  if (v.is_array()) {
    for (const json& e : v)
      if (e.is_string() && out.size() < 1024) out.push_back(e.get<std::string>());
  }
  return out;
}

}  // namespace

const char* RefusalName(Refusal r) {
  switch (r) {
    case Refusal::kUnknownProvider: return "unknown_provider";
    case Refusal::kStateInvalid: return "state_invalid";
    case Refusal::kUpstreamError: return "upstream_error";
    case Refusal::kUpstreamUnavailable: return "upstream_unavailable";
    case Refusal::kExchangeFailed: return "code_exchange_failed";
    case Refusal::kIdTokenInvalid: return "id_token_invalid";
    case Refusal::kNonceMismatch: return "nonce_mismatch";
    case Refusal::kNotAllowed: return "not_allowed";
    case Refusal::kUnknownUser: return "unknown_user";
    case Refusal::kInactiveUser: return "inactive_user";
    case Refusal::kStore: return "store_unavailable";
  }
  return "unknown";
}

RelyingParty::RelyingParty(std::vector<ProviderConfig> providers, Deps deps,
                           RelyingPartyOptions options)
    : providers_(std::move(providers)), deps_(std::move(deps)), options_(options) {}

const ProviderConfig* RelyingParty::Find(std::string_view id) const {
  for (const ProviderConfig& p : providers_)
    if (p.id == id) return &p;
  return nullptr;
}

size_t RelyingParty::pending_bytes() const {
  std::lock_guard lock(mu_);
  return bytes_;
}

Result<RelyingParty::Endpoints> RelyingParty::EndpointsOf(const ProviderConfig& p) {
  const auto now = std::chrono::steady_clock::now();
  {
    std::lock_guard lock(mu_);
    if (auto it = endpoints_.find(p.id);
        it != endpoints_.end() && now - it->second.fetched < options_.discovery_ttl) {
      return it->second;
    }
  }
  Result<std::string> text = deps_.get(DiscoveryUrl(p.issuer));
  if (!text) return std::unexpected(text.error());
  json doc = json::parse(*text, nullptr, false);
  // OpenID Connect Discovery 1.0 §4.3: the document speaks for the configured issuer only.
  if (Str(doc, "issuer") != p.issuer) {
    return MakeError(ErrorCode::kUnavailable,
                     "provider " + p.id + ": the discovery document names another issuer");
  }
  Endpoints e{Str(doc, "authorization_endpoint"), Str(doc, "token_endpoint"), now};
  if (!e.authorization.starts_with("https://") || !e.token.starts_with("https://")) {
    return MakeError(ErrorCode::kUnavailable,
                     "provider " + p.id + ": authorization and token endpoints must be https URLs");
  }
  std::lock_guard lock(mu_);
  endpoints_[p.id] = e;
  return e;
}

Result<std::string> RelyingParty::Begin(std::string_view provider_id,
                                        const std::string& callback_url,
                                        std::string continuation) {
  const ProviderConfig* p = Find(provider_id);
  if (p == nullptr) return MakeError(ErrorCode::kNotFound, "no such sign-in provider");
  Result<Endpoints> ep = EndpointsOf(*p);
  if (!ep) return std::unexpected(ep.error());

  Pending pending;
  pending.provider_id = p->id;
  pending.verifier = Base64UrlEncode(deps_.random.Bytes(32));  // RFC 7636 §4.1: 43 chars
  pending.nonce = Base64UrlEncode(deps_.random.Bytes(24));
  pending.callback_url = callback_url;
  pending.continuation = std::move(continuation);
  pending.created = deps_.clock.Now();
  const std::string state = Base64UrlEncode(deps_.random.Bytes(32));
  pending.bytes = kPendingOverhead + state.size() * 2 + pending.provider_id.size() +
                  pending.verifier.size() + pending.nonce.size() + pending.callback_url.size() +
                  pending.continuation.size();
  if (pending.bytes > options_.max_pending_bytes) {
    return MakeError(ErrorCode::kInvalidArgument, "the sign-in request is too large");
  }
  std::string scope;
  for (const std::string& s : p->scopes) scope += (scope.empty() ? "" : " ") + s;
  std::string url = ep->authorization;
  url += url.find('?') == std::string::npos ? '?' : '&';
  url += "response_type=code&client_id=" + PercentEncode(p->client_id) +
         "&redirect_uri=" + PercentEncode(callback_url) + "&scope=" + PercentEncode(scope) +
         "&state=" + state + "&nonce=" + pending.nonce +
         "&code_challenge=" + Base64UrlEncode(crypto::Sha256(pending.verifier)) +
         "&code_challenge_method=S256";

  std::lock_guard lock(mu_);
  // Bounded in bytes: expired entries go first, then the oldest.
  const TimePoint now = pending.created;
  while (!order_.empty() && bytes_ + pending.bytes > options_.max_pending_bytes) {
    auto it = pending_.find(order_.front());
    order_.pop_front();
    if (it == pending_.end()) continue;
    bytes_ -= it->second.bytes;
    pending_.erase(it);
  }
  while (!order_.empty()) {
    auto it = pending_.find(order_.front());
    if (it != pending_.end() && now - it->second.created < options_.state_ttl) break;
    if (it != pending_.end()) {
      bytes_ -= it->second.bytes;
      pending_.erase(it);
    }
    order_.pop_front();
  }
  bytes_ += pending.bytes;
  order_.push_back(state);
  pending_.emplace(state, std::move(pending));
  return url;
}

std::optional<RelyingParty::Pending> RelyingParty::Take(const std::string& state) {
  std::lock_guard lock(mu_);
  auto it = pending_.find(state);
  if (it == pending_.end()) return std::nullopt;
  Pending p = std::move(it->second);
  bytes_ -= p.bytes;
  pending_.erase(it);  // one use, whatever happens next; order_ skips it later
  if (deps_.clock.Now() - p.created >= options_.state_ttl) return std::nullopt;
  return p;
}

std::expected<SignedIn, SignInError> RelyingParty::Complete(const Callback& cb) {
  if (cb.state.empty() || cb.state.size() > 128) {
    return Refuse(Refusal::kStateInvalid, "the sign-in state is missing or malformed");
  }
  std::optional<Pending> pending = Take(cb.state);
  if (!pending) {
    return Refuse(Refusal::kStateInvalid, "unknown, expired or already used sign-in state");
  }
  if (pending->callback_url != cb.callback_url) {
    return Refuse(Refusal::kStateInvalid, "the sign-in came back to another address");
  }
  const ProviderConfig* p = Find(pending->provider_id);
  if (p == nullptr) return Refuse(Refusal::kUnknownProvider, "the provider is gone");
  if (!cb.error.empty()) {
    return Refuse(Refusal::kUpstreamError, "the provider refused the sign-in");
  }
  if (cb.code.empty() || cb.code.size() > 4096) {
    return Refuse(Refusal::kExchangeFailed, "the callback carries no code");
  }
  Result<Endpoints> ep = EndpointsOf(*p);
  if (!ep) return Refuse(Refusal::kUpstreamUnavailable, ep.error().message);
  // RFC 6749 §2.3.1: client_secret_basic, both parts form-encoded.
  const std::string basic = "Basic " + Base64Encode(PercentEncode(p->client_id) + ":" +
                                                    PercentEncode(p->client_secret));
  const std::string form = "grant_type=authorization_code&code=" + PercentEncode(cb.code) +
                           "&redirect_uri=" + PercentEncode(pending->callback_url) +
                           "&code_verifier=" + PercentEncode(pending->verifier);
  Result<PostAnswer> answer = deps_.post(ep->token, form, basic);
  if (!answer) return Refuse(Refusal::kUpstreamUnavailable, answer.error().message);
  json body = json::parse(answer->body, nullptr, false);
  if (answer->status != 200) {
    std::string err = Str(body, "error").substr(0, 64);
    return Refuse(Refusal::kExchangeFailed,
                  "the token endpoint answered HTTP " + std::to_string(answer->status) +
                      (err.empty() ? "" : " " + err));
  }
  const std::string id_token = Str(body, "id_token");
  if (id_token.empty()) return Refuse(Refusal::kExchangeFailed, "the answer has no id_token");
  auto claims = VerifyIdToken(*p, id_token, pending->nonce);
  if (!claims) return std::unexpected(claims.error());
  auto signed_in = MapUser(*p, *claims);
  if (!signed_in) return signed_in;
  signed_in->continuation = std::move(pending->continuation);
  return signed_in;
}

std::expected<json, SignInError> RelyingParty::VerifyIdToken(const ProviderConfig& p,
                                                            const std::string& id_token,
                                                            const std::string& nonce) {
  auto jwt = jose::ParseJwt(id_token);
  if (!jwt) return Refuse(Refusal::kIdTokenInvalid, "the ID token is not a valid JWT");
  const std::string alg = Str(jwt->header, "alg");
  if (alg != "RS256" && alg != "ES256") {
    return Refuse(Refusal::kIdTokenInvalid, "ID token algorithm not allowed (RS256, ES256)");
  }
  const std::string kid = Str(jwt->header, "kid");
  if (kid.empty() || kid.size() > kMaxKid) {
    return Refuse(Refusal::kIdTokenInvalid, "the ID token has no kid");
  }
  const json& c = jwt->claims;
  // The issuer is checked before any key is looked up: only the configured issuer's keys are
  // ever fetched.
  if (Str(c, "iss") != p.issuer) {
    return Refuse(Refusal::kIdTokenInvalid, "the ID token is from another issuer");
  }
  Result<UpstreamKey> key = deps_.keys(p.issuer, kid);
  if (!key) {
    return Refuse(key.error().code == ErrorCode::kNotFound ? Refusal::kIdTokenInvalid
                                                           : Refusal::kUpstreamUnavailable,
                  "ID token key: " + key.error().message);
  }
  const bool verified =
      alg == "RS256" ? key->rsa && key->rsa->VerifyRs256(jwt->signing_input, jwt->signature)
                     : key->ec && key->ec->VerifyEs256(jwt->signing_input, jwt->signature);
  if (!verified) return Refuse(Refusal::kIdTokenInvalid, "the ID token's signature does not verify");
  std::vector<std::string> aud = StringList(c, "aud");
  if (std::find(aud.begin(), aud.end(), p.client_id) == aud.end()) {
    return Refuse(Refusal::kIdTokenInvalid, "the ID token is for another audience");
  }
  if (c.contains("azp") && Str(c, "azp") != p.client_id) {
    return Refuse(Refusal::kIdTokenInvalid, "the ID token's azp is another client");
  }
  const int64_t now = ToUnixSeconds(deps_.clock.Now());
  const int64_t skew = std::clamp<int64_t>(options_.skew.count(), 0, 300);
  if (!c.contains("exp") || !c["exp"].is_number() || !c.contains("iat") || !c["iat"].is_number()) {
    return Refuse(Refusal::kIdTokenInvalid, "the ID token needs exp and iat");
  }
  if (c["exp"].get<double>() <= static_cast<double>(now - skew)) {
    return Refuse(Refusal::kIdTokenInvalid, "the ID token has expired");
  }
  if (c["iat"].get<double>() > static_cast<double>(now + skew)) {
    return Refuse(Refusal::kIdTokenInvalid, "the ID token is issued in the future");
  }
  if (c.contains("nbf") &&
      (!c["nbf"].is_number() || c["nbf"].get<double>() > static_cast<double>(now + skew))) {
    return Refuse(Refusal::kIdTokenInvalid, "the ID token is not valid yet");
  }
  if (Str(c, "sub").empty()) return Refuse(Refusal::kIdTokenInvalid, "the ID token has no sub");
  if (!crypto::ConstantTimeEquals(Str(c, "nonce"), nonce)) {
    return Refuse(Refusal::kNonceMismatch, "the ID token's nonce is not the one sent");
  }
  return c;
}

std::expected<SignedIn, SignInError> RelyingParty::MapUser(const ProviderConfig& p,
                                                           const json& c) {
  std::string name = Str(c, p.username_claim);
  if (name.empty() || name.size() > kMaxUserName || !IsUtf8(name)) {
    return Refuse(Refusal::kNotAllowed, "the ID token has no usable " + p.username_claim + " claim");
  }
  if (p.username_claim == "email" && c.contains("email_verified") &&
      !(c["email_verified"].is_boolean() && c["email_verified"].get<bool>())) {
    return Refuse(Refusal::kNotAllowed, "the provider has not verified the email address");
  }
  if (!p.allowed_domains.empty()) {
    const size_t at = name.rfind('@');
    const std::string domain = at == std::string::npos ? std::string() : name.substr(at + 1);
    bool ok = false;
    for (const std::string& d : p.allowed_domains) ok = ok || (!domain.empty() && IEquals(d, domain));
    if (!ok) return Refuse(Refusal::kNotAllowed, "the user's domain is not allowed");
  }
  const std::vector<std::string> groups = StringList(c, p.groups_claim);
  auto in_groups = [&](const std::string& g) {
    return std::find(groups.begin(), groups.end(), g) != groups.end();
  };
  if (!p.allowed_groups.empty() &&
      std::none_of(p.allowed_groups.begin(), p.allowed_groups.end(), in_groups)) {
    return Refuse(Refusal::kNotAllowed, "the user is in none of the allowed groups");
  }

  SignedIn out;
  out.provider_id = p.id;
  out.subject = Str(c, "sub");
  const std::string actor = "sso:" + p.id;
  Result<store::Principal> user = deps_.store.FindUserByName(name);
  if (!user && user.error().code != ErrorCode::kNotFound) {
    return Refuse(Refusal::kStore, "the store is unavailable");
  }
  if (!user) {
    if (!p.jit_provisioning) return Refuse(Refusal::kUnknownUser, "no such workspace user");
    store::Principal np;
    np.id = 1000000000000000LL + static_cast<int64_t>(deps_.random.Uniform(8999999999999999ULL));
    np.kind = store::PrincipalKind::kUser;
    np.user_name = name;
    np.display_name = Str(c, "name").substr(0, 256);
    if (np.display_name.empty() || !IsUtf8(np.display_name)) np.display_name = name;
    np.active = true;
    np.created_at = deps_.clock.Now();
    json detail = {{"provider", p.id}, {"user_name", name}};
    store::AuditEvent event{.at = np.created_at, .actor = actor, .action = "sso.user_provisioned",
                            .target = "principal:" + std::to_string(np.id),
                            .detail = detail.dump(-1, ' ', false, json::error_handler_t::replace)};
    if (Status ok = deps_.store.CreatePrincipal(np, &event); !ok) {
      // A concurrent first sign-in may have created it.
      user = deps_.store.FindUserByName(name);
      if (!user) return Refuse(Refusal::kStore, "cannot create the user");
    } else {
      user = np;
      out.created = true;
    }
  }
  if (!user->active) return Refuse(Refusal::kInactiveUser, "the user is deactivated");
  if (!p.admin_group.empty() && in_groups(p.admin_group)) {
    Result<store::Group> admins = deps_.store.FindGroupByName(kAdminsGroup);
    if (admins && std::find(admins->member_ids.begin(), admins->member_ids.end(), user->id) ==
                      admins->member_ids.end()) {
      admins->member_ids.push_back(user->id);
      json detail = {{"provider", p.id}, {"group", p.admin_group}};
      store::AuditEvent event{.at = deps_.clock.Now(), .actor = actor,
                              .action = "sso.admin_granted",
                              .target = "principal:" + std::to_string(user->id),
                              .detail = detail.dump(-1, ' ', false, json::error_handler_t::replace)};
      if (Status ok = deps_.store.UpdateGroup(*admins, &event); !ok) {
        return Refuse(Refusal::kStore, "cannot update the admins group");
      }
    }
  }
  out.principal = std::move(*user);
  return out;
}

}  // namespace latchkey::sso

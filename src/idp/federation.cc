#include "idp/federation.h"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "http/offload_context.h"
#include "base/encoding.h"
#include "idp/client_auth.h"
#include "jose/jwk.h"
#include "jose/jws.h"

namespace latchkey::idp {
namespace {

using nlohmann::json;
using SteadyClock = std::chrono::steady_clock;

constexpr size_t kMaxKidLength = 256;

// A claim value quoted in an error description: printable ASCII, at most 200 characters.
std::string Quote(std::string_view v) {
  std::string out;
  for (char ch : v.substr(0, 200)) out += (ch >= 0x20 && ch < 0x7f) ? ch : '?';
  if (v.size() > 200) out += "...";
  return out;
}

EntraError NoMatch(std::string_view iss, std::string_view sub, std::string_view aud) {
  return {400, "invalid_request", 70021,
          "No matching federated identity record found for presented assertion. Assertion "
          "Issuer: '" + Quote(iss) + "'. Assertion Subject: '" + Quote(sub) +
              "'. Assertion Audience: '" + Quote(aud) + "'."};
}
EntraError NoIssuerMatch(std::string_view iss) {
  return {401, "invalid_client", 700211,
          "No matching federated identity record found for presented assertion issuer '" +
              Quote(iss) + "'. Issuers are compared exactly: a trailing slash makes another issuer."};
}
EntraError NoSubjectMatch(std::string_view sub) {
  return {401, "invalid_client", 700213,
          "No matching federated identity record found for presented assertion subject '" +
              Quote(sub) + "'. Check your federated identity credential Subject, Audience and "
                           "Issuer against the presented assertion."};
}
EntraError IssuerUnreachable(std::string_view detail) {
  return {400, "invalid_request", 50166,
          "Request to External OIDC endpoint failed: " + std::string(detail)};
}
EntraError KeyNotPublished(std::string_view kid, std::string_view iss) {
  return {401, "invalid_client", 7000272,
          "The key with identifier '" + Quote(kid) +
              "' used to sign the federated credential could not be found in the metadata of "
              "identity provider '" + Quote(iss) + "'."};
}

std::string StringClaim(const json& c, const char* name) {
  return c.contains(name) && c[name].is_string() ? c[name].get<std::string>() : std::string();
}

// The discovery URL of an issuer (OpenID Connect Discovery 1.0 §4: a trailing '/' is removed
// before the suffix is appended).
std::string DiscoveryUrl(std::string_view issuer) {
  while (issuer.ends_with('/')) issuer.remove_suffix(1);
  return std::string(issuer) + "/.well-known/openid-configuration";
}

}  // namespace

struct FederationKeys::Entry {
  std::shared_ptr<const KeyMap> keys;
  SteadyClock::time_point fetched_at{};    // last success
  SteadyClock::time_point attempted_at{};  // last attempt started
  bool attempted = false;
  bool in_flight = false;
  uint64_t generation = 0;  // attempts finished
  std::string last_error;
};

FederationKeys::FederationKeys(HttpsFetcher fetch, FederationOptions options)
    : fetch_(std::move(fetch)), options_(options) {
  for (int i = 0; i < std::max(1, options_.fetch_threads); ++i) {
    threads_.emplace_back([this] { Worker(); });
  }
}

FederationKeys::~FederationKeys() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  work_cv_.notify_all();
  done_cv_.notify_all();
  for (auto& t : threads_) t.join();
}

uint64_t FederationKeys::fetch_attempts() const {
  std::lock_guard lock(mu_);
  return attempts_;
}

std::shared_ptr<FederationKeys::Entry> FederationKeys::EntryFor(const std::string& issuer) {
  if (auto it = entries_.find(issuer); it != entries_.end()) return it->second;
  if (entries_.size() >= options_.max_issuers) {
    auto victim = entries_.end();
    for (auto it = entries_.begin(); it != entries_.end(); ++it) {
      if (it->second->in_flight) continue;
      if (victim == entries_.end() || it->second->attempted_at < victim->second->attempted_at) {
        victim = it;
      }
    }
    if (victim != entries_.end()) entries_.erase(victim);
  }
  auto e = std::make_shared<Entry>();
  entries_.emplace(issuer, e);
  return e;
}

bool FederationKeys::StartFetch(Entry& e, const std::string& issuer, SteadyClock::time_point now) {
  if (e.in_flight) return true;
  if (e.attempted && now - e.attempted_at < options_.refetch_interval) return false;
  e.in_flight = true;
  e.attempted = true;
  e.attempted_at = now;
  ++attempts_;
  queue_.push_back(issuer);
  work_cv_.notify_one();
  return true;
}

void FederationKeys::Prefetch(const std::string& issuer) {
  std::lock_guard lock(mu_);
  std::shared_ptr<Entry> e = EntryFor(issuer);
  const auto now = SteadyClock::now();
  if (e->keys && now - e->fetched_at < options_.keys_ttl) return;
  StartFetch(*e, issuer, now);
}

FederationKeys::Lookup FederationKeys::Find(const std::string& issuer, const std::string& kid) {
  std::unique_lock lock(mu_);
  std::shared_ptr<Entry> e = EntryFor(issuer);
  auto answer = [&](bool waited_out) -> Lookup {
    const auto now = SteadyClock::now();
    const bool fresh = e->keys && now - e->fetched_at < options_.keys_ttl;
    if (fresh) {
      if (auto it = e->keys->find(kid); it != e->keys->end()) {
        return {Outcome::kFound, it->second, {}};
      }
      return {Outcome::kUnknownKid, {}, "the issuer's JWKS has no key with this kid"};
    }
    if (waited_out) return {Outcome::kUnavailable, {}, "the issuer did not answer in time"};
    return {Outcome::kUnavailable, {},
            e->last_error.empty() ? "the issuer's keys are not available" : e->last_error};
  };
  const auto now = SteadyClock::now();
  const bool fresh = e->keys && now - e->fetched_at < options_.keys_ttl;
  if (fresh && e->keys->contains(kid)) return answer(false);
  // Waiting for a fetch would hold an I/O thread for up to request_wait: on the fast path the
  // request runs again on the store pool (http/offload.h), which starts the fetch and waits.
  if (http::DeferToPool()) return {Outcome::kUnavailable, {}, "deferred to the store pool"};
  // Unknown kid, stale or missing keys: fetch, unless the issuer was fetched within
  // refetch_interval (then answer from what there is: this bounds fetches per issuer).
  if (!StartFetch(*e, issuer, now)) return answer(false);
  // Wait for the fetch, but never past request_wait after it started: requests that come
  // later while it is still running answer at once.
  const auto deadline = e->attempted_at + options_.request_wait;
  const uint64_t generation = e->generation;
  const bool done = done_cv_.wait_until(lock, deadline, [&] {
    return stop_ || e->generation != generation || !e->in_flight;
  });
  return answer(!done);
}

void FederationKeys::Worker() {
  std::unique_lock lock(mu_);
  while (true) {
    work_cv_.wait(lock, [&] { return stop_ || !queue_.empty(); });
    if (stop_) return;
    std::string issuer = std::move(queue_.front());
    queue_.pop_front();
    lock.unlock();
    Result<KeyMap> keys = FetchKeys(issuer);
    lock.lock();
    auto it = entries_.find(issuer);
    if (it == entries_.end()) continue;  // evicted meanwhile (never while in flight)
    Entry& e = *it->second;
    e.in_flight = false;
    ++e.generation;
    if (keys) {
      e.keys = std::make_shared<const KeyMap>(std::move(*keys));
      e.fetched_at = SteadyClock::now();
      e.last_error.clear();
    } else {
      // Fail closed: stale keys are dropped once their TTL is over (answer() checks it).
      e.last_error = keys.error().message;
    }
    done_cv_.notify_all();
  }
}

Result<FederationKeys::KeyMap> FederationKeys::FetchKeys(const std::string& issuer) {
  const std::string discovery_url = DiscoveryUrl(issuer);
  Result<std::string> doc_text = fetch_(discovery_url);
  if (!doc_text) return std::unexpected(doc_text.error());
  json doc = json::parse(*doc_text, nullptr, false);
  if (!doc.is_object() || !doc.contains("issuer") || !doc["issuer"].is_string() ||
      !doc.contains("jwks_uri") || !doc["jwks_uri"].is_string()) {
    return MakeError(ErrorCode::kUnavailable,
                     "the discovery document has no issuer or jwks_uri");
  }
  // OpenID Connect Discovery 1.0 §4.3: the document speaks for the issuer it was fetched for.
  if (doc["issuer"].get<std::string>() != issuer) {
    return MakeError(ErrorCode::kUnavailable,
                     "the discovery document names another issuer than the registered one");
  }
  const std::string jwks_uri = doc["jwks_uri"].get<std::string>();
  if (!jwks_uri.starts_with("https://")) {
    return MakeError(ErrorCode::kUnavailable, "the jwks_uri is not an https URL");
  }
  Result<std::string> jwks_text = fetch_(jwks_uri);
  if (!jwks_text) return std::unexpected(jwks_text.error());
  json jwks = json::parse(*jwks_text, nullptr, false);
  if (!jwks.is_object() || !jwks.contains("keys") || !jwks["keys"].is_array()) {
    return MakeError(ErrorCode::kUnavailable, "the JWKS has no keys array");
  }
  KeyMap keys;
  for (const json& jwk : jwks["keys"]) {
    if (keys.size() >= options_.max_keys_per_issuer) break;
    if (!jwk.is_object() || !jwk.contains("kid") || !jwk["kid"].is_string()) continue;
    const std::string kid = jwk["kid"].get<std::string>();
    if (kid.empty() || kid.size() > kMaxKidLength) continue;
    if (jwk.contains("use") && jwk["use"] != "sig") continue;
    const std::string kty = jwk.value("kty", "");
    ExternalKey key;
    if (kty == "RSA") {
      auto rsa = jose::RsaPublicKeyFromJwk(jwk);  // >= 2048 bits, alg absent or RS256
      if (!rsa) continue;
      key.rsa = std::move(*rsa);
    } else if (kty == "EC") {
      if (jwk.value("crv", "") != "P-256") continue;
      if (jwk.contains("alg") && jwk["alg"] != "ES256") continue;
      if (!jwk.contains("x") || !jwk["x"].is_string() || !jwk.contains("y") || !jwk["y"].is_string()) {
        continue;
      }
      auto x = Base64UrlDecode(jwk["x"].get<std::string>());
      auto y = Base64UrlDecode(jwk["y"].get<std::string>());
      if (!x || !y) continue;
      auto ec = crypto::EcPublicKey::FromP256Coordinates(*x, *y);
      if (!ec) continue;
      key.ec = std::move(*ec);
    } else {
      continue;
    }
    keys.emplace(kid, std::move(key));
  }
  return keys;
}

bool IsFederatedAssertion(std::string_view assertion, std::string_view client_id) {
  auto jwt = jose::ParseJwt(assertion);
  if (!jwt) return false;
  const std::string iss = StringClaim(jwt->claims, "iss");
  return !iss.empty() && !IEquals(iss, client_id);
}

namespace {

// Which credential: exact, case-sensitive comparison of iss, then sub, then aud. Only a
// registered issuer's keys are ever fetched.
std::expected<const store::FederatedIdentityCredential*, EntraError> MatchCredential(
    const std::vector<store::FederatedIdentityCredential>& credentials, const json& c,
    const std::string& iss, const std::string& sub) {
  std::vector<std::string> auds;
  if (c.contains("aud") && c["aud"].is_string()) {
    auds.push_back(c["aud"].get<std::string>());
  } else if (c.contains("aud") && c["aud"].is_array()) {
    for (const json& a : c["aud"])
      if (a.is_string()) auds.push_back(a.get<std::string>());
  }
  const std::string aud_text = auds.empty() ? std::string() : auds.front();
  if (credentials.empty()) return std::unexpected(NoMatch(iss, sub, aud_text));
  bool issuer_known = false, subject_known = false;
  const store::FederatedIdentityCredential* match = nullptr;
  for (const auto& cred : credentials) {
    if (cred.issuer != iss) continue;
    issuer_known = true;
    if (cred.subject != sub) continue;
    subject_known = true;
    for (const auto& a : cred.audiences) {
      if (std::find(auds.begin(), auds.end(), a) != auds.end()) match = &cred;
    }
    if (match != nullptr) break;
  }
  if (!issuer_known) return std::unexpected(NoIssuerMatch(iss));
  if (!subject_known) return std::unexpected(NoSubjectMatch(sub));
  if (match == nullptr) return std::unexpected(NoMatch(iss, sub, aud_text));
  return match;
}

// The algorithm comes from the header, but only the two asymmetric ones are accepted, and
// each only with a key of its own type: "none", HS256 keyed with a public key, or RS256
// against an EC key never verify.
std::expected<void, EntraError> VerifyFederatedSignature(const jose::ParsedJwt& jwt,
                                                         const std::string& iss,
                                                         FederationKeys* keys) {
  const std::string alg = StringClaim(jwt.header, "alg");
  if (alg != "RS256" && alg != "ES256") {
    return std::unexpected(
        InvalidClientAssertion("federated tokens must be signed with RS256 or ES256"));
  }
  const std::string kid = StringClaim(jwt.header, "kid");
  if (kid.empty() || kid.size() > kMaxKidLength) {
    return std::unexpected(InvalidClientAssertion("the federated token has no kid header"));
  }
  if (keys == nullptr) return std::unexpected(IssuerUnreachable("federation is not enabled"));
  FederationKeys::Lookup found = keys->Find(iss, kid);
  if (found.outcome == FederationKeys::Outcome::kUnavailable) {
    return std::unexpected(IssuerUnreachable(found.detail));
  }
  if (found.outcome == FederationKeys::Outcome::kUnknownKid) {
    return std::unexpected(KeyNotPublished(kid, iss));
  }
  const bool verified =
      alg == "RS256" ? found.key.rsa && found.key.rsa->VerifyRs256(jwt.signing_input, jwt.signature)
                     : found.key.ec && found.key.ec->VerifyEs256(jwt.signing_input, jwt.signature);
  if (!verified) {
    return std::unexpected(InvalidClientAssertion(
        "the federated token's signature does not verify with the issuer's key '" + Quote(kid) +
        "'"));
  }
  return {};
}

// Time: exp and iat required, nbf optional; a small skew; a bounded lifetime.
std::optional<EntraError> FederatedTimeError(const json& c, const FederationOptions& options,
                                             TimePoint now) {
  const int64_t t = ToUnixSeconds(now);
  const int64_t skew = options.skew.count();
  const int64_t max_life = options.max_assertion_lifetime.count();
  if (!c.contains("exp") || !c["exp"].is_number() || !c.contains("iat") || !c["iat"].is_number()) {
    return InvalidClientAssertion("the federated token needs exp and iat claims");
  }
  const double exp = c["exp"].get<double>();
  const double iat = c["iat"].get<double>();
  constexpr std::string_view kNoun = "the federated token";
  if (auto expired = AssertionExpired(exp, t, skew, kNoun)) return expired;
  if (iat > static_cast<double>(t + skew)) {
    return ClientAssertionOutsideTime("the federated token is issued in the future");
  }
  if (auto early = AssertionNotYetValid(c, t, skew, kNoun)) return early;
  if (exp - iat > static_cast<double>(max_life) ||
      exp > static_cast<double>(t + max_life + skew)) {
    return InvalidClientAssertion("the federated token lives longer than " +
                                  std::to_string(max_life) + " seconds");
  }
  return std::nullopt;
}

}  // namespace

std::expected<FederatedMatch, EntraError> VerifyFederatedAssertion(
    const std::vector<store::FederatedIdentityCredential>& credentials,
    const std::string& assertion, FederationKeys* keys, const FederationOptions& options,
    TimePoint now) {
  auto jwt = jose::ParseJwt(assertion);
  if (!jwt) return std::unexpected(InvalidClientAssertion("the assertion is not a valid JWT"));
  const json& c = jwt->claims;
  const std::string iss = StringClaim(c, "iss");
  const std::string sub = StringClaim(c, "sub");
  auto match = MatchCredential(credentials, c, iss, sub);
  if (!match) return std::unexpected(match.error());
  if (auto verified = VerifyFederatedSignature(*jwt, iss, keys); !verified) {
    return std::unexpected(verified.error());
  }
  if (std::optional<EntraError> late = FederatedTimeError(c, options, now)) {
    return std::unexpected(std::move(*late));
  }
  return FederatedMatch{**match, iss, sub};
}

}  // namespace latchkey::idp

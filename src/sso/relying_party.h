// Upstream OpenID Connect sign-in (issue 24): latchkey as a relying party of one or more
// configured providers ([[sso.providers]]). Begin() builds the provider's authorization URL
// (authorization code, PKCE S256, state, nonce) and keeps what the callback needs server-side
// in a store bounded in bytes with a short TTL; Complete() consumes the state once, exchanges
// the code at the provider's token endpoint (HTTPS, bounded in bytes and time: the injected
// transport's limits), verifies the ID token strictly and maps it to a workspace user.
//
// ID token rules: alg RS256 or ES256 only, each only with a key of its type; kid required and
// looked up only among the keys of the configured issuer (never a URL or key in the token);
// iss equal to the configured issuer exactly; aud containing the client id (azp, if present,
// equal to it); exp and iat required, nbf honoured, `skew` tolerance; nonce equal to the one
// sent. Nothing durable is written before all of this passed; then the user must exist and be
// active (or be created when jit_provisioning is on), and pass allowed_domains/allowed_groups.
// Thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <expected>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/clock.h"
#include "base/random.h"
#include "base/result.h"
#include "crypto/ec.h"
#include "crypto/rsa.h"
#include "store/store.h"

namespace latchkey::sso {

struct ProviderConfig {
  std::string id;            // [a-z0-9_-]{1,64}, in URLs
  std::string display_name;  // "Sign in with <display_name>"
  std::string issuer;        // https, compared exactly with the ID token's iss
  std::string client_id;
  std::string client_secret;  // read from client_secret_file at start; never logged
  std::vector<std::string> scopes{"openid", "email", "profile"};
  std::string username_claim = "email";  // the claim that becomes the workspace user name
  std::string groups_claim = "groups";
  std::vector<std::string> allowed_domains;  // of the user name's part after '@'; empty: any
  std::vector<std::string> allowed_groups;   // one must be in groups_claim; empty: any
  std::string admin_group;  // upstream group whose members join the workspace "admins" group
  bool jit_provisioning = false;
};

struct RelyingPartyOptions {
  std::chrono::seconds state_ttl{600};     // a sign-in must come back within this
  size_t max_pending_bytes = 4 << 20;      // pending sign-ins, oldest dropped first
  std::chrono::seconds skew{60};           // exp / nbf / iat tolerance
  std::chrono::seconds discovery_ttl{3600};
};

// One key of an upstream issuer.
struct UpstreamKey {
  std::optional<crypto::RsaPublicKey> rsa;
  std::optional<crypto::EcPublicKey> ec;
};
// The key `kid` of `issuer` (app/serve.cc wires this to idp::FederationKeys); kNotFound for
// a kid the issuer does not publish, kUnavailable when its keys cannot be fetched.
using KeyLookup = std::function<Result<UpstreamKey>(const std::string& issuer, const std::string& kid)>;
// GET an https URL (bounded); the body of a 200, else kUnavailable.
using HttpsGetter = std::function<Result<std::string>(const std::string& url)>;
// POST an application/x-www-form-urlencoded body to an https URL (bounded), with an
// Authorization header when `authorization` is not empty; the body of any answer and its status.
struct PostAnswer {
  long status = 0;
  std::string body;
};
using HttpsFormPoster = std::function<Result<PostAnswer>(
    const std::string& url, const std::string& form, const std::string& authorization)>;

// Why a sign-in was refused: kind for the audit and the tests, message for the log.
enum class Refusal {
  kUnknownProvider,
  kStateInvalid,      // unknown, expired, used or for another callback
  kUpstreamError,     // the provider answered the callback with an error
  kUpstreamUnavailable,
  kExchangeFailed,    // the token endpoint refused the code
  kIdTokenInvalid,    // signature, alg, kid, iss, aud, times
  kNonceMismatch,
  kNotAllowed,        // domain or group outside the allow-lists, unverified email
  kUnknownUser,       // no such user and JIT provisioning off
  kInactiveUser,
  kStore,
};
const char* RefusalName(Refusal r);

struct SignInError {
  Refusal refusal;
  std::string message;  // never a secret, a code or a token
};

struct SignedIn {
  store::Principal principal;
  std::string provider_id;
  std::string subject;       // the upstream sub
  std::string continuation;  // what Begin() was given
  bool created = false;      // JIT-provisioned by this sign-in
};

class RelyingParty {
 public:
  struct Deps {
    store::Store& store;
    const Clock& clock;
    Random& random;
    HttpsGetter get;
    HttpsFormPoster post;
    KeyLookup keys;
  };
  RelyingParty(std::vector<ProviderConfig> providers, Deps deps, RelyingPartyOptions options = {});

  const std::vector<ProviderConfig>& providers() const { return providers_; }
  const ProviderConfig* Find(std::string_view id) const;

  // The provider's authorization URL for a sign-in that comes back to `callback_url` with
  // `continuation` (opaque to the relying party, bounded by the caller). Writes nothing durable.
  Result<std::string> Begin(std::string_view provider_id, const std::string& callback_url,
                            std::string continuation);

  struct Callback {
    std::string state;
    std::string code;
    std::string error;  // the provider's error parameter, if any
    std::string callback_url;  // the URL the callback came to (must equal Begin's)
  };
  std::expected<SignedIn, SignInError> Complete(const Callback& callback);

  size_t pending_bytes() const;

 private:
  struct Pending {
    std::string provider_id;
    std::string verifier;
    std::string nonce;
    std::string callback_url;
    std::string continuation;
    TimePoint created;
    size_t bytes = 0;
  };
  struct Endpoints {
    std::string authorization;
    std::string token;
    std::chrono::steady_clock::time_point fetched{};
  };
  Result<Endpoints> EndpointsOf(const ProviderConfig& p);
  std::optional<Pending> Take(const std::string& state);
  std::expected<nlohmann::json, SignInError> VerifyIdToken(const ProviderConfig& p,
                                                          const std::string& id_token,
                                                          const std::string& nonce);
  std::expected<SignedIn, SignInError> MapUser(const ProviderConfig& p, const nlohmann::json& claims);

  std::vector<ProviderConfig> providers_;
  Deps deps_;
  RelyingPartyOptions options_;
  mutable std::mutex mu_;
  std::map<std::string, Pending, std::less<>> pending_;
  std::deque<std::string> order_;  // states, oldest first (some may be gone already)
  size_t bytes_ = 0;
  std::map<std::string, Endpoints, std::less<>> endpoints_;
};

}  // namespace latchkey::sso

// Workload identity federation, Entra side (issue 21): an application's federated identity
// credentials (store::FederatedIdentityCredential) let a token from an external OpenID issuer
// stand in for a client secret. The token comes as a client assertion whose iss is not the
// client id; iss, sub and one aud must equal one credential's exactly, and its signature must
// verify under the issuer's keys.
//
// Keys (FederationKeys) are fetched only for an issuer named by a credential that the token
// already matched, never from a URL in the token; discovery is <issuer>/.well-known/
// openid-configuration, whose "issuer" must equal the registered issuer exactly; fetches are
// HTTPS only, bounded in bytes and time (the HttpsFetcher's limits), and run on fetch threads
// of their own: a token request waits for one at most `request_wait`, and an issuer is fetched
// at most once per `refetch_interval` (an unknown kid, a failure), so an issuer that is slow,
// down or flooded with unknown kids costs other requests nothing. Thread-safe.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <expected>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "base/clock.h"
#include "base/result.h"
#include "crypto/ec.h"
#include "crypto/rsa.h"
#include "idp/entra_error.h"
#include "store/records.h"

namespace latchkey::idp {

// Entra's limit of federated identity credentials per application.
inline constexpr int kMaxFederatedCredentialsPerApp = 20;
// The audience Entra expects in a federated token unless a credential names another.
inline constexpr std::string_view kFederationDefaultAudience = "api://AzureADTokenExchange";

struct FederationOptions {
  std::chrono::seconds keys_ttl{3600};           // keys older than this are fetched again
  std::chrono::seconds refetch_interval{60};     // at most one fetch per issuer per interval
  std::chrono::milliseconds request_wait{2000};  // how long a token request waits for a fetch
  std::chrono::seconds max_assertion_lifetime{86400};  // exp - iat of an accepted token
  std::chrono::seconds skew{60};                 // tolerance for exp, nbf and iat
  size_t max_issuers = 1024;                     // issuers whose keys are cached
  size_t max_keys_per_issuer = 64;               // keys kept from one JWKS
  int fetch_threads = 2;
};

// GETs an https URL with the caller's limits (CA bundle, bytes, time). kUnavailable on any
// failure, with a message fit for the log (never a response body).
using HttpsFetcher = std::function<Result<std::string>(const std::string& url)>;

struct ExternalKey {
  std::optional<crypto::RsaPublicKey> rsa;
  std::optional<crypto::EcPublicKey> ec;
};

class FederationKeys {
 public:
  FederationKeys(HttpsFetcher fetch, FederationOptions options);
  ~FederationKeys();
  FederationKeys(const FederationKeys&) = delete;
  FederationKeys& operator=(const FederationKeys&) = delete;

  enum class Outcome { kFound, kUnknownKid, kUnavailable };
  struct Lookup {
    Outcome outcome = Outcome::kUnavailable;
    ExternalKey key;
    std::string detail;  // why not found, for the error description and the log
  };
  // The key `kid` of `issuer`, which must be an issuer registered in a federated credential.
  Lookup Find(const std::string& issuer, const std::string& kid);
  // Starts fetching `issuer`'s keys in the background (a credential naming it was saved).
  void Prefetch(const std::string& issuer);

  const FederationOptions& options() const { return options_; }
  // Fetch attempts started so far (discovery + JWKS count as one), for tests and metrics.
  uint64_t fetch_attempts() const;

 private:
  struct Entry;
  using KeyMap = std::map<std::string, ExternalKey, std::less<>>;
  void Worker();
  Result<KeyMap> FetchKeys(const std::string& issuer);
  // Under mu_: the entry of `issuer`, created (evicting the least recently attempted idle
  // entry past max_issuers) if missing.
  std::shared_ptr<Entry> EntryFor(const std::string& issuer);
  // Under mu_: queues a fetch unless one is in flight or one ran within refetch_interval.
  bool StartFetch(Entry& e, const std::string& issuer, std::chrono::steady_clock::time_point now);

  HttpsFetcher fetch_;
  FederationOptions options_;
  mutable std::mutex mu_;
  std::condition_variable work_cv_;  // the fetch threads wait for work
  std::condition_variable done_cv_;  // token requests wait for a fetch
  std::map<std::string, std::shared_ptr<Entry>, std::less<>> entries_;
  std::deque<std::string> queue_;
  uint64_t attempts_ = 0;
  bool stop_ = false;
  std::vector<std::thread> threads_;
};

// What matched, for the audit trail.
struct FederatedMatch {
  store::FederatedIdentityCredential credential;
  std::string issuer;
  std::string subject;
};

// Whether a client assertion is a federated token rather than one the client signed itself
// (RFC 7523 client authentication has iss = client id; a federated token names its issuer).
bool IsFederatedAssertion(std::string_view assertion, std::string_view client_id);

// Checks a federated token against the application's credentials: AADSTS70021 when the app has
// none or none matches the audience, AADSTS700211 (issuer) and AADSTS700213 (subject) when no
// credential names them, AADSTS700027 for an algorithm other than RS256/ES256 or a bad
// signature, AADSTS7000272 for a kid the issuer does not publish, AADSTS50166 when the
// issuer's keys cannot be fetched, AADSTS700024 outside exp/nbf/iat, and AADSTS700027 for a
// lifetime above options.max_assertion_lifetime. `keys` null: federation is off (AADSTS50166).
std::expected<FederatedMatch, EntraError> VerifyFederatedAssertion(
    const std::vector<store::FederatedIdentityCredential>& credentials,
    const std::string& assertion, FederationKeys* keys, const FederationOptions& options,
    TimePoint now);

}  // namespace latchkey::idp

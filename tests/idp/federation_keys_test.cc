// FederationKeys (idp/federation.h): an external issuer's keys, fetched through discovery over
// the HttpsFetcher (here a table of documents standing in for the issuer's web server; the keys
// are real RSA keys and the JWKS parsing and checks are the real ones). The key a token names
// is found after one fetch; a discovery document that names another issuer, a non-https
// jwks_uri, a weak key or an unreachable issuer yield no key; unknown kids cannot make it
// fetch more than once per refetch_interval.
#include <atomic>
#include <map>
#include <mutex>

#include "idp/federation.h"
#include "idp_test_support.h"
#include "jose/jwk.h"

namespace latchkey::idp::testing {
namespace {

constexpr char kIssuer[] = "https://issuer.example.test/tenant-a";

// The issuer's documents by URL; a URL not in the table is unreachable.
class FakeIssuerWeb {
 public:
  void Serve(const std::string& url, std::string body) {
    std::lock_guard lock(mu_);
    documents_[url] = std::move(body);
  }
  HttpsFetcher Fetcher() {
    return [this](const std::string& url) -> Result<std::string> {
      ++requests_;
      std::lock_guard lock(mu_);
      auto it = documents_.find(url);
      if (it == documents_.end()) return MakeError(ErrorCode::kUnavailable, "connection refused");
      return it->second;
    };
  }
  int requests() const { return requests_; }

  // A well-formed issuer: discovery naming `issuer`, and a JWKS of `keys`.
  void ServeIssuer(const std::string& issuer, const json& keys,
                   const std::string& jwks_uri = std::string(kIssuer) + "/keys") {
    Serve(std::string(kIssuer) + "/.well-known/openid-configuration",
          json{{"issuer", issuer}, {"jwks_uri", jwks_uri}}.dump());
    Serve(jwks_uri, json{{"keys", keys}}.dump());
  }

 private:
  std::mutex mu_;
  std::map<std::string, std::string> documents_;
  std::atomic<int> requests_{0};
};

FederationOptions FastOptions() {
  FederationOptions options;
  options.request_wait = std::chrono::milliseconds(5000);
  options.refetch_interval = std::chrono::seconds(60);
  options.fetch_threads = 1;
  return options;
}

TEST(FederationKeysTest, TheKeyATokenNamesIsFoundAfterOneFetchAndThenServedFromCache) {
  FakeIssuerWeb web;
  web.ServeIssuer(kIssuer, json::array({jose::RsaPublicJwk(ServerKey().PublicKey(), "k1")}));
  FederationKeys keys(web.Fetcher(), FastOptions());

  FederationKeys::Lookup found = keys.Find(kIssuer, "k1");
  ASSERT_EQ(found.outcome, FederationKeys::Outcome::kFound) << found.detail;
  ASSERT_TRUE(found.key.rsa.has_value());
  EXPECT_EQ(found.key.rsa->ToPem(), ServerKey().PublicKey().ToPem());
  EXPECT_EQ(keys.fetch_attempts(), 1u);
  EXPECT_EQ(web.requests(), 2);  // discovery, then the JWKS

  for (int i = 0; i < 5; ++i) EXPECT_EQ(keys.Find(kIssuer, "k1").outcome, FederationKeys::Outcome::kFound);
  EXPECT_EQ(keys.fetch_attempts(), 1u);
  EXPECT_EQ(web.requests(), 2);
}

TEST(FederationKeysTest, UnknownKidsFetchAtMostOncePerRefetchInterval) {
  FakeIssuerWeb web;
  web.ServeIssuer(kIssuer, json::array({jose::RsaPublicJwk(ServerKey().PublicKey(), "k1")}));
  FederationKeys keys(web.Fetcher(), FastOptions());
  ASSERT_EQ(keys.Find(kIssuer, "k1").outcome, FederationKeys::Outcome::kFound);

  // A flood of made-up kids: the first may start one fetch, the rest answer from the cache.
  for (int i = 0; i < 50; ++i) {
    FederationKeys::Lookup l = keys.Find(kIssuer, "made-up-" + std::to_string(i));
    EXPECT_EQ(l.outcome, FederationKeys::Outcome::kUnknownKid) << i << ": " << l.detail;
  }
  EXPECT_LE(keys.fetch_attempts(), 2u);
  EXPECT_LE(web.requests(), 4);
  EXPECT_EQ(keys.Find(kIssuer, "k1").outcome, FederationKeys::Outcome::kFound);
}

TEST(FederationKeysTest, ADiscoveryDocumentForAnotherIssuerYieldsNoKey) {
  FakeIssuerWeb web;
  // A trailing slash makes another issuer (OpenID Connect Discovery §4.3: exact match).
  web.ServeIssuer(std::string(kIssuer) + "/",
                  json::array({jose::RsaPublicJwk(ServerKey().PublicKey(), "k1")}));
  FederationKeys keys(web.Fetcher(), FastOptions());
  FederationKeys::Lookup l = keys.Find(kIssuer, "k1");
  EXPECT_EQ(l.outcome, FederationKeys::Outcome::kUnavailable);
  EXPECT_THAT(l.detail, ::testing::HasSubstr("another issuer"));
  EXPECT_EQ(web.requests(), 1);  // the JWKS it names is never fetched
}

TEST(FederationKeysTest, APlainHttpJwksUriIsNeverFetched) {
  FakeIssuerWeb web;
  web.ServeIssuer(kIssuer, json::array({jose::RsaPublicJwk(ServerKey().PublicKey(), "k1")}),
                  "http://issuer.example.test/keys");
  FederationKeys keys(web.Fetcher(), FastOptions());
  FederationKeys::Lookup l = keys.Find(kIssuer, "k1");
  EXPECT_EQ(l.outcome, FederationKeys::Outcome::kUnavailable);
  EXPECT_THAT(l.detail, ::testing::HasSubstr("https"));
  EXPECT_EQ(web.requests(), 1);
}

TEST(FederationKeysTest, KeysThatAreWeakForeignOrNotForSigningAreDropped) {
  FakeIssuerWeb web;
  json weak = jose::RsaPublicJwk(ServerKey().PublicKey(), "weak");
  weak["n"] = weak["n"].get<std::string>().substr(0, 100);  // a 600-bit modulus
  json encryption = jose::RsaPublicJwk(ServerKey().PublicKey(), "enc");
  encryption["use"] = "enc";
  json other_alg = jose::RsaPublicJwk(ServerKey().PublicKey(), "hs");
  other_alg["alg"] = "HS256";
  web.ServeIssuer(kIssuer, json::array({weak, encryption, other_alg,
                                        jose::RsaPublicJwk(ServerKey().PublicKey(), "good")}));
  FederationKeys keys(web.Fetcher(), FastOptions());
  EXPECT_EQ(keys.Find(kIssuer, "good").outcome, FederationKeys::Outcome::kFound);
  for (const char* kid : {"weak", "enc", "hs"}) {
    EXPECT_EQ(keys.Find(kIssuer, kid).outcome, FederationKeys::Outcome::kUnknownKid) << kid;
  }
}

TEST(FederationKeysTest, AnUnreachableIssuerIsUnavailableNotAnUnknownKid) {
  FakeIssuerWeb web;  // serves nothing
  FederationKeys keys(web.Fetcher(), FastOptions());
  FederationKeys::Lookup l = keys.Find(kIssuer, "k1");
  EXPECT_EQ(l.outcome, FederationKeys::Outcome::kUnavailable);
  EXPECT_THAT(l.detail, ::testing::HasSubstr("connection refused"));
  // Within refetch_interval the failure is remembered, not retried for every request.
  EXPECT_EQ(keys.Find(kIssuer, "k1").outcome, FederationKeys::Outcome::kUnavailable);
  EXPECT_EQ(keys.fetch_attempts(), 1u);
}

}  // namespace
}  // namespace latchkey::idp::testing

// The relying party against a real store (SQLite in memory), real RSA keys and real JWTs. The
// upstream provider is played in-process: its discovery document, and a token endpoint that
// checks the client's Basic credentials, the code, the redirect URI and the PKCE verifier
// against the challenge it was sent, as a provider does, then signs an ID token.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "base/encoding.h"
#include "crypto/hash.h"
#include "jose/jws.h"
#include "sso/relying_party.h"
#include "store/store.h"

namespace latchkey::sso {
namespace {

using nlohmann::json;

constexpr char kIssuer[] = "https://idp.example.test/realms/corp";
constexpr char kClientId[] = "latchkey-rp";
constexpr char kSecret[] = "s3cret with spaces&symbols";
constexpr char kCallback[] = "https://latchkey.example.test/sso/callback";

const crypto::RsaPrivateKey& UpstreamSigningKey() {
  static const crypto::RsaPrivateKey key = *crypto::RsaPrivateKey::Generate(2048);
  return key;
}
const crypto::RsaPrivateKey& OtherKey() {
  static const crypto::RsaPrivateKey key = *crypto::RsaPrivateKey::Generate(2048);
  return key;
}

std::map<std::string, std::string> QueryOf(const std::string& url) {
  std::map<std::string, std::string> out;
  auto q = url.find('?');
  auto form = ParseForm(url.substr(q + 1));
  for (auto& [k, v] : *form) out[k] = v;
  return out;
}

class RelyingPartyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = std::move(*store::OpenStore("sqlite::memory:"));
    provider_.id = "corp";
    provider_.display_name = "Corp";
    provider_.issuer = kIssuer;
    provider_.client_id = kClientId;
    provider_.client_secret = kSecret;
    Make();
  }
  void Make() {
    rp_ = std::make_unique<RelyingParty>(
        std::vector<ProviderConfig>{provider_},
        RelyingParty::Deps{
            *store_, clock_, random_,
            [this](const std::string& url) -> Result<std::string> {
              ++gets_;
              if (url != std::string(kIssuer) + "/.well-known/openid-configuration") {
                return MakeError(ErrorCode::kUnavailable, "404");
              }
              return json{{"issuer", discovery_issuer_},
                          {"authorization_endpoint", std::string(kIssuer) + "/auth"},
                          {"token_endpoint", std::string(kIssuer) + "/token"}}
                  .dump();
            },
            [this](const std::string& url, const std::string& form,
                   const std::string& authorization) { return TokenEndpoint(url, form, authorization); },
            [this](const std::string& issuer, const std::string& kid) -> Result<UpstreamKey> {
              ++key_lookups_;
              if (issuer != kIssuer) return MakeError(ErrorCode::kUnavailable, "not fetched");
              if (kid != "k1") return MakeError(ErrorCode::kNotFound, "unknown kid");
              return UpstreamKey{UpstreamSigningKey().PublicKey(), std::nullopt};
            }},
        options_);
  }

  // The provider's token endpoint.
  Result<PostAnswer> TokenEndpoint(const std::string& url, const std::string& form,
                                   const std::string& authorization) {
    if (url != std::string(kIssuer) + "/token") return PostAnswer{404, "{}"};
    const std::string basic =
        "Basic " + Base64Encode(PercentEncode(kClientId) + ":" + PercentEncode(kSecret));
    if (authorization != basic) return PostAnswer{401, R"({"error":"invalid_client"})"};
    std::map<std::string, std::string> f;
    std::optional<FormFields> fields = ParseForm(form);
    if (!fields) return PostAnswer{400, R"({"error":"invalid_request"})"};
    for (auto& [k, v] : *fields) f[k] = v;
    auto it = codes_.find(f["code"]);
    if (f["grant_type"] != "authorization_code" || it == codes_.end()) {
      return PostAnswer{400, R"({"error":"invalid_grant"})"};
    }
    Issued issued = it->second;
    codes_.erase(it);
    if (f["redirect_uri"] != issued.redirect_uri ||
        Base64UrlEncode(crypto::Sha256(f["code_verifier"])) != issued.challenge) {
      return PostAnswer{400, R"({"error":"invalid_grant"})"};
    }
    return PostAnswer{200, json{{"access_token", "at"}, {"id_token", issued.id_token}}.dump()};
  }

  json Claims(const std::string& nonce, const std::string& email = "ada@corp.example") {
    const int64_t now = ToUnixSeconds(clock_.Now());
    return {{"iss", kIssuer}, {"sub", "upstream-123"}, {"aud", kClientId},
            {"iat", now},     {"exp", now + 300},      {"nonce", nonce},
            {"email", email}, {"email_verified", true}, {"name", "Ada L"},
            {"groups", json::array({"staff"})}};
  }

  // The browser leg: the user signs in upstream, which redirects back with a code. `tweak`
  // changes the ID token's claims, `sign` how it is signed.
  struct Flow {
    std::string state;
    std::string code;
  };
  Flow SignInUpstream(const std::function<void(json&)>& tweak = nullptr,
                      const std::function<std::string(const json&)>& sign = nullptr) {
    Result<std::string> url = rp_->Begin("corp", kCallback, "cont");
    EXPECT_TRUE(url.has_value());
    auto q = QueryOf(*url);
    EXPECT_EQ(q["code_challenge_method"], "S256");
    EXPECT_EQ(q["response_type"], "code");
    EXPECT_EQ(q["client_id"], kClientId);
    json claims = Claims(q["nonce"]);
    if (tweak) tweak(claims);
    std::string token = sign ? sign(claims) : *jose::SignJwt(claims, UpstreamSigningKey(), "k1");
    std::string code = "code-" + std::to_string(codes_.size() + ++serial_);
    codes_[code] = {q["redirect_uri"], q["code_challenge"], token};
    return {q["state"], code};
  }

  std::expected<SignedIn, SignInError> Finish(const Flow& f, std::string callback = kCallback) {
    return rp_->Complete({f.state, f.code, "", std::move(callback)});
  }

  void ExpectRefused(std::expected<SignedIn, SignInError> r, Refusal why) {
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(RefusalName(r.error().refusal), std::string(RefusalName(why))) << r.error().message;
  }

  size_t Users() { return store_->ListPrincipals(store::PrincipalKind::kUser)->size(); }

  void AddUser(const std::string& name, bool active) {
    store::Principal p;
    p.id = 1000000000000000LL + static_cast<int64_t>(Users()) + 1;
    p.user_name = name;
    p.display_name = name;
    p.active = active;
    p.created_at = clock_.Now();
    ASSERT_TRUE(store_->CreatePrincipal(p).has_value());
  }

  struct Issued {
    std::string redirect_uri;
    std::string challenge;
    std::string id_token;
  };
  FakeClock clock_{FromUnixSeconds(1767225600)};
  FakeRandom random_{7};
  std::unique_ptr<store::Store> store_;
  ProviderConfig provider_;
  RelyingPartyOptions options_;
  std::unique_ptr<RelyingParty> rp_;
  std::map<std::string, Issued> codes_;
  std::string discovery_issuer_ = kIssuer;
  int gets_ = 0, key_lookups_ = 0, serial_ = 0;
};

TEST_F(RelyingPartyTest, SignsInAnExistingUserAndConsumesTheState) {
  AddUser("ada@corp.example", true);
  Flow f = SignInUpstream();
  auto r = Finish(f);
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_EQ(r->principal.user_name, "ada@corp.example");
  EXPECT_EQ(r->continuation, "cont");
  EXPECT_EQ(r->subject, "upstream-123");
  EXPECT_FALSE(r->created);
  EXPECT_EQ(rp_->pending_bytes(), 0u);
  // The same callback again (a replayed redirect) is refused: the state is gone.
  ExpectRefused(Finish(f), Refusal::kStateInvalid);
}

TEST_F(RelyingPartyTest, AuthorizationUrlCarriesPkceS256AndFreshStateAndNonce) {
  auto a = QueryOf(*rp_->Begin("corp", kCallback, ""));
  auto b = QueryOf(*rp_->Begin("corp", kCallback, ""));
  EXPECT_NE(a["state"], b["state"]);
  EXPECT_NE(a["nonce"], b["nonce"]);
  EXPECT_EQ(a["code_challenge"].size(), 43u);
  EXPECT_EQ(a["redirect_uri"], kCallback);
  EXPECT_EQ(a["scope"], "openid email profile");
  EXPECT_FALSE(rp_->Begin("nope", kCallback, "").has_value());
}

TEST_F(RelyingPartyTest, DiscoveryNamingAnotherIssuerIsRefused) {
  discovery_issuer_ = "https://evil.example.test";
  EXPECT_FALSE(rp_->Begin("corp", kCallback, "").has_value());
}

TEST_F(RelyingPartyTest, StateMismatchUnknownOrExpiredIsRefused) {
  AddUser("ada@corp.example", true);
  Flow f = SignInUpstream();
  ExpectRefused(Finish({"forged-state", f.code}), Refusal::kStateInvalid);
  ExpectRefused(Finish({"", f.code}), Refusal::kStateInvalid);
  // The genuine state still works after forged ones.
  EXPECT_TRUE(Finish(f).has_value());

  Flow late = SignInUpstream();
  clock_.Advance(options_.state_ttl + std::chrono::seconds(1));
  ExpectRefused(Finish(late), Refusal::kStateInvalid);

  // A state that came back to another callback address.
  Flow moved = SignInUpstream();
  ExpectRefused(Finish(moved, "https://other.example.test/sso/callback"), Refusal::kStateInvalid);
}

TEST_F(RelyingPartyTest, WrongVerifierOrCodeIsRefusedByTheProvider) {
  AddUser("ada@corp.example", true);
  Flow f = SignInUpstream();
  codes_[f.code].challenge = Base64UrlEncode(crypto::Sha256("another verifier"));
  ExpectRefused(Finish(f), Refusal::kExchangeFailed);
  Flow g = SignInUpstream();
  ExpectRefused(Finish({g.state, "not-issued"}), Refusal::kExchangeFailed);
}

TEST_F(RelyingPartyTest, UpstreamErrorConsumesTheState) {
  Flow f = SignInUpstream();
  ExpectRefused(rp_->Complete({f.state, "", "access_denied", kCallback}), Refusal::kUpstreamError);
  ExpectRefused(Finish(f), Refusal::kStateInvalid);
}

TEST_F(RelyingPartyTest, IdTokenChecks) {
  AddUser("ada@corp.example", true);
  const size_t users = Users();
  ExpectRefused(Finish(SignInUpstream([](json& c) { c["nonce"] = "other-nonce"; })),
                Refusal::kNonceMismatch);
  ExpectRefused(Finish(SignInUpstream([](json& c) { c.erase("nonce"); })), Refusal::kNonceMismatch);
  const int lookups = key_lookups_;
  ExpectRefused(Finish(SignInUpstream([](json& c) { c["iss"] = "https://evil.example.test"; })),
                Refusal::kIdTokenInvalid);
  EXPECT_EQ(key_lookups_, lookups) << "another issuer's keys must never be looked up";
  ExpectRefused(Finish(SignInUpstream([](json& c) { c["iss"] = std::string(kIssuer) + "/"; })),
                Refusal::kIdTokenInvalid);
  ExpectRefused(Finish(SignInUpstream([](json& c) { c["aud"] = "another-client"; })),
                Refusal::kIdTokenInvalid);
  ExpectRefused(Finish(SignInUpstream([](json& c) {
                  c["aud"] = json::array({kClientId, "x"});
                  c["azp"] = "x";
                })),
                Refusal::kIdTokenInvalid);
  ExpectRefused(Finish(SignInUpstream([&](json& c) { c["exp"] = ToUnixSeconds(clock_.Now()) - 120; })),
                Refusal::kIdTokenInvalid);
  ExpectRefused(Finish(SignInUpstream([&](json& c) { c["iat"] = ToUnixSeconds(clock_.Now()) + 600; })),
                Refusal::kIdTokenInvalid);
  ExpectRefused(Finish(SignInUpstream([&](json& c) { c["nbf"] = ToUnixSeconds(clock_.Now()) + 600; })),
                Refusal::kIdTokenInvalid);
  ExpectRefused(Finish(SignInUpstream([](json& c) { c.erase("exp"); })), Refusal::kIdTokenInvalid);
  // Bad signature: another key under the provider's kid.
  ExpectRefused(Finish(SignInUpstream(nullptr, [](const json& c) { return *jose::SignJwt(c, OtherKey(), "k1"); })),
                Refusal::kIdTokenInvalid);
  // A kid the provider does not publish.
  ExpectRefused(Finish(SignInUpstream(nullptr, [](const json& c) { return *jose::SignJwt(c, UpstreamSigningKey(), "k9"); })),
                Refusal::kIdTokenInvalid);
  // alg none, and HS256 keyed with anything.
  auto unsigned_token = [](const std::string& alg) {
    return [alg](const json& c) {
      return Base64UrlEncode(json{{"alg", alg}, {"kid", "k1"}}.dump()) + "." +
             Base64UrlEncode(c.dump()) + "." + (alg == "none" ? "" : Base64UrlEncode("sig"));
    };
  };
  ExpectRefused(Finish(SignInUpstream(nullptr, unsigned_token("none"))), Refusal::kIdTokenInvalid);
  ExpectRefused(Finish(SignInUpstream(nullptr, unsigned_token("HS256"))), Refusal::kIdTokenInvalid);
  // A signature cut off the valid token.
  ExpectRefused(Finish(SignInUpstream(nullptr, [](const json& c) {
                  std::string t = *jose::SignJwt(c, UpstreamSigningKey(), "k1");
                  t[t.size() - 5] = t[t.size() - 5] == 'A' ? 'B' : 'A';
                  return t;
                })),
                Refusal::kIdTokenInvalid);
  EXPECT_EQ(Users(), users);
  // The genuine flow still succeeds afterwards.
  EXPECT_TRUE(Finish(SignInUpstream()).has_value());
}

TEST_F(RelyingPartyTest, AllowListsUnverifiedEmailAndUserState) {
  provider_.allowed_domains = {"corp.example"};
  provider_.allowed_groups = {"staff", "contractors"};
  provider_.jit_provisioning = true;
  Make();
  ExpectRefused(Finish(SignInUpstream([](json& c) { c["email"] = "eve@evil.example"; })),
                Refusal::kNotAllowed);
  ExpectRefused(Finish(SignInUpstream([](json& c) { c["email"] = "eve@corp.example.evil.example"; })),
                Refusal::kNotAllowed);
  ExpectRefused(Finish(SignInUpstream([](json& c) { c["groups"] = json::array({"guests"}); })),
                Refusal::kNotAllowed);
  ExpectRefused(Finish(SignInUpstream([](json& c) { c["email_verified"] = false; })),
                Refusal::kNotAllowed);
  EXPECT_EQ(Users(), 0u) << "no user is provisioned for a refused sign-in";

  AddUser("bob@corp.example", false);
  ExpectRefused(Finish(SignInUpstream([](json& c) { c["email"] = "bob@corp.example"; })),
                Refusal::kInactiveUser);
}

TEST_F(RelyingPartyTest, JitProvisioningOffRefusesUnknownUsersOnCreatesThem) {
  ExpectRefused(Finish(SignInUpstream()), Refusal::kUnknownUser);
  EXPECT_EQ(Users(), 0u);
  provider_.jit_provisioning = true;
  provider_.admin_group = "latchkey-admins";
  Make();
  store::Group admins{.id = 5, .display_name = "admins", .member_ids = {}, .created_at = clock_.Now()};
  ASSERT_TRUE(store_->CreateGroup(admins).has_value());
  auto r = Finish(SignInUpstream());
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_TRUE(r->created);
  EXPECT_EQ(r->principal.display_name, "Ada L");
  EXPECT_EQ(Users(), 1u);
  EXPECT_TRUE(store_->GetGroup(5)->member_ids.empty()) << "not in the admin group upstream";
  auto again = Finish(SignInUpstream([](json& c) { c["groups"] = json::array({"latchkey-admins"}); }));
  ASSERT_TRUE(again.has_value());
  EXPECT_FALSE(again->created);
  EXPECT_EQ(Users(), 1u);
  EXPECT_EQ(store_->GetGroup(5)->member_ids, std::vector<int64_t>{again->principal.id});
}

TEST_F(RelyingPartyTest, PendingSignInsAreBoundedInBytes) {
  options_.max_pending_bytes = 4096;
  Make();
  std::string first_state = QueryOf(*rp_->Begin("corp", kCallback, "x"))["state"];
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(rp_->Begin("corp", kCallback, std::string(100, 'c')).has_value());
  EXPECT_LE(rp_->pending_bytes(), 4096u);
  ExpectRefused(rp_->Complete({first_state, "c", "", kCallback}), Refusal::kStateInvalid);
  EXPECT_FALSE(rp_->Begin("corp", kCallback, std::string(5000, 'c')).has_value());
}

}  // namespace
}  // namespace latchkey::sso

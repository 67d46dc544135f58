// Databricks U2M (issue 24) through the workspace's routes: /oidc/v1/authorize, the upstream
// provider's sign-in, /sso/callback, /oidc/v1/token (authorization_code, refresh_token), with
// the real store, keys, relying party and authenticator. The upstream provider is played
// in-process (its discovery document, keys and a token endpoint that checks PKCE as a real one
// does); tests/e2e/sso_u2m_test.sh runs the same flow against node oidc-provider over HTTPS.
#include <map>

#include "base/encoding.h"
#include "crypto/hash.h"
#include "jose/jws.h"
#include "sso/relying_party.h"
#include "workspace/workspace_test_support.h"

namespace latchkey::workspace::testing {
namespace {

constexpr char kUpstream[] = "https://idp.example.test";
constexpr char kRedirect[] = "http://localhost:8020";
// The client's PKCE pair, the challenge computed as RFC 7636 §4.2 says.
constexpr char kVerifier[] = "dBjftJeZ4CVP-mJ92K9wJmaNrW5cbvzz1dVwfRvdY8WOLY2HyJwCDM9Ke";
const std::string kChallenge = Base64UrlEncode(crypto::Sha256(kVerifier));

std::map<std::string, std::string> QueryOf(const std::string& url) {
  std::map<std::string, std::string> out;
  size_t q = url.find('?');
  if (q == std::string::npos) return out;
  std::optional<FormFields> form = ParseForm(url.substr(q + 1));
  if (form) for (auto& [k, v] : *form) out[k] = v;
  return out;
}

const crypto::RsaPrivateKey& UpstreamKey() {
  static const crypto::RsaPrivateKey key = *crypto::RsaPrivateKey::Generate(2048);
  return key;
}

class U2mTest : public WorkspaceTest {
 protected:
  void Configure(WorkspaceOptions& options) override {
    sso::ProviderConfig p{.id = "corp", .display_name = "Corp", .issuer = kUpstream,
                          .client_id = "latchkey", .client_secret = "s"};
    p.allowed_domains = {"example.com"};
    rp_ = std::make_unique<sso::RelyingParty>(
        std::vector<sso::ProviderConfig>{p},
        sso::RelyingParty::Deps{
            *store_, clock_, random_,
            [](const std::string&) -> Result<std::string> {
              return json{{"issuer", kUpstream},
                          {"authorization_endpoint", std::string(kUpstream) + "/auth"},
                          {"token_endpoint", std::string(kUpstream) + "/token"}}
                  .dump();
            },
            [this](const std::string&, const std::string& form, const std::string&)
                -> Result<sso::PostAnswer> {
              std::map<std::string, std::string> f = QueryOf("?" + form);
              auto it = upstream_codes_.find(f["code"]);
              if (it == upstream_codes_.end() ||
                  Base64UrlEncode(crypto::Sha256(f["code_verifier"])) != it->second.challenge) {
                return sso::PostAnswer{400, R"({"error":"invalid_grant"})"};
              }
              std::string token = it->second.id_token;
              upstream_codes_.erase(it);
              return sso::PostAnswer{200, json{{"id_token", token}}.dump()};
            },
            [](const std::string& issuer, const std::string& kid) -> Result<sso::UpstreamKey> {
              if (issuer != kUpstream || kid != "u1") return MakeError(ErrorCode::kNotFound, "kid");
              return sso::UpstreamKey{UpstreamKey().PublicKey(), std::nullopt};
            }});
    options.u2m.relying_party = rp_.get();
    options.u2m.redirect_uris = {"https://app.example.com/callback"};
  }

  std::string AuthorizeQuery(const std::string& redirect = kRedirect,
                             const std::string& extra = "") {
    return "/oidc/v1/authorize?client_id=databricks-cli&response_type=code&redirect_uri=" +
           PercentEncode(redirect) + "&code_challenge=" + kChallenge +
           "&code_challenge_method=S256&state=client-state&scope=all-apis%20offline_access" + extra;
  }

  // The person signs in upstream as `email`; returns the /sso/callback target.
  std::string SignInUpstream(const std::string& upstream_url, const std::string& email,
                             const std::function<void(json&)>& tweak = nullptr) {
    std::map<std::string, std::string> q = QueryOf(upstream_url);
    const int64_t now = ToUnixSeconds(clock_.Now());
    json claims = {{"iss", kUpstream}, {"sub", "u-" + email}, {"aud", "latchkey"},
                   {"iat", now}, {"exp", now + 300}, {"nonce", q["nonce"]}, {"email", email}};
    if (tweak) tweak(claims);
    const std::string code = "up-" + std::to_string(++serial_);
    upstream_codes_[code] = {q["code_challenge"], *jose::SignJwt(claims, UpstreamKey(), "u1")};
    return "/sso/callback?code=" + code + "&state=" + PercentEncode(q["state"]);
  }

  // authorize -> upstream -> callback; the client's redirect location.
  std::string Authorized(const std::string& email = "ada@example.com",
                         const std::string& redirect = kRedirect) {
    http::Response a = Call("GET", AuthorizeQuery(redirect));
    EXPECT_EQ(a.status, 302) << a.body;
    http::Response cb = Call("GET", SignInUpstream(HeaderOf(a, "Location"), email));
    EXPECT_EQ(cb.status, 302) << cb.body;
    return HeaderOf(cb, "Location");
  }

  http::Response Token(const std::string& form) {
    return Call("POST", "/oidc/v1/token", form);
  }
  std::string CodeForm(const std::string& code, const std::string& verifier = kVerifier,
                       const std::string& redirect = kRedirect) {
    return "grant_type=authorization_code&client_id=databricks-cli&code=" + PercentEncode(code) +
           "&redirect_uri=" + PercentEncode(redirect) +
           (verifier.empty() ? "" : "&code_verifier=" + verifier);
  }
  std::string RefreshForm(const std::string& token) {
    return "grant_type=refresh_token&client_id=databricks-cli&refresh_token=" + PercentEncode(token);
  }
  int MeStatus(const std::string& token) {
    return Call("GET", "/api/2.0/preview/scim/v2/Me", "", token).status;
  }

  struct Issued {
    std::string challenge;
    std::string id_token;
  };
  std::unique_ptr<sso::RelyingParty> rp_;
  std::map<std::string, Issued> upstream_codes_;
  int serial_ = 0;
};

TEST_F(U2mTest, FullFlowRefreshRotationAndFamilyRevocationOnReuse) {
  CreateUser("ada@example.com");
  const std::string location = Authorized();
  ASSERT_TRUE(location.starts_with(std::string(kRedirect) + "?code=")) << location;
  auto q = QueryOf(location);
  EXPECT_EQ(q["state"], "client-state");

  http::Response t = Token(CodeForm(q["code"]));
  ASSERT_EQ(t.status, 200) << t.body;
  json tokens = Body(t);
  EXPECT_EQ(tokens["token_type"], "Bearer");
  EXPECT_EQ(HeaderOf(t, "Cache-Control"), "no-store");
  const std::string access = tokens["access_token"], r1 = tokens["refresh_token"];
  http::Response me = Call("GET", "/api/2.0/preview/scim/v2/Me", "", access);
  ASSERT_EQ(me.status, 200) << me.body;
  EXPECT_EQ(Body(me)["userName"], "ada@example.com");
  // Only the hash of the refresh token is stored.
  EXPECT_TRUE(store_->GetRefreshToken(crypto::Sha256Hex(r1)).has_value());
  EXPECT_FALSE(store_->GetRefreshToken(r1).has_value());

  // Rotation: r1 -> r2 -> r3, each access token works.
  http::Response t2 = Token(RefreshForm(r1));
  ASSERT_EQ(t2.status, 200) << t2.body;
  const std::string r2 = Body(t2)["refresh_token"];
  EXPECT_NE(r2, r1);
  EXPECT_EQ(MeStatus(Body(t2)["access_token"]), 200);
  http::Response t3 = Token(RefreshForm(r2));
  ASSERT_EQ(t3.status, 200);
  const std::string r3 = Body(t3)["refresh_token"];

  // Another person's family, to see that reuse in one family touches no other.
  CreateUser("bob@example.com");
  const std::string bob_r = Body(Token(CodeForm(QueryOf(Authorized("bob@example.com"))["code"])))["refresh_token"];

  // r1 presented again: refused, and the whole family (r3 included) is revoked.
  http::Response reuse = Token(RefreshForm(r1));
  EXPECT_EQ(reuse.status, 400);
  EXPECT_EQ(Body(reuse)["error"], "invalid_grant");
  EXPECT_EQ(Token(RefreshForm(r3)).status, 400);
  EXPECT_EQ(Token(RefreshForm(bob_r)).status, 200);
}

TEST_F(U2mTest, PkceIsRequiredAndChecked) {
  CreateUser("ada@example.com");
  // Missing or plain: the client is sent back an error, the provider is never involved.
  for (const std::string& bad : {std::string("&code_challenge_method=plain"), std::string()}) {
    std::string target = "/oidc/v1/authorize?client_id=databricks-cli&response_type=code&redirect_uri=" +
                         PercentEncode(kRedirect) + "&state=s1";
    if (!bad.empty()) target += "&code_challenge=" + kChallenge + bad;
    http::Response r = Call("GET", target);
    ASSERT_EQ(r.status, 302) << target;
    auto q = QueryOf(HeaderOf(r, "Location"));
    EXPECT_EQ(q["error"], "invalid_request") << target;
    EXPECT_EQ(q["state"], "s1");
    EXPECT_TRUE(HeaderOf(r, "Location").starts_with(kRedirect));
  }
  EXPECT_EQ(rp_->pending_bytes(), 0u);
  // Wrong or missing verifier: refused, and the code is spent.
  std::string code = QueryOf(Authorized())["code"];
  EXPECT_EQ(Token(CodeForm(code, std::string(43, 'x'))).status, 400);
  EXPECT_EQ(Token(CodeForm(code)).status, 400) << "a code is spent by its first presentation";
  std::string code2 = QueryOf(Authorized())["code"];
  EXPECT_EQ(Body(Token(CodeForm(code2, ""))).value("error", ""), "invalid_grant");
  // The right verifier with a fresh code still works.
  EXPECT_EQ(Token(CodeForm(QueryOf(Authorized())["code"])).status, 200);
}

TEST_F(U2mTest, CodesAreOneTimeShortLivedAndBound) {
  CreateUser("ada@example.com");
  std::string code = QueryOf(Authorized())["code"];
  ASSERT_EQ(Token(CodeForm(code)).status, 200);
  EXPECT_EQ(Token(CodeForm(code)).status, 400) << "reused";

  std::string late = QueryOf(Authorized())["code"];
  clock_.Advance(std::chrono::seconds(61));
  EXPECT_EQ(Token(CodeForm(late)).status, 400) << "expired";

  // Redeemed with another redirect URI than it was issued for.
  std::string moved = QueryOf(Authorized())["code"];
  EXPECT_EQ(Token(CodeForm(moved, kVerifier, "http://localhost:9999")).status, 400);
  // By another client id: not a public client of ours.
  std::string other = QueryOf(Authorized())["code"];
  http::Response r = Token("grant_type=authorization_code&client_id=evil&code=" + other +
                           "&code_verifier=" + kVerifier + "&redirect_uri=" + PercentEncode(kRedirect));
  EXPECT_EQ(r.status, 401);
  // A public client that sends a secret is refused too.
  EXPECT_EQ(Token(CodeForm(other) + "&client_secret=x").status, 401);
  EXPECT_EQ(Token(CodeForm(other)).status, 200) << "refused attempts did not spend the code";
}

TEST_F(U2mTest, RedirectUrisLoopbackAnyPortOrExactlyRegistered) {
  CreateUser("ada@example.com");
  for (const std::string& ok : {std::string("http://127.0.0.1:53682/cb"), std::string("http://[::1]:8020"),
                                std::string("http://localhost:8020"), std::string("https://app.example.com/callback")}) {
    EXPECT_EQ(Call("GET", AuthorizeQuery(ok)).status, 302) << ok;
  }
  const size_t pending = rp_->pending_bytes();
  for (const std::string& bad :
       {std::string("https://app.example.com/callback/x"), std::string("https://evil.example/cb"),
        std::string("http://localhost.evil.example:8020"), std::string("http://127.0.0.1@evil.example/"),
        std::string("http://localhost:8020#frag"), std::string("http://localhost:80x"), std::string()}) {
    http::Response r = Call("GET", AuthorizeQuery(bad));
    EXPECT_EQ(r.status, 400) << bad;  // a page, never a redirect to an unvetted URI
    EXPECT_EQ(HeaderOf(r, "Location"), "") << bad;
  }
  http::Response unknown = Call("GET", "/oidc/v1/authorize?client_id=someone&response_type=code&redirect_uri=" +
                                           PercentEncode(kRedirect) + "&code_challenge=" + kChallenge +
                                           "&code_challenge_method=S256");
  EXPECT_EQ(unknown.status, 400);
  EXPECT_EQ(HeaderOf(unknown, "Location"), "");
  EXPECT_EQ(rp_->pending_bytes(), pending) << "nothing kept for refused requests";
}

TEST_F(U2mTest, StateAndUpstreamChecksAtTheCallback) {
  CreateUser("ada@example.com");
  http::Response a = Call("GET", AuthorizeQuery());
  std::string callback = SignInUpstream(HeaderOf(a, "Location"), "ada@example.com");
  // Tampered state.
  std::string forged = callback.substr(0, callback.find("&state=")) + "&state=forged";
  EXPECT_EQ(Call("GET", forged).status, 403);
  // Nonce mismatch; a user outside the allowed domains; an unknown user (JIT off).
  auto refused = [&](const std::string& email, const std::function<void(json&)>& tweak) {
    http::Response start = Call("GET", AuthorizeQuery());
    http::Response cb = Call("GET", SignInUpstream(HeaderOf(start, "Location"), email, tweak));
    EXPECT_EQ(cb.status, 403) << email;
    EXPECT_EQ(HeaderOf(cb, "Location"), "");
  };
  refused("ada@example.com", [](json& c) { c["nonce"] = "x"; });
  refused("ada@example.com", [](json& c) { c["iss"] = "https://other.example"; });
  refused("ada@example.com", [](json& c) { c["aud"] = "other-client"; });
  refused("mallory@evil.example", nullptr);
  refused("nobody@example.com", nullptr);
  // The genuine callback still completes once.
  EXPECT_EQ(Call("GET", callback).status, 302);
  EXPECT_EQ(Call("GET", callback).status, 403) << "state used";
}

TEST_F(U2mTest, DeactivatedUserCannotSignInOrRefresh) {
  int64_t id = CreateUser("ada@example.com");
  std::string r = Body(Token(CodeForm(QueryOf(Authorized())["code"])))["refresh_token"];
  store::Principal p = *store_->GetPrincipal(id);
  p.active = false;
  ASSERT_TRUE(store_->UpdatePrincipal(p).has_value());
  EXPECT_EQ(Token(RefreshForm(r)).status, 400);
  http::Response a = Call("GET", AuthorizeQuery());
  EXPECT_EQ(Call("GET", SignInUpstream(HeaderOf(a, "Location"), "ada@example.com")).status, 403);
}

// A flood of sign-in starts from one address cannot crowd out everyone's pending sign-ins:
// 30 a minute per address, then 429 with Retry-After; other addresses are unaffected, and the
// address may start again once the minute has passed.
TEST_F(U2mTest, SignInStartsAreLimitedPerAddress) {
  for (int i = 0; i < 30; ++i) {
    ASSERT_EQ(Call("GET", AuthorizeQuery(), "", "", "203.0.113.7").status, 302) << i;
  }
  http::Response refused = Call("GET", AuthorizeQuery(), "", "", "203.0.113.7");
  EXPECT_EQ(refused.status, 429);
  EXPECT_FALSE(HeaderOf(refused, "Retry-After").empty());
  EXPECT_EQ(Call("GET", AuthorizeQuery(), "", "", "203.0.113.8").status, 302);
  clock_.Advance(std::chrono::seconds(61));
  EXPECT_EQ(Call("GET", AuthorizeQuery(), "", "", "203.0.113.7").status, 302);
}

// Guessing refresh tokens costs a store read each: 20 unknown ones a minute per address, then
// 429 slow_down with Retry-After, for that address only; a real token from elsewhere still works.
TEST_F(U2mTest, UnknownRefreshTokensAreThrottledPerAddress) {
  CreateUser("ada@example.com");
  http::Response signed_in = Token(CodeForm(QueryOf(Authorized())["code"]));
  ASSERT_EQ(signed_in.status, 200) << signed_in.body;
  const std::string refresh = Body(signed_in)["refresh_token"];
  for (int i = 0; i < 20; ++i) {
    http::Response r = Call("POST", "/oidc/v1/token", RefreshForm("guess-" + std::to_string(i)),
                            "", "198.51.100.9");
    ASSERT_EQ(r.status, 400) << i;
  }
  http::Response slowed =
      Call("POST", "/oidc/v1/token", RefreshForm("guess-x"), "", "198.51.100.9");
  EXPECT_EQ(slowed.status, 429);
  EXPECT_EQ(Body(slowed)["error"], "slow_down");
  EXPECT_FALSE(HeaderOf(slowed, "Retry-After").empty());
  http::Response real = Token(RefreshForm(refresh));
  EXPECT_EQ(real.status, 200) << real.body;
}

TEST_F(U2mTest, DiscoveryAdvertisesU2m) {
  json d = Body(Call("GET", "/oidc/.well-known/oauth-authorization-server"));
  EXPECT_EQ(d["code_challenge_methods_supported"], json::array({"S256"}));
  EXPECT_EQ(d["grant_types_supported"],
            json::array({"client_credentials", "authorization_code", "refresh_token"}));
}

// Without an upstream provider: no U2M grants advertised, and authorize says why.
class NoU2mTest : public WorkspaceTest {};
TEST_F(NoU2mTest, DiscoveryAdvertisesOnlyWhatWorks) {
  json d = Body(Call("GET", "/oidc/.well-known/oauth-authorization-server"));
  EXPECT_EQ(d["grant_types_supported"], json::array({"client_credentials"}));
  EXPECT_FALSE(d.contains("code_challenge_methods_supported"));
  EXPECT_EQ(Call("GET", "/oidc/v1/authorize?client_id=databricks-cli").status, 400);
  EXPECT_EQ(Body(Call("POST", "/oidc/v1/token", "grant_type=authorization_code&client_id=databricks-cli&code=x"))["error"],
            "unsupported_grant_type");
}

}  // namespace
}  // namespace latchkey::workspace::testing

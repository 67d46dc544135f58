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


// ---- The web page's sign-in and sessions (web_sessions.h), on the same provider ----

namespace web {

std::vector<std::string> SetCookies(const http::Response& r) {
  std::vector<std::string> out;
  for (const auto& [k, v] : r.headers)
    if (IEquals(k, "Set-Cookie")) out.push_back(v);
  return out;
}

// "name=value; ..." among the Set-Cookie headers -> value.
std::string CookieSet(const http::Response& r, const std::string& name) {
  for (const std::string& c : SetCookies(r)) {
    if (c.starts_with(name + "=")) return c.substr(name.size() + 1, c.find(';') - name.size() - 1);
  }
  return "";
}

}  // namespace web

class WebSignInTest : public U2mTest {
 protected:
  // A browser's call: its user agent (with a control character) and address.
  http::Response Web(std::string method, std::string target, http::HeaderList headers = {}) {
    headers.emplace_back("User-Agent", "Mozilla/5.0 (test)\x01");
    return CallWith(std::move(method), std::move(target), headers, "", "10.0.0.7");
  }
  // start -> upstream -> callback, in one browser; the callback's response.
  http::Response SignIn(const std::string& email, bool same_browser = true) {
    http::Response start = Web("GET", "/sso/web/start?provider=corp");
    EXPECT_EQ(start.status, 302) << start.body;
    const std::string bound = web::CookieSet(start, "__Host-latchkey-signin");
    EXPECT_FALSE(bound.empty());
    http::HeaderList h;
    if (same_browser) h.emplace_back("Cookie", "__Host-latchkey-signin=" + bound);
    return Web("GET", SignInUpstream(HeaderOf(start, "Location"), email), h);
  }
  std::string SessionOf(const std::string& email) {
    return web::CookieSet(SignIn(email), "__Host-latchkey-session");
  }
  http::HeaderList As(const std::string& sid) { return {{"Cookie", "__Host-latchkey-session=" + sid}}; }
  int MeAs(const std::string& sid) { return Web("GET", "/api/2.0/preview/scim/v2/Me", As(sid)).status; }
  size_t Rows() { return store_->ListWebSessions(0)->size(); }
};

TEST_F(WebSignInTest, SignInCreatesAHashedServerSideSession) {
  CreateUser("ada@example.com");
  http::Response cb = SignIn("ada@example.com");
  ASSERT_EQ(cb.status, 302) << cb.body;
  EXPECT_EQ(HeaderOf(cb, "Location"), "/ui/");
  const std::string sid = web::CookieSet(cb, "__Host-latchkey-session");
  ASSERT_EQ(sid.size(), 43u);
  bool exact = false;
  for (const std::string& c : web::SetCookies(cb)) {
    exact = exact || c == "__Host-latchkey-session=" + sid +
                              "; Path=/; Secure; HttpOnly; SameSite=Lax; Max-Age=43200";
  }
  EXPECT_TRUE(exact) << "the cookie's attributes";
  // Only the hash is stored; the row has the address and a printable, bounded user agent.
  EXPECT_FALSE(store_->GetWebSession(sid).has_value());
  Result<store::WebSession> row = store_->GetWebSession(crypto::Sha256Hex(sid));
  ASSERT_TRUE(row.has_value());
  EXPECT_EQ(row->address, "10.0.0.7");
  EXPECT_EQ(row->user_agent, "Mozilla/5.0 (test)?");
  EXPECT_EQ(row->provider_id, "corp");
  http::Response me = Web("GET", "/api/2.0/preview/scim/v2/Me", As(sid));
  ASSERT_EQ(me.status, 200) << me.body;
  EXPECT_EQ(Body(me)["userName"], "ada@example.com");
  // Two sign-ins, two different sessions.
  EXPECT_NE(SessionOf("ada@example.com"), sid);
}

TEST_F(WebSignInTest, StateChangingCallsNeedTheCsrfTokenAndTheOrigin) {
  CreateUser("ada@example.com");
  const std::string sid = SessionOf("ada@example.com");
  const std::string other = SessionOf("ada@example.com");
  http::Response current = Web("GET", "/api/2.0/latchkey/web-sessions/current", As(sid));
  ASSERT_EQ(current.status, 200) << current.body;
  const std::string csrf = Body(current)["csrf_token"];
  const std::string other_csrf = Body(Web("GET", "/api/2.0/latchkey/web-sessions/current", As(other)))["csrf_token"];
  ASSERT_NE(csrf, other_csrf);
  const std::string out = "/api/2.0/latchkey/web-sessions/current";
  auto with = [&](http::HeaderList extra) {
    http::HeaderList h = As(sid);
    for (auto& e : extra) h.push_back(e);
    return Web("DELETE", out, h).status;
  };
  EXPECT_EQ(with({}), 403) << "no CSRF token";
  EXPECT_EQ(with({{"X-Latchkey-CSRF", other_csrf}}), 403) << "another session's token";
  EXPECT_EQ(with({{"X-Latchkey-CSRF", csrf.substr(1) + "A"}}), 403) << "a wrong token";
  EXPECT_EQ(with({{"X-Latchkey-CSRF", csrf}, {"Origin", "https://evil.example"}}), 403);
  EXPECT_EQ(with({{"X-Latchkey-CSRF", csrf}, {"Sec-Fetch-Site", "same-site"}}), 403);
  EXPECT_EQ(MeAs(sid), 200) << "nothing was signed out";
  EXPECT_EQ(Rows(), 2u);
  // A cross-site GET is refused too (Fetch Metadata).
  http::HeaderList cross = As(sid);
  cross.emplace_back("Sec-Fetch-Site", "cross-site");
  EXPECT_EQ(Web("GET", "/api/2.0/preview/scim/v2/Me", cross).status, 403);
  // The genuine sign-out: the row is gone, the cookie cleared, the cookie refused.
  http::HeaderList good = As(sid);
  good.emplace_back("X-Latchkey-CSRF", csrf);
  good.emplace_back("Origin", std::string("https://") + kHost);
  good.emplace_back("Sec-Fetch-Site", "same-origin");
  http::Response signed_out = Web("DELETE", out, good);
  ASSERT_EQ(signed_out.status, 200) << signed_out.body;
  EXPECT_EQ(web::CookieSet(signed_out, "__Host-latchkey-session"), "");
  EXPECT_EQ(Rows(), 1u);
  EXPECT_EQ(MeAs(sid), 403);
  EXPECT_EQ(MeAs(other), 200);
}

TEST_F(WebSignInTest, IdleAndAbsoluteTimeoutsAndBoundedLastSeen) {
  CreateUser("ada@example.com");
  const std::string idle = SessionOf("ada@example.com");
  const std::string busy = SessionOf("ada@example.com");
  const std::string hash = crypto::Sha256Hex(busy);
  const TimePoint created = store_->GetWebSession(hash)->last_seen_at;
  clock_.Advance(std::chrono::seconds(30));
  EXPECT_EQ(MeAs(busy), 200);
  EXPECT_EQ(store_->GetWebSession(hash)->last_seen_at, created) << "not written within a minute";
  clock_.Advance(std::chrono::seconds(31));
  EXPECT_EQ(MeAs(busy), 200);
  EXPECT_EQ(store_->GetWebSession(hash)->last_seen_at, clock_.Now()) << "written after a minute";
  // Idle: 30 minutes without a request.
  clock_.Advance(std::chrono::minutes(29));
  EXPECT_EQ(MeAs(busy), 200);
  EXPECT_EQ(MeAs(idle), 403) << "unused for 30 minutes";
  // Absolute: 12 hours after sign-in, however busy.
  for (int i = 0; i < 12 * 3 - 2; ++i) {
    clock_.Advance(std::chrono::minutes(20));
    ASSERT_EQ(MeAs(busy), 200) << i;
  }
  clock_.Advance(std::chrono::minutes(20));
  EXPECT_EQ(MeAs(busy), 403) << "past the absolute timeout";
  // The next sign-in purges the expired rows.
  EXPECT_EQ(Rows(), 2u);
  SessionOf("ada@example.com");
  EXPECT_EQ(Rows(), 1u);
}

TEST_F(WebSignInTest, RefusedSignInsCreateNoSession) {
  CreateUser("ada@example.com");
  // Another domain: back to the page with the reason, no cookie, no row, no user.
  http::Response out = SignIn("mallory@evil.example");
  EXPECT_EQ(HeaderOf(out, "Location"), "/ui/?sso_error=not_allowed");
  EXPECT_EQ(web::CookieSet(out, "__Host-latchkey-session"), "");
  // A callback opened in a browser that did not start the sign-in (login CSRF).
  http::Response planted = SignIn("ada@example.com", /*same_browser=*/false);
  EXPECT_EQ(web::CookieSet(planted, "__Host-latchkey-session"), "");
  EXPECT_EQ(Rows(), 0u);
  // A deactivated user.
  const int64_t id = store_->FindUserByName("ada@example.com")->id;
  const std::string sid = SessionOf("ada@example.com");
  EXPECT_EQ(MeAs(sid), 200);
  store::Principal p = *store_->GetPrincipal(id);
  p.active = false;
  ASSERT_TRUE(store_->UpdatePrincipal(p).has_value());  // the change empties the access cache
  EXPECT_EQ(MeAs(sid), 403) << "a deactivated user's session is refused";
  EXPECT_EQ(web::CookieSet(SignIn("ada@example.com"), "__Host-latchkey-session"), "");
  // Forged cookies.
  EXPECT_EQ(MeAs(std::string(43, 'A')), 403);
  EXPECT_EQ(MeAs("short"), 403);
}

TEST_F(WebSignInTest, UsersRevokeTheirOwnSessionsAdminsAnyone) {
  CreateUser("ada@example.com");
  CreateUser("bob@example.com");
  const std::string a1 = SessionOf("ada@example.com"), a2 = SessionOf("ada@example.com");
  const std::string b1 = SessionOf("bob@example.com");
  const std::string csrf = Body(Web("GET", "/api/2.0/latchkey/web-sessions/current", As(a1)))["csrf_token"];
  json mine = Body(Web("GET", "/api/2.0/latchkey/web-sessions", As(a1)));
  ASSERT_EQ(mine["sessions"].size(), 2u) << mine.dump();
  EXPECT_EQ(Web("GET", "/api/2.0/latchkey/web-sessions?all=true", As(a1)).status, 403);
  const std::string b1_id = store_->GetWebSession(crypto::Sha256Hex(b1))->id;
  const std::string a2_id = store_->GetWebSession(crypto::Sha256Hex(a2))->id;
  http::HeaderList h = As(a1);
  h.emplace_back("X-Latchkey-CSRF", csrf);
  EXPECT_EQ(Web("DELETE", "/api/2.0/latchkey/web-sessions/" + b1_id, h).status, 404) << "not hers";
  EXPECT_EQ(MeAs(b1), 200);
  EXPECT_EQ(Web("DELETE", "/api/2.0/latchkey/web-sessions/" + a2_id, h).status, 200);
  EXPECT_EQ(MeAs(a2), 403);
  EXPECT_EQ(Admin("GET", "/api/2.0/latchkey/web-sessions?all=true").status, 200);
  EXPECT_EQ(Body(Admin("GET", "/api/2.0/latchkey/web-sessions?all=true"))["sessions"].size(), 2u);
  EXPECT_EQ(Admin("DELETE", "/api/2.0/latchkey/web-sessions/" + b1_id).status, 200);
  EXPECT_EQ(MeAs(b1), 403);
  EXPECT_EQ(MeAs(a1), 200);
  // Audited, without the session ids.
  std::string audit = Admin("GET", "/api/2.0/latchkey/audit?after=0&limit=1000").body;
  for (const char* action : {"web_session.created", "web_session.revoked"}) {
    EXPECT_NE(audit.find(action), std::string::npos) << action;
  }
  for (const std::string& sid : {a1, a2, b1, csrf}) EXPECT_EQ(audit.find(sid), std::string::npos);
}

}  // namespace
}  // namespace latchkey::workspace::testing

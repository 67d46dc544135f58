// The unified authenticator (auth/authenticator.h) over the real store (SQLite in a temporary
// directory), the real principal cache (workspace::AccessControl), PAT cache, signing keys and
// RS256: every denial reason it reports, the failure kinds of its gate, and the one throttle.
#include "auth/authenticator.h"

#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "auth/pat_format.h"
#include "base/clock.h"
#include "crypto/rsa.h"
#include "jose/jws.h"
#include "jose/jwt_verifier.h"
#include "store/store.h"
#include "workspace/access.h"

namespace latchkey::auth {
namespace {

using nlohmann::json;
using std::chrono::seconds;

constexpr char kIssuer[] = "https://issuer.example/tenant/";
constexpr char kAudience[] = "2ff814a6-3304-4ab8-85cb-cd0e6f879c1d";
constexpr char kKid[] = "kid-1";
constexpr char kAppId[] = "0b3c2a10-6f7e-4d2b-9c1a-5e8f7a6b4c3d";
constexpr int kMaxFailures = 3;

const crypto::RsaPrivateKey& Key(int which) {
  static const crypto::RsaPrivateKey keys[2] = {*crypto::RsaPrivateKey::Generate(2048),
                                                *crypto::RsaPrivateKey::Generate(2048)};
  return keys[which];
}

class AuthenticatorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char dir[] = "/tmp/latchkey-auth-test-XXXXXX";
    ASSERT_NE(mkdtemp(dir), nullptr);
    dir_ = dir;
    Result<std::unique_ptr<store::Store>> opened = store::OpenStore("sqlite:" + dir_ + "/s.db");
    ASSERT_TRUE(opened.has_value()) << opened.error().message;
    store_ = std::move(*opened);
    keys_.Add(kKid, Key(0).PublicKey());
    access_ = std::make_unique<workspace::AccessControl>(*store_, clock_, seconds(300), 1000);
    pats_ = std::make_unique<PatCache>(*store_, clock_, seconds(300), 1000);
    gate_ = std::make_unique<BearerGate>(
        clock_, BearerGateOptions{.max_failures = kMaxFailures, .window = seconds(60),
                                  .lockout = seconds(60)});
    authenticator_ = std::make_unique<Authenticator>(
        AuthenticatorStores{*store_, *store_}, clock_,
        AuthenticatorOptions{
            .workspace_audience = "1",
            .entra_audiences = {kAudience},
            .entra_issuer_check = [](std::string_view iss) { return iss == kIssuer; },
            .entra_keys = &keys_,
            .issuer_binding = [this](std::string_view) { return binding_; },
            .on_denied = [this](const DeniedBearer& d) { denied_.push_back(d); }},
        *access_, *pats_, *gate_);

    user_ = AddPrincipal(store::PrincipalKind::kUser, "alice@example.com", "");
    sp_ = AddPrincipal(store::PrincipalKind::kServicePrincipal, "", kAppId);
    // Both may use tokens (CAN_USE).
    ASSERT_TRUE(store_->ReplaceTokenPermissions(
        {{store::AclSubjectKind::kUser, user_, "CAN_USE"},
         {store::AclSubjectKind::kServicePrincipal, sp_, "CAN_USE"}},
        {}));
    pat_ = AddPat(user_, std::nullopt);
  }
  void TearDown() override {
    authenticator_.reset();
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  int64_t AddPrincipal(store::PrincipalKind kind, std::string user, std::string app) {
    store::Principal p;
    p.id = next_id_++;
    p.kind = kind;
    p.user_name = std::move(user);
    p.application_id = std::move(app);
    p.display_name = "p" + std::to_string(p.id);
    p.created_at = clock_.Now();
    EXPECT_TRUE(store_->CreatePrincipal(p));
    return p.id;
  }
  std::string AddPat(int64_t owner, std::optional<TimePoint> expires_at) {
    std::string value = "dapi" + std::string(31, '0') + std::to_string(pat_count_++ % 10);
    store::Pat pat;
    pat.token_id = HashSecretValue(value);
    pat.owner_id = owner;
    pat.created_by_id = owner;
    pat.created_at = clock_.Now();
    pat.expires_at = expires_at;
    EXPECT_TRUE(store_->CreatePat(pat, 100, clock_.Now()));
    return value;
  }
  std::string EntraToken(const json& overrides = json::object(), int key = 0) {
    const int64_t now = ToUnixSeconds(clock_.Now());
    json claims = {{"aud", kAudience}, {"iss", kIssuer},   {"iat", now},
                   {"nbf", now},       {"exp", now + 3600}, {"appid", kAppId},
                   {"idtyp", "app"},   {"uti", "uti-1"}};
    claims.update(overrides);
    return *jose::SignJwt(claims, Key(key), kKid);
  }
  DenialReason ReasonOf(const std::string& token) {
    Checked<AuthenticatedPrincipal> checked = authenticator_->Authenticate(token);
    EXPECT_FALSE(checked.has_value());
    if (checked) return DenialReason::kMalformedToken;
    EXPECT_EQ(checked.error().code, ErrorCode::kPermissionDenied);
    return checked.error().reason;
  }

  FakeClock clock_{FromUnixSeconds(1767225600)};
  std::string dir_;
  std::unique_ptr<store::Store> store_;
  jose::StaticKeySource keys_;
  std::unique_ptr<workspace::AccessControl> access_;
  std::unique_ptr<PatCache> pats_;
  std::unique_ptr<BearerGate> gate_;
  std::unique_ptr<Authenticator> authenticator_;
  IssuerBinding binding_;
  std::vector<DeniedBearer> denied_;
  int64_t next_id_ = 1000;
  int pat_count_ = 1;
  int64_t user_ = 0;
  int64_t sp_ = 0;
  std::string pat_;
};

TEST_F(AuthenticatorTest, AcceptsAPatAndAnEntraTokenOfTheirPrincipals) {
  Checked<AuthenticatedPrincipal> by_pat = authenticator_->Authenticate(pat_);
  ASSERT_TRUE(by_pat.has_value());
  EXPECT_EQ(by_pat->principal->id, user_);
  EXPECT_EQ(by_pat->kind, AuthKind::kPat);
  EXPECT_EQ(by_pat->token_id, HashSecretValue(pat_));

  Checked<AuthenticatedPrincipal> by_jwt = authenticator_->Authenticate(EntraToken());
  ASSERT_TRUE(by_jwt.has_value());
  EXPECT_EQ(by_jwt->principal->id, sp_);
  EXPECT_EQ(by_jwt->kind, AuthKind::kEntra);
  EXPECT_EQ(by_jwt->token_id, "uti-1");
}

TEST_F(AuthenticatorTest, EveryDenialHasItsReason) {
  EXPECT_EQ(ReasonOf("dapi-not-hex"), DenialReason::kMalformedToken);
  EXPECT_EQ(ReasonOf("no-dots-at-all"), DenialReason::kMalformedToken);
  EXPECT_EQ(ReasonOf("a.b.c"), DenialReason::kMalformedToken);
  EXPECT_EQ(ReasonOf("dapi" + std::string(32, 'f')), DenialReason::kUnknownToken);
  EXPECT_EQ(ReasonOf(AddPat(user_, clock_.Now() - seconds(1))), DenialReason::kExpiredToken);
  EXPECT_EQ(ReasonOf(EntraToken(json::object(), 1)), DenialReason::kInvalidJwt);  // another key
  EXPECT_EQ(ReasonOf(EntraToken({{"aud", "someone-else"}})), DenialReason::kInvalidJwt);
  EXPECT_EQ(ReasonOf(EntraToken({{"appid", "7d9c1a0e-0000-4000-8000-000000000001"}})),
            DenialReason::kUnknownPrincipal);

  // A principal without CAN_USE may not use its PAT.
  const int64_t bob = AddPrincipal(store::PrincipalKind::kUser, "bob@example.com", "");
  const std::string bobs = AddPat(bob, std::nullopt);
  EXPECT_EQ(ReasonOf(bobs), DenialReason::kNoPermission);

  // An inactive principal.
  Result<store::Principal> alice = store_->GetPrincipal(user_);
  ASSERT_TRUE(alice.has_value());
  alice->active = false;
  ASSERT_TRUE(store_->UpdatePrincipal(*alice));
  access_->Invalidate();
  EXPECT_EQ(ReasonOf(pat_), DenialReason::kInactivePrincipal);

  // The issuer may not stand for service principals.
  binding_.service_principals = false;
  authenticator_->ClearJwtCache();
  EXPECT_EQ(ReasonOf(EntraToken({{"uti", "uti-2"}})), DenialReason::kWrongIssuer);

  // PATs switched off in workspace-conf.
  ASSERT_TRUE(store_->SetConf("enableTokensConfig", "false"));
  access_->Invalidate();
  EXPECT_EQ(ReasonOf(bobs), DenialReason::kTokensDisabled);
}

TEST_F(AuthenticatorTest, TheGateTellsNoCredentialEmptyDeniedAndThrottledApart) {
  EXPECT_EQ(authenticator_->Guard("", "10.0.0.1", "h").error().kind, FailureKind::kNoCredential);
  EXPECT_EQ(authenticator_->Guard("Basic dXNlcjpwdw==", "10.0.0.1", "h").error().kind,
            FailureKind::kNoCredential);
  EXPECT_EQ(authenticator_->Guard("Bearer   ", "10.0.0.1", "h").error().kind,
            FailureKind::kEmptyCredential);
  EXPECT_TRUE(denied_.empty());  // no token: nothing to audit

  const std::string unknown = "dapi" + std::string(32, 'e');
  for (int i = 0; i < kMaxFailures; ++i) {
    Gated<AuthenticatedPrincipal> denied =
        authenticator_->Guard("Bearer " + unknown, "10.0.0.1", "host.example");
    ASSERT_FALSE(denied.has_value());
    EXPECT_EQ(denied.error().kind, FailureKind::kDenied);
    EXPECT_EQ(denied.error().reason, DenialReason::kUnknownToken);
  }
  ASSERT_EQ(denied_.size(), static_cast<size_t>(kMaxFailures));
  EXPECT_EQ(denied_[0].target, "token:" + HashSecretValue(unknown));  // the id, never the token
  EXPECT_EQ(denied_[0].reason, DenialReason::kUnknownToken);
  EXPECT_EQ(denied_[0].host, "host.example");

  // Locked out: refused without being counted or audited; the right token still passes.
  Gated<AuthenticatedPrincipal> throttled =
      authenticator_->Guard("Bearer " + unknown, "10.0.0.1", "h");
  ASSERT_FALSE(throttled.has_value());
  EXPECT_EQ(throttled.error().kind, FailureKind::kThrottled);
  EXPECT_GT(throttled.error().retry_after.count(), 0);
  EXPECT_EQ(denied_.size(), static_cast<size_t>(kMaxFailures));
  EXPECT_TRUE(authenticator_->Guard("Bearer " + pat_, "10.0.0.1", "h").has_value());
  // Another address has its own budget; the lockout ends.
  EXPECT_EQ(authenticator_->Guard("Bearer " + unknown, "10.0.0.2", "h").error().kind,
            FailureKind::kDenied);
  clock_.Advance(seconds(61));
  EXPECT_EQ(authenticator_->Guard("Bearer " + unknown, "10.0.0.1", "h").error().kind,
            FailureKind::kDenied);
}

TEST_F(AuthenticatorTest, OneGateIsOneBudgetForEverySurfaceThatSharesIt) {
  // A second surface (Graph's adapter does exactly this: idp/graph_api.cc) over the same gate.
  auto graph_check = [this](std::string_view bearer) -> Checked<jose::VerifiedJwt> {
    Checked<jose::ParsedJwt> parsed = ParseBearerJwt(bearer);
    if (!parsed) return std::unexpected(std::move(parsed).error());
    jose::VerifyPolicy policy{.issuers = {kIssuer}, .audiences = {"https://graph.microsoft.com"}};
    return VerifyAccessToken(*parsed, policy, keys_, clock_.Now());
  };
  // Two failures on "Graph", one on the API: the address is spent.
  for (int i = 0; i < kMaxFailures - 1; ++i) {
    Gated<jose::VerifiedJwt> g =
        gate_->Admit<jose::VerifiedJwt>("Bearer " + EntraToken(), "10.0.0.9", graph_check);
    ASSERT_FALSE(g.has_value());
    EXPECT_EQ(g.error().kind, FailureKind::kDenied);
    EXPECT_EQ(g.error().reason, DenialReason::kInvalidJwt);  // wrong audience for Graph
  }
  EXPECT_EQ(authenticator_->Guard("Bearer dapi-bad", "10.0.0.9", "h").error().kind,
            FailureKind::kDenied);
  EXPECT_EQ(gate_->Admit<jose::VerifiedJwt>("Bearer x.y.z", "10.0.0.9", graph_check).error().kind,
            FailureKind::kThrottled);
  EXPECT_EQ(authenticator_->Guard("Bearer dapi-bad", "10.0.0.9", "h").error().kind,
            FailureKind::kThrottled);
  // A token valid for Graph still passes there.
  Gated<jose::VerifiedJwt> ok = gate_->Admit<jose::VerifiedJwt>(
      "Bearer " + EntraToken({{"aud", "https://graph.microsoft.com"}}), "10.0.0.9", graph_check);
  EXPECT_TRUE(ok.has_value());
}

TEST_F(AuthenticatorTest, ParseBearerJwtAndVerifyAccessTokenReportTypedReasons) {
  Checked<jose::ParsedJwt> bad = ParseBearerJwt("not-a-jwt");
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().reason, DenialReason::kMalformedToken);
  EXPECT_TRUE(bad.error().detail.starts_with("JWT rejected: malformed token ("));

  Checked<jose::ParsedJwt> parsed = ParseBearerJwt(EntraToken(json::object(), 1));
  ASSERT_TRUE(parsed.has_value());
  jose::VerifyPolicy policy{.issuers = {kIssuer}, .audiences = {kAudience}};
  Checked<jose::VerifiedJwt> forged = VerifyAccessToken(*parsed, policy, keys_, clock_.Now());
  ASSERT_FALSE(forged.has_value());
  EXPECT_EQ(forged.error().reason, DenialReason::kInvalidJwt);
  EXPECT_EQ(forged.error().detail, "JWT rejected: bad signature");
}

}  // namespace
}  // namespace latchkey::auth

// Fuzzes JWT parsing and verification (bearer access tokens, client assertions). Half of the
// inputs are taken as a whole compact token; the other half as "<header JSON>\n<claims JSON>",
// which this target encodes and signs with the TEST-ONLY key so that the fuzzer reaches every
// check after the signature. Either way, a token that verifies must satisfy the whole policy.
#include <cstddef>
#include <cstdint>
#include <fstream>
#include <iterator>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "base/clock.h"
#include "base/encoding.h"
#include "base/result.h"
#include "crypto/rsa.h"
#include "jose/jws.h"
#include "jose/jwt_verifier.h"

using namespace latchkey;
using nlohmann::json;

namespace {

const TimePoint kNow = FromUnixSeconds(1'700'000'000);  // 2023-11-14T22:13:20Z
const std::string kIssuer = "https://login.microsoftonline.com/tenant/v2.0";
const std::string kAudience = "2ff814a6-3304-4ab8-85cb-cd0e6f879c1d";

struct Fixture {
  crypto::RsaPrivateKey key;
  jose::StaticKeySource keys;
  jose::VerifyPolicy strict;
  jose::VerifyPolicy lax;
};

Fixture& GetFixture() {
  static Fixture* fixture = [] {
    std::ifstream in(LATCHKEY_TESTDATA_DIR "/jose_test_key_a.pem");
    std::string pem((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    Result<crypto::RsaPrivateKey> key = crypto::RsaPrivateKey::FromPem(pem);
    LATCHKEY_CHECK(key.has_value());
    auto* f = new Fixture{.key = *key};
    f->keys.Add("a", key->PublicKey());
    f->keys.Add("", key->PublicKey());  // asked for tokens without kid under the lax policy
    f->strict.issuers = {kIssuer};
    f->strict.audiences = {kAudience, "api://latchkey"};
    f->lax.issuer_check = [](std::string_view iss) {
      return iss.starts_with("https://sts.windows.net/");
    };
    f->lax.audiences = {kAudience};
    f->lax.required_claims = {};
    f->lax.require_kid = false;
    f->lax.skew = std::chrono::seconds(100000);  // clamped to 300 s
    return f;
  }();
  return *fixture;
}

bool AudienceAccepted(const json& aud, const jose::VerifyPolicy& policy) {
  auto ok = [&](const json& v) {
    return v.is_string() && std::find(policy.audiences.begin(), policy.audiences.end(),
                                      v.get<std::string>()) != policy.audiences.end();
  };
  if (aud.is_string()) return ok(aud);
  if (!aud.is_array()) return false;
  bool any = false;
  for (const json& v : aud) {
    if (!v.is_string()) return false;
    any = any || ok(v);
  }
  return any;
}

// Everything a successful verification promises, re-checked from the outside.
void CheckAccepted(const jose::VerifiedJwt& jwt, const jose::VerifyPolicy& policy) {
  const double now = static_cast<double>(ToUnixSeconds(kNow));
  const double skew = std::min<double>(static_cast<double>(policy.skew.count()), 300);
  LATCHKEY_CHECK(jwt.header.is_object() && jwt.claims.is_object());
  LATCHKEY_CHECK(jwt.header.value("alg", json()) == "RS256");
  for (const char* banned : {"crit", "jku", "jwk", "x5u"}) {
    LATCHKEY_CHECK(!jwt.header.contains(banned));
  }
  if (policy.require_kid) LATCHKEY_CHECK(jwt.header.value("kid", json()) == "a");
  for (const auto& claim : policy.required_claims) LATCHKEY_CHECK(jwt.claims.contains(claim));
  const json iss = jwt.claims.value("iss", json());
  LATCHKEY_CHECK(iss.is_string());
  LATCHKEY_CHECK((std::find(policy.issuers.begin(), policy.issuers.end(), iss) !=
                  policy.issuers.end()) ||
                 (policy.issuer_check && policy.issuer_check(iss.get<std::string>())));
  LATCHKEY_CHECK(AudienceAccepted(jwt.claims.value("aud", json()), policy));
  if (jwt.claims.contains("exp")) {
    LATCHKEY_CHECK(jwt.claims["exp"].is_number());
    LATCHKEY_CHECK(jwt.claims["exp"].get<double>() > now - skew);
    LATCHKEY_CHECK(jwt.expires_at > kNow - std::chrono::seconds(301));
  } else {
    LATCHKEY_CHECK(jwt.expires_at == TimePoint::max());
  }
  for (const char* claim : {"nbf", "iat"}) {
    if (!jwt.claims.contains(claim)) continue;
    LATCHKEY_CHECK(jwt.claims[claim].is_number());
    LATCHKEY_CHECK(jwt.claims[claim].get<double>() <= now + skew);
  }
}

void Verify(std::string_view token) {
  Fixture& f = GetFixture();
  Result<jose::ParsedJwt> parsed = jose::ParseJwt(token);
  if (parsed) {
    LATCHKEY_CHECK(parsed->header.is_object() && parsed->claims.is_object());
    LATCHKEY_CHECK(token.starts_with(parsed->signing_input));
  }
  for (const jose::VerifyPolicy* policy : {&f.strict, &f.lax}) {
    Result<jose::VerifiedJwt> verified = jose::VerifyJwt(token, *policy, f.keys, kNow);
    if (verified) {
      LATCHKEY_CHECK(parsed.has_value());
      CheckAccepted(*verified, *policy);
    } else {
      LATCHKEY_CHECK(verified.error().code == ErrorCode::kUnauthenticated);
      // Messages are logged: they must never quote the token.
      LATCHKEY_CHECK(token.size() < 8 ||
                     verified.error().message.find(token) == std::string::npos);
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0 || size > jose::kMaxJwtSize + 2) return 0;
  const std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
  if (data[0] % 2 == 0) {
    Verify(input);
    return 0;
  }
  // "<header>\n<claims>": both parts go in as raw bytes, so duplicate keys, odd numbers and
  // invalid UTF-8 reach the verifier exactly as an attacker with a signing key would send them.
  const size_t newline = input.find('\n');
  if (newline == std::string_view::npos) return 0;
  std::string signing_input = Base64UrlEncode(input.substr(0, newline)) + "." +
                              Base64UrlEncode(input.substr(newline + 1));
  Result<std::string> signature = GetFixture().key.SignRs256(signing_input);
  LATCHKEY_CHECK(signature.has_value());
  Verify(signing_input + "." + Base64UrlEncode(*signature));
  return 0;
}

// Micro-benchmarks of the functions on latchkeyd's hot paths (bench/README.md):
//   PAT hash + cache lookup   what every PAT-authenticated request costs before the handler
//   JWT verify, cold/cached   an Entra access token the first time, and every time after
//   token issuance, no I/O    the claims of a client-credentials token + the RS256 signature
//   JSON response building    SCIM /Me and the token endpoint's body
// Each mirrors the production code path with the production types; nothing here does I/O.
#include <benchmark/benchmark.h>

#include <chrono>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/clock.h"
#include "base/encoding.h"
#include "base/json_writer.h"
#include "crypto/hash.h"
#include "crypto/rsa.h"
#include "jose/jws.h"
#include "jose/jwt_verifier.h"
#include "store/records.h"
#include "workspace/bounded_cache.h"
#include "auth/pat_cache.h"
#include "auth/pat_format.h"
#include "workspace/scim.h"

namespace latchkey {
namespace {

using nlohmann::json;

const crypto::RsaPrivateKey& Key() {
  static const crypto::RsaPrivateKey key = *crypto::RsaPrivateKey::Generate(2048);
  return key;
}

TimePoint Now() { return std::chrono::time_point_cast<TimePoint::duration>(std::chrono::system_clock::now()); }

// The claims TokenService::Issue writes for a v1-style client-credentials token, in its
// order (sorted, as an nlohmann object would hold them).
std::string IssueClaims(int64_t now, const std::string& uti) {
  const std::string base = "https://127.0.0.1:8443";
  const std::string tenant = "72f988bf-86f1-41af-91ab-2d7cd011db47";
  const std::string iss = base + "/" + tenant + "/";
  return *JsonObjectWriter(768)
              .String("appid", "0d4bd1b4-2f3e-4c4e-8a51-8a3e2c1f6d70")
              .String("appidacr", "1")
              .String("aud", "2ff814a6-3304-4ab8-85cb-cd0e6f879c1d")
              .Int("exp", now + 3600)
              .Int("iat", now)
              .String("idp", iss)
              .String("idtyp", "app")
              .String("iss", iss)
              .Int("nbf", now)
              .String("oid", "3f1c2c52-5b6a-4bd8-9c55-7a1c6b0d9e11")
              .String("sub", "3f1c2c52-5b6a-4bd8-9c55-7a1c6b0d9e11")
              .String("tid", tenant)
              .String("uti", uti)
              .String("ver", "1.0")
              .Finish();
}

const std::string& EncodedHeader() {
  static const std::string header = jose::EncodeRs256Header("k1");
  return header;
}

void BM_Sha256Hex(benchmark::State& state) {
  const std::string pat = "dapi0123456789abcdef0123456789abcdef";
  for (auto _ : state) benchmark::DoNotOptimize(crypto::Sha256Hex(pat));
}
BENCHMARK(BM_Sha256Hex);

// Authenticator::CheckPat up to the cache hit: shape check, SHA-256 token id, PatCache lookup
// (the same BoundedTtlCache<CachedPat>), in a cache of 100k entries.
void BM_PatHashAndLookup(benchmark::State& state) {
  workspace::BoundedTtlCache<auth::CachedPat> cache(100000);
  std::vector<std::string> pats;
  const TimePoint now = Now();
  for (int i = 0; i < 100000; ++i) {
    char hex[40];
    std::snprintf(hex, sizeof hex, "%032x", i * 2654435761u);
    std::string pat = std::string("dapi") + hex;
    cache.Put(auth::HashSecretValue(pat), auth::CachedPat{i, std::nullopt},
              now + std::chrono::hours(1), cache.generation());
    if (i % 100 == 0) pats.push_back(pat);
  }
  size_t i = 0;
  for (auto _ : state) {
    const std::string& pat = pats[i++ % pats.size()];
    if (!auth::LooksLikePat(pat)) state.SkipWithError("not a PAT");
    auto hit = cache.Get(auth::HashSecretValue(pat), now);
    benchmark::DoNotOptimize(hit);
  }
}
BENCHMARK(BM_PatHashAndLookup);

class OneKey final : public jose::KeySource {
 public:
  std::optional<crypto::RsaPublicKey> Find(std::string_view kid) const override {
    if (kid == "k1") return Key().PublicKey();
    return std::nullopt;
  }
};

std::string EntraToken() {
  static const std::string token = *jose::SignCompact(
      EncodedHeader(), IssueClaims(ToUnixSeconds(Now()), "AAAAAAAAAAAAAAAAAAAAAA"), Key());
  return token;
}

jose::VerifyPolicy EntraPolicy() {
  jose::VerifyPolicy policy;
  policy.issuer_check = [](std::string_view iss) { return iss.ends_with("/"); };
  policy.audiences = {"2ff814a6-3304-4ab8-85cb-cd0e6f879c1d"};
  return policy;
}

// The first sight of an Entra token: parse, RS256 verify, claim checks.
void BM_JwtVerifyCold(benchmark::State& state) {
  const std::string token = EntraToken();
  const OneKey keys;
  const jose::VerifyPolicy policy = EntraPolicy();
  for (auto _ : state) {
    auto verified = jose::VerifyJwt(token, policy, keys, Now());
    if (!verified) state.SkipWithError("verify failed");
    benchmark::DoNotOptimize(verified);
  }
}
BENCHMARK(BM_JwtVerifyCold);

// Every later sight: SHA-256 of the whole token string, then the verified-JWT cache.
void BM_JwtVerifyCached(benchmark::State& state) {
  const std::string token = EntraToken();
  struct CachedJwt {
    int64_t principal_id;
    std::string token_id;
  };
  workspace::BoundedTtlCache<CachedJwt> cache(100000);
  const TimePoint now = Now();
  cache.Put(crypto::Sha256Hex(token), CachedJwt{42, "AAAAAAAAAAAAAAAAAAAAAA"},
            now + std::chrono::hours(1), cache.generation());
  for (auto _ : state) {
    if (std::count(token.begin(), token.end(), '.') != 2) state.SkipWithError("shape");
    auto hit = cache.Get(crypto::Sha256Hex(token), now);
    if (!hit) state.SkipWithError("miss");
    benchmark::DoNotOptimize(hit);
  }
}
BENCHMARK(BM_JwtVerifyCached);

void BM_RsaSign(benchmark::State& state) {
  const std::string input(600, 'x');
  for (auto _ : state) benchmark::DoNotOptimize(Key().SignRs256(input));
}
BENCHMARK(BM_RsaSign)->Unit(benchmark::kMicrosecond);

// TokenService::Issue after the store reads: claims, then SigningKeys::SignPayload.
void BM_IssueTokenNoIo(benchmark::State& state) {
  const std::string uti = Base64UrlEncode(std::string(16, '\x5a'));
  for (auto _ : state) {
    auto jwt = jose::SignCompact(EncodedHeader(), IssueClaims(ToUnixSeconds(Now()), uti), Key());
    if (!jwt) state.SkipWithError("sign failed");
    benchmark::DoNotOptimize(jwt);
  }
}
BENCHMARK(BM_IssueTokenNoIo)->Unit(benchmark::kMicrosecond);

// Claims + header + base64url, without the signature: the part of issuance latchkey owns.
void BM_IssueClaimsOnly(benchmark::State& state) {
  const std::string uti = Base64UrlEncode(std::string(16, '\x5a'));
  for (auto _ : state) {
    std::string input = EncodedHeader() + "." + Base64UrlEncode(IssueClaims(ToUnixSeconds(Now()), uti));
    benchmark::DoNotOptimize(input);
  }
}
BENCHMARK(BM_IssueClaimsOnly);

// SCIM /Me for a user in two groups: encode + dump, as the workspace wrapper does.
void BM_JsonScimMe(benchmark::State& state) {
  store::Principal p;
  p.id = 1234567890123456;
  p.kind = store::PrincipalKind::kUser;
  p.user_name = "admin@example.com";
  p.display_name = "admin@example.com";
  p.active = true;
  p.entitlements = {"workspace-access", "allow-cluster-create"};
  workspace::DirectorySnapshot dir;
  dir.groups.push_back(store::Group{2000000000000001, "admins", {p.id}, {}});
  dir.groups.push_back(store::Group{2000000000000002, "users", {p.id}, {}});
  for (auto _ : state) {
    std::string body = workspace::EncodeMe(p, dir).dump(-1, ' ', false,
                                                         json::error_handler_t::replace);
    benchmark::DoNotOptimize(body);
  }
}
BENCHMARK(BM_JsonScimMe);

// The token endpoint's v2 body around a ~1 KB access token, as TokenService::Handle writes it.
void BM_JsonTokenResponse(benchmark::State& state) {
  const std::string token = EntraToken();
  for (auto _ : state) {
    std::string text = *JsonObjectWriter(token.size() + 160)
                            .String("access_token", token)
                            .Int("expires_in", 3599)
                            .Int("ext_expires_in", 3599)
                            .String("token_type", "Bearer")
                            .Finish();
    benchmark::DoNotOptimize(text);
  }
}
BENCHMARK(BM_JsonTokenResponse);

}  // namespace
}  // namespace latchkey

BENCHMARK_MAIN();

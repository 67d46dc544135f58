#include "jose/jwt_verifier.h"

#include <algorithm>
#include <cmath>
#include <mutex>
#include <utility>

#include "jose/jws.h"

namespace latchkey::jose {
namespace {

using nlohmann::json;

constexpr std::chrono::seconds kMaxSkew{300};

std::unexpected<Error> Reject(std::string_view check) {
  return MakeError(ErrorCode::kUnauthenticated, "JWT rejected: " + std::string(check));
}

bool Contains(const std::vector<std::string>& list, std::string_view value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

Status CheckHeader(const json& header, const VerifyPolicy& policy) {
  auto alg = header.find("alg");
  if (alg == header.end() || !alg->is_string()) return Reject("alg missing");
  const std::string& name = alg->get_ref<const std::string&>();
  // RFC 8725 §3.1: only an algorithm we implement, on the allow-list; never "none" or an HMAC
  // algorithm (which would key HMAC with our public key).
  if (name != "RS256" || !Contains(policy.algorithms, name)) return Reject("alg not allowed");
  // RFC 7515 §4.1.11: we understand no extensions, so any "crit" must be refused.
  if (header.contains("crit")) return Reject("crit header not supported");
  for (const char* param : {"jku", "jwk", "x5u"}) {
    if (header.contains(param)) return Reject("embedded key or key URL in header");
  }
  return Ok();
}

Result<crypto::RsaPublicKey> FindKey(const json& header, const VerifyPolicy& policy,
                                     const KeySource& keys) {
  auto kid = header.find("kid");
  if (kid != header.end() && !kid->is_string()) return Reject("kid not a string");
  if (kid == header.end() && policy.require_kid) return Reject("kid missing");
  const std::string_view name =
      kid == header.end() ? std::string_view() : kid->get_ref<const std::string&>();
  std::optional<crypto::RsaPublicKey> key = keys.Find(name);
  if (!key) return Reject("unknown kid");
  return std::move(*key);
}

// Reads a NumericDate (RFC 7519 §2): any JSON number of seconds. nullopt if absent.
Result<std::optional<double>> NumericDate(const json& claims, const char* name) {
  auto it = claims.find(name);
  if (it == claims.end()) return std::optional<double>();
  if (!it->is_number()) return Reject(std::string(name) + " is not a number");
  const double value = it->get<double>();
  if (!std::isfinite(value)) return Reject(std::string(name) + " is not a number");
  return std::optional<double>(value);
}

Status CheckTimes(const json& claims, const VerifyPolicy& policy, TimePoint now,
                  TimePoint& expires_at) {
  const std::chrono::seconds skew = std::clamp(policy.skew, std::chrono::seconds(0), kMaxSkew);
  const double now_s = static_cast<double>(ToUnixSeconds(now));
  const double skew_s = static_cast<double>(skew.count());
  Result<std::optional<double>> exp = NumericDate(claims, "exp");
  if (!exp) return std::unexpected(exp.error());
  Result<std::optional<double>> nbf = NumericDate(claims, "nbf");
  if (!nbf) return std::unexpected(nbf.error());
  Result<std::optional<double>> iat = NumericDate(claims, "iat");
  if (!iat) return std::unexpected(iat.error());
  if (*exp && **exp <= now_s - skew_s) return Reject("token expired");
  if (*nbf && **nbf > now_s + skew_s) return Reject("token not yet valid");
  if (*iat && **iat > now_s + skew_s) return Reject("token issued in the future");
  expires_at = TimePoint::max();
  // Far-future values saturate rather than overflow the time_point. TimePoint counts
  // nanoseconds in int64, so it ends in the year 2262: converting a larger "exp" was signed
  // overflow (found by fuzz/jwt_fuzz.cc, corpus regress_exp_beyond_time_point).
  constexpr double kMaxSeconds = static_cast<double>(
      std::chrono::duration_cast<std::chrono::seconds>(TimePoint::duration::max()).count() - 1);
  if (*exp && **exp < kMaxSeconds) expires_at = FromUnixSeconds(static_cast<int64_t>(**exp));
  return Ok();
}

Status CheckIssuer(const json& claims, const VerifyPolicy& policy) {
  auto iss = claims.find("iss");
  if (iss == claims.end() || !iss->is_string()) return Reject("issuer not accepted");
  const std::string& value = iss->get_ref<const std::string&>();
  if (Contains(policy.issuers, value)) return Ok();
  if (policy.issuer_check && policy.issuer_check(value)) return Ok();
  return Reject("issuer not accepted");
}

Status CheckAudience(const json& claims, const VerifyPolicy& policy) {
  auto aud = claims.find("aud");
  if (aud == claims.end()) return Reject("audience not accepted");
  if (aud->is_string()) {
    if (Contains(policy.audiences, aud->get_ref<const std::string&>())) return Ok();
    return Reject("audience not accepted");
  }
  if (!aud->is_array()) return Reject("aud is neither a string nor an array");
  bool accepted = false;
  for (const json& entry : *aud) {
    if (!entry.is_string()) return Reject("aud array has a non-string entry");
    accepted = accepted || Contains(policy.audiences, entry.get_ref<const std::string&>());
  }
  return accepted ? Ok() : Reject("audience not accepted");
}

}  // namespace

void StaticKeySource::Add(std::string kid, crypto::RsaPublicKey key) {
  std::unique_lock lock(mu_);
  keys_.insert_or_assign(std::move(kid), std::move(key));
}

std::optional<crypto::RsaPublicKey> StaticKeySource::Find(std::string_view kid) const {
  std::shared_lock lock(mu_);
  auto it = keys_.find(kid);
  if (it == keys_.end()) return std::nullopt;
  return it->second;
}

namespace {

// Every check of a parsed token; sets `expires_at`.
Status CheckParsed(const ParsedJwt& jwt, const VerifyPolicy& policy, const KeySource& keys,
                   TimePoint now, TimePoint& expires_at) {
  if (Status ok = CheckHeader(jwt.header, policy); !ok) return ok;
  Result<crypto::RsaPublicKey> key = FindKey(jwt.header, policy, keys);
  if (!key) return std::unexpected(key.error());
  // Nothing in the payload is looked at until the signature holds.
  if (!key->VerifyRs256(jwt.signing_input, jwt.signature)) return Reject("bad signature");

  for (const std::string& claim : policy.required_claims) {
    if (!jwt.claims.contains(claim)) return Reject("required claim missing: " + claim);
  }
  if (Status ok = CheckTimes(jwt.claims, policy, now, expires_at); !ok) return ok;
  if (Status ok = CheckIssuer(jwt.claims, policy); !ok) return ok;
  return CheckAudience(jwt.claims, policy);
}

}  // namespace

Result<VerifiedJwt> VerifyJwt(std::string_view token, const VerifyPolicy& policy,
                              const KeySource& keys, TimePoint now) {
  Result<ParsedJwt> jwt = ParseJwt(token);
  if (!jwt) return Reject("malformed token (" + jwt.error().message + ")");
  TimePoint expires_at;
  if (Status ok = CheckParsed(*jwt, policy, keys, now, expires_at); !ok) {
    return std::unexpected(ok.error());
  }
  return VerifiedJwt{.header = std::move(jwt->header),
                     .claims = std::move(jwt->claims),
                     .expires_at = expires_at};
}

Result<VerifiedJwt> VerifyJwt(const ParsedJwt& jwt, const VerifyPolicy& policy,
                              const KeySource& keys, TimePoint now) {
  TimePoint expires_at;
  if (Status ok = CheckParsed(jwt, policy, keys, now, expires_at); !ok) {
    return std::unexpected(ok.error());
  }
  return VerifiedJwt{.header = jwt.header, .claims = jwt.claims, .expires_at = expires_at};
}

}  // namespace latchkey::jose

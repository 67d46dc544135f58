// P-256 public keys and ES256 verification (ECDSA with SHA-256, RFC 7518 §3.4), for tokens of
// external OpenID issuers (workload identity federation). Verification only: latchkey signs
// with RSA. Immutable, cheap to copy, thread-safe like RsaPublicKey.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "base/result.h"

struct evp_pkey_st;

namespace latchkey::crypto {

class EcPublicKey {
 public:
  // A P-256 point from its big-endian affine coordinates (32 bytes each, as in a JWK's x and
  // y). kInvalidArgument for another length or a point that is not on the curve.
  static Result<EcPublicKey> FromP256Coordinates(std::string_view x, std::string_view y);

  // True iff `signature` is a valid ES256 JWS signature of `data`: exactly 64 bytes R || S
  // (RFC 7518 §3.4), each in [1, n-1]. A DER-encoded signature is refused.
  bool VerifyEs256(std::string_view data, std::string_view signature) const;

 private:
  explicit EcPublicKey(std::shared_ptr<evp_pkey_st> pkey) : pkey_(std::move(pkey)) {}
  std::shared_ptr<evp_pkey_st> pkey_;
};

}  // namespace latchkey::crypto

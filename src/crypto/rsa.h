// RSA keys and RS256 (RSASSA-PKCS1-v1_5 with SHA-256, RFC 7518 §3.3).
//
// Keys are immutable after construction and cheap to copy (copies share one reference-counted
// OpenSSL key). Every const method is thread-safe: signing and verifying build a fresh
// per-call context, so concurrent callers never contend on a lock of ours.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "base/result.h"
#include "base/secret.h"

struct evp_pkey_st;  // OpenSSL's EVP_PKEY; kept opaque so callers need no OpenSSL headers.

namespace latchkey::crypto {

class RsaPublicKey {
 public:
  // Parses a SubjectPublicKeyInfo PEM ("BEGIN PUBLIC KEY"). kInvalidArgument if it is not one
  // or the key is not RSA.
  static Result<RsaPublicKey> FromPem(std::string_view pem);
  // Parses a DER SubjectPublicKeyInfo. Same errors as FromPem.
  static Result<RsaPublicKey> FromDer(std::string_view spki_der);
  // Builds a key from the big-endian modulus and public exponent. kInvalidArgument for an
  // empty, even or oversized (> 16384 bits) modulus or an even / < 3 / > 64-bit exponent.
  static Result<RsaPublicKey> FromComponents(std::string_view n_bytes, std::string_view e_bytes);

  std::string ToPem() const;  // SubjectPublicKeyInfo PEM
  std::string ToDer() const;  // SubjectPublicKeyInfo DER
  std::string Modulus() const { return n_; }   // big-endian bytes, no leading zero
  std::string Exponent() const { return e_; }  // big-endian bytes, no leading zero
  int Bits() const;

  // True iff `signature` is a valid RS256 signature of `data` under this key.
  bool VerifyRs256(std::string_view data, std::string_view signature) const;

  // Same modulus and exponent.
  friend bool operator==(const RsaPublicKey& a, const RsaPublicKey& b) {
    return a.n_ == b.n_ && a.e_ == b.e_;
  }

 private:
  friend class RsaPrivateKey;
  static Result<RsaPublicKey> FromPkey(std::shared_ptr<evp_pkey_st> pkey);
  RsaPublicKey(std::shared_ptr<evp_pkey_st> pkey, std::string n, std::string e)
      : pkey_(std::move(pkey)), n_(std::move(n)), e_(std::move(e)) {}

  std::shared_ptr<evp_pkey_st> pkey_;
  std::string n_;
  std::string e_;
};

class RsaPrivateKey {
 public:
  // Generates a fresh key from OpenSSL's CSPRNG. kInvalidArgument unless 2048 <= bits <= 16384.
  static Result<RsaPrivateKey> Generate(int bits = 2048);
  // Parses an unencrypted PKCS#8 ("BEGIN PRIVATE KEY") or PKCS#1 ("BEGIN RSA PRIVATE KEY")
  // PEM. kInvalidArgument for anything else, an encrypted key, a non-RSA key or < 2048 bits.
  static Result<RsaPrivateKey> FromPem(std::string_view pem);
  // Builds a key from big-endian CRT components (the JWK "n","e","d","p","q","dp","dq","qi").
  // kInvalidArgument if they do not form a consistent key of at least 2048 bits.
  static Result<RsaPrivateKey> FromComponents(std::string_view n, std::string_view e,
                                              std::string_view d, std::string_view p,
                                              std::string_view q, std::string_view dp,
                                              std::string_view dq, std::string_view qi);

  // Unencrypted PKCS#8 PEM.
  Secret ToPem() const;
  // RS256 signature of `data` (deterministic). kInternal only if OpenSSL fails.
  Result<std::string> SignRs256(std::string_view data) const;
  const RsaPublicKey& PublicKey() const { return public_key_; }
  int Bits() const { return public_key_.Bits(); }

 private:
  static Result<RsaPrivateKey> FromPkey(std::shared_ptr<evp_pkey_st> pkey);
  RsaPrivateKey(std::shared_ptr<evp_pkey_st> pkey, RsaPublicKey public_key)
      : pkey_(std::move(pkey)), public_key_(std::move(public_key)) {}

  std::shared_ptr<evp_pkey_st> pkey_;
  RsaPublicKey public_key_;
};

}  // namespace latchkey::crypto

#include "crypto/rsa.h"

#include <climits>
#include <span>
#include <utility>
#include <vector>

#include <openssl/core_names.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "crypto/openssl_handles.h"

namespace latchkey::crypto {
namespace {

constexpr int kMinPrivateBits = 2048;
constexpr int kMaxBits = 16384;

// Refuses to prompt for (or guess) a passphrase: encrypted PEM files are not supported.
int NoPassphrase(char*, int, int, void*) { return -1; }

const unsigned char* Bytes(std::string_view s) {
  static const unsigned char kEmpty = 0;
  return s.empty() ? &kEmpty : reinterpret_cast<const unsigned char*>(s.data());
}

Result<std::string> GetBn(EVP_PKEY* pkey, const char* name) {
  BIGNUM* raw = nullptr;
  if (EVP_PKEY_get_bn_param(pkey, name, &raw) != 1) {
    return OpenSslError(ErrorCode::kInvalidArgument, "RSA key lacks a required component");
  }
  UniqueBignum bn(raw);
  return BignumBytes(bn.get());
}

// Strips leading zero octets (JWK writers sometimes keep them; RFC 7518 says they must not).
std::string_view StripZeros(std::string_view bytes) {
  while (!bytes.empty() && bytes.front() == '\0') bytes.remove_prefix(1);
  return bytes;
}

bool PushBn(OSSL_PARAM_BLD* bld, const char* name, std::string_view bytes,
            std::vector<UniqueBignumSecret>& keep_alive) {
  UniqueBignumSecret bn(BN_bin2bn(Bytes(bytes), static_cast<int>(bytes.size()), nullptr));
  if (bn == nullptr || OSSL_PARAM_BLD_push_BN(bld, name, bn.get()) != 1) return false;
  keep_alive.push_back(std::move(bn));
  return true;
}

using Component = std::pair<const char*, std::string_view>;

Result<UniqueEvpPkey> PkeyFromData(std::span<const Component> components, int selection) {
  UniqueParamBld bld(OSSL_PARAM_BLD_new());
  if (bld == nullptr) return OpenSslError(ErrorCode::kInternal, "OSSL_PARAM_BLD_new failed");
  std::vector<UniqueBignumSecret> keep_alive;
  for (const auto& [name, bytes] : components) {
    if (bytes.size() > kMaxBits / 8 || !PushBn(bld.get(), name, bytes, keep_alive)) {
      return OpenSslError(ErrorCode::kInvalidArgument, "invalid RSA key component");
    }
  }
  UniqueParams params(OSSL_PARAM_BLD_to_param(bld.get()));
  UniqueEvpPkeyCtx ctx(EVP_PKEY_CTX_new_from_name(nullptr, "RSA", nullptr));
  if (params == nullptr || ctx == nullptr || EVP_PKEY_fromdata_init(ctx.get()) != 1) {
    return OpenSslError(ErrorCode::kInternal, "cannot set up RSA key import");
  }
  EVP_PKEY* raw = nullptr;
  if (EVP_PKEY_fromdata(ctx.get(), &raw, selection, params.get()) != 1) {
    return OpenSslError(ErrorCode::kInvalidArgument, "invalid RSA key components");
  }
  return UniqueEvpPkey(raw);
}

}  // namespace

Result<RsaPublicKey> RsaPublicKey::FromPkey(std::shared_ptr<evp_pkey_st> pkey) {
  if (EVP_PKEY_is_a(pkey.get(), "RSA") != 1) {
    return MakeError(ErrorCode::kInvalidArgument, "not an RSA key");
  }
  Result<std::string> n = GetBn(pkey.get(), OSSL_PKEY_PARAM_RSA_N);
  if (!n) return std::unexpected(n.error());
  Result<std::string> e = GetBn(pkey.get(), OSSL_PKEY_PARAM_RSA_E);
  if (!e) return std::unexpected(e.error());
  return RsaPublicKey(std::move(pkey), std::move(*n), std::move(*e));
}

Result<RsaPublicKey> RsaPublicKey::FromPem(std::string_view pem) {
  UniqueBio bio = MemoryBio(pem);
  UniqueEvpPkey pkey(PEM_read_bio_PUBKEY(bio.get(), nullptr, NoPassphrase, nullptr));
  if (pkey == nullptr) {
    return OpenSslError(ErrorCode::kInvalidArgument, "not a PEM public key");
  }
  return FromPkey(SharePkey(std::move(pkey)));
}

Result<RsaPublicKey> RsaPublicKey::FromDer(std::string_view spki_der) {
  if (spki_der.size() > static_cast<size_t>(LONG_MAX)) {
    return MakeError(ErrorCode::kInvalidArgument, "public key too large");
  }
  const unsigned char* p = Bytes(spki_der);
  UniqueEvpPkey pkey(d2i_PUBKEY(nullptr, &p, static_cast<long>(spki_der.size())));
  if (pkey == nullptr || p != Bytes(spki_der) + spki_der.size()) {
    return OpenSslError(ErrorCode::kInvalidArgument, "not a DER public key");
  }
  return FromPkey(SharePkey(std::move(pkey)));
}

Result<RsaPublicKey> RsaPublicKey::FromComponents(std::string_view n_bytes,
                                                  std::string_view e_bytes) {
  n_bytes = StripZeros(n_bytes);
  e_bytes = StripZeros(e_bytes);
  if (n_bytes.empty() || n_bytes.size() > kMaxBits / 8 || (n_bytes.back() & 1) == 0) {
    return MakeError(ErrorCode::kInvalidArgument, "invalid RSA modulus");
  }
  const bool e_too_small = e_bytes.size() == 1 && static_cast<unsigned char>(e_bytes[0]) < 3;
  if (e_bytes.empty() || e_bytes.size() > 8 || (e_bytes.back() & 1) == 0 || e_too_small) {
    return MakeError(ErrorCode::kInvalidArgument, "invalid RSA public exponent");
  }
  const Component components[] = {{OSSL_PKEY_PARAM_RSA_N, n_bytes},
                                  {OSSL_PKEY_PARAM_RSA_E, e_bytes}};
  Result<UniqueEvpPkey> pkey = PkeyFromData(components, EVP_PKEY_PUBLIC_KEY);
  if (!pkey) return std::unexpected(pkey.error());
  return FromPkey(SharePkey(std::move(*pkey)));
}

std::string RsaPublicKey::ToPem() const {
  UniqueBio bio(BIO_new(BIO_s_mem()));
  LATCHKEY_CHECK(bio != nullptr && PEM_write_bio_PUBKEY(bio.get(), pkey_.get()) == 1);
  return BioContents(bio.get());
}

std::string RsaPublicKey::ToDer() const {
  const int len = i2d_PUBKEY(pkey_.get(), nullptr);
  LATCHKEY_CHECK(len > 0);
  std::string der(static_cast<size_t>(len), '\0');
  unsigned char* p = reinterpret_cast<unsigned char*>(der.data());
  LATCHKEY_CHECK(i2d_PUBKEY(pkey_.get(), &p) == len);
  return der;
}

int RsaPublicKey::Bits() const { return EVP_PKEY_get_bits(pkey_.get()); }

bool RsaPublicKey::VerifyRs256(std::string_view data, std::string_view signature) const {
  // RFC 8017 §8.2.2: the signature is exactly k octets, k the modulus length.
  if (signature.size() != n_.size()) return false;
  UniqueEvpMdCtx ctx(EVP_MD_CTX_new());
  if (ctx == nullptr ||
      EVP_DigestVerifyInit(ctx.get(), nullptr, Sha256Md(), nullptr, pkey_.get()) != 1) {
    ClearOpenSslErrors();
    return false;
  }
  const bool ok = EVP_DigestVerify(ctx.get(), Bytes(signature), signature.size(), Bytes(data),
                                   data.size()) == 1;
  if (!ok) ClearOpenSslErrors();
  return ok;
}

Result<RsaPrivateKey> RsaPrivateKey::FromPkey(std::shared_ptr<evp_pkey_st> pkey) {
  if (EVP_PKEY_is_a(pkey.get(), "RSA") != 1) {
    return MakeError(ErrorCode::kInvalidArgument, "not an RSA key");
  }
  if (EVP_PKEY_get_bits(pkey.get()) < kMinPrivateBits) {
    return MakeError(ErrorCode::kInvalidArgument, "RSA key shorter than 2048 bits");
  }
  // The public half gets its own public-only key object, so it never carries private material.
  Result<std::string> n = GetBn(pkey.get(), OSSL_PKEY_PARAM_RSA_N);
  if (!n) return std::unexpected(n.error());
  Result<std::string> e = GetBn(pkey.get(), OSSL_PKEY_PARAM_RSA_E);
  if (!e) return std::unexpected(e.error());
  Result<RsaPublicKey> public_key = RsaPublicKey::FromComponents(*n, *e);
  if (!public_key) return std::unexpected(public_key.error());
  return RsaPrivateKey(std::move(pkey), std::move(*public_key));
}

Result<RsaPrivateKey> RsaPrivateKey::Generate(int bits) {
  if (bits < kMinPrivateBits || bits > kMaxBits) {
    return MakeError(ErrorCode::kInvalidArgument, "RSA key size must be 2048..16384 bits");
  }
  Result<UniqueEvpPkey> pkey = GenerateRsaPkey(bits);
  if (!pkey) return std::unexpected(pkey.error());
  return FromPkey(SharePkey(std::move(*pkey)));
}

Result<RsaPrivateKey> RsaPrivateKey::FromPem(std::string_view pem) {
  Result<UniqueEvpPkey> pkey = ReadPrivateKeyPem(pem);
  if (!pkey) return std::unexpected(pkey.error());
  return FromPkey(SharePkey(std::move(*pkey)));
}

Result<RsaPrivateKey> RsaPrivateKey::FromComponents(std::string_view n, std::string_view e,
                                                    std::string_view d, std::string_view p,
                                                    std::string_view q, std::string_view dp,
                                                    std::string_view dq, std::string_view qi) {
  const Component components[] = {
      {OSSL_PKEY_PARAM_RSA_N, n},          {OSSL_PKEY_PARAM_RSA_E, e},
      {OSSL_PKEY_PARAM_RSA_D, d},          {OSSL_PKEY_PARAM_RSA_FACTOR1, p},
      {OSSL_PKEY_PARAM_RSA_FACTOR2, q},    {OSSL_PKEY_PARAM_RSA_EXPONENT1, dp},
      {OSSL_PKEY_PARAM_RSA_EXPONENT2, dq}, {OSSL_PKEY_PARAM_RSA_COEFFICIENT1, qi}};
  for (const auto& [name, bytes] : components) {
    if (StripZeros(bytes).empty()) {
      return MakeError(ErrorCode::kInvalidArgument, "missing RSA private key component");
    }
  }
  Result<UniqueEvpPkey> pkey = PkeyFromData(components, EVP_PKEY_KEYPAIR);
  if (!pkey) return std::unexpected(pkey.error());
  // Imported components are not trusted to be consistent: an inconsistent CRT key would
  // produce invalid signatures (or leak a factor through a faulty one).
  UniqueEvpPkeyCtx check(EVP_PKEY_CTX_new_from_pkey(nullptr, pkey->get(), nullptr));
  if (check == nullptr || EVP_PKEY_pairwise_check(check.get()) != 1) {
    return OpenSslError(ErrorCode::kInvalidArgument, "inconsistent RSA private key components");
  }
  return FromPkey(SharePkey(std::move(*pkey)));
}

Secret RsaPrivateKey::ToPem() const { return WritePrivateKeyPem(pkey_.get()); }

Result<std::string> RsaPrivateKey::SignRs256(std::string_view data) const {
  // A context per call: EVP_PKEY is safe to share read-only between threads, a context is not.
  UniqueEvpMdCtx ctx(EVP_MD_CTX_new());
  size_t len = 0;
  if (ctx == nullptr ||
      EVP_DigestSignInit(ctx.get(), nullptr, Sha256Md(), nullptr, pkey_.get()) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &len, Bytes(data), data.size()) != 1) {
    return OpenSslError(ErrorCode::kInternal, "RS256 signing failed");
  }
  std::string signature(len, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(signature.data()), &len,
                     Bytes(data), data.size()) != 1) {
    return OpenSslError(ErrorCode::kInternal, "RS256 signing failed");
  }
  signature.resize(len);
  return signature;
}

}  // namespace latchkey::crypto

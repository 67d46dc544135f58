#include "crypto/ec.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include "crypto/openssl_handles.h"

namespace latchkey::crypto {
namespace {

const unsigned char* Bytes(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

using UniqueEcdsaSig = std::unique_ptr<ECDSA_SIG, OpenSslDeleter<ECDSA_SIG_free>>;

}  // namespace

Result<EcPublicKey> EcPublicKey::FromP256Coordinates(std::string_view x, std::string_view y) {
  if (x.size() != 32 || y.size() != 32) {
    return MakeError(ErrorCode::kInvalidArgument, "P-256 coordinates must be 32 bytes each");
  }
  // The uncompressed point 04 || X || Y; EVP_PKEY_fromdata checks that it is on the curve.
  std::string point = std::string(1, '\x04') + std::string(x) + std::string(y);
  UniqueParamBld bld(OSSL_PARAM_BLD_new());
  if (bld == nullptr ||
      OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) != 1 ||
      OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(),
                                       point.size()) != 1) {
    ClearOpenSslErrors();
    return MakeError(ErrorCode::kInternal, "cannot set up EC key import");
  }
  UniqueParams params(OSSL_PARAM_BLD_to_param(bld.get()));
  UniqueEvpPkeyCtx ctx(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
  if (params == nullptr || ctx == nullptr || EVP_PKEY_fromdata_init(ctx.get()) != 1) {
    ClearOpenSslErrors();
    return MakeError(ErrorCode::kInternal, "cannot set up EC key import");
  }
  EVP_PKEY* raw = nullptr;
  if (EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_PUBLIC_KEY, params.get()) != 1) {
    ClearOpenSslErrors();
    return MakeError(ErrorCode::kInvalidArgument, "not a P-256 point");
  }
  UniqueEvpPkey pkey(raw);
  // fromdata does not always validate the point: check it explicitly.
  UniqueEvpPkeyCtx check(EVP_PKEY_CTX_new_from_pkey(nullptr, pkey.get(), nullptr));
  if (check == nullptr || EVP_PKEY_public_check(check.get()) != 1) {
    ClearOpenSslErrors();
    return MakeError(ErrorCode::kInvalidArgument, "not a P-256 point");
  }
  return EcPublicKey(SharePkey(std::move(pkey)));
}

bool EcPublicKey::VerifyEs256(std::string_view data, std::string_view signature) const {
  if (signature.size() != 64 || pkey_ == nullptr) return false;
  UniqueEcdsaSig sig(ECDSA_SIG_new());
  BIGNUM* r = BN_bin2bn(Bytes(signature.substr(0, 32)), 32, nullptr);
  BIGNUM* s = BN_bin2bn(Bytes(signature.substr(32)), 32, nullptr);
  if (sig == nullptr || r == nullptr || s == nullptr || ECDSA_SIG_set0(sig.get(), r, s) != 1) {
    BN_free(r);
    BN_free(s);
    ClearOpenSslErrors();
    return false;
  }
  unsigned char* der = nullptr;
  const int der_len = i2d_ECDSA_SIG(sig.get(), &der);
  if (der_len <= 0) {
    ClearOpenSslErrors();
    return false;
  }
  std::unique_ptr<unsigned char, void (*)(unsigned char*)> der_owner(
      der, [](unsigned char* p) { OPENSSL_free(p); });
  UniqueEvpMdCtx ctx(EVP_MD_CTX_new());
  if (ctx == nullptr ||
      EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, pkey_.get()) != 1) {
    ClearOpenSslErrors();
    return false;
  }
  const bool ok = EVP_DigestVerify(ctx.get(), der, static_cast<size_t>(der_len), Bytes(data),
                                   data.size()) == 1;
  if (!ok) ClearOpenSslErrors();
  return ok;
}

}  // namespace latchkey::crypto

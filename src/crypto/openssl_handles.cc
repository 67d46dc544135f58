#include "crypto/openssl_handles.h"

#include <climits>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

namespace latchkey::crypto {

std::shared_ptr<evp_pkey_st> SharePkey(UniqueEvpPkey pkey) {
  return std::shared_ptr<evp_pkey_st>(pkey.release(), EVP_PKEY_free);
}

const EVP_MD* Sha256Md() {
  // Fetched once and intentionally never freed: it lives as long as the process.
  static const EVP_MD* const md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  LATCHKEY_CHECK(md != nullptr);
  return md;
}

void ClearOpenSslErrors() { ERR_clear_error(); }

UniqueBio MemoryBio(std::string_view data) {
  LATCHKEY_CHECK(data.size() <= static_cast<size_t>(INT_MAX));
  UniqueBio bio(BIO_new_mem_buf(data.data(), static_cast<int>(data.size())));
  LATCHKEY_CHECK(bio != nullptr);
  return bio;
}

std::string BioContents(BIO* bio) {
  char* data = nullptr;
  long len = BIO_get_mem_data(bio, &data);
  if (len <= 0 || data == nullptr) return {};
  return std::string(data, static_cast<size_t>(len));
}

std::string BignumBytes(const BIGNUM* bn) {
  std::string out(static_cast<size_t>(BN_num_bytes(bn)), '\0');
  BN_bn2bin(bn, reinterpret_cast<unsigned char*>(out.data()));
  return out;
}

std::unexpected<Error> OpenSslError(ErrorCode code, std::string_view what) {
  ClearOpenSslErrors();
  return MakeError(code, std::string(what));
}

namespace {
// Refuses to prompt for (or guess) a passphrase: encrypted PEM files are not supported.
int NoPassphrase(char*, int, int, void*) { return -1; }
}  // namespace

Result<UniqueEvpPkey> ReadPrivateKeyPem(std::string_view pem) {
  UniqueBio bio = MemoryBio(pem);
  UniqueEvpPkey pkey(PEM_read_bio_PrivateKey(bio.get(), nullptr, NoPassphrase, nullptr));
  if (pkey == nullptr) {
    return OpenSslError(ErrorCode::kInvalidArgument, "not an unencrypted PEM private key");
  }
  return pkey;
}

Secret WritePrivateKeyPem(EVP_PKEY* pkey) {
  UniqueBio bio(BIO_new(BIO_s_secmem()));
  LATCHKEY_CHECK(bio != nullptr);
  LATCHKEY_CHECK(
      PEM_write_bio_PrivateKey(bio.get(), pkey, nullptr, nullptr, 0, nullptr, nullptr) == 1);
  return Secret(BioContents(bio.get()));
}

Result<UniqueEvpPkey> GenerateRsaPkey(int bits) {
  UniqueEvpPkeyCtx ctx(EVP_PKEY_CTX_new_from_name(nullptr, "RSA", nullptr));
  EVP_PKEY* raw = nullptr;
  if (ctx == nullptr || EVP_PKEY_keygen_init(ctx.get()) != 1 ||
      EVP_PKEY_CTX_set_rsa_keygen_bits(ctx.get(), bits) != 1 ||
      EVP_PKEY_generate(ctx.get(), &raw) != 1) {
    return OpenSslError(ErrorCode::kInternal, "RSA key generation failed");
  }
  return UniqueEvpPkey(raw);
}

}  // namespace latchkey::crypto

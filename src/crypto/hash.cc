#include "crypto/hash.h"

#include <openssl/crypto.h>
#include <openssl/hmac.h>

#include "base/encoding.h"
#include "crypto/openssl_handles.h"

namespace latchkey::crypto {
namespace {

// string_view::data() may be null for an empty view; OpenSSL wants a valid pointer.
const unsigned char* Bytes(std::string_view s) {
  static const unsigned char kEmpty = 0;
  return s.empty() ? &kEmpty : reinterpret_cast<const unsigned char*>(s.data());
}

std::string Digest(const EVP_MD* md, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  LATCHKEY_CHECK(EVP_Digest(Bytes(data), data.size(), out, &len, md, nullptr) == 1);
  return std::string(reinterpret_cast<const char*>(out), len);
}

// SHA-256 through a context kept per thread: EVP_Digest allocates and frees a context on
// every call, and this hash runs on every PAT-authenticated request.
void Sha256Into(std::string_view data, unsigned char (&out)[32]) {
  thread_local const UniqueEvpMdCtx ctx(EVP_MD_CTX_new());
  LATCHKEY_CHECK(ctx != nullptr);
  unsigned int len = 0;
  LATCHKEY_CHECK(EVP_DigestInit_ex2(ctx.get(), Sha256Md(), nullptr) == 1 &&
                 EVP_DigestUpdate(ctx.get(), Bytes(data), data.size()) == 1 &&
                 EVP_DigestFinal_ex(ctx.get(), out, &len) == 1 && len == sizeof(out));
}

}  // namespace

std::string Sha256(std::string_view data) {
  unsigned char out[32];
  Sha256Into(data, out);
  return std::string(reinterpret_cast<const char*>(out), sizeof(out));
}

std::string Sha256Hex(std::string_view data) {
  unsigned char out[32];
  Sha256Into(data, out);
  return HexEncode({reinterpret_cast<const char*>(out), sizeof(out)});
}

std::string Sha1(std::string_view data) { return Digest(EVP_sha1(), data); }

std::string HmacSha256(std::string_view key, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  LATCHKEY_CHECK(HMAC(Sha256Md(), Bytes(key), static_cast<int>(key.size()), Bytes(data),
                      data.size(), out, &len) != nullptr);
  std::string mac(reinterpret_cast<const char*>(out), len);
  OPENSSL_cleanse(out, sizeof(out));
  return mac;
}

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  return CRYPTO_memcmp(Bytes(a), Bytes(b), a.size()) == 0;
}

}  // namespace latchkey::crypto

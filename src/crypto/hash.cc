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

}  // namespace

std::string Sha256(std::string_view data) { return Digest(Sha256Md(), data); }

std::string Sha256Hex(std::string_view data) { return HexEncode(Sha256(data)); }

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

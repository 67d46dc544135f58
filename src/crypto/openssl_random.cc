#include "crypto/openssl_random.h"

#include <algorithm>
#include <climits>

#include <openssl/rand.h>

#include "base/result.h"

namespace latchkey::crypto {

void OpenSslRandom::Fill(std::span<std::byte> out) {
  // RAND_bytes takes an int length; larger requests go in chunks.
  while (!out.empty()) {
    const size_t chunk = std::min(out.size(), static_cast<size_t>(INT_MAX));
    LATCHKEY_CHECK(RAND_bytes(reinterpret_cast<unsigned char*>(out.data()),
                              static_cast<int>(chunk)) == 1);
    out = out.subspan(chunk);
  }
}

}  // namespace latchkey::crypto

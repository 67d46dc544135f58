// The production Random: OpenSSL's CSPRNG (RAND_bytes). Thread-safe. A failure of the CSPRNG is
// unrecoverable and aborts the process rather than hand out predictable bytes.
#pragma once

#include <cstddef>
#include <span>

#include "base/random.h"

namespace latchkey::crypto {

class OpenSslRandom final : public latchkey::Random {
 public:
  void Fill(std::span<std::byte> out) override;
};

}  // namespace latchkey::crypto

// Randomness comes in through this interface. Production uses crypto::OpenSslRandom (a CSPRNG;
// failure is fatal); tests use FakeRandom for deterministic bytes. Implementations are
// thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <span>
#include <string>

namespace latchkey {

class Random {
 public:
  virtual ~Random() = default;
  virtual void Fill(std::span<std::byte> out) = 0;

  // Helpers built on Fill.
  std::string Bytes(size_t n);
  std::string Hex(size_t n_bytes);  // 2*n_bytes lowercase hex digits
  std::string Uuid();               // RFC 4122 version 4, lowercase
  // A string of `length` characters drawn uniformly from `alphabet` (rejection sampling).
  std::string FromAlphabet(std::string_view alphabet, size_t length);
  uint64_t Uniform(uint64_t bound);  // uniform in [0, bound)
};

// Deterministic bytes for tests: a counter-based stream from a seed. Not random at all.
class FakeRandom final : public Random {
 public:
  explicit FakeRandom(uint64_t seed = 1) : state_(seed) {}
  void Fill(std::span<std::byte> out) override;

 private:
  std::mutex mu_;
  uint64_t state_;
};

}  // namespace latchkey

#include "base/random.h"

#include "base/encoding.h"

namespace latchkey {

std::string Random::Bytes(size_t n) {
  std::string out(n, '\0');
  Fill(std::as_writable_bytes(std::span(out.data(), out.size())));
  return out;
}

std::string Random::Hex(size_t n_bytes) { return HexEncode(Bytes(n_bytes)); }

std::string Random::Uuid() {
  std::string b = Bytes(16);
  b[6] = static_cast<char>((static_cast<unsigned char>(b[6]) & 0x0f) | 0x40);
  b[8] = static_cast<char>((static_cast<unsigned char>(b[8]) & 0x3f) | 0x80);
  std::string h = HexEncode(b);
  return h.substr(0, 8) + "-" + h.substr(8, 4) + "-" + h.substr(12, 4) + "-" + h.substr(16, 4) +
         "-" + h.substr(20, 12);
}

uint64_t Random::Uniform(uint64_t bound) {
  if (bound <= 1) return 0;
  // Rejection sampling avoids modulo bias.
  const uint64_t limit = UINT64_MAX - (UINT64_MAX % bound);
  while (true) {
    uint64_t v = 0;
    Fill(std::as_writable_bytes(std::span(&v, 1)));
    if (v < limit) return v % bound;
  }
}

std::string Random::FromAlphabet(std::string_view alphabet, size_t length) {
  std::string out;
  out.reserve(length);
  for (size_t i = 0; i < length; ++i) out.push_back(alphabet[Uniform(alphabet.size())]);
  return out;
}

void FakeRandom::Fill(std::span<std::byte> out) {
  std::lock_guard lock(mu_);
  for (auto& b : out) {
    // splitmix64
    state_ += 0x9e3779b97f4a7c15ULL;
    uint64_t z = state_;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    z ^= z >> 31;
    b = static_cast<std::byte>(z & 0xff);
  }
}

}  // namespace latchkey

#include "base/rate_limiter.h"

#include <algorithm>
#include <cstring>
#include <random>

namespace latchkey {
namespace {

constexpr uint64_t Rotl(uint64_t x, int b) { return (x << b) | (x >> (64 - b)); }

struct SipState {
  uint64_t v0, v1, v2, v3;
  void Round() {
    v0 += v1; v1 = Rotl(v1, 13); v1 ^= v0; v0 = Rotl(v0, 32);
    v2 += v3; v3 = Rotl(v3, 16); v3 ^= v2;
    v0 += v3; v3 = Rotl(v3, 21); v3 ^= v0;
    v2 += v1; v1 = Rotl(v1, 17); v1 ^= v2; v2 = Rotl(v2, 32);
  }
  void Absorb(uint64_t m) {
    v3 ^= m;
    Round();
    Round();
    v0 ^= m;
  }
};

uint64_t LoadLittleEndian(const char* p, size_t n) {
  uint64_t m = 0;
  for (size_t i = 0; i < n; ++i) m |= uint64_t{static_cast<unsigned char>(p[i])} << (8 * i);
  return m;
}

}  // namespace

uint64_t SipHash24(uint64_t k0, uint64_t k1, std::string_view data) {
  SipState s{k0 ^ 0x736f6d6570736575ULL, k1 ^ 0x646f72616e646f6dULL,
             k0 ^ 0x6c7967656e657261ULL, k1 ^ 0x7465646279746573ULL};
  const size_t whole = data.size() / 8 * 8;
  for (size_t i = 0; i < whole; i += 8) s.Absorb(LoadLittleEndian(data.data() + i, 8));
  uint64_t last = LoadLittleEndian(data.data() + whole, data.size() - whole);
  s.Absorb(last | (uint64_t{data.size() & 0xff} << 56));
  s.v2 ^= 0xff;
  for (int i = 0; i < 4; ++i) s.Round();
  return s.v0 ^ s.v1 ^ s.v2 ^ s.v3;
}

KeyedHash::KeyedHash() {
  std::random_device seed;  // /dev/urandom
  k0_ = (uint64_t{seed()} << 32) | seed();
  k1_ = (uint64_t{seed()} << 32) | seed();
}

FailureThrottle::FailureThrottle(const Clock& clock, int max_failures, std::chrono::seconds window,
                                 std::chrono::seconds lockout, size_t max_bytes)
    : clock_(clock),
      max_failures_(max_failures),
      window_(window),
      lockout_(lockout),
      max_entries_(std::max<size_t>(1, max_bytes / kBytesPerEntry)) {
  entries_.reserve(std::min<size_t>(max_entries_, 1024));
}

std::chrono::seconds FailureThrottle::Check(std::string_view key) const {
  const uint64_t h = Hash(key);
  std::lock_guard lock(mu_);
  auto it = entries_.find(h);
  if (it == entries_.end()) return std::chrono::seconds(0);
  TimePoint now = clock_.Now();
  if (it->second.locked_until <= now) return std::chrono::seconds(0);
  auto left = std::chrono::ceil<std::chrono::seconds>(it->second.locked_until - now);
  return left < std::chrono::seconds(1) ? std::chrono::seconds(1) : left;
}

void FailureThrottle::RecordFailure(std::string_view key) {
  const uint64_t h = Hash(key);
  std::lock_guard lock(mu_);
  TimePoint now = clock_.Now();
  auto it = entries_.find(h);
  if (it == entries_.end()) {
    if (entries_.size() >= max_entries_ && !lru_.empty()) {
      entries_.erase(lru_.back());
      lru_.pop_back();
    }
    lru_.push_front(h);
    it = entries_.emplace(h, Entry{0, now, TimePoint{}, lru_.begin()}).first;
  } else {
    lru_.splice(lru_.begin(), lru_, it->second.lru);
  }
  Entry& e = it->second;
  if (now - e.window_start > window_) {
    e.window_start = now;
    e.failures = 0;
  }
  if (++e.failures >= max_failures_) {
    e.locked_until = now + lockout_;
    e.failures = 0;
    e.window_start = now;
  }
}

void FailureThrottle::RecordSuccess(std::string_view key) {
  const uint64_t h = Hash(key);
  std::lock_guard lock(mu_);
  auto it = entries_.find(h);
  if (it == entries_.end() || it->second.locked_until > clock_.Now()) return;
  lru_.erase(it->second.lru);
  entries_.erase(it);
}

size_t FailureThrottle::size() const {
  std::lock_guard lock(mu_);
  return entries_.size();
}

}  // namespace latchkey

// base/ttl_cache.h: entries expire, the size bound holds, and a fill computed from a read that
// began before an invalidation is dropped (a racing delete can never be resurrected).
#include "base/ttl_cache.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>

namespace latchkey {
namespace {

const TimePoint kT0 = TimePoint(std::chrono::seconds(1'800'000'000));
using std::chrono::seconds;

TEST(TtlCacheTest, AnEntryLivesUntilItsExpiry) {
  TtlCache<int> cache(8);
  cache.Put("a", 1, kT0 + seconds(10), cache.generation());
  EXPECT_EQ(cache.Get("a", kT0 + seconds(9)), 1);
  EXPECT_EQ(cache.Get("a", kT0 + seconds(10)), std::nullopt);
  EXPECT_EQ(cache.Get("missing", kT0), std::nullopt);
}

TEST(TtlCacheTest, AFillThatRacedAnInvalidationIsDropped) {
  TtlCache<int> cache(8);
  uint64_t before_read = cache.generation();
  cache.Erase("a");  // a delete lands while the fill's store read is in flight
  cache.Put("a", 1, kT0 + seconds(10), before_read);
  EXPECT_EQ(cache.Get("a", kT0), std::nullopt);
  before_read = cache.generation();
  cache.Clear();
  cache.Put("b", 2, kT0 + seconds(10), before_read);
  EXPECT_EQ(cache.size(), 0u);
  cache.Put("b", 2, kT0 + seconds(10), cache.generation());
  EXPECT_EQ(cache.Get("b", kT0), 2);
}

TEST(TtlCacheTest, NeverHoldsMoreThanItsCapacity) {
  TtlCache<std::string> cache(3);
  for (int i = 0; i < 100; ++i) {
    cache.Put("k" + std::to_string(i), "v", kT0 + seconds(10), cache.generation());
    EXPECT_LE(cache.size(), 3u);
  }
  EXPECT_EQ(cache.Get("k99", kT0), "v");  // the newest entry is always kept
  TtlCache<int> zero(0);                   // a zero capacity still bounds (one entry)
  zero.Put("a", 1, kT0 + seconds(1), zero.generation());
  zero.Put("b", 2, kT0 + seconds(1), zero.generation());
  EXPECT_EQ(zero.size(), 1u);
}

}  // namespace
}  // namespace latchkey

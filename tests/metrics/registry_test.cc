#include "metrics/registry.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <set>
#include <thread>
#include <vector>

namespace latchkey::metrics {
namespace {

using ::testing::HasSubstr;

TEST(MetricsRegistryTest, ExposesTheTextFormat) {
  Registry registry;
  auto& requests = registry.Counter("demo_requests_total", "Requests.", {"route", "status"});
  requests.With({"/b", "200"}).Inc(2);
  requests.With({"/a", "404"}).Inc();
  registry.Gauge("demo_temperature", "A gauge.").With({}).Set(-1.5);
  registry.Callback("demo_entries", "Read at scrape time.", "gauge", {"cache"}).Add({"pat"}, [] {
    return 7.0;
  });

  EXPECT_EQ(registry.Expose(),
            "# HELP demo_requests_total Requests.\n"
            "# TYPE demo_requests_total counter\n"
            "demo_requests_total{route=\"/a\",status=\"404\"} 1\n"
            "demo_requests_total{route=\"/b\",status=\"200\"} 2\n"
            "# HELP demo_temperature A gauge.\n"
            "# TYPE demo_temperature gauge\n"
            "demo_temperature -1.5\n"
            "# HELP demo_entries Read at scrape time.\n"
            "# TYPE demo_entries gauge\n"
            "demo_entries{cache=\"pat\"} 7\n");
}

TEST(MetricsRegistryTest, HistogramBucketsAreCumulative) {
  Registry registry;
  auto& h = registry.Histogram("demo_seconds", "Latency.", {"route"}, {0.1, 1});
  Histogram& child = h.With({"/x"});
  child.Observe(0.05);
  child.Observe(0.1);  // le is inclusive
  child.Observe(0.5);
  child.Observe(3);

  EXPECT_EQ(registry.Expose(),
            "# HELP demo_seconds Latency.\n"
            "# TYPE demo_seconds histogram\n"
            "demo_seconds_bucket{route=\"/x\",le=\"0.1\"} 2\n"
            "demo_seconds_bucket{route=\"/x\",le=\"1\"} 3\n"
            "demo_seconds_bucket{route=\"/x\",le=\"+Inf\"} 4\n"
            "demo_seconds_sum{route=\"/x\"} 3.65\n"
            "demo_seconds_count{route=\"/x\"} 4\n");
}

TEST(MetricsRegistryTest, EscapesLabelValuesAndHelp) {
  Registry registry;
  registry.Counter("demo_total", "Back\\slash\nnewline", {"v"}).With({"a\"b\\c\nd"}).Inc();

  std::string text = registry.Expose();
  EXPECT_THAT(text, HasSubstr("# HELP demo_total Back\\\\slash\\nnewline\n"));
  EXPECT_THAT(text, HasSubstr("demo_total{v=\"a\\\"b\\\\c\\nd\"} 1\n"));
}

TEST(MetricsRegistryTest, SameLabelsGiveTheSameChild) {
  Registry registry;
  auto& family = registry.Counter("demo_total", "x", {"a", "b"});
  EXPECT_EQ(&family.With({"x", "y"}), &family.With({"x", "y"}));
  // The separator keeps ("ab","c") and ("a","bc") apart.
  EXPECT_NE(&family.With({"ab", "c"}), &family.With({"a", "bc"}));
}

TEST(MetricsRegistryTest, ConcurrentIncrementsAndInsertsAreExact) {
  Registry registry;
  auto& family = registry.Counter("demo_total", "x", {"route"});
  auto& hist = registry.Histogram("demo_seconds", "x", {}, {1});
  constexpr int kThreads = 8;
  constexpr int kPerThread = 20000;
  std::vector<std::thread> threads;
  std::vector<std::set<Counter*>> seen(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        Counter& c = family.With({i % 2 == 0 ? "/even" : "/odd"});
        c.Inc();
        seen[t].insert(&c);
        hist.With({}).Observe(0.5);
      }
    });
  }
  for (auto& th : threads) th.join();

  EXPECT_EQ(family.With({"/even"}).Value() + family.With({"/odd"}).Value(),
            uint64_t{kThreads} * kPerThread);
  EXPECT_EQ(family.With({"/even"}).Value(), uint64_t{kThreads} * kPerThread / 2);
  for (const auto& s : seen) EXPECT_EQ(s.size(), 2u);  // every thread found the same two
  Histogram::Snapshot snap = hist.With({}).Collect();
  EXPECT_EQ(snap.count, uint64_t{kThreads} * kPerThread);
  EXPECT_DOUBLE_EQ(snap.sum, 0.5 * kThreads * kPerThread);
}

TEST(MetricsRegistryTest, FormatsValues) {
  EXPECT_EQ(FormatValue(3), "3");
  EXPECT_EQ(FormatValue(0.005), "0.005");
  EXPECT_EQ(FormatValue(1.0 / 0.0), "+Inf");
  EXPECT_EQ(FormatValue(-1.0 / 0.0), "-Inf");
}

TEST(MetricsRegistryDeathTest, RejectsBadNamesAndLabelCounts) {
  Registry registry;
  EXPECT_DEATH(registry.Counter("bad-name", "x"), "invalid metric name");
  EXPECT_DEATH(registry.Counter("ok_total", "x", {"le"}), "invalid label name");
  auto& family = registry.Counter("demo_total", "x", {"a"});
  EXPECT_DEATH(family.With({"1", "2"}), "wrong number of label values");
  registry.Counter("dup_total", "x");
  EXPECT_DEATH(registry.Counter("dup_total", "x"), "duplicate metric");
}

}  // namespace
}  // namespace latchkey::metrics

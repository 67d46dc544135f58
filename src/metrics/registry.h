// A small Prometheus registry: counters, gauges and fixed-bucket histograms in labelled
// families, rendered in the text exposition format 0.0.4. Standard library only.
//
// Hot path: recording never takes a lock. Counters and histograms are striped (one cache line
// per stripe, a thread always writes the same stripe), and a family finds the child for a
// label set through a lock-free hash chain; the family's mutex is taken only the first time
// a label set is seen. Children are never removed, so callers must keep label values bounded
// (route patterns, never raw paths).
//
// Families are created at setup (Registry::Counter...); a bad name aborts (a bug). After
// setup every function is thread-safe. References returned by With() live as long as the
// Registry.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace latchkey::metrics {

inline constexpr size_t kStripes = 16;

// The stripe of the calling thread (threads are assigned round-robin on first use).
size_t ThisThreadStripe();

class Counter {
 public:
  void Inc(uint64_t n = 1) {
    stripes_[ThisThreadStripe()].value.fetch_add(n, std::memory_order_relaxed);
  }
  uint64_t Value() const;

 private:
  struct alignas(64) Stripe {
    std::atomic<uint64_t> value{0};
  };
  std::array<Stripe, kStripes> stripes_;
};

class Gauge {
 public:
  void Set(double v) { value_.store(v, std::memory_order_relaxed); }
  void Add(double d);
  double Value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

class Histogram {
 public:
  // `bounds`: strictly increasing finite upper bounds; +Inf is implicit.
  explicit Histogram(std::vector<double> bounds);
  void Observe(double v);

  struct Snapshot {
    std::vector<uint64_t> cumulative;  // per bound, then +Inf (= count)
    double sum = 0;
    uint64_t count = 0;
  };
  Snapshot Collect() const;
  const std::vector<double>& bounds() const { return bounds_; }

 private:
  // Per stripe: one count per bucket (not cumulative; last = +Inf), then the sum's bits.
  size_t stride_ = 0;
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> cells_;
};

// Default buckets for request latencies (seconds): 0.5 ms .. 10 s.
std::vector<double> LatencyBuckets();
// For database calls (seconds): 50 µs .. 2.5 s.
std::vector<double> DatabaseBuckets();

class FamilyBase {
 public:
  FamilyBase(std::string name, std::string help, std::string type,
             std::vector<std::string> label_names);
  virtual ~FamilyBase() = default;
  FamilyBase(const FamilyBase&) = delete;
  FamilyBase& operator=(const FamilyBase&) = delete;

  const std::string& name() const { return name_; }
  // Appends "# HELP", "# TYPE" and every sample, children sorted by label values.
  void Write(std::string& out) const;

 protected:
  // Appends this family's samples (after HELP/TYPE).
  virtual void WriteSamples(std::string& out) const = 0;
  // `name{labels,extra} value\n`, with `labels` already rendered (no braces).
  void WriteSample(std::string& out, std::string_view suffix, std::string_view labels,
                   std::string_view extra, double value) const;
  std::string RenderLabels(const std::vector<std::string>& values) const;

  const std::string name_, help_, type_;
  const std::vector<std::string> label_names_;
};

// A family of children of type M, one per label-value tuple.
template <class M>
class Family final : public FamilyBase {
 public:
  using Factory = std::function<std::unique_ptr<M>()>;
  Family(std::string name, std::string help, std::string type, std::vector<std::string> label_names,
         Factory factory)
      : FamilyBase(std::move(name), std::move(help), std::move(type), std::move(label_names)),
        factory_(std::move(factory)) {}
  ~Family() override;

  // The child for these label values (as many as the family has label names; else aborts).
  M& With(std::initializer_list<std::string_view> values);

 private:
  struct Node {
    size_t hash = 0;
    std::vector<std::string> values;
    std::unique_ptr<M> metric;
    Node* next = nullptr;      // same bucket
    Node* all_next = nullptr;  // every node, newest first
  };
  static constexpr size_t kBuckets = 128;

  M& Find(const std::string_view* values, size_t n);
  void WriteSamples(std::string& out) const override;
  void WriteChild(std::string& out, const std::string& labels, const M& metric) const;

  Factory factory_;
  std::array<std::atomic<Node*>, kBuckets> buckets_{};
  std::atomic<Node*> all_{nullptr};
  std::mutex insert_mu_;
};

// A family whose samples are read by callbacks at scrape time (sizes, server statistics).
class CallbackFamily final : public FamilyBase {
 public:
  using FamilyBase::FamilyBase;
  // Adds one sample; `fn` runs on the scraping thread.
  void Add(std::vector<std::string> label_values, std::function<double()> fn);

 private:
  void WriteSamples(std::string& out) const override;
  mutable std::mutex mu_;
  std::vector<std::pair<std::vector<std::string>, std::function<double()>>> samples_;
};

class Registry {
 public:
  Registry() = default;
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  Family<metrics::Counter>& Counter(std::string name, std::string help,
                                    std::vector<std::string> labels = {});
  Family<metrics::Gauge>& Gauge(std::string name, std::string help,
                                std::vector<std::string> labels = {});
  Family<metrics::Histogram>& Histogram(std::string name, std::string help,
                                        std::vector<std::string> labels,
                                        std::vector<double> bounds);
  // type "gauge" or "counter".
  CallbackFamily& Callback(std::string name, std::string help, std::string type,
                           std::vector<std::string> labels = {});

  // The text exposition format 0.0.4, families in registration order.
  std::string Expose() const;

 private:
  template <class F>
  F& Add(std::unique_ptr<F> family);

  mutable std::mutex mu_;
  std::vector<std::unique_ptr<FamilyBase>> families_;
};

inline constexpr std::string_view kExpositionContentType =
    "text/plain; version=0.0.4; charset=utf-8";

// Label values and HELP text escaped for the exposition format.
std::string EscapeLabelValue(std::string_view v);
std::string EscapeHelp(std::string_view v);
// Shortest round-trip text; "+Inf", "-Inf", "NaN"; integers without a decimal point.
std::string FormatValue(double v);

}  // namespace latchkey::metrics

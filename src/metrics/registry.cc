#include "metrics/registry.h"

#include <algorithm>
#include <bit>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string_view>

namespace latchkey::metrics {
namespace {

bool ValidName(std::string_view name, bool colons) {
  if (name.empty()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
              (colons && c == ':') || (i > 0 && c >= '0' && c <= '9');
    if (!ok) return false;
  }
  return true;
}

void Check(bool ok, const char* what, std::string_view name) {
  if (ok) return;
  std::fprintf(stderr, "metrics: %s: %.*s\n", what, static_cast<int>(name.size()), name.data());
  std::abort();
}

// FNV-1a over the values, with a separator so ("ab","c") != ("a","bc").
size_t HashValues(const std::string_view* values, size_t n) {
  uint64_t h = 1469598103934665603ull;
  for (size_t i = 0; i < n; ++i) {
    for (unsigned char c : values[i]) {
      h ^= c;
      h *= 1099511628211ull;
    }
    h ^= 0xff;
    h *= 1099511628211ull;
  }
  return static_cast<size_t>(h);
}

}  // namespace

size_t ThisThreadStripe() {
  static std::atomic<size_t> next{0};
  thread_local const size_t stripe = next.fetch_add(1, std::memory_order_relaxed) % kStripes;
  return stripe;
}

uint64_t Counter::Value() const {
  uint64_t total = 0;
  for (const auto& s : stripes_) total += s.value.load(std::memory_order_relaxed);
  return total;
}

void Gauge::Add(double d) {
  double cur = value_.load(std::memory_order_relaxed);
  while (!value_.compare_exchange_weak(cur, cur + d, std::memory_order_relaxed)) {
  }
}

Histogram::Histogram(std::vector<double> bounds) : bounds_(std::move(bounds)) {
  for (size_t i = 0; i < bounds_.size(); ++i) {
    Check(std::isfinite(bounds_[i]) && (i == 0 || bounds_[i] > bounds_[i - 1]),
          "histogram bounds must be finite and increasing", "");
  }
  // Buckets + the +Inf bucket + the sum, rounded up to whole cache lines per stripe.
  stride_ = (bounds_.size() + 2 + 7) / 8 * 8;
  cells_ = std::make_unique<std::atomic<uint64_t>[]>(stride_ * kStripes + 8);
  for (size_t i = 0; i < stride_ * kStripes + 8; ++i) cells_[i].store(0, std::memory_order_relaxed);
}

void Histogram::Observe(double v) {
  size_t bucket =
      static_cast<size_t>(std::lower_bound(bounds_.begin(), bounds_.end(), v) - bounds_.begin());
  // Align the stripes to 64 bytes inside the allocation (8 spare cells).
  auto base = reinterpret_cast<uintptr_t>(cells_.get());
  size_t skew = ((64 - base % 64) % 64) / sizeof(std::atomic<uint64_t>);
  std::atomic<uint64_t>* stripe = cells_.get() + skew + ThisThreadStripe() * stride_;
  stripe[bucket].fetch_add(1, std::memory_order_relaxed);
  std::atomic<uint64_t>& sum = stripe[bounds_.size() + 1];
  uint64_t cur = sum.load(std::memory_order_relaxed);
  while (!sum.compare_exchange_weak(cur, std::bit_cast<uint64_t>(std::bit_cast<double>(cur) + v),
                                    std::memory_order_relaxed)) {
  }
}

Histogram::Snapshot Histogram::Collect() const {
  Snapshot s;
  s.cumulative.assign(bounds_.size() + 1, 0);
  auto base = reinterpret_cast<uintptr_t>(cells_.get());
  size_t skew = ((64 - base % 64) % 64) / sizeof(std::atomic<uint64_t>);
  for (size_t k = 0; k < kStripes; ++k) {
    const std::atomic<uint64_t>* stripe = cells_.get() + skew + k * stride_;
    for (size_t b = 0; b <= bounds_.size(); ++b) {
      s.cumulative[b] += stripe[b].load(std::memory_order_relaxed);
    }
    s.sum += std::bit_cast<double>(stripe[bounds_.size() + 1].load(std::memory_order_relaxed));
  }
  // Count is derived from the buckets, so _count always equals the +Inf bucket.
  for (size_t b = 1; b < s.cumulative.size(); ++b) s.cumulative[b] += s.cumulative[b - 1];
  s.count = s.cumulative.back();
  return s;
}

std::vector<double> LatencyBuckets() {
  return {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
}

std::vector<double> DatabaseBuckets() {
  return {0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01,
          0.025,   0.05,   0.1,     0.25,   0.5,   1,      2.5};
}

namespace {

// The text format's escapes: backslash and line feed, and in label values the double quote.
std::string EscapeText(std::string_view v, bool quote) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"' && quote) {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace

std::string EscapeLabelValue(std::string_view v) { return EscapeText(v, true); }

std::string EscapeHelp(std::string_view v) { return EscapeText(v, false); }

std::string FormatValue(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[64];
  auto [p, ec] = std::to_chars(buf, buf + sizeof buf, v);
  return ec == std::errc() ? std::string(buf, p) : "NaN";
}

FamilyBase::FamilyBase(std::string name, std::string help, std::string type,
                       std::vector<std::string> label_names)
    : name_(std::move(name)),
      help_(std::move(help)),
      type_(std::move(type)),
      label_names_(std::move(label_names)) {
  Check(ValidName(name_, true), "invalid metric name", name_);
  for (const auto& l : label_names_) {
    Check(ValidName(l, false) && !l.starts_with("__") && l != "le", "invalid label name", l);
  }
}

void FamilyBase::Write(std::string& out) const {
  out += "# HELP " + name_ + " " + EscapeHelp(help_) + "\n";
  out += "# TYPE " + name_ + " " + type_ + "\n";
  WriteSamples(out);
}

std::string FamilyBase::RenderLabels(const std::vector<std::string>& values) const {
  std::string out;
  for (size_t i = 0; i < label_names_.size() && i < values.size(); ++i) {
    if (i > 0) out += ',';
    out += label_names_[i] + "=\"" + EscapeLabelValue(values[i]) + "\"";
  }
  return out;
}

void FamilyBase::WriteSample(std::string& out, std::string_view suffix, std::string_view labels,
                             std::string_view extra, double value) const {
  out += name_;
  out += suffix;
  if (!labels.empty() || !extra.empty()) {
    out += '{';
    out += labels;
    if (!labels.empty() && !extra.empty()) out += ',';
    out += extra;
    out += '}';
  }
  out += ' ';
  out += FormatValue(value);
  out += '\n';
}

template <class M>
Family<M>::~Family() {
  Node* n = all_.load(std::memory_order_acquire);
  while (n != nullptr) {
    Node* next = n->all_next;
    delete n;
    n = next;
  }
}

template <class M>
M& Family<M>::With(std::initializer_list<std::string_view> values) {
  return Find(values.begin(), values.size());
}

template <class M>
M& Family<M>::Find(const std::string_view* values, size_t n) {
  Check(n == label_names_.size(), "wrong number of label values", name_);
  const size_t hash = HashValues(values, n);
  std::atomic<Node*>& bucket = buckets_[hash % kBuckets];
  auto matches = [&](const Node* node) {
    if (node->hash != hash) return false;
    for (size_t i = 0; i < n; ++i) {
      if (node->values[i] != values[i]) return false;
    }
    return true;
  };
  // Lock-free: nodes are published with release stores and never change or go away.
  for (Node* node = bucket.load(std::memory_order_acquire); node; node = node->next) {
    if (matches(node)) return *node->metric;
  }
  std::lock_guard lock(insert_mu_);
  for (Node* node = bucket.load(std::memory_order_acquire); node; node = node->next) {
    if (matches(node)) return *node->metric;
  }
  auto node = std::make_unique<Node>();
  node->hash = hash;
  node->values.assign(values, values + n);
  node->metric = factory_();
  node->next = bucket.load(std::memory_order_relaxed);
  node->all_next = all_.load(std::memory_order_relaxed);
  Node* raw = node.release();
  all_.store(raw, std::memory_order_release);
  bucket.store(raw, std::memory_order_release);
  return *raw->metric;
}

template <class M>
void Family<M>::WriteSamples(std::string& out) const {
  std::vector<const Node*> nodes;
  for (const Node* n = all_.load(std::memory_order_acquire); n; n = n->all_next) {
    nodes.push_back(n);
  }
  std::sort(nodes.begin(), nodes.end(),
            [](const Node* a, const Node* b) { return a->values < b->values; });
  for (const Node* n : nodes) WriteChild(out, RenderLabels(n->values), *n->metric);
}

template <>
void Family<Counter>::WriteChild(std::string& out, const std::string& labels,
                                 const Counter& c) const {
  WriteSample(out, "", labels, "", static_cast<double>(c.Value()));
}

template <>
void Family<Gauge>::WriteChild(std::string& out, const std::string& labels, const Gauge& g) const {
  WriteSample(out, "", labels, "", g.Value());
}

template <>
void Family<Histogram>::WriteChild(std::string& out, const std::string& labels,
                                   const Histogram& h) const {
  Histogram::Snapshot s = h.Collect();
  for (size_t b = 0; b < h.bounds().size(); ++b) {
    WriteSample(out, "_bucket", labels, "le=\"" + FormatValue(h.bounds()[b]) + "\"",
                static_cast<double>(s.cumulative[b]));
  }
  WriteSample(out, "_bucket", labels, "le=\"+Inf\"", static_cast<double>(s.count));
  WriteSample(out, "_sum", labels, "", s.sum);
  WriteSample(out, "_count", labels, "", static_cast<double>(s.count));
}

template class Family<Counter>;
template class Family<Gauge>;
template class Family<Histogram>;

void CallbackFamily::Add(std::vector<std::string> label_values, std::function<double()> fn) {
  Check(label_values.size() == label_names_.size(), "wrong number of label values", name_);
  std::lock_guard lock(mu_);
  samples_.emplace_back(std::move(label_values), std::move(fn));
}

void CallbackFamily::WriteSamples(std::string& out) const {
  std::lock_guard lock(mu_);
  for (const auto& [values, fn] : samples_) WriteSample(out, "", RenderLabels(values), "", fn());
}

template <class F>
F& Registry::Add(std::unique_ptr<F> family) {
  std::lock_guard lock(mu_);
  for (const auto& f : families_) Check(f->name() != family->name(), "duplicate metric", f->name());
  F& ref = *family;
  families_.push_back(std::move(family));
  return ref;
}

Family<Counter>& Registry::Counter(std::string name, std::string help,
                                   std::vector<std::string> labels) {
  return Add(std::make_unique<Family<metrics::Counter>>(
      std::move(name), std::move(help), "counter", std::move(labels),
      [] { return std::make_unique<metrics::Counter>(); }));
}

Family<Gauge>& Registry::Gauge(std::string name, std::string help,
                               std::vector<std::string> labels) {
  return Add(std::make_unique<Family<metrics::Gauge>>(
      std::move(name), std::move(help), "gauge", std::move(labels),
      [] { return std::make_unique<metrics::Gauge>(); }));
}

Family<Histogram>& Registry::Histogram(std::string name, std::string help,
                                       std::vector<std::string> labels,
                                       std::vector<double> bounds) {
  metrics::Histogram probe(bounds);  // validates the bounds once, at setup
  return Add(std::make_unique<Family<metrics::Histogram>>(
      std::move(name), std::move(help), "histogram", std::move(labels),
      [bounds = std::move(bounds)] { return std::make_unique<metrics::Histogram>(bounds); }));
}

CallbackFamily& Registry::Callback(std::string name, std::string help, std::string type,
                                   std::vector<std::string> labels) {
  Check(type == "gauge" || type == "counter", "callback type must be gauge or counter", type);
  return Add(std::make_unique<CallbackFamily>(std::move(name), std::move(help), std::move(type),
                                              std::move(labels)));
}

std::string Registry::Expose() const {
  std::string out;
  std::lock_guard lock(mu_);
  for (const auto& f : families_) f->Write(out);
  return out;
}

}  // namespace latchkey::metrics

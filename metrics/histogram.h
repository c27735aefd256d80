// Lock-free histograms for hot paths. A BucketLayout fixes the upper bounds
// (integer units, e.g. nanoseconds or bytes, plus the factor that turns one
// unit into the exported base unit); an AtomicHistogram counts observations
// into those buckets with relaxed atomics, and a HistogramSnapshot is what a
// scrape reads, merges across cores and hands to prometheus-cpp. The
// bucket bounds of every corelog histogram are listed in docs/metrics.md.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "prometheus/client_metric.h"

namespace corelog::metrics {

// Immutable after construction; safe to share between threads.
class BucketLayout {
 public:
  static constexpr size_t kMaxBounds = 24;

  // `bounds` strictly increasing, at most kMaxBounds; `unit` converts one
  // integer unit into the exported unit (1e-9 for nanoseconds → seconds).
  BucketLayout(std::vector<uint64_t> bounds, double unit);

  size_t bounds() const { return bounds_.size(); }
  uint64_t bound(size_t i) const { return bounds_[i]; }
  double unit() const { return unit_; }
  // The bucket a value falls in: the first bound >= value, or bounds() for
  // the overflow (+Inf) bucket.
  size_t Index(uint64_t value) const;

 private:
  std::vector<uint64_t> bounds_;
  double unit_;
};

// The standard layouts (docs/metrics.md). Each lives for the whole process.
const BucketLayout& FsyncDurationBuckets();       // 50 µs .. 1 s
const BucketLayout& GroupCommitBytesBuckets();    // 256 B .. 64 MiB
const BucketLayout& CheckpointDurationBuckets();  // 1 ms .. 60 s
const BucketLayout& RequestDurationBuckets();     // 100 µs .. 10 s

// Per-bucket counts (not cumulative) and the sum, in layout units.
struct HistogramSnapshot {
  std::vector<uint64_t> counts;  // bounds() + 1 entries
  uint64_t sum = 0;

  HistogramSnapshot& operator+=(const HistogramSnapshot& other);
  uint64_t count() const;
  // Cumulative buckets in exported units; the count is the sum of the
  // buckets, so +Inf always equals _count even under concurrent updates.
  prometheus::ClientMetric::Histogram ToPrometheus(const BucketLayout& layout) const;
};

// Observe() from any thread (relaxed atomics, no lock, no allocation); meant
// to be written by one core and read by the scraper. Lives inside per-core
// blocks, hence the fixed inline capacity.
class AtomicHistogram {
 public:
  explicit AtomicHistogram(const BucketLayout& layout) : layout_(&layout) {}
  AtomicHistogram(const AtomicHistogram&) = delete;
  AtomicHistogram& operator=(const AtomicHistogram&) = delete;

  void Observe(uint64_t value) {
    counts_[layout_->Index(value)].fetch_add(1, std::memory_order_relaxed);
    sum_.fetch_add(value, std::memory_order_relaxed);
  }
  void ObserveDuration(std::chrono::nanoseconds d) {
    Observe(d.count() > 0 ? static_cast<uint64_t>(d.count()) : 0);
  }
  HistogramSnapshot Snapshot() const;
  const BucketLayout& layout() const { return *layout_; }

 private:
  const BucketLayout* layout_;
  std::array<std::atomic<uint64_t>, BucketLayout::kMaxBounds + 1> counts_{};
  std::atomic<uint64_t> sum_{0};
};

}  // namespace corelog::metrics

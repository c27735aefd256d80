#include "metrics/histogram.h"

#include <algorithm>

#include "common/check.h"

namespace corelog::metrics {
namespace {

constexpr uint64_t kMicro = 1'000;
constexpr uint64_t kMilli = 1'000'000;
constexpr uint64_t kSecond = 1'000'000'000;
constexpr double kNanosToSeconds = 1e-9;

}  // namespace

BucketLayout::BucketLayout(std::vector<uint64_t> bounds, double unit)
    : bounds_(std::move(bounds)), unit_(unit) {
  CORELOG_CHECK(!bounds_.empty() && bounds_.size() <= kMaxBounds, "bucket count");
  CORELOG_CHECK(std::is_sorted(bounds_.begin(), bounds_.end()) &&
                    std::adjacent_find(bounds_.begin(), bounds_.end()) == bounds_.end(),
                "bucket bounds must be strictly increasing");
}

size_t BucketLayout::Index(uint64_t value) const {
  // At most 24 bounds: a linear scan beats a binary search's branches here
  // and most observations land in the first few buckets.
  size_t i = 0;
  while (i < bounds_.size() && value > bounds_[i]) ++i;
  return i;
}

const BucketLayout& FsyncDurationBuckets() {
  // Resolution where this disk lives (p50 ~0.2 ms, p99 ~0.35 ms) and enough
  // range to see the slow episodes (4-8 ms) and outright stalls.
  static const BucketLayout layout(
      {50 * kMicro, 100 * kMicro, 200 * kMicro, 300 * kMicro, 500 * kMicro, 750 * kMicro,
       1 * kMilli, 2 * kMilli, 5 * kMilli, 10 * kMilli, 25 * kMilli, 50 * kMilli, 100 * kMilli,
       250 * kMilli, 500 * kMilli, 1 * kSecond},
      kNanosToSeconds);
  return layout;
}

const BucketLayout& GroupCommitBytesBuckets() {
  static const BucketLayout layout(
      {256, 1 << 10, 4 << 10, 16 << 10, 64 << 10, 256 << 10, 1 << 20, 4 << 20, 16 << 20, 64 << 20},
      1.0);
  return layout;
}

const BucketLayout& CheckpointDurationBuckets() {
  static const BucketLayout layout(
      {1 * kMilli, 2500 * kMicro, 5 * kMilli, 10 * kMilli, 25 * kMilli, 50 * kMilli, 100 * kMilli,
       250 * kMilli, 500 * kMilli, 1 * kSecond, 2500 * kMilli, 5 * kSecond, 10 * kSecond,
       30 * kSecond, 60 * kSecond},
      kNanosToSeconds);
  return layout;
}

const BucketLayout& RequestDurationBuckets() {
  // Produce with acks=all waits for an fsync (~0.2 ms); fetch long polls wait
  // up to max_wait_ms (500 ms by default in most clients).
  static const BucketLayout layout(
      {100 * kMicro, 250 * kMicro, 500 * kMicro, 1 * kMilli, 2500 * kMicro, 5 * kMilli, 10 * kMilli,
       25 * kMilli, 50 * kMilli, 100 * kMilli, 250 * kMilli, 500 * kMilli, 1 * kSecond,
       2500 * kMilli, 5 * kSecond, 10 * kSecond},
      kNanosToSeconds);
  return layout;
}

HistogramSnapshot& HistogramSnapshot::operator+=(const HistogramSnapshot& other) {
  if (counts.size() < other.counts.size()) counts.resize(other.counts.size(), 0);
  for (size_t i = 0; i < other.counts.size(); ++i) counts[i] += other.counts[i];
  sum += other.sum;
  return *this;
}

uint64_t HistogramSnapshot::count() const {
  uint64_t total = 0;
  for (uint64_t c : counts) total += c;
  return total;
}

prometheus::ClientMetric::Histogram HistogramSnapshot::ToPrometheus(
    const BucketLayout& layout) const {
  prometheus::ClientMetric::Histogram out;
  uint64_t cumulative = 0;
  for (size_t i = 0; i < layout.bounds(); ++i) {
    cumulative += i < counts.size() ? counts[i] : 0;
    out.bucket.push_back({cumulative, static_cast<double>(layout.bound(i)) * layout.unit()});
  }
  // The serializer appends le="+Inf" with the sample count.
  out.sample_count = count();
  out.sample_sum = static_cast<double>(sum) * layout.unit();
  return out;
}

HistogramSnapshot AtomicHistogram::Snapshot() const {
  HistogramSnapshot s;
  s.counts.resize(layout_->bounds() + 1);
  for (size_t i = 0; i < s.counts.size(); ++i) {
    s.counts[i] = counts_[i].load(std::memory_order_relaxed);
  }
  s.sum = sum_.load(std::memory_order_relaxed);
  return s;
}

}  // namespace corelog::metrics

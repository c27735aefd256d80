#include "metrics/histogram.h"

#include <gtest/gtest.h>

namespace corelog::metrics {
namespace {

TEST(HistogramTest, ValueOnABoundFallsInThatBucket) {
  BucketLayout layout({10, 20, 30}, 1.0);
  EXPECT_EQ(layout.Index(0), 0u);
  EXPECT_EQ(layout.Index(10), 0u);
  EXPECT_EQ(layout.Index(11), 1u);
  EXPECT_EQ(layout.Index(30), 2u);
  EXPECT_EQ(layout.Index(31), 3u) << "above the last bound: the +Inf bucket";
}

TEST(HistogramTest, ExportedBucketsAreCumulativeAndEndAtTheCount) {
  BucketLayout layout({10, 20, 30}, 0.5);
  AtomicHistogram h(layout);
  for (uint64_t v : {5, 10, 15, 25, 100, 1000}) h.Observe(v);
  auto p = h.Snapshot().ToPrometheus(layout);
  ASSERT_EQ(p.bucket.size(), 3u);
  EXPECT_EQ(p.bucket[0].cumulative_count, 2u);
  EXPECT_EQ(p.bucket[1].cumulative_count, 3u);
  EXPECT_EQ(p.bucket[2].cumulative_count, 4u);
  EXPECT_DOUBLE_EQ(p.bucket[0].upper_bound, 5.0) << "bounds are scaled by the unit";
  EXPECT_EQ(p.sample_count, 6u);
  EXPECT_DOUBLE_EQ(p.sample_sum, 1155 * 0.5);
}

TEST(HistogramTest, SnapshotsOfSeveralCoresAddUp) {
  BucketLayout layout({10}, 1.0);
  AtomicHistogram a(layout), b(layout);
  a.Observe(1);
  b.Observe(1);
  b.Observe(50);
  HistogramSnapshot total = a.Snapshot();
  total += b.Snapshot();
  EXPECT_EQ(total.counts, (std::vector<uint64_t>{2, 1}));
  EXPECT_EQ(total.sum, 52u);
  EXPECT_EQ(total.count(), 3u);
}

TEST(HistogramTest, NegativeDurationsCountAsZero) {
  AtomicHistogram h(FsyncDurationBuckets());
  h.ObserveDuration(std::chrono::nanoseconds(-5));
  auto s = h.Snapshot();
  EXPECT_EQ(s.counts[0], 1u);
  EXPECT_EQ(s.sum, 0u);
}

TEST(HistogramTest, FsyncBucketsSpan50MicrosecondsToOneSecond) {
  const auto& l = FsyncDurationBuckets();
  EXPECT_DOUBLE_EQ(l.bound(0) * l.unit(), 50e-6);
  EXPECT_DOUBLE_EQ(l.bound(l.bounds() - 1) * l.unit(), 1.0);
}

TEST(HistogramTest, StandardLayoutsFitTheInlineCapacity) {
  for (const BucketLayout* l : {&FsyncDurationBuckets(), &GroupCommitBytesBuckets(),
                                &CheckpointDurationBuckets(), &RequestDurationBuckets()}) {
    EXPECT_LE(l->bounds(), BucketLayout::kMaxBounds);
    EXPECT_GE(l->bounds(), 8u) << "too coarse for a quantile estimate";
  }
}

}  // namespace
}  // namespace corelog::metrics

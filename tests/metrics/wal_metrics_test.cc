#include "metrics/wal_metrics.h"

#include <gtest/gtest.h>

#include "prometheus/text_serializer.h"
#include "tests/metrics/exposition.h"

namespace corelog::metrics {
namespace {

using testing::Parse;

std::string Text(const WalMetrics& m) {
  return prometheus::TextSerializer().Serialize(m.Collect());
}

TEST(WalMetricsTest, SyncLagIsWrittenMinusSyncedPerCore) {
  WalMetrics m(2);
  m.core(0).OnWrite(1000);
  m.core(0).OnSync(600, std::chrono::microseconds(150));
  m.core(1).OnWrite(10);
  auto e = Parse(Text(m));
  EXPECT_EQ(e.Value(R"(corelog_wal_written_bytes_total{core="0"})"), 1000);
  EXPECT_EQ(e.Value(R"(corelog_wal_synced_bytes_total{core="0"})"), 600);
  EXPECT_EQ(e.Value(R"(corelog_wal_sync_lag_bytes{core="0"})"), 400);
  EXPECT_EQ(e.Value(R"(corelog_wal_written_bytes_total{core="1"})"), 10);
  EXPECT_EQ(e.Value(R"(corelog_wal_sync_lag_bytes{core="1"})"), 10);
}

TEST(WalMetricsTest, FamiliesHaveTheirPrometheusTypes) {
  auto e = Parse(Text(WalMetrics(1)));
  EXPECT_EQ(e.types["corelog_wal_written_bytes_total"], "counter");
  EXPECT_EQ(e.types["corelog_wal_synced_bytes_total"], "counter");
  EXPECT_EQ(e.types["corelog_wal_sync_lag_bytes"], "gauge");
  EXPECT_EQ(e.types["corelog_wal_fsync_duration_seconds"], "histogram");
  EXPECT_EQ(e.types["corelog_wal_write_duration_seconds"], "histogram");
  EXPECT_EQ(e.types["corelog_wal_group_commit_bytes"], "histogram");
  EXPECT_EQ(e.types["corelog_wal_segments"], "gauge");
  EXPECT_EQ(e.types["corelog_wal_disk_bytes"], "gauge");
  EXPECT_EQ(e.types["corelog_wal_failures_total"], "counter");
  for (const auto& [name, type] : e.types) EXPECT_FALSE(e.help[name].empty()) << name;
}

TEST(WalMetricsTest, FsyncHistogramHasSecondsBucketsSumAndCount) {
  WalMetrics m(1);
  m.core(0).OnSync(100, std::chrono::microseconds(150));
  m.core(0).OnSync(100, std::chrono::milliseconds(2));
  m.core(0).OnSync(100, std::chrono::seconds(3));
  auto e = Parse(Text(m));
  const std::string b = R"(corelog_wal_fsync_duration_seconds_bucket{core="0",le=)";
  EXPECT_EQ(e.Value(b + R"("5e-05"})"), 0);
  EXPECT_EQ(e.Value(b + R"("0.0002"})"), 1);
  EXPECT_EQ(e.Value(b + R"("0.002"})"), 2);
  EXPECT_EQ(e.Value(b + R"("1"})"), 2);
  EXPECT_EQ(e.Value(b + R"("+Inf"})"), 3);
  EXPECT_EQ(e.Value(R"(corelog_wal_fsync_duration_seconds_count{core="0"})"), 3);
  EXPECT_DOUBLE_EQ(e.Value(R"(corelog_wal_fsync_duration_seconds_sum{core="0"})"), 3.00215);
}

TEST(WalMetricsTest, WriteHistogramIsApartFromTheFsyncs) {
  WalMetrics m(1);
  m.core(0).OnWritten(std::chrono::milliseconds(4));
  m.core(0).OnWritten(std::chrono::microseconds(40));
  m.core(0).OnSync(100, std::chrono::microseconds(150));
  auto e = Parse(Text(m));
  const std::string b = R"(corelog_wal_write_duration_seconds_bucket{core="0",le=)";
  EXPECT_EQ(e.Value(b + R"("5e-05"})"), 1);
  EXPECT_EQ(e.Value(b + R"("0.002"})"), 1);
  EXPECT_EQ(e.Value(b + R"("0.005"})"), 2);
  EXPECT_EQ(e.Value(R"(corelog_wal_write_duration_seconds_count{core="0"})"), 2);
  EXPECT_DOUBLE_EQ(e.Value(R"(corelog_wal_write_duration_seconds_sum{core="0"})"), 0.00404);
  EXPECT_EQ(e.Value(R"(corelog_wal_fsync_duration_seconds_count{core="0"})"), 1);
}

TEST(WalMetricsTest, GroupCommitHistogramCountsBytesPerSync) {
  WalMetrics m(1);
  m.core(0).OnSync(300, std::chrono::microseconds(100));
  m.core(0).OnSync(70000, std::chrono::microseconds(100));
  auto e = Parse(Text(m));
  const std::string b = R"(corelog_wal_group_commit_bytes_bucket{core="0",le=)";
  EXPECT_EQ(e.Value(b + R"("256"})"), 0);
  EXPECT_EQ(e.Value(b + R"("1024"})"), 1);
  EXPECT_EQ(e.Value(b + R"("65536"})"), 1);
  EXPECT_EQ(e.Value(b + R"("262144"})"), 2);
  EXPECT_EQ(e.Value(R"(corelog_wal_group_commit_bytes_sum{core="0"})"), 70300);
}

TEST(WalMetricsTest, SegmentsDiskBytesAndFailuresAreExported) {
  WalMetrics m(1);
  m.core(0).SetSegments(3);
  m.core(0).SetDiskBytes(3 << 20);
  m.core(0).OnFailure();
  auto e = Parse(Text(m));
  EXPECT_EQ(e.Value(R"(corelog_wal_segments{core="0"})"), 3);
  EXPECT_EQ(e.Value(R"(corelog_wal_disk_bytes{core="0"})"), 3 << 20);
  EXPECT_EQ(e.Value(R"(corelog_wal_failures_total{core="0"})"), 1);
}

TEST(WalMetricsTest, SamplerReplacesOwnTotalsButNotHistograms) {
  WalMetrics m(2);
  m.core(0).OnWrite(5);
  m.core(0).OnSync(5, std::chrono::microseconds(100));
  m.SetSampler([](uint32_t core) {
    return WalSample{1000 + core, 900 + core, 5000 + core, 2 + core, 4096, 70 + core, 30, 5, 7 + core};
  });
  auto e = Parse(Text(m));
  EXPECT_EQ(e.Value(R"(corelog_wal_written_bytes_total{core="1"})"), 1001);
  EXPECT_EQ(e.Value(R"(corelog_wal_synced_bytes_total{core="1"})"), 901);
  EXPECT_EQ(e.Value(R"(corelog_wal_sync_lag_bytes{core="0"})"), 100);
  EXPECT_EQ(e.Value(R"(corelog_wal_segments{core="1"})"), 3);
  EXPECT_EQ(e.Value(R"(corelog_wal_disk_bytes{core="0"})"), 4096);
  EXPECT_EQ(e.Value(R"(corelog_wal_read_bytes_total{core="1",source="memory"})"), 71);
  EXPECT_EQ(e.Value(R"(corelog_wal_read_bytes_total{core="0",source="disk"})"), 30);
  EXPECT_EQ(e.Value(R"(corelog_wal_segment_rolls_total{core="0",file="new"})"), 5);
  EXPECT_EQ(e.Value(R"(corelog_wal_segment_rolls_total{core="1",file="spare"})"), 8);
  EXPECT_EQ(e.Value(R"(corelog_wal_fsync_duration_seconds_count{core="0"})"), 1);
  EXPECT_EQ(m.Sample()[1].position, 5001u);
}

}  // namespace
}  // namespace corelog::metrics

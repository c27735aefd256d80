#include "metrics/checkpoint_metrics.h"

#include <gtest/gtest.h>

#include "prometheus/text_serializer.h"
#include "tests/metrics/exposition.h"

namespace corelog::metrics {
namespace {

using testing::Parse;

struct Fixture {
  prometheus::Registry registry;
  WalMetrics wal{2};
  CheckpointMetrics checkpoint{registry, wal};

  testing::Exposition Scrape() const {
    auto families = checkpoint.Collect();
    for (auto& f : registry.Collect()) families.push_back(std::move(f));
    return Parse(prometheus::TextSerializer().Serialize(families));
  }
};

TEST(CheckpointMetricsTest, BeforeAnyCheckpointLagIsEverythingWritten) {
  Fixture f;
  f.wal.core(0).OnWrite(700);
  auto e = f.Scrape();
  EXPECT_EQ(e.Value(R"(corelog_checkpoint_lag_bytes{core="0"})"), 700);
  EXPECT_EQ(e.Value(R"(corelog_checkpoint_lag_bytes{core="1"})"), 0);
  EXPECT_EQ(e.Value("corelog_checkpoint_epoch"), 0);
  EXPECT_EQ(e.Value("corelog_checkpoint_last_success_timestamp_seconds"), 0);
  EXPECT_EQ(e.Value("corelog_checkpoint_failures_total"), 0);
  EXPECT_EQ(e.Value("corelog_checkpoint_duration_seconds_count"), 0);
}

TEST(CheckpointMetricsTest, SuccessCoversTheBytesWrittenAtTheBarrier) {
  Fixture f;
  f.wal.core(0).OnWrite(700);
  f.wal.core(1).OnWrite(50);
  const std::vector<uint64_t> covered{500, 50};
  f.checkpoint.OnSuccess(7, std::chrono::milliseconds(30), covered,
                         std::chrono::system_clock::time_point(std::chrono::seconds(1700000000)));
  f.wal.core(1).OnWrite(5);
  auto e = f.Scrape();
  EXPECT_EQ(e.Value(R"(corelog_checkpoint_lag_bytes{core="0"})"), 200);
  EXPECT_EQ(e.Value(R"(corelog_checkpoint_lag_bytes{core="1"})"), 5);
  EXPECT_EQ(e.Value("corelog_checkpoint_epoch"), 7);
  EXPECT_EQ(e.Value("corelog_checkpoint_last_success_timestamp_seconds"), 1700000000);
  EXPECT_EQ(e.Value("corelog_checkpoint_duration_seconds_count"), 1);
  EXPECT_EQ(e.Value(R"(corelog_checkpoint_duration_seconds_bucket{le="0.025"})"), 0);
  EXPECT_EQ(e.Value(R"(corelog_checkpoint_duration_seconds_bucket{le="0.05"})"), 1);
  EXPECT_DOUBLE_EQ(e.Value("corelog_checkpoint_duration_seconds_sum"), 0.03);
}

TEST(CheckpointMetricsTest, LagIsMeasuredFromTheWalPositionWhenSampled) {
  Fixture f;
  f.wal.SetSampler([](uint32_t core) { return WalSample{10, 10, core == 0 ? 9000u : 0u, 1, 0}; });
  auto e = f.Scrape();
  EXPECT_EQ(e.Value(R"(corelog_checkpoint_lag_bytes{core="0"})"), 9000)
      << "a restarted WAL's uncheckpointed bytes count, not just this run's";
  const std::vector<uint64_t> covered{8500};
  f.checkpoint.OnSuccess(2, std::chrono::milliseconds(1), covered);
  EXPECT_EQ(f.Scrape().Value(R"(corelog_checkpoint_lag_bytes{core="0"})"), 500);
}

TEST(CheckpointMetricsTest, FailuresCountAndRestoredCheckpointShows) {
  Fixture f;
  f.wal.core(0).OnWrite(100);
  const std::vector<uint64_t> covered{60, 0};
  f.checkpoint.Restore(41, covered);
  f.checkpoint.OnFailure();
  f.checkpoint.OnFailure();
  auto e = f.Scrape();
  EXPECT_EQ(e.Value("corelog_checkpoint_failures_total"), 2);
  EXPECT_EQ(e.Value("corelog_checkpoint_epoch"), 41);
  EXPECT_EQ(e.Value(R"(corelog_checkpoint_lag_bytes{core="0"})"), 40);
  EXPECT_EQ(e.Value("corelog_checkpoint_last_success_timestamp_seconds"), 0)
      << "no checkpoint taken by this process yet";
  EXPECT_EQ(e.Value("corelog_checkpoint_duration_seconds_count"), 0);
  EXPECT_EQ(e.types["corelog_checkpoint_failures_total"], "counter");
  EXPECT_EQ(e.types["corelog_checkpoint_epoch"], "gauge");
  EXPECT_EQ(e.types["corelog_checkpoint_last_success_timestamp_seconds"], "gauge");
  EXPECT_EQ(e.types["corelog_checkpoint_duration_seconds"], "histogram");
  EXPECT_EQ(e.types["corelog_checkpoint_lag_bytes"], "gauge");
}

}  // namespace
}  // namespace corelog::metrics

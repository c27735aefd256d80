#include "metrics/process_metrics.h"

#include <gtest/gtest.h>

#include "prometheus/text_serializer.h"
#include "tests/metrics/exposition.h"

namespace corelog::metrics {
namespace {

// Fields 1..24 of proc(5), with a command name containing ") (".
constexpr char kStat[] =
    "4242 (core log) (x)) S 1 4242 4242 0 -1 4194304 500 0 0 0 "
    "250 150 0 0 20 0 3 0 1000 104857600 2560 18446744073709551615\n";

TEST(ProcessMetricsTest, ParsesCpuMemoryAndStartTimeFromProcStat) {
  auto s = ParseProcStat(kStat, 100, 4096, 1'700'000'000);
  ASSERT_TRUE(s.has_value());
  EXPECT_DOUBLE_EQ(s->cpu_seconds, 4.0);
  EXPECT_DOUBLE_EQ(s->resident_bytes, 2560.0 * 4096);
  EXPECT_DOUBLE_EQ(s->virtual_bytes, 104857600);
  EXPECT_DOUBLE_EQ(s->start_time_seconds, 1'700'000'010);
}

TEST(ProcessMetricsTest, TruncatedStatGivesNothing) {
  EXPECT_FALSE(ParseProcStat("4242 (corelogd) S 1 2 3", 100, 4096, 0).has_value());
  EXPECT_FALSE(ParseProcStat("garbage", 100, 4096, 0).has_value());
}

TEST(ProcessMetricsTest, ExportsTheConventionalNamesForThisProcess) {
  auto e = testing::Parse(prometheus::TextSerializer().Serialize(ProcessMetrics().Collect()));
  EXPECT_EQ(e.types["process_cpu_seconds_total"], "counter");
  EXPECT_EQ(e.types["process_resident_memory_bytes"], "gauge");
  EXPECT_GT(e.Value("process_resident_memory_bytes"), 0);
  EXPECT_GE(e.Value("process_cpu_seconds_total"), 0);
  EXPECT_GT(e.Value("process_open_fds"), 0);
  EXPECT_GT(e.Value("process_start_time_seconds"), 1'500'000'000);
}

}  // namespace
}  // namespace corelog::metrics

#include "metrics/topic_metrics.h"

#include <gtest/gtest.h>

#include "prometheus/text_serializer.h"
#include "tests/metrics/exposition.h"

namespace corelog::metrics {
namespace {

using testing::Parse;

testing::Exposition Scrape(const TopicMetrics& m) {
  return Parse(prometheus::TextSerializer().Serialize(m.Collect()));
}

TEST(TopicMetricsTest, CountersSumOverCoresPerTopic) {
  TopicMetrics m(2);
  TopicCounters* a = m.ForTopic("orders");
  TopicCounters* b = m.ForTopic("audit");
  a->OnProduce(0, 10, 1000);
  a->OnProduce(1, 5, 400);
  a->OnFetch(1, 15, 1400);
  b->OnFetch(0, 1, 80);
  auto e = Scrape(m);
  EXPECT_EQ(e.Value(R"(corelog_produced_records_total{topic="orders"})"), 15);
  EXPECT_EQ(e.Value(R"(corelog_produced_bytes_total{topic="orders"})"), 1400);
  EXPECT_EQ(e.Value(R"(corelog_fetched_records_total{topic="orders"})"), 15);
  EXPECT_EQ(e.Value(R"(corelog_fetched_bytes_total{topic="orders"})"), 1400);
  EXPECT_EQ(e.Value(R"(corelog_produced_records_total{topic="audit"})"), 0);
  EXPECT_EQ(e.Value(R"(corelog_fetched_bytes_total{topic="audit"})"), 80);
  EXPECT_EQ(e.types["corelog_produced_records_total"], "counter");
  EXPECT_EQ(e.types["corelog_fetched_bytes_total"], "counter");
}

TEST(TopicMetricsTest, ForTopicReturnsTheSameCountersEveryTime) {
  TopicMetrics m(1);
  EXPECT_EQ(m.ForTopic("t"), m.ForTopic("t"));
  EXPECT_NE(m.ForTopic("t"), m.ForTopic("u"));
}

TEST(TopicMetricsTest, RemovedTopicDisappearsAndItsCountersResumeOnRecreate) {
  TopicMetrics m(1);
  m.ForTopic("t")->OnProduce(0, 3, 30);
  m.RemoveTopic("t");
  EXPECT_FALSE(Scrape(m).Has(R"(corelog_produced_records_total{topic="t"})"));
  m.ForTopic("t")->OnProduce(0, 1, 10);
  EXPECT_EQ(Scrape(m).Value(R"(corelog_produced_records_total{topic="t"})"), 4)
      << "a counter never goes backwards";
}

}  // namespace
}  // namespace corelog::metrics

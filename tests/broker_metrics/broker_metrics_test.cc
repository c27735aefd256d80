#include "broker/broker_metrics.h"

#include <gtest/gtest.h>

#include "broker/kafka/record_batch.h"

namespace corelog::broker {
namespace {

std::string Batch(int64_t base_offset, int records) {
  std::vector<kafka::Record> rs(records);
  for (auto& r : rs) r.value = "value";
  return kafka::BuildRecordBatch({.base_offset = base_offset}, rs);
}

TEST(BrokerMetricsWiringTest, CountBatchesAddsUpRecordsAndBytesOfEveryBatch) {
  const std::string records = Batch(0, 3) + Batch(3, 1) + Batch(4, 5);
  BatchTotals t = CountBatches(records);
  EXPECT_EQ(t.records, 9u);
  EXPECT_EQ(t.bytes, records.size());
}

TEST(BrokerMetricsWiringTest, CountBatchesIgnoresTheRecordsOfATruncatedLastBatch) {
  const std::string whole = Batch(0, 2);
  const std::string records = whole + Batch(2, 4).substr(0, 40);
  BatchTotals t = CountBatches(records);
  EXPECT_EQ(t.records, 2u);
  EXPECT_EQ(t.bytes, records.size()) << "bytes are what went on the wire";
  EXPECT_EQ(CountBatches("").records, 0u);
}

TEST(BrokerMetricsWiringTest, MetricsKnowTheCodecsApiAndErrorNames) {
  auto m = NewBrokerMetrics(2);
  m->kafka(1).OnRequest(0, std::chrono::microseconds(5), 3);
  m->kafka(0).OnRequest(1, std::chrono::microseconds(5), 1);
  m->kafka(0).OnRequest(1, std::chrono::microseconds(5), 120);
  const std::string text = m->Serialize();
  EXPECT_NE(text.find(R"(corelog_kafka_requests_total{api="Produce"} 1)"), std::string::npos);
  EXPECT_NE(text.find(R"({api="Produce",error="UNKNOWN_TOPIC_OR_PARTITION"} 1)"),
            std::string::npos);
  EXPECT_NE(text.find(R"({api="Fetch",error="OFFSET_OUT_OF_RANGE"} 1)"), std::string::npos);
  EXPECT_NE(text.find(R"({api="Fetch",error="ERROR_120"} 1)"), std::string::npos)
      << "a code the codec cannot name keeps a label of its own";
}

TEST(BrokerMetricsWiringTest, WalObserverFeedsTheSyncHistograms) {
  auto m = NewBrokerMetrics(2);
  WalMetricsObserver observer(m.get());
  observer.OnSync(1, 4096, std::chrono::microseconds(250));
  observer.OnWritten(1, std::chrono::microseconds(700));
  observer.OnPoisoned(1, Error(std::make_error_code(std::errc::io_error), "fsync"));
  const std::string text = m->Serialize();
  EXPECT_NE(text.find(R"(corelog_wal_fsync_duration_seconds_count{core="1"} 1)"),
            std::string::npos);
  EXPECT_NE(text.find(R"(corelog_wal_group_commit_bytes_sum{core="1"} 4096)"), std::string::npos);
  EXPECT_NE(text.find(R"(corelog_wal_write_duration_seconds_sum{core="1"} 0.0007)"),
            std::string::npos);
  EXPECT_NE(text.find(R"(corelog_wal_failures_total{core="1"} 1)"), std::string::npos);
}

}  // namespace
}  // namespace corelog::broker

#include "metrics/kafka_metrics.h"

#include <gtest/gtest.h>

#include "prometheus/text_serializer.h"
#include "tests/metrics/exposition.h"

namespace corelog::metrics {
namespace {

using std::chrono::microseconds;
using testing::Parse;

KafkaMetricsOptions Options() {
  KafkaMetricsOptions o;
  o.apis = {{0, "Produce"}, {1, "Fetch"}, {18, "ApiVersions"}};
  return o;
}

testing::Exposition Scrape(const KafkaMetrics& m) {
  return Parse(prometheus::TextSerializer().Serialize(m.Collect()));
}

TEST(KafkaMetricsTest, AnApiAppearsOnceRequested) {
  KafkaMetrics m(2, Options());
  EXPECT_FALSE(Scrape(m).Has(R"(corelog_kafka_requests_total{api="Produce"})"));
  m.core(1).OnRequest(18, microseconds(10), 0);
  auto e = Scrape(m);
  EXPECT_EQ(e.Value(R"(corelog_kafka_requests_total{api="ApiVersions"})"), 1);
  EXPECT_EQ(e.Value(R"(corelog_kafka_request_duration_seconds_count{api="ApiVersions"})"), 1);
  EXPECT_FALSE(e.Has(R"(corelog_kafka_requests_total{api="Fetch"})"));
  EXPECT_FALSE(e.Has(R"(corelog_kafka_requests_total{api="unknown"})"));
  EXPECT_EQ(e.types["corelog_kafka_requests_total"], "counter");
  EXPECT_EQ(e.types["corelog_kafka_request_duration_seconds"], "histogram");
  EXPECT_EQ(e.types["corelog_connections"], "gauge");
}

TEST(KafkaMetricsTest, RequestsErrorsAndLatencySumOverCores) {
  KafkaMetrics m(2, Options());
  m.core(0).OnRequest(0, microseconds(200), 0);
  m.core(1).OnRequest(0, microseconds(2000), 0);
  m.core(1).OnRequest(0, microseconds(300), 3);
  m.core(0).OnRequest(0, microseconds(300), 3);
  m.core(0).OnRequest(1, microseconds(50), 1);
  auto e = Scrape(m);
  EXPECT_EQ(e.Value(R"(corelog_kafka_requests_total{api="Produce"})"), 4);
  EXPECT_EQ(e.Value(R"(corelog_kafka_requests_total{api="Fetch"})"), 1);
  EXPECT_EQ(e.Value(R"(corelog_kafka_request_errors_total{api="Produce",error="3"})"), 2);
  EXPECT_EQ(e.Value(R"(corelog_kafka_request_errors_total{api="Fetch",error="1"})"), 1);
  EXPECT_FALSE(e.Has(R"(corelog_kafka_request_errors_total{api="Fetch",error="3"})"))
      << "pairs never seen are not exported";
  const std::string b = R"(corelog_kafka_request_duration_seconds_bucket{api="Produce",le=)";
  EXPECT_EQ(e.Value(b + R"("0.00025"})"), 1);
  EXPECT_EQ(e.Value(b + R"("0.0005"})"), 3);
  EXPECT_EQ(e.Value(b + R"("+Inf"})"), 4);
  EXPECT_DOUBLE_EQ(e.Value(R"(corelog_kafka_request_duration_seconds_sum{api="Produce"})"), 0.0028);
}

TEST(KafkaMetricsTest, UnregisteredApiKeysCountAsUnknown) {
  KafkaMetrics m(1, Options());
  m.core(0).OnRequest(11, microseconds(10), 0);
  m.core(0).OnRequest(-4, microseconds(10), 0);
  m.core(0).OnRequest(300, microseconds(10), 35);
  auto e = Scrape(m);
  EXPECT_EQ(e.Value(R"(corelog_kafka_requests_total{api="unknown"})"), 3);
  EXPECT_EQ(e.Value(R"(corelog_kafka_request_errors_total{api="unknown",error="35"})"), 1);
}

TEST(KafkaMetricsTest, ErrorLabelsUseTheProtocolNamesAndShareOneCellBeyondTheTable) {
  auto o = Options();
  o.error_name = [](int16_t code) {
    return code == -1 ? "UNKNOWN_SERVER_ERROR" : "E" + std::to_string(code);
  };
  KafkaMetrics m(1, std::move(o));
  m.core(0).OnRequest(0, microseconds(10), -1);
  m.core(0).OnRequest(0, microseconds(10), 125);
  m.core(0).OnRequest(0, microseconds(10), 126);
  m.core(0).OnRequest(0, microseconds(10), -7);
  auto e = Scrape(m);
  EXPECT_EQ(
      e.Value(R"(corelog_kafka_request_errors_total{api="Produce",error="UNKNOWN_SERVER_ERROR"})"),
      1);
  EXPECT_EQ(e.Value(R"(corelog_kafka_request_errors_total{api="Produce",error="E125"})"), 1);
  EXPECT_EQ(e.Value(R"(corelog_kafka_request_errors_total{api="Produce",error="other"})"), 2);
}

TEST(KafkaMetricsTest, ConnectionsGaugeIsOpenedMinusClosed) {
  KafkaMetrics m(2, Options());
  m.core(0).OnConnectionOpened();
  m.core(1).OnConnectionOpened();
  m.core(1).OnConnectionOpened();
  m.core(0).OnConnectionClosed();
  auto e = Scrape(m);
  EXPECT_EQ(e.Value("corelog_connections"), 2);
  EXPECT_EQ(e.Value("corelog_connections_opened_total"), 3);
}

TEST(KafkaMetricsDeathTest, RegisteringAnApiTwiceIsABug) {
  KafkaMetricsOptions o;
  o.apis = {{0, "Produce"}, {0, "Produce"}};
  EXPECT_DEATH(KafkaMetrics(1, o), "registered twice");
}

}  // namespace
}  // namespace corelog::metrics

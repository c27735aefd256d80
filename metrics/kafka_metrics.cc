#include "metrics/kafka_metrics.h"

#include "common/check.h"
#include "metrics/family.h"

namespace corelog::metrics {

using prometheus::MetricType;

KafkaSlots::KafkaSlots(const std::vector<KafkaApi>& apis) : num_apis_(apis.size()) {
  CORELOG_CHECK(apis.size() <= kMaxApiKey + 1, "too many Kafka APIs");
  slot_of_.fill(static_cast<uint16_t>(num_apis_));
  for (size_t i = 0; i < apis.size(); ++i) {
    const int16_t key = apis[i].key;
    CORELOG_CHECK(key >= 0 && key <= kMaxApiKey, "Kafka API key out of range");
    CORELOG_CHECK(slot_of_[key] == num_apis_, "Kafka API registered twice");
    slot_of_[key] = static_cast<uint16_t>(i);
  }
}

KafkaCoreMetrics::KafkaCoreMetrics(const KafkaSlots& slots)
    : slots_(&slots), cells_(std::make_unique<ApiCell[]>(slots.cells())) {}

KafkaMetrics::KafkaMetrics(uint32_t num_cores, KafkaMetricsOptions options)
    : options_(std::move(options)), slots_(options_.apis), cores_(num_cores, slots_) {}

std::string KafkaMetrics::ApiLabel(size_t slot) const {
  return slot < options_.apis.size() ? options_.apis[slot].name : "unknown";
}

std::string KafkaMetrics::ErrorLabel(size_t cell) const {
  if (cell == KafkaSlots::kErrorCells - 1) return "other";
  const auto code = static_cast<int16_t>(static_cast<int>(cell) - 1);
  return options_.error_name ? options_.error_name(code) : std::to_string(code);
}

KafkaMetrics::ApiTotals KafkaMetrics::SumCores(size_t slot) const {
  ApiTotals t;
  for (uint32_t c = 0; c < cores_.size(); ++c) {
    const auto& cell = cores_[c].cell(slot);
    t.requests += cell.requests.load(std::memory_order_relaxed);
    t.latency += cell.duration.Snapshot();
    for (size_t e = 0; e < t.errors.size(); ++e) {
      t.errors[e] += cell.errors[e].load(std::memory_order_relaxed);
    }
  }
  return t;
}

std::vector<prometheus::MetricFamily> KafkaMetrics::Collect() const {
  auto requests = MakeFamily("corelog_kafka_requests_total", "Kafka requests handled, by API.",
                             MetricType::Counter);
  auto errors =
      MakeFamily("corelog_kafka_request_errors_total",
                 "Kafka responses carrying an error code, by API and error.", MetricType::Counter);
  auto duration =
      MakeFamily("corelog_kafka_request_duration_seconds",
                 "Time from a decoded request to its response, by API.", MetricType::Histogram);
  for (size_t slot = 0; slot < slots_.cells(); ++slot) {
    const ApiTotals t = SumCores(slot);
    // An API appears once requested: the table lists every API the codec
    // knows, and a scrape of idle ones would be mostly empty histograms.
    if (t.requests == 0) continue;
    const std::string api = ApiLabel(slot);
    AddCounter(requests, {{"api", api}}, static_cast<double>(t.requests));
    AddHistogram(duration, {{"api", api}}, t.latency, RequestDurationBuckets());
    for (size_t e = 0; e < t.errors.size(); ++e) {
      if (t.errors[e] == 0) continue;
      AddCounter(errors, {{"api", api}, {"error", ErrorLabel(e)}},
                 static_cast<double>(t.errors[e]));
    }
  }
  auto families = ConnectionFamilies();
  families.insert(families.begin(), {std::move(requests), std::move(errors), std::move(duration)});
  return families;
}

std::vector<prometheus::MetricFamily> KafkaMetrics::ConnectionFamilies() const {
  uint64_t opened = 0, closed = 0;
  // Closed first: it never passes opened, so the gauge cannot go negative.
  for (uint32_t c = 0; c < cores_.size(); ++c) closed += cores_[c].closed();
  for (uint32_t c = 0; c < cores_.size(); ++c) opened += cores_[c].opened();
  auto connections =
      MakeFamily("corelog_connections", "Open Kafka client connections.", MetricType::Gauge);
  AddGauge(connections, {}, opened > closed ? static_cast<double>(opened - closed) : 0.0);
  auto accepted = MakeFamily("corelog_connections_opened_total",
                             "Kafka client connections accepted.", MetricType::Counter);
  AddCounter(accepted, {}, static_cast<double>(opened));
  return {std::move(connections), std::move(accepted)};
}

}  // namespace corelog::metrics

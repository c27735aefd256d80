#include "metrics/broker_metrics.h"

#include <algorithm>
#include <iterator>

#include "prometheus/text_serializer.h"

namespace corelog::metrics {

BrokerMetrics::BrokerMetrics(BrokerMetricsOptions options)
    : wal_(options.num_cores),
      checkpoint_(registry_, wal_),
      kafka_(options.num_cores, std::move(options.kafka)),
      topics_(options.num_cores) {}

std::vector<prometheus::MetricFamily> BrokerMetrics::Collect() const {
  std::vector<prometheus::MetricFamily> out;
  const prometheus::Collectable* sources[] = {&wal_,    &checkpoint_, &registry_, &kafka_,
                                              &topics_, &callbacks_,  &process_};
  for (const auto* source : sources) {
    auto families = source->Collect();
    std::move(families.begin(), families.end(), std::back_inserter(out));
  }
  // A family without samples says nothing and only clutters the scrape.
  std::erase_if(out, [](const prometheus::MetricFamily& f) { return f.metric.empty(); });
  return out;
}

std::string BrokerMetrics::Serialize() const {
  return prometheus::TextSerializer().Serialize(Collect());
}

}  // namespace corelog::metrics

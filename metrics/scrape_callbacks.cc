#include "metrics/scrape_callbacks.h"

#include "metrics/family.h"

namespace corelog::metrics {
namespace {

using prometheus::MetricType;

std::vector<prometheus::MetricFamily> PartitionFamilies(
    const std::vector<PartitionSample>& samples) {
  auto hwm =
      MakeFamily("corelog_partition_high_watermark",
                 "Offset after the last durable record visible to consumers.", MetricType::Gauge);
  auto start = MakeFamily("corelog_partition_log_start_offset",
                          "First offset still readable in the partition.", MetricType::Gauge);
  for (const auto& s : samples) {
    LabelList labels{{"topic", s.topic}, {"partition", std::to_string(s.partition)}};
    AddGauge(hwm, labels, static_cast<double>(s.high_watermark));
    AddGauge(start, std::move(labels), static_cast<double>(s.log_start_offset));
  }
  return {std::move(hwm), std::move(start)};
}

prometheus::MetricFamily ConsumerLagFamily(const std::vector<ConsumerLagSample>& samples) {
  auto lag = MakeFamily("corelog_consumer_group_lag",
                        "Records between a consumer group's committed offset and the high "
                        "watermark.",
                        MetricType::Gauge);
  for (const auto& s : samples) {
    AddGauge(lag,
             {{"group", s.group}, {"topic", s.topic}, {"partition", std::to_string(s.partition)}},
             static_cast<double>(s.lag));
  }
  return lag;
}

}  // namespace

void ScrapeCallbacks::SetPartitionSampler(PartitionSampler sampler) {
  std::lock_guard lock(mu_);
  partitions_ = std::move(sampler);
}

void ScrapeCallbacks::SetConsumerLagSampler(ConsumerLagSampler sampler) {
  std::lock_guard lock(mu_);
  consumer_lag_ = std::move(sampler);
}

std::vector<prometheus::MetricFamily> ScrapeCallbacks::Collect() const {
  PartitionSampler partitions;
  ConsumerLagSampler consumer_lag;
  {
    std::lock_guard lock(mu_);
    partitions = partitions_;
    consumer_lag = consumer_lag_;
  }
  auto families = PartitionFamilies(partitions ? partitions() : std::vector<PartitionSample>{});
  families.push_back(
      ConsumerLagFamily(consumer_lag ? consumer_lag() : std::vector<ConsumerLagSample>{}));
  return families;
}

}  // namespace corelog::metrics

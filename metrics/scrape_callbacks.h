// Metrics whose values live in broker state rather than in counters: each
// partition's high watermark and log start offset, and each consumer group's
// lag per partition. The broker installs a sampler callback and the scrape
// calls it on the HTTP thread, so the sampler must read thread-safe state
// (atomics or a snapshot), never a core's private data.
#pragma once

#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "prometheus/collectable.h"

namespace corelog::metrics {

struct PartitionSample {
  std::string topic;
  int32_t partition = 0;
  int64_t high_watermark = 0;
  int64_t log_start_offset = 0;
};

struct ConsumerLagSample {
  std::string group;
  std::string topic;
  int32_t partition = 0;
  int64_t lag = 0;  // high watermark minus the group's committed offset
};

using PartitionSampler = std::function<std::vector<PartitionSample>()>;
using ConsumerLagSampler = std::function<std::vector<ConsumerLagSample>()>;

// Thread-safe: setters and Collect may run concurrently; samplers are called
// outside the internal lock.
class ScrapeCallbacks final : public prometheus::Collectable {
 public:
  void SetPartitionSampler(PartitionSampler sampler);
  void SetConsumerLagSampler(ConsumerLagSampler sampler);

  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  mutable std::mutex mu_;
  PartitionSampler partitions_;
  ConsumerLagSampler consumer_lag_;
};

}  // namespace corelog::metrics

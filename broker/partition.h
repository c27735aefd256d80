// Partition: the live state of one Kafka partition. It is owned by one core
// worker (OwnerCore): only that core changes it, so its plain fields need no
// lock. Offsets other cores read (to answer Metadata, ListOffsets or a
// fetch) are atomics written by the owner alone.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "broker/producer_state.h"

namespace corelog::metrics {
class TopicCounters;
}

namespace corelog::broker {

struct Partition {
  Partition(std::string topic_name, int32_t index_in_topic, uint32_t partition_id,
            uint32_t owner_core)
      : topic(std::move(topic_name)), index(index_in_topic), id(partition_id), owner(owner_core) {}

  const std::string topic;
  const int32_t index;  // the Kafka partition number
  const uint32_t id;    // broker-wide id: the WAL and RocksDB key prefix
  const uint32_t owner;

  // Readable from any core.
  std::atomic<int64_t> log_start{0};
  std::atomic<int64_t> high_watermark{0};  // every offset below it is synced and stored
  std::atomic<bool> deleted{false};
  // Per-topic traffic counters (docs/metrics.md); null without metrics.
  std::atomic<metrics::TopicCounters*> counters{nullptr};

  // Owner core only.
  int64_t log_end = 0;  // next offset to assign; >= high_watermark while syncs are in flight
  ProducerStates producers;  // idempotent producers writing to this partition
  // Fetches parked until the high watermark moves; each is called once. A
  // fetch that finished otherwise (deadline) drops its function, so expired
  // entries are skipped and pruned.
  std::vector<std::weak_ptr<const std::function<void()>>> waiters;
};

}  // namespace corelog::broker

// BrokerMetrics: every metric corelogd exports and the Prometheus text
// exposition of them (docs/metrics.md lists names, types, labels). Hot paths
// (WAL, Kafka requests, topic traffic) write per-core slots without locks or
// allocation; the scrape aggregates them, adds the prometheus-cpp Registry
// (checkpoint scalars and anything registered later) and serializes with
// prometheus::TextSerializer.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "metrics/checkpoint_metrics.h"
#include "metrics/kafka_metrics.h"
#include "metrics/process_metrics.h"
#include "metrics/scrape_callbacks.h"
#include "metrics/topic_metrics.h"
#include "metrics/wal_metrics.h"
#include "prometheus/registry.h"

namespace corelog::metrics {

struct BrokerMetricsOptions {
  uint32_t num_cores = 1;
  KafkaMetricsOptions kafka;
};

// Created once at start-up and outlives every core and the HTTP server.
// Thread-safe: each accessor's contract is that of the object it returns;
// Serialize() may run on any thread, concurrently with all updates.
class BrokerMetrics {
 public:
  explicit BrokerMetrics(BrokerMetricsOptions options);
  BrokerMetrics(const BrokerMetrics&) = delete;
  BrokerMetrics& operator=(const BrokerMetrics&) = delete;

  uint32_t num_cores() const { return wal_.num_cores(); }

  WalCoreMetrics& wal(uint32_t core) { return wal_.core(core); }
  // WAL byte totals and gauges read from the WAL at scrape (see WalMetrics).
  void SetWalSampler(WalSampler s) { wal_.SetSampler(std::move(s)); }
  // Shorthand for wal(core).OnSync(...), the shape of wal::SyncObserver.
  void OnSync(uint32_t core, uint64_t bytes, std::chrono::nanoseconds fsync_duration) {
    wal_.core(core).OnSync(bytes, fsync_duration);
  }
  CheckpointMetrics& checkpoint() { return checkpoint_; }
  KafkaCoreMetrics& kafka(uint32_t core) { return kafka_.core(core); }
  TopicCounters* ForTopic(std::string_view topic) { return topics_.ForTopic(topic); }
  void RemoveTopic(std::string_view topic) { topics_.RemoveTopic(topic); }
  void SetPartitionSampler(PartitionSampler s) { callbacks_.SetPartitionSampler(std::move(s)); }
  void SetConsumerLagSampler(ConsumerLagSampler s) {
    callbacks_.SetConsumerLagSampler(std::move(s));
  }
  // For metrics that are neither hot nor per core.
  prometheus::Registry& registry() { return registry_; }

  // Every family with at least one sample.
  std::vector<prometheus::MetricFamily> Collect() const;
  // Prometheus text format 0.0.4.
  std::string Serialize() const;

 private:
  prometheus::Registry registry_;
  WalMetrics wal_;
  CheckpointMetrics checkpoint_;
  KafkaMetrics kafka_;
  TopicMetrics topics_;
  ScrapeCallbacks callbacks_;
  ProcessMetrics process_;
};

}  // namespace corelog::metrics

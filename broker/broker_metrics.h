// The broker's side of corelog::metrics (docs/metrics.md): builds the
// BrokerMetrics for the broker's cores and Kafka API table, forwards the
// WAL's group commits to it, and installs the samplers a scrape uses to read
// the WAL totals, partition offsets and consumer-group offsets. Everything
// here runs at start-up, on a WAL sync thread or on the scraping thread;
// nothing on a core's request path.
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>

#include "metrics/broker_metrics.h"
#include "wal/sync_observer.h"

namespace corelog::broker {

class GroupCoordinator;
class Storage;

// Metrics for `num_cores` cores, labelled with the codec's API and error names.
std::unique_ptr<metrics::BrokerMetrics> NewBrokerMetrics(uint32_t num_cores);

// Passes every core's group commits and WAL failures to the metrics.
// Thread-safe: each core's sync thread calls it.
class WalMetricsObserver final : public wal::SyncObserver {
 public:
  explicit WalMetricsObserver(metrics::BrokerMetrics* metrics) : metrics_(metrics) {}
  void OnSync(uint32_t core, uint64_t bytes, std::chrono::nanoseconds fsync_duration) override;
  void OnWritten(uint32_t core, std::chrono::nanoseconds write_duration) override;
  void OnPoisoned(uint32_t core, const Error& error) override;

 private:
  metrics::BrokerMetrics* metrics_;
};

// After Storage::Recover: seeds the checkpoint metrics from the checkpoint
// found on disk, reports later checkpoints, and installs the samplers that
// read `storage`'s WAL and partitions and `groups`' committed offsets at each
// scrape. Both must outlive every scrape (the HTTP server stops first).
void ConnectMetrics(metrics::BrokerMetrics& metrics, Storage& storage,
                    const GroupCoordinator& groups);

// Records and bytes in a buffer of whole RecordBatch v2 batches (what a
// fetch returns); a truncated trailing batch counts its bytes only.
struct BatchTotals {
  uint64_t records = 0;
  uint64_t bytes = 0;
};
BatchTotals CountBatches(std::string_view batches);

}  // namespace corelog::broker

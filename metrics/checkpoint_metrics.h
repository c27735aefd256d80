// Checkpoint metrics: the current epoch, when the last durable checkpoint
// finished and how long checkpoints take, failures, and per core the WAL
// bytes not yet covered by a durable checkpoint (docs/metrics.md). The scalar
// metrics are prometheus-cpp Registry metrics (written about once a second by
// the checkpoint thread); the per-core lag is computed at scrape: the WAL's
// end position minus the position the last checkpoint covered.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "metrics/wal_metrics.h"
#include "prometheus/collectable.h"
#include "prometheus/counter.h"
#include "prometheus/gauge.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"

namespace corelog::metrics {

// Written by the checkpoint thread (any single thread at a time is fine,
// every member is atomic or internally locked), read by the scraper.
class CheckpointMetrics final : public prometheus::Collectable {
 public:
  // Registers the scalar metrics in `registry`; both arguments must outlive
  // this object.
  CheckpointMetrics(prometheus::Registry& registry, const WalMetrics& wal);

  // A checkpoint of `epoch` became durable after `duration`. `covered[i]` is
  // core i's WAL position at the epoch barrier (WalSample::position): what
  // lies before it is reclaimable. Missing entries leave a core unchanged.
  void OnSuccess(uint64_t epoch, std::chrono::nanoseconds duration,
                 std::span<const uint64_t> covered,
                 std::chrono::system_clock::time_point now = std::chrono::system_clock::now());
  void OnFailure() { failures_.Increment(); }
  // Start-up: the last durable checkpoint found on disk (its epoch and the
  // WAL positions it covered), before this process takes any.
  void Restore(uint64_t epoch, std::span<const uint64_t> covered);

  // corelog_checkpoint_lag_bytes{core}.
  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  const WalMetrics& wal_;
  prometheus::Gauge& epoch_;
  prometheus::Gauge& last_success_;
  prometheus::Counter& failures_;
  prometheus::Histogram& duration_;
  std::unique_ptr<std::atomic<uint64_t>[]> covered_;
};

}  // namespace corelog::metrics

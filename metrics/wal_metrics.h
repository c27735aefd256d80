// WAL durability metrics, the headline of the dashboard: per core, entry
// bytes written vs synced (and their difference, the sync lag), histograms
// of the fsync latency, the group commits' write time and their size, the
// segment count and disk bytes.
// The byte totals and on-disk gauges can come either from this class's own
// counters or, when a sampler is installed, from the WAL's own statistics at
// scrape time (no second count on the append path, and written and synced
// are then exactly the WAL's). Names and meanings are in docs/metrics.md.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <vector>

#include "metrics/histogram.h"
#include "metrics/per_core.h"
#include "prometheus/collectable.h"

namespace corelog::metrics {

// One core's WAL counters. Updates are lock-free and allocation-free and may
// come from the core's thread or its sync thread; any thread may read.
class WalCoreMetrics {
 public:
  WalCoreMetrics();

  // `bytes` of entries appended to the WAL (not yet durable).
  void OnWrite(uint64_t bytes) { written_.fetch_add(bytes, std::memory_order_relaxed); }
  // One group commit: `bytes` of entries made durable by one fdatasync.
  void OnSync(uint64_t bytes, std::chrono::nanoseconds fsync_duration);
  // One group commit's write to its segment, before its fdatasync.
  void OnWritten(std::chrono::nanoseconds write_duration) {
    write_duration_.ObserveDuration(write_duration);
  }
  // The writer failed a write or fsync and refuses further appends.
  void OnFailure() { failures_.fetch_add(1, std::memory_order_relaxed); }
  void SetSegments(uint64_t n) { segments_.store(n, std::memory_order_relaxed); }
  void SetDiskBytes(uint64_t n) { disk_bytes_.store(n, std::memory_order_relaxed); }

  uint64_t written() const { return written_.load(std::memory_order_relaxed); }
  uint64_t synced() const { return synced_.load(std::memory_order_relaxed); }
  uint64_t failures() const { return failures_.load(std::memory_order_relaxed); }
  uint64_t segments() const { return segments_.load(std::memory_order_relaxed); }
  uint64_t disk_bytes() const { return disk_bytes_.load(std::memory_order_relaxed); }
  HistogramSnapshot fsync_duration() const { return fsync_duration_.Snapshot(); }
  HistogramSnapshot write_duration() const { return write_duration_.Snapshot(); }
  HistogramSnapshot group_commit_bytes() const { return group_commit_bytes_.Snapshot(); }

 private:
  std::atomic<uint64_t> written_{0};
  std::atomic<uint64_t> synced_{0};
  std::atomic<uint64_t> failures_{0};
  std::atomic<uint64_t> segments_{0};
  std::atomic<uint64_t> disk_bytes_{0};
  AtomicHistogram fsync_duration_;
  AtomicHistogram write_duration_;  // the fsync's buckets, to read side by side
  AtomicHistogram group_commit_bytes_;
};

// One core's totals as the WAL itself counts them.
struct WalSample {
  uint64_t written_bytes = 0;  // since the WAL was opened
  uint64_t synced_bytes = 0;   // since the WAL was opened
  // End of the core's WAL, in the coordinates checkpoint barriers record
  // (bytes since the WAL was created, surviving restarts). Without a sampler
  // it is the written bytes.
  uint64_t position = 0;
  uint64_t segments = 0;
  uint64_t disk_bytes = 0;
  // Data entry bytes read back for fetches, from the WAL's tail cache or
  // from its segment files. Zero without a sampler.
  uint64_t read_memory_bytes = 0;
  uint64_t read_disk_bytes = 0;
  // Segment rolls since open, to a new file or over a spare. Zero without a
  // sampler.
  uint64_t new_segments = 0;
  uint64_t reused_segments = 0;
};
// Called at scrape on the scraping thread, once per core.
using WalSampler = std::function<WalSample(uint32_t core)>;

// All cores' WAL metrics and their exposition; thread-safe.
class WalMetrics final : public prometheus::Collectable {
 public:
  explicit WalMetrics(uint32_t num_cores) : cores_(num_cores) {}

  WalCoreMetrics& core(uint32_t i) { return cores_[i]; }
  uint32_t num_cores() const { return cores_.size(); }

  // From now on totals and gauges come from `sampler`; the histograms and
  // failures still come from OnSync/OnFailure.
  void SetSampler(WalSampler sampler);
  // Every core's totals, from the sampler if one is installed.
  std::vector<WalSample> Sample() const;

  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  PerCore<WalCoreMetrics> cores_;
  mutable std::mutex mu_;
  WalSampler sampler_;
};

}  // namespace corelog::metrics

#include "metrics/wal_metrics.h"

#include "metrics/family.h"

namespace corelog::metrics {

using prometheus::MetricType;

WalCoreMetrics::WalCoreMetrics()
    : fsync_duration_(FsyncDurationBuckets()),
      write_duration_(FsyncDurationBuckets()),
      group_commit_bytes_(GroupCommitBytesBuckets()) {}

void WalCoreMetrics::OnSync(uint64_t bytes, std::chrono::nanoseconds fsync_duration) {
  synced_.fetch_add(bytes, std::memory_order_relaxed);
  fsync_duration_.ObserveDuration(fsync_duration);
  group_commit_bytes_.Observe(bytes);
}

void WalMetrics::SetSampler(WalSampler sampler) {
  std::lock_guard lock(mu_);
  sampler_ = std::move(sampler);
}

std::vector<WalSample> WalMetrics::Sample() const {
  WalSampler sampler;
  {
    std::lock_guard lock(mu_);
    sampler = sampler_;
  }
  std::vector<WalSample> out;
  for (uint32_t i = 0; i < cores_.size(); ++i) {
    if (sampler) {
      out.push_back(sampler(i));
      continue;
    }
    const WalCoreMetrics& c = cores_[i];
    // Synced first, so a sync landing between the loads cannot make the lag
    // negative; the clamp in Collect covers what relaxed ordering allows.
    const uint64_t synced = c.synced();
    const uint64_t written = c.written();
    out.push_back({written, synced, written, c.segments(), c.disk_bytes()});
  }
  return out;
}

std::vector<prometheus::MetricFamily> WalMetrics::Collect() const {
  auto written = MakeFamily("corelog_wal_written_bytes_total",
                            "WAL entry bytes appended, durable or not.", MetricType::Counter);
  auto synced = MakeFamily("corelog_wal_synced_bytes_total",
                           "WAL entry bytes made durable by fdatasync.", MetricType::Counter);
  auto lag = MakeFamily("corelog_wal_sync_lag_bytes", "WAL entry bytes written but not yet synced.",
                        MetricType::Gauge);
  auto fsync = MakeFamily("corelog_wal_fsync_duration_seconds",
                          "Duration of each group-commit fdatasync.", MetricType::Histogram);
  auto write = MakeFamily("corelog_wal_write_duration_seconds",
                          "Duration of each write of buffered WAL entries to their segment, "
                          "before the fdatasync (with O_DIRECT, the device's write time).",
                          MetricType::Histogram);
  auto group =
      MakeFamily("corelog_wal_group_commit_bytes",
                 "Entry bytes made durable by each group-commit fdatasync.", MetricType::Histogram);
  auto segments =
      MakeFamily("corelog_wal_segments", "WAL segment files on disk.", MetricType::Gauge);
  auto disk = MakeFamily("corelog_wal_disk_bytes", "Bytes of WAL segment files on disk.",
                         MetricType::Gauge);
  auto read = MakeFamily("corelog_wal_read_bytes_total",
                         "WAL entry bytes read back for fetches, by where they came from: "
                         "memory (the tail cache) or disk (the segment files).",
                         MetricType::Counter);
  auto rolls = MakeFamily("corelog_wal_segment_rolls_total",
                          "WAL segment rolls, by the file the next segment went to: a new one, "
                          "or a spare (a reclaimed segment's file, written over).",
                          MetricType::Counter);
  auto failures = MakeFamily("corelog_wal_failures_total",
                             "Failed WAL writes or fsyncs (each one poisons the core's WAL).",
                             MetricType::Counter);
  const std::vector<WalSample> samples = Sample();
  for (uint32_t i = 0; i < cores_.size(); ++i) {
    const WalCoreMetrics& c = cores_[i];
    const uint64_t w = samples[i].written_bytes;
    const uint64_t s = samples[i].synced_bytes;
    AddCounter(written, CoreLabel(i), static_cast<double>(w));
    AddCounter(synced, CoreLabel(i), static_cast<double>(s));
    AddGauge(lag, CoreLabel(i), w > s ? static_cast<double>(w - s) : 0.0);
    AddHistogram(fsync, CoreLabel(i), c.fsync_duration(), FsyncDurationBuckets());
    AddHistogram(write, CoreLabel(i), c.write_duration(), FsyncDurationBuckets());
    AddHistogram(group, CoreLabel(i), c.group_commit_bytes(), GroupCommitBytesBuckets());
    AddGauge(segments, CoreLabel(i), static_cast<double>(samples[i].segments));
    AddGauge(disk, CoreLabel(i), static_cast<double>(samples[i].disk_bytes));
    for (auto [source, bytes] : {std::pair{"memory", samples[i].read_memory_bytes},
                                 std::pair{"disk", samples[i].read_disk_bytes}}) {
      LabelList labels = CoreLabel(i);
      labels.push_back({"source", source});
      AddCounter(read, std::move(labels), static_cast<double>(bytes));
    }
    for (auto [file, count] : {std::pair{"new", samples[i].new_segments},
                               std::pair{"spare", samples[i].reused_segments}}) {
      LabelList labels = CoreLabel(i);
      labels.push_back({"file", file});
      AddCounter(rolls, std::move(labels), static_cast<double>(count));
    }
    AddCounter(failures, CoreLabel(i), static_cast<double>(c.failures()));
  }
  return {std::move(written),  std::move(synced), std::move(lag),
          std::move(fsync),    std::move(write),  std::move(group),
          std::move(segments), std::move(disk),   std::move(read),
          std::move(rolls),    std::move(failures)};
}

}  // namespace corelog::metrics

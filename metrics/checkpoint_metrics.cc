#include "metrics/checkpoint_metrics.h"

#include "metrics/family.h"

namespace corelog::metrics {
namespace {

prometheus::Histogram::BucketBoundaries SecondsBounds(const BucketLayout& layout) {
  prometheus::Histogram::BucketBoundaries bounds;
  for (size_t i = 0; i < layout.bounds(); ++i) {
    bounds.push_back(static_cast<double>(layout.bound(i)) * layout.unit());
  }
  return bounds;
}

double UnixSeconds(std::chrono::system_clock::time_point t) {
  return std::chrono::duration<double>(t.time_since_epoch()).count();
}

}  // namespace

CheckpointMetrics::CheckpointMetrics(prometheus::Registry& registry, const WalMetrics& wal)
    : wal_(wal),
      epoch_(prometheus::BuildGauge()
                 .Name("corelog_checkpoint_epoch")
                 .Help("Epoch of the last durable checkpoint (restored at start-up).")
                 .Register(registry)
                 .Add({})),
      last_success_(prometheus::BuildGauge()
                        .Name("corelog_checkpoint_last_success_timestamp_seconds")
                        .Help("Unix time of the last durable checkpoint; 0 before the first.")
                        .Register(registry)
                        .Add({})),
      failures_(prometheus::BuildCounter()
                    .Name("corelog_checkpoint_failures_total")
                    .Help("Checkpoints that failed.")
                    .Register(registry)
                    .Add({})),
      duration_(prometheus::BuildHistogram()
                    .Name("corelog_checkpoint_duration_seconds")
                    .Help("Duration of each successful checkpoint, barrier to durable manifest.")
                    .Register(registry)
                    .Add({}, SecondsBounds(CheckpointDurationBuckets()))),
      covered_(std::make_unique<std::atomic<uint64_t>[]>(wal.num_cores())) {}

void CheckpointMetrics::Restore(uint64_t epoch, std::span<const uint64_t> covered) {
  for (size_t i = 0; i < covered.size() && i < wal_.num_cores(); ++i) {
    covered_[i].store(covered[i], std::memory_order_relaxed);
  }
  epoch_.Set(static_cast<double>(epoch));
}

void CheckpointMetrics::OnSuccess(uint64_t epoch, std::chrono::nanoseconds duration,
                                  std::span<const uint64_t> covered,
                                  std::chrono::system_clock::time_point now) {
  Restore(epoch, covered);
  duration_.Observe(std::chrono::duration<double>(duration).count());
  last_success_.Set(UnixSeconds(now));
}

std::vector<prometheus::MetricFamily> CheckpointMetrics::Collect() const {
  auto lag = MakeFamily("corelog_checkpoint_lag_bytes",
                        "WAL bytes not yet covered by a durable checkpoint.",
                        prometheus::MetricType::Gauge);
  const std::vector<WalSample> samples = wal_.Sample();
  for (uint32_t i = 0; i < wal_.num_cores(); ++i) {
    const uint64_t covered = covered_[i].load(std::memory_order_relaxed);
    const uint64_t end = samples[i].position;
    AddGauge(lag, CoreLabel(i), end > covered ? static_cast<double>(end - covered) : 0.0);
  }
  return {std::move(lag)};
}

}  // namespace corelog::metrics

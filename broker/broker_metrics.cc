#include "broker/broker_metrics.h"

#include <map>

#include "broker/group_coordinator.h"
#include "broker/kafka/api.h"
#include "broker/kafka/errors.h"
#include "broker/storage.h"
#include "common/coding.h"
#include "wal/manager.h"

namespace corelog::broker {
namespace {

// RecordBatch v2 header: baseOffset i64, batchLength i32 (bytes after it),
// then at byte 57 the record count i32.
constexpr size_t kBatchLengthPos = 8;
constexpr size_t kBatchLengthEnd = 12;
constexpr size_t kRecordCountPos = 57;
constexpr size_t kRecordCountEnd = 61;

// Distinct codes must get distinct labels, and the codec names only the codes
// it knows.
std::string ErrorLabel(int16_t code) {
  const std::string_view name = kafka::ErrorCodeName(static_cast<kafka::ErrorCode>(code));
  if (name == "UNKNOWN") return "ERROR_" + std::to_string(code);
  return std::string(name);
}

metrics::WalSample SampleWal(wal::Manager& wal, uint32_t core) {
  wal::CoreWriter& w = wal.writer(core);
  // Synced before written: the lag a scrape shows is never negative.
  const uint64_t synced = w.stats().synced_bytes.load(std::memory_order_relaxed);
  const uint64_t written = w.stats().written_bytes.load(std::memory_order_relaxed);
  const uint64_t oldest = w.oldest_position();
  const uint64_t end = w.position();
  return metrics::WalSample{written,
                            synced,
                            end,
                            w.segment_count(),
                            end - std::min(oldest, end),
                            w.stats().read_memory_bytes.load(std::memory_order_relaxed),
                            w.stats().read_disk_bytes.load(std::memory_order_relaxed),
                            w.stats().new_segments.load(std::memory_order_relaxed),
                            w.stats().reused_segments.load(std::memory_order_relaxed)};
}

std::vector<metrics::PartitionSample> SamplePartitions(const TopicRegistry& topics) {
  std::vector<metrics::PartitionSample> out;
  for (const auto& topic : topics.All()) {
    for (const auto& p : topic->partitions) {
      if (p->deleted.load()) continue;
      out.push_back({topic->meta.name, p->index, p->high_watermark.load(), p->log_start.load()});
    }
  }
  return out;
}

std::vector<metrics::ConsumerLagSample> SampleConsumerLag(const TopicRegistry& topics,
                                                          const GroupCoordinator& groups) {
  std::map<std::string, std::shared_ptr<const Topic>, std::less<>> by_name;
  for (auto& t : topics.All()) by_name.emplace(t->meta.name, std::move(t));
  std::vector<metrics::ConsumerLagSample> out;
  for (const auto& [group, offsets] : groups.CommittedSnapshot()) {
    for (const auto& [tp, committed] : offsets) {
      auto it = by_name.find(tp.first);
      if (committed < 0 || it == by_name.end() || tp.second < 0 ||
          tp.second >= static_cast<int32_t>(it->second->partitions.size())) {
        continue;
      }
      const int64_t hwm = it->second->partitions[tp.second]->high_watermark.load();
      out.push_back({group, tp.first, tp.second, std::max<int64_t>(hwm - committed, 0)});
    }
  }
  return out;
}

}  // namespace

std::unique_ptr<metrics::BrokerMetrics> NewBrokerMetrics(uint32_t num_cores) {
  metrics::BrokerMetricsOptions options;
  options.num_cores = num_cores;
  for (const kafka::ApiInfo& api : kafka::AllApis()) {
    options.kafka.apis.push_back({static_cast<int16_t>(api.key), std::string(api.name)});
  }
  options.kafka.error_name = ErrorLabel;
  return std::make_unique<metrics::BrokerMetrics>(std::move(options));
}

void WalMetricsObserver::OnSync(uint32_t core, uint64_t bytes,
                                std::chrono::nanoseconds fsync_duration) {
  metrics_->OnSync(core, bytes, fsync_duration);
}

void WalMetricsObserver::OnWritten(uint32_t core, std::chrono::nanoseconds write_duration) {
  metrics_->wal(core).OnWritten(write_duration);
}

void WalMetricsObserver::OnPoisoned(uint32_t core, const Error& /*error*/) {
  metrics_->wal(core).OnFailure();
}

void ConnectMetrics(metrics::BrokerMetrics& metrics, Storage& storage,
                    const GroupCoordinator& groups) {
  if (auto* checkpointer = storage.checkpointer()) {
    const checkpoint::Stats found = checkpointer->stats();
    metrics.checkpoint().Restore(found.epoch, found.positions);
    checkpointer->SetMetrics(&metrics.checkpoint());
  }
  wal::Manager* wal = storage.wal();
  metrics.SetWalSampler([wal](uint32_t core) { return SampleWal(*wal, core); });
  const TopicRegistry* topics = &storage.topics();
  metrics.SetPartitionSampler([topics] { return SamplePartitions(*topics); });
  metrics.SetConsumerLagSampler(
      [topics, groups = &groups] { return SampleConsumerLag(*topics, *groups); });
}

BatchTotals CountBatches(std::string_view batches) {
  BatchTotals t;
  t.bytes = batches.size();
  size_t pos = 0;
  while (batches.size() - pos >= kBatchLengthEnd) {
    const int32_t length = DecodeBE<int32_t>(batches.data() + pos + kBatchLengthPos);
    const size_t end = pos + kBatchLengthEnd + static_cast<size_t>(std::max(length, 0));
    if (length < 0 || end > batches.size() || kRecordCountEnd > end - pos) break;
    t.records += static_cast<uint64_t>(
        std::max(DecodeBE<int32_t>(batches.data() + pos + kRecordCountPos), 0));
    pos = end;
  }
  return t;
}

}  // namespace corelog::broker

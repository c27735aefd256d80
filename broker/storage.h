// Storage: the broker's durable state and the produce/fetch paths through it.
// It owns the per-core WAL (durability), the RocksDB RecordStore (what
// fetches read) and the TopicRegistry. A batch is appended to its owner
// core's WAL, becomes visible (high watermark) only after the group-commit
// fdatasync covering it, and is then inserted into RocksDB. Recovery replays
// the WAL into RocksDB before the broker accepts clients.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "broker/config.h"
#include "broker/cores.h"
#include "broker/record_store.h"
#include "broker/topic_registry.h"
#include "common/result.h"

namespace corelog::wal {
class Manager;
}

namespace corelog::broker {

struct AppendResult {
  int64_t base_offset = -1;
  int64_t log_start = 0;
};

// What a fetch of one partition found.
struct ReadResult {
  int64_t high_watermark = 0;
  int64_t log_start = 0;
  bool out_of_range = false;
  std::string records;  // whole batches, possibly empty
};

struct TimestampOffset {
  int64_t offset = -1;
  int64_t timestamp = -1;
};

class Storage {
 public:
  Storage(const Config& config, Cores* cores);
  ~Storage();

  // Opens RocksDB and the WAL, replays the WAL into RocksDB and sets every
  // partition's offsets. Runs before the cores accept work.
  Status Recover();

  TopicRegistry& topics() { return *topics_; }
  const Config& config() const { return config_; }

  // Owner core only. `batch` is a validated RecordBatch v2 (taken by value:
  // the broker rewrites its base offset). `done` runs on the owner core once
  // the batch is durable and visible, or with the error that stopped it.
  void Append(Partition& p, std::string batch, std::function<void(Result<AppendResult>)> done);

  // Any core. Reads whole batches from `offset` up to the high watermark.
  Result<ReadResult> Read(const Partition& p, int64_t offset, size_t max_bytes) const;
  // ListOffsets by time: the first offset with a timestamp >= ts and that
  // timestamp, or offset -1 when every record is older.
  Result<TimestampOffset> OffsetForTimestamp(const Partition& p, int64_t ts) const;

  // Stable across restarts: kept in <data-dir>/meta.
  const std::string& cluster_id() const { return cluster_id_; }

  // Owner core only: `wake` runs (on the owner core) at the next advance of
  // the partition's high watermark, unless it has expired by then.
  void AddWaiter(Partition& p, std::weak_ptr<const std::function<void()>> wake);

  // Flushes every core's WAL (shutdown).
  Status SyncAll();

 private:
  Status LoadOrCreateMeta();
  Status ReplayWal();
  void SetOffsetsFromStore();

  Config config_;
  Cores* cores_;
  std::string cluster_id_;
  std::unique_ptr<RecordStore> store_;
  std::unique_ptr<TopicRegistry> topics_;
  std::unique_ptr<wal::Manager> wal_;
};

}  // namespace corelog::broker

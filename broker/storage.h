// Storage: the broker's durable state and the produce/fetch paths through it.
// It owns the per-core WAL (durability and the record bytes), the RocksDB
// RecordStore (where each batch lies, broker state) and the TopicRegistry. A batch is appended to its owner
// core's WAL, becomes visible (high watermark) only after the group-commit
// fdatasync covering it, and then RocksDB learns where in the WAL it lies
// (the WAL is where fetches read its bytes back). Storage is the
// checkpoint host (checkpoint/host.h): each checkpoint captures every
// partition's log start, log end and stored bytes on its owner core at the
// barrier, and recovery restores them and replays only the WAL after the
// last checkpoint, before the broker accepts clients. Retention and
// DeleteRecords advance a partition's log start through a WAL record, so a
// deletion is durable before it is answered. docs/architecture.md.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "broker/config.h"
#include "broker/cores.h"
#include "broker/record_store.h"
#include "broker/state_mutation.h"
#include "broker/topic_registry.h"
#include "checkpoint/checkpointer.h"
#include "checkpoint/host.h"
#include "common/result.h"

namespace corelog::wal {
class Manager;
class SyncObserver;
struct Entry;
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

// WAL record type of a log start advance: partition id u32, offset i64
// (little-endian). kStateMutationRecord (state_mutation.h) is type 1.
inline constexpr uint16_t kLogStartRecord = 2;

class Storage final : public checkpoint::Host {
 public:
  Storage(const Config& config, Cores* cores);
  ~Storage();

  // Opens RocksDB and the WAL, restores every partition's offsets from the
  // last checkpoint and replays the WAL after it (a changed core count is
  // checkpointed into a new WAL layout). Runs before the cores accept work.
  Status Recover();
  // After Recover: starts the checkpoint thread and the retention timers.
  void StartBackground();
  // Stops them and takes a last checkpoint so a restart replays nothing;
  // the cores must still be running.
  void StopBackground();
  // Valid after Recover (metrics read its stats).
  checkpoint::Checkpointer* checkpointer() { return checkpointer_.get(); }
  // Valid after Recover (metrics sample its positions and counters).
  wal::Manager* wal() { return wal_.get(); }
  // Before Recover: told about every group commit of every core.
  void SetSyncObserver(wal::SyncObserver* observer) { sync_observer_ = observer; }

  TopicRegistry& topics() { return *topics_; }
  const Config& config() const { return config_; }

  // Owner core only. `batch` is a validated RecordBatch v2 whose base offset
  // and leader epoch are rewritten in place; `owner` keeps its bytes alive
  // until `done` runs, so they are copied only into the WAL and RocksDB.
  // `done` runs on the owner core once the batch is durable and visible, or
  // with the error that stopped it.
  void Append(Partition& p, std::span<char> batch, std::shared_ptr<const void> owner,
              std::function<void(Result<AppendResult>)> done);

  // Core `core` only: `done` runs on that core once everything appended to
  // its WAL so far is durable (a duplicate batch waits for its original).
  void WhenDurable(uint32_t core, std::function<void(Status)> done);

  // Any core. Reads whole batches from `offset` up to the high watermark,
  // within max_bytes unless `oversized_first` lets the first batch exceed it.
  Result<ReadResult> Read(const Partition& p, int64_t offset, size_t max_bytes,
                          bool oversized_first = true) const;
  // ListOffsets by time: the first offset with a timestamp >= ts and that
  // timestamp, or offset -1 when every record is older.
  Result<TimestampOffset> OffsetForTimestamp(const Partition& p, int64_t ts) const;

  // Stable across restarts: kept in <data-dir>/meta.
  const std::string& cluster_id() const { return cluster_id_; }

  // Owner core only: `wake` runs (on the owner core) at the next advance of
  // the partition's high watermark, unless it has expired by then.
  void AddWaiter(Partition& p, std::weak_ptr<const std::function<void()>> wake);

  // Core `core` only. Logs `mutation` in the core's WAL and, once synced,
  // applies it to RocksDB; `done` then runs on that core.
  void AppendStateMutation(uint32_t core, StateMutation mutation,
                           std::function<void(Status)> done);
  const RecordStore& store() const { return *store_; }
  Result<int64_t> NewProducerId() { return store_->NewProducerId(); }

  // Owner core only. Makes `offset` (<= the high watermark) the log start
  // and deletes the batches wholly below it; `done` runs on the owner core
  // with the new log start once a WAL record of it is durable.
  void AdvanceLogStart(std::shared_ptr<Partition> p, int64_t offset,
                       std::function<void(Result<int64_t>)> done);

  // Flushes every core's WAL (shutdown).
  Status SyncAll();

  // checkpoint::Host.
  void RunOnCore(uint32_t core, std::function<void()> fn) override;
  Result<checkpoint::State> CaptureCore(uint32_t core, uint64_t epoch) override;
  uint64_t OldestNeeded(uint32_t core) override;

 private:
  Status LoadOrCreateMeta();
  Status LoadPartitionStates();
  Status ReplayEntry(const wal::Entry& e);
  Status ReplayBatch(const wal::Entry& e);
  Status ApplyRecord(const wal::Entry& e);
  void FinishReplay();
  checkpoint::State CaptureAll();
  void CapturePartition(const Partition& p, checkpoint::State* out);
  Status LoadProducerStates();
  Status ApplyLogStart(Partition& p, int64_t offset);
  void ScheduleRetention(uint32_t core);
  void EnforceRetention(uint32_t core);
  int64_t& StoredBytes(const Partition& p) { return stored_bytes_[p.owner][p.id]; }

  Config config_;
  Cores* cores_;
  std::string cluster_id_;
  std::unique_ptr<RecordStore> store_;
  std::unique_ptr<TopicRegistry> topics_;
  std::unique_ptr<wal::Manager> wal_;
  std::optional<checkpoint::Manifest> last_manifest_;
  // Per core, touched only by that core (or by recovery before the cores
  // serve): bytes of the stored batches of each owned partition.
  std::vector<std::unordered_map<uint32_t, int64_t>> stored_bytes_;
  std::vector<std::unique_ptr<Timer>> retention_timers_;  // element i: core i only
  std::atomic<bool> stopping_{false};
  bool replay_inline_ = false;  // recovery: the WAL is replaced after replay
  wal::SyncObserver* sync_observer_ = nullptr;
  // Last: stopped and destroyed before the WAL and the store it uses.
  std::unique_ptr<checkpoint::Checkpointer> checkpointer_;
};

}  // namespace corelog::broker

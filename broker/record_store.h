// RecordStore: corelogd's RocksDB database (<data-dir>/state). It holds
//  - record batches, key 'r' | partition id (u32 BE) | base offset (i64 BE),
//    value = where the batch lies in the WAL (EncodeBatchLocation: the
//    record bytes are written once, to the WAL, and read back from there),
//    or the RecordBatch v2 bytes themselves (broker-owned fields set) for a
//    batch whose WAL was replaced when the core count changed;
//  - topic metadata, key 't' | topic name, value = JSON (TopicMeta);
//  - partition log state at the last checkpoint, key 'l' | partition id (u32
//    BE), value = PartitionState (written by the checkpoint, see
//    docs/architecture.md);
//  - the checkpoint manifest, key "mcheckpoint" (checkpoint/manifest.h).
// Record batches and partition state are written with RocksDB's own WAL
// disabled: the corelog WAL is their durability, recovery re-applies it, and
// each checkpoint flushes RocksDB. Topic metadata changes
// are rare and written with RocksDB's WAL and a sync, so they are durable on
// return. Thread-safe: RocksDB serialises writers internally.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "broker/state_mutation.h"
#include "common/result.h"
#include "wal/manager.h"

namespace rocksdb {
class DB;
}

namespace corelog::broker {

struct TopicMeta {
  std::string name;
  std::vector<uint32_t> partition_ids;  // index = Kafka partition number
  std::map<std::string, std::string> configs;
};

// A partition's offsets and stored bytes at a checkpoint's cut.
struct PartitionState {
  int64_t log_start = 0;
  int64_t log_end = 0;  // = the high watermark at the cut
  int64_t stored_bytes = 0;
};
std::string PartitionStateKey(uint32_t partition_id);
std::string EncodePartitionState(const PartitionState& s);

// One stored batch as the retention and deletion scans see it.
struct BatchInfo {
  int64_t base_offset = 0;
  int64_t last_offset = 0;
  int64_t max_timestamp = 0;
  int64_t size = 0;
  // Where its bytes are, when they are in the WAL (else in the store).
  std::optional<wal::DataLocation> location;
};

// The offsets a partition's stored batches span.
struct StoredRange {
  int64_t first_offset = 0;  // base offset of the oldest batch
  int64_t next_offset = 0;   // one past the last offset of the newest batch
  bool empty = true;
};

class RecordStore {
 public:
  static Result<std::unique_ptr<RecordStore>> Open(const std::string& dir);
  ~RecordStore();

  // Stores the batch's bytes themselves.
  Status PutBatch(uint32_t partition_id, int64_t base_offset, std::string_view batch);
  // Stores where the batch lies in the WAL; `batch` is read only for its
  // header fields (last offset, max timestamp, size).
  Status PutBatchLocation(uint32_t partition_id, int64_t base_offset, std::string_view batch,
                          const wal::DataLocation& at);
  // Where batches stored by location are read back from. Set before the
  // first read of one (Storage does, once recovery opened the WAL).
  void SetWal(const wal::Manager* wal) { wal_ = wal; }
  // The WAL location of the partition's oldest stored batch, if its bytes
  // are in the WAL.
  Result<std::optional<wal::DataLocation>> OldestLocation(uint32_t partition_id) const;

  // Applies logged broker state (StateMutation) without RocksDB's WAL, like
  // batches: the corelog WAL holds it until a checkpoint flushes RocksDB.
  Status Apply(const StateMutation& mutation);
  // Calls fn(key, value) for every key starting with `prefix`.
  Status Scan(std::string_view prefix,
              const std::function<Status(std::string_view, std::string_view)>& fn) const;

  // Appends to *out whole batches of the partition starting with the one that
  // contains `offset`, stopping before `end_offset` (the high watermark) and
  // before a batch that would take *out past `max_bytes`. With
  // `oversized_first`, the first batch is added whatever its size, so a
  // consumer can make progress past a batch larger than its limit (KIP-74).
  Status ReadBatches(uint32_t partition_id, int64_t offset, int64_t end_offset, size_t max_bytes,
                     std::string* out, bool oversized_first = true) const;

  // The first batch below end_offset whose max timestamp is >= ts: its base
  // offset and max timestamp, or offset -1 if there is none. Used by
  // ListOffsets with a timestamp.
  struct BatchTime {
    int64_t offset = -1;
    int64_t timestamp = -1;
  };
  Result<BatchTime> OffsetForTimestamp(uint32_t partition_id, int64_t ts, int64_t end_offset) const;

  Result<StoredRange> Range(uint32_t partition_id) const;
  // Removes the partition's records and state, durably (RocksDB's WAL).
  Status DeletePartition(uint32_t partition_id);

  // Calls fn for each stored batch of the partition from the one holding
  // `offset` on, in offset order, while fn returns true.
  Status ScanBatches(uint32_t partition_id, int64_t offset,
                     const std::function<bool(const BatchInfo&)>& fn) const;
  // Range-deletes the batches whose base offset is below `end_offset`
  // (without RocksDB's WAL: a WAL record of the new log start replays it).
  Status DeleteBatchesBefore(uint32_t partition_id, int64_t end_offset);
  // Every stored partition state, by partition id.
  Result<std::map<uint32_t, PartitionState>> LoadPartitionStates() const;

  // The database, for the checkpoint (manifest and state writes, flush).
  rocksdb::DB* db() const { return db_.get(); }

  // Stores a topic together with the next unused partition id, atomically.
  Status PutTopic(const TopicMeta& topic, uint32_t next_partition_id);
  // A producer id never handed out before, durable on return (InitProducerId).
  Result<int64_t> NewProducerId();
  Result<uint32_t> LoadNextPartitionId() const;
  Status DeleteTopic(const std::string& name);
  Result<std::vector<TopicMeta>> LoadTopics() const;

 private:
  explicit RecordStore(std::unique_ptr<rocksdb::DB> db);
  // Appends the bytes of the stored batch `value` to *out.
  Status AppendBatch(std::string_view value, std::string* out) const;

  std::unique_ptr<rocksdb::DB> db_;
  const wal::Manager* wal_ = nullptr;
  std::mutex producer_id_mu_;
};

// A batch's place in the WAL with the header fields the store's scans
// need, in a value that no RecordBatch can be: 0xC1 (a base offset's first
// byte would make it negative), core u32, position u64, end position u64,
// last offset delta i32, max timestamp i64, batch size u32 (little-endian).
std::string EncodeBatchLocation(std::string_view batch, const wal::DataLocation& at);
// The stored value's batch fields; `base_offset` comes from its key.
BatchInfo DecodeBatchValue(int64_t base_offset, std::string_view value);

// Fields of a stored RecordBatch v2 header that the store needs.
int64_t BatchBaseOffset(std::string_view batch);
int64_t BatchLastOffset(std::string_view batch);
int64_t BatchMaxTimestamp(std::string_view batch);

}  // namespace corelog::broker

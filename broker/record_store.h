// RecordStore: corelogd's RocksDB database (<data-dir>/state). It holds
//  - record batches, key 'r' | partition id (u32 BE) | base offset (i64 BE),
//    value = the RecordBatch v2 bytes as stored (broker-owned fields set);
//  - topic metadata, key 't' | topic name, value = JSON (TopicMeta).
// Record batches are written with RocksDB's own WAL disabled: the corelog WAL
// is their durability and recovery re-applies them. Topic metadata changes
// are rare and written with RocksDB's WAL and a sync, so they are durable on
// return. Thread-safe: RocksDB serialises writers internally.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace rocksdb {
class DB;
}

namespace corelog::broker {

struct TopicMeta {
  std::string name;
  std::vector<uint32_t> partition_ids;  // index = Kafka partition number
  std::map<std::string, std::string> configs;
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

  Status PutBatch(uint32_t partition_id, int64_t base_offset, std::string_view batch);

  // Appends to *out whole batches of the partition starting with the one that
  // contains `offset`, stopping before `end_offset` (the high watermark) and
  // once *out holds at least `max_bytes` (the first batch is always added, so
  // a consumer can make progress past a batch larger than its limit).
  Status ReadBatches(uint32_t partition_id, int64_t offset, int64_t end_offset, size_t max_bytes,
                     std::string* out) const;

  // The first batch below end_offset whose max timestamp is >= ts: its base
  // offset and max timestamp, or offset -1 if there is none. Used by
  // ListOffsets with a timestamp.
  struct BatchTime {
    int64_t offset = -1;
    int64_t timestamp = -1;
  };
  Result<BatchTime> OffsetForTimestamp(uint32_t partition_id, int64_t ts, int64_t end_offset) const;

  Result<StoredRange> Range(uint32_t partition_id) const;
  Status DeletePartition(uint32_t partition_id);

  // Stores a topic together with the next unused partition id, atomically.
  Status PutTopic(const TopicMeta& topic, uint32_t next_partition_id);
  Result<uint32_t> LoadNextPartitionId() const;
  Status DeleteTopic(const std::string& name);
  Result<std::vector<TopicMeta>> LoadTopics() const;

 private:
  explicit RecordStore(std::unique_ptr<rocksdb::DB> db);
  std::unique_ptr<rocksdb::DB> db_;
};

// Fields of a stored RecordBatch v2 header that the store needs.
int64_t BatchBaseOffset(std::string_view batch);
int64_t BatchLastOffset(std::string_view batch);
int64_t BatchMaxTimestamp(std::string_view batch);

}  // namespace corelog::broker

// ProducerStates: the idempotent-producer bookkeeping of one partition
// (KAFKA.md §3, "Idempotence"): per producer id its epoch, last sequence and
// the last five batches, so a retried batch is answered with its original
// offset instead of being written twice. Owned by the partition's core and
// touched only there; rebuilt on recovery from the checkpoint and from the
// batches the WAL replays.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <unordered_map>
#include <vector>

#include "broker/kafka/errors.h"

namespace corelog::broker {

struct ProducerBatch {
  int32_t first_sequence = 0;
  int32_t last_sequence = 0;
  int64_t base_offset = 0;
  bool operator==(const ProducerBatch&) const = default;
};

struct ProducerEntry {
  int16_t epoch = 0;
  int32_t last_sequence = -1;
  std::deque<ProducerBatch> recent;  // newest last, at most kMaxRecent
  bool operator==(const ProducerEntry&) const = default;
};

// What to do with a batch of an idempotent producer.
struct SequenceCheck {
  kafka::ErrorCode error = kafka::ErrorCode::kNone;
  bool duplicate = false;  // already written: answer with `base_offset`
  int64_t base_offset = -1;
};

class ProducerStates {
 public:
  static constexpr size_t kMaxRecent = 5;

  SequenceCheck Check(int64_t producer_id, int16_t epoch, int32_t first_sequence,
                      int32_t record_count) const;
  // Records a batch that was assigned `base_offset` (after Check said append).
  void Record(int64_t producer_id, int16_t epoch, int32_t first_sequence, int32_t record_count,
              int64_t base_offset);

  const std::unordered_map<int64_t, ProducerEntry>& entries() const { return entries_; }
  void Restore(int64_t producer_id, ProducerEntry entry) { entries_[producer_id] = std::move(entry); }
  void Clear() { entries_.clear(); }

 private:
  std::unordered_map<int64_t, ProducerEntry> entries_;
};

// Sequence arithmetic wraps at INT32_MAX back to 0, as Kafka's does.
int32_t NextSequence(int32_t sequence, int32_t count = 1);

// Checkpoint encoding of one partition's producer entry.
std::string EncodeProducerEntry(const ProducerEntry& e);
bool DecodeProducerEntry(std::string_view bytes, ProducerEntry* out);

}  // namespace corelog::broker

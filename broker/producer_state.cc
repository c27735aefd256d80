#include "broker/producer_state.h"

#include <limits>

#include "common/coding.h"

namespace corelog::broker {

using kafka::ErrorCode;

int32_t NextSequence(int32_t sequence, int32_t count) {
  int64_t next = static_cast<int64_t>(sequence) + count;
  constexpr int64_t kWrap = static_cast<int64_t>(std::numeric_limits<int32_t>::max()) + 1;
  return static_cast<int32_t>(next % kWrap);
}

SequenceCheck ProducerStates::Check(int64_t producer_id, int16_t epoch, int32_t first_sequence,
                                    int32_t record_count) const {
  auto it = entries_.find(producer_id);
  // No state (new producer, or state expired): accept any sequence, as Kafka
  // 2.5+ does, rather than fail a producer we merely forgot.
  if (it == entries_.end()) return {};
  const ProducerEntry& e = it->second;
  if (epoch < e.epoch) return {ErrorCode::kInvalidProducerEpoch};
  if (epoch > e.epoch) {
    if (first_sequence != 0) return {ErrorCode::kOutOfOrderSequenceNumber};
    return {};
  }
  const int32_t last_sequence = NextSequence(first_sequence, record_count - 1);
  for (const auto& b : e.recent) {
    if (b.first_sequence == first_sequence && b.last_sequence == last_sequence) {
      return {ErrorCode::kNone, true, b.base_offset};
    }
  }
  if (first_sequence != NextSequence(e.last_sequence)) {
    return {ErrorCode::kOutOfOrderSequenceNumber};
  }
  return {};
}

void ProducerStates::Record(int64_t producer_id, int16_t epoch, int32_t first_sequence,
                            int32_t record_count, int64_t base_offset) {
  ProducerEntry& e = entries_[producer_id];
  if (epoch != e.epoch) {
    e = ProducerEntry{};
    e.epoch = epoch;
  }
  const int32_t last = NextSequence(first_sequence, record_count - 1);
  // Replay may present a batch the checkpointed state already holds.
  for (const auto& b : e.recent) {
    if (b.first_sequence == first_sequence && b.base_offset == base_offset) return;
  }
  e.last_sequence = last;
  e.recent.push_back({first_sequence, last, base_offset});
  while (e.recent.size() > kMaxRecent) e.recent.pop_front();
}

std::string EncodeProducerEntry(const ProducerEntry& e) {
  std::string out;
  AppendLE<int16_t>(&out, e.epoch);
  AppendLE<int32_t>(&out, e.last_sequence);
  out.push_back(static_cast<char>(e.recent.size()));
  for (const auto& b : e.recent) {
    AppendLE<int32_t>(&out, b.first_sequence);
    AppendLE<int32_t>(&out, b.last_sequence);
    AppendLE<int64_t>(&out, b.base_offset);
  }
  return out;
}

bool DecodeProducerEntry(std::string_view in, ProducerEntry* out) {
  if (in.size() < 7) return false;
  ProducerEntry e;
  e.epoch = DecodeLE<int16_t>(in.data());
  e.last_sequence = DecodeLE<int32_t>(in.data() + 2);
  size_t n = static_cast<uint8_t>(in[6]);
  in.remove_prefix(7);
  if (n > ProducerStates::kMaxRecent || in.size() != n * 16) return false;
  for (size_t i = 0; i < n; ++i, in.remove_prefix(16)) {
    e.recent.push_back({DecodeLE<int32_t>(in.data()), DecodeLE<int32_t>(in.data() + 4),
                        DecodeLE<int64_t>(in.data() + 8)});
  }
  *out = std::move(e);
  return true;
}

}  // namespace corelog::broker

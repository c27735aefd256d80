// StateMutation: a small set of RocksDB puts and deletes of broker state
// (committed offsets today) that must be durable before it is acknowledged.
// Storage logs it as one WAL record entry (type kStateMutationRecord), and
// after the group-commit sync applies it to RocksDB; WAL replay applies it
// again after a crash. Encoding (little-endian):
//   count u32, then per op: op u8 (1 put, 2 delete), key_len u32, key,
//   and for a put value_len u32, value.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace corelog::broker {

inline constexpr uint16_t kStateMutationRecord = 1;

struct StateMutation {
  std::vector<std::pair<std::string, std::string>> puts;
  std::vector<std::string> deletes;

  std::string Encode() const;
  static std::optional<StateMutation> Decode(std::string_view bytes);
  bool operator==(const StateMutation&) const = default;
};

}  // namespace corelog::broker

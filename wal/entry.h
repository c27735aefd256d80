// What readers hand out: one WAL entry with its kind, epoch, per-core
// sequence and logical position. Entry borrows its payload from the reader's
// buffer; OwnedEntry (used by the merged views) copies it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "wal/format.h"

namespace corelog::wal {

struct Entry {
  EntryKind kind = EntryKind::kData;
  uint32_t core = 0;
  uint64_t epoch = 0;
  uint64_t sequence = 0;
  uint64_t position = 0;      // logical position of the entry's first byte
  uint64_t end_position = 0;  // position just after it (what Append returned)
  uint32_t partition_id = 0;  // kData
  int64_t base_offset = 0;    // kData
  uint16_t record_type = 0;   // kRecord
  std::string_view payload;   // valid until the reader's next call

  std::span<const std::byte> bytes() const {
    return std::as_bytes(std::span<const char>(payload.data(), payload.size()));
  }
};

struct OwnedEntry {
  EntryKind kind = EntryKind::kData;
  uint32_t core = 0;
  uint64_t epoch = 0;
  uint64_t sequence = 0;
  uint64_t position = 0;
  uint64_t end_position = 0;
  uint32_t partition_id = 0;
  int64_t base_offset = 0;
  uint16_t record_type = 0;
  std::string payload;

  static OwnedEntry From(const Entry& e) {
    return {e.kind,         e.core,        e.epoch,       e.sequence,
            e.position,     e.end_position, e.partition_id, e.base_offset,
            e.record_type,  std::string(e.payload)};
  }
};

}  // namespace corelog::wal

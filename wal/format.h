// The on-disk layout of WAL segments and entries: sizes, the segment header
// codec, the entry encoder and the entry parser. docs/wal_format.md describes
// the same bytes in prose with a worked example; tests/wal/format_test.cc
// pins them. Any change to the bytes bumps kFormatVersion.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "common/result.h"

namespace corelog::wal {

inline constexpr char kSegmentMagic[8] = {'C', 'O', 'R', 'E', 'L', 'O', 'G', 'W'};
inline constexpr uint16_t kFormatVersion = 1;
// Version 2 is version 1 with a flag in the header: the segment was written
// over the file of an older one (SegmentHeader::reused). Only such segments
// carry it, so that a version-1 reader refuses them instead of taking the
// older segment's bytes after the log's end for entries.
inline constexpr uint16_t kReusedFormatVersion = 2;
inline constexpr size_t kSegmentHeaderSize = 56;
inline constexpr size_t kEntryHeaderSize = 28;
// An entry body larger than this is garbage, not a torn write.
inline constexpr uint32_t kMaxEntryBody = 1u << 30;
// Kinds with this bit set may be skipped by readers that do not know them.
inline constexpr uint8_t kSkippableKindBit = 0x80;

enum class EntryKind : uint8_t {
  kData = 1,     // partition_id u32, base_offset i64, payload (a Kafka batch)
  kBarrier = 2,  // epoch barrier; the epoch is the entry's epoch field
  kRecord = 3,   // record_type u16, payload (small host metadata record)
};

const char* ToString(EntryKind kind);

// Bytes between the entry header and the payload for `kind`.
size_t BodyPrefixSize(uint8_t kind);

// Size on disk of an entry of `kind` carrying `payload_size` payload bytes.
inline size_t EncodedEntrySize(uint8_t kind, size_t payload_size) {
  return kEntryHeaderSize + BodyPrefixSize(kind) + payload_size;
}

struct SegmentHeader {
  uint32_t core_id = 0;
  uint64_t segment_number = 0;
  uint64_t base_position = 0;  // logical position of the segment's first entry
  uint64_t base_epoch = 0;     // writer epoch when the segment was created
  uint64_t base_sequence = 0;  // sequence the segment's first entry gets
  // The file held an older segment of this core before: past the last entry
  // written it may still hold that segment's bytes, entries that verify
  // included (their sequences are all below base_sequence).
  bool reused = false;
};

// Writes kSegmentHeaderSize bytes to `dst`.
void EncodeSegmentHeader(const SegmentHeader& header, char* dst);
std::string EncodeSegmentHeader(const SegmentHeader& header);

// The header, or kCorruption saying why these bytes are not one.
Result<SegmentHeader> DecodeSegmentHeader(std::string_view bytes);

// The fields of one entry apart from its payload.
struct EntryFields {
  uint8_t kind = 0;
  uint64_t epoch = 0;
  uint64_t sequence = 0;
  uint32_t partition_id = 0;  // kData only
  int64_t base_offset = 0;    // kData only
  uint16_t record_type = 0;   // kRecord only
};

// The CRC-32C of the payload's bytes from `from` to its end, when the caller
// already knows it (a validated Kafka batch stores its own): the entry's
// checksum then reads only the bytes before `from` and combines.
struct KnownCrc {
  size_t from = 0;
  uint32_t crc = 0;
};

// Encodes one entry (header, kind prefix, payload) into the
// EncodedEntrySize(fields.kind, payload.size()) bytes at `dst`.
void EncodeEntry(char* dst, const EntryFields& fields, std::string_view payload,
                 std::optional<KnownCrc> known = std::nullopt);

// Appends one encoded entry to `dst`.
void AppendEntry(std::string* dst, const EntryFields& fields, std::string_view payload,
                 std::optional<KnownCrc> known = std::nullopt);

enum class ParseOutcome {
  kOk,
  kShort,      // the bytes end inside the header or the body, or the length is impossible
  kChecksum,   // the masked CRC-32C does not match
  kMalformed,  // checksum fine, content impossible (unknown kind, bad sizes)
};

const char* ToString(ParseOutcome outcome);

struct ParsedEntry {
  ParseOutcome outcome = ParseOutcome::kShort;
  size_t size = 0;  // whole entry, when kOk
  EntryFields fields;
  std::string_view payload;  // points into the parsed bytes
  const char* problem = "";  // why, when not kOk
};

// Parses the entry at the start of `bytes`.
ParsedEntry ParseEntry(std::string_view bytes);

}  // namespace corelog::wal

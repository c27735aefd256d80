// RecordBatch v2 (magic 2), the unit a Kafka producer sends and a consumer
// fetches: a view that reads the 61-byte header, the checks a broker runs on
// a produced batch, in-place rewrites of the broker-owned header fields, a
// walk over the records of an uncompressed batch, and a builder for tests and
// tools. Layout and validation rules: /work/shared/design/KAFKA.md §2.
//
//   0 baseOffset i64 | 8 batchLength i32 | 12 partitionLeaderEpoch i32 |
//   16 magic i8 | 17 crc u32 | 21 attributes i16 | 23 lastOffsetDelta i32 |
//   27 baseTimestamp i64 | 35 maxTimestamp i64 | 43 producerId i64 |
//   51 producerEpoch i16 | 53 baseSequence i32 | 57 recordsCount i32 | 61 records
//
// The CRC-32C covers bytes 21..end, so baseOffset and partitionLeaderEpoch
// can be rewritten without recomputing it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace corelog::kafka {

inline constexpr size_t kRecordBatchHeaderSize = 61;
// Bytes before and including batchLength, not counted by batchLength.
inline constexpr size_t kRecordBatchLogOverhead = 12;
inline constexpr int8_t kRecordBatchMagic = 2;

enum class Compression : uint8_t { kNone = 0, kGzip = 1, kSnappy = 2, kLz4 = 3, kZstd = 4 };
enum class TimestampType : uint8_t { kCreateTime = 0, kLogAppendTime = 1 };

// Attribute bits.
inline constexpr int16_t kBatchCompressionMask = 0x07;
inline constexpr int16_t kBatchLogAppendTime = 0x08;
inline constexpr int16_t kBatchTransactional = 0x10;
inline constexpr int16_t kBatchControl = 0x20;

// Read-only view of one batch in a buffer it does not own. Parse checks
// only that the header is there and that batchLength fits the buffer; the
// CRC and the records are checked by ValidateProduceBatch.
class RecordBatchView {
 public:
  // The batch at the start of `bytes` (which may continue with more). Fails
  // with CORRUPT_MESSAGE when the header or the announced length doesn't fit
  // and INVALID_RECORD when the magic is not 2.
  static Result<RecordBatchView> Parse(std::string_view bytes);

  std::string_view bytes() const { return bytes_; }  // exactly this batch
  size_t size() const { return bytes_.size(); }

  int64_t base_offset() const;
  int32_t batch_length() const;
  int32_t partition_leader_epoch() const;
  int8_t magic() const;
  uint32_t crc() const;
  int16_t attributes() const;
  int32_t last_offset_delta() const;
  int64_t base_timestamp() const;
  int64_t max_timestamp() const;
  int64_t producer_id() const;
  int16_t producer_epoch() const;
  int32_t base_sequence() const;
  int32_t record_count() const;

  int64_t last_offset() const { return base_offset() + last_offset_delta(); }
  Compression compression() const;
  TimestampType timestamp_type() const;
  bool is_transactional() const { return (attributes() & kBatchTransactional) != 0; }
  bool is_control() const { return (attributes() & kBatchControl) != 0; }
  bool has_producer_id() const { return producer_id() >= 0; }
  // The records, compressed as one block when compression() != kNone.
  std::string_view records_data() const { return bytes_.substr(kRecordBatchHeaderSize); }

  // CRC-32C over bytes 21..end.
  uint32_t ComputeCrc() const;
  bool CrcMatches() const { return ComputeCrc() == crc(); }

 private:
  explicit RecordBatchView(std::string_view bytes) : bytes_(bytes) {}
  std::string_view bytes_;
};

// The checks a broker runs on the records of one partition in a Produce
// request, in Kafka's order. The error's code (ToErrorCode) is the one to
// return for that partition:
//   - more than one batch, magic != 2, control bit set by a client, count
//     <= 0 or != lastOffsetDelta + 1, producerId >= 0 with baseSequence < 0,
//     offsetDeltas not 0..n-1                            -> INVALID_RECORD
//   - truncated header, inconsistent length, bad CRC, malformed records
//                                                        -> CORRUPT_MESSAGE
//   - larger than max_batch_bytes                        -> MESSAGE_TOO_LARGE
//   - zstd before Produce v7, unknown codec              -> UNSUPPORTED_COMPRESSION_TYPE
//   - LogAppendTime set by the client                    -> INVALID_TIMESTAMP
// Records are walked only for uncompressed batches (no decompression here).
Result<RecordBatchView> ValidateProduceBatch(
    std::string_view records, int16_t produce_version,
    size_t max_batch_bytes = std::numeric_limits<size_t>::max());

// Where a batch's CRC-32C starts covering it (attributes), and the CRC it
// stores: for a batch that passed ValidateProduceBatch, the CRC-32C of its
// bytes from kBatchCrcFrom on. `batch` must hold at least a batch header.
inline constexpr size_t kBatchCrcFrom = 21;
uint32_t StoredCrc(std::string_view batch);

// In-place rewrites of the broker-owned fields, outside the CRC. `batch`
// must hold at least a batch header.
void SetBaseOffset(std::span<char> batch, int64_t base_offset);
void SetPartitionLeaderEpoch(std::span<char> batch, int32_t epoch);
// For LogAppendTime topics: sets the timestamp-type bit and maxTimestamp,
// then recomputes the CRC since both are covered by it.
void SetLogAppendTime(std::span<char> batch, int64_t now_ms);

struct RecordHeader {
  std::string_view key;
  std::optional<std::string_view> value;
  bool operator==(const RecordHeader&) const = default;
};

// One record; the views point into the batch's bytes.
struct Record {
  int8_t attributes = 0;
  int64_t timestamp = 0;  // baseTimestamp + timestampDelta
  int64_t offset = 0;     // baseOffset + offsetDelta
  int32_t offset_delta = 0;
  std::optional<std::string_view> key;
  std::optional<std::string_view> value;
  std::vector<RecordHeader> headers;
  bool operator==(const Record&) const = default;
};

// Calls `fn` for each record of an uncompressed batch, in order, stopping
// at the first error `fn` returns. Malformed records (bad varints, lengths
// that overrun their record, fewer or more records than recordsCount) fail
// with CORRUPT_MESSAGE; a compressed batch with UNSUPPORTED_COMPRESSION_TYPE.
Status ForEachRecord(const RecordBatchView& batch, const std::function<Status(const Record&)>& fn);
Result<std::vector<Record>> ReadRecords(const RecordBatchView& batch);

// For compacted topics, where a record without a key can never be
// compacted: INVALID_RECORD if a record of the batch has a null key. A
// compressed batch is not decoded here and passes.
Status CheckRecordsHaveKeys(const RecordBatchView& batch);

struct OffsetAndTimestamp {
  int64_t offset = -1;
  int64_t timestamp = -1;
  bool operator==(const OffsetAndTimestamp&) const = default;
};

// ListOffsets by timestamp within one batch: the first record whose
// timestamp is >= `timestamp`, or nullopt when the batch has none
// (maxTimestamp < timestamp). In a LogAppendTime batch every record carries
// maxTimestamp. A compressed or malformed batch, whose records aren't walked
// here, answers with its base offset and maxTimestamp: fetching from there
// still returns every record at or after the timestamp.
std::optional<OffsetAndTimestamp> FindOffsetForTimestamp(const RecordBatchView& batch,
                                                         int64_t timestamp);

// Splits concatenated batches (a Fetch response's records) into views,
// skipping a partial batch at the end, as consumers do.
std::vector<RecordBatchView> SplitBatches(std::string_view records);

// Header fields of a batch to build; the rest follow from the records.
struct BatchOptions {
  int64_t base_offset = 0;
  int32_t partition_leader_epoch = -1;
  int64_t producer_id = -1;
  int16_t producer_epoch = -1;
  int32_t base_sequence = -1;
  bool transactional = false;
  bool control = false;
  TimestampType timestamp_type = TimestampType::kCreateTime;
};

// An uncompressed batch with a valid CRC. Each record's timestamp, key,
// value and headers are used; offset deltas follow the vector order. The
// base timestamp is the first record's, maxTimestamp the largest.
std::string BuildRecordBatch(const BatchOptions& options, const std::vector<Record>& records);

}  // namespace corelog::kafka

#include "broker/kafka/record_batch.h"

#include <algorithm>

#include "broker/kafka/errors.h"
#include "broker/kafka/wire.h"
#include "common/check.h"
#include "common/coding.h"
#include "common/crc32c.h"

namespace corelog::kafka {
namespace {

constexpr size_t kBaseOffsetAt = 0;
constexpr size_t kBatchLengthAt = 8;
constexpr size_t kLeaderEpochAt = 12;
constexpr size_t kMagicAt = 16;
constexpr size_t kCrcAt = 17;
constexpr size_t kAttributesAt = kBatchCrcFrom;
constexpr size_t kLastOffsetDeltaAt = 23;
constexpr size_t kBaseTimestampAt = 27;
constexpr size_t kMaxTimestampAt = 35;
constexpr size_t kProducerIdAt = 43;
constexpr size_t kProducerEpochAt = 51;
constexpr size_t kBaseSequenceAt = 53;
constexpr size_t kRecordCountAt = 57;

Error Corrupt(const std::string& what) { return MakeError(ErrorCode::kCorruptMessage, what); }
Error Invalid(const std::string& what) { return MakeError(ErrorCode::kInvalidRecord, what); }

template <class T>
T Field(std::string_view bytes, size_t at) {
  return DecodeBE<T>(bytes.data() + at);
}

uint32_t CrcOf(const char* batch, size_t size) {
  return crc32c::Value(batch + kAttributesAt, size - kAttributesAt);
}

}  // namespace

Result<RecordBatchView> RecordBatchView::Parse(std::string_view bytes) {
  if (bytes.size() <= kMagicAt) return Corrupt("record batch shorter than its header");
  if (bytes[kMagicAt] != kRecordBatchMagic) {
    return Invalid("record batch magic " + std::to_string(bytes[kMagicAt]) + ", want 2");
  }
  if (bytes.size() < kRecordBatchHeaderSize) return Corrupt("record batch shorter than its header");
  int64_t length = Field<int32_t>(bytes, kBatchLengthAt);
  if (length < static_cast<int64_t>(kRecordBatchHeaderSize - kRecordBatchLogOverhead)) {
    return Corrupt("record batch length " + std::to_string(length) + " below the header size");
  }
  auto total = static_cast<size_t>(length) + kRecordBatchLogOverhead;
  if (total > bytes.size()) {
    return Corrupt("record batch length " + std::to_string(length) + " overruns the " +
                   std::to_string(bytes.size()) + " bytes received");
  }
  return RecordBatchView(bytes.substr(0, total));
}

int64_t RecordBatchView::base_offset() const { return Field<int64_t>(bytes_, kBaseOffsetAt); }
int32_t RecordBatchView::batch_length() const { return Field<int32_t>(bytes_, kBatchLengthAt); }
int32_t RecordBatchView::partition_leader_epoch() const {
  return Field<int32_t>(bytes_, kLeaderEpochAt);
}
int8_t RecordBatchView::magic() const { return Field<int8_t>(bytes_, kMagicAt); }
uint32_t RecordBatchView::crc() const { return Field<uint32_t>(bytes_, kCrcAt); }

uint32_t StoredCrc(std::string_view batch) { return Field<uint32_t>(batch, kCrcAt); }
int16_t RecordBatchView::attributes() const { return Field<int16_t>(bytes_, kAttributesAt); }
int32_t RecordBatchView::last_offset_delta() const {
  return Field<int32_t>(bytes_, kLastOffsetDeltaAt);
}
int64_t RecordBatchView::base_timestamp() const { return Field<int64_t>(bytes_, kBaseTimestampAt); }
int64_t RecordBatchView::max_timestamp() const { return Field<int64_t>(bytes_, kMaxTimestampAt); }
int64_t RecordBatchView::producer_id() const { return Field<int64_t>(bytes_, kProducerIdAt); }
int16_t RecordBatchView::producer_epoch() const { return Field<int16_t>(bytes_, kProducerEpochAt); }
int32_t RecordBatchView::base_sequence() const { return Field<int32_t>(bytes_, kBaseSequenceAt); }
int32_t RecordBatchView::record_count() const { return Field<int32_t>(bytes_, kRecordCountAt); }

Compression RecordBatchView::compression() const {
  return static_cast<Compression>(attributes() & kBatchCompressionMask);
}

TimestampType RecordBatchView::timestamp_type() const {
  return (attributes() & kBatchLogAppendTime) != 0 ? TimestampType::kLogAppendTime
                                                   : TimestampType::kCreateTime;
}

uint32_t RecordBatchView::ComputeCrc() const { return CrcOf(bytes_.data(), bytes_.size()); }

namespace {

// Structure and size checks that need no CRC: one batch, known codec, size.
Status CheckEnvelope(std::string_view records, const RecordBatchView& batch,
                     int16_t produce_version, size_t max_batch_bytes) {
  if (batch.size() != records.size()) {
    return Invalid("produce records hold more than one batch");
  }
  auto codec = static_cast<int>(batch.compression());
  if (codec > static_cast<int>(Compression::kZstd)) {
    return MakeError(ErrorCode::kUnsupportedCompressionType,
                     "unknown compression codec " + std::to_string(codec));
  }
  if (batch.compression() == Compression::kZstd && produce_version < 7) {
    return MakeError(ErrorCode::kUnsupportedCompressionType, "zstd needs Produce v7");
  }
  if (batch.size() > max_batch_bytes) {
    return MakeError(ErrorCode::kMessageTooLarge,
                     "record batch of " + std::to_string(batch.size()) + " bytes exceeds " +
                         std::to_string(max_batch_bytes));
  }
  if (!batch.CrcMatches()) return Corrupt("record batch CRC mismatch");
  return Ok();
}

// Header fields a client may not set, or must set consistently.
Status CheckHeaderFields(const RecordBatchView& batch) {
  if (batch.is_control()) return Invalid("clients may not write control batches");
  int32_t count = batch.record_count();
  if (count <= 0) return Invalid("record batch count " + std::to_string(count));
  if (static_cast<int64_t>(batch.last_offset_delta()) + 1 != count) {
    return Invalid("lastOffsetDelta " + std::to_string(batch.last_offset_delta()) +
                   " disagrees with record count " + std::to_string(count));
  }
  if (batch.has_producer_id() && batch.base_sequence() < 0) {
    return Invalid("producer id set without a base sequence");
  }
  if (batch.timestamp_type() == TimestampType::kLogAppendTime) {
    return MakeError(ErrorCode::kInvalidTimestamp, "clients may not send LogAppendTime");
  }
  return Ok();
}

// A varint length of a key, value or header value (-1 = null), then the
// bytes. Stored through `field` rather than returned: an optional view comes
// back through memory, and reading it back right after the callee's
// narrower stores stalled the CPU twice per record (a fifth of the walk).
// Always inline: twice per record, the call alone was a tenth of the walk.
[[gnu::always_inline]] inline void ReadNullableField(Reader& r,
                                                     std::optional<std::string_view>* field) {
  int32_t n = r.Varint();
  if (n == -1) {
    field->reset();
  } else if (n < -1) {
    r.Fail("negative record field length");
    field->reset();
  } else {
    *field = r.Raw(static_cast<size_t>(n));
  }
}

// Decodes one record body (after its length) into `out`; on failure says
// why in `why`. A bool comes back in a register, where a Status per record
// came back through memory and cost a third of the walk.
bool ReadRecordBody(std::string_view body, const RecordBatchView& batch, Record* out,
                    std::string* why) {
  Reader r(body);
  out->attributes = r.Int8();
  out->timestamp = batch.base_timestamp() + r.Varlong();
  out->offset_delta = r.Varint();
  out->offset = batch.base_offset() + out->offset_delta;
  ReadNullableField(r, &out->key);
  ReadNullableField(r, &out->value);
  int32_t header_count = r.Varint();
  if (header_count < 0 || static_cast<size_t>(header_count) > r.remaining()) {
    *why = "record header count " + std::to_string(header_count);
    return false;
  }
  out->headers.clear();
  for (int32_t i = 0; i < header_count && r.ok(); ++i) {
    RecordHeader h;
    int32_t key_len = r.Varint();
    if (key_len < 0) {
      *why = "record header key length " + std::to_string(key_len);
      return false;
    }
    h.key = r.Raw(static_cast<size_t>(key_len));
    ReadNullableField(r, &h.value);
    out->headers.push_back(h);
  }
  if (!r.ok()) {
    *why = "malformed record: " + r.status().error().message();
    return false;
  }
  if (r.remaining() != 0) {
    *why = "record length exceeds its fields";
    return false;
  }
  return true;
}

// Decodes each record of an uncompressed batch and hands it to
// `fn(record, &failed)`, which returns false to stop the walk with `failed`
// as its result. A template, so produce validation's check is inlined into
// the loop rather than called through a std::function per record.
template <class Fn>
Status WalkRecords(const RecordBatchView& batch, Fn&& fn) {
  if (batch.compression() != Compression::kNone) {
    return MakeError(ErrorCode::kUnsupportedCompressionType,
                     "records of a compressed batch are not decoded");
  }
  Reader r(batch.records_data());
  Record record;
  std::string why;
  Status failed;
  for (int32_t i = 0; i < batch.record_count(); ++i) {
    int32_t length = r.Varint();
    if (!r.ok() || length <= 0 || static_cast<size_t>(length) > r.remaining()) {
      return Corrupt("record " + std::to_string(i) + " has length " + std::to_string(length) +
                     " with " + std::to_string(r.remaining()) + " bytes left");
    }
    std::string_view body = r.Raw(static_cast<size_t>(length));
    if (!ReadRecordBody(body, batch, &record, &why)) return Corrupt(why);
    if (!fn(record, &failed)) return failed;
  }
  if (r.remaining() != 0) return Corrupt("bytes left after the last record");
  return Ok();
}

// Produce validation's pass over the records of an uncompressed batch,
// without decoding them: true when every record is well formed and the
// offset deltas count 0, 1, 2, ... For 100-byte records, decoding each into
// a Record (WalkRecords) was a fifth of the broker's CPU. It accepts only
// batches WalkRecords accepts, and turns down anything unusual (a varint
// longer than these records need, a negative length) without saying why:
// the caller then walks the batch in full, which names the fault.
class RecordScan {
 public:
  explicit RecordScan(std::string_view records)
      : p_(reinterpret_cast<const uint8_t*>(records.data())), end_(p_ + records.size()) {}

  bool Run(int32_t count) {
    for (int32_t i = 0; i < count; ++i) {
      uint64_t length;
      // Zigzag: a positive length is an even raw value.
      if (!Next(end_, 4, &length) || length == 0 || (length & 1) != 0) return false;
      length >>= 1;
      if (length > static_cast<uint64_t>(end_ - p_)) return false;
      if (!Record(p_ + length, static_cast<uint64_t>(i))) return false;
    }
    return p_ == end_;
  }

 private:
  // Attributes, timestamp delta, offset delta (must be `delta`), key,
  // value and headers, ending exactly at `limit`.
  bool Record(const uint8_t* limit, uint64_t delta) {
    uint64_t v;
    if (p_ == limit) return false;
    ++p_;
    if (!Next(limit, 9, &v)) return false;
    if (!Next(limit, 4, &v) || v != 2 * delta) return false;
    if (!SkipBytes(limit, true) || !SkipBytes(limit, true)) return false;
    uint64_t headers;
    if (!Next(limit, 4, &headers) || (headers & 1) != 0) return false;
    for (headers >>= 1; headers > 0; --headers) {
      if (!SkipBytes(limit, false) || !SkipBytes(limit, true)) return false;
    }
    return p_ == limit;
  }

  // A varint length (-1 = null where `nullable`) and that many bytes.
  bool SkipBytes(const uint8_t* limit, bool nullable) {
    uint64_t n;
    if (!Next(limit, 4, &n)) return false;
    if (n == 1) return nullable;
    if ((n & 1) != 0 || (n >> 1) > static_cast<uint64_t>(limit - p_)) return false;
    p_ += n >> 1;
    return true;
  }

  // The raw (still zigzag-encoded) value of a varint of at most `max_bytes`
  // bytes that ends before `limit`.
  bool Next(const uint8_t* limit, int max_bytes, uint64_t* out) {
    uint64_t v = 0;
    for (int i = 0; i < max_bytes && p_ < limit; ++i) {
      const uint8_t byte = *p_++;
      v |= static_cast<uint64_t>(byte & 0x7f) << (7 * i);
      if ((byte & 0x80) == 0) {
        *out = v;
        return true;
      }
    }
    return false;
  }

  const uint8_t* p_;
  const uint8_t* end_;
};

Status CheckOffsetDeltas(const RecordBatchView& batch) {
  if (RecordScan(batch.records_data()).Run(batch.record_count())) return Ok();
  int32_t expected = 0;
  return WalkRecords(batch, [&expected](const Record& r, Status* failed) {
    if (r.offset_delta == expected) {
      ++expected;
      return true;
    }
    *failed = Invalid("record offsetDelta " + std::to_string(r.offset_delta) + ", want " +
                      std::to_string(expected));
    return false;
  });
}

}  // namespace

Result<RecordBatchView> ValidateProduceBatch(std::string_view records, int16_t produce_version,
                                             size_t max_batch_bytes) {
  if (records.empty()) return Invalid("produce records hold no batch");
  CORELOG_ASSIGN_OR_RETURN(RecordBatchView batch, RecordBatchView::Parse(records));
  CORELOG_TRY(CheckEnvelope(records, batch, produce_version, max_batch_bytes));
  CORELOG_TRY(CheckHeaderFields(batch));
  if (batch.compression() == Compression::kNone) CORELOG_TRY(CheckOffsetDeltas(batch));
  return batch;
}

void SetBaseOffset(std::span<char> batch, int64_t base_offset) {
  CORELOG_CHECK(batch.size() >= kRecordBatchHeaderSize, "not a record batch");
  EncodeBE(batch.data() + kBaseOffsetAt, base_offset);
}

void SetPartitionLeaderEpoch(std::span<char> batch, int32_t epoch) {
  CORELOG_CHECK(batch.size() >= kRecordBatchHeaderSize, "not a record batch");
  EncodeBE(batch.data() + kLeaderEpochAt, epoch);
}

void SetLogAppendTime(std::span<char> batch, int64_t now_ms) {
  CORELOG_CHECK(batch.size() >= kRecordBatchHeaderSize, "not a record batch");
  auto attributes = DecodeBE<int16_t>(batch.data() + kAttributesAt);
  EncodeBE(batch.data() + kAttributesAt, static_cast<int16_t>(attributes | kBatchLogAppendTime));
  EncodeBE(batch.data() + kMaxTimestampAt, now_ms);
  EncodeBE(batch.data() + kCrcAt, CrcOf(batch.data(), batch.size()));
}

Status ForEachRecord(const RecordBatchView& batch, const std::function<Status(const Record&)>& fn) {
  return WalkRecords(batch, [&fn](const Record& record, Status* failed) {
    *failed = fn(record);
    return failed->has_value();
  });
}

Result<std::vector<Record>> ReadRecords(const RecordBatchView& batch) {
  std::vector<Record> out;
  CORELOG_TRY(ForEachRecord(batch, [&out](const Record& r) -> Status {
    out.push_back(r);
    return Ok();
  }));
  return out;
}

Status CheckRecordsHaveKeys(const RecordBatchView& batch) {
  if (batch.compression() != Compression::kNone) return Ok();
  return ForEachRecord(batch, [](const Record& r) -> Status {
    if (!r.key) return Invalid("compacted topics need a key on every record");
    return Ok();
  });
}

std::optional<OffsetAndTimestamp> FindOffsetForTimestamp(const RecordBatchView& batch,
                                                         int64_t timestamp) {
  if (batch.max_timestamp() < timestamp) return std::nullopt;
  OffsetAndTimestamp whole_batch{batch.base_offset(), batch.max_timestamp()};
  if (batch.timestamp_type() == TimestampType::kLogAppendTime ||
      batch.compression() != Compression::kNone) {
    return whole_batch;
  }
  std::optional<OffsetAndTimestamp> found;
  Status walked = ForEachRecord(batch, [&](const Record& r) -> Status {
    if (!found && r.timestamp >= timestamp) found = OffsetAndTimestamp{r.offset, r.timestamp};
    return Ok();
  });
  if (!walked || !found) return whole_batch;
  return found;
}

std::vector<RecordBatchView> SplitBatches(std::string_view records) {
  std::vector<RecordBatchView> out;
  while (!records.empty()) {
    auto batch = RecordBatchView::Parse(records);
    if (!batch) break;
    records.remove_prefix(batch->size());
    out.push_back(*batch);
  }
  return out;
}

namespace {

void WriteNullableField(Writer& w, const std::optional<std::string_view>& v) {
  if (!v) return w.Varint(-1);
  w.Varint(static_cast<int32_t>(v->size()));
  w.Raw(*v);
}

void AppendRecord(Writer& w, const Record& rec, int64_t base_timestamp, int32_t offset_delta) {
  std::string body;
  Writer b(&body);
  b.Int8(0);
  b.Varlong(rec.timestamp - base_timestamp);
  b.Varint(offset_delta);
  WriteNullableField(b, rec.key);
  WriteNullableField(b, rec.value);
  b.Varint(static_cast<int32_t>(rec.headers.size()));
  for (const RecordHeader& h : rec.headers) {
    b.Varint(static_cast<int32_t>(h.key.size()));
    b.Raw(h.key);
    WriteNullableField(b, h.value);
  }
  w.Varint(static_cast<int32_t>(body.size()));
  w.Raw(body);
}

int16_t AttributesOf(const BatchOptions& o) {
  int16_t a = 0;
  if (o.timestamp_type == TimestampType::kLogAppendTime) a |= kBatchLogAppendTime;
  if (o.transactional) a |= kBatchTransactional;
  if (o.control) a |= kBatchControl;
  return a;
}

}  // namespace

std::string BuildRecordBatch(const BatchOptions& options, const std::vector<Record>& records) {
  int64_t base_timestamp = records.empty() ? -1 : records.front().timestamp;
  int64_t max_timestamp = base_timestamp;
  for (const Record& r : records) max_timestamp = std::max(max_timestamp, r.timestamp);

  std::string out;
  Writer w(&out);
  w.Int64(options.base_offset);
  size_t length_at = w.ReserveInt32();
  w.Int32(options.partition_leader_epoch);
  w.Int8(kRecordBatchMagic);
  size_t crc_at = w.ReserveInt32();
  w.Int16(AttributesOf(options));
  w.Int32(static_cast<int32_t>(records.size()) - 1);
  w.Int64(base_timestamp);
  w.Int64(max_timestamp);
  w.Int64(options.producer_id);
  w.Int16(options.producer_epoch);
  w.Int32(options.base_sequence);
  w.Int32(static_cast<int32_t>(records.size()));
  for (size_t i = 0; i < records.size(); ++i) {
    AppendRecord(w, records[i], base_timestamp, static_cast<int32_t>(i));
  }
  w.PatchInt32(length_at, static_cast<int32_t>(out.size() - kRecordBatchLogOverhead));
  w.PatchInt32(crc_at, static_cast<int32_t>(CrcOf(out.data(), out.size())));
  return out;
}

}  // namespace corelog::kafka

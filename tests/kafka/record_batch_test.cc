#include "broker/kafka/record_batch.h"

#include <gtest/gtest.h>

#include <functional>

#include "broker/kafka/errors.h"
#include "common/coding.h"
#include "tests/kafka/test_util.h"

namespace corelog::kafka {
namespace {

using testing::Hex;
using testing::ToHex;

// Bit-at-a-time CRC-32C (reflected polynomial 0x82F63B78), independent of
// the hardware implementation the library uses.
uint32_t SlowCrc32c(std::string_view data) {
  uint32_t crc = 0xffffffff;
  for (unsigned char c : data) {
    crc ^= c;
    for (int i = 0; i < 8; ++i) crc = (crc >> 1) ^ (0x82F63B78 & (0u - (crc & 1)));
  }
  return ~crc;
}

std::vector<Record> ThreeRecords() {
  Record a;
  a.timestamp = 1000;
  a.key = "k1";
  a.value = "v1";
  a.headers = {{"h", "x"}, {"n", std::nullopt}};
  Record b;
  b.timestamp = 1005;
  b.value = "v2";  // null key
  Record c;
  c.timestamp = 998;  // negative delta
  c.key = "k3";
  c.value = std::string_view();
  return {a, b, c};
}

std::string ValidBatch() { return BuildRecordBatch({}, ThreeRecords()); }

// Applies `edit` to a valid batch and recomputes its CRC, so the check under
// test is the one that fails.
std::string Edited(const std::function<void(std::string&)>& edit,
                   std::string batch = ValidBatch()) {
  edit(batch);
  EncodeBE<uint32_t>(batch.data() + 17, SlowCrc32c(std::string_view(batch).substr(21)));
  return batch;
}

ErrorCode Validate(std::string_view records, int16_t version = 7) {
  auto r = ValidateProduceBatch(records, version);
  return r ? ErrorCode::kNone : ToErrorCode(r.error());
}

TEST(RecordBatch, GoldenSingleRecordBatch) {
  Record rec;
  rec.timestamp = 0x10;
  rec.key = std::nullopt;
  rec.value = "hi";
  std::string batch = BuildRecordBatch({}, {rec});
  std::string expected = Hex(R"(
    00 00 00 00 00 00 00 00   | base offset
    00 00 00 3a               | batch length: 70 - 12
    ff ff ff ff               | partition leader epoch
    02                        | magic
    00 00 00 00               | crc, filled below
    00 00                     | attributes
    00 00 00 00               | last offset delta
    00 00 00 00 00 00 00 10   | base timestamp
    00 00 00 00 00 00 00 10   | max timestamp
    ff ff ff ff ff ff ff ff   | producer id
    ff ff                     | producer epoch
    ff ff ff ff               | base sequence
    00 00 00 01               | record count
    10                        | record length 8 (zigzag)
    00 00 00                  | attributes, timestamp delta, offset delta
    01                        | key length -1: null
    04 'hi'                   | value length 2
    00                        | no headers
  )");
  EncodeBE<uint32_t>(expected.data() + 17, SlowCrc32c(std::string_view(expected).substr(21)));
  EXPECT_EQ(ToHex(batch), ToHex(expected));
}

TEST(RecordBatch, BuiltBatchValidatesAndReadsBack) {
  std::string batch = ValidBatch();
  auto view = ValidateProduceBatch(batch, 3);
  ASSERT_TRUE(view) << view.error().message();
  EXPECT_EQ(view->record_count(), 3);
  EXPECT_EQ(view->last_offset_delta(), 2);
  EXPECT_EQ(view->base_timestamp(), 1000);
  EXPECT_EQ(view->max_timestamp(), 1005);
  EXPECT_EQ(view->producer_id(), -1);
  EXPECT_EQ(view->compression(), Compression::kNone);
  EXPECT_EQ(view->crc(), SlowCrc32c(std::string_view(batch).substr(21)));

  auto records = ReadRecords(*view);
  ASSERT_TRUE(records) << records.error().message();
  std::vector<Record> expected = ThreeRecords();
  for (int i = 0; i < 3; ++i) {
    expected[i].offset = i;
    expected[i].offset_delta = i;
  }
  EXPECT_EQ(*records, expected);
}

TEST(RecordBatch, IdempotentBatchFieldsAreReadBack) {
  BatchOptions o;
  o.producer_id = 77;
  o.producer_epoch = 2;
  o.base_sequence = 40;
  o.transactional = true;
  std::string batch = BuildRecordBatch(o, ThreeRecords());
  auto view = ValidateProduceBatch(batch, 7);
  ASSERT_TRUE(view);
  EXPECT_EQ(view->producer_id(), 77);
  EXPECT_EQ(view->producer_epoch(), 2);
  EXPECT_EQ(view->base_sequence(), 40);
  EXPECT_TRUE(view->is_transactional());
  EXPECT_FALSE(view->is_control());
}

TEST(RecordBatch, BaseOffsetAndLeaderEpochRewriteKeepsTheCrc) {
  std::string batch = ValidBatch();
  SetBaseOffset(batch, 1234567);
  SetPartitionLeaderEpoch(batch, 9);
  auto view = ValidateProduceBatch(batch, 7);
  ASSERT_TRUE(view);
  EXPECT_EQ(view->base_offset(), 1234567);
  EXPECT_EQ(view->last_offset(), 1234569);
  EXPECT_EQ(view->partition_leader_epoch(), 9);
  EXPECT_TRUE(view->CrcMatches());
  auto records = ReadRecords(*view);
  ASSERT_TRUE(records);
  EXPECT_EQ((*records)[2].offset, 1234569);
}

TEST(RecordBatch, LogAppendTimeRewriteRecomputesTheCrc) {
  std::string batch = ValidBatch();
  SetLogAppendTime(batch, 5555);
  auto view = RecordBatchView::Parse(batch);
  ASSERT_TRUE(view);
  EXPECT_EQ(view->timestamp_type(), TimestampType::kLogAppendTime);
  EXPECT_EQ(view->max_timestamp(), 5555);
  EXPECT_TRUE(view->CrcMatches());
}

TEST(RecordBatch, EmptyRecordsAreInvalid) { EXPECT_EQ(Validate(""), ErrorCode::kInvalidRecord); }

TEST(RecordBatch, TwoBatchesAreInvalid) {
  EXPECT_EQ(Validate(ValidBatch() + ValidBatch()), ErrorCode::kInvalidRecord);
}

TEST(RecordBatch, OldMagicIsInvalid) {
  std::string batch = ValidBatch();
  batch[16] = 1;
  EXPECT_EQ(Validate(batch), ErrorCode::kInvalidRecord);
}

TEST(RecordBatch, BadCrcIsCorrupt) {
  std::string batch = ValidBatch();
  batch[batch.size() - 2] ^= 1;
  EXPECT_EQ(Validate(batch), ErrorCode::kCorruptMessage);
}

TEST(RecordBatch, LengthBeyondTheBufferIsCorrupt) {
  std::string batch = ValidBatch();
  EncodeBE<int32_t>(batch.data() + 8, static_cast<int32_t>(batch.size()));
  EXPECT_EQ(Validate(batch), ErrorCode::kCorruptMessage);
  EncodeBE<int32_t>(batch.data() + 8, 10);
  EXPECT_EQ(Validate(batch), ErrorCode::kCorruptMessage);
  EncodeBE<int32_t>(batch.data() + 8, -1);
  EXPECT_EQ(Validate(batch), ErrorCode::kCorruptMessage);
}

TEST(RecordBatch, EveryTruncationIsRejected) {
  std::string batch = ValidBatch();
  for (size_t n = 0; n < batch.size(); ++n) {
    std::string prefix = batch.substr(0, n);
    ErrorCode e = Validate(prefix);
    EXPECT_TRUE(e == ErrorCode::kCorruptMessage || e == ErrorCode::kInvalidRecord) << n;
  }
}

TEST(RecordBatch, ControlBatchFromAClientIsInvalid) {
  BatchOptions o;
  o.control = true;
  o.transactional = true;
  EXPECT_EQ(Validate(BuildRecordBatch(o, ThreeRecords())), ErrorCode::kInvalidRecord);
}

TEST(RecordBatch, CountMustBePositiveAndMatchLastOffsetDelta) {
  EXPECT_EQ(Validate(BuildRecordBatch({}, {})), ErrorCode::kInvalidRecord);
  EXPECT_EQ(Validate(Edited([](std::string& b) { EncodeBE<int32_t>(b.data() + 23, 5); })),
            ErrorCode::kInvalidRecord);
  EXPECT_EQ(Validate(Edited([](std::string& b) { EncodeBE<int32_t>(b.data() + 57, 0); })),
            ErrorCode::kInvalidRecord);
}

TEST(RecordBatch, RecordCountBeyondTheRecordsIsCorrupt) {
  std::string batch = Edited([](std::string& b) {
    EncodeBE<int32_t>(b.data() + 23, 3);
    EncodeBE<int32_t>(b.data() + 57, 4);
  });
  EXPECT_EQ(Validate(batch), ErrorCode::kCorruptMessage);
}

TEST(RecordBatch, ProducerIdWithoutSequenceIsInvalid) {
  BatchOptions o;
  o.producer_id = 5;
  o.producer_epoch = 0;
  o.base_sequence = -1;
  EXPECT_EQ(Validate(BuildRecordBatch(o, ThreeRecords())), ErrorCode::kInvalidRecord);
}

TEST(RecordBatch, LogAppendTimeFromAClientIsAnInvalidTimestamp) {
  BatchOptions o;
  o.timestamp_type = TimestampType::kLogAppendTime;
  EXPECT_EQ(Validate(BuildRecordBatch(o, ThreeRecords())), ErrorCode::kInvalidTimestamp);
}

TEST(RecordBatch, ZstdNeedsProduceV7) {
  std::string zstd = Edited([](std::string& b) { b[22] |= 4; });
  EXPECT_EQ(Validate(zstd, 6), ErrorCode::kUnsupportedCompressionType);
  EXPECT_EQ(Validate(zstd, 7), ErrorCode::kNone);  // compressed records are not walked
  std::string unknown = Edited([](std::string& b) { b[22] |= 6; });
  EXPECT_EQ(Validate(unknown, 7), ErrorCode::kUnsupportedCompressionType);
}

TEST(RecordBatch, OversizedBatchIsTooLarge) {
  std::string batch = ValidBatch();
  auto r = ValidateProduceBatch(batch, 7, batch.size() - 1);
  ASSERT_FALSE(r);
  EXPECT_EQ(ToErrorCode(r.error()), ErrorCode::kMessageTooLarge);
  EXPECT_TRUE(ValidateProduceBatch(batch, 7, batch.size()));
}

TEST(RecordBatch, OffsetDeltasMustCountFromZero) {
  // First record: length(1) attributes(1) timestampDelta(1), then offsetDelta.
  std::string batch = Edited([](std::string& b) { b[61 + 3] = 10; });  // zigzag 5
  EXPECT_EQ(Validate(batch), ErrorCode::kInvalidRecord);
}

TEST(RecordBatch, RecordLengthOverrunIsCorrupt) {
  std::string batch = Edited([](std::string& b) { b[61] = 0x7e; });  // length 63
  EXPECT_EQ(Validate(batch), ErrorCode::kCorruptMessage);
  std::string negative = Edited([](std::string& b) { b[61] = 0x01; });  // length -1
  EXPECT_EQ(Validate(negative), ErrorCode::kCorruptMessage);
}

TEST(RecordBatch, KeyLengthBelowMinusOneIsCorrupt) {
  Record keyless;
  keyless.value = "hi";
  // The record: length, attributes, timestampDelta, offsetDelta, then its
  // key length, -1 (null), which becomes -2.
  std::string batch = Edited([](std::string& b) { b[61 + 4] = 0x03; },
                             BuildRecordBatch({}, {keyless}));
  EXPECT_EQ(Validate(batch), ErrorCode::kCorruptMessage);
  auto view = RecordBatchView::Parse(batch);
  ASSERT_TRUE(view);
  EXPECT_FALSE(ReadRecords(*view));
}

TEST(RecordBatch, RandomCorruptionOfRecordsNeverCrashes) {
  std::string batch = ValidBatch();
  for (size_t at = 61; at < batch.size(); ++at) {
    for (int v : {0x00, 0x01, 0x7f, 0x80, 0xff}) {
      std::string edited = Edited([&](std::string& b) { b[at] = static_cast<char>(v); });
      (void)Validate(edited);
      auto view = RecordBatchView::Parse(edited);
      ASSERT_TRUE(view);
      (void)ReadRecords(*view);
    }
  }
}

// Produce validation checks records with a lean scan and walks the batch
// in full only to name a fault. Over every one-byte edit of batches with
// headers, null keys and values, multi-byte lengths and 200 records, it
// must accept exactly the batches the full decode accepts (ReadRecords,
// offset deltas 0, 1, 2, ...).
TEST(RecordBatch, ValidationAgreesWithTheFullDecodeOnEveryEdit) {
  std::vector<std::string> batches = {ValidBatch()};
  // A Record views its bytes; these outlive the records built from them.
  const std::string key(300, 'k'), value(9'000, 'v'), header(150, 'h'), xs(6, 'x');
  Record big;
  big.timestamp = 1'000'000'000;
  big.key = key;
  big.value = value;  // a three-byte length
  big.headers = {{"a-header", header}, {"", "empty key"}};
  batches.push_back(BuildRecordBatch({}, {big, ThreeRecords()[1]}));
  std::vector<Record> many(200);
  for (size_t i = 0; i < many.size(); ++i) {
    many[i].timestamp = static_cast<int64_t>(i * 37);
    many[i].value = std::string_view(xs).substr(0, i % 7);
  }
  batches.push_back(BuildRecordBatch({}, many));
  auto full_decode_accepts = [](std::string_view bytes) {
    auto view = RecordBatchView::Parse(bytes);
    if (!view) return false;
    auto records = ReadRecords(*view);
    if (!records) return false;
    for (size_t i = 0; i < records->size(); ++i) {
      if ((*records)[i].offset_delta != static_cast<int32_t>(i)) return false;
    }
    return true;
  };
  for (const std::string& batch : batches) {
    ASSERT_EQ(Validate(batch), ErrorCode::kNone);
    for (size_t at = 61; at < batch.size(); ++at) {
      // Inside a run of one byte (the long key, value and header), any
      // byte is like any other: editing the run's ends is enough.
      if (at + 1 < batch.size() && batch[at - 1] == batch[at] && batch[at + 1] == batch[at]) continue;
      // The byte with its lowest bit flipped turns a zigzag length
      // negative (or an empty header key null) without moving anything.
      const int flipped = static_cast<uint8_t>(batch[at]) ^ 1;
      for (int v : {0x00, 0x01, 0x02, 0x7f, 0x80, 0x81, 0xfe, 0xff, flipped}) {
        std::string edited = Edited([&](std::string& b) { b[at] = static_cast<char>(v); }, batch);
        ASSERT_EQ(Validate(edited) == ErrorCode::kNone, full_decode_accepts(edited))
            << "byte " << at << " set to " << v << " in a batch of " << batch.size();
      }
    }
    // A byte after the last record, inside the batch's length.
    std::string longer = Edited(
        [](std::string& b) {
          b.push_back('\0');
          EncodeBE<int32_t>(b.data() + 8, DecodeBE<int32_t>(b.data() + 8) + 1);
        },
        batch);
    EXPECT_EQ(Validate(longer), ErrorCode::kCorruptMessage);
    EXPECT_FALSE(full_decode_accepts(longer));
  }
}

TEST(RecordBatch, KeylessRecordsFailTheCompactedTopicCheck) {
  const std::string batch_with_keyless = ValidBatch();  // its second record has no key
  auto view = RecordBatchView::Parse(batch_with_keyless);
  ASSERT_TRUE(view);
  auto keyless = CheckRecordsHaveKeys(*view);
  ASSERT_FALSE(keyless);
  EXPECT_EQ(ToErrorCode(keyless.error()), ErrorCode::kInvalidRecord);
  Record keyed;
  keyed.key = "k";
  std::string batch = BuildRecordBatch({}, {keyed});
  EXPECT_TRUE(CheckRecordsHaveKeys(*RecordBatchView::Parse(batch)));
}

TEST(RecordBatch, OffsetForTimestampIsTheFirstRecordAtOrAfterIt) {
  std::string batch = BuildRecordBatch({.base_offset = 100}, ThreeRecords());  // ts 1000, 1005, 998
  auto view = RecordBatchView::Parse(batch);
  ASSERT_TRUE(view);
  EXPECT_EQ(FindOffsetForTimestamp(*view, 0), (OffsetAndTimestamp{100, 1000}));
  EXPECT_EQ(FindOffsetForTimestamp(*view, 1001), (OffsetAndTimestamp{101, 1005}));
  EXPECT_EQ(FindOffsetForTimestamp(*view, 1006), std::nullopt);
  SetLogAppendTime(batch, 2000);
  auto appended = RecordBatchView::Parse(batch);
  EXPECT_EQ(FindOffsetForTimestamp(*appended, 1500), (OffsetAndTimestamp{100, 2000}));
}

TEST(RecordBatch, SplitBatchesSkipsAPartialTail) {
  std::string one = ValidBatch();
  std::string two = BuildRecordBatch({.base_offset = 3}, ThreeRecords());
  std::string all = one + two + two.substr(0, 20);
  auto batches = SplitBatches(all);
  ASSERT_EQ(batches.size(), 2u);
  EXPECT_EQ(batches[0].base_offset(), 0);
  EXPECT_EQ(batches[1].base_offset(), 3);
  EXPECT_EQ(batches[1].bytes(), two);
}

}  // namespace
}  // namespace corelog::kafka

#include "wal/format.h"

#include <gtest/gtest.h>

#include <string>

#include "common/coding.h"
#include "common/crc32c.h"

namespace corelog::wal {
namespace {

std::string Hex(const std::string& bytes) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out += digits[c >> 4];
    out += digits[c & 15];
  }
  return out;
}

std::string DataEntry() {
  EntryFields f;
  f.kind = static_cast<uint8_t>(EntryKind::kData);
  f.epoch = 3;
  f.sequence = 17;
  f.partition_id = 7;
  f.base_offset = 42;
  std::string out;
  AppendEntry(&out, f, "hi");
  return out;
}

// The worked example of docs/wal_format.md; changing these bytes means a
// new format version.
TEST(WalFormat, GoldenBytesPinTheSegmentHeader) {
  SegmentHeader h{1, 2, 4096, 3, 17};
  EXPECT_EQ(Hex(EncodeSegmentHeader(h)),
            "434f52454c4f4757010038000100000002000000000000000010000000000000"
            "030000000000000011000000000000000000000006bf4b50");
}

TEST(WalFormat, GoldenBytesPinTheDataEntry) {
  EXPECT_EQ(Hex(DataEntry()),
            "c69d12660e000000010000000300000000000000110000000000000007000000"
            "2a000000000000006869");
}

TEST(WalFormat, GoldenBytesPinBarrierAndRecordEntries) {
  std::string out;
  EntryFields barrier;
  barrier.kind = static_cast<uint8_t>(EntryKind::kBarrier);
  barrier.epoch = 4;
  barrier.sequence = 18;
  AppendEntry(&out, barrier, "");
  EntryFields record;
  record.kind = static_cast<uint8_t>(EntryKind::kRecord);
  record.epoch = 4;
  record.sequence = 19;
  record.record_type = 5;
  AppendEntry(&out, record, "t1");
  EXPECT_EQ(Hex(out),
            "c45f8d5b" "00000000" "02" "00" "0000" "0400000000000000" "1200000000000000"
            "bf66def4" "04000000" "03" "00" "0000" "0400000000000000" "1300000000000000"
            "0500" "7431");
}

TEST(WalFormat, EntryRoundTripsThroughTheParser) {
  std::string bytes = DataEntry();
  ParsedEntry p = ParseEntry(bytes);
  ASSERT_EQ(p.outcome, ParseOutcome::kOk) << p.problem;
  EXPECT_EQ(p.size, bytes.size());
  EXPECT_EQ(p.fields.epoch, 3u);
  EXPECT_EQ(p.fields.sequence, 17u);
  EXPECT_EQ(p.fields.partition_id, 7u);
  EXPECT_EQ(p.fields.base_offset, 42);
  EXPECT_EQ(p.payload, "hi");
}

// A caller-supplied CRC of the payload's suffix must give the very bytes a
// full pass gives; a wrong one must make the entry fail to verify.
TEST(WalFormat, AKnownSuffixCrcGivesTheSameEntryAndAWrongOneDoesNotVerify) {
  EntryFields f;
  f.kind = static_cast<uint8_t>(EntryKind::kData);
  f.epoch = 2;
  f.sequence = 9;
  f.partition_id = 4;
  f.base_offset = 1000;
  std::string payload;
  for (int i = 0; i < 5000; ++i) payload.push_back(static_cast<char>(i * 37 % 253));
  std::string plain;
  AppendEntry(&plain, f, payload);
  for (size_t from : {size_t{0}, size_t{21}, size_t{4999}, payload.size()}) {
    SCOPED_TRACE("suffix from byte " + std::to_string(from));
    const uint32_t crc = crc32c::Value(payload.data() + from, payload.size() - from);
    std::string known;
    AppendEntry(&known, f, payload, KnownCrc{from, crc});
    EXPECT_EQ(Hex(known), Hex(plain));
    std::string wrong;
    AppendEntry(&wrong, f, payload, KnownCrc{from, crc ^ 1});
    EXPECT_EQ(ParseEntry(wrong).outcome, ParseOutcome::kChecksum);
  }
}

TEST(WalFormat, ZeroFillNeverVerifies) {
  for (size_t n : {kEntryHeaderSize, size_t{64}, size_t{4096}}) {
    ParsedEntry p = ParseEntry(std::string(n, '\0'));
    EXPECT_EQ(p.outcome, ParseOutcome::kChecksum) << n;
  }
  EXPECT_EQ(DecodeSegmentHeader(std::string(kSegmentHeaderSize, '\0')).has_value(), false);
}

TEST(WalFormat, EveryEntryByteIsCoveredByTheChecksum) {
  std::string good = DataEntry();
  for (size_t i = 0; i < good.size(); ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      std::string bad = good;
      bad[i] = static_cast<char>(bad[i] ^ (1 << bit));
      EXPECT_NE(ParseEntry(bad).outcome, ParseOutcome::kOk) << "byte " << i << " bit " << bit;
    }
  }
}

TEST(WalFormat, EverySegmentHeaderByteIsCoveredByTheChecksum) {
  std::string good = EncodeSegmentHeader(SegmentHeader{1, 2, 3, 4, 5});
  for (size_t i = 0; i < good.size(); ++i) {
    std::string bad = good;
    bad[i] = static_cast<char>(bad[i] ^ 0x10);
    EXPECT_FALSE(DecodeSegmentHeader(bad).has_value()) << "byte " << i;
  }
}

// A segment written over an older one's file says so in a version-2 header;
// every other segment keeps the version-1 bytes.
TEST(WalFormat, OnlyAReusedSegmentsHeaderIsVersionTwoWithItsFlag) {
  SegmentHeader h{1, 2, 3, 4, 5};
  const std::string plain = EncodeSegmentHeader(h);
  h.reused = true;
  const std::string reused = EncodeSegmentHeader(h);
  EXPECT_EQ(DecodeLE<uint16_t>(plain.data() + 8), 1);
  EXPECT_EQ(DecodeLE<uint32_t>(plain.data() + 48), 0u);
  EXPECT_EQ(DecodeLE<uint16_t>(reused.data() + 8), 2);
  EXPECT_EQ(DecodeLE<uint32_t>(reused.data() + 48), 1u);
  auto decoded = DecodeSegmentHeader(reused);
  ASSERT_TRUE(decoded);
  EXPECT_TRUE(decoded->reused);
  EXPECT_EQ(decoded->base_sequence, 5u);
  EXPECT_FALSE(DecodeSegmentHeader(plain)->reused);
}

TEST(WalFormat, ShortBytesAreToldApartFromBadChecksum) {
  std::string good = DataEntry();
  for (size_t n = 0; n < good.size(); ++n) {
    EXPECT_EQ(ParseEntry(good.substr(0, n)).outcome, ParseOutcome::kShort) << n;
  }
}

TEST(WalFormat, UnknownLowBitKindIsMalformedButHighBitKindParses) {
  for (uint8_t kind : {uint8_t{9}, uint8_t{0x85}}) {
    EntryFields f;
    f.kind = kind;
    f.sequence = 1;
    std::string bytes;
    AppendEntry(&bytes, f, "future");
    ParsedEntry p = ParseEntry(bytes);
    EXPECT_EQ(p.outcome, kind & kSkippableKindBit ? ParseOutcome::kOk : ParseOutcome::kMalformed);
  }
}

}  // namespace
}  // namespace corelog::wal

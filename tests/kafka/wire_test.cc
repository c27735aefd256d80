#include "broker/kafka/wire.h"

#include <gtest/gtest.h>

#include <limits>
#include <string>
#include <vector>

#include "broker/kafka/errors.h"

namespace corelog::kafka {
namespace {

std::string Bytes(std::initializer_list<int> v) {
  std::string s;
  for (int b : v) s.push_back(static_cast<char>(b));
  return s;
}

TEST(Wire, FixedWidthIntegersAreBigEndian) {
  std::string out;
  Writer w(&out);
  w.Int8(-2);
  w.Int16(0x0102);
  w.Int32(-1);
  w.Int64(0x0102030405060708);
  w.Uint32(0xfffffffe);
  w.Bool(true);
  EXPECT_EQ(out, Bytes({0xfe, 1, 2, 0xff, 0xff, 0xff, 0xff, 1,    2,    3,
                        4,    5, 6, 7,    8,    0xff, 0xff, 0xff, 0xfe, 1}));
  Reader r(out);
  EXPECT_EQ(r.Int8(), -2);
  EXPECT_EQ(r.Int16(), 0x0102);
  EXPECT_EQ(r.Int32(), -1);
  EXPECT_EQ(r.Int64(), 0x0102030405060708);
  EXPECT_EQ(r.Uint32(), 0xfffffffeu);
  EXPECT_TRUE(r.Bool());
  EXPECT_TRUE(r.status());
  EXPECT_EQ(r.remaining(), 0u);
}

TEST(Wire, UnsignedVarintUsesSevenBitGroupsLowFirst) {
  std::string out;
  Writer w(&out);
  w.UnsignedVarint(0);
  w.UnsignedVarint(127);
  w.UnsignedVarint(128);
  w.UnsignedVarint(300);
  w.UnsignedVarint(std::numeric_limits<uint32_t>::max());
  EXPECT_EQ(out, Bytes({0, 0x7f, 0x80, 0x01, 0xac, 0x02, 0xff, 0xff, 0xff, 0xff, 0x0f}));
  Reader r(out);
  EXPECT_EQ(r.UnsignedVarint(), 0u);
  EXPECT_EQ(r.UnsignedVarint(), 127u);
  EXPECT_EQ(r.UnsignedVarint(), 128u);
  EXPECT_EQ(r.UnsignedVarint(), 300u);
  EXPECT_EQ(r.UnsignedVarint(), std::numeric_limits<uint32_t>::max());
  EXPECT_TRUE(r.ok());
}

TEST(Wire, ZigzagVarintsMapSmallMagnitudesToShortCodes) {
  std::string out;
  Writer w(&out);
  w.Varint(0);
  w.Varint(-1);
  w.Varint(1);
  w.Varint(-64);
  w.Varint(64);
  EXPECT_EQ(out, Bytes({0, 1, 2, 0x7f, 0x80, 0x01}));
  Reader r(out);
  EXPECT_EQ(r.Varint(), 0);
  EXPECT_EQ(r.Varint(), -1);
  EXPECT_EQ(r.Varint(), 1);
  EXPECT_EQ(r.Varint(), -64);
  EXPECT_EQ(r.Varint(), 64);
}

TEST(Wire, ZigzagExtremesRoundTrip) {
  std::string out;
  Writer w(&out);
  for (int32_t v : {std::numeric_limits<int32_t>::min(), std::numeric_limits<int32_t>::max()}) {
    w.Varint(v);
  }
  for (int64_t v : {std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max(),
                    int64_t{-1234567890123}}) {
    w.Varlong(v);
  }
  Reader r(out);
  EXPECT_EQ(r.Varint(), std::numeric_limits<int32_t>::min());
  EXPECT_EQ(r.Varint(), std::numeric_limits<int32_t>::max());
  EXPECT_EQ(r.Varlong(), std::numeric_limits<int64_t>::min());
  EXPECT_EQ(r.Varlong(), std::numeric_limits<int64_t>::max());
  EXPECT_EQ(r.Varlong(), -1234567890123);
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(r.remaining(), 0u);
}

// Short varints take a faster path than long ones and than any varint at
// the very end of the input: every length must read the same in each place.
TEST(Wire, VarintsOfEveryLengthReadTheSameMidInputAndAtItsEnd) {
  const std::vector<uint32_t> values = {0,       1,         127,        128,        8191,
                                        16383,   16384,     2097151,    2097152,    268435455,
                                        268435456, 0xffffffffu};
  for (uint32_t v : values) {
    std::string alone;
    Writer(&alone).UnsignedVarint(v);
    const std::string followed = alone + Bytes({0x2a});
    Reader at_end(alone);
    EXPECT_EQ(at_end.UnsignedVarint(), v);
    EXPECT_TRUE(at_end.ok());
    EXPECT_EQ(at_end.remaining(), 0u);
    Reader mid(followed);
    EXPECT_EQ(mid.UnsignedVarint(), v);
    EXPECT_EQ(mid.Int8(), 0x2a) << "value " << v;
    EXPECT_TRUE(mid.ok());
    // Every proper prefix is a truncated varint.
    for (size_t cut = 0; cut < alone.size(); ++cut) {
      Reader truncated(std::string_view(alone).substr(0, cut));
      EXPECT_EQ(truncated.UnsignedVarint(), 0u);
      EXPECT_FALSE(truncated.ok()) << "value " << v << " cut to " << cut << " bytes";
    }
  }
  for (int64_t v : {int64_t{-1}, int64_t{4095}, int64_t{-4097}, int64_t{1} << 40,
                    std::numeric_limits<int64_t>::min()}) {
    std::string out;
    Writer(&out).Varlong(v);
    out += Bytes({0x2a});
    Reader r(out);
    EXPECT_EQ(r.Varlong(), v);
    EXPECT_EQ(r.Int8(), 0x2a);
  }
}

// After a failed read every read returns zero and consumes nothing, the
// inline short-varint path included.
TEST(Wire, ReadsAfterAFailureYieldZeroWithoutConsuming) {
  std::string out = Bytes({0x05, 0x01, 0x02});
  Reader r(out);
  EXPECT_EQ(r.Int32(), 0);
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.Varint(), 0);
  EXPECT_EQ(r.UnsignedVarint(), 0u);
  EXPECT_EQ(r.Int8(), 0);
  EXPECT_EQ(r.Raw(1), std::string_view());
  EXPECT_EQ(r.position(), 0u);
  EXPECT_NE(r.status().error().message().find("int32"), std::string::npos);
}

TEST(Wire, OverlongVarintIsAnError) {
  std::string six = Bytes({0x80, 0x80, 0x80, 0x80, 0x80, 0x01});
  Reader r(six);
  r.UnsignedVarint();
  EXPECT_FALSE(r.ok());
  std::string wide = Bytes({0xff, 0xff, 0xff, 0xff, 0x1f});  // 35 bits
  Reader r2(wide);
  r2.Varint();
  EXPECT_FALSE(r2.ok());
}

TEST(Wire, ClassicAndCompactStrings) {
  std::string out;
  Writer w(&out);
  w.String("ab", false);
  w.String("ab", true);
  w.NullableString(std::nullopt, false);
  w.NullableString(std::nullopt, true);
  w.NullableString(std::string(), true);
  EXPECT_EQ(out, Bytes({0, 2, 'a', 'b', 3, 'a', 'b', 0xff, 0xff, 0, 1}));
  Reader r(out);
  EXPECT_EQ(r.String(false), "ab");
  EXPECT_EQ(r.String(true), "ab");
  EXPECT_EQ(r.NullableString(false), std::nullopt);
  EXPECT_EQ(r.NullableString(true), std::nullopt);
  EXPECT_EQ(r.NullableString(true), std::optional<std::string>(""));
  EXPECT_TRUE(r.ok());
}

TEST(Wire, ClassicAndCompactBytes) {
  std::string out;
  Writer w(&out);
  w.Bytes("xyz", false);
  w.Bytes("xyz", true);
  w.NullableBytes(std::nullopt, false);
  w.NullableBytes(std::nullopt, true);
  EXPECT_EQ(out, Bytes({0, 0, 0, 3, 'x', 'y', 'z', 4, 'x', 'y', 'z', 0xff, 0xff, 0xff, 0xff, 0}));
  Reader r(out);
  EXPECT_EQ(r.Bytes(false), "xyz");
  EXPECT_EQ(r.Bytes(true), "xyz");
  EXPECT_EQ(r.NullableBytes(false), std::nullopt);
  EXPECT_EQ(r.NullableBytes(true), std::nullopt);
  EXPECT_TRUE(r.ok());
}

TEST(Wire, ArraysClassicCompactAndNull) {
  std::string out;
  Writer w(&out);
  WriteInt32Array(w, {7, 8}, false);
  WriteInt32Array(w, {7}, true);
  w.NullArray(false);
  w.NullArray(true);
  EXPECT_EQ(out,
            Bytes({0, 0, 0, 2, 0, 0, 0, 7, 0, 0, 0, 8, 2, 0, 0, 0, 7, 0xff, 0xff, 0xff, 0xff, 0}));
  Reader r(out);
  EXPECT_EQ(ReadInt32Array(r, false), (std::vector<int32_t>{7, 8}));
  EXPECT_EQ(ReadInt32Array(r, true), (std::vector<int32_t>{7}));
  auto null_classic = ReadNullableArray(r, false, [](Reader& r) { return r.Int32(); });
  auto null_compact = ReadNullableArray(r, true, [](Reader& r) { return r.Int32(); });
  EXPECT_FALSE(null_classic.has_value());
  EXPECT_FALSE(null_compact.has_value());
  EXPECT_TRUE(r.ok());
}

TEST(Wire, HugeArrayCountFailsBeforeAllocating) {
  std::string in = Bytes({0x7f, 0xff, 0xff, 0xff, 0, 0, 0, 1});
  Reader r(in);
  auto v = ReadInt32Array(r, false);
  EXPECT_TRUE(v.empty());
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(ToErrorCode(r.status().error()), ErrorCode::kInvalidRequest);

  std::string compact = Bytes({0xff, 0xff, 0xff, 0xff, 0x0f});
  Reader rc(compact);
  rc.ArrayLength(true);
  EXPECT_FALSE(rc.ok());
}

TEST(Wire, NegativeLengthsOtherThanNullAreErrors) {
  std::string s = Bytes({0xff, 0xfe, 'a'});
  Reader r(s);
  r.NullableString(false);
  EXPECT_FALSE(r.ok());
  std::string b = Bytes({0x80, 0, 0, 0});
  Reader rb(b);
  rb.Bytes(false);
  EXPECT_FALSE(rb.ok());
  std::string a = Bytes({0xff, 0xff, 0xff, 0xfe});
  Reader ra(a);
  ra.ArrayLength(false);
  EXPECT_FALSE(ra.ok());
}

TEST(Wire, ErrorsAreStickyAndConsumeNothing) {
  std::string in = Bytes({0, 9, 'a', 0, 0, 0, 5});
  Reader r(in);
  EXPECT_EQ(r.String(false), "");  // claims 9 bytes, has 5
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.Int8(), 0);
  EXPECT_EQ(r.Int32(), 0);
  EXPECT_EQ(r.position(), 2u);
  EXPECT_NE(r.status().error().message().find("byte 2"), std::string::npos);
}

TEST(Wire, UnknownTaggedFieldsAreSkipped) {
  // Two tags: tag 0 with 2 bytes, tag 5 with 1 byte; then an int8.
  std::string in = Bytes({2, 0, 2, 0xaa, 0xbb, 5, 1, 0xcc, 0x42});
  Reader r(in);
  r.SkipTaggedFields(true);
  EXPECT_EQ(r.Int8(), 0x42);
  EXPECT_TRUE(r.ok());
  std::string truncated = Bytes({1, 0, 4, 0xaa});
  Reader rt(truncated);
  rt.SkipTaggedFields(true);
  EXPECT_FALSE(rt.ok());
}

TEST(Wire, EmptyTaggedFieldsOnlyWhenFlexible) {
  std::string out;
  Writer w(&out);
  w.EmptyTaggedFields(false);
  EXPECT_EQ(out, "");
  w.EmptyTaggedFields(true);
  EXPECT_EQ(out, Bytes({0}));
}

TEST(Wire, ReservedSizeIsPatchedInPlace) {
  std::string out;
  Writer w(&out);
  size_t at = w.ReserveInt32();
  w.String("hello", false);
  w.PatchInt32(at, static_cast<int32_t>(w.size() - at - 4));
  EXPECT_EQ(out.substr(0, 4), Bytes({0, 0, 0, 7}));
}

// With a splice list, large byte fields are left where they are and listed;
// the buffer and the splices joined are the bytes a plain Writer writes.
TEST(Wire, LargeBytesAreSplicedFromTheMinimumSizeAndOnlyWithASpliceList) {
  const std::string big(Writer::kMinSplice + 904, 'x');
  const std::string small(Writer::kMinSplice - 1, 's');
  const std::string exact(Writer::kMinSplice, 'e');
  auto write = [&](Writer& w) {
    w.Int32(7);
    w.LargeBytes(big, false);
    w.LargeBytes(small, false);
    w.LargeBytes(exact, true);
    w.Int8(1);
  };
  std::string plain;
  Writer p(&plain);
  write(p);
  EXPECT_EQ(p.spliced_bytes(), 0u);

  std::string out;
  std::vector<Splice> splices;
  Writer w(&out, &splices);
  write(w);
  ASSERT_EQ(splices.size(), 2u);
  EXPECT_EQ(splices[0].at, 4u + 4u);  // after the int32 and the length
  EXPECT_EQ(splices[0].bytes.data(), big.data());  // not a copy
  EXPECT_EQ(splices[1].bytes.data(), exact.data());
  EXPECT_EQ(w.spliced_bytes(), big.size() + exact.size());
  EXPECT_EQ(out.size() + w.spliced_bytes(), plain.size());
  EXPECT_EQ(JoinSplices(out, splices), plain);
}

TEST(Wire, UuidIsSixteenRawBytes) {
  Uuid id;
  for (int i = 0; i < 16; ++i) id.bytes[i] = static_cast<uint8_t>(i);
  std::string out;
  Writer w(&out);
  w.WriteUuid(id);
  ASSERT_EQ(out.size(), 16u);
  Reader r(out);
  EXPECT_EQ(r.ReadUuid(), id);
}

}  // namespace
}  // namespace corelog::kafka

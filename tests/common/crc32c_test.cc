#include "common/crc32c.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace corelog::crc32c {
namespace {

TEST(Crc32c, MatchesStandardCheckValue) {
  // The catalogued check value of CRC-32C over "123456789".
  EXPECT_EQ(Value("123456789", 9), 0xe3069283u);
}

TEST(Crc32c, MatchesKnownVectors) {
  std::vector<char> zeros(32, 0);
  EXPECT_EQ(Value(zeros.data(), zeros.size()), 0x8a9136aau);
  std::vector<char> ones(32, static_cast<char>(0xff));
  EXPECT_EQ(Value(ones.data(), ones.size()), 0x62a8ab43u);
  std::vector<char> ascending(32);
  for (int i = 0; i < 32; ++i) ascending[i] = static_cast<char>(i);
  EXPECT_EQ(Value(ascending.data(), ascending.size()), 0x46dd794eu);
}

TEST(Crc32c, ExtendEqualsWholeValueAtEverySplit) {
  std::string data = "the quick brown fox jumps over the lazy dog, twice over";
  uint32_t whole = Value(data.data(), data.size());
  for (size_t split = 0; split <= data.size(); ++split) {
    uint32_t part = Extend(Value(data.data(), split), data.data() + split, data.size() - split);
    EXPECT_EQ(part, whole) << "split at " << split;
  }
}

// CRC-32C one bit at a time, straight from the definition.
uint32_t BitwiseExtend(uint32_t crc, const std::string& data) {
  uint32_t c = ~crc;
  for (unsigned char byte : data) {
    c ^= byte;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ 0x82f63b78u : c >> 1;
  }
  return ~c;
}

// Every method this CPU has, the one Extend picks among them.
std::vector<Method> AvailableMethods() {
  std::vector<Method> out;
  for (Method m : {Method::kTable, Method::kCrc32Instruction, Method::kCarrylessMultiply}) {
    if (Available(m)) out.push_back(m);
  }
  return out;
}

// Long inputs take the three-stream path in blocks, or the carry-less
// folding path in 256-, 64- and 16-byte steps; lengths around each block,
// stripe and step size, from odd addresses and a non-zero start, must all
// give what the definition gives, by every method.
TEST(Crc32c, LongInputsMatchTheDefinitionAroundEveryBlockBoundary) {
  std::string data(3 * 3 * 4096 + 100, '\0');
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>(i * 2654435761u >> 24);
  for (size_t length : {15ul, 16ul, 17ul, 63ul, 64ul, 255ul, 256ul, 257ul, 271ul, 272ul, 319ul, 320ul,
                        335ul, 511ul, 512ul, 513ul, 1000ul, 4095ul, 4096ul, 8192ul, 12287ul, 12288ul,
                        12289ul, 12295ul, 24576ul, 24583ul, 3 * 3 * 4096ul + 99}) {
    for (size_t offset : {0ul, 1ul}) {
      const char* at = data.data() + offset;
      const std::string piece(at, length);
      EXPECT_EQ(Value(at, length), BitwiseExtend(0, piece))
          << "length " << length << " offset " << offset;
      for (Method m : AvailableMethods()) {
        EXPECT_EQ(ExtendUsing(m, 0x12345678u, at, length), BitwiseExtend(0x12345678u, piece))
            << "method " << static_cast<int>(m) << " length " << length << " offset " << offset;
      }
    }
  }
}

TEST(Crc32c, CombineEqualsTheCrcOfTheConcatenationAtEverySplit) {
  std::string data;
  for (int i = 0; i < 300; ++i) data.push_back(static_cast<char>((i * 131 + 7) % 251));
  const uint32_t whole = Value(data.data(), data.size());
  for (size_t split = 0; split <= data.size(); ++split) {
    uint32_t a = Value(data.data(), split);
    uint32_t b = Value(data.data() + split, data.size() - split);
    EXPECT_EQ(Combine(a, b, data.size() - split), whole) << "split at " << split;
  }
}

TEST(Crc32c, CombineHandlesLongSuffixes) {
  // A suffix of several MiB exercises the high powers of x.
  std::string head = "header bytes";
  std::string tail(5 * 1024 * 1024 + 3, '\0');
  for (size_t i = 0; i < tail.size(); ++i) tail[i] = static_cast<char>(i * 2654435761u >> 24);
  uint32_t whole = Extend(Value(head.data(), head.size()), tail.data(), tail.size());
  EXPECT_EQ(Combine(Value(head.data(), head.size()), Value(tail.data(), tail.size()), tail.size()),
            whole);
}

TEST(Crc32c, MaskRoundTripsAndDiffers) {
  uint32_t crc = Value("foo", 3);
  EXPECT_NE(Mask(crc), crc);
  EXPECT_NE(Mask(Mask(crc)), crc);
  EXPECT_EQ(Unmask(Mask(crc)), crc);
  EXPECT_EQ(Unmask(Unmask(Mask(Mask(crc)))), crc);
}

TEST(Crc32c, ZeroFillNeverVerifiesOnceMasked) {
  // A zero-filled region has CRC 0 stored where a CRC belongs; the mask makes
  // sure the CRC of an empty or zero body never equals 0.
  EXPECT_EQ(Value("", 0), 0u);
  EXPECT_NE(Mask(Value("", 0)), 0u);
}

}  // namespace
}  // namespace corelog::crc32c

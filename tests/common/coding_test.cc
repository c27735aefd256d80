#include "common/coding.h"

#include <gtest/gtest.h>

#include <string>

namespace corelog {
namespace {

TEST(Coding, LittleEndianLayoutIsLeastSignificantFirst) {
  std::string s;
  AppendLE<uint32_t>(&s, 0x01020304u);
  ASSERT_EQ(s.size(), 4u);
  EXPECT_EQ(s, std::string("\x04\x03\x02\x01", 4));
  EXPECT_EQ(DecodeLE<uint32_t>(s.data()), 0x01020304u);
}

TEST(Coding, BigEndianLayoutIsMostSignificantFirst) {
  std::string s;
  AppendBE<int64_t>(&s, 0x0102030405060708LL);
  EXPECT_EQ(s, std::string("\x01\x02\x03\x04\x05\x06\x07\x08", 8));
  EXPECT_EQ(DecodeBE<int64_t>(s.data()), 0x0102030405060708LL);
}

TEST(Coding, BigEndianNegativeValuesRoundTrip) {
  std::string s;
  AppendBE<int16_t>(&s, -2);
  AppendBE<int32_t>(&s, -1);
  EXPECT_EQ(s, std::string("\xff\xfe\xff\xff\xff\xff", 6));
  EXPECT_EQ(DecodeBE<int16_t>(s.data()), -2);
  EXPECT_EQ(DecodeBE<int32_t>(s.data() + 2), -1);
}

TEST(Coding, BigEndianKeysSortLikeNumbers) {
  std::string a, b;
  AppendBE<uint64_t>(&a, 255);
  AppendBE<uint64_t>(&b, 256);
  EXPECT_LT(a, b);
}

}  // namespace
}  // namespace corelog

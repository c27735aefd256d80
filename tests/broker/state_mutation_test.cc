#include "broker/state_mutation.h"

#include <gtest/gtest.h>

#include "broker/group_coordinator.h"

namespace corelog::broker {
namespace {

TEST(StateMutation, RoundTrips) {
  StateMutation m{{{"k1", "v1"}, {std::string("k\0x", 3), ""}}, {"gone"}};
  auto d = StateMutation::Decode(m.Encode());
  ASSERT_TRUE(d);
  EXPECT_EQ(*d, m);
}

TEST(StateMutation, TruncatedOrTrailingBytesAreRejected) {
  StateMutation m{{{"key", "value"}}, {"del"}};
  std::string bytes = m.Encode();
  for (size_t n = 0; n < bytes.size(); ++n) {
    EXPECT_FALSE(StateMutation::Decode(std::string_view(bytes).substr(0, n))) << n;
  }
  EXPECT_FALSE(StateMutation::Decode(bytes + "x"));
  std::string bad_op = bytes;
  bad_op[4] = 9;
  EXPECT_FALSE(StateMutation::Decode(bad_op));
}

TEST(OffsetCodec, KeyAndValueRoundTrip) {
  CommittedOffset o{42, 3, "meta"};
  auto d = DecodeOffset(OffsetKey("group-1", "orders", 7), OffsetValue(o));
  ASSERT_TRUE(d);
  EXPECT_EQ(d->group, "group-1");
  EXPECT_EQ(d->partition, (TopicPartition{"orders", 7}));
  EXPECT_EQ(d->offset.offset, 42);
  EXPECT_EQ(d->offset.leader_epoch, 3);
  EXPECT_EQ(d->offset.metadata, "meta");
  auto null_meta = DecodeOffset(OffsetKey("g", "t", 0), OffsetValue({5, -1, std::nullopt}));
  ASSERT_TRUE(null_meta);
  EXPECT_FALSE(null_meta->offset.metadata);
  EXPECT_FALSE(DecodeOffset("x", OffsetValue(o)));
}

}  // namespace
}  // namespace corelog::broker

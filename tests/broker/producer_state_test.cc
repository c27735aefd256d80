#include "broker/producer_state.h"

#include <gtest/gtest.h>

#include <limits>

namespace corelog::broker {
namespace {

using kafka::ErrorCode;

TEST(ProducerStates, UnknownProducerMayStartAnywhere) {
  ProducerStates s;
  auto c = s.Check(7, 0, 42, 3);
  EXPECT_EQ(c.error, ErrorCode::kNone);
  EXPECT_FALSE(c.duplicate);
}

TEST(ProducerStates, NextBatchMustFollowTheLastSequence) {
  ProducerStates s;
  s.Record(7, 0, 0, 5, 100);
  EXPECT_EQ(s.Check(7, 0, 5, 2).error, ErrorCode::kNone);
  EXPECT_EQ(s.Check(7, 0, 6, 2).error, ErrorCode::kOutOfOrderSequenceNumber) << "a gap";
  EXPECT_EQ(s.Check(7, 0, 3, 1).error, ErrorCode::kOutOfOrderSequenceNumber)
      << "an old sequence that is not a cached batch";
}

TEST(ProducerStates, RetriedBatchIsADuplicateWithItsOriginalOffset) {
  ProducerStates s;
  s.Record(7, 0, 0, 5, 100);
  s.Record(7, 0, 5, 5, 105);
  auto c = s.Check(7, 0, 0, 5);
  EXPECT_EQ(c.error, ErrorCode::kNone);
  EXPECT_TRUE(c.duplicate);
  EXPECT_EQ(c.base_offset, 100);
}

TEST(ProducerStates, OnlyTheLastFiveBatchesAreRemembered) {
  ProducerStates s;
  for (int i = 0; i < 7; ++i) s.Record(7, 0, i, 1, 100 + i);
  EXPECT_FALSE(s.Check(7, 0, 1, 1).duplicate);
  EXPECT_TRUE(s.Check(7, 0, 2, 1).duplicate);
  EXPECT_EQ(s.Check(7, 0, 6, 1).base_offset, 106);
}

TEST(ProducerStates, OlderEpochIsFencedAndNewEpochStartsAtZero) {
  ProducerStates s;
  s.Record(7, 3, 0, 1, 0);
  EXPECT_EQ(s.Check(7, 2, 1, 1).error, ErrorCode::kInvalidProducerEpoch);
  EXPECT_EQ(s.Check(7, 4, 5, 1).error, ErrorCode::kOutOfOrderSequenceNumber);
  EXPECT_EQ(s.Check(7, 4, 0, 1).error, ErrorCode::kNone);
  s.Record(7, 4, 0, 1, 1);
  EXPECT_EQ(s.entries().at(7).epoch, 4);
  EXPECT_EQ(s.entries().at(7).recent.size(), 1u);
}

TEST(ProducerStates, SequenceWrapsAtInt32Max) {
  constexpr int32_t kMax = std::numeric_limits<int32_t>::max();
  EXPECT_EQ(NextSequence(kMax), 0);
  EXPECT_EQ(NextSequence(kMax - 1, 3), 1);
  ProducerStates s;
  s.Record(7, 0, kMax - 1, 2, 10);
  EXPECT_EQ(s.entries().at(7).last_sequence, kMax);
  EXPECT_EQ(s.Check(7, 0, 0, 1).error, ErrorCode::kNone);
}

TEST(ProducerStates, ProducersAreIndependent) {
  ProducerStates s;
  s.Record(1, 0, 0, 1, 0);
  s.Record(2, 0, 10, 1, 1);
  EXPECT_EQ(s.Check(1, 0, 1, 1).error, ErrorCode::kNone);
  EXPECT_EQ(s.Check(2, 0, 11, 1).error, ErrorCode::kNone);
  EXPECT_EQ(s.Check(2, 0, 1, 1).error, ErrorCode::kOutOfOrderSequenceNumber);
}

TEST(ProducerStates, EntryEncodingRoundTrips) {
  ProducerStates s;
  for (int i = 0; i < 3; ++i) s.Record(9, 2, i * 2, 2, 40 + i);
  const ProducerEntry& e = s.entries().at(9);
  ProducerEntry back;
  ASSERT_TRUE(DecodeProducerEntry(EncodeProducerEntry(e), &back));
  EXPECT_EQ(back, e);
  EXPECT_FALSE(DecodeProducerEntry("short", &back));
}

}  // namespace
}  // namespace corelog::broker

#include "broker/kafka/api.h"

#include <gtest/gtest.h>

namespace corelog::kafka {
namespace {

struct Range {
  ApiKey key;
  int16_t min;
  int16_t max;
};

// KAFKA.md §1 "Advertise" column. Low floors are deliberate: librdkafka
// disables a feature when its versions fall outside the advertised range.
TEST(ApiTable, RangesAreTheAdvertisedOnes) {
  const Range expected[] = {
      {ApiKey::kApiVersions, 0, 3},     {ApiKey::kMetadata, 0, 8},
      {ApiKey::kProduce, 3, 7},         {ApiKey::kFetch, 4, 11},
      {ApiKey::kListOffsets, 1, 5},     {ApiKey::kFindCoordinator, 0, 3},
      {ApiKey::kJoinGroup, 0, 5},       {ApiKey::kSyncGroup, 0, 3},
      {ApiKey::kHeartbeat, 0, 3},       {ApiKey::kLeaveGroup, 0, 3},
      {ApiKey::kOffsetCommit, 2, 7},    {ApiKey::kOffsetFetch, 1, 7},
      {ApiKey::kDescribeGroups, 0, 4},  {ApiKey::kListGroups, 0, 4},
      {ApiKey::kCreateTopics, 0, 4},    {ApiKey::kDeleteTopics, 0, 3},
      {ApiKey::kDescribeConfigs, 0, 3}, {ApiKey::kDeleteGroups, 0, 1},
      {ApiKey::kInitProducerId, 0, 4},  {ApiKey::kCreatePartitions, 0, 1},
      {ApiKey::kDeleteRecords, 0, 1},   {ApiKey::kAlterConfigs, 0, 1},
      {ApiKey::kOffsetDelete, 0, 0},
  };
  EXPECT_EQ(AllApis().size(), std::size(expected));
  for (const Range& r : expected) {
    const ApiInfo* api = FindApi(r.key);
    ASSERT_NE(api, nullptr) << static_cast<int>(r.key);
    EXPECT_EQ(api->min_version, r.min) << api->name;
    EXPECT_EQ(api->max_version, r.max) << api->name;
  }
}

TEST(ApiTable, FeatureFloorsLibrdkafkaNeedsAreInRange) {
  EXPECT_TRUE(IsSupported(0, 3));   // MSGVER2: Produce 3
  EXPECT_TRUE(IsSupported(1, 4));   // MSGVER2: Fetch 4
  EXPECT_TRUE(IsSupported(0, 7));   // ZSTD: Produce 7
  EXPECT_TRUE(IsSupported(1, 10));  // ZSTD: Fetch 10
  EXPECT_TRUE(IsSupported(10, 0));  // FindCoordinator 0
  EXPECT_TRUE(IsSupported(11, 0));  // JoinGroup 0
  EXPECT_TRUE(IsSupported(14, 0));  // SyncGroup 0
  EXPECT_TRUE(IsSupported(12, 0));  // Heartbeat 0
  EXPECT_TRUE(IsSupported(13, 0));  // LeaveGroup 0
  EXPECT_TRUE(IsSupported(8, 2));   // OffsetCommit 2
  EXPECT_TRUE(IsSupported(9, 1));   // OffsetFetch 1
  EXPECT_TRUE(IsSupported(22, 0));  // IDEMPOTENT_PRODUCER
  EXPECT_TRUE(IsSupported(22, 4));  // KIP-360
  EXPECT_TRUE(IsSupported(2, 1));   // OFFSET_TIME
  EXPECT_FALSE(IsSupported(0, 2));  // no magic 0/1
  EXPECT_FALSE(IsSupported(1, 3));
  EXPECT_FALSE(IsSupported(18, 4));  // answered with the v0 fallback
  EXPECT_FALSE(IsSupported(68, 0));  // never advertised
  EXPECT_FALSE(IsSupported(-1, 0));
}

TEST(ApiTable, FlexibleVersionsStartWhereTheSchemasSay) {
  EXPECT_FALSE(IsFlexible(18, 2));
  EXPECT_TRUE(IsFlexible(18, 3));
  EXPECT_TRUE(IsFlexible(18, 4));  // above our max, still flexible
  EXPECT_FALSE(IsFlexible(3, 8));
  EXPECT_FALSE(IsFlexible(0, 7));
  EXPECT_FALSE(IsFlexible(1, 11));
  EXPECT_FALSE(IsFlexible(9, 5));
  EXPECT_TRUE(IsFlexible(9, 6));    // OffsetFetch
  EXPECT_TRUE(IsFlexible(16, 3));   // ListGroups
  EXPECT_TRUE(IsFlexible(22, 2));   // InitProducerId
  EXPECT_FALSE(IsFlexible(47, 0));  // OffsetDelete
  EXPECT_FALSE(IsFlexible(37, 1));
}

TEST(ApiTable, LookupByKey) {
  EXPECT_EQ(ApiName(18), "ApiVersions");
  EXPECT_EQ(ApiName(3), "Metadata");
  EXPECT_EQ(ApiName(99), "Unknown");
  EXPECT_EQ(FindApi(4), nullptr);
  EXPECT_EQ(FindApi(ApiKey::kFetch)->family, ApiFamily::kCore);
  EXPECT_EQ(FindApi(ApiKey::kJoinGroup)->family, ApiFamily::kConsumerGroup);
  EXPECT_EQ(FindApi(ApiKey::kInitProducerId)->family, ApiFamily::kIdempotence);
}

}  // namespace
}  // namespace corelog::kafka

#include <gtest/gtest.h>

#include <set>

#include "broker/cores.h"
#include "broker/topic_registry.h"

namespace corelog::broker {
namespace {

constexpr uint32_t kPinnedOrders3 = 93;
constexpr uint32_t kPinnedEmpty0 = 785;

TEST(Routing, OwnerCoreIsStableAcrossCalls) {
  // Pinned values: a change of hash would move partitions between cores
  // across an upgrade, which must be a deliberate decision.
  EXPECT_EQ(OwnerCore("orders", 3, 1000), kPinnedOrders3);
  EXPECT_EQ(OwnerCore("", 0, 997), kPinnedEmpty0);
}

TEST(Routing, OwnerCoreIsWithinRange) {
  for (uint32_t cores = 1; cores <= 8; ++cores) {
    for (int32_t p = 0; p < 64; ++p) EXPECT_LT(OwnerCore("t", p, cores), cores);
  }
}

TEST(Routing, PartitionsOfOneTopicSpreadOverCores) {
  std::set<uint32_t> used;
  for (int32_t p = 0; p < 32; ++p) used.insert(OwnerCore("events", p, 4));
  EXPECT_EQ(used.size(), 4u);
}

TEST(Routing, TopicAndPartitionBothMatter) {
  // "ab"/1 must not collide systematically with "a"/... : the separator byte
  // keeps the topic name and partition number apart.
  int differing = 0;
  for (int32_t p = 0; p < 64; ++p) differing += OwnerCore("ab", p, 64) != OwnerCore("a", p, 64);
  EXPECT_GT(differing, 32);
}

TEST(Routing, GroupsSpreadOverCores) {
  std::set<uint32_t> used;
  for (int g = 0; g < 32; ++g) used.insert(GroupCore("group-" + std::to_string(g), 2));
  EXPECT_EQ(used.size(), 2u);
}

TEST(TopicNames, FollowKafkasRules) {
  EXPECT_TRUE(ValidTopicName("orders.v1_EU-2"));
  EXPECT_FALSE(ValidTopicName(""));
  EXPECT_FALSE(ValidTopicName("."));
  EXPECT_FALSE(ValidTopicName(".."));
  EXPECT_FALSE(ValidTopicName("has space"));
  EXPECT_FALSE(ValidTopicName("slash/no"));
  EXPECT_FALSE(ValidTopicName(std::string(250, 'a')));
  EXPECT_TRUE(ValidTopicName(std::string(249, 'a')));
}

}  // namespace
}  // namespace corelog::broker

// Golden bytes for the group, idempotence and admin APIs, hand-assembled
// from the Kafka message schemas; the flexible ones (OffsetFetch v6-7,
// ListGroups v3-4, InitProducerId v2-4) are what librdkafka negotiates.
#include <gtest/gtest.h>

#include "broker/kafka/header.h"
#include "broker/kafka/messages.h"
#include "tests/kafka/test_util.h"

namespace corelog::kafka {
namespace {

using testing::Hex;
using testing::ToHex;

template <class T>
std::string Encoded(const T& m, int16_t version) {
  std::string out;
  Writer w(&out);
  m.Encode(w, version);
  return out;
}

template <class T>
T DecodedExactly(std::string_view bytes, int16_t version) {
  Reader r(bytes);
  auto m = T::Decode(r, version);
  EXPECT_TRUE(m) << m.error().message();
  EXPECT_EQ(r.remaining(), 0u);
  return m ? *m : T{};
}

TEST(GroupGolden, FindCoordinatorV0AndV2) {
  EXPECT_EQ(DecodedExactly<FindCoordinatorRequest>(Hex("00 01 'g'"), 0).key, "g");
  auto v2 = DecodedExactly<FindCoordinatorRequest>(Hex("00 02 'tx' 01"), 2);
  EXPECT_EQ(v2.key_type, kCoordinatorTransaction);
  FindCoordinatorResponse resp{0, ErrorCode::kNone, std::nullopt, 1, "h", 9092};
  EXPECT_EQ(ToHex(Encoded(resp, 0)), ToHex(Hex("00 00 00 00 00 01 00 01 'h' 00 00 23 84")));
  EXPECT_EQ(ToHex(Encoded(resp, 2)),
            ToHex(Hex("00 00 00 00 00 00 ff ff 00 00 00 01 00 01 'h' 00 00 23 84")));
}

TEST(GroupGolden, FindCoordinatorV3IsFlexible) {
  FindCoordinatorResponse resp{0, ErrorCode::kNone, std::nullopt, 1, "h", 9092};
  EXPECT_EQ(ToHex(Encoded(resp, 3)),
            ToHex(Hex("00 00 00 00  00 00  00  00 00 00 01  02 'h'  00 00 23 84  00")));
}

TEST(GroupGolden, JoinGroupV0RequestDecode) {
  auto req = DecodedExactly<JoinGroupRequest>(Hex(R"(
    00 01 'g'  00 00 27 10  00 00  00 08 'consumer'
    00 00 00 01  00 05 'range'  00 00 00 02 'md'
  )"),
                                              0);
  EXPECT_EQ(req.group_id, "g");
  EXPECT_EQ(req.session_timeout_ms, 10000);
  EXPECT_EQ(req.rebalance_timeout_ms, -1);  // absent in v0
  EXPECT_EQ(req.member_id, "");
  EXPECT_EQ(req.protocols, (std::vector<JoinGroupRequest::Protocol>{{"range", "md"}}));
}

TEST(GroupGolden, JoinGroupV5ResponseEncode) {
  JoinGroupResponse resp{0, ErrorCode::kMemberIdRequired, -1, "", "", "c-1", {}};
  EXPECT_EQ(ToHex(Encoded(resp, 5)), ToHex(Hex(R"(
    00 00 00 00  00 4f  ff ff ff ff  00 00  00 00  00 03 'c-1'  00 00 00 00
  )")));
}

TEST(GroupGolden, SyncHeartbeatLeaveV3) {
  SyncGroupResponse sync{0, ErrorCode::kNone, "abc"};
  EXPECT_EQ(ToHex(Encoded(sync, 3)), ToHex(Hex("00 00 00 00 00 00 00 00 00 03 'abc'")));
  auto hb = DecodedExactly<HeartbeatRequest>(Hex("00 01 'g' 00 00 00 02 00 01 'm' ff ff"), 3);
  EXPECT_EQ(hb.generation_id, 2);
  EXPECT_EQ(hb.group_instance_id, std::nullopt);
  auto leave = DecodedExactly<LeaveGroupRequest>(Hex("00 01 'g' 00 00 00 01 00 01 'm' ff ff"), 3);
  EXPECT_EQ(leave.members, (std::vector<LeaveGroupRequest::Member>{{"m", std::nullopt}}));
  auto leave_v1 = DecodedExactly<LeaveGroupRequest>(Hex("00 01 'g' 00 01 'm'"), 1);
  EXPECT_EQ(leave_v1.member_id, "m");
}

TEST(GroupGolden, OffsetCommitV2RequestFromASimpleConsumer) {
  auto req = DecodedExactly<OffsetCommitRequest>(Hex(R"(
    00 01 'g'  ff ff ff ff  00 00           | generation -1, member ""
    ff ff ff ff ff ff ff ff                 | retention -1
    00 00 00 01 00 01 't' 00 00 00 01
      00 00 00 00  00 00 00 00 00 00 00 05  00 02 'md'
  )"),
                                                 2);
  EXPECT_EQ(req.generation_id, -1);
  EXPECT_EQ(req.retention_time_ms, -1);
  ASSERT_EQ(req.topics.size(), 1u);
  EXPECT_EQ(req.topics[0].partitions[0].committed_offset, 5);
  EXPECT_EQ(req.topics[0].partitions[0].committed_metadata, "md");
}

TEST(GroupGolden, OffsetFetchV6IsFlexible) {
  auto req = DecodedExactly<OffsetFetchRequest>(Hex(R"(
    02 'g'                  | compact group id
    02                      | one topic
      02 't'  03 00 00 00 00 00 00 00 01  00
    00                      | tags
  )"),
                                                6);
  ASSERT_TRUE(req.topics);
  EXPECT_EQ((*req.topics)[0].partition_indexes, (std::vector<int32_t>{0, 1}));
  auto all = DecodedExactly<OffsetFetchRequest>(Hex("02 'g' 00 01 00"), 7);
  EXPECT_EQ(all.topics, std::nullopt);
  EXPECT_TRUE(all.require_stable);

  OffsetFetchResponse resp;
  resp.topics = {{"t", {{0, -1, -1, "", ErrorCode::kNone}}}};
  EXPECT_EQ(ToHex(Encoded(resp, 6)), ToHex(Hex(R"(
    00 00 00 00
    02 02 't' 02
      00 00 00 00  ff ff ff ff ff ff ff ff  ff ff ff ff  01  00 00  00
      00
    00 00  00
  )")));
}

TEST(GroupGolden, OffsetFetchV1Response) {
  OffsetFetchResponse resp;
  resp.topics = {{"t", {{0, 9, -1, std::nullopt, ErrorCode::kNone}}}};
  EXPECT_EQ(ToHex(Encoded(resp, 1)), ToHex(Hex(R"(
    00 00 00 01 00 01 't' 00 00 00 01
      00 00 00 00  00 00 00 00 00 00 00 09  ff ff  00 00
  )")));
}

TEST(GroupGolden, ListGroupsV3AndV4) {
  EXPECT_TRUE(DecodedExactly<ListGroupsRequest>(Hex("00"), 3).states_filter.empty());
  EXPECT_EQ(DecodedExactly<ListGroupsRequest>(Hex("02 07 'Stable' 00"), 4).states_filter,
            std::vector<std::string>{"Stable"});
  ListGroupsResponse resp{0, ErrorCode::kNone, {{"g", "consumer", "Stable"}}};
  EXPECT_EQ(ToHex(Encoded(resp, 3)),
            ToHex(Hex("00 00 00 00  00 00  02 02 'g' 09 'consumer' 00  00")));
  EXPECT_EQ(ToHex(Encoded(resp, 4)),
            ToHex(Hex("00 00 00 00  00 00  02 02 'g' 09 'consumer' 07 'Stable' 00  00")));
}

TEST(GroupGolden, DescribeGroupsV0) {
  DescribeGroupsResponse resp;
  resp.groups = {
      {ErrorCode::kNone, "g", "Empty", "consumer", "", {}, kAuthorizedOperationsOmitted}};
  EXPECT_EQ(ToHex(Encoded(resp, 0)), ToHex(Hex(R"(
    00 00 00 01  00 00  00 01 'g'  00 05 'Empty'  00 08 'consumer'  00 00  00 00 00 00
  )")));
}

TEST(GroupGolden, DeleteGroupsAndOffsetDelete) {
  EXPECT_EQ(DecodedExactly<DeleteGroupsRequest>(Hex("00 00 00 01 00 01 'g'"), 1).group_names,
            std::vector<std::string>{"g"});
  OffsetDeleteResponse resp{ErrorCode::kNone, 0, {{"t", {{0, ErrorCode::kNone}}}}};
  EXPECT_EQ(ToHex(Encoded(resp, 0)), ToHex(Hex(R"(
    00 00  00 00 00 00  00 00 00 01 00 01 't' 00 00 00 01 00 00 00 00 00 00
  )")));
}

TEST(IdempotenceGolden, InitProducerIdV0AndV4) {
  auto v0 = DecodedExactly<InitProducerIdRequest>(Hex("ff ff 00 00 ea 60"), 0);
  EXPECT_EQ(v0.transactional_id, std::nullopt);
  EXPECT_EQ(v0.transaction_timeout_ms, 60000);
  auto v4 = DecodedExactly<InitProducerIdRequest>(
      Hex("00  00 00 ea 60  ff ff ff ff ff ff ff ff  ff ff  00"), 4);
  EXPECT_EQ(v4.transactional_id, std::nullopt);
  EXPECT_EQ(v4.producer_id, -1);
  EXPECT_EQ(v4.producer_epoch, -1);

  InitProducerIdResponse resp{0, ErrorCode::kNone, 1000, 0};
  EXPECT_EQ(ToHex(Encoded(resp, 0)), ToHex(Hex("00 00 00 00 00 00 00 00 00 00 00 00 03 e8 00 00")));
  std::string frame = EncodeResponseFrame(RequestHeader{22, 4, 7, "rdkafka"}, resp);
  EXPECT_EQ(ToHex(frame), ToHex(Hex(R"(
    00 00 00 16  00 00 00 07  00                  | size, correlation id, header tags
    00 00 00 00 00 00 00 00 00 00 00 00 03 e8 00 00
    00                                            | body tags
  )")));
}

TEST(AdminGolden, CreatePartitionsV0) {
  auto req = DecodedExactly<CreatePartitionsRequest>(
      Hex("00 00 00 01 00 01 't' 00 00 00 06 ff ff ff ff 00 00 75 30 00"), 0);
  EXPECT_EQ(req.topics[0].count, 6);
  EXPECT_EQ(req.topics[0].assignments, std::nullopt);
  CreatePartitionsResponse resp{0, {{"t", ErrorCode::kNone, std::nullopt}}};
  EXPECT_EQ(ToHex(Encoded(resp, 1)), ToHex(Hex("00 00 00 00 00 00 00 01 00 01 't' 00 00 ff ff")));
}

TEST(AdminGolden, DeleteRecordsV0) {
  auto req = DecodedExactly<DeleteRecordsRequest>(
      Hex("00 00 00 01 00 01 't' 00 00 00 01 00 00 00 00 00 00 00 00 00 00 00 0a 00 00 75 30"), 0);
  EXPECT_EQ(req.topics[0].partitions[0].offset, 10);
  DeleteRecordsResponse resp{0, {{"t", {{0, 10, ErrorCode::kNone}}}}};
  EXPECT_EQ(ToHex(Encoded(resp, 0)), ToHex(Hex(R"(
    00 00 00 00 00 00 00 01 00 01 't' 00 00 00 01 00 00 00 00 00 00 00 00 00 00 00 0a 00 00
  )")));
}

TEST(AdminGolden, AlterConfigsV0) {
  auto req = DecodedExactly<AlterConfigsRequest>(
      Hex("00 00 00 01 02 00 01 't' 00 00 00 01 00 02 'k1' 00 02 'v1' 00"), 0);
  EXPECT_EQ(req.resources[0].resource_type, ConfigResourceType::kTopic);
  EXPECT_EQ(req.resources[0].configs[0].value, "v1");
  AlterConfigsResponse resp{0, {{ErrorCode::kNone, std::nullopt, ConfigResourceType::kTopic, "t"}}};
  EXPECT_EQ(ToHex(Encoded(resp, 0)),
            ToHex(Hex("00 00 00 00 00 00 00 01 00 00 ff ff 02 00 01 't'")));
}

}  // namespace
}  // namespace corelog::kafka

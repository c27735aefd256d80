// Every message type at every version it supports: encode → decode →
// encode is byte-stable, decoding consumes exactly the body, every
// truncation is an error, and random bytes never crash the decoder.
#include <gtest/gtest.h>

#include <random>

#include "broker/kafka/messages.h"
#include "tests/kafka/samples.h"
#include "tests/kafka/test_util.h"

namespace corelog::kafka {
namespace {

template <class T>
class MessageCodec : public ::testing::Test {};

using MessageTypes = ::testing::Types<
    ApiVersionsRequest, ApiVersionsResponse, MetadataRequest, MetadataResponse, ProduceRequest,
    ProduceResponse, FetchRequest, FetchResponse, ListOffsetsRequest, ListOffsetsResponse,
    CreateTopicsRequest, CreateTopicsResponse, DeleteTopicsRequest, DeleteTopicsResponse,
    DescribeConfigsRequest, DescribeConfigsResponse, FindCoordinatorRequest,
    FindCoordinatorResponse, JoinGroupRequest, JoinGroupResponse, SyncGroupRequest,
    SyncGroupResponse, HeartbeatRequest, HeartbeatResponse, LeaveGroupRequest, LeaveGroupResponse,
    OffsetCommitRequest, OffsetCommitResponse, OffsetFetchRequest, OffsetFetchResponse,
    DescribeGroupsRequest, DescribeGroupsResponse, ListGroupsRequest, ListGroupsResponse,
    DeleteGroupsRequest, DeleteGroupsResponse, OffsetDeleteRequest, OffsetDeleteResponse,
    InitProducerIdRequest, InitProducerIdResponse, CreatePartitionsRequest,
    CreatePartitionsResponse, DeleteRecordsRequest, DeleteRecordsResponse, AlterConfigsRequest,
    AlterConfigsResponse>;
TYPED_TEST_SUITE(MessageCodec, MessageTypes);

template <class T>
std::string Encoded(const T& m, int16_t version) {
  std::string out;
  Writer w(&out);
  m.Encode(w, version);
  return out;
}

TYPED_TEST(MessageCodec, EncodeDecodeEncodeIsByteStable) {
  const TypeParam sample = testing::Sample<TypeParam>();
  for (int16_t v = TypeParam::kMinVersion; v <= TypeParam::kMaxVersion; ++v) {
    std::string bytes = Encoded(sample, v);
    Reader r(bytes);
    auto decoded = TypeParam::Decode(r, v);
    ASSERT_TRUE(decoded) << "v" << v << ": " << decoded.error().message();
    EXPECT_EQ(r.remaining(), 0u) << "v" << v;
    EXPECT_EQ(testing::ToHex(Encoded(*decoded, v)), testing::ToHex(bytes)) << "v" << v;
  }
}

TYPED_TEST(MessageCodec, MaxVersionKeepsEveryField) {
  const TypeParam sample = testing::Sample<TypeParam>();
  std::string bytes = Encoded(sample, TypeParam::kMaxVersion);
  Reader r(bytes);
  auto decoded = TypeParam::Decode(r, TypeParam::kMaxVersion);
  ASSERT_TRUE(decoded);
  TypeParam expected = sample;
  testing::ClearFieldsAbsentAtMax(expected);
  EXPECT_TRUE(*decoded == expected);
}

TYPED_TEST(MessageCodec, EveryTruncationIsAnError) {
  const TypeParam sample = testing::Sample<TypeParam>();
  for (int16_t v = TypeParam::kMinVersion; v <= TypeParam::kMaxVersion; ++v) {
    std::string bytes = Encoded(sample, v);
    for (size_t n = 0; n < bytes.size(); ++n) {
      std::string prefix = bytes.substr(0, n);  // own allocation, so ASan sees overreads
      Reader r(prefix);
      auto decoded = TypeParam::Decode(r, v);
      EXPECT_FALSE(decoded) << "v" << v << " prefix " << n;
      if (!decoded) {
        EXPECT_EQ(ToErrorCode(decoded.error()), ErrorCode::kInvalidRequest);
      }
    }
  }
}

TYPED_TEST(MessageCodec, RandomBytesNeverCrash) {
  const uint32_t seed = std::random_device{}();
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937 rng(seed);
  const TypeParam sample = testing::Sample<TypeParam>();
  for (int16_t v = TypeParam::kMinVersion; v <= TypeParam::kMaxVersion; ++v) {
    std::string bytes = Encoded(sample, v);
    for (int i = 0; i < 200; ++i) {
      std::string mutated = bytes;
      int flips = 1 + static_cast<int>(rng() % 4);
      for (int f = 0; f < flips && !mutated.empty(); ++f) {
        mutated[rng() % mutated.size()] = static_cast<char>(rng());
      }
      Reader r(mutated);
      (void)TypeParam::Decode(r, v);  // any outcome but a crash is fine
      EXPECT_LE(r.position(), mutated.size());
    }
  }
}

TYPED_TEST(MessageCodec, VersionsOutsideTheCodecAreRejected) {
  std::string empty;
  Reader r(empty);
  auto below = TypeParam::Decode(r, static_cast<int16_t>(TypeParam::kMinVersion - 1));
  ASSERT_FALSE(below);
  EXPECT_EQ(ToErrorCode(below.error()), ErrorCode::kUnsupportedVersion);
  auto above = TypeParam::Decode(r, static_cast<int16_t>(TypeParam::kMaxVersion + 1));
  ASSERT_FALSE(above);
  EXPECT_EQ(ToErrorCode(above.error()), ErrorCode::kUnsupportedVersion);
}

}  // namespace
}  // namespace corelog::kafka

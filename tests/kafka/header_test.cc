#include "broker/kafka/header.h"

#include <gtest/gtest.h>

#include "broker/kafka/messages.h"
#include "tests/kafka/test_util.h"

namespace corelog::kafka {
namespace {

using testing::Hex;
using testing::ToHex;

TEST(Header, NonFlexibleRequestUsesHeaderV1) {
  std::string frame = Hex(R"(
    00 03 00 01   | Metadata v1
    00 00 00 07   | correlation id
    00 02 'py'    | client id
    ff ff ff ff   | body: null topic list
  )");
  auto parsed = ParseRequestFrame(frame);
  ASSERT_TRUE(parsed) << parsed.error().message();
  EXPECT_EQ(parsed->header, (RequestHeader{3, 1, 7, "py"}));
  EXPECT_EQ(ToHex(parsed->body), "ff ff ff ff");
}

TEST(Header, FlexibleRequestHeaderKeepsAClassicClientIdAndAddsTags) {
  // librdkafka's first request: ApiVersions v3.
  std::string frame = Hex(R"(
    00 12 00 03 00 00 00 01
    00 07 'rdkafka'          | int16 length, not compact
    00                       | header tags
    0b 'librdkafka'          | compact client_software_name
    06 '2.0.2'
    00                       | body tags
  )");
  auto parsed = ParseRequestFrame(frame);
  ASSERT_TRUE(parsed) << parsed.error().message();
  EXPECT_EQ(parsed->header.client_id, "rdkafka");
  Reader body(parsed->body);
  auto req = ApiVersionsRequest::Decode(body, 3);
  ASSERT_TRUE(req) << req.error().message();
  EXPECT_EQ(req->client_software_name, "librdkafka");
  EXPECT_EQ(req->client_software_version, "2.0.2");
  EXPECT_EQ(body.remaining(), 0u);
}

TEST(Header, NullClientId) {
  std::string frame = Hex("00 00 00 07 00 00 00 2a ff ff");
  auto parsed = ParseRequestFrame(frame);
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->header.client_id, std::nullopt);
  EXPECT_EQ(parsed->header.correlation_id, 42);
  EXPECT_TRUE(parsed->body.empty());
}

TEST(Header, TruncatedHeaderIsAnErrorAtEveryLength) {
  std::string frame = Hex("00 12 00 03 00 00 00 01 00 07 'rdkafka' 00");
  for (size_t n = 0; n < frame.size(); ++n) {
    EXPECT_FALSE(ParseRequestFrame(std::string_view(frame).substr(0, n))) << n;
  }
  EXPECT_TRUE(ParseRequestFrame(frame));
}

TEST(Header, ResponseHeaderVersions) {
  EXPECT_EQ(ResponseHeaderVersion(18, 0), 0);
  EXPECT_EQ(ResponseHeaderVersion(18, 3), 0);  // KIP-511: always v0
  EXPECT_EQ(ResponseHeaderVersion(18, 4), 0);
  EXPECT_EQ(ResponseHeaderVersion(3, 8), 0);
  EXPECT_EQ(ResponseHeaderVersion(9, 6), 1);
  EXPECT_EQ(ResponseHeaderVersion(22, 4), 1);
  EXPECT_EQ(RequestHeaderVersion(18, 3), 2);
  EXPECT_EQ(RequestHeaderVersion(18, 2), 1);
  EXPECT_EQ(RequestHeaderVersion(9, 7), 2);
}

TEST(Header, RequestFrameRoundTrip) {
  MetadataRequest req;
  req.topics = std::vector<std::string>{"a"};
  std::string frame = EncodeRequestFrame(4, 9, "me", req);
  EXPECT_EQ(FrameSize(frame), static_cast<int32_t>(frame.size() - 4));
  auto parsed = ParseRequestFrame(std::string_view(frame).substr(4));
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->header, (RequestHeader{3, 4, 9, "me"}));
  Reader body(parsed->body);
  auto decoded = MetadataRequest::Decode(body, 4);
  ASSERT_TRUE(decoded);
  EXPECT_EQ(*decoded, req);
}

struct OneByteBody {
  static constexpr ApiKey kApiKey = ApiKey::kInitProducerId;
  void Encode(Writer& w, int16_t) const { w.Int8(0x7f); }
};

TEST(Header, FlexibleResponseFrameHasATagByte) {
  RequestHeader req{22, 4, 5, "x"};  // InitProducerId v4: flexible
  EXPECT_EQ(ToHex(EncodeResponseFrame(req, OneByteBody{})), "00 00 00 06 00 00 00 05 00 7f");
}

TEST(Header, ResponseFrameDecodesWhatTheBrokerEncodes) {
  MetadataResponse resp;
  resp.controller_id = 1;
  resp.brokers = {{1, "h", 9092, std::nullopt}};
  std::string frame = EncodeResponseFrame(RequestHeader{3, 8, 77, "x"}, resp);
  auto decoded = DecodeResponseFrame<MetadataResponse>(std::string_view(frame).substr(4), 8);
  ASSERT_TRUE(decoded) << decoded.error().message();
  EXPECT_EQ(decoded->correlation_id, 77);
  EXPECT_EQ(decoded->body, resp);
}

// A fetch response's frame is sized once, up front: at every version the
// buffer keeps exactly the capacity reserved for it, which it would have
// outgrown had the bound been too small.
TEST(Header, AFetchResponseFrameIsSizedOnceAtEveryVersion) {
  FetchResponse resp;
  resp.session_id = 3;
  for (int t = 0; t < 3; ++t) {
    auto& topic = resp.topics.emplace_back();
    topic.name = std::string(5 + 40 * t, 'n');
    for (int p = 0; p < 4; ++p) {
      FetchResponse::Partition part;
      part.partition_index = p;
      part.records = std::string(static_cast<size_t>(1 + 3000 * p * t), 'r');
      if (p == 2) part.aborted_transactions = std::vector<FetchResponse::AbortedTransaction>(3);
      topic.partitions.push_back(std::move(part));
    }
  }
  for (int16_t v = FetchResponse::kMinVersion; v <= FetchResponse::kMaxVersion; ++v) {
    SCOPED_TRACE(v);
    std::string frame = EncodeResponseFrame(RequestHeader{1, v, 5, "x"}, resp);
    EXPECT_EQ(frame.capacity(), kMaxResponseHeaderSize + resp.EncodedSizeBound());
    auto decoded = DecodeResponseFrame<FetchResponse>(std::string_view(frame).substr(4), v);
    ASSERT_TRUE(decoded) << decoded.error().message();
    EXPECT_EQ(decoded->body.topics.size(), 3u);
  }
}

// Sent in place, a fetch response's record batches stay in the response:
// the frame holds only the fields around them, its size prefix counts
// them, and joined with them it is the frame the copying encoder makes.
TEST(Header, AFetchResponseSentInPlaceIsTheSameFrame) {
  FetchResponse resp;
  auto& topic = resp.topics.emplace_back();
  topic.name = "t";
  for (int p = 0; p < 3; ++p) {
    FetchResponse::Partition part;
    part.partition_index = p;
    part.records = std::string(p == 1 ? 10 : 100000, static_cast<char>('a' + p));
    topic.partitions.push_back(std::move(part));
  }
  const RequestHeader req{1, 11, 9, "x"};
  std::vector<Splice> splices;
  std::string frame = EncodeResponseFrame(req, resp, &splices);
  ASSERT_EQ(splices.size(), 2u);
  EXPECT_EQ(splices[0].bytes.data(), resp.topics[0].partitions[0].records.data());
  EXPECT_LT(frame.size(), 1000u);
  EXPECT_EQ(JoinSplices(frame, splices), EncodeResponseFrame(req, resp));
}

TEST(Header, ApiVersionsFallbackDecodesAsV0) {
  auto fallback = ApiVersionsResponse::UnsupportedVersion();
  std::string frame = EncodeResponseFrame(RequestHeader{18, 3, 1, "x"}, fallback);
  // Pretend the client sent v3 and the broker answered with the v0 error.
  std::string v0_frame = EncodeResponseFrame(RequestHeader{18, 9, 1, "x"}, fallback);
  auto decoded = DecodeResponseFrame<ApiVersionsResponse>(std::string_view(v0_frame).substr(4), 3);
  ASSERT_TRUE(decoded) << decoded.error().message();
  EXPECT_EQ(decoded->body.error_code, ErrorCode::kUnsupportedVersion);
  EXPECT_EQ(decoded->body.api_keys, fallback.api_keys);
  EXPECT_NE(frame, v0_frame);
}

}  // namespace
}  // namespace corelog::kafka

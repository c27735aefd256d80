// Golden bytes, assembled by hand from the Kafka message schemas, for the
// broker-slice APIs: what we send must be byte-exact, and what clients send
// must decode to the fields they meant.
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

bool MetadataOrApiVersions(const ApiInfo& a) {
  return a.key == ApiKey::kApiVersions || a.key == ApiKey::kMetadata;
}

TEST(Golden, ApiVersionsV0ResponseFrame) {
  auto resp = ApiVersionsResponse::FromTable(MetadataOrApiVersions);
  std::string frame = EncodeResponseFrame(RequestHeader{18, 0, 1, "p"}, resp);
  EXPECT_EQ(ToHex(frame), ToHex(Hex(R"(
    00 00 00 16          | size
    00 00 00 01          | correlation id
    00 00                | error
    00 00 00 02          | api count
    00 03 00 00 00 08    | Metadata 0-8
    00 12 00 00 00 03    | ApiVersions 0-3
  )")));
}

TEST(Golden, ApiVersionsV3ResponseFrameHasNoHeaderTags) {
  auto resp = ApiVersionsResponse::FromTable(MetadataOrApiVersions);
  std::string frame = EncodeResponseFrame(RequestHeader{18, 3, 1, "rdkafka"}, resp);
  EXPECT_EQ(ToHex(frame), ToHex(Hex(R"(
    00 00 00 1a          | size
    00 00 00 01          | correlation id, header v0: no tag byte
    00 00                | error
    03                   | compact count 2
    00 03 00 00 00 08 00 | Metadata 0-8, tags
    00 12 00 00 00 03 00 | ApiVersions 0-3, tags
    00 00 00 00          | throttle
    00                   | tags
  )")));
}

TEST(Golden, ApiVersionsAboveMaxGetsTheV0Fallback) {
  auto resp = ApiVersionsResponse::UnsupportedVersion(
      [](const ApiInfo& a) { return a.key == ApiKey::kApiVersions; });
  std::string frame = EncodeResponseFrame(RequestHeader{18, 4, 2, "java"}, resp);
  EXPECT_EQ(ToHex(frame), ToHex(Hex(R"(
    00 00 00 10 00 00 00 02
    00 23                | UNSUPPORTED_VERSION
    00 00 00 01 00 12 00 00 00 03
  )")));
}

TEST(Golden, ApiVersionsV2ResponseHasThrottle) {
  ApiVersionsResponse resp;
  resp.api_keys = {{0, 3, 7}};
  EXPECT_EQ(ToHex(Encoded(resp, 2)),
            ToHex(Hex("00 00  00 00 00 01  00 00 00 03 00 07  00 00 00 00")));
}

TEST(Golden, ApiVersionsTableListsEveryApi) {
  auto all = ApiVersionsResponse::FromTable();
  EXPECT_EQ(all.api_keys.size(), AllApis().size());
  auto core =
      ApiVersionsResponse::FromTable([](const ApiInfo& a) { return a.family == ApiFamily::kCore; });
  EXPECT_EQ(core.api_keys.size(), 8u);
}

TEST(Golden, MetadataV0EmptyTopicListMeansAll) {
  auto req = DecodedExactly<MetadataRequest>(Hex("00 00 00 00"), 0);
  EXPECT_EQ(req.topics, std::nullopt);
  EXPECT_EQ(ToHex(Encoded(req, 0)), "00 00 00 00");
  auto v1_null = DecodedExactly<MetadataRequest>(Hex("ff ff ff ff"), 1);
  EXPECT_EQ(v1_null.topics, std::nullopt);
  auto v1_empty = DecodedExactly<MetadataRequest>(Hex("00 00 00 00"), 1);
  EXPECT_EQ(v1_empty.topics, std::vector<std::string>{});
}

TEST(Golden, MetadataV4RequestCarriesAutoCreate) {
  auto req = DecodedExactly<MetadataRequest>(Hex("00 00 00 01 00 03 'foo' 00"), 4);
  EXPECT_EQ(req.topics, std::vector<std::string>{"foo"});
  EXPECT_FALSE(req.allow_auto_topic_creation);
}

MetadataResponse SampleMetadata() {
  MetadataResponse m;
  m.brokers = {{1, "h", 9092, std::nullopt}};
  m.cluster_id = "cid";
  m.controller_id = 1;
  MetadataResponse::Topic t;
  t.name = "t";
  t.partitions = {{ErrorCode::kNone, 0, 1, 0, {1}, {1}, {}}};
  m.topics = {t};
  return m;
}

TEST(Golden, MetadataV0Response) {
  EXPECT_EQ(ToHex(Encoded(SampleMetadata(), 0)), ToHex(Hex(R"(
    00 00 00 01  00 00 00 01  00 01 'h'  00 00 23 84   | brokers
    00 00 00 01                                        | topics
      00 00  00 01 't'
      00 00 00 01                                      | partitions
        00 00  00 00 00 00  00 00 00 01                | error, index, leader
        00 00 00 01 00 00 00 01                        | replicas
        00 00 00 01 00 00 00 01                        | isr
  )")));
}

TEST(Golden, MetadataV1Response) {
  EXPECT_EQ(ToHex(Encoded(SampleMetadata(), 1)), ToHex(Hex(R"(
    00 00 00 01  00 00 00 01  00 01 'h'  00 00 23 84  ff ff  | broker with null rack
    00 00 00 01                                              | controller id
    00 00 00 01
      00 00  00 01 't'  00                                   | is_internal
      00 00 00 01
        00 00  00 00 00 00  00 00 00 01
        00 00 00 01 00 00 00 01
        00 00 00 01 00 00 00 01
  )")));
}

TEST(Golden, MetadataV8Response) {
  EXPECT_EQ(ToHex(Encoded(SampleMetadata(), 8)), ToHex(Hex(R"(
    00 00 00 00                                              | throttle
    00 00 00 01  00 00 00 01  00 01 'h'  00 00 23 84  ff ff
    00 03 'cid'                                              | cluster id
    00 00 00 01
    00 00 00 01
      00 00  00 01 't'  00
      00 00 00 01
        00 00  00 00 00 00  00 00 00 01
        00 00 00 00                                          | leader epoch
        00 00 00 01 00 00 00 01
        00 00 00 01 00 00 00 01
        00 00 00 00                                          | offline replicas
      80 00 00 00                                            | topic authorized ops
    80 00 00 00                                              | cluster authorized ops
  )")));
}

TEST(Golden, ProduceV3RequestDecode) {
  std::string body = Hex(R"(
    ff ff                    | transactional id null
    ff ff                    | acks -1
    00 00 75 30              | timeout 30000
    00 00 00 01  00 01 't'
      00 00 00 01
        00 00 00 02          | partition 2
        00 00 00 05 'abcde'  | records
  )");
  auto req = DecodedExactly<ProduceRequest>(body, 3);
  EXPECT_EQ(req.transactional_id, std::nullopt);
  EXPECT_EQ(req.acks, -1);
  EXPECT_EQ(req.timeout_ms, 30000);
  ASSERT_EQ(req.topics.size(), 1u);
  EXPECT_EQ(req.topics[0].name, "t");
  ASSERT_EQ(req.topics[0].partitions.size(), 1u);
  EXPECT_EQ(req.topics[0].partitions[0].partition_index, 2);
  EXPECT_EQ(req.topics[0].partitions[0].records, "abcde");
  // The records are a view into the request buffer, not a copy.
  EXPECT_EQ(req.topics[0].partitions[0].records.data(), body.data() + body.size() - 5);
}

TEST(Golden, ProduceV7RequestWithTransactionalId) {
  // The buffer outlives the request: its records are a view into it.
  const std::string body =
      Hex("00 02 'tx' 00 01 00 00 03 e8 00 00 00 01 00 01 'u' 00 00 00 01 00 00 00 00 "
          "00 00 00 01 'x'");
  auto req = DecodedExactly<ProduceRequest>(body, 7);
  EXPECT_EQ(req.transactional_id, "tx");
  EXPECT_EQ(req.acks, 1);
  EXPECT_EQ(req.timeout_ms, 1000);
  EXPECT_EQ(req.topics[0].partitions[0].records, "x");
}

TEST(Golden, ProduceResponseV3AndV5) {
  ProduceResponse resp;
  resp.topics = {{"t", {{0, ErrorCode::kNone, 42, -1, 7}}}};
  EXPECT_EQ(ToHex(Encoded(resp, 3)), ToHex(Hex(R"(
    00 00 00 01 00 01 't' 00 00 00 01
      00 00 00 00  00 00  00 00 00 00 00 00 00 2a  ff ff ff ff ff ff ff ff
    00 00 00 00
  )")));
  EXPECT_EQ(ToHex(Encoded(resp, 5)), ToHex(Hex(R"(
    00 00 00 01 00 01 't' 00 00 00 01
      00 00 00 00  00 00  00 00 00 00 00 00 00 2a  ff ff ff ff ff ff ff ff
      00 00 00 00 00 00 00 07                      | log start offset
    00 00 00 00
  )")));
}

TEST(Golden, FetchV4ResponseEncode) {
  FetchResponse resp;
  FetchResponse::Partition p;
  p.high_watermark = 10;
  p.last_stable_offset = 10;
  p.records = "RB";
  resp.topics = {{"t", {p}}};
  EXPECT_EQ(ToHex(Encoded(resp, 4)), ToHex(Hex(R"(
    00 00 00 00                        | throttle
    00 00 00 01 00 01 't' 00 00 00 01
      00 00 00 00  00 00               | partition 0, no error
      00 00 00 00 00 00 00 0a          | high watermark
      00 00 00 00 00 00 00 0a          | last stable offset
      ff ff ff ff                      | aborted transactions: null
      00 00 00 02 'RB'
  )")));
}

TEST(Golden, FetchV11ResponseEncode) {
  FetchResponse resp;
  FetchResponse::Partition p;
  p.high_watermark = 10;
  p.last_stable_offset = 4;
  p.log_start_offset = 0;
  p.aborted_transactions = std::vector<FetchResponse::AbortedTransaction>{{5, 3}};
  resp.topics = {{"t", {p}}};
  EXPECT_EQ(ToHex(Encoded(resp, 11)), ToHex(Hex(R"(
    00 00 00 00  00 00  00 00 00 00    | throttle, error, session id
    00 00 00 01 00 01 't' 00 00 00 01
      00 00 00 00  00 00
      00 00 00 00 00 00 00 0a
      00 00 00 00 00 00 00 04
      00 00 00 00 00 00 00 00          | log start offset
      00 00 00 01                      | one aborted transaction
        00 00 00 00 00 00 00 05  00 00 00 00 00 00 00 03
      ff ff ff ff                      | preferred read replica -1
      00 00 00 00                      | no records
  )")));
}

TEST(Golden, FetchV4RequestDecode) {
  auto req = DecodedExactly<FetchRequest>(Hex(R"(
    ff ff ff ff  00 00 01 f4  00 00 00 01  03 20 00 00  01   | replica, wait, min, max, read_committed
    00 00 00 01 00 01 't'
      00 00 00 01  00 00 00 03  00 00 00 00 00 00 00 64  00 10 00 00
  )"),
                                          4);
  EXPECT_EQ(req.max_wait_ms, 500);
  EXPECT_EQ(req.max_bytes, 52428800);
  EXPECT_EQ(req.isolation_level, 1);
  EXPECT_EQ(req.topics[0].partitions[0].partition_index, 3);
  EXPECT_EQ(req.topics[0].partitions[0].fetch_offset, 100);
  EXPECT_EQ(req.topics[0].partitions[0].partition_max_bytes, 1048576);
}

TEST(Golden, FetchV11RequestDecode) {
  auto req = DecodedExactly<FetchRequest>(Hex(R"(
    ff ff ff ff  00 00 01 f4  00 00 00 01  03 20 00 00  00
    00 00 00 00  ff ff ff ff                                  | session id 0, epoch -1
    00 00 00 01 00 01 't'
      00 00 00 01
        00 00 00 00  ff ff ff ff                              | partition 0, leader epoch -1
        00 00 00 00 00 00 00 00  ff ff ff ff ff ff ff ff      | offset 0, log start -1
        00 10 00 00
    00 00 00 01 00 01 'o' 00 00 00 01 00 00 00 02             | forgotten o/2
    00 02 'r1'                                                | rack
  )"),
                                          11);
  EXPECT_EQ(req.session_epoch, -1);
  EXPECT_EQ(req.forgotten_topics, (std::vector<FetchRequest::ForgottenTopic>{{"o", {2}}}));
  EXPECT_EQ(req.rack_id, "r1");
}

TEST(Golden, ListOffsetsV1RequestAndResponse) {
  auto req = DecodedExactly<ListOffsetsRequest>(
      Hex("ff ff ff ff 00 00 00 01 00 01 't' 00 00 00 01 00 00 00 00 ff ff ff ff ff ff ff fe"), 1);
  EXPECT_EQ(req.topics[0].partitions[0].timestamp, kListOffsetsEarliest);
  ListOffsetsResponse resp;
  resp.topics = {{"t", {{0, ErrorCode::kNone, {}, -1, 12, -1}}}};
  EXPECT_EQ(ToHex(Encoded(resp, 1)), ToHex(Hex(R"(
    00 00 00 01 00 01 't' 00 00 00 01
      00 00 00 00 00 00  ff ff ff ff ff ff ff ff  00 00 00 00 00 00 00 0c
  )")));
}

TEST(Golden, CreateTopicsV0Request) {
  auto req = DecodedExactly<CreateTopicsRequest>(Hex(R"(
    00 00 00 01 00 01 'n'  00 00 00 04  00 01
      00 00 00 00                                   | no assignments
      00 00 00 01 00 0e 'cleanup.policy' 00 07 'compact'
    00 00 75 30
  )"),
                                                 0);
  ASSERT_EQ(req.topics.size(), 1u);
  EXPECT_EQ(req.topics[0].num_partitions, 4);
  EXPECT_EQ(req.topics[0].replication_factor, 1);
  EXPECT_EQ(req.topics[0].configs[0].value, "compact");
  EXPECT_EQ(req.timeout_ms, 30000);
}

TEST(Golden, DeleteTopicsV1Response) {
  DeleteTopicsResponse resp;
  resp.topics = {{"t", ErrorCode::kUnknownTopicOrPartition}};
  EXPECT_EQ(ToHex(Encoded(resp, 1)), ToHex(Hex("00 00 00 00 00 00 00 01 00 01 't' 00 03")));
}

TEST(Golden, DescribeConfigsV1Response) {
  DescribeConfigsResponse resp;
  DescribeConfigsResponse::ResourceResult res;
  res.resource_type = ConfigResourceType::kTopic;
  res.resource_name = "t";
  res.configs = {{"retention.ms",
                  "1",
                  false,
                  false,
                  ConfigSource::kDefaultConfig,
                  false,
                  {},
                  0,
                  std::nullopt}};
  resp.results = {res};
  EXPECT_EQ(ToHex(Encoded(resp, 1)), ToHex(Hex(R"(
    00 00 00 00  00 00 00 01
      00 00  ff ff  02  00 01 't'
      00 00 00 01
        00 0c 'retention.ms'  00 01 '1'  00  05  00  00 00 00 00
  )")));
}

}  // namespace
}  // namespace corelog::kafka

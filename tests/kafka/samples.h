// A populated instance of each message type, every optional field set, for
// round-trip and malformed-input tests.
#pragma once

#include "broker/kafka/messages.h"

namespace corelog::kafka::testing {

template <class T>
T Sample();

template <>
inline ApiVersionsRequest Sample() {
  return {"librdkafka", "2.0.2"};
}

template <>
inline ApiVersionsResponse Sample() {
  ApiVersionsResponse m = ApiVersionsResponse::FromTable();
  m.throttle_time_ms = 3;
  return m;
}

template <>
inline MetadataRequest Sample() {
  return {std::vector<std::string>{"a", "bb"}, false, true, true};
}

template <>
inline MetadataResponse Sample() {
  MetadataResponse m;
  m.throttle_time_ms = 1;
  m.brokers = {{1, "host1", 9092, "rack"}, {2, "host2", 9093, std::nullopt}};
  m.cluster_id = "cluster";
  m.controller_id = 1;
  m.topics = {{ErrorCode::kNone,
               "t",
               true,
               {{ErrorCode::kLeaderNotAvailable, 3, 1, 4, {1, 2}, {1}, {2}}},
               5},
              {ErrorCode::kUnknownTopicOrPartition, "u", false, {}, 6}};
  m.cluster_authorized_operations = 7;
  return m;
}

template <>
inline ProduceRequest Sample() {
  return {"txn", 1, 1500, {{"t", {{0, "batch-bytes"}, {1, "more"}}}, {"u", {}}}};
}

template <>
inline ProduceResponse Sample() {
  return {{{"t", {{0, ErrorCode::kNone, 10, 1234, 5}, {1, ErrorCode::kInvalidRecord, -1, -1, 0}}}},
          9};
}

template <>
inline FetchRequest Sample() {
  FetchRequest m;
  m.replica_id = -1;
  m.max_wait_ms = 500;
  m.min_bytes = 1;
  m.max_bytes = 1 << 20;
  m.isolation_level = 1;
  m.session_id = 12;
  m.session_epoch = 3;
  m.topics = {{"t", {{0, 2, 100, 5, 4096}, {1, 2, 7, 0, 4096}}}};
  m.forgotten_topics = {{"old", {0, 1}}};
  m.rack_id = "r";
  return m;
}

template <>
inline FetchResponse Sample() {
  FetchResponse m;
  m.throttle_time_ms = 1;
  m.error_code = ErrorCode::kNone;
  m.session_id = 12;
  FetchResponse::Partition p{0, ErrorCode::kNone, 10, 8, 1, std::nullopt, -1, "records"};
  FetchResponse::Partition q{1,  ErrorCode::kOffsetOutOfRange,
                             10, 10,
                             0,  std::vector<FetchResponse::AbortedTransaction>{{7, 2}},
                             -1, ""};
  m.topics = {{"t", {p, q}}};
  return m;
}

template <>
inline ListOffsetsRequest Sample() {
  return {-1, 1, {{"t", {{0, 3, kListOffsetsEarliest, 1}, {1, 3, 1700000000000, 1}}}}};
}

template <>
inline ListOffsetsResponse Sample() {
  return {4, {{"t", {{0, ErrorCode::kNone, {5}, 1700000000000, 42, 3}}}}};
}

template <>
inline CreateTopicsRequest Sample() {
  CreateTopicsRequest m;
  m.topics = {{"t", 4, 1, {{0, {1}}}, {{"cleanup.policy", "compact"}, {"x", std::nullopt}}},
              {"u", -1, -1, {}, {}}};
  m.timeout_ms = 1000;
  m.validate_only = true;
  return m;
}

template <>
inline CreateTopicsResponse Sample() {
  return {2, {{"t", ErrorCode::kTopicAlreadyExists, "exists"}, {"u", ErrorCode::kNone, {}}}};
}

template <>
inline DeleteTopicsRequest Sample() {
  return {{"a", "b"}, 5000};
}

template <>
inline DeleteTopicsResponse Sample() {
  return {1, {{"a", ErrorCode::kNone}, {"b", ErrorCode::kUnknownTopicOrPartition}}};
}

template <>
inline DescribeConfigsRequest Sample() {
  DescribeConfigsRequest m;
  m.resources = {{ConfigResourceType::kTopic, "t", std::vector<std::string>{"retention.ms"}},
                 {ConfigResourceType::kBroker, "1", std::nullopt}};
  m.include_synonyms = true;
  m.include_documentation = true;
  return m;
}

template <>
inline DescribeConfigsResponse Sample() {
  DescribeConfigsResponse m;
  m.throttle_time_ms = 1;
  DescribeConfigsResponse::Config c{"retention.ms",
                                    "1000",
                                    false,
                                    true,
                                    ConfigSource::kDynamicTopicConfig,
                                    false,
                                    {{"retention.ms", "1000", ConfigSource::kDynamicTopicConfig}},
                                    5,
                                    "how long"};
  m.results = {
      {ErrorCode::kNone, std::nullopt, ConfigResourceType::kTopic, "t", {c}},
      {ErrorCode::kUnknownTopicOrPartition, "no such topic", ConfigResourceType::kTopic, "u", {}}};
  return m;
}

template <>
inline FindCoordinatorRequest Sample() {
  return {"group", kCoordinatorTransaction};
}

template <>
inline FindCoordinatorResponse Sample() {
  return {1, ErrorCode::kCoordinatorNotAvailable, "loading", 1, "localhost", 9092};
}

template <>
inline JoinGroupRequest Sample() {
  return {"g", 45000, 300000, "m-1", "instance", "consumer", {{"range", "meta"}, {"rr", ""}}};
}

template <>
inline JoinGroupResponse Sample() {
  return {1,
          ErrorCode::kNone,
          3,
          "range",
          "m-1",
          "m-1",
          {{"m-1", "instance", "meta"}, {"m-2", std::nullopt, "x"}}};
}

template <>
inline SyncGroupRequest Sample() {
  return {"g", 3, "m-1", "instance", {{"m-1", "assign-1"}, {"m-2", ""}}};
}

template <>
inline SyncGroupResponse Sample() {
  return {1, ErrorCode::kRebalanceInProgress, "assign"};
}

template <>
inline HeartbeatRequest Sample() {
  return {"g", 3, "m-1", "instance"};
}

template <>
inline HeartbeatResponse Sample() {
  return {1, ErrorCode::kIllegalGeneration};
}

template <>
inline LeaveGroupRequest Sample() {
  return {"g", "m-1", {{"m-1", std::nullopt}, {"m-2", "instance"}}};
}

template <>
inline LeaveGroupResponse Sample() {
  return {1, ErrorCode::kNone, {{"m-1", std::nullopt, ErrorCode::kUnknownMemberId}}};
}

template <>
inline OffsetCommitRequest Sample() {
  return {"g",        3,        "m-1",
          "instance", 86400000, {{"t", {{0, 42, 1, "meta"}, {1, 7, -1, std::nullopt}}}}};
}

template <>
inline OffsetCommitResponse Sample() {
  return {1, {{"t", {{0, ErrorCode::kNone}, {1, ErrorCode::kOffsetMetadataTooLarge}}}}};
}

template <>
inline OffsetFetchRequest Sample() {
  return {"g", std::vector<OffsetFetchRequest::Topic>{{"t", {0, 1}}}, true};
}

template <>
inline OffsetFetchResponse Sample() {
  return {
      1,
      {{"t", {{0, 42, 2, "meta", ErrorCode::kNone}, {1, -1, -1, std::nullopt, ErrorCode::kNone}}}},
      ErrorCode::kCoordinatorLoadInProgress};
}

template <>
inline DescribeGroupsRequest Sample() {
  return {{"g", "h"}, true};
}

template <>
inline DescribeGroupsResponse Sample() {
  DescribeGroupsResponse::Group g{ErrorCode::kNone,
                                  "g",
                                  "Stable",
                                  "consumer",
                                  "range",
                                  {{"m-1", "inst", "client", "/127.0.0.1", "meta", "assign"}},
                                  8};
  return {1, {g}};
}

template <>
inline ListGroupsRequest Sample() {
  return {{"Stable", "Empty"}};
}

template <>
inline ListGroupsResponse Sample() {
  return {1, ErrorCode::kNone, {{"g", "consumer", "Stable"}, {"h", "", "Empty"}}};
}

template <>
inline DeleteGroupsRequest Sample() {
  return {{"g", "h"}};
}

template <>
inline DeleteGroupsResponse Sample() {
  return {1, {{"g", ErrorCode::kNone}, {"h", ErrorCode::kNonEmptyGroup}}};
}

template <>
inline OffsetDeleteRequest Sample() {
  return {"g", {{"t", {0, 1}}}};
}

template <>
inline OffsetDeleteResponse Sample() {
  return {ErrorCode::kNone,
          1,
          {{"t", {{0, ErrorCode::kNone}, {1, ErrorCode::kGroupSubscribedToTopic}}}}};
}

template <>
inline InitProducerIdRequest Sample() {
  return {"txn", 60000, 1000, 3};
}

template <>
inline InitProducerIdResponse Sample() {
  return {1, ErrorCode::kNone, 1000, 4};
}

template <>
inline CreatePartitionsRequest Sample() {
  return {{{"t", 6, std::vector<CreatePartitionsRequest::Assignment>{{{1}}, {{1}}}},
           {"u", 2, std::nullopt}},
          1000,
          true};
}

template <>
inline CreatePartitionsResponse Sample() {
  return {1, {{"t", ErrorCode::kNone, std::nullopt}, {"u", ErrorCode::kInvalidPartitions, "few"}}};
}

template <>
inline DeleteRecordsRequest Sample() {
  return {{{"t", {{0, 10}, {1, -1}}}}, 1000};
}

template <>
inline DeleteRecordsResponse Sample() {
  return {1, {{"t", {{0, 10, ErrorCode::kNone}, {1, -1, ErrorCode::kOffsetOutOfRange}}}}};
}

template <>
inline AlterConfigsRequest Sample() {
  return {{{ConfigResourceType::kTopic, "t", {{"retention.ms", "1000"}, {"x", std::nullopt}}}},
          true};
}

template <>
inline AlterConfigsResponse Sample() {
  return {1, {{ErrorCode::kInvalidConfig, "bad", ConfigResourceType::kTopic, "t"}}};
}

// Clears the sample's fields that its type's highest version doesn't carry,
// so a max-version round trip can compare whole structs.
template <class T>
void ClearFieldsAbsentAtMax(T&) {}

inline void ClearFieldsAbsentAtMax(ListOffsetsResponse& m) {
  for (auto& t : m.topics) {
    for (auto& p : t.partitions) p.old_style_offsets.clear();
  }
}

inline void ClearFieldsAbsentAtMax(LeaveGroupRequest& m) { m.member_id.clear(); }

inline void ClearFieldsAbsentAtMax(OffsetCommitRequest& m) { m.retention_time_ms = -1; }

inline void ClearFieldsAbsentAtMax(DescribeConfigsResponse& m) {
  for (auto& res : m.results) {
    for (auto& c : res.configs) c.is_default = false;
  }
}

}  // namespace corelog::kafka::testing

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
  m.topics = {{ErrorCode::kNone, "t", true, {{ErrorCode::kLeaderNotAvailable, 3, 1, 4, {1, 2}, {1}, {2}}}, 5},
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
  FetchResponse::Partition q{1, ErrorCode::kOffsetOutOfRange, 10, 10, 0,
                             std::vector<FetchResponse::AbortedTransaction>{{7, 2}}, -1, ""};
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
  DescribeConfigsResponse::Config c{"retention.ms", "1000", false, true,
                                    ConfigSource::kDynamicTopicConfig, false,
                                    {{"retention.ms", "1000", ConfigSource::kDynamicTopicConfig}},
                                    5, "how long"};
  m.results = {{ErrorCode::kNone, std::nullopt, ConfigResourceType::kTopic, "t", {c}},
               {ErrorCode::kUnknownTopicOrPartition, "no such topic", ConfigResourceType::kTopic,
                "u", {}}};
  return m;
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

inline void ClearFieldsAbsentAtMax(DescribeConfigsResponse& m) {
  for (auto& res : m.results) {
    for (auto& c : res.configs) c.is_default = false;
  }
}

}  // namespace corelog::kafka::testing

// Request and response bodies of the Kafka APIs in api.h, as plain structs
// with a codec per direction: requests are decoded by the broker and encoded
// by tools and tests, responses the other way round. Field layouts per
// version follow apache/kafka's message schemas; a field that exists only in
// some versions is documented with them ("v3+") and is ignored (encode) or
// left at its default (decode) elsewhere. Nullable wire fields are
// std::optional.
//
// Naming: every per-topic struct has `name` and `partitions`, every
// per-partition struct has `partition_index`, whatever the schema calls them.
//
// The consumer-group APIs live in messages_group.h and InitProducerId plus
// the remaining admin APIs in messages_admin.h; this header includes both.
//
// Contract of every message type T:
//   static Result<T> Decode(Reader& r, int16_t version);
//   void Encode(Writer& w, int16_t version) const;
// Decode reads exactly one body and fails with INVALID_REQUEST on malformed
// input or UNSUPPORTED_VERSION for a version outside [kMinVersion,
// kMaxVersion]; it does not check that the reader is exhausted. Encode
// aborts on such a version (a caller bug). Records are kept as views into the
// decoded buffer where noted, so that buffer must outlive the struct.
#pragma once

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "broker/kafka/api.h"
#include "broker/kafka/errors.h"
#include "broker/kafka/message_types.h"
#include "broker/kafka/messages_admin.h"  // IWYU pragma: export
#include "broker/kafka/messages_group.h"  // IWYU pragma: export
#include "broker/kafka/wire.h"
#include "common/result.h"

namespace corelog::kafka {

// ---- ApiVersions (18) ----

struct ApiVersionsRequest {
  static constexpr ApiKey kApiKey = ApiKey::kApiVersions;
  static constexpr int16_t kMinVersion = 0;
  static constexpr int16_t kMaxVersion = 3;

  std::string client_software_name;     // v3+
  std::string client_software_version;  // v3+

  static Result<ApiVersionsRequest> Decode(Reader& r, int16_t version);
  void Encode(Writer& w, int16_t version) const;
  bool operator==(const ApiVersionsRequest&) const = default;
};

struct ApiVersionsResponse {
  static constexpr ApiKey kApiKey = ApiKey::kApiVersions;
  static constexpr int16_t kMinVersion = 0;
  static constexpr int16_t kMaxVersion = 3;

  struct ApiVersion {
    int16_t api_key = 0;
    int16_t min_version = 0;
    int16_t max_version = 0;
    bool operator==(const ApiVersion&) const = default;
  };

  ErrorCode error_code = ErrorCode::kNone;
  std::vector<ApiVersion> api_keys;
  int32_t throttle_time_ms = 0;  // v1+

  // The answer listing every API of the table that `include` accepts.
  static ApiVersionsResponse FromTable(const ApiFilter& include = {});
  // The answer to a request above our max version: UNSUPPORTED_VERSION plus
  // the same list. Encode it as v0 (and with response header v0) so any
  // client can read it and step down; the connection stays open.
  static ApiVersionsResponse UnsupportedVersion(const ApiFilter& include = {});

  static Result<ApiVersionsResponse> Decode(Reader& r, int16_t version);
  void Encode(Writer& w, int16_t version) const;
  bool operator==(const ApiVersionsResponse&) const = default;
};

// ---- Metadata (3) ----

struct MetadataRequest {
  static constexpr ApiKey kApiKey = ApiKey::kMetadata;
  static constexpr int16_t kMinVersion = 0;
  static constexpr int16_t kMaxVersion = 8;

  // nullopt = all topics. On the wire v0 says "all" with an empty list and
  // v1+ with a null one; both decode to nullopt, and nullopt encodes as the
  // version's form. An empty vector in v1+ asks for no topics.
  std::optional<std::vector<std::string>> topics;
  bool allow_auto_topic_creation = true;               // v4+
  bool include_cluster_authorized_operations = false;  // v8+
  bool include_topic_authorized_operations = false;    // v8+

  static Result<MetadataRequest> Decode(Reader& r, int16_t version);
  void Encode(Writer& w, int16_t version) const;
  bool operator==(const MetadataRequest&) const = default;
};

struct MetadataResponse {
  static constexpr ApiKey kApiKey = ApiKey::kMetadata;
  static constexpr int16_t kMinVersion = 0;
  static constexpr int16_t kMaxVersion = 8;

  struct Broker {
    int32_t node_id = 0;
    std::string host;
    int32_t port = 0;
    std::optional<std::string> rack;  // v1+
    bool operator==(const Broker&) const = default;
  };
  struct Partition {
    ErrorCode error_code = ErrorCode::kNone;
    int32_t partition_index = 0;
    int32_t leader_id = -1;
    int32_t leader_epoch = -1;  // v7+
    std::vector<int32_t> replica_nodes;
    std::vector<int32_t> isr_nodes;
    std::vector<int32_t> offline_replicas;  // v5+
    bool operator==(const Partition&) const = default;
  };
  struct Topic {
    ErrorCode error_code = ErrorCode::kNone;
    std::string name;
    bool is_internal = false;  // v1+
    std::vector<Partition> partitions;
    int32_t topic_authorized_operations = kAuthorizedOperationsOmitted;  // v8+
    bool operator==(const Topic&) const = default;
  };

  int32_t throttle_time_ms = 0;  // v3+
  std::vector<Broker> brokers;
  std::optional<std::string> cluster_id;  // v2+
  int32_t controller_id = -1;             // v1+
  std::vector<Topic> topics;
  int32_t cluster_authorized_operations = kAuthorizedOperationsOmitted;  // v8+

  static Result<MetadataResponse> Decode(Reader& r, int16_t version);
  void Encode(Writer& w, int16_t version) const;
  bool operator==(const MetadataResponse&) const = default;
};

// ---- Produce (0) ----

struct ProduceRequest {
  static constexpr ApiKey kApiKey = ApiKey::kProduce;
  static constexpr int16_t kMinVersion = 3;
  static constexpr int16_t kMaxVersion = 7;

  struct Partition {
    int32_t partition_index = 0;
    // The record batches exactly as sent, a view into the decoded buffer
    // (the request frame): valid only while that buffer lives. A null on
    // the wire decodes as empty.
    std::string_view records;
    bool operator==(const Partition&) const = default;
  };
  struct Topic {
    std::string name;
    std::vector<Partition> partitions;
    bool operator==(const Topic&) const = default;
  };

  std::optional<std::string> transactional_id;
  int16_t acks = -1;  // 0: no response at all, 1: leader, -1: all in-sync replicas
  int32_t timeout_ms = 0;
  std::vector<Topic> topics;

  static Result<ProduceRequest> Decode(Reader& r, int16_t version);
  void Encode(Writer& w, int16_t version) const;
  bool operator==(const ProduceRequest&) const = default;
};

struct ProduceResponse {
  static constexpr ApiKey kApiKey = ApiKey::kProduce;
  static constexpr int16_t kMinVersion = 3;
  static constexpr int16_t kMaxVersion = 7;

  struct Partition {
    int32_t partition_index = 0;
    ErrorCode error_code = ErrorCode::kNone;
    int64_t base_offset = -1;
    int64_t log_append_time_ms = -1;  // -1 unless the topic uses LogAppendTime
    int64_t log_start_offset = -1;    // v5+
    bool operator==(const Partition&) const = default;
  };
  struct Topic {
    std::string name;
    std::vector<Partition> partitions;
    bool operator==(const Topic&) const = default;
  };

  std::vector<Topic> topics;
  int32_t throttle_time_ms = 0;

  static Result<ProduceResponse> Decode(Reader& r, int16_t version);
  void Encode(Writer& w, int16_t version) const;
  bool operator==(const ProduceResponse&) const = default;
};

// ---- Fetch (1) ----

struct FetchRequest {
  static constexpr ApiKey kApiKey = ApiKey::kFetch;
  static constexpr int16_t kMinVersion = 4;
  static constexpr int16_t kMaxVersion = 11;

  struct Partition {
    int32_t partition_index = 0;
    int32_t current_leader_epoch = -1;  // v9+
    int64_t fetch_offset = 0;
    int64_t log_start_offset = -1;  // v5+, followers only
    int32_t partition_max_bytes = 0;
    bool operator==(const Partition&) const = default;
  };
  struct Topic {
    std::string name;
    std::vector<Partition> partitions;
    bool operator==(const Topic&) const = default;
  };
  struct ForgottenTopic {
    std::string name;
    std::vector<int32_t> partitions;  // partition indexes
    bool operator==(const ForgottenTopic&) const = default;
  };

  int32_t replica_id = -1;
  int32_t max_wait_ms = 0;
  int32_t min_bytes = 0;
  int32_t max_bytes = std::numeric_limits<int32_t>::max();
  int8_t isolation_level = 0;  // 0 read_uncommitted, 1 read_committed
  int32_t session_id = 0;      // v7+
  int32_t session_epoch = -1;  // v7+
  std::vector<Topic> topics;
  std::vector<ForgottenTopic> forgotten_topics;  // v7+
  std::string rack_id;                           // v11+

  static Result<FetchRequest> Decode(Reader& r, int16_t version);
  void Encode(Writer& w, int16_t version) const;
  bool operator==(const FetchRequest&) const = default;
};

struct FetchResponse {
  static constexpr ApiKey kApiKey = ApiKey::kFetch;
  static constexpr int16_t kMinVersion = 4;
  static constexpr int16_t kMaxVersion = 11;

  struct AbortedTransaction {
    int64_t producer_id = 0;
    int64_t first_offset = 0;
    bool operator==(const AbortedTransaction&) const = default;
  };
  struct Partition {
    int32_t partition_index = 0;
    ErrorCode error_code = ErrorCode::kNone;
    int64_t high_watermark = -1;
    int64_t last_stable_offset = -1;
    int64_t log_start_offset = -1;  // v5+
    std::optional<std::vector<AbortedTransaction>> aborted_transactions;
    int32_t preferred_read_replica = -1;  // v11+
    // Concatenated record batches (empty when there is nothing to return).
    std::string records;
    bool operator==(const Partition&) const = default;
  };
  struct Topic {
    std::string name;
    std::vector<Partition> partitions;
    bool operator==(const Topic&) const = default;
  };

  int32_t throttle_time_ms = 0;
  ErrorCode error_code = ErrorCode::kNone;  // v7+
  int32_t session_id = 0;                   // v7+; 0 = no fetch session
  std::vector<Topic> topics;

  static Result<FetchResponse> Decode(Reader& r, int16_t version);
  void Encode(Writer& w, int16_t version) const;
  // At least the size of the body Encode writes, at any version: lets the
  // encoder size its buffer once for a response that may run to megabytes.
  size_t EncodedSizeBound() const;
  bool operator==(const FetchResponse&) const = default;
};

// ---- ListOffsets (2) ----

inline constexpr int64_t kListOffsetsLatest = -1;
inline constexpr int64_t kListOffsetsEarliest = -2;

struct ListOffsetsRequest {
  static constexpr ApiKey kApiKey = ApiKey::kListOffsets;
  static constexpr int16_t kMinVersion = 0;
  static constexpr int16_t kMaxVersion = 5;

  struct Partition {
    int32_t partition_index = 0;
    int32_t current_leader_epoch = -1;  // v4+
    int64_t timestamp = kListOffsetsLatest;
    int32_t max_num_offsets = 1;  // v0 only
    bool operator==(const Partition&) const = default;
  };
  struct Topic {
    std::string name;
    std::vector<Partition> partitions;
    bool operator==(const Topic&) const = default;
  };

  int32_t replica_id = -1;
  int8_t isolation_level = 0;  // v2+
  std::vector<Topic> topics;

  static Result<ListOffsetsRequest> Decode(Reader& r, int16_t version);
  void Encode(Writer& w, int16_t version) const;
  bool operator==(const ListOffsetsRequest&) const = default;
};

struct ListOffsetsResponse {
  static constexpr ApiKey kApiKey = ApiKey::kListOffsets;
  static constexpr int16_t kMinVersion = 0;
  static constexpr int16_t kMaxVersion = 5;

  struct Partition {
    int32_t partition_index = 0;
    ErrorCode error_code = ErrorCode::kNone;
    std::vector<int64_t> old_style_offsets;  // v0 only
    int64_t timestamp = -1;                  // v1+
    int64_t offset = -1;                     // v1+
    int32_t leader_epoch = -1;               // v4+
    bool operator==(const Partition&) const = default;
  };
  struct Topic {
    std::string name;
    std::vector<Partition> partitions;
    bool operator==(const Topic&) const = default;
  };

  int32_t throttle_time_ms = 0;  // v2+
  std::vector<Topic> topics;

  static Result<ListOffsetsResponse> Decode(Reader& r, int16_t version);
  void Encode(Writer& w, int16_t version) const;
  bool operator==(const ListOffsetsResponse&) const = default;
};

// ---- CreateTopics (19) ----

struct CreateTopicsRequest {
  static constexpr ApiKey kApiKey = ApiKey::kCreateTopics;
  static constexpr int16_t kMinVersion = 0;
  static constexpr int16_t kMaxVersion = 4;

  struct Assignment {
    int32_t partition_index = 0;
    std::vector<int32_t> broker_ids;
    bool operator==(const Assignment&) const = default;
  };
  struct Config {
    std::string name;
    std::optional<std::string> value;
    bool operator==(const Config&) const = default;
  };
  struct Topic {
    std::string name;
    int32_t num_partitions = -1;      // -1: broker default (v4+ clients)
    int16_t replication_factor = -1;  // -1: broker default
    std::vector<Assignment> assignments;
    std::vector<Config> configs;
    bool operator==(const Topic&) const = default;
  };

  std::vector<Topic> topics;
  int32_t timeout_ms = 60000;
  bool validate_only = false;  // v1+

  static Result<CreateTopicsRequest> Decode(Reader& r, int16_t version);
  void Encode(Writer& w, int16_t version) const;
  bool operator==(const CreateTopicsRequest&) const = default;
};

struct CreateTopicsResponse {
  static constexpr ApiKey kApiKey = ApiKey::kCreateTopics;
  static constexpr int16_t kMinVersion = 0;
  static constexpr int16_t kMaxVersion = 4;

  struct Topic {
    std::string name;
    ErrorCode error_code = ErrorCode::kNone;
    std::optional<std::string> error_message;  // v1+
    bool operator==(const Topic&) const = default;
  };

  int32_t throttle_time_ms = 0;  // v2+
  std::vector<Topic> topics;

  static Result<CreateTopicsResponse> Decode(Reader& r, int16_t version);
  void Encode(Writer& w, int16_t version) const;
  bool operator==(const CreateTopicsResponse&) const = default;
};

// ---- DeleteTopics (20) ----

struct DeleteTopicsRequest {
  static constexpr ApiKey kApiKey = ApiKey::kDeleteTopics;
  static constexpr int16_t kMinVersion = 0;
  static constexpr int16_t kMaxVersion = 3;

  std::vector<std::string> topic_names;
  int32_t timeout_ms = 0;

  static Result<DeleteTopicsRequest> Decode(Reader& r, int16_t version);
  void Encode(Writer& w, int16_t version) const;
  bool operator==(const DeleteTopicsRequest&) const = default;
};

struct DeleteTopicsResponse {
  static constexpr ApiKey kApiKey = ApiKey::kDeleteTopics;
  static constexpr int16_t kMinVersion = 0;
  static constexpr int16_t kMaxVersion = 3;

  struct Topic {
    std::string name;
    ErrorCode error_code = ErrorCode::kNone;
    bool operator==(const Topic&) const = default;
  };

  int32_t throttle_time_ms = 0;  // v1+
  std::vector<Topic> topics;

  static Result<DeleteTopicsResponse> Decode(Reader& r, int16_t version);
  void Encode(Writer& w, int16_t version) const;
  bool operator==(const DeleteTopicsResponse&) const = default;
};

// ---- DescribeConfigs (32) ----

struct DescribeConfigsRequest {
  static constexpr ApiKey kApiKey = ApiKey::kDescribeConfigs;
  static constexpr int16_t kMinVersion = 0;
  static constexpr int16_t kMaxVersion = 3;

  struct Resource {
    ConfigResourceType resource_type = ConfigResourceType::kTopic;
    std::string resource_name;
    std::optional<std::vector<std::string>> configuration_keys;  // nullopt = all
    bool operator==(const Resource&) const = default;
  };

  std::vector<Resource> resources;
  bool include_synonyms = false;       // v1+
  bool include_documentation = false;  // v3+

  static Result<DescribeConfigsRequest> Decode(Reader& r, int16_t version);
  void Encode(Writer& w, int16_t version) const;
  bool operator==(const DescribeConfigsRequest&) const = default;
};

struct DescribeConfigsResponse {
  static constexpr ApiKey kApiKey = ApiKey::kDescribeConfigs;
  static constexpr int16_t kMinVersion = 0;
  static constexpr int16_t kMaxVersion = 3;

  struct Synonym {
    std::string name;
    std::optional<std::string> value;
    ConfigSource source = ConfigSource::kUnknown;
    bool operator==(const Synonym&) const = default;
  };
  struct Config {
    std::string name;
    std::optional<std::string> value;
    bool read_only = false;
    bool is_default = false;                              // v0 only (v1+ uses config_source)
    ConfigSource config_source = ConfigSource::kUnknown;  // v1+
    bool is_sensitive = false;
    std::vector<Synonym> synonyms;             // v1+
    int8_t config_type = 0;                    // v3+ (0 unknown, 1 boolean, 2 string, 3 int, ...)
    std::optional<std::string> documentation;  // v3+
    bool operator==(const Config&) const = default;
  };
  struct ResourceResult {
    ErrorCode error_code = ErrorCode::kNone;
    std::optional<std::string> error_message;
    ConfigResourceType resource_type = ConfigResourceType::kTopic;
    std::string resource_name;
    std::vector<Config> configs;
    bool operator==(const ResourceResult&) const = default;
  };

  int32_t throttle_time_ms = 0;
  std::vector<ResourceResult> results;

  static Result<DescribeConfigsResponse> Decode(Reader& r, int16_t version);
  void Encode(Writer& w, int16_t version) const;
  bool operator==(const DescribeConfigsResponse&) const = default;
};

}  // namespace corelog::kafka

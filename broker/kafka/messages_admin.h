// Request and response bodies of InitProducerId (idempotent and
// transactional producers) and the admin APIs CreatePartitions,
// DeleteRecords and AlterConfigs. Same conventions and codec contract as
// messages.h, which includes this file.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "broker/kafka/api.h"
#include "broker/kafka/errors.h"
#include "broker/kafka/message_types.h"
#include "broker/kafka/wire.h"
#include "common/result.h"

namespace corelog::kafka {

// ---- InitProducerId (22) ----

struct InitProducerIdRequest {
  static constexpr ApiKey kApiKey = ApiKey::kInitProducerId;
  static constexpr int16_t kMinVersion = 0;
  static constexpr int16_t kMaxVersion = 4;

  std::optional<std::string> transactional_id;  // null for an idempotent-only producer
  int32_t transaction_timeout_ms = 0;
  int64_t producer_id = -1;     // v3+: the current id, to bump its epoch
  int16_t producer_epoch = -1;  // v3+

  static Result<InitProducerIdRequest> Decode(Reader& r, int16_t version);
  void Encode(Writer& w, int16_t version) const;
  bool operator==(const InitProducerIdRequest&) const = default;
};

struct InitProducerIdResponse {
  static constexpr ApiKey kApiKey = ApiKey::kInitProducerId;
  static constexpr int16_t kMinVersion = 0;
  static constexpr int16_t kMaxVersion = 4;

  int32_t throttle_time_ms = 0;
  ErrorCode error_code = ErrorCode::kNone;
  int64_t producer_id = -1;
  int16_t producer_epoch = -1;

  static Result<InitProducerIdResponse> Decode(Reader& r, int16_t version);
  void Encode(Writer& w, int16_t version) const;
  bool operator==(const InitProducerIdResponse&) const = default;
};

// ---- CreatePartitions (37) ----

struct CreatePartitionsRequest {
  static constexpr ApiKey kApiKey = ApiKey::kCreatePartitions;
  static constexpr int16_t kMinVersion = 0;
  static constexpr int16_t kMaxVersion = 1;

  struct Assignment {
    std::vector<int32_t> broker_ids;
    bool operator==(const Assignment&) const = default;
  };
  struct Topic {
    std::string name;
    int32_t count = 0;  // the new total partition count
    std::optional<std::vector<Assignment>> assignments;
    bool operator==(const Topic&) const = default;
  };

  std::vector<Topic> topics;
  int32_t timeout_ms = 0;
  bool validate_only = false;

  static Result<CreatePartitionsRequest> Decode(Reader& r, int16_t version);
  void Encode(Writer& w, int16_t version) const;
  bool operator==(const CreatePartitionsRequest&) const = default;
};

struct CreatePartitionsResponse {
  static constexpr ApiKey kApiKey = ApiKey::kCreatePartitions;
  static constexpr int16_t kMinVersion = 0;
  static constexpr int16_t kMaxVersion = 1;

  struct Topic {
    std::string name;
    ErrorCode error_code = ErrorCode::kNone;
    std::optional<std::string> error_message;
    bool operator==(const Topic&) const = default;
  };

  int32_t throttle_time_ms = 0;
  std::vector<Topic> topics;

  static Result<CreatePartitionsResponse> Decode(Reader& r, int16_t version);
  void Encode(Writer& w, int16_t version) const;
  bool operator==(const CreatePartitionsResponse&) const = default;
};

// ---- DeleteRecords (21) ----

struct DeleteRecordsRequest {
  static constexpr ApiKey kApiKey = ApiKey::kDeleteRecords;
  static constexpr int16_t kMinVersion = 0;
  static constexpr int16_t kMaxVersion = 1;

  struct Partition {
    int32_t partition_index = 0;
    int64_t offset = 0;  // delete below this; -1 = the high watermark
    bool operator==(const Partition&) const = default;
  };
  struct Topic {
    std::string name;
    std::vector<Partition> partitions;
    bool operator==(const Topic&) const = default;
  };

  std::vector<Topic> topics;
  int32_t timeout_ms = 0;

  static Result<DeleteRecordsRequest> Decode(Reader& r, int16_t version);
  void Encode(Writer& w, int16_t version) const;
  bool operator==(const DeleteRecordsRequest&) const = default;
};

struct DeleteRecordsResponse {
  static constexpr ApiKey kApiKey = ApiKey::kDeleteRecords;
  static constexpr int16_t kMinVersion = 0;
  static constexpr int16_t kMaxVersion = 1;

  struct Partition {
    int32_t partition_index = 0;
    int64_t low_watermark = -1;
    ErrorCode error_code = ErrorCode::kNone;
    bool operator==(const Partition&) const = default;
  };
  struct Topic {
    std::string name;
    std::vector<Partition> partitions;
    bool operator==(const Topic&) const = default;
  };

  int32_t throttle_time_ms = 0;
  std::vector<Topic> topics;

  static Result<DeleteRecordsResponse> Decode(Reader& r, int16_t version);
  void Encode(Writer& w, int16_t version) const;
  bool operator==(const DeleteRecordsResponse&) const = default;
};

// ---- AlterConfigs (33) ----

struct AlterConfigsRequest {
  static constexpr ApiKey kApiKey = ApiKey::kAlterConfigs;
  static constexpr int16_t kMinVersion = 0;
  static constexpr int16_t kMaxVersion = 1;

  struct Config {
    std::string name;
    std::optional<std::string> value;
    bool operator==(const Config&) const = default;
  };
  struct Resource {
    ConfigResourceType resource_type = ConfigResourceType::kTopic;
    std::string resource_name;
    std::vector<Config> configs;  // replaces the resource's whole config
    bool operator==(const Resource&) const = default;
  };

  std::vector<Resource> resources;
  bool validate_only = false;

  static Result<AlterConfigsRequest> Decode(Reader& r, int16_t version);
  void Encode(Writer& w, int16_t version) const;
  bool operator==(const AlterConfigsRequest&) const = default;
};

struct AlterConfigsResponse {
  static constexpr ApiKey kApiKey = ApiKey::kAlterConfigs;
  static constexpr int16_t kMinVersion = 0;
  static constexpr int16_t kMaxVersion = 1;

  struct ResourceResult {
    ErrorCode error_code = ErrorCode::kNone;
    std::optional<std::string> error_message;
    ConfigResourceType resource_type = ConfigResourceType::kTopic;
    std::string resource_name;
    bool operator==(const ResourceResult&) const = default;
  };

  int32_t throttle_time_ms = 0;
  std::vector<ResourceResult> results;

  static Result<AlterConfigsResponse> Decode(Reader& r, int16_t version);
  void Encode(Writer& w, int16_t version) const;
  bool operator==(const AlterConfigsResponse&) const = default;
};

}  // namespace corelog::kafka

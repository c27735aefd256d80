// Request and response bodies of the classic consumer-group APIs:
// coordinator lookup, membership (JoinGroup, SyncGroup, Heartbeat,
// LeaveGroup), committed offsets and group administration. Same conventions
// and codec contract as messages.h, which includes this file.
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

// ---- FindCoordinator (10) ----

inline constexpr int8_t kCoordinatorGroup = 0;
inline constexpr int8_t kCoordinatorTransaction = 1;

struct FindCoordinatorRequest {
  static constexpr ApiKey kApiKey = ApiKey::kFindCoordinator;
  static constexpr int16_t kMinVersion = 0;
  static constexpr int16_t kMaxVersion = 3;

  std::string key;                      // group id, or transactional id when key_type = 1
  int8_t key_type = kCoordinatorGroup;  // v1+

  static Result<FindCoordinatorRequest> Decode(Reader& r, int16_t version);
  void Encode(Writer& w, int16_t version) const;
  bool operator==(const FindCoordinatorRequest&) const = default;
};

struct FindCoordinatorResponse {
  static constexpr ApiKey kApiKey = ApiKey::kFindCoordinator;
  static constexpr int16_t kMinVersion = 0;
  static constexpr int16_t kMaxVersion = 3;

  int32_t throttle_time_ms = 0;  // v1+
  ErrorCode error_code = ErrorCode::kNone;
  std::optional<std::string> error_message;  // v1+
  int32_t node_id = -1;
  std::string host;
  int32_t port = -1;

  static Result<FindCoordinatorResponse> Decode(Reader& r, int16_t version);
  void Encode(Writer& w, int16_t version) const;
  bool operator==(const FindCoordinatorResponse&) const = default;
};

// ---- JoinGroup (11) ----

struct JoinGroupRequest {
  static constexpr ApiKey kApiKey = ApiKey::kJoinGroup;
  static constexpr int16_t kMinVersion = 0;
  static constexpr int16_t kMaxVersion = 5;

  struct Protocol {
    std::string name;
    std::string metadata;
    bool operator==(const Protocol&) const = default;
  };

  std::string group_id;
  int32_t session_timeout_ms = 0;
  int32_t rebalance_timeout_ms = -1;             // v1+; v0 uses the session timeout
  std::string member_id;                         // "" on a first join
  std::optional<std::string> group_instance_id;  // v5+, static membership
  std::string protocol_type;                     // "consumer" for consumers
  std::vector<Protocol> protocols;

  static Result<JoinGroupRequest> Decode(Reader& r, int16_t version);
  void Encode(Writer& w, int16_t version) const;
  bool operator==(const JoinGroupRequest&) const = default;
};

struct JoinGroupResponse {
  static constexpr ApiKey kApiKey = ApiKey::kJoinGroup;
  static constexpr int16_t kMinVersion = 0;
  static constexpr int16_t kMaxVersion = 5;

  struct Member {
    std::string member_id;
    std::optional<std::string> group_instance_id;  // v5+
    std::string metadata;
    bool operator==(const Member&) const = default;
  };

  int32_t throttle_time_ms = 0;  // v2+
  ErrorCode error_code = ErrorCode::kNone;
  int32_t generation_id = -1;
  std::string protocol_name;
  std::string leader;
  std::string member_id;
  std::vector<Member> members;  // non-empty for the leader only

  static Result<JoinGroupResponse> Decode(Reader& r, int16_t version);
  void Encode(Writer& w, int16_t version) const;
  bool operator==(const JoinGroupResponse&) const = default;
};

// ---- SyncGroup (14) ----

struct SyncGroupRequest {
  static constexpr ApiKey kApiKey = ApiKey::kSyncGroup;
  static constexpr int16_t kMinVersion = 0;
  static constexpr int16_t kMaxVersion = 3;

  struct Assignment {
    std::string member_id;
    std::string assignment;
    bool operator==(const Assignment&) const = default;
  };

  std::string group_id;
  int32_t generation_id = -1;
  std::string member_id;
  std::optional<std::string> group_instance_id;  // v3+
  std::vector<Assignment> assignments;           // from the leader only

  static Result<SyncGroupRequest> Decode(Reader& r, int16_t version);
  void Encode(Writer& w, int16_t version) const;
  bool operator==(const SyncGroupRequest&) const = default;
};

struct SyncGroupResponse {
  static constexpr ApiKey kApiKey = ApiKey::kSyncGroup;
  static constexpr int16_t kMinVersion = 0;
  static constexpr int16_t kMaxVersion = 3;

  int32_t throttle_time_ms = 0;  // v1+
  ErrorCode error_code = ErrorCode::kNone;
  std::string assignment;

  static Result<SyncGroupResponse> Decode(Reader& r, int16_t version);
  void Encode(Writer& w, int16_t version) const;
  bool operator==(const SyncGroupResponse&) const = default;
};

// ---- Heartbeat (12) ----

struct HeartbeatRequest {
  static constexpr ApiKey kApiKey = ApiKey::kHeartbeat;
  static constexpr int16_t kMinVersion = 0;
  static constexpr int16_t kMaxVersion = 3;

  std::string group_id;
  int32_t generation_id = -1;
  std::string member_id;
  std::optional<std::string> group_instance_id;  // v3+

  static Result<HeartbeatRequest> Decode(Reader& r, int16_t version);
  void Encode(Writer& w, int16_t version) const;
  bool operator==(const HeartbeatRequest&) const = default;
};

struct HeartbeatResponse {
  static constexpr ApiKey kApiKey = ApiKey::kHeartbeat;
  static constexpr int16_t kMinVersion = 0;
  static constexpr int16_t kMaxVersion = 3;

  int32_t throttle_time_ms = 0;  // v1+
  ErrorCode error_code = ErrorCode::kNone;

  static Result<HeartbeatResponse> Decode(Reader& r, int16_t version);
  void Encode(Writer& w, int16_t version) const;
  bool operator==(const HeartbeatResponse&) const = default;
};

// ---- LeaveGroup (13) ----

struct LeaveGroupRequest {
  static constexpr ApiKey kApiKey = ApiKey::kLeaveGroup;
  static constexpr int16_t kMinVersion = 0;
  static constexpr int16_t kMaxVersion = 3;

  struct Member {
    std::string member_id;
    std::optional<std::string> group_instance_id;
    bool operator==(const Member&) const = default;
  };

  std::string group_id;
  std::string member_id;        // v0-2
  std::vector<Member> members;  // v3+ (batch leave)

  static Result<LeaveGroupRequest> Decode(Reader& r, int16_t version);
  void Encode(Writer& w, int16_t version) const;
  bool operator==(const LeaveGroupRequest&) const = default;
};

struct LeaveGroupResponse {
  static constexpr ApiKey kApiKey = ApiKey::kLeaveGroup;
  static constexpr int16_t kMinVersion = 0;
  static constexpr int16_t kMaxVersion = 3;

  struct Member {
    std::string member_id;
    std::optional<std::string> group_instance_id;
    ErrorCode error_code = ErrorCode::kNone;
    bool operator==(const Member&) const = default;
  };

  int32_t throttle_time_ms = 0;  // v1+
  ErrorCode error_code = ErrorCode::kNone;
  std::vector<Member> members;  // v3+

  static Result<LeaveGroupResponse> Decode(Reader& r, int16_t version);
  void Encode(Writer& w, int16_t version) const;
  bool operator==(const LeaveGroupResponse&) const = default;
};

// ---- OffsetCommit (8) ----

struct OffsetCommitRequest {
  static constexpr ApiKey kApiKey = ApiKey::kOffsetCommit;
  static constexpr int16_t kMinVersion = 2;
  static constexpr int16_t kMaxVersion = 7;

  struct Partition {
    int32_t partition_index = 0;
    int64_t committed_offset = -1;
    int32_t committed_leader_epoch = -1;  // v6+
    std::optional<std::string> committed_metadata;
    bool operator==(const Partition&) const = default;
  };
  struct Topic {
    std::string name;
    std::vector<Partition> partitions;
    bool operator==(const Topic&) const = default;
  };

  std::string group_id;
  int32_t generation_id = -1;  // -1 with member "" = a simple (groupless) commit
  std::string member_id;
  std::optional<std::string> group_instance_id;  // v7+
  int64_t retention_time_ms = -1;                // v2-4
  std::vector<Topic> topics;

  static Result<OffsetCommitRequest> Decode(Reader& r, int16_t version);
  void Encode(Writer& w, int16_t version) const;
  bool operator==(const OffsetCommitRequest&) const = default;
};

struct OffsetCommitResponse {
  static constexpr ApiKey kApiKey = ApiKey::kOffsetCommit;
  static constexpr int16_t kMinVersion = 2;
  static constexpr int16_t kMaxVersion = 7;

  struct Partition {
    int32_t partition_index = 0;
    ErrorCode error_code = ErrorCode::kNone;
    bool operator==(const Partition&) const = default;
  };
  struct Topic {
    std::string name;
    std::vector<Partition> partitions;
    bool operator==(const Topic&) const = default;
  };

  int32_t throttle_time_ms = 0;  // v3+
  std::vector<Topic> topics;

  static Result<OffsetCommitResponse> Decode(Reader& r, int16_t version);
  void Encode(Writer& w, int16_t version) const;
  bool operator==(const OffsetCommitResponse&) const = default;
};

// ---- OffsetFetch (9) ----

struct OffsetFetchRequest {
  static constexpr ApiKey kApiKey = ApiKey::kOffsetFetch;
  static constexpr int16_t kMinVersion = 1;
  static constexpr int16_t kMaxVersion = 7;

  struct Topic {
    std::string name;
    std::vector<int32_t> partition_indexes;
    bool operator==(const Topic&) const = default;
  };

  std::string group_id;
  // nullopt = every committed partition of the group (v2+; v1 cannot say
  // that and encodes nullopt as an empty list).
  std::optional<std::vector<Topic>> topics;
  bool require_stable = false;  // v7+

  static Result<OffsetFetchRequest> Decode(Reader& r, int16_t version);
  void Encode(Writer& w, int16_t version) const;
  bool operator==(const OffsetFetchRequest&) const = default;
};

struct OffsetFetchResponse {
  static constexpr ApiKey kApiKey = ApiKey::kOffsetFetch;
  static constexpr int16_t kMinVersion = 1;
  static constexpr int16_t kMaxVersion = 7;

  struct Partition {
    int32_t partition_index = 0;
    int64_t committed_offset = -1;        // -1 when nothing is committed
    int32_t committed_leader_epoch = -1;  // v5+
    std::optional<std::string> metadata;
    ErrorCode error_code = ErrorCode::kNone;
    bool operator==(const Partition&) const = default;
  };
  struct Topic {
    std::string name;
    std::vector<Partition> partitions;
    bool operator==(const Topic&) const = default;
  };

  int32_t throttle_time_ms = 0;  // v3+
  std::vector<Topic> topics;
  ErrorCode error_code = ErrorCode::kNone;  // v2+

  static Result<OffsetFetchResponse> Decode(Reader& r, int16_t version);
  void Encode(Writer& w, int16_t version) const;
  bool operator==(const OffsetFetchResponse&) const = default;
};

// ---- DescribeGroups (15) ----

struct DescribeGroupsRequest {
  static constexpr ApiKey kApiKey = ApiKey::kDescribeGroups;
  static constexpr int16_t kMinVersion = 0;
  static constexpr int16_t kMaxVersion = 4;

  std::vector<std::string> groups;
  bool include_authorized_operations = false;  // v3+

  static Result<DescribeGroupsRequest> Decode(Reader& r, int16_t version);
  void Encode(Writer& w, int16_t version) const;
  bool operator==(const DescribeGroupsRequest&) const = default;
};

struct DescribeGroupsResponse {
  static constexpr ApiKey kApiKey = ApiKey::kDescribeGroups;
  static constexpr int16_t kMinVersion = 0;
  static constexpr int16_t kMaxVersion = 4;

  struct Member {
    std::string member_id;
    std::optional<std::string> group_instance_id;  // v4+
    std::string client_id;
    std::string client_host;
    std::string member_metadata;
    std::string member_assignment;
    bool operator==(const Member&) const = default;
  };
  struct Group {
    ErrorCode error_code = ErrorCode::kNone;
    std::string group_id;
    std::string
        group_state;  // "Empty", "PreparingRebalance", "CompletingRebalance", "Stable", "Dead"
    std::string protocol_type;
    std::string protocol_data;  // the chosen protocol name
    std::vector<Member> members;
    int32_t authorized_operations = kAuthorizedOperationsOmitted;  // v3+
    bool operator==(const Group&) const = default;
  };

  int32_t throttle_time_ms = 0;  // v1+
  std::vector<Group> groups;

  static Result<DescribeGroupsResponse> Decode(Reader& r, int16_t version);
  void Encode(Writer& w, int16_t version) const;
  bool operator==(const DescribeGroupsResponse&) const = default;
};

// ---- ListGroups (16) ----

struct ListGroupsRequest {
  static constexpr ApiKey kApiKey = ApiKey::kListGroups;
  static constexpr int16_t kMinVersion = 0;
  static constexpr int16_t kMaxVersion = 4;

  std::vector<std::string> states_filter;  // v4+; empty = all states

  static Result<ListGroupsRequest> Decode(Reader& r, int16_t version);
  void Encode(Writer& w, int16_t version) const;
  bool operator==(const ListGroupsRequest&) const = default;
};

struct ListGroupsResponse {
  static constexpr ApiKey kApiKey = ApiKey::kListGroups;
  static constexpr int16_t kMinVersion = 0;
  static constexpr int16_t kMaxVersion = 4;

  struct Group {
    std::string group_id;
    std::string protocol_type;
    std::string group_state;  // v4+
    bool operator==(const Group&) const = default;
  };

  int32_t throttle_time_ms = 0;  // v1+
  ErrorCode error_code = ErrorCode::kNone;
  std::vector<Group> groups;

  static Result<ListGroupsResponse> Decode(Reader& r, int16_t version);
  void Encode(Writer& w, int16_t version) const;
  bool operator==(const ListGroupsResponse&) const = default;
};

// ---- DeleteGroups (42) ----

struct DeleteGroupsRequest {
  static constexpr ApiKey kApiKey = ApiKey::kDeleteGroups;
  static constexpr int16_t kMinVersion = 0;
  static constexpr int16_t kMaxVersion = 1;

  std::vector<std::string> group_names;

  static Result<DeleteGroupsRequest> Decode(Reader& r, int16_t version);
  void Encode(Writer& w, int16_t version) const;
  bool operator==(const DeleteGroupsRequest&) const = default;
};

struct DeleteGroupsResponse {
  static constexpr ApiKey kApiKey = ApiKey::kDeleteGroups;
  static constexpr int16_t kMinVersion = 0;
  static constexpr int16_t kMaxVersion = 1;

  struct GroupResult {
    std::string group_id;
    ErrorCode error_code = ErrorCode::kNone;
    bool operator==(const GroupResult&) const = default;
  };

  int32_t throttle_time_ms = 0;
  std::vector<GroupResult> results;

  static Result<DeleteGroupsResponse> Decode(Reader& r, int16_t version);
  void Encode(Writer& w, int16_t version) const;
  bool operator==(const DeleteGroupsResponse&) const = default;
};

// ---- OffsetDelete (47) ----

struct OffsetDeleteRequest {
  static constexpr ApiKey kApiKey = ApiKey::kOffsetDelete;
  static constexpr int16_t kMinVersion = 0;
  static constexpr int16_t kMaxVersion = 0;

  struct Topic {
    std::string name;
    std::vector<int32_t> partition_indexes;
    bool operator==(const Topic&) const = default;
  };

  std::string group_id;
  std::vector<Topic> topics;

  static Result<OffsetDeleteRequest> Decode(Reader& r, int16_t version);
  void Encode(Writer& w, int16_t version) const;
  bool operator==(const OffsetDeleteRequest&) const = default;
};

struct OffsetDeleteResponse {
  static constexpr ApiKey kApiKey = ApiKey::kOffsetDelete;
  static constexpr int16_t kMinVersion = 0;
  static constexpr int16_t kMaxVersion = 0;

  struct Partition {
    int32_t partition_index = 0;
    ErrorCode error_code = ErrorCode::kNone;
    bool operator==(const Partition&) const = default;
  };
  struct Topic {
    std::string name;
    std::vector<Partition> partitions;
    bool operator==(const Topic&) const = default;
  };

  ErrorCode error_code = ErrorCode::kNone;
  int32_t throttle_time_ms = 0;
  std::vector<Topic> topics;

  static Result<OffsetDeleteResponse> Decode(Reader& r, int16_t version);
  void Encode(Writer& w, int16_t version) const;
  bool operator==(const OffsetDeleteResponse&) const = default;
};

}  // namespace corelog::kafka

// Codecs for the consumer-group APIs (messages_group.h).
#include "broker/kafka/codec_util.h"
#include "broker/kafka/messages.h"

namespace corelog::kafka {

using internal::CheckDecodeVersion;
using internal::CheckEncodeVersion;
using internal::Finish;
using internal::Flexible;
using internal::ReadErrorCode;
using internal::WriteErrorCode;

// ---- FindCoordinator ----

Result<FindCoordinatorRequest> FindCoordinatorRequest::Decode(Reader& r, int16_t version) {
  CORELOG_TRY(CheckDecodeVersion<FindCoordinatorRequest>(version));
  const bool flex = Flexible<FindCoordinatorRequest>(version);
  FindCoordinatorRequest m;
  m.key = r.String(flex);
  if (version >= 1) m.key_type = r.Int8();
  r.SkipTaggedFields(flex);
  return Finish(r, std::move(m));
}

void FindCoordinatorRequest::Encode(Writer& w, int16_t version) const {
  CheckEncodeVersion<FindCoordinatorRequest>(version);
  const bool flex = Flexible<FindCoordinatorRequest>(version);
  w.String(key, flex);
  if (version >= 1) w.Int8(key_type);
  w.EmptyTaggedFields(flex);
}

Result<FindCoordinatorResponse> FindCoordinatorResponse::Decode(Reader& r, int16_t version) {
  CORELOG_TRY(CheckDecodeVersion<FindCoordinatorResponse>(version));
  const bool flex = Flexible<FindCoordinatorResponse>(version);
  FindCoordinatorResponse m;
  if (version >= 1) m.throttle_time_ms = r.Int32();
  m.error_code = ReadErrorCode(r);
  if (version >= 1) m.error_message = r.NullableString(flex);
  m.node_id = r.Int32();
  m.host = r.String(flex);
  m.port = r.Int32();
  r.SkipTaggedFields(flex);
  return Finish(r, std::move(m));
}

void FindCoordinatorResponse::Encode(Writer& w, int16_t version) const {
  CheckEncodeVersion<FindCoordinatorResponse>(version);
  const bool flex = Flexible<FindCoordinatorResponse>(version);
  if (version >= 1) w.Int32(throttle_time_ms);
  WriteErrorCode(w, error_code);
  if (version >= 1) w.NullableString(error_message, flex);
  w.Int32(node_id);
  w.String(host, flex);
  w.Int32(port);
  w.EmptyTaggedFields(flex);
}

// ---- JoinGroup ----

Result<JoinGroupRequest> JoinGroupRequest::Decode(Reader& r, int16_t version) {
  CORELOG_TRY(CheckDecodeVersion<JoinGroupRequest>(version));
  const bool flex = Flexible<JoinGroupRequest>(version);
  JoinGroupRequest m;
  m.group_id = r.String(flex);
  m.session_timeout_ms = r.Int32();
  if (version >= 1) m.rebalance_timeout_ms = r.Int32();
  m.member_id = r.String(flex);
  if (version >= 5) m.group_instance_id = r.NullableString(flex);
  m.protocol_type = r.String(flex);
  m.protocols = ReadArray(r, flex, [flex](Reader& r) {
    Protocol p;
    p.name = r.String(flex);
    p.metadata = std::string(r.Bytes(flex));
    r.SkipTaggedFields(flex);
    return p;
  });
  r.SkipTaggedFields(flex);
  return Finish(r, std::move(m));
}

void JoinGroupRequest::Encode(Writer& w, int16_t version) const {
  CheckEncodeVersion<JoinGroupRequest>(version);
  const bool flex = Flexible<JoinGroupRequest>(version);
  w.String(group_id, flex);
  w.Int32(session_timeout_ms);
  if (version >= 1) w.Int32(rebalance_timeout_ms);
  w.String(member_id, flex);
  if (version >= 5) w.NullableString(group_instance_id, flex);
  w.String(protocol_type, flex);
  WriteArray(w, protocols, flex, [flex](Writer& w, const Protocol& p) {
    w.String(p.name, flex);
    w.Bytes(p.metadata, flex);
    w.EmptyTaggedFields(flex);
  });
  w.EmptyTaggedFields(flex);
}

Result<JoinGroupResponse> JoinGroupResponse::Decode(Reader& r, int16_t version) {
  CORELOG_TRY(CheckDecodeVersion<JoinGroupResponse>(version));
  const bool flex = Flexible<JoinGroupResponse>(version);
  JoinGroupResponse m;
  if (version >= 2) m.throttle_time_ms = r.Int32();
  m.error_code = ReadErrorCode(r);
  m.generation_id = r.Int32();
  m.protocol_name = r.String(flex);
  m.leader = r.String(flex);
  m.member_id = r.String(flex);
  m.members = ReadArray(r, flex, [version, flex](Reader& r) {
    Member mem;
    mem.member_id = r.String(flex);
    if (version >= 5) mem.group_instance_id = r.NullableString(flex);
    mem.metadata = std::string(r.Bytes(flex));
    r.SkipTaggedFields(flex);
    return mem;
  });
  r.SkipTaggedFields(flex);
  return Finish(r, std::move(m));
}

void JoinGroupResponse::Encode(Writer& w, int16_t version) const {
  CheckEncodeVersion<JoinGroupResponse>(version);
  const bool flex = Flexible<JoinGroupResponse>(version);
  if (version >= 2) w.Int32(throttle_time_ms);
  WriteErrorCode(w, error_code);
  w.Int32(generation_id);
  w.String(protocol_name, flex);
  w.String(leader, flex);
  w.String(member_id, flex);
  WriteArray(w, members, flex, [version, flex](Writer& w, const Member& mem) {
    w.String(mem.member_id, flex);
    if (version >= 5) w.NullableString(mem.group_instance_id, flex);
    w.Bytes(mem.metadata, flex);
    w.EmptyTaggedFields(flex);
  });
  w.EmptyTaggedFields(flex);
}

// ---- SyncGroup ----

Result<SyncGroupRequest> SyncGroupRequest::Decode(Reader& r, int16_t version) {
  CORELOG_TRY(CheckDecodeVersion<SyncGroupRequest>(version));
  const bool flex = Flexible<SyncGroupRequest>(version);
  SyncGroupRequest m;
  m.group_id = r.String(flex);
  m.generation_id = r.Int32();
  m.member_id = r.String(flex);
  if (version >= 3) m.group_instance_id = r.NullableString(flex);
  m.assignments = ReadArray(r, flex, [flex](Reader& r) {
    Assignment a;
    a.member_id = r.String(flex);
    a.assignment = std::string(r.Bytes(flex));
    r.SkipTaggedFields(flex);
    return a;
  });
  r.SkipTaggedFields(flex);
  return Finish(r, std::move(m));
}

void SyncGroupRequest::Encode(Writer& w, int16_t version) const {
  CheckEncodeVersion<SyncGroupRequest>(version);
  const bool flex = Flexible<SyncGroupRequest>(version);
  w.String(group_id, flex);
  w.Int32(generation_id);
  w.String(member_id, flex);
  if (version >= 3) w.NullableString(group_instance_id, flex);
  WriteArray(w, assignments, flex, [flex](Writer& w, const Assignment& a) {
    w.String(a.member_id, flex);
    w.Bytes(a.assignment, flex);
    w.EmptyTaggedFields(flex);
  });
  w.EmptyTaggedFields(flex);
}

Result<SyncGroupResponse> SyncGroupResponse::Decode(Reader& r, int16_t version) {
  CORELOG_TRY(CheckDecodeVersion<SyncGroupResponse>(version));
  const bool flex = Flexible<SyncGroupResponse>(version);
  SyncGroupResponse m;
  if (version >= 1) m.throttle_time_ms = r.Int32();
  m.error_code = ReadErrorCode(r);
  m.assignment = std::string(r.Bytes(flex));
  r.SkipTaggedFields(flex);
  return Finish(r, std::move(m));
}

void SyncGroupResponse::Encode(Writer& w, int16_t version) const {
  CheckEncodeVersion<SyncGroupResponse>(version);
  const bool flex = Flexible<SyncGroupResponse>(version);
  if (version >= 1) w.Int32(throttle_time_ms);
  WriteErrorCode(w, error_code);
  w.Bytes(assignment, flex);
  w.EmptyTaggedFields(flex);
}

// ---- Heartbeat ----

Result<HeartbeatRequest> HeartbeatRequest::Decode(Reader& r, int16_t version) {
  CORELOG_TRY(CheckDecodeVersion<HeartbeatRequest>(version));
  const bool flex = Flexible<HeartbeatRequest>(version);
  HeartbeatRequest m;
  m.group_id = r.String(flex);
  m.generation_id = r.Int32();
  m.member_id = r.String(flex);
  if (version >= 3) m.group_instance_id = r.NullableString(flex);
  r.SkipTaggedFields(flex);
  return Finish(r, std::move(m));
}

void HeartbeatRequest::Encode(Writer& w, int16_t version) const {
  CheckEncodeVersion<HeartbeatRequest>(version);
  const bool flex = Flexible<HeartbeatRequest>(version);
  w.String(group_id, flex);
  w.Int32(generation_id);
  w.String(member_id, flex);
  if (version >= 3) w.NullableString(group_instance_id, flex);
  w.EmptyTaggedFields(flex);
}

Result<HeartbeatResponse> HeartbeatResponse::Decode(Reader& r, int16_t version) {
  CORELOG_TRY(CheckDecodeVersion<HeartbeatResponse>(version));
  const bool flex = Flexible<HeartbeatResponse>(version);
  HeartbeatResponse m;
  if (version >= 1) m.throttle_time_ms = r.Int32();
  m.error_code = ReadErrorCode(r);
  r.SkipTaggedFields(flex);
  return Finish(r, std::move(m));
}

void HeartbeatResponse::Encode(Writer& w, int16_t version) const {
  CheckEncodeVersion<HeartbeatResponse>(version);
  const bool flex = Flexible<HeartbeatResponse>(version);
  if (version >= 1) w.Int32(throttle_time_ms);
  WriteErrorCode(w, error_code);
  w.EmptyTaggedFields(flex);
}

// ---- LeaveGroup ----

Result<LeaveGroupRequest> LeaveGroupRequest::Decode(Reader& r, int16_t version) {
  CORELOG_TRY(CheckDecodeVersion<LeaveGroupRequest>(version));
  const bool flex = Flexible<LeaveGroupRequest>(version);
  LeaveGroupRequest m;
  m.group_id = r.String(flex);
  if (version <= 2) {
    m.member_id = r.String(flex);
  } else {
    m.members = ReadArray(r, flex, [flex](Reader& r) {
      Member mem;
      mem.member_id = r.String(flex);
      mem.group_instance_id = r.NullableString(flex);
      r.SkipTaggedFields(flex);
      return mem;
    });
  }
  r.SkipTaggedFields(flex);
  return Finish(r, std::move(m));
}

void LeaveGroupRequest::Encode(Writer& w, int16_t version) const {
  CheckEncodeVersion<LeaveGroupRequest>(version);
  const bool flex = Flexible<LeaveGroupRequest>(version);
  w.String(group_id, flex);
  if (version <= 2) {
    w.String(member_id, flex);
  } else {
    WriteArray(w, members, flex, [flex](Writer& w, const Member& mem) {
      w.String(mem.member_id, flex);
      w.NullableString(mem.group_instance_id, flex);
      w.EmptyTaggedFields(flex);
    });
  }
  w.EmptyTaggedFields(flex);
}

Result<LeaveGroupResponse> LeaveGroupResponse::Decode(Reader& r, int16_t version) {
  CORELOG_TRY(CheckDecodeVersion<LeaveGroupResponse>(version));
  const bool flex = Flexible<LeaveGroupResponse>(version);
  LeaveGroupResponse m;
  if (version >= 1) m.throttle_time_ms = r.Int32();
  m.error_code = ReadErrorCode(r);
  if (version >= 3) {
    m.members = ReadArray(r, flex, [flex](Reader& r) {
      Member mem;
      mem.member_id = r.String(flex);
      mem.group_instance_id = r.NullableString(flex);
      mem.error_code = ReadErrorCode(r);
      r.SkipTaggedFields(flex);
      return mem;
    });
  }
  r.SkipTaggedFields(flex);
  return Finish(r, std::move(m));
}

void LeaveGroupResponse::Encode(Writer& w, int16_t version) const {
  CheckEncodeVersion<LeaveGroupResponse>(version);
  const bool flex = Flexible<LeaveGroupResponse>(version);
  if (version >= 1) w.Int32(throttle_time_ms);
  WriteErrorCode(w, error_code);
  if (version >= 3) {
    WriteArray(w, members, flex, [flex](Writer& w, const Member& mem) {
      w.String(mem.member_id, flex);
      w.NullableString(mem.group_instance_id, flex);
      WriteErrorCode(w, mem.error_code);
      w.EmptyTaggedFields(flex);
    });
  }
  w.EmptyTaggedFields(flex);
}

// ---- OffsetCommit ----

namespace {

OffsetCommitRequest::Partition ReadCommitPartition(Reader& r, int16_t version, bool flex) {
  OffsetCommitRequest::Partition p;
  p.partition_index = r.Int32();
  p.committed_offset = r.Int64();
  if (version >= 6) p.committed_leader_epoch = r.Int32();
  p.committed_metadata = r.NullableString(flex);
  r.SkipTaggedFields(flex);
  return p;
}

void WriteCommitPartition(Writer& w, const OffsetCommitRequest::Partition& p, int16_t version,
                          bool flex) {
  w.Int32(p.partition_index);
  w.Int64(p.committed_offset);
  if (version >= 6) w.Int32(p.committed_leader_epoch);
  w.NullableString(p.committed_metadata, flex);
  w.EmptyTaggedFields(flex);
}

}  // namespace

Result<OffsetCommitRequest> OffsetCommitRequest::Decode(Reader& r, int16_t version) {
  CORELOG_TRY(CheckDecodeVersion<OffsetCommitRequest>(version));
  const bool flex = Flexible<OffsetCommitRequest>(version);
  OffsetCommitRequest m;
  m.group_id = r.String(flex);
  m.generation_id = r.Int32();
  m.member_id = r.String(flex);
  if (version >= 7) m.group_instance_id = r.NullableString(flex);
  if (version <= 4) m.retention_time_ms = r.Int64();
  m.topics = ReadArray(r, flex, [version, flex](Reader& r) {
    Topic t;
    t.name = r.String(flex);
    t.partitions = ReadArray(
        r, flex, [version, flex](Reader& r) { return ReadCommitPartition(r, version, flex); });
    r.SkipTaggedFields(flex);
    return t;
  });
  r.SkipTaggedFields(flex);
  return Finish(r, std::move(m));
}

void OffsetCommitRequest::Encode(Writer& w, int16_t version) const {
  CheckEncodeVersion<OffsetCommitRequest>(version);
  const bool flex = Flexible<OffsetCommitRequest>(version);
  w.String(group_id, flex);
  w.Int32(generation_id);
  w.String(member_id, flex);
  if (version >= 7) w.NullableString(group_instance_id, flex);
  if (version <= 4) w.Int64(retention_time_ms);
  WriteArray(w, topics, flex, [version, flex](Writer& w, const Topic& t) {
    w.String(t.name, flex);
    WriteArray(w, t.partitions, flex, [version, flex](Writer& w, const Partition& p) {
      WriteCommitPartition(w, p, version, flex);
    });
    w.EmptyTaggedFields(flex);
  });
  w.EmptyTaggedFields(flex);
}

Result<OffsetCommitResponse> OffsetCommitResponse::Decode(Reader& r, int16_t version) {
  CORELOG_TRY(CheckDecodeVersion<OffsetCommitResponse>(version));
  const bool flex = Flexible<OffsetCommitResponse>(version);
  OffsetCommitResponse m;
  if (version >= 3) m.throttle_time_ms = r.Int32();
  m.topics = ReadArray(r, flex, [flex](Reader& r) {
    Topic t;
    t.name = r.String(flex);
    t.partitions = ReadArray(r, flex, [flex](Reader& r) {
      Partition p;
      p.partition_index = r.Int32();
      p.error_code = ReadErrorCode(r);
      r.SkipTaggedFields(flex);
      return p;
    });
    r.SkipTaggedFields(flex);
    return t;
  });
  r.SkipTaggedFields(flex);
  return Finish(r, std::move(m));
}

void OffsetCommitResponse::Encode(Writer& w, int16_t version) const {
  CheckEncodeVersion<OffsetCommitResponse>(version);
  const bool flex = Flexible<OffsetCommitResponse>(version);
  if (version >= 3) w.Int32(throttle_time_ms);
  WriteArray(w, topics, flex, [flex](Writer& w, const Topic& t) {
    w.String(t.name, flex);
    WriteArray(w, t.partitions, flex, [flex](Writer& w, const Partition& p) {
      w.Int32(p.partition_index);
      WriteErrorCode(w, p.error_code);
      w.EmptyTaggedFields(flex);
    });
    w.EmptyTaggedFields(flex);
  });
  w.EmptyTaggedFields(flex);
}

// ---- OffsetFetch ----

Result<OffsetFetchRequest> OffsetFetchRequest::Decode(Reader& r, int16_t version) {
  CORELOG_TRY(CheckDecodeVersion<OffsetFetchRequest>(version));
  const bool flex = Flexible<OffsetFetchRequest>(version);
  OffsetFetchRequest m;
  m.group_id = r.String(flex);
  m.topics = ReadNullableArray(r, flex, [flex](Reader& r) {
    Topic t;
    t.name = r.String(flex);
    t.partition_indexes = ReadInt32Array(r, flex);
    r.SkipTaggedFields(flex);
    return t;
  });
  // v1 has no null list; keep "nullopt = all" from meaning anything there.
  if (version < 2 && !m.topics) m.topics.emplace();
  if (version >= 7) m.require_stable = r.Bool();
  r.SkipTaggedFields(flex);
  return Finish(r, std::move(m));
}

void OffsetFetchRequest::Encode(Writer& w, int16_t version) const {
  CheckEncodeVersion<OffsetFetchRequest>(version);
  const bool flex = Flexible<OffsetFetchRequest>(version);
  w.String(group_id, flex);
  auto write_topic = [flex](Writer& w, const Topic& t) {
    w.String(t.name, flex);
    WriteInt32Array(w, t.partition_indexes, flex);
    w.EmptyTaggedFields(flex);
  };
  if (version < 2 && !topics) {
    w.ArrayLength(0, flex);
  } else {
    WriteNullableArray(w, topics, flex, write_topic);
  }
  if (version >= 7) w.Bool(require_stable);
  w.EmptyTaggedFields(flex);
}

Result<OffsetFetchResponse> OffsetFetchResponse::Decode(Reader& r, int16_t version) {
  CORELOG_TRY(CheckDecodeVersion<OffsetFetchResponse>(version));
  const bool flex = Flexible<OffsetFetchResponse>(version);
  OffsetFetchResponse m;
  if (version >= 3) m.throttle_time_ms = r.Int32();
  m.topics = ReadArray(r, flex, [version, flex](Reader& r) {
    Topic t;
    t.name = r.String(flex);
    t.partitions = ReadArray(r, flex, [version, flex](Reader& r) {
      Partition p;
      p.partition_index = r.Int32();
      p.committed_offset = r.Int64();
      if (version >= 5) p.committed_leader_epoch = r.Int32();
      p.metadata = r.NullableString(flex);
      p.error_code = ReadErrorCode(r);
      r.SkipTaggedFields(flex);
      return p;
    });
    r.SkipTaggedFields(flex);
    return t;
  });
  if (version >= 2) m.error_code = ReadErrorCode(r);
  r.SkipTaggedFields(flex);
  return Finish(r, std::move(m));
}

void OffsetFetchResponse::Encode(Writer& w, int16_t version) const {
  CheckEncodeVersion<OffsetFetchResponse>(version);
  const bool flex = Flexible<OffsetFetchResponse>(version);
  if (version >= 3) w.Int32(throttle_time_ms);
  WriteArray(w, topics, flex, [version, flex](Writer& w, const Topic& t) {
    w.String(t.name, flex);
    WriteArray(w, t.partitions, flex, [version, flex](Writer& w, const Partition& p) {
      w.Int32(p.partition_index);
      w.Int64(p.committed_offset);
      if (version >= 5) w.Int32(p.committed_leader_epoch);
      w.NullableString(p.metadata, flex);
      WriteErrorCode(w, p.error_code);
      w.EmptyTaggedFields(flex);
    });
    w.EmptyTaggedFields(flex);
  });
  if (version >= 2) WriteErrorCode(w, error_code);
  w.EmptyTaggedFields(flex);
}

// ---- DescribeGroups ----

Result<DescribeGroupsRequest> DescribeGroupsRequest::Decode(Reader& r, int16_t version) {
  CORELOG_TRY(CheckDecodeVersion<DescribeGroupsRequest>(version));
  const bool flex = Flexible<DescribeGroupsRequest>(version);
  DescribeGroupsRequest m;
  m.groups = ReadStringArray(r, flex);
  if (version >= 3) m.include_authorized_operations = r.Bool();
  r.SkipTaggedFields(flex);
  return Finish(r, std::move(m));
}

void DescribeGroupsRequest::Encode(Writer& w, int16_t version) const {
  CheckEncodeVersion<DescribeGroupsRequest>(version);
  const bool flex = Flexible<DescribeGroupsRequest>(version);
  WriteStringArray(w, groups, flex);
  if (version >= 3) w.Bool(include_authorized_operations);
  w.EmptyTaggedFields(flex);
}

namespace {

using DescribedMember = DescribeGroupsResponse::Member;

DescribedMember ReadDescribedMember(Reader& r, int16_t version, bool flex) {
  DescribedMember m;
  m.member_id = r.String(flex);
  if (version >= 4) m.group_instance_id = r.NullableString(flex);
  m.client_id = r.String(flex);
  m.client_host = r.String(flex);
  m.member_metadata = std::string(r.Bytes(flex));
  m.member_assignment = std::string(r.Bytes(flex));
  r.SkipTaggedFields(flex);
  return m;
}

void WriteDescribedMember(Writer& w, const DescribedMember& m, int16_t version, bool flex) {
  w.String(m.member_id, flex);
  if (version >= 4) w.NullableString(m.group_instance_id, flex);
  w.String(m.client_id, flex);
  w.String(m.client_host, flex);
  w.Bytes(m.member_metadata, flex);
  w.Bytes(m.member_assignment, flex);
  w.EmptyTaggedFields(flex);
}

}  // namespace

Result<DescribeGroupsResponse> DescribeGroupsResponse::Decode(Reader& r, int16_t version) {
  CORELOG_TRY(CheckDecodeVersion<DescribeGroupsResponse>(version));
  const bool flex = Flexible<DescribeGroupsResponse>(version);
  DescribeGroupsResponse m;
  if (version >= 1) m.throttle_time_ms = r.Int32();
  m.groups = ReadArray(r, flex, [version, flex](Reader& r) {
    Group g;
    g.error_code = ReadErrorCode(r);
    g.group_id = r.String(flex);
    g.group_state = r.String(flex);
    g.protocol_type = r.String(flex);
    g.protocol_data = r.String(flex);
    g.members = ReadArray(
        r, flex, [version, flex](Reader& r) { return ReadDescribedMember(r, version, flex); });
    if (version >= 3) g.authorized_operations = r.Int32();
    r.SkipTaggedFields(flex);
    return g;
  });
  r.SkipTaggedFields(flex);
  return Finish(r, std::move(m));
}

void DescribeGroupsResponse::Encode(Writer& w, int16_t version) const {
  CheckEncodeVersion<DescribeGroupsResponse>(version);
  const bool flex = Flexible<DescribeGroupsResponse>(version);
  if (version >= 1) w.Int32(throttle_time_ms);
  WriteArray(w, groups, flex, [version, flex](Writer& w, const Group& g) {
    WriteErrorCode(w, g.error_code);
    w.String(g.group_id, flex);
    w.String(g.group_state, flex);
    w.String(g.protocol_type, flex);
    w.String(g.protocol_data, flex);
    WriteArray(w, g.members, flex, [version, flex](Writer& w, const DescribedMember& m) {
      WriteDescribedMember(w, m, version, flex);
    });
    if (version >= 3) w.Int32(g.authorized_operations);
    w.EmptyTaggedFields(flex);
  });
  w.EmptyTaggedFields(flex);
}

// ---- ListGroups ----

Result<ListGroupsRequest> ListGroupsRequest::Decode(Reader& r, int16_t version) {
  CORELOG_TRY(CheckDecodeVersion<ListGroupsRequest>(version));
  const bool flex = Flexible<ListGroupsRequest>(version);
  ListGroupsRequest m;
  if (version >= 4) m.states_filter = ReadStringArray(r, flex);
  r.SkipTaggedFields(flex);
  return Finish(r, std::move(m));
}

void ListGroupsRequest::Encode(Writer& w, int16_t version) const {
  CheckEncodeVersion<ListGroupsRequest>(version);
  const bool flex = Flexible<ListGroupsRequest>(version);
  if (version >= 4) WriteStringArray(w, states_filter, flex);
  w.EmptyTaggedFields(flex);
}

Result<ListGroupsResponse> ListGroupsResponse::Decode(Reader& r, int16_t version) {
  CORELOG_TRY(CheckDecodeVersion<ListGroupsResponse>(version));
  const bool flex = Flexible<ListGroupsResponse>(version);
  ListGroupsResponse m;
  if (version >= 1) m.throttle_time_ms = r.Int32();
  m.error_code = ReadErrorCode(r);
  m.groups = ReadArray(r, flex, [version, flex](Reader& r) {
    Group g;
    g.group_id = r.String(flex);
    g.protocol_type = r.String(flex);
    if (version >= 4) g.group_state = r.String(flex);
    r.SkipTaggedFields(flex);
    return g;
  });
  r.SkipTaggedFields(flex);
  return Finish(r, std::move(m));
}

void ListGroupsResponse::Encode(Writer& w, int16_t version) const {
  CheckEncodeVersion<ListGroupsResponse>(version);
  const bool flex = Flexible<ListGroupsResponse>(version);
  if (version >= 1) w.Int32(throttle_time_ms);
  WriteErrorCode(w, error_code);
  WriteArray(w, groups, flex, [version, flex](Writer& w, const Group& g) {
    w.String(g.group_id, flex);
    w.String(g.protocol_type, flex);
    if (version >= 4) w.String(g.group_state, flex);
    w.EmptyTaggedFields(flex);
  });
  w.EmptyTaggedFields(flex);
}

// ---- DeleteGroups ----

Result<DeleteGroupsRequest> DeleteGroupsRequest::Decode(Reader& r, int16_t version) {
  CORELOG_TRY(CheckDecodeVersion<DeleteGroupsRequest>(version));
  const bool flex = Flexible<DeleteGroupsRequest>(version);
  DeleteGroupsRequest m;
  m.group_names = ReadStringArray(r, flex);
  r.SkipTaggedFields(flex);
  return Finish(r, std::move(m));
}

void DeleteGroupsRequest::Encode(Writer& w, int16_t version) const {
  CheckEncodeVersion<DeleteGroupsRequest>(version);
  const bool flex = Flexible<DeleteGroupsRequest>(version);
  WriteStringArray(w, group_names, flex);
  w.EmptyTaggedFields(flex);
}

Result<DeleteGroupsResponse> DeleteGroupsResponse::Decode(Reader& r, int16_t version) {
  CORELOG_TRY(CheckDecodeVersion<DeleteGroupsResponse>(version));
  const bool flex = Flexible<DeleteGroupsResponse>(version);
  DeleteGroupsResponse m;
  m.throttle_time_ms = r.Int32();
  m.results = ReadArray(r, flex, [flex](Reader& r) {
    GroupResult g;
    g.group_id = r.String(flex);
    g.error_code = ReadErrorCode(r);
    r.SkipTaggedFields(flex);
    return g;
  });
  r.SkipTaggedFields(flex);
  return Finish(r, std::move(m));
}

void DeleteGroupsResponse::Encode(Writer& w, int16_t version) const {
  CheckEncodeVersion<DeleteGroupsResponse>(version);
  const bool flex = Flexible<DeleteGroupsResponse>(version);
  w.Int32(throttle_time_ms);
  WriteArray(w, results, flex, [flex](Writer& w, const GroupResult& g) {
    w.String(g.group_id, flex);
    WriteErrorCode(w, g.error_code);
    w.EmptyTaggedFields(flex);
  });
  w.EmptyTaggedFields(flex);
}

// ---- OffsetDelete (never flexible) ----

Result<OffsetDeleteRequest> OffsetDeleteRequest::Decode(Reader& r, int16_t version) {
  CORELOG_TRY(CheckDecodeVersion<OffsetDeleteRequest>(version));
  OffsetDeleteRequest m;
  m.group_id = r.String(false);
  m.topics = ReadArray(r, false, [](Reader& r) {
    Topic t;
    t.name = r.String(false);
    t.partition_indexes = ReadInt32Array(r, false);
    return t;
  });
  return Finish(r, std::move(m));
}

void OffsetDeleteRequest::Encode(Writer& w, int16_t version) const {
  CheckEncodeVersion<OffsetDeleteRequest>(version);
  w.String(group_id, false);
  WriteArray(w, topics, false, [](Writer& w, const Topic& t) {
    w.String(t.name, false);
    WriteInt32Array(w, t.partition_indexes, false);
  });
}

Result<OffsetDeleteResponse> OffsetDeleteResponse::Decode(Reader& r, int16_t version) {
  CORELOG_TRY(CheckDecodeVersion<OffsetDeleteResponse>(version));
  OffsetDeleteResponse m;
  m.error_code = ReadErrorCode(r);
  m.throttle_time_ms = r.Int32();
  m.topics = ReadArray(r, false, [](Reader& r) {
    Topic t;
    t.name = r.String(false);
    t.partitions = ReadArray(r, false, [](Reader& r) {
      Partition p;
      p.partition_index = r.Int32();
      p.error_code = ReadErrorCode(r);
      return p;
    });
    return t;
  });
  return Finish(r, std::move(m));
}

void OffsetDeleteResponse::Encode(Writer& w, int16_t version) const {
  CheckEncodeVersion<OffsetDeleteResponse>(version);
  WriteErrorCode(w, error_code);
  w.Int32(throttle_time_ms);
  WriteArray(w, topics, false, [](Writer& w, const Topic& t) {
    w.String(t.name, false);
    WriteArray(w, t.partitions, false, [](Writer& w, const Partition& p) {
      w.Int32(p.partition_index);
      WriteErrorCode(w, p.error_code);
    });
  });
}

}  // namespace corelog::kafka

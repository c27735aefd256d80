// GroupCoordinator: every consumer group of this broker and its committed
// offsets. A group and its offsets live on the core GroupCore(group id)
// picks; every call below posts there, so group state needs no lock. An
// OffsetCommit is written to that core's WAL as a state mutation and
// answered only after the group commit's fdatasync; it then reaches RocksDB
// (key 'o', see offset_codec) like a record batch does, and WAL replay
// restores it after a crash.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "broker/cores.h"
#include "broker/group.h"
#include "broker/kafka/messages.h"
#include "broker/storage.h"

namespace corelog::broker {

struct CommittedOffset {
  int64_t offset = -1;
  int32_t leader_epoch = -1;
  std::optional<std::string> metadata;
};

// (topic, partition)
using TopicPartition = std::pair<std::string, int32_t>;

class GroupCoordinator {
 public:
  // `initial_rebalance_delay`: see Group.
  GroupCoordinator(Storage* storage, Cores* cores,
                   std::chrono::milliseconds initial_rebalance_delay = std::chrono::milliseconds(0));
  ~GroupCoordinator();

  // Reads committed offsets from RocksDB (after WAL replay, before serving).
  Status Load();

  template <class T>
  using Done = std::function<void(T)>;

  void Join(JoinArgs args, Group::JoinDone done);
  void Sync(kafka::SyncGroupRequest req, Group::SyncDone done);
  void Heartbeat(kafka::HeartbeatRequest req, Done<kafka::ErrorCode> done);
  void Leave(kafka::LeaveGroupRequest req, int16_t version, Done<kafka::LeaveGroupResponse> done);
  void Commit(kafka::OffsetCommitRequest req, Done<kafka::OffsetCommitResponse> done);
  void Fetch(kafka::OffsetFetchRequest req, Done<kafka::OffsetFetchResponse> done);
  void Describe(std::vector<std::string> groups, Done<kafka::DescribeGroupsResponse> done);
  void List(Done<kafka::ListGroupsResponse> done);
  void Delete(std::vector<std::string> groups, Done<kafka::DeleteGroupsResponse> done);
  void DeleteOffsets(kafka::OffsetDeleteRequest req, Done<kafka::OffsetDeleteResponse> done);

  // A copy of every committed offset, for the consumer-lag metric. Any thread.
  std::map<std::string, std::map<TopicPartition, int64_t>> CommittedSnapshot() const;

 private:
  struct CoreState {
    std::map<std::string, std::unique_ptr<Group>> groups;
    std::map<std::string, std::map<TopicPartition, CommittedOffset>> offsets;
  };

  uint32_t CoreOf(const std::string& group) const;
  Group* FindOrCreate(uint32_t core, const std::string& group);
  void OnCore(const std::string& group, std::function<void(uint32_t core)> fn);
  // Writes puts/deletes of group offsets durably, then calls done on `core`.
  void Persist(uint32_t core, std::vector<std::pair<std::string, std::string>> puts,
               std::vector<std::string> deletes, std::function<void(Status)> done);
  void PublishSnapshot(const std::string& group, const CoreState& state);

  Storage* storage_;
  Cores* cores_;
  const std::chrono::milliseconds initial_rebalance_delay_;
  std::vector<CoreState> cores_state_;
  mutable std::mutex snapshot_mu_;
  std::map<std::string, std::map<TopicPartition, int64_t>> snapshot_;
};

// RocksDB key and value of one committed offset.
std::string OffsetKey(const std::string& group, const std::string& topic, int32_t partition);
std::string OffsetValue(const CommittedOffset& offset);
struct DecodedOffset {
  std::string group;
  TopicPartition partition;
  CommittedOffset offset;
};
std::optional<DecodedOffset> DecodeOffset(std::string_view key, std::string_view value);
inline constexpr char kOffsetKeyPrefix = 'o';

}  // namespace corelog::broker

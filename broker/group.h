// Group: one classic consumer group's membership state machine
// (Empty → PreparingRebalance → CompletingRebalance → Stable, KAFKA.md §3):
// members and pending member ids (KIP-394), generations, leader election,
// protocol selection by vote, session and rebalance timeouts. A Group lives
// on one core (GroupCore of its id) and is only touched there; JoinGroup and
// SyncGroup answers may be held back until the rebalance completes, so they
// are delivered through callbacks. Committed offsets are kept by the
// GroupCoordinator, not here.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "broker/cores.h"
#include "broker/kafka/messages.h"

namespace corelog::broker {

enum class GroupState { kEmpty, kPreparingRebalance, kCompletingRebalance, kStable, kDead };
const char* GroupStateName(GroupState state);

// Starts a one-shot timer on the group's core (Cores::StartTimer bound to it).
using TimerFactory =
    std::function<std::unique_ptr<Timer>(std::chrono::milliseconds, std::function<void()>)>;

struct JoinArgs {
  kafka::JoinGroupRequest request;
  int16_t version = 0;
  std::string client_id;
  std::string client_host;
};

class Group {
 public:
  using JoinDone = std::function<void(const kafka::JoinGroupResponse&)>;
  using SyncDone = std::function<void(const kafka::SyncGroupResponse&)>;

  // Kafka's group.min/max.session.timeout.ms defaults.
  static constexpr int32_t kMinSessionTimeoutMs = 6000;
  static constexpr int32_t kMaxSessionTimeoutMs = 30 * 60 * 1000;

  // `initial_delay`: how long an empty group's first rebalance waits for
  // more members (Kafka's group.initial.rebalance.delay.ms).
  Group(std::string id, TimerFactory timers,
        std::chrono::milliseconds initial_delay = std::chrono::milliseconds(0));
  ~Group();

  const std::string& id() const { return id_; }
  GroupState state() const { return state_; }
  int32_t generation() const { return generation_; }
  const std::string& protocol_type() const { return protocol_type_; }
  const std::string& protocol_name() const { return protocol_name_; }
  const std::string& leader() const { return leader_; }
  size_t size() const { return members_.size(); }
  bool HasMember(const std::string& member_id) const { return members_.count(member_id) > 0; }

  void Join(JoinArgs args, JoinDone done);
  void Sync(const kafka::SyncGroupRequest& req, SyncDone done);
  kafka::ErrorCode Heartbeat(const kafka::HeartbeatRequest& req);
  // Removes one member (LeaveGroup); UNKNOWN_MEMBER_ID if it is not there.
  kafka::ErrorCode Leave(const std::string& member_id,
                         const std::optional<std::string>& group_instance_id);
  // May an OffsetCommit with this generation and member write offsets?
  kafka::ErrorCode CheckCommit(int32_t generation, const std::string& member_id) const;

  kafka::DescribeGroupsResponse::Group Describe() const;

 private:
  struct Member {
    std::string id;
    std::optional<std::string> instance_id;
    std::string client_id;
    std::string client_host;
    int32_t session_timeout_ms = 0;
    int32_t rebalance_timeout_ms = 0;
    std::string protocol_type;
    std::vector<kafka::JoinGroupRequest::Protocol> protocols;
    std::string assignment;
    JoinDone join_done;  // set while its JoinGroup waits for the rebalance
    SyncDone sync_done;  // set while its SyncGroup waits for the leader
    std::unique_ptr<Timer> session_timer;
    uint64_t join_order = 0;
  };

  kafka::ErrorCode CheckJoin(const JoinArgs& args) const;
  std::string NewMemberId(const std::string& client_id) const;
  void AddPending(const std::string& member_id, int32_t session_timeout_ms);
  Member& Upsert(const std::string& member_id, const JoinArgs& args, JoinDone done);
  void PrepareRebalance();
  void WaitForMoreMembers(int64_t budget_ms);
  void MaybeCompleteJoin();
  void CompleteJoin();
  std::string ChooseProtocol() const;
  void SendJoinResponses();
  void FinishSync();
  void TouchSession(Member& m);
  void Remove(const std::string& member_id, kafka::ErrorCode reason);
  void AfterMembershipChange();

  const std::string id_;
  TimerFactory timers_;
  GroupState state_ = GroupState::kEmpty;
  int32_t generation_ = 0;
  std::string protocol_type_;
  std::string protocol_name_;
  std::string leader_;
  std::map<std::string, Member> members_;
  std::map<std::string, std::unique_ptr<Timer>> pending_;  // KIP-394 ids awaiting their rejoin
  std::map<std::string, std::string> static_members_;      // group.instance.id → member id
  std::unique_ptr<Timer> rebalance_timer_;
  const std::chrono::milliseconds initial_delay_;
  // Set while an empty group's first rebalance waits for more members.
  std::unique_ptr<Timer> initial_timer_;
  bool joined_while_waiting_ = false;
  uint64_t next_join_order_ = 0;
};

}  // namespace corelog::broker

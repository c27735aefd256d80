#include "broker/group.h"

#include <gtest/gtest.h>

#include <optional>

namespace corelog::broker {
namespace {

using kafka::ErrorCode;

// Timers that fire only when the test says so.
class FakeTimers {
 public:
  struct Entry {
    std::chrono::milliseconds delay;
    std::function<void()> fn;
    std::shared_ptr<bool> cancelled;
  };
  class FakeTimer : public Timer {
   public:
    explicit FakeTimer(std::shared_ptr<bool> c) : cancelled_(std::move(c)) {}
    ~FakeTimer() override { *cancelled_ = true; }
    void Cancel() override { *cancelled_ = true; }
    std::shared_ptr<bool> cancelled_;
  };

  TimerFactory Factory() {
    return [this](std::chrono::milliseconds d, std::function<void()> fn) {
      auto c = std::make_shared<bool>(false);
      entries_.push_back({d, std::move(fn), c});
      return std::make_unique<FakeTimer>(c);
    };
  }
  // Fires every live timer whose delay equals `delay`.
  int Fire(std::chrono::milliseconds delay) {
    std::vector<Entry> due;
    for (auto& e : entries_) {
      if (!*e.cancelled && e.delay == delay) due.push_back(e);
    }
    for (auto& e : due) {
      *e.cancelled = true;
      e.fn();
    }
    return static_cast<int>(due.size());
  }

 private:
  std::vector<Entry> entries_;
};

constexpr int32_t kSession = 10000;
constexpr int32_t kRebalance = 20000;

JoinArgs Args(const std::string& member, int16_t version = 5,
              std::vector<std::string> protocols = {"range"}) {
  JoinArgs a;
  a.version = version;
  a.client_id = "client";
  a.request.group_id = "g";
  a.request.session_timeout_ms = kSession;
  a.request.rebalance_timeout_ms = kRebalance;
  a.request.member_id = member;
  a.request.protocol_type = "consumer";
  for (auto& p : protocols) a.request.protocols.push_back({p, "meta-" + p});
  return a;
}

struct Capture {
  std::optional<kafka::JoinGroupResponse> join;
  std::optional<kafka::SyncGroupResponse> sync;
  Group::JoinDone JoinCb() {
    return [this](const kafka::JoinGroupResponse& r) { join = r; };
  }
  Group::SyncDone SyncCb() {
    return [this](const kafka::SyncGroupResponse& r) { sync = r; };
  }
};

class GroupTest : public ::testing::Test {
 protected:
  explicit GroupTest(std::chrono::milliseconds initial_delay = std::chrono::milliseconds(0))
      : group_("g", timers_.Factory(), initial_delay) {}

  // KIP-394 two-step join; returns the member id.
  std::string JoinNew(Capture& c, std::vector<std::string> protocols = {"range"}) {
    group_.Join(Args("", 5, protocols), c.JoinCb());
    EXPECT_TRUE(c.join);
    EXPECT_EQ(c.join->error_code, ErrorCode::kMemberIdRequired);
    std::string id = c.join->member_id;
    c.join.reset();
    group_.Join(Args(id, 5, protocols), c.JoinCb());
    return id;
  }
  kafka::SyncGroupRequest SyncReq(const std::string& member, int32_t gen,
                                  std::vector<kafka::SyncGroupRequest::Assignment> a = {}) {
    kafka::SyncGroupRequest r;
    r.group_id = "g";
    r.member_id = member;
    r.generation_id = gen;
    r.assignments = std::move(a);
    return r;
  }
  kafka::HeartbeatRequest Beat(const std::string& member, int32_t gen) {
    kafka::HeartbeatRequest r;
    r.group_id = "g";
    r.member_id = member;
    r.generation_id = gen;
    return r;
  }

  FakeTimers timers_;
  Group group_;
};

TEST_F(GroupTest, NewMemberOnV4NeedsAMemberIdFirst) {
  Capture c;
  group_.Join(Args("", 4), c.JoinCb());
  ASSERT_TRUE(c.join);
  EXPECT_EQ(c.join->error_code, ErrorCode::kMemberIdRequired);
  EXPECT_FALSE(c.join->member_id.empty());
  EXPECT_EQ(group_.size(), 0u);
  EXPECT_EQ(group_.state(), GroupState::kEmpty);
}

TEST_F(GroupTest, OldVersionsGetAMemberIdAtOnce) {
  Capture c;
  group_.Join(Args("", 3), c.JoinCb());
  ASSERT_TRUE(c.join);
  EXPECT_EQ(c.join->error_code, ErrorCode::kNone);
  EXPECT_EQ(c.join->generation_id, 1);
  EXPECT_EQ(c.join->leader, c.join->member_id);
  EXPECT_EQ(group_.state(), GroupState::kCompletingRebalance);
}

TEST_F(GroupTest, SingleMemberBecomesLeaderAndGetsItsAssignment) {
  Capture c;
  std::string id = JoinNew(c);
  ASSERT_TRUE(c.join);
  EXPECT_EQ(c.join->error_code, ErrorCode::kNone);
  EXPECT_EQ(c.join->leader, id);
  ASSERT_EQ(c.join->members.size(), 1u);
  EXPECT_EQ(c.join->members[0].metadata, "meta-range");
  group_.Sync(SyncReq(id, 1, {{id, "assign-1"}}), c.SyncCb());
  ASSERT_TRUE(c.sync);
  EXPECT_EQ(c.sync->assignment, "assign-1");
  EXPECT_EQ(group_.state(), GroupState::kStable);
}

TEST_F(GroupTest, SecondMemberTriggersRebalanceAndBothGetAssignments) {
  Capture a, b;
  std::string ida = JoinNew(a);
  group_.Sync(SyncReq(ida, 1, {{ida, "all"}}), a.SyncCb());
  std::string idb = JoinNew(b);
  EXPECT_FALSE(b.join) << "held until the existing member rejoins";
  EXPECT_EQ(group_.state(), GroupState::kPreparingRebalance);
  EXPECT_EQ(group_.Heartbeat(Beat(ida, 1)), ErrorCode::kRebalanceInProgress);
  a.join.reset();
  group_.Join(Args(ida), a.JoinCb());
  ASSERT_TRUE(a.join && b.join);
  EXPECT_EQ(a.join->generation_id, 2);
  EXPECT_EQ(b.join->generation_id, 2);
  EXPECT_EQ(a.join->leader, ida) << "the leader stays the leader";
  EXPECT_EQ(a.join->members.size(), 2u);
  EXPECT_TRUE(b.join->members.empty()) << "only the leader sees the member list";
  a.sync.reset();
  group_.Sync(SyncReq(idb, 2), b.SyncCb());
  EXPECT_FALSE(b.sync) << "followers wait for the leader's assignment";
  group_.Sync(SyncReq(ida, 2, {{ida, "p0"}, {idb, "p1"}}), a.SyncCb());
  ASSERT_TRUE(a.sync && b.sync);
  EXPECT_EQ(a.sync->assignment, "p0");
  EXPECT_EQ(b.sync->assignment, "p1");
  EXPECT_EQ(group_.Heartbeat(Beat(idb, 2)), ErrorCode::kNone);
}

TEST_F(GroupTest, MemberThatDoesNotRejoinIsDroppedAtRebalanceTimeout) {
  Capture a, b;
  std::string ida = JoinNew(a);
  group_.Sync(SyncReq(ida, 1, {{ida, "all"}}), a.SyncCb());
  std::string idb = JoinNew(b);
  EXPECT_FALSE(b.join);
  EXPECT_GE(timers_.Fire(std::chrono::milliseconds(kRebalance)), 1);
  ASSERT_TRUE(b.join);
  EXPECT_EQ(b.join->error_code, ErrorCode::kNone);
  EXPECT_EQ(b.join->leader, idb);
  EXPECT_FALSE(group_.HasMember(ida));
}

TEST_F(GroupTest, SilentMemberIsRemovedAfterItsSessionTimeout) {
  Capture a;
  std::string ida = JoinNew(a);
  group_.Sync(SyncReq(ida, 1, {{ida, "all"}}), a.SyncCb());
  EXPECT_GE(timers_.Fire(std::chrono::milliseconds(kSession)), 1);
  EXPECT_FALSE(group_.HasMember(ida));
  EXPECT_EQ(group_.state(), GroupState::kEmpty);
  EXPECT_EQ(group_.Heartbeat(Beat(ida, 1)), ErrorCode::kUnknownMemberId);
}

TEST_F(GroupTest, PendingMemberIdExpires) {
  Capture c;
  group_.Join(Args("", 5), c.JoinCb());
  std::string id = c.join->member_id;
  EXPECT_GE(timers_.Fire(std::chrono::milliseconds(kSession)), 1);
  c.join.reset();
  group_.Join(Args(id), c.JoinCb());
  ASSERT_TRUE(c.join);
  EXPECT_EQ(c.join->error_code, ErrorCode::kUnknownMemberId);
}

TEST_F(GroupTest, LeaveCompletesTheRebalanceForTheOthers) {
  Capture a, b;
  std::string ida = JoinNew(a);
  group_.Sync(SyncReq(ida, 1, {{ida, "all"}}), a.SyncCb());
  std::string idb = JoinNew(b);
  EXPECT_EQ(group_.Leave(ida, std::nullopt), ErrorCode::kNone);
  ASSERT_TRUE(b.join);
  EXPECT_EQ(b.join->leader, idb);
  EXPECT_EQ(group_.Leave("nobody", std::nullopt), ErrorCode::kUnknownMemberId);
}

TEST_F(GroupTest, ProtocolIsChosenByVoteAmongCommonOnes) {
  Capture a, b;
  JoinNew(a, {"roundrobin", "range"});
  std::string idb = JoinNew(b, {"range", "roundrobin"});
  // a must rejoin to finish generation 2.
  a.join.reset();
  group_.Join(Args(a.join ? a.join->member_id : group_.leader(), 5, {"roundrobin", "range"}),
              a.JoinCb());
  ASSERT_TRUE(b.join);
  EXPECT_TRUE(b.join->protocol_name == "range" || b.join->protocol_name == "roundrobin");
  Capture c;
  group_.Join(Args("", 5, {"sticky"}), c.JoinCb());
  ASSERT_TRUE(c.join);
  EXPECT_EQ(c.join->error_code, ErrorCode::kInconsistentGroupProtocol);
  (void)idb;
}

TEST_F(GroupTest, SessionTimeoutOutsideBoundsIsRejected) {
  Capture c;
  auto args = Args("", 5);
  args.request.session_timeout_ms = 1000;
  group_.Join(args, c.JoinCb());
  ASSERT_TRUE(c.join);
  EXPECT_EQ(c.join->error_code, ErrorCode::kInvalidSessionTimeout);
}

TEST_F(GroupTest, WrongGenerationIsIllegal) {
  Capture a;
  std::string ida = JoinNew(a);
  group_.Sync(SyncReq(ida, 7), a.SyncCb());
  ASSERT_TRUE(a.sync);
  EXPECT_EQ(a.sync->error_code, ErrorCode::kIllegalGeneration);
  group_.Sync(SyncReq(ida, 1, {{ida, "x"}}), a.SyncCb());
  EXPECT_EQ(group_.Heartbeat(Beat(ida, 0)), ErrorCode::kIllegalGeneration);
  EXPECT_EQ(group_.CheckCommit(0, ida), ErrorCode::kIllegalGeneration);
  EXPECT_EQ(group_.CheckCommit(1, ida), ErrorCode::kNone);
}

TEST_F(GroupTest, SimpleCommitIsAcceptedOnlyWhileEmpty) {
  EXPECT_EQ(group_.CheckCommit(-1, ""), ErrorCode::kNone);
  Capture a;
  JoinNew(a);
  EXPECT_EQ(group_.CheckCommit(-1, ""), ErrorCode::kUnknownMemberId);
}

TEST_F(GroupTest, StaticMemberRejoiningKeepsItsId) {
  Capture a;
  auto args = Args("", 5);
  args.request.group_instance_id = "instance-1";
  group_.Join(args, a.JoinCb());
  ASSERT_TRUE(a.join);
  EXPECT_EQ(a.join->error_code, ErrorCode::kNone) << "static members skip KIP-394";
  std::string id = a.join->member_id;
  group_.Sync(SyncReq(id, 1, {{id, "x"}}), a.SyncCb());
  a.join.reset();
  group_.Join(args, a.JoinCb());
  ASSERT_TRUE(a.join);
  EXPECT_EQ(a.join->member_id, id);
}

TEST_F(GroupTest, DescribeShowsStateMembersAndAssignments) {
  Capture a;
  std::string ida = JoinNew(a);
  group_.Sync(SyncReq(ida, 1, {{ida, "asg"}}), a.SyncCb());
  auto d = group_.Describe();
  EXPECT_EQ(d.group_state, "Stable");
  EXPECT_EQ(d.protocol_type, "consumer");
  EXPECT_EQ(d.protocol_data, "range");
  ASSERT_EQ(d.members.size(), 1u);
  EXPECT_EQ(d.members[0].member_assignment, "asg");
  EXPECT_EQ(d.members[0].member_metadata, "meta-range");
}

constexpr std::chrono::milliseconds kDelay(3000);

// An empty group's first rebalance waits for more members.
class InitialDelayTest : public GroupTest {
 protected:
  InitialDelayTest() : GroupTest(kDelay) {}
};

TEST_F(InitialDelayTest, ConsumersStartedTogetherShareTheFirstGeneration) {
  Capture a, b;
  std::string ida = JoinNew(a);
  EXPECT_FALSE(a.join) << "held for the delay";
  std::string idb = JoinNew(b);
  EXPECT_FALSE(b.join);
  EXPECT_EQ(timers_.Fire(kDelay), 1);
  EXPECT_FALSE(a.join || b.join) << "someone joined meanwhile: wait once more";
  EXPECT_EQ(timers_.Fire(kDelay), 1);
  ASSERT_TRUE(a.join && b.join);
  EXPECT_EQ(a.join->generation_id, 1);
  EXPECT_EQ(b.join->generation_id, 1);
  EXPECT_EQ(a.join->leader, ida);
  EXPECT_EQ(a.join->members.size(), 2u);
  group_.Sync(SyncReq(ida, 1, {{ida, "p0"}, {idb, "p1"}}), a.SyncCb());
  group_.Sync(SyncReq(idb, 1), b.SyncCb());
  ASSERT_TRUE(a.sync && b.sync);
  EXPECT_EQ(b.sync->assignment, "p1");
}

TEST_F(InitialDelayTest, ALoneMemberIsAnsweredWhenTheDelayEnds) {
  Capture a;
  std::string ida = JoinNew(a);
  EXPECT_FALSE(a.join);
  EXPECT_EQ(group_.state(), GroupState::kPreparingRebalance);
  EXPECT_EQ(timers_.Fire(kDelay), 1);
  ASSERT_TRUE(a.join);
  EXPECT_EQ(a.join->error_code, ErrorCode::kNone);
  EXPECT_EQ(a.join->leader, ida);
}

TEST_F(InitialDelayTest, ArrivalsCannotHoldTheGroupPastTheRebalanceTimeout) {
  Capture first;
  JoinNew(first);
  std::vector<Capture> later(7);
  // 20 s of rebalance timeout: six whole delays, then the 2 s left.
  for (int i = 0; i < 6; ++i) {
    JoinNew(later[i]);
    EXPECT_EQ(timers_.Fire(kDelay), 1);
    EXPECT_FALSE(first.join);
  }
  JoinNew(later[6]);
  EXPECT_EQ(timers_.Fire(std::chrono::milliseconds(kRebalance) - 6 * kDelay), 1);
  ASSERT_TRUE(first.join);
  EXPECT_EQ(first.join->members.size(), 8u);
}

TEST_F(InitialDelayTest, ALeaveDuringTheDelayIsNotWaitedFor) {
  Capture a, b;
  std::string ida = JoinNew(a);
  std::string idb = JoinNew(b);
  EXPECT_EQ(group_.Leave(idb, std::nullopt), ErrorCode::kNone);
  ASSERT_TRUE(b.join);
  EXPECT_EQ(b.join->error_code, ErrorCode::kUnknownMemberId);
  EXPECT_FALSE(a.join);
  EXPECT_EQ(timers_.Fire(kDelay), 1);
  EXPECT_EQ(timers_.Fire(kDelay), 1);
  ASSERT_TRUE(a.join);
  EXPECT_EQ(a.join->members.size(), 1u);
}

TEST_F(InitialDelayTest, LaterRebalancesAreNotDelayed) {
  Capture a, b;
  std::string ida = JoinNew(a);
  EXPECT_EQ(timers_.Fire(kDelay), 1);
  group_.Sync(SyncReq(ida, 1, {{ida, "all"}}), a.SyncCb());
  std::string idb = JoinNew(b);
  a.join.reset();
  group_.Join(Args(ida), a.JoinCb());
  ASSERT_TRUE(a.join && b.join) << "answered once every member rejoined";
  EXPECT_EQ(b.join->generation_id, 2);
}

}  // namespace
}  // namespace corelog::broker

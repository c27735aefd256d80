#include "broker/group.h"

#include <algorithm>
#include <random>

#include "common/log.h"

namespace corelog::broker {
namespace {

using kafka::ErrorCode;

kafka::JoinGroupResponse JoinError(ErrorCode code, const std::string& member_id = "") {
  kafka::JoinGroupResponse r;
  r.error_code = code;
  r.member_id = member_id;
  return r;
}

kafka::SyncGroupResponse SyncError(ErrorCode code) {
  kafka::SyncGroupResponse r;
  r.error_code = code;
  return r;
}

}  // namespace

const char* GroupStateName(GroupState state) {
  switch (state) {
    case GroupState::kEmpty: return "Empty";
    case GroupState::kPreparingRebalance: return "PreparingRebalance";
    case GroupState::kCompletingRebalance: return "CompletingRebalance";
    case GroupState::kStable: return "Stable";
    case GroupState::kDead: return "Dead";
  }
  return "Unknown";
}

Group::Group(std::string id, TimerFactory timers, std::chrono::milliseconds initial_delay)
    : id_(std::move(id)), timers_(std::move(timers)), initial_delay_(initial_delay) {}

Group::~Group() {
  // Every held-back answer must still be sent, or its connection stalls.
  for (auto& [id, m] : members_) {
    if (m.join_done) m.join_done(JoinError(ErrorCode::kCoordinatorNotAvailable, id));
    if (m.sync_done) m.sync_done(SyncError(ErrorCode::kCoordinatorNotAvailable));
  }
}

ErrorCode Group::CheckJoin(const JoinArgs& args) const {
  const auto& req = args.request;
  if (req.group_id.empty()) return ErrorCode::kInvalidGroupId;
  if (req.session_timeout_ms < kMinSessionTimeoutMs ||
      req.session_timeout_ms > kMaxSessionTimeoutMs) {
    return ErrorCode::kInvalidSessionTimeout;
  }
  if (req.protocol_type.empty() || req.protocols.empty()) {
    return ErrorCode::kInconsistentGroupProtocol;
  }
  // A newcomer must share the group's protocol type and at least one
  // protocol that every other member supports.
  bool others = false;
  for (const auto& [id, m] : members_) {
    if (id == req.member_id) continue;
    others = true;
    if (m.protocol_type != req.protocol_type) return ErrorCode::kInconsistentGroupProtocol;
  }
  if (!others) return ErrorCode::kNone;
  for (const auto& p : req.protocols) {
    bool everyone = true;
    for (const auto& [id, m] : members_) {
      if (id == req.member_id) continue;
      bool has = false;
      for (const auto& mp : m.protocols) has = has || mp.name == p.name;
      everyone = everyone && has;
    }
    if (everyone) return ErrorCode::kNone;
  }
  return ErrorCode::kInconsistentGroupProtocol;
}

std::string Group::NewMemberId(const std::string& client_id) const {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  static constexpr char kHex[] = "0123456789abcdef";
  std::string uuid;
  for (int i = 0; i < 32; ++i) {
    if (i == 8 || i == 12 || i == 16 || i == 20) uuid += '-';
    uuid += kHex[rng() % 16];
  }
  return (client_id.empty() ? "member" : client_id) + "-" + uuid;
}

void Group::Join(JoinArgs args, JoinDone done) {
  const auto& req = args.request;
  if (auto err = CheckJoin(args); err != ErrorCode::kNone) return done(JoinError(err, req.member_id));
  std::string member_id = req.member_id;
  if (member_id.empty()) {
    if (req.group_instance_id) {
      auto it = static_members_.find(*req.group_instance_id);
      member_id = it != static_members_.end() ? it->second : NewMemberId(args.client_id);
    } else if (args.version >= 4) {
      // KIP-394: the client must come back with this id before it counts.
      member_id = NewMemberId(args.client_id);
      AddPending(member_id, req.session_timeout_ms);
      return done(JoinError(ErrorCode::kMemberIdRequired, member_id));
    } else {
      member_id = NewMemberId(args.client_id);
    }
  } else if (!members_.count(member_id) && !pending_.count(member_id)) {
    return done(JoinError(ErrorCode::kUnknownMemberId, member_id));
  }
  pending_.erase(member_id);
  const bool was_empty = state_ == GroupState::kEmpty;
  const bool newcomer = !members_.count(member_id);
  Member& m = Upsert(member_id, args, std::move(done));
  if (state_ != GroupState::kPreparingRebalance) PrepareRebalance();
  // Consumers started together would otherwise each set off a rebalance
  // of their own as they arrive, the first one taking every partition
  // until the others' joins reach it at its next heartbeat.
  if (was_empty && initial_delay_.count() > 0) {
    WaitForMoreMembers(m.rebalance_timeout_ms);
  } else if (newcomer && initial_timer_) {
    joined_while_waiting_ = true;
  }
  MaybeCompleteJoin();
}

// Kafka's delayed initial join: wait initial_delay_, and again each time
// someone joined meanwhile, within the first member's rebalance timeout.
void Group::WaitForMoreMembers(int64_t budget_ms) {
  const int64_t wait = std::min<int64_t>(initial_delay_.count(), budget_ms);
  joined_while_waiting_ = false;
  initial_timer_ = timers_(std::chrono::milliseconds(wait), [this, left = budget_ms - wait] {
    if (joined_while_waiting_ && left > 0) return WaitForMoreMembers(left);
    initial_timer_.reset();
    MaybeCompleteJoin();
  });
}

void Group::AddPending(const std::string& member_id, int32_t session_timeout_ms) {
  pending_[member_id] = timers_(std::chrono::milliseconds(session_timeout_ms),
                                [this, member_id] { pending_.erase(member_id); });
}

Group::Member& Group::Upsert(const std::string& member_id, const JoinArgs& args, JoinDone done) {
  const auto& req = args.request;
  auto [it, inserted] = members_.try_emplace(member_id);
  Member& m = it->second;
  if (inserted) {
    m.id = member_id;
    m.join_order = next_join_order_++;
  }
  m.instance_id = req.group_instance_id;
  if (req.group_instance_id) static_members_[*req.group_instance_id] = member_id;
  m.client_id = args.client_id;
  m.client_host = args.client_host;
  m.session_timeout_ms = req.session_timeout_ms;
  // v0 has no rebalance timeout; Kafka uses the session timeout (KAFKA-8653).
  m.rebalance_timeout_ms =
      req.rebalance_timeout_ms > 0 ? req.rebalance_timeout_ms : req.session_timeout_ms;
  m.protocol_type = req.protocol_type;
  m.protocols = req.protocols;
  if (m.join_done) m.join_done(JoinError(ErrorCode::kRebalanceInProgress, member_id));
  m.join_done = std::move(done);
  return m;
}

void Group::PrepareRebalance() {
  if (state_ == GroupState::kCompletingRebalance) {
    for (auto& [id, m] : members_) {
      if (m.sync_done) std::exchange(m.sync_done, nullptr)(SyncError(ErrorCode::kRebalanceInProgress));
    }
  }
  state_ = GroupState::kPreparingRebalance;
  int32_t timeout = 0;
  for (const auto& [id, m] : members_) timeout = std::max(timeout, m.rebalance_timeout_ms);
  rebalance_timer_ = timers_(std::chrono::milliseconds(timeout), [this] {
    // Members that did not rejoin in time leave the group.
    std::vector<std::string> gone;
    for (const auto& [id, m] : members_) {
      if (!m.join_done) gone.push_back(id);
    }
    for (const auto& id : gone) {
      LOG_INFO("group " << id_ << ": member " << id << " did not rejoin in time");
      Remove(id, ErrorCode::kUnknownMemberId);
    }
    CompleteJoin();
  });
}

void Group::MaybeCompleteJoin() {
  if (state_ != GroupState::kPreparingRebalance || initial_timer_) return;
  for (const auto& [id, m] : members_) {
    if (!m.join_done) return;
  }
  CompleteJoin();
}

void Group::CompleteJoin() {
  rebalance_timer_.reset();
  initial_timer_.reset();
  ++generation_;
  if (members_.empty()) {
    state_ = GroupState::kEmpty;
    protocol_name_.clear();
    leader_.clear();
    return;
  }
  protocol_type_ = members_.begin()->second.protocol_type;
  protocol_name_ = ChooseProtocol();
  if (!members_.count(leader_)) {
    const Member* first = nullptr;
    for (const auto& [id, m] : members_) {
      if (!first || m.join_order < first->join_order) first = &m;
    }
    leader_ = first->id;
  }
  state_ = GroupState::kCompletingRebalance;
  LOG_INFO("group " << id_ << " generation " << generation_ << ": " << members_.size()
                    << " members, protocol " << protocol_name_ << ", leader " << leader_);
  SendJoinResponses();
}

// Among the protocols every member supports, the one most members list first.
std::string Group::ChooseProtocol() const {
  std::vector<std::string> candidates;
  for (const auto& p : members_.begin()->second.protocols) {
    bool everyone = true;
    for (const auto& [id, m] : members_) {
      bool has = false;
      for (const auto& mp : m.protocols) has = has || mp.name == p.name;
      everyone = everyone && has;
    }
    if (everyone) candidates.push_back(p.name);
  }
  std::map<std::string, int> votes;
  for (const auto& [id, m] : members_) {
    for (const auto& mp : m.protocols) {
      if (std::find(candidates.begin(), candidates.end(), mp.name) != candidates.end()) {
        ++votes[mp.name];
        break;
      }
    }
  }
  std::string best;
  for (const auto& c : candidates) {
    if (best.empty() || votes[c] > votes[best]) best = c;
  }
  return best;
}

void Group::SendJoinResponses() {
  std::vector<kafka::JoinGroupResponse::Member> list;
  for (const auto& [id, m] : members_) {
    for (const auto& p : m.protocols) {
      if (p.name == protocol_name_) list.push_back({id, m.instance_id, p.metadata});
    }
  }
  std::vector<std::pair<JoinDone, kafka::JoinGroupResponse>> out;
  for (auto& [id, m] : members_) {
    kafka::JoinGroupResponse r;
    r.generation_id = generation_;
    r.protocol_name = protocol_name_;
    r.leader = leader_;
    r.member_id = id;
    if (id == leader_) r.members = list;
    TouchSession(m);
    if (m.join_done) out.emplace_back(std::exchange(m.join_done, nullptr), std::move(r));
  }
  // Answer after the loop: an answer may run code that touches the group.
  for (auto& [done, r] : out) done(r);
}

void Group::Sync(const kafka::SyncGroupRequest& req, SyncDone done) {
  auto it = members_.find(req.member_id);
  if (it == members_.end()) return done(SyncError(ErrorCode::kUnknownMemberId));
  if (req.generation_id != generation_) return done(SyncError(ErrorCode::kIllegalGeneration));
  Member& m = it->second;
  TouchSession(m);
  switch (state_) {
    case GroupState::kEmpty:
    case GroupState::kDead:
      return done(SyncError(ErrorCode::kUnknownMemberId));
    case GroupState::kPreparingRebalance:
      return done(SyncError(ErrorCode::kRebalanceInProgress));
    case GroupState::kStable: {
      kafka::SyncGroupResponse r;
      r.assignment = m.assignment;
      return done(r);
    }
    case GroupState::kCompletingRebalance:
      break;
  }
  if (m.sync_done) m.sync_done(SyncError(ErrorCode::kRebalanceInProgress));
  m.sync_done = std::move(done);
  if (req.member_id != leader_) return;
  for (auto& [id, member] : members_) member.assignment.clear();
  for (const auto& a : req.assignments) {
    if (auto target = members_.find(a.member_id); target != members_.end()) {
      target->second.assignment = a.assignment;
    }
  }
  state_ = GroupState::kStable;
  FinishSync();
}

void Group::FinishSync() {
  std::vector<std::pair<SyncDone, kafka::SyncGroupResponse>> out;
  for (auto& [id, m] : members_) {
    if (!m.sync_done) continue;
    kafka::SyncGroupResponse r;
    r.assignment = m.assignment;
    out.emplace_back(std::exchange(m.sync_done, nullptr), std::move(r));
  }
  for (auto& [done, r] : out) done(r);
}

ErrorCode Group::Heartbeat(const kafka::HeartbeatRequest& req) {
  auto it = members_.find(req.member_id);
  if (it == members_.end()) return ErrorCode::kUnknownMemberId;
  if (state_ == GroupState::kPreparingRebalance) {
    TouchSession(it->second);
    return ErrorCode::kRebalanceInProgress;
  }
  if (req.generation_id != generation_) return ErrorCode::kIllegalGeneration;
  TouchSession(it->second);
  return ErrorCode::kNone;
}

void Group::TouchSession(Member& m) {
  m.session_timer = timers_(std::chrono::milliseconds(m.session_timeout_ms), [this, id = m.id] {
    auto it = members_.find(id);
    // A member waiting in JoinGroup is bounded by the rebalance timeout instead.
    if (it == members_.end() || it->second.join_done) return;
    LOG_INFO("group " << id_ << ": session of member " << id << " expired");
    Remove(id, ErrorCode::kUnknownMemberId);
    AfterMembershipChange();
  });
}

ErrorCode Group::Leave(const std::string& member_id,
                       const std::optional<std::string>& group_instance_id) {
  std::string id = member_id;
  if (id.empty() && group_instance_id) {
    auto it = static_members_.find(*group_instance_id);
    if (it != static_members_.end()) id = it->second;
  }
  if (pending_.erase(id)) return ErrorCode::kNone;
  if (!members_.count(id)) return ErrorCode::kUnknownMemberId;
  Remove(id, ErrorCode::kUnknownMemberId);
  AfterMembershipChange();
  return ErrorCode::kNone;
}

void Group::Remove(const std::string& member_id, ErrorCode reason) {
  auto it = members_.find(member_id);
  if (it == members_.end()) return;
  Member m = std::move(it->second);
  members_.erase(it);
  if (m.instance_id) static_members_.erase(*m.instance_id);
  if (m.join_done) m.join_done(JoinError(reason, member_id));
  if (m.sync_done) m.sync_done(SyncError(reason));
}

void Group::AfterMembershipChange() {
  if (members_.empty()) {
    if (state_ != GroupState::kEmpty) CompleteJoin();
    return;
  }
  if (state_ == GroupState::kStable || state_ == GroupState::kCompletingRebalance) {
    PrepareRebalance();
  }
  MaybeCompleteJoin();
}

ErrorCode Group::CheckCommit(int32_t generation, const std::string& member_id) const {
  // A simple (groupless) commit, e.g. librdkafka's assign() + commit.
  if (generation < 0 && member_id.empty()) {
    return state_ == GroupState::kEmpty ? ErrorCode::kNone : ErrorCode::kUnknownMemberId;
  }
  if (!members_.count(member_id)) return ErrorCode::kUnknownMemberId;
  if (generation != generation_) return ErrorCode::kIllegalGeneration;
  if (state_ == GroupState::kCompletingRebalance) return ErrorCode::kRebalanceInProgress;
  return ErrorCode::kNone;
}

kafka::DescribeGroupsResponse::Group Group::Describe() const {
  kafka::DescribeGroupsResponse::Group g;
  g.group_id = id_;
  g.group_state = GroupStateName(state_);
  g.protocol_type = protocol_type_;
  g.protocol_data = protocol_name_;
  for (const auto& [id, m] : members_) {
    kafka::DescribeGroupsResponse::Member dm;
    dm.member_id = id;
    dm.group_instance_id = m.instance_id;
    dm.client_id = m.client_id;
    dm.client_host = m.client_host;
    for (const auto& p : m.protocols) {
      if (p.name == protocol_name_) dm.member_metadata = p.metadata;
    }
    dm.member_assignment = m.assignment;
    g.members.push_back(std::move(dm));
  }
  return g;
}

}  // namespace corelog::broker

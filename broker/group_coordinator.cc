#include "broker/group_coordinator.h"

#include <atomic>

#include "common/coding.h"
#include "common/log.h"

namespace corelog::broker {
namespace {

using kafka::ErrorCode;

// Kafka's offset.metadata.max.bytes default.
constexpr size_t kMaxOffsetMetadata = 4096;

void AppendShortString(std::string* out, std::string_view s) {
  AppendBE<uint16_t>(out, static_cast<uint16_t>(s.size()));
  out->append(s);
}

bool ReadShortString(std::string_view* in, std::string* out) {
  if (in->size() < 2) return false;
  uint16_t n = DecodeBE<uint16_t>(in->data());
  if (in->size() - 2 < n) return false;
  out->assign(in->data() + 2, n);
  in->remove_prefix(2 + n);
  return true;
}

// Collects one answer per slot from several cores; the last one sends.
template <class Slot>
struct Gather {
  std::vector<Slot> slots;
  std::atomic<int> pending;
  std::function<void(std::vector<Slot>&)> finish;
  Gather(size_t n, std::function<void(std::vector<Slot>&)> f)
      : slots(n), pending(static_cast<int>(n)), finish(std::move(f)) {}
  void Done() {
    if (pending.fetch_sub(1, std::memory_order_acq_rel) == 1) finish(slots);
  }
};

}  // namespace

std::string OffsetKey(const std::string& group, const std::string& topic, int32_t partition) {
  std::string key(1, kOffsetKeyPrefix);
  AppendShortString(&key, group);
  AppendShortString(&key, topic);
  AppendBE<int32_t>(&key, partition);
  return key;
}

std::string OffsetValue(const CommittedOffset& o) {
  std::string v;
  AppendBE<int64_t>(&v, o.offset);
  AppendBE<int32_t>(&v, o.leader_epoch);
  v.push_back(o.metadata ? 1 : 0);
  if (o.metadata) v.append(*o.metadata);
  return v;
}

std::optional<DecodedOffset> DecodeOffset(std::string_view key, std::string_view value) {
  if (key.empty() || key[0] != kOffsetKeyPrefix || value.size() < 13) return std::nullopt;
  key.remove_prefix(1);
  DecodedOffset d;
  if (!ReadShortString(&key, &d.group) || !ReadShortString(&key, &d.partition.first) ||
      key.size() != 4) {
    return std::nullopt;
  }
  d.partition.second = DecodeBE<int32_t>(key.data());
  d.offset.offset = DecodeBE<int64_t>(value.data());
  d.offset.leader_epoch = DecodeBE<int32_t>(value.data() + 8);
  if (value[12]) d.offset.metadata = std::string(value.substr(13));
  return d;
}

GroupCoordinator::GroupCoordinator(Storage* storage, Cores* cores,
                                   std::chrono::milliseconds initial_rebalance_delay)
    : storage_(storage),
      cores_(cores),
      initial_rebalance_delay_(initial_rebalance_delay),
      cores_state_(cores->size()) {}

GroupCoordinator::~GroupCoordinator() = default;

uint32_t GroupCoordinator::CoreOf(const std::string& group) const {
  return GroupCore(group, cores_->size());
}

Group* GroupCoordinator::FindOrCreate(uint32_t core, const std::string& group) {
  auto& slot = cores_state_[core].groups[group];
  if (!slot) {
    slot = std::make_unique<Group>(group, [this, core](std::chrono::milliseconds d,
                                                       std::function<void()> fn) {
      return cores_->StartTimer(core, d, std::move(fn));
    }, initial_rebalance_delay_);
  }
  return slot.get();
}

void GroupCoordinator::OnCore(const std::string& group, std::function<void(uint32_t)> fn) {
  uint32_t core = CoreOf(group);
  cores_->Post(core, [fn = std::move(fn), core] { fn(core); });
}

Status GroupCoordinator::Load() {
  size_t n = 0;
  CORELOG_TRY(storage_->store().Scan(std::string(1, kOffsetKeyPrefix),
                                     [&](std::string_view k, std::string_view v) -> Status {
    auto d = DecodeOffset(k, v);
    if (!d) return Error(std::make_error_code(std::errc::illegal_byte_sequence),
                         "malformed committed offset in RocksDB");
    uint32_t core = CoreOf(d->group);
    FindOrCreate(core, d->group);
    cores_state_[core].offsets[d->group][d->partition] = d->offset;
    ++n;
    return Ok();
  }));
  for (auto& state : cores_state_) {
    for (const auto& [group, offsets] : state.offsets) PublishSnapshot(group, state);
  }
  LOG_INFO("loaded " << n << " committed offsets");
  return Ok();
}

void GroupCoordinator::Join(JoinArgs args, Group::JoinDone done) {
  std::string id = args.request.group_id;
  OnCore(id, [this, args = std::move(args), done = std::move(done)](uint32_t core) mutable {
    FindOrCreate(core, args.request.group_id)->Join(std::move(args), std::move(done));
  });
}

void GroupCoordinator::Sync(kafka::SyncGroupRequest req, Group::SyncDone done) {
  std::string id = req.group_id;
  OnCore(id, [this, req = std::move(req), done = std::move(done)](uint32_t core) {
    auto& groups = cores_state_[core].groups;
    auto it = groups.find(req.group_id);
    if (it == groups.end()) {
      kafka::SyncGroupResponse r;
      r.error_code = ErrorCode::kUnknownMemberId;
      return done(r);
    }
    it->second->Sync(req, done);
  });
}

void GroupCoordinator::Heartbeat(kafka::HeartbeatRequest req, Done<ErrorCode> done) {
  std::string id = req.group_id;
  OnCore(id, [this, req = std::move(req), done = std::move(done)](uint32_t core) {
    auto& groups = cores_state_[core].groups;
    auto it = groups.find(req.group_id);
    done(it == groups.end() ? ErrorCode::kUnknownMemberId : it->second->Heartbeat(req));
  });
}

void GroupCoordinator::Leave(kafka::LeaveGroupRequest req, int16_t version,
                             Done<kafka::LeaveGroupResponse> done) {
  std::string id = req.group_id;
  OnCore(id, [this, req = std::move(req), version, done = std::move(done)](uint32_t core) {
    auto& groups = cores_state_[core].groups;
    auto it = groups.find(req.group_id);
    Group* group = it == groups.end() ? nullptr : it->second.get();
    kafka::LeaveGroupResponse resp;
    auto leave = [&](const std::string& member, const std::optional<std::string>& instance) {
      return group ? group->Leave(member, instance) : ErrorCode::kUnknownMemberId;
    };
    if (version < 3) {
      resp.error_code = leave(req.member_id, std::nullopt);
    } else {
      for (const auto& m : req.members) {
        resp.members.push_back({m.member_id, m.group_instance_id, leave(m.member_id, m.group_instance_id)});
      }
    }
    done(resp);
  });
}

void GroupCoordinator::Commit(kafka::OffsetCommitRequest req, Done<kafka::OffsetCommitResponse> done) {
  std::string id = req.group_id;
  OnCore(id, [this, req = std::move(req), done = std::move(done)](uint32_t core) {
    kafka::OffsetCommitResponse resp;
    ErrorCode check = req.group_id.empty()
                          ? ErrorCode::kInvalidGroupId
                          : FindOrCreate(core, req.group_id)->CheckCommit(req.generation_id, req.member_id);
    std::vector<std::pair<std::string, std::string>> puts;
    auto pending = std::make_shared<std::vector<std::pair<TopicPartition, CommittedOffset>>>();
    for (const auto& t : req.topics) {
      auto& out = resp.topics.emplace_back();
      out.name = t.name;
      bool known = storage_->topics().Find(t.name) != nullptr;
      for (const auto& p : t.partitions) {
        ErrorCode code = check;
        if (code == ErrorCode::kNone && !known) code = ErrorCode::kUnknownTopicOrPartition;
        if (code == ErrorCode::kNone && p.committed_metadata &&
            p.committed_metadata->size() > kMaxOffsetMetadata) {
          code = ErrorCode::kOffsetMetadataTooLarge;
        }
        out.partitions.push_back({p.partition_index, code});
        if (code != ErrorCode::kNone) continue;
        CommittedOffset o{p.committed_offset, p.committed_leader_epoch, p.committed_metadata};
        puts.emplace_back(OffsetKey(req.group_id, t.name, p.partition_index), OffsetValue(o));
        pending->emplace_back(TopicPartition{t.name, p.partition_index}, std::move(o));
      }
    }
    if (puts.empty()) return done(resp);
    Persist(core, std::move(puts), {},
            [this, core, group = req.group_id, pending, resp, done](Status st) mutable {
      if (!st) {
        LOG_ERROR("committing offsets of group " << group << ": " << st.error().message());
        for (auto& t : resp.topics) {
          for (auto& p : t.partitions) {
            if (p.error_code == ErrorCode::kNone) p.error_code = ErrorCode::kKafkaStorageError;
          }
        }
        return done(resp);
      }
      auto& offsets = cores_state_[core].offsets[group];
      for (auto& [tp, o] : *pending) offsets[tp] = std::move(o);
      PublishSnapshot(group, cores_state_[core]);
      done(resp);
    });
  });
}

void GroupCoordinator::Persist(uint32_t core, std::vector<std::pair<std::string, std::string>> puts,
                               std::vector<std::string> deletes, std::function<void(Status)> done) {
  StateMutation m{std::move(puts), std::move(deletes)};
  storage_->AppendStateMutation(core, std::move(m), std::move(done));
}

void GroupCoordinator::Fetch(kafka::OffsetFetchRequest req, Done<kafka::OffsetFetchResponse> done) {
  std::string id = req.group_id;
  OnCore(id, [this, req = std::move(req), done = std::move(done)](uint32_t core) {
    kafka::OffsetFetchResponse resp;
    const auto& all = cores_state_[core].offsets;
    auto git = all.find(req.group_id);
    auto lookup = [&](const std::string& topic, int32_t partition) {
      kafka::OffsetFetchResponse::Partition p;
      p.partition_index = partition;
      p.metadata = "";
      if (git == all.end()) return p;
      auto it = git->second.find({topic, partition});
      if (it == git->second.end()) return p;
      p.committed_offset = it->second.offset;
      p.committed_leader_epoch = it->second.leader_epoch;
      p.metadata = it->second.metadata.value_or("");
      return p;
    };
    if (req.topics) {
      for (const auto& t : *req.topics) {
        auto& out = resp.topics.emplace_back();
        out.name = t.name;
        for (int32_t p : t.partition_indexes) out.partitions.push_back(lookup(t.name, p));
      }
    } else if (git != all.end()) {
      for (const auto& [tp, o] : git->second) {
        if (resp.topics.empty() || resp.topics.back().name != tp.first) {
          resp.topics.emplace_back().name = tp.first;
        }
        resp.topics.back().partitions.push_back(lookup(tp.first, tp.second));
      }
    }
    done(resp);
  });
}

void GroupCoordinator::Describe(std::vector<std::string> groups,
                                Done<kafka::DescribeGroupsResponse> done) {
  if (groups.empty()) return done({});
  using Slot = kafka::DescribeGroupsResponse::Group;
  auto gather = std::make_shared<Gather<Slot>>(groups.size(), [done](std::vector<Slot>& slots) {
    kafka::DescribeGroupsResponse resp;
    resp.groups = std::move(slots);
    done(resp);
  });
  for (size_t i = 0; i < groups.size(); ++i) {
    OnCore(groups[i], [this, gather, i, id = groups[i]](uint32_t core) {
      auto& all = cores_state_[core].groups;
      auto it = all.find(id);
      if (it != all.end()) {
        gather->slots[i] = it->second->Describe();
      } else {
        gather->slots[i].group_id = id;
        gather->slots[i].group_state = "Dead";
      }
      gather->Done();
    });
  }
}

void GroupCoordinator::List(Done<kafka::ListGroupsResponse> done) {
  using Slot = std::vector<kafka::ListGroupsResponse::Group>;
  auto gather = std::make_shared<Gather<Slot>>(cores_->size(), [done](std::vector<Slot>& slots) {
    kafka::ListGroupsResponse resp;
    for (auto& s : slots) resp.groups.insert(resp.groups.end(), s.begin(), s.end());
    done(resp);
  });
  for (uint32_t core = 0; core < cores_->size(); ++core) {
    cores_->Post(core, [this, gather, core] {
      for (const auto& [id, g] : cores_state_[core].groups) {
        std::string type = g->protocol_type().empty() ? "consumer" : g->protocol_type();
        gather->slots[core].push_back({id, type, GroupStateName(g->state())});
      }
      gather->Done();
    });
  }
}

void GroupCoordinator::Delete(std::vector<std::string> groups, Done<kafka::DeleteGroupsResponse> done) {
  if (groups.empty()) return done({});
  using Slot = kafka::DeleteGroupsResponse::GroupResult;
  auto gather = std::make_shared<Gather<Slot>>(groups.size(), [done](std::vector<Slot>& slots) {
    kafka::DeleteGroupsResponse resp;
    resp.results = std::move(slots);
    done(resp);
  });
  for (size_t i = 0; i < groups.size(); ++i) {
    OnCore(groups[i], [this, gather, i, id = groups[i]](uint32_t core) {
      auto& state = cores_state_[core];
      gather->slots[i].group_id = id;
      auto git = state.groups.find(id);
      if (git == state.groups.end()) {
        gather->slots[i].error_code = ErrorCode::kGroupIdNotFound;
        return gather->Done();
      }
      if (git->second->size() > 0) {
        gather->slots[i].error_code = ErrorCode::kNonEmptyGroup;
        return gather->Done();
      }
      std::vector<std::string> deletes;
      for (const auto& [tp, o] : state.offsets[id]) deletes.push_back(OffsetKey(id, tp.first, tp.second));
      Persist(core, {}, std::move(deletes), [this, gather, i, id, core](Status st) {
        auto& state = cores_state_[core];
        if (!st) {
          gather->slots[i].error_code = ErrorCode::kKafkaStorageError;
        } else if (auto git = state.groups.find(id); git != state.groups.end() && git->second->size() == 0) {
          state.groups.erase(git);
          state.offsets.erase(id);
          PublishSnapshot(id, state);
        }
        gather->Done();
      });
    });
  }
}

void GroupCoordinator::DeleteOffsets(kafka::OffsetDeleteRequest req,
                                     Done<kafka::OffsetDeleteResponse> done) {
  std::string id = req.group_id;
  OnCore(id, [this, req = std::move(req), done = std::move(done)](uint32_t core) {
    auto& state = cores_state_[core];
    kafka::OffsetDeleteResponse resp;
    auto git = state.groups.find(req.group_id);
    if (git == state.groups.end()) {
      resp.error_code = ErrorCode::kGroupIdNotFound;
      return done(resp);
    }
    bool active = git->second->size() > 0;
    std::vector<std::string> deletes;
    for (const auto& t : req.topics) {
      auto& out = resp.topics.emplace_back();
      out.name = t.name;
      for (int32_t p : t.partition_indexes) {
        // Offsets of an active group may be in use by its members.
        ErrorCode code = active ? ErrorCode::kGroupSubscribedToTopic : ErrorCode::kNone;
        out.partitions.push_back({p, code});
        if (code == ErrorCode::kNone) deletes.push_back(OffsetKey(req.group_id, t.name, p));
      }
    }
    if (deletes.empty()) return done(resp);
    Persist(core, {}, deletes, [this, core, req, resp, done](Status st) mutable {
      auto& offsets = cores_state_[core].offsets[req.group_id];
      if (!st) {
        resp.error_code = ErrorCode::kKafkaStorageError;
        return done(resp);
      }
      for (const auto& t : req.topics) {
        for (int32_t p : t.partition_indexes) offsets.erase({t.name, p});
      }
      PublishSnapshot(req.group_id, cores_state_[core]);
      done(resp);
    });
  });
}

void GroupCoordinator::PublishSnapshot(const std::string& group, const CoreState& state) {
  std::map<TopicPartition, int64_t> copy;
  if (auto it = state.offsets.find(group); it != state.offsets.end()) {
    for (const auto& [tp, o] : it->second) copy[tp] = o.offset;
  }
  std::lock_guard lock(snapshot_mu_);
  if (copy.empty()) {
    snapshot_.erase(group);
  } else {
    snapshot_[group] = std::move(copy);
  }
}

std::map<std::string, std::map<TopicPartition, int64_t>> GroupCoordinator::CommittedSnapshot() const {
  std::lock_guard lock(snapshot_mu_);
  return snapshot_;
}

}  // namespace corelog::broker

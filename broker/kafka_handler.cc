#include "broker/kafka_handler.h"

#include <atomic>

#include "broker/kafka/messages.h"
#include "broker/topic_config.h"
#include "common/log.h"

namespace corelog::broker {
namespace {

using kafka::ErrorCode;

// The APIs this broker handles: ApiVersions advertises exactly these.
bool Advertised(const kafka::ApiInfo& api) {
  switch (api.family) {
    case kafka::ApiFamily::kCore:
    case kafka::ApiFamily::kConsumerGroup:
    case kafka::ApiFamily::kIdempotence:
    case kafka::ApiFamily::kAdmin:
      return true;
  }
  return false;
}

}  // namespace

KafkaHandler::KafkaHandler(Storage* storage, Cores* cores, GroupCoordinator* groups)
    : storage_(storage), cores_(cores), groups_(groups), config_(storage->config()) {}

void KafkaHandler::Handle(uint32_t core, std::shared_ptr<RequestFrame> frame,
                          Responder respond) {
  auto parsed = kafka::ParseRequestFrame(frame->view());
  if (!parsed) {
    LOG_WARN("malformed request header: " << parsed.error().message());
    return respond(Reply::Close());
  }
  RequestContext ctx{core, std::move(parsed->header), parsed->body, std::move(frame),
                     std::move(respond)};
  const int16_t key = ctx.header.api_key;
  const auto* api = kafka::FindApi(key);
  if (key == static_cast<int16_t>(kafka::ApiKey::kApiVersions)) return ApiVersions(ctx);
  if (!api || !Advertised(*api) || !kafka::IsSupported(key, ctx.version())) {
    // Kafka closes the connection here too; only ApiVersions has a fallback.
    LOG_WARN("closing connection: unsupported request api_key=" << key << " ("
             << kafka::ApiName(key) << ") version=" << ctx.version());
    return ctx.respond(Reply::Close());
  }
  Dispatch(std::move(ctx));
}

void KafkaHandler::Dispatch(RequestContext ctx) {
  switch (static_cast<kafka::ApiKey>(ctx.header.api_key)) {
    case kafka::ApiKey::kMetadata: return Metadata(ctx);
    case kafka::ApiKey::kProduce: return Produce(ctx);
    case kafka::ApiKey::kFetch: return Fetch(ctx);
    case kafka::ApiKey::kListOffsets: return ListOffsets(ctx);
    case kafka::ApiKey::kCreateTopics: return CreateTopics(ctx);
    case kafka::ApiKey::kDeleteTopics: return DeleteTopics(ctx);
    case kafka::ApiKey::kDeleteRecords: return DeleteRecords(ctx);
    case kafka::ApiKey::kDescribeConfigs: return DescribeConfigs(ctx);
    case kafka::ApiKey::kFindCoordinator: return FindCoordinator(ctx);
    case kafka::ApiKey::kJoinGroup: return JoinGroup(ctx);
    case kafka::ApiKey::kSyncGroup: return SyncGroup(ctx);
    case kafka::ApiKey::kHeartbeat: return Heartbeat(ctx);
    case kafka::ApiKey::kLeaveGroup: return LeaveGroup(ctx);
    case kafka::ApiKey::kOffsetCommit: return OffsetCommit(ctx);
    case kafka::ApiKey::kOffsetFetch: return OffsetFetch(ctx);
    case kafka::ApiKey::kDescribeGroups: return DescribeGroups(ctx);
    case kafka::ApiKey::kListGroups: return ListGroups(ctx);
    case kafka::ApiKey::kDeleteGroups: return DeleteGroups(ctx);
    case kafka::ApiKey::kOffsetDelete: return OffsetDelete(ctx);
    case kafka::ApiKey::kInitProducerId: return InitProducerId(ctx);
    case kafka::ApiKey::kCreatePartitions: return CreatePartitions(ctx);
    case kafka::ApiKey::kAlterConfigs: return AlterConfigs(ctx);
    default:
      LOG_WARN("closing connection: no handler for " << kafka::ApiName(ctx.header.api_key));
      return ctx.respond(Reply::Close());
  }
}

void KafkaHandler::ApiVersions(const RequestContext& ctx) {
  if (!kafka::IsSupported(ctx.header.api_key, ctx.version())) {
    // A newer client: answer v0 with UNSUPPORTED_VERSION and our list, and
    // keep the connection open so it can step down.
    return ctx.Send(kafka::ApiVersionsResponse::UnsupportedVersion(Advertised));
  }
  if (!DecodeOrClose<kafka::ApiVersionsRequest>(ctx)) return;
  ctx.Send(kafka::ApiVersionsResponse::FromTable(Advertised));
}

namespace {

kafka::MetadataResponse::Topic DescribeTopic(const Topic& topic, int32_t node_id) {
  kafka::MetadataResponse::Topic t;
  t.name = topic.meta.name;
  for (const auto& p : topic.partitions) {
    kafka::MetadataResponse::Partition mp;
    mp.partition_index = p->index;
    mp.leader_id = node_id;
    mp.leader_epoch = 0;
    mp.replica_nodes = {node_id};
    mp.isr_nodes = {node_id};
    t.partitions.push_back(std::move(mp));
  }
  return t;
}

kafka::MetadataResponse::Topic TopicError(const std::string& name, ErrorCode code) {
  kafka::MetadataResponse::Topic t;
  t.name = name;
  t.error_code = code;
  return t;
}

}  // namespace

void KafkaHandler::Metadata(const RequestContext& ctx) {
  auto req = DecodeOrClose<kafka::MetadataRequest>(ctx);
  if (!req) return;
  kafka::MetadataResponse resp;
  resp.brokers.push_back({config_.node_id, advertised_.host, advertised_.port, std::nullopt});
  resp.cluster_id = storage_->cluster_id();
  resp.controller_id = config_.node_id;
  auto& topics = storage_->topics();
  if (!req->topics) {
    for (const auto& t : topics.All()) resp.topics.push_back(DescribeTopic(*t, config_.node_id));
    return ctx.Send(resp);
  }
  // v0-3 have no flag: those clients always allowed auto-creation.
  bool auto_create = config_.auto_create_topics && (ctx.version() < 4 || req->allow_auto_topic_creation);
  for (const auto& name : *req->topics) {
    auto topic = topics.Find(name);
    if (!topic && auto_create) {
      if (!ValidTopicName(name)) {
        resp.topics.push_back(TopicError(name, ErrorCode::kInvalidTopicException));
        continue;
      }
      auto created = topics.Create(name, config_.num_partitions, {});
      if (!created) {
        LOG_ERROR("auto-creating topic " << name << ": " << created.error().message());
        resp.topics.push_back(TopicError(name, ErrorCode::kKafkaStorageError));
        continue;
      }
      if (created->created) LOG_INFO("auto-created topic " << name);
      topic = created->topic;
    }
    if (!topic) {
      resp.topics.push_back(TopicError(name, ErrorCode::kUnknownTopicOrPartition));
      continue;
    }
    resp.topics.push_back(DescribeTopic(*topic, config_.node_id));
  }
  ctx.Send(resp);
}

void KafkaHandler::ListOffsets(const RequestContext& ctx) {
  auto req = DecodeOrClose<kafka::ListOffsetsRequest>(ctx);
  if (!req) return;
  kafka::ListOffsetsResponse resp;
  for (const auto& rt : req->topics) {
    kafka::ListOffsetsResponse::Topic out{rt.name, {}};
    auto topic = storage_->topics().Find(rt.name);
    for (const auto& rp : rt.partitions) {
      kafka::ListOffsetsResponse::Partition op;
      op.partition_index = rp.partition_index;
      if (!topic || rp.partition_index < 0 ||
          rp.partition_index >= static_cast<int32_t>(topic->partitions.size())) {
        op.error_code = ErrorCode::kUnknownTopicOrPartition;
        out.partitions.push_back(std::move(op));
        continue;
      }
      const Partition& p = *topic->partitions[rp.partition_index];
      op.leader_epoch = 0;
      if (rp.timestamp == kafka::kListOffsetsEarliest) {
        op.offset = p.log_start.load();
      } else if (rp.timestamp == kafka::kListOffsetsLatest) {
        op.offset = p.high_watermark.load();
      } else {
        auto found = storage_->OffsetForTimestamp(p, rp.timestamp);
        if (!found) {
          op.error_code = ErrorCode::kKafkaStorageError;
        } else if (found->offset >= 0) {
          op.offset = found->offset;
          op.timestamp = found->timestamp;
        }
      }
      out.partitions.push_back(std::move(op));
    }
    resp.topics.push_back(std::move(out));
  }
  ctx.Send(resp);
}

namespace {

// A CreateTopics replica assignment must number the partitions 0, 1, ...
// in some order and give each this broker as its one replica.
std::optional<std::string> CheckCreateAssignments(
    const std::vector<kafka::CreateTopicsRequest::Assignment>& assignments, int32_t node_id) {
  std::vector<bool> seen(assignments.size(), false);
  for (const auto& a : assignments) {
    const auto index = static_cast<size_t>(a.partition_index);
    if (a.partition_index < 0 || index >= seen.size() || seen[index]) {
      return "the assigned partitions must be numbered 0 to " +
             std::to_string(assignments.size() - 1) + " once each; partition " +
             std::to_string(a.partition_index) + " is not";
    }
    seen[index] = true;
    if (auto why = CheckReplicaAssignment(a.broker_ids, a.partition_index, node_id)) return why;
  }
  return std::nullopt;
}

}  // namespace

void KafkaHandler::CreateTopics(const RequestContext& ctx) {
  auto req = DecodeOrClose<kafka::CreateTopicsRequest>(ctx);
  if (!req) return;
  kafka::CreateTopicsResponse resp;
  for (const auto& t : req->topics) {
    kafka::CreateTopicsResponse::Topic out{t.name, ErrorCode::kNone, std::nullopt};
    auto fail = [&](ErrorCode code, std::string message) {
      out.error_code = code;
      out.error_message = std::move(message);
    };
    int32_t partitions = t.num_partitions == -1 ? config_.num_partitions : t.num_partitions;
    std::optional<std::string> bad_assignment;
    if (!t.assignments.empty()) {
      partitions = static_cast<int32_t>(t.assignments.size());
      bad_assignment = CheckCreateAssignments(t.assignments, config_.node_id);
    }
    std::map<std::string, std::string> configs;
    if (!ValidTopicName(t.name)) {
      fail(ErrorCode::kInvalidTopicException, "invalid topic name");
    } else if (!t.assignments.empty() && (t.num_partitions != -1 || t.replication_factor != -1)) {
      fail(ErrorCode::kInvalidRequest,
           "a replica assignment comes instead of a partition count and replication factor, "
           "not with them");
    } else if (bad_assignment) {
      fail(ErrorCode::kInvalidReplicaAssignment, *bad_assignment);
    } else if (partitions <= 0 || partitions > 100000) {
      fail(ErrorCode::kInvalidPartitions, "number of partitions must be in [1, 100000]");
    } else if (t.replication_factor != -1 && t.replication_factor != 1) {
      fail(ErrorCode::kInvalidReplicationFactor, "this broker stores exactly one replica");
    } else if (storage_->topics().Find(t.name)) {
      fail(ErrorCode::kTopicAlreadyExists, "topic '" + t.name + "' already exists");
    }
    for (const auto& c : t.configs) {
      if (out.error_code != ErrorCode::kNone) break;
      if (!c.value) continue;
      if (auto why = CheckTopicConfig(c.name, *c.value)) {
        fail(ErrorCode::kInvalidConfig, *why);
      } else {
        configs[c.name] = *c.value;
      }
    }
    if (out.error_code == ErrorCode::kNone && !req->validate_only) {
      auto created = storage_->topics().Create(t.name, partitions, std::move(configs));
      if (!created) {
        fail(ErrorCode::kKafkaStorageError, created.error().message());
      } else if (!created->created) {
        fail(ErrorCode::kTopicAlreadyExists, "topic '" + t.name + "' already exists");
      } else {
        LOG_INFO("created topic " << t.name << " with " << partitions << " partitions");
      }
    }
    resp.topics.push_back(std::move(out));
  }
  ctx.Send(resp);
}

void KafkaHandler::DeleteTopics(const RequestContext& ctx) {
  auto req = DecodeOrClose<kafka::DeleteTopicsRequest>(ctx);
  if (!req) return;
  kafka::DeleteTopicsResponse resp;
  for (const auto& name : req->topic_names) {
    kafka::DeleteTopicsResponse::Topic out{name, ErrorCode::kNone};
    auto deleted = storage_->topics().Delete(name);
    if (!deleted) {
      LOG_ERROR("deleting topic " << name << ": " << deleted.error().message());
      out.error_code = ErrorCode::kKafkaStorageError;
    } else if (!*deleted) {
      out.error_code = ErrorCode::kUnknownTopicOrPartition;
    } else {
      LOG_INFO("deleted topic " << name);
    }
    resp.topics.push_back(std::move(out));
  }
  ctx.Send(resp);
}

namespace {

// One DeleteRecords request; the last owner core to finish answers.
using DeleteRecordsState = CrossCoreResponse<kafka::DeleteRecordsResponse>;

struct DeleteRecordsWork {
  std::shared_ptr<Partition> partition;
  int64_t offset;
  kafka::DeleteRecordsResponse::Partition* out;
};

// On the owner core: -1 means the high watermark; beyond it is out of range.
void DeleteRecordsOne(Storage* storage, const DeleteRecordsWork& w,
                      std::shared_ptr<DeleteRecordsState> state) {
  Partition& p = *w.partition;
  const int64_t hwm = p.high_watermark.load();
  const int64_t offset = w.offset == -1 ? hwm : w.offset;
  if (p.deleted.load()) {
    w.out->error_code = ErrorCode::kUnknownTopicOrPartition;
  } else if (offset < 0 || offset > hwm) {
    w.out->error_code = ErrorCode::kOffsetOutOfRange;
  } else {
    return storage->AdvanceLogStart(w.partition, offset, [w, state](Result<int64_t> r) {
      if (r) {
        w.out->low_watermark = *r;
      } else {
        LOG_ERROR("DeleteRecords on " << w.partition->topic << "-" << w.partition->index << ": "
                                      << r.error().message());
        w.out->error_code = ErrorCode::kKafkaStorageError;
      }
      state->Finish();
    });
  }
  state->Finish();
}

}  // namespace

// Moves each partition's log start forward; the records below it are gone
// for good once the answer is sent (storage.h, AdvanceLogStart).
void KafkaHandler::DeleteRecords(const RequestContext& ctx) {
  auto req = DecodeOrClose<kafka::DeleteRecordsRequest>(ctx);
  if (!req) return;
  auto state = std::make_shared<DeleteRecordsState>();
  state->ctx = ctx;
  // The response skeleton is complete before any core writes into it.
  std::vector<DeleteRecordsWork> work;
  state->response.topics.reserve(req->topics.size());
  for (const auto& t : req->topics) {
    auto topic = storage_->topics().Find(t.name);
    auto& out_topic = state->response.topics.emplace_back();
    out_topic.name = t.name;
    out_topic.partitions.reserve(t.partitions.size());
    for (const auto& rp : t.partitions) {
      auto& out = out_topic.partitions.emplace_back();
      out.partition_index = rp.partition_index;
      if (!topic || rp.partition_index < 0 ||
          rp.partition_index >= static_cast<int32_t>(topic->partitions.size())) {
        out.error_code = ErrorCode::kUnknownTopicOrPartition;
        continue;
      }
      work.push_back({topic->partitions[rp.partition_index], rp.offset, &out});
    }
  }
  state->pending.fetch_add(static_cast<int>(work.size()));
  for (const auto& w : work) {
    cores_->Post(w.partition->owner, [storage = storage_, w, state] { DeleteRecordsOne(storage, w, state); });
  }
  state->Finish();
}

namespace {

kafka::DescribeConfigsResponse::Config DescribeEntry(const TopicConfigEntry& e,
                                                     kafka::ConfigSource set_source) {
  kafka::DescribeConfigsResponse::Config c;
  c.name = e.name;
  c.value = e.value;
  c.is_default = e.is_default;
  c.config_source = e.is_default ? kafka::ConfigSource::kDefaultConfig : set_source;
  return c;
}

bool Wanted(const std::optional<std::vector<std::string>>& keys, const std::string& name) {
  if (!keys) return true;
  return std::find(keys->begin(), keys->end(), name) != keys->end();
}

}  // namespace

void KafkaHandler::DescribeConfigs(const RequestContext& ctx) {
  auto req = DecodeOrClose<kafka::DescribeConfigsRequest>(ctx);
  if (!req) return;
  kafka::DescribeConfigsResponse resp;
  for (const auto& res : req->resources) {
    kafka::DescribeConfigsResponse::ResourceResult out;
    out.resource_type = res.resource_type;
    out.resource_name = res.resource_name;
    std::vector<TopicConfigEntry> entries;
    kafka::ConfigSource source = kafka::ConfigSource::kStaticBrokerConfig;
    if (res.resource_type == kafka::ConfigResourceType::kTopic) {
      auto topic = storage_->topics().Find(res.resource_name);
      if (!topic) {
        out.error_code = ErrorCode::kUnknownTopicOrPartition;
        out.error_message = "unknown topic " + res.resource_name;
      } else {
        entries = EffectiveTopicConfigs(config_, topic->meta.configs);
        source = kafka::ConfigSource::kDynamicTopicConfig;
      }
    } else if (res.resource_type == kafka::ConfigResourceType::kBroker &&
               (res.resource_name.empty() || res.resource_name == std::to_string(config_.node_id))) {
      entries = BrokerConfigs(config_);
    } else {
      out.error_code = ErrorCode::kInvalidRequest;
      out.error_message = "unknown resource " + res.resource_name;
    }
    for (const auto& e : entries) {
      if (Wanted(res.configuration_keys, e.name)) out.configs.push_back(DescribeEntry(e, source));
    }
    resp.results.push_back(std::move(out));
  }
  ctx.Send(resp);
}

}  // namespace corelog::broker

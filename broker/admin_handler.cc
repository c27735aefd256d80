// Topic administration beyond create/delete: CreatePartitions and
// AlterConfigs (topic resources; broker configs are static and refused).
#include "broker/kafka/messages.h"
#include "broker/kafka_handler.h"
#include "broker/topic_config.h"
#include "common/log.h"

namespace corelog::broker {

using kafka::ErrorCode;

namespace {

// A CreatePartitions replica assignment lists the new partitions' replicas,
// one entry per partition added.
std::optional<std::string> CheckNewPartitionAssignments(
    const std::vector<kafka::CreatePartitionsRequest::Assignment>& assignments, size_t existing,
    int32_t count, int32_t node_id) {
  const size_t added = static_cast<size_t>(count) - existing;
  if (assignments.size() != added) {
    return std::to_string(added) + " partitions are added but " +
           std::to_string(assignments.size()) + " are assigned";
  }
  for (size_t i = 0; i < added; ++i) {
    const auto partition = static_cast<int32_t>(existing + i);
    auto why = CheckReplicaAssignment(assignments[i].broker_ids, partition, node_id);
    if (why) return why;
  }
  return std::nullopt;
}

}  // namespace

void KafkaHandler::CreatePartitions(const RequestContext& ctx) {
  auto req = DecodeOrClose<kafka::CreatePartitionsRequest>(ctx);
  if (!req) return;
  kafka::CreatePartitionsResponse resp;
  for (const auto& t : req->topics) {
    auto& out = resp.topics.emplace_back();
    out.name = t.name;
    auto topic = storage_->topics().Find(t.name);
    auto fail = [&](ErrorCode code, std::string message) {
      out.error_code = code;
      out.error_message = std::move(message);
    };
    if (!topic) {
      fail(ErrorCode::kUnknownTopicOrPartition, "unknown topic " + t.name);
    } else if (t.count <= static_cast<int32_t>(topic->partitions.size()) || t.count > 100000) {
      fail(ErrorCode::kInvalidPartitions,
           "topic has " + std::to_string(topic->partitions.size()) +
               " partitions; the new count must be larger (and at most 100000)");
    } else if (auto why = t.assignments ? CheckNewPartitionAssignments(
                                              *t.assignments, topic->partitions.size(), t.count,
                                              config_.node_id)
                                        : std::nullopt) {
      fail(ErrorCode::kInvalidReplicaAssignment, *why);
    } else if (!req->validate_only) {
      auto grown = storage_->topics().AddPartitions(t.name, t.count);
      if (!grown) {
        fail(grown.error().code() == std::errc::invalid_argument ? ErrorCode::kInvalidPartitions
                                                                  : ErrorCode::kKafkaStorageError,
             grown.error().message());
      } else {
        LOG_INFO("topic " << t.name << " now has " << t.count << " partitions");
      }
    }
  }
  ctx.Send(resp);
}

void KafkaHandler::AlterConfigs(const RequestContext& ctx) {
  auto req = DecodeOrClose<kafka::AlterConfigsRequest>(ctx);
  if (!req) return;
  kafka::AlterConfigsResponse resp;
  for (const auto& res : req->resources) {
    auto& out = resp.results.emplace_back();
    out.resource_type = res.resource_type;
    out.resource_name = res.resource_name;
    auto fail = [&](ErrorCode code, std::string message) {
      out.error_code = code;
      out.error_message = std::move(message);
    };
    if (res.resource_type != kafka::ConfigResourceType::kTopic) {
      fail(ErrorCode::kInvalidRequest, "only topic configs can be altered");
      continue;
    }
    if (!storage_->topics().Find(res.resource_name)) {
      fail(ErrorCode::kUnknownTopicOrPartition, "unknown topic " + res.resource_name);
      continue;
    }
    // AlterConfigs replaces the whole set: keys not named return to defaults.
    std::map<std::string, std::string> configs;
    for (const auto& c : res.configs) {
      if (!c.value) continue;
      if (auto why = CheckTopicConfig(c.name, *c.value)) {
        fail(ErrorCode::kInvalidConfig, *why);
        break;
      }
      configs[c.name] = *c.value;
    }
    if (out.error_code != ErrorCode::kNone || req->validate_only) continue;
    if (auto st = storage_->topics().ReplaceConfigs(res.resource_name, std::move(configs)); !st) {
      fail(ErrorCode::kKafkaStorageError, st.error().message());
    }
  }
  ctx.Send(resp);
}

}  // namespace corelog::broker

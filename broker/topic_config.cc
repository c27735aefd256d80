#include "broker/topic_config.h"

#include <charconv>

namespace corelog::broker {
namespace {

enum class Kind { kLong, kPolicy, kTimestampType, kCompression, kMinInsyncReplicas };

struct KeyInfo {
  const char* name;
  Kind kind;
  int64_t min;
};

constexpr KeyInfo kKeys[] = {
    {"cleanup.policy", Kind::kPolicy, 0},
    {"compression.type", Kind::kCompression, 0},
    // Only compacted topics use it, as in Kafka; accepted so that tools
    // which set it everywhere can create topics here.
    {"delete.retention.ms", Kind::kLong, 0},
    {"max.message.bytes", Kind::kLong, 0},
    {"min.insync.replicas", Kind::kMinInsyncReplicas, 0},
    {"message.timestamp.type", Kind::kTimestampType, 0},
    {"retention.bytes", Kind::kLong, -1},
    {"retention.ms", Kind::kLong, -1},
    {"segment.bytes", Kind::kLong, 14},
};

std::string DefaultValue(const Config& broker, const std::string& key) {
  if (key == "cleanup.policy") return "delete";
  if (key == "compression.type") return "producer";
  if (key == "delete.retention.ms") return "86400000";
  if (key == "max.message.bytes") return std::to_string(broker.message_max_bytes);
  if (key == "min.insync.replicas") return "1";
  if (key == "message.timestamp.type") return "CreateTime";
  if (key == "retention.bytes") return std::to_string(broker.log_retention_bytes);
  if (key == "retention.ms") return std::to_string(broker.log_retention_ms);
  if (key == "segment.bytes") return std::to_string(broker.wal_segment_bytes);
  return "";
}

}  // namespace

std::optional<std::string> CheckTopicConfig(const std::string& key, const std::string& value) {
  for (const KeyInfo& k : kKeys) {
    if (key != k.name) continue;
    switch (k.kind) {
      case Kind::kPolicy:
        if (value == "delete") return std::nullopt;
        return "cleanup.policy '" + value + "' is not supported (only delete)";
      case Kind::kCompression:
        // Batches are stored as the producer compressed them; recompressing
        // them into another codec is not something this broker does.
        if (value == "producer") return std::nullopt;
        return "compression.type '" + value + "' is not supported (only producer)";
      case Kind::kMinInsyncReplicas:
        // acks=all waits for the one replica there is; more could never be in sync.
        if (value == "1") return std::nullopt;
        return "min.insync.replicas '" + value +
               "' is not supported (only 1: this broker stores one replica)";
      case Kind::kTimestampType:
        if (value == "CreateTime") return std::nullopt;
        return "message.timestamp.type '" + value + "' is not supported (only CreateTime)";
      case Kind::kLong: {
        int64_t v = 0;
        auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
        if (ec != std::errc() || end != value.data() + value.size() || value.empty()) {
          return key + " '" + value + "' is not an integer";
        }
        if (v < k.min) return key + " must be at least " + std::to_string(k.min);
        return std::nullopt;
      }
    }
  }
  return "unknown topic config " + key;
}

std::optional<std::string> CheckReplicaAssignment(const std::vector<int32_t>& replicas,
                                                  int32_t partition, int32_t node_id) {
  const std::string which = "partition " + std::to_string(partition);
  if (replicas.empty()) return which + " is assigned no replica";
  if (replicas.size() > 1) {
    return which + " is assigned " + std::to_string(replicas.size()) +
           " replicas; this broker stores exactly one";
  }
  if (replicas[0] != node_id) {
    return which + " is assigned to broker " + std::to_string(replicas[0]) +
           ", which does not exist (this is broker " + std::to_string(node_id) + ")";
  }
  return std::nullopt;
}

std::vector<TopicConfigEntry> EffectiveTopicConfigs(const Config& broker,
                                                    const std::map<std::string, std::string>& set) {
  std::vector<TopicConfigEntry> out;
  for (const KeyInfo& k : kKeys) {
    auto it = set.find(k.name);
    if (it != set.end()) {
      out.push_back({k.name, it->second, false});
    } else {
      out.push_back({k.name, DefaultValue(broker, k.name), true});
    }
  }
  return out;
}

std::vector<TopicConfigEntry> BrokerConfigs(const Config& broker) {
  return {
      {"auto.create.topics.enable", broker.auto_create_topics ? "true" : "false", false},
      {"broker.id", std::to_string(broker.node_id), false},
      {"log.retention.bytes", std::to_string(broker.log_retention_bytes), false},
      {"log.retention.ms", std::to_string(broker.log_retention_ms), false},
      {"message.max.bytes", std::to_string(broker.message_max_bytes), false},
      {"num.partitions", std::to_string(broker.num_partitions), false},
      {"socket.request.max.bytes", std::to_string(broker.socket_request_max_bytes), false},
  };
}

}  // namespace corelog::broker

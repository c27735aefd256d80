// The topic-level configuration keys corelog supports, their defaults (taken
// from the broker configuration where Kafka does the same) and validation,
// and the replica assignments a topic's partitions may be given. Used by
// CreateTopics, CreatePartitions, DescribeConfigs and AlterConfigs.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "broker/config.h"

namespace corelog::broker {

struct TopicConfigEntry {
  std::string name;
  std::string value;
  bool is_default = true;
};

// Null when `value` is acceptable for `key`, else why not.
std::optional<std::string> CheckTopicConfig(const std::string& key, const std::string& value);

// Null when one partition may have the replicas `replicas` (broker ids),
// else why not: this broker, `node_id`, is the only replica there is.
std::optional<std::string> CheckReplicaAssignment(const std::vector<int32_t>& replicas,
                                                  int32_t partition, int32_t node_id);

// Every supported key with the topic's value or the default.
std::vector<TopicConfigEntry> EffectiveTopicConfigs(const Config& broker,
                                                    const std::map<std::string, std::string>& set);

// The broker-level keys DescribeConfigs reports, with their values.
std::vector<TopicConfigEntry> BrokerConfigs(const Config& broker);

}  // namespace corelog::broker

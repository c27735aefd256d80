// TopicRegistry: the broker's topics and their partitions, shared by all
// cores. Topics change rarely (create, delete, add partitions) and are read
// on every request, so readers get an immutable snapshot (shared_ptr to a
// const Topic) and writers serialise on one mutex and persist through the
// RecordStore before publishing.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "broker/partition.h"
#include "broker/record_store.h"
#include "common/result.h"

namespace corelog::metrics {
class BrokerMetrics;
}

namespace corelog::broker {

struct Topic {
  TopicMeta meta;
  std::vector<std::shared_ptr<Partition>> partitions;
};

class TopicRegistry {
 public:
  TopicRegistry(RecordStore* store, uint32_t num_cores) : store_(store), num_cores_(num_cores) {}

  // Loads the stored topics (start-up, before any core runs).
  Status Load();

  std::shared_ptr<const Topic> Find(const std::string& name) const;
  std::vector<std::shared_ptr<const Topic>> All() const;
  // The partition with broker-wide id `id`, or null (WAL replay).
  std::shared_ptr<Partition> ById(uint32_t id) const;

  // Creates and persists a topic; returns the existing topic with
  // `created == false` if it is already there.
  struct Created {
    std::shared_ptr<const Topic> topic;
    bool created = false;
  };
  Result<Created> Create(const std::string& name, int32_t partitions,
                         std::map<std::string, std::string> configs);
  // Grows a topic to `total` partitions (CreatePartitions); the existing
  // partitions keep their state. Fails if the topic is missing or `total`
  // is not larger than its partition count.
  Result<std::shared_ptr<const Topic>> AddPartitions(const std::string& name, int32_t total);
  // Replaces a topic's configs (AlterConfigs).
  Result<std::shared_ptr<const Topic>> ReplaceConfigs(const std::string& name,
                                                      std::map<std::string, std::string> configs);
  // Removes a topic and its records; returns false if there was none.
  Result<bool> Delete(const std::string& name);

  // Gives every partition, present and future, its topic's traffic
  // counters. Once, before the broker serves.
  void SetMetrics(metrics::BrokerMetrics* metrics);

 private:
  // Partitions that `previous` already has are reused, with their state.
  std::shared_ptr<Topic> Build(TopicMeta meta, const Topic* previous = nullptr) const;
  Result<std::shared_ptr<const Topic>> Publish(TopicMeta meta, const Topic& previous,
                                               uint32_t next_partition_id);

  RecordStore* store_;
  uint32_t num_cores_;
  metrics::BrokerMetrics* metrics_ = nullptr;
  mutable std::mutex mu_;
  std::map<std::string, std::shared_ptr<const Topic>> topics_;
  std::map<uint32_t, std::shared_ptr<Partition>> by_id_;
  uint32_t next_partition_id_ = 0;
};

// Kafka's rules for topic names: 1-249 characters of [a-zA-Z0-9._-], not "." or "..".
bool ValidTopicName(const std::string& name);

}  // namespace corelog::broker

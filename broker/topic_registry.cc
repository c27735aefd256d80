#include "broker/topic_registry.h"

#include "broker/cores.h"
#include "metrics/broker_metrics.h"

namespace corelog::broker {

uint32_t OwnerCore(const std::string& topic, int32_t partition, uint32_t num_cores) {
  // FNV-1a: stable across runs and builds, unlike std::hash.
  uint64_t h = 1469598103934665603ull;
  auto mix = [&h](unsigned char c) {
    h ^= c;
    h *= 1099511628211ull;
  };
  for (unsigned char c : topic) mix(c);
  mix(0);
  for (int i = 0; i < 4; ++i) mix(static_cast<unsigned char>(partition >> (8 * i)));
  return static_cast<uint32_t>(h % num_cores);
}

uint32_t GroupCore(const std::string& group, uint32_t num_cores) {
  return OwnerCore(group, -1, num_cores);
}

bool ValidTopicName(const std::string& name) {
  if (name.empty() || name.size() > 249 || name == "." || name == "..") return false;
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

std::shared_ptr<Topic> TopicRegistry::Build(TopicMeta meta, const Topic* previous) const {
  auto topic = std::make_shared<Topic>();
  for (size_t i = 0; i < meta.partition_ids.size(); ++i) {
    int32_t index = static_cast<int32_t>(i);
    if (previous && i < previous->partitions.size()) {
      topic->partitions.push_back(previous->partitions[i]);
      continue;
    }
    topic->partitions.push_back(std::make_shared<Partition>(
        meta.name, index, meta.partition_ids[i], OwnerCore(meta.name, index, num_cores_)));
  }
  if (metrics_) {
    auto* counters = metrics_->ForTopic(meta.name);
    for (const auto& p : topic->partitions) p->counters.store(counters);
  }
  topic->meta = std::move(meta);
  return topic;
}

void TopicRegistry::SetMetrics(metrics::BrokerMetrics* metrics) {
  std::lock_guard lock(mu_);
  metrics_ = metrics;
  for (const auto& [name, topic] : topics_) {
    auto* counters = metrics_->ForTopic(name);
    for (const auto& p : topic->partitions) p->counters.store(counters);
  }
}

Status TopicRegistry::Load() {
  CORELOG_ASSIGN_OR_RETURN(auto stored, store_->LoadTopics());
  CORELOG_ASSIGN_OR_RETURN(next_partition_id_, store_->LoadNextPartitionId());
  std::lock_guard lock(mu_);
  for (auto& meta : stored) {
    auto topic = Build(std::move(meta));
    for (const auto& p : topic->partitions) by_id_[p->id] = p;
    topics_[topic->meta.name] = std::move(topic);
  }
  return Ok();
}

std::shared_ptr<const Topic> TopicRegistry::Find(const std::string& name) const {
  std::lock_guard lock(mu_);
  auto it = topics_.find(name);
  return it == topics_.end() ? nullptr : it->second;
}

std::vector<std::shared_ptr<const Topic>> TopicRegistry::All() const {
  std::lock_guard lock(mu_);
  std::vector<std::shared_ptr<const Topic>> out;
  for (const auto& [name, t] : topics_) out.push_back(t);
  return out;
}

std::shared_ptr<Partition> TopicRegistry::ById(uint32_t id) const {
  std::lock_guard lock(mu_);
  auto it = by_id_.find(id);
  return it == by_id_.end() ? nullptr : it->second;
}

Result<TopicRegistry::Created> TopicRegistry::Create(const std::string& name, int32_t partitions,
                                                     std::map<std::string, std::string> configs) {
  std::lock_guard lock(mu_);
  if (auto it = topics_.find(name); it != topics_.end()) return Created{it->second, false};
  TopicMeta meta{name, {}, std::move(configs)};
  // Ids are never reused, so WAL entries of a deleted topic can never be
  // replayed into a new one.
  for (int32_t i = 0; i < partitions; ++i) meta.partition_ids.push_back(next_partition_id_ + i);
  CORELOG_TRY(store_->PutTopic(meta, next_partition_id_ + partitions));
  next_partition_id_ += partitions;
  auto topic = Build(std::move(meta));
  for (const auto& p : topic->partitions) by_id_[p->id] = p;
  topics_[name] = topic;
  return Created{topic, true};
}

Result<std::shared_ptr<const Topic>> TopicRegistry::Publish(TopicMeta meta, const Topic& previous,
                                                            uint32_t next_partition_id) {
  CORELOG_TRY(store_->PutTopic(meta, next_partition_id));
  next_partition_id_ = next_partition_id;
  auto topic = Build(std::move(meta), &previous);
  for (const auto& p : topic->partitions) by_id_[p->id] = p;
  topics_[topic->meta.name] = topic;
  return std::shared_ptr<const Topic>(topic);
}

Result<std::shared_ptr<const Topic>> TopicRegistry::AddPartitions(const std::string& name,
                                                                  int32_t total) {
  std::lock_guard lock(mu_);
  auto it = topics_.find(name);
  if (it == topics_.end()) {
    return Error(std::make_error_code(std::errc::no_such_file_or_directory), "no topic " + name);
  }
  const Topic& previous = *it->second;
  const auto current = static_cast<int32_t>(previous.partitions.size());
  if (total <= current) {
    return Error(std::make_error_code(std::errc::invalid_argument),
                 "topic " + name + " has " + std::to_string(current) +
                     " partitions; the new count must be larger");
  }
  TopicMeta meta = previous.meta;
  uint32_t next = next_partition_id_;
  for (int32_t i = current; i < total; ++i) meta.partition_ids.push_back(next++);
  return Publish(std::move(meta), previous, next);
}

Result<std::shared_ptr<const Topic>> TopicRegistry::ReplaceConfigs(
    const std::string& name, std::map<std::string, std::string> configs) {
  std::lock_guard lock(mu_);
  auto it = topics_.find(name);
  if (it == topics_.end()) {
    return Error(std::make_error_code(std::errc::no_such_file_or_directory), "no topic " + name);
  }
  TopicMeta meta = it->second->meta;
  meta.configs = std::move(configs);
  return Publish(std::move(meta), *it->second, next_partition_id_);
}

Result<bool> TopicRegistry::Delete(const std::string& name) {
  std::lock_guard lock(mu_);
  auto it = topics_.find(name);
  if (it == topics_.end()) return false;
  CORELOG_TRY(store_->DeleteTopic(name));
  for (const auto& p : it->second->partitions) {
    p->deleted.store(true);
    by_id_.erase(p->id);
    CORELOG_TRY(store_->DeletePartition(p->id));
  }
  topics_.erase(it);
  if (metrics_) metrics_->RemoveTopic(name);
  return true;
}

}  // namespace corelog::broker

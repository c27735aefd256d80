#include "metrics/topic_metrics.h"

#include "metrics/family.h"

namespace corelog::metrics {

using prometheus::MetricType;

TopicCounters::Totals TopicCounters::Sum() const {
  Totals t;
  for (uint32_t i = 0; i < cores_.size(); ++i) {
    const Cell& c = cores_[i];
    t.produced_records += c.produced_records.load(std::memory_order_relaxed);
    t.produced_bytes += c.produced_bytes.load(std::memory_order_relaxed);
    t.fetched_records += c.fetched_records.load(std::memory_order_relaxed);
    t.fetched_bytes += c.fetched_bytes.load(std::memory_order_relaxed);
  }
  return t;
}

TopicCounters* TopicMetrics::ForTopic(std::string_view name) {
  std::lock_guard lock(mu_);
  auto it = topics_.find(name);
  if (it == topics_.end()) {
    it = topics_.emplace(std::string(name), Entry{std::make_unique<TopicCounters>(num_cores_)})
             .first;
  }
  it->second.exported = true;
  return it->second.counters.get();
}

void TopicMetrics::RemoveTopic(std::string_view name) {
  std::lock_guard lock(mu_);
  if (auto it = topics_.find(name); it != topics_.end()) it->second.exported = false;
}

std::vector<prometheus::MetricFamily> TopicMetrics::Collect() const {
  auto produced_records =
      MakeFamily("corelog_produced_records_total",
                 "Records appended by Produce requests, by topic.", MetricType::Counter);
  auto produced_bytes =
      MakeFamily("corelog_produced_bytes_total",
                 "Record batch bytes appended by Produce requests, by topic.", MetricType::Counter);
  auto fetched_records =
      MakeFamily("corelog_fetched_records_total", "Records returned by Fetch requests, by topic.",
                 MetricType::Counter);
  auto fetched_bytes =
      MakeFamily("corelog_fetched_bytes_total",
                 "Record batch bytes returned by Fetch requests, by topic.", MetricType::Counter);
  std::lock_guard lock(mu_);
  for (const auto& [name, entry] : topics_) {
    if (!entry.exported) continue;
    const TopicCounters::Totals t = entry.counters->Sum();
    const LabelList topic{{"topic", name}};
    AddCounter(produced_records, topic, static_cast<double>(t.produced_records));
    AddCounter(produced_bytes, topic, static_cast<double>(t.produced_bytes));
    AddCounter(fetched_records, topic, static_cast<double>(t.fetched_records));
    AddCounter(fetched_bytes, topic, static_cast<double>(t.fetched_bytes));
  }
  return {std::move(produced_records), std::move(produced_bytes), std::move(fetched_records),
          std::move(fetched_bytes)};
}

}  // namespace corelog::metrics

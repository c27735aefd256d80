// Per-topic traffic: records and bytes produced and fetched. A topic's
// TopicCounters is created once (at topic creation or first use) and its
// pointer kept by the broker, so counting is relaxed atomic adds into the
// calling core's slot; the scrape sums the cores (docs/metrics.md).
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "metrics/per_core.h"
#include "prometheus/collectable.h"

namespace corelog::metrics {

// One topic's counters. Updates are lock- and allocation-free from any
// thread (pass the calling core); any thread may read.
class TopicCounters {
 public:
  struct Totals {
    uint64_t produced_records = 0;
    uint64_t produced_bytes = 0;
    uint64_t fetched_records = 0;
    uint64_t fetched_bytes = 0;
  };

  explicit TopicCounters(uint32_t num_cores) : cores_(num_cores) {}

  void OnProduce(uint32_t core, uint64_t records, uint64_t bytes) {
    Cell& c = cores_[core];
    c.produced_records.fetch_add(records, std::memory_order_relaxed);
    c.produced_bytes.fetch_add(bytes, std::memory_order_relaxed);
  }
  void OnFetch(uint32_t core, uint64_t records, uint64_t bytes) {
    Cell& c = cores_[core];
    c.fetched_records.fetch_add(records, std::memory_order_relaxed);
    c.fetched_bytes.fetch_add(bytes, std::memory_order_relaxed);
  }
  Totals Sum() const;

 private:
  struct Cell {
    std::atomic<uint64_t> produced_records{0};
    std::atomic<uint64_t> produced_bytes{0};
    std::atomic<uint64_t> fetched_records{0};
    std::atomic<uint64_t> fetched_bytes{0};
  };
  PerCore<Cell> cores_;
};

// The set of topics; thread-safe (a mutex guards the set, which changes only
// when topics are created or deleted and is read by scrapes).
class TopicMetrics final : public prometheus::Collectable {
 public:
  explicit TopicMetrics(uint32_t num_cores) : num_cores_(num_cores) {}

  // The topic's counters, created on first call; the pointer stays valid for
  // the life of this object. A deleted and re-created topic continues its
  // counters, so they never go backwards.
  TopicCounters* ForTopic(std::string_view name);
  // Stops exporting the topic until ForTopic(name) is called again.
  void RemoveTopic(std::string_view name);

  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  struct Entry {
    std::unique_ptr<TopicCounters> counters;
    bool exported = true;
  };
  const uint32_t num_cores_;
  mutable std::mutex mu_;
  std::map<std::string, Entry, std::less<>> topics_;
};

}  // namespace corelog::metrics

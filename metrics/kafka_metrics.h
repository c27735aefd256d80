// Kafka front-end metrics: per API request counts, error counts by Kafka
// error code, request latency, and client connections. Each core owns a
// block of cells indexed by API slot, so counting a request is a few relaxed
// atomic adds with no lock and no allocation; the scrape sums the cores.
// The API list and the error names come from the protocol layer (metrics
// does not depend on it); docs/metrics.md lists the families.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "metrics/histogram.h"
#include "metrics/per_core.h"
#include "prometheus/collectable.h"

namespace corelog::metrics {

struct KafkaApi {
  int16_t key = 0;
  std::string name;  // the label value, e.g. "Produce"
};

struct KafkaMetricsOptions {
  // Every API the broker may see (its series appear once it is requested);
  // requests for others count as api="unknown".
  std::vector<KafkaApi> apis;
  // Error code → label value (e.g. "UNKNOWN_TOPIC_OR_PARTITION"); called at
  // scrape only. Unset: the decimal code.
  std::function<std::string(int16_t)> error_name;
};

// Which cell an API key and an error code use. Immutable, shared by all cores.
class KafkaSlots {
 public:
  static constexpr int kMaxApiKey = 127;
  // Error codes -1 .. 125 get a cell each, all others share the last one.
  static constexpr int kErrorCells = 128;

  explicit KafkaSlots(const std::vector<KafkaApi>& apis);
  size_t Slot(int16_t api_key) const {
    return api_key >= 0 && api_key <= kMaxApiKey ? slot_of_[api_key] : unknown_slot();
  }
  size_t unknown_slot() const { return num_apis_; }
  size_t cells() const { return num_apis_ + 1; }
  static size_t ErrorCell(int16_t code) {
    return code >= -1 && code < kErrorCells - 2 ? static_cast<size_t>(code + 1) : kErrorCells - 1;
  }

 private:
  size_t num_apis_;
  std::array<uint16_t, kMaxApiKey + 1> slot_of_{};
};

// One core's Kafka counters. Lock- and allocation-free updates from any
// thread (normally the core's own); any thread may read.
class KafkaCoreMetrics {
 public:
  struct alignas(kCacheLine) ApiCell {
    ApiCell() : duration(RequestDurationBuckets()) {}
    std::atomic<uint64_t> requests{0};
    AtomicHistogram duration;
    std::array<std::atomic<uint64_t>, KafkaSlots::kErrorCells> errors{};
  };

  explicit KafkaCoreMetrics(const KafkaSlots& slots);

  // One request answered (or dropped, for acks=0 produce) after `duration`;
  // `error_code` is the Kafka error of the response (0 = none).
  void OnRequest(int16_t api_key, std::chrono::nanoseconds duration, int16_t error_code) {
    ApiCell& cell = cells_[slots_->Slot(api_key)];
    cell.requests.fetch_add(1, std::memory_order_relaxed);
    cell.duration.ObserveDuration(duration);
    if (error_code != 0) {
      cell.errors[KafkaSlots::ErrorCell(error_code)].fetch_add(1, std::memory_order_relaxed);
    }
  }
  void OnConnectionOpened() { opened_.fetch_add(1, std::memory_order_relaxed); }
  void OnConnectionClosed() { closed_.fetch_add(1, std::memory_order_relaxed); }

  const ApiCell& cell(size_t slot) const { return cells_[slot]; }
  uint64_t opened() const { return opened_.load(std::memory_order_relaxed); }
  uint64_t closed() const { return closed_.load(std::memory_order_relaxed); }

 private:
  const KafkaSlots* slots_;
  std::unique_ptr<ApiCell[]> cells_;
  std::atomic<uint64_t> opened_{0};
  std::atomic<uint64_t> closed_{0};
};

// All cores' Kafka metrics and their exposition; thread-safe.
class KafkaMetrics final : public prometheus::Collectable {
 public:
  KafkaMetrics(uint32_t num_cores, KafkaMetricsOptions options);

  KafkaCoreMetrics& core(uint32_t i) { return cores_[i]; }

  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  struct ApiTotals {
    uint64_t requests = 0;
    HistogramSnapshot latency;
    std::array<uint64_t, KafkaSlots::kErrorCells> errors{};
  };
  ApiTotals SumCores(size_t slot) const;
  std::vector<prometheus::MetricFamily> ConnectionFamilies() const;
  std::string ApiLabel(size_t slot) const;
  std::string ErrorLabel(size_t cell) const;

  KafkaMetricsOptions options_;
  KafkaSlots slots_;
  PerCore<KafkaCoreMetrics> cores_;
};

}  // namespace corelog::metrics

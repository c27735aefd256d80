// Process metrics with the conventional Prometheus names (process_*): CPU
// seconds, resident and virtual memory, start time and file descriptors,
// read from /proc/self at scrape time. Linux only.
#pragma once

#include <optional>
#include <string_view>
#include <vector>

#include "prometheus/collectable.h"

namespace corelog::metrics {

struct ProcessStat {
  double cpu_seconds = 0;  // user + system
  double resident_bytes = 0;
  double virtual_bytes = 0;
  double start_time_seconds = 0;  // Unix time
};

// Parses the text of /proc/<pid>/stat, given the system's clock ticks per
// second, page size and boot time (Unix seconds). Nothing on a malformed line.
std::optional<ProcessStat> ParseProcStat(std::string_view stat, long ticks_per_second,
                                         long page_size, double boot_time_seconds);

// Stateless and thread-safe.
class ProcessMetrics final : public prometheus::Collectable {
 public:
  std::vector<prometheus::MetricFamily> Collect() const override;
};

}  // namespace corelog::metrics

// Helpers that build prometheus-cpp MetricFamily values at scrape time, for
// the collectors that aggregate per-core slots themselves instead of using
// prometheus-cpp's own (locking) metric types. Pure functions, no state.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "metrics/histogram.h"
#include "prometheus/metric_family.h"
#include "prometheus/metric_type.h"

namespace corelog::metrics {

using LabelList = std::vector<prometheus::ClientMetric::Label>;

prometheus::MetricFamily MakeFamily(std::string name, std::string help,
                                    prometheus::MetricType type);

// Appends one sample. Counters and gauges take `value`.
void AddCounter(prometheus::MetricFamily& family, LabelList labels, double value);
void AddGauge(prometheus::MetricFamily& family, LabelList labels, double value);
void AddHistogram(prometheus::MetricFamily& family, LabelList labels,
                  const HistogramSnapshot& snapshot, const BucketLayout& layout);

// {core="<i>"}
LabelList CoreLabel(uint32_t core);

}  // namespace corelog::metrics

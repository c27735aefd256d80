#include "metrics/family.h"

#include <utility>

namespace corelog::metrics {

prometheus::MetricFamily MakeFamily(std::string name, std::string help,
                                    prometheus::MetricType type) {
  prometheus::MetricFamily family;
  family.name = std::move(name);
  family.help = std::move(help);
  family.type = type;
  return family;
}

void AddCounter(prometheus::MetricFamily& family, LabelList labels, double value) {
  prometheus::ClientMetric m;
  m.label = std::move(labels);
  m.counter.value = value;
  family.metric.push_back(std::move(m));
}

void AddGauge(prometheus::MetricFamily& family, LabelList labels, double value) {
  prometheus::ClientMetric m;
  m.label = std::move(labels);
  m.gauge.value = value;
  family.metric.push_back(std::move(m));
}

void AddHistogram(prometheus::MetricFamily& family, LabelList labels,
                  const HistogramSnapshot& snapshot, const BucketLayout& layout) {
  prometheus::ClientMetric m;
  m.label = std::move(labels);
  m.histogram = snapshot.ToPrometheus(layout);
  family.metric.push_back(std::move(m));
}

LabelList CoreLabel(uint32_t core) { return {{"core", std::to_string(core)}}; }

}  // namespace corelog::metrics

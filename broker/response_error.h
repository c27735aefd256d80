// ResponseErrorCode: the Kafka error a response carries, for the request
// metrics (corelog_kafka_request_errors_total, docs/metrics.md). One generic
// walk over the codec's response structs: the response's own error_code if
// it has one, else the first non-zero error_code among its topics,
// partitions, results or groups. Pure functions, usable from any thread.
#pragma once

#include <cstdint>

namespace corelog::broker {

template <class T>
int16_t ResponseErrorCode(const T& node);

namespace response_error_internal {

template <class Range>
int16_t FirstOf(const Range& items) {
  for (const auto& item : items) {
    if (int16_t code = ResponseErrorCode(item); code != 0) return code;
  }
  return 0;
}

}  // namespace response_error_internal

template <class T>
int16_t ResponseErrorCode(const T& node) {
  using response_error_internal::FirstOf;
  int16_t code = 0;
  if constexpr (requires { node.error_code; }) code = static_cast<int16_t>(node.error_code);
  if constexpr (requires { node.topics.begin(); }) {
    if (code == 0) code = FirstOf(node.topics);
  }
  if constexpr (requires { node.partitions.begin(); }) {
    if (code == 0) code = FirstOf(node.partitions);
  }
  if constexpr (requires { node.results.begin(); }) {
    if (code == 0) code = FirstOf(node.results);
  }
  if constexpr (requires { node.groups.begin(); }) {
    if (code == 0) code = FirstOf(node.groups);
  }
  return code;
}

}  // namespace corelog::broker

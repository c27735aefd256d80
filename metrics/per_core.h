// PerCore<T>: one cache-line-aligned slot per core, so that each core bumps
// its own counters with relaxed atomics and no two cores ever write the same
// cache line; the scraper reads all slots and aggregates. PerCore itself is
// immutable after construction (the slots' atomics are what change), so it is
// safe to use from any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

#include "common/check.h"

namespace corelog::metrics {

// x86-64 and most ARM cores; std::hardware_destructive_interference_size
// would make the layout depend on compiler tuning flags.
inline constexpr size_t kCacheLine = 64;

template <class T>
class PerCore {
 public:
  // Builds num_cores slots with T(args...).
  template <class... Args>
  explicit PerCore(uint32_t num_cores, const Args&... args) {
    CORELOG_CHECK(num_cores > 0, "metrics need at least one core");
    slots_.reserve(num_cores);
    for (uint32_t i = 0; i < num_cores; ++i) slots_.push_back(std::make_unique<Slot>(args...));
  }

  uint32_t size() const { return static_cast<uint32_t>(slots_.size()); }
  T& operator[](uint32_t core) {
    CORELOG_CHECK(core < slots_.size(), "core index out of range");
    return slots_[core]->value;
  }
  const T& operator[](uint32_t core) const {
    CORELOG_CHECK(core < slots_.size(), "core index out of range");
    return slots_[core]->value;
  }

 private:
  // Aligned and padded to whole cache lines: a slot shares no line with
  // another core's slot or with whatever the allocator places next to it.
  struct alignas(kCacheLine) Slot {
    template <class... Args>
    explicit Slot(const Args&... args) : value(args...) {}
    T value;
  };
  std::vector<std::unique_ptr<Slot>> slots_;
};

}  // namespace corelog::metrics

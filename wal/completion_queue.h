// Asynchronous sync completions shared by all cores of a Manager: tokens
// unique across cores, and a queue of finished syncs that the owner drains
// with Manager::CheckCompletions(). Thread-safe.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <utility>
#include <vector>

#include "common/result.h"

namespace corelog::wal {

struct SyncCompletion {
  uint64_t token = 0;
  uint32_t core = 0;
  Status status;  // Ok, or the write/fsync error (or kPoisoned)
};

class CompletionQueue {
 public:
  // Tokens start at 1 and never repeat within one Manager.
  uint64_t NextToken() { return next_token_.fetch_add(1, std::memory_order_relaxed); }

  void Push(SyncCompletion completion) {
    std::lock_guard lock(mu_);
    done_.push_back(std::move(completion));
  }

  // Everything pushed since the previous call, in completion order.
  std::vector<SyncCompletion> Drain() {
    std::lock_guard lock(mu_);
    return std::exchange(done_, {});
  }

 private:
  std::atomic<uint64_t> next_token_{1};
  std::mutex mu_;
  std::vector<SyncCompletion> done_;
};

}  // namespace corelog::wal

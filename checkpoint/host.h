// Host: what the checkpoint library needs from the program that owns the WAL
// (corelogd's Storage, or any other WAL host): a way to run work on the
// thread that appends to a core's WAL, and the state to make durable. The
// library never sees partitions, groups or producers, only key/value writes.
// Protocol: docs/architecture.md, "Checkpoints".
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"

namespace corelog::checkpoint {

// One write into the state store: a put, or a delete when `value` is empty.
struct StateWrite {
  std::string key;
  std::optional<std::string> value;
};
using State = std::vector<StateWrite>;

// Implemented by the host; called from the checkpoint thread and from the
// cores' threads as documented per method. Must outlive the Checkpointer.
class Host {
 public:
  virtual ~Host() = default;

  // Runs `fn` on the thread that appends to core `core`'s WAL writer. Per
  // core FIFO: tasks run in the order they were posted. Any thread may call.
  //
  // The consistency contract: the host applies the effects of a WAL entry
  // (a batch becoming visible, an offset committed) in a task it posts with
  // RunOnCore from that entry's Sync callback. Callbacks complete in append
  // order, so when the barrier's own follow-up task runs, every entry before
  // the barrier has been applied and none after it.
  virtual void RunOnCore(uint32_t core, std::function<void()> fn) = 0;

  // On core `core`'s thread, once the barrier of `epoch` is durable: the
  // writes that make the store hold this core's state as of the barrier.
  virtual Result<State> CaptureCore(uint32_t core, uint64_t epoch) = 0;

  // On core `core`'s thread, right after CaptureCore: the lowest WAL
  // position the host still reads from, for a host that keeps data in the
  // WAL and only an index of it in the store (wal::DataLocation). The
  // checkpoint deletes no segment at or above it. Default: none needed.
  virtual uint64_t OldestNeeded(uint32_t /*core*/) { return UINT64_MAX; }

  // On the checkpoint thread after every core was captured: state owned by
  // no core. Default: none.
  virtual Result<State> CaptureShared(uint64_t /*epoch*/) { return State{}; }
};

}  // namespace corelog::checkpoint

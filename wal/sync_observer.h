// Hooks and counters through which metrics watch the WAL's durability:
// SyncObserver is told about every group commit, CoreStats holds per-core
// byte counters as atomics that a scraper reads without taking any lock.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

#include "common/result.h"

namespace corelog::wal {

// Called from a core's background sync thread; implementations must be
// thread-safe (several cores report concurrently) and quick.
class SyncObserver {
 public:
  virtual ~SyncObserver() = default;
  // One group commit: `bytes` of entries became durable with one fdatasync
  // that took `fsync_duration`.
  virtual void OnSync(uint32_t core, uint64_t bytes, std::chrono::nanoseconds fsync_duration) = 0;
  // One group commit's write to its segment took `write_duration`, before
  // its fdatasync began. With O_DIRECT this is where the device's write time
  // lands (the fdatasync then only flushes the device's cache); a segment
  // roll that falls inside the group commit counts here too.
  virtual void OnWritten(uint32_t core, std::chrono::nanoseconds write_duration) {
    (void)core;
    (void)write_duration;
  }
  // A write or fsync failed and poisoned the core's writer.
  virtual void OnPoisoned(uint32_t core, const Error& error) {
    (void)core;
    (void)error;
  }
};

// Written by the core's threads, read by anyone (relaxed loads suffice for metrics).
struct CoreStats {
  std::atomic<uint64_t> written_bytes{0};  // entry bytes appended since open
  std::atomic<uint64_t> synced_bytes{0};   // entry bytes made durable since open
  std::atomic<uint64_t> syncs{0};          // group commits (fdatasync calls)
  std::atomic<uint64_t> failures{0};       // failed writes or fsyncs (0 or 1: it poisons)
  // Segment rolls since open: to a new file, or to one written over a spare
  // (Options::spare_segments).
  std::atomic<uint64_t> new_segments{0};
  std::atomic<uint64_t> reused_segments{0};
  // Data entry bytes read back by Manager::AppendDataPayload, from the tail
  // cache or from the segment files; counted by the readers' threads.
  mutable std::atomic<uint64_t> read_memory_bytes{0};
  mutable std::atomic<uint64_t> read_disk_bytes{0};
};

}  // namespace corelog::wal

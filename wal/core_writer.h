// CoreWriter: one core's append path, its group-commit sync thread and the
// thread that runs sync callbacks.
// Appends are encoded into an in-memory buffer; a background thread writes
// everything buffered with one write and makes it durable with one
// fdatasync, so appends made while an fsync is in flight ride the next one.
// Format: docs/wal_format.md.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "common/result.h"
#include "wal/completion_queue.h"
#include "wal/core_reader.h"
#include "wal/file_system.h"
#include "wal/format.h"
#include "wal/options.h"
#include "wal/sync_observer.h"
#include "wal/tail_cache.h"
#include "wal/write_buffer.h"

namespace corelog::wal {

// Created by Manager, one per core. Append*, Sync, SubmitSync, SyncNow and
// SetEpoch belong to the core's own thread (they are not safe against each
// other); position getters, stats() and health() may be read from any thread.
// `done` callbacks run in order on the writer's completion thread, never
// under a lock, so a slow callback cannot delay the next fdatasync; they
// should post back to the core rather than append from there.
class CoreWriter {
 public:
  // Where recovery (or creation) left the core; the file is open at its end.
  struct Start {
    uint32_t core = 0;
    std::vector<SegmentInfo> segments;  // oldest first, the last one open
    uint64_t segment_bytes = 0;         // size of the last segment file
    uint64_t position = 0;
    uint64_t epoch = 0;
    uint64_t next_sequence = 0;
    std::unique_ptr<WritableFile> file;
  };

  CoreWriter(const Options& options, CompletionQueue* completions, Start start);
  // Makes everything appended durable (best effort), then stops the sync thread.
  ~CoreWriter();
  CoreWriter(const CoreWriter&) = delete;
  CoreWriter& operator=(const CoreWriter&) = delete;

  uint32_t core_id() const { return core_; }

  // Each returns the entry's end position, or kPoisoned after a failure.
  // `known`: the CRC-32C of a suffix of `payload` the caller already holds
  // (see KnownCrc); it must be right, or the entry will not verify.
  Result<uint64_t> AppendData(uint32_t partition_id, int64_t base_offset, std::string_view payload,
                              std::optional<KnownCrc> known = std::nullopt);
  Result<uint64_t> AppendData(uint32_t partition_id, int64_t base_offset,
                              std::span<const std::byte> payload);
  // Raises the writer's epoch to `epoch` (never lowers it) and logs a barrier.
  Result<uint64_t> AppendBarrier(uint64_t epoch);
  Result<uint64_t> AppendRecord(uint16_t record_type, std::string_view payload);
  Result<uint64_t> AppendRecord(uint16_t record_type, std::span<const std::byte> payload);

  // Requests durability of everything appended so far; `done` runs on the
  // completion thread once an fdatasync covering it returned, or with the error.
  void Sync(std::function<void(Status)> done);
  // As Sync; the result arrives as a SyncCompletion with this token in
  // Manager::CheckCompletions().
  uint64_t SubmitSync();
  // Blocks until everything appended so far is durable.
  Status SyncNow();

  // Epoch stamped on later entries. kInvalidArgument if `epoch` is lower.
  Status SetEpoch(uint64_t epoch);
  uint64_t epoch() const { return epoch_.load(std::memory_order_relaxed); }
  uint64_t next_sequence() const { return next_sequence_.load(std::memory_order_relaxed); }

  uint64_t position() const { return position_.load(std::memory_order_acquire); }
  uint64_t synced_position() const { return synced_position_.load(std::memory_order_acquire); }
  // The base of the oldest segment still on disk.
  uint64_t oldest_position() const { return oldest_position_.load(std::memory_order_acquire); }
  bool sync_pending() const { return outstanding_.load(std::memory_order_acquire) > 0; }
  size_t segment_count() const;
  // The retained segment holding `position`, or nullopt below the oldest.
  std::optional<SegmentInfo> SegmentHolding(uint64_t position) const;
  // If the entries at positions [position, end) are still in memory, calls
  // `use` with their bytes (see TailCache::Read) and returns true.
  bool ReadRecent(uint64_t position, uint64_t end,
                  const std::function<void(std::string_view)>& use) const {
    return tail_.Read(position, end, use);
  }
  const TailCache& tail_cache() const { return tail_; }
  // Ok, or the error that poisoned the writer.
  Status health() const;
  const CoreStats& stats() const { return stats_; }

  // Manager-only maintenance. Truncate and Reset need the core quiescent (no
  // appends in flight); DeleteSegmentsBelow may run alongside appends.
  Status TruncateTo(uint64_t position);
  Status Reset();
  Result<size_t> DeleteSegmentsBelow(uint64_t position);

 private:
  struct SyncRequest {
    uint64_t target;
    uint64_t token;                    // 0 = no completion queued
    std::function<void(Status)> done;  // may be empty
  };
  // In the pending buffer, the bytes of the segment before end at `gap`;
  // bytes from `offset` on (block-aligned, the new segment's header first)
  // belong to segment `number`.
  struct SegmentMark {
    size_t gap;
    size_t offset;
    uint64_t number;
    std::string spare;  // the file to write it over; empty = a new file
  };
  struct Batch {
    WriteBuffer bytes;
    std::vector<SegmentMark> marks;
    std::vector<SyncRequest> requests;
    uint64_t end_position = 0;
    bool sync = false;
  };

  Result<uint64_t> Append(const EntryFields& fields, std::string_view payload,
                          std::optional<KnownCrc> known = std::nullopt);
  void Request(uint64_t token, std::function<void(Status)> done);
  void RollLocked();
  void SyncLoop();
  bool HasWorkLocked() const;
  void TakeBatchLocked(Batch* batch);
  Status RunBatch(Batch& batch);
  Status WriteBatch(Batch& batch);
  Status WriteToFile(std::span<char> bytes);
  Status SwitchFile(const SegmentMark& mark);
  Status SyncFile(uint64_t end_position);
  void Complete(Batch* batch, const Status& status);
  void Recycle(Batch* batch, const Status& status);
  void CompletionLoop();
  void Poison(const Error& error);
  Error PoisonedError() const;
  std::string PathOf(uint64_t number) const;
  Status CheckBoundary(const SegmentInfo& segment, uint64_t position);
  Status CutTo(size_t index, uint64_t position);
  Status ReplaceAllSegments();

  const Options options_;
  FileSystem* const fs_;
  CompletionQueue* const completions_;
  const uint32_t core_;

  // Core-thread state.
  uint64_t segment_number_;
  uint64_t segment_bytes_;
  std::atomic<uint64_t> epoch_;
  std::atomic<uint64_t> next_sequence_;

  std::atomic<uint64_t> position_;
  std::atomic<uint64_t> synced_position_;
  std::atomic<uint64_t> oldest_position_;
  std::atomic<uint64_t> durable_segment_;  // newest segment whose header and dir entry are durable
  std::atomic<bool> poisoned_{false};
  std::atomic<int> outstanding_{0};
  CoreStats stats_;

  // Shared between the core thread and the sync thread.
  mutable std::mutex mu_;
  std::condition_variable wake_;
  WriteBuffer pending_;
  std::vector<SegmentMark> marks_;
  std::vector<SyncRequest> requests_;
  bool stop_ = false;
  Error poison_error_;

  // Sync-thread state; maintenance takes io_mu_ to exclude the sync thread.
  std::mutex io_mu_;
  std::unique_ptr<WritableFile> file_;
  uint64_t file_segment_;
  uint64_t file_position_;

  mutable std::mutex segments_mu_;
  std::vector<SegmentInfo> segments_;
  // Paths of reclaimed segments kept to be written over (Options::spare_segments).
  std::vector<std::string> spares_;

  // Written batches, newest last; cleared before positions are reused.
  TailCache tail_;

  // Finished requests with their outcome, handed from the sync thread to
  // the completion thread.
  std::mutex done_mu_;
  std::condition_variable done_wake_;
  std::vector<std::pair<SyncRequest, Status>> finished_;
  bool done_stop_ = false;

  // Last: they start after everything above is initialised.
  std::thread completion_thread_;
  std::thread thread_;
};

// Creates segment `header.segment_number` holding only its header, durable
// together with its directory entry; returns it open for appending.
Result<std::unique_ptr<WritableFile>> CreateSegment(const Options& options,
                                                    const SegmentHeader& header);

}  // namespace corelog::wal

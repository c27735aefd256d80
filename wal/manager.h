// Manager: the per-core WAL as a whole. It creates or recovers every core's
// segments, owns one CoreWriter per core, the global epoch and the sync
// completion queue, and offers the cross-core views (positions, merged
// entries, barriers, truncation, reclamation). docs/wal_format.md has the
// format and recovery rules.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "common/result.h"
#include "wal/completion_queue.h"
#include "wal/core_reader.h"
#include "wal/core_writer.h"
#include "wal/entry.h"
#include "wal/options.h"

namespace corelog::wal {

// Where a data entry lies in a core's WAL: what a host that keeps its data
// in the WAL (and only an index elsewhere) needs to read it back.
struct DataLocation {
  uint32_t core = 0;
  uint64_t position = 0;      // the entry's first byte
  uint64_t end_position = 0;  // just after it
};

// Thread-safety: epoch(), AdvanceEpoch(), positions(), synced_positions(),
// TotalSize(), CheckCompletions(), AnySyncPending(), DeleteSegmentsBelow()
// and the readers may be used from any thread while cores append.
// SetEpochAll, WriteBarrierAll, SyncAll, TruncateAll and ResetAll act on
// every writer and need the cores quiescent (start-up, shutdown, tests).
class Manager {
 public:
  // Makes `dir` and one segment per core. kAlreadyExists if any core
  // already has segments (use Open).
  static Result<std::unique_ptr<Manager>> Create(Options options);
  // Recovers every core under options.recovery: torn tails are cut before
  // any writer exists; epoch = largest epoch found; each core's sequence
  // continues after its last entry. Recovery reads every entry anyway, so
  // `visit`, when given, sees each valid entry as it is read (per core in
  // log order, cores one after another): a replay costs no second pass over
  // the files. An error from `visit` stops the open and is returned.
  // With `replay_from` (one position per core, each an entry boundary), a
  // core is read from that position: older segments stay on disk and in
  // the writer's list, but only their headers are read, so the cost of an
  // open does not grow with what is retained below a checkpoint.
  using EntryVisitor = std::function<Status(const Entry&)>;
  static Result<std::unique_ptr<Manager>> Open(Options options, const EntryVisitor& visit = {},
                                               std::span<const uint64_t> replay_from = {});
  ~Manager();

  const Options& options() const { return options_; }
  uint32_t num_cores() const { return options_.num_cores; }

  uint64_t epoch() const { return epoch_.load(std::memory_order_acquire); }
  // Increments the global epoch and returns the new value (writers unchanged).
  uint64_t AdvanceEpoch();
  // Sets the global epoch and every writer's epoch; never lowers them.
  Status SetEpochAll(uint64_t epoch);

  // The writer of `core`; `core` must be < num_cores().
  CoreWriter& writer(uint32_t core);
  // kInvalidCore naming the valid range if `core` is out of range.
  Result<CoreWriter*> WriterChecked(uint32_t core);

  // Makes every core durable, the fsyncs running concurrently.
  Status SyncAll();
  std::vector<uint64_t> positions() const;         // written, maybe unsynced
  std::vector<uint64_t> synced_positions() const;  // durable
  // Appends a barrier at epoch() on every core; returns their end positions.
  Result<std::vector<uint64_t>> WriteBarrierAll();
  // Cuts core i back to positions[i], an entry boundary; the length must
  // equal num_cores().
  Status TruncateAll(std::span<const uint64_t> positions);
  // Discards every entry; positions, epoch and sequences continue.
  Status ResetAll();
  // Deletes `core`'s whole segments that lie below `position` and are
  // synced; returns how many. The directory is fsynced.
  Result<size_t> DeleteSegmentsBelow(uint32_t core, uint64_t position);
  // Entry bytes retained on disk or in memory across cores.
  uint64_t TotalSize() const;
  std::string DebugString() const;

  // Every entry in the files, ordered by (epoch, core, sequence); call
  // SyncAll() first to include entries still buffered.
  Result<std::vector<OwnedEntry>> MergeEntries() const;
  Result<std::vector<OwnedEntry>> MergeEntriesUpToEpoch(uint64_t max_epoch) const;
  // Reads the data entry at `at` back, checks its checksum and appends its
  // payload to *out. kInvalidArgument unless the entry is synced, kReclaimed
  // once its segment was deleted, kCorruption if the bytes there are not
  // that entry. Any thread. Entries among the core's newest written bytes
  // (Options::tail_cache_bytes) come from memory; others from the segment,
  // and on a direct-I/O WAL that read bypasses the page cache, as its
  // appends do.
  Status AppendDataPayload(const DataLocation& at, std::string* out) const;
  // A reader replaying `core` from `from_position` under options().recovery.
  Result<std::unique_ptr<CoreReader>> NewReader(uint32_t core, uint64_t from_position) const;

  // Syncs submitted with CoreWriter::SubmitSync() that finished since the last call.
  std::vector<SyncCompletion> CheckCompletions() { return completions_.Drain(); }
  bool AnySyncPending() const;

  std::string SegmentPath(uint32_t core, uint64_t segment = 0) const {
    return wal::SegmentPath(options_, core, segment);
  }

 private:
  explicit Manager(Options options);
  Result<std::vector<OwnedEntry>> Merge(uint64_t max_epoch) const;
  Status CheckCore(uint32_t core) const;

  Result<std::shared_ptr<ReadableFile>> SegmentForReading(uint32_t core, uint64_t number) const;

  const Options options_;
  std::atomic<uint64_t> epoch_{0};
  CompletionQueue completions_;
  std::vector<std::unique_ptr<CoreWriter>> writers_;
  // Segments open for AppendDataPayload, by (core, segment number); a core's
  // are dropped when it deletes segments (open ones still read).
  mutable std::mutex read_files_mu_;
  mutable std::map<std::pair<uint32_t, uint64_t>, std::shared_ptr<ReadableFile>> read_files_;
};

}  // namespace corelog::wal

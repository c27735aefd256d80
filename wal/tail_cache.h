// TailCache: the newest written WAL bytes of one core, kept in memory so that
// a reader at the log's end (a consumer keeping up with producers) is served
// without touching the disk. With direct I/O the page cache holds none of the
// WAL, so without this every such read would go to the device and compete
// with the group commits' writes and fdatasyncs.
//
// The cache keeps the group-commit buffers the sync thread wrote, so keeping
// a batch copies nothing; a buffer it lets go becomes the next batch's.
// It keeps them only while someone reads: filling a new buffer per batch
// costs the writer CPU (memory the CPU's caches no longer hold), so with no
// read for kIdleAfter the cache empties and the writer goes back to
// reusing the same two buffers.
//
// A kept batch counts with its buffer's whole capacity, the memory it
// really holds. So the buffer handed back to fill next is sized to the
// batches: twice the last one, rounded up to a power of two so that the
// buffers of batches let go fit the next ones. A buffer much larger than
// its batch would leave room for only a few batches. (Handing back one
// buffer as large as the whole cache once let the cache hold a single
// batch, and a consumer at the log's end read two thirds of its bytes
// from the disk.)
//
// A buffer that holds no batch stays with the cache, within its capacity,
// for the next batches of its size: memory given back to the kernel and
// taken again is faulted in and cleared anew, which in a virtual machine
// costs far more than filling memory already mapped (here up to ~3 ms per
// 2 MiB against ~0.1 ms).
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <string_view>
#include <vector>

#include "wal/write_buffer.h"

namespace corelog::wal {

class TailCache {
 public:
  // Holds at most `capacity` bytes of buffer memory; 0 keeps nothing.
  explicit TailCache(size_t capacity) : capacity_(capacity) {}

  static constexpr std::chrono::seconds kIdleAfter{1};

  // Bytes [from, to) of a batch that take no position: a gap and the
  // segment header after it.
  struct Hole {
    size_t from;
    size_t to;
  };

  // Takes a written batch: `bytes` end at logical position `end`, and
  // `holes` (in order) are the parts of them that hold no entry bytes.
  // Returns an empty buffer to fill next, of about twice the batch's size:
  // the memory of a batch the cache let go when one is near that size.
  WriteBuffer Keep(WriteBuffer bytes, uint64_t end, std::span<const Hole> holes);

  // If one kept batch holds positions [position, end), calls `use` with
  // those bytes and returns true. `use` runs outside the cache's lock (the
  // batch's buffer stays alive while it does), so a long copy never holds
  // up the writer. Either way it counts as a read: batches written from
  // now on are kept.
  bool Read(uint64_t position, uint64_t end,
            const std::function<void(std::string_view)>& use) const;

  // Forgets every batch, for when positions are about to be reused. Keeps
  // the buffers.
  void Clear();

  // Buffer memory held for batches, and held free.
  size_t held_bytes() const;
  size_t free_bytes() const;

 private:
  // Positions [position, position + size) are at `offset` of the buffer.
  struct Run {
    uint64_t position;
    size_t offset;
    size_t size;
  };
  struct Batch {
    // Shared with readers copying from it; reused for a later batch only
    // once the cache holds the last reference.
    std::shared_ptr<WriteBuffer> bytes;
    std::vector<Run> runs;
  };

  bool ReadRecently() const;
  // Moves the buffer of the oldest batch to the free list, or drops it when
  // a reader still holds it.
  void EvictOldestLocked();
  // Largest first.
  void SortFreeLocked();
  // The smallest free buffer of at least `bytes` and at most four times
  // that, or an empty one; free_ must be sorted.
  WriteBuffer TakeFreeLocked(size_t bytes);
  // Frees the smallest free buffers until the cache is within capacity;
  // free_ must be sorted.
  void TrimFreeLocked();

  const size_t capacity_;
  // steady_clock nanoseconds of the last Read; 0 = never read.
  mutable std::atomic<int64_t> last_read_ns_{0};
  mutable std::mutex mu_;
  std::deque<Batch> batches_;  // oldest first
  size_t held_ = 0;            // capacity of the kept buffers
  std::vector<WriteBuffer> free_;  // buffers that hold no batch
  size_t free_bytes_ = 0;          // their capacity
};

}  // namespace corelog::wal

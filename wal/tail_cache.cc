#include "wal/tail_cache.h"

#include <algorithm>
#include <bit>
#include <utility>

namespace corelog::wal {
namespace {

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// The smallest buffer handed back, so that tiny batches do not each take
// a new allocation; a power of two and a multiple of the direct I/O block.
constexpr size_t kMinBuffer = 64 * 1024;

}  // namespace

bool TailCache::ReadRecently() const {
  const int64_t last = last_read_ns_.load(std::memory_order_relaxed);
  return last != 0 && NowNs() - last < std::chrono::nanoseconds(kIdleAfter).count();
}

WriteBuffer TailCache::Keep(WriteBuffer bytes, uint64_t end, std::span<const Hole> holes) {
  const bool wanted = ReadRecently();
  if (!wanted) Clear();
  if (!wanted || bytes.empty() || bytes.capacity() > capacity_) {
    bytes.clear();
    return bytes;
  }
  Batch batch;
  size_t positioned = bytes.size();
  for (const Hole& hole : holes) positioned -= hole.to - hole.from;
  uint64_t position = end - positioned;
  size_t from = 0;
  auto add_run = [&](size_t to) {
    if (to > from) batch.runs.push_back({position, from, to - from});
    position += to - from;
  };
  for (const Hole& hole : holes) {
    add_run(hole.from);
    from = hole.to;
  }
  add_run(bytes.size());
  const size_t kept_capacity = bytes.capacity();
  // Room for a batch twice this one's size: a buffer that has to grow
  // while a batch fills is copied and reallocated, which at line rate
  // churns fresh pages. Sizes are powers of two, so that the buffer of a
  // batch let go fits the next batches and is filled again rather than
  // given back to the kernel while a new one is faulted in.
  const size_t next_size = std::bit_ceil(std::max(2 * bytes.size(), kMinBuffer));
  batch.bytes = std::make_shared<WriteBuffer>(std::move(bytes));

  WriteBuffer spare;
  {
    std::lock_guard lock(mu_);
    held_ += kept_capacity;
    batches_.push_back(std::move(batch));
    while (held_ > capacity_) EvictOldestLocked();
    SortFreeLocked();
    spare = TakeFreeLocked(next_size);
    TrimFreeLocked();
  }
  spare.clear();
  spare.Reserve(next_size);
  return spare;
}

void TailCache::EvictOldestLocked() {
  std::shared_ptr<WriteBuffer>& evicted = batches_.front().bytes;
  held_ -= evicted->capacity();
  // Readers take references only under the lock, so a sole owner here
  // stays the sole owner.
  if (evicted.use_count() == 1) {
    free_bytes_ += evicted->capacity();
    free_.push_back(std::move(*evicted));
  }
  batches_.pop_front();
}

void TailCache::SortFreeLocked() {
  std::sort(free_.begin(), free_.end(),
            [](const WriteBuffer& a, const WriteBuffer& b) { return a.capacity() > b.capacity(); });
}

WriteBuffer TailCache::TakeFreeLocked(size_t bytes) {
  for (auto it = free_.rbegin(); it != free_.rend(); ++it) {
    if (it->capacity() < bytes) continue;
    if (it->capacity() > 4 * bytes) break;
    WriteBuffer taken = std::move(*it);
    free_bytes_ -= taken.capacity();
    free_.erase(std::next(it).base());
    return taken;
  }
  return WriteBuffer();
}

void TailCache::TrimFreeLocked() {
  while (!free_.empty() && held_ + free_bytes_ > capacity_) {
    free_bytes_ -= free_.back().capacity();
    free_.pop_back();
  }
}

bool TailCache::Read(uint64_t position, uint64_t end,
                     const std::function<void(std::string_view)>& use) const {
  last_read_ns_.store(NowNs(), std::memory_order_relaxed);
  std::shared_ptr<const WriteBuffer> buffer;
  size_t at = 0;
  {
    std::lock_guard lock(mu_);
    // Newest first: readers at the log's end want the last batches.
    for (auto batch = batches_.rbegin(); batch != batches_.rend() && !buffer; ++batch) {
      if (batch->runs.empty() || batch->runs.front().position > position) continue;
      for (const Run& run : batch->runs) {
        if (position >= run.position && end <= run.position + run.size) {
          buffer = batch->bytes;
          at = run.offset + (position - run.position);
          break;
        }
      }
      if (!buffer) return false;
    }
  }
  if (!buffer) return false;
  use(std::string_view(buffer->data() + at, end - position));
  return true;
}

void TailCache::Clear() {
  std::lock_guard lock(mu_);
  if (batches_.empty()) return;
  while (!batches_.empty()) EvictOldestLocked();
  SortFreeLocked();
  TrimFreeLocked();
}

size_t TailCache::held_bytes() const {
  std::lock_guard lock(mu_);
  return held_;
}

size_t TailCache::free_bytes() const {
  std::lock_guard lock(mu_);
  return free_bytes_;
}

}  // namespace corelog::wal

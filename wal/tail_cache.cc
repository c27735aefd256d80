#include "wal/tail_cache.h"

#include <utility>

#include "wal/format.h"

namespace corelog::wal {

WriteBuffer TailCache::Keep(WriteBuffer bytes, uint64_t end,
                            std::span<const size_t> header_offsets) {
  if (bytes.empty() || bytes.capacity() > capacity_) {
    bytes.clear();
    return bytes;
  }
  Batch batch;
  uint64_t position = end - (bytes.size() - header_offsets.size() * kSegmentHeaderSize);
  size_t from = 0;
  auto add_run = [&](size_t to) {
    if (to > from) batch.runs.push_back({position, from, to - from});
    position += to - from;
  };
  for (size_t header : header_offsets) {
    add_run(header);
    from = header + kSegmentHeaderSize;
  }
  add_run(bytes.size());
  batch.bytes = std::move(bytes);

  WriteBuffer spare;
  std::lock_guard lock(mu_);
  held_ += batch.bytes.capacity();
  batches_.push_back(std::move(batch));
  while (held_ > capacity_) {
    held_ -= batches_.front().bytes.capacity();
    spare = std::move(batches_.front().bytes);
    batches_.pop_front();
  }
  spare.clear();
  return spare;
}

bool TailCache::Read(uint64_t position, uint64_t end,
                     const std::function<void(std::string_view)>& use) const {
  std::lock_guard lock(mu_);
  // Newest first: readers at the log's end want the last batches.
  for (auto batch = batches_.rbegin(); batch != batches_.rend(); ++batch) {
    if (batch->runs.empty() || batch->runs.front().position > position) continue;
    for (const Run& run : batch->runs) {
      if (position >= run.position && end <= run.position + run.size) {
        use(std::string_view(batch->bytes.data() + run.offset + (position - run.position),
                             end - position));
        return true;
      }
    }
    return false;
  }
  return false;
}

void TailCache::Clear() {
  std::lock_guard lock(mu_);
  batches_.clear();
  held_ = 0;
}

}  // namespace corelog::wal

#include "wal/tail_cache.h"

#include <gtest/gtest.h>

#include <cstring>
#include <string>

namespace corelog::wal {
namespace {

constexpr size_t kKiB = 1024;

// A written batch of `size` bytes of `fill`, in a buffer of `capacity`.
WriteBuffer Written(size_t capacity, size_t size, char fill) {
  WriteBuffer buffer;
  buffer.Reserve(capacity);
  buffer.Reset(0);
  std::memset(buffer.Extend(size), fill, size);
  return buffer;
}

// Counts as a read, so that the batches kept from now on stay.
void StartReading(const TailCache& cache) {
  cache.Read(0, 0, [](std::string_view) {});
}

std::string ReadBack(const TailCache& cache, uint64_t position, uint64_t end) {
  std::string out;
  if (!cache.Read(position, end, [&](std::string_view bytes) { out = bytes; })) return "(missed)";
  return out;
}

// The buffer handed back is sized to the batches, not to the buffer the
// last batch came in: after a burst grew the writer's buffer, small
// batches still fill small buffers, so the cache holds many of them and a
// reader a few batches behind the log's end still reads memory.
TEST(TailCache, ManySmallBatchesAreKeptAfterALargeBuffer) {
  const size_t capacity = 4096 * kKiB;
  const size_t size = 40 * kKiB;
  TailCache cache(capacity);
  StartReading(cache);
  WriteBuffer next = cache.Keep(Written(2048 * kKiB, size, 'a'), size, {});
  uint64_t end = size;
  for (int i = 1; i < 40; ++i) {
    EXPECT_LE(next.capacity(), 8 * size) << "batch " << i;
    next.Reset(0);
    std::memset(next.Extend(size), 'a' + i % 26, size);
    end += size;
    next = cache.Keep(std::move(next), end, {});
    EXPECT_LE(cache.held_bytes() + cache.free_bytes(), capacity) << "batch " << i;
  }
  for (int i = 20; i < 40; ++i) {
    EXPECT_EQ(ReadBack(cache, i * size, i * size + 10), std::string(10, 'a' + i % 26))
        << "batch " << i;
  }
}

// Clear forgets the batches but keeps their memory: the next batch kept
// hands back the buffer of one cleared.
TEST(TailCache, ClearKeepsTheBuffersForTheNextBatches) {
  TailCache cache(256 * kKiB);
  StartReading(cache);
  WriteBuffer first = Written(128 * kKiB, 1000, 'a');
  const char* first_memory = first.data();
  cache.Keep(std::move(first), 1000, {});
  cache.Clear();
  EXPECT_EQ(ReadBack(cache, 0, 10), "(missed)");
  EXPECT_EQ(cache.held_bytes(), 0u);
  EXPECT_EQ(cache.free_bytes(), 128 * kKiB);

  WriteBuffer after = cache.Keep(Written(128 * kKiB, 500, 'b'), 1500, {});
  EXPECT_EQ(after.data(), first_memory);
  EXPECT_EQ(ReadBack(cache, 1000, 1500), std::string(500, 'b'));
}

// However the batch sizes vary, the kept and the free buffers together
// stay within the capacity, and the newest batch is always readable.
TEST(TailCache, KeptAndFreeBuffersStayWithinTheCapacity) {
  const size_t capacity = 512 * kKiB;
  TailCache cache(capacity);
  StartReading(cache);
  WriteBuffer next;
  uint64_t end = 0;
  for (int i = 0; i < 60; ++i) {
    const size_t size = (1 + i * 37 % 200) * kKiB;
    next.Reset(0);
    next.Reserve(size + 8 * kKiB);
    const char fill = static_cast<char>('a' + i % 26);
    std::memset(next.Extend(size), fill, size);
    end += size;
    next = cache.Keep(std::move(next), end, {});
    EXPECT_LE(cache.held_bytes() + cache.free_bytes(), capacity) << "batch " << i;
    EXPECT_EQ(ReadBack(cache, end - size, end), std::string(size, fill)) << "batch " << i;
  }
}

// A batch being read is never handed out for filling, even when the cache
// lets it go during the read.
TEST(TailCache, ABatchBeingReadIsNotReusedWhenLetGo) {
  TailCache cache(256 * kKiB);
  StartReading(cache);
  WriteBuffer next = cache.Keep(Written(128 * kKiB, 4000, 'r'), 4000, {});
  uint64_t end = 4000;
  std::string seen;
  ASSERT_TRUE(cache.Read(0, 4000, [&](std::string_view bytes) {
    // Enough later batches to evict the one being read several times over.
    for (int i = 0; i < 4; ++i) {
      next.Reset(0);
      next.Reserve(128 * kKiB);
      std::memset(next.Extend(4000), 'w', 4000);
      end += 4000;
      next = cache.Keep(std::move(next), end, {});
    }
    seen = bytes;
  }));
  EXPECT_EQ(seen, std::string(4000, 'r'));
  EXPECT_EQ(ReadBack(cache, 0, 10), "(missed)");
  EXPECT_LE(cache.held_bytes() + cache.free_bytes(), 256 * kKiB);
}

// With nobody reading, nothing is kept and the writer's buffer comes back.
TEST(TailCache, KeepsNothingBeforeAnyRead) {
  TailCache cache(256 * kKiB);
  WriteBuffer batch = Written(64 * kKiB, 1000, 'a');
  const char* memory = batch.data();
  WriteBuffer next = cache.Keep(std::move(batch), 1000, {});
  EXPECT_EQ(next.data(), memory);
  EXPECT_TRUE(next.empty());
  EXPECT_EQ(cache.held_bytes(), 0u);
  EXPECT_EQ(ReadBack(cache, 0, 10), "(missed)");
}

}  // namespace
}  // namespace corelog::wal

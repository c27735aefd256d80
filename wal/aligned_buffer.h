// What O_DIRECT needs: offsets and lengths in whole kDirectIoBlock blocks,
// and memory that is block-aligned and, unlike a std::vector, not
// zero-filled first (the disk overwrites it).
#pragma once

#include <cstdint>
#include <cstdlib>
#include <memory>
#include <new>

#include "wal/file_system.h"

namespace corelog::wal {

inline bool IsBlockAligned(uint64_t n) { return n % kDirectIoBlock == 0; }
inline uint64_t AlignDown(uint64_t n) { return n / kDirectIoBlock * kDirectIoBlock; }
inline uint64_t AlignUp(uint64_t n) { return AlignDown(n + kDirectIoBlock - 1); }

struct FreeDeleter {
  void operator()(char* p) const { std::free(p); }
};
using AlignedBuffer = std::unique_ptr<char, FreeDeleter>;

// `bytes` is rounded up to a whole number of kDirectIoBlock blocks.
inline AlignedBuffer AllocateAligned(size_t bytes) {
  void* p = std::aligned_alloc(kDirectIoBlock, AlignUp(bytes));
  if (p == nullptr) throw std::bad_alloc();
  return AlignedBuffer(static_cast<char*>(p));
}

}  // namespace corelog::wal

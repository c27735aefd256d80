// Memory that O_DIRECT can move to and from the disk: block-aligned and,
// unlike a std::vector, not zero-filled first (the disk overwrites it).
#pragma once

#include <cstdlib>
#include <memory>
#include <new>

#include "wal/file_system.h"

namespace corelog::wal {

struct FreeDeleter {
  void operator()(char* p) const { std::free(p); }
};
using AlignedBuffer = std::unique_ptr<char, FreeDeleter>;

// `bytes` is rounded up to a whole number of kDirectIoBlock blocks.
inline AlignedBuffer AllocateAligned(size_t bytes) {
  const size_t rounded = (bytes + kDirectIoBlock - 1) / kDirectIoBlock * kDirectIoBlock;
  void* p = std::aligned_alloc(kDirectIoBlock, rounded);
  if (p == nullptr) throw std::bad_alloc();
  return AlignedBuffer(static_cast<char*>(p));
}

}  // namespace corelog::wal

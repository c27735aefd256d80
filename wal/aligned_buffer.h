// What O_DIRECT needs: offsets and lengths in whole kDirectIoBlock blocks,
// and memory that is block-aligned and, unlike a std::vector, not
// zero-filled first (the disk overwrites it).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

#include "wal/file_system.h"

namespace corelog::wal {

inline bool IsBlockAligned(uint64_t n) { return n % kDirectIoBlock == 0; }
inline uint64_t AlignDown(uint64_t n) { return n / kDirectIoBlock * kDirectIoBlock; }
inline uint64_t AlignUp(uint64_t n) { return AlignDown(n + kDirectIoBlock - 1); }

// Frees what AllocateAligned returned: malloc'd memory, or a mapping of
// `mapped` bytes.
struct BufferDeleter {
  size_t mapped = 0;
  void operator()(char* p) const;
};
using AlignedBuffer = std::unique_ptr<char, BufferDeleter>;

enum class Pages {
  kSmall,
  // Transparent huge pages where the kernel allows them, for large
  // buffers the disk fills or drains with O_DIRECT: the kernel pins every
  // page of a buffer for each read or write, and pinning 2 MiB pages costs
  // much less than 4 KiB ones (replay of 51 MB: 31-40 ms against 48-61 ms).
  // Mapped directly, not taken from malloc, whose memory corelogd keeps on
  // 4 KiB pages so that its resident set stays flat (broker/allocator.cc).
  kHuge,
};

inline constexpr size_t kHugePage = 2 << 20;

// Huge pages for buffers of a huge page or more; a smaller buffer would
// leave most of the 2 MiB the kernel clears for it unused.
inline Pages PagesFor(size_t bytes) { return bytes >= kHugePage ? Pages::kHuge : Pages::kSmall; }

// `bytes` is rounded up to a whole number of kDirectIoBlock blocks.
// Throws std::bad_alloc when there is no memory.
AlignedBuffer AllocateAligned(size_t bytes, Pages pages = Pages::kSmall);

}  // namespace corelog::wal

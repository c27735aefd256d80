#include "wal/aligned_buffer.h"

#include <sys/mman.h>

#include <cstdlib>
#include <new>

namespace corelog::wal {
namespace {

size_t RoundUp(size_t n, size_t unit) { return (n + unit - 1) / unit * unit; }

// A mapping of `bytes` (a multiple of kHugePage) that starts on a huge-page
// boundary, so that the kernel can back all of it with huge pages: maps
// one huge page more than asked and unmaps the ends around the aligned part.
char* MapHuge(size_t bytes) {
  const size_t span = bytes + kHugePage;
  void* raw = ::mmap(nullptr, span, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (raw == MAP_FAILED) throw std::bad_alloc();
  auto* base = static_cast<char*>(raw);
  auto* start = reinterpret_cast<char*>(RoundUp(reinterpret_cast<uintptr_t>(base), kHugePage));
  if (start > base) ::munmap(base, start - base);
  if (base + span > start + bytes) ::munmap(start + bytes, base + span - (start + bytes));
  // Advice only: a kernel without transparent huge pages maps small ones.
  ::madvise(start, bytes, MADV_HUGEPAGE);
  return start;
}

}  // namespace

void BufferDeleter::operator()(char* p) const {
  if (mapped != 0) {
    ::munmap(p, mapped);
  } else {
    std::free(p);
  }
}

AlignedBuffer AllocateAligned(size_t bytes, Pages pages) {
  if (pages == Pages::kHuge) {
    const size_t mapped = RoundUp(AlignUp(bytes), kHugePage);
    return AlignedBuffer(MapHuge(mapped), BufferDeleter{mapped});
  }
  void* p = std::aligned_alloc(kDirectIoBlock, AlignUp(bytes));
  if (p == nullptr) throw std::bad_alloc();
  return AlignedBuffer(static_cast<char*>(p));
}

}  // namespace corelog::wal

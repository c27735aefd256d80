// WriteBuffer: a core writer's pending WAL bytes, laid out so that an
// O_DIRECT file can write them from where they are (see
// WritableFile::AppendInPlace) instead of copying them into a staging
// buffer first.
//
// The memory is block-aligned and keeps one block of room after the bytes
// and at least one before them. The bytes start at an address congruent,
// modulo the block size, to the file offset they will be written at: the
// file then puts its last partial block in the room just before them and
// writes whole blocks straight from this memory.
#pragma once

#include <algorithm>
#include <cstring>
#include <span>
#include <utility>

#include "wal/aligned_buffer.h"

namespace corelog::wal {

class WriteBuffer {
 public:
  WriteBuffer() = default;
  // A moved-from buffer is empty and holds no memory.
  WriteBuffer(WriteBuffer&& other) noexcept { *this = std::move(other); }
  WriteBuffer& operator=(WriteBuffer&& other) noexcept {
    mem_ = std::move(other.mem_);
    capacity_ = std::exchange(other.capacity_, 0);
    lead_ = std::exchange(other.lead_, kDirectIoBlock);
    size_ = std::exchange(other.size_, 0);
    return *this;
  }

  // Empties the buffer; the next bytes appended go to `file_offset` of the
  // file. Keeps the memory.
  void Reset(uint64_t file_offset) {
    lead_ = kDirectIoBlock + static_cast<size_t>(file_offset % kDirectIoBlock);
    size_ = 0;
  }
  void clear() { size_ = 0; }
  // Allocates room for `n` bytes up front, so filling an empty buffer
  // copies nothing on the way.
  void Reserve(size_t n) {
    if (empty() && n > capacity_) {
      mem_ = AllocateAligned(AlignUp(n), PagesFor(AlignUp(n)));
      capacity_ = AlignUp(n);
    }
  }

  // Writes every page of the memory once, so that filling it later takes
  // no page faults.
  void Prefault() {
    if (capacity_ > 0) std::memset(mem_.get(), 0, capacity_);
  }

  // Makes room for `n` more bytes at the end and returns where they go; the
  // caller writes all of them.
  char* Extend(size_t n) {
    const size_t needed = lead_ + size_ + n + kDirectIoBlock;
    if (needed > capacity_) Grow(needed);
    char* at = mem_.get() + lead_ + size_;
    size_ += n;
    return at;
  }

  // Skips to the next block-aligned address. The skipped bytes are a gap
  // that is never written to a file: the bytes before it can be written in
  // place (their padding lands in the gap) and so can the bytes after it,
  // when they start a new file.
  void PadToBlock() { Extend(static_cast<size_t>(AlignUp(lead_ + size_) - (lead_ + size_))); }

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  size_t capacity() const { return capacity_; }
  const char* data() const { return mem_.get() + lead_; }
  // The bytes; the block before and the block after them are room an
  // AppendInPlace may overwrite.
  std::span<char> bytes() { return {mem_.get() + lead_, size_}; }

 private:
  void Grow(size_t needed) {
    const size_t capacity = AlignUp(std::max(needed, 2 * capacity_));
    AlignedBuffer mem = AllocateAligned(capacity, PagesFor(capacity));
    if (size_ > 0) std::memcpy(mem.get() + lead_, mem_.get() + lead_, size_);
    mem_ = std::move(mem);
    capacity_ = capacity;
  }

  AlignedBuffer mem_;
  size_t capacity_ = 0;
  size_t lead_ = kDirectIoBlock;  // room before the bytes
  size_t size_ = 0;
};

}  // namespace corelog::wal

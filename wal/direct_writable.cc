#include "wal/direct_writable.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <utility>

#include "wal/aligned_buffer.h"

namespace corelog::wal {
namespace {

Error Errno(const std::string& what, const std::string& path) {
  return Error::FromErrno(errno, what + " " + path);
}

// The staging buffer: larger appends go out in pieces of this size, so a
// file costs this much memory however large a group commit gets. A core
// writer's group commits skip it (AppendInPlace).
constexpr size_t kBufferBytes = 2 << 20;

// O_DIRECT needs block-aligned memory, offsets and lengths, so appends go
// through an aligned staging buffer that starts with the file's last
// partial block (AppendInPlace puts that block in the room right before the
// caller's bytes instead). Each write puts that block back followed by new
// bytes, zero-padded to a block boundary: until Close the file ends in up to
// kDirectIoBlock - 1 zero bytes, which recovery recognises as padding.
// Rewriting the partial block puts the same bytes back where they were, so
// bytes already synced stay intact whatever happens to the rewrite.
class DirectWritable : public WritableFile {
 public:
  DirectWritable(int fd, std::string path, uint64_t size)
      : fd_(fd), path_(std::move(path)), size_(size), buf_(AllocateAligned(kBufferBytes)) {}
  ~DirectWritable() override {
    if (fd_ >= 0) ::close(fd_);
  }

  // Loads the file's last partial block, which the next Append rewrites.
  Status LoadTail() {
    tail_ = static_cast<size_t>(size_ % kDirectIoBlock);
    if (tail_ == 0) return Ok();
    int fd = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return Errno("open", path_);
    ssize_t n = ::pread(fd, buf_.get(), tail_, static_cast<off_t>(size_ - tail_));
    int saved = errno;
    ::close(fd);
    errno = saved;
    if (n < 0) return Errno("pread", path_);
    if (static_cast<size_t>(n) != tail_) {
      return Error::FromErrno(EIO, "reading the last block of " + path_ + ": the file is shorter");
    }
    return Ok();
  }

  Status Append(std::string_view data) override {
    while (!data.empty()) {
      const size_t take = std::min(data.size(), kBufferBytes - tail_);
      std::memcpy(buf_.get() + tail_, data.data(), take);
      CORELOG_TRY(WriteBlocks(buf_.get(), tail_ + take));
      data.remove_prefix(take);
    }
    return Ok();
  }

  // Writes from the caller's memory when its bytes sit where our last
  // partial block can go right before them on a block boundary (WriteBuffer
  // arranges that); anything else goes through the staging buffer.
  Status AppendInPlace(std::span<char> data) override {
    char* start = data.data() - tail_;
    if (data.empty() || !IsBlockAligned(reinterpret_cast<uintptr_t>(start))) {
      return Append(std::string_view(data.data(), data.size()));
    }
    std::memcpy(start, buf_.get(), tail_);
    return WriteBlocks(start, tail_ + data.size());
  }

  Status Sync() override {
    if (::fdatasync(fd_) != 0) return Errno("fdatasync", path_);
    return Ok();
  }

  // Cuts the padding and makes the exact size durable: a closed segment
  // ends at its last entry.
  Status Close() override {
    int fd = std::exchange(fd_, -1);
    if (fd < 0) return Ok();
    Status status = Ok();
    if (::ftruncate(fd, static_cast<off_t>(size_)) != 0) {
      status = Errno("ftruncate", path_);
    } else if (::fsync(fd) != 0) {
      status = Errno("fsync", path_);
    }
    if (::close(fd) != 0 && status) status = Errno("close", path_);
    return status;
  }

 private:
  // `start` is block-aligned memory holding the last partial block and new
  // bytes after it, `used` in all, with room to pad them to a whole block.
  // Writes them padded and keeps the new last partial block.
  Status WriteBlocks(char* start, size_t used) {
    const size_t padded = AlignUp(used);
    std::memset(start + used, 0, padded - used);
    CORELOG_TRY(WriteAt(start, size_ - tail_, padded));
    size_ += used - tail_;
    const size_t keep = used % kDirectIoBlock;
    std::memmove(buf_.get(), start + (used - keep), keep);
    tail_ = keep;
    return Ok();
  }

  // `from` is block-aligned memory holding `length` bytes (a whole number of
  // blocks) that go to the block-aligned `offset`.
  Status WriteAt(const char* from, uint64_t offset, size_t length) {
    size_t done = 0;
    while (done < length) {
      ssize_t n = ::pwrite(fd_, from + done, length - done, static_cast<off_t>(offset + done));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return Errno("write", path_);
      done += static_cast<size_t>(n);
    }
    return Ok();
  }

  int fd_;
  std::string path_;
  uint64_t size_;    // bytes appended, padding excluded
  AlignedBuffer buf_;  // kBufferBytes
  size_t tail_ = 0;    // bytes of the last partial block, at the start of buf_
};

}  // namespace

Result<std::unique_ptr<WritableFile>> OpenDirectWritable(int fd, const std::string& path,
                                                         uint64_t size) {
  int flags = ::fcntl(fd, F_GETFL);
  if (flags >= 0 && ::fcntl(fd, F_SETFL, flags | O_DIRECT) == 0) {
    auto file = std::make_unique<DirectWritable>(fd, path, size);
    CORELOG_TRY(file->LoadTail());
    return std::unique_ptr<WritableFile>(std::move(file));
  }
  if (errno == EINVAL) return std::unique_ptr<WritableFile>();
  Error error = Errno("fcntl O_DIRECT", path);
  ::close(fd);
  return error;
}

}  // namespace corelog::wal

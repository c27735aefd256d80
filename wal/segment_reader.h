// Sequential reader of one segment file. It checks the segment header, then
// yields entries parsed out of large block-aligned reads (no syscall per
// entry) and stops at the first damaged byte it meets, saying what the
// damage is. While the caller checks and applies one chunk, the next one is
// read on a helper thread, so the disk and the CPU work at the same time.
// It applies no recovery policy; CoreReader (wal/core_reader.h) does.
#pragma once

#include <cstdint>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"
#include "wal/aligned_buffer.h"
#include "wal/file_system.h"
#include "wal/format.h"

namespace corelog::wal {

struct SegmentStep {
  enum class What { kEntry, kEnd, kDamage };
  What what = What::kEnd;
  uint64_t offset = 0;  // file offset of the entry, the damage, or the file size at kEnd
  ParsedEntry entry;    // kEntry: payload valid until the next call; else the damage
};

// Used by one thread at a time.
class SegmentReader {
 public:
  ~SegmentReader();
  static Result<std::unique_ptr<SegmentReader>> Open(FileSystem* fs, const std::string& path);
  // As Open, for a caller that wants only header(): reads one block, not
  // the first chunk of entries. Next() still works, reading as it goes.
  static Result<std::unique_ptr<SegmentReader>> OpenForHeader(FileSystem* fs,
                                                              const std::string& path);

  const std::string& path() const { return path_; }
  uint64_t file_size() const { return file_size_; }
  // The decoded header, or why the first bytes are not a valid one.
  const Result<SegmentHeader>& header() const { return header_; }

  // Continues at file offset `offset`, an entry boundary.
  void Seek(uint64_t offset) { pos_ = offset; }
  Result<SegmentStep> Next();

  // Offset of the first verifying entry at or after `offset` whose sequence
  // is at least `min_sequence`, or nullopt. Reads the rest of the file; used
  // only to tell a torn tail from corruption.
  Result<std::optional<uint64_t>> FindValidEntry(uint64_t offset, uint64_t min_sequence);
  // True when the bytes from `offset` to the end of the file are zeros that
  // stop at the next kDirectIoBlock boundary: the padding an O_DIRECT
  // append leaves behind until its file is closed.
  Result<bool> IsBlockPadding(uint64_t offset);

 private:
  // File bytes [offset, offset + len) held at `data`, which points into
  // `mem`: a chunk is read to mem + kHeadroom, and the headroom in front of
  // it takes the unread end of the chunk before it (an entry cut in two).
  struct Chunk {
    AlignedBuffer mem;
    size_t capacity = 0;
    const char* data = nullptr;
    uint64_t offset = 0;
    size_t len = 0;
    uint64_t end() const { return offset + len; }
    // Makes room for kHeadroom + `bytes`; the content is lost if it grows.
    void Reserve(size_t bytes);
  };

  SegmentReader(std::unique_ptr<ReadableFile> file, std::string path, uint64_t size);
  static Result<std::unique_ptr<SegmentReader>> OpenReading(FileSystem* fs, const std::string& path,
                                                            size_t first_read);
  // Makes [pos_, pos_ + n) buffered, or as much of it as the file holds.
  Result<std::string_view> Fill(size_t n);
  // Moves on to the chunk read ahead, when it continues the current one.
  Result<bool> TakeReadAhead();
  // Reads [pos_, want_end) and more now, dropping any read ahead.
  Status ReadNow(uint64_t want_end);
  void StartReadAhead();
  // Waits for the read in flight, if any, and forgets it: the file is then
  // the caller's alone again.
  void DropReadAhead();

  std::unique_ptr<ReadableFile> file_;
  std::string path_;
  uint64_t file_size_;
  Result<SegmentHeader> header_;
  uint64_t pos_ = kSegmentHeaderSize;
  size_t first_read_ = 0;  // the least the first read takes
  Chunk current_;
  Chunk ahead_;  // being read while ahead_read_ is valid
  std::future<Result<size_t>> ahead_read_;
};

}  // namespace corelog::wal

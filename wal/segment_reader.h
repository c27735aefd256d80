// Sequential reader of one segment file. It checks the segment header, then
// yields entries parsed out of large buffered reads (no syscall per entry)
// and stops at the first damaged byte it meets, saying what the damage is.
// It applies no recovery policy; CoreReader (wal/core_reader.h) does.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"
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
  static Result<std::unique_ptr<SegmentReader>> Open(FileSystem* fs, const std::string& path);

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
  SegmentReader(std::unique_ptr<ReadableFile> file, std::string path, uint64_t size);
  // Makes [pos_, pos_ + n) buffered, or as much of it as the file holds.
  Result<std::string_view> Fill(size_t n);

  std::unique_ptr<ReadableFile> file_;
  std::string path_;
  uint64_t file_size_;
  Result<SegmentHeader> header_;
  uint64_t pos_ = kSegmentHeaderSize;
  std::vector<char> buf_;
  uint64_t buf_offset_ = 0;  // file offset of buf_[0]
  size_t buf_len_ = 0;
};

}  // namespace corelog::wal

#include "wal/segment_reader.h"

#include <algorithm>
#include <cstring>
#include <system_error>

#include "common/coding.h"

namespace corelog::wal {
namespace {

// Large reads keep replay near sequential-read speed. The first read of a
// segment is smaller: it is not overlapped with anything, and opening a
// segment only to read its header should not cost a whole chunk.
constexpr size_t kReadChunk = 4 << 20;
constexpr size_t kFirstRead = 256 << 10;
// Room in front of a chunk for the end of the chunk before it: an entry
// that straddles two chunks is joined there. Larger remainders (entries of
// more than 2 MiB) are read again instead.
constexpr size_t kHeadroom = 2 << 20;

// Cheap checks that reject most offsets before a CRC is computed.
bool Plausible(std::string_view b, uint64_t min_sequence) {
  if (b.size() < kEntryHeaderSize) return false;
  uint32_t body = DecodeLE<uint32_t>(b.data() + 4);
  if (body > b.size() - kEntryHeaderSize) return false;
  uint8_t kind = static_cast<uint8_t>(b[8]);
  if (kind == 0 || (kind > 3 && (kind & kSkippableKindBit) == 0)) return false;
  if (b[9] != 0 || b[10] != 0 || b[11] != 0) return false;
  return DecodeLE<uint64_t>(b.data() + 20) >= min_sequence;
}

}  // namespace

SegmentReader::SegmentReader(std::unique_ptr<ReadableFile> file, std::string path, uint64_t size)
    : file_(std::move(file)), path_(std::move(path)), file_size_(size), header_(SegmentHeader{}) {}

SegmentReader::~SegmentReader() { DropReadAhead(); }

Result<std::unique_ptr<SegmentReader>> SegmentReader::Open(FileSystem* fs, const std::string& path) {
  return OpenReading(fs, path, kFirstRead);
}

Result<std::unique_ptr<SegmentReader>> SegmentReader::OpenForHeader(FileSystem* fs,
                                                                    const std::string& path) {
  return OpenReading(fs, path, kDirectIoBlock);
}

Result<std::unique_ptr<SegmentReader>> SegmentReader::OpenReading(FileSystem* fs,
                                                                  const std::string& path,
                                                                  size_t first_read) {
  CORELOG_ASSIGN_OR_RETURN(auto file, fs->OpenReadable(path));
  CORELOG_ASSIGN_OR_RETURN(uint64_t size, file->Size());
  std::unique_ptr<SegmentReader> reader(new SegmentReader(std::move(file), path, size));
  reader->first_read_ = first_read;
  reader->pos_ = 0;
  CORELOG_ASSIGN_OR_RETURN(std::string_view head, reader->Fill(kSegmentHeaderSize));
  reader->header_ = DecodeSegmentHeader(head);
  reader->pos_ = kSegmentHeaderSize;
  return reader;
}

void SegmentReader::Chunk::Reserve(size_t bytes) {
  if (capacity >= kHeadroom + bytes) return;
  // Full-size chunks, what replay streams through, go on huge pages; a
  // first read of a header stays on small ones.
  mem = AllocateAligned(kHeadroom + bytes, PagesFor(bytes));
  capacity = kHeadroom + bytes;
}

Result<std::string_view> SegmentReader::Fill(size_t n) {
  const uint64_t want_end = std::min<uint64_t>(pos_ + n, file_size_);
  auto held = [&] {
    return current_.data != nullptr && pos_ >= current_.offset && want_end <= current_.end();
  };
  if (!held()) {
    CORELOG_ASSIGN_OR_RETURN(bool moved, TakeReadAhead());
    if (!moved || !held()) CORELOG_TRY(ReadNow(want_end));
  }
  const uint64_t end = std::min<uint64_t>(want_end, current_.end());
  if (end <= pos_) return std::string_view();
  return std::string_view(current_.data + (pos_ - current_.offset), end - pos_);
}

Result<bool> SegmentReader::TakeReadAhead() {
  if (!ahead_read_.valid() || ahead_.offset != current_.end() || pos_ < current_.offset ||
      pos_ > current_.end()) {
    return false;
  }
  const size_t keep = current_.end() - pos_;
  if (keep > kHeadroom) return false;
  CORELOG_ASSIGN_OR_RETURN(size_t got, ahead_read_.get());
  char* chunk = ahead_.mem.get() + kHeadroom;
  std::memcpy(chunk - keep, current_.data + (pos_ - current_.offset), keep);
  ahead_.data = chunk - keep;
  ahead_.offset = pos_;
  ahead_.len = keep + got;
  std::swap(current_, ahead_);
  StartReadAhead();
  return true;
}

Status SegmentReader::ReadNow(uint64_t want_end) {
  DropReadAhead();
  const uint64_t start = AlignDown(pos_);
  const size_t least = current_.data == nullptr ? first_read_ : kReadChunk;
  const size_t len = static_cast<size_t>(
      std::min<uint64_t>(std::max<uint64_t>(AlignUp(want_end) - start, least), AlignUp(file_size_) - start));
  current_.Reserve(len);
  char* chunk = current_.mem.get() + kHeadroom;
  CORELOG_ASSIGN_OR_RETURN(size_t got, file_->ReadAt(start, std::span<char>(chunk, len)));
  current_.data = chunk;
  current_.offset = start;
  current_.len = got;
  return Ok();
}

// Reads the chunk after the current one on a helper thread. A chunk that
// ended short (the end of the file) has nothing after it.
void SegmentReader::StartReadAhead() {
  const uint64_t next = current_.end();
  if (ahead_read_.valid() || current_.data == nullptr || next >= file_size_ ||
      !IsBlockAligned(next) || pos_ < current_.offset || pos_ > next) {
    return;
  }
  const size_t len = static_cast<size_t>(std::min<uint64_t>(kReadChunk, AlignUp(file_size_ - next)));
  ahead_.Reserve(len);
  ahead_.data = nullptr;
  ahead_.offset = next;
  ahead_.len = 0;
  std::span<char> dst(ahead_.mem.get() + kHeadroom, len);
  try {
    ahead_read_ = std::async(std::launch::async,
                             [file = file_.get(), next, dst] { return file->ReadAt(next, dst); });
  } catch (const std::system_error&) {
    // No thread to be had: the chunk is read when it is needed instead.
  }
}

void SegmentReader::DropReadAhead() {
  if (ahead_read_.valid()) (void)ahead_read_.get();
}

Result<SegmentStep> SegmentReader::Next() {
  SegmentStep step;
  step.offset = pos_;
  if (pos_ >= file_size_) {
    step.offset = file_size_;
    return step;
  }
  StartReadAhead();
  CORELOG_ASSIGN_OR_RETURN(std::string_view head, Fill(kEntryHeaderSize));
  size_t need = kEntryHeaderSize;
  if (head.size() >= kEntryHeaderSize) {
    need += std::min<uint32_t>(DecodeLE<uint32_t>(head.data() + 4), kMaxEntryBody + 1);
  }
  CORELOG_ASSIGN_OR_RETURN(std::string_view bytes, Fill(need));
  step.entry = ParseEntry(bytes);
  if (step.entry.outcome != ParseOutcome::kOk) {
    step.what = SegmentStep::What::kDamage;
    return step;
  }
  step.what = SegmentStep::What::kEntry;
  pos_ += step.entry.size;
  return step;
}

Result<bool> SegmentReader::IsBlockPadding(uint64_t offset) {
  DropReadAhead();
  if (offset >= file_size_ || file_size_ % kDirectIoBlock != 0 ||
      file_size_ - offset >= kDirectIoBlock) {
    return false;
  }
  std::string rest(file_size_ - offset, '\0');
  CORELOG_ASSIGN_OR_RETURN(size_t got, file_->ReadAt(offset, std::span<char>(rest.data(), rest.size())));
  return got == rest.size() && rest.find_first_not_of('\0') == std::string::npos;
}

Result<std::optional<uint64_t>> SegmentReader::FindValidEntry(uint64_t offset,
                                                              uint64_t min_sequence) {
  DropReadAhead();
  if (offset >= file_size_) return std::optional<uint64_t>();
  std::string rest(file_size_ - offset, '\0');
  CORELOG_ASSIGN_OR_RETURN(size_t got, file_->ReadAt(offset, std::span<char>(rest.data(), rest.size())));
  std::string_view view(rest.data(), got);
  for (size_t i = 0; i + kEntryHeaderSize <= view.size(); ++i) {
    std::string_view at = view.substr(i);
    if (!Plausible(at, min_sequence)) continue;
    if (ParseEntry(at).outcome == ParseOutcome::kOk) return std::optional<uint64_t>(offset + i);
  }
  return std::optional<uint64_t>();
}

}  // namespace corelog::wal

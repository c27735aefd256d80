#include "wal/segment_reader.h"

#include <algorithm>
#include <cstring>

#include "common/coding.h"

namespace corelog::wal {
namespace {

// Large reads keep replay near sequential-read speed.
constexpr size_t kReadChunk = 4 * 1024 * 1024;

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

Result<std::unique_ptr<SegmentReader>> SegmentReader::Open(FileSystem* fs, const std::string& path) {
  CORELOG_ASSIGN_OR_RETURN(auto file, fs->OpenReadable(path));
  CORELOG_ASSIGN_OR_RETURN(uint64_t size, file->Size());
  std::unique_ptr<SegmentReader> reader(new SegmentReader(std::move(file), path, size));
  reader->pos_ = 0;
  CORELOG_ASSIGN_OR_RETURN(std::string_view head, reader->Fill(kSegmentHeaderSize));
  reader->header_ = DecodeSegmentHeader(head);
  reader->pos_ = kSegmentHeaderSize;
  return reader;
}

Result<std::string_view> SegmentReader::Fill(size_t n) {
  uint64_t want_end = std::min<uint64_t>(pos_ + n, file_size_);
  if (pos_ >= buf_offset_ && want_end <= buf_offset_ + buf_len_) {
    return std::string_view(buf_.data() + (pos_ - buf_offset_), want_end - pos_);
  }
  // Keep the buffered bytes from pos_ on, then read a large chunk after them.
  size_t keep = 0;
  if (pos_ >= buf_offset_ && pos_ < buf_offset_ + buf_len_) {
    keep = buf_len_ - (pos_ - buf_offset_);
    std::memmove(buf_.data(), buf_.data() + (pos_ - buf_offset_), keep);
  }
  uint64_t remaining = file_size_ - pos_;
  size_t target = static_cast<size_t>(std::min<uint64_t>(remaining, std::max(n, kReadChunk)));
  if (buf_.size() < target) buf_.resize(target);
  buf_offset_ = pos_;
  CORELOG_ASSIGN_OR_RETURN(size_t got,
                           file_->ReadAt(pos_ + keep, std::span<char>(buf_.data() + keep,
                                                                      target - keep)));
  buf_len_ = keep + got;
  size_t avail = std::min<size_t>(buf_len_, static_cast<size_t>(want_end - pos_));
  return std::string_view(buf_.data(), avail);
}

Result<SegmentStep> SegmentReader::Next() {
  SegmentStep step;
  step.offset = pos_;
  if (pos_ >= file_size_) {
    step.offset = file_size_;
    return step;
  }
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

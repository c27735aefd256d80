#include "wal/core_reader.h"

#include <algorithm>

#include "common/log.h"
#include "wal/errc.h"

namespace corelog::wal {

CoreReader::CoreReader(const Options& options, uint32_t core, std::vector<SegmentFile> files)
    : options_(options), core_(core), files_(std::move(files)) {}

Result<std::unique_ptr<CoreReader>> CoreReader::OpenAll(const Options& options, uint32_t core) {
  CORELOG_ASSIGN_OR_RETURN(std::vector<SegmentFile> files, ListSegments(options, core));
  if (files.empty()) {
    return MakeError(Errc::kNotFound, "no WAL segments for core " + std::to_string(core) + " in " +
                                          CoreDirectory(options, core));
  }
  return std::unique_ptr<CoreReader>(new CoreReader(options, core, std::move(files)));
}

Result<std::unique_ptr<CoreReader>> CoreReader::Open(const Options& options, uint32_t core,
                                                     uint64_t from_position) {
  CORELOG_ASSIGN_OR_RETURN(auto reader, OpenAll(options, core));
  CORELOG_TRY(reader->Locate(from_position));
  return reader;
}

bool CoreReader::NamesFile(const SegmentHeader& h, size_t index) const {
  return h.core_id == core_ && h.segment_number == files_[index].number;
}

// Starts in the newest segment whose header says it begins at or before
// `from`, so a replay reads only the segments it needs. A header that names
// another segment is a spare's old one (the crash came before the new
// header was written): it says nothing of where this file starts.
Status CoreReader::Locate(uint64_t from) {
  from_position_ = from;
  std::optional<uint64_t> oldest;
  for (size_t i = files_.size(); i-- > 0;) {
    CORELOG_ASSIGN_OR_RETURN(auto segment,
                             SegmentReader::OpenForHeader(FileSystemOf(options_), files_[i].path));
    const auto& h = segment->header();
    if (!h || !NamesFile(*h, i)) continue;
    oldest = h->base_position;
    if (*oldest <= from) {
      index_ = i;
      return ListSkipped();
    }
  }
  std::string core = "core " + std::to_string(core_) + ": ";
  if (!oldest) return MakeError(Errc::kCorruption, core + "no segment has a readable header");
  return MakeError(Errc::kReclaimed, core + "position " + std::to_string(from) +
                                         " is below the oldest retained position " +
                                         std::to_string(*oldest));
}

// The segments wholly below the start are not read, but they are retained
// and belong to the log: their headers give their place in it.
Status CoreReader::ListSkipped() {
  for (size_t i = 0; i < index_; ++i) {
    CORELOG_ASSIGN_OR_RETURN(auto segment,
                             SegmentReader::OpenForHeader(FileSystemOf(options_), files_[i].path));
    const auto& h = segment->header();
    if (!h || !NamesFile(*h, i)) {
      CORELOG_TRY(Problem(Errc::kCorruption, "segment " + files_[i].path +
                                                 " has a damaged header; it is left unlisted"));
      continue;
    }
    max_epoch_ = std::max(max_epoch_, h->base_epoch);
    next_sequence_ = std::max(next_sequence_, h->base_sequence);
    opened_.push_back({files_[i].number, h->base_position});
  }
  return Ok();
}

Result<std::optional<Entry>> CoreReader::Next() {
  while (!done_) {
    if (!segment_) {
      if (index_ >= files_.size()) break;
      CORELOG_TRY(OpenSegment());
      continue;
    }
    CORELOG_ASSIGN_OR_RETURN(SegmentStep step, segment_->Next());
    if (step.what == SegmentStep::What::kEnd) {
      FinishSegment();
    } else if (step.what == SegmentStep::What::kDamage) {
      CORELOG_TRY(HandleDamage(step, step.entry.outcome == ParseOutcome::kMalformed));
    } else if (step.entry.fields.sequence < next_sequence_) {
      // Sequences only grow: this is an older segment's entry, left in a
      // reused file past the newest bytes, or damage.
      CORELOG_TRY(HandleDamage(step, /*verified=*/true));
    } else {
      CORELOG_ASSIGN_OR_RETURN(std::optional<Entry> entry, Accept(step));
      if (entry) return entry;
    }
  }
  done_ = true;
  return std::optional<Entry>();
}

Status CoreReader::OpenSegment() {
  FileSystem* fs = FileSystemOf(options_);
  CORELOG_ASSIGN_OR_RETURN(segment_, SegmentReader::Open(fs, files_[index_].path));
  // Segments are read one after another: the disk can fetch the next one
  // while this one is checked and applied.
  if (index_ + 1 < files_.size()) fs->WillRead(files_[index_ + 1].path);
  if (!segment_->header()) return HandleBadHeader(segment_->header().error());
  return AcceptHeader(*segment_->header());
}

Status CoreReader::AcceptHeader(const SegmentHeader& h) {
  const SegmentFile& file = files_[index_];
  if (!NamesFile(h, index_)) {
    return HandleBadHeader(MakeError(
        Errc::kCorruption, "header names core " + std::to_string(h.core_id) + " segment " +
                               std::to_string(h.segment_number)));
  }
  if (have_previous_ && h.base_position != end_position_) {
    CORELOG_TRY(Problem(Errc::kCorruption,
                        "segment " + file.path + " starts at position " +
                            std::to_string(h.base_position) + " but the previous segment ends at " +
                            std::to_string(end_position_)));
  }
  base_position_ = h.base_position;
  end_position_ = h.base_position;
  max_epoch_ = std::max(max_epoch_, h.base_epoch);
  next_sequence_ = std::max(next_sequence_, h.base_sequence);
  opened_.push_back({file.number, base_position_});
  return Ok();
}

Status CoreReader::HandleBadHeader(const Error& error) {
  const SegmentFile& file = files_[index_];
  bool last = index_ + 1 == files_.size();
  CORELOG_ASSIGN_OR_RETURN(std::optional<uint64_t> valid, segment_->FindValidEntry(0, next_sequence_));
  std::string message = "segment " + file.path + ": " + error.message();
  if (last && !valid) {
    if (options_.recovery == RecoveryPolicy::kAbsoluteConsistency) {
      return MakeError(Errc::kTornTail, "core " + std::to_string(core_) + ": torn " + message);
    }
    // A crash while the segment was being created; nothing in it was acknowledged.
    report_.dropped_segment_path = file.path;
    segment_.reset();
    done_ = true;
    return Ok();
  }
  if (options_.recovery != RecoveryPolicy::kSalvage || !have_previous_) {
    return MakeError(Errc::kCorruption, "core " + std::to_string(core_) + ": " + message);
  }
  // Salvage trusts the chain instead of the header.
  CORELOG_TRY(Problem(Errc::kCorruption,
                      message + "; assuming it starts at position " + std::to_string(end_position_)));
  base_position_ = end_position_;
  opened_.push_back({file.number, base_position_});
  segment_->Seek(kSegmentHeaderSize);
  return Ok();
}

// The newest segment of a core, written over an older one's file, ends
// where its own bytes end; after them come the older segment's bytes (or a
// torn write, which cannot be told apart from them), in which nothing newer
// than the log verifies. kAbsoluteConsistency, which must tell a torn write
// from a clean end, refuses such an end (and Options refuse spares with it).
Result<bool> CoreReader::EndsReusedSegment(uint64_t offset) {
  const auto& header = segment_->header();
  if (index_ + 1 != files_.size() || !header || !header->reused ||
      options_.recovery == RecoveryPolicy::kAbsoluteConsistency) {
    return false;
  }
  CORELOG_ASSIGN_OR_RETURN(std::optional<uint64_t> newer, segment_->FindValidEntry(offset + 1, next_sequence_));
  return !newer;
}

Status CoreReader::HandleDamage(const SegmentStep& step, bool verified) {
  const SegmentFile& file = files_[index_];
  bool last = index_ + 1 == files_.size();
  // Bytes after the log's end that are no damage: cut, under every policy
  // that allows them.
  auto clean_end = [&](const char* what) {
    report_.torn_tail_path = file.path;
    report_.torn_tail_offset = step.offset;
    report_.torn_tail_reason = what;
    report_.tail_is_padding = true;
    done_ = true;
    return Ok();
  };
  CORELOG_ASSIGN_OR_RETURN(bool reused_end, EndsReusedSegment(step.offset));
  if (reused_end) return clean_end("the end of a reused segment's own bytes");
  if (last) {
    CORELOG_ASSIGN_OR_RETURN(bool padding, segment_->IsBlockPadding(step.offset));
    if (padding) return clean_end("block padding of a direct append");
  }
  CORELOG_ASSIGN_OR_RETURN(std::optional<uint64_t> next,
                           segment_->FindValidEntry(step.offset + 1, next_sequence_));
  std::string where = file.path + " at byte " + std::to_string(step.offset) + " (" +
                      step.entry.problem + ")";
  // Bytes that passed their checksum were written whole, so they are not a
  // torn write and must never be cut silently.
  if (!next && last && !verified) {
    if (options_.recovery == RecoveryPolicy::kAbsoluteConsistency) {
      return MakeError(Errc::kTornTail, "core " + std::to_string(core_) + ": torn tail in " + where);
    }
    report_.torn_tail_path = file.path;
    report_.torn_tail_offset = step.offset;
    report_.torn_tail_reason = step.entry.problem;
    done_ = true;
    return Ok();
  }
  CORELOG_TRY(Problem(Errc::kCorruption,
                      "corrupt entry in " + where +
                          (next   ? "; a valid entry follows at byte " + std::to_string(*next)
                           : last ? std::string("; its checksum verifies")
                                  : std::string("; newer segments follow"))));
  if (next) {
    segment_->Seek(*next);
  } else {
    FinishSegment();
  }
  return Ok();
}

Result<std::optional<Entry>> CoreReader::Accept(const SegmentStep& step) {
  const ParsedEntry& p = step.entry;
  Entry e;
  e.core = core_;
  e.epoch = p.fields.epoch;
  e.sequence = p.fields.sequence;
  e.position = base_position_ + (step.offset - kSegmentHeaderSize);
  e.end_position = e.position + p.size;
  end_position_ = e.end_position;
  max_epoch_ = std::max(max_epoch_, e.epoch);
  next_sequence_ = std::max(next_sequence_, e.sequence + 1);
  if ((p.fields.kind & kSkippableKindBit) != 0 || e.end_position <= from_position_) {
    return std::optional<Entry>();
  }
  if (e.position < from_position_) {
    return MakeError(Errc::kInvalidArgument,
                     "core " + std::to_string(core_) + ": position " +
                         std::to_string(from_position_) + " is inside the entry at " +
                         std::to_string(e.position) + ".." + std::to_string(e.end_position));
  }
  e.kind = static_cast<EntryKind>(p.fields.kind);
  e.partition_id = p.fields.partition_id;
  e.base_offset = p.fields.base_offset;
  e.record_type = p.fields.record_type;
  e.payload = p.payload;
  return std::optional<Entry>(e);
}

void CoreReader::FinishSegment() {
  have_previous_ = true;
  segment_.reset();
  ++index_;
}

Status CoreReader::Problem(Errc code, const std::string& message) {
  std::string full = "core " + std::to_string(core_) + ": " + message;
  if (options_.recovery != RecoveryPolicy::kSalvage) return MakeError(code, full);
  LOG_WARN("WAL salvage: skipping " << full);
  report_.skipped.push_back(full);
  return Ok();
}

}  // namespace corelog::wal

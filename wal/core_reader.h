// Replays one core's WAL in position order across its segments and applies
// the RecoveryPolicy (wal/options.h): a torn tail ends the log, damage
// followed by valid entries is an error or, under kSalvage, skipped.
// Manager::Open runs the same reader over every core to find where each
// valid log ends before anything is appended.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"
#include "wal/entry.h"
#include "wal/errc.h"
#include "wal/options.h"
#include "wal/segment_reader.h"

namespace corelog::wal {

// What the reader found besides entries.
struct RecoveryReport {
  // A damaged tail in the newest segment: cut at this file offset.
  std::optional<std::string> torn_tail_path;
  uint64_t torn_tail_offset = 0;
  std::string torn_tail_reason;
  // The cut removes only the zero padding of an O_DIRECT append (see
  // PosixDirectFileSystem): no damage, accepted under every policy.
  bool tail_is_padding = false;
  // The newest segment's header is damaged and it holds no valid entry:
  // a crash while the segment was being created.
  std::optional<std::string> dropped_segment_path;
  // kSalvage only: one line per skipped region, naming file and offsets.
  std::vector<std::string> skipped;
};

// A segment the reader opened, with the base position from its header.
struct SegmentInfo {
  uint64_t number = 0;
  uint64_t base_position = 0;
};

// Used by one thread at a time. Reads files only, so appends still in a
// writer's memory are not seen (CoreWriter::SyncNow() first to see them).
class CoreReader {
 public:
  // Reads from the oldest retained entry.
  static Result<std::unique_ptr<CoreReader>> OpenAll(const Options& options, uint32_t core);
  // Reads entries starting at `from_position`, an entry boundary at or above
  // the oldest retained position (kReclaimed below it). Segments wholly
  // below it are not read; only their headers, so segments() lists them.
  static Result<std::unique_ptr<CoreReader>> Open(const Options& options, uint32_t core,
                                                  uint64_t from_position);

  // The next entry, nullopt at the end of the valid log, or an error the
  // policy does not allow past. Unknown skippable kinds are not returned.
  Result<std::optional<Entry>> Next();

  const RecoveryReport& report() const { return report_; }
  // After Next() returned nullopt: the end of the valid log ...
  uint64_t end_position() const { return end_position_; }
  // ... the largest epoch in any entry or header ...
  uint64_t max_epoch() const { return max_epoch_; }
  // ... the sequence the next appended entry should get ...
  uint64_t next_sequence() const { return next_sequence_; }
  // ... and the retained segments, oldest first (the dropped one excluded).
  const std::vector<SegmentInfo>& segments() const { return opened_; }

 private:
  CoreReader(const Options& options, uint32_t core, std::vector<SegmentFile> files);
  Status Locate(uint64_t from_position);
  // True when `h` is the header of files_[index]: a spare's old header, or
  // a file under the wrong name, names another segment.
  bool NamesFile(const SegmentHeader& h, size_t index) const;
  Status ListSkipped();
  Status OpenSegment();
  Status AcceptHeader(const SegmentHeader& header);
  Status HandleBadHeader(const Error& error);
  // `verified`: the bytes passed their checksum (a malformed entry, or one
  // older than the entries before it), so they are no torn write.
  Status HandleDamage(const SegmentStep& step, bool verified);
  Result<bool> EndsReusedSegment(uint64_t offset);
  Result<std::optional<Entry>> Accept(const SegmentStep& step);
  void FinishSegment();
  Status Problem(Errc code, const std::string& message);

  Options options_;
  uint32_t core_;
  std::vector<SegmentFile> files_;
  size_t index_ = 0;
  std::unique_ptr<SegmentReader> segment_;
  bool have_previous_ = false;  // end_position_ describes the previous segment
  bool done_ = false;
  uint64_t from_position_ = 0;
  uint64_t base_position_ = 0;
  uint64_t end_position_ = 0;
  uint64_t max_epoch_ = 0;
  uint64_t next_sequence_ = 0;
  std::vector<SegmentInfo> opened_;
  RecoveryReport report_;
};

}  // namespace corelog::wal

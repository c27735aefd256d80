#include "wal/core_writer.h"

#include <algorithm>

#include <chrono>
#include <future>
#include <utility>

#include "common/log.h"
#include "common/thread_name.h"
#include "wal/errc.h"
#include "wal/segment_reader.h"

namespace corelog::wal {
namespace {

// Above this many buffered bytes the sync thread writes them out even if
// nobody asked for a sync, which bounds a writer's memory.
constexpr size_t kFlushBytes = 8 * kMiB;

std::string_view AsChars(std::span<const std::byte> bytes) {
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

}  // namespace

Result<std::unique_ptr<WritableFile>> CreateSegment(const Options& options,
                                                    const SegmentHeader& header) {
  FileSystem* fs = FileSystemOf(options);
  std::string dir = CoreDirectory(options, header.core_id);
  CORELOG_TRY(fs->MakeDirs(dir));
  CORELOG_ASSIGN_OR_RETURN(
      auto file, fs->NewWritable(SegmentPath(options, header.core_id, header.segment_number)));
  CORELOG_TRY(file->Append(EncodeSegmentHeader(header)));
  CORELOG_TRY(file->Sync());
  CORELOG_TRY(fs->SyncDir(dir));
  return file;
}

CoreWriter::CoreWriter(const Options& options, CompletionQueue* completions, Start start)
    : options_(options),
      fs_(FileSystemOf(options)),
      completions_(completions),
      core_(start.core),
      segment_number_(start.segments.back().number),
      segment_bytes_(start.segment_bytes),
      epoch_(start.epoch),
      next_sequence_(start.next_sequence),
      position_(start.position),
      synced_position_(start.position),
      oldest_position_(start.segments.front().base_position),
      durable_segment_(start.segments.back().number),
      file_(std::move(start.file)),
      file_segment_(start.segments.back().number),
      file_position_(start.position),
      segments_(std::move(start.segments)),
      tail_(options.tail_cache_bytes),
      completion_thread_([this] {
        SetThreadName("wal-done-" + std::to_string(core_));
        CompletionLoop();
      }),
      thread_([this] {
        SetThreadName("wal-sync-" + std::to_string(core_));
        SyncLoop();
      }) {
  std::lock_guard lock(mu_);
  pending_.Reset(segment_bytes_);
}

CoreWriter::~CoreWriter() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  wake_.notify_one();
  thread_.join();
  // Closing cuts the newest segment at its last entry: the padding of
  // direct appends, and a reused file's older bytes, which recovery would
  // otherwise have to read through on the next open. A poisoned writer does
  // no more I/O.
  if (!poisoned_.load(std::memory_order_acquire)) {
    Status closed = file_->Close();
    if (!closed) LOG_WARN("WAL core " << core_ << ": closing the newest segment: " << closed.error().message());
  }
  {
    std::lock_guard lock(done_mu_);
    done_stop_ = true;
  }
  done_wake_.notify_one();
  completion_thread_.join();
}

Result<uint64_t> CoreWriter::AppendData(uint32_t partition_id, int64_t base_offset,
                                        std::string_view payload, std::optional<KnownCrc> known) {
  EntryFields fields;
  fields.kind = static_cast<uint8_t>(EntryKind::kData);
  fields.partition_id = partition_id;
  fields.base_offset = base_offset;
  return Append(fields, payload, known);
}

Result<uint64_t> CoreWriter::AppendData(uint32_t partition_id, int64_t base_offset,
                                        std::span<const std::byte> payload) {
  return AppendData(partition_id, base_offset, AsChars(payload));
}

Result<uint64_t> CoreWriter::AppendBarrier(uint64_t epoch) {
  CORELOG_TRY(SetEpoch(epoch));
  EntryFields fields;
  fields.kind = static_cast<uint8_t>(EntryKind::kBarrier);
  return Append(fields, {});
}

Result<uint64_t> CoreWriter::AppendRecord(uint16_t record_type, std::string_view payload) {
  EntryFields fields;
  fields.kind = static_cast<uint8_t>(EntryKind::kRecord);
  fields.record_type = record_type;
  return Append(fields, payload);
}

Result<uint64_t> CoreWriter::AppendRecord(uint16_t record_type, std::span<const std::byte> payload) {
  return AppendRecord(record_type, AsChars(payload));
}

Result<uint64_t> CoreWriter::Append(const EntryFields& in, std::string_view payload,
                                    std::optional<KnownCrc> known) {
  if (poisoned_.load(std::memory_order_acquire)) return PoisonedError();
  if (payload.size() > kMaxEntryBody - BodyPrefixSize(in.kind)) {
    return MakeError(Errc::kInvalidArgument, "WAL entry payload of " +
                                                 std::to_string(payload.size()) + " bytes is too large");
  }
  EntryFields fields = in;
  size_t size = EncodedEntrySize(fields.kind, payload.size());
  uint64_t end;
  bool wake;
  {
    std::lock_guard lock(mu_);
    if (segment_bytes_ > kSegmentHeaderSize && segment_bytes_ + size > options_.segment_bytes) {
      RollLocked();
    }
    fields.epoch = epoch_.load(std::memory_order_relaxed);
    fields.sequence = next_sequence_.load(std::memory_order_relaxed);
    next_sequence_.store(fields.sequence + 1, std::memory_order_relaxed);
    EncodeEntry(pending_.Extend(size), fields, payload, known);
    segment_bytes_ += size;
    end = position_.load(std::memory_order_relaxed) + size;
    position_.store(end, std::memory_order_release);
    wake = pending_.size() >= kFlushBytes && pending_.size() - size < kFlushBytes;
  }
  stats_.written_bytes.fetch_add(size, std::memory_order_relaxed);
  if (wake) wake_.notify_one();
  return end;
}

// The new segment's header goes into the pending bytes; the sync thread
// creates the file when it reaches the mark.
void CoreWriter::RollLocked() {
  SegmentHeader h;
  h.core_id = core_;
  h.segment_number = segment_number_ + 1;
  h.base_position = position_.load(std::memory_order_relaxed);
  h.base_epoch = epoch_.load(std::memory_order_relaxed);
  h.base_sequence = next_sequence_.load(std::memory_order_relaxed);
  // A new segment's bytes start at a block-aligned address, as its file
  // offset 0 is, so that they are written in place like the rest.
  if (pending_.empty()) pending_.Reset(0);
  const size_t gap = pending_.size();
  pending_.PadToBlock();
  std::lock_guard lock(segments_mu_);
  std::string spare;
  if (!spares_.empty()) {
    spare = std::move(spares_.back());
    spares_.pop_back();
    h.reused = true;
  }
  marks_.push_back({gap, pending_.size(), h.segment_number, std::move(spare)});
  EncodeSegmentHeader(h, pending_.Extend(kSegmentHeaderSize));
  segment_number_ = h.segment_number;
  segment_bytes_ = kSegmentHeaderSize;
  segments_.push_back({h.segment_number, h.base_position});
}

void CoreWriter::Sync(std::function<void(Status)> done) { Request(0, std::move(done)); }

uint64_t CoreWriter::SubmitSync() {
  uint64_t token = completions_->NextToken();
  Request(token, nullptr);
  return token;
}

void CoreWriter::Request(uint64_t token, std::function<void(Status)> done) {
  outstanding_.fetch_add(1, std::memory_order_acq_rel);
  {
    std::lock_guard lock(mu_);
    requests_.push_back({position_.load(std::memory_order_relaxed), token, std::move(done)});
  }
  wake_.notify_one();
}

Status CoreWriter::SyncNow() {
  // Shared, so the callback never touches a promise the waiter already destroyed.
  auto promise = std::make_shared<std::promise<Status>>();
  std::future<Status> future = promise->get_future();
  Sync([promise](Status status) { promise->set_value(std::move(status)); });
  return future.get();
}

Status CoreWriter::SetEpoch(uint64_t epoch) {
  uint64_t current = epoch_.load(std::memory_order_relaxed);
  if (epoch < current) {
    return MakeError(Errc::kInvalidArgument, "WAL core " + std::to_string(core_) + ": epoch " +
                                                 std::to_string(epoch) + " is below the current epoch " +
                                                 std::to_string(current));
  }
  epoch_.store(epoch, std::memory_order_relaxed);
  return Ok();
}

size_t CoreWriter::segment_count() const {
  std::lock_guard lock(segments_mu_);
  return segments_.size();
}

std::optional<SegmentInfo> CoreWriter::SegmentHolding(uint64_t position) const {
  std::lock_guard lock(segments_mu_);
  auto after = std::upper_bound(
      segments_.begin(), segments_.end(), position,
      [](uint64_t p, const SegmentInfo& segment) { return p < segment.base_position; });
  if (after == segments_.begin()) return std::nullopt;
  return *std::prev(after);
}

Status CoreWriter::health() const {
  if (!poisoned_.load(std::memory_order_acquire)) return Ok();
  return PoisonedError();
}

void CoreWriter::SyncLoop() {
  Batch batch;
  for (;;) {
    {
      std::unique_lock lock(mu_);
      wake_.wait(lock, [this] { return stop_ || HasWorkLocked(); });
      if (!HasWorkLocked()) return;
      TakeBatchLocked(&batch);
    }
    Status status = RunBatch(batch);
    // Cached before anyone hears the batch is done, so that a TruncateTo
    // after SyncNow clears the cache of every batch it cuts.
    Recycle(&batch, status);
    Complete(&batch, status);
  }
}

bool CoreWriter::HasWorkLocked() const {
  return !requests_.empty() || pending_.size() >= kFlushBytes || (stop_ && !pending_.empty());
}

// Swapping keeps both buffers' capacity, so steady state allocates nothing.
// The bytes appended next go to the current segment at segment_bytes_.
void CoreWriter::TakeBatchLocked(Batch* batch) {
  std::swap(batch->bytes, pending_);
  pending_.Reset(segment_bytes_);
  batch->marks.swap(marks_);
  batch->requests.swap(requests_);
  batch->end_position = position_.load(std::memory_order_relaxed);
  batch->sync = !batch->requests.empty() || stop_;
}

Status CoreWriter::RunBatch(Batch& batch) {
  std::lock_guard io(io_mu_);
  // A failed fsync may have dropped dirty pages; retrying could report
  // data durable that is gone, so a poisoned writer does no more I/O.
  if (poisoned_.load(std::memory_order_acquire)) return PoisonedError();
  const auto start = std::chrono::steady_clock::now();
  Status status = WriteBatch(batch);
  if (status && options_.observer != nullptr && !batch.bytes.empty()) {
    options_.observer->OnWritten(core_, std::chrono::steady_clock::now() - start);
  }
  if (status && batch.sync && file_position_ > synced_position_.load(std::memory_order_relaxed)) {
    status = SyncFile(file_position_);
  }
  if (!status) {
    Error error = status.error().Wrap("WAL core " + std::to_string(core_));
    Poison(error);
    return error;
  }
  return status;
}

// Every piece of a batch is written in place: a segment's bytes end at a
// gap that takes their padding, and the next segment's start block-aligned.
Status CoreWriter::WriteBatch(Batch& batch) {
  std::span<char> bytes = batch.bytes.bytes();
  size_t from = 0;
  for (const SegmentMark& mark : batch.marks) {
    CORELOG_TRY(WriteToFile(bytes.subspan(from, mark.gap - from)));
    CORELOG_TRY(SwitchFile(mark));
    from = mark.offset;
  }
  CORELOG_TRY(WriteToFile(bytes.subspan(from)));
  file_position_ = batch.end_position;
  return Ok();
}

Status CoreWriter::WriteToFile(std::span<char> bytes) {
  if (bytes.empty()) return Ok();
  return file_->AppendInPlace(bytes);
}

// The finished segment is durable before its successor exists, so damage
// can only ever sit in a core's newest segment (see RecoveryPolicy). Close
// makes it durable: a Sync before it would cost the disk a second flush.
// A spare keeps its old bytes (the old header included) until the batch's
// first write, so a crash before that leaves a newest segment whose header
// names another segment: recovery drops it, as it drops a half-created one.
Status CoreWriter::SwitchFile(const SegmentMark& mark) {
  CORELOG_TRY(file_->Close());
  const std::string path = PathOf(mark.number);
  if (mark.spare.empty()) {
    CORELOG_ASSIGN_OR_RETURN(file_, fs_->NewWritable(path));
  } else {
    CORELOG_ASSIGN_OR_RETURN(file_, fs_->ReuseWritable(mark.spare, path));
  }
  CORELOG_TRY(fs_->SyncDir(CoreDirectory(options_, core_)));
  file_segment_ = mark.number;
  (mark.spare.empty() ? stats_.new_segments : stats_.reused_segments).fetch_add(1, std::memory_order_relaxed);
  return Ok();
}

Status CoreWriter::SyncFile(uint64_t end_position) {
  auto start = std::chrono::steady_clock::now();
  CORELOG_TRY(file_->Sync());
  auto took = std::chrono::steady_clock::now() - start;
  uint64_t bytes = end_position - synced_position_.load(std::memory_order_relaxed);
  synced_position_.store(end_position, std::memory_order_release);
  durable_segment_.store(file_segment_, std::memory_order_release);
  stats_.synced_bytes.fetch_add(bytes, std::memory_order_relaxed);
  stats_.syncs.fetch_add(1, std::memory_order_relaxed);
  if (options_.observer != nullptr) {
    options_.observer->OnSync(core_, bytes,
                              std::chrono::duration_cast<std::chrono::nanoseconds>(took));
  }
  return Ok();
}

// Callbacks run on the completion thread so the next write + fdatasync
// starts as soon as this one returned.
void CoreWriter::Complete(Batch* batch, const Status& status) {
  if (!batch->requests.empty()) {
    {
      std::lock_guard lock(done_mu_);
      for (SyncRequest& r : batch->requests) finished_.emplace_back(std::move(r), status);
    }
    done_wake_.notify_one();
  }
  batch->requests.clear();
}

// A written batch goes to the tail cache, which hands back the memory for
// the next one.
void CoreWriter::Recycle(Batch* batch, const Status& status) {
  if (status) {
    std::vector<TailCache::Hole> holes;
    for (const SegmentMark& mark : batch->marks) {
      holes.push_back({mark.gap, mark.offset + kSegmentHeaderSize});
    }
    batch->bytes = tail_.Keep(std::move(batch->bytes), batch->end_position, holes);
  } else {
    batch->bytes.clear();
  }
  batch->marks.clear();
}

void CoreWriter::CompletionLoop() {
  std::vector<std::pair<SyncRequest, Status>> finished;
  for (;;) {
    {
      std::unique_lock lock(done_mu_);
      done_wake_.wait(lock, [this] { return done_stop_ || !finished_.empty(); });
      if (finished_.empty()) return;
      finished.swap(finished_);
    }
    // A completion is queued before the request stops counting as pending,
    // so !AnySyncPending() means CheckCompletions() holds every result.
    for (auto& [request, status] : finished) {
      if (request.token != 0) completions_->Push({request.token, core_, status});
      outstanding_.fetch_sub(1, std::memory_order_acq_rel);
      if (request.done) request.done(status);
    }
    finished.clear();
  }
}

void CoreWriter::Poison(const Error& error) {
  {
    std::lock_guard lock(mu_);
    if (poisoned_.load(std::memory_order_relaxed)) return;
    poison_error_ = error;
    poisoned_.store(true, std::memory_order_release);
  }
  stats_.failures.fetch_add(1, std::memory_order_relaxed);
  LOG_ERROR("WAL core " << core_ << " poisoned: " << error.message());
  if (options_.observer != nullptr) options_.observer->OnPoisoned(core_, error);
}

Error CoreWriter::PoisonedError() const {
  std::lock_guard lock(mu_);
  return MakeError(Errc::kPoisoned, "WAL core " + std::to_string(core_) +
                                        " refuses work after an earlier failure: " +
                                        poison_error_.message());
}

std::string CoreWriter::PathOf(uint64_t number) const { return SegmentPath(options_, core_, number); }

Status CoreWriter::TruncateTo(uint64_t position) {
  CORELOG_TRY(SyncNow());
  if (position > this->position() || position < oldest_position()) {
    return MakeError(Errc::kInvalidArgument,
                     "WAL core " + std::to_string(core_) + ": cannot truncate to position " +
                         std::to_string(position) + " outside " + std::to_string(oldest_position()) +
                         ".." + std::to_string(this->position()));
  }
  std::lock_guard io(io_mu_);
  size_t index = 0;
  SegmentInfo segment;
  {
    std::lock_guard lock(segments_mu_);
    while (index + 1 < segments_.size() && segments_[index + 1].base_position <= position) ++index;
    segment = segments_[index];
  }
  CORELOG_TRY(CheckBoundary(segment, position));
  Status status = CutTo(index, position);
  if (!status) Poison(status.error());
  return status;
}

Status CoreWriter::CheckBoundary(const SegmentInfo& segment, uint64_t position) {
  uint64_t target = kSegmentHeaderSize + (position - segment.base_position);
  CORELOG_ASSIGN_OR_RETURN(auto reader, SegmentReader::Open(fs_, PathOf(segment.number)));
  for (;;) {
    CORELOG_ASSIGN_OR_RETURN(SegmentStep step, reader->Next());
    if (step.offset == target) return Ok();
    if (step.offset > target || step.what != SegmentStep::What::kEntry) break;
  }
  return MakeError(Errc::kInvalidArgument, "WAL core " + std::to_string(core_) + ": position " +
                                               std::to_string(position) +
                                               " is not an entry boundary");
}

// Newer segments go first, newest first, so a crash part-way leaves a
// shorter chain without gaps; then the kept segment is cut.
Status CoreWriter::CutTo(size_t index, uint64_t position) {
  std::vector<SegmentInfo> segments;
  {
    std::lock_guard lock(segments_mu_);
    segments = segments_;
  }
  tail_.Clear();
  CORELOG_TRY(file_->Close());
  for (size_t i = segments.size(); i-- > index + 1;) {
    CORELOG_TRY(fs_->Delete(PathOf(segments[i].number)));
  }
  CORELOG_TRY(fs_->SyncDir(CoreDirectory(options_, core_)));
  const SegmentInfo keep = segments[index];
  uint64_t size = kSegmentHeaderSize + (position - keep.base_position);
  CORELOG_TRY(fs_->Truncate(PathOf(keep.number), size));
  CORELOG_ASSIGN_OR_RETURN(file_, fs_->ReopenWritable(PathOf(keep.number)));
  {
    std::lock_guard lock(segments_mu_);
    segments_.resize(index + 1);
  }
  segment_number_ = keep.number;
  segment_bytes_ = size;
  file_segment_ = keep.number;
  file_position_ = position;
  position_.store(position, std::memory_order_release);
  synced_position_.store(position, std::memory_order_release);
  durable_segment_.store(keep.number, std::memory_order_release);
  return Ok();
}

Status CoreWriter::Reset() {
  CORELOG_TRY(SyncNow());
  std::lock_guard io(io_mu_);
  Status status = ReplaceAllSegments();
  if (!status) Poison(status.error());
  return status;
}

// The empty successor is durable before the old segments go, so a crash in
// between leaves a readable log either way.
Status CoreWriter::ReplaceAllSegments() {
  SegmentHeader h;
  h.core_id = core_;
  h.segment_number = segment_number_ + 1;
  h.base_position = position();
  h.base_epoch = epoch();
  h.base_sequence = next_sequence();
  CORELOG_ASSIGN_OR_RETURN(auto file, CreateSegment(options_, h));
  std::vector<SegmentInfo> old;
  {
    std::lock_guard lock(segments_mu_);
    old = std::exchange(segments_, {{h.segment_number, h.base_position}});
  }
  CORELOG_TRY(file_->Close());
  file_ = std::move(file);
  file_segment_ = h.segment_number;
  segment_number_ = h.segment_number;
  segment_bytes_ = kSegmentHeaderSize;
  durable_segment_.store(h.segment_number, std::memory_order_release);
  oldest_position_.store(h.base_position, std::memory_order_release);
  for (const SegmentInfo& segment : old) CORELOG_TRY(fs_->Delete(PathOf(segment.number)));
  return fs_->SyncDir(CoreDirectory(options_, core_));
}

// Reclaimed segments are deleted, or renamed to spares for RollLocked to
// hand to the sync thread. A reader that opened one before is told it is
// gone (Manager::AppendDataPayload looks again after reading).
Result<size_t> CoreWriter::DeleteSegmentsBelow(uint64_t position) {
  std::vector<uint64_t> doomed;
  size_t keep = 0;
  {
    std::lock_guard lock(segments_mu_);
    uint64_t durable = durable_segment_.load(std::memory_order_acquire);
    // A segment goes only once its successor's header is durable: that
    // proves the segment itself was completely written and synced, and the
    // successor still anchors the core's position after a crash.
    while (segments_.size() >= 2 && segments_[1].base_position <= position &&
           segments_[1].number <= durable) {
      doomed.push_back(segments_.front().number);
      segments_.erase(segments_.begin());
    }
    oldest_position_.store(segments_.front().base_position, std::memory_order_release);
    const size_t room = options_.spare_segments > spares_.size() ? options_.spare_segments - spares_.size() : 0;
    keep = std::min(doomed.size(), room);
  }
  // The newest go to the spares: the oldest may be short ones from before
  // a restart.
  std::vector<std::string> spares;
  for (size_t i = 0; i < doomed.size(); ++i) {
    if (i + keep >= doomed.size()) {
      spares.push_back(SparePath(options_, core_, doomed[i]));
      CORELOG_TRY(fs_->Rename(PathOf(doomed[i]), spares.back()));
    } else {
      CORELOG_TRY(fs_->Delete(PathOf(doomed[i])));
    }
  }
  if (!doomed.empty()) CORELOG_TRY(fs_->SyncDir(CoreDirectory(options_, core_)));
  std::lock_guard lock(segments_mu_);
  for (std::string& spare : spares) spares_.push_back(std::move(spare));
  return doomed.size();
}

}  // namespace corelog::wal

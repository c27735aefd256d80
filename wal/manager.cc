#include "wal/manager.h"

#include <algorithm>
#include <future>
#include <optional>
#include <sstream>
#include <tuple>

#include "common/check.h"
#include "common/log.h"
#include "wal/aligned_buffer.h"
#include "wal/errc.h"
#include "wal/file_system.h"

namespace corelog::wal {
namespace {

// Spares left by an earlier run are deleted, not reused: only the writer
// that made them knows they hold nothing newer than its log.
Status DeleteSpares(const Options& options, uint32_t core) {
  CORELOG_ASSIGN_OR_RETURN(std::vector<SegmentFile> spares, ListSpares(options, core));
  FileSystem* fs = FileSystemOf(options);
  for (const SegmentFile& spare : spares) CORELOG_TRY(fs->Delete(spare.path));
  if (!spares.empty()) CORELOG_TRY(fs->SyncDir(CoreDirectory(options, core)));
  return Ok();
}

Result<CoreWriter::Start> CreateCore(const Options& options, uint32_t core) {
  CORELOG_TRY(DeleteSpares(options, core));
  CORELOG_ASSIGN_OR_RETURN(std::vector<SegmentFile> existing, ListSegments(options, core));
  if (!existing.empty()) {
    return MakeError(Errc::kAlreadyExists, "WAL core " + std::to_string(core) + " already has " +
                                               existing.front().path + "; use Open()");
  }
  SegmentHeader header;
  header.core_id = core;
  CoreWriter::Start start;
  start.core = core;
  CORELOG_ASSIGN_OR_RETURN(start.file, CreateSegment(options, header));
  start.segments = {{0, 0}};
  start.segment_bytes = kSegmentHeaderSize;
  return start;
}

// Applies what the reader found: a torn tail is cut, a half-created newest
// segment deleted, both durably, before any writer appends.
Status Repair(const Options& options, uint32_t core, const RecoveryReport& report) {
  FileSystem* fs = FileSystemOf(options);
  if (report.dropped_segment_path) {
    LOG_WARN("WAL core " << core << ": deleting half-created segment " << *report.dropped_segment_path);
    CORELOG_TRY(fs->Delete(*report.dropped_segment_path));
    CORELOG_TRY(fs->SyncDir(CoreDirectory(options, core)));
  }
  if (report.torn_tail_path && report.tail_is_padding) {
    LOG_INFO("WAL core " << core << ": cutting " << *report.torn_tail_path << " at byte "
                         << report.torn_tail_offset << " (" << report.torn_tail_reason << ")");
    CORELOG_TRY(fs->Truncate(*report.torn_tail_path, report.torn_tail_offset));
  } else if (report.torn_tail_path) {
    LOG_WARN("WAL core " << core << ": cutting torn tail of " << *report.torn_tail_path
                         << " at byte " << report.torn_tail_offset << " ("
                         << report.torn_tail_reason << ")");
    CORELOG_TRY(fs->Truncate(*report.torn_tail_path, report.torn_tail_offset));
  }
  return Ok();
}

Result<CoreWriter::Start> RecoverCore(const Options& options, uint32_t core,
                                      const Manager::EntryVisitor& visit,
                                      std::optional<uint64_t> from) {
  CORELOG_ASSIGN_OR_RETURN(auto reader, from ? CoreReader::Open(options, core, *from)
                                             : CoreReader::OpenAll(options, core));
  for (;;) {
    CORELOG_ASSIGN_OR_RETURN(std::optional<Entry> entry, reader->Next());
    if (!entry) break;
    if (visit) CORELOG_TRY(visit(*entry));
  }
  if (reader->segments().empty()) {
    return MakeError(Errc::kCorruption, "WAL core " + std::to_string(core) + " has no valid segment");
  }
  CORELOG_TRY(Repair(options, core, reader->report()));
  CORELOG_TRY(DeleteSpares(options, core));
  CoreWriter::Start start;
  start.core = core;
  start.segments = reader->segments();
  start.position = reader->end_position();
  start.epoch = reader->max_epoch();
  start.next_sequence = reader->next_sequence();
  start.segment_bytes = kSegmentHeaderSize + (start.position - start.segments.back().base_position);
  CORELOG_ASSIGN_OR_RETURN(start.file, FileSystemOf(options)->ReopenWritable(
                                           SegmentPath(options, core, start.segments.back().number)));
  return start;
}

}  // namespace

Manager::Manager(Options options) : options_(std::move(options)) {}

Manager::~Manager() = default;

Result<std::unique_ptr<Manager>> Manager::Create(Options options) {
  CORELOG_TRY(ValidateOptions(options));
  CORELOG_TRY(FileSystemOf(options)->MakeDirs(options.dir));
  std::unique_ptr<Manager> manager(new Manager(std::move(options)));
  for (uint32_t core = 0; core < manager->num_cores(); ++core) {
    CORELOG_ASSIGN_OR_RETURN(CoreWriter::Start start, CreateCore(manager->options_, core));
    manager->writers_.push_back(
        std::make_unique<CoreWriter>(manager->options_, &manager->completions_, std::move(start)));
  }
  return manager;
}

Result<std::unique_ptr<Manager>> Manager::Open(Options options, const EntryVisitor& visit,
                                               std::span<const uint64_t> replay_from) {
  CORELOG_TRY(ValidateOptions(options));
  if (!replay_from.empty() && replay_from.size() != options.num_cores) {
    return MakeError(Errc::kInvalidArgument,
                     "Open got " + std::to_string(replay_from.size()) + " replay positions for " +
                         std::to_string(options.num_cores) + " cores");
  }
  std::unique_ptr<Manager> manager(new Manager(std::move(options)));
  // Every core is recovered (tails cut) before the first writer starts.
  std::vector<CoreWriter::Start> starts;
  uint64_t epoch = 0;
  for (uint32_t core = 0; core < manager->num_cores(); ++core) {
    std::optional<uint64_t> from;
    if (!replay_from.empty()) from = replay_from[core];
    CORELOG_ASSIGN_OR_RETURN(CoreWriter::Start start,
                             RecoverCore(manager->options_, core, visit, from));
    epoch = std::max(epoch, start.epoch);
    starts.push_back(std::move(start));
  }
  for (CoreWriter::Start& start : starts) {
    start.epoch = epoch;
    manager->writers_.push_back(
        std::make_unique<CoreWriter>(manager->options_, &manager->completions_, std::move(start)));
  }
  manager->epoch_.store(epoch, std::memory_order_release);
  return manager;
}

uint64_t Manager::AdvanceEpoch() { return epoch_.fetch_add(1, std::memory_order_acq_rel) + 1; }

Status Manager::SetEpochAll(uint64_t epoch) {
  for (auto& writer : writers_) CORELOG_TRY(writer->SetEpoch(epoch));
  uint64_t current = epoch_.load(std::memory_order_acquire);
  while (current < epoch && !epoch_.compare_exchange_weak(current, epoch)) {
  }
  return Ok();
}

CoreWriter& Manager::writer(uint32_t core) {
  CORELOG_CHECK(core < writers_.size(), "WAL core id out of range");
  return *writers_[core];
}

Status Manager::CheckCore(uint32_t core) const {
  if (core < num_cores()) return Ok();
  return MakeError(Errc::kInvalidCore, "WAL core " + std::to_string(core) +
                                           " out of range: valid cores are 0.." +
                                           std::to_string(num_cores() - 1));
}

Result<CoreWriter*> Manager::WriterChecked(uint32_t core) {
  CORELOG_TRY(CheckCore(core));
  return writers_[core].get();
}

Status Manager::SyncAll() {
  std::vector<std::shared_ptr<std::promise<Status>>> promises;
  for (auto& writer : writers_) {
    auto promise = std::make_shared<std::promise<Status>>();
    promises.push_back(promise);
    writer->Sync([promise](Status status) { promise->set_value(std::move(status)); });
  }
  Status first = Ok();
  for (auto& promise : promises) {
    Status status = promise->get_future().get();
    if (!status && first) first = status;
  }
  return first;
}

std::vector<uint64_t> Manager::positions() const {
  std::vector<uint64_t> out;
  for (const auto& writer : writers_) out.push_back(writer->position());
  return out;
}

std::vector<uint64_t> Manager::synced_positions() const {
  std::vector<uint64_t> out;
  for (const auto& writer : writers_) out.push_back(writer->synced_position());
  return out;
}

Result<std::vector<uint64_t>> Manager::WriteBarrierAll() {
  std::vector<uint64_t> ends;
  for (auto& writer : writers_) {
    CORELOG_ASSIGN_OR_RETURN(uint64_t end, writer->AppendBarrier(epoch()));
    ends.push_back(end);
  }
  return ends;
}

Status Manager::TruncateAll(std::span<const uint64_t> positions) {
  if (positions.size() != num_cores()) {
    return MakeError(Errc::kInvalidArgument, "TruncateAll got " + std::to_string(positions.size()) +
                                                 " positions for " + std::to_string(num_cores()) +
                                                 " cores");
  }
  for (uint32_t core = 0; core < num_cores(); ++core) {
    CORELOG_TRY(writers_[core]->TruncateTo(positions[core]));
  }
  return Ok();
}

Status Manager::ResetAll() {
  for (auto& writer : writers_) CORELOG_TRY(writer->Reset());
  return Ok();
}

Result<size_t> Manager::DeleteSegmentsBelow(uint32_t core, uint64_t position) {
  CORELOG_TRY(CheckCore(core));
  auto deleted = writers_[core]->DeleteSegmentsBelow(position);
  if (deleted && *deleted > 0) {
    std::lock_guard lock(read_files_mu_);
    std::erase_if(read_files_, [core](const auto& kv) { return kv.first.first == core; });
  }
  return deleted;
}

Result<std::shared_ptr<ReadableFile>> Manager::SegmentForReading(uint32_t core,
                                                                 uint64_t number) const {
  std::lock_guard lock(read_files_mu_);
  auto& file = read_files_[{core, number}];
  if (!file) {
    auto opened = FileSystemOf(options_)->OpenReadable(SegmentPath(core, number));
    if (!opened) {
      read_files_.erase({core, number});
      return opened.error();
    }
    file = std::move(*opened);
  }
  return file;
}

Status Manager::AppendDataPayload(const DataLocation& at, std::string* out) const {
  CORELOG_TRY(CheckCore(at.core));
  const CoreWriter& writer = *writers_[at.core];
  auto where = [&at] {
    return "core " + std::to_string(at.core) + " position " + std::to_string(at.position);
  };
  if (at.end_position <= at.position || at.end_position > writer.synced_position()) {
    return MakeError(Errc::kInvalidArgument, "no synced entry at " + where());
  }
  auto segment = writer.SegmentHolding(at.position);
  if (!segment) return MakeError(Errc::kReclaimed, "the segment of " + where() + " is deleted");
  const uint64_t size = at.end_position - at.position;
  // Memory and disk bytes are checked alike: a location that points at the
  // wrong bytes is an error wherever they are read from.
  auto append_payload = [&](std::string_view bytes) -> Status {
    ParsedEntry entry = ParseEntry(bytes.substr(0, size));
    if (entry.outcome != ParseOutcome::kOk || entry.size != size ||
        entry.fields.kind != static_cast<uint8_t>(EntryKind::kData)) {
      return MakeError(Errc::kCorruption,
                       "the data entry at " + where() + " does not verify: " +
                           (entry.outcome == ParseOutcome::kOk ? "another entry is there"
                                                               : std::string(entry.problem)));
    }
    out->append(entry.payload);
    return Ok();
  };
  Status from_memory = Ok();
  if (writer.ReadRecent(at.position, at.end_position,
                        [&](std::string_view bytes) { from_memory = append_payload(bytes); })) {
    if (from_memory) writer.stats().read_memory_bytes.fetch_add(size, std::memory_order_relaxed);
    return from_memory;
  }
  CORELOG_ASSIGN_OR_RETURN(auto file, SegmentForReading(at.core, segment->number));
  // Whole blocks into aligned memory, so that a direct-I/O file system reads
  // with O_DIRECT: the disk, never a cached page the appends bypassed.
  const uint64_t offset = kSegmentHeaderSize + (at.position - segment->base_position);
  const uint64_t first = AlignDown(offset);
  const size_t length = AlignUp(offset + size) - first;
  AlignedBuffer buffer = AllocateAligned(length);
  CORELOG_ASSIGN_OR_RETURN(size_t got, file->ReadAt(first, std::span<char>(buffer.get(), length)));
  const size_t skip = offset - first;
  // A segment reclaimed meanwhile may be a spare now, written over.
  if (!writer.SegmentHolding(at.position)) {
    return MakeError(Errc::kReclaimed, "the segment of " + where() + " is deleted");
  }
  CORELOG_TRY(append_payload(std::string_view(buffer.get() + skip, got > skip ? got - skip : 0)));
  writer.stats().read_disk_bytes.fetch_add(size, std::memory_order_relaxed);
  return Ok();
}

uint64_t Manager::TotalSize() const {
  uint64_t total = 0;
  for (const auto& writer : writers_) total += writer->position() - writer->oldest_position();
  return total;
}

bool Manager::AnySyncPending() const {
  return std::any_of(writers_.begin(), writers_.end(),
                     [](const auto& writer) { return writer->sync_pending(); });
}

std::string Manager::DebugString() const {
  std::ostringstream os;
  os << "wal::Manager{dir=" << options_.dir << ", num_cores=" << num_cores()
     << ", segment_pattern=" << options_.segment_pattern
     << ", segment_bytes=" << options_.segment_bytes
     << ", recovery=" << ToString(options_.recovery) << ", epoch=" << epoch()
     << ", total_size=" << TotalSize() << ", cores=[";
  for (const auto& w : writers_) {
    os << (w->core_id() == 0 ? "" : ", ") << "{core=" << w->core_id()
       << " position=" << w->position() << " synced=" << w->synced_position()
       << " oldest=" << w->oldest_position() << " segments=" << w->segment_count()
       << " epoch=" << w->epoch() << " next_sequence=" << w->next_sequence()
       << " healthy=" << (w->health() ? "yes" : "no") << "}";
  }
  os << "]}";
  return os.str();
}

Result<std::vector<OwnedEntry>> Manager::MergeEntries() const { return Merge(UINT64_MAX); }

Result<std::vector<OwnedEntry>> Manager::MergeEntriesUpToEpoch(uint64_t max_epoch) const {
  return Merge(max_epoch);
}

// Per core the entries are already in sequence order; a stable sort on
// (epoch, core, sequence) interleaves the cores deterministically.
Result<std::vector<OwnedEntry>> Manager::Merge(uint64_t max_epoch) const {
  std::vector<OwnedEntry> all;
  for (uint32_t core = 0; core < num_cores(); ++core) {
    CORELOG_ASSIGN_OR_RETURN(auto reader, CoreReader::OpenAll(options_, core));
    for (;;) {
      CORELOG_ASSIGN_OR_RETURN(std::optional<Entry> entry, reader->Next());
      if (!entry) break;
      if (entry->epoch <= max_epoch) all.push_back(OwnedEntry::From(*entry));
    }
  }
  std::stable_sort(all.begin(), all.end(), [](const OwnedEntry& a, const OwnedEntry& b) {
    return std::tie(a.epoch, a.core, a.sequence) < std::tie(b.epoch, b.core, b.sequence);
  });
  return all;
}

Result<std::unique_ptr<CoreReader>> Manager::NewReader(uint32_t core, uint64_t from_position) const {
  CORELOG_TRY(CheckCore(core));
  return CoreReader::Open(options_, core, from_position);
}

}  // namespace corelog::wal

#include "broker/storage.h"

#include <fcntl.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <charconv>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "broker/kafka/record_batch.h"
#include "broker/topic_config.h"
#include "checkpoint/recovery.h"
#include "common/coding.h"
#include "common/log.h"
#include "metrics/topic_metrics.h"
#include "wal/manager.h"
#include "wal/core_reader.h"

namespace corelog::broker {
namespace {

constexpr size_t kLastOffsetDeltaPos = 23;

wal::RecoveryPolicy PolicyFromName(const std::string& name) {
  if (name == "salvage") return wal::RecoveryPolicy::kSalvage;
  if (name == "absolute-consistency") return wal::RecoveryPolicy::kAbsoluteConsistency;
  return wal::RecoveryPolicy::kTolerateTornTail;
}

constexpr char kProducerStatePrefix = 'P';

// 'P' | partition id u32 BE | producer id i64 BE: one producer's state.
std::string ProducerStateKey(uint32_t partition_id, int64_t producer_id) {
  std::string key(1, kProducerStatePrefix);
  AppendBE<uint32_t>(&key, partition_id);
  AppendBE<int64_t>(&key, producer_id);
  return key;
}

// Idempotent producers: remember the batch so a retry is recognised.
void RecordProducer(Partition& p, std::string_view batch, int64_t base_offset) {
  auto view = kafka::RecordBatchView::Parse(batch);
  if (!view || !view->has_producer_id()) return;
  p.producers.Record(view->producer_id(), view->producer_epoch(), view->base_sequence(),
                     view->record_count(), base_offset);
}

Error StorageError(const std::string& message) {
  return Error(std::make_error_code(std::errc::io_error), message);
}

// 22 characters of URL-safe base64 alphabet, the shape Kafka uses.
std::string NewClusterId() {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::random_device rd;
  std::string id;
  for (int i = 0; i < 22; ++i) id += kAlphabet[rd() % 64];
  return id;
}

Status WriteFileDurably(const std::string& path, const std::string& text) {
  const std::string tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) return Error::FromErrno(errno, "creating " + tmp);
  bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) &&
            ::fdatasync(fd) == 0;
  int err = errno;
  ::close(fd);
  if (!ok) return Error::FromErrno(err, "writing " + tmp);
  if (::rename(tmp.c_str(), path.c_str()) != 0) return Error::FromErrno(errno, "renaming " + tmp);
  std::string dir = std::filesystem::path(path).parent_path().string();
  int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (dfd < 0) return Error::FromErrno(errno, "opening " + dir);
  int rc = ::fsync(dfd);
  err = errno;
  ::close(dfd);
  if (rc != 0) return Error::FromErrno(err, "syncing " + dir);
  return Ok();
}

}  // namespace

Storage::Storage(const Config& config, Cores* cores) : config_(config), cores_(cores) {}
Storage::~Storage() = default;

Status Storage::Recover() {
  std::error_code ec;
  std::filesystem::create_directories(config_.data_dir, ec);
  if (ec) return Error(ec, "cannot create data directory " + config_.data_dir + ": " + ec.message());
  CORELOG_TRY(LoadOrCreateMeta());
  CORELOG_ASSIGN_OR_RETURN(store_, RecordStore::Open(config_.data_dir + "/state"));
  topics_ = std::make_unique<TopicRegistry>(store_.get(), cores_->size());
  CORELOG_TRY(topics_->Load());

  wal::Options options;
  options.dir = config_.data_dir + "/wal";
  options.num_cores = cores_->size();
  options.segment_bytes = config_.wal_segment_bytes;
  options.direct_io = config_.wal_direct_io;
  options.tail_cache_bytes = config_.wal_tail_cache_bytes;
  options.recovery = PolicyFromName(config_.wal_recovery_policy);
  // absolute_consistency must tell every torn write from a clean end, which
  // a segment written over an older one's file cannot show.
  options.spare_segments =
      options.recovery == wal::RecoveryPolicy::kAbsoluteConsistency ? 0 : config_.wal_spare_segments;
  options.observer = sync_observer_;
  stored_bytes_.resize(cores_->size());
  retention_timers_.resize(cores_->size());
  CORELOG_TRY(LoadPartitionStates());

  checkpoint::RecoveryHooks hooks;
  hooks.apply = [this](const wal::Entry& e) { return ReplayEntry(e); };
  // A WAL about to be replaced cannot hold batches: they are copied into
  // the store as they are replayed.
  hooks.before_replay = [this](bool replaced) { replay_inline_ = replaced; };
  hooks.state = [this]() -> Result<checkpoint::State> {
    FinishReplay();
    return CaptureAll();
  };
  const auto started = std::chrono::steady_clock::now();
  auto recovered = checkpoint::Recover(options, store_->db(), hooks);
  if (!recovered) return recovered.error().Wrap("recovering " + options.dir);
  wal_ = std::move(recovered->wal);
  store_->SetWal(wal_.get());
  last_manifest_ = recovered->manifest;
  FinishReplay();
  const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - started);
  LOG_INFO("recovery replayed " << recovered->replayed_entries << " WAL entries ("
                                << recovered->replayed_bytes << " bytes) after checkpoint epoch "
                                << (last_manifest_ ? last_manifest_->epoch : 0) << " in "
                                << took.count() << " ms; epoch now " << recovered->epoch);
  checkpoint::Options copts;
  copts.interval = std::chrono::milliseconds(config_.checkpoint_interval_ms);
  copts.bytes_threshold = config_.checkpoint_bytes_threshold;
  checkpointer_ = std::make_unique<checkpoint::Checkpointer>(copts, wal_.get(), store_->db(), this,
                                                             last_manifest_);
  return Ok();
}

void Storage::StartBackground() {
  checkpointer_->Start();
  for (uint32_t core = 0; core < cores_->size(); ++core) {
    cores_->Post(core, [this, core] { ScheduleRetention(core); });
  }
}

void Storage::StopBackground() {
  stopping_.store(true);
  if (!checkpointer_) return;
  checkpointer_->Stop();
  if (auto last = checkpointer_->RunOnce(); !last) {
    LOG_WARN("final checkpoint failed; the next start replays the WAL: " << last.error().message());
  }
}

// <data-dir>/meta names the cluster and the on-disk format. Written once,
// through a synced temporary file and a rename, so it is whole or absent.
Status Storage::LoadOrCreateMeta() {
  const std::string path = config_.data_dir + "/meta";
  if (std::ifstream in(path); in) {
    std::stringstream text;
    text << in.rdbuf();
    boost::system::error_code ec;
    auto v = boost::json::parse(text.str(), ec);
    if (ec || !v.is_object() || !v.as_object().contains("cluster_id") ||
        !v.as_object().at("cluster_id").is_string()) {
      return StorageError(path + " is not a corelog meta file");
    }
    cluster_id_ = std::string(v.as_object().at("cluster_id").as_string());
    return Ok();
  }
  cluster_id_ = NewClusterId();
  boost::json::object o{{"cluster_id", cluster_id_}, {"node_id", config_.node_id},
                        {"format_version", 1}};
  return WriteFileDurably(path, boost::json::serialize(o) + "\n");
}

// Partition offsets as of the last checkpoint; the WAL replay extends them.
Status Storage::LoadPartitionStates() {
  CORELOG_ASSIGN_OR_RETURN(auto states, store_->LoadPartitionStates());
  for (const auto& [id, state] : states) {
    auto p = topics_->ById(id);
    if (!p) continue;  // its topic was deleted
    p->log_start.store(state.log_start);
    p->log_end = state.log_end;
    StoredBytes(*p) = state.stored_bytes;
  }
  return LoadProducerStates();
}

// Re-applies one WAL entry after the checkpoint. Idempotent: a batch already
// in RocksDB is written again with the same key and bytes, a log start only
// ever moves forward.
Status Storage::ReplayEntry(const wal::Entry& e) {
  if (e.kind == wal::EntryKind::kData) return ReplayBatch(e);
  if (e.kind != wal::EntryKind::kRecord) return Ok();
  if (e.record_type != kLogStartRecord) return ApplyRecord(e);
  if (e.payload.size() != 12) {
    return StorageError("WAL core " + std::to_string(e.core) + " position " +
                        std::to_string(e.position) + ": malformed log start record");
  }
  auto p = topics_->ById(DecodeLE<uint32_t>(e.payload.data()));
  if (!p) return Ok();
  return ApplyLogStart(*p, DecodeLE<int64_t>(e.payload.data() + 4));
}

Status Storage::ReplayBatch(const wal::Entry& e) {
  auto p = topics_->ById(e.partition_id);
  if (!p) return Ok();  // its topic was deleted
  if (e.payload.size() < kLastOffsetDeltaPos + 4) {
    return StorageError("WAL core " + std::to_string(e.core) + " position " +
                        std::to_string(e.position) + ": data entry too short for a batch");
  }
  const int64_t next = e.base_offset + DecodeBE<int32_t>(e.payload.data() + kLastOffsetDeltaPos) + 1;
  if (next <= p->log_start.load()) return Ok();  // deleted by retention or DeleteRecords
  if (replay_inline_) {
    CORELOG_TRY(store_->PutBatch(e.partition_id, e.base_offset, e.payload));
  } else {
    CORELOG_TRY(store_->PutBatchLocation(e.partition_id, e.base_offset, e.payload,
                                         {e.core, e.position, e.end_position}));
  }
  RecordProducer(*p, e.payload, e.base_offset);
  // Batches below the checkpointed log end are counted in its stored bytes.
  if (e.base_offset >= p->log_end) StoredBytes(*p) += static_cast<int64_t>(e.payload.size());
  p->log_end = std::max(p->log_end, next);
  return Ok();
}

// Replay is over: everything up to the log end is durable, so visible.
void Storage::FinishReplay() {
  for (const auto& topic : topics_->All()) {
    for (const auto& p : topic->partitions) {
      p->log_end = std::max(p->log_end, p->log_start.load());
      p->high_watermark.store(p->log_end);
    }
  }
}

void Storage::CapturePartition(const Partition& p, checkpoint::State* out) {
  // At the cut the high watermark is the log end of everything before the
  // barrier: later appends become visible only in later tasks.
  PartitionState state{p.log_start.load(), p.high_watermark.load(), 0};
  auto& bytes = stored_bytes_[p.owner];
  if (auto it = bytes.find(p.id); it != bytes.end()) state.stored_bytes = it->second;
  out->push_back({PartitionStateKey(p.id), EncodePartitionState(state)});
  for (const auto& [pid, entry] : p.producers.entries()) {
    out->push_back({ProducerStateKey(p.id, pid), EncodeProducerEntry(entry)});
  }
}

Status Storage::LoadProducerStates() {
  return store_->Scan(std::string(1, kProducerStatePrefix),
                      [this](std::string_view key, std::string_view value) -> Status {
    if (key.size() != 13) return StorageError("malformed producer state key");
    auto p = topics_->ById(DecodeBE<uint32_t>(key.data() + 1));
    if (!p) return Ok();
    ProducerEntry entry;
    if (!DecodeProducerEntry(value, &entry)) return StorageError("malformed producer state");
    p->producers.Restore(DecodeBE<int64_t>(key.data() + 5), std::move(entry));
    return Ok();
  });
}

void Storage::WhenDurable(uint32_t core, std::function<void(Status)> done) {
  wal_->writer(core).Sync([this, core, done = std::move(done)](Status synced) mutable {
    cores_->Post(core, [synced, done = std::move(done)] { done(synced); });
  });
}

void Storage::RunOnCore(uint32_t core, std::function<void()> fn) { cores_->Post(core, std::move(fn)); }

Result<checkpoint::State> Storage::CaptureCore(uint32_t core, uint64_t /*epoch*/) {
  checkpoint::State out;
  for (const auto& topic : topics_->All()) {
    for (const auto& p : topic->partitions) {
      if (p->owner == core && !p->deleted.load()) CapturePartition(*p, &out);
    }
  }
  return out;
}

// The oldest WAL position a batch of this core's partitions lies at: the
// checkpoint keeps the segments from there on. Batches move only forward
// through a partition's log, so its first stored batch is its oldest.
uint64_t Storage::OldestNeeded(uint32_t core) {
  uint64_t oldest = UINT64_MAX;
  for (const auto& topic : topics_->All()) {
    for (const auto& p : topic->partitions) {
      if (p->owner != core) continue;
      auto at = store_->OldestLocation(p->id);
      if (!at) {
        LOG_ERROR("finding the WAL that " << p->topic << "-" << p->index
                                          << " needs: " << at.error().message());
        return 0;  // keep everything rather than guess
      }
      if (*at && (*at)->core == core) oldest = std::min(oldest, (*at)->position);
    }
  }
  return oldest;
}

// Recovery only (no core runs): every partition's state.
checkpoint::State Storage::CaptureAll() {
  checkpoint::State out;
  for (const auto& topic : topics_->All()) {
    for (const auto& p : topic->partitions) CapturePartition(*p, &out);
  }
  return out;
}

void Storage::Append(Partition& p, std::span<char> batch, std::shared_ptr<const void> owner,
                     std::function<void(Result<AppendResult>)> done) {
  const int64_t base = p.log_end;
  const int64_t next = base + DecodeBE<int32_t>(batch.data() + kLastOffsetDeltaPos) + 1;
  // The broker owns these two header fields; both lie outside the batch CRC.
  kafka::SetBaseOffset(batch, base);
  kafka::SetPartitionLeaderEpoch(batch, 0);
  auto& writer = wal_->writer(p.owner);
  const std::string_view bytes(batch.data(), batch.size());
  const uint64_t position = writer.position();
  // The batch passed validation, so its stored CRC is that of its bytes from
  // kBatchCrcFrom on: the WAL checksum reuses it rather than read them again.
  const wal::KnownCrc known{kafka::kBatchCrcFrom, kafka::StoredCrc(bytes)};
  auto appended = writer.AppendData(p.id, base, bytes, known);
  if (!appended) {
    LOG_ERROR("WAL append for " << p.topic << "-" << p.index << " failed: "
                                << appended.error().message());
    return done(appended.error());
  }
  p.log_end = next;
  RecordProducer(p, bytes, base);
  Partition* part = &p;
  const wal::DataLocation at{p.owner, position, *appended};
  writer.Sync([this, part, base, next, bytes, at, owner = std::move(owner),
               done = std::move(done)](Status synced) mutable {
    // The WAL's sync thread calls this; the partition belongs to its core.
    cores_->Post(part->owner, [this, part, base, next, bytes, at, owner = std::move(owner), synced,
                               done = std::move(done)] {
      if (!synced) return done(synced.error());
      // The bytes stay in the WAL; the store learns where.
      if (auto st = store_->PutBatchLocation(part->id, base, bytes, at); !st) return done(st.error());
      StoredBytes(*part) += static_cast<int64_t>(bytes.size());
      if (next > part->high_watermark.load()) part->high_watermark.store(next);
      if (auto* counters = part->counters.load(std::memory_order_relaxed)) {
        counters->OnProduce(part->owner, static_cast<uint64_t>(next - base), bytes.size());
      }
      auto waiters = std::move(part->waiters);
      part->waiters.clear();
      for (auto& w : waiters) {
        if (auto wake = w.lock()) (*wake)();
      }
      done(AppendResult{base, part->log_start.load()});
    });
  });
}

Status Storage::ApplyRecord(const wal::Entry& e) {
  if (e.record_type != kStateMutationRecord) return Ok();  // a later version's record
  auto mutation = StateMutation::Decode(e.payload);
  if (!mutation) {
    return StorageError("WAL core " + std::to_string(e.core) + " position " +
                        std::to_string(e.position) + ": malformed state record");
  }
  return store_->Apply(*mutation);
}

void Storage::AppendStateMutation(uint32_t core, StateMutation mutation,
                                  std::function<void(Status)> done) {
  auto& writer = wal_->writer(core);
  auto appended = writer.AppendRecord(kStateMutationRecord, mutation.Encode());
  if (!appended) return done(appended.error());
  auto shared = std::make_shared<StateMutation>(std::move(mutation));
  writer.Sync([this, core, shared, done = std::move(done)](Status synced) mutable {
    cores_->Post(core, [this, shared, synced, done = std::move(done)] {
      if (!synced) return done(synced.error());
      done(store_->Apply(*shared));
    });
  });
}

Result<ReadResult> Storage::Read(const Partition& p, int64_t offset, size_t max_bytes,
                                 bool oversized_first) const {
  ReadResult r;
  r.high_watermark = p.high_watermark.load();
  r.log_start = p.log_start.load();
  if (offset < r.log_start || offset > r.high_watermark) {
    r.out_of_range = true;
    return r;
  }
  if (offset == r.high_watermark) return r;
  CORELOG_TRY(store_->ReadBatches(p.id, offset, r.high_watermark, max_bytes, &r.records,
                                  oversized_first));
  return r;
}

Result<TimestampOffset> Storage::OffsetForTimestamp(const Partition& p, int64_t ts) const {
  CORELOG_ASSIGN_OR_RETURN(auto found, store_->OffsetForTimestamp(p.id, ts, p.high_watermark.load()));
  // The batch holding the log start may begin below it.
  if (found.offset >= 0) found.offset = std::max(found.offset, p.log_start.load());
  return TimestampOffset{found.offset, found.timestamp};
}

void Storage::AdvanceLogStart(std::shared_ptr<Partition> p, int64_t offset,
                              std::function<void(Result<int64_t>)> done) {
  offset = std::min(offset, p->high_watermark.load());
  if (offset <= p->log_start.load()) return done(p->log_start.load());
  std::string payload;
  AppendLE<uint32_t>(&payload, p->id);
  AppendLE<int64_t>(&payload, offset);
  auto& writer = wal_->writer(p->owner);
  auto appended = writer.AppendRecord(kLogStartRecord, payload);
  if (!appended) return done(appended.error());
  writer.Sync([this, p, offset, done = std::move(done)](Status synced) mutable {
    cores_->Post(p->owner, [this, p, offset, synced, done = std::move(done)] {
      if (!synced) return done(synced.error());
      if (auto st = ApplyLogStart(*p, offset); !st) return done(st.error());
      done(p->log_start.load());
    });
  });
}

// Owner core (or recovery). Deletes the batches wholly below `offset`; the
// batch holding it stays, and fetches return it whole as Kafka does.
Status Storage::ApplyLogStart(Partition& p, int64_t offset) {
  const int64_t start = p.log_start.load();
  if (offset <= start) return Ok();
  int64_t removed = 0;
  int64_t cut = offset;
  CORELOG_TRY(store_->ScanBatches(p.id, start, [&](const BatchInfo& b) {
    if (b.last_offset >= offset) {
      cut = b.base_offset;
      return false;
    }
    removed += b.size;
    return true;
  }));
  CORELOG_TRY(store_->DeleteBatchesBefore(p.id, cut));
  p.log_start.store(offset);
  int64_t& bytes = StoredBytes(p);
  bytes = std::max<int64_t>(0, bytes - removed);
  return Ok();
}

void Storage::ScheduleRetention(uint32_t core) {
  if (stopping_.load()) return;
  retention_timers_[core] = cores_->StartTimer(
      core, std::chrono::milliseconds(config_.log_retention_check_interval_ms), [this, core] {
        if (stopping_.load()) return;
        EnforceRetention(core);
        ScheduleRetention(core);
      });
}

namespace {

int64_t TopicLimit(const Topic& topic, const char* key, int64_t fallback) {
  auto it = topic.meta.configs.find(key);
  if (it == topic.meta.configs.end()) return fallback;
  int64_t v = fallback;
  std::from_chars(it->second.data(), it->second.data() + it->second.size(), v);
  return v;
}

// The log start retention allows: past every batch older than the time
// limit, and past the oldest batches while the rest still exceed the byte
// limit (Kafka's rule for segments). Never past the high watermark.
Result<int64_t> RetentionTarget(const RecordStore& store, const Partition& p, int64_t stored_bytes,
                                int64_t retention_ms, int64_t retention_bytes, int64_t now_ms) {
  const int64_t hwm = p.high_watermark.load();
  int64_t target = p.log_start.load();
  int64_t left = stored_bytes;
  CORELOG_TRY(store.ScanBatches(p.id, target, [&](const BatchInfo& b) {
    if (b.last_offset >= hwm) return false;
    bool too_old = retention_ms >= 0 && b.max_timestamp < now_ms - retention_ms;
    bool too_big = retention_bytes >= 0 && left - b.size >= retention_bytes;
    if (!too_old && !too_big) return false;
    target = b.last_offset + 1;
    left -= b.size;
    return true;
  }));
  return std::min(target, hwm);
}

}  // namespace

void Storage::EnforceRetention(uint32_t core) {
  const int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
  for (const auto& topic : topics_->All()) {
    const int64_t ms = TopicLimit(*topic, "retention.ms", config_.log_retention_ms);
    const int64_t bytes = TopicLimit(*topic, "retention.bytes", config_.log_retention_bytes);
    if (ms < 0 && bytes < 0) continue;
    for (const auto& p : topic->partitions) {
      if (p->owner != core || p->deleted.load()) continue;
      auto target = RetentionTarget(*store_, *p, StoredBytes(*p), ms, bytes, now_ms);
      if (!target) {
        LOG_ERROR("retention of " << p->topic << "-" << p->index << ": " << target.error().message());
        continue;
      }
      if (*target <= p->log_start.load()) continue;
      AdvanceLogStart(p, *target, [p](Result<int64_t> r) {
        if (!r) {
          LOG_ERROR("retention of " << p->topic << "-" << p->index << ": " << r.error().message());
        } else {
          LOG_DEBUG("retention moved " << p->topic << "-" << p->index << " log start to " << *r);
        }
      });
    }
  }
}

void Storage::AddWaiter(Partition& p, std::weak_ptr<const std::function<void()>> wake) {
  std::erase_if(p.waiters, [](const auto& w) { return w.expired(); });
  p.waiters.push_back(std::move(wake));
}

Status Storage::SyncAll() {
  if (!wal_) return Ok();
  return wal_->SyncAll();
}

}  // namespace corelog::broker

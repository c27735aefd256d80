#include "broker/storage.h"

#include <fcntl.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "broker/kafka/record_batch.h"
#include "common/coding.h"
#include "common/log.h"
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
  options.recovery = PolicyFromName(config_.wal_recovery_policy);
  bool exists = std::filesystem::exists(options.dir, ec);
  auto opened = exists ? wal::Manager::Open(options) : wal::Manager::Create(options);
  if (!opened) return opened.error().Wrap("opening the WAL in " + options.dir);
  wal_ = std::move(*opened);
  CORELOG_TRY(ReplayWal());
  SetOffsetsFromStore();
  return Ok();
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

// Re-applies every data entry of every core. Idempotent: an entry already in
// RocksDB is written again with the same key and bytes.
Status Storage::ReplayWal() {
  uint64_t entries = 0;
  for (uint32_t core = 0; core < wal_->num_cores(); ++core) {
    auto reader = wal_->NewReader(core, 0);
    if (!reader) return reader.error().Wrap("replaying the WAL of core " + std::to_string(core));
    while (true) {
      auto next = (*reader)->Next();
      if (!next) return next.error().Wrap("replaying the WAL of core " + std::to_string(core));
      if (!*next) break;
      const wal::Entry& e = **next;
      if (e.kind != wal::EntryKind::kData) continue;
      if (!topics_->ById(e.partition_id)) continue;  // its topic was deleted
      CORELOG_TRY(store_->PutBatch(e.partition_id, e.base_offset, e.payload));
      ++entries;
    }
  }
  LOG_INFO("recovery replayed " << entries << " WAL data entries");
  return Ok();
}

void Storage::SetOffsetsFromStore() {
  for (const auto& topic : topics_->All()) {
    for (const auto& p : topic->partitions) {
      auto range = store_->Range(p->id);
      if (!range || range->empty) continue;
      p->log_start.store(range->first_offset);
      p->log_end = range->next_offset;
      p->high_watermark.store(range->next_offset);
    }
  }
}

void Storage::Append(Partition& p, std::string batch,
                     std::function<void(Result<AppendResult>)> done) {
  const int64_t base = p.log_end;
  const int64_t next = base + DecodeBE<int32_t>(batch.data() + kLastOffsetDeltaPos) + 1;
  // The broker owns these two header fields; both lie outside the batch CRC.
  kafka::SetBaseOffset(batch, base);
  kafka::SetPartitionLeaderEpoch(batch, 0);
  auto& writer = wal_->writer(p.owner);
  auto appended = writer.AppendData(p.id, base, batch);
  if (!appended) {
    LOG_ERROR("WAL append for " << p.topic << "-" << p.index << " failed: "
                                << appended.error().message());
    return done(appended.error());
  }
  p.log_end = next;
  auto shared = std::make_shared<std::string>(std::move(batch));
  Partition* part = &p;
  writer.Sync([this, part, base, next, shared, done = std::move(done)](Status synced) mutable {
    // The WAL's sync thread calls this; the partition belongs to its core.
    cores_->Post(part->owner, [this, part, base, next, shared, synced, done = std::move(done)] {
      if (!synced) return done(synced.error());
      if (auto st = store_->PutBatch(part->id, base, *shared); !st) return done(st.error());
      if (next > part->high_watermark.load()) part->high_watermark.store(next);
      auto waiters = std::move(part->waiters);
      part->waiters.clear();
      for (auto& w : waiters) {
        if (auto wake = w.lock()) (*wake)();
      }
      done(AppendResult{base, part->log_start.load()});
    });
  });
}

Result<ReadResult> Storage::Read(const Partition& p, int64_t offset, size_t max_bytes) const {
  ReadResult r;
  r.high_watermark = p.high_watermark.load();
  r.log_start = p.log_start.load();
  if (offset < r.log_start || offset > r.high_watermark) {
    r.out_of_range = true;
    return r;
  }
  if (offset == r.high_watermark) return r;
  CORELOG_TRY(store_->ReadBatches(p.id, offset, r.high_watermark, max_bytes, &r.records));
  return r;
}

Result<TimestampOffset> Storage::OffsetForTimestamp(const Partition& p, int64_t ts) const {
  CORELOG_ASSIGN_OR_RETURN(auto found, store_->OffsetForTimestamp(p.id, ts, p.high_watermark.load()));
  return TimestampOffset{found.offset, found.timestamp};
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

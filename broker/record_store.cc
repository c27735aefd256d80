#include "broker/record_store.h"

#include <fcntl.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <rocksdb/db.h>
#include <rocksdb/options.h>
#include <rocksdb/slice.h>
#include <rocksdb/table.h>
#include <rocksdb/write_batch.h>

#include <filesystem>
#include <optional>

#include "broker/kafka/record_batch.h"
#include "broker/rocksdb_crc32c.h"
#include "common/coding.h"
#include "common/log.h"

namespace corelog::broker {
namespace {

constexpr size_t kBaseOffsetPos = 0;
constexpr size_t kLastOffsetDeltaPos = 23;
constexpr size_t kMaxTimestampPos = 35;
constexpr const char* kNextPartitionIdKey = "mnext_partition_id";

Error StoreError(const rocksdb::Status& s, const std::string& what) {
  return Error(std::make_error_code(std::errc::io_error), what + ": " + s.ToString());
}

std::string RecordKey(uint32_t partition_id, int64_t base_offset) {
  std::string key = "r";
  AppendBE<uint32_t>(&key, partition_id);
  // Offsets are never negative, so big-endian order is numeric order.
  AppendBE<int64_t>(&key, base_offset);
  return key;
}

std::string PartitionPrefix(uint32_t partition_id) {
  std::string key = "r";
  AppendBE<uint32_t>(&key, partition_id);
  return key;
}

bool InPartition(const rocksdb::Slice& key, const std::string& prefix) {
  return key.size() == prefix.size() + 8 && key.starts_with(prefix);
}

std::string_view View(const rocksdb::Slice& s) { return {s.data(), s.size()}; }

// The stored batch an iterator inside a partition's keys points at.
BatchInfo InfoAt(const rocksdb::Iterator& it) {
  return DecodeBatchValue(DecodeBE<int64_t>(it.key().data() + 5), View(it.value()));
}

constexpr char kLocationTag = '\xC1';
constexpr size_t kLocationSize = 1 + 4 + 8 + 8 + 4 + 8 + 4;

bool IsLocation(std::string_view value) {
  return value.size() == kLocationSize && value[0] == kLocationTag;
}

std::string TopicKey(const std::string& name) { return "t" + name; }

constexpr char kStatePrefix = 'l';
constexpr uint8_t kStateVersion = 1;
constexpr size_t kStateSize = 1 + 3 * 8;

std::optional<PartitionState> DecodePartitionState(std::string_view v) {
  if (v.size() != kStateSize || static_cast<uint8_t>(v[0]) != kStateVersion) return std::nullopt;
  return PartitionState{DecodeLE<int64_t>(v.data() + 1), DecodeLE<int64_t>(v.data() + 9),
                        DecodeLE<int64_t>(v.data() + 17)};
}

std::string EncodeTopic(const TopicMeta& t) {
  boost::json::object o;
  o["name"] = t.name;
  boost::json::array ids;
  for (uint32_t id : t.partition_ids) ids.push_back(id);
  o["partition_ids"] = std::move(ids);
  boost::json::object configs;
  for (const auto& [k, v] : t.configs) configs[k] = v;
  o["configs"] = std::move(configs);
  return boost::json::serialize(o);
}

TopicMeta DecodeTopicObject(const boost::json::object& o);

Result<TopicMeta> DecodeTopic(std::string_view text) {
  auto bad = Error(std::make_error_code(std::errc::illegal_byte_sequence), "bad topic record");
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(text, ec);
  if (ec || !v.is_object()) return bad;
  // Boost.JSON's accessors throw on a wrong shape; a record we wrote
  // ourselves only has a wrong shape if it is corrupt.
  try {
    return DecodeTopicObject(v.as_object());
  } catch (const std::exception&) {
    return bad;
  }
}

TopicMeta DecodeTopicObject(const boost::json::object& o) {
  TopicMeta t;
  t.name = std::string(o.at("name").as_string());
  for (const auto& id : o.at("partition_ids").as_array()) {
    t.partition_ids.push_back(static_cast<uint32_t>(id.to_number<uint64_t>()));
  }
  for (const auto& [k, val] : o.at("configs").as_object()) {
    t.configs[std::string(k)] = std::string(val.as_string());
  }
  return t;
}

// Whether files in `dir` can be written with O_DIRECT (some file systems,
// tmpfs among them, refuse it).
bool DirectIoWorks(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  const std::string probe = dir + "/.direct-io-probe";
  int fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_DIRECT | O_CLOEXEC, 0644);
  if (fd < 0) return false;
  ::close(fd);
  ::unlink(probe.c_str());
  return true;
}

rocksdb::Options StoreOptions(bool direct_io) {
  rocksdb::Options options;
  options.create_if_missing = true;
  // Batches are usually compressed by the client already; more compression
  // would burn CPU for little gain.
  options.compression = rocksdb::kNoCompression;
  options.write_buffer_size = 64 << 20;
  options.max_background_jobs = 2;
  // Record batches go to blob files: a flush writes each batch once and
  // compactions move only keys and blob references, never the record bytes
  // again. Blob files whose batches are all deleted are dropped whole.
  options.enable_blob_files = true;
  options.min_blob_size = 512;
  options.blob_file_size = 256 << 20;
  // Write back flush output as it goes, so a flush's final sync is short and
  // does not hold up the WAL's group-commit fdatasync on the same disk.
  options.bytes_per_sync = 1 << 20;
  // Flushes write their files with O_DIRECT where the disk allows it: the
  // kernel's copy of every flushed byte into the page cache cost more CPU
  // than anything else in the flush but RocksDB's checksums (broker, 800 MB
  // of 1 KB records, interleaved: 1.9-2.2 CPU-s/GB against 2.6-3.5).
  // Fetches of flushed batches then read the disk once, then the page cache.
  options.use_direct_io_for_flush_and_compaction = direct_io;
  return options;
}

}  // namespace

std::string PartitionStateKey(uint32_t partition_id) {
  std::string key(1, kStatePrefix);
  AppendBE<uint32_t>(&key, partition_id);
  return key;
}

std::string EncodePartitionState(const PartitionState& s) {
  std::string v(1, static_cast<char>(kStateVersion));
  AppendLE<int64_t>(&v, s.log_start);
  AppendLE<int64_t>(&v, s.log_end);
  AppendLE<int64_t>(&v, s.stored_bytes);
  return v;
}

std::string EncodeBatchLocation(std::string_view batch, const wal::DataLocation& at) {
  std::string v(1, kLocationTag);
  AppendLE<uint32_t>(&v, at.core);
  AppendLE<uint64_t>(&v, at.position);
  AppendLE<uint64_t>(&v, at.end_position);
  AppendLE<int32_t>(&v, DecodeBE<int32_t>(batch.data() + kLastOffsetDeltaPos));
  AppendLE<int64_t>(&v, BatchMaxTimestamp(batch));
  AppendLE<uint32_t>(&v, static_cast<uint32_t>(batch.size()));
  return v;
}

BatchInfo DecodeBatchValue(int64_t base_offset, std::string_view value) {
  if (!IsLocation(value)) {
    return {base_offset, BatchLastOffset(value), BatchMaxTimestamp(value),
            static_cast<int64_t>(value.size()), std::nullopt};
  }
  const char* p = value.data() + 1;
  wal::DataLocation at{DecodeLE<uint32_t>(p), DecodeLE<uint64_t>(p + 4), DecodeLE<uint64_t>(p + 12)};
  return {base_offset, base_offset + DecodeLE<int32_t>(p + 20), DecodeLE<int64_t>(p + 24),
          DecodeLE<uint32_t>(p + 32), at};
}

int64_t BatchBaseOffset(std::string_view batch) { return DecodeBE<int64_t>(batch.data() + kBaseOffsetPos); }

int64_t BatchLastOffset(std::string_view batch) {
  return BatchBaseOffset(batch) + DecodeBE<int32_t>(batch.data() + kLastOffsetDeltaPos);
}

int64_t BatchMaxTimestamp(std::string_view batch) {
  return DecodeBE<int64_t>(batch.data() + kMaxTimestampPos);
}

RecordStore::RecordStore(std::unique_ptr<rocksdb::DB> db) : db_(std::move(db)) {}
RecordStore::~RecordStore() = default;

Result<std::unique_ptr<RecordStore>> RecordStore::Open(const std::string& dir) {
  static const bool logged = [] {
    LOG_INFO("RocksDB checksums use corelog's CRC-32C (" << RocksDbCrc32cMethod() << ")");
    return true;
  }();
  (void)logged;
  rocksdb::DB* raw = nullptr;
  rocksdb::Status s = rocksdb::DB::Open(StoreOptions(DirectIoWorks(dir)), dir, &raw);
  if (!s.ok()) return StoreError(s, "opening RocksDB at " + dir);
  return std::unique_ptr<RecordStore>(new RecordStore(std::unique_ptr<rocksdb::DB>(raw)));
}

Status RecordStore::PutBatch(uint32_t partition_id, int64_t base_offset, std::string_view batch) {
  // One write batch per thread, cleared and reused: DB::Put would allocate
  // and free a buffer as large as the record batch on every call.
  thread_local rocksdb::WriteBatch write;
  write.Clear();
  auto s = write.Put(RecordKey(partition_id, base_offset), rocksdb::Slice(batch.data(), batch.size()));
  if (!s.ok()) return StoreError(s, "storing a batch");
  rocksdb::WriteOptions wo;
  wo.disableWAL = true;
  s = db_->Write(wo, &write);
  if (!s.ok()) return StoreError(s, "storing a batch");
  return Ok();
}

Status RecordStore::PutBatchLocation(uint32_t partition_id, int64_t base_offset,
                                     std::string_view batch, const wal::DataLocation& at) {
  rocksdb::WriteOptions wo;
  wo.disableWAL = true;
  auto s = db_->Put(wo, RecordKey(partition_id, base_offset), EncodeBatchLocation(batch, at));
  if (!s.ok()) return StoreError(s, "storing a batch's location");
  return Ok();
}

Status RecordStore::AppendBatch(std::string_view value, std::string* out) const {
  if (!IsLocation(value)) {
    out->append(value);
    return Ok();
  }
  const BatchInfo info = DecodeBatchValue(0, value);
  if (wal_ == nullptr) return StoreError(rocksdb::Status::Aborted(), "reading a batch before the WAL is open");
  const size_t before = out->size();
  CORELOG_TRY(wal_->AppendDataPayload(*info.location, out));
  if (out->size() - before != static_cast<size_t>(info.size)) {
    out->resize(before);
    return Error(std::make_error_code(std::errc::illegal_byte_sequence),
                 "the WAL entry at core " + std::to_string(info.location->core) + " position " +
                     std::to_string(info.location->position) + " is not the batch stored there");
  }
  return Ok();
}

Result<std::optional<wal::DataLocation>> RecordStore::OldestLocation(uint32_t partition_id) const {
  std::string prefix = PartitionPrefix(partition_id);
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
  it->Seek(prefix);
  if (!it->status().ok()) return StoreError(it->status(), "finding a partition's oldest batch");
  if (!it->Valid() || !InPartition(it->key(), prefix)) return std::optional<wal::DataLocation>();
  return InfoAt(*it).location;
}

Status RecordStore::Apply(const StateMutation& mutation) {
  rocksdb::WriteBatch batch;
  for (const auto& [k, v] : mutation.puts) batch.Put(k, v);
  for (const auto& k : mutation.deletes) batch.Delete(k);
  rocksdb::WriteOptions wo;
  wo.disableWAL = true;
  auto s = db_->Write(wo, &batch);
  if (!s.ok()) return StoreError(s, "applying broker state");
  return Ok();
}

Status RecordStore::Scan(std::string_view prefix,
                         const std::function<Status(std::string_view, std::string_view)>& fn) const {
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
  rocksdb::Slice p(prefix.data(), prefix.size());
  for (it->Seek(p); it->Valid() && it->key().starts_with(p); it->Next()) {
    CORELOG_TRY(fn({it->key().data(), it->key().size()}, {it->value().data(), it->value().size()}));
  }
  if (!it->status().ok()) return StoreError(it->status(), "scanning state");
  return Ok();
}

Status RecordStore::ReadBatches(uint32_t partition_id, int64_t offset, int64_t end_offset,
                                size_t max_bytes, std::string* out, bool oversized_first) const {
  std::string prefix = PartitionPrefix(partition_id);
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
  // The batch containing `offset` starts at or before it.
  it->SeekForPrev(RecordKey(partition_id, offset));
  if (!it->Valid() || !InPartition(it->key(), prefix)) it->Seek(RecordKey(partition_id, offset));
  bool first = true;
  for (; it->Valid() && InPartition(it->key(), prefix); it->Next()) {
    const BatchInfo batch = InfoAt(*it);
    if (batch.base_offset >= end_offset) break;
    if (batch.last_offset < offset) continue;
    if ((!first || !oversized_first) && out->size() + batch.size > max_bytes) break;
    CORELOG_TRY(AppendBatch(View(it->value()), out));
    first = false;
    if (out->size() >= max_bytes) break;
  }
  if (!it->status().ok()) return StoreError(it->status(), "reading batches");
  return Ok();
}

Result<RecordStore::BatchTime> RecordStore::OffsetForTimestamp(uint32_t partition_id, int64_t ts,
                                                int64_t end_offset) const {
  std::string prefix = PartitionPrefix(partition_id);
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
  for (it->Seek(prefix); it->Valid() && InPartition(it->key(), prefix); it->Next()) {
    const BatchInfo info = InfoAt(*it);
    if (info.base_offset >= end_offset) break;
    if (info.max_timestamp < ts) continue;
    // The first record at or after ts inside the batch (whole batch when
    // compressed: a fetch from its base still returns that record).
    std::string batch;
    CORELOG_TRY(AppendBatch(View(it->value()), &batch));
    auto view = kafka::RecordBatchView::Parse(batch);
    auto found = view ? kafka::FindOffsetForTimestamp(*view, ts) : std::nullopt;
    if (found) return BatchTime{found->offset, found->timestamp};
    return BatchTime{info.base_offset, info.max_timestamp};
  }
  if (!it->status().ok()) return StoreError(it->status(), "searching by timestamp");
  return BatchTime{};
}

Result<StoredRange> RecordStore::Range(uint32_t partition_id) const {
  std::string prefix = PartitionPrefix(partition_id);
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
  StoredRange range;
  it->Seek(prefix);
  if (!it->Valid() || !InPartition(it->key(), prefix)) return range;
  range.empty = false;
  range.first_offset = InfoAt(*it).base_offset;
  it->SeekForPrev(RecordKey(partition_id, INT64_MAX));
  range.next_offset = InfoAt(*it).last_offset + 1;
  if (!it->status().ok()) return StoreError(it->status(), "reading a partition's range");
  return range;
}

Status RecordStore::DeletePartition(uint32_t partition_id) {
  rocksdb::WriteBatch batch;
  batch.DeleteRange(RecordKey(partition_id, 0), RecordKey(partition_id, INT64_MAX));
  batch.Delete(PartitionStateKey(partition_id));
  rocksdb::WriteOptions wo;
  wo.sync = true;
  auto s = db_->Write(wo, &batch);
  if (!s.ok()) return StoreError(s, "deleting a partition's records");
  return Ok();
}

Status RecordStore::ScanBatches(uint32_t partition_id, int64_t offset,
                                const std::function<bool(const BatchInfo&)>& fn) const {
  std::string prefix = PartitionPrefix(partition_id);
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
  it->SeekForPrev(RecordKey(partition_id, offset));
  if (!it->Valid() || !InPartition(it->key(), prefix)) it->Seek(RecordKey(partition_id, offset));
  for (; it->Valid() && InPartition(it->key(), prefix); it->Next()) {
    const BatchInfo info = InfoAt(*it);
    if (info.last_offset < offset) continue;
    if (!fn(info)) break;
  }
  if (!it->status().ok()) return StoreError(it->status(), "scanning batches");
  return Ok();
}

Status RecordStore::DeleteBatchesBefore(uint32_t partition_id, int64_t end_offset) {
  rocksdb::WriteOptions wo;
  wo.disableWAL = true;
  auto s = db_->DeleteRange(wo, db_->DefaultColumnFamily(), RecordKey(partition_id, 0),
                            RecordKey(partition_id, end_offset));
  if (!s.ok()) return StoreError(s, "deleting old batches");
  return Ok();
}

Result<std::map<uint32_t, PartitionState>> RecordStore::LoadPartitionStates() const {
  std::map<uint32_t, PartitionState> out;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
  const std::string prefix(1, kStatePrefix);
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    if (it->key().size() != 5) continue;
    auto state = DecodePartitionState({it->value().data(), it->value().size()});
    if (!state) {
      return Error(std::make_error_code(std::errc::illegal_byte_sequence),
                   "bad partition state record " + it->key().ToString(true));
    }
    out[DecodeBE<uint32_t>(it->key().data() + 1)] = *state;
  }
  if (!it->status().ok()) return StoreError(it->status(), "loading partition states");
  return out;
}

Status RecordStore::PutTopic(const TopicMeta& topic, uint32_t next_partition_id) {
  rocksdb::WriteBatch batch;
  batch.Put(TopicKey(topic.name), EncodeTopic(topic));
  std::string id;
  AppendBE<uint32_t>(&id, next_partition_id);
  batch.Put(kNextPartitionIdKey, id);
  rocksdb::WriteOptions wo;
  wo.sync = true;
  auto s = db_->Write(wo, &batch);
  if (!s.ok()) return StoreError(s, "storing topic " + topic.name);
  return Ok();
}

Result<int64_t> RecordStore::NewProducerId() {
  static constexpr std::string_view kKey = "mnext_producer_id";
  std::lock_guard lock(producer_id_mu_);
  std::string value;
  auto s = db_->Get(rocksdb::ReadOptions(), rocksdb::Slice(kKey.data(), kKey.size()), &value);
  if (!s.ok() && !s.IsNotFound()) return StoreError(s, "reading the next producer id");
  int64_t id = value.size() == 8 ? DecodeBE<int64_t>(value.data()) : 0;
  std::string next;
  AppendBE<int64_t>(&next, id + 1);
  rocksdb::WriteOptions wo;
  wo.sync = true;
  s = db_->Put(wo, rocksdb::Slice(kKey.data(), kKey.size()), next);
  if (!s.ok()) return StoreError(s, "storing the next producer id");
  return id;
}

Result<uint32_t> RecordStore::LoadNextPartitionId() const {
  std::string value;
  auto s = db_->Get(rocksdb::ReadOptions(), kNextPartitionIdKey, &value);
  if (s.IsNotFound()) return uint32_t{0};
  if (!s.ok() || value.size() != 4) return StoreError(s, "reading the next partition id");
  return DecodeBE<uint32_t>(value.data());
}

Status RecordStore::DeleteTopic(const std::string& name) {
  rocksdb::WriteOptions wo;
  wo.sync = true;
  auto s = db_->Delete(wo, TopicKey(name));
  if (!s.ok()) return StoreError(s, "deleting topic " + name);
  return Ok();
}

Result<std::vector<TopicMeta>> RecordStore::LoadTopics() const {
  std::vector<TopicMeta> topics;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
  for (it->Seek("t"); it->Valid() && it->key().starts_with("t"); it->Next()) {
    auto t = DecodeTopic({it->value().data(), it->value().size()});
    if (!t) return t.error().Wrap("loading topic " + it->key().ToString().substr(1));
    topics.push_back(std::move(*t));
  }
  if (!it->status().ok()) return StoreError(it->status(), "loading topics");
  return topics;
}

}  // namespace corelog::broker

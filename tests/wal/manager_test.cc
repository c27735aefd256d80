#include "wal/manager.h"

#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <thread>

#include "tests/wal/wal_test_util.h"
#include "wal/errc.h"

namespace corelog::wal {
namespace {

using testing::FaultFileSystem;
using testing::MemOptions;
using testing::MustCreate;
using testing::MustOpen;
using testing::Payloads;
using testing::ReadCore;
using testing::TempDir;

// A one-core in-memory WAL of 200-byte segments (about three 60-byte
// entries each) holding `count` synced entries, the i-th filled with 'a' + i;
// *ends gets each entry's end position.
std::unique_ptr<Manager> SmallSegments(FaultFileSystem* fs, Options* options, int count,
                                       std::vector<uint64_t>* ends) {
  *options = MemOptions(fs, 1);
  options->segment_bytes = 200;
  auto m = MustCreate(*options);
  for (int i = 0; i < count; ++i) {
    ends->push_back(*m->writer(0).AppendData(0, i, std::string(60, static_cast<char>('a' + i))));
  }
  EXPECT_TRUE(m->SyncAll());
  return m;
}

TEST(WalManager, CreateMakesOneWriterPerCoreAtEpochZero) {
  TempDir dir;
  Options options;
  options.dir = dir.path();
  options.num_cores = 4;
  auto m = MustCreate(options);
  EXPECT_EQ(m->num_cores(), 4u);
  EXPECT_EQ(m->epoch(), 0u);
  for (uint32_t core = 0; core < 4; ++core) {
    EXPECT_EQ(m->writer(core).core_id(), core);
    EXPECT_TRUE(std::filesystem::exists(m->SegmentPath(core, 0)));
  }
}

TEST(WalManager, WriterCheckedNamesTheValidRange) {
  FaultFileSystem fs;
  auto m = MustCreate(MemOptions(&fs, 4));
  ASSERT_TRUE(m->WriterChecked(3));
  EXPECT_EQ((*m->WriterChecked(3))->core_id(), 3u);
  auto bad = m->WriterChecked(5);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code(), Errc::kInvalidCore);
  EXPECT_NE(bad.error().message().find("0..3"), std::string::npos) << bad.error().message();
}

TEST(WalManager, AdvanceEpochReturnsTheNewEpoch) {
  FaultFileSystem fs;
  auto m = MustCreate(MemOptions(&fs));
  EXPECT_EQ(m->AdvanceEpoch(), 1u);
  EXPECT_EQ(m->epoch(), 1u);
  EXPECT_EQ(m->AdvanceEpoch(), 2u);
}

TEST(WalManager, SetEpochAllStampsEveryWriterAndNeverLowers) {
  FaultFileSystem fs;
  auto m = MustCreate(MemOptions(&fs, 4));
  ASSERT_TRUE(m->SetEpochAll(5));
  for (uint32_t core = 0; core < 4; ++core) EXPECT_EQ(m->writer(core).epoch(), 5u);
  EXPECT_EQ(m->epoch(), 5u);
  EXPECT_FALSE(m->SetEpochAll(4));
}

TEST(WalManager, WritesOnEveryCoreAdvanceTheirPositions) {
  FaultFileSystem fs;
  auto m = MustCreate(MemOptions(&fs, 4));
  for (uint32_t core = 0; core < 4; ++core) {
    ASSERT_TRUE(m->writer(core).AppendData(core, 0, "value" + std::to_string(core)));
  }
  ASSERT_TRUE(m->SyncAll());
  for (uint64_t p : m->positions()) EXPECT_GT(p, 0u);
  EXPECT_EQ(m->positions(), m->synced_positions());
}

TEST(WalManager, MergeOrdersByEpochThenCoreThenSequence) {
  FaultFileSystem fs;
  auto m = MustCreate(MemOptions(&fs));
  ASSERT_TRUE(m->SetEpochAll(1));
  ASSERT_TRUE(m->writer(1).AppendData(0, 0, "1a"));
  ASSERT_TRUE(m->writer(0).AppendData(0, 0, "0a"));
  ASSERT_TRUE(m->writer(0).AppendData(0, 1, "0b"));
  ASSERT_TRUE(m->SetEpochAll(2));
  ASSERT_TRUE(m->writer(1).AppendData(0, 1, "1c"));
  ASSERT_TRUE(m->writer(0).AppendData(0, 2, "0c"));
  ASSERT_TRUE(m->SyncAll());
  auto merged = m->MergeEntries();
  ASSERT_TRUE(merged);
  EXPECT_EQ(Payloads(*merged), (std::vector<std::string>{"0a", "0b", "1a", "0c", "1c"}));
}

TEST(WalManager, MergeUpToEpochLeavesOutLaterEpochs) {
  FaultFileSystem fs;
  auto m = MustCreate(MemOptions(&fs));
  for (uint64_t epoch = 1; epoch <= 3; ++epoch) {
    ASSERT_TRUE(m->SetEpochAll(epoch));
    ASSERT_TRUE(m->writer(0).AppendData(0, 0, "e" + std::to_string(epoch)));
  }
  ASSERT_TRUE(m->SyncAll());
  auto merged = m->MergeEntriesUpToEpoch(2);
  ASSERT_TRUE(merged);
  EXPECT_EQ(Payloads(*merged), (std::vector<std::string>{"e1", "e2"}));
}

TEST(WalManager, ResetAllDiscardsEntriesButKeepsPositionsMonotonic) {
  FaultFileSystem fs;
  Options options = MemOptions(&fs);
  auto m = MustCreate(options);
  ASSERT_TRUE(m->writer(0).AppendData(0, 0, "value0"));
  ASSERT_TRUE(m->writer(1).AppendData(0, 0, "value1"));
  ASSERT_TRUE(m->SyncAll());
  EXPECT_GT(m->TotalSize(), 0u);
  std::vector<uint64_t> before = m->positions();
  ASSERT_TRUE(m->ResetAll());
  EXPECT_EQ(m->TotalSize(), 0u);
  EXPECT_EQ(m->positions(), before);
  EXPECT_TRUE(ReadCore(options, 0).empty());
  auto end = m->writer(0).AppendData(0, 1, "after");
  ASSERT_TRUE(end);
  EXPECT_GT(*end, before[0]);
  ASSERT_TRUE(m->SyncAll());
  m.reset();
  m = MustOpen(options);
  EXPECT_EQ(Payloads(ReadCore(options, 0)), std::vector<std::string>{"after"});
  EXPECT_EQ(m->positions()[1], before[1]);
}

TEST(WalManager, TruncateAllCutsEachCoreToItsPosition) {
  FaultFileSystem fs;
  Options options = MemOptions(&fs);
  auto m = MustCreate(options);
  auto pos0 = m->writer(0).AppendData(0, 0, "keep");
  ASSERT_TRUE(pos0);
  ASSERT_TRUE(m->writer(0).AppendData(0, 1, "drop"));
  ASSERT_TRUE(m->writer(1).AppendData(0, 0, "drop"));
  ASSERT_TRUE(m->SyncAll());
  std::vector<uint64_t> cut = {*pos0, 0};
  ASSERT_TRUE(m->TruncateAll(cut));
  EXPECT_EQ(m->positions(), cut);
  EXPECT_EQ(Payloads(ReadCore(options, 0)), std::vector<std::string>{"keep"});
  EXPECT_TRUE(ReadCore(options, 1).empty());
  ASSERT_TRUE(m->writer(0).AppendData(0, 1, "again"));
  ASSERT_TRUE(m->SyncAll());
  EXPECT_EQ(Payloads(ReadCore(options, 0)), (std::vector<std::string>{"keep", "again"}));
}

TEST(WalManager, TruncateAllRejectsAWrongLengthOrAMidEntryPosition) {
  FaultFileSystem fs;
  auto m = MustCreate(MemOptions(&fs));
  ASSERT_TRUE(m->writer(0).AppendData(0, 0, "payload"));
  std::vector<uint64_t> three = {0, 0, 0};
  Status wrong = m->TruncateAll(three);
  ASSERT_FALSE(wrong);
  EXPECT_EQ(wrong.error().code(), Errc::kInvalidArgument);
  std::vector<uint64_t> mid = {5, 0};
  EXPECT_FALSE(m->TruncateAll(mid));
}

TEST(WalManager, BarrierAllWritesABarrierOnEveryCore) {
  FaultFileSystem fs;
  auto m = MustCreate(MemOptions(&fs));
  ASSERT_TRUE(m->SetEpochAll(1));
  ASSERT_TRUE(m->WriteBarrierAll());
  ASSERT_TRUE(m->SyncAll());
  auto merged = m->MergeEntries();
  ASSERT_TRUE(merged);
  ASSERT_EQ(merged->size(), 2u);
  for (const auto& e : *merged) {
    EXPECT_EQ(e.kind, EntryKind::kBarrier);
    EXPECT_EQ(e.epoch, 1u);
  }
}

TEST(WalManager, ReopenRestoresEpochSequenceAndEntries) {
  TempDir dir;
  Options options;
  options.dir = dir.path();
  options.num_cores = 2;
  auto m = MustCreate(options);
  ASSERT_TRUE(m->SetEpochAll(5));
  ASSERT_TRUE(m->writer(0).AppendData(0, 0, "value0"));
  ASSERT_TRUE(m->writer(1).AppendData(0, 0, "value1"));
  ASSERT_TRUE(m->writer(1).AppendBarrier(6));
  ASSERT_TRUE(m->SyncAll());
  std::vector<uint64_t> positions = m->positions();
  m.reset();
  m = MustOpen(options);
  EXPECT_EQ(m->epoch(), 6u);
  EXPECT_EQ(m->positions(), positions);
  EXPECT_EQ(m->writer(1).next_sequence(), 2u);
  ASSERT_TRUE(m->writer(0).AppendData(0, 1, "later"));
  ASSERT_TRUE(m->SyncAll());
  auto merged = m->MergeEntries();
  ASSERT_TRUE(merged);
  ASSERT_EQ(merged->size(), 4u);
  // The new entry carries the restored epoch and continues core 0's
  // sequence, so it sorts after every older entry of core 0 and of epoch 5.
  EXPECT_EQ((*merged)[2].payload, "later");
  EXPECT_EQ((*merged)[2].epoch, 6u);
  EXPECT_EQ((*merged)[2].sequence, 1u);
  EXPECT_EQ((*merged)[3].kind, EntryKind::kBarrier);
}

// Open's visitor is the replay's only pass over the files: it must see
// every valid entry exactly once, per core in log order, torn tail excluded.
TEST(WalManager, OpenHandsEveryValidEntryToTheVisitorOnceInOrder) {
  TempDir dir;
  Options options;
  options.dir = dir.path();
  options.num_cores = 2;
  options.segment_bytes = 256;  // several segments per core
  auto m = MustCreate(options);
  std::vector<std::pair<uint32_t, std::string>> written;
  for (int i = 0; i < 12; ++i) {
    const uint32_t core = static_cast<uint32_t>(i % 2);
    written.emplace_back(core, "entry-" + std::to_string(i) + std::string(40, 'x'));
    ASSERT_TRUE(m->writer(core).AppendData(7, i, written.back().second));
  }
  ASSERT_TRUE(m->SyncAll());
  m.reset();

  std::vector<std::pair<uint32_t, std::string>> seen;
  std::vector<uint64_t> last_position(2, 0);
  auto opened = Manager::Open(options, [&](const Entry& e) -> Status {
    EXPECT_GE(e.position, last_position[e.core]);
    last_position[e.core] = e.end_position;
    seen.emplace_back(e.core, std::string(e.payload));
    return Ok();
  });
  ASSERT_TRUE(opened) << opened.error().message();
  std::vector<std::pair<uint32_t, std::string>> expected;
  for (uint32_t core : {0u, 1u}) {
    for (const auto& w : written) {
      if (w.first == core) expected.push_back(w);
    }
  }
  EXPECT_EQ(seen, expected);
  EXPECT_EQ(last_position, (*opened)->positions());
}

// Segments far larger than the reader's 4 MiB chunks, entries of every size
// up to larger than a chunk: each is read back whole and in order, by the
// replay visitor and by a reader, wherever the chunk boundaries fall.
TEST(WalManager, EntriesAcrossReadChunksComeBackWhole) {
  TempDir dir;
  Options options;
  options.dir = dir.path();
  options.segment_bytes = 64 * kMiB;
  auto m = MustCreate(options);
  std::vector<std::string> written;
  uint64_t state = 12345;
  auto next = [&] { return state = state * 6364136223846793005ull + 1442695040888963407ull; };
  size_t total = 0;
  for (int i = 0; total < 40 * kMiB; ++i) {
    size_t size = (i % 17 == 16) ? 6 * kMiB + (next() >> 44) : 1 + (next() >> 43) % (1536 * 1024);
    std::string payload(size, '\0');
    for (size_t j = 0; j < size; j += 4096) payload[j] = static_cast<char>(next() >> 56);
    payload.back() = static_cast<char>(i);
    total += size;
    written.push_back(std::move(payload));
    ASSERT_TRUE(m->writer(0).AppendData(1, i, written.back()));
  }
  ASSERT_TRUE(m->SyncAll());
  m.reset();

  size_t index = 0;
  bool all_equal = true;
  auto opened = Manager::Open(options, [&](const Entry& e) -> Status {
    all_equal = all_equal && index < written.size() && e.payload == written[index];
    ++index;
    return Ok();
  });
  ASSERT_TRUE(opened) << opened.error().message();
  EXPECT_EQ(index, written.size());
  EXPECT_TRUE(all_equal);
  opened->reset();
  EXPECT_TRUE(Payloads(ReadCore(options, 0)) == written);
}

// Opening from a position reads nothing below it: damage in an older
// segment goes unnoticed, while those segments stay listed for deletion.
TEST(WalManager, OpenFromAPositionReadsOnlyTheHeadersBelowIt) {
  FaultFileSystem fs;
  Options options;
  std::vector<uint64_t> ends;
  auto m = SmallSegments(&fs, &options, 12, &ends);
  const size_t segments = m->writer(0).segment_count();
  ASSERT_GT(segments, 3u);
  m.reset();
  // The first entry of segment 0 sits right after the segment header.
  fs.FlipBit(SegmentPath(options, 0, 0), kSegmentHeaderSize + 30, 3);
  ASSERT_FALSE(Manager::Open(options));

  const uint64_t from = ends[7];
  std::vector<char> seen;
  auto opened = Manager::Open(
      options,
      [&](const Entry& e) -> Status {
        EXPECT_GE(e.position, from);
        seen.push_back(e.payload[0]);
        return Ok();
      },
      std::vector<uint64_t>{from});
  ASSERT_TRUE(opened) << opened.error().message();
  EXPECT_EQ(seen, (std::vector<char>{'i', 'j', 'k', 'l'}));
  auto& writer = (*opened)->writer(0);
  EXPECT_EQ(writer.segment_count(), segments);
  EXPECT_EQ(writer.oldest_position(), 0u);
  EXPECT_EQ(writer.position(), ends.back());
  auto deleted = (*opened)->DeleteSegmentsBelow(0, from);
  ASSERT_TRUE(deleted);
  EXPECT_GT(*deleted, 0u);
  EXPECT_FALSE(fs.Exists(SegmentPath(options, 0, 0)));
}

// Finding the start and listing the segments below it costs one block read
// per segment for its header, not the first chunk of its entries; only the
// segments from the start on are read whole.
TEST(WalManager, OpenFromAPositionReadsOneBlockPerSegmentBelowIt) {
  FaultFileSystem fs;
  Options options = MemOptions(&fs, 1);
  options.segment_bytes = 64 * 1024;
  std::vector<uint64_t> starts;
  {
    auto m = MustCreate(options);
    for (int i = 0; i < 20; ++i) {
      starts.push_back(m->writer(0).position());
      ASSERT_TRUE(m->writer(0).AppendData(0, i, std::string(30000, static_cast<char>('a' + i))));
    }
    ASSERT_TRUE(m->SyncAll());
  }
  auto from_segment = [&](const std::string& path) {
    return std::stoull(path.substr(path.rfind('/') + 1));
  };
  const uint64_t from = starts[18];
  uint64_t skipped = 0;
  uint64_t replayed_bytes = 0;
  // The segment holding `from` is the last whose first entry is at or below it.
  uint64_t start_segment = 0;
  for (const std::string& path : fs.Files()) {
    const uint64_t number = from_segment(path);
    const std::string bytes = fs.Contents(path);
    auto header = DecodeSegmentHeader(bytes);
    ASSERT_TRUE(header);
    if (header->base_position <= from) start_segment = std::max<uint64_t>(start_segment, number);
  }
  for (const std::string& path : fs.Files()) {
    if (from_segment(path) < start_segment) {
      ++skipped;
    } else {
      replayed_bytes += fs.Contents(path).size();
    }
  }
  ASSERT_GT(skipped, 5u);
  const uint64_t before = fs.bytes_read();
  ASSERT_TRUE(Manager::Open(options, nullptr, std::vector<uint64_t>{from}));
  EXPECT_LE(fs.bytes_read() - before, fs.Files().size() * kDirectIoBlock + replayed_bytes);
}

TEST(WalManager, OpenFromAPositionBelowWhatIsRetainedIsReclaimed) {
  FaultFileSystem fs;
  Options options;
  std::vector<uint64_t> ends;
  auto m = SmallSegments(&fs, &options, 8, &ends);
  ASSERT_TRUE(m->DeleteSegmentsBelow(0, ends[5]));
  m.reset();
  auto opened = Manager::Open(options, {}, std::vector<uint64_t>{ends[0]});
  ASSERT_FALSE(opened);
  EXPECT_EQ(opened.error().code(), Errc::kReclaimed);
  auto wrong = Manager::Open(options, {}, std::vector<uint64_t>{ends[6], ends[7]});
  ASSERT_FALSE(wrong);
  EXPECT_EQ(wrong.error().code(), Errc::kInvalidArgument);
}

// Appends `count` data entries of growing size to every core and returns
// where each went, in append order.
std::vector<std::pair<DataLocation, std::string>> AppendLocated(Manager& m, int count) {
  std::vector<std::pair<DataLocation, std::string>> out;
  for (int i = 0; i < count; ++i) {
    const uint32_t core = static_cast<uint32_t>(i) % m.num_cores();
    std::string payload(1 + i * 37 % 5000, static_cast<char>('a' + i % 26));
    const uint64_t position = m.writer(core).position();
    auto end = m.writer(core).AppendData(3, i, payload);
    EXPECT_TRUE(end) << end.error().message();
    out.push_back({DataLocation{core, position, end ? *end : 0}, std::move(payload)});
  }
  return out;
}

// Reads one entry back from every core, so that their tail caches keep the
// batches written next (a cache keeps nothing while nobody reads).
void StartReading(Manager& m) {
  for (uint32_t core = 0; core < m.num_cores(); ++core) {
    const uint64_t position = m.writer(core).position();
    auto end = m.writer(core).AppendData(1, 0, "first");
    ASSERT_TRUE(end);
    ASSERT_TRUE(m.SyncAll());
    std::string out;
    ASSERT_TRUE(m.AppendDataPayload({core, position, *end}, &out));
  }
}

// A data entry is read back by its location alone, on a real direct-I/O
// WAL and on the fault file system, whatever segment and block it is in,
// from the segment files and from the tail cache (one batch, so the cached
// bytes hold segment headers between the entries).
TEST(WalManager, DataEntriesAreReadBackByLocation) {
  for (auto [direct, cache] : {std::pair{true, 0}, {true, 1}, {false, 0}, {false, 1}}) {
    SCOPED_TRACE(std::string(direct ? "direct" : "in memory") + (cache ? ", cached" : ""));
    TempDir dir;
    FaultFileSystem fs;
    Options options = direct ? Options{} : MemOptions(&fs, 2);
    if (direct) {
      options.dir = dir.path();
      options.num_cores = 2;
      options.direct_io = true;
    }
    options.tail_cache_bytes = cache ? 8 * kMiB : 0;
    options.segment_bytes = 8192;  // entries land in many segments and across blocks
    auto m = MustCreate(options);
    StartReading(*m);
    auto written = AppendLocated(*m, 60);
    ASSERT_TRUE(m->SyncAll());
    ASSERT_GT(m->writer(0).segment_count(), 3u);
    for (const auto& [at, payload] : written) {
      std::string out = "prefix";
      auto st = m->AppendDataPayload(at, &out);
      ASSERT_TRUE(st) << st.error().message();
      EXPECT_EQ(out, "prefix" + payload);
    }
  }
}

// Flips a bit inside the entry at `at` in its segment file.
void DamageOnDisk(FaultFileSystem& fs, const Options& options, Manager& m,
                  const DataLocation& at) {
  auto segment = m.writer(at.core).SegmentHolding(at.position);
  ASSERT_TRUE(segment);
  fs.FlipBit(SegmentPath(options, at.core, segment->number),
             kSegmentHeaderSize + (at.position - segment->base_position) + 30, 2);
}

TEST(WalManager, ReadingBackRefusesUnsyncedDeletedAndWrongLocations) {
  FaultFileSystem fs;
  Options options = MemOptions(&fs, 1);
  options.segment_bytes = 300;
  options.tail_cache_bytes = 0;  // the damage below is on disk
  auto m = MustCreate(options);
  auto written = AppendLocated(*m, 12);
  ASSERT_TRUE(m->SyncAll());
  std::string out;
  // Not synced yet.
  const uint64_t position = m->writer(0).position();
  auto end = m->writer(0).AppendData(3, 99, "later");
  ASSERT_TRUE(end);
  auto unsynced = m->AppendDataPayload({0, position, *end}, &out);
  ASSERT_FALSE(unsynced);
  EXPECT_EQ(unsynced.error().code(), Errc::kInvalidArgument);
  // Not where an entry is.
  DataLocation shifted = written[5].first;
  shifted.position += 1;
  auto wrong = m->AppendDataPayload(shifted, &out);
  ASSERT_FALSE(wrong);
  EXPECT_EQ(wrong.error().code(), Errc::kCorruption);
  // Damaged on disk.
  DamageOnDisk(fs, options, *m, written[7].first);
  auto damaged = m->AppendDataPayload(written[7].first, &out);
  ASSERT_FALSE(damaged);
  EXPECT_EQ(damaged.error().code(), Errc::kCorruption);
  // Deleted.
  ASSERT_TRUE(m->SyncAll());
  ASSERT_TRUE(m->DeleteSegmentsBelow(0, written[6].first.position));
  auto gone = m->AppendDataPayload(written[0].first, &out);
  ASSERT_FALSE(gone);
  EXPECT_EQ(gone.error().code(), Errc::kReclaimed);
  EXPECT_TRUE(out.empty());
  auto kept = m->AppendDataPayload(written[11].first, &out);
  ASSERT_TRUE(kept) << kept.error().message();
  EXPECT_EQ(out, written[11].second);
}


// Once someone reads, the newest batches are read from memory (their
// damaged disk copies are never seen), older ones from disk once the
// cache's size pushed them out; batches written before any read are not
// kept; and a truncation never lets the cache answer with bytes it cut.
TEST(WalManager, RecentEntriesAreReadFromMemoryWithinTheCacheSize) {
  FaultFileSystem fs;
  Options options = MemOptions(&fs, 1);
  options.segment_bytes = 4096;
  options.tail_cache_bytes = 256 * 1024;
  auto m = MustCreate(options);
  auto read = [&](const DataLocation& at) -> Result<std::string> {
    std::string out;
    CORELOG_TRY(m->AppendDataPayload(at, &out));
    return out;
  };
  auto unread = AppendLocated(*m, 3);
  ASSERT_TRUE(m->SyncAll());
  DamageOnDisk(fs, options, *m, unread[1].first);
  auto before_any_read = read(unread[1].first);
  ASSERT_FALSE(before_any_read) << "a batch was kept before anyone read";
  EXPECT_EQ(before_any_read.error().code(), Errc::kCorruption);

  auto old = AppendLocated(*m, 20);
  ASSERT_TRUE(m->SyncAll());
  for (const auto& [at, payload] : old) DamageOnDisk(fs, options, *m, at);
  uint64_t old_bytes = 0;
  for (const auto& [at, payload] : old) {
    auto got = read(at);
    ASSERT_TRUE(got) << got.error().message();
    EXPECT_EQ(*got, payload);
    old_bytes += at.end_position - at.position;
  }
  // Counted by where they came from; the failed read above counts nowhere.
  EXPECT_EQ(m->writer(0).stats().read_memory_bytes.load(), old_bytes);
  EXPECT_EQ(m->writer(0).stats().read_disk_bytes.load(), 0u);

  // Many more batches than the cache holds.
  std::vector<std::pair<DataLocation, std::string>> recent;
  for (int batch = 0; batch < 40; ++batch) {
    recent = AppendLocated(*m, 20);
    ASSERT_TRUE(m->SyncAll());
  }
  for (const auto& [at, payload] : old) {
    auto got = read(at);
    ASSERT_FALSE(got) << "an entry written " << 40 * 50 << " KB ago is still in memory";
    EXPECT_EQ(got.error().code(), Errc::kCorruption);
  }
  for (const auto& [at, payload] : recent) DamageOnDisk(fs, options, *m, at);
  for (const auto& [at, payload] : recent) {
    auto got = read(at);
    ASSERT_TRUE(got) << got.error().message();
    EXPECT_EQ(*got, payload);
  }

  // Cut back to the start of the last batch and write other bytes there, in
  // a batch too large to cache: the cut batch must not answer for them.
  const uint64_t cut = recent.front().first.position;
  ASSERT_TRUE(m->TruncateAll(std::vector<uint64_t>{cut}));
  const auto end = m->writer(0).AppendData(3, 0, std::string(recent.front().second.size(), '#'));
  ASSERT_TRUE(end);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(m->writer(0).AppendData(3, 1, std::string(100000, 'f')));
  ASSERT_TRUE(m->SyncAll());
  auto got = read({0, cut, *end});
  ASSERT_TRUE(got) << got.error().message();
  EXPECT_EQ(*got, std::string(recent.front().second.size(), '#'));
}

// A reader copies from a cached buffer outside the cache's lock while the
// writer keeps adding batches and the cache keeps letting buffers go: every
// read still returns its own entry (under ASan, a buffer freed or reused
// while read would also be reported).
TEST(WalManager, TailCacheReadsRaceWithWritesAndEvictions) {
  FaultFileSystem fs;
  Options options = MemOptions(&fs, 1);
  options.tail_cache_bytes = 64 * 1024;  // a few batches: evictions all the time
  auto m = MustCreate(options);
  StartReading(*m);
  std::mutex mu;
  std::vector<std::pair<DataLocation, std::string>> synced;
  std::atomic<bool> done{false};
  std::thread writer([&] {
    for (int i = 0; i < 400; ++i) {
      auto batch = AppendLocated(*m, 3);
      if (!m->SyncAll()) {
        ADD_FAILURE() << "sync failed";
        break;
      }
      std::lock_guard lock(mu);
      synced.insert(synced.end(), batch.begin(), batch.end());
    }
    done = true;
  });
  size_t reads = 0;
  while (!done.load()) {
    std::pair<DataLocation, std::string> pick;
    {
      std::lock_guard lock(mu);
      if (synced.empty()) continue;
      pick = synced[synced.size() - 1 - reads % std::min<size_t>(synced.size(), 9)];
    }
    std::string out;
    auto st = m->AppendDataPayload(pick.first, &out);
    if (!st || out != pick.second) {
      ADD_FAILURE() << "read " << reads << ": "
                    << (st ? "another payload" : st.error().message());
      break;
    }
    ++reads;
  }
  writer.join();
  EXPECT_GT(reads, 0u);
  EXPECT_GT(m->writer(0).stats().read_memory_bytes.load(), 0u);
}

TEST(WalManager, AnErrorFromTheOpenVisitorStopsTheOpen) {
  TempDir dir;
  Options options;
  options.dir = dir.path();
  auto m = MustCreate(options);
  ASSERT_TRUE(m->writer(0).AppendData(0, 0, "first"));
  ASSERT_TRUE(m->writer(0).AppendData(0, 1, "second"));
  ASSERT_TRUE(m->SyncAll());
  m.reset();
  int calls = 0;
  auto opened = Manager::Open(options, [&](const Entry&) -> Status {
    ++calls;
    return MakeError(Errc::kInvalidArgument, "the host refused it");
  });
  ASSERT_FALSE(opened);
  EXPECT_EQ(calls, 1);
  EXPECT_NE(opened.error().message().find("the host refused it"), std::string::npos);
}

TEST(WalManager, DebugStringNamesConfigCoresEpochAndSize) {
  FaultFileSystem fs;
  auto m = MustCreate(MemOptions(&fs, 4));
  std::string s = m->DebugString();
  for (const char* part : {"wal::Manager", "num_cores=4", "epoch=0", "total_size=0", "dir=/wal",
                           "segment_pattern=", "core=3"}) {
    EXPECT_NE(s.find(part), std::string::npos) << part << " in " << s;
  }
}

TEST(WalManager, CreateRefusesADirectoryThatHoldsAWal) {
  FaultFileSystem fs;
  MustCreate(MemOptions(&fs)).reset();
  auto again = Manager::Create(MemOptions(&fs));
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code(), Errc::kAlreadyExists);
}

TEST(WalManager, OpenWithoutSegmentsFailsNamingTheCore) {
  FaultFileSystem fs;
  auto opened = Manager::Open(MemOptions(&fs));
  ASSERT_FALSE(opened);
  EXPECT_EQ(opened.error().code(), Errc::kNotFound);
  EXPECT_NE(opened.error().message().find("core 0"), std::string::npos);
}

TEST(WalManager, SegmentsRollAtTheSizeLimitAndEntriesNeverSpanThem) {
  FaultFileSystem fs;
  Options options = MemOptions(&fs, 1);
  options.segment_bytes = 256;
  auto m = MustCreate(options);
  std::vector<std::string> written;
  for (int i = 0; i < 20; ++i) {
    written.push_back(std::string(30 + i, static_cast<char>('a' + i)));
    ASSERT_TRUE(m->writer(0).AppendData(0, i, written.back()));
  }
  ASSERT_TRUE(m->SyncAll());
  EXPECT_GT(m->writer(0).segment_count(), 5u);
  for (const std::string& path : fs.Files()) {
    EXPECT_LE(fs.Contents(path).size(), options.segment_bytes) << path;
  }
  EXPECT_EQ(Payloads(ReadCore(options, 0)), written);
  uint64_t end = m->positions()[0];
  m.reset();
  m = MustOpen(options);
  EXPECT_EQ(m->positions()[0], end);
  EXPECT_EQ(Payloads(ReadCore(options, 0)), written);
}

TEST(WalManager, DeleteSegmentsBelowReclaimsOnlyWholeSyncedSegments) {
  FaultFileSystem fs;
  Options options;
  std::vector<uint64_t> ends;
  auto m = SmallSegments(&fs, &options, 12, &ends);
  size_t before = m->writer(0).segment_count();
  auto deleted = m->DeleteSegmentsBelow(0, ends[5]);
  ASSERT_TRUE(deleted);
  EXPECT_GT(*deleted, 0u);
  EXPECT_EQ(m->writer(0).segment_count(), before - *deleted);
  EXPECT_LE(m->writer(0).oldest_position(), ends[5]);
  auto entries = ReadCore(options, 0);
  ASSERT_FALSE(entries.empty());
  EXPECT_LE(entries.front().position, ends[5]);
  EXPECT_EQ(entries.back().end_position, ends.back());
  auto reader = m->NewReader(0, 0);
  ASSERT_FALSE(reader);
  EXPECT_EQ(reader.error().code(), Errc::kReclaimed);
  m.reset();
  m = MustOpen(options);
  EXPECT_EQ(m->positions()[0], ends.back());
}

TEST(WalManager, ReaderReplaysFromAPositionAcrossSegments) {
  TempDir dir;
  Options options;
  options.dir = dir.path();
  options.num_cores = 1;
  options.segment_bytes = 300;
  auto m = MustCreate(options);
  std::vector<uint64_t> ends;
  for (int i = 0; i < 30; ++i) {
    ends.push_back(*m->writer(0).AppendData(3, 100 + i, "entry" + std::to_string(i)));
  }
  ASSERT_TRUE(m->SyncAll());
  auto reader = m->NewReader(0, ends[9]);
  ASSERT_TRUE(reader) << reader.error().message();
  int expected = 10;
  for (;;) {
    auto entry = (*reader)->Next();
    ASSERT_TRUE(entry) << entry.error().message();
    if (!*entry) break;
    EXPECT_EQ((*entry)->base_offset, 100 + expected);
    EXPECT_EQ((*entry)->payload, "entry" + std::to_string(expected));
    EXPECT_EQ((*entry)->end_position, ends[expected]);
    ++expected;
  }
  EXPECT_EQ(expected, 30);
  EXPECT_FALSE(m->NewReader(0, ends[9] + 1).value()->Next());
}

TEST(WalManager, EveryEntryKindRoundTripsWithItsFields) {
  FaultFileSystem fs;
  Options options = MemOptions(&fs, 1);
  auto m = MustCreate(options);
  CoreWriter& w = m->writer(0);
  const std::byte raw[] = {std::byte{1}, std::byte{0}, std::byte{255}};
  ASSERT_TRUE(w.AppendData(9, -1, std::span<const std::byte>(raw)));
  ASSERT_TRUE(w.AppendBarrier(4));
  ASSERT_TRUE(w.AppendRecord(12, "topic created"));
  ASSERT_TRUE(w.SyncNow());
  auto entries = ReadCore(options, 0);
  ASSERT_EQ(entries.size(), 3u);
  EXPECT_EQ(entries[0].kind, EntryKind::kData);
  EXPECT_EQ(entries[0].partition_id, 9u);
  EXPECT_EQ(entries[0].base_offset, -1);
  EXPECT_EQ(entries[0].payload, std::string("\x01\x00\xff", 3));
  EXPECT_EQ(entries[0].epoch, 0u);
  EXPECT_EQ(entries[1].kind, EntryKind::kBarrier);
  EXPECT_EQ(entries[1].epoch, 4u);
  EXPECT_EQ(entries[2].kind, EntryKind::kRecord);
  EXPECT_EQ(entries[2].record_type, 12u);
  EXPECT_EQ(entries[2].epoch, 4u);
  for (size_t i = 0; i < entries.size(); ++i) EXPECT_EQ(entries[i].sequence, i);
}

}  // namespace
}  // namespace corelog::wal

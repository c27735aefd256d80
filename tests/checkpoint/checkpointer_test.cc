#include "checkpoint/checkpointer.h"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "checkpoint/errc.h"
#include "checkpoint/recovery.h"
#include "tests/checkpoint/fake_host.h"
#include "wal/core_reader.h"

namespace corelog::checkpoint {
namespace {

using namespace std::chrono_literals;
using testing::CountKey;
using testing::CrashImage;
using testing::FakeHost;
using testing::OpenDb;
using testing::TempDir;

constexpr uint32_t kCores = 3;

class CheckpointTest : public ::testing::Test {
 protected:
  void SetUp() override {
    wal_options_.dir = dir_.path() + "/wal";
    wal_options_.num_cores = kCores;
    wal_options_.segment_bytes = 4096;  // many segments, so reclamation shows
    auto created = wal::Manager::Create(wal_options_);
    ASSERT_TRUE(created) << created.error().message();
    wal_ = std::move(*created);
    db_ = OpenDb(dir_.path() + "/db");
    host_ = std::make_unique<FakeHost>(wal_.get(), kCores);
  }
  void TearDown() override {
    if (host_ && wal_) host_->Settle();
    checkpointer_.reset();
    wal_.reset();
    host_.reset();
  }

  Checkpointer& Make(Options options = {}) {
    checkpointer_ =
        std::make_unique<Checkpointer>(std::move(options), wal_.get(), db_.get(), host_.get());
    return *checkpointer_;
  }
  void AppendEverywhere(int n) {
    for (uint32_t c = 0; c < kCores; ++c) host_->Append(c, n);
    host_->Settle();
  }

  // A crash now: the WAL as synced, RocksDB as durable (memtables lost).
  // Recovers that image and returns, per core, how many consecutive entries
  // the state and the replay together account for.
  std::vector<int64_t> CrashAndRecover(uint32_t new_cores = kCores) {
    host_->Settle();
    checkpointer_.reset();
    auto image = CrashImage(db_.get(), dir_.path() + "/crash");
    wal_.reset();
    host_.reset();
    std::vector<int64_t> counts(kCores, 0);
    for (uint32_t c = 0; c < kCores; ++c) {
      std::string v;
      if (image->Get(rocksdb::ReadOptions(), CountKey(c), &v).ok()) counts[c] = std::stoll(v);
    }
    RecoveryHooks hooks;
    hooks.apply = [&](const wal::Entry& e) -> Status {
      if (e.kind != wal::EntryKind::kData || e.base_offset < counts[e.partition_id]) return Ok();
      EXPECT_EQ(e.base_offset, counts[e.partition_id]) << "gap in core " << e.partition_id;
      counts[e.partition_id] = e.base_offset + 1;
      return Ok();
    };
    hooks.state = [&]() -> Result<State> {
      State s;
      for (uint32_t c = 0; c < kCores; ++c) s.push_back({CountKey(c), std::to_string(counts[c])});
      return s;
    };
    wal::Options options = wal_options_;
    options.num_cores = new_cores;
    auto recovered = Recover(options, image.get(), hooks);
    EXPECT_TRUE(recovered) << recovered.error().message();
    if (recovered) recovered_ = std::move(*recovered);
    recovered_image_ = std::move(image);
    return counts;
  }
  std::vector<int64_t> Appended() const {
    std::vector<int64_t> out;
    for (uint32_t c = 0; c < kCores; ++c) out.push_back(host_->appended(c));
    return out;
  }

  TempDir dir_;
  wal::Options wal_options_;
  std::unique_ptr<rocksdb::DB> db_;
  std::unique_ptr<FakeHost> host_;
  std::unique_ptr<wal::Manager> wal_;
  std::unique_ptr<Checkpointer> checkpointer_;
  Recovered recovered_;
  std::unique_ptr<rocksdb::DB> recovered_image_;
};

TEST(ManifestTest, RoundTripsAndRejectsDamage) {
  Manifest m{42, {7, 0, 123456789012345ull}, 1700000000123};
  std::string bytes = EncodeManifest(m);
  auto back = DecodeManifest(bytes);
  ASSERT_TRUE(back) << back.error().message();
  EXPECT_EQ(*back, m);
  EXPECT_FALSE(DecodeManifest(bytes.substr(0, bytes.size() - 1)));
  bytes[0] = 9;
  auto bad = DecodeManifest(bytes);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code(), Errc::kBadManifest);
}

TEST_F(CheckpointTest, ManifestHoldsEpochBarrierPositionsAndTime) {
  AppendEverywhere(10);
  const uint64_t before = wal_->epoch();
  const auto t0 = std::chrono::system_clock::now();
  auto m = Make().RunOnce();
  ASSERT_TRUE(m) << m.error().message();
  EXPECT_EQ(m->epoch, before + 1);
  EXPECT_EQ(m->positions.size(), kCores);
  EXPECT_GE(
      m->unix_ms,
      std::chrono::duration_cast<std::chrono::milliseconds>(t0.time_since_epoch()).count() - 1);
  auto stored = ReadManifest(db_.get());
  ASSERT_TRUE(stored && *stored);
  EXPECT_EQ(**stored, *m);
  // Each position is the end of that core's barrier entry of the new epoch.
  for (uint32_t c = 0; c < kCores; ++c) {
    auto reader = wal::CoreReader::OpenAll(wal_options_, c);
    ASSERT_TRUE(reader);
    bool found = false;
    while (auto e = (*reader)->Next()) {
      if (!*e) break;
      if ((*e)->kind == wal::EntryKind::kBarrier) {
        EXPECT_EQ((*e)->epoch, m->epoch);
        EXPECT_EQ((*e)->end_position, m->positions[c]);
        found = true;
      }
    }
    EXPECT_TRUE(found) << "core " << c;
  }
  auto stats = checkpointer_->stats();
  EXPECT_EQ(stats.epoch, m->epoch);
  EXPECT_EQ(stats.checkpoints, 1u);
  EXPECT_EQ(stats.positions, m->positions);
}

TEST_F(CheckpointTest, StateAtTheCutMatchesTheEntriesBeforeTheBarrier) {
  // Appends keep arriving while checkpoints cut: the captured count of each
  // core must equal the data entries before its barrier, never more or less.
  auto& cp = Make();
  std::atomic<bool> stop{false};
  std::thread load([&] {
    while (!stop.load()) {
      for (uint32_t c = 0; c < kCores; ++c) host_->Append(c, 3);
      std::this_thread::sleep_for(200us);
    }
  });
  std::vector<Manifest> manifests;
  std::string failure;
  for (int i = 0; i < 5 && failure.empty(); ++i) {
    auto m = cp.RunOnce();
    if (m) {
      manifests.push_back(*m);
    } else {
      failure = m.error().message();
    }
  }
  // The load thread stops before any assertion can return from the test.
  stop.store(true);
  load.join();
  ASSERT_TRUE(failure.empty()) << failure;
  host_->Settle();
  const Manifest& last = manifests.back();
  for (uint32_t c = 0; c < kCores; ++c) {
    std::string v;
    ASSERT_TRUE(db_->Get(rocksdb::ReadOptions(), CountKey(c), &v).ok());
    auto reader = wal_->NewReader(c, wal_->writer(c).oldest_position());
    ASSERT_TRUE(reader);
    int64_t first_after = -1;
    while (auto e = (*reader)->Next()) {
      if (!*e) break;
      if ((*e)->kind != wal::EntryKind::kData || (*e)->position < last.positions[c]) continue;
      first_after = (*e)->base_offset;
      break;
    }
    // Entry n has base offset n: the first entry after the barrier is the
    // first one the state does not count.
    if (first_after >= 0) {
      EXPECT_EQ(std::stoll(v), first_after) << "core " << c;
    }
  }
  for (size_t i = 1; i < manifests.size(); ++i) {
    EXPECT_GT(manifests[i].epoch, manifests[i - 1].epoch);
    for (uint32_t c = 0; c < kCores; ++c)
      EXPECT_GT(manifests[i].positions[c], manifests[i - 1].positions[c]);
  }
}

TEST_F(CheckpointTest, WalIsTruncatedOnlyAfterTheManifestIsDurable) {
  AppendEverywhere(100);  // ~20 KB per core: several 4 KiB segments
  std::vector<uint64_t> oldest_at_flush;
  std::optional<Manifest> durable_at_flush, durable_at_truncate;
  Options options;
  options.before_step = [&](Step step) -> Status {
    if (step == Step::kFlush) {
      for (uint32_t c = 0; c < kCores; ++c)
        oldest_at_flush.push_back(wal_->writer(c).oldest_position());
      durable_at_flush = *ReadManifest(CrashImage(db_.get(), dir_.path() + "/img1").get());
    }
    if (step == Step::kTruncate) {
      durable_at_truncate = *ReadManifest(CrashImage(db_.get(), dir_.path() + "/img2").get());
    }
    return Ok();
  };
  auto m = Make(std::move(options)).RunOnce();
  ASSERT_TRUE(m) << m.error().message();
  // Written but not flushed: a crash would not have it, and nothing was deleted.
  EXPECT_FALSE(durable_at_flush.has_value());
  for (uint32_t c = 0; c < kCores; ++c) EXPECT_EQ(oldest_at_flush[c], 0u);
  // By the time truncation starts the manifest survives a crash.
  ASSERT_TRUE(durable_at_truncate.has_value());
  EXPECT_EQ(*durable_at_truncate, *m);
  for (uint32_t c = 0; c < kCores; ++c) {
    EXPECT_GT(wal_->writer(c).oldest_position(), 0u) << "core " << c;
    EXPECT_LE(wal_->writer(c).oldest_position(), m->positions[c]);
  }
  EXPECT_GT(checkpointer_->stats().reclaimed_segments, 0u);
}

// A host that still reads a core's WAL from some position keeps the
// segments from there on, however far the checkpoint has moved past them.
TEST_F(CheckpointTest, SegmentsTheHostStillReadsAreKept) {
  AppendEverywhere(10);
  const uint64_t needed = wal_->writer(0).position();
  host_->SetOldestNeeded(0, needed);
  AppendEverywhere(60);
  auto& cp = Make();
  ASSERT_TRUE(cp.RunOnce());
  EXPECT_LE(wal_->writer(0).oldest_position(), needed);
  EXPECT_GT(wal_->writer(1).oldest_position(), needed);
  EXPECT_GT(wal_->writer(2).oldest_position(), needed);
  std::string out;
  ASSERT_TRUE(wal_->AppendDataPayload({0, needed, needed + wal::EncodedEntrySize(static_cast<uint8_t>(wal::EntryKind::kData), 200)}, &out));
  EXPECT_EQ(out.size(), 200u);

  host_->SetOldestNeeded(0, UINT64_MAX);
  AppendEverywhere(5);
  ASSERT_TRUE(cp.RunOnce());
  EXPECT_GT(wal_->writer(0).oldest_position(), needed);
}

class FailedStepTest : public CheckpointTest, public ::testing::WithParamInterface<Step> {};

TEST_P(FailedStepTest, LeavesTheLastCheckpointRecoverable) {
  const Step failing = GetParam();
  bool inject = false;
  Options options;
  options.before_step = [&](Step step) -> Status {
    if (inject && step == failing) return MakeError(Errc::kInjected, "test");
    return Ok();
  };
  auto& cp = Make(std::move(options));
  AppendEverywhere(60);
  auto first = cp.RunOnce();
  ASSERT_TRUE(first) << first.error().message();
  AppendEverywhere(60);
  inject = true;
  auto second = cp.RunOnce();
  if (failing == Step::kTruncate) {
    // Durable already: only the reclamation is skipped.
    ASSERT_TRUE(second);
    EXPECT_EQ(cp.stats().failures, 0u);
  } else {
    ASSERT_FALSE(second);
    EXPECT_EQ(cp.stats().failures, 1u);
    EXPECT_EQ(cp.stats().epoch, first->epoch);
    for (uint32_t c = 0; c < kCores; ++c)
      EXPECT_LE(wal_->writer(c).oldest_position(), first->positions[c]);
  }
  AppendEverywhere(30);
  auto appended = Appended();
  auto counts = CrashAndRecover();
  EXPECT_EQ(counts, appended);
  ASSERT_TRUE(recovered_.manifest.has_value());
  EXPECT_EQ(recovered_.manifest->epoch, failing == Step::kTruncate ? second->epoch : first->epoch);
  EXPECT_GE(recovered_.epoch, recovered_.manifest->epoch);
}

TEST_P(FailedStepTest, NextCheckpointSucceedsAfterAFailure) {
  const Step failing = GetParam();
  int calls = 0;
  Options options;
  options.before_step = [&](Step step) -> Status {
    if (step == failing && calls++ == 0) return MakeError(Errc::kInjected, "test");
    return Ok();
  };
  auto& cp = Make(std::move(options));
  AppendEverywhere(40);
  (void)cp.RunOnce();
  auto retry = cp.RunOnce();
  ASSERT_TRUE(retry) << retry.error().message();
  EXPECT_EQ(cp.stats().epoch, retry->epoch);
  auto appended = Appended();
  EXPECT_EQ(CrashAndRecover(), appended);
  EXPECT_EQ(recovered_.manifest->epoch, retry->epoch);
}

INSTANTIATE_TEST_SUITE_P(EveryStep, FailedStepTest,
                         ::testing::Values(Step::kBarrier, Step::kCapture, Step::kWrite,
                                           Step::kFlush, Step::kTruncate),
                         [](const auto& info) { return std::string(ToString(info.param)); });

TEST_F(CheckpointTest, CoreThatNeverReportsTimesOutTheCheckpoint) {
  Options options;
  options.barrier_timeout = 200ms;
  auto& cp = Make(std::move(options));
  AppendEverywhere(5);
  host_->DropCore(1);
  auto m = cp.RunOnce();
  ASSERT_FALSE(m);
  EXPECT_EQ(m.error().code(), Errc::kTimeout);
  EXPECT_FALSE(*ReadManifest(db_.get()));
  host_->DropCore(-1);
  ASSERT_TRUE(cp.RunOnce());
}

TEST_F(CheckpointTest, BackgroundThreadCheckpointsEveryInterval) {
  Options options;
  options.interval = 30ms;
  auto& cp = Make(std::move(options));
  cp.Start();
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (cp.stats().checkpoints < 3 && std::chrono::steady_clock::now() < deadline) {
    host_->Append(0, 1);
    std::this_thread::sleep_for(5ms);
  }
  cp.Stop();
  EXPECT_GE(cp.stats().checkpoints, 3u);
}

TEST_F(CheckpointTest, IdleWalTakesNoFurtherCheckpoints) {
  Options options;
  options.interval = 20ms;
  auto& cp = Make(std::move(options));
  AppendEverywhere(5);
  cp.Start();
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (cp.stats().checkpoints < 1 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(5ms);
  }
  ASSERT_EQ(cp.stats().checkpoints, 1u);
  std::this_thread::sleep_for(200ms);  // ten intervals with nothing logged
  EXPECT_EQ(cp.stats().checkpoints, 1u);
  host_->Append(0, 1);
  host_->Settle();
  while (cp.stats().checkpoints < 2 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(5ms);
  }
  cp.Stop();
  EXPECT_EQ(cp.stats().checkpoints, 2u);
}

TEST_F(CheckpointTest, LastCheckpointAfterStopSucceeds) {
  auto& cp = Make();
  cp.Start();
  AppendEverywhere(5);
  cp.Stop();
  auto m = cp.RunOnce();
  ASSERT_TRUE(m) << m.error().message();
  EXPECT_EQ(cp.stats().epoch, m->epoch);
}

TEST_F(CheckpointTest, ByteThresholdTriggersACheckpointBeforeTheInterval) {
  Options options;
  options.interval = std::chrono::hours(1);
  options.bytes_threshold = 8 * 1024;
  auto& cp = Make(std::move(options));
  cp.Start();
  AppendEverywhere(10);  // ~2.3 KB per core: below the threshold
  std::this_thread::sleep_for(100ms);
  EXPECT_EQ(cp.stats().checkpoints, 0u);
  host_->Append(2, 60);  // ~14 KB on core 2
  host_->Settle();
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (cp.stats().checkpoints < 1 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(5ms);
  }
  cp.Stop();
  EXPECT_EQ(cp.stats().checkpoints, 1u);
}

TEST_F(CheckpointTest, RecoveryReplaysOnlyWhatTheCheckpointDoesNotCover) {
  auto& cp = Make();
  AppendEverywhere(200);
  auto m = cp.RunOnce();
  ASSERT_TRUE(m);
  AppendEverywhere(7);
  auto appended = Appended();
  EXPECT_EQ(CrashAndRecover(), appended);
  // 7 data entries per core after the barriers, nothing older.
  EXPECT_EQ(recovered_.replayed_entries, 7u * kCores);
  EXPECT_EQ(recovered_.epoch, m->epoch);
  EXPECT_EQ(recovered_.wal->epoch(), m->epoch);
}

TEST_F(CheckpointTest, RecoveryWithoutACheckpointReplaysEverything) {
  AppendEverywhere(20);
  auto appended = Appended();
  EXPECT_EQ(CrashAndRecover(), appended);
  EXPECT_FALSE(recovered_.manifest.has_value());
  EXPECT_EQ(recovered_.replayed_entries, 20u * kCores);
}

class LayoutChangeTest : public CheckpointTest, public ::testing::WithParamInterface<uint32_t> {};

TEST_P(LayoutChangeTest, ChangingTheCoreCountLosesAndDuplicatesNothing) {
  const uint32_t new_cores = GetParam();
  auto& cp = Make();
  AppendEverywhere(50);
  ASSERT_TRUE(cp.RunOnce());
  AppendEverywhere(11);
  auto appended = Appended();
  EXPECT_EQ(CrashAndRecover(new_cores), appended);
  ASSERT_TRUE(recovered_.wal);
  EXPECT_EQ(recovered_.previous_cores, kCores);
  EXPECT_EQ(recovered_.wal->num_cores(), new_cores);
  // The state written for the new layout covers everything; its WAL is empty.
  ASSERT_TRUE(recovered_.manifest);
  EXPECT_EQ(recovered_.manifest->positions.size(), new_cores);
  EXPECT_EQ(recovered_.wal->epoch(), recovered_.manifest->epoch);
  for (uint32_t c = 0; c < kCores; ++c) {
    std::string v;
    ASSERT_TRUE(recovered_image_->Get(rocksdb::ReadOptions(), CountKey(c), &v).ok());
    EXPECT_EQ(std::stoll(v), appended[c]);
  }
  EXPECT_FALSE(std::filesystem::exists(wal_options_.dir + ".new"));
  EXPECT_FALSE(std::filesystem::exists(wal_options_.dir + ".retired"));
  for (uint32_t c = new_cores; c < kCores; ++c) {
    EXPECT_FALSE(std::filesystem::exists(wal::CoreDirectory(wal_options_, c)));
  }
}

INSTANTIATE_TEST_SUITE_P(Cores, LayoutChangeTest, ::testing::Values(1u, 2u, 5u));

TEST_F(CheckpointTest, CrashBetweenTheLayoutRenamesRecovers) {
  auto& cp = Make();
  AppendEverywhere(40);
  ASSERT_TRUE(cp.RunOnce());
  AppendEverywhere(9);
  auto appended = Appended();
  EXPECT_EQ(CrashAndRecover(2), appended);
  // Pretend the change stopped after its checkpoint and the first rename:
  // no WAL, the new one still staged, the old one retired.
  recovered_.wal.reset();
  std::filesystem::rename(wal_options_.dir, wal_options_.dir + ".new");
  std::filesystem::create_directories(wal_options_.dir + ".retired/core-0");
  RecoveryHooks hooks;
  hooks.apply = [](const wal::Entry&) { return Ok(); };
  hooks.state = [] { return Result<State>(State{}); };
  wal::Options options = wal_options_;
  options.num_cores = 2;
  auto again = Recover(options, recovered_image_.get(), hooks);
  ASSERT_TRUE(again) << again.error().message();
  EXPECT_EQ((*again).wal->num_cores(), 2u);
  EXPECT_EQ((*again).replayed_entries, 0u);
  EXPECT_FALSE(std::filesystem::exists(wal_options_.dir + ".new"));
  EXPECT_FALSE(std::filesystem::exists(wal_options_.dir + ".retired"));
  for (uint32_t c = 0; c < kCores; ++c) {
    std::string v;
    ASSERT_TRUE(recovered_image_->Get(rocksdb::ReadOptions(), CountKey(c), &v).ok());
    EXPECT_EQ(std::stoll(v), appended[c]);
  }
}

TEST_F(CheckpointTest, CrashBeforeTheLayoutRenamesRepeatsTheChange) {
  auto& cp = Make();
  AppendEverywhere(40);
  ASSERT_TRUE(cp.RunOnce());
  AppendEverywhere(9);
  auto appended = Appended();
  host_->Settle();
  checkpointer_.reset();
  wal_.reset();
  host_.reset();
  // The new layout's checkpoint is durable but the old WAL is still in
  // place: its manifest describes 2 cores, the WAL has 3.
  Manifest relayout{99, {0, 0}, 0};
  State state;
  ASSERT_TRUE(WriteDurably(db_.get(), relayout, state));
  std::vector<int64_t> counts(kCores, 0);
  RecoveryHooks hooks;
  hooks.apply = [&](const wal::Entry& e) -> Status {
    if (e.kind == wal::EntryKind::kData)
      counts[e.partition_id] = std::max(counts[e.partition_id], e.base_offset + 1);
    return Ok();
  };
  hooks.state = [] { return Result<State>(State{}); };
  wal::Options options = wal_options_;
  options.num_cores = 2;
  auto r = Recover(options, db_.get(), hooks);
  ASSERT_TRUE(r) << r.error().message();
  // The whole old WAL is handed over again, and the epoch keeps growing.
  EXPECT_EQ(counts, appended);
  EXPECT_EQ(r->previous_cores, kCores);
  EXPECT_EQ(r->wal->num_cores(), 2u);
  EXPECT_GT(r->epoch, 99u);
}

TEST_F(CheckpointTest, MissingWalThatTheManifestNeedsFailsRecovery) {
  auto& cp = Make();
  AppendEverywhere(30);
  ASSERT_TRUE(cp.RunOnce());
  host_->Settle();
  checkpointer_.reset();
  wal_.reset();
  host_.reset();
  std::filesystem::remove_all(wal_options_.dir);
  RecoveryHooks hooks;
  hooks.apply = [](const wal::Entry&) { return Ok(); };
  hooks.state = [] { return Result<State>(State{}); };
  auto r = Recover(wal_options_, db_.get(), hooks);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), Errc::kMissingWal);
}

}  // namespace
}  // namespace corelog::checkpoint

#include "wal/core_writer.h"

#include <gtest/gtest.h>

#include <condition_variable>
#include <future>
#include <mutex>
#include <set>
#include <thread>

#include "tests/wal/wal_test_util.h"
#include "wal/errc.h"

namespace corelog::wal {
namespace {

using testing::FaultFileSystem;
using testing::MemOptions;
using testing::Payloads;
using testing::ReadCore;

// Holds the first file fsync after Arm() until Release(), so a test can act
// while a group commit is in flight.
class FsyncGate {
 public:
  explicit FsyncGate(FaultFileSystem* fs) {
    fs->SetSyncHook([this] { Pass(); });
  }
  void Arm() {
    std::lock_guard lock(mu_);
    armed_ = true;
  }
  void WaitUntilHeld() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [this] { return held_; });
  }
  void Release() {
    std::lock_guard lock(mu_);
    released_ = true;
    cv_.notify_all();
  }

 private:
  void Pass() {
    std::unique_lock lock(mu_);
    if (!armed_) return;
    armed_ = false;
    held_ = true;
    cv_.notify_all();
    cv_.wait(lock, [this] { return released_; });
  }
  std::mutex mu_;
  std::condition_variable cv_;
  bool armed_ = false;
  bool held_ = false;
  bool released_ = false;
};

std::unique_ptr<Manager> MustCreate(const Options& options) {
  auto manager = Manager::Create(options);
  EXPECT_TRUE(manager) << manager.error().message();
  return std::move(*manager);
}

TEST(WalWriter, SyncCallbackRunsOffTheCallerThreadAfterTheFsyncCoversTheEntry) {
  FaultFileSystem fs;
  auto m = MustCreate(MemOptions(&fs, 1));
  CoreWriter& w = m->writer(0);
  uint64_t end = *w.AppendData(1, 0, "payload");
  std::promise<std::pair<std::thread::id, uint64_t>> seen;
  w.Sync([&](Status status) {
    EXPECT_TRUE(status);
    seen.set_value({std::this_thread::get_id(), w.synced_position()});
  });
  auto [thread, synced] = seen.get_future().get();
  EXPECT_NE(thread, std::this_thread::get_id());
  EXPECT_GE(synced, end);
}

TEST(WalWriter, GroupCommitCoversAppendsMadeDuringAnFsyncWithOneWriteAndOneFsync) {
  FaultFileSystem fs;
  FsyncGate gate(&fs);
  auto m = MustCreate(MemOptions(&fs, 1));
  CoreWriter& w = m->writer(0);
  int writes = fs.writes();
  int syncs = fs.syncs();
  std::atomic<int> acked{0};
  gate.Arm();
  ASSERT_TRUE(w.AppendData(0, 0, "first"));
  w.Sync([&](Status s) { acked += s ? 1 : 0; });
  gate.WaitUntilHeld();
  for (int i = 1; i <= 50; ++i) {
    ASSERT_TRUE(w.AppendData(0, i, "entry" + std::to_string(i)));
    w.Sync([&](Status s) { acked += s ? 1 : 0; });
  }
  gate.Release();
  ASSERT_TRUE(w.SyncNow());
  EXPECT_EQ(acked.load(), 51);
  EXPECT_EQ(fs.writes() - writes, 2);
  EXPECT_EQ(fs.syncs() - syncs, 2);
}

TEST(WalWriter, AppendsProceedAndSyncedPositionLagsWhileAnFsyncIsInFlight) {
  FaultFileSystem fs;
  FsyncGate gate(&fs);
  auto m = MustCreate(MemOptions(&fs, 1));
  CoreWriter& w = m->writer(0);
  gate.Arm();
  uint64_t first = *w.AppendData(0, 0, "first");
  w.Sync([](Status) {});
  gate.WaitUntilHeld();
  uint64_t last = 0;
  for (int i = 0; i < 100; ++i) last = *w.AppendData(0, i, std::string(100, 'x'));
  EXPECT_EQ(w.position(), last);
  EXPECT_LT(w.synced_position(), first + 1);
  EXPECT_EQ(m->synced_positions()[0], 0u);
  gate.Release();
  ASSERT_TRUE(w.SyncNow());
  EXPECT_EQ(w.synced_position(), last);
}

TEST(WalWriter, SubmitSyncTokensAreUniqueAcrossCoresAndCompleteOnce) {
  FaultFileSystem fs;
  auto m = MustCreate(MemOptions(&fs, 3));
  std::set<uint64_t> tokens;
  for (int round = 0; round < 5; ++round) {
    for (uint32_t core = 0; core < 3; ++core) {
      ASSERT_TRUE(m->writer(core).AppendData(0, round, "x"));
      EXPECT_TRUE(tokens.insert(m->writer(core).SubmitSync()).second);
    }
  }
  for (uint32_t core = 0; core < 3; ++core) ASSERT_TRUE(m->writer(core).SyncNow());
  EXPECT_FALSE(m->AnySyncPending());
  std::set<uint64_t> done;
  for (const SyncCompletion& c : m->CheckCompletions()) {
    EXPECT_TRUE(c.status) << c.status.error().message();
    EXPECT_LT(c.core, 3u);
    EXPECT_TRUE(done.insert(c.token).second);
  }
  EXPECT_EQ(done, tokens);
  EXPECT_TRUE(m->CheckCompletions().empty());
}

TEST(WalWriter, AnySyncPendingIsTrueUntilTheCompletionIsQueued) {
  FaultFileSystem fs;
  FsyncGate gate(&fs);
  auto m = MustCreate(MemOptions(&fs, 2));
  EXPECT_FALSE(m->AnySyncPending());
  gate.Arm();
  ASSERT_TRUE(m->writer(1).AppendData(0, 0, "x"));
  uint64_t token = m->writer(1).SubmitSync();
  gate.WaitUntilHeld();
  EXPECT_TRUE(m->AnySyncPending());
  EXPECT_TRUE(m->CheckCompletions().empty());
  gate.Release();
  ASSERT_TRUE(m->writer(1).SyncNow());
  EXPECT_FALSE(m->AnySyncPending());
  auto completions = m->CheckCompletions();
  ASSERT_EQ(completions.size(), 1u);
  EXPECT_EQ(completions[0].token, token);
  EXPECT_EQ(completions[0].core, 1u);
}

// `cores` cores on `fs`, reporting every group commit to `observer`.
std::unique_ptr<Manager> MustCreateObserved(FaultFileSystem* fs, SyncObserver* observer,
                                            uint32_t cores = 1) {
  Options options = MemOptions(fs, cores);
  options.observer = observer;
  return MustCreate(options);
}

struct CountingObserver : SyncObserver {
  void OnSync(uint32_t, uint64_t bytes, std::chrono::nanoseconds took) override {
    total += bytes;
    calls += 1;
    EXPECT_GE(took.count(), 0);
  }
  void OnPoisoned(uint32_t core, const Error&) override { poisoned_core = static_cast<int>(core); }
  std::atomic<uint64_t> total{0};
  std::atomic<int> calls{0};
  std::atomic<int> poisoned_core{-1};
};

TEST(WalWriter, ObserverAndCountersSeeEveryGroupCommit) {
  FaultFileSystem fs;
  CountingObserver observer;
  auto m = MustCreateObserved(&fs, &observer);
  CoreWriter& w = m->writer(0);
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(w.AppendData(0, i, std::string(i * 10, 'p')));
    ASSERT_TRUE(w.SyncNow());
  }
  EXPECT_EQ(observer.calls.load(), 10);
  EXPECT_EQ(observer.total.load(), w.position());
  EXPECT_EQ(w.stats().written_bytes.load(), w.position());
  EXPECT_EQ(w.stats().synced_bytes.load(), w.position());
  EXPECT_EQ(w.stats().syncs.load(), 10u);
}

// What a group commit reports, in the order it happens.
struct EventLog : SyncObserver {
  void OnSync(uint32_t, uint64_t, std::chrono::nanoseconds) override { Add("synced"); }
  void OnWritten(uint32_t, std::chrono::nanoseconds took) override {
    Add("written");
    std::lock_guard lock(mu);
    write_times.push_back(took);
  }
  void Add(const std::string& event) {
    std::lock_guard lock(mu);
    events.push_back(event);
  }
  std::mutex mu;
  std::vector<std::string> events;
  std::vector<std::chrono::nanoseconds> write_times;
};

TEST(WalWriter, ObserverTimesTheWriteApartFromTheFsync) {
  FaultFileSystem fs;
  EventLog log;
  auto m = MustCreateObserved(&fs, &log);
  // A slow device: every append takes at least 5 ms.
  constexpr auto kWriteTime = std::chrono::milliseconds(5);
  fs.SetWriteHook([&log, kWriteTime] {
    log.Add("write");
    std::this_thread::sleep_for(kWriteTime);
  });
  fs.SetSyncHook([&log] { log.Add("fsync"); });
  CoreWriter& w = m->writer(0);
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(w.AppendData(0, i, "payload"));
    ASSERT_TRUE(w.SyncNow());
  }
  std::vector<std::string> want;
  for (int i = 0; i < 3; ++i) want.insert(want.end(), {"write", "written", "fsync", "synced"});
  std::lock_guard lock(log.mu);
  EXPECT_EQ(log.events, want) << "the write is timed before its fdatasync starts";
  ASSERT_EQ(log.write_times.size(), 3u);
  for (auto took : log.write_times) EXPECT_GE(took, kWriteTime);
}

TEST(WalWriter, SyncWithNothingNewDoesNoFsync) {
  FaultFileSystem fs;
  auto m = MustCreate(MemOptions(&fs, 1));
  ASSERT_TRUE(m->writer(0).AppendData(0, 0, "x"));
  ASSERT_TRUE(m->writer(0).SyncNow());
  int syncs = fs.syncs();
  ASSERT_TRUE(m->writer(0).SyncNow());
  ASSERT_TRUE(m->SyncAll());
  EXPECT_EQ(fs.syncs(), syncs);
}

TEST(WalWriter, FailedWritePoisonsOnlyThatCoresWriter) {
  FaultFileSystem fs;
  CountingObserver observer;
  auto m = MustCreateObserved(&fs, &observer, 2);
  fs.FailNthWrite(1);
  ASSERT_TRUE(m->writer(0).AppendData(0, 0, "lost"));
  Status failed = m->writer(0).SyncNow();
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().code(), std::errc::io_error);
  auto append = m->writer(0).AppendData(0, 1, "refused");
  ASSERT_FALSE(append);
  EXPECT_EQ(append.error().code(), Errc::kPoisoned);
  EXPECT_FALSE(m->writer(0).SyncNow());
  EXPECT_FALSE(m->writer(0).health());
  EXPECT_EQ(observer.poisoned_core.load(), 0);
  EXPECT_EQ(m->synced_positions()[0], 0u);
  ASSERT_TRUE(m->writer(1).AppendData(0, 0, "fine"));
  EXPECT_TRUE(m->writer(1).SyncNow());
}

TEST(WalWriter, FailedFsyncPoisonsTheWriterAndIsNeverRetried) {
  FaultFileSystem fs;
  auto m = MustCreate(MemOptions(&fs, 1));
  CoreWriter& w = m->writer(0);
  ASSERT_TRUE(w.AppendData(0, 0, "durable"));
  ASSERT_TRUE(w.SyncNow());
  uint64_t synced = w.synced_position();
  fs.FailNthSync(1);
  ASSERT_TRUE(w.AppendData(0, 1, "maybe lost"));
  std::atomic<int> failures{0};
  w.Sync([&](Status s) { failures += s ? 0 : 1; });
  EXPECT_FALSE(w.SyncNow());
  int syncs = fs.syncs();
  int writes = fs.writes();
  for (int i = 0; i < 3; ++i) {
    EXPECT_FALSE(w.SyncNow());
    EXPECT_FALSE(w.AppendData(0, 2, "refused"));
  }
  EXPECT_EQ(failures.load(), 1);
  EXPECT_EQ(fs.syncs(), syncs);
  EXPECT_EQ(fs.writes(), writes);
  EXPECT_EQ(w.synced_position(), synced);
  EXPECT_EQ(w.stats().failures.load(), 1u);
  EXPECT_FALSE(m->ResetAll());
}

TEST(WalWriter, FailedFsyncIsReportedThroughCompletions) {
  FaultFileSystem fs;
  auto m = MustCreate(MemOptions(&fs, 2));
  fs.FailNthSync(1);
  ASSERT_TRUE(m->writer(1).AppendData(0, 0, "x"));
  uint64_t token = m->writer(1).SubmitSync();
  EXPECT_FALSE(m->writer(1).SyncNow());
  auto completions = m->CheckCompletions();
  ASSERT_EQ(completions.size(), 1u);
  EXPECT_EQ(completions[0].token, token);
  EXPECT_FALSE(completions[0].status);
}

TEST(WalWriter, EnospcPoisonsTheWriterAndReopenCutsThePartialWrite) {
  FaultFileSystem fs;
  Options options = MemOptions(&fs, 1);
  auto m = MustCreate(options);
  ASSERT_TRUE(m->writer(0).AppendData(0, 0, "kept"));
  ASSERT_TRUE(m->writer(0).SyncNow());
  uint64_t used = 0;
  for (const auto& f : fs.Files()) used += fs.Contents(f).size();
  fs.LimitSpace(used + 100);
  ASSERT_TRUE(m->writer(0).AppendData(0, 1, std::string(500, 'z')));
  Status failed = m->writer(0).SyncNow();
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().code(), std::errc::no_space_on_device);
  EXPECT_FALSE(m->writer(0).AppendData(0, 2, "refused"));
  m.reset();
  fs.LimitSpace(UINT64_MAX);
  auto reopened = Manager::Open(options);
  ASSERT_TRUE(reopened) << reopened.error().message();
  EXPECT_EQ(Payloads(ReadCore(options, 0)), std::vector<std::string>{"kept"});
  ASSERT_TRUE((*reopened)->writer(0).AppendData(0, 1, "after"));
  ASSERT_TRUE((*reopened)->writer(0).SyncNow());
  EXPECT_EQ(Payloads(ReadCore(options, 0)), (std::vector<std::string>{"kept", "after"}));
}

}  // namespace
}  // namespace corelog::wal

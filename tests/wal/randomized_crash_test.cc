#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <iostream>
#include <mutex>
#include <random>

#include "tests/wal/wal_test_util.h"
#include "wal/manager.h"

namespace corelog::wal {
namespace {

using testing::FaultFileSystem;
using testing::MemOptions;
using testing::ReadCore;

constexpr uint32_t kCores = 2;

uint64_t ChooseSeed() {
  if (const char* env = std::getenv("CORELOG_WAL_SEED")) return std::strtoull(env, nullptr, 10);
  return std::random_device{}();
}

struct ModelEntry {
  std::string payload;
  uint64_t position;
  uint64_t end;
};

// Random appends, syncs, failed fsyncs and reclamation, then a crash and a
// reopen, many times over. After each reopen: every entry reported durable
// is there, nothing else is (unsynced bytes are dropped by the crash), and
// the log holds exactly a prefix of what was appended.
class RandomizedCrash : public ::testing::Test {
 protected:
  void SetUp() override {
    seed_ = ChooseSeed();
    std::cout << "[   SEED   ] CORELOG_WAL_SEED=" << seed_ << std::endl;
    rng_.seed(seed_);
    options_ = MemOptions(&fs_, kCores);
    options_.segment_bytes = 512;
    manager_ = std::move(*Manager::Create(options_));
  }

  void RandomOp(int round, int op) {
    uint32_t core = static_cast<uint32_t>(rng_() % kCores);
    CoreWriter& w = manager_->writer(core);
    int dice = static_cast<int>(rng_() % 100);
    if (dice < 60) {
      std::string payload = "r" + std::to_string(round) + "o" + std::to_string(op) +
                            std::string(rng_() % 150, static_cast<char>('a' + op % 26));
      auto end = w.AppendData(core, op, payload);
      if (end) model_[core].push_back({payload, *end - EncodedEntrySize(1, payload.size()), *end});
    } else if (dice < 80) {
      uint64_t target = w.position();
      w.Sync([this, core, target](Status s) { Ack(core, target, s); });
    } else if (dice < 90) {
      uint64_t target = w.position();
      Ack(core, target, w.SyncNow());
    } else if (dice < 93) {
      fs_.FailNthSync(1 + static_cast<int>(rng_() % 3));
    } else {
      (void)manager_->DeleteSegmentsBelow(core, w.synced_position());
    }
  }

  void Ack(uint32_t core, uint64_t target, const Status& status) {
    if (!status) return;
    std::lock_guard lock(mu_);
    acked_[core] = std::max(acked_[core], target);
  }

  void CrashAndReopen() {
    std::vector<uint64_t> synced = manager_->synced_positions();
    std::vector<uint64_t> oldest;
    for (uint32_t c = 0; c < kCores; ++c) oldest.push_back(manager_->writer(c).oldest_position());
    fs_.Crash();
    manager_.reset();
    fs_.Restart();
    auto opened = Manager::Open(options_);
    ASSERT_TRUE(opened) << opened.error().message();
    manager_ = std::move(*opened);
    for (uint32_t c = 0; c < kCores; ++c) CheckCore(c, std::max(synced[c], acked_[c]), oldest[c]);
  }

  void CheckCore(uint32_t core, uint64_t durable, uint64_t oldest) {
    SCOPED_TRACE("core " + std::to_string(core));
    EXPECT_EQ(manager_->writer(core).oldest_position(), oldest);
    std::vector<ModelEntry>& model = model_[core];
    model.erase(std::remove_if(model.begin(), model.end(),
                               [&](const ModelEntry& e) { return e.position < oldest; }),
                model.end());
    std::vector<OwnedEntry> got = ReadCore(options_, core);
    ASSERT_LE(got.size(), model.size());
    for (size_t i = 0; i < got.size(); ++i) {
      ASSERT_EQ(got[i].payload, model[i].payload) << "entry " << i;
      ASSERT_EQ(got[i].end_position, model[i].end) << "entry " << i;
      if (i > 0) {
        ASSERT_GT(got[i].sequence, got[i - 1].sequence);
      }
    }
    uint64_t end = got.empty() ? oldest : got.back().end_position;
    EXPECT_GE(end, durable) << "an entry reported durable was lost";
    EXPECT_EQ(manager_->positions()[core], end);
    if (!got.empty()) {
      EXPECT_GT(manager_->writer(core).next_sequence(), got.back().sequence);
    }
    model.resize(got.size());
    acked_[core] = std::min(acked_[core], end);
  }

  uint64_t seed_ = 0;
  std::mt19937_64 rng_;
  FaultFileSystem fs_;
  Options options_;
  std::unique_ptr<Manager> manager_;
  std::vector<ModelEntry> model_[kCores];
  std::mutex mu_;
  uint64_t acked_[kCores] = {0, 0};
};

TEST_F(RandomizedCrash, SyncedEntriesSurviveAndUnsyncedOnesAreNeverReportedDurable) {
  SCOPED_TRACE("CORELOG_WAL_SEED=" + std::to_string(seed_));
  for (int round = 0; round < 40; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    for (int op = 0; op < 60; ++op) RandomOp(round, op);
    ASSERT_NO_FATAL_FAILURE(CrashAndReopen());
  }
}

}  // namespace
}  // namespace corelog::wal

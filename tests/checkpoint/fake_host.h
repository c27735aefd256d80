// Test doubles of the checkpoint tests: core threads with FIFO task queues,
// and a host whose cores append numbered data entries and count how many of
// them they applied (the "state" a checkpoint captures). Data entry n of
// core c has partition id c and base offset n, so replay can tell which
// entries a checkpoint's state already covers.
#pragma once

#include <rocksdb/db.h>
#include <rocksdb/utilities/checkpoint.h>

#include <condition_variable>
#include <cstdlib>
#include <deque>
#include <filesystem>
#include <functional>
#include <limits>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "checkpoint/host.h"
#include "common/check.h"
#include "tests/common/temp_dir.h"
#include "wal/manager.h"

namespace corelog::checkpoint::testing {

using corelog::testing::TempDir;

// One thread per core running posted tasks in order.
class FakeCores {
 public:
  explicit FakeCores(uint32_t n) : queues_(n) {
    for (uint32_t i = 0; i < n; ++i) threads_.emplace_back([this, i] { Run(i); });
  }
  ~FakeCores() {
    {
      std::lock_guard lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    for (auto& t : threads_) t.join();
  }
  void Post(uint32_t core, std::function<void()> fn) {
    {
      std::lock_guard lock(mu_);
      queues_[core].push_back(std::move(fn));
    }
    cv_.notify_all();
  }
  // Blocks until every task posted to `core` before this call has run.
  void Drain(uint32_t core) {
    std::mutex m;
    std::condition_variable done_cv;
    bool done = false;
    Post(core, [&] {
      std::lock_guard lock(m);
      done = true;
      done_cv.notify_all();
    });
    std::unique_lock lock(m);
    done_cv.wait(lock, [&] { return done; });
  }

 private:
  void Run(uint32_t core) {
    std::unique_lock lock(mu_);
    for (;;) {
      cv_.wait(lock, [&] { return stop_ || !queues_[core].empty(); });
      if (queues_[core].empty()) return;
      auto fn = std::move(queues_[core].front());
      queues_[core].pop_front();
      lock.unlock();
      fn();
      lock.lock();
    }
  }

  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::vector<std::deque<std::function<void()>>> queues_;
  std::vector<std::thread> threads_;
};

inline std::string CountKey(uint32_t core) { return "count/" + std::to_string(core); }

// The host: appends on its cores, applies after each sync on the core, and
// captures "how many entries core c applied" as its state.
class FakeHost final : public Host {
 public:
  FakeHost(wal::Manager* wal, uint32_t cores)
      : wal_(wal), cores_(cores), applied_(cores, 0), next_(cores, 0) {
    for (auto& n : needed_) n.store(UINT64_MAX);
  }

  void RunOnCore(uint32_t core, std::function<void()> fn) override {
    if (drop_core_ == static_cast<int>(core)) return;
    cores_.Post(core, std::move(fn));
  }
  Result<State> CaptureCore(uint32_t core, uint64_t) override {
    ++captures_;
    return State{{CountKey(core), std::to_string(applied_[core])}};
  }

  // Appends `n` data entries on `core` and applies each once it is synced.
  void Append(uint32_t core, int n) {
    cores_.Post(core, [this, core, n] {
      auto& writer = wal_->writer(core);
      for (int i = 0; i < n; ++i) {
        int64_t seq = next_[core]++;
        auto pos =
            writer.AppendData(core, seq, std::string(200, static_cast<char>('a' + seq % 26)));
        CORELOG_CHECK(pos.has_value(), "append");
        writer.Sync([this, core](Status st) {
          CORELOG_CHECK(st.has_value(), "sync");
          cores_.Post(core, [this, core] { ++applied_[core]; });
        });
      }
    });
  }
  // Waits until everything appended so far on every core is applied.
  void Settle() {
    for (uint32_t c = 0; c < applied_.size(); ++c) {
      cores_.Drain(c);
      CORELOG_CHECK(wal_->writer(c).SyncNow().has_value(), "sync");
      cores_.Drain(c);
    }
  }
  uint64_t OldestNeeded(uint32_t core) override { return needed_[core].load(); }
  // Makes the host claim it still reads core `core`'s WAL from `position`.
  void SetOldestNeeded(uint32_t core, uint64_t position) { needed_[core].store(position); }
  int64_t appended(uint32_t core) const { return next_[core]; }  // after Settle()
  void DropCore(int core) { drop_core_ = core; }
  int captures() const { return captures_; }

 private:
  wal::Manager* wal_;
  FakeCores cores_;
  std::vector<int64_t> applied_;  // element c: core c's thread only
  std::vector<int64_t> next_;     // element c: core c's thread only
  std::vector<std::atomic<uint64_t>> needed_ = std::vector<std::atomic<uint64_t>>(8);
  std::atomic<int> drop_core_{-1};
  std::atomic<int> captures_{0};
};

inline std::unique_ptr<rocksdb::DB> OpenDb(const std::string& dir) {
  rocksdb::Options options;
  options.create_if_missing = true;
  // Closing must not flush: a test's "crash" keeps only what is durable.
  options.avoid_flush_during_shutdown = true;
  rocksdb::DB* raw = nullptr;
  auto s = rocksdb::DB::Open(options, dir, &raw);
  CORELOG_CHECK(s.ok(), s.ToString().c_str());
  return std::unique_ptr<rocksdb::DB>(raw);
}

// What a crash right now would leave of `db`: its files without flushing
// the memtables (writes without RocksDB's WAL are lost, as in a crash).
inline std::unique_ptr<rocksdb::DB> CrashImage(rocksdb::DB* db, const std::string& dir) {
  std::filesystem::remove_all(dir);
  rocksdb::Checkpoint* raw = nullptr;
  CORELOG_CHECK(rocksdb::Checkpoint::Create(db, &raw).ok(), "checkpoint object");
  std::unique_ptr<rocksdb::Checkpoint> cp(raw);
  auto s = cp->CreateCheckpoint(dir, std::numeric_limits<uint64_t>::max());
  CORELOG_CHECK(s.ok(), s.ToString().c_str());
  return OpenDb(dir);
}

}  // namespace corelog::checkpoint::testing

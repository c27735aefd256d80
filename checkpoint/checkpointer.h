// Checkpointer: the checkpoint thread. Every interval (or sooner when a
// core's WAL grew past a byte threshold since the last checkpoint; never
// when no core logged anything since the last one) it cuts a
// new epoch across all cores with barrier entries, writes the manifest and
// the host's state at that cut in one RocksDB WriteBatch, flushes RocksDB so
// both are on disk together with every record written before them, and only
// then deletes the WAL segments below each core's barrier that the host no
// longer reads (Host::OldestNeeded). The protocol and
// why it flushes instead of syncing RocksDB's own WAL: docs/architecture.md.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "checkpoint/host.h"
#include "checkpoint/manifest.h"
#include "common/result.h"

namespace rocksdb {
class DB;
}
namespace corelog::wal {
class Manager;
}
namespace corelog::metrics {
class CheckpointMetrics;
}

namespace corelog::checkpoint {

// The steps of one checkpoint, in order, for the test fault seam.
enum class Step { kBarrier, kCapture, kWrite, kFlush, kTruncate };
const char* ToString(Step step);

struct Options {
  std::chrono::milliseconds interval{1000};
  // A core whose WAL grew by more than this since the last checkpoint
  // triggers one early; 0 = only the interval.
  uint64_t bytes_threshold = 0;
  // How long a checkpoint waits for every core's barrier.
  std::chrono::milliseconds barrier_timeout{30000};
  // Test seam: called before each step; an error fails the checkpoint there.
  std::function<Status(Step)> before_step;
};

// What the metrics (or an operator) can read; a consistent snapshot.
struct Stats {
  uint64_t epoch = 0;        // of the last durable checkpoint
  uint64_t checkpoints = 0;  // durable checkpoints since start
  uint64_t failures = 0;     // failed attempts since start
  int64_t last_success_unix_ms = 0;
  std::chrono::nanoseconds last_duration{0};
  std::vector<uint64_t> positions;  // per core, covered by the last checkpoint
  uint64_t reclaimed_segments = 0;
};

// Thread-safety: Start, Stop and RunOnce are for one controlling thread (the
// background thread, once started, is the only caller of RunOnce); stats()
// and SetMetrics may be called from any thread.
class Checkpointer {
 public:
  // `wal`, `db` and `host` must outlive the Checkpointer. `last` is the
  // manifest recovery started from (its positions seed the byte threshold).
  Checkpointer(Options options, wal::Manager* wal, rocksdb::DB* db, Host* host,
               std::optional<Manifest> last = std::nullopt);
  ~Checkpointer();
  Checkpointer(const Checkpointer&) = delete;
  Checkpointer& operator=(const Checkpointer&) = delete;

  // Starts the background thread.
  void Start();
  // Stops it, waiting for a checkpoint in progress; idempotent.
  void Stop();

  // Takes one checkpoint now, on the calling thread; the cores must be
  // running their tasks. Returns the durable manifest, or why it failed (the
  // previous checkpoint then stays valid and nothing was truncated).
  Result<Manifest> RunOnce();

  Stats stats() const;
  // Optional; reported to on every success and failure.
  void SetMetrics(metrics::CheckpointMetrics* metrics) { metrics_.store(metrics); }

 private:
  struct Round;
  void Loop();
  bool Due(std::chrono::steady_clock::time_point next) const;
  bool Idle() const;
  Result<Manifest> Cut(uint64_t epoch, State* state, std::vector<uint64_t>* reclaim_below);
  Status Persist(const Manifest& manifest, const State& state);
  void Truncate(const Manifest& manifest, const std::vector<uint64_t>& reclaim_below);
  Status Before(Step step) const;
  void Record(const Result<Manifest>& result, std::chrono::nanoseconds took);

  const Options options_;
  wal::Manager* const wal_;
  rocksdb::DB* const db_;
  Host* const host_;
  std::atomic<metrics::CheckpointMetrics*> metrics_{nullptr};

  mutable std::mutex stats_mu_;
  Stats stats_;

  std::mutex mu_;
  std::condition_variable wake_;
  bool stop_ = false;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

// Writes `manifest` and `state` in one WriteBatch without RocksDB's WAL and
// flushes the memtables, so they are durable together with every write made
// before. Used by Checkpointer and by recovery when it changes the layout.
Status WriteDurably(rocksdb::DB* db, const Manifest& manifest, const State& state);

}  // namespace corelog::checkpoint

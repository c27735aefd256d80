#include "checkpoint/checkpointer.h"

#include <rocksdb/db.h>
#include <rocksdb/options.h>
#include <rocksdb/write_batch.h>

#include <algorithm>

#include "checkpoint/errc.h"
#include "common/log.h"
#include "common/thread_name.h"
#include "metrics/checkpoint_metrics.h"
#include "wal/manager.h"

namespace corelog::checkpoint {
namespace {

using Clock = std::chrono::steady_clock;

int64_t UnixMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Error StoreError(const rocksdb::Status& s, const std::string& what) {
  return MakeError(Errc::kStore, what + ": " + s.ToString());
}

Status WriteBatchOf(rocksdb::DB* db, const Manifest& manifest, const State& state) {
  rocksdb::WriteBatch batch;
  for (const StateWrite& w : state) {
    if (w.value) {
      batch.Put(w.key, *w.value);
    } else {
      batch.Delete(w.key);
    }
  }
  // Last, so a reader of the batch sees the manifest only with its state.
  batch.Put(rocksdb::Slice(kManifestKey.data(), kManifestKey.size()), EncodeManifest(manifest));
  // Without RocksDB's WAL: the manifest must never be durable before the
  // records (also written without it) that it claims to cover. In the
  // memtable it becomes durable only by a flush, and flushes persist
  // memtables oldest first, so with every write before it.
  rocksdb::WriteOptions wo;
  wo.disableWAL = true;
  auto s = db->Write(wo, &batch);
  if (!s.ok()) return StoreError(s, "writing checkpoint epoch " + std::to_string(manifest.epoch));
  return Ok();
}

Status FlushStore(rocksdb::DB* db, uint64_t epoch) {
  rocksdb::FlushOptions fo;
  fo.wait = true;
  auto s = db->Flush(fo);
  if (!s.ok()) return StoreError(s, "flushing checkpoint epoch " + std::to_string(epoch));
  return Ok();
}

}  // namespace

const char* ToString(Step step) {
  switch (step) {
    case Step::kBarrier:
      return "barrier";
    case Step::kCapture:
      return "capture";
    case Step::kWrite:
      return "write";
    case Step::kFlush:
      return "flush";
    case Step::kTruncate:
      return "truncate";
  }
  return "?";
}

Status WriteDurably(rocksdb::DB* db, const Manifest& manifest, const State& state) {
  CORELOG_TRY(WriteBatchOf(db, manifest, state));
  return FlushStore(db, manifest.epoch);
}

// The replies of one checkpoint's cores. Shared with the tasks posted to the
// cores, so a checkpoint that gave up (timeout, stop) leaves them harmless.
struct Checkpointer::Round {
  explicit Round(uint32_t cores)
      : positions(cores), reclaim_below(cores), states(cores), remaining(cores) {}

  void Done(uint32_t core, uint64_t position, uint64_t needed, State state) {
    std::lock_guard lock(mu);
    positions[core] = position;
    reclaim_below[core] = std::min(position, needed);
    states[core] = std::move(state);
    if (--remaining == 0) cv.notify_all();
  }
  void Fail(Error e) {
    std::lock_guard lock(mu);
    if (!error) error = std::move(e);
    cv.notify_all();
  }

  std::mutex mu;
  std::condition_variable cv;
  std::vector<uint64_t> positions;
  std::vector<uint64_t> reclaim_below;  // min(barrier, what the host still reads)
  std::vector<State> states;
  uint32_t remaining;
  std::optional<Error> error;
};

Checkpointer::Checkpointer(Options options, wal::Manager* wal, rocksdb::DB* db, Host* host,
                           std::optional<Manifest> last)
    : options_(std::move(options)), wal_(wal), db_(db), host_(host) {
  stats_.epoch = last ? last->epoch : 0;
  if (last && last->positions.size() == wal_->num_cores()) {
    stats_.positions = last->positions;
  } else {
    stats_.positions.assign(wal_->num_cores(), 0);
  }
}

Checkpointer::~Checkpointer() { Stop(); }

void Checkpointer::Start() {
  std::lock_guard lock(mu_);
  if (thread_.joinable()) return;
  stop_ = false;
  stopping_.store(false);
  thread_ = std::thread([this] {
    SetThreadName("checkpoint");
    Loop();
  });
}

void Checkpointer::Stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
    stopping_.store(true);
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  // Only a checkpoint running in the background thread is abandoned; a
  // RunOnce after Stop (a last checkpoint at shutdown) waits normally.
  stopping_.store(false);
}

Stats Checkpointer::stats() const {
  std::lock_guard lock(stats_mu_);
  return stats_;
}

Status Checkpointer::Before(Step step) const {
  if (!options_.before_step) return Ok();
  auto st = options_.before_step(step);
  if (!st) return st.error().Wrap(std::string("before step ") + ToString(step));
  return Ok();
}

void Checkpointer::Loop() {
  // Polls often enough to notice the byte threshold; the interval alone
  // needs no polling.
  const auto poll =
      options_.bytes_threshold > 0
          ? std::min<std::chrono::milliseconds>(options_.interval, std::chrono::milliseconds(20))
          : options_.interval;
  auto next = Clock::now() + options_.interval;
  std::unique_lock lock(mu_);
  while (!stop_) {
    wake_.wait_for(
        lock, std::min<Clock::duration>(
                  poll, std::max<Clock::duration>(next - Clock::now(), Clock::duration::zero())));
    if (stop_) break;
    if (!Due(next)) continue;
    if (Idle()) {
      // Nothing was logged since the last cut: a checkpoint would only add
      // barriers and a flush.
      next = Clock::now() + options_.interval;
      continue;
    }
    lock.unlock();
    auto result = RunOnce();
    if (!result) LOG_ERROR("checkpoint failed, will retry: " << result.error().message());
    next = Clock::now() + options_.interval;
    lock.lock();
  }
}

bool Checkpointer::Due(Clock::time_point next) const {
  if (Clock::now() >= next) return true;
  if (options_.bytes_threshold == 0) return false;
  std::vector<uint64_t> covered = stats().positions;
  for (uint32_t core = 0; core < wal_->num_cores() && core < covered.size(); ++core) {
    if (wal_->writer(core).position() - covered[core] > options_.bytes_threshold) return true;
  }
  return false;
}

bool Checkpointer::Idle() const {
  std::vector<uint64_t> covered = stats().positions;
  for (uint32_t core = 0; core < wal_->num_cores(); ++core) {
    if (core >= covered.size() || wal_->writer(core).position() != covered[core]) return false;
  }
  return true;
}

Result<Manifest> Checkpointer::RunOnce() {
  const auto start = Clock::now();
  std::vector<uint64_t> reclaim_below;
  Result<Manifest> result = [&]() -> Result<Manifest> {
    // A new epoch first: every entry appended after a core's barrier carries
    // it, so replay can tell the two sides of the cut apart.
    const uint64_t epoch = wal_->AdvanceEpoch();
    State state;
    CORELOG_ASSIGN_OR_RETURN(Manifest manifest, Cut(epoch, &state, &reclaim_below));
    CORELOG_TRY(Persist(manifest, state));
    return manifest;
  }();
  Record(result, Clock::now() - start);
  if (result) Truncate(*result, reclaim_below);
  return result;
}

// Posts "append a barrier, and once it is durable capture your state" to
// every core and waits for all of them.
Result<Manifest> Checkpointer::Cut(uint64_t epoch, State* state,
                                   std::vector<uint64_t>* reclaim_below) {
  CORELOG_TRY(Before(Step::kBarrier));
  const uint32_t cores = wal_->num_cores();
  auto round = std::make_shared<Round>(cores);
  Host* host = host_;
  const bool fail_capture = !Before(Step::kCapture);
  for (uint32_t core = 0; core < cores; ++core) {
    wal::CoreWriter* writer = &wal_->writer(core);
    host->RunOnCore(core, [round, host, writer, core, epoch, fail_capture] {
      auto position = writer->AppendBarrier(epoch);
      if (!position)
        return round->Fail(position.error().Wrap("barrier on core " + std::to_string(core)));
      writer->Sync([round, host, core, epoch, pos = *position, fail_capture](Status synced) {
        if (!synced)
          return round->Fail(
              synced.error().Wrap("syncing the barrier of core " + std::to_string(core)));
        host->RunOnCore(core, [round, host, core, epoch, pos, fail_capture] {
          if (fail_capture) return round->Fail(MakeError(Errc::kInjected, "capture failed"));
          auto captured = host->CaptureCore(core, epoch);
          if (!captured)
            return round->Fail(captured.error().Wrap("capturing core " + std::to_string(core)));
          round->Done(core, pos, host->OldestNeeded(core), std::move(*captured));
        });
      });
    });
  }
  std::unique_lock lock(round->mu);
  const auto deadline = Clock::now() + options_.barrier_timeout;
  while (round->remaining > 0 && !round->error && !stopping_.load()) {
    if (round->cv.wait_until(lock,
                             std::min(deadline, Clock::now() + std::chrono::milliseconds(50))) ==
            std::cv_status::timeout &&
        Clock::now() >= deadline) {
      return MakeError(Errc::kTimeout, "epoch " + std::to_string(epoch) + ": " +
                                           std::to_string(round->remaining) +
                                           " cores did not report");
    }
  }
  if (round->error) return round->error->Wrap("epoch " + std::to_string(epoch));
  if (round->remaining > 0)
    return MakeError(Errc::kStopped, "stopped during epoch " + std::to_string(epoch));
  for (State& s : round->states) std::move(s.begin(), s.end(), std::back_inserter(*state));
  *reclaim_below = round->reclaim_below;
  lock.unlock();
  CORELOG_ASSIGN_OR_RETURN(State shared, host_->CaptureShared(epoch));
  std::move(shared.begin(), shared.end(), std::back_inserter(*state));
  return Manifest{epoch, round->positions, UnixMs()};
}

Status Checkpointer::Persist(const Manifest& manifest, const State& state) {
  CORELOG_TRY(Before(Step::kWrite));
  CORELOG_TRY(WriteBatchOf(db_, manifest, state));
  CORELOG_TRY(Before(Step::kFlush));
  return FlushStore(db_, manifest.epoch);
}

// Runs only after Persist: the WAL below the barriers is no longer needed
// for replay, and below `reclaim_below` not by the host either.
// A failure here costs disk space, never data, so it does not fail the
// checkpoint; the next one deletes what this one left.
void Checkpointer::Truncate(const Manifest& manifest, const std::vector<uint64_t>& reclaim_below) {
  if (auto st = Before(Step::kTruncate); !st) {
    LOG_WARN("checkpoint epoch " << manifest.epoch
                                 << ": WAL not reclaimed: " << st.error().message());
    return;
  }
  size_t deleted = 0;
  for (uint32_t core = 0; core < manifest.positions.size(); ++core) {
    auto n = wal_->DeleteSegmentsBelow(core, reclaim_below[core]);
    if (!n) {
      LOG_WARN("checkpoint epoch " << manifest.epoch << ": reclaiming core " << core
                                   << "'s WAL failed: " << n.error().message());
      continue;
    }
    deleted += *n;
  }
  std::lock_guard lock(stats_mu_);
  stats_.reclaimed_segments += deleted;
}

void Checkpointer::Record(const Result<Manifest>& result, std::chrono::nanoseconds took) {
  auto* metrics = metrics_.load();
  std::lock_guard lock(stats_mu_);
  if (!result) {
    ++stats_.failures;
    if (metrics) metrics->OnFailure();
    return;
  }
  stats_.epoch = result->epoch;
  ++stats_.checkpoints;
  stats_.last_success_unix_ms = result->unix_ms;
  stats_.last_duration = took;
  stats_.positions = result->positions;
  if (metrics) metrics->OnSuccess(result->epoch, took, result->positions);
}

}  // namespace corelog::checkpoint

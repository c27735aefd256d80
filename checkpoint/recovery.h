// Start-up recovery of a WAL host: open (or create) the per-core WAL, hand
// every entry the last durable checkpoint does not cover to the host, and
// restore the epoch as the larger of the manifest's and the WAL's. When the
// WAL on disk was written with another core count, it is replayed whole,
// the host's state checkpointed, and the WAL replaced by an empty one of the
// new layout. docs/architecture.md, "Recovery", has the crash analysis.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>

#include "checkpoint/host.h"
#include "checkpoint/manifest.h"
#include "common/result.h"
#include "wal/entry.h"
#include "wal/options.h"

namespace rocksdb {
class DB;
}
namespace corelog::wal {
class Manager;
}

namespace corelog::checkpoint {

struct Recovered {
  std::unique_ptr<wal::Manager> wal;
  // The checkpoint now on disk (the one written for a layout change, or the
  // one recovery started from); nullopt when there has never been one.
  std::optional<Manifest> manifest;
  uint64_t epoch = 0;
  uint64_t replayed_entries = 0;
  uint64_t replayed_bytes = 0;
  uint32_t previous_cores = 0;  // the WAL's core count found on disk (0 = none)
};

struct RecoveryHooks {
  // Every entry after the checkpoint's position, per core in log order,
  // cores one after another. Re-applying must be idempotent: entries before
  // a cut may be handed over again when the layout changes.
  std::function<Status(const wal::Entry&)> apply;
  // The host's whole state after replay; used only for a layout change.
  std::function<Result<State>()> state;
  // Optional; told before any entry is applied whether the WAL on disk has
  // another layout, so that it will be replaced once replayed.
  std::function<void(bool replaced)> before_replay;
};

// `options.num_cores` is the layout wanted from now on.
Result<Recovered> Recover(const wal::Options& options, rocksdb::DB* db, const RecoveryHooks& hooks);

}  // namespace corelog::checkpoint

#include "checkpoint/recovery.h"

#include <algorithm>
#include <chrono>
#include <filesystem>

#include "checkpoint/checkpointer.h"
#include "checkpoint/errc.h"
#include "common/log.h"
#include "wal/errc.h"
#include "wal/file_system.h"
#include "wal/manager.h"

namespace corelog::checkpoint {
namespace {

// A layout change builds the new WAL beside the old one, then swaps names.
std::string StagingDir(const wal::Options& o) { return o.dir + ".new"; }
std::string RetiredDir(const wal::Options& o) { return o.dir + ".retired"; }
std::string ParentDir(const wal::Options& o) {
  auto parent = std::filesystem::path(o.dir).parent_path().string();
  return parent.empty() ? "." : parent;
}

Status RemoveTree(const std::string& dir) {
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  if (ec) return Error(ec, "removing " + dir + ": " + ec.message());
  return Ok();
}

// Cores 0..n-1 that have segments: the layout the WAL was written with.
Result<uint32_t> CoresOnDisk(const wal::Options& options) {
  uint32_t n = 0;
  for (;; ++n) {
    CORELOG_ASSIGN_OR_RETURN(auto segments, wal::ListSegments(options, n));
    if (segments.empty()) return n;
  }
}

// Leftovers of a layout change that crashed: a staging WAL that never
// became the WAL (its manifest may exist, but it has no entries yet) and a
// retired WAL whose content a durable checkpoint covers.
Status RemoveLeftovers(const wal::Options& options) {
  CORELOG_TRY(RemoveTree(StagingDir(options)));
  return RemoveTree(RetiredDir(options));
}

int64_t UnixMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The manifest's position for `core` must lie inside what the WAL retains;
// anything else means entries it covers are gone.
Status CheckManifestPosition(wal::Manager& wal, const Manifest& manifest, uint32_t core) {
  const uint64_t at = manifest.positions[core];
  const uint64_t oldest = wal.writer(core).oldest_position();
  const uint64_t end = wal.writer(core).position();
  if (at >= oldest && at <= end) return Ok();
  return MakeError(Errc::kMissingWal, "the checkpoint of epoch " + std::to_string(manifest.epoch) +
                                          " needs core " + std::to_string(core) +
                                          "'s WAL from position " + std::to_string(at) +
                                          ", but it holds " + std::to_string(oldest) + ".." +
                                          std::to_string(end));
}

// Opens the WAL written by `cores` cores. With `hooks`, it is replayed in
// the same pass over its files: from the manifest's position when the
// manifest describes this layout (segments below it are not read), else
// every retained entry.
Result<std::unique_ptr<wal::Manager>> OpenExisting(wal::Options options, uint32_t cores,
                                                   const std::optional<Manifest>& manifest = {},
                                                   const RecoveryHooks* hooks = nullptr,
                                                   Recovered* out = nullptr) {
  const bool same_layout = manifest && manifest->positions.size() == cores;
  auto replay = [&](const wal::Entry& e) -> Status {
    auto st = hooks->apply(e);
    if (!st) {
      return st.error().Wrap("replaying core " + std::to_string(e.core) + " at position " +
                             std::to_string(e.position));
    }
    ++out->replayed_entries;
    out->replayed_bytes += e.end_position - e.position;
    return Ok();
  };
  options.num_cores = cores;
  std::span<const uint64_t> from;
  if (same_layout) from = manifest->positions;
  auto opened = hooks ? wal::Manager::Open(options, replay, from) : wal::Manager::Open(options);
  if (!opened && opened.error().code() == wal::Errc::kReclaimed) {
    return MakeError(Errc::kMissingWal, "the checkpoint of epoch " +
                                            std::to_string(manifest->epoch) + " needs WAL that " +
                                            options.dir + " no longer holds: " +
                                            opened.error().message());
  }
  if (!opened) return opened.error().Wrap("opening the WAL in " + options.dir);
  if (same_layout) {
    for (uint32_t core = 0; core < cores; ++core) {
      CORELOG_TRY(CheckManifestPosition(**opened, *manifest, core));
    }
  }
  return std::move(*opened);
}

// The old WAL is replayed; now checkpoint the host's state with positions in
// a fresh, empty WAL of the new layout and swap it in. Every crash point
// leaves either the old WAL with a checkpoint that the old WAL's replay
// completes, or the new WAL with a checkpoint that covers all of the old.
Result<std::unique_ptr<wal::Manager>> Relayout(const wal::Options& options, rocksdb::DB* db,
                                               const RecoveryHooks& hooks, uint64_t epoch,
                                               Recovered* out) {
  wal::FileSystem* fs = wal::FileSystemOf(options);
  wal::Options staging = options;
  staging.dir = StagingDir(options);
  std::vector<uint64_t> positions;
  {
    auto created = wal::Manager::Create(staging);
    if (!created) return created.error().Wrap("creating the WAL in " + staging.dir);
    positions = (*created)->positions();
  }
  CORELOG_ASSIGN_OR_RETURN(State state, hooks.state());
  Manifest manifest{epoch, positions, UnixMs()};
  CORELOG_TRY(WriteDurably(db, manifest, state));
  CORELOG_TRY(fs->Rename(options.dir, RetiredDir(options)));
  CORELOG_TRY(fs->Rename(staging.dir, options.dir));
  CORELOG_TRY(fs->SyncDir(ParentDir(options)));
  CORELOG_TRY(RemoveTree(RetiredDir(options)));
  out->manifest = manifest;
  CORELOG_ASSIGN_OR_RETURN(auto wal, OpenExisting(options, options.num_cores));
  CORELOG_TRY(wal->SetEpochAll(epoch));
  return wal;
}

}  // namespace

Result<Recovered> Recover(const wal::Options& options, rocksdb::DB* db,
                          const RecoveryHooks& hooks) {
  Recovered out;
  CORELOG_ASSIGN_OR_RETURN(out.manifest, ReadManifest(db));
  CORELOG_ASSIGN_OR_RETURN(out.previous_cores, CoresOnDisk(options));
  if (out.previous_cores > 0) CORELOG_TRY(RemoveLeftovers(options));

  if (out.previous_cores == 0) {
    if (out.manifest && std::any_of(out.manifest->positions.begin(), out.manifest->positions.end(),
                                    [](uint64_t p) { return p > 0; })) {
      return MakeError(Errc::kMissingWal,
                       "the checkpoint of epoch " + std::to_string(out.manifest->epoch) +
                           " needs WAL entries but " + options.dir + " holds none");
    }
    CORELOG_TRY(RemoveLeftovers(options));
    auto created = wal::Manager::Create(options);
    if (!created) return created.error().Wrap("creating the WAL in " + options.dir);
    out.wal = std::move(*created);
    out.epoch = out.manifest ? out.manifest->epoch : 0;
    CORELOG_TRY(out.wal->SetEpochAll(out.epoch));
    return out;
  }

  // A WAL about to be replaced is replayed whole: a host may still read
  // entries below the checkpoint from it (Host::OldestNeeded).
  const bool replaced = out.previous_cores != options.num_cores;
  if (hooks.before_replay) hooks.before_replay(replaced);
  CORELOG_ASSIGN_OR_RETURN(
      auto wal, OpenExisting(options, out.previous_cores,
                             replaced ? std::nullopt : out.manifest, &hooks, &out));
  out.epoch = std::max(wal->epoch(), out.manifest ? out.manifest->epoch : 0);
  if (out.previous_cores == options.num_cores) {
    CORELOG_TRY(wal->SetEpochAll(out.epoch));
    out.wal = std::move(wal);
    return out;
  }
  LOG_INFO("WAL was written by " << out.previous_cores << " cores, now " << options.num_cores
                                 << ": checkpointing and starting a new WAL");
  wal.reset();  // closes the old WAL before its directory is renamed
  CORELOG_ASSIGN_OR_RETURN(out.wal, Relayout(options, db, hooks, out.epoch + 1, &out));
  out.epoch += 1;
  return out;
}

}  // namespace corelog::checkpoint

// Configuration of a per-core WAL (where segments live, how they are named,
// when they roll, how damage found on open is treated) and the segment path
// helpers shared by writers, readers and recovery. The on-disk format is in
// docs/wal_format.md.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace corelog::wal {

class FileSystem;
class SyncObserver;

inline constexpr uint64_t kMiB = uint64_t{1} << 20;

// What Open() and CoreReader do with damaged bytes. "Valid" means an entry
// whose masked CRC-32C verifies. Only the newest segment of a core can have
// a torn tail: a segment is fdatasync'ed before its successor is created.
enum class RecoveryPolicy {
  // Default. Damage with no valid entry after it in the core's log (a write
  // cut short by a crash: short entry, zero fill, bad checksum on the final
  // entry, a half-created newest segment) is cut off on open. Damage followed
  // by a valid entry fails with kCorruption naming the file and byte offset.
  kTolerateTornTail,
  // As kTolerateTornTail, but damage followed by valid entries is skipped:
  // logged, listed in CoreReader::report(), later entries kept. For an
  // operator recovering what can be recovered.
  kSalvage,
  // Any damage, a torn tail included, fails with kTornTail or kCorruption.
  // For logs known to have been closed cleanly.
  kAbsoluteConsistency,
};

const char* ToString(RecoveryPolicy policy);

struct Options {
  std::string dir;
  uint32_t num_cores = 1;
  // Relative to `dir`. `{core_id}` is replaced by the core number and
  // `{segment}` by the zero-padded segment number; `{segment}` must be in
  // the file name and must not touch `{core_id}`.
  std::string segment_pattern = "core-{core_id}/{segment}.wal";
  // A segment rolls before an entry would take it past this size. An entry
  // larger than this gets a segment of its own.
  uint64_t segment_bytes = 64 * kMiB;
  RecoveryPolicy recovery = RecoveryPolicy::kTolerateTornTail;
  // Append with O_DIRECT (PosixDirectFileSystem) instead of through
  // the page cache; used only when `fs` is unset.
  bool direct_io = false;
  // Bytes of the newest written batches each core keeps in memory, so that
  // Manager::AppendDataPayload serves readers at the log's end without a
  // disk read. 0 turns the cache off.
  size_t tail_cache_bytes = 32 * kMiB;
  // Segments each core keeps, once reclaimed, to write its next segments
  // over instead of growing new files (see CoreWriter::DeleteSegmentsBelow):
  // a write into blocks a file already has makes its fdatasync a bare
  // device flush. Each costs up to segment_bytes of disk. 0 = delete them.
  uint32_t spare_segments = 0;
  FileSystem* fs = nullptr;            // nullptr = PosixFileSystem()
  SyncObserver* observer = nullptr;    // optional; must outlive the Manager
};

// kInvalidArgument naming the problem, or Ok.
Status ValidateOptions(const Options& options);

// The file system Options selects.
FileSystem* FileSystemOf(const Options& options);

// Path of segment `segment` of core `core`, e.g. "<dir>/core-1/0000000003.wal".
std::string SegmentPath(const Options& options, uint32_t core, uint64_t segment = 0);

// Where a reclaimed segment waits to be reused: its path + ".spare", a name
// no segment pattern matches.
std::string SparePath(const Options& options, uint32_t core, uint64_t segment);
inline constexpr std::string_view kSpareSuffix = ".spare";

// The directory that holds core `core`'s segments.
std::string CoreDirectory(const Options& options, uint32_t core);

// The segment number if `file_name` is a segment name of core `core`.
std::optional<uint64_t> ParseSegmentNumber(const Options& options, uint32_t core,
                                           std::string_view file_name);

struct SegmentFile {
  uint64_t number;
  std::string path;
};

// Core `core`'s segment files in number order; empty if its directory is missing.
Result<std::vector<SegmentFile>> ListSegments(const Options& options, uint32_t core);
// The same for its spares (SparePath).
Result<std::vector<SegmentFile>> ListSpares(const Options& options, uint32_t core);

}  // namespace corelog::wal

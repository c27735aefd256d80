// The checkpoint manifest: which epoch the last durable checkpoint cut, and
// where on each core's WAL its barrier ended. Everything before those
// positions is in the state store; recovery replays from them. Stored as one
// RocksDB value next to the host's state (docs/architecture.md, "Checkpoints").
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace rocksdb {
class DB;
}

namespace corelog::checkpoint {

// The RocksDB key of the manifest ('m' is the store's metadata prefix).
inline constexpr std::string_view kManifestKey = "mcheckpoint";

struct Manifest {
  uint64_t epoch = 0;
  // Core i's barrier end position; its size is the WAL's core count.
  std::vector<uint64_t> positions;
  int64_t unix_ms = 0;  // wall-clock time the checkpoint was taken

  bool operator==(const Manifest&) const = default;
};

// Version byte, epoch, time, core count, positions; little-endian.
std::string EncodeManifest(const Manifest& m);
// kBadManifest if `bytes` is not an encoded manifest.
Result<Manifest> DecodeManifest(std::string_view bytes);

// The manifest stored in `db`, or nullopt if no checkpoint was ever written.
Result<std::optional<Manifest>> ReadManifest(rocksdb::DB* db);

}  // namespace corelog::checkpoint

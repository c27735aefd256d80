#include "checkpoint/manifest.h"

#include <rocksdb/db.h>

#include "checkpoint/errc.h"
#include "common/coding.h"

namespace corelog::checkpoint {
namespace {

constexpr uint8_t kManifestVersion = 1;
constexpr size_t kFixedSize = 1 + 8 + 8 + 4;
// More cores than any machine has: a count above it is damage.
constexpr uint32_t kMaxCores = 1u << 16;

}  // namespace

std::string EncodeManifest(const Manifest& m) {
  std::string out;
  out.push_back(static_cast<char>(kManifestVersion));
  AppendLE<uint64_t>(&out, m.epoch);
  AppendLE<int64_t>(&out, m.unix_ms);
  AppendLE<uint32_t>(&out, static_cast<uint32_t>(m.positions.size()));
  for (uint64_t p : m.positions) AppendLE<uint64_t>(&out, p);
  return out;
}

Result<Manifest> DecodeManifest(std::string_view bytes) {
  if (bytes.size() < kFixedSize || static_cast<uint8_t>(bytes[0]) != kManifestVersion) {
    return MakeError(Errc::kBadManifest, "checkpoint manifest has an unknown version or is short");
  }
  Manifest m;
  m.epoch = DecodeLE<uint64_t>(bytes.data() + 1);
  m.unix_ms = DecodeLE<int64_t>(bytes.data() + 9);
  uint32_t cores = DecodeLE<uint32_t>(bytes.data() + 17);
  if (cores == 0 || cores > kMaxCores || bytes.size() != kFixedSize + 8ull * cores) {
    return MakeError(Errc::kBadManifest, "checkpoint manifest names " + std::to_string(cores) +
                                             " cores in " + std::to_string(bytes.size()) +
                                             " bytes");
  }
  for (uint32_t i = 0; i < cores; ++i) {
    m.positions.push_back(DecodeLE<uint64_t>(bytes.data() + kFixedSize + 8 * i));
  }
  return m;
}

Result<std::optional<Manifest>> ReadManifest(rocksdb::DB* db) {
  std::string value;
  auto s = db->Get(rocksdb::ReadOptions(), rocksdb::Slice(kManifestKey.data(), kManifestKey.size()),
                   &value);
  if (s.IsNotFound()) return std::optional<Manifest>();
  if (!s.ok()) return MakeError(Errc::kStore, "reading the checkpoint manifest: " + s.ToString());
  CORELOG_ASSIGN_OR_RETURN(Manifest m, DecodeManifest(value));
  return std::optional<Manifest>(std::move(m));
}

}  // namespace corelog::checkpoint

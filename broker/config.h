// corelogd's configuration: the embedded defaults, a Kafka-style properties
// file (`--config FILE`), and command-line flags that override it. Every
// source ends up as (key, value) pairs applied through one table of keys, so
// a flag, a file line and `--override key=value` mean exactly the same thing.
#pragma once

#include <cstdint>
#include <string>
#include <variant>

#include "common/result.h"

namespace corelog::broker {

struct HostPort {
  std::string host;
  uint16_t port = 0;
  std::string ToString() const { return host + ":" + std::to_string(port); }
};

// Parses "HOST:PORT", "[::1]:PORT" or "PLAINTEXT://HOST:PORT".
Result<HostPort> ParseHostPort(const std::string& text);

struct Config {
  HostPort listen{"127.0.0.1", 9092};
  HostPort advertised_listener;  // empty host = same as the bound listen address
  HostPort metrics_listen{"127.0.0.1", 9644};
  std::string data_dir = "./data";
  uint32_t cores = 0;  // 0 = the CPU count
  int32_t num_partitions = 1;
  int64_t checkpoint_interval_ms = 1000;
  // A core's WAL growing by this much since the last checkpoint triggers
  // one before the interval ends (0 = never). It bounds what a restart
  // replays (~0.15 s per core at 256 MiB); each checkpoint flushes RocksDB,
  // and at 32 MiB those flushes and their compactions cost a saturated
  // broker a fifth of its CPU.
  uint64_t checkpoint_bytes_threshold = 256ull << 20;
  // Segments are reclaimed whole, so the WAL on disk is about one segment
  // per core more than what the topics retain. Large, because a roll costs
  // the group commit that crosses it two more device flushes (closing the
  // finished segment, syncing the directory after the new one): with 16 MiB
  // segments at 450 k records/s of 1 KB that was ~27 rolls a second, and
  // 3-5 times as many produce requests took over 1 ms as with 128 MiB.
  uint64_t wal_segment_bytes = 128ull << 20;
  // WAL appends bypass the page cache (O_DIRECT): the kernel's copy of every
  // record byte into cached pages is a large share of ingest CPU.
  bool wal_direct_io = true;
  // Per core, the newest WAL bytes kept in memory for consumers at the
  // log's end (0 = none: every fetch reads the disk).
  uint64_t wal_tail_cache_bytes = 32ull << 20;
  // Per core, reclaimed WAL segments kept to write new ones over: appends
  // into a file's existing blocks make each group commit's fdatasync a bare
  // device flush, without a journal commit for the file's new size, and the
  // file system frees no extents while producers wait. Only segments
  // reclaimed by retention become spares. Four cover the two 128 MiB
  // segments a default checkpoint reclaims at a time, with room to spare;
  // with fewer, the p99 under retention rose several-fold (docs/performance.md).
  uint32_t wal_spare_segments = 4;
  bool auto_create_topics = true;
  // How long an empty consumer group's first rebalance waits for more
  // members to join (Kafka's default: 3 s), so that consumers started
  // together are assigned their partitions in one rebalance.
  int32_t group_initial_rebalance_delay_ms = 3000;
  int32_t message_max_bytes = 1048588;
  int32_t socket_request_max_bytes = 100 << 20;
  int32_t node_id = 0;
  int64_t log_retention_ms = 7ll * 24 * 3600 * 1000;
  int64_t log_retention_bytes = -1;
  int64_t log_retention_check_interval_ms = 300000;
  std::string wal_recovery_policy = "tolerate-torn-tail";
  std::string log_level = "info";

  // Applies one Kafka-style key; an unknown key or a bad value is an error.
  Status Set(const std::string& key, const std::string& value);
  // Reads a properties file: `key=value` lines, `#` comments, blank lines.
  Status LoadFile(const std::string& path);
  // Fills the derived defaults (cores, advertised listener) and checks ranges.
  Status Finish();
};

// What ParseCommandLine decided.
struct HelpRequested {
  std::string text;
};
using CommandLine = std::variant<Config, HelpRequested>;

// Builds the configuration from argv: defaults, then --config FILE, then
// every flag and --override in order. Errors name the flag or key.
Result<CommandLine> ParseCommandLine(int argc, const char* const* argv);

}  // namespace corelog::broker

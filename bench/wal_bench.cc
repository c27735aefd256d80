// wal_bench: durable WAL ingest (append + group commit) for 100 B and 1 KB
// entries on 1 and 2 cores, each measured beside a raw append + fdatasync
// loop that writes the same bytes per fdatasync on as many files. Prints
// both rates and their ratio (target >= 0.9, see PERF.md: compare only
// figures from the same run).
//
// Flags: --mib-per-core=N (32) --rounds=N (4) --window-kib=N (256)
//        --request-kib=N (16) --dir=PATH (a fresh folder under $TMPDIR)
//        --direct-io=0|1 (1, as corelogd: WAL appends with O_DIRECT; the raw
//        baseline always appends through the page cache)
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "wal/manager.h"

namespace {

using Clock = std::chrono::steady_clock;
using corelog::Status;
namespace wal = corelog::wal;

struct Flags {
  uint64_t bytes_per_core = 32 * wal::kMiB;
  int rounds = 4;
  uint64_t window = 256 * 1024;        // unsynced bytes a producer may run ahead
  uint64_t request_bytes = 16 * 1024;  // a Sync() request after this many bytes
  std::string dir;
  bool direct_io = true;
};

struct WalResult {
  double seconds = 0;
  uint64_t disk_bytes = 0;  // entries + segment headers, all cores
  uint64_t entries = 0;
  uint64_t syncs = 0;
};

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

// Appends like a broker core: a Sync() per produce request, and waits only
// when it is more than `window` bytes ahead of what is durable.
uint64_t Produce(wal::CoreWriter& writer, size_t entry_bytes, const Flags& flags) {
  std::mutex mu;
  std::condition_variable cv;
  uint64_t acked = writer.synced_position();
  const std::string payload(entry_bytes, 'x');
  uint64_t start = writer.position(), since_request = 0, entries = 0;
  for (uint64_t end = start; end - start < flags.bytes_per_core; ++entries) {
    uint64_t previous = end;
    end = *writer.AppendData(7, static_cast<int64_t>(entries), payload);
    since_request += end - previous;
    if (since_request < flags.request_bytes) continue;
    since_request = 0;
    writer.Sync([&, end](Status s) {
      if (!s) std::abort();
      std::lock_guard lock(mu);
      acked = std::max(acked, end);
      cv.notify_one();
    });
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return end - acked <= flags.window; });
  }
  if (!writer.SyncNow()) std::abort();
  return entries;
}

WalResult RunWal(const std::string& dir, size_t entry_bytes, uint32_t cores, const Flags& flags) {
  std::filesystem::remove_all(dir);
  wal::Options options;
  options.dir = dir;
  options.num_cores = cores;
  options.direct_io = flags.direct_io;
  auto manager = std::move(*wal::Manager::Create(options));
  std::vector<uint64_t> syncs_before, entries(cores);
  for (uint32_t c = 0; c < cores; ++c) syncs_before.push_back(manager->writer(c).stats().syncs);
  auto start = Clock::now();
  std::vector<std::thread> threads;
  for (uint32_t c = 0; c < cores; ++c) {
    threads.emplace_back([&, c] { entries[c] = Produce(manager->writer(c), entry_bytes, flags); });
  }
  for (auto& t : threads) t.join();
  WalResult r;
  r.seconds = Seconds(Clock::now() - start);
  for (uint32_t c = 0; c < cores; ++c) {
    const wal::CoreWriter& w = manager->writer(c);
    r.disk_bytes += w.position() + w.segment_count() * wal::kSegmentHeaderSize;
    r.syncs += w.stats().syncs - syncs_before[c];
    r.entries += entries[c];
  }
  manager.reset();
  std::filesystem::remove_all(dir);
  return r;
}

void RawWriter(const std::string& path, uint64_t bytes_per_sync, uint64_t total) {
  int fd = ::open(path.c_str(), O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC, 0644);
  if (fd < 0) std::abort();
  std::string buf(bytes_per_sync, 'r');
  for (uint64_t done = 0; done < total; done += bytes_per_sync) {
    if (::write(fd, buf.data(), buf.size()) != static_cast<ssize_t>(buf.size())) std::abort();
    if (::fdatasync(fd) != 0) std::abort();
  }
  ::close(fd);
}

// Seconds for `cores` files each getting `total` bytes in fdatasync'ed writes.
double RunRaw(const std::string& dir, uint32_t cores, uint64_t bytes_per_sync, uint64_t total) {
  std::filesystem::create_directories(dir);
  auto start = Clock::now();
  std::vector<std::thread> threads;
  for (uint32_t c = 0; c < cores; ++c) {
    threads.emplace_back(RawWriter, dir + "/raw-" + std::to_string(c), bytes_per_sync, total);
  }
  for (auto& t : threads) t.join();
  double seconds = Seconds(Clock::now() - start);
  std::filesystem::remove_all(dir);
  return seconds;
}

Flags ParseFlags(int argc, char** argv) {
  Flags f;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&](const char* name) -> const char* {
      std::string prefix = std::string("--") + name + "=";
      return arg.rfind(prefix, 0) == 0 ? argv[i] + prefix.size() : nullptr;
    };
    if (auto v = value("mib-per-core")) f.bytes_per_core = std::strtoull(v, nullptr, 10) * wal::kMiB;
    else if (auto v = value("rounds")) f.rounds = std::max(1, std::atoi(v));
    else if (auto v = value("window-kib")) f.window = std::strtoull(v, nullptr, 10) * 1024;
    else if (auto v = value("request-kib")) f.request_bytes = std::strtoull(v, nullptr, 10) * 1024;
    else if (auto v = value("dir")) f.dir = v;
    else if (auto v = value("direct-io")) f.direct_io = std::atoi(v) != 0;
    else {
      std::fprintf(stderr, "unknown flag %s\n", argv[i]);
      std::exit(2);
    }
  }
  if (f.dir.empty()) {
    std::string tmpl = (std::filesystem::temp_directory_path() / "wal_bench_XXXXXX").string();
    if (::mkdtemp(tmpl.data()) == nullptr) std::abort();
    f.dir = tmpl;
  }
  return f;
}

struct Row {
  double wal_mbps, payload_mbps, entries_per_s, bytes_per_sync, raw_before, raw_after, ratio;
  bool stable;
};

double RawMbps(const Flags& flags, uint32_t cores, uint64_t per_sync, uint64_t per_core) {
  double seconds = RunRaw(flags.dir + "/raw", cores, per_sync, per_core);
  return double(per_core) * cores / seconds / 1e6;
}

// One round = raw A, WAL B, raw A' (PERF.md): the disk is shared and noisy,
// so B is compared with the mean of the raw runs around it, and a round
// whose A and A' disagree by more than 25% is marked unstable.
Row MeasureRound(const Flags& flags, size_t entry_bytes, uint32_t cores, uint64_t* per_sync) {
  uint64_t per_core = flags.bytes_per_core;
  Row row;
  row.raw_before = RawMbps(flags, cores, *per_sync, per_core);
  WalResult w = RunWal(flags.dir + "/wal", entry_bytes, cores, flags);
  row.bytes_per_sync = double(w.disk_bytes) / double(std::max<uint64_t>(1, w.syncs));
  row.raw_after = RawMbps(flags, cores, *per_sync, per_core);
  *per_sync = std::max<uint64_t>(1, static_cast<uint64_t>(row.bytes_per_sync));
  row.wal_mbps = w.disk_bytes / w.seconds / 1e6;
  row.payload_mbps = double(w.entries) * entry_bytes / w.seconds / 1e6;
  row.entries_per_s = w.entries / w.seconds;
  double raw = (row.raw_before + row.raw_after) / 2;
  row.ratio = row.wal_mbps / raw;
  row.stable = std::abs(row.raw_before - row.raw_after) <= 0.25 * raw;
  return row;
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

void MeasureConfig(const Flags& flags, size_t entry_bytes, uint32_t cores) {
  // A first WAL run learns the bytes per fdatasync the raw loop must match.
  WalResult warm = RunWal(flags.dir + "/wal", entry_bytes, cores, flags);
  uint64_t per_sync = std::max<uint64_t>(1, warm.disk_bytes / std::max<uint64_t>(1, warm.syncs));
  std::vector<double> stable, all;
  for (int round = 0; round < flags.rounds; ++round) {
    Row r = MeasureRound(flags, entry_bytes, cores, &per_sync);
    all.push_back(r.ratio);
    if (r.stable) stable.push_back(r.ratio);
    std::printf("%-6zu %-5u %-5d %9.1f %12.1f %11.0f %11.0f %8.1f/%-8.1f %7.3f%s\n", entry_bytes,
                cores, round, r.wal_mbps, r.payload_mbps, r.entries_per_s, r.bytes_per_sync,
                r.raw_before, r.raw_after, r.ratio, r.stable ? "" : "  (raw unstable)");
  }
  if (stable.empty()) {
    std::printf("RESULT entry=%zuB cores=%u ratio=%.3f (no stable round: median of all %zu)\n",
                entry_bytes, cores, Median(all), all.size());
  } else {
    std::printf("RESULT entry=%zuB cores=%u ratio=%.3f (median of %zu stable rounds; all %.3f)\n",
                entry_bytes, cores, Median(stable), stable.size(), Median(all));
  }
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  Flags flags = ParseFlags(argc, argv);
  std::printf("wal_bench: %llu MiB per core per run, window %llu KiB, Sync() every %llu KiB, "
              "%d rounds of raw/WAL/raw, in %s; WAL appends %s\n",
              static_cast<unsigned long long>(flags.bytes_per_core / wal::kMiB),
              static_cast<unsigned long long>(flags.window / 1024),
              static_cast<unsigned long long>(flags.request_bytes / 1024), flags.rounds,
              flags.dir.c_str(), flags.direct_io ? "with O_DIRECT" : "through the page cache");
  std::printf("%-6s %-5s %-5s %9s %12s %11s %11s %17s %7s\n", "entry", "cores", "round",
              "wal MB/s", "payload MB/s", "entries/s", "bytes/sync", "raw MB/s (A/A')", "ratio");
  for (size_t entry_bytes : {size_t{100}, size_t{1024}}) {
    for (uint32_t cores : {1u, 2u}) MeasureConfig(flags, entry_bytes, cores);
  }
  std::filesystem::remove_all(flags.dir);
  return 0;
}

// raw_sync: what the disk does with no broker in the way, the baseline the
// end-to-end benchmark divides by (PERF.md, "Raw disk").
//
//   raw_sync write --dir=D --bytes-per-sync=B [--seconds=S] [--max-bytes=M] [--rate=SYNCS]
//       appends B bytes and fdatasyncs, again and again, to a fresh file in D
//       (removed afterwards) for S seconds or M bytes, whichever comes
//       first; --rate paces the syncs (latency at a given load).
//   raw_sync arrivals --dir=D --rate=RECORDS --record-bytes=S [--seconds=T]
//       the disk's own floor for per-record latency at a load: records of
//       S bytes arrive at RECORDS a second, and one writer appends all that
//       have arrived and fdatasyncs, again and again (an ideal group
//       commit with nothing else to do). Like the broker's WAL it writes
//       with O_DIRECT, each group commit padded to whole 4 KiB blocks, so
//       the writes' data goes to the disk as they are made, not as a
//       burst at fdatasync time. A record's latency is from its
//       arrival to the end of the fdatasync that covers it, so a slow
//       fdatasync delays every record that arrives meanwhile, as it does in
//       a broker.
//   raw_sync read [--evict] PATH...
//       reads the files (directories recursively) sequentially in 1 MiB
//       reads, in name order; --evict first drops their pages from the page
//       cache (POSIX_FADV_DONTNEED, after an fdatasync so dirty pages go too).
//   raw_sync evict PATH...
//       only the eviction.
//
// Each prints one line of key=value pairs starting with "raw", "arrivals"
// or "read".
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;
namespace fs = std::filesystem;

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "raw_sync: %s: %s\n", what.c_str(), std::strerror(errno));
  std::exit(1);
}

// --name=value, or nullptr.
const char* Flag(const char* arg, const char* name) {
  size_t n = std::strlen(name);
  if (std::strncmp(arg, "--", 2) != 0 || std::strncmp(arg + 2, name, n) != 0 || arg[2 + n] != '=') {
    return nullptr;
  }
  return arg + 3 + n;
}

double Percentile(std::vector<double>& v, double p) {
  if (v.empty()) return 0;
  size_t i = std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())));
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(i), v.end());
  return v[i];
}

// A fresh file in `dir` for appends, removed again by its destructor.
class ScratchFile {
 public:
  explicit ScratchFile(const std::string& dir, int flags = 0) {
    fs::create_directories(dir);
    path_ = dir + "/raw_sync." + std::to_string(::getpid());
    fd_ = ::open(path_.c_str(), O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC | flags, 0644);
    if (fd_ < 0) Die("creating " + path_);
  }
  ~ScratchFile() {
    ::close(fd_);
    ::unlink(path_.c_str());
  }
  // Appends `n` bytes of `buf` and makes them durable.
  void AppendAndSync(const char* buf, size_t n) {
    if (::write(fd_, buf, n) != static_cast<ssize_t>(n)) Die("write");
    if (::fdatasync(fd_) != 0) Die("fdatasync");
  }

 private:
  std::string path_;
  int fd_;
};

int Write(int argc, char** argv) {
  std::string dir = ".";
  uint64_t per_sync = 64 * 1024, max_bytes = uint64_t{1} << 40;
  double seconds = 2, rate = 0;
  for (int i = 2; i < argc; ++i) {
    if (auto v = Flag(argv[i], "dir")) dir = v;
    else if (auto v = Flag(argv[i], "bytes-per-sync")) per_sync = std::max<uint64_t>(1, std::strtoull(v, nullptr, 10));
    else if (auto v = Flag(argv[i], "max-bytes")) max_bytes = std::strtoull(v, nullptr, 10);
    else if (auto v = Flag(argv[i], "seconds")) seconds = std::atof(v);
    else if (auto v = Flag(argv[i], "rate")) rate = std::atof(v);
    else {
      std::fprintf(stderr, "raw_sync write: unknown flag %s\n", argv[i]);
      return 2;
    }
  }
  ScratchFile file(dir);
  std::string buf(per_sync, 'r');
  std::vector<double> latencies;
  uint64_t written = 0;
  const auto start = Clock::now();
  const auto deadline = start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  auto next = start;
  const auto gap = rate > 0 ? std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(1 / rate))
                            : Clock::duration::zero();
  while (written < max_bytes && Clock::now() < deadline) {
    if (rate > 0) {
      std::this_thread::sleep_until(next);
      next += gap;
    }
    auto t0 = Clock::now();
    file.AppendAndSync(buf.data(), buf.size());
    latencies.push_back(Seconds(Clock::now() - t0) * 1e6);
    written += per_sync;
  }
  double took = Seconds(Clock::now() - start);
  size_t syncs = latencies.size();
  double p50 = Percentile(latencies, 0.50), p99 = Percentile(latencies, 0.99);
  std::printf("raw bytes_per_sync=%llu bytes=%llu seconds=%.4f mb_per_s=%.2f syncs=%zu syncs_per_s=%.1f "
              "p50_us=%.1f p99_us=%.1f\n",
              static_cast<unsigned long long>(per_sync), static_cast<unsigned long long>(written), took,
              static_cast<double>(written) / took / 1e6, syncs, static_cast<double>(syncs) / took, p50, p99);
  return 0;
}

int Arrivals(int argc, char** argv) {
  std::string dir = ".";
  uint64_t record_bytes = 1024;
  double seconds = 2, rate = 0;
  for (int i = 2; i < argc; ++i) {
    if (auto v = Flag(argv[i], "dir")) dir = v;
    else if (auto v = Flag(argv[i], "record-bytes")) record_bytes = std::max<uint64_t>(1, std::strtoull(v, nullptr, 10));
    else if (auto v = Flag(argv[i], "seconds")) seconds = std::atof(v);
    else if (auto v = Flag(argv[i], "rate")) rate = std::atof(v);
    else {
      std::fprintf(stderr, "raw_sync arrivals: unknown flag %s\n", argv[i]);
      return 2;
    }
  }
  if (rate <= 0 || seconds <= 0) {
    std::fprintf(stderr, "raw_sync arrivals: --rate and --seconds must be positive\n");
    return 2;
  }
  ScratchFile file(dir, O_DIRECT);
  const auto total = static_cast<uint64_t>(rate * seconds);
  std::vector<double> latencies;
  latencies.reserve(total);
  constexpr size_t kBlock = 4096;
  std::unique_ptr<char, decltype(&std::free)> buf(nullptr, &std::free);
  size_t buf_size = 0;
  uint64_t done = 0, syncs = 0;
  const auto start = Clock::now();
  // Record i arrives at start + i / rate.
  auto arrival = [rate](uint64_t i) { return static_cast<double>(i) / rate; };
  while (done < total) {
    double now = Seconds(Clock::now() - start);
    uint64_t arrived = std::min(total, static_cast<uint64_t>(now * rate) + 1);
    if (arrived == done) {
      std::this_thread::sleep_until(
          start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(arrival(done))));
      continue;
    }
    const size_t bytes = static_cast<size_t>((arrived - done) * record_bytes + kBlock - 1) / kBlock * kBlock;
    if (buf_size < bytes) {
      buf.reset(static_cast<char*>(std::aligned_alloc(kBlock, bytes)));
      if (!buf) Die("allocating");
      std::memset(buf.get(), 'r', bytes);
      buf_size = bytes;
    }
    file.AppendAndSync(buf.get(), bytes);
    const double synced = Seconds(Clock::now() - start);
    for (uint64_t i = done; i < arrived; ++i) latencies.push_back((synced - arrival(i)) * 1e6);
    done = arrived;
    ++syncs;
  }
  double took = Seconds(Clock::now() - start);
  double p50 = Percentile(latencies, 0.50), p99 = Percentile(latencies, 0.99);
  std::printf("arrivals records=%llu record_bytes=%llu seconds=%.4f syncs=%llu bytes_per_sync=%.0f "
              "p50_us=%.1f p99_us=%.1f\n",
              static_cast<unsigned long long>(total), static_cast<unsigned long long>(record_bytes), took,
              static_cast<unsigned long long>(syncs),
              static_cast<double>(total * record_bytes) / static_cast<double>(std::max<uint64_t>(1, syncs)), p50,
              p99);
  return 0;
}

std::vector<std::string> FilesUnder(int argc, char** argv, int first) {
  std::vector<std::string> files;
  for (int i = first; i < argc; ++i) {
    if (fs::is_directory(argv[i])) {
      for (const auto& e : fs::recursive_directory_iterator(argv[i])) {
        if (e.is_regular_file()) files.push_back(e.path().string());
      }
    } else if (fs::exists(argv[i])) {
      files.push_back(argv[i]);
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

void Evict(const std::vector<std::string>& files) {
  for (const auto& f : files) {
    int fd = ::open(f.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) Die("opening " + f);
    if (::fdatasync(fd) != 0) Die("fdatasync " + f);
    if (::posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED) != 0) Die("posix_fadvise " + f);
    ::close(fd);
  }
}

int Read(int argc, char** argv) {
  bool evict = argc > 2 && std::strcmp(argv[2], "--evict") == 0;
  auto files = FilesUnder(argc, argv, evict ? 3 : 2);
  if (evict) Evict(files);
  std::vector<char> buf(1 << 20);
  uint64_t bytes = 0;
  auto start = Clock::now();
  for (const auto& f : files) {
    int fd = ::open(f.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) Die("opening " + f);
    for (ssize_t n; (n = ::read(fd, buf.data(), buf.size())) != 0;) {
      if (n < 0) Die("reading " + f);
      bytes += static_cast<uint64_t>(n);
    }
    ::close(fd);
  }
  double took = Seconds(Clock::now() - start);
  std::printf("read files=%zu bytes=%llu seconds=%.4f mb_per_s=%.2f\n", files.size(),
              static_cast<unsigned long long>(bytes), took, static_cast<double>(bytes) / took / 1e6);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string cmd = argc > 1 ? argv[1] : "";
  if (cmd == "write") return Write(argc, argv);
  if (cmd == "read") return Read(argc, argv);
  if (cmd == "arrivals") return Arrivals(argc, argv);
  if (cmd == "evict") {
    auto files = FilesUnder(argc, argv, 2);
    Evict(files);
    std::printf("evicted files=%zu\n", files.size());
    return 0;
  }
  std::fprintf(stderr, "usage: raw_sync write|arrivals|read|evict ... (see the top of bench/raw_sync.cc)\n");
  return 2;
}

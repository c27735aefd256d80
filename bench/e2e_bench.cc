// e2e_bench: the end-to-end benchmark of corelogd against its peers on this
// machine, measured side by side in one run (PERF.md, "Method"):
//   - raw disk: bench/raw_sync, append + fdatasync at the broker's measured
//     average group-commit size;
//   - librdkafka's in-memory mock cluster (tests/tools/mock_broker) with the
//     same client (bench/loadgen) and the same settings.
// Rounds interleave raw A, broker B, raw A', mock M. A round whose A and A'
// differ by more than 25% is discarded; the summary gives the median and
// range of every ratio over the kept rounds. The broker and every server
// peer run on --server-cpu, the load generator on --client-cpu (taskset).
//
// Usually started through bench/run.sh; flags:
//   --bin=DIR        build directory holding broker/corelogd, tests/tools/mock_broker,
//                    bench/{loadgen,raw_sync,wal_bench}
//   --work=DIR       scratch directory on the disk under test (default: a fresh
//                    folder under /var/tmp, removed at the end)
//   --quick          fewer, smaller rounds (development; ~2 minutes)
//   --rounds=N       throughput rounds per record size (default 5, quick 3)
//   --rss-soak       instead: 1,000 partitions at a fixed rate for --soak-seconds
//                    (600), broker RSS sampled every 10 s
//   --soak-rate=N    records/s of 1 KB in the soak (default 5000)
//   --no-wal-bench   skip the WAL microbenchmark
//   --only=LIST      run only these phases: throughput,recovery,latency,wal
#include <fcntl.h>
#include <netdb.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

extern char** environ;

namespace {

using Clock = std::chrono::steady_clock;
using Stats = std::map<std::string, double>;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

struct Flags {
  std::string bin = "build-bench";
  std::string work;
  bool quick = false;
  int rounds = 0;
  bool soak = false;
  int soak_seconds = 600;
  int soak_rate = 5000;
  bool wal_bench = true;
  std::string only;  // empty = every phase
  bool Runs(const std::string& phase) const {
    return only.empty() || ("," + only + ",").find("," + phase + ",") != std::string::npos;
  }
  int server_cpu = 1;
  int client_cpu = 0;
};

Flags g_flags;
std::vector<pid_t> g_children;  // every process started and not yet reaped

// ---- processes ------------------------------------------------------------

void KillChildren() {
  for (pid_t pid : g_children) ::kill(pid, SIGKILL);
  for (pid_t pid : g_children) ::waitpid(pid, nullptr, 0);
  g_children.clear();
}

void OnSignal(int) {
  // Only async-signal-safe calls: kill what we started and leave.
  for (pid_t pid : g_children) ::kill(pid, SIGKILL);
  ::_exit(130);
}

pid_t Spawn(const std::vector<std::string>& argv, const std::string& out, const std::string& err) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&actions, 2, err.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = 0;
  int rc = posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) throw std::runtime_error("cannot start " + argv[0] + ": " + std::strerror(rc));
  g_children.push_back(pid);
  return pid;
}

// Exit status, or -1 if `timeout` passed (the process is then killed).
int Wait(pid_t pid, std::chrono::seconds timeout = 600s) {
  auto deadline = Clock::now() + timeout;
  int status = 0;
  while (::waitpid(pid, &status, WNOHANG) == 0) {
    if (Clock::now() > deadline) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      status = -1;
      break;
    }
    std::this_thread::sleep_for(2ms);
  }
  std::erase(g_children, pid);
  if (status == -1) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

std::vector<std::string> Pinned(int cpu, std::vector<std::string> argv) {
  argv.insert(argv.begin(), {"taskset", "-c", std::to_string(cpu)});
  return argv;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string Tail(const std::string& path) {
  std::string text = ReadFile(path);
  return text.size() > 1500 ? text.substr(text.size() - 1500) : text;
}

// The key=value pairs of the first output line that starts with `prefix`.
std::optional<Stats> ParseLine(const std::string& text, const std::string& prefix) {
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind(prefix + " ", 0) != 0) continue;
    Stats stats;
    std::istringstream words(line);
    for (std::string w; words >> w;) {
      auto eq = w.find('=');
      if (eq != std::string::npos) stats[w.substr(0, eq)] = std::atof(w.c_str() + eq + 1);
    }
    return stats;
  }
  return std::nullopt;
}

// Runs a tool to completion; its result line, or an exception that discards the round.
Stats RunTool(const std::vector<std::string>& argv, const std::string& prefix,
              std::chrono::seconds timeout = 600s) {
  const std::string out = g_flags.work + "/tool.out", err = g_flags.work + "/tool.err";
  fs::remove(err);
  int rc = Wait(Spawn(argv, out, err), timeout);
  auto stats = ParseLine(ReadFile(out), prefix);
  if (rc != 0 || !stats) {
    throw std::runtime_error(fs::path(argv[argv.size() > 3 ? 3 : 0]).filename().string() +
                             " failed (exit " + std::to_string(rc) + "): " + Tail(err));
  }
  return *stats;
}

// CPU time of every live thread of the process. /proc/PID/task/*/schedstat
// counts nanoseconds; /proc/PID/stat's utime + stime (10 ms ticks) is the
// fallback, too coarse for runs of a few hundred milliseconds of CPU.
double CpuSeconds(pid_t pid) {
  const std::string proc = "/proc/" + std::to_string(pid);
  double ns = 0;
  std::error_code ec;
  for (fs::directory_iterator it(proc + "/task", ec), end; !ec && it != end; it.increment(ec)) {
    ns += std::atof(ReadFile(it->path().string() + "/schedstat").c_str());
  }
  if (ns > 0) return ns / 1e9;
  std::string stat = ReadFile(proc + "/stat");
  auto close = stat.rfind(')');
  if (close == std::string::npos) return 0;
  std::istringstream fields(stat.substr(close + 2));
  std::string f;
  double utime = 0, stime = 0;
  // After the command: state is field 3; utime and stime are fields 14 and 15.
  for (int i = 3; i <= 15 && fields >> f; ++i) {
    if (i == 14) utime = std::atof(f.c_str());
    if (i == 15) stime = std::atof(f.c_str());
  }
  return (utime + stime) / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

double StatusKb(pid_t pid, const std::string& key) {
  std::istringstream lines(ReadFile("/proc/" + std::to_string(pid) + "/status"));
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind(key + ":", 0) == 0) return std::atof(line.c_str() + key.size() + 1);
  }
  return 0;
}

// ---- servers under test ---------------------------------------------------

struct Server {
  pid_t pid = -1;
  std::string kafka, metrics, dir, name;
  double ready_seconds = 0;  // spawn to ready line
};

Server Start(const std::string& name, const std::string& binary, const std::string& dir,
             const std::vector<std::string>& extra = {}) {
  Server s;
  s.name = name;
  s.dir = dir;
  fs::create_directories(dir);
  const std::string out = g_flags.work + "/" + name + ".out";
  auto start = Clock::now();
  std::vector<std::string> argv = {binary, "--listen", "127.0.0.1:0", "--metrics-listen", "127.0.0.1:0",
                                   "--data-dir", dir, "--cores", "1"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  s.pid = Spawn(Pinned(g_flags.server_cpu, argv), out, g_flags.work + "/" + name + ".log");
  while (Clock::now() - start < 120s) {
    std::string text = ReadFile(out);
    auto at = text.find("ready kafka=");
    if (at != std::string::npos && text.find('\n', at) != std::string::npos) {
      s.ready_seconds = Seconds(Clock::now() - start);
      std::istringstream words(text.substr(at + 6));
      for (std::string w; words >> w;) {
        if (w.rfind("kafka=", 0) == 0) s.kafka = w.substr(6);
        if (w.rfind("metrics=", 0) == 0) s.metrics = w.substr(8);
      }
      return s;
    }
    int status;
    if (::waitpid(s.pid, &status, WNOHANG) == s.pid) {
      std::erase(g_children, s.pid);
      throw std::runtime_error(name + " exited before ready: " + Tail(g_flags.work + "/" + name + ".log"));
    }
    std::this_thread::sleep_for(1ms);
  }
  throw std::runtime_error(name + " not ready after 120 s");
}

void Stop(Server& s, int sig = SIGTERM) {
  if (s.pid <= 0) return;
  ::kill(s.pid, sig);
  if (Wait(s.pid, 30s) < 0) std::fprintf(stderr, "%s: needed SIGKILL to stop\n", s.name.c_str());
  s.pid = -1;
}

// A plain HTTP/1.0 GET on 127.0.0.1; the body, or "" on any failure.
std::string HttpGet(const std::string& hostport, const std::string& path) {
  auto colon = hostport.rfind(':');
  if (colon == std::string::npos) return "";
  addrinfo hints{}, *res = nullptr;
  hints.ai_socktype = SOCK_STREAM;
  if (::getaddrinfo(hostport.substr(0, colon).c_str(), hostport.substr(colon + 1).c_str(), &hints, &res) != 0) {
    return "";
  }
  int fd = ::socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  std::string reply;
  if (fd >= 0 && ::connect(fd, res->ai_addr, res->ai_addrlen) == 0) {
    std::string req = "GET " + path + " HTTP/1.0\r\nHost: " + hostport + "\r\nConnection: close\r\n\r\n";
    if (::send(fd, req.data(), req.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(req.size())) {
      char buf[65536];
      for (ssize_t n; (n = ::recv(fd, buf, sizeof buf, 0)) > 0;) reply.append(buf, static_cast<size_t>(n));
    }
  }
  if (fd >= 0) ::close(fd);
  ::freeaddrinfo(res);
  auto body = reply.find("\r\n\r\n");
  return body == std::string::npos ? "" : reply.substr(body + 4);
}

// Sum over the label sets of metric `name` in a Prometheus text exposition
// (only those whose line contains `label`, when given).
std::optional<double> MetricSum(const std::string& text, const std::string& name, const std::string& label = "") {
  std::istringstream lines(text);
  std::optional<double> sum;
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind(name, 0) != 0 || line.find(label) == std::string::npos) continue;
    char next = line.size() > name.size() ? line[name.size()] : '\0';
    if (next != '{' && next != ' ') continue;
    auto space = line.rfind(' ');
    sum = sum.value_or(0) + std::atof(line.c_str() + space + 1);
  }
  return sum;
}

uint64_t DirBytes(const std::string& dir) {
  uint64_t bytes = 0;
  std::error_code ec;
  for (fs::recursive_directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->is_regular_file(ec)) bytes += it->file_size(ec);
  }
  return bytes;
}

// The broker's WAL group-commit counters: from /metrics when it exports
// corelog_wal_group_commit_bytes, else WAL file growth over the fdatasync
// calls that `perf stat` counted on the broker process.
class WalProbe {
 public:
  explicit WalProbe(const Server& s) : server_(s) {
    std::string text = HttpGet(s.metrics, "/metrics");
    auto bytes = MetricSum(text, "corelog_wal_group_commit_bytes_sum");
    auto count = MetricSum(text, "corelog_wal_group_commit_bytes_count");
    if (bytes && count) {
      bytes_ = *bytes;
      syncs_ = *count;
      return;
    }
    from_metrics_ = false;
    bytes_ = static_cast<double>(DirBytes(s.dir + "/wal"));
    perf_out_ = g_flags.work + "/perf-stat.txt";
    perf_pid_ = Spawn({"perf", "stat", "-x", ",", "-e", "syscalls:sys_enter_fdatasync", "-o", perf_out_,
                       "-p", std::to_string(s.pid)},
                      "/dev/null", g_flags.work + "/perf-stat.err");
    std::this_thread::sleep_for(300ms);  // perf attaches
  }

  // {bytes synced, group commits} since construction.
  std::pair<double, double> Finish() {
    if (from_metrics_) {
      std::string text = HttpGet(server_.metrics, "/metrics");
      return {MetricSum(text, "corelog_wal_group_commit_bytes_sum").value_or(0) - bytes_,
              MetricSum(text, "corelog_wal_group_commit_bytes_count").value_or(0) - syncs_};
    }
    ::kill(perf_pid_, SIGINT);
    Wait(perf_pid_, 10s);
    double syncs = 0;
    std::istringstream lines(ReadFile(perf_out_));
    for (std::string line; std::getline(lines, line);) {
      if (line.find("sys_enter_fdatasync") != std::string::npos) syncs = std::atof(line.c_str());
    }
    return {static_cast<double>(DirBytes(server_.dir + "/wal")) - bytes_, syncs};
  }
  bool from_metrics() const { return from_metrics_; }

 private:
  const Server& server_;
  bool from_metrics_ = true;
  double bytes_ = 0, syncs_ = 0;
  pid_t perf_pid_ = -1;
  std::string perf_out_;
};

// ---- measurements ---------------------------------------------------------

std::string Bin(const std::string& rel) { return (fs::path(g_flags.bin) / rel).string(); }

// Options of one loadgen produce run beyond topic, count and size.
struct Load {
  std::string acks = "all";
  int linger_ms = 5;
  double rate = 0;
  int topics = 1;
  int max_in_flight = 0;  // 0 = librdkafka's default
};

Stats Produce(const Server& s, const std::string& topic, uint64_t count, size_t size, const Load& load) {
  std::vector<std::string> argv = {Bin("bench/loadgen"), "produce", "--bootstrap=" + s.kafka,
                                   "--topic=" + topic, "--count=" + std::to_string(count),
                                   "--size=" + std::to_string(size), "--acks=" + load.acks,
                                   "--linger-ms=" + std::to_string(load.linger_ms),
                                   "--topics=" + std::to_string(load.topics)};
  if (load.rate > 0) argv.push_back("--rate=" + std::to_string(load.rate));
  if (load.max_in_flight > 0) argv.push_back("--max-in-flight=" + std::to_string(load.max_in_flight));
  // The mock auto-creates 4 partitions; corelogd gets the same number.
  if (s.name != "mock") argv.push_back("--create-partitions=4");
  return RunTool(Pinned(g_flags.client_cpu, argv), "result");
}

Stats Consume(const Server& s, const std::string& topic, uint64_t count, int topics) {
  return RunTool(Pinned(g_flags.client_cpu, {Bin("bench/loadgen"), "consume", "--bootstrap=" + s.kafka,
                                             "--topic=" + topic, "--count=" + std::to_string(count),
                                             "--topics=" + std::to_string(topics)}),
                 "result");
}

Stats Raw(double bytes_per_sync, double seconds) {
  return RunTool(Pinned(g_flags.server_cpu,
                        {Bin("bench/raw_sync"), "write", "--dir=" + g_flags.work + "/raw",
                         "--bytes-per-sync=" + std::to_string(static_cast<uint64_t>(bytes_per_sync)),
                         "--seconds=" + std::to_string(seconds)}),
                 "raw");
}

// raw_sync's ideal group commit of `rate` records a second of `size` bytes.
Stats Arrivals(double rate, uint64_t size, double seconds) {
  return RunTool(Pinned(g_flags.server_cpu,
                        {Bin("bench/raw_sync"), "arrivals", "--dir=" + g_flags.work + "/raw",
                         "--rate=" + std::to_string(rate), "--record-bytes=" + std::to_string(size),
                         "--seconds=" + std::to_string(seconds)}),
                 "arrivals");
}

// A measured produce: client result, server CPU-seconds, WAL group commits.
struct ProduceRun {
  Stats client;
  double cpu_seconds = 0;
  double synced_bytes = 0, syncs = 0;
  double group_commit() const { return syncs > 0 ? synced_bytes / syncs : 0; }
  double disk_mb_per_s() const { return synced_bytes / client.at("seconds") / 1e6; }
};

ProduceRun MeasureProduce(const Server& s, const std::string& topic, uint64_t count, size_t size,
                          const Load& load = {}) {
  ProduceRun run;
  std::optional<WalProbe> probe;
  if (s.name != "mock") probe.emplace(s);
  double cpu = CpuSeconds(s.pid);
  run.client = Produce(s, topic, count, size, load);
  run.cpu_seconds = CpuSeconds(s.pid) - cpu;
  if (probe) std::tie(run.synced_bytes, run.syncs) = probe->Finish();
  return run;
}

double Median(std::vector<double> v) {
  if (v.empty()) return NAN;
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

// Every figure of the kept rounds, by name, for the summary.
std::map<std::string, std::vector<double>> g_kept;
std::vector<std::string> g_order;

void Keep(const std::string& name, double value) {
  if (!g_kept.count(name)) g_order.push_back(name);
  g_kept[name].push_back(value);
}

bool Stable(const Stats& a, const Stats& a2) {
  double x = a.at("mb_per_s"), y = a2.at("mb_per_s");
  return std::abs(x - y) <= 0.25 * (x + y) / 2;
}

struct SizePlan {
  size_t size;
  uint64_t count;
};

std::string Label(size_t size) { return size >= 1024 ? std::to_string(size / 1024) + " KB" : std::to_string(size) + " B"; }

// What one server did in one round.
struct ServerRound {
  // `warm`: acks=all again, after every other phase, into a server that
  // has already taken the round's records: its CPU is the steady state's,
  // without the first touches of a fresh process's memory.
  ProduceRun all, one, warm;
  Stats consumed;
  double rss_mb = 0, peak_rss_mb = 0;
};

// The read-back set: spread over 8 topics of 4 partitions so that the mock,
// which keeps ~5 MB per partition, still holds all of it.
constexpr int kReadTopics = 8;

// The broker's own account of its last replay, from its log line
// "recovery replayed N WAL entries (B bytes) ... in T ms": {B, T seconds}.
std::pair<double, double> LoggedReplay(const std::string& log) {
  std::string text = ReadFile(log);
  auto at = text.rfind("recovery replayed ");
  if (at == std::string::npos) return {0, 0};
  std::string line = text.substr(at, text.find('\n', at) - at);
  auto open = line.find('('), in = line.rfind(" in ");
  if (open == std::string::npos || in == std::string::npos) return {0, 0};
  return {std::atof(line.c_str() + open + 1), std::atof(line.c_str() + in + 4) / 1e3};
}

// Replay speed. A broker with checkpoints off ingests `bytes` of 1 KB
// records, so that its WAL holds all of them, and is killed with SIGKILL.
// The data directory's pages are evicted from the page cache before each
// step (fdatasync + POSIX_FADV_DONTNEED per file: no root-only drop_caches),
// so each reads the disk: a sequential read of the WAL files, then a restart
// to the ready line. Replay speed = replayed bytes / replay time as the
// broker logs them (WAL read + re-apply), against the sequential read; the
// whole restart-to-ready time is reported beside it.
void RecoveryRound(int round, uint64_t bytes) {
  const std::string tag = " (" + std::to_string(bytes >> 20) + " MiB)";
  const std::string dir = g_flags.work + "/recovery-data";
  const std::vector<std::string> no_checkpoints = {"--checkpoint-interval-ms", "3600000",
                                                   "--checkpoint-bytes-threshold", "0"};
  Server b = Start("corelogd", Bin("broker/corelogd"), dir, no_checkpoints);
  try {
    Produce(b, "bench-recovery", bytes / 1024, 1024, Load{});
    Stop(b, SIGKILL);
    const std::string wal = dir + "/wal";
    const double wal_bytes = static_cast<double>(DirBytes(wal));
    RunTool({Bin("bench/raw_sync"), "evict", dir}, "evicted", 60s);
    Stats read = RunTool(Pinned(g_flags.server_cpu, {Bin("bench/raw_sync"), "read", "--evict", wal}), "read");
    RunTool({Bin("bench/raw_sync"), "evict", dir}, "evicted", 60s);
    b = Start("corelogd", Bin("broker/corelogd"), dir, no_checkpoints);
    const double restart = b.ready_seconds;
    Stop(b);
    auto [replayed, seconds] = LoggedReplay(g_flags.work + "/corelogd.log");
    if (seconds <= 0) throw std::runtime_error("no replay line in the broker log");
    const double replay_mb_s = replayed / seconds / 1e6;
    std::printf("  recovery%s round %d: %.0f MB of WAL; replayed %.0f MB in %.3f s (%.0f MB/s), restart-to-ready "
                "%.3f s | sequential read %.3f s (%.0f MB/s)\n",
                tag.c_str(), round, wal_bytes / 1e6, replayed / 1e6, seconds, replay_mb_s, restart, read.at("seconds"),
                read.at("mb_per_s"));
    std::fflush(stdout);
    Keep("replay speed / sequential read of the WAL" + tag, replay_mb_s / read.at("mb_per_s"));
    Keep("restart-to-ready speed (WAL bytes / whole restart) / sequential read" + tag,
         wal_bytes / restart / 1e6 / read.at("mb_per_s"));
  } catch (...) {
    Stop(b, SIGKILL);
    fs::remove_all(dir);
    throw;
  }
  fs::remove_all(dir);
}

// Starts a server with a fresh data directory, returns fn(server) and stops
// it; a throwing fn gets the server killed. The directory goes either way.
template <class Fn>
auto WithServer(const std::string& name, const std::string& binary, Fn fn,
                const std::vector<std::string>& extra = {}) {
  const std::string dir = g_flags.work + "/" + name + "-data";
  Server s = Start(name, binary, dir, extra);
  try {
    auto result = fn(s);
    Stop(s);
    fs::remove_all(dir);
    return result;
  } catch (...) {
    Stop(s, SIGKILL);
    fs::remove_all(dir);
    throw;
  }
}

// The same phases on corelogd or on the mock: acks=all, acks=1, a fresh
// consumer reading a read-back set, then acks=all again on the warm server.
ServerRound RunServer(const std::string& name, const std::string& binary, const SizePlan& plan) {
  return WithServer(name, binary, [&plan](const Server& s) {
    ServerRound r;
    r.all = MeasureProduce(s, "bench-all", plan.count, plan.size);
    r.one = MeasureProduce(s, "bench-one", plan.count / 2, plan.size, Load{.acks = "1"});
    const uint64_t read_bytes = (g_flags.quick ? 32 : 64) << 20;
    const uint64_t read_count = read_bytes / plan.size;
    Produce(s, "bench-read", read_count, plan.size, Load{.acks = "1", .topics = kReadTopics});
    r.consumed = Consume(s, "bench-read", read_count, kReadTopics);
    r.rss_mb = StatusKb(s.pid, "VmRSS") / 1024;
    r.peak_rss_mb = StatusKb(s.pid, "VmHWM") / 1024;
    r.warm = MeasureProduce(s, "bench-warm", plan.count, plan.size);
    return r;
  });
}

// One round for one record size: raw A, broker B, raw A', mock M.
void Round(const SizePlan& plan, int round, double* group_commit) {
  const std::string label = Label(plan.size);
  const double raw_seconds = g_flags.quick ? 1.5 : 2.5;
  Stats a = Raw(*group_commit, raw_seconds);
  ServerRound b = RunServer("corelogd", Bin("broker/corelogd"), plan);
  Stats a2 = Raw(*group_commit, raw_seconds);
  ServerRound m = RunServer("mock", Bin("tests/tools/mock_broker"), plan);

  const double raw = (a.at("mb_per_s") + a2.at("mb_per_s")) / 2;
  const bool stable = Stable(a, a2);
  std::printf("  %s round %d%s: broker %.1f MB/s (%.0f msg/s, disk %.1f MB/s, group commit %.0f B, "
              "%.2f CPU-s) | raw %.1f/%.1f MB/s at %.0f B/sync | mock %.1f MB/s (%.2f CPU-s) | "
              "consume %.1f vs mock %.1f MB/s | acks=1 %.1f vs mock %.1f MB/s | warm %.2f vs mock %.2f CPU-s | "
              "RSS %.0f MB\n",
              label.c_str(), round, stable ? "" : " DISCARDED (raw moved > 25%)", b.all.client.at("mb_per_s"),
              b.all.client.at("msgs_per_s"), b.all.disk_mb_per_s(), b.all.group_commit(), b.all.cpu_seconds,
              a.at("mb_per_s"), a2.at("mb_per_s"), *group_commit, m.all.client.at("mb_per_s"),
              m.all.cpu_seconds, b.consumed.at("mb_per_s"), m.consumed.at("mb_per_s"),
              b.one.client.at("mb_per_s"), m.one.client.at("mb_per_s"), b.warm.cpu_seconds,
              m.warm.cpu_seconds, b.rss_mb);
  std::fflush(stdout);
  if (b.all.group_commit() > 0) *group_commit = b.all.group_commit();
  if (!stable) return;
  Keep("throughput ratio " + label + " acks=all (record bytes)", b.all.client.at("mb_per_s") / raw);
  Keep("throughput ratio " + label + " acks=all (WAL bytes)", b.all.disk_mb_per_s() / raw);
  Keep("throughput ratio " + label + " acks=1 (record bytes)", b.one.client.at("mb_per_s") / raw);
  Keep("CPU efficiency " + label + " (mock CPU-s / broker CPU-s)", m.all.cpu_seconds / b.all.cpu_seconds);
  Keep("CPU-path ratio " + label + " (broker msg/s / mock msg/s)",
       b.all.client.at("msgs_per_s") / m.all.client.at("msgs_per_s"));
  Keep("acks=1 ratio " + label + " (broker msg/s / mock msg/s)",
       b.one.client.at("msgs_per_s") / m.one.client.at("msgs_per_s"));
  Keep("consume ratio " + label + " (broker MB/s / mock MB/s)",
       b.consumed.at("mb_per_s") / m.consumed.at("mb_per_s"));
  Keep("broker CPU-s per GB ingested " + label, b.all.cpu_seconds / (b.all.client.at("bytes") / 1e9));
  Keep("CPU efficiency " + label + ", warm servers (mock CPU-s / broker CPU-s)",
       m.warm.cpu_seconds / b.warm.cpu_seconds);
  Keep("broker CPU-s per GB ingested " + label + ", warm",
       b.warm.cpu_seconds / (b.warm.client.at("bytes") / 1e9));
  Keep("broker RSS MB after the " + label + " round", b.rss_mb);
  Keep("broker peak RSS MB " + label, b.peak_rss_mb);
  Keep("broker MB/s " + label + " acks=all", b.all.client.at("mb_per_s"));
  Keep("raw MB/s at the group-commit size " + label, raw);
  Keep("group commit bytes " + label, b.all.group_commit());
}

// The paced load of a latency round once retention reclaims WAL segments
// as fast as producers write them: the broker keeps 64 MB per partition,
// takes a flat-out warm-up of several segments' worth, then the paced load
// into the same topic. `spares` is wal.spare.segments ("" = corelogd's
// default); with "0" every reclaimed segment is deleted as it goes.
struct RetentionRun {
  ProduceRun half;
  double new_rolls = 0, spare_rolls = 0;  // segment rolls during the paced run
};

RetentionRun UnderRetention(const Load& load, double seconds, const std::string& spares) {
  std::vector<std::string> extra = {"-o", "log.retention.bytes=64000000", "-o",
                                    "log.retention.check.interval.ms=100"};
  if (!spares.empty()) extra.insert(extra.end(), {"-o", "wal.spare.segments=" + spares});
  const uint64_t warm_up = (g_flags.quick ? 1000 : 1500) << 20;
  return WithServer(
      "corelogd", Bin("broker/corelogd"),
      [&](const Server& b) {
        Produce(b, "bench-retained", warm_up / 1024, 1024, Load{.linger_ms = 0, .max_in_flight = 5});
        auto rolls = [&b](const std::string& file) {
          return MetricSum(HttpGet(b.metrics, "/metrics"), "corelog_wal_segment_rolls_total",
                           "file=\"" + file + "\"")
              .value_or(0);
        };
        RetentionRun r;
        r.new_rolls = -rolls("new");
        r.spare_rolls = -rolls("spare");
        r.half = MeasureProduce(b, "bench-retained", static_cast<uint64_t>(load.rate * seconds), 1024, load);
        r.new_rolls += rolls("new");
        r.spare_rolls += rolls("spare");
        return r;
      },
      extra);
}

// acks=all latency at half of the saturating rate, against raw fdatasync
// latency at the group-commit size the broker used under that load. The
// client sends as soon as it can (linger.ms=0) with at most 5 requests in
// flight (the Java client's default), so batches grow only under backlog.
void LatencyRound(int round, double* group_commit) {
  const uint64_t sat_count = g_flags.quick ? 60000 : 150000;
  const double seconds = g_flags.quick ? 3 : 5;
  const Load sat_load{.linger_ms = 0, .max_in_flight = 5};
  Stats a = Raw(*group_commit, 2);
  ProduceRun sat, half;
  Load half_load = sat_load;
  WithServer("corelogd", Bin("broker/corelogd"), [&](const Server& b) {
    sat = MeasureProduce(b, "bench-sat", sat_count, 1024, sat_load);
    half_load.rate = sat.client.at("msgs_per_s") / 2;
    half = MeasureProduce(b, "bench-half", static_cast<uint64_t>(half_load.rate * seconds), 1024, half_load);
    return 0;
  });
  // The same paced load on librdkafka's in-memory mock: the latency the
  // client and the protocol alone add at that rate, with no disk at all.
  const ProduceRun mock = WithServer("mock", Bin("tests/tools/mock_broker"), [&](const Server& m) {
    return MeasureProduce(m, "bench-half", static_cast<uint64_t>(half_load.rate * seconds), 1024, half_load);
  });
  const RetentionRun kept = UnderRetention(half_load, seconds, "");
  const RetentionRun deleted = UnderRetention(half_load, seconds, "0");
  // The disk's own floor at that rate: an ideal group commit of records
  // arriving as paced, with no broker and no client in the way.
  const Stats floor = Arrivals(half_load.rate, 1024, seconds);
  if (half.group_commit() > 0) *group_commit = half.group_commit();
  Stats a2 = Raw(*group_commit, 2);
  const bool stable = Stable(a, a2);
  double raw_p50 = (a.at("p50_us") + a2.at("p50_us")) / 2, raw_p99 = (a.at("p99_us") + a2.at("p99_us")) / 2;
  double p50 = half.client.at("p50_us"), p99 = half.client.at("p99_us");
  std::printf("  latency round %d%s: saturation %.0f msg/s, at %.0f msg/s p50 %.0f us p99 %.0f us "
              "(group commit %.0f B) | raw fdatasync at %.0f B p50 %.0f us p99 %.0f us (A' p99 %.0f) | "
              "p99 limit 2*raw p99 + 500 us = %.0f us | mock at the same rate p50 %.0f us p99 %.0f us | "
              "disk floor at the same rate p50 %.0f us p99 %.0f us (%.0f B per sync)\n",
              round, stable ? "" : " DISCARDED (raw moved > 25%)", sat.client.at("msgs_per_s"),
              half.client.at("msgs_per_s"), p50, p99, half.group_commit(), *group_commit, raw_p50, raw_p99,
              a2.at("p99_us"), 2 * raw_p99 + 500, mock.client.at("p50_us"), mock.client.at("p99_us"),
              floor.at("p50_us"), floor.at("p99_us"), floor.at("bytes_per_sync"));
  // librdkafka's own means: a record waits in the client for a request
  // ("queue"), which waits to be sent ("out"), then for its response.
  auto client_times = [](const ProduceRun& r) {
    return std::make_tuple(r.client.at("queue_us"), r.client.at("outbuf_us"), r.client.at("rtt_us"));
  };
  const auto [queue, out, rtt] = client_times(half);
  const auto [mock_queue, mock_out, mock_rtt] = client_times(mock);
  std::printf("    client means at half load: record queued %.0f us, request out %.0f us, round trip %.0f us | "
              "mock %.0f / %.0f / %.0f us\n",
              queue, out, rtt, mock_queue, mock_out, mock_rtt);
  for (const auto& [what, r] : {std::pair{"spare segments (default)", &kept}, std::pair{"no spares", &deleted}}) {
    std::printf("    under retention, %s: p50 %.0f us p99 %.0f us (group commit %.0f B), segment rolls %.0f to "
                "new files, %.0f over spares\n",
                what, r->half.client.at("p50_us"), r->half.client.at("p99_us"), r->half.group_commit(),
                r->new_rolls, r->spare_rolls);
  }
  std::fflush(stdout);
  if (!stable) return;
  Keep("latency p50 us 1 KB at half load", p50);
  Keep("latency p99 us 1 KB at half load", p99);
  Keep("raw fdatasync p50 us", raw_p50);
  Keep("raw fdatasync p99 us", raw_p99);
  Keep("latency ratio p99 / raw p99", p99 / raw_p99);
  Keep("latency p99 / (2*raw p99 + 500 us), target <= 1", p99 / (2 * raw_p99 + 500));
  Keep("mock latency p50 us at the same rate", mock.client.at("p50_us"));
  Keep("mock latency p99 us at the same rate", mock.client.at("p99_us"));
  Keep("client mean us a record waits for a request, broker", queue);
  Keep("client mean us a record waits for a request, mock", mock_queue);
  Keep("client mean request round trip us, broker", rtt);
  Keep("client mean request round trip us, mock", mock_rtt);
  Keep("disk floor p50 us at the same rate", floor.at("p50_us"));
  Keep("disk floor p99 us at the same rate", floor.at("p99_us"));
  Keep("latency p99 / disk floor p99", p99 / floor.at("p99_us"));
  const double limit = 2 * raw_p99 + 500;
  Keep("under retention: latency p99 / limit, spare segments (default)", kept.half.client.at("p99_us") / limit);
  Keep("under retention: latency p99 / limit, no spares", deleted.half.client.at("p99_us") / limit);
  Keep("under retention: share of segment rolls over spares (default)",
       kept.spare_rolls / std::max(1.0, kept.spare_rolls + kept.new_rolls));
}

template <class Fn>
void Rounds(const std::string& what, int n, Fn fn) {
  int failures = 0;
  for (int r = 0; r < n && failures < 3; ++r) {
    try {
      fn(r);
    } catch (const std::exception& e) {
      std::printf("  %s round %d FAILED: %s\n", what.c_str(), r, e.what());
      KillChildren();
      ++failures;
    }
  }
}

void PrintSummary() {
  std::printf("\n== summary: median [min .. max] over kept rounds (n) ==\n");
  for (const auto& name : g_order) {
    const auto& v = g_kept[name];
    std::printf("%-72s %9.3f  [%.3f .. %.3f]  (n=%zu)\n", name.c_str(), Median(v),
                *std::min_element(v.begin(), v.end()), *std::max_element(v.begin(), v.end()), v.size());
  }
  std::printf("targets (PERF.md): throughput ratio 1 KB >= 0.8, 100 B >= 0.6; CPU efficiency >= 0.5 "
              "(issue 7), CPU-path >= 0.9 (PERF.md); p99 <= 2*raw p99 + 0.5 ms; replay >= 0.8; WAL micro >= 0.9\n");
}

void RunWalBench() {
  std::printf("\n== WAL microbenchmark (bench/wal_bench: WAL append + group commit vs raw) ==\n");
  std::fflush(stdout);
  std::vector<std::string> argv = {Bin("bench/wal_bench"), "--dir=" + g_flags.work + "/wal_bench"};
  if (g_flags.quick) argv.insert(argv.end(), {"--mib-per-core=16", "--rounds=2"});
  const std::string out = g_flags.work + "/wal_bench.out";
  int rc = Wait(Spawn(argv, out, g_flags.work + "/wal_bench.err"));
  std::istringstream lines(ReadFile(out));
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("RESULT", 0) == 0) {
      std::printf("  %s\n", line.c_str());
      auto at = line.find("ratio=");
      auto entry = line.substr(7, line.find(' ', 7) - 7) + " " + line.substr(line.find("cores="), 7);
      if (at != std::string::npos) Keep("WAL micro ratio " + entry, std::atof(line.c_str() + at + 6));
    }
  }
  if (rc != 0) std::printf("  wal_bench failed (exit %d): %s\n", rc, Tail(g_flags.work + "/wal_bench.err").c_str());
}

void Soak() {
  const std::string label = "soak";
  std::printf("== RSS soak: 1,000 partitions, %d records/s of 1 KB for %d s ==\n", g_flags.soak_rate,
              g_flags.soak_seconds);
  Server b = Start("corelogd", Bin("broker/corelogd"), g_flags.work + "/broker-data");
  uint64_t count = static_cast<uint64_t>(g_flags.soak_rate) * static_cast<uint64_t>(g_flags.soak_seconds);
  auto argv = Pinned(g_flags.client_cpu,
                     {Bin("bench/loadgen"), "produce", "--bootstrap=" + b.kafka, "--topic=soak",
                      "--count=" + std::to_string(count), "--size=1024", "--acks=all",
                      "--rate=" + std::to_string(g_flags.soak_rate), "--create-partitions=1000"});
  pid_t gen = Spawn(argv, g_flags.work + "/soak.out", g_flags.work + "/soak.err");
  std::vector<double> rss;
  auto start = Clock::now();
  int status = 0;
  while (::waitpid(gen, &status, WNOHANG) == 0) {
    std::this_thread::sleep_for(10s);
    rss.push_back(StatusKb(b.pid, "VmRSS") / 1024);
    // Only a process that has exited (a zombie) has no VmRSS.
    if (rss.back() <= 0) {
      throw std::runtime_error("corelogd exited during the soak: " +
                               Tail(g_flags.work + "/corelogd.log"));
    }
    std::printf("  t=%4.0f s RSS %.1f MB\n", Seconds(Clock::now() - start), rss.back());
    std::fflush(stdout);
  }
  std::erase(g_children, gen);
  Stop(b);
  fs::remove_all(g_flags.work + "/broker-data");
  auto result = ParseLine(ReadFile(g_flags.work + "/soak.out"), "result");
  if (result) std::printf("  load generator: %.0f msg/s, p99 %.0f us, errors %.0f\n", result->at("msgs_per_s"),
                          result->at("p99_us"), result->at("errors"));
  if (rss.size() < 4) return;
  size_t q = rss.size() / 4;
  double second_quarter = Median({rss.begin() + static_cast<long>(q), rss.begin() + static_cast<long>(2 * q)});
  double last_quarter = Median({rss.end() - static_cast<long>(q), rss.end()});
  std::printf("RSS %s: max %.1f MB, median of 2nd quarter %.1f MB, of last quarter %.1f MB, growth %.1f%%\n",
              label.c_str(), *std::max_element(rss.begin(), rss.end()), second_quarter, last_quarter,
              100 * (last_quarter - second_quarter) / second_quarter);
}

Flags ParseFlags(int argc, char** argv) {
  Flags f;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&](const std::string& name) -> std::optional<std::string> {
      if (a.rfind("--" + name + "=", 0) != 0) return std::nullopt;
      return a.substr(name.size() + 3);
    };
    if (auto v = value("bin")) f.bin = *v;
    else if (auto v = value("work")) f.work = *v;
    else if (a == "--quick") f.quick = true;
    else if (auto v = value("rounds")) f.rounds = std::atoi(v->c_str());
    else if (a == "--rss-soak") f.soak = true;
    else if (auto v = value("soak-seconds")) f.soak_seconds = std::atoi(v->c_str());
    else if (auto v = value("soak-rate")) f.soak_rate = std::atoi(v->c_str());
    else if (a == "--no-wal-bench") f.wal_bench = false;
    else if (auto v = value("only")) f.only = *v;
    else if (auto v = value("server-cpu")) f.server_cpu = std::atoi(v->c_str());
    else if (auto v = value("client-cpu")) f.client_cpu = std::atoi(v->c_str());
    else {
      std::fprintf(stderr, "e2e_bench: unknown flag %s (see the top of bench/e2e_bench.cc)\n", a.c_str());
      std::exit(2);
    }
  }
  if (f.rounds <= 0) f.rounds = f.quick ? 3 : 5;
  return f;
}

}  // namespace

int main(int argc, char** argv) {
  g_flags = ParseFlags(argc, argv);
  bool own_work = g_flags.work.empty();
  if (own_work) {
    std::string tmpl = "/var/tmp/corelog-bench.XXXXXX";
    if (::mkdtemp(tmpl.data()) == nullptr) {
      std::perror("mkdtemp");
      return 1;
    }
    g_flags.work = tmpl;
  }
  fs::create_directories(g_flags.work);
  ::signal(SIGINT, OnSignal);
  ::signal(SIGTERM, OnSignal);
  if (g_flags.soak) {
    Soak();
  } else {
    std::printf("== corelog end-to-end: %d rounds per size (raw A, broker B, raw A', mock M); server CPU %d, "
                "client CPU %d; scratch %s ==\n",
                g_flags.rounds, g_flags.server_cpu, g_flags.client_cpu, g_flags.work.c_str());
    std::vector<SizePlan> plans = g_flags.quick ? std::vector<SizePlan>{{100, 400000}, {1024, 60000}}
                                                : std::vector<SizePlan>{{100, 3000000}, {1024, 600000}};
    for (const auto& plan : g_flags.Runs("throughput") ? plans : std::vector<SizePlan>{}) {
      // The first raw run needs a group-commit size: a short broker run finds it.
      double group_commit = 64 * 1024;
      try {
        auto warm = WithServer("corelogd", Bin("broker/corelogd"), [&plan](const Server& b) {
          return MeasureProduce(b, "warm", plan.count / 4, plan.size);
        });
        if (warm.group_commit() > 0) group_commit = warm.group_commit();
        std::printf("%s records: warm-up group commit %.0f B (%s)\n", Label(plan.size).c_str(), group_commit,
                    "measured");
      } catch (const std::exception& e) {
        std::printf("warm-up failed: %s\n", e.what());
        KillChildren();
      }
      std::fflush(stdout);
      Rounds(Label(plan.size), g_flags.rounds,
             [&](int r) { Round(plan, r, &group_commit); });
    }
    if (g_flags.Runs("recovery")) {
      // 48 MiB: what the default checkpoint policy (32 MiB per core, 1 s)
      // leaves to replay, within one RocksDB memtable; 256 MiB: checkpoints
      // off, where replay also waits for RocksDB flushes.
      Rounds("recovery", g_flags.quick ? 3 : 5, [&](int r) { RecoveryRound(r, 48ull << 20); });
      if (!g_flags.quick) Rounds("recovery", 2, [&](int r) { RecoveryRound(r, 256ull << 20); });
    }
    double latency_gc = 16 * 1024;
    if (g_flags.Runs("latency")) {
      Rounds("latency", g_flags.quick ? 2 : 3, [&](int r) { LatencyRound(r, &latency_gc); });
    }
    if (g_flags.wal_bench && g_flags.Runs("wal")) RunWalBench();
    PrintSummary();
  }
  KillChildren();
  if (own_work) fs::remove_all(g_flags.work);
  return 0;
}

#include "metrics/process_metrics.h"

#include <sys/resource.h>
#include <unistd.h>

#include <charconv>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>

#include "metrics/family.h"

namespace corelog::metrics {
namespace {

using prometheus::MetricType;

// Field numbers of proc(5), counted from 1; the ones after the command name
// are indexed from field 3 (state) once the name is skipped.
constexpr size_t kUtime = 14, kStime = 15, kStartTime = 22, kVsize = 23, kRss = 24;
constexpr size_t kFirstAfterComm = 3;

std::string ReadFile(const char* path) {
  std::ifstream in(path);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

std::optional<double> ParseNumber(std::string_view s) {
  double v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || ptr != s.data() + s.size()) return std::nullopt;
  return v;
}

std::vector<std::string_view> SplitSpaces(std::string_view s) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\n')) ++i;
    size_t j = i;
    while (j < s.size() && s[j] != ' ' && s[j] != '\n') ++j;
    if (j > i) out.push_back(s.substr(i, j - i));
    i = j;
  }
  return out;
}

double BootTimeSeconds() {
  std::istringstream in(ReadFile("/proc/stat"));
  std::string key;
  double value = 0;
  while (in >> key) {
    if (key == "btime" && in >> value) return value;
    in.ignore(std::numeric_limits<std::streamsize>::max(), '\n');
  }
  return 0;
}

double OpenFds() {
  std::error_code ec;
  double n = 0;
  for (std::filesystem::directory_iterator it("/proc/self/fd", ec), end; !ec && it != end;
       it.increment(ec)) {
    ++n;
  }
  return n;
}

double MaxFds() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY) return 0;
  return static_cast<double>(limit.rlim_cur);
}

prometheus::MetricFamily Gauge(const char* name, const char* help, double value) {
  auto f = MakeFamily(name, help, MetricType::Gauge);
  AddGauge(f, {}, value);
  return f;
}

}  // namespace

std::optional<ProcessStat> ParseProcStat(std::string_view stat, long ticks_per_second,
                                         long page_size, double boot_time_seconds) {
  // The command name is in parentheses and may itself contain spaces or ')'.
  const size_t close = stat.rfind(')');
  if (close == std::string_view::npos || ticks_per_second <= 0) return std::nullopt;
  const auto fields = SplitSpaces(stat.substr(close + 1));
  auto field = [&](size_t n) -> std::optional<double> {
    const size_t i = n - kFirstAfterComm;
    return i < fields.size() ? ParseNumber(fields[i]) : std::nullopt;
  };
  auto utime = field(kUtime), stime = field(kStime), start = field(kStartTime);
  auto vsize = field(kVsize), rss = field(kRss);
  if (!utime || !stime || !start || !vsize || !rss) return std::nullopt;
  const double ticks = static_cast<double>(ticks_per_second);
  return ProcessStat{(*utime + *stime) / ticks, *rss * static_cast<double>(page_size), *vsize,
                     boot_time_seconds + *start / ticks};
}

std::vector<prometheus::MetricFamily> ProcessMetrics::Collect() const {
  auto stat = ParseProcStat(ReadFile("/proc/self/stat"), sysconf(_SC_CLK_TCK),
                            sysconf(_SC_PAGESIZE), BootTimeSeconds());
  if (!stat) return {};
  auto cpu =
      MakeFamily("process_cpu_seconds_total",
                 "CPU time (user + system) the broker process has used.", MetricType::Counter);
  AddCounter(cpu, {}, stat->cpu_seconds);
  std::vector<prometheus::MetricFamily> out;
  out.push_back(std::move(cpu));
  out.push_back(Gauge("process_resident_memory_bytes", "Broker process memory resident in RAM.",
                      stat->resident_bytes));
  out.push_back(Gauge("process_virtual_memory_bytes", "Broker process address-space size.",
                      stat->virtual_bytes));
  out.push_back(Gauge("process_start_time_seconds",
                      "Unix time at which the broker process started.", stat->start_time_seconds));
  out.push_back(
      Gauge("process_open_fds", "File descriptors the broker process holds open.", OpenFds()));
  out.push_back(Gauge("process_max_fds",
                      "Soft limit on the broker process's open file descriptors (0: unlimited).",
                      MaxFds()));
  return out;
}

}  // namespace corelog::metrics

#include "wal/options.h"

#include <algorithm>
#include <cstdio>

#include "wal/errc.h"
#include "wal/file_system.h"
#include "wal/format.h"

namespace corelog::wal {
namespace {

constexpr std::string_view kCoreToken = "{core_id}";
constexpr std::string_view kSegmentToken = "{segment}";

std::string ReplaceAll(std::string s, std::string_view token, const std::string& value) {
  for (size_t at = s.find(token); at != std::string::npos; at = s.find(token, at + value.size())) {
    s.replace(at, token.size(), value);
  }
  return s;
}

std::string PadSegment(uint64_t segment) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%010llu", static_cast<unsigned long long>(segment));
  return buf;
}

// The pattern with the core substituted, split into directory and file name.
std::pair<std::string, std::string> CorePattern(const Options& options, uint32_t core) {
  std::string path = options.dir + "/" + ReplaceAll(options.segment_pattern, kCoreToken,
                                                    std::to_string(core));
  size_t slash = path.find_last_of('/');
  return {path.substr(0, slash), path.substr(slash + 1)};
}

Status Invalid(const std::string& message) {
  return MakeError(Errc::kInvalidArgument, "WAL options: " + message);
}

Status ValidatePattern(const std::string& pattern) {
  if (pattern.find(kCoreToken) == std::string::npos) {
    return Invalid("segment_pattern \"" + pattern + "\" must contain {core_id}");
  }
  size_t seg = pattern.find(kSegmentToken);
  if (seg == std::string::npos || pattern.find(kSegmentToken, seg + 1) != std::string::npos) {
    return Invalid("segment_pattern \"" + pattern + "\" must contain {segment} exactly once");
  }
  size_t slash = pattern.find_last_of('/');
  if (slash != std::string::npos && slash > seg) {
    return Invalid("segment_pattern \"" + pattern + "\": {segment} must be in the file name");
  }
  // Digits on both sides could not be told apart: core 1 segment 12 vs core 11 segment 2.
  bool touches = (seg >= kCoreToken.size() &&
                  pattern.compare(seg - kCoreToken.size(), kCoreToken.size(), kCoreToken) == 0) ||
                 pattern.compare(seg + kSegmentToken.size(), kCoreToken.size(), kCoreToken) == 0;
  if (touches) return Invalid("segment_pattern \"" + pattern + "\": separate {segment} from {core_id}");
  return Ok();
}

}  // namespace

const char* ToString(RecoveryPolicy policy) {
  switch (policy) {
    case RecoveryPolicy::kTolerateTornTail: return "kTolerateTornTail";
    case RecoveryPolicy::kSalvage: return "kSalvage";
    case RecoveryPolicy::kAbsoluteConsistency: return "kAbsoluteConsistency";
  }
  return "unknown";
}

Status ValidateOptions(const Options& options) {
  if (options.dir.empty()) return Invalid("dir is empty");
  if (options.num_cores == 0) return Invalid("num_cores must be at least 1");
  if (options.segment_bytes <= kSegmentHeaderSize) {
    return Invalid("segment_bytes must exceed the " + std::to_string(kSegmentHeaderSize) +
                   "-byte segment header");
  }
  if (options.spare_segments > 0 && options.recovery == RecoveryPolicy::kAbsoluteConsistency) {
    // After a crash, a reused segment's end cannot be told from a torn write.
    return Invalid("spare_segments must be 0 under kAbsoluteConsistency");
  }
  return ValidatePattern(options.segment_pattern);
}

FileSystem* FileSystemOf(const Options& options) {
  if (options.fs != nullptr) return options.fs;
  return options.direct_io ? PosixDirectFileSystem() : PosixFileSystem();
}

std::string SegmentPath(const Options& options, uint32_t core, uint64_t segment) {
  auto [dir, name] = CorePattern(options, core);
  return dir + "/" + ReplaceAll(name, kSegmentToken, PadSegment(segment));
}

std::string SparePath(const Options& options, uint32_t core, uint64_t segment) {
  return SegmentPath(options, core, segment) + std::string(kSpareSuffix);
}

std::string CoreDirectory(const Options& options, uint32_t core) {
  return CorePattern(options, core).first;
}

std::optional<uint64_t> ParseSegmentNumber(const Options& options, uint32_t core,
                                           std::string_view file_name) {
  std::string name = CorePattern(options, core).second;
  size_t at = name.find(kSegmentToken);
  std::string_view prefix(name.data(), at);
  std::string_view suffix(name.data() + at + kSegmentToken.size(),
                          name.size() - at - kSegmentToken.size());
  if (file_name.size() <= prefix.size() + suffix.size() || !file_name.starts_with(prefix) ||
      !file_name.ends_with(suffix)) {
    return std::nullopt;
  }
  std::string_view digits =
      file_name.substr(prefix.size(), file_name.size() - prefix.size() - suffix.size());
  if (digits.size() > 19) return std::nullopt;
  uint64_t value = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + static_cast<uint64_t>(c - '0');
  }
  return value;
}

namespace {

// The files of `core` whose names, less `suffix`, are segment names.
Result<std::vector<SegmentFile>> ListNamed(const Options& options, uint32_t core,
                                           std::string_view suffix) {
  std::string dir = CoreDirectory(options, core);
  auto names = FileSystemOf(options)->ListDir(dir);
  if (!names) {
    if (names.error().code() == std::errc::no_such_file_or_directory) {
      return std::vector<SegmentFile>{};
    }
    return names.error();
  }
  std::vector<SegmentFile> segments;
  for (const std::string& name : *names) {
    if (!std::string_view(name).ends_with(suffix)) continue;
    if (auto number = ParseSegmentNumber(options, core, name.substr(0, name.size() - suffix.size()))) {
      segments.push_back({*number, dir + "/" + name});
    }
  }
  std::sort(segments.begin(), segments.end(),
            [](const SegmentFile& a, const SegmentFile& b) { return a.number < b.number; });
  return segments;
}

}  // namespace

Result<std::vector<SegmentFile>> ListSegments(const Options& options, uint32_t core) {
  return ListNamed(options, core, "");
}

Result<std::vector<SegmentFile>> ListSpares(const Options& options, uint32_t core) {
  return ListNamed(options, core, kSpareSuffix);
}

}  // namespace corelog::wal

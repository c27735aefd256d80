// Shared helpers of the WAL tests: options over the fault-injecting file
// system or a real temporary directory, whole-log readers, a file system
// that forwards to a real one for tests to watch, and the kernel's flags
// for a mapping.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "common/check.h"
#include "tests/common/temp_dir.h"
#include <string>
#include <vector>

#include "tests/wal/fault_file_system.h"
#include "wal/core_reader.h"
#include "wal/manager.h"

namespace corelog::wal::testing {

inline Options MemOptions(FaultFileSystem* fs, uint32_t cores = 2) {
  Options options;
  options.dir = "/wal";
  options.num_cores = cores;
  options.fs = fs;
  return options;
}

using corelog::testing::TempDir;

inline std::unique_ptr<Manager> MustCreate(const Options& options) {
  auto manager = Manager::Create(options);
  EXPECT_TRUE(manager) << manager.error().message();
  return manager ? std::move(*manager) : nullptr;
}

inline std::unique_ptr<Manager> MustOpen(const Options& options) {
  auto manager = Manager::Open(options);
  EXPECT_TRUE(manager) << manager.error().message();
  return manager ? std::move(*manager) : nullptr;
}

// Every entry of `core` under the options' policy; fails the test on error.
inline std::vector<OwnedEntry> ReadCore(const Options& options, uint32_t core) {
  std::vector<OwnedEntry> out;
  auto reader = CoreReader::OpenAll(options, core);
  EXPECT_TRUE(reader) << reader.error().message();
  if (!reader) return out;
  for (;;) {
    auto entry = (*reader)->Next();
    EXPECT_TRUE(entry) << entry.error().message();
    if (!entry || !*entry) break;
    out.push_back(OwnedEntry::From(**entry));
  }
  return out;
}

// `n` bytes that differ from their neighbours, starting at `seed`.
// The VmFlags line of the /proc/self/smaps mapping that holds `p`, or ""
// when no mapping does.
inline std::string VmFlagsOf(const void* p) {
  std::ifstream smaps("/proc/self/smaps");
  const auto at = reinterpret_cast<uintptr_t>(p);
  bool inside = false;
  for (std::string line; std::getline(smaps, line);) {
    unsigned long from = 0, to = 0;
    // Only a mapping's first line starts with "<hex>-<hex>".
    if (std::sscanf(line.c_str(), "%lx-%lx ", &from, &to) == 2) {
      inside = at >= from && at < to;
    } else if (inside && line.starts_with("VmFlags:")) {
      return line;
    }
  }
  return "";
}

inline std::string Pattern(size_t n, char seed) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) s[i] = static_cast<char>(seed + i % 61);
  return s;
}

// The options of a copy of the log in `options.dir`, made at `to` while
// the log may still be open: the state a crash would leave on disk now.
inline Options CrashCopy(const Options& options, const std::string& to) {
  std::filesystem::copy(options.dir, to, std::filesystem::copy_options::recursive);
  Options copy = options;
  copy.dir = to;
  return copy;
}

inline std::vector<std::string> Payloads(const std::vector<OwnedEntry>& entries) {
  std::vector<std::string> out;
  for (const auto& e : entries) out.push_back(e.payload);
  return out;
}

// Forwards every call to a real file system; a test overrides the calls it
// watches.
class ForwardingFileSystem : public FileSystem {
 public:
  explicit ForwardingFileSystem(FileSystem* real) : real_(real) {}
  Result<std::unique_ptr<WritableFile>> NewWritable(const std::string& p) override { return real_->NewWritable(p); }
  Result<std::unique_ptr<WritableFile>> ReopenWritable(const std::string& p) override {
    return real_->ReopenWritable(p);
  }
  Result<std::unique_ptr<WritableFile>> ReuseWritable(const std::string& old_path,
                                                      const std::string& p) override {
    return real_->ReuseWritable(old_path, p);
  }
  Result<std::unique_ptr<ReadableFile>> OpenReadable(const std::string& p) override {
    return real_->OpenReadable(p);
  }
  Status Truncate(const std::string& p, uint64_t size) override { return real_->Truncate(p, size); }
  Status Rename(const std::string& from, const std::string& to) override { return real_->Rename(from, to); }
  Status Delete(const std::string& p) override { return real_->Delete(p); }
  Result<std::vector<std::string>> ListDir(const std::string& d) override { return real_->ListDir(d); }
  Status MakeDirs(const std::string& d) override { return real_->MakeDirs(d); }
  Status SyncDir(const std::string& d) override { return real_->SyncDir(d); }
  bool Exists(const std::string& p) override { return real_->Exists(p); }

 protected:
  FileSystem* real_;
};

}  // namespace corelog::wal::testing

// FaultFileSystem: an in-memory FileSystem for WAL tests that remembers
// what is durable (synced data, synced directory entries) apart from what
// is merely written, and injects the faults a real disk can produce: a
// crash that drops unsynced bytes, a torn last write, a zero-filled tail, a
// flipped bit, a failing Nth write or fsync, ENOSPC. Thread-safe.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>

#include "wal/file_system.h"

namespace corelog::wal::testing {

class FaultFileSystem : public FileSystem {
 public:
  struct LastWrite {
    std::string path;
    uint64_t offset = 0;
    uint64_t size = 0;
  };

  Result<std::unique_ptr<WritableFile>> NewWritable(const std::string& path) override;
  Result<std::unique_ptr<WritableFile>> ReopenWritable(const std::string& path) override;
  Result<std::unique_ptr<WritableFile>> ReuseWritable(const std::string& old_path,
                                                      const std::string& path) override;
  Result<std::unique_ptr<ReadableFile>> OpenReadable(const std::string& path) override;
  Status Truncate(const std::string& path, uint64_t size) override;
  Status Rename(const std::string& from, const std::string& to) override;
  Status Delete(const std::string& path) override;
  Result<std::vector<std::string>> ListDir(const std::string& dir) override;
  Status MakeDirs(const std::string& dir) override;
  Status SyncDir(const std::string& dir) override;
  bool Exists(const std::string& path) override;

  // Faults. Counts start at 1 with the next call.
  void FailNthWrite(int n, int err = EIO);
  void FailNthSync(int n, int err = EIO);
  // Appends fail with ENOSPC once the files would hold more than `bytes`
  // in total; the part that still fits is written first.
  void LimitSpace(uint64_t bytes);
  // Runs at the start of every file Sync (not SyncDir), outside the lock.
  void SetSyncHook(std::function<void()> hook);
  // Runs at the start of every append to a file, outside the lock.
  void SetWriteHook(std::function<void()> hook);

  // Power loss: from now on every operation fails with EIO.
  void Crash();
  // Reboot: unsynced bytes and unsynced new directory entries vanish.
  void Restart();

  LastWrite last_write() const;
  std::string Contents(const std::string& path) const;
  // Replaces a file's bytes, durably (how torn and damaged files are made).
  void SetContents(const std::string& path, const std::string& bytes);
  void FlipBit(const std::string& path, uint64_t offset, int bit);
  void AppendZeros(const std::string& path, uint64_t count);
  std::vector<std::string> Files() const;

  int writes() const;
  int syncs() const;
  uint64_t bytes_read() const;  // by every readable file, from its opening

 private:
  struct File {
    std::string data;
    std::string durable;
    bool linked_durably = false;
  };
  class Writable;
  class Readable;

  // Writes at `*at` (and advances it), or at the end when `at` is null.
  Status AppendTo(const std::shared_ptr<File>& file, const std::string& path, std::string_view data,
                  uint64_t* at);
  Status SyncFile(const std::shared_ptr<File>& file, const std::string& path);
  // A close syncs what is not yet durable; a clean file's counts no sync.
  // A reused file is first cut at `*cut`.
  Status CloseFile(const std::shared_ptr<File>& file, const std::string& path, const uint64_t* cut);
  Status CheckAlive(const std::string& what, const std::string& path) const;
  std::shared_ptr<File> Find(const std::string& path) const;

  mutable std::mutex mu_;
  std::map<std::string, std::shared_ptr<File>> files_;
  std::set<std::string> dirs_{"/"};
  bool crashed_ = false;
  int writes_ = 0;
  int syncs_ = 0;
  uint64_t bytes_read_ = 0;
  int fail_write_at_ = 0;
  int fail_write_errno_ = 0;
  int fail_sync_at_ = 0;
  int fail_sync_errno_ = 0;
  uint64_t space_limit_ = UINT64_MAX;
  std::function<void()> sync_hook_;
  std::function<void()> write_hook_;
  LastWrite last_write_;
};

}  // namespace corelog::wal::testing

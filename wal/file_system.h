// The file seam of the WAL. Every byte the WAL reads or writes, and every
// directory it changes, goes through FileSystem, so tests can inject crashes,
// torn writes and I/O errors (tests/wal/fault_file_system.h). The real
// implementation is PosixFileSystem().
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace corelog::wal {

// A file open for appending. Used by one thread at a time.
class WritableFile {
 public:
  virtual ~WritableFile() = default;
  // Writes all of `data` at the end of the file. A short write is continued;
  // an error (ENOSPC, EIO) is returned with some prefix possibly written.
  virtual Status Append(std::string_view data) = 0;
  // Append, for bytes the file may write from where they are: during the
  // call the file may overwrite the kDirectIoBlock bytes before `data` and
  // the kDirectIoBlock bytes after it (WriteBuffer keeps that room). An
  // O_DIRECT file uses it to write without copying `data` to aligned memory
  // first; by default this is Append.
  virtual Status AppendInPlace(std::span<char> data) {
    return Append(std::string_view(data.data(), data.size()));
  }
  // fdatasync: everything appended so far, and the file size, are durable.
  virtual Status Sync() = 0;
  // Makes everything appended durable, as Sync does, and closes the file.
  virtual Status Close() = 0;
};

// A file open for positional reads. ReadAt and Size may run on several
// threads at once.
class ReadableFile {
 public:
  virtual ~ReadableFile() = default;
  // Reads up to dst.size() bytes at `offset`; fewer only at end of file.
  virtual Result<size_t> ReadAt(uint64_t offset, std::span<char> dst) = 0;
  virtual Result<uint64_t> Size() = 0;
};

// Thread-safe.
class FileSystem {
 public:
  virtual ~FileSystem() = default;
  // Creates `path`, which must not exist, for appending.
  virtual Result<std::unique_ptr<WritableFile>> NewWritable(const std::string& path) = 0;
  // Opens the existing `path` for appending at its current end.
  virtual Result<std::unique_ptr<WritableFile>> ReopenWritable(const std::string& path) = 0;
  // Renames the existing file `old_path` to `path` (which must not exist)
  // and opens it to be written again from offset 0. Appends overwrite the
  // old bytes in place; Close cuts whatever old bytes are left after the
  // last append. Writing over blocks a file already has changes no file
  // system metadata, so each fdatasync is a bare device flush, where
  // growing a file also commits its new size. The caller syncs the
  // directory.
  virtual Result<std::unique_ptr<WritableFile>> ReuseWritable(const std::string& old_path,
                                                              const std::string& path) = 0;
  virtual Result<std::unique_ptr<ReadableFile>> OpenReadable(const std::string& path) = 0;
  // A hint that `path` will be read whole soon: the file system may start
  // reading it now. Errors are ignored; by default it does nothing.
  virtual void WillRead(const std::string& /*path*/) {}
  // Sets the size of `path` and makes the new size durable.
  virtual Status Truncate(const std::string& path, uint64_t size) = 0;
  virtual Status Rename(const std::string& from, const std::string& to) = 0;
  virtual Status Delete(const std::string& path) = 0;
  // Names (not paths) of the entries in `dir`; ENOENT if `dir` is missing.
  virtual Result<std::vector<std::string>> ListDir(const std::string& dir) = 0;
  // mkdir -p; each directory created is made durable in its parent.
  virtual Status MakeDirs(const std::string& dir) = 0;
  // fsync of a directory: creations, deletions and renames in it are durable.
  virtual Status SyncDir(const std::string& dir) = 0;
  virtual bool Exists(const std::string& path) = 0;
};

// The process-wide POSIX implementation (open/write/pread/fdatasync).
FileSystem* PosixFileSystem();

// Alignment of O_DIRECT writes: a multiple of every common device block.
inline constexpr size_t kDirectIoBlock = 4096;

// The same, but appends bypass the page cache with O_DIRECT: the bytes go
// from an aligned buffer to the disk, without the kernel copying them into
// cached pages first. Until a writable file is closed it ends in up to
// kDirectIoBlock - 1 zero bytes of padding (recovery removes them after a
// crash; see docs/wal_format.md). Reads whose offset, length and memory are
// kDirectIoBlock-aligned bypass the page cache too; other reads use it.
// Files on a file system that refuses O_DIRECT go through the page cache.
FileSystem* PosixDirectFileSystem();

}  // namespace corelog::wal

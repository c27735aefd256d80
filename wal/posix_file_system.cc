#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <utility>

#include "wal/aligned_buffer.h"
#include "wal/direct_writable.h"
#include "wal/file_system.h"

namespace corelog::wal {
namespace {

Error Errno(const std::string& what, const std::string& path) {
  return Error::FromErrno(errno, what + " " + path);
}

// Closes a descriptor on every return path.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }
  int release() { return std::exchange(fd_, -1); }
  void Close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_;
};

// Appends at the descriptor's offset: the end of a new or reopened file, 0
// of a reused one, which Close then cuts after the last append.
class PosixWritable : public WritableFile {
 public:
  PosixWritable(int fd, std::string path, bool reused)
      : fd_(fd), path_(std::move(path)), reused_(reused) {}
  ~PosixWritable() override {
    if (fd_ >= 0) ::close(fd_);
  }

  Status Append(std::string_view data) override {
    while (!data.empty()) {
      ssize_t n = ::write(fd_, data.data(), data.size());
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return Errno("write", path_);
      data.remove_prefix(static_cast<size_t>(n));
      written_ += static_cast<uint64_t>(n);
    }
    return Ok();
  }

  Status Sync() override {
    if (::fdatasync(fd_) != 0) return Errno("fdatasync", path_);
    return Ok();
  }

  Status Close() override {
    int fd = std::exchange(fd_, -1);
    if (fd < 0) return Ok();
    Status status = Ok();
    if (reused_ && ::ftruncate(fd, static_cast<off_t>(written_)) != 0) {
      status = Errno("ftruncate", path_);
    } else if (::fdatasync(fd) != 0) {
      status = Errno("fdatasync", path_);
    }
    if (::close(fd) != 0 && status) status = Errno("close", path_);
    return status;
  }

 private:
  int fd_;
  std::string path_;
  bool reused_;
  uint64_t written_ = 0;  // by this object
};

// Positional reads. With a second descriptor opened with O_DIRECT, reads
// whose offset, length and memory are block-aligned go straight from the
// disk into the caller's buffer, without the kernel filling and copying
// page-cache pages; any other read uses the ordinary descriptor.
class PosixReadable : public ReadableFile {
 public:
  PosixReadable(int fd, int direct_fd, std::string path)
      : fd_(fd), direct_fd_(direct_fd), path_(std::move(path)) {}

  Result<size_t> ReadAt(uint64_t offset, std::span<char> dst) override {
    size_t done = 0;
    while (done < dst.size()) {
      char* at = dst.data() + done;
      const size_t want = dst.size() - done;
      const bool direct = direct_ok_.load(std::memory_order_relaxed) && IsBlockAligned(offset + done) &&
                          IsBlockAligned(want) && IsBlockAligned(reinterpret_cast<uintptr_t>(at));
      ssize_t n = ::pread(direct ? direct_fd_.get() : fd_.get(), at, want,
                          static_cast<off_t>(offset + done));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && direct && errno == EINVAL) {
        // The device wants a larger alignment than kDirectIoBlock: read
        // this file through the page cache from now on. (The descriptor
        // stays open: another thread may be reading with it.)
        direct_ok_.store(false, std::memory_order_relaxed);
        continue;
      }
      if (n < 0) return Errno("pread", path_);
      if (n == 0) break;
      done += static_cast<size_t>(n);
    }
    return done;
  }

  Result<uint64_t> Size() override {
    struct stat st;
    if (::fstat(fd_.get(), &st) != 0) return Errno("fstat", path_);
    return static_cast<uint64_t>(st.st_size);
  }

 private:
  Fd fd_;
  Fd direct_fd_;  // -1 when the file system refuses O_DIRECT
  std::atomic<bool> direct_ok_{direct_fd_.get() >= 0};
  std::string path_;
};

std::string ParentOf(const std::string& path) {
  size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

Result<int> OpenFd(const std::string& path, int flags) {
  int fd = ::open(path.c_str(), flags | O_CLOEXEC, 0644);
  if (fd < 0) return Errno("open", path);
  return fd;
}

class Posix : public FileSystem {
 public:
  explicit Posix(bool direct) : direct_(direct) {}

  Result<std::unique_ptr<WritableFile>> NewWritable(const std::string& path) override {
    CORELOG_ASSIGN_OR_RETURN(int fd, OpenFd(path, O_WRONLY | O_CREAT | O_EXCL));
    return Writable(fd, path, 0);
  }

  Result<std::unique_ptr<WritableFile>> ReopenWritable(const std::string& path) override {
    CORELOG_ASSIGN_OR_RETURN(int fd, OpenFd(path, O_WRONLY | O_APPEND));
    struct stat st;
    if (::fstat(fd, &st) != 0) {
      Error error = Errno("fstat", path);
      ::close(fd);
      return error;
    }
    return Writable(fd, path, static_cast<uint64_t>(st.st_size));
  }

  Result<std::unique_ptr<WritableFile>> ReuseWritable(const std::string& old_path,
                                                      const std::string& path) override {
    if (Exists(path)) return Error::FromErrno(EEXIST, "reuse " + old_path + " as " + path);
    CORELOG_ASSIGN_OR_RETURN(int raw, OpenFd(old_path, O_WRONLY));
    Fd fd(raw);
    CORELOG_TRY(Rename(old_path, path));
    return Writable(fd.release(), path, 0, /*reused=*/true);
  }

  Result<std::unique_ptr<ReadableFile>> OpenReadable(const std::string& path) override {
    CORELOG_ASSIGN_OR_RETURN(int fd, OpenFd(path, O_RDONLY));
    if (direct_) {
      // Reads that bypass the page cache, where the file system allows it.
      int direct_fd = ::open(path.c_str(), O_RDONLY | O_DIRECT | O_CLOEXEC);
      if (direct_fd >= 0) return std::unique_ptr<ReadableFile>(new PosixReadable(fd, direct_fd, path));
    }
    // Segments are read front to back, whole: start reading all of it now,
    // so the disk works while earlier entries are checked and applied. Only
    // a hint; a failure changes nothing but speed.
    (void)::posix_fadvise(fd, 0, 0, POSIX_FADV_WILLNEED);
    return std::unique_ptr<ReadableFile>(new PosixReadable(fd, -1, path));
  }

  void WillRead(const std::string& path) override {
    // Direct reads do not look in the page cache, so filling it is wasted.
    if (direct_) return;
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return;
    (void)::posix_fadvise(fd, 0, 0, POSIX_FADV_WILLNEED);
    ::close(fd);
  }

  Status Truncate(const std::string& path, uint64_t size) override {
    CORELOG_ASSIGN_OR_RETURN(int raw, OpenFd(path, O_WRONLY));
    Fd fd(raw);
    if (::ftruncate(fd.get(), static_cast<off_t>(size)) != 0) return Errno("ftruncate", path);
    if (::fsync(fd.get()) != 0) return Errno("fsync", path);
    return Ok();
  }

  Status Rename(const std::string& from, const std::string& to) override {
    if (::rename(from.c_str(), to.c_str()) != 0) return Errno("rename", from + " -> " + to);
    return Ok();
  }

  Status Delete(const std::string& path) override {
    if (::unlink(path.c_str()) != 0) return Errno("unlink", path);
    return Ok();
  }

  Result<std::vector<std::string>> ListDir(const std::string& dir) override {
    DIR* d = ::opendir(dir.c_str());
    if (d == nullptr) return Errno("opendir", dir);
    std::vector<std::string> names;
    while (struct dirent* e = ::readdir(d)) {
      std::string_view name(e->d_name);
      if (name != "." && name != "..") names.emplace_back(name);
    }
    ::closedir(d);
    return names;
  }

  Status MakeDirs(const std::string& dir) override {
    for (size_t i = 1; i <= dir.size(); ++i) {
      if (i < dir.size() && dir[i] != '/') continue;
      std::string prefix = dir.substr(0, i);
      if (::mkdir(prefix.c_str(), 0755) == 0) {
        // A new directory is only durable once its parent is synced.
        CORELOG_TRY(SyncDir(ParentOf(prefix)));
      } else if (errno != EEXIST) {
        return Errno("mkdir", prefix);
      }
    }
    return Ok();
  }

  Status SyncDir(const std::string& dir) override {
    CORELOG_ASSIGN_OR_RETURN(int raw, OpenFd(dir, O_RDONLY | O_DIRECTORY));
    Fd fd(raw);
    if (::fsync(fd.get()) != 0) return Errno("fsync directory", dir);
    return Ok();
  }

  bool Exists(const std::string& path) override { return ::access(path.c_str(), F_OK) == 0; }

 private:
  // Direct appends write at explicit offsets, which Linux's pwrite ignores
  // on an O_APPEND descriptor: the flag is cleared first.
  Result<std::unique_ptr<WritableFile>> Writable(int fd, const std::string& path, uint64_t size,
                                                 bool reused = false) {
    if (direct_) {
      int flags = ::fcntl(fd, F_GETFL);
      if (flags >= 0) (void)::fcntl(fd, F_SETFL, flags & ~O_APPEND);
      CORELOG_ASSIGN_OR_RETURN(auto direct, OpenDirectWritable(fd, path, size));
      if (direct) return direct;
      if (flags >= 0) (void)::fcntl(fd, F_SETFL, flags);
    }
    return std::unique_ptr<WritableFile>(new PosixWritable(fd, path, reused));
  }

  bool direct_;
};

}  // namespace

FileSystem* PosixFileSystem() {
  static Posix fs(false);
  return &fs;
}

FileSystem* PosixDirectFileSystem() {
  static Posix fs(true);
  return &fs;
}

}  // namespace corelog::wal

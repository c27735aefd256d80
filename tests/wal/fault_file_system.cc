#include "tests/wal/fault_file_system.h"

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace corelog::wal::testing {
namespace {

std::string ParentOf(const std::string& path) {
  size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

Error Fail(int err, const std::string& what, const std::string& path) {
  return Error::FromErrno(err, what + " " + path);
}

}  // namespace

class FaultFileSystem::Writable : public WritableFile {
 public:
  Writable(FaultFileSystem* fs, std::shared_ptr<File> file, std::string path, bool reused = false)
      : fs_(fs), file_(std::move(file)), path_(std::move(path)), reused_(reused) {}
  Status Append(std::string_view data) override {
    return fs_->AppendTo(file_, path_, data, reused_ ? &offset_ : nullptr);
  }
  Status Sync() override { return fs_->SyncFile(file_, path_); }
  Status Close() override { return fs_->CloseFile(file_, path_, reused_ ? &offset_ : nullptr); }

 private:
  FaultFileSystem* fs_;
  std::shared_ptr<File> file_;
  std::string path_;
  bool reused_;
  uint64_t offset_ = 0;  // where a reused file's next append goes
};

class FaultFileSystem::Readable : public ReadableFile {
 public:
  Readable(FaultFileSystem* fs, std::shared_ptr<File> file) : fs_(fs), file_(std::move(file)) {}
  Result<size_t> ReadAt(uint64_t offset, std::span<char> dst) override {
    std::lock_guard lock(fs_->mu_);
    if (offset >= file_->data.size()) return size_t{0};
    size_t n = std::min<size_t>(dst.size(), file_->data.size() - offset);
    std::memcpy(dst.data(), file_->data.data() + offset, n);
    fs_->bytes_read_ += n;
    return n;
  }
  Result<uint64_t> Size() override {
    std::lock_guard lock(fs_->mu_);
    return uint64_t{file_->data.size()};
  }

 private:
  FaultFileSystem* fs_;
  std::shared_ptr<File> file_;
};

Status FaultFileSystem::CheckAlive(const std::string& what, const std::string& path) const {
  if (crashed_) return Fail(EIO, what + " after crash", path);
  return Ok();
}

std::shared_ptr<FaultFileSystem::File> FaultFileSystem::Find(const std::string& path) const {
  auto it = files_.find(path);
  return it == files_.end() ? nullptr : it->second;
}

Result<std::unique_ptr<WritableFile>> FaultFileSystem::NewWritable(const std::string& path) {
  std::lock_guard lock(mu_);
  CORELOG_TRY(CheckAlive("create", path));
  if (!dirs_.count(ParentOf(path))) return Fail(ENOENT, "create", path);
  if (files_.count(path)) return Fail(EEXIST, "create", path);
  auto file = std::make_shared<File>();
  files_[path] = file;
  return std::unique_ptr<WritableFile>(new Writable(this, file, path));
}

Result<std::unique_ptr<WritableFile>> FaultFileSystem::ReopenWritable(const std::string& path) {
  std::lock_guard lock(mu_);
  CORELOG_TRY(CheckAlive("open", path));
  auto file = Find(path);
  if (!file) return Fail(ENOENT, "open", path);
  return std::unique_ptr<WritableFile>(new Writable(this, file, path));
}

Result<std::unique_ptr<WritableFile>> FaultFileSystem::ReuseWritable(const std::string& old_path,
                                                                    const std::string& path) {
  std::lock_guard lock(mu_);
  CORELOG_TRY(CheckAlive("reuse", old_path));
  auto file = Find(old_path);
  if (!file) return Fail(ENOENT, "reuse", old_path);
  if (files_.count(path)) return Fail(EEXIST, "reuse", path);
  files_.erase(old_path);
  files_[path] = file;
  file->linked_durably = false;
  return std::unique_ptr<WritableFile>(new Writable(this, file, path, /*reused=*/true));
}

Result<std::unique_ptr<ReadableFile>> FaultFileSystem::OpenReadable(const std::string& path) {
  std::lock_guard lock(mu_);
  CORELOG_TRY(CheckAlive("open", path));
  auto file = Find(path);
  if (!file) return Fail(ENOENT, "open", path);
  return std::unique_ptr<ReadableFile>(new Readable(this, file));
}

Status FaultFileSystem::Truncate(const std::string& path, uint64_t size) {
  std::lock_guard lock(mu_);
  CORELOG_TRY(CheckAlive("truncate", path));
  auto file = Find(path);
  if (!file) return Fail(ENOENT, "truncate", path);
  file->data.resize(size);
  file->durable = file->data;
  return Ok();
}

Status FaultFileSystem::Rename(const std::string& from, const std::string& to) {
  std::lock_guard lock(mu_);
  CORELOG_TRY(CheckAlive("rename", from));
  auto file = Find(from);
  if (!file) return Fail(ENOENT, "rename", from);
  files_.erase(from);
  files_[to] = file;
  file->linked_durably = false;
  return Ok();
}

Status FaultFileSystem::Delete(const std::string& path) {
  std::lock_guard lock(mu_);
  CORELOG_TRY(CheckAlive("unlink", path));
  if (files_.erase(path) == 0) return Fail(ENOENT, "unlink", path);
  return Ok();
}

Result<std::vector<std::string>> FaultFileSystem::ListDir(const std::string& dir) {
  std::lock_guard lock(mu_);
  CORELOG_TRY(CheckAlive("opendir", dir));
  if (!dirs_.count(dir)) return Fail(ENOENT, "opendir", dir);
  std::vector<std::string> names;
  for (const auto& [path, file] : files_) {
    if (ParentOf(path) == dir) names.push_back(path.substr(dir.size() + 1));
  }
  for (const std::string& d : dirs_) {
    if (d != dir && ParentOf(d) == dir) names.push_back(d.substr(dir.size() + 1));
  }
  return names;
}

Status FaultFileSystem::MakeDirs(const std::string& dir) {
  std::lock_guard lock(mu_);
  CORELOG_TRY(CheckAlive("mkdir", dir));
  // Directories are modelled as durable at once; WAL durability hinges on files.
  for (std::string d = dir; d != "/" && d != "."; d = ParentOf(d)) dirs_.insert(d);
  return Ok();
}

Status FaultFileSystem::SyncDir(const std::string& dir) {
  std::lock_guard lock(mu_);
  CORELOG_TRY(CheckAlive("fsync", dir));
  for (auto& [path, file] : files_) {
    if (ParentOf(path) == dir) file->linked_durably = true;
  }
  return Ok();
}

bool FaultFileSystem::Exists(const std::string& path) {
  std::lock_guard lock(mu_);
  return files_.count(path) > 0 || dirs_.count(path) > 0;
}

Status FaultFileSystem::AppendTo(const std::shared_ptr<File>& file, const std::string& path,
                                 std::string_view data, uint64_t* at) {
  std::function<void()> hook;
  {
    std::lock_guard lock(mu_);
    hook = write_hook_;
  }
  if (hook) hook();
  std::lock_guard lock(mu_);
  CORELOG_TRY(CheckAlive("write", path));
  ++writes_;
  if (writes_ == fail_write_at_) return Fail(fail_write_errno_, "write", path);
  uint64_t used = 0;
  for (const auto& [p, f] : files_) used += f->data.size();
  uint64_t room = used >= space_limit_ ? 0 : space_limit_ - used;
  const uint64_t offset = at != nullptr ? *at : file->data.size();
  last_write_ = {path, offset, std::min<uint64_t>(room, data.size())};
  const size_t n = static_cast<size_t>(last_write_.size);
  if (file->data.size() < offset + n) file->data.resize(offset + n);
  file->data.replace(offset, n, data.substr(0, n));
  if (at != nullptr) *at += n;
  if (data.size() > room) return Fail(ENOSPC, "write", path);
  return Ok();
}

Status FaultFileSystem::SyncFile(const std::shared_ptr<File>& file, const std::string& path) {
  std::function<void()> hook;
  {
    std::lock_guard lock(mu_);
    hook = sync_hook_;
  }
  if (hook) hook();
  std::lock_guard lock(mu_);
  CORELOG_TRY(CheckAlive("fdatasync", path));
  ++syncs_;
  if (syncs_ == fail_sync_at_) return Fail(fail_sync_errno_, "fdatasync", path);
  file->durable = file->data;
  return Ok();
}

Status FaultFileSystem::CloseFile(const std::shared_ptr<File>& file, const std::string& path,
                                  const uint64_t* cut) {
  {
    std::lock_guard lock(mu_);
    if (cut != nullptr && *cut < file->data.size()) file->data.resize(*cut);
    if (file->durable == file->data) return Ok();
  }
  return SyncFile(file, path);
}

void FaultFileSystem::FailNthWrite(int n, int err) {
  std::lock_guard lock(mu_);
  fail_write_at_ = writes_ + n;
  fail_write_errno_ = err;
}

void FaultFileSystem::FailNthSync(int n, int err) {
  std::lock_guard lock(mu_);
  fail_sync_at_ = syncs_ + n;
  fail_sync_errno_ = err;
}

void FaultFileSystem::LimitSpace(uint64_t bytes) {
  std::lock_guard lock(mu_);
  space_limit_ = bytes;
}

void FaultFileSystem::SetSyncHook(std::function<void()> hook) {
  std::lock_guard lock(mu_);
  sync_hook_ = std::move(hook);
}

void FaultFileSystem::SetWriteHook(std::function<void()> hook) {
  std::lock_guard lock(mu_);
  write_hook_ = std::move(hook);
}

void FaultFileSystem::Crash() {
  std::lock_guard lock(mu_);
  crashed_ = true;
}

void FaultFileSystem::Restart() {
  std::lock_guard lock(mu_);
  for (auto it = files_.begin(); it != files_.end();) {
    if (!it->second->linked_durably) {
      it = files_.erase(it);
      continue;
    }
    it->second->data = it->second->durable;
    ++it;
  }
  crashed_ = false;
  fail_write_at_ = fail_sync_at_ = 0;
  space_limit_ = UINT64_MAX;
}

FaultFileSystem::LastWrite FaultFileSystem::last_write() const {
  std::lock_guard lock(mu_);
  return last_write_;
}

std::string FaultFileSystem::Contents(const std::string& path) const {
  std::lock_guard lock(mu_);
  auto file = Find(path);
  return file ? file->data : std::string();
}

void FaultFileSystem::SetContents(const std::string& path, const std::string& bytes) {
  std::lock_guard lock(mu_);
  auto& file = files_[path];
  if (!file) file = std::make_shared<File>();
  file->data = file->durable = bytes;
  file->linked_durably = true;
}

void FaultFileSystem::FlipBit(const std::string& path, uint64_t offset, int bit) {
  std::lock_guard lock(mu_);
  auto file = Find(path);
  file->data[offset] = static_cast<char>(file->data[offset] ^ (1 << bit));
  file->durable = file->data;
}

void FaultFileSystem::AppendZeros(const std::string& path, uint64_t count) {
  std::lock_guard lock(mu_);
  auto file = Find(path);
  file->data.append(count, '\0');
  file->durable = file->data;
}

std::vector<std::string> FaultFileSystem::Files() const {
  std::lock_guard lock(mu_);
  std::vector<std::string> out;
  for (const auto& [path, file] : files_) out.push_back(path);
  return out;
}

int FaultFileSystem::writes() const {
  std::lock_guard lock(mu_);
  return writes_;
}

int FaultFileSystem::syncs() const {
  std::lock_guard lock(mu_);
  return syncs_;
}

uint64_t FaultFileSystem::bytes_read() const {
  std::lock_guard lock(mu_);
  return bytes_read_;
}

}  // namespace corelog::wal::testing

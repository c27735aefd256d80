// The WAL where the file system refuses O_DIRECT: appends, syncs and
// recovery fall back to the page cache, a log written one way is continued
// the other way, and direct reads refused in the middle of a file go on
// through the page cache. The link wraps open, fcntl and pread (see
// CMakeLists.txt); the wrappers below refuse O_DIRECT as the test asks and
// otherwise pass every call through unchanged.
#include <fcntl.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <cerrno>
#include <cstdarg>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "tests/wal/wal_test_util.h"
#include "wal/aligned_buffer.h"
#include "wal/file_system.h"
#include "wal/manager.h"

namespace {

enum class Refusal {
  kNone,
  kDirectOpens,    // open(O_DIRECT) and fcntl(F_SETFL, O_DIRECT) fail with EINVAL
  kDirectReads,    // pread on an O_DIRECT descriptor fails with EINVAL
  kFcntlFailsEio,  // fcntl(F_SETFL, O_DIRECT) fails with EIO
};

std::atomic<Refusal> g_refusal{Refusal::kNone};
std::atomic<int> g_refused{0};  // calls refused since the last Refuse

}  // namespace

extern "C" {
int __real_open(const char* path, int flags, ...);
int __real_fcntl(int fd, int cmd, ...);
ssize_t __real_pread(int fd, void* buf, size_t n, off_t offset);

int __wrap_open(const char* path, int flags, ...) {
  mode_t mode = 0;
  if ((flags & O_CREAT) != 0 || (flags & O_TMPFILE) == O_TMPFILE) {
    va_list args;
    va_start(args, flags);
    mode = static_cast<mode_t>(va_arg(args, int));
    va_end(args);
  }
  if ((flags & O_DIRECT) != 0 && g_refusal.load() == Refusal::kDirectOpens) {
    g_refused.fetch_add(1);
    errno = EINVAL;
    return -1;
  }
  return __real_open(path, flags, mode);
}

int __wrap_fcntl(int fd, int cmd, ...) {
  va_list args;
  va_start(args, cmd);
  // Every fcntl command the code under test uses takes an int or nothing.
  const int arg = va_arg(args, int);
  va_end(args);
  if (cmd == F_SETFL && (arg & O_DIRECT) != 0) {
    const Refusal refusal = g_refusal.load();
    if (refusal == Refusal::kDirectOpens || refusal == Refusal::kFcntlFailsEio) {
      g_refused.fetch_add(1);
      errno = refusal == Refusal::kDirectOpens ? EINVAL : EIO;
      return -1;
    }
  }
  return __real_fcntl(fd, cmd, arg);
}

ssize_t __wrap_pread(int fd, void* buf, size_t n, off_t offset) {
  if (g_refusal.load() == Refusal::kDirectReads && (__real_fcntl(fd, F_GETFL) & O_DIRECT) != 0) {
    g_refused.fetch_add(1);
    errno = EINVAL;
    return -1;
  }
  return __real_pread(fd, buf, n, offset);
}
}  // extern "C"

namespace corelog::wal {
namespace {

using testing::CrashCopy;
using testing::Pattern;
using testing::Payloads;
using testing::ReadCore;
using testing::TempDir;

// Refuses what `refusal` names until it goes out of scope.
class Refuse {
 public:
  explicit Refuse(Refusal refusal) {
    g_refused.store(0);
    g_refusal.store(refusal);
  }
  ~Refuse() { g_refusal.store(Refusal::kNone); }
  Refuse(const Refuse&) = delete;
  Refuse& operator=(const Refuse&) = delete;
};

Options DirectOptions(const std::string& dir) {
  Options options;
  options.dir = dir;
  options.direct_io = true;
  options.segment_bytes = 64 * 1024;  // several segments
  return options;
}

// Appends `count` entries to core 0 and syncs them; adds them to `written`.
void AppendSome(Manager& m, int count, std::vector<std::string>* written) {
  for (int i = 0; i < count; ++i) {
    const auto n = static_cast<int64_t>(written->size());
    written->push_back(Pattern(2000 + static_cast<size_t>(n) * 37, static_cast<char>('A' + n % 20)));
    ASSERT_TRUE(m.writer(0).AppendData(1, n, written->back()));
  }
  ASSERT_TRUE(m.SyncAll());
}

size_t OpenDescriptors() {
  return static_cast<size_t>(std::distance(std::filesystem::directory_iterator("/proc/self/fd"),
                                           std::filesystem::directory_iterator()));
}

TEST(WalWithoutDirectIo, AppendsSyncsAndRecoversThroughThePageCache) {
  TempDir dir;
  const Options options = DirectOptions(dir.path() + "/wal");
  std::vector<std::string> written;
  Refuse refuse(Refusal::kDirectOpens);
  {
    auto m = Manager::Create(options);
    ASSERT_TRUE(m) << m.error().message();
    AppendSome(**m, 60, &written);
    // The segments were opened and O_DIRECT refused; the writer went on.
    EXPECT_GT(g_refused.load(), 1);
    const Options crashed = CrashCopy(options, dir.path() + "/crashed");
    EXPECT_EQ(Payloads(ReadCore(crashed, 0)), written);
  }
  auto reopened = Manager::Open(options);
  ASSERT_TRUE(reopened) << reopened.error().message();
  AppendSome(**reopened, 5, &written);
  reopened->reset();
  EXPECT_EQ(Payloads(ReadCore(options, 0)), written);
}

// A log moved between file systems, or a file system that changed its mind:
// the block padding of an O_DIRECT writer cut short is removed and the
// page-cache writer appends right after the last entry, and back again.
TEST(WalWithoutDirectIo, ContinuesALogWrittenWithDirectIoAndHandsItBack) {
  TempDir dir;
  const Options options = DirectOptions(dir.path() + "/wal");
  std::vector<std::string> written;
  auto direct = Manager::Create(options);
  ASSERT_TRUE(direct) << direct.error().message();
  AppendSome(**direct, 30, &written);
  const Options crashed = CrashCopy(options, dir.path() + "/crashed");
  direct->reset();
  {
    Refuse refuse(Refusal::kDirectOpens);
    auto buffered = Manager::Open(crashed);
    ASSERT_TRUE(buffered) << buffered.error().message();
    AppendSome(**buffered, 7, &written);
    EXPECT_GT(g_refused.load(), 0);
  }
  auto again = Manager::Open(crashed);
  ASSERT_TRUE(again) << again.error().message();
  AppendSome(**again, 3, &written);
  again->reset();
  Options strict = crashed;
  strict.recovery = RecoveryPolicy::kAbsoluteConsistency;
  EXPECT_EQ(Payloads(ReadCore(strict, 0)), written);
}

TEST(WalWithoutDirectIo, AnotherFcntlFailureIsAnErrorAndKeepsNoDescriptor) {
  TempDir dir;
  const size_t before = OpenDescriptors();
  Refuse refuse(Refusal::kFcntlFailsEio);
  auto file = PosixDirectFileSystem()->NewWritable(dir.path() + "/f");
  ASSERT_FALSE(file);
  EXPECT_NE(file.error().message().find("fcntl O_DIRECT"), std::string::npos) << file.error().message();
  EXPECT_EQ(g_refused.load(), 1);
  EXPECT_EQ(OpenDescriptors(), before);
}

// A file of `size` patterned bytes.
std::string WriteFile(const std::string& path, size_t size) {
  const std::string bytes = Pattern(size, 'a');
  std::ofstream(path, std::ios::binary) << bytes;
  return bytes;
}

// Reads [offset, offset + length) into block-aligned memory.
std::string ReadAligned(ReadableFile& file, uint64_t offset, size_t length) {
  AlignedBuffer buf = AllocateAligned(length);
  auto n = file.ReadAt(offset, {buf.get(), length});
  EXPECT_TRUE(n) << n.error().message();
  return n ? std::string(buf.get(), *n) : std::string();
}

TEST(WalWithoutDirectIo, ReadsOpenThroughThePageCacheWhenODirectIsRefused) {
  TempDir dir;
  const std::string path = dir.path() + "/f";
  const std::string bytes = WriteFile(path, 3 * kDirectIoBlock + 100);
  Refuse refuse(Refusal::kDirectOpens);
  auto file = PosixDirectFileSystem()->OpenReadable(path);
  ASSERT_TRUE(file) << file.error().message();
  EXPECT_EQ(g_refused.load(), 1);
  EXPECT_EQ(ReadAligned(**file, 0, 4 * kDirectIoBlock), bytes);
  EXPECT_EQ(ReadAligned(**file, kDirectIoBlock, kDirectIoBlock), bytes.substr(kDirectIoBlock, kDirectIoBlock));
}

// The device wants a larger alignment than the WAL's blocks: the first
// refused direct read turns the file over to the page cache for good.
TEST(WalWithoutDirectIo, DirectReadsRefusedMidFileGoOnThroughThePageCache) {
  TempDir dir;
  const std::string path = dir.path() + "/f";
  const std::string bytes = WriteFile(path, 3 * kDirectIoBlock + 100);
  auto file = PosixDirectFileSystem()->OpenReadable(path);
  ASSERT_TRUE(file) << file.error().message();
  EXPECT_EQ(ReadAligned(**file, 0, kDirectIoBlock), bytes.substr(0, kDirectIoBlock));
  Refuse refuse(Refusal::kDirectReads);
  EXPECT_EQ(ReadAligned(**file, kDirectIoBlock, 2 * kDirectIoBlock),
            bytes.substr(kDirectIoBlock, 2 * kDirectIoBlock));
  EXPECT_EQ(g_refused.load(), 1);
  EXPECT_EQ(ReadAligned(**file, 0, 4 * kDirectIoBlock), bytes);
  EXPECT_EQ(g_refused.load(), 1);
}

}  // namespace
}  // namespace corelog::wal

// O_DIRECT appends on real files: what lands on disk after each append, what
// Close leaves, reopening after a partial block, and recovery of a WAL whose
// newest segment still ends in block padding (as after kill -9).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "tests/wal/wal_test_util.h"
#include "wal/file_system.h"
#include "wal/format.h"
#include "wal/manager.h"

namespace corelog::wal {
namespace {

using testing::Payloads;
using testing::ReadCore;
using testing::TempDir;

std::string ReadWhole(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

uint64_t RoundUpToBlock(uint64_t n) {
  return (n + kDirectIoBlock - 1) / kDirectIoBlock * kDirectIoBlock;
}

std::string Pattern(size_t n, char seed) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) s[i] = static_cast<char>(seed + i % 61);
  return s;
}

TEST(WalDirectIo, EachAppendLandsWholeAndPaddedAndCloseCutsThePadding) {
  TempDir dir;
  const std::string path = dir.path() + "/f";
  auto file = PosixDirectFileSystem()->NewWritable(path);
  ASSERT_TRUE(file) << file.error().message();
  std::string expected;
  char seed = 'a';
  // The last append is larger than the writer's staging buffer (2 MiB).
  for (size_t size : {1, 4095, 4096, 5000, 100000, 3, 8192, (5 << 20) + 3}) {
    SCOPED_TRACE("after appending " + std::to_string(size) + " bytes");
    expected += Pattern(size, seed++);
    ASSERT_TRUE((*file)->Append(Pattern(size, static_cast<char>(seed - 1))));
    ASSERT_TRUE((*file)->Sync());
    std::string disk = ReadWhole(path);
    // Only a direct append pads the file to the next block boundary.
    ASSERT_EQ(disk.size(), RoundUpToBlock(expected.size()));
    EXPECT_EQ(disk.substr(0, expected.size()), expected);
    EXPECT_EQ(disk.find_first_not_of('\0', expected.size()), std::string::npos);
  }
  ASSERT_TRUE((*file)->Close());
  EXPECT_EQ(ReadWhole(path), expected);
}

TEST(WalDirectIo, ReopeningContinuesAfterThePartialLastBlock) {
  TempDir dir;
  const std::string path = dir.path() + "/f";
  const std::string first = Pattern(5000, 'k'), second = Pattern(7000, 'q');
  {
    auto file = PosixDirectFileSystem()->NewWritable(path);
    ASSERT_TRUE(file) << file.error().message();
    ASSERT_TRUE((*file)->Append(first));
    ASSERT_TRUE((*file)->Close());
  }
  auto file = PosixDirectFileSystem()->ReopenWritable(path);
  ASSERT_TRUE(file) << file.error().message();
  ASSERT_TRUE((*file)->Append(second));
  ASSERT_TRUE((*file)->Sync());
  EXPECT_EQ(ReadWhole(path).substr(0, first.size() + second.size()), first + second);
  ASSERT_TRUE((*file)->Close());
  EXPECT_EQ(ReadWhole(path), first + second);
}

// The segment files of a WAL still open, as a crash would leave them.
void CopyDirectory(const std::string& from, const std::string& to) {
  std::filesystem::copy(from, to, std::filesystem::copy_options::recursive);
}

TEST(WalDirectIo, PaddingLeftByACrashIsRemovedEvenUnderAbsoluteConsistency) {
  TempDir dir;
  Options options;
  options.dir = dir.path() + "/wal";
  options.direct_io = true;
  options.segment_bytes = 64 * 1024;  // several segments, the newest one padded
  std::vector<std::string> written;
  auto m = Manager::Create(options);
  ASSERT_TRUE(m) << m.error().message();
  for (int i = 0; i < 40; ++i) {
    written.push_back(Pattern(3000 + static_cast<size_t>(i) * 7, static_cast<char>('A' + i % 20)));
    ASSERT_TRUE((*m)->writer(0).AppendData(1, i, written.back()));
  }
  ASSERT_TRUE((*m)->SyncAll());
  const uint64_t end = (*m)->writer(0).position();

  Options crashed = options;
  crashed.dir = dir.path() + "/crashed";
  crashed.recovery = RecoveryPolicy::kAbsoluteConsistency;
  CopyDirectory(options.dir, crashed.dir);
  m->reset();

  auto reopened = Manager::Open(crashed);
  ASSERT_TRUE(reopened) << reopened.error().message();
  EXPECT_EQ((*reopened)->writer(0).position(), end);
  // Appending after the removed padding keeps the log contiguous.
  ASSERT_TRUE((*reopened)->writer(0).AppendData(1, 40, "after the crash"));
  ASSERT_TRUE((*reopened)->SyncAll());
  reopened->reset();
  written.push_back("after the crash");
  EXPECT_EQ(Payloads(ReadCore(crashed, 0)), written);
}

TEST(WalDirectIo, NonZeroBytesAfterTheLastEntryAreStillATornTail) {
  TempDir dir;
  Options options;
  options.dir = dir.path() + "/wal";
  options.direct_io = true;
  auto m = Manager::Create(options);
  ASSERT_TRUE(m) << m.error().message();
  ASSERT_TRUE((*m)->writer(0).AppendData(1, 0, Pattern(1000, 'x')));
  ASSERT_TRUE((*m)->SyncAll());
  Options crashed = options;
  crashed.dir = dir.path() + "/crashed";
  crashed.recovery = RecoveryPolicy::kAbsoluteConsistency;
  CopyDirectory(options.dir, crashed.dir);
  m->reset();
  // A stray byte inside the padding: not padding any more.
  const std::string segment = SegmentPath(crashed, 0, 0);
  std::string bytes = ReadWhole(segment);
  ASSERT_EQ(bytes.size() % kDirectIoBlock, 0u);
  bytes[bytes.size() - 1] = 'z';
  std::ofstream(segment, std::ios::binary | std::ios::trunc) << bytes;
  auto reopened = Manager::Open(crashed);
  ASSERT_FALSE(reopened);
  EXPECT_NE(reopened.error().message().find("torn"), std::string::npos) << reopened.error().message();
}

}  // namespace
}  // namespace corelog::wal

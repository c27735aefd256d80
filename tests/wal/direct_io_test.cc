// O_DIRECT appends on real files: what lands on disk after each append (also
// written in place from a WriteBuffer), what Close leaves, reopening after a
// partial block, and recovery of a WAL whose newest segment still ends in
// block padding (as after kill -9).
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <mutex>
#include <fstream>
#include <sstream>

#include "tests/wal/wal_test_util.h"
#include "wal/file_system.h"
#include "wal/format.h"
#include "wal/manager.h"
#include "wal/write_buffer.h"

namespace corelog::wal {
namespace {

using testing::CrashCopy;
using testing::ForwardingFileSystem;
using testing::Pattern;
using testing::Payloads;
using testing::ReadCore;
using testing::TempDir;
using testing::VmFlagsOf;

std::string ReadWhole(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

uint64_t RoundUpToBlock(uint64_t n) {
  return (n + kDirectIoBlock - 1) / kDirectIoBlock * kDirectIoBlock;
}

// The file holds `expected`, then zero padding to the next block boundary:
// what an open file written with O_DIRECT looks like.
void ExpectPaddedOnDisk(const std::string& path, const std::string& expected) {
  std::string disk = ReadWhole(path);
  ASSERT_EQ(disk.size(), RoundUpToBlock(expected.size()));
  EXPECT_EQ(disk.substr(0, expected.size()), expected);
  EXPECT_EQ(disk.find_first_not_of('\0', expected.size()), std::string::npos);
}

// A new file in a temporary directory, open for O_DIRECT appends.
class WalDirectIoFile : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = PosixDirectFileSystem()->NewWritable(path);
    ASSERT_TRUE(opened) << opened.error().message();
    file = std::move(*opened);
  }
  TempDir dir;
  const std::string path = dir.path() + "/f";
  std::unique_ptr<WritableFile> file;
};

TEST_F(WalDirectIoFile, EachAppendLandsWholeAndPaddedAndCloseCutsThePadding) {
  std::string expected;
  char seed = 'a';
  // The last append is larger than the writer's staging buffer (2 MiB).
  for (size_t size : {1, 4095, 4096, 5000, 100000, 3, 8192, (5 << 20) + 3}) {
    SCOPED_TRACE("after appending " + std::to_string(size) + " bytes");
    expected += Pattern(size, seed++);
    ASSERT_TRUE(file->Append(Pattern(size, static_cast<char>(seed - 1))));
    ASSERT_TRUE(file->Sync());
    ExpectPaddedOnDisk(path, expected);
  }
  ASSERT_TRUE(file->Close());
  EXPECT_EQ(ReadWhole(path), expected);
}

// Makes `bytes` the buffer's content, lined up for `file_offset`.
void Fill(WriteBuffer* buffer, uint64_t file_offset, const std::string& bytes) {
  buffer->Reset(file_offset);
  std::memcpy(buffer->Extend(bytes.size()), bytes.data(), bytes.size());
}

TEST_F(WalDirectIoFile, AppendInPlaceWritesFromTheCallersBytesAndLandsTheSame) {
  std::string expected;
  WriteBuffer buffer;
  char seed = 'a';
  for (size_t size : {1, 4095, 4096, 5000, 100000, 3, 8192, (5 << 20) + 3, 10}) {
    SCOPED_TRACE("after appending " + std::to_string(size) + " bytes");
    const std::string chunk = Pattern(size, seed++);
    Fill(&buffer, expected.size(), chunk);
    const size_t tail = expected.size() % kDirectIoBlock;
    ASSERT_TRUE(file->AppendInPlace(buffer.bytes()));
    // Written from the buffer: the file put its last partial block in the
    // room right before the bytes and wrote from there.
    EXPECT_EQ(std::string(buffer.bytes().data() - tail, tail), expected.substr(expected.size() - tail));
    expected += chunk;
    ASSERT_TRUE(file->Sync());
    ExpectPaddedOnDisk(path, expected);
  }
  ASSERT_TRUE(file->Close());
  EXPECT_EQ(ReadWhole(path), expected);
}

TEST_F(WalDirectIoFile, AppendInPlaceOfBytesNotLinedUpWithTheFileIsCopied) {
  std::string expected;
  WriteBuffer buffer;
  for (size_t size : {100, 7000, 3}) {
    const std::string chunk = Pattern(size, static_cast<char>('A' + size % 7));
    Fill(&buffer, expected.size() + 1, chunk);  // one byte off the file's offset
    ASSERT_TRUE(file->AppendInPlace(buffer.bytes()));
    expected += chunk;
  }
  ASSERT_TRUE(file->Sync());
  EXPECT_EQ(ReadWhole(path).substr(0, expected.size()), expected);
  ASSERT_TRUE(file->Close());
  EXPECT_EQ(ReadWhole(path), expected);
}

// Watches the appends of every file it opens for writing.
struct AppendLog {
  std::mutex mu;
  int copied = 0;     // Append
  int in_place = 0;   // AppendInPlace
  int lined_up = 0;   // AppendInPlace with the bytes where an O_DIRECT file can write them
  int not_lined_up_at_file_start = 0;
  int syncs = 0;
  int closes = 0;
};

class WatchedWritable : public WritableFile {
 public:
  WatchedWritable(std::unique_ptr<WritableFile> file, uint64_t size, AppendLog* log)
      : file_(std::move(file)), size_(size), log_(log) {}
  Status Append(std::string_view data) override {
    Count(&AppendLog::copied);
    size_ += data.size();
    return file_->Append(data);
  }
  Status AppendInPlace(std::span<char> data) override {
    const auto start = reinterpret_cast<uintptr_t>(data.data()) - size_ % kDirectIoBlock;
    Count(&AppendLog::in_place);
    if (start % kDirectIoBlock == 0) {
      Count(&AppendLog::lined_up);
    } else if (size_ == 0) {
      Count(&AppendLog::not_lined_up_at_file_start);
    }
    size_ += data.size();
    return file_->AppendInPlace(data);
  }
  Status Sync() override {
    Count(&AppendLog::syncs);
    return file_->Sync();
  }
  Status Close() override {
    Count(&AppendLog::closes);
    return file_->Close();
  }

 private:
  void Count(int AppendLog::*counter) {
    std::lock_guard lock(log_->mu);
    ++(log_->*counter);
  }
  std::unique_ptr<WritableFile> file_;
  uint64_t size_;
  AppendLog* log_;
};

class WatchedFileSystem : public ForwardingFileSystem {
 public:
  explicit WatchedFileSystem(AppendLog* log) : ForwardingFileSystem(PosixDirectFileSystem()), log_(log) {}
  Result<std::unique_ptr<WritableFile>> NewWritable(const std::string& p) override {
    CORELOG_ASSIGN_OR_RETURN(auto file, real_->NewWritable(p));
    return std::unique_ptr<WritableFile>(new WatchedWritable(std::move(file), 0, log_));
  }
  Result<std::unique_ptr<WritableFile>> ReopenWritable(const std::string& p) override {
    CORELOG_ASSIGN_OR_RETURN(auto file, real_->ReopenWritable(p));
    return std::unique_ptr<WritableFile>(new WatchedWritable(std::move(file), std::filesystem::file_size(p), log_));
  }

 private:
  AppendLog* log_;
};

// Options for a log in `dir` on `fs` whose segments roll every 64 KiB, so
// group commits cross rolls.
Options WatchedOptions(const TempDir& dir, FileSystem* fs) {
  Options options;
  options.dir = dir.path() + "/wal";
  options.fs = fs;
  options.segment_bytes = 64 * 1024;
  return options;
}

TEST(WalDirectIo, GroupCommitsReachTheFileLinedUpToBeWrittenInPlace) {
  TempDir dir;
  AppendLog log;
  WatchedFileSystem fs(&log);
  const Options options = WatchedOptions(dir, &fs);
  std::vector<std::string> written;
  for (int round = 0; round < 2; ++round) {  // the second round reopens the log
    auto m = round == 0 ? Manager::Create(options) : Manager::Open(options);
    ASSERT_TRUE(m) << m.error().message();
    for (int i = 0; i < 60; ++i) {
      written.push_back(Pattern(100 + static_cast<size_t>(i) * 131, static_cast<char>('a' + i % 23)));
      ASSERT_TRUE((*m)->writer(0).AppendData(1, i, written.back()));
      if (i % 7 == 6) {
        ASSERT_TRUE((*m)->SyncAll());
      }
    }
    ASSERT_TRUE((*m)->SyncAll());
  }
  EXPECT_EQ(Payloads(ReadCore(options, 0)), written);
  // Every group commit is written in place, lined up with its file, the
  // bytes of a segment that starts inside a group commit included; only
  // the header written when the log is created is copied.
  std::lock_guard lock(log.mu);
  EXPECT_GT(log.lined_up, 10);
  EXPECT_EQ(log.lined_up, log.in_place);
  EXPECT_EQ(log.copied, 1);
}

// Close makes a finished segment durable (it cuts the padding and fsyncs),
// so a roll asks the disk for one flush of it, not a Sync and then another.
TEST(WalDirectIo, ASegmentRollFlushesTheFinishedSegmentOnce) {
  TempDir dir;
  AppendLog log;
  WatchedFileSystem fs(&log);
  const Options options = WatchedOptions(dir, &fs);
  auto m = Manager::Create(options);
  ASSERT_TRUE(m) << m.error().message();
  CoreWriter& w = (*m)->writer(0);
  std::vector<std::string> written;
  // One group commit, without a sync before it, that spans several segments.
  {
    std::lock_guard lock(log.mu);
    log.syncs = 0;
    log.closes = 0;
  }
  for (int i = 0; i < 40; ++i) {
    written.push_back(Pattern(5000, static_cast<char>('a' + i % 23)));
    ASSERT_TRUE(w.AppendData(1, i, written.back()));
  }
  ASSERT_TRUE(w.SyncNow());
  const int rolls = static_cast<int>(w.segment_count()) - 1;
  ASSERT_GE(rolls, 2);
  {
    std::lock_guard lock(log.mu);
    EXPECT_EQ(log.closes, rolls);
    EXPECT_EQ(log.syncs, 1);  // the group commit's, in the newest segment
  }
  m->reset();
  EXPECT_EQ(Payloads(ReadCore(options, 0)), written);
}

TEST(WalWriteBuffer, BytesStartLinedUpWithTheirFileOffsetAndSurviveGrowth) {
  WriteBuffer buffer;
  for (uint64_t offset : {0ul, 1ul, 4095ul, 4096ul, 12345ul}) {
    SCOPED_TRACE("file offset " + std::to_string(offset));
    buffer.Reset(offset);
    std::string expected;
    for (size_t n : {10, 5000, 1 << 20, 3 << 20}) {
      const std::string chunk = Pattern(n, static_cast<char>('a' + n % 13));
      std::memcpy(buffer.Extend(n), chunk.data(), n);
      expected += chunk;
      const auto at = reinterpret_cast<uintptr_t>(buffer.bytes().data());
      EXPECT_EQ(at % kDirectIoBlock, offset % kDirectIoBlock);
      ASSERT_EQ(buffer.size(), expected.size());
      EXPECT_EQ(std::string(buffer.bytes().data(), buffer.size()), expected);
    }
  }
}

// The disk drains a group-commit buffer with O_DIRECT, which pins every
// page of it for each write: a buffer of a huge page or more is mapped on
// a 2 MiB boundary with huge pages asked for; smaller ones stay on malloc's
// small pages.
TEST(WalWriteBuffer, BuffersOfAHugePageOrMoreSitOnHugePages) {
  WriteBuffer small;
  small.Reset(0);
  std::memset(small.Extend(100 << 10), 'a', 100 << 10);
  EXPECT_EQ(VmFlagsOf(small.data()).find(" hg"), std::string::npos) << VmFlagsOf(small.data());

  WriteBuffer large;
  large.Reset(0);
  std::memset(large.Extend(100 << 10), 'b', 100 << 10);
  std::memset(large.Extend(3 << 20), 'c', 3 << 20);  // grows past a huge page
  // Reset(0) puts the bytes one block after the start of the memory.
  const auto base = reinterpret_cast<uintptr_t>(large.data()) - kDirectIoBlock;
  EXPECT_EQ(base % kHugePage, 0u);
  EXPECT_NE(VmFlagsOf(large.data()).find(" hg"), std::string::npos) << VmFlagsOf(large.data());
  EXPECT_EQ(large.bytes()[0], 'b');
  EXPECT_EQ(large.bytes()[large.size() - 1], 'c');

  WriteBuffer reserved;
  reserved.Reserve(kHugePage);
  EXPECT_NE(VmFlagsOf(reserved.Extend(1)).find(" hg"), std::string::npos);
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

  Options crashed = CrashCopy(options, dir.path() + "/crashed");
  crashed.recovery = RecoveryPolicy::kAbsoluteConsistency;
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
  Options crashed = CrashCopy(options, dir.path() + "/crashed");
  crashed.recovery = RecoveryPolicy::kAbsoluteConsistency;
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

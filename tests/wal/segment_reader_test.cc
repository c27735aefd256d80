// SegmentReader over real files larger than its read chunks: entries that
// straddle chunks, entries larger than a chunk, a jump past damage in the
// middle, the next chunk being read while the caller works, and the direct
// file system's reads bypassing the page cache.
#include "wal/segment_reader.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <condition_variable>
#include <fstream>
#include <mutex>
#include <thread>
#include <vector>

#include "tests/common/temp_dir.h"
#include "tests/wal/wal_test_util.h"
#include "wal/aligned_buffer.h"
#include "wal/format.h"

namespace corelog::wal {
namespace {

using corelog::testing::TempDir;
using testing::ForwardingFileSystem;
using testing::VmFlagsOf;

struct Written {
  uint64_t offset;
  std::string payload;
};

std::string Pattern(size_t n, uint32_t seed) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) s[i] = static_cast<char>((seed * 131 + i * 7 + i / 4096) % 251);
  return s;
}

// A segment of ~26 MiB: small entries, entries of about a chunk's headroom
// and entries larger than a whole read chunk (4 MiB), in a repeating mix,
// so entries fall across chunk boundaries at many different offsets.
std::vector<Written> WriteSegment(const std::string& path) {
  std::string bytes = EncodeSegmentHeader(SegmentHeader{0, 1, 0, 0, 0});
  std::vector<Written> written;
  const size_t sizes[] = {100, 4096 - 28, 700 << 10, (1 << 20) + 13, 333, (3 << 20) + 5, 12345, (5 << 20) + 7};
  uint32_t seq = 0;
  for (int round = 0; round < 2; ++round) {
    for (size_t size : sizes) {
      EntryFields f;
      f.kind = static_cast<uint8_t>(EntryKind::kData);
      f.sequence = seq;
      f.partition_id = seq % 3;
      f.base_offset = seq;
      written.push_back({bytes.size(), Pattern(size, seq)});
      AppendEntry(&bytes, f, written.back().payload);
      ++seq;
    }
  }
  std::ofstream(path, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  return written;
}

void ExpectEntries(SegmentReader& reader, const std::vector<Written>& want, size_t from) {
  for (size_t i = from; i < want.size(); ++i) {
    SCOPED_TRACE("entry " + std::to_string(i));
    auto step = reader.Next();
    ASSERT_TRUE(step) << step.error().message();
    ASSERT_EQ(step->what, SegmentStep::What::kEntry) << step->entry.problem;
    EXPECT_EQ(step->offset, want[i].offset);
    EXPECT_EQ(step->entry.fields.sequence, i);
    ASSERT_EQ(step->entry.payload.size(), want[i].payload.size());
    EXPECT_TRUE(step->entry.payload == want[i].payload);
  }
  auto end = reader.Next();
  ASSERT_TRUE(end);
  EXPECT_EQ(end->what, SegmentStep::What::kEnd);
}

class SegmentReaderFiles : public ::testing::TestWithParam<bool> {
 protected:
  FileSystem* fs() { return GetParam() ? PosixDirectFileSystem() : PosixFileSystem(); }
};

INSTANTIATE_TEST_SUITE_P(PageCacheAndDirect, SegmentReaderFiles, ::testing::Bool());

TEST_P(SegmentReaderFiles, ReadsEveryEntryAcrossChunksOfAnySize) {
  TempDir dir;
  const std::string path = dir.path() + "/seg";
  auto written = WriteSegment(path);
  auto reader = SegmentReader::Open(fs(), path);
  ASSERT_TRUE(reader) << reader.error().message();
  ASSERT_TRUE((*reader)->header());
  ExpectEntries(**reader, written, 0);
}

TEST_P(SegmentReaderFiles, DamageInTheMiddleIsReportedAndReadingGoesOnPastIt) {
  TempDir dir;
  const std::string path = dir.path() + "/seg";
  auto written = WriteSegment(path);
  // Flip a byte inside entry 5 (3 MiB), far from the start of the file.
  const size_t bad = 5;
  {
    std::fstream f(path, std::ios::binary | std::ios::in | std::ios::out);
    const auto at = static_cast<std::streamoff>(written[bad].offset + 100000);
    char c = 0;
    f.seekg(at);
    f.read(&c, 1);
    c = static_cast<char>(c ^ 0x5a);
    f.seekp(at);
    f.write(&c, 1);
  }
  auto reader = SegmentReader::Open(fs(), path);
  ASSERT_TRUE(reader) << reader.error().message();
  for (size_t i = 0; i < bad; ++i) ASSERT_EQ((*reader)->Next()->what, SegmentStep::What::kEntry);
  auto damage = (*reader)->Next();
  ASSERT_TRUE(damage);
  ASSERT_EQ(damage->what, SegmentStep::What::kDamage);
  EXPECT_EQ(damage->offset, written[bad].offset);
  auto next = (*reader)->FindValidEntry(damage->offset + 1, 0);
  ASSERT_TRUE(next) << next.error().message();
  ASSERT_TRUE(next->has_value());
  EXPECT_EQ(**next, written[bad + 1].offset);
  (*reader)->Seek(**next);
  ExpectEntries(**reader, written, bad + 1);
}

// Records each read a ReadableFile serves: its offset and thread.
struct ReadLog {
  std::mutex mu;
  std::condition_variable changed;
  std::vector<std::pair<uint64_t, std::thread::id>> reads;
};

class LoggedFile : public ReadableFile {
 public:
  LoggedFile(std::unique_ptr<ReadableFile> file, ReadLog* log) : file_(std::move(file)), log_(log) {}
  Result<size_t> ReadAt(uint64_t offset, std::span<char> dst) override {
    auto got = file_->ReadAt(offset, dst);
    std::lock_guard lock(log_->mu);
    log_->reads.emplace_back(offset, std::this_thread::get_id());
    log_->changed.notify_all();
    return got;
  }
  Result<uint64_t> Size() override { return file_->Size(); }

 private:
  std::unique_ptr<ReadableFile> file_;
  ReadLog* log_;
};

class LoggedFileSystem : public ForwardingFileSystem {
 public:
  explicit LoggedFileSystem(ReadLog* log) : ForwardingFileSystem(PosixDirectFileSystem()), log_(log) {}
  Result<std::unique_ptr<ReadableFile>> OpenReadable(const std::string& path) override {
    CORELOG_ASSIGN_OR_RETURN(auto file, real_->OpenReadable(path));
    return std::unique_ptr<ReadableFile>(new LoggedFile(std::move(file), log_));
  }

 private:
  ReadLog* log_;
};

TEST(SegmentReader, ReadsTheNextChunkOnAnotherThreadBeforeItIsNeeded) {
  TempDir dir;
  const std::string path = dir.path() + "/seg";
  auto written = WriteSegment(path);
  ReadLog log;
  LoggedFileSystem fs(&log);
  auto reader = SegmentReader::Open(&fs, path);
  ASSERT_TRUE(reader) << reader.error().message();
  auto first = (*reader)->Next();
  ASSERT_TRUE(first);
  ASSERT_EQ(first->what, SegmentStep::What::kEntry);
  // Everything the first entry needs was read on this thread; the read of
  // what follows it starts without waiting for the next call.
  const auto me = std::this_thread::get_id();
  const uint64_t first_end = written[0].offset + first->entry.size;
  std::unique_lock lock(log.mu);
  const bool ahead = log.changed.wait_for(lock, std::chrono::seconds(20), [&] {
    for (const auto& [offset, thread] : log.reads) {
      if (offset >= first_end && thread != me) return true;
    }
    return false;
  });
  EXPECT_TRUE(ahead) << "no read ahead of the caller";
  for (const auto& [offset, thread] : log.reads) {
    if (offset < first_end) {
      EXPECT_EQ(thread, me);
    }
  }
  lock.unlock();
  ExpectEntries(**reader, written, 1);
}

// Pages of `path` now in the page cache.
size_t CachedPages(const std::string& path, size_t size) {
  int fd = ::open(path.c_str(), O_RDONLY);
  void* map = ::mmap(nullptr, size, PROT_READ, MAP_SHARED, fd, 0);
  ::close(fd);
  if (map == MAP_FAILED) return SIZE_MAX;
  const size_t page = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
  std::vector<unsigned char> resident((size + page - 1) / page);
  size_t n = 0;
  if (::mincore(map, size, resident.data()) == 0) {
    for (unsigned char r : resident) n += r & 1;
  }
  ::munmap(map, size);
  return n;
}

void Evict(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::fdatasync(fd), 0);
  ASSERT_EQ(::posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED), 0);
  ::close(fd);
}

TEST(WalDirectRead, AlignedReadsBypassThePageCacheAndOthersUseIt) {
  TempDir dir;
  const std::string path = dir.path() + "/f";
  // Not a whole number of blocks: the aligned read runs into the end.
  const std::string content = Pattern((1 << 20) + 1000, 7);
  std::ofstream(path, std::ios::binary).write(content.data(), static_cast<std::streamsize>(content.size()));
  Evict(path);
  ASSERT_EQ(CachedPages(path, content.size()), 0u) << "this file system keeps files in memory";

  auto file = PosixDirectFileSystem()->OpenReadable(path);
  ASSERT_TRUE(file) << file.error().message();
  const size_t len = (1 << 20) + kDirectIoBlock;
  AlignedBuffer buf = AllocateAligned(len);
  auto got = (*file)->ReadAt(0, std::span<char>(buf.get(), len));
  ASSERT_TRUE(got) << got.error().message();
  ASSERT_EQ(*got, content.size());
  EXPECT_EQ(std::string_view(buf.get(), *got), content);
  EXPECT_EQ(CachedPages(path, content.size()), 0u);

  // An unaligned read gives the same bytes through the page cache.
  std::string small(5000, '\0');
  got = (*file)->ReadAt(12345, std::span<char>(small.data(), small.size()));
  ASSERT_TRUE(got) << got.error().message();
  ASSERT_EQ(*got, small.size());
  EXPECT_EQ(small, content.substr(12345, 5000));
  EXPECT_GT(CachedPages(path, content.size()), 0u);
}

TEST(WalDirectRead, HugePageBuffersAreAlignedTakeDirectReadsAndAreUnmapped) {
  TempDir dir;
  const std::string path = dir.path() + "/f";
  const std::string content = Pattern((3 << 20) + 1000, 11);
  std::ofstream(path, std::ios::binary).write(content.data(), static_cast<std::streamsize>(content.size()));

  const size_t len = (4 << 20) + 100;
  AlignedBuffer buf = AllocateAligned(len, Pages::kHuge);
  ASSERT_NE(buf.get(), nullptr);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(buf.get()) % (2 << 20), 0u);
  // The kernel was asked for huge pages on it ("hg"), whatever it grants.
  EXPECT_NE(VmFlagsOf(buf.get()).find(" hg"), std::string::npos) << VmFlagsOf(buf.get());
  // Writable to its last byte.
  buf.get()[len - 1] = 'x';

  auto file = PosixDirectFileSystem()->OpenReadable(path);
  ASSERT_TRUE(file) << file.error().message();
  auto got = (*file)->ReadAt(0, std::span<char>(buf.get(), AlignUp(content.size())));
  ASSERT_TRUE(got) << got.error().message();
  ASSERT_EQ(*got, content.size());
  EXPECT_EQ(std::string_view(buf.get(), *got), content);

  const void* where = buf.get();
  buf.reset();
  EXPECT_EQ(VmFlagsOf(where), "") << "the mapping outlived its buffer";

  // Ordinary buffers come from malloc and carry no such advice.
  AlignedBuffer small = AllocateAligned(len);
  EXPECT_EQ(VmFlagsOf(small.get()).find(" hg"), std::string::npos);
}

}  // namespace
}  // namespace corelog::wal

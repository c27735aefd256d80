#include <gtest/gtest.h>

#include "tests/wal/wal_test_util.h"
#include "wal/errc.h"
#include "wal/format.h"
#include "wal/manager.h"

namespace corelog::wal {
namespace {

using testing::FaultFileSystem;
using testing::MemOptions;
using testing::MustCreate;
using testing::MustOpen;
using testing::Payloads;
using testing::ReadCore;

using Strings = std::vector<std::string>;

// One core holding "a", "b", "c" (each synced); returns the entries' end positions.
std::vector<uint64_t> WriteThree(const Options& options) {
  auto m = MustCreate(options);
  std::vector<uint64_t> ends;
  for (const char* p : {"a", "b", "c"}) {
    ends.push_back(*m->writer(0).AppendData(0, 0, std::string(20, p[0])));
    EXPECT_TRUE(m->writer(0).SyncNow());
  }
  return ends;
}

uint64_t FileOffset(uint64_t position) { return kSegmentHeaderSize + position; }

TEST(WalRecovery, TornTailIsTruncatedOnOpenAtEveryByteOffset) {
  FaultFileSystem fs;
  Options options = MemOptions(&fs, 1);
  std::vector<uint64_t> ends;
  {
    auto m = MustCreate(options);
    ASSERT_TRUE(m->writer(0).AppendData(0, 0, "synced"));
    ASSERT_TRUE(m->writer(0).SyncNow());
    for (const char* p : {"x1", "x2-longer", "x3"}) ends.push_back(*m->writer(0).AppendData(0, 1, p));
    ASSERT_TRUE(m->writer(0).SyncNow());
  }
  auto last = fs.last_write();
  std::string full = fs.Contents(last.path);
  ASSERT_EQ(full.size(), last.offset + last.size);
  for (uint64_t keep = 0; keep < last.size; ++keep) {
    SCOPED_TRACE("keeping " + std::to_string(keep) + " bytes of the last write");
    fs.SetContents(last.path, full.substr(0, last.offset + keep));
    auto m = MustOpen(options);
    ASSERT_TRUE(m);
    Strings expected = {"synced"};
    for (size_t i = 0; i < ends.size(); ++i) {
      if (FileOffset(ends[i]) <= last.offset + keep) expected.push_back(i == 1 ? "x2-longer" : "x" + std::to_string(i + 1));
    }
    EXPECT_EQ(Payloads(ReadCore(options, 0)), expected);
    // Appending after the cut must leave a fully readable log.
    ASSERT_TRUE(m->writer(0).AppendData(0, 9, "after"));
    ASSERT_TRUE(m->writer(0).SyncNow());
    expected.push_back("after");
    EXPECT_EQ(Payloads(ReadCore(options, 0)), expected);
  }
}

TEST(WalRecovery, ZeroFilledTailIsTruncatedOnOpen) {
  FaultFileSystem fs;
  Options options = MemOptions(&fs, 1);
  std::vector<uint64_t> ends = WriteThree(options);
  std::string path = SegmentPath(options, 0);
  fs.AppendZeros(path, 4096);
  auto m = MustOpen(options);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->positions()[0], ends.back());
  EXPECT_EQ(fs.Contents(path).size(), FileOffset(ends.back()));
  ASSERT_TRUE(m->writer(0).AppendData(0, 0, "d"));
  ASSERT_TRUE(m->writer(0).SyncNow());
  EXPECT_EQ(ReadCore(options, 0).size(), 4u);
}

TEST(WalRecovery, MidFileCorruptionFailsOpenNamingFileAndOffset) {
  FaultFileSystem fs;
  Options options = MemOptions(&fs, 1);
  std::vector<uint64_t> ends = WriteThree(options);
  std::string path = SegmentPath(options, 0);
  fs.FlipBit(path, FileOffset(ends[0]) + 30, 2);
  auto opened = Manager::Open(options);
  ASSERT_FALSE(opened);
  EXPECT_EQ(opened.error().code(), Errc::kCorruption);
  std::string message = opened.error().message();
  EXPECT_NE(message.find(path), std::string::npos) << message;
  EXPECT_NE(message.find("at byte " + std::to_string(FileOffset(ends[0]))), std::string::npos)
      << message;
}

TEST(WalRecovery, SalvageSkipsTheCorruptRegionAndKeepsLaterEntries) {
  FaultFileSystem fs;
  Options options = MemOptions(&fs, 1);
  std::vector<uint64_t> ends = WriteThree(options);
  fs.FlipBit(SegmentPath(options, 0), FileOffset(ends[0]) + 4, 0);
  options.recovery = RecoveryPolicy::kSalvage;
  auto m = MustOpen(options);
  ASSERT_TRUE(m);
  EXPECT_EQ(Payloads(ReadCore(options, 0)), (Strings{std::string(20, 'a'), std::string(20, 'c')}));
  auto reader = CoreReader::OpenAll(options, 0);
  ASSERT_TRUE(reader);
  while (*(*reader)->Next()) {
  }
  ASSERT_EQ((*reader)->report().skipped.size(), 1u);
  EXPECT_NE((*reader)->report().skipped[0].find("at byte"), std::string::npos);
  ASSERT_TRUE(m->writer(0).AppendData(0, 0, "d"));
  ASSERT_TRUE(m->writer(0).SyncNow());
  EXPECT_EQ(ReadCore(options, 0).size(), 3u);
}

TEST(WalRecovery, AbsoluteConsistencyRejectsATornTail) {
  FaultFileSystem fs;
  Options options = MemOptions(&fs, 1);
  std::vector<uint64_t> ends = WriteThree(options);
  std::string path = SegmentPath(options, 0);
  fs.SetContents(path, fs.Contents(path).substr(0, FileOffset(ends.back()) - 3));
  options.recovery = RecoveryPolicy::kAbsoluteConsistency;
  auto strict = Manager::Open(options);
  ASSERT_FALSE(strict);
  EXPECT_EQ(strict.error().code(), Errc::kTornTail);
  options.recovery = RecoveryPolicy::kTolerateTornTail;
  auto m = MustOpen(options);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->positions()[0], ends[1]);
}

TEST(WalRecovery, CorruptionAtTheEndOfAnOlderSegmentIsNotATornTail) {
  FaultFileSystem fs;
  Options options = MemOptions(&fs, 1);
  options.segment_bytes = 150;
  std::vector<uint64_t> ends;
  {
    auto m = MustCreate(options);
    for (int i = 0; i < 6; ++i) ends.push_back(*m->writer(0).AppendData(0, i, std::string(40, 'q')));
    ASSERT_TRUE(m->writer(0).SyncNow());
    ASSERT_GT(m->writer(0).segment_count(), 2u);
  }
  std::string first = SegmentPath(options, 0, 0);
  fs.FlipBit(first, fs.Contents(first).size() - 1, 7);
  auto opened = Manager::Open(options);
  ASSERT_FALSE(opened);
  EXPECT_EQ(opened.error().code(), Errc::kCorruption);
  EXPECT_NE(opened.error().message().find(first), std::string::npos);
}

TEST(WalRecovery, HalfCreatedNewestSegmentIsDiscardedOnOpen) {
  FaultFileSystem fs;
  Options options = MemOptions(&fs, 1);
  std::vector<uint64_t> ends = WriteThree(options);
  std::string next = SegmentPath(options, 0, 1);
  std::string header = EncodeSegmentHeader(SegmentHeader{0, 1, ends.back(), 0, 3});
  fs.SetContents(next, header.substr(0, 20));
  auto m = MustOpen(options);
  ASSERT_TRUE(m);
  EXPECT_FALSE(fs.Exists(next));
  EXPECT_EQ(m->positions()[0], ends.back());
  EXPECT_EQ(ReadCore(options, 0).size(), 3u);
}

TEST(WalRecovery, UnknownSkippableKindIsSkippedByReaders) {
  FaultFileSystem fs;
  Options options = MemOptions(&fs, 1);
  std::vector<uint64_t> ends = WriteThree(options);
  std::string path = SegmentPath(options, 0);
  EntryFields future;
  future.kind = 0xC1;
  future.sequence = 3;
  std::string bytes = fs.Contents(path);
  AppendEntry(&bytes, future, "from a newer version");
  fs.SetContents(path, bytes);
  auto m = MustOpen(options);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->positions()[0], bytes.size() - kSegmentHeaderSize);
  EXPECT_EQ(m->writer(0).next_sequence(), 4u);
  ASSERT_TRUE(m->writer(0).AppendData(0, 0, "d"));
  ASSERT_TRUE(m->writer(0).SyncNow());
  auto entries = ReadCore(options, 0);
  ASSERT_EQ(entries.size(), 4u);
  EXPECT_EQ(entries.back().payload, "d");
  EXPECT_EQ(entries.back().sequence, 4u);
}

TEST(WalRecovery, VerifiedEntryOfAnUnknownRequiredKindIsNeverCutAsATornTail) {
  FaultFileSystem fs;
  Options options = MemOptions(&fs, 1);
  WriteThree(options);
  std::string path = SegmentPath(options, 0);
  EntryFields future;
  future.kind = 0x41;
  future.sequence = 3;
  std::string bytes = fs.Contents(path);
  AppendEntry(&bytes, future, "needs a newer reader");
  fs.SetContents(path, bytes);
  auto opened = Manager::Open(options);
  ASSERT_FALSE(opened);
  EXPECT_EQ(opened.error().code(), Errc::kCorruption);
  EXPECT_EQ(fs.Contents(path), bytes);
}

TEST(WalRecovery, CrashDropsUnsyncedEntriesAndKeepsSyncedOnes) {
  FaultFileSystem fs;
  Options options = MemOptions(&fs, 2);
  uint64_t synced_end;
  {
    auto m = MustCreate(options);
    synced_end = *m->writer(0).AppendData(0, 0, "acked");
    ASSERT_TRUE(m->writer(0).SyncNow());
    ASSERT_TRUE(m->writer(0).AppendData(0, 1, "never synced"));
    ASSERT_TRUE(m->writer(1).AppendData(0, 0, "never synced"));
    fs.Crash();
  }
  fs.Restart();
  auto m = MustOpen(options);
  ASSERT_TRUE(m);
  EXPECT_EQ(Payloads(ReadCore(options, 0)), Strings{"acked"});
  EXPECT_TRUE(ReadCore(options, 1).empty());
  EXPECT_EQ(m->positions(), (std::vector<uint64_t>{synced_end, 0}));
}

TEST(WalRecovery, CrashBeforeTheNewSegmentIsSyncedKeepsTheOlderSegments) {
  FaultFileSystem fs;
  Options options = MemOptions(&fs, 1);
  options.segment_bytes = 200;
  std::vector<uint64_t> ends;
  uint64_t acked = 0;
  {
    auto m = MustCreate(options);
    for (int i = 0; i < 3; ++i) ends.push_back(*m->writer(0).AppendData(0, i, std::string(50, 'r')));
    ASSERT_TRUE(m->writer(0).SyncNow());
    acked = ends.back();
    fs.FailNthSync(2);  // the roll syncs the old segment, then the new one fails
    for (int i = 3; i < 6; ++i) ends.push_back(*m->writer(0).AppendData(0, i, std::string(50, 's')));
    EXPECT_FALSE(m->writer(0).SyncNow());
    EXPECT_EQ(m->writer(0).synced_position(), acked);
    fs.Crash();
  }
  fs.Restart();
  auto m = MustOpen(options);
  ASSERT_TRUE(m);
  auto entries = ReadCore(options, 0);
  ASSERT_GE(entries.size(), 3u);
  EXPECT_GE(m->positions()[0], acked);
}

}  // namespace
}  // namespace corelog::wal

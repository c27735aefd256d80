// Spare segments (Options::spare_segments): reclaimed segment files that a
// core writes its next segments over, and recovery of a log whose newest
// segment still holds an older segment's bytes after its own.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "tests/wal/wal_test_util.h"
#include "wal/aligned_buffer.h"
#include "wal/errc.h"
#include "wal/format.h"
#include "wal/manager.h"
#include "wal/segment_reader.h"

namespace corelog::wal {
namespace {

using testing::CrashCopy;
using testing::FaultFileSystem;
using testing::MemOptions;
using testing::MustCreate;
using testing::MustOpen;
using testing::Payloads;
using testing::ReadCore;
using testing::TempDir;

using Strings = std::vector<std::string>;

// Entries of 100 bytes (28 header + 12 data fields + 60 payload): three fit
// a 400-byte segment, always at the same offsets, so a segment written over
// an older one's file lines its entries up with the older entries.
constexpr uint64_t kSegmentBytes = 400;
std::string PayloadOf(int i) { return std::string(60, static_cast<char>('A' + i)); }

Options SpareOptions(FaultFileSystem* fs) {
  Options options = MemOptions(fs, 1);
  options.segment_bytes = kSegmentBytes;
  options.spare_segments = 2;
  return options;
}

// Appends entries [from, to), each synced; returns their payloads.
Strings AppendSynced(Manager* m, int from, int to) {
  Strings payloads;
  for (int i = from; i < to; ++i) {
    payloads.push_back(PayloadOf(i));
    EXPECT_TRUE(m->writer(0).AppendData(0, i, payloads.back()));
    EXPECT_TRUE(m->writer(0).SyncNow());
  }
  return payloads;
}

size_t CountSpares(const FaultFileSystem& fs) {
  size_t n = 0;
  for (const std::string& path : fs.Files()) n += path.ends_with(kSpareSuffix);
  return n;
}

bool HeaderSaysReused(FileSystem* fs, const std::string& path) {
  auto reader = SegmentReader::Open(fs, path);
  EXPECT_TRUE(reader) << reader.error().message();
  return reader && (*reader)->header() && (*reader)->header()->reused;
}

// Segments 0-3 hold entries 0-11; reclaiming below entry 9 turns segments
// 1 and 2 into spares (the newest two) and deletes segment 0.
std::unique_ptr<Manager> WithTwoSpares(FaultFileSystem* fs, const Options& options, Strings* kept) {
  auto m = MustCreate(options);
  Strings all = AppendSynced(m.get(), 0, 12);
  EXPECT_EQ(m->writer(0).segment_count(), 4u);
  auto deleted = m->DeleteSegmentsBelow(0, m->writer(0).SegmentHolding(m->writer(0).position())->base_position);
  EXPECT_TRUE(deleted);
  EXPECT_EQ(deleted ? *deleted : 0, 3u);
  EXPECT_EQ(CountSpares(*fs), 2u);
  EXPECT_FALSE(fs->Exists(SegmentPath(options, 0, 0)));
  EXPECT_FALSE(fs->Exists(SparePath(options, 0, 0)));
  kept->assign(all.begin() + 9, all.end());
  return m;
}

// After WithTwoSpares, a crash right after SwitchFile: spare 2 carries
// segment 4's name, and still its old header and entries.
void CrashAfterSwitchingToASpare(FaultFileSystem* fs, const Options& options) {
  ASSERT_TRUE(fs->Rename(SparePath(options, 0, 2), SegmentPath(options, 0, 4)));
  ASSERT_TRUE(fs->SyncDir(CoreDirectory(options, 0)));
}

TEST(WalSpareSegments, ReclaimedSegmentsBecomeSparesThatNewSegmentsAreWrittenOver) {
  FaultFileSystem fs;
  Options options = SpareOptions(&fs);
  Strings expected;
  auto m = WithTwoSpares(&fs, options, &expected);
  // Entries 12-17 fill segments 4 and 5, both written over spares.
  for (const std::string& p : AppendSynced(m.get(), 12, 18)) expected.push_back(p);
  EXPECT_EQ(CountSpares(fs), 0u);
  EXPECT_TRUE(HeaderSaysReused(&fs, SegmentPath(options, 0, 4)));
  EXPECT_TRUE(HeaderSaysReused(&fs, SegmentPath(options, 0, 5)));
  EXPECT_FALSE(HeaderSaysReused(&fs, SegmentPath(options, 0, 3)));
  // With no spare left, segment 6 is a new file.
  for (const std::string& p : AppendSynced(m.get(), 18, 19)) expected.push_back(p);
  EXPECT_FALSE(HeaderSaysReused(&fs, SegmentPath(options, 0, 6)));
  // Rolls to segments 1, 2, 3 and 6 made new files; 4 and 5 took spares.
  EXPECT_EQ(m->writer(0).stats().new_segments.load(), 4u);
  EXPECT_EQ(m->writer(0).stats().reused_segments.load(), 2u);
  EXPECT_EQ(Payloads(ReadCore(options, 0)), expected);
  m.reset();
  m = MustOpen(options);
  EXPECT_EQ(Payloads(ReadCore(options, 0)), expected);
}

TEST(WalSpareSegments, ACrashLeavesTheOlderSegmentsEntriesUnread) {
  FaultFileSystem fs;
  Options options = SpareOptions(&fs);
  Strings expected;
  auto m = WithTwoSpares(&fs, options, &expected);
  // Segment 4 is written over segment 2's file and segment 5 over segment
  // 1's. Segment 5 gets one entry: after it, at exactly the next entry's
  // offset, segment 1's entries 4 and 5 still verify.
  for (const std::string& p : AppendSynced(m.get(), 12, 16)) expected.push_back(p);
  ASSERT_EQ(m->writer(0).segment_count(), 3u);
  const std::string newest = SegmentPath(options, 0, 5);
  ASSERT_TRUE(HeaderSaysReused(&fs, newest));
  ASSERT_GT(fs.Contents(newest).size(), kSegmentHeaderSize + 3 * 100 - 1);
  const uint64_t end = m->writer(0).position();
  fs.Crash();
  m.reset();
  fs.Restart();

  m = MustOpen(options);
  EXPECT_EQ(m->writer(0).position(), end);
  EXPECT_EQ(Payloads(ReadCore(options, 0)), expected);
  // The older bytes are cut, and the log goes on after the last entry.
  EXPECT_EQ(fs.Contents(newest).size(), kSegmentHeaderSize + 100);
  for (const std::string& p : AppendSynced(m.get(), 16, 18)) expected.push_back(p);
  m.reset();
  EXPECT_EQ(Payloads(ReadCore(options, 0)), expected);
}

TEST(WalSpareSegments, AnOlderEntryInAnyOtherSegmentIsCorruption) {
  FaultFileSystem fs;
  Options options = SpareOptions(&fs);
  options.spare_segments = 0;
  {
    auto m = MustCreate(options);
    AppendSynced(m.get(), 0, 7);
  }
  // Segment 1's last entry replaced by segment 0's first: it verifies, but
  // its sequence goes back.
  const std::string seg0 = fs.Contents(SegmentPath(options, 0, 0));
  std::string seg1 = fs.Contents(SegmentPath(options, 0, 1));
  seg1.replace(kSegmentHeaderSize + 200, 100, seg0.substr(kSegmentHeaderSize, 100));
  fs.SetContents(SegmentPath(options, 0, 1), seg1);
  auto opened = Manager::Open(options);
  ASSERT_FALSE(opened);
  EXPECT_EQ(opened.error().code(), Errc::kCorruption);
}

TEST(WalSpareSegments, ARenamedSpareNotYetWrittenIsDroppedOnOpen) {
  FaultFileSystem fs;
  Options options = SpareOptions(&fs);
  Strings expected;
  {
    auto m = WithTwoSpares(&fs, options, &expected);
  }
  CrashAfterSwitchingToASpare(&fs, options);
  auto m = MustOpen(options);
  EXPECT_FALSE(fs.Exists(SegmentPath(options, 0, 4)));
  EXPECT_EQ(m->writer(0).segment_count(), 1u);
  EXPECT_EQ(Payloads(ReadCore(options, 0)), expected);
}

// The same crash when a checkpoint covers the whole log: the replay starts
// where the renamed spare would have begun. Its old header names another
// segment that began further back, so it must not be where the replay starts:
// the newest real segment is, and the log ends where that one ends.
TEST(WalSpareSegments, AReplayFromTheEndSkipsARenamedSpareNotYetWritten) {
  FaultFileSystem fs;
  Options options = SpareOptions(&fs);
  Strings expected;
  uint64_t end = 0;
  {
    auto m = WithTwoSpares(&fs, options, &expected);
    end = m->writer(0).position();
  }
  CrashAfterSwitchingToASpare(&fs, options);
  int replayed = 0;
  const uint64_t from[] = {end};
  auto m = Manager::Open(
      options,
      [&replayed](const Entry&) {
        ++replayed;
        return Ok();
      },
      from);
  ASSERT_TRUE(m) << m.error().message();
  EXPECT_EQ(replayed, 0);
  EXPECT_EQ((*m)->writer(0).position(), end);
  EXPECT_FALSE(fs.Exists(SegmentPath(options, 0, 4)));
  for (const std::string& p : AppendSynced(m->get(), 12, 14)) expected.push_back(p);
  m->reset();
  EXPECT_EQ(Payloads(ReadCore(options, 0)), expected);
}

TEST(WalSpareSegments, SparesLeftByAnEarlierRunAreDeletedOnOpen) {
  FaultFileSystem fs;
  Options options = SpareOptions(&fs);
  Strings expected;
  {
    auto m = WithTwoSpares(&fs, options, &expected);
  }
  ASSERT_EQ(CountSpares(fs), 2u);
  auto m = MustOpen(options);
  EXPECT_EQ(CountSpares(fs), 0u);
  EXPECT_EQ(Payloads(ReadCore(options, 0)), expected);
}

TEST(WalSpareSegments, NoMoreSparesThanConfiguredAndNoneWhenOff) {
  for (uint32_t spares : {0u, 1u, 2u}) {
    SCOPED_TRACE("spare_segments " + std::to_string(spares));
    FaultFileSystem fs;
    Options options = SpareOptions(&fs);
    options.spare_segments = spares;
    auto m = MustCreate(options);
    AppendSynced(m.get(), 0, 12);
    ASSERT_TRUE(m->DeleteSegmentsBelow(0, m->writer(0).position()));
    EXPECT_EQ(CountSpares(fs), spares);
    EXPECT_EQ(fs.Files().size(), 1u + spares);
  }
}

TEST(WalSpareSegments, OptionsRefuseSparesUnderAbsoluteConsistency) {
  FaultFileSystem fs;
  Options options = SpareOptions(&fs);
  options.recovery = RecoveryPolicy::kAbsoluteConsistency;
  auto m = Manager::Create(options);
  ASSERT_FALSE(m);
  EXPECT_EQ(m.error().code(), Errc::kInvalidArgument);
  EXPECT_NE(m.error().message().find("spare_segments"), std::string::npos);
}

// Real files written with O_DIRECT: each append leaves zero padding to a
// block boundary and the older file's bytes after it.
TEST(WalSpareSegments, DirectIoSegmentsWrittenOverSparesRecoverFromACrashCopy) {
  TempDir dir;
  Options options;
  options.dir = dir.path() + "/wal";
  options.direct_io = true;
  options.segment_bytes = 64 << 10;
  options.spare_segments = 2;
  auto m = MustCreate(options);
  Strings written;
  auto append = [&](int n, char seed) {
    for (int i = 0; i < n; ++i) {
      written.push_back(std::string(3000 + i, static_cast<char>(seed + i % 20)));
      ASSERT_TRUE(m->writer(0).AppendData(0, static_cast<int64_t>(written.size()), written.back()));
      if (i % 3 == 2) {
        ASSERT_TRUE(m->SyncAll());
      }
    }
    ASSERT_TRUE(m->SyncAll());
  };
  append(100, 'a');  // four full segments of 21 entries, and part of a fifth
  ASSERT_TRUE(m->DeleteSegmentsBelow(0, m->writer(0).SegmentHolding(m->writer(0).position())->base_position));
  append(30, 'A');  // the fifth filled, the sixth and part of the seventh written over spares
  const SegmentInfo newest = *m->writer(0).SegmentHolding(m->writer(0).position());
  const std::string path = SegmentPath(options, 0, newest.number);
  ASSERT_TRUE(HeaderSaysReused(PosixFileSystem(), path));
  const uint64_t end = m->writer(0).position();
  const uint64_t own_bytes = kSegmentHeaderSize + (end - newest.base_position);
  const Strings before_crash = Payloads(ReadCore(options, 0));
  ASSERT_FALSE(before_crash.empty());
  EXPECT_EQ(before_crash.back(), written.back());

  Options crashed = CrashCopy(options, dir.path() + "/crashed");
  // The copy's newest file goes on past its own bytes: the older ones.
  ASSERT_GT(std::filesystem::file_size(SegmentPath(crashed, 0, newest.number)), AlignUp(own_bytes));
  auto reopened = MustOpen(crashed);
  EXPECT_EQ(reopened->writer(0).position(), end);
  reopened.reset();
  EXPECT_EQ(Payloads(ReadCore(crashed, 0)), before_crash);

  // A clean close cuts the reused file at its own last entry.
  m.reset();
  EXPECT_EQ(std::filesystem::file_size(path), own_bytes);
  EXPECT_EQ(Payloads(ReadCore(options, 0)), before_crash);
}

}  // namespace
}  // namespace corelog::wal

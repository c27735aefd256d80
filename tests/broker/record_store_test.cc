#include "broker/record_store.h"

#include <rocksdb/db.h>
#include <gtest/gtest.h>

#include <filesystem>

#include "broker/kafka/record_batch.h"
#include "common/coding.h"

namespace corelog::broker {
namespace {

// The header fields RecordStore reads, in a batch of `size` bytes.
std::string FakeBatch(int64_t base, int32_t count, int64_t max_ts, size_t size = 70) {
  std::string b(size, '\0');
  EncodeBE<int64_t>(b.data(), base);
  EncodeBE<int32_t>(b.data() + 8, static_cast<int32_t>(size - 12));
  b[16] = 2;
  EncodeBE<int32_t>(b.data() + 23, count - 1);
  EncodeBE<int64_t>(b.data() + 35, max_ts);
  EncodeBE<int32_t>(b.data() + 57, count);
  return b;
}

class RecordStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("corelog_store_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    Reopen();
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  void Reopen() {
    store_.reset();
    auto s = RecordStore::Open(dir_.string());
    ASSERT_TRUE(s) << s.error().message();
    store_ = std::move(*s);
  }
  // Batches at offsets 0-4, 5-9, 10-14 of partition 7, timestamps 100/200/300.
  void PutThree() {
    for (int i = 0; i < 3; ++i) {
      ASSERT_TRUE(store_->PutBatch(7, i * 5, FakeBatch(i * 5, 5, 100 * (i + 1))));
    }
  }
  std::vector<int64_t> Bases(const std::string& bytes) {
    std::vector<int64_t> out;
    for (size_t pos = 0; pos < bytes.size();) {
      out.push_back(BatchBaseOffset(std::string_view(bytes).substr(pos)));
      pos += 12 + DecodeBE<int32_t>(bytes.data() + pos + 8);
    }
    return out;
  }

  std::filesystem::path dir_;
  std::unique_ptr<RecordStore> store_;
};

TEST_F(RecordStoreTest, OffsetInsideABatchReturnsTheWholeBatch) {
  PutThree();
  std::string out;
  ASSERT_TRUE(store_->ReadBatches(7, 7, 15, 1 << 20, &out));
  EXPECT_EQ(Bases(out), (std::vector<int64_t>{5, 10}));
}

TEST_F(RecordStoreTest, ReadStopsAtTheEndOffset) {
  PutThree();
  std::string out;
  ASSERT_TRUE(store_->ReadBatches(7, 0, 10, 1 << 20, &out));
  EXPECT_EQ(Bases(out), (std::vector<int64_t>{0, 5}));
}

TEST_F(RecordStoreTest, AtLeastOneBatchEvenAboveMaxBytes) {
  PutThree();
  std::string out;
  ASSERT_TRUE(store_->ReadBatches(7, 0, 15, 1, &out));
  EXPECT_EQ(Bases(out), (std::vector<int64_t>{0}));
  out.clear();
  ASSERT_TRUE(store_->ReadBatches(7, 0, 15, 140, &out));
  EXPECT_EQ(Bases(out), (std::vector<int64_t>{0, 5}));
}

TEST_F(RecordStoreTest, NoOversizedBatchWhenTheResponseAlreadyHasData) {
  PutThree();
  std::string out;
  ASSERT_TRUE(store_->ReadBatches(7, 0, 15, 1, &out, /*oversized_first=*/false));
  EXPECT_TRUE(out.empty());
  ASSERT_TRUE(store_->ReadBatches(7, 0, 15, 100, &out, /*oversized_first=*/false));
  EXPECT_EQ(Bases(out), (std::vector<int64_t>{0}));
}

TEST_F(RecordStoreTest, PartitionsDoNotMix) {
  PutThree();
  ASSERT_TRUE(store_->PutBatch(8, 0, FakeBatch(0, 1, 1)));
  std::string out;
  ASSERT_TRUE(store_->ReadBatches(8, 0, 100, 1 << 20, &out));
  EXPECT_EQ(out.size(), 70u);
  auto range = store_->Range(7);
  ASSERT_TRUE(range);
  EXPECT_FALSE(range->empty);
  EXPECT_EQ(range->first_offset, 0);
  EXPECT_EQ(range->next_offset, 15);
  auto empty = store_->Range(9);
  ASSERT_TRUE(empty);
  EXPECT_TRUE(empty->empty);
}

TEST_F(RecordStoreTest, TimestampLookupFindsTheFirstBatchAtOrAfter) {
  PutThree();
  auto found = store_->OffsetForTimestamp(7, 150, 15);
  ASSERT_TRUE(found);
  EXPECT_EQ(found->offset, 5);
  EXPECT_EQ(found->timestamp, 200);
  auto none = store_->OffsetForTimestamp(7, 301, 15);
  ASSERT_TRUE(none);
  EXPECT_EQ(none->offset, -1);
  auto hidden = store_->OffsetForTimestamp(7, 250, 10);  // 10-14 is above the end offset
  ASSERT_TRUE(hidden);
  EXPECT_EQ(hidden->offset, -1);
}

TEST_F(RecordStoreTest, TimestampLookupFindsTheRecordInsideABatch) {
  std::vector<kafka::Record> records(4);
  for (int i = 0; i < 4; ++i) {
    records[i].timestamp = 1000 + 10 * i;
    records[i].value = "v";
  }
  kafka::BatchOptions options;
  options.base_offset = 20;
  ASSERT_TRUE(store_->PutBatch(9, 20, kafka::BuildRecordBatch(options, records)));
  auto found = store_->OffsetForTimestamp(9, 1015, 24);
  ASSERT_TRUE(found);
  EXPECT_EQ(found->offset, 22);
  EXPECT_EQ(found->timestamp, 1020);
}

// Batches stored by their place in a real WAL: the store answers scans
// from the location alone and reads the bytes back from the WAL.
TEST_F(RecordStoreTest, BatchesStoredByLocationAreReadFromTheWal) {
  wal::Options options;
  options.dir = (dir_ / "wal").string();
  auto created = wal::Manager::Create(options);
  ASSERT_TRUE(created) << created.error().message();
  auto& wal = **created;
  std::vector<kafka::Record> records(4);
  const std::vector<std::string> values = {std::string(100, 'v'), std::string(101, 'w'),
                                           std::string(102, 'x'), std::string(103, 'y')};
  for (int i = 0; i < 4; ++i) {
    records[i].timestamp = 1000 + 10 * i;
    records[i].value = values[i];  // a view: the strings outlive the batches
  }
  std::vector<std::string> batches;
  for (int i = 0; i < 3; ++i) {
    kafka::BatchOptions batch;
    batch.base_offset = i * 4;
    batches.push_back(kafka::BuildRecordBatch(batch, records));
    const uint64_t position = wal.writer(0).position();
    auto end = wal.writer(0).AppendData(7, i * 4, batches.back());
    ASSERT_TRUE(end);
    ASSERT_TRUE(wal.writer(0).SyncNow());
    ASSERT_TRUE(store_->PutBatchLocation(7, i * 4, batches.back(), {0, position, *end}));
  }
  // No WAL to read from yet: an error, not a guess.
  std::string out;
  EXPECT_FALSE(store_->ReadBatches(7, 0, 12, 1 << 20, &out));
  store_->SetWal(&wal);
  out.clear();
  ASSERT_TRUE(store_->ReadBatches(7, 5, 12, 1 << 20, &out));
  EXPECT_EQ(out, batches[1] + batches[2]);
  std::vector<BatchInfo> seen;
  ASSERT_TRUE(store_->ScanBatches(7, 0, [&](const BatchInfo& b) {
    seen.push_back(b);
    return true;
  }));
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[2].base_offset, 8);
  EXPECT_EQ(seen[2].last_offset, 11);
  EXPECT_EQ(seen[2].max_timestamp, 1030);
  EXPECT_EQ(seen[2].size, static_cast<int64_t>(batches[2].size()));
  ASSERT_TRUE(seen[0].location);
  EXPECT_EQ(seen[0].location->position, 0u);
  EXPECT_EQ(store_->Range(7)->next_offset, 12);
  auto found = store_->OffsetForTimestamp(7, 1015, 12);
  ASSERT_TRUE(found);
  EXPECT_EQ(found->offset, 2);
  auto oldest = store_->OldestLocation(7);
  ASSERT_TRUE(oldest && *oldest);
  EXPECT_EQ((*oldest)->position, seen[0].location->position);
  ASSERT_TRUE(store_->DeleteBatchesBefore(7, 4));
  oldest = store_->OldestLocation(7);
  ASSERT_TRUE(oldest && *oldest);
  EXPECT_EQ((*oldest)->position, seen[1].location->position);
  // A location whose entry is not the batch it claims to be is refused.
  ASSERT_TRUE(store_->PutBatchLocation(9, 0, batches[0] + "xx", *seen[1].location));
  out.clear();
  EXPECT_FALSE(store_->ReadBatches(9, 0, 12, 1 << 20, &out));
  EXPECT_TRUE(out.empty());
}

TEST_F(RecordStoreTest, DeletePartitionRemovesItsRecordsOnly) {
  PutThree();
  ASSERT_TRUE(store_->PutBatch(8, 0, FakeBatch(0, 1, 1)));
  ASSERT_TRUE(store_->DeletePartition(7));
  EXPECT_TRUE(store_->Range(7)->empty);
  EXPECT_FALSE(store_->Range(8)->empty);
}

TEST_F(RecordStoreTest, TopicsAndNextPartitionIdSurviveReopen) {
  TopicMeta t{"orders", {4, 5, 6}, {{"retention.ms", "1000"}}};
  ASSERT_TRUE(store_->PutTopic(t, 7));
  Reopen();
  auto topics = store_->LoadTopics();
  ASSERT_TRUE(topics);
  ASSERT_EQ(topics->size(), 1u);
  EXPECT_EQ((*topics)[0].name, "orders");
  EXPECT_EQ((*topics)[0].partition_ids, (std::vector<uint32_t>{4, 5, 6}));
  EXPECT_EQ((*topics)[0].configs.at("retention.ms"), "1000");
  EXPECT_EQ(*store_->LoadNextPartitionId(), 7u);
  ASSERT_TRUE(store_->DeleteTopic("orders"));
  Reopen();
  EXPECT_TRUE(store_->LoadTopics()->empty());
  EXPECT_EQ(*store_->LoadNextPartitionId(), 7u);
}

}  // namespace
}  // namespace corelog::broker

namespace corelog::broker {
namespace {

TEST_F(RecordStoreTest, ScanBatchesStartsAtTheBatchHoldingTheOffset) {
  PutThree();
  std::vector<BatchInfo> seen;
  ASSERT_TRUE(store_->ScanBatches(7, 7, [&](const BatchInfo& b) {
    seen.push_back(b);
    return true;
  }));
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].base_offset, 5);
  EXPECT_EQ(seen[0].last_offset, 9);
  EXPECT_EQ(seen[0].max_timestamp, 200);
  EXPECT_EQ(seen[0].size, 70);
  EXPECT_EQ(seen[1].base_offset, 10);
  int calls = 0;
  ASSERT_TRUE(store_->ScanBatches(7, 0, [&](const BatchInfo&) { return ++calls < 2; }));
  EXPECT_EQ(calls, 2);
}

TEST_F(RecordStoreTest, DeleteBatchesBeforeRemovesOnlyLowerBaseOffsets) {
  PutThree();
  ASSERT_TRUE(store_->DeleteBatchesBefore(7, 5));
  std::string out;
  ASSERT_TRUE(store_->ReadBatches(7, 0, 15, 1 << 20, &out));
  EXPECT_EQ(Bases(out), (std::vector<int64_t>{5, 10}));
}

TEST_F(RecordStoreTest, PartitionStateRoundTripsAndGoesWithThePartition) {
  PutThree();
  rocksdb::DB* db = store_->db();
  ASSERT_TRUE(db->Put(rocksdb::WriteOptions(), PartitionStateKey(7),
                      EncodePartitionState({5, 15, 140}))
                  .ok());
  auto states = store_->LoadPartitionStates();
  ASSERT_TRUE(states) << states.error().message();
  ASSERT_EQ(states->count(7), 1u);
  EXPECT_EQ(states->at(7).log_start, 5);
  EXPECT_EQ(states->at(7).log_end, 15);
  EXPECT_EQ(states->at(7).stored_bytes, 140);
  ASSERT_TRUE(store_->DeletePartition(7));
  Reopen();
  EXPECT_TRUE(store_->LoadPartitionStates()->empty());
  EXPECT_TRUE(store_->Range(7)->empty);
}

}  // namespace
}  // namespace corelog::broker

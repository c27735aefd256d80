// corelogd's definition of rocksdb::crc32c::Extend (broker/rocksdb_crc32c.h)
// must be the one librocksdb's own calls bind to, and must compute exactly
// what librocksdb's definition computes, or stored checksums would change.
#include "broker/rocksdb_crc32c.h"

#include <dlfcn.h>
#include <gtest/gtest.h>
#include <rocksdb/db.h>

#include <cstdint>
#include <filesystem>
#include <random>
#include <string>

#include "broker/record_store.h"
#include "common/coding.h"

namespace rocksdb::crc32c {
uint32_t Extend(uint32_t init_crc, const char* data, size_t n);
}

namespace corelog::broker {
namespace {

using ExtendFn = uint32_t (*)(uint32_t, const char*, size_t);
constexpr const char* kSymbol = "_ZN7rocksdb6crc32c6ExtendEjPKcm";

// librocksdb's own definition: the next one after this program's.
ExtendFn LibrocksdbExtend() { return reinterpret_cast<ExtendFn>(::dlsym(RTLD_NEXT, kSymbol)); }

TEST(RocksDbCrc32cTest, LibrocksdbCallsBindToCorelogsDefinition) {
  // Calls from inside librocksdb go through its PLT, which the dynamic linker
  // resolves like this global lookup: the first definition in load order.
  void* bound = ::dlsym(RTLD_DEFAULT, kSymbol);
  ASSERT_NE(bound, nullptr);
  EXPECT_EQ(bound, reinterpret_cast<void*>(&rocksdb::crc32c::Extend));
  ExtendFn theirs = LibrocksdbExtend();
  ASSERT_NE(theirs, nullptr) << "librocksdb no longer exports " << kSymbol;
  EXPECT_NE(reinterpret_cast<void*>(theirs), bound);
}

TEST(RocksDbCrc32cTest, ComputesWhatLibrocksdbComputes) {
  ExtendFn theirs = LibrocksdbExtend();
  ASSERT_NE(theirs, nullptr);
  EXPECT_EQ(rocksdb::crc32c::Extend(0, "123456789", 9), 0xe3069283u);  // the standard check value
  std::mt19937_64 rng(7);
  std::string data(70000, '\0');
  for (auto& c : data) c = static_cast<char>(rng());
  for (size_t n : {0, 1, 7, 8, 9, 63, 64, 65, 4095, 4096, 65537, 70000}) {
    for (uint32_t init : {0u, 0xffffffffu, static_cast<uint32_t>(rng())}) {
      const size_t start = n == 70000 ? 0 : rng() % (70000 - n);
      EXPECT_EQ(rocksdb::crc32c::Extend(init, data.data() + start, n),
                theirs(init, data.data() + start, n))
          << "n=" << n << " init=" << init;
    }
  }
}

// Blob records carry RocksDB's CRC-32C and reads verify it: flushed batches
// come back whole after a reopen.
TEST(RocksDbCrc32cTest, FlushedBatchesVerifyAfterReopen) {
  const auto dir = std::filesystem::temp_directory_path() /
                   ("corelog_rocksdb_crc_" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::string batch(4096, 'b');
  EncodeBE<int64_t>(batch.data(), 0);
  EncodeBE<int32_t>(batch.data() + 8, static_cast<int32_t>(batch.size() - 12));
  batch[16] = 2;
  EncodeBE<int32_t>(batch.data() + 23, 0);
  {
    auto store = RecordStore::Open(dir.string());
    ASSERT_TRUE(store) << store.error().message();
    ASSERT_TRUE((*store)->PutBatch(1, 0, batch));
    rocksdb::FlushOptions flush;
    ASSERT_TRUE((*store)->db()->Flush(flush).ok());
  }
  auto store = RecordStore::Open(dir.string());
  ASSERT_TRUE(store) << store.error().message();
  std::string out;
  ASSERT_TRUE((*store)->ReadBatches(1, 0, 1, 1 << 20, &out));
  EXPECT_EQ(out, batch);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace corelog::broker

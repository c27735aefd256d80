#include "wal/options.h"

#include <gtest/gtest.h>

#include "wal/errc.h"

namespace corelog::wal {
namespace {

TEST(WalOptions, SegmentPathUsesTheDefaultPattern) {
  Options options;
  options.dir = "/data/wal";
  options.num_cores = 4;
  EXPECT_EQ(SegmentPath(options, 0), "/data/wal/core-0/0000000000.wal");
  EXPECT_EQ(SegmentPath(options, 3, 12), "/data/wal/core-3/0000000012.wal");
  EXPECT_EQ(CoreDirectory(options, 3), "/data/wal/core-3");
}

TEST(WalOptions, SegmentPathUsesACustomPattern) {
  Options options;
  options.dir = "/data/wal";
  options.segment_pattern = "segment-{core_id}-{segment}.log";
  EXPECT_EQ(SegmentPath(options, 1, 7), "/data/wal/segment-1-0000000007.log");
  EXPECT_EQ(CoreDirectory(options, 1), "/data/wal");
  EXPECT_TRUE(ValidateOptions(options));
}

TEST(WalOptions, SegmentNamesOfOtherCoresAreNotMistakenForOurs) {
  Options options;
  options.dir = "/w";
  options.segment_pattern = "wal-{core_id}-{segment}.log";
  EXPECT_EQ(ParseSegmentNumber(options, 1, "wal-1-0000000042.log"), 42u);
  EXPECT_EQ(ParseSegmentNumber(options, 1, "wal-11-0000000042.log"), std::nullopt);
  EXPECT_EQ(ParseSegmentNumber(options, 1, "wal-1-.log"), std::nullopt);
  EXPECT_EQ(ParseSegmentNumber(options, 1, "wal-1-12x.log"), std::nullopt);
}

TEST(WalOptions, PatternWithoutCoreIdIsRejectedWithAClearError) {
  Options options;
  options.dir = "/w";
  options.segment_pattern = "wal-{segment}.log";
  Status status = ValidateOptions(options);
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error().code(), Errc::kInvalidArgument);
  EXPECT_NE(status.error().message().find("{core_id}"), std::string::npos);
}

TEST(WalOptions, PatternWithoutSegmentOrWithSegmentInADirectoryIsRejected) {
  Options options;
  options.dir = "/w";
  for (const char* pattern : {"wal-{core_id}.log", "{segment}/wal-{core_id}.log",
                              "wal-{core_id}{segment}.log"}) {
    options.segment_pattern = pattern;
    EXPECT_FALSE(ValidateOptions(options)) << pattern;
  }
}

TEST(WalOptions, ZeroCoresAndTinySegmentsAreRejected) {
  Options options;
  options.dir = "/w";
  options.num_cores = 0;
  EXPECT_FALSE(ValidateOptions(options));
  options.num_cores = 1;
  options.segment_bytes = 10;
  EXPECT_FALSE(ValidateOptions(options));
}

}  // namespace
}  // namespace corelog::wal

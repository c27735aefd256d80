#include "broker/kafka/errors.h"

#include <gtest/gtest.h>

namespace corelog::kafka {
namespace {

TEST(Errors, NumbersMatchTheProtocol) {
  EXPECT_EQ(static_cast<int16_t>(ErrorCode::kUnknownServerError), -1);
  EXPECT_EQ(static_cast<int16_t>(ErrorCode::kCorruptMessage), 2);
  EXPECT_EQ(static_cast<int16_t>(ErrorCode::kUnsupportedVersion), 35);
  EXPECT_EQ(static_cast<int16_t>(ErrorCode::kKafkaStorageError), 56);
  EXPECT_EQ(static_cast<int16_t>(ErrorCode::kMemberIdRequired), 79);
  EXPECT_EQ(static_cast<int16_t>(ErrorCode::kInvalidRecord), 87);
}

TEST(Errors, NamesAreTheProtocolNames) {
  EXPECT_EQ(ErrorCodeName(ErrorCode::kNone), "NONE");
  EXPECT_EQ(ErrorCodeName(ErrorCode::kUnknownTopicOrPartition), "UNKNOWN_TOPIC_OR_PARTITION");
  EXPECT_EQ(ErrorCodeName(ErrorCode::kInvalidTopicException), "INVALID_TOPIC_EXCEPTION");
  EXPECT_EQ(ErrorCodeName(static_cast<ErrorCode>(1234)), "UNKNOWN");
}

TEST(Errors, ErrorCarriesTheKafkaCode) {
  Error e = MakeError(ErrorCode::kInvalidRecord, "two batches");
  EXPECT_EQ(e.code(), ErrorCode::kInvalidRecord);
  EXPECT_EQ(ToErrorCode(e), ErrorCode::kInvalidRecord);
  EXPECT_EQ(ToErrorCode(std::make_error_code(std::errc::io_error)), ErrorCode::kUnknownServerError);
  EXPECT_EQ(ToErrorCode(std::error_code()), ErrorCode::kNone);
}

}  // namespace
}  // namespace corelog::kafka

#include "broker/response_error.h"

#include <gtest/gtest.h>

#include "broker/kafka/messages.h"

namespace corelog::broker {
namespace {

using kafka::ErrorCode;

TEST(ResponseErrorTest, ASuccessfulResponseCarriesNoError) {
  kafka::ProduceResponse r;
  r.topics.emplace_back().partitions.emplace_back();
  EXPECT_EQ(ResponseErrorCode(r), 0);
  EXPECT_EQ(ResponseErrorCode(kafka::MetadataResponse{}), 0);
  EXPECT_EQ(ResponseErrorCode(kafka::ApiVersionsResponse{}), 0);
}

TEST(ResponseErrorTest, TheFirstPartitionErrorCountsForTheResponse) {
  kafka::ProduceResponse r;
  auto& t = r.topics.emplace_back();
  t.partitions.emplace_back();
  t.partitions.emplace_back().error_code = ErrorCode::kUnknownTopicOrPartition;
  t.partitions.emplace_back().error_code = ErrorCode::kMessageTooLarge;
  EXPECT_EQ(ResponseErrorCode(r), static_cast<int16_t>(ErrorCode::kUnknownTopicOrPartition));
}

TEST(ResponseErrorTest, ATopLevelErrorWinsOverPartitionErrors) {
  kafka::FetchResponse r;
  r.error_code = ErrorCode::kUnknownServerError;
  r.topics.emplace_back().partitions.emplace_back().error_code = ErrorCode::kOffsetOutOfRange;
  EXPECT_EQ(ResponseErrorCode(r), -1);
  r.error_code = ErrorCode::kNone;
  EXPECT_EQ(ResponseErrorCode(r), static_cast<int16_t>(ErrorCode::kOffsetOutOfRange));
}

TEST(ResponseErrorTest, TopicLevelErrorsAndResultsCount) {
  kafka::MetadataResponse m;
  m.topics.emplace_back().error_code = ErrorCode::kInvalidTopicException;
  EXPECT_EQ(ResponseErrorCode(m), static_cast<int16_t>(ErrorCode::kInvalidTopicException));
  kafka::DescribeConfigsResponse d;
  d.results.emplace_back().error_code = ErrorCode::kUnknownTopicOrPartition;
  EXPECT_EQ(ResponseErrorCode(d), static_cast<int16_t>(ErrorCode::kUnknownTopicOrPartition));
}

}  // namespace
}  // namespace corelog::broker

// Small value types shared by several message headers (messages.h,
// messages_group.h, messages_admin.h).
#pragma once

#include <cstdint>
#include <limits>

namespace corelog::kafka {

// The authorized-operations fields when the client didn't ask for them.
inline constexpr int32_t kAuthorizedOperationsOmitted = std::numeric_limits<int32_t>::min();

// Config resource types of DescribeConfigs / AlterConfigs.
enum class ConfigResourceType : int8_t { kUnknown = 0, kTopic = 2, kBroker = 4 };

// Where a described config value comes from.
enum class ConfigSource : int8_t {
  kUnknown = 0,
  kDynamicTopicConfig = 1,
  kDynamicBrokerConfig = 2,
  kDynamicDefaultBrokerConfig = 3,
  kStaticBrokerConfig = 4,
  kDefaultConfig = 5,
};

}  // namespace corelog::kafka

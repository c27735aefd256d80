#include "broker/kafka/api.h"

#include <algorithm>
#include <array>

namespace corelog::kafka {
namespace {

using F = ApiFamily;

// Ordered by key. Flexible versions above our max still matter: they decide
// the request header version of a too-new request we must answer.
constexpr std::array kApis = {
    ApiInfo{ApiKey::kProduce, "Produce", 3, 7, 9, F::kCore},
    ApiInfo{ApiKey::kFetch, "Fetch", 4, 11, 12, F::kCore},
    ApiInfo{ApiKey::kListOffsets, "ListOffsets", 1, 5, 6, F::kCore},
    ApiInfo{ApiKey::kMetadata, "Metadata", 0, 8, 9, F::kCore},
    ApiInfo{ApiKey::kOffsetCommit, "OffsetCommit", 2, 7, 8, F::kConsumerGroup},
    ApiInfo{ApiKey::kOffsetFetch, "OffsetFetch", 1, 7, 6, F::kConsumerGroup},
    ApiInfo{ApiKey::kFindCoordinator, "FindCoordinator", 0, 3, 3, F::kConsumerGroup},
    ApiInfo{ApiKey::kJoinGroup, "JoinGroup", 0, 5, 6, F::kConsumerGroup},
    ApiInfo{ApiKey::kHeartbeat, "Heartbeat", 0, 3, 4, F::kConsumerGroup},
    ApiInfo{ApiKey::kLeaveGroup, "LeaveGroup", 0, 3, 4, F::kConsumerGroup},
    ApiInfo{ApiKey::kSyncGroup, "SyncGroup", 0, 3, 4, F::kConsumerGroup},
    ApiInfo{ApiKey::kDescribeGroups, "DescribeGroups", 0, 4, 5, F::kConsumerGroup},
    ApiInfo{ApiKey::kListGroups, "ListGroups", 0, 4, 3, F::kConsumerGroup},
    ApiInfo{ApiKey::kApiVersions, "ApiVersions", 0, 3, 3, F::kCore},
    ApiInfo{ApiKey::kCreateTopics, "CreateTopics", 0, 4, 5, F::kCore},
    ApiInfo{ApiKey::kDeleteTopics, "DeleteTopics", 0, 3, 4, F::kCore},
    ApiInfo{ApiKey::kDeleteRecords, "DeleteRecords", 0, 1, 2, F::kAdmin},
    ApiInfo{ApiKey::kInitProducerId, "InitProducerId", 0, 4, 2, F::kIdempotence},
    ApiInfo{ApiKey::kDescribeConfigs, "DescribeConfigs", 0, 3, 4, F::kCore},
    ApiInfo{ApiKey::kAlterConfigs, "AlterConfigs", 0, 1, 2, F::kAdmin},
    ApiInfo{ApiKey::kCreatePartitions, "CreatePartitions", 0, 1, 2, F::kAdmin},
    ApiInfo{ApiKey::kDeleteGroups, "DeleteGroups", 0, 1, 2, F::kConsumerGroup},
    ApiInfo{ApiKey::kOffsetDelete, "OffsetDelete", 0, 0, kNeverFlexible, F::kConsumerGroup},
};

static_assert(std::is_sorted(kApis.begin(), kApis.end(),
                             [](const ApiInfo& a, const ApiInfo& b) { return a.key < b.key; }));

}  // namespace

std::span<const ApiInfo> AllApis() { return kApis; }

const ApiInfo* FindApi(int16_t key) {
  auto it = std::lower_bound(kApis.begin(), kApis.end(), key, [](const ApiInfo& a, int16_t k) {
    return static_cast<int16_t>(a.key) < k;
  });
  if (it == kApis.end() || static_cast<int16_t>(it->key) != key) return nullptr;
  return &*it;
}

bool IsSupported(int16_t key, int16_t version) {
  const ApiInfo* api = FindApi(key);
  return api != nullptr && version >= api->min_version && version <= api->max_version;
}

bool IsFlexible(int16_t key, int16_t version) {
  const ApiInfo* api = FindApi(key);
  return api != nullptr && version >= api->first_flexible_version;
}

std::string_view ApiName(int16_t key) {
  const ApiInfo* api = FindApi(key);
  return api != nullptr ? api->name : "Unknown";
}

}  // namespace corelog::kafka
